"""``kpi demo [--root .] [--end-month YYYY-MM] [--seed 42]``: write the demo clients and their truth."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

HELP = "Generate deterministic demo data and parameter files for three demo clients."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=".", help="folder that receives data/ and parameters/ (default: .)")
    p.add_argument("--end-month", default=None, metavar="YYYY-MM",
                   help="last month of the 24 months of data (default: the last complete month, UTC)")
    p.add_argument("--seed", type=int, default=42, help="seed of every random stream (default: 42)")


def run(args: argparse.Namespace) -> int:
    from ..demo import generate

    root = Path(args.root)
    started = time.perf_counter()
    truth = generate(root, end_month=args.end_month, seed=args.seed)
    elapsed = time.perf_counter() - started
    gen = truth["generator"]
    clients = truth["clients"]
    first = next(iter(clients.values()))["period"]
    print(f"demo data for {len(clients)} clients, {first['start']} to {first['end']} "
          f"(end month {gen['end_month']}, seed {gen['seed']}) in {elapsed:.1f} s")
    for client, info in clients.items():
        print(f"{client}  ({info['industry']}, {info['timezone']}, {info['currency']}; "
              f"competitors: {', '.join(info['competitors'])})")
        for table, rows in info["rows"].items():
            print(f"  {table:<12} {rows:>9,} rows  {root / info['files'][table]}")
        print(f"  parameters   {root / info['files']['parameters']}")
    print(f"truth: {root / 'data' / 'demo' / 'TRUTH.json'} (planted signals; see docs/demo-data.md)")
    return 0
