"""Loading scenario files: by path or shipped name, TOML decoding, and variants (a ``base`` plus
only what changes)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.errors import ScenarioError, problem
from model.scenario.checks import pydantic_problems
from model.scenario.paths import numeric_paths, set_raw, unknown_path_rule
from model.scenario.scenario import Scenario, parse_scenario
from model.scenario.tomlfile import read_toml
from model.scenario.uncertain import is_quantity

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
BASELINE = "baseline-2024"
MAX_BASES = 8  # a variant of a variant of …: at most this many files in the chain


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario by file path or by the name of a shipped scenario."""
    return _load(source, ())


def _load(source: str | Path, chain: tuple[Path, ...]) -> Scenario:
    """Load one file; ``chain`` holds the variants whose base it is (outermost first)."""
    path = resolve_scenario(source)
    raw = read_toml(path)
    bases: tuple[Path, ...] = ()
    if "base" in raw:
        raw, bases = _apply_variant(raw, path, (*chain, path))
    return dataclasses.replace(parse_scenario(raw, path.name, path), bases=bases)


VARIANT_KEYS = {"base", "meta", "set", "drop_events", "events", "outcome"}


class VariantFile(BaseModel):
    """The shape of a variant's keys (what they hold is checked after merging with the base)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    base: str = Field(min_length=1)
    meta: dict[str, Any] = Field(default_factory=dict)
    set: dict[str, Any] = Field(default_factory=dict)
    drop_events: list[str] = Field(default_factory=list)
    events: list[dict[str, Any]] = Field(default_factory=list)
    outcome: dict[str, Any] | None = None  # a past case's record (checked after merging)


def _apply_variant(
    raw: dict[str, Any], path: Path, chain: tuple[Path, ...]
) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """A variant names a ``base`` scenario and lists only what it changes.

    ``[meta]`` keys replace the base's, ``[set]`` changes numbers by dotted path (checked against
    the base), ``drop_events`` removes base events by id and ``[[events]]`` adds new ones; a past
    case's ``[outcome]`` is the variant's own (a base's is never inherited). The
    result is validated like any scenario, so a variant can never be less checked than a file.
    """
    src = path.name
    for key in raw:
        if key not in VARIANT_KEYS:
            allowed = ", ".join(sorted(VARIANT_KEYS))
            raise ScenarioError([problem(src, key, f"unknown key in a variant ({allowed})", key)])
    try:
        VariantFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, raw, src)) from None
    base_ref = raw["base"]
    # "x" and "x.toml" name the same file: analysts write either, and a path to another
    # directory ("../shared/base.toml") is as natural as a name beside the variant
    file_name = base_ref if base_ref.endswith(".toml") else f"{base_ref}.toml"
    base_path = path.parent / file_name
    if base_path.resolve() == path.resolve() or base_ref in (path.name, path.stem):
        raise ScenarioError([problem(src, "base", "a variant cannot be its own base", base_ref)])
    if not base_path.exists() and not (SHIPPED_DIR / file_name).exists():
        names = ", ".join(sorted(x.stem for x in SHIPPED_DIR.glob("*.toml")))
        rule = (
            "no such base (a .toml beside the variant or a path from its directory, "
            f"or a shipped name: {names})"
        )
        raise ScenarioError([problem(src, "base", rule, base_ref)])
    target = base_path if base_path.exists() else SHIPPED_DIR / file_name
    seen = [p.resolve() for p in chain]
    if target.resolve() in seen:
        loop = " -> ".join(p.name for p in [*chain[seen.index(target.resolve()) :], target])
        raise ScenarioError([problem(src, "base", f"variants form a cycle ({loop})", base_ref)])
    if len(chain) >= MAX_BASES:
        rule = f"a chain of variants may hold at most {MAX_BASES} files"
        raise ScenarioError([problem(src, "base", rule, " -> ".join(p.name for p in chain))])
    try:
        base = _load(target, chain)
    except ScenarioError as exc:
        first = exc.problems[0]
        if "variants form a cycle" in first or "a chain of variants" in first:
            raise  # said once, by the file that closes the loop
        raise ScenarioError(
            [problem(src, "base", f"base scenario unusable ({first})", base_ref)]
        ) from None
    merged = copy.deepcopy(dict(base.raw))
    merged["meta"] = {**merged["meta"], **raw.get("meta", {}), "variant_of": base.name}
    merged.pop("outcome", None)  # a past case's outcome belongs to its file: never inherited
    if "outcome" in raw:
        merged["outcome"] = raw["outcome"]
    problems: list[str] = []  # every problem of the variant at once, as for scenario files
    drop = raw.get("drop_events", [])
    known = [e.id for e in base.spec.events]
    for ev_id in drop:
        if ev_id not in known:
            problems.append(
                problem(src, "drop_events", f"no such event in {base.name} ({known})", ev_id)
            )
    merged["events"] = [e for e in merged.get("events", []) if e.get("id") not in drop]
    merged["events"] += raw.get("events", [])
    paths = numeric_paths(base.spec)
    for dotted, value in raw.get("set", {}).items():
        if isinstance(value, dict) and not is_quantity(value):
            rule = 'dotted paths must be quoted ("actors.ROK.openness" = 0.5)'
            problems.append(problem(src, f"set.{dotted}", rule, value))
        elif dotted == "model.rule":
            merged.setdefault("model", {})["rule"] = value
        elif dotted not in paths:
            problems.append(problem(src, f"set.{dotted}", unknown_path_rule(dotted, paths), value))
        else:
            set_raw(merged, dotted, value)
    if problems:
        raise ScenarioError(problems)
    assert base.path is not None  # loaded from a file
    return merged, (base.path, *base.bases)


def resolve_scenario(source: str | Path) -> Path:
    p = Path(source)
    if p.suffix == ".toml" or p.exists() or "/" in str(source):
        if not p.exists():
            raise ScenarioError([problem(str(p), "", "no such scenario file", str(source))])
        return p
    shipped = SHIPPED_DIR / f"{source}.toml"
    if shipped.exists():
        return shipped
    names = ", ".join(sorted(x.stem for x in SHIPPED_DIR.glob("*.toml")))
    raise ScenarioError(
        [problem(str(source), "", f"neither a file nor a shipped scenario ({names})", str(source))]
    )


def shipped_scenarios() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.toml"))
