"""Goal pacing: will the client reach each goal in its parameters by the deadline?

For every :class:`~kpi_toolkit.params.Goal` the KPI's monthly series (the registry's definition,
ratio of sums) up to the report month is forecast to the deadline month with
:func:`kpi_toolkit.trends.forecast_paths` (ETS, seasonally adjusted when two years show a yearly
pattern). The share of simulated paths that meet the target is the probability of reaching it,
and the status follows from it:

* **on track** — probability at least 70 %,
* **at risk** — between 30 % and 70 %,
* **off track** — below 30 %,
* **achieved** / **missed** — the deadline month is the report month or earlier (the actual value).

The 70 / 30 % cut-offs are this toolkit's convention for a traffic-light status (they are
parameters of :func:`pace_goals`), not a published standard.

References
----------
Doran, G. T. (1981). There's a S.M.A.R.T. way to write management's goals and objectives.
Management Review 70(11), 35-36 (goals with a target and a deadline).
Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed., §8.7
(prediction intervals from simulated future paths). OTexts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .context import ReportContext
from .data import ClientData
from .exceptions import KpiToolkitError, ParameterError
from .kpis import REGISTRY, format_value
from .params import ClientParams, Goal
from .periods import month_words, parse_month, shift_month
from .views import Recommendation, ReportView, and_words, kpi_topic

ON_TRACK_P = 0.7
"""A goal whose probability of being met is at least this is on track."""
OFF_TRACK_P = 0.3
"""Below this it is off track; in between, at risk."""

SHORT_HISTORY_MONTHS = 12
"""A goal forecast from fewer months of data than this is said to rest on a short history."""

MIN_UNPACED_CHART_MONTHS = 3
"""A goal that cannot be paced is charted (its months and the target line) only from this many months
with data: one or two points show no course towards the target."""

MAX_FORECAST_MONTHS = 24
"""The furthest a goal is forecast: a deadline more months than this after the last month of data
is not paced (a report run on 2014 data against a 2027 goal had drawn a 12-year forecast). Past two
yearly cycles a trend-and-season model says more about itself than about the KPI (Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., 2021, ch. 5.5: forecast intervals
widen with the horizon and assume the model holds throughout)."""

STATUS_WORDS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track",
                "achieved": "achieved", "missed": "missed", "no_data": "cannot be paced"}

GOAL_COLUMNS = ["kpi", "label", "unit", "owner", "start", "by", "deadline_month", "over", "direction",
                "baseline", "target", "current", "progress", "forecast", "lower", "upper",
                "probability", "status", "months_left", "model", "note", "data_ends"]
"""Columns of :func:`pace_goals`."""


@dataclass
class _Paced:
    row: dict[str, Any]
    history: pd.Series | None
    fc: pd.DataFrame | None


def _month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _months_between(a: str, b: str) -> int:
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])


def _baseline(monthly: pd.DataFrame, kpi: str, start: date) -> float:
    """The KPI over the 3 complete months before ``start`` (ratio of sums; mean for sums/stocks)."""
    spec = REGISTRY[kpi]
    first = shift_month(_month_of(start), -3)
    last = shift_month(_month_of(start), -1)
    m = monthly[(monthly["month"] >= first) & (monthly["month"] <= last)]
    if len(m) < 3 or m["value"].isna().any():
        return math.nan
    if spec.kind == "ratio" and spec.table != "audience":
        den = m["denominator"].sum()
        return float(m["numerator"].sum() / den * spec.scale) if den else math.nan
    return float(m["value"].mean())


def _baseline_gap(monthly: pd.DataFrame, start: date | None, month: str) -> str:
    """Why there is no baseline: the months of the 3 before ``start`` that have no data, named; or,
    in a report of a month before them, that they are still to come."""
    if start is None:
        return "no baseline"
    months = [shift_month(_month_of(start), k) for k in (-3, -2, -1)]

    def named(ms: list[str]) -> str:
        return and_words([f"{pd.Timestamp(m + '-01'):%B %Y}" for m in ms])

    later = [m for m in months if m > month]
    if later:  # a report of a month before the goal's baseline (an earlier month run again)
        return (f"no baseline yet: the baseline is the 3 months before the goal's start, and "
                f"{named(later)} {'comes' if len(later) == 1 else 'come'} after {named([month])}")
    have = set(monthly.loc[monthly["value"].notna(), "month"].astype(str))
    gaps = [m for m in months if m not in have] or months
    return (f"no baseline: the baseline is the 3 months before the goal's start, and {named(gaps)} "
            f"{'has' if len(gaps) == 1 else 'have'} no data")


def _direction(goal: Goal, target: float, baseline: float) -> str:
    if goal.direction != "auto":
        return goal.direction
    if math.isfinite(baseline) and target != baseline:
        return "at_least" if target > baseline else "at_most"
    return "at_most" if REGISTRY[goal.kpi].higher_is_better is False else "at_least"


def _status(p: float, *, on_track: float, off_track: float) -> str:
    if not math.isfinite(p):
        return "no_data"
    return "on_track" if p >= on_track else ("at_risk" if p >= off_track else "off_track")


def _pace_one(data: ClientData, params: ClientParams, goal: Goal, month: str, *, repetitions: int,
              seed: int, on_track: float, off_track: float) -> _Paced:
    from .trends.comparisons import data_ends_early, monthly_kpis, table_days
    from .trends.forecast import forecast_paths

    spec = REGISTRY[goal.kpi]
    tz = params.timezone
    deadline = _month_of(goal.by)
    row: dict[str, Any] = {c: math.nan for c in GOAL_COLUMNS}
    row.update({"kpi": goal.kpi, "label": spec.label, "unit": spec.unit, "owner": goal.owner,
                "start": goal.start, "by": goal.by, "deadline_month": deadline, "over": goal.over,
                "direction": goal.direction, "status": "no_data", "model": "", "note": "", "data_ends": None,
                "months_left": max(_months_between(month, deadline), 0)})
    if goal.over == "whole_period" and spec.kind != "sum":
        raise ParameterError(f"goal on {goal.kpi!r}: over 'whole_period' needs a KPI that adds up (a count "
                             f"or money); {goal.kpi!r} is a {spec.kind}")
    if goal.target is not None:  # a stated target is shown even when there is no data to pace it with
        stated = float(goal.baseline) if goal.baseline is not None else math.nan
        row.update({"target": float(goal.target), "direction": _direction(goal, float(goal.target), stated)})
    span = table_days(data, spec.table, tz)
    if span is None:
        row["note"] = data.missing.get(spec.table, f"no {spec.table} data")
        return _Paced(row, None, None)
    first = span[0].strftime("%Y-%m")
    # a report month whose data stops early (an export cut short) is no full month: it is left out of
    # the forecast, and a deadline in it cannot be judged yet
    cut = data_ends_early(data, spec.table, month, tz)
    if cut is not None:
        row["data_ends"] = cut.date()
    th = params.listening.sentiment_thresholds
    monthly = monthly_kpis(data, [goal.kpi], first=min(first, month), last=month, tz=tz, brand=params.brand,
                           sentiment_thresholds=(th.negative, th.positive))
    monthly = monthly[monthly["kpi"] == goal.kpi].reset_index(drop=True)
    hist = pd.Series(monthly["value"].to_numpy(dtype="float64"),
                     index=pd.DatetimeIndex(pd.to_datetime(monthly["month"].astype(str), format="%Y-%m")),
                     name=goal.kpi)
    hist = hist.loc[hist.first_valid_index():hist.last_valid_index()] if hist.notna().any() else hist.iloc[:0]
    baseline = float(goal.baseline) if goal.baseline is not None else (
        _baseline(monthly, goal.kpi, goal.start) if goal.start is not None else math.nan)
    target = float(goal.target) if goal.target is not None else baseline * (1 + float(goal.change or 0))
    direction = _direction(goal, target, baseline)
    cur_val = monthly.loc[monthly["month"] == month, "value"]
    current = float(cur_val.iloc[0]) if len(cur_val) else math.nan
    if goal.over == "whole_period" and goal.start is not None:  # "now" is the total so far, as the target is
        so_far = monthly.loc[(monthly["month"] >= _month_of(goal.start)) & (monthly["month"] <= month), "value"]
        current = float(so_far.sum(min_count=1))
    row.update({"baseline": baseline, "target": target, "direction": direction, "current": current})
    if math.isfinite(baseline) and math.isfinite(target) and target != baseline and math.isfinite(current):
        row["progress"] = (current - baseline) / (target - baseline)
    if not math.isfinite(target):
        row["note"] = (_baseline_gap(monthly, goal.start, month) if goal.change is not None else "no target")
        return _Paced(row, hist, None)

    def meets(q: np.ndarray | float) -> np.ndarray | bool:
        return np.asarray(q) >= target if direction == "at_least" else np.asarray(q) <= target

    start_month = _month_of(goal.start) if goal.start is not None else None
    if _months_between(month, deadline) <= 0:
        if cut is not None and deadline == month:
            row["note"] = f"{_cut_words(spec.table, row['data_ends'])}, so {month_words(month)} is not complete"
            return _Paced(row, hist, None)
        if goal.over == "whole_period":
            sel = (monthly["month"] >= start_month) & (monthly["month"] <= deadline)
            actual = float(monthly.loc[sel, "value"].sum(min_count=1))
        else:
            v = monthly.loc[monthly["month"] == deadline, "value"]
            actual = float(v.iloc[0]) if len(v) else math.nan
        if not math.isfinite(actual):
            row["note"] = f"no data for the deadline month {deadline}"
            return _Paced(row, hist, None)
        ok = bool(meets(actual))
        row.update({"forecast": actual, "lower": actual, "upper": actual, "probability": float(ok),
                    "status": "achieved" if ok else "missed", "model": "actual value"})
        return _Paced(row, hist, None)
    fit = hist  # the months the forecast rests on
    if cut is not None:
        fit = hist.loc[hist.index < pd.Timestamp(f"{month}-01")]
        fit = fit.loc[:fit.last_valid_index()] if fit.notna().any() else fit.iloc[:0]
    if fit.notna().sum() < 4 or hist.index[-1] < pd.Timestamp(f"{month}-01"):
        row["note"] = "fewer than 4 months of data up to the report month to forecast from"
        if cut is not None:
            row["note"] += f" ({month_words(month)} is left out: {_cut_words(spec.table, row['data_ends'])})"
        return _Paced(row, hist, None)
    fit_last = f"{fit.index[-1]:%Y-%m}"
    h = _months_between(fit_last, deadline)
    if h > MAX_FORECAST_MONTHS:
        row["note"] = (f"the deadline is {_years_months(h)} after the last month of data, {month_words(fit_last)}; "
                       f"goals are forecast up to {MAX_FORECAST_MONTHS // 12} years ahead")
        return _Paced(row, None, None)  # no chart: its axis would span the years between
    try:
        fp = forecast_paths(fit, horizon=h, repetitions=repetitions, seed=seed)
    except KpiToolkitError as e:
        row["note"] = str(e)
        return _Paced(row, fit, None)
    if goal.over == "whole_period":  # the months after the fit's last are simulated, a cut one too
        sel = (monthly["month"] >= start_month) & (monthly["month"] <= fit_last)
        so_far = float(monthly.loc[sel, "value"].sum())
        k = _months_between(max(start_month, shift_month(fit_last, 1)), deadline) + 1  # future goal months
        q = so_far + fp.paths[:, -k:].sum(axis=1)
        point = so_far + float(fp.point[-k:].sum())
    else:
        q = fp.paths[:, -1]
        point = float(fp.point[-1])
    p = float(np.mean(meets(q)))
    lo, hi = np.quantile(q, [0.05, 0.95])
    row.update({"forecast": point, "lower": float(lo), "upper": float(hi), "probability": p,
                "status": _status(p, on_track=on_track, off_track=off_track), "model": fp.model})
    if goal.over == "deadline_month" and cut is None:
        row.update(_year_line(hist, month, deadline))
    return _Paced(row, fit, fp.summary(level=0.9))


YEAR_LINE_MONTHS = 12
"""The trailing months whose straight line a goal's forecast is set against (the competitor section's
share-of-voice trend uses the same 12 months and the same test)."""


def _year_line(hist: pd.Series, month: str, deadline: str) -> dict[str, Any]:
    """The OLS line of the trailing 12 months of a goal's KPI (ending in the report month): its slope a
    month, the two-sided p-value of the slope and the line carried on to the deadline month. Empty when
    fewer than 6 of the 12 months have a value. Months are placed by the calendar, a gap stays a gap."""
    from .benchmarks import MIN_MONTHS_FOR_TREND, ols_slope

    first = shift_month(month, -(YEAR_LINE_MONTHS - 1))
    year = hist.loc[hist.index >= pd.Timestamp(f"{first}-01")].dropna()
    if len(year) < MIN_MONTHS_FOR_TREND:
        return {}
    x = np.array([_months_between(first, f"{t:%Y-%m}") for t in year.index], dtype="float64")
    y = year.to_numpy(dtype="float64")
    slope, p = ols_slope(x, y)
    at_deadline = float(y.mean() + slope * (_months_between(first, deadline) - x.mean()))
    return {"year_slope": slope, "year_p": p, "year_months": len(year), "year_line": at_deadline}


def _years_months(n: int) -> str:
    """'3 years and 2 months', '25 months' under three years."""
    if n < 36:
        return f"{n} months"
    y, m = divmod(n, 12)
    return f"{y} years" + (f" and {m} month{'s' if m > 1 else ''}" if m else "")


def _cut_words(table: str, day: date) -> str:
    """'the mentions data stops on 1 October 2026'."""
    return f"the {table} data stops on {day.day} {day:%B %Y}"


def _cut_short(r: dict[str, Any]) -> date | None:
    """The day the goal's data stops on when its report month is cut short (see :func:`_pace_one`)."""
    d = r.get("data_ends")
    return d if isinstance(d, date) else None


