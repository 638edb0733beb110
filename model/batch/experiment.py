"""Experiment files: which scenario, which factors (dotted paths), which design, how many runs.

An experiment is TOML, like a scenario, and is validated the same way (one line per problem naming
file, key path, rule and value). It expands into design points: full factorial grid, Latin
hypercube (scipy.stats.qmc), Sobol/Saltelli or Morris (SALib). The points depend only on the
experiment file and its seed, so the design is reproducible.

    [experiment]
    name = "us-and-seoul"
    scenario = "baseline-2024"
    design = "grid"            # grid | lhs | sobol | morris
    replications = 500
    seed = 1
    samples = 64               # lhs: points; sobol: base N (N·(D+2) points); morris: trajectories

    [[factors]]
    path = "actors.US.openness"
    range = [0.1, 1.0]         # a real factor (or kind = "int"); grid levels: steps = 5
    [[factors]]
    path = "model.rule"
    values = ["compromise", "challenge"]   # a categorical factor (grid only)

The scenario itself can be a factor: ``scenarios = ["baseline-2024", "seoul-sidelined"]`` instead
of ``scenario`` runs every design point under each, with common random numbers (`Design`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.batch.design import DEFAULT_SEED, Design
from model.batch.worlds import default_worlds
from model.errors import ExperimentError, ScenarioError, problem
from model.scenario import (
    Rule,
    Scenario,
    is_quantity,
    load_scenario,
    pydantic_problems,
    read_toml,
)

Sampler = Literal["grid", "lhs", "sobol", "morris"]


class _Strict(BaseModel):
    # strict types, as in scenario files: "0.5" is not a number, true is not a number
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Factor(_Strict):
    path: str
    range: tuple[float, float] | None = Field(default=None, strict=False)  # items stay strict
    values: list[float | str] | None = None
    kind: Literal["real", "int"] = "real"
    steps: Annotated[int, Field(ge=2, le=1000)] = 5  # grid levels of a range factor
    label: str | None = None  # words for tables and plots; defaults to the path


class ExperimentSpec(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    scenario: str | None = None  # exactly one of scenario and scenarios (load_experiment)
    scenarios: Annotated[list[str], Field(min_length=1)] | None = None  # the scenario as a factor
    design: Sampler = "grid"
    replications: Annotated[int, Field(ge=1, le=10_000_000)] = 500
    seed: Annotated[int, Field(ge=0)] = DEFAULT_SEED
    samples: Annotated[int, Field(ge=1, le=1_000_000)] = 64
    levels: Annotated[int, Field(ge=2, le=100)] = 4  # Morris grid levels
    description: str | None = None
    # judgement worlds per point (docs/MODEL.md §12); default: model.batch.worlds.default_worlds
    worlds: Annotated[int, Field(ge=1, le=100_000)] | None = None


class ExperimentFile(_Strict):
    experiment: ExperimentSpec
    factors: list[Factor] = Field(min_length=1)
    # values fixed (a number) or given a range (a table) for the whole experiment, by dotted
    # path, as a variant's [set]
    set: dict[str, Any] = Field(default_factory=dict)


def load_experiment(path: str | Path) -> tuple[ExperimentFile, Scenario, str]:
    """Parse and check an experiment file; return it, its base scenario and its file name."""
    p = Path(path)
    if not p.exists():
        raise ExperimentError(problem(str(p), "", "no such experiment file", str(path)))
    try:
        raw = read_toml(p)
    except ScenarioError as exc:
        raise ExperimentError("\n".join(exc.problems)) from None
    try:
        exp = ExperimentFile.model_validate(raw)
    except ValidationError as exc:
        raise ExperimentError("\n".join(pydantic_problems(exc, raw, p.name))) from None
    spec = exp.experiment
    if (spec.scenario is None) == (spec.scenarios is None):
        rule = "give exactly one of 'scenario' or 'scenarios'"
        raise ExperimentError(problem(p.name, "experiment", rule, spec.scenarios or spec.scenario))
    scenarios = experiment_scenarios(exp, p)
    return exp, scenarios[0], p.name


def with_options(
    exp: ExperimentFile,
    runs: int | None,
    seed: int | None,
    scenarios: tuple[str, ...],
    worlds: int | None = None,
) -> ExperimentFile:
    """The experiment as the command line changes it: --runs, --seed, --worlds, and --scenario,
    which replaces the file's scenario(s), so that the recorded spec says what ran."""
    given = (("replications", runs), ("seed", seed), ("worlds", worlds))
    update: dict[str, Any] = {k: v for k, v in given if v is not None}
    if scenarios:
        many = len(scenarios) > 1
        update["scenario"] = None if many else scenarios[0]
        update["scenarios"] = list(scenarios) if many else None
    if not update:
        return exp
    return exp.model_copy(update={"experiment": exp.experiment.model_copy(update=update)})


