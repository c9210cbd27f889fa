"""Period over period: a month (or week) against the previous one and the same one last year,
the rolling 12-month view and the month-of-year comparison, for any KPI of the registry.

KPI values come from :func:`kpi_toolkit.kpis.compute_kpis` (ratio of sums, the registry's
definitions); the tests of :mod:`kpi_toolkit.trends.significance` use the same KPI's daily
numerators and denominators.

References
----------
See :mod:`kpi_toolkit.trends.significance` for the tests and :mod:`kpi_toolkit.kpis` for each KPI's
published definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data import ClientData
from ..exceptions import NoDataError, ParameterError
from ..kpis import KPI, REGISTRY, adds_up_over_days, compute_kpis
from ..periods import (
    Period,
    month_period,
    parse_month,
    previous_month,
    same_month_last_year,
    shift_month,
    week_period,
)
from ..schema import TABLES
from .significance import (
    TestResult,
    bootstrap_ratio_test,
    certainty_words,
    change_words,
    day_dispersion,
    poisson_rate_test,
    two_proportion_test,
)

COMPARISON_COLUMNS = [
    "kpi", "label", "unit", "comparison", "period", "baseline_period", "current", "baseline",
    "abs_change", "rel_change", "rel_change_per_day", "test", "statistic", "p_value", "dispersion",
    "significant", "verdict", "summary", "current_days", "baseline_days", "current_period_days",
    "baseline_period_days", "current_numerator", "current_denominator", "baseline_numerator",
    "baseline_denominator",
]
"""Columns of :func:`compare_periods` and :func:`compare_weeks`."""

COMPARISON_WORDS = {"previous_month": "previous month", "same_month_last_year": "same month last year",
                    "previous_week": "previous week", "same_week_last_year": "same week last year"}
"""The ``comparison`` values of :func:`compare_periods` and :func:`compare_weeks` in a reader's words."""

_MONEY = {"spend", "revenue", "web_revenue"}
_SIGNED = {"net_sentiment_count", "nps_net", "net_follower_growth"}
MIN_BOOTSTRAP_DAYS = 5


def _kpi(kpi: str) -> KPI:
    if kpi not in REGISTRY:
        import difflib

        close = difflib.get_close_matches(kpi, list(REGISTRY), n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"unknown KPI {kpi!r}{hint}")
    return REGISTRY[kpi]


def _is_count_measure(name: str | None) -> bool:
    return bool(name) and name not in _MONEY and name not in _SIGNED and not (
        name.startswith("post_") and name.endswith("_rate"))


def test_kind(spec: KPI) -> str | None:
    """Which test suits a KPI: "proportion", "poisson", "bootstrap" or None (not tested).

    Rates whose numerator and denominator are counts get the two-proportion test (or a Poisson
    rate test when the numerator can exceed the denominator); counts get the Poisson test of
    counts per day; money, ratios of money and per-post averages get the bootstrap; follower
    stocks and medians are not tested.
    """
    if spec.table == "audience" or spec.kind == "median":
        return None
    if spec.kind == "sum":
        return "poisson" if spec.unit == "count" and _is_count_measure(spec.numerator) else "bootstrap"
    if spec.unit == "fraction" and _is_count_measure(spec.numerator) and _is_count_measure(spec.denominator):
        return "proportion"
    return "bootstrap"