def _pct(p: float) -> str:
    """A simulated probability as a client reads it: never a certain 0 % or 100 %."""
    if p > 0.99:
        return "over 99 %"
    if p < 0.01:
        return "under 1 %"
    return f"{p * 100:.0f} %"


def chance_words(p: float) -> str:
    """'a 34 % chance', 'an 11 % chance', 'a better than 99 % chance', 'less than a 1 % chance'."""
    if p > 0.99:
        return "a better than 99 % chance"
    if p < 0.01:
        return "less than a 1 % chance"
    pct = f"{p * 100:.0f}"
    # the article follows the number as said: an 8, an 11, an 18, an 80-something
    article = "an" if pct.startswith("8") or pct in ("11", "18") else "a"
    return f"{article} {pct} % chance"


def pace_goals(
    ctx: ReportContext | None = None,
    *,
    data: ClientData | None = None,
    params: ClientParams | None = None,
    month: str | None = None,
    repetitions: int = 2000,
    seed: int = 42,
    on_track: float = ON_TRACK_P,
    off_track: float = OFF_TRACK_P,
) -> pd.DataFrame:
    """Pace every goal of the client: baseline, target, now, forecast at the deadline, chance, status.

    Parameters
    ----------
    ctx
        A report context (parameters, data, month); or give ``data``, ``params`` and ``month``.
    repetitions, seed
        Simulated paths per goal and their seed (deterministic).
    on_track, off_track
        Probability cut-offs of the status (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per goal, columns :data:`GOAL_COLUMNS`: ``baseline`` (given, or the KPI over the 3
        complete months before ``start``), ``target``, ``direction`` ("at_least" / "at_most"),
        ``current`` (the KPI in the report month), ``progress`` (share of the way from baseline to
        target), ``forecast`` / ``lower`` / ``upper`` (the KPI in the deadline month, or the total
        over the goal period, with a 90 % interval), ``probability`` of meeting the target,
        ``status`` (on_track, at_risk, off_track, achieved, missed, no_data), ``note`` (why a
        goal cannot be paced) and ``data_ends`` (the day the KPI's table stops on when it stops
        visibly early in the report month, see
        :func:`~kpi_toolkit.trends.comparisons.data_ends_early`; that month is then left out of the
        forecast, and a deadline in it is not judged; None otherwise).

    Raises
    ------
    ParameterError
        Neither a context nor data, params and month; a bad cut-off; a 'whole_period' goal on a
        rate.

    References
    ----------
    Hyndman & Athanasopoulos (2021) §8.7; Doran (1981).
    """
    if ctx is not None:
        data, params, month = ctx.data, ctx.params, ctx.month
    if data is None or params is None or not month:
        raise ParameterError("pace_goals needs a report context, or data, params and month")
    if not 0 < off_track < on_track < 1:
        raise ParameterError(f"need 0 < off_track < on_track < 1, got {off_track} and {on_track}")
    month = parse_month(month)
    paced = _paced(data, params, month, repetitions=repetitions, seed=seed, on_track=on_track,
                   off_track=off_track, cache=ctx.cache if ctx is not None else None)
    return pd.DataFrame([p.row for p in paced], columns=GOAL_COLUMNS)


