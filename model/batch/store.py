"""The result store: a batch directory, or memory for the Python API; resumable, one writer.

A batch directory is a dataset: ``runs/`` holds only Parquet shards (one per finished chunk,
written atomically: a temporary name outside the dataset's pattern, then a rename), each row
carrying its scenario and swept values, with a description of every field in the Parquet schema.
``status.jsonl`` beside ``runs/`` logs each chunk's end; a killed batch resumes by skipping the
chunks logged ok whose shards exist. Batches written before this layout kept the log at
``runs/status.jsonl``; it is still read, and moved out on resume.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.batch.design import Chunk, Design
from model.errors import ExperimentError, problem
from model.results.columns import run_entry


@dataclass(frozen=True)
class Encoded:
    """A chunk's Parquet shard, encoded where the chunk ran (a pool worker), so the one writer
    only saves bytes: encoding is most of a shard's cost, and in the writer it ran on a core
    the workers needed."""

    data: bytes
    rows: int


def encode_shard(df: pd.DataFrame, issues: tuple[str, ...] = ()) -> Encoded:
    """A chunk's rows as the bytes of its shard, each field described in the schema
    (`model.results.columns.run_entry`); the same bytes as writing the table to a file."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    fields = [f.with_metadata(run_entry(f.name, issues)) for f in table.schema]
    table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    # Dictionary-encode the text columns only (the scenario's name): a run's floats are nearly
    # all distinct, and pyarrow's default tries a dictionary on every column before it gives up,
    # which took 2× the time of the whole write and made shards 27 % larger (10,000 rows with
    # worlds: 26–40 → 11–15 ms, 2.18 → 1.72 MB; reading it back 9 ms; docs/PERFORMANCE.md).
    text = [
        f.name
        for f in table.schema
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, use_dictionary=text)
    return Encoded(buf.getvalue().to_pybytes(), len(df))


