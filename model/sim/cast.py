"""The cast: who is who in a scenario, as array indices. Read once from the scenario, immutable.

Every stage needs the same facts about the actors: which principal engages (consults its allies
and bears the strain), which actors are whose allies, patrons and public, who must ratify a deal,
which alliance pairs exist, and which issues are on the summit table. `Cast` holds them as indices
into the model's (R, actors, issues) arrays, so the stages never search the scenario in the weekly
hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.scenario import Role, Scenario


@dataclass(frozen=True)
class Cast:
    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    roles: tuple[Role, ...]
    engager: int  # the principal with allies: it consults them and its alliances strain
    counterpart: int  # the other principal
    allies: dict[int, tuple[int, ...]]  # principal → its allies, in scenario order
    patrons: dict[int, tuple[int, ...]]  # principal → its patrons
    audience: dict[int, int | None]  # principal → its domestic public, if any
    pairs: tuple[tuple[int, int], ...]  # alliance relations, as actor indices, in scenario order
    pair_ids: tuple[tuple[str, str], ...]
    neg: np.ndarray  # indices of the issues on the summit table
    non_neg: np.ndarray  # indices of the issues off it (e.g. alliance coordination)

    @classmethod
    def of(cls, scn: Scenario) -> Cast:
        spec = scn.spec
        ids = tuple(spec.actors)
        ix = {a: i for i, a in enumerate(ids)}
        e_id, c_id = scn.principals()

        def members(role: Role, principal: str) -> tuple[int, ...]:
            return tuple(
                ix[a] for a, x in spec.actors.items() if x.role is role and x.of == principal
            )

        principals = (e_id, c_id)
        audience: dict[int, int | None] = {}
        for p in principals:
            found = members(Role.AUDIENCE, p)
            audience[ix[p]] = found[0] if found else None
        pair_ids = tuple((r.pair[0], r.pair[1]) for r in spec.relations)
        issues = list(spec.issues.values())
        return cls(
            actor_ids=ids,
            issue_ids=tuple(spec.issues),
            roles=tuple(x.role for x in spec.actors.values()),
            engager=ix[e_id],
            counterpart=ix[c_id],
            allies={ix[p]: members(Role.ALLY, p) for p in principals},
            patrons={ix[p]: members(Role.PATRON, p) for p in principals},
            audience=audience,
            pairs=tuple((ix[a], ix[b]) for a, b in pair_ids),
            pair_ids=pair_ids,
            neg=np.array([k for k, i in enumerate(issues) if i.negotiated]),
            non_neg=np.array([k for k, i in enumerate(issues) if not i.negotiated], dtype=int),
        )

    @property
    def principals(self) -> tuple[int, int]:
        return (self.engager, self.counterpart)

    @property
    def ratifiers(self) -> tuple[int, ...]:
        """Who must accept a deal: both principals, then each principal's public."""
        publics = tuple(a for a in self.audience.values() if a is not None)
        return (*self.principals, *publics)

    @property
    def neg_ids(self) -> list[str]:
        return [self.issue_ids[k] for k in self.neg]

    def other(self, principal: int) -> int:
        return self.counterpart if principal == self.engager else self.engager

    def ally_relations(self, principal: int) -> list[list[int]]:
        """Per ally of ``principal``: the relations (rows of the weight array) joining the two."""
        return [
            [r for r, (i, j) in enumerate(self.pairs) if {i, j} == {principal, ally}]
            for ally in self.allies[principal]
        ]
