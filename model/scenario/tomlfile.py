"""Reading a TOML file (scenario or experiment) as a careful parser should: UTF-8 only, bounded
nesting, and every failure one line naming the file (and the byte or line) and the rule."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from model.errors import ScenarioError, problem

MAX_NESTING = 16  # arrays and tables inside one another; the shipped files need 3
MAX_BYTES = 10_000_000  # a scenario or experiment file is a few kB


def read_toml(path: Path, shown: str | None = None) -> dict[str, Any]:
    """The file's TOML as a dict, or ScenarioError with one line (``shown`` names the file)."""
    name = shown or path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError([problem(name, "", f"larger than {MAX_BYTES} bytes", size)])
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([problem(name, "", "file cannot be read", exc.strerror)]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start : exc.start + 1].hex()
        rule = f"not UTF-8 text (TOML files are UTF-8): byte 0x{byte} at offset {exc.start}"
        near = data[max(0, exc.start - 8) : exc.start + 8]
        raise ScenarioError([problem(name, "", rule, near)]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([problem(name, "", "not valid TOML", str(exc))]) from None
    except RecursionError:
        raise ScenarioError([_too_deep(name, f"more than {MAX_NESTING}")]) from None
    depth = nesting(raw)
    if depth > MAX_NESTING:
        raise ScenarioError([_too_deep(name, depth)])
    return raw


def _too_deep(name: str, depth: object) -> str:
    rule = f"arrays and tables nested more than {MAX_NESTING} levels deep"
    return problem(name, "", rule, f"{depth} levels")


def nesting(value: Any) -> int:
    """How deep arrays and tables are nested (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            stack.extend((x, depth + 1) for x in node if isinstance(x, dict | list))
    return deepest
