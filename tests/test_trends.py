"""Trend detection: anomalies, significance tests, period comparisons, decomposition, level shifts,
forecasts, alerts, the CLI and the report view; checked on hand cases, statsmodels itself and the
planted truth of the demo data (TRUTH.json)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.cli import main
from kpi_toolkit.data import ClientData, load_client
from kpi_toolkit.exceptions import NoDataError, ParameterError
from kpi_toolkit.trends import (
    COLUMNS,
    alert_windows,
    bootstrap_ratio_test,
    certainty_words,
    change_points,
    change_words,
    compare_periods,
    compare_weeks,
    daily_series,
    decompose,
    detect_anomalies,
    detect_anomalies_batch,
    explain_alerts,
    forecast,
    format_p,
    month_of_year,
    pearson_dispersion,
    poisson_rate_test,
    rolling_12_months,
    seasonal_adjust,
    test_kind,
    trend_slope,
    two_proportion_test,
)

RNG_SEED = 42


def _daily(n: int = 120, *, level: float = 100.0, seed: int = RNG_SEED, start: str = "2026-01-01",
           tz: str | None = None) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="D", tz=tz)
    weekly = np.array([0.9, 0.95, 1.0, 1.0, 1.05, 1.15, 1.1])[idx.day_of_week]
    return pd.Series(rng.poisson(level * weekly).astype("float64"), index=idx, name="mentions")


# ----------------------------------------------------------------------------------------------
# detect_anomalies: interface and behaviour


def test_detect_anomalies_interface_columns_index_and_planted_spike() -> None:
    s = _daily()
    s.iloc[70] = 260.0  # ~16 Poisson SDs above a level of ~100
    res = detect_anomalies(s)
    assert list(res.columns) == COLUMNS
    assert res.index.equals(s.index)
    assert (res["timestamp"] == res.index).all()
    assert res["is_anomaly"].dtype == bool
    assert res.index[res["is_anomaly"]].tolist() == [s.index[70]]
    assert res.loc[s.index[70], "score"] > 10
    assert (res["lower"] <= res["expected"]).all() and (res["expected"] <= res["upper"]).all()
    assert res.attrs["seasonal_periods"] == (7,)


def test_detect_anomalies_direction_threshold_and_dips() -> None:
    s = _daily()
    s.iloc[40] = 250.0
    s.iloc[80] = 5.0
    both = detect_anomalies(s)
    assert {s.index[40], s.index[80]} <= set(both.index[both["is_anomaly"]])
    up = detect_anomalies(s, direction="up")
    assert s.index[40] in up.index[up["is_anomaly"]] and s.index[80] not in up.index[up["is_anomaly"]]
    down = detect_anomalies(s, direction="down")
    assert s.index[80] in down.index[down["is_anomaly"]] and s.index[40] not in down.index[down["is_anomaly"]]
    strict = detect_anomalies(s, threshold=50)
    assert not strict["is_anomaly"].any()


def test_clean_poisson_series_has_few_false_alarms() -> None:
    # 2 years of Poisson counts with a weekly pattern and nothing planted
    s = _daily(730, level=60, seed=7)
    res = detect_anomalies(s)
    assert res["is_anomaly"].sum() <= 2


def test_missing_steps_become_nan_and_are_never_flagged() -> None:
    s = _daily().drop(_daily().index[[10, 11, 50]])
    res = detect_anomalies(s, freq="D")
    assert len(res) == 120
    assert res["value"].isna().sum() == 3
    assert not res.loc[res["value"].isna(), "is_anomaly"].any()
    assert res.loc[res["value"].isna(), "score"].isna().all()


def test_tz_aware_daily_series_keeps_its_zone_across_dst() -> None:
    s = _daily(60, start="2026-03-10", tz="Europe/Helsinki")
    res = detect_anomalies(s)
    assert str(res.index.tz) == "Europe/Helsinki" and len(res) == 60


def test_non_count_series_is_analysed_on_its_own_scale() -> None:
    rng = np.random.default_rng(3)
    idx = pd.date_range("2026-01-01", periods=90, freq="D")
    share = pd.Series(0.18 + rng.normal(0, 0.02, 90), index=idx)
    share.iloc[60] = 0.75  # a negative-sentiment crisis
    res = detect_anomalies(share, direction="up", threshold=3.0)
    assert res.loc[idx[60], "is_anomaly"] and res["score"].idxmax() == idx[60]
    assert res["is_anomaly"].sum() <= 2
    assert abs(res["expected"].median() - 0.18) < 0.01
    assert res["lower"].min() < 0.18 < res["upper"].max()  # no rounding: not a count


def test_hourly_and_five_minute_series_find_planted_bursts() -> None:
    rng = np.random.default_rng(11)
    for freq, n, day in (("h", 24 * 42, 24), ("5min", 288 * 21, 288)):
        idx = pd.date_range("2026-09-01", periods=n, freq=freq, tz="UTC")
        t = np.arange(n)
        lam = 6 * (1 + 0.5 * np.sin(2 * np.pi * (t % day) / day))
        y = rng.poisson(lam).astype("float64")
        burst = slice(n - 5 * day, n - 5 * day + max(3, day // 24))
        y[burst] += 30
        res = detect_anomalies(pd.Series(y, index=idx), freq=freq)
        wins = alert_windows(res)
        hit = wins[(wins["start"] <= idx[burst.stop - 1]) & (wins["end"] >= idx[burst.start])]
        assert len(hit) == 1 and hit["kind"].iloc[0] == "spike", freq
        assert len(wins) <= 4, freq  # few false alarms on thousands of sparse counts


def test_batch_matches_single_series_results() -> None:
    frame = pd.DataFrame({f"s{i}": _daily(200, level=30 + 50 * i, seed=i) for i in range(4)})
    frame.iloc[150, 2] = 900
    batch = detect_anomalies_batch(frame)
    assert set(batch.columns) == {"series", *COLUMNS}
    for c in frame.columns:
        one = detect_anomalies(frame[c])
        b = batch[batch["series"] == c].set_index("timestamp")
        np.testing.assert_allclose(b["expected"].to_numpy(), one["expected"].to_numpy(), rtol=1e-9)
        np.testing.assert_allclose(b["score"].to_numpy(), one["score"].to_numpy(), rtol=1e-9, equal_nan=True)
        assert (b["is_anomaly"].to_numpy() == one["is_anomaly"].to_numpy()).all()
    assert batch.loc[(batch["series"] == "s2") & batch["is_anomaly"], "timestamp"].tolist() == [frame.index[150]]


def test_stl_method_also_finds_a_planted_spike() -> None:
    s = _daily(120)
    s.iloc[60] = 300.0
    res = detect_anomalies(s, method="stl")
    assert res.loc[s.index[60], "is_anomaly"]


def test_alert_windows_group_consecutive_days_with_severity() -> None:
    s = _daily(120)
    s.iloc[60:63] = [400.0, 450.0, 300.0]
    wins = alert_windows(detect_anomalies(s))
    assert len(wins) == 1
    w = wins.iloc[0]
    assert (w["start"], w["end"], w["n_points"], w["kind"]) == (s.index[60], s.index[62], 3, "spike")
    assert w["peak_at"] == s.index[61] and w["severity"] == "severe"
    assert w["excess"] > 800


# one test per bad input, each asserting its one-line message

def test_error_not_a_series() -> None:
    with pytest.raises(ParameterError, match="must be a pandas Series indexed by time"):
        detect_anomalies([1, 2, 3])  # type: ignore[arg-type]


def test_error_index_not_time() -> None:
    with pytest.raises(ParameterError, match=r"must be indexed by time \(a DatetimeIndex\), got RangeIndex"):
        detect_anomalies(pd.Series(range(20), dtype="float64"))


def test_error_values_not_numeric() -> None:
    s = pd.Series(["a"] * 20, index=pd.date_range("2026-01-01", periods=20))
    with pytest.raises(ParameterError, match="must hold numbers"):
        detect_anomalies(s)


def test_error_too_few_values() -> None:
    with pytest.raises(NoDataError, match="has 5 values; anomaly detection needs at least 8"):
        detect_anomalies(_daily(5))


def test_error_bad_direction_threshold_freq_and_period() -> None:
    s = _daily(60)
    with pytest.raises(ParameterError, match="direction must be 'both', 'up' or 'down', got 'sideways'"):
        detect_anomalies(s, direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="threshold must be a positive number"):
        detect_anomalies(s, threshold=0)
    with pytest.raises(ParameterError, match="unknown frequency '7x'"):
        detect_anomalies(s, freq="7x")
    with pytest.raises(ParameterError, match="seasonal period 40 needs at least 80 points; the series has 60"):
        detect_anomalies(s, seasonal_periods=[40])


def test_error_two_values_in_one_step() -> None:
    s = _daily(20)
    s = pd.concat([s, s.iloc[[3]]])
    with pytest.raises(ParameterError, match="several values fall in the step starting 2026-01-04"):
        detect_anomalies(s, freq="D")


# ----------------------------------------------------------------------------------------------
# significance tests against statsmodels and hand computation


def test_two_proportion_test_matches_statsmodels_and_hand_value() -> None:
    from statsmodels.stats.proportion import proportions_ztest

    res = two_proportion_test(30, 1000, 20, 1000)
    z, p = proportions_ztest([30, 20], [1000, 1000])
    assert res.statistic == pytest.approx(z) and res.p_value == pytest.approx(p)
    # by hand: pooled p = 0.025, se = sqrt(0.025 * 0.975 * 2 / 1000) = 0.0069821, z = 1.43223
    assert res.statistic == pytest.approx(0.01 / math.sqrt(0.025 * 0.975 * 2 / 1000), rel=1e-9)
    assert res.p_value == pytest.approx(0.152078, abs=1e-6)
    # dispersion 4 halves z (quasi-binomial)
    adj = two_proportion_test(30, 1000, 20, 1000, dispersion=4.0)
    assert adj.statistic == pytest.approx(res.statistic / 2)


def test_poisson_rate_test_matches_statsmodels_and_hand_value() -> None:
    from statsmodels.stats.rates import test_poisson_2indep

    res = poisson_rate_test(30, 10, 20, 10)
    ref = test_poisson_2indep(30, 10, 20, 10, method="score")
    assert res.statistic == pytest.approx(ref.statistic) and res.p_value == pytest.approx(ref.pvalue)
    # by hand: equal exposures, z = (30 - 25) / sqrt(50 / 4) = 1.41421, p = 0.157299
    assert res.statistic == pytest.approx(5 / math.sqrt(12.5))
    assert res.p_value == pytest.approx(0.157299, abs=1e-6)


def test_bootstrap_test_is_deterministic_and_sensible() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.gamma(5, 20, 30), rng.gamma(5, 20, 30)
    ones = np.ones(30)
    r1 = bootstrap_ratio_test(a, ones, b, ones)
    assert r1 == bootstrap_ratio_test(a, ones, b, ones)
    assert r1.p_value > 0.05  # same distribution
    far = bootstrap_ratio_test(a * 2, ones, b, ones)
    assert far.p_value < 0.01 and far.statistic == pytest.approx(2 * a.mean() - b.mean())


def test_pearson_dispersion_hand_values() -> None:
    # Poisson counts [0, 4] around 2: (4 + 4) / 2 = 4 over 1 dof; [2, 2]: 0 over 1 dof -> 4 / 2 = 2
    assert pearson_dispersion([(np.array([0, 4]), np.ones(2)), (np.array([2, 2]), np.ones(2))],
                              kind="poisson") == pytest.approx(2.0)
    # under-dispersed data is floored at 1 (never more eager than the textbook test)
    assert pearson_dispersion([(np.array([2, 2, 2]), np.ones(3)), (np.array([3, 3, 3]), np.ones(3))],
                              kind="poisson") == 1.0


def test_words_for_p_values_and_changes() -> None:
    assert format_p(0.0004) == "p < 0.001" and format_p(0.004) == "p = 0.004" and format_p(0.031) == "p = 0.031"
    # the words change at 0.05 and 0.10: a p just under either is never shown as that threshold
    assert format_p(0.048) == "p = 0.048" and format_p(0.0498) == "p = 0.0498"
    assert format_p(0.0996) == "p = 0.0996" and format_p(0.42) == "p = 0.42" and format_p(0.1) == "p = 0.10"
    assert certainty_words(0.048) == "unlikely to be chance (p = 0.048)"
    assert certainty_words(0.01) == "unlikely to be chance (p = 0.01)"
    assert certainty_words(0.07) == "could still be chance (p = 0.07)"
    assert certainty_words(0.4) == "within normal variation (p = 0.40)"
    assert certainty_words(float("nan")) == "too little data to test"
    assert change_words(118, 100) == "up 18 %" and change_words(95.8, 100) == "down 4.2 %"
    assert change_words(5, 0) == "up from 0" and change_words(3, 3) == "unchanged"
    # a rate changes in percentage points, as the snapshot table shows it (5.6 % -> 4.5 % is not "down 21 %")
    assert change_words(0.0453, 0.0565, "fraction") == "down 1.1 percentage points"
    assert change_words(0.0072, 0.0083, "fraction") == "down 0.11 percentage points"
    assert change_words(0.0453, 0.04531, "fraction") == "unchanged"


# ----------------------------------------------------------------------------------------------
# compare_periods on a hand-built client


def _ads_client(days: pd.DatetimeIndex, clicks: np.ndarray, impressions: np.ndarray,
                conversions: np.ndarray, spend: np.ndarray) -> ClientData:
    ads = pd.DataFrame({
        "date": days, "platform": pd.Series(["facebook"] * len(days), dtype="string"),
        "campaign": pd.Series(["always-on"] * len(days), dtype="string"), "spend": spend,
        "impressions": impressions.astype("int64"), "clicks": clicks.astype("int64"),
        "conversions": conversions.astype("int64"), "revenue": spend * 3.0,
    })
    return ClientData(client="acme", data_dir=Path("."), tables={"ads": ads})


def test_compare_periods_uses_the_test_suited_to_each_kpi() -> None:
    days = pd.date_range("2026-09-01", "2026-10-31", freq="D")
    october = (days.month == 10).astype(int)
    data = _ads_client(days, clicks=10 + 2 * october, impressions=np.full(len(days), 1000),
                       conversions=5 + october, spend=100.0 + 10 * october)
    from statsmodels.stats.proportion import proportions_ztest
    from statsmodels.stats.rates import test_poisson_2indep

    ctr = compare_periods(data, "ctr", month="2026-10")
    prev = ctr.set_index("comparison").loc["previous_month"]
    # constant days: no over-dispersion, so the textbook test on the month totals
    z, p = proportions_ztest([12 * 31, 10 * 30], [31_000, 30_000])
    assert prev["test"] == "two-proportion z-test" and prev["dispersion"] == 1.0
    assert prev["p_value"] == pytest.approx(p) and prev["current"] == pytest.approx(0.012)
    assert prev["rel_change"] == pytest.approx(0.2)
    assert prev["verdict"] == certainty_words(p) and prev["summary"].startswith("up 0.2 percentage points, ")
    ly = ctr.set_index("comparison").loc["same_month_last_year"]
    assert ly["verdict"] == "no ads data for 2025-10" and math.isnan(ly["p_value"])

    conv = compare_periods(data, "conversions", month="2026-10").set_index("comparison").loc["previous_month"]
    ref = test_poisson_2indep(6 * 31, 31, 5 * 30, 30, method="score")
    assert conv["test"] == "Poisson rate test" and conv["p_value"] == pytest.approx(ref.pvalue)
    # 31 against 30 days: the per-day change is what the test compares
    assert conv["rel_change_per_day"] == pytest.approx(0.2)
    assert "per day" in conv["summary"]

    roas = compare_periods(data, "roas", month="2026-10").set_index("comparison").loc["previous_month"]
    assert roas["test"] == "bootstrap over blocks of days" and roas["rel_change"] == pytest.approx(0.0)
    assert roas["verdict"].startswith("within normal variation")


def test_test_kind_per_kpi_family() -> None:
    from kpi_toolkit.kpis import REGISTRY

    kinds = {k: test_kind(REGISTRY[k]) for k in ("ctr", "engagement_rate_by_reach", "negative_share",
                                                  "mentions", "reach", "spend", "roas", "cpc",
                                                  "likes_per_post", "followers", "median_response_time_hours")}
    assert kinds == {"ctr": "proportion", "engagement_rate_by_reach": "proportion",
                     "negative_share": "proportion", "mentions": "poisson", "reach": "poisson",
                     "spend": "bootstrap", "roas": "bootstrap", "cpc": "bootstrap",
                     "likes_per_post": "bootstrap", "followers": None, "median_response_time_hours": None}


def test_compare_periods_errors() -> None:
    data = _ads_client(pd.date_range("2026-09-01", periods=10), np.ones(10), np.ones(10) * 10,
                       np.ones(10), np.ones(10))
    with pytest.raises(ParameterError, match="unknown KPI 'ctrr' — did you mean 'ctr'?"):
        compare_periods(data, "ctrr", month="2026-09")
    with pytest.raises(ParameterError, match="month must be YYYY-MM, got '2026-13'"):
        compare_periods(data, "ctr", month="2026-13")
    with pytest.raises(NoDataError, match="mentions: no mentions table"):
        compare_periods(data, "mentions", month="2026-09")


# ----------------------------------------------------------------------------------------------
# decomposition, trend slope, level shifts, forecast (synthetic truth)


def test_mstl_decomposition_recovers_known_trend_weekly_and_yearly_parts() -> None:
    rng = np.random.default_rng(5)
    n = 3 * 365
    idx = pd.date_range("2023-01-01", periods=n, freq="D")
    t = np.arange(n)
    trend = 100 + 0.05 * t
    weekly = 6 * np.sin(2 * np.pi * t / 7)
    yearly = 20 * np.sin(2 * np.pi * t / 365.25)
    y = pd.Series(trend + weekly + yearly + rng.normal(0, 2, n), index=idx)
    y.iloc[500] += 80  # an outlier the robust fit must not spread
    dec = decompose(y)
    assert dec.attrs["periods"] == (7, 365)
    core = slice(60, n - 60)  # STL's ends are less certain

    def rmse(a: pd.Series, b: np.ndarray) -> float:
        return float(np.sqrt(np.mean((a.to_numpy()[core] - b[core]) ** 2)))

    assert rmse(dec["trend"], trend) < 1.5
    assert rmse(dec["seasonal_7"], weekly) < 1.5
    assert rmse(dec["seasonal_365"], yearly) < 3.0
    assert np.corrcoef(dec["seasonal_365"].to_numpy()[core], yearly[core])[0, 1] > 0.98
    np.testing.assert_allclose(dec["observed"], dec["trend"] + dec["seasonal"] + dec["resid"])


def test_stl_decomposition_with_one_period() -> None:
    s = _daily(120)
    dec = decompose(s)
    assert dec.attrs["periods"] == (7,)
    assert list(dec.columns) == ["observed", "trend", "seasonal_7", "seasonal", "resid", "deseasonalised"]


def test_trend_slope_finds_direction_and_covers_the_true_slope() -> None:
    rng = np.random.default_rng(2)
    idx = pd.date_range("2026-01-01", periods=180, freq="D")
    t = np.arange(180)
    rising = pd.Series(100 + 0.5 * t + 8 * (idx.day_of_week >= 5) + rng.normal(0, 5, 180), index=idx)
    r = trend_slope(rising).iloc[0]
    assert r["direction"] == "rising" and r["lower"] <= 0.5 * 365.25 / 12 <= r["upper"]
    flat = pd.Series(100 + rng.normal(0, 5, 180), index=idx)
    assert trend_slope(flat).iloc[0]["direction"] == "flat"
    with pytest.raises(NoDataError, match="a trend needs at least 14 days with values, got 10"):
        trend_slope(flat.iloc[:10])


def _shift_series(shift_day: int | None, *, seed: int = 4, after: float = 85.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-11-01", "2026-10-31", freq="D")
    month = np.array([0.95, 0.9, 0.95, 1.0, 1.0, 0.95, 0.88, 0.9, 1.0, 1.02, 1.2, 1.25])
    weekday = np.array([0.92, 0.95, 0.97, 1.0, 1.05, 1.08, 1.03])
    level = np.full(len(idx), 55.0)
    if shift_day is not None:
        level[shift_day:] = after
    lam = level * month[idx.month - 1] * weekday[idx.day_of_week] * rng.gamma(25, 1 / 25, len(idx))
    return pd.Series(rng.poisson(lam).astype("float64"), index=idx)


def test_change_points_find_a_level_shift_despite_monthly_seasonality() -> None:
    s = _shift_series(290)
    cps = change_points(s)
    assert len(cps) == 1
    assert abs((cps["date"].iloc[0] - s.index[290]).days) <= 3
    assert cps["before"].iloc[0] == pytest.approx(55, rel=0.1)
    assert cps["after"].iloc[0] == pytest.approx(85, rel=0.1)
    adj = seasonal_adjust(s)
    assert adj.attrs["yearly"] and set(adj["segment"]) == {0, 1}


def test_change_points_none_without_a_shift() -> None:
    assert change_points(_shift_series(None)).empty


def test_forecast_daily_and_monthly_with_intervals() -> None:
    idx = pd.date_range("2026-01-01", periods=120, freq="D")
    s = pd.Series(100 + 0.5 * np.arange(120) + np.random.default_rng(0).normal(0, 2, 120), index=idx)
    fc = forecast(s, horizon=14)
    assert len(fc) == 14 and fc.index[0] == pd.Timestamp("2026-05-01")
    assert (fc["lower"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["upper"]).all()
    assert fc["forecast"].iloc[-1] > s.iloc[-30:].mean()
    assert fc.equals(forecast(s, horizon=14))  # seeded
    months = pd.date_range("2025-01-01", periods=20, freq="MS")
    m = pd.Series(np.linspace(10, 30, 20), index=months)
    fm = forecast(m, until="2026-12-01")
    assert fm.index[0] == pd.Timestamp("2026-09-01") and len(fm) == 4
    with pytest.raises(ParameterError, match="give exactly one of horizon or until"):
        forecast(m)


# ----------------------------------------------------------------------------------------------
# explain_alerts


def test_explain_alerts_names_the_topic_behind_a_spike() -> None:
    days = pd.date_range("2026-09-01", periods=40, freq="D", tz="UTC")
    rows = []
    for i, d in enumerate(days):
        for k in range(10):
            rows.append({"t": d + pd.Timedelta(hours=k), "topic": "shipping" if k < 6 else "price"})
        if i == 35:
            rows += [{"t": d + pd.Timedelta(hours=1), "topic": "recall"}] * 40
    df = pd.DataFrame(rows)
    counts = df.groupby(df["t"].dt.floor("D")).size().astype("float64")
    wins = alert_windows(detect_anomalies(counts))
    out = explain_alerts(wins, df, time_col="t", by="topic")
    assert out["contributors"].iloc[0][0] == {"name": "recall", "in_window": 40.0, "usual": 0.0, "excess": 40.0}
    assert out["top_contributors"].iloc[0] == "‘recall’: 40 (usually 0)"


# ----------------------------------------------------------------------------------------------
# CLI


def _csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "series.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_cli_writes_every_row_with_the_documented_columns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    s = _daily(60)
    s.iloc[45] = 400
    path = _csv(tmp_path, "timestamp,value\n" + "".join(f"{t:%Y-%m-%d},{v:.0f}\n" for t, v in s.items()))
    out = tmp_path / "out.csv"
    assert main(["anomalies", str(path), "--freq", "D", "-o", str(out)]) == 0
    res = pd.read_csv(out)
    assert list(res.columns) == COLUMNS and len(res) == 60
    assert res.loc[res["is_anomaly"], "timestamp"].tolist() == ["2026-02-15T00:00:00"]
    assert "60 steps of D; 1 anomalous in 1 window(s)" in capsys.readouterr().err


def test_cli_five_minute_export_with_utc_offsets(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    idx = pd.date_range("2026-10-01", periods=288 * 4, freq="5min", tz="UTC")
    y = np.random.default_rng(1).poisson(5, len(idx))
    y[600:612] += 40
    path = _csv(tmp_path, "time,volume\n" + "".join(f"{t:%Y-%m-%dT%H:%M:%SZ},{v}\n" for t, v in zip(idx, y, strict=True)))
    assert main(["anomalies", str(path), "--time-col", "time", "--value-col", "volume", "--freq", "5min"]) == 0
    res = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    flagged = res.loc[res["is_anomaly"], "timestamp"]
    assert "2026-10-03T02:00:00Z" in set(flagged)


def test_cli_error_unknown_column(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _csv(tmp_path, "timestamp,value\n2026-01-01,1\n")
    assert main(["anomalies", str(path), "--value-col", "volume"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {path}: column 'volume': no such column; the file has: timestamp, value"


def test_cli_error_bad_time_names_the_row(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _csv(tmp_path, "timestamp,value\n2026-01-01,1\n2026-01-02,2\nyesterday,3\n")
    assert main(["anomalies", str(path)]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "column 'timestamp' row 4: not a valid date or time (expected ISO 8601, e.g. 2026-01-02 or "
        "2026-01-02T05:00, optionally with Z or an offset such as +02:00) (got 'yesterday')")


def test_cli_error_bad_value_names_the_row(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _csv(tmp_path, "timestamp,value\n2026-01-01,1\n2026-01-02,n/a\n")
    assert main(["anomalies", str(path)]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "column 'value' row 3: must be a number (blank = missing) (got 'n/a')")


def test_cli_error_duplicate_steps_suggests_agg(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = "".join(f"2026-01-{d:02d}T{h:02d}:00:00Z,{d}\n" for d in range(1, 21) for h in (9, 17))
    path = _csv(tmp_path, "timestamp,value\n" + rows)
    assert main(["anomalies", str(path), "--freq", "D"]) == 2
    assert "aggregate them first (e.g. --agg sum)" in capsys.readouterr().err
    assert main(["anomalies", str(path), "--freq", "D", "--agg", "sum", "-o", str(tmp_path / "o.csv")]) == 0


def test_cli_error_no_such_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["anomalies", str(tmp_path / "nope.csv")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope.csv'}: no such file"


# ----------------------------------------------------------------------------------------------
# the planted truth of the demo data


def _local_day(ts: str, tz: str) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert(tz).tz_localize(None).normalize()


@pytest.fixture(scope="module")
def brand_mentions(demo_root: Path, demo_truth: dict) -> dict[str, pd.Series]:
    out = {}
    for client, c in demo_truth["clients"].items():
        data = load_client(client, data_dir=demo_root / "data", tables=["mentions"])
        out[client] = daily_series(data, ["mentions", "negative_share"], tz=c["timezone"], brand=c["brand"])
    return out


def test_truth_planted_level_shift_found_within_3_days(brand_mentions: dict, demo_truth: dict) -> None:
    for client, c in demo_truth["clients"].items():
        shift = next(s for s in c["level_shifts"] if s["series"] == "brand_mentions_per_day")
        cps = change_points(brand_mentions[client]["mentions"])
        assert len(cps) == 1, client
        assert abs((cps["date"].iloc[0] - pd.Timestamp(shift["date"])).days) <= 3, client
        assert cps["before"].iloc[0] == pytest.approx(shift["before_level"], rel=0.15), client
        assert cps["after"].iloc[0] == pytest.approx(shift["after_level"], rel=0.15), client


def test_truth_planted_spikes_found_and_few_false_alarms(brand_mentions: dict, demo_truth: dict) -> None:
    planted = found = clean_days = false_alarms = 0
    for client, c in demo_truth["clients"].items():
        tz = c["timezone"]
        wins = alert_windows(detect_anomalies(brand_mentions[client]["mentions"]))
        for sp in c["spikes"]:
            lo, hi = _local_day(sp["start_utc"], tz), _local_day(sp["end_utc"], tz)
            hit = bool(((wins["start"] <= hi) & (wins["end"] >= lo)).any())
            planted += 1
            found += hit
            if sp["magnitude"] >= 2.5:  # at least 2.5x a day's mentions: must be found
                assert hit, (client, sp["label"])
        for st in c["clean_stretches"]["stretches"]:
            a, b = pd.Timestamp(st["start"]), pd.Timestamp(st["end"])
            clean_days += (b - a).days + 1
            false_alarms += int(((wins["start"] >= a) & (wins["start"] <= b)).sum())
    assert found >= planted - 1
    assert false_alarms / clean_days * 30.44 < 0.5  # alarms per month of clean data


def test_truth_crisis_raises_a_negative_share_alert(brand_mentions: dict, demo_truth: dict) -> None:
    checked = 0
    for client, c in demo_truth["clients"].items():
        share = brand_mentions[client]["negative_share"]
        if share.notna().sum() < 30:
            continue  # this client's listening export has no sentiment scores
        crisis = c["crisis"]
        wins = alert_windows(detect_anomalies(share, direction="up", threshold=3.0))
        lo, hi = _local_day(crisis["start_utc"], c["timezone"]), _local_day(crisis["end_utc"], c["timezone"])
        hit = wins[(wins["start"] <= hi) & (wins["end"] >= lo)]
        assert len(hit) == 1 and hit["severity"].iloc[0] == "severe", client
        checked += 1
    assert checked >= 1


def test_rolling_12_months_and_month_of_year_on_demo(demo_root: Path, demo_truth: dict) -> None:
    c = demo_truth["clients"]["demo-lumiere"]
    data = load_client("demo-lumiere", data_dir=demo_root / "data", tables=["mentions", "ads", "audience"])
    r12 = rolling_12_months(data, ["mentions", "ctr", "followers"], month="2026-10", tz=c["timezone"],
                            brand=c["brand"])
    assert len(r12) == 36 and r12["month"].iloc[0] == "2025-11" and r12["month"].iloc[11] == "2026-10"
    m = r12[r12["kpi"] == "mentions"].set_index("month")
    assert m.loc["2026-10", "ttm"] == pytest.approx(m["value"].sum())
    assert m.loc["2026-10", "last_year"] > 0 and r12.loc[r12["kpi"] == "followers", "ttm"].isna().all()
    moy = month_of_year(data, "mentions", month="2026-10", tz=c["timezone"], brand=c["brand"], years=2)
    assert set(moy["year"]) == {2025, 2026} and moy["value"].notna().sum() == 22
    wk = compare_weeks(data, "mentions", week="2026-W38", tz=c["timezone"], brand=c["brand"])
    assert list(wk["baseline_period"]) == ["2026-W37", "2025-W38"]


def test_trend_view_on_demo_reports_the_crisis_with_its_owner(demo_root: Path) -> None:
    from kpi_toolkit.context import load_context
    from kpi_toolkit.trends import trend_view

    ctx = load_context(client="demo-lumiere", month="2026-09", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    view = trend_view(ctx)
    assert view.skipped_reason is None and view.figure is not None and view.alt_text
    alerts = view.extra["alerts"]
    crisis = alerts[alerts["kpi"] == "negative_share"].iloc[0]
    assert crisis["owner"] == "Community team" and crisis["kind"] == "spike"
    assert crisis["contributors"][0]["name"] == "product recall"
    assert any("Negative share of mentions spiked from 13 Sep to 15 Sep 2026" in s for s in view.sentences)
    assert view.recommendations[0].priority == 1 and "product recall" in view.recommendations[0].action
    assert set(view.extra["comparisons"]["comparison"]) == {"previous_month", "same_month_last_year"}
    # the tests widen for swings and for runs of alike days (Newey-West), and the caveat says both
    comp = view.extra["comparisons"]
    wide = comp[(comp["dispersion"] > 1.5) & (comp["comparison"] == "previous_month")]
    assert len(wide)
    assert any(c.startswith("Day-to-day swings, and runs of good or bad days, are larger than pure chance for "
                            + str(wide["label"].iloc[0]).lower()) for c in view.caveats)


def test_posts_with_a_month_but_no_day_are_compared_but_not_tested() -> None:
    # exports like the UCI Facebook metrics data (Moro et al. 2016) give the month, not the day
    rng = np.random.default_rng(0)
    n = 200
    posts = pd.DataFrame({
        "post_id": pd.Series([f"p{i}" for i in range(n)], dtype="string"),
        "platform": pd.Series(["facebook"] * n, dtype="string"),
        "published_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
        "content_type": pd.Series(["image"] * n, dtype="string"),
        "impressions": rng.integers(1000, 5000, n), "reach": rng.integers(500, 1000, n),
        "likes": rng.integers(0, 100, n), "comments": rng.integers(0, 10, n), "shares": rng.integers(0, 10, n),
        "published_month": pd.Series([f"2014-{m:02d}" for m in rng.integers(1, 13, n)], dtype="string"),
    })
    data = ClientData(client="uci", data_dir=Path("."), tables={"posts": posts})
    row = compare_periods(data, "reach", month="2014-06").set_index("comparison").loc["previous_month"]
    june = posts.loc[posts["published_month"] == "2014-06", "reach"].sum()
    assert row["current"] == june and row["test"] == "none"
    assert row["verdict"] == "not tested (some rows have a month but no day)"
    assert daily_series(data, ["reach"]).attrs["skipped"] == ["reach"]


def test_data_ends_early_only_where_the_quiet_end_is_longer_than_any_gap_before() -> None:
    from kpi_toolkit.trends.comparisons import data_ends_early

    def client(days: pd.DatetimeIndex) -> ClientData:
        ones = np.ones(len(days))
        return _ads_client(days, ones, ones * 100, ones, ones * 10.0)

    every_day = pd.date_range("2026-06-01", "2026-10-20")
    assert data_ends_early(client(every_day), "ads", "2026-10", "UTC") == pd.Timestamp("2026-10-20")
    assert data_ends_early(client(every_day), "ads", "2026-09", "UTC") is None  # a full month
    assert data_ends_early(client(pd.date_range("2026-06-01", "2026-10-31")), "ads", "2026-10", "UTC") is None
    # a campaign paused for two weeks in July: 11 quiet days at October's end are within its habits
    paused = every_day[(every_day < "2026-07-06") | (every_day > "2026-07-19")]
    assert data_ends_early(client(paused), "ads", "2026-10", "UTC") is None
    # posts placed by a month alone cover their month
    month_only = ClientData(client="uci", data_dir=Path("."), tables={"posts": pd.DataFrame({
        "post_id": pd.Series(["p1", "p2"], dtype="string"),
        "published_at": pd.Series(pd.NaT, index=range(2), dtype="datetime64[ns, UTC]"),
        "published_month": pd.Series(["2014-05", "2014-06"], dtype="string")})})
    assert data_ends_early(month_only, "posts", "2014-06", "UTC") is None


def test_error_monthly_series_is_not_for_anomaly_detection() -> None:
    s = pd.Series(np.arange(24.0), index=pd.date_range("2024-01-01", periods=24, freq="MS"))
    with pytest.raises(ParameterError, match="a monthly series; spikes and dips are found in daily or finer"):
        detect_anomalies(s)


def test_comparisons_of_many_kpis_share_each_periods_values(demo_root: Path, monkeypatch) -> None:
    """core_comparisons computes each period once for all the core KPIs (PeriodUnits), with the same
    numbers as comparing each KPI on its own: 6 KPIs x 2 comparisons once took 48 compute_kpis calls."""
    from kpi_toolkit import kpis as kpis_mod
    from kpi_toolkit import report
    from kpi_toolkit.context import load_context
    from kpi_toolkit.trends import comparisons
    from kpi_toolkit.trends.report import _thresholds, core_comparisons, corrected_verdicts

    from .conftest import DEMO_END_MONTH

    ctx = load_context(client="demo-ledgerly", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    calls = []
    real = kpis_mod.compute_kpis

    def counting(*a, **k):
        calls.append(k.get("freq"))
        return real(*a, **k)

    monkeypatch.setattr(comparisons, "compute_kpis", counting)
    monkeypatch.setattr(kpis_mod, "compute_kpis", counting)
    snapshot = report.snapshot_table(ctx)  # this month, the previous one and a year ago (+ goal pacing)
    assert calls.count(None) == 3 and snapshot["value"].notna().all()
    calls.clear()
    shared = core_comparisons(ctx)
    kpis = list(ctx.params.core_kpis)
    assert len(kpis) >= 4 and set(shared["kpi"]) == set(kpis)
    assert calls == ["D"] * 3  # the days of the 3 periods, all KPIs at once; the totals were shared
    calls.clear()
    alone = pd.concat([compare_periods(ctx.data, k, month=ctx.month, tz=ctx.tz, brand=ctx.params.brand,
                                       sentiment_thresholds=_thresholds(ctx), alpha=ctx.params.trends.alpha)
                       for k in kpis], ignore_index=True)
    assert len(calls) == 6 * len(kpis)  # each KPI alone: the current month once for both comparisons
    # the same rows, whose verdicts core_comparisons then corrects for all the month's tests
    pd.testing.assert_frame_equal(shared, corrected_verdicts(alone, alpha=ctx.params.trends.alpha), check_like=False)
    assert shared["test"].ne("none").sum() >= 4  # the tests ran, not just the values


def test_an_ad_spend_alert_speaks_the_clients_currency_and_says_its_amounts_are_the_windows() -> None:
    """A USD client's Black Friday spend spike: the sentence and the cause are in dollars (the sentence
    said '€' for every client), and the campaign amounts are totals over the alert's days, said so."""
    from kpi_toolkit.params import TrendOptions
    from kpi_toolkit.periods import month_period
    from kpi_toolkit.trends import month_alerts

    days = pd.date_range("2026-08-01", "2026-11-30", freq="D")
    rng = np.random.default_rng(7)
    base = pd.DataFrame({"date": days, "campaign": "always-on", "spend": 100.0 + rng.normal(0, 5, len(days))})
    bf_days = pd.date_range("2026-11-23", "2026-11-28", freq="D")
    bf = pd.DataFrame({"date": bf_days, "campaign": "black-friday", "spend": 400.0})
    ads = pd.concat([base, bf], ignore_index=True).sort_values("date", kind="stable").reset_index(drop=True)
    ads = ads.assign(platform=pd.Series(["facebook"] * len(ads), dtype="string"),
                     campaign=ads["campaign"].astype("string"), impressions=np.int64(10_000),
                     clicks=np.int64(100), conversions=np.int64(5), revenue=ads["spend"] * 3.0)
    data = ClientData(client="acme", data_dir=Path("."), tables={"ads": ads})
    alerts = month_alerts(data, TrendOptions(), period=month_period("2026-11", "UTC"), kpis=["spend"],
                          currency="USD")
    spikes = alerts[alerts["kind"] == "spike"]
    assert len(spikes) == 1
    r = spikes.iloc[0]
    assert (pd.Timestamp(r["start"]).day, pd.Timestamp(r["end"]).day) == (23, 28)
    assert "€" not in r["explanation"] and r["explanation"].startswith("Ad spend spiked from 23 Nov to 28 Nov 2026: $")
    assert "Over those 6 days, most of the rise came from campaigns ‘black-friday’: $2,400 (usually $0)" \
        in r["explanation"]
    assert r["top_contributors"].startswith("‘black-friday’: $2,400 (usually $0)")
    # the value quoted is the most unusual day's, and the sentence says which day that was
    peak = pd.Timestamp(r["peak_at"])
    assert f"on {peak.day} Nov, its most unusual day, against about $" in r["explanation"]
    assert not any("€" in e for e in alerts["explanation"])
    # how far out, in words: not "robust standard deviations"
    assert f"), {abs(r['score']):.1f} times its usual day-to-day swing above normal ({r['severity']})." \
        in r["explanation"] and "standard deviation" not in r["explanation"]


