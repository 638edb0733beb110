"""Backtests: forecast real negotiations with known outcomes and score every rule.

The data are the DEU III layout (Arregui & Perarnaud 2021, as prepared in
``../shared/data/deu3/README.md``), read by `load_deu` from the file exactly as distributed:

- tab- or comma-separated (a tab in the header line means tabs), quoted or not, one header row;
- the first data row is the capability row: the identifier columns are empty and each actor's
  ``p<actor>`` cell holds its capability (a GDP share; the Commission and Parliament get
  Germany's);
- then one row per issue: ``prnr`` proposal, ``isnr`` issue, ``counvte`` voting rule in the
  Council (``QMV`` or ``Unan``; ``QMV(n)``, a qualified-majority code with a qualifier, is read as
  ``QMV`` and reported in `Negotiations.recoded`), ``p<actor>`` position 0–100 and ``s<actor>``
  salience 0–100 for each actor (an actor is any ``p<name>`` column with a matching ``s<name>``
  column), ``rp`` reference point, ``out`` outcome; other columns are ignored;
- an empty position means the actor took no part in that issue (salience 0 here, whatever its
  salience cell says); a position without a salience (8 cells in the development half) gets the
  mean salience of the issue's other participants, neither more nor less keen than the rest;
- issues that cannot be scored (no outcome, or no actor with a position and a salience > 0) are
  left out and listed in `Negotiations.left_out`, not refused; a cell that breaks the layout (a
  word where a number belongs, a value off the 0–100 scale, an unknown voting rule) is an error.

A folder is read as every ``*.tsv`` file in it, each with its own capability row.

`score` gives, per rule and voting rule, the mean and median absolute error, the hit rate
(|error| < 10 points) and the mean error's difference from the compromise model's, each with a
95% percentile bootstrap interval. The bootstrap resamples whole proposals, not issues: the
issues of one proposal share actors, capabilities, codings and one negotiation, so their errors
are correlated, and the development/held-out split is itself by proposal; resampling issues would
pretend there are 155 independent cases when there are 64 clusters, and give too narrow intervals.
"""

from __future__ import annotations

import multiprocessing
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
import pandas as pd

from model.forecasting import bargaining, dispatch
from model.forecasting.bargaining import Rule, Settings
from model.forecasting.deu import (
    DEFAULT_DATA,
    HIT,
    NO_OUTCOME,
    NO_PARTICIPANT,
    QMV_CODE,
    REQUIRED,
    VOTING_RULES,
    LeftOut,
    Negotiations,
    Recoded,
    left_out_warning,
    load_deu,
    recode_notes,
)
from model.sim.rules import Array, compromise

DEFAULT_RUNS = 100  # replications per issue for the stochastic rules
DEFAULT_BOOT = 2000  # bootstrap resamples


