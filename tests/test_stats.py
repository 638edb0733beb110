"""Interval arithmetic against published values (Wilson 1927; Newcombe 1998)."""

from __future__ import annotations

import numpy as np
import pytest

from model.results.stats import (
    conditional_mean_diff,
    mean_ci,
    mean_diff,
    newcombe_diff,
    newcombe_paired,
    wilson,
)


def test_wilson_known_value() -> None:
    """37/100 → [0.2818, 0.4678] (Newcombe 1998a, Table I)."""
    lo, hi = wilson(37, 100)
    assert (round(lo, 4), round(hi, 4)) == (0.2818, 0.4678)


def test_wilson_edges() -> None:
    """0/n and n/n stay inside [0, 1] and are not degenerate; n = 0 gives NaN."""
    assert wilson(0, 10)[0] == 0.0 and 0.0 < wilson(0, 10)[1] < 0.35
    assert wilson(10, 10)[1] == pytest.approx(1.0) and 0.65 < wilson(10, 10)[0] < 1.0
    assert all(np.isnan(wilson(0, 0)))


def test_newcombe_unpaired_known_value() -> None:
    """56/70 vs 48/80 → difference 0.2 in [0.0524, 0.3339] (Newcombe 1998a, method 10)."""
    d, lo, hi = newcombe_diff(56, 70, 48, 80)
    assert round(d, 4) == 0.2
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_newcombe_paired_reduces_to_unpaired_without_association() -> None:
    """With no association between the pairs (phi = 0) the paired interval is Newcombe's
    square-and-add interval of the two margins, as in Newcombe 1998b."""
    a = np.array([1] * 10 + [1] * 10 + [0] * 10 + [0] * 10, bool)
    b = np.array([1] * 10 + [0] * 10 + [1] * 10 + [0] * 10, bool)
    a = np.concatenate([a, np.ones(20, bool)])
    b = np.concatenate([b, np.zeros(20, bool)])
    d, lo, hi = newcombe_paired(a, b)
    from model.results.stats import wilson as w

    n = a.size
    p1, p2 = a.mean(), b.mean()
    (l1, u1), (l2, u2) = w(a.sum(), n), w(b.sum(), n)
    # this table has ad − bc = 10·10 − 30·10 < 0, so phi is not zero: check the formula instead
    both, oa, ob, ne = 10.0, 30.0, 10.0, 10.0
    phi = (both * ne - oa * ob) / np.sqrt((both + oa) * (ob + ne) * (both + ob) * (oa + ne))
    exp_lo = (p1 - p2) - np.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    exp_hi = (p1 - p2) + np.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    assert (lo, hi) == pytest.approx((exp_lo, exp_hi))
    assert d == pytest.approx(20 / 60)
    # an independent-looking table (phi = 0 after Newcombe's correction) gives the unpaired form
    a2 = np.array([1] * 5 + [1] * 5 + [0] * 5 + [0] * 5, bool)
    b2 = np.array([1] * 5 + [0] * 5 + [1] * 5 + [0] * 5, bool)
    _, lo2, hi2 = newcombe_paired(a2, b2)
    _, ulo, uhi = newcombe_diff(10, 20, 10, 20)
    assert (lo2, hi2) == pytest.approx((ulo, uhi))


def test_paired_interval_is_narrower_under_positive_pairing() -> None:
    """Common random numbers make paired runs correlated; the paired interval must use that."""
    rng = np.random.default_rng(0)
    base = rng.random(5000) < 0.4
    other = base | (rng.random(5000) < 0.03)
    _, lo_p, hi_p = newcombe_paired(other, base)
    _, lo_u, hi_u = newcombe_diff(other.sum(), 5000, base.sum(), 5000)
    assert hi_p - lo_p < 0.5 * (hi_u - lo_u)
    assert lo_p > 0


def test_mean_intervals_cover_the_truth() -> None:
    """Mean intervals from running sums equal the direct computation; Welch and paired agree
    with textbook formulas."""
    rng = np.random.default_rng(1)
    x = rng.normal(0.3, 0.1, 4000)
    m, lo, hi = mean_ci(x.size, x.sum(), np.square(x).sum())
    half = 1.959964 * x.std(ddof=1) / np.sqrt(x.size)
    assert m == pytest.approx(x.mean()) and hi - m == pytest.approx(half, rel=1e-4)
    y = x + rng.normal(0.01, 0.01, x.size)
    d, lo, hi = mean_diff(y, x, paired=True)
    assert lo > 0 and d == pytest.approx(0.01, abs=0.002)
    _, lo2, hi2 = mean_diff(y, x, paired=False)
    assert hi2 - lo2 > hi - lo  # ignoring the pairing costs precision
    # one run estimates no spread: no interval (it was printed as [0.042, 0.042])
    m, lo, hi = mean_ci(1, 0.042, 0.042**2)
    assert m == 0.042 and np.isnan(lo) and np.isnan(hi)


# ----------------------------------------------------------------------------- references


