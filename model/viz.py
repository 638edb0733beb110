"""What the browser view (model/app.py) draws, as plain functions and small Solara components.

One run, week by week: summit preparation, alliance strain per pair, and every actor's position on
each issue. A batch: P(summit by date) over N replications with its 95% interval. Every x
axis is a calendar date (week w starts ``start + 7w`` days), the scenario's dated events are
marked on it, and every series has a readable label.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from model import simulate
from model.batch import DEFAULT_SEED
from model.results.bands import clustered_ci
from model.results.stats import wilson
from model.scenario import Scenario
from model.sim.summit import SummitModel

SIZE = (4.8, 3.6)  # inches at 100 dpi: fits one card of Mesa's grid (half the page's width)
# a dot on the week the run has reached
NOW: dict[str, Any] = {"marker": "o", "markevery": [-1], "ms": 3}
# Mesa grid cards have a fixed size: a chart shrinks with a narrow window rather than overflow
CSS = ".summit-chart img { max-width: 100%; height: auto; }"
EVENT = "#7f7f7f"
SUMMIT = "#2ca02c"


# ------------------------------------------------------------------ names and dates
def week_start(scn: Scenario, week: float) -> dt.date:
    """The first day of week ``week`` (0 = the scenario's start)."""
    return scn.spec.meta.start + dt.timedelta(weeks=float(week))


def actor_label(scn: Scenario, actor_id: str) -> str:
    """A short readable name: "Japan (Kishida government)" -> "Japan"."""
    return textwrap.shorten(scn.spec.actors[actor_id].name.split(" (")[0], 18, placeholder="…")


def pair_label(scn: Scenario, pair: tuple[str, str]) -> str:
    return "–".join(actor_label(scn, a) for a in pair)


def _pair_column(scn: Scenario, w: int) -> str:
    return "Strain " + pair_label(scn, tuple(scn.spec.relations[w].pair))  # type: ignore[arg-type]


def _position_column(actor_id: str, issue_id: str) -> str:
    return f"Position {actor_id} on {issue_id}"


# ------------------------------------------------------------------ one run's record
def watch(model: SummitModel) -> SummitModel:
    """Add the view's series (strain per alliance pair, each actor's position on each issue) to
    the model's own DataCollector, so that they are recorded every week like its other reporters.

    Idempotent. Call it before the first step: rows collected earlier have no value for the new
    series (NaN), only the row of the current week does."""
    dc = model.datacollector
    scn = model.spec_
    reporters: dict[str, Any] = {}
    for w in range(len(model.cast.pairs)):
        reporters[_pair_column(scn, w)] = lambda m, w=w: float(m.state.strain_pairs[0, w])
    for a, actor_id in enumerate(model.actor_ids):
        for k, issue_id in enumerate(model.issue_ids):
            reporters[_position_column(actor_id, issue_id)] = lambda m, a=a, k=k: float(
                m.state.pos[0, a, k]
            )
    rows = len(dc.model_vars["momentum"])
    for name, report in reporters.items():
        if name not in dc.model_reporters:
            dc.model_reporters[name] = report
            dc.model_vars[name] = [np.nan] * (rows - 1) + [report(model)]
    return model


def record(model: SummitModel) -> pd.DataFrame:
    """The run so far, one row a week, indexed by the week's first day."""
    frame = watch(model).datacollector.get_model_vars_dataframe()
    frame.index = pd.DatetimeIndex([week_start(model.spec_, w) for w in range(len(frame))])
    return frame


# ------------------------------------------------------------------ a batch
def summit_by_date(scn: Scenario, runs: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """P(a summit has been held by each week's end) over ``runs`` replications, with the 95%
    interval (Wilson; clustered by world when the scenario has ranges); the same runs (and
    numbers) as ``summit run --runs N --seed S``."""
    weeks = scn.spec.meta.weeks
    rows = simulate(scn, runs=runs, seed=seed).runs
    summit_week = rows["summit_week"].to_numpy()
    held = np.array([np.sum(summit_week <= w) for w in range(weeks)])  # NaN (no summit) is never <=
    if "world" in rows.columns:  # runs of a world share its parameters (docs/MODEL.md §12)
        world = rows["world"].to_numpy(np.int64)
        bounds = [clustered_ci(summit_week <= w, world) for w in range(weeks)]
    else:
        bounds = [wilson(float(k), runs) for k in held]
    lo, hi = zip(*bounds, strict=True)
    ends = [week_start(scn, w + 1) for w in range(weeks)]
    return pd.DataFrame({"p": held / runs, "lo": lo, "hi": hi}, index=pd.DatetimeIndex(ends))


# ------------------------------------------------------------------ figures
def _axes(
    scn: Scenario, title: str, height: float = SIZE[1], bottom: float = 0.6
) -> tuple[Figure, Axes]:
    """A date axis over the scenario's horizon. Margins are fixed (in inches): a layout engine
    would double the time it takes to draw, and the charts are redrawn after every week."""
    w, h = SIZE[0], height
    fig = Figure(figsize=(w, h), dpi=100)
    fig.subplots_adjust(left=0.65 / w, right=1 - 0.15 / w, top=1 - 0.35 / h, bottom=bottom / h)
    ax = fig.subplots()
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlim(week_start(scn, 0), week_start(scn, scn.spec.meta.weeks))  # type: ignore[arg-type]
    locator = mdates.AutoDateLocator(maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.25)
    return fig, ax


def mark_events(ax: Axes, scn: Scenario, labels: bool = True) -> None:
    """Dated events as dotted lines (labelled with their id), windows of chance events shaded;
    chance events without a window may fire in any week and are not marked."""
    for ev in scn.spec.events:
        if ev.date is not None:
            ax.axvline(ev.date, color=EVENT, lw=0.8, ls=":", zorder=0)  # type: ignore[arg-type]
            if labels:
                ax.text(
                    ev.date,  # type: ignore[arg-type]
                    0.98,
                    " " + ev.id,
                    transform=ax.get_xaxis_transform(),
                    rotation=90,
                    va="top",
                    ha="left",
                    fontsize=6.5,
                    color=EVENT,
                )
        elif ev.window is not None:
            lo, hi = ev.window
            ax.axvspan(lo, hi, color=EVENT, alpha=0.08, lw=0)  # type: ignore[arg-type]


def _mark_summit(ax: Axes, model: SummitModel) -> None:
    if bool(model.state.summit[0]):
        when = week_start(model.spec_, float(model.state.summit_week[0]))
        deal = "agreement" if bool(model.state.agreement[0]) else "no agreement"
        ax.axvline(when, color=SUMMIT, lw=1.5)  # type: ignore[arg-type]
        ax.text(
            when,  # type: ignore[arg-type]
            0.98,
            f" summit {when:%d %b}:\n {deal}",
            transform=ax.get_xaxis_transform(),
            va="top",
            fontsize=7.5,
            color=SUMMIT,
        )


def preparation_figure(model: SummitModel) -> Figure:
    scn, frame = model.spec_, record(model)
    fig, ax = _axes(scn, "One run: summit preparation")
    ax.plot(frame.index, frame["momentum"], **NOW)
    threshold = scn.spec.model.prep_threshold
    ax.axhline(threshold, color="tab:blue", ls="--", lw=0.8)
    label = "needed for a summit "
    ax.text(0.99, threshold, label, transform=ax.get_yaxis_transform(), ha="right", fontsize=7)
    mark_events(ax, scn)
    _mark_summit(ax, model)
    ax.set_ylim(0, 1)
    ax.set_ylabel("preparation (momentum, 0–1)", fontsize=8)
    return fig


def strain_figure(model: SummitModel) -> Figure:
    scn, frame = model.spec_, record(model)
    fig, ax = _axes(scn, "One run: alliance strain by pair")
    for w in range(len(model.cast.pairs)):
        name = _pair_column(scn, w)
        ax.plot(frame.index, frame[name], label=name.removeprefix("Strain "), **NOW)
    ax.plot(frame.index, frame["strain_index"], color="k", ls="--", lw=1, label="Mean of the pairs")
    mark_events(ax, scn)
    _mark_summit(ax, model)
    pairs = frame[[_pair_column(scn, w) for w in range(len(model.cast.pairs))]].to_numpy()
    ax.set_ylim(0, max(0.3, float(np.nanmax(pairs, initial=0.0)) * 1.3))
    ax.set_ylabel("strain (0 none – 1 breaking point)", fontsize=8)
    ax.legend(fontsize=7, loc="best")  # where it hides the fewest points: a fixed spot hid lines
    return fig


def position_figure(model: SummitModel, issue_id: str) -> Figure:
    scn, frame = model.spec_, record(model)
    issue = scn.spec.issues[issue_id]
    fig, ax = _axes(scn, "One run: positions on the issue", height=3.15, bottom=0.85)
    for actor_id in model.actor_ids:
        col = frame[_position_column(actor_id, issue_id)]
        ax.plot(frame.index, col, label=actor_label(scn, actor_id), **NOW)
    mark_events(ax, scn, labels=False)
    ax.set_ylim(-2, 102)
    for y, end, va in ((100, issue.high, "top"), (0, issue.low, "bottom")):
        text = textwrap.shorten(f"{y}: {end}", 70, placeholder="…")
        ax.text(0.01, y, text, transform=ax.get_yaxis_transform(), fontsize=6.5, va=va)
    ax.set_ylabel("position (0–100)", fontsize=8)
    ax.legend(fontsize=6.5, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    return fig


def summit_by_date_figure(scn: Scenario, frame: pd.DataFrame, runs: int, seed: int) -> Figure:
    fig, ax = _axes(scn, height=3.1, title=f"P(summit by date): {runs:,} runs of {scn.name}")
    ax.fill_between(frame.index, frame["lo"], frame["hi"], step="pre", color=SUMMIT, alpha=0.25)
    ax.step(frame.index, frame["p"], where="pre", color=SUMMIT, label="P(summit held by date)")
    ax.plot([], [], color=SUMMIT, alpha=0.25, lw=6, label="95% interval")
    mark_events(ax, scn)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability", fontsize=8)
    last = frame.iloc[-1]
    ax.text(
        0.99,
        0.03,
        # the week's last day, as `summit table --timeline` dates it (the index is the next
        # week's first day: "by 14 Mar" beside the table's "2025-03-13" for the same number)
        f"by {frame.index[-1] - pd.Timedelta(days=1):%d %b %Y}: {last['p']:.2f} "
        f"({last['lo']:.2f}–{last['hi']:.2f})"
        f"\nseed {seed}",
        transform=ax.transAxes,
        ha="right",
        fontsize=7.5,
    )
    ax.legend(fontsize=7, loc="best")  # where it hides the fewest points: a fixed spot hid lines
    return fig


# ------------------------------------------------------------------ Solara components
@solara.component
def Chart(figure: Figure, name: str) -> None:
    """A figure as a PNG; the class lets a browser (and the test) find it."""
    solara.Style(CSS)
    solara.Div(
        classes=["summit-chart", f"summit-chart-{name}"],
        children=[solara.FigureMatplotlib(figure, format="png")],
    )


@solara.component
def Preparation(model: SummitModel) -> None:
    update_counter.get()  # redrawn after every step (Mesa's signal)
    Chart(preparation_figure(model), "preparation")


@solara.component
def Strain(model: SummitModel) -> None:
    update_counter.get()
    Chart(strain_figure(model), "strain")


@solara.component
def Positions(model: SummitModel) -> None:
    """Every actor's position on one issue, chosen from the scenario's issues."""
    update_counter.get()
    issues = model.spec_.spec.issues
    by_label = {issue.label: issue_id for issue_id, issue in issues.items()}
    chosen = solara.use_reactive(next(iter(by_label)))
    label = chosen.value if chosen.value in by_label else next(iter(by_label))
    solara.Select("Issue", values=list(by_label), value=label, on_value=chosen.set)
    Chart(position_figure(model, by_label[label]), "positions")


@solara.component
def Batch(model: SummitModel) -> None:
    """N replications of the scenario being viewed, run from the page: P(summit by date)."""
    scn = model.spec_
    draft = solara.use_reactive(1000)
    runs = solara.use_reactive(1000)
    frame = solara.use_memo(
        lambda: summit_by_date(scn, runs.value), [scn.canonical_hash(), runs.value]
    )
    with solara.Row(style={"align-items": "center"}):
        solara.SliderInt("Replications", value=draft, min=100, max=10_000, step=100)
        solara.Button(
            f"Run {draft.value:,}", color="primary", on_click=lambda: runs.set(draft.value)
        )
    Chart(summit_by_date_figure(scn, frame, runs.value, DEFAULT_SEED), "summit-by-date")
