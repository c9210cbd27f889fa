"""Charts of :mod:`kpi_toolkit.trends` and :mod:`kpi_toolkit.goals`: alerts against their expected
band, decomposition, level shifts, the 12-month view, month-of-year lines and goal pacing.

Every function takes ``ax=None`` (or ``axes=None`` for multi-panel charts), draws on a house-style
figure from :func:`kpi_toolkit.plotting.new_figure` when none is given and returns what it drew on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import (
    BAD,
    GOOD,
    GREY,
    MIN_FONT_PT,
    MONTHS,
    NEUTRAL,
    OKABE_ITO,
    date_axis,
    legend_columns,
    legend_outside,
    month_step,
    month_tick_labels,
    new_figure,
    percent_axis,
    thousands_axis,
    unit_tick_text,
)

__all__ = ["plot_alerts", "plot_decomposition", "plot_forecast", "plot_goal", "plot_level_shifts",
           "plot_month_of_year", "plot_rolling_12_months", "unit_axis"]


def unit_axis(ax: Any, unit: str, axis: str = "y", *, currency: str | None = None) -> Any:
    """Format an axis for a KPI unit as the report writes its values: percentages for fractions,
    "2.5×" for ratios (ROAS), "+42" for scores (NPS), "5 h" for hours, "€1,200" for money when the
    ``currency`` is given (:func:`~kpi_toolkit.plotting.unit_tick_text`), readable counts otherwise.

    A ROAS axis read "2.5, 3" and an NPS axis "42 %" (a score is stored as a fraction of 100 but is
    not a percentage): neither said what its numbers were."""
    if unit == "fraction":
        return percent_axis(ax, axis)
    if unit in ("ratio", "score", "hours", "currency"):
        from matplotlib.ticker import FuncFormatter

        fmt = FuncFormatter(lambda x, _p: unit_tick_text(x, unit, currency=currency))
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
        return ax
    return thousands_axis(ax, axis)


def _x(index: pd.Index) -> Any:
    idx = pd.DatetimeIndex(index)
    return idx.tz_localize(None) if idx.tz is not None else idx


def _month_ticks(ax: Any, x: pd.DatetimeIndex, *later: pd.Timestamp) -> Any:
    """For a monthly series ``x`` (consecutive firsts of the month): ticks on the
    month starts from its first month to the last of ``x`` and ``later``, every k-th month so the
    labels fit the axis (:func:`~kpi_toolkit.plotting.month_step`), labelled "Nov" with the year
    under the first and wherever it changes. Other series get :func:`~kpi_toolkit.plotting.date_axis`.

    Plainer for a client than the date locator's "2025-11", and fixed ticks are not recomputed at
    every layout pass (matplotlib's date locator was ~15 % of the goals chart's drawing time).
    """
    from ..trends.forecast import _is_monthly

    if not _is_monthly(x):
        return date_axis(ax)
    months = pd.date_range(x.min(), max([x.max(), *later]), freq="MS")
    ticks = months[::month_step(len(months), ax)]
    ax.set_xticks(ticks, month_tick_labels(ticks))
    return ax


def plot_alerts(result: pd.DataFrame, *, ax: Any = None, title: str | None = None, unit: str = "count",
                ylabel: str | None = None, start: Any = None, currency: str | None = None) -> Any:
    """A series with its expected value, the normal band and the flagged spikes and dips.

    Parameters
    ----------
    result
        Output of :func:`kpi_toolkit.trends.detect_anomalies`.
    ax
        Axes to draw on; a new figure when None.
    title, ylabel
        Plain-words title and axis label (with the unit).
    unit
        KPI unit ("count", "fraction", "currency" ...), for the axis format.
    start
        Show only from this time on (the band is still computed on the whole history).
    """
    if ax is None:
        _, ax = new_figure(height_in=3.4)
    r = result if start is None else result[result["timestamp"] >= pd.Timestamp(start)]
    x = _x(r["timestamp"])
    ax.fill_between(x, r["lower"], r["upper"], color=NEUTRAL, alpha=0.13, lw=0, label="normal range")
    ax.plot(x, r["expected"], color=NEUTRAL, lw=1.0, ls="--", label="expected")
    ax.plot(x, r["value"], color="#333333", lw=1.1, label="actual")
    flagged = r[r["is_anomaly"].to_numpy(dtype=bool)]
    up = flagged[flagged["score"] > 0]
    down = flagged[flagged["score"] < 0]
    if len(up):
        ax.plot(_x(up["timestamp"]), up["value"], "o", color=BAD, ms=6, label="spike", zorder=4)
    if len(down):
        ax.plot(_x(down["timestamp"]), down["value"], "v", color=OKABE_ITO[4], ms=6, label="dip", zorder=4)
    unit_axis(ax, unit, currency=currency)
    date_axis(ax)
    if title:
        ax.set_title(title)
    ax.set_ylabel(ylabel or "")
    ax.set_xlabel("")
    legend_outside(ax)
    return ax


def plot_decomposition(dec: pd.DataFrame, *, axes: Sequence[Any] | None = None, unit: str = "count",
                       title: str | None = None, currency: str | None = None) -> Sequence[Any]:
    """Observed, trend, each seasonal part and the residual of :func:`kpi_toolkit.trends.decompose`,
    one panel each, sharing the time axis."""
    seasonal = [c for c in dec.columns if c.startswith("seasonal_")]
    parts = ["observed", "trend", *seasonal, "resid"]
    names = {"observed": "Observed", "trend": "Trend", "resid": "Residual (what is left)"}
    for c in seasonal:
        p = int(c.split("_")[1])
        names[c] = {7: "Weekly pattern", 365: "Yearly pattern", 24: "Daily pattern",
                    168: "Weekly pattern", 288: "Daily pattern", 2016: "Weekly pattern"}.get(p, f"Cycle of {p} steps")
    if axes is None:
        _, axes = new_figure(height_in=1.7 * len(parts) + 0.6, nrows=len(parts), sharex=True)
    axes = list(np.atleast_1d(axes))
    x = _x(dec.index)
    for a, part in zip(axes, parts, strict=False):
        colour = "#333333" if part == "observed" else (NEUTRAL if part == "trend" else GREY)
        if part == "resid":
            a.plot(x, dec[part], ".", ms=2.5, color=GREY)
            a.axhline(0, color="#666666", lw=0.8)
        else:
            a.plot(x, dec[part], color=colour, lw=1.0 if part != "trend" else 1.8)
        a.set_ylabel(names[part], rotation=0, ha="right", va="center", fontsize=MIN_FONT_PT)
        unit_axis(a, unit, currency=currency)
    if axes:
        date_axis(axes[-1])  # shared by every panel
    if title:
        axes[0].set_title(title)
    return axes


def plot_level_shifts(adjusted: pd.DataFrame, shifts: pd.DataFrame | None = None, *, ax: Any = None,
                      title: str | None = None, unit: str = "count", ylabel: str | None = None,
                      currency: str | None = None) -> Any:
    """The seasonally adjusted series with its level segments and the dates of the shifts
    (output of :func:`kpi_toolkit.trends.seasonal_adjust` and :func:`~kpi_toolkit.trends.change_points`)."""
    if ax is None:
        _, ax = new_figure(height_in=3.2)
    x = _x(adjusted.index)
    ax.plot(x, adjusted["deseasonalised"], color=GREY, lw=0.8, label="without weekly and yearly pattern")
    ax.plot(x, adjusted["level"], color=NEUTRAL, lw=2.2, drawstyle="steps-post", label="level")
    if shifts is not None:
        for _, r in shifts.iterrows():
            d = pd.Timestamp(r["date"])
            d = d.tz_localize(None) if d.tzinfo is not None else d
            ax.axvline(d, color=OKABE_ITO[1], lw=1.2, ls=":")
            ax.annotate(f"{d:%d %b %Y}".lstrip("0"), (d, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -10), textcoords="offset points", fontsize=MIN_FONT_PT, color=OKABE_ITO[1])
    unit_axis(ax, unit, currency=currency)
    date_axis(ax)
    if title:
        ax.set_title(title)
    ax.set_ylabel(ylabel or "")
    legend_outside(ax)
    return ax


def plot_rolling_12_months(r12: pd.DataFrame, *, axes: Sequence[Any] | None = None, ncols: int = 2,
                           title: str | None = None, currency: str | None = None) -> Sequence[Any]:
    """Small multiples: each KPI's last 12 months (solid) against the same months a year earlier
    (dashed), from :func:`kpi_toolkit.trends.rolling_12_months`.

    A month the data covers on only some of its days (data ending on 15 November) is drawn with a
    hollow marker, its count and money totals scaled to the whole month at the same daily rate
    (:func:`~kpi_toolkit.trends.captions.scaled_to_month`; rates as they are): its 15 days' total had
    been drawn as a month, a dip that never happened. The legend says which month and how many of its
    days ("November 2026: 15 of 30 days, totals scaled");
    :func:`~kpi_toolkit.trends.captions.partial_month_sentences` says it in words. ``currency`` puts
    the symbol on money axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    from ..periods import month_words
    from ..trends.captions import partial_months, scaled_to_month

    drawn = scaled_to_month(r12)
    kpis = list(dict.fromkeys(drawn["kpi"].astype(str)))
    nrows = max(1, int(np.ceil(len(kpis) / ncols)))
    fig = None
    if axes is None:
        fig, axes = new_figure(height_in=2.5 * nrows + 0.5, nrows=nrows, ncols=ncols, squeeze=False)
    flat = list(np.ravel(axes))
    hollow = {"marker": "o", "ls": "none", "ms": 7, "mew": 1.5, "mfc": "white", "zorder": 4}  # seen on a phone
    for a, k in zip(flat, kpis, strict=False):
        g = drawn[drawn["kpi"].astype(str) == k]
        x = np.arange(len(g))
        a.plot(x, g["value_drawn"], "-o", color=NEUTRAL, ms=3, lw=1.6, label="last 12 months")
        if g["last_year"].notna().any():
            a.plot(x, g["last_year_drawn"], "--", color=GREY, lw=1.2, label="a year earlier")
        part = g["partial"].to_numpy(dtype=bool)
        if part.any():
            a.plot(x[part], g["value_drawn"].to_numpy()[part], mec=NEUTRAL, **hollow)
        part_ly = g["last_year_partial"].to_numpy(dtype=bool)
        if part_ly.any():
            a.plot(x[part_ly], g["last_year_drawn"].to_numpy()[part_ly], mec=GREY, **hollow)
        months = pd.to_datetime(g["month"].astype(str), format="%Y-%m")
        ticks = list(range(0, len(g), month_step(len(g), a, fontsize=MIN_FONT_PT)))
        a.set_xticks(ticks, month_tick_labels(months.iloc[ticks]), fontsize=MIN_FONT_PT)
        a.set_title(str(g["label"].iloc[0]), fontsize=11)
        unit_axis(a, str(g["unit"].iloc[0]), currency=currency)
        a.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))  # fit half a phone-width figure
        a.tick_params(axis="y", labelsize=MIN_FONT_PT)
    for a in flat[len(kpis):]:
        a.set_visible(False)
    if flat:
        handles, labels = flat[0].get_legend_handles_labels()
        partial = partial_months(r12)
        if partial:
            totals = ", totals scaled" if (drawn["scaled"] | drawn["last_year_scaled"]).any() else ""
            if len(partial) == 1:
                month, days, month_days = partial[0]
                text = f"{month_words(month)}: {days} of {month_days} days{totals}"
            else:
                text = f"month with part of its days{totals}"
            handles = [*handles, Line2D([], [], color=NEUTRAL, mec=NEUTRAL, **hollow)]
            labels = [*labels, text]
        if handles and fig is not None:
            fig.legend(handles, labels, loc="outside lower center", frameon=False,
                       ncol=legend_columns(labels, fig.get_figwidth()))
    if title and fig is not None:
        fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return flat


