"""``kpi run``: the monthly reports for one client or all clients.

Everything that can be checked without a kernel is checked first (:func:`kpi_toolkit.runner.plan`).
A mistake in the request itself (an unknown client name, month, notebook or parameter; no
``parameters/`` or ``data/`` folder) prints one line and exits 2 before anything is written. A
client that cannot have a report (invalid parameters, missing logo, no data in the month) gets one
line and the others run; when that leaves nothing to run, one line, exit 2, and ``outputs/`` is
left as it was.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from ..exceptions import KpiToolkitError
from ..params import list_clients, missing_folder

HELP = "Run the report notebooks for one client or all clients."


def add_arguments(p: argparse.ArgumentParser) -> None:
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", action="append", help="client id (repeat for several)")
    who.add_argument("--all", action="store_true", help="every client with a parameter file")
    p.add_argument("--month", default=None, help="YYYY-MM (default: the last complete month)")
    p.add_argument("--notebook", action="append", help="notebook name (repeatable; default: monthly_report; "
                   "'all' for every notebook)")
    p.add_argument("--workers", type=int, default=None, help="parallel reports (default: one per core)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE",
                   help="extra notebook parameter (must exist in the notebook's parameters cell)")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--parameters-dir", default="parameters")
    p.add_argument("--notebooks-dir", default=str(Path(__file__).resolve().parents[2] / "notebooks"))
    p.add_argument("--outputs-dir", default="outputs")
    p.add_argument("--no-progress", action="store_true")


def headline(summary: Any) -> str:
    """The run's first line: how many reports are ok, and what became of the others.

    "15 of 20 reports ok" alone left a reader to find out from the lines below (on stderr, often
    printed after them) that the other five were skipped for a client without data in the month,
    not failed, and why the exit code was 2."""
    def reports(n: int) -> str:
        return f"{n} report{'s' * (n != 1)}"

    ok = sum(r.status == "ok" for r in summary.results)
    due = sum(r.status != "not_applicable" for r in summary.results)
    line = f"{ok} of {due} reports ok for {summary.month} in {summary.duration_s:.1f} s"
    skipped = [r for r in summary.results if r.status == "skipped"]
    if skipped:
        clients = sorted({r.client for r in skipped})
        line += (f"; {reports(len(skipped))} skipped: no data in {summary.month} for "
                 f"{', '.join(clients)}")
    failed = [r for r in summary.results if r.status == "failed"]
    if failed:
        line += f"; {reports(len(failed))} failed"
    return line


def _shown(path: str) -> str:
    """A path as typed from here: relative below the current folder, absolute elsewhere (not
    ``../../tmp/out``)."""
    rel = os.path.relpath(path)
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


def _shown_in(text: str | None) -> str:
    """``text`` with the current folder dropped from the absolute paths in it: a kernel reads the
    data by absolute path, so its messages said ``/home/ana/agency/data/acme/posts.csv`` where
    ``kpi validate`` says ``data/acme/posts.csv``."""
    here = os.getcwd().rstrip(os.sep) + os.sep
    if not text or here == os.sep:
        return text or ""
    return re.sub(r"(?<![\w./~-])" + re.escape(here), "", text)


def run(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from ..runner import (
        DEFAULT_NOTEBOOKS,
        NOTEBOOKS,
        local_kernels,
        parse_param_args,
        pool_size,
        run_reports,
    )

    if args.all:
        folder = missing_folder(args.parameters_dir, option="--parameters-dir")
        if folder:
            raise KpiToolkitError(folder)
    clients = list_clients(parameters_dir=args.parameters_dir) if args.all else args.client
    if args.all and not clients:
        raise KpiToolkitError(f"no parameter files in {args.parameters_dir}/ (run `kpi demo` first)")
    notebooks = args.notebook or list(DEFAULT_NOTEBOOKS)
    if "all" in notebooks:
        notebooks = list(NOTEBOOKS)
    if args.workers is not None and args.workers < 1:
        raise KpiToolkitError("--workers must be at least 1")
    # the kernel template starts before this process imports pandas (data, periods): its own imports,
    # on the critical path of the first report, start ~0.35 s sooner
    early = nullcontext() if args.scheduler else local_kernels(pool_size(args.workers, len(clients) * len(notebooks)))
    with early:
        from ..data import data_location
        from ..periods import last_complete_month

        month = last_complete_month() if args.month is None else args.month  # "" is refused by the plan
        data_dir = data_location(args.data_dir, kernels=True)  # s3:// without credentials: one line, here
        summary = run_reports(clients=clients, month=month, notebooks=notebooks,
                              notebooks_dir=Path(args.notebooks_dir), outputs_dir=Path(args.outputs_dir),
                              data_dir=data_dir,
                              parameters_dir=Path(args.parameters_dir), workers=args.workers,
                              scheduler=args.scheduler, extra=parse_param_args(args.param),
                              progress=False if args.no_progress else None)
    print(headline(summary))
    set_aside: set[str] = set()
    for r in summary.results:
        if r.status == "ok":
            print(f"  ok      {r.client}/{r.notebook}: {_shown(r.html)}")
            for note in r.notes:
                print(f"          note: {_shown_in(note)}")
        elif r.status == "not_applicable":  # the notebook needs tables this client does not have
            print(f"  not run {r.client}/{r.notebook}: {_shown_in(r.error)}")
        elif r.attempts == 0:  # set aside before any kernel: one line a client, not one a notebook
            if r.client not in set_aside:
                set_aside.add(r.client)
                print(f"  {'SKIPPED' if r.status == 'skipped' else 'FAILED '} {r.client}: {_shown_in(r.error)}",
                      file=sys.stderr)
        else:
            where = f" (failing cell marked in {_shown(r.failed_ipynb)})" if r.failed_ipynb else ""
            kept = "; the previous good report is kept" if r.previous_report_kept else ""
            print(f"  FAILED  {r.client}/{r.notebook}: {_shown_in(r.error)}{where}{kept}", file=sys.stderr)
    if summary.index_html:
        print(f"index: {_shown(summary.index_html)}")
    return summary.exit_code
