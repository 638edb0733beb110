"""The examples of EXPERIMENTS.md run as written (tests/test_docs.py says how); a file of its own
so that the two longest pages run in parallel under `pytest -n 2 --dist loadfile`."""

from __future__ import annotations

from pathlib import Path

from test_docs import ROOT, check_doc


def test_examples_run_as_written(tmp_path: Path) -> None:
    check_doc(ROOT / "docs" / "EXPERIMENTS.md", tmp_path)
