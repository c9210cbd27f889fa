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
engagement rate by followers
    engagements / (posts × followers on the posting day), summed over days: the per-post rate of
    Rival IQ [3]_ aggregated as a ratio of sums (exactly Rival IQ's number when followers do not change).
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

BENCHMARK_METRICS: dict[str, str] = {
    "engagement_rate_by_followers": "engagement rate by followers",
    "ctr": "click-through rate",
    "video_completion_rate": "video completion rate",
    "audience_growth_rate": "monthly follower growth",
    "engagement_rate_unspecified": "engagement rate (definition not stated)",
}
"""Metrics a benchmark row may carry, with their plain-words names."""

SCORED_METRICS: tuple[str, ...] = ("engagement_rate_by_followers", "ctr", "video_completion_rate",
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
    """A difference of two fractions in percentage points: 0.021 -> "+2.1 points"."""
    return "n/a" if x is None or not np.isfinite(x) else f"{x * 100:+.1f} points"


def p_words(p: float, *, alpha: float = 0.05) -> str:
    """How sure we are, in words: "unlikely to be chance (p = 0.003)" / "could be chance (p = 0.31)"."""
    if p is None or not np.isfinite(p):
        return "too few months to tell"
    shown = "p < 0.001" if p < 0.001 else (f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}")
    return f"unlikely to be chance ({shown})" if p < alpha else f"could be chance ({shown})"


def _num(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.1f} M"
    if a >= 1e4:
        return f"{x / 1e3:.0f} k"
    return f"{x:,.0f}" if a >= 10 or float(x).is_integer() else f"{x:.1f}"


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

    Parameters
    ----------
    mentions
        The mentions table (``brand``, ``published_at`` and any ``by`` columns). ``"month"`` in
        ``by`` is derived from ``published_at`` in ``tz`` when the frame has no such column.
    by
        Groups, e.g. ``("month",)`` or ``("month", "source")``; ``()`` for one share over all rows.
    brands
        The tracked set (client and competitors); other brands in the data are left out of both
        numerator and denominator. Default: every brand in the data.
    sentiment
        ``"positive"`` gives sentiment share of voice (positive mentions of the brand / positive
        mentions of all tracked brands); needs ``sentiment_label`` (see
        :func:`kpi_toolkit.sentiment.add_sentiment`).

    Returns
    -------
    pandas.DataFrame
        ``by`` + ``brand``, ``mentions``, ``total_mentions``, ``share_of_voice`` (NaN when the group
        has no mentions at all). Every brand appears in every group (0 mentions when absent).

    References
    ----------
    .. [1] Hootsuite, "What is share of voice"; Sprout Social, "Share of voice": brand mentions /
       total mentions of the brand and its competitors.
    """
    _require(mentions, ["brand", "published_at"], "mentions")
    df = mentions
    if "month" in by and "month" not in df.columns:
        df = df.assign(month=_month_of(df["published_at"], tz))
    _require(df, list(by), "mentions")
    if sentiment is not None:
        _require(df, ["sentiment_label"], "mentions")
        df = df[(df["sentiment_label"] == sentiment).fillna(False)]
    return _share(df, value=None, by=by, brands=brands, count_name="mentions",
                  share_name="share_of_voice")


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
       Econometrics, 7th ed., ch. 4; computed with ``scipy.stats.linregress``.
    """
    from scipy import stats

    df = shares if months is None else shares[shares[month_col].isin(list(months))]
    rows = []
    all_months = sorted(df[month_col].dropna().unique())
    pos = {m: i for i, m in enumerate(all_months)}
    for brand, g in df.groupby("brand", sort=True):
        g = g.dropna(subset=[share_col]).sort_values(month_col)
        x = g[month_col].map(pos).to_numpy(dtype="float64")
        y = g[share_col].to_numpy(dtype="float64")
        n = len(g)
        slope = p = math.nan
        if n >= 3 and np.ptp(x) > 0:
            if np.ptp(y) == 0:
                slope, p = 0.0, 1.0
            else:
                res = stats.linregress(x, y)
                slope, p = float(res.slope), float(res.pvalue)
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
        ``posts_per_week``, ``engagements``, ``engagements_per_post``,
        ``engagement_rate_by_followers`` = Σ engagements / Σ (posts × followers). Zero denominators
        give NaN.

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
    out["engagement_rate_by_followers"] = out["engagements"] / out["exposure"].where(out["exposure"] > 0)
    for c in ("followers", "followers_start", "posts", "engagements"):
        out[c] = out[c].round().astype("int64")
    out["brand"] = out["brand"].astype("string")
    out["platform"] = out["platform"].astype("string")
    order = {p: i for i, p in enumerate([*PLATFORM_NAMES])}
    out = out.sort_values(["platform", "brand"], key=lambda s: s.map(order) if s.name == "platform" else s,
                          kind="stable").reset_index(drop=True)
    return out[["brand", "platform", "followers", "followers_start", "audience_growth_rate", "posts", "days",
                "posts_per_week", "engagements", "engagements_per_post", "engagement_rate_by_followers"]]


def percentile_rank(value: float, peers: Sequence[float] | pd.Series | np.ndarray) -> float:
    """Percentile rank of ``value`` among ``peers``: (below + ½ × equal) / number of peers.

    ``peers`` are the other brands (the client is not one of them); missing values are dropped.
    Returns a fraction in [0, 1]; NaN when ``value`` is missing or there are no peers.

    References
    ----------
    .. [1] Crocker & Algina (1986), Introduction to Classical and Modern Test Theory, ch. 19;
       equals ``scipy.stats.percentileofscore(peers, value, kind="mean") / 100``.
    """
    arr = np.asarray(pd.Series(peers, dtype="float64").dropna(), dtype="float64")
    if value is None or not np.isfinite(value) or arr.size == 0:
        return math.nan
    below = float((arr < value).sum())
    equal = float((arr == value).sum())
    return (below + 0.5 * equal) / arr.size


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
        rank), ``percentile_rank`` (fraction, see :func:`percentile_rank`). Platforms where the client
        has no row are left out.
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
            pv = peers[m].astype("float64")
            valid = pv.dropna()
            best_idx = valid.idxmax() if len(valid) else None
            rank = (int((valid > v).sum()) + 1) if np.isfinite(v) else pd.NA
            rows.append({"platform": platform, "metric": m, "value": v,
                         "peer_median": float(valid.median()) if len(valid) else math.nan,
                         "peer_best": float(valid.max()) if len(valid) else math.nan,
                         "best_brand": peers.loc[best_idx, "brand"] if best_idx is not None else pd.NA,
                         "n_peers": int(len(valid)), "rank": rank,
                         "percentile_rank": percentile_rank(v, valid)})
    out = pd.DataFrame(rows, columns=["platform", "metric", "value", "peer_median", "peer_best", "best_brand",
                                      "n_peers", "rank", "percentile_rank"])
    out["rank"] = out["rank"].astype("Int64")
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
        raise ParameterError(f"benchmarks.file: no such file {p}")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8")), str(p)
    except yaml.YAMLError as e:
        raise ParameterError(f"{p}: not valid YAML ({getattr(e, 'problem', e)})") from None


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
        src = sources[r["source"]]
        rows.append({"industry": str(r["industry"]).lower(), "platform": str(r["platform"]).lower(),
                     "metric": r["metric"], "value": value, "source": r["source"],
                     "source_title": str(src.get("title", r["source"])).strip(),
                     "source_period": str(r.get("period", src.get("period", ""))),
                     "source_published": str(src.get("published", ""))})
    table = pd.DataFrame(rows).astype({"industry": "string", "platform": "string", "metric": "string",
                                       "source": "string", "source_title": "string",
                                       "source_period": "string", "source_published": "string"})
    return table, sources, raw.get("weights") or {}


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
        "client override"), ``source``, ``source_title``, ``source_period``, ``source_published``.

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
                         "source_period": "", "source_published": ""})
    if rows:
        base = pd.concat([base, pd.DataFrame(rows)], ignore_index=True).drop_duplicates(
            ["platform", "metric"], keep="last")
    out = base[["platform", "metric", "value", "origin", "source", "source_title", "source_period",
                "source_published"]].reset_index(drop=True)
    return out.astype({c: "string" for c in out.columns if c != "value"})


