"""The batch machinery: designs and chunks, executors (in-process, process pool, Dask), the result
store (batch directories: manifest, Parquet shards, status log), and experiment files."""

from model.batch.design import (
    DEFAULT_CHUNK_RUNS,
    DEFAULT_SEED,
    Chunk,
    Design,
    chunk_runs_for,
    interleave,
    plan_chunks,
)
from model.batch.executors import execute, run_chunk
from model.batch.manifest import batch_kind, design_from_manifest, load_manifest
from model.batch.runner import BatchResult, run_batch, run_batches
from model.batch.store import DirectorySink, MemorySink, read_runs

__all__ = [
    "DEFAULT_CHUNK_RUNS",
    "DEFAULT_SEED",
    "BatchResult",
    "Chunk",
    "Design",
    "DirectorySink",
    "MemorySink",
    "batch_kind",
    "chunk_runs_for",
    "design_from_manifest",
    "execute",
    "interleave",
    "load_manifest",
    "plan_chunks",
    "read_runs",
    "run_batch",
    "run_batches",
    "run_chunk",
]
