"""`summit compare A B --plot` for two sweeps: where the two response surfaces differ.

- one factor varies: both response curves with their 95% bands above, and the difference B − A
  with its band around a zero line below;
- two factors: a heatmap of B − A (a diverging scale centred on 0), each cell written with its
  value and a star where its interval excludes 0; dots coloured by B − A when the points are not
  a grid;
- more: each point's difference with its interval, sorted.

The title names the outcome, the two scenarios and the runs behind each value.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.analysis.labels import find_outcome
from model.analysis.plots import BLUE, GREY, ORANGE, _figure, _save
from model.analysis.sweep_compare import SweepComparison, excludes_zero, outcome_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def sweep_compare_plot(comp: SweepComparison, key: str, path: Path) -> str:
    """Draw one outcome of a sweep comparison to ``path`` (PNG); returns how it was drawn."""
    t = comp.table[comp.table["outcome"] == key].reset_index(drop=True)
    varying = [f for f in comp.factors if t[f].nunique() > 1]
    if len(varying) == 1:
        fig, how = _curves(comp, t, varying[0], key), "response curves and their difference"
    elif len(varying) == 2 and all(_numeric(t[f]) for f in varying):
        fig, how = _heatmap(comp, t, varying[0], varying[1], key)
    else:
        fig, how = _forest(comp, t, key), "difference at each point, sorted"
    _save(fig, path)
    return how


def _title(comp: SweepComparison, key: str) -> str:
    found = find_outcome(key)
    name = found.long if found is not None else outcome_label(key)
    paired = "paired (common random numbers)" if comp.paired else "unpaired"
    runs = f"{comp.a.replications:,}" if comp.a.replications == comp.b.replications else (
        f"{comp.a.replications:,} / {comp.b.replications:,}"
    )  # fmt: skip
    n = len(comp.table["point_a"].unique())
    return (
        f"{name}: {comp.b.label} − {comp.a.label}\n"
        f"{n} design points × {runs} runs per scenario; 95% intervals, {paired}"
    )


def _numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s))


def _positions(values: pd.Series) -> tuple[np.ndarray, list[Any] | None]:
    """x positions: the values themselves, or 0, 1, … for a categorical factor (and its ticks)."""
    if _numeric(values):
        return values.to_numpy(float), None
    cats = list(dict.fromkeys(values))
    return np.array([cats.index(v) for v in values], float), cats


def _curves(comp: SweepComparison, t: pd.DataFrame, x: str, key: str) -> Figure:
    t = t.sort_values(x, kind="stable")
    xs, cats = _positions(t[x])
    fig = _figure((8.0, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for side, colour, label in (("a", BLUE, comp.a.label), ("b", ORANGE, comp.b.label)):
        top.plot(xs, t[side], marker="o", ms=4, color=colour, label=label)
        top.fill_between(xs, t[f"{side}_lo"], t[f"{side}_hi"], color=colour, alpha=0.18, lw=0)
    top.set_ylabel(outcome_label(key))
    top.legend(fontsize=8, loc="best", title="shaded: 95% interval", title_fontsize=8)
    top.grid(alpha=0.3)
    d, lo, hi = (t[c].to_numpy(float) for c in ("difference", "lo", "hi"))
    clear = excludes_zero(t).to_numpy()
    bottom.axhline(0, color=GREY, lw=1)
    bottom.fill_between(xs, lo, hi, color=GREY, alpha=0.25, lw=0, label="95% interval")
    bottom.plot(xs, d, color="black", lw=1)
    bottom.plot(xs[clear], d[clear], "o", color="black", ms=5, label="interval excludes 0")
    bottom.plot(xs[~clear], d[~clear], "o", mfc="white", mec="black", ms=5, label="includes 0")
    bottom.set_ylabel(f"{comp.b.label} − {comp.a.label}")
    bottom.set_xlabel(comp.a.factor_labels.get(x, x))
    bottom.legend(fontsize=8, loc="best")
    bottom.grid(alpha=0.3)
    if cats is not None:
        bottom.set_xticks(range(len(cats)), [str(c) for c in cats])
    fig.suptitle(_title(comp, key), fontsize=10)
    return fig


def _heatmap(
    comp: SweepComparison, t: pd.DataFrame, x: str, y: str, key: str
) -> tuple[Figure, str]:
    from matplotlib.colors import TwoSlopeNorm

    fig = _figure((8.0, 6.0))
    ax = fig.add_subplot()
    d = t["difference"].to_numpy(float)
    span = max(float(np.nanmax(np.abs(d))) if np.isfinite(d).any() else 0.0, 1e-6)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span)  # white = no difference
    xs, ys = sorted(t[x].unique()), sorted(t[y].unique())
    cells = t.groupby([y, x])["difference"].mean()
    if len(cells) == len(t) == len(xs) * len(ys) and len(xs) <= 40 and len(ys) <= 40:
        grid = cells.unstack(x).reindex(index=ys, columns=xs).to_numpy(float)
        im: Any = ax.imshow(grid, origin="lower", aspect="auto", cmap="RdBu_r", norm=norm,
                            extent=(-0.5, len(xs) - 0.5, -0.5, len(ys) - 0.5))  # fmt: skip
        ax.set_xticks(range(len(xs)), [f"{v:.3g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:.3g}" for v in ys])
        if len(xs) * len(ys) <= 100:
            _write_cells(ax, t, x, y, xs, ys, span)
        how = "heatmap of the difference"
        note = "; * interval excludes 0" if len(xs) * len(ys) <= 100 else ""
    else:
        im = ax.scatter(t[x], t[y], c=d, cmap="RdBu_r", norm=norm, s=26, edgecolors="none")
        how, note = "dots coloured by the difference", ""
    fig.colorbar(im, ax=ax, label=f"{comp.b.label} − {comp.a.label}{note}")
    ax.set_xlabel(comp.a.factor_labels.get(x, x))
    ax.set_ylabel(comp.a.factor_labels.get(y, y))
    ax.set_title(_title(comp, key), fontsize=10)
    return fig, how


def _write_cells(
    ax: Axes, t: pd.DataFrame, x: str, y: str, xs: list[Any], ys: list[Any], span: float
) -> None:
    for _, r in t.iterrows():
        j, i = xs.index(r[x]), ys.index(r[y])
        star = " *" if (r["lo"] > 0 or r["hi"] < 0) else ""
        shade = "white" if abs(r["difference"]) > 0.6 * span else "black"
        ax.text(j, i, f"{r['difference']:+.2f}{star}", ha="center", va="center", fontsize=8,
                color=shade)  # fmt: skip


def _forest(comp: SweepComparison, t: pd.DataFrame, key: str) -> Figure:
    t = t.sort_values("difference", kind="stable").reset_index(drop=True)
    fig = _figure((8.0, max(4.0, 0.18 * len(t) + 1.6)))
    ax = fig.add_subplot()
    pos = np.arange(len(t))
    d, lo, hi = (t[c].to_numpy(float) for c in ("difference", "lo", "hi"))
    clear = excludes_zero(t).to_numpy()
    ax.axvline(0, color=GREY, lw=1)
    ax.errorbar(d, pos, xerr=np.vstack([d - lo, hi - d]), fmt="none", ecolor=BLUE, lw=1)
    ax.plot(d[clear], pos[clear], "o", color=BLUE, ms=4, label="interval excludes 0")
    ax.plot(d[~clear], pos[~clear], "o", mfc="white", mec=BLUE, ms=4, label="includes 0")
    ax.set_yticks([])
    ax.set_ylabel("design points, sorted by the difference")
    ax.set_xlabel(f"{comp.b.label} − {comp.a.label}")
    ax.legend(fontsize=8, loc="best")
    ax.set_title(_title(comp, key), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig
