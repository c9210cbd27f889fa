"""The sentence beside each trend chart: what the chart shows, read from its numbers.

* :func:`rolling_12_sentences` — each KPI's last 12 months against the same months a year earlier.
* :func:`scaled_to_month`, :func:`partial_month_sentences` — what the 12-month chart draws for a month
  the data covers only in part, and the sentence that says so.
* :func:`month_of_year_sentence` — the report month against the same calendar month of earlier years.
* :func:`seasonal_pattern_sentences` — the weekly (and yearly) pattern and the trend of a
  :func:`~kpi_toolkit.trends.decompose` result.
* :func:`level_shift_sentences` — the level shifts of :func:`~kpi_toolkit.trends.change_points`.
* :func:`anomaly_sentence` — the spikes and dips of :func:`~kpi_toolkit.trends.detect_anomalies` in
  the stretch a chart shows.
* :func:`forecast_sentence` — a forecast's total over its horizon with the likely range of that total.
* :func:`slope_sentences` — which trend slopes still include the season.

Every number in a sentence is computed here from the frame the chart draws, so a chart and its
words cannot disagree.

References
----------
Cleveland, R. B., Cleveland, W. S., McRae, J. E. & Terpenning, I. (1990). STL: A seasonal-trend
decomposition procedure based on loess. Journal of Official Statistics 6(1), 3-73 (the additive
parts: observed = trend + seasonal + remainder).
Cleveland, W. S. (1993). Visualizing Data. Hobart Press (cycle plots: a month against the same month
of other years).
Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed., §2.5
(seasonal subseries) and §3.2 (seasonally adjusted data). OTexts.
"""

from __future__ import annotations

import calendar
import math
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import KpiToolkitError
from ..kpis import adds_up_over_days, format_value
from ..periods import month_words
from ..views import and_words
from .anomalies import alert_windows, detect_anomalies
from .comparisons import some_days_of
from .decomposition import DAYS_PER_MONTH, YEARLY_MIN_DAYS
from .forecast import ForecastPaths, _is_monthly
from .significance import change_words, format_p

PATTERN_WEEKS = 13
"""Weeks over which :func:`seasonal_pattern_sentences` averages the weekly pattern: a quarter, as the
13-week seasonal window of :func:`~kpi_toolkit.trends.decompose` for daily data."""

FLAT_PATTERN = 0.02
"""A weekly pattern whose every weekday is within 2 % of the level (of the trend) is called flat."""

_DAYS = list(calendar.day_name)  # Monday first, as pandas' day_of_week


def _day(ts: Any) -> str:
    """``6 Nov``: a day in a sentence, without a leading zero."""
    return pd.Timestamp(ts).strftime("%d %b").lstrip("0")


def _months_phrase(n: int) -> str:
    return "1 month" if n == 1 else f"{n} months"


# ----------------------------------------------------------------------------------------------
# rolling 12 months


def _days_if_partial(row: Any, kpi: str) -> tuple[int, int] | None:
    """``(days, days a year earlier)`` when ``row`` (of :func:`~kpi_toolkit.trends.rolling_12_months`)
    is a count or money total and its month or the month a year earlier is covered by the data on only
    some of its days; None otherwise (and for frames without the day columns)."""
    if not adds_up_over_days(kpi) or "days" not in row.index or "last_year_days" not in row.index:
        return None
    if not (some_days_of(row["days"], row["month_days"]) or some_days_of(row["last_year_days"], row["last_year_month_days"])):
        return None
    if not (row["days"] > 0 and row["last_year_days"] > 0):
        return None
    return int(row["days"]), int(row["last_year_days"])


