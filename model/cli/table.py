"""`summit table`: a finished batch's summary as a table, or its timeline (P(summit by date) and
the strain index every 4 weeks)."""

from __future__ import annotations

from pathlib import Path

import click

from model.errors import ExperimentError, problem

FORMATS = click.Choice(["md", "csv", "latex", "json"])


@click.command("table")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default="md", show_default=True)
@click.option("--timeline", is_flag=True,
              help="P(summit by date) and the strain index, every 4 weeks (point 0).")  # fmt: skip
def table_cmd(batch_dir: Path, fmt: str, timeline: bool) -> None:
    """Print a finished batch's summary as a table (or its summit and strain timeline)."""
    from model.batch import load_manifest
    from model.results.tables import format_table, read_summary, report_columns

    status = load_manifest(batch_dir).get("status")
    if status != "complete":
        raise ExperimentError(
            f"{batch_dir}: manifest.json: status: the batch is not complete (finish it with "
            f"--resume); got {status!r}"
        )
    summary = read_summary(batch_dir)
    if not timeline:
        needed = [c for _, col, iv, _ in report_columns(summary) for c in (col, *(iv or ()))]
        if missing := [c for c in needed if c not in summary.columns]:
            rule = "not a summary summit wrote (columns missing)"
            raise ExperimentError(problem(f"{batch_dir}/summary.csv", "", rule, missing))
        click.echo(format_table(summary, fmt))
        return
    import pandas as pd

    from model.batch import design_from_manifest, read_runs
    from model.results.tables import format_timeline
    from model.results.tables import timeline as summit_timeline
    from model.results.timelines import format_strain_timeline, strain_timeline

    scenarios = design_from_manifest(batch_dir).all_scenarios
    runs = read_runs(batch_dir)
    merged = []
    for i, scn in enumerate(scenarios):  # a batch that varies the scenario: one timeline each
        rows = runs[(runs["point"] == 0) & (runs["scenario"] == scn.name)]
        start = scn.spec.meta.start
        summit_tl = summit_timeline(rows, start, scn.weeks)
        strain_tl = strain_timeline(rows, start, scn.spec.thresholds.high_strain)
        if fmt in ("csv", "json"):  # one machine-readable table, a row per checkpoint week
            both = summit_tl.merge(strain_tl, on=["week", "by"], how="left")
            merged.append(both.assign(scenario=scn.name) if len(scenarios) > 1 else both)
            continue
        if len(scenarios) > 1:
            click.echo(("\n" if i else "") + f"{scn.name} (point 0):\n")
        click.echo(format_timeline(summit_tl, fmt))
        click.echo("")
        click.echo(format_strain_timeline(strain_tl, fmt))
    if merged:
        click.echo(format_strain_timeline(pd.concat(merged, ignore_index=True), fmt))


COMMANDS = [table_cmd]
