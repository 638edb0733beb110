"""Batch directories as input and as a dataset (issues 14 and 17).

A batch directory is read by many engines alike (runs/ holds only Parquet shards, each row
carrying its scenario and swept values, each field described); resumes from itself alone; and a
damaged one, an --out that is a file or a refused write is one line, never a traceback."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from model.batch import Design, DirectorySink, read_runs, run_batch
from model.cli.main import main
from model.errors import EnvironmentProblem
from model.scenario import load_scenario


def summit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the CLI in this process: (exit code, stderr)."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "b"
    pts = [{"actors.US.openness": v, "model.consult_patience": k} for v, k in ((0.2, 4), (0.8, 9))]
    factors = ["actors.US.openness", "model.consult_patience"]
    design = Design(load_scenario("baseline-2024"), replications=750, root_seed=3, points=pts,
                    factors=factors, chunk_runs=500)  # fmt: skip
    run_batch(design, out=out)
    return out


def test_every_engine_reads_the_runs_folder_as_one_dataset(sweep: Path) -> None:
    import duckdb
    import polars as pl

    runs = sweep / "runs"
    assert sorted(p.suffix for p in runs.iterdir()) == [".parquet"] * 3  # nothing else in it
    ref = read_runs(sweep).sort_values(["point", "replication"]).reset_index(drop=True)
    assert len(ref) == 1500
    assert set(ref["scenario"]) == {"baseline-2024"}
    by_point = ref.groupby("point")[["actors.US.openness", "model.consult_patience"]].first()
    assert by_point.to_dict("list") == {
        "actors.US.openness": [0.2, 0.8],
        "model.consult_patience": [4, 9],
    }
    key = ["point", "replication", "summit", "strain", "actors.US.openness"]
    frames = {
        "pandas": pd.read_parquet(runs),
        "pyarrow.dataset": ds.dataset(runs).to_table().to_pandas(),
        "duckdb": duckdb.sql(f"select * from read_parquet('{runs}/**')").df(),
        "polars": pl.scan_parquet(runs).collect().to_pandas(),
    }
    for engine, df in frames.items():
        df = df.sort_values(["point", "replication"]).reset_index(drop=True)
        assert list(df.columns) == list(ref.columns), engine
        pd.testing.assert_frame_equal(
            df[key], ref[key], check_dtype=False, check_index_type=False, obj=engine
        )


def test_fields_are_described_in_the_schema_and_the_manifest(sweep: Path) -> None:
    schema = pq.read_schema(next((sweep / "runs").glob("*.parquet")))
    meta = schema.field("summit_week").metadata
    assert meta[b"unit"] == b"weeks" and b"NaN without one" in meta[b"description"]
    assert b"swept value" in schema.field("actors.US.openness").metadata[b"description"]
    columns = json.loads((sweep / "manifest.json").read_text())["columns"]
    assert set(columns["runs"]) == set(schema.names)
    lo = columns["summary"]["p_summit_lo"]
    assert (lo["interval"], lo["level"]) == ("Wilson score", "0.95")
    assert columns["summary"]["strain_mean"]["interval"] == "normal approximation"
    summary = pd.read_csv(sweep / "summary.csv")
    assert set(columns["summary"]) == set(summary.columns)
    assert all(e["description"] for e in [*columns["runs"].values(), *columns["summary"].values()])


def _interrupt(out: Path, keep: int) -> None:
    """What a kill leaves: the first ``keep`` chunks logged and written, status 'running'."""
    lines = (out / "status.jsonl").read_text().splitlines()
    (out / "status.jsonl").write_text("\n".join(lines[:keep]) + "\n")
    for shard in sorted((out / "runs").glob("*.parquet"))[keep:]:
        shard.unlink()
    m = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**m, "status": "running"}))


def test_run_resumes_from_the_directory_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full, cut = tmp_path / "full", tmp_path / "cut"
    args = ["run", "--runs", "3000", "--seed", "3", "--chunk-runs", "500"]
    assert summit(capsys, *args, "--out", str(full))[0] == 0
    shutil.copytree(full, cut)
    _interrupt(cut, 2)
    code, err = summit(capsys, "run", "--resume", "--runs", "400", "--out", str(cut))
    assert code == 2 and "--runs 400 (batch: 3000)" in err and len(err.splitlines()) == 1
    code, err = summit(capsys, "sweep", "--resume", str(cut))
    assert code == 2 and f"resume it with `summit run --resume {cut}`" in err
    assert summit(capsys, "run", "--resume", "--out", str(cut))[0] == 0
    assert (cut / "summary.csv").read_bytes() == (full / "summary.csv").read_bytes()
    _interrupt(cut, 3)
    assert summit(capsys, "run", "--resume", str(cut), "--seed", "3")[0] == 0  # agreeing: fine
    pd.testing.assert_frame_equal(read_runs(cut), read_runs(full))
    assert len(read_runs(cut)) == 3000


def test_a_sweep_directory_is_not_resumed_as_a_run(
    sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = summit(capsys, "run", "--resume", str(sweep))
    assert code == 2 and f"resume it with `summit sweep --resume {sweep}`" in err
    code, err = summit(capsys, "sweep", "--resume", str(sweep), "--factor", "model.rule=challenge")
    assert code == 2 and "--factor (the design is the batch's)" in err
    code, err = summit(capsys, "sweep", "--resume", str(sweep), "--seed", "4")
    assert code == 2 and "--seed 4 (batch: 3)" in err


def test_an_old_batch_with_its_log_in_runs_still_resumes(tmp_path: Path) -> None:
    design = Design(load_scenario("baseline-2024"), replications=1000, root_seed=2, chunk_runs=250)
    full, old = tmp_path / "full", tmp_path / "old"
    run_batch(design, out=full)
    shutil.copytree(full, old)
    _interrupt(old, 2)
    (old / "status.jsonl").rename(old / "runs" / "status.jsonl")  # the layout before issue 14
    assert DirectorySink(old).done() == {0, 1}
    run_batch(design, out=old, resume=True)
    assert not (old / "runs" / "status.jsonl").exists()
    assert len((old / "status.jsonl").read_text().splitlines()) == 4
    assert (old / "summary.csv").read_bytes() == (full / "summary.csv").read_bytes()


@pytest.mark.parametrize(
    ("damage", "args", "pattern"),
    [
        (("manifest.json", b'{"status": "complete", garbage'), ["table"],
         r"manifest\.json: <top>: not valid JSON \(line 1, column 24\)"),
        (("manifest.json", b"[1, 2]"), ["table"], r"manifest\.json: <top>: must be a JSON object"),
        (("manifest.json", b"\xff\xfe{}"), ["table"], r"manifest\.json: <top>: not UTF-8 text"),
        (("manifest.json", b'{"status": "complete"}'), ["table"],
         r"manifest\.json: scenario: required key is missing"),
        (("summary.csv", b"a,b\n1,2\n"), ["table"], r"summary\.csv: <top>: not a summary summit"),
        (("summary.csv", b"\xff\xfe\x00\x01"), ["table"], r"summary\.csv: <top>: not a readable"),
        (("runs/chunk-000000.parquet", b"PAR1 garbage"), ["table", "--timeline"],
         r"chunk-000000\.parquet: <top>: not a readable Parquet shard"),
        (("runs/chunk-000000.parquet", b"PAR1 garbage"), ["compare", "{dir}"],
         r"chunk-000000\.parquet: <top>: not a readable Parquet shard"),
    ],
)  # fmt: skip
def test_a_damaged_batch_directory_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: tuple[str, bytes],
    args: list[str],
    pattern: str,
) -> None:
    out = tmp_path / "b"
    run_batch(Design(load_scenario("baseline-2024"), replications=250), out=out)
    (out / damage[0]).write_bytes(damage[1])
    verb, *rest = args
    code, err = summit(capsys, verb, str(out), *[a.format(dir=out) for a in rest])
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert __import__("re").search(pattern, err), err


def test_out_that_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    for out in (f, f / "sub"):
        code, err = summit(capsys, "run", "--runs", "10", "--out", str(out))
        assert code == 2 and "--out:" in err and len(err.splitlines()) == 1, err
    assert f.read_text() == "x"


def test_a_full_disk_leaves_the_batch_interrupted_and_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    design = Design(load_scenario("baseline-2024"), replications=1000, root_seed=2, chunk_runs=250)
    real = DirectorySink.write

    def full_after_two(self: DirectorySink, chunk, df, seconds):  # type: ignore[no-untyped-def]
        if chunk.id >= 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.shard(chunk.id)))
        real(self, chunk, df, seconds)

    monkeypatch.setattr(DirectorySink, "write", full_after_two)
    out = tmp_path / "b"
    with pytest.raises(EnvironmentProblem) as info:
        run_batch(design, out=out)
    line = str(info.value)
    assert "No space left on device" in line and f"summit run --resume {out}" in line
    assert "\n" not in line
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["chunks_done"] == 2
    monkeypatch.setattr(DirectorySink, "write", real)
    res = run_batch(design, out=out, resume=True)
    assert res.failures == [] and int(res.summary.loc[0, "runs"]) == 1000
    names = sorted(p.name for p in (out / "runs").iterdir())
    assert names == [f"chunk-{i:06d}.parquet" for i in range(4)]  # no temporary file left
