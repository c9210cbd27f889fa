"""One call that a notebook makes to get everything it needs: parameters, data and the period.

    ctx = load_context(client=client, month=month, data_dir=data_dir, parameters_dir=parameters_dir)

A report reads only what it needs: the ``history_months`` (parameter, default 36) ending with the
report month, nothing after it, and the wide columns (mention texts, ids, authors; see
:attr:`kpi_toolkit.schema.Column.detail`) only for the report month and the month before. With
month-partitioned Parquet the rest is never read from disk, so a client with tens of millions of
mentions gets its report within a few hundred MB. Analyses slice ``ctx.period`` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .data import ClientData, frame_extent, load_client, table_extent
from .exceptions import KpiToolkitError, NoDataError
from .params import ClientParams, load_params
from .periods import (
    Period,
    last_complete_month,
    month_period,
    parse_month,
    previous_month,
    shift_month,
)
from .schema import TABLES


@dataclass
class ReportContext:
    """Parameters, data and period of one client-month."""

    client: str
    month: str
    params: ClientParams
    data: ClientData
    period: Period
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    """Results that more than one view uses (e.g. the core period comparisons), computed once."""

    @property
    def tz(self) -> str:
        return self.params.timezone

    @property
    def currency(self) -> str:
        return self.params.currency


def load_context(*, client: str, month: str | None = "", data_dir: str | Path = "data",
                 parameters_dir: str | Path = "parameters", tables: list[str] | None = None,
                 require_data: bool = True, whole_history: bool = False) -> ReportContext:
    """Load and validate a client's parameters and data for ``month`` ("" = last complete month).

    Reads the window :func:`report_window` gives (``whole_history=True`` reads every row and
    column, as an analyst exploring the data may want)."""
    params = load_params(client, parameters_dir=parameters_dir)
    month = parse_month(month) if month else last_complete_month(tz=params.timezone)
    if whole_history:
        data = load_client(client, data_dir=data_dir, tables=tables)
    else:
        w = report_window(params, month)
        data = load_client(client, data_dir=data_dir, tables=tables, start=w["start"], end=w["end"],
                           detail_start=w["detail_start"], whole_columns=w["whole_columns"])
    period = month_period(month, params.timezone)
    if require_data:
        check_month_has_data(data, period, month)
    return ReportContext(client=client, month=month, params=params, data=data, period=period)


def report_window(params: ClientParams, month: str) -> dict[str, Any]:
    """What a monthly report of ``month`` reads: ``start``/``end`` (UTC) and ``detail_start``.

    ``start`` is the first local day of the ``params.history_months`` ending with ``month`` (or of
    the 3 months before the earliest goal start, if earlier), less a day so that daily tables whose
    dates are local days are not cut; ``end`` is the end of ``month``, so a report re-run later
    gives the same numbers. ``detail_start`` is the start of the month before ``month``: wide
    columns are read from there on. ``whole_columns`` lists detail columns read for every row all
    the same (mention texts when the parameters ask to score every mention with VADER).
    """
    tz = params.timezone
    first = shift_month(month, -(params.history_months - 1))
    for g in params.goals:
        if g.start is not None:
            first = min(first, shift_month(f"{g.start:%Y-%m}", -3))
    return {
        "start": month_period(first, tz).start - pd.Timedelta(days=1),
        "end": month_period(month, tz).end,
        "detail_start": month_period(previous_month(month), tz).start,
        "whole_columns": [] if params.listening.use_provided_scores else ["mentions.text"],
    }


def coverage(data: ClientData) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last time of any row in the client's time-placed tables (UTC), as loaded: only the
    window a report read when it read one (:func:`data_months` reads the whole stored tables)."""
    lo = hi = None
    for name, df in data.tables.items():
        col = TABLES[name].time_col
        if col is None or col not in df.columns or df.empty:
            continue
        t = df[col].dropna()
        if t.empty:
            continue
        t_lo, t_hi = t.min(), t.max()
        if t_lo.tzinfo is None:
            t_lo, t_hi = t_lo.tz_localize("UTC"), t_hi.tz_localize("UTC")
        lo = t_lo if lo is None or t_lo < lo else lo
        hi = t_hi if hi is None or t_hi > hi else hi
    return lo, hi


def data_months(data: ClientData, tz: str = "UTC") -> tuple[str | None, str | None, int]:
    """The first and last month (``YYYY-MM`` in ``tz``) of any row of the client's tables, and how
    many rows carry only a month (posts with ``published_month`` and no ``published_at``).

    Counts every stored row, not only the window a report loaded: each loaded table's file is
    asked for its extent (:func:`kpi_toolkit.data.table_extent`: Parquet statistics, a CSV's time
    columns), never loaded whole again. A table without a file (built in memory) counts its rows.
    """
    lo = hi = None
    month_only = 0
    for name, df in data.tables.items():
        if TABLES[name].time_col is None:
            continue
        source = data.sources.get(name)
        try:
            ext = table_extent(source, name) if source is not None else frame_extent(df, name)
        except (KpiToolkitError, OSError, ValueError):  # the file changed since it was loaded
            ext = frame_extent(df, name)
        span = ext.months(tz)
        month_only += ext.month_only
        if span is not None:
            lo = span[0] if lo is None else min(lo, span[0])
            hi = span[1] if hi is None else max(hi, span[1])
    return lo, hi, month_only


def month_has_data(data: ClientData, period: Period, month: str) -> bool:
    """True when some loaded table has a row inside ``period`` (posts also by ``published_month``)."""
    for name, df in data.tables.items():
        col = TABLES[name].time_col
        if col is None or col not in df.columns or df.empty:
            continue
        t = df[col]
        start, end = period.start, period.end
        if t.dt.tz is None:
            start, end = start.tz_localize(None), end.tz_localize(None)
        if ((t >= start) & (t < end)).any():
            return True
        if name == "posts" and "published_month" in df.columns and (df["published_month"] == month).any():
            return True
    return False


def check_month_has_data(data: ClientData, period: Period, month: str) -> None:
    """Raise :class:`NoDataError` when no table has a row inside ``period``; the message gives the
    client's first and last month (:func:`data_months`) so that the user knows which to ask for."""
    if month_has_data(data, period, month):
        return
    first, last, month_only = data_months(data, period.tz)
    if first is None:
        span = " (it has no dated rows)" if data.tables else " (it has no data files)"
    else:
        only = f"; {month_only:,} of its posts have a month but no day" if month_only else ""
        span = f" (its data covers {first} to {last}{only})"
    raise NoDataError(f"no data for client '{data.client}' in {month}{span}")
