"""The one set of table writers (model/results/tables.py): Markdown, LaTeX through pandas'
Styler, and JSON at full precision."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from model.results.tables import json_records, latex_table, markdown_table


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