# ---------------------------------------------------------------- forecasting
def issue_rng(seed: int, issue: str) -> np.random.Generator:
    """A stream per issue keyed by its id, so adding or reordering issues changes no other's."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(zlib.crc32(issue.encode()),))
    )


def veto_capability(cap: Array, voting: str) -> Array:
    """Capabilities as they count under a voting rule: under unanimity every participant holds a
    veto, so none can be outvoted and their bargaining weights are equal; under QMV as given."""
    return np.ones_like(cap) if voting == "Unan" else cap


def column_name(rule: Rule, veto: bool) -> str:
    return f"{rule.value}+veto" if veto else rule.value


def forecast_issues(
    data: Negotiations,
    rules: Iterable[Rule | str] = tuple(Rule),
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    settings: Settings = bargaining.DEFAULT,
    veto: Sequence[bool] = (False,),
    progress: Callable[[int], object] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """One row per issue: identifiers, outcome and each rule's point forecast.

    ``veto``: run each rule with the capabilities as given (False) and/or as they count under the
    issue's voting rule (True, `veto_capability`; column ``<rule>+veto``). A stochastic rule's
    point forecast is the median over ``runs`` replications: the forecast that minimises the
    expected absolute error, the score used here.

    ``workers`` > 1 forecasts issues in that many processes. Each issue's numbers depend only on
    the issue and its own random stream (`issue_rng`), so they are the same for any ``workers``.
    """
    variants = tuple((Rule(r), v) for r in rules for v in veto)
    tasks = [(*data.issue_arrays(n), data.voting[n], data.issue[n]) for n in range(len(data))]
    job = partial(_forecast_issue, variants=variants, runs=runs, seed=seed, settings=settings)
    values = np.full((len(data), len(variants)), np.nan)
    for n, row in _run_issues(job, tasks, workers):
        values[n] = row
        if progress is not None:
            progress(1)
    frame = pd.DataFrame(
        {
            "proposal": data.proposal,
            "issue": data.issue,
            "voting": data.voting,
            "outcome": data.outcome,
        }
    )
    for j, (r, v) in enumerate(variants):
        frame[column_name(r, v)] = values[:, j]
    return frame


IssueTask = tuple[Array, Array, Array, str, str]  # position, salience, capability, voting, issue


def _forecast_issue(
    task: IssueTask,
    variants: tuple[tuple[Rule, bool], ...],
    runs: int,
    seed: int,
    settings: Settings,
) -> list[float]:
    """One issue's point forecast by each (rule, veto) variant.

    A variant whose capabilities equal another's (``+veto`` on a QMV issue) has the same inputs
    and the same random stream, hence the same forecast: it is computed once.
    """
    pos, sal, cap, voting, issue = task
    done: dict[tuple[Rule, bytes], float] = {}
    out = []
    for r, v in variants:
        c = veto_capability(cap, voting) if v else cap
        key = (r, c.tobytes())
        if key not in done:
            rng = issue_rng(seed, issue) if r in bargaining.STOCHASTIC else None
            draws = dispatch.forecast(r, pos, sal, c, rng=rng, runs=runs, settings=settings)
            done[key] = float(np.median(draws[:, 0]))
        out.append(done[key])
    return out


def _run_issues(
    job: Callable[[IssueTask], list[float]], tasks: list[IssueTask], workers: int
) -> Iterator[tuple[int, list[float]]]:
    """(index, result) of ``job`` on every task, computed by ``workers`` processes: this one and
    ``workers`` − 1 spawned ones, in the order they finish."""
    if workers <= 1 or len(tasks) < 2:
        for n, task in enumerate(tasks):
            yield n, job(task)
        return
    # largest issues first (the pairwise contests cost ~ participants³), so no process is left
    # with a big one at the end
    order = sorted(range(len(tasks)), key=lambda n: -len(tasks[n][0]))
    # spawn, not fork: forking a process that runs threads (the progress bar's) is unsafe
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)) - 1, mp_context=context)
    try:
        futures = [(n, pool.submit(job, tasks[n])) for n in order]
        reported: set[int] = set()
        for n, future in futures:
            # this process takes every task the pool has not started: it computes from the start,
            # while the spawned processes are still importing, and the load balances itself
            if future.cancel():
                reported.add(n)
                yield n, job(tasks[n])
            for m, other in futures:
                if m not in reported and other.done() and not other.cancelled():
                    reported.add(m)
                    yield m, other.result()
        for m, other in futures:
            if m not in reported:
                yield m, other.result()
    finally:  # on an error or an early stop, do not finish the queued issues first
        pool.shutdown(wait=True, cancel_futures=True)


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------- scoring
def cluster_bootstrap(
    proposal: Sequence[str], boot: int, seed: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Issue indices of each proposal, and ``boot`` resamples of proposals (with replacement)."""
    labels, inverse = np.unique(np.asarray(proposal), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(labels))]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xB007,)))
    draws = rng.integers(0, len(labels), size=(boot, len(labels)))
    return members, draws


