"""The result store: a batch directory (manifest, Parquet shards and a status log under runs/),
or memory for the Python API; resumable, one writer at a time.

Each finished chunk becomes one Parquet shard, written atomically (a temporary name, then a
rename), plus a line in ``runs/status.jsonl``. A killed batch resumes by skipping the chunks whose
shards exist.
"""

from __future__ import annotations

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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.batch.design import Chunk, Design
from model.errors import ExperimentError
from model.scenario import load_scenario


class MemorySink:
    """Keeps finished chunks in memory (the Python API without an output directory)."""

    def __init__(self) -> None:
        self.frames: dict[int, pd.DataFrame] = {}

    def done(self) -> set[int]:
        return set(self.frames)

    def write(self, chunk: Chunk, df: pd.DataFrame, seconds: float) -> None:
        self.frames[chunk.id] = df

    def fail(self, chunk: Chunk, error: str) -> None:
        pass

    def frames_in_order(self) -> Iterator[pd.DataFrame]:
        for cid in sorted(self.frames):
            yield self.frames[cid]


class DirectorySink:
    """Parquet shard per chunk under ``runs/``, a status log, and resumable state."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.runs_dir = out / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.status = self.runs_dir / "status.jsonl"

    def shard(self, chunk_id: int) -> Path:
        return self.runs_dir / f"chunk-{chunk_id:06d}.parquet"

    def done(self) -> set[int]:
        ids: set[int] = set()
        if self.status.exists():
            for line in self.status.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a kill: its shard is rewritten
                if rec.get("ok") and self.shard(rec["chunk"]).exists():
                    ids.add(int(rec["chunk"]))
        return ids

    def write(self, chunk: Chunk, df: pd.DataFrame, seconds: float) -> None:
        path = self.shard(chunk.id)
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp)
        os.replace(tmp, path)
        self._log({"chunk": chunk.id, "ok": True, "rows": len(df), "seconds": round(seconds, 3)})

    def fail(self, chunk: Chunk, error: str) -> None:
        points = sorted({b.point for b in chunk.blocks})
        self._log({"chunk": chunk.id, "ok": False, "points": points, "error": error})

    def _log(self, rec: dict[str, Any]) -> None:
        with self.status.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def frames_in_order(self) -> Iterator[pd.DataFrame]:
        for cid in sorted(self.done()):
            yield pq.read_table(self.shard(cid)).to_pandas()


def read_runs(out: Path) -> pd.DataFrame:
    """All run rows of a batch directory, in chunk order."""
    frames = list(DirectorySink(out).frames_in_order())
    if not frames:
        raise ExperimentError(f"{out}: runs/: no finished chunks; got an empty batch")
    return pd.concat(frames, ignore_index=True)


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


def check_resumable(out: Path, design: Design) -> None:
    path = out / "manifest.json"
    if not path.exists():
        raise ExperimentError(f"{out}: manifest.json: missing, cannot resume; got no manifest")
    old = json.loads(path.read_text())
    mine = {"scenario_hash": design.scenario.canonical_hash(), "design": design.to_json()}
    theirs = {"scenario_hash": old.get("scenario_hash"), "design": old.get("design")}
    mine = json.loads(json.dumps(mine))
    if mine != theirs:
        if mine["scenario_hash"] != theirs["scenario_hash"]:
            what = "the scenario changed"
        else:
            new_d, old_d = mine["design"], theirs["design"] or {}
            key = next(k for k in new_d if new_d.get(k) != old_d.get(k))
            what = f"design.{key} is {old_d.get(key)!r} there, {new_d.get(key)!r} now"
        raise ExperimentError(
            f"{out}: manifest.json: resume needs the same scenario, design and seed; got {what}"
        )


def new_manifest(design: Design, workers: int, command: list[str] | None) -> dict[str, Any]:
    import mesa

    files = []
    scn = design.scenario
    if scn.path is not None:
        paths = [scn.path]
        if scn.spec.meta.variant_of:
            base = scn.path.parent / f"{scn.spec.meta.variant_of}.toml"
            if base.exists():
                paths.append(base)
        files = [
            {"path": str(p.resolve()), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
            for p in paths
        ]
    return {
        "command": command if command is not None else sys.argv,
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
        "workers": workers,
        "started": now(),
        "status": "running",
    }


def _package_version() -> str:
    try:
        return version("summit-sim")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0+unknown"


def _git_commit() -> str | None:
    try:
        res = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path: Path, obj: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(obj, indent=2, default=str) + "\n")


def load_manifest(out: Path) -> dict[str, Any]:
    path = out / "manifest.json"
    if not path.exists():
        raise ExperimentError(f"{out}: manifest.json: not a batch directory; got {str(out)!r}")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def design_from_manifest(out: Path) -> Design:
    """Rebuild the exact design of a batch from its manifest (for --rerun and comparisons).

    The scenario is reloaded from the recorded file and must still have the recorded canonical
    hash: a changed scenario file would silently give another experiment.
    """
    m = load_manifest(out)
    files = m.get("scenario_files") or []
    source = files[0]["path"] if files and Path(files[0]["path"]).exists() else m["scenario"]
    scn = load_scenario(source)
    if scn.canonical_hash() != m["scenario_hash"]:
        raise ExperimentError(
            f"{out}: manifest.json: scenario_hash: the scenario {source} changed since the batch "
            f"ran; got {scn.canonical_hash()[:12]} instead of {m['scenario_hash'][:12]}"
        )
    d = m["design"]
    return Design(
        scn,
        replications=int(d["replications"]),
        root_seed=int(d["root_seed"]),
        points=list(d["points"]),
        factors=list(d["factors"]),
        sampler=str(d["sampler"]),
        chunk_runs=int(d["chunk_runs"]),
    )
