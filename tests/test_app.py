"""Mesa's visualisation: the app module builds a SolaraViz page on the same SummitModel, its
parameters are ones the model accepts (Mesa checks them against SummitModel.__init__), and the
charts show what an analyst asks for. tests/test_browser.py opens the page in a real browser."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("solara")


def test_app_builds_a_solara_page_on_summit_model() -> None:
    """Importing model.app builds the page; the plotted reporters exist on the model."""
    from mesa.visualization.solara_viz import _check_model_params

    from model import app
    from model.sim.summit import SummitModel

    assert callable(app.Page)
    _check_model_params(SummitModel.__init__, app.model_params)
    for source in app.model_params["source"]["values"]:  # every choice builds a model
        SummitModel(source)
    m = app.new_model()
    assert type(m) is SummitModel and app.new_model() is not m  # one per browser session
    for _ in range(5):
        m.step()
    frame = m.datacollector.get_model_vars_dataframe()
    assert {"momentum", "strain_index", "summit", "agreement", "strain"} <= set(frame.columns)
    assert len(frame) == 6  # set-up plus one row a week (R <= 16)


def test_the_view_records_pairs_and_positions_every_week_with_dates() -> None:
    from model import viz
    from model.sim.summit import SummitModel

    m = viz.watch(SummitModel("baseline-2024", rng=3))
    viz.watch(m)  # idempotent
    for _ in range(4):
        m.step()
    frame = viz.record(m)
    start = m.spec_.spec.meta.start
    assert list(frame.index.date) == [start + dt.timedelta(weeks=w) for w in range(5)]
    pairs = [c for c in frame.columns if c.startswith("Strain ")]
    names = ["United States–Japan", "Japan–South Korea", "United States–South Korea"]
    assert pairs == [f"Strain {n}" for n in names]
    assert frame[pairs].iloc[-1].tolist() == m.state.strain_pairs[0].tolist()
    jpn, abductees = m.actor_ids.index("JPN"), m.issue_ids.index("abductees")
    assert frame["Position JPN on abductees"].iloc[-1] == m.state.pos[0, jpn, abductees]
    assert not frame.isna().any().any()  # watched from set-up: every week has every series


def test_p_summit_by_date_is_the_batch_of_the_cli_with_wilson_intervals() -> None:
    from model import simulate, viz
    from model.scenario import load_scenario

    scn = load_scenario("baseline-2024")
    frame = viz.summit_by_date(scn, runs=500, seed=7)
    assert len(frame) == scn.weeks
    assert frame.index[-1].date() == scn.spec.meta.start + dt.timedelta(weeks=scn.weeks)
    assert np.all(np.diff(frame["p"]) >= 0)  # by date: never decreases
    eps = 1e-12  # the Wilson bounds at 0 successes are 0 up to rounding
    assert np.all((frame["lo"] <= frame["p"] + eps) & (frame["p"] <= frame["hi"] + eps))
    summary = simulate(scn, runs=500, seed=7).summary.iloc[0]
    last = frame.iloc[-1]
    assert last["p"] == pytest.approx(summary["p_summit"])
    interval = (summary["p_summit_lo"], summary["p_summit_hi"])
    assert (last["lo"], last["hi"]) == pytest.approx(interval)
    # the chart dates the last value by the week's last day, as `summit table --timeline` does
    # (it said "by 14 Mar 2025" where the table says 2025-03-13)
    fig = viz.summit_by_date_figure(scn, frame, 500, 7)
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("by ")]
    end = scn.spec.meta.start + dt.timedelta(weeks=scn.weeks) - dt.timedelta(days=1)
    assert len(labels) == 1 and labels[0].startswith(f"by {end:%d %b %Y}:"), labels


def test_charts_use_dates_readable_labels_and_mark_the_events() -> None:
    import matplotlib.dates as mdates

    from model import viz
    from model.sim.summit import SummitModel

    m = viz.watch(SummitModel("baseline-2024", rng=3)).run()  # this run holds a summit
    assert bool(m.state.summit[0])
    scn = m.spec_
    batch = viz.summit_by_date(scn, runs=200)
    figures = [
        viz.preparation_figure(m),
        viz.strain_figure(m),
        viz.position_figure(m, "abductees"),
        viz.summit_by_date_figure(scn, batch, 200, 1),
    ]
    dated = [e for e in scn.spec.events if e.date is not None]
    for fig in figures:
        ax = fig.axes[0]
        lo, hi = (mdates.num2date(x).date() for x in ax.get_xlim())
        assert (lo, hi) == (scn.spec.meta.start, viz.week_start(scn, scn.weeks))
        xs = {
            pd.Timestamp(x[0]).date() for x in (ln.get_xdata() for ln in ax.get_lines()) if len(x)
        }
        assert {e.date for e in dated} <= xs  # every dated event is marked
        legend = ax.get_legend()
        labels = [t.get_text() for t in legend.get_texts()] if legend else []
        assert not [s for s in labels if "_" in s]  # no raw reporter names
    texts = [t.get_text() for t in figures[0].axes[0].texts]
    assert any(t.startswith(" summit") for t in texts)
    assert {e.id for e in dated} <= {t.strip() for t in texts}


def test_the_pages_run_is_the_run_summit_explain_tells() -> None:
    """The page's run is replication 0 of its seed box's seed, the run `summit explain --seed S`
    tells; the box hands the seed over as text. (Mesa's rng= derived another seed from it.)"""
    from model import app
    from model.analysis.explain import explain
    from model.batch import DEFAULT_SEED
    from model.scenario import load_scenario
    from model.sim.summit import SummitModel

    page = app.new_model().run().outcomes()
    typed = SummitModel("baseline-2024", root_seed=app.model_params["root_seed"]["value"])
    assert typed.run().outcomes()["strain"][0] == page["strain"][0]
    told = explain(load_scenario("baseline-2024"), DEFAULT_SEED)
    last = told.splitlines()[-1]
    assert f"Peak strain: index {page['strain'][0]:.3f}," in last
    assert ("no summit within the horizon" in last) == (not page["summit"][0])


def _hidden_by_legend(fig: Any) -> int:
    """How many plotted points of the figure's chart sit under its legend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    hidden = 0
    for line in ax.get_lines():
        xy = line.get_xydata()
        if len(xy) < 3:  # event markers and the threshold: not data
            continue
        x, y = ax.transData.transform(xy).T
        hidden += int(np.sum((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)))
    return hidden


def test_legends_hide_no_data() -> None:
    """The legends sat at a fixed spot and hid the JPN–ROK line (seoul-sidelined, seed 1: 8
    points) and the P(summit) curve (baseline: 12 points); placed where they hide the fewest,
    they hide none in these runs."""
    from model import viz
    from model.scenario import load_scenario
    from model.sim.summit import SummitModel

    run = viz.watch(SummitModel("seoul-sidelined", root_seed=1)).run()
    assert _hidden_by_legend(viz.strain_figure(run)) == 0
    scn = load_scenario("baseline-2024")
    frame = viz.summit_by_date(scn, runs=300, seed=20240315)
    assert _hidden_by_legend(viz.summit_by_date_figure(scn, frame, 300, 20240315)) == 0
