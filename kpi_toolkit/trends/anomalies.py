"""Spike and dip alerts on daily or finer series: robust seasonal baseline, then a robust z-score.

The detector (``method="median"``, the default) works in four steps on a regular grid:

1. **Variance stabilisation.** A series of non-negative whole numbers (mention counts, engagements)
   is analysed on Anscombe's square-root scale ``2 * sqrt(x + 3/8)``, where Poisson noise has unit
   variance at every level (Anscombe 1948). Other series (spend, a negative-sentiment share) are
   analysed as they are.
2. **Robust seasonal baseline.** The level is a centred running median over three of the longest
   seasonal cycles (a median filter follows level shifts without smearing them, Tukey 1977); the
   seasonal profile is the median of the de-levelled values at each phase of the cycle (hour of day,
   then day of week, for hourly data). Level and profile are re-estimated twice, as in the inner loop
   of STL (Cleveland et al. 1990), but with medians, so spikes do not pull the baseline.
3. **Robust scale.** The spread is a running median absolute deviation of the residuals over 16 of
   the longest cycles (x 1.4826, consistent with the standard deviation of normal noise; Leys et
   al. 2013; 16 weeks for daily data: local enough to follow a busy season, long enough that the
   estimate itself is steady), floored at
   1 on the Anscombe scale (Poisson noise) so that sparse counts do not raise alarms. A point whose
   window holds fewer than 28 values (:data:`MIN_SCALE_VALUES`) has no scale and is not judged: the
   spread of fewer values is too unsteady (Hampel et al. 1986; Croux & Rousseeuw 1992).
4. **Robust z-score.** ``score = (value - expected) / spread`` on the analysed scale; a point is an
   anomaly when ``|score| > threshold`` (3.5 is the cut-off that Iglewicz & Hoaglin recommend for the
   modified z-score). ``expected``, ``lower`` and ``upper`` are given back on the original scale;
   for counts the band is widened to whole numbers and a point must lie outside it (so a day with 0
   mentions is not a dip when the band starts at 0.2: sparse counts have a heavier lower tail than
   the normal approximation).

``method="stl"`` replaces step 2 by a robust STL (one seasonal period) or MSTL (several) fit; it is
slower and is kept as the reference the fast baseline is measured against
(benchmarks/bench_anomalies.py, docs/trend-detection.md).

References
----------
Anscombe, F. J. (1948). The transformation of Poisson, binomial and negative-binomial data.
Biometrika 35(3/4), 246-254.
Bandara, K., Hyndman, R. J. & Bergmeir, C. (2021). MSTL: A seasonal-trend decomposition algorithm
for time series with multiple seasonal patterns. arXiv:2107.13462.
Cleveland, R. B., Cleveland, W. S., McRae, J. E. & Terpenning, I. (1990). STL: A seasonal-trend
decomposition procedure based on loess. Journal of Official Statistics 6(1), 3-73.
Croux, C. & Rousseeuw, P. J. (1992). Time-efficient algorithms for two highly robust estimators of
scale. Computational Statistics 1, 411-428.
Hampel, F. R., Ronchetti, E. M., Rousseeuw, P. J. & Stahel, W. A. (1986). Robust Statistics: The
Approach Based on Influence Functions. Wiley.
Iglewicz, B. & Hoaglin, D. C. (1993). How to Detect and Handle Outliers. ASQC Quality Press.
Leys, C., Ley, C., Klein, O., Bernard, P. & Licata, L. (2013). Detecting outliers: do not use
standard deviation around the mean, use absolute deviation around the median. Journal of
Experimental Social Psychology 49(4), 764-766.
Tukey, J. W. (1977). Exploratory Data Analysis. Addison-Wesley (running medians).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..exceptions import NoDataError, ParameterError
from ._series import check_periods, default_periods, regularise, step_seconds

Direction = Literal["both", "up", "down"]
Method = Literal["median", "stl"]
Transform = Literal["auto", "none", "anscombe"]

COLUMNS = ["timestamp", "value", "expected", "lower", "upper", "score", "is_anomaly"]
"""Columns of :func:`detect_anomalies`' result, in order."""

MIN_POINTS = 8
"""Fewer non-missing points than this cannot give a baseline."""

