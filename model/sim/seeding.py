"""Random streams: every draw comes from numpy Generators derived from one root seed.

Contract (docs/ARCHITECTURE.md, "Randomness and reproducibility"): the stream of replication j of
design point p depends only on (root seed, p, j). Replications are grouped in fixed blocks of
`BLOCK` rows; block b of point p gets its own `SeedSequence(root, spawn_key=(p, b, purpose))` for
each purpose (signals, decisions, bargaining, contests, the leaders' private resolve, and one per
event, keyed by the event's id). Chunking, worker count and executor therefore never change a
number, and the same (p, j) gets the same draws in any scenario (common random numbers), even when
scenarios differ in events.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

DEFAULT_SEED = 20240315  # the root seed when none is given (the baseline's start date); any works
BLOCK = 250  # replications per seeding block: part of the reproducibility contract, never change
AHEAD_WEEKS = 8  # a purpose's draws are made this many weeks at a time …
AHEAD_BYTES = 4 << 20  # … unless that would take more memory than this (then fewer weeks)

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
        self._ahead: dict[int, _Ahead] = {}

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
        """The next (R, *tail) draws of a purpose. A purpose draws the same shape every time it
        is used (once a week, or once in a dated event's week), so its draws are made several
        weeks at a time, one call per block (`_fill`), and served a week at a time as views:
        a Generator's numbers come in sequence, so drawing (n, BLOCK, *tail) at once gives what
        n draws of (BLOCK, *tail) give, in the same order (the tests compare against that)."""
        ahead = self._ahead.get(purpose)
        if ahead is not None and ahead.kind != (tail, normal):
            raise RuntimeError(f"stream {purpose} drawn as {(tail, normal)} after {ahead.kind}")
        if ahead is None or ahead.next == len(ahead.draws):
            ahead = self._ahead[purpose] = _Ahead((tail, normal), self._fill(purpose, tail, normal))
        out = ahead.draws[ahead.next]
        ahead.next += 1
        return out

    def _fill(self, purpose: int, tail: tuple[int, ...], normal: bool) -> np.ndarray:
        """(weeks, R, *tail): each block's next draws, a full BLOCK of rows per week of which
        the first ``size`` are kept (a partial block sees what the same rows see in a larger
        batch)."""
        rows = sum(b.size for b in self.blocks)
        per_week = 8 * max(rows, 1) * int(np.prod(tail, dtype=np.int64))
        weeks = max(1, min(AHEAD_WEEKS, AHEAD_BYTES // per_week))
        draws = np.empty((weeks, rows, *tail))
        start = 0
        for g, b in zip(self._generators(purpose), self.blocks, strict=True):
            shape = (weeks, BLOCK, *tail)
            full = g.standard_normal(shape) if normal else g.random(shape)
            draws[:, start : start + b.size] = full[:, : b.size]
            start += b.size
        return draws


@dataclass
class _Ahead:
    """A purpose's draws made ahead: ``draws[next]`` is the next week's."""

    kind: tuple[tuple[int, ...], bool]  # (tail, normal): what the purpose draws
    draws: np.ndarray
    next: int = 0
