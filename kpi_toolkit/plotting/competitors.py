"""Charts of :mod:`kpi_toolkit.benchmarks` and :mod:`kpi_toolkit.sentiment`.

The client's brand is always drawn in the house blue and thicker; competitors in the other
Okabe-Ito colours, so the client is easy to find in every chart.
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
    NEUTRAL,
    OKABE_ITO,
    date_axis,
    legend_outside,
    month_step,
    month_tick_labels,
    new_figure,
    percent_axis,
    ratio_axis,
    wrap_label,
)

__all__ = ["plot_benchmark_gaps", "plot_channel_scores", "plot_peer_metric", "plot_sentiment_by_topic",
           "plot_share_trend", "plot_daily_mentions"]

_SENTIMENT_COLOURS = {"negative": BAD, "neutral": "#bdbdbd", "positive": GOOD}
_PLATFORM = {"facebook": "Facebook", "instagram": "Instagram", "x": "X", "linkedin": "LinkedIn",
             "tiktok": "TikTok", "youtube": "YouTube", "all": "All platforms"}


def _brand_colours(brands: Sequence[str], client: str | None) -> dict[str, str]:
    others = [c for c in OKABE_ITO if c != NEUTRAL]
    out, i = {}, 0
    for b in brands:
        if b == client:
            out[b] = NEUTRAL
        else:
            out[b] = others[i % len(others)]
            i += 1
    return out


def plot_share_trend(shares: pd.DataFrame, *, client: str | None = None, share_col: str = "share_of_voice",
                     month_col: str = "month", labels: dict[str, str] | None = None,
                     title: str = "Share of voice by month", ax: Any = None) -> Any:
    """One line per brand: its monthly share (share of voice or of engagement).

    Parameters
    ----------
    shares
        Output of :func:`kpi_toolkit.benchmarks.share_of_voice` (or ``share_of_engagement``) by month.
    client
        The client's brand (drawn thick and blue).
    labels
        Brand -> display name.
    """
    if ax is None:
        _, ax = new_figure(height_in=3.8)
    labels = labels or {}
    months = sorted(shares[month_col].dropna().unique())
    pos = {m: i for i, m in enumerate(months)}
    brands = list(dict.fromkeys(shares["brand"].dropna()))
    brands.sort(key=lambda b: (b != client, b))
    colours = _brand_colours(brands, client)
    for b in brands:
        g = shares[shares["brand"] == b].sort_values(month_col)
        x = g[month_col].map(pos).to_numpy(dtype=float)
        own = b == client
        ax.plot(x, g[share_col].to_numpy(dtype=float), marker="o", ms=4 if own else 3,
                lw=2.6 if own else 1.4, color=colours[b], label=labels.get(b, b), zorder=3 if own else 2)
    ticks = list(range(0, len(months), month_step(len(months), ax)))
    ax.set_xticks(ticks, month_tick_labels(pd.to_datetime([f"{months[i]}-01" for i in ticks])))
    ax.set_ylim(bottom=0)
    percent_axis(ax, decimals=0)
    ax.set_title(title)
    ax.set_xlabel("Month")
    ax.set_ylabel("Share of tracked brands")
    legend_outside(ax)
    return ax


def plot_peer_metric(comparison: pd.DataFrame, *, metric: str, client: str | None = None,
                     platform: str = "all", labels: dict[str, str] | None = None, percent: bool = False,
                     title: str | None = None, xlabel: str | None = None, ax: Any = None) -> Any:
    """Horizontal bars: one measure of every brand on one platform, best on top, client in blue."""
    df = comparison[comparison["platform"] == platform].sort_values(metric, na_position="first")
    if ax is None:
        _, ax = new_figure(height_in=max(2.2, 0.45 * len(df) + 1.2))
    labels = labels or {}
    y = np.arange(len(df))
    vals = df[metric].to_numpy(dtype=float)
    colours = [NEUTRAL if b == client else GREY for b in df["brand"]]
    ax.barh(y, np.nan_to_num(vals), color=colours)
    ax.set_yticks(y, [wrap_label(labels.get(b, b)) for b in df["brand"]])
    if percent:
        percent_axis(ax, "x", decimals=None)
    ax.set_title(title or f"{metric.replace('_', ' ').capitalize()} ({_PLATFORM.get(platform, platform)})")
    ax.set_xlabel(xlabel or metric.replace("_", " "))
    ax.grid(axis="y", visible=False)
    return ax


def plot_benchmark_gaps(gaps: pd.DataFrame, *, title: str = "Your numbers against industry benchmarks",
                        ax: Any = None) -> Any:
    """Dots: each platform-metric's actual / benchmark (1 = at benchmark), green above, red below."""
    df = gaps.sort_values(["ratio"], kind="stable").reset_index(drop=True)
    if ax is None:
        _, ax = new_figure(height_in=max(2.4, 0.4 * len(df) + 1.4))
    y = np.arange(len(df))
    colour = [GOOD if s == "above" else (BAD if s == "below" else GREY) for s in df["status"]]
    ax.hlines(y, 1.0, df["ratio"], color=colour, lw=2)
    ax.scatter(df["ratio"], y, color=colour, zorder=3, s=36)
    ax.axvline(1.0, color="#444444", lw=1, ls="--")
    names = {"avg_engagement_rate_per_post": "engagement rate", "post_ctr": "click-through rate",
             "video_completion_rate": "video completion", "audience_growth_rate": "follower growth"}
    ax.set_yticks(y, [wrap_label(f"{_PLATFORM.get(p, p)}: {names.get(m, m)}", 20)
                      for p, m in zip(df["platform"], df["metric"], strict=True)])
    ratio_axis(ax)
    ax.set_title(title)
    ax.set_xlabel("Your value ÷ benchmark (1× = at benchmark, log scale)")
    ax.grid(axis="y", visible=False)
    return ax


