"""The backtest on real negotiations: the DEU loader reproduces the published reference figure,
the scoring and its bootstrap are honest (clustered, paired, reproducible), cross-validation never
peeks at the proposal it scores, and bad data files give one-line errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from model.cli.forecasting import backtest_cmd
from model.errors import ScenarioError
from model.forecasting.backtest import (
    DEFAULT_DATA,
    NO_OUTCOME,
    NO_PARTICIPANT,
    cluster_bootstrap,
    cross_validate,
    forecast_issues,
    load_deu,
    resample_counts,
    score,
)

DEV = DEFAULT_DATA / "deu3_dev.tsv"
# Hand-made, in the layout of deu3.csv as its authors distribute it: comma-separated here, quoted
# strings, extra columns, a capability row with a blank counvte, two issues coded QMV(10), one
# issue nobody has a position on (row 5) and one without an outcome (row 6). Values invented.
PUBLISHED_LIKE = Path(__file__).parent / "data" / "deu_published_like.csv"
EXAMPLE_TABLE = Path(__file__).parent.parent / "examples" / "actor_table_example.csv"

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
        (2, "Unanimous", r"x.tsv: row 3.counvte: must be QMV, QMV\(n\) or Unan; got 'Unanimous'"),
        (2, "QMV(ten)", r"x.tsv: row 3.counvte: must be QMV, QMV\(n\) or Unan; got 'QMV\(ten\)'"),
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


def test_published_layout_is_read_as_distributed() -> None:
    """The published layout: comma-separated and quoted, extra columns ignored, QMV(n) read as
    QMV and recorded, issues without outcome or without positions left out and recorded."""
    data = load_deu(PUBLISHED_LIKE)
    assert data.actors == ("com", "ep", "de", "fr", "pl")  # not "proc", which has no "sroc"
    assert data.issue == ("x1i1", "x1i2", "x3i2", "x4i1")
    assert data.proposal == ("x1", "x1", "x3", "x4")
    assert data.voting == ("QMV", "QMV", "QMV", "Unan")
    np.testing.assert_allclose(data.capability[0], [4.1, 4.1, 4.1, 2.8, 0.4])
    np.testing.assert_allclose(data.outcome, [60, 30, 80, 40])
    assert [(r.row, r.issue, r.code, r.read_as) for r in data.recoded] == [
        (3, "x1i1", "QMV(10)", "QMV"),
        (4, "x1i2", "QMV(10)", "QMV"),
    ]
    assert [(x.row, x.issue, x.reason) for x in data.left_out] == [
        (5, "x2i1", NO_PARTICIPANT),
        (6, "x3i1", NO_OUTCOME),
    ]


def test_tab_and_comma_separated_read_the_same(tmp_path: Path) -> None:
    """The separator is taken from the header line: the same table with tabs reads the same."""
    rows = list(csv.reader(PUBLISHED_LIKE.read_text().splitlines()))
    tabbed = tmp_path / "deu_published_like.tsv"
    with tabbed.open("w", newline="") as f:
        csv.writer(f, delimiter="\t").writerows(rows)
    a, b = load_deu(PUBLISHED_LIKE), load_deu(tabbed)
    assert (a.issue, a.voting, a.left_out[0].row) == (b.issue, b.voting, b.left_out[0].row)
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)


def test_a_file_with_nothing_to_score_is_an_error(tmp_path: Path) -> None:
    """Leaving rows out never leaves an empty backtest: no scoreable issue is bad input."""
    rows = [[*r[:10], ""] for r in ISSUES]  # no outcomes at all
    with pytest.raises(ScenarioError, match=r"^x.tsv: <top>: needs an issue with an outcome"):
        load_deu(write_deu(tmp_path / "x.tsv", rows=rows))


def test_backtest_reads_the_published_layout() -> None:
    """`summit backtest` on a file like deu3.csv as distributed: exit 0, the QMV(n) note in the
    report, exactly one warning line naming the rows left out, and the right issue counts."""
    res = CliRunner().invoke(
        backtest_cmd, [str(PUBLISHED_LIKE), "--boot", "100", "--runs", "3", "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines() == [
        "warning: deu_published_like.csv: 2 of 6 issues cannot be scored and are left out; "
        f"{NO_PARTICIPANT}: row 5 (x2i1); {NO_OUTCOME}: row 6 (x3i1)"
    ]
    lines = res.stdout.splitlines()
    assert lines[0].startswith("deu_published_like.csv: 4 issues scored (2 left out), 3 proposals;")
    assert lines[1] == (
        "Note: 2 issues coded QMV(10) read as QMV (qualified majority): rows 3 (x1i1), 4 (x1i2)."
    )
    csv_res = CliRunner().invoke(
        backtest_cmd,
        [str(PUBLISHED_LIKE), "--boot", "100", "--runs", "3", "--format", "csv", "-w", "1"],
    )
    assert csv_res.exit_code == 0, csv_res.output
    table = pd.read_csv(io.StringIO(csv_res.stdout))  # stdout is the table alone
    counts = table.groupby("voting")["issues"].unique().to_dict()
    assert {k: list(v) for k, v in counts.items()} == {"all": [4], "QMV": [3], "Unan": [1]}
    assert csv_res.stderr.splitlines()[1].startswith("note: 2 issues coded QMV(10) read as QMV")


def test_backtest_refuses_a_file_that_is_not_deu_like() -> None:
    """A real format error still exits 2 with one line naming file, key, rule and value: here an
    actor table (the `summit forecast` layout) given to `summit backtest`."""
    res = CliRunner().invoke(backtest_cmd, [str(EXAMPLE_TABLE)])
    assert res.exit_code == 2
    assert res.stderr.strip() == (
        "actor_table_example.csv: header.prnr: column must exist; got 'missing'"
    )


def test_forecasts_do_not_depend_on_workers() -> None:
    """Issues forecast in two or three processes give exactly the numbers of one process: each
    issue has its own random stream, whichever process computes it and in whatever order."""
    data = load_deu(PUBLISHED_LIKE)
    rules, veto = ["ktab", "challenge", "eu"], (False, True)
    serial = forecast_issues(data, rules, runs=4, seed=7, veto=veto, workers=1)
    for workers in (2, 3):
        parallel = forecast_issues(data, rules, runs=4, seed=7, veto=veto, workers=workers)
        pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


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
    counts = resample_counts(members, draws)
    assert counts.shape == (50, 6)
    # issues of one proposal are always drawn together, as often as their proposal
    assert (counts[:, 0] == counts[:, 1]).all() and (counts[:, 3] == counts[:, 5]).all()
    np.testing.assert_array_equal(
        counts.sum(axis=1), [sum(len(members[g]) for g in d) for d in draws]
    )


def test_bootstrap_statistics_match_explicit_resamples() -> None:
    """The resample statistics, computed from counts, equal the mean, median and hit rate of
    each resample written out issue by issue (median and hit rate exactly, with ties and even
    counts)."""
    frame = synthetic_frame(5, proposals=12)
    frame["compromise"] = frame["outcome"] + np.round(frame["compromise"] - frame["outcome"])
    members, draws = cluster_bootstrap(frame["proposal"].tolist(), boot=300, seed=9)
    err = np.abs(frame["compromise"] - frame["outcome"]).to_numpy()
    table = score(frame, rules=["compromise"], boot=300, seed=9).iloc[0]
    explicit = [err[np.concatenate([members[g] for g in d])] for d in draws]
    for name, stat, tol in (
        ("mae", np.mean, 1e-9),  # sums in another order: equal to rounding
        ("median_ae", np.median, 0.0),
        ("hit", lambda e: np.mean(e < 10), 0.0),
    ):
        lo, hi = np.percentile([stat(e) for e in explicit], [2.5, 97.5])
        assert table[f"{name}_lo"] == pytest.approx(lo, abs=tol)
        assert table[f"{name}_hi"] == pytest.approx(hi, abs=tol)


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
