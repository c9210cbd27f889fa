"""Forecasts with prediction intervals: exponential smoothing (ETS) with simulated future paths.

A monthly series is first adjusted for its month-of-year pattern when it covers two years and the
pattern is real (an F-test of month effects in a regression with a linear trend; Hyndman &
Athanasopoulos 2021, §7.4 and §7.6), then forecast by an ETS model with additive errors and a
damped additive trend (Gardner & McKenzie 1985; Hyndman et al. 2008). Daily series use the same
model with an additive weekly season. Prediction intervals and goal probabilities come from
simulated future paths of the fitted model (Hyndman & Athanasopoulos 2021, §8.7), drawn with a
fixed seed.

References
----------
Gardner, E. S. & McKenzie, E. (1985). Forecasting trends in time series. Management Science
31(10), 1237-1246.
Hyndman, R. J., Koehler, A. B., Ord, J. K. & Snyder, R. D. (2008). Forecasting with Exponential
Smoothing: The State Space Approach. Springer.
Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed. OTexts.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..exceptions import NoDataError, ParameterError

MIN_FORECAST_POINTS = 4
"""Fewer values than this cannot be forecast."""


@dataclass
class ForecastPaths:
    """Simulated future paths of a series and how they were made."""

    index: pd.DatetimeIndex
    point: np.ndarray        # (h,) point forecast
    paths: np.ndarray        # (repetitions, h)
    model: str

    def summary(self, *, level: float = 0.9) -> pd.DataFrame:
        lo, hi = np.nanquantile(self.paths, [(1 - level) / 2, (1 + level) / 2], axis=0)
        return pd.DataFrame({"timestamp": self.index, "forecast": self.point, "lower": lo, "upper": hi},
                            index=self.index)

    def horizon_total(self, *, level: float = 0.9, how: Literal["sum", "mean"] = "sum") -> tuple[float, float, float]:
        """The forecast over the whole horizon with its likely range: ``(point, lower, upper)``.

        ``point`` is the sum (``how="sum"``, for counts and money) or the mean (``how="mean"``, for
        rates) of the point forecast; ``lower`` and ``upper`` are the ``(1 - level) / 2`` and
        ``(1 + level) / 2`` quantiles of the same sum (mean) taken over each simulated path. Adding up
        the days' own bounds instead would assume that every day of a future is at its own 5th (95th)
        percentile at once, which is far wider than the range of the total.

        References
        ----------
        Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed.,
        §8.7 (prediction intervals from simulated future sample paths). OTexts.
        """
        if how not in ("sum", "mean"):
            raise ParameterError(f"how must be 'sum' or 'mean', got {how!r}")
        if not 0 < level < 1:
            raise ParameterError(f"level must be between 0 and 1, got {level!r}")
        agg = np.sum if how == "sum" else np.mean
        per_path = agg(self.paths, axis=1)
        lo, hi = np.nanquantile(per_path, [(1 - level) / 2, (1 + level) / 2])
        return float(agg(self.point)), float(lo), float(hi)


def _is_monthly(index: pd.DatetimeIndex) -> bool:
    if len(index) < 2:
        return False
    idx = index.tz_localize(None) if index.tz is not None else index
    if not (np.all(idx.day == 1) and np.all(idx == idx.normalize())):
        return False
    months = idx.year * 12 + idx.month
    return bool(np.all(np.diff(months) == 1))


def _future_index(index: pd.DatetimeIndex, h: int, monthly: bool) -> pd.DatetimeIndex:
    if monthly:
        return pd.date_range(index[-1], periods=h + 1, freq="MS", tz=index.tz)[1:]
    from ._series import infer_freq

    off = infer_freq(index)
    return pd.date_range(index[-1], periods=h + 1, freq=off)[1:]


def _month_effects(y: np.ndarray, months: np.ndarray, *, alpha: float = 0.05) -> np.ndarray | None:
    """Month-of-year effects (centred) from OLS with a linear trend, or None when the F-test of
    the month dummies is not significant at ``alpha`` or there is too little data."""
    from statsmodels.regression.linear_model import OLS

    n = len(y)
    if n < 24 or len(np.unique(months)) < 12:
        return None
    t = np.arange(n, dtype="float64")
    dummies = np.column_stack([(months == m).astype("float64") for m in range(2, 13)])
    X = np.column_stack([np.ones(n), t, dummies])
    full = OLS(y, X).fit()
    restricted = OLS(y, X[:, :2]).fit()
    f, p, _ = full.compare_f_test(restricted)
    if not (math.isfinite(p) and p < alpha):
        return None
    eff = np.concatenate([[0.0], full.params[2:]])
    return eff - eff.mean()  # index 0 = January


def forecast_paths(
    series: pd.Series,
    *,
    horizon: int,
    repetitions: int = 2000,
    seed: int = 42,
    seasonal_period: int | None = None,
    nonnegative: bool | None = None,
) -> ForecastPaths:
    """Simulated future paths of ``series`` for ``horizon`` steps (see :func:`forecast`)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if horizon < 1:
        raise ParameterError(f"horizon must be at least 1 step, got {horizon}")
    if repetitions < 100:
        raise ParameterError(f"repetitions must be at least 100, got {repetitions}")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ParameterError("series must be indexed by time (a DatetimeIndex)")
    s = series.astype("float64").sort_index()
    first_valid = s.first_valid_index()
    if first_valid is None:
        raise NoDataError("the series has no values to forecast from")
    s = s.loc[first_valid:]
    if s.notna().sum() < MIN_FORECAST_POINTS:
        raise NoDataError(f"a forecast needs at least {MIN_FORECAST_POINTS} values, got {int(s.notna().sum())}")
    s = s.interpolate(limit_direction="both")
    monthly = _is_monthly(s.index)
    y = s.to_numpy()
    n = len(y)
    effects = None
    if monthly:
        months = (s.index.tz_localize(None) if s.index.tz is not None else s.index).month.to_numpy()
        effects = _month_effects(y, months)
        if effects is not None:
            y = y - effects[months - 1]
    future = _future_index(s.index, horizon, monthly)
    season = None
    if not monthly:
        season = seasonal_period if seasonal_period is not None else (7 if _daily(s.index) and n >= 21 else None)
    kwargs: dict[str, object] = {"error": "add"}
    if n >= 10:
        kwargs.update(trend="add", damped_trend=True)
    if season:
        kwargs.update(seasonal="add", seasonal_periods=int(season))
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser on short series
        res = ETSModel(y, **kwargs).fit(disp=False)
        point = np.asarray(res.forecast(horizon), dtype="float64")
        sims = np.asarray(res.simulate(horizon, anchor="end", repetitions=repetitions, rng=rng),
                          dtype="float64").reshape(horizon, repetitions).T
    if effects is not None:
        fm = (future.tz_localize(None) if future.tz is not None else future).month.to_numpy()
        point = point + effects[fm - 1]
        sims = sims + effects[fm - 1][None, :]
    if nonnegative is None:
        nonnegative = bool(np.nanmin(series.to_numpy(dtype="float64")) >= 0)
    if nonnegative:
        point = np.maximum(point, 0.0)
        sims = np.maximum(sims, 0.0)
    name = "ETS(A," + ("Ad" if "trend" in kwargs else "N") + "," + ("A" if season else "N") + ")"
    if effects is not None:
        name += " on the series adjusted for month-of-year effects"
    return ForecastPaths(index=future, point=point, paths=sims, model=name)


