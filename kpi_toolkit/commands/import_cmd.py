"""``kpi import FORMAT FILE --client C``: a platform export into the client's canonical tables.

FORMAT is a preset name (``kpi import --list``) or the path of your own mapping .yaml. The report
printed is also written to ``data/<client>/imports/`` next to a copy of the export.
"""

from __future__ import annotations

import argparse

from ..exceptions import KpiToolkitError
from ..schema import PLATFORMS

HELP = "Import a platform export into a client's canonical tables."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("format", nargs="?", metavar="FORMAT",
                   help="preset name (see --list) or path of a mapping .yaml")
    p.add_argument("file", nargs="?", metavar="FILE", help="the export file (never modified)")
    p.add_argument("--client", help="client id: writes data/<client>/<table>.csv")
    p.add_argument("--platform", choices=PLATFORMS, help="for exports that do not say their platform")
    p.add_argument("--year", type=int, help="for exports without a year (e.g. the UCI Facebook file: 2014)")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--parameters-dir", default="parameters",
                   help="read the client's time zone from here (only the 'timezone' key)")
    p.add_argument("--timezone", help="IANA zone of times written without an offset "
                   "(default: the client's parameters, else UTC)")
    p.add_argument("--on-conflict", choices=("error", "replace", "keep"), default="error",
                   help="a stored key with different values: error (default), take the export's "
                   "values, or keep the stored ones")
    p.add_argument("--encoding", help="override the detected encoding (e.g. utf-16, latin-1)")
    p.add_argument("--delimiter", help="override the detected delimiter (use 'tab' for TAB)")
    p.add_argument("--date-format", help="strptime format of the export's dates, e.g. %%d/%%m/%%Y")
    p.add_argument("--dry-run", action="store_true", help="convert, validate and report; write nothing")
    p.add_argument("--list", action="store_true", help="list the known export formats and exit")


def run(args: argparse.Namespace) -> int:
    from ..importers import import_export, list_presets

    if args.list:
        for name, pr in list_presets().items():
            mark = "verified" if pr.status == "verified" else "from docs"
            print(f"{name:<24} {pr.table:<9} {mark:<9} {pr.title}")
        return 0
    if not args.format or not args.file or not args.client:
        raise KpiToolkitError("usage: kpi import FORMAT FILE --client C (formats: kpi import --list)")
    delimiter = "\t" if args.delimiter in ("tab", "\\t") else args.delimiter
    res = import_export(
        args.format, args.file, client=args.client, data_dir=args.data_dir, platform=args.platform,
        year=args.year, timezone=args.timezone, parameters_dir=args.parameters_dir,
        on_conflict=args.on_conflict, dry_run=args.dry_run, encoding=args.encoding,
        delimiter=delimiter, date_format=args.date_format)
    print(res.report.to_text())
    if res.log_txt is not None:
        print(f"  log        {res.log_txt}")
    return 0
