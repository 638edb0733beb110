"""summit-sim: agent-based scenarios of summit diplomacy.

A small API for notebooks::

    from model import load_scenario, simulate
    scn = load_scenario("baseline-2024").with_values({"actors.ROK.openness": 0.9})
    res = simulate(scn, runs=2000, seed=1)
    res.summary          # one row per design point (pandas DataFrame)
    res.runs             # one row per run

See docs/API.md.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from model import (
    _alloc,  # noqa: F401  (glibc keeps freed temporaries: no page faults per week)
    _threads,  # noqa: F401  (must run before numpy is imported; _alloc imports no numpy)
)

try:
    __version__ = version("summit-sim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

# The names below are imported when first used (PEP 562), not with the package: `import model`
# stays light, so that `summit run --workers 2` can start its worker server (which imports the
# model, ≈ 1.5 s) before this process imports the model too, and the two overlap
# (`model._workers`, docs/PERFORMANCE.md round 3).
_LAZY = {
    "BatchResult": "model.batch",
    "Design": "model.batch",
    "read_runs": "model.batch",
    "run_batch": "model.batch",
    "EnvironmentProblem": "model.errors",
    "ExperimentError": "model.errors",
    "ScenarioError": "model.errors",
    "SummitError": "model.errors",
    "Scenario": "model.scenario",
    "load_scenario": "model.scenario",
    "SummitModel": "model.sim.summit",
    "simulate": "model.api",
}

if TYPE_CHECKING:
    from model.api import simulate
    from model.batch import BatchResult, Design, read_runs, run_batch
    from model.errors import EnvironmentProblem, ExperimentError, ScenarioError, SummitError
    from model.scenario import Scenario, load_scenario
    from model.sim.summit import SummitModel


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'model' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # found once; later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "BatchResult",
    "Design",
    "EnvironmentProblem",
    "ExperimentError",
    "Scenario",
    "ScenarioError",
    "SummitError",
    "SummitModel",
    "__version__",
    "load_scenario",
    "read_runs",
    "run_batch",
    "simulate",
]
