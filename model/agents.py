"""The actors as Mesa agents. Each agent's state is a view into the model's arrays, with a leading
replication axis, so one agent object stands for the same actor in all R replications."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model import rules
from model.scenario import Role

if TYPE_CHECKING:
    from model.summit import SummitModel


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
        return self.model.pos[:, self.index, :]

    @property
    def salience(self) -> np.ndarray:
        return self.model.sal[:, self.index, :]

    @property
    def capability(self) -> np.ndarray:
        return self.model.cap[:, self.index]

    def param(self, name: str) -> np.ndarray:
        return self.model.actor_param[name][:, self.index]


class Principal(Actor):
    """A leader who may meet the other principal: weighs the summit, signals, decides."""

    gain: np.ndarray  # (R,) expected net gain of meeting this week
    willing: np.ndarray  # (R,) bool

    def weigh(self) -> None:
        """Expected gain of meeting now: deal + meeting + wedge − alliance − audience costs."""
        parts = self.model.gain_parts(self)
        self.parts = parts
        self.gain = (
            parts["deal"]
            + parts["meeting"]
            + parts["wedge"]
            - parts["alliance"]
            - parts["audience"]
        )

    def signal(self, noise: np.ndarray) -> np.ndarray:
        """Send a warm (near 1) or cold (near 0) signal, by this week's expected gain."""
        temperature = self.model.mp["signal_temperature"]
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
        agenda_loss = rules.loss(principal.position, self.position, self.salience)
        self.support = rules.ally_support(
            self.param("consulted"), self.param("openness"), agenda_loss, self.param("tolerance")
        )
        return self.support

    def be_consulted(self) -> None:
        m = self.model
        col = self.param("consulted")
        col[:] = rules.consult_step(
            col, self.param("consult_open"), m.mp["consult_rate"], m.mp["consult_decay"]
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
