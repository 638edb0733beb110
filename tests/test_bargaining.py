"""The bargaining rules and actor tables behind `summit forecast`: the properties every rule
must have, the corrections to the published expected-utility model, and one-line errors for bad
tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from model.cli.forecasting import forecast_cmd
from model.errors import ScenarioError
from model.forecasting import bargaining, dispatch
from model.forecasting.actor_table import load_actor_table
from model.forecasting.bargaining import Rule
from model.sim import rules

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "actor_table_example.csv"
RUNS = 200  # replications of the stochastic rules in property tests
FAST = bargaining.Settings(ktab_rounds=20, challenge_rounds=20)


def table(seed: int, actors: int = 6, issues: int = 2) -> tuple[np.ndarray, ...]:
    """A random negotiation: positions 0–100, saliences 0.1–1, capabilities 0.5–5."""
    g = np.random.default_rng(seed)
    pos = g.uniform(0, 100, (actors, issues))
    sal = g.uniform(0.1, 1.0, (actors, issues))
    cap = g.uniform(0.5, 5.0, actors)
    return pos, sal, cap


def run(rule: Rule, pos: np.ndarray, sal: np.ndarray, cap: np.ndarray, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return dispatch.forecast(rule, pos, sal, cap, rng=rng, runs=RUNS, settings=FAST)


@pytest.mark.parametrize("rule", list(Rule))
def test_unanimity_gives_the_common_position(rule: Rule) -> None:
    """When every actor wants the same outcome, every rule forecasts it, in every replication."""
    pos, sal, cap = table(0)
    same = np.broadcast_to(np.array([37.0, 81.0]), pos.shape).copy()
    np.testing.assert_allclose(run(rule, same, sal, cap), np.broadcast_to([37.0, 81.0], (RUNS, 2)))


@pytest.mark.parametrize("rule", [r for r in Rule if r not in bargaining.STOCHASTIC])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_permuting_actors_changes_nothing(rule: Rule, seed: int) -> None:
    """The order of the rows of an actor table cannot change a deterministic forecast (the
    published expected-utility code moves actors one after another, so order mattered there)."""
    pos, sal, cap = table(seed)
    perm = np.random.default_rng(seed + 100).permutation(len(cap))
    np.testing.assert_allclose(
        run(rule, pos[perm], sal[perm], cap[perm]), run(rule, pos, sal, cap), atol=1e-9
    )


def test_ktab_round_is_equivariant_under_relabelling() -> None:
    """Relabelling the actors, with their random draws, relabels the KTAB-style round's result."""
    pos, sal, cap = table(4)
    a, k = pos.shape
    u = np.random.default_rng(5).random((8, a, a, k))
    perm = np.random.default_rng(6).permutation(a)
    base = bargaining.ktab_round(pos, sal, cap, u)
    moved = bargaining.ktab_round(pos[perm], sal[perm], cap[perm], u[:, perm][:, :, perm])
    np.testing.assert_allclose(moved, base[:, perm], atol=1e-9)


def test_challenge_round_is_equivariant_under_relabelling() -> None:
    """Relabelling the actors, with their draws, relabels the summit challenge rule's step."""
    pos, sal, cap = table(7)
    a, k = pos.shape
    ties = bargaining.all_ties(a)
    u = np.random.default_rng(8).random((8, a, a, k))
    perm = np.random.default_rng(9).permutation(a)
    base, _ = rules.challenge_target(pos, sal, cap, ties, u, 0.3, 0.1)
    moved, _ = rules.challenge_target(
        pos[perm], sal[perm], cap[perm], ties, u[:, perm][:, :, perm], 0.3, 0.1
    )
    np.testing.assert_allclose(moved, base[:, perm], atol=1e-9)


@pytest.mark.parametrize("rule", sorted(bargaining.STOCHASTIC))
def test_permuting_actors_keeps_the_stochastic_forecast(rule: Rule) -> None:
    """A stochastic rule's median forecast does not depend on the order of the rows (up to
    replication noise, for any seed)."""
    pos, sal, cap = table(10)
    perm = np.random.default_rng(11).permutation(len(cap))
    a = np.median(run(rule, pos, sal, cap, seed=12), axis=0)
    b = np.median(run(rule, pos[perm], sal[perm], cap[perm], seed=13), axis=0)
    np.testing.assert_allclose(a, b, atol=3.0)


@pytest.mark.parametrize("rule", list(Rule))
def test_scaling_all_capabilities_changes_nothing(rule: Rule) -> None:
    """Capabilities count only relative to each other: GDP shares or votes or percentages."""
    pos, sal, cap = table(20)
    np.testing.assert_allclose(run(rule, pos, sal, 7.3 * cap), run(rule, pos, sal, cap), atol=1e-6)


