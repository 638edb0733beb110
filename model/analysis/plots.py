"""PNG figures of sweeps, comparisons, sensitivity indices and PRIM trajectories (matplotlib).

Figures are built on `matplotlib.figure.Figure` directly, never through pyplot, so no GUI backend
or global figure state is involved (headless and safe in worker processes); PNGs are rendered by
the Agg canvas. Sizes are fixed (no tight bounding box) so a figure is the same size every time.
Axes are labelled in words: a factor's ``label`` from its experiment file, or its path in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.analysis.labels import find_outcome, words_for_path
from model.errors import ExperimentError
from model.results.stats import Z95, wilson

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure

    from model.analysis.discovery import Discovery
    from model.analysis.sensitivity import SensitivityResult

DPI = 100
SIZE = (8.0, 5.0)  # inches: 800 × 500 pixels at DPI
BLUE, ORANGE, GREY = "#1f5fa8", "#d9730d", "#6b6b6b"
MAX_GROUPS = 8  # lines in one factor plot before it falls back to dots


def _figure(size: tuple[float, float] = SIZE) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size, dpi=DPI, layout="constrained")


def _save(fig: Figure, path: Path) -> None:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ExperimentError(f"{path}: --out: plots are written as PNG; got {path.suffix!r}")
    if not path.parent.is_dir():
        raise ExperimentError(f"{path}: --out: no such directory; got {str(path.parent)!r}")
    fig.savefig(path, dpi=DPI, format="png")


def _label(path: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(path) or words_for_path(path)


def _outcome_label(outcome: str) -> str:
    return o.long if (o := find_outcome(outcome)) is not None else outcome.replace("_", " ")


def interval(summary: pd.DataFrame, outcome: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The 95% interval of an outcome per row: the summary's _lo/_hi columns, else Wilson's from
    the proportion and the runs; None for outcomes without one."""
    if f"{outcome}_lo" in summary.columns and f"{outcome}_hi" in summary.columns:
        return summary[f"{outcome}_lo"].to_numpy(float), summary[f"{outcome}_hi"].to_numpy(float)
    if (o := find_outcome(outcome)) is not None and o.kind == "proportion":
        pairs = [
            wilson(p * n, n)
            for p, n in zip(summary[outcome].to_numpy(float), summary["runs"], strict=True)
        ]
        arr = np.array(pairs, float).reshape(-1, 2)
        return arr[:, 0], arr[:, 1]
    return None


def _check_columns(summary: pd.DataFrame, *columns: str) -> None:
    for c in columns:
        if c not in summary.columns:
            known = [k for k in summary.columns if k not in ("scenario", "point")]
            raise ExperimentError(f"summary.csv: {c}: no such column (known: {known}); got {c!r}")


# ----------------------------------------------------------------------------- sweeps


def factor_plot(
    summary: pd.DataFrame,
    x: str,
    outcome: str,
    path: Path,
    labels: Mapping[str, str] | None = None,
    factors: list[str] | None = None,
    title: str | None = None,
) -> str:
    """One factor against an outcome with its 95% interval; returns how it was drawn.

    - only ``x`` varies: a line with the interval as a ribbon;
    - one other factor varies over a few levels (a grid): one line and ribbon per level;
    - otherwise (sampled designs): every design point as a dot with its interval as a bar,
      since the other factors move the outcome too.
    """
    _check_columns(summary, x, outcome)
    others = [
        f for f in (factors or []) if f != x and f in summary.columns and summary[f].nunique() > 1
    ]
    fig = _figure()
    ax = fig.add_subplot()
    ci = interval(summary, outcome)
    if not others or (len(others) == 1 and summary[others[0]].nunique() <= MAX_GROUPS):
        group = others[0] if others else None
        keys = sorted(summary[group].unique()) if group else [None]
        colours = _colours(len(keys))
        for key, colour in zip(keys, colours, strict=True):
            rows = summary if group is None else summary[summary[group] == key]
            line = pooled(rows, x, outcome)
            name = None if group is None else _g(key)
            ax.plot(line[x], line["value"], marker="o", ms=4, color=colour, label=name)
            if ci is not None:
                ax.fill_between(line[x], line["lo"], line["hi"], color=colour, alpha=0.18, lw=0)
        if group is not None:
            ax.legend(title=_label(group, labels), fontsize=8, title_fontsize=8, loc="best")
        how = "line" if group is None else f"one line per level of {group}"
        if summary.groupby([x] if group is None else [group, x]).size().max() > 1:
            how += "; points with equal values pooled"
    else:
        xs, ys = summary[x].to_numpy(float), summary[outcome].to_numpy(float)
        if ci is not None:
            err = np.vstack([ys - ci[0], ci[1] - ys])
            ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor=BLUE, alpha=0.35, lw=1)
        ax.plot(xs, ys, "o", ms=3.5, color=BLUE)
        bars = "; bars: 95% interval of its estimate" if ci is not None else ""
        title = title or f"each dot a design point{bars}; {len(others)} other factors vary too"
        how = "dots (other factors vary)"
    ax.set_xlabel(_label(x, labels))
    ax.set_ylabel(_outcome_label(outcome))
    if ci is not None:
        title = title or "shaded: 95% interval of each estimate"
    if title:
        ax.set_title(title, fontsize=9)
    _proportion_axis(ax, outcome)
    ax.grid(alpha=0.3)
    _save(fig, path)
    return how


