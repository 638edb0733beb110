"""Fuzzing the inputs (issue 17): mutants of the shipped scenario, variant and experiment files,
made by changing, deleting, adding or nesting keys with values of every TOML type, and by
damaging the bytes. Whatever the mutant, `summit` exits 0, or 2 with one line per problem
(``file: key.path: rule; got value``): never a traceback, never exit 1, and never a batch
directory left behind by a rejected input. Derandomized, so CI sees the same cases each run
(FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 pytest tests/test_fuzz.py explores further)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "scenario": ROOT / "scenarios" / "baseline-2024.toml",
    "variant": ROOT / "scenarios" / "seoul-sidelined.toml",
    "experiment": ROOT / "experiments" / "us-seoul-openness.toml",
}
LINE = re.compile(r"^\S.*: .*; got .*$")
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def toml(value: Any) -> str:
    """TOML text of a value (tables inline), for any value a mutant may hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {toml(v)}" for k, v in value.items()) + "}"


def document(raw: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {toml(v)}\n" for k, v in raw.items())


scalars = st.one_of(
    st.booleans(),
    st.integers(-3, 600),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 10**7]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["52", "0.5", "no", "false", "2024-03-15", "", "challenge", "ROK"]),
    st.dates(),
    st.datetimes(),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def nodes(raw: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a parsed file (dict keys and list indices)."""
    out = [path] if path else []
    items = (
        raw.items() if isinstance(raw, dict) else enumerate(raw) if isinstance(raw, list) else []
    )
    for k, v in items:
        out += nodes(v, (*path, k))
    return out


def _get(raw: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        raw = raw[key]
    return raw


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


@st.composite
def mutants(draw: st.DrawFn, kind: str) -> bytes:
    text = SOURCES[kind].read_text()
    how = draw(st.sampled_from(["number", "value", "value", "delete", "add", "nest", "bytes"]))
    if how == "bytes":
        data = bytearray(text.encode())
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data) - 1))
            cut = draw(st.sampled_from(["flip", "cut", "insert", "utf16", "latin1"]))
            if cut == "flip":
                data[at] = draw(st.integers(0, 255))
            elif cut == "cut":
                del data[at:]
                break
            elif cut == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=8))
            else:
                data = bytearray(text.encode("utf-16" if cut == "utf16" else "latin-1", "replace"))
                break
        return bytes(data)
    raw = tomllib.loads(text)
    paths = nodes(raw)
    if how == "number":  # another number where there is one: mostly valid, often extreme
        paths = [p for p in paths if _is_number(_get(raw, p))] or paths
        how = "value"
        values_here = st.one_of(
            st.floats(0, 1), st.integers(0, 100), st.floats(-1e300, 1e300), st.just(1e-300)
        )
    else:
        values_here = values
    path = draw(st.sampled_from(paths))
    parent: Any = raw
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "value":
        parent[last] = draw(values_here)
    elif how == "delete":
        del parent[last]
    elif how == "add":
        target = parent[last] if isinstance(parent[last], dict) else parent
        if isinstance(target, dict):
            target[draw(st.text(min_size=1, max_size=8))] = draw(values)
        else:
            target.append(draw(values))
    else:
        depth = draw(st.integers(1, 40))
        node = parent[last]
        for _ in range(depth):
            node = [node] if draw(st.booleans()) else {"x": node}
        parent[last] = node
    return document(raw).encode()


def summit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def assert_clean(code: int, err: str) -> None:
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        lines = err.strip().splitlines()
        assert lines and all(LINE.match(x) for x in lines), err
        assert all(len(x) < 1200 for x in lines), err


def _workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("kind", ["scenario", "variant"])
def test_scenario_mutants_exit_0_or_2_with_one_line_each(
    kind: str, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    work = _workdir(tmp_path_factory)

    @FUZZ
    @given(data=mutants(kind), run=st.booleans())
    def check(data: bytes, run: bool) -> None:
        path = work / "mutant.toml"
        path.write_bytes(data)
        code, err = summit(capsys, "check", str(path))
        assert_clean(code, err)
        if code == 2 or run:
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            code2, err2 = summit(capsys, "run", str(path), "--runs", "1", "--out", str(out))
            assert_clean(code2, err2)
            assert code2 == code, err2
            if code2 == 2:
                assert not out.exists(), "a rejected input left a directory behind"
            else:
                assert json.loads((out / "manifest.json").read_text())["status"] == "complete"

    check()


def test_experiment_mutants_exit_0_or_2_with_one_line_each(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import model.batch

    work = _workdir(tmp_path_factory)

    def planned(design: Any, out: Path, **kwargs: Any) -> None:
        assert design.points and not out.exists()
        raise SystemExit(0)  # the request was accepted: running it is not this test's business

    monkeypatch.setattr(model.batch, "run_batch", planned)

    @FUZZ
    @given(data=mutants("experiment"))
    def check(data: bytes) -> None:
        path = work / "mutant.toml"
        path.write_bytes(data)
        out = work / "out"
        code, err = summit(capsys, "sweep", str(path), "--out", str(out))
        assert_clean(code, err)
        assert not out.exists()

    check()
