"""Golden tables: a small batch's summary, pinned. Protects against unintended changes of the
model's behaviour, of the seeding contract or of the tallies; after an intended change, rerun
tests/golden/regenerate.py and say why in the commit."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from model import simulate

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize("name", ["baseline-2024", "seoul-sidelined"])
def test_small_batch_matches_golden_table(name: str) -> None:
    """2,000 runs, seed 1: the summary equals the pinned one to floating-point precision."""
    expected = pd.read_csv(GOLDEN / f"{name}.csv")
    got = simulate(name, runs=2000, seed=1).summary
    got = pd.read_csv(io.StringIO(got.to_csv(index=False)))  # same dtypes as on disk
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_point_scenario_is_a_plain_batch() -> None:
    """One world at the ranges' central values: a plain batch, with no judgement columns. Its
    pinned table is the baseline's from before its judgements became ranges (each range's mode is
    the old number), so this also protects that conversion."""
    expected = pd.read_csv(GOLDEN / "baseline-2024-point.csv")
    got = simulate("baseline-2024", runs=2000, seed=1, worlds=1).summary
    got = pd.read_csv(io.StringIO(got.to_csv(index=False)))
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
