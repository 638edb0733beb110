"""A pool of worker processes that survives its workers: a worker that dies (killed, out of
memory) costs at most its own chunk.

When a worker dies, Python's process pool is broken and fails every chunk in flight. Here the
pool is replaced and those chunks run again, one at a time, so the chunk that kills its worker
is found: it is retried up to `MAX_ATTEMPTS` times alone and then recorded as failed, while the
others finish. Workers ignore SIGINT: Ctrl-C reaches the submitting process only, which stops the
pool, and no worker prints a traceback.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pandas as pd

from model import _workers
from model.batch.design import Chunk, Design
from model.batch.store import DirectorySink, Encoded, MemorySink, encode_shard

MAX_ATTEMPTS = 3  # runs of a chunk alone whose worker died, before it is recorded as failed
Task = Callable[[Design, Chunk], pd.DataFrame]


def _quiet_worker() -> None:
    """Ctrl-C is the submitting process's business: a worker neither stops nor prints."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_encoded(task: Task, design: Design, chunk: Chunk, issues: tuple[str, ...]) -> Encoded:
    """Run a chunk and encode its shard in the worker (see `store.Encoded`)."""
    return encode_shard(task(design, chunk), issues)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # workers are forks of a server that has the model loaded (`model._workers`); the server
    # starts now unless a command started it earlier
    ctx = _workers.context()
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_quiet_worker)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what has not started and end the workers still running."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()


def run_in_pool(
    design: Design,
    chunks: list[Chunk],
    sink: MemorySink | DirectorySink,
    workers: int,
    tick: Callable[[int], None],
    task: Task,
) -> list[tuple[int, str]]:
    """Run ``chunks`` with ``task`` on ``workers`` processes; write each through ``sink`` as it
    finishes; return the failures (chunk id, error)."""
    failures: list[tuple[int, str]] = []
    todo = deque(chunks)
    suspects: deque[Chunk] = deque()  # in flight when a worker died: run again, one at a time
    deaths: dict[int, int] = {}  # chunk id → times its worker died while it ran alone
    # a chunk's rows (a DataFrame), or with a DirectorySink its encoded shard (Encoded)
    pending: dict[Future[Any], tuple[Chunk, float]] = {}
    limit = 2 * workers  # bounded in flight: memory does not grow with the batch
    pool = _new_pool(workers)

    def fail(c: Chunk, error: str) -> None:
        failures.append((c.id, error))
        sink.fail(c, error)

    def submit(queue: deque[Chunk]) -> None:
        c = queue[0]
        fut: Future[Any]
        if isinstance(sink, DirectorySink):  # the worker encodes the shard; we save bytes
            fut = pool.submit(_run_encoded, task, design, c, sink.issues)
        else:
            fut = pool.submit(task, design, c)
        pending[fut] = (c, time.perf_counter())
        queue.popleft()  # only once submitted: a broken pool refuses it, and it stays queued

    try:
        while todo or suspects or pending:
            broken = False
            try:
                if suspects and not pending:
                    submit(suspects)
                while not suspects and todo and len(pending) < limit:
                    submit(todo)
            except BrokenProcessPool:
                broken = True  # a worker died since the last wait
            alone = len(pending) == 1
            if not broken:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    c, t0 = pending.pop(fut)
                    try:
                        df = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        pending[fut] = (c, t0)  # lost with the others, below
                        continue
                    except Exception as exc:  # failure isolation: record, keep going
                        fail(c, f"{type(exc).__name__}: {exc}")
                        continue
                    sink.write(c, df, time.perf_counter() - t0)
                    tick(c.runs)
            if not broken:
                continue
            lost = sorted((c for c, _ in pending.values()), key=lambda c: c.id)
            pending.clear()
            _stop(pool)
            pool = _new_pool(workers)
            for c in lost:
                if alone:  # it ran alone: its own worker died
                    deaths[c.id] = deaths.get(c.id, 0) + 1
                if deaths.get(c.id, 0) >= MAX_ATTEMPTS:
                    fail(c, f"WorkerDied: its worker process died on all {MAX_ATTEMPTS} runs "
                            "alone (killed, or out of memory?)")  # fmt: skip
                else:
                    suspects.append(c)
    finally:
        _stop(pool)
    return failures
