"""Alliance strain as a weekly state with causes (docs/MODEL.md §9): each cause moves strain the
way the alliance-politics literature says, in paired runs (common random numbers, so the
difference is the cause's, not noise), and strain carries information beyond the summit flags.

Statistical checks use 4,000 paired replications and a fixed seed; each says what it protects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from model import load_scenario, simulate
from model.scenario import Scenario, parse_scenario
from model.sim import strain
from model.sim.cast import Cast
from model.sim.decision import Decision
from model.sim.negotiation import Negotiation
from model.sim.seeding import Streams, blocks_for
from model.sim.state import State

RUNS, SEED = 4000, 11


def _runs(scn: Scenario | str) -> pd.DataFrame:
    return simulate(scn, runs=RUNS, seed=SEED).runs


def _stage(R: int = 3) -> tuple[State, Cast]:
    scn = load_scenario("baseline-2024")
    cast = Cast.of(scn)
    return State.build(scn, cast, R, Streams(1, blocks_for(0, R))), cast


def _summit_week(s: State, cast: Cast, offer: np.ndarray) -> np.ndarray:
    """Shocks of a summit in every row that agrees on ``offer`` (one row per offer)."""
    R = offer.shape[0]
    n_allies = len(cast.allies[cast.engager])
    now = np.ones(R, dtype=bool)
    d = Decision(now, now, now, np.zeros((R, n_allies), dtype=bool))
    talks = Negotiation(now, np.arange(R), offer)
    support = np.full((R, n_allies), 0.5)
    stance = strain.stance_losses(s, cast)
    quality = strain.consult_quality(s, cast, stance)
    return strain.shocks(s, cast, support, d, talks, np.zeros(R), stance, np.zeros(R), quality)


def test_more_sanctions_relief_strains_washington_and_seoul_more() -> None:
    """Stage level: the same agreed deal with more sanctions relief shocks the US and ROK pairs
    more; a deal that moves only the abductees towards what the allies want shocks less."""
    s, cast = _stage(3)
    # offers (abductees, sanctions): status-quo-like, relief, the same relief plus abductees
    offer = np.array([[5.0, 0.0], [5.0, 60.0], [60.0, 60.0]])
    z = _summit_week(s, cast, offer)
    us_jpn, jpn_rok = cast.pair_ids.index(("US", "JPN")), cast.pair_ids.index(("JPN", "ROK"))
    for w in (us_jpn, jpn_rok):
        assert z[1, w] > z[0, w]  # relief beyond their positions: more strain
        assert z[2, w] < z[1, w]  # the abductees they also want: less


def test_consulted_allies_recover_faster() -> None:
    """Stage level: consultation quality speeds recovery of the (engager, ally) pair only."""
    s, cast = _stage(2)
    rok = cast.actor_ids.index("ROK")
    s.actor_param["consulted"][:, rok] = [0.0, 1.0]
    stance = strain.stance_losses(s, cast)
    repair = strain.recovery(s, cast, strain.consult_quality(s, cast, stance))
    jpn_rok, us_rok = cast.pair_ids.index(("JPN", "ROK")), cast.pair_ids.index(("US", "ROK"))
    assert repair[1, jpn_rok] > repair[0, jpn_rok]
    assert repair[1, us_rok] == pytest.approx(repair[0, us_rok])


def test_a_provocation_pulls_the_allies_together() -> None:
    """Stage level: threat from a launch (state.threat) adds to every pair's recovery, and fades
    with its half-life."""
    s, cast = _stage(2)
    s.threat[:] = [0.0, 0.8]
    stance = strain.stance_losses(s, cast)
    repair = strain.recovery(s, cast, strain.consult_quality(s, cast, stance))
    assert (repair[1] > repair[0]).all()
    strain.update(s, cast, np.zeros((2, 3)), repair, 0, strain.stance_losses(s, cast))
    assert s.threat[1] == pytest.approx(0.8 * 2 ** (-1 / 4.0))


def test_a_launch_shortly_before_means_less_strain() -> None:
    """Paired: the same runs with a DPRK launch in late April (before most summits) end with
    less alliance strain; nothing else about the runs differs (common random numbers)."""
    base = load_scenario("baseline-2024")
    raw = dict(base.raw)
    launch = {"id": "launch-before", "what": "a launch in late April",
              "date": dt.date(2024, 4, 25), "add": {"state.threat": 1.0}}  # fmt: skip
    raw["events"] = [*raw["events"], launch]
    with_launch = parse_scenario(raw, "launch.toml")
    a, b = _runs(base), _runs(with_launch)
    diff = b["strain"].to_numpy() - a["strain"].to_numpy()
    assert diff.mean() < 0 and diff.mean() + 2 * diff.std() / np.sqrt(RUNS) < 0
    assert (b["strain"] <= a["strain"] + 1e-12).mean() > 0.95  # almost every run, not a few


def test_consultation_means_less_strain() -> None:
    """Paired: Seoul fully consulted from the start (its channel kept open) strains the alliance
    less than the baseline, run by run on average."""
    base = load_scenario("baseline-2024")
    consulted = base.with_values({"actors.ROK.consulted": 1.0})
    raw = dict(consulted.raw)
    raw["events"] = [e for e in raw["events"] if e["id"] != "seoul-meeting-cancelled"]
    consulted = parse_scenario(raw, "consulted.toml")
    a, b = _runs(base), _runs(consulted)
    assert b["strain_jpn_rok"].mean() < a["strain_jpn_rok"].mean()
    assert b["strain"].mean() < a["strain"].mean()


def test_more_relief_in_the_deal_strains_the_allies_more_in_the_model() -> None:
    """Paired, whole model: a Tokyo readier to give sanctions relief (its sanctions position
    higher) reaches deals with more relief, and its US and ROK pairs strain more."""
    base = load_scenario("baseline-2024")
    generous = base.with_values({"actors.JPN.position.sanctions": 45})
    a, b = _runs(base), _runs(generous)
    agreed = a["agreement"] & b["agreement"]
    assert agreed.sum() > 100
    assert b.loc[agreed, "sanctions"].mean() > a.loc[agreed, "sanctions"].mean()
    for col in ("strain_us_jpn", "strain_jpn_rok"):
        assert b.loc[agreed, col].mean() > a.loc[agreed, col].mean()


def test_strain_carries_information_beyond_the_summit_flags() -> None:
    """The acceptance measures of issue 11 on 20,000 baseline runs: strain is not a copy of the
    summit and bypass flags, high strain, bypass and wedge are different runs, and strain varies
    inside every cell of (summit × bypassed)."""
    r = simulate("baseline-2024", runs=20000, seed=5).runs
    s, b = r["summit"].to_numpy(float), r["seoul_bypassed"].to_numpy(float)
    x = np.column_stack([np.ones(len(r)), s, b, s * b])
    y = r["strain"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    r2 = 1 - (y - x @ beta).var() / y.var()
    assert r2 < 0.8

    def jaccard(u: str, v: str) -> float:
        a, c = r[u].to_numpy(bool), r[v].to_numpy(bool)
        return float((a & c).sum() / max((a | c).sum(), 1))

    for u, v in (("high_strain", "seoul_bypassed"), ("high_strain", "wedge"),
                 ("seoul_bypassed", "wedge")):  # fmt: skip
        assert jaccard(u, v) < 0.8
    cells = r.groupby(["summit", "seoul_bypassed"])["strain"].agg(["count", "std"])
    assert (cells.loc[cells["count"] >= 100, "std"] >= 0.02).all()


def test_koizumi_strain_varies_across_runs() -> None:
    """The past episode's strain is no longer one number in every run."""
    r = simulate("koizumi-2002", runs=2000, seed=5).runs
    assert r["strain"].std() > 0.01


def test_strain_path_and_horizon_columns() -> None:
    """The strain path every 4 weeks ends at the horizon value; weeks above the high threshold
    are counted; the horizon value never exceeds the peak."""
    r = simulate("baseline-2024", runs=1000, seed=3).runs
    assert np.allclose(r["strain_w52"], r["strain_end"], atol=1e-6)
    assert (r["strain_end"] <= r["strain"] + 1e-12).all()
    assert ((r["weeks_high_strain"] > 0) == r["high_strain"]).all()
    for pair in ("us_jpn", "jpn_rok", "us_rok"):
        assert (r[f"strain_end_{pair}"] <= r[f"strain_{pair}"] + 1e-12).all()
