"""Resuming a batch from its directory alone: the design, seed and scenario come from the
manifest; an option given on the command line that contradicts them is refused, and a sweep's
directory is not resumed as a plain run (nor the other way round)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from model.batch import Design, batch_kind, design_from_manifest, load_manifest
from model.errors import ExperimentError, problem
from model.scenario import load_scenario

RESUME_RULE = (
    "resume needs the same scenario, design and seed (they are the batch's; leave out the "
    "options that contradict them)"
)


def given(name: str) -> bool:
    """Whether an option was typed on the command line (not a default)."""
    ctx = click.get_current_context()
    return ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE


def _manifest(out: Path, verb: str) -> dict[str, Any]:
    m = load_manifest(out)
    kind = batch_kind(m)
    if kind != verb:
        what = "plain run" if kind == "run" else "sweep"
        rule = f"this is a {what}'s batch: resume it with `summit {kind} --resume {out}`"
        raise ExperimentError(problem(f"{out}/manifest.json", "kind", rule, kind))
    return m


def _refuse(out: Path, clashes: list[str]) -> None:
    if clashes:
        raise ExperimentError(
            problem(f"{out}/manifest.json", "design", RESUME_RULE, ", ".join(clashes))
        )


def resume_run(
    out: Path,
    scenario: str,
    runs: int,
    seed: int | None,
    chunk_runs: int | None,
    worlds: int | None = None,
) -> Design:
    """The design of the plain run in ``out``; options typed on the command line must agree."""
    design = design_from_manifest(out, _manifest(out, "run"))
    clashes = []
    if given("scenario"):
        scn = load_scenario(scenario)
        if scn.canonical_hash() != design.scenario.canonical_hash():
            clashes.append(f"SCENARIO {scenario} (batch: {design.scenario.name} as it was run)")
    clashes += _option_clashes(
        ("runs", runs, design.replications),
        ("seed", seed, design.root_seed),
        ("chunk_runs", chunk_runs, design.chunk_runs),
        ("worlds", worlds, design.worlds),
    )
    _refuse(out, clashes)
    return design


def _option_clashes(*options: tuple[str, Any, Any]) -> list[str]:
    """Options typed on the command line whose value differs from the batch's."""
    return [
        f"--{name.replace('_', '-')} {mine} (batch: {theirs})"
        for name, mine, theirs in options
        if given(name) and mine != theirs
    ]


def resume_sweep(
    out: Path, runs: int | None, seed: int | None, others: list[str], worlds: int | None = None
) -> tuple[Design, dict[str, Any]]:
    """The design of the sweep in ``out`` and the manifest's experiment record."""
    m = _manifest(out, "sweep")
    design = design_from_manifest(out, m)
    clashes = [f"{name} (the design is the batch's)" for name in others]
    clashes += _option_clashes(
        ("runs", runs, design.replications),
        ("seed", seed, design.root_seed),
        ("worlds", worlds, design.worlds),
    )
    _refuse(out, clashes)
    return design, {k: v for k, v in m.items() if k == "experiment"}
