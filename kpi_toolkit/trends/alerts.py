"""Alerts of a month: the client's watched KPIs, their spikes and dips, and what drove each one.

:func:`month_alerts` runs :func:`~kpi_toolkit.trends.detect_anomalies` on the daily series of every
watched KPI with the client's alert rule (threshold, direction, owner), keeps the alert windows that
touch the month and explains each one with :func:`explain_alerts`: the topics (mentions), posts,
campaigns (ads) or sources (web) that account for most of the excess.

Two rules for thin or empty months sit around the detector:

* **Too little history.** A KPI is judged only when it has at least :data:`MIN_HISTORY_DAYS` (28) days
  with data before the month; for a table of events (posts, mentions) a day with data is a day on
  which the measure is above 0 (a day with a post). With fewer the alerts are not checked and
  ``attrs["skipped"]`` says so in words. 28 days is the minimum the detector's robust scale needs in
  its window (:func:`~kpi_toolkit.trends.anomalies.min_scale_points`: a quarter of its 16-week window,
  each weekday seen four times); the spread of fewer values is too unsteady to call anything a spike:
  the standard error of a MAD-based standard deviation is about 1.17 / sqrt(n) of it (Hampel et al.
  1986, the MAD's influence function), 52 % with 5 values, 22 % with 28, and below 10 values its
  bias needs correction factors of up to 1.5 (Croux & Rousseeuw 1992).
* **A month of zeros.** The detector's running-median baseline follows a level shift at once, so a
  series that drops to 0 and stays there raises no dip. :func:`zero_run_alert` flags a count or money
  KPI that is 0 on every day of the month (a table of events that stopped before the month while the
  client's other data goes on counts as 0, as the snapshot counts it) when the run of zeros is longer
  than any before it and the month's average is beyond the rule's threshold below the 28 days with
  data before the run: a z-test of the run's daily average, the days' variance taken at least
  Poisson (the quasi-Poisson floor of :mod:`~kpi_toolkit.trends.significance`).

References
----------
The detector's references are in :mod:`kpi_toolkit.trends.anomalies`.
Croux, C. & Rousseeuw, P. J. (1992). Time-efficient algorithms for two highly robust estimators of
scale. Computational Statistics 1, 411-428 (small-sample correction factors of the MAD).
Hampel, F. R., Ronchetti, E. M., Rousseeuw, P. J. & Stahel, W. A. (1986). Robust Statistics: The
Approach Based on Influence Functions. Wiley (asymptotic variance of the MAD, 1.36 sigma^2 / n).
McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., section 4.5 (dispersion).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..data import ClientData
from ..exceptions import KpiToolkitError, ParameterError
from ..kpis import REGISTRY, adds_up_over_days, format_money, format_value
from ..params import AlertRule, TrendOptions
from ..periods import Period, month_words
from ..schema import TABLES
from ..views import snippet
from .anomalies import (
    MIN_SCALE_VALUES,
    SEVERITY_BANDS,
    alert_windows,
    detect_anomalies,
    min_scale_points,
)
from .comparisons import EVENT_TABLES, daily_series, data_span, table_days

ALERT_COLUMNS = ["kpi", "label", "owner", "start", "end", "n_points", "kind", "peak_at", "value",
                 "expected", "lower", "upper", "score", "severity", "excess", "contributors", "top_contributors",
                 "explanation", "run_days"]
"""Columns of :func:`month_alerts`. ``run_days`` is set for a run of zeros (:func:`zero_run_alert`, whose
``score`` is in standard errors of the run's average) and NaN for the detector's alerts."""

MIN_HISTORY_DAYS = min_scale_points((7,))  # 28
"""Days with data a daily KPI needs before the month for its alerts to be judged: 28, the minimum of the
detector's robust scale for daily data (four weeks; see the module docstring for why fewer is too few)."""

# what explains a KPI's spike: (column of the table to group by, per-item?) by table
_EXPLAIN_BY: dict[str, tuple[str, bool]] = {
    "mentions": ("topic", False),
    "posts": ("post_id", True),
    "ads": ("campaign", False),
    "web": ("source", False),
    "competitors": ("brand", False),
}


def _words_for(table: str) -> str:
    return {"mentions": "topic", "posts": "post", "ads": "campaign", "web": "source",
            "competitors": "brand"}.get(table, "group")


def explain_alerts(
    windows: pd.DataFrame,
    rows: pd.DataFrame,
    *,
    time_col: str,
    by: str,
    weight: str | np.ndarray | None = None,
    tz: str | None = None,
    step: str = "D",
    per_item: bool = False,
    top_n: int = 3,
    baseline_days: int = 28,
    value_format: Callable[[float], str] | None = None,
    peer: str | None = None,
) -> pd.DataFrame:
    """Add the top contributing topics or posts to alert windows.

    For each window, the rows (mentions, posts, ...) whose time falls inside it are totalled by
    ``by``; the "usual" amount of each group is its median daily total over the ``baseline_days``
    before the window times the window's length in days (a median, so an earlier spike does not
    count as usual). Contributors are ranked by their excess over usual
    (spikes) or shortfall (dips). With ``per_item`` (posts: every row is its own group) the usual
    amount is the median row of the baseline; with ``peer`` too, the median row of the item's peer
    group (a LinkedIn post is set against the LinkedIn posts of the baseline, not against every
    platform's: their typical engagements differ several-fold), or of every baseline row when its
    peer group has none there.

    Parameters
    ----------
    windows
        Output of :func:`~kpi_toolkit.trends.alert_windows` (``start``, ``end``, ``kind``).
    rows
        Event rows: mentions (already filtered to the brand, or to negative mentions), posts ...
    time_col
        Time column of ``rows``.
    by
        Column to group by: ``topic``, ``source``, ``post_id``, ``campaign``.
    weight
        Column (or array aligned with ``rows``) to total; None counts rows.
    tz
        Time zone in which the windows' naive times are local (None: the windows' own zone or UTC).
    step
        Step of the series the windows come from; the window ends ``step`` after ``end``.
    per_item, top_n, baseline_days
        See above.
    value_format
        How ``top_contributors`` writes an amount (e.g. with the client's currency for ad spend);
        default a whole number with thousands separators.
    peer
        With ``per_item``: the column that defines an item's peers (e.g. ``platform``, holding the
        names a reader knows, "LinkedIn"); None compares every item with all baseline rows.

    Returns
    -------
    pandas.DataFrame
        ``windows`` with ``contributors`` (list of dicts: ``name``, ``in_window``, ``usual``,
        ``excess``, and with ``peer`` also ``peer``: the peer group the usual value comes from,
        None when it fell back to all rows) and ``top_contributors`` (plain words, e.g.
        "product recall: 402 (usually 3)"; per item "LinkedIn video of 3 Nov: 1,057 (a typical one
        on LinkedIn: 390)", or "... (a typical one overall: 96)" after a fall-back).

    References
    ----------
    A contribution analysis ("which groups explain the change") in the sense of the
    decomposition of a total into its parts; no model is assumed.
    """
    if time_col not in rows.columns:
        raise ParameterError(f"rows have no time column {time_col!r}")
    if by not in rows.columns:
        raise ParameterError(f"rows have no column {by!r} to explain alerts by")
    if peer is not None and peer not in rows.columns:
        raise ParameterError(f"rows have no column {peer!r} to compare items with their peers")
    out = windows.copy()
    if out.empty:
        out["contributors"] = pd.Series(dtype=object)
        out["top_contributors"] = pd.Series(dtype="string")
        return out
    t = rows[time_col]
    w_tz = getattr(out["start"].dtype, "tz", None)

    def naive(ts: pd.Timestamp) -> np.datetime64:
        # windows with a zone are compared in UTC; naive windows are local times of ``tz``
        ts = pd.Timestamp(ts)
        return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts).to_datetime64()

    if isinstance(t.dtype, pd.DatetimeTZDtype):
        local = t.dt.tz_convert("UTC") if w_tz is not None else t.dt.tz_convert(tz or "UTC")
        local = local.dt.tz_localize(None)
    else:
        local = pd.to_datetime(t)
    if weight is None:
        wts = np.ones(len(rows))
    elif isinstance(weight, str):
        wts = rows[weight].to_numpy(dtype="float64", na_value=0.0)
    else:
        wts = np.asarray(weight, dtype="float64")
    fmt = value_format or (lambda v: f"{v:,.0f}")
    keys = rows[by].astype("string").fillna("(none)").to_numpy()
    peers = rows[peer].astype("string").fillna("(none)").to_numpy() if peer is not None else None
    times = local.to_numpy(dtype="datetime64[ns]")
    delta = pd.Timedelta(pd.tseries.frequencies.to_offset(step)) if step != "D" else pd.Timedelta(days=1)
    contribs, texts = [], []

    def typical(item: dict[str, Any]) -> str:
        if peers is None:
            return "a typical one"
        return f"a typical one on {item['peer']}" if item["peer"] is not None else "a typical one overall"

    for _, win in out.iterrows():
        lo = pd.Timestamp(win["start"])
        hi = pd.Timestamp(win["end"]) + delta
        b_lo = lo - pd.Timedelta(days=baseline_days)
        in_w = (times >= naive(lo)) & (times < naive(hi))
        in_b = (times >= naive(b_lo)) & (times < naive(lo))
        span = (hi - lo) / pd.Timedelta(days=1)
        cur = pd.Series(wts[in_w]).groupby(keys[in_w]).sum()
        peer_of: dict[str, str | None] = {}
        if per_item:
            usual_all = float(np.median(wts[in_b])) if in_b.any() else 0.0
            usual = pd.Series(usual_all, index=cur.index)
            if peers is not None:
                # an item's peer group: the peer value of its rows in the window (the first, if several)
                first = pd.Series(peers[in_w]).groupby(keys[in_w]).first()
                for k in cur.index:
                    grp = in_b & (peers == first[k])
                    if grp.any():
                        usual[k], peer_of[k] = float(np.median(wts[grp])), str(first[k])
                    else:
                        peer_of[k] = None
        else:
            # usual = the median day of the baseline (robust to earlier spikes), times the window length
            day = pd.DatetimeIndex(times[in_b]).floor("D")
            daily = pd.Series(wts[in_b]).groupby([day, keys[in_b]]).sum().unstack(fill_value=0.0)
            all_days = pd.date_range(pd.Timestamp(naive(b_lo)).floor("D"), pd.Timestamp(naive(lo)).floor("D"),
                                     freq="D", inclusive="left")
            daily = daily.reindex(all_days, fill_value=0.0)
            base = daily.median(axis=0) * span if len(daily) else pd.Series(dtype="float64")
            idx = cur.index.union(base.index)
            cur, usual = cur.reindex(idx, fill_value=0.0), base.reindex(idx, fill_value=0.0)
        excess = cur - usual
        order = excess.sort_values(ascending=(win["kind"] == "dip")).index[:top_n]
        items = [{"name": str(k), "in_window": float(cur[k]), "usual": float(usual[k]),
                  "excess": float(excess[k]), **({"peer": peer_of.get(str(k))} if peers is not None else {})}
                 for k in order if (excess[k] > 0 if win["kind"] == "spike" else excess[k] < 0)]
        contribs.append(items)
        if per_item:
            texts.append("; ".join(f"{i['name']}: {fmt(i['in_window'])} ({typical(i)}: {fmt(i['usual'])})"
                                   for i in items))
        else:
            # a campaign, topic or source is the client's own name for it: quoted, so it reads as a name
            texts.append("; ".join(f"‘{i['name']}’: {fmt(i['in_window'])} (usually {fmt(i['usual'])})"
                                   for i in items))
    out["contributors"] = pd.Series(contribs, index=out.index, dtype=object)
    out["top_contributors"] = pd.Series(texts, index=out.index, dtype="string")
    return out


