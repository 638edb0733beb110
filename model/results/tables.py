"""Result tables fit to paste into a report: Markdown, CSV, LaTeX or JSON.

Cells with an interval read ``0.41 [0.38, 0.44]``, and the Markdown and LaTeX views end with a
note saying which intervals they are. CSV and JSON keep every column at full precision
(machine-readable: JSON floats round-trip exactly). This module is the project's one writer of
Markdown tables (`markdown_table`), of LaTeX tables (`latex_table`, through pandas' Styler, which
escapes LaTeX's special characters) and of JSON records (`json_records`): every report uses them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

import numpy as np
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
    ("median summit week (date)", "summit_week_median", None, 1),
    ("strain mean", "strain_mean", ("strain_mean_lo", "strain_mean_hi"), 3),
    ("strain p10 / p50 / p90", "strain_p50", None, 3),
    ("P(high strain)", "p_high_strain", ("p_high_strain_lo", "p_high_strain_hi"), 3),
    ("P(wedge)", "p_wedge", ("p_wedge_lo", "p_wedge_hi"), 3),
]

# what the report view's numbers are; printed under its Markdown and LaTeX tables
NOTES = [
    "95% intervals in brackets: Wilson score for proportions, normal for the mean strain.",
    "Summit week: 0 = the scenario's first week; median over runs with a summit, with the date "
    "that week begins. Strain: the peak alliance strain index (docs/MODEL.md §10).",
]


def report_columns(
    summary: pd.DataFrame,
) -> list[tuple[str, str, tuple[str, str] | None, int]]:
    """REPORT_COLUMNS with each tallied ally's bypass (named by the scenario) before P(wedge)."""
    allies: list[tuple[str, str, tuple[str, str] | None, int]] = [
        (f"P({label} bypassed)", c, (f"{c}_lo", f"{c}_hi"), 3)
        for c in summary.columns
        if c.startswith("p_")
        and not c.endswith(("_lo", "_hi"))
        and (label := bypass_label(c)) is not None
    ]
    i = [col for _, col, _, _ in REPORT_COLUMNS].index("p_wedge")
    return [*REPORT_COLUMNS[:i], *allies, *REPORT_COLUMNS[i:]]


# the judgement layer (batches with worlds): (heading, band columns, after which heading)
BAND_VIEW = [
    ("P(summit) band", ("p_summit_band_lo", "p_summit_band_hi"), "P(summit)"),
    ("P(agreement) band", ("p_agreement_band_lo", "p_agreement_band_hi"), "P(agreement)"),
    ("strain mean band", ("strain_mean_band_lo", "strain_mean_band_hi"), "strain mean"),
]
WORLD_COLUMNS = {
    "worlds",
    "p_summit_judgement_share",
    "p_agreement_judgement_share",
    "strain_mean_judgement_share",
}


def notes(summary: pd.DataFrame) -> list[str]:
    """What the report view's numbers are: NOTES, or their version for a batch with worlds."""
    if "worlds" not in summary.columns or summary.empty:
        return NOTES
    worlds = int(summary["worlds"].iloc[0])
    per = int(summary["runs"].iloc[0]) // worlds
    share = ", ".join(
        f"{name} {summary[col].iloc[0]:.0%}"
        for name, col in (
            ("P(summit)", "p_summit_judgement_share"),
            ("P(agreement)", "p_agreement_judgement_share"),
            ("strain", "strain_mean_judgement_share"),
        )
    )
    first = "" if len(summary) == 1 else " (first row)"
    return [
        f"Two layers (docs/MODEL.md §12). [brackets]: 95% Monte Carlo intervals of the estimate "
        f"over the judgement ranges, from the spread over {worlds} worlds of about {per} runs each "
        f"(runs of one world share its parameters). Band: 5th to 95th percentile over worlds of "
        f"each world's value, corrected for the worlds' own Monte Carlo noise: what the judgement "
        f"ranges leave open. Share of each outcome's variance due to the judgements{first}: "
        f"{share}.",
        NOTES[1],
    ]


def estimate(value: object, lo: object, hi: object, digits: int = 3) -> str:
    """ "0.581 [0.544, 0.618]"; an interval that does not exist (one run) reads "–"."""
    return f"{_num(value, digits)} [{_num(lo, digits)}, {_num(hi, digits)}]"