def _paced(data: ClientData, params: ClientParams, month: str, *, repetitions: int, seed: int,
           on_track: float, off_track: float, cache: dict[str, Any] | None) -> list[_Paced]:
    """Every goal paced once per report: the snapshot's status column and the goals block share it
    (each pace fits a forecast model and simulates 2,000 paths)."""
    key = f"goals.paced:{month}:{repetitions}:{seed}:{on_track}:{off_track}"
    if cache is not None and key in cache:
        return cache[key]
    paced = [_pace_one(data, params, g, month, repetitions=repetitions, seed=seed + i, on_track=on_track,
                       off_track=off_track) for i, g in enumerate(params.goals)]
    if cache is not None:
        cache[key] = paced
    return paced


def _goal_sentence(r: dict[str, Any], currency: str) -> str:
    def fmt(v: float) -> str:
        return format_value(v, r["unit"], currency=currency)

    owner = f" ({r['owner']})" if r.get("owner") else ""
    aim = "at least" if r["direction"] == "at_least" else "at most"
    what = f"{r['label']}: {aim} {fmt(r['target'])}" if math.isfinite(r["target"]) else f"{r['label']}"
    what += f" in {pd.Timestamp(r['deadline_month'] + '-01'):%B %Y}" if r["over"] == "deadline_month" else \
        f" in total from {r['start']:%d %b %Y} to {r['by']:%d %b %Y}"
    cut = _cut_short(r)
    if r["status"] == "no_data":
        if cut is not None and f"{cut:%Y-%m}" == r["deadline_month"] and r["months_left"] == 0:
            return f"{what}{owner}: the deadline has come, but {r['note']}; whether it was met is not known yet."
        if r["note"].startswith("no data for the deadline month"):  # set only once the deadline is here
            span = (f"{pd.Timestamp(r['deadline_month'] + '-01'):%B %Y}" if r["over"] == "deadline_month"
                    else "the goal's period")
            return f"{what}{owner}: the deadline has come, but the data has no value for {span}, so whether " \
                   "it was met is unknown."
        return f"{what}{owner}: cannot be paced yet ({r['note']})."
    if r["status"] in ("achieved", "missed"):
        return f"{what}{owner}: {STATUS_WORDS[r['status']]}, with {fmt(r['forecast'])}."
    now = f"now {fmt(r['current'])}" if math.isfinite(r["current"]) else "no value this month"
    if cut is not None and math.isfinite(r["current"]):
        now += f" (up to {cut.day} {cut:%b} only)"
    forecast = "the forecast is"
    if r["over"] == "deadline_month" and math.isfinite(r["current"]) and math.isfinite(r["target"]) and cut is None:
        meets = r["current"] >= r["target"] if r["direction"] == "at_least" else r["current"] <= r["target"]
        # this month already at the target while the forecast says it will not hold (or the reverse):
        # the status is about the deadline month, so the sentence says why it differs from today
        if meets and r["status"] in ("at_risk", "off_track"):
            now += ", which already meets the target"
            forecast = f"but the forecast for {pd.Timestamp(r['deadline_month'] + '-01'):%B %Y} is"
        elif not meets and r["status"] == "on_track":
            now += ", short of the target"
            forecast = f"but the forecast for {pd.Timestamp(r['deadline_month'] + '-01'):%B %Y} is"
    text = (f"{what}{owner}: {now}; {forecast} {fmt(r['forecast'])} (likely between {fmt(r['lower'])} "
            f"and {fmt(r['upper'])}), {chance_words(r['probability'])} of reaching it: "
            f"{STATUS_WORDS[r['status']]}.")
    text += _against_the_year(r, currency)
    if cut is not None:  # the report month was left out of the forecast
        month = f"{cut:%B %Y}"
        text += (f" {month} is left out of the forecast: {_cut_words(REGISTRY[r['kpi']].table, cut)}, so the month is "
                 "not complete.")
    return text