def rule_for(options: TrendOptions, kpi: str) -> AlertRule:
    """The client's alert rule for ``kpi`` (its own, else the default)."""
    return options.alerts.get(kpi, options.default_alert)


def watched_kpis(options: TrendOptions) -> list[str]:
    """KPIs checked for alerts: those with a rule, then the watch list."""
    return list(dict.fromkeys([*options.alerts, *options.watch]))


_MONEY_COLUMNS = frozenset({"spend", "revenue"})
"""Columns whose amounts are money (web_revenue is read from the web table's ``revenue``)."""


def _event_rows(data: ClientData, kpi: str, *, brand: str | None,
                sentiment_thresholds: tuple[float, float]) -> tuple[pd.DataFrame, np.ndarray | None, bool] | None:
    """The rows behind a KPI's daily series, the amount each adds, and whether that amount is money."""
    spec = REGISTRY[kpi]
    df = data.tables.get(spec.table)
    if df is None or spec.table not in _EXPLAIN_BY or TABLES[spec.table].time_col not in df.columns:
        return None
    by, _ = _EXPLAIN_BY[spec.table]
    if by not in df.columns:
        by = "source" if "source" in df.columns else None
        if by is None:
            return None
    # only the columns used below, so filtering millions of mentions copies a few narrow columns
    used = {TABLES[spec.table].time_col, by, "brand", "sentiment_score", "platform", "format", "content_type",
            "likes", "comments", "shares", "saves", "impressions", "conversions", "revenue", spec.numerator or ""}
    if spec.table == "posts":
        used.add("text")  # tells apart two posts of one day and format (_post_names)
    rows = df[[c for c in df.columns if c in used]]
    weight, money = None, False
    if spec.table == "mentions":
        if brand is not None and "brand" in rows.columns and kpi != "share_of_voice":
            rows = rows[(rows["brand"] == brand).to_numpy(dtype=bool, na_value=False)]
        if kpi in ("negative_share", "negative_mentions") and "sentiment_score" in rows.columns:
            s = rows["sentiment_score"].to_numpy(dtype="float64", na_value=np.nan)
            rows = rows[s <= sentiment_thresholds[0]]
        elif kpi in ("positive_share", "positive_mentions") and "sentiment_score" in rows.columns:
            s = rows["sentiment_score"].to_numpy(dtype="float64", na_value=np.nan)
            rows = rows[s >= sentiment_thresholds[1]]
    elif spec.table == "posts":
        measure = spec.numerator or "engagements"
        if measure == "engagements" or measure not in rows.columns:
            cols = [c for c in ("likes", "comments", "shares", "saves") if c in rows.columns]
            weight = rows[cols].to_numpy(dtype="float64", na_value=0.0).sum(axis=1)
        else:
            weight = rows[measure].to_numpy(dtype="float64", na_value=0.0)
    else:
        col = {"ad_impressions": "impressions", "web_conversions": "conversions",
               "web_revenue": "revenue"}.get(spec.numerator or "", spec.numerator or "")
        if col in rows.columns:
            weight, money = rows[col].to_numpy(dtype="float64", na_value=0.0), col in _MONEY_COLUMNS
    return rows.reset_index(drop=True), weight, money


