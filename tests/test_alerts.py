"""Alerts on thin or empty months: a baseline too short to judge is said in words instead of an alert,
and a month of zeros after activity is an alert (kpi_toolkit.trends.alerts, .anomalies).

Hand values are worked out in each test's docstring."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.data import ClientData
from kpi_toolkit.params import AlertRule, TrendOptions
from kpi_toolkit.periods import month_period
from kpi_toolkit.trends import detect_anomalies, month_alerts
from kpi_toolkit.trends.alerts import MIN_HISTORY_DAYS
from kpi_toolkit.trends.anomalies import min_scale_points

OCTOBER = month_period("2026-10", "UTC")
THIN = ("there is too little history to tell a spike or dip from ordinary ups and downs ({} before "
        "October 2026; at least 28 are needed, about four weeks)")


def _posts(times: list[str] | pd.DatetimeIndex, likes: list[int] | np.ndarray, reach: int = 1000) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame({"post_id": [f"p{i}" for i in range(n)], "platform": "instagram",
                         "published_at": pd.to_datetime(times, utc=True), "content_type": "image",
                         "impressions": 2 * reach, "reach": reach, "likes": likes, "comments": 0, "shares": 0})


def _ads(days: pd.DatetimeIndex, spend: np.ndarray, *, conversions: np.ndarray | None = None) -> pd.DataFrame:
    on = spend > 0
    return pd.DataFrame({"date": days, "campaign": "always-on", "platform": "facebook", "spend": spend,
                         "impressions": np.where(on, 10_000, 0), "clicks": np.where(on, 100, 0),
                         "conversions": np.where(on, 5, 0) if conversions is None else conversions,
                         "revenue": 0.0})


# ----------------------------------------------------------------------------------------------
# too little history


def test_the_minimum_history_is_four_weeks_the_detectors_own_scale_minimum() -> None:
    """The detector's robust scale needs 28 values (a MAD-based SD of n values has a standard error of
    1.17 / sqrt(n) of itself, Hampel et al. 1986: 22 % at 28); for daily data that is also a quarter of
    its 16-week window, 113 // 4 = 28, and month_alerts asks the same 28 days before the month."""
    assert min_scale_points((7,)) == 113 // 4 == 28
    assert MIN_HISTORY_DAYS == 28
    assert min_scale_points((24, 168)) == 28  # values, not weeks, for hourly data
    assert round(math.sqrt(1 / (16 * 0.6745 ** 2 * 0.3178 ** 2)) / math.sqrt(28), 2) == 0.22


def test_a_series_shorter_than_the_scale_minimum_is_never_flagged() -> None:
    """20 days of ~100 with a day of 400: 20 values cannot give the scale its 28, so no day has a score
    (the scale of 19 ordinary days had made the 400 a 'spike' of any size)."""
    idx = pd.date_range("2026-10-01", periods=20, freq="D")
    s = pd.Series(100.0 + np.tile([-2.0, 1.0, 0.0, 2.0, -1.0], 4), index=idx)
    s.iloc[12] = 400.0
    res = detect_anomalies(s, transform="none")
    assert res["score"].isna().all()
    assert not res["is_anomaly"].any()
    # with 28 days the same spike is scored and found
    idx28 = pd.date_range("2026-10-01", periods=28, freq="D")
    s28 = pd.Series(100.0 + np.resize([-2.0, 1.0, 0.0, 2.0, -1.0], 28), index=idx28)
    s28.iloc[20] = 400.0
    res28 = detect_anomalies(s28, transform="none")
    assert res28["score"].notna().all()
    assert list(res28.index[res28["is_anomaly"]]) == [idx28[20]]


def test_five_posts_of_history_give_no_alert_but_a_sentence_saying_how_much_is_needed() -> None:
    """Five September posts (40-44 likes on a reach of 1,000) and four October posts, one with 60 likes:
    the engagement rate had read '16000000.0 robust standard deviations above normal' (the weekday
    profile, fitted from one or two posts per weekday, left residuals of 0). With 5 days with posts
    before October, less than 28, nothing is judged and the report says why."""
    times = ["2026-09-08 10:00", "2026-09-12 10:00", "2026-09-17 10:00", "2026-09-22 10:00", "2026-09-27 10:00",
             "2026-10-03 10:00", "2026-10-10 10:00", "2026-10-17 10:00", "2026-10-24 10:00"]
    data = ClientData(client="x", data_dir=Path("."),
                      tables={"posts": _posts(times, [40, 44, 41, 43, 42, 45, 60, 39, 44])})
    kpis = ["engagements", "engagement_rate_by_reach", "reach"]
    alerts = month_alerts(data, TrendOptions(), period=OCTOBER, kpis=kpis)
    assert alerts.empty
    assert alerts.attrs["skipped"] == [(k, THIN.format("5 days with posts")) for k in kpis]


