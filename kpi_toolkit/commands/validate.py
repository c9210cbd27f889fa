"""``kpi validate --client C`` / ``--all``: check parameters and every data file."""

from __future__ import annotations

import argparse
import sys

from ..data import load_client
from ..exceptions import KpiToolkitError
from ..params import list_clients, load_params

HELP = "Validate a client's parameters and data files."


def add_arguments(p: argparse.ArgumentParser) -> None:
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", help="client id (parameters/<client>.yaml, data/<client>/)")
    who.add_argument("--all", action="store_true", help="every client with a parameter file")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--parameters-dir", default="parameters")


def _one(client: str, args: argparse.Namespace) -> list[str]:
    load_params(client, parameters_dir=args.parameters_dir)
    data = load_client(client, data_dir=args.data_dir)
    lines = [f"{client}: ok"]
    for name, df in data.tables.items():
        lines.append(f"  {name:<12} {len(df):>9,} rows  {data.sources[name]}")
    for name in data.missing:
        lines.append(f"  {name:<12} {'-':>9}       absent: analyses that need it are skipped")
    lines += [f"  warning: {w}" for w in data.warnings]
    return lines


def run(args: argparse.Namespace) -> int:
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
