"""Loading scenario files: by path or shipped name, TOML decoding, and variants (a ``base`` plus
only what changes)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from model.errors import ScenarioError, problem
from model.scenario.paths import numeric_paths, set_raw, unknown_path_rule
from model.scenario.scenario import Scenario, parse_scenario

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
BASELINE = "baseline-2024"


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario by file path or by the name of a shipped scenario."""
    path = resolve_scenario(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([problem(str(path), "", "file cannot be read", exc.strerror)]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([problem(path.name, "", "not valid TOML", str(exc))]) from None
    if "base" in raw:
        raw = _apply_variant(raw, path)
    return parse_scenario(raw, path.name, path)


VARIANT_KEYS = {"base", "meta", "set", "drop_events", "events", "outcome"}


def _apply_variant(raw: dict[str, Any], path: Path) -> dict[str, Any]:
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
    base_ref = raw["base"]
    base_path = path.parent / f"{base_ref}.toml"
    if base_path.resolve() == path.resolve() or base_ref in (path.name, path.stem):
        raise ScenarioError([problem(src, "base", "a variant cannot be its own base", base_ref)])
    if not base_path.exists() and not (SHIPPED_DIR / f"{base_ref}.toml").exists():
        names = ", ".join(sorted(x.stem for x in SHIPPED_DIR.glob("*.toml")))
        rule = f"no such base (a .toml beside the variant, or a shipped name: {names})"
        raise ScenarioError([problem(src, "base", rule, base_ref)])
    try:
        base = load_scenario(base_path if base_path.exists() else base_ref)
    except ScenarioError as exc:
        first = exc.problems[0].split(": ", 1)[-1]
        raise ScenarioError(
            [problem(src, "base", f"base scenario unusable ({first})", base_ref)]
        ) from None
    except RecursionError:
        raise ScenarioError([problem(src, "base", "variants form a cycle", base_ref)]) from None
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
        if dotted == "model.rule":
            merged.setdefault("model", {})["rule"] = value
        elif dotted not in paths:
            problems.append(problem(src, f"set.{dotted}", unknown_path_rule(dotted, paths), value))
        else:
            set_raw(merged, dotted, value)
    if problems:
        raise ScenarioError(problems)
    return merged


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
