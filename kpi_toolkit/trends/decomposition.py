"""Trend, seasonality and level shifts of a daily (or finer) series.

* :func:`decompose` — STL (one seasonal period) or MSTL (several, e.g. weekly and yearly) into
  trend, seasonal and residual parts (Cleveland et al. 1990; Bandara et al. 2021).
* :func:`trend_slope` — the direction and size of the trend with a confidence interval: least
  squares on time with weekday (and, with about 20 months of data, month-of-year) effects, and
  Newey-West standard errors that allow for autocorrelated noise (Newey & West 1987).
* :func:`seasonal_adjust` and :func:`change_points` — level shifts found by PELT (Killick et al.
  2012, via ruptures, Truong et al. 2020) on the series with its weekday and month-of-year pattern
  removed; the pattern and the levels are estimated together (backfitting, Hastie & Tibshirani 1990),
  so that a shift is not mistaken for seasonality or the other way round.

References
----------
Bandara, K., Hyndman, R. J. & Bergmeir, C. (2021). MSTL: A seasonal-trend decomposition algorithm
for time series with multiple seasonal patterns. arXiv:2107.13462.
Cleveland, R. B., Cleveland, W. S., McRae, J. E. & Terpenning, I. (1990). STL: A seasonal-trend
decomposition procedure based on loess. Journal of Official Statistics 6(1), 3-73.
Hastie, T. & Tibshirani, R. (1990). Generalized Additive Models, ch. 4 (backfitting). Chapman & Hall.
Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed., §7.4
(trend and seasonal dummy variables). OTexts.
Killick, R., Fearnhead, P. & Eckley, I. A. (2012). Optimal detection of changepoints with a linear
computational cost. JASA 107(500), 1590-1598.
Newey, W. K. & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
autocorrelation consistent covariance matrix. Econometrica 55(3), 703-708.
Truong, C., Oudre, L. & Vayatis, N. (2020). Selective review of offline change point detection
methods. Signal Processing 167, 107299 (the ruptures library).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exceptions import NoDataError, ParameterError
from ._series import DAY_S, check_periods, default_periods, regularise, step_seconds
from .anomalies import (
    MIN_POINTS,
    Transform,
    _fill,
    _is_count,
    _median_baseline,
    _phases,
    _robust_scale,
    anscombe,
    inverse_anscombe,
)

YEARLY_MIN_DAYS = 600
"""Month-of-year effects are estimated only from series covering about 20 months, so that most
calendar months are seen twice: a month seen once cannot be told apart from a change of level.
(Measured on the demo data: from 600 days on, the yearly model finds the planted shifts that the
weekly-only model mistakes for spring; below it, neither is reliable.)"""

DAYS_PER_MONTH = 365.25 / 12


# ----------------------------------------------------------------------------------------------
# STL / MSTL


def decompose(
    series: pd.Series,
    *,
    freq: str | None = None,
    periods: Sequence[int] | None = None,
    robust: bool = True,
) -> pd.DataFrame:
    """Split a series into trend, seasonal parts and residual with STL or MSTL.

    Parameters
    ----------
    series
        Values indexed by time (daily or finer); missing steps are interpolated for the fit.
    freq
        Step of the series; inferred when None.
    periods
        Seasonal periods in steps. None: 7 for daily data, plus 365 when the series covers more
        than two full years (MSTL needs more than two cycles); 24 (+168) for hourly data, 288
        (+2016) for 5-minute data, each when covered three times.
    robust
        Down-weight outliers. With one period this is STL's robust fit (bisquare weights). With
        several, the spikes found by :func:`~kpi_toolkit.trends.detect_anomalies` are replaced by
        their expected value before a (non-robust) MSTL fit, which is much faster than robust MSTL
        and has the same aim.

    Returns
    -------
    pandas.DataFrame
        Indexed like the regular series: ``observed``, ``trend``, one ``seasonal_<period>`` per
        period, ``seasonal`` (their sum), ``resid`` and ``deseasonalised`` (observed - seasonal).

    References
    ----------
    Cleveland et al. (1990) for STL; Bandara, Hyndman & Bergmeir (2021) for MSTL.
    """
    from statsmodels.tsa.seasonal import MSTL, STL

    reg, off = regularise(series, freq=freq)
    n = len(reg)
    if reg.notna().sum() < MIN_POINTS:
        raise NoDataError(f"decomposition needs at least {MIN_POINTS} values, got {int(reg.notna().sum())}")
    step = step_seconds(off)
    if periods is None:
        periods_t = default_periods(step, n)
        if step == DAY_S and n > 2 * 365:
            periods_t = (*periods_t, 365)
    else:
        periods_t = check_periods(periods, n)
    if not periods_t:
        raise NoDataError(f"the series ({n} steps) is too short for any seasonal period: a weekly "
                          "pattern needs three weeks")
    y = _fill(reg.to_numpy(dtype="float64")[:, None])[:, 0]
    out = pd.DataFrame({"observed": reg.to_numpy()}, index=reg.index)
    # daily data: a quarter-long trend window and a 13-week seasonal window, so the trend shows the
    # direction rather than every wobble and the weekly pattern changes slowly (STL's defaults, 13
    # days and 7 weeks, follow the noise of daily counts)
    kw: dict[str, int] = ({"trend": 91, "seasonal": 13}
                          if step == DAY_S and periods_t == (7,) and n >= 3 * 91 else {})
    if len(periods_t) == 1:
        res = STL(y, period=periods_t[0], robust=robust, **kw).fit()
        trend, seasonal = np.asarray(res.trend), np.asarray(res.seasonal)[:, None]
    else:
        if robust:
            y = _clip_outliers(y, periods_t)
        res = MSTL(y, periods=list(periods_t)).fit()
        trend = np.asarray(res.trend)
        seasonal = np.asarray(res.seasonal).reshape(n, -1)
    out["trend"] = trend
    for j, p in enumerate(periods_t):
        out[f"seasonal_{p}"] = seasonal[:, j]
    out["seasonal"] = seasonal.sum(axis=1)
    out["resid"] = out["observed"] - out["trend"] - out["seasonal"]
    out["deseasonalised"] = out["observed"] - out["seasonal"]
    out.attrs.update({"periods": periods_t, "freq": off.freqstr, "robust": robust})
    return out


def _clip_outliers(y: np.ndarray, periods: tuple[int, ...], threshold: float = 3.5) -> np.ndarray:
    """Replace points beyond ``threshold`` robust z of the median baseline by the baseline."""
    z = y[:, None]
    expected = _median_baseline(z, periods)
    resid = z - expected
    tiny = np.array([1e-9 * max(float(np.nanmedian(np.abs(z))), 1.0)])
    sigma = _robust_scale(resid, periods, tiny)
    out = np.where(np.abs(resid / sigma) > threshold, expected, z)
    return out[:, 0]


# ----------------------------------------------------------------------------------------------
# trend slope


def trend_slope(
    series: pd.Series,
    *,
    lookback_days: int | None = None,
    yearly: bool | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Direction and size of the trend of a daily series, with a confidence interval.

    Least squares of the value on time (days), weekday effects and, when ``yearly``, month-of-year
    effects (seasonal dummy variables), with Newey-West (HAC) standard errors so that day-to-day
    autocorrelation does not make the interval too narrow. Finer series are summed to days first
    when they hold counts, else averaged.

    Parameters
    ----------
    series
        Daily (or finer) values indexed by time.
    lookback_days
        Use only the last ``lookback_days`` days (default: the whole series).
    yearly
        Remove month-of-year effects; default: when the window covers :data:`YEARLY_MIN_DAYS`
        (600 days, about 20 months), enough to separate a yearly pattern from a trend.
    confidence
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``start``, ``end``, ``days``, ``mean_level``, ``slope_per_day``,
        ``slope_per_month`` (x 365.25 / 12), ``lower`` and ``upper`` (interval of the slope per
        month), ``rel_slope_per_month`` (slope per month / mean level), ``p_value``, ``direction``
        ("rising", "falling" or "flat": the interval includes 0), ``yearly_removed`` (bool).

    References
    ----------
    Hyndman & Athanasopoulos (2021) §7.4 (trend with seasonal dummies); Newey & West (1987) with
    the lag rule floor(4 (n/100)^(2/9)).
    """
    from statsmodels.regression.linear_model import OLS

    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be between 0 and 1, got {confidence!r}")
    daily = _to_daily(series)
    if lookback_days is not None:
        if lookback_days < 14:
            raise ParameterError(f"lookback_days must be at least 14, got {lookback_days}")
        daily = daily[daily.index > daily.index[-1] - pd.Timedelta(days=lookback_days)]
    daily = daily.dropna()
    n = len(daily)
    if n < 14:
        raise NoDataError(f"a trend needs at least 14 days with values, got {n}")
    span = (daily.index[-1] - daily.index[0]).days + 1
    use_yearly = span >= YEARLY_MIN_DAYS if yearly is None else bool(yearly)
    t = ((daily.index - daily.index[0]) / pd.Timedelta(days=1)).to_numpy(dtype="float64")
    cols = {"const": np.ones(n), "t": t}
    wd = daily.index.day_of_week.to_numpy()
    for d in range(1, 7):
        if (wd == d).any() and (wd == 0).any():
            cols[f"wd{d}"] = (wd == d).astype("float64")
    if use_yearly:
        mo = daily.index.month.to_numpy()
        first = mo.min()
        for m in range(1, 13):
            if m != first and (mo == m).any():
                cols[f"m{m}"] = (mo == m).astype("float64")
    X = np.column_stack(list(cols.values()))
    y = daily.to_numpy(dtype="float64")
    lags = int(np.floor(4 * (n / 100) ** (2 / 9)))
    fit = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": max(lags, 1)})
    slope, se = float(fit.params[1]), float(fit.bse[1])
    from scipy import stats

    q = stats.norm.ppf(0.5 + confidence / 2)
    lo, hi = slope - q * se, slope + q * se
    p = float(2 * stats.norm.sf(abs(slope / se))) if se > 0 else (0.0 if slope != 0 else 1.0)
    mean_level = float(np.mean(y))
    direction = "rising" if lo > 0 else ("falling" if hi < 0 else "flat")
    return pd.DataFrame([{
        "start": daily.index[0], "end": daily.index[-1], "days": n, "mean_level": mean_level,
        "slope_per_day": slope, "slope_per_month": slope * DAYS_PER_MONTH,
        "lower": lo * DAYS_PER_MONTH, "upper": hi * DAYS_PER_MONTH,
        "rel_slope_per_month": slope * DAYS_PER_MONTH / mean_level if mean_level else np.nan,
        "p_value": p, "direction": direction, "yearly_removed": use_yearly,
    }])