def test_a_post_behind_an_alert_is_named_as_the_client_knows_it() -> None:
    from kpi_toolkit.trends.alerts import _post_names

    rows = pd.DataFrame({
        "post_id": ["ldg-ig-01579", "ldg-li-00002", "ldg-li-00003", "ldg-x-9"],
        "platform": ["instagram", "linkedin", "linkedin", "x"],
        "format": ["reel", "video", "video", "text"],
        # 23:30 UTC on 11 Nov is 12 Nov in Helsinki
        "published_at": pd.to_datetime(["2026-11-11 23:30", "2026-11-03 09:00", "2026-11-03 15:00",
                                        "2026-11-20 10:00"], utc=True)})
    assert list(_post_names(rows, "Europe/Helsinki")) == [
        "Instagram reel of 12 Nov", "LinkedIn video of 3 Nov, 11:00", "LinkedIn video of 3 Nov, 17:00",
        "X text of 20 Nov"]
    # the same minute: the start of the text; an id only for posts alike in every way the client sees
    same = rows.assign(published_at=rows["published_at"].iloc[1],
                       text=["a", "Five tips for year-end payroll, with a checklist", "Our new office", "a"],
                       platform="linkedin", format="video", post_id=["p1", "p2", "p3", "p4"])
    assert list(_post_names(same, "Europe/Helsinki")) == [
        "LinkedIn video of 3 Nov, 11:00: \"a\" (p1)", "LinkedIn video of 3 Nov, 11:00: \"Five tips for year-end payroll,…\"",
        "LinkedIn video of 3 Nov, 11:00: \"Our new office\"", "LinkedIn video of 3 Nov, 11:00: \"a\" (p4)"]


