"""Run a batch's chunks on Dask: a local cluster, or an existing scheduler (e.g. SLURM workers).

The contract is the local executor's (``model.batch.executors.execute``): the same chunks
(planned from the design, never from the worker count), the same ``run_chunk``, and the
submitting process writes every finished chunk through the sink. So the seeding contract holds
unchanged: same design and seed ⇒ the same shards and the same ``summary.csv`` as a local run,
and ``--resume`` works the same (chunks the sink already has are not submitted).

Dask is an optional extra; it is imported only when this executor is chosen.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from asyncio import CancelledError
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.batch.design import Chunk, Design, plan_chunks
from model.batch.executors import Progress, run_chunk
from model.batch.store import DirectorySink, MemorySink
from model.errors import ExperimentError

if TYPE_CHECKING:
    from distributed import Client, Future

MISSING = "--executor dask needs the optional extra: pip install 'summit-sim[dask]'"
IN_FLIGHT_PER_WORKER = 2  # enough to keep each worker busy while its next chunk travels


def execute_dask(
    design: Design,
    sink: MemorySink | DirectorySink,
    workers: int,
    progress: Progress | None,
    scheduler: str | None,
) -> list[tuple[int, str]]:
    """Run every chunk the sink does not have yet on Dask; return the failures (chunk id, error).

    With ``scheduler`` None, a local cluster of ``workers`` single-threaded worker processes is
    started and shut down here. With an address, a client connects to that scheduler and only the
    client is closed: the cluster belongs to whoever started it.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExperimentError(MISSING) from None

    chunks = [c for c in plan_chunks(design) if c.id not in sink.done()]
    if not chunks:
        return []
    # ExitStack closes the client, then the cluster, on any exit (KeyboardInterrupt included).
    # Closing the client also releases its futures, so the scheduler drops unfinished chunks.
    with ExitStack() as stack:
        stop = stack.enter_context(_ctrl_c_between_chunks())
        if scheduler is None:
            with _ctrl_c_ignored():  # inherited by the cluster's processes: they print nothing
                cluster = LocalCluster(
                    n_workers=max(1, workers),
                    # one chunk per process: the model is numpy-bound and holds the GIL in between
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",  # loopback only: nothing listens on the network
                    # The scheduler serves HTTP (health, metrics) even without a dashboard, by
                    # default on port 8787 with a warning when that is taken: ask for any free
                    # loopback port instead, and no dashboard (which would need bokeh).
                    dashboard_address="127.0.0.1:0",
                    scheduler_kwargs={"dashboard": False},
                    # not the warnings about chunks cancelled when the batch is interrupted
                    silence_logs=logging.ERROR,
                )
            stack.enter_context(cluster)
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler))
            # OSError: nothing answers (distributed's connect timeout is one); ValueError: not an
            # address (no port, unknown scheme)
            except (OSError, ValueError) as exc:
                raise ExperimentError(
                    f"--scheduler: cannot connect to a Dask scheduler ({exc}); got {scheduler!r}"
                ) from None
        return _run(client, design, sink, chunks, workers, progress, stop)


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """SIGINT ignored for a while: processes started meanwhile inherit it, across exec."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def _ctrl_c_between_chunks() -> Iterator[threading.Event]:
    """The first Ctrl-C stops the batch when the next chunk comes back (a KeyboardInterrupt
    inside Dask's event loop makes it log tracebacks); a second one interrupts at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    old = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, old)


def run_chunk_or_error(design: Design, chunk: Chunk) -> pd.DataFrame | str:
    """``run_chunk`` on a worker, with a failure returned as its one-line message.

    Worded on the worker, exactly as the local executor words it, because an exception does not
    always survive pickling intact (its args are rebuilt through ``__init__``), and a task that
    raises makes every worker log a traceback the user has no use for: the sink records it.
    """
    try:
        return run_chunk(design, chunk)
    except Exception as exc:  # failure isolation: this chunk fails, the batch goes on
        return f"{type(exc).__name__}: {exc}"


def _run(
    client: Client,
    design: Design,
    sink: MemorySink | DirectorySink,
    chunks: list[Chunk],
    workers: int,
    progress: Progress | None,
    stop: threading.Event,
) -> list[tuple[int, str]]:
    from distributed import as_completed

    tick = progress or (lambda n: None)
    failures: list[tuple[int, str]] = []
    # scatter needs a running worker; on a batch system the workers may still be queued
    client.wait_for_workers(1)
    # Ship the design (scenario included) to the workers once, not pickled into every task.
    # hash=False: a random key, so two batches sharing a scheduler never alias each other's data.
    shared = client.scatter(design, broadcast=True, hash=False)
    batch = uuid.uuid4().hex[:8]
    todo = iter(chunks)
    pending: dict[Future, tuple[Chunk, float]] = {}

    def limit() -> int:
        # Bounded in flight, so memory does not grow with the batch. On a shared scheduler the
        # cluster may grow (SLURM jobs starting), so the bound follows the threads present now.
        threads = sum(client.nthreads().values())
        return IN_FLIGHT_PER_WORKER * max(workers, threads, 1)

    def top_up(ac: Any) -> None:
        cap = limit()
        while len(pending) < cap and (c := next(todo, None)) is not None:
            # explicit unique keys: identical (design, chunk) tasks are never deduplicated across
            # batches, and the dashboard groups them under "summit-chunk"
            fut = client.submit(run_chunk_or_error, shared, c, key=f"summit-chunk-{batch}-{c.id}")
            pending[fut] = (c, time.perf_counter())
            ac.add(fut)

    finished = as_completed(loop=client.loop)  # futures are added as earlier ones finish
    top_up(finished)
    for fut in finished:
        c, t0 = pending.pop(fut)
        try:
            out = fut.result()
        except (Exception, CancelledError) as exc:
            # the chunk's own errors come back as text; this is the cluster failing it (a worker
            # killed repeatedly, e.g. out of memory: KilledWorker; or the task cancelled, which
            # is a BaseException)
            out = f"{type(exc).__name__}: {exc}"
        if isinstance(out, str):
            failures.append((c.id, out))
            sink.fail(c, out)
        else:
            sink.write(c, out, time.perf_counter() - t0)
            tick(c.runs)
        fut.release()  # the rows are on disk: free them on the cluster now
        if stop.is_set():
            raise KeyboardInterrupt
        top_up(finished)
    return failures
