"""The library of past cases (scenarios/cases/, docs/CASES.md) and `summit score`.

Every case must validate and carry an [outcome]; the [outcome] rules must catch bad records; the
scores must be right on a tiny made-up library checked by hand; the CLI must print one CSV row per
case with the documented columns and exit 0, or 2 on bad input.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write_toml

from model.analysis import scoring
from model.analysis.scoring import (
    CASES_DIR,
    bootstrap_mean,
    brier,
    find_cases,
    log_score,
    loo_tune,
    reliability,
    totals,
)
from model.cli.main import cli
from model.errors import ExperimentError, ScenarioError
from model.scenario import load_scenario, parse_scenario

CASE_FILES = sorted(CASES_DIR.glob("*.toml"))
CASES = [f for f in CASE_FILES if "outcome" in tomllib.loads(f.read_text())]


# ---------------------------------------------------------------- the library validates
@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_every_file_in_the_library_validates(path: Path) -> None:
    scn = load_scenario(path)
    assert scn.name == path.stem, "a case's meta.name is its file name"


def test_the_library_has_both_outcomes_and_several_dyads() -> None:
    cases = find_cases()
    assert len(cases) >= 10
    assert {c.name for c in cases} == {p.stem for p in CASES}
    happened = [c.spec.outcome.summit for c in cases if c.spec.outcome]
    assert 0.3 <= np.mean(happened) <= 0.7, "a library of only successes scores nothing"
    assert len({frozenset(c.principals()) for c in cases}) >= 3
    no_deal = [c for c in cases if c.spec.outcome and c.spec.outcome.summit]
    no_deal = [c for c in no_deal if c.spec.outcome and not c.spec.outcome.agreement]
    assert no_deal, "a summit without a deal (Hanoi) must be in the library"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_case_starts_before_its_outcome(path: Path) -> None:
    scn = load_scenario(path)
    o = scn.spec.outcome
    assert o is not None
    if o.summit:
        assert o.summit_date is not None and o.summit_date > scn.spec.meta.start
    text = path.read_text()
    assert "judgement" in text or "[C-" in text, "numbers carry their basis"


# ---------------------------------------------------------------- the [outcome] rules
def _case(baseline_raw: dict[str, Any], **outcome: Any) -> dict[str, Any]:
    raw = copy.deepcopy(baseline_raw)
    raw["meta"]["weeks"] = 26
    raw["events"] = [e for e in raw["events"] if "hazard" in e or e["date"] < dt.date(2024, 9, 1)]
    record = {"summit": False, "agreement": False, "what": "nothing", "alliances": "calm"}
    raw["outcome"] = record | {"sources": ["an outlet, 1 Jan 2025"]} | outcome
    return raw


def _problems(raw: dict[str, Any]) -> list[str]:
    try:
        parse_scenario(raw, "case.toml")
    except ScenarioError as exc:
        return exc.problems
    return []


def test_a_valid_outcome_passes_and_does_not_change_the_hash(
    baseline_raw: dict[str, Any],
) -> None:
    raw = _case(baseline_raw, summit=True, summit_date=dt.date(2024, 5, 1), agreement=True)
    scn = parse_scenario(raw, "case.toml")
    assert scn.spec.outcome is not None and scn.spec.outcome.agreement
    plain = {k: v for k, v in raw.items() if k != "outcome"}
    assert scn.canonical_hash() == parse_scenario(plain, "x.toml").canonical_hash()


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ({"summit": True}, "outcome.summit_date: required when summit = true"),
        ({"summit": True, "summit_date": dt.date(2025, 1, 1)}, "outcome.summit_date: outside"),
        ({"summit": True, "summit_date": dt.date(2024, 3, 1)}, "outcome.summit_date: outside"),
        ({"agreement": True}, "outcome.agreement: an agreement needs a summit"),
        ({"summit_date": dt.date(2024, 5, 1)}, "outcome.summit_date: only for summit = true"),
        ({"summit": True, "summit_date": dt.date(2024, 5, 1), "announced": dt.date(2024, 6, 1)},
         "outcome.announced: must not be after summit_date"),
        ({"summitt": True}, "outcome.summitt: unknown key"),
        ({"summit": "yes"}, "outcome.summit: must be true or false, not a string"),
        ({"sources": []}, "outcome.sources: list should have at least 1 item"),
    ],
)  # fmt: skip
def test_bad_outcomes_are_reported(
    baseline_raw: dict[str, Any], outcome: dict[str, Any], expected: str
) -> None:
    problems = _problems(_case(baseline_raw, **outcome))
    assert any(expected in p for p in problems), problems


def test_a_variant_does_not_inherit_its_base_outcome(tmp_path: Path) -> None:
    case = CASES_DIR / "us-rus-2022.toml"
    base = tmp_path / "a-case.toml"
    base.write_text(case.read_text().replace('base = "', f'base = "{case.parent}/'))
    write_toml(tmp_path / "what-if.toml", {"base": "a-case", "meta": {"name": "what-if"}})
    assert load_scenario(base).spec.outcome is not None
    assert load_scenario(tmp_path / "what-if.toml").spec.outcome is None


# ---------------------------------------------------------------- the scores, by hand
P = [0.9, 0.2, 0.6]
Y = [1, 0, 0]


def test_brier_and_log_score_by_hand() -> None:
    assert brier(P, Y) == pytest.approx([0.01, 0.04, 0.36])
    assert log_score(P, Y) == pytest.approx([-math.log(0.9), -math.log(0.8), -math.log(0.4)])
    # clipped to [0.001, 0.999]: one confident miss costs -ln(0.001), not infinity
    assert log_score([1.0, 0.0], [0, 1]) == pytest.approx([-math.log(0.001)] * 2)


def test_totals_by_hand() -> None:
    t = totals(P, Y)
    assert t.n == 3 and t.base_rate == pytest.approx(1 / 3)
    assert t.brier == pytest.approx((0.01 + 0.04 + 0.36) / 3)
    assert t.log == pytest.approx(-(math.log(0.9) + math.log(0.8) + math.log(0.4)) / 3)
    # the base-rate forecast 1/3 for every case: (2/3)² once, (1/3)² twice
    assert t.brier_base == pytest.approx((4 / 9 + 1 / 9 + 1 / 9) / 3)
    assert t.log_base == pytest.approx(-(math.log(1 / 3) + 2 * math.log(2 / 3)) / 3)
    assert (t.brier_half, t.log_half) == (0.25, pytest.approx(math.log(2)))
    assert t.brier_skill == pytest.approx(1 - (0.41 / 3) / (6 / 27))
    assert t.brier_ci[0] <= t.brier <= t.brier_ci[1]


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    v = np.array([0.0, 0.1, 0.5, 0.9, 0.2])
    assert bootstrap_mean(v) == bootstrap_mean(v)
    lo, hi = bootstrap_mean(v)
    assert 0.0 <= lo < v.mean() < hi <= 0.9
    assert bootstrap_mean(np.full(4, 0.3)) == pytest.approx((0.3, 0.3))


def test_reliability_bins_by_hand() -> None:
    table = reliability([0.05, 0.15, 0.5, 0.95, 1.0], [0, 1, 1, 1, 0])
    assert table["cases"].tolist() == [2, 0, 1, 0, 2]
    assert table["mean_forecast"].iloc[0] == pytest.approx(0.1)
    assert table["observed"].tolist()[0] == pytest.approx(0.5)
    assert math.isnan(table["observed"].iloc[1])
    assert table["observed"].iloc[4] == pytest.approx(0.5)


def test_leave_one_case_out_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three cases, the default value 0.2 and two others. q = the probability each value's
    forecast gives to what happened (Brier (1 − q)²):

        value  q per case        Brier per case       in-sample mean
        0.2    0.5  0.5  0.5     .25  .25  .25        .25   (untuned)
        1.0    0.9  0.9  0.1     .01  .01  .81        .2767
        2.0    0.6  0.6  0.9     .16  .16  .01        .11   (best in-sample)

    Held out case 1 or 2, the other two prefer 2.0 (.085 against .25 and .41): Brier .16 each.
    Held out case 3, cases 1–2 prefer 1.0 (.01): Brier .81. LOO = (.16 + .16 + .81)/3 = .3767,
    worse than untuned: tuning would not help, though the in-sample best looks much better."""
    cases = find_cases()[:3]
    y = [int(c.spec.outcome.summit) for c in cases if c.spec.outcome]
    q = {0.2: [0.5, 0.5, 0.5], 1.0: [0.9, 0.9, 0.1], 2.0: [0.6, 0.6, 0.9]}
    names = [c.name for c in cases]

    def one(scn: Any) -> dict[str, float]:
        i, qi = names.index(scn.name), q[scn.get("model.resolve_noise")][names.index(scn.name)]
        return {"p_summit": qi if y[i] else 1 - qi}

    def fake(scns: Any, runs: int, seed: int, workers: int = 1) -> list[dict[str, float]]:
        return [one(s) for s in scns]

    monkeypatch.setattr(scoring, "forecasts", fake)
    t = loo_tune(cases, "model.resolve_noise", [1.0, 2.0], runs=1, seed=0)
    assert t.values == [0.2, 1.0, 2.0] and t.default == 0.2
    assert t.brier_by_value == pytest.approx([0.25, 0.83 / 3, 0.11])
    assert (t.best, t.brier_best, t.brier_default) == (2.0, pytest.approx(0.11), 0.25)
    assert t.chosen == [2.0, 2.0, 1.0]
    assert t.brier_loo == pytest.approx((0.16 + 0.16 + 0.81) / 3)
    with pytest.raises(ExperimentError, match="only structural constants"):
        loo_tune(cases, "actors.PRK.capability", [0.1], runs=1, seed=0)
    # a value out of the path's range names --tune (it named the first case file)
    with pytest.raises(
        ExperimentError, match=r"^--tune: model\.resolve_noise: must be <= 10; got 50$"
    ):
        loo_tune(cases, "model.resolve_noise", [1.0, 50.0], runs=1, seed=0)