@pytest.mark.parametrize("rule", list(Rule))
def test_zero_salience_actor_has_no_influence(rule: Rule) -> None:
    """An actor that does not care (salience 0) cannot move the forecast, wherever it stands."""
    pos, sal, cap = table(30)
    sal[2] = 0.0
    left, right = pos.copy(), pos.copy()
    left[2], right[2] = 0.0, 100.0
    np.testing.assert_allclose(run(rule, left, sal, cap), run(rule, right, sal, cap), atol=1e-9)


@pytest.mark.parametrize("rule", [r for r in Rule if r not in bargaining.STOCHASTIC])
def test_zero_salience_actor_can_be_left_out(rule: Rule) -> None:
    """Leaving an indifferent actor out of the table gives the same deterministic forecast."""
    pos, sal, cap = table(31)
    sal[0] = 0.0
    np.testing.assert_allclose(
        run(rule, pos[1:], sal[1:], cap[1:]), run(rule, pos, sal, cap), atol=1e-9
    )


def test_fj_fixed_point_is_a_weighted_compromise() -> None:
    """The summit model's FJ rule with all-to-all ties converges to the compromise model when
    stubbornness is equal, and to the c·s² weighted mean when stubbornness is the salience."""
    pos, sal, cap = table(40, actors=8, issues=3)
    equal = bargaining.Settings(stubbornness=0.5)
    np.testing.assert_allclose(
        bargaining.fj_forecast(pos, sal, cap, equal), rules.compromise(pos, sal, cap), atol=1e-3
    )
    np.testing.assert_allclose(
        bargaining.fj_forecast(pos, sal, cap), rules.compromise(pos, sal**2, cap), atol=1e-3
    )


def test_weighted_median_splits_exact_ties() -> None:
    """An even split of the weight gives the midpoint, not whichever actor was listed first."""
    pos = np.array([[20.0], [60.0]])
    w = np.array([[1.0], [1.0]])
    assert bargaining.weighted_median(pos, w)[0] == pytest.approx(40.0)
    assert bargaining.weighted_median(pos[::-1], w)[0] == pytest.approx(40.0)


def eu_scalar(pos: np.ndarray, sal: np.ndarray, cap: np.ndarray, q: float, t: float) -> np.ndarray:
    """Scholz et al. (2011) for one issue, written out with loops, as an independent check."""
    a = len(cap)
    x = pos[:, 0] / 100
    s = sal[:, 0]
    w = cap * s
    mu = np.sum(w * x) / np.sum(w)

    def prob(i: int, j: int) -> float:
        v = [w[m] * (abs(x[m] - x[j]) - abs(x[m] - x[i])) for m in range(a)]
        tot = sum(abs(z) for z in v)
        return sum(z for z in v if z > 0) / tot if tot > 0 else 0.5

    def eu(i: int, j: int, r: float) -> float:
        d = abs(x[i] - x[j])
        us = 2 - 4 * (0.5 - 0.5 * d) ** r
        uf = 2 - 4 * (0.5 + 0.5 * d) ** r
        ub = 2 - 4 * (0.5 - 0.25 * (abs(x[i] - mu) + d)) ** r
        uw = 2 - 4 * (0.5 + 0.25 * (abs(x[i] - mu) + d)) ** r
        usq = 2 - 4 * 0.5**r
        p = prob(i, j)
        return (
            s[j] * (p * us + (1 - p) * uf)
            + (1 - s[j]) * us
            - (q * usq + (1 - q) * (t * ub + (1 - t) * uw))
        )

    sec = [sum(eu(i, j, 1.0) for i in range(a) if i != j) for j in range(a)]
    big = [(2 * sj - max(sec) - min(sec)) / (max(sec) - min(sec)) for sj in sec]
    r = [(1 - b / 3) / (1 + b / 3) for b in big]
    return np.array([[eu(i, j, r[i]) if i != j else 0.0 for j in range(a)] for i in range(a)])


@pytest.mark.parametrize("q", [1.0, 0.5, 0.0])
def test_eu_matches_the_written_out_model_for_any_q(q: float) -> None:
    """The vectorised expected utilities equal Scholz et al.'s formulas with the status-quo term
    subtracted whole, also for Q < 1 where public code flips the sign of the (1 − Q) term."""
    pos, sal, cap = table(50, actors=5, issues=1)
    got, _, _ = bargaining.eu_challenge(pos, sal, cap, q, 0.5)
    np.testing.assert_allclose(got[:, :, 0], eu_scalar(pos, sal, cap, q, 0.5), atol=1e-12)


