"""Influence: actors pull on each other's positions through their ties, by the scenario's rule
(Friedkin–Johnsen compromise or probabilistic challenges), anchored to their stated positions.

Ties: self, alliances, patronage (× backing), a principal and its public, and the principals'
dialogue (× momentum). The static part changes only through events, so it is built again only
after an event; only the dialogue tie is added every week (into a scratch array, in place).
"""

from __future__ import annotations

import numpy as np

from model.scenario import Rule
from model.sim import rules
from model.sim.assessment import relief
from model.sim.cast import Cast
from model.sim.seeding import CONTESTS, Streams
from model.sim.state import State


def static_ties(s: State, cast: Cast) -> np.ndarray:
    A = len(cast.actor_ids)
    t = np.asfortranarray(np.broadcast_to(np.eye(A), (s.R, A, A)))
    for w, (i, j) in enumerate(cast.pairs):
        t[:, i, j] += s.rel_w[:, w]
        t[:, j, i] += s.rel_w[:, w]
    for p in cast.principals:
        for patron in cast.patrons[p]:
            t[:, p, patron] += s.param("backing", patron)
            t[:, patron, p] += s.param("backing", patron)
        aud = cast.audience[p]
        if aud is not None:
            t[:, p, aud] += 1.0
            t[:, aud, p] += 1.0
    return t


def tie_pattern(static: np.ndarray, cast: Cast) -> list[list[int]]:
    """Per actor i, the actors j (ascending) with a tie to i in some replication: the static
    ties' nonzeros and the principals' dialogue. The influence sums skip the rest."""
    nz = (static != 0).any(axis=0)
    e, c = cast.engager, cast.counterpart
    nz[e, c] = nz[c, e] = True
    return [np.flatnonzero(row).tolist() for row in nz]


def ties(s: State, cast: Cast) -> np.ndarray:
    """(R, A, A) influence ties this week: the static ties (rebuilt only after an event changed
    them) with the dialogue tie written into its two cells, the only ones that move weekly."""
    if s.cache.static_ties is None:
        s.cache.static_ties = static_ties(s, cast)
        s.cache.tied = tie_pattern(s.cache.static_ties, cast)
        s.cache.week_ties = s.cache.static_ties.copy(order="K")
    static, t = s.cache.static_ties, s.cache.week_ties
    assert t is not None
    e, c = cast.engager, cast.counterpart
    talk = s.mp["dialogue_tie"] * s.momentum
    np.add(static[:, e, c], talk, out=t[:, e, c])
    np.add(static[:, c, e], talk, out=t[:, c, e])
    return t


def susceptibility(s: State, cast: Cast) -> np.ndarray:
    """(R, A): 1 − stubbornness; a backed principal is harder to move (÷ (1 + β_S B))."""
    lam = np.subtract(1.0, s.actor_param["stubbornness"])  # a new array, in the state's layout
    for p in cast.principals:
        lam[:, p] /= 1.0 + s.mp["backing_resolve"] * relief(s, cast, p)
    return lam


def exchange(s: State, cast: Cast, streams: Streams) -> None:
    """One week of influence: every actor moves part of the way to its target, anchored."""
    t = ties(s, cast)
    if s.rule is Rule.COMPROMISE:
        if s.cache.weights is None:  # capability × salience: changes only through events
            s.cache.weights = s.cap[:, :, None] * s.sal
        else:  # an event wrote these actors' salience or capability: their rows only
            for actor in s.cache.stale_weights:
                i = cast.actor_ids.index(actor)
                np.multiply(s.cap[:, i, None], s.sal[:, i, :], out=s.cache.weights[:, i, :])
        s.cache.stale_weights.clear()
        target = rules.friedkin_johnsen_target(
            s.pos,
            t,
            s.sal,
            s.cap,
            weights=s.cache.weights,
            work=s.buffer("fj", s.pos.shape),
            tied=s.cache.tied,
        )
    else:
        A, K = s.pos.shape[1:]
        u = streams.uniform(CONTESTS, A, A, K)
        target, _ = rules.challenge_target(
            s.pos, s.sal, s.cap, t, u, s.mp["challenge_step"], s.mp["challenge_cost"]
        )
    rules.anchored_update(
        s.pos, s.pos0, target, susceptibility(s, cast), s.mp["influence_rate"], out=s.pos
    )
