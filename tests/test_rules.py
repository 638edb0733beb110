"""The rules as pure functions: properties every bargaining/influence rule must have, and the
bounds the strain, support and momentum rules promise."""

from __future__ import annotations

import numpy as np
import pytest

from model.sim import rules

RNG = np.random.default_rng(0)


def _table(r: int = 50, a: int = 6, k: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = RNG.uniform(0, 100, (r, a, k))
    sal = RNG.uniform(0.05, 1, (r, a, k))
    cap = RNG.uniform(0.1, 2, (r, a))
    return pos, sal, cap


def test_loss_is_salience_weighted_city_block() -> None:
    """L(y) = Σ s |y − x| / 100."""
    assert rules.loss(np.array([50.0, 0.0]), np.array([100.0, 20.0]), np.array([0.5, 1.0])) == (
        pytest.approx(0.5 * 0.5 + 1.0 * 0.2)
    )


def test_loss_on_views_and_broadcasts_matches_the_equation() -> None:
    """The issue-by-issue loss (fast on (R, K) views of the state) gives, bit for bit, the
    equation summed in issue order, for views, broadcast offers and every leading shape."""
    pos, sal, _ = _table(r=40, a=5, k=3)
    y = RNG.uniform(0, 100, (40, 3))

    def equation(y: np.ndarray, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        d = np.abs(y - x) * s
        out = d[..., 0].copy()
        for k in range(1, d.shape[-1]):
            out += d[..., k]
        return out / rules.SCALE

    cases = [
        (pos[:, 0, :], pos[:, 2, :], sal[:, 2, :]),  # strided views, as the model passes them
        (y[:, None, :], pos, sal),  # one offer against every actor
        (y, pos[:, 1, :], sal[:, 1, :].copy()),
        (pos[0, 0], pos[0, 1], sal[0, 1]),  # one replication
    ]
    for args in cases:
        got, want = rules.loss(*args), equation(*args)
        assert got.shape == want.shape
        assert np.array_equal(got, want)
    assert rules.loss(np.zeros((4, 0)), np.zeros((4, 0)), np.zeros((4, 0))).shape == (4,)


def test_compromise_properties() -> None:
    """Unanimity, permutation invariance, capability scale invariance, zero salience = no say."""
    pos, sal, cap = _table()
    same = np.broadcast_to(pos[:, :1], pos.shape).copy()
    assert np.allclose(rules.compromise(same, sal, cap), same[:, 0])
    perm = RNG.permutation(pos.shape[1])
    assert np.allclose(
        rules.compromise(pos, sal, cap), rules.compromise(pos[:, perm], sal[:, perm], cap[:, perm])
    )
    assert np.allclose(rules.compromise(pos, sal, cap), rules.compromise(pos, sal, 7.0 * cap))
    sal0 = sal.copy()
    sal0[:, 0] = 0.0
    moved = pos.copy()
    moved[:, 0] = 100.0 - moved[:, 0]
    assert np.allclose(rules.compromise(pos, sal0, cap), rules.compromise(moved, sal0, cap))


def test_friedkin_johnsen_anchoring_and_consensus() -> None:
    """Fully stubborn actors stay put; fully susceptible ones with complete ties converge to one
    point inside the range of positions."""
    pos, sal, cap = _table(r=5, a=4, k=2)
    ties = np.ones((5, 4, 4))
    w = rules.influence_weights(ties, sal, cap)
    assert np.allclose(w.sum(axis=-2), 1.0)
    x = pos.copy()
    # the fast target equals the explicit weighted sum Σ_j W_ijk x_jk
    explicit = np.einsum("rijk,rjk->rik", w, pos)
    assert np.allclose(rules.friedkin_johnsen_target(pos, ties, sal, cap), explicit)

    def fj(x: np.ndarray) -> np.ndarray:
        return rules.friedkin_johnsen_target(x, ties, sal, cap)

    for _ in range(300):
        x = rules.anchored_update(x, pos, fj(x), np.zeros((5, 4)), 0.5)
    assert np.allclose(x, pos)
    x = pos.copy()
    for _ in range(400):
        x = rules.anchored_update(x, pos, fj(x), np.ones((5, 4)), 0.5)
    assert np.allclose(x.max(axis=1), x.min(axis=1), atol=1e-6)
    assert (x[:, 0] >= pos.min(axis=1) - 1e-9).all() and (x[:, 0] <= pos.max(axis=1) + 1e-9).all()


def test_friedkin_johnsen_target_sparse_ties_and_layouts() -> None:
    """Skipping actors with no tie (``tied``) changes no bit; the replication-innermost layout
    the model stores gives the same bits as C order; both match the explicit weighted sum."""
    pos, sal, cap = _table(r=30, a=6, k=3)
    ties = RNG.uniform(0.1, 1, (30, 6, 6)) * (RNG.random((6, 6)) < 0.4)
    ties[:, np.arange(6), np.arange(6)] = 1.0
    tied = [np.flatnonzero((ties != 0).any(axis=0)[i]).tolist() for i in range(6)]
    dense = rules.friedkin_johnsen_target(pos, ties, sal, cap)
    sparse = rules.friedkin_johnsen_target(pos, ties, sal, cap, tied=tied)
    assert np.array_equal(dense, sparse)
    fortran = rules.friedkin_johnsen_target(
        *(np.asfortranarray(a) for a in (pos, ties, sal, cap)), tied=tied
    )
    assert np.array_equal(dense, fortran)
    explicit = np.einsum("rijk,rjk->rik", rules.influence_weights(ties, sal, cap), pos)
    assert np.allclose(dense, explicit, rtol=1e-13, atol=0)


def test_challenge_rule_properties() -> None:
    """Unanimity gives no move; a zero-salience actor wins no challenges it did not face;
    moves never overshoot the winner (positions stay in the hull of the positions)."""
    pos, sal, cap = _table(r=20, a=5, k=2)
    ties = np.ones((20, 5, 5))
    u = RNG.random((20, 5, 5, 2))
    same = np.broadcast_to(pos[:, :1], pos.shape).copy()
    target, p = rules.challenge_target(same, sal, cap, ties, u, 0.5, 0.0)
    assert np.allclose(target, same)
    target, p = rules.challenge_target(pos, sal, cap, ties, u, 1.0, 0.0)
    assert ((p >= 0) & (p <= 1)).all()
    lo, hi = pos.min(axis=1, keepdims=True), pos.max(axis=1, keepdims=True)
    assert ((target >= lo - 1e-9) & (target <= hi + 1e-9)).all()
    # permuting actors permutes the result (same draws permuted along with them)
    perm = RNG.permutation(5)
    t2, _ = rules.challenge_target(
        pos[:, perm], sal[:, perm], cap[:, perm], ties, u[:, perm][:, :, perm], 1.0, 0.0
    )
    assert np.allclose(t2, target[:, perm])


def test_strain_stays_in_unit_interval_and_decays() -> None:
    """σ ∈ [0, 1] for any shocks; without shocks it decays geometrically."""
    s = np.zeros(1000)
    for _ in range(100):
        s = rules.strain_step(s, RNG.uniform(-1, 3, 1000), 0.05)
        assert ((s >= 0) & (s <= 1)).all()
    s = np.full(3, 0.8)
    assert np.allclose(rules.strain_step(s, np.zeros(3), 0.1), 0.72)


def test_support_momentum_and_ratification() -> None:
    """Support is 0 unconsulted and falls with distance; momentum stays in [0, 1] and needs both
    signals; ratification is the win-set ball L ≤ τ."""
    assert rules.ally_support(np.array(0.0), np.array(1.0), np.array(0.1), np.array(0.5)) == 0
    near = rules.ally_support(np.array(1.0), np.array(1.0), np.array(0.1), np.array(0.5))
    far = rules.ally_support(np.array(1.0), np.array(1.0), np.array(0.6), np.array(0.5))
    assert 1 > near > far > 0
    m = rules.momentum_step(np.array([0.5, 0.5]), np.array([[1.0, 0.0], [1.0, 1.0]]), 0.3, 0.1)
    assert m[0] == pytest.approx(0.45) and 0.45 < m[1] <= 1
    y = np.array([60.0, 40.0])
    ideal, sal = np.array([100.0, 0.0]), np.array([1.0, 0.5])
    assert rules.ratifies(y, ideal, sal, np.array(0.6)) and not rules.ratifies(
        y, ideal, sal, np.array(0.59)
    )
