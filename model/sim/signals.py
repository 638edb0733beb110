"""Signals and preparation: each principal signals warmly or coldly by its expected gain, and the
summit's preparation (momentum) builds with both signals and decays otherwise (docs/MODEL.md §5).
"""

from __future__ import annotations

import numpy as np

from model.sim import rules
from model.sim.assessment import ally_shares, weightless
from model.sim.cast import Cast
from model.sim.state import State, columns


def coordination(s: State, cast: Cast) -> np.ndarray:
    """(R,) how far the engager has consulted its allies, weighted by their alliance ties."""
    allies = cast.allies[cast.engager]
    if not allies:
        return np.ones(s.R)
    consulted = columns([s.param("consulted", a) for a in allies])
    coord = rules.total(ally_shares(s, cast, cast.engager) * consulted)
    # alliances that all weigh 0 (relation weights set to 0) are no alliances: as without allies,
    # nothing to coordinate (the shares are all 0 there, which read as "never consulted" and cut
    # P(summit) from 0.57 to 0.08 at weight 0, against 0.57 at weight 1e-9)
    none = weightless(s, cast, cast.engager)
    return coord if none is None else np.where(none, 1.0, coord)


def prepare(s: State, cast: Cast, signals: np.ndarray) -> None:
    """Momentum after this week's signals, (R, 2) for (engager, counterpart)."""
    # [seed] the cancelled Kishida–Yoon meeting "should have discussed a potential summit":
    # part of the preparation runs through the engager's consultation with its allies
    share = s.mp["prep_consult_share"]
    gain = s.mp["momentum_gain"] * (1.0 - share + share * coordination(s, cast))
    new = rules.momentum_step(s.momentum, signals, gain, s.mp["momentum_decay"])
    s.momentum = np.where(~s.summit, new, s.momentum)  # after the summit it no longer matters
