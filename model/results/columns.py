"""What each column of a batch means: a dictionary of the run rows and the summary, written into
the Parquet schema of every shard (field metadata) and into ``manifest.json`` (``columns``).

Each entry has ``description``, ``unit``, ``interval`` (method of a ``_lo``/``_hi`` bound, or
"none") and ``level`` (its confidence level, or "none"). Meanings follow docs/MODEL.md §10.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from model.sim.outcomes import bypass_label, is_bypass_column

Entry = dict[str, str]
NONE = "none"


def _entry(description: str, unit: str = NONE, interval: str = NONE, level: str = NONE) -> Entry:
    return {"description": description, "unit": unit, "interval": interval, "level": level}


FIXED_RUN: dict[str, Entry] = {
    "point": _entry("design point id (its values: manifest.json design.points)", "id"),
    "replication": _entry("replication index within the design point", "id"),
    "summit": _entry("a summit was held within the horizon", "true/false"),
    "summit_week": _entry(
        "week of the summit (0 = the week starting meta.start); NaN without one", "weeks"
    ),
    "agreement": _entry("the summit's offer was accepted by every ratifier", "true/false"),
    "strain": _entry("peak over the horizon of the mean alliance-pair strain", "index 0-1"),
    "strain_max": _entry("the worst alliance pair's peak strain", "index 0-1"),
    "high_strain": _entry("strain >= thresholds.high_strain", "true/false"),
    "wedge": _entry(
        "a summit after which some alliance pair's strain reached thresholds.wedge_strain",
        "true/false",
    ),
    "scenario": _entry("scenario name (meta.name)", "name"),
    "world": _entry(
        "judgement world of the run (its drawn values: worlds.parquet; docs/MODEL.md §12)", "id"
    ),
}


def run_entry(column: str, issues: Sequence[str] = ()) -> Entry:
    """The dictionary entry of one run column (outcomes as named by `OutcomeNames`)."""
    if column in FIXED_RUN:
        return FIXED_RUN[column]
    if column in issues:
        return _entry(f"agreed value of issue {column}; NaN without agreement", "points 0-100")
    if column.startswith("offer_"):
        what = column.removeprefix("offer_")
        return _entry(
            f"offer on issue {what} put to the ratifiers; NaN without a summit", "points 0-100"
        )
    if column.startswith("gain0_"):
        who = column.removeprefix("gain0_").upper()
        return _entry(
            f"expected gain of meeting for {who} in week 0 (incl. resolve shock)", "loss units"
        )
    if column.startswith("strain_"):
        pair = column.removeprefix("strain_").upper().replace("_", "-", 1)
        return _entry(f"peak strain of the alliance pair {pair}", "index 0-1")
    if is_bypass_column(column):
        return _entry(f"ally {bypass_label(column)} was bypassed at the summit", "true/false")
    if "." in column:
        return _entry(
            f"swept value of {column} at this design point",
            "that parameter's unit (docs/MODEL.md §11)",
        )
    return _entry(column)


def run_dictionary(columns: Iterable[str], issues: Sequence[str] = ()) -> dict[str, Entry]:
    return {c: run_entry(c, issues) for c in columns}


WILSON = "Wilson score"
NORMAL = "normal approximation"
LEVEL = "0.95"

FIXED_SUMMARY: dict[str, Entry] = {
    "scenario": FIXED_RUN["scenario"],
    "point": FIXED_RUN["point"],
    "runs": _entry("runs tallied at this point", "runs"),
    "p_summit": _entry("share of runs with a summit", "proportion"),
    "p_agreement": _entry("share of runs with an agreement", "proportion"),
    "p_agreement_given_summit": _entry("share of summits that reached an agreement", "proportion"),
    "summit_week_median": _entry("median week of the summit, over runs with one", "weeks"),
    "strain_mean": _entry("mean of strain", "index 0-1"),
    "strain_p10": _entry(
        "10th percentile of strain (2,000-bin histogram, exact to 0.0005)", "index 0-1"
    ),
    "strain_p50": _entry("median of strain (2,000-bin histogram, exact to 0.0005)", "index 0-1"),
    "strain_p90": _entry(
        "90th percentile of strain (2,000-bin histogram, exact to 0.0005)", "index 0-1"
    ),
    "p_high_strain": _entry("share of runs with high_strain", "proportion"),
    "p_wedge": _entry("share of runs with a wedge", "proportion"),
}


CLUSTERED = "normal approximation, clustered by world (linearised ratio over worlds)"
BAND = "5th-95th percentile over worlds of each world's value, corrected for Monte Carlo noise"

WORLD_SUMMARY: dict[str, Entry] = {
    "worlds": _entry(
        "judgement worlds drawn from the scenario's ranges (Latin hypercube)", "worlds"
    ),
    **{
        f"{base}_band_{end}": _entry(
            f"{'lower' if end == 'lo' else 'upper'} end of the judgement band of {base}",
            unit,
            BAND,
            "0.90",
        )
        for base, unit in (
            ("p_summit", "proportion"),
            ("p_agreement", "proportion"),
            ("strain_mean", "index 0-1"),
        )
        for end in ("lo", "hi")
    },
    **{
        f"{base}_judgement_share": _entry(
            f"share of the run-to-run variance of {base.removeprefix('p_')} explained by the "
            "world (law of total variance)",
            "share 0-1",
        )
        for base in ("p_summit", "p_agreement", "strain_mean")
    },
}


def summary_entry(column: str, clustered: bool = False) -> Entry:
    """The dictionary entry of one summary column, bounds with their interval method and level;
    ``clustered``: a batch with worlds, whose intervals come from the spread over worlds."""
    for end, word in (("_lo", "lower"), ("_hi", "upper")):
        if column.endswith(end) and (base := column.removesuffix(end)) in FIXED_SUMMARY:
            value = FIXED_SUMMARY[base]
            method = NORMAL if base == "strain_mean" else WILSON
            text = f"{word} bound of the 95% interval of {base}"
            return _entry(text, value["unit"], CLUSTERED if clustered else method, LEVEL)
    if column in WORLD_SUMMARY:
        return WORLD_SUMMARY[column]
    if column in FIXED_SUMMARY:
        e = dict(FIXED_SUMMARY[column])
        if column + "_lo" in _WITH_BOUNDS:
            e["interval"] = NORMAL if column == "strain_mean" else WILSON
            e["interval"] = CLUSTERED if clustered else e["interval"]
            e["level"] = LEVEL
        return e
    if column.startswith("p_") and is_bypass_column(column):
        return _entry(f"share of runs in which {bypass_label(column)} was bypassed", "proportion")
    return run_entry(column)


_WITH_BOUNDS = {"p_summit_lo", "p_agreement_lo", "p_agreement_given_summit_lo", "strain_mean_lo",
                "p_wedge_lo"}  # fmt: skip


def summary_dictionary(columns: Iterable[str]) -> dict[str, Entry]:
    columns = list(columns)
    clustered = "worlds" in columns
    return {c: summary_entry(c, clustered) for c in columns}
