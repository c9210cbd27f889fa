"""Time-series plumbing shared by the trend functions: frequencies, regular grids, seasonal periods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..exceptions import NoDataError, ParameterError

DAY_S = 86_400.0
WEEK_S = 7 * DAY_S

_FREQ_ALIASES = {"H": "h", "T": "min", "5T": "5min", "MIN": "min", "d": "D", "1D": "D", "1h": "h"}


def normalise_freq(freq: str) -> pd.DateOffset:
    """A pandas offset for ``freq`` ("5min", "h", "D", "15min", ...); ParameterError if unknown."""
    text = _FREQ_ALIASES.get(str(freq).strip(), str(freq).strip())
    try:
        off = pd.tseries.frequencies.to_offset(text)
    except (ValueError, TypeError):
        raise ParameterError(f"unknown frequency {freq!r} (use e.g. 5min, 15min, h, D)") from None
    if _step_seconds(off) is None:
        raise ParameterError(f"frequency {freq!r} is not a fixed step (use minutes, hours or days)")
    return off


def _step_seconds(off: pd.DateOffset) -> float | None:
    try:
        return pd.Timedelta(off).total_seconds()
    except (ValueError, TypeError):
        return None


def step_seconds(freq: str | pd.DateOffset) -> float:
    """Length of one step of ``freq`` in seconds."""
    off = normalise_freq(freq) if isinstance(freq, str) else freq
    s = _step_seconds(off)
    if s is None:
        raise ParameterError(f"frequency {freq!r} is not a fixed step")
    return s


def infer_freq(index: pd.DatetimeIndex) -> pd.DateOffset:
    """The series' step: the most common gap between consecutive timestamps (a day for daily data
    even across daylight-saving changes)."""
    if len(index) < 3:
        raise NoDataError(f"need at least 3 timestamps to infer the frequency, got {len(index)}")
    ns = np.sort(index.as_unit("ns").asi8)
    gaps = np.diff(ns)
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        raise ParameterError("cannot infer the frequency: every timestamp is the same")
    values, counts = np.unique(gaps, return_counts=True)
    step = pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")
    if step >= pd.Timedelta(days=28):
        raise ParameterError(f"the timestamps are about {step.days} days apart: a monthly series; spikes and "
                             "dips are found in daily or finer series (weekly at most)")
    if step == pd.Timedelta(days=1):
        return pd.tseries.frequencies.to_offset("D")
    return pd.tseries.frequencies.to_offset(step)


def as_time_series(series: pd.Series, *, what: str = "series") -> pd.Series:
    """Check that ``series`` is indexed by time and numeric; returns a float copy sorted by time."""
    if not isinstance(series, pd.Series):
        raise ParameterError(f"{what} must be a pandas Series indexed by time, got {type(series).__name__}")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ParameterError(f"{what} must be indexed by time (a DatetimeIndex), got "
                             f"{type(series.index).__name__}")
    if not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)):
        raise ParameterError(f"{what} must hold numbers, got dtype {series.dtype}")
    if series.index.hasnans:
        raise ParameterError(f"{what} has missing timestamps (NaT) in its index")
    out = pd.Series(pd.to_numeric(series, errors="coerce").astype("float64").to_numpy(),
                    index=series.index, name=series.name)
    return out.sort_index()


def regularise(series: pd.Series, *, freq: str | pd.DateOffset | None = None,
               agg: Literal["error", "sum", "mean", "last"] = "error") -> tuple[pd.Series, pd.DateOffset]:
    """Put ``series`` on a regular grid of step ``freq`` (inferred when None).

    Timestamps are floored to the grid; grid points without a value become NaN (not zero: a missing
    row in an export is unknown, not nothing). Several values in one grid step are combined with
    ``agg`` ("error" raises, naming the first duplicated step).

    Returns
    -------
    (series, offset)
        The regular series (float64, named like the input) and its step.
    """
    s = as_time_series(series)
    if len(s) == 0:
        raise NoDataError("the series is empty")
    off = infer_freq(s.index) if freq is None else (normalise_freq(freq) if isinstance(freq, str) else freq)
    step = pd.Timedelta(off)
    floored = _floor(s.index, step)
    s = pd.Series(s.to_numpy(), index=floored, name=series.name)
    if not s.index.is_unique:
        if agg == "error":
            dup = s.index[s.index.duplicated()][0]
            raise ParameterError(f"several values fall in the step starting {dup} at frequency "
                                 f"{_freq_label(off)}; aggregate them first (e.g. --agg sum)")
        grouped = s.groupby(level=0)
        s = {"sum": grouped.sum, "mean": grouped.mean, "last": grouped.last}[agg]()
        s.name = series.name
    calendar = "D" if step == pd.Timedelta(days=1) else step
    grid = pd.date_range(s.index[0], s.index[-1], freq=calendar, name=series.index.name)
    if len(grid) > 50 * len(s) + 1000:
        raise ParameterError(f"the series has {len(s)} values spread over {len(grid)} steps of "
                             f"{_freq_label(off)}: choose a coarser frequency")
    return s.reindex(grid), off


def _floor(index: pd.DatetimeIndex, step: pd.Timedelta) -> pd.DatetimeIndex:
    """Floor to the grid: whole days in local wall time, shorter steps in UTC (no DST ambiguity)."""
    if index.tz is None:
        return index.floor(step)
    if step == pd.Timedelta(days=1):
        naive = index.tz_localize(None).floor("D")
        return naive.tz_localize(index.tz, ambiguous="NaT", nonexistent="shift_forward")
    return index.tz_convert("UTC").floor(step).tz_convert(index.tz)


def _freq_label(off: pd.DateOffset) -> str:
    return off.freqstr if hasattr(off, "freqstr") else str(off)


def default_periods(step_s: float, n: int, *, min_cycles: float = 3.0) -> tuple[int, ...]:
    """Seasonal periods (in steps) worth modelling for a series of ``n`` steps of ``step_s`` seconds.

    Daily cycle for sub-daily data and weekly cycle for daily or finer data, each kept only when the
    series covers at least ``min_cycles`` of it.
    """
    periods: list[int] = []
    for cycle_s in (DAY_S, WEEK_S):
        if step_s >= cycle_s:
            continue
        p = cycle_s / step_s
        if abs(p - round(p)) > 1e-9 or round(p) < 2:
            continue
        if n >= min_cycles * p:
            periods.append(int(round(p)))
    return tuple(periods)


def check_periods(periods: Sequence[int] | None, n: int) -> tuple[int, ...]:
    """Validate user-given seasonal periods (whole steps >= 2, at most half the series)."""
    if periods is None:
        return ()
    out: list[int] = []
    for p in periods:
        if int(p) != p or p < 2:
            raise ParameterError(f"seasonal period must be a whole number of steps >= 2, got {p!r}")
        if 2 * int(p) > n:
            raise ParameterError(f"seasonal period {int(p)} needs at least {2 * int(p)} points; "
                                 f"the series has {n}")
        out.append(int(p))
    return tuple(sorted(set(out)))
