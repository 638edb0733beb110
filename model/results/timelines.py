"""Timelines of a batch's runs: how alliance strain develops week by week (the per-run strain path
`strain_w4`, `strain_w8`, … recorded every 4 weeks), as quantiles across runs with intervals —
the strain companion of P(summit by date)."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from model.errors import ExperimentError
from model.results.bands import clustered_ci
from model.results.stats import mean_ci, wilson
from model.results.tables import (
    estimate,
    interval_name,
    latex_table,
    machine_readable,
    markdown_table,
)

_PATH = re.compile(r"^strain_w(\d+)$")


def strain_timeline(runs: pd.DataFrame, start: dt.date, high: float) -> pd.DataFrame:
    """Per checkpoint week: the strain index's mean [95% CI], p10 / p50 / p90 across runs, and
    the share of runs at or above the high-strain threshold [Wilson 95%; with worlds, both
    intervals clustered by world]."""
    weeks = sorted((int(m.group(1)), c) for c in runs.columns if (m := _PATH.match(c)))
    if not weeks:
        raise ExperimentError(
            "runs: strain_w4…: this batch has no strain path (written before strain became a "
            "weekly state); got none"
        )
    rows = []
    world = runs["world"].to_numpy(np.int64) if "world" in runs.columns else None
    for week, col in weeks:
        x = runs[col].to_numpy(float)
        n = x.size
        mean, lo, hi = mean_ci(n, float(x.sum()), float(np.square(x).sum()))
        high_then = x >= high - 1e-7  # float32 path: a value at the threshold counts
        k = int(high_then.sum())
        p_lo, p_hi = wilson(k, n)
        if world is not None:  # runs of a world share its parameters: clustered intervals
            lo, hi = clustered_ci(x, world)
            p_lo, p_hi = clustered_ci(high_then, world)
        p10, p50, p90 = np.percentile(x, [10, 50, 90])
        end = start + dt.timedelta(weeks=week) - dt.timedelta(days=1)
        rows.append(
            {
                "week": week,
                "by": end.isoformat(),
                "strain_mean": mean,
                "strain_mean_lo": lo,
                "strain_mean_hi": hi,
                "strain_p10": p10,
                "strain_p50": p50,
                "strain_p90": p90,
                "p_high_strain": k / n,
                "p_high_strain_lo": p_lo,
                "p_high_strain_hi": p_hi,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["clustered"] = world is not None  # which interval: the notes say it
    return out


def strain_timeline_note(df: pd.DataFrame) -> str:
    plain = "normal for the mean, Wilson score for the proportion"
    return f"95% intervals: {interval_name(df, plain)}."


def format_strain_timeline(df: pd.DataFrame, fmt: str = "md") -> str:
    """The strain timeline in a format (also the merged summit + strain timeline for csv/json)."""
    if (text := machine_readable(df, fmt)) is not None:
        return text
    rows = df.to_dict(orient="records")
    view = pd.DataFrame(
        {
            "weeks": df["week"].astype(int),
            "by": df["by"],
            "strain index mean [95% CI]": [
                estimate(r["strain_mean"], r["strain_mean_lo"], r["strain_mean_hi"]) for r in rows
            ],
            "p10 / p50 / p90": [
                f"{r['strain_p10']:.3f} / {r['strain_p50']:.3f} / {r['strain_p90']:.3f}"
                for r in rows
            ],
            "P(high strain then) [95% CI]": [
                estimate(r["p_high_strain"], r["p_high_strain_lo"], r["p_high_strain_hi"])
                for r in rows
            ],
        }
    )
    if fmt == "latex":
        return latex_table(view, left=["by"], notes=[strain_timeline_note(df)])
    return markdown_table(view, left=["by"])
