"""`summit forecast` and `summit backtest`: forecast any actor table, score the rules on real
negotiations. Thin: loading, rules and scoring live in actor_table, bargaining and backtest.

Bad input exits with code 2 and one line per problem on stderr, no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from model.errors import SummitError
from model.sim.seeding import DEFAULT_SEED

if TYPE_CHECKING:
    import pandas as pd

# numpy, pandas and the tables are imported inside the commands: `summit`'s start-up stays light
# (model._workers: `summit run --workers 2` starts its worker server before the heavy imports)

RULE_NAMES = ["compromise", "median", "eu", "ktab", "fj", "challenge"]
TABLE_FORMATS = click.Choice(["md", "csv"])


@contextmanager
def _bad_input_exits() -> Iterator[None]:
    """A SummitError becomes its one-line message(s) on stderr and exit code 2."""
    try:
        yield
    except SummitError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            click.echo(line, err=True)
        raise SystemExit(2) from None


# ---------------------------------------------------------------- forecast
@click.command("forecast")
@click.argument("table", type=click.Path(path_type=Path))
@click.option(
    "--runs",
    "-n",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Replications: input perturbations and the stochastic rules' draws.",
)
@click.option("--seed", "-s", type=click.IntRange(min=0), default=DEFAULT_SEED, show_default=True)
@click.option(
    "--rule",
    type=click.Choice(RULE_NAMES),
    default="fj",
    show_default=True,
    help="Rule whose uncertainty is shown (fj: the summit model's rule).",
)
@click.option(
    "--noise",
    type=click.FloatRange(min=0, max=2),
    default=0.1,
    show_default=True,
    help="Coding error of capabilities and saliences (log-scale sd).",
)
@click.option(
    "--veto",
    is_flag=True,
    help="Decision by unanimity: every actor holds a veto, so capabilities are equal.",
)
@click.option("--format", "fmt", type=TABLE_FORMATS, default="md", show_default=True)
def forecast_cmd(
    table: Path, runs: int, seed: int, rule: str, noise: float, veto: bool, fmt: str
) -> None:  # fmt: skip
    """Forecast each issue of an actor TABLE (CSV) by every bargaining rule.

    Prints, per issue, the chosen rule's median forecast with its 5–95% range over the
    replications, then every rule's median forecast side by side. Formats: docs/VALIDATION.md.
    """
    import numpy as np
    import pandas as pd

    from model.forecasting import bargaining, dispatch
    from model.forecasting.actor_table import load_actor_table
    from model.results.tables import markdown_table

    with _bad_input_exits():
        data = load_actor_table(table)
    pos, sal, cap = data.arrays()
    if veto:
        cap = np.where(cap > 0, 1.0, 0.0)
    draws = dispatch.forecast_all(pos, sal, cap, seed=seed, runs=runs, noise=noise)
    chosen = draws[bargaining.Rule(rule)]
    frame = pd.DataFrame({"issue": list(data.issues)})
    frame[rule] = np.median(chosen, axis=0)
    frame[f"{rule}_p5"] = np.percentile(chosen, 5, axis=0)
    frame[f"{rule}_p95"] = np.percentile(chosen, 95, axis=0)
    for r, values in draws.items():
        if r.value != rule:
            frame[r.value] = np.median(values, axis=0)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False, float_format="%.2f").rstrip("\n"))
        return
    click.echo(
        f"{data.source}: {len(data.actors)} actors, {len(data.issues)} issues; {runs} replications,"
        f" noise {noise:g}, seed {seed}{', unanimity (equal capabilities)' if veto else ''}."
        f" Medians over replications; {rule}_p5–{rule}_p95: 90% range.\n"
    )
    click.echo(markdown_table(frame, digits=1))


# ---------------------------------------------------------------- backtest
@click.command("backtest")
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--boot",
    type=click.IntRange(min=100),
    default=2000,
    show_default=True,
    help="Bootstrap resamples of proposals.",
)
@click.option("--seed", "-s", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--runs",
    "-n",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Replications per issue for the stochastic rules (ktab, challenge); they take 90% of "
    "the time. docs/VALIDATION.md's tables use 50, which moves no MAE by more than 0.03.",
)
@click.option(
    "--rule",
    "rule_names",
    type=click.Choice(RULE_NAMES),
    multiple=True,
    help="Rules to score (repeatable) [default: all].",
)
@click.option(
    "--veto/--no-veto",
    default=True,
    show_default=True,
    help="Also score each rule with equal capabilities under unanimity (<rule>+veto).",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=None,
    help="Processes forecasting issues in parallel [default: the CPUs available]. The numbers "
    "do not depend on it.",
)
@click.option("--format", "fmt", type=TABLE_FORMATS, default="md", show_default=True)
def backtest_cmd(
    data: Path,
    boot: int,
    seed: int,
    runs: int,
    rule_names: tuple[str, ...],
    veto: bool,
    workers: int | None,
    fmt: str,
) -> None:
    """Score the bargaining rules on negotiations with known outcomes (DEU layout DATA file or
    folder, comma- or tab-separated, e.g. the DEU III file as distributed): mean and median
    absolute error and hit rate (|error| < 10), by voting rule, with 95% intervals from a
    bootstrap over proposals.

    Issues that cannot be scored (no outcome, no actor with a position) are left out and named
    in one warning line on stderr; voting rules coded QMV(n) are read as QMV and noted."""
    from model.forecasting.backtest import (
        available_cpus,
        forecast_issues,
        left_out_warning,
        load_deu,
        recode_notes,
        score,
    )

    with _bad_input_exits():
        negotiations = load_deu(data)
    warning = left_out_warning(negotiations)
    if warning is not None:
        click.echo(warning, err=True)
    notes = recode_notes(negotiations)
    rules = rule_names or tuple(RULE_NAMES)
    with _progress(len(negotiations)) as bar:
        frame = forecast_issues(
            negotiations,
            rules,
            runs=runs,
            seed=seed,
            veto=(False, True) if veto else (False,),
            progress=bar,
            workers=workers or available_cpus(),
        )
    table = score(
        frame, boot=boot, seed=seed, baseline="compromise" if "compromise" in rules else rules[0]
    )
    if fmt == "csv":
        for note in notes:  # stdout stays a plain CSV table
            click.echo(f"note: {note}", err=True)
        click.echo(table.to_csv(index=False, float_format="%.3f").rstrip("\n"))
        return
    left_out = f" ({len(negotiations.left_out)} left out)" if negotiations.left_out else ""
    click.echo(
        f"{negotiations.source}: {len(negotiations)} issues scored{left_out}, "
        f"{len(set(negotiations.proposal))} proposals; 95% intervals: bootstrap over proposals "
        f"({boot} resamples, seed {seed}); d_mae: mean error minus the compromise model's."
    )
    for note in notes:
        click.echo(f"Note: {note}.")
    click.echo("")
    click.echo(score_markdown(table))


def score_markdown(table: pd.DataFrame) -> str:
    """A `backtest.score` table in Markdown, each statistic with its interval in one cell."""
    from model.results.tables import markdown_table

    return markdown_table(_report_view(table))


def _report_view(table: pd.DataFrame) -> pd.DataFrame:

    def joined(name: str, scale: float = 1.0, digits: int = 1) -> pd.Series:
        return table.apply(
            lambda r: (
                f"{r[name] * scale:.{digits}f} [{r[name + '_lo'] * scale:.{digits}f}, "
                f"{r[name + '_hi'] * scale:.{digits}f}]"
            ),
            axis=1,
        )

    view = table[["rule", "voting", "issues"]].copy()
    view["MAE [95% CI]"] = joined("mae")
    view["median AE [95% CI]"] = joined("median_ae")
    view["hit % [95% CI]"] = joined("hit", 100.0, 0)
    if "d_mae" in table:
        view["d_mae [95% CI]"] = joined("d_mae", 1.0, 2)
    return view


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], object]]:
    from tqdm import tqdm

    # disable=None: a bar on a terminal, silence when piped or in CI
    with tqdm(total=total, unit="issue", disable=None, file=sys.stderr) as bar:
        yield bar.update
