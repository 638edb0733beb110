"""What a batch runs: a design (one scenario, points × replications, a root seed) and its chunks.

A design is cut into chunks of whole seeding blocks, independent of the worker count, so the
random stream of a replication never depends on how the work is split (DESIGN.md's contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from model.batch.worlds import world_of, world_values
from model.errors import ExperimentError, ScenarioError, problem
from model.scenario import Rule, Scenario, unknown_path_rule
from model.sim.seeding import BLOCK, Block, blocks_for

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
    # judgement worlds (model.batch.worlds): each point's replications are split among them;
    # 1 = the point scenario (central values), as for a scenario without ranges
    worlds: int = 1

    def __post_init__(self) -> None:
        if self.replications < 1:
            raise ExperimentError(f"--runs: must be >= 1; got {self.replications}")
        if not 1 <= self.worlds <= self.replications:
            rule = f"must be between 1 and the replications per point ({self.replications})"
            raise ExperimentError(f"--worlds: {rule}; got {self.worlds}")
        if self.worlds > 1 and not self.scenario.uncertain:
            rule = "needs a scenario with ranges (docs/SCENARIOS.md); this one has none"
            raise ExperimentError(f"{self.scenario.source}: --worlds: {rule}; got {self.worlds}")
        if not self.points:
            raise ExperimentError("design: needs at least one point; got 0")
        if self.root_seed < 0:
            raise ExperimentError(f"--seed: must be >= 0; got {self.root_seed}")
        self._check_points()

    def _check_points(self) -> None:
        """Every override names a parameter of the scenario and respects its bounds: bad points
        fail here, before anything runs, not as failed chunks."""
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
                    problems.append(problem(src, where, unknown_path_rule(path, known), value))
                    continue
                if (why := bounds.check(float(value))) is not None:
                    problems.append(problem(src, where, why, value))
        if problems:
            raise ScenarioError(sorted(set(problems), key=problems.index)[:20])

    @cached_property
    def world_table(self) -> pd.DataFrame:
        """The drawn value of every range in each world (model.batch.worlds)."""
        return world_values(self.scenario, self.root_seed, self.worlds)

    def world_index(self, chunk: Chunk) -> np.ndarray:
        """The world of each row of a chunk."""
        rep = np.concatenate([b.first_replication + np.arange(b.size) for b in chunk.blocks])
        return world_of(rep, self.replications, self.worlds)

    @property
    def total_runs(self) -> int:
        return self.replications * len(self.points)

    def factor_kind(self, factor: str) -> str:
        """How a swept factor is stored in the run rows: "int", "float" or "str" (one type for
        every point, so every shard of a batch has the same schema)."""
        values = [p.get(factor) for p in self.points]
        if all(isinstance(v, str) for v in values):
            return "str"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "int"
        return "float"

    def labels(self, chunk: Chunk) -> dict[str, np.ndarray]:
        """Columns that make each run row self-describing: the scenario name and the value of
        every swept factor at the row's point (constant per block, so nearly free in Parquet)."""
        out: dict[str, np.ndarray] = {
            "scenario": np.full(chunk.runs, self.scenario.name, dtype=object)
        }
        if self.worlds > 1:
            out["world"] = self.world_index(chunk)
        for f in self.factors:
            kind = self.factor_kind(f)
            per_block = [self.points[b.point].get(f) for b in chunk.blocks]
            if kind != "str":
                per_block = [np.nan if v is None or isinstance(v, str) else v for v in per_block]
            dtype = {"str": object, "int": np.int64, "float": np.float64}[kind]
            out[f] = np.concatenate(
                [
                    np.full(b.size, v, dtype=dtype)
                    for b, v in zip(chunk.blocks, per_block, strict=True)
                ]
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "sampler": self.sampler,
            "factors": self.factors,
            "points": self.points,
            "replications": self.replications,
            "root_seed": self.root_seed,
            "chunk_runs": self.chunk_runs,
            "block": BLOCK,
            **({"worlds": self.worlds} if self.worlds > 1 else {}),  # plain designs: as before
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
