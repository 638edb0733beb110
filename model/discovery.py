"""Scenario discovery: where in the swept factor space does a condition on the runs hold?

A condition on run columns (``summit and strain >= 0.5``) is parsed by a small recursive-descent
parser, never evaluated as Python, and applied to every run of a sweep. The share of runs that
meet it at each design point is the response; PRIM (Friedman & Fisher 1999) then peels the factor
space towards boxes where that share is high, reporting coverage (share of all cases of interest
inside the box), density (share of runs inside the box that are cases) and mass (share of runs
inside the box), the scenario-discovery statistics of Bryant & Lempert (2010).

PRIM is implemented here (about 200 lines) rather than taken from ema_workbench 3.0.0: under
pandas 3.1 its ``Prim`` warns Pandas4Warning (a DeprecationWarning, an error in this project's
tests) on every construction, warns at import, and it pulls in scikit-learn, statsmodels, seaborn
and platypus-opt (see docs/EXPERIMENTS.md).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.errors import ExperimentError

# ----------------------------------------------------------------------------- conditions

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


# ----------------------------------------------------------------------------- PRIM


@dataclass(frozen=True)
class Box:
    """A box over the factors with its statistics (weighted by runs)."""

    limits: dict[str, tuple[float, float]]  # every factor, [lo, hi] on the observed values
    restricted: list[str]  # factors whose limits are narrower than their observed range
    coverage: float
    density: float
    mass: float
    n_points: int


@dataclass(frozen=True)
class PrimResult:
    trajectory: list[Box]  # peeling, from the whole space to the smallest box
    chosen: int  # index in the trajectory
    pasted: Box  # the chosen box after pasting (equal to it when pasting changed nothing)
    final: Box  # the pasted box without its weak limits (the box to report)
    base_rate: float  # density of the whole space
    dropped: list[tuple[str, str, float]] = field(default_factory=list)  # (factor, ≥|≤, limit)
    relaxed_density: dict[str, float] = field(default_factory=dict)  # final box minus a factor


class _Data:
    """Factor matrix, response in [0, 1] and weights, with box statistics."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> None:
        self.names = [str(c) for c in x.columns]
        self.x = x.to_numpy(float)
        self.y = np.asarray(y, float)
        self.w = np.asarray(w, float)
        self.total_w = float(self.w.sum())
        self.total_cases = float((self.w * self.y).sum())
        self.lo = self.x.min(axis=0)
        self.hi = self.x.max(axis=0)

    def inside(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return np.all((self.x >= lo) & (self.x <= hi), axis=1)

    def density(self, mask: np.ndarray) -> float:
        w = self.w[mask].sum()
        return float((self.w[mask] * self.y[mask]).sum() / w) if w > 0 else math.nan

    def mass(self, mask: np.ndarray) -> float:
        return float(self.w[mask].sum() / self.total_w)

    def box(self, lo: np.ndarray, hi: np.ndarray) -> Box:
        mask = self.inside(lo, hi)
        cases = float((self.w[mask] * self.y[mask]).sum())
        restricted = [
            n for j, n in enumerate(self.names) if lo[j] > self.lo[j] or hi[j] < self.hi[j]
        ]
        return Box(
            limits={n: (float(lo[j]), float(hi[j])) for j, n in enumerate(self.names)},
            restricted=restricted,
            coverage=cases / self.total_cases if self.total_cases > 0 else math.nan,
            density=self.density(mask),
            mass=self.mass(mask),
            n_points=int(mask.sum()),
        )


def _peel_candidates(
    data: _Data, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every box that removes about an alpha share of the box's points from one side of one
    factor (at least one distinct value, so discrete factors can be peeled too)."""
    mask = data.inside(lo, hi)
    out = []
    for j in range(data.x.shape[1]):
        v = np.sort(data.x[mask, j])
        distinct = np.unique(v)
        if distinct.size < 2:
            continue
        k = max(1, math.floor(alpha * v.size))
        new_lo = v[k] if v[k] > v[0] else distinct[1]
        new_hi = v[-1 - k] if v[-1 - k] < v[-1] else distinct[-2]
        lo2 = lo.copy()
        lo2[j] = new_lo
        hi2 = hi.copy()
        hi2[j] = new_hi
        out += [(lo2, hi.copy()), (lo.copy(), hi2)]
    return out


def _paste_candidates(
    data: _Data, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every box that adds about an alpha share (of the box's points) of the points just outside
    one side of one factor, within the box's limits on the other factors."""
    n_box = int(data.inside(lo, hi).sum())
    k = max(1, math.floor(alpha * n_box))
    out = []
    for j in range(data.x.shape[1]):
        others = np.ones(len(data.x), bool)
        for i in range(data.x.shape[1]):
            if i != j:
                others &= (data.x[:, i] >= lo[i]) & (data.x[:, i] <= hi[i])
        below = np.sort(data.x[others & (data.x[:, j] < lo[j]), j])[::-1]
        above = np.sort(data.x[others & (data.x[:, j] > hi[j]), j])
        if below.size:
            lo2 = lo.copy()
            lo2[j] = below[min(k, below.size) - 1]
            out.append((lo2, hi.copy()))
        if above.size:
            hi2 = hi.copy()
            hi2[j] = above[min(k, above.size) - 1]
            out.append((lo.copy(), hi2))
    return out


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    paste: bool = True,
    prune: float = 0.05,
) -> PrimResult:
    """PRIM (Friedman & Fisher 1999) on rows of factor values ``x`` with response ``y`` in
    [0, 1] (a case indicator, or the share of a point's runs that are cases) and ``weights``
    (runs per point).

    Peeling: repeatedly drop the alpha slice (from one side of one factor) whose removal leaves
    the highest density, while the box keeps at least ``min_mass``. The chosen box is the
    densest on the trajectory with coverage ≥ ``min_coverage``; pasting then widens it one
    alpha slice at a time while that does not lower its density; last, the weakest limits are
    dropped while the box keeps (1 − ``prune``) of its density (0: keep every limit).
    """
    if not 0 < alpha < 0.5:
        raise ExperimentError(f"--alpha: must be in (0, 0.5); got {alpha}")
    if not 0 < min_mass < 1:
        raise ExperimentError(f"--min-mass: must be in (0, 1); got {min_mass}")
    data = _Data(x, y, np.ones(len(x)) if weights is None else weights)
    lo, hi = data.lo.copy(), data.hi.copy()
    trajectory = [data.box(lo, hi)]
    while trajectory[-1].density < 1.0:
        best: tuple[float, float, np.ndarray, np.ndarray] | None = None
        for lo2, hi2 in _peel_candidates(data, lo, hi, alpha):
            mask = data.inside(lo2, hi2)
            mass = data.mass(mask)
            if mass < min_mass or not mask.any():
                continue
            key = (data.density(mask), mass)  # densest; among equals, the larger box
            if best is None or key > best[:2]:
                best = (*key, lo2, hi2)
        if best is None:
            break
        lo, hi = best[2], best[3]
        trajectory.append(data.box(lo, hi))
    chosen = choose_box(trajectory, min_coverage)
    c_lo = np.array([trajectory[chosen].limits[n][0] for n in data.names])
    c_hi = np.array([trajectory[chosen].limits[n][1] for n in data.names])
    if paste:
        c_lo, c_hi = _paste(data, c_lo, c_hi, alpha)
    pasted = data.box(c_lo, c_hi)
    f_lo, f_hi, dropped = _prune(data, c_lo, c_hi, prune)
    final = data.box(f_lo, f_hi)
    relaxed = {}
    for j, n in enumerate(data.names):
        if n in final.restricted:
            lo_r, hi_r = f_lo.copy(), f_hi.copy()
            lo_r[j], hi_r[j] = data.lo[j], data.hi[j]
            relaxed[n] = data.density(data.inside(lo_r, hi_r))
    return PrimResult(trajectory, chosen, pasted, final, trajectory[0].density, dropped, relaxed)


def _prune(
    data: _Data, lo: np.ndarray, hi: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str, float]]]:
    """Drop the weakest limit, again and again, while the box keeps at least (1 − tolerance) of
    its density. Peeling nibbles at every factor on its way; a box is only readable with the
    limits that carry it (Bryant & Lempert 2010)."""
    lo, hi = lo.copy(), hi.copy()
    floor = (1 - tolerance) * data.density(data.inside(lo, hi))
    dropped: list[tuple[str, str, float]] = []
    while True:
        best: tuple[float, int, str] | None = None
        for j in range(len(data.names)):
            for side in ("lo", "hi"):
                bound, full = (lo, data.lo) if side == "lo" else (hi, data.hi)
                if bound[j] == full[j]:
                    continue
                lo2, hi2 = lo.copy(), hi.copy()
                (lo2 if side == "lo" else hi2)[j] = full[j]
                density = data.density(data.inside(lo2, hi2))
                if density >= floor - 1e-12 and (best is None or density > best[0]):
                    best = (density, j, side)
        if best is None:
            return lo, hi, dropped
        _, j, side = best
        if side == "lo":
            dropped.append((data.names[j], "≥", float(lo[j])))
            lo[j] = data.lo[j]
        else:
            dropped.append((data.names[j], "≤", float(hi[j])))
            hi[j] = data.hi[j]