def _num(x: object, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if digits == 0:
        return f"{int(x):,}"  # type: ignore[call-overload]
    return f"{float(x):.{digits}f}"  # type: ignore[arg-type]


def report_view(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with intervals folded into cells and columns named in words."""
    fixed = {"scenario", "point", "runs", *WORLD_COLUMNS}
    factors = [
        c
        for c in summary.columns
        if c not in fixed and not c.startswith(("p_", "strain_", "summit_"))
    ]
    bands = [b for b in BAND_VIEW if set(b[1]) <= set(summary.columns)]
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
            elif col == "summit_week_median":
                date = r.get("summit_date_median")
                when = f" ({date})" if isinstance(date, str) and date else ""
                row[head] = _num(r[col], digits) + when
            elif ci is None or not set(ci) <= set(summary.columns):  # a batch from before
                row[head] = _num(r[col], digits)
            else:
                row[head] = estimate(r[col], r[ci[0]], r[ci[1]], digits)
            if head == "runs" and "worlds" in summary.columns:
                row["worlds"] = _num(r["worlds"], 0)
            for band_head, (lo, hi), after in bands:
                if head == after:
                    row[band_head] = f"{_num(r[lo], digits)} – {_num(r[hi], digits)}"
        rows.append(row)
    return pd.DataFrame(rows)


def machine_readable(frame: pd.DataFrame, fmt: str) -> str | None:
    """``frame`` as CSV or JSON at full precision; None for the report formats (md, latex)."""
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return json.dumps(json_records(frame), indent=2, allow_nan=False)
    return None


def format_table(summary: pd.DataFrame, fmt: str = "md") -> str:
    if (text := machine_readable(summary, fmt)) is not None:
        return text
    view = report_view(summary)
    if fmt == "md":
        return markdown_table(view, left=["scenario"]) + "\n\n" + "\n".join(notes(summary))
    if fmt == "latex":
        return latex_table(view, left=["scenario"], notes=notes(summary))
    raise ExperimentError(f"--format: must be one of md, csv, latex, json; got {fmt!r}")


# ----------------------------------------------------------------------------- writers


def _cell(value: Any, digits: int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if digits is not None and isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|")


def markdown_table(
    frame: pd.DataFrame, left: Collection[str] | None = None, digits: int | None = None
) -> str:
    """A pipe table. Columns in ``left`` are left-aligned, the others right-aligned; without
    ``left``, text columns go left and numbers right. Floats get ``digits`` decimals if given;
    missing values print as "–"."""
    cols = [str(c) for c in frame.columns]
    if left is None:
        left = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    lines = ["| " + " | ".join(cols) + " |"]
    lines.append("|" + "|".join(":---" if c in left else "---:" for c in frame.columns) + "|")
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v, digits) for v in row) + " |")
    return "\n".join(lines)


def latex_table(
    frame: pd.DataFrame, left: Collection[str] = (), notes: Collection[str] = ()
) -> str:
    """A booktabs tabular through pandas' Styler, which escapes ``& % $ # _ { } ~ ^ \\`` in
    headings and cells; the notes follow it as text."""
    view = frame.astype(str).replace({"nan": "–", "None": "–"})
    spec = "".join("l" if c in left else "r" for c in frame.columns)
    styler = view.style.hide(axis="index").format(escape="latex")
    styler = styler.format_index(escape="latex", axis=1)
    tex = styler.to_latex(column_format=spec, hrules=True).rstrip("\n")
    if notes:
        tex += "\n\\par\\smallskip{\\footnotesize " + _latex_text(" ".join(notes)) + "}"
    return tex


# the notes are this module's own prose; its characters special to LaTeX, escaped as Styler does
_LATEX_SPECIAL = str.maketrans(
    {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
     "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
)  # fmt: skip


def _latex_text(text: str) -> str:
    return text.translate(_LATEX_SPECIAL)


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values at full precision (floats round-trip exactly, unlike
    ``DataFrame.to_json``'s 10 digits); missing values become None (JSON null)."""
    plain = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in plain.to_dict(orient="records")
    ]


def timeline(runs: pd.DataFrame, start: dt.date, weeks: int, every: int = 4) -> pd.DataFrame:
    """Cumulative probability of a summit by each date (every ``every`` weeks), with Wilson
    intervals (clustered by world in a batch with worlds): when, not only whether. A run's summit
    in week w counts from the end of week w."""
    from model.results.bands import clustered_ci
    from model.results.stats import wilson

    world = runs["world"].to_numpy(np.int64) if "world" in runs.columns else None
    held = runs["summit_week"].to_numpy(float)
    n = len(held)
    rows: list[dict[str, Any]] = []
    for w in [*range(every - 1, weeks, every), weeks - 1]:
        if rows and rows[-1]["week"] == w + 1:
            continue
        k = int((held <= w).sum())
        lo, hi = wilson(k, n) if world is None else clustered_ci(held <= w, world)
        end = start + dt.timedelta(weeks=w + 1) - dt.timedelta(days=1)
        rows.append({"week": w + 1, "by": end.isoformat(), "p_summit": k / n, "lo": lo, "hi": hi})
    out = pd.DataFrame(rows)
    out.attrs["clustered"] = world is not None  # which interval: the notes and legends say it
    return out


def format_timeline(df: pd.DataFrame, fmt: str = "md") -> str:
    if (text := machine_readable(df, fmt)) is not None:
        return text
    view = pd.DataFrame(
        {
            "weeks": df["week"].astype(int),
            "by": df["by"],
            "P(summit by then) [95% CI]": [
                estimate(r["p_summit"], r["lo"], r["hi"]) for _, r in df.iterrows()
            ],
        }
    )
    if fmt == "latex":
        return latex_table(view, left=["by"], notes=[timeline_note(df)])
    return markdown_table(view, left=["by"])


def interval_name(df: pd.DataFrame, plain: str = "Wilson score") -> str:
    """How a timeline's intervals were computed: ``plain`` for independent runs, clustered by
    judgement world when the runs came from worlds (`timeline`, `strain_timeline` set it)."""
    return (
        "clustered by judgement world (docs/MODEL.md §12)" if df.attrs.get("clustered") else plain
    )


def timeline_note(df: pd.DataFrame) -> str:
    return f"95% intervals: {interval_name(df)}."


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