def resample_counts(members: list[np.ndarray], draws: np.ndarray) -> np.ndarray:
    """(boot, N) how often each issue is in each resample of `cluster_bootstrap`."""
    boot, groups = draws.shape
    n_issues = sum(len(m) for m in members)
    per_group = np.bincount(
        (np.arange(boot)[:, None] * groups + draws).ravel(), minlength=boot * groups
    ).reshape(boot, groups)
    group_of = np.empty(n_issues, dtype=int)
    for g, m in enumerate(members):
        group_of[m] = g
    return per_group[:, group_of].astype(float)


def _resampled_mean(values: Array, counts: np.ndarray) -> Array:
    """Each resample's mean of ``values`` (issues counted as often as they were drawn)."""
    n = counts.sum(axis=1)
    total = (counts * values).sum(axis=1)
    return np.where(n > 0, total / np.where(n > 0, n, 1.0), np.nan)


def _resampled_median(values: Array, counts: np.ndarray) -> Array:
    """Each resample's median: the middle value(s) of the sorted values, counted with weights;
    the mean of the two middle values when the count is even, as `np.median`."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    cum = np.cumsum(counts[:, order], axis=1)
    n = cum[:, -1]
    lower = np.argmax(cum > ((n - 1) // 2)[:, None], axis=1)
    upper = np.argmax(cum > (n // 2)[:, None], axis=1)
    return np.where(n > 0, 0.5 * (v[lower] + v[upper]), np.nan)


def _interval(samples: Array) -> tuple[float, float]:
    ok = samples[np.isfinite(samples)]
    if ok.size == 0:
        return (np.nan, np.nan)
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return float(lo), float(hi)


def score(
    frame: pd.DataFrame,
    rules: Sequence[str] | None = None,
    boot: int = DEFAULT_BOOT,
    seed: int = 0,
    baseline: str = Rule.COMPROMISE.value,
) -> pd.DataFrame:
    """Errors of each rule's forecasts in ``frame`` (from `forecast_issues`), overall and by voting
    rule, with 95% proposal-clustered bootstrap intervals.

    Columns: rule, voting (all, QMV, Unan), issues, proposals, mae, mae_lo, mae_hi, median_ae,
    median_ae_lo, median_ae_hi, hit (share with |error| < 10), hit_lo, hit_hi, and d_mae, d_mae_lo,
    d_mae_hi: the rule's mean error minus the baseline's on the same issues (negative: better).
    The same resamples serve every rule, so the differences are paired.
    """
    known = {"proposal", "issue", "voting", "outcome"}
    rules = list(rules) if rules is not None else [c for c in frame.columns if c not in known]
    rows = []
    for group in ("all", *VOTING_RULES):
        sub = frame if group == "all" else frame[frame["voting"] == group]
        if sub.empty:
            continue
        counts = resample_counts(*cluster_bootstrap(sub["proposal"].tolist(), boot, seed))
        y = sub["outcome"].to_numpy(float)
        base_err = np.abs(sub[baseline].to_numpy(float) - y) if baseline in sub else None
        for rule in rules:
            err = np.abs(sub[rule].to_numpy(float) - y)
            rows.append(_score_row(rule, group, sub, err, base_err, counts))
    return pd.DataFrame(rows)


def _score_row(
    rule: str,
    group: str,
    sub: pd.DataFrame,
    err: Array,
    base_err: Array | None,
    counts: np.ndarray,
) -> dict[str, object]:
    hits = (err < HIT).astype(float)
    row: dict[str, object] = {
        "rule": rule,
        "voting": group,
        "issues": len(sub),
        "proposals": sub["proposal"].nunique(),
    }
    for name, values, point, resampled in (
        ("mae", err, np.mean, _resampled_mean),
        ("median_ae", err, np.median, _resampled_median),
        ("hit", hits, np.mean, _resampled_mean),
    ):
        row[name] = float(point(values))
        row[f"{name}_lo"], row[f"{name}_hi"] = _interval(resampled(values, counts))
    if base_err is not None:
        diff = err - base_err
        row["d_mae"] = float(np.mean(diff))
        row["d_mae_lo"], row["d_mae_hi"] = _interval(_resampled_mean(diff, counts))
    return row


# ---------------------------------------------------------------- cross-validation by proposal
def cross_validate(candidates: pd.DataFrame, frame: pd.DataFrame) -> tuple[Array, list[str]]:
    """Leave one proposal out: for each proposal, choose among candidate forecasts (columns of
    ``candidates``, one row per issue of ``frame``) by mean absolute error on all other proposals
    and forecast the left-out proposal with that choice. No negotiation is seen both in tuning and
    in scoring; one fold per proposal leaves nothing to a random fold assignment.

    Returns the cross-validated forecasts and the candidate chosen for each proposal.
    """
    y = frame["outcome"].to_numpy(float)
    proposal = frame["proposal"].to_numpy()
    values = candidates.to_numpy(float)
    errors = np.abs(values - y[:, None])
    pred = np.full(len(y), np.nan)
    chosen: list[str] = []
    for label in pd.unique(proposal):
        out = proposal == label
        best = int(np.argmin(np.mean(errors[~out], axis=0)))
        chosen.append(str(candidates.columns[best]))
        pred[out] = values[out, best]
    return pred, chosen


def exponent_grid(
    data: Negotiations, salience_powers: Sequence[float], unanimity_powers: Sequence[float]
) -> pd.DataFrame:
    """Candidate forecasts Σ w x / Σ w with w = c^γ s^β (γ applies under unanimity; 1 under QMV).

    The fixed point of the ``fj`` rule has this form (β = 1 + the power of salience in the
    stubbornness; see `bargaining.fj_forecast`), so the grid shows what tuning β and γ to this
    half would buy: compare its in-sample and cross-validated errors (docs/VALIDATION.md).
    """
    columns: dict[str, list[float]] = {}
    for beta in salience_powers:
        for gamma in unanimity_powers:
            name = f"beta={beta:g},gamma={gamma:g}"
            columns[name] = []
            for n in range(len(data)):
                pos, sal, cap = data.issue_arrays(n)
                c = cap**gamma if data.voting[n] == "Unan" else cap
                columns[name].append(float(compromise(pos, sal**beta, c)[0]))
    return pd.DataFrame(columns)


MECHANISMS = ("compromise", "compromise+veto", "fj", "fj+veto")
SALIENCE_POWERS = (1.0, 1.5, 2.0, 2.5, 3.0)
UNANIMITY_POWERS = (0.0, 0.25, 0.5, 0.75, 1.0)


def tuning_table(
    data: Negotiations, frame: pd.DataFrame, boot: int = DEFAULT_BOOT, seed: int = 0
) -> pd.DataFrame:
    """In-sample against cross-validated error of what could be tuned on this half.

    Rows (``rule`` column): the compromise model; ``choose mechanism (CV)``, the best of
    `MECHANISMS` chosen leaving each proposal out; ``exponent grid (in-sample)``, the single best
    of `exponent_grid` on all of this half; ``exponent grid (CV)``, the same choice made leaving
    each proposal out. ``frame`` is `forecast_issues` output holding the `MECHANISMS` columns.
    """
    grid = exponent_grid(data, SALIENCE_POWERS, UNANIMITY_POWERS)
    y = frame["outcome"].to_numpy(float)
    best = grid.columns[int(np.argmin(np.mean(np.abs(grid.to_numpy() - y[:, None]), axis=0)))]
    out = frame[["proposal", "issue", "voting", "outcome", "compromise", "fj+veto"]].copy()
    out["choose mechanism (CV)"] = cross_validate(frame[list(MECHANISMS)], frame)[0]
    out[f"exponent grid {best} (in-sample)"] = grid[best].to_numpy()
    out["exponent grid (CV)"] = cross_validate(grid, frame)[0]
    return score(out, boot=boot, seed=seed)


__all__ = [
    "DEFAULT_DATA",
    "HIT",
    "NO_OUTCOME",
    "NO_PARTICIPANT",
    "QMV_CODE",
    "REQUIRED",
    "VOTING_RULES",
    "LeftOut",
    "Negotiations",
    "Recoded",
    "left_out_warning",
    "load_deu",
    "recode_notes",
]