def plot_month_of_year(moy: pd.DataFrame, *, ax: Any = None, title: str | None = None, unit: str = "count",
                       ylabel: str | None = None, currency: str | None = None) -> Any:
    """One line per year across the calendar months (from :func:`kpi_toolkit.trends.month_of_year`)."""
    if ax is None:
        _, ax = new_figure(height_in=3.2)
    years = sorted(moy["year"].unique())
    for i, y in enumerate(years):
        g = moy[moy["year"] == y].sort_values("month_of_year")
        if g["value"].notna().sum() == 0:
            continue
        latest = i == len(years) - 1
        ax.plot(g["month_of_year"], g["value"], "-o", ms=3, lw=2.0 if latest else 1.2,
                color=OKABE_ITO[i % len(OKABE_ITO)] if latest else [GREY, OKABE_ITO[5], OKABE_ITO[2]][i % 3],
                label=str(y))
    ax.set_xticks(range(1, 13), MONTHS, fontsize=MIN_FONT_PT)  # twelve labels across a phone-width chart
    unit_axis(ax, unit, currency=currency)
    if title:
        ax.set_title(title)
    ax.set_ylabel(ylabel or "")
    legend_outside(ax)
    return ax


def plot_forecast(history: pd.Series, fc: pd.DataFrame, *, ax: Any = None, title: str | None = None,
                  unit: str = "count", ylabel: str | None = None, currency: str | None = None) -> Any:
    """History and forecast with its prediction interval (from :func:`kpi_toolkit.trends.forecast`)."""
    if ax is None:
        _, ax = new_figure(height_in=3.2)
    hx, fx = _x(history.index), _x(fc.index)
    ax.plot(hx, history.to_numpy(dtype="float64"), color="#333333", lw=1.2, label="actual")
    ax.fill_between(fx, fc["lower"], fc["upper"], color=NEUTRAL, alpha=0.18, lw=0, label="likely range (90 %)")
    ax.plot(fx, fc["forecast"], color=NEUTRAL, lw=1.6, ls="--", label="forecast")
    _month_ticks(ax, hx, *fx)
    unit_axis(ax, unit, currency=currency)
    if title:
        ax.set_title(title)
    ax.set_ylabel(ylabel or "")
    legend_outside(ax)
    return ax


