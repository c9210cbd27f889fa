"""``kpi kpis --client C --month YYYY-MM [--by platform] [--format table|csv]``: a client's KPIs.

``table`` shows one row per KPI with the values formatted as reports show them (one column per
group with ``--by``); ``csv`` writes the tidy frame of :func:`kpi_toolkit.kpis.compute_kpis` with raw
values (rates as fractions) for spreadsheets and scripts. Notes on values that are n/a go to stderr.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from ..context import load_context
from ..exceptions import KpiToolkitError
from ..kpis import (
    REGISTRY,
    compute_kpis,
    format_money,
    format_value,
    kpis_for_tables,
    money_decimals,
    resolve_kpis,
)
from ..params import missing_folder

HELP = "Print a client's KPIs for a month."


def _csv_list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--client", required=True, help="client id (parameters/<client>.yaml, data/<client>/)")
    p.add_argument("--month", default=None, help="YYYY-MM (default: the last complete month in the "
                   "client's time zone)")
    p.add_argument("--by", type=_csv_list, default=[],
                   help="group by these columns, comma-separated: platform, content_type, campaign, "
                        "topic, paid, source, brand, month, week, date, weekday, hour")
    p.add_argument("--kpis", type=_csv_list, default=None,
                   help="KPIs to show, comma-separated (default: every KPI the client's data allows)")
    p.add_argument("--format", choices=("table", "csv"), default="table",
                   help="table: formatted for reading; csv: raw values (rates as fractions)")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--parameters-dir", default="parameters")


def _group_label(row: pd.Series, keys: list[str]) -> str:
    parts = []
    for k in keys:
        v = row[k]
        parts.append(f"{v:%Y-%m-%d}" if isinstance(v, pd.Timestamp) else str(v))
    return " / ".join(parts)


def render_table(df: pd.DataFrame, kpis: list[str], by: list[str], *, currency: str) -> str:
    """One row per KPI (label and name), one column per group, values formatted as in reports; with
    several groups, the amounts of one KPI share one number of decimals (:func:`money_decimals`)."""
    if df.empty:
        return "(no rows for these groups in this month)"
    out = pd.DataFrame({"KPI": [REGISTRY[k].label for k in kpis], "name": kpis})
    dp = {k: money_decimals(df[k]) for k in kpis if REGISTRY[k].unit == "currency"} if len(df) > 1 else {}

    def cell(v: object, k: str) -> str:
        if k in dp:
            return format_money(v, currency, decimals=dp[k])
        return format_value(v, REGISTRY[k].unit, currency=currency)

    for i, row in df.iterrows():  # one column per group: a handful of groups, not data rows
        title = _group_label(row, by) if by else "value"
        if title in out.columns:
            title = f"{title} ({i})"
        out[title] = [cell(row[k], k) for k in kpis]
    return out.to_string(index=False)


def run(args: argparse.Namespace) -> int:
    from ..data import data_location

    args.data_dir = data_location(args.data_dir)
    folder = missing_folder(args.parameters_dir, option="--parameters-dir") or \
        missing_folder(args.data_dir, option="--data-dir")
    if folder:
        raise KpiToolkitError(folder)
    if args.month is not None:  # given, even empty: it must be a month ("" silently meant the default)
        from ..periods import parse_month

        args.month = parse_month(args.month)
    asked = resolve_kpis(args.kpis) if args.kpis else None
    tables = sorted({REGISTRY[k].table for k in (asked or REGISTRY)})  # not touchpoints & co.
    ctx = load_context(client=args.client, month=args.month or "", data_dir=args.data_dir,
                       parameters_dir=args.parameters_dir, tables=tables)
    kpis = asked or kpis_for_tables(ctx.data.tables)
    th = ctx.params.listening.sentiment_thresholds
    df = compute_kpis(ctx.data, kpis, by=args.by, period=ctx.period, tz=ctx.tz, brand=ctx.params.brand,
                      sentiment_thresholds=(th.negative, th.positive))
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False, float_format="%.10g", lineterminator="\n",
                  date_format="%Y-%m-%d")
    else:
        print(f"{ctx.params.display_name} ({ctx.client}), {ctx.month}, time zone {ctx.tz}")
        print(render_table(df, list(dict.fromkeys(kpis)), list(args.by), currency=ctx.currency))
    for note in df.attrs.get("notes", []):
        print(f"note: {note}", file=sys.stderr)
    return 0
