"""Random streams: every draw comes from numpy Generators derived from one root seed.

Contract (DESIGN.md): the stream of replication j of design point p depends only on
(root seed, p, j). Replications are grouped in fixed blocks of `BLOCK` rows; block b of point p
gets its own `SeedSequence(root, spawn_key=(p, b, purpose))` for each purpose (signals, decisions,
bargaining, contests, the leaders' private resolve, and one per event, keyed by the event's id).
Chunking, worker count and executor therefore never change a number, and the same (p, j) gets
the same draws in any scenario (common random numbers), even when scenarios differ in events.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

BLOCK = 250  # replications per seeding block: part of the reproducibility contract, never change

# Fixed purpose keys; events use 1000 + crc32(id) so adding an event shifts no other stream.
SIGNALS, DECISIONS, BARGAIN, CONTESTS, RESOLVE = 0, 1, 2, 3, 4


def event_purpose(event_id: str) -> int:
    return 1000 + zlib.crc32(event_id.encode())


@dataclass(frozen=True)
class Block:
    """``size`` replications of design ``point``, starting at replication ``block * BLOCK``."""

    point: int
    block: int
    size: int

    @property
    def first_replication(self) -> int:
        return self.block * BLOCK


def blocks_for(point: int, replications: int) -> list[Block]:
    n_full, rest = divmod(replications, BLOCK)
    out = [Block(point, b, BLOCK) for b in range(n_full)]
    if rest:
        out.append(Block(point, n_full, rest))
    return out


class Streams:
    """Per-purpose generators for a list of blocks; draws come back stacked along replications.

    A block always draws a full BLOCK of rows and keeps the first ``size``: a partial block (the
    last of a point, or a single replication for `summit explain`) then sees exactly the numbers
    the same replications see in a larger batch.
    """

    def __init__(self, root_seed: int, blocks: list[Block]) -> None:
        self.root_seed = int(root_seed)
        self.blocks = list(blocks)
        self._gens: dict[int, list[np.random.Generator]] = {}

    def _generators(self, purpose: int) -> list[np.random.Generator]:
        gens = self._gens.get(purpose)
        if gens is None:
            gens = [
                np.random.default_rng(
                    np.random.SeedSequence(self.root_seed, spawn_key=(b.point, b.block, purpose))
                )
                for b in self.blocks
            ]
            self._gens[purpose] = gens
        return gens

    def uniform(self, purpose: int, *tail: int) -> np.ndarray:
        return self._draw(purpose, tail, normal=False)

    def normal(self, purpose: int, *tail: int) -> np.ndarray:
        return self._draw(purpose, tail, normal=True)

    def _draw(self, purpose: int, tail: tuple[int, ...], normal: bool) -> np.ndarray:
        """Each block's draws written straight into the stacked array (a full block fills its
        rows in place: the same numbers as drawing a new array, without the copy)."""
        gens = self._generators(purpose)
        out = np.empty((sum(b.size for b in self.blocks), *tail))
        start = 0
        for g, b in zip(gens, self.blocks, strict=True):
            rows = out[start : start + b.size]
            if b.size == BLOCK:
                g.standard_normal(out=rows) if normal else g.random(out=rows)
            else:
                full = g.standard_normal((BLOCK, *tail)) if normal else g.random((BLOCK, *tail))
                rows[...] = full[: b.size]
            start += b.size
        return out