def plot_goal(history: pd.Series, fc: pd.DataFrame | None, *, target: float, deadline: Any,
              status: str | None = None, ax: Any = None, title: str | None = None, unit: str = "count",
              currency: str | None = None) -> Any:
    """Monthly history, the forecast to the deadline with its likely range, the target line and the
    deadline, coloured by status (on track green, at risk orange, off track red)."""
    if ax is None:
        _, ax = new_figure(height_in=2.8)
    colour = {"on_track": GOOD, "achieved": GOOD, "at_risk": OKABE_ITO[1], "off_track": BAD,
              "missed": BAD}.get(status or "", NEUTRAL)
    hx = _x(history.index)
    fx = _x(fc.index) if fc is not None else hx[:0]
    ax.plot(hx, history.to_numpy(dtype="float64"), "-o", ms=3, color="#333333", lw=1.3, label="actual")
    if len(fx):
        ax.fill_between(fx, fc["lower"], fc["upper"], color=colour, alpha=0.18, lw=0, label="likely range (90 %)")
        ax.plot(hx[-1:].append(fx), np.r_[history.to_numpy(dtype="float64")[-1], fc["forecast"].to_numpy()],
                "--", color=colour, lw=1.6, label="forecast")
    ax.axhline(target, color=colour, lw=1.2, ls=":", label="target")
    d = pd.Timestamp(deadline)
    d = d.tz_localize(None) if d.tzinfo is not None else d
    ax.axvline(d, color=GREY, lw=1.0)
    _month_ticks(ax, hx, d, *fx)
    unit_axis(ax, unit, currency=currency)
    if title:
        ax.set_title(title, fontsize=11)
    legend_outside(ax)
    return ax
