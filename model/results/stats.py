"""Honest uncertainty: intervals for proportions, differences and means.

Wilson (1927) score interval for a proportion; Newcombe's (1998) hybrid score intervals for a
difference of two proportions, independent (method 10) or paired (Newcombe 1998b, method 10);
normal intervals for means and mean differences (n is in the thousands here), paired or not, and
for paired differences of conditional means (delta method).
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval; (nan, nan) when n = 0.

    At 0 successes the lower limit is exactly 0, and at n the upper is exactly 1 (the formula's
    centre and half-width are then equal; in floating point they differ by ~1e-18, which a
    table would print as 8.67e-19).
    """
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return (lo, hi)


def newcombe_diff(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float, float]:
    """Difference p1 − p2 of independent proportions with Newcombe's hybrid score interval."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lo, hi


def newcombe_paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Difference P(a) − P(b) for paired binary outcomes (common random numbers), Newcombe 1998b.

    Uses the Wilson limits of each margin and the phi correlation of the pairs, so a strong
    positive pairing narrows the interval as it should.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    n = a.size
    both = float(np.sum(a & b))
    only_a = float(np.sum(a & ~b))
    only_b = float(np.sum(~a & b))
    neither = float(n - both - only_a - only_b)
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    l1, u1 = wilson(both + only_a, n)
    l2, u2 = wilson(both + only_b, n)
    denom = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    # Newcombe's continuity-corrected phi: small positive associations count as none
    cross = both * neither - only_a * only_b
    cross = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
    phi = cross / math.sqrt(denom) if denom > 0 else 0.0
    d = p1 - p2
    dl1, du1, dl2, du2 = p1 - l1, u1 - p1, p2 - l2, u2 - p2
    lo = d - math.sqrt(max(dl1**2 - 2 * phi * dl1 * du2 + du2**2, 0.0))
    hi = d + math.sqrt(max(du1**2 - 2 * phi * du1 * dl2 + dl2**2, 0.0))
    return d, lo, hi


def mean_ci(n: float, total: float, total_sq: float, z: float = Z95) -> tuple[float, float, float]:
    """Mean with a normal interval, from running sums (so batches can be merged)."""
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    mean = total / n
    if n < 2:  # one value estimates no spread: no interval (it read as a zero-width one)
        return (mean, math.nan, math.nan)
    var = max(total_sq / n - mean * mean, 0.0) * n / (n - 1)
    half = z * math.sqrt(var / n)
    return mean, mean - half, mean + half


def mean_diff(a: np.ndarray, b: np.ndarray, paired: bool) -> tuple[float, float, float]:
    """Difference of means a − b: paired (mean of differences) or Welch, normal interval."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if paired:
        d = a - b
        d = d[~np.isnan(d)]
        if d.size < 2:
            return (math.nan, math.nan, math.nan)
        m, half = d.mean(), Z95 * d.std(ddof=1) / math.sqrt(d.size)
        return float(m), float(m - half), float(m + half)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        return (math.nan, math.nan, math.nan)
    m = a.mean() - b.mean()
    half = Z95 * math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float(m), float(m - half), float(m + half)


def conditional_mean_diff(
    a: np.ndarray, a_held: np.ndarray, b: np.ndarray, b_held: np.ndarray
) -> tuple[float, float, float]:
    """Paired difference of conditional means, mean(b | b_held) − mean(a | a_held), normal
    interval by the delta method (linearised ratio estimators).

    Pair i holds a[i], b[i] and whether each condition held (e.g. a summit in A and in B). Each
    conditional mean is a ratio of means, m = Σ held·y / Σ held; its influence on pair i is
    held_i·(y_i − m)/P(held). The difference's variance is that of the paired influences, so the
    pairing (common random numbers) narrows it even though the two conditions pick different
    runs. With every condition true it is the paired mean interval exactly; for a binary y it is
    a Wald-type interval (use it with hundreds of conditioning runs, as here).
    """
    ha, hb = np.asarray(a_held, bool), np.asarray(b_held, bool)
    n = ha.size
    if n < 2 or not ha.any() or not hb.any():
        return (math.nan, math.nan, math.nan)
    ya = np.where(ha, np.asarray(a, float), 0.0)
    yb = np.where(hb, np.asarray(b, float), 0.0)
    ma, mb = ya[ha].mean(), yb[hb].mean()
    pa, pb = ha.mean(), hb.mean()
    influence = hb * (yb - mb) / pb - ha * (ya - ma) / pa
    d = float(mb - ma)
    half = Z95 * float(influence.std(ddof=1)) / math.sqrt(n)
    return d, d - half, d + half
