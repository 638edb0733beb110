"""The DEU III data (Arregui & Perarnaud 2021) read exactly as its authors distribute it.

See `model.forecasting.backtest` for the layout and how unscoreable issues and ``QMV(n)`` codes
are handled; this module holds the reading, `backtest` the forecasting and the scoring.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import ScenarioError, problem
from model.sim.rules import SCALE, Array

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "deu3"
HIT = 10.0  # points: an error below this counts as a hit
VOTING_RULES = ("QMV", "Unan")
QMV_CODE = re.compile(r"QMV\s*\(\s*\d+\s*\)")  # e.g. QMV(10): qualified majority, with a qualifier
NO_OUTCOME = "no outcome"
NO_PARTICIPANT = "no actor with a position and a salience > 0"
REQUIRED = ("prnr", "isnr", "counvte", "out")


@dataclass(frozen=True)
class LeftOut:
    """An issue row that cannot be scored, and why (`NO_OUTCOME`, `NO_PARTICIPANT`)."""

    source: str
    row: int  # line in the file (the header is line 1)
    issue: str
    reason: str


@dataclass(frozen=True)
class Recoded:
    """A voting-rule code read as one of `VOTING_RULES`, e.g. ``QMV(10)`` read as ``QMV``."""

    source: str
    row: int
    issue: str
    code: str
    read_as: str


@dataclass(frozen=True)
class Negotiations:
    """N issues with known outcomes; A actors, absent ones with NaN position and salience 0.

    ``left_out`` lists the issue rows of the file(s) that could not be scored, ``recoded`` the
    voting-rule codes read as another (see `left_out_warning` and `recode_notes`)."""

    source: str
    actors: tuple[str, ...]
    proposal: tuple[str, ...]  # (N,)
    issue: tuple[str, ...]  # (N,)
    voting: tuple[str, ...]  # (N,) "QMV" or "Unan"
    capability: Array  # (N, A)
    position: Array  # (N, A), NaN where absent
    salience: Array  # (N, A), 0–1
    reference: Array  # (N,), NaN where not coded
    outcome: Array  # (N,)
    left_out: tuple[LeftOut, ...] = ()
    recoded: tuple[Recoded, ...] = ()

    def __len__(self) -> int:
        return len(self.issue)

    def issue_arrays(self, n: int) -> tuple[Array, Array, Array]:
        """(position (A', 1), salience (A', 1), capability (A',)) of issue n's participants."""
        here = np.isfinite(self.position[n])
        return (
            self.position[n, here][:, None],
            self.salience[n, here][:, None],
            self.capability[n, here],
        )


# ---------------------------------------------------------------- loading
def load_deu(path: str | Path) -> Negotiations:
    """Read a DEU-layout file, or every ``*.tsv`` in a folder; ScenarioError on bad input."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.tsv"))
        if not files:
            raise ScenarioError([problem(path.name, "", "folder must hold *.tsv files", str(path))])
        return _concat([_load_file(f) for f in files], path.name)
    return _load_file(path)


