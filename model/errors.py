"""Exceptions: one base class, built-in types mixed in so callers can catch either.

Every message that reaches a user names the file, the key path, the rule and the offending value,
on one line, e.g. ``baseline.toml: actors.JPN.salience.abductees: must be <= 1; got 1.4``.
"""

from __future__ import annotations


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


def problem(file: str, path: str, rule: str, value: object) -> str:
    """Word one problem the same way everywhere: ``file: key.path: rule; got value``."""
    return f"{file}: {path or '<top>'}: {rule}; got {value!r}"
