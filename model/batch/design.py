"""What a batch runs: a design (one scenario, points × replications, a root seed) and its chunks.

A design is cut into chunks of whole seeding blocks, independent of the worker count, so the
random stream of a replication never depends on how the work is split (the seeding contract:
docs/ARCHITECTURE.md).

A design may also run its points under several scenarios (the scenario as a categorical factor,
``scenarios``): point p of every scenario is the same design point, so replication j of point p
gets the same random streams in each (common random numbers), and the batch holds exactly the
rows that one sweep per scenario would. A chunk holds one scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from model.batch.worlds import world_of, world_values
from model.errors import ExperimentError, ScenarioError, problem
from model.scenario import Rule, Scenario, unknown_path_rule
from model.sim.outcomes import OutcomeNames
from model.sim.seeding import BLOCK, DEFAULT_SEED, Block, blocks_for

DEFAULT_CHUNK_RUNS = 10_000  # runs per chunk (whole blocks); ≈0.5 s of work on this machine


def chunk_runs_for(runs: int, workers: int) -> int:
    """The chunk size `summit run` takes when none is given: at most `DEFAULT_CHUNK_RUNS`, cut
    in whole blocks of `BLOCK` runs so that the workers get chunks in equal numbers where the
    blocks allow it. A batch of 10,000 runs on 2 workers was one chunk, and one worker idled.

    Larger chunks were measured and not taken: 19,250 against 10,000 runs a chunk on 2 workers
    gave a paired time ratio of 1.00 for 500,000 runs, with 5 % more memory
    (docs/PERFORMANCE.md, round 3). Results do not depend on the chunk size (the seeding
    contract); the manifest records it for --resume.
    """
    workers, runs = max(1, workers), max(1, runs)
    chunks = workers * math.ceil(runs / (workers * DEFAULT_CHUNK_RUNS))
    return max(BLOCK, BLOCK * math.ceil(runs / (chunks * BLOCK)))


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
    # the scenario as a factor: every scenario the points run under, ``scenario`` first; empty
    # for the usual one-scenario design (whose manifest then stays as it always was)
    scenarios: tuple[Scenario, ...] = ()

    def __post_init__(self) -> None:
        if self.replications < 1:
            raise ExperimentError(f"--runs: must be >= 1; got {self.replications}")
        if not 1 <= self.worlds <= self.replications:
            rule = f"must be between 1 and the replications per point ({self.replications})"
            raise ExperimentError(f"--worlds: {rule}; got {self.worlds}")
        if self.worlds > 1 and not any(s.uncertain for s in (self.scenario, *self.scenarios)):
            rule = "needs a scenario with ranges (docs/SCENARIOS.md); this one has none"
            raise ExperimentError(f"{self.scenario.source}: --worlds: {rule}; got {self.worlds}")
        if not self.points:
            raise ExperimentError("design: needs at least one point; got 0")
        if self.root_seed < 0:
            raise ExperimentError(f"--seed: must be >= 0; got {self.root_seed}")
        if self.scenarios:
            self._check_scenarios()
        for scn in self.all_scenarios:
            self._check_points(scn)

    @property
    def all_scenarios(self) -> tuple[Scenario, ...]:
        """The scenarios the points run under: ``scenarios``, or the one ``scenario``."""
        return self.scenarios or (self.scenario,)

    def scenario_of(self, chunk: Chunk) -> Scenario:
        return self.all_scenarios[chunk.scenario]

    def _check_scenarios(self) -> None:
        """Scenarios as a factor: ``scenario`` first, each name once, and run rows of one schema
        (the same outcome columns and horizon), so one batch can hold them all."""
        first = self.scenarios[0]
        if (first.name, first.canonical_hash()) != (
            self.scenario.name,
            self.scenario.canonical_hash(),
        ):
            raise ExperimentError(
                problem("design", "scenarios", "must start with the design's scenario", first.name)
            )
        names = [s.name for s in self.scenarios]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ExperimentError(problem("--scenario", "", "each scenario once", twice))
        ref = (OutcomeNames.of(first), first.weeks)
        for scn in self.scenarios[1:]:
            if (OutcomeNames.of(scn), scn.weeks) != ref:
                rule = (
                    f"scenarios in one batch need the same actors, issues, alliances and horizon "
                    f"as {first.name} (their run rows share one set of columns)"
                )
                raise ExperimentError(problem(scn.source, "scenario", rule, scn.name))

    def _check_points(self, scenario: Scenario) -> None:
        """Every override names a parameter of the scenario and respects its bounds: bad points
        fail here, before anything runs, not as failed chunks."""
        problems: list[str] = []
        src = scenario.source
        known = scenario.all_bounds()  # once: a Sobol design has thousands of points
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
        """The drawn value of every range of ``scenario`` in each world (model.batch.worlds)."""
        return world_values(self.scenario, self.root_seed, self.worlds)

    @cached_property
    def _world_tables(self) -> dict[str, pd.DataFrame]:
        return {s.name: world_values(s, self.root_seed, self.worlds) for s in self.all_scenarios}

    def world_table_of(self, scenario: Scenario) -> pd.DataFrame:
        """The world table of one of the design's scenarios (each has its own ranges; a range two
        scenarios share draws the same values in both: its stream is keyed by its path)."""
        return self._world_tables[scenario.name]

    def world_index(self, chunk: Chunk) -> np.ndarray:
        """The world of each row of a chunk."""
        rep = np.concatenate([b.first_replication + np.arange(b.size) for b in chunk.blocks])
        return world_of(rep, self.replications, self.worlds)

    @property
    def total_runs(self) -> int:
        return self.replications * len(self.points) * len(self.all_scenarios)

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
            "scenario": np.full(chunk.runs, self.scenario_of(chunk).name, dtype=object)
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
        out = {
            "sampler": self.sampler,
            "factors": self.factors,
            "points": self.points,
            "replications": self.replications,
            "root_seed": self.root_seed,
            "chunk_runs": self.chunk_runs,
            "block": BLOCK,
            **({"worlds": self.worlds} if self.worlds > 1 else {}),  # plain designs: as before
        }
        if self.scenarios:  # only then: one-scenario manifests stay as they were
            out["scenarios"] = [s.name for s in self.scenarios]
        return out


@dataclass(frozen=True)
class Chunk:
    id: int
    blocks: tuple[Block, ...]
    scenario: int = 0  # index into Design.all_scenarios: a chunk runs one scenario

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
    ``model.rule`` (a categorical the model cannot vary per replication), nor scenarios: with
    several, each scenario's chunks are planned alike and dealt in turn (A0, B0, A1, B1, …)."""
    if not design.scenarios:
        return _plan_one(design)
    # the same plan for each scenario, dealt in turn, so a partial batch covers every scenario
    plan = _plan_one(design)
    dealt = [(s, c) for c in plan for s in range(len(design.scenarios))]
    return [Chunk(i, c.blocks, s) for i, (s, c) in enumerate(dealt)]


def _plan_one(design: Design) -> list[Chunk]:
    """The chunks of one scenario's points (see plan_chunks)."""

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
