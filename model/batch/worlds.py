"""Worlds: the outer layer of a nested Monte Carlo over the scenario's judgement ranges.

A scenario's ranges (`model.scenario.uncertain`) say what the analyst does not know; the model's
own randomness (signals, decisions, bargaining, events) says what nobody can know. A batch keeps
the two apart (docs/MODEL.md §12): it draws ``worlds`` parameter sets by Latin hypercube sampling
over the ranges (McKay, Beckman & Conover 1979), and splits each design point's replications
evenly among them, so replication j of a point lives in world ``j * worlds // replications``.

Determinism: the column of one uncertain value is drawn from its own stream, keyed by the root
seed and the value's dotted path, never by the chunk, the worker or the executor; so a world is
the same in any run of the same command, and two scenarios that share a range draw the same
strata for it (common random numbers across scenarios, as for the replications' streams).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from model.scenario import Bounds, Scenario, Uncertain

WORLDS_KEY = 0x574F524C  # "WORL": spawn keys of world draws never meet a block's (point, block, ·)
MAX_DEFAULT_WORLDS = 200
RUNS_PER_WORLD = 100  # the default's aim: a world's P(summit) to within about ±0.1 (95%)
MIN_DEFAULT_WORLDS = 10


def default_worlds(scenario: Scenario, replications: int) -> int:
    """Worlds when the user does not say: 1 without ranges (exactly a plain batch); else about
    100 replications per world, at least 10 worlds and at most 200 (and never more worlds than
    replications)."""
    if not scenario.uncertain:
        return 1
    wanted = max(MIN_DEFAULT_WORLDS, replications // RUNS_PER_WORLD)
    return max(1, min(MAX_DEFAULT_WORLDS, wanted, replications))


def world_of(replication: np.ndarray, replications: int, worlds: int) -> np.ndarray:
    """The world of each replication index: contiguous, as even as can be (sizes differ by 1)."""
    return (np.asarray(replication, dtype=np.int64) * worlds) // replications


def strata(root_seed: int, path: str, worlds: int) -> np.ndarray:
    """One Latin hypercube column: a random point in each of ``worlds`` equal strata of [0, 1),
    the strata in random order; drawn from the value's own stream (root seed, path)."""
    seq = np.random.SeedSequence(root_seed, spawn_key=(WORLDS_KEY, zlib.crc32(path.encode())))
    rng = np.random.default_rng(seq)
    order = rng.permutation(worlds)
    return (order + rng.random(worlds)) / worlds


def draw_worlds(
    uncertain: Mapping[str, Uncertain],
    bounds: Mapping[str, Bounds],
    root_seed: int,
    worlds: int,
) -> pd.DataFrame:
    """The world table: one row per world, one column per uncertain value (sorted by path).

    With a single world every value is its central one: the point scenario, as without ranges.
    Values of whole-number parameters are rounded (a range of weeks draws whole weeks)."""
    table: dict[str, np.ndarray] = {"world": np.arange(worlds, dtype=np.int64)}
    for path in sorted(uncertain):
        q = uncertain[path]
        if worlds == 1:
            values = np.array([q.central], dtype=float)
        else:
            values = q.quantile(strata(root_seed, path, worlds))
        b = bounds.get(path)
        if b is not None and b.integer:
            values = np.round(values)
        table[path] = values.astype(float)
    return pd.DataFrame(table)


def world_values(scenario: Scenario, root_seed: int, worlds: int) -> pd.DataFrame:
    """`draw_worlds` for a scenario's own ranges and bounds."""
    bounds = {**scenario.all_bounds(), **scenario.effect_bounds()}
    return draw_worlds(scenario.uncertain, bounds, root_seed, worlds)
