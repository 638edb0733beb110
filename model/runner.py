"""The chunked batch runner: a design (points × replications) → streamed Parquet shards → summary.

One runner serves `summit run` and the Python API (and sweeps). A design is cut into chunks of
whole seeding blocks, independent of the worker count; chunks run in-process or in a process pool,
and the main process writes each finished chunk as one Parquet shard (atomically: a temporary name,
then a rename) plus a line in ``runs/status.jsonl``. A killed batch resumes by skipping the chunks
whose shards exist. The summary is folded from the shards in chunk order, so it is identical for
any worker count.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import ExperimentError, SummitError
from model.scenario import Scenario
from model.seeding import BLOCK, Block, blocks_for
from model.summary import PointTally, summary_table, tally
from model.summit import SummitModel

DEFAULT_SEED = 20240315  # the baseline's start date; any integer works
DEFAULT_CHUNK_RUNS = 10_000  # runs per chunk (whole blocks); ≈0.7 s of work on this machine


@dataclass(frozen=True)
class Design:
    """What to run: one scenario, design points (overrides by dotted path), replications each."""

    scenario: Scenario
    replications: int
    root_seed: int = DEFAULT_SEED
    points: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    factors: list[str] = field(default_factory=list)
    sampler: str = "single"
    chunk_runs: int = DEFAULT_CHUNK_RUNS

    def __post_init__(self) -> None:
        if self.replications < 1:
            raise ExperimentError(f"--runs: must be >= 1; got {self.replications}")
        if not self.points:
            raise ExperimentError("design: needs at least one point; got 0")
        if self.root_seed < 0:
            raise ExperimentError(f"--seed: must be >= 0; got {self.root_seed}")
        self._check_points()

    def _check_points(self) -> None:
        """Every override names a parameter of the scenario and respects its bounds: bad points
        fail here, before anything runs, not as failed chunks."""
        from model.errors import ScenarioError, problem
        from model.scenario import Rule, _unknown_path_rule

        problems: list[str] = []
        src = self.scenario.source
        known = self.scenario.all_bounds()  # once: a Sobol design has thousands of points
        rules = {r.value for r in Rule}
        for i, point in enumerate(self.points):
            for path, value in point.items():
                where = f"points[{i}].{path}"
                if path == "model.rule":
                    if value not in rules:
                        rule = f"must be one of {', '.join(sorted(rules))}"
                        problems.append(problem(src, where, rule, value))
                    continue
                bounds = known.get(path)
                if bounds is None:
                    problems.append(problem(src, where, _unknown_path_rule(path, known), value))
                    continue
                if (why := bounds.check(float(value))) is not None:
                    problems.append(problem(src, where, why, value))
        if problems:
            raise ScenarioError(sorted(set(problems), key=problems.index)[:20])

    @property
    def total_runs(self) -> int:
        return self.replications * len(self.points)

    def to_json(self) -> dict[str, Any]:
        return {
            "sampler": self.sampler,
            "factors": self.factors,
            "points": self.points,
            "replications": self.replications,
            "root_seed": self.root_seed,
            "chunk_runs": self.chunk_runs,
            "block": BLOCK,
        }


@dataclass(frozen=True)
class Chunk:
    id: int
    blocks: tuple[Block, ...]

    @property
    def runs(self) -> int:
        return sum(b.size for b in self.blocks)


def interleave(n: int) -> list[int]:
    """Point order for running: bit-reversal permutation, so any prefix of a sweep spreads over
    the whole design (a sweep stopped half-way has covered the space coarsely, not one corner)."""
    bits = max(1, (n - 1).bit_length())
    return sorted(range(n), key=lambda i: (int(f"{i:0{bits}b}"[::-1], 2), i))


def plan_chunks(design: Design) -> list[Chunk]:
    """Cut the design into chunks of whole blocks, interleaving points (block 0 of every point
    first), so a partial batch already covers the whole design. A chunk never mixes values of
    ``model.rule`` (a categorical the model cannot vary per replication)."""

    def rule_of(b: Block) -> Any:
        return design.points[b.point].get("model.rule")

    per_point = [blocks_for(p, design.replications) for p in interleave(len(design.points))]
    order = [
        bl[b] for b in range(max(len(x) for x in per_point)) for bl in per_point if b < len(bl)
    ]
    # a chunk holds one value of model.rule: group by it (stable, so each group stays
    # interleaved) instead of cutting a chunk at every alternation
    rules_in_order = list(dict.fromkeys(str(rule_of(b)) for b in order))
    order.sort(key=lambda b: rules_in_order.index(str(rule_of(b))))
    per_chunk = max(1, design.chunk_runs // BLOCK)
    chunks: list[Chunk] = []
    current: list[Block] = []

    for blk in order:
        if current and (len(current) >= per_chunk or rule_of(current[0]) != rule_of(blk)):
            chunks.append(Chunk(len(chunks), tuple(current)))
            current = []
        current.append(blk)
    if current:
        chunks.append(Chunk(len(chunks), tuple(current)))
    return chunks


def run_chunk(design: Design, chunk: Chunk) -> pd.DataFrame:
    """Run one chunk: one SummitModel over all its rows, each row with its point's overrides."""
    overrides: dict[str, Any] = {}
    paths = sorted({k for b in chunk.blocks for k in design.points[b.point]})
    base = design.scenario.values()
    for path in paths:
        if path == "model.rule":
            overrides[path] = design.points[chunk.blocks[0].point][path]
            continue
        overrides[path] = np.concatenate(
            [
                np.full(b.size, float(design.points[b.point].get(path, base.get(path, np.nan))))
                for b in chunk.blocks
            ]
        )
    model = SummitModel(
        design.scenario, blocks=list(chunk.blocks), root_seed=design.root_seed, overrides=overrides
    )
    rows = pd.DataFrame(model.run().outcomes())
    model.release()  # memory must not grow with the number of chunks (see release)
    return rows


