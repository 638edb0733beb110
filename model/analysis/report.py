"""`summit report DIR [DIR ...]`: one self-contained HTML page a reader can open offline.

It says what was asked and under which scenario(s), in words; shows the result table with its
95% intervals and what they mean, the timeline of P(summit by date), the comparison (two
batches, or a batch of two scenarios) or the sweep plots, the strain outcomes, the sources the
scenario files cite, and each batch's provenance from its manifest. Figures are PNG data inside
the page and the page loads nothing. The page is rendered by a Jinja2 template (autoescaped:
scenario text and paths are data, never markup), shipped in ``templates/`` as package data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.analysis.report_compare import comparison_part
from model.analysis.report_figures import Figure
from model.analysis.report_parts import Table, batch_part, question, scenario_words
from model.analysis.report_sources import ScenarioSources, scenario_sources, without_repeats
from model.errors import ExperimentError, problem

TEMPLATE = "report.html.j2"


@dataclass
class Report:
    title: str
    question: list[str]
    scenarios: list[dict[str, Any]]
    batches: list[dict[str, Any]]
    comparisons: list[dict[str, Any]]
    sources: list[ScenarioSources]
    generated: str
    notes: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[Figure]:
        figs = [f for b in self.batches for f in (*b["figures"], *b["sweep_figures"])]
        return figs + [f for c in self.comparisons for f in c["figures"]]

    @property
    def tables(self) -> list[Table]:
        out = [t for b in self.batches for t in (*b["tables"], *b["strain"])]
        return out + [t for c in self.comparisons for t in c["tables"]]


def build_report(dirs: list[Path]) -> Report:
    """Read the batches and assemble everything the page shows (figures drawn here)."""
    from model.analysis.sweeps import load_sweep
    from model.batch import design_from_manifest

    if not dirs:
        raise ExperimentError("DIR: summit report needs at least one batch directory; got none")
    loaded = []
    for d in dirs:
        sweep = load_sweep(d)  # refuses unfinished or failed batches, in one line
        loaded.append((d, sweep, design_from_manifest(d, sweep.manifest)))
    scenarios: dict[str, Any] = {}
    records: dict[str, dict[str, Any]] = {}
    for _, sweep, design in loaded:
        for scn in design.all_scenarios:
            scenarios.setdefault(scn.name, scn)
            records.setdefault(scn.name, _record(sweep.manifest, scn.name))
    batches = [batch_part(d, sweep, design) for d, sweep, design in loaded]
    comparisons, notes = comparison_part(loaded)
    names = list(scenarios)
    return Report(
        title="summit-sim report: " + ", ".join(names),
        question=question(loaded, comparisons),
        scenarios=[scenario_words(s) for s in scenarios.values()],
        batches=batches,
        comparisons=comparisons,
        sources=without_repeats([scenario_sources(records[n]) for n in names]),
        generated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        notes=notes,
    )


def _record(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    """The manifest's record of one scenario (its spec and files)."""
    for rec in manifest.get("scenarios") or []:
        if rec.get("name") == name:
            return dict(rec)
    return {k: manifest.get(k) for k in ("scenario", "scenario_spec", "scenario_files")}


def render(report: Report) -> str:
    from importlib.resources import files

    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    folder = Path(str(files("model.analysis") / "templates"))
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,  # a name the template expects and the report lacks: an error
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(TEMPLATE).render(r=report)


def write_report(dirs: list[Path], out: Path) -> Report:
    """Build, render and write the page at once (atomically: a reader never sees half a page,
    and a failure leaves no file)."""
    from model.batch.manifest import write_atomic

    if out.suffix.lower() not in (".html", ".htm"):
        raise ExperimentError(problem(str(out), "--out", "the report is an .html file", out.suffix))
    if not out.parent.is_dir():
        rule = "no such directory"
        raise ExperimentError(problem(str(out), "--out", rule, str(out.parent)))
    report = build_report(dirs)
    write_atomic(out, render(report))
    return report