def _against_the_year(r: dict[str, Any], currency: str, *, alpha: float = 0.05) -> str:
    """When the forecast heads one way from now and the straight line of the last 12 months, one
    unlikely to be chance, the other way, the words say so beside the forecast, in two sentences: the
    year's movement and how sure it is, that the forecast weighs the latest months most, and where the
    year's line would end.

    demo-trailhead 2026-10: Part 1 forecast share of voice rising from 35.9 % to 39.2 % by May 2027,
    while Part 2 said it shrank by about 0.3 points a month over the year (p = 0.048), unexplained.
    Both are right about different things: the forecast (exponential smoothing of every month) weighs
    the latest months most and follows the trend of the whole history; the line weighs the past 12
    months alike. "" when they agree, the slope could be chance, or there is no line.
    """
    from .benchmarks import slope_pts
    from .trends.significance import certainty_words

    slope, p = r.get("year_slope", math.nan), r.get("year_p", math.nan)
    if not (isinstance(slope, float) and math.isfinite(slope) and math.isfinite(p) and p < alpha and slope != 0):
        return ""
    if not (math.isfinite(r["forecast"]) and math.isfinite(r["current"])):
        return ""

    def fmt(v: float) -> str:
        return format_value(v, r["unit"], currency=currency)

    ahead = r["forecast"] - r["current"]
    if fmt(r["forecast"]) == fmt(r["current"]) or (ahead > 0) == (slope > 0):
        return ""
    unit = r["unit"]
    rate = (f"{slope_pts(slope, signed=False)} points" if unit == "fraction" else
            f"{abs(slope):.1f} points" if unit == "score" else fmt(abs(slope)))
    what, n = r["label"].lower(), int(r["year_months"])
    moved, move = ("rose", "rise") if slope > 0 else ("fell", "fall")
    deadline = f"{pd.Timestamp(r['deadline_month'] + '-01'):%B %Y}"
    # short, for a client: the two numbers, how sure the year's is, and why the forecast may differ
    text = (f" The past year points the other way: over the last {n} months {what} {moved} by about {rate} a "
            f"month, a {move} {certainty_words(p, alpha=alpha)}; the forecast gives the latest months the most "
            "weight.")
    line = r.get("year_line", math.nan)
    # the line's end is said only when it lies beyond today's value the way the line moves: a line under
    # a month that came out high could 'rise' to below today's value, which reads as nonsense
    if (isinstance(line, float) and math.isfinite(line) and line >= 0 and (unit != "fraction" or line <= 1)
            and (line > r["current"]) == (slope > 0) and fmt(line) != fmt(r["current"])):
        at_least = r["direction"] == "at_least"
        meets = line >= r["target"] if at_least else line <= r["target"]
        misses = "short of" if at_least else "over"  # a ceiling (response time at most 24 h) is missed above it
        text += (f" If the year's {move} went on, {what} would be about {fmt(line)} in {deadline}, "
                 f"{'which meets' if meets else misses} the target of {fmt(r['target'])}.")
    return text


