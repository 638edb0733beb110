"""SummitModel: the one model, vectorised over replications.

Simulates, week by week, whether two leaders (here Japan's and North Korea's) hold a summit and
what they agree, while allies, patrons and a domestic public pull on their positions. It also
tracks how much the engaging leader's alliances are strained by it.

R replications run in lockstep: each actor is a Mesa agent whose state is a view into arrays with a
leading replication axis, and every rule is a numpy function from `model.rules`. A single run is
R = 1; the same class runs under `mesa.batch_run`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np

from model import rules
from model.agents import AGENT_CLASS, Actor, Ally, Audience, Patron, Principal
from model.errors import ScenarioError, problem
from model.scenario import (
    ROLE_DEFAULTS,
    ROLE_FIELDS,
    STATE_PATHS,
    Bounds,
    Role,
    Rule,
    Scenario,
    load_scenario,
)
from model.seeding import (
    BARGAIN,
    CONTESTS,
    DECISIONS,
    RESOLVE,
    SIGNALS,
    Block,
    Streams,
    blocks_for,
)
from model.seeding import event_purpose as _event_purpose

# Run-level outcome columns (DESIGN.md contract first, then extras).
CONTRACT_COLUMNS = [
    "point",
    "replication",
    "summit",
    "summit_week",
    "agreement",
    "abductees",
    "sanctions",
    "strain",
    "strain_max",
    "strain_us_jpn",
    "strain_jpn_rok",
    "strain_us_rok",
    "seoul_bypassed",
    "wedge",
]

ACTOR_PARAMS = ["stubbornness", "tolerance", *ROLE_FIELDS]


class SummitModel(mesa.Model):
    """Whether two leaders meet within the horizon, what they agree, and the alliance strain.

    Outcomes per replication: ``summit`` (False: no meeting within the horizon), ``agreement``
    (True: a deal both sides' ratifiers accept), ``strain`` (0: alliances untroubled; 1: the
    engager's alliances at breaking point; the peak of the mean pair strain over the horizon).
    """

    def __init__(
        self,
        source: str | Scenario = "baseline-2024",
        replications: int = 1,
        overrides: Mapping[str, Any] | None = None,
        blocks: Sequence[Block] | None = None,
        root_seed: int | None = None,
        trace: bool = False,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        self.spec_ = load_scenario(source) if isinstance(source, str) else source
        spec = self.spec_.spec
        if blocks is None:
            blocks = blocks_for(0, replications)
        self.blocks = list(blocks)
        self.R = sum(b.size for b in self.blocks)
        if root_seed is None:
            # Under mesa.batch_run the seed arrives as `rng`; derive ours from Mesa's generator.
            root_seed = int(self.rng.integers(2**63))
        self.streams = Streams(root_seed, self.blocks)
        self.trace_on = trace
        self._bounds_cache: dict[str, Bounds] = {}
        self.trace: list[dict[str, Any]] = []

        self.issue_ids = self.spec_.issue_ids
        self.actor_ids = self.spec_.actor_ids
        self.neg = np.array([k for k, i in enumerate(spec.issues.values()) if i.negotiated])
        self.non_neg = np.array(
            [k for k, i in enumerate(spec.issues.values()) if not i.negotiated], dtype=int
        )
        self.neg_ids = [self.issue_ids[k] for k in self.neg]

        self._init_arrays(overrides or {})
        self._init_agents()
        self._init_outcomes()

        self.datacollector = mesa.DataCollector(
            model_reporters={
                "summit_rate": lambda m: float(m.summit.mean()),
                "agreement_rate": lambda m: float(m.agreement.mean()),
                "strain_mean": lambda m: float(m.strain_peak.mean()),
                "momentum_mean": lambda m: float(m.momentum.mean()),
                "strain_now": lambda m: float(m.strain_pairs.mean()) if m.pair_ix else 0.0,
            }
        )
        self.datacollector.collect(self)

    # ---------------------------------------------------------------- set-up
    def _init_arrays(self, overrides: Mapping[str, Any]) -> None:
        scn, spec, R = self.spec_, self.spec_.spec, self.R
        A, K = len(self.actor_ids), len(self.issue_ids)
        rule = overrides.get("model.rule", spec.model.rule)
        self.rule = Rule(str(np.asarray(rule).ravel()[0]) if not isinstance(rule, str) else rule)
        acts = list(spec.actors.values())
        self.pos = np.empty((R, A, K))
        self.sal = np.empty((R, A, K))
        for a, x in enumerate(acts):
            self.pos[:, a] = [x.position[k] for k in self.issue_ids]
            self.sal[:, a] = [x.salience[k] for k in self.issue_ids]
        self.cap = np.tile([x.capability for x in acts], (R, 1)).astype(float)
        self.actor_param: dict[str, np.ndarray] = {}
        for name in ACTOR_PARAMS:
            col = []
            for x in acts:
                v = getattr(x, name)
                col.append(ROLE_DEFAULTS.get(name, np.nan) if v is None else v)
            self.actor_param[name] = np.tile(np.asarray(col, dtype=float), (R, 1))
        self.status_quo = np.tile([i.status_quo for i in spec.issues.values()], (R, 1)).astype(
            float
        )
        self.mp = {
            n: np.full(R, float(getattr(spec.model, n)))
            for n in type(spec.model).model_fields
            if n != "rule"
        }
        self.th = {
            n: np.full(R, float(getattr(spec.thresholds, n)))
            for n in type(spec.thresholds).model_fields
        }
        self.rel_pairs = [tuple(r.pair) for r in spec.relations]
        self.rel_w = np.tile([r.weight for r in spec.relations], (R, 1)).astype(float)
        self.events = list(spec.events)
        self.ev_hazard = np.tile([e.hazard or 0.0 for e in self.events], (R, 1)).astype(float)
        self.ev_prob = np.tile([e.probability for e in self.events], (R, 1)).astype(float)
        self.momentum = np.zeros(R)
        all_bounds = scn.all_bounds() if overrides else {}
        for path, value in overrides.items():
            if path == "model.rule":
                continue
            if path not in all_bounds:
                scn.bounds(path)  # raises the ScenarioError that names the unknown path
            bounds = all_bounds[path]
            values = np.broadcast_to(np.asarray(value, dtype=float), (R,))
            for v in (values.min(), values.max()):
                if (rule := bounds.check(float(v))) is not None:
                    raise ScenarioError([problem(scn.source, path, rule, float(v))])
            for arr, idx in self._slots(path):
                cells: Any = (slice(None), *idx)
                arr[cells] = values
        self.momentum[:] = self.mp["initial_momentum"]  # after overrides: it is sweepable
        self.pos0 = self.pos.copy()
        # Each leader's private resolve: a persistent, per-replication shock to the value of
        # meeting. The analyst does not know it (Fearon 1995: private information), so it is drawn.
        mv = self.actor_param["meeting_value"]
        who = [a for a, x in enumerate(acts) if x.role is Role.PRINCIPAL]
        shock = self.streams.normal(RESOLVE, len(who)) * self.mp["resolve_noise"][:, None]
        mv[:, who] += shock

    def _slots(self, path: str) -> list[tuple[np.ndarray, tuple[int, ...]]]:
        """Array cells behind a dotted path: where sweeps and events read and write it."""
        parts = path.split(".")
        a_ix = {a: i for i, a in enumerate(self.actor_ids)}
        k_ix = {k: i for i, k in enumerate(self.issue_ids)}
        head = parts[0]
        if head == "actors":
            a = a_ix[parts[1]]
            if parts[2] == "position":
                k = k_ix[parts[3]]
                slots: list[tuple[np.ndarray, tuple[int, ...]]] = [(self.pos, (a, k))]
                if hasattr(self, "pos0"):  # a stated change of position moves the anchor too
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
            return [(self.rel_w, (self.rel_pairs.index(pair),))]
        if head == "events":
            e = [ev.id for ev in self.events].index(parts[1])
            return [(self.ev_hazard if parts[2] == "hazard" else self.ev_prob, (e,))]
        if path == "state.momentum":
            return [(self.momentum, ())]
        raise KeyError(path)

    def _init_agents(self) -> None:
        spec = self.spec_.spec
        self.by_id: dict[str, Actor] = {}
        for i, (aid, x) in enumerate(spec.actors.items()):
            self.by_id[aid] = AGENT_CLASS[x.role](self, aid, i, x.role)
        e_id, c_id = self.spec_.principals()
        self.engager = self._principal(e_id)
        self.counterpart = self._principal(c_id)
        self.principal_list = [self.engager, self.counterpart]
        self.allies_of = {p.actor_id: self._members(Ally, p.actor_id) for p in self.principal_list}
        self.patrons_of = {
            p.actor_id: self._members(Patron, p.actor_id) for p in self.principal_list
        }
        self.audience_of = {
            p.actor_id: next(iter(self._members(Audience, p.actor_id)), None)
            for p in self.principal_list
        }
        self.ratifiers = [a.index for a in self.principal_list] + [
            aud.index for aud in self.audience_of.values() if aud is not None
        ]
        self.pair_ix = [(self.by_id[a].index, self.by_id[b].index) for a, b in self.rel_pairs]
        self._principal_ix = np.array([p.index for p in self.principal_list])
        self._ratifier_ix = np.array(self.ratifiers)
        self._relief: dict[str, np.ndarray] = {}
        self._shares: dict[str, np.ndarray] = {}
        self._static_ties: np.ndarray | None = None
        self.pair_names = [f"{a.lower()}_{b.lower()}" for a, b in self.rel_pairs]

    def _principal(self, aid: str) -> Principal:
        agent = self.by_id[aid]
        assert isinstance(agent, Principal)
        return agent

    def _members[T: Actor](self, cls: type[T], principal: str) -> list[T]:
        spec = self.spec_.spec.actors
        return [a for a in self.agents_by_type.get(cls, []) if spec[a.actor_id].of == principal]

    def _init_outcomes(self) -> None:
        R, P, Kn = self.R, len(self.rel_pairs), len(self.neg)
        n_allies = len(self.allies_of[self.engager.actor_id])
        self.summit = np.zeros(R, dtype=bool)
        self.summit_week = np.full(R, np.nan)
        self.agreement = np.zeros(R, dtype=bool)
        self.offer = np.full((R, Kn), np.nan)
        self.deal = np.full((R, Kn), np.nan)
        self.strain_pairs = np.zeros((R, P))
        self.strain_pair_peak = np.zeros((R, P))
        self.strain_peak = np.zeros(R)
        self.post_summit_peak = np.zeros(R)  # worst pair strain from the summit week on
        self.bypassed = np.zeros((R, n_allies), dtype=bool)
        self.fired = np.zeros((R, len(self.events)), dtype=bool)
        self.waited = np.zeros(R)  # weeks a prepared summit was held back for consultation
        self.gain0: dict[str, np.ndarray] = {}
        self.week = 0

    # ------------------------------------------------------------ assessments
    def relief(self, principal: Principal) -> np.ndarray:
        """Isolation relief B of a principal from its patrons' backing (0 = isolated).

        Cached per week (backing changes only through events, which fire first)."""
        cached = self._relief.get(principal.actor_id)
        if cached is not None:
            return cached
        patrons = self.patrons_of[principal.actor_id]
        if not patrons:
            value = np.zeros(self.R)
        else:
            backing = np.stack([p.param("backing") for p in patrons], axis=-1)
            value = rules.isolation_relief(backing)
        self._relief[principal.actor_id] = value
        return value

    def expected_deal(self) -> np.ndarray:
        """The deal the principals expect a summit to produce now, (R, K_negotiated)."""
        cap = self.cap[:, self._principal_ix] * np.stack(
            [1.0 + self.mp["backing_power"] * self.relief(p) for p in self.principal_list], axis=-1
        )
        pos = self.pos[:, self._principal_ix[:, None], self.neg]
        sal = self.sal[:, self._principal_ix[:, None], self.neg]
        return rules.bargain(pos, sal, cap)

    def ratify_chance(self, y: np.ndarray) -> np.ndarray:
        """Both principals' estimate that every ratifier accepts ``y``."""
        scale = np.maximum(self.mp["bargain_noise"], 1.0)[:, None] / rules.SCALE
        tol = self.actor_param["tolerance"][:, self._ratifier_ix]
        pos = self.pos[:, self._ratifier_ix[:, None], self.neg]
        sal = self.sal[:, self._ratifier_ix[:, None], self.neg]
        return rules.product(rules.ratify_probability(y[:, None, :], pos, sal, tol, scale))

    def supports(self, principal: Principal) -> np.ndarray:
        """(R, n_allies) support of each ally of ``principal`` for its summit, this week."""
        allies = self.allies_of[principal.actor_id]
        if not allies:
            return np.ones((self.R, 0))
        return np.stack([a.assess(principal) for a in allies], axis=-1)

    def ally_shares(self, principal: Principal) -> np.ndarray:
        """(R, n_allies): how much the principal weighs each ally, by their alliance tie.

        Cached per week like `relief` (alliance weights change only through events)."""
        cached = self._shares.get(principal.actor_id)
        if cached is None:
            ties = self.ties_with(principal)
            cached = ties / np.maximum(rules.total(ties), 1e-12)[:, None]
            self._shares[principal.actor_id] = cached
        return cached

    def ties_with(self, principal: Principal) -> np.ndarray:
        """(R, n_allies): alliance weight between the principal and each of its allies."""
        cols = []
        for ally in self.allies_of[principal.actor_id]:
            w = np.zeros(self.R)
            for r, (i, j) in enumerate(self.pair_ix):
                if {i, j} == {principal.index, ally.index}:
                    w = w + self.rel_w[:, r]
            cols.append(w)
        return np.stack(cols, axis=-1)

    def gain_parts(self, me: Principal) -> dict[str, np.ndarray]:
        """The terms of a principal's expected gain from meeting this week (docs/MODEL.md §4)."""
        y, p_agree = self._deal_now, self._p_agree_now
        other = self.counterpart if me is self.engager else self.engager
        mp = self.mp
        mine_neg = (me.position[:, self.neg], me.salience[:, self.neg])
        sq = self.status_quo[:, self.neg]
        deal = p_agree * (rules.loss(sq, *mine_neg) - rules.loss(y, *mine_neg))
        meeting = me.param("meeting_value") + mp["backing_engagement"] * self.relief(me)
        zero = np.zeros(self.R)
        alliance = zero
        if self.allies_of[me.actor_id]:
            unsupported = 1.0 - self._support[me.actor_id]
            care = self._cohesion_care(me)
            alliance = mp["alliance_cost"] * care * rules.total(self.ally_shares(me) * unsupported)
        audience = zero
        aud = self.audience_of[me.actor_id]
        if aud is not None:
            stake = rules.total(aud.salience[:, self.neg])
            audience = mp["audience_cost"] * (1.0 - p_agree) * stake
        wedge = zero
        if self.allies_of[other.actor_id] and self.non_neg.size:
            # Crawford (2011): a wedge is worth what it splits; how far we sit below the other
            # principal on the issues off the table (alliance cohesion), weighted by our salience
            gap = np.maximum(other.position[:, self.non_neg] - me.position[:, self.non_neg], 0)
            want = rules.total(me.salience[:, self.non_neg] * gap) / (
                self.non_neg.size * rules.SCALE
            )
            unsupported = 1.0 - self._support[other.actor_id]
            shock = mp["strain_unilateral"] * rules.total(self.ally_shares(other) * unsupported)
            wedge = mp["wedge_value"] * want * shock
        return {
            "deal": deal,
            "meeting": meeting,
            "wedge": wedge,
            "alliance": alliance,
            "audience": audience,
        }

    def _cohesion_care(self, me: Principal) -> np.ndarray:
        if not self.non_neg.size:
            return np.ones(self.R)
        return rules.total(me.salience[:, self.non_neg]) / self.non_neg.size

    def assess(self) -> None:
        """Once a week, after the events: the expected deal, its chance of ratification, each
        ally's support, and each principal's expected gain. Signals and the decision of the
        week both rest on this assessment (leaders act on what they know at the week's start)."""
        self._deal_now = self.expected_deal()
        self._p_agree_now = self.ratify_chance(self._deal_now)
        self._support = {p.actor_id: self.supports(p) for p in self.principal_list}
        for p in self.principal_list:
            p.weigh()

    # ------------------------------------------------------------------ stages
    def step(self) -> None:
        """One week: 1 events  2 assess (expected deal, ratification chance, ally support,
        each leader's expected gain)  3 signals → momentum  4 influence  5 consultations
        6 meet/no-meet decision → negotiation  7 alliance strain."""
        week = self.week
        record: dict[str, Any] = {"week": week} if self.trace_on else {}
        self.fire_events(record)
        self.assess()
        momentum_before = self.momentum.copy()
        self.exchange_signals(record)
        self.exchange_influence()
        self.consult(record)
        summit_now = self.decide(record)
        agreed_now = self.negotiate(summit_now, record)
        self.update_strain(summit_now, agreed_now, self.momentum - momentum_before, record)
        if self.trace_on:
            record["positions"] = {
                a: dict(zip(self.issue_ids, self.pos[0, i].round(1).tolist(), strict=True))
                for a, i in ((a, self.by_id[a].index) for a in self.actor_ids)
            }
            self.trace.append(record)
        self.week += 1
        if self.week >= self.spec_.weeks:
            self.running = False
            self.datacollector.collect(self)
        elif self.R <= 16:
            self.datacollector.collect(self)

    def fire_events(self, record: dict[str, Any]) -> None:
        """Dated events fire in their week (with their probability); hazard events by chance."""
        self._relief.clear()  # events may change patrons' backing…
        self._shares.clear()  # …and alliance weights
        self._static_ties = None
        for e, ev in enumerate(self.events):
            if ev.date is not None:
                if self.spec_.week_of(ev.date) != self.week:
                    continue
                mask = self.streams.uniform(_event_purpose(ev.id)) < self.ev_prob[:, e]
            else:
                u = self.streams.uniform(_event_purpose(ev.id))  # drawn every week: stable streams
                if ev.window is not None and not (
                    self.spec_.week_of(ev.window[0])
                    <= self.week
                    <= self.spec_.week_of(ev.window[1])
                ):
                    continue
                mask = u < self.ev_hazard[:, e]
                if ev.once:
                    mask &= ~self.fired[:, e]
            if not mask.any():
                continue
            self.fired[:, e] |= mask
            for path, value in ev.set.items():
                for arr, idx in self._slots(path):
                    arr[(mask, *idx)] = value  # type: ignore[index]
            for path, delta in ev.add.items():
                bounds = self._bounds(path)
                # an open lower bound (tolerance > 0, capability > 0) must stay open
                lo = bounds.lo + 1e-9 * max(1.0, abs(bounds.lo)) if bounds.lo_open else bounds.lo
                for arr, idx in self._slots(path):
                    cell: Any = (mask, *idx)
                    arr[cell] = np.clip(arr[cell] + delta, lo, bounds.hi)
            if self.trace_on and mask[0]:
                record.setdefault("events", []).append(f"{ev.id}: {ev.what}")

    def _bounds(self, path: str) -> Bounds:
        if path not in self._bounds_cache:
            b = STATE_PATHS[path] if path in STATE_PATHS else self.spec_.bounds(path)
            self._bounds_cache[path] = b
        return self._bounds_cache[path]

    def exchange_signals(self, record: dict[str, Any]) -> None:
        """Both principals weigh the summit and signal; preparation (momentum) builds or decays."""
        noise = self.streams.normal(SIGNALS, 2) * self.mp["signal_noise"][:, None]
        signals = np.stack([p.signal(noise[:, i]) for i, p in enumerate(self.principal_list)], -1)
        if self.week == 0:
            self.gain0 = {p.actor_id: p.gain.copy() for p in self.principal_list}
        open_ = ~self.summit  # after the summit, preparation no longer matters
        # [seed] the cancelled Kishida–Yoon meeting "should have discussed a potential summit":
        # part of the preparation runs through the engager's consultation with its allies
        share = self.mp["prep_consult_share"]
        allies = self.allies_of[self.engager.actor_id]
        if allies:
            consulted = np.stack([a.param("consulted") for a in allies], axis=-1)
            coordination = rules.total(self.ally_shares(self.engager) * consulted)
        else:
            coordination = np.ones(self.R)
        gain = self.mp["momentum_gain"] * (1.0 - share + share * coordination)
        new = rules.momentum_step(self.momentum, signals, gain, self.mp["momentum_decay"])
        self.momentum = np.where(open_, new, self.momentum)
        if self.trace_on:
            record["signals"] = {
                p.actor_id: {
                    "signal": float(p.signal_strength[0]),
                    "gain": float(p.gain[0]),
                    **{k: float(v[0]) for k, v in p.parts.items()},
                }
                for p in self.principal_list
            }
            record["momentum"] = float(self.momentum[0])

    def ties(self) -> np.ndarray:
        """(R, A, A) influence ties: self, alliances, patronage (× backing), audience, and the
        principals' dialogue (× momentum). The static part changes only through events, so it
        is cached per week like `relief`; only the dialogue tie is added every week."""
        if self._static_ties is None:
            self._static_ties = self._build_static_ties()
        t = self._static_ties.copy()
        e, c = self.engager.index, self.counterpart.index
        talk = self.mp["dialogue_tie"] * self.momentum
        t[:, e, c] += talk
        t[:, c, e] += talk
        return t

    def _build_static_ties(self) -> np.ndarray:
        A = len(self.actor_ids)
        t = np.broadcast_to(np.eye(A), (self.R, A, A)).copy()
        for w, (i, j) in enumerate(self.pair_ix):
            t[:, i, j] += self.rel_w[:, w]
            t[:, j, i] += self.rel_w[:, w]
        for p in self.principal_list:
            for patron in self.patrons_of[p.actor_id]:
                t[:, p.index, patron.index] += patron.param("backing")
                t[:, patron.index, p.index] += patron.param("backing")
            aud = self.audience_of[p.actor_id]
            if aud is not None:
                t[:, p.index, aud.index] += 1.0
                t[:, aud.index, p.index] += 1.0
        return t

    def susceptibility(self) -> np.ndarray:
        """(R, A): 1 − stubbornness; a backed principal is harder to move (÷ (1 + β_S B))."""
        lam = 1.0 - self.actor_param["stubbornness"].copy()
        for p in self.principal_list:
            lam[:, p.index] /= 1.0 + self.mp["backing_resolve"] * self.relief(p)
        return lam

    def exchange_influence(self) -> None:
        """Actors pull on each other's positions by the scenario's rule, anchored (FJ)."""
        ties = self.ties()
        if self.rule is Rule.COMPROMISE:
            target = rules.friedkin_johnsen_target(self.pos, ties, self.sal, self.cap)
        else:
            A, K = self.pos.shape[1:]
            u = self.streams.uniform(CONTESTS, A, A, K)
            target, _ = rules.challenge_target(
                self.pos,
                self.sal,
                self.cap,
                ties,
                u,
                self.mp["challenge_step"],
                self.mp["challenge_cost"],
            )
        self.pos[:] = rules.anchored_update(
            self.pos, self.pos0, target, self.susceptibility(), self.mp["influence_rate"]
        )

    def consult(self, record: dict[str, Any]) -> None:
        """The engager consults its allies where the channel is open; support follows."""
        for ally in self.allies_of[self.engager.actor_id]:
            ally.be_consulted()
        if self.trace_on:
            record["consulted"] = {
                a.actor_id: float(a.param("consulted")[0])
                for a in self.allies_of[self.engager.actor_id]
            }

    def decide(self, record: dict[str, Any]) -> np.ndarray:
        """A summit is held when preparation is enough and both principals are willing."""
        noise = self.streams.normal(DECISIONS, 2) * self.mp["decision_noise"][:, None]
        willing = [p.decide(noise[:, i]) for i, p in enumerate(self.principal_list)]
        prepared = (
            ~self.summit & (self.momentum >= self.mp["prep_threshold"]) & willing[0] & willing[1]
        )
        # [seed] "Tokyo will wait for Seoul's support, but not for too long": the engager holds
        # a prepared summit until every ally is consulted, for at most consult_patience weeks.
        allies = self.allies_of[self.engager.actor_id]
        consulted = np.ones(self.R, dtype=bool)
        for ally in allies:
            consulted &= ally.param("consulted") >= self.mp["consult_required"]
        self.waited += prepared & ~consulted
        ready = consulted | (self.waited > self.mp["consult_patience"])
        summit_now = prepared & ready
        self.summit |= summit_now
        self.summit_week[summit_now] = self.week
        support = self._support[self.engager.actor_id]
        # an ally whose support is below the threshold would be bypassed by a summit now
        self._bypass_now = support < self.th["bypass_support"][:, None]
        self.bypassed[summit_now] = self._bypass_now[summit_now]
        self._support_at_decision = support
        if self.trace_on:
            record["decision"] = {
                "prepared": bool(prepared[0]),
                "allies_consulted": bool(consulted[0]),
                "weeks_waited": int(self.waited[0]),
                "willing": {
                    p.actor_id: bool(w[0])
                    for p, w in zip(self.principal_list, willing, strict=True)
                },
                "gain": {p.actor_id: float(p.gain[0]) for p in self.principal_list},
                "support": {
                    a.actor_id: float(support[0, i])
                    for i, a in enumerate(self.allies_of[self.engager.actor_id])
                },
                "summit": bool(summit_now[0]),
            }
        return summit_now

    def negotiate(self, summit_now: np.ndarray, record: dict[str, Any]) -> np.ndarray:
        """At a summit: the bargained deal plus noise; agreement iff every ratifier accepts it."""
        # drawn for every row every week, so a row's stream does not depend on its summit week
        shock = self.streams.normal(BARGAIN, len(self.neg)) * self.mp["bargain_noise"][:, None]
        rows = np.flatnonzero(summit_now)  # only this week's summits negotiate
        y = np.clip(self._deal_now[rows] + shock[rows], 0.0, rules.SCALE)
        tol = self.actor_param["tolerance"][rows[:, None], self._ratifier_ix]
        pos = self.pos[rows[:, None, None], self._ratifier_ix[:, None], self.neg]
        sal = self.sal[rows[:, None, None], self._ratifier_ix[:, None], self.neg]
        ok = np.all(rules.ratifies(y[:, None, :], pos, sal, tol), axis=-1)  # every win-set
        agreed = np.zeros(self.R, dtype=bool)
        agreed[rows[ok]] = True
        self.offer[rows] = y
        self.deal[rows[ok]] = y[ok]
        self.agreement |= agreed
        self._y_rows, self._y_now = rows, y
        if self.trace_on and summit_now[0]:
            y = y[:1]  # row 0 is the first of the summit rows
            record["negotiation"] = {
                "offer": dict(zip(self.neg_ids, y[0].round(1).tolist(), strict=True)),
                "agreement": bool(agreed[0]),
                "ratifier_loss": {
                    self.actor_ids[r]: round(
                        float(rules.loss(y[0], self.pos[0, r][self.neg], self.sal[0, r][self.neg])),
                        3,
                    )
                    for r in self.ratifiers
                },
                "ratifier_tolerance": {
                    self.actor_ids[r]: float(self.actor_param["tolerance"][0, r])
                    for r in self.ratifiers
                },
            }
        return agreed

    def update_strain(
        self,
        summit_now: np.ndarray,
        agreed_now: np.ndarray,
        d_momentum: np.ndarray,
        record: dict[str, Any],
    ) -> None:
        """Strain per alliance pair rises with unilateral engagement, bypassing and deal terms
        beyond an ally's tolerance (Snyder 1984), and decays otherwise."""
        mp = self.mp
        e = self.engager
        allies = self.allies_of[e.actor_id]
        support = self._support_at_decision
        s_now = summit_now.astype(float)
        talks = np.maximum(d_momentum, 0.0)
        shock_of: dict[int, np.ndarray] = {}  # per ally index: shock on the pair (engager, ally)
        rows, y = self._y_rows, self._y_now  # this week's summits and their offers
        for i, ally in enumerate(allies):
            unsupported = 1.0 - support[:, i]
            bypassed = self._bypass_now[:, i]
            shock = s_now * (mp["strain_unilateral"] * unsupported + mp["strain_bypass"] * bypassed)
            shock += mp["strain_talks"] * talks * unsupported
            if rows.size:  # deal terms beyond the ally's tolerance, where a deal was agreed
                loss = rules.loss(
                    y, ally.position[rows][:, self.neg], ally.salience[rows][:, self.neg]
                )
                tol = ally.param("tolerance")[rows]
                excess = np.maximum(loss - tol, 0.0) / tol
                shock[rows] += agreed_now[rows] * mp["strain_terms"][rows] * excess
            shock_of[ally.index] = shock
        ally_pos = {a.index: i for i, a in enumerate(allies)}
        for w, (i, j) in enumerate(self.pair_ix):
            if e.index in (i, j):
                other = j if i == e.index else i
                shock = shock_of.get(other, np.zeros(self.R))
            elif i in ally_pos and j in ally_pos:
                si, sj = support[:, ally_pos[i]], support[:, ally_pos[j]]
                shock = s_now * mp["strain_split"] * (si * (1 - sj) + sj * (1 - si))
            else:
                shock = np.zeros(self.R)
            self.strain_pairs[:, w] = rules.strain_step(
                self.strain_pairs[:, w], shock, mp["strain_decay"]
            )
        np.maximum(self.strain_pair_peak, self.strain_pairs, out=self.strain_pair_peak)
        if self.pair_ix:
            worst = self.strain_pairs.max(axis=1)
            # the wedge counts strain from the summit week on, not what came before it
            np.maximum(
                self.post_summit_peak, np.where(self.summit, worst, 0.0), out=self.post_summit_peak
            )
        index = (
            rules.total(self.strain_pairs) / len(self.pair_ix) if self.pair_ix else np.zeros(self.R)
        )
        np.maximum(self.strain_peak, index, out=self.strain_peak)
        if self.trace_on:
            record["strain"] = dict(
                zip(self.pair_names, self.strain_pairs[0].round(3).tolist(), strict=True)
            )

    # ---------------------------------------------------------------- results
    def run(self) -> SummitModel:
        while self.running:
            self.step()
        return self

    def release(self) -> None:
        """Drop this model's state arrays now. A finished model sits in reference cycles with
        its agents, freed only by the cyclic garbage collector; a batch runs one model per
        chunk, and without this its memory would grow until a collection happens."""
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray | dict) and name not in ("by_id", "allies_of"):
                setattr(self, name, None)
        self.streams = None  # type: ignore[assignment]

    def outcomes(self) -> dict[str, np.ndarray]:
        """Run-level outcome columns (DESIGN.md contract names first, then extras)."""
        point = np.concatenate([np.full(b.size, b.point) for b in self.blocks])
        rep = np.concatenate(
            [np.arange(b.first_replication, b.first_replication + b.size) for b in self.blocks]
        )
        strain_max = self.strain_pair_peak.max(axis=1) if self.pair_ix else np.zeros(self.R)
        out: dict[str, np.ndarray] = {
            "point": point.astype(np.int64),
            "replication": rep.astype(np.int64),
            "summit": self.summit.copy(),
            "summit_week": self.summit_week.copy(),
            "agreement": self.agreement.copy(),
        }
        for k, name in enumerate(self.neg_ids):
            out[name] = self.deal[:, k].copy()
        for name in ("abductees", "sanctions"):
            out.setdefault(name, np.full(self.R, np.nan))
        out["strain"] = self.strain_peak.copy()
        out["strain_max"] = strain_max
        for w, name in enumerate(self.pair_names):
            out[f"strain_{name}"] = self.strain_pair_peak[:, w].copy()
        for name in ("strain_us_jpn", "strain_jpn_rok", "strain_us_rok"):
            out.setdefault(name, np.full(self.R, np.nan))
        allies = [a.actor_id for a in self.allies_of[self.engager.actor_id]]
        for i, aid in enumerate(allies):
            out[f"bypassed_{aid.lower()}"] = self.bypassed[:, i].copy()
        out["seoul_bypassed"] = (
            self.bypassed[:, allies.index("ROK")].copy()
            if "ROK" in allies
            else np.zeros(self.R, dtype=bool)
        )
        out["high_strain"] = self.strain_peak >= self.th["high_strain"]
        out["wedge"] = self.summit & (self.post_summit_peak >= self.th["wedge_strain"])
        for k, name in enumerate(self.neg_ids):
            out[f"offer_{name}"] = self.offer[:, k].copy()
        for aid, g in self.gain0.items():
            out[f"gain0_{aid.lower()}"] = g.copy()  # expected gain of meeting in week 0
        first = {c: out.pop(c) for c in CONTRACT_COLUMNS}
        return {**first, **out}