def _load_file(path: Path) -> Negotiations:
    name = path.name
    try:
        raw = pd.read_csv(
            path, sep=_separator(path), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except FileNotFoundError:
        raise ScenarioError([problem(name, "", "file must exist", str(path))]) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        rule = "must be a comma- or tab-separated table"
        raise ScenarioError([problem(name, "", rule, str(exc).strip())]) from None
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ScenarioError([problem(name, f"header.{missing[0]}", "column must exist", "missing")])
    actors = tuple(c[1:] for c in raw.columns if c.startswith("p") and "s" + c[1:] in raw.columns)
    if not actors:
        raise ScenarioError(
            [problem(name, "header", "needs p<actor> and s<actor> columns", "none")]
        )
    if len(raw) < 2 or raw.iloc[0]["isnr"] != "":
        got = raw.iloc[0]["isnr"] if len(raw) else "no rows"
        raise ScenarioError([problem(name, "row 2.isnr", "row 2 must be the capability row", got)])
    problems: list[str] = []
    cap = _numbers(name, raw.iloc[:1], ["p" + a for a in actors], problems)[0]
    body = raw.iloc[1:]
    no_outcome = body["out"].str.strip() == ""
    left_out = [_left_out(name, body[no_outcome], NO_OUTCOME)]
    body = body[~no_outcome]
    pos = _numbers(name, body, ["p" + a for a in actors], problems)
    sal = _numbers(name, body, ["s" + a for a in actors], problems)
    out = _numbers(name, body, ["out"], problems)[:, 0]
    rp = _numbers(name, body, ["rp"], problems)[:, 0] if "rp" in body else None
    voting, recoded = _voting_rules(name, body, problems)
    _check_values(name, actors, cap, pos, sal, out, body, problems)
    if problems:
        raise ScenarioError(problems)
    # an issue nobody takes part in (or cares about) has nothing to forecast from
    scoreable = np.any(np.isfinite(pos) & (np.nan_to_num(sal, nan=1.0) > 0), axis=1)
    left_out.append(_left_out(name, body[~scoreable], NO_PARTICIPANT))
    keep = np.flatnonzero(scoreable)
    if keep.size == 0:
        rule = "needs an issue with an outcome and an actor with a position"
        raise ScenarioError([problem(name, "", rule, "none")])
    body, pos, sal, out = body.iloc[keep], pos[keep], sal[keep], out[keep]
    kept_rows = set(_row_numbers(body))
    sal = _impute_salience(pos, sal) / SCALE
    return Negotiations(
        source=name,
        actors=actors,
        proposal=tuple(body["prnr"].str.strip()),
        issue=tuple(body["isnr"].str.strip()),
        voting=tuple(voting[i] for i in keep),
        capability=np.tile(cap, (len(body), 1)),
        position=pos,
        salience=np.where(np.isfinite(pos), sal, 0.0),
        reference=rp[keep] if rp is not None else np.full(len(body), np.nan),
        outcome=out,
        left_out=tuple(sorted((x for part in left_out for x in part), key=lambda x: x.row)),
        recoded=tuple(r for r in recoded if r.row in kept_rows),
    )


def _separator(path: Path) -> str:
    """Tab if the header line holds a tab (the DEU III files as distributed), else comma."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as f:
            header = f.readline()
    except OSError:
        return "\t"  # let the reader report the problem
    return "\t" if "\t" in header else ","


def _voting_rules(
    name: str, body: pd.DataFrame, problems: list[str]
) -> tuple[list[str], list[Recoded]]:
    """Each row's voting rule; ``QMV(n)`` is qualified majority with a qualifier, read as QMV."""
    voting: list[str] = []
    recoded: list[Recoded] = []
    for r, v, issue in zip(
        _row_numbers(body), body["counvte"].str.strip(), body["isnr"].str.strip(), strict=True
    ):
        if v not in VOTING_RULES and QMV_CODE.fullmatch(v):
            recoded.append(Recoded(name, r, issue, v, "QMV"))
            v = "QMV"
        elif v not in VOTING_RULES:
            problems.append(problem(name, f"row {r}.counvte", "must be QMV, QMV(n) or Unan", v))
        voting.append(v)
    return voting, recoded


def _left_out(name: str, rows: pd.DataFrame, reason: str) -> list[LeftOut]:
    return [
        LeftOut(name, r, issue, reason)
        for r, issue in zip(_row_numbers(rows), rows["isnr"].str.strip(), strict=True)
    ]


def left_out_warning(data: Negotiations) -> str | None:
    """One line naming every issue row that was left out, and why; None if none was."""
    if not data.left_out:
        return None
    sources = {x.source for x in data.left_out}
    by_reason: dict[str, list[str]] = {}
    for x in data.left_out:
        where = f"row {x.row}" if len(sources) == 1 else f"{x.source} row {x.row}"
        by_reason.setdefault(x.reason, []).append(f"{where} ({x.issue or 'no issue id'})")
    n = len(data.left_out)
    head = f"{data.source}: {n} of {n + len(data)} issues cannot be scored and are left out"
    parts = [f"{reason}: {', '.join(rows)}" for reason, rows in by_reason.items()]
    return f"warning: {head}; " + "; ".join(parts)


def recode_notes(data: Negotiations) -> list[str]:
    """One line per voting-rule code read as another, e.g. ``2 issues coded QMV(10) read as QMV
    (qualified majority): rows 152, 153``."""
    groups: dict[tuple[str, str], list[Recoded]] = {}
    for r in data.recoded:
        groups.setdefault((r.code, r.read_as), []).append(r)
    sources = {r.source for r in data.recoded}
    notes = []
    for (code, read_as), rs in groups.items():
        where = ", ".join(
            f"{r.row} ({r.issue})" if len(sources) == 1 else f"{r.source} {r.row} ({r.issue})"
            for r in rs
        )
        meaning = " (qualified majority)" if read_as == "QMV" else ""
        n = len(rs)
        notes.append(
            f"{n} issue{'s' if n != 1 else ''} coded {code} read as {read_as}{meaning}: "
            f"row{'s' if n != 1 else ''} {where}"
        )
    return notes


def _row_numbers(frame: pd.DataFrame) -> list[int]:
    # file line numbers: the header is line 1 and frame row 0 (the capability row) line 2
    return [int(i) + 2 for i in frame.index]


def _numbers(name: str, frame: pd.DataFrame, cols: Sequence[str], problems: list[str]) -> Array:
    """Cells as floats (NaN when empty); one problem per cell that is not a number."""
    out = np.full((len(frame), len(cols)), np.nan)
    lines = _row_numbers(frame)
    for j, col in enumerate(cols):
        for i, cell in enumerate(frame[col]):
            cell = cell.strip()
            if cell == "":
                continue
            try:
                out[i, j] = float(cell)
            except ValueError:
                problems.append(problem(name, f"row {lines[i]}.{col}", "must be a number", cell))
    return out


def _check_values(
    name: str,
    actors: tuple[str, ...],
    cap: Array,
    pos: Array,
    sal: Array,
    out: Array,
    body: pd.DataFrame,
    problems: list[str],
) -> None:
    lines = _row_numbers(body)
    for a, c in zip(actors, cap, strict=True):
        if not (np.isfinite(c) and c > 0):
            problems.append(problem(name, f"row 2.p{a}", "capability must be > 0", float(c)))
    for what, arr in (("p", pos), ("s", sal)):
        bad = np.argwhere(np.isfinite(arr) & ((arr < 0) | (arr > SCALE)))
        for i, j in bad[:10]:
            rule = "must be in [0, 100]"
            problems.append(
                problem(name, f"row {lines[i]}.{what}{actors[j]}", rule, float(arr[i, j]))
            )
    for i in np.flatnonzero(np.isfinite(out) & ((out < 0) | (out > SCALE))):
        problems.append(problem(name, f"row {lines[i]}.out", "must be in [0, 100]", float(out[i])))


def _impute_salience(pos: Array, sal: Array) -> Array:
    here = np.isfinite(pos)
    known = here & np.isfinite(sal)
    mean = np.sum(np.where(known, sal, 0.0), axis=1) / np.maximum(np.sum(known, axis=1), 1)
    return np.where(here & ~np.isfinite(sal), mean[:, None], np.nan_to_num(sal))


def _concat(parts: list[Negotiations], source: str) -> Negotiations:
    actors = parts[0].actors
    for p in parts[1:]:
        if p.actors != actors:
            raise ScenarioError(
                [problem(p.source, "header", "actors must match the folder's first file", p.actors)]
            )

    def cat(field: str) -> Array:
        return np.concatenate([getattr(p, field) for p in parts])

    def join(field: str) -> tuple[str, ...]:
        return tuple(x for p in parts for x in getattr(p, field))

    return Negotiations(
        source=source,
        actors=actors,
        proposal=join("proposal"),
        issue=join("issue"),
        voting=join("voting"),
        capability=cat("capability"),
        position=cat("position"),
        salience=cat("salience"),
        reference=cat("reference"),
        outcome=cat("outcome"),
        left_out=tuple(x for p in parts for x in p.left_out),
        recoded=tuple(x for p in parts for x in p.recoded),
    )