# ----------------------------------------------------------------------------- sinks
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


# ----------------------------------------------------------------------------- execution
@dataclass
class BatchResult:
    design: Design
    summary: pd.DataFrame
    failures: list[tuple[int, str]]
    out: Path | None
    sink: MemorySink | DirectorySink

    @property
    def runs(self) -> pd.DataFrame:
        """The run rows (read from disk when the batch has an output directory)."""
        return pd.concat(list(self.sink.frames_in_order()), ignore_index=True)


Progress = Callable[[int], None]


def execute(
    design: Design,
    sink: MemorySink | DirectorySink,
    workers: int = 1,
    progress: Progress | None = None,
) -> list[tuple[int, str]]:
    """Run every chunk the sink does not have yet; return the failures (chunk id, error)."""
    chunks = [c for c in plan_chunks(design) if c.id not in sink.done()]
    failures: list[tuple[int, str]] = []
    tick = progress or (lambda n: None)
    if workers <= 1:
        for c in chunks:
            t0 = time.perf_counter()
            try:
                df = run_chunk(design, c)
            except Exception as exc:  # failure isolation: record, keep going
                failures.append((c.id, f"{type(exc).__name__}: {exc}"))
                sink.fail(c, failures[-1][1])
                continue
            sink.write(c, df, time.perf_counter() - t0)
            tick(c.runs)
        return failures
    # forkserver: fork() from a process with pyarrow's threads is unsafe (and warned about).
    # Preloading the model into the server makes each worker a cheap fork, not a fresh import.
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(["model.runner"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: dict[Future[pd.DataFrame], tuple[Chunk, float]] = {}
        todo = iter(chunks)
        limit = 2 * workers  # bounded in flight: memory does not grow with the batch

        def submit() -> None:
            for c in todo:
                pending[pool.submit(run_chunk, design, c)] = (c, time.perf_counter())
                if len(pending) >= limit:
                    return

        submit()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                c, t0 = pending.pop(fut)
                try:
                    df = fut.result()
                except Exception as exc:
                    failures.append((c.id, f"{type(exc).__name__}: {exc}"))
                    sink.fail(c, failures[-1][1])
                    continue
                sink.write(c, df, time.perf_counter() - t0)
                tick(c.runs)
            submit()
    return failures


def summarize(design: Design, sink: MemorySink | DirectorySink) -> pd.DataFrame:
    tallies: dict[int, PointTally] = tally(sink.frames_in_order(), design.scenario.weeks)
    return summary_table(tallies, design.scenario.name, design.points, design.factors)


def run_batch(
    design: Design,
    out: Path | None = None,
    workers: int = 1,
    resume: bool = False,
    progress: Progress | None = None,
    command: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> BatchResult:
    """Run a design; with ``out``, stream to a batch directory (manifest, shards, summaries).

    ``extra`` adds provenance to the manifest (e.g. the experiment file); ``executor`` is
    "local" (in-process or a process pool) or "dask" (a local cluster, or ``scheduler``).
    """

    def run_all(sink: MemorySink | DirectorySink) -> list[tuple[int, str]]:
        if executor == "dask":
            from model.dask_executor import execute_dask

            return execute_dask(design, sink, workers, progress, scheduler)
        return execute(design, sink, workers, progress)

    if out is None:
        mem = MemorySink()
        failures = run_all(mem)
        return BatchResult(design, summarize(design, mem), failures, None, mem)
    manifest_path = out / "manifest.json"
    fresh = not (out.exists() and any(out.iterdir()))
    if not fresh:
        if not resume:
            raise ExperimentError(
                f"{out}: --out: directory exists and is not empty (use --resume to finish it, "
                f"or another --out); got {str(out)!r}"
            )
        _check_resumable(out, design)
    elif resume:
        raise ExperimentError(f"{out}: --resume: no batch to resume there; got {str(out)!r}")
    sink = DirectorySink(out)
    with _exclusive(out):
        manifest = _manifest(design, workers, command)
        manifest["executor"] = executor if scheduler is None else f"{executor} {scheduler}"
        manifest.update(extra or {})
        if manifest_path.exists():
            old = json.loads(manifest_path.read_text())
            manifest["started"] = old.get("started", manifest["started"])
            manifest["resumed"] = [*old.get("resumed", []), _now()]
        _write_json(manifest_path, manifest)
        try:
            failures = run_all(sink)
        except KeyboardInterrupt:
            manifest.update(status="interrupted", chunks_done=len(sink.done()))
            _write_json(manifest_path, manifest)
            raise
        except SummitError:
            # bad input found only when the executor starts (e.g. an unreachable scheduler):
            # leave nothing half-written behind a fresh --out
            if fresh and not sink.done():
                shutil.rmtree(out, ignore_errors=True)
            raise
        summary = summarize(design, sink)
        _write_atomic(out / "summary.csv", summary.to_csv(index=False))
        from model.tables import format_table  # tables imports runner for read paths

        _write_atomic(out / "summary.md", format_table(summary, "md") + "\n")
        n_chunks = len(plan_chunks(design))
        manifest.update(
            status="complete" if not failures else "failed",
            finished=_now(),
            chunks=n_chunks,
            chunks_done=len(sink.done()),
            chunks_failed=[{"chunk": c, "error": e} for c, e in failures],
        )
        _write_json(manifest_path, manifest)
    return BatchResult(design, summary, failures, out, sink)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
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


def _check_resumable(out: Path, design: Design) -> None:
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


def _manifest(design: Design, workers: int, command: list[str] | None) -> dict[str, Any]:
    import mesa

    from model import __version__

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
            "summit-sim": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
        },
        "git_commit": _git_commit(),
        "workers": workers,
        "started": _now(),
        "status": "running",
    }


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    _write_atomic(path, json.dumps(obj, indent=2, default=str) + "\n")


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
    from model.scenario import load_scenario

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