test_kind.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def table_days(data: ClientData, table: str, tz: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last local calendar day (naive midnight) with a row in ``table``."""
    df = data.tables.get(table)
    if df is None or df.empty:
        return None
    col = TABLES[table].time_col
    t = df[col].dropna()
    if t.empty:
        if table == "posts" and "published_month" in df.columns:  # exports with the month only
            months = df["published_month"].dropna().astype(str)
            months = months[months.str.fullmatch(r"\d{4}-\d{2}")]
            if len(months):
                lo = pd.Timestamp(f"{months.min()}-01")
                hi = pd.Timestamp(f"{months.max()}-01") + pd.offsets.MonthEnd(0)
                return lo, hi
        return None
    if isinstance(t.dtype, pd.DatetimeTZDtype):
        lo, hi = t.min().tz_convert(tz), t.max().tz_convert(tz)
        return lo.tz_localize(None).normalize(), hi.tz_localize(None).normalize()
    return pd.Timestamp(t.min()).normalize(), pd.Timestamp(t.max()).normalize()


EVENT_TABLES: frozenset[str] = frozenset({"posts", "mentions", "touchpoints", "conversions", "surveys"})
"""Tables of events (a row per post, mention, touch, conversion, answer): a day without a row is a day
without an event, so the last post of the month says nothing about where the data ends."""


def _table_span(data: ClientData, table: str, tz: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """:func:`table_days`, remembered on ``data`` per table frame (the coverage of a 10 M-row table is
    asked for by every comparison of a report)."""
    df = data.tables.get(table)
    if df is None or df.empty:
        return None
    col = TABLES[table].time_col
    ends = (df[col].iloc[0], df[col].iloc[-1]) if col in df.columns else (None, None)
    key = (table, tz, id(df), len(df), *ends)
    cache = data.__dict__.setdefault("_kpi_table_spans", {})
    if key not in cache:
        cache[key] = table_days(data, table, tz)
    return cache[key]


def data_span(data: ClientData, table: str, tz: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last local day that ``table``'s data covers (naive midnights), None without rows.

    A daily table (ads, audience, web, competitors) covers the days from its first to its last row.
    A table of events (:data:`EVENT_TABLES`) covers at least the days of the client's data as a whole
    (every table's first to last day): a client who did not post in the last three days of November
    has a November of posts with three quiet days, not a month whose data ends on the 27th.
    """
    own = _table_span(data, table, tz)
    if own is None or table not in EVENT_TABLES:
        return own
    spans = [sp for t in data.tables if (sp := _table_span(data, t, tz)) is not None]
    return min(sp[0] for sp in spans), max(sp[1] for sp in spans)


def _covered_days(data: ClientData, table: str, period: Period, tz: str) -> pd.DatetimeIndex:
    span = data_span(data, table, tz)
    days = pd.date_range(period.first_day, period.end_day, freq="D", inclusive="left")
    if span is None:
        return days[:0]
    return days[(days >= span[0]) & (days <= span[1])]


def data_ends_early(data: ClientData, table: str, month: str, tz: str) -> pd.Timestamp | None:
    """The day ``table``'s data stops on, when it stops visibly early inside ``month``; else None.

    Where a table's data ends is :func:`table_days` (the span every comparison counts a month's
    covered days from). A month is cut short when that last day falls inside it and the quiet days
    after it, to the month's end, are more than the table ever went without a row between two days
    with rows: a listening export cut at a UTC midnight leaves a Helsinki client's month with three
    mentions in its first hours and nothing for 30 days, while a client that never posts at weekends
    ends a month on a Friday as usual. Posts placed by a month alone (``published_month``) cover
    their whole month.

    Returns
    -------
    pandas.Timestamp or None
        The last local calendar day with a row (naive midnight), or None when the month is complete
        as far as the data can tell.
    """
    span = table_days(data, table, tz)
    first = pd.Timestamp(f"{parse_month(month)}-01")
    last_day = first + pd.offsets.MonthEnd(0)
    if span is None or not first <= span[1] < last_day:
        return None
    t = data.tables[table][TABLES[table].time_col].dropna()
    if isinstance(t.dtype, pd.DatetimeTZDtype):
        t = t.dt.tz_convert(tz).dt.tz_localize(None)
    days = np.unique(t.dt.normalize().to_numpy(dtype="datetime64[D]"))
    quiet_before = int(np.diff(days).astype("int64").max()) - 1 if len(days) > 1 else 0
    quiet_after = int((last_day - span[1]).days)
    return span[1] if quiet_after > quiet_before else None


def covered_days(data: ClientData, table: str, period: Period, tz: str = "UTC") -> pd.DatetimeIndex:
    """The local calendar days of ``period`` that ``table``'s data covers (:func:`data_span`); empty
    without the table. Fewer than ``period.days`` means a partial period: its
    totals (reach, conversions, spend) cover only these days."""
    if table not in data.tables:
        return pd.DatetimeIndex([])
    return _covered_days(data, table, period, tz)


def some_days_of(n: Any, total: Any) -> bool:
    """Whether ``n`` days with data are some of a period's ``total`` days, not none and not all (data
    that ends or begins inside it); False when either is unknown (NaN)."""
    try:
        return 0 < int(n) < int(total)
    except (TypeError, ValueError):
        return False


def partly_covered(row: Any) -> bool:
    """Whether a :func:`compare_periods` row compares a period that its table's data covers only in
    part (data that ends or begins inside the month): some days of it, not all."""
    return (some_days_of(row["current_days"], row["current_period_days"])
            or some_days_of(row["baseline_days"], row["baseline_period_days"]))


def change_phrase(row: Any) -> str:
    """The change a :func:`compare_periods` row's test is about, in the report's words.

    Usually the change of the KPI itself ("up 18 %", "down 1.2 percentage points"). For a count or
    money total (reach, conversions, spend) over a period that its data covers only in part, the
    totals are not comparable (15 days of November against 31 of October read "down 39 %" while the
    daily rate rose by 26 %); the test compares the daily rates, and so does the phrase: "up 26 % per
    day".

    References
    ----------
    Gu et al. (2008): the Poisson rate test compares counts per unit of exposure (here days).
    """
    if (adds_up_over_days(str(row["kpi"])) and partly_covered(row)
            and math.isfinite(row["rel_change_per_day"])):
        n1, n0 = int(row["current_days"]), int(row["baseline_days"])
        return change_words(row["current"] / n1, row["baseline"] / n0) + " per day"
    return change_words(row["current"], row["baseline"], row["unit"])


def _opts(brand: str | None, thresholds: tuple[float, float]) -> dict[str, Any]:
    return {"brand": brand, "sentiment_thresholds": thresholds}


class PeriodUnits:
    """The KPI values a comparison needs, computed once per period for several KPIs at a time.

    A comparison needs each period's total and its daily numerators and denominators. Comparing
    six KPIs against two baselines one by one ran :func:`~kpi_toolkit.kpis.compute_kpis` 48 times,
    the current month's values twice over; with one ``PeriodUnits`` shared by the comparisons it
    runs twice per period (totals, days) for all the KPIs. ``compute_kpis`` gives each KPI the same
    numbers alone or with others: each table is grouped on its own and a day without rows in a
    KPI's table is NaN either way.
    """

    def __init__(self, data: ClientData, kpis: Sequence[str], *, tz: str = "UTC", brand: str | None = None,
                 sentiment_thresholds: tuple[float, float] = (-0.05, 0.05)) -> None:
        self.data, self.tz = data, tz
        self.opts = _opts(brand, sentiment_thresholds)
        self.kpis = list(dict.fromkeys(k for k in kpis if k in REGISTRY and REGISTRY[k].table in data.tables))
        self._totals: dict[tuple[Any, ...], pd.DataFrame] = {}
        self._days: dict[tuple[Any, ...], dict[str, pd.DataFrame]] = {}

    def matches(self, data: ClientData, tz: str, opts: dict[str, Any]) -> bool:
        return data is self.data and tz == self.tz and opts == self.opts

    def _key(self, kpi: str, period: Period) -> tuple[Any, ...]:
        """One computation per period for the shared KPIs; a KPI outside them is computed alone."""
        return (period.start, period.end, "" if kpi in self.kpis else kpi)

    def _names(self, kpi: str) -> list[str]:
        return self.kpis if kpi in self.kpis else [kpi]

    def total(self, kpi: str, period: Period) -> pd.Series:
        key = self._key(kpi, period)
        if key not in self._totals:
            df = compute_kpis(self.data, self._names(kpi), period=period, tz=self.tz, long=True, **self.opts)
            self._totals[key] = df.set_index("kpi")
        return self._totals[key].loc[kpi]

    def daily(self, kpi: str, period: Period) -> pd.DataFrame:
        key = self._key(kpi, period)
        if key not in self._days:
            df = compute_kpis(self.data, self._names(kpi), period=period, freq="D", tz=self.tz, long=True,
                              **self.opts)
            self._days[key] = {str(k): g.set_index("period") for k, g in df.groupby("kpi", sort=False)}
        return self._days[key].get(kpi, pd.DataFrame(columns=["numerator", "denominator"],
                                                     index=pd.DatetimeIndex([], name="period")))


def _total(units: PeriodUnits, kpi: str, period: Period) -> tuple[float, float, float]:
    row = units.total(kpi, period)
    return float(row["value"]), float(row["numerator"]), float(row["denominator"])


def _daily_units(units: PeriodUnits, spec: KPI, period: Period, days: pd.DatetimeIndex
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per covered day: numerator and denominator (1 per day for sums); missing days are 0."""
    d = units.daily(spec.name, period).reindex(days)
    num = d["numerator"].to_numpy(dtype="float64", na_value=np.nan)
    if spec.kind == "sum":
        return np.nan_to_num(num, nan=0.0), np.ones(len(days))
    den = d["denominator"].to_numpy(dtype="float64", na_value=np.nan)
    return np.nan_to_num(num, nan=0.0), np.nan_to_num(den, nan=0.0)


def _run_test(kind: str, spec: KPI, cur: tuple[float, float, float], base: tuple[float, float, float],
              cur_units: tuple[np.ndarray, np.ndarray], base_units: tuple[np.ndarray, np.ndarray],
              n_boot: int, seed: int) -> TestResult | str:
    """The test result, or the reason it could not run."""
    if kind == "poisson":
        c1, c2 = cur[1], base[1]
        e1, e2 = float(len(cur_units[0])), float(len(base_units[0]))
        if not (math.isfinite(c1) and math.isfinite(c2)) or e1 <= 0 or e2 <= 0:
            return "no data in one of the periods"
        disp = day_dispersion([cur_units, base_units], kind="poisson")
        return poisson_rate_test(c1, e1, c2, e2, dispersion=disp)
    if kind == "proportion":
        x1, n1, x2, n2 = cur[1], cur[2], base[1], base[2]
        if not all(math.isfinite(v) for v in (x1, n1, x2, n2)) or n1 <= 0 or n2 <= 0:
            return "no denominator in one of the periods"
        if x1 < 0 or x2 < 0:
            return "negative numerator"
        if x1 <= n1 and x2 <= n2 and _units_le(cur_units) and _units_le(base_units):
            disp = day_dispersion([cur_units, base_units], kind="binomial")
            return two_proportion_test(x1, n1, x2, n2, dispersion=disp)
        disp = day_dispersion([cur_units, base_units], kind="poisson")
        res = poisson_rate_test(x1, n1, x2, n2, dispersion=disp)
        return TestResult("Poisson rate test (per unit of the denominator)", res.statistic, res.p_value,
                          res.dispersion)
    # bootstrap over blocks of consecutive days with data
    (n1, d1), (n2, d2) = cur_units, base_units
    k1 = d1 > 0 if spec.kind != "sum" else np.ones(len(d1), dtype=bool)
    k2 = d2 > 0 if spec.kind != "sum" else np.ones(len(d2), dtype=bool)
    if k1.sum() < MIN_BOOTSTRAP_DAYS or k2.sum() < MIN_BOOTSTRAP_DAYS:
        return f"fewer than {MIN_BOOTSTRAP_DAYS} days with data in one of the periods"
    return bootstrap_ratio_test(n1[k1], d1[k1], n2[k2], d2[k2], n_boot=n_boot, seed=seed)


def _adds_up(daily: np.ndarray, total: float) -> bool:
    """Whether the daily numerators add up to the period's total (rows without a day do not)."""
    if not math.isfinite(total):
        return True
    return abs(float(np.sum(daily)) - total) <= 1e-6 * max(1.0, abs(total))


def _units_le(units: tuple[np.ndarray, np.ndarray]) -> bool:
    num, den = units
    return bool(np.all(num <= den + 1e-9))


def compare_period_pair(
    data: ClientData,
    kpi: str,
    current: Period,
    baseline: Period,
    *,
    comparison: str,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 42,
    units: PeriodUnits | None = None,
) -> dict[str, Any]:
    """One row of :func:`compare_periods`: ``current`` against ``baseline`` for ``kpi``.

    ``units`` (a :class:`PeriodUnits` for the same data, time zone and brand) shares the KPI values
    with other comparisons; without it they are computed for this KPI alone.
    """
    spec = _kpi(kpi)
    opts = _opts(brand, sentiment_thresholds)
    if units is None or not units.matches(data, tz, opts):
        units = PeriodUnits(data, [kpi], tz=tz, brand=brand, sentiment_thresholds=sentiment_thresholds)
    cur_days = _covered_days(data, spec.table, current, tz) if spec.table in data.tables else pd.DatetimeIndex([])
    base_days = _covered_days(data, spec.table, baseline, tz) if spec.table in data.tables else pd.DatetimeIndex([])
    if spec.table not in data.tables:
        raise NoDataError(f"{kpi}: {data.missing.get(spec.table, f'no {spec.table} table')}")
    cur = _total(units, kpi, current) if len(cur_days) else (math.nan,) * 3
    base = _total(units, kpi, baseline) if len(base_days) else (math.nan,) * 3
    row: dict[str, Any] = {
        "kpi": kpi, "label": spec.label, "unit": spec.unit, "comparison": comparison,
        "period": current.label, "baseline_period": baseline.label, "current": cur[0], "baseline": base[0],
        "abs_change": cur[0] - base[0],
        "rel_change": (cur[0] - base[0]) / abs(base[0]) if base[0] and math.isfinite(base[0]) else math.nan,
        "rel_change_per_day": math.nan, "test": "none", "statistic": math.nan, "p_value": math.nan,
        "dispersion": math.nan, "significant": False, "verdict": "", "summary": "",
        "current_days": len(cur_days), "baseline_days": len(base_days),
        "current_period_days": current.days, "baseline_period_days": baseline.days,
        "current_numerator": cur[1], "current_denominator": cur[2],
        "baseline_numerator": base[1], "baseline_denominator": base[2],
    }
    if spec.kind == "sum" and len(cur_days) and len(base_days) and math.isfinite(base[0]) and base[0]:
        per1, per2 = cur[0] / len(cur_days), base[0] / len(base_days)
        row["rel_change_per_day"] = (per1 - per2) / abs(per2)
    change = change_words(cur[0], base[0], spec.unit)
    if not len(cur_days) or not len(base_days):
        which = "this period" if not len(cur_days) else baseline.label
        row["verdict"] = f"no {spec.table} data for {which}"
        row["summary"] = row["verdict"]
        return row
    kind = test_kind(spec)
    if kind is None:
        reason = "follower counts are stock values" if spec.table == "audience" else "a median"
        row["verdict"] = f"not tested ({reason})"
        row["summary"] = f"{change} (not tested: {reason})"
        return row
    cu = _daily_units(units, spec, current, cur_days)
    bu = _daily_units(units, spec, baseline, base_days)
    if not (_adds_up(cu[0], cur[1]) and _adds_up(bu[0], base[1])):
        row["verdict"] = "not tested (some rows have a month but no day)"
        row["summary"] = f"{change} (not tested: some rows have a month but no day)"
        return row
    res = _run_test(kind, spec, cur, base, cu, bu, n_boot, seed)
    if isinstance(res, str):
        row["verdict"] = f"too little data to test ({res})"
        row["summary"] = f"{change}, {row['verdict']}"
        return row
    row.update({"test": res.test, "statistic": res.statistic, "p_value": res.p_value,
                "dispersion": res.dispersion,
                "significant": bool(math.isfinite(res.p_value) and res.p_value < alpha)})
    row["verdict"] = certainty_words(res.p_value, alpha=alpha)
    extra = ""
    if spec.kind == "sum" and len(cur_days) != len(base_days) and math.isfinite(row["rel_change_per_day"]):
        if partly_covered(row):  # the totals cover different stretches: the daily rate is the change
            row["summary"] = (f"{change_phrase(row)} ({change} in total, over {len(cur_days)} days with data "
                              f"against {len(base_days)}), {row['verdict']}")
            return row
        extra = f" ({change_words(cur[0] / len(cur_days), base[0] / len(base_days))} per day)"
    row["summary"] = f"{change}{extra}, {row['verdict']}"
    return row


def compare_periods(
    data: ClientData,
    kpi: str,
    *,
    month: str,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 42,
    units: PeriodUnits | None = None,
) -> pd.DataFrame:
    """A month against the previous month and the same month last year, with a significance test.

    Parameters
    ----------
    data
        The client's tables.
    kpi
        Any KPI of :data:`kpi_toolkit.kpis.REGISTRY`.
    month
        ``YYYY-MM``.
    tz
        The client's time zone (month boundaries are local midnights).
    brand, sentiment_thresholds
        Passed to :func:`~kpi_toolkit.kpis.compute_kpis` (mention KPIs).
    alpha
        A change with ``p_value < alpha`` is ``significant`` and "unlikely to be chance".
    n_boot, seed
        Bootstrap resamples and seed (bootstrap-tested KPIs only).
    units
        A :class:`PeriodUnits` shared by the comparisons of several KPIs (same numbers, computed
        once per period); None computes this KPI's alone.

    Returns
    -------
    pandas.DataFrame
        Two rows, ``comparison`` = "previous_month" and "same_month_last_year", with the columns
        of :data:`COMPARISON_COLUMNS`: the KPI values (``current``, ``baseline``), ``abs_change``,
        ``rel_change`` (of the KPI values), ``rel_change_per_day`` (counts and money: the change
        of the daily rate, which is what the test compares when months differ in length),
        ``test`` (name), ``statistic``, ``p_value``, ``dispersion`` (how much wider than
        binomial or Poisson noise the test took the totals to vary: over-dispersion of the days
        times the widening from their serial correlation), ``significant``, ``verdict`` (how sure: "unlikely to be chance (p = 0.01)")
        and ``summary`` ("up 18 %, unlikely to be chance (p = 0.01)").

    Raises
    ------
    ParameterError
        Unknown KPI or a bad month.
    NoDataError
        The KPI's table is absent.

    References
    ----------
    :mod:`kpi_toolkit.trends.significance` (the tests) and the KPI's ``source`` in the registry.
    """
    month = parse_month(month)
    cur = month_period(month, tz)
    if units is None or not units.matches(data, tz, _opts(brand, sentiment_thresholds)):
        units = PeriodUnits(data, [kpi], tz=tz, brand=brand, sentiment_thresholds=sentiment_thresholds)
    rows = [compare_period_pair(data, kpi, cur, month_period(m, tz), comparison=c, tz=tz, brand=brand,
                                sentiment_thresholds=sentiment_thresholds, alpha=alpha, n_boot=n_boot,
                                seed=seed, units=units)
            for c, m in (("previous_month", previous_month(month)),
                         ("same_month_last_year", same_month_last_year(month)))]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def compare_weeks(
    data: ClientData,
    kpi: str,
    *,
    week: str,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 42,
) -> pd.DataFrame:
    """An ISO week against the previous week and the same week a year earlier (52 weeks, so the
    weekdays line up). Same columns as :func:`compare_periods`, ``comparison`` =
    "previous_week" and "same_week_last_year".

    Parameters
    ----------
    week
        ``YYYY-Www`` or any day of the week (``YYYY-MM-DD``).
    data, kpi, tz, brand, sentiment_thresholds, alpha, n_boot, seed
        As in :func:`compare_periods`.

    References
    ----------
    ISO 8601 weeks (Monday first), see :mod:`kpi_toolkit.periods`.
    """
    cur = week_period(week, tz)
    prev = week_period(cur.first_day - pd.Timedelta(days=7), tz)
    last_year = week_period(cur.first_day - pd.Timedelta(days=364), tz)
    units = PeriodUnits(data, [kpi], tz=tz, brand=brand, sentiment_thresholds=sentiment_thresholds)
    rows = [compare_period_pair(data, kpi, cur, p, comparison=c, tz=tz, brand=brand,
                                sentiment_thresholds=sentiment_thresholds, alpha=alpha, n_boot=n_boot,
                                seed=seed, units=units)
            for c, p in (("previous_week", prev), ("same_week_last_year", last_year))]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


# ----------------------------------------------------------------------------------------------
# rolling 12 months and month of year


def _span_period(first: str, last: str, tz: str) -> Period:
    return Period(start=month_period(first, tz).start, end=month_period(last, tz).end,
                  label=f"{first}..{last}", tz=tz)


CHUNK_ROWS = 2_000_000
"""Above this many rows in a table, :func:`monthly_kpis` and :func:`daily_series` compute
:data:`CHUNK_MONTHS` months at a time."""
CHUNK_MONTHS = 6


def _compute_in_chunks(data: ClientData, kpis: list[str], first: str, last: str, tz: str, *,
                       freq: str, **kwargs: Any) -> pd.DataFrame:
    """``compute_kpis`` over the months ``first``..``last`` at a daily or monthly grain.

    On big tables (over :data:`CHUNK_ROWS` rows) it runs :data:`CHUNK_MONTHS` months at a time: a day
    or a month never straddles two chunks, so the values are those of one pass, but a table of tens
    of millions of mentions never has all its per-row arrays alive at once."""
    big = max((len(data.tables[REGISTRY[k].table]) for k in kpis if REGISTRY[k].table in data.tables),
              default=0) > CHUNK_ROWS
    step = CHUNK_MONTHS if big else _months_between(first, last) + 1
    chunks = []
    while first <= last:
        upto = min(shift_month(first, step - 1), last)
        chunks.append(compute_kpis(data, kpis, period=_span_period(first, upto, tz), freq=freq, tz=tz,
                                   **kwargs))
        first = shift_month(upto, 1)
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def monthly_kpis(data: ClientData, kpis: Sequence[str], *, first: str, last: str, tz: str = "UTC",
                 brand: str | None = None, sentiment_thresholds: tuple[float, float] = (-0.05, 0.05)
                 ) -> pd.DataFrame:
    """Every month from ``first`` to ``last`` for each KPI (long: ``month``, ``kpi``, ``value``,
    ``numerator``, ``denominator``, ``unit``, ``days``, ``month_days``); months outside a table's data
    are NaN. ``days`` counts the days of the month that the KPI's table covers (:func:`data_span`; 0
    outside them), ``month_days`` the month's days: a total of a month with ``0 < days <
    month_days`` covers only part of it."""
    names = [_kpi(k).name for k in kpis]
    months = [shift_month(first, i) for i in range(_months_between(first, last) + 1)]
    usable = [k for k in names if REGISTRY[k].table in data.tables]
    parts = []
    if usable:
        df = _compute_in_chunks(data, usable, first, last, tz, freq="M", long=True,
                                **_opts(brand, sentiment_thresholds))
        df["month"] = pd.DatetimeIndex(df["period"]).strftime("%Y-%m")
        parts.append(df)
    grid = pd.MultiIndex.from_product([names, months], names=["kpi", "month"]).to_frame(index=False)
    if parts:
        got = pd.concat(parts)[["kpi", "month", "value", "numerator", "denominator"]]
        grid = grid.merge(got, on=["kpi", "month"], how="left")
    else:
        grid = grid.assign(value=np.nan, numerator=np.nan, denominator=np.nan)
    # months outside the table's data are unknown, not zero
    for k in names:
        span = table_days(data, REGISTRY[k].table, tz)
        sel = grid["kpi"] == k
        if span is None:
            grid.loc[sel, ["value", "numerator", "denominator"]] = np.nan
            continue
        lo, hi = span[0].strftime("%Y-%m"), span[1].strftime("%Y-%m")
        outside = sel & ((grid["month"] < lo) | (grid["month"] > hi))
        grid.loc[outside, ["value", "numerator", "denominator"]] = np.nan
    grid["unit"] = grid["kpi"].map(lambda k: REGISTRY[k].unit)
    periods = {m: month_period(m, tz) for m in months}
    spans = {t: data_span(data, t, tz) for t in {REGISTRY[k].table for k in names}}

    def covered(kpi: str, month: str) -> int:
        span, period = spans[REGISTRY[kpi].table], periods[month]
        if span is None:
            return 0
        lo, hi = max(span[0], period.first_day), min(span[1] + pd.Timedelta(days=1), period.end_day)
        return max(0, int((hi - lo).days))

    grid["days"] = [covered(k, m) for k, m in zip(grid["kpi"], grid["month"], strict=True)]
    grid["month_days"] = [periods[m].days for m in grid["month"]]
    grid["kpi"] = grid["kpi"].astype("string")
    grid["month"] = grid["month"].astype("string")
    return grid


def _months_between(first: str, last: str) -> int:
    a, b = parse_month(first), parse_month(last)
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])


