"""The model's rules as pure functions on numpy arrays (no Mesa, no state).

Shapes: a leading replication axis R, then actors A and issues K. Positions are points on each
issue's 0–100 scale, saliences are in [0, 1], capabilities are > 0. Every function works for any
leading shape, so the summit model (R replications in lockstep), `summit forecast` and the unit
tests call the same code. docs/MODEL.md states each rule as an equation with its reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

SCALE = 100.0  # width of an issue scale, in points


def total(a: Array, axis: int = -1) -> Array:
    """Sum over a short axis (issues, actors, allies) as a chain of slice additions.

    Measured here: numpy's reduction over an axis of length 2–7 is 5–10× slower than adding the
    slices (0.65 vs 0.19 ms on (5000, 7, 3); 6.5 vs 0.9 ms on (20000, 7, 3)), and these sums sit in
    the weekly hot path."""
    v = np.moveaxis(np.asarray(a), axis, 0)
    if v.shape[0] == 0:
        return np.zeros(v.shape[1:])
    out = v[0].astype(float, copy=True)
    for i in range(1, v.shape[0]):
        out += v[i]
    return out


def product(a: Array, axis: int = -1) -> Array:
    """Product over a short axis, as `total` does sums (and for the same reason)."""
    v = np.moveaxis(np.asarray(a), axis, 0)
    if v.shape[0] == 0:
        return np.ones(v.shape[1:])
    out = v[0].astype(float, copy=True)
    for i in range(1, v.shape[0]):
        out *= v[i]
    return out


def logistic(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+e^-z), without overflow warnings


def loss(y: Array, ideal: Array, salience: Array) -> Array:
    """Salience-weighted city-block distance of outcome ``y`` from an ideal point.

    L_i(y) = Σ_k s_ik |y_k − x_ik| / 100   (sums over the last axis)

    Computed issue by issue on (..., ) slices: the operands are usually (R, K) views into the
    (R, A, K) state, and numpy runs one inner loop per 3-long row on those (10,000 loops per
    operation at 10,000 replications), but one loop per slice. Same operations in the same order
    as |y − x| · s summed over k, so the same bits; measured 0.44 → 0.18 ms per call at
    10,000 × 3 (docs/PERFORMANCE.md).
    """
    yb, xb, sb = np.broadcast_arrays(np.asarray(y), np.asarray(ideal), np.asarray(salience))
    if yb.shape[-1] == 0:
        return np.zeros(yb.shape[:-1])
    out = np.asarray(np.subtract(yb[..., 0], xb[..., 0], dtype=float))  # 0-d for one actor
    np.abs(out, out=out)
    out *= sb[..., 0]
    tmp = np.empty_like(out)
    for k in range(1, yb.shape[-1]):
        np.subtract(yb[..., k], xb[..., k], out=tmp)
        np.abs(tmp, out=tmp)
        tmp *= sb[..., k]
        out += tmp
    out /= SCALE
    return out


def compromise(pos: Array, sal: Array, cap: Array) -> Array:
    """The compromise model: capability × salience weighted mean of positions (Achen 2006).

    pos, sal: (..., A, K); cap: (..., A). Returns (..., K). An issue nobody cares about falls back
    to the capability-weighted mean, so the result is always defined.
    """
    w = cap[..., :, None] * sal
    num = total(w * pos, axis=-2)
    den = total(w, axis=-2)
    if (den > 0).all():
        return num / den
    plain = total(cap[..., :, None] * pos, axis=-2) / total(cap)[..., None]
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), plain)


def influence_weights(ties: Array, sal: Array, cap: Array) -> Array:
    """Row-stochastic influence weights W[..., i, j, k] ∝ T_ij · c_j · s_jk (self-tie included).

    ties: (..., A, A) with T_ii > 0; sal (..., A, K); cap (..., A). Returns (..., A, A, K).
    """
    w = ties[..., :, :, None] * (cap[..., None, :, None] * sal[..., None, :, :])
    den = np.sum(w, axis=-2, keepdims=True)
    eye = np.eye(ties.shape[-1])[:, :, None]
    # an actor with no weighted ties at all keeps its own position
    return np.where(den > 0, w / np.where(den > 0, den, 1.0), eye)


def friedkin_johnsen_target(
    pos: Array,
    ties: Array,
    sal: Array,
    cap: Array,
    *,
    weights: Array | None = None,
    work: Array | None = None,
    tied: Sequence[Sequence[int]] | None = None,
) -> Array:
    """Where the network pulls each actor: Σ_j W_ijk x_jk (Friedkin & Johnsen 1990), with W from
    `influence_weights`, computed as T (c s x) / T (c s) so that the (R, A, A, K) weight array
    is never built: this is the model's hot path.

    The sums over j run as slice products in the order j = 0, 1, …, over the replication
    axis: with the state stored replication-innermost (`State`), each is one long loop, where a
    batched 7 × 7 matrix product per replication paid BLAS's call overhead 10,000 times a week
    (docs/PERFORMANCE.md). ``tied[i]``: the actors j that can have a tie to i (the others are
    skipped; a zero tie adds exactly nothing). ``weights``: c s if the caller has it already (it
    changes only through events); ``work``: a scratch array of the shape of ``pos`` for c s x."""
    w = cap[..., :, None] * sal if weights is None else weights  # (..., A, K)
    wx = np.multiply(w, pos, out=None if work is None else work)
    A = pos.shape[-2]
    num = np.empty_like(pos)
    den = np.empty_like(pos)
    tmp = np.empty_like(pos[..., 0, :])
    for i in range(A):
        ni, di = num[..., i, :], den[..., i, :]
        js = range(A) if tied is None else tied[i]
        if not js:  # no ties at all (the self-tie is zero too): i is pulled nowhere
            ni.fill(0.0)
            di.fill(0.0)
        for n, j in enumerate(js):
            t = ties[..., i, j, None]
            np.multiply(t, wx[..., j, :], out=ni if n == 0 else tmp)
            if n:
                ni += tmp
            np.multiply(t, w[..., j, :], out=di if n == 0 else tmp)
            if n:
                di += tmp
    cared = den > 0
    if cared.all():  # the usual case; the masked division below is several times slower
        fits = num.shape == np.broadcast_shapes(num.shape, den.shape)
        return np.divide(num, den, out=num) if fits else num / den
    out = pos.copy(order="K")  # nobody tied to i cares about issue k: i stays where it is
    np.divide(num, den, out=out, where=cared)
    return out


def challenge_target(
    pos: Array,
    sal: Array,
    cap: Array,
    ties: Array,
    u: Array,
    step: Array | float,
    cost: Array | float,
) -> tuple[Array, Array]:
    """Where probabilistic challenges move each actor (Bueno de Mesquita; Scholz et al. 2011; KTAB).

    For every tied pair (j challenges i) and issue k:
      votes    v_m = c_m s_mk (|x_mk − x_ik| − |x_mk − x_jk|) / 100       (m: every actor)
      P(j≻i) = Σ_m v_m⁺ / Σ_m |v_m|              (0.5 when no one cares)
      EU_j   = g (1 − s_ik) + s_ik (P g − (1 − P) g) − cost,   g = s_jk |x_jk − x_ik| / 100
    j challenges when EU_j > 0; the contest is decided by a draw ``u < P`` (probabilistic, not the
    deterministic comparison that makes published re-implementations order-dependent). All
    contests of a round are resolved against the same positions. The loser moves a share ``step``
    of the way toward the winner, weighted by its influence weight on the winner; a pair counts
    once, so the weights sum to less than one and simultaneous losses never overshoot.
    Returns (target, P).

    u: (..., A, A, K) uniforms; u[..., j, i, k] decides j's challenge of i.
    """
    a = pos.shape[-2]
    w = cap[..., :, None] * sal  # (..., A, K): c_m s_mk
    # dist[..., m, i, k] = |x_mk − x_ik|
    dist = np.abs(pos[..., :, None, :] - pos[..., None, :, :])
    # v[..., m, j, i, k] = w_m (|x_m − x_i| − |x_m − x_j|)
    v = w[..., :, None, None, :] * (dist[..., :, None, :, :] - dist[..., :, :, None, :]) / SCALE
    pos_part = np.sum(np.maximum(v, 0.0), axis=-4)
    total = np.sum(np.abs(v), axis=-4)
    p = np.where(total > 0, pos_part / np.where(total > 0, total, 1.0), 0.5)  # (..., j, i, k)
    gap = np.abs(pos[..., :, None, :] - pos[..., None, :, :]) / SCALE  # (..., j, i, k)
    g = sal[..., :, None, :] * gap
    s_target = sal[..., None, :, :]
    cost_arr = np.asarray(cost)[..., None, None, None] if np.ndim(cost) else cost
    eu = g * (1.0 - s_target) + s_target * (p * g - (1.0 - p) * g) - cost_arr
    tied = (ties > 0) & ~np.eye(a, dtype=bool)
    challenge = (eu > 0) & tied[..., :, :, None]
    won = challenge & (u < p)  # [j, i]: j challenged i and won
    lost = challenge & ~(u < p)  # [j, i]: j challenged i and lost
    # i concedes to j if j beat i, or if i challenged j and lost; counted once per pair, so the
    # weights on the winners sum to less than 1 and no actor overshoots (moves stay convex)
    conceded = won | np.swapaxes(lost, -3, -2)  # [j, i]: i concedes toward j
    weights = influence_weights(ties, sal, cap)  # (..., i, j, k): i's weight on j
    w_ij = np.swapaxes(weights, -3, -2)  # indexed [j, i]
    diff = pos[..., :, None, :] - pos[..., None, :, :]  # [j, i] = x_j − x_i
    move = np.sum(np.where(conceded, w_ij * diff, 0.0), axis=-3)  # (..., i, k)
    step_arr = np.asarray(step)[..., None, None] if np.ndim(step) else step
    return pos + step_arr * move, p


def anchored_update(
    pos: Array,
    pos0: Array,
    target: Array,
    susceptibility: Array,
    rate: Array | float,
    out: Array | None = None,
) -> Array:
    """Friedkin–Johnsen anchoring, taken a share ``rate`` of the way per week.

    x(t+1) = x(t) + η [ λ ⊙ target + (1 − λ) ⊙ x(0) − x(t) ]

    ``out``: where to write x(t+1); with ``out=pos`` the update is in place and ``target`` is
    overwritten (used as scratch), so the week's hot path allocates nothing here.
    """
    lam = susceptibility[..., None]
    eta = np.asarray(rate)[..., None, None] if np.ndim(rate) else rate
    # goal = λ target + (1 − λ) x(0) = x(0) + λ (target − x(0)), computed in place (hot path)
    step = np.subtract(target, pos0, out=target if out is pos else out)
    step *= lam
    step += pos0
    step -= pos
    step *= eta
    step += pos
    return np.clip(step, 0.0, SCALE, out=step if out is None else out)


def bargain(pos: Array, sal: Array, cap: Array) -> Array:
    """The negotiated outcome of the summit: the compromise of the negotiators on each issue.

    With two negotiators and linked issues this trades across issues: each side gets more on the
    issue it weights more (a logroll), as in the compromise model of Thomson et al. (2006).
    """
    return compromise(pos, sal, cap)


def ratifies(y: Array, ideal: Array, salience: Array, tolerance: Array) -> BoolArray:
    """Putnam's (1988) win-set as a ball: a ratifier accepts y iff L_r(y) ≤ τ_r."""
    return loss(y, ideal, salience) <= tolerance


