"""Attribution charts: every model side by side, with bootstrap intervals where there are some.

Matplotlib and seaborn are imported inside the functions (through the house style of
:mod:`kpi_toolkit.plotting`), never when :mod:`kpi_toolkit.attribution` is imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")
"""One marker shape per model, so the chart reads without colour too."""

MODEL_COLOURS = {
    "first": "#56B4E9", "last": "#E69F00", "last_non_direct": "#009E73", "linear": "#CC79A7",
    "time_decay": "#D55E00", "position": "#9a9a9a", "markov": "#0072B2", "shapley": "#000000",
}
"""Okabe-Ito colours per model; the data-driven models get the two darkest (no yellow on white)."""


def plot_model_comparison(
    table: pd.DataFrame,
    *,
    ax: Any = None,
    measure: str = "conversions",
    models: Sequence[str] | None = None,
    highlight: Sequence[str] = ("markov", "shapley"),
    channel_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    """Share of conversions (or value) per channel under each model: a dot plot with intervals.

    Each channel is a row; each model a marker (colour and shape) at the channel's share of the
    model's total. Where the table has bootstrap columns, a line shows the interval of the highlighted
    (data-driven) models. Channels are ordered by the first highlighted model present.

    Parameters
    ----------
    table : DataFrame
        The tidy attribution table (``channel``, ``model``, ``conversions``, ``value`` and optional
        ``lower``/``upper``, ``value_lower``/``value_upper``).
    ax : matplotlib Axes, optional
        Drawn on a new house-style figure when None.
    measure : {"conversions", "value"}
    models : sequence of str, optional
        Models to show, in this order (default: every model in the table).
    highlight : sequence of str
        Models drawn larger and on top (the data-driven ones by default).
    channel_labels : mapping, optional
        Channel -> the name shown on the axis (the client report's display names, ``{"linkedin":
        "LinkedIn"}``); a channel not in it is shown as it is in the table.
    title : str, optional

    Returns
    -------
    matplotlib Axes

    References
    ----------
    .. [1] Cleveland W. S. & McGill R. (1984). "Graphical Perception." JASA 79(387):531-554 (dot
       plots: position on a common scale is read most accurately).
    .. [2] Okabe M. & Ito K. (2008). "Color Universal Design" (the palette).
    """
    from ..attribution.core import MODEL_LABELS, MODELS
    from . import OKABE_ITO, legend_outside, new_figure, percent_axis

    lo_col, hi_col = ("lower", "upper") if measure == "conversions" else ("value_lower", "value_upper")
    present = list(dict.fromkeys(table["model"].astype(str)))
    if models is None:
        models = [m for m in MODELS if m in present] + [m for m in present if m not in MODELS]
    else:
        models = [m for m in models if m in present]
    totals = table.groupby("model", observed=True)[measure].sum()
    lead_model = next((m for m in highlight if m in models), models[0] if models else None)
    order_frame = table[table["model"] == lead_model].sort_values(measure, ascending=True, kind="stable")
    channels = list(order_frame["channel"].astype(str))
    channels += sorted(set(table["channel"].astype(str)) - set(channels))
    if ax is None:
        _, ax = new_figure(height_in=max(3.0, 0.55 * len(channels) + 1.6))
    y_of = {c: i for i, c in enumerate(channels)}
    k = len(models)
    offsets = np.linspace(-0.3, 0.3, k) if k > 1 else np.zeros(1)
    x_min = 0.0
    for i, m in enumerate(models):
        sub = table[table["model"] == m]
        tot = float(totals.get(m, np.nan))
        if not tot:
            continue
        y = np.array([y_of[c] for c in sub["channel"].astype(str)]) + offsets[i]
        x = sub[measure].to_numpy(dtype=float) / tot
        colour = MODEL_COLOURS.get(m, OKABE_ITO[i % len(OKABE_ITO)])
        big = m in highlight
        if big and lo_col in sub.columns and sub[lo_col].notna().any():
            lo = sub[lo_col].to_numpy(dtype=float) / tot
            hi = sub[hi_col].to_numpy(dtype=float) / tot
            ax.hlines(y, lo, hi, color=colour, linewidth=2.2 if big else 1.2, alpha=0.9, zorder=2)
            x_min = min(x_min, float(np.nanmin(lo)))
        ax.scatter(x, y, s=70 if big else 26, marker=MARKERS[i % len(MARKERS)], color=colour,
                   edgecolor="white", linewidth=0.6, zorder=3 if big else 2,
                   label=MODEL_LABELS.get(m, m))
        x_min = min(x_min, float(np.nanmin(x)))
    names = channel_labels or {}
    ax.set_yticks(range(len(channels)), [names.get(c, c) for c in channels])
    ax.set_ylim(-0.6, len(channels) - 0.4)
    ax.set_xlim(left=x_min * 1.05 if x_min < 0 else 0)  # a negative Shapley credit stays visible
    if x_min < 0:
        ax.axvline(0, color="black", linewidth=0.8)
    percent_axis(ax, "x", decimals=0)
    what = "conversions" if measure == "conversions" else "conversion value"
    ax.set_xlabel(f"Share of attributed {what} (%)")
    ax.set_ylabel("")
    ax.set_title(title or f"Share of {what} each channel earns, by attribution model")
    ax.grid(axis="y", visible=False)
    legend_outside(ax)
    return ax


def plot_roas(
    efficiency: pd.DataFrame,
    *,
    ax: Any = None,
    model: str = "markov",
    currency: str = "EUR",
    channel_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    """Attributed return on ad spend per paid channel under one model, with its interval.

    Parameters
    ----------
    efficiency : DataFrame
        From :func:`kpi_toolkit.attribution.with_spend` (``channel``, ``model``, ``roas`` and
        optional ``roas_lower``/``roas_upper``).
    ax : matplotlib Axes, optional
    model : str
    currency : str
        For the axis label (ROAS is value in ``currency`` per 1 ``currency`` of spend), written as the
        report writes money (``"€1"``).
    channel_labels : mapping, optional
        Channel -> the name shown on the axis; a channel not in it is shown as it is in the table.
    title : str, optional

    Returns
    -------
    matplotlib Axes

    References
    ----------
    .. [1] Google Ads Help, "Return on ad spend (ROAS)": conversion value / ad spend.
    """
    from ..kpis import format_value
    from . import NEUTRAL, new_figure

    sub = efficiency[(efficiency["model"] == model) & efficiency["roas"].notna()]
    sub = sub.sort_values("roas", kind="stable")
    if ax is None:
        _, ax = new_figure(height_in=max(2.5, 0.5 * len(sub) + 1.4))
    y = np.arange(len(sub))
    ax.barh(y, sub["roas"].to_numpy(dtype=float), color=NEUTRAL, height=0.6)
    if "roas_lower" in sub.columns:
        lo = sub["roas_lower"].to_numpy(dtype=float)
        hi = sub["roas_upper"].to_numpy(dtype=float)
        r = sub["roas"].to_numpy(dtype=float)
        ax.errorbar(r, y, xerr=[np.maximum(r - lo, 0), np.maximum(hi - r, 0)], fmt="none", ecolor="black",
                    capsize=3, linewidth=1)
    ax.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
    names = channel_labels or {}
    ax.set_yticks(y, [names.get(c, c) for c in sub["channel"].astype(str)])
    one = format_value(1.0, "currency", currency=currency).replace(".00", "")
    ax.set_xlabel(f"Attributed revenue per {one} of ad spend (ROAS)")
    ax.set_title(title or "Return on ad spend by channel (Markov attribution)")
    ax.grid(axis="y", visible=False)
    return ax
