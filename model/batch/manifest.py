"""A batch directory's ``manifest.json``: written when a batch starts and when it ends, read by
every verb that takes a batch directory, and enough on its own to resume the batch.

It records the command, the scenario (files with sha256, the validated content and its canonical
hash), the design and seed, versions, times, status and a dictionary of the columns. A manifest
read back is checked: a file that is not JSON, or lacks what a reader needs, is one line (exit 2).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.batch.design import Design
from model.errors import ExperimentError, ScenarioError, problem
from model.scenario import (
    Scenario,
    ScenarioFile,
    Uncertain,
    load_scenario,
    parse_scenario,
    pydantic_problems,
)

Kind = Literal["run", "sweep"]


class ManifestDesign(BaseModel):
    model_config = ConfigDict(extra="allow")
    sampler: str
    factors: list[str]
    points: list[dict[str, Any]] = Field(min_length=1)
    replications: int = Field(ge=1)
    root_seed: int = Field(ge=0)
    chunk_runs: int | None = Field(default=None, ge=1)  # needed to resume or rerun


class FileRecord(BaseModel):
    model_config = ConfigDict(extra="allow")
    path: str
    sha256: str


class Manifest(BaseModel):
    """What readers of a batch directory rely on; other keys are provenance."""

    model_config = ConfigDict(extra="allow")
    scenario: str
    scenario_hash: str | None = None  # needed to resume or rerun
    design: ManifestDesign
    status: str
    kind: Kind | None = None
    scenario_spec: dict[str, Any] | None = None
    scenario_files: list[FileRecord] = Field(default_factory=list)
    experiment: dict[str, Any] | None = None


def load_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a batch directory, checked; ExperimentError (one line) if unusable."""
    path = out / "manifest.json"
    name = str(path)
    if not out.is_dir():
        rule = "not a batch directory (no such directory)"
        raise ExperimentError(problem(str(out), "", rule, str(out)))
    if not path.exists():
        raise ExperimentError(f"{out}: manifest.json: not a batch directory; got {str(out)!r}")
    try:
        text = path.read_bytes().decode("utf-8")
        manifest = json.loads(text)
    except OSError as exc:
        raise ExperimentError(problem(name, "", "cannot be read", exc.strerror)) from None
    except UnicodeDecodeError as exc:
        rule = f"not UTF-8 text: byte at offset {exc.start}"
        near = exc.object[exc.start : exc.start + 8]
        raise ExperimentError(problem(name, "", rule, near)) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = ""
        if isinstance(exc, json.JSONDecodeError):
            where = f" (line {exc.lineno}, column {exc.colno})"
        raise ExperimentError(problem(name, "", f"not valid JSON{where}", text[:40])) from None
    if not isinstance(manifest, dict):
        raise ExperimentError(problem(name, "", "must be a JSON object", manifest))
    try:
        Manifest.model_validate(manifest)
    except ValidationError as exc:
        raise ExperimentError(pydantic_problems(exc, manifest, name)[0]) from None
    return manifest


def batch_kind(manifest: dict[str, Any]) -> Kind:
    """ "sweep" for a batch made by `summit sweep` (or several points), else "run"."""
    kind = manifest.get("kind")
    if kind in ("run", "sweep"):
        return kind
    many = len(manifest["design"]["points"]) > 1
    return "sweep" if manifest.get("experiment") is not None or many else "run"


