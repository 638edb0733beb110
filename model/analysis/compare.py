"""Differences between two batches (B − A) for every outcome, with 95% intervals.

Runs of two batches with the same seed and replications share their random numbers (common random
numbers: docs/ARCHITECTURE.md), so replication j of A and of B form a pair; then proportions get
Newcombe's paired interval and means a paired interval, which are much narrower than unpaired ones.
Batches with different seeds are compared unpaired (Newcombe's hybrid score interval; Welch for
means). Outcomes given a summit (agreement, strain, the summit's week) condition on runs that differ
between A and B; paired, their difference gets a delta-method interval over all pairs
(`conditional_mean_diff`), unpaired Newcombe's (agreement) or Welch's (means) on the summits. With
judgement worlds (either side), intervals are clustered by world (`_by_world`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.results.bands import paired_world_band, ratio_diff_ci, unpaired_ratio_diff_ci
from model.results.stats import conditional_mean_diff, mean_diff, newcombe_diff, newcombe_paired
from model.results.tables import json_records, latex_table, markdown_table
from model.sim.outcomes import CONTRACT_NAMES, bypass_label

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
    # same runs: keep the alias, as the summary does
    aliases = {
        f"bypassed_{aid.lower()}" for aid, (stem, _) in CONTRACT_NAMES.items() if stem in shared
    }
    unique = [(label, c) for label, c in allies if c not in aliases]
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
    for label, va, vb, can_pair in (
        ("strain mean", ra["strain"].to_numpy(float), rb["strain"].to_numpy(float), True),
        (
            "weeks to summit (none = horizon)",
            _time_to_summit(ra, a.weeks),
            _time_to_summit(rb, b.weeks),
            True,
        ),
    ):
        use_pair = paired and can_pair
        d, lo, hi = mean_diff(vb, va, paired=use_pair)
        method = "paired mean" if use_pair else "Welch"
        rows.append((label, float(np.mean(va)), float(np.mean(vb)), d, lo, hi, method))
    for label, col, binary in (
        ("P(agreement given summit)", "agreement", True),
        ("strain mean given summit", "strain", False),
        ("summit week given summit", "summit_week", False),
    ):
        va, vb = ra[col].to_numpy(float), rb[col].to_numpy(float)
        ca, cb = va[sa], vb[sb]
        if paired:
            d, lo, hi = conditional_mean_diff(va, sa, vb, sb)
            method = "paired delta method"
        elif binary:
            d, lo, hi = newcombe_diff(cb.sum(), cb.size, ca.sum(), ca.size)
            method = "Newcombe"
        else:
            d, lo, hi = mean_diff(cb, ca, paired=False)
            method = "Welch"
        ma = float(ca.mean()) if ca.size else float("nan")
        mb = float(cb.mean()) if cb.size else float("nan")
        rows.append((label, ma, mb, d, lo, hi, method))
    df = pd.DataFrame(
        rows, columns=["outcome", a.label, b.label, "difference", "lo", "hi", "method"]
    )
    if "world" in ra.columns or "world" in rb.columns:
        ra, rb = _clusters(ra, rb, paired)
        df = _by_world(df, ra, rb, a.weeks, b.weeks, paired)
    return df


def _clusters(
    ra: pd.DataFrame, rb: pd.DataFrame, paired: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A side without judgement worlds, against one with them: paired (the same replications,
    rows aligned), both sides are clustered by the other side's worlds, since run j of each
    side shares its random numbers and run j of the worlds side shares its world's values with
    the rest of that world; unpaired, its runs are independent, each its own cluster. Treating
    the worlds side's runs as independent instead made intervals far too narrow."""
    if "world" not in ra.columns:
        ra = ra.assign(world=rb["world"].to_numpy() if paired else np.arange(len(ra)))
    if "world" not in rb.columns:
        rb = rb.assign(world=ra["world"].to_numpy() if paired else np.arange(len(rb)))
    return ra, rb


