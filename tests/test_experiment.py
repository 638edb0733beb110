"""Experiments: design expansion and reproducibility, factor validation, sweeps that resume
after a kill and isolate failures, and comparisons with paired intervals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from model import simulate
from model.analysis.compare import Side, compare_sides
from model.batch import (
    DEFAULT_CHUNK_RUNS,
    Chunk,
    Design,
    MemorySink,
    chunk_runs_for,
    execute,
    plan_chunks,
    read_runs,
    run_batch,
)
from model.batch.experiment import ExperimentFile, check_factors, sample_points
from model.batch.store import read_shard
from model.errors import ExperimentError
from model.scenario import load_scenario
from model.sim.seeding import BLOCK

SUMMIT = [sys.executable, "-m", "model.cli"]


def _exp(design: str, factors: list[dict], **kw: object) -> ExperimentFile:
    return ExperimentFile.model_validate(
        {
            "experiment": {"name": "t", "scenario": "baseline-2024", "design": design, **kw},
            "factors": factors,
        }
    )


RANGES = [
    {"path": "actors.US.openness", "range": [0.1, 0.9]},
    {"path": "model.alliance_cost", "range": [0.1, 0.6]},
]


def test_grid_expands_the_full_factorial() -> None:
    """A grid is every combination of every factor's levels."""
    pts, _ = sample_points(_exp("grid", [RANGES[0] | {"steps": 3}, {"path": "model.rule",
                                        "values": ["compromise", "challenge"]}]))  # fmt: skip
    assert len(pts) == 6
    assert {p["model.rule"] for p in pts} == {"compromise", "challenge"}
    assert sorted({p["actors.US.openness"] for p in pts}) == pytest.approx([0.1, 0.5, 0.9])


@pytest.mark.parametrize("design", ["lhs", "sobol", "morris"])
def test_sampled_designs_are_reproducible_from_the_seed(design: str) -> None:
    """Same experiment and seed ⇒ the same points; another seed ⇒ other points; all in range."""
    a, _ = sample_points(_exp(design, RANGES, samples=8, seed=3))
    b, _ = sample_points(_exp(design, RANGES, samples=8, seed=3))
    c, _ = sample_points(_exp(design, RANGES, samples=8, seed=4))
    assert a == b and a != c
    for p in a:
        assert 0.1 <= p["actors.US.openness"] <= 0.9 and 0.1 <= p["model.alliance_cost"] <= 0.6


def test_interleaved_order_covers_the_design_early() -> None:
    """The first chunks of a sweep hold points spread over the design, not its first corner."""
    scn = load_scenario("baseline-2024")
    pts = [{"actors.US.openness": v / 100} for v in range(10, 90, 5)]  # 16 points
    chunks = plan_chunks(Design(scn, replications=250, points=pts, chunk_runs=1000))
    first = [b.point for b in chunks[0].blocks]
    assert first == [0, 8, 4, 12]


@pytest.mark.parametrize(
    ("factor", "design", "pattern"),
    [
        ({"path": "actors.US.opennes", "range": [0.1, 0.9]}, "grid",
         r"^exp: factors\[0\]\.path: not a numeric parameter of scenario baseline-2024"),
        ({"path": "actors.US.openness", "range": [0.1, 1.5]}, "grid",
         r"^exp: factors\[0\]\.range: must be <= 1; got 1\.5$"),
        ({"path": "actors.US.openness", "range": [0.9, 0.1]}, "grid",
         r"^exp: factors\[0\]\.range: needs low < high; got \[0\.9, 0\.1\]$"),
        ({"path": "model.rule", "values": ["compromise", "challenge"]}, "sobol",
         r"^exp: factors\[0\]\.path: a categorical factor needs design = 'grid'; got 'sobol'$"),
    ],
)  # fmt: skip
def test_bad_factors_give_one_line_errors(factor: dict, design: str, pattern: str) -> None:
    """Invalid paths or ranges are rejected before anything runs, one line each."""
    exp = _exp(design, [factor])
    with pytest.raises(ExperimentError, match=pattern):
        check_factors(exp.factors, design, load_scenario("baseline-2024"), "exp")


