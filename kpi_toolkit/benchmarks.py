"""Where a client stands: share of voice, competitors side by side, industry benchmarks, channel score.

Functions take the canonical ``mentions`` and ``competitors`` tables (see :mod:`kpi_toolkit.schema`)
and return tidy frames; :func:`competitor_view` and :func:`listening_view` turn them into report
blocks. docs/competitors-and-listening.md is the prose guide.

Definitions
-----------
share of voice
    mentions of a brand / mentions of every tracked brand (the client and its competitors), per
    month and source [1]_. "Sentiment share of voice" counts positive mentions only.
share of engagement
    engagements on a brand's own posts / engagements on the posts of every tracked brand, per month
    and platform (the same ratio over the ``competitors`` table).
audience growth rate
    net new followers in the period / followers at its start [2]_.
posting frequency
    posts per week = posts / days in the period × 7.
engagements per post
    engagements / posts.
followers per post
    Σ (posts × followers on the posting day) / posts: the followers of the platform each post went
    out on, averaged over posts (on an all-platforms row, not the summed ``followers``).
engagement rate by followers
    engagements / (posts × followers on the posting day), summed over days: the per-post rate of
    Rival IQ [3]_ aggregated as a ratio of sums (exactly Rival IQ's number when followers do not change).
    Equals engagements per post / followers per post.
percentile rank
    (peers below + ½ × peers equal) / peers, the peers being the competitors (the client excluded):
    the textbook percentile rank [4]_; 100 % = ahead of every competitor.

References
----------
.. [1] Hootsuite, "What is share of voice": brand mentions / total mentions of the brand and its
   competitors; Sprout Social: brand metric / market metric.
.. [2] Hootsuite, "Audience growth rate": net new followers / total followers at the start.
.. [3] Rival IQ, 2023 Social Media Industry Benchmark Report: engagement rate = engagements per post
   / followers (median over 150 brands per industry).
.. [4] Crocker, L. & Algina, J. (1986). Introduction to Classical and Modern Test Theory, ch. 19:
   percentile rank = (B + 0.5·E) / N. Same as ``scipy.stats.percentileofscore(kind="mean")``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import DataValidationError, NoDataError, ParameterError
from .schema import PLATFORMS
from .views import and_words

BENCHMARK_METRICS: dict[str, str] = {
    "avg_engagement_rate_per_post": "engagement rate per post by followers",
    "post_ctr": "click-through rate of posts",
    "video_completion_rate": "video completion rate",
    "audience_growth_rate": "monthly follower growth",
    "engagement_rate_unspecified": "engagement rate (definition not stated)",
}
"""Metrics a benchmark row may carry, with their plain-words names."""

SCORED_METRICS: tuple[str, ...] = ("avg_engagement_rate_per_post", "post_ctr", "video_completion_rate",
                                   "audience_growth_rate")
"""Metrics compared with the client's own numbers (``engagement_rate_unspecified`` is shown only)."""

PEER_METRICS: tuple[str, ...] = ("followers", "audience_growth_rate", "posts_per_week",
                                 "engagements_per_post", "engagement_rate_by_followers")
"""The side-by-side measures of :func:`competitor_comparison` (higher is better for each)."""

PLATFORM_NAMES: dict[str, str] = {"facebook": "Facebook", "instagram": "Instagram", "x": "X",
                                  "linkedin": "LinkedIn", "tiktok": "TikTok", "youtube": "YouTube",
                                  "all": "all platforms"}

INDEX_CAP = 2.0
"""A metric counts at most 2 × its benchmark in the channel score, so one outlier cannot hide a weak one."""

AT_BENCHMARK_BAND = 0.10
"""Within ±10 % of the benchmark is worded "in line with" it."""


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------

def _require(df: pd.DataFrame | None, cols: Sequence[str], table: str) -> None:
    if df is None:
        raise NoDataError(f"no {table} data")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataValidationError(table, "required column is missing", column=missing[0])


def _month_of(t: pd.Series, tz: str) -> pd.Series:
    """``YYYY-MM`` of each moment in ``tz`` (datetimes), or of each calendar day (naive dates)."""
    if t.dt.tz is not None:
        t = t.dt.tz_convert(tz).dt.tz_localize(None)
    return t.dt.strftime("%Y-%m").astype("string")


def _local_days(start: Any, end: Any, tz: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Naive local days ``[first, end_day)`` of a half-open period, for daily tables.

    Tz-aware bounds are converted to ``tz`` first; naive bounds are taken as local already.
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    s = s.tz_convert(tz).tz_localize(None) if s.tzinfo is not None else s
    e = e.tz_convert(tz).tz_localize(None) if e.tzinfo is not None else e
    first = s.normalize()
    end_day = e if e == e.normalize() else e.normalize() + pd.Timedelta(days=1)
    return first, end_day


def pct(x: float, *, decimals: int = 1) -> str:
    """A fraction as a percentage for sentences: 0.0342 -> "3.4 %" (more decimals when tiny)."""
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x) * 100
    d = decimals if a >= 1 or a == 0 else max(decimals, 2 if a >= 0.1 else 3)
    return f"{x * 100:.{d}f} %"


