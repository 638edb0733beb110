"""Plots: every figure kind writes a non-empty PNG of the size its code promises, headless, and
bad requests are one-line errors."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.analysis.discovery import Discovery
from model.analysis.plots import (
    factor_plot,
    forest_plot,
    heatmap_plot,
    pooled,
    sensitivity_plot,
    trajectory_plot,
)
from model.analysis.prim import prim
from model.analysis.sensitivity import SensitivityResult
from model.errors import ExperimentError

X, Y = "actors.US.openness", "actors.ROK.openness"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR), after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _summary(levels_x: int = 5, levels_y: int = 1, repeats: int = 1) -> pd.DataFrame:
    rows = []
    for i, (a, b) in enumerate(
        (a, b)
        for a in np.linspace(0.1, 0.9, levels_x)
        for b in np.linspace(0.1, 0.9, levels_y)
        for _ in range(repeats)
    ):
        p = 0.2 + 0.5 * a * (0.5 + b)
        half = 1.96 * np.sqrt(p * (1 - p) / 400)
        rows.append(
            {"scenario": "s", "point": i, X: a, Y: b, "runs": 400, "p_summit": p,
             "p_summit_lo": p - half, "p_summit_hi": p + half, "p_high_strain": p / 2}
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_factor_plot_kinds(tmp_path: Path) -> None:
    """One factor: a line with a ribbon; with a grid factor: a line per level; with repeated
    points: pooled; sampled designs: dots. All 800 × 500."""
    labels = {X: "Washington's openness"}
    cases = [
        (_summary(), [X], "line"),
        (_summary(levels_y=3), [X, Y], "one line per level"),
        (_summary(repeats=2), [X], "pooled"),
    ]
    rng = np.random.default_rng(0)
    sampled = _summary(levels_x=40).assign(**{Y: rng.uniform(size=40), "z": rng.uniform(size=40)})
    cases.append((sampled, [X, Y, "z"], "dots"))
    for k, (summary, factors, how) in enumerate(cases):
        out = tmp_path / f"f{k}.png"
        assert how in factor_plot(summary, X, "p_summit", out, labels, factors=factors)
        assert png_size(out) == (800, 500)
    out = tmp_path / "wilson.png"  # no _lo/_hi columns: Wilson intervals from runs
    factor_plot(_summary(), X, "p_high_strain", out, labels, factors=[X])
    assert png_size(out) == (800, 500)


def test_pooled_points_combine_their_runs() -> None:
    """Design points with equal values (Morris revisits) pool their runs: the estimate is the
    run-weighted mean and the interval narrows."""
    s = _summary(levels_x=2, repeats=2)
    s.loc[s.index[1], "p_summit"] = s["p_summit"].iloc[0] + 0.1
    line = pooled(s, X, "p_summit")
    assert len(line) == 2 and line["points"].tolist() == [2, 2]
    assert line["value"].iloc[0] == pytest.approx(s["p_summit"].iloc[:2].mean())
    one = s["p_summit_hi"].iloc[0] - s["p_summit_lo"].iloc[0]
    assert line["hi"].iloc[0] - line["lo"].iloc[0] < one


def test_heatmap_and_scatter(tmp_path: Path) -> None:
    """Two factors on a grid: a heatmap; sampled: dots coloured by the outcome. 800 × 500."""
    out = tmp_path / "h.png"
    assert heatmap_plot(_summary(levels_y=4), X, Y, "p_summit", out) == "heatmap"
    assert png_size(out) == (800, 500)
    rng = np.random.default_rng(1)
    sampled = _summary(levels_x=30).assign(**{Y: rng.uniform(size=30)})
    assert "dots" in heatmap_plot(sampled, X, Y, "p_summit", tmp_path / "s.png")
    assert png_size(tmp_path / "s.png") == (800, 500)
    with pytest.raises(ExperimentError, match="--y: must differ"):
        heatmap_plot(sampled, X, X, "p_summit", tmp_path / "t.png")


def test_forest_plot(tmp_path: Path) -> None:
    """A compare table becomes a forest plot, weeks on their own panel; 800 wide and taller
    with more outcomes."""
    table = pd.DataFrame(
        [
            ("P(summit)", 0.6, 0.62, 0.02, 0.01, 0.03, "Newcombe paired"),
            ("P(wedge)", 0.04, 0.0, -0.04, -0.05, -0.03, "Newcombe paired"),
            ("strain mean", 0.1, 0.08, -0.02, -0.03, 0.001, "paired mean"),
            ("weeks to summit (none = horizon)", 31.0, 29.8, -1.2, -1.3, -1.0, "paired mean"),
        ],
        columns=["outcome", "A", "B", "difference", "lo", "hi", "method"],
    )
    forest_plot(table, tmp_path / "f.png")
    forest_plot(table.iloc[:2], tmp_path / "g.png")
    (w, h), (w2, h2) = png_size(tmp_path / "f.png"), png_size(tmp_path / "g.png")
    assert w == w2 == 800 and h > h2 > 150


def _sensitivity(method: str) -> SensitivityResult:
    factors = ["model.alliance_cost", "actors.ROK.openness"]
    rows = []
    for outcome in ("p_summit", "strain_mean"):
        for f in factors:
            if method == "sobol":
                rows.append({"outcome": outcome, "factor": f, "label": f, "S1": 0.3,
                             "S1_conf": 0.05, "ST": 0.4, "ST_conf": 0.04})  # fmt: skip
            else:
                rows.append({"outcome": outcome, "factor": f, "label": f, "mu_star": 0.2,
                             "mu_star_conf": 0.03, "mu": -0.2, "sigma": 0.05})  # fmt: skip
    noise = pd.DataFrame(
        {"outcome": ["p_summit", "strain_mean"], "variance_across_points": [0.01, 0.002],
         "noise_variance": [0.0004, 0.00002], "noise_share": [0.04, 0.01],
         "mu_star_noise_floor": [0.03, 0.005]}
    )  # fmt: skip
    return SensitivityResult(method, pd.DataFrame(rows), noise, 64, 200, Path("x"))  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_plot(tmp_path: Path, method: str) -> None:
    """Bars per factor and outcome (S1/ST or mu*/sigma); two outcomes side by side: 940 × the
    height of two factors."""
    out = tmp_path / f"{method}.png"
    sensitivity_plot(_sensitivity(method), out)
    assert png_size(out) == (940, round((0.42 * 2 + 1.4 + 0.8) * 100))


def test_trajectory_plot(tmp_path: Path) -> None:
    """PRIM's coverage–density trajectory: 700 × 500."""
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.uniform(size=(300, 2)), columns=[X, Y])
    y = (x[X] > 0.5).to_numpy(float) * 0.8
    d = Discovery("summit", 3000, 1200, x, prim(x, y), [X, Y], {X: X, Y: Y}, "lhs", tmp_path, {})
    trajectory_plot(d, tmp_path / "t.png")
    assert png_size(tmp_path / "t.png") == (700, 500)