# ----------------------------------------------------------------------------------------------
# seasonal_adjust: a spike keeps its weekday's effect (audit: a 331-mention spike drawn at ~918)


def test_seasonal_adjust_subtracts_a_spike_days_weekday_effect_once() -> None:
    """Additive weekly pattern + noise + one Saturday spike. The model (decomposition.py) is
    value = level + weekday effect + noise, so the deseasonalised spike is its value less Saturday's
    effect: 400 - 20 = 380 by hand. The effect of a weekday belongs to all such weekdays: value -
    deseasonalised is the same on every Saturday, the spike's included. Estimating the effects with
    the spike left in gave 648 (its excess counted twice)."""
    rng = np.random.default_rng(RNG_SEED)
    idx = pd.date_range("2026-01-05", periods=140, freq="D")  # a Monday; 20 full weeks
    effect = np.array([-12.0, -5.0, 0.0, 0.0, 5.0, 20.0, -8.0])  # Monday..Sunday, summing to 0
    s = pd.Series(100.0 + effect[idx.day_of_week] + rng.normal(0, 1, 140), index=idx)
    assert idx[75].day_name() == "Saturday"
    s.iloc[75] = 400.0
    adj = seasonal_adjust(s, transform="none")
    assert adj["is_outlier"].iloc[75]
    assert adj["deseasonalised"].iloc[75] == pytest.approx(400.0 - 20.0, abs=1.0)
    removed = (adj["value"] - adj["deseasonalised"]).groupby(idx.day_of_week)
    assert (removed.max() - removed.min()).max() < 1e-9  # one effect per weekday, spike day included
    np.testing.assert_allclose(removed.first().to_numpy(), effect, atol=1.0)
    assert adj["level"].iloc[75] == pytest.approx(100.0, abs=1.0)  # the spike is not in the level
    assert adj["deseasonalised"].drop(idx[75]).max() < 110  # nor anywhere else