def test_a_few_days_of_ads_give_no_alert_but_a_sentence() -> None:
    """Ads from 10 October only (22 days, none before the month): click-through rate had 'dips' of 8.8
    robust SDs from binomial noise (clicks 90-110 on 10,000 impressions)."""
    rng = np.random.default_rng(42)
    days = pd.date_range("2026-10-10", "2026-10-31", freq="D")
    ads = _ads(days, 100 + rng.normal(0, 5, len(days)).round(2)).assign(
        clicks=100 + rng.integers(-10, 10, len(days)))
    data = ClientData(client="x", data_dir=Path("."), tables={"ads": ads})
    alerts = month_alerts(data, TrendOptions(), period=OCTOBER, kpis=["spend", "ctr"])
    assert alerts.empty
    assert alerts.attrs["skipped"] == [(k, THIN.format("0 days with data")) for k in ("spend", "ctr")]


def test_history_counts_days_with_posts_not_quiet_days() -> None:
    """27 daily posts before October are one short of 28; 28 are enough (the quiet days between do not
    count: a day without a post says nothing about how a post does)."""
    for n_before, judged in ((27, False), (28, True)):
        t = pd.date_range(end="2026-09-30 10:00", periods=n_before, freq="D", tz="UTC").append(
            pd.date_range("2026-10-01 10:00", "2026-10-31 10:00", freq="D", tz="UTC"))
        likes = np.resize([290, 300, 310], len(t))
        data = ClientData(client="x", data_dir=Path("."), tables={"posts": _posts(t, likes)})
        alerts = month_alerts(data, TrendOptions(), period=OCTOBER, kpis=["engagements"])
        assert (alerts.attrs["skipped"] == []) is judged, n_before


# ----------------------------------------------------------------------------------------------
# a month of zeros


