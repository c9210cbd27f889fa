"""Trend detection: is a change real, what is the trend, where were the spikes, what comes next.

* :func:`compare_periods` / :func:`compare_weeks` — a month (week) against the previous one and the
  same one last year, with a significance test suited to the KPI and a plain-words verdict.
* :func:`rolling_12_months`, :func:`month_of_year` — the 12-month view and seasonal comparison.
* :func:`decompose`, :func:`trend_slope` — STL/MSTL parts; trend direction with an interval.
* :func:`detect_anomalies`, :func:`alert_windows`, :func:`explain_alerts`, :func:`month_alerts` —
  spike and dip alerts with their causes.
* :func:`seasonal_adjust`, :func:`change_points` — level shifts (PELT on the deseasonalised series).
* :func:`forecast` — ETS forecasts with prediction intervals (goal pacing is in
  :mod:`kpi_toolkit.goals`).
* :func:`trend_view` — the trend block of the monthly report; :func:`comparisons_table`,
  :func:`trailing_12_months_table`, :func:`slope_table` — display-ready tables.
* :mod:`~kpi_toolkit.trends.captions` — the sentence beside each trend chart, read from its numbers
  (and :func:`scaled_to_month`: what the 12-month chart draws for a month the data covers in part).

See docs/trend-detection.md for the methods and their measured detection quality. Nothing heavy is
imported with this package: statsmodels, ruptures and matplotlib load when a function needs them.
"""

from __future__ import annotations

from ._series import infer_freq, regularise
from .alerts import ALERT_COLUMNS, explain_alerts, month_alerts, rule_for, watched_kpis
from .anomalies import COLUMNS, alert_windows, detect_anomalies, detect_anomalies_batch
from .captions import (
    anomaly_sentence,
    forecast_sentence,
    level_shift_sentences,
    month_of_year_sentence,
    partial_month_sentences,
    rolling_12_sentences,
    scaled_to_month,
    seasonal_pattern_sentences,
    slope_sentences,
)
from .comparisons import (
    COMPARISON_COLUMNS,
    COMPARISON_WORDS,
    PeriodUnits,
    change_phrase,
    compare_period_pair,
    compare_periods,
    compare_weeks,
    covered_days,
    daily_series,
    month_of_year,
    monthly_kpis,
    partly_covered,
    rolling_12_months,
    test_kind,
)
from .decomposition import (
    change_points,
    change_points_from,
    decompose,
    seasonal_adjust,
    trend_slope,
)
from .forecast import ForecastPaths, forecast, forecast_paths
from .report import (
    alerts_table,
    comparisons_table,
    core_comparisons,
    slope_table,
    trailing_12_months_table,
    trend_view,
    yearly_removed_words,
)
from .significance import (
    TestResult,
    bootstrap_ratio_test,
    certainty_words,
    change_short,
    change_words,
    format_p,
    pearson_dispersion,
    poisson_rate_test,
    two_proportion_test,
)

__all__ = [
    "ALERT_COLUMNS", "COLUMNS", "COMPARISON_COLUMNS", "COMPARISON_WORDS", "ForecastPaths", "PeriodUnits",
    "TestResult", "alert_windows", "alerts_table", "anomaly_sentence", "bootstrap_ratio_test", "certainty_words",
    "change_phrase", "change_points", "change_points_from", "change_short", "change_words", "compare_period_pair",
    "compare_periods", "compare_weeks", "comparisons_table", "core_comparisons", "covered_days", "daily_series",
    "decompose", "detect_anomalies", "detect_anomalies_batch", "explain_alerts", "forecast", "forecast_paths",
    "forecast_sentence", "format_p", "infer_freq", "level_shift_sentences", "month_alerts", "month_of_year",
    "month_of_year_sentence", "monthly_kpis", "partial_month_sentences", "partly_covered", "pearson_dispersion",
    "poisson_rate_test", "regularise", "rolling_12_months", "rolling_12_sentences", "rule_for", "scaled_to_month",
    "seasonal_adjust", "seasonal_pattern_sentences", "slope_sentences", "slope_table", "test_kind",
    "trailing_12_months_table", "trend_slope", "trend_view", "two_proportion_test", "watched_kpis",
    "yearly_removed_words",
]