def _forecast_months(p: _Paced) -> int:
    """The months of data a goal's forecast rests on; a large number for a goal with no forecast (a
    result, or not paced), which has no short history to warn of."""
    if p.fc is None or p.history is None:
        return 10**6
    return int(p.history.notna().sum())


def goals_view(ctx: ReportContext) -> ReportView:
    """The goals block of the report: a pacing chart per goal, sentences, table and recommendations.

    Returns
    -------
    ReportView
        Skipped when the client has no goals. ``extra["goals"]`` holds :func:`pace_goals`' frame.

    References
    ----------
    See :func:`pace_goals`.
    """
    title = "Will we reach the goals?"
    goals = ctx.params.goals
    if not goals:
        return ReportView.skipped("goals", title, "no goals in the client's parameters")
    from .plotting import new_figure
    from .plotting.trends import plot_goal

    paced = _paced(ctx.data, ctx.params, ctx.month, repetitions=2000, seed=42, on_track=ON_TRACK_P,
                   off_track=OFF_TRACK_P, cache=ctx.cache)
    df = pd.DataFrame([p.row for p in paced], columns=GOAL_COLUMNS)
    # a chart only for the goals that can be drawn (a history and a target): a goal that cannot be
    # paced yet is said in its sentence, not shown as an empty panel (all of them: no chart at all)
    # A goal not paced for want of months is drawn from MIN_UNPACED_CHART_MONTHS on: a new client's first
    # month drew one dot on an axis of five years, titled "cannot be paced"
    drawn = [p for p in paced if p.history is not None and len(p.history) and math.isfinite(p.row["target"])
             and (p.row["status"] != "no_data" or int(p.history.notna().sum()) >= MIN_UNPACED_CHART_MONTHS)]
    fig = None
    if drawn:
        fig, axes = new_figure(height_in=2.7 * len(drawn) + 0.4, nrows=len(drawn), squeeze=False)
        for ax, p in zip(np.ravel(axes), drawn, strict=True):
            r = p.row
            plot_goal(p.history.iloc[-12:], p.fc, target=r["target"],
                      deadline=pd.Timestamp(r["deadline_month"] + "-01"), status=r["status"], ax=ax,
                      title=f"{r['label']}: {STATUS_WORDS[r['status']]}", unit=r["unit"], currency=ctx.currency)
    sentences = [_goal_sentence(p.row, ctx.currency) for p in paced]
    short = [(p.row["label"], _forecast_months(p)) for p in paced if p.fc is not None
             and _forecast_months(p) < SHORT_HISTORY_MONTHS]
    if short:  # a 5-month forecast had come out narrower than a 24-month one, with no word
        listed = ", ".join(f"{label} from {n} months" for label, n in short)
        sentences.append(f"Some forecasts rest on a short history ({listed}): with no full year behind them "
                         "they cannot see the yearly pattern, and their ranges are likely narrower than the "
                         "real uncertainty. Read their chances as rough.")
    cur = ctx.currency
    table = pd.DataFrame({
        "Goal": [(f"{r['label']} {'≥' if r['direction'] == 'at_least' else '≤'} "
                  f"{format_value(r['target'], r['unit'], currency=cur)}") if math.isfinite(r["target"])
                 else f"{r['label']} (target not known yet)" for r in df.to_dict("records")],
        "Owner": [r["owner"] if isinstance(r["owner"], str) and r["owner"] else "—" for r in df.to_dict("records")],
        "Deadline": [f"{r['by']:%d %b %Y}" for r in df.to_dict("records")],
        "Now": [(format_value(r["current"], r["unit"], currency=cur)
                 + (f" (up to {c.day} {c:%b} only)" if (c := _cut_short(r)) is not None else ""))
                if math.isfinite(r["current"]) else "no data" for r in df.to_dict("records")],
        # a goal whose deadline has come has a result, not a forecast or a chance
        "Forecast at deadline": [(format_value(r["forecast"], r["unit"], currency=cur) + " (final)")
                                 if r["status"] in ("achieved", "missed") else
                                 format_value(r["forecast"], r["unit"], currency=cur) if math.isfinite(r["forecast"])
                                 else "—" for r in df.to_dict("records")],
        "Chance": [("—" if r["status"] in ("achieved", "missed") or not math.isfinite(r["probability"])
                    else _pct(r["probability"])) for r in df.to_dict("records")],
        "Status": [STATUS_WORDS[r["status"]].capitalize() for r in df.to_dict("records")],
    })
    recs, held = [], []
    for p in paced:
        r = p.row
        owner = r["owner"] or "The account team"
        months = _forecast_months(p)
        if r["status"] in ("off_track", "at_risk") and months < SHORT_HISTORY_MONTHS:
            # a status from a forecast of a few months is rough (no trend term under 10 months, no yearly
            # pattern under 12): a 7-month rising series had read "off track, 20 % chance" from its recent
            # average, and Part 3 had asked to agree actions or reset the target on it
            held.append(f"Goal: {r['label'].lower()} reads {STATUS_WORDS[r['status']]} ({chance_words(r['probability'])} "
                        f"of reaching the target), but that forecast rests on only {months} months of data, too "
                        f"few {'to follow a trend or' if months < 10 else 'to see'} the yearly pattern, so the "
                        "chance is rough. No action on the goal is proposed from it; it is paced again next "
                        "month.")
            continue
        if r["status"] == "off_track":
            recs.append(Recommendation(
                action=f"{owner}: {r['label'].lower()} is off track for its goal; agree the actions that "
                       "would close the gap, or reset the target with the client.",
                evidence=_goal_sentence(r, cur), priority=1, source="goals", topic=kpi_topic(str(r["kpi"]))))
        elif r["status"] == "at_risk":
            recs.append(Recommendation(
                action=f"{owner}: {r['label'].lower()} is at risk of missing its goal; review it again "
                       "next month and prepare a plan B.", evidence=_goal_sentence(r, cur), priority=2,
                source="goals", topic=kpi_topic(str(r["kpi"]))))
    caveats = ["Forecasts assume the recent level, trend and yearly pattern continue; a campaign or a "
               "crisis changes them. 'Chance' is the share of simulated futures that meet the target in the "
               f"deadline month: on track at {ON_TRACK_P:.0%} or more, at risk from {OFF_TRACK_P:.0%} up to "
               f"{ON_TRACK_P:.0%}, off track below {OFF_TRACK_P:.0%}.".replace("%", " %")]
    caveats += [f"{r['label']}: {r['note']}" for r in df.to_dict("records") if r["note"]]
    alt = "; ".join(f"{p.row['label']}: monthly values, forecast to {p.row['deadline_month']} and the target line"
                    for p in drawn)
    view = ReportView(key="goals", title=title, sentences=sentences, figure=fig, alt_text=alt, table=table,
                      caveats=caveats, recommendations=recs, held_back=held)
    view.extra["goals"] = df
    return view
