"""Sweep against sweep (`summit compare A B` on two sweeps): points matched by their factors'
values, paired under common random numbers only when that is valid, design mismatches refused
in one line, the summary of where two response surfaces differ, and the plots."""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.analysis.compare import Side, compare_sides
from model.analysis.sweep_compare import compare_sweeps, load_side, surface_summary
from model.analysis.sweep_compare_plot import sweep_compare_plot
from model.analysis.sweep_compare_table import format_sweep_compare
from model.batch import Design, read_runs, run_batch
from model.errors import ExperimentError
from model.scenario import load_scenario

SUMMIT = [sys.executable, "-m", "model.cli"]
US, ROK = "actors.US.openness", "actors.ROK.openness"
LEVELS = [0.2, 0.5, 0.8]
REPS = 250


def _sweep(out: Path, scenario: str, levels: list[float], seed: int = 9, **kw: object) -> Path:
    points = [{US: v} for v in levels]
    design = Design(load_scenario(scenario), replications=REPS, root_seed=seed, points=points,
                    factors=[US], sampler="grid", **kw)  # type: ignore[arg-type]  # fmt: skip
    run_batch(design, out=out, kind="sweep")
    return out


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sweeps")
    a, b = load_scenario("baseline-2024"), load_scenario("seoul-sidelined")
    both = root / "both"
    run_batch(Design(a, replications=REPS, root_seed=9, points=[{US: v} for v in LEVELS],
                     factors=[US], sampler="grid", scenarios=(a, b)), out=both)  # fmt: skip
    return {
        "base": _sweep(root / "base", "baseline-2024", LEVELS),
        "side": _sweep(root / "side", "seoul-sidelined", LEVELS),
        "shuffled": _sweep(root / "shuffled", "seoul-sidelined", [0.8, 0.2, 0.5]),
        "seed": _sweep(root / "seed", "seoul-sidelined", LEVELS, seed=10),
        "both": both,
    }


def _compare(a: Path, b: Path, outcomes: list[str] | None = None, sa: str | None = None,
             sb: str | None = None):  # type: ignore[no-untyped-def]  # fmt: skip
    return compare_sweeps(load_side(a, sa), load_side(b, sb), outcomes)


def test_paired_differences_are_those_of_each_points_runs(dirs: dict[str, Path]) -> None:
    """Same seed, replications and point indices: paired; at each point the values and the
    interval are compare_sides' on that point's runs (the single-batch comparison)."""
    comp = _compare(dirs["base"], dirs["side"], ["p_summit", "strain_mean_given_summit"])
    assert comp.paired and comp.pairing.startswith("paired under common random numbers")
    ra, rb = read_runs(dirs["base"]), read_runs(dirs["side"])
    for p, level in enumerate(LEVELS):
        sa, sb = Side("A", ra[ra["point"] == p], 52), Side("B", rb[rb["point"] == p], 52)
        ref = compare_sides(sa, sb, paired=True).set_index("outcome")
        row = comp.table[(comp.table["point_a"] == p) & (comp.table["outcome"] == "p_summit")]
        assert row[US].item() == level
        assert row["difference"].item() == ref.loc["P(summit)", "difference"]
        assert row["lo"].item() == ref.loc["P(summit)", "lo"]
        assert row["method"].item() == "Newcombe paired"
        assert row["a"].item() == ra[ra["point"] == p]["summit"].mean()
        # each side's own interval holds its value
        assert row["a_lo"].item() <= row["a"].item() <= row["a_hi"].item()
    given = comp.table[comp.table["outcome"] == "strain_mean_given_summit"]
    assert set(given["method"]) == {"paired delta method"}


def test_points_are_matched_by_value_not_row_order(dirs: dict[str, Path]) -> None:
    """B's points in another order: each is matched with A's point of the same value; the moved
    indices drew other random numbers, so the comparison is unpaired and says why."""
    comp = _compare(dirs["base"], dirs["shuffled"], ["p_summit"])
    assert sorted(zip(comp.table["point_a"], comp.table["point_b"], strict=True)) == [
        (0, 1), (1, 2), (2, 0)
    ]  # fmt: skip
    assert not comp.paired and "another point index" in comp.pairing
    assert set(comp.table["method"]) == {"Newcombe"}
    summary = pd.read_csv(dirs["shuffled"] / "summary.csv").set_index(US)["p_summit"]
    for _, row in comp.table.iterrows():
        assert row["b"] == pytest.approx(summary[row[US]], abs=1e-12)
    text = format_sweep_compare(comp)
    assert "| point (A / B) |" in text and "| 2 / 0 |" in text


