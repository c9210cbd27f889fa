"""``kpi validate --client C`` / ``--all``: check parameters, the files they name, and every data file.

What a client gets, and why (the line a demanding user wants is "will ``kpi run`` work, and will
the report say what it should"):

* an **error** (exit 2) when ``kpi run`` would refuse or fail the client's report: invalid
  parameters (a ``currency`` that is not an ISO 4217 code among them), a ``branding.logo`` that is
  not there or not a PNG, JPEG or GIF (:func:`kpi_toolkit.params.check_files`), a data file that
  breaks a rule, no data folder, or a data folder without a single row in any table;
* a **warning** (header ``<client>: WARNING: ...``, exit 0) when the report runs but its headline is
  empty: none of the client's ``core_kpis`` has its table;
* ``<client>: ok`` otherwise, with a ``warning:`` line for each core KPI without data (shown as
  n/a in the report) and for each data warning.
"""

from __future__ import annotations

import argparse
import sys

from ..data import ClientData, load_client
from ..exceptions import KpiToolkitError, NoDataError
from ..params import ClientParams, check_files, list_clients, load_params, missing_folder

HELP = "Validate a client's parameters and data files."

EPILOG = """\
exit 0 and "<client>: ok": parameters, the files they name and every data file pass.
  "warning:" lines under it say what a report will lack (a core KPI without its table, ...).
exit 0 and "<client>: WARNING: ...": the report runs, but none of the client's core KPIs
  has data, so its headline would be empty.
exit 2 and one line a client: `kpi run` would refuse or fail the report: invalid parameters
  (e.g. currency 'euro': use the ISO 4217 code 'EUR'), a branding.logo that is not there or
  not PNG/JPEG/GIF (the report would show initials instead), a data file that breaks a rule,
  or no data at all (no folder, or no table with a row)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", help="client id (parameters/<client>.yaml, data/<client>/)")
    who.add_argument("--all", action="store_true", help="every client with a parameter file")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--parameters-dir", default="parameters")


def _core_without_data(params: ClientParams, data: ClientData) -> dict[str, str]:
    """Core KPI -> the table it lacks, for each core KPI whose table is absent or empty."""
    from ..kpis import REGISTRY

    out = {}
    for k in dict.fromkeys(params.core_kpis):
        table = REGISTRY[k].table
        if _no_rows(data, table):
            out[k] = table
    return out


def _name_warnings(params: ClientParams, data: ClientData) -> list[str]:
    """The brand and competitors as the parameters spell them but the data never does: share of voice
    and the competitor tables would show them at 0 (a "Lumiere" against the data's "Lumière")."""
    import difflib

    out = []
    for table in ("mentions", "competitors"):
        df = data.tables.get(table)
        if df is None or not len(df) or "brand" not in df.columns:
            continue
        seen = sorted(map(str, df["brand"].dropna().unique()))
        for key, name in [("brand", params.brand), *(("competitors", c) for c in params.competitors)]:
            if name in seen:
                continue
            close = difflib.get_close_matches(name, seen, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"it has: {', '.join(seen[:8])}"
            out.append(f"{key} {name!r} never appears in the {table} data ({data.sources[table]}); its share "
                       f"of voice and counts would be 0 — {hint}")
    return out


def _goal_warnings(params: ClientParams, data: ClientData | None = None) -> list[str]:
    """Goals whose deadline has passed (the report of a later month still lists them, met or missed),
    and goals on a KPI whose table the client has no data for (the report cannot pace them)."""
    from datetime import date

    from ..kpis import REGISTRY

    out = [f"goal on {g.kpi!r}: its deadline {g.by} has passed; reports of later months show it as met "
           "or missed (remove it, or set a new deadline)" for g in params.goals if g.by < date.today()]
    if data is not None:
        for g in params.goals:
            table = REGISTRY[g.kpi].table
            if _no_rows(data, table):
                out.append(f"goal on {g.kpi!r}: no {table} data, so the report cannot pace it (it says so)")
    return out


def _no_rows(data: ClientData, table: str) -> bool:
    return table not in data.tables or len(data.tables[table]) == 0


def _one(client: str, args: argparse.Namespace) -> list[str]:
    params = load_params(client, parameters_dir=args.parameters_dir)
    check_files(params, parameters_dir=args.parameters_dir)
    data = load_client(client, data_dir=args.data_dir)
    where = f"{str(args.data_dir).rstrip('/')}/{client}/"
    if not any(len(df) for df in data.tables.values()):
        what = "has tables but no rows" if data.tables else "holds none of the canonical tables (posts.csv, ...)"
        raise NoDataError(f"no data for client '{client}': {where} {what}, so `kpi run` has nothing "
                          "to report (see docs/data-model.md; `kpi import` writes them)")
    lacking = _core_without_data(params, data)
    note = ", ".join(f"{k} (no {t} data)" for k, t in lacking.items())
    if len(lacking) == len(dict.fromkeys(params.core_kpis)):
        lines = [f"{client}: WARNING: none of its core KPIs can be computed from its data: {note}; "
                 "the report's snapshot would be empty"]
    else:
        lines = [f"{client}: ok"]
        if lacking:
            lines.append(f"  warning: core KPIs without data, shown as n/a in the report: {note}")
    lines += [f"  warning: {w}" for w in [*_name_warnings(params, data), *_goal_warnings(params, data), *data.warnings]]
    for name, df in data.tables.items():
        lines.append(f"  {name:<12} {len(df):>9,} rows  {data.sources[name]}")
    for name in data.missing:
        lines.append(f"  {name:<12} {'-':>9}       absent (looked for {data.expected_files.get(name, '?')}): "
                     "analyses that need it are skipped")
    return lines


def run(args: argparse.Namespace) -> int:
    from ..data import data_location

    args.data_dir = data_location(args.data_dir)
    folder = missing_folder(args.parameters_dir, option="--parameters-dir") or \
        missing_folder(args.data_dir, option="--data-dir")
    if folder:
        raise KpiToolkitError(folder)
    if args.client:
        print("\n".join(_one(args.client, args)))
        return 0
    clients = list_clients(parameters_dir=args.parameters_dir)
    if not clients:
        raise KpiToolkitError(f"no parameter files in {args.parameters_dir}/ (run `kpi demo`)")
    failed = 0
    for c in clients:
        try:
            print("\n".join(_one(c, args)))
        except KpiToolkitError as e:
            failed += 1
            print(f"{c}: FAILED: {e}", file=sys.stderr)
    return 2 if failed else 0