def test_seasonal_adjust_count_spike_is_not_inflated() -> None:
    """Poisson counts with a multiplicative weekly pattern (Saturday x1.25) and a Saturday spike of 600.
    On the Anscombe scale Saturday's effect is 2 sqrt(125 + 3/8) - mean_d 2 sqrt(100 w_d + 3/8) = 2.39
    (Anscombe 1948), so by hand the deseasonalised spike is about ((2 sqrt(600.375) - 2.39) / 2)^2 - 3/8
    = 543: below the value, as for any busy weekday (it was 1,295 with the spike in the effects)."""
    from kpi_toolkit.trends.anomalies import anscombe

    rng = np.random.default_rng(RNG_SEED)
    idx = pd.date_range("2026-01-05", periods=140, freq="D")
    w = np.array([0.9, 0.95, 1.0, 1.0, 1.05, 1.25, 0.85])
    c = pd.Series(rng.poisson(100 * w[idx.day_of_week]).astype("float64"), index=idx)
    c.iloc[75] = 600.0
    adj = seasonal_adjust(c)
    assert adj.attrs["transform"] == "anscombe"
    assert adj["deseasonalised"].iloc[75] == pytest.approx(543, rel=0.03)
    removed = pd.Series(anscombe(adj["value"].to_numpy()) - anscombe(adj["deseasonalised"].to_numpy()))
    spread = removed.groupby(idx.day_of_week).agg(lambda x: x.max() - x.min())
    assert spread.max() < 1e-9


def test_truth_spike_days_keep_their_weekdays_effect(brand_mentions: dict, demo_truth: dict) -> None:
    """On the demo clients' brand mentions (planted spikes, a level shift, weekly and yearly patterns):
    the effect removed on a spike day equals that of every other day of its weekday and month, and the
    largest deseasonalised day is not far above the largest value (it was 2.8 x on demo-ledgerly)."""
    from kpi_toolkit.trends.anomalies import anscombe

    for client in demo_truth["clients"]:
        adj = seasonal_adjust(brand_mentions[client]["mentions"].dropna())
        assert adj["is_outlier"].any(), client
        removed = pd.Series(anscombe(adj["value"].to_numpy()) - anscombe(adj["deseasonalised"].to_numpy()),
                            index=adj.index)
        keys = [adj.index.day_of_week, adj.index.month] if adj.attrs["yearly"] else [adj.index.day_of_week]
        spread = removed.groupby(keys).agg(lambda x: x.max() - x.min())
        assert spread.max() < 1e-6, client
        assert adj["deseasonalised"].max() <= 1.5 * adj["value"].max(), client


# ----------------------------------------------------------------------------------------------
# explain_alerts: a post is typical or not among its own platform's posts


def _peer_posts() -> pd.DataFrame:
    base = pd.Timestamp("2026-10-20 10:00", tz="UTC")
    rows = [("li-a", "linkedin", 300), ("li-b", "linkedin", 400), ("li-c", "linkedin", 500),
            ("x-a", "x", 10), ("x-b", "x", 20), ("x-c", "x", 30), ("x-d", "x", 40)]
    frame = pd.DataFrame([{"post_id": p, "platform": pl, "engagements": float(e),
                           "published_at": base + pd.Timedelta(days=i)} for i, (p, pl, e) in enumerate(rows)])
    spike_day = pd.Timestamp("2026-11-10 09:00", tz="UTC")
    new = pd.DataFrame({"post_id": ["li-new", "x-new", "tt-new"], "platform": ["LinkedIn", "X", "TikTok"],
                        "engagements": [1000.0, 100.0, 80.0], "published_at": [spike_day] * 3})
    frame["platform"] = frame["platform"].map({"linkedin": "LinkedIn", "x": "X"})
    return pd.concat([frame, new], ignore_index=True)


def test_explain_alerts_per_post_compares_each_post_with_its_platform() -> None:
    """Hand values: baseline LinkedIn posts 300/400/500 (median 400), X posts 10/20/30/40 (median 25),
    all seven (median 40). The TikTok post has no TikTok baseline: it falls back to all posts (40). The
    ranking is by excess over the peer's usual value: 600, 75, 40."""
    windows = pd.DataFrame({"start": [pd.Timestamp("2026-11-10")], "end": [pd.Timestamp("2026-11-10")],
                            "kind": ["spike"]})
    rows = _peer_posts()
    out = explain_alerts(windows, rows, time_col="published_at", by="post_id", weight="engagements", tz="UTC",
                         per_item=True, peer="platform")
    assert out["contributors"].iloc[0] == [
        {"name": "li-new", "in_window": 1000.0, "usual": 400.0, "excess": 600.0, "peer": "LinkedIn"},
        {"name": "x-new", "in_window": 100.0, "usual": 25.0, "excess": 75.0, "peer": "X"},
        {"name": "tt-new", "in_window": 80.0, "usual": 40.0, "excess": 40.0, "peer": None},
    ]
    assert out["top_contributors"].iloc[0] == ("li-new: 1,000 (a typical one on LinkedIn: 400); "
                                               "x-new: 100 (a typical one on X: 25); "
                                               "tt-new: 80 (a typical one overall: 40)")
    # without a peer column every post is set against all posts, as before
    plain = explain_alerts(windows, rows, time_col="published_at", by="post_id", weight="engagements", tz="UTC",
                           per_item=True)
    assert [c["usual"] for c in plain["contributors"].iloc[0]] == [40.0, 40.0, 40.0]
    assert plain["top_contributors"].iloc[0].startswith("li-new: 1,000 (a typical one: 40)")
    with pytest.raises(ParameterError, match="rows have no column 'channel' to compare items with their peers"):
        explain_alerts(windows, rows, time_col="published_at", by="post_id", per_item=True, peer="channel")


