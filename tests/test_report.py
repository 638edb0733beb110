"""`summit report`: one self-contained HTML page (no request leaves it; figures are PNG data
inside), with the question, the scenarios, the results with intervals, the timeline, the
comparison or sweep plots, strain, sources and provenance; written atomically; and opened in a
real headless browser, offline, to see its tables and figures drawn."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
import pytest
from test_browser import ARGS, CHROMIUM, require

from model.analysis.report import build_report, write_report
from model.analysis.sweep_compare import compare_sweeps, load_side
from model.analysis.sweep_compare_table import point_view
from model.batch import Design, read_runs, run_batch
from model.results.bands import clustered_ci
from model.scenario import SHIPPED_DIR, load_scenario

SUMMIT = [sys.executable, "-m", "model.cli"]
SECTIONS = ["question", "scenarios", "results", "timeline", "strain", "sources", "provenance"]


class Page(HTMLParser):
    """What a reader's browser would fetch or show: sections, tables, images, links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tables = 0
        self.images: list[str] = []
        self.fetched: list[str] = []  # src/href values that are not data: or in-page anchors
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "table":
            self.tables += 1
        if tag == "img":
            self.images.append(str(a.get("src")))
        for key in ("src", "href", "data", "poster"):
            v = a.get(key)
            if v is not None and not v.startswith(("data:", "#")):
                self.fetched.append(v)


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report")
    base = load_scenario("baseline-2024")
    run_batch(Design(base, replications=500, root_seed=3), out=root / "run", kind="run")
    points = [{"actors.US.openness": v} for v in (0.2, 0.8)]
    for name in ("baseline-2024", "seoul-sidelined"):
        design = Design(load_scenario(name), replications=250, root_seed=3,
                        points=[dict(p) for p in points], factors=["actors.US.openness"],
                        sampler="grid")  # fmt: skip
        run_batch(design, out=root / name, kind="sweep")
    return {"run": root / "run", "a": root / "baseline-2024", "b": root / "seoul-sidelined"}


def test_the_report_of_a_run_holds_every_part_and_fetches_nothing(
    batches: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    res = subprocess.run([*SUMMIT, "report", str(batches["run"]), "--out", str(out)],
                         capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == f"report written to {out} (4 tables, 1 figures)"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # one file, nothing beside it
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert page.ids == SECTIONS and page.fetched == [] and page.tables == 5  # + sources
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"url\(|@import|<script|<link", text)
    manifest = json.loads((batches["run"] / "manifest.json").read_text())
    # the question in words, from the scenario's own actors and dates
    assert "Will Japan (Kishida government) and North Korea (Kim Jong Un) hold a summit between " \
           "2024-03-15 and 2025-03-13 (52 weeks)?" in text  # fmt: skip
    # the result table's intervals and what they mean
    summary = pd.read_csv(batches["run"] / "summary.csv")
    lo, hi = summary["p_summit_lo"].iloc[0], summary["p_summit_hi"].iloc[0]
    assert f"{summary['p_summit'].iloc[0]:.3f} [{lo:.3f}, {hi:.3f}]" in text
    assert "It measures the noise of a finite number of runs only" in text
    # provenance from the manifest
    recorded = [manifest["scenario_hash"], str(manifest["git_commit"]),
                manifest["versions"]["numpy"], manifest["scenario_files"][0]["sha256"]]  # fmt: skip
    for value in recorded:
        assert value in text
    # whether the checkout had uncommitted changes: the commit alone would not pin the code
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "model", "scenarios"],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
    )
    if status.returncode == 0:
        assert manifest["git_dirty"] is bool(status.stdout.strip())
        words = "with uncommitted changes" if manifest["git_dirty"] else "no uncommitted changes"
        assert words in text
    # sources: listed ones, and the entries the file cites, looked up in docs/SOURCES.md
    assert "Tomorrow&#39;s Affairs" in text and "S-A1" in text
    assert "officially recognises 17 of its citizens" in text