def test_bad_output_path(tmp_path: Path) -> None:
    """Plots are PNG files in an existing directory; anything else is a one-line error."""
    with pytest.raises(ExperimentError, match="PNG"):
        factor_plot(_summary(), X, "p_summit", tmp_path / "f.pdf")
    with pytest.raises(ExperimentError, match="no such directory"):
        factor_plot(_summary(), X, "p_summit", tmp_path / "nope" / "f.png")


def test_plot_of_a_plain_batch_says_it_needs_a_sweep(tmp_path: Path) -> None:
    """A batch without swept factors (summit run) is refused once, with the reason and what to
    do instead, whether or not --x is given (it used to ask for --x, then refuse it)."""
    from model import simulate
    from model.analysis.sweep_plot import sweep_plot

    out = tmp_path / "plain"
    simulate("baseline-2024", runs=250, seed=1, out=out)
    for x in (None, X):
        with pytest.raises(ExperimentError, match=r"none does here \(summit table prints"):
            sweep_plot(out, x, None, "p_summit", tmp_path / "p.png")


def test_a_probability_is_drawn_on_the_whole_unit_axis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P(summit) against a factor spans [0, 1] (a little room): on an axis fitted to the points,
    noise between overlapping intervals read as a trend. Strain, a small index, keeps its own."""
    import model.analysis.plots as plots

    limits: list[tuple[float, float]] = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: limits.append(fig.axes[0].get_ylim()))
    summary = _summary().assign(strain_mean=lambda d: 0.1 + 0.05 * d[X])
    factor_plot(summary, X, "p_summit", tmp_path / "p.png", factors=[X])
    factor_plot(summary, X, "strain_mean", tmp_path / "s.png", factors=[X])
    assert limits[0] == (-0.02, 1.02)
    assert 0.0 < limits[1][1] < 0.5


def test_the_timeline_of_a_sweep_names_its_design_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`summit plot SWEEP --timeline` draws design point 0; its title says so and gives the
    point's values (it read as the scenario itself, at a value far from the scenario's)."""
    import model.analysis.timeline_plot as tp
    from model.cli.main import main

    titles: list[str] = []
    monkeypatch.setattr(tp, "_save", lambda fig, out: titles.append(fig._suptitle.get_text()))
    out = tmp_path / "sw"
    main(["sweep", "--factor", f"{Y}=0.1,0.9", "--runs", "250", "--seed", "1", "--out", str(out)])
    main(["plot", str(out), "--timeline", "--out", str(tmp_path / "t.png")])
    assert f"design point 0 ({Y} = 0.1)" in titles[0]
