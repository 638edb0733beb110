"""Actor tables: who takes part in a negotiation, how strong they are and what they want.

An actor table is a CSV file with one row per actor. Two layouts are read (docs/VALIDATION.md):

Named layout (the project's own)::

    actor,capability,tariffs_position,tariffs_salience,quota_position,quota_salience
    JPN,0.35,80,0.9,40,0.3

``actor`` and ``capability`` come first; every other column is ``<issue>_position`` or
``<issue>_salience``, in any order, and each issue needs both. An optional ``description`` column
is kept for display.

KTAB layout (the CSV of the KTAB spatial model of politics, Wise et al. 2015): an optional first
line describing the scenario (scenario name, description, number of actors, number of issues),
then a header ``Actor, Description, Power, <position>, <salience>, …`` whose columns after the
third alternate position, salience for each issue. The third column may be called ``power``,
``capability``, ``influence`` or ``clout``; the description column may be left out. An issue is
named after its position column, without a leading or trailing word "position"/"pos"/"pstn".
A trailing comma on every line (as KTAB writes them) is ignored.

Both layouts: positions are points on a 0–100 scale. Saliences are read on a 0–1 scale when every
salience in the file is ≤ 1, and on a 0–100 scale (divided by 100) otherwise; a file of saliences
on 0–100 that happen to be all 0 or 1 is therefore read as 0–1, so write such files as 0–1.
Capabilities are ≥ 0 in any unit (only their ratios matter). An empty position cell means the
actor takes no part in that issue: it then has no influence on it, whatever its salience cell
says. Each issue needs at least one actor with capability × salience > 0.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import ScenarioError, problem
from model.rules import SCALE, Array, BoolArray, compromise

POWER_NAMES = ("capability", "power", "influence", "clout")
ACTOR_NAMES = ("actor", "name")
_POSITION_WORD = re.compile(r"^(position|pos|pstn)[\s_:.-]*|[\s_:.-]*(position|pos|pstn)$", re.I)


@dataclass(frozen=True)
class ActorTable:
    """One negotiation: A actors, K issues. Absent actors have salience 0 on that issue.

    ``position`` holds NaN where an actor takes no part; `arrays` fills those cells so the rules,
    which need finite numbers, can run (the filled value has no influence: its salience is 0).
    """

    source: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: Array  # (A,), ≥ 0
    position: Array  # (A, K), 0–100, NaN where absent
    salience: Array  # (A, K), 0–1, 0 where absent
    descriptions: tuple[str, ...] = ()

    @property
    def present(self) -> BoolArray:
        return np.isfinite(self.position)

    def arrays(self) -> tuple[Array, Array, Array]:
        """(position, salience, capability) with absent positions set to the issue's compromise."""
        filled = np.where(self.present, self.position, 0.0)
        centre = compromise(filled, self.salience, self.capability)
        return (
            np.where(self.present, self.position, centre[None, :]),
            self.salience,
            self.capability,
        )


