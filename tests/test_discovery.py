"""Scenario discovery: the condition language (valid conditions evaluate right, anything else is a
one-line error and never code), PRIM finding a planted box, and runs joined to their design
point's factors by id."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from model.analysis.conditions import condition_holds
from model.analysis.discovery import point_shares
from model.analysis.prim import prim
from model.errors import ExperimentError


@pytest.fixture
def runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point": [0, 0, 1, 1, 2],
            "summit": [True, False, True, True, False],
            "wedge": [False, False, True, False, False],
            "strain": [0.6, 0.1, 0.3, 0.5, 0.0],
            "summit_week": [4.0, np.nan, 12.0, 30.0, np.nan],
            "actors.US.openness": [0.2, 0.2, 0.8, 0.8, 0.5],
        }
    )


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("summit", [1, 0, 1, 1, 0]),
        ("summit and strain >= 0.5", [1, 0, 0, 1, 0]),
        ("not summit or (strain < 0.2 and wedge)", [0, 1, 0, 0, 1]),
        ("0.2 <= strain < 0.55", [0, 0, 1, 1, 0]),
        ("summit == true and not wedge", [1, 0, 0, 1, 0]),
        ("summit_week <= 12", [1, 0, 1, 0, 0]),  # no summit: the week is NaN, never <= 12
        ("actors.US.openness > 0.5 AND strain>=0.3", [0, 0, 1, 1, 0]),
        ("strain > -1e-3 and strain != 0.1", [1, 0, 1, 1, 1]),
        ("summit and not not wedge", [0, 0, 1, 0, 0]),
    ],
)
def test_conditions_evaluate(runs: pd.DataFrame, where: str, expected: list[int]) -> None:
    """Comparisons, chains, and/or/not, parentheses, yes/no columns by name and dotted factor
    columns evaluate as written; a comparison with a missing value is false."""
    assert condition_holds(where, runs).astype(int).tolist() == expected


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("", "an empty condition"),
        ("summit and", "expected a column name"),
        ("strain", "strain is a number, not yes/no"),
        ("strain = 0.5", "use == to compare"),
        ("summit and __import__('os').system('true')", "unexpected character"),
        ("summit and __import__ > 0", "unknown column"),
        ("summit; strain > 1", "unexpected character ';'"),
        ("sumit > 0", "unknown column"),
        ("1 < 2", "a comparison needs a run column"),
        ("(summit", "expected ')'"),
        ("summit)", "expected 'and', 'or' or the end"),
        ("0.5", "a number alone is not a condition"),
        ("strain >= ", "expected a column name"),
    ],
)
def test_bad_conditions_are_one_line_errors(runs: pd.DataFrame, where: str, says: str) -> None:
    """Anything outside the language is refused with one line that names --where, the rule and
    the text, and nothing of it is ever executed."""
    with pytest.raises(ExperimentError) as err:
        condition_holds(where, runs)
    message = str(err.value)
    assert message.startswith("--where: ") and says in message, message
    assert "\n" not in message and repr(where) in message


def _planted(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Points uniform in [0, 1]^4; the share of cases is 0.85 in a > 0.6 and b < 0.3, else
    0.05."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(size=(n, 4)), columns=["a", "b", "c", "d"])
    inside = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
    share = np.where(inside, 0.85, 0.05) + rng.normal(0, 0.03, n)
    return x, np.clip(share, 0, 1)


def test_prim_finds_a_planted_box() -> None:
    """PRIM (peel, paste, drop weak limits) recovers the planted box's two limits and only
    those, with the coverage and density the plant implies."""
    x, y = _planted()
    res = prim(x, y, weights=np.full(len(x), 200.0))
    box = res.final
    assert box.restricted == ["a", "b"]
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.04)
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.04)
    # the plant puts 0.85 × 0.12 of the mass in the box and 0.05 × 0.88 outside: coverage ≤ 0.70
    assert box.density > 0.8 and box.coverage > 0.62
    assert res.base_rate == pytest.approx(float(np.mean(y)))
    assert res.relaxed_density["a"] < 0.5 and res.relaxed_density["b"] < 0.5
    densities = [b.density for b in res.trajectory]
    assert densities[0] == pytest.approx(res.base_rate) and max(densities) > 0.8
    masses = [b.mass for b in res.trajectory]
    assert all(m2 < m1 for m1, m2 in itertools.pairwise(masses)) and masses[-1] >= 0.05


def test_prim_peels_discrete_levels() -> None:
    """On a grid (few distinct values per factor) peeling still moves, one level at a time."""
    grid = pd.DataFrame(
        [(a, b) for a in np.linspace(0, 1, 5) for b in np.linspace(0, 1, 5)], columns=["a", "b"]
    )
    y = (grid["a"] >= 0.75).to_numpy(float)
    res = prim(grid, y, min_coverage=0.9)
    assert res.final.restricted == ["a"] and res.final.limits["a"][0] == 0.75
    assert res.final.density == 1.0 and res.final.coverage == 1.0


def test_prim_rejects_bad_settings() -> None:
    """Peeling shares and minimum masses outside their ranges are one-line errors."""
    x, y = _planted(50)
    with pytest.raises(ExperimentError, match="--alpha"):
        prim(x, y, alpha=0.7)
    with pytest.raises(ExperimentError, match="--min-mass"):
        prim(x, y, min_mass=0.0)


def test_point_shares_join_by_point_id(runs: pd.DataFrame) -> None:
    """Each run takes its factor values from its own point (joined by id): shuffling the runs
    changes no share; a run of a point the design lacks is an error."""
    factors = pd.DataFrame({"f": [10.0, 20.0, 30.0]}, index=pd.Index([0, 1, 2], name="point"))
    runs = runs.drop(columns="actors.US.openness")
    a = point_shares(runs, factors, "summit and f >= 20")
    b = point_shares(runs.sample(frac=1.0, random_state=3), factors, "summit and f >= 20")
    pd.testing.assert_frame_equal(a, b)
    assert a["share"].tolist() == [0.0, 1.0, 0.0] and a["runs"].tolist() == [2, 2, 1]
    with pytest.raises(ExperimentError, match="not in the manifest's design"):
        point_shares(runs.assign(point=runs["point"] + 5), factors, "summit")
