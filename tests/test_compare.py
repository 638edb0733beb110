"""`summit compare`: the rows given a summit, their methods, and the notes under the table (on
point scenarios, `worlds=1`; batches with worlds: tests/test_worlds.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from model import simulate
from model.analysis.compare import Side, compare_sides, format_compare


def test_compare_has_the_rows_given_a_summit() -> None:
    """seoul-sidelined holds fewer summits, so its strain over all runs says little, but the
    claim (README, claim c) is about a summit without Seoul: strain given a summit is higher. Paired
    runs get the delta-method interval, unpaired ones Newcombe (agreement) and Welch (means)."""
    a = simulate("baseline-2024", runs=2000, seed=5, worlds=1).runs
    b = simulate("seoul-sidelined", runs=2000, seed=5, worlds=1).runs
    sa, sb = Side("baseline-2024", a, 52), Side("seoul-sidelined", b, 52)
    paired = compare_sides(sa, sb, paired=True).set_index("outcome")
    given = ["P(agreement given summit)", "strain mean given summit", "summit week given summit"]
    assert set(given) <= set(paired.index)
    assert (paired.loc[given, "method"] == "paired delta method").all()
    assert paired.loc["strain mean given summit", "lo"] > 0
    unpaired = compare_sides(sa, sb, paired=False).set_index("outcome")
    assert list(unpaired.loc[given, "method"]) == ["Newcombe", "Welch", "Welch"]
    for row in given:  # same estimate either way; only the interval differs
        assert paired.loc[row, "difference"] == unpaired.loc[row, "difference"]


def test_compare_lists_each_ally_once_and_names_its_methods() -> None:
    """The contract's seoul_bypassed and the derived bypassed_rok are one ally: one row; the
    note under the table names every method used."""
    a = simulate("baseline-2024", runs=500, seed=5, worlds=1).runs
    b = simulate("seoul-supports", runs=500, seed=5, worlds=1).runs
    table = compare_sides(Side("A", a, 52), Side("B", b, 52), paired=True)
    assert "P(Seoul bypassed)" in set(table["outcome"])
    assert "P(ROK bypassed)" not in set(table["outcome"])
    md = format_compare(table, "md")
    assert "paired delta method: normal interval of a difference of conditional means" in md
    assert "Newcombe paired: score interval for paired proportions" in md
    assert r"\begin{tabular}{lrrrl}" in format_compare(table, "latex")
    rows = json.loads(format_compare(table, "json"))
    assert rows[0]["difference"] == table["difference"].iloc[0]


def test_compare_reports_a_failed_chunk_instead_of_comparing_short_rows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scenario side whose chunk failed would have fewer rows than the other side: `summit
    compare` says which scenario failed and why (exit 2) rather than comparing what is left."""
    import model.batch
    from model.cli.main import main

    real = model.batch.run_batches

    def one_fails(designs: Any, workers: int = 1, tallied_only: bool = False) -> Any:
        results = real(designs, workers, tallied_only)
        results[1].failures.append((0, "MemoryError: out of memory"))
        return results

    monkeypatch.setattr(model.batch, "run_batches", one_fails)
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "baseline-2024", "seoul-sidelined", "--runs", "500"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "seoul-sidelined" in err and "the model failed: MemoryError: out of memory" in err
