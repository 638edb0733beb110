"""A sweep comparison as text: one table per outcome (both values and B − A with its interval at
each matched point), then where the two response surfaces differ; or CSV / JSON / LaTeX."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.compare import METHODS
from model.analysis.sweep_compare import (
    SweepComparison,
    SweepSide,
    excludes_zero,
    outcome_label,
    surface_summary,
)
from model.results.tables import json_records, latex_table, markdown_table


def heading(comp: SweepComparison) -> list[str]:
    """What is compared, over which points, and whether the runs pair (lines of prose)."""
    n = len(comp.table["point_a"].unique()) if len(comp.table) else 0
    return [
        f"B − A at {n} design points: A = {_side(comp.a)}; B = {_side(comp.b)}.",
        f"Points matched by the values of {', '.join(comp.factors) or 'no factor'}; "
        f"{comp.pairing}.",
    ]


def _side(s: SweepSide) -> str:
    return f"{s.label} ({s.path}, seed {s.seed}, {s.replications:,} runs per point)"


def notes(comp: SweepComparison) -> list[str]:
    n = len(comp.table["point_a"].unique()) if len(comp.table) else 0
    used = [m for m in METHODS if m in set(comp.table.get("method", []))]
    return [
        f"* the interval excludes 0. With {n} points, about {0.05 * n:.1f} of an outcome's "
        "intervals would exclude 0 by chance alone if the two surfaces were the same.",
        *(
            ["Given summit: among the runs with a summit on each side."]
            if any("given_summit" in k for k in comp.outcomes)
            else []
        ),
        "95% intervals: " + "; ".join(f"{m}: {METHODS[m]}" for m in used) + ".",
    ]


def point_view(comp: SweepComparison, key: str) -> pd.DataFrame:
    """One outcome's rows in words: point, factor values, A, B, B − A [95% CI]."""
    t = comp.table[comp.table["outcome"] == key]
    a, b = comp.a.label, comp.b.label
    moved = bool((t["point_a"] != t["point_b"]).any())
    view: dict[str, Any] = {
        "point": [
            f"{i} / {j}" if moved else str(i)
            for i, j in zip(t["point_a"], t["point_b"], strict=True)
        ],
    }
    if moved:
        view = {"point (A / B)": view["point"]}
    for f in comp.factors:
        view[f] = [_g(v) for v in t[f]]
    view[a] = [_num(v) for v in t["a"]]
    view[b] = [_num(v) for v in t["b"]]
    view[f"{b} − {a} [95% CI]"] = [_difference(r) for _, r in t.iterrows()]
    return pd.DataFrame(view)


def summary_view(comp: SweepComparison) -> pd.DataFrame:
    s = surface_summary(comp)
    return pd.DataFrame(
        {
            "outcome": [outcome_label(k) for k in s["outcome"]],
            "points": s["points"],
            "interval excludes 0": s["excludes_0"],
            "B higher / lower": [
                f"{h} / {lo}" for h, lo in zip(s["b_higher"], s["b_lower"], strict=True)
            ],
            "largest difference [95% CI]": [
                _difference(
                    pd.Series(
                        {"difference": r["largest"], "lo": r["largest_lo"], "hi": r["largest_hi"]}
                    )
                )
                for _, r in s.iterrows()
            ],
            "at": s["largest_where"],
            "mean difference": [
                f"{v:+.3f}" if np.isfinite(v) else "–" for v in s["mean_difference"]
            ],
        }
    )


def format_sweep_compare(comp: SweepComparison, fmt: str = "md") -> str:
    if fmt == "csv":
        return comp.table.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        doc = {
            "a": _side_json(comp.a),
            "b": _side_json(comp.b),
            "factors": comp.factors,
            "paired": comp.paired,
            "pairing": comp.pairing,
            "points": json_records(comp.table),
            "summary": json_records(surface_summary(comp)),
        }
        return json.dumps(doc, indent=2, allow_nan=False)
    left = ["outcome", "at"]
    parts = heading(comp)
    for key in comp.outcomes:
        view = point_view(comp, key)
        parts += ["", outcome_label(key), ""]
        parts.append(latex_table(view) if fmt == "latex" else markdown_table(view, left=[]))
    parts += ["", "Where the two response surfaces differ:", ""]
    s = summary_view(comp)
    parts.append(latex_table(s, left=left) if fmt == "latex" else markdown_table(s, left=left))
    parts += ["", *notes(comp)]
    return "\n".join(parts)


def _side_json(s: SweepSide) -> dict[str, Any]:
    return {"path": str(s.path), "scenario": s.scenario, "seed": s.seed,
            "replications": s.replications, "points": len(s.points)}  # fmt: skip


def _num(v: float) -> str:
    return "–" if np.isnan(v) else f"{v:.3f}"


def _g(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float | np.floating) else str(v)


def _difference(r: pd.Series) -> str:
    if np.isnan(r["difference"]):
        return "–"
    cell = f"{r['difference']:+.3f} [{r['lo']:+.3f}, {r['hi']:+.3f}]"
    clear = bool(excludes_zero(pd.DataFrame([r])).iloc[0])
    return cell + " *" if clear else cell
