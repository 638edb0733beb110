"""Alliance strain per pair, a weekly state with causes (docs/MODEL.md §9).

The engager's allies fear abandonment when it moves towards the other side without them (Snyder
1984, the alliance security dilemma; Cha 1999 on the US–Japan–ROK quasi-alliance). Each week a
pair's strain is first repaired, then shocked:

- recovery: a half-life, faster when the engager consults the ally well (consultation quality:
  how far it consulted, times how much of the ally's position its stance keeps), and faster
  under an external threat (provocations and the other side's patron backing pull allies
  together: Walt 1987, balance of threat);
- shocks: unilateral moves (a summit or preparatory talks the ally does not support, a bypass),
  the engager's stance drifting away from the ally's positions, weighted by the ally's saliences,
  and agreed concessions in proportion to what they cost the ally on each issue it cares about,
  so relief on sanctions strains Washington and Seoul more than a deal on the abductees alone;
- between two allies: a split when one backs the track and the other does not.

Strain feeds back into the engager's expected gain (`assessment.gain_parts`, the "strain" term):
above what it tolerates, it slows or pauses the track.
"""

from __future__ import annotations

import numpy as np

from model.sim import rules
from model.sim.assessment import ally_shares, engager_strain, relief
from model.sim.cast import Cast
from model.sim.decision import Decision
from model.sim.negotiation import Negotiation
from model.sim.state import CHECKPOINT, State


def consult_quality(s: State, cast: Cast, stance_loss: np.ndarray) -> np.ndarray:
    """(R, allies) q_a = consulted_a · exp(−L_a(x_E) / τ_a): consulted, and listened to."""
    allies = cast.allies[cast.engager]
    q = np.empty_like(stance_loss)
    for i, a in enumerate(allies):
        q[:, i] = s.param("consulted", a) * np.exp(-stance_loss[:, i] / s.param("tolerance", a))
    return q


def threat(s: State, cast: Cast) -> np.ndarray:
    """(R,) Θ = min(1, provocations' threat + β_T · B_counterpart)."""
    backing = s.mp["backing_threat"] * relief(s, cast, cast.counterpart)
    return np.minimum(1.0, s.threat + backing)


def shocks(
    s: State,
    cast: Cast,
    support: np.ndarray,
    decision: Decision,
    talks: Negotiation,
    d_momentum: np.ndarray,
    stance_loss: np.ndarray,
    signal: np.ndarray,
    quality: np.ndarray,
) -> np.ndarray:
    """(R, pairs) this week's shock to each alliance pair; ``signal`` is the engager's (0–1),
    ``quality`` each ally's consultation quality (`consult_quality`)."""
    mp = s.mp
    e = cast.engager
    allies = cast.allies[e]
    s_now = decision.summit_now.astype(float)
    prep = np.maximum(d_momentum, 0.0)
    rows, y = talks.rows, talks.offer  # this week's summits and their offers
    shock_of: dict[int, np.ndarray] = {}  # per ally: shock on the pair (engager, ally)
    for i, ally in enumerate(allies):
        unsupported = 1.0 - support[:, i]
        shock = unsupported * (mp["strain_unilateral"] * s_now + mp["strain_talks"] * prep)
        shock += mp["strain_bypass"] * s_now * decision.bypass_now[:, i]
        # warm signals to the other side and the engager's stance moving away from the ally's
        # positions, unless agreed with it: in proportion to how far (in the ally's saliences)
        unheard = 1.0 - quality[:, i]
        distance = stance_loss[:, i] / s.param("tolerance", ally)
        shock += mp["strain_signals"] * signal * unheard * distance
        drift = np.maximum(stance_loss[:, i] - s.stance_loss[:, i], 0.0)
        shock += mp["strain_drift"] * unheard * drift
        if rows.size:  # concessions the ally must live with, where a deal was agreed
            neg = cast.neg
            pos, sal = s.pos[rows, ally, :][:, neg], s.sal[rows, ally, :][:, neg]
            tol = s.param("tolerance", ally)[rows]
            deal_loss = rules.loss(y, pos, sal)
            added = np.maximum(deal_loss - rules.loss(s.status_quo[rows][:, neg], pos, sal), 0)
            agreed = talks.agreed[rows]
            shock[rows] += agreed * mp["strain_terms"][rows] * added / tol
            s.deal_beyond_ally[rows] |= agreed & (deal_loss > tol)
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
            out[:, w] = (s_now + prep) * mp["strain_split"] * (si * (1 - sj) + sj * (1 - si))
    return out