def _to_daily(series: pd.Series) -> pd.Series:
    reg, off = regularise(series)
    step = step_seconds(off)
    if step >= DAY_S:
        return reg
    vals = reg.to_numpy()
    how = "sum" if _is_count(vals) else "mean"
    idx = reg.index
    if idx.tz is not None:
        local = idx.tz_localize(None).normalize()
    else:
        local = idx.normalize()
    grouped = pd.Series(vals, index=local).groupby(level=0)
    full = grouped.count() == grouped.size()
    out = grouped.sum(min_count=1) if how == "sum" else grouped.mean()
    return out.where(full)


# ----------------------------------------------------------------------------------------------
# level shifts


def seasonal_adjust(
    series: pd.Series,
    *,
    freq: str | None = None,
    penalty: float = 8.0,
    min_days: float = 14.0,
    yearly: bool | None = None,
    transform: Transform = "auto",
    threshold: float = 3.5,
) -> pd.DataFrame:
    """Remove the weekday (or time-of-day) and month-of-year pattern and find the level segments.

    The model, on the analysed scale (Anscombe's square root for counts), is
    ``value = level of its segment + weekday effect (+ time-of-day effect) (+ month effect) + noise``.
    Spikes beyond ``threshold`` robust z are first replaced by their expected value (they are not
    level shifts). The segments are found by PELT with an L2 cost; effects and levels are estimated
    in turn until the segmentation is stable, from two starting points (no shift; the shifts of the
    series with only its weekly pattern removed), keeping the one with the lower penalised cost.
    The seasonal effects are estimated without the spikes and removed from every step: a weekday's
    effect is the same on a spike day as on every other such weekday.

    Parameters
    ----------
    series
        Daily or finer values indexed by time.
    freq
        Step of the series; inferred when None.
    penalty
        PELT penalty as a multiple of ``noise variance x log(n)`` (BIC is 2 for a change in mean
        with independent noise; real series need more because their noise is autocorrelated).
        Higher finds fewer shifts.
    min_days
        Shortest segment, in days.
    yearly
        Estimate month-of-year effects; default: daily series covering :data:`YEARLY_MIN_DAYS`
        (600 days, about 20 months).
    transform
        As in :func:`~kpi_toolkit.trends.detect_anomalies`.
    threshold
        Robust z beyond which a point is treated as a spike, not as part of a level.

    Returns
    -------
    pandas.DataFrame
        Indexed like the regular series: ``value``, ``deseasonalised`` (value without the seasonal
        effects, original scale), ``level`` (its segment's level, original scale), ``segment``
        (0, 1, ...) and ``is_outlier`` (replaced before fitting). ``attrs`` hold ``noise_sd`` (on
        the analysed scale), ``yearly`` and ``penalty``.

    References
    ----------
    Killick et al. (2012) for PELT; Truong et al. (2020) for ruptures; Hastie & Tibshirani (1990)
    for backfitting.
    """
    if penalty <= 0:
        raise ParameterError(f"penalty must be positive, got {penalty!r}")
    if min_days <= 0:
        raise ParameterError(f"min_days must be positive, got {min_days!r}")
    reg, off = regularise(series, freq=freq)
    n = len(reg)
    raw = reg.to_numpy(dtype="float64")
    if np.isfinite(raw).sum() < MIN_POINTS:
        raise NoDataError(f"level shifts need at least {MIN_POINTS} values, got {int(np.isfinite(raw).sum())}")
    step = step_seconds(off)
    stab = _is_count(raw) if transform == "auto" else transform == "anscombe"
    z = anscombe(raw) if stab else raw.copy()
    z = _fill(z[:, None])[:, 0]
    periods = default_periods(step, n)
    # spikes are not levels
    expected = _median_baseline(z[:, None], periods)
    resid = z[:, None] - expected
    floor = np.array([1.0 if stab else 1e-9 * max(float(np.nanmedian(np.abs(z))), 1.0)])
    sigma = _robust_scale(resid, periods, floor)
    outlier = (np.abs(resid / sigma) > threshold)[:, 0]
    zc = np.where(outlier, expected[:, 0], z)
    # seasonal groupings: weekday / time-of-day phases, and month of year
    groups = [g for g in _phases(n, periods)]
    span_days = n * step / DAY_S
    use_yearly = (step >= DAY_S and span_days >= YEARLY_MIN_DAYS) if yearly is None else bool(yearly)
    if use_yearly:
        idx = reg.index
        groups.append((idx.month if idx.tz is None else idx.tz_localize(None).month).to_numpy())
    min_size = max(2, int(round(min_days * DAY_S / step)))
    if n < 2 * min_size:
        raise NoDataError(f"level shifts need at least {2 * min_size} steps ({2 * min_days:g} days), "
                          f"the series has {n}")
    weekly = _group_effects(zc - _rolling_level(zc, periods), groups[: len(periods)]) if periods else 0.0
    noise = _diff_sd(zc - weekly)
    pen = penalty * noise**2 * np.log(n)
    best: tuple[float, list[int], np.ndarray] | None = None
    for init in ([n], _pelt(zc - weekly, pen, min_size)):
        bk, d = _backfit(zc, groups, init, pen, min_size)
        seg = _segments(bk, n)
        means = _segment_means(d, seg)
        cost = float(np.sum((d - means) ** 2)) + pen * (len(bk) - 1)
        if best is None or cost < best[0] - 1e-9:
            best = (cost, bk, d)
    assert best is not None
    _, bk, d = best
    design = _dummies(groups, n)
    if n * design.shape[1] ** 2 <= 2e8:  # exact least squares is cheap (daily data)
        # the shift dates on the observed series (near a shift the median baseline lags, so days
        # just after it can be flagged and replaced by the old level, which would move the date)
        bk, _ = _refine(z, design, bk, min_size, pen)
        # the seasonal effects from the days that are not spikes: a weekday's effect is a property
        # of all such weekdays, and a spike fitted with them pulls its weekday's effect (and, its
        # excess then subtracted from itself, is counted twice in the deseasonalised series)
        effects = z - _ols(z, design, bk, keep=~outlier)[1]
    else:
        effects = zc - d  # backfitting ran on the series with its spikes replaced
    # ``effects`` is one value per weekday (and month), the same on a spike day as on the others
    seg = _segments(bk, n)
    level = _segment_means(zc - effects, seg)  # spikes are not levels
    # deseasonalised on the analysed scale keeps the spikes (they are real observations)
    des = z - effects
    back = inverse_anscombe if stab else (lambda a: a)
    out = pd.DataFrame({"value": raw, "deseasonalised": back(des), "level": back(level),
                        "segment": seg, "is_outlier": outlier}, index=reg.index)
    out.loc[~np.isfinite(raw), "deseasonalised"] = np.nan
    out.attrs.update({"noise_sd": noise, "yearly": use_yearly, "penalty": penalty, "freq": off.freqstr,
                      "transform": "anscombe" if stab else "none"})
    return out


