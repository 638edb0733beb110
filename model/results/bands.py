"""The judgement layer of a batch with worlds: per-world tallies, bands and variance shares.

A batch with ranges (docs/MODEL.md §12) has two layers of uncertainty. Within a world the model's
own randomness makes each run differ (the Monte Carlo layer); between worlds the analyst's
judgements differ (the judgement layer). Per design point this module keeps, for each world, the
counts and sums the summary needs, and reads off them:

- the **band**: the 5th and 95th percentiles over worlds of each world's value (P(summit),
  P(agreement), mean strain). A world's value is estimated from its own replications, so its
  spread over worlds is the judgement spread *plus* Monte Carlo noise; each world's deviation
  from the mean is therefore shrunk by √(B / S²), where S² is the observed variance over worlds
  and B = S² − (mean within-world sampling variance) the judgement part (method of moments, as
  in one-way random-effects ANOVA; Searle, Casella & McCulloch 1992, ch. 3), so that the band
  has the judgement layer's width, not that plus noise;
- the **judgement share**: B over the outcome's total variance across runs (the law of total
  variance: Var Y = Var E[Y | world] + E Var[Y | world]);
- the **Monte Carlo intervals** of the pooled estimates, from the spread of the per-world values
  (runs of one world share its parameters, so they are a cluster, not independent draws): the
  linearised standard error of a ratio over clusters (Cochran 1977, §6.4; conservative under Latin
  hypercube sampling, which only lowers the variance of the mean, Stein 1987).

Per-world sums are added block by block in block order, so they are identical for any chunk size,
worker count or executor (as the point's own sums in `summary.PointTally`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.sim.seeding import BLOCK

Z95 = 1.959963984540054
BAND = (5.0, 95.0)  # percentiles over worlds
COUNTED = ("summit", "agreement", "high_strain", "wedge")


@dataclass
class WorldTally:
    """Per-world counts and strain sums of one design point."""

    worlds: int
    counts: dict[str, np.ndarray] = field(default_factory=dict)  # outcome → (worlds,) int64
    n: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    strain_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    strain_sq: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.n.size == 0:
            self.n = np.zeros(self.worlds, np.int64)
            self.strain_sum = np.zeros(self.worlds)
            self.strain_sq = np.zeros(self.worlds)

    def add(self, rows: pd.DataFrame, counted: tuple[str, ...]) -> None:
        w = rows["world"].to_numpy(np.int64)
        self.n += np.bincount(w, minlength=self.worlds)
        for name in counted:
            flags = rows[name].to_numpy(np.int64)
            counts = np.bincount(w, weights=flags, minlength=self.worlds)
            self.counts[name] = self.counts.get(name, 0) + counts.astype(np.int64)
        strain = rows["strain"].to_numpy(float)
        block = rows["replication"].to_numpy() // BLOCK
        edges = [*np.flatnonzero(np.r_[True, block[1:] != block[:-1]]), len(rows)]
        for a, b in itertools.pairwise(edges):
            seg = slice(a, b)
            self.strain_sum += np.bincount(w[seg], weights=strain[seg], minlength=self.worlds)
            self.strain_sq += np.bincount(
                w[seg], weights=np.square(strain[seg]), minlength=self.worlds
            )

    # ------------------------------------------------------------------ read-offs

    def proportion_ci(self, name: str, given: str | None = None) -> tuple[float, float]:
        """95% interval of a pooled proportion (or of ``name`` among runs with ``given``)."""
        den = self.n if given is None else self.counts[given]
        return ratio_ci(self.counts[name].astype(float), den.astype(float))

    def strain_ci(self) -> tuple[float, float]:
        return ratio_ci(self.strain_sum, self.n.astype(float))

    def columns(self) -> dict[str, float]:
        """The judgement layer's summary columns (docs/ARCHITECTURE.md)."""
        out: dict[str, float] = {"worlds": float(self.worlds)}
        n = self.n.astype(float)
        for name, key in (("summit", "p_summit"), ("agreement", "p_agreement")):
            p = self.counts[name] / n
            noise = p * (1 - p) / np.maximum(n - 1, 1)
            total = _pooled(self.counts[name], n)
            lo, hi, share = band(p, noise, total * (1 - total))
            out.update(
                {f"{key}_band_lo": lo, f"{key}_band_hi": hi, f"{key}_judgement_share": share}
            )
        mean = self.strain_sum / n
        within = (self.strain_sq - n * mean**2) / np.maximum(n - 1, 1)
        grand = float(self.strain_sum.sum() / n.sum())
        total_var = float(self.strain_sq.sum() / n.sum() - grand**2)
        lo, hi, share = band(mean, np.maximum(within, 0) / n, total_var)
        out.update(
            strain_mean_band_lo=lo, strain_mean_band_hi=hi, strain_mean_judgement_share=share
        )
        return out