def channel_weights(*, objective: str, industry: str, metric_weights: Mapping[str, float] | None = None,
                    platform_weights: Mapping[str, float] | None = None, platforms: Sequence[str] = (),
                    path: str | Path | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """The metric weights (by objective) and platform weights (by industry) of the channel score.

    Client parameters win (``benchmarks.metric_weights`` / ``benchmarks.channel_weights``); otherwise
    the benchmark file's ``weights`` section; a platform the industry does not list weighs 0.5, and
    an industry the file does not know weighs every platform 1. Weights are normalised to sum to 1.
    """
    _, _, weights = _benchmark_file(None if path is None else str(path))
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
    b = benchmarks[["platform", "metric", "value", "origin", "source", "source_title", "source_period"]].rename(
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
               "source_title", "source_period", "sentence"]]


def _short_source(source: str, title: str, period: str) -> str:
    if source == "rival_iq_2023":
        return "Rival IQ 2023 median"
    if source == "agency_guide_fi":
        return "agency guide rule of thumb"
    if source == "client parameters":
        return "your own target"
    return title.split(",")[0][:60] + (f", {period}" if period else "")


def _gap_sentence(r: Any) -> str:
    name = BENCHMARK_METRICS.get(r.metric, r.metric)
    plat = PLATFORM_NAMES.get(r.platform, r.platform)
    src = _short_source(r.source, r.source_title, r.source_period)
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
    pw = out["platform"].map(lambda p: float(platform_weights.get(p, 0.0)))
    out["weight"] = pw / pw.sum() if pw.sum() > 0 else 1.0 / len(out)
    out["shortfall"] = (1 - out["score"]).clip(lower=0)
    out["priority"] = out["weight"] * out["shortfall"]
    out = out.sort_values(["priority", "score"], ascending=[False, True], kind="stable")
    overall = pd.DataFrame([{"platform": "all", "score": float((out["weight"] * out["score"]).sum()),
                             "metrics": int(out["metrics"].sum()), "weight": 1.0,
                             "shortfall": math.nan, "priority": math.nan}])
    out = pd.concat([out, overall], ignore_index=True)
    out["platform"] = out["platform"].astype("string")
    return out[cols]
