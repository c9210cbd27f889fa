"""One call that a notebook makes to get everything it needs: parameters, data and the period.

    ctx = load_context(client=client, month=month, data_dir=data_dir, parameters_dir=parameters_dir)

Data is loaded with full history (trend views need the previous 12-24 months); analyses slice
``ctx.period`` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .data import ClientData, load_client
from .params import ClientParams, load_params
from .periods import Period, last_complete_month, month_period, parse_month


@dataclass
class ReportContext:
    """Parameters, data and period of one client-month."""

    client: str
    month: str
    params: ClientParams
    data: ClientData
    period: Period

    @property
    def tz(self) -> str:
        return self.params.timezone

    @property
    def currency(self) -> str:
        return self.params.currency


def load_context(*, client: str, month: str | None = "", data_dir: str | Path = "data",
                 parameters_dir: str | Path = "parameters", tables: list[str] | None = None) -> ReportContext:
    """Load and validate a client's parameters and data for ``month`` ("" = last complete month)."""
    params = load_params(client, parameters_dir=parameters_dir)
    month = parse_month(month) if month else last_complete_month(tz=params.timezone)
    data = load_client(client, data_dir=data_dir, tables=tables)
    return ReportContext(client=client, month=month, params=params, data=data,
                         period=month_period(month, params.timezone))