@pytest.mark.parametrize("n", [1, 7, 40, 333, 10_000])
def test_wilson_matches_scipy(n: int) -> None:
    """Wilson's interval equals scipy's (`binomtest(...).proportion_ci(method="wilson")`) and the
    textbook formula with z from `scipy.stats.norm.ppf(0.975)`, for every count 0..n (sampled)."""
    from scipy import stats

    z = float(stats.norm.ppf(0.975))
    assert z == pytest.approx(1.959963984540054, abs=1e-15)
    for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lo, hi = wilson(k, n)
        assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-12)
        assert (lo, hi) == pytest.approx((max(centre - half, 0), min(centre + half, 1)), abs=1e-12)
        assert 0.0 <= lo <= p <= hi <= 1.0


def test_wilson_ends_are_exact() -> None:
    """0 successes: the lower limit is 0, not a rounding residue like 8.67e-19; n: upper is 1."""
    for n in (3, 200, 2000, 10_000):
        assert wilson(0, n)[0] == 0.0 and wilson(n, n)[1] == 1.0


# Newcombe (1998a), Table II, method 10 (hybrid score, no continuity correction): the eight
# published examples, x1/n1 − x2/n2 → (lower, upper), four decimals.
NEWCOMBE_1998A_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_1998A_TABLE_II)
def test_newcombe_unpaired_published_examples(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    x1, n1, x2, n2 = counts
    d, lo, hi = newcombe_diff(x1, n1, x2, n2)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(lo, 4), round(hi, 4)) == expected


# Newcombe (1998b), Table II, method 10 (paired, score-based with the corrected phi): pairs
# (both, only first, only second, neither) → (lower, upper) of P(first) − P(second).
NEWCOMBE_1998B_TABLE_II = [
    ((36, 12, 2, 0), (0.0569, 0.3404)),
    ((18, 12, 2, 18), (0.0562, 0.3290)),
    ((53, 0, 0, 1), (-0.0729, 0.0729)),
    ((0, 30, 0, 0), (0.8395, 1.0000)),
]


@pytest.mark.parametrize(("cells", "expected"), NEWCOMBE_1998B_TABLE_II)
def test_newcombe_paired_published_examples(
    cells: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    both, only_a, only_b, neither = cells
    a = np.array([1] * both + [1] * only_a + [0] * only_b + [0] * neither, bool)
    b = np.array([1] * both + [0] * only_a + [1] * only_b + [0] * neither, bool)
    d, lo, hi = newcombe_paired(a, b)
    assert d == pytest.approx((only_a - only_b) / a.size)
    assert (round(lo, 4), round(hi, 4)) == expected


def test_mean_intervals_match_scipy() -> None:
    """Normal intervals: the mean (from running sums) against `scipy.stats.norm.interval` with
    scipy's standard error; paired and Welch differences against scipy's t intervals, which
    they approach as n grows (here n = 5,000: t and normal quantiles differ by 0.02%)."""
    from scipy import stats

    rng = np.random.default_rng(7)
    x = rng.gamma(2.0, 0.05, 5000)
    y = x + rng.normal(0.004, 0.02, x.size)
    m, lo, hi = mean_ci(x.size, x.sum(), np.square(x).sum())
    assert m == pytest.approx(x.mean(), rel=1e-12)
    ref = stats.norm.interval(0.95, loc=x.mean(), scale=stats.sem(x))
    assert (lo, hi) == pytest.approx(ref, rel=1e-9)
    _, lo, hi = mean_diff(y, x, paired=True)
    ref = stats.ttest_rel(y, x).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ref.low, ref.high), rel=1e-3)
    z = rng.normal(0.1, 0.03, 3000)
    _, lo, hi = mean_diff(z, x, paired=False)
    ref = stats.ttest_ind(z, x, equal_var=False).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ref.low, ref.high), rel=1e-3)


def test_conditional_difference_reduces_to_the_paired_mean() -> None:
    """With every condition true, the delta-method interval is the paired mean interval."""
    rng = np.random.default_rng(3)
    a = rng.normal(0.2, 0.05, 2000)
    b = a + rng.normal(0.01, 0.02, a.size)
    every = np.ones(a.size, bool)
    assert conditional_mean_diff(a, every, b, every) == pytest.approx(mean_diff(b, a, True))


def test_conditional_difference_covers_the_truth() -> None:
    """Paired runs whose conditions differ (summit in A, in B) and whose values are correlated:
    over 1,000 simulated batches the 95% interval holds the true difference 93–97% of the time,
    and it is no wider than the unpaired (Welch) interval on the same runs."""
    rng = np.random.default_rng(11)
    hits, narrower = 0, 0
    for _ in range(1000):
        u = rng.random(1500)
        held_a, held_b = u < 0.6, u < 0.3  # B's summits are a subset of A's, as in the variants
        common = rng.normal(0.0, 1.0, u.size)
        a = 0.2 + 0.05 * common + rng.normal(0, 0.01, u.size)
        b = 0.2 + 0.05 * common + 0.03 * held_b + rng.normal(0, 0.01, u.size)
        # true conditional means: E[a | u < 0.6] = 0.2; E[b | u < 0.3] = 0.23
        _, lo, hi = conditional_mean_diff(a, held_a, b, held_b)
        hits += lo <= 0.03 <= hi
        _, wlo, whi = mean_diff(b[held_b], a[held_a], paired=False)
        narrower += (hi - lo) <= (whi - wlo)
    assert 0.93 <= hits / 1000 <= 0.97
    assert narrower / 1000 > 0.95
