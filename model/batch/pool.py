"""A pool of worker processes that survives its workers: a worker that dies (killed, out of
memory) costs at most its own chunk.

When a worker dies, Python's process pool is broken and fails every chunk in flight. Here the
pool is replaced and those chunks run again, one at a time, so the chunk that kills its worker
is found: it is retried up to `MAX_ATTEMPTS` times alone and then recorded as failed, while the
others finish. Workers ignore SIGINT: Ctrl-C reaches the submitting process only, which stops the
pool, and no worker prints a traceback.

While the worker server is not up yet (it is an interpreter importing the model, ≈ 1.3 s, and
a pool's first submission waits for it), the submitting process runs chunks itself, as with one
worker, instead of waiting idle (`run_while_starting`). Chunks are planned from the design
alone, so where a chunk runs does not change its rows.
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
# How long a batch waits to hear that the worker server is up before the submitting process
# starts on the chunks itself: a running server forks a process in ≈ 20 ms, one that has to start
# first takes ≈ 1.3 s (measured on the development machine, docs/PERFORMANCE.md round 4).
WARM_WAIT = 0.1
Task = Callable[[Design, Chunk], pd.DataFrame]
Sink = MemorySink | DirectorySink


def _quiet_worker() -> None:
    """Ctrl-C is the submitting process's business: a worker neither stops nor prints."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_encoded(task: Task, design: Design, chunk: Chunk, issues: tuple[str, ...]) -> Encoded:
    """Run a chunk and encode its shard in the worker (see `store.Encoded`)."""
    return encode_shard(task(design, chunk), issues)


def run_here(
    task: Task,
    design: Design,
    chunk: Chunk,
    sink: Sink,
    failures: list[tuple[int, str]],
    tick: Callable[[int], None],
) -> None:
    """Run one chunk in this process and write it through ``sink``; an error is recorded in
    ``failures`` and the sink, and the batch goes on (failure isolation)."""
    t0 = time.perf_counter()
    try:
        df = task(design, chunk)
    except Exception as exc:
        failures.append((chunk.id, f"{type(exc).__name__}: {exc}"))
        sink.fail(chunk, failures[-1][1])
        return
    sink.write(chunk, df, time.perf_counter() - t0)
    tick(chunk.runs)


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
    run_while_starting: bool = True,
) -> list[tuple[int, str]]:
    """Run ``chunks`` with ``task`` on ``workers`` processes; write each through ``sink`` as it
    finishes; return the failures (chunk id, error).

    With ``run_while_starting``, this process runs chunks itself until the worker server is up
    (if it is not within `WARM_WAIT`); such a chunk has the one-worker path's
    isolation, not the pool's (tests of the pool's isolation turn it off)."""
    failures: list[tuple[int, str]] = []
    todo = deque(chunks)
    suspects: deque[Chunk] = deque()  # in flight when a worker died: run again, one at a time
    deaths: dict[int, int] = {}  # chunk id → times its worker died while it ran alone
    # a chunk's rows (a DataFrame), or with a DirectorySink its encoded shard (Encoded)
    pending: dict[Future[Any], tuple[Chunk, float]] = {}
    limit = 2 * workers  # bounded in flight: memory does not grow with the batch
    up = _workers.server_up() if run_while_starting else None
    if up is not None and not up.wait(WARM_WAIT):
        # the worker server is still starting: use this core meanwhile (whole chunks; the
        # workers may wait up to one chunk's time for their first, which costs less than this
        # process idling through the server's start)
        while todo and not up.is_set():
            run_here(task, design, todo.popleft(), sink, failures, tick)
    pool = _new_pool(workers)  # its first submission waits for the server, if it is not up

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