def pooled(rows: pd.DataFrame, x: str, outcome: str) -> pd.DataFrame:
    """One row per value of ``x``: design points with the same value (Morris trajectories revisit
    points) are replicates, so their runs are pooled: Wilson's interval on the pooled counts for
    proportions, a run-weighted mean and its combined standard error otherwise."""
    ci = interval(rows, outcome)
    frame = pd.DataFrame(
        {
            x: rows[x].to_numpy(float),
            "v": rows[outcome].to_numpy(float),
            "w": rows["runs"].to_numpy(float),
            "lo": np.nan if ci is None else ci[0],
            "hi": np.nan if ci is None else ci[1],
        }
    )
    if outcome == "p_agreement_given_summit":  # a share among the runs with a summit
        frame["w"] = frame["w"] * rows["p_summit"].to_numpy(float)
    out = []
    for value, g in frame.groupby(x, sort=True):
        w = g["w"].to_numpy(float)
        mean = float(np.average(g["v"], weights=w)) if w.sum() > 0 else float(g["v"].mean())
        if len(g) == 1:
            lo, hi = float(g["lo"].iloc[0]), float(g["hi"].iloc[0])
        elif (o := find_outcome(outcome)) is not None and o.kind != "mean":
            lo, hi = wilson(mean * w.sum(), w.sum())
        else:
            se = np.sqrt(np.sum(np.square(w * (g["hi"] - g["lo"]) / (2 * Z95)))) / w.sum()
            lo, hi = mean - Z95 * float(se), mean + Z95 * float(se)
        out.append({x: value, "value": mean, "lo": lo, "hi": hi, "points": len(g)})
    return pd.DataFrame(out)


