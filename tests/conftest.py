"""Shared fixtures: small scenario files written on the fly, and the shipped baseline."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from model.scenario import SHIPPED_DIR


@pytest.fixture
def baseline_raw() -> dict[str, Any]:
    return tomllib.loads((SHIPPED_DIR / "baseline-2024.toml").read_text())


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """Minimal TOML writer for test scenarios (tables, arrays of tables, inline dicts)."""
    import datetime as dt

    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {val(x)}' for k, x in v.items()) + " }"
        if isinstance(v, list | tuple):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)

    lines: list[str] = []

    def table(prefix: str, d: dict[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) or prefix.count(".") >= 1}
        subtables = {k: v for k, v in d.items() if k not in scalars}
        if prefix:
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            if isinstance(v, list) and v and isinstance(v[0], dict) and not prefix:
                continue
            lines.append(f'"{k}" = {val(v)}')
        for k, v in subtables.items():
            table(f"{prefix}.{k}" if prefix else k, v)

    top = {
        k: v for k, v in data.items() if not (isinstance(v, list) and v and isinstance(v[0], dict))
    }
    arrays = {k: v for k, v in data.items() if k not in top}
    for k, v in top.items():
        if isinstance(v, dict):
            table(k, v)
        else:
            lines.insert(0, f'"{k}" = {val(v)}')
    for k, items in arrays.items():
        for item in items:
            lines.append(f"[[{k}]]")
            for kk, vv in item.items():
                lines.append(f'"{kk}" = {val(vv)}')
    path.write_text("\n".join(lines) + "\n")
    return path
