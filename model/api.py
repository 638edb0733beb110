"""`simulate`: a batch in one call, for notebooks and scripts (docs/API.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.batch import DEFAULT_SEED, BatchResult, Design, chunk_runs_for, run_batch
from model.scenario import Scenario, load_scenario


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
        chunk_runs=chunk_runs_for(runs * len(pts), workers),  # as `summit run`: no idle worker
    )  # fmt: skip
    return run_batch(design, out=Path(out) if out is not None else None, workers=workers)