def test_another_seed_is_unpaired_and_wider(dirs: dict[str, Path]) -> None:
    paired = _compare(dirs["base"], dirs["side"], ["p_summit"]).table
    unpaired = _compare(dirs["base"], dirs["seed"], ["p_summit"])
    assert unpaired.pairing == "unpaired: the seeds differ (9 and 10)"
    width = lambda t: float((t["hi"] - t["lo"]).mean())  # noqa: E731
    assert width(paired) < width(unpaired.table)


def test_a_sweep_against_itself_differs_nowhere(dirs: dict[str, Path]) -> None:
    comp = _compare(dirs["base"], dirs["base"], ["all"])
    assert (comp.table["difference"].fillna(0) == 0).all()
    s = surface_summary(comp)
    assert (s["excludes_0"] == 0).all()
    assert "p_seoul_bypassed" in set(s["outcome"]) and "weeks_to_summit" in set(s["outcome"])


def test_the_summary_says_where_the_surfaces_differ(dirs: dict[str, Path]) -> None:
    """Counts of intervals that exclude 0 (by direction) and the largest difference, read off
    the per-point table; Seoul sidelined makes a summit rarer at every level here."""
    comp = _compare(dirs["base"], dirs["side"], ["p_summit"])
    t = comp.table
    s = surface_summary(comp).set_index("outcome").loc["p_summit"]
    assert s["excludes_0"] == int(((t["lo"] > 0) | (t["hi"] < 0)).sum())
    assert s["b_lower"] == int((t["hi"] < 0).sum()) and s["b_lower"] == 3
    biggest = t.loc[t["difference"].abs().idxmax()]
    assert s["largest"] == biggest["difference"]
    assert s["largest_where"] == f"US openness {biggest[US]:.4g}"
    assert s["mean_difference"] == pytest.approx(t["difference"].mean())


def test_one_batch_of_two_scenarios_compares_like_two_sweeps(dirs: dict[str, Path]) -> None:
    """`summit compare DIR` on a batch that varies the scenario gives the numbers of comparing
    one sweep per scenario (the same runs, common random numbers); DIR:SCENARIO picks one."""
    args = ["--outcome", "p_summit", "--format", "csv"]
    one = subprocess.run([*SUMMIT, "compare", str(dirs["both"]), *args], capture_output=True,
                         text=True, check=False, timeout=120)  # fmt: skip
    two = subprocess.run([*SUMMIT, "compare", str(dirs["base"]), str(dirs["side"]), *args],
                         capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert one.stdout == two.stdout
    named = subprocess.run([*SUMMIT, "compare", f"{dirs['both']}:seoul-sidelined",
                            f"{dirs['both']}:baseline-2024", *args], capture_output=True,
                           text=True, check=False, timeout=120)  # fmt: skip
    assert named.returncode == 0, named.stderr
    flipped = pd.read_csv(io.StringIO(named.stdout))
    base = pd.read_csv(dirs["base"] / "summary.csv")["p_summit"].to_numpy()
    side = pd.read_csv(dirs["side"] / "summary.csv")["p_summit"].to_numpy()
    assert np.allclose(flipped["difference"].to_numpy(), base - side)
    with pytest.raises(ExperimentError, match=r"design\.scenarios: not a scenario of this batch"):
        load_side(dirs["both"], "seoul-supports")
    with pytest.raises(ExperimentError, match=r"holds 2 scenarios: name one as"):
        load_side(dirs["both"], None)


@pytest.mark.parametrize(
    ("b_args", "pattern"),
    [
        (["--factor", "actors.ROK.openness=0.2,0.5,0.8"],
         r"^\S+/manifest\.json: design\.factors: the two sweeps must vary the same factors .*"
         r"B lacks \['actors\.US\.openness'\], adds \['actors\.ROK\.openness'\]\); got "),
        (["--factor", "actors.US.openness=0.2,0.5,0.9"],
         r"^\S+/manifest\.json: design\.points: the two sweeps must have the same points, "
         r"matched by the factors' values \(A \S+ has 3 points, B 3; 1 of A's not in B, first "
         r"actors\.US\.openness = 0\.8; 1 of B's not in A, first actors\.US\.openness = 0\.9\); "
         r"got '3 points'$"),
    ],
)  # fmt: skip
def test_designs_that_differ_are_refused_in_one_line(
    dirs: dict[str, Path], tmp_path: Path, b_args: list[str], pattern: str
) -> None:
    b = tmp_path / "b"
    made = subprocess.run([*SUMMIT, "sweep", *b_args, "--runs", "20", "--seed", "9", "--out",
                           str(b)], capture_output=True, check=False, timeout=120)  # fmt: skip
    assert made.returncode == 0
    res = subprocess.run([*SUMMIT, "compare", str(dirs["base"]), str(b), "--plot",
                          str(tmp_path / "x.png")], capture_output=True, text=True, check=False,
                         timeout=120)  # fmt: skip
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.splitlines()) == 1, res.stderr
    assert re.match(pattern, res.stderr.strip()), res.stderr
    assert not (tmp_path / "x.png").exists()


