"""``make bench``: run every benchmarks/bench_*.py, then write the README's Performance table.

Each benchmark runs in its own process and prints ``BENCH {json}`` lines (see common.py). The table
records the machine, the date and, per result, our median time, the anchor's median time measured in
the same run, and the ratio. Run one benchmark alone with ``.venv/bin/python benchmarks/bench_x.py``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
START, END = "<!-- performance-table:start -->", "<!-- performance-table:end -->"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {platform.system()}"


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "n/a"
    if unit == "s":
        return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"
    return f"{x:,.1f} {unit}"


def main(argv: list[str]) -> int:
    only = set(argv)
    rows: list[dict] = []
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.stem not in only:
            continue
        print(f"== {script.stem}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              cwd=HERE.parent)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            failed.append(script.stem)
            sys.stdout.write(proc.stderr[-3000:])
        for line in proc.stdout.splitlines():
            if line.startswith("BENCH "):
                rows.append({"bench": script.stem, **json.loads(line[6:])})
    table = [f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d}: {machine()}. Medians of several "
             "runs; the anchor is measured in the same run on the same machine.", "",
             "| benchmark | ours | anchor | anchor time | ratio | goal |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") else "n/a"
        note = f" ({r['note']})" if r.get("note") else ""
        table.append(f"| {r['name']}{note} | {_fmt(r['ours_s'], r.get('unit', 's'))} | {r['anchor']} | "
                     f"{_fmt(r['anchor_s'], r.get('unit', 's'))} | {ratio} | {r['goal']} |")
    if failed:
        table.append("")
        table.append(f"Benchmarks that failed in the last run: {', '.join(failed)}.")
    text = README.read_text(encoding="utf-8")
    if START in text and END in text and rows:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        README.write_text(head + START + "\n" + "\n".join(table) + "\n" + END + tail, encoding="utf-8")
        print(f"README.md Performance table updated ({len(rows)} results)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