def month_alerts(
    data: ClientData,
    options: TrendOptions,
    *,
    period: Period,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
    kpis: list[str] | None = None,
    currency: str = "EUR",
) -> pd.DataFrame:
    """Spike and dip alerts of the watched KPIs that touch ``period``, each with its owner and cause.

    Each KPI's daily series up to the end of the period (full history before it, so the baseline
    knows the client's normal) goes through :func:`~kpi_toolkit.trends.detect_anomalies` with the
    KPI's alert rule; the alert windows overlapping the period are kept and explained.

    Parameters
    ----------
    data
        The client's tables.
    options
        ``params.trends``: the alert rules, default rule and watch list.
    period
        The report month.
    tz, brand, sentiment_thresholds
        As for :func:`~kpi_toolkit.kpis.compute_kpis`.
    kpis
        KPIs to check (default: :func:`watched_kpis`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ALERT_COLUMNS`, most severe first. ``attrs["skipped"]`` lists
        ``(kpi, reason)`` for KPIs that could not be checked.

    References
    ----------
    :mod:`kpi_toolkit.trends.anomalies`.
    """
    names = kpis if kpis is not None else watched_kpis(options)
    end_day = period.end_day
    series = daily_series(data, names, tz=tz, brand=brand, sentiment_thresholds=sentiment_thresholds,
                          end=end_day)
    skipped: list[tuple[str, str]] = [(k, _no_series_reason(data, REGISTRY[k].table))
                                      for k in series.attrs.get("skipped", [])]
    parts = []
    for kpi in [k for k in names if k in series.columns]:
        spec = REGISTRY[kpi]
        rule = rule_for(options, kpi)
        s = _with_quiet_days(series[kpi], data, spec, tz=tz, end_day=end_day)
        if s.loc[period.first_day:].notna().sum() == 0:
            skipped.append((kpi, _no_values_reason(data, spec)))
            continue
        seen = history_days(s, spec, before=period.first_day)
        if seen < MIN_HISTORY_DAYS:
            skipped.append((kpi, _thin_history_reason(seen, spec, period)))
            continue
        try:
            res = detect_anomalies(_posting_days_only(s, data, spec, tz=tz).rename(kpi), freq="D",
                                   threshold=rule.threshold, direction=rule.direction)
        except KpiToolkitError as e:
            skipped.append((kpi, str(e)))
            continue
        month = res.loc[period.first_day:end_day - pd.Timedelta(days=1)]
        stop = zero_run_alert(s, spec, rule, period=period) if spec.name not in _snapshot_zero_kpis(data, spec, period) \
            else None
        if stop is None and month["value"].notna().any() and month["score"].isna().all():
            # the month has values but the detector could score none: too few values in its 16-week
            # window (a client posting every fifth day has ~22 posting days in it); said, not left silent
            skipped.append((kpi, _sparse_window_reason(int(month["value"].notna().sum()), spec)))
            continue
        wins = alert_windows(res)
        wins = wins[(wins["end"] >= period.first_day) & (wins["start"] < end_day)]
        if stop is not None:
            # the run is one alert; the detector's dips inside it (its first days) would repeat it
            inside = (wins["kind"] == "dip") & (wins["start"] >= stop["start"])
            wins = pd.concat([wins[~inside.to_numpy(dtype=bool)], pd.DataFrame([stop])], ignore_index=True)
        if wins.empty:
            continue
        ev = _event_rows(data, kpi, brand=brand, sentiment_thresholds=sentiment_thresholds)
        if ev is not None:
            rows, weight, money = ev
            by, per_item = _EXPLAIN_BY[spec.table]
            if by not in rows.columns:
                by = "source"
            peer = None
            if spec.table == "posts" and by == "post_id":
                rows, by = rows.assign(post=_post_names(rows, tz)), "post"
                if "platform" in rows.columns:  # a post is typical or not among its own platform's posts
                    rows, peer = rows.assign(platform=_platform_names(rows["platform"])), "platform"
            wins = explain_alerts(wins, rows, time_col=TABLES[spec.table].time_col, by=by, weight=weight,
                                  tz=tz, per_item=per_item, peer=peer,
                                  value_format=(lambda v: format_money(v, currency)) if money else None)
        else:
            wins = wins.assign(contributors=[[] for _ in range(len(wins))], top_contributors="")
        wins = wins.assign(kpi=kpi, label=spec.label, owner=rule.owner)
        wins["explanation"] = [stopped_sentence(r, spec.unit, spec.label, table=spec.table, currency=currency)
                               if pd.notna(r.get("run_days", np.nan)) else
                               alert_sentence(r, spec.unit, spec.label, table=spec.table, currency=currency)
                               for _, r in wins.iterrows()]
        parts.append(wins)
    if parts:
        out = pd.concat(parts, ignore_index=True)
        out = out.iloc[np.argsort(-out["score"].abs().to_numpy(), kind="stable")].reset_index(drop=True)
        out = out.reindex(columns=ALERT_COLUMNS)
    else:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})
    out.attrs["skipped"] = skipped
    return out