def test_ads_stopped_for_the_whole_month_is_a_dip_alert_with_hand_values() -> None:
    """Spend alternating 90 / 110 a day from June to September, then 0 every day of October (rows of 0).
    The 28 days before the run: mean m = 100, variance (ddof 1) = 28 * 100 / 27 = 103.70 (> m, so not
    floored); over L = 31 days the standard error of the daily average is sqrt(103.70 / 31) = 1.8290,
    so 0 is -100 / 1.8290 = -54.67 standard errors off, the band 100 -/+ 3.5 * 1.8290 = 93.60 to 106.40.
    The detector alone raised nothing (its running median follows the drop at once)."""
    days = pd.date_range("2026-06-01", "2026-10-31", freq="D")
    spend = np.where(days < "2026-10-01", np.resize([90.0, 110.0], len(days)), 0.0)
    data = ClientData(client="x", data_dir=Path("."), tables={"ads": _ads(days, spend)})
    alerts = month_alerts(data, TrendOptions(), period=OCTOBER, kpis=["spend"], currency="EUR")
    assert len(alerts) == 1
    r = alerts.iloc[0]
    se = math.sqrt(28 * 100 / 27 / 31)
    assert (r["kind"], r["severity"], r["value"]) == ("dip", "severe", 0.0)
    assert (pd.Timestamp(r["start"]), pd.Timestamp(r["end"])) == (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-31"))
    assert r["expected"] == pytest.approx(100.0)
    assert r["score"] == pytest.approx(-100 / se) == pytest.approx(-54.67, abs=0.01)
    assert (r["lower"], r["upper"]) == (pytest.approx(100 - 3.5 * se), pytest.approx(100 + 3.5 * se))
    assert r["explanation"] == (
        "Ad spend was 0 on every day from 1 Oct to 31 Oct 2026 (31 days): against about €100 a day over the "
        "28 days before, it had never been 0 for a day before. Over 31 days the daily average would normally "
        "stay between €93.60 and €106, so a month at 0 is far outside ordinary ups and downs (severe). A stop "
        "like this is more often "
        "ads that were paused or a tracking or export that broke than a real fall: check the data before "
        "reading the month's ad spend.")
    from kpi_toolkit.trends.report import alerts_table

    assert alerts_table(alerts)["Size"].tolist() == ["31 days at 0 (severe)"]  # not "54.7 SD": not one day's SD


def test_posts_that_stopped_before_the_month_are_zero_engagements_not_missing_data() -> None:
    """300 likes a day from June to 14 September, no post after, while the ads go on to 31 October.
    The snapshot counts October as 0 engagements; the alerts had said 'not checked: no values in the
    month'. Now: a dip from 15 Sep (the run of zeros) to 31 Oct, L = 47 days; the variance of 28 days of
    300 is 0, floored at the mean (Poisson), so se = sqrt(300 / 47) = 2.526 and the score -300 / 2.526
    = -118.7."""
    t = pd.date_range("2026-06-01 10:00", "2026-09-14 10:00", freq="D", tz="UTC")
    days = pd.date_range("2026-06-01", "2026-10-31", freq="D")
    data = ClientData(client="x", data_dir=Path("."),
                      tables={"posts": _posts(t, np.full(len(t), 300)), "ads": _ads(days, np.full(len(days), 100.0))})
    alerts = month_alerts(data, TrendOptions(), period=OCTOBER, kpis=["engagements"])
    assert alerts.attrs["skipped"] == []
    r = alerts.iloc[0]
    assert (pd.Timestamp(r["start"]), pd.Timestamp(r["end"])) == (pd.Timestamp("2026-09-15"), pd.Timestamp("2026-10-31"))
    assert r["score"] == pytest.approx(-300 / math.sqrt(300 / 47))
    assert r["explanation"].startswith("Engagements was 0 on every day from 15 Sep to 31 Oct 2026 (47 days): "
                                       "against about 300 a day over the 28 days before")
    assert "posting that stopped or a posts export that broke" in r["explanation"]


def test_a_month_of_zeros_is_not_an_alert_when_such_stops_happened_before_or_dips_are_not_watched() -> None:
    """A seasonal client whose ads were off for 40 days in summer: 31 days off in October is no longer
    than before, so no alert. A rule watching spikes only ('up') raises none either. Ads conversions of
    0 while the ads spent are left to the snapshot, which explains them (conversion tracking)."""
    days = pd.date_range("2026-05-01", "2026-10-31", freq="D")
    off = ((days >= "2026-07-01") & (days < "2026-08-10")) | (days >= "2026-10-01")
    spend = np.where(off, 0.0, np.resize([90.0, 110.0], len(days)))
    data = ClientData(client="x", data_dir=Path("."), tables={"ads": _ads(days, spend)})
    assert month_alerts(data, TrendOptions(), period=OCTOBER, kpis=["spend"]).empty

    days = pd.date_range("2026-06-01", "2026-10-31", freq="D")
    spend = np.where(days < "2026-10-01", np.resize([90.0, 110.0], len(days)), 0.0)
    data = ClientData(client="x", data_dir=Path("."), tables={"ads": _ads(days, spend)})
    up = TrendOptions(alerts={"spend": AlertRule(direction="up")})
    assert month_alerts(data, up, period=OCTOBER, kpis=["spend"]).empty

    conv = np.where(days < "2026-10-01", 5, 0)
    data = ClientData(client="x", data_dir=Path("."),
                      tables={"ads": _ads(days, np.resize([90.0, 110.0], len(days)), conversions=conv)})
    assert month_alerts(data, TrendOptions(), period=OCTOBER, kpis=["conversions"]).empty


# ----------------------------------------------------------------------------------------------
# clients who post every few days


def _every(step: int, *, viral: str | None = None) -> ClientData:
    """A post every ``step`` days from March to October, likes cycling 80-120 (mean 100); one post of
    600 likes on ``viral``."""
    days = pd.date_range("2026-03-01 10:00", "2026-10-31 10:00", freq=f"{step}D", tz="UTC")
    likes = np.resize([80, 120, 95, 105, 90, 110, 100], len(days))
    if viral is not None:
        likes[days.normalize() == pd.Timestamp(viral, tz="UTC")] = 600
    return ClientData(client="x", data_dir=Path("."), tables={"posts": _posts(days, likes)})


def test_a_day_without_a_post_is_not_the_baseline_of_a_posting_day() -> None:
    """A post every other day, all ordinary but one of 600 likes on 27 October: the days between
    posts have 0 engagements because nothing was posted, and had made the baseline of every posting
    day a mix of 0s and posts. Judged against other posting days, the 600 is the month's one alert
    and no ordinary post is one."""
    alerts = month_alerts(_every(2, viral="2026-10-27"), TrendOptions(), period=OCTOBER, kpis=["engagements"])
    assert [(str(pd.Timestamp(r.start).date()), r.kind) for r in alerts.itertuples()] == [("2026-10-27", "spike")]
    quiet = month_alerts(_every(2), TrendOptions(), period=OCTOBER, kpis=["engagements"])
    assert quiet.empty and not quiet.attrs["skipped"]


def test_posting_every_fifth_day_is_not_five_spikes_a_month() -> None:
    """A post every fifth day, all ordinary (80-120 likes): every posting day had read as a 'spike'
    against a baseline of the 0s between them. Judged against posting days only, the 16-week window
    holds ~22 of them, fewer than the 28 the scale needs: no alert, and the report says why."""
    alerts = month_alerts(_every(5), TrendOptions(), period=OCTOBER, kpis=["engagements"])
    assert alerts.empty
    assert alerts.attrs["skipped"] == [("engagements", (
        "there are too few posting days to tell a spike or dip from ordinary ups and downs (each of the "
        "month's 6 posting days is judged against the 16 weeks around it, which need at least 28)"))]
