"""The `summit` command line: a thin layer over the package's functions.

Exit codes: 0 success; 2 bad input (usage, scenario, experiment, batch directory, missing file),
with one line per problem that names the file, the key path, the rule and the value, and no
traceback; 1 internal error or failed chunks; 74 the machine refused a write (disk full,
read-only: the batch is left "interrupted" and resumable); 130 interrupted (finished chunks are
kept: resume with ``--resume``).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from model._workers import start_server
from model.cli.factors import as_int_factor, parse_factor
from model.cli.options import seed_option
from model.errors import EnvironmentProblem, ExperimentError, SummitError, problem
from model.scenario import BASELINE, load_scenario, pydantic_problems
from model.sim.seeding import DEFAULT_SEED

FORMATS = click.Choice(["md", "csv", "latex", "json"])
WORLDS_HELP = (
    "Judgement worlds: parameter sets drawn from the scenario's ranges, each with an equal "
    "share of the runs [default: 1 without ranges; else runs/100, between 10 and 200]."
)
EXIT_ENVIRONMENT = 74  # sysexits' EX_IOERR: the machine refused a write (disk full, read-only)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="summit-sim")
def cli() -> None:
    """summit-sim: agent-based scenarios of summit diplomacy."""


def _progress(total: int) -> Any:
    from tqdm import tqdm

    # disable=None: a bar on a terminal, silence when piped or in CI
    return tqdm(total=total, unit="run", unit_scale=True, disable=None, file=sys.stderr)


def _report(result: Any, out: Path, fmt: str, resume_hint: str) -> None:
    """Print a finished batch's table; on failed chunks, say which and exit 1."""
    from model.results.tables import format_table

    click.echo(format_table(result.summary, fmt))
    click.echo(f"\nwritten to {out}/ (manifest.json, runs/, summary.csv, summary.md)", err=True)
    if result.failures:
        for chunk, err in result.failures:
            click.echo(f"chunk {chunk} failed: {err}", err=True)
        click.echo(
            f"{len(result.failures)} chunk(s) failed; finished data is valid; "
            f"run them again with `{resume_hint}`",
            err=True,
        )
        sys.exit(1)


