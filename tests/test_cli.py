"""The `summit` command line as a user meets it: exit codes, one-line errors, the result
directory contract, worker-count invariance, resume after kill -9, explain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

SUMMIT = [sys.executable, "-m", "model.cli"]


def summit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SUMMIT, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def test_check_good_and_bad(tmp_path: Path) -> None:
    """`summit check` exits 0 on good files and 2 on bad ones, one line per problem, no
    traceback."""
    ok = summit("check", "baseline-2024", "seoul-supports")
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.toml"
    text = Path("scenarios/baseline-2024.toml").read_text()
    bad.write_text(text.replace("stubbornness = { low = 0.55", "stubbornes = { low = 0.55"))
    res = summit("check", str(bad))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "bad.toml: actors.JPN.stubbornes: unknown key (a typo?); got 0.7"
    ]
    assert "Traceback" not in res.stderr


def test_usage_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    """Usage mistakes and missing files exit 2 with a single line and no traceback."""
    for args in (["run", "--rns", "5"], ["run", "no-such-scenario"], ["table", str(tmp_path)]):
        res = summit(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "Traceback" not in res.stderr


def test_run_writes_the_result_directory(tmp_path: Path) -> None:
    """`summit run` prints the table and writes manifest, run shards and summaries; an existing
    --out is refused (exit 2) rather than overwritten."""
    out = tmp_path / "b"
    res = summit("run", "--runs", "600", "--seed", "3", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "| baseline-2024 |" in res.stdout and "P(summit)" in res.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["design"]["root_seed"] == 3 and manifest["design"]["replications"] == 600
    assert len(manifest["scenario_hash"]) == 64 and manifest["scenario_files"][0]["sha256"]
    assert {"numpy", "mesa", "pandas", "summit-sim"} <= set(manifest["versions"])
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "runs"] == 600
    assert (out / "summary.md").read_text().startswith("| scenario |")
    again = summit("run", "--runs", "600", "--out", str(out))
    assert again.returncode == 2 and "directory exists" in again.stderr


def _runs(out: Path) -> pd.DataFrame:
    from model.batch import read_runs

    return read_runs(out)


def test_same_seed_identical_files_with_1_or_2_workers(tmp_path: Path) -> None:
    """Same seed ⇒ identical run rows and summary.csv with 1 or 2 workers (the seeding
    contract, docs/ARCHITECTURE.md)."""
    a, b = tmp_path / "w1", tmp_path / "w2"
    common = ["run", "--runs", "1500", "--seed", "9", "--chunk-runs", "250"]
    assert summit(*common, "--workers", "1", "--out", str(a)).returncode == 0
    res = summit(*common, "--workers", "2", "--out", str(b))
    assert res.returncode == 0, res.stderr
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    pd.testing.assert_frame_equal(_runs(a), _runs(b))


def test_resume_after_kill_9_equals_uninterrupted(tmp_path: Path) -> None:
    """A batch killed with SIGKILL mid-way and resumed finishes only what is missing, and ends
    with the same summary as an uninterrupted batch."""
    full, cut = tmp_path / "full", tmp_path / "cut"
    common = ["run", "--runs", "5000", "--seed", "4", "--chunk-runs", "250"]
    proc = subprocess.Popen(
        [*SUMMIT, *common, "--out", str(cut)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    status = cut / "status.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if status.exists() and len(status.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(status.read_text().splitlines())
    assert done_before < 20, "the batch finished before it could be killed"
    res = summit(*common, "--out", str(cut), "--resume")
    assert res.returncode == 0, res.stderr
    assert summit(*common, "--out", str(full)).returncode == 0
    assert (cut / "summary.csv").read_bytes() == (full / "summary.csv").read_bytes()
    pd.testing.assert_frame_equal(_runs(cut), _runs(full))
    log = [json.loads(x) for x in status.read_text().splitlines()]
    assert len({r["chunk"] for r in log}) == 20 and len(log) == 20  # nothing recomputed


def test_resume_refuses_a_different_design(tmp_path: Path) -> None:
    """Resuming with another seed would mix streams: refused with exit 2."""
    out = tmp_path / "b"
    assert summit("run", "--runs", "300", "--seed", "1", "--out", str(out)).returncode == 0
    res = summit("run", "--runs", "300", "--seed", "2", "--out", str(out), "--resume")
    assert res.returncode == 2 and "same scenario, design and seed" in res.stderr


def test_scenarios_lists_shipped_files() -> None:
    """`summit scenarios` names every shipped scenario with its description."""
    res = summit("scenarios")
    assert res.returncode == 0
    assert res.stdout.startswith("baseline-2024") or "baseline-2024 " in res.stdout
    assert "seoul-supports" in res.stdout and "variant of baseline-2024" in res.stdout


def test_explain_tells_the_run_a_batch_holds_as_row_0(tmp_path: Path) -> None:
    """`summit explain --seed S` narrates exactly replication 0 of `summit run --seed S` on the
    point scenario (`--worlds 1`: every range at its central value)."""
    res = summit("explain", "--seed", "12")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("Japan–North Korea thaw")
    assert sum(x.startswith("Week ") for x in lines) == 52
    assert "gain" in res.stdout and "strain" in res.stdout
    out = tmp_path / "b"
    done = summit("run", "--runs", "300", "--seed", "12", "--worlds", "1", "--out", str(out))
    assert done.returncode == 0
    row = _runs(out).iloc[0]
    outcome = lines[-1]
    if row["summit"]:
        assert f"summit in week {int(row['summit_week'])}" in outcome
    else:
        assert "no summit" in outcome
    assert f"index {row['strain']:.3f}" in outcome


@pytest.mark.parametrize("fmt", ["md", "csv", "latex", "json"])
def test_table_formats(tmp_path: Path, fmt: str) -> None:
    """`summit table DIR --format F` renders a finished batch in each format."""
    out = tmp_path / "b"
    assert summit("run", "--runs", "300", "--out", str(out)).returncode == 0
    res = summit("table", str(out), "--format", fmt)
    assert res.returncode == 0, res.stderr
    marker = {
        "md": "| P(summit) |",
        "csv": "p_summit_lo",
        "latex": r"\begin{tabular}",
        "json": '"p_summit"',
    }
    assert marker[fmt] in res.stdout
    if fmt == "md":
        assert "[" in res.stdout  # cells carry their intervals


def test_table_timeline(tmp_path: Path) -> None:
    """`summit table DIR --timeline`: cumulative P(summit by date) rises to the batch's
    P(summit) at the horizon, with dates counted from the scenario's start."""
    out = tmp_path / "b"
    assert summit("run", "--runs", "1000", "--seed", "2", "--out", str(out)).returncode == 0
    res = summit("table", str(out), "--timeline", "--format", "csv")
    assert res.returncode == 0, res.stderr
    tl = pd.read_csv(__import__("io").StringIO(res.stdout))
    assert tl["p_summit"].is_monotonic_increasing
    assert tl["by"].iloc[-1] == "2025-03-13" and tl["week"].iloc[-1] == 52
    p = pd.read_csv(out / "summary.csv").loc[0, "p_summit"]
    assert tl["p_summit"].iloc[-1] == pytest.approx(p)
    # the strain path beside it: its mean at the horizon is the runs' mean strain_end
    end = pd.read_parquet(next((out / "runs").glob("*.parquet")))["strain_end"].mean()
    assert tl["strain_mean"].iloc[-1] == pytest.approx(end, abs=1e-6)
    assert (tl["strain_p10"] <= tl["strain_p90"]).all()


def test_an_interrupted_verb_that_keeps_nothing_does_not_offer_a_resume(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C during `summit score` (which runs its batches in memory) says so, exit 130; it
    used to say "finished chunks are kept; finish with `summit run --resume DIR`", for a batch
    directory that was never written. `run` and `sweep` still point to their resume."""
    from model.analysis import scoring
    from model.cli.main import _interrupted_line, main

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(scoring, "forecasts", ctrl_c)
    with pytest.raises(SystemExit) as exit_:
        main(["score", "--runs", "10"])
    assert exit_.value.code == 130
    err = capsys.readouterr().err.strip()
    assert err == "interrupted: `summit score` keeps no partial results; run it again"
    assert "--resume" in _interrupted_line(["run", "--runs", "5"])
    assert "summit sweep --resume DIR" in _interrupted_line(["sweep", "x.toml"])
