"""The scenario file's schema: sections, keys, types and the bounds of every value.

Pure data models (pydantic, frozen, unknown keys forbidden, strict types: a string is not a number,
a boolean is not a number, a string is not a date; an integer is a number). What each model
parameter means is documented in docs/MODEL.md; the file format in docs/SCENARIOS.md.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Score = Annotated[float, Field(ge=0, le=100)]  # a point on an issue's 0–100 scale
Unit = Annotated[float, Field(ge=0, le=1)]
# Dates a scenario may use (docs/SCENARIOS.md): far enough from year 1 and 9999 that no horizon
# or window computed from them can overflow.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
Date = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
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
    # strict: TOML's own types only (an int is accepted where a float is expected); a container
    # or an enum that must be converted from TOML (a tuple from an array, a Role from a string)
    # says so with Field(strict=False) and keeps its items strict
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Meta(_Strict):
    name: Slug
    title: str
    description: str = Field(min_length=1, max_length=200)
    start: Date
    weeks: int = Field(ge=1, le=520)  # weeks
    sources: list[str] = Field(min_length=1)
    variant_of: str | None = None


class Issue(_Strict):
    label: str
    low: str  # what 0 means
    high: str  # what 100 means
    status_quo: Score
    negotiated: bool = True  # on the summit table; off it: support, strain, alliance cost, wedge


class Actor(_Strict):
    name: str
    role: Role = Field(strict=False)
    of: ActorId | None = None  # the principal an ally, patron or audience belongs to
    capability: float = Field(gt=0, le=1000)
    position: dict[str, Score]
    salience: dict[str, Unit]
    stubbornness: Unit = 0.5  # weight on the initial position (Friedkin–Johnsen anchoring)
    tolerance: float = Field(default=0.5, gt=0, le=10)  # loss accepted in a deal
    meeting_value: float | None = Field(default=None, ge=-5, le=5)  # principal only
    # Role-specific (None = not given); Field bounds, not `Unit | None`, so that the bounds are
    # also visible to the event and sweep checks (paths.field_bounds reads them).
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
    pair: tuple[ActorId, ActorId] = Field(strict=False)
    weight: float = Field(default=1.0, ge=0, le=10)  # influence tie strength


class Event(_Strict):
    id: Slug
    what: str
    date: Date | None = None
    hazard: Unit | None = None  # weekly probability, per replication
    probability: Unit = 1.0  # chance that a dated event happens at all
    window: tuple[Date, Date] | None = Field(default=None, strict=False)  # when hazard may fire
    once: bool = True  # a hazard event fires at most once per run
    set: dict[str, float] = Field(default_factory=dict)
    add: dict[str, float] = Field(default_factory=dict)
    source: str | None = None


class ModelParams(_Strict):
    """Model parameters; defaults and meanings are documented in docs/MODEL.md."""

    rule: Rule = Field(default=Rule.COMPROMISE, strict=False)
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
    # alliance strain (docs/MODEL.md §9): shocks, then recovery
    strain_unilateral: Unit = 0.15  # summit held without an ally's support
    strain_bypass: Unit = 0.15  # an ally bypassed (support below the bypass threshold)
    strain_terms: Unit = 0.5  # agreed terms: per unit of the ally's added loss, over its tolerance
    strain_split: Unit = 0.15  # between two allies, one backing the summit and one not
    strain_talks: Unit = 0.8  # preparatory talks without an ally's support, per unit momentum
    strain_signals: Unit = 0.03  # a week of warm signals unconsulted, at distance = tolerance
    strain_drift: float = Field(default=3.0, ge=0, le=50)  # engager's stance drifting from ally's
    strain_half_life: float = Field(default=17.0, gt=0, le=520)  # weeks, without consultation
    consult_repair: float = Field(default=1.0, ge=0, le=10)  # recovery × (1 + this × quality)
    threat_pull: Unit = 0.1  # share of strain recovered per week at full external threat
    threat_half_life: float = Field(default=4.0, gt=0, le=520)  # weeks, of a provocation's effect
    backing_threat: Unit = 0.3  # threat the allies read from full patron backing of the other
    strain_feedback: float = Field(default=1.0, ge=0, le=10)  # engager's cost per unit excess
    strain_tolerance: Unit = 0.15  # ally strain the engager tolerates before it slows


class Thresholds(_Strict):
    high_strain: Unit = 0.3  # strain index (mean over alliance pairs) this high counts as "high"
    # a wedge: after a summit, coordination on the off-table issues ends this many points below
    # its status quo, or an agreed deal lies outside an ally's win-set (docs/MODEL.md §9.4)
    wedge_margin: float = Field(default=5.0, ge=0, le=100)
    bypass_support: Unit = 0.25  # an ally whose support is below this at the summit is bypassed


class Outcomes(_Strict):
    """Which outcomes the summary tallies; the run rows always hold every ally's bypass."""

    bypass: list[ActorId] | None = None  # allies of the engager (default: all of them)


class CaseOutcome(_Strict):
    """What happened, for a past case written as of ``meta.start`` (docs/CASES.md). Not model
    input: the model never reads it; `summit score` compares the forecast with it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    summit: bool  # the two principals met (and talked) within the horizon
    summit_date: dt.date | None = None  # first day of that meeting; only with summit = true
    announced: dt.date | None = None  # when the meeting was first announced in public
    agreement: bool  # the meeting ended in a jointly issued agreement on the negotiated issues
    what: str = Field(min_length=1)  # what happened, in a sentence
    alliances: str = Field(min_length=1)  # what happened to the engager's alliances
    sources: list[str] = Field(min_length=1)  # where the outcome is recorded (outlet, date)


class ScenarioFile(_Strict):
    meta: Meta
    issues: dict[Slug, Issue] = Field(min_length=1)
    actors: dict[ActorId, Actor] = Field(min_length=2)
    relations: list[Relation] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    model: ModelParams = Field(default_factory=ModelParams)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    outcomes: Outcomes = Field(default_factory=Outcomes)
    outcome: CaseOutcome | None = None  # a past case's record of what happened
