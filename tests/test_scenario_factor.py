"""The scenario as a factor: one batch runs the same design under several scenarios, with common
random numbers, chunks of one scenario each, and the determinism contract of every batch
(identical results for 1 or 2 workers, any chunk size, and after a resume)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from model.batch import Chunk, Design, plan_chunks, read_runs, run_batch
from model.batch.manifest import design_from_manifest
from model.errors import ExperimentError
from model.scenario import SHIPPED_DIR, load_scenario

SUMMIT = [sys.executable, "-m", "model.cli"]
ROOT = Path(__file__).resolve().parents[1]
POINTS = [{"actors.US.openness": 0.2}, {"actors.US.openness": 0.8}]


def _design(chunk_runs: int = 250, replications: int = 300) -> Design:
    a, b = load_scenario("baseline-2024"), load_scenario("seoul-sidelined")
    points = [dict(p) for p in POINTS]
    return Design(a, replications=replications, root_seed=6, points=points,
                  factors=["actors.US.openness"], chunk_runs=chunk_runs,
                  scenarios=(a, b))  # fmt: skip


def _sorted(rows: pd.DataFrame) -> pd.DataFrame:
    keys = ["scenario", "point", "replication"]
    return rows.sort_values(keys).reset_index(drop=True)


def test_a_batch_over_scenarios_is_one_sweep_per_scenario() -> None:
    """Point p, replication j gets the same random streams under each scenario: the batch's rows
    of each scenario are exactly those of a sweep of that scenario alone (same seed)."""
    both = run_batch(_design())
    assert both.failures == []
    rows = both.runs
    assert set(rows["scenario"]) == {"baseline-2024", "seoul-sidelined"}
    for name in ("baseline-2024", "seoul-sidelined"):
        points = [dict(p) for p in POINTS]
        alone = Design(load_scenario(name), replications=300, root_seed=6, points=points,
                       factors=["actors.US.openness"])  # fmt: skip
        ref = run_batch(alone)
        mine = _sorted(rows[rows["scenario"] == name])
        pd.testing.assert_frame_equal(mine, _sorted(ref.runs))
        summary = both.summary[both.summary["scenario"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(summary, ref.summary)
    # the two scenarios differ (Seoul sidelined makes summits rarer), on the same random numbers
    s = both.summary.set_index(["scenario", "point"])["p_summit"]
    assert s["seoul-sidelined"].lt(s["baseline-2024"]).all()


def test_each_chunk_holds_one_scenario_dealt_in_turn() -> None:
    """A chunk never mixes scenarios (the model runs one scenario); scenarios take turns, so a
    partial batch covers each; every (scenario, point, block) is planned exactly once."""
    chunks = plan_chunks(_design(chunk_runs=500, replications=750))
    assert [c.id for c in chunks] == list(range(len(chunks)))
    assert [c.scenario for c in chunks[:4]] == [0, 1, 0, 1]
    seen = [(c.scenario, b.point, b.block) for c in chunks for b in c.blocks]
    assert len(seen) == len(set(seen)) == 2 * 2 * 3
    assert sum(c.runs for c in chunks) == _design(replications=750).total_runs == 3000


def test_results_do_not_depend_on_workers_or_chunk_size(tmp_path: Path) -> None:
    """1 worker with chunks of one block and 2 workers with large chunks: the same rows and a
    byte-identical summary.csv."""
    one = run_batch(_design(chunk_runs=250), out=tmp_path / "one", workers=1)
    two = run_batch(_design(chunk_runs=5000), out=tmp_path / "two", workers=2)
    assert one.failures == two.failures == []
    pd.testing.assert_frame_equal(_sorted(read_runs(tmp_path / "one")),
                                  _sorted(read_runs(tmp_path / "two")))  # fmt: skip
    assert (tmp_path / "one" / "summary.csv").read_bytes() == (
        tmp_path / "two" / "summary.csv"
    ).read_bytes()


def test_an_interrupted_batch_resumes_from_its_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Stopped after some chunks, the batch keeps them; `summit sweep --resume DIR` rebuilds the
    design with both scenarios from the manifest alone, runs only the rest, and ends with the
    summary of an uninterrupted batch."""
    import model.batch.executors as executors

    real = executors.run_chunk
    ran: list[int] = []

    def stop_at_third(design: Design, chunk: Chunk) -> pd.DataFrame:
        if len(ran) == 2:
            raise KeyboardInterrupt
        ran.append(chunk.id)
        return real(design, chunk)

    monkeypatch.setattr(executors, "run_chunk", stop_at_third)
    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        run_batch(_design(), out=cut, kind="sweep")
    assert json.loads((cut / "manifest.json").read_text())["status"] == "interrupted"
    kept = sorted(p.name for p in (cut / "runs").glob("*.parquet"))
    assert len(kept) == 2
    monkeypatch.setattr(executors, "run_chunk", real)
    rebuilt = design_from_manifest(cut)
    assert [s.name for s in rebuilt.all_scenarios] == ["baseline-2024", "seoul-sidelined"]
    res = subprocess.run([*SUMMIT, "sweep", "--resume", str(cut)], capture_output=True,
                         text=True, check=False, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    full = tmp_path / "full"
    run_batch(_design(), out=full, kind="sweep")
    assert (cut / "summary.csv").read_bytes() == (full / "summary.csv").read_bytes()
    log = [json.loads(x) for x in (cut / "status.jsonl").read_text().splitlines()]
    assert sorted(r["chunk"] for r in log) == list(range(len(plan_chunks(_design()))))


def test_resume_refuses_a_scenario_that_changed(tmp_path: Path) -> None:
    """Each scenario of the factor is recorded with its hash; an edited record is refused."""
    out = tmp_path / "b"
    run_batch(_design(replications=250), out=out)
    m = json.loads((out / "manifest.json").read_text())
    m["scenarios"][1]["scenario_spec"]["meta"]["weeks"] = 40
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ExperimentError, match=r"scenarios\[1\]\.scenario_hash: the scenario "):
        design_from_manifest(out)


