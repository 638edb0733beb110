"""`summit check`, `summit scenarios` and `summit explain`: reading scenario files and telling one
run. Thin: the work is in model.scenario and model.analysis.explain."""

from __future__ import annotations

import sys

import click

from model.cli.options import seed_option
from model.errors import SummitError
from model.scenario import BASELINE, load_scenario, shipped_scenarios
from model.sim.seeding import DEFAULT_SEED


@click.command("check")
@click.argument("scenarios", nargs=-1, required=True)
def check_cmd(scenarios: tuple[str, ...]) -> None:
    """Validate scenario files; exit 0, or 2 with one line per problem."""
    problems: list[str] = []
    for s in scenarios:
        try:
            scn = load_scenario(s)
        except SummitError as exc:
            problems.append(str(exc))
            continue
        click.echo(f"ok  {s}: {scn.name} ({len(scn.values())} numeric parameters)")
    if problems:
        click.echo("\n".join(problems), err=True)
        sys.exit(2)


@click.command(name="scenarios")
def scenarios_cmd() -> None:
    """List the shipped scenarios with one-line descriptions."""
    for path in shipped_scenarios():
        scn = load_scenario(path)
        base = f" (variant of {scn.spec.meta.variant_of})" if scn.spec.meta.variant_of else ""
        click.echo(f"{scn.name:<24} {scn.spec.meta.description}{base}")


@click.command("explain")
@click.argument("scenario", required=False, default=BASELINE)
@seed_option
def explain_cmd(scenario: str, seed: int | None) -> None:
    """Tell one run week by week: replication 0 of --seed on the point scenario (ranges at their
    central values, as `summit run --worlds 1`)."""
    from model.analysis.explain import explain as narrate

    click.echo(narrate(load_scenario(scenario), DEFAULT_SEED if seed is None else seed))


COMMANDS = [check_cmd, scenarios_cmd, explain_cmd]
