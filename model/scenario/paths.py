"""Dotted paths: every number of a scenario has a name (``actors.ROK.salience.alliance``,
``model.alliance_cost``) that sweeps, events and the Python API use alike, and bounds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import annotated_types as at
from pydantic import BaseModel

from model.scenario.schema import (
    ROLE_DEFAULTS,
    ROLE_FIELDS,
    Actor,
    ModelParams,
    Relation,
    ScenarioFile,
    Thresholds,
)


@dataclass(frozen=True)
class Bounds:
    lo: float
    hi: float
    lo_open: bool = False
    integer: bool = False

    def check(self, value: float) -> str | None:
        """The rule a value breaks, or None."""
        if not math.isfinite(value):
            return "must be a finite number"
        if self.integer and not float(value).is_integer():
            return "must be a whole number"
        if self.lo_open and value <= self.lo:
            return f"must be > {self.lo:g}"
        if value < self.lo:
            return f"must be >= {self.lo:g}"
        if value > self.hi:
            return f"must be <= {self.hi:g}"
        return None


def field_bounds(model: type[BaseModel], name: str) -> Bounds:
    integer = model.model_fields[name].annotation is int
    lo, hi, lo_open = -math.inf, math.inf, False
    for m in model.model_fields[name].metadata:
        if isinstance(m, at.Ge):
            lo = float(m.ge)  # type: ignore[arg-type]
        elif isinstance(m, at.Gt):
            lo, lo_open = float(m.gt), True  # type: ignore[arg-type]
        elif isinstance(m, at.Le):
            hi = float(m.le)  # type: ignore[arg-type]
    return Bounds(lo, hi, lo_open, integer)


UNIT = Bounds(0.0, 1.0)
SCORE = Bounds(0.0, 100.0)


def unknown_path_rule(path: str, known: Mapping[str, object]) -> str:
    head = path.rsplit(".", 1)[0]
    near = sorted(p for p in known if p.startswith(head + "."))[:6]
    hint = f" (known under {head}: {', '.join(near)})" if near else ""
    return "not a numeric parameter of this scenario" + hint


def set_raw(raw: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if parts[0] == "events":
        for ev in raw.get("events", []):
            if ev.get("id") == parts[1]:
                ev[parts[2]] = value
                return
    if parts[0] == "relations":
        for rel in raw.get("relations", []):
            if "-".join(rel["pair"]) == parts[1]:
                rel[parts[2]] = value
                return
    node = raw
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def numeric_paths(spec: ScenarioFile) -> dict[str, tuple[float, Bounds]]:
    """All numeric values with their bounds. Role fields an actor does not have are left out."""
    out: dict[str, tuple[float, Bounds]] = {}
    for k, iss in spec.issues.items():
        out[f"issues.{k}.status_quo"] = (iss.status_quo, SCORE)
    for a, x in spec.actors.items():
        out[f"actors.{a}.capability"] = (x.capability, field_bounds(Actor, "capability"))
        for k, v in x.position.items():
            out[f"actors.{a}.position.{k}"] = (v, SCORE)
        for k, v in x.salience.items():
            out[f"actors.{a}.salience.{k}"] = (v, UNIT)
        out[f"actors.{a}.stubbornness"] = (x.stubbornness, UNIT)
        out[f"actors.{a}.tolerance"] = (x.tolerance, field_bounds(Actor, "tolerance"))
        for name, roles in ROLE_FIELDS.items():
            if x.role in roles:
                val = getattr(x, name)
                val = ROLE_DEFAULTS[name] if val is None else val
                out[f"actors.{a}.{name}"] = (float(val), field_bounds(Actor, name))
    for r in spec.relations:
        out[f"relations.{'-'.join(r.pair)}.weight"] = (r.weight, field_bounds(Relation, "weight"))
    for e in spec.events:
        if e.hazard is not None:
            out[f"events.{e.id}.hazard"] = (e.hazard, UNIT)
        else:
            out[f"events.{e.id}.probability"] = (e.probability, UNIT)
    for name in ModelParams.model_fields:
        if name != "rule":
            val = getattr(spec.model, name)
            out[f"model.{name}"] = (float(val), field_bounds(ModelParams, name))
    for name in Thresholds.model_fields:
        bounds = field_bounds(Thresholds, name)
        out[f"thresholds.{name}"] = (float(getattr(spec.thresholds, name)), bounds)
    return out


# Paths that only events may change: dynamic state rather than a scenario number.
STATE_PATHS: dict[str, Bounds] = {"state.momentum": UNIT, "state.threat": UNIT}