def rolling_12_sentences(r12: pd.DataFrame) -> list[str]:
    """One sentence per KPI of :func:`~kpi_toolkit.trends.rolling_12_months`: in how many of its
    months the KPI was above the same month a year earlier, and the last month's change.

    E.g. "Reach: above the same month a year earlier in 9 of the last 12 months; November 2026 up
    35 % on November 2025." Rates' changes are in percentage points (:func:`change_words`). Months without a
    value a year earlier are left out of the count, and the sentence says so.

    References
    ----------
    Year-over-year comparison of the same calendar month (Hyndman & Athanasopoulos 2021, §2.5).
    """
    out = []
    for _, g in r12.groupby("kpi", sort=False):
        label, unit = str(g["label"].iloc[0]), str(g["unit"].iloc[0])
        both = g[g["value"].notna() & g["last_year"].notna()]
        if both.empty:
            out.append(f"{label}: no values a year earlier to compare with.")
            continue
        kpi = str(g["kpi"].iloc[0])
        if any(_days_if_partial(r, kpi) for _, r in both.iterrows()):  # totals over unequal stretches: per day
            above = int((both["value"] / both["days"] > both["last_year"] / both["last_year_days"]).sum())
        else:
            above = int((both["value"] > both["last_year"]).sum())
        n = len(both)
        if n == len(g):
            of = f"{'all' if above == n else above} of the last {n} months"
        else:
            of = f"{'all' if above == n else f'{above} of the'} {n} months with a value a year earlier"
        last = g.iloc[-1]
        tail = ""
        if pd.notna(last["value"]) and pd.notna(last["last_year"]):
            month = str(last["month"])
            year_before = f"{int(month[:4]) - 1:04d}{month[4:]}"
            days = _days_if_partial(last, kpi)
            if days is not None:  # a total over part of a month: per day, as the snapshot compares it
                n, n0 = days
                tail = (f"; {month_words(month)} ({n} days with data) "
                        f"{change_words(last['value'] / n, last['last_year'] / n0)} per day on "
                        f"{month_words(year_before)}")
            else:
                tail = (f"; {month_words(month)} {change_words(last['value'], last['last_year'], unit)} on "
                        f"{month_words(year_before)}")
        out.append(f"{label}: above the same month a year earlier in {of}{tail}.")
    return out


def _partly(df: pd.DataFrame, days: str, month_days: str) -> np.ndarray:
    if days not in df.columns or month_days not in df.columns:
        return np.zeros(len(df), dtype=bool)
    n = pd.to_numeric(df[days], errors="coerce").to_numpy(dtype="float64")
    total = pd.to_numeric(df[month_days], errors="coerce").to_numpy(dtype="float64")
    return (n > 0) & (n < total)