def change_points(
    series: pd.Series,
    *,
    freq: str | None = None,
    penalty: float = 8.0,
    min_days: float = 14.0,
    yearly: bool | None = None,
    transform: Transform = "auto",
) -> pd.DataFrame:
    """Level shifts of a series: dates with the level before and after (seasonality removed).

    Parameters
    ----------
    series, freq, penalty, min_days, yearly, transform
        As in :func:`seasonal_adjust`.

    Returns
    -------
    pandas.DataFrame
        One row per shift: ``date`` (first step at the new level), ``before`` and ``after`` (the
        levels of the segments on either side, original units per step, seasonal pattern removed),
        ``change`` (after - before), ``rel_change`` (change / before) and ``size_sd`` (the shift
        in noise standard deviations on the analysed scale). Empty when the series has one level.

    References
    ----------
    Killick et al. (2012), PELT; Truong et al. (2020), ruptures.
    """
    adj = seasonal_adjust(series, freq=freq, penalty=penalty, min_days=min_days, yearly=yearly,
                          transform=transform)
    return change_points_from(adj)


def change_points_from(adjusted: pd.DataFrame) -> pd.DataFrame:
    """The shifts of a :func:`seasonal_adjust` result (see :func:`change_points`)."""
    seg = adjusted["segment"].to_numpy()
    cuts = np.flatnonzero(np.diff(seg)) + 1
    rows = []
    noise = float(adjusted.attrs.get("noise_sd", np.nan))
    stab = adjusted.attrs.get("transform") == "anscombe"
    for c in cuts:
        before = float(adjusted["level"].iloc[c - 1])
        after = float(adjusted["level"].iloc[c])
        za, zb = (anscombe(np.array([after, before])) if stab else np.array([after, before]))
        rows.append({"date": adjusted.index[c], "before": before, "after": after, "change": after - before,
                     "rel_change": (after - before) / before if before else np.nan,
                     "size_sd": float(abs(za - zb) / noise) if noise > 0 else np.nan})
    out = pd.DataFrame(rows, columns=["date", "before", "after", "change", "rel_change", "size_sd"])
    if out.empty:
        out["date"] = pd.Series(pd.DatetimeIndex([], tz=adjusted.index.tz))
        out = out.astype({c: "float64" for c in ("before", "after", "change", "rel_change", "size_sd")})
    return out