def test_eu_capitulation_fires() -> None:
    """A weak, isolated actor facing a strong challenger gives in completely (capitulation is
    reachable, unlike in re-implementations whose capitulation test can never be true)."""
    pos = np.array([[0.0], [5.0], [100.0]])
    sal = np.array([[1.0], [1.0], [0.3]])
    cap = np.array([10.0, 10.0, 1.0])
    eu, _, _ = bargaining.eu_challenge(pos, sal, cap, 1.0, 1.0)
    assert eu[0, 2, 0] > 0 and eu[2, 0, 0] <= -eu[0, 2, 0]  # the capitulation region
    new = bargaining.eu_round(pos, sal, cap)
    assert new[2, 0] in (pos[0, 0], pos[1, 0])


def test_eu_compromise_moves_part_of_the_way() -> None:
    """Between conflict and capitulation, the target moves the share |EU_j| / EU_i of the way."""
    pos = np.array([[20.0], [80.0], [45.0]])
    sal = np.array([[0.9], [0.5], [0.6]])
    cap = np.array([3.0, 1.0, 1.0])
    eu, _, _ = bargaining.eu_challenge(pos, sal, cap, 1.0, 1.0)
    new = bargaining.eu_round(pos, sal, cap)
    assert eu[0, 1, 0] > 0 and -eu[0, 1, 0] < eu[1, 0, 0] <= 0
    assert pos[1, 0] > new[1, 0] > pos[0, 0]


@pytest.mark.parametrize("runs", [1, 7, 50])
def test_replication_blocks_cover_every_replication_once(runs: int) -> None:
    """Blocks partition the replications in order, smaller ones for more actors."""
    for actors in (3, 12, 30):
        blocks = bargaining.replication_blocks(runs, actors)
        assert [i for b in blocks for i in range(runs)[b]] == list(range(runs))
    assert len(bargaining.replication_blocks(50, 30)) > len(bargaining.replication_blocks(50, 5))