def test_month_alerts_name_a_posts_usual_from_its_own_platform() -> None:
    """An engagements spike made by one LinkedIn post, on a client whose LinkedIn posts get ~400 and
    X posts ~20 engagements a day: the usual LinkedIn post is 400 (the median of the 28 days before),
    not the ~190 of all posts (between the two platforms); the post is named by its platform and
    content_type (the canonical column; the name said "post" for every post)."""
    from kpi_toolkit.params import TrendOptions
    from kpi_toolkit.periods import month_period
    from kpi_toolkit.trends import month_alerts

    rng = np.random.default_rng(RNG_SEED)
    days = pd.date_range("2026-08-01 10:00", "2026-11-30 10:00", freq="D", tz="UTC")
    n = len(days)
    li = 400 + rng.integers(-40, 41, n)
    spike = days.get_loc(pd.Timestamp("2026-11-20 10:00", tz="UTC"))
    li[spike] = 3000
    posts = pd.DataFrame({
        "post_id": [f"li-{i}" for i in range(n)] + [f"x-{i}" for i in range(n)],
        "platform": ["linkedin"] * n + ["x"] * n,
        "published_at": list(days) + list(days + pd.Timedelta(hours=2)),
        "content_type": ["video"] * n + ["text"] * n,
        "impressions": 10_000, "reach": 5_000,
        "likes": np.r_[li, 20 + rng.integers(-3, 4, n)], "comments": 0, "shares": 0,
    })
    data = ClientData(client="acme", data_dir=Path("."), tables={"posts": posts})
    alerts = month_alerts(data, TrendOptions(), period=month_period("2026-11", "UTC"), kpis=["engagements"])
    top = alerts[alerts["kind"] == "spike"].iloc[0]["contributors"][0]
    base = (days >= pd.Timestamp("2026-10-23", tz="UTC")) & (days < pd.Timestamp("2026-11-20", tz="UTC"))
    assert top["name"] == "LinkedIn video of 20 Nov" and top["peer"] == "LinkedIn"
    assert top["usual"] == float(np.median(li[base]))
    assert 360 <= top["usual"] <= 440
    assert "LinkedIn video of 20 Nov: 3,000 (a typical one on LinkedIn: " in alerts["explanation"].iloc[0]


# ----------------------------------------------------------------------------------------------
# words and tables of the trend notebook


def test_change_short_matches_the_snapshots_change_text() -> None:
    """Rates in points, others in per cent, as report._change_text (hand values from tests/test_report.py)."""
    from kpi_toolkit.report import _change_text
    from kpi_toolkit.trends import change_short

    assert change_short(0.042, 0.038, "fraction") == "+0.4 pts"  # audit: it read "+10 %"
    assert change_short(0.358, 0.389, "fraction") == "-3.1 pts"  # audit: it read "-8 %"
    assert change_short(0.0072, 0.0083, "fraction") == "-0.11 pts"
    assert change_short(0.0091, 0.00909, "fraction") == "0 pts"
    assert change_short(435_782, 323_894, "count") == "+35 %"
    assert change_short(99.8, 100.0, "count") == "0 %"
    assert change_short(1.0, 0.0, "count") == "n/a" and change_short(math.nan, 1.0, "ratio") == "n/a"
    grid = [(0.061, 0.058, "fraction"), (0.0091, 0.00946, "fraction"), (0.045, 0.0456, "fraction"),
            (120.0, 100.0, "count"), (2.0, 2.5, "ratio"), (1.0, 0.0, "count"), (3.0, 2.0, "currency")]
    assert [change_short(*g) for g in grid] == [_change_text(*g) for g in grid]


def test_comparisons_and_trailing_tables_speak_words_and_points() -> None:
    from kpi_toolkit.trends import comparisons_table, trailing_12_months_table

    days = pd.date_range("2025-09-01", "2026-10-31", freq="D")
    data = _ads_client(days, clicks=np.full(len(days), 10), impressions=np.full(len(days), 1000),
                       conversions=np.full(len(days), 5), spend=np.full(len(days), 100.0))
    weeks = compare_weeks(data, "ctr", week="2026-W40")
    table = comparisons_table(weeks, currency="EUR")
    assert list(table["Against"]) == ["previous week", "same week last year"]  # not "previous_week"
    assert list(table["Compared with"]) == ["2026-W39", "2025-W40"] and list(table["Now"]) == ["1.0 %", "1.0 %"]
    months = compare_periods(data, "ctr", month="2026-10")
    assert list(comparisons_table(months)["Against"]) == ["previous month", "same month last year"]
    r12 = pd.DataFrame({"kpi": ["engagement_rate_by_reach", "reach"], "label": ["Engagement rate", "Reach"],
                        "unit": ["fraction", "count"], "month": ["2026-11", "2026-11"],
                        "value": [0.042, 435_782.0], "last_year": [0.038, 323_894.0], "yoy_change": [0.105, 0.345],
                        "ttm": [0.038, 4_200_000.0]})
    pd.testing.assert_frame_equal(trailing_12_months_table(r12), pd.DataFrame({
        "Measure": ["Engagement rate", "Reach"], "This month": ["4.2 %", "435,782"],
        "vs a year earlier": ["+0.4 pts", "+35 %"], "Trailing 12 months": ["3.8 %", "4.2 M"]}))


def test_trend_slope_table_says_in_words_whether_the_yearly_pattern_was_removed() -> None:
    from kpi_toolkit.trends import slope_table, yearly_removed_words

    long = pd.Series({"yearly_removed": True, "start": pd.Timestamp("2024-12-01"), "end": pd.Timestamp("2026-11-30")})
    short = pd.Series({"yearly_removed": False, "start": pd.Timestamp("2026-09-01"),
                       "end": pd.Timestamp("2026-11-29")})  # 90 days: 3 months
    forced = pd.Series({"yearly_removed": False, "start": pd.Timestamp("2024-12-01"),
                        "end": pd.Timestamp("2026-11-30")})
    assert yearly_removed_words(long) == "yes"
    assert yearly_removed_words(short) == "no: needs about 20 months of data, the window has 3 months"
    assert yearly_removed_words(forced) == "no"
    idx = pd.date_range("2026-01-01", periods=180, freq="D")
    s = pd.Series(100 + 0.5 * np.arange(180) + np.random.default_rng(2).normal(0, 5, 180), index=idx)
    shown = slope_table({"whole history": trend_slope(s)})
    assert shown["Yearly pattern removed"].tolist() == ["no: needs about 20 months of data, the window has 6 months"]
    assert shown["Yearly pattern removed"].map(type).eq(str).all()  # words, not True / False
    # demo-lumiere 2025-01 (two months of mentions) showed "p-value 0.0" for a clear slope
    assert shown["p-value"].tolist() == ["< 0.001"]
    flat = pd.Series(100 + np.random.default_rng(3).normal(0, 5, 180), index=idx)
    p = float(trend_slope(flat)["p_value"].iloc[0])
    assert slope_table({"last 90 days": trend_slope(flat)})["p-value"].tolist() == [f"{p:.2f}" if p >= 0.1 else f"{p:.3f}"]


def test_rolling_12_sentences_count_the_months_above_a_year_earlier() -> None:
    """Hand count: reach above its year-earlier month in 9 of 12 months, November +35 %; the rate's
    change in points; a KPI without a year earlier says so."""
    from kpi_toolkit.trends import rolling_12_sentences

    months = [f"{y}-{m:02d}" for y, m in [(2025, 12), *[(2026, k) for k in range(1, 12)]]]
    last_year = np.full(12, 100.0)
    value = np.array([90, 95, 99, *[110] * 8, 135], dtype="float64")  # 3 below, 9 above
    rate_now = np.r_[np.full(11, 0.04), 0.042]
    r12 = pd.concat([
        pd.DataFrame({"kpi": "reach", "label": "Reach", "unit": "count", "month": months, "value": value,
                      "last_year": last_year}),
        pd.DataFrame({"kpi": "er", "label": "Engagement rate", "unit": "fraction", "month": months,
                      "value": rate_now, "last_year": np.r_[np.full(6, np.nan), np.full(6, 0.038)]}),
        pd.DataFrame({"kpi": "new", "label": "Saves", "unit": "count", "month": months, "value": 1.0,
                      "last_year": np.nan}),
    ], ignore_index=True)
    assert rolling_12_sentences(r12) == [
        "Reach: above the same month a year earlier in 9 of the last 12 months; November 2026 up 35 % on "
        "November 2025.",
        "Engagement rate: above the same month a year earlier in all 6 months with a value a year earlier; "
        "November 2026 up 0.4 percentage points on November 2025.",
        "Saves: no values a year earlier to compare with.",
    ]


def test_month_of_year_sentence_against_earlier_years() -> None:
    """November 2026 = 2,400 against Novembers 2024 (1,800) and 2025 (2,200): average 2,000, up 20 %;
    of January-November 2026, the months above their earlier years' average: 10 of 11 (hand-set)."""
    from kpi_toolkit.trends import month_of_year_sentence

    rows = []
    for year, factor in ((2024, 0.9), (2025, 1.1), (2026, 1.2)):
        for m in range(1, 13):
            v = 2000.0 * factor
            if year == 2026 and m == 3:
                v = 1000.0  # the one month below its earlier years
            rows.append({"year": year, "month_of_year": m, "month": f"{year}-{m:02d}",
                         "value": np.nan if (year, m) == (2026, 12) else v})
    moy = pd.DataFrame(rows)
    assert month_of_year_sentence(moy, label="Brand mentions", unit="count", month="2026-11") == (
        "Brand mentions in November 2026: 2,400, up 20 % on the average November of 2024 and 2025; 10 of the "
        "11 months of 2026 so far were above the same month's average in earlier years.")
    first = moy[moy["year"] == 2024]
    assert month_of_year_sentence(first, label="Brand mentions", unit="count", month="2024-11") == (
        "Brand mentions in November 2024: 1,800; no earlier November to compare with.")


def _decomposed(seasonal: np.ndarray, trend: np.ndarray, start: str = "2025-06-02") -> pd.DataFrame:
    idx = pd.date_range(start, periods=len(trend), freq="D")
    s7 = seasonal[idx.day_of_week]
    return pd.DataFrame({"observed": trend + s7, "trend": trend, "seasonal_7": s7, "seasonal": s7,
                         "resid": 0.0, "deseasonalised": trend}, index=idx)


def test_seasonal_pattern_sentences_name_the_peak_weekday_and_the_trend() -> None:
    """Weekly effects -12, -5, 0, 0, +5, +20, -8 on a level of 100: Saturdays 20 % above the weekly
    average, Mondays 12 % below. Trend rising 0.05 a day over 400 days: 119.95 on the last day, 101.75
    on the day 364 days before: up 18 %."""
    from kpi_toolkit.trends import seasonal_pattern_sentences

    effect = np.array([-12.0, -5.0, 0.0, 0.0, 5.0, 20.0, -8.0])
    flat = _decomposed(effect, np.full(400, 100.0))
    assert seasonal_pattern_sentences(flat, label="Brand mentions", unit="count")[0] == (
        "Brand mentions: highest on Saturdays, 20 % above the weekly average, and lowest on Mondays, 12 % below "
        "(last 13 weeks).")
    rising = _decomposed(effect, 100 + 0.05 * np.arange(400))
    assert seasonal_pattern_sentences(rising, label="Brand mentions", unit="count")[1] == (
        "Without the weekly pattern, the level on 6 Jul 2026 is about 120 a day, against 102 a year earlier (up 18 %).")
    rate = _decomposed(effect / 10_000, np.full(400, 0.04))  # a rate of 4 %: Saturdays +0.2 points
    assert seasonal_pattern_sentences(rate, label="Engagement rate", unit="fraction")[0] == (
        "Engagement rate: highest on Saturdays, 0.2 percentage points above the weekly average, and lowest on "
        "Mondays, 0.1 percentage points below (last 13 weeks).")
    quiet = _decomposed(effect / 100, np.full(400, 100.0))
    assert seasonal_pattern_sentences(quiet, label="Reach", unit="count")[0] == (
        "Reach: hardly any weekly pattern, every weekday within 2 % of the weekly average (last 13 weeks).")


