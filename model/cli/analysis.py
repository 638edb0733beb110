"""`summit sensitivity`, `summit discover` and `summit plot`: analyses of a finished sweep.

Thin: the work is in model.analysis (sensitivity, discovery, plots). Bad input raises
ExperimentError, which `summit`'s main() prints as one line and turns into exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from model.analysis.labels import DEFAULT_OUTCOMES, OUTCOMES, outcome
from model.errors import ExperimentError

ANALYSIS_FORMATS = click.Choice(["md", "csv", "json"])
# a summit that strains some alliance pair to 0.5 or more (the peak of the mean over pairs,
# `strain`, seldom reaches 0.5: the example found no run); tests/test_docs.py runs it
WHERE_EXAMPLE = "summit and strain_max >= 0.5"


def _outcome_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """The fixed outcomes, or an ally's bypass as the scenario names it (p_<ally>_bypassed)."""
    names = value if isinstance(value, tuple) else (value,)
    for name in names:
        try:
            outcome(name)
        except ExperimentError:
            known = ", ".join([*OUTCOMES, "p_bypassed_<ally>"])
            raise click.BadParameter(f"must be one of {known}; got {name!r}") from None
    return value


@click.command("sensitivity")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--outcome", "outcomes", multiple=True, callback=_outcome_name,
              help=f"Repeat for several [default: {', '.join(DEFAULT_OUTCOMES)}].")  # fmt: skip
@click.option("--format", "fmt", type=ANALYSIS_FORMATS, default="md", show_default=True)
@click.option("--plot", type=click.Path(path_type=Path), default=None, help="Bar chart PNG.")
def sensitivity_cmd(
    batch_dir: Path, outcomes: tuple[str, ...], fmt: str, plot: Path | None
) -> None:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices of a finished sobol/morris sweep, with the
    share of variance that is replication noise."""
    from model.analysis.sensitivity import analyse_sweep, format_sensitivity

    result = analyse_sweep(batch_dir, list(outcomes) or None)
    click.echo(format_sensitivity(result, fmt))
    if plot is not None:
        from model.analysis.plots import sensitivity_plot

        sensitivity_plot(result, plot)
        click.echo(f"plot written to {plot}", err=True)


@click.command("importance")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--point", type=click.IntRange(min=0), default=None,
              help="Design point of a sweep [default: the batch's only point].")  # fmt: skip
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="Ranges shown per outcome (md).")  # fmt: skip
@click.option("--delta", "with_delta", is_flag=True,
              help="Also Borgonovo's delta (slow: minutes with dozens of ranges).")  # fmt: skip
@click.option("--format", "fmt", type=ANALYSIS_FORMATS, default="md", show_default=True)
def importance_cmd(
    batch_dir: Path, point: int | None, top: int, with_delta: bool, fmt: str
) -> None:
    """Rank the scenario's judgement ranges by their share of the spread over worlds of
    P(summit), P(agreement) and mean strain (RBD-FAST S1, optionally Borgonovo's delta; SALib)."""
    from model.analysis.importance import format_importance, importance

    result = importance(batch_dir, point, with_delta=with_delta)
    click.echo(format_importance(result, fmt, top))


@click.command("discover")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--where", required=True,
              help=f'Condition on run columns, e.g. "{WHERE_EXAMPLE}".')  # fmt: skip
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Peeling share.")
@click.option("--min-mass", type=float, default=0.05, show_default=True,
              help="Smallest box, as a share of the runs.")  # fmt: skip
@click.option("--min-coverage", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Choose the densest box that still holds this share of the cases.")  # fmt: skip
@click.option("--paste/--no-paste", default=True, show_default=True)
@click.option("--prune", type=click.FloatRange(0, 1, max_open=True), default=0.05,
              show_default=True, help="Drop the weakest limits while together they cost at "
              "most this share of the box's density (0: keep all).")  # fmt: skip
@click.option("--format", "fmt", type=ANALYSIS_FORMATS, default="md", show_default=True)
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="Coverage–density trajectory PNG.")  # fmt: skip
def discover_cmd(
    batch_dir: Path,
    where: str,
    alpha: float,
    min_mass: float,
    min_coverage: float,
    paste: bool,
    prune: float,
    fmt: str,
    plot: Path | None,
) -> None:
    """Scenario discovery: PRIM boxes of factor values where a condition on the runs holds."""
    from model.analysis.discovery import discover, format_discovery

    found = discover(batch_dir, where, alpha, min_mass, min_coverage, paste, prune)
    click.echo(format_discovery(found, fmt))
    if plot is not None:
        from model.analysis.plots import trajectory_plot

        trajectory_plot(found, plot)
        click.echo(f"plot written to {plot}", err=True)


@click.command("plot")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--x", "x", default=None, help="Factor (dotted path) on the x axis.")
@click.option("--y", "y", default=None, help="Second factor: a heatmap.")
@click.option("--outcome", callback=_outcome_name, default="p_summit", show_default=True)
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="PNG file.")
@click.option(
    "--timeline", is_flag=True, help="P(summit by date) and the strain index over time (point 0)."
)
@click.option("--scenario", default=None,
              help="In a batch that varies the scenario: plot this one.")  # fmt: skip
def plot_cmd(
    batch_dir: Path,
    x: str | None,
    y: str | None,
    outcome: str,
    out: Path,
    timeline: bool,
    scenario: str | None,
) -> None:
    """Plot a finished sweep: an outcome against one factor (with its 95% interval) or two
    (a heatmap); or, with --timeline, any batch's summit and strain over time."""
    if timeline:
        from model.analysis.timeline_plot import timeline_plot
        from model.batch import design_from_manifest, read_runs

        scn = pick_scenario(design_from_manifest(batch_dir).all_scenarios, scenario, batch_dir)
        runs = read_runs(batch_dir)
        runs = runs[(runs["point"] == 0) & (runs["scenario"] == scn.name)]
        high = scn.spec.thresholds.high_strain
        title = f"{scn.name}: summit and alliance strain"
        point = design_from_manifest(batch_dir).points[0]
        if point:  # a sweep: say which design point this is (it read as the scenario itself)
            values = ", ".join(f"{path} = {value}" for path, value in point.items())
            title += f", design point 0 ({values})"
        timeline_plot(runs, scn.spec.meta.start, scn.weeks, high, title, out)
        click.echo(f"plot written to {out} (timeline)", err=True)
        return
    from model.analysis.sweep_plot import sweep_plot

    how = sweep_plot(batch_dir, x, y, outcome, out, scenario)
    click.echo(f"plot written to {out} ({how})", err=True)


def pick_scenario(scenarios: tuple[Any, ...], name: str | None, batch_dir: Path) -> Any:
    """The batch's scenario called ``name``; without a name, its only one (a batch that varies
    the scenario needs --scenario, rather than a mixture of them)."""
    names = [s.name for s in scenarios]
    if name is None and len(scenarios) == 1:
        return scenarios[0]
    if name in names:
        return scenarios[names.index(name)]
    rule = f"must name a scenario of {batch_dir} ({', '.join(names)})"
    raise ExperimentError(f"--scenario: {rule}; got {name!r}")


COMMANDS = [sensitivity_cmd, importance_cmd, discover_cmd, plot_cmd]