def _rolling_level(z: np.ndarray, periods: tuple[int, ...]) -> np.ndarray:
    base = max(periods) if periods else 3
    w = 3 * base + (1 if (3 * base) % 2 == 0 else 0)
    return pd.Series(z).rolling(w, center=True, min_periods=max(3, w // 4)).median().bfill().ffill().to_numpy()


def _group_effects(r: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Additive effects of several groupings fitted in turn (means, centred to sum to zero)."""
    total = np.zeros_like(r)
    for g in groups:
        means = pd.Series(r - total).groupby(g).mean()
        means = means - means.mean()
        total = total + means.reindex(g).to_numpy()
    return total


def _diff_sd(x: np.ndarray) -> float:
    d = np.diff(x)
    mad = float(np.median(np.abs(d - np.median(d))))
    sd = 1.4826 * mad / np.sqrt(2)
    if sd <= 0:
        sd = float(np.std(d)) / np.sqrt(2)
    return sd if sd > 0 else 1e-9


def _pelt(x: np.ndarray, pen: float, min_size: int) -> list[int]:
    import ruptures as rpt

    algo = rpt.KernelCPD(kernel="linear", min_size=min_size).fit(x.reshape(-1, 1))
    return [int(b) for b in algo.predict(pen=pen)]


def _segments(bk: list[int], n: int) -> np.ndarray:
    seg = np.zeros(n, dtype="int64")
    for b in bk[:-1]:
        seg[b:] += 1
    return seg


def _segment_means(d: np.ndarray, seg: np.ndarray) -> np.ndarray:
    return pd.Series(d).groupby(seg).transform("mean").to_numpy()


def _dummies(groups: list[np.ndarray], n: int) -> np.ndarray:
    """Indicator columns of every seasonal grouping (first level of each dropped)."""
    cols = []
    for g in groups:
        levels = np.unique(g)
        cols += [(g == v).astype("float64") for v in levels[1:]]
    return np.column_stack(cols) if cols else np.zeros((n, 0))


def _ols(z: np.ndarray, design: np.ndarray, bk: list[int], keep: np.ndarray | None = None
         ) -> tuple[float, np.ndarray]:
    """Exact least squares of the joint model (one level per segment + seasonal dummies) for a
    fixed segmentation: the SSE and the series with the seasonal effects removed.

    With ``keep`` (a boolean mask) the model is fitted to those steps only (the spikes left out)
    and its effects are removed from every step."""
    n = len(z)
    seg = _segments(bk, n)
    levels = (seg[:, None] == np.arange(seg.max() + 1)[None, :]).astype("float64")
    X = np.hstack([levels, design])
    rows = np.ones(n, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    coef, *_ = np.linalg.lstsq(X[rows], z[rows], rcond=None)
    fitted = X @ coef
    eff = design @ coef[levels.shape[1]:]
    if design.shape[1]:
        eff = eff - eff.mean()
    return float(np.sum((z[rows] - fitted[rows]) ** 2)), z - eff


def _best_position(z: np.ndarray, design: np.ndarray, bk: list[int], i: int, min_size: int
                   ) -> tuple[int, float]:
    """The position of shift ``i`` between its neighbours that minimises the joint least-squares
    SSE (levels + seasonal effects refitted), and the SSE it saves over no shift there.

    With ``F`` the design without this shift and ``r`` the residual of ``z`` on ``F``, a step that
    starts at ``c`` lowers the SSE by ``(r . s_c)^2 / (s_c' M_F s_c)`` (Frisch-Waugh-Lovell), which
    is evaluated for every ``c`` at once with cumulative sums.
    """
    n = len(z)
    others = bk[:i] + bk[i + 1:]
    seg = _segments(others, n)
    F = np.hstack([(seg[:, None] == np.arange(seg.max() + 1)[None, :]).astype("float64"), design])
    FtF_inv = np.linalg.pinv(F.T @ F)
    r = z - F @ (FtF_inv @ (F.T @ z))
    start = bk[i - 1] if i else 0
    end = bk[i + 1]
    cands = np.arange(start + min_size, end - min_size + 1)
    if cands.size == 0:
        return bk[i], 0.0
    csF = np.vstack([np.cumsum(F[::-1], axis=0)[::-1], np.zeros((1, F.shape[1]))])
    csr = np.r_[np.cumsum(r[::-1])[::-1], 0.0]
    q = csF[cands] - csF[end]
    num = csr[cands] - csr[end]
    den = (end - cands) - np.einsum("ij,jk,ik->i", q, FtF_inv, q)
    gain = np.where(den > 1e-9, num**2 / np.where(den > 1e-9, den, 1.0), 0.0)
    j = int(np.argmax(gain))
    return int(cands[j]), float(gain[j])


def _refine(z: np.ndarray, design: np.ndarray, bk: list[int], min_size: int, pen: float
            ) -> tuple[list[int], np.ndarray]:
    """Polish the shifts found by backfitting with the exact joint least-squares cost.

    Each shift moves to the position between its neighbours that minimises the SSE with the levels
    and seasonal effects refitted (coordinate descent until nothing moves); a shift that saves less
    than the penalty is then dropped. Backfitting can stop where a month effect has absorbed part of
    a shift; this step cannot.
    """
    bk = list(bk)
    for _ in range(5):
        moved = False
        for i in range(len(bk) - 1):
            pos, _ = _best_position(z, design, bk, i, min_size)
            if pos != bk[i]:
                bk[i], moved = pos, True
        if not moved:
            break
    while len(bk) > 1:
        gains = [_best_position(z, design, bk, i, min_size)[1] for i in range(len(bk) - 1)]
        worst = int(np.argmin(gains))
        if gains[worst] > pen:
            break
        bk = bk[:worst] + bk[worst + 1:]
    return bk, _ols(z, design, bk)[1]


def _backfit(z: np.ndarray, groups: list[np.ndarray], bk: list[int], pen: float, min_size: int,
             max_iter: int = 8) -> tuple[list[int], np.ndarray]:
    n = len(z)
    d = z
    for _ in range(max_iter):
        level = _segment_means(z, _segments(bk, n))
        # effects given the levels, then levels given the effects (two sweeps)
        for _ in range(2):
            eff = _group_effects(z - level, groups) if groups else np.zeros(n)
            level = _segment_means(z - eff, _segments(bk, n))
        d = z - eff
        new = _pelt(d, pen, min_size)
        if new == bk:
            break
        bk = new
    return bk, d