def _posting_days_only(s: pd.Series, data: ClientData, spec: Any, *, tz: str) -> pd.Series:
    """A posts total (engagements, reach ...) on the days the client posted; NaN on the others.

    A day without a post has 0 engagements because nothing was posted, not because posts did badly:
    for a client who posts every few days, a daily series of mostly zeros made the baseline 0 and
    every posting day a "spike" (five or six a month for a post every fifth day). The detector then
    judges each posting day against other posting days, which is the question an alert answers (did
    this day's posts do unusually well or badly?). A stop in posting is the run-of-zeros alert's
    (:func:`zero_run_alert`, on the series with its zeros). Other tables are returned as they are: a
    day without a mention is a real 0 mentions."""
    if spec.table != "posts" or not adds_up_over_days(spec.name):
        return s
    posts = data.tables.get("posts")
    time_col = TABLES["posts"].time_col
    if posts is None or time_col not in posts.columns or not len(s):
        return s
    t = pd.to_datetime(posts[time_col], utc=True).dropna()
    days = pd.DatetimeIndex(t.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().unique())
    return s.where(s.index.isin(days.as_unit(s.index.unit)))


def _with_quiet_days(s: pd.Series, data: ClientData, spec: Any, *, tz: str, end_day: pd.Timestamp) -> pd.Series:
    """A count of a table of events (posts, mentions) is 0, not missing, on the days after the table's
    last row that the client's other data still covers: a client who stopped posting on 14 September
    has an October of 0 engagements (as the snapshot counts it, ``data_span``), not an October without
    data. Other series are returned as they are."""
    if spec.table not in EVENT_TABLES or not adds_up_over_days(spec.name):
        return s
    span, own = data_span(data, spec.table, tz), table_days(data, spec.table, tz)
    if span is None or own is None or not len(s):
        return s
    last = min(span[1], pd.Timestamp(end_day) - pd.Timedelta(days=1))
    if last <= own[1]:
        return s
    days = pd.date_range(s.index[0], max(last, s.index[-1]), freq="D", name=s.index.name)
    out = s.reindex(days)
    quiet = (days > own[1]) & (days <= last)
    out[quiet] = out[quiet].fillna(0.0)
    return out