@pytest.mark.parametrize("rule", sorted(bargaining.STOCHASTIC))
def test_replication_blocks_change_no_number(rule: Rule, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stochastic rules give bit-identical forecasts whether replications are computed
    all at once or a few at a time (the blocks only keep temporaries small)."""
    pos, sal, cap = table(40, actors=8, issues=2)
    monkeypatch.setattr(bargaining, "CACHE_BLOCK", 10**12)  # one block
    whole = run(rule, pos, sal, cap)
    monkeypatch.setattr(bargaining, "CACHE_BLOCK", 3 * 8**3 * 2)  # blocks of 3 replications
    assert len(bargaining.replication_blocks(RUNS, 8, 2)) > 1
    np.testing.assert_array_equal(run(rule, pos, sal, cap), whole)


@pytest.mark.parametrize("rule", sorted(bargaining.STOCHASTIC))
def test_actors_without_weight_are_left_out_without_changing_draws(
    rule: Rule, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stochastic rules skip actors with salience 0 in their contests, drawing everyone's
    random numbers first: the forecast is that of the full computation."""
    pos, sal, cap = table(41, actors=7, issues=2)
    sal[[1, 4]] = 0.0
    keep = bargaining.weighted_actors(sal, cap)
    assert keep is not None and list(keep) == [0, 2, 3, 5, 6]
    skipped = run(rule, pos, sal, cap)
    monkeypatch.setattr(bargaining, "weighted_actors", lambda s, c: None)
    np.testing.assert_allclose(skipped, run(rule, pos, sal, cap), rtol=0, atol=1e-9)


@pytest.mark.parametrize("actors", [2, 9, 30])
def test_compromise_by_accumulate_is_rules_compromise(actors: int) -> None:
    """The KTAB round's compromise gives the very numbers of `rules.compromise` (same additions in
    the same order), with replications in front and an issue nobody cares about."""
    g = np.random.default_rng(actors)
    pos = g.uniform(0, 100, (5, actors, 3))
    sal = g.uniform(0, 1, (actors, 3))
    cap = g.uniform(0.1, 4, actors)
    np.testing.assert_array_equal(
        bargaining.compromise(pos, sal, cap), rules.compromise(pos, sal, cap)
    )
    sal[:, 1] = 0.0
    np.testing.assert_array_equal(
        bargaining.compromise(pos, sal, cap), rules.compromise(pos, sal, cap)
    )


def test_stochastic_rules_need_a_generator() -> None:
    """Randomness never comes from global state: a stochastic rule without rng is refused."""
    pos, sal, cap = table(60)
    with pytest.raises(ValueError, match="is stochastic: pass a numpy Generator"):
        dispatch.forecast(Rule.KTAB, pos, sal, cap)


def test_same_seed_same_forecast() -> None:
    """Same table, seed and runs ⇒ identical forecasts for every rule."""
    pos, sal, cap = table(70)
    a = dispatch.forecast_all(pos, sal, cap, seed=3, runs=20, noise=0.1)
    b = dispatch.forecast_all(pos, sal, cap, seed=3, runs=20, noise=0.1)
    for rule in Rule:
        np.testing.assert_array_equal(a[rule], b[rule])


# ---------------------------------------------------------------- actor tables
def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "actor,capability,a_position,a_salience\nX,1,10,0.5\nY,2,90,0.5\n"


def test_example_table_loads() -> None:
    """The shipped example reads as 5 actors, 2 issues; DELTA takes no part in the tariff issue."""
    t = load_actor_table(EXAMPLE)
    assert t.actors == ("ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON")
    assert t.issues == ("tariff", "quota")
    assert not t.present[3, 0] and t.salience[3, 0] == 0.0
    assert t.descriptions[0].startswith("MADE-UP EXAMPLE")


def test_ktab_layout_with_scenario_line_and_0_100_saliences(tmp_path: Path) -> None:
    """KTAB's CSV (scenario line, Power column, alternating position/salience, trailing commas)
    reads like the named layout; saliences on 0–100 are divided by 100."""
    text = (
        "Toy,MADE-UP example,2,2,\n"
        "Actor,Description,Power,Pos tariff,Sal tariff,Position quota,Sal quota,\n"
        "X, made up, 100, 30, 40, 10, 80,\n"
        "Y, made up,  50, 70, 60, 90, 20,\n"
    )
    t = load_actor_table(write(tmp_path, text))
    assert t.issues == ("tariff", "quota")
    np.testing.assert_allclose(t.salience, [[0.4, 0.8], [0.6, 0.2]])
    np.testing.assert_allclose(t.capability, [100.0, 50.0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("who,capability,a_position,a_salience\nX,1,10,0.5\n",
         r"t.csv: header\[1\]: first column must be 'actor'; got 'who'"),
        ("actor,size,a_position,a_salience\nX,1,10,0.5\n",
         r"t.csv: header\[2\]: must be 'capability' \(or 'power'\); got 'size'"),
        ("actor,capability,a_position,b_salience\nX,1,10,0.5\n",
         r"t.csv: header.a_salience: each issue needs a position and a salience; got 'missing'"),
        ("actor,capability,a,b,c\nX,1,10,0.5,3\n",
         r"t.csv: header: issue columns must come in position, salience pairs; got 'c'"),
        (GOOD + "Z,1,10,140\n",
         r"t.csv: row 4.a_salience: must be in \[0, 1\] or \[0, 100\]; got 140.0"),
        (GOOD + "Z,1,101,0.5\n", r"t.csv: row 4.a_position: must be in \[0, 100\]; got 101.0"),
        (GOOD + "Z,abc,10,0.5\n", r"t.csv: row 4.capability: must be a number; got 'abc'"),
        (GOOD + "Z,-1,10,0.5\n", r"t.csv: row 4.capability: must be >= 0; got -1.0"),
        (GOOD + "X,1,10,0.5\n", r"t.csv: row 4.actor: must be unique; got 'X'"),
        (GOOD + "Z,1,10,\n", r"t.csv: row 4.a_salience: must be given; got ''"),
        (GOOD + "Z,1,10\n", r"t.csv: row 4: must have 4 cells like the header; got 3"),
        ("actor,capability,a_position,a_salience\nX,1,10,0\nY,0,90,0.5\n",
         r"t.csv: issue a: needs an actor with capability × salience > 0; got 'none'"),
    ],
)  # fmt: skip
def test_bad_tables_give_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    """Each broken rule is reported on one line naming file, row/column, rule and value."""
    with pytest.raises(ScenarioError, match=f"^{message}$"):
        load_actor_table(write(tmp_path, text))


def test_missing_table_file(tmp_path: Path) -> None:
    """A table that does not exist is bad input, not a crash."""
    with pytest.raises(ScenarioError, match=r"^nope.csv: <top>: file must exist"):
        load_actor_table(tmp_path / "nope.csv")


# ---------------------------------------------------------------- the forecast command
def test_forecast_command_prints_every_rule() -> None:
    """`summit forecast TABLE` prints one row per issue with the chosen rule's range and every
    rule's forecast side by side."""
    res = CliRunner().invoke(forecast_cmd, [str(EXAMPLE), "--runs", "20", "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "issue,fj,fj_p5,fj_p95,compromise,median,eu,ktab,challenge"
    assert [line.split(",")[0] for line in lines[1:]] == ["tariff", "quota"]


def test_forecast_command_bad_table_exits_2(tmp_path: Path) -> None:
    """A bad table exits with code 2 and its one-line message on stderr, without a traceback."""
    bad = write(tmp_path, GOOD + "Z,1,101,0.5\n")
    res = CliRunner().invoke(forecast_cmd, [str(bad)])
    assert res.exit_code == 2
    assert res.stderr.strip() == "t.csv: row 4.a_position: must be in [0, 100]; got 101.0"
    assert "Traceback" not in res.output
