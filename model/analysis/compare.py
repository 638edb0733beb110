"""Differences between two batches (B − A) for every outcome, with 95% intervals.

Runs of two batches with the same seed and replications share their random numbers (common random
numbers: DESIGN.md), so replication j of A and of B form a pair; then proportions get Newcombe's
paired interval and means a paired interval, which are much narrower than unpaired ones. Batches
with different seeds are compared unpaired (Newcombe's hybrid score interval; Welch for means).
Conditional outcomes (agreement given a summit, the week of a summit) are always unpaired: the
runs they condition on differ between A and B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.results.stats import mean_diff, newcombe_diff, newcombe_paired
from model.sim.outcomes import bypass_label

PROPORTIONS = [
    ("P(summit)", "summit"),
    ("P(agreement)", "agreement"),
    ("P(high strain)", "high_strain"),
    ("P(wedge)", "wedge"),
]


def proportions(*runs: pd.DataFrame) -> list[tuple[str, str]]:
    """PROPORTIONS with the bypass of each ally that both sides' run rows hold, before P(wedge)."""
    shared = [c for c in runs[0].columns if all(c in r.columns for r in runs[1:])]
    allies = [
        (f"P({label} bypassed)", c)
        for c in shared
        if c.startswith("bypassed_") or c.endswith("_bypassed")
        if (label := bypass_label(c)) is not None
    ]
    # the contract alias and the derived name of one ally (seoul_bypassed, bypassed_rok) hold the
    # same runs: keep the first of each label
    unique = list({label: (label, c) for label, c in reversed(allies)}.values())[::-1]
    i = [c for _, c in PROPORTIONS].index("wedge")
    return [*PROPORTIONS[:i], *unique, *PROPORTIONS[i:]]


@dataclass(frozen=True)
class Side:
    label: str
    runs: pd.DataFrame  # run rows of one design point
    weeks: int  # horizon, for the restricted mean time to summit


def _time_to_summit(runs: pd.DataFrame, weeks: int) -> np.ndarray:
    """Weeks until the summit, counting a run without one as the whole horizon (a restricted
    mean, so runs without a summit are not dropped)."""
    w = runs["summit_week"].to_numpy(float)
    return np.where(np.isnan(w), weeks, w)


def compare_sides(a: Side, b: Side, paired: bool) -> pd.DataFrame:
    """One row per outcome: A, B, B − A and its 95% interval, and the method used."""
    if paired:
        key = ["point", "replication"]
        merged = a.runs[key].merge(b.runs[key], on=key, how="inner")
        if len(merged) != len(a.runs) or len(merged) != len(b.runs):
            paired = False  # the replications do not match one to one
    rows: list[tuple[str, float, float, float, float, float, str]] = []
    ra = a.runs.sort_values(["point", "replication"]).reset_index(drop=True)
    rb = b.runs.sort_values(["point", "replication"]).reset_index(drop=True)
    for label, col in proportions(a.runs, b.runs):
        xa, xb = ra[col].to_numpy(bool), rb[col].to_numpy(bool)
        if paired:
            d, lo, hi = newcombe_paired(xb, xa)
            method = "Newcombe paired"
        else:
            d, lo, hi = newcombe_diff(xb.sum(), xb.size, xa.sum(), xa.size)
            method = "Newcombe"
        rows.append((label, float(xa.mean()), float(xb.mean()), d, lo, hi, method))
    sa, sb = ra["summit"].to_numpy(bool), rb["summit"].to_numpy(bool)
    ga, gb = ra["agreement"].to_numpy(bool)[sa], rb["agreement"].to_numpy(bool)[sb]
    if ga.size and gb.size:
        d, lo, hi = newcombe_diff(gb.sum(), gb.size, ga.sum(), ga.size)
        pa, pb = float(ga.mean()), float(gb.mean())
        rows.append(("P(agreement given summit)", pa, pb, d, lo, hi, "Newcombe"))
    for label, va, vb, can_pair in (
        ("strain mean", ra["strain"].to_numpy(float), rb["strain"].to_numpy(float), True),
        (
            "weeks to summit (none = horizon)",
            _time_to_summit(ra, a.weeks),
            _time_to_summit(rb, b.weeks),
            True,
        ),
        (
            "summit week, among summits",
            ra["summit_week"].to_numpy(float)[sa],
            rb["summit_week"].to_numpy(float)[sb],
            False,
        ),
    ):
        use_pair = paired and can_pair
        d, lo, hi = mean_diff(vb, va, paired=use_pair)
        method = "paired mean" if use_pair else "Welch"
        ma = float(np.nanmean(va)) if va.size else float("nan")
        mb = float(np.nanmean(vb)) if vb.size else float("nan")
        rows.append((label, ma, mb, d, lo, hi, method))
    return pd.DataFrame(
        rows, columns=["outcome", a.label, b.label, "difference", "lo", "hi", "method"]
    )


def format_compare(df: pd.DataFrame, fmt: str = "md") -> str:
    if fmt == "csv":
        return df.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return df.to_json(orient="records", indent=2)
    a, b = df.columns[1], df.columns[2]
    lines = [f"| outcome | {a} | {b} | {b} − {a} [95% CI] | method |", "|:---|---:|---:|---:|:---|"]
    for _, r in df.iterrows():
        cell = f"{r['difference']:+.3f} [{r['lo']:+.3f}, {r['hi']:+.3f}]"
        if r["lo"] > 0 or r["hi"] < 0:
            cell += " *"
        lines.append(f"| {r['outcome']} | {r[a]:.3f} | {r[b]:.3f} | {cell} | {r['method']} |")
    lines.append("")
    lines.append("* the interval excludes 0")
    if fmt == "latex":
        body = [ln for ln in lines if ln.startswith("| ") and not ln.startswith("|:")]
        out = [r"\begin{tabular}{lrrrl}", r"\toprule"]
        for ln in body:
            cells = [c.strip().replace("_", r"\_") for c in ln.strip("|").split("|")]
            out.append(" & ".join(cells) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(out)
    return "\n".join(lines)
