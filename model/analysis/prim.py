"""PRIM, the patient rule induction method (Friedman & Fisher 1999): peel the factor space towards
boxes where a response is high, paste back, prune; coverage, density and mass as in Bryant &
Lempert (2010). Implemented here rather than taken from ema_workbench (see discovery.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.errors import ExperimentError


@dataclass(frozen=True)
class Box:
    """A box over the factors with its statistics (weighted by runs)."""

    limits: dict[str, tuple[float, float]]  # every factor, [lo, hi] on the observed values
    restricted: list[str]  # factors whose limits are narrower than their observed range
    coverage: float
    density: float
    mass: float
    n_points: int


@dataclass(frozen=True)
class PrimResult:
    trajectory: list[Box]  # peeling, from the whole space to the smallest box
    chosen: int  # index in the trajectory
    pasted: Box  # the chosen box after pasting (equal to it when pasting changed nothing)
    final: Box  # the pasted box without its weak limits (the box to report)
    base_rate: float  # density of the whole space
    dropped: list[tuple[str, str, float]] = field(default_factory=list)  # (factor, ≥|≤, limit)
    relaxed_density: dict[str, float] = field(default_factory=dict)  # final box minus a factor


class _Data:
    """Factor matrix, response in [0, 1] and weights, with box statistics."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> None:
        self.names = [str(c) for c in x.columns]
        self.x = x.to_numpy(float)
        self.y = np.asarray(y, float)
        self.w = np.asarray(w, float)
        self.total_w = float(self.w.sum())
        self.total_cases = float((self.w * self.y).sum())
        self.lo = self.x.min(axis=0)
        self.hi = self.x.max(axis=0)

    def inside(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return np.all((self.x >= lo) & (self.x <= hi), axis=1)

    def density(self, mask: np.ndarray) -> float:
        w = self.w[mask].sum()
        return float((self.w[mask] * self.y[mask]).sum() / w) if w > 0 else math.nan

    def mass(self, mask: np.ndarray) -> float:
        return float(self.w[mask].sum() / self.total_w)

    def box(self, lo: np.ndarray, hi: np.ndarray) -> Box:
        mask = self.inside(lo, hi)
        cases = float((self.w[mask] * self.y[mask]).sum())
        restricted = [
            n for j, n in enumerate(self.names) if lo[j] > self.lo[j] or hi[j] < self.hi[j]
        ]
        return Box(
            limits={n: (float(lo[j]), float(hi[j])) for j, n in enumerate(self.names)},
            restricted=restricted,
            coverage=cases / self.total_cases if self.total_cases > 0 else math.nan,
            density=self.density(mask),
            mass=self.mass(mask),
            n_points=int(mask.sum()),
        )


def _peel_candidates(
    data: _Data, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every box that removes about an alpha share of the box's points from one side of one
    factor (at least one distinct value, so discrete factors can be peeled too)."""
    mask = data.inside(lo, hi)
    out = []
    for j in range(data.x.shape[1]):
        v = np.sort(data.x[mask, j])
        distinct = np.unique(v)
        if distinct.size < 2:
            continue
        k = max(1, math.floor(alpha * v.size))
        new_lo = v[k] if v[k] > v[0] else distinct[1]
        new_hi = v[-1 - k] if v[-1 - k] < v[-1] else distinct[-2]
        lo2 = lo.copy()
        lo2[j] = new_lo
        hi2 = hi.copy()
        hi2[j] = new_hi
        out += [(lo2, hi.copy()), (lo.copy(), hi2)]
    return out


def _paste_candidates(
    data: _Data, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every box that adds about an alpha share (of the box's points) of the points just outside
    one side of one factor, within the box's limits on the other factors."""
    n_box = int(data.inside(lo, hi).sum())
    k = max(1, math.floor(alpha * n_box))
    out = []
    for j in range(data.x.shape[1]):
        others = np.ones(len(data.x), bool)
        for i in range(data.x.shape[1]):
            if i != j:
                others &= (data.x[:, i] >= lo[i]) & (data.x[:, i] <= hi[i])
        below = np.sort(data.x[others & (data.x[:, j] < lo[j]), j])[::-1]
        above = np.sort(data.x[others & (data.x[:, j] > hi[j]), j])
        if below.size:
            lo2 = lo.copy()
            lo2[j] = below[min(k, below.size) - 1]
            out.append((lo2, hi.copy()))
        if above.size:
            hi2 = hi.copy()
            hi2[j] = above[min(k, above.size) - 1]
            out.append((lo.copy(), hi2))
    return out


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    paste: bool = True,
    prune: float = 0.05,
) -> PrimResult:
    """PRIM (Friedman & Fisher 1999) on rows of factor values ``x`` with response ``y`` in
    [0, 1] (a case indicator, or the share of a point's runs that are cases) and ``weights``
    (runs per point).

    Peeling: repeatedly drop the alpha slice (from one side of one factor) whose removal leaves
    the highest density, while the box keeps at least ``min_mass``. The chosen box is the
    densest on the trajectory with coverage ≥ ``min_coverage``; pasting then widens it one
    alpha slice at a time while that does not lower its density; last, the weakest limits are
    dropped while the box keeps (1 − ``prune``) of its density (0: keep every limit).
    """
    if not 0 < alpha < 0.5:
        raise ExperimentError(f"--alpha: must be in (0, 0.5); got {alpha}")
    if not 0 < min_mass < 1:
        raise ExperimentError(f"--min-mass: must be in (0, 1); got {min_mass}")
    data = _Data(x, y, np.ones(len(x)) if weights is None else weights)
    lo, hi = data.lo.copy(), data.hi.copy()
    trajectory = [data.box(lo, hi)]
    while trajectory[-1].density < 1.0:
        best: tuple[float, float, np.ndarray, np.ndarray] | None = None
        for lo2, hi2 in _peel_candidates(data, lo, hi, alpha):
            mask = data.inside(lo2, hi2)
            mass = data.mass(mask)
            if mass < min_mass or not mask.any():
                continue
            key = (data.density(mask), mass)  # densest; among equals, the larger box
            if best is None or key > best[:2]:
                best = (*key, lo2, hi2)
        if best is None:
            break
        lo, hi = best[2], best[3]
        trajectory.append(data.box(lo, hi))
    chosen = choose_box(trajectory, min_coverage)
    c_lo = np.array([trajectory[chosen].limits[n][0] for n in data.names])
    c_hi = np.array([trajectory[chosen].limits[n][1] for n in data.names])
    if paste:
        c_lo, c_hi = _paste(data, c_lo, c_hi, alpha)
    pasted = data.box(c_lo, c_hi)
    f_lo, f_hi, dropped = _prune(data, c_lo, c_hi, prune)
    final = data.box(f_lo, f_hi)
    relaxed = {}
    for j, n in enumerate(data.names):
        if n in final.restricted:
            lo_r, hi_r = f_lo.copy(), f_hi.copy()
            lo_r[j], hi_r[j] = data.lo[j], data.hi[j]
            relaxed[n] = data.density(data.inside(lo_r, hi_r))
    return PrimResult(trajectory, chosen, pasted, final, trajectory[0].density, dropped, relaxed)


def _prune(
    data: _Data, lo: np.ndarray, hi: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str, float]]]:
    """Drop the weakest limit, again and again, while the box keeps at least (1 − tolerance) of
    its density. Peeling nibbles at every factor on its way; a box is only readable with the
    limits that carry it (Bryant & Lempert 2010)."""
    lo, hi = lo.copy(), hi.copy()
    floor = (1 - tolerance) * data.density(data.inside(lo, hi))
    dropped: list[tuple[str, str, float]] = []
    while True:
        best: tuple[float, int, str] | None = None
        for j in range(len(data.names)):
            for side in ("lo", "hi"):
                bound, full = (lo, data.lo) if side == "lo" else (hi, data.hi)
                if bound[j] == full[j]:
                    continue
                lo2, hi2 = lo.copy(), hi.copy()
                (lo2 if side == "lo" else hi2)[j] = full[j]
                density = data.density(data.inside(lo2, hi2))
                if density >= floor - 1e-12 and (best is None or density > best[0]):
                    best = (density, j, side)
        if best is None:
            return lo, hi, dropped
        _, j, side = best
        if side == "lo":
            dropped.append((data.names[j], "≥", float(lo[j])))
            lo[j] = data.lo[j]
        else:
            dropped.append((data.names[j], "≤", float(hi[j])))
            hi[j] = data.hi[j]


def choose_box(trajectory: list[Box], min_coverage: float) -> int:
    """The densest box whose coverage is at least ``min_coverage`` (ties: the earlier, larger)."""
    ok = [i for i, b in enumerate(trajectory) if b.coverage >= min_coverage - 1e-12]
    if not ok:
        return 0
    return max(ok, key=lambda i: (trajectory[i].density, -i))


def _paste(
    data: _Data, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    current = data.density(data.inside(lo, hi))
    while True:
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        for lo2, hi2 in _paste_candidates(data, lo, hi, alpha):
            d = data.density(data.inside(lo2, hi2))
            if d >= current - 1e-12 and (best is None or d > best[0]):
                best = (d, lo2, hi2)
        if best is None:
            return lo, hi
        current, lo, hi = best
