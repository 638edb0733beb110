"""Single-threaded BLAS: summit-sim parallelises over processes, never inside numpy.

A multi-threaded BLAS leaves idle threads spinning on the cores that the other worker processes
need. This runs on the first import of the package, before numpy is imported, and is inherited by
worker processes; a user's own setting of these variables wins.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