def history_days(s: pd.Series, spec: Any, *, before: pd.Timestamp) -> int:
    """Days with data in a daily series before ``before``: days with a value; for a count of a table of
    events (posts, mentions), days on which it is above 0, since a day without a post is 0 engagements
    by construction and says nothing about how a post usually does."""
    hist = s.loc[:pd.Timestamp(before) - pd.Timedelta(days=1)].dropna()
    if spec.table in EVENT_TABLES and adds_up_over_days(spec.name):
        hist = hist[hist > 0]
    return int(len(hist))


def _history_words(n: int, spec: Any) -> str:
    what = {"posts": "posts", "mentions": "mentions"}.get(spec.table, "data")
    return f"{n} day{'s' if n != 1 else ''} with {what}"


def _sparse_window_reason(n: int, spec: Any) -> str:
    """Why some of a month's days were not judged: fewer than :data:`MIN_SCALE_VALUES` values in the
    detector's 16-week window around them (a client who posts every few days)."""
    what = {"posts": "posting days", "mentions": "days with mentions"}.get(spec.table, "days with data")
    one = {"posts": "posting day", "mentions": "day with mentions"}.get(spec.table, "day with data")
    return (f"there are too few {what} to tell a spike or dip from ordinary ups and downs (each of the "
            f"month's {n} {what if n != 1 else one} is judged against the 16 weeks around it, which need at "
            f"least {MIN_SCALE_VALUES})")


