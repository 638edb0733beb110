"""Scenario loading and validation: every bad input gives one-line errors naming file, key path,
rule and value (the contract in docs/SCENARIOS.md), and good files load into immutable Scenarios."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import write_toml

from model.errors import ScenarioError
from model.scenario import load_scenario, shipped_scenarios


def _load_with(tmp_path: Path, raw: dict[str, Any], change: Any) -> ScenarioError:
    data = copy.deepcopy(raw)
    change(data)
    path = write_toml(tmp_path / "bad.toml", data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


CASES = [
    (
        "unknown key",
        lambda d: d["actors"]["JPN"].update(salince=0.3),
        r"^bad\.toml: actors\.JPN\.salince: unknown key \(a typo\?\); got 0\.3$",
    ),
    (
        "out of range",
        lambda d: d["actors"]["JPN"]["position"].update(abductees=120),
        r"^bad\.toml: actors\.JPN\.position\.abductees: input should be less than or equal to 100;"
        r" got 120$",
    ),
    (
        "wrong type",
        lambda d: d["meta"].update(weeks="ten"),
        r"^bad\.toml: meta\.weeks: must be a whole number \(integer\), not a string; got 'ten'$",
    ),
    (
        "unknown actor in relation",
        lambda d: d["relations"][0].update(pair=["USA", "JPN"]),
        r"^bad\.toml: relations\.USA-JPN\.pair: unknown actor \(known: .*\); got 'USA'$",
    ),
    (
        "unknown path in event",
        lambda d: d["events"][0].update(set={"actors.ROK.consult_opn": 0}),
        r"^bad\.toml: events\.seoul-meeting-cancelled\.set\.actors\.ROK\.consult_opn: not a path "
        r"an event can change; got 0\.0$",
    ),
    (
        "event value out of bounds",
        lambda d: d["events"][0].update(set={"actors.ROK.openness": 1.5}),
        r"^bad\.toml: events\.seoul-meeting-cancelled\.set\.actors\.ROK\.openness: must be <= 1;"
        r" got 1\.5$",
    ),
    (
        "date outside horizon",
        lambda d: d["events"][1].update(date=dt.date(2026, 1, 1)),
        r"^bad\.toml: events\.consultations-resume\.date: outside the horizon \[2024-03-15, "
        r"2025-03-14\); got '2026-01-01'$",
    ),
    (
        "saliences all zero",
        lambda d: d["actors"]["CHN"].update(
            salience={"abductees": 0, "sanctions": 0, "alliance": 0}
        ),
        r"^bad\.toml: actors\.CHN\.salience: at least one salience must be > 0; got \{.*\}$",
    ),
    (
        "role field on the wrong role",
        lambda d: d["actors"]["US"].update(backing=0.5),
        r"^bad\.toml: actors\.US\.backing: only for role patron, not ally; got None$",
    ),
    (
        "issue missing from a position",
        lambda d: d["actors"]["RUS"]["position"].pop("alliance"),
        r"^bad\.toml: actors\.RUS\.position: needs one value per issue \(missing \['alliance'\]\);",
    ),
    (
        "hazard and date together",
        lambda d: d["events"][0].update(hazard=0.1),
        r"^bad\.toml: events\.seoul-meeting-cancelled: give exactly one of 'date'",
    ),
    (
        "ally of a non-principal",
        lambda d: d["actors"]["ROK"].update(of="US"),
        r"^bad\.toml: actors\.ROK\.of: must name a principal \(JPN, PRK\); got 'US'$",
    ),
]


@pytest.mark.parametrize(("label", "change", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_scenarios_give_one_line_errors(
    tmp_path: Path, baseline_raw: dict[str, Any], label: str, change: Any, pattern: str
) -> None:
    """Each rule violation is reported on one line: file, key path, rule, offending value."""
    err = _load_with(tmp_path, baseline_raw, change)
    assert len(err.problems) == 1, err.problems
    assert "\n" not in err.problems[0]
    assert __import__("re").search(pattern, err.problems[0]), err.problems[0]


def test_all_problems_are_reported_at_once(tmp_path: Path, baseline_raw: dict[str, Any]) -> None:
    """An analyst fixing a file sees every problem in one pass, not one per attempt."""

    def two(d: dict[str, Any]) -> None:
        d["actors"]["JPN"]["salience"]["abductees"] = 2
        d["model"]["momentum_gian"] = 0.1

    err = _load_with(tmp_path, baseline_raw, two)
    assert len(err.problems) == 2


def test_shipped_scenarios_all_validate() -> None:
    """Every shipped scenario (baseline and variants) loads and has a unique name."""
    names = [load_scenario(p).name for p in shipped_scenarios()]
    assert "baseline-2024" in names
    assert len(names) == len(set(names))


def test_dotted_paths_address_every_number() -> None:
    """Sweeps and events name numbers by dotted path; with_values changes exactly that number
    and re-validates."""
    scn = load_scenario("baseline-2024")
    values = scn.values()
    assert values["actors.ROK.salience.alliance"] == 0.9
    assert "model.alliance_cost" in values and "events.dprk-launch.hazard" in values
    changed = scn.with_values({"actors.ROK.salience.alliance": 0.5})
    assert changed.get("actors.ROK.salience.alliance") == 0.5
    assert scn.get("actors.ROK.salience.alliance") == 0.9  # the original is immutable
    assert changed.canonical_hash() != scn.canonical_hash()
    with pytest.raises(ScenarioError, match=r"actors\.ROK\.salience\.alliance: input should be"):
        scn.with_values({"actors.ROK.salience.alliance": 3})
    with pytest.raises(ScenarioError, match=r"actors\.ROK\.salence\.alliance: not a numeric"):
        scn.with_values({"actors.ROK.salence.alliance": 0.5})


def test_variant_applies_only_its_changes() -> None:
    """A variant file is its base plus the listed changes; all else is identical."""
    base = load_scenario("baseline-2024").values()
    var = load_scenario("seoul-supports")
    diff = {k for k, v in var.values().items() if base.get(k) != v}
    assert diff == {"actors.ROK.openness", "actors.ROK.consulted"}
    assert var.spec.meta.variant_of == "baseline-2024"


def test_variant_with_unknown_path_is_rejected(tmp_path: Path) -> None:
    """A typo in a variant's [set] is an error naming the variant file and the path."""
    (tmp_path / "v.toml").write_text(
        'base = "baseline-2024"\n[meta]\nname = "v"\n[set]\n"actors.ROK.opennes" = 0.9\n'
    )
    with pytest.raises(ScenarioError, match=r"^v\.toml: set\.actors\.ROK\.opennes: not a numeric"):
        load_scenario(tmp_path / "v.toml")


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    """A missing file or broken TOML is a ScenarioError (exit 2 in the CLI), not a traceback."""
    with pytest.raises(ScenarioError, match=r"no such scenario file"):
        load_scenario(tmp_path / "nope.toml")
    (tmp_path / "broken.toml").write_text("[meta\nname=")
    with pytest.raises(ScenarioError, match=r"^broken\.toml: <top>: not valid TOML"):
        load_scenario(tmp_path / "broken.toml")


