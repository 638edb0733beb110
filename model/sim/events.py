"""Events: dated events fire in their week (with their probability), hazard events by chance each
week (inside their window, at most once if so declared); their effects set or shift numbers by
dotted path, in the rows where they fire."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from model.scenario import Bounds, Event
from model.sim.cast import Cast
from model.sim.seeding import Streams, event_purpose
from model.sim.state import State


def fire(
    s: State,
    cast: Cast,
    events: list[Event],
    week: int,
    week_of: Callable[[Any], int],
    streams: Streams,
    bounds: Callable[[str], Bounds],
) -> list[str]:
    """Apply this week's events; return those that fired in row 0 (for the narrative)."""
    fired_first: list[str] = []
    for e, ev in enumerate(events):
        if ev.date is not None:
            if week_of(ev.date) != week:
                continue
            mask = streams.uniform(event_purpose(ev.id)) < s.ev_prob[:, e]
        else:
            u = streams.uniform(event_purpose(ev.id))  # drawn every week: stable streams
            if ev.window is not None and not (
                week_of(ev.window[0]) <= week <= week_of(ev.window[1])
            ):
                continue
            mask = u < s.ev_hazard[:, e]
            if ev.once:
                mask &= ~s.fired[:, e]
        rows = np.flatnonzero(mask)  # once: each write below indexes by it (not by the mask)
        if not rows.size:
            continue
        s.fired[rows, e] = True
        for path in (*ev.set, *ev.add):
            s.cache.invalidate(path)  # e.g. backing, alliance weights, saliences
        for path in ev.set:
            value = s.effects[f"events.{ev.id}.set.{path}"][rows]  # per row: worlds differ
            for arr, idx in s.cells(cast, path):
                target: Any = (rows, *idx)
                arr[target] = value
        for path in ev.add:
            delta = s.effects[f"events.{ev.id}.add.{path}"][rows]
            b = bounds(path)
            # an open lower bound (tolerance > 0, capability > 0) must stay open
            lo = b.lo + 1e-9 * max(1.0, abs(b.lo)) if b.lo_open else b.lo
            for arr, idx in s.cells(cast, path):
                cell: Any = (rows, *idx)
                arr[cell] = np.clip(arr[cell] + delta, lo, b.hi)
        if mask[0]:
            fired_first.append(f"{ev.id}: {ev.what}")
    return fired_first