def plot_channel_scores(scores: pd.DataFrame, *, objective: str = "", ax: Any = None) -> Any:
    """Bars: each channel's weighted score (1.0 = at benchmark); bar label shows its weight."""
    df = scores[scores["platform"] != "all"].sort_values("score", kind="stable")
    if ax is None:
        _, ax = new_figure(height_in=max(2.2, 0.45 * len(df) + 1.3))
    y = np.arange(len(df))
    colours = [GOOD if s >= 1 else BAD for s in df["score"]]
    ax.barh(y, df["score"], color=colours, alpha=0.85)
    ax.axvline(1.0, color="#444444", lw=1, ls="--")
    ax.set_yticks(y, [_PLATFORM.get(p, p) for p in df["platform"]])
    for yi, (s, w) in enumerate(zip(df["score"], df["weight"], strict=True)):
        ax.annotate(f"{s:.2f}\nweight {w:.0%}".replace("%", " %"), (s, yi), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=MIN_FONT_PT)
    goal = f" for {objective}" if objective else ""
    ax.set_title(f"Channel score{goal} (1.0 = at benchmark)")
    ax.set_xlabel("Weighted score: your value ÷ benchmark, averaged over the goal's metrics")
    ax.set_xlim(0, max(2.2, float(df["score"].max()) * 1.35) if len(df) else 2.2)
    ax.grid(axis="y", visible=False)
    return ax


def plot_sentiment_by_topic(by_topic: pd.DataFrame, *, top: int = 10,
                            title: str = "Mentions by topic and sentiment", ax: Any = None) -> Any:
    """Stacked horizontal bars: negative / neutral / positive mentions per topic (largest on top)."""
    df = by_topic.sort_values("mentions", ascending=False).head(top).iloc[::-1]
    if ax is None:
        _, ax = new_figure(height_in=max(2.2, 0.4 * len(df) + 1.4))
    y = np.arange(len(df))
    left = np.zeros(len(df))
    for lab in ("negative", "neutral", "positive"):
        vals = df[lab].to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=_SENTIMENT_COLOURS[lab], label=lab)
        left += vals
    ax.set_yticks(y, [wrap_label(t) for t in df["topic"]])
    ax.set_title(title)
    ax.set_xlabel("Mentions (a mention can belong to several topics)")
    ax.grid(axis="y", visible=False)
    legend_outside(ax)
    return ax


def plot_daily_mentions(daily: pd.DataFrame, *, alerts: pd.DataFrame | None = None,
                        title: str = "Mentions per day", ax: Any = None) -> Any:
    """Daily mentions (line) and negative mentions (area), alert days marked."""
    if ax is None:
        _, ax = new_figure(height_in=3.4)
    ax.plot(daily["date"], daily["mentions"], color=NEUTRAL, lw=1.4, label="all mentions")
    if "negative_mentions" in daily.columns and daily["negative_mentions"].notna().any():
        ax.fill_between(daily["date"], 0, daily["negative_mentions"].astype(float), color=BAD, alpha=0.45,
                        label="negative mentions")
    if alerts is not None and len(alerts):
        for name, marker in (("mentions", "o"), ("negative_mentions", "v")):
            a = alerts[alerts["series"] == name]
            if len(a):
                ax.scatter(a["date"], a["value"], marker=marker, s=60, facecolor="none",
                           edgecolor=OKABE_ITO[1], lw=2, zorder=4, label=f"alert: {name.replace('_', ' ')}")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.set_xlabel("Day")
    ax.set_ylabel("Mentions")
    date_axis(ax)
    legend_outside(ax)
    return ax