def _thin_history_reason(n: int, spec: Any, period: Period) -> str:
    """Why a KPI's alerts were not judged, in words: the history is shorter than :data:`MIN_HISTORY_DAYS`."""
    label = str(period.label)
    before = month_words(label) if len(label) == 7 and label[4] == "-" else f"{period.first_day:%d %b %Y}".lstrip("0")
    return (f"there is too little history to tell a spike or dip from ordinary ups and downs "
            f"({_history_words(n, spec)} before {before}; at least {MIN_HISTORY_DAYS} are needed, about four "
            f"weeks)")


def _longest_zero_run(values: np.ndarray) -> int:
    """Longest run of consecutive zeros (missing values break a run)."""
    best = cur = 0
    for v in values:
        cur = cur + 1 if v == 0 else 0
        best = max(best, cur)
    return best


def zero_run_alert(s: pd.Series, spec: Any, rule: AlertRule, *, period: Period) -> dict[str, Any] | None:
    """A dip alert for a count or money KPI that is 0 on every day of ``period`` with data, after activity.

    The run of zeros that ends on the month's last day with data (it may begin before the month) is an
    alert when (1) the rule watches dips (direction "both" or "down"), (2) the run is longer than any
    run of zeros before it in the series (as :func:`~kpi_toolkit.trends.comparisons.data_ends_early`
    judges a quiet end), and (3) the run's daily average, 0, is more than ``rule.threshold`` standard
    errors below the mean ``m`` of the :data:`MIN_HISTORY_DAYS` days with data before the run:
    ``score = -m / sqrt(v / L)`` over the run's ``L`` days, with ``v`` the variance of those days,
    at least ``m`` (Poisson noise: the quasi-Poisson floor, McCullagh & Nelder 1989, section 4.5).

    Parameters
    ----------
    s
        The KPI's daily series (naive local days), the history before the month included.
    spec
        The KPI's registry entry.
    rule
        The client's alert rule for the KPI.
    period
        The report month.

    Returns
    -------
    dict or None
        A row of :func:`~kpi_toolkit.trends.alert_windows` (``kind`` "dip", ``value`` 0, ``expected``
        ``m``, ``lower`` and ``upper`` the normal range of an ``L``-day average, ``score``, ``severity``,
        ``excess``) plus ``run_days`` (``L``), ``longest_before`` (the longest earlier run of zeros) and
        ``usual_days`` (days the usual level is taken from); None when the rules above are not met.

    References
    ----------
    McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., section 4.5.
    """
    if rule.direction == "up" or not adds_up_over_days(spec.name):
        return None
    month = s.loc[period.first_day:period.end_day - pd.Timedelta(days=1)].dropna()
    if not len(month) or (month != 0).any():
        return None
    vals = s.loc[:month.index[-1]]
    nz = np.flatnonzero(vals.to_numpy() != 0)  # NaN != 0: a missing day ends the run too
    if not len(nz):
        return None
    start = vals.index[nz[-1] + 1]
    before = vals.loc[:start - pd.Timedelta(days=1)]
    run = len(vals.loc[start:].dropna())
    longest = _longest_zero_run(before.to_numpy())
    if run <= longest:
        return None
    usual = before.dropna()
    usual = usual[usual > 0] if spec.table in EVENT_TABLES else usual
    if len(usual) < MIN_HISTORY_DAYS:
        return None
    # the usual day: every day from the MIN_HISTORY_DAYS-th last day with data on (quiet days included)
    usual = before.loc[usual.index[-MIN_HISTORY_DAYS]:].dropna()
    m = float(usual.mean())
    v = max(float(usual.var(ddof=1)), m)
    if not m > 0:
        return None
    se = float(np.sqrt(v / run))
    score = -m / se
    thr = float(rule.threshold)
    if -score <= thr:
        return None
    ratio = -score / thr
    severity = "moderate" if ratio < SEVERITY_BANDS[0] else ("high" if ratio < SEVERITY_BANDS[1] else "severe")
    return {"start": start, "end": month.index[-1], "n_points": run, "kind": "dip", "peak_at": start,
            "value": 0.0, "expected": m, "lower": max(0.0, m - thr * se), "upper": m + thr * se,
            "score": score, "severity": severity, "excess": -m * run, "run_days": run,
            "longest_before": longest, "usual_days": len(usual)}