def scaled_to_month(r12: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`~kpi_toolkit.trends.rolling_12_months` as its chart draws them.

    A count or money total (reach, conversions, spend) of a month that the data covers on only some
    of its days (data ending on 15 November) is the total of those days: drawn as it is, 3.3 M of
    reach in 15 days sat under 5.0 M a month as a dip that never happened. It is drawn scaled to the
    whole month at the same daily rate, ``value × month_days / days``. Rates, ratios, medians and
    stocks (:data:`kpi_toolkit.kpis.STOCKS`) are drawn as they are: a rate over 15 days is still a rate.

    Returns
    -------
    pandas.DataFrame
        ``r12`` with ``partial`` / ``last_year_partial`` (the month, or the same month a year earlier,
        covered on some of its days, not all), ``scaled`` / ``last_year_scaled`` (and drawn scaled),
        ``value_drawn`` / ``last_year_drawn``. A frame without the day columns is drawn as it is.

    References
    ----------
    Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed., §3.1
    (calendar adjustment: totals over periods of unequal length compared per day). OTexts.
    """
    out = r12.copy()
    scales = out["kpi"].astype(str).map(adds_up_over_days).to_numpy(dtype=bool) if len(out) else np.zeros(0, dtype=bool)
    for prefix, days, month_days in (("", "days", "month_days"),
                                     ("last_year_", "last_year_days", "last_year_month_days")):
        partial = _partly(out, days, month_days)
        scaled = partial & scales
        column = "value" if not prefix else "last_year"
        factor = np.ones(len(out))
        if scaled.any():
            factor[scaled] = (out.loc[scaled, month_days].to_numpy(dtype="float64")
                              / out.loc[scaled, days].to_numpy(dtype="float64"))
        out[f"{prefix}partial"] = partial
        out[f"{prefix}scaled"] = scaled
        out[f"{column}_drawn"] = out[column].to_numpy(dtype="float64") * factor
    return out


def partial_months(r12: pd.DataFrame) -> list[tuple[str, int, int]]:
    """The months of a :func:`~kpi_toolkit.trends.rolling_12_months` chart (its 12 months and the
    year before) that the data covers on only some of their days: ``(YYYY-MM, days, month_days)``,
    oldest first."""
    drawn = scaled_to_month(r12)
    seen: set[tuple[str, int, int]] = set()
    for _, r in drawn[drawn["partial"] & drawn["value"].notna()].iterrows():
        seen.add((str(r["month"]), int(r["days"]), int(r["month_days"])))
    for _, r in drawn[drawn["last_year_partial"] & drawn["last_year"].notna()].iterrows():
        m = str(r["month"])
        seen.add((f"{int(m[:4]) - 1:04d}{m[4:]}", int(r["last_year_days"]), int(r["last_year_month_days"])))
    return sorted(seen)


def partial_month_sentences(r12: pd.DataFrame, *, currency: str = "EUR") -> list[str]:
    """One sentence per month of a :func:`~kpi_toolkit.trends.rolling_12_months` chart that the data
    covers only in part: how many of its days, and what the chart draws for it (:func:`scaled_to_month`).

    E.g. "November 2026 has data for 15 of its 30 days. The chart draws its totals scaled to the whole
    month at the same daily rate (hollow markers): reach 3.3 M in the 15 days, drawn as 6.6 M;
    conversions (ads) 175, drawn as 350. Rates are drawn as they are."

    References
    ----------
    Hyndman & Athanasopoulos (2021) §3.1 (calendar adjustment).
    """
    from ..kpis import REGISTRY

    drawn = scaled_to_month(r12)
    out = []
    for month, days, month_days in partial_months(r12):
        rows: dict[str, tuple[str, str, float, float, bool]] = {}  # KPI -> (label, unit, value, as drawn, scaled)
        for _, r in drawn.iterrows():
            m, head = str(r["month"]), (str(r["label"]), str(r["unit"]))
            if m == month and r["partial"] and pd.notna(r["value"]):
                rows[str(r["kpi"])] = (*head, float(r["value"]), float(r["value_drawn"]), bool(r["scaled"]))
            elif f"{int(m[:4]) - 1:04d}{m[4:]}" == month and r["last_year_partial"] and pd.notna(r["last_year"]):
                rows[str(r["kpi"])] = (*head, float(r["last_year"]), float(r["last_year_drawn"]),
                                       bool(r["last_year_scaled"]))
        text = f"{month_words(month)} has data for {days} of its {month_days} days."
        scaled = [row for row in rows.values() if row[4]]
        others = [k for k, row in rows.items() if not row[4]]
        rates = all(getattr(REGISTRY.get(k), "kind", "") == "ratio" for k in others)
        if scaled:
            parts = [f"{label[:1].lower()}{label[1:]} {format_value(value, unit, currency=currency)}"
                     + (f" in the {days} days" if i == 0 else "")
                     + f", drawn as {format_value(shown, unit, currency=currency)}"
                     for i, (label, unit, value, shown, _) in enumerate(scaled)]
            text += (" The chart draws its totals scaled to the whole month at the same daily rate (hollow "
                     "markers): " + "; ".join(parts) + ".")
            if others:
                text += " Rates are drawn as they are." if rates else " The other measures are drawn as they are."
        else:
            text += (" The chart marks it with hollow markers; "
                     + ("rates are" if rates else "its measures are") + " drawn as they are.")
        out.append(text)
    return out


# ----------------------------------------------------------------------------------------------
# month of year


def month_of_year_sentence(moy: pd.DataFrame, *, label: str, unit: str, month: str,
                           currency: str = "EUR") -> str:
    """The report month against the average of the same calendar month in the earlier years of a
    :func:`~kpi_toolkit.trends.month_of_year` frame, and how many months of its year so far were
    above their earlier years' average.

    E.g. "Brand mentions in November 2026: 2,136, up 35 % on the average November of 2024 and 2025;
    9 of the 11 months of 2026 so far were above the same month's average in earlier years."

    References
    ----------
    Cycle plots (Cleveland 1993); seasonal subseries (Hyndman & Athanasopoulos 2021, §2.5).
    """
    year, mo = int(month[:4]), int(month[5:7])
    name = calendar.month_name[mo]
    cur = moy[(moy["year"] == year) & (moy["month_of_year"] == mo)]["value"]
    value = float(cur.iloc[0]) if len(cur) else math.nan
    if not math.isfinite(value):
        return f"{label}: no value for {month_words(month)}."
    earlier = moy[(moy["year"] < year) & (moy["month_of_year"] == mo) & moy["value"].notna()]
    head = f"{label} in {month_words(month)}: {format_value(value, unit, currency=currency)}"
    if earlier.empty:
        return f"{head}; no earlier {name} to compare with."
    years = [str(y) for y in sorted(earlier["year"])]
    which = and_words(years)
    avg = float(earlier["value"].mean())
    change = change_words(value, avg, unit)
    per_day = _month_of_year_per_day(moy, cur.index[0], earlier)
    if per_day is not None:  # a total over part of a month (or of an earlier one): compared per day
        n, now, before = per_day
        head += f" over its {n} days with data"
        change = change_words(now, before) + " per day"
    text = f"{head}, {change} on {'the' if len(years) == 1 else 'the average'} {name} of {which}"
    # the year so far: each month against its own earlier years
    col = "value"
    if per_day is not None:  # months the data covers in part are set against the others per day
        moy = moy.assign(per_day=moy["value"] / moy["days"].where(moy["days"] > 0))
        col = "per_day"
    this = moy[(moy["year"] == year) & (moy["month_of_year"] <= mo) & moy[col].notna()]
    prior = moy[(moy["year"] < year) & moy[col].notna()].groupby("month_of_year")[col].mean()
    this = this[this["month_of_year"].isin(prior.index)]
    if len(this) > 1:
        above = int((this[col].to_numpy() > prior.reindex(this["month_of_year"]).to_numpy()).sum())
        count = "all" if above == len(this) else f"{above} of the"
        text += (f"; {count} {len(this)} months of {year} so far were above the same month's "
                 "average in earlier years")
    return text + "."


def _month_of_year_per_day(moy: pd.DataFrame, row: Any, earlier: pd.DataFrame) -> tuple[int, float, float] | None:
    """``(days, value per day, earlier years' average per day)`` when a total's month (or one of the
    earlier ones) is covered by the data on only some of its days; None otherwise."""
    from ..kpis import REGISTRY

    spec = REGISTRY.get(str(moy.attrs.get("kpi", "")))
    if spec is None or spec.kind != "sum" or "days" not in moy.columns:
        return None
    if not (some_days_of(moy.at[row, "days"], moy.at[row, "month_days"])
            or any(some_days_of(d, t) for d, t in zip(earlier["days"], earlier["month_days"], strict=True))):
        return None
    if int(moy.at[row, "days"]) <= 0 or (earlier["days"] <= 0).any():
        return None
    n = int(moy.at[row, "days"])
    return n, float(moy.at[row, "value"]) / n, float((earlier["value"] / earlier["days"]).mean())


# ----------------------------------------------------------------------------------------------
# decomposition


def _relative(effect: float, level: float, unit: str) -> str:
    """An effect beside its level: "22 % above" or, for a rate, "0.4 percentage points above"."""
    side = "above" if effect > 0 else "below"
    if unit == "fraction":
        words = change_words(level + effect, level, unit)  # "up 0.4 percentage points"
        return "level with" if words == "unchanged" else words.split(" ", 1)[1] + f" {side}"
    return f"{abs(effect) / abs(level) * 100:.0f} % {side}"


WEEKLY_ALPHA = 0.05
"""A weekly pattern whose weekdays do not differ at this level is said to be indistinguishable from noise."""


def weekday_p_value(dec: pd.DataFrame, index: pd.DatetimeIndex) -> float:
    """p-value of the Kruskal-Wallis test that the weekdays of ``dec`` (rows of a
    :func:`~kpi_toolkit.trends.decompose` result) do not differ, on the values without their trend
    (``observed - trend``). Ranks, so a spike day weighs as one high day; NaN with fewer than two
    values on some weekday, or when every value is the same.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis. JASA
    47(260), 583-621 (:func:`scipy.stats.kruskal`).
    """
    from scipy import stats

    if "observed" not in dec.columns or "trend" not in dec.columns:
        return math.nan
    detrended = (dec["observed"] - dec["trend"]).to_numpy(dtype="float64")
    weekday = pd.DatetimeIndex(index).day_of_week.to_numpy()
    ok = np.isfinite(detrended)
    groups = [detrended[ok & (weekday == d)] for d in range(7)]
    if any(len(g) < 2 for g in groups) or np.ptp(detrended[ok]) == 0:
        return math.nan
    return float(stats.kruskal(*groups).pvalue)


def seasonal_pattern_sentences(dec: pd.DataFrame, *, label: str, unit: str, currency: str = "EUR",
                               weeks: int = PATTERN_WEEKS) -> list[str]:
    """The weekly pattern (and yearly, when fitted) and the trend of a
    :func:`~kpi_toolkit.trends.decompose` result of a daily series, in words.

    The weekday effect is the mean of the weekly seasonal part on that weekday over the last
    ``weeks`` weeks, set against the mean trend over the same weeks (the additive STL parts:
    ``observed = trend + seasonal + remainder``). It is stated only when the weekdays of those weeks
    differ by more than chance (:func:`weekday_p_value` below :data:`WEEKLY_ALPHA`): STL always
    returns a weekly pattern, and over 13 weeks of noisy counts it can read "lowest on Wednesdays,
    14 % below" where the true effect is -3 % (demo-lumiere); the yearly effect likewise per calendar month
    over the last year. The trend is its value on the last day against 52 weeks earlier (or the
    first day, for a shorter series). The spikes and dips of the last month that the trend leaves out
    are named (:func:`_spikes_left_out`): the month's total counts them, so without their names the
    level ("down 14 %") and the month-of-year sentence ("up 12 % on October 2025") read as a
    contradiction (demo-lumiere, 2026-10, a product recall).

    E.g. ["Brand mentions: highest on Wednesdays, 22 % above the weekly average, and lowest on
    Sundays, 31 % below (last 13 weeks).", "Without the weekly pattern, the level on 31 Oct 2026 is
    about 74 a day, against 86 a year earlier (down 14 %). This level is the smoothed trend: it leaves
    out the spike of 13–14 Oct, which the total of October 2026 includes."]

    References
    ----------
    Cleveland et al. (1990); Hyndman & Athanasopoulos (2021) §3.2.
    """
    out: list[str] = []
    idx = pd.DatetimeIndex(dec.index)
    fmt = lambda v: format_value(v, unit, currency=currency)  # noqa: E731
    if "seasonal_7" in dec.columns:
        recent = dec.iloc[-7 * weeks:]
        by_day = recent["seasonal_7"].groupby(idx[-len(recent):].day_of_week).mean()
        level = float(recent["trend"].mean())
        if len(by_day) == 7 and math.isfinite(level) and level != 0:
            hi, lo = int(by_day.idxmax()), int(by_day.idxmin())
            span = f"last {min(weeks, len(recent) // 7)} weeks"
            p_week = weekday_p_value(recent, idx[-len(recent):])
            if max(abs(by_day.max()), abs(by_day.min())) < FLAT_PATTERN * abs(level):
                out.append(f"{label}: hardly any weekly pattern, every weekday within "
                           f"{FLAT_PATTERN * 100:.0f} % of the weekly average ({span}).")
            elif math.isfinite(p_week) and p_week >= WEEKLY_ALPHA:
                # a pattern the weeks cannot tell from day-to-day swings: not stated as one
                out.append(f"{label}: no weekly pattern stands out from the day-to-day swings of the {span} "
                           f"({_DAYS[hi]}s highest, {_DAYS[lo]}s lowest, but the differences between weekdays "
                           f"could be chance: {format_p(p_week)}).")
            else:
                out.append(f"{label}: highest on {_DAYS[hi]}s, {_relative(by_day[hi], level, unit)} the weekly "
                           f"average, and lowest on {_DAYS[lo]}s, {_relative(by_day[lo], level, unit)} "
                           f"({span}).")
    if "seasonal_365" in dec.columns:
        recent = dec.iloc[-365:]
        by_month = recent["seasonal_365"].groupby(idx[-len(recent):].month).mean()
        level = float(recent["trend"].mean())
        if len(by_month) >= 2 and math.isfinite(level) and level != 0:
            hi, lo = int(by_month.idxmax()), int(by_month.idxmin())
            out.append(f"Over the year: highest in {calendar.month_name[hi]}, "
                       f"{_relative(by_month[hi], level, unit)} the yearly average, and lowest in "
                       f"{calendar.month_name[lo]}, {_relative(by_month[lo], level, unit)}.")
    trend = dec["trend"].dropna()
    if len(trend) >= 2:
        now = float(trend.iloc[-1])
        year_ago = trend.index[-1] - pd.Timedelta(days=364)
        if trend.index[0] <= year_ago:
            then, when = float(trend.loc[:year_ago].iloc[-1]), "a year earlier"
        else:
            then, when = float(trend.iloc[0]), f"on {_day(trend.index[0])} {trend.index[0]:%Y}"
        last = trend.index[-1]
        text = (f"Without the {_patterns_removed(dec)}, the level on {_day(last)} {last:%Y} is about "
                f"{fmt(now)} a day, against {fmt(then)} {when} ({change_words(now, then, unit)}).")
        left_out = _spikes_left_out(dec)
        if left_out:  # the month's total counts these days; the trend does not (robust STL)
            text += (f" This level is the smoothed trend: it leaves out {left_out}, which the total of "
                     f"{calendar.month_name[last.month]} {last.year} includes.")
        out.append(text)
    return out


def _patterns_removed(dec: pd.DataFrame) -> str:
    """Which seasonal parts a :func:`~kpi_toolkit.trends.decompose` result took out, in words."""
    if "seasonal_7" in dec.columns:
        return "weekly and yearly patterns" if "seasonal_365" in dec.columns else "weekly pattern"
    n = sum(str(c).startswith("seasonal_") for c in dec.columns)
    return "seasonal patterns" if n > 1 else "seasonal pattern"


def _spikes_left_out(dec: pd.DataFrame) -> str:
    """The spikes and dips of the last calendar month of a daily :func:`~kpi_toolkit.trends.decompose`
    result, as the alert charts find them (:func:`~kpi_toolkit.trends.detect_anomalies` with its
    default threshold, both directions): "the spike of 13-14 Oct", "the spikes of 3 Oct and 13-14 Oct
    and the dip of 20 Oct"; "" when there is none (or the series is too short to tell). A window is
    named only when the residual holds at least half of its excess, i.e. the trend did leave it out.

    The trend of a robust STL gives such days almost no weight (Cleveland et al. 1990), while a
    month's total counts them in full: naming them keeps the level and the month's total from reading
    as a contradiction.
    """
    if "observed" not in dec.columns or len(dec) < 2:
        return ""
    observed = dec["observed"]
    try:
        wins = alert_windows(detect_anomalies(observed, freq="D"))
    except (KpiToolkitError, ValueError):
        return ""
    last = pd.Timestamp(observed.index[-1])
    month_start = last.normalize().replace(day=1)
    wins = wins[pd.DatetimeIndex(wins["end"]) >= month_start] if len(wins) else wins
    if len(wins) and "resid" in dec.columns:  # only what the trend left out: most of the excess in the residual
        resid = [float(dec["resid"].loc[s:e].sum()) for s, e in zip(wins["start"], wins["end"], strict=True)]
        wins = wins[[r * x > 0 and abs(r) >= 0.5 * abs(x) for r, x in zip(resid, wins["excess"], strict=True)]]
    parts = []
    for kind in ("spike", "dip"):
        w = wins[wins["kind"] == kind] if len(wins) else wins
        if len(w):
            days = [_day(s) if pd.Timestamp(s).normalize() == pd.Timestamp(e).normalize()
                    else (f"{pd.Timestamp(s).day}–{_day(e)}" if pd.Timestamp(s).month == pd.Timestamp(e).month
                          else f"{_day(s)}–{_day(e)}")
                    for s, e in zip(w["start"], w["end"], strict=True)]
            parts.append(f"the {kind}{'s' if len(days) > 1 else ''} of {and_words(days)}")
    return and_words(parts) if parts else ""


# ----------------------------------------------------------------------------------------------
# level shifts


def level_shift_sentences(shifts: pd.DataFrame, *, unit: str, currency: str = "EUR") -> list[str]:
    """One sentence per level shift of :func:`~kpi_toolkit.trends.change_points`, or one saying
    there was none.

    E.g. "On 7 Aug 2025 the level rose from about 48 to 70 a day (up 47 %)."

    References
    ----------
    Killick, Fearnhead & Eckley (2012), PELT, via :func:`~kpi_toolkit.trends.change_points`.
    """
    if shifts.empty:
        return ["No lasting change of level: the series moved only with its seasonal pattern and short spikes."]
    fmt = lambda v: format_value(v, unit, currency=currency)  # noqa: E731
    return [f"On {_day(r['date'])} {pd.Timestamp(r['date']):%Y} the level {'rose' if r['change'] > 0 else 'fell'} "
            f"from about {fmt(r['before'])} to {fmt(r['after'])} a day ({change_words(r['after'], r['before'], unit)})."
            for _, r in shifts.iterrows()]


# ----------------------------------------------------------------------------------------------
# spikes and dips


def anomaly_sentence(result: pd.DataFrame, *, label: str, unit: str, start: Any = None,
                     currency: str = "EUR") -> str:
    """How many spikes and dips a :func:`~kpi_toolkit.trends.detect_anomalies` result has from
    ``start`` on (each run of consecutive flagged days counts once, as in
    :func:`~kpi_toolkit.trends.alert_windows`) and the largest of them.

    E.g. "Brand mentions: 2 spikes and no dip since 3 Jun; the largest on 14 Nov (331 against about
    51 expected)."

    References
    ----------
    The alert windows of :mod:`kpi_toolkit.trends.anomalies` (robust z-score, Iglewicz & Hoaglin 1993).
    """
    wins = alert_windows(result)
    first = pd.Timestamp(start) if start is not None else pd.Timestamp(result["timestamp"].iloc[0])
    if first.tzinfo is None and getattr(wins["end"].dtype, "tz", None) is not None:
        first = first.tz_localize(wins["end"].dt.tz)
    if "value" in result.columns and result["value"].notna().any():
        # "since" the first day with data: a client whose data starts in October was "checked since June"
        data_first = pd.Timestamp(result.loc[result["value"].notna(), "timestamp"].min())
        if (data_first.tzinfo is None) == (first.tzinfo is None) and data_first > first:
            first, start = data_first, None
    wins = wins[wins["end"] >= first]
    since = f"since {_day(first)} {first:%Y}" if start is None else f"since {_day(first)}"
    n_up, n_down = int((wins["kind"] == "spike").sum()), int((wins["kind"] == "dip").sum())
    if not len(wins):
        return f"{label}: no spike or dip beyond the alert threshold {since}."

    def count(n: int, what: str) -> str:
        return f"no {what}" if n == 0 else f"{n} {what}{'s' if n > 1 else ''}"

    big = wins.iloc[int(np.argmax(wins["score"].abs().to_numpy()))]
    fmt = lambda v: format_value(v, unit, currency=currency)  # noqa: E731
    which = "the largest" if len(wins) > 1 else ("the spike" if big["kind"] == "spike" else "the dip")
    return (f"{label}: {count(n_up, 'spike')} and {count(n_down, 'dip')} {since}; {which} on "
            f"{_day(big['peak_at'])} ({fmt(big['value'])} against about {fmt(big['expected'])} expected).")


# ----------------------------------------------------------------------------------------------
# forecast


def forecast_sentence(fp: ForecastPaths, *, unit: str, total: bool = True, level: float = 0.9,
                      currency: str = "EUR") -> str:
    """The model of a :func:`~kpi_toolkit.trends.forecast_paths` result and what it expects over its
    whole horizon, with a likely range: the range of the total of each simulated future
    (:meth:`~kpi_toolkit.trends.ForecastPaths.horizon_total`), not the sum of the days' own ranges.

    ``total=True`` (counts and money): the sum of the daily values; else (rates) their average.

    E.g. "Model: ETS(A,Ad,A). Expected over the next 30 days: about 2,981 in total, likely between
    2,650 and 3,320 (90 % of 2,000 simulated futures; a sum of daily values)."

    References
    ----------
    Hyndman & Athanasopoulos (2021) §8.7 (intervals from simulated future paths).
    """
    point, lo, hi = fp.horizon_total(level=level, how="sum" if total else "mean")
    fmt = lambda v: format_value(v, unit, currency=currency)  # noqa: E731
    h = len(fp.index)
    step = "month" if _is_monthly(pd.DatetimeIndex(fp.index)) else "day"
    horizon = f"the next {h} {step}{'s' if h != 1 else ''}"
    what = f"{fmt(point)} in total" if total else f"{fmt(point)} a {step} on average"
    values = "daily values" if step == "day" else "monthly values"
    how = f"a sum of {values}" if total else f"an average of the {values}"
    return (f"Model: {fp.model}. Expected over {horizon}: about {what}, likely between {fmt(lo)} and "
            f"{fmt(hi)} ({level * 100:g} % of {fp.paths.shape[0]:,} simulated futures; {how}).")


# ----------------------------------------------------------------------------------------------
# trend slopes


def slope_sentences(slopes: dict[str, pd.DataFrame]) -> list[str]:
    """Which :func:`~kpi_toolkit.trends.trend_slope` windows ("whole history", "last 90 days") still
    include the season: a window shorter than :data:`~kpi_toolkit.trends.decomposition.YEARLY_MIN_DAYS`
    (about 20 months) has no month-of-year effects taken out, so a rise from September to November
    may be the time of year rather than a trend. Empty when every window had them taken out.

    E.g. ["The slope of the last 90 days includes the season: a window of 3 months cannot tell the
    time of year from a trend (month-of-year effects are taken out only from about 20 months of
    data on); set it against the same months of earlier years in the month-of-year chart."]

    References
    ----------
    Hyndman & Athanasopoulos (2021) §7.4 (trend with seasonal dummy variables).
    """
    short = {name: df.iloc[0] for name, df in slopes.items() if not bool(df.iloc[0]["yearly_removed"])}
    if not short:
        return []
    names = list(short)
    which = names[0] if len(names) == 1 else " and the ".join([", the ".join(names[:-1]), names[-1]])
    months = [max(1, round(((pd.Timestamp(r["end"]) - pd.Timestamp(r["start"])).days + 1) / DAYS_PER_MONTH))
              for r in short.values()]
    window = "a window of " + " or ".join(dict.fromkeys(_months_phrase(m) for m in months))
    verb = "includes" if len(names) == 1 else "include"
    slope = "slope" if len(names) == 1 else "slopes"
    return [f"The {slope} of the {which} {verb} the season: {window} cannot tell the time of year from a "
            f"trend (month-of-year effects are taken out only from about "
            f"{round(YEARLY_MIN_DAYS / DAYS_PER_MONTH)} months of data on); set "
            f"{'it' if len(names) == 1 else 'them'} against the same months of earlier years in the "
            "month-of-year chart."]
