"""Alliance strain per pair: it rises with unilateral engagement, bypassing and deal terms beyond an
ally's tolerance, and decays otherwise (Snyder 1984; docs/MODEL.md §9)."""

from __future__ import annotations

import numpy as np

from model.sim import rules
from model.sim.cast import Cast
from model.sim.decision import Decision
from model.sim.negotiation import Negotiation
from model.sim.state import State


def shocks(
    s: State,
    cast: Cast,
    support: np.ndarray,
    decision: Decision,
    talks: Negotiation,
    d_momentum: np.ndarray,
) -> np.ndarray:
    """(R, pairs) this week's shock to each alliance pair."""
    mp = s.mp
    e = cast.engager
    allies = cast.allies[e]
    s_now = decision.summit_now.astype(float)
    prep = np.maximum(d_momentum, 0.0)
    rows, y = talks.rows, talks.offer  # this week's summits and their offers
    shock_of: dict[int, np.ndarray] = {}  # per ally: shock on the pair (engager, ally)
    for i, ally in enumerate(allies):
        unsupported = 1.0 - support[:, i]
        bypassed = decision.bypass_now[:, i]
        shock = s_now * (mp["strain_unilateral"] * unsupported + mp["strain_bypass"] * bypassed)
        shock += mp["strain_talks"] * prep * unsupported
        if rows.size:  # deal terms beyond the ally's tolerance, where a deal was agreed
            loss = rules.loss(
                y, s.pos[rows, ally, :][:, cast.neg], s.sal[rows, ally, :][:, cast.neg]
            )
            tol = s.param("tolerance", ally)[rows]
            excess = np.maximum(loss - tol, 0.0) / tol
            shock[rows] += talks.agreed[rows] * mp["strain_terms"][rows] * excess
        shock_of[ally] = shock
    ally_pos = {a: i for i, a in enumerate(allies)}
    out = np.zeros((s.R, len(cast.pairs)))
    for w, (i, j) in enumerate(cast.pairs):
        if e in (i, j):
            other = j if i == e else i
            if other in shock_of:
                out[:, w] = shock_of[other]
        elif i in ally_pos and j in ally_pos:
            si, sj = support[:, ally_pos[i]], support[:, ally_pos[j]]
            out[:, w] = s_now * mp["strain_split"] * (si * (1 - sj) + sj * (1 - si))
    return out


def update(s: State, cast: Cast, shock: np.ndarray) -> None:
    """Each pair's strain moves toward 1 by its shock and decays; peaks are kept."""
    for w in range(len(cast.pairs)):
        s.strain_pairs[:, w] = rules.strain_step(
            s.strain_pairs[:, w], shock[:, w], s.mp["strain_decay"]
        )
    np.maximum(s.strain_pair_peak, s.strain_pairs, out=s.strain_pair_peak)
    if cast.pairs:
        worst = s.strain_pairs.max(axis=1)
        # the wedge counts strain from the summit week on, not what came before it
        np.maximum(s.post_summit_peak, np.where(s.summit, worst, 0.0), out=s.post_summit_peak)
    index = rules.total(s.strain_pairs) / len(cast.pairs) if cast.pairs else np.zeros(s.R)
    np.maximum(s.strain_peak, index, out=s.strain_peak)
