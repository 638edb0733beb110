"""`summit explain`: one run told week by week, with the numbers behind each step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from model.scenario import Scenario
from model.sim.outcomes import bypass_label
from model.sim.seeding import Block
from model.sim.summit import SummitModel


def explain(scenario: Scenario, seed: int) -> str:
    """Narrative of replication 0 of design point 0 under root seed ``seed``.

    It is the very run that row 0 of `summit run --seed S` on the same scenario holds, because
    random streams depend only on (seed, point, replication), never on the batch size.
    """
    model = SummitModel(scenario, blocks=[Block(0, 0, 1)], root_seed=seed, trace=True)
    resolve = _resolve(model, scenario)  # before the run: events may change the value later
    model.run()
    start = scenario.spec.meta.start
    prep = float(model.state.mp["prep_threshold"][0])
    lines = [
        f"{scenario.title} — seed {seed}, replication 0",
        f"rule: {model.state.rule.value}; a summit needs momentum ≥ {prep:.2f}"
        " and both leaders willing",
        resolve,
        "",
    ]
    prev_pos: dict[str, dict[str, float]] | None = None
    held: int | None = None  # the summit's week, once held
    for rec in model.trace:
        lines += _week(rec, start, prev_pos, prep, held)
        prev_pos = rec["positions"]
        if rec["decision"]["summit"]:
            held = rec["week"]
    lines += ["", _outcome(model)]
    return "\n".join(lines)


def _resolve(model: SummitModel, scenario: Scenario) -> str:
    """Each leader's private resolve, drawn once for the run (MODEL.md §4): it is why the same
    scenario's "meeting" term differs from seed to seed (+0.71 with one, +0.04 with another)."""
    parts = []
    for p in model.cast.principals:
        actor = model.actor_ids[p]
        stated = scenario.get(f"actors.{actor}.meeting_value")
        drawn = float(model.state.actor_param["meeting_value"][0, p])
        parts.append(f"{actor} {stated:+.3f} {drawn - stated:+.3f} = {drawn:+.3f}")
    return "meeting value, stated + private resolve drawn for this run: " + "; ".join(parts)


def _willing(d: dict[str, Any]) -> str:
    """Each principal's decision: willing iff its gain plus this week's decision shock is > 0."""
    parts = []
    for a, w in d["willing"].items():
        g, e = d["gain"][a], d["shock"][a]
        sign = ">" if w else "≤"
        parts.append(f"{a} {'yes' if w else 'no'} (gain {g:+.3f} + shock {e:+.3f} {sign} 0)")
    return ", ".join(parts)


def _week(
    rec: dict[str, Any],
    start: dt.date,
    prev: dict[str, dict[str, float]] | None,
    prep: float,
    held: int | None,
) -> list[str]:
    week = rec["week"]
    date = start + dt.timedelta(weeks=week)
    out = [f"Week {week:2d} ({date})"]
    for ev in rec.get("events", []):
        out.append(f"  event      {ev}")
    for actor, s in rec["signals"].items():
        out.append(
            f"  {actor:<10} gain {s['gain']:+.3f} = deal {s['deal']:.3f} + meeting "
            f"{s['meeting']:+.3f} + wedge {s['wedge']:.3f} − alliance {s['alliance']:.3f} − "
            f"audience {s['audience']:.3f}; signal {s['signal']:.2f}"
        )
    cons = ", ".join(f"{a} {v:.2f}" for a, v in rec["consulted"].items())
    d = rec["decision"]
    sup = ", ".join(f"{a} {v:.2f}" for a, v in d["support"].items())
    out.append(f"  momentum   {rec['momentum']:.2f}; consulted {cons}; support {sup}")
    if prev is not None:
        moves = [
            f"{a} {k} {prev[a][k]:.1f}→{v:.1f}"
            for a, pos in rec["positions"].items()
            for k, v in pos.items()
            if abs(v - prev[a][k]) >= 0.5
        ]
        if moves:
            out.append("  moved      " + "; ".join(moves))
    if d["summit"]:
        out.append(f"  decision   SUMMIT: preparation complete; willing: {_willing(d)}")
    elif held is not None:
        out.append(f"  decision   (the summit was held in week {held})")
    elif d["prepared"] and not d["allies_consulted"]:
        out.append(f"  decision   prepared, waiting to consult allies ({d['weeks_waited']} wk)")
    elif not d["prepared"]:
        why = f"preparation {rec['momentum']:.2f} < {prep:.2f}; " if rec["momentum"] < prep else ""
        out.append(f"  decision   no summit ({why}willing: {_willing(d)})")
    if "negotiation" in rec:
        n = rec["negotiation"]
        offer = ", ".join(f"{k} {v:.1f}" for k, v in n["offer"].items())
        tol = n["ratifier_tolerance"]
        losses = ", ".join(f"{a} {v:.3f}/{tol[a]:.2f}" for a, v in n["ratifier_loss"].items())
        rejecting = [a for a, v in n["ratifier_loss"].items() if v > tol[a]]
        verdict = (
            "AGREEMENT" if n["agreement"] else f"no agreement ({', '.join(rejecting)} rejects)"
        )
        out.append(f"  negotiation offer {offer}; loss/tolerance {losses} → {verdict}")
    strain = ", ".join(f"{k} {v:.3f}" for k, v in rec["strain"].items())
    out.append(f"  strain     {strain}")
    return out


def _outcome(model: SummitModel) -> str:
    o = model.outcomes()
    if not o["summit"][0]:
        head = "Outcome: no summit within the horizon."
    else:
        head = f"Outcome: summit in week {int(o['summit_week'][0])}, " + (
            "with an agreement." if o["agreement"][0] else "without an agreement."
        )
    bypassed = "".join(f" {bypass_label(c)} bypassed: {bool(o[c][0])};" for c in model.names.bypass)
    return (
        f"{head} Peak strain: index {o['strain'][0]:.3f}, worst pair {o['strain_max'][0]:.3f};"
        f"{bypassed} wedge: {bool(o['wedge'][0])}."
    )
