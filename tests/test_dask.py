"""The Dask executor keeps the local executor's contracts: same rows, same summary, resume, and a
failing chunk isolated. Skipped when the optional `dask` extra is not installed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import psutil  # a dependency of distributed
from distributed import Client, LocalCluster

from model.batch import Design, DirectorySink, plan_chunks, read_runs, run_batch
from model.errors import ExperimentError
from model.scenario import Scenario, load_scenario

SAL = "actors.ROK.salience.alliance"  # a bounded parameter: must be in [0, 1]


@pytest.fixture(scope="module")
def scn() -> Scenario:
    return load_scenario("baseline-2024")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A running two-worker cluster that is not ours to stop: the executor must only connect."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    ) as cluster:
        yield cluster.scheduler_address


def _children() -> set[int]:
    """Our child processes, but multiprocessing's resource tracker and forkserver: those are
    started once per interpreter and outlive every pool and cluster by design."""
    helpers = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
    pids = set()
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
        except psutil.Error:  # exited while we looked: not left running
            continue
        if not any(h in cmd for h in helpers):
            pids.add(p.pid)
    return pids


def test_dask_local_cluster_gives_the_local_results(scn: Scenario, tmp_path: Path) -> None:
    design = Design(scn, replications=1500, root_seed=5, chunk_runs=250)
    local = run_batch(design, out=tmp_path / "local")
    before = _children()
    dask = run_batch(design, out=tmp_path / "dask", executor="dask", workers=2)
    assert local.failures == dask.failures == []
    assert (tmp_path / "local/summary.csv").read_bytes() == (
        tmp_path / "dask/summary.csv"
    ).read_bytes()
    runs_local, runs_dask = read_runs(tmp_path / "local"), read_runs(tmp_path / "dask")
    assert len(runs_dask) == 1500
    assert runs_local.equals(runs_dask)
    manifest = json.loads((tmp_path / "dask/manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["executor"] == "dask"
    # the local cluster's scheduler and worker processes are gone
    assert _children() <= before


def test_dask_resume_runs_only_the_missing_chunks(
    scn: Scenario, tmp_path: Path, scheduler: str
) -> None:
    design = Design(scn, replications=1500, root_seed=5, chunk_runs=250)
    run_batch(design, out=tmp_path / "full")
    # an interrupted batch: run everything locally, then lose two shards
    out = tmp_path / "cut"
    run_batch(design, out=out)
    sink = DirectorySink(out)
    for cid in (1, 4):
        sink.shard(cid).unlink()
    assert sink.done() == {0, 2, 3, 5}
    logged = len(sink.status.read_text().splitlines())

    res = run_batch(design, out=out, resume=True, executor="dask", scheduler=scheduler)
    assert res.failures == []
    new = [json.loads(x) for x in sink.status.read_text().splitlines()[logged:]]
    assert sorted(r["chunk"] for r in new) == [1, 4]
    assert (out / "summary.csv").read_bytes() == (tmp_path / "full/summary.csv").read_bytes()
    assert read_runs(out).equals(read_runs(tmp_path / "full"))
    # connecting to a scheduler never shuts it down
    with Client(scheduler) as client:
        assert len(client.scheduler_info()["workers"]) == 2


def test_dask_failing_chunk_is_isolated(scn: Scenario, tmp_path: Path, scheduler: str) -> None:
    # one block per chunk, so the invalid point fails alone
    points = [{SAL: 0.5}, {SAL: 0.6}, {SAL: 0.7}]
    design = Design(
        scn, replications=250, root_seed=5, points=points, factors=[SAL], chunk_runs=250
    )
    # Designs refuse invalid points up front; break one after the check to make a chunk fail
    # inside a worker (a stand-in for any error a chunk may meet at run time)
    design.points[1][SAL] = 1.5
    bad = next(c.id for c in plan_chunks(design) if c.blocks[0].point == 1)
    assert all(len(c.blocks) == 1 for c in plan_chunks(design))
    res = run_batch(design, out=tmp_path / "b", executor="dask", scheduler=scheduler)
    # worded as the local executor words it (not mangled by pickling the exception)
    assert res.failures == [
        (bad, f"ScenarioError: baseline-2024.toml: {SAL}: must be <= 1; got 1.5")
    ]
    sink = DirectorySink(tmp_path / "b")
    assert sink.done() == {c.id for c in plan_chunks(design)} - {bad}
    assert list(res.summary["point"]) == [0, 2]
    manifest = json.loads((tmp_path / "b/manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert [f["chunk"] for f in manifest["chunks_failed"]] == [bad]
    status = [json.loads(x) for x in sink.status.read_text().splitlines()]
    assert [r["points"] for r in status if not r["ok"]] == [[1]]


def test_dask_missing_is_a_one_line_error(scn: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    from model.batch import MemorySink
    from model.batch.dask import execute_dask

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    design = Design(scn, replications=250, root_seed=5, chunk_runs=250)
    with pytest.raises(ExperimentError, match=r"pip install 'summit-sim\[dask\]'"):
        execute_dask(design, MemorySink(), 1, None, None)
