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
alone, so where a chunk runs does not change its rows. Such a chunk is not isolated as a
worker's is: if it kills its process (out of memory), the batch stops there, resumable.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from model import _workers
from model.batch.design import DEFAULT_CHUNK_RUNS, Chunk, Design
from model.batch.store import DirectorySink, Encoded, MemorySink, encode_shard

MAX_ATTEMPTS = 3  # runs of a chunk alone whose worker died, before it is recorded as failed
# How long a batch waits to hear that the worker server is up before the submitting process
# starts on the chunks itself: a running server forks a process in ≈ 20 ms, one that has to start
# first takes ≈ 1.3 s (measured on the development machine, docs/PERFORMANCE.md round 4).
WARM_WAIT = 0.1
STOP_WAIT = 5.0  # s to wait for each worker, and the manager thread, of a pool being stopped
Task = Callable[[Design, Chunk], pd.DataFrame]
Sink = MemorySink | DirectorySink


def _quiet_worker() -> None:
    """Ctrl-C is the submitting process's business: a worker neither stops nor prints."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C back until the block ends, then deliver it as it came.

    Submitting to the pool may start a worker: the server forks it, this process writes it its
    arguments and then reads its pid. A KeyboardInterrupt raised in between leaves a worker this
    process does not know of, so `_stop` neither ends nor waits for it: it then fails to open the
    queues' semaphores this process unlinks at exit (a traceback: CI, the Ctrl-C test) or, if it
    opened them first, waits on its queue for ever, holding the terminal's stderr (a Ctrl-C that
    hangs). Held back, the interrupt comes once the worker is the pool's, at most the server's
    start (≈ 1.3 s) later. Only the main thread gets signals, so elsewhere there is nothing to
    hold; nor can a handler set outside Python (`getsignal` is None) be put back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.getsignal(signal.SIGINT)
    if old is None:
        yield
        return
    came: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if came:  # again, to the handler that was there: KeyboardInterrupt, ignored, or exit
            signal.raise_signal(signal.SIGINT)


def _run_encoded(task: Task, design: Design, chunk: Chunk, issues: tuple[str, ...]) -> Encoded:
    """Run a chunk and encode its shard in the worker (see `store.Encoded`)."""
    return encode_shard(task(design, chunk), issues)


@dataclass(frozen=True, eq=False)  # compared by identity: a job is one run of one chunk
class Job:
    """One chunk of one design, and the sink its rows go to. A pool can run the chunks of
    several designs at once (`model.batch.runner.run_batches`)."""

    design: Design
    chunk: Chunk
    sink: Sink


Failure = tuple[Job, str]  # a job whose chunk failed, and the error


def run_here(task: Task, job: Job, tick: Callable[[int], None]) -> str | None:
    """Run one job in this process and write it through its sink; return the error of a chunk
    that failed (it is recorded in the sink, and the batch goes on: failure isolation)."""
    t0 = time.perf_counter()
    try:
        df = task(job.design, job.chunk)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        job.sink.fail(job.chunk, error)
        return error
    job.sink.write(job.chunk, df, time.perf_counter() - t0)
    tick(job.chunk.runs)
    return None


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # workers are forks of a server that has the model loaded (`model._workers`); the server
    # starts now unless a command started it earlier
    ctx = _workers.context()
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_quiet_worker)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what has not started, end the workers still running, and wait
    (up to `STOP_WAIT` s each) for them and for the pool's manager thread to be gone.

    A worker ended while it sends a result leaves part of a message in the result pipe, and
    the pool's manager thread waits for the rest for ever; the interpreter's exit waits for that
    thread (a Ctrl-C that never ends: seen in the Ctrl-C test). So this process also closes its
    own end of the pipe for writing: once the workers are gone no writer is left, the wait ends
    in an end of file, and the manager thread takes the pool as broken and cleans up after it
    (CPython's `_ExecutorManagerThread.terminate_broken`).

    Waiting for the workers: a worker still starting would fail to open the queues' semaphores
    once this process unlinks them at exit (a traceback). Waiting for the manager thread: as it
    ends it lets go of the queues, and their semaphores are unlinked and then struck off the
    resource tracker's list in that thread; an interrupted command that leaves with `os._exit`
    (`model.cli.program`) while that is half done leaves the tracker warning of a "leaked"
    semaphore it then fails to unlink (one interrupted run in 15). Once the thread is joined,
    the queues are released in this thread (checked: every unlink then ran in the main thread,
    and 30 interrupted runs in 30 printed one line)."""
    with _ctrl_c_held():  # a second Ctrl-C (a notebook's) comes after, not half-way
        procs = list((getattr(pool, "_processes", None) or {}).values())
        results = getattr(pool, "_result_queue", None)  # shutdown() lets go of these
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=STOP_WAIT)
        writer = getattr(results, "_writer", None)
        if writer is not None:
            writer.close()
        if manager is not None:
            manager.join(timeout=STOP_WAIT)