def design_from_manifest(out: Path, manifest: dict[str, Any] | None = None) -> Design:
    """The exact design of a batch, from its manifest alone (for --resume, --rerun, tables).

    The scenario is the validated content the manifest recorded (so a batch resumes as it began
    even if its file was edited or removed); older manifests without it reload the recorded file,
    which must still have the recorded canonical hash.
    """
    m = manifest if manifest is not None else load_manifest(out)
    name = f"{out}/manifest.json"
    for key, value in (("scenario_hash", m.get("scenario_hash")),
                       ("design.chunk_runs", m["design"].get("chunk_runs"))):  # fmt: skip
        if value is None:
            rule = "required to rebuild the batch's design (not a batch summit wrote?)"
            raise ExperimentError(problem(name, key, rule, None))
    scn = _recorded_scenario(out, m, "")
    d = m["design"]
    scenarios: tuple[Scenario, ...] = ()
    if d.get("scenarios"):  # the scenario as a factor: every one as it ran
        records = m.get("scenarios")
        if (
            not isinstance(records, list)
            or [r.get("name") if isinstance(r, dict) else None for r in records] != d["scenarios"]
        ):
            rule = "must record each of design.scenarios (an edited manifest?)"
            raise ExperimentError(problem(name, "scenarios", rule, d["scenarios"]))
        more = [_recorded_scenario(out, r, f"scenarios[{i}].") for i, r in enumerate(records)]
        scenarios = (scn, *more[1:])
    return Design(
        scn,
        replications=int(d["replications"]),
        root_seed=int(d["root_seed"]),
        points=list(d["points"]),
        factors=list(d["factors"]),
        sampler=str(d["sampler"]),
        chunk_runs=int(d["chunk_runs"]),
        scenarios=scenarios,
        worlds=int(d.get("worlds", 1)),
    )


def _recorded_scenario(out: Path, rec: dict[str, Any], where: str) -> Scenario:
    """A scenario as the manifest (or one of its ``scenarios`` records, ``where``) recorded it:
    its validated content, or for older manifests its file, which must still have the hash."""
    name = f"{out}/manifest.json"
    label = rec.get("scenario") or rec.get("name")
    if rec.get("scenario_spec") is not None:
        try:
            spec = ScenarioFile.model_validate_json(json.dumps(rec["scenario_spec"]))
            scn = parse_scenario(spec.model_dump(exclude_unset=True), "manifest.json")
            scn = dataclasses.replace(scn, uncertain=_ranges_from(rec, name))
        except (ValidationError, ScenarioError, TypeError, ValueError):
            rule = "not a valid scenario (an edited manifest?)"
            raise ExperimentError(problem(name, f"{where}scenario_spec", rule, label)) from None
    else:
        files = rec.get("scenario_files") or []
        first = files[0].get("path") if files and isinstance(files[0], dict) else None
        source = first if first and Path(first).exists() else str(label)
        try:
            scn = load_scenario(source)
        except ScenarioError as exc:
            rule = f"the batch's scenario cannot be loaded ({exc.problems[0]})"
            raise ExperimentError(problem(name, f"{where}scenario", rule, source)) from None
    want = str(rec.get("scenario_hash"))
    if scn.canonical_hash() != want:
        raise ExperimentError(
            f"{out}: manifest.json: {where}scenario_hash: the scenario {scn.name} changed since "
            f"the batch ran; got {scn.canonical_hash()[:12]} instead of {want[:12]}"
        )
    return scn


def check_resumable(out: Path, design: Design) -> None:
    """A design given for resuming must be the one the directory holds."""
    old = load_manifest(out)
    mine = {"scenario_hash": design.scenario.canonical_hash(), "design": design.to_json()}
    theirs = {"scenario_hash": old.get("scenario_hash"), "design": old.get("design")}
    if design.scenarios or old.get("scenarios"):  # each scenario of the factor, as it ran
        mine["hashes"] = [s.canonical_hash() for s in design.scenarios]
        theirs["hashes"] = [r.get("scenario_hash") for r in old.get("scenarios") or []]
    mine = json.loads(json.dumps(mine))
    if mine != theirs:
        if (mine["scenario_hash"], mine.get("hashes")) != (
            theirs["scenario_hash"],
            theirs.get("hashes"),
        ):
            what = "the scenario changed"
        else:
            new_d, old_d = mine["design"], theirs["design"] or {}
            key = next(k for k in new_d if new_d.get(k) != old_d.get(k))
            what = f"design.{key} is {old_d.get(key)!r} there, {new_d.get(key)!r} now"
        raise ExperimentError(
            f"{out}: manifest.json: resume needs the same scenario, design and seed; got {what}"
        )


