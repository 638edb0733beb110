"""The batch runner: a design → chunks run by an executor → a result store → the summary.

One runner serves `summit run`, `summit sweep` and the Python API. The summary is folded from the
shards in chunk order, so it is identical for any worker count or executor.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from model.batch.design import Design, plan_chunks
from model.batch.executors import Progress, execute
from model.batch.store import (
    DirectorySink,
    MemorySink,
    check_resumable,
    exclusive,
    new_manifest,
    now,
    write_atomic,
    write_json,
)
from model.errors import ExperimentError, SummitError
from model.results.summary import PointTally, summary_table, tally
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
    bypass = OutcomeNames.of(design.scenario).bypass
    tallies: dict[int, PointTally] = tally(sink.frames_in_order(), design.scenario.weeks, bypass)
    scn = design.scenario
    return summary_table(
        tallies, scn.name, design.points, design.factors, bypass, scn.spec.meta.start
    )


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
) -> BatchResult:
    """Run a design; with ``out``, stream to a batch directory (manifest, shards, summaries).

    ``extra`` adds provenance to the manifest (e.g. the experiment file); ``executor`` is
    "local" (in-process or a process pool) or "dask" (a local cluster, or ``scheduler``).
    """

    def run_all(sink: MemorySink | DirectorySink) -> list[tuple[int, str]]:
        if executor == "dask":
            from model.batch.dask import execute_dask

            return execute_dask(design, sink, workers, progress, scheduler)
        return execute(design, sink, workers, progress)

    if out is None:
        mem = MemorySink()
        failures = run_all(mem)
        return BatchResult(design, summarize(design, mem), failures, None, mem)
    manifest_path = out / "manifest.json"
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
    sink = DirectorySink(out)
    with exclusive(out):
        manifest = new_manifest(design, workers, command)
        manifest["executor"] = executor if scheduler is None else f"{executor} {scheduler}"
        manifest.update(extra or {})
        if manifest_path.exists():
            old = json.loads(manifest_path.read_text())
            manifest["started"] = old.get("started", manifest["started"])
            manifest["resumed"] = [*old.get("resumed", []), now()]
        write_json(manifest_path, manifest)
        try:
            failures = run_all(sink)
        except KeyboardInterrupt:
            manifest.update(status="interrupted", chunks_done=len(sink.done()))
            write_json(manifest_path, manifest)
            raise
        except SummitError:
            # bad input found only when the executor starts (e.g. an unreachable scheduler):
            # leave nothing half-written behind a fresh --out
            if fresh and not sink.done():
                shutil.rmtree(out, ignore_errors=True)
            raise
        summary = summarize(design, sink)
        write_atomic(out / "summary.csv", summary.to_csv(index=False))
        write_atomic(out / "summary.md", format_table(summary, "md") + "\n")
        n_chunks = len(plan_chunks(design))
        manifest.update(
            status="complete" if not failures else "failed",
            finished=now(),
            chunks=n_chunks,
            chunks_done=len(sink.done()),
            chunks_failed=[{"chunk": c, "error": e} for c, e in failures],
        )
        write_json(manifest_path, manifest)
    return BatchResult(design, summary, failures, out, sink)
