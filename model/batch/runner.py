"""The batch runner: a design → chunks run by an executor → a result store → the summary.

One runner serves `summit run`, `summit sweep` and the Python API. The summary is folded from the
shards in chunk order, so it is identical for any worker count or executor.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from model._workers import start_server
from model.batch.design import Design, plan_chunks
from model.batch.executors import Progress, execute, execute_jobs
from model.batch.manifest import (
    Kind,
    check_resumable,
    exclusive,
    mark,
    new_manifest,
    now,
    write_atomic,
    write_json,
)
from model.batch.pool import Job
from model.batch.store import DirectorySink, MemorySink, write_worlds
from model.errors import EnvironmentProblem, ExperimentError, SummitError, problem
from model.results.columns import run_dictionary, summary_dictionary
from model.results.summary import PointTally, summary_table, tally, tally_columns
from model.results.tables import format_table
from model.sim.outcomes import OutcomeNames


@dataclass
class BatchResult:
    design: Design
    summary: pd.DataFrame
    failures: list[tuple[int, str]]
    out: Path | None
    sink: MemorySink | DirectorySink

    @property
    def runs(self) -> pd.DataFrame:
        """The run rows (read from disk when the batch has an output directory)."""
        return pd.concat(list(self.sink.frames_in_order()), ignore_index=True)


def summarize(design: Design, sink: MemorySink | DirectorySink) -> pd.DataFrame:
    if design.scenarios:
        return _summarize_each_scenario(design, sink)
    bypass = OutcomeNames.of(design.scenario).bypass
    tallies: dict[int, PointTally] = tally(
        sink.frames_in_order(columns=_tallied(design)), design.scenario.weeks, bypass, design.worlds
    )
    scn = design.scenario
    return summary_table(
        tallies, scn.name, design.points, design.factors, bypass, scn.spec.meta.start
    )


def _summarize_each_scenario(design: Design, sink: MemorySink | DirectorySink) -> pd.DataFrame:
    """The scenario as a factor: one summary per scenario, from that scenario's chunks (each
    chunk holds one), stacked in the design's order of scenarios."""
    plan = plan_chunks(design)
    parts = []
    for i, scn in enumerate(design.scenarios):
        ids = {c.id for c in plan if c.scenario == i}
        bypass = OutcomeNames.of(scn).bypass
        worlds = design.worlds if scn.uncertain else 1  # a scenario without ranges: no band
        rows = sink.frames_in_order(ids, columns=tally_columns(bypass, worlds))
        tallies = tally(rows, scn.weeks, bypass, worlds)
        parts.append(summary_table(
            tallies, scn.name, design.points, design.factors, bypass, scn.spec.meta.start
        ))  # fmt: skip
    # a scenario with no finished chunk yet (a failed or partial batch) adds no rows
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)


def run_batch(
    design: Design,
    out: Path | None = None,
    workers: int = 1,
    resume: bool = False,
    progress: Progress | None = None,
    command: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    kind: Kind | None = None,
) -> BatchResult:
    """Run a design; with ``out``, stream to a batch directory (manifest, shards, summaries).

    ``extra`` adds provenance to the manifest (e.g. the experiment file); ``executor`` is
    "local" (in-process or a process pool) or "dask" (a local cluster, or ``scheduler``);
    ``kind`` ("run" or "sweep", by default guessed from the design) says which verb resumes it.
    A write the machine refuses (disk full, read-only) stops the batch with EnvironmentProblem
    and leaves its manifest "interrupted": finished chunks are kept and it can be resumed.
    """

    if executor == "local":  # its imports overlap our set-up (model._workers; once a session)
        start_server(workers)

    def run_all(sink: MemorySink | DirectorySink) -> list[tuple[int, str]]:
        if executor == "dask":
            from model.batch.dask import execute_dask

            return execute_dask(design, sink, workers, progress, scheduler)
        return execute(design, sink, workers, progress)

    if out is None:
        mem = MemorySink()
        failures = run_all(mem)
        return BatchResult(design, summarize(design, mem), failures, None, mem)
    if kind is None:
        swept = (extra or {}).get("experiment") is not None or len(design.points) > 1
        kind = "sweep" if swept else "run"
    if out.exists() and not out.is_dir():
        rule = "must be a directory (or a path that does not exist yet), not a file"
        raise ExperimentError(problem(str(out), "--out", rule, str(out)))
    fresh = not (out.exists() and any(out.iterdir()))
    if not fresh:
        if not resume:
            raise ExperimentError(
                f"{out}: --out: directory exists and is not empty (use --resume to finish it, "
                f"or another --out); got {str(out)!r}"
            )
        check_resumable(out, design)
    elif resume:
        raise ExperimentError(f"{out}: --resume: no batch to resume there; got {str(out)!r}")
    sink = DirectorySink(out, OutcomeNames.of(design.scenario).issues)
    try:
        sink.open()
    except (NotADirectoryError, FileExistsError):
        rule = "cannot be created (a part of the path is a file)"
        raise ExperimentError(problem(str(out), "--out", rule, str(out))) from None
    except OSError as exc:
        raise EnvironmentProblem(
            f"{out}: cannot create the batch directory: {exc.strerror}"
        ) from None
    try:
        where = executor if scheduler is None else f"{executor} {scheduler}"
        with exclusive(out):
            return _run_in(design, out, sink, run_all, workers, command, kind, extra, where, fresh)
    except OSError as exc:  # the lock or the first manifest could not be written
        raise EnvironmentProblem(_environment_line(out, exc, None, kind)) from None


