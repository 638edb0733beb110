"""Sensitivity indices: the SALib wiring on functions with known indices, binding of results to
design points by id (never by row order), the replication-noise share, and the analysis commands
end to end on a tiny sweep."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from model.analysis.labels import words_for_path
from model.analysis.sensitivity import (
    analyse_sweep,
    design_of_spec,
    format_sensitivity,
    morris_indices,
    morris_noise_floor,
    noise_share,
    sobol_indices,
    world_noise_variance,
)
from model.errors import ExperimentError

SUMMIT = [sys.executable, "-m", "model.cli"]
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]  # a = 7, b = 0.1 (Ishigami & Homma 1990; Saltelli 2008)
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def _spec(design: str, factors: list[tuple[str, float, float]], **extra: Any) -> dict[str, Any]:
    return {
        "experiment": {"name": "analytic", "scenario": "none", "design": design, **extra},
        "factors": [{"path": p, "range": [lo, hi]} for p, lo, hi in factors],
    }


def _ishigami(points: list[dict[str, Any]]) -> pd.Series:
    """Ishigami's function of each design point, keyed by point id."""
    x = np.array([[p["x1"], p["x2"], p["x3"]] for p in points])
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    return pd.Series(y, index=range(len(points)))


def _linear(points: list[dict[str, Any]]) -> pd.Series:
    return pd.Series([2.0 * p["a"] + 1.0 * p["b"] + 0.0 * p["c"] for p in points])


LINEAR = [("a", 0.0, 1.0), ("b", 0.0, 2.0), ("c", -1.0, 1.0)]
PI = float(np.pi)


def test_sobol_recovers_ishigami_indices() -> None:
    """The Sobol path (sample_points as the sweep samples, SALib analysis, point-id alignment)
    recovers the Ishigami function's known S1 and ST."""
    design, points = design_of_spec(
        _spec("sobol", [(f"x{i}", -PI, PI) for i in (1, 2, 3)], samples=2048, seed=1)
    )
    idx = sobol_indices(design, _ishigami(points))
    assert idx["S1"].to_numpy() == pytest.approx(ISHIGAMI_S1, abs=0.03)
    assert idx["ST"].to_numpy() == pytest.approx(ISHIGAMI_ST, abs=0.03)
    assert (idx["S1_conf"] > 0).all() and (idx["ST_conf"] < 0.1).all()


def test_morris_recovers_linear_effects() -> None:
    """On y = 2a + b + 0c, mu* is each coefficient times its factor's range (2, 2, 0) and sigma
    is 0: the Morris path passes the right sample matrix and levels."""
    design, points = design_of_spec(_spec("morris", LINEAR, samples=20, levels=4, seed=3))
    idx = morris_indices(design, _linear(points))
    assert idx["mu_star"].to_numpy() == pytest.approx([2.0, 2.0, 0.0], abs=1e-9)
    assert idx["sigma"].to_numpy() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_indices_do_not_depend_on_row_order() -> None:
    """Results are bound to design points by id: shuffling the result rows changes nothing."""
    design, points = design_of_spec(
        _spec("sobol", [(f"x{i}", -PI, PI) for i in (1, 2, 3)], samples=256, seed=2)
    )
    y = _ishigami(points)
    shuffled = y.sample(frac=1.0, random_state=0)
    assert not shuffled.index.equals(y.index)
    pd.testing.assert_frame_equal(sobol_indices(design, y), sobol_indices(design, shuffled))
    m_design, m_points = design_of_spec(_spec("morris", LINEAR, samples=10, seed=3))
    m_y = _linear(m_points) + np.random.default_rng(0).normal(0, 0.1, len(m_points))
    pd.testing.assert_frame_equal(
        morris_indices(m_design, m_y), morris_indices(m_design, m_y.sample(frac=1.0))
    )


def test_missing_repeated_or_nan_points_raise() -> None:
    """A missing, repeated, foreign or undefined point gives a one-line error, not indices."""
    design, points = design_of_spec(_spec("morris", LINEAR, samples=10, seed=3))
    y = _linear(points)
    with pytest.raises(ExperimentError, match=r"none for \[5\]"):
        morris_indices(design, y.drop(5))
    with pytest.raises(ExperimentError, match="repeats"):
        morris_indices(design, pd.concat([y, y.iloc[:1]]))
    with pytest.raises(ExperimentError, match="only design points"):
        morris_indices(design, pd.concat([y, pd.Series([1.0], index=[999])]))
    with pytest.raises(ExperimentError, match="NaN"):
        morris_indices(design, y.where(y.index != 3))


