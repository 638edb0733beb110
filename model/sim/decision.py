"""The decision to meet: a summit is held when preparation is enough and both principals are
willing, and (the article's rule) once the engager's allies are consulted, or it has waited long
enough for them (docs/MODEL.md §7)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.sim.cast import Cast
from model.sim.state import State


@dataclass(frozen=True)
class Decision:
    prepared: np.ndarray  # (R,) preparation done and both willing
    consulted: np.ndarray  # (R,) every ally consulted enough
    summit_now: np.ndarray  # (R,) a summit this week
    bypass_now: np.ndarray  # (R, allies) an ally a summit now would bypass


def decide(
    s: State, cast: Cast, willing: tuple[np.ndarray, np.ndarray], support: np.ndarray, week: int
) -> Decision:
    prepared = ~s.summit & (s.momentum >= s.mp["prep_threshold"]) & willing[0] & willing[1]
    # [seed] "Tokyo will wait for Seoul's support, but not for too long": the engager holds
    # a prepared summit until every ally is consulted, for at most consult_patience weeks.
    consulted = np.ones(s.R, dtype=bool)
    for ally in cast.allies[cast.engager]:
        consulted &= s.param("consulted", ally) >= s.mp["consult_required"]
    s.waited += prepared & ~consulted
    ready = consulted | (s.waited > s.mp["consult_patience"])
    summit_now = prepared & ready
    s.summit |= summit_now
    s.summit_week[summit_now] = week
    # an ally whose support is below the threshold would be bypassed by a summit now
    bypass_now = support < s.th["bypass_support"][:, None]
    s.bypassed[summit_now] = bypass_now[summit_now]
    return Decision(prepared, consulted, summit_now, bypass_now)