def run_in_pool(
    jobs: list[Job],
    workers: int,
    tick: Callable[[int], None],
    task: Task,
    run_while_starting: bool = True,
) -> list[Failure]:
    """Run ``jobs`` with ``task`` on ``workers`` processes; write each through its sink as it
    finishes; return the failures (job, error), in the order of ``jobs``.

    With ``run_while_starting``, this process runs chunks itself until the worker server is up
    (if it is not within `WARM_WAIT`), chunks of up to `DEFAULT_CHUNK_RUNS` runs: a chunk it
    starts just before the server is up keeps the workers waiting until it ends, so a larger
    one could cost more than it gains. Such a chunk has the one-worker path's isolation, not the
    pool's: a chunk that kills its process kills the batch (its finished chunks are kept). The
    tests of the pool's isolation turn it off."""
    if not jobs:  # nothing to run (a finished batch resumed): no server, no pool
        return []
    failures: list[Failure] = []
    order = {job: i for i, job in enumerate(jobs)}
    todo = deque(jobs)
    suspects: deque[Job] = deque()  # in flight when a worker died: run again, one at a time
    deaths: dict[Job, int] = {}  # times a job's worker died while it ran alone
    # a chunk's rows (a DataFrame), or with a DirectorySink its encoded shard (Encoded)
    pending: dict[Future[Any], tuple[Job, float]] = {}
    limit = 2 * workers  # bounded in flight: memory does not grow with the batch
    settled = _workers.server_up() if run_while_starting else None
    if settled is not None and not settled.wait(WARM_WAIT):
        # the worker server is still starting: use this core meanwhile (whole chunks; the
        # workers may wait up to one chunk's time for their first, which costs less than this
        # process idling through the server's start)
        while todo and not settled.is_set() and todo[0].chunk.runs <= DEFAULT_CHUNK_RUNS:
            job = todo.popleft()
            error = run_here(task, job, tick)
            if error is not None:
                failures.append((job, error))
    pool = _new_pool(workers)  # its first submission waits for the server, if it is not up

    def fail(job: Job, error: str) -> None:
        failures.append((job, error))
        job.sink.fail(job.chunk, error)

    def submit(queue: deque[Job]) -> None:
        job = queue[0]
        fut: Future[Any]
        with _ctrl_c_held():  # a submission may start a worker (see `_ctrl_c_held`)
            if isinstance(job.sink, DirectorySink):  # the worker encodes the shard: we save bytes
                fut = pool.submit(_run_encoded, task, job.design, job.chunk, job.sink.issues)
            else:
                fut = pool.submit(task, job.design, job.chunk)
        pending[fut] = (job, time.perf_counter())
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
                    job, t0 = pending.pop(fut)
                    try:
                        df = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        pending[fut] = (job, t0)  # lost with the others, below
                        continue
                    except Exception as exc:  # failure isolation: record, keep going
                        fail(job, f"{type(exc).__name__}: {exc}")
                        continue
                    job.sink.write(job.chunk, df, time.perf_counter() - t0)
                    tick(job.chunk.runs)
            if not broken:
                continue
            lost = sorted((job for job, _ in pending.values()), key=order.__getitem__)
            pending.clear()
            _stop(pool)
            pool = _new_pool(workers)
            for job in lost:
                if alone:  # it ran alone: its own worker died
                    deaths[job] = deaths.get(job, 0) + 1
                if deaths.get(job, 0) >= MAX_ATTEMPTS:
                    fail(job, f"WorkerDied: its worker process died on all {MAX_ATTEMPTS} runs "
                              "alone (killed, or out of memory?)")  # fmt: skip
                else:
                    suspects.append(job)
    finally:
        _stop(pool)
    return sorted(failures, key=lambda f: order[f[0]])