def stopped_sentence(row: Any, unit: str, label: str, *, table: str = "", currency: str = "EUR") -> str:
    """The sentence of a :func:`zero_run_alert`: how long the KPI has been 0, against what, what it
    most often means and what to check."""
    def fmt(v: float) -> str:
        return format_value(v, unit, currency=currency)

    start, end = pd.Timestamp(row["start"]), pd.Timestamp(row["end"])
    run, longest = int(row["run_days"]), int(row["longest_before"])
    never = ("it had never been 0 for a day before" if longest == 0 else
             f"it had never been 0 for more than {longest} day{'s' if longest != 1 else ''} in a row before")
    cause = {"posts": "posting that stopped or a posts export that broke",
             "mentions": "a listening query or export that stopped",
             "ads": "ads that were paused or a tracking or export that broke",
             "web": "web tracking that broke"}.get(table, "data that stopped arriving")
    return (f"{label} was 0 on every day {_day_text(start, end)} ({run} days): against about {fmt(row['expected'])} "
            f"a day over the {int(row['usual_days'])} days before, {never}. Over {run} days the daily average "
            f"would normally stay between {fmt(row['lower'])} and {fmt(row['upper'])}, so a month at 0 is far "
            f"outside ordinary ups and downs ({row['severity']}). A stop like this is more "
            f"often {cause} than a real fall: check the data before reading the month's {label.lower()}.")


def _snapshot_zero_kpis(data: ClientData, spec: Any, period: Period) -> frozenset[str]:
    """KPIs whose month of zeros the snapshot already explains: ads conversions and revenue in a month
    whose ads spent (its note on conversion tracking that stopped, ``report._conversion_tracking_notes``)."""
    if spec.table != "ads" or spec.name not in ("conversions", "revenue"):
        return frozenset()
    ads = data.tables.get("ads")
    if ads is None or "spend" not in ads.columns or "date" not in ads.columns:
        return frozenset()
    day = pd.to_datetime(ads["date"])
    rows = ads[((day >= period.first_day) & (day < period.end_day)).to_numpy(dtype=bool)]
    spent = float(pd.to_numeric(rows["spend"], errors="coerce").sum()) > 0
    return frozenset({"conversions", "revenue"}) if spent else frozenset()


def _no_series_reason(data: ClientData, table: str) -> str:
    """Why a KPI has no daily series: its table is absent, or its rows carry a month but no day (an
    export with month-level dates only; alerts are found day by day)."""
    df = data.tables.get(table)
    if df is None or not len(df):
        return data.missing.get(table, f"no {table} data")
    return f"the {table} data gives a month but no day for its rows, and alerts are found day by day"


_SENTIMENT_MEASURES = frozenset({"positive_mentions", "negative_mentions", "scored_mentions", "net_sentiment_count"})


def _no_values_reason(data: ClientData, spec: Any) -> str:
    """Why a watched series has no value in the month, in words. The common case is a sentiment
    series of mentions that carry no sentiment score: the listening section scores their texts itself
    and watches the series there, so the trend section says where to look rather than "no values"."""
    if {spec.numerator, spec.denominator} & _SENTIMENT_MEASURES:
        mentions = data.tables.get("mentions")
        if mentions is not None and ("sentiment_score" not in mentions.columns
                                     or mentions["sentiment_score"].notna().sum() == 0):
            return ("the mentions data has no sentiment scores; the listening section scores the mention texts "
                    "and checks this series there")
    return "no values in the month"