def test_scenarios_must_share_their_outcome_columns(tmp_path: Path) -> None:
    """Run rows of one batch share one schema: a scenario with other actors is refused in one
    line naming it; so is a scenario listed twice."""
    kor = tmp_path / "kor.toml"
    text = (SHIPPED_DIR / "baseline-2024.toml").read_text()
    kor.write_text(text.replace("ROK", "KOR").replace('name = "baseline-2024"', 'name = "kor"'))
    res = subprocess.run([*SUMMIT, "sweep", "--factor", "actors.US.openness=0.2,0.8",
                          "--scenario", "baseline-2024", "--scenario", str(kor), "--runs", "10"],
                         capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1
    assert "kor.toml: scenario: scenarios in one batch need the same actors" in res.stderr
    a = load_scenario("baseline-2024")
    with pytest.raises(ExperimentError, match=r"each scenario once; got \['baseline-2024'\]"):
        Design(a, replications=10, scenarios=(a, load_scenario("baseline-2024")))


def test_experiment_files_list_scenarios_and_the_cli_can_replace_them(tmp_path: Path) -> None:
    """`scenarios = [...]` in an experiment file makes the scenario a factor; --scenario replaces
    the file's scenario(s), and the manifest's experiment record says what ran; a file with
    both `scenario` and `scenarios` is one line, exit 2."""
    exp = tmp_path / "e.toml"
    body = ('design = "grid"\nreplications = 20\nseed = 3\n[[factors]]\n'
            'path = "actors.US.openness"\nvalues = [0.2, 0.8]\n')  # fmt: skip
    exp.write_text('[experiment]\nname = "e"\nscenarios = ["baseline-2024", "seoul-supports"]\n'
                   + body)  # fmt: skip
    out = tmp_path / "many"
    res = subprocess.run([*SUMMIT, "sweep", str(exp), "--out", str(out)], capture_output=True,
                         text=True, check=False, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["scenario"]) == ["baseline-2024"] * 2 + ["seoul-supports"] * 2
    one = tmp_path / "one"
    args = [*SUMMIT, "sweep", str(exp), "--scenario", "seoul-sidelined", "--out", str(one)]
    res = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    assert res.returncode == 0, res.stderr
    m = json.loads((one / "manifest.json").read_text())
    assert m["scenario"] == "seoul-sidelined" and "scenarios" not in m["design"]
    spec = m["experiment"]["spec"]["experiment"]
    assert spec["scenario"] == "seoul-sidelined" and spec["scenarios"] is None
    bad = tmp_path / "bad.toml"
    bad.write_text('[experiment]\nname = "b"\nscenario = "baseline-2024"\n'
                   'scenarios = ["seoul-supports"]\n' + body)  # fmt: skip
    res = subprocess.run([*SUMMIT, "sweep", str(bad)], capture_output=True, text=True,
                         check=False, timeout=120)  # fmt: skip
    assert res.returncode == 2
    assert res.stderr == (
        "bad.toml: experiment: give exactly one of 'scenario' or 'scenarios'; "
        "got ['seoul-supports']\n"
    )


@pytest.fixture(scope="module")
def two_scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 × 2 grid under two scenarios, as `summit sweep --scenario A --scenario B` makes it."""
    out = tmp_path_factory.mktemp("factor") / "b"
    args = [*SUMMIT, "sweep", "--factor", "actors.US.openness=0.2,0.8", "--factor",
            "actors.ROK.openness=0.2,0.8", "--scenario", "baseline-2024", "--scenario",
            "seoul-sidelined", "--runs", "60", "--out", str(out)]  # fmt: skip
    res = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    assert res.returncode == 0, res.stderr
    return out


def _summit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SUMMIT, *args], capture_output=True, text=True, check=False,
                          timeout=300)  # fmt: skip


def test_table_and_plot_treat_the_scenario_as_a_factor(two_scenarios: Path, tmp_path: Path) -> None:
    """table: a row per scenario and point, a timeline per scenario; plot: one line per
    scenario against a factor, and a heatmap only of a chosen scenario."""
    table = _summit("table", str(two_scenarios), "--format", "csv")
    rows = pd.read_csv(io.StringIO(table.stdout))
    assert list(rows["scenario"]) == ["baseline-2024"] * 4 + ["seoul-sidelined"] * 4
    assert list(rows["point"]) == [0, 1, 2, 3] * 2
    timeline = _summit("table", str(two_scenarios), "--timeline")
    assert timeline.returncode == 0, timeline.stderr
    assert "baseline-2024 (point 0):" in timeline.stdout
    assert "seoul-sidelined (point 0):" in timeline.stdout
    csv = pd.read_csv(io.StringIO(
        _summit("table", str(two_scenarios), "--timeline", "--format", "csv").stdout))  # fmt: skip
    assert set(csv["scenario"]) == {"baseline-2024", "seoul-sidelined"}
    line = _summit("plot", str(two_scenarios), "--x", "actors.US.openness", "--out",
                   str(tmp_path / "l.png"), "--scenario", "seoul-sidelined")  # fmt: skip
    assert line.returncode == 0 and "(one line per level of actors.ROK.openness)" in line.stderr
    both = _summit("sweep", "--factor", "actors.US.openness=0.2,0.8", "--scenario",
                   "baseline-2024", "--scenario", "seoul-supports", "--runs", "30", "--out",
                   str(tmp_path / "one"))  # fmt: skip
    assert both.returncode == 0, both.stderr
    lines = _summit("plot", str(tmp_path / "one"), "--out", str(tmp_path / "s.png"))
    assert lines.returncode == 0 and "one line per level of scenario" in lines.stderr
    heat = _summit("plot", str(two_scenarios), "--out", str(tmp_path / "h.png"))
    assert heat.returncode == 2 and heat.stderr.startswith(
        "--scenario: a heatmap shows one scenario and this batch holds 2"
    )
    assert not (tmp_path / "h.png").exists()
    chosen = _summit("plot", str(two_scenarios), "--scenario", "seoul-sidelined", "--out",
                     str(tmp_path / "h.png"))  # fmt: skip
    assert chosen.returncode == 0 and (tmp_path / "h.png").stat().st_size > 10_000
    bad = _summit(
        "plot", str(two_scenarios), "--scenario", "nope", "--out", str(tmp_path / "n.png")
    )
    assert bad.returncode == 2 and "must be a scenario of" in bad.stderr


def test_analyses_of_one_scenario_refuse_a_batch_of_several(two_scenarios: Path) -> None:
    for args in (["sensitivity", str(two_scenarios)],
                 ["discover", str(two_scenarios), "--where", "summit"]):  # fmt: skip
        res = _summit(*args)
        assert res.returncode == 2 and len(res.stderr.splitlines()) == 1
        assert "design.scenarios: summit " in res.stderr and "varies the scenario" in res.stderr
