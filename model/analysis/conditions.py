"""Conditions on run columns (``summit and strain >= 0.5``): a small recursive-descent parser,
never evaluated as Python, and its evaluation on a frame of runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.errors import ExperimentError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<op><=|>=|==|!=|<|>)
      | (?P<paren>[()])
      | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "true", "false"}
_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


@dataclass(frozen=True)
class Token:
    kind: str  # num | op | paren | name | kw | end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            hint = " (use == to compare)" if text[start] == "=" else ""
            rule = f"unexpected character {text[start]!r} at position {start + 1}{hint}"
            raise _bad(text, rule)
        kind = m.lastgroup or ""
        value, start = m.group(kind), m.start(kind)
        if kind == "name" and value.lower() in _KEYWORDS:
            kind, value = "kw", value.lower()
        tokens.append(Token(kind, value, start))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _bad(text: str, rule: str) -> ExperimentError:
    return ExperimentError(f"--where: {rule}; got {text!r}")


# The parsed condition: nested tuples, evaluated by `evaluate` (no Python eval anywhere).
#   ("or", a, b) | ("and", a, b) | ("not", a) | ("cmp", op, left, right) | ("flag", name)
#   operands: ("col", name) | ("num", value)
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str, columns: dict[str, str]) -> None:
        self.text = text
        self.columns = columns  # name -> "bool" | "number"
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def at_keyword(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "kw" and tok.text == word

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, tok: Token, rule: str) -> ExperimentError:
        where = "at the end" if tok.kind == "end" else f"at {tok.text!r} (position {tok.pos + 1})"
        return _bad(self.text, f"{rule} {where}")

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise _bad(self.text, "an empty condition")
        node = self.or_expr()
        if self.peek().kind != "end":
            raise self.error(self.peek(), "expected 'and', 'or' or the end")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at_keyword("or"):
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at_keyword("and"):
            self.take()
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.at_keyword("not"):
            self.take()
            return ("not", self.not_expr())
        return self.atom()

    def atom(self) -> Node:
        tok = self.peek()
        if tok.kind == "paren" and tok.text == "(":
            self.take()
            node = self.or_expr()
            if self.peek().text != ")":
                raise self.error(self.peek(), "expected ')'")
            self.take()
            return node
        left = self.operand()
        if self.peek().kind != "op":
            if left[0] == "col" and self.columns[left[1]] == "bool":
                return ("flag", left[1])
            if left[0] == "col":
                raise self.error(tok, f"{left[1]} is a number, not yes/no: compare it (e.g. >=)")
            raise self.error(tok, "a number alone is not a condition")
        # a chain such as 0.2 <= strain < 0.5 means 0.2 <= strain and strain < 0.5
        chain: Node | None = None
        while self.peek().kind == "op":
            op = self.take().text
            right = self.operand()
            if left[0] == "num" and right[0] == "num":
                raise self.error(tok, "a comparison needs a run column")
            cmp = ("cmp", op, left, right)
            chain = cmp if chain is None else ("and", chain, cmp)
            left = right
        assert chain is not None
        return chain

    def operand(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return ("num", float(tok.text))
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return ("num", 1.0 if tok.text == "true" else 0.0)
        if tok.kind == "name":
            if tok.text not in self.columns:
                known = ", ".join(sorted(self.columns))
                raise self.error(tok, f"unknown column (known: {known})")
            return ("col", tok.text)
        raise self.error(tok, "expected a column name, a number or '('")


def column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """The columns a condition may name: yes/no columns and numeric columns."""
    kinds: dict[str, str] = {}
    for c in frame.columns:
        if pd.api.types.is_bool_dtype(frame[c]):
            kinds[str(c)] = "bool"
        elif pd.api.types.is_numeric_dtype(frame[c]):
            kinds[str(c)] = "number"
    return kinds


def parse_condition(text: str, columns: dict[str, str]) -> Node:
    """Parse a condition over the given columns (name → "bool" | "number")."""
    return _Parser(text, columns).parse()


def evaluate(node: Node, frame: pd.DataFrame) -> np.ndarray:
    """The condition per row. A comparison with a missing value (NaN) is false."""
    match node:
        case ("or", a, b):
            return evaluate(a, frame) | evaluate(b, frame)
        case ("and", a, b):
            return evaluate(a, frame) & evaluate(b, frame)
        case ("not", a):
            return ~evaluate(a, frame)
        case ("flag", name):
            return frame[name].to_numpy(bool)
        case ("cmp", op, left, right):
            return np.asarray(_COMPARE[op](_value(left, frame), _value(right, frame)), bool)
    raise AssertionError(f"unknown node {node!r}")


def _value(node: Node, frame: pd.DataFrame) -> np.ndarray | float:
    if node[0] == "num":
        return float(node[1])
    return frame[node[1]].to_numpy(float)


def condition_holds(text: str, frame: pd.DataFrame) -> np.ndarray:
    """Parse a condition against the frame's columns and evaluate it on every row."""
    return evaluate(parse_condition(text, column_kinds(frame)), frame)