class MemorySink:
    """Keeps finished chunks in memory (the Python API without an output directory); with
    ``columns``, only those columns of each chunk's rows."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.frames: dict[int, pd.DataFrame] = {}
        self.columns = columns

    def done(self) -> set[int]:
        return set(self.frames)

    def write(self, chunk: Chunk, df: pd.DataFrame, seconds: float) -> None:
        self.frames[chunk.id] = df if self.columns is None else df[self.columns]

    def fail(self, chunk: Chunk, error: str) -> None:
        pass

    def frames_in_order(
        self, only: set[int] | None = None, columns: list[str] | None = None
    ) -> Iterator[pd.DataFrame]:
        """Finished chunks' rows in chunk order (``only``: just those chunk ids; ``columns``:
        just those columns)."""
        for cid in sorted(self.frames):
            if only is None or cid in only:
                df = self.frames[cid]
                yield df if columns is None else df[columns]


class DirectorySink:
    """Parquet shard per chunk under ``runs/``, a status log beside it, resumable state.

    Each shard's schema describes its fields (`model.results.columns.run_entry`; ``issues``
    names the negotiated issues' columns).
    """

    def __init__(self, out: Path, issues: tuple[str, ...] = ()) -> None:
        self.out = out
        self.runs_dir = out / "runs"
        self.status = out / "status.jsonl"
        self.legacy_status = self.runs_dir / "status.jsonl"
        self.issues = issues

    def open(self) -> None:
        """Make the directory ready to write; move an old batch's log out of ``runs/``."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if self.legacy_status.exists():
            old = self.legacy_status.read_bytes()
            with self.status.open("ab") as fh:
                fh.write(old)
                fh.flush()
                os.fsync(fh.fileno())
            self.legacy_status.unlink()

    def shard(self, chunk_id: int) -> Path:
        return self.runs_dir / f"chunk-{chunk_id:06d}.parquet"

    def done(self) -> set[int]:
        ids: set[int] = set()
        for log in (self.legacy_status, self.status):
            if not log.exists():
                continue
            for line in log.read_bytes().decode("utf-8", "replace").splitlines():
                try:
                    rec = json.loads(line)
                    chunk = int(rec["chunk"]) if rec.get("ok") else None
                except (json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
                    continue  # a line cut by a kill (or garbage): its shard is rewritten
                if chunk is not None and self.shard(chunk).exists():
                    ids.add(chunk)
        return ids

    def unreadable(self) -> list[int]:
        """Finished chunks whose shard is not a readable Parquet file (resume runs them again)."""
        bad = []
        for cid in sorted(self.done()):
            try:
                pq.read_metadata(self.shard(cid))
            except (OSError, pa.ArrowException):
                bad.append(cid)
        return bad

    def write(self, chunk: Chunk, df: pd.DataFrame | Encoded, seconds: float) -> None:
        """Save a finished chunk's shard (rows, or a shard a worker encoded: `encode_shard`)."""
        shard = df if isinstance(df, Encoded) else encode_shard(df, self.issues)
        path = self.shard(chunk.id)
        tmp = path.with_name(f".{path.name}.tmp")  # hidden: never part of the dataset
        try:
            tmp.write_bytes(shard.data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._log({"chunk": chunk.id, "ok": True, "rows": shard.rows, "seconds": round(seconds, 3)})

    def fail(self, chunk: Chunk, error: str) -> None:
        points = sorted({b.point for b in chunk.blocks})
        self._log({"chunk": chunk.id, "ok": False, "points": points, "error": error})

    def _log(self, rec: dict[str, Any]) -> None:
        with self.status.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def frames_in_order(
        self, only: set[int] | None = None, columns: list[str] | None = None
    ) -> Iterator[pd.DataFrame]:
        """Finished chunks' rows in chunk order (``only``: just those chunk ids; ``columns``:
        just those columns, read alone from the Parquet file: the summary needs about a third
        of a shard's columns, and reading all of them was two thirds of its time)."""
        for cid in sorted(self.done()):
            if only is None or cid in only:
                yield read_shard(self.shard(cid), columns)


def read_shard(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One shard's rows (``columns``: only those); a damaged shard is one line (exit 2), not a
    traceback."""
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        missing = _missing_columns(path, columns)
        if missing:  # a shard of another design lacks some: say so, not "damaged"
            rule = "lacks columns this batch's design needs (a shard of another design?)"
            raise ExperimentError(problem(str(path), "", rule, ", ".join(missing))) from None
        rule = "not a readable Parquet shard (resume the batch to run its chunk again)"
        raise ExperimentError(problem(str(path), "", rule, str(exc))) from None


def _missing_columns(path: Path, columns: list[str] | None) -> list[str]:
    """The asked-for columns a readable shard does not have (none if it cannot be read)."""
    if columns is None:
        return []
    try:
        return sorted(set(columns) - set(pq.read_schema(path).names))
    except (OSError, pa.ArrowException):
        return []


def read_runs(out: Path) -> pd.DataFrame:
    """All run rows of a batch directory, in chunk order."""
    if not out.is_dir():
        raise ExperimentError(problem(str(out), "", "not a batch directory", str(out)))
    frames = list(DirectorySink(out).frames_in_order())
    if not frames:
        raise ExperimentError(f"{out}: runs/: no finished chunks; got an empty batch")
    return pd.concat(frames, ignore_index=True)


def write_worlds(out: Path, design: Design) -> None:
    """``worlds.parquet`` beside ``runs/``: the value each range drew in each world, once per
    world (run rows carry only their ``world``), with each range's distribution and basis in
    the schema metadata; a batch of several scenarios adds a ``scenario`` column (each scenario
    has its own ranges). Written atomically; the same on every resume (it is a function of the
    scenarios, the root seed and the number of worlds)."""
    ranged = [s for s in design.all_scenarios if s.uncertain]
    frames = []
    for scn in ranged:
        table = design.world_table_of(scn)
        frames.append(table.assign(scenario=scn.name) if design.scenarios else table)
    frame = pd.concat(frames, ignore_index=True)
    if design.scenarios:
        frame = frame[["scenario", *[c for c in frame.columns if c != "scenario"]]]
    ranges = {p: q.to_json() for s in ranged for p, q in sorted(s.uncertain.items())}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    described = {"world": "the world's index (run rows' `world`)", "scenario": "scenario name"}
    fields = [
        f.with_metadata(
            {"description": described.get(f.name)
             or f"value drawn for {f.name}: " + json.dumps(ranges[f.name])}
        )
        for f in table.schema
    ]  # fmt: skip
    table = table.cast(pa.schema(fields, metadata={"summit_sim.ranges": json.dumps(ranges)}))
    tmp = out / "worlds.parquet.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, out / "worlds.parquet")