def test_sweep_cli_bad_factor_exits_2(tmp_path: Path) -> None:
    """The CLI turns a bad factor into exit 2 and one line, with nothing written."""
    out = tmp_path / "s"
    res = subprocess.run(
        [*SUMMIT, "sweep", "--factor", "actors.US.opennes=0.1:0.9", "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "actors.US.opennes" in res.stderr
    assert not out.exists()


def test_sweep_resumes_after_kill_9(tmp_path: Path) -> None:
    """A sweep killed with SIGKILL and resumed ends with the summary of an uninterrupted one."""
    exp = tmp_path / "e.toml"
    exp.write_text(
        '[experiment]\nname = "e"\nscenario = "baseline-2024"\ndesign = "lhs"\nsamples = 24\n'
        "replications = 250\nseed = 2\n"
        '[[factors]]\npath = "actors.ROK.openness"\nrange = [0.1, 0.9]\n'
    )
    cut, full = tmp_path / "cut", tmp_path / "full"
    # chunks of one block: many small chunks, so the kill lands mid-sweep
    env = {**os.environ}
    proc = subprocess.Popen(
        [*SUMMIT, "sweep", str(exp), "--out", str(cut)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    status = cut / "status.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (status.exists() and status.read_text().count("\n") >= 1):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    res = subprocess.run([*SUMMIT, "sweep", "--resume", str(cut)], capture_output=True, text=True,
                         check=False, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    res = subprocess.run([*SUMMIT, "sweep", str(exp), "--out", str(full)], capture_output=True,
                         text=True, check=False, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert (cut / "summary.csv").read_bytes() == (full / "summary.csv").read_bytes()
    manifest = json.loads((cut / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["experiment"]["sha256"]


def test_rerun_reproduces_a_sweep_from_its_manifest(tmp_path: Path) -> None:
    """`summit sweep --rerun DIR` rebuilds the design from the manifest: same summary."""
    out = tmp_path / "a"
    args = [*SUMMIT, "sweep", "--factor", "model.alliance_cost=0.1:0.5:3", "--runs", "250",
            "--seed", "8", "--out", str(out)]  # fmt: skip
    assert subprocess.run(args, capture_output=True, check=False, timeout=300).returncode == 0
    res = subprocess.run([*SUMMIT, "sweep", "--rerun", str(out)], capture_output=True, text=True,
                         check=False, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    again = tmp_path / "a-rerun"
    assert (again / "summary.csv").read_bytes() == (out / "summary.csv").read_bytes()


@pytest.mark.parametrize(
    "extra, named",
    [(["--seed", "5"], "--seed"), (["--design", "lhs", "--runs", "50"], "--design, --runs"),
     (["--factor", "actors.JPN.capability=0.1:0.9"], "--factor"), (["--resume", "x"], "--resume")],
)  # fmt: skip
def test_rerun_refuses_options_that_would_change_the_design(
    tmp_path: Path, extra: list[str], named: str
) -> None:
    """--rerun repeats the recorded design; a --seed or --design given with it was silently
    ignored, so an analyst checking robustness to the seed got the same numbers back. Now: one
    line naming the options, exit 2, and no output directory."""
    res = subprocess.run([*SUMMIT, "sweep", "--rerun", str(tmp_path / "a"), *extra,
                          "--out", str(tmp_path / "b")], capture_output=True, text=True,
                         check=False, timeout=120)  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert named in res.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "b").exists()


def test_failed_chunk_is_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An exception in one chunk is recorded (chunk, points, error); the rest runs; finished
    data stays valid and a resume runs only the failed chunk."""
    import model.batch.executors as executors

    real = executors.run_chunk

    def flaky(design: Design, chunk: Chunk) -> pd.DataFrame:
        if chunk.id == 1:
            raise RuntimeError("boom")
        return real(design, chunk)

    monkeypatch.setattr(executors, "run_chunk", flaky)
    scn = load_scenario("baseline-2024")
    pts = [{"actors.US.openness": v} for v in (0.2, 0.5, 0.8)]
    design = Design(scn, replications=250, points=pts, factors=["actors.US.openness"],
                    chunk_runs=250)  # fmt: skip
    out = tmp_path / "b"
    res = run_batch(design, out=out)
    assert res.failures == [(1, "RuntimeError: boom")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["chunks_failed"][0]["chunk"] == 1
    assert len(res.summary) == 2  # the two finished points
    monkeypatch.setattr(executors, "run_chunk", real)
    again = run_batch(design, out=out, resume=True)
    assert again.failures == [] and len(again.summary) == 3


def test_compare_pairs_runs_under_common_random_numbers() -> None:
    """Same seed ⇒ paired intervals, narrower than unpaired ones for the same data; a change that
    makes no difference gives a difference of exactly 0."""
    a = simulate("baseline-2024", runs=3000, seed=1, worlds=1)  # the point scenario
    b = simulate("seoul-supports", runs=3000, seed=1, worlds=1)
    sa, sb = Side("base", a.runs, 52), Side("seoul", b.runs, 52)
    paired = compare_sides(sa, sb, paired=True).set_index("outcome")
    unpaired = compare_sides(sa, sb, paired=False).set_index("outcome")
    width = lambda t: t.loc["P(summit)", "hi"] - t.loc["P(summit)", "lo"]  # noqa: E731
    assert width(paired) < 0.5 * width(unpaired)
    assert paired.loc["P(summit)", "method"] == "Newcombe paired"
    same = compare_sides(sa, Side("again", a.runs, 52), paired=True).set_index("outcome")
    assert (same["difference"] == 0).all()


def test_memory_sink_and_execute_agree_with_directory(tmp_path: Path) -> None:
    """In-memory and on-disk batches give the same rows (one runner, two sinks)."""
    scn = load_scenario("baseline-2024")
    design = Design(scn, replications=600, root_seed=3)
    mem = MemorySink()
    assert execute(design, mem) == []
    run_batch(design, out=tmp_path / "d")
    pd.testing.assert_frame_equal(
        pd.concat(list(mem.frames_in_order()), ignore_index=True), read_runs(tmp_path / "d")
    )


def test_failing_chunk_in_a_worker_process_reports_its_error(tmp_path: Path) -> None:
    """With a process pool, a chunk's ScenarioError comes back intact (it pickles) and is
    recorded with its one-line message; the other chunks are written."""
    scn = load_scenario("baseline-2024")
    pts = [{"actors.US.openness": 0.5}, {"actors.US.openness": 0.6}]
    design = Design(scn, replications=250, points=pts, factors=["actors.US.openness"],
                    chunk_runs=250)  # fmt: skip
    # Designs refuse invalid points up front; break one after the check so that a chunk fails
    # in a worker process (a stand-in for any run-time error)
    design.points[1]["actors.US.openness"] = 1.5
    res = run_batch(design, out=tmp_path / "b", workers=2)
    assert len(res.failures) == 1
    _, err = res.failures[0]
    assert err == "ScenarioError: baseline-2024.toml: actors.US.openness: must be <= 1; got 1.5"
    assert len(res.summary) == 1


def test_summary_does_not_depend_on_chunk_size() -> None:
    """Chunking is an execution detail: the summary is identical for any chunk size."""
    scn = load_scenario("baseline-2024")
    small = run_batch(Design(scn, replications=1500, root_seed=5, chunk_runs=250)).summary
    large = run_batch(Design(scn, replications=1500, root_seed=5, chunk_runs=5000)).summary
    assert small.to_csv() == large.to_csv()


def test_default_chunk_size_gives_every_worker_work() -> None:
    """`summit run`'s chunk size (no --chunk-runs): whole blocks, at most DEFAULT_CHUNK_RUNS, and
    a batch that fits in one chunk per worker is cut into one equal chunk per worker (a
    10,000-run batch on 2 workers was one chunk, and a worker idled)."""
    assert chunk_runs_for(10_000, 1) == 10_000
    assert chunk_runs_for(10_000, 2) == 5_000
    assert chunk_runs_for(1_000_000, 2) == DEFAULT_CHUNK_RUNS
    assert chunk_runs_for(1, 4) == BLOCK  # never less than a block
    for workers in (1, 2, 3, 8):
        for runs in (*range(1, 3000, 97), 45_000, 123_456, 2_000_000):
            size = chunk_runs_for(runs, workers)
            assert size % BLOCK == 0 and BLOCK <= size <= DEFAULT_CHUNK_RUNS, (runs, workers)
        for blocks in range(1, DEFAULT_CHUNK_RUNS // BLOCK + 1):
            runs = workers * blocks * BLOCK
            assert runs // chunk_runs_for(runs, workers) == workers, (runs, workers)
    # as planned: chunks in a number the workers share (where the blocks allow it), never more
    # than DEFAULT_CHUNK_RUNS each, covering every run
    scn = load_scenario("baseline-2024")
    for runs, workers, count in ((10_000, 2, 2), (45_000, 2, 6), (45_000, 1, 5), (7_777, 3, 3)):
        plan = plan_chunks(Design(scn, runs, chunk_runs=chunk_runs_for(runs, workers)))
        assert len(plan) == count and sum(c.runs for c in plan) == runs, (runs, workers)
        assert max(c.runs for c in plan) <= DEFAULT_CHUNK_RUNS
    assert chunk_runs_for(0, 2) == BLOCK  # no division by zero for an empty request


def test_summit_run_records_its_default_chunk_size(tmp_path: Path) -> None:
    """The chunk size `summit run` chose is in the manifest (a resume plans the same chunks)."""
    out = tmp_path / "b"
    args = ["run", "--runs", "1000", "--seed", "3", "--workers", "2", "--out", str(out)]
    subprocess.run([*SUMMIT, *args], check=True, capture_output=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["design"]["chunk_runs"] == 500
    assert sorted(p.name for p in (out / "runs").glob("*.parquet")) == [
        "chunk-000000.parquet",
        "chunk-000001.parquet",
    ]


def test_a_shard_reads_only_the_columns_asked_for(tmp_path: Path) -> None:
    """The summary reads only the columns it tallies; they are the shard's own values."""
    scn = load_scenario("baseline-2024")
    run_batch(Design(scn, replications=500, root_seed=4), out=tmp_path / "b")
    shard = next((tmp_path / "b" / "runs").glob("*.parquet"))
    whole = read_shard(shard)
    part = read_shard(shard, ["replication", "strain", "summit"])
    assert list(part.columns) == ["replication", "strain", "summit"]
    pd.testing.assert_frame_equal(part, whole[["replication", "strain", "summit"]])
    with pytest.raises(ExperimentError, match=r"lacks columns .*; got 'nothing, world'"):
        read_shard(shard, ["replication", "world", "nothing"])


def test_one_writer_per_batch_directory(tmp_path: Path) -> None:
    """A second process writing the same batch directory is refused while the first holds it."""
    import fcntl

    out = tmp_path / "b"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    from model.batch.manifest import exclusive

    with (out / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with (
            pytest.raises(ExperimentError, match=r"another summit process is writing"),
            exclusive(out),
        ):
            pass


def test_sweep_over_the_rule_runs_both_rules_in_separate_chunks(tmp_path: Path) -> None:
    """model.rule is categorical: each chunk holds one rule (without cutting a chunk per block),
    and both rules run with per-row parameter arrays."""
    scn = load_scenario("baseline-2024")
    pts = [{"model.rule": "compromise"}, {"model.rule": "challenge"}]
    design = Design(scn, replications=1000, points=pts, factors=["model.rule"], chunk_runs=1000)
    chunks = plan_chunks(design)
    assert all(len({b.point for b in c.blocks}) == 1 for c in chunks)
    assert len(chunks) == 2  # grouped, not one chunk per alternating block
    res = run_batch(design)
    assert res.failures == [] and list(res.summary["model.rule"]) == ["compromise", "challenge"]


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["sweep", "--factor", "model.alliance_cost=0.1:0.5:0"],
         r"^--factor: factors\[0\]\.steps: input should be greater than or equal to 2; got 0$"),
        (["sweep", "--factor", "model.alliance_cost=0.1:0.5:3:9"], r"expected PATH=LO:HI"),
        (["sweep", "experiments/us-seoul-openness.toml", "--factor", "model.alliance_cost=0.1:0.5"],
         r"--factor cannot be combined with an EXPERIMENT file"),
        (["run", "--seed", "-1"], r"-1 is not in the range x>=0"),
        (["compare", "baseline-2024", "seoul-supports", "--plot", "/nonexistent/x.png"],
         r"--plot: no such directory"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_requests_before_running(args: list[str], pattern: str) -> None:
    """Requests that cannot be right fail at once: one line, exit 2, nothing run or written."""
    res = subprocess.run([*SUMMIT, *args], capture_output=True, text=True, check=False,
                         timeout=120)  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert __import__("re").search(pattern, res.stderr), res.stderr


def test_api_rejects_bad_points_before_running() -> None:
    """The Python API raises on unknown paths, out-of-range values and fractional whole-number
    parameters (all at once), instead of returning failed chunks."""
    with pytest.raises(Exception, match=r"points\[0\]\.actors\.US\.opennes: not a numeric") as e:
        simulate("baseline-2024", runs=10, points=[{"actors.US.opennes": 0.3},
                                                    {"model.consult_patience": 2.5}])  # fmt: skip
    assert "points[1].model.consult_patience: must be a whole number; got 2.5" in str(e.value)


def test_compare_and_table_refuse_what_they_cannot_read(tmp_path: Path) -> None:
    """compare compares a sweep with a sweep, not with a scenario name; compare and table
    refuse an unfinished batch."""
    sweep = tmp_path / "s"
    pts = [{"model.alliance_cost": 0.2}, {"model.alliance_cost": 0.4}]
    design = Design(load_scenario("baseline-2024"), replications=250, points=pts)
    run_batch(design, out=sweep)
    res = subprocess.run([*SUMMIT, "compare", str(sweep), "seoul-supports"], capture_output=True,
                         text=True, check=False, timeout=120)  # fmt: skip
    assert res.returncode == 2 and "a sweep is compared with another batch" in res.stderr
    m = json.loads((sweep / "manifest.json").read_text())
    (sweep / "manifest.json").write_text(json.dumps({**m, "status": "interrupted"}))
    res = subprocess.run([*SUMMIT, "table", str(sweep)], capture_output=True, text=True,
                         check=False, timeout=120)  # fmt: skip
    assert res.returncode == 2 and "the batch is not complete" in res.stderr
    res = subprocess.run([*SUMMIT, "compare", str(sweep), str(sweep)], capture_output=True,
                         text=True, check=False, timeout=120)  # fmt: skip
    assert res.returncode == 2 and "the analysis needs a complete batch" in res.stderr
