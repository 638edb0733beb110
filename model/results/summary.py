"""Per-point tallies that merge across chunks, and the summary table built from them.

A batch never needs all run rows in memory: each chunk's rows update a `PointTally` (counts, sums,
and fixed histograms for quantiles) and the summary is read off the tallies. Tallies are folded in
chunk-id order, so the summary is identical however many workers produced the chunks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from model.results.bands import COUNTED, WorldTally
from model.results.stats import mean_ci, wilson
from model.sim.seeding import BLOCK

STRAIN_BINS = 2000  # strain quantiles are exact to 1/2000 = 0.0005


@dataclass
class PointTally:
    weeks: int
    bypass: dict[str, int]  # bypass column (derived from the scenario) → count
    n: int = 0
    summit: int = 0
    agreement: int = 0
    high_strain: int = 0
    wedge: int = 0
    strain_sum: float = 0.0
    strain_sq: float = 0.0
    strain_hist: np.ndarray = field(default_factory=lambda: np.zeros(STRAIN_BINS, np.int64))
    week_hist: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    world: WorldTally | None = None  # per-world tallies of a batch with judgement worlds

    def __post_init__(self) -> None:
        if self.week_hist.size == 0:
            self.week_hist = np.zeros(self.weeks, np.int64)

    def add(self, rows: pd.DataFrame) -> None:
        if self.world is not None:
            self.world.add(rows, (*COUNTED, *self.bypass))
        self.n += len(rows)
        for name in ("summit", "agreement", "high_strain", "wedge"):
            setattr(self, name, getattr(self, name) + int(rows[name].sum()))
        for name in self.bypass:
            self.bypass[name] += int(rows[name].sum())
        strain = rows["strain"].to_numpy(float)
        # Sum per seeding block, then add the block sums in block order: the blocks (and their
        # order within a point) are the same for any chunk size, so the sums are too, bit for bit.
        block = rows["replication"].to_numpy() // BLOCK
        starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
        for total, total_sq in zip(
            np.add.reduceat(strain, starts).tolist(),
            np.add.reduceat(np.square(strain), starts).tolist(),
            strict=True,
        ):
            self.strain_sum += total
            self.strain_sq += total_sq
        bins = np.minimum((strain * STRAIN_BINS).astype(np.int64), STRAIN_BINS - 1)
        self.strain_hist += np.bincount(bins, minlength=STRAIN_BINS)
        weeks = rows["summit_week"].to_numpy(float)
        weeks = weeks[~np.isnan(weeks)].astype(np.int64)
        self.week_hist += np.bincount(weeks, minlength=self.weeks)[: self.weeks]


def tally_columns(bypass: Sequence[str], worlds: int = 1) -> list[str]:
    """The run columns `tally` reads (a batch's summary reads only these from its shards)."""
    ids = ["point", "replication", *(["world"] if worlds > 1 else [])]
    return [*ids, *COUNTED, *bypass, "strain", "summit_week"]


def tally(
    frames: Iterable[pd.DataFrame], weeks: int, bypass: Sequence[str], worlds: int = 1
) -> dict[int, PointTally]:
    """Fold run rows (in the order given) into one tally per design point; ``bypass`` names the
    run columns of the allies whose bypass the summary reports (`OutcomeNames.bypass`); with
    ``worlds`` > 1 each point also keeps per-world tallies (`model.results.bands`)."""
    out: dict[int, PointTally] = {}
    for df in frames:
        for point, rows in df.groupby("point", sort=True):
            key = int(point)  # type: ignore[arg-type]
            if key not in out:
                per_world = WorldTally(worlds) if worlds > 1 else None
                out[key] = PointTally(weeks, dict.fromkeys(bypass, 0), world=per_world)
            out[key].add(rows)
    return out


def _hist_quantile(hist: np.ndarray, q: float, lo: float, width: float) -> float:
    """Quantile from a histogram, linear within the bin that holds it."""
    n = hist.sum()
    if n == 0:
        return float("nan")
    cum = np.cumsum(hist)
    target = q * n
    b = int(np.searchsorted(cum, target, side="left"))
    before = cum[b - 1] if b > 0 else 0
    inside = (target - before) / hist[b] if hist[b] else 0.0
    return lo + (b + inside) * width


def _median_int(hist: np.ndarray) -> float:
    """Exact median of integer values given as counts (mean of the two middle values)."""
    n = int(hist.sum())
    if n == 0:
        return float("nan")
    cum = np.cumsum(hist)
    lo = int(np.searchsorted(cum, (n - 1) // 2 + 1))
    hi = int(np.searchsorted(cum, n // 2 + 1))
    return (lo + hi) / 2


def summary_columns(bypass: Sequence[str], worlds: bool = False) -> list[str]:
    """The summary's outcome columns; ``p_<bypass column>`` for each tallied ally; with
    ``worlds``, the judgement layer's columns (`BAND_COLUMNS`).

    The columns added after the first contract (the intervals of P(high strain) and of each
    bypass, the median summit's date, the judgement layer) come last, so every earlier column
    keeps its position; a batch without worlds has exactly the columns it had before them.
    """
    i = SUMMARY_COLUMNS.index("p_wedge")
    return [
        *SUMMARY_COLUMNS[:i],
        *(f"p_{c}" for c in bypass),
        *SUMMARY_COLUMNS[i:],
        "p_high_strain_lo",
        "p_high_strain_hi",
        *(f"p_{c}_{end}" for c in bypass for end in ("lo", "hi")),
        "summit_date_median",
        *(BAND_COLUMNS if worlds else []),
    ]


BAND_COLUMNS = [
    "worlds",
    "p_summit_band_lo",
    "p_summit_band_hi",
    "p_agreement_band_lo",
    "p_agreement_band_hi",
    "strain_mean_band_lo",
    "strain_mean_band_hi",
    "p_summit_judgement_share",
    "p_agreement_judgement_share",
    "strain_mean_judgement_share",
]


# without the per-ally columns, which summary_columns puts before p_wedge
SUMMARY_COLUMNS = [
    "runs",
    "p_summit",
    "p_summit_lo",
    "p_summit_hi",
    "p_agreement",
    "p_agreement_lo",
    "p_agreement_hi",
    "p_agreement_given_summit",
    "p_agreement_given_summit_lo",
    "p_agreement_given_summit_hi",
    "summit_week_median",
    "strain_mean",
    "strain_mean_lo",
    "strain_mean_hi",
    "strain_p10",
    "strain_p50",
    "strain_p90",
    "p_high_strain",
    "p_wedge",
    "p_wedge_lo",
    "p_wedge_hi",
]


def median_date(start: dt.date | None, week: float) -> str | None:
    """ISO date of a (median) week index: ``start`` + 7·week days, rounded down to a day (a
    median between two weeks falls mid-way); None without a start or a summit."""
    if start is None or math.isnan(week):
        return None
    return (start + dt.timedelta(days=math.floor(7 * week))).isoformat()


def summary_row(t: PointTally, start: dt.date | None = None) -> dict[str, Any]:
    """The outcome columns of one design point; ``start`` (the scenario's first day) dates the
    median summit week."""
    p_s = wilson(t.summit, t.n)
    p_a = wilson(t.agreement, t.n)
    p_as = wilson(t.agreement, t.summit)
    p_w = wilson(t.wedge, t.n)
    week = _median_int(t.week_hist)
    s_mean, s_lo, s_hi = mean_ci(t.n, t.strain_sum, t.strain_sq)
    width = 1.0 / STRAIN_BINS
    row = {
        "runs": t.n,
        "p_summit": t.summit / t.n,
        "p_summit_lo": p_s[0],
        "p_summit_hi": p_s[1],
        "p_agreement": t.agreement / t.n,
        "p_agreement_lo": p_a[0],
        "p_agreement_hi": p_a[1],
        "p_agreement_given_summit": t.agreement / t.summit if t.summit else float("nan"),
        "p_agreement_given_summit_lo": p_as[0],
        "p_agreement_given_summit_hi": p_as[1],
        "summit_week_median": week,
        "strain_mean": s_mean,
        "strain_mean_lo": s_lo,
        "strain_mean_hi": s_hi,
        "strain_p10": _hist_quantile(t.strain_hist, 0.10, 0.0, width),
        "strain_p50": _hist_quantile(t.strain_hist, 0.50, 0.0, width),
        "strain_p90": _hist_quantile(t.strain_hist, 0.90, 0.0, width),
        "p_high_strain": t.high_strain / t.n,
        **{f"p_{name}": count / t.n for name, count in t.bypass.items()},
        "p_wedge": t.wedge / t.n,
        "p_wedge_lo": p_w[0],
        "p_wedge_hi": p_w[1],
        **dict(
            zip(("p_high_strain_lo", "p_high_strain_hi"), wilson(t.high_strain, t.n), strict=True)
        ),
        **{
            f"p_{name}_{end}": v
            for name, count in t.bypass.items()
            for end, v in zip(("lo", "hi"), wilson(count, t.n), strict=True)
        },
        "summit_date_median": median_date(start, week),
    }
    return row if t.world is None else _with_worlds(row, t)


def _with_worlds(row: dict[str, Any], t: PointTally) -> dict[str, Any]:
    """With worlds, runs of one world share its parameters: the Monte Carlo intervals come from
    the spread over worlds (clusters), and the judgement layer's columns are added."""
    w = t.world
    assert w is not None
    for name, key in (("summit", "p_summit"), ("agreement", "p_agreement"),
                      ("wedge", "p_wedge"), ("high_strain", "p_high_strain"),
                      *((b, f"p_{b}") for b in t.bypass)):  # fmt: skip
        row[f"{key}_lo"], row[f"{key}_hi"] = w.proportion_ci(name)
    ags = w.proportion_ci("agreement", given="summit")
    row["p_agreement_given_summit_lo"], row["p_agreement_given_summit_hi"] = ags
    row["strain_mean_lo"], row["strain_mean_hi"] = w.strain_ci()
    cols = w.columns()
    cols["worlds"] = int(cols["worlds"])
    return {**row, **cols}


def summary_table(
    tallies: Mapping[int, PointTally],
    scenario: str,
    points: list[dict[str, Any]],
    factors: list[str],
    bypass: Sequence[str],
    start: dt.date | None = None,
) -> pd.DataFrame:
    """One row per design point: scenario, point, swept factors, then the outcome columns;
    ``start``, the scenario's first day (`meta.start`), dates the median summit week."""
    rows = []
    for p in sorted(tallies):
        row: dict[str, Any] = {"scenario": scenario, "point": p}
        row.update({f: points[p].get(f) for f in factors})
        row.update(summary_row(tallies[p], start))
        rows.append(row)
    worlds = any(t.world is not None for t in tallies.values())
    columns = ["scenario", "point", *factors, *summary_columns(bypass, worlds)]
    return pd.DataFrame(rows, columns=columns)
