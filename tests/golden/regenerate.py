"""Rewrite the golden tables after an INTENDED change of the model (say why in the commit).

.venv/bin/python tests/golden/regenerate.py
"""

from __future__ import annotations

from pathlib import Path

from model import simulate

HERE = Path(__file__).resolve().parent
CASES = {"baseline-2024": 2000, "seoul-sidelined": 2000}

if __name__ == "__main__":
    for name, runs in CASES.items():
        simulate(name, runs=runs, seed=1).summary.to_csv(HERE / f"{name}.csv", index=False)
        print(f"wrote {name}.csv")
    # the point scenario (one world at the ranges' central values): a plain batch
    point = simulate("baseline-2024", runs=2000, seed=1, worlds=1).summary
    point.to_csv(HERE / "baseline-2024-point.csv", index=False)
    print("wrote baseline-2024-point.csv")