# ---------------------------------------------------------------- the verb
def _run(args: list[str]) -> Any:
    return CliRunner().invoke(cli, args, catch_exceptions=False, standalone_mode=False)


def test_score_csv_on_the_library() -> None:
    """The acceptance check: one CSV row per case, the documented columns, and a mean Brier
    below the base-rate reference (at fewer runs than the default, to keep the suite quick)."""
    result = _run(["score", "--format", "csv", "--runs", "500"])
    table = pd.read_csv(io.StringIO(result.output))
    assert {"case", "p_summit", "happened", "brier"} <= set(table.columns)
    assert len(table) == len(CASES) >= 10
    assert set(table["happened"]) == {0, 1}
    assert table["brier"].to_numpy() == pytest.approx(
        (table["p_summit"] - table["happened"]).to_numpy() ** 2, abs=1e-4
    )
    rate = table["happened"].mean()
    assert table["brier"].mean() < ((rate - table["happened"]) ** 2).mean()


def test_score_on_a_tiny_library_and_its_formats(tmp_path: Path) -> None:
    for case in ("us-dprk-2018", "us-rus-2022"):
        text = (CASES_DIR / f"{case}.toml").read_text()
        (tmp_path / f"{case}.toml").write_text(text)
    for base in ("us-dprk-base", "us-rus-base"):  # bases in a directory are skipped
        (tmp_path / f"{base}.toml").write_text((CASES_DIR / f"{base}.toml").read_text())
    out = _run(["score", str(tmp_path), "--runs", "250", "--format", "json"]).output
    import json

    doc = json.loads(out)
    assert [c["case"] for c in doc["cases"]] == ["us-dprk-2018", "us-rus-2022"]
    assert doc["summit"]["n"] == 2 and doc["summit"]["base_rate"] == 0.5
    md = _run(["score", str(tmp_path), "--runs", "250"]).output
    assert "| us-rus-2022 |" in md and "always 0.5" in md and "observed share" in md


