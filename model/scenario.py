"""Scenario files: load, validate and address the numbers in them by dotted path.

A scenario is pure data (TOML, never executed). `load_scenario` turns a file into an immutable
`Scenario`; every numeric value in it has a dotted path (``actors.ROK.salience.alliance``,
``model.alliance_cost``) that sweeps, events and the Python API use alike. The format is
documented in docs/SCENARIOS.md; the meaning of each model parameter in docs/MODEL.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types as at
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.errors import ScenarioError, problem

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "scenarios"
BASELINE = "baseline-2024"

Score = Annotated[float, Field(ge=0, le=100)]  # a point on an issue's 0–100 scale
Unit = Annotated[float, Field(ge=0, le=1)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
ActorId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]


class Role(StrEnum):
    PRINCIPAL = "principal"  # one of the two leaders who may meet
    ALLY = "ally"  # an ally of a principal: consulted, may support or resent the summit
    PATRON = "patron"  # backs a principal, reducing its isolation
    AUDIENCE = "audience"  # a principal's domestic public: ratifies the deal, presses the leader


class Rule(StrEnum):
    COMPROMISE = "compromise"  # Friedkin–Johnsen update weighted by capability × salience
    CHALLENGE = "challenge"  # Bueno de Mesquita / KTAB-style probabilistic challenges


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Strict):
    name: Slug
    title: str
    description: str = Field(min_length=1, max_length=200)
    start: dt.date
    weeks: int = Field(ge=1, le=520)  # weeks
    sources: list[str] = Field(min_length=1)
    variant_of: str | None = None


class Issue(_Strict):
    label: str
    low: str  # what 0 means
    high: str  # what 100 means
    status_quo: Score
    negotiated: bool = True  # on the summit table (else it only shapes support and strain)


class Actor(_Strict):
    name: str
    role: Role
    of: ActorId | None = None  # the principal an ally, patron or audience belongs to
    capability: float = Field(gt=0, le=1000)
    position: dict[str, Score]
    salience: dict[str, Unit]
    stubbornness: Unit = 0.5  # weight on the initial position (Friedkin–Johnsen anchoring)
    tolerance: float = Field(default=0.5, gt=0, le=10)  # loss accepted in a deal
    meeting_value: float | None = Field(default=None, ge=-5, le=5)  # principal only
    # Role-specific (None = not given); Field bounds, not `Unit | None`, so that the bounds are
    # also visible to the event and sweep checks (_field_bounds reads them).
    openness: float | None = Field(default=None, ge=0, le=1)  # ally: backs the dialogue
    consulted: float | None = Field(default=None, ge=0, le=1)  # ally: initial consultation
    consult_open: float | None = Field(default=None, ge=0, le=1)  # ally: 1 open, 0 blocked
    backing: float | None = Field(default=None, ge=0, le=1)  # patron only


ROLE_FIELDS: dict[str, set[Role]] = {
    "meeting_value": {Role.PRINCIPAL},
    "openness": {Role.ALLY},
    "consulted": {Role.ALLY},
    "consult_open": {Role.ALLY},
    "backing": {Role.PATRON},
}
ROLE_DEFAULTS: dict[str, float] = {
    "meeting_value": 0.0,
    "openness": 0.5,
    "consulted": 0.5,
    "consult_open": 1.0,
    "backing": 0.0,
}


class Relation(_Strict):
    kind: Literal["alliance"]
    pair: tuple[ActorId, ActorId]
    weight: float = Field(default=1.0, ge=0, le=10)  # influence tie strength


class Event(_Strict):
    id: Slug
    what: str
    date: dt.date | None = None
    hazard: Unit | None = None  # weekly probability, per replication
    probability: Unit = 1.0  # chance that a dated event happens at all
    window: tuple[dt.date, dt.date] | None = None  # when a hazard event can fire
    once: bool = True  # a hazard event fires at most once per run
    set: dict[str, float] = Field(default_factory=dict)
    add: dict[str, float] = Field(default_factory=dict)
    source: str | None = None


class ModelParams(_Strict):
    """Model parameters; defaults and meanings are documented in docs/MODEL.md."""

    rule: Rule = Rule.COMPROMISE
    influence_rate: Unit = 0.15  # share of the way to the influence target moved per week
    challenge_step: Unit = 0.3  # share of the distance a loser of a challenge concedes
    challenge_cost: float = Field(default=0.1, ge=0, le=10)  # cost of mounting a challenge
    dialogue_tie: float = Field(default=1.0, ge=0, le=10)  # principals' mutual tie × momentum
    momentum_gain: Unit = 0.15  # per week, when both principals signal fully
    momentum_decay: Unit = 0.05  # per week
    prep_consult_share: Unit = 0.5  # share of preparation that runs through allies' consultation
    initial_momentum: Unit = 0.2
    prep_threshold: Unit = 0.65  # momentum needed before a summit can be held
    resolve_noise: float = Field(default=0.2, ge=0, le=10)  # sd of a leader's private resolve
    signal_temperature: float = Field(default=0.1, gt=0, le=10)
    signal_noise: float = Field(default=0.1, ge=0, le=10)
    decision_noise: float = Field(default=0.1, ge=0, le=10)
    bargain_noise: float = Field(default=6.0, ge=0, le=50)  # points on the 0–100 scale
    alliance_cost: float = Field(default=0.3, ge=0, le=10)
    audience_cost: float = Field(default=0.08, ge=0, le=10)
    wedge_value: float = Field(default=1.0, ge=0, le=10)
    backing_power: float = Field(default=1.0, ge=0, le=10)  # patron backing -> bargaining power
    backing_resolve: float = Field(default=2.0, ge=0, le=10)  # patron backing -> harder to move
    backing_engagement: float = Field(default=0.15, ge=0, le=10)  # backing -> readier to meet
    consult_required: Unit = 0.6  # the engager waits until each ally is consulted this much…
    consult_patience: int = Field(default=8, ge=0, le=520)  # …but for at most this many weeks
    consult_rate: Unit = 0.3  # per week while the channel is open
    consult_decay: Unit = 0.05  # per week while it is blocked
    strain_unilateral: Unit = 0.35  # summit held without an ally's support
    strain_bypass: Unit = 0.25  # an ally bypassed (support below the bypass threshold)
    strain_terms: Unit = 0.3  # deal terms beyond an ally's tolerance
    strain_split: Unit = 0.15  # between two allies, one backing the summit and one not
    strain_talks: Unit = 0.05  # preparatory talks without an ally's support, per unit momentum
    strain_decay: Unit = 0.04  # per week


class Thresholds(_Strict):
    high_strain: Unit = 0.3  # strain index (mean over alliance pairs) this high counts as "high"
    wedge_strain: Unit = 0.5  # a summit after which some alliance pair peaks this high: a wedge
    bypass_support: Unit = 0.25  # an ally whose support is below this at the summit is bypassed


class ScenarioFile(_Strict):
    meta: Meta
    issues: dict[Slug, Issue] = Field(min_length=1)
    actors: dict[ActorId, Actor] = Field(min_length=2)
    relations: list[Relation] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    model: ModelParams = Field(default_factory=ModelParams)
    thresholds: Thresholds = Field(default_factory=Thresholds)


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


def _field_bounds(model: type[BaseModel], name: str) -> Bounds:
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
        return {p: v for p, (v, _) in _numeric_paths(self.spec).items()}

    def all_bounds(self) -> dict[str, Bounds]:
        """Bounds of every addressable number, by dotted path (one pass over the scenario)."""
        return {p: b for p, (_, b) in _numeric_paths(self.spec).items()}

    def bounds(self, path: str) -> Bounds:
        paths = _numeric_paths(self.spec)
        if path not in paths:
            raise ScenarioError([problem(self.source, path, _unknown_path_rule(path, paths), path)])
        return paths[path][1]

    def get(self, path: str) -> float:
        v = self.values()
        if path not in v:
            raise ScenarioError([problem(self.source, path, _unknown_path_rule(path, v), path)])
        return v[path]

    def with_values(self, changes: Mapping[str, float | str]) -> Scenario:
        """A copy with numbers (or ``model.rule``) changed by dotted path, validated again."""
        raw = copy.deepcopy(dict(self.raw))
        paths = _numeric_paths(self.spec)
        for path, value in changes.items():
            if path == "model.rule":
                raw.setdefault("model", {})["rule"] = value
                continue
            if path not in paths:
                raise ScenarioError(
                    [problem(self.source, path, _unknown_path_rule(path, paths), value)]
                )
            _set_raw(raw, path, value)
        return parse_scenario(raw, self.source, self.path)

    def canonical_hash(self) -> str:
        """sha256 of the validated content, independent of comments, key order and layout."""
        blob = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def _unknown_path_rule(path: str, known: Mapping[str, object]) -> str:
    head = path.rsplit(".", 1)[0]
    near = sorted(p for p in known if p.startswith(head + "."))[:6]
    hint = f" (known under {head}: {', '.join(near)})" if near else ""
    return "not a numeric parameter of this scenario" + hint


def _set_raw(raw: dict[str, Any], path: str, value: Any) -> None:
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


def _numeric_paths(spec: ScenarioFile) -> dict[str, tuple[float, Bounds]]:
    """All numeric values with their bounds. Role fields an actor does not have are left out."""
    out: dict[str, tuple[float, Bounds]] = {}
    for k, iss in spec.issues.items():
        out[f"issues.{k}.status_quo"] = (iss.status_quo, SCORE)
    for a, x in spec.actors.items():
        out[f"actors.{a}.capability"] = (x.capability, _field_bounds(Actor, "capability"))
        for k, v in x.position.items():
            out[f"actors.{a}.position.{k}"] = (v, SCORE)
        for k, v in x.salience.items():
            out[f"actors.{a}.salience.{k}"] = (v, UNIT)
        out[f"actors.{a}.stubbornness"] = (x.stubbornness, UNIT)
        out[f"actors.{a}.tolerance"] = (x.tolerance, _field_bounds(Actor, "tolerance"))
        for name, roles in ROLE_FIELDS.items():
            if x.role in roles:
                val = getattr(x, name)
                val = ROLE_DEFAULTS[name] if val is None else val
                out[f"actors.{a}.{name}"] = (float(val), _field_bounds(Actor, name))
    for r in spec.relations:
        out[f"relations.{'-'.join(r.pair)}.weight"] = (r.weight, _field_bounds(Relation, "weight"))
    for e in spec.events:
        if e.hazard is not None:
            out[f"events.{e.id}.hazard"] = (e.hazard, UNIT)
        else:
            out[f"events.{e.id}.probability"] = (e.probability, UNIT)
    for name in ModelParams.model_fields:
        if name != "rule":
            val = getattr(spec.model, name)
            out[f"model.{name}"] = (float(val), _field_bounds(ModelParams, name))
    for name in Thresholds.model_fields:
        out[f"thresholds.{name}"] = (float(getattr(spec.thresholds, name)), UNIT)
    return out


# Paths that only events may change: dynamic state rather than a scenario number.
STATE_PATHS: dict[str, Bounds] = {"state.momentum": UNIT}


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


VARIANT_KEYS = {"base", "meta", "set", "drop_events", "events"}


def _apply_variant(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """A variant names a ``base`` scenario and lists only what it changes.

    ``[meta]`` keys replace the base's, ``[set]`` changes numbers by dotted path (checked against
    the base), ``drop_events`` removes base events by id and ``[[events]]`` adds new ones. The
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
    paths = _numeric_paths(base.spec)
    for dotted, value in raw.get("set", {}).items():
        if dotted == "model.rule":
            merged.setdefault("model", {})["rule"] = value
        elif dotted not in paths:
            problems.append(problem(src, f"set.{dotted}", _unknown_path_rule(dotted, paths), value))
        else:
            _set_raw(merged, dotted, value)
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


