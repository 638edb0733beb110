"""`summit compare A B`: differences B − A for every outcome, with 95 % intervals.

Two scenarios run now (on one pool, common random numbers) or finished batch directories; two
sweeps go to `model.cli.compare_sweeps`. Thin: the work is in `model.analysis.compare`.
"""

from __future__ import annotations

from pathlib import Path

import click

from model._workers import start_server
from model.cli.main import FORMATS
from model.errors import ExperimentError
from model.scenario import load_scenario
from model.sim.seeding import DEFAULT_SEED


@click.command("compare")
@click.argument("a")
@click.argument("b", required=False)
@click.option("--runs", "-n", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Runs per scenario (when A and B are scenarios).")  # fmt: skip
@click.option("--seed", "-s", type=click.IntRange(min=0), default=None)
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--format", "fmt", type=FORMATS, default="md", show_default=True)
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="PNG: a forest plot; for sweeps, curves or a heatmap of B − A.")  # fmt: skip
@click.option("--outcome", "outcomes", multiple=True,
              help="Sweeps: outcome to compare (repeat; 'all' for every one) "
              "[default: p_summit, strain_mean, p_wedge].")  # fmt: skip
def compare_cmd(
    a: str,
    b: str | None,
    runs: int,
    seed: int | None,
    workers: int,
    fmt: str,
    plot: Path | None,
    outcomes: tuple[str, ...],
) -> None:
    """Differences B − A for every outcome, with 95% intervals (paired under common random
    numbers). A and B are scenarios (run now, same seed) or finished batch directories; two
    sweeps (or DIR:SCENARIO, or one DIR of two scenarios) are compared point by point."""
    to_run = sum(1 for ref in (a, b) if ref is not None and not Path(ref).is_dir())
    if to_run:
        start_server(workers)  # a scenario will run: the server's imports overlap ours
    from model.analysis.compare import Side, compare_sides, format_compare
    from model.batch import (
        Design,
        chunk_runs_for,
        load_manifest,
        read_runs,
        run_batches,
    )
    from model.batch.worlds import default_worlds
    from model.cli.compare_sweeps import compared_as_sweeps

    if plot is not None and not plot.parent.is_dir():
        raise ExperimentError(f"{plot}: --plot: no such directory; got {str(plot.parent)!r}")
    if compared_as_sweeps(a, b, outcomes, fmt, plot):
        return
    if b is None:
        raise click.UsageError("needs A and B (or one batch directory of two scenarios)")
    if outcomes:
        raise click.UsageError("--outcome: only for sweeps (two scenarios compare every outcome)")

    sides: dict[int, Side] = {}
    seeds: dict[int, tuple[int, int, int]] = {}
    designs: dict[int, Design] = {}  # the sides that are scenarios: run now, on one pool
    for i, ref in enumerate((a, b)):
        path = Path(ref)
        if path.is_dir():
            m = load_manifest(path)
            rows = read_runs(path)
            scn_weeks = load_scenario(m["scenario_files"][0]["path"] if m.get("scenario_files")
                                      and Path(m["scenario_files"][0]["path"]).exists()
                                      else m["scenario"]).weeks  # fmt: skip
            d = m["design"]
            seeds[i] = (d["root_seed"], d["replications"], d.get("worlds", 1))
            sides[i] = Side(m["scenario"], rows[rows["point"] == 0], scn_weeks)
        else:
            scn = load_scenario(ref)
            s = DEFAULT_SEED if seed is None else seed
            w = default_worlds(scn, runs)
            # chunks as large as keeps every worker busy over the scenarios run
            chunk = chunk_runs_for(runs * to_run, workers)
            designs[i] = Design(scn, replications=runs, root_seed=s, worlds=w, chunk_runs=chunk)
            seeds[i] = (s, runs, w)
    for i, res in zip(designs, run_batches(list(designs.values()), workers), strict=True):
        if res.failures:
            raise ExperimentError(f"{res.design.scenario.source}: the model failed: "
                                  f"{res.failures[0][1]}")  # fmt: skip
        scn = res.design.scenario
        sides[i] = Side(scn.name, res.runs, scn.weeks)
    if sides[0].label == sides[1].label:
        sides[1] = Side(sides[1].label + " (B)", sides[1].runs, sides[1].weeks)
    paired = seeds[0] == seeds[1]
    table = compare_sides(sides[0], sides[1], paired)
    click.echo(format_compare(table, fmt))
    if plot is not None:
        from model.analysis.plots import forest_plot

        forest_plot(table, plot)
        click.echo(f"plot written to {plot}", err=True)