def test_level_sentence_names_the_spikes_the_month_total_includes() -> None:
    """demo-lumiere, 2026-10: the level (robust STL trend) read "down 14 %" on a year earlier while the
    month-of-year sentence read October "up 12 %", because October's total counts a product-recall
    spike that the trend leaves out. Here: flat Poisson counts around 100 for 400 days, with 13-14 Oct
    (the last month) at 300 and 280: the trend stays near 100 and the sentence names the spike days,
    and says the month's total includes them. Without a spike in the last month, nothing is named."""
    from kpi_toolkit.trends import seasonal_pattern_sentences

    s = _daily(400, start="2025-09-27")  # ends 31 Oct 2026
    s.loc["2026-10-13"], s.loc["2026-10-14"] = 300.0, 280.0
    level = seasonal_pattern_sentences(decompose(s), label="Brand mentions", unit="count")[-1]
    assert level.startswith("Without the weekly pattern, the level on 31 Oct 2026 is about ")
    assert level.endswith(" This level is the smoothed trend: it leaves out the spike of 13–14 Oct, which the "
                          "total of October 2026 includes.")
    quiet = seasonal_pattern_sentences(decompose(_daily(400, start="2025-09-27")), label="Brand mentions",
                                       unit="count")[-1]
    assert "leaves out" not in quiet and quiet.startswith("Without the weekly pattern, the level on 31 Oct 2026")


def test_seasonal_pattern_sentences_from_a_real_decomposition() -> None:
    """STL on Poisson counts whose Saturdays are 1.15 x and Mondays 0.9 x the level (the _daily helper)."""
    from kpi_toolkit.trends import seasonal_pattern_sentences

    words = seasonal_pattern_sentences(decompose(_daily(182, level=200)), label="Mentions", unit="count")
    assert words[0].startswith("Mentions: highest on Saturdays, ") and ", and lowest on Mondays, " in words[0]


def test_level_shift_sentences() -> None:
    from kpi_toolkit.trends import level_shift_sentences

    shifts = pd.DataFrame({"date": [pd.Timestamp("2025-08-07")], "before": [48.0], "after": [70.5],
                           "change": [22.5], "rel_change": [22.5 / 48], "size_sd": [6.0]})
    assert level_shift_sentences(shifts, unit="count") == [
        "On 7 Aug 2025 the level rose from about 48 to 70 a day (up 47 %)."]  # 70.5 shows as 70 (banker's)
    assert level_shift_sentences(shifts.iloc[:0], unit="count") == [
        "No lasting change of level: the series moved only with its seasonal pattern and short spikes."]


def test_anomaly_sentence_counts_the_windows_shown_and_names_the_largest() -> None:
    from kpi_toolkit.trends import anomaly_sentence

    s = _daily(150)
    s.iloc[20] = 400.0  # before the stretch shown: not counted
    s.iloc[100:102] = [300.0, 320.0]  # one spike over two days
    s.iloc[120] = 500.0  # the largest
    s.iloc[80] = 5.0  # a dip
    res = detect_anomalies(s)
    start = s.index[60]
    assert set(alert_windows(res)["start"]) >= {s.index[20], s.index[80], s.index[100], s.index[120]}
    exp = res["expected"].iloc[120]
    text = anomaly_sentence(res, label="Brand mentions", unit="count", start=start)
    assert text == (f"Brand mentions: 2 spikes and 1 dip since 2 Mar; the largest on 1 May "
                    f"(500 against about {exp:,.0f} expected).")
    assert 90 <= exp <= 125  # the Friday level of _daily: 100 x 1.05, give or take
    quiet = detect_anomalies(_daily(150, seed=7))
    assert anomaly_sentence(quiet, label="Reach", unit="count", start=start) == (
        "Reach: no spike or dip beyond the alert threshold since 2 Mar.")
    assert anomaly_sentence(quiet, label="Reach", unit="count") == (
        "Reach: no spike or dip beyond the alert threshold since 1 Jan 2026.")
    # data that starts after the stretch asked for: "since" its first day, not a day without data
    late = quiet.copy()
    late.loc[late.index[:90], "value"] = float("nan")
    assert anomaly_sentence(late, label="Reach", unit="count", start=start) == (
        f"Reach: no spike or dip beyond the alert threshold since {late['timestamp'].iloc[90]:%-d %b %Y}.")


def test_alerts_on_posts_with_a_month_but_no_day_say_so() -> None:
    """An export with month-level dates only: the alert is not checked, and the reason is the missing
    day, not 'no posts data' (the posts are there)."""
    from kpi_toolkit.data import ClientData
    from kpi_toolkit.params import TrendOptions
    from kpi_toolkit.periods import month_period
    from kpi_toolkit.trends import month_alerts

    posts = pd.DataFrame({"post_id": ["a", "b"], "platform": ["facebook", "facebook"],
                          "published_at": pd.to_datetime([None, None], utc=True),
                          "published_month": ["2026-10", "2026-10"], "content_type": ["image", "image"],
                          "impressions": [10, 20], "reach": [8, 15], "likes": [1, 2], "comments": [0, 0],
                          "shares": [0, 0]})
    data = ClientData(client="x", data_dir=Path("."), tables={"posts": posts})
    out = month_alerts(data, TrendOptions(), period=month_period("2026-10", "UTC"), kpis=["engagements"])
    assert out.empty
    assert out.attrs["skipped"] == [
        ("engagements", "the posts data gives a month but no day for its rows, and alerts are found day by day")]


