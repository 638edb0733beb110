"""The backtest on real negotiations: the DEU loader reproduces the published reference figure,
the scoring and its bootstrap are honest (clustered, paired, reproducible), cross-validation never
peeks at the proposal it scores, and bad data files give one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from model.cli.forecasting import backtest_cmd
from model.errors import ScenarioError
from model.forecasting.backtest import (
    DEFAULT_DATA,
    cluster_bootstrap,
    cross_validate,
    forecast_issues,
    load_deu,
    score,
)

DEV = DEFAULT_DATA / "deu3_dev.tsv"

HEADER = ["prnr", "isnr", "counvte", "pcom", "pde", "pfr", "scom", "sde", "sfr", "rp", "out"]
CAPS = ["", "", "", "4.1", "4.1", "2.8", "", "", "", "", ""]
ISSUES = [
    ["d1", "d1i1", "QMV", "100", "40", "0", "80", "50", "20", "0", "60"],
    ["d1", "d1i2", "QMV", "0", "50", "", "50", "100", "", "", "40"],
    ["d2", "d2i1", "Unan", "100", "0", "50", "30", "90", "60", "0", "30"],
    ["d3", "d3i1", "QMV", "20", "80", "80", "50", "50", "50", "", ""],  # no outcome: left out
]


def write_deu(
    path: Path, rows: list[list[str]] | None = None, caps: list[str] | None = None
) -> Path:
    lines = [HEADER, caps or CAPS, *(rows if rows is not None else ISSUES)]
    path.write_text("\n".join("\t".join(r) for r in lines) + "\n")
    return path


@pytest.fixture
def dev() -> Path:
    if not DEV.exists():
        pytest.skip(f"DEU III development data not present at {DEV}")
    return DEV


def test_loader_reproduces_the_reference_compromise_error(dev: Path) -> None:
    """The loader reads DEU III as its README says: 155 issues, 64 proposals, and the
    compromise model with GDP capability has a mean absolute error of 23.3 (to 0.1)."""
    data = load_deu(dev)
    assert len(data) == 155
    assert len(set(data.proposal)) == 64
    frame = forecast_issues(data, ["compromise"])
    mae = float(np.mean(np.abs(frame["compromise"] - frame["outcome"])))
    assert mae == pytest.approx(23.3, abs=0.05)


def test_loader_reads_a_folder(tmp_path: Path) -> None:
    """A folder is read as all its *.tsv files (the held-out half can sit next to this one)."""
    write_deu(tmp_path / "a.tsv")
    write_deu(tmp_path / "b.tsv", rows=ISSUES[2:3])
    data = load_deu(tmp_path)
    assert data.issue == ("d1i1", "d1i2", "d2i1", "d2i1")


def test_loader_semantics(tmp_path: Path) -> None:
    """Row 2 is capability; an empty position is absence (salience 0); issues without an outcome
    are left out; saliences 0–100 become 0–1."""
    data = load_deu(write_deu(tmp_path / "x.tsv"))
    assert data.actors == ("com", "de", "fr")
    assert data.issue == ("d1i1", "d1i2", "d2i1")
    np.testing.assert_allclose(data.capability[0], [4.1, 4.1, 2.8])
    assert np.isnan(data.position[1, 2]) and data.salience[1, 2] == 0.0
    np.testing.assert_allclose(data.salience[0], [0.8, 0.5, 0.2])
    assert data.voting == ("QMV", "QMV", "Unan")


def test_missing_salience_is_the_issue_mean(tmp_path: Path) -> None:
    """A position without a salience gets the mean salience of the issue's other participants."""
    rows = [["d1", "d1i1", "QMV", "100", "40", "0", "80", "", "20", "0", "60"]]
    data = load_deu(write_deu(tmp_path / "x.tsv", rows=rows))
    assert data.salience[0, 1] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (2, "Unanimous", r"x.tsv: row 3.counvte: must be QMV or Unan; got 'Unanimous'"),
        (4, "forty", r"x.tsv: row 3.pde: must be a number; got 'forty'"),
        (7, "120", r"x.tsv: row 3.sde: must be in \[0, 100\]; got 120.0"),
        (10, "-5", r"x.tsv: row 3.out: must be in \[0, 100\]; got -5.0"),
    ],
)
def test_bad_cells_give_one_line_errors(
    tmp_path: Path, column: int, value: str, message: str
) -> None:
    """A bad cell is reported on one line with file, row.column, rule and value."""
    rows = [list(r) for r in ISSUES]
    rows[0][column] = value
    with pytest.raises(ScenarioError, match=f"^{message}$"):
        load_deu(write_deu(tmp_path / "x.tsv", rows=rows))


