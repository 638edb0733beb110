"""The `summit` command: thin verbs over the batch machinery and the analyses.

`program` is the command itself (the console script and `python -m model.cli`);
`model.cli.main.main` runs it on a given argument list (the tests). This module imports nothing
of the command until `program` runs, so that a Ctrl-C while the command loads is caught too.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
from types import FrameType

__all__ = ["program"]

INTERRUPTED = 130  # the exit code of an interrupted command (128 + SIGINT, as shells report)


def program() -> None:
    """The `summit` program: `main` on this process's command line.

    At exit the interpreter's last garbage collection walks every object the imports made
    (pandas, pyarrow, Mesa's scipy and networkx): ≈ 0.3 s of a 1.5–2.5 s command, for memory
    the process gives back anyway. Freezing them (`gc.freeze`, in an atexit hook, which runs
    before that collection) skips it; the project's writes are closed before then (atomic
    renames), and the standard streams are flushed at exit as always."""
    atexit.register(gc.freeze)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if ignored (`&`)
        signal.signal(signal.SIGINT, _interrupt_once)
    try:
        from model.cli.main import main
    except KeyboardInterrupt:  # Ctrl-C while the command loads: nothing has started yet
        print("interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    try:
        main()
    except SystemExit as exc:
        if exc.code == INTERRUPTED:
            _leave_now()
        raise


def _interrupt_once(signum: int, frame: FrameType | None) -> None:
    """The first Ctrl-C stops the command (a KeyboardInterrupt, as by default); later ones are
    ignored while it stops: the pool's workers ended and waited for, the manifest marked
    "interrupted", the one line printed (bounded waits, normally milliseconds). A second press
    used to land in the middle of that and print its own traceback (a double Ctrl-C, 1 time in
    12 with presses 0–0.1 s apart)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _leave_now() -> None:
    """Exit an interrupted command without waiting on the process pool's helper threads.

    The one line is printed and the manifest says "interrupted"; the pool's workers are
    stopped, a Dask cluster is closed. But the interpreter's exit joins ProcessPoolExecutor's
    manager thread with no time limit, and that thread once waited for ever on a worker stopped
    mid-message (`model.batch.pool._stop` closes that case and waits for the thread a bounded
    time; a later hang was a worker the pool never knew of, closed by `pool._ctrl_c_held`). So,
    that no unforeseen wait keeps an interrupted command alive: run multiprocessing's
    finalizers that release resources (priority ≥ 0: the queues' semaphores, which the resource
    tracker would otherwise report as leaked; not the ones that join threads), flush, and
    leave."""
    import multiprocessing.util

    from model import _workers

    _workers.settle(timeout=10)  # a probe of the worker server still being forked
    multiprocessing.util._run_finalizers(0)  # type: ignore[attr-defined]
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED)