def test_the_report_of_two_sweeps_compares_them_point_by_point(
    batches: dict[str, Path], tmp_path: Path
) -> None:
    """The page's comparison is `summit compare A B`'s (same cells), with its two figures and
    both sweeps' plots."""
    report = write_report([batches["a"], batches["b"]], tmp_path / "c.html")
    text = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert Page(text).ids == [*SECTIONS[:4], "comparison", "sweeps", *SECTIONS[4:]]
    assert len(report.comparisons) == 1 and report.notes == []
    comp = compare_sweeps(load_side(batches["a"], None), load_side(batches["b"], None),
                          ["p_summit"])  # fmt: skip
    cells = point_view(comp, "p_summit")["seoul-sidelined − baseline-2024 [95% CI]"]
    for cell in cells:
        assert cell in text
    assert "Where the two response surfaces differ" in text
    # each source once: the variant's table holds only what the base's does not (printed twice,
    # they filled 9 of a comparison's 17 pages), and it says where the rest are
    ids = [c.id for s in report.sources for c in s.citations]
    assert len(ids) == len(set(ids)) and report.sources[1].also == ["baseline-2024"]
    assert "Its files also cite the entries listed above for baseline-2024." in text
    captions = [f.caption for f in report.figures]
    assert "P(summit): seoul-sidelined − baseline-2024" in captions
    assert sum("across the design of" in c for c in captions) == 4  # 2 outcomes × 2 sweeps
    # a batch whose design differs is shown, and the page says why it is not compared
    mixed = build_report([batches["a"], batches["run"]])
    assert mixed.comparisons == [] and "design.factors" in mixed.notes[0]


def test_a_report_of_runs_with_worlds_says_so_and_compares_with_the_band(tmp_path: Path) -> None:
    """Batches with judgement worlds (as `summit run` makes of the baseline): the results notes
    say the two layers, in plain words too (they said "Wilson score for proportions", which these
    intervals are not, and never named the band); each pair's peak strain is clustered by world
    like the results table (it looked four times more precise than the same number there); and
    the comparison carries `summit compare`'s judgement band (without it, a starred difference
    whose sign depends on the judgements looked settled)."""
    a, b = tmp_path / "base", tmp_path / "sidelined"
    for name, out in (("baseline-2024", a), ("seoul-sidelined", b)):
        run_batch(Design(load_scenario(name), replications=1000, root_seed=3, worlds=10), out=out,
                  kind="run")  # fmt: skip
    write_report([a, b], tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Two layers" in text and "The band says how far the answer moves" in text
    assert "Wilson score for proportions" not in text
    assert "<dt>judgement worlds</dt><dd>10</dd>" in text  # provenance: a rerun needs it
    runs = read_runs(a)
    m = runs["strain_jpn_rok"].mean()
    lo, hi = clustered_ci(runs["strain_jpn_rok"].to_numpy(float), runs["world"].to_numpy(int))
    assert f'<td class="num">{m:.3f} [{lo:.3f}, {hi:.3f}]</td>' in text
    assert "JPN–ROK (strain_jpn_rok)" in text  # the pair in words, then its run column
    report = build_report([a, b])
    table = report.comparisons[0]["tables"][0]
    assert "judgement band" in table.headers
    band = [row[table.headers.index("judgement band")] for row in table.rows]
    assert sum(cell != "–" for cell in band) >= 5, band


def test_bad_requests_write_nothing(batches: dict[str, Path], tmp_path: Path) -> None:
    """An unfinished batch, a non-HTML --out or a missing directory: one line, exit 2, and an
    existing file at --out is left as it was."""
    out = tmp_path / "keep.html"
    out.write_text("old")
    m = json.loads((batches["run"] / "manifest.json").read_text())
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "manifest.json").write_text(json.dumps({**m, "status": "interrupted"}))
    cases = [
        ([str(cut), "--out", str(out)], r"status: the analysis needs a complete batch"),
        ([str(batches["run"]), "--out", str(tmp_path / "r.txt")], r"--out: the report is an"),
        ([str(batches["run"]), "--out", str(tmp_path / "no" / "r.html")], r"no such directory"),
        ([str(tmp_path / "nothing"), "--out", str(out)], r"not a batch directory"),
    ]
    for args, pattern in cases:
        res = subprocess.run([*SUMMIT, "report", *args], capture_output=True, text=True,
                             check=False, timeout=120)  # fmt: skip
        assert res.returncode == 2 and len(res.stderr.splitlines()) == 1, res.stderr
        assert re.search(pattern, res.stderr), res.stderr
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut", "keep.html"]


