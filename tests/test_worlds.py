"""Issue 12, items 2, 3 and 6: nested Monte Carlo over judgement worlds.

What these protect: the Latin hypercube (one draw per stratum, per range), world draws that depend
only on the root seed and the range's path (identical for any worker count, chunk size and
executor; common across scenarios), each row getting its world's values unless a swept value
overrides them, the band (percentiles over worlds, corrected for each world's own Monte Carlo
noise), the judgement share and the clustered intervals, and plain batches staying exactly as
they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from model.batch import Design, run_batch
from model.batch.design import plan_chunks
from model.batch.executors import chunk_overrides
from model.batch.worlds import default_worlds, draw_worlds, strata, world_of
from model.results.bands import band, ratio_ci
from model.results.summary import BAND_COLUMNS
from model.scenario import load_scenario, parse_scenario
from model.scenario.scenario import Scenario

RANGES = {
    "model.alliance_cost": {"low": 0.1, "mode": 0.3, "high": 0.8, "basis": "test"},
    "actors.ROK.openness": {"low": 0.1, "high": 0.9},
    "actors.PRK.meeting_value": {"mean": 0.2, "sd": 0.15},
}


def point_baseline() -> Scenario:
    """The baseline at its central values, without any of its ranges."""
    spec = load_scenario("baseline-2024").spec.model_dump(exclude_unset=True)
    return parse_scenario(spec, "point-baseline")


@pytest.fixture(scope="module")
def ranged() -> Scenario:
    """Three ranges of known effect on the point baseline."""
    return point_baseline().with_values(RANGES)


def test_each_range_has_one_draw_per_stratum() -> None:
    for w in (1, 7, 200):
        u = strata(5, "model.alliance_cost", w)
        assert sorted(np.floor(u * w).astype(int).tolist()) == list(range(w))
    # its own stream per path: another range's strata are in another order
    assert not np.array_equal(strata(5, "a.b", 50), strata(5, "a.c", 50))
    assert not np.array_equal(strata(5, "a.b", 50), strata(6, "a.b", 50))


def test_world_draws_depend_on_seed_and_path_only(ranged: Scenario) -> None:
    """Common random numbers across scenarios: a range shared by two scenarios draws the same
    values in each world, whatever other ranges either has."""
    only = ranged.with_values({"actors.ROK.openness": 0.5, "actors.PRK.meeting_value": 0.2})
    a = draw_worlds(ranged.uncertain, {}, 9, 64)
    b = draw_worlds(only.uncertain, {}, 9, 64)
    assert list(b.columns) == ["world", "model.alliance_cost"]
    assert np.array_equal(a["model.alliance_cost"], b["model.alliance_cost"])
    one = draw_worlds(ranged.uncertain, {}, 9, 1)  # a single world is the point scenario
    assert one["model.alliance_cost"].tolist() == [0.3]


def test_worlds_split_replications_evenly_and_contiguously() -> None:
    w = world_of(np.arange(1000), 1000, 7)
    counts = np.bincount(w)
    assert counts.size == 7 and counts.max() - counts.min() <= 1
    assert np.all(np.diff(w) >= 0)


def test_default_worlds(ranged: Scenario) -> None:
    assert default_worlds(point_baseline(), 20_000) == 1
    assert default_worlds(ranged, 20_000) == 200
    assert default_worlds(ranged, 2_000) == 20
    assert default_worlds(ranged, 300) == 10
    assert default_worlds(ranged, 4) == 4


def test_rows_get_their_worlds_values_and_a_swept_value_wins(ranged: Scenario) -> None:
    design = Design(
        ranged,
        replications=500,
        worlds=10,
        root_seed=3,
        points=[{"model.alliance_cost": 0.05}, {}],
        factors=["model.alliance_cost"],
        chunk_runs=1000,
    )
    table = design.world_table
    for chunk in plan_chunks(design):
        ov = chunk_overrides(design, chunk)
        w = design.world_index(chunk)
        points = np.concatenate([np.full(b.size, b.point) for b in chunk.blocks])
        assert np.array_equal(ov["actors.ROK.openness"], table["actors.ROK.openness"].to_numpy()[w])
        swept = ov["model.alliance_cost"]
        assert np.all(swept[points == 0] == 0.05)
        drawn = table["model.alliance_cost"].to_numpy()[w]
        assert np.array_equal(swept[points == 1], drawn[points == 1])


def test_an_event_effect_range_reaches_the_rows(tmp_path: Path) -> None:
    base = load_scenario("baseline-2024")
    path = tmp_path / "ev.toml"
    path.write_text(
        'base = "baseline-2024"\n[[events]]\nid = "extra"\nwhat = "test"\n'
        f"date = {base.spec.meta.start}\n"
        'set = { "actors.ROK.openness" = { low = 0.0, high = 1.0 } }\n'
    )
    scn = load_scenario(path)
    design = Design(scn, replications=1000, worlds=50, root_seed=1)
    from model.sim.summit import SummitModel

    chunk = plan_chunks(design)[0]
    model = SummitModel(scn, blocks=list(chunk.blocks), root_seed=1,
                        overrides=chunk_overrides(design, chunk))  # fmt: skip
    effect = model.state.effects["events.extra.set.actors.ROK.openness"]
    w = design.world_index(chunk)
    assert np.allclose(
        effect, design.world_table["events.extra.set.actors.ROK.openness"].to_numpy()[w]
    )
    model.step()  # the event fires in week 0 and sets each row's world value
    rok = scn.actor_ids.index("ROK")
    assert np.allclose(model.state.actor_param["openness"][:, rok], effect)


def _batch(
    scn: Scenario, out: Path | None, workers: int = 1, chunk_runs: int = 10_000
) -> pd.DataFrame:
    design = Design(scn, replications=4000, worlds=40, root_seed=9, chunk_runs=chunk_runs)
    return run_batch(design, out=out, workers=workers).summary


def test_results_identical_for_workers_chunks_and_resume(ranged: Scenario, tmp_path: Path) -> None:
    one = _batch(ranged, tmp_path / "one")
    pd.testing.assert_frame_equal(one, _batch(ranged, None, chunk_runs=750))
    two = _batch(ranged, tmp_path / "two", workers=2)
    assert (tmp_path / "one" / "summary.csv").read_bytes() == (
        tmp_path / "two" / "summary.csv"
    ).read_bytes()
    pd.testing.assert_frame_equal(one, two)
    # the drawn values are stored once per world, with each range's distribution
    worlds = pq.read_table(tmp_path / "one" / "worlds.parquet")
    assert worlds.num_rows == 40 and "model.alliance_cost" in worlds.column_names
    ranges = json.loads(worlds.schema.metadata[b"summit_sim.ranges"])
    assert ranges["model.alliance_cost"]["mode"] == 0.3
    runs = pd.read_parquet(tmp_path / "one" / "runs")
    assert sorted(runs["world"].unique().tolist()) == list(range(40))
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    assert manifest["design"]["worlds"] == 40
    assert manifest["columns"]["summary"]["p_summit_lo"]["interval"].startswith("normal")
    # resume from the directory alone rebuilds the same design, ranges included
    from model.batch import design_from_manifest

    again = design_from_manifest(tmp_path / "one")
    assert again.worlds == 40 and again.scenario.uncertain == ranged.uncertain
    assert again.scenario.canonical_hash() == ranged.canonical_hash()


def test_summary_has_both_layers(ranged: Scenario) -> None:
    s = _batch(ranged, None).iloc[0]
    assert list(s.index[-len(BAND_COLUMNS) :]) == BAND_COLUMNS
    assert s["worlds"] == 40
    for key in ("p_summit", "p_agreement", "strain_mean"):
        assert s[f"{key}_band_lo"] <= s[key] <= s[f"{key}_band_hi"]
        assert 0 <= s[f"{key}_judgement_share"] <= 1
    # these ranges matter: the band is wider than the Monte Carlo interval
    assert s["p_summit_band_hi"] - s["p_summit_band_lo"] > 2 * (s["p_summit_hi"] - s["p_summit_lo"])


def test_a_plain_scenario_gets_a_plain_batch() -> None:
    scn = point_baseline()
    summary = run_batch(Design(scn, replications=500, root_seed=1)).summary
    assert not set(BAND_COLUMNS) & set(summary.columns)
    with pytest.raises(Exception, match="needs a scenario with ranges"):
        Design(scn, replications=500, worlds=5)


def test_the_band_is_the_judgement_spread_not_that_plus_noise() -> None:
    """Worlds with a known spread of P(summit) (sd 0.1), each estimated from 100 runs: the band
    corrected for the worlds' own noise has the true width on average; the raw percentiles are
    too wide by about √(0.1² + 0.05²)/0.1 − 1 ≈ 12%."""
    rng = np.random.default_rng(0)
    corrected, raw, true = [], [], []
    for _ in range(300):
        p = np.clip(rng.normal(0.5, 0.1, 200), 0, 1)
        hat = rng.binomial(100, p) / 100
        noise = hat * (1 - hat) / 99
        lo, hi, share = band(hat, noise, hat.mean() * (1 - hat.mean()))
        corrected.append(hi - lo)
        raw.append(float(np.diff(np.percentile(hat, [5, 95]))[0]))
        true.append(float(np.diff(np.percentile(p, [5, 95]))[0]))
        assert 0 < share < 0.1  # 0.01 of 0.25
    assert np.mean(corrected) / np.mean(true) == pytest.approx(1.0, abs=0.03)
    assert np.mean(raw) / np.mean(true) > 1.08


def test_clustered_interval_covers_the_mean_over_worlds() -> None:
    """The ratio-over-worlds interval holds its 95% level when worlds differ (a Wilson interval
    that treats the runs as independent would not)."""
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(1000):
        p = np.clip(rng.normal(0.5, 0.15, 50), 0, 1)  # true mean over worlds ≈ 0.5
        counts = rng.binomial(40, p).astype(float)
        lo, hi = ratio_ci(counts, np.full(50, 40.0))
        hits += lo <= 0.5 <= hi
    assert 0.93 <= hits / 1000 <= 0.97


@pytest.fixture(scope="module")
def world_batches(ranged: Scenario, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("batches")
    a, b = root / "a", root / "b"
    run_batch(Design(ranged, replications=10000, worlds=100, root_seed=4), out=a)
    other = ranged.with_values({"actors.US.openness": 0.2})
    run_batch(Design(other, replications=10000, worlds=100, root_seed=4), out=b)
    return a, b


def test_importance_ranks_the_range_that_drives_the_outcome(
    world_batches: tuple[Path, Path],
) -> None:
    """The PRK meeting value decides whether Pyongyang wants to meet; alliance cost and Seoul's
    openness matter less for P(summit). The dummy column (no effect) ranks below the driver."""
    from model.analysis.importance import DUMMY, format_importance, importance

    result = importance(world_batches[0])
    summit = result.table[result.table["outcome"] == "p_summit"].set_index("path")
    assert summit["rank"].idxmin() == "actors.PRK.meeting_value"
    assert summit.loc["actors.PRK.meeting_value", "S1"] > summit.loc[DUMMY, "S1"] + 0.2
    assert result.worlds == 100 and result.runs_per_world == 100
    text = format_importance(result, "md", top=1)
    assert "actors.PRK.meeting_value" in text and DUMMY in text
    csv = format_importance(result, "csv")
    assert csv.splitlines()[0].startswith("outcome,rank,path,range,S1,S1_lo,S1_hi")


def test_importance_refuses_a_batch_without_worlds(tmp_path: Path) -> None:
    from model.analysis.importance import importance
    from model.errors import ExperimentError

    run_batch(Design(point_baseline(), replications=250, root_seed=1), out=tmp_path / "p")
    with pytest.raises(ExperimentError, match=r"worlds\.parquet"):
        importance(tmp_path / "p")
    # no directory at all is said as such (it was reported as a batch without worlds)
    with pytest.raises(ExperimentError, match=r"not a batch directory"):
        importance(tmp_path / "nope")


@pytest.mark.parametrize("worlds", [20, 41, 42, 99])
def test_importance_refuses_too_few_worlds_for_rbd_fast(
    ranged: Scenario, tmp_path: Path, worlds: int
) -> None:
    """RBD-FAST's bias correction divides by zero at 20 worlds (the default for 2,000 runs) and at
    40–41 (its bootstrap's half-samples), and at 42 it gave indices summing to 3–4 with
    zero-width intervals: a one-line refusal below 100 worlds, not an internal error or noise."""
    from model.analysis.importance import MIN_WORLDS, importance
    from model.errors import ExperimentError

    assert MIN_WORLDS == 100
    run_batch(
        Design(ranged, replications=worlds * 10, worlds=worlds, root_seed=2), out=tmp_path / "b"
    )
    with pytest.raises(ExperimentError, match=rf"worlds: needs at least 100 worlds.*got {worlds}"):
        importance(tmp_path / "b")


def test_importance_ranks_with_the_fewest_worlds_it_accepts(
    ranged: Scenario, tmp_path: Path
) -> None:
    from model.analysis.importance import MIN_WORLDS, importance

    out = tmp_path / "b"
    run_batch(Design(ranged, replications=MIN_WORLDS * 10, worlds=MIN_WORLDS, root_seed=2), out=out)
    table = importance(out).table
    assert np.isfinite(table["S1"]).all() and np.isfinite(table["S1_lo"]).all()
    # first-order shares of one outcome's variance: their sum stays near or below 1 (it was 3–4
    # at 42 worlds), and the bootstrap intervals have width (they had none there)
    assert (table.groupby("outcome")["S1"].sum() < 1.3).all()
    assert ((table["S1_hi"] - table["S1_lo"]) > 0).all()


@pytest.mark.parametrize("paired", [True, False])
def test_compare_clusters_by_world_when_only_one_side_has_worlds(
    world_batches: tuple[Path, Path], tmp_path: Path, paired: bool
) -> None:
    """A batch at the scenario's central values (no worlds) against one with worlds: the worlds
    side's runs are not independent, so the interval is clustered (paired: both sides by that
    side's worlds; unpaired: the plain side by run) and wider than one that treats every run as
    independent. It once fell back to Newcombe/Welch and starred differences that were noise."""
    from model.analysis.compare import Side, compare_sides
    from model.batch import read_runs
    from model.results.bands import ratio_diff_ci, unpaired_ratio_diff_ci
    from model.results.stats import newcombe_paired

    run_batch(Design(point_baseline(), replications=10000, root_seed=4), out=tmp_path / "plain")
    plain = read_runs(tmp_path / "plain").sort_values(["point", "replication"], ignore_index=True)
    ranged_runs = read_runs(world_batches[0]).sort_values(
        ["point", "replication"], ignore_index=True
    )
    assert "world" not in plain.columns
    row = compare_sides(Side("A", plain, 52), Side("B", ranged_runs, 52), paired=paired)
    row = row.set_index("outcome").loc["P(summit)"]
    assert row["method"] == ("paired by world" if paired else "clustered by world")
    xa, xb = plain["summit"].to_numpy(float), ranged_runs["summit"].to_numpy(float)
    wb = ranged_runs["world"].to_numpy(np.int64)
    if paired:
        wa, k = wb, 100
    else:
        wa, k = np.arange(xa.size), xa.size
    size = max(k, 100)
    na, nb = np.bincount(wa, minlength=size), np.bincount(wb, minlength=size)
    sa, sb = np.bincount(wa, xa, size), np.bincount(wb, xb, size)
    ci = (ratio_diff_ci if paired else unpaired_ratio_diff_ci)(sa, na * 1.0, sb, nb * 1.0)
    assert (row["difference"], row["lo"], row["hi"]) == pytest.approx(ci)
    _, lo, hi = newcombe_paired(xb.astype(bool), xa.astype(bool))
    assert row["hi"] - row["lo"] > 1.5 * (hi - lo)


def test_compare_pairs_world_by_world(world_batches: tuple[Path, Path]) -> None:
    """Same seed, runs and worlds: the difference's interval is clustered by world and the band
    of the per-world differences is reported; the per-world differences must be what the band
    summarises (checked against a direct computation)."""
    from model.analysis.compare import Side, compare_sides
    from model.batch import read_runs

    ra, rb = read_runs(world_batches[0]), read_runs(world_batches[1])
    weeks = load_scenario("baseline-2024").weeks
    df = compare_sides(Side("A", ra, weeks), Side("B", rb, weeks), paired=True).set_index("outcome")
    row = df.loc["P(summit)"]
    assert row["method"] == "paired by world"
    pa = ra.groupby("world")["summit"].mean()
    pb = rb.groupby("world")["summit"].mean()
    diff = (pb - pa).to_numpy()
    assert row["difference"] == pytest.approx(diff.mean())
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert row["hi"] - row["lo"] == pytest.approx(2 * 1.96 * se, rel=0.01)
    assert row["band_lo"] >= np.percentile(diff, 5) - 1e-9  # the noise correction narrows
    assert row["band_hi"] <= np.percentile(diff, 95) + 1e-9
    assert row["band_lo"] < row["difference"] < row["band_hi"]


def test_timelines_cluster_their_intervals_by_world(world_batches: tuple[Path, Path]) -> None:
    """P(summit by date) of a batch with worlds: the interval is the one clustered by world (wider
    than Wilson's, which would treat the runs of a world as independent)."""
    from model.batch import read_runs
    from model.results.bands import ratio_ci
    from model.results.stats import wilson
    from model.results.tables import timeline

    runs = read_runs(world_batches[0])
    scn = load_scenario("baseline-2024")
    row = timeline(runs, scn.spec.meta.start, scn.weeks).iloc[-1]
    held = runs["summit"].to_numpy(float)
    w = runs["world"].to_numpy(np.int64)
    lo, hi = ratio_ci(np.bincount(w, weights=held), np.bincount(w).astype(float))
    assert (row["lo"], row["hi"]) == pytest.approx((lo, hi))
    wl, wh = wilson(int(held.sum()), held.size)
    assert hi - lo > wh - wl


def test_timeline_notes_and_legend_name_the_interval_they_show(
    world_batches: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With worlds the timelines' intervals are clustered by world; the report's notes, the LaTeX
    notes and the plot's legend said "Wilson" anyway. A plain batch still says Wilson."""
    pytest.importorskip("matplotlib")
    import model.analysis.timeline_plot as tp
    from model.analysis.report_parts import _strain_tables, _timeline_table
    from model.batch import read_runs
    from model.results.tables import format_timeline, timeline
    from model.results.timelines import format_strain_timeline, strain_timeline

    scn = load_scenario("baseline-2024")
    run_batch(Design(point_baseline(), replications=500, root_seed=4), out=tmp_path / "plain")
    legends: list[str] = []
    monkeypatch.setattr(
        tp,
        "_save",
        lambda fig, out: legends.extend(t.get_text() for t in fig.axes[0].get_legend().texts),
    )
    for batch, clustered in ((world_batches[0], True), (tmp_path / "plain", False)):
        runs = read_runs(batch)
        start, high = scn.spec.meta.start, scn.spec.thresholds.high_strain
        notes = [
            *_timeline_table(runs, scn, "x").notes,
            *_strain_tables(runs, scn, "x")[0].notes,
            format_timeline(timeline(runs, start, scn.weeks), "latex"),
            format_strain_timeline(strain_timeline(runs, start, high), "latex"),
        ]
        legends.clear()
        tp.timeline_plot(runs, start, scn.weeks, high, "t", tmp_path / "t.png")
        for text in [*notes, legends[0]]:
            assert ("clustered by" in text) == clustered, text
            assert ("Wilson" in text) == (not clustered), text


def test_compare_unpaired_batches_with_worlds_clusters_each_side(
    world_batches: tuple[Path, Path],
) -> None:
    """Unpaired (different seeds, say), each side's estimate is clustered by its own worlds: the
    interval is wider than the paired one and there is no band (worlds do not pair)."""
    from model.analysis.compare import Side, compare_sides
    from model.batch import read_runs

    ra, rb = read_runs(world_batches[0]), read_runs(world_batches[1])
    sa, sb = Side("A", ra, 52), Side("B", rb, 52)
    paired = compare_sides(sa, sb, paired=True).set_index("outcome").loc["P(summit)"]
    unpaired = compare_sides(sa, sb, paired=False).set_index("outcome").loc["P(summit)"]
    assert unpaired["method"] == "clustered by world" and np.isnan(unpaired["band_lo"])
    assert unpaired["difference"] == pytest.approx(paired["difference"])
    assert unpaired["hi"] - unpaired["lo"] > paired["hi"] - paired["lo"]
