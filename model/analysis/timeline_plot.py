"""`summit plot DIR --timeline`: when a summit comes and how the alliance strains, week by week —
P(summit by date) with its 95% band above (Wilson; clustered by world with worlds), the strain
index's p10–p90 band, median and mean below, on dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from model.analysis.plots import _figure, _save
from model.results.tables import timeline as summit_timeline
from model.results.timelines import strain_timeline


def timeline_plot(
    runs: pd.DataFrame, start: dt.date, weeks: int, high: float, title: str, out: Path
) -> None:
    summit = summit_timeline(runs, start, weeks, every=1)
    strain = strain_timeline(runs, start, high)
    fig = _figure((8.0, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    dates = pd.to_datetime(summit["by"])
    how = "clustered by world" if summit.attrs.get("clustered") else "Wilson"
    top.fill_between(dates, summit["lo"], summit["hi"], alpha=0.25, color="tab:blue",
                     label=f"95% interval ({how})")  # fmt: skip
    top.plot(dates, summit["p_summit"], color="tab:blue", label="P(summit by then)")
    top.set_ylim(0, 1)
    top.set_ylabel("Probability of a summit by then")
    top.legend(loc="upper left", fontsize=8)
    sdates = pd.to_datetime(strain["by"])
    band = (strain["strain_p10"], strain["strain_p90"])
    bottom.fill_between(sdates, *band, alpha=0.25, color="tab:red", label="10th–90th percentile")
    bottom.plot(sdates, strain["strain_p50"], color="tab:red", label="median")
    bottom.plot(sdates, strain["strain_mean"], color="tab:red", linestyle="--", label="mean")
    bottom.axhline(high, color="grey", linewidth=0.8, linestyle=":",
                   label=f"high-strain threshold ({high:g})")  # fmt: skip
    bottom.set_ylim(0, max(0.05, float(strain["strain_p90"].max()) * 1.2, high * 1.1))
    bottom.set_ylabel("Alliance strain index (0–1)")
    bottom.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{title} — {len(runs):,} runs", fontsize=10)
    _save(fig, out)
