"""The process pool's worker server (multiprocessing's forkserver), and starting it early.

Workers are forks of one server process that has imported the model once (`PRELOAD`), so each
starts with the model loaded. Starting that server is an interpreter importing the model: ≈ 1.5 s
on the development machine, in which no chunk runs. `summit run` and the other verbs that run
batches start it (`start_server`) before they import the model themselves, so the two imports
overlap on two cores instead of following each other: `summit run --runs 10000 --workers 2`
took 3.5 / 4.0 / 5.4 s before and 2.5 / 3.1 / 3.1 s after (docs/PERFORMANCE.md, round 3).

Why a forkserver and not fork(): the submitting process has threads (pyarrow's, tqdm's), and
fork() from a process with threads is unsafe (and warned about). This module imports nothing of
the model, so importing it costs nothing.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from multiprocessing import forkserver
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # defined only where forkserver exists (not on Windows): not at import time
    from multiprocessing.context import ForkServerContext

PRELOAD = ["model.batch.executors"]  # what every worker needs: the model and the executors


class _Probe:
    """Whether the worker server is up, learned by forking one trivial process from it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settled = threading.Event()  # the probe finished: the server is up, or failed
        self.up_pid: int | None = None  # the server that answered (None: none did)
        self.thread: threading.Thread | None = None


_probe = _Probe()


def context() -> ForkServerContext:
    """The forkserver context, with the model preloaded into its server."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_server(workers: int, executor: str = "local") -> None:
    """With a local pool of ``workers`` > 1 ahead, start the worker server now, if it is not
    running; it loads the model while the caller goes on (a pool made later connects to it and
    waits only for what is left of its start). Otherwise nothing."""
    if workers > 1 and executor == "local":
        _ensure_running()


def _ensure_running() -> None:
    """Start the server, if it is not running, with SIGINT ignored. It inherits that, and Python
    keeps a signal ignored at its start ignored: a Ctrl-C during the server's ≈ 1.3 s of imports
    then neither kills it nor prints its traceback (the forkserver ignores SIGINT only once its
    imports are done). Ctrl-C is the submitting process's business (`model.batch.pool`).

    The server is one per process (multiprocessing's), so any other user of the forkserver
    context in this process (on Python ≥ 3.14 the default start method on Linux) gets workers
    that have the model preloaded and ignore SIGINT."""
    context()
    if threading.current_thread() is not threading.main_thread():  # signals: main thread only
        forkserver.ensure_running()
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        if old is not None:  # None: a handler set outside Python, which cannot be restored
            signal.signal(signal.SIGINT, old)


def _server_pid() -> int | None:
    pid: int | None = getattr(forkserver._forkserver, "_forkserver_pid", None)
    return pid


def _nothing() -> None:
    """What the process forked to learn that the server is up runs."""


def server_up() -> threading.Event:
    """Start the worker server if needed, and learn when it is up: an event set once that is
    settled (the server forked a process, or starting it failed: a pool made then reports why).

    Learning it needs a fork, and a fork waits for the server to start (a pool's first
    submission waits likewise, holding the pool's lock). So a thread of its own asks, and the
    caller goes on meanwhile: `model.batch.pool` runs chunks in this process until the event is
    set. Once the server answered, the answer holds until the server is replaced (it died, and
    `_ensure_running` started another): then it is asked again."""
    _ensure_running()  # here, not in the thread: only the main thread sets signals
    pr = _probe
    with pr.lock:
        asking = pr.thread is not None and pr.thread.is_alive()
        answered = pr.settled.is_set() and pr.up_pid is not None and pr.up_pid == _server_pid()
        if not asking and not answered:
            pr.settled.clear()
            pr.up_pid = None
            pr.thread = threading.Thread(target=_ask, name="worker-server-up", daemon=True)
            pr.thread.start()
    return pr.settled


def _ask() -> None:
    pr = _probe
    try:
        probe = context().Process(target=_nothing, daemon=True)
        probe.start()  # returns once the server has forked it
        probe.join()
        pr.up_pid = _server_pid()
    except Exception:  # the server cannot start (or we are a daemonic worker): a pool made
        pass  # now, without the answer, fails with the reason, as it always did
    finally:
        pr.settled.set()


def settle(timeout: float) -> None:
    """Wait (up to ``timeout`` s) for a probe still in flight: a process leaving with
    `os._exit` while the server forks the probe would leave it reading from a closed pipe, and
    it prints a traceback (`model.cli.program`, an interrupted command)."""
    thread = _probe.thread
    if thread is not None:
        thread.join(timeout)