MIN_SCALE_VALUES = 28
"""Fewest values the robust scale of a point is taken from; with fewer the point is not judged (score
NaN). The MAD-based standard deviation of ``n`` values has a standard error of about ``1.17 / sqrt(n)``
of itself (asymptotic variance ``1.36 sigma^2 / n``, Hampel et al. 1986): 52 % with 5 values, 22 % with
28, so a spike of 3.5 "standard deviations" from 5 values may be one of 2; below 10 values the MAD is
also biased low (correction factors up to 1.5, Croux & Rousseeuw 1992). 28 is also four weeks of days
(each weekday seen four times) and a quarter of the 16-week window of daily data, the minimum the
scale always asked of long daily series."""

_MAD_TO_SD = 1.4826  # 1 / Phi^-1(3/4): MAD of normal noise x 1.4826 = its standard deviation
_MEANAD_TO_SD = 1.2533  # sqrt(pi / 2): mean absolute deviation of normal noise -> sd


# ----------------------------------------------------------------------------------------------
# public API


def detect_anomalies(
    series: pd.Series,
    *,
    freq: str | None = None,
    threshold: float = 3.5,
    direction: Direction = "both",
    seasonal_periods: Sequence[int] | None = None,
    method: Method = "median",
    transform: Transform = "auto",
) -> pd.DataFrame:
    """Flag spikes and dips in one time series against a robust seasonal baseline.

    Parameters
    ----------
    series
        Values indexed by time (a ``DatetimeIndex``, naive or tz-aware), e.g. mentions per day or
        per 5 minutes, a daily negative-sentiment share, daily spend. Missing steps stay missing.
    freq
        Step of the series ("5min", "h", "D", ...); inferred from the most common gap when None.
        Timestamps are floored to this step; two values in one step raise :class:`ParameterError`
        (aggregate first, or use :func:`kpi_toolkit.trends.regularise` with ``agg=``).
    threshold
        Robust z-score beyond which a point is an anomaly (3.5 after Iglewicz & Hoaglin 1993).
    direction
        "up" flags spikes only, "down" dips only, "both" either.
    seasonal_periods
        Seasonal cycles in steps. None picks them from the step: 7 for daily data; 24 and 168 for
        hourly; 288 and 2016 for 5-minute data; each only when the series covers 3 cycles.
        ``()`` means no seasonality.
    method
        "median" (fast robust baseline, the default) or "stl" (robust STL / MSTL baseline).
    transform
        "auto" analyses non-negative whole numbers on Anscombe's square-root scale and anything
        else as is; "none" or "anscombe" force the choice.

    Returns
    -------
    pandas.DataFrame
        Indexed by the regular time grid, columns ``timestamp`` (the same times), ``value``,
        ``expected`` (baseline), ``lower`` and ``upper`` (the band outside which a point is an
        anomaly), ``score`` (robust z-score: signed size of the deviation in robust standard
        deviations, NaN where the value is missing) and ``is_anomaly`` (bool).

    Raises
    ------
    ParameterError
        Not a time-indexed numeric series, unknown ``freq``/``direction``/``method``, a bad
        threshold or seasonal period.
    NoDataError
        Fewer than 8 non-missing values.

    References
    ----------
    See the module docstring: Anscombe (1948); Cleveland et al. (1990); Bandara et al. (2021);
    Iglewicz & Hoaglin (1993); Leys et al. (2013).

    Examples
    --------
    >>> idx = pd.date_range("2026-01-01", periods=60, freq="D")
    >>> s = pd.Series(100.0, index=idx)
    >>> s.iloc[40] = 400
    >>> detect_anomalies(s)["is_anomaly"].sum()
    np.int64(1)
    """
    _check_options(threshold, direction, method, transform)
    reg, off = regularise(series, freq=freq)
    frame = reg.to_frame(name="value")
    periods = _periods(seasonal_periods, step_seconds(off), len(reg))
    value, expected, lower, upper, score = _detect_matrix(
        frame.to_numpy(dtype="float64"), periods=periods, threshold=float(threshold), method=method,
        transform=transform, names=[str(series.name or "series")])
    flags = _flags(score, direction, float(threshold)) & _outside(value, lower, upper)
    out = pd.DataFrame({
        "timestamp": reg.index,
        "value": value[:, 0],
        "expected": expected[:, 0],
        "lower": lower[:, 0],
        "upper": upper[:, 0],
        "score": score[:, 0],
        "is_anomaly": flags[:, 0],
    }, index=reg.index)
    out.attrs.update({"freq": off.freqstr, "seasonal_periods": periods, "threshold": float(threshold),
                      "direction": direction, "method": method, "name": series.name})
    return out


