"""`Scenario`: a validated scenario file, immutable; `with_values` returns a changed copy."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.errors import ScenarioError, problem
from model.scenario.checks import cross_checks, pydantic_problems
from model.scenario.paths import STATE_PATHS, Bounds, numeric_paths, set_raw, unknown_path_rule
from model.scenario.schema import Actor, Outcomes, Role, ScenarioFile
from model.scenario.uncertain import Uncertain, check_support, clip_to, split_uncertain

ANY_NUMBER = Bounds(-math.inf, math.inf)  # what an event may add (it is clipped when applied)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: immutable; `with_values` returns a changed, re-validated copy."""

    spec: ScenarioFile
    raw: Mapping[str, Any] = field(repr=False)
    source: str  # file name (or "<memory>") used in error messages
    path: Path | None = None
    # judgements given as ranges, by dotted path (docs/SCENARIOS.md); ``spec`` holds their
    # central values, so the scenario is also a complete point scenario
    uncertain: Mapping[str, Uncertain] = field(default_factory=dict)
    # a variant's base files, its own base first (the files its content came from besides
    # ``path``: manifests record their sha256)
    bases: tuple[Path, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.meta.name

    @property
    def title(self) -> str:
        return self.spec.meta.title

    @property
    def weeks(self) -> int:
        return self.spec.meta.weeks

    @property
    def actor_ids(self) -> list[str]:
        return list(self.spec.actors)

    @property
    def issue_ids(self) -> list[str]:
        return list(self.spec.issues)

    def principals(self) -> tuple[str, str]:
        """(engager, counterpart): the principal with allies first (it consults, gets strained)."""
        ps = [a for a, x in self.spec.actors.items() if x.role is Role.PRINCIPAL]
        with_allies = [p for p in ps if any(x.of == p for x in self.allies().values())]
        first = with_allies[0] if with_allies else ps[0]
        second = ps[1] if ps[0] == first else ps[0]
        return first, second

    def by_role(self, role: Role) -> dict[str, Actor]:
        return {a: x for a, x in self.spec.actors.items() if x.role is role}

    def allies(self) -> dict[str, Actor]:
        return self.by_role(Role.ALLY)

    def alliance_pairs(self) -> list[tuple[str, str]]:
        return [r.pair for r in self.spec.relations if r.kind == "alliance"]

    def week_of(self, date: dt.date) -> int:
        return (date - self.spec.meta.start).days // 7

    def values(self) -> dict[str, float]:
        """Every addressable number, by dotted path (the names sweeps and events use)."""
        return {p: v for p, (v, _) in numeric_paths(self.spec).items()}

    def all_bounds(self) -> dict[str, Bounds]:
        """Bounds of every addressable number, by dotted path (one pass over the scenario)."""
        return {p: b for p, (_, b) in numeric_paths(self.spec).items()}

    def effect_bounds(self) -> dict[str, Bounds]:
        """Bounds of the events' effects, ``events.<id>.set.<target>`` (the target's bounds) and
        ``events.<id>.add.<target>`` (any finite number): values a range may stand for."""
        targets = {**self.all_bounds(), **STATE_PATHS}
        out: dict[str, Bounds] = {}
        for e in self.spec.events:
            for t in e.set:
                out[f"events.{e.id}.set.{t}"] = targets.get(t, ANY_NUMBER)
            for t in e.add:
                out[f"events.{e.id}.add.{t}"] = ANY_NUMBER
        return out

    def bounds(self, path: str) -> Bounds:
        paths = numeric_paths(self.spec)
        if path not in paths:
            raise ScenarioError([problem(self.source, path, unknown_path_rule(path, paths), path)])
        return paths[path][1]

    def get(self, path: str) -> float:
        v = self.values()
        if path not in v:
            raise ScenarioError([problem(self.source, path, unknown_path_rule(path, v), path)])
        return v[path]

    def with_values(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with numbers (or ``model.rule``) changed by dotted path, validated again. A
        number makes a range certain; a range table (docs/SCENARIOS.md) makes a value uncertain."""
        raw = copy.deepcopy(dict(self.raw))
        paths = numeric_paths(self.spec)
        for path, value in changes.items():
            if path == "model.rule":
                raw.setdefault("model", {})["rule"] = value
                continue
            if path not in paths:
                raise ScenarioError(
                    [problem(self.source, path, unknown_path_rule(path, paths), value)]
                )
            set_raw(raw, path, value)
        return dataclasses.replace(parse_scenario(raw, self.source, self.path), bases=self.bases)

    def canonical_hash(self) -> str:
        """sha256 of the validated content, independent of comments, key order and layout."""
        content = self.spec.model_dump(mode="json")
        content.pop("outcome")  # what happened in a past case is not model input
        if self.spec.outcomes == Outcomes():
            content.pop("outcomes")  # the section came later: hashes of files without it stay
        if self.uncertain:  # ranges came later too: a file without them keeps its hash
            content["uncertain"] = {p: q.to_json() for p, q in sorted(self.uncertain.items())}
        blob = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def parse_scenario(raw: Mapping[str, Any], source: str, path: Path | None = None) -> Scenario:
    """Validate a scenario's raw TOML: ranges first (each replaced by its central value), then
    the schema, then the rules across keys, then each range against its value's bounds."""
    points, uncertain, problems = split_uncertain(raw, source)
    try:
        spec = ScenarioFile.model_validate(points)
    except ValidationError as exc:
        # a range that does not parse is said once, by its own rule, not again by the schema
        said = tuple(line.split("; got ")[0].rsplit(": ", 1)[0] + ":" for line in problems)
        rest = [x for x in pydantic_problems(exc, points, source) if not x.startswith(said or "\0")]
        raise ScenarioError(problems + rest) from None
    problems += cross_checks(spec, source)
    if problems:
        raise ScenarioError(problems)
    scn = Scenario(spec=spec, raw=raw, source=source, path=path)
    if not uncertain:
        return scn
    known = {**scn.all_bounds(), **scn.effect_bounds()}
    problems = check_support(uncertain, known.get, source)
    if problems:
        raise ScenarioError(problems)
    ranges = {p: clip_to(q, known[p].lo, known[p].hi) for p, q in uncertain.items()}
    return Scenario(spec=spec, raw=raw, source=source, path=path, uncertain=ranges)
