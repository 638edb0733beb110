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

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from model import (
    _alloc,  # noqa: F401  (glibc keeps freed temporaries: no page faults per week)
    _threads,  # noqa: F401  (must run before numpy is imported; _alloc imports no numpy)
)

try:
    __version__ = version("summit-sim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

from model.batch import DEFAULT_SEED, BatchResult, Design, read_runs, run_batch
from model.errors import EnvironmentProblem, ExperimentError, ScenarioError, SummitError
from model.scenario import Scenario, load_scenario
from model.sim.summit import SummitModel


def simulate(
    scenario: str | Scenario = "baseline-2024",
    runs: int = 10_000,
    seed: int = DEFAULT_SEED,
    workers: int = 1,
    out: str | Path | None = None,
    points: list[dict[str, Any]] | None = None,
    worlds: int | None = None,
) -> BatchResult:
    """Run a batch in memory (or into ``out``) and return its run rows and summary.

    ``points`` is an optional list of dotted-path overrides, one dict per design point; each point
    gets ``runs`` replications, and the summary has one row per point. ``worlds``: judgement
    worlds drawn from the scenario's ranges (default: as `summit run`; 1 = the point scenario).
    """
    from model.batch.worlds import default_worlds

    scn = load_scenario(scenario) if isinstance(scenario, str) else scenario
    pts = points or [{}]
    factors = sorted({k for p in pts for k in p})
    design = Design(
        scn, replications=runs, root_seed=seed, points=pts, factors=factors,
        worlds=worlds or default_worlds(scn, runs),
    )  # fmt: skip
    return run_batch(design, out=Path(out) if out is not None else None, workers=workers)


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