def _pooled(counts: np.ndarray, n: np.ndarray) -> float:
    return float(counts.sum() / n.sum())


def band(values: np.ndarray, noise: np.ndarray, total_var: float) -> tuple[float, float, float]:
    """(5th percentile, 95th percentile, judgement share) of per-world ``values`` whose own
    sampling variances are ``noise``; ``total_var`` is the outcome's variance across runs."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    observed = float(values.var(ddof=1)) if values.size > 1 else 0.0
    between = max(0.0, observed - float(np.mean(noise)))
    shrink = math.sqrt(between / observed) if observed > 0 else 0.0
    lo, hi = np.percentile(mean + shrink * (values - mean), BAND)
    share = min(1.0, between / total_var) if total_var > 0 else 0.0
    return float(lo), float(hi), share


def ratio_ci(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """95% normal interval of Σnum / Σden over clusters (worlds), from `ratio_se`; clipped to
    [0, 1] (proportions and strain live there), NaN with fewer than two worlds that have data."""
    r, se = ratio_se(num, den)
    if math.isnan(se):
        return float("nan"), float("nan")
    return max(0.0, r - Z95 * se), min(1.0, r + Z95 * se)


def ratio_se(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """(Σnum / Σden, its linearised standard error over clusters); NaN without two clusters."""
    total = float(den.sum())
    k = int(np.count_nonzero(den))
    if total == 0 or k < 2:
        return float("nan"), float("nan")
    r = float(num.sum()) / total
    resid = num - r * den
    return r, math.sqrt(k / (k - 1) * float(np.square(resid).sum())) / total


def unpaired_ratio_diff_ci(
    num_a: np.ndarray, den_a: np.ndarray, num_b: np.ndarray, den_b: np.ndarray
) -> tuple[float, float, float]:
    """B − A of two ratios from independent batches, each clustered by its own worlds."""
    ra, sa = ratio_se(num_a, den_a)
    rb, sb = ratio_se(num_b, den_b)
    se = math.sqrt(sa**2 + sb**2)
    return rb - ra, rb - ra - Z95 * se, rb - ra + Z95 * se


def ratio_diff_ci(
    num_a: np.ndarray, den_a: np.ndarray, num_b: np.ndarray, den_b: np.ndarray
) -> tuple[float, float, float]:
    """B − A of two ratios over the same worlds (paired: world w of A and of B drew the same
    values), with a 95% interval from the linearised per-world residuals (Cochran 1977, §6.4):
    runs of a world are a cluster, so the spread over worlds carries the judgement layer."""
    ta, tb = float(den_a.sum()), float(den_b.sum())
    if ta == 0 or tb == 0:
        return float("nan"), float("nan"), float("nan")
    ra, rb = float(num_a.sum()) / ta, float(num_b.sum()) / tb
    resid = (num_b - rb * den_b) / tb - (num_a - ra * den_a) / ta
    k = resid.size
    se = math.sqrt(k / (k - 1) * float(np.square(resid).sum())) if k > 1 else float("nan")
    return rb - ra, rb - ra - Z95 * se, rb - ra + Z95 * se


def paired_world_band(
    world: np.ndarray, xa: np.ndarray, xb: np.ndarray, worlds: int
) -> tuple[float, float]:
    """The judgement band of a paired difference: 5th–95th percentile over worlds of each world's
    mean of xb − xa, corrected for its Monte Carlo noise (as `band`)."""
    d = np.asarray(xb, float) - np.asarray(xa, float)
    n = np.bincount(world, minlength=worlds).astype(float)
    keep = n > 1
    s = np.bincount(world, weights=d, minlength=worlds)
    sq = np.bincount(world, weights=d * d, minlength=worlds)
    mean = s[keep] / n[keep]
    within = (sq[keep] - n[keep] * mean**2) / (n[keep] - 1)
    lo, hi, _ = band(mean, np.maximum(within, 0) / n[keep], 1.0)
    return lo, hi


def clustered_ci(values: np.ndarray, world: np.ndarray) -> tuple[float, float]:
    """95% interval of the mean of ``values`` (a share or a 0–1 index) over runs clustered by
    ``world`` (`ratio_ci` on the per-world sums)."""
    num = np.bincount(world, weights=np.asarray(values, float))
    return ratio_ci(num, np.bincount(world).astype(float))
