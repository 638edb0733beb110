"""`summit report DIR [DIR ...] --out report.html`: one self-contained HTML page of finished
batches. Thin: the page is built by model.analysis.report."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("batch_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="The HTML file to write (one file: figures inside, opens offline).")  # fmt: skip
def report_cmd(batch_dirs: tuple[Path, ...], out: Path) -> None:
    """One HTML page of finished batches: the question, the scenarios, results with intervals,
    the timeline, comparisons or sweep plots, strain, sources and provenance."""
    from model.analysis.report import write_report

    report = write_report(list(batch_dirs), out)
    click.echo(
        f"report written to {out} ({len(report.tables)} tables, {len(report.figures)} figures)",
        err=True,
    )


COMMANDS = [report_cmd]