def rolling_12_months(
    data: ClientData,
    kpis: Sequence[str],
    *,
    month: str,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
) -> pd.DataFrame:
    """The last 12 months of each KPI, with the same month a year earlier and the trailing
    12-month value.

    Returns
    -------
    pandas.DataFrame
        Long: ``kpi``, ``label``, ``unit``, ``month`` (``YYYY-MM``, the 12 months ending with
        ``month``), ``value``, ``last_year`` (the same month a year earlier), ``yoy_change``
        (relative), ``ttm`` (trailing 12 months: the sum, or the ratio of the 12-month sums, for
        the 12 months ending with this one; NaN for follower stocks and medians or with fewer
        than 12 months of data), ``days`` / ``month_days`` and ``last_year_days`` /
        ``last_year_month_days`` (the days the data covers, of the month's days; see
        :func:`monthly_kpis`).

    References
    ----------
    Trailing-twelve-month totals as ratio of sums: Looker Studio / ad platforms' aggregation of
    rates (see :mod:`kpi_toolkit.kpis`).
    """
    month = parse_month(month)
    first = shift_month(month, -23)
    m = monthly_kpis(data, kpis, first=first, last=month, tz=tz, brand=brand,
                     sentiment_thresholds=sentiment_thresholds)
    out = []
    for k, g in m.groupby("kpi", sort=False):
        spec = REGISTRY[str(k)]
        g = g.sort_values("month").reset_index(drop=True)
        g["last_year"] = g["value"].shift(12)
        g["yoy_change"] = (g["value"] - g["last_year"]) / g["last_year"].abs().replace(0, np.nan)
        if spec.table == "audience" or spec.kind == "median":
            g["ttm"] = np.nan
        else:
            num = g["numerator"].rolling(12, min_periods=12).sum()
            if spec.kind == "sum":
                g["ttm"] = num
            else:
                den = g["denominator"].rolling(12, min_periods=12).sum()
                g["ttm"] = (num / den.replace(0, np.nan)) * spec.scale
        g["label"] = spec.label
        g["last_year_days"] = g["days"].shift(12)
        g["last_year_month_days"] = g["month_days"].shift(12)
        out.append(g.iloc[-12:])
    res = pd.concat(out, ignore_index=True) if out else pd.DataFrame()
    cols = ["kpi", "label", "unit", "month", "value", "last_year", "yoy_change", "ttm", "days", "month_days",
            "last_year_days", "last_year_month_days"]
    return res[cols] if len(res) else pd.DataFrame(columns=cols)