def test_bad_layout_errors(tmp_path: Path) -> None:
    """Missing columns, a missing capability row and a missing file are bad input."""
    no_out = tmp_path / "x.tsv"
    no_out.write_text("prnr\tisnr\tcounvte\tpde\tsde\n\t\t\t1\t\nd1\ti1\tQMV\t5\t5\n")
    with pytest.raises(
        ScenarioError, match=r"^x.tsv: header.out: column must exist; got 'missing'$"
    ):
        load_deu(no_out)
    with pytest.raises(
        ScenarioError, match=r"^y.tsv: row 2.isnr: row 2 must be the capability row; got 'd1i1'$"
    ):
        load_deu(write_deu(tmp_path / "y.tsv", caps=ISSUES[0]))
    with pytest.raises(ScenarioError, match=r"^x.tsv: row 2.pfr: capability must be > 0; got 0.0$"):
        load_deu(write_deu(tmp_path / "x.tsv", caps=[*CAPS[:5], "0", *CAPS[6:]]))
    with pytest.raises(ScenarioError, match=r"^none.tsv: <top>: file must exist"):
        load_deu(tmp_path / "none.tsv")


def test_veto_equalises_capabilities_only_under_unanimity(tmp_path: Path) -> None:
    """The voting-rule-aware variant changes forecasts of unanimity issues only."""
    data = load_deu(write_deu(tmp_path / "x.tsv"))
    frame = forecast_issues(data, ["compromise"], veto=(False, True))
    qmv = frame["voting"] == "QMV"
    np.testing.assert_allclose(frame.loc[qmv, "compromise+veto"], frame.loc[qmv, "compromise"])
    unan = frame.loc[~qmv].iloc[0]
    assert unan["compromise+veto"] == pytest.approx((100 * 0.3 + 0 * 0.9 + 50 * 0.6) / 1.8)


def synthetic_frame(seed: int, proposals: int = 30) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    sizes = g.integers(1, 5, proposals)
    prop = np.repeat([f"p{i}" for i in range(proposals)], sizes)
    n = len(prop)
    y = g.uniform(0, 100, n)
    return pd.DataFrame(
        {
            "proposal": prop,
            "issue": [f"i{i}" for i in range(n)],
            "voting": np.where(g.random(n) < 0.3, "Unan", "QMV"),
            "outcome": y,
            "compromise": y + g.normal(0, 20, n),
            "good": y + g.normal(0, 5, n),
        }
    )


def test_score_table_shape_and_pairing() -> None:
    """One row per rule and voting group; intervals bracket the estimate; the baseline's own
    difference is exactly 0; a clearly better rule has an interval of differences below 0."""
    frame = synthetic_frame(1)
    table = score(frame, boot=300, seed=2)
    assert list(table["voting"].unique()) == ["all", "QMV", "Unan"]
    assert set(table["rule"]) == {"compromise", "good"}
    assert (table["mae_lo"] <= table["mae"]).all() and (table["mae"] <= table["mae_hi"]).all()
    base = table[table["rule"] == "compromise"]
    assert (base[["d_mae", "d_mae_lo", "d_mae_hi"]] == 0).all().all()
    good = table[(table["rule"] == "good") & (table["voting"] == "all")].iloc[0]
    assert good["d_mae_hi"] < 0


def test_score_is_reproducible() -> None:
    """Same forecasts and seed ⇒ identical score table (the bootstrap has a fixed seed)."""
    frame = synthetic_frame(3)
    pd.testing.assert_frame_equal(score(frame, boot=200, seed=5), score(frame, boot=200, seed=5))


def test_bootstrap_resamples_whole_proposals() -> None:
    """The bootstrap draws proposals, keeping each proposal's issues together."""
    members, draws = cluster_bootstrap(["a", "a", "b", "c", "c", "c"], boot=50, seed=0)
    assert sorted(len(m) for m in members) == [1, 2, 3]
    assert draws.shape == (50, 3) and draws.max() < 3


def test_cross_validation_never_sees_the_scored_proposal() -> None:
    """Leave-one-proposal-out: a candidate that is perfect on one proposal and awful elsewhere
    is never chosen for that proposal."""
    frame = synthetic_frame(4, proposals=10)
    y = frame["outcome"].to_numpy()
    only_p0 = np.where(frame["proposal"] == "p0", y, y + 50)
    candidates = pd.DataFrame({"steady": y + 5, "only_p0": only_p0})
    pred, chosen = cross_validate(candidates, frame)
    assert chosen == ["steady"] * 10
    np.testing.assert_allclose(pred, y + 5)


def test_backtest_command(tmp_path: Path) -> None:
    """`summit backtest DATA` prints the score table; a bad path exits 2 with one line."""
    path = write_deu(tmp_path / "x.tsv")
    res = CliRunner().invoke(
        backtest_cmd, [str(path), "--boot", "100", "--runs", "5", "--format", "csv"]
    )
    assert res.exit_code == 0, res.output
    table = res.stdout.strip().splitlines()
    assert table[0].startswith("rule,voting,issues,proposals,mae,mae_lo,mae_hi")
    assert len(table) == 1 + 12 * 3  # 6 rules × (given, veto) × (all, QMV, Unan)
    bad = CliRunner().invoke(backtest_cmd, [str(tmp_path / "missing.tsv")])
    assert bad.exit_code == 2
    assert (
        bad.stderr.strip()
        == "missing.tsv: <top>: file must exist; got '" + str(tmp_path / "missing.tsv") + "'"
    )
