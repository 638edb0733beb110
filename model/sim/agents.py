"""The actors as Mesa agents. Each agent's state is a view into the model's arrays, with a leading
replication axis, so one agent object stands for the same actor in all R replications. An agent's
methods read as its decision procedure; the arithmetic is in the stage modules and `rules`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.scenario import Role
from model.sim import rules
from model.sim.assessment import Assessment, ally_support, gain_parts

if TYPE_CHECKING:
    from model.sim.summit import SummitModel


class Actor(mesa.Agent):
    """A state or a public with positions and saliences on every issue, and a capability."""

    model: SummitModel

    def __init__(self, model: SummitModel, actor_id: str, index: int, role: Role) -> None:
        super().__init__(model)
        self.actor_id = actor_id
        self.index = index  # column of this actor in the model's (R, A, K) arrays
        self.role = role

    @property
    def position(self) -> np.ndarray:
        """(R, K) view: where this actor stands on each issue, in each replication."""
        return self.model.state.pos[:, self.index, :]

    @property
    def salience(self) -> np.ndarray:
        return self.model.state.sal[:, self.index, :]

    @property
    def capability(self) -> np.ndarray:
        return self.model.state.cap[:, self.index]

    def param(self, name: str) -> np.ndarray:
        return self.model.state.param(name, self.index)


class Principal(Actor):
    """A leader who may meet the other principal: weighs the summit, signals, decides."""

    gain: np.ndarray  # (R,) expected net gain of meeting this week
    willing: np.ndarray  # (R,) bool

    def weigh(self, now: Assessment) -> None:
        """Expected gain of meeting now: deal + meeting + wedge − alliance, audience and strain
        costs."""
        parts = gain_parts(self.model.state, self.model.cast, now, self.index)
        self.parts = parts
        self.gain = (
            parts["deal"]
            + parts["meeting"]
            + parts["wedge"]
            - parts["alliance"]
            - parts["audience"]
            - parts["strain"]
        )

    def signal(self, noise: np.ndarray) -> np.ndarray:
        """Send a warm (near 1) or cold (near 0) signal, by this week's expected gain."""
        temperature = self.model.state.mp["signal_temperature"]
        self.signal_strength = rules.logistic((self.gain + noise) / temperature)
        return self.signal_strength

    def decide(self, noise: np.ndarray) -> np.ndarray:
        """Willing to meet this week iff the expected gain, plus a decision shock, is positive."""
        self.willing = self.gain + noise > 0
        return self.willing


class Ally(Actor):
    """An ally of a principal: consulted (or not), and supports a summit it finds close enough."""

    support: np.ndarray

    def assess(self, principal: Principal) -> np.ndarray:
        """Support = consulted × openness × closeness of the principal's agenda to ours."""
        self.support = ally_support(self.model.state, principal.index, self.index)
        return self.support

    def be_consulted(self) -> None:
        """Consultation builds while the channel is open and fades while it is blocked."""
        mp = self.model.state.mp
        col = self.param("consulted")
        col[:] = rules.consult_step(
            col, self.param("consult_open"), mp["consult_rate"], mp["consult_decay"]
        )


class Patron(Actor):
    """Backs its principal: the backing ends isolation (readier to meet, harder to move)."""


class Audience(Actor):
    """A principal's domestic public: presses the leader and must ratify any deal."""


AGENT_CLASS: dict[Role, type[Actor]] = {
    Role.PRINCIPAL: Principal,
    Role.ALLY: Ally,
    Role.PATRON: Patron,
    Role.AUDIENCE: Audience,
}
