"""Scoring the model on a library of past cases (`summit score`, docs/CASES.md).

Each case is a scenario written "as of" a date before its outcome, with an ``[outcome]`` section
saying what happened. The model forecasts P(summit within the horizon) and P(agreement | summit)
from the run rows; proper scoring rules compare the forecasts with the outcomes:

- Brier score: (p − y)², 0 best, 0.25 for always saying 0.5 (Brier 1950);
- log score: −ln p(y), the forecast's probability of what happened, with p clipped to
  [CLIP, 1 − CLIP] so that one confident miss costs at most −ln(0.001) ≈ 6.9 (lower is better);
- the mean over cases, with a percentile bootstrap interval over cases (fixed seed);
- two references: the library's base rate (every case forecast at the share of cases with a
  summit: an in-sample reference that knows the base rate) and 0.5;
- a reliability table: forecasts binned, mean forecast against observed frequency per bin.

The same scores are computed for P(agreement | summit) on the cases that had a summit, where the
model produced at least one run with a summit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.batch import Design, chunk_runs_for, run_batches
from model.errors import ExperimentError, ScenarioError, problem
from model.scenario import SHIPPED_DIR, Scenario, load_scenario

CASES_DIR = SHIPPED_DIR / "cases"
CLIP = 1e-3  # log scores clip forecasts to [CLIP, 1 - CLIP]
BOOTSTRAP = 2000  # resamples of the cases
BOOTSTRAP_SEED = 13  # fixed: the interval is part of the reproducible output
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # reliability bins (the last one closed)


# ---------------------------------------------------------------- the rules (pure functions)
def brier(p: Any, y: Any) -> np.ndarray:
    """Brier score per forecast: (p − y)²."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    return np.asarray((p - y) ** 2)


