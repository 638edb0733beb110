"""The comparisons in `summit report`: each later batch against the first (B − A), or the two
scenarios of one batch that varies the scenario; two single batches as `summit compare` compares
them, two sweeps point by point (`model.analysis.sweep_compare`). Batches whose designs do not
match are not compared, and the page says why."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.analysis.report_figures import embed
from model.analysis.report_parts import Table
from model.errors import ExperimentError

if TYPE_CHECKING:
    from model.analysis.sweeps import Sweep
    from model.batch import Design

SWEEP_OUTCOMES = ["p_summit", "p_agreement", "strain_mean", "p_wedge"]
DRAWN = ["p_summit", "strain_mean"]


def comparison_part(
    loaded: list[tuple[Path, Sweep, Design]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """The comparisons to show, and a note for each pair that could not be compared."""
    pairs: list[tuple[tuple[Path, str | None], tuple[Path, str | None]]] = []
    if len(loaded) == 1:
        path, _, design = loaded[0]
        if len(design.all_scenarios) == 2:
            a, b = (s.name for s in design.all_scenarios)
            pairs.append(((path, a), (path, b)))
    else:
        first = loaded[0][0]
        pairs += [((first, None), (path, None)) for path, _, _ in loaded[1:]]
    out, notes = [], []
    for (pa, sa), (pb, sb) in pairs:
        try:
            out.append(_compare(pa, sa, pb, sb, loaded))
        except ExperimentError as exc:
            notes.append(f"{pb} is not compared with {pa}: {exc}")
    return out, notes


def _single(path: Path, loaded: list[tuple[Path, Sweep, Design]]) -> bool:
    _, sweep, design = next(x for x in loaded if x[0] == path)
    return len(sweep.points) == 1 and not design.scenarios


def _compare(
    pa: Path, sa: str | None, pb: Path, sb: str | None, loaded: list[tuple[Path, Sweep, Design]]
) -> dict[str, Any]:
    if _single(pa, loaded) and _single(pb, loaded):
        return _two_batches(pa, pb, loaded)
    from model.analysis.sweep_compare import compare_sweeps, load_side
    from model.analysis.sweep_compare_plot import sweep_compare_plot
    from model.analysis.sweep_compare_table import heading, notes, point_view, summary_view

    a, b = load_side(pa, sa), load_side(pb, sb)
    if a.label == b.label:
        b = dataclasses.replace(b, label=b.label + " (B)")
    comp = compare_sweeps(a, b, [k for k in SWEEP_OUTCOMES])
    from model.analysis.sweep_compare import outcome_label

    tables = [
        Table.of(
            "Where the two response surfaces differ",
            summary_view(comp),
            left=["outcome", "at"],
            notes=notes(comp),
        )
    ]
    tables += [
        Table.of(f"{outcome_label(k)} at each design point", point_view(comp, k))
        for k in comp.outcomes
    ]
    figures = [
        embed(
            f"{outcome_label(k)}: {b.label} − {a.label}",
            partial(sweep_compare_plot, comp, k),
        )
        for k in DRAWN
    ]
    return {
        "a": a.label,
        "b": b.label,
        "lines": heading(comp),
        "tables": tables,
        "figures": figures,
    }


def _two_batches(pa: Path, pb: Path, loaded: list[tuple[Path, Sweep, Design]]) -> dict[str, Any]:
    """Two single batches, as `summit compare A B` compares them (paired when seeds match)."""
    from model.analysis.compare import Side, _band, _difference, _num, compare_notes, compare_sides
    from model.analysis.plots import forest_plot
    from model.batch import read_runs

    sides, keys = [], []
    for path in (pa, pb):
        _, sweep, design = next(x for x in loaded if x[0] == path)
        # as `summit compare` decides: the same seed, replications and judgement worlds
        keys.append((sweep.seed, sweep.replications, sweep.manifest["design"].get("worlds", 1)))
        sides.append(Side(design.scenario.name, read_runs(path), design.scenario.weeks))
    if sides[0].label == sides[1].label:
        sides[1] = Side(sides[1].label + " (B)", sides[1].runs, sides[1].weeks)
    paired = keys[0] == keys[1]
    table = compare_sides(sides[0], sides[1], paired)
    a, b = sides[0].label, sides[1].label
    view = pd.DataFrame(
        {
            "outcome": table["outcome"],
            a: [_num(v) for v in table[a]],
            b: [_num(v) for v in table[b]],
            f"{b} − {a} [95% CI]": [_difference(r) for _, r in table.iterrows()],
            # with judgement worlds, how far the difference moves between judgements: a starred
            # difference whose band spans 0 depends on them for its sign
            **(
                {"judgement band": [_band(r) for _, r in table.iterrows()]}
                if "band_lo" in table.columns
                else {}
            ),
            "method": table["method"],
        }
    )
    how = (
        "paired under common random numbers (same seed, runs and judgement worlds)"
        if paired
        else "unpaired (the seeds, the numbers of runs or of judgement worlds differ)"
    )
    return {
        "a": a,
        "b": b,
        "lines": [f"B − A for every outcome: A = {a} ({pa}), B = {b} ({pb}); {how}."],
        "tables": [
            Table.of(f"{b} − {a}", view, left=["outcome", "method"], notes=compare_notes(table))
        ],
        "figures": [
            embed(
                f"{b} − {a}: differences with their 95% intervals", lambda p: forest_plot(table, p)
            )
        ],
    }
