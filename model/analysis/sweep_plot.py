"""`summit plot DIR`: a finished sweep's outcome against one factor (line) or two (heatmap),
with the scenario as a categorical factor when the batch varies it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.analysis.labels import find_outcome
from model.analysis.labels import outcome as outcome_of
from model.analysis.plots import factor_plot, heatmap_plot
from model.errors import ExperimentError


def sweep_plot(
    batch_dir: Path,
    x: str | None,
    y: str | None,
    outcome: str,
    out: Path,
    scenario: str | None = None,
) -> str:
    """`summit plot`: a finished batch's outcome against one factor (line) or two (heatmap).

    A batch that varies the scenario treats it as a categorical factor: one line per scenario
    against x, or (a heatmap has no room for a third factor) the heatmap of ``scenario``."""
    from model.analysis.sweeps import load_sweep

    sweep = load_sweep(batch_dir)
    summary = _one_scenario(sweep.summary, sweep.scenarios, scenario, batch_dir)
    numeric = [f for f in sweep.factors if f != "model.rule"]
    swept = [f for f in numeric if summary[f].nunique() > 1]
    where = f"{batch_dir}: manifest.json: design.factors"
    if not swept:  # a plain batch (summit run), or a sweep whose factors never vary
        raise ExperimentError(
            f"{where}: summit plot draws an outcome against factors that vary between design "
            f"points, and none does here (summit table prints this batch; summit sweep "
            f"--factor PATH=LO:HI makes a sweep to plot); got {numeric}"
        )
    if x is None:
        if y is not None:
            raise ExperimentError("--y: needs --x as well; got only --y")
        if len(swept) > 2:
            raise ExperimentError(
                f"{where}: {len(swept)} factors vary: choose the x axis with --x (and --y for a "
                f"heatmap) among them; got {swept}"
            )
        x, y = swept[0], (swept[1] if len(swept) == 2 else None)
    for opt, f in (("--x", x), ("--y", y)):
        if f is not None and f not in numeric:
            raise ExperimentError(f"--{opt.strip('-')}: must be a swept factor of {batch_dir} "
                                  f"({', '.join(numeric) or 'none'}); got {f!r}")  # fmt: skip
    if find_outcome(outcome) is None and outcome not in sweep.summary.columns:
        outcome_of(outcome)  # raises the error that lists the known outcomes
    labels = {f: sweep.label(f) for f in numeric}
    summary = summary.reset_index(drop=True)
    title = f"{summary['scenario'].iloc[0]}; " if scenario is not None else ""
    if y is None:
        many = ["scenario"] if summary["scenario"].nunique() > 1 else []
        return factor_plot(summary, x, outcome, out, labels, factors=[*swept, *many])
    if summary["scenario"].nunique() > 1:
        rule = (
            f"a heatmap shows one scenario and this batch holds {len(sweep.scenarios)}: choose "
            f"one (summit compare {batch_dir} draws their difference)"
        )
        raise ExperimentError(f"--scenario: {rule}; got none of {sweep.scenarios}")
    return heatmap_plot(summary, x, y, outcome, out, labels, title=title or None)


def _one_scenario(
    summary: pd.DataFrame, names: list[str], scenario: str | None, batch_dir: Path
) -> pd.DataFrame:
    """The rows of ``scenario`` (all rows without one); a name the batch lacks is one line."""
    if scenario is None:
        return summary
    if scenario not in names:
        raise ExperimentError(
            f"--scenario: must be a scenario of {batch_dir} ({', '.join(names)}); got {scenario!r}"
        )
    return summary[summary["scenario"] == scenario]