def test_noise_share_and_morris_floor() -> None:
    """Pure noise has a noise share near 1 and mu* near the printed no-effect floor; a strong
    signal has a share near 0."""
    design, points = design_of_spec(_spec("morris", LINEAR, samples=400, seed=5))
    rng = np.random.default_rng(1)
    sd = 0.05
    noise = rng.normal(0, sd, len(points))
    var = np.full(len(points), sd**2)
    assert noise_share(noise, var) == pytest.approx(1.0, abs=0.1)
    assert noise_share(_linear(points).to_numpy() + noise, var) < 0.01
    mu_star = morris_indices(design, pd.Series(noise))["mu_star"].to_numpy()
    assert mu_star == pytest.approx([morris_noise_floor(var, design.levels)] * 3, rel=0.15)


def test_noise_with_worlds_leaves_out_what_every_point_shares() -> None:
    """Every point of a sweep runs the same judgement worlds, so a world's own effect moves all
    points alike and is no noise in their spread: the estimate is the point × world residual's
    variance over W, here known (50 runs a cell, sd 0.1: 0.01 / 50 / W), whatever the worlds'
    own spread. The summary's clustered interval counted that spread too (the strain of a sobol
    sweep read 101 % noise where one factor alone explained 43 % of the spread)."""
    rng = np.random.default_rng(3)
    points, worlds, per = 30, 10, 50
    a = rng.normal(0, 0.2, points)  # the factors' effect
    rows = []
    for b_sd in (0.0, 0.5):  # the worlds' own effect: none, then large
        b = rng.normal(0, b_sd, worlds) if b_sd else np.zeros(worlds)
        p, w = np.meshgrid(np.arange(points), np.arange(worlds), indexing="ij")
        p, w = np.repeat(p.ravel(), per), np.repeat(w.ravel(), per)
        y = a[p] + b[w] + rng.normal(0, 0.1, p.size)
        runs = pd.DataFrame({"point": p, "world": w, "strain": y})
        rows.append(world_noise_variance(runs, "strain_mean"))
    expected = 0.1**2 / per / worlds
    assert rows[0] == pytest.approx(expected, rel=0.15)
    assert rows[1] == pytest.approx(expected, rel=0.15)
    assert world_noise_variance(runs.drop(columns="world"), "strain_mean") is None


def test_words_for_paths() -> None:
    """Factors without a label are still named in words in tables and plots."""
    assert words_for_path("actors.ROK.openness") == "ROK openness"
    assert words_for_path("actors.JPN.salience.abductees") == "JPN salience of abductees"
    assert words_for_path("model.alliance_cost") == "alliance cost (model)"
    assert words_for_path("events.dprk-launch.hazard") == "hazard of event dprk-launch"


# ----------------------------------------------------------------------------- a batch directory


def _fake_batch(tmp_path: Path, design: str = "sobol") -> Path:
    """A finished batch directory (manifest + summary) whose P(summit) is a known function of
    the points, so the batch-level path can be checked without running the model."""
    factors = [("f.a", 0.0, 1.0), ("f.b", 0.0, 1.0), ("f.c", 0.0, 1.0)]
    spec = _spec(design, factors, samples=64 if design == "sobol" else 12, seed=4)
    spec["experiment"]["replications"] = 1000
    _, points = design_of_spec(spec)
    out = tmp_path / "batch"
    out.mkdir()
    manifest = {
        "status": "complete",
        "scenario": "none",
        "design": {
            "sampler": design,
            "factors": [f for f, _, _ in factors],
            "points": points,
            "replications": 1000,
            "root_seed": 4,
        },
        "experiment": {"path": None, "spec": spec},
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    rows = []
    for i, p in enumerate(points):
        prob = 0.1 + 0.6 * p["f.a"] + 0.2 * p["f.b"] * p["f.a"]
        rows.append({"scenario": "none", "point": i, **p, "runs": 1000, "p_summit": prob})
    pd.DataFrame(rows).to_csv(out / "summary.csv", index=False)
    return out


def test_batch_indices_bind_by_point_column(tmp_path: Path) -> None:
    """analyse_sweep reads the summary by its point column: shuffled rows give the same
    indices; a dropped point, a short point or an edited manifest point is a clear error."""
    out = _fake_batch(tmp_path)
    first = analyse_sweep(out, ["p_summit"]).indices
    assert first.loc[first["factor"] == "f.a", "S1"].item() > 0.8
    summary = pd.read_csv(out / "summary.csv")
    summary.sample(frac=1.0, random_state=1).to_csv(out / "summary.csv", index=False)
    pd.testing.assert_frame_equal(first, analyse_sweep(out, ["p_summit"]).indices)
    summary.drop(index=7).to_csv(out / "summary.csv", index=False)
    with pytest.raises(ExperimentError, match=r"got none for points \[7\]"):
        analyse_sweep(out, ["p_summit"])
    summary.assign(runs=np.where(summary["point"] == 3, 500, 1000)).to_csv(
        out / "summary.csv", index=False
    )
    with pytest.raises(ExperimentError, match=r"got fewer for points \[3\]"):
        analyse_sweep(out, ["p_summit"])
    summary.to_csv(out / "summary.csv", index=False)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["design"]["points"][2]["f.a"] += 0.01
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExperimentError, match="must equal the sample rebuilt"):
        analyse_sweep(out, ["p_summit"])


