"""Forecasting rules for a negotiation: from actors' positions, saliences and capabilities to the
outcome on each issue.

Six rules, compared on real EU negotiations in docs/VALIDATION.md:

- ``compromise``: the capability × salience weighted mean (Achen 2006), `rules.compromise`.
- ``median``: the capability × salience weighted median (the median voter of the weighted votes).
- ``eu``: Bueno de Mesquita's expected-utility challenge model as written out by Scholz, Calbert &
  Smith (2011), corrected (see `eu_round`).
- ``ktab``: a KTAB-style probabilistic model (Wise et al. 2015): actors propose bargains at the
  expected result of a contest and each settles one of its bargains, drawn at random.
- ``fj``: the summit model's ``compromise`` rule, Friedkin–Johnsen dynamics
  (`rules.friedkin_johnsen_target`, which weights by `rules.influence_weights`, and
  `rules.anchored_update`) with all-to-all ties, run to convergence.
- ``challenge``: the summit model's ``challenge`` rule (`rules.challenge_target` and
  `rules.anchored_update`), run for a fixed number of rounds.

The dynamic rules end with a set of positions; their forecast is the compromise of those final
positions, the group decision of Friedkin & Johnsen (1999), except ``eu``, whose forecast is the
weighted median of the final positions, as in Bueno de Mesquita (1994). Every function takes
arrays with leading axes (replications, …) before the actor axis A and the issue axis K;
randomness comes only from a numpy Generator passed in.

Absent actors are given salience 0: every rule gives an actor with zero salience (or zero
capability) no influence on the outcome, which the tests check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

import numpy as np

from model.sim import rules
from model.sim.rules import SCALE, Array, BoolArray


class Rule(StrEnum):
    COMPROMISE = "compromise"
    MEDIAN = "median"
    EU = "eu"
    KTAB = "ktab"
    FJ = "fj"
    CHALLENGE = "challenge"


STOCHASTIC = frozenset({Rule.KTAB, Rule.CHALLENGE})
EU_ZERO = 1e-12  # expected utilities closer to 0 than this count as 0 (rounding of a sum)


@dataclass(frozen=True)
class Settings:
    """Constants of the dynamic rules. Defaults are the summit model's (model/scenario.py) where it
    has the same constant, else the published model's; none was tuned on outcome data."""

    eu_rounds: int = 50  # bargaining rounds, at most
    eu_q: float = 1.0  # Q: chance an unchallenged actor keeps its position (Scholz et al. 2011)
    eu_t: float = 1.0  # T: chance a move by others is for the better
    ktab_rounds: int = 50
    ktab_power: float = 2.0  # victory probability ∝ support^power (KTAB's "quadratic" model)
    fj_rounds: int = 2000
    tolerance: float = 1e-3  # points; a deterministic rule stops when no one moves more
    influence_rate: float = 0.15  # share of the way to the target moved per round (summit default)
    stubbornness: float | None = None  # weight on the initial position; None: the actor's salience
    challenge_rounds: int = 52  # rounds (weeks in the summit model)
    challenge_step: float = 0.3  # summit default
    challenge_cost: float = 0.1  # summit default


DEFAULT = Settings()
# elements of one (replications, A, A, A, K) temporary computed at once (0.56 MB). Of 16k–150k
# tried on the ktab and challenge forecasts at 12–28 actors, 50k–100k were fastest; from 100k on,
# allocations start to fault in fresh pages (system time), below 50k per-call overhead grows
CACHE_BLOCK = 70_000


