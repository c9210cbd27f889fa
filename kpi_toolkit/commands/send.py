"""``kpi send``: one email per client with the month's report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..exceptions import KpiToolkitError
from ..params import list_clients, load_params, missing_folder

HELP = "Email the reports of a month to each client's recipients."
EPILOG = ("SMTP settings come from the environment: KPI_SMTP_HOST, KPI_SMTP_PORT, KPI_SMTP_TLS "
          "(starttls|ssl|none), KPI_SMTP_USER, KPI_SMTP_PASSWORD, KPI_SMTP_FROM.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--client", action="append", help="client id (repeatable; default: every client)")
    p.add_argument("--dry-run", action="store_true", help="write outputs/<month>/<client>/email.eml instead")
    p.add_argument("--outputs-dir", default="outputs")
    p.add_argument("--parameters-dir", default="parameters")


def run(args: argparse.Namespace) -> int:
    from ..mail import SmtpSettings, deliver, stale_report_note
    from ..periods import month_words, parse_month

    month = parse_month(args.month)
    folder = missing_folder(args.parameters_dir, option="--parameters-dir") or \
        missing_folder(args.outputs_dir, option="--outputs-dir")
    if folder:
        raise KpiToolkitError(folder)
    clients = args.client or list_clients(parameters_dir=args.parameters_dir)
    if not clients:
        raise KpiToolkitError(f"no parameter files in {args.parameters_dir}/")
    settings = None if args.dry_run else SmtpSettings.from_env()
    if args.dry_run and not os.environ.get("KPI_SMTP_FROM"):
        # the review copy would show a sender the clients will never see from a real send
        print("  note: KPI_SMTP_FROM is not set, so these messages come from reports@localhost; set it to "
              "the address your clients should see", file=sys.stderr)
    failed = 0
    for c in clients:
        try:
            params = load_params(c, parameters_dir=args.parameters_dir)
            stale = stale_report_note(Path(args.outputs_dir), month, c)
            if stale:
                print(f"  {c}: note: {stale}", file=sys.stderr)
            path = deliver(params=params, month=month, period_label=month_words(month),
                           outputs_dir=Path(args.outputs_dir), dry_run=args.dry_run, settings=settings)
            n = len(params.recipients)
            what = "written" if args.dry_run else f"sent to {n} {'recipient' if n == 1 else 'recipients'}"
            print(f"  {c}: {what} ({os.path.relpath(path)})")
        except KpiToolkitError as e:
            failed += 1
            print(f"  {c}: NOT SENT: {e}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - one client's failure never stops the others' e-mails
            if getattr(args, "debug", False):
                raise
            failed += 1
            text = " ".join(str(e).split())
            print(f"  {c}: NOT SENT: {type(e).__name__}: {text}", file=sys.stderr)
    return 2 if failed else 0