def test_variant_cannot_be_its_own_base(tmp_path: Path) -> None:
    """A self-referencing variant is a one-line error, not a RecursionError."""
    (tmp_path / "loop.toml").write_text('base = "loop"\n[meta]\nname = "loop"\n')
    with pytest.raises(ScenarioError, match=r"^loop\.toml: base: a variant cannot be its own base"):
        load_scenario(tmp_path / "loop.toml")


def test_missing_base_is_reported_against_the_variant(tmp_path: Path) -> None:
    """The error names the variant file and its `base` key, where the analyst must look."""
    (tmp_path / "v.toml").write_text('base = "baseline-2023"\n[meta]\nname = "v"\n')
    with pytest.raises(ScenarioError, match=r"^v\.toml: base: no such base \(a \.toml beside"):
        load_scenario(tmp_path / "v.toml")


def test_a_base_can_be_a_path_with_or_without_toml(tmp_path: Path) -> None:
    """`base` names a file from the variant's directory, written with or without `.toml`:
    SCENARIOS.md promises both, and `base = "../x.toml"` once failed as "x.toml.toml"."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "mine.toml").write_text(
        'base = "baseline-2024"\n[meta]\nname = "mine"\n[set]\n"actors.ROK.openness" = 0.9\n'
    )
    sub = tmp_path / "variants"
    sub.mkdir()
    for ref in ("../shared/mine.toml", "../shared/mine"):
        (sub / "v.toml").write_text(
            f'base = "{ref}"\n[meta]\nname = "v"\n[set]\n"actors.US.openness" = 0.8\n'
        )
        values = load_scenario(sub / "v.toml").values()
        assert values["actors.ROK.openness"] == 0.9  # from the base found by its path
        assert values["actors.US.openness"] == 0.8
    (sub / "v.toml").write_text('base = "baseline-2024.toml"\n[meta]\nname = "v"\n')
    assert load_scenario(sub / "v.toml").spec.meta.variant_of == "baseline-2024"
    # a batch of the variant records every file its content came from, wherever it lies (the
    # base found by its path had no sha256 in the manifest, so a rerun could not check it)
    from model.batch.manifest import _file_records

    (sub / "v.toml").write_text('base = "../shared/mine"\n[meta]\nname = "v"\n')
    scn = load_scenario(sub / "v.toml").with_values({"actors.US.openness": 0.7})
    recorded = [Path(r["path"]).name for r in _file_records(scn)]
    assert recorded == ["v.toml", "mine.toml", "baseline-2024.toml"]


def test_probability_on_a_hazard_event_is_rejected(
    tmp_path: Path, baseline_raw: dict[str, Any]
) -> None:
    """`probability` only means something for dated events; on a hazard event it is a mistake."""
    err = _load_with(tmp_path, baseline_raw, lambda d: d["events"][4].update(probability=0.5))
    assert err.problems == [
        "bad.toml: events.dprk-launch.probability: only dated events have a probability; got 0.5"
    ]


def test_variant_reports_all_its_problems(tmp_path: Path) -> None:
    """Two typos in a variant's [set] and a bad drop_events: three lines, one pass."""
    (tmp_path / "v.toml").write_text(
        'base = "baseline-2024"\ndrop_events = ["nope"]\n[meta]\nname = "v"\n[set]\n'
        '"actors.ROK.opennes" = 0.9\n"actors.US.opennes" = 0.9\n'
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "v.toml")
    assert len(info.value.problems) == 3
