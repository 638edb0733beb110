"""The model's state: every number of a scenario and every dynamic quantity as an array with a
leading replication axis R, and the dotted-path addressing that sweeps and events write through.

Parameters may differ per replication row (shape (R,)), so one chunk can hold several sweep
points. `State.build` reads a scenario (and per-row overrides) into arrays; `cells` finds the array
cells behind a dotted path such as ``actors.ROK.openness`` or ``model.alliance_cost``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.errors import ScenarioError, problem
from model.scenario import ROLE_DEFAULTS, ROLE_FIELDS, Role, Rule, Scenario
from model.sim import rules
from model.sim.cast import Cast
from model.sim.seeding import RESOLVE, Streams

ACTOR_PARAMS = ["stubbornness", "tolerance", *ROLE_FIELDS]
CHECKPOINT = 4  # weeks between the recorded points of the strain path (strain_w4, strain_w8, …)

Cells = list[tuple[np.ndarray, tuple[int, ...]]]


def columns(cols: Sequence[np.ndarray]) -> np.ndarray:
    """(R, n) array of n (R,) columns, stored replication-innermost like the state (np.stack
    along the last axis would store it the other way, and every step mixing the two would run
    one n-long loop per replication)."""
    return np.stack(cols, axis=0).T


@dataclass
class WeekCache:
    """What changes only through events: computed when first needed, and again only after an
    event has changed what it is made of (`invalidate`, called by `events.fire` for each path an
    event writes). At 10,000 rows some hazard event fires in some row nearly every week, but
    rarely one that touches backing, alliance weights, capabilities or saliences."""

    relief: dict[int, np.ndarray] = field(default_factory=dict)  # from patrons' backing
    shares: dict[int, np.ndarray] = field(default_factory=dict)  # from alliance weights
    # per principal, the rows where all its alliance ties weigh 0 (None: no such row), with shares
    weightless: dict[int, np.ndarray | None] = field(default_factory=dict)
    static_ties: np.ndarray | None = None  # from alliance weights and backing
    tied: list[list[int]] | None = None  # per actor i, the j with a tie to i (from static_ties)
    week_ties: np.ndarray | None = None  # static_ties + this week's dialogue tie (`ties`)
    weights: np.ndarray | None = None  # (R, A, K) capability × salience: influence weights
    stale_weights: set[str] = field(default_factory=set)  # actors whose row of weights is old

    def clear(self) -> None:
        self.relief.clear()
        self.shares.clear()
        self.weightless.clear()
        self.static_ties = None
        self.tied = None
        self.week_ties = None
        self.weights = None
        self.stale_weights.clear()

    def invalidate(self, path: str) -> None:
        """Forget what an event's write to ``path`` (a dotted path) may have changed."""
        parts = path.split(".")
        field_ = parts[2] if parts[0] == "actors" and len(parts) > 2 else ""
        if parts[0] == "relations":
            self.shares.clear()
            self.weightless.clear()
            self.static_ties = None
        elif field_ == "backing":
            self.relief.clear()
            self.static_ties = None
        elif field_ in ("salience", "capability"):
            self.stale_weights.add(parts[1])  # that actor's row only (a public's salience
            # moves in some row nearly every week in the baseline)
        elif parts[0] not in ("actors", "state", "model", "thresholds", "issues", "events"):
            self.clear()  # a path this does not know: forget everything