def month_of_year(
    data: ClientData,
    kpi: str,
    *,
    month: str,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
    years: int = 3,
) -> pd.DataFrame:
    """Each calendar month of the last ``years`` years side by side, for seasonal businesses.

    Returns
    -------
    pandas.DataFrame
        Long: ``year``, ``month_of_year`` (1-12), ``month`` (``YYYY-MM``), ``value``, ``vs_avg``
        (relative to the average of the same calendar month in the other years shown), ``days`` and
        ``month_days`` (see :func:`monthly_kpis`); months after ``month`` or without data are NaN.
        ``attrs["kpi"]`` names the KPI.

    References
    ----------
    Seasonal subseries comparison: Cleveland, W. S. (1993), Visualizing Data, Hobart Press
    (cycle plots); Hyndman & Athanasopoulos (2021) §2.5 (seasonal subseries plots).
    """
    month = parse_month(month)
    last_year_end = f"{month[:4]}-12"
    first = f"{int(month[:4]) - years + 1:04d}-01"
    m = monthly_kpis(data, [kpi], first=first, last=last_year_end, tz=tz, brand=brand,
                     sentiment_thresholds=sentiment_thresholds)
    m = m[m["kpi"] == kpi].copy()
    m.loc[m["month"] > month, "value"] = np.nan
    m["year"] = m["month"].str[:4].astype("int64")
    m["month_of_year"] = m["month"].str[5:].astype("int64")
    tot = m.groupby("month_of_year")["value"].transform("sum")
    cnt = m.groupby("month_of_year")["value"].transform("count")
    others = (tot - m["value"].fillna(0)) / (cnt - m["value"].notna().astype(int)).replace(0, np.nan)
    m["vs_avg"] = (m["value"] - others) / others.abs().replace(0, np.nan)
    out = m[["year", "month_of_year", "month", "value", "vs_avg", "days", "month_days"]].reset_index(drop=True)
    out.attrs["kpi"] = kpi
    return out