def test_score_exit_codes(tmp_path: Path) -> None:
    from model.cli.main import main

    def code(argv: list[str]) -> int:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        return int(exc.value.code or 0)

    base = CASES_DIR / "us-dprk-base.toml"
    assert code(["score", str(base)]) == 2  # a base is not a case
    assert code(["score", str(tmp_path)]) == 2  # no cases
    bad = tmp_path / "bad.toml"
    text = (CASES_DIR / "us-rus-2022.toml").read_text().replace("summit = false", "summit = 1")
    bad.write_text(text.replace('base = "us-rus-base"', f'base = "{CASES_DIR}/us-rus-base"'))
    assert code(["score", str(bad)]) == 2
    assert code(["score", "--tune", "model.resolve_noise"]) == 2


def test_every_cited_source_is_listed() -> None:
    """Each [C-…] a case file cites is an entry of docs/CASES.md, each [S-…] one of SOURCES.md."""
    import re

    docs = Path(__file__).resolve().parents[1] / "docs"
    listed = set(re.findall(r'<a id="([CS]-[A-Z]\d+)"></a>', (docs / "CASES.md").read_text()))
    listed |= set(re.findall(r'<a id="(S-[A-Z]\d+)"></a>', (docs / "SOURCES.md").read_text()))
    for path in CASE_FILES:
        for group in re.findall(r"\[((?:[CS]-[A-Z]\d+(?:, )?)+)", path.read_text()):
            for ident in group.split(", "):
                assert ident in listed, f"{path.name} cites {ident}, which no docs entry lists"


MINIMAL = """
[meta]
name = "{name}"
title = "a made-up case"
description = "two principals and nothing else"
start = 2020-01-01
weeks = 12
sources = ["made up"]
[issues.x]
label = "x"
low = "0"
high = "100"
status_quo = 0
[actors.A]
name = "A"
role = "principal"
capability = 1
position = {{ x = 100 }}
salience = {{ x = 1 }}
meeting_value = {value}
[actors.B]
name = "B"
role = "principal"
capability = 1
position = {{ x = 0 }}
salience = {{ x = 1 }}
[outcome]
{outcome}
what = "made up"
alliances = "none"
sources = ["made up"]
"""


def test_score_a_minimal_standalone_library(tmp_path: Path) -> None:
    """Two principals and nothing else; one case the model never lets happen: its P(agreement |
    summit) does not exist, and the agreement totals say there is no case to score."""
    never = "summit = true\nsummit_date = 2020-02-01\nagreement = true"
    (tmp_path / "never.toml").write_text(MINIMAL.format(name="never", value=-3, outcome=never))
    calm = "summit = false\nagreement = false"
    (tmp_path / "calm.toml").write_text(MINIMAL.format(name="calm", value=1, outcome=calm))
    table = pd.read_csv(io.StringIO(_run(["score", str(tmp_path), "--runs", "250",
                                          "--format", "csv"]).output))  # fmt: skip
    row = table.set_index("case").loc["never"]
    assert (
        row["p_summit"] == 0 and row["brier"] == 1 and math.isnan(row["p_agreement_given_summit"])
    )
    assert row["log_score"] == pytest.approx(-math.log(0.001), abs=1e-4)
    assert (
        "agreement given summit: no case to score"
        in _run(["score", str(tmp_path), "-n", "250"]).output
    )
