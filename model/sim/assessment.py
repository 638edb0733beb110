"""The weekly assessment: what each leader expects of a summit this week (docs/MODEL.md §3; the
terms of the gain, §4).

Once a week, after the events, both principals assess the same things: the deal a summit would
produce (the bargain of their positions, weighted by capability and patron backing), the chance
that every ratifier accepts it, each ally's support, and the terms of their own expected gain.
Signals and the decision of the week both rest on this one assessment (leaders act on what they
know at the week's start).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.sim import rules
from model.sim.cast import Cast
from model.sim.state import State, columns


@dataclass(frozen=True)
class Assessment:
    deal: np.ndarray  # (R, K_negotiated) the deal a summit would produce now
    p_agree: np.ndarray  # (R,) both principals' estimate that every ratifier accepts it
    support: dict[int, np.ndarray]  # principal → (R, its allies) each ally's support


def relief(s: State, cast: Cast, principal: int) -> np.ndarray:
    """Isolation relief B of a principal from its patrons' backing (0 = isolated)."""
    cached = s.cache.relief.get(principal)
    if cached is not None:
        return cached
    patrons = cast.patrons[principal]
    if not patrons:
        value = np.zeros(s.R)
    else:
        backing = columns([s.param("backing", p) for p in patrons])
        value = rules.isolation_relief(backing)
    s.cache.relief[principal] = value
    return value


def expected_deal(s: State, cast: Cast) -> np.ndarray:
    """The deal the principals expect a summit to produce now, (R, K_negotiated)."""
    cap = columns(
        [s.cap[:, p] * (1.0 + s.mp["backing_power"] * relief(s, cast, p)) for p in cast.principals]
    )
    pos = s.block(s.pos, cast.principals, cast.neg)
    sal = s.block(s.sal, cast.principals, cast.neg)
    return rules.bargain(pos, sal, cap)


def ratify_chance(s: State, cast: Cast, y: np.ndarray) -> np.ndarray:
    """Both principals' estimate that every ratifier accepts ``y``."""
    scale = np.maximum(s.mp["bargain_noise"], 1.0)[:, None] / rules.SCALE
    tol = columns([s.param("tolerance", r) for r in cast.ratifiers])
    pos = s.block(s.pos, cast.ratifiers, cast.neg)
    sal = s.block(s.sal, cast.ratifiers, cast.neg)
    return rules.product(rules.ratify_probability(y[:, None, :], pos, sal, tol, scale))


def ally_support(s: State, principal: int, ally: int) -> np.ndarray:
    """(R,) an ally's support for its principal's summit: consulted × openness × closeness."""
    agenda_loss = rules.loss(s.pos[:, principal, :], s.pos[:, ally, :], s.sal[:, ally, :])
    return rules.ally_support(
        s.param("consulted", ally),
        s.param("openness", ally),
        agenda_loss,
        s.param("tolerance", ally),
    )


def ties_with(s: State, cast: Cast, principal: int) -> np.ndarray:
    """(R, n_allies): alliance weight between the principal and each of its allies."""
    cols = []
    for relations in cast.ally_relations(principal):
        w = np.zeros(s.R)
        for r in relations:
            w = w + s.rel_w[:, r]
        cols.append(w)
    return columns(cols)


def ally_shares(s: State, cast: Cast, principal: int) -> np.ndarray:
    """(R, n_allies): how much the principal weighs each ally, by their alliance tie."""
    cached = s.cache.shares.get(principal)
    if cached is None:
        ties = ties_with(s, cast, principal)
        total = rules.total(ties)
        cached = ties / np.maximum(total, 1e-12)[:, None]
        s.cache.shares[principal] = cached
        none = total <= 0
        s.cache.weightless[principal] = none if none.any() else None
    return cached


def weightless(s: State, cast: Cast, principal: int) -> np.ndarray | None:
    """(R,) the rows where every alliance tie of the principal weighs 0, so its shares are all 0;
    None if there is no such row (the usual case). Kept with the shares: they change together."""
    ally_shares(s, cast, principal)
    return s.cache.weightless[principal]


def cohesion_care(s: State, cast: Cast, me: int) -> np.ndarray:
    """How much a principal cares about the issues off the table (alliance cohesion), 0–1."""
    if not cast.non_neg.size:
        return np.ones(s.R)
    return rules.total(s.sal[:, me, cast.non_neg]) / cast.non_neg.size


def engager_strain(s: State, cast: Cast) -> np.ndarray:
    """(R, allies) current strain of each pair (engager, ally)."""
    e = cast.engager
    cols = []
    for relations in cast.ally_relations(e):
        col = np.zeros(s.R)
        for r in relations:
            col = np.maximum(col, s.strain_pairs[:, r])
        cols.append(col)
    return columns(cols) if cols else np.zeros((s.R, 0))


def strain_cost(s: State, cast: Cast) -> np.ndarray:
    """(R,) the engager's cost of its allies' strain above what it tolerates (feedback)."""
    if not cast.allies[cast.engager]:
        return np.zeros(s.R)
    excess = np.maximum(engager_strain(s, cast) - s.mp["strain_tolerance"][:, None], 0.0)
    shares = ally_shares(s, cast, cast.engager)
    return s.mp["strain_feedback"] * rules.total(shares * excess)


def gain_parts(s: State, cast: Cast, now: Assessment, me: int) -> dict[str, np.ndarray]:
    """The terms of a principal's expected gain from meeting this week (docs/MODEL.md §4)."""
    y, p_agree = now.deal, now.p_agree
    other = cast.other(me)
    mp = s.mp
    mine_neg = (s.pos[:, me, :][:, cast.neg], s.sal[:, me, :][:, cast.neg])
    sq = s.status_quo[:, cast.neg]
    deal = p_agree * (rules.loss(sq, *mine_neg) - rules.loss(y, *mine_neg))
    meeting = s.param("meeting_value", me) + mp["backing_engagement"] * relief(s, cast, me)
    zero = np.zeros(s.R)
    alliance = zero
    if cast.allies[me]:
        unsupported = 1.0 - now.support[me]
        care = cohesion_care(s, cast, me)
        alliance = mp["alliance_cost"] * care * rules.total(ally_shares(s, cast, me) * unsupported)
    audience = zero
    aud = cast.audience[me]
    if aud is not None:
        stake = rules.total(s.sal[:, aud, :][:, cast.neg])
        audience = mp["audience_cost"] * (1.0 - p_agree) * stake
    wedge = zero
    if cast.allies[other] and cast.non_neg.size:
        # Crawford (2011): a wedge is worth what it splits; how far we sit below the other
        # principal on the issues off the table (alliance cohesion), weighted by our salience
        nn = cast.non_neg
        gap = np.maximum(s.pos[:, other, :][:, nn] - s.pos[:, me, :][:, nn], 0)
        want = rules.total(s.sal[:, me, :][:, nn] * gap) / (nn.size * rules.SCALE)
        unsupported = 1.0 - now.support[other]
        shock = mp["strain_unilateral"] * rules.total(ally_shares(s, cast, other) * unsupported)
        wedge = mp["wedge_value"] * want * shock
    # feedback: above the strain it tolerates, the engager slows or pauses the track
    strain = strain_cost(s, cast) if me == cast.engager else zero
    return {
        "deal": deal,
        "meeting": meeting,
        "wedge": wedge,
        "alliance": alliance,
        "audience": audience,
        "strain": strain,
    }