def parse_scenario(raw: Mapping[str, Any], source: str, path: Path | None = None) -> Scenario:
    try:
        spec = ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_pydantic_problems(exc, raw, source)) from None
    problems = _cross_checks(spec, source)
    if problems:
        raise ScenarioError(problems)
    return Scenario(spec=spec, raw=raw, source=source, path=path)


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
                ident = "-".join(pair) if isinstance(pair, list) else None
            parts.append(str(ident) if ident else f"[{item}]")
            node = node[item] if item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts).replace(".[", "[")


def _pydantic_problems(exc: ValidationError, raw: Mapping[str, Any], source: str) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not str(x).startswith("function-"))
        path = _loc_to_path(loc, raw)
        kind = err["type"]
        if kind == "extra_forbidden":
            rule = "unknown key (a typo?)"
        elif kind == "missing":
            rule = "required key is missing"
        else:
            rule = err["msg"][0].lower() + err["msg"][1:]
        value = err.get("input") if kind != "missing" else None
        out.append(problem(source, path, rule, value))
    return out


def _cross_checks(spec: ScenarioFile, source: str) -> list[str]:
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

    start, weeks = spec.meta.start, spec.meta.weeks
    end = start + dt.timedelta(weeks=weeks)
    paths = _numeric_paths(spec)
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
    return out
