"""The parts of `summit report`'s page: the question, the scenarios in words, each batch's
results (table, timeline, strain, sweep plots, provenance) and the comparisons.

Numbers come from the same functions as the CLI's tables and plots (`report_view`, `timeline`,
`strain_timeline`, `compare_sides`, `compare_sweeps`), so the page and `summit table` or
`summit compare` cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.analysis.report_figures import Figure, embed
from model.errors import ExperimentError
from model.results.bands import clustered_ci
from model.results.stats import mean_ci
from model.results.tables import estimate, interval_name, report_view, timeline_note
from model.results.tables import notes as result_notes
from model.results.tables import timeline as summit_timeline
from model.results.timelines import strain_timeline, strain_timeline_note

if TYPE_CHECKING:
    from model.analysis.sweeps import Sweep
    from model.batch import Design
    from model.scenario import Scenario

MAX_ROWS = 60  # rows of a table on the page; the batch's files hold all of them
FEW = 4  # a results table of up to this many rows is shown transposed (`Table.transposed`)
MEANING = (
    "A 95% interval is the range of values these runs cannot tell apart from the estimate: with "
    "more runs it narrows. It measures the noise of a finite number of runs only, not the "
    "uncertainty in the scenario's numbers (this scenario states none as a range; a sweep "
    "explores them) nor whether the model is right."
)
MEANING_WORLDS = (
    "In plain words: each run draws one plausible set of the scenario's judgements (a world). The "
    "interval in brackets says how precisely the runs pin down the average over those judgements; "
    "more runs narrow it. The band says how far the answer moves from one plausible set of "
    "judgements to another; more runs do not narrow it, better knowledge would. Neither says "
    "whether the model is right."
)


def meaning(summary: pd.DataFrame) -> str:
    """The plain-language reading of a results table's intervals (and band, with worlds)."""
    return MEANING_WORLDS if "worlds" in summary.columns else MEANING


