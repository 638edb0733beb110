"""Which judgements matter: rank a batch's ranges by how much of the spread over worlds each
explains (`summit importance DIR`).

Each world of a batch (docs/MODEL.md §12) is one draw of every range and gives one value of each
outcome (P(summit), P(agreement), mean strain over its runs). That is given data, X (worlds ×
ranges) and Y (worlds), for SALib's estimators that need no special design:

- RBD-FAST first-order indices S1 (Tarantola, Gatelli & Mara 2006; Plischke 2010; with the bias
  correction of Tissot & Prieur 2012): the share of Var Y explained by one range alone;
- Borgonovo's δ (Borgonovo 2007; Plischke, Borgonovo & Smith 2013), moment-independent: how far
  the whole distribution of Y moves when one range is known (0 = not at all).

Both come with bootstrap 95% intervals. A world's value is an estimate from its own runs, so part
of Var Y is Monte Carlo noise that no range explains; the table says how much (`noise_share`), and
the indices of all ranges together cannot exceed 1 − noise_share.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from model.batch import load_manifest
from model.batch.store import DirectorySink
from model.errors import ExperimentError, problem
from model.results.tables import machine_readable, markdown_table
from model.scenario import Uncertain

OUTCOMES = {"p_summit": "summit", "p_agreement": "agreement", "strain_mean": "strain"}
RESAMPLES = 200
HARMONICS = 10  # RBD-FAST's M (SALib's default)
# RBD-FAST's bias correction (Tissot & Prieur 2012) scales by 1 / (1 − 2M/N), and its bootstrap
# resamples half the worlds, so at N worlds the half-samples are corrected by 1 / (1 − 4M/N): a
# division by zero at N = 20, 40, 41, a negative factor below 40, and 21× at N = 42, where the
# first-order indices of the baseline summed to 3–4 (they are shares of one variance) and every
# bootstrap interval had zero width. At N = 100 the factor is 1.7 and the sums were 0.2–0.5.
MIN_WORLDS = 100


@dataclass(frozen=True)
class Importance:
    table: pd.DataFrame  # one row per (outcome, range), ranked within each outcome
    worlds: int
    runs_per_world: float
    point: int
    noise: dict[str, float]  # outcome → share of the worlds' spread that is Monte Carlo noise


def world_data(batch_dir: Path, point: int | None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """X (worlds × drawn values) and Y (worlds × outcomes, with runs per world) of one point."""
    path = batch_dir / "worlds.parquet"
    load_manifest(batch_dir)  # a missing or foreign directory is said as such, not as "no worlds"
    if not path.exists():
        rule = "no worlds.parquet: the batch has no judgement worlds (ranges, --worlds > 1)"
        raise ExperimentError(problem(str(batch_dir), "worlds.parquet", rule, str(batch_dir)))
    x = pq.read_table(path).to_pandas()
    if "scenario" in x.columns:
        rule = "a batch of several scenarios: run importance on a batch of one scenario"
        raise ExperimentError(problem(str(batch_dir), "worlds.parquet", rule, None))
    x = x.set_index("world")
    columns = ["point", "world", "summit", "agreement", "strain"]
    frames = [f[columns] for f in DirectorySink(batch_dir).frames_in_order()]
    if not frames:
        raise ExperimentError(f"{batch_dir}: runs/: no finished chunks; got an empty batch")
    runs = pd.concat(frames, ignore_index=True)
    points = sorted(runs["point"].unique().tolist())
    if point is None:
        if len(points) > 1:
            rule = f"the batch has {len(points)} design points: choose one with --point"
            raise ExperimentError(problem(str(batch_dir), "--point", rule, None))
        point = int(points[0])
    if point not in points:
        raise ExperimentError(problem(str(batch_dir), "--point", f"one of {points}", point))
    rows = runs[runs["point"] == point]
    y = rows.groupby("world").agg(
        p_summit=("summit", "mean"),
        p_agreement=("agreement", "mean"),
        strain_mean=("strain", "mean"),
        strain_var=("strain", "var"),
        runs=("summit", "size"),
    )
    swept = set(load_manifest(batch_dir)["design"]["points"][point])
    x = x.loc[y.index, [c for c in x.columns if c not in swept]]  # a swept value is fixed here
    return x, y, point


def noise_share(y: pd.DataFrame, outcome: str) -> float:
    """Share of the variance over worlds that is the worlds' own Monte Carlo noise."""
    values = y[outcome].to_numpy(float)
    n = y["runs"].to_numpy(float)
    if outcome == "strain_mean":
        noise = y["strain_var"].to_numpy(float) / n
    else:
        noise = values * (1 - values) / np.maximum(n - 1, 1)
    total = float(values.var(ddof=1))
    return float(min(1.0, np.mean(noise) / total)) if total > 0 else float("nan")


DUMMY = "(dummy: no effect)"  # a column of noise: the indices' floor (Khorashadi Zadeh et al. 2017)


def importance(
    batch_dir: Path, point: int | None = None, seed: int = 0, with_delta: bool = False
) -> Importance:
    """Rank the ranges; δ only if asked (its bootstrap takes minutes with dozens of ranges)."""
    from SALib.analyze import delta, rbd_fast

    x, y, point = world_data(batch_dir, point)
    if x.shape[1] == 0:
        rule = "every range is fixed by the sweep at this point: nothing to rank"
        raise ExperimentError(problem(str(batch_dir), "--point", rule, point))
    if len(x) < MIN_WORLDS:
        rule = f"needs at least {MIN_WORLDS} worlds to rank ranges (run with --worlds 100 or more)"
        raise ExperimentError(problem(str(batch_dir), "worlds", rule, len(x)))
    ranges = json.loads(pq.read_schema(batch_dir / "worlds.parquet").metadata[b"summit_sim.ranges"])
    # a dummy input that the outcome cannot depend on: an index at or below the dummy's is
    # indistinguishable from none at this number of worlds
    x[DUMMY] = np.random.default_rng(seed).permutation(len(x)) / len(x)
    X = x.to_numpy(float)
    span = [(float(X[:, i].min()), float(X[:, i].max())) for i in range(X.shape[1])]
    problem_ = {
        "num_vars": X.shape[1],
        "names": list(x.columns),
        "bounds": [[lo, hi if hi > lo else lo + 1e-9] for lo, hi in span],
    }
    rows = []
    noise: dict[str, float] = {}
    for outcome in OUTCOMES:
        Y = y[outcome].to_numpy(float)
        noise[outcome] = noise_share(y, outcome)
        if float(np.var(Y)) == 0.0:
            continue  # the outcome does not vary over worlds: nothing to attribute
        with _quiet():  # SALib's binning notices: not the user's business
            fast = rbd_fast.analyze(problem_, X, Y, M=HARMONICS, num_resamples=RESAMPLES, seed=seed)
            if with_delta:
                dlt = delta.analyze(
                    problem_, X, Y, num_resamples=RESAMPLES, seed=seed, method="delta"
                )
        for i, name in enumerate(x.columns):
            s1, s1c = float(fast["S1"][i]), float(fast["S1_conf"][i])
            d = dc = float("nan")
            if with_delta:  # SALib ≥ 1.6: the balanced-bin estimator (equiprobable bins)
                d, dc = float(dlt["delta_balanced"][i]), float(dlt["delta_balanced_conf"][i])
            rows.append({
                "outcome": outcome, "path": name, "range": _describe(ranges.get(name)),
                "S1": s1, "S1_lo": s1 - s1c, "S1_hi": s1 + s1c,
                "delta": d, "delta_lo": d - dc, "delta_hi": d + dc,
            })  # fmt: skip
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values(["outcome", "S1"], ascending=[True, False], kind="stable")
        table.insert(1, "rank", table.groupby("outcome").cumcount() + 1)
        order = {o: i for i, o in enumerate(OUTCOMES)}
        table = table.sort_values(
            ["outcome", "rank"], key=lambda c: c.map(order) if c.name == "outcome" else c
        )
    return Importance(table.reset_index(drop=True), len(x), float(y["runs"].mean()), point, noise)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        yield


def _describe(q: dict[str, object] | None) -> str:
    return "–" if not q else Uncertain(**q).describe()  # type: ignore[arg-type]


LABELS = {"p_summit": "P(summit)", "p_agreement": "P(agreement)", "strain_mean": "strain mean"}


def format_importance(result: Importance, fmt: str, top: int | None = None) -> str:
    """Markdown (the top ``top`` ranges per outcome), CSV or JSON (every row, full precision)."""
    table = result.table
    if (text := machine_readable(table, fmt)) is not None:
        return text
    if top is not None and not table.empty:  # the dummy stays: it is the reference line
        table = table[(table["rank"] <= top) | (table["path"] == DUMMY)]
    view = pd.DataFrame(
        {
            "outcome": [LABELS[o] for o in table["outcome"]],
            "rank": table["rank"],
            "judgement": table["path"],
            "range": table["range"],
            "S1 (RBD-FAST) [95%]": _cis(table, "S1"),
            **(
                {"δ (Borgonovo) [95%]": _cis(table, "delta")}
                if table["delta"].notna().any()
                else {}
            ),
        }
    )
    noise = ", ".join(f"{LABELS[o]} {v:.0%}" for o, v in result.noise.items() if v == v)
    return (
        markdown_table(view, left=["outcome", "judgement", "range"])
        + f"\n\nPoint {result.point}: {result.worlds} worlds of about "
        f"{result.runs_per_world:.0f} runs. S1: share of the spread of the worlds' values that "
        f"one judgement explains alone (δ, with --delta: how far knowing it moves the whole "
        f"distribution, 0 = not at all); {DUMMY} is a column of noise: a judgement ranked "
        f"at or below it is indistinguishable from none. Monte Carlo noise in the worlds' "
        f"values, which no judgement explains: {noise}. Intervals: bootstrap over worlds "
        f"({RESAMPLES} resamples)."
    )


def _cis(table: pd.DataFrame, col: str) -> list[str]:
    cols = zip(table[col], table[f"{col}_lo"], table[f"{col}_hi"], strict=True)
    return [f"{v:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in cols]
