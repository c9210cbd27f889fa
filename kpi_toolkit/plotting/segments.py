"""Charts of :mod:`kpi_toolkit.segments`: segment intervals, best-time heatmaps, drivers.

Segments with too few posts are drawn in grey and never highlighted; heatmap cells below the minimum
sample are grey and hatched, so a reader cannot mistake a two-post cell for a finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import (
    GREY,
    MIN_FONT_PT,
    NEUTRAL,
    OKABE_ITO,
    new_figure,
    percent_axis,
    ratio_axis,
    wrap_label,
)

__all__ = ["colour_range", "driver_group_label", "plot_drivers", "plot_posting_heatmap", "plot_posting_heatmaps",
           "plot_segment_kpi", "plot_time_slots", "tick_decimals", "time_slot_ticks"]

_LIGHT_GREY = "#e6e6e6"


def _label(df: pd.DataFrame) -> str:
    label = str(df.attrs.get("label", df.attrs.get("kpi", "value")))
    return label[0].upper() + label[1:]


def plot_segment_kpi(seg: pd.DataFrame, *, by: str | None = None, ax: Any = None, title: str | None = None) -> Any:
    """Each segment's value with its interval (dots and bars); small segments grey.

    Parameters
    ----------
    seg
        Output of :func:`kpi_toolkit.segments.segment_kpi`.
    by
        The segment column to label rows with (default: the frame's ``attrs["by"]`` joined).
    ax
        Axes to draw on; a new house-style figure when None.
    """
    if ax is None:
        _, ax = new_figure(height_in=max(2.4, 0.45 * len(seg) + 1.6))
    from kpi_toolkit.segments import level_name

    cols = [by] if by else list(seg.attrs.get("by", [seg.columns[0]]))
    labels = [" / ".join(level_name(c, v) for c, v in zip(cols, row, strict=True))
              for row in seg[cols].itertuples(index=False)]
    order = np.argsort(seg["value"].fillna(-np.inf).to_numpy(), kind="stable")
    y = np.arange(len(seg))
    rate = seg.attrs.get("kind") == "rate"
    for pos, i in zip(y, order, strict=True):
        r = seg.iloc[i]
        ok = bool(r["enough_posts"])
        colour = NEUTRAL if ok else GREY
        if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]):
            ax.plot([r["ci_low"], r["ci_high"]], [pos, pos], color=colour, lw=2.2, alpha=0.8 if ok else 0.6,
                    solid_capstyle="butt")
        ax.plot([r["value"]], [pos], "o", color=colour, ms=7, zorder=3)
        n = int(r["n_posts"])
        note = f"{n:,} post{'s' * (n != 1)}" + ("" if ok else "\ntoo few")
        ax.annotate(note, (1.0, pos), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=MIN_FONT_PT, color="#444444" if ok else GREY)
    overall = seg.attrs.get("overall")
    if overall is not None and np.isfinite(overall):
        ax.axvline(overall, color=OKABE_ITO[1], ls="--", lw=1.2, label="all posts")
    ax.set_yticks(y, [wrap_label(labels[i]) for i in order])
    for tick, i in zip(ax.get_yticklabels(), order, strict=True):
        if not bool(seg.iloc[i]["enough_posts"]):
            tick.set_color(GREY)
    ax.set_ylim(-0.6, len(seg) - 0.4)
    level = 100 * float(seg.attrs.get("confidence", 0.95))
    ax.set_xlabel(f"{_label(seg)} ({level:g} % interval)" + (" in %" if rate else ""))
    ax.set_ylabel("")
    if rate:
        percent_axis(ax, "x")
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    if overall is not None:
        ax.legend(loc="lower right", fontsize=MIN_FONT_PT)
    ax.set_title(title or f"{_label(seg)} by segment")
    return ax


def plot_posting_heatmap(grid: pd.DataFrame, *, platform: str | None = None, ax: Any = None,
                         title: str | None = None, vmin: float | None = None, vmax: float | None = None) -> Any:
    """Weekday × time slot heatmap of one platform; masked cells grey and hatched.

    Parameters
    ----------
    grid
        Output of :func:`kpi_toolkit.segments.posting_time_grid`.
    platform
        Which platform to draw (required when the grid has several).
    """
    from kpi_toolkit.segments import WEEKDAY_NAMES

    if ax is None:
        _, ax = new_figure(height_in=3.2)
    g = grid
    if "platform" in grid.columns:
        if platform is None:
            platforms = grid["platform"].unique()
            if len(platforms) != 1:
                raise ValueError("grid has several platforms: pass platform=")
            platform = str(platforms[0])
        g = grid[grid["platform"] == platform]
    blocks = sorted(g["hour_block"].unique())
    values = g.pivot_table(index="weekday", columns="hour_block", values="value", aggfunc="first",
                           dropna=False).reindex(index=range(7), columns=blocks)
    masked = g.pivot_table(index="weekday", columns="hour_block", values="masked", aggfunc="first",
                           dropna=False).reindex(index=range(7), columns=blocks)
    counts = g.pivot_table(index="weekday", columns="hour_block", values="n_posts", aggfunc="first",
                           dropna=False).reindex(index=range(7), columns=blocks).fillna(0)
    mask = masked.fillna(True).to_numpy(dtype=bool) | values.isna().to_numpy()
    arr = np.ma.masked_array(values.to_numpy(dtype=float), mask=mask)
    import matplotlib as mpl

    cmap = mpl.colormaps["viridis"].with_extremes(bad=_LIGHT_GREY)
    shown = arr.compressed()
    lo = vmin if vmin is not None else (float(shown.min()) if shown.size else 0.0)
    hi = vmax if vmax is not None else (float(shown.max()) if shown.size else 1.0)
    lo, hi, single = colour_range(lo, hi)
    im = ax.imshow(arr, cmap=cmap, vmin=lo, vmax=hi, aspect="auto", interpolation="nearest")
    rate = grid.attrs.get("kind") == "rate"
    for (i, j), m in np.ndenumerate(mask):
        if m:
            ax.add_patch(_hatch(j, i))
            n = int(counts.iat[i, j])
            if n:
                ax.text(j, i, f"{n}", ha="center", va="center", fontsize=MIN_FONT_PT, color=GREY)
        else:
            v = arr[i, j]
            txt = f"{100 * v:.1f}" if rate else f"{v:,.0f}"
            bright = (v - lo) / (hi - lo) > 0.6
            ax.text(j, i, txt, ha="center", va="center", fontsize=MIN_FONT_PT, color="black" if bright else "white")
    ax.set_xticks(range(len(blocks)), [b[:2] for b in blocks], fontsize=MIN_FONT_PT)
    ax.set_yticks(range(7), [w[:3] for w in WEEKDAY_NAMES], fontsize=MIN_FONT_PT)
    ax.set_xlabel("Time slot, starting hour (local time)")
    ax.grid(False)
    cb = ax.figure.colorbar(im, ax=ax, shrink=0.85, pad=0.02)
    if single is not None:     # one value (one cell, or cells alike): one tick, not five alike
        cb.set_ticks([single])
    from matplotlib.ticker import FuncFormatter

    ticks = [t for t in cb.get_ticks() if lo <= t <= hi]
    decimals = tick_decimals(ticks, percent=rate)
    cb.ax.yaxis.set_major_formatter(FuncFormatter(
        (lambda v, _p: f"{100 * v:.{decimals}f} %") if rate else (lambda v, _p: f"{v:,.{decimals}f}")))
    if not shown.size:
        cb.ax.set_visible(False)
    from kpi_toolkit.segments import PLATFORM_NAMES

    ax.set_title(title or PLATFORM_NAMES.get(str(platform), str(platform or "")), fontsize=11)
    return ax


def colour_range(lo: float, hi: float) -> tuple[float, float, float | None]:
    """A colour scale that cannot collapse: ``(lo, hi, single)``.

    When every coloured cell has the same value (one cell with enough posts, or several alike),
    ``vmin == vmax`` would give a colour bar of one value repeated at every tick; the range is then
    widened by 10 % of the value on each side (±0.001 around zero) and ``single`` is that value, to
    be its one tick. Otherwise ``single`` is None and the range is kept.
    """
    lo, hi = float(lo), float(hi)
    if hi - lo > 1e-12 * max(1.0, abs(lo), abs(hi)):
        return lo, hi, None
    v = (lo + hi) / 2
    pad = 0.1 * abs(v) if v else 1e-3
    return v - pad, v + pad, v


def tick_decimals(ticks: Any, *, percent: bool = False, most: int = 4) -> int:
    """The fewest decimals that write every tick exactly (values in % when ``percent``), so no two
    labels read alike and none is rounded ("1.25 %", not "1.2 %").

    ``[0.02, 0.03, 0.04]`` in % -> 0 ("2 %", "3 %"); ``[0.0125, 0.015, 0.0175]`` in % -> 2. A single
    tick gets one decimal; at most ``most``.
    """
    v = np.sort(np.asarray(list(ticks), dtype=float)) * (100 if percent else 1)
    if len(v) < 2:
        return 1
    scale = max(1e-12, float(np.max(np.abs(v))))
    for d in range(most + 1):
        if np.all(np.abs(v - np.round(v, d)) <= 1e-9 * scale) and len(set(np.round(v, d))) == len(v):
            return d
    return most


def _hatch(x: int, y: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#c4c4c4", lw=0)


def plot_posting_heatmaps(grid: pd.DataFrame, *, title: str | None = None, ncols: int = 1) -> Any:
    """One :func:`plot_posting_heatmap` per platform on a new figure; returns the Figure.

    One platform a row by default: twelve time slots side by side need the figure's whole width.
    """
    platforms = sorted(grid["platform"].unique()) if "platform" in grid.columns else [None]
    n = len(platforms)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = new_figure(height_in=2.6 * nrows + 0.6, nrows=nrows, ncols=ncols, squeeze=False)
    for ax, p in zip(axes.flat, platforms, strict=False):
        plot_posting_heatmap(grid, platform=p, ax=ax)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontweight="bold", x=0.01, ha="left")
    return fig


def driver_group_label(factor: str, reference: Any) -> str:
    """The heading of a factor's rows in :func:`plot_drivers`, in plain words:
    ``("platform", "linkedin") -> "Platform, against LinkedIn"``."""
    from kpi_toolkit.segments import _plain_column, level_name

    what = "paid / organic" if factor == "paid_status" else _plain_column(factor)
    return f"{what[:1].upper()}{what[1:]}, against {level_name(factor, reference)}"


def plot_drivers(drivers: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Incidence-rate ratios with intervals on a log scale (forest plot); 1 = no difference.

    Rows are grouped by factor under a heading that names the level they are compared with
    ("Platform, against Instagram"); each row is labelled with its level's display name ("X",
    "LinkedIn", "other formats"), so the labels stay short and leave the plot most of a phone-width
    figure.

    References
    ----------
    .. [1] Lewis, S. & Clarke, M. (2001). Forest plots: trying to see the wood and the trees. BMJ
       322, 1479-1480.
    """
    from kpi_toolkit.segments import level_name

    d = drivers[~drivers["is_reference"] & drivers["irr"].notna()].reset_index(drop=True)
    rows: list[tuple[str, Any]] = []     # (label, the level's row or None for a heading)
    for factor, g in d.groupby("factor", sort=False):
        rows.append((driver_group_label(str(factor), g["reference"].iloc[0]), None))
        rows += [(level_name(str(factor), r.level), r) for r in g.itertuples()]
    if ax is None:
        _, ax = new_figure(height_in=max(2.4, 0.3 * len(rows) + 1.8))
    y = np.arange(len(rows))[::-1]
    for pos, (_, r) in zip(y, rows, strict=True):
        if r is None:
            continue
        ok = bool(r.enough_posts)
        colour = (OKABE_ITO[2] if r.irr > 1 else OKABE_ITO[3]) if (r.significant and ok) else GREY
        if np.isfinite(r.ci_low) and np.isfinite(r.ci_high):
            ax.plot([r.ci_low, r.ci_high], [pos, pos], color=colour, lw=2.2, solid_capstyle="butt")
        ax.plot([r.irr], [pos], "s", color=colour, ms=6, zorder=3)
    ax.axvline(1.0, color="#333333", lw=1)
    ratio_axis(ax)
    ax.set_yticks(y, [label for label, _ in rows], fontsize=10)
    for tick, (_, r) in zip(ax.get_yticklabels(), rows, strict=True):
        if r is None:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(f"{drivers.attrs.get('numerator', 'engagements').capitalize()} per "
                  f"{drivers.attrs.get('denominator', 'reach')}; 1× = same as the group compared with "
                  f"({100 * float(drivers.attrs.get('confidence', 0.95)):g} % interval)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title or "What drives engagement")
    return ax


SLOT_LABEL_EM = 0.62
"""Width of one digit or colon of a tick label in DejaVu Sans, in em (measured), plus room for the gap."""


def time_slot_ticks(blocks: list[str], ax: Any) -> tuple[list[int], list[str], str]:
    """Tick positions, labels and the axis label for time slots ``"06:00-07:59"`` across ``ax``.

    Labels read "06:00" where every slot's fits the axes' width at :data:`MIN_FONT_PT`; otherwise
    the starting hour alone ("06"), on every slot or every k-th one. Twelve 2-hour slots labelled
    "00:00" ... "22:00" in 8 points had run into one another on a phone-width chart
    ("00:0002:0004:00...").
    """
    import math

    width_in = ax.get_position().width * ax.get_figure(root=True).get_figwidth()
    em_in = MIN_FONT_PT / 72

    def fits(chars: int, n: int) -> bool:
        return n * (chars + 1.5) * SLOT_LABEL_EM * em_in <= width_in

    if fits(5, len(blocks)):
        return list(range(len(blocks))), [b[:5] for b in blocks], "Time slot, starting at (local time)"
    step = next((k for k in range(1, len(blocks) + 1) if fits(2, math.ceil(len(blocks) / k))), len(blocks))
    ticks = list(range(0, len(blocks), step))
    return ticks, [blocks[i][:2] for i in ticks], "Time slot, starting hour (local time)"


def plot_time_slots(slots: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Each platform's KPI by time slot relative to its own usual rate (1 = usual), with intervals.

    Slots with too few posts are drawn as small grey marks without intervals; the dashed line at 1
    is each platform's own value over all its posts.

    Parameters
    ----------
    slots
        Output of :func:`kpi_toolkit.segments.time_slots`.
    """
    from kpi_toolkit.segments import PLATFORM_NAMES

    if ax is None:
        _, ax = new_figure(height_in=4.2)
    blocks = sorted(slots["hour_block"].dropna().unique())
    x_of = {b: i for i, b in enumerate(blocks)}
    groups = list(slots.groupby("platform", sort=True)) if "platform" in slots.columns else [("", slots)]
    n = len(groups)
    width = 0.7 / max(n, 1)
    grey_label = "too few posts"
    for k, (platform, g) in enumerate(groups):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        offset = (k - (n - 1) / 2) * width
        ok = g[g["enough_posts"]]
        small = g[~g["enough_posts"]]
        xs = np.array([x_of[b] for b in ok["hour_block"]]) + offset
        if len(ok):
            ax.errorbar(xs, ok["relative"], yerr=[ok["relative"] - ok["relative_low"],
                                                  ok["relative_high"] - ok["relative"]],
                        fmt="o", ms=5, color=colour, elinewidth=1.6, capsize=0,
                        label=PLATFORM_NAMES.get(str(platform), str(platform)))
        if len(small):
            xs = np.array([x_of[b] for b in small["hour_block"]]) + offset
            ax.plot(xs, small["relative"], "_", color=GREY, ms=7, mew=1.5, label=grey_label)
            grey_label = None
    ax.axhline(1.0, color="#333333", lw=1, ls="--")
    ticks, labels, xlabel = time_slot_ticks(blocks, ax)
    ax.set_xticks(ticks, labels, fontsize=MIN_FONT_PT)
    ax.set_xlim(-0.6, len(blocks) - 0.4)
    ax.set_xlabel(xlabel)
    label = _label(slots)
    ax.set_ylabel(f"{label}\nrelative to the platform's usual (1 = usual)", fontsize=MIN_FONT_PT)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}×"))
    ax.grid(axis="x", visible=False)
    from . import legend_outside

    legend_outside(ax)
    ax.set_title(title or f"{label} by time of day")
    return ax
