"""Sobol and Morris sensitivity indices of a finished sweep, bound to its design by point id.

A sweep directory records its experiment (factors, sampler, samples, levels, seed) in
``manifest.json``. The SALib sample matrix is rebuilt from that record with
`model.batch.experiment.sample_points` and checked against the design points the batch
actually ran, so row ``i`` of the matrix *is* design point ``i``. Outcomes are the replication
means per point (``summary.csv``), looked up by their ``point`` column and never by row order: a
shuffled, partial or foreign summary cannot silently give misaligned indices.

Each point mean carries replication noise. It acts on the indices like one more, independent
input: it inflates every total index ST by about its share of the variance across points, and it
gives Morris's mu* a floor above zero. `noise_share` reports that share so a reader can tell
indices from noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from model.analysis.labels import DEFAULT_OUTCOMES, outcome
from model.analysis.sweeps import Sweep, few, load_sweep, summary_by_point
from model.batch import read_runs
from model.errors import ExperimentError
from model.results.stats import Z95
from model.results.tables import json_records, markdown_table

# ----------------------------------------------------------------------------- design matrix


@dataclass(frozen=True)
class SampleDesign:
    """A Sobol or Morris design: the SALib problem and the sample matrix (row i = point i)."""

    method: Literal["sobol", "morris"]
    problem: dict[str, Any]
    matrix: np.ndarray
    levels: int
    seed: int

    @property
    def n_points(self) -> int:
        return int(self.matrix.shape[0])


def design_of_spec(spec: dict[str, Any]) -> tuple[SampleDesign, list[dict[str, Any]]]:
    """Rebuild the sample matrix (and the design points) from an experiment spec (JSON form)."""
    from model.batch.experiment import ExperimentFile, salib_problem, sample_points

    exp = ExperimentFile.model_validate(spec)
    method = exp.experiment.design
    if method not in ("sobol", "morris"):
        raise ExperimentError(
            f"experiment: design: sensitivity indices need a sobol or morris sweep; got {method!r}"
        )
    points, matrix = sample_points(exp)
    assert matrix is not None  # sobol and morris always have one
    sd = SampleDesign(
        method=method,
        problem=salib_problem(exp.factors),
        matrix=matrix,
        levels=exp.experiment.levels,
        seed=exp.experiment.seed,
    )
    return sd, points


def design_of_sweep(sweep: Sweep) -> SampleDesign:
    """The sample matrix of a finished sweep, checked to be the design it ran."""
    where = f"{sweep.path}: manifest.json"
    if sweep.sampler not in ("sobol", "morris"):
        raise ExperimentError(
            f"{where}: design.sampler: sensitivity indices need a sobol or morris sweep "
            f"(use summit plot or summit discover for others); got {sweep.sampler!r}"
        )
    if sweep.spec is None:
        raise ExperimentError(
            f"{where}: experiment: the experiment spec is needed to rebuild the sample; got none"
        )
    sd, points = design_of_spec(sweep.spec)
    if not _same_points(points, sweep.points):
        raise ExperimentError(
            f"{where}: design.points: must equal the sample rebuilt from experiment.spec "
            f"(another SALib version or an edited manifest?); got {len(sweep.points)} points "
            f"that differ from the {len(points)} rebuilt"
        )
    return sd


def _same_points(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    if len(a) != len(b):
        return False
    for pa, pb in zip(a, b, strict=True):
        if set(pa) != set(pb):
            return False
        if not all(math.isclose(float(pa[k]), float(pb[k]), rel_tol=1e-12) for k in pa):
            return False
    return True


# ----------------------------------------------------------------------------- indices


def aligned(values: pd.Series, n_points: int, what: str = "result") -> np.ndarray:
    """Values indexed by point id → an array in point order 0..n-1; refuses gaps and NaN."""
    ids = pd.Index(values.index).astype(int)
    if ids.duplicated().any():
        repeats = sorted({int(i) for i in ids[ids.duplicated()]})
        raise ExperimentError(f"{what}: point: each point once; got repeats of {few(repeats)}")
    by_id = pd.Series(values.to_numpy(float), index=ids)
    missing = sorted(set(range(n_points)) - set(ids))
    if missing:
        raise ExperimentError(
            f"{what}: point: a value for every design point; got none for {few(missing)}"
        )
    extra = sorted(set(ids) - set(range(n_points)))
    if extra:
        raise ExperimentError(
            f"{what}: point: only design points 0..{n_points - 1}; got {few(extra)}"
        )
    y = by_id.reindex(range(n_points)).to_numpy(float)
    nan = np.flatnonzero(np.isnan(y)).tolist()
    if nan:
        raise ExperimentError(
            f"{what}: undefined (NaN) at points {few(nan)}; choose another outcome"
        )
    return y


def sobol_indices(design: SampleDesign, values: pd.Series, what: str = "result") -> pd.DataFrame:
    """First-order and total Sobol indices with 95% bootstrap half-widths (SALib, Saltelli/Jansen
    estimators without second order, as the sample was drawn)."""
    from SALib.analyze import sobol

    y = aligned(values, design.n_points, what)
    res = sobol.analyze(
        design.problem, y, calc_second_order=False, conf_level=0.95, seed=design.seed % 2**32
    )
    return pd.DataFrame(
        {
            "factor": design.problem["names"],
            "S1": np.asarray(res["S1"], float),
            "S1_conf": np.asarray(res["S1_conf"], float),
            "ST": np.asarray(res["ST"], float),
            "ST_conf": np.asarray(res["ST_conf"], float),
        }
    )


def morris_indices(design: SampleDesign, values: pd.Series, what: str = "result") -> pd.DataFrame:
    """Morris elementary-effect statistics (SALib): mu* (mean absolute effect over a factor's
    whole range, in outcome units) with its 95% bootstrap half-width, mu and sigma."""
    from SALib.analyze import morris

    y = aligned(values, design.n_points, what)
    res = morris.analyze(
        design.problem,
        design.matrix,
        y,
        conf_level=0.95,
        num_levels=design.levels,
        seed=design.seed % 2**32,
    )
    return pd.DataFrame(
        {
            "factor": design.problem["names"],
            "mu_star": np.asarray(res["mu_star"], float),
            "mu_star_conf": np.asarray(res["mu_star_conf"], float),
            "mu": np.asarray(res["mu"], float),
            "sigma": np.asarray(res["sigma"], float),
        }
    )


def noise_variance(summary: pd.DataFrame, column: str) -> np.ndarray:
    """Per point, the sampling variance of the point mean (what replications leave uncertain)."""
    kind = outcome(column).kind
    p = summary[column].to_numpy(float)
    runs = summary["runs"].to_numpy(float)
    if kind == "proportion":
        return p * (1 - p) / np.maximum(runs - 1, 1)
    if kind == "conditional":  # a share among the runs with a summit
        n = np.round(summary["p_summit"].to_numpy(float) * runs)
        return np.where(n > 1, p * (1 - p) / np.maximum(n - 1, 1), np.nan)
    half = (summary[f"{column}_hi"].to_numpy(float) - summary[f"{column}_lo"].to_numpy(float)) / 2
    return np.square(half / Z95)  # the summary's interval is mean ± Z95·se


def world_noise_variance(runs: pd.DataFrame, column: str) -> float | None:
    """With judgement worlds, the noise of a point mean that tells points apart: every point of a
    sweep runs the same worlds, so a world's own effect moves every point alike and cancels from
    the spread across points; what does not cancel is the point × world residual of the two-way
    table of world means (sampling noise within a world, and how the point's factors play with
    the world's other values), averaged over the W worlds:

        r_pw = m_pw − m_p· − m_·w + m_··,   σ² = Σ r_pw² / ((P − 1)(W − 1)),   noise = σ² / W

    The summary's interval of a mean, clustered by world, counts the common part as well, which
    put the noise share of a sweep's strain at 101 % where one factor alone explained 43 % of
    the spread. None without worlds (the summary's formulas hold there) and for outcomes given
    a summit (their cells would mix different runs)."""
    if "world" not in runs.columns or outcome(column).kind == "conditional":
        return None
    values = "strain" if column == "strain_mean" else column.removeprefix("p_")
    m = runs.pivot_table(index="point", columns="world", values=values, aggfunc="mean")
    cells = m.to_numpy(float)
    points, worlds = cells.shape
    if points < 2 or worlds < 2 or np.isnan(cells).any():
        return None
    r = cells - cells.mean(axis=1, keepdims=True) - cells.mean(axis=0, keepdims=True) + cells.mean()
    return float(np.square(r).sum() / ((points - 1) * (worlds - 1)) / worlds)


def noise_share(means: np.ndarray, noise_var: np.ndarray) -> float:
    """Mean replication variance of a point mean over the variance across point means: near 0 the
    indices describe the factors, near 1 (or above) they describe noise."""
    spread = float(np.var(means, ddof=1)) if means.size > 1 else 0.0
    noise = float(np.nanmean(noise_var))
    if spread <= 0:
        return math.inf if noise > 0 else math.nan
    return noise / spread


def morris_noise_floor(noise_var: np.ndarray, levels: int) -> float:
    """mu* of a factor with no effect at all: E|e1 − e2| / Δ for two independent point noises
    (normal, variance = the mean noise variance) and SALib's step Δ = p / (2(p − 1))."""
    delta = levels / (2 * (levels - 1))
    sd = math.sqrt(float(np.nanmean(noise_var)))
    return 2 * sd / math.sqrt(math.pi) / delta


# ----------------------------------------------------------------------------- a sweep's indices


@dataclass(frozen=True)
class SensitivityResult:
    method: Literal["sobol", "morris"]
    indices: pd.DataFrame  # one row per (outcome, factor)
    noise: pd.DataFrame  # one row per outcome: spread, noise variance, share (and Morris floor)
    n_points: int
    replications: int
    path: Path


def analyse_sweep(batch_dir: Path, outcomes: list[str] | None = None) -> SensitivityResult:
    """Sobol or Morris indices of every outcome of a finished sobol/morris sweep."""
    names = outcomes or DEFAULT_OUTCOMES
    for name in names:
        outcome(name)
    sweep = load_sweep(batch_dir)
    sweep.one_scenario("summit sensitivity")
    design = design_of_sweep(sweep)
    summary = summary_by_point(sweep)
    runs = read_runs(batch_dir) if "worlds" in summary.columns else pd.DataFrame()
    frames, noise_rows = [], []
    for name in names:
        what = f"{batch_dir}: summary.csv: {name}"
        if design.method == "sobol":
            idx = sobol_indices(design, summary[name], what)
        else:
            idx = morris_indices(design, summary[name], what)
        idx.insert(0, "outcome", name)
        idx.insert(2, "label", [sweep.label(f) for f in idx["factor"]])
        frames.append(idx)
        means = summary[name].to_numpy(float)
        nv = noise_variance(summary, name)
        if (shared := world_noise_variance(runs, name)) is not None:
            nv = np.full(len(summary), shared)
        row: dict[str, Any] = {
            "outcome": name,
            "variance_across_points": float(np.var(means, ddof=1)),
            "noise_variance": float(np.nanmean(nv)),
            "noise_share": noise_share(means, nv),
        }
        if design.method == "morris":
            row["mu_star_noise_floor"] = morris_noise_floor(nv, design.levels)
        noise_rows.append(row)
    return SensitivityResult(
        method=design.method,
        indices=pd.concat(frames, ignore_index=True),
        noise=pd.DataFrame(noise_rows),
        n_points=design.n_points,
        replications=sweep.replications,
        path=batch_dir,
    )


# ----------------------------------------------------------------------------- output


def format_sensitivity(result: SensitivityResult, fmt: str = "md") -> str:
    """md: a report table and a noise table; csv: indices with the noise share on every row;
    json: both tables."""
    merged = result.indices.merge(result.noise, on="outcome", how="left")
    if fmt == "csv":
        return merged.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        import json

        doc = {
            "method": result.method,
            "points": result.n_points,
            "replications": result.replications,
            "indices": json_records(result.indices),
            "noise": json_records(result.noise),
        }
        return json.dumps(doc, indent=2)
    if fmt != "md":
        raise ExperimentError(f"--format: must be one of md, csv, json; got {fmt!r}")
    return _markdown(result)


def _markdown(result: SensitivityResult) -> str:
    sobol = result.method == "sobol"
    head = (
        f"{'Sobol' if sobol else 'Morris'} indices of {result.path} "
        f"({result.n_points} design points × {result.replications} replications; "
        f"computed on the replication means; ± = 95% bootstrap half-width)"
    )
    rows = []
    for _, r in result.indices.iterrows():
        name = f"{outcome(r['outcome']).short}"
        factor = f"{r['label']} (`{r['factor']}`)" if r["label"] != r["factor"] else r["factor"]
        if sobol:
            rows.append(
                {
                    "outcome": name,
                    "factor": factor,
                    "S1 (first order)": f"{r['S1']:.3f} ± {r['S1_conf']:.3f}",
                    "ST (total)": f"{r['ST']:.3f} ± {r['ST_conf']:.3f}",
                }
            )
        else:
            rows.append(
                {
                    "outcome": name,
                    "factor": factor,
                    "mu*": f"{r['mu_star']:.3f} ± {r['mu_star_conf']:.3f}",
                    "mu": f"{r['mu']:+.3f}",
                    "sigma": f"{r['sigma']:.3f}",
                }
            )
    lines = [head, "", markdown_table(pd.DataFrame(rows), left=("outcome", "factor"))]
    lines += [
        "",
        "Replication noise: the mean sampling variance of a point mean ÷ the variance across",
    ]
    if sobol:
        lines += ["the point means. Noise inflates every ST by about this share; an index below it"]
        lines += ["cannot be told from zero.", ""]
    else:
        lines += ["the point means. Noise alone gives a factor with no effect the mu* in the last"]
        lines += ["column; a mu* near it cannot be told from no effect.", ""]
    noise = []
    for _, r in result.noise.iterrows():
        row = {
            "outcome": outcome(r["outcome"]).short,
            "variance across points": f"{r['variance_across_points']:.4g}",
            "noise share": f"{r['noise_share']:.1%}",
            "reading": _reading(float(r["noise_share"])),
        }
        if not sobol:
            row["mu* of a factor with no effect"] = f"{r['mu_star_noise_floor']:.3f}"
        noise.append(row)
    lines.append(markdown_table(pd.DataFrame(noise), left=("outcome", "reading")))
    return "\n".join(lines)


def _reading(share: float) -> str:
    if not math.isfinite(share) or share >= 0.5:
        return "mostly noise: add replications or widen the ranges"
    if share >= 0.1:
        return "noticeable noise: read only indices well above the share"
    return "indices describe the factors"