def heatmap_plot(
    summary: pd.DataFrame,
    x: str,
    y: str,
    outcome: str,
    path: Path,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> str:
    """Two factors against an outcome: a heatmap when the points form a grid over them (cells
    averaged over any other factor), else dots coloured by the outcome."""
    _check_columns(summary, x, y, outcome)
    if x == y:
        raise ExperimentError(f"--y: must differ from --x; got {y!r}")
    xs, ys = sorted(summary[x].unique()), sorted(summary[y].unique())
    cells = summary.groupby([y, x])[outcome].mean()
    fig = _figure()
    ax = fig.add_subplot()
    vmin, vmax = _colour_range(outcome, summary[outcome])
    im: ScalarMappable
    if len(cells) == len(xs) * len(ys) and len(xs) <= 40 and len(ys) <= 40:
        grid = cells.unstack(x).reindex(index=ys, columns=xs).to_numpy(float)
        im = ax.imshow(
            grid, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax,
            extent=(-0.5, len(xs) - 0.5, -0.5, len(ys) - 0.5),
        )  # fmt: skip
        ax.set_xticks(range(len(xs)), [_g(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_g(v) for v in ys])
        if len(xs) * len(ys) <= 100:
            for (i, j), v in np.ndenumerate(grid):
                shade = "white" if (v - vmin) < 0.55 * (vmax - vmin) else "black"
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8, color=shade)
        how = "heatmap"
        repeats = len(summary) // max(len(cells), 1)
        note = f"each cell: mean of {repeats} points" if repeats > 1 else "each cell: one point"
        ci = interval(summary, outcome)
        if ci is not None:  # colours stretch small differences: say how precise a cell is
            half = float(np.nanmedian((ci[1] - ci[0]) / 2)) / np.sqrt(max(repeats, 1))
            note += f"; typical 95% interval of a cell ±{half:.2g}"
    else:
        im = ax.scatter(
            summary[x], summary[y], c=summary[outcome], cmap="viridis", vmin=vmin, vmax=vmax,
            s=22, edgecolors="none",
        )  # fmt: skip
        how = "dots coloured by the outcome"
        note = "each dot a design point"
    fig.colorbar(im, ax=ax, label=_outcome_label(outcome))
    ax.set_xlabel(_label(x, labels))
    ax.set_ylabel(_label(y, labels))
    if title or note:
        ax.set_title(title or note or "", fontsize=9)
    _save(fig, path)
    return how


def _colour_range(outcome: str, values: pd.Series) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    if outcome.startswith("p_") or outcome == "strain_mean":
        lo, hi = max(0.0, lo), min(1.0, hi)
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _proportion_axis(ax: Axes, outcome: str) -> None:
    """Probabilities and strain live in [0, 1]; never show beyond it. A probability gets the
    whole of [0, 1]: on an axis fitted to the points (0.43–0.77 in one sweep) noise between
    overlapping intervals read as a trend. Strain, a small index, keeps its fitted axis."""
    if outcome.startswith("p_"):
        ax.set_ylim(-0.02, 1.02)
    elif outcome == "strain_mean":
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, -0.02), min(hi, 1.02))


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    if n == 1:
        return [BLUE]
    cmap = colormaps["viridis"]
    return [cmap(v) for v in np.linspace(0.05, 0.85, n)]


def _g(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float | np.floating) else str(v)


# ----------------------------------------------------------------------------- compare


def forest_plot(table: pd.DataFrame, path: Path) -> None:
    """Differences B − A with their 95% intervals (a compare table), around a zero line.

    Probabilities and strain share one panel (units of probability / index); weeks, on another
    scale, get their own panel so they do not squash the rest.
    """
    a, b = str(table.columns[1]), str(table.columns[2])
    weeks = table["outcome"].str.contains("week")
    panels = [(table[~weeks], "difference (probability or strain index)"),
              (table[weeks], "difference (weeks)")]  # fmt: skip
    panels = [(t, unit) for t, unit in panels if len(t)]
    heights = [max(len(t), 1) + 1.2 for t, _ in panels]
    fig = _figure((8.0, 0.45 * sum(heights) + 1.2))
    axes = fig.subplots(len(panels), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (t, unit) in zip(axes[:, 0], panels, strict=True):
        pos = np.arange(len(t))[::-1]
        d = t["difference"].to_numpy(float)
        lo, hi = t["lo"].to_numpy(float), t["hi"].to_numpy(float)
        clear = (lo > 0) | (hi < 0)
        ax.axvline(0, color=GREY, lw=1)
        ax.errorbar(d, pos, xerr=np.vstack([d - lo, hi - d]), fmt="none", ecolor=BLUE, capsize=3)
        if clear.any():
            ax.plot(d[clear], pos[clear], "o", color=BLUE, ms=6, label="interval excludes 0")
        if (~clear).any():
            ax.plot(d[~clear], pos[~clear], "o", mfc="white", mec=BLUE, ms=6, label="includes 0")
        ax.set_yticks(pos, list(t["outcome"]))
        ax.set_xlabel(unit)
        span = max(float(np.nanmax(np.abs(np.r_[lo, hi]))), 1e-3) * 1.15
        ax.set_xlim(-span, span)
        ax.set_ylim(-0.7, len(t) - 0.3)
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].set_title(f"{b} − {a}: differences with 95% intervals", fontsize=10)
    axes[0, 0].legend(fontsize=8, loc="best", frameon=False)
    _save(fig, path)


# ----------------------------------------------------------------------------- sensitivity


