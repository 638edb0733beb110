"""Outcomes and factors in words: table headings, axis labels and the outcome names that the
sweep analyses accept (the fixed summary outcomes and each tallied ally's bypass)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model.errors import ExperimentError
from model.sim.outcomes import bypass_label


@dataclass(frozen=True)
class Outcome:
    """A summary column an analysis can use, named in words, and how its noise is known."""

    column: str
    short: str  # table heading (as in model.results.tables)
    long: str  # axis label
    kind: Literal["proportion", "conditional", "mean"]


OUTCOMES: dict[str, Outcome] = {
    o.column: o
    for o in (
        Outcome("p_summit", "P(summit)", "Probability of a summit", "proportion"),
        Outcome("p_agreement", "P(agreement)", "Probability of an agreement", "proportion"),
        Outcome(
            "p_agreement_given_summit",
            "P(agreement given summit)",
            "Probability of an agreement, given a summit",
            "conditional",
        ),
        Outcome("strain_mean", "strain mean", "Alliance strain (mean of the peak index)", "mean"),
        Outcome(
            "p_high_strain", "P(high strain)", "Probability of high alliance strain", "proportion"
        ),
        Outcome("p_wedge", "P(wedge)", "Probability of a wedge in the alliance", "proportion"),
    )
}
DEFAULT_OUTCOMES = ["p_summit", "p_agreement", "strain_mean", "p_wedge", "p_high_strain"]


def find_outcome(name: str) -> Outcome | None:
    """A summary outcome by column: the fixed ones, or an ally's bypass (named by the scenario)."""
    if name in OUTCOMES:
        return OUTCOMES[name]
    interval = name.endswith(("_lo", "_hi"))
    label = bypass_label(name) if name.startswith("p_") and not interval else None
    if label is None:
        return None
    return Outcome(name, f"P({label} bypassed)", f"Probability {label} is bypassed", "proportion")


def outcome(name: str) -> Outcome:
    found = find_outcome(name)
    if found is None:
        known = ", ".join([*OUTCOMES, "p_<ally>_bypassed"])
        raise ExperimentError(f"--outcome: must be one of {known}; got {name!r}")
    return found


def words_for_path(path: str) -> str:
    """A dotted parameter path in words, for factors that have no ``label`` in their experiment."""
    parts = path.split(".")
    tail = parts[-1].replace("_", " ")
    match parts:
        case ["actors", actor, "position", issue]:
            return f"{actor} position on {issue}"
        case ["actors", actor, "salience", issue]:
            return f"{actor} salience of {issue}"
        case ["actors", actor, _]:
            return f"{actor} {tail}"
        case ["model", _]:
            return f"{tail} (model)"
        case ["relations", pair, _]:
            return f"{pair.replace('-', '–')} tie {tail}"
        case ["events", event, _]:
            return f"{tail} of event {event}"
        case ["issues", issue, _]:
            return f"{tail} on {issue}"
        case ["thresholds", _]:
            return f"{tail} threshold"
    return path