def detect_anomalies_batch(
    frame: pd.DataFrame,
    *,
    freq: str | None = None,
    threshold: float | Mapping[str, float] = 3.5,
    direction: Direction | Mapping[str, Direction] = "both",
    seasonal_periods: Sequence[int] | None = None,
    transform: Transform = "auto",
) -> pd.DataFrame:
    """:func:`detect_anomalies` for many series sharing one time grid, vectorised across series.

    Parameters
    ----------
    frame
        Wide frame: a ``DatetimeIndex`` and one numeric column per series (clients x KPIs).
    freq, seasonal_periods, transform
        As in :func:`detect_anomalies` (one choice for all columns).
    threshold, direction
        One value for all columns, or a mapping column -> value (others get 3.5 / "both").

    Returns
    -------
    pandas.DataFrame
        Long frame with a ``series`` column (the column name) and the columns of
        :func:`detect_anomalies`, sorted by series then time; the default RangeIndex.

    References
    ----------
    As :func:`detect_anomalies` (median baseline only).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"frame must be a DataFrame with one column per series, got {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise NoDataError("the frame has no series (no columns)")
    names = [str(c) for c in frame.columns]
    thr = np.array([_per(threshold, c, 3.5) for c in names], dtype="float64")
    dirs = [_per(direction, c, "both") for c in names]
    for t, d in zip(thr, dirs, strict=True):
        _check_options(t, d, "median", transform)
    # one grid for all columns (regularise the index once)
    probe = pd.Series(np.arange(len(frame), dtype="float64"), index=frame.index)
    reg, off = regularise(probe, freq=freq)
    pos = reg.to_numpy()
    mat = np.full((len(reg), frame.shape[1]), np.nan)
    ok = ~np.isnan(pos)
    src = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    mat[ok] = src[pos[ok].astype(np.int64)]
    periods = _periods(seasonal_periods, step_seconds(off), len(reg))
    value, expected, lower, upper, score = _detect_matrix(
        mat, periods=periods, threshold=thr, method="median", transform=transform, names=names)
    flags = np.zeros_like(score, dtype=bool)
    for d in set(dirs):
        cols = np.array([x == d for x in dirs])
        flags[:, cols] = _flags(score[:, cols], d, thr[cols])
    flags &= _outside(value, lower, upper)
    n, k = value.shape
    out = pd.DataFrame({
        "series": np.repeat(np.array(names, dtype=object), n),
        "timestamp": reg.index[np.tile(np.arange(n), k)],
        "value": value.T.ravel(),
        "expected": expected.T.ravel(),
        "lower": lower.T.ravel(),
        "upper": upper.T.ravel(),
        "score": score.T.ravel(),
        "is_anomaly": flags.T.ravel(),
    })
    out["series"] = out["series"].astype("string")
    return out


SEVERITY_BANDS = (1.5, 2.5)
"""A window is "moderate" below 1.5 x threshold, "high" below 2.5 x threshold, else "severe"."""


def alert_windows(result: pd.DataFrame, *, merge_gap: int | None = None) -> pd.DataFrame:
    """Group the anomalous points of :func:`detect_anomalies` into alert windows with a severity.

    Consecutive anomalies in the same direction separated by at most ``merge_gap`` normal steps
    form one window (default: 1 step for daily and hourly data, 30 minutes for finer data).

    Parameters
    ----------
    result
        Output of :func:`detect_anomalies` (or one series of :func:`detect_anomalies_batch`).
    merge_gap
        Normal steps allowed inside one window.

    Returns
    -------
    pandas.DataFrame
        One row per window: ``start``, ``end`` (first and last anomalous step), ``n_points``,
        ``kind`` ("spike" or "dip"), ``peak_at``, ``value``, ``expected``, ``lower``, ``upper`` (at
        the peak), ``score`` (signed robust z at the peak), ``severity`` ("moderate", "high",
        "severe"), ``excess`` (sum of value - expected over the window's anomalous steps).

    References
    ----------
    Severity bands are a convention of this toolkit (multiples of the alert threshold), not a
    published scale.
    """
    cols = ["start", "end", "n_points", "kind", "peak_at", "value", "expected", "lower", "upper",
            "score", "severity", "excess"]
    missing = [c for c in COLUMNS if c not in result.columns]
    if missing:
        raise ParameterError(f"alert_windows needs the output of detect_anomalies (missing column "
                             f"'{missing[0]}')")
    threshold = float(result.attrs.get("threshold", 3.5))
    if merge_gap is None:
        merge_gap = _default_merge_gap(result)
    res = result.reset_index(drop=True)
    flagged = res.index[res["is_anomaly"].to_numpy(dtype=bool)]
    rows = []
    if len(flagged):
        sign = np.sign(res.loc[flagged, "score"].to_numpy())
        pos = flagged.to_numpy()
        new = np.ones(len(pos), dtype=bool)
        new[1:] = (np.diff(pos) > merge_gap + 1) | (sign[1:] != sign[:-1])
        group = np.cumsum(new)
        for g in np.unique(group):
            idx = pos[group == g]
            sub = res.loc[idx]
            peak = sub["score"].abs().idxmax()
            z = float(res.at[peak, "score"])
            ratio = abs(z) / threshold
            severity = "moderate" if ratio < SEVERITY_BANDS[0] else (
                "high" if ratio < SEVERITY_BANDS[1] else "severe")
            rows.append({
                "start": sub["timestamp"].iloc[0], "end": sub["timestamp"].iloc[-1],
                "n_points": len(idx), "kind": "spike" if z > 0 else "dip",
                "peak_at": res.at[peak, "timestamp"], "value": float(res.at[peak, "value"]),
                "expected": float(res.at[peak, "expected"]), "lower": float(res.at[peak, "lower"]),
                "upper": float(res.at[peak, "upper"]), "score": z, "severity": severity,
                "excess": float((sub["value"] - sub["expected"]).sum()),
            })
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        out = out.astype({"n_points": "int64", "value": "float64", "expected": "float64",
                          "lower": "float64", "upper": "float64", "score": "float64",
                          "excess": "float64"})
        tz = getattr(result["timestamp"].dtype, "tz", None)
        for c in ("start", "end", "peak_at"):
            out[c] = pd.Series(pd.DatetimeIndex([], tz=tz))
    out.attrs.update(result.attrs)
    return out


# ----------------------------------------------------------------------------------------------
# the engine (2-D: time x series)


def _check_options(threshold: float, direction: str, method: str, transform: str) -> None:
    if not np.isfinite(threshold) or threshold <= 0:
        raise ParameterError(f"threshold must be a positive number of robust standard deviations, "
                             f"got {threshold!r}")
    if direction not in ("both", "up", "down"):
        raise ParameterError(f"direction must be 'both', 'up' or 'down', got {direction!r}")
    if method not in ("median", "stl"):
        raise ParameterError(f"method must be 'median' or 'stl', got {method!r}")
    if transform not in ("auto", "none", "anscombe"):
        raise ParameterError(f"transform must be 'auto', 'none' or 'anscombe', got {transform!r}")


def _per(value: object, key: str, default: object) -> object:
    if isinstance(value, Mapping):
        return value.get(key, default)
    return value


def _periods(seasonal_periods: Sequence[int] | None, step_s: float, n: int) -> tuple[int, ...]:
    if seasonal_periods is None:
        return default_periods(step_s, n)
    return check_periods(seasonal_periods, n)


def _default_merge_gap(result: pd.DataFrame) -> int:
    freq = result.attrs.get("freq")
    if not freq:
        return 1
    step = step_seconds(str(freq))
    return max(1, int(round(1800 / step))) if step < 3600 else 1


def _is_count(col: np.ndarray) -> bool:
    v = col[np.isfinite(col)]
    return v.size > 0 and bool(np.all(v >= 0)) and bool(np.all(v == np.round(v)))


def anscombe(x: np.ndarray) -> np.ndarray:
    """Anscombe's variance-stabilising transform ``2 sqrt(x + 3/8)`` (Anscombe 1948)."""
    return 2.0 * np.sqrt(np.asarray(x, dtype="float64") + 0.375)


def inverse_anscombe(y: np.ndarray) -> np.ndarray:
    """Algebraic inverse of :func:`anscombe`, clipped at zero."""
    y = np.asarray(y, dtype="float64")
    return np.where(y > 2.0 * np.sqrt(0.375), (y / 2.0) ** 2 - 0.375, 0.0)


def _rolling_median(mat: np.ndarray, window: int, *, min_periods: int) -> np.ndarray:
    window = max(1, min(window, 2 * mat.shape[0] + 1))
    return pd.DataFrame(mat).rolling(window, center=True, min_periods=min(min_periods, window)) \
        .median().to_numpy()


def _fill(mat: np.ndarray) -> np.ndarray:
    """Fill NaN gaps of each column by linear interpolation, edges by the nearest value."""
    if not np.isnan(mat).any():
        return mat
    return pd.DataFrame(mat).interpolate(limit_direction="both").to_numpy()


def _phases(n: int, periods: tuple[int, ...]) -> list[np.ndarray]:
    """Group labels per seasonal component: phase of the first period, then the position of the
    shorter cycle inside the longer one when they nest (day of week for hourly data)."""
    idx = np.arange(n)
    out: list[np.ndarray] = []
    prev = 1
    for p in periods:
        out.append((idx % p) // prev if prev > 1 and p % prev == 0 else idx % p)
        prev = p
    return out


def _seasonal(resid: np.ndarray, phases: list[np.ndarray]) -> np.ndarray:
    season = np.zeros_like(resid)
    for phase in phases:
        prof = pd.DataFrame(resid - season).groupby(phase).median()
        prof = prof - prof.mean()
        season = season + np.nan_to_num(prof.to_numpy()[phase])
    return season


def _median_baseline(z: np.ndarray, periods: tuple[int, ...]) -> np.ndarray:
    n = z.shape[0]
    base = max(periods) if periods else 3
    window = 3 * base + (1 if (3 * base) % 2 == 0 else 0)
    minp = max(3, window // 4)
    phases = _phases(n, periods)
    level = _rolling_median(z, window, min_periods=minp)
    season = np.zeros_like(z)
    for _ in range(2 if periods else 1):
        if periods:
            season = _seasonal(z - _fill(level), phases)
        level = _rolling_median(z - season, window, min_periods=minp)
    return _fill(level) + season


def _stl_baseline(z: np.ndarray, periods: tuple[int, ...]) -> np.ndarray:
    from statsmodels.tsa.seasonal import MSTL, STL

    if not periods:
        return _median_baseline(z, periods)
    filled = _fill(z)
    out = np.empty_like(z)
    for j in range(z.shape[1]):
        y = filled[:, j]
        if len(periods) == 1:
            res = STL(y, period=periods[0], robust=True).fit()
            out[:, j] = res.trend + res.seasonal
        else:
            res = MSTL(y, periods=list(periods), stl_kwargs={"robust": True}).fit()
            seas = np.asarray(res.seasonal)
            out[:, j] = res.trend + (seas.sum(axis=1) if seas.ndim == 2 else seas)
    return out


def scale_window(periods: tuple[int, ...]) -> int:
    """Steps in the running window of the robust scale: 16 of the longest cycles (16 weeks of days)."""
    base = max(periods) if periods else 7
    return max(16 * base + 1, 31)  # 16 cycles: a steadier scale than 8 (fewer false alarms)


def min_scale_points(periods: tuple[int, ...] = ()) -> int:
    """Fewest values in the scale's window for a point to be judged: :data:`MIN_SCALE_VALUES`, or a
    quarter of the window if that is less (never, with the windows of :func:`scale_window`).
    ``month_alerts`` asks as many days with data before the month
    (:data:`kpi_toolkit.trends.alerts.MIN_HISTORY_DAYS`)."""
    return min(MIN_SCALE_VALUES, scale_window(periods) // 4)


def _robust_scale(resid: np.ndarray, periods: tuple[int, ...], floor: np.ndarray, *,
                  strict: bool = False) -> np.ndarray:
    """Running robust scale of ``resid``. ``strict`` (the anomaly detector): a point whose window holds
    fewer than :func:`min_scale_points` values gets no scale (NaN, so it is never judged); otherwise
    (level shifts, seasonal adjustment) a short series lowers the minimum to a quarter of its length
    (at least 5) and falls back on the whole series' MAD."""
    n = resid.shape[0]
    window = scale_window(periods)
    minp = min_scale_points(periods) if strict else max(5, min(window, n) // 4)
    if strict and n < minp:
        return np.full(resid.shape, np.nan)
    center = _rolling_median(resid, window, min_periods=minp)
    absdev = np.abs(resid - center)
    mad = _rolling_median(absdev, window, min_periods=minp) * _MAD_TO_SD
    # where more than half the residuals are identical the MAD is 0: use the mean absolute deviation
    meanad = pd.DataFrame(absdev).rolling(min(window, 2 * n + 1), center=True,
                                          min_periods=min(minp, window)).mean().to_numpy() * _MEANAD_TO_SD
    sigma = np.where(mad > 0, mad, meanad)
    if strict:
        # too few values around a point: no scale, and the floor does not make one up
        return np.where(np.isfinite(sigma), np.fmax(sigma, floor[None, :]), np.nan)
    with np.errstate(all="ignore"):
        glob = np.nanmedian(absdev, axis=0) * _MAD_TO_SD
    sigma = np.where(np.isfinite(sigma), sigma, glob[None, :])
    sigma = np.fmax(sigma, floor[None, :])
    return sigma


def _detect_matrix(mat: np.ndarray, *, periods: tuple[int, ...], threshold: float | np.ndarray,
                   method: str, transform: str, names: list[str]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n, k = mat.shape
    counts_ok = np.isfinite(mat).sum(axis=0)
    if (counts_ok < MIN_POINTS).any():
        j = int(np.argmax(counts_ok < MIN_POINTS))
        raise NoDataError(f"series '{names[j]}' has {int(counts_ok[j])} values; anomaly detection "
                          f"needs at least {MIN_POINTS}")
    if transform == "auto":
        stab = np.array([_is_count(mat[:, j]) for j in range(k)])
    else:
        stab = np.full(k, transform == "anscombe")
    if transform == "anscombe" and (np.nanmin(mat) < 0):
        raise ParameterError("transform='anscombe' needs non-negative values")
    z = mat.copy()
    z[:, stab] = anscombe(mat[:, stab])
    expected_z = _stl_baseline(z, periods) if method == "stl" else _median_baseline(z, periods)
    resid = z - expected_z
    with np.errstate(all="ignore"):
        tiny = 1e-9 * np.fmax(np.nanmedian(np.abs(z), axis=0), 1.0)
    floor = np.where(stab, 1.0, tiny)
    sigma = _robust_scale(resid, periods, floor, strict=True)
    with np.errstate(all="ignore"):
        score = resid / sigma
    thr = np.broadcast_to(np.asarray(threshold, dtype="float64"), (k,))[None, :]
    lower_z = expected_z - thr * sigma
    upper_z = expected_z + thr * sigma
    expected = expected_z.copy()
    lower = lower_z.copy()
    upper = upper_z.copy()
    expected[:, stab] = inverse_anscombe(expected_z[:, stab])
    lower[:, stab] = inverse_anscombe(lower_z[:, stab])
    upper[:, stab] = inverse_anscombe(upper_z[:, stab])
    # counts: the band in whole numbers (a count of 0 is not a dip when the band starts at 0.2)
    lower[:, stab] = np.floor(lower[:, stab] + 1e-9)
    upper[:, stab] = np.ceil(upper[:, stab] - 1e-9)
    nonneg = np.array([np.nanmin(mat[:, j]) >= 0 for j in range(k)])
    lower[:, nonneg] = np.fmax(lower[:, nonneg], 0.0)
    expected[:, nonneg] = np.fmax(expected[:, nonneg], 0.0)
    return mat, expected, lower, upper, score


def _outside(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (value < lower) | (value > upper)


def _flags(score: np.ndarray, direction: str, threshold: float | np.ndarray) -> np.ndarray:
    thr = np.asarray(threshold, dtype="float64")
    with np.errstate(invalid="ignore"):
        if direction == "up":
            f = score > thr
        elif direction == "down":
            f = score < -thr
        else:
            f = np.abs(score) > thr
    return np.where(np.isnan(score), False, f)
