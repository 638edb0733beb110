"""The `summit` command: thin verbs over the batch machinery and the analyses.

`program` is the command itself (the console script and `python -m model.cli`);
`model.cli.main.main` runs it on a given argument list (the tests). This module imports nothing
of the command until `program` runs, so that a Ctrl-C while the command loads is caught too.
"""

from __future__ import annotations

import atexit
import gc
import sys

__all__ = ["program"]


def program() -> None:
    """The `summit` program: `main` on this process's command line.

    At exit the interpreter's last garbage collection walks every object the imports made
    (pandas, pyarrow, Mesa's scipy and networkx): ≈ 0.3 s of a 1.5–2.5 s command, for memory
    the process gives back anyway. Freezing them (`gc.freeze`, in an atexit hook, which runs
    before that collection) skips it; the project's writes are closed before then (atomic
    renames), and the standard streams are flushed at exit as always."""
    atexit.register(gc.freeze)
    try:
        from model.cli.main import main
    except KeyboardInterrupt:  # Ctrl-C while the command loads: nothing has started yet
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    main()