def test_formats_carry_every_number(dirs: dict[str, Path]) -> None:
    comp = _compare(dirs["base"], dirs["side"], ["p_summit", "strain_mean"])
    doc = json.loads(format_sweep_compare(comp, "json"))
    assert doc["paired"] is True and doc["factors"] == [US]
    assert len(doc["points"]) == 6 and doc["points"][0]["difference"] == comp.table["difference"][0]
    assert [r["outcome"] for r in doc["summary"]] == ["p_summit", "strain_mean"]
    csv = format_sweep_compare(comp, "csv").splitlines()
    assert csv[0].startswith("point_a,point_b,actors.US.openness,outcome,a,a_lo,a_hi,b,")
    assert r"\begin{tabular}" in format_sweep_compare(comp, "latex")
    md = format_sweep_compare(comp, "md")
    assert "Where the two response surfaces differ:" in md
    assert "| seoul-sidelined − baseline-2024 [95% CI] |" in md


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


def test_plots_draw_curves_a_heatmap_or_sorted_differences(
    dirs: dict[str, Path], tmp_path: Path
) -> None:
    """One factor: the two curves and their difference; two factors: a heatmap of B − A; more:
    the differences sorted. The title names the outcome, the scenarios and the runs."""
    comp = _compare(dirs["base"], dirs["side"], ["p_summit"])
    how = sweep_compare_plot(comp, "p_summit", tmp_path / "one.png")
    assert how == "response curves and their difference"
    assert _png_size(tmp_path / "one.png") == (800, 650)
    from model.analysis.sweep_compare_plot import _title

    title = _title(comp, "p_summit")
    assert title.startswith("Probability of a summit: seoul-sidelined − baseline-2024")
    assert "3 design points × 250 runs per scenario" in title and "paired" in title
    # the same comparison seen as two and three factors (constant factors are not drawn)
    grid = comp.table.copy()
    grid["x"] = [0.1, 0.1, 0.2]
    grid["y"] = [0.1, 0.2, 0.1]
    two = type(comp)(comp.a, comp.b, ["x", "y"], True, "", grid, ["p_summit"])
    assert sweep_compare_plot(two, "p_summit", tmp_path / "two.png") == (
        "dots coloured by the difference"
    )
    grid["y"] = [0.1, 0.1, 0.2]
    grid["x"] = [0.1, 0.2, 0.1]
    grid = pd.concat([grid, grid.assign(x=0.2, y=0.2)], ignore_index=True).iloc[:4]
    square = type(comp)(comp.a, comp.b, ["x", "y"], True, "", grid, ["p_summit"])
    assert sweep_compare_plot(square, "p_summit", tmp_path / "sq.png") == (
        "heatmap of the difference"
    )
    grid["z"] = [1.0, 2.0, 3.0, 4.0]
    three = type(comp)(comp.a, comp.b, ["x", "y", "z"], True, "", grid, ["p_summit"])
    assert sweep_compare_plot(three, "p_summit", tmp_path / "three.png") == (
        "difference at each point, sorted"
    )
    for name in ("two", "sq", "three"):
        assert _png_size(tmp_path / f"{name}.png")[0] == 800
