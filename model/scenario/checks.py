"""Validation problems, worded one per line: pydantic's errors mapped back to key paths, and the
rules that involve more than one key (references, roles, dates, event targets)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from model.errors import problem
from model.scenario.paths import STATE_PATHS, numeric_paths
from model.scenario.schema import FIRST_DATE, LAST_DATE, ROLE_FIELDS, Role, ScenarioFile


def _loc_to_path(loc: tuple[int | str, ...], raw: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            ident = (
                node[item].get("id") if item < len(node) and isinstance(node[item], dict) else None
            )
            if ident is None and item < len(node) and isinstance(node[item], dict):
                pair = node[item].get("pair")
                ident = "-".join(map(str, pair)) if isinstance(pair, list) else None
            parts.append(str(ident) if ident else f"[{item}]")
            node = node[item] if item < len(node) else None
        elif not isinstance(node, dict | list) and parts:
            continue  # a member of a union type (``float``, ``str``), not a key of the file
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts).replace(".[", "[")


# What a strict type error expected, and the TOML names of what it got instead.
EXPECTED = {
    "float_type": "a number",
    "int_type": "a whole number (integer)",
    "bool_type": "true or false",
    "date_type": "a TOML date (unquoted, e.g. 2024-03-15)",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def toml_type(value: object) -> str:
    """What a TOML reader made of a value, in TOML's words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dt.datetime):
        return "a date-time"
    for kind, name in (
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (dt.date, "a date"),
        (dt.time, "a time"),
        (list, "a list"),
        (dict, "a table"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def pydantic_problems(exc: ValidationError, raw: Mapping[str, Any], source: str) -> list[str]:
    """One line per problem; the type errors of the members of a union at one key are merged
    (``must be a number or a string, not a boolean``)."""
    found: dict[str, tuple[str, object, list[str]]] = {}
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not str(x).startswith("function-"))
        path = _loc_to_path(loc, raw)
        kind = err["type"]
        value = err.get("input") if kind != "missing" else None
        if kind in EXPECTED:
            prev = found.get(path)
            wanted = [*(prev[2] if prev else []), EXPECTED[kind]]
            wanted = list(dict.fromkeys(wanted))
            rule = f"must be {' or '.join(wanted)}, not {toml_type(value)}"
            found[path] = (rule, value, wanted)
            continue
        if kind == "extra_forbidden":
            rule = "unknown key (a typo?)"
        elif kind == "missing":
            rule = "required key is missing"
        elif kind == "finite_number":
            rule = "must be a finite number"
        elif kind in ("greater_than_equal", "less_than_equal") and isinstance(value, dt.date):
            rule = f"dates must lie between {FIRST_DATE} and {LAST_DATE}"
        else:
            rule = err["msg"][0].lower() + err["msg"][1:]
        key = path if path not in found else f"{path}#{len(found)}"
        found[key] = (rule, value, [])
    return [
        problem(source, path.split("#")[0], rule, value) for path, (rule, value, _) in found.items()
    ]


def cross_checks(spec: ScenarioFile, source: str) -> list[str]:
    """Rules that involve more than one key: references, roles, dates, saliences."""
    out: list[str] = []
    issues, actors = set(spec.issues), spec.actors

    def bad(path: str, rule: str, value: object) -> None:
        out.append(problem(source, path, rule, value))

    principals = [a for a, x in actors.items() if x.role is Role.PRINCIPAL]
    if len(principals) != 2:
        bad("actors", "exactly two actors must have role = 'principal'", principals)
    if not any(i.negotiated for i in spec.issues.values()):
        bad("issues", "at least one issue must be negotiated", sorted(issues))
    for a, x in actors.items():
        for key in ("position", "salience"):
            got = set(getattr(x, key))
            if got != issues:
                missing, extra = sorted(issues - got), sorted(got - issues)
                what = f"missing {missing}" if missing else f"unknown issues {extra}"
                bad(f"actors.{a}.{key}", f"needs one value per issue ({what})", sorted(got))
        if sum(x.salience.values()) <= 0:
            bad(f"actors.{a}.salience", "at least one salience must be > 0", dict(x.salience))
        if x.role is Role.PRINCIPAL:
            if x.of is not None:
                bad(f"actors.{a}.of", "a principal belongs to no one", x.of)
        elif x.of is None:
            bad(f"actors.{a}.of", f"a {x.role.value} must name its principal in 'of'", None)
        elif x.of not in principals:
            bad(f"actors.{a}.of", f"must name a principal ({', '.join(principals)})", x.of)
        for name, roles in ROLE_FIELDS.items():
            if getattr(x, name) is not None and x.role not in roles:
                allowed = ", ".join(r.value for r in roles)
                bad(f"actors.{a}.{name}", f"only for role {allowed}, not {x.role.value}", None)
    audiences = [a for a, x in actors.items() if x.role is Role.AUDIENCE]
    for p in principals:
        n = sum(actors[a].of == p for a in audiences)
        if n > 1:
            bad("actors", f"principal {p} may have at most one audience", n)
    seen_pairs: set[frozenset[str]] = set()
    for r in spec.relations:
        path = f"relations.{'-'.join(r.pair)}"
        for a in r.pair:
            if a not in actors:
                bad(f"{path}.pair", f"unknown actor (known: {', '.join(actors)})", a)
        if r.pair[0] == r.pair[1]:
            bad(f"{path}.pair", "an actor cannot be allied with itself", list(r.pair))
        pair_key = frozenset(r.pair)
        if pair_key in seen_pairs:
            bad(f"{path}.pair", "pair listed twice", list(r.pair))
        seen_pairs.add(pair_key)
        if all(a in actors for a in r.pair) and any(
            actors[a].role in (Role.PATRON, Role.AUDIENCE) for a in r.pair
        ):
            bad(f"{path}.pair", "alliances join principals and allies only", list(r.pair))

    if spec.outcomes.bypass is not None and len(principals) == 2:
        # the engager is the principal with allies (Scenario.principals); tallied allies are its
        with_allies = [
            p for p in principals if any(x.of == p for x in actors.values() if x.role is Role.ALLY)
        ]
        engager = with_allies[0] if with_allies else principals[0]
        allies = [a for a, x in actors.items() if x.role is Role.ALLY and x.of == engager]
        for a in spec.outcomes.bypass:
            if a in actors and actors[a].role is Role.ALLY and actors[a].of not in principals:
                continue  # its 'of' is wrong, and already reported
            if a not in allies:
                bad("outcomes.bypass", f"must name allies of {engager} ({', '.join(allies)})", a)

    start, weeks = spec.meta.start, spec.meta.weeks
    end = start + dt.timedelta(weeks=weeks)
    paths = numeric_paths(spec)
    ids: set[str] = set()
    for e in spec.events:
        path = f"events.{e.id}"
        if e.id in ids:
            bad(f"{path}.id", "event ids must be unique", e.id)
        ids.add(e.id)
        if (e.date is None) == (e.hazard is None):
            bad(path, "give exactly one of 'date' (scheduled) or 'hazard' (weekly chance)", None)
        if e.date is not None and not start <= e.date < end:
            bad(f"{path}.date", f"outside the horizon [{start}, {end})", str(e.date))
        if e.window is not None:
            if e.hazard is None:
                bad(f"{path}.window", "only hazard events have a window", None)
            lo, hi = e.window
            if not (start <= lo <= hi < end):
                bad(f"{path}.window", f"must be ordered dates inside [{start}, {end})", None)
        if e.hazard is not None and "probability" in e.model_fields_set:
            bad(f"{path}.probability", "only dated events have a probability", e.probability)
        if e.date is not None and not e.once:
            bad(f"{path}.once", "a dated event happens once; 'once' is for hazard events", False)
        if not e.set and not e.add:
            bad(path, "an event needs effects in 'set' or 'add'", None)
        for kind, effects in (("set", e.set), ("add", e.add)):
            for target, value in effects.items():
                bounds = paths.get(target, (0.0, STATE_PATHS.get(target)))[1]
                if target.startswith(("events.", "model.rule", "thresholds.")) or bounds is None:
                    bad(f"{path}.{kind}.{target}", "not a path an event can change", value)
                    continue
                if kind == "set" and (rule := bounds.check(value)) is not None:
                    bad(f"{path}.{kind}.{target}", rule, value)
                if kind == "add" and not math.isfinite(value):
                    bad(f"{path}.{kind}.{target}", "must be a finite number", value)
    if spec.outcome is not None:
        out += _outcome_checks(spec, source)
    return out


def _outcome_checks(spec: ScenarioFile, source: str) -> list[str]:
    """A past case's [outcome]: the summit's date inside the horizon, an agreement only at a
    summit, an announcement before the meeting."""
    o = spec.outcome
    assert o is not None
    start = spec.meta.start
    end = start + dt.timedelta(weeks=spec.meta.weeks)
    out: list[str] = []
    if o.summit and o.summit_date is None:
        out.append(problem(source, "outcome.summit_date", "required when summit = true", None))
    if o.summit and o.summit_date is not None and not start <= o.summit_date < end:
        rule = f"outside the horizon [{start}, {end}) (a later summit is summit = false)"
        out.append(problem(source, "outcome.summit_date", rule, str(o.summit_date)))
    if not o.summit:
        for key in ("summit_date", "announced"):
            if getattr(o, key) is not None:
                rule = "only for summit = true (no summit within the horizon)"
                out.append(problem(source, f"outcome.{key}", rule, str(getattr(o, key))))
        if o.agreement:
            out.append(problem(source, "outcome.agreement", "an agreement needs a summit", True))
    if o.announced is not None and o.summit_date is not None and o.announced > o.summit_date:
        rule = f"must not be after summit_date ({o.summit_date})"
        out.append(problem(source, "outcome.announced", rule, str(o.announced)))
    return out