def new_manifest(
    design: Design, workers: int, command: list[str] | None, kind: Kind, columns: dict[str, Any]
) -> dict[str, Any]:
    import mesa

    scn = design.scenario
    files = _file_records(scn)
    more = {}
    if design.scenarios:  # the scenario as a factor: each one, as it ran, resumable alone
        more["scenarios"] = [
            {
                "name": x.name,
                "scenario_hash": x.canonical_hash(),
                "scenario_files": _file_records(x),
                "scenario_spec": x.spec.model_dump(mode="json", exclude_unset=True),
                **({"scenario_ranges": _ranges_json(x)} if x.uncertain else {}),
            }
            for x in design.scenarios
        ]
    return {
        "command": command if command is not None else sys.argv,
        "kind": kind,
        "scenario": scn.name,
        "scenario_files": files,
        "scenario_hash": scn.canonical_hash(),
        "design": design.to_json(),
        "versions": {
            "summit-sim": _package_version(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
        },
        "git_commit": _git_commit(),
        # the commit alone does not pin the code if tracked files were changed since
        "git_dirty": _git_dirty(),
        "workers": workers,
        "started": now(),
        "status": "running",
        "columns": columns,
        # the validated scenario itself: resuming needs nothing but the directory
        "scenario_spec": scn.spec.model_dump(mode="json", exclude_unset=True),
        # its judgement ranges by dotted path (the spec holds their central values)
        **({"scenario_ranges": _ranges_json(scn)} if scn.uncertain else {}),
        **more,
    }


def _ranges_json(scn: Scenario) -> dict[str, dict[str, Any]]:
    return {p: q.to_json() for p, q in sorted(scn.uncertain.items())}


def _ranges_from(m: dict[str, Any], name: str) -> dict[str, Uncertain]:
    try:
        return {p: Uncertain(**d) for p, d in (m.get("scenario_ranges") or {}).items()}
    except (TypeError, AttributeError):
        rule = "not a table of ranges by dotted path (an edited manifest?)"
        raise ExperimentError(problem(name, "scenario_ranges", rule, None)) from None


def _file_records(scn: Scenario) -> list[dict[str, str]]:
    """The scenario's file and, for a variant, the base files it was read from (wherever they
    are: beside it, a path, or shipped), with their sha256."""
    if scn.path is None:
        return []
    paths = [scn.path, *(p for p in scn.bases if p.exists())]
    return [
        {"path": str(p.resolve()), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        for p in paths
    ]


def _package_version() -> str:
    try:
        return version("summit-sim")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0+unknown"


CHECKOUT = Path(__file__).resolve().parents[2]  # <checkout>/model/batch/manifest.py


def _git(*args: str) -> str | None:
    """A git command's output in the checkout holding the package (None: no git, not a
    checkout, or it failed)."""
    try:
        res = subprocess.run(
            ["git", *args], cwd=CHECKOUT, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout if res.returncode == 0 else None


def _git_commit() -> str | None:
    out = _git("rev-parse", "HEAD")
    return out.strip() or None if out is not None else None


def _git_dirty() -> bool | None:
    """Whether the checkout has uncommitted changes to the code or the shipped scenarios, new
    files there included (None: no git, or not a checkout). Results and other files elsewhere
    do not count. `--no-optional-locks`: never take the index lock a user's own `git commit`
    may need at that moment."""
    out = _git("--no-optional-locks", "status", "--porcelain", "--", "model", "scenarios")
    return bool(out.strip()) if out is not None else None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path: Path, obj: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(obj, indent=2, default=str) + "\n")


def mark(path: Path, manifest: dict[str, Any]) -> bool:
    """Record a status change even on a full disk: atomically if possible, else in place (the
    file's blocks are already allocated). False if neither worked."""
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    try:
        write_atomic(path, text)
        return True
    except OSError:
        path.with_name(path.name + ".tmp").unlink(missing_ok=True)
    try:
        with path.open("r+") as fh:
            fh.write(text)
            fh.truncate()
        return True
    except OSError:
        return False


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """One writer per batch directory. flock is released by the kernel when the process dies,
    so a batch killed with -9 can still be resumed."""
    import fcntl

    with (out / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExperimentError(
                f"{out}: .lock: another summit process is writing this batch; got a held lock"
            ) from None
        yield