def choose_box(trajectory: list[Box], min_coverage: float) -> int:
    """The densest box whose coverage is at least ``min_coverage`` (ties: the earlier, larger)."""
    ok = [i for i, b in enumerate(trajectory) if b.coverage >= min_coverage - 1e-12]
    if not ok:
        return 0
    return max(ok, key=lambda i: (trajectory[i].density, -i))


def _paste(
    data: _Data, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    current = data.density(data.inside(lo, hi))
    while True:
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        for lo2, hi2 in _paste_candidates(data, lo, hi, alpha):
            d = data.density(data.inside(lo2, hi2))
            if d >= current - 1e-12 and (best is None or d > best[0]):
                best = (d, lo2, hi2)
        if best is None:
            return lo, hi
        current, lo, hi = best


# ----------------------------------------------------------------------------- a sweep


@dataclass(frozen=True)
class Discovery:
    condition: str
    runs: int
    cases: int
    points: pd.DataFrame  # per point: factor values, runs, share meeting the condition
    result: PrimResult
    factors: list[str]
    labels: dict[str, str]
    sampler: str
    path: Path
    settings: dict[str, Any]


def point_shares(runs: pd.DataFrame, factors: pd.DataFrame, where: str) -> pd.DataFrame:
    """Runs joined with their point's factor values (by ``point``), the condition per run, and
    per point the number of runs and the share that meet it."""
    joined = runs.join(factors, on="point", how="left")
    unknown = sorted(set(runs["point"].astype(int)) - set(factors.index.astype(int)))
    if unknown:
        raise ExperimentError(f"runs: point: not in the manifest's design; got {unknown[:8]}")
    joined["_case"] = condition_holds(where, joined)
    grouped = joined.groupby("point", sort=True)["_case"].agg(["size", "mean"])
    grouped.columns = pd.Index(["runs", "share"])
    return factors.join(grouped, how="inner")


def discover(
    batch_dir: Path,
    where: str,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    paste: bool = True,
    prune: float = 0.05,
) -> Discovery:
    """Find where in a finished sweep's factor space the condition holds most."""
    from model.runner import read_runs
    from model.sensitivity import load_sweep

    sweep = load_sweep(batch_dir)
    numeric = [
        f for f in sweep.factors if f != "model.rule" and len({p[f] for p in sweep.points}) > 1
    ]
    if not numeric:
        raise ExperimentError(
            f"{batch_dir}: manifest.json: design.factors: discovery needs a swept numeric factor; "
            f"got {sweep.factors}"
        )
    runs = read_runs(batch_dir)
    factors = sweep.factor_frame()
    missing = sorted(set(range(len(sweep.points))) - set(runs["point"].astype(int)))
    if missing:
        raise ExperimentError(
            f"{batch_dir}: runs/: every design point needs its runs (rerun with summit sweep "
            f"--resume {batch_dir}); got none for points {missing[:8]}"
        )
    per_point = point_shares(runs, factors, where)
    cases = round(float((per_point["share"] * per_point["runs"]).sum()))
    if cases == 0 or cases == len(runs):
        never = "no run meets" if cases == 0 else "every run meets"
        raise ExperimentError(f"--where: {never} the condition, nothing to discover; got {where!r}")
    if not 0 <= prune < 1:
        raise ExperimentError(f"--prune: must be in [0, 1); got {prune}")
    result = prim(
        per_point[numeric],
        per_point["share"].to_numpy(float),
        per_point["runs"].to_numpy(float),
        alpha=alpha,
        min_mass=min_mass,
        min_coverage=min_coverage,
        paste=paste,
        prune=prune,
    )
    settings = {"alpha": alpha, "min_mass": min_mass, "min_coverage": min_coverage}
    settings |= {"paste": paste, "prune": prune}
    return Discovery(
        condition=where,
        runs=len(runs),
        cases=cases,
        points=per_point,
        result=result,
        factors=numeric,
        labels={f: sweep.label(f) for f in numeric},
        sampler=sweep.sampler,
        path=batch_dir,
        settings=settings,
    )


# ----------------------------------------------------------------------------- output


def _name(d: Discovery, factor: str) -> str:
    label = d.labels[factor]
    return f"{label} (`{factor}`)" if label != factor else factor


def restriction(d: Discovery, box: Box, factor: str) -> str:
    """One factor's limits in a box, in words: ``Seoul's openness (...) ≤ 0.4``."""
    lo, hi = box.limits[factor]
    all_lo, all_hi = d.result.trajectory[0].limits[factor]
    if lo > all_lo and hi < all_hi:
        return f"{_name(d, factor)} between {_g(lo)} and {_g(hi)}"
    if lo > all_lo:
        return f"{_name(d, factor)} ≥ {_g(lo)}"
    return f"{_name(d, factor)} ≤ {_g(hi)}"


def _g(v: float) -> str:
    return f"{v:.3g}"


def trajectory_frame(d: Discovery) -> pd.DataFrame:
    """The peeling trajectory, one row per box, with the limits of every factor."""
    rows = []
    for i, b in enumerate(d.result.trajectory):
        row: dict[str, Any] = {
            "step": i,
            "chosen": i == d.result.chosen,
            "coverage": b.coverage,
            "density": b.density,
            "mass": b.mass,
            "points": b.n_points,
            "restricted": len(b.restricted),
        }
        for f in d.factors:
            row[f"{f}_lo"], row[f"{f}_hi"] = b.limits[f]
        rows.append(row)
    return pd.DataFrame(rows)


def _box_json(d: Discovery, box: Box) -> dict[str, Any]:
    return {
        "coverage": box.coverage,
        "density": box.density,
        "mass": box.mass,
        "points": box.n_points,
        "limits": {f: list(box.limits[f]) for f in box.restricted},
        "in_words": [restriction(d, box, f) for f in box.restricted],
    }


def format_discovery(d: Discovery, fmt: str = "md") -> str:
    """md: the box in words and the trajectory; csv: the trajectory with every limit; json: the
    box (before and after dropping weak limits) and the trajectory."""
    traj = trajectory_frame(d)
    if fmt == "csv":
        return traj.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        r = d.result
        doc = {
            "condition": d.condition,
            "runs": d.runs,
            "cases": d.cases,
            "points": len(d.points),
            "base_rate": r.base_rate,
            "settings": d.settings,
            "box": _box_json(d, r.final) | {"density_without": r.relaxed_density},
            "dropped_limits": [{"factor": f, "limit": f"{s} {v}"} for f, s, v in r.dropped],
            "box_before_dropping": _box_json(d, r.pasted),
            "trajectory": json.loads(traj.to_json(orient="records")),
        }
        return json.dumps(doc, indent=2)
    if fmt != "md":
        raise ExperimentError(f"--format: must be one of md, csv, json; got {fmt!r}")
    return _markdown(d)


def _markdown(d: Discovery) -> str:
    r = d.result
    box = r.final
    s = d.settings
    lines = [
        f"Condition: {d.condition} — met in {d.cases:,} of {d.runs:,} runs "
        f"({r.base_rate:.1%}) over {len(d.points)} design points ({d.sampler})",
        f"PRIM: peel alpha {s['alpha']:g}, minimum mass {s['min_mass']:g}, pasting "
        f"{'on' if s['paste'] else 'off'}; box: the densest with coverage ≥ "
        f"{s['min_coverage']:g} (step {r.chosen} of {len(r.trajectory) - 1}), then its "
        f"weakest limits dropped while they cost ≤ {s['prune']:.0%} of its density",
        "",
        f"Box: coverage {box.coverage:.2f}, density {box.density:.2f} "
        f"({_lift(box.density, r.base_rate)} the base rate), mass {box.mass:.2f} "
        f"({box.n_points} points)",
    ]
    if not box.restricted:
        lines.append("- no limit: the condition is not concentrated in any box")
    for f in box.restricted:
        lines.append(f"- {restriction(d, box, f)} (without it: density {r.relaxed_density[f]:.2f})")
    if r.dropped:
        weak = "; ".join(f"{d.labels[f]} {sign} {_g(v)}" for f, sign, v in r.dropped)
        p = r.pasted
        lines.append(
            f"- dropped as weak: {weak} (with them: coverage {p.coverage:.2f}, "
            f"density {p.density:.2f})"
        )
    lines += [
        "",
        "Peeling trajectory (coverage falls as density rises; * = the chosen step):",
        "",
        "| step | coverage | density | mass | points | restricted factors |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for i in _thin(len(r.trajectory), r.chosen):
        b = r.trajectory[i]
        star = " *" if i == r.chosen else ""
        lines.append(
            f"| {i}{star} | {b.coverage:.2f} | {b.density:.2f} | {b.mass:.2f} | {b.n_points} "
            f"| {len(b.restricted)} |"
        )
    return "\n".join(lines)


def _lift(density: float, base: float) -> str:
    return f"{density / base:.1f}×" if base > 0 else "–"


def _thin(n: int, keep: int, most: int = 12) -> list[int]:
    """At most about ``most`` evenly spaced steps, always the first, the last and ``keep``."""
    if n <= most:
        return list(range(n))
    picks = {round(float(i)) for i in np.linspace(0, n - 1, most - 1)} | {keep}
    return sorted(picks)
