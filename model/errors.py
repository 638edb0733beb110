"""Exceptions: one base class, built-in types mixed in so callers can catch either.

Every message that reaches a user names the file, the key path, the rule and the offending value,
on one line, e.g. ``baseline.toml: actors.JPN.salience.abductees: must be <= 1; got 1.4``.
"""

from __future__ import annotations

import datetime as dt


class SummitError(Exception):
    """Base class of every error summit-sim raises on purpose."""


class ScenarioError(SummitError, ValueError):
    """A scenario file (or a value set on a scenario) breaks a rule. Holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))

    def __reduce__(self) -> tuple[type, tuple[list[str]]]:
        # rebuilt from its problems, so it survives the trip back from a worker process
        return (type(self), (self.problems,))


class ExperimentError(SummitError, ValueError):
    """An experiment design, a result directory or a CLI request is unusable as given."""


class EnvironmentProblem(SummitError):
    """The machine refused (disk full, read-only, no permission): not the input's fault. A batch
    stopped by it is left "interrupted" and resumable."""


MAX_VALUE = 80  # characters of a value's repr shown in a message; longer ones are shortened
MAX_RULE = 400  # characters of a rule (rules may quote another file's problem)


def shorten(text: str, limit: int) -> str:
    """One line of at most about ``limit`` characters, saying how long the original was."""
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    if not text.isprintable():  # a key may hold any character: show the invisible ones escaped
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}… ({len(text)} characters)"


def problem(file: str, path: str, rule: str, value: object) -> str:
    """Word one problem the same way everywhere: ``file: key.path: rule; got value``.

    Always one line: whitespace in the parts is folded, and a long value or rule is shortened.
    """
    if isinstance(value, dt.date):
        value = value.isoformat()  # as TOML writes it
    return (
        f"{shorten(file, MAX_RULE)}: {shorten(path, MAX_RULE) or '<top>'}: "
        f"{shorten(rule, MAX_RULE)}; got {shorten(repr(value), MAX_VALUE)}"
    )