def test_batch_refuses_unfinished_and_grid(tmp_path: Path) -> None:
    """A failed batch or a grid sweep is refused with a message naming the key and value."""
    out = _fake_batch(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps(manifest | {"status": "failed"}))
    with pytest.raises(ExperimentError, match=r"status.*'failed'"):
        analyse_sweep(out, ["p_summit"])
    manifest["design"]["sampler"] = "grid"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExperimentError, match=r"design\.sampler.*'grid'"):
        analyse_sweep(out, ["p_summit"])


def test_format_sensitivity_outputs(tmp_path: Path) -> None:
    """md shows indices in words and the noise table; csv and json carry the noise share."""
    result = analyse_sweep(_fake_batch(tmp_path), ["p_summit"])
    md = format_sensitivity(result, "md")
    assert "| P(summit) | f.a |" in md and "noise share" in md
    assert "noise_share" in format_sensitivity(result, "csv").splitlines()[0]
    doc = json.loads(format_sensitivity(result, "json"))
    assert doc["method"] == "sobol" and doc["noise"][0]["outcome"] == "p_summit"


# ----------------------------------------------------------------------------- end to end


def summit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SUMMIT, *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "sweep"
    res = summit(
        "sweep", "--factor", "actors.US.openness=0.1:0.9", "--factor",
        "actors.ROK.openness=0.1:0.9", "--design", "morris", "--samples", "4", "--runs", "100",
        "--out", str(out),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return out


def test_cli_end_to_end(tiny_sweep: Path, tmp_path: Path) -> None:
    """summit sensitivity, discover and plot run on a real (tiny) sweep, print their tables,
    write PNGs, and turn bad input into one line on stderr with exit code 2."""
    res = summit("sensitivity", str(tiny_sweep), "--plot", str(tmp_path / "s.png"))
    assert res.returncode == 0, res.stderr
    assert "Morris indices" in res.stdout and "ROK openness (`actors.ROK.openness`)" in res.stdout
    assert (tmp_path / "s.png").stat().st_size > 5000
    res = summit("discover", str(tiny_sweep), "--where", "summit and strain_max >= 0.3",
                 "--format", "json")  # fmt: skip
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["runs"] == 1200 and 0 < doc["box"]["coverage"] <= 1
    res = summit("plot", str(tiny_sweep), "--x", "actors.ROK.openness", "--out",
                 str(tmp_path / "p.png"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "p.png").stat().st_size > 5000
    for args in (
        ["discover", str(tiny_sweep), "--where", "summit and __import__('os')"],
        ["plot", str(tiny_sweep), "--x", "actors.JPN.openness", "--out", str(tmp_path / "q.png")],
        ["sensitivity", str(tmp_path / "nowhere")],
    ):
        bad = summit(*args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_a_sweep_with_worlds_reports_the_noise_that_does_not_cancel(tiny_sweep: Path) -> None:
    """The CLI's sweep draws judgement worlds (the baseline has ranges): the noise share of a mean
    is then the point × world residual over W (`world_noise_variance`), not the summary's
    clustered interval, which also holds the worlds' common effect."""
    from model.batch import read_runs

    result = analyse_sweep(tiny_sweep, ["strain_mean"])
    runs = read_runs(tiny_sweep)
    assert "world" in runs.columns
    means = runs.groupby("point")["strain"].mean().to_numpy()
    shared = world_noise_variance(runs, "strain_mean")
    assert shared is not None
    row = result.noise.iloc[0]
    assert row["noise_variance"] == pytest.approx(shared)
    assert row["noise_share"] == pytest.approx(shared / np.var(means, ddof=1), rel=1e-6)
