"""`summit score`: the model scored on the library of past cases (docs/CASES.md).

Thin: the work is in model.analysis.scoring. Bad input (a case that does not validate, no cases)
raises ScenarioError or ExperimentError, which `summit`'s main() prints and turns into exit 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from model._workers import start_server
from model.cli.options import seed_option
from model.sim.seeding import DEFAULT_SEED

if TYPE_CHECKING:  # imported inside the command: `summit`'s start-up stays light
    from model.analysis.scoring import Library, Totals

DEFAULT_RUNS = 4000  # per case: the whole library runs in well under a minute on 2 cores
CASE_COLUMNS = ["case", "dyad", "as_of", "p_summit", "happened", "summit_date",
                "p_agreement_given_summit", "agreement", "brier", "log_score"]  # fmt: skip


@click.command("score")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--runs", "-n", type=click.IntRange(min=1), default=DEFAULT_RUNS, show_default=True,
              help="Replications per case.")  # fmt: skip
@seed_option
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md",
              show_default=True)  # fmt: skip
@click.option("--tune", default=None, metavar="PATH=V1,V2,...",
              help="Instead of scoring: would tuning this model.* constant help? Prints the "
              "leave-one-case-out Brier beside the untuned one.")  # fmt: skip
def score_cmd(
    paths: tuple[Path, ...], runs: int, seed: int | None, workers: int, fmt: str, tune: str | None
) -> None:
    """Score the model on past cases: P(summit) and P(agreement | summit) against what happened
    (Brier, log score), totals with bootstrap intervals beside the base rate and 0.5, and a
    reliability table. PATHS: case files or directories [default: scenarios/cases/]. The CSV
    has one row per case."""
    start_server(workers)  # first: its imports overlap ours (model._workers)
    from model.analysis.scoring import find_cases, score_library

    cases = find_cases(paths)
    root = DEFAULT_SEED if seed is None else seed
    if tune is not None:
        from model.analysis.scoring import loo_tune

        path, values = _parse_tune(tune)
        click.echo(format_tuning(loo_tune(cases, path, values, runs, root, workers), fmt))
        return
    click.echo(format_library(score_library(cases, runs, root, workers), fmt))


def _parse_tune(text: str) -> tuple[str, list[float]]:
    path, _, spec = text.partition("=")
    try:
        values = [float(v) for v in spec.split(",") if v.strip()]
    except ValueError:
        values = []
    if not path or not values:
        raise click.BadParameter(f"expected PATH=V1,V2,...; got {text!r}", param_hint="--tune")
    return path, values


def format_tuning(t: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(t.as_dict(), indent=2)
    rows = [[v, b, "default" if v == t.default else ""] for v, b in
            zip(t.values, t.brier_by_value, strict=True)]  # fmt: skip
    if fmt == "csv":
        return "\n".join(["value,mean_brier,note"] + [f"{v:g},{b:.4f},{n}" for v, b, n in rows])
    table = _md([[f"{v:g}", b, n] for v, b, n in rows], [t.path, "mean Brier (in-sample)", ""])
    return (
        f"{table}\n\nuntuned ({t.path} = {t.default:g}): {t.brier_default:.3f}; "
        f"best in-sample ({t.best:g}): {t.brier_best:.3f} (optimistic); "
        f"leave-one-case-out: {t.brier_loo:.3f} (values chosen: "
        f"{', '.join(f'{v:g}' for v in t.chosen)})"
    )


def _num(x: Any, digits: int = 3) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "–"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _md(rows: list[list[Any]], head: list[str], right: int = 1) -> str:
    """The project's one Markdown writer; the first ``right`` columns are text (left-aligned)."""
    import pandas as pd

    from model.results.tables import markdown_table

    frame = pd.DataFrame([[_num(v) for v in r] for r in rows], columns=head)
    return markdown_table(frame, left=head[:right])


def _totals_rows(label: str, t: Totals) -> list[list[Any]]:
    if t.n == 0:
        return [[f"{label}: no case to score", 0, "–", "–"]]
    lo, hi = t.brier_ci
    llo, lhi = t.log_ci
    return [
        [f"{label}: model", t.n, f"{t.brier:.3f} [{lo:.3f}, {hi:.3f}]",
         f"{t.log:.3f} [{llo:.3f}, {lhi:.3f}]"],
        [f"{label}: base rate {t.base_rate:.2f}", t.n, f"{t.brier_base:.3f}", f"{t.log_base:.3f}"],
        [f"{label}: always 0.5", t.n, f"{t.brier_half:.3f}", f"{t.log_half:.3f}"],
    ]  # fmt: skip


def format_library(lib: Library, fmt: str) -> str:
    table = lib.cases
    if fmt == "csv":
        return table[CASE_COLUMNS].to_csv(index=False, float_format="%.4f").rstrip("\n")
    if fmt == "json":
        doc = {
            "runs": lib.runs,
            "seed": lib.seed,
            "cases": json.loads(table.to_json(orient="records")),
            "summit": lib.summit.as_dict(),
            "agreement_given_summit": lib.agreement.as_dict(),
            "reliability": json.loads(lib.reliability.to_json(orient="records")),
        }
        return json.dumps(doc, indent=2)
    cases = _md(
        [
            [r.case, r.as_of, r.p_summit, "yes" if r.happened else "no",
             r.p_agreement_given_summit,
             "–" if not r.happened else ("yes" if r.agreement == 1 else "no"),
             r.brier, r.log_score]
            for r in table.itertuples()
        ],
        ["case", "as of", "P(summit)", "summit", "P(agreement given summit)", "agreement", "Brier",
         "log score"],
        right=2,
    )  # fmt: skip
    s, a = lib.summit, lib.agreement
    tot = _md(
        _totals_rows("summit", s) + _totals_rows("agreement given summit", a),
        ["forecast", "cases", "mean Brier [95% bootstrap]", "mean log score [95% bootstrap]"],
    )
    dlo, dhi = s.diff_ci
    rel = _md(
        [[r.bin, r.cases, r.mean_forecast, r.observed] for r in lib.reliability.itertuples()],
        ["P(summit) bin", "cases", "mean forecast", "observed share"],
    )
    return "\n\n".join(
        [
            f"Past cases: {s.n}, {lib.runs} runs each, seed {lib.seed}",
            cases,
            tot,
            f"Brier skill against the base rate: {s.brier_skill:+.3f} (model − base rate: "
            f"{s.brier - s.brier_base:+.3f} [{dlo:+.3f}, {dhi:+.3f}], paired bootstrap over "
            f"cases). Log scores are −ln p(what happened), p clipped to [0.001, 0.999]; lower "
            f"is better for both scores.",
            rel,
        ]
    )


COMMANDS = [score_cmd]
