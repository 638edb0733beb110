"""SummitModel: the one model, vectorised over replications.

Simulates, week by week, whether two leaders (here Japan's and North Korea's) hold a summit and
what they agree, while allies, patrons and a domestic public pull on their positions. It also
tracks how much the engaging leader's alliances are strained by it.

R replications run in lockstep: the model keeps the state (`State`: arrays with a leading
replication axis) and `step()` is the week's recipe; each stage lives in a module named for its
concept (events, assessment, signals, influence, decision, negotiation, strain), and every actor is
a Mesa agent whose state is a view into the arrays. A single run is R = 1; the same class runs
under `mesa.batch_run`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np

from model.scenario import STATE_PATHS, Bounds, Scenario, load_scenario
from model.sim import influence, rules, signals, strain
from model.sim.agents import AGENT_CLASS, Actor, Ally, Principal
from model.sim.assessment import Assessment, expected_deal, ratify_chance
from model.sim.cast import Cast
from model.sim.decision import Decision, decide
from model.sim.events import fire
from model.sim.negotiation import Negotiation, negotiate
from model.sim.outcomes import OutcomeNames, outcome_columns
from model.sim.seeding import BARGAIN, DECISIONS, SIGNALS, Block, Streams, blocks_for
from model.sim.state import State, columns


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
        root_seed: int | str | None = None,
        trace: bool = False,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        self.spec_ = load_scenario(source) if isinstance(source, str) else source
        self.blocks = list(blocks if blocks is not None else blocks_for(0, replications))
        self.R = sum(b.size for b in self.blocks)
        if root_seed is None:
            # Under mesa.batch_run the seed arrives as `rng`; derive ours from Mesa's generator.
            root_seed = int(self.rng.integers(2**63))
        # int(): the browser view's seed box hands it over as text (model/app.py)
        self.streams = Streams(int(root_seed), self.blocks)
        self.trace_on = trace
        self.trace: list[dict[str, Any]] = []
        self.cast = Cast.of(self.spec_)
        self.names = OutcomeNames.of(self.spec_)
        self.actor_ids = list(self.cast.actor_ids)
        self.issue_ids = list(self.cast.issue_ids)
        self.events = list(self.spec_.spec.events)
        self.state = State.build(self.spec_, self.cast, self.R, self.streams, overrides)
        self._bounds_cache: dict[str, Bounds] = {}
        self.by_id: dict[str, Actor] = {
            aid: AGENT_CLASS[role](self, aid, i, role)
            for i, (aid, role) in enumerate(zip(self.actor_ids, self.cast.roles, strict=True))
        }
        self.principal_list = [self._agent(p, Principal) for p in self.cast.principals]
        self.engager, self.counterpart = self.principal_list
        self.allies_of = {
            p.actor_id: [self._agent(a, Ally) for a in self.cast.allies[p.index]]
            for p in self.principal_list
        }
        self.week = 0
        # named as the run columns (docs/MODEL.md §10); with R > 1, the mean over replications
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "summit": lambda m: float(m.state.summit.mean()),
                "agreement": lambda m: float(m.state.agreement.mean()),
                "strain": lambda m: float(m.state.strain_peak.mean()),
                "momentum": lambda m: float(m.state.momentum.mean()),
                "strain_index": lambda m: float(m.state.strain_pairs.mean() if m.cast.pairs else 0),
            }
        )
        self.datacollector.collect(self)

    def _agent[T: Actor](self, index: int, cls: type[T]) -> T:
        agent = self.by_id[self.actor_ids[index]]
        assert isinstance(agent, cls)
        return agent

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One week: 1 events  2 assess (expected deal, ratification chance, ally support,
        each leader's expected gain)  3 signals → momentum  4 influence  5 consultations
        6 meet/no-meet decision → negotiation  7 alliance strain."""
        record: dict[str, Any] = {"week": self.week} if self.trace_on else {}
        self.fire_events(record)
        now = self.assess()
        momentum_before = self.state.momentum.copy()
        self.exchange_signals(record)
        self.exchange_influence()
        self.consult(record)
        decision = self.decide(now, record)
        talks = self.negotiate(now, decision, record)
        self.update_strain(now, decision, talks, self.state.momentum - momentum_before, record)
        if self.trace_on:
            record["positions"] = {
                a: dict(zip(self.issue_ids, self.state.pos[0, i].round(1).tolist(), strict=True))
                for i, a in enumerate(self.actor_ids)
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
        fired = fire(
            self.state,
            self.cast,
            self.events,
            self.week,
            self.spec_.week_of,
            self.streams,
            self._bounds,
        )
        if self.trace_on and fired:
            record["events"] = fired

    def _bounds(self, path: str) -> Bounds:
        if path not in self._bounds_cache:
            b = STATE_PATHS[path] if path in STATE_PATHS else self.spec_.bounds(path)
            self._bounds_cache[path] = b
        return self._bounds_cache[path]

    def assess(self) -> Assessment:
        """The week's one assessment; then each principal weighs its gain from meeting."""
        s, cast = self.state, self.cast
        deal = expected_deal(s, cast)
        support = {}
        for p in self.principal_list:
            allies = self.allies_of[p.actor_id]
            support[p.index] = (
                columns([a.assess(p) for a in allies]) if allies else np.ones((s.R, 0))
            )
        now = Assessment(deal, ratify_chance(s, cast, deal), support)
        for p in self.principal_list:
            p.weigh(now)
        return now

    def exchange_signals(self, record: dict[str, Any]) -> None:
        """Both principals weigh the summit and signal; preparation (momentum) builds or decays."""
        noise = self.streams.normal(SIGNALS, 2) * self.state.mp["signal_noise"][:, None]
        sent = columns([p.signal(noise[:, i]) for i, p in enumerate(self.principal_list)])
        if self.week == 0:
            self.state.gain0 = {p.actor_id: p.gain.copy() for p in self.principal_list}
        signals.prepare(self.state, self.cast, sent)
        if self.trace_on:
            record["signals"] = {
                p.actor_id: {
                    "signal": float(p.signal_strength[0]),
                    "gain": float(p.gain[0]),
                    **{k: float(v[0]) for k, v in p.parts.items()},
                }
                for p in self.principal_list
            }
            record["momentum"] = float(self.state.momentum[0])

    def exchange_influence(self) -> None:
        """Positions move by the scenario's rule, anchored to the stated positions."""
        influence.exchange(self.state, self.cast, self.streams)

    def consult(self, record: dict[str, Any]) -> None:
        """The engager consults its allies where the channel is open; support follows."""
        allies = self.allies_of[self.engager.actor_id]
        for ally in allies:
            ally.be_consulted()
        if self.trace_on:
            record["consulted"] = {a.actor_id: float(a.param("consulted")[0]) for a in allies}

    def decide(self, now: Assessment, record: dict[str, Any]) -> Decision:
        """A summit is held when preparation is enough and both principals are willing."""
        noise = self.streams.normal(DECISIONS, 2) * self.state.mp["decision_noise"][:, None]
        willing = [p.decide(noise[:, i]) for i, p in enumerate(self.principal_list)]
        support = now.support[self.engager.index]
        d = decide(self.state, self.cast, (willing[0], willing[1]), support, self.week)
        if self.trace_on:
            record["decision"] = {
                "prepared": bool(d.prepared[0]),
                "allies_consulted": bool(d.consulted[0]),
                "weeks_waited": int(self.state.waited[0]),
                "willing": {
                    p.actor_id: bool(w[0])
                    for p, w in zip(self.principal_list, willing, strict=True)
                },
                "gain": {p.actor_id: float(p.gain[0]) for p in self.principal_list},
                "shock": {
                    p.actor_id: float(noise[0, i]) for i, p in enumerate(self.principal_list)
                },
                "support": {
                    a.actor_id: float(support[0, i])
                    for i, a in enumerate(self.allies_of[self.engager.actor_id])
                },
                "summit": bool(d.summit_now[0]),
            }
        return d

    def negotiate(self, now: Assessment, d: Decision, record: dict[str, Any]) -> Negotiation:
        """At a summit: the bargained deal plus noise; agreement iff every ratifier accepts it."""
        s = self.state
        # drawn for every row every week, so a row's stream does not depend on its summit week
        shock = self.streams.normal(BARGAIN, len(self.cast.neg)) * s.mp["bargain_noise"][:, None]
        talks = negotiate(s, self.cast, now.deal, shock, d.summit_now)
        if self.trace_on and d.summit_now[0]:
            y = talks.offer[0]  # row 0 is the first of the summit rows
            neg = self.cast.neg
            record["negotiation"] = {
                "offer": dict(zip(self.cast.neg_ids, y.round(1).tolist(), strict=True)),
                "agreement": bool(talks.agreed[0]),
                "ratifier_loss": {
                    self.actor_ids[r]: round(
                        float(rules.loss(y, s.pos[0, r][neg], s.sal[0, r][neg])), 3
                    )
                    for r in self.cast.ratifiers
                },
                "ratifier_tolerance": {
                    self.actor_ids[r]: float(s.actor_param["tolerance"][0, r])
                    for r in self.cast.ratifiers
                },
            }
        return talks

    def update_strain(
        self,
        now: Assessment,
        d: Decision,
        talks: Negotiation,
        d_momentum: np.ndarray,
        record: dict[str, Any],
    ) -> None:
        """Strain per alliance pair: repaired, then shocked (docs/MODEL.md §9)."""
        s, cast = self.state, self.cast
        support = now.support[self.engager.index]
        stance = strain.stance_losses(s, cast)
        quality = strain.consult_quality(s, cast, stance)
        signal = self.engager.signal_strength
        shock = strain.shocks(s, cast, support, d, talks, d_momentum, stance, signal, quality)
        repair = strain.recovery(s, cast, quality)
        strain.update(s, cast, shock, repair, self.week, stance)
        if self.trace_on:
            names = [f"{a.lower()}_{b.lower()}" for a, b in self.cast.pair_ids]
            record["strain"] = dict(
                zip(names, self.state.strain_pairs[0].round(3).tolist(), strict=True)
            )

    # ---------------------------------------------------------------- results
    def run(self) -> SummitModel:
        while self.running:
            self.step()
        return self

    def outcomes(self) -> dict[str, np.ndarray]:
        """Run-level outcome columns (the contract's names first, then extras)."""
        return outcome_columns(self.state, self.cast, self.names, self.blocks)

    def release(self) -> None:
        """Drop this model's arrays now. A finished model sits in reference cycles with its
        agents, freed only by the cyclic garbage collector; a batch runs one model per chunk,
        and without this its memory would grow until a collection happens."""
        self.state = None  # type: ignore[assignment]
        self.streams = None  # type: ignore[assignment]