# ----------------------------------------------------------------------------------------------
# daily series for alerts and decomposition


def daily_series(
    data: ClientData,
    kpis: Sequence[str],
    *,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Daily values of KPIs (one column each), indexed by local calendar day (naive midnight).

    Counts are 0 on days without rows inside the table's span, rates NaN where the denominator is
    0; days outside a table's span are NaN. KPIs whose table is absent, or whose rows have no day
    (posts exported with a month only), are left out (their names in ``attrs["skipped"]``). ``end`` (exclusive, naive local day) cuts the series.

    References
    ----------
    :func:`kpi_toolkit.kpis.compute_kpis` (``freq="D"``).
    """
    names = [_kpi(k).name for k in kpis]
    skipped = [k for k in names if REGISTRY[k].table not in data.tables
               or table_days(data, REGISTRY[k].table, tz) is None
               or data.tables[REGISTRY[k].table][TABLES[REGISTRY[k].table].time_col].notna().sum() == 0]
    usable = [k for k in names if k not in skipped]
    if not usable:
        out = pd.DataFrame(index=pd.DatetimeIndex([], name="day"))
        out.attrs["skipped"] = skipped
        return out
    spans = {k: table_days(data, REGISTRY[k].table, tz) for k in usable}
    lo = min(s[0] for s in spans.values())
    hi = max(s[1] for s in spans.values())
    if end is not None:
        hi = min(hi, pd.Timestamp(end) - pd.Timedelta(days=1))
    if hi < lo:
        raise NoDataError("no days with data before the end of the period")
    days = pd.date_range(lo, hi, freq="D", name="day")
    df = _compute_in_chunks(data, usable, lo.strftime("%Y-%m"), hi.strftime("%Y-%m"), tz, freq="D",
                            **_opts(brand, sentiment_thresholds))
    df = df.set_index("period").reindex(days)
    out = pd.DataFrame(index=days)
    for k in usable:
        spec = REGISTRY[k]
        col = df[k].astype("float64")
        if spec.kind == "sum" and spec.table != "audience":
            col = col.fillna(0.0)
        s0, s1 = spans[k]
        col[(days < s0) | (days > s1)] = np.nan
        out[k] = col.to_numpy()
    out.attrs["skipped"] = skipped
    return out
