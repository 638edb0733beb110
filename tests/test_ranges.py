"""Issue 12, item 1: judgement ranges in the scenario format.

Any number of a scenario may be a range (triangular, uniform, truncated normal) with a basis, in
base files, variants' [set], events' set/add and experiments' [set]. A range loads as its central
value (so the point scenario is unchanged) and is kept by dotted path; every bad range is one line
naming file, key path, rule and value, exit 2.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.batch.experiment import load_experiment
from model.errors import ExperimentError, ScenarioError
from model.scenario import load_scenario
from model.scenario.scenario import Scenario
from model.scenario.uncertain import Uncertain, parse_quantity

SUMMIT = [sys.executable, "-m", "model.cli"]


def _variant(tmp_path: Path, body: str, name: str = "v.toml") -> Path:
    path = tmp_path / name
    path.write_text('base = "baseline-2024"\n' + body)
    return path


def test_a_range_loads_as_its_central_value_and_is_kept_by_path(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        """[set]
"model.alliance_cost" = { low = 0.1, mode = 0.4, high = 0.6, basis = "why" }
"actors.ROK.openness" = { low = 0.2, high = 0.5 }
"model.resolve_noise" = { mean = 0.25, sd = 0.1 }
""",
    )
    scn = load_scenario(path)
    assert scn.get("model.alliance_cost") == 0.4  # the mode
    assert scn.get("actors.ROK.openness") == pytest.approx(0.35)  # the midpoint
    assert scn.get("model.resolve_noise") == 0.25  # the mean
    tri = scn.uncertain["model.alliance_cost"]
    assert (tri.kind, tri.low, tri.mode, tri.high, tri.basis) == (
        "triangular",
        0.1,
        0.4,
        0.6,
        "why",
    )
    assert scn.uncertain["actors.ROK.openness"].kind == "uniform"
    normal = scn.uncertain["model.resolve_noise"]
    # a normal without bounds of its own is truncated to the value's bounds (resolve_noise >= 0)
    assert (normal.kind, normal.low, normal.high) == ("normal", 0.0, 10.0)


def test_ranges_change_the_hash_and_a_number_makes_a_value_certain(tmp_path: Path) -> None:
    base = load_scenario("baseline-2024")
    a = load_scenario(
        _variant(tmp_path, '[set]\n"model.alliance_cost" = { low = 0.1, high = 0.5 }\n')
    )
    b = load_scenario(
        _variant(tmp_path, '[set]\n"model.alliance_cost" = { low = 0.2, high = 0.4 }\n', "b.toml")
    )
    assert a.canonical_hash() != b.canonical_hash()  # same central value, different range
    fixed = a.with_values({"model.alliance_cost": 0.3})
    assert "model.alliance_cost" not in fixed.uncertain
    assert fixed.get("model.alliance_cost") == 0.3
    # a scenario without ranges hashes its values only, as before ranges existed
    plain = Scenario(spec=base.spec, raw=base.raw, source=base.source)
    content = plain.spec.model_dump(mode="json")
    assert "uncertain" not in content
    assert plain.canonical_hash() != base.canonical_hash() or not base.uncertain


def test_ranges_in_a_base_file_and_in_event_effects(tmp_path: Path) -> None:
    base = load_scenario("baseline-2024")
    raw = Path(base.path or "").read_text()
    text = raw.replace(
        "[issues.abductees]",
        "[issues.abductees]\n# test\n",
    )
    scn_path = tmp_path / "b.toml"
    scn_path.write_text(text)
    events = [e for e in base.spec.events if e.set or e.add]
    assert events, "the baseline has events with effects"
    ev = events[0]
    kind, table = ("set", ev.set) if ev.set else ("add", ev.add)
    target = next(iter(table))
    lo, hi = (0.0, 0.1) if kind == "add" else (0.2, 0.3)
    variant = _variant(
        tmp_path,
        f'[[events]]\nid = "extra"\nwhat = "test"\ndate = {base.spec.meta.start}\n'
        f'{kind} = {{ "{target}" = {{ low = {lo}, high = {hi} }} }}\n',
    )
    scn = load_scenario(variant)
    assert scn.uncertain[f"events.extra.{kind}.{target}"].kind == "uniform"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("{ low = 0.5, mode = 0.2, high = 0.6 }", "must have low <= mode <= high"),
        ("{ low = 0.6, high = 0.5 }", "must have low <= high"),
        ("{ low = 0.1, mode = 0.3 }", "a range needs low and high"),
        ('{ low = "0.1", high = 0.5 }', "low must be a finite number"),
        ("{ low = true, high = 0.5 }", "low must be a finite number"),
        ("{ mean = 0.3 }", "a normal range needs both mean and sd"),
        ("{ mean = 0.3, sd = -1 }", "sd must be >= 0"),
        ('{ low = 0.1, high = 0.5, basis = "" }', "basis must be a non-empty string"),
        ("{ low = 0.1, high = 1.5 }", "must be <= 1"),  # outside the value's own bounds
        # the central value is checked by the schema, as a number would be
        ("{ mean = 2.0, sd = 0.1 }", "less than or equal to 1"),
    ],
)
def test_a_bad_range_is_one_line_naming_file_key_rule_and_value(
    tmp_path: Path, value: str, rule: str
) -> None:
    path = _variant(tmp_path, f'[set]\n"actors.ROK.openness" = {value}\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert len(exc.value.problems) == 1
    line = exc.value.problems[0]
    assert line.startswith("v.toml: ") and "actors.ROK.openness" in line and rule in line
    assert "; got " in line
    done = subprocess.run([*SUMMIT, "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and rule in done.stderr


def test_a_range_in_a_base_file_is_checked_like_a_number(tmp_path: Path) -> None:
    """A base file written with plain numbers (a past case's base), one of them made a range
    that leaves the value's bounds: one line, under the range's own key."""
    cases = Path(load_scenario("baseline-2024").path or "").parent / "cases"
    raw = (cases / "rok-dprk-base.toml").read_text()
    assert "stubbornness = 0.7  # judgement" in raw
    path = tmp_path / "base.toml"
    path.write_text(
        raw.replace("stubbornness = 0.7", "stubbornness = { low = 0.5, high = 1.2 }", 1)
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert len(exc.value.problems) == 1
    line = exc.value.problems[0]
    assert line.startswith("base.toml: actors.")
    assert line.endswith(".stubbornness.high: must be <= 1; got 1.2")


def test_an_experiment_may_give_ranges_and_worlds(tmp_path: Path) -> None:
    exp = tmp_path / "e.toml"
    exp.write_text(
        '[experiment]\nname = "e"\nscenario = "baseline-2024"\nreplications = 400\nworlds = 8\n'
        '[[factors]]\npath = "actors.US.openness"\nvalues = [0.2, 0.8]\n'
        '[set]\n"model.alliance_cost" = { low = 0.1, mode = 0.3, high = 0.6 }\n'
    )
    spec, scn, _ = load_experiment(exp)
    assert spec.experiment.worlds == 8
    assert scn.uncertain["model.alliance_cost"].mode == 0.3
    exp.write_text(exp.read_text().replace("high = 0.6", "high = 60"))
    with pytest.raises(ExperimentError, match=r"e\.toml: set: .*model\.alliance_cost\.high"):
        load_experiment(exp)


def test_quantiles_follow_each_distribution() -> None:
    u = np.linspace(0.0005, 0.9995, 1000)
    tri = parse_quantity({"low": 0.0, "mode": 0.25, "high": 1.0})
    assert isinstance(tri, Uncertain)
    x = tri.quantile(u)
    assert x.min() >= 0 and x.max() <= 1 and np.all(np.diff(x) > 0)
    assert np.mean(x) == pytest.approx((0 + 0.25 + 1) / 3, abs=1e-3)  # triangular mean
    assert tri.quantile(np.array([0.25]))[0] == pytest.approx(0.25)  # F(mode) = 0.25 here
    uni = parse_quantity({"low": 2.0, "high": 4.0})
    assert isinstance(uni, Uncertain)
    assert np.allclose(uni.quantile(u), 2 + 2 * u)
    normal = parse_quantity({"mean": 0.5, "sd": 0.1, "low": 0.0, "high": 1.0})
    assert isinstance(normal, Uncertain)
    z = normal.quantile(u)
    assert np.mean(z) == pytest.approx(0.5, abs=1e-3) and np.std(z) == pytest.approx(0.1, rel=0.03)
    cut = parse_quantity({"mean": 0.0, "sd": 1.0, "low": 0.0})
    assert isinstance(cut, Uncertain)
    assert cut.quantile(u).min() >= 0.0  # truncated at low