def load_actor_table(path: str | Path) -> ActorTable:
    """Read and validate an actor table; raise ScenarioError with one line per problem."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError([problem(name, "", "file must exist", str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            [problem(name, "", "file must be readable UTF-8 text", str(exc))]
        ) from None
    rows = [[c.strip() for c in r] for r in csv.reader(text.splitlines())]
    rows = [_drop_trailing_empty(r) for r in rows if any(c for c in r)]
    if rows and rows[0] and rows[0][0].lower() not in ACTOR_NAMES and len(rows) > 1:
        rows = rows[1:]  # KTAB's scenario line: name, description, counts
    if len(rows) < 2:
        raise ScenarioError(
            [problem(name, "", "needs a header row and at least one actor", len(rows))]
        )
    return _parse(name, rows[0], rows[1:])


def _drop_trailing_empty(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def _parse(name: str, header: list[str], body: list[list[str]]) -> ActorTable:
    lower = [h.lower() for h in header]
    if not lower or lower[0] not in ACTOR_NAMES:
        raise ScenarioError(
            [
                problem(
                    name, "header[1]", "first column must be 'actor'", header[0] if header else ""
                )
            ]
        )
    has_description = len(lower) > 1 and lower[1] == "description"
    power_col = 2 if has_description else 1
    if len(lower) <= power_col or lower[power_col] not in POWER_NAMES:
        got = header[power_col] if len(header) > power_col else ""
        raise ScenarioError(
            [problem(name, f"header[{power_col + 1}]", "must be 'capability' (or 'power')", got)]
        )
    issue_cols = _issue_columns(name, header, power_col + 1)
    problems: list[str] = []
    actors: list[str] = []
    for r, row in enumerate(body, start=2):
        if len(row) != len(header):
            problems.append(
                problem(
                    name, f"row {r}", f"must have {len(header)} cells like the header", len(row)
                )
            )
        elif not row[0]:
            problems.append(problem(name, f"row {r}.actor", "must not be empty", row[0]))
        elif row[0] in actors:
            problems.append(problem(name, f"row {r}.actor", "must be unique", row[0]))
        else:
            actors.append(row[0])
    if problems:
        raise ScenarioError(problems)
    issues = tuple(issue_cols)
    cap = np.array(
        [
            _number(name, r, header[power_col], row[power_col], problems)
            for r, row in enumerate(body, start=2)
        ]
    )
    pos = np.full((len(body), len(issues)), np.nan)
    sal = np.zeros((len(body), len(issues)))
    for r, row in enumerate(body, start=2):
        for k, (pcol, scol) in enumerate(issue_cols.values()):
            if row[pcol] == "":
                continue  # takes no part in this issue
            pos[r - 2, k] = _number(name, r, header[pcol], row[pcol], problems)
            if row[scol] == "":
                problems.append(problem(name, f"row {r}.{header[scol]}", "must be given", ""))
            else:
                sal[r - 2, k] = _number(name, r, header[scol], row[scol], problems)
    if problems:
        raise ScenarioError(problems)
    sal = _rescale_salience(sal)
    _check_ranges(name, header, body, cap, pos, sal, issue_cols, power_col)
    descriptions = tuple(row[1] for row in body) if has_description else ()
    return ActorTable(name, tuple(actors), issues, cap, pos, sal, descriptions)


def _issue_columns(name: str, header: list[str], start: int) -> dict[str, tuple[int, int]]:
    """Issue name → (position column, salience column), from either layout."""
    rest = list(range(start, len(header)))
    if not rest:
        raise ScenarioError(
            [problem(name, "header", "needs at least one issue", "no issue columns")]
        )
    named = _named_issue_columns(name, header, rest)
    if named is not None:
        return named
    if len(rest) % 2:
        raise ScenarioError(
            [
                problem(
                    name,
                    "header",
                    "issue columns must come in position, salience pairs",
                    header[rest[-1]],
                )
            ]
        )
    out: dict[str, tuple[int, int]] = {}
    for p in rest[::2]:
        issue = _POSITION_WORD.sub("", header[p]) or header[p]
        if issue in out:
            raise ScenarioError(
                [problem(name, f"header[{p + 1}]", "issue names must be unique", issue)]
            )
        out[issue] = (p, p + 1)
    return out


def _named_issue_columns(
    name: str, header: list[str], cols: list[int]
) -> dict[str, tuple[int, int]] | None:
    """The named layout if every column is <issue>_position or <issue>_salience, else None."""
    pos: dict[str, int] = {}
    sal: dict[str, int] = {}
    for c in cols:
        h = header[c]
        if h.lower().endswith("_position"):
            pos[h[: -len("_position")]] = c
        elif h.lower().endswith("_salience"):
            sal[h[: -len("_salience")]] = c
        else:
            return None
    missing = sorted(set(pos) ^ set(sal))
    if missing:
        issue = missing[0]
        kind = "_salience" if issue in pos else "_position"
        raise ScenarioError(
            [
                problem(
                    name,
                    f"header.{issue}{kind}",
                    "each issue needs a position and a salience",
                    "missing",
                )
            ]
        )
    return {k: (pos[k], sal[k]) for k in pos}


def _number(name: str, r: int, column: str, cell: str, problems: list[str]) -> float:
    try:
        x = float(cell)
    except ValueError:
        problems.append(problem(name, f"row {r}.{column}", "must be a number", cell))
        return math.nan
    if not math.isfinite(x):
        problems.append(problem(name, f"row {r}.{column}", "must be a finite number", cell))
    return x


def _rescale_salience(sal: Array) -> Array:
    # Expert codings come on 0–1 (our scenarios) or 0–100 (DEU, KTAB); one large value settles it.
    return sal / SCALE if np.nanmax(sal, initial=0.0) > 1.0 else sal


def _check_ranges(
    name: str,
    header: list[str],
    body: list[list[str]],
    cap: Array,
    pos: Array,
    sal: Array,
    issue_cols: dict[str, tuple[int, int]],
    power_col: int,
) -> None:
    problems: list[str] = []
    for a, c in enumerate(cap):
        if c < 0:
            problems.append(problem(name, f"row {a + 2}.{header[power_col]}", "must be >= 0", c))
    for k, (issue, (pcol, scol)) in enumerate(issue_cols.items()):
        for a in range(len(body)):
            p, s = pos[a, k], sal[a, k]
            if np.isfinite(p) and not 0.0 <= p <= SCALE:
                problems.append(
                    problem(name, f"row {a + 2}.{header[pcol]}", "must be in [0, 100]", p)
                )
            if not 0.0 <= s <= 1.0:
                raw = float(body[a][scol])
                problems.append(
                    problem(
                        name, f"row {a + 2}.{header[scol]}", "must be in [0, 1] or [0, 100]", raw
                    )
                )
        weight = np.where(np.isfinite(pos[:, k]), cap * sal[:, k], 0.0)
        if not problems and not np.any(weight > 0):
            problems.append(
                problem(
                    name, f"issue {issue}", "needs an actor with capability × salience > 0", "none"
                )
            )
    if problems:
        raise ScenarioError(problems)