def replication_blocks(runs: int, n_actors: int, n_issues: int = 1) -> list[slice]:
    """Split ``runs`` replications into blocks whose (r, A, A, A, K) temporaries (the pairwise
    contests of the stochastic rules) stay near `CACHE_BLOCK` elements.

    The rules are elementwise across replications, so a block's numbers are the same as when all
    replications are computed together; small temporaries stay in cache, which at 15–30 actors is
    about twice as fast (measured: 12.4 ms for 50 replications of 28 actors at once, 5.3 ms in
    blocks of 5).
    """
    size = max(1, CACHE_BLOCK // max(1, n_actors**3 * n_issues))
    blocks = -(-runs // size)
    edges = [round(i * runs / blocks) for i in range(blocks + 1)]
    return [slice(lo, hi) for lo, hi in pairwise(edges)]


# ---------------------------------------------------------------- static rules
def salience_weights(sal: Array, cap: Array) -> Array:
    """w_ik = c_i s_ik: (..., A, K)."""
    return cap[..., :, None] * sal


def weighted_median(pos: Array, weight: Array) -> Array:
    """The weighted median of positions along the actor axis: (..., A, K) → (..., K).

    Where a cumulative weight lands exactly on half the total (an even split), the midpoint of the
    two middle positions, so the result does not depend on the order of the actors.
    """
    order = np.argsort(pos, axis=-2, kind="stable")
    x = np.take_along_axis(pos, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(weight, order, axis=-2), axis=-2)
    half = 0.5 * cum[..., -1:, :]
    eps = 1e-9 * half  # floating sums must not turn an exact split into a near one
    lower = np.argmax(cum >= half - eps, axis=-2)
    upper = np.argmax(cum > half + eps, axis=-2)
    lo = np.take_along_axis(x, lower[..., None, :], axis=-2)[..., 0, :]
    hi = np.take_along_axis(x, upper[..., None, :], axis=-2)[..., 0, :]
    return 0.5 * (lo + hi)


def median_forecast(pos: Array, sal: Array, cap: Array) -> Array:
    return weighted_median(pos, salience_weights(sal, cap))


# ---------------------------------------------------------------- shared pieces
def compromise(pos: Array, sal: Array, cap: Array) -> Array:
    """`rules.compromise`, the same numbers, its sums over actors taken by ``np.add.accumulate``.

    `rules.total` adds the actors' slices one after another in Python, which is fastest for the
    2–7 actors of a summit; at the 20–30 of an EU negotiation the loop is a quarter of a KTAB
    round. An accumulate adds the same terms in the same order (it never sums pairwise), so the
    result is bit-identical (tested); an issue nobody cares about goes to `rules.compromise`.
    """
    w = cap[..., :, None] * sal
    den = np.add.accumulate(w, axis=-2)[..., -1, :]
    if not (den > 0).all():
        return rules.compromise(pos, sal, cap)
    return np.add.accumulate(w * pos, axis=-2)[..., -1, :] / den


def pair_gaps(pos: Array) -> Array:
    """d[..., i, j, k] = |x_ik − x_jk| / 100."""
    return np.abs(pos[..., :, None, :] - pos[..., None, :, :]) / SCALE


def support(pos: Array, weight: Array) -> tuple[Array, Array]:
    """Weighted votes in every pairwise contest: (for i over j, for j over i), each (..., i, j, k).

    Actor m gives i over j the vote w_m (|x_m − x_j| − |x_m − x_i|) / 100 when positive (Bueno de
    Mesquita 1994; Scholz et al. 2011, section 4); its negative part is support for j. The votes
    are antisymmetric in floating point too (a − b = −(b − a) exactly), so the support for j over
    i is the transpose of the support for i over j, not a second sum.
    """
    d = pair_gaps(pos)  # (..., m, i, k)
    v = weight[..., :, None, None, :] * (d[..., :, None, :, :] - d[..., :, :, None, :])
    pro = np.sum(np.maximum(v, 0.0), axis=-4)
    return pro, np.swapaxes(pro, -3, -2)


def active(sal: Array, cap: Array) -> BoolArray:
    """Actors that take part in the bargaining over an issue: capability × salience > 0."""
    return salience_weights(sal, cap) > 0


def weighted_actors(sal: Array, cap: Array) -> np.ndarray | None:
    """Indices of the actors with capability × salience > 0 somewhere (any issue, any leading
    index); None when that is every actor, or none.

    Every rule gives the other actors no influence on anyone (tested), so the stochastic rules
    leave them out of their (R, A, A, A) contests: 13% less work on DEU III, where 5% of the
    participants have salience 0. Random numbers are still drawn for every actor and then
    subset, so no one else's draws change.
    """
    w = active(sal, cap)
    keep = np.flatnonzero(np.any(w, axis=(*range(w.ndim - 2), w.ndim - 1)))
    return None if keep.size in (0, w.shape[-2]) else keep


# ---------------------------------------------------------------- expected utility (BdM/Scholz)
def eu_challenge(
    pos: Array, sal: Array, cap: Array, q: float, t: float
) -> tuple[Array, Array, BoolArray]:
    """Expected utilities EU[..., i, j, k] of i challenging j, with risk exponents; and P, live.

    Scholz et al. (2011), sections 2–5, positions on [0, 1] = x/100:
      U^s = 2 − 4(½ − ½d)^r,  U^f = 2 − 4(½ + ½d)^r,  U^b = 2 − 4(½ − ¼(|x_i − μ| + d))^r,
      U^w = 2 − 4(½ + ¼(|x_i − μ| + d))^r,  U^sq = 2 − 4(½)^r,  d = |x_i − x_j|
      EU_i(ij) = s_j (P U^s + (1 − P) U^f) + (1 − s_j) U^s − Q U^sq − (1 − Q)(T U^b + (1 − T) U^w)
    The status-quo bracket is subtracted whole: public code subtracts Q U^sq and then *adds* the
    (1 − Q) term, a sign error that only shows when Q < 1. μ is the compromise. The risk exponent
    r_i = (1 − R_i/3)/(1 + R_i/3), R_i = (2 S_i − S_max − S_min)/(S_max − S_min), S_i the sum of the
    others' expected utility of challenging i (r = 1 while computing S); S_max and S_min run over
    active actors only, so an actor that takes no part cannot change anyone's risk attitude.
    """
    w = salience_weights(sal, cap)
    live = active(sal, cap)
    pair_live = live[..., :, None, :] & live[..., None, :, :]
    pair_live &= ~np.eye(pos.shape[-2], dtype=bool)[:, :, None]
    pro, con = support(pos, w)
    total = pro + con
    p = np.where(total > 0, pro / np.where(total > 0, total, 1.0), 0.5)
    d = pair_gaps(pos)
    mu = rules.compromise(pos, sal, cap)
    off_mu = np.abs(pos - mu[..., None, :])[..., :, None, :] / SCALE  # (..., i, 1, k)
    s_j = sal[..., None, :, :]
    one = np.ones((*pos.shape[:-2], pos.shape[-2], 1, pos.shape[-1]))

    def expected(r: Array) -> Array:
        us = 2 - 4 * (0.5 - 0.5 * d) ** r
        uf = 2 - 4 * (0.5 + 0.5 * d) ** r
        ub = 2 - 4 * np.clip(0.5 - 0.25 * (off_mu + d), 0.0, None) ** r
        uw = 2 - 4 * (0.5 + 0.25 * (off_mu + d)) ** r
        usq = 2 - 4 * 0.5**r
        status_quo = q * usq + (1 - q) * (t * ub + (1 - t) * uw)
        eu = s_j * (p * us + (1 - p) * uf) + (1 - s_j) * us - status_quo
        return np.where(pair_live, eu, 0.0)

    security = np.sum(expected(one), axis=-3)  # (..., j, k): what others expect from challenging j
    s_max = np.max(np.where(live, security, -np.inf), axis=-2, keepdims=True)
    s_min = np.min(np.where(live, security, np.inf), axis=-2, keepdims=True)
    spread = s_max - s_min
    ok = np.isfinite(spread) & (spread > 0)
    big_r = np.where(ok & live, (2 * security - s_max - s_min) / np.where(ok, spread, 1.0), 0.0)
    r = (1 - big_r / 3) / (1 + big_r / 3)  # in [0.5, 2] for active actors, 1 for the rest
    return expected(r[..., :, None, :]), p, pair_live


def eu_round(pos: Array, sal: Array, cap: Array, q: float = 1.0, t: float = 1.0) -> Array:
    """One simultaneous round of the expected-utility model; returns the new positions.

    i makes j an offer when EU_i(ij) > 0. j's answer depends on its own EU_j(ji):
      conflict     (EU_j(ji) > 0): j expects to concede with the chance it loses, P_ij, so the
                   offer asks j to move that share of the way to x_i;
      compromise   (EU_j(ji) ≤ 0, |EU_j(ji)| < EU_i(ij)): the share |EU_j(ji)| / EU_i(ij);
      capitulation (EU_j(ji) ≤ 0, |EU_j(ji)| ≥ EU_i(ij)): all the way to x_i.
    Compromise and capitulation join continuously (the share reaches 1 at the boundary), so
    capitulation does fire, unlike re-implementations whose test for it can never be true. Each
    actor takes, of the offers it receives, the one asking the smallest move (Bueno de Mesquita
    1994), and all actors move at once: the result never depends on the order of the actors, as it
    does when actors jump to an offer one after another within a round.
    """
    eu, p, live = eu_challenge(pos, sal, cap, q, t)
    eu_back = np.swapaxes(eu, -3, -2)  # [i, j] = EU_j(ji)
    gap = pos[..., :, None, :] - pos[..., None, :, :]  # [i, j] = x_i − x_j
    # actors at one position have nothing to contest; their EU is 0 up to rounding, whose sign
    # would otherwise depend on the order of the actors
    offer = live & (eu > EU_ZERO) & (gap != 0)
    safe = np.where(offer, eu, 1.0)
    share = np.where(eu_back > EU_ZERO, p, np.minimum(1.0, np.abs(eu_back) / safe))
    move = np.where(offer, share * gap, np.nan)  # j's move under i's offer
    smallest = np.argmin(np.where(np.isnan(move), np.inf, np.abs(move)), axis=-3)
    chosen = np.take_along_axis(move, smallest[..., None, :, :], axis=-3)[..., 0, :, :]
    return pos + np.where(np.isnan(chosen), 0.0, chosen)


def eu_forecast(pos: Array, sal: Array, cap: Array, settings: Settings = DEFAULT) -> Array:
    """Bargain until no one moves (or ``eu_rounds``); forecast the weighted median of the final
    positions, the median voter of Bueno de Mesquita (1994).

    Actors without weight make and receive no offers and carry no weight in the median, so they
    are left out (`weighted_actors`)."""
    keep = weighted_actors(sal, cap)
    if keep is not None:
        pos, sal, cap = pos[..., keep, :], sal[..., keep, :], cap[..., keep]
    x = pos
    for _ in range(settings.eu_rounds):
        new = eu_round(x, sal, cap, settings.eu_q, settings.eu_t)
        done = np.max(np.abs(new - x), initial=0.0) < settings.tolerance
        x = new
        if done:
            break
    return weighted_median(x, salience_weights(sal, cap))


# ---------------------------------------------------------------- KTAB-style probabilistic model
def ktab_round(pos: Array, sal: Array, cap: Array, u: Array, power: float = 2.0) -> Array:
    """One round of a KTAB-style bargaining model; u: (..., A, A, K) uniforms, u[m, n] for m's
    choice of n's bargain. Returns the new positions.

    In the spirit of KTAB's spatial model of politics (Wise et al. 2015):
      victory   P_ij = S_ij^n / (S_ij^n + S_ji^n), S the weighted votes of `support` (n = 2,
                KTAB's quadratic victory model);
      bargain   B_ij = P_ij x_i + (1 − P_ij) x_j, the expected result of an i–j contest;
      proposal  i proposes to the j whose bargain most improves the compromise outcome y for i,
                G_ij = s_i (|y − x_i| − |y_B − x_i|), y_B the outcome with i and j both at B_ij,
                when that gain is positive;
      choice    every actor settles one of the bargains it is party to (its own proposal or one
                received), drawn with probability ∝ the partner's capability × salience.
    The draw is a Gumbel-max over pairs, so relabelling the actors (with their draws) changes
    nothing, and all actors move at once.
    """
    w = salience_weights(sal, cap)
    live = active(sal, cap)
    a = pos.shape[-2]
    pair_live = live[..., :, None, :] & live[..., None, :, :] & ~np.eye(a, dtype=bool)[:, :, None]
    pro, con = support(pos, w)
    pro_n, con_n = pro**power, con**power
    total = pro_n + con_n
    p = np.where(total > 0, pro_n / np.where(total > 0, total, 1.0), 0.5)
    x_i = pos[..., :, None, :]
    x_j = pos[..., None, :, :]
    bargain = p * x_i + (1 - p) * x_j  # symmetric: B_ij = B_ji
    w_i = w[..., :, None, :]
    w_j = w[..., None, :, :]
    y = compromise(pos, sal, cap)[..., None, None, :]
    y_b = (
        y + (w_i * (bargain - x_i) + w_j * (bargain - x_j)) / np.sum(w, axis=-2)[..., None, None, :]
    )
    gain = np.where(pair_live, sal[..., :, None, :] * (np.abs(y - x_i) - np.abs(y_b - x_i)), 0.0)
    target = np.argmax(gain, axis=-2)  # (..., i, k)
    proposes = np.take_along_axis(gain, target[..., :, None, :], axis=-2)[..., 0, :] > 0
    proposal = (np.arange(a)[:, None] == target[..., :, None, :]) & proposes[..., :, None, :]
    party = proposal | np.swapaxes(proposal, -3, -2)  # [m, n]: m is party to a bargain with n
    gumbel = -np.log(-np.log(np.clip(u, 1e-300, 1.0 - 1e-16)))
    # a party's partner is live, so its weight is > 0: its log is taken once per actor
    log_w_j = np.log(np.where(w > 0, w, 1.0))[..., None, :, :]
    score = np.where(party, log_w_j + gumbel, -np.inf)
    pick = np.argmax(score, axis=-2)  # (..., m, k)
    settled = np.any(party, axis=-2)
    offers = np.broadcast_to(bargain, score.shape)  # draws may carry more leading axes than pos
    new = np.take_along_axis(offers, pick[..., :, None, :], axis=-2)[..., 0, :]
    return np.where(settled, new, pos)


def ktab_forecast(
    pos: Array, sal: Array, cap: Array, rng: np.random.Generator, runs: int, settings: Settings
) -> Array:
    """(runs, ..., K): the compromise of the positions once no one moves (or ``ktab_rounds``).

    Actors without weight never settle a bargain (they are in no live pair), so they neither move
    nor move anyone: they are left out (`weighted_actors`)."""
    a = pos.shape[-2]
    keep = weighted_actors(sal, cap)
    if keep is not None:
        pos, sal, cap = pos[..., keep, :], sal[..., keep, :], cap[..., keep]
    x = np.broadcast_to(pos, (runs, *pos.shape)).copy()
    blocks = replication_blocks(runs, x.shape[-2], pos.shape[-1])
    for _ in range(settings.ktab_rounds):
        u = rng.random((*x.shape[:-2], a, a, x.shape[-1]))
        if keep is not None:
            u = u[..., keep[:, None], keep, :]
        new = np.empty_like(x)
        for b in blocks:
            new[b] = ktab_round(x[b], sal, cap, u[b], settings.ktab_power)
        done = np.max(np.abs(new - x), initial=0.0) < settings.tolerance
        x = new
        if done:
            break
    return rules.compromise(x, sal, cap)


# ---------------------------------------------------------------- the summit model's rules
def susceptibility(sal: Array, settings: Settings) -> Array:
    """λ (..., A) for a one-issue slice sal (..., A, 1): 1 − stubbornness.

    By default an actor's stubbornness is its salience on the issue: actors who care more resist
    being moved (salience as resolve, Bueno de Mesquita 1994; anchoring, Friedkin & Johnsen 1999).
    """
    if settings.stubbornness is not None:
        return np.full(sal.shape[:-1], 1.0 - settings.stubbornness)
    return 1.0 - sal[..., 0]


def all_ties(n_actors: int) -> Array:
    """Everyone listens to everyone, self included: the negotiating room of a forecast."""
    return np.ones((n_actors, n_actors))


def by_issue(
    pos: Array, sal: Array, cap: Array, one: Callable[[Array, Array, Array], Array]
) -> Array:
    """Run a one-issue rule on each issue in turn, so each forecast depends on its issue only
    (stubbornness is per issue; `rules.anchored_update` takes one susceptibility per actor)."""
    cols = [one(pos[..., k : k + 1], sal[..., k : k + 1], cap) for k in range(pos.shape[-1])]
    return np.concatenate(cols, axis=-1)


def fj_forecast(pos: Array, sal: Array, cap: Array, settings: Settings = DEFAULT) -> Array:
    """Friedkin–Johnsen dynamics with all-to-all ties to (near) convergence; the compromise of the
    final positions.

    With every actor weighting every other by c_j s_j, the network's pull is the same compromise
    point m for all, and the fixed point is x_i = λ_i m + (1 − λ_i) x_i(0). Hence the forecast
    m = Σ c_i s_i (1 − λ_i) x_i(0) / Σ c_i s_i (1 − λ_i): with equal stubbornness it is exactly the
    compromise model; with stubbornness = salience it weights positions by c s².
    """

    def one(x0: Array, s: Array, c: Array) -> Array:
        ties = all_ties(x0.shape[-2])
        lam = susceptibility(s, settings)
        x = x0
        for _ in range(settings.fj_rounds):
            target = rules.friedkin_johnsen_target(x, ties, s, c)
            new = rules.anchored_update(x, x0, target, lam, settings.influence_rate)
            done = np.max(np.abs(new - x), initial=0.0) < settings.tolerance * 1e-3
            x = new
            if done:
                break
        return rules.compromise(x, s, c)

    return by_issue(pos, sal, cap, one)


def challenge_forecast(
    pos: Array, sal: Array, cap: Array, rng: np.random.Generator, runs: int, settings: Settings
) -> Array:
    """(runs, ..., K): the summit model's challenge rule for ``challenge_rounds`` rounds, anchored
    as in the summit model; the compromise of the final positions.

    An actor without weight never challenges (its gain is 0) and moves no one (no one's influence
    weight is on it), so it is left out (`weighted_actors`); where it would have moved has weight
    0 in the final compromise."""

    def one(x1: Array, s: Array, c: Array) -> Array:
        a = x1.shape[-2]
        keep = weighted_actors(s, c)
        if keep is not None:
            x1, s, c = x1[..., keep, :], s[..., keep, :], c[..., keep]
        ties = all_ties(x1.shape[-2])
        lam = susceptibility(s, settings)
        x0 = np.broadcast_to(x1, (runs, *x1.shape))
        x = x0.copy()
        blocks = replication_blocks(runs, x1.shape[-2])
        for _ in range(settings.challenge_rounds):
            u = rng.random((*x.shape[:-2], a, a, 1))
            if keep is not None:
                u = u[..., keep[:, None], keep, :]
            new = np.empty_like(x)
            for b in blocks:
                target, _ = rules.challenge_target(
                    x[b], s, c, ties, u[b], settings.challenge_step, settings.challenge_cost
                )
                new[b] = rules.anchored_update(x[b], x0[b], target, lam, settings.influence_rate)
            x = new
        return rules.compromise(x, s, c)

    return by_issue(pos, sal, cap, one)
