"""Running chunks: one SummitModel per chunk, in this process or in a pool of worker processes.

Chunks are planned from the design, never from the worker count, and the submitting process
writes every finished chunk through the sink, so results are identical for any number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from model.batch.design import Chunk, Design, plan_chunks
from model.batch.pool import Failure, Job, Task, run_here, run_in_pool
from model.batch.store import DirectorySink, MemorySink
from model.sim.summit import SummitModel

Progress = Callable[[int], None]


def chunk_overrides(design: Design, chunk: Chunk) -> dict[str, Any]:
    """Per-row values of a chunk, under the chunk's scenario: each row's world's drawn values,
    then its point's overrides (a swept value wins over the world's draw of the same value)."""
    scenario = design.scenario_of(chunk)
    overrides: dict[str, Any] = {}
    if design.worlds > 1 and scenario.uncertain:
        rows_world = design.world_index(chunk)
        table = design.world_table_of(scenario)
        for path in scenario.uncertain:
            overrides[path] = table[path].to_numpy()[rows_world]
    paths = sorted({k for b in chunk.blocks for k in design.points[b.point]})
    base = scenario.values()
    starts = np.cumsum([0] + [b.size for b in chunk.blocks])
    for path in paths:
        if path == "model.rule":
            overrides[path] = design.points[chunk.blocks[0].point][path]
            continue
        column = overrides.get(path)
        if column is None:
            column = np.full(chunk.runs, float(base.get(path, np.nan)))
        for i, b in enumerate(chunk.blocks):
            if path in design.points[b.point]:
                column[starts[i] : starts[i + 1]] = float(design.points[b.point][path])
        overrides[path] = column
    return overrides


def run_chunk(design: Design, chunk: Chunk) -> pd.DataFrame:
    """Run one chunk: one SummitModel over all its rows, each row with its own values, under
    the chunk's scenario."""
    overrides = chunk_overrides(design, chunk)
    model = SummitModel(
        design.scenario_of(chunk),
        blocks=list(chunk.blocks),
        root_seed=design.root_seed,
        overrides=overrides,
    )
    rows = pd.DataFrame({**model.run().outcomes(), **design.labels(chunk)})
    model.release()  # memory must not grow with the number of chunks (see release)
    return rows


def execute(
    design: Design,
    sink: MemorySink | DirectorySink,
    workers: int = 1,
    progress: Progress | None = None,
    task: Task | None = None,
    run_while_starting: bool = True,
) -> list[tuple[int, str]]:
    """Run every chunk the sink does not have yet; return the failures (chunk id, error).

    With more than one worker, chunks run in a process pool that replaces a worker that dies
    (`model.batch.pool`); this process runs chunks itself while the pool's workers start
    (``run_while_starting``). ``task`` stands in for `run_chunk` (tests: a chunk that kills its
    worker)."""
    jobs = [Job(design, c, sink) for c in plan_chunks(design) if c.id not in sink.done()]
    failed = execute_jobs(jobs, workers, progress, task, run_while_starting)
    return [(job.chunk.id, error) for job, error in failed]


def execute_jobs(
    jobs: list[Job],
    workers: int = 1,
    progress: Progress | None = None,
    task: Task | None = None,
    run_while_starting: bool = True,
) -> list[Failure]:
    """Run jobs, chunks of one design or of several (`execute`); return the failures (job,
    error) in the order of ``jobs``."""
    tick = progress or (lambda n: None)
    if workers > 1:
        return run_in_pool(jobs, workers, tick, task or run_chunk, run_while_starting)
    failures = []
    for job in jobs:
        error = run_here(task or run_chunk, job, tick)
        if error is not None:
            failures.append((job, error))
    return failures