def test_scenario_text_is_shown_as_text(tmp_path: Path) -> None:
    """Scenario files are data: markup in a description is escaped by the template."""
    text = (SHIPPED_DIR / "baseline-2024.toml").read_text()
    evil = 'description = "<script>alert(1)</script> & <b>bold</b>"'
    path = tmp_path / "evil.toml"
    path.write_text(re.sub(r"^description = .*$", evil, text, count=1, flags=re.M))
    run_batch(Design(load_scenario(path), replications=250), out=tmp_path / "b", kind="run")
    write_report([tmp_path / "b"], tmp_path / "e.html")
    html = (tmp_path / "e.html").read_text()
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_the_report_opens_offline_in_chromium(batches: dict[str, Path], tmp_path: Path) -> None:
    """A real headless browser opens the file with every request off the page refused: no
    console error, nothing requested, every table there and every figure drawn."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    require(find_spec("playwright") is not None, "playwright is not installed (the dev extra)")
    from playwright.sync_api import Route, sync_playwright

    out = tmp_path / "report.html"
    report = write_report([batches["a"], batches["b"]], out)
    expected_tables = len(report.tables) + sum(bool(s.citations) for s in report.sources)
    errors: list[str] = []
    requested: list[str] = []

    def offline(route: Route) -> None:
        url = route.request.url
        if url == out.as_uri() or url.startswith("data:"):
            route.continue_()
        else:
            requested.append(url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.route("**/*", offline)
            page.goto(out.as_uri(), wait_until="load", timeout=60_000)
            assert page.title() == report.title
            for section in ("question", "results", "timeline", "comparison", "strain", "sources",
                            "provenance"):  # fmt: skip
                assert page.locator(f"section#{section}").is_visible(), section
            assert page.locator("table").count() == expected_tables
            # two design points: shown transposed, a column each, outcomes down the page
            heads = page.locator("section#results table").first.locator("thead th").count()
            assert heads == 3
            widths = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
            )
            assert len(widths) == len(report.figures) and min(widths) >= 700, widths
            assert "Where the two response surfaces differ" in page.inner_text("section#comparison")
        finally:
            browser.close()
    assert errors == [] and requested == []


def test_a_wide_results_table_fits_the_printed_page(tmp_path: Path) -> None:
    """Printed or saved as PDF to hand on (A4 landscape, 12 mm margins), no table runs past the
    paper's edge: a sweep's results table (a row per point, 17 columns) lost 9 columns there."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    require(find_spec("playwright") is not None, "playwright is not installed (the dev extra)")
    from playwright.sync_api import sync_playwright

    points = [{"actors.ROK.openness": v} for v in (0.1, 0.3, 0.5, 0.7, 0.9)]
    design = Design(load_scenario("baseline-2024"), replications=250, root_seed=3, worlds=5,
                    points=points, factors=["actors.ROK.openness"], sampler="grid")  # fmt: skip
    run_batch(design, out=tmp_path / "sweep", kind="sweep")
    out = tmp_path / "report.html"
    write_report([tmp_path / "sweep"], out)
    paper = round((297 - 2 * 12) / 25.4 * 96)  # the printable width in CSS pixels
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": paper, "height": 1000})
            page.goto(out.as_uri(), wait_until="load", timeout=60_000)
            page.emulate_media(media="print")
            right = page.eval_on_selector_all(
                "table", "ts => ts.map(t => t.getBoundingClientRect().right)"
            )
            cols = page.locator("section#results table").first.locator("thead th").count()
        finally:
            browser.close()
    assert cols >= 17  # the wide layout (a row per point), not the transposed one
    assert max(right) <= paper, (right, paper)


def test_batches_with_other_worlds_are_compared_unpaired_as_summit_compare_does(
    tmp_path: Path,
) -> None:
    """Same seed and runs but 10 against 20 judgement worlds: world k holds other runs and other
    drawn values on each side, so `summit compare` does not pair them; the report and the sweep
    comparison paired them and printed a judgement band from A's worlds alone."""
    from model.analysis.sweep_compare import load_side, match_points, pairing

    a, b = tmp_path / "a", tmp_path / "b"
    for out, name, worlds in ((a, "baseline-2024", 10), (b, "seoul-sidelined", 20)):
        run_batch(Design(load_scenario(name), replications=1000, root_seed=3, worlds=worlds),
                  out=out, kind="run")  # fmt: skip
    table = build_report([a, b]).comparisons[0]["tables"][0]
    method = table.headers.index("method")
    assert {row[method] for row in table.rows} == {"clustered by world"}
    band = table.headers.index("judgement band")
    assert {row[band] for row in table.rows} == {"–"}
    sa, sb = load_side(a, None), load_side(b, None)
    paired, why = pairing(sa, sb, match_points(sa, sb))
    assert not paired and "judgement worlds differ (10 and 20)" in why