@dataclass(frozen=True)
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]  # right-aligned columns
    notes: list[str]

    @classmethod
    def of(
        cls,
        caption: str,
        frame: pd.DataFrame,
        left: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> Table:
        extra = []
        if len(frame) > MAX_ROWS:
            extra = [f"The first {MAX_ROWS} of {len(frame):,} rows; the batch's files hold all."]
            frame = frame.head(MAX_ROWS)
        heads = [str(c) for c in frame.columns]
        rows = [[_cell(v) for v in r] for r in frame.itertuples(index=False)]
        numeric = [h not in (left or []) for h in heads]
        return cls(caption, heads, rows, numeric, [*extra, *(notes or [])])

    def transposed(self, labels: int) -> Table:
        """Columns as rows and rows as columns, each headed by its first ``labels`` cells: a
        results table of one to a few rows and 15 columns then reads down the page and fits a
        printed one (across, it ran past the paper's edge)."""
        heads = ["measure", *(", ".join(r[:labels]) for r in self.rows)]
        rows = [[h, *(r[i] for r in self.rows)] for i, h in enumerate(self.headers) if i >= labels]
        return Table(self.caption, heads, rows, [False, *[True] * len(self.rows)], self.notes)


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def end_date(scn: Scenario) -> dt.date:
    return scn.spec.meta.start + dt.timedelta(weeks=scn.weeks) - dt.timedelta(days=1)


def question(
    loaded: list[tuple[Path, Sweep, Design]], comparisons: list[dict[str, Any]]
) -> list[str]:
    """What the batches answer, in words (paragraphs)."""
    scn = loaded[0][2].scenario
    engager, other = (scn.spec.actors[a].name for a in scn.principals())
    allies = ", ".join(scn.spec.actors[a].name for a in scn.allies()) or "its allies"
    out = [
        f"Will {engager} and {other} hold a summit between {scn.spec.meta.start} and "
        f"{end_date(scn)} ({scn.weeks} weeks)? If they do, will it end in an agreement both "
        f"sides ratify? And how much will it strain the alliances with {allies}?"
    ]
    for _, sw, des in loaded:
        factors = [sw.label(f) for f in sw.factors]
        if len(sw.points) > 1 and factors:
            out.append(
                f"How do the answers depend on {_and(factors)}? ({sw.path}: a {sw.sampler} design "
                f"of {len(sw.points):,} points × {sw.replications:,} runs"
                + (f", under {len(des.all_scenarios)} scenarios)" if des.scenarios else ")")
            )
        text = ((sw.spec or {}).get("experiment") or {}).get("description")
        said = f"The experiment, in its own words: “{text}”."
        if text and said not in out:  # two sweeps of one experiment file say it once
            out.append(said)
    for c in comparisons:
        out.append(f"How do they differ between {c['a']} and {c['b']}?")
    return out


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def scenario_words(scn: Scenario) -> dict[str, Any]:
    """A scenario for a reader: what it is, when, who, and (a variant) how it differs."""
    from model.scenario import load_scenario

    actors = [f"{a.name} ({a.role.value})" for a in scn.spec.actors.values()]
    changes: list[str] = []
    base = scn.spec.meta.variant_of
    if base:
        try:
            ref = load_scenario(base)
        except ExperimentError:
            ref = None
        except Exception:
            ref = None
        if ref is not None:
            mine, theirs = scn.values(), ref.values()
            changes = [
                f"{k}: {theirs[k]:g} → {v:g}"
                for k, v in mine.items()
                if k in theirs and theirs[k] != v
            ]
            ids = {e.id for e in scn.spec.events}
            changes += [
                f"without event {e.id} ({e.what})" for e in ref.spec.events if e.id not in ids
            ]
    return {
        "name": scn.name,
        "title": scn.title,
        "description": scn.spec.meta.description,
        "when": f"from {scn.spec.meta.start} for {scn.weeks} weeks, to {end_date(scn)}",
        "actors": actors,
        "events": [f"{e.id}: {e.what}" for e in scn.spec.events],
        "variant_of": base,
        "changes": changes,
    }


def batch_part(path: Path, sweep: Sweep, design: Design) -> dict[str, Any]:
    """One batch: result table, timeline and strain per scenario (point 0), sweep plots,
    provenance."""
    from model.batch import read_runs

    summary = sweep.summary
    many = len(sweep.points) > 1
    what = (
        f"a sweep of {len(sweep.points):,} design points × {sweep.replications:,} runs"
        if many
        else f"a batch of {sweep.replications:,} runs"
    )
    names = [s.name for s in design.all_scenarios]
    view = report_view(summary)
    results = Table.of(
        "Results, one row per scenario and design point" if len(view) > FEW else "Results",
        view,
        left=["scenario"],
        notes=[*result_notes(summary), meaning(summary)],
    )
    if len(view) <= FEW:  # outcomes down the page, a column per scenario or point
        results = results.transposed(labels=list(view.columns).index("runs"))
    tables = [results]
    figures: list[Figure] = []
    strain: list[Table] = []
    runs = read_runs(path)
    for scn in design.all_scenarios:
        rows = runs[(runs["point"] == 0) & (runs["scenario"] == scn.name)]
        where = f"{scn.name}, design point 0 ({_point_words(sweep, 0)})" if many else scn.name
        tables.append(_timeline_table(rows, scn, where))
        figures.append(_timeline_figure(rows, scn, where))
        strain += _strain_tables(rows, scn, where)
    return {
        "path": str(path),
        "heading": f"{path}: {what} of {', '.join(names)}",
        "tables": tables,
        "strain": strain,
        "figures": figures,
        "sweep_figures": _sweep_figures(path, sweep, names) if many else [],
        "provenance": provenance(sweep.manifest),
        "versions": sorted((sweep.manifest.get("versions") or {}).items()),
    }


def _point_words(sweep: Sweep, point: int) -> str:
    values = sweep.points[point]
    return ", ".join(f"{sweep.label(f)} {_cell(values.get(f))}" for f in sweep.factors) or "—"


def _timeline_table(rows: pd.DataFrame, scn: Scenario, where: str) -> Table:
    tl = summit_timeline(rows, scn.spec.meta.start, scn.weeks)
    view = pd.DataFrame(
        {
            "weeks": tl["week"].astype(int),
            "by": tl["by"],
            "P(summit by then) [95% CI]": [
                estimate(r.p_summit, r.lo, r.hi) for r in tl.itertuples()
            ],
        }
    )
    return Table.of(f"P(summit by date): {where}", view, left=["by"], notes=[timeline_note(tl)])


def _timeline_figure(rows: pd.DataFrame, scn: Scenario, where: str) -> Figure:
    from model.analysis.timeline_plot import timeline_plot

    high = scn.spec.thresholds.high_strain
    title = f"{scn.name}: summit and alliance strain"  # the caption says which point
    return embed(
        f"P(summit by date) and the strain index over time: {where}",
        lambda p: timeline_plot(rows, scn.spec.meta.start, scn.weeks, high, title, p),
    )


def _strain_tables(rows: pd.DataFrame, scn: Scenario, where: str) -> list[Table]:
    """The strain index over time, and each alliance pair's peak strain."""
    from model.sim.outcomes import OutcomeNames

    tl = strain_timeline(rows, scn.spec.meta.start, scn.spec.thresholds.high_strain)
    view = pd.DataFrame(
        {
            "weeks": tl["week"],
            "by": tl["by"],
            "strain index mean [95% CI]": [
                estimate(r.strain_mean, r.strain_mean_lo, r.strain_mean_hi) for r in tl.itertuples()
            ],
            "p10 / p50 / p90": [
                f"{r.strain_p10:.3f} / {r.strain_p50:.3f} / {r.strain_p90:.3f}"
                for r in tl.itertuples()
            ],
            "P(high strain then) [95% CI]": [
                estimate(r.p_high_strain, r.p_high_strain_lo, r.p_high_strain_hi)
                for r in tl.itertuples()
            ],
        }
    )
    pairs = []
    world = rows["world"].to_numpy(np.int64) if "world" in rows.columns else None
    names = OutcomeNames.of(scn)
    words = {"strain": "index (mean over the pairs)", "strain_max": "most strained pair"}
    # OutcomeNames names one column per relation, in the scenario's order: reuse its names
    words |= dict(
        zip(names.pairs, (f"{r.pair[0]}–{r.pair[1]}" for r in scn.spec.relations), strict=True)
    )
    for col in ("strain", "strain_max", *names.pairs):
        x = rows[col].to_numpy(float)
        m, lo, hi = mean_ci(x.size, float(x.sum()), float(np.square(x).sum()))
        if world is not None:  # runs of a world share its values: as the results table does
            lo, hi = clustered_ci(x, world)
        pairs.append(
            {
                # a reader's words, then the run column that holds it (runs/*.parquet)
                "outcome": f"{words.get(col, col)} ({col})",
                "mean peak [95% CI]": estimate(m, lo, hi),
                "p90": f"{np.percentile(x, 90):.3f}",
            }
        )
    return [
        Table.of(
            f"Alliance strain over time: {where}",
            view,
            left=["by"],
            notes=[
                "Strain: 0 untroubled, 1 breaking point (docs/MODEL.md §9). Read every 4 weeks: a "
                "run's peak, which the results table's strain and P(high strain) count, can fall "
                "between two readings, so more runs reach high strain than any row here shows. "
                + strain_timeline_note(tl)
            ],
        ),
        Table.of(
            f"Peak strain of each alliance pair: {where}",
            pd.DataFrame(pairs),
            left=["outcome"],
            notes=[
                "strain: the peak of the mean over the pairs; "
                "strain_max: the peak of the most strained pair. 95% intervals: "
                + interval_name(tl, "normal")
                + "."
            ],
        ),
    ]


def _sweep_figures(path: Path, sweep: Sweep, names: list[str]) -> list[Figure]:
    """P(summit) and the strain mean across the design (per scenario where a heatmap needs)."""
    from model.analysis.sweep_plot import sweep_plot

    swept = [f for f in sweep.factors if f != "model.rule" and sweep.summary[f].nunique() > 1]
    if not swept or len(swept) > 2:  # more factors: summit plot DIR --x … chooses the axes
        return []
    per = names if len(swept) == 2 and len(names) > 1 else [None]
    out = []
    for outcome, words in (("p_summit", "P(summit)"), ("strain_mean", "strain mean")):
        for name in per:
            caption = f"{words} across the design of {path}" + (f": {name}" if name else "")
            out.append(
                embed(caption, partial(sweep_plot, path, None, None, outcome, scenario=name))
            )
    return out


def _commit_words(m: dict[str, Any]) -> str:
    dirty = m.get("git_dirty")  # absent from batches written before it was recorded
    if dirty is None:
        note = ""
    elif dirty:
        note = " (with uncommitted changes: the commit alone does not pin the code)"
    else:
        note = " (no uncommitted changes)"
    return f"{m.get('git_commit')}{note}"


def provenance(m: dict[str, Any]) -> list[tuple[str, str]]:
    """What a reader needs to reproduce the batch, from its manifest."""
    d = m["design"]
    command = m.get("command")
    rows = [
        ("command", shlex.join(map(str, command)) if isinstance(command, list) else str(command)),
        ("kind, status", f"{m.get('kind')}, {m.get('status')}"),
        ("seed", str(d["root_seed"])),
        ("design", f"{d['sampler']}: {len(d['points']):,} points × {d['replications']:,} runs"),
        # recorded so that a rerun does not depend on the default, which may change
        ("judgement worlds", str(d.get("worlds", 1))),
        ("started, finished", f"{m.get('started')}, {m.get('finished')}"),
        ("workers, executor", f"{m.get('workers')}, {m.get('executor', 'local')}"),
        ("git commit", _commit_words(m)),
    ]
    records = m.get("scenarios") or [m]
    for r in records:
        name = r.get("name") or r.get("scenario")
        rows.append((f"scenario {name}", f"canonical hash {r.get('scenario_hash')}"))
        for f in r.get("scenario_files") or []:
            rows.append((f"  file of {name}", f"{f.get('path')} (sha256 {f.get('sha256')})"))
    if (exp := m.get("experiment")) and exp.get("path"):
        rows.append(("experiment file", f"{exp['path']} (sha256 {exp.get('sha256')})"))
    if m.get("rerun_of"):
        rows.append(("rerun of", str(m["rerun_of"])))
    return rows
