"""The `summit` command line: a thin layer over the package's functions.

Exit codes: 0 success; 2 bad input (usage, scenario, missing file), with one line per problem that
names the file, the key path, the rule and the value, and no traceback; 1 internal error or failed
chunks; 130 interrupted (finished chunks are kept: resume with ``--resume``).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from model.errors import SummitError
from model.scenario import BASELINE, load_scenario, shipped_scenarios

FORMATS = click.Choice(["md", "csv", "latex", "json"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="summit-sim")
def cli() -> None:
    """summit-sim: agent-based scenarios of summit diplomacy."""


def _progress(total: int) -> Any:
    from tqdm import tqdm

    # disable=None: a bar on a terminal, silence when piped or in CI
    return tqdm(total=total, unit="run", unit_scale=True, disable=None, file=sys.stderr)


def _default_out(name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{name}-{stamp}"


@cli.command()
@click.argument("scenario", required=False, default=BASELINE)
@click.option("--runs", "-n", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--seed", "-s", type=int, default=None, help="Root seed [default: 20240315].")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Batch directory [default: results/<scenario>-<time>].")  # fmt: skip
@click.option("--resume", is_flag=True, help="Finish an interrupted batch in --out.")
@click.option("--format", "fmt", type=FORMATS, default="md", show_default=True)
@click.option("--chunk-runs", type=click.IntRange(min=1), default=None,
              help="Runs per chunk (whole blocks of 250) [default: 5000].")  # fmt: skip
def run(
    scenario: str,
    runs: int,
    seed: int | None,
    workers: int,
    out: Path | None,
    resume: bool,
    fmt: str,
    chunk_runs: int | None,
) -> None:
    """Run a batch of SCENARIO (a file or a shipped name; default: the baseline)."""
    from model.runner import DEFAULT_CHUNK_RUNS, DEFAULT_SEED, Design, run_batch
    from model.tables import format_table

    scn = load_scenario(scenario)
    design = Design(
        scn,
        replications=runs,
        root_seed=DEFAULT_SEED if seed is None else seed,
        chunk_runs=chunk_runs or DEFAULT_CHUNK_RUNS,
    )
    if resume and out is None:
        raise click.UsageError("--resume needs --out DIR")
    out = out or _default_out(scn.name)
    with _progress(design.total_runs) as bar:
        result = run_batch(design, out=out, workers=workers, resume=resume, progress=bar.update)
    click.echo(format_table(result.summary, fmt))
    click.echo(f"\nwritten to {out}/ (manifest.json, runs/, summary.csv, summary.md)", err=True)
    if result.failures:
        for chunk, err in result.failures:
            click.echo(f"chunk {chunk} failed: {err}", err=True)
        sys.exit(1)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True)
def check(scenarios: tuple[str, ...]) -> None:
    """Validate scenario files; exit 0, or 2 with one line per problem."""
    problems: list[str] = []
    for s in scenarios:
        try:
            scn = load_scenario(s)
        except SummitError as exc:
            problems.append(str(exc))
            continue
        click.echo(f"ok  {s}: {scn.name} ({len(scn.values())} numeric parameters)")
    if problems:
        click.echo("\n".join(problems), err=True)
        sys.exit(2)


@cli.command(name="scenarios")
def list_scenarios() -> None:
    """List the shipped scenarios with one-line descriptions."""
    for path in shipped_scenarios():
        scn = load_scenario(path)
        base = f" (variant of {scn.spec.meta.variant_of})" if scn.spec.meta.variant_of else ""
        click.echo(f"{scn.name:<24} {scn.spec.meta.description}{base}")


@cli.command()
@click.argument("scenario", required=False, default=BASELINE)
@click.option("--seed", "-s", type=int, default=None, help="Root seed [default: 20240315].")
def explain(scenario: str, seed: int | None) -> None:
    """Tell one run (replication 0 of --seed) week by week."""
    from model.explain import explain as narrate
    from model.runner import DEFAULT_SEED

    click.echo(narrate(load_scenario(scenario), DEFAULT_SEED if seed is None else seed))


@cli.command()
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default="md", show_default=True)
def table(batch_dir: Path, fmt: str) -> None:
    """Print a finished batch's summary as a table."""
    from model.tables import format_table, read_summary

    click.echo(format_table(read_summary(batch_dir), fmt))


def _register_optional() -> None:
    """Commands that live in their own modules."""
    try:
        from model.cli_bargaining import backtest_cmd, forecast_cmd
    except ImportError:
        return
    cli.add_command(forecast_cmd)
    cli.add_command(backtest_cmd)


_register_optional()


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps errors to exit codes and one-line messages."""
    try:
        cli.main(args=argv, prog_name="summit", standalone_mode=False)
    except SummitError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except click.UsageError as exc:
        cmd = exc.ctx.command_path if exc.ctx else "summit"
        click.echo(f"{cmd}: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo(
            "interrupted: finished chunks are kept; finish with --resume --out DIR", err=True
        )
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"summit: {exc.format_message()}", err=True)
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("SUMMIT_DEBUG"):
            raise
        click.echo(f"summit: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
