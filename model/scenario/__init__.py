"""Scenario files: the schema, loading and variants, dotted paths, and the immutable `Scenario`.

A scenario is pure data (TOML, never executed). `load_scenario` turns a file into an immutable
`Scenario`; every numeric value in it has a dotted path (``actors.ROK.salience.alliance``,
``model.alliance_cost``) that sweeps, events and the Python API use alike. The format is
documented in docs/SCENARIOS.md; the meaning of each model parameter in docs/MODEL.md.
"""

from model.scenario.checks import pydantic_problems
from model.scenario.loading import (
    BASELINE,
    SHIPPED_DIR,
    load_scenario,
    resolve_scenario,
    shipped_scenarios,
)
from model.scenario.paths import SCORE, STATE_PATHS, UNIT, Bounds, numeric_paths, unknown_path_rule
from model.scenario.scenario import Scenario, parse_scenario
from model.scenario.schema import (
    ROLE_DEFAULTS,
    ROLE_FIELDS,
    Actor,
    Event,
    ModelParams,
    Role,
    Rule,
    ScenarioFile,
    Thresholds,
)
from model.scenario.tomlfile import MAX_NESTING, read_toml
from model.scenario.uncertain import Uncertain, is_quantity

__all__ = [
    "BASELINE",
    "MAX_NESTING",
    "ROLE_DEFAULTS",
    "ROLE_FIELDS",
    "SCORE",
    "SHIPPED_DIR",
    "STATE_PATHS",
    "UNIT",
    "Actor",
    "Bounds",
    "Event",
    "ModelParams",
    "Role",
    "Rule",
    "Scenario",
    "ScenarioFile",
    "Thresholds",
    "Uncertain",
    "is_quantity",
    "load_scenario",
    "numeric_paths",
    "parse_scenario",
    "pydantic_problems",
    "read_toml",
    "resolve_scenario",
    "shipped_scenarios",
    "unknown_path_rule",
]
