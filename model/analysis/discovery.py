"""Scenario discovery: where in the swept factor space does a condition on the runs hold?

A condition on run columns (``summit and strain >= 0.5``, `conditions`) is applied to every run
of a sweep. The share of runs that meet it at each design point is the response; PRIM (Friedman &
Fisher 1999, `prim`) then peels the factor space towards boxes where that share is high,
reporting coverage (share of all cases of interest inside the box), density (share of runs inside
the box that are cases) and mass (share of runs inside the box), the scenario-discovery
statistics of Bryant & Lempert (2010).

PRIM is implemented here (about 200 lines) rather than taken from ema_workbench 3.0.0: under
pandas 3.1 its ``Prim`` warns Pandas4Warning (a DeprecationWarning, an error in this project's
tests) on every construction, warns at import, and it pulls in scikit-learn, statsmodels, seaborn
and platypus-opt (see docs/EXPERIMENTS.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.conditions import condition_holds
from model.analysis.prim import Box, PrimResult, prim
from model.errors import ExperimentError
from model.results.tables import json_records, markdown_table


@dataclass(frozen=True)
class Discovery:
    condition: str
    runs: int
    cases: int
    points: pd.DataFrame  # per point: factor values, runs, share meeting the condition
    result: PrimResult
    factors: list[str]
    labels: dict[str, str]
    sampler: str
    path: Path
    settings: dict[str, Any]


def point_shares(runs: pd.DataFrame, factors: pd.DataFrame, where: str) -> pd.DataFrame:
    """Runs joined with their point's factor values (by ``point``), the condition per run, and
    per point the number of runs and the share that meet it."""
    # run rows carry their swept values; the manifest's are the reference (and older batches'
    # rows have none)
    joined = runs.drop(columns=[c for c in factors.columns if c in runs.columns])
    joined = joined.join(factors, on="point", how="left")
    unknown = sorted(set(runs["point"].astype(int)) - set(factors.index.astype(int)))
    if unknown:
        raise ExperimentError(f"runs: point: not in the manifest's design; got {unknown[:8]}")
    joined["_case"] = condition_holds(where, joined)
    grouped = joined.groupby("point", sort=True)["_case"].agg(["size", "mean"])
    grouped.columns = pd.Index(["runs", "share"])
    return factors.join(grouped, how="inner")


def discover(
    batch_dir: Path,
    where: str,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    paste: bool = True,
    prune: float = 0.05,
) -> Discovery:
    """Find where in a finished sweep's factor space the condition holds most."""
    from model.analysis.sweeps import load_sweep
    from model.batch import read_runs

    sweep = load_sweep(batch_dir)
    sweep.one_scenario("summit discover")
    numeric = [
        f for f in sweep.factors if f != "model.rule" and len({p[f] for p in sweep.points}) > 1
    ]
    if not numeric:
        raise ExperimentError(
            f"{batch_dir}: manifest.json: design.factors: discovery needs a swept numeric factor; "
            f"got {sweep.factors}"
        )
    runs = read_runs(batch_dir)
    factors = sweep.factor_frame()
    missing = sorted(set(range(len(sweep.points))) - set(runs["point"].astype(int)))
    if missing:
        raise ExperimentError(
            f"{batch_dir}: runs/: every design point needs its runs (rerun with summit sweep "
            f"--resume {batch_dir}); got none for points {missing[:8]}"
        )
    per_point = point_shares(runs, factors, where)
    cases = round(float((per_point["share"] * per_point["runs"]).sum()))
    if cases == 0 or cases == len(runs):
        never = "no run meets" if cases == 0 else "every run meets"
        raise ExperimentError(f"--where: {never} the condition, nothing to discover; got {where!r}")
    if not 0 <= prune < 1:
        raise ExperimentError(f"--prune: must be in [0, 1); got {prune}")
    result = prim(
        per_point[numeric],
        per_point["share"].to_numpy(float),
        per_point["runs"].to_numpy(float),
        alpha=alpha,
        min_mass=min_mass,
        min_coverage=min_coverage,
        paste=paste,
        prune=prune,
    )
    settings = {"alpha": alpha, "min_mass": min_mass, "min_coverage": min_coverage}
    settings |= {"paste": paste, "prune": prune}
    return Discovery(
        condition=where,
        runs=len(runs),
        cases=cases,
        points=per_point,
        result=result,
        factors=numeric,
        labels={f: sweep.label(f) for f in numeric},
        sampler=sweep.sampler,
        path=batch_dir,
        settings=settings,
    )


# ----------------------------------------------------------------------------- output


def _name(d: Discovery, factor: str) -> str:
    label = d.labels[factor]
    return f"{label} (`{factor}`)" if label != factor else factor


