"""The ``kpi`` command: thin over the modules; only this module knows argv.

Each sub-command lives in ``kpi_toolkit/commands/<name>.py`` and defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Command modules are imported only when their
command runs, so ``kpi --help`` stays fast. A :class:`KpiToolkitError` prints one line on stderr and
exits 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from .exceptions import KpiToolkitError

COMMANDS: dict[str, str] = {
    "demo": "Generate deterministic demo data and parameter files for three demo clients.",
    "validate": "Validate a client's parameters and data files.",
    "kpis": "Print a client's KPIs for a month.",
    "run": "Run the report notebooks for one client or all clients.",
    "send": "Email the reports of a month to each client's recipients.",
    "import": "Import a platform export into a client's canonical tables.",
    "anomalies": "Detect spikes and dips in any exported time series.",
    "attribute": "Multi-touch attribution of a paths file.",
    "sentiment": "Score the sentiment of a text export.",
}


def _module_name(cmd: str) -> str:
    return f"kpi_toolkit.commands.{cmd}_cmd" if cmd == "import" else f"kpi_toolkit.commands.{cmd}"


def _available() -> list[str]:
    return [c for c in COMMANDS if importlib.util.find_spec(_module_name(c)) is not None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi", description="kpi_toolkit: monthly social-media KPI reports.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in _available():
        sub.add_parser(cmd, help=COMMANDS[cmd], add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    available = _available()
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in available:
        parser = build_parser()
        if argv and argv[0] not in {"-h", "--help"}:
            parser.print_usage(sys.stderr)
            print(f"kpi: unknown command {argv[0]!r}; commands: {', '.join(available)}", file=sys.stderr)
            return 2
        parser.print_help()
        return 0
    cmd, rest = argv[0], argv[1:]
    module = importlib.import_module(_module_name(cmd))
    sub = argparse.ArgumentParser(prog=f"kpi {cmd}", description=COMMANDS[cmd])
    module.add_arguments(sub)
    args = sub.parse_args(rest)
    args.debug = debug
    try:
        return int(module.run(args) or 0)
    except KpiToolkitError as e:
        if debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:  # `kpi anomalies ... | head`: the reader has what it wanted; no "error"
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit fails too
        return 141  # as a program ended by SIGPIPE, the shell's convention
    except OSError as e:  # a folder that cannot be written (read-only, full disk, no permission)
        if debug:
            raise
        print(f"error: {_os_error_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _os_error_line(e: OSError) -> str:
    """``cannot use outputs/2026-10: read-only file system`` — the file and the system's reason."""
    import os

    where = e.filename if e.filename is not None else ""
    reason = (e.strerror or str(e)).rstrip(".").lower()
    if where:
        return f"cannot use {os.path.relpath(str(where)) if os.path.isabs(str(where)) else where}: {reason}"
    return reason


if __name__ == "__main__":
    sys.exit(main())
