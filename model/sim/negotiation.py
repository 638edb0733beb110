"""The negotiation at a summit: the bargained deal plus a shock, and agreement iff the deal falls
inside every ratifier's win-set (Putnam 1988; docs/MODEL.md §8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.sim import rules
from model.sim.cast import Cast
from model.sim.state import State


@dataclass(frozen=True)
class Negotiation:
    agreed: np.ndarray  # (R,) bool: agreement this week
    rows: np.ndarray  # indices of this week's summits
    offer: np.ndarray  # (len(rows), K_negotiated) the deal put to the ratifiers


def negotiate(
    s: State, cast: Cast, expected: np.ndarray, shock: np.ndarray, summit_now: np.ndarray
) -> Negotiation:
    rows = np.flatnonzero(summit_now)  # only this week's summits negotiate
    y = np.clip(expected[rows] + shock[rows], 0.0, rules.SCALE)
    ix = np.array(cast.ratifiers)
    tol = s.actor_param["tolerance"][rows[:, None], ix]
    pos = s.pos[rows[:, None, None], ix[:, None], cast.neg]
    sal = s.sal[rows[:, None, None], ix[:, None], cast.neg]
    ok = np.all(rules.ratifies(y[:, None, :], pos, sal, tol), axis=-1)  # every win-set
    agreed = np.zeros(s.R, dtype=bool)
    agreed[rows[ok]] = True
    s.offer[rows] = y
    s.deal[rows[ok]] = y[ok]
    s.agreement |= agreed
    return Negotiation(agreed, rows, y)
