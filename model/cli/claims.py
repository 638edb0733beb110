"""`summit claims`: the seed article's claims measured on the shipped scenarios, paired.

Thin: the claims and their measures are in model.analysis.claims (README's claims table;
tests/test_claims.py asserts the same rows on two seeds).
"""

from __future__ import annotations

import click

from model.cli.options import seed_option
from model.sim.seeding import DEFAULT_SEED

DEFAULT_RUNS = 20_000  # per scenario: paired intervals of a few tenths of a point on P(summit)


@click.command("claims")
@click.option("--runs", "-n", type=click.IntRange(min=2), default=DEFAULT_RUNS, show_default=True,
              help="Replications per scenario.")  # fmt: skip
@seed_option
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md",
              show_default=True)  # fmt: skip
def claims_cmd(runs: int, seed: int | None, fmt: str) -> None:
    """The article's claims a–g, each on the outcome a reader would check: a level of the
    baseline, or a variant minus its reference over the same replications (common random
    numbers) with a paired 95% interval, and whether it says what the article says."""
    from model.analysis.claims import evaluate, format_claims

    root = DEFAULT_SEED if seed is None else seed
    click.echo(format_claims(evaluate(runs, root), fmt))