def test_the_trend_section_says_when_the_data_is_too_new_for_a_trend(demo_root) -> None:
    """A client with two months of data had a chart of one or two points on a 12-month axis, unsaid."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.schema import TABLES
    from kpi_toolkit.trends import trend_view

    ctx = load_context(client="demo-ledgerly", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    assert not any("The data begins in" in s for s in trend_view(ctx).sentences)
    ctx.cache.clear()
    for name, df in list(ctx.data.tables.items()):
        col = TABLES[name].time_col
        if col and col in df.columns:
            t = pd.to_datetime(df[col].astype(str).str[:10])
            ctx.data.tables[name] = df[(t >= pd.Timestamp("2026-09-01")).to_numpy(dtype=bool)]
    said = [s for s in trend_view(ctx).sentences if s.startswith("The data begins in")]
    assert said == ["The data begins in September 2026: 2 months so far and no year before to compare with, "
                    "too few to show a trend. The chart of the last 12 months starts once 3 months have data."]


def test_no_trend_chart_from_one_or_two_months(demo_root) -> None:
    """A new client's first reports (posts from September, report for October) drew the 12-month chart
    from two points: one steep segment on an axis cut to the two values (reach 102,670 -> 101,221 looked
    like a collapse) beside 'within normal variation'; a first month drew lone dots. From three months
    the chart is drawn and says how many months it has."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.schema import TABLES
    from kpi_toolkit.trends import trend_view

    def cut(ctx, first: str) -> None:
        ctx.cache.clear()
        for name, df in list(ctx.data.tables.items()):
            col = TABLES[name].time_col
            if col and col in df.columns:
                t = pd.to_datetime(df[col].astype(str).str[:10])
                ctx.data.tables[name] = df[(t >= pd.Timestamp(first)).to_numpy(dtype=bool)]

    ctx = load_context(client="demo-ledgerly", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    for first, months, drawn in (("2026-08-01", 3, True), ("2026-09-01", 2, False), ("2026-10-01", 1, False)):
        cut(ctx, first)
        view = trend_view(ctx)
        assert (view.figure is not None) is drawn, (first, view.sentences)
        assert bool(view.alt_text) is drawn
        said = [s for s in view.sentences if s.startswith("The data begins in")]
        assert len(said) == 1 and f"{months} month" in said[0], said
        assert not any("The chart draws" in s for s in view.sentences) or drawn


def test_a_total_over_a_partly_covered_month_is_compared_per_day() -> None:
    """Data that ends on 15 October: 15 days of October against 30 of September. The totals read "down 40 %"
    while the conversions per day rose 20 %, and the Poisson test (counts per day of exposure) compares
    the daily rates: the words must say the change the test is about."""
    from kpi_toolkit.trends import change_phrase, partly_covered

    days = pd.date_range("2026-09-01", "2026-10-15", freq="D")
    october = (days.month == 10).astype(int)
    data = _ads_client(days, clicks=np.full(len(days), 10), impressions=np.full(len(days), 1000),
                       conversions=5 + october, spend=np.full(len(days), 100.0))
    row = compare_periods(data, "conversions", month="2026-10").set_index("comparison").loc["previous_month"]
    assert (row["current"], row["baseline"]) == (90, 150)  # 15 x 6 against 30 x 5
    assert (row["current_days"], row["current_period_days"], row["baseline_days"]) == (15, 31, 30)
    assert partly_covered(row) and change_phrase(row) == "up 20 % per day"
    assert row["summary"].startswith("up 20 % per day (down 40 % in total, over 15 days with data against 30), ")
    # a rate is comparable over any stretch of days: its change is the rate's own
    ctr = compare_periods(data, "ctr", month="2026-10").set_index("comparison").loc["previous_month"]
    assert change_phrase(ctr) == "unchanged"
    # two whole months of different lengths keep the change of the totals (the per-day one beside it)
    full = pd.date_range("2026-09-01", "2026-10-31", freq="D")
    whole = _ads_client(full, clicks=np.full(len(full), 10), impressions=np.full(len(full), 1000),
                        conversions=5 + (full.month == 10).astype(int), spend=np.full(len(full), 100.0))
    row = compare_periods(whole, "conversions", month="2026-10").set_index("comparison").loc["previous_month"]
    assert not partly_covered(row) and change_phrase(row) == "up 24 %"


def test_the_many_tests_caveat_counts_chance_verdicts_right(demo_root: Path) -> None:
    """The caveat had said "at the 5 % level about one in 20 'unlikely to be chance' verdicts can still be
    chance": that is the share of verdicts that are false (which the 5 % level does not bound), not the
    chance of a false verdict per test. With 12 tests about 12 x 0.05 = 0.6 false verdicts are expected
    from chance alone; Holm's correction (hand-computed here) says which verdicts survive all 12 tests.
    It now speaks of results below p = 0.05, and says that only those that hold are called "unlikely to be
    chance", as the report's sentences do (it had said "a test reads 'unlikely to be chance' ... of the 3
    here, 2 still hold" beside a report that called the third one that could still be chance)."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.trends import trend_view
    from kpi_toolkit.trends.report import multiple_testing_sentence

    comp = pd.DataFrame({"test": ["two-proportion z-test"] * 12 + ["none"],
                         "p_value": [0.0003, 0.0031, 0.0045, 0.009, 0.016] + [0.3] * 7 + [np.nan]})
    # Holm: 0.0003 x 12, 0.0031 x 11, 0.0045 x 10 are below 0.05; 0.009 x 9 = 0.081 is not, and stops
    assert multiple_testing_sentence(comp) == (
        "12 comparisons were tested. Even for a measure that did not really change, a test comes out below "
        "p = 0.05 one time in 20, so in 12 tests about 0.6 such results are expected from chance alone; of "
        "the 5 here, 3 still hold after a correction for the 12 tests (Holm), and the report calls only those "
        "'unlikely to be chance'.")
    one = comp.assign(p_value=[0.04] + [0.3] * 11 + [np.nan])
    assert multiple_testing_sentence(one).endswith("; the one here does not hold after a correction for the "
                                                   "12 tests (Holm), so the report calls it one that could "
                                                   "still be chance.")
    # 0.0003 x 12 and 0.0031 x 11 are below 0.05: both hold
    two = comp.assign(p_value=[0.0003, 0.0031] + [0.3] * 10 + [np.nan])
    assert multiple_testing_sentence(two).endswith("of the 2 here, all still hold after a correction for the 12 "
                                                   "tests (Holm), and the report calls each 'unlikely to be "
                                                   "chance'.")
    assert multiple_testing_sentence(comp.assign(p_value=0.5)).endswith("expected from chance alone.")
    assert multiple_testing_sentence(comp.head(4)) is None
    assert "one time in 10" in multiple_testing_sentence(comp, alpha=0.1)

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    caveats = trend_view(ctx).caveats
    assert not any("verdicts can still be chance" in c for c in caveats)
    assert any(c.startswith("12 comparisons were tested. Even for a measure that did not really change")
               for c in caveats)


def test_a_weekly_pattern_is_not_stated_when_the_weeks_cannot_tell_it_from_noise() -> None:
    """STL always returns a weekly part. On 13 weeks of over-dispersed counts with no weekday effect at
    all the caption had read "highest on <day>, n % above the weekly average, and lowest on <day>, m %
    below" (demo-lumiere: "lowest on Wednesdays, 14 % below" where TRUTH.json plants -3 %). The weekdays
    are now tested (Kruskal-Wallis on the values without their trend, checked against scipy here)."""
    from scipy import stats

    from kpi_toolkit.trends import seasonal_pattern_sentences
    from kpi_toolkit.trends.captions import weekday_p_value

    rng = np.random.default_rng(7)
    idx = pd.date_range("2026-01-01", periods=182, freq="D")
    noise = pd.Series(rng.negative_binomial(8, 8 / (8 + 80.0), len(idx)).astype("float64"), index=idx)
    dec = decompose(noise)
    recent = dec.iloc[-91:]
    detrended = recent["observed"] - recent["trend"]
    ref = stats.kruskal(*[detrended[recent.index.day_of_week == d] for d in range(7)]).pvalue
    assert weekday_p_value(recent, recent.index) == pytest.approx(ref) and ref > 0.05
    words = seasonal_pattern_sentences(dec, label="Mentions", unit="count")[0]
    assert words.startswith("Mentions: no weekly pattern stands out from the day-to-day swings of the last 13 "
                            "weeks (") and words.endswith(f"could be chance: {format_p(ref)}).")
    # a real pattern is still named (the _daily helper: Saturdays 1.15 x, Mondays 0.9 x)
    real = seasonal_pattern_sentences(decompose(_daily(182, level=200)), label="Mentions", unit="count")[0]
    assert real.startswith("Mentions: highest on Saturdays, ")


def test_the_trend_notebooks_year_on_year_captions_compare_a_partly_covered_month_per_day() -> None:
    """An export that ends on 15 October 2026. The rolling-12 caption had read "October 2026 down 42 % on
    October 2025" (90 conversions in 15 days against 155 in 31) while the conversions per day rose 20 %;
    the month-of-year caption and the trailing-12-months table said the same."""
    from kpi_toolkit.trends import (
        month_of_year_sentence,
        rolling_12_sentences,
        trailing_12_months_table,
    )

    days = pd.date_range("2025-09-01", "2026-10-15", freq="D")
    conv = np.where((days.year == 2026) & (days.month == 10), 6, 5)
    data = _ads_client(days, clicks=np.full(len(days), 10), impressions=np.full(len(days), 1000),
                       conversions=conv, spend=np.full(len(days), 100.0))
    r12 = rolling_12_months(data, ["conversions"], month="2026-10")
    last = r12.iloc[-1]
    assert (last["value"], last["last_year"], last["days"], last["month_days"]) == (90, 155, 15, 31)
    assert rolling_12_sentences(r12) == ["Conversions (ads): above the same month a year earlier in 1 of the 2 "
                                         "months with a value a year earlier; October 2026 (15 days with data) up "
                                         "20 % per day on October 2025."]
    assert trailing_12_months_table(r12)["vs a year earlier"].tolist() == ["+20 % per day"]
    moy = month_of_year(data, "conversions", month="2026-10", years=2)
    assert month_of_year_sentence(moy, label="Conversions", unit="count", month="2026-10") == (
        "Conversions in October 2026: 90 over its 15 days with data, up 20 % per day on the October of 2025; "
        "1 of the 2 months of 2026 so far were above the same month's average in earlier years.")
    # whole months keep their totals
    whole = rolling_12_months(data, ["conversions"], month="2026-09")
    assert rolling_12_sentences(whole)[0].endswith("; September 2026 unchanged on September 2025.")


def test_the_forecast_total_has_the_likely_range_of_the_summed_simulated_paths() -> None:
    """The trend notebook said "Expected over the next 30 days: about 2,981 in total" with no range.
    The range is that of each simulated future's total (Hyndman & Athanasopoulos 2021, §8.7), not the
    sum of the days' own bounds. Hand case: 101 futures, future j at j every day for 10 days; totals
    0, 10, ..., 1000, whose 5th and 95th percentiles are 50 and 950 (np.quantile's linear rule on 101
    points lands on the 6th and 96th). Closed form: 30 independent days of N(100, 10²) total N(3000,
    30 · 10²), 90 % range 3000 ± 1.645 · 10 · √30 = ±90, where adding up the days' bounds gives ±493."""
    from kpi_toolkit.trends import ForecastPaths, forecast_paths, forecast_sentence

    idx = pd.date_range("2026-12-01", periods=10, freq="D")
    hand = ForecastPaths(index=idx, point=np.full(10, 50.0), paths=np.repeat(np.arange(101.0)[:, None], 10, axis=1),
                         model="ETS(A,Ad,A)")
    assert hand.horizon_total(level=0.9) == pytest.approx((500.0, 50.0, 950.0))
    assert forecast_sentence(hand, unit="count") == (
        "Model: ETS(A,Ad,A). Expected over the next 10 days: about 500 in total, likely between 50 and 950 "
        "(90 % of 101 simulated futures; a sum of daily values).")
    # a rate is not added up over days: the average day, and the range of each future's average
    rate = ForecastPaths(index=idx, point=np.full(10, 0.05), paths=np.repeat(np.linspace(0.0, 0.1, 101)[:, None], 10,
                                                                             axis=1), model="ETS(A,Ad,A)")
    assert forecast_sentence(rate, unit="fraction", total=False) == (
        "Model: ETS(A,Ad,A). Expected over the next 10 days: about 5.0 % a day on average, likely between 0.50 % "
        "and 9.5 % (90 % of 101 simulated futures; an average of the daily values).")

    rng = np.random.default_rng(42)
    iid = ForecastPaths(index=pd.date_range("2026-12-01", periods=30, freq="D"), point=np.full(30, 100.0),
                        paths=rng.normal(100.0, 10.0, size=(4000, 30)), model="iid")
    point, lo, hi = iid.horizon_total(level=0.9)
    half = 1.6449 * 10.0 * math.sqrt(30)  # 90.1
    assert point == 3000.0 and lo == pytest.approx(3000 - half, abs=6) and hi == pytest.approx(3000 + half, abs=6)
    daily = iid.summary(level=0.9)
    assert daily["upper"].sum() - daily["lower"].sum() > 5 * (hi - lo)  # the days' bounds added up: far wider
    with pytest.raises(ParameterError, match="how must be 'sum' or 'mean'"):
        iid.horizon_total(how="median")  # type: ignore[arg-type]
    # on a fitted model: the sentence's range holds the point total and sits inside the added-up daily bounds
    s = _daily(200)
    fp = forecast_paths(s, horizon=30)
    point, lo, hi = fp.horizon_total()
    band = fp.summary()
    assert band["lower"].sum() < lo < point < hi < band["upper"].sum()


def test_slope_sentences_say_which_slopes_include_the_season() -> None:
    """The trend notebook promised month-of-year effects in its slope "once two years are available";
    a 90-day window never has them taken out (trend_slope takes them out from 600 days on), so its
    slope includes the season and the notebook now says so. Three years of data: the whole history's
    slope has the yearly pattern removed, the last 90 days' does not; seven months: neither."""
    from kpi_toolkit.trends import slope_sentences

    idx = pd.date_range("2024-01-01", "2026-11-30", freq="D")
    rng = np.random.default_rng(42)
    s = pd.Series(100 + 20 * np.sin(2 * np.pi * idx.day_of_year / 365.25) + rng.normal(0, 5, len(idx)), index=idx)
    long = {"whole history": trend_slope(s), "last 90 days": trend_slope(s, lookback_days=90)}
    assert [bool(df.iloc[0]["yearly_removed"]) for df in long.values()] == [True, False]
    assert slope_sentences(long) == [
        "The slope of the last 90 days includes the season: a window of 3 months cannot tell the time of year "
        "from a trend (month-of-year effects are taken out only from about 20 months of data on); set it against "
        "the same months of earlier years in the month-of-year chart."]
    short = s.iloc[-212:]
    both = {"whole history": trend_slope(short), "last 90 days": trend_slope(short, lookback_days=90)}
    assert slope_sentences(both)[0].startswith(
        "The slopes of the whole history and the last 90 days include the season: a window of 7 months or 3 "
        "months cannot tell")
    assert slope_sentences({"whole history": trend_slope(s)}) == []


def test_trend_view_chart_scales_a_partly_covered_month_says_so_and_shows_money_in_the_currency(demo_root) -> None:
    """Ledgerly's data cut on 15 October 2026. The report's 12-month chart drew October's 15-day totals as
    the month's (a false dip) with nothing said beside it, and its money axes had no currency symbol
    (plot_rolling_12_months was called without currency=). The chart now draws the totals scaled to the
    month (x 31 / 15), the sentences say so with both numbers, and the spend axis reads in pounds."""
    import re

    from kpi_toolkit.context import load_context
    from kpi_toolkit.kpis import format_value
    from kpi_toolkit.schema import TABLES
    from kpi_toolkit.trends import trend_view

    ctx = load_context(client="demo-ledgerly", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.params.core_kpis = ["reach", "engagement_rate_by_reach", "spend", "conversions"]
    for name, df in list(ctx.data.tables.items()):
        col = TABLES[name].time_col
        if col and col in df.columns:  # the last day in the client's time zone is 15 October
            t = df[col]
            local = t.dt.tz_convert(ctx.tz).dt.tz_localize(None) if isinstance(t.dtype, pd.DatetimeTZDtype) else t
            ctx.data.tables[name] = df[(pd.to_datetime(local) < pd.Timestamp("2026-10-16")).to_numpy(dtype=bool)]
    view = trend_view(ctx)
    r12 = view.extra["rolling"].set_index(["kpi", "month"])
    reach, spend = r12.loc[("reach", "2026-10")], r12.loc[("spend", "2026-10")]
    assert (reach["days"], reach["month_days"]) == (15, 31)
    said = [s for s in view.sentences if s.startswith("October 2026 has data for")]
    assert said == [
        "October 2026 has data for 15 of its 31 days. The chart draws its totals scaled to the whole month at the "
        f"same daily rate (hollow markers): reach {format_value(reach['value'], 'count')} in the 15 days, drawn as "
        f"{format_value(reach['value'] * 31 / 15, 'count')}; ad spend {format_value(spend['value'], 'currency', currency='GBP')}"
        f", drawn as {format_value(spend['value'] * 31 / 15, 'currency', currency='GBP')}; conversions (ads) "
        f"{format_value(r12.loc[('conversions', '2026-10'), 'value'], 'count')}, drawn as "
        f"{format_value(r12.loc[('conversions', '2026-10'), 'value'] * 31 / 15, 'count')}. Rates are drawn as they are."]
    axes = {a.get_title("left") or a.get_title(): a for a in view.figure.axes if a.get_visible()}
    assert axes["Reach"].get_lines()[0].get_ydata()[-1] == pytest.approx(reach["value"] * 31 / 15)
    from kpi_toolkit.plotting import to_png

    to_png(view.figure)
    ticks = [t.get_text() for t in axes["Ad spend"].get_yticklabels() if t.get_text()]
    assert ticks and all(re.match(r"-?£", t) for t in ticks), ticks


def test_partial_month_sentences_name_each_part_month_of_the_chart_and_leave_levels_and_rates_unscaled() -> None:
    """Data from 10 December 2024 to 15 November 2026: the chart's year-earlier December (22 of 31 days)
    and its November (15 of 30) are both part months. Reach is scaled (4.0 M x 31 / 22 = 5.6 M;
    5.0 M x 30 / 15 = 10.0 M); followers (a count on the last day, not a sum over days) and a rate are not."""
    from kpi_toolkit.trends import partial_month_sentences, scaled_to_month

    months = [str(p) for p in pd.period_range("2025-12", periods=12, freq="M")]
    month_days = [pd.Period(m).days_in_month for m in months]
    frame = lambda kpi, label, unit, v: pd.DataFrame({  # noqa: E731
        "kpi": kpi, "label": label, "unit": unit, "month": months, "value": v, "last_year": 0.8 * v,
        "days": [*month_days[:-1], 15], "month_days": month_days, "last_year_days": [22, *month_days[1:]],
        "last_year_month_days": month_days})
    r12 = pd.concat([frame("reach", "Reach", "count", 5e6), frame("followers", "Followers", "count", 1e4),
                     frame("ctr", "Click-through rate", "fraction", 0.01)], ignore_index=True)
    drawn = scaled_to_month(r12).set_index(["kpi", "month"])
    assert drawn.loc[("followers", "2026-11"), "value_drawn"] == 1e4
    assert drawn.loc[("reach", "2025-12"), "last_year_drawn"] == pytest.approx(4e6 * 31 / 22)
    assert partial_month_sentences(r12) == [
        "December 2024 has data for 22 of its 31 days. The chart draws its totals scaled to the whole month at the "
        "same daily rate (hollow markers): reach 4.0 M in the 22 days, drawn as 5.6 M. The other measures are drawn "
        "as they are.",
        "November 2026 has data for 15 of its 30 days. The chart draws its totals scaled to the whole month at the "
        "same daily rate (hollow markers): reach 5.0 M in the 15 days, drawn as 10.0 M. The other measures are drawn "
        "as they are."]
    assert partial_month_sentences(r12[r12["kpi"] == "ctr"])[1] == (
        "November 2026 has data for 15 of its 30 days. The chart marks it with hollow markers; rates are drawn as "
        "they are.")
    assert partial_month_sentences(r12.assign(days=r12["month_days"], last_year_days=r12["month_days"])) == []


def test_a_follower_count_of_a_partly_covered_month_is_not_compared_per_day() -> None:
    """Followers are a level on the month's last day, not a sum over its days: an audience export that
    ended on 15 November had its follower count divided by 15 days and compared 'per day'."""
    from kpi_toolkit.kpis import adds_up_over_days
    from kpi_toolkit.trends.captions import _days_if_partial
    from kpi_toolkit.trends.comparisons import change_phrase

    assert adds_up_over_days("reach") and adds_up_over_days("spend")
    assert not adds_up_over_days("followers") and not adds_up_over_days("engagement_rate")
    row = pd.Series({"kpi": "followers", "unit": "count", "current": 10_500.0, "baseline": 10_000.0,
                     "current_days": 15, "current_period_days": 30, "baseline_days": 31,
                     "baseline_period_days": 31, "rel_change_per_day": 1.17})
    assert change_phrase(row) == "up 5.0 %"
    assert change_phrase(row.copy().replace({"followers": "reach"})).endswith("per day")
    r12 = pd.Series({"days": 15, "month_days": 30, "last_year_days": 30, "last_year_month_days": 30})
    assert _days_if_partial(r12, "followers") is None and _days_if_partial(r12, "reach") == (15, 30)


def test_the_level_shift_text_says_when_the_month_of_year_pattern_is_removed() -> None:
    """The trend notebook said level shifts are found with the month-of-year pattern removed, which
    seasonal_adjust does only from YEARLY_MIN_DAYS of data: a younger series' seasonal rise can show
    as a shift, and the text must say so (and name the threshold the code uses)."""
    import json

    from kpi_toolkit.trends.decomposition import YEARLY_MIN_DAYS

    from .conftest import REPO

    cells = json.loads((REPO / "notebooks" / "trend_detection.ipynb").read_text(encoding="utf-8"))["cells"]
    text = next("".join(c["source"]) for c in cells if "".join(c["source"]).startswith("## Level shifts"))
    assert f"({YEARLY_MIN_DAYS} days;" in text and "can show as a shift" in text


def test_a_step_from_a_verdict_that_does_not_survive_the_correction_says_so(demo_root: Path) -> None:
    """demo-ledgerly, August 2026: engagement rate down (p = 0.002) and click-through rate down
    (p = 0.023) each became 'Look into the change' with 'unlikely to be chance' as evidence, while the
    caveat said only one of them holds after Holm's correction for the month's 12 tests. The step of
    the one that does not hold now says so, and its evidence no longer opens with "unlikely to be chance";
    the other's evidence is as before."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.trends import trend_view
    from kpi_toolkit.trends.report import holm_holds

    ctx = load_context(client="demo-ledgerly", month="2026-08", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    view = trend_view(ctx)
    steps = {r.evidence.split(":")[0]: r.evidence for r in view.recommendations if r.action.startswith("Look into")}
    doubt = " It is one of 12 comparisons this month; allowing for all 12 (Holm), it could still be chance"
    assert doubt not in steps["Engagement rate (by reach)"]
    assert steps["Click-through rate (ads)"].endswith(doubt + ", so look before acting.")
    # and does not first call it "unlikely to be chance": the p-value is given without the verdict
    assert "unlikely" not in steps["Click-through rate (ads)"]
    assert " against the previous month (p = 0.0" in steps["Click-through rate (ads)"]
    comp = view.extra["comparisons"]
    holds = holm_holds(comp)
    assert holds.sum() < comp["significant"].sum()  # some verdicts do not survive
    assert not (holds & ~comp["significant"].astype(bool)).any()  # and none survives that was not one


def test_every_alert_gets_a_step_or_a_reason_in_part_3() -> None:
    """demo-lumiere 2026-09 listed "Alert: Ad spend spiked on 28 Sep 2026 ... (moderate)" in Part 2, and
    Part 3 said nothing of it: a moderate alert on a measure watched by default gets no step, and
    neither does an alert in the good direction. Each is now named in one held-back line, with why."""
    import pandas as pd

    from kpi_toolkit.kpis import REGISTRY
    from kpi_toolkit.report import recommendations_view
    from kpi_toolkit.trends.report import alert_steps
    from kpi_toolkit.views import ReportView

    def alert(kpi: str, kind: str, severity: str, day: str) -> dict:
        return {"kpi": kpi, "label": REGISTRY[kpi].label, "kind": kind, "severity": severity,
                "start": pd.Timestamp(day), "end": pd.Timestamp(day), "owner": "", "contributors": [],
                "explanation": f"{REGISTRY[kpi].label} {kind} on {day}."}

    alerts = pd.DataFrame([alert("spend", "spike", "moderate", "2026-09-28"),
                           alert("negative_mentions", "dip", "high", "2026-09-12"),
                           alert("reach", "dip", "severe", "2026-09-03")])
    steps, held = alert_steps(alerts, own_rules=())
    assert [s.action for s in steps] == ["The account team: check why reach fell on 3 Sep (tracking, budget, a "
                                         "paused campaign or a platform outage)."]
    assert held == ["Alerts: Ad spend spike of 28 Sep (moderate): listed for the record, since a moderate alert on "
                    "a measure watched by default gets no step unless it comes back or grows; Negative mentions dip "
                    "of 12 Sep (high): in the good direction, so no step is needed."]
    view = recommendations_view([ReportView(key="trend", title="t", recommendations=steps, held_back=held)])
    assert view.sentences[-2:] == ["Not turned into a step:", held[0]]
    # the client's own rule for ad spend: its moderate alert is acted on
    steps, held = alert_steps(alerts.head(1), own_rules=("spend",))
    assert [s.action for s in steps] == ["The account team: check the ad spend spike of 28 Sep against the media plan."]
    assert held == []


def test_a_few_comparisons_are_corrected_too() -> None:
    """A client with two core KPIs has 4 tests a month (each month-on-month and year-on-year): at 0.05
    each, one of 4 unchanged measures reads "unlikely to be chance" 1 - 0.95**4 = 19 % of the time. The
    correction had been made only from 5 tests on. Holm by hand on p = 0.02, 0.03, 0.5, 0.7 (4 tests):
    the smallest needs 0.02 * 4 = 0.08 < 0.05, which fails, so none holds; each keeps its p-value and
    says it could still be chance. On p = 0.001, 0.03, 0.5, 0.7: 0.004 < 0.05 holds, then 0.03 * 3 = 0.09
    stops. One test alone is its own family: p = 0.02 holds."""
    from kpi_toolkit.trends.report import corrected_verdicts, holm_holds

    def comp(ps: list[float]) -> pd.DataFrame:
        return pd.DataFrame({"p_value": ps, "test": ["two-proportion z-test"] * len(ps),
                             "significant": [p < 0.05 for p in ps],
                             "verdict": [f"unlikely to be chance (p = {p:g})" if p < 0.05 else "within normal variation"
                                         for p in ps],
                             "summary": [f"up 5 %, {'unlikely to be chance' if p < 0.05 else 'within normal variation'}"
                                         f"{f' (p = {p:g})' if p < 0.05 else ''}" for p in ps]})

    out = corrected_verdicts(comp([0.02, 0.03, 0.5, 0.7]))
    assert out["holds"].tolist() == [False, False, False, False]
    assert out["verdict"].tolist()[:2] == ["p = 0.02, but with 4 comparisons this month it could still be chance",
                                           "p = 0.03, but with 4 comparisons this month it could still be chance"]
    assert out["significant"].tolist() == [True, True, False, False]  # the test alone is left as it was
    assert holm_holds(comp([0.001, 0.03, 0.5, 0.7])).tolist() == [True, False, False, False]
    assert holm_holds(comp([0.02])).tolist() == [True]


def test_the_trend_notebooks_week_table_judges_its_comparisons_together(demo_root: Path) -> None:
    """The trend notebook's week-over-week table tested its ~12 comparisons one by one ("read its
    verdicts as one test each") while the monthly table beside it was corrected for all of them. The
    notebook's week cell is run here on demo-ledgerly's weeks with two p-values set by hand, 0.02 and
    0.003, among 12: Holm needs 0.003 * 12 = 0.036 < 0.05 (holds), then 0.02 * 11 = 0.22 (does not), so
    the table calls the first 'unlikely to be chance' and gives the second its p-value and 'could still
    be chance'."""
    import json

    from kpi_toolkit import trends
    from kpi_toolkit.context import load_context
    from kpi_toolkit.trends.report import corrected_verdicts

    from .conftest import REPO

    ctx = load_context(client="demo-ledgerly", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    cells = json.loads((REPO / "notebooks" / "trend_detection.ipynb").read_text(encoding="utf-8"))["cells"]
    code = next("".join(c["source"]) for c in cells if "compare_weeks" in "".join(c["source"]))
    core = ["reach", "engagement_rate_by_reach", "ctr", "conversions", "roas", "share_of_voice"]
    set_p = {("reach", "previous_week"): 0.02, ("ctr", "previous_week"): 0.003}

    def weeks(data, kpi, **kw):  # noqa: ANN001, ANN202
        out = trends.compare_weeks(data, kpi, **kw)
        for i, r in out.iterrows():
            p = set_p.get((kpi, r["comparison"]), max(float(r["p_value"]), 0.2))
            words = f"unlikely to be chance (p = {p:g})" if p < 0.05 else f"within normal variation (p = {p:.2f})"
            out.loc[i, ["p_value", "significant", "verdict", "summary"]] = [p, p < 0.05, words, f"changed, {words}"]
        return out

    shown = []
    ns = {"ctx": ctx, "pd": pd, "core": core, "tz": ctx.tz, "brand": ctx.params.brand,
          "thresholds": (-0.05, 0.05), "corrected_verdicts": corrected_verdicts,
          "trends": type("T", (), {"compare_weeks": staticmethod(weeks),
                                   "comparisons_table": staticmethod(trends.comparisons_table)}),
          "show_table": lambda t, **kw: shown.append(t)}
    exec(code, ns)  # noqa: S102 - the notebook's own cell
    table = shown[0].set_index(["Measure", "Against"])
    assert table.loc[("Click-through rate (ads)", "previous week"), "Change"] == \
        "changed, unlikely to be chance (p = 0.003)"
    assert table.loc[("Reach", "previous week"), "Change"] == \
        "changed, p = 0.02, but with 12 comparisons this month it could still be chance"
