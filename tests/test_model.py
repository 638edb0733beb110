"""SummitModel: reproducibility contract, Mesa conventions, outcome invariants, event timing."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from model.scenario import load_scenario
from model.sim.assessment import relief
from model.sim.influence import susceptibility
from model.sim.seeding import (
    AHEAD_WEEKS,
    BLOCK,
    CONTESTS,
    SIGNALS,
    Block,
    Streams,
    blocks_for,
)
from model.sim.summit import SummitModel

CONTRACT_COLUMNS = [
    "point",
    "replication",
    "summit",
    "summit_week",
    "agreement",
    "abductees",
    "sanctions",
    "strain",
    "strain_max",
    "strain_us_jpn",
    "strain_jpn_rok",
    "strain_us_rok",
    "seoul_bypassed",
    "wedge",
]  # the run columns' contract for the baseline (docs/ARCHITECTURE.md)


def _run(
    source: object = "baseline-2024", n: int = 500, seed: int = 7, **kw: object
) -> pd.DataFrame:
    m = SummitModel(source, blocks=blocks_for(0, n), root_seed=seed, **kw)  # type: ignore[arg-type]
    return pd.DataFrame(m.run().outcomes())


def test_same_seed_same_frame_and_other_seed_differs() -> None:
    """Same command + same seed ⇒ identical rows; another seed gives other rows."""
    a, b = _run(seed=7), _run(seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = _run(seed=8)
    assert not a["summit_week"].equals(c["summit_week"])


def test_stream_depends_only_on_point_and_replication() -> None:
    """Replication j gets the same numbers whether run alone, in a partial block, or inside a
    large chunk together with another point (the seeding contract, docs/ARCHITECTURE.md)."""
    big = SummitModel(
        "baseline-2024",
        blocks=[Block(0, 0, BLOCK), Block(3, 0, BLOCK), Block(0, 1, BLOCK)],
        root_seed=11,
    )
    big_df = pd.DataFrame(big.run().outcomes())
    small = pd.DataFrame(
        SummitModel("baseline-2024", blocks=[Block(0, 1, 40)], root_seed=11).run().outcomes()
    )
    from_big = big_df[(big_df.point == 0) & (big_df.replication >= BLOCK)].head(40)
    pd.testing.assert_frame_equal(from_big.reset_index(drop=True), small)
    # point 3 has its own stream, different from point 0's
    p3 = big_df[big_df.point == 3]["summit_week"].to_numpy()
    p0 = big_df[(big_df.point == 0) & (big_df.replication < BLOCK)]["summit_week"].to_numpy()
    assert not np.array_equal(p3, p0, equal_nan=True)


def test_draws_made_weeks_ahead_are_the_weekly_draws() -> None:
    """Streams draw several weeks at a time; week w's numbers must be what a fresh generator
    of the block gives on its w-th draw of (BLOCK, *tail), for full and partial blocks, past the
    look-ahead, and for a purpose too large to draw ahead (the challenge rule's contests)."""
    blocks = [Block(0, 0, BLOCK), Block(2, 5, 17)]
    streams = Streams(9, blocks)
    weeks = AHEAD_WEEKS + 3
    got = [streams.normal(SIGNALS, 2) for _ in range(weeks)]
    big_tail = (40, 40, 3)  # 10⁶ numbers a week: more than the look-ahead allows
    big = [streams.uniform(CONTESTS, *big_tail) for _ in range(2)]
    for b, lo, hi in ((blocks[0], 0, BLOCK), (blocks[1], BLOCK, BLOCK + 17)):

        def fresh(purpose: int, b: Block = b) -> np.random.Generator:
            key = (b.point, b.block, purpose)
            return np.random.default_rng(np.random.SeedSequence(9, spawn_key=key))

        g = fresh(SIGNALS)
        for w in range(weeks):
            want = g.standard_normal((BLOCK, 2))[: hi - lo]
            assert np.array_equal(got[w][lo:hi], want)
        g = fresh(CONTESTS)
        for w in range(2):
            assert np.array_equal(big[w][lo:hi], g.random((BLOCK, *big_tail))[: hi - lo])
    with pytest.raises(RuntimeError):
        streams.uniform(SIGNALS, 2)  # a purpose draws one kind of numbers


def test_common_random_numbers_across_scenarios() -> None:
    """A change that cannot affect the dynamics (an outcome threshold) leaves every run
    identical: scenarios share random streams, so `compare` may pair runs."""
    scn = load_scenario("baseline-2024")
    a = _run(scn, seed=5)
    b = _run(scn.with_values({"thresholds.high_strain": 0.9}), seed=5)
    for col in ("summit", "summit_week", "agreement", "strain", "offer_abductees"):
        pd.testing.assert_series_equal(a[col], b[col])
    assert a["high_strain"].sum() >= b["high_strain"].sum()


def test_outcome_invariants() -> None:
    """Contract columns exist; strains in [0, 1]; agreed values only with an agreement;
    an agreement only after a summit; summit_week set iff a summit happened."""
    df = _run(n=2000)
    assert list(df.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    for c in ("strain", "strain_max", "strain_us_jpn", "strain_jpn_rok", "strain_us_rok"):
        assert df[c].between(0, 1).all()
    assert (df["strain_max"] >= df["strain"] - 1e-12).all()
    assert not (df["agreement"] & ~df["summit"]).any()
    assert (df["summit_week"].notna() == df["summit"]).all()
    assert (df["abductees"].notna() == df["agreement"]).all()
    assert (df["wedge"] <= df["summit"]).all()
    assert df["summit"].any() and (~df["summit"]).any()


def test_runs_under_mesa_batch_run() -> None:
    """The same class runs under mesa.batch_run, one replication per run, seeded by rng=."""
    rows = mesa.batch_run(
        SummitModel,
        parameters={"source": "baseline-2024"},
        rng=[1, 2, 3, 4],
        max_steps=100,
        display_progress=False,
    )
    assert len(rows) == 4
    # the reporters carry the run columns' names, so a batch_run row reads like a run row
    assert {"summit", "agreement", "strain", "momentum", "strain_index"} <= set(rows[0])
    assert all(r["Step"] == 52 for r in rows)
    # a batch_run row is exactly the run SummitModel(rng=seed) gives directly
    direct = SummitModel("baseline-2024", rng=3).run()
    row = next(r for r in rows if r["iteration"] == 2)
    assert row["strain"] == pytest.approx(float(direct.state.strain_peak[0]))
    assert row["summit"] == float(direct.outcomes()["summit"][0])


def test_agents_are_mesa_agents_with_replication_state() -> None:
    """Each actor is one mesa.Agent whose state has a leading replication axis."""
    m = SummitModel("baseline-2024", replications=300, root_seed=1)
    assert len(m.agents) == 7
    jpn = m.by_id["JPN"]
    assert isinstance(jpn, mesa.Agent)
    assert jpn.position.shape == (300, 3)
    jpn.position[:, 0] = 50.0  # a view: writing through the agent writes the model's array
    assert (m.state.pos[:, jpn.index, 0] == 50.0).all()


def test_dated_events_fire_in_their_week() -> None:
    """Seoul's channel closes in week 0 and reopens in the week of 17 April 2024 (week 4)."""
    m = SummitModel("baseline-2024", replications=10, root_seed=1)
    rok = m.by_id["ROK"]
    m.step()
    assert (rok.param("consult_open") == 0).all()
    for _ in range(3):
        m.step()
    assert (rok.param("consult_open") == 0).all()
    m.step()  # week 4 starts on 2024-04-12; the event is dated 2024-04-17
    assert (rok.param("consult_open") == 1).all()


def test_hazard_events_fire_at_their_rate() -> None:
    """A hazard event with weekly probability h fires about h·weeks times per run."""
    scn = load_scenario("baseline-2024")
    m = SummitModel(scn, replications=4000, root_seed=2)
    launches = np.zeros(4000)
    e = [ev.id for ev in m.events].index("dprk-launch")
    while m.running:
        before = m.state.fired[:, e].copy()
        m.step()
        launches += m.state.fired[:, e] & ~before  # first firings only; count the flag instead
    # 'once = false' → fires repeatedly; the flag marks whether it ever fired: 1 − (1 − h)^52
    expected = 1 - (1 - 0.12) ** 52
    assert m.state.fired[:, e].mean() == pytest.approx(expected, abs=0.01)


def test_patron_backing_makes_the_counterpart_harder_to_move() -> None:
    """Reduced isolation lowers North Korea's susceptibility (÷ (1 + β_S B))."""
    scn = load_scenario("baseline-2024")
    weak = SummitModel(scn.with_values({"actors.RUS.backing": 0, "actors.CHN.backing": 0}))
    strong = SummitModel(scn)
    k = weak.by_id["PRK"].index
    lam_strong = susceptibility(strong.state, strong.cast)
    assert lam_strong[0, k] < susceptibility(weak.state, weak.cast)[0, k]
    assert relief(strong.state, strong.cast, k)[0] == pytest.approx(1 - 0.6 * 0.4)


def test_overrides_are_range_checked_and_initial_momentum_is_sweepable() -> None:
    """Per-row overrides obey the same bounds as files; model.initial_momentum takes effect."""
    from model.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"actors\.ROK\.tolerance: must be > 0; got 0\.0"):
        SummitModel("baseline-2024", replications=3, overrides={"actors.ROK.tolerance": 0.0})
    m = SummitModel("baseline-2024", replications=3, overrides={"model.initial_momentum": 0.9})
    assert (m.state.momentum == 0.9).all()


def test_wedge_is_a_split_won_by_the_summit_track() -> None:
    """A wedge: after a summit, coordination ends wedge_margin points below its status quo, or
    an agreed deal lies outside an ally's win-set (docs/MODEL.md §9.4), and nothing else."""
    df = _run(n=3000)
    split = (df["coordination_end"] < 80 - 5) | df["deal_beyond_ally"]
    assert (df["wedge"] == (df["summit"] & split)).all()
    assert df["wedge"].any() and (df["wedge"] < df["summit"]).any()


def test_alliances_that_weigh_nothing_count_as_no_allies_for_coordination() -> None:
    """Relation weights of 0 on all the engager's alliances make every ally's share 0 (MODEL.md
    §4). The coordination that scales preparation (§5) then counts as for an engager without
    allies (1), not as never consulted (0): that made P(summit) collapse from 0.57 at weight 1e-9
    to 0.08 at weight 0 (2,000 runs over the judgement worlds). Protects what an analyst
    sweeping a weight down to 0 expects: alliances that matter less never make a summit much
    less likely (3,000 runs each, common seeds)."""
    from model.sim.signals import coordination

    zero = {"relations.US-JPN.weight": 0.0, "relations.JPN-ROK.weight": 0.0}
    m = SummitModel("baseline-2024", blocks=blocks_for(0, 250), root_seed=1, overrides=zero)
    assert (coordination(m.state, m.cast) == 1.0).all()
    tiny = {path: 1e-9 for path in zero}
    p_zero = _run(n=3000, overrides=zero)["summit"].mean()
    p_tiny = _run(n=3000, overrides=tiny)["summit"].mean()
    assert p_zero >= p_tiny - 0.02, (p_zero, p_tiny)


@pytest.mark.parametrize("rule", ["compromise", "challenge"])
def test_every_parameter_can_vary_by_row(rule: str) -> None:
    """Any number can differ per replication (sweep points share chunks): give every dotted path
    two values across the rows and run; a shape bug in any rule would raise or give NaN."""
    scn = load_scenario("baseline-2024")
    overrides: dict[str, object] = {"model.rule": rule}
    for path, value in scn.values().items():
        b = scn.bounds(path)
        other = value * 0.9 if value * 0.9 >= b.lo and not (b.lo_open and value == 0) else value
        if b.integer:
            other = max(b.lo, value - 1)
        overrides[path] = np.where(np.arange(500) % 2 == 0, value, other)
    m = SummitModel(scn, blocks=blocks_for(0, 500), root_seed=1, overrides=overrides)
    df = pd.DataFrame(m.run().outcomes())
    assert df["strain"].between(0, 1).all() and np.isfinite(df["gain0_jpn"]).all()


def test_week_caches_follow_every_event_write(tmp_path: Path) -> None:
    """What the week caches keep (influence weights c·s, static ties, the tie pattern,
    patrons' relief, alliance shares) equals a fresh computation every week of a run in which
    events write saliences, backing, alliance weights and capabilities in some rows."""
    from model.sim import influence
    from model.sim.assessment import ally_shares

    variant = tmp_path / "shaken.toml"
    variant.write_text(
        'base = "baseline-2024"\n[meta]\nname = "shaken"\ntitle = "t"\ndescription = "d"\n'
        + "".join(
            f'[[events]]\nid = "e{i}"\nwhat = "w"\nhazard = 0.02\nadd = {{ "{path}" = {d} }}\n'
            for i, (path, d) in enumerate(
                [
                    ("actors.CHN.backing", 0.2),
                    ("relations.JPN-ROK.weight", -0.3),
                    ("actors.US.capability", 0.5),
                    ("actors.ROK.salience.alliance", -0.2),
                ]
            )
        )
    )
    m = SummitModel(load_scenario(variant), blocks=blocks_for(0, 1000), root_seed=5)
    s, cast = m.state, m.cast
    while m.running:
        m.step()
        if s.cache.weights is not None and not s.cache.stale_weights:
            assert np.array_equal(s.cache.weights, s.cap[:, :, None] * s.sal)
        if s.cache.static_ties is not None:
            fresh = influence.static_ties(s, cast)
            assert np.array_equal(s.cache.static_ties, fresh)
            assert s.cache.tied == influence.tie_pattern(fresh, cast)
        for p, cached in list(s.cache.relief.items()):
            s.cache.relief.pop(p)
            assert np.array_equal(cached, relief(s, cast, p))
        for p, cached in list(s.cache.shares.items()):
            s.cache.shares.pop(p)
            assert np.array_equal(cached, ally_shares(s, cast, p))
    ids = [e.id for e in m.events]
    fired = s.fired.sum(axis=0)
    assert all(fired[ids.index(f"e{i}")] > 100 for i in range(4))  # every write happened
