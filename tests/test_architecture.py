"""The layout promised in docs/ARCHITECTURE.md: subpackages by concern, no import cycles, small
modules and classes, stages usable without a model, and outcome names that come from the scenario
(a scenario whose ally is not ROK never gets a Seoul or ROK column or heading)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from model import simulate
from model.results.tables import format_table
from model.scenario import load_scenario
from model.sim import strain
from model.sim.cast import Cast
from model.sim.outcomes import OutcomeNames, bypass_column, bypass_label
from model.sim.seeding import Streams, blocks_for
from model.sim.state import State

PACKAGE = Path(__file__).resolve().parents[1] / "model"
ROOT = PACKAGE.parent
SUBPACKAGES = {"scenario", "sim", "batch", "results", "analysis", "forecasting", "cli"}
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 300


def test_model_is_split_into_subpackages_by_concern() -> None:
    """The tree shows the architecture: at least these packages exist under model/."""
    found = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert found >= SUBPACKAGES


def test_no_import_cycle_among_modules() -> None:
    """No module reaches itself through imports (type-checking-only imports aside)."""
    graph = grimp.build_graph("model", exclude_type_checking_imports=True)
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if module != imported:
                g.add_edge(module, imported)
    # a package's __init__ re-exporting its modules is not a cycle of the code that uses it
    cycles = [
        c
        for c in nx.simple_cycles(g, length_bound=6)
        if not any(a.startswith(b + ".") or b.startswith(a + ".") for a in c for b in c)
    ]
    assert cycles == []


def test_modules_and_classes_stay_small() -> None:
    """No module over 450 lines and no class over 300 (ISSUE: one concept per module)."""
    too_big = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_big.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                n = node.end_lineno - node.lineno + 1
                if n > MAX_CLASS_LINES:
                    too_big.append(f"{path.relative_to(ROOT)}: class {node.name}: {n} lines")
    assert too_big == []


def test_import_linter_contracts_are_kept() -> None:
    """The layers and no-cycles contracts in pyproject.toml hold (the same check as CI's)."""
    exe = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run(
        [str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 0, res.stdout[-2000:]
    assert "2 kept, 0 broken" in res.stdout


def test_a_stage_runs_on_a_state_without_a_model() -> None:
    """Strain is a function of the state and the cast: a shock raises exactly its pair and the
    peak follows; no Mesa model is built."""
    scn = load_scenario("baseline-2024")
    cast = Cast.of(scn)
    s = State.build(scn, cast, 4, Streams(1, blocks_for(0, 4)))
    shock = np.zeros((4, len(cast.pairs)))
    shock[:, 1] = 0.5
    no_repair = np.zeros_like(shock)
    strain.update(s, cast, shock, no_repair, 0, strain.stance_losses(s, cast))
    assert np.allclose(s.strain_pairs[:, 1], 0.5)
    assert np.allclose(s.strain_pairs[:, [0, 2]], 0.0)
    assert np.allclose(s.strain_peak, 0.5 / 3)


def test_outcome_names_follow_the_scenario(tmp_path: Path) -> None:
    """The baseline keeps the contract's names; the same file with ROK renamed KOR names KOR in
    its run rows, summary and printed table, and nowhere Seoul or ROK."""
    base = OutcomeNames.of(load_scenario("baseline-2024"))
    assert base.pairs == ("strain_us_jpn", "strain_jpn_rok", "strain_us_rok")
    assert base.bypass == ["seoul_bypassed"]
    text = (ROOT / "scenarios" / "baseline-2024.toml").read_text()
    kor = tmp_path / "kor.toml"
    kor.write_text(text.replace("ROK", "KOR"))
    res = simulate(load_scenario(kor), runs=300, seed=2, worlds=1)
    runs = res.runs
    table = format_table(res.summary, "md")
    names = [*runs.columns, *res.summary.columns]
    assert "strain_jpn_kor" in runs.columns and "bypassed_kor" in runs.columns
    assert "p_bypassed_kor" in res.summary.columns and "P(KOR bypassed)" in table
    for text_ in [*names, table]:
        assert not re.search(r"seoul|rok", text_, re.IGNORECASE), text_
    # same runs: renaming an id changes names, never numbers (on the point scenario: the worlds'
    # draws are keyed by dotted path, which holds the id, as events' streams are keyed by id)
    ref = simulate("baseline-2024", runs=300, seed=2, worlds=1).runs
    assert (runs["bypassed_kor"].to_numpy() == ref["seoul_bypassed"].to_numpy()).all()
    pd.testing.assert_series_equal(runs["strain_jpn_kor"], ref["strain_jpn_rok"], check_names=False)


def test_bypass_names_and_labels_round_trip() -> None:
    """Column ↔ heading: the contract alias for ROK, the derived name for any other id."""
    assert bypass_column("ROK") == "seoul_bypassed" and bypass_label("p_seoul_bypassed") == "Seoul"
    assert bypass_column("KOR") == "bypassed_kor" and bypass_label("p_bypassed_kor") == "KOR"
    assert bypass_label("p_summit") is None and bypass_label("strain_us_jpn") is None


def test_outcomes_bypass_must_name_allies_of_the_engager(tmp_path: Path) -> None:
    """[outcomes] bypass names allies of the engaging principal; anything else is one line."""
    from model.errors import ScenarioError

    bad = tmp_path / "bad.toml"
    text = (ROOT / "scenarios" / "baseline-2024.toml").read_text()
    bad.write_text(text.replace('bypass = ["ROK"]', 'bypass = ["CHN"]'))
    with pytest.raises(
        ScenarioError, match=r"bad\.toml: outcomes\.bypass: must name allies of JPN"
    ):
        load_scenario(bad)


def test_one_markdown_table_writer() -> None:
    """Pipe tables are written by results.tables.markdown_table only (ISSUE 14: four writers had
    drifted apart): no other module builds a Markdown header rule by hand."""
    rule = re.compile(r"""["']:?-{3}:?["']""")  # an alignment cell such as "---:"
    writers = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if path != PACKAGE / "results" / "tables.py" and rule.search(path.read_text())
    ]
    assert writers == []


HEAVY = ("pandas", "pyarrow", "mesa", "scipy", "model.batch", "model.sim.summit")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in HEAVY if m in out.stdout.split()]


def test_the_cli_and_the_package_import_light() -> None:
    """`summit` parses its arguments before it imports the model's heavy parts, so that a verb
    with workers can start their server first and the two imports overlap (model._workers);
    `import model` loads the names of its API only when first used."""
    assert _loaded_after("import model.cli.main") == []
    assert _loaded_after("import model") == []
    # and a name of the API, once used, brings what it needs
    assert {"model.batch", "model.sim.summit"} <= set(_loaded_after("from model import simulate"))


def test_the_package_names_its_api_lazily() -> None:
    import model

    assert model.simulate.__module__ == "model.api"
    assert model.Design is __import__("model.batch", fromlist=["Design"]).Design
    assert {"simulate", "run_batch", "load_scenario", "SummitModel"} <= set(dir(model))
    for name in model.__all__:  # `from model import *` finds every name it promises
        assert getattr(model, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = model.nothing  # type: ignore[attr-defined]


def test_the_program_skips_the_last_garbage_collection_at_exit() -> None:
    """`summit` (`program`) freezes the objects its imports made when it exits, so that the
    interpreter's last collection does not walk them (≈ 0.3 s a command, docs/PERFORMANCE.md
    round 4); `main`, which the tests call in their own process, does not. The check runs in an
    atexit hook registered first, so it runs after the program's own hooks."""
    code = """
import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0))
from model.cli import program
sys.argv = ["summit", "--version"]
program()
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "frozen True", res.stdout
    as_main = code.replace("from model.cli import program", "from model.cli.main import main")
    res = subprocess.run([sys.executable, "-c", as_main.replace("program()", "main()")],
                         capture_output=True, text=True)  # fmt: skip
    assert res.stdout.strip().splitlines()[-1] == "frozen False", res.stdout


def test_ctrl_c_while_the_command_loads_prints_no_traceback() -> None:
    """`import model.cli` imports nothing of the command, so a Ctrl-C while `summit` loads
    (its imports take ≈ 0.5 s) is caught: one line, exit 130. The KeyboardInterrupt is raised
    where a Ctrl-C would land, as the command's module is imported."""
    code = """
import sys
class CtrlC:
    def find_spec(self, name, path, target=None):
        if name == "model.cli.main":
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, CtrlC())
from model.cli import program
sys.argv = ["summit", "--version"]
program()
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 130, res.stderr
    assert res.stderr.strip() == "interrupted", res.stderr
