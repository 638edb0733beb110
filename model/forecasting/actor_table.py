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
from model.sim.rules import SCALE, Array, BoolArray, compromise

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
    """Read and validate an actor table; raise ScenarioError with one line per problem.

    Problems name the file, ``row N.column`` (N: the line in the file) or the header, the rule and
    the value, e.g. ``t.csv: row 4.a_position: must be in [0, 100]; got 101.0``.
    """
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
    rows = [
        (line, [c.strip() for c in cells])
        for line, cells in enumerate(csv.reader(text.splitlines()), start=1)
        if any(c.strip() for c in cells)
    ]
    if (
        len(rows) > 1
        and _first(rows[0][1]) not in ACTOR_NAMES
        and _first(rows[1][1]) in ACTOR_NAMES
    ):
        rows = rows[1:]  # KTAB's scenario line: name, description, counts
    if len(rows) < 2:
        raise ScenarioError(
            [problem(name, "", "needs a header row and at least one actor", len(rows))]
        )
    header, body = rows[0][1], rows[1:]
    if header[-1] == "":  # KTAB ends every line with a comma
        header = header[:-1]
        body = [(n, r[:-1] if len(r) == len(header) + 1 and r[-1] == "" else r) for n, r in body]
    return _parse(name, header, body)


def _first(row: list[str]) -> str:
    return row[0].lower() if row else ""


Rows = list[tuple[int, list[str]]]  # (line in the file, cells)


def _parse(name: str, header: list[str], body: Rows) -> ActorTable:
    power_col, has_description = _fixed_columns(name, header)
    issue_cols = _issue_columns(name, header, power_col + 1)
    actors = _actor_names(name, header, body)
    problems: list[str] = []
    cap = np.array([_number(name, n, header[power_col], r[power_col], problems) for n, r in body])
    pos, sal = _issue_values(name, header, body, issue_cols, problems)
    if problems:
        raise ScenarioError(problems)
    sal = _rescale_salience(sal)
    _check_ranges(name, header, body, cap, pos, sal, issue_cols, power_col)
    descriptions = tuple(r[1] for _, r in body) if has_description else ()
    return ActorTable(name, actors, tuple(issue_cols), cap, pos, sal, descriptions)


def _fixed_columns(name: str, header: list[str]) -> tuple[int, bool]:
    """(index of the capability column, whether there is a description column)."""
    lower = [h.lower() for h in header]
    if lower[0] not in ACTOR_NAMES:
        rule = "first column must be 'actor'"
        raise ScenarioError([problem(name, "header[1]", rule, header[0])])
    has_description = len(lower) > 1 and lower[1] == "description"
    power_col = 2 if has_description else 1
    if len(lower) <= power_col or lower[power_col] not in POWER_NAMES:
        got = header[power_col] if len(header) > power_col else ""
        rule = "must be 'capability' (or 'power')"
        raise ScenarioError([problem(name, f"header[{power_col + 1}]", rule, got)])
    return power_col, has_description


def _actor_names(name: str, header: list[str], body: Rows) -> tuple[str, ...]:
    problems: list[str] = []
    actors: list[str] = []
    for n, row in body:
        if len(row) != len(header):
            rule = f"must have {len(header)} cells like the header"
            problems.append(problem(name, f"row {n}", rule, len(row)))
        elif not row[0]:
            problems.append(problem(name, f"row {n}.{header[0]}", "must not be empty", row[0]))
        elif row[0] in actors:
            problems.append(problem(name, f"row {n}.{header[0]}", "must be unique", row[0]))
        else:
            actors.append(row[0])
    if problems:
        raise ScenarioError(problems)
    return tuple(actors)


def _issue_values(
    name: str,
    header: list[str],
    body: Rows,
    issue_cols: dict[str, tuple[int, int]],
    problems: list[str],
) -> tuple[Array, Array]:
    """Positions (NaN where the actor takes no part) and raw saliences (0 there)."""
    pos = np.full((len(body), len(issue_cols)), np.nan)
    sal = np.zeros((len(body), len(issue_cols)))
    for a, (n, row) in enumerate(body):
        for k, (pcol, scol) in enumerate(issue_cols.values()):
            if row[pcol] == "":
                continue  # takes no part in this issue
            pos[a, k] = _number(name, n, header[pcol], row[pcol], problems)
            if row[scol] == "":
                problems.append(problem(name, f"row {n}.{header[scol]}", "must be given", ""))
            else:
                sal[a, k] = _number(name, n, header[scol], row[scol], problems)
    return pos, sal


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
    body: Rows,
    cap: Array,
    pos: Array,
    sal: Array,
    issue_cols: dict[str, tuple[int, int]],
    power_col: int,
) -> None:
    problems: list[str] = []
    lines = [n for n, _ in body]
    for a, c in enumerate(cap):
        if c < 0:
            problems.append(
                problem(name, f"row {lines[a]}.{header[power_col]}", "must be >= 0", float(c))
            )
    for k, (issue, (pcol, scol)) in enumerate(issue_cols.items()):
        for a, (n, row) in enumerate(body):
            if np.isfinite(pos[a, k]) and not 0.0 <= pos[a, k] <= SCALE:
                rule = "must be in [0, 100]"
                problems.append(problem(name, f"row {n}.{header[pcol]}", rule, float(pos[a, k])))
            if not 0.0 <= sal[a, k] <= 1.0:
                rule = "must be in [0, 1] or [0, 100]"
                problems.append(problem(name, f"row {n}.{header[scol]}", rule, float(row[scol])))
        weight = np.where(np.isfinite(pos[:, k]), cap * sal[:, k], 0.0)
        if not problems and not np.any(weight > 0):
            rule = "needs an actor with capability × salience > 0"
            problems.append(problem(name, f"issue {issue}", rule, "none"))
    if problems:
        raise ScenarioError(problems)
