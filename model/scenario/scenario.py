"""`Scenario`: a validated scenario file, immutable; `with_values` returns a changed copy."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.errors import ScenarioError, problem
from model.scenario.checks import cross_checks, pydantic_problems
from model.scenario.paths import Bounds, numeric_paths, set_raw, unknown_path_rule
from model.scenario.schema import Actor, Outcomes, Role, ScenarioFile


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: immutable; `with_values` returns a changed, re-validated copy."""

    spec: ScenarioFile
    raw: Mapping[str, Any] = field(repr=False)
    source: str  # file name (or "<memory>") used in error messages
    path: Path | None = None

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

    def with_values(self, changes: Mapping[str, float | str]) -> Scenario:
        """A copy with numbers (or ``model.rule``) changed by dotted path, validated again."""
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
        return parse_scenario(raw, self.source, self.path)

    def canonical_hash(self) -> str:
        """sha256 of the validated content, independent of comments, key order and layout."""
        content = self.spec.model_dump(mode="json")
        content.pop("outcome")  # what happened in a past case is not model input
        if self.spec.outcomes == Outcomes():
            content.pop("outcomes")  # the section came later: hashes of files without it stay
        blob = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def parse_scenario(raw: Mapping[str, Any], source: str, path: Path | None = None) -> Scenario:
    try:
        spec = ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, raw, source)) from None
    problems = cross_checks(spec, source)
    if problems:
        raise ScenarioError(problems)
    return Scenario(spec=spec, raw=raw, source=source, path=path)