def restriction(d: Discovery, box: Box, factor: str) -> str:
    """One factor's limits in a box, in words: ``Seoul's openness (...) ≤ 0.4``."""
    lo, hi = box.limits[factor]
    all_lo, all_hi = d.result.trajectory[0].limits[factor]
    if lo > all_lo and hi < all_hi:
        return f"{_name(d, factor)} between {_g(lo)} and {_g(hi)}"
    if lo > all_lo:
        return f"{_name(d, factor)} ≥ {_g(lo)}"
    return f"{_name(d, factor)} ≤ {_g(hi)}"


def _g(v: float) -> str:
    return f"{v:.3g}"


def trajectory_frame(d: Discovery) -> pd.DataFrame:
    """The peeling trajectory, one row per box, with the limits of every factor."""
    rows = []
    for i, b in enumerate(d.result.trajectory):
        row: dict[str, Any] = {
            "step": i,
            "chosen": i == d.result.chosen,
            "coverage": b.coverage,
            "density": b.density,
            "mass": b.mass,
            "points": b.n_points,
            "restricted": len(b.restricted),
        }
        for f in d.factors:
            row[f"{f}_lo"], row[f"{f}_hi"] = b.limits[f]
        rows.append(row)
    return pd.DataFrame(rows)


def _box_json(d: Discovery, box: Box) -> dict[str, Any]:
    return {
        "coverage": box.coverage,
        "density": box.density,
        "mass": box.mass,
        "points": box.n_points,
        "limits": {f: list(box.limits[f]) for f in box.restricted},
        "in_words": [restriction(d, box, f) for f in box.restricted],
    }


def format_discovery(d: Discovery, fmt: str = "md") -> str:
    """md: the box in words and the trajectory; csv: the trajectory with every limit; json: the
    box (before and after dropping weak limits) and the trajectory."""
    traj = trajectory_frame(d)
    if fmt == "csv":
        return traj.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        r = d.result
        doc = {
            "condition": d.condition,
            "runs": d.runs,
            "cases": d.cases,
            "points": len(d.points),
            "base_rate": r.base_rate,
            "settings": d.settings,
            "box": _box_json(d, r.final) | {"density_without": r.relaxed_density},
            "dropped_limits": [{"factor": f, "limit": f"{s} {v}"} for f, s, v in r.dropped],
            "box_before_dropping": _box_json(d, r.pasted),
            "trajectory": json_records(traj),
        }
        return json.dumps(doc, indent=2)
    if fmt != "md":
        raise ExperimentError(f"--format: must be one of md, csv, json; got {fmt!r}")
    return _markdown(d)


def _markdown(d: Discovery) -> str:
    r = d.result
    box = r.final
    s = d.settings
    lines = [
        f"Condition: {d.condition} — met in {d.cases:,} of {d.runs:,} runs "
        f"({r.base_rate:.1%}) over {len(d.points)} design points ({d.sampler})",
        f"PRIM: peel alpha {s['alpha']:g}, minimum mass {s['min_mass']:g}, pasting "
        f"{'on' if s['paste'] else 'off'}; box: the densest with coverage ≥ "
        f"{s['min_coverage']:g} (step {r.chosen} of {len(r.trajectory) - 1}), then its "
        f"weakest limits dropped while they cost ≤ {s['prune']:.0%} of its density",
        "",
        f"Box: coverage {box.coverage:.2f}, density {box.density:.2f} "
        f"({_lift(box.density, r.base_rate)} the base rate), mass {box.mass:.2f} "
        f"({box.n_points} points)",
    ]
    if not box.restricted:
        lines.append("- no limit: the condition is not concentrated in any box")
    for f in box.restricted:
        lines.append(f"- {restriction(d, box, f)} (without it: density {r.relaxed_density[f]:.2f})")
    if r.dropped:
        weak = "; ".join(f"{d.labels[f]} {sign} {_g(v)}" for f, sign, v in r.dropped)
        p = r.pasted
        lines.append(
            f"- dropped as weak: {weak} (with them: coverage {p.coverage:.2f}, "
            f"density {p.density:.2f})"
        )
    lines += [
        "",
        "Peeling trajectory (coverage falls as density rises; * = the chosen step):",
        "",
    ]
    steps = _thin(len(r.trajectory), r.chosen)
    table = pd.DataFrame(
        {
            "step": [f"{i}{' *' if i == r.chosen else ''}" for i in steps],
            "coverage": [r.trajectory[i].coverage for i in steps],
            "density": [r.trajectory[i].density for i in steps],
            "mass": [r.trajectory[i].mass for i in steps],
            "points": [str(r.trajectory[i].n_points) for i in steps],
            "restricted factors": [str(len(r.trajectory[i].restricted)) for i in steps],
        }
    )
    lines.append(markdown_table(table, left=(), digits=2))
    return "\n".join(lines)


def _lift(density: float, base: float) -> str:
    return f"{density / base:.1f}×" if base > 0 else "–"


def _thin(n: int, keep: int, most: int = 12) -> list[int]:
    """At most about ``most`` evenly spaced steps, always the first, the last and ``keep``."""
    if n <= most:
        return list(range(n))
    picks = {round(float(i)) for i in np.linspace(0, n - 1, most - 1)} | {keep}
    return sorted(picks)
