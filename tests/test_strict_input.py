"""Issue 17: every bad input is one line and exit 2 — strict types (a string is not a number, a
boolean is not a number, a string is not a date), undecodable files, deep nesting, dates out of
range, variants of the wrong shape and cycles of bases."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import write_toml

from model.batch.experiment import load_experiment
from model.errors import ExperimentError, ScenarioError
from model.scenario import SHIPPED_DIR, load_scenario

BASE = SHIPPED_DIR / "baseline-2024.toml"

TYPE_CASES = [
    (lambda d: d["meta"].update(weeks="52"), r"meta\.weeks: must be a whole number \(integer\), "
     r"not a string; got '52'"),
    (lambda d: d["meta"].update(weeks=52.0), r"meta\.weeks: must be a whole .*, not a float"),
    (lambda d: d["actors"]["JPN"].update(capability="0.5"),
     r"actors\.JPN\.capability: must be a number, not a string; got '0\.5'"),
    (lambda d: d["actors"]["JPN"].update(capability=True),
     r"actors\.JPN\.capability: must be a number, not a boolean; got True"),
    (lambda d: d["issues"]["abductees"].update(negotiated="no"),
     r"issues\.abductees\.negotiated: must be true or false, not a string; got 'no'"),
    (lambda d: d["events"][0].update(probability=True),
     r"events\.seoul-meeting-cancelled\.probability: must be a number, not a boolean"),
    (lambda d: d["events"][0].update(set={"actors.ROK.openness": True}),
     r"events\.seoul-meeting-cancelled\.set\.actors\.ROK\.openness: must be a number, not a bo"),
    (lambda d: d["meta"].update(start="2024-03-15"),
     r"meta\.start: must be a TOML date \(unquoted, e\.g\. 2024-03-15\), not a string"),
    (lambda d: d["events"][1].update(date="2024-04-17"),
     r"events\.consultations-resume\.date: must be a TOML date .*, not a string"),
    (lambda d: d["meta"].update(start=dt.date(9999, 12, 31)),
     r"meta\.start: dates must lie between 1900-01-01 and 2199-12-31; got '9999-12-31'"),
    (lambda d: d["actors"]["JPN"].update(capability=float("nan")),
     r"actors\.JPN\.capability: must be a finite number; got nan"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "pattern"), TYPE_CASES)
def test_a_typo_of_type_fails_like_a_typo_of_name(
    tmp_path: Path, baseline_raw: dict[str, Any], change: Any, pattern: str
) -> None:
    data = copy.deepcopy(baseline_raw)
    change(data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_toml(tmp_path / "bad.toml", data))
    assert len(info.value.problems) == 1, info.value.problems
    assert re.match(r"^bad\.toml: " + pattern, info.value.problems[0]), info.value.problems[0]


def test_an_integer_is_a_number(tmp_path: Path, baseline_raw: dict[str, Any]) -> None:
    baseline_raw["actors"]["US"]["capability"] = 1  # TOML integer where a float is expected
    assert load_scenario(write_toml(tmp_path / "ok.toml", baseline_raw)).get(
        "actors.US.capability"
    ) == pytest.approx(1.0)


def _variant(tmp_path: Path, body: str, name: str = "v.toml") -> Path:
    path = tmp_path / name
    path.write_text('base = "baseline-2024"\n' + body)
    return path


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ('drop_events = "consultations-resume"\n',
         r"^v\.toml: drop_events: must be a list, not a string; got 'consultations-resume'$"),
        ('[set]\n"actors.ROK.openness" = true\n',
         r"^v\.toml: actors\.ROK\.openness: must be a number, not a boolean; got True$"),
        ("[set]\nactors.ROK.openness = 0.2\n", r"^v\.toml: set\.actors: dotted paths must be quo"),
        ('[[events]]\nid = "x"\nwhat = "x"\ndate = "2024-05-01"\nset = { "state.momentum" = 1 }\n',
         r"^v\.toml: events\.x\.date: must be a TOML date"),
    ],
)  # fmt: skip
def test_variants_are_as_strict_as_files(tmp_path: Path, body: str, pattern: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_variant(tmp_path, body))
    assert len(info.value.problems) == 1, info.value.problems
    assert re.match(pattern, info.value.problems[0]), info.value.problems[0]


def test_a_cycle_of_bases_is_named_in_one_short_line(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('base = "b"\n')
    (tmp_path / "b.toml").write_text('base = "a"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "a.toml")
    (line,) = info.value.problems
    assert "variants form a cycle (a.toml -> b.toml -> a.toml)" in line and len(line) < 200


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"\xff\xfe" + BASE.read_text().encode("utf-16-le"),
         r"not UTF-8 text \(TOML files are UTF-8\): byte 0xff at offset 0"),
        (BASE.read_bytes().replace(b"Kishida", b"Kish\xe9da", 1),
         r"not UTF-8 text .*: byte 0xe9 at offset \d+"),
        (bytes(range(256)) * 4, r"not UTF-8 text .*: byte 0x80 at offset 128"),
        (b"x = " + b"[" * 3000 + b"]" * 3000, r"nested more than 16 levels deep"),
        (b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000, r"nested more than 16 levels deep"),
        (b"x = " + b"[" * 20 + b"]" * 20, r"nested more than 16 levels deep; got '21 levels'"),
    ],
)  # fmt: skip
def test_unreadable_files_are_one_line(tmp_path: Path, content: bytes, pattern: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(content)
    for path in (bad, _variant(tmp_path, "", "v.toml").parent / "v2.toml"):
        if path.name == "v2.toml":  # a variant whose base is the broken file
            path.write_text('base = "bad"\n')
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        (line,) = info.value.problems
        assert re.search(pattern, line) and "\n" not in line, line
        assert len(line) < 400, line


def test_experiment_files_are_strict_too(tmp_path: Path) -> None:
    exp = tmp_path / "e.toml"
    exp.write_text(
        '[experiment]\nname = "e"\nscenario = "baseline-2024"\nreplications = "500"\n'
        '[[factors]]\npath = "actors.US.openness"\nrange = [0.1, true]\n'
    )
    with pytest.raises(ExperimentError) as info:
        load_experiment(exp)
    lines = str(info.value).splitlines()
    assert lines == [
        "e.toml: experiment.replications: must be a whole number (integer), not a string; "
        "got '500'",
        "e.toml: factors[0].range[1]: must be a number, not a boolean; got True",
    ]
    exp.write_bytes(b"\x00\xff")
    with pytest.raises(ExperimentError, match=r"e\.toml: <top>: not UTF-8 text"):
        load_experiment(exp)


def test_long_values_are_shortened() -> None:
    from model.errors import problem

    line = problem("f.toml", "a.b", "rule", "x" * 5000)
    assert len(line) < 150 and "(5002 characters)" in line