def sensitivity_plot(result: SensitivityResult, path: Path) -> None:
    """Bars per factor, one panel per outcome: S1 and ST with 95% intervals (Sobol), or mu* with
    its interval and sigma (Morris). A dashed line marks the replication-noise level."""
    outcomes = list(dict.fromkeys(result.indices["outcome"]))
    cols = min(len(outcomes), 3)
    rows = -(-len(outcomes) // cols)
    n_f = result.indices["factor"].nunique()
    fig = _figure((4.2 * cols + 1.0, (0.42 * n_f + 1.4) * rows + 0.8))
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    sobol = result.method == "sobol"
    if sobol:  # indices share one scale (shares of variance): one x range for every panel
        ends = result.indices[["S1", "ST"]].to_numpy(float)
        ends = ends + result.indices[["S1_conf", "ST_conf"]].to_numpy(float)
        xmax = max(1.0, float(np.nanmax(ends)) + 0.03)
        xmin = min(-0.05, float(np.nanmin(result.indices["S1"] - result.indices["S1_conf"])))
    for k, name in enumerate(outcomes):
        ax = axes[k // cols, k % cols]
        t = result.indices[result.indices["outcome"] == name]
        noise = result.noise.set_index("outcome").loc[name]
        pos = np.arange(len(t))[::-1]
        h = 0.38
        if sobol:
            pairs = [("S1", "first order S1", BLUE), ("ST", "total ST", ORANGE)]
            level = float(noise["noise_share"])
        else:
            pairs = [("mu_star", "mu*", BLUE), ("sigma", "sigma", ORANGE)]
            level = float(noise["mu_star_noise_floor"])
        for off, (col, lab, colour) in zip((h / 2, -h / 2), pairs, strict=True):
            conf = t.get(f"{col}_conf")
            err = None if conf is None else conf.to_numpy(float)
            ax.barh(pos + off, t[col].to_numpy(float), height=h, color=colour, label=lab,
                    xerr=err, error_kw={"lw": 1, "capsize": 2, "ecolor": "black"})  # fmt: skip
        if np.isfinite(level):
            noise_label = "replication-noise share" if sobol else "mu* from noise alone"
            ax.axvline(level, color=GREY, ls="--", lw=1, label=noise_label)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_yticks(pos, [_wrap(s) for s in t["label"]])
        ax.set_title(o.long if (o := find_outcome(name)) is not None else name, fontsize=9)
        ax.set_xlabel("index (share of variance)" if sobol else "change over the factor's range")
        ax.grid(axis="x", alpha=0.3)
        if sobol:
            ax.set_xlim(xmin, xmax)
    for k in range(len(outcomes), rows * cols):
        axes[k // cols, k % cols].set_visible(False)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    method = "Sobol indices" if sobol else "Morris elementary effects"
    fig.suptitle(f"{method} ({result.n_points} points × {result.replications} replications; "
                 "bars: 95% bootstrap intervals)", fontsize=10)  # fmt: skip
    _save(fig, path)


def _wrap(text: str, width: int = 26) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# ----------------------------------------------------------------------------- discovery


def trajectory_plot(d: Discovery, path: Path) -> None:
    """PRIM's peeling trajectory: coverage against density, coloured by the number of
    restricted factors, the chosen box marked."""
    traj = d.result.trajectory
    cov = np.array([b.coverage for b in traj])
    den = np.array([b.density for b in traj])
    nres = np.array([len(b.restricted) for b in traj])
    fig = _figure((7.0, 5.0))
    ax = fig.add_subplot()
    ax.plot(cov, den, color=GREY, lw=0.8, zorder=1)
    sc = ax.scatter(cov, den, c=nres, cmap="viridis", s=28, zorder=2)
    c = d.result.chosen
    ax.scatter([cov[c]], [den[c]], s=160, facecolors="none", edgecolors="red", lw=1.5, zorder=3,
               label=f"chosen box (step {c})")  # fmt: skip
    p = d.result.final
    if (p.coverage, p.density) != (cov[c], den[c]):
        ax.scatter([p.coverage], [p.density], marker="*", s=140, color="red",
                   label="reported box (pasted, weak limits dropped)")  # fmt: skip
    cbar = fig.colorbar(sc, ax=ax, label="restricted factors")
    cbar.set_ticks(sorted(set(nres.tolist())))
    ax.set_xlabel("coverage (share of all cases inside the box)")
    ax.set_ylabel("density (share of the box's runs that are cases)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"PRIM peeling: {d.condition}", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3)
    _save(fig, path)