def experiment_scenarios(
    exp: ExperimentFile, path: Path | None, override: tuple[str, ...] = ()
) -> list[Scenario]:
    """The scenarios an experiment runs (``override``, as given by --scenario, else the file's
    ``scenario`` or ``scenarios``), each loaded and its factors checked against it. A name that
    is a .toml file beside the experiment file is that file."""
    spec = exp.experiment
    refs = list(override) or spec.scenarios or [spec.scenario or ""]
    source = path.name if path is not None else "--factor"
    key = "--scenario" if override else "experiment.scenarios" if spec.scenarios else (
        "experiment.scenario"
    )  # fmt: skip
    out = []
    for i, ref in enumerate(refs):
        local = path.parent / ref if path is not None else Path(ref)
        where = f"{key}[{i}]" if len(refs) > 1 or spec.scenarios else key
        try:
            scn = load_scenario(local if local.suffix == ".toml" and local.exists() else ref)
        except ScenarioError as exc:
            rule = f"unusable ({exc.problems[0]})"
            raise ExperimentError(problem(source, where, rule, ref)) from None
        if exp.set:  # the experiment's own fixed values and ranges, on every scenario
            scn = with_set(scn, exp.set, source)
        check_factors(exp.factors, spec.design, scn, source)
        out.append(scn)
    return out


def with_set(scn: Scenario, changes: dict[str, Any], source: str) -> Scenario:
    """The scenario with an experiment's [set] applied; problems named in the experiment file."""
    problems: list[str] = []
    for path, value in changes.items():
        if path == "model.rule" or not (is_quantity(value) or isinstance(value, int | float)):
            rule = "must be a number or a range table ({ low, mode, high } ...)"
            problems.append(problem(source, f"set.{path}", rule, value))
    if not problems:
        try:
            return scn.with_values(changes)
        except ScenarioError as exc:
            problems = [f"{source}: set: {line}" for line in exc.problems]
    raise ExperimentError("\n".join(problems))


def check_factors(factors: list[Factor], design: str, scn: Scenario, source: str) -> None:
    """Every factor names a real parameter, with a range inside that parameter's bounds."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, f in enumerate(factors):
        where = f"factors[{i}]"
        if f.path in seen:
            problems.append(problem(source, f"{where}.path", "factor listed twice", f.path))
        seen.add(f.path)
        if (f.range is None) == (f.values is None):
            problems.append(problem(source, where, "give exactly one of 'range' or 'values'", None))
            continue
        if f.path == "model.rule":
            bad = [v for v in (f.values or []) if v not in {r.value for r in Rule}]
            if f.values is None or bad:
                rule = f"values must be rules ({', '.join(r.value for r in Rule)})"
                problems.append(problem(source, f"{where}.values", rule, bad or f.range))
            if design != "grid":
                rule = "a categorical factor needs design = 'grid'"
                problems.append(problem(source, f"{where}.path", rule, design))
            continue
        try:
            bounds = scn.bounds(f.path)
        except ScenarioError:
            paths = scn.values()
            head = f.path.rsplit(".", 1)[0]
            near = sorted(x for x in paths if x.startswith(head + "."))[:5]
            hint = f" (known under {head}: {', '.join(near)})" if near else ""
            rule = f"not a numeric parameter of scenario {scn.name}{hint}"
            problems.append(problem(source, f"{where}.path", rule, f.path))
            continue
        if bounds.integer and f.kind != "int":
            rule = "a whole-number parameter needs kind = 'int'"
            problems.append(problem(source, f"{where}.kind", rule, f.kind))
        if f.range is not None:
            lo, hi = f.range
            if not lo < hi:
                problems.append(
                    problem(source, f"{where}.range", "needs low < high", list(f.range))
                )
            for end in (lo, hi):
                if (why := bounds.check(end)) is not None:
                    problems.append(problem(source, f"{where}.range", why, end))
        else:
            for val in f.values or []:
                if isinstance(val, str):
                    problems.append(problem(source, f"{where}.values", "must be numbers", val))
                elif (why := bounds.check(float(val))) is not None:
                    problems.append(problem(source, f"{where}.values", why, val))
            if design != "grid":
                rule = "listed values need design = 'grid' (samplers draw from a range)"
                problems.append(problem(source, f"{where}.values", rule, design))
    if problems:
        raise ExperimentError("\n".join(problems))


def salib_problem(factors: list[Factor]) -> dict[str, Any]:
    return {
        "num_vars": len(factors),
        "names": [f.path for f in factors],
        "bounds": [list(f.range) for f in factors if f.range is not None],
    }


def sample_points(exp: ExperimentFile) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """The design points (dotted path → value), and the raw sample matrix for SALib analyses.

    The sample matrix is kept (rows = point ids) so sensitivity indices are computed on points
    bound by id, never on row order of results.
    """
    spec, factors = exp.experiment, exp.factors
    if spec.design == "grid":
        levels: list[list[Any]] = []
        for f in factors:
            if f.values is not None:
                levels.append(list(f.values))
            else:
                assert f.range is not None
                levels.append(grid_levels(f.range[0], f.range[1], f.steps))
        combos = list(itertools.product(*levels))
        matrix = None
        points = [dict(zip([f.path for f in factors], c, strict=True)) for c in combos]
    else:
        matrix = _sample_matrix(exp)
        points = [{f.path: float(v) for f, v in zip(factors, row, strict=True)} for row in matrix]
    for p in points:
        for f in factors:
            if f.kind == "int" and f.path in p:
                p[f.path] = round(float(p[f.path]))
            elif isinstance(p.get(f.path), np.floating):
                p[f.path] = float(p[f.path])
    return points, matrix


def grid_levels(lo: float, hi: float, steps: int) -> list[float]:
    """Evenly spaced levels as the user would type them: linspace's 0.30000000000000004 becomes
    0.3 (rounded to 12 significant digits, far below any parameter's meaningful precision), so
    the manifest, summary.csv and the tables show the value that was meant."""
    return [float(f"{v:.12g}") for v in np.linspace(lo, hi, steps)]


def _sample_matrix(exp: ExperimentFile) -> np.ndarray:
    spec, factors = exp.experiment, exp.factors
    prob = salib_problem(factors)
    seed = spec.seed % (2**32)
    if spec.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(factors), rng=np.random.default_rng(seed)).random(
            spec.samples
        )
        lo = np.array([b[0] for b in prob["bounds"]])
        hi = np.array([b[1] for b in prob["bounds"]])
        return np.asarray(qmc.scale(unit, lo, hi))
    if spec.design == "sobol":
        from SALib.sample import sobol

        n = 2 ** math.ceil(math.log2(max(spec.samples, 2)))  # Sobol' sequences want powers of 2
        return np.asarray(sobol.sample(prob, n, calc_second_order=False, seed=seed))
    from SALib.sample import morris

    return np.asarray(morris.sample(prob, spec.samples, num_levels=spec.levels, seed=seed))


def to_design(exp: ExperimentFile, scn: Scenario, scenarios: Sequence[Scenario] = ()) -> Design:
    """The design of an experiment; with two or more ``scenarios`` (``scn`` first), every point
    runs under each (the scenario as a factor)."""
    points, _ = sample_points(exp)
    return Design(
        scn,
        replications=exp.experiment.replications,
        root_seed=exp.experiment.seed,
        points=points,
        factors=[f.path for f in exp.factors],
        sampler=exp.experiment.design,
        scenarios=tuple(scenarios) if len(scenarios) > 1 else (),
        worlds=exp.experiment.worlds
        or max(default_worlds(s, exp.experiment.replications) for s in (scn, *scenarios)),
    )