def run_batches(
    designs: Sequence[Design], workers: int = 1, tallied_only: bool = False
) -> list[BatchResult]:
    """Run several designs in memory as one set of chunks: with workers, one pool runs them all,
    so its start and its last, half-idle round are paid once, and small batches keep every
    worker busy (`summit score` runs one small batch per case). Each result is the one
    `run_batch` gives for its design alone. Every design's rows stay in memory until the last
    chunk is done; ``tallied_only`` keeps just the columns the summary tallies (`tally_columns`:
    ids, summit, agreement, strain, bypasses; about a quarter of a row)."""
    if not designs:
        return []
    start_server(workers)
    sinks = [MemorySink(_tallied(d) if tallied_only else None) for d in designs]
    jobs = [Job(d, c, sink) for d, sink in zip(designs, sinks, strict=True) for c in plan_chunks(d)]
    failed = execute_jobs(jobs, workers)
    return [
        BatchResult(
            d,
            summarize(d, sink),
            [(job.chunk.id, error) for job, error in failed if job.sink is sink],
            None,
            sink,
        )
        for d, sink in zip(designs, sinks, strict=True)
    ]


def _tallied(design: Design) -> list[str]:
    """The run columns the summary of a one-scenario design reads."""
    return tally_columns(OutcomeNames.of(design.scenario).bypass, design.worlds)


def _run_in(
    design: Design,
    out: Path,
    sink: DirectorySink,
    run_all: Any,
    workers: int,
    command: list[str] | None,
    kind: Kind,
    extra: dict[str, Any] | None,
    executor: str,
    fresh: bool,
) -> BatchResult:
    manifest_path = out / "manifest.json"
    manifest = new_manifest(design, workers, command, kind, {})
    manifest["executor"] = executor
    manifest.update(extra or {})
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        for key in ("command", "started", "scenario_files", "experiment", "rerun_of"):
            if key in old:
                manifest[key] = old[key]
        manifest["resumed"] = [*old.get("resumed", []), now()]
        for cid in sink.unreadable():  # a damaged shard: its chunk runs again
            sink.shard(cid).unlink()
    write_json(manifest_path, manifest)
    if design.worlds > 1:
        write_worlds(out, design)
    try:
        failures = run_all(sink)
        summary = summarize(design, sink)
        write_atomic(out / "summary.csv", summary.to_csv(index=False))
        write_atomic(out / "summary.md", format_table(summary, "md") + "\n")
    except KeyboardInterrupt:
        manifest.update(status="interrupted", chunks_done=len(sink.done()))
        mark(manifest_path, manifest)
        raise
    except SummitError:
        # bad input found only when the executor starts (e.g. an unreachable scheduler):
        # leave nothing half-written behind a fresh --out
        if fresh and not sink.done():
            shutil.rmtree(out, ignore_errors=True)
        raise
    except OSError as exc:
        manifest.update(status="interrupted", chunks_done=len(sink.done()), error=str(exc))
        saved = mark(manifest_path, manifest)
        raise EnvironmentProblem(_environment_line(out, exc, saved, kind)) from None
    n_chunks = len(plan_chunks(design))
    first = next(iter(sorted(sink.done())), None)
    runs_columns = [] if first is None else pq.read_schema(sink.shard(first)).names
    manifest.update(
        status="complete" if not failures else "failed",
        finished=now(),
        chunks=n_chunks,
        chunks_done=len(sink.done()),
        chunks_failed=[{"chunk": c, "error": e} for c, e in failures],
        columns={
            "runs": run_dictionary(runs_columns, OutcomeNames.of(design.scenario).issues),
            "summary": summary_dictionary(summary.columns),
        },
    )
    write_json(manifest_path, manifest)
    return BatchResult(design, summary, failures, out, sink)


def _environment_line(out: Path, exc: OSError, saved: bool | None, kind: Kind) -> str:
    """One line for a write the machine refused, and what the batch directory holds now."""
    what = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename or out
    resume = f"summit {'run' if kind == 'run' else 'sweep'} --resume {out}"
    if saved is None:
        return f"{where}: cannot write: {what}; nothing was run"
    state = (
        "marked interrupted"
        if saved
        else "still marked running (the manifest could not be updated)"
    )
    return (
        f"{where}: cannot write: {what}; the batch stopped, {state}, finished chunks kept: make "
        f"room or fix permissions, then `{resume}`"
    )
