"""Run-level outcomes and their names, derived from the scenario's actors and relations.

One rule names every per-actor and per-pair outcome, so another summit's scenario gets its own
columns: ``strain_<a>_<b>`` for each alliance relation (actor ids, lower case, in the order the
scenario lists the pair), ``bypassed_<ally>`` for each ally of the engaging principal, and in the
summary ``p_bypassed_<ally>`` headed "P(<ALLY> bypassed)" for each ally the scenario tallies
(``[outcomes] bypass``, default: every ally of the engager).

The first case's contract (the project's founding design) named South Korea's bypass
``seoul_bypassed`` before names were derived; `CONTRACT_NAMES` keeps that one name for an ally whose
id is ``ROK``, so batches, scripts and golden tables written against the contract still read. It is
the only place where an actor id changes a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from model.scenario import Scenario
from model.sim import rules, strain
from model.sim.cast import Cast
from model.sim.seeding import Block
from model.sim.state import CHECKPOINT, State

# actor id → (column stem, label) of its bypass outcome, as the founding contract named it
CONTRACT_NAMES: dict[str, tuple[str, str]] = {"ROK": ("seoul_bypassed", "Seoul")}
_BYPASS = re.compile(r"^(?:(?P<stem>[a-z0-9_]+)_bypassed|bypassed_(?P<id>[a-z0-9_]+))$")


def bypass_column(actor_id: str) -> str:
    """The run column that says whether a summit bypassed this ally."""
    return CONTRACT_NAMES.get(actor_id, (f"bypassed_{actor_id.lower()}", ""))[0]


def bypass_label(column: str) -> str | None:
    """'P(<label> bypassed)' label of a bypass column (or its ``p_`` summary column), else None."""
    name = column.removeprefix("p_")
    for stem, label in CONTRACT_NAMES.values():
        if name == stem:
            return label
    m = _BYPASS.match(name)
    if m is None or m.group("id") is None:
        return None
    return m.group("id").upper()


def is_bypass_column(column: str) -> bool:
    return bypass_label(column) is not None


@dataclass(frozen=True)
class OutcomeNames:
    """The names of one scenario's outcome columns."""

    issues: tuple[str, ...]  # agreed value per negotiated issue
    pairs: tuple[str, ...]  # strain_<a>_<b> per alliance relation
    allies: tuple[str, ...]  # the engager's allies (actor ids)
    tallied: tuple[str, ...]  # allies whose bypass the summary tallies

    @classmethod
    def of(cls, scn: Scenario) -> OutcomeNames:
        cast = Cast.of(scn)
        allies = tuple(cast.actor_ids[a] for a in cast.allies[cast.engager])
        chosen = scn.spec.outcomes.bypass
        return cls(
            issues=tuple(cast.neg_ids),
            pairs=tuple(f"strain_{a.lower()}_{b.lower()}" for a, b in cast.pair_ids),
            allies=allies,
            tallied=tuple(chosen) if chosen is not None else allies,
        )

    @property
    def bypass(self) -> list[str]:
        """Run columns of the tallied allies' bypass (contract names where they exist)."""
        return [bypass_column(a) for a in self.tallied]

    @property
    def lead(self) -> list[str]:
        """The contract columns, in the contract's order; extras follow them."""
        return [
            "point",
            "replication",
            "summit",
            "summit_week",
            "agreement",
            *self.issues,
            "strain",
            "strain_max",
            *self.pairs,
            *self.bypass,
            "wedge",
        ]


def outcome_columns(
    s: State, cast: Cast, names: OutcomeNames, blocks: list[Block]
) -> dict[str, np.ndarray]:
    """Run-level outcome columns: the contract's names first, then extras."""
    point = np.concatenate([np.full(b.size, b.point) for b in blocks])
    rep = np.concatenate(
        [np.arange(b.first_replication, b.first_replication + b.size) for b in blocks]
    )
    strain_max = s.strain_pair_peak.max(axis=1) if cast.pairs else np.zeros(s.R)
    out: dict[str, np.ndarray] = {
        "point": point.astype(np.int64),
        "replication": rep.astype(np.int64),
        "summit": s.summit.copy(),
        "summit_week": s.summit_week.copy(),
        "agreement": s.agreement.copy(),
    }
    for k, name in enumerate(names.issues):
        out[name] = s.deal[:, k].copy()
    out["strain"] = s.strain_peak.copy()
    out["strain_max"] = strain_max
    for w, name in enumerate(names.pairs):
        out[name] = s.strain_pair_peak[:, w].copy()
    for i, aid in enumerate(names.allies):
        out[f"bypassed_{aid.lower()}"] = s.bypassed[:, i].copy()
        out.setdefault(bypass_column(aid), s.bypassed[:, i].copy())
    out["high_strain"] = s.strain_peak >= s.th["high_strain"]
    out["wedge"] = strain.wedge(s, cast)
    end = rules.total(s.strain_pairs) / len(cast.pairs) if cast.pairs else np.zeros(s.R)
    out["strain_end"] = end
    for w, name in enumerate(names.pairs):
        out[name.replace("strain_", "strain_end_", 1)] = s.strain_pairs[:, w].copy()
    out["weeks_high_strain"] = s.weeks_high.copy()
    out["coordination_end"] = strain.coordination(s, cast)
    out["deal_beyond_ally"] = s.deal_beyond_ally.copy()
    for c in range(s.strain_path.shape[1]):
        out[f"strain_w{(c + 1) * CHECKPOINT}"] = s.strain_path[:, c].copy()
    for k, name in enumerate(names.issues):
        out[f"offer_{name}"] = s.offer[:, k].copy()
    for aid, g in s.gain0.items():
        out[f"gain0_{aid.lower()}"] = g.copy()  # expected gain of meeting in week 0
    first = {c: out.pop(c) for c in names.lead}
    return {**first, **out}
