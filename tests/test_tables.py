"""The one set of table writers (model/results/tables.py): Markdown, LaTeX through pandas'
Styler, JSON at full precision, and report views that say what their intervals are."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.results.tables import format_table, json_records, latex_table, markdown_table


def test_markdown_table_aligns_and_escapes() -> None:
    """Text left, numbers right (or as told); a pipe inside a cell cannot break the row."""
    df = pd.DataFrame({"name": ["a|b", "c"], "x": [1.25, np.nan], "n": [3, 4]})
    text = markdown_table(df, digits=1)
    assert text.splitlines() == [
        "| name | x | n |",
        "|:---|---:|---:|",
        "| a\\|b | 1.2 | 3 |",
        "| c | – | 4 |",
    ]
    assert markdown_table(df, left=()).splitlines()[1] == "|---:|---:|---:|"


def test_latex_table_escapes_special_characters() -> None:
    """Styler escapes every character special to LaTeX, in headings and in cells."""
    df = pd.DataFrame({"a_b #": ["x & y", "50% of $3"], "{c}": ["~d^", "\\e"]})
    tex = latex_table(df, left=["a_b #"], notes=["95% intervals & more_notes"])
    assert r"\begin{tabular}{lr}" in tex and r"\toprule" in tex and r"\bottomrule" in tex
    assert r"a\_b \#" in tex and r"\{c\}" in tex
    assert r"x \& y" in tex and r"50\% of \$3" in tex
    assert r"\textasciitilde d\textasciicircum " in tex and r"\textbackslash e" in tex
    assert r"95\% intervals \& more\_notes" in tex


def test_json_keeps_full_precision() -> None:
    """Floats round-trip exactly (DataFrame.to_json keeps 10 digits); NaN is null."""
    x = 0.1 + 0.2  # 0.30000000000000004
    df = pd.DataFrame({"v": [x, np.nan, 1e-300], "k": [1, 2, 3], "s": ["a", None, "c"]})
    rows = json.loads(json.dumps(json_records(df)))
    assert rows[0] == {"v": x, "k": 1, "s": "a"}
    assert rows[1]["v"] is None and rows[1]["s"] is None and rows[2]["v"] == 1e-300


def test_summary_formats_say_what_the_intervals_are() -> None:
    """Markdown and LaTeX report views end with the note naming the intervals; JSON equals CSV
    digit for digit."""
    from model import simulate

    summary = simulate("baseline-2024", runs=250, seed=3, worlds=1).summary  # the point scenario
    md = format_table(summary, "md")
    assert "95% intervals in brackets: Wilson score for proportions" in md
    assert r"95\% intervals in brackets" in format_table(summary, "latex")
    layered = format_table(simulate("baseline-2024", runs=500, seed=3).summary, "md")
    assert "Two layers" in layered and "spread over 10 worlds of about 50 runs" in layered
    assert "| P(summit) band |" in layered
    records = json.loads(format_table(summary, "json"))
    for col, value in records[0].items():
        if isinstance(value, float):
            assert value == summary[col].iloc[0], col


@pytest.mark.parametrize("worlds", [1, None])
def test_every_proportion_has_its_interval_and_the_week_its_date(worlds: int | None) -> None:
    """Each p_ column of the summary has _lo/_hi (the later ones appended after the first
    contract's columns, which keep their positions; the judgement layer's last, only with
    worlds); the median week is dated from meta.start."""
    from model import simulate
    from model.results.summary import BAND_COLUMNS, SUMMARY_COLUMNS

    summary = simulate("baseline-2024", runs=250, seed=3, worlds=worlds).summary
    cols = list(summary.columns)
    first = ["scenario", "point", *SUMMARY_COLUMNS]
    first.insert(first.index("p_wedge"), "p_seoul_bypassed")
    assert cols[: len(first)] == first
    assert cols[len(first) :] == [
        "p_high_strain_lo",
        "p_high_strain_hi",
        "p_seoul_bypassed_lo",
        "p_seoul_bypassed_hi",
        "summit_date_median",
        *(BAND_COLUMNS if worlds is None else []),
    ]
    values = [
        c for c in cols if c.startswith("p_") and not c.endswith(("_lo", "_hi", "_judgement_share"))
    ]
    for c in values:
        r = summary.iloc[0]
        assert r[f"{c}_lo"] <= r[c] <= r[f"{c}_hi"], c
    week = summary["summit_week_median"].iloc[0]
    assert (
        summary["summit_date_median"].iloc[0]
        == str(pd.Timestamp("2024-03-15").date() + pd.Timedelta(days=7 * week))[:10]
    )
    md = format_table(summary, "md")
    assert f"{week:.1f} ({summary['summit_date_median'].iloc[0]})" in md


def test_a_summary_written_before_the_new_columns_still_prints() -> None:
    """summary.csv files from before the added intervals and date still give a report view."""
    from model import simulate

    summary = simulate("baseline-2024", runs=250, seed=3).summary
    old = summary.drop(columns=[c for c in summary.columns if c.startswith("p_high_strain_")])
    old = old.drop(columns=["p_seoul_bypassed_lo", "p_seoul_bypassed_hi", "summit_date_median"])
    head, _, row = format_table(old, "md").splitlines()[:3]
    cells = dict(zip(head.strip("| ").split(" | "), row.strip("| ").split(" | "), strict=True))
    assert "[" not in cells["P(high strain)"] and "[" not in cells["P(Seoul bypassed)"]
    assert cells["median summit week (date)"] == f"{old['summit_week_median'].iloc[0]:.1f}"
    assert "[" in cells["P(wedge)"]


def test_grid_values_are_written_as_typed() -> None:
    """A grid over 0.1:0.5 in 5 steps holds 0.3, not linspace's 0.30000000000000004, in its
    points and so in summary.csv and the tables."""
    from model.batch.experiment import ExperimentFile, grid_levels, sample_points

    assert grid_levels(0.1, 0.5, 5) == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert grid_levels(0.0, 1.0, 4)[1] == float(f"{1 / 3:.12g}")
    raw = {
        "experiment": {"name": "t", "scenario": "baseline-2024", "design": "grid"},
        "factors": [{"path": "actors.US.openness", "range": [0.1, 0.5], "steps": 5}],
    }
    points, _ = sample_points(ExperimentFile.model_validate(raw))
    summary = pd.DataFrame(points)
    assert "0.30000000000000004" not in summary.to_csv(index=False)
    assert [p["actors.US.openness"] for p in points] == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_an_interval_one_run_cannot_give_reads_as_a_dash(tmp_path: Path) -> None:
    """A mean over one run has no interval: the timelines printed "[nan, nan]" for it."""
    from model import simulate
    from model.results.timelines import format_strain_timeline, strain_timeline
    from model.scenario import load_scenario

    scn = load_scenario("baseline-2024")
    runs = simulate(scn, runs=1, seed=1, out=tmp_path / "one").runs
    text = format_strain_timeline(strain_timeline(runs, scn.spec.meta.start, 0.25))
    assert "nan" not in text and "[–, –]" in text
