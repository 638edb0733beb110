"""`summit compare` when A or B is a sweep: the two batches compared point by point.

Thin: the work is in model.analysis.sweep_compare (matching, pairing, intervals), its table and
its plot. A and B are batch directories, or ``DIR:SCENARIO`` for one scenario of a batch that
varies the scenario; ``summit compare DIR`` compares the two scenarios of such a batch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from model.errors import ExperimentError, problem


def is_sweep_comparison(a: str, b: str | None) -> bool:
    """Whether A and B call for the sweep comparison: a ``DIR:SCENARIO``, a batch with more than
    one point or scenario, or a single DIR (its two scenarios)."""
    from model.analysis.sweep_compare import batch_scenarios, split_ref
    from model.batch import load_manifest

    if b is None:
        return True
    for ref in (a, b):
        where = split_ref(ref)
        if where is None:
            continue
        path, scenario = where
        if scenario is not None:
            return True
        m = load_manifest(path)
        if len(m["design"]["points"]) > 1 or len(batch_scenarios(m)) > 1:
            return True
    return False


def compared_as_sweeps(
    a: str, b: str | None, outcomes: tuple[str, ...], fmt: str, plot: Path | None
) -> bool:
    """Compare A and B as sweeps if they call for it (True), else leave them to the
    comparison of two single batches (False). Options that run scenarios are refused here."""
    if not is_sweep_comparison(a, b):
        return False
    source = click.get_current_context().get_parameter_source
    typed = [
        f"--{n}"
        for n in ("runs", "seed", "workers")
        if source(n) is click.core.ParameterSource.COMMANDLINE
    ]
    if typed:
        raise click.UsageError(f"{', '.join(typed)}: only when A and B are scenarios run now")
    compare_sweeps_cmd(a, b, outcomes, fmt, plot)
    return True


def compare_sweeps_cmd(
    a: str, b: str | None, outcomes: tuple[str, ...], fmt: str, plot: Path | None
) -> None:
    from model.analysis.sweep_compare import compare_sweeps, load_side
    from model.analysis.sweep_compare_table import format_sweep_compare

    refs = _sides(a, b)
    side_a, side_b = (load_side(path, scenario) for path, scenario in refs)
    if side_a.label == side_b.label:
        side_b = dataclasses.replace(side_b, label=side_b.label + " (B)")
    comp = compare_sweeps(side_a, side_b, list(outcomes) or None)
    click.echo(format_sweep_compare(comp, fmt))
    if plot is not None:
        from model.analysis.sweep_compare_plot import sweep_compare_plot

        key = comp.outcomes[0]
        how = sweep_compare_plot(comp, key, plot)
        click.echo(f"plot written to {plot} ({how}, {key})", err=True)


def _sides(a: str, b: str | None) -> list[tuple[Path, str | None]]:
    from model.analysis.sweep_compare import batch_scenarios, split_ref
    from model.batch import load_manifest

    if b is None:
        where = split_ref(a)
        if where is None or where[1] is not None:
            raise click.UsageError("with one argument, A must be a batch directory that holds "
                                   f"two scenarios; got {a!r}")  # fmt: skip
        names = batch_scenarios(load_manifest(where[0]))
        if len(names) != 2:
            rule = "compare DIR needs a batch of exactly two scenarios (else DIR:A DIR:B)"
            raise ExperimentError(problem(f"{a}/manifest.json", "design.scenarios", rule, names))
        return [(where[0], names[0]), (where[0], names[1])]
    out = []
    for name, ref in (("A", a), ("B", b)):
        where = split_ref(ref)
        if where is None:
            rule = (
                "a sweep is compared with another batch directory (run the same design on this "
                "scenario with summit sweep ... --scenario NAME --out DIR, then compare DIRs)"
            )
            raise ExperimentError(problem(ref, name, rule, ref))
        out.append(where)
    return out