def recovery(s: State, cast: Cast, quality: np.ndarray) -> np.ndarray:
    """(R, pairs) share of each pair's strain repaired this week.

    δ_π = min(1, δ_0 (1 + ρ q_a) + θ Θ) for the pair (engager, a); δ_0 + θ Θ for other pairs;
    δ_0 = 1 − 2^(−1/h) from the half-life h."""
    base = 1.0 - np.exp2(-1.0 / s.mp["strain_half_life"])
    pull = s.mp["threat_pull"] * threat(s, cast)
    ally_ix = {a: i for i, a in enumerate(cast.allies[cast.engager])}
    out = np.empty((s.R, len(cast.pairs)))
    for w, (i, j) in enumerate(cast.pairs):
        other = j if i == cast.engager else i if j == cast.engager else None
        if other is not None and other in ally_ix:
            out[:, w] = base * (1.0 + s.mp["consult_repair"] * quality[:, ally_ix[other]])
        else:
            out[:, w] = base
        out[:, w] += pull
    return np.minimum(out, 1.0)


def stance_losses(s: State, cast: Cast) -> np.ndarray:
    """(R, allies) each ally's loss at the engager's current stance, over all issues."""
    e = cast.engager
    allies = cast.allies[e]
    out = np.empty((s.R, len(allies)))
    for i, a in enumerate(allies):
        out[:, i] = rules.loss(s.pos[:, e, :], s.pos[:, a, :], s.sal[:, a, :])
    return out


def update(
    s: State, cast: Cast, shock: np.ndarray, repair: np.ndarray, week: int, stance: np.ndarray
) -> None:
    """Each pair's strain is repaired, then shocked; peaks, the path and the threat move on."""
    for w in range(len(cast.pairs)):
        s.strain_pairs[:, w] = rules.strain_step(s.strain_pairs[:, w], shock[:, w], repair[:, w])
    np.maximum(s.strain_pair_peak, s.strain_pairs, out=s.strain_pair_peak)
    index = rules.total(s.strain_pairs) / len(cast.pairs) if cast.pairs else np.zeros(s.R)
    np.maximum(s.strain_peak, index, out=s.strain_peak)
    s.weeks_high += index >= s.th["high_strain"]
    if (week + 1) % CHECKPOINT == 0 and (week + 1) // CHECKPOINT <= s.strain_path.shape[1]:
        s.strain_path[:, (week + 1) // CHECKPOINT - 1] = index
    s.stance_loss[:] = stance
    s.threat *= np.exp2(-1.0 / s.mp["threat_half_life"])  # a provocation's effect fades


def coordination(s: State, cast: Cast) -> np.ndarray:
    """(R,) coordination on the off-table issues: the engager's stance there, discounted by the
    strain with its allies, C = mean_k x_{E,k} · (1 − Σ_a w_a σ_{E,a})."""
    nn = cast.non_neg
    if not nn.size:
        return np.full(s.R, np.nan)
    stance = rules.total(s.pos[:, cast.engager, :][:, nn]) / nn.size
    if not cast.allies[cast.engager]:
        return stance
    felt = rules.total(ally_shares(s, cast, cast.engager) * engager_strain(s, cast))
    return stance * (1.0 - felt)


def wedge(s: State, cast: Cast) -> np.ndarray:
    """(R,) bool: the other side gained a split of the alliance from the summit track — after a
    summit, coordination ends `wedge_margin` points below its status quo, or an agreed deal lies
    outside an ally's win-set (docs/MODEL.md §9.4)."""
    nn = cast.non_neg
    split = np.zeros(s.R, dtype=bool)
    if nn.size:
        status_quo = rules.total(s.status_quo[:, nn]) / nn.size
        split = coordination(s, cast) < status_quo - s.th["wedge_margin"]
    return s.summit & (split | s.deal_beyond_ally)
