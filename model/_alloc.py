"""Keep freed numpy temporaries in the heap instead of handing them back to the OS (glibc only).

The weekly step makes a few hundred array temporaries of 0.1–4 MB each. glibc serves blocks above
its mmap threshold (128 KiB at start, adapting upwards) with fresh `mmap`s and trims the heap top
back to the OS, so the same memory is unmapped and faulted in again, page by page, every week:
about 2,400 minor page faults per week at 10,000 replications, which made a (R, 7, 3) product cost
1.3 ms inside the model against 54 µs in warm memory (docs/PERFORMANCE.md). Raising the mmap and
trim thresholds keeps those blocks in the heap for reuse. Only the allocator's bookkeeping
changes, never a number: results are bit for bit the same.

The cost is memory that stays mapped after it is freed: at most the trim threshold plus the pad
above the largest live set, which is bounded by the chunk size, not by the number of runs. This
runs on the first import of the package and is inherited by forked workers. A user who sets any
of glibc's ``MALLOC_*_`` variables keeps their own setting; on other C libraries it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameter numbers, from glibc's <malloc.h>
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit (HEAP_MAX_SIZE / 2)
TRIM_THRESHOLD = 256 * 2**20
TOP_PAD = 16 * 2**20
_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX")


def tune() -> bool:
    """Apply the thresholds; True if glibc accepted them."""
    if not sys.platform.startswith("linux") or any(v in os.environ for v in _ENV):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    ok &= mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    ok &= mallopt(M_TOP_PAD, TOP_PAD)
    return bool(ok)


TUNED = tune()