def _default_out(name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{name}-{stamp}"


@cli.command()
@click.argument("scenario", required=False, default=BASELINE)
@click.option("--runs", "-n", type=click.IntRange(min=1), default=10_000, show_default=True)
@seed_option
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Batch directory [default: results/<scenario>-<time>].")  # fmt: skip
@click.option("--resume", is_flag=False, flag_value="", default=None, metavar="[DIR]",
              help="Finish the interrupted batch in DIR (or --out) as it began.")  # fmt: skip
@click.option("--format", "fmt", type=FORMATS, default="md", show_default=True)
@click.option("--chunk-runs", type=click.IntRange(min=1), default=None,
              help="Runs per chunk (whole blocks of 250) [default: up to 10000, "
                   "the same number of chunks for each worker].")  # fmt: skip
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler.")
@click.option("--worlds", type=click.IntRange(min=1), default=None, help=WORLDS_HELP)
def run(
    scenario: str,
    runs: int,
    seed: int | None,
    workers: int,
    out: Path | None,
    resume: str | None,
    fmt: str,
    chunk_runs: int | None,
    executor: str,
    scheduler: str | None,
    worlds: int | None,
) -> None:
    """Run a batch of SCENARIO (a file or a shipped name; default: the baseline)."""
    start_server(workers, executor)  # first: its imports overlap ours (model._workers)
    from model.batch import Design, chunk_runs_for, run_batch
    from model.batch.worlds import default_worlds
    from model.cli.resume import resume_run

    if resume is not None:
        if resume and out is not None and Path(resume) != out:
            raise click.UsageError(f"--resume {resume} and --out {out} name two directories")
        out = Path(resume) if resume else out
        if out is None:
            raise click.UsageError("--resume needs the batch directory: summit run --resume DIR")
        design = resume_run(out, scenario, runs, seed, chunk_runs, worlds)
    else:
        scn = load_scenario(scenario)
        design = Design(
            scn,
            replications=runs,
            root_seed=DEFAULT_SEED if seed is None else seed,
            chunk_runs=chunk_runs or chunk_runs_for(runs, workers),
            worlds=worlds or default_worlds(scn, runs),
        )
    out = out or _default_out(design.scenario.name)
    with _interruptible(f"summit run --resume {out}"), _progress(design.total_runs) as bar:
        result = run_batch(
            design,
            out=out,
            workers=workers,
            resume=resume is not None,
            progress=bar.update,
            executor=executor,
            scheduler=scheduler,
            kind="run",
        )
    _report(result, out, fmt, resume_hint=f"summit run --resume {out}")


@contextmanager
def _interruptible(resume_hint: str) -> Iterator[None]:
    """Ctrl-C: one line that says how to finish this batch, exit 130, no traceback."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"interrupted: finished chunks are kept; finish with `{resume_hint}`", err=True)
        sys.exit(130)


@cli.command()
@click.argument("experiment", required=False, type=click.Path(path_type=Path))
@click.option("--scenario", "scenarios", multiple=True,
              help="Scenario to run (repeat: the scenario becomes a factor, every point runs "
              "under each); replaces an EXPERIMENT file's [default: baseline-2024].")  # fmt: skip
@click.option("--factor", "-f", "factors", multiple=True,
              help="PATH=LO:HI[:STEPS] or PATH=V1,V2 (repeat for more factors).")  # fmt: skip
@click.option("--design", type=click.Choice(["grid", "lhs", "sobol", "morris"]), default="grid")
@click.option("--samples", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--runs", "-n", type=click.IntRange(min=1), default=None,
              help="Replications per point [default: experiment's, or 500].")  # fmt: skip
@click.option("--seed", "-s", type=click.IntRange(min=0), default=None)
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None)
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path), default=None,
              help="Finish the interrupted sweep in this directory.")  # fmt: skip
@click.option("--rerun", "rerun_dir", type=click.Path(path_type=Path), default=None,
              help="Run again the design recorded in this directory's manifest.")  # fmt: skip
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler.")
@click.option("--format", "fmt", type=FORMATS, default="md", show_default=True)
@click.option("--worlds", type=click.IntRange(min=1), default=None, help=WORLDS_HELP)
def sweep(
    experiment: Path | None,
    scenarios: tuple[str, ...],
    factors: tuple[str, ...],
    design: str,
    samples: int,
    runs: int | None,
    seed: int | None,
    workers: int,
    out: Path | None,
    resume_dir: Path | None,
    rerun_dir: Path | None,
    executor: str,
    scheduler: str | None,
    fmt: str,
    worlds: int | None,
) -> None:
    """Run a design over dotted parameter paths (an EXPERIMENT file, or --factor flags)."""
    start_server(workers, executor)  # first: its imports overlap ours (model._workers)
    import hashlib

    from model.batch import design_from_manifest, load_manifest, run_batch
    from model.batch.experiment import (
        ExperimentFile,
        check_factors,
        experiment_scenarios,
        load_experiment,
        to_design,
        with_options,
    )

    extra: dict[str, Any] = {}
    if resume_dir is not None and rerun_dir is not None:
        raise click.UsageError(
            "--resume finishes a sweep and --rerun repeats one: give one of them"
        )
    if resume_dir is not None:
        from model.cli.resume import resume_sweep

        others = _typed(DESIGN_OPTIONS, experiment)
        if out is not None and out != resume_dir:
            raise click.UsageError(f"--resume {resume_dir} and --out {out} name two directories")
        des, extra = resume_sweep(resume_dir, runs, seed, others, worlds)
        out = resume_dir
    elif rerun_dir is not None:
        # a rerun repeats the recorded design exactly; an option that would change it was
        # silently ignored (a new --seed gave the same numbers, with no word)
        clash = _typed({**DESIGN_OPTIONS, "runs": "runs", "seed": "seed", "worlds": "worlds"},
                       experiment)  # fmt: skip
        if clash:
            raise click.UsageError(
                f"--rerun repeats the recorded design; {', '.join(clash)} would change it "
                "(for another design, run the manifest's command or experiment file with it)"
            )
        des = design_from_manifest(rerun_dir)
        extra = {k: v for k, v in load_manifest(rerun_dir).items() if k == "experiment"}
        out = out or rerun_dir.with_name(rerun_dir.name + "-rerun")
        extra["rerun_of"] = str(rerun_dir)
    elif experiment is not None:
        ctx = click.get_current_context()
        clash = [
            f"--{name}"
            for name in ("factor", "design", "samples")
            if ctx.get_parameter_source(name if name != "factor" else "factors")
            is click.core.ParameterSource.COMMANDLINE
        ]
        if clash:
            raise click.UsageError(
                f"{', '.join(clash)} cannot be combined with an EXPERIMENT file (edit the file)"
            )
        exp, scn, _ = load_experiment(experiment)
        exp = with_options(exp, runs, seed, scenarios, worlds)
        scns = experiment_scenarios(exp, experiment, scenarios)
        des = to_design(exp, scns[0], scns)
        digest = hashlib.sha256(experiment.read_bytes()).hexdigest()
        extra = {"experiment": {"path": str(experiment.resolve()), "sha256": digest,
                                "spec": exp.model_dump(mode="json")}}  # fmt: skip
        out = out or _default_out(exp.experiment.name)
    else:
        if not factors:
            raise click.UsageError("give an EXPERIMENT file or at least one --factor")
        chosen = list(scenarios) or [BASELINE]
        scn = load_scenario(chosen[0])
        which = {"scenarios": chosen} if len(chosen) > 1 else {"scenario": chosen[0]}
        raw = {
            "experiment": {"name": "cli-sweep", **which, "design": design,
                           "samples": samples, "replications": runs or 500,
                           **({"seed": seed} if seed is not None else {}),
                           **({"worlds": worlds} if worlds is not None else {})},
            "factors": [parse_factor(f) for f in factors],
        }  # fmt: skip
        try:
            exp = ExperimentFile.model_validate(raw)
        except ValidationError as exc:
            raise ExperimentError("\n".join(pydantic_problems(exc, raw, "--factor"))) from None
        known = scn.values()
        for f in exp.factors:  # a whole-number parameter is swept as integers
            if f.path in known and scn.bounds(f.path).integer:
                exp = as_int_factor(exp, f.path)
        check_factors(exp.factors, design, scn, "--factor")
        scns = experiment_scenarios(exp, None, scenarios)
        des = to_design(exp, scns[0], scns)
        extra = {"experiment": {"path": None, "spec": exp.model_dump(mode="json")}}
        out = out or _default_out(f"{scn.name}-sweep")
    with _interruptible(f"summit sweep --resume {out}"), _progress(des.total_runs) as bar:
        result = run_batch(
            des,
            out=out,
            workers=workers,
            resume=resume_dir is not None,
            progress=bar.update,
            extra=extra,
            executor=executor,
            scheduler=scheduler,
            kind="sweep",
        )
    _report(result, out, fmt, resume_hint=f"summit sweep --resume {out}")


def _register_optional() -> None:
    """Commands that live in their own modules (bargaining rules; analyses of sweeps)."""
    import importlib

    for module in (
        "model.cli.compare",
        "model.cli.table",
        "model.cli.forecasting",
        "model.cli.analysis",
        "model.cli.score",
        "model.cli.scenarios",
        "model.cli.claims",
        "model.cli.report",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        commands = getattr(mod, "COMMANDS", None) or [
            v for k, v in vars(mod).items() if k.endswith("_cmd") and isinstance(v, click.Command)
        ]
        for command in commands:
            cli.add_command(command)


_register_optional()


def _interrupted_line(argv: list[str]) -> str:
    """What an interrupted command says when its own handler did not (`_interruptible`): only
    `run` and `sweep` keep finished chunks to resume; the other verbs keep nothing to finish,
    and saying they did pointed to a batch directory that was never written."""
    verb = next((a for a in argv if not a.startswith("-")), "")
    if verb in ("run", "sweep"):
        return f"interrupted: finished chunks are kept; finish with `summit {verb} --resume DIR`"
    command = f"summit {verb}" if verb else "summit"
    return f"interrupted: `{command}` keeps no partial results; run it again"


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps errors to exit codes and one-line messages."""
    try:
        cli.main(args=argv, prog_name="summit", standalone_mode=False)
    except EnvironmentProblem as exc:
        click.echo(f"summit: {exc}", err=True)
        sys.exit(EXIT_ENVIRONMENT)
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
        click.echo(_interrupted_line(sys.argv[1:] if argv is None else argv), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"summit: {exc.format_message()}", err=True)
        sys.exit(2)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        # a path given on the command line that cannot be used as such: bad input
        click.echo(problem(str(exc.filename), "", "cannot be used", exc.strerror), err=True)
        sys.exit(2)
    except OSError as exc:  # the machine refused (permission, read-only, full): not a bug
        click.echo(f"summit: {exc.filename or ''}: cannot write or read: {exc.strerror}", err=True)
        sys.exit(EXIT_ENVIRONMENT)
    except Exception as exc:
        if os.environ.get("SUMMIT_DEBUG"):
            raise
        click.echo(f"summit: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


# the options that define a sweep's design (option → click parameter): --resume and --rerun take
# the design recorded in the manifest, so giving one of these with them is a mistake
DESIGN_OPTIONS = {"factor": "factors", "design": "design", "samples": "samples",
                  "scenario": "scenarios"}  # fmt: skip


def _typed(options: dict[str, str], experiment: Path | None) -> list[str]:
    """The ``options`` typed on the command line (not defaults), and EXPERIMENT if given."""
    from model.cli.resume import given

    typed = [f"--{opt}" for opt, param in options.items() if given(param)]
    return typed + (["EXPERIMENT"] if experiment is not None else [])