def _daily(index: pd.DatetimeIndex) -> bool:
    if len(index) < 3:
        return False
    gaps = np.diff(index.as_unit("ns").asi8)
    return bool(np.median(gaps) == 86_400 * 10**9)


def forecast(
    series: pd.Series,
    *,
    horizon: int | None = None,
    until: str | pd.Timestamp | None = None,
    level: float = 0.9,
    repetitions: int = 2000,
    seed: int = 42,
    seasonal_period: int | None = None,
) -> pd.DataFrame:
    """Forecast a daily or monthly series with a prediction interval.

    Parameters
    ----------
    series
        Values indexed by time: daily, or monthly with the first day of each month as index.
    horizon
        Steps ahead; or give ``until`` (the last time to forecast, inclusive).
    level
        Coverage of the prediction interval (0.9 = the 5th to 95th percentile of the paths).
    repetitions, seed
        Number of simulated paths and the seed of the random numbers (deterministic).
    seasonal_period
        Season of a non-monthly series in steps (default 7 for daily series of three weeks or
        more).

    Returns
    -------
    pandas.DataFrame
        Indexed by the future times: ``timestamp``, ``forecast`` (the model's point forecast),
        ``lower``, ``upper``. ``attrs["model"]`` names the model.

    References
    ----------
    Hyndman et al. (2008); Gardner & McKenzie (1985); Hyndman & Athanasopoulos (2021) §8.7.
    """
    if not 0 < level < 1:
        raise ParameterError(f"level must be between 0 and 1, got {level!r}")
    if (horizon is None) == (until is None):
        raise ParameterError("give exactly one of horizon or until")
    if horizon is None:
        end = pd.Timestamp(until)
        idx = series.index
        if idx.tz is not None and end.tzinfo is None:
            end = end.tz_localize(idx.tz)
        if _is_monthly(idx):
            horizon = (end.year - idx[-1].year) * 12 + end.month - idx[-1].month
        else:
            from ._series import infer_freq

            horizon = int((end - idx[-1]) / pd.Timedelta(infer_freq(idx)))
        if horizon < 1:
            raise ParameterError(f"until ({until}) must be after the last value ({idx[-1]})")
    fp = forecast_paths(series, horizon=int(horizon), repetitions=repetitions, seed=seed,
                        seasonal_period=seasonal_period)
    out = fp.summary(level=level)
    out.attrs["model"] = fp.model
    return out