def ratify_probability(
    y: Array, ideal: Array, salience: Array, tolerance: Array, scale: Array | float
) -> Array:
    """A principal's estimate that y will be ratified, before knowing the bargaining noise."""
    return logistic((tolerance - loss(y, ideal, salience)) / scale)


def isolation_relief(backing: Array) -> Array:
    """How far patrons end a principal's isolation: B = 1 − Π_p (1 − b_p) over the last axis."""
    return 1.0 - product(1.0 - backing)


def ally_support(consulted: Array, openness: Array, agenda_loss: Array, tolerance: Array) -> Array:
    """An ally's support for its principal's summit: consulted × open × close enough.

    support_a = c_a · o_a · exp(−L_a(x_principal) / τ_a)
    """
    return consulted * openness * np.exp(-agenda_loss / tolerance)


def consult_step(consulted: Array, open_: Array, rate: Array, decay: Array) -> Array:
    """Consultation builds at ``rate`` while the channel is open, fades at ``decay`` if not."""
    return consulted + open_ * rate * (1.0 - consulted) - (1.0 - open_) * decay * consulted


def momentum_step(momentum: Array, signals: Array, gain: Array, decay: Array) -> Array:
    """Preparation for a summit: M' = M (1 − δ) + κ σ_1 σ_2 (1 − M (1 − δ)), kept in [0, 1]."""
    kept = momentum * (1.0 - decay)
    return kept + gain * product(signals) * (1.0 - kept)


def strain_step(strain: Array, shock: Array, decay: Array) -> Array:
    """Alliance strain in [0, 1]: decays by δ a week, and a shock closes that share of the gap to 1.

    σ' = σ (1 − δ);  σ'' = σ' + (1 − σ') min(1, shock)     (abandonment fears, Snyder 1984)
    """
    kept = strain * (1.0 - decay)
    return kept + (1.0 - kept) * np.clip(shock, 0.0, 1.0)