def log_score(p: Any, y: Any, clip: float = CLIP) -> np.ndarray:
    """Log score per forecast, as a loss: −ln of the probability given to what happened, with p
    clipped to [clip, 1 − clip]."""
    p = np.clip(np.asarray(p, dtype=float), clip, 1.0 - clip)
    y = np.asarray(y, dtype=float)
    return np.asarray(-(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def bootstrap_mean(
    values: Any, n: int = BOOTSTRAP, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float]:
    """95% percentile interval of the mean, resampling the values (the cases) with replacement."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n, v.size))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def reliability(p: Any, y: Any, bins: Sequence[float] = BINS) -> pd.DataFrame:
    """Forecasts binned: per bin the number of cases, the mean forecast and the observed share."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    rows = []
    for i, (lo, hi) in enumerate(itertools.pairwise(bins)):
        last = i == len(bins) - 2
        inside = (p >= lo) & ((p <= hi) if last else (p < hi))
        n = int(inside.sum())
        rows.append(
            {
                "bin": f"[{lo:.1f}, {hi:.1f}{']' if last else ')'}",
                "cases": n,
                "mean_forecast": float(p[inside].mean()) if n else math.nan,
                "observed": float(y[inside].mean()) if n else math.nan,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Totals:
    """Mean scores over the cases, with bootstrap intervals, beside the two references."""

    n: int
    base_rate: float
    brier: float
    brier_ci: tuple[float, float]
    log: float
    log_ci: tuple[float, float]
    brier_base: float
    log_base: float
    brier_half: float
    log_half: float
    brier_skill: float  # 1 − brier / brier_base
    diff_ci: tuple[float, float]  # bootstrap interval of brier − brier_base (paired, over cases)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON: tuples as lists, NaN (no cases to score) as None."""

        def plain(v: Any) -> Any:
            if isinstance(v, tuple):
                return [plain(x) for x in v]
            return None if isinstance(v, float) and math.isnan(v) else v

        return {k: plain(v) for k, v in self.__dict__.items()}


def totals(p: Any, y: Any) -> Totals:
    """The model's mean Brier and log score over cases against the base rate and 0.5."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    if p.size == 0:
        nan = math.nan
        return Totals(0, nan, nan, (nan, nan), nan, (nan, nan), nan, nan, nan, nan, nan, (nan, nan))
    rate = float(y.mean())
    b, lg = brier(p, y), log_score(p, y)
    b_base = brier(np.full_like(p, rate), y)
    b_mean, base_mean = float(b.mean()), float(b_base.mean())
    return Totals(
        n=int(p.size),
        base_rate=rate,
        brier=b_mean,
        brier_ci=bootstrap_mean(b),
        log=float(lg.mean()),
        log_ci=bootstrap_mean(lg),
        brier_base=base_mean,
        log_base=float(log_score(np.full_like(p, rate), y).mean()),
        brier_half=0.25,
        log_half=math.log(2.0),
        brier_skill=1.0 - b_mean / base_mean if base_mean > 0 else math.nan,
        diff_ci=bootstrap_mean(b - b_base),
    )


# ---------------------------------------------------------------- the library
def find_cases(paths: Sequence[str | Path] = ()) -> list[Scenario]:
    """The cases: every scenario with an [outcome] under the given files or directories
    (default: scenarios/cases/). Files without [outcome] in a directory are bases, skipped; a
    file named on its own must be a case."""
    targets = [Path(p) for p in paths] or [CASES_DIR]
    cases: list[Scenario] = []
    problems: list[str] = []
    for target in targets:
        if target.is_dir():
            files, explicit = sorted(target.glob("*.toml")), False
        else:
            files, explicit = [target], True
        for f in files:
            try:
                scn = load_scenario(f)
            except ScenarioError as exc:
                problems.extend(exc.problems)
                continue
            if scn.spec.outcome is not None:
                cases.append(scn)
            elif explicit:
                rule = "not a case: it has no [outcome] section"
                problems.append(problem(f.name, "outcome", rule, None))
    if problems:
        raise ScenarioError(problems)
    if not cases:
        where = ", ".join(str(t) for t in targets)
        raise ExperimentError(f"{where}: no cases (scenarios with an [outcome] section) found")
    names = [c.name for c in cases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ExperimentError(f"meta.name: two cases share a name; got {dupes}")
    return cases


@dataclass
class Library:
    """One forecast per case, what happened, and the scores."""

    cases: pd.DataFrame  # one row per case (the CSV)
    summit: Totals
    agreement: Totals  # P(agreement | summit), on the cases with a summit
    reliability: pd.DataFrame
    runs: int
    seed: int
    meta: dict[str, Any] = field(default_factory=dict)


def forecasts(
    scenarios: Sequence[Scenario], runs: int, seed: int, workers: int = 1
) -> list[dict[str, float]]:
    """P(summit) and P(agreement | summit) of each scenario over ``runs`` replications (common
    random numbers: every case uses the same root seed). They run as one set of chunks, so
    every worker stays busy though each case is a small batch."""
    # chunks as large as keeps every worker busy over the whole set (a chunk holds one case)
    chunk = chunk_runs_for(runs * len(scenarios), workers)
    designs = [Design(s, replications=runs, root_seed=seed, chunk_runs=chunk) for s in scenarios]
    out = []
    # rows of every case stay in memory until the last is done: only the tallied columns
    for scn, res in zip(scenarios, run_batches(designs, workers, tallied_only=True), strict=True):
        if res.failures:
            raise ExperimentError(f"{scn.source}: the model failed: {res.failures[0][1]}")
        rows = res.runs
        summit = rows["summit"].to_numpy(bool)
        agreed = rows["agreement"].to_numpy(bool)
        n_summit = int(summit.sum())
        out.append(
            {
                "p_summit": float(summit.mean()),
                "p_agreement_given_summit": float(agreed[summit].mean()) if n_summit else math.nan,
                "summit_runs": n_summit,
            }
        )
    return out


def score_library(cases: Sequence[Scenario], runs: int, seed: int, workers: int = 1) -> Library:
    rows = []
    for scn, f in zip(cases, forecasts(cases, runs, seed, workers), strict=True):
        o = scn.spec.outcome
        assert o is not None
        rows.append(
            {
                "case": scn.name,
                "dyad": "-".join(scn.principals()),
                "as_of": scn.spec.meta.start.isoformat(),
                "weeks": scn.weeks,
                "p_summit": f["p_summit"],
                "happened": int(o.summit),
                "summit_date": o.summit_date.isoformat() if o.summit_date else "",
                "p_agreement_given_summit": f["p_agreement_given_summit"],
                "agreement": int(o.agreement) if o.summit else math.nan,
                "brier": float(brier(f["p_summit"], o.summit)),
                "log_score": float(log_score(f["p_summit"], o.summit)),
                "what": o.what,
            }
        )
    table = pd.DataFrame(rows)
    table["agreement"] = table["agreement"].astype("Int64")  # 0/1, empty without a summit
    p, y = table["p_summit"].to_numpy(), table["happened"].to_numpy()
    scored = (table["happened"] == 1) & table["p_agreement_given_summit"].notna()
    agree = totals(
        table.loc[scored, "p_agreement_given_summit"].to_numpy(),
        table.loc[scored, "agreement"].to_numpy(),
    )
    return Library(table, totals(p, y), agree, reliability(p, y), runs, seed)


# ---------------------------------------------------------------- tuning, in the open
@dataclass(frozen=True)
class Tuning:
    """Leave-one-case-out check of tuning one structural constant on the library."""

    path: str
    values: list[float]
    default: float
    brier_by_value: list[float]  # in-sample mean Brier for each value
    best: float  # the in-sample best value
    brier_default: float
    brier_best: float  # in-sample: optimistic
    brier_loo: float  # each case forecast with the value best on the other cases
    chosen: list[float]  # the value chosen for each held-out case

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def loo_tune(
    cases: Sequence[Scenario],
    path: str,
    values: Sequence[float],
    runs: int,
    seed: int,
    workers: int = 1,
) -> Tuning:
    """Would tuning ``path`` on the library help? For each held-out case, pick the value with the
    lowest mean Brier on the other cases and score the held-out case with it. Tuning is only
    worth it if this leave-one-case-out Brier beats the untuned one."""
    if not path.startswith("model."):
        raise ExperimentError(f"--tune: {path}: only structural constants (model.*) are tuned")
    defaults = {c.get(path) for c in cases}
    if len(defaults) != 1:
        rule = "the cases disagree on its value, so it is not one constant"
        raise ExperimentError(f"--tune: {path}: {rule}; got {sorted(defaults)}")
    default = defaults.pop()
    bounds = cases[0].bounds(path)
    for v in values:  # checked here, so the error names --tune, not the first case file
        if (broken := bounds.check(float(v))) is not None:
            raise ExperimentError(f"--tune: {path}: {broken}; got {v:g}")
    grid = sorted({float(v) for v in values} | {default})
    y = np.array([int(c.spec.outcome.summit) for c in cases if c.spec.outcome is not None])
    variants = [c.with_values({path: v}) for v in grid for c in cases]
    p = np.array([f["p_summit"] for f in forecasts(variants, runs, seed, workers)])
    p = p.reshape(len(grid), len(cases))
    b = brier(p, y[None, :])  # (values, cases)
    by_value = b.mean(axis=1)
    chosen, loo = [], []
    for i in range(len(cases)):
        others = np.delete(b, i, axis=1).mean(axis=1)
        j = int(np.argmin(others))
        chosen.append(grid[j])
        loo.append(b[j, i])
    best = int(np.argmin(by_value))
    return Tuning(
        path=path,
        values=grid,
        default=default,
        brier_by_value=[float(x) for x in by_value],
        best=grid[best],
        brier_default=float(by_value[grid.index(default)]),
        brier_best=float(by_value[best]),
        brier_loo=float(np.mean(loo)),
        chosen=chosen,
    )
