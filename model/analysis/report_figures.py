"""Figures for `summit report`, embedded in the page as PNG data (no file beside it, no network).

Each figure is drawn by the plot the CLI uses for it (timeline, sweep, forest, sweep comparison)
into a temporary file, then read back as a ``data:`` URI.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    caption: str
    uri: str  # data:image/png;base64,…
    how: str  # what the plot function says it drew


def embed(caption: str, draw: Callable[[Path], str | None]) -> Figure:
    """Run ``draw(path)`` on a temporary PNG path and embed what it wrote."""
    with tempfile.TemporaryDirectory(prefix="summit-report-") as tmp:
        path = Path(tmp) / "figure.png"
        how = draw(path) or ""
        data = path.read_bytes()
    return Figure(caption, "data:image/png;base64," + base64.b64encode(data).decode("ascii"), how)