def _platform_names(platform: pd.Series) -> pd.Series:
    """Platform ids as a reader knows them ("linkedin" -> "LinkedIn"); missing stays missing."""
    from ..benchmarks import PLATFORM_NAMES

    s = platform.astype("string")
    return s.map(lambda p: PLATFORM_NAMES.get(p, p.title()) if isinstance(p, str) and p else pd.NA).astype("string")


def _post_names(rows: pd.DataFrame, tz: str | None) -> np.ndarray:
    """A post as a client recognises it, "Instagram reel of 12 Nov", not its export id ("ldg-ig-01579").
    Two posts that would read the same are told apart by their local time ("LinkedIn video of 3 Nov,
    11:00"), then by the start of their text; only posts alike in all of these keep their id."""
    from ..benchmarks import PLATFORM_NAMES

    t = pd.to_datetime(rows["published_at"], utc=True)
    if tz:
        t = t.dt.tz_convert(tz)
    day = t.dt.strftime("%d %b").str.lstrip("0").fillna("an unknown day").to_numpy(dtype=object)
    plat = rows["platform"].astype("string").fillna("") if "platform" in rows.columns else pd.Series("", index=rows.index)
    # the canonical posts table calls the format ``content_type`` (schema.py); some frames say ``format``
    kind = next((c for c in ("format", "content_type") if c in rows.columns), None)
    fmt = rows[kind].astype("string").fillna("post") if kind else pd.Series("post", index=rows.index)
    names = np.array([f"{PLATFORM_NAMES.get(p, p.title()) + ' ' if p else ''}{f} of {d}"
                      for p, f, d in zip(plat, fmt, day, strict=True)], dtype=object)
    ids = rows["post_id"].astype("string").to_numpy(dtype=object)
    texts = rows["text"].astype("string").fillna("").to_numpy(dtype=object) if "text" in rows.columns \
        else np.full(len(rows), "", dtype=object)
    clock = t.dt.strftime(", %H:%M").fillna("").to_numpy(dtype=object)
    quoted = np.array([f': "{snippet(x, 32)}"' if str(x).strip() else "" for x in texts], dtype=object)
    for extra in (clock, quoted, np.array([f" ({i})" for i in ids], dtype=object)):
        clash = _clashes(names, ids)
        if not clash.any():
            break
        names[clash] = names[clash] + extra[clash]
    return names


def _clashes(names: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Which names stand for more than one post."""
    frame = pd.DataFrame({"name": names, "id": ids})
    return frame.groupby("name")["id"].transform("nunique").to_numpy() > 1


def _day_text(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start.normalize() == end.normalize():
        return f"on {start:%d %b %Y}".replace(" 0", " ")
    return f"from {start:%d %b} to {end:%d %b %Y}".replace(" 0", " ")


def alert_sentence(row: Any, unit: str, label: str, *, table: str = "", currency: str = "EUR") -> str:
    """One plain-words sentence for an alert window."""
    def fmt(v: float) -> str:
        return format_value(v, unit, currency=currency)

    verb = "spiked" if row["kind"] == "spike" else "dropped"
    sd = abs(float(row["score"]))
    start, end = pd.Timestamp(row["start"]), pd.Timestamp(row["end"])
    # the window's most unusual day (largest score), which need not be its largest value
    peak = pd.Timestamp(row["peak_at"]) if "peak_at" in row and pd.notna(row["peak_at"]) else start
    on = "" if start.normalize() == end.normalize() else f" on {peak:%d %b}".replace(" 0", " ") + ", its most unusual day,"
    text = (f"{label} {verb} {_day_text(start, end)}: "
            f"{fmt(row['value'])}{on} against about {fmt(row['expected'])} expected "
            f"(normal range {fmt(row['lower'])} to {fmt(row['upper'])}), "
            f"{sd:.1f} times its usual day-to-day swing {'above' if row['kind'] == 'spike' else 'below'} normal "
            f"({row['severity']}).")  # the swing: the robust standard deviation (MAD-based) of its residuals
    top = row.get("top_contributors") if hasattr(row, "get") else None
    if isinstance(top, str) and top:
        if table == "posts":
            return text + f" The posts behind it: {top}."
        days = (pd.Timestamp(row["end"]).normalize() - pd.Timestamp(row["start"]).normalize()).days + 1
        when = "That day" if days == 1 else f"Over those {days} days"  # the amounts are the window's totals
        text += f" {when}, most of the {'rise' if row['kind'] == 'spike' else 'fall'} came from " \
                f"{_words_for(table)}s {top}."
    return text
