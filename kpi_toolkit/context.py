"""One call that a notebook makes to get everything it needs: parameters, data and the period.

    ctx = load_context(client=client, month=month, data_dir=data_dir, parameters_dir=parameters_dir)

Data is loaded with full history (trend views need the previous 12-24 months); analyses slice
``ctx.period`` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .data import ClientData, load_client
from .exceptions import NoDataError
from .params import ClientParams, load_params
from .periods import Period, last_complete_month, month_period, parse_month
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
                 require_data: bool = True) -> ReportContext:
    """Load and validate a client's parameters and data for ``month`` ("" = last complete month)."""
    params = load_params(client, parameters_dir=parameters_dir)
    month = parse_month(month) if month else last_complete_month(tz=params.timezone)
    data = load_client(client, data_dir=data_dir, tables=tables)
    period = month_period(month, params.timezone)
    if require_data:
        check_month_has_data(data, period, month)
    return ReportContext(client=client, month=month, params=params, data=data, period=period)


def coverage(data: ClientData) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last time of any row in the client's time-placed tables (UTC)."""
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


def check_month_has_data(data: ClientData, period: Period, month: str) -> None:
    """Raise :class:`NoDataError` when no table has a row inside ``period``."""
    for name, df in data.tables.items():
        col = TABLES[name].time_col
        if col is None or col not in df.columns or df.empty:
            continue
        t = df[col]
        start, end = period.start, period.end
        if t.dt.tz is None:
            start, end = start.tz_localize(None), end.tz_localize(None)
        if ((t >= start) & (t < end)).any():
            return
        if name == "posts" and "published_month" in df.columns and (df["published_month"] == month).any():
            return
    lo, hi = coverage(data)
    span = f" (its data covers {lo:%Y-%m-%d} to {hi:%Y-%m-%d})" if lo is not None else " (it has no dated rows)"
    raise NoDataError(f"no data for client '{data.client}' in {month}{span}")
