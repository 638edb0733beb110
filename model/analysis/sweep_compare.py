"""Sweep against sweep: two batches over the same design, compared point by point (B − A).

Each side is a finished batch directory, or one scenario of a batch that varies the scenario
(``DIR:SCENARIO``). The designs must vary the same factors over the same points; points are
matched by their factors' values, never by row order, and a mismatch is one line naming what
differs. At each matched point every outcome gets both values and the difference B − A with its
95% interval, computed as `model.analysis.compare` does for two single batches.

Pairing: replication j of design point p draws the same random numbers in every scenario (common
random numbers, `model.sim.seeding`), but the point index feeds the seed. So two sweeps pair run
by run only when they share the seed and the replications *and* every matched point has the same
index on both sides; otherwise the comparison is unpaired, and says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.compare import Side, compare_sides, proportions
from model.analysis.sweeps import load_sweep
from model.errors import ExperimentError, problem
from model.results.bands import Z95, ratio_se
from model.results.stats import mean_ci, wilson
from model.sim.outcomes import bypass_label

# outcome key → the row of a compare table (model.analysis.compare) it reads
FIXED = {
    "p_summit": "P(summit)",
    "p_agreement": "P(agreement)",
    "p_high_strain": "P(high strain)",
    "p_wedge": "P(wedge)",
    "strain_mean": "strain mean",
    "weeks_to_summit": "weeks to summit (none = horizon)",
    "p_agreement_given_summit": "P(agreement given summit)",
    "strain_mean_given_summit": "strain mean given summit",
    "summit_week_given_summit": "summit week given summit",
}
DEFAULT = ("p_summit", "strain_mean", "p_wedge")


@dataclass(frozen=True)
class SweepSide:
    """One side of a comparison: a batch directory and the one scenario read from it."""

    path: Path
    scenario: str
    label: str
    factors: list[str]
    points: list[dict[str, Any]]
    replications: int
    seed: int
    weeks: int
    runs: pd.DataFrame  # this scenario's run rows
    factor_labels: dict[str, str]
    manifest: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}/manifest.json"


@dataclass(frozen=True)
class SweepComparison:
    a: SweepSide
    b: SweepSide
    factors: list[str]  # A's order
    paired: bool
    pairing: str  # why paired or not, in words
    table: pd.DataFrame  # one row per matched point and outcome
    outcomes: list[str]  # keys, in the order asked

    def label(self, key: str) -> str:
        return outcome_label(key)


def outcome_label(key: str) -> str:
    if key in FIXED:
        return FIXED[key]
    ally = bypass_label(key)
    return f"P({ally} bypassed)" if ally else key


def split_ref(ref: str) -> tuple[Path, str | None] | None:
    """``DIR`` or ``DIR:SCENARIO`` (when DIR is a directory); None for anything else."""
    if Path(ref).is_dir():
        return Path(ref), None
    head, sep, tail = ref.rpartition(":")
    if sep and head and Path(head).is_dir():
        return Path(head), tail
    return None


def batch_scenarios(manifest: dict[str, Any]) -> list[str]:
    """The scenarios a batch ran: its design's list (the scenario as a factor), else its one."""
    return list(manifest["design"].get("scenarios") or [manifest["scenario"]])


def load_side(path: Path, scenario: str | None) -> SweepSide:
    """A finished batch, reduced to one scenario (``scenario``, or the batch's only one)."""
    from model.batch import design_from_manifest, read_runs

    sweep = load_sweep(path)  # refuses unfinished and failed batches
    names = batch_scenarios(sweep.manifest)
    where = f"{path}/manifest.json"
    if scenario is None:
        if len(names) > 1:
            rule = f"the batch holds {len(names)} scenarios: name one as {path}:SCENARIO"
            raise ExperimentError(problem(where, "design.scenarios", rule, names))
        scenario = names[0]
    elif scenario not in names:
        rule = f"not a scenario of this batch (it holds {', '.join(names)})"
        raise ExperimentError(problem(where, "design.scenarios", rule, scenario))
    design = design_from_manifest(path, sweep.manifest)
    scn = next(s for s in design.all_scenarios if s.name == scenario)
    runs = read_runs(path)
    runs = runs[runs["scenario"] == scenario].reset_index(drop=True)
    factors = sweep.factors or sorted({k for p in sweep.points for k in p})
    return SweepSide(
        path=path,
        scenario=scenario,
        label=scenario,
        factors=factors,
        points=sweep.points,
        replications=sweep.replications,
        seed=sweep.seed,
        weeks=scn.weeks,
        runs=runs,
        factor_labels={f: sweep.label(f) for f in factors},
        manifest=sweep.manifest,
    )