@dataclass
class State:
    """Arrays of R replications in lockstep. (R, A, K): actors × issues; (R, A): per actor.

    Every array has the replication axis first in its shape and innermost in memory (Fortran
    order, `_replication_innermost`): a stage's slice such as ``pos[:, i, :]`` or
    ``param("tolerance", a)`` then walks R consecutive numbers, and numpy runs one long loop
    per slice instead of one 3-long loop per replication (docs/PERFORMANCE.md, round 2).
    Arrays a stage builds for itself keep that order: `block`, `columns`, ``empty_like``.
    """

    R: int
    rule: Rule
    pos: np.ndarray  # (R, A, K) positions on the 0–100 scales
    pos0: np.ndarray  # (R, A, K) anchors (Friedkin–Johnsen): stated positions
    sal: np.ndarray  # (R, A, K) saliences in [0, 1]
    cap: np.ndarray  # (R, A) capabilities
    actor_param: dict[str, np.ndarray]  # name → (R, A); NaN where a role lacks the parameter
    status_quo: np.ndarray  # (R, K)
    mp: dict[str, np.ndarray]  # model parameters, each (R,)
    th: dict[str, np.ndarray]  # outcome thresholds, each (R,)
    rel_w: np.ndarray  # (R, relations) alliance weights
    ev_hazard: np.ndarray  # (R, events) weekly chance of hazard events
    ev_prob: np.ndarray  # (R, events) chance that a dated event happens
    momentum: np.ndarray  # (R,) preparation of a summit, 0–1
    threat: np.ndarray  # (R,) external threat the allies perceive from provocations, 0–1
    stance_loss: np.ndarray  # (R, engager's allies) each ally's loss at the engager's stance
    # outcomes, accumulated week by week
    summit: np.ndarray  # (R,) bool
    summit_week: np.ndarray  # (R,) week index of the summit, NaN without one
    agreement: np.ndarray  # (R,) bool: a deal every ratifier accepted
    offer: np.ndarray  # (R, K_negotiated) the deal put to the ratifiers, NaN without a summit
    deal: np.ndarray  # (R, K_negotiated) the agreed deal, NaN without agreement
    strain_pairs: np.ndarray  # (R, relations) strain of each alliance pair now, 0–1
    strain_pair_peak: np.ndarray  # (R, relations) its peak so far
    strain_peak: np.ndarray  # (R,) peak of the mean pair strain
    strain_path: np.ndarray  # (R, checkpoints) the strain index every CHECKPOINT weeks
    weeks_high: np.ndarray  # (R,) weeks with the strain index at or above its high threshold
    deal_beyond_ally: np.ndarray  # (R,) bool: an agreed deal lay outside an ally's win-set
    bypassed: np.ndarray  # (R, engager's allies) bool: bypassed by the summit
    fired: np.ndarray  # (R, events) bool
    waited: np.ndarray  # (R,) weeks a prepared summit was held back for consultation
    event_ids: tuple[str, ...] = ()  # the scenario's events, in the order of the event arrays
    # each event's effects, ``events.<id>.set.<target>`` / ``events.<id>.add.<target>`` → (R,):
    # per row, so that a judgement range on what an event does can differ between worlds
    effects: dict[str, np.ndarray] = field(default_factory=dict)
    gain0: dict[str, np.ndarray] = field(default_factory=dict)  # week-0 gain per principal
    cache: WeekCache = field(default_factory=WeekCache)
    # scratch arrays the weekly stages overwrite in place (`buffer`), so the hot path does not
    # allocate (and fault in) the same large temporaries every week; never read across stages
    scratch: dict[tuple[str, tuple[int, ...]], np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        scn: Scenario,
        cast: Cast,
        R: int,
        streams: Streams,
        overrides: Mapping[str, Any] | None = None,
    ) -> State:
        """Arrays from the scenario, then per-row overrides (checked against their bounds), then
        each leader's private resolve drawn from the replication's own stream."""
        spec, overrides = scn.spec, overrides or {}
        A, K, P, E = len(cast.actor_ids), len(cast.issue_ids), len(cast.pairs), len(spec.events)
        rule = overrides.get("model.rule", spec.model.rule)
        acts = list(spec.actors.values())
        pos = np.empty((R, A, K))
        sal = np.empty((R, A, K))
        for a, x in enumerate(acts):
            pos[:, a] = [x.position[k] for k in cast.issue_ids]
            sal[:, a] = [x.salience[k] for k in cast.issue_ids]
        actor_param: dict[str, np.ndarray] = {}
        for name in ACTOR_PARAMS:
            col = []
            for x in acts:
                v = getattr(x, name)
                col.append(ROLE_DEFAULTS.get(name, np.nan) if v is None else v)
            actor_param[name] = np.tile(np.asarray(col, dtype=float), (R, 1))
        n_allies = len(cast.allies[cast.engager])
        s = cls(
            R=R,
            rule=Rule(str(np.asarray(rule).ravel()[0]) if not isinstance(rule, str) else rule),
            pos=pos,
            pos0=pos,  # replaced by a copy once the overrides are in
            sal=sal,
            cap=np.tile([x.capability for x in acts], (R, 1)).astype(float),
            actor_param=actor_param,
            status_quo=np.tile([i.status_quo for i in spec.issues.values()], (R, 1)).astype(float),
            mp={
                n: np.full(R, float(getattr(spec.model, n)))
                for n in type(spec.model).model_fields
                if n != "rule"
            },
            th={
                n: np.full(R, float(getattr(spec.thresholds, n)))
                for n in type(spec.thresholds).model_fields
            },
            rel_w=np.tile([r.weight for r in spec.relations], (R, 1)).astype(float),
            ev_hazard=np.tile([e.hazard or 0.0 for e in spec.events], (R, 1)).astype(float),
            ev_prob=np.tile([e.probability for e in spec.events], (R, 1)).astype(float),
            momentum=np.zeros(R),
            threat=np.zeros(R),
            stance_loss=np.zeros((R, n_allies)),
            summit=np.zeros(R, dtype=bool),
            summit_week=np.full(R, np.nan),
            agreement=np.zeros(R, dtype=bool),
            offer=np.full((R, len(cast.neg)), np.nan),
            deal=np.full((R, len(cast.neg)), np.nan),
            strain_pairs=np.zeros((R, P)),
            strain_pair_peak=np.zeros((R, P)),
            strain_peak=np.zeros(R),
            strain_path=np.zeros((R, scn.weeks // CHECKPOINT), dtype=np.float32),
            weeks_high=np.zeros(R, dtype=np.int64),
            deal_beyond_ally=np.zeros(R, dtype=bool),
            bypassed=np.zeros((R, n_allies), dtype=bool),
            fired=np.zeros((R, E), dtype=bool),
            waited=np.zeros(R),
            event_ids=tuple(e.id for e in spec.events),
            effects={
                f"events.{e.id}.{kind}.{target}": np.full(R, float(value))
                for e in spec.events
                for kind, table in (("set", e.set), ("add", e.add))
                for target, value in table.items()
            },
        )
        s._replication_innermost()
        s._override(scn, cast, overrides)
        s.momentum[:] = s.mp["initial_momentum"]  # after overrides: it is sweepable
        s.pos0 = s.pos.copy(order="K")
        e = cast.engager
        for i, a in enumerate(cast.allies[e]):
            s.stance_loss[:, i] = rules.loss(s.pos[:, e, :], s.pos[:, a, :], s.sal[:, a, :])
        # Each leader's private resolve: a persistent, per-replication shock to the value of
        # meeting. The analyst does not know it (Fearon 1995: private information), so it is drawn.
        mv = s.actor_param["meeting_value"]
        who = [a for a, role in enumerate(cast.roles) if role is Role.PRINCIPAL]
        shock = streams.normal(RESOLVE, len(who)) * s.mp["resolve_noise"][:, None]
        mv[:, who] += shock
        return s

    def _replication_innermost(self) -> None:
        """Store every per-actor, per-issue and per-pair array with the replication axis
        innermost in memory (Fortran order), keeping its (R, ...) shape."""
        for name in ("pos", "sal", "cap", "status_quo", "rel_w", "ev_hazard", "ev_prob",
                     "stance_loss", "offer", "deal", "strain_pairs", "strain_pair_peak",
                     "strain_path", "bypassed", "fired"):  # fmt: skip
            setattr(self, name, np.asfortranarray(getattr(self, name)))
        for name, arr in self.actor_param.items():
            self.actor_param[name] = np.asfortranarray(arr)

    def _override(self, scn: Scenario, cast: Cast, overrides: Mapping[str, Any]) -> None:
        all_bounds = {**scn.all_bounds(), **scn.effect_bounds()} if overrides else {}
        for path, value in overrides.items():
            if path == "model.rule":
                continue
            if path not in all_bounds:
                scn.bounds(path)  # raises the ScenarioError that names the unknown path
            bounds = all_bounds[path]
            values = np.broadcast_to(np.asarray(value, dtype=float), (self.R,))
            for v in (values.min(), values.max()):
                if (rule := bounds.check(float(v))) is not None:
                    raise ScenarioError([problem(scn.source, path, rule, float(v))])
            # before the anchors exist: a position override is the stated position itself
            for arr, idx in self.cells(cast, path, anchors=False):
                cells: Any = (slice(None), *idx)
                arr[cells] = values

    def cells(self, cast: Cast, path: str, anchors: bool = True) -> Cells:
        """Array cells behind a dotted path: where sweeps and events read and write it."""
        parts = path.split(".")
        a_ix = {a: i for i, a in enumerate(cast.actor_ids)}
        k_ix = {k: i for i, k in enumerate(cast.issue_ids)}
        head = parts[0]
        if head == "actors":
            a = a_ix[parts[1]]
            if parts[2] == "position":
                k = k_ix[parts[3]]
                slots: Cells = [(self.pos, (a, k))]
                if anchors:  # a stated change of position moves the anchor too
                    slots.append((self.pos0, (a, k)))
                return slots
            if parts[2] == "salience":
                return [(self.sal, (a, k_ix[parts[3]]))]
            if parts[2] == "capability":
                return [(self.cap, (a,))]
            return [(self.actor_param[parts[2]], (a,))]
        if head == "issues":
            return [(self.status_quo, (k_ix[parts[1]],))]
        if head == "model":
            return [(self.mp[parts[1]], ())]
        if head == "thresholds":
            return [(self.th[parts[1]], ())]
        if head == "relations":
            pair = tuple(parts[1].split("-"))
            return [(self.rel_w, (cast.pair_ids.index(pair),))]
        if head == "events" and len(parts) > 3:  # an effect: events.<id>.set|add.<target>
            return [(self.effects[path], ())]
        if head == "events":
            e = self.event_ids.index(parts[1])
            return [(self.ev_hazard if parts[2] == "hazard" else self.ev_prob, (e,))]
        if path == "state.momentum":
            return [(self.momentum, ())]
        if path == "state.threat":
            return [(self.threat, ())]
        raise KeyError(path)

    def buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A scratch array of this shape, kept between weeks; its contents are stale."""
        key = (name, shape)
        buf = self.scratch.get(key)
        if buf is None:
            buf = self.scratch[key] = np.empty(shape, order="F")
        return buf

    def block(
        self, arr: np.ndarray, actors: Sequence[int], issues: Sequence[int] | np.ndarray
    ) -> np.ndarray:
        """(R, len(actors), len(issues)) copy of ``arr[:, actors][:, :, issues]`` (positions or
        saliences), replication-innermost, built from contiguous (R,) columns."""
        out = np.empty((self.R, len(actors), len(issues)), order="F")
        for a, i in enumerate(actors):
            for b, k in enumerate(issues):
                out[:, a, b] = arr[:, i, k]
        return out

    def param(self, name: str, actor: int) -> np.ndarray:
        """(R,) view of an actor's parameter (openness, tolerance, backing, …)."""
        return self.actor_param[name][:, actor]
