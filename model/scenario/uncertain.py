"""Uncertain quantities: a judgement written as a range instead of a single number.

Any numeric value of a scenario file may be a small table instead of a number (docs/SCENARIOS.md):

- ``{ low = 0.1, mode = 0.25, high = 0.4 }``: triangular (the usual three-point estimate of
  expert judgement: lowest plausible, most likely, highest plausible; Vose 2008, ch. 9);
- ``{ low = 0.1, high = 0.4 }``: uniform (a range with no favourite inside it);
- ``{ mean = 0.25, sd = 0.05 }``, optionally with ``low``/``high``: a normal truncated to those
  bounds, and always to the value's own bounds.

Each may carry ``basis = "..."``: why this low, why this high. Loading replaces every such table
by its central value (mode, midpoint or mean), so a scenario with ranges is also a complete point
scenario; the tables themselves are kept by dotted path (`split_uncertain`) for the batch, which
draws one value per *world* from each (`Uncertain.quantile`, docs/MODEL.md §12).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from model.errors import problem

Kind = Literal["triangular", "uniform", "normal"]
KEYS = frozenset({"low", "mode", "high", "mean", "sd", "basis"})
_STD = NormalDist()


@dataclass(frozen=True)
class Uncertain:
    """One uncertain value: its distribution, and the analyst's basis for it."""

    kind: Kind
    low: float
    high: float
    mode: float | None = None  # triangular
    mean: float | None = None  # normal
    sd: float | None = None  # normal
    basis: str | None = None

    @property
    def central(self) -> float:
        """The value a point scenario uses: the mode, the midpoint, or the mean."""
        if self.kind == "triangular":
            assert self.mode is not None
            return self.mode
        if self.kind == "normal":
            assert self.mean is not None
            return self.mean
        return (self.low + self.high) / 2

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Inverse distribution function at ``u`` in [0, 1) (Latin hypercube strata → values)."""
        u = np.asarray(u, dtype=float)
        lo, hi = self.low, self.high
        if self.kind == "uniform" or hi == lo:
            return lo + u * (hi - lo)
        if self.kind == "triangular":
            c = self.mode
            assert c is not None
            cut = (c - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (c - lo))
            right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - c))
            return np.where(u < cut, left, right)
        assert self.mean is not None and self.sd is not None
        if self.sd == 0:
            return np.full_like(u, self.mean)
        # truncated normal: map u into [Φ(a), Φ(b)], then Φ⁻¹ (the stdlib's, no scipy needed)
        a = _STD.cdf((lo - self.mean) / self.sd) if math.isfinite(lo) else 0.0
        b = _STD.cdf((hi - self.mean) / self.sd) if math.isfinite(hi) else 1.0
        p = np.clip(a + u * (b - a), 1e-12, 1 - 1e-12)
        z = np.array([_STD.inv_cdf(float(x)) for x in p.ravel()]).reshape(p.shape)
        return np.clip(self.mean + self.sd * z, lo, hi)

    def describe(self) -> str:
        """Short text for tables: ``tri(0.1, 0.25, 0.4)``, ``uni(0.1, 0.4)``, ``N(0.25, 0.05)``."""
        if self.kind == "triangular":
            return f"tri({self.low:g}, {self.mode:g}, {self.high:g})"
        if self.kind == "uniform":
            return f"uni({self.low:g}, {self.high:g})"
        return f"N({self.mean:g}, {self.sd:g}) in [{self.low:g}, {self.high:g}]"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "low": self.low, "high": self.high}
        for key in ("mode", "mean", "sd", "basis"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def is_quantity(value: object) -> bool:
    """A table whose keys are those of an uncertain quantity (anything else is left to the
    schema, which then says what it expected)."""
    return isinstance(value, dict) and bool(value) and set(value) <= KEYS


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_quantity(value: Mapping[str, Any]) -> Uncertain | str:
    """The quantity a table describes, or the rule it breaks (one clause)."""
    keys = set(value)
    for key in sorted(keys - {"basis"}):
        if not _number(value[key]):
            return f"{key} must be a finite number"
    if "basis" in keys and not (isinstance(value["basis"], str) and value["basis"].strip()):
        return "basis must be a non-empty string"
    basis = value.get("basis")
    if {"mean", "sd"} <= keys:
        if "mode" in keys:
            return "give {mean, sd} (normal) or {low, mode, high} (triangular), not both"
        mean, sd = float(value["mean"]), float(value["sd"])
        lo, hi = float(value.get("low", -math.inf)), float(value.get("high", math.inf))
        if sd < 0:
            return "sd must be >= 0"
        if not lo <= mean <= hi:
            return "must have low <= mean <= high"
        return Uncertain("normal", lo, hi, mean=mean, sd=sd, basis=basis)
    if keys & {"mean", "sd"}:
        return "a normal range needs both mean and sd"
    if not {"low", "high"} <= keys:
        return "a range needs low and high (and mode for a triangular one), or mean and sd"
    lo, hi = float(value["low"]), float(value["high"])
    if "mode" in keys:
        mode = float(value["mode"])
        if not lo <= mode <= hi:
            return "must have low <= mode <= high"
        return Uncertain("triangular", lo, hi, mode=mode, basis=basis)
    if not lo <= hi:
        return "must have low <= high"
    return Uncertain("uniform", lo, hi, basis=basis)


# ----------------------------------------------------------------------------- in a file


def _slots(raw: dict[str, Any]) -> list[tuple[str, dict[str, Any] | list[Any], Any]]:
    """Every place a number may stand in a scenario file: (dotted path, container, key).

    The paths are those of `paths.numeric_paths` (sweeps, variants' [set], the Python API), plus
    ``events.<id>.set.<target>`` and ``events.<id>.add.<target>`` for the events' effects."""
    out: list[tuple[str, Any, Any]] = []
    for k, iss in _tables(raw.get("issues")):
        out.append((f"issues.{k}.status_quo", iss, "status_quo"))
    for a, actor in _tables(raw.get("actors")):
        for key, value in actor.items():
            if key in ("position", "salience") and isinstance(value, dict):
                out += [(f"actors.{a}.{key}.{k}", value, k) for k in value]
            elif key not in ("name", "role", "of"):
                out.append((f"actors.{a}.{key}", actor, key))
    for rel in _items(raw.get("relations")):
        pair = rel.get("pair")
        name = "-".join(map(str, pair)) if isinstance(pair, list) else "?"
        if "weight" in rel:
            out.append((f"relations.{name}.weight", rel, "weight"))
    for ev in _items(raw.get("events")):
        eid = ev.get("id", "?")
        for key in ("hazard", "probability"):
            if key in ev:
                out.append((f"events.{eid}.{key}", ev, key))
        for kind in ("set", "add"):
            effects = ev.get(kind)
            if isinstance(effects, dict):
                out += [(f"events.{eid}.{kind}.{t}", effects, t) for t in effects]
    for section in ("model", "thresholds"):
        params = raw.get(section)
        if isinstance(params, dict):
            out += [(f"{section}.{key}", params, key) for key in params if key != "rule"]
    return out


def _tables(node: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(node, dict):
        return []
    return [(k, v) for k, v in node.items() if isinstance(v, dict)]


def _items(node: Any) -> list[dict[str, Any]]:
    return [x for x in node if isinstance(x, dict)] if isinstance(node, list) else []


def split_uncertain(
    raw: Mapping[str, Any], source: str
) -> tuple[dict[str, Any], dict[str, Uncertain], list[str]]:
    """A copy of ``raw`` with each uncertain table replaced by its central value, the tables by
    dotted path, and the problems (one line each) of the tables that do not parse."""
    points = copy.deepcopy(dict(raw))
    found: dict[str, Uncertain] = {}
    problems: list[str] = []
    for path, container, key in _slots(points):
        value = container[key]
        if not is_quantity(value):
            continue
        q = parse_quantity(value)
        if isinstance(q, str):
            problems.append(problem(source, path, q, _inline(value)))
            container[key] = value.get("mode", value.get("mean", value.get("low", 0.0)))
            continue
        found[path] = q
        container[key] = q.central
    return points, found, problems


def check_support(
    found: Mapping[str, Uncertain], bounds: Callable[[str], Any], source: str
) -> list[str]:
    """Each range lies inside its value's own bounds; a normal without bounds of its own takes
    them (so every drawn value is a valid value). ``bounds(path)`` gives a `Bounds` or None."""
    out: list[str] = []
    for path, q in found.items():
        b = bounds(path)
        if b is None:
            continue
        ends = [(k, v) for k, v in (("low", q.low), ("high", q.high)) if math.isfinite(v)]
        if q.mean is not None:
            ends.append(("mean", q.mean))
        for name, v in ends:
            if (rule := b.check(float(v))) is not None:
                out.append(problem(source, f"{path}.{name}", rule, v))
    return out


def clip_to(q: Uncertain, lo: float, hi: float) -> Uncertain:
    """A normal's support narrowed to the value's own bounds (a no-op for the others)."""
    if q.kind != "normal":
        return q
    return Uncertain("normal", max(q.low, lo), min(q.high, hi), mean=q.mean, sd=q.sd, basis=q.basis)


def _inline(value: Mapping[str, Any]) -> str:
    return "{ " + ", ".join(f"{k} = {v!r}" for k, v in value.items()) + " }"