def _key(value: Any) -> Any:
    """A factor value as matched: numbers to 12 significant digits (as grid levels are written),
    so 0.30000000000000004 and 0.3 are one point; text as it is."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return float(f"{float(value):.12g}")


def _words(factors: list[str], values: tuple[Any, ...]) -> str:
    return ", ".join(f"{f} = {v}" for f, v in zip(factors, values, strict=True))


def match_points(a: SweepSide, b: SweepSide) -> list[tuple[int, int]]:
    """Pairs (point of A, point of B) with equal factor values; repeated points (Morris revisits)
    pair in the order of their ids. Any difference in design is one line naming it."""
    if set(a.factors) != set(b.factors):
        missing = [f for f in a.factors if f not in b.factors]
        extra = [f for f in b.factors if f not in a.factors]
        rule = (
            f"the two sweeps must vary the same factors (A {a.path} varies "
            f"{', '.join(a.factors) or 'none'}; B lacks {missing or 'none'}, "
            f"adds {extra or 'none'})"
        )
        raise ExperimentError(problem(b.where, "design.factors", rule, b.factors))
    factors = a.factors
    keyed: list[dict[tuple[Any, ...], list[int]]] = []
    for side in (a, b):
        ids: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for i, p in enumerate(side.points):
            ids[tuple(_key(p.get(f)) for f in factors)].append(i)
        keyed.append(ids)
    ka, kb = keyed
    if len(a.points) != len(b.points) or any(len(kb.get(k, [])) != len(v) for k, v in ka.items()):
        only_a = [k for k in ka if len(kb.get(k, [])) < len(ka[k])]
        only_b = [k for k in kb if len(ka.get(k, [])) < len(kb[k])]
        parts = [f"A {a.path} has {len(a.points)} points, B {len(b.points)}"]
        if only_a:
            parts.append(f"{len(only_a)} of A's not in B, first {_words(factors, only_a[0])}")
        if only_b:
            parts.append(f"{len(only_b)} of B's not in A, first {_words(factors, only_b[0])}")
        rule = (
            "the two sweeps must have the same points, matched by the factors' values "
            f"({'; '.join(parts)})"
        )
        raise ExperimentError(problem(b.where, "design.points", rule, f"{len(b.points)} points"))
    return sorted(
        (i, j) for k, ids in ka.items() for i, j in zip(ids, kb[k], strict=True)
    )  # fmt: skip


def pairing(a: SweepSide, b: SweepSide, matches: list[tuple[int, int]]) -> tuple[bool, str]:
    """Whether the runs pair under common random numbers, and why (or why not), in words."""
    if a.seed != b.seed:
        return False, f"unpaired: the seeds differ ({a.seed} and {b.seed})"
    if a.replications != b.replications:
        return False, (
            f"unpaired: the replications per point differ ({a.replications} and {b.replications})"
        )
    wa, wb = (side.manifest["design"].get("worlds", 1) for side in (a, b))
    if wa != wb:  # as `summit compare` decides: world k holds other runs and values on each side
        return False, f"unpaired: the numbers of judgement worlds differ ({wa} and {wb})"
    moved = sum(i != j for i, j in matches)
    if moved:
        return False, (
            f"unpaired: {moved} of {len(matches)} matched points have another point index in B "
            "(the index feeds the seed, so their random numbers differ)"
        )
    return True, (
        f"paired under common random numbers: same seed ({a.seed}) and replications "
        f"({a.replications}), and each matched point has the same index on both sides"
    )


def outcome_keys(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Every outcome both sides can be compared on, in the compare table's order."""
    keys = [k for k in FIXED if k != "p_wedge"]
    allies = [f"p_{c}" for label, c in proportions(a, b) if "bypassed" in label]
    i = keys.index("strain_mean")
    return [*keys[:i], *allies, "p_wedge", *keys[i:]]


def compare_sweeps(
    a: SweepSide, b: SweepSide, outcomes: list[str] | None = None
) -> SweepComparison:
    """Both values, B − A and its 95% interval at each matched point, for each outcome."""
    matches = match_points(a, b)
    paired, why = pairing(a, b, matches)
    known = outcome_keys(a.runs, b.runs)
    chosen = list(outcomes or DEFAULT)
    if chosen == ["all"]:
        chosen = known
    for key in chosen:
        if key not in known:
            raise ExperimentError(f"--outcome: must be one of {', '.join(known)}; got {key!r}")
    by_a = dict(tuple(a.runs.groupby("point", sort=True)))
    by_b = dict(tuple(b.runs.groupby("point", sort=True)))
    rows: list[dict[str, Any]] = []
    for i, j in matches:
        ra, rb = by_a.get(i), by_b.get(j)
        for side, r, p in ((a, ra, i), (b, rb, j)):
            if r is None or len(r) != side.replications:
                n = 0 if r is None else len(r)
                rule = f"point {p} needs {side.replications} runs of {side.scenario}"
                raise ExperimentError(problem(f"{side.path}/runs", "point", rule, n))
        assert ra is not None and rb is not None
        table = compare_sides(Side(a.label, ra, a.weeks), Side(b.label, rb, b.weeks), paired)
        by_label = {str(r[0]): list(r[1:]) for r in table.itertuples(index=False)}
        for key in chosen:
            va, vb, d, lo, hi, method, *band = by_label[outcome_label(key)]
            rows.append(
                {
                    "point_a": i,
                    "point_b": j,
                    **{f: a.points[i].get(f) for f in a.factors},
                    "outcome": key,
                    "a": float(va),
                    **_interval("a", ra, key, a.weeks),
                    "b": float(vb),
                    **_interval("b", rb, key, b.weeks),
                    "difference": float(d),
                    "lo": float(lo),
                    "hi": float(hi),
                    "method": str(method),
                    # batches with judgement worlds, paired: the band of the difference
                    **(dict(zip(("band_lo", "band_hi"), map(float, band), strict=True))
                       if band else {}),
                }
            )  # fmt: skip
    table = pd.DataFrame(rows)
    return SweepComparison(a, b, list(a.factors), paired, why, table, chosen)