def pts(x: float) -> str:
    """A difference of two fractions in percentage points: 0.021 -> "+2.1 points"; one that rounds to
    nothing is "0 points", as the snapshot writes it ("0 pts"), not "+0.0" or "-0.0"."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return "0 points" if round(x * 100, 1) == 0 else f"{x * 100:+.1f} points"


def slope_pts(slope: float, *, signed: bool = True) -> str:
    """A share's slope (fraction a month) in points, never reading "+0.0" for a slope that is not zero:
    0.0083 -> "+0.8", 0.0004 -> "+0.04", -0.00004 -> "-0.004"; ``signed=False`` drops the sign."""
    if slope is None or not np.isfinite(slope):
        return "n/a"
    v = float(slope) * 100
    v = v if signed else abs(v)
    a = abs(v)
    d = 1 if round(a, 1) > 0 or a == 0 else _sig_decimals(a, 1)
    return f"{v:+.{d}f}" if signed else f"{v:.{d}f}"


def share_path(first: float, last: float, first_month: str, last_month: str, slope: float) -> str:
    """Where a share began and ended, in words that never contradict the sign of its slope.

    The slope is the 12-month OLS trend; the endpoints are two single months, and a noisy last month
    can sit below the first month under a rising trend. Then the words say so instead of "rose from
    20.0 % to 18.0 %": "it was 20.0 % in November 2025 and 18.0 % in October 2026, lower than where it
    began despite the upward trend (months swing around the trend)". ``first_month``/``last_month``
    are month words ("November 2025").
    """
    a, b = pct(first), pct(last)
    up = slope > 0
    if a == b:
        return f"it was {a} in {first_month} and again in {last_month}"
    if (last > first) == up:
        return f"it went from {a} in {first_month} to {b} in {last_month}"
    return (f"it was {a} in {first_month} and {b} in {last_month}, {'lower' if up else 'higher'} than where it "
            f"began despite the {'upward' if up else 'downward'} trend (single months swing around the trend)")


def p_words(p: float, *, alpha: float = 0.05) -> str:
    """How sure we are, in the words the trends module uses: :func:`kpi_toolkit.trends.certainty_words`
    ("unlikely to be chance (p = 0.003)", "could still be chance (p = 0.07)", "within normal variation
    (p = 0.42)", "too little data to test")."""
    from .trends.significance import certainty_words

    return certainty_words(math.nan if p is None else float(p), alpha=alpha)


def p_clause(p: float, *, alpha: float = 0.05) -> str:
    """:func:`p_words` as a predicate: "is unlikely to be chance (p = 0.003)", "could still be …"."""
    words = p_words(p, alpha=alpha)
    if words.startswith("could"):
        return words
    if words.startswith("too little"):
        return "cannot be tested (too little data)"
    return "is " + words


def _num(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.1f} M"
    if a >= 1e4:
        return f"{x / 1e3:.0f} k"
    return f"{x:,.0f}" if a >= 10 or float(x).is_integer() else f"{x:.1f}"


def _sig_decimals(a: float, digits: int) -> int:
    """Decimals that show ``digits`` significant digits of ``a`` >= 0 (never fewer than 0)."""
    if a == 0:
        return digits - 1
    return max(0, digits - 1 - math.floor(math.log10(a)))


def pct_sig(x: float, *, digits: int = 3) -> str:
    """A fraction as a percentage with ``digits`` significant digits, for comparison tables.

    0.009552 -> "0.955 %", 0.0396757 -> "3.97 %", 1.5 -> "150 %": two brands whose rates differ in
    the third digit do not both read "0.96 %".
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x) * 100
    return f"{x * 100:.{_sig_decimals(a, digits)}f} %"


def _sig(x: float, *, digits: int = 3) -> str:
    """A count-like number with at least ``digits`` significant digits: 3.4 -> "3.40", 22.8 -> "22.8",
    2689.01 -> "2,689" (whole numbers are never rounded to thousands)."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:,.{_sig_decimals(abs(x), digits)}f}"


PEER_FORMATS: dict[str, Any] = {
    "followers": lambda v: _sig(v, digits=1),
    "followers_per_post": lambda v: _sig(v, digits=1),
    "audience_growth_rate": pct_sig,
    "posts_per_week": lambda v: "n/a" if v is None or not np.isfinite(v) else f"{v:.1f}",
    "engagements_per_post": _sig,
    "engagement_rate_by_followers": pct_sig,
}
"""How each side-by-side measure is shown. Ranks compare the shown values (:func:`shown_value`)."""


def peer_text(metric: str, value: float) -> str:
    """``value`` of a side-by-side measure as the report shows it (see :data:`PEER_FORMATS`)."""
    fmt = PEER_FORMATS.get(metric, _sig)
    return fmt(float(value)) if value is not None and not pd.isna(value) else "n/a"


def shown_value(metric: str, value: float) -> float:
    """``value`` rounded to the precision the report shows it with (NaN stays NaN).

    Ranks and percentile ranks compare these, so two brands that read the same in the table are
    tied, and a brand ranked above another shows a larger number.
    """
    text = peer_text(metric, value)
    if text == "n/a":
        return math.nan
    v = float(text.replace(",", "").removesuffix(" %"))
    return v / 100 if text.endswith(" %") else v


# --------------------------------------------------------------------------------------------------
# share of voice / engagement
# --------------------------------------------------------------------------------------------------

def _share(df: pd.DataFrame, *, value: str | None, by: Sequence[str], brands: Sequence[str] | None,
           count_name: str, share_name: str) -> pd.DataFrame:
    by = list(by)
    if brands is not None:
        df = df[df["brand"].isin(list(brands))]
    vals = df[value].astype("float64") if value else pd.Series(1.0, index=df.index)
    frame = df[by + ["brand"]].assign(_v=vals.to_numpy())
    counts = frame.groupby(by + ["brand"], observed=True, dropna=False)["_v"].sum()
    # every group x every brand, so a brand without mentions in a month shows 0, not nothing
    groups = frame[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    all_brands = pd.Series(list(brands) if brands is not None else sorted(frame["brand"].dropna().unique()),
                           name="brand", dtype="string")
    grid = groups.merge(all_brands.to_frame(), how="cross") if by else all_brands.to_frame()
    out = grid.merge(counts.rename(count_name).reset_index(), on=by + ["brand"], how="left")
    out[count_name] = out[count_name].fillna(0.0)
    total = out.groupby(by, dropna=False)[count_name].transform("sum") if by else out[count_name].sum()
    out[f"total_{count_name}"] = total
    out[share_name] = out[count_name] / out[f"total_{count_name}"].where(out[f"total_{count_name}"] > 0)
    if value is None:
        out[count_name] = out[count_name].astype("int64")
        out[f"total_{count_name}"] = out[f"total_{count_name}"].astype("int64")
    out["brand"] = out["brand"].astype("string")
    return out.sort_values(by + ["brand"], kind="stable").reset_index(drop=True)


def share_of_voice(mentions: pd.DataFrame, *, by: Sequence[str] = ("month",), tz: str = "UTC",
                   brands: Sequence[str] | None = None, sentiment: str | None = None) -> pd.DataFrame:
    """Share of voice of each tracked brand: its mentions / mentions of all tracked brands.

    The ratio is the KPI registry's ``share_of_voice`` (:mod:`kpi_toolkit.kpis`), computed per brand;
    this function adds the tracked-brand filter, the sentiment variant and a complete grid.

    Parameters
    ----------
    mentions
        The mentions table (``brand``, ``published_at`` and any ``by`` columns).
    by
        Groups: table columns (``source``, ``topic`` ...) and the registry's time keys (``month``,
        ``week``, ``date`` ...) derived in ``tz``; ``()`` for one share over all rows.
    brands
        The tracked set (client and competitors); other brands in the data are left out of both
        numerator and denominator. Default: every brand in the data.
    sentiment
        ``"positive"`` gives sentiment share of voice (positive mentions of the brand / positive
        mentions of all tracked brands); needs ``sentiment_label`` (see
        :func:`kpi_toolkit.sentiment.add_sentiment`). Any label works the same way.

    Returns
    -------
    pandas.DataFrame
        ``by`` + ``brand``, ``mentions``, ``total_mentions``, ``share_of_voice`` (NaN when the group
        has no mentions at all). Every tracked brand appears in every group (0 mentions when absent).

    References
    ----------
    .. [1] Hootsuite, "What is share of voice"; Sprout Social, "Share of voice": brand mentions /
       total mentions of the brand and its competitors.
    """
    from .data import ClientData
    from .kpis import compute_kpis

    _require(mentions, ["brand", "published_at"], "mentions")
    by = list(by)
    df = mentions
    if brands is not None:
        keep = df["brand"].isin(list(brands)).to_numpy(dtype=bool)
        df = df if keep.all() else df[keep]
    if sentiment is not None:
        _require(df, ["sentiment_label"], "mentions")
        df = df[(df["sentiment_label"] == sentiment).fillna(False)]
    tracked = list(brands) if brands is not None else sorted(map(str, mentions["brand"].dropna().unique()))
    if len(df):
        res = compute_kpis(ClientData(client="frame", data_dir=Path("."), tables={"mentions": df}),
                           ["share_of_voice"], by=["brand", *by], tz=tz, brand=tracked[0] if tracked else None,
                           long=True)
        res = res[res["kpi"] == "share_of_voice"]
        counts = res[[*by, "brand", "numerator", "denominator"]].rename(
            columns={"numerator": "mentions", "denominator": "total_mentions"})
    else:
        counts = pd.DataFrame(columns=[*by, "brand", "mentions", "total_mentions"])
    groups = counts[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    all_brands = pd.DataFrame({"brand": pd.array(tracked, dtype="string")})
    grid = groups.merge(all_brands, how="cross") if by else all_brands
    counts = counts.astype({"brand": "string"})
    out = grid.merge(counts.drop(columns="total_mentions"), on=[*by, "brand"], how="left")
    out["mentions"] = out["mentions"].fillna(0).astype("int64")
    out["total_mentions"] = (out.groupby(by, dropna=False)["mentions"].transform("sum") if by
                             else out["mentions"].sum()).astype("int64")
    out["share_of_voice"] = out["mentions"] / out["total_mentions"].where(out["total_mentions"] > 0)
    return out.sort_values([*by, "brand"], kind="stable").reset_index(drop=True)


def share_of_engagement(competitors: pd.DataFrame, *, by: Sequence[str] = ("month",),
                        brands: Sequence[str] | None = None) -> pd.DataFrame:
    """Share of engagement: engagements on a brand's posts / engagements on all tracked brands' posts.

    ``competitors`` is the daily table of public brand metrics; ``"month"`` in ``by`` comes from
    its ``date``. Returns ``by`` + ``brand``, ``engagements``, ``total_engagements``,
    ``share_of_engagement``.

    References
    ----------
    .. [1] Sprout Social, "Share of voice": a brand's metric / the market's metric (here engagements).
    """
    _require(competitors, ["brand", "date", "engagements"], "competitors")
    df = competitors
    if "month" in by and "month" not in df.columns:
        df = df.assign(month=_month_of(df["date"], "UTC"))
    _require(df, list(by), "competitors")
    out = _share(df, value="engagements", by=by, brands=brands, count_name="engagements",
                 share_name="share_of_engagement")
    return out


def ols_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """OLS slope of ``y`` on ``x`` and the two-sided p-value of its t-test (n - 2 degrees of freedom).

    Same numbers as ``scipy.stats.linregress`` (slope, pvalue); NaN when n < 3 or ``x`` is constant;
    p = 1 when ``y`` is constant.

    References
    ----------
    .. [1] Wooldridge, J. M. (2019). Introductory Econometrics, 7th ed., ch. 2 and 4: slope
       = Sxy / Sxx, se = sqrt(SSR / (n - 2) / Sxx), t = slope / se.
    """
    from scipy.special import stdtr

    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    n = x.size
    if n < 3:
        return math.nan, math.nan
    xm, ym = x - x.mean(), y - y.mean()
    sxx = float((xm ** 2).sum())
    if sxx == 0:
        return math.nan, math.nan
    slope = float((xm * ym).sum() / sxx)
    ssr = float(((ym - slope * xm) ** 2).sum())
    if ssr <= 1e-30 * max(1.0, float((ym ** 2).sum())):
        return slope, (1.0 if slope == 0 else 0.0)
    t = slope / math.sqrt(ssr / (n - 2) / sxx)
    return slope, float(2 * stdtr(n - 2, -abs(t)))


def share_trend(shares: pd.DataFrame, *, share_col: str = "share_of_voice", month_col: str = "month",
                months: Sequence[str] | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Linear trend of each brand's monthly share: slope in points a month and its p-value.

    Parameters
    ----------
    shares
        Output of :func:`share_of_voice` / :func:`share_of_engagement` by month (one row per brand
        and month; other group columns must be aggregated away first).
    months
        The months to fit (e.g. the trailing 12); default: every month in ``shares``. Months without
        any mention (share NaN) are skipped.

    Returns
    -------
    pandas.DataFrame
        ``brand``, ``months`` (fitted), ``first_share``, ``last_share``, ``change`` (last - first,
        fraction), ``slope_per_month`` (fraction a month), ``p_value`` (two-sided t-test of the OLS
        slope), ``trend`` ("gaining", "losing" or "stable": slope significant at ``alpha``). Sorted by
        slope, largest gain first.

    References
    ----------
    .. [1] Ordinary least squares slope and its t-test, e.g. Wooldridge, J. M. (2019), Introductory
       Econometrics, 7th ed., ch. 4 (see :func:`ols_slope`).
    """
    df = shares if months is None else shares[shares[month_col].isin(list(months))]
    rows = []
    all_months = sorted(df[month_col].dropna().unique())
    pos = {m: i for i, m in enumerate(all_months)}
    for brand, g in df.groupby("brand", sort=True):
        g = g.dropna(subset=[share_col]).sort_values(month_col)
        x = g[month_col].map(pos).to_numpy(dtype="float64")
        y = g[share_col].to_numpy(dtype="float64")
        n = len(g)
        slope, p = ols_slope(x, y) if n >= 3 else (math.nan, math.nan)
        trend = ("gaining" if slope > 0 else "losing") if np.isfinite(p) and p < alpha and slope != 0 else "stable"
        rows.append({"brand": brand, "months": n,
                     "first_share": float(y[0]) if n else math.nan,
                     "last_share": float(y[-1]) if n else math.nan,
                     "change": float(y[-1] - y[0]) if n else math.nan,
                     "slope_per_month": slope, "p_value": p, "trend": trend})
    out = pd.DataFrame(rows, columns=["brand", "months", "first_share", "last_share", "change",
                                      "slope_per_month", "p_value", "trend"])
    out["brand"] = out["brand"].astype("string")
    return out.sort_values("slope_per_month", ascending=False, kind="stable",
                           na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# competitors side by side
# --------------------------------------------------------------------------------------------------

def competitor_comparison(competitors: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp,
                          tz: str = "UTC", brands: Sequence[str] | None = None,
                          total: bool = True) -> pd.DataFrame:
    """Each brand's followers, growth, posting frequency and engagement, per platform, over a period.

    Parameters
    ----------
    competitors
        The daily ``competitors`` table (``date`` naive local days).
    start, end
        The period, half-open: tz-aware (e.g. a :class:`~kpi_toolkit.periods.Period`'s ``start`` and
        ``end``, converted to ``tz`` to find the local days) or naive local days.
    tz
        The client's time zone (the zone of the table's calendar days).
    brands
        Keep only these brands (default: all).
    total
        Add a ``platform == "all"`` row per brand that pools its platforms (followers summed; rates
        as ratios of the pooled sums, i.e. weighted by audience size as Rival IQ's cross-channel rate).

    Returns
    -------
    pandas.DataFrame
        ``brand``, ``platform``, ``followers`` (last day of the period), ``followers_start`` (the day
        before the period, else its first day), ``audience_growth_rate``, ``posts``, ``days``,
        ``posts_per_week``, ``engagements``, ``engagements_per_post`` = Σ engagements / Σ posts,
        ``followers_per_post`` = Σ (posts × followers) / Σ posts (the followers of the platform and
        day each post went out on, averaged over posts), ``engagement_rate_by_followers``
        = Σ engagements / Σ (posts × followers) = ``engagements_per_post / followers_per_post``.
        Zero denominators give NaN.

        On the ``all`` row ``followers`` adds up the platforms, but a post goes out to the followers
        of its own platform only: the rate is engagements per post / followers per post, not
        engagements per post / ``followers``.

    Raises
    ------
    NoDataError
        When no row falls in the period.

    References
    ----------
    .. [1] Hootsuite: audience growth rate = net new followers / followers at the start.
    .. [2] Rival IQ (2023): engagement rate per post by followers; cross-channel rate weighted by
       audience size.
    """
    _require(competitors, ["date", "brand", "platform", "followers", "posts", "engagements"], "competitors")
    first, end_day = _local_days(start, end, tz)
    df = competitors if brands is None else competitors[competitors["brand"].isin(list(brands))]
    df = df.sort_values("date", kind="stable")
    cur = df[(df["date"] >= first) & (df["date"] < end_day)]
    if cur.empty:
        raise NoDataError(f"no competitors data from {first:%Y-%m-%d} to {end_day - pd.Timedelta(days=1):%Y-%m-%d}")
    before = df[df["date"] < first]
    days = int((end_day - first).days)
    keys = ["brand", "platform"]
    f = cur.astype({"followers": "float64", "posts": "float64", "engagements": "float64"})
    f = f.assign(exposure=f["posts"] * f["followers"])
    g = f.groupby(keys, observed=True)
    out = pd.DataFrame({
        "followers": g["followers"].last(),
        "first_in_period": g["followers"].first(),
        "posts": g["posts"].sum(),
        "engagements": g["engagements"].sum(),
        "exposure": g["exposure"].sum(),
    })
    prev = before.groupby(keys, observed=True)["followers"].last().astype("float64")
    out["followers_start"] = prev.reindex(out.index).fillna(out["first_in_period"])
    out = out.drop(columns="first_in_period").reset_index()
    if total:
        tot = out.groupby("brand", observed=True)[["followers", "followers_start", "posts", "engagements",
                                                   "exposure"]].sum(min_count=1).reset_index()
        tot["platform"] = "all"
        out = pd.concat([out, tot[out.columns]], ignore_index=True)
    out["days"] = days
    out["audience_growth_rate"] = ((out["followers"] - out["followers_start"])
                                   / out["followers_start"].where(out["followers_start"] > 0))
    out["posts_per_week"] = out["posts"] / days * 7
    out["engagements_per_post"] = out["engagements"] / out["posts"].where(out["posts"] > 0)
    out["followers_per_post"] = out["exposure"] / out["posts"].where(out["posts"] > 0)
    out["engagement_rate_by_followers"] = out["engagements"] / out["exposure"].where(out["exposure"] > 0)
    for c in ("followers", "followers_start", "posts", "engagements"):
        out[c] = out[c].round().astype("int64")
    out["brand"] = out["brand"].astype("string")
    out["platform"] = out["platform"].astype("string")
    order = {p: i for i, p in enumerate([*PLATFORM_NAMES])}
    out = out.sort_values(["platform", "brand"], key=lambda s: s.map(order) if s.name == "platform" else s,
                          kind="stable").reset_index(drop=True)
    return out[["brand", "platform", "followers", "followers_start", "audience_growth_rate", "posts", "days",
                "posts_per_week", "engagements", "engagements_per_post", "followers_per_post",
                "engagement_rate_by_followers"]]


def percentile_rank(value: Any, peers: Sequence[float] | pd.Series | np.ndarray) -> Any:
    """Percentile rank of ``value`` among ``peers``: (below + ½ × equal) / number of peers.

    ``peers`` are the reference (other brands, or a period's posts); missing values are dropped.
    ``value`` may be one number or an array of them. Returns fractions in [0, 1]; NaN for a missing
    value or when there are no peers. The competitor ranks and the posts that stood out both use it.

    References
    ----------
    .. [1] Crocker & Algina (1986), Introduction to Classical and Modern Test Theory, ch. 19;
       equals ``scipy.stats.percentileofscore(peers, value, kind="mean") / 100``.
    """
    ref = np.asarray(pd.Series(peers, dtype="float64").dropna(), dtype="float64")
    ref = np.sort(ref)
    v = np.asarray(np.nan if value is None else value, dtype="float64")
    if ref.size == 0:
        out = np.full(v.shape, np.nan)
    else:
        below = np.searchsorted(ref, v, side="left")
        at_or_below = np.searchsorted(ref, v, side="right")
        out = np.where(np.isfinite(v), (below + at_or_below) / (2.0 * ref.size), np.nan)
    return float(out) if out.ndim == 0 else out


def peer_ranks(comparison: pd.DataFrame, *, brand: str,
               metrics: Sequence[str] = PEER_METRICS) -> pd.DataFrame:
    """The client's place among its competitors, per platform and measure.

    Parameters
    ----------
    comparison
        Output of :func:`competitor_comparison`.
    brand
        The client's brand as written in the data.

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``metric``, ``value`` (the client's), ``peer_median``, ``peer_best``,
        ``best_brand``, ``n_peers``, ``rank`` (1 = best of client and peers; ties share the best
        rank), ``tied_peers`` (peers showing the client's value), ``percentile_rank`` (fraction, see
        :func:`percentile_rank`). Platforms where the client has no row are left out.

        Rank, ties and percentile rank compare the values as the report shows them
        (:func:`shown_value`, e.g. rates to three significant digits): a brand ranked above the
        client shows a larger number, and brands showing the same number are tied.
    """
    _require(comparison, ["brand", "platform", *metrics], "competitors")
    rows = []
    for platform, g in comparison.groupby("platform", sort=False):
        own = g[g["brand"] == brand]
        if own.empty:
            continue
        peers = g[g["brand"] != brand]
        for m in metrics:
            v = float(own[m].iloc[0])
            valid = peers[m].astype("float64").dropna()
            best_idx = valid.idxmax() if len(valid) else None
            sv = shown_value(m, v)
            shown = valid.map(lambda x, m=m: shown_value(m, x))
            finite = np.isfinite(sv)
            rows.append({"platform": platform, "metric": m, "value": v,
                         "peer_median": float(valid.median()) if len(valid) else math.nan,
                         "peer_best": float(valid.max()) if len(valid) else math.nan,
                         "best_brand": peers.loc[best_idx, "brand"] if best_idx is not None else pd.NA,
                         "n_peers": int(len(valid)),
                         "rank": int((shown > sv).sum()) + 1 if finite else pd.NA,
                         "tied_peers": int((shown == sv).sum()) if finite else pd.NA,
                         "percentile_rank": percentile_rank(sv, shown)})
    out = pd.DataFrame(rows, columns=["platform", "metric", "value", "peer_median", "peer_best", "best_brand",
                                      "n_peers", "rank", "tied_peers", "percentile_rank"])
    out["rank"] = out["rank"].astype("Int64")
    out["tied_peers"] = out["tied_peers"].astype("Int64")
    for c in ("platform", "metric", "best_brand"):
        out[c] = out[c].astype("string")
    return out


def breakout_posts(competitors: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp,
                   tz: str = "UTC", multiple: float = 3.0, baseline_days: int = 90, min_baseline_days: int = 10,
                   brands: Sequence[str] | None = None) -> pd.DataFrame:
    """Days when a brand's posts on a platform earned far more engagement per post than usual.

    The ``competitors`` table is daily, so a "breakout" is a brand-platform-day with posts whose
    engagements per post reach ``multiple`` × that brand's median engagements per post on the same
    platform over the previous ``baseline_days`` (days with posts only; at least
    ``min_baseline_days`` of them). The multiple is a reporting rule (how much better than its own
    normal a brand did), not a statistical test: use it to find competitor content worth a look.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``brand``, ``platform``, ``posts``, ``engagements``, ``engagements_per_post``,
        ``baseline_per_post``, ``multiple`` (per post / baseline); largest multiple first.
    """
    _require(competitors, ["date", "brand", "platform", "posts", "engagements"], "competitors")
    first, end_day = _local_days(start, end, tz)
    df = competitors if brands is None else competitors[competitors["brand"].isin(list(brands))]
    df = df[(df["posts"] > 0) & (df["date"] < end_day)
            & (df["date"] >= first - pd.Timedelta(days=baseline_days))]
    cols = ["date", "brand", "platform", "posts", "engagements", "engagements_per_post",
            "baseline_per_post", "multiple"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.assign(engagements_per_post=df["engagements"].astype("float64") / df["posts"].astype("float64"))
    parts = []
    for _, g in df.groupby(["brand", "platform"], observed=True, sort=True):
        g = g.sort_values("date").set_index("date")
        base = g["engagements_per_post"].rolling(f"{baseline_days}D", closed="left").median()
        cnt = g["engagements_per_post"].rolling(f"{baseline_days}D", closed="left").count()
        g = g.assign(baseline_per_post=base.where(cnt >= min_baseline_days)).reset_index()
        parts.append(g)
    df = pd.concat(parts, ignore_index=True)
    df["multiple"] = df["engagements_per_post"] / df["baseline_per_post"].where(df["baseline_per_post"] > 0)
    hit = df[(df["date"] >= first) & (df["multiple"] >= multiple)]
    return hit[cols].sort_values(["multiple", "date"], ascending=[False, True], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# industry benchmarks
# --------------------------------------------------------------------------------------------------

def _read_benchmark_file(path: str | Path | None) -> tuple[dict[str, Any], str]:
    import yaml

    if path is None:
        text = resources.files("kpi_toolkit").joinpath("data_files/benchmarks.yaml").read_text("utf-8")
        return yaml.safe_load(text), "kpi_toolkit/data_files/benchmarks.yaml"
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"benchmarks.file: no such file {p.name}")
    # messages name the file, not its folder: a report shows them ("Not shown: …") to the client, and
    # `kpi validate` / `kpi run` give the full path with the parameter that names it (check_files)
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8")), p.name
    except yaml.YAMLError as e:
        raise ParameterError(f"{p.name}: not valid YAML ({getattr(e, 'problem', e)})") from None


@lru_cache(maxsize=8)
def _benchmark_file(path: str | None) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    raw, name = _read_benchmark_file(path)
    if not isinstance(raw, dict) or "benchmarks" not in raw:
        raise ParameterError(f"{name}: expected a mapping with a 'benchmarks' list")
    sources = raw.get("sources") or {}
    rows = []
    for i, r in enumerate(raw["benchmarks"] or [], start=1):
        missing = [k for k in ("industry", "platform", "metric", "value", "source") if k not in (r or {})]
        if missing:
            raise ParameterError(f"{name}: benchmarks row {i}: missing '{missing[0]}'")
        if r["metric"] not in BENCHMARK_METRICS:
            raise ParameterError(f"{name}: benchmarks row {i}: unknown metric {r['metric']!r}"
                                 + _hint(r["metric"], BENCHMARK_METRICS))
        if r["source"] not in sources:
            raise ParameterError(f"{name}: benchmarks row {i}: source {r['source']!r} is not listed under 'sources'")
        try:
            value = float(r["value"])
        except (TypeError, ValueError):
            raise ParameterError(f"{name}: benchmarks row {i}: value {r['value']!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise ParameterError(f"{name}: benchmarks row {i}: value {r['value']!r} must be a number >= 0 "
                                 "(rates as fractions: 0.02 for 2 %)")
        if str(r["platform"]).lower() not in PLATFORMS:
            raise ParameterError(f"{name}: benchmarks row {i}: unknown platform {r['platform']!r}"
                                 + _hint(str(r["platform"]).lower(), PLATFORMS))
        src = sources[r["source"]]
        rows.append({"industry": str(r["industry"]).lower(), "platform": str(r["platform"]).lower(),
                     "metric": r["metric"], "value": value, "source": r["source"],
                     "source_title": str(src.get("title", r["source"])).strip(),
                     "source_short": str(src.get("short", r["source"])).strip(),
                     "source_period": str(r.get("period", src.get("period", ""))),
                     "source_published": str(src.get("published", ""))})
    table = pd.DataFrame(rows, columns=["industry", "platform", "metric", "value", "source", "source_title",
                                        "source_short", "source_period", "source_published"]).astype({"industry": "string", "platform": "string", "metric": "string",
                                       "source": "string", "source_title": "string", "source_short": "string",
                                       "source_period": "string", "source_published": "string"})
    return table, sources, _checked_weights(raw.get("weights"), name)


def _checked_weights(weights: Any, name: str) -> dict[str, Any]:
    """The file's ``weights`` section, refused in one line when it is not the shipped file's shape:
    ``objectives`` (objective -> metric -> weight) and ``industries`` (industry -> platform -> weight),
    weights numbers >= 0. A malformed section had passed `kpi validate` and failed the report."""
    if weights is None:
        return {}
    if not isinstance(weights, dict):
        raise ParameterError(f"{name}: 'weights' must be a mapping with 'objectives' and 'industries'")
    for section, known in (("objectives", SCORED_METRICS), ("industries", PLATFORMS)):
        entries = weights.get(section)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise ParameterError(f"{name}: 'weights.{section}' must be a mapping of names to weights")
        for key, table in entries.items():
            if not isinstance(table, dict) or not table:
                raise ParameterError(f"{name}: 'weights.{section}.{key}' must map "
                                     f"{'metrics' if section == 'objectives' else 'platforms'} to weights")
            for k, w in table.items():
                if k not in known:
                    raise ParameterError(f"{name}: 'weights.{section}.{key}': unknown {k!r}" + _hint(k, known))
                if not isinstance(w, int | float) or isinstance(w, bool) or not math.isfinite(w) or w < 0:
                    raise ParameterError(f"{name}: 'weights.{section}.{key}.{k}': {w!r} must be a number >= 0")
    return weights


def _hint(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" — did you mean {close[0]!r}?" if close else f" (known: {', '.join(choices)})"


def _industry_key(industry: str, keys: Sequence[str]) -> str | None:
    ind = str(industry).strip().lower()
    if ind in keys:
        return ind
    words = set(re.split(r"[^a-z0-9]+", ind))
    return next((k for k in keys if k in words), None)


def load_benchmarks(*, industry: str = "general", overrides: Mapping[str, Mapping[str, float]] | None = None,
                    path: str | Path | None = None) -> pd.DataFrame:
    """The benchmark table for a client: shipped (or agency) rows, industry rows, client overrides.

    Parameters
    ----------
    industry
        The client's industry; rows of that industry (matched as in the file's ``weights``: same
        name, or a word of it) replace the ``all`` rows for the same platform and metric.
    overrides
        ``platform -> metric -> value`` from ``benchmarks.overrides`` in the client's parameters.
    path
        An agency benchmark file with the shipped file's layout; default the shipped
        ``kpi_toolkit/data_files/benchmarks.yaml``.

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``metric``, ``value``, ``origin`` ("all industries", the industry name, or
        "client override"), ``source`` (key in the file), ``source_short`` (for sentences),
        ``source_title``, ``source_period``, ``source_published``.

    Raises
    ------
    ParameterError
        A malformed file, or an override with an unknown metric.
    """
    table, _, _ = _benchmark_file(None if path is None else str(path))
    key = _industry_key(industry, sorted(set(table["industry"]) - {"all"}))
    base = table[table["industry"] == "all"].assign(origin="all industries")
    if key is not None:
        spec = table[table["industry"] == key].assign(origin=key)
        base = pd.concat([base, spec], ignore_index=True).drop_duplicates(["platform", "metric"], keep="last")
    rows = []
    for platform, metrics in (overrides or {}).items():
        for metric, value in metrics.items():
            if metric not in BENCHMARK_METRICS:
                raise ParameterError(f"benchmarks.overrides.{platform}: unknown metric {metric!r}"
                                     + _hint(metric, BENCHMARK_METRICS))
            rows.append({"platform": platform, "metric": metric, "value": float(value),
                         "origin": "client override", "source": "client parameters",
                         "source_title": "the client's parameter file (benchmarks.overrides)",
                         "source_short": "your own target",
                         "source_period": "", "source_published": ""})
    if rows:
        base = pd.concat([base, pd.DataFrame(rows)], ignore_index=True).drop_duplicates(
            ["platform", "metric"], keep="last")
    out = base[["platform", "metric", "value", "origin", "source", "source_short", "source_title",
                "source_period", "source_published"]].reset_index(drop=True)
    return out.astype({c: "string" for c in out.columns if c != "value"})


def channel_weights(*, objective: str, industry: str, metric_weights: Mapping[str, float] | None = None,
                    platform_weights: Mapping[str, float] | None = None, platforms: Sequence[str] = (),
                    path: str | Path | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """The metric weights (by objective) and platform weights (by industry) of the channel score.

    Client parameters win (``benchmarks.metric_weights`` / ``benchmarks.channel_weights``); otherwise
    the benchmark file's ``weights`` section (an agency file without ``objectives`` or ``industries``
    takes the shipped file's); a platform the industry does not list weighs 0.5, and
    an industry the file does not know weighs every platform 1. Weights are normalised to sum to 1.
    """
    _, _, weights = _benchmark_file(None if path is None else str(path))
    if path is not None:  # an agency file without a weights section (or part of one) scores as shipped
        shipped = _benchmark_file(None)[2]
        weights = {"objectives": weights.get("objectives") or shipped.get("objectives") or {},
                   "industries": weights.get("industries") or shipped.get("industries") or {}}
    objectives = weights.get("objectives") or {}
    if metric_weights:
        mw = dict(metric_weights)
    elif objective in objectives:
        mw = dict(objectives[objective])
    else:
        raise ParameterError(f"benchmarks.objective {objective!r} has no weights in the benchmark file"
                             + _hint(objective, objectives))
    bad = [m for m in mw if m not in SCORED_METRICS]
    if bad:
        raise ParameterError(f"benchmarks.metric_weights: {bad[0]!r} cannot be scored" + _hint(bad[0], SCORED_METRICS))
    if platform_weights:
        pw = {p: float(platform_weights.get(p, 0.0)) for p in (platforms or platform_weights)}
    else:
        industries = weights.get("industries") or {}
        key = _industry_key(industry, list(industries))
        table = industries.get(key, {}) if key else {}
        pw = {p: float(table.get(p, 0.5 if table else 1.0)) for p in platforms}
    return _normalise(mw), _normalise(pw)


def _normalise(w: Mapping[str, float]) -> dict[str, float]:
    s = float(sum(w.values()))
    return {k: (float(v) / s if s > 0 else 0.0) for k, v in w.items()}


def benchmark_gaps(actuals: pd.DataFrame, benchmarks: pd.DataFrame, *,
                   metrics: Sequence[str] = SCORED_METRICS) -> pd.DataFrame:
    """The client's numbers against the benchmarks, with the gap in words.

    Parameters
    ----------
    actuals
        ``platform``, ``metric``, ``value`` (the client's, fractions), e.g. from :func:`client_metrics`.
    benchmarks
        Output of :func:`load_benchmarks`.

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``metric``, ``actual``, ``benchmark``, ``gap`` (actual - benchmark),
        ``ratio`` (actual / benchmark), ``status`` ("above", "in line", "below": ±10 % band),
        ``origin``, ``source_title``, ``sentence``. Only pairs with both numbers.
    """
    a = actuals[actuals["metric"].isin(list(metrics))][["platform", "metric", "value"]].rename(
        columns={"value": "actual"})
    b = benchmarks[["platform", "metric", "value", "origin", "source", "source_short", "source_title",
                    "source_period"]].rename(
        columns={"value": "benchmark"})
    df = a.merge(b, on=["platform", "metric"], how="inner")
    df = df[np.isfinite(df["actual"].astype("float64")) & (df["benchmark"] > 0)].copy()
    df["gap"] = df["actual"] - df["benchmark"]
    df["ratio"] = df["actual"] / df["benchmark"]
    rel = df["ratio"] - 1
    df["status"] = np.where(rel > AT_BENCHMARK_BAND, "above", np.where(rel < -AT_BENCHMARK_BAND, "below", "in line"))
    df["sentence"] = [_gap_sentence(r) for r in df.itertuples(index=False)]
    df = df.reset_index(drop=True)
    return df[["platform", "metric", "actual", "benchmark", "gap", "ratio", "status", "origin", "source",
               "source_short", "source_title", "source_period", "sentence"]]


def _gap_sentence(r: Any) -> str:
    name = BENCHMARK_METRICS.get(r.metric, r.metric)
    plat = PLATFORM_NAMES.get(r.platform, r.platform)
    src = r.source_short
    rel = r.ratio - 1
    if r.status == "in line":
        how = "in line with"
    else:
        how = f"{abs(rel):.0%} {'above' if rel > 0 else 'below'}".replace("%", " %")
    return f"{plat} {name} was {pct(r.actual)}, {how} the benchmark of {pct(r.benchmark)} ({src})."


def channel_scores(gaps: pd.DataFrame, *, metric_weights: Mapping[str, float],
                   platform_weights: Mapping[str, float], index_cap: float = INDEX_CAP) -> pd.DataFrame:
    """One score per channel: the weighted mean of actual / benchmark over the scored metrics.

    ``score = Σ_m w_m · min(actual_m / benchmark_m, cap) / Σ_m w_m`` over the metrics the channel
    has (1.0 = at benchmark). ``priority = platform weight × max(0, 1 - score)`` ranks where an
    underperformance matters most for the client's objective and industry. The overall score is
    the platform-weighted mean of the channel scores (row ``platform == "all"``).

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``score``, ``metrics`` (how many were scored), ``weight`` (normalised platform
        weight among scored channels), ``shortfall``, ``priority``; highest priority first, the
        ``all`` row last.

    References
    ----------
    .. [1] Simple additive weighting: Fishburn, P. C. (1967). Additive utilities with incomplete
       product sets. Operations Research 15(3):537-542; Triantaphyllou, E. (2000), Multi-criteria
       Decision Making Methods: A Comparative Study, ch. 2.
    """
    df = gaps[gaps["metric"].isin(list(metric_weights))].copy()
    df["w"] = df["metric"].map(metric_weights).astype("float64")
    df = df[df["w"] > 0]
    df["idx"] = df["ratio"].clip(upper=index_cap)
    cols = ["platform", "score", "metrics", "weight", "shortfall", "priority"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    g = df.groupby("platform", sort=True)
    out = pd.DataFrame({"score": g.apply(lambda x: float((x["w"] * x["idx"]).sum() / x["w"].sum()),
                                         include_groups=False),
                        "metrics": g.size().astype("int64")}).reset_index()
    pw = pd.Series([float(platform_weights.get(p, 0.0)) for p in out["platform"]], index=out.index,
                   dtype="float64")
    out["weight"] = pw / pw.sum() if pw.sum() > 0 else 1.0 / len(out)
    out["shortfall"] = (1 - out["score"]).clip(lower=0)
    out["priority"] = out["weight"] * out["shortfall"]
    out = out.sort_values(["priority", "score"], ascending=[False, True], kind="stable")
    overall = pd.DataFrame([{"platform": "all", "score": float((out["weight"] * out["score"]).sum()),
                             "metrics": int(out["metrics"].sum()), "weight": 1.0,
                             "shortfall": math.nan, "priority": math.nan}])
    out = pd.concat([out, overall], ignore_index=True)
    out["platform"] = out["platform"].astype("string")
    for c in ("score", "weight", "shortfall", "priority"):
        out[c] = out[c].astype("float64")
    out["metrics"] = out["metrics"].astype("int64")
    return out[cols]


def client_metrics(data: Any, *, period: Any, tz: str = "UTC",
                   metrics: Sequence[str] = SCORED_METRICS) -> pd.DataFrame:
    """The client's own values of the benchmark metrics per platform, from the KPI registry.

    Parameters
    ----------
    data
        The client's :class:`~kpi_toolkit.data.ClientData`.
    period
        A :class:`~kpi_toolkit.periods.Period` (a month: the benchmarks are monthly).

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``metric``, ``value``, ``numerator``, ``denominator`` (rows with a value only).
    """
    from .kpis import compute_kpis

    res = compute_kpis(data, list(metrics), by=["platform"], period=period, tz=tz, long=True)
    res = res.rename(columns={"kpi": "metric"})
    res = res[np.isfinite(res["value"].astype("float64"))]
    out = res[["platform", "metric", "value", "numerator", "denominator"]].reset_index(drop=True)
    return out.astype({"platform": "string", "metric": "string"})


# --------------------------------------------------------------------------------------------------
# report views
# --------------------------------------------------------------------------------------------------

MIN_MONTHS_FOR_TREND = 6
"""Fewer monthly shares than this and the share-of-voice trend is not tested."""


def _first_month(shares: pd.DataFrame, col: str, default: str) -> str:
    """The first month of ``shares`` with a value in ``col`` (``default`` when none has one)."""
    months = shares.loc[pd.to_numeric(shares[col], errors="coerce").notna(), "month"].astype(str)
    return str(months.min()) if len(months) else default


def _month_words(month: str) -> str:
    return pd.Timestamp(f"{month}-01").strftime("%B %Y")


def _months_back(month: str, n: int) -> list[str]:
    from .periods import month_range, shift_month

    return month_range(shift_month(month, -(n - 1)), month)


def benchmark_tables(ctx: Any) -> dict[str, Any]:
    """Benchmarks, the client's gaps and the channel score of one client-month.

    Returns a dict with ``benchmarks`` (:func:`load_benchmarks`), ``actuals`` (:func:`client_metrics`),
    ``gaps`` (:func:`benchmark_gaps`), ``scores`` (:func:`channel_scores`), ``metric_weights``,
    ``platform_weights``, ``objective``, ``sources`` (:func:`benchmark_sources`).
    """
    p = ctx.params
    opts = p.benchmarks
    path = opts.file
    if path is not None and not Path(path).is_absolute() and not Path(path).exists():
        # "relative to the repo": notebooks run in notebooks/, with data_dir one level below the repo
        path = str(Path(str(ctx.data.data_dir)).resolve().parent / path)
    bench = load_benchmarks(industry=p.industry, overrides=opts.overrides, path=path)
    actuals = client_metrics(ctx.data, period=ctx.period, tz=ctx.tz)
    actuals = actuals[actuals["platform"].isin(p.platforms)]
    gaps = benchmark_gaps(actuals, bench)
    platforms = sorted(set(gaps["platform"]))
    mw, pw = channel_weights(objective=opts.objective, industry=p.industry, metric_weights=opts.metric_weights,
                             platform_weights=opts.channel_weights, platforms=platforms, path=path)
    scores = channel_scores(gaps, metric_weights=mw, platform_weights=pw)
    return {"benchmarks": bench, "actuals": actuals, "gaps": gaps, "scores": scores, "metric_weights": mw,
            "platform_weights": pw, "objective": opts.objective, "sources": benchmark_sources(path=path),
            "posts_by_platform": _posts_by_platform(ctx, platforms)}


FEW_POSTS_FOR_BENCHMARK = 5
"""A platform with fewer of the month's posts than this is compared with its benchmarks under a caveat."""


def _posts_by_platform(ctx: Any, platforms: Sequence[str]) -> dict[str, int]:
    """The month's posts on each of ``platforms`` (the per-post benchmarks average over them)."""
    from .segments import posts_in

    posts = ctx.data.tables.get("posts")
    if posts is None or posts.empty or "platform" not in posts.columns:
        return {}
    counts = posts_in(posts, ctx.period.start, ctx.period.end)["platform"].astype("string").value_counts()
    return {p: int(counts.get(p, 0)) for p in platforms}


def benchmark_sources(*, path: str | Path | None = None) -> pd.DataFrame:
    """The sources of a benchmark file: title, address, publication date, period and method."""
    _, sources, _ = _benchmark_file(None if path is None else str(path))
    rows = [{"Source": str(v.get("title", k)).strip(), "Where": str(v.get("url") or "no public address"),
             "Published": str(v.get("published", "")), "Describes": str(v.get("period", "")),
             "How it was made": str(v.get("method", "")).strip()} for k, v in sources.items()]
    return pd.DataFrame(rows, columns=["Source", "Where", "Published", "Describes", "How it was made"])


def competitor_tables(ctx: Any, *, months: int = 12, strict: bool = True) -> dict[str, Any]:
    """Share of voice and engagement, their trends, the side-by-side and peer ranks of one client-month.

    Returns a dict with ``tracked`` (brands), ``sov`` (monthly share of voice over the trailing
    ``months``), ``sov_trend``, ``sentiment_sov`` (positive mentions, the month), ``sov_by_source``
    (the month), ``soe`` (monthly share of engagement), ``soe_by_platform`` (the month),
    ``comparison``, ``ranks``, ``breakouts``, ``caveats``. Tables that the data cannot give are None.

    Raises
    ------
    NoDataError
        Neither mentions nor competitors data, or no competitors in the parameters; with
        ``strict=False`` the tables are None instead and ``caveats`` says why.
    """
    p = ctx.params
    mentions, comp = ctx.data.mentions, ctx.data.competitors
    tracked = [p.brand, *[c for c in p.competitors if c != p.brand]]
    window = _months_back(ctx.month, months)
    out: dict[str, Any] = {k: None for k in ("sov", "sov_trend", "sentiment_sov", "sov_by_source", "soe",
                                             "soe_by_platform", "comparison", "ranks", "breakouts")}
    out["tracked"], out["months"], out["caveats"] = tracked, window, []
    reason = None
    if mentions is None and comp is None:
        reason = ("no mentions or competitors data: share of voice and the competitor comparison need one "
                  "of them")
    elif not p.competitors:
        reason = "no competitors are listed in the client's parameters (competitors:)"
    if reason is not None:
        if strict:
            raise NoDataError(reason)
        out["caveats"].append(reason)
        return out
    from .periods import month_period

    w_start = month_period(window[0], ctx.tz).start
    if mentions is not None and len(mentions):
        from .sentiment import add_sentiment, in_period, period_mask

        # one selection of the columns used here: no copy of every column of every mention
        keep = period_mask(mentions, w_start, ctx.period.end) & mentions["brand"].isin(tracked).to_numpy(dtype=bool)
        cols = [c for c in ("published_at", "brand", "source", "sentiment_score", "text") if c in mentions.columns]
        hist = mentions.loc[keep, cols]
        found = set(hist["brand"].dropna().unique())
        absent = [b for b in tracked if b not in found]
        if p.brand in absent:
            out["caveats"].append(f"No mention of '{p.brand}' in the last {months} months: check that "
                                  "'brand' in the parameters is written as in the mentions data.")
        elif absent:
            out["caveats"].append("No mentions found for " + ", ".join(absent) + " (share of voice counts "
                                  "them as 0).")
        sov = share_of_voice(hist, by=("month",), tz=ctx.tz, brands=tracked)
        sov = sov[sov["month"].isin(window)].reset_index(drop=True)
        out["sov"] = sov
        out["sov_trend"] = share_trend(sov, months=window)
        cur = in_period(hist, ctx.period.start, ctx.period.end)
        out["sov_by_source"] = share_of_voice(cur, by=("source",), tz=ctx.tz, brands=tracked)
        opts = p.listening
        if "sentiment_score" in cur.columns or "text" in cur.columns:
            scored = add_sentiment(cur, thresholds=opts.sentiment_thresholds, use_provided=opts.use_provided_scores)
            out["sentiment_sov"] = share_of_voice(scored, by=(), tz=ctx.tz, brands=tracked, sentiment="positive")
    if comp is not None and len(comp):
        c = comp[comp["brand"].isin(tracked)]
        first = month_period(window[0], ctx.tz).first_day
        c_hist = c[(c["date"] >= first) & (c["date"] < ctx.period.end_day)]
        soe = share_of_engagement(c_hist, by=("month",), brands=tracked)
        out["soe"] = soe[soe["month"].isin(window)].reset_index(drop=True)
        c_cur = c[(c["date"] >= ctx.period.first_day) & (c["date"] < ctx.period.end_day)]
        if len(c_cur):
            out["soe_by_platform"] = share_of_engagement(c_cur, by=("platform",), brands=tracked)
            out["comparison"] = competitor_comparison(c, start=ctx.period.start, end=ctx.period.end, tz=ctx.tz,
                                                      brands=tracked)
            if p.brand in set(out["comparison"]["brand"]):
                out["ranks"] = peer_ranks(out["comparison"], brand=p.brand)
            else:
                out["caveats"].append(f"The competitors data has no row for '{p.brand}' itself, so the client "
                                      "is not ranked against its peers.")
            out["breakouts"] = breakout_posts(c, start=ctx.period.start, end=ctx.period.end, tz=ctx.tz,
                                              multiple=p.benchmarks.breakout_multiple,
                                              brands=[b for b in tracked if b != p.brand])
    return out


_PEER_WORDS = {"followers": "followers", "audience_growth_rate": "follower growth",
               "posts_per_week": "posts per week", "engagements_per_post": "engagements per post",
               "engagement_rate_by_followers": "engagement rate by followers"}


def _rank_sentence(ranks: pd.DataFrame, name: str) -> str | None:
    r = ranks[ranks["platform"] == "all"]
    if r.empty:
        return None
    n_peers = int(r["n_peers"].max())
    parts = []
    for m in ("engagement_rate_by_followers", "audience_growth_rate", "followers"):
        row = r[(r["metric"] == m) & r["percentile_rank"].notna()]
        if row.empty:
            continue
        x = row.iloc[0]
        tied = "tied for " if int(x["tied_peers"]) > 0 else ""
        parts.append(f"{tied}number {int(x['rank'])} of {int(x['n_peers']) + 1} for {_PEER_WORDS[m]} "
                     f"(percentile rank {x['percentile_rank']:.0%})".replace("%", " %"))
    if not parts:
        return None
    return (f"Among {name} and its {n_peers} tracked competitor{'s' if n_peers != 1 else ''}, across "
            f"platforms, {name} is " + "; ".join(parts) + ".")


def engagement_share_sentences(soe_by_platform: pd.DataFrame, comparison: pd.DataFrame | None, *,
                               brand: str, min_posts: int | None = None) -> list[str]:
    """The client's share of engagement by platform in words: where it was highest and lowest.

    Only platforms where the client posted in the month are ranked: a platform without a post of
    its own has a share of 0 by construction, which says nothing about how its posts do. Those
    platforms get their own sentence when competitors posted there ("You did not post on LinkedIn
    this month (competitors did: 7 posts)"). Platforms with fewer than ``min_posts`` of the client's
    posts (default :data:`FEW_POSTS_FOR_BENCHMARK`) are not ranked either: with one or two posts the
    share mostly counts how many posts each brand put out (one post against a competitor's fourteen
    reads "2.5 %"), and one post more or less moves it far; they are named with their post counts.

    Parameters
    ----------
    soe_by_platform
        :func:`share_of_engagement` by ``platform`` for the month.
    comparison
        :func:`competitor_comparison` of the month (its ``posts``); None ranks every platform.
    brand
        The client's brand as written in the data.
    min_posts
        The client's posts a platform needs in the month to be ranked.
    """
    min_posts = FEW_POSTS_FOR_BENCHMARK if min_posts is None else int(min_posts)
    own = soe_by_platform[soe_by_platform["brand"] == brand].dropna(subset=["share_of_engagement"])
    absent: list[tuple[str, int]] = []
    few: list[tuple[str, int, float]] = []
    if comparison is not None and len(comparison):
        c = comparison[comparison["platform"] != "all"]
        mine = c[c["brand"] == brand].set_index("platform")["posts"]
        theirs = c[c["brand"] != brand].groupby("platform", observed=True)["posts"].sum()
        platforms = list(dict.fromkeys([*soe_by_platform["platform"].dropna(), *theirs.index]))
        absent = [(pl, int(theirs.get(pl, 0))) for pl in platforms
                  if int(mine.get(pl, 0)) == 0 and int(theirs.get(pl, 0)) > 0]
        n_own = own["platform"].map(lambda pl: int(mine.get(pl, 0)))
        few = [(str(pl), int(n), float(v)) for pl, n, v in
               zip(own["platform"], n_own, own["share_of_engagement"], strict=True) if 0 < n < min_posts]
        own = own[(n_own >= min_posts).to_numpy(dtype=bool)]
    out = []
    what = "Share of engagement (engagements on your posts / all tracked brands' posts)"
    if len(own):
        ranked = own.sort_values("share_of_engagement", kind="stable")
        best, worst = ranked.iloc[-1], ranked.iloc[0]
        bname = PLATFORM_NAMES.get(best["platform"], best["platform"])
        if len(ranked) == 1 and not few:
            out.append(f"{what} on {bname}, the only platform you posted on this month, was "
                       f"{pct(best['share_of_engagement'])}.")
        elif len(ranked) == 1:
            out.append(f"{what} on {bname} was {pct(best['share_of_engagement'])}.")
        else:
            out.append(f"{what} was highest on {bname} ({pct(best['share_of_engagement'])}) and lowest on "
                       f"{PLATFORM_NAMES.get(worst['platform'], worst['platform'])} "
                       f"({pct(worst['share_of_engagement'])}).")
    if few:
        why = "the share mostly counts how many posts each brand put out, and one post more or less moves it far"
        shares = and_words([f"{PLATFORM_NAMES.get(pl, pl)} {pct(v)} from {n:,} post{'s' if n != 1 else ''}"
                            for pl, n, v in few])
        if len(own):
            names = and_words([PLATFORM_NAMES.get(pl, pl) for pl, _, _ in few])
            out.append(f"{names} {'are' if len(few) > 1 else 'is'} not ranked: you posted fewer than {min_posts} "
                       f"times there this month ({shares}), so {why}.")
        elif len(few) == 1:
            pl, n, v = few[0]
            out.append(f"{what} on {PLATFORM_NAMES.get(pl, pl)}, the only platform you posted on this month, was "
                       f"{pct(v)}, from {n:,} post{'s' if n != 1 else ''}: with so few, {why}.")
        else:
            out.append(f"{what} is not ranked by platform: you posted fewer than {min_posts} times on each this "
                       f"month ({shares}), so {why}.")
    if absent:
        names = and_words([PLATFORM_NAMES.get(pl, pl) for pl, _ in absent], "or")
        counts = and_words([f"{n:,}" for _, n in absent])
        out.append(f"You did not post on {names} this month (competitors did: {counts} "
                   f"post{'s' if sum(n for _, n in absent) != 1 else ''}).")
    return out


def _share_path_of(sov: pd.DataFrame, trend_row: Any) -> str:
    """:func:`share_path` for one brand's row of :func:`share_trend`, its first and last month with a
    share taken from ``sov``; "" when it has none."""
    had = sov[(sov["brand"] == trend_row["brand"]) & sov["share_of_voice"].notna()]["month"].sort_values()
    if not len(had):
        return ""
    return share_path(trend_row["first_share"], trend_row["last_share"], _month_words(had.iloc[0]),
                      _month_words(had.iloc[-1]), trend_row["slope_per_month"])


def own_share_step(own: Any, *, name: str, n_months: int, covered: bool, path: str = "") -> tuple[Any, str]:
    """Part 3's step, or held-back line, for the client's own share-of-voice trend when the competitor
    section calls it unlikely to be chance (``own["trend"]`` "gaining" or "losing", :func:`share_trend`)
    and it moved at least :data:`~kpi_toolkit.trends.report.MATERIAL_CHANGE` of its first month's share.

    A shrinking share is a step, unless a competitor's gain already has one (``covered``: "Look at what
    Paywell is doing", whose evidence says the own share was falling); a growing share is good news, said
    in a held-back line. A client whose own share shrank steadily while no competitor gained had read
    the trend in Part 2 and nothing in Part 3. ``path`` is the first and last month in words that fit
    the slope (:func:`share_path`). Returns ``(step or None, held-back line or "")``.
    """
    from .trends.report import MATERIAL_CHANGE
    from .views import Recommendation

    first, last = float(own["first_share"]), float(own["last_share"])
    if own["trend"] not in ("gaining", "losing") or not (np.isfinite(first) and np.isfinite(last)) or first <= 0:
        return None, ""
    if abs(last - first) / first < MATERIAL_CHANGE:
        return None, ""
    said = (f"{name}'s share of voice {'grew' if own['trend'] == 'gaining' else 'shrank'} by about "
            f"{slope_pts(own['slope_per_month'], signed=False)} points a month on average over the last {n_months} "
            f"months, a trend {p_words(own['p_value'])}" + (f": {path}" if path else ""))
    if own["trend"] == "gaining":
        return None, f"Competitors: {said}. That is good news, so no step is needed for it."
    if covered:
        return None, ""
    return Recommendation(action=f"Find out why people talk less about {name} than about its competitors, and "
                                 "plan what would bring the conversation back", evidence=said + ".", priority=2,
                          source="competitors"), ""


def competitor_view(ctx: Any) -> Any:
    """The competitor block of the monthly report.

    Chart: monthly share of voice of every tracked brand over the trailing 12 months (share of
    engagement when there are no mentions). Sentences: the month's share of voice and its change,
    a competitor gaining share (OLS trend test), the client's percentile rank among its peers, the
    gap to the industry benchmark and the weighted channel score. Table: the side-by-side of the
    month. Recommendations by rule: a competitor gaining share while the client does not; the
    channel that underperforms where it matters most; formats far below benchmark.
    """
    from .views import Recommendation, ReportView

    key, title = "competitors", "Where you stand against competitors"
    p = ctx.params
    name = p.display_name
    try:
        t = competitor_tables(ctx)
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    month = ctx.month
    mw = _month_words(month)
    sentences: list[str] = []
    recs: list[Recommendation] = []
    held: list[str] = []
    caveats = list(t["caveats"])
    labels = {p.brand: name}
    fig, alt = None, ""
    sov, trend = t["sov"], t["sov_trend"]
    if sov is not None and len(sov):
        cur = sov[(sov["month"] == month) & (sov["brand"] == p.brand)]
        from .periods import previous_month

        prev = sov[(sov["month"] == previous_month(month)) & (sov["brand"] == p.brand)]
        if len(cur) and np.isfinite(cur["share_of_voice"].iloc[0]):
            share = float(cur["share_of_voice"].iloc[0])
            s = (f"In {mw} {name} had {pct(share)} of the {int(cur['total_mentions'].iloc[0]):,} mentions of the "
                 f"{len(t['tracked'])} tracked brands (share of voice)")
            if len(prev) and np.isfinite(prev["share_of_voice"].iloc[0]):
                s += f", {pts(share - float(prev['share_of_voice'].iloc[0]))} on the previous month"
            sentences.append(s + ".")
        ssov = t["sentiment_sov"]
        if ssov is not None and len(ssov):
            own = ssov[ssov["brand"] == p.brand]
            if len(own) and np.isfinite(own["share_of_voice"].iloc[0]):
                sentences.append(f"Of the positive mentions of tracked brands, {pct(float(own['share_of_voice'].iloc[0]))} "
                                 f"were about {name} (sentiment share of voice).")
        n_months = int(sov["month"].nunique())
        if n_months >= MIN_MONTHS_FOR_TREND:
            gaining = trend[(trend["trend"] == "gaining") & (trend["brand"] != p.brand)]
            own_tr = trend[trend["brand"] == p.brand]
            own_trend = own_tr["trend"].iloc[0] if len(own_tr) else "stable"
            if len(gaining):
                g = gaining.iloc[0]
                gname = labels.get(g["brand"], g["brand"])
                # the slope (12 months) and the two endpoints (single months) are said apart, in words that
                # fit both: a noisy last month under a rising trend had read "rose from 20.0 % to 18.0 %"
                path = _share_path_of(sov, g)
                rate = f"about {slope_pts(g['slope_per_month'])} points a month on average"
                sentences.append(
                    f"{gname} gained share of voice over the last {n_months} months, {rate}; the trend "
                    f"{p_clause(g['p_value'])}. {path[0].upper()}{path[1:]}.")
                if own_trend != "gaining":
                    recs.append(Recommendation(
                        action=f"Look at what {gname} is doing that people talk about",
                        evidence=(f"its share of voice grew by about {slope_pts(g['slope_per_month'], signed=False)} "
                                  f"points a month on average over {n_months} months, a trend "
                                  f"{p_words(g['p_value'])}: {path}. {name}'s own share "
                                  f"{'was falling' if own_trend == 'losing' else 'showed no steady trend'}."),
                        priority=2, source="competitors"))
                else:
                    held.append(f"Competitors: {gname} gained share of voice over the last {n_months} months ({path}), "
                                f"but {name}'s own share grew too, so no step is needed for it yet.")
            if own_trend != "stable" and len(own_tr):
                o = own_tr.iloc[0]
                verb = "grew" if own_trend == "gaining" else "shrank"
                sentences.append(f"{name}'s own share of voice {verb} by about "
                                 f"{slope_pts(o['slope_per_month'], signed=False)} points a month; the trend "
                                 f"{p_clause(o['p_value'])}.")
                rec, line = own_share_step(o, name=name, n_months=n_months, covered=bool(len(gaining)),
                                           path=_share_path_of(sov, o))
                recs += [rec] if rec is not None else []
                held += [line] if line else []
            elif not len(gaining):
                sentences.append(f"No brand's share of voice moved steadily over the last {n_months} months "
                                 "(no trend unlikely to be chance).")
            elif len(own_tr):
                # "stable" is a slope that could be chance, not a flat share: the step's evidence says so,
                # and says it here first (demo-trailhead 2026-09 called a share up 5.3 points on the year "flat")
                sentences.append(f"{name}'s own share of voice did not move steadily over the last {n_months} "
                                 "months (no trend unlikely to be chance).")
        else:
            caveats.append(f"Only {n_months} month{'s' if n_months != 1 else ''} of mentions: the share-of-voice "
                           f"trend needs {MIN_MONTHS_FOR_TREND}.")
        from .plotting.competitors import plot_share_trend

        # the chart's months are those with mentions: a client whose mentions begin in September had
        # its three months titled "December 2025 to November 2026", the window asked for, not the data's
        first = _month_words(_first_month(sov, "share_of_voice", t["months"][0]))
        ax = plot_share_trend(sov, client=p.brand, labels=labels, title=f"Share of voice, {first} to {mw}")
        fig = ax.figure
        alt = (f"Line chart of the monthly share of voice of {name} and {len(t['tracked']) - 1} competitors "
               f"from {first} to {mw}.")
    elif t["soe"] is not None and len(t["soe"]):
        from .plotting.competitors import plot_share_trend

        first = _month_words(_first_month(t["soe"], "share_of_engagement", t["months"][0]))
        ax = plot_share_trend(t["soe"], client=p.brand, labels=labels, share_col="share_of_engagement",
                              title=f"Share of engagement, {first} to {mw}")
        fig = ax.figure
        alt = f"Line chart of the monthly share of engagement of {name} and its competitors."
    soe_p = t["soe_by_platform"]
    if soe_p is not None and len(soe_p):
        sentences.extend(engagement_share_sentences(soe_p, t["comparison"], brand=p.brand))
    ranks = t["ranks"]
    if ranks is not None and len(ranks):
        rs = _rank_sentence(ranks, name)
        if rs:
            sentences.append(rs)
    br = t["breakouts"]
    if br is not None and len(br):
        b = br.iloc[0]
        sentences.append(f"Breakout competitor posts: {b['brand']} on {PLATFORM_NAMES.get(b['platform'], b['platform'])} "
                         f"on {b['date'].day} {b['date']:%b} earned {b['multiple']:.1f}× its usual engagements per post"
                         + (f" ({len(br) - 1} more such {'day' if len(br) == 2 else 'days'} this month)." if len(br) > 1
                            else "."))
    # benchmarks and channel score
    try:
        bt = benchmark_tables(ctx)
    except (NoDataError, DataValidationError) as e:
        bt = None
        caveats.append(f"Industry benchmarks not compared: {e}")
    if bt is not None and len(bt["gaps"]):
        _benchmark_sentences(bt, name, sentences, recs, ctx)
    elif bt is not None:
        caveats.append("None of the client's platforms has both a benchmark and the data to compare with it.")
    table = None
    cmpn = t["comparison"]
    if cmpn is not None and len(cmpn):
        allp = cmpn[cmpn["platform"] == "all"].sort_values("followers", ascending=False)
        table = comparison_table(allp, labels=labels)
        caveats.append(COMPARISON_NOTE)
    caveats.append("Competitor figures are public numbers (followers, posts, engagements); share of voice "
                   "counts the mentions the listening tool found for each tracked brand.")
    view = ReportView(key=key, title=title, sentences=sentences, figure=fig, alt_text=alt or title, table=table,
                      caveats=caveats, recommendations=recs, held_back=held)
    view.extra.update({k: t[k] for k in ("sov", "sov_trend", "soe", "comparison", "ranks", "breakouts")})
    if bt is not None:
        view.extra.update({"gaps": bt["gaps"], "scores": bt["scores"]})
    return view


FAR_BELOW = 0.5
"""A format earning less than half the benchmark is "far below" it (worth pausing or reworking)."""


def _benchmark_sentences(bt: dict[str, Any], name: str, sentences: list[str], recs: list[Any], ctx: Any) -> None:
    from .views import Recommendation

    gaps, scores = bt["gaps"], bt["scores"]
    below = gaps[gaps["status"] == "below"].sort_values("ratio")
    above = gaps[gaps["status"] == "above"].sort_values("ratio", ascending=False)
    n = len(gaps)
    sentences.append(f"Against industry benchmarks, {len(above)} of {n} comparable numbers were above, "
                     f"{n - len(above) - len(below)} in line and {len(below)} below.")
    if len(below):
        sentences.append(str(below.iloc[0]["sentence"]))
    if len(above):
        sentences.append(str(above.iloc[0]["sentence"]))
    few = {p: n for p, n in (bt.get("posts_by_platform") or {}).items() if n < FEW_POSTS_FOR_BENCHMARK}
    if few:  # one post's numbers against an industry median say little (a month of 3 posts had read as
        # "86 % below the benchmark" and "TikTok underperforms where it matters most")
        listed = ", ".join(f"{PLATFORM_NAMES.get(p, p)} {n:,} post{'s' if n != 1 else ''}" for p, n in few.items())
        sentences.append(f"Read these with care where a platform had few posts this month ({listed}): one post "
                         "more or less moves its numbers far from or near the benchmark.")
    ch = scores[scores["platform"] != "all"]
    if len(ch):
        overall = float(scores.loc[scores["platform"] == "all", "score"].iloc[0])
        objective = bt["objective"]
        worst = ch.iloc[0]
        pname = PLATFORM_NAMES.get(worst["platform"], worst["platform"])
        if worst["priority"] > 0:
            sentences.append(
                f"Weighted for {objective} and for how much each channel matters to {name}, the overall channel "
                f"score is {overall:.2f} (1.00 = at benchmark); {pname} underperforms where it matters most "
                f"(score {worst['score']:.2f}, weight {worst['weight']:.0%}).".replace("%", " %"))
            metric_rows = gaps[(gaps["platform"] == worst["platform"]) & (gaps["status"] == "below")]
            weakest = metric_rows.sort_values("ratio").iloc[0] if len(metric_rows) else None
            evidence = (f"channel score {worst['score']:.2f} of benchmark with weight {worst['weight']:.0%} for "
                        f"{objective}").replace("%", " %")
            if weakest is not None:
                evidence += f". {weakest['sentence']}"
                # the step cites it, so the section shows it (demo-ledgerly 2026-10's "Fix YouTube first"
                # cited a YouTube click-through rate the report showed nowhere else)
                if not len(below) or weakest["sentence"] != below.iloc[0]["sentence"]:
                    sentences.append(str(weakest["sentence"]))
            recs.append(Recommendation(action=f"Fix {pname} first: it is the channel furthest below benchmark "
                                              "where it matters most", evidence=evidence, priority=2,
                                       source="competitors"))
            fmt_recs = _format_recs(ctx, worst["platform"], bt)
            # the steps cite per-format numbers: the section shows them (their evidence is that sentence)
            sentences.extend(r.evidence for r in fmt_recs)
            recs.extend(fmt_recs)
        else:
            sentences.append(f"Weighted for {objective}, every channel is at or above its benchmark (overall score "
                             f"{overall:.2f}, 1.00 = at benchmark).")


def _format_recs(ctx: Any, platform: str, bt: dict[str, Any], *, min_posts: int = 5) -> list[Any]:
    """Formats on ``platform`` whose engagement rate per post is far below the benchmark.

    Each step's evidence is one sentence that names the platform, the format, its posts, its rate and
    the benchmark; :func:`_benchmark_sentences` shows the same sentence in the section, so Part 3 cites
    nothing Parts 1-2 do not show.
    """
    from .kpis import compute_kpis
    from .views import Recommendation

    bench = bt["benchmarks"]
    row = bench[(bench["platform"] == platform) & (bench["metric"] == "avg_engagement_rate_per_post")]
    if row.empty or ctx.data.posts is None:
        return []
    target = float(row["value"].iloc[0])
    res = compute_kpis(ctx.data, ["avg_engagement_rate_per_post", "posts"], by=["platform", "content_type"],
                       period=ctx.period, tz=ctx.tz)
    res = res[(res["platform"] == platform) & (res["posts"] >= min_posts)]
    far = res[res["avg_engagement_rate_per_post"] < FAR_BELOW * target].sort_values("avg_engagement_rate_per_post")
    out = []
    pname = PLATFORM_NAMES.get(platform, platform)
    for r in far.head(2).itertuples(index=False):
        out.append(Recommendation(
            action=f"Pause or rework {r.content_type} posts on {pname}",
            evidence=(f"On {pname}, {int(r.posts):,} {r.content_type} posts had an engagement rate per post by "
                      f"followers of {pct(r.avg_engagement_rate_per_post, decimals=2)}, under half the {pname} "
                      f"benchmark of {pct(target, decimals=2)}."),
            priority=3, source="competitors"))
    return out


def benchmark_view(ctx: Any) -> Any:
    """Industry benchmarks and the channel score as their own block (for the analyst notebook)."""
    from .views import ReportView

    key, title = "benchmarks", "Against industry benchmarks"
    try:
        bt = benchmark_tables(ctx)
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    gaps = bt["gaps"]
    if gaps.empty:
        return ReportView.skipped(key, title, "no platform has both a benchmark and the data to compare with it")
    from .plotting.competitors import plot_benchmark_gaps

    ax = plot_benchmark_gaps(gaps)
    sentences = list(gaps.sort_values("ratio")["sentence"])
    table = pd.DataFrame({
        "Platform": [PLATFORM_NAMES.get(x, x) for x in gaps["platform"]],
        "Measure": [BENCHMARK_METRICS.get(x, x) for x in gaps["metric"]],
        "You": [pct(v, decimals=2) for v in gaps["actual"]],
        "Benchmark": [pct(v, decimals=2) for v in gaps["benchmark"]],
        "Source": [f"{s} ({o})" for s, o in zip(gaps["source_short"], gaps["origin"], strict=True)],
    })
    caveats = ["Benchmarks are medians of other brands (Rival IQ) or a rule of thumb (agency guide); a gap "
               "says where to look, not what the client's number should be.",
               "The registry counts saves as engagements; Rival IQ's rate does not, so platforms with saves "
               "read slightly high against it."]
    view = ReportView(key=key, title=title, sentences=sentences, figure=ax.figure,
                      alt_text="Dot chart of each platform measure divided by its benchmark; 1 means at benchmark.",
                      table=table, caveats=caveats)
    view.extra.update(bt)
    return view


def channel_score_view(ctx: Any) -> Any:
    """The weighted channel score as a chart (for the analyst notebook)."""
    from .views import ReportView

    key, title = "channel_score", "Which channel needs attention first"
    try:
        bt = benchmark_tables(ctx)
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    scores = bt["scores"]
    if scores.empty:
        return ReportView.skipped(key, title, "no platform has both a benchmark and the data to score it")
    from .plotting.competitors import plot_channel_scores

    ax = plot_channel_scores(scores, objective=bt["objective"])
    mw = ", ".join(f"{BENCHMARK_METRICS.get(k, k)} {v:.0%}" for k, v in bt["metric_weights"].items())
    sentences = [f"Each channel's score is the weighted mean of its numbers divided by their benchmarks "
                 f"(capped at {INDEX_CAP:g}×), with the weights for {bt['objective']}: {mw}.".replace("%", " %")]
    view = ReportView(key=key, title=title, sentences=sentences, figure=ax.figure,
                      alt_text="Bar chart of each channel's weighted score against benchmark.", table=None)
    view.extra.update(bt)
    return view


def listening_view(ctx: Any, **kwargs: Any) -> Any:
    """The listening block of the monthly report (defined in :mod:`kpi_toolkit.sentiment`)."""
    from .sentiment import listening_view as _view

    return _view(ctx, **kwargs)


# --------------------------------------------------------------------------------------------------
# display-ready tables (for the analyst notebook)
# --------------------------------------------------------------------------------------------------

def display_shares(shares: pd.DataFrame, *, share_col: str = "share_of_voice", columns: str = "month",
                   labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Brands as rows, ``columns`` (months, sources, platforms) as columns, shares as "12.3 %"."""
    labels = labels or {}
    wide = shares.pivot_table(index="brand", columns=columns, values=share_col, aggfunc="first", dropna=False,
                              observed=True)
    out = wide.apply(lambda col: col.map(pct))
    out.index = [labels.get(b, b) for b in out.index]
    out.columns = [PLATFORM_NAMES.get(c, c) if columns == "platform" else str(c) for c in out.columns]
    return out.reset_index(names="Brand")


def display_trend(trend: pd.DataFrame, *, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`share_trend` in words: first and last share, change, slope and how sure."""
    labels = labels or {}
    return pd.DataFrame({
        "Brand": [labels.get(b, b) for b in trend["brand"]],
        "Months": trend["months"].astype("int64"),
        "First month": [pct(v) for v in trend["first_share"]],
        "Last month": [pct(v) for v in trend["last_share"]],
        "Change": [pts(v) for v in trend["change"]],
        "Trend a month": [pts(v) for v in trend["slope_per_month"]],
        "How sure": [p_words(p) for p in trend["p_value"]],
        "Verdict": trend["trend"],
    })


COMPARISON_COLUMNS: dict[str, str] = {
    "followers": "Followers", "audience_growth_rate": "Follower growth", "posts_per_week": "Posts per week",
    "engagements_per_post": "Engagements per post", "followers_per_post": "Followers per post",
    "engagement_rate_by_followers": "Engagement rate by followers",
}
"""The side-by-side table's columns: the rate comes right after the two numbers it divides."""

COMPARISON_NOTE = (
    "How to read the competitor table: Followers adds up a brand's followers on all its platforms on the "
    "last day of the month. Followers per post is the number of followers of the platform each post went "
    "out on, averaged over the month's posts. Engagement rate by followers is engagements per post "
    "divided by followers per post (Rival IQ's rate, from the month's totals of all platforms); it is "
    "not engagements per post divided by Followers, because a post goes out only to the followers of "
    "its own platform. Ranks compare the numbers as shown.")
"""The caveat that goes with :func:`comparison_table` in the report."""


def comparison_table(comparison: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                     platform: bool = False) -> pd.DataFrame:
    """:func:`competitor_comparison` rows as the report shows them (:data:`COMPARISON_COLUMNS`).

    Every number is written with :func:`peer_text`, the precision ranks compare at, so the rate
    column is the ratio of the two columns before it up to that rounding. ``platform=True`` adds a
    Platform column first.
    """
    labels = labels or {}
    c = comparison
    out = {"Platform": [PLATFORM_NAMES.get(p, p) for p in c["platform"]]} if platform else {}
    out["Brand"] = [labels.get(b, b) for b in c["brand"]]
    for col, header in COMPARISON_COLUMNS.items():
        out[header] = [peer_text(col, v) for v in c[col]]
    return pd.DataFrame(out)


def display_comparison(comparison: pd.DataFrame, *, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`competitor_comparison` formatted, one row per platform and brand."""
    return comparison_table(comparison, labels=labels, platform=True)


def display_ranks(ranks: pd.DataFrame) -> pd.DataFrame:
    """:func:`peer_ranks` formatted: the client's value, the peers' median and best, rank, percentile."""
    fmt = peer_text  # the table's and the ranks' precision
    tied = ranks["tied_peers"] if "tied_peers" in ranks.columns else pd.Series(0, index=ranks.index)

    return pd.DataFrame({
        "Platform": [PLATFORM_NAMES.get(p, p) for p in ranks["platform"]],
        "Measure": [_PEER_WORDS.get(m, m) for m in ranks["metric"]],
        "Client": [fmt(m, v) for m, v in zip(ranks["metric"], ranks["value"], strict=True)],
        "Peer median": [fmt(m, v) for m, v in zip(ranks["metric"], ranks["peer_median"], strict=True)],
        "Best peer": [f"{fmt(m, v)} ({b})" if isinstance(b, str) else "n/a"
                      for m, v, b in zip(ranks["metric"], ranks["peer_best"], ranks["best_brand"], strict=True)],
        "Rank": [f"{r} of {n + 1}" + (" (tied)" if pd.notna(k) and k > 0 else "") if pd.notna(r) else "n/a"
                 for r, n, k in zip(ranks["rank"], ranks["n_peers"], tied, strict=True)],
        "Percentile rank": [pct(v, decimals=0) for v in ranks["percentile_rank"]],
    })


def display_breakouts(breakouts: pd.DataFrame) -> pd.DataFrame:
    """:func:`breakout_posts` formatted."""
    b = breakouts
    return pd.DataFrame({
        "Day": [f"{d:%a %d %b %Y}" for d in b["date"]],
        "Brand": b["brand"],
        "Platform": [PLATFORM_NAMES.get(p, p) for p in b["platform"]],
        "Posts": b["posts"].astype("int64"),
        "Engagements per post": [_num(v) for v in b["engagements_per_post"]],
        "Usual (90-day median)": [_num(v) for v in b["baseline_per_post"]],
        "Multiple": [f"{v:.1f}×" for v in b["multiple"]],
    })


def display_benchmarks(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """:func:`load_benchmarks` with its sources: what each benchmark is, where it comes from, when."""
    b = benchmarks
    return pd.DataFrame({
        "Platform": [PLATFORM_NAMES.get(p, p) for p in b["platform"]],
        "Measure": [BENCHMARK_METRICS.get(m, m) for m in b["metric"]],
        "Benchmark": [pct(v, decimals=2) for v in b["value"]],
        "Applies to": b["origin"],
        "Source": b["source_title"],
        "Published": b["source_published"],
        "Describes": b["source_period"],
    })


def display_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """:func:`channel_scores` formatted; the ``all`` row is the overall score."""
    s = scores
    return pd.DataFrame({
        "Channel": [PLATFORM_NAMES.get(p, p) for p in s["platform"]],
        "Score (1.00 = benchmark)": [f"{v:.2f}" for v in s["score"]],
        "Metrics scored": s["metrics"].astype("int64"),
        "Weight": [pct(v, decimals=0) for v in s["weight"]],
        "Shortfall x weight": [f"{v:.3f}" if np.isfinite(v) else "" for v in s["priority"]],
    })
