"""Result tables fit to paste into a report: Markdown, CSV, LaTeX or JSON.

Cells with an interval read ``0.41 [0.38, 0.44]``. CSV and JSON keep every column at full
precision (machine-readable); Markdown and LaTeX show the report view.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from model.errors import ExperimentError, problem
from model.sim.outcomes import bypass_label

Format = Literal["md", "csv", "latex", "json"]

# (heading, value column, interval columns or None, digits)
REPORT_COLUMNS: list[tuple[str, str, tuple[str, str] | None, int]] = [
    ("runs", "runs", None, 0),
    ("P(summit)", "p_summit", ("p_summit_lo", "p_summit_hi"), 3),
    ("P(agreement)", "p_agreement", ("p_agreement_lo", "p_agreement_hi"), 3),
    (
        "P(agreement given summit)",
        "p_agreement_given_summit",
        ("p_agreement_given_summit_lo", "p_agreement_given_summit_hi"),
        3,
    ),
    ("median summit week", "summit_week_median", None, 1),
    ("strain mean", "strain_mean", ("strain_mean_lo", "strain_mean_hi"), 3),
    ("strain p10 / p50 / p90", "strain_p50", None, 3),
    ("P(high strain)", "p_high_strain", None, 3),
    ("P(wedge)", "p_wedge", ("p_wedge_lo", "p_wedge_hi"), 3),
]


def report_columns(
    summary: pd.DataFrame,
) -> list[tuple[str, str, tuple[str, str] | None, int]]:
    """REPORT_COLUMNS with each tallied ally's bypass (named by the scenario) before P(wedge)."""
    allies = [
        (f"P({label} bypassed)", c, None, 3)
        for c in summary.columns
        if c.startswith("p_") and (label := bypass_label(c)) is not None
    ]
    i = [col for _, col, _, _ in REPORT_COLUMNS].index("p_wedge")
    return [*REPORT_COLUMNS[:i], *allies, *REPORT_COLUMNS[i:]]


def _num(x: object, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if digits == 0:
        return f"{int(x):,}"  # type: ignore[call-overload]
    return f"{float(x):.{digits}f}"  # type: ignore[arg-type]


def report_view(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with intervals folded into cells and columns named in words."""
    fixed = {"scenario", "point"}
    factors = [
        c
        for c in summary.columns
        if c not in fixed and not c.startswith(("p_", "strain_", "summit_")) and c != "runs"
    ]
    rows = []
    for _, r in summary.iterrows():
        row = {"scenario": r["scenario"]}
        if len(summary) > 1 or factors:
            row["point"] = str(r["point"])
        for f in factors:
            v = r[f]
            row[f] = f"{v:.4g}" if isinstance(v, float) else str(v)
        for head, col, ci, digits in report_columns(summary):
            if col == "strain_p50":
                row[head] = " / ".join(
                    _num(r[c], digits) for c in ("strain_p10", col, "strain_p90")
                )
            elif ci is None:
                row[head] = _num(r[col], digits)
            else:
                row[head] = f"{_num(r[col], digits)} [{_num(r[ci[0]], digits)}, " + (
                    f"{_num(r[ci[1]], digits)}]"
                )
        rows.append(row)
    return pd.DataFrame(rows)


def format_table(summary: pd.DataFrame, fmt: str = "md") -> str:
    if fmt == "csv":
        return summary.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return json.dumps(json.loads(summary.to_json(orient="records")), indent=2)
    view = report_view(summary)
    if fmt == "md":
        return _markdown(view)
    if fmt == "latex":
        return _latex(view)
    raise ExperimentError(f"--format: must be one of md, csv, latex, json; got {fmt!r}")


def _markdown(view: pd.DataFrame) -> str:
    cols = list(view.columns)
    right = [c not in ("scenario",) for c in cols]
    lines = ["| " + " | ".join(cols) + " |"]
    lines.append("|" + "|".join("---:" if r else ":---" for r in right) + "|")
    for _, row in view.iterrows():
        lines.append("| " + " | ".join(str(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def _latex(view: pd.DataFrame) -> str:
    def esc(s: str) -> str:
        for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_")):
            s = s.replace(a, b)
        return s.replace("|", r"$\mid$")

    cols = list(view.columns)
    out = [r"\begin{tabular}{l" + "r" * (len(cols) - 1) + "}", r"\toprule"]
    out.append(" & ".join(esc(c) for c in cols) + r" \\")
    out.append(r"\midrule")
    for _, row in view.iterrows():
        out.append(" & ".join(esc(str(row[c])) for c in cols) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out)


def timeline(runs: pd.DataFrame, start: dt.date, weeks: int, every: int = 4) -> pd.DataFrame:
    """Cumulative probability of a summit by each date (every ``every`` weeks), with Wilson
    intervals: when, not only whether. A run's summit in week w counts from the end of week w."""
    from model.results.stats import wilson

    held = runs["summit_week"].to_numpy(float)
    n = len(held)
    rows: list[dict[str, Any]] = []
    for w in [*range(every - 1, weeks, every), weeks - 1]:
        if rows and rows[-1]["week"] == w + 1:
            continue
        k = int((held <= w).sum())
        lo, hi = wilson(k, n)
        end = start + dt.timedelta(weeks=w + 1) - dt.timedelta(days=1)
        rows.append({"week": w + 1, "by": end.isoformat(), "p_summit": k / n, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def format_timeline(df: pd.DataFrame, fmt: str = "md") -> str:
    if fmt in ("csv", "json"):
        return format_table(df, fmt) if fmt == "csv" else df.to_json(orient="records", indent=2)
    lines = ["| weeks | by | P(summit by then) [95% CI] |", "|---:|:---|---:|"]
    for _, r in df.iterrows():
        cell = f"{r['p_summit']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]"
        lines.append(f"| {int(r['week'])} | {r['by']} | {cell} |")
    return "\n".join(lines)


def read_summary(batch_dir: Path) -> pd.DataFrame:
    path = batch_dir / "summary.csv"
    if not path.exists():
        raise ExperimentError(
            f"{batch_dir}: summary.csv: not a finished batch directory; got {str(batch_dir)!r}"
        )
    try:
        summary = pd.read_csv(path, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        rule = "not a readable summary table"
        raise ExperimentError(problem(str(path), "", rule, str(exc))) from None
    missing = [c for c in ("scenario", "point", "runs") if c not in summary.columns]
    if missing or not pd.api.types.is_integer_dtype(summary["point"]):
        rule = "not a summary summit wrote (needs columns scenario, point, runs; whole points)"
        raise ExperimentError(problem(str(path), "", rule, list(summary.columns)[:6]))
    return summary