def _interval(side: str, runs: pd.DataFrame, key: str, weeks: int) -> dict[str, float]:
    """One side's own 95% interval at a point: Wilson for proportions, normal for means; with
    judgement worlds, normal intervals clustered by world (docs/MODEL.md §12)."""
    if "world" in runs.columns:
        return _clustered_interval(side, runs, key, weeks)
    summit = runs["summit"].to_numpy(bool)
    if key == "p_agreement_given_summit":
        lo, hi = wilson(float(runs["agreement"].to_numpy(bool)[summit].sum()), summit.sum())
    elif key.startswith("p_"):  # p_summit, p_wedge, p_seoul_bypassed, …: the run column's share
        lo, hi = wilson(float(runs[key[2:]].to_numpy(bool).sum()), len(runs))
    else:
        if key == "strain_mean":
            x = runs["strain"].to_numpy(float)
        elif key == "weeks_to_summit":
            w = runs["summit_week"].to_numpy(float)
            x = np.where(np.isnan(w), weeks, w)
        else:
            column = "strain" if key == "strain_mean_given_summit" else "summit_week"
            x = runs[column].to_numpy(float)[summit]
        _, lo, hi = mean_ci(x.size, float(x.sum()), float(np.square(x).sum()))
    return {f"{side}_lo": lo, f"{side}_hi": hi}


def _clustered_interval(side: str, runs: pd.DataFrame, key: str, weeks: int) -> dict[str, float]:
    world = runs["world"].to_numpy(np.int64)
    summit = runs["summit"].to_numpy(float)
    if key == "p_agreement_given_summit":
        num, den = runs["agreement"].to_numpy(float) * summit, summit
    elif key.startswith("p_"):
        num, den = runs[key[2:]].to_numpy(float), np.ones(len(runs))
    elif key == "strain_mean":
        num, den = runs["strain"].to_numpy(float), np.ones(len(runs))
    elif key == "weeks_to_summit":
        w = runs["summit_week"].to_numpy(float)
        num, den = np.where(np.isnan(w), weeks, w), np.ones(len(runs))
    else:
        column = "strain" if key == "strain_mean_given_summit" else "summit_week"
        num, den = np.nan_to_num(runs[column].to_numpy(float)) * summit, summit
    r, se = ratio_se(np.bincount(world, weights=num), np.bincount(world, weights=den))
    return {f"{side}_lo": r - Z95 * se, f"{side}_hi": r + Z95 * se}


def excludes_zero(table: pd.DataFrame) -> pd.Series:
    return (table["lo"] > 0) | (table["hi"] < 0)


def surface_summary(comp: SweepComparison) -> pd.DataFrame:
    """Where the two response surfaces differ, per outcome: how many points' intervals exclude 0
    (and in which direction), the largest difference and where, and the mean difference."""
    rows = []
    for key in comp.outcomes:
        t = comp.table[comp.table["outcome"] == key]
        clear = excludes_zero(t)
        d = t["difference"].to_numpy(float)
        at = int(np.nanargmax(np.abs(d))) if np.isfinite(d).any() else 0
        top = t.iloc[at]
        rows.append(
            {
                "outcome": key,
                "points": len(t),
                "excludes_0": int(clear.sum()),
                "b_higher": int((t["lo"] > 0).sum()),
                "b_lower": int((t["hi"] < 0).sum()),
                "largest": float(top["difference"]),
                "largest_lo": float(top["lo"]),
                "largest_hi": float(top["hi"]),
                "largest_at": int(top["point_a"]),
                "largest_where": point_words(comp, top),
                "mean_difference": float(np.nanmean(d)) if np.isfinite(d).any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def point_words(comp: SweepComparison, row: pd.Series) -> str:
    """A point's factor values in words: "Seoul's openness 0.9, US openness 0.1"."""
    return ", ".join(f"{comp.a.factor_labels[f]} {_g(row[f])}" for f in comp.factors)


def _g(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float | np.floating) else str(v)
