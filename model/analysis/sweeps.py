"""Reading a finished sweep as the analyses need it: manifest, design points, factors, summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.labels import words_for_path
from model.errors import ExperimentError


@dataclass(frozen=True)
class Sweep:
    """A finished batch directory as the analyses need it."""

    path: Path
    manifest: dict[str, Any]
    points: list[dict[str, Any]]
    factors: list[str]
    sampler: str
    replications: int
    seed: int
    spec: dict[str, Any] | None  # the experiment (ExperimentFile as JSON), if one was recorded
    summary: pd.DataFrame

    def label(self, path: str) -> str:
        """The factor's ``label`` from the experiment file, else its path in words."""
        for f in (self.spec or {}).get("factors", []):
            if f.get("path") == path and f.get("label"):
                return str(f["label"])
        return words_for_path(path)

    @property
    def scenarios(self) -> list[str]:
        """The scenarios the batch ran (several when the scenario was a factor)."""
        return list(self.manifest["design"].get("scenarios") or [self.manifest["scenario"]])

    def one_scenario(self, analysis: str) -> None:
        """Refuse, in one line, an analysis that reads one scenario's design points."""
        if len(self.scenarios) > 1:
            rule = (
                f"{analysis} reads one scenario's points, and this batch varies the scenario "
                f"(summit compare {self.path} compares them; a sweep per scenario can be analysed)"
            )
            raise ExperimentError(
                f"{self.path}: manifest.json: design.scenarios: {rule}; got {self.scenarios}"
            )

    def factor_frame(self) -> pd.DataFrame:
        """Factor values by point id (index ``point``), straight from the manifest's design."""
        frame = pd.DataFrame(self.points, columns=self.factors)
        frame.index.name = "point"
        return frame


def load_sweep(batch_dir: Path) -> Sweep:
    """Read manifest and summary of a finished batch; refuse unfinished or failed ones."""
    from model.batch import load_manifest
    from model.results.tables import read_summary

    manifest = load_manifest(batch_dir)
    status = manifest.get("status")
    if status != "complete":
        raise ExperimentError(
            f"{batch_dir}: manifest.json: status: the analysis needs a complete batch "
            f"(finish it with summit sweep --resume {batch_dir}); got {status!r}"
        )
    design = manifest["design"]
    spec = (manifest.get("experiment") or {}).get("spec")
    return Sweep(
        path=batch_dir,
        manifest=manifest,
        points=list(design["points"]),
        factors=list(design["factors"]),
        sampler=str(design["sampler"]),
        replications=int(design["replications"]),
        seed=int(design["root_seed"]),
        spec=spec,
        summary=read_summary(batch_dir),
    )


def summary_by_point(sweep: Sweep) -> pd.DataFrame:
    """The summary indexed by point id, checked to hold every design point with all its runs and
    the factor values the manifest says the point had (so a foreign summary cannot bind)."""
    src = f"{sweep.path}: summary.csv"
    s = sweep.summary
    if s["point"].duplicated().any():
        dup = sorted(s.loc[s["point"].duplicated(), "point"].astype(int).tolist())
        raise ExperimentError(f"{src}: point: each design point once; got repeated points {dup}")
    s = s.set_index("point")
    n = len(sweep.points)
    missing = sorted(set(range(n)) - {int(p) for p in s.index})
    if missing:
        raise ExperimentError(
            f"{src}: point: every design point needs a result (a failed or unfinished chunk? "
            f"rerun with summit sweep --resume {sweep.path}); got none for points {few(missing)}"
        )
    extra = sorted({int(p) for p in s.index} - set(range(n)))
    if extra:
        raise ExperimentError(f"{src}: point: not in the design; got points {few(extra)}")
    short = s.index[s["runs"] != sweep.replications].astype(int).tolist()
    if short:
        raise ExperimentError(
            f"{src}: runs: every point needs {sweep.replications} replications (rerun with "
            f"summit sweep --resume {sweep.path}); got fewer for points {few(sorted(short))}"
        )
    s = s.sort_index()
    for f in sweep.factors:
        if f not in s.columns or f == "model.rule":
            continue
        want = np.array([float(p[f]) for p in sweep.points])
        if not np.allclose(s[f].to_numpy(float), want, rtol=1e-9, atol=1e-12):
            raise ExperimentError(
                f"{src}: {f}: values must match the manifest's design points; got a summary "
                "from another design"
            )
    return s


def few(ids: list[int]) -> str:
    return str(ids) if len(ids) <= 8 else f"{ids[:8]} and {len(ids) - 8} more"