def _by_world(
    df: pd.DataFrame,
    ra: pd.DataFrame,
    rb: pd.DataFrame,
    weeks_a: int,
    weeks_b: int,
    paired: bool,
) -> pd.DataFrame:
    """Batches with judgement worlds: runs of one world share its drawn values, so each interval
    comes from the spread over worlds (clustered; docs/MODEL.md §12). Paired run by run (so
    world by world), a band also gives the 5th–95th percentile over worlds of the world's
    difference; unpaired, each side is clustered by its own worlds and there is no band."""
    w = ra["world"].to_numpy(np.int64)
    wb = rb["world"].to_numpy(np.int64)
    worlds = int(max(w.max(), wb.max())) + 1
    n = np.bincount(w, minlength=worlds).astype(float)
    nb = np.bincount(wb, minlength=worlds).astype(float)

    def per_world(x: np.ndarray, side: np.ndarray = w) -> np.ndarray:
        return np.bincount(side, weights=np.asarray(x, float), minlength=worlds)

    diff_ci = ratio_diff_ci if paired else unpaired_ratio_diff_ci

    sa, sb = ra["summit"].to_numpy(bool), rb["summit"].to_numpy(bool)
    values = {col: (ra[col].to_numpy(float), rb[col].to_numpy(float))
              for _, col in proportions(ra, rb)}  # fmt: skip
    values["strain mean"] = (ra["strain"].to_numpy(float), rb["strain"].to_numpy(float))
    values["weeks to summit (none = horizon)"] = (
        _time_to_summit(ra, weeks_a), _time_to_summit(rb, weeks_b)
    )  # fmt: skip
    labels = dict(proportions(ra, rb))
    given = {"P(agreement given summit)": "agreement", "strain mean given summit": "strain",
             "summit week given summit": "summit_week"}  # fmt: skip
    out: list[tuple[float, float, float, float, float]] = []
    for name in df["outcome"].astype(str):
        key = labels.get(name, name)
        if key in values:
            xa, xb = values[key]
            d, lo, hi = diff_ci(per_world(xa), n, per_world(xb, wb), nb)
            band = paired_world_band(w, xa, xb, worlds) if paired else (np.nan, np.nan)
            out.append((d, lo, hi, *band))
        else:  # given a summit: a ratio over the summits of each side
            va, vb = ra[given[name]].to_numpy(float), rb[given[name]].to_numpy(float)
            d, lo, hi = diff_ci(
                per_world(np.where(sa, va, 0.0)), per_world(sa),
                per_world(np.where(sb, vb, 0.0), wb), per_world(sb, wb),
            )  # fmt: skip
            out.append((d, lo, hi, np.nan, np.nan))
    cols = np.array(out, dtype=float).T
    method = "paired by world" if paired else "clustered by world"
    return df.assign(
        difference=cols[0], lo=cols[1], hi=cols[2], method=method,
        band_lo=cols[3], band_hi=cols[4],
    )  # fmt: skip


# how each interval of a compare table was computed; printed under its Markdown and LaTeX
METHODS = {
    "Newcombe paired": "score interval for paired proportions (Newcombe 1998b)",
    "Newcombe": "hybrid score interval for independent proportions (Newcombe 1998a)",
    "paired mean": "normal interval of the paired differences",
    "paired delta method": "normal interval of a difference of conditional means, linearised "
    "over all pairs",
    "Welch": "normal interval for independent means",
    "clustered by world": "normal interval of the difference of two independent estimates, "
    "each clustered by its own judgement worlds (a batch without worlds: by run)",
    "paired by world": "normal interval of the difference, clustered by judgement world "
    "(linearised over worlds); band: 5th–95th percentile over worlds of the world's "
    "difference, corrected for its Monte Carlo noise",
}


def compare_notes(df: pd.DataFrame) -> list[str]:
    used = [m for m in METHODS if m in set(df["method"])]
    return [
        "* the interval excludes 0. Given summit: among the runs with a summit in each scenario, "
        "which differ between the two: not the effect on a given summit.",
        "95% intervals: " + "; ".join(f"{m}: {METHODS[m]}" for m in used) + ".",
    ]


def format_compare(df: pd.DataFrame, fmt: str = "md") -> str:
    if fmt == "csv":
        return df.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return json.dumps(json_records(df), indent=2, allow_nan=False)
    a, b = str(df.columns[1]), str(df.columns[2])
    view = pd.DataFrame(
        {
            "outcome": df["outcome"],
            a: [_num(v) for v in df[a]],
            b: [_num(v) for v in df[b]],
            f"{b} − {a} [95% CI]": [_difference(r) for _, r in df.iterrows()],
            **(
                {"judgement band": [_band(r) for _, r in df.iterrows()]}
                if "band_lo" in df.columns
                else {}
            ),
            "method": df["method"],
        }
    )
    if fmt == "latex":
        return latex_table(view, left=("outcome", "method"), notes=compare_notes(df))
    table = markdown_table(view, left=("outcome", "method"))
    return table + "\n\n" + "\n".join(compare_notes(df))


def _num(v: float) -> str:
    return "–" if np.isnan(v) else f"{v:.3f}"


def _band(r: pd.Series) -> str:
    if np.isnan(r["band_lo"]):
        return "–"
    return f"{r['band_lo']:+.3f} – {r['band_hi']:+.3f}"


def _difference(r: pd.Series) -> str:
    if np.isnan(r["difference"]):
        return "–"
    cell = f"{r['difference']:+.3f} [{r['lo']:+.3f}, {r['hi']:+.3f}]"
    return cell + " *" if r["lo"] > 0 or r["hi"] < 0 else cell
