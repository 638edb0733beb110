"""Options several `summit` verbs share, defined once."""

from __future__ import annotations

import click

from model.sim.seeding import DEFAULT_SEED

seed_option = click.option(
    "--seed",
    "-s",
    type=click.IntRange(min=0),
    default=None,
    help=f"Root seed [default: {DEFAULT_SEED}].",
)
