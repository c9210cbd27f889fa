"""Where a batch's CPU goes: ``kpi run --all`` on bench_batch's six client-months, CPU seconds per process.

Not part of ``make bench`` (it measures no ratio): run it alone, on a quiet machine, with
``.venv/bin/python benchmarks/batch_cpu.py`` (``--large``: bench_batch's 24 client-months). It samples every process of the run with psutil every
50 ms and prints each one's CPU seconds (user + system) and the share the report kernels take, next
to the run's wall time and the CPU the two cores could have given in it. That is the measure behind
the README's "Reading the batch rows": when the kernels' own analysis fills most of the cores' time,
no runner change can make the batch much faster.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import BIN, LARGE, MONTH, WORK, setup  # noqa: E402


def main() -> None:
    setup()
    parameters = LARGE if "--large" in sys.argv[1:] else WORK / "parameters"
    out = WORK / "out-cpu"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "kpi"), "run", "--all", "--month", MONTH, "--workers", "2",
                             "--data-dir", str(WORK / "data"), "--parameters-dir", str(parameters),
                             "--outputs-dir", str(out), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    seen: dict[int, tuple[str, float, int]] = {}
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in procs:
            try:
                cpu = p.cpu_times()
                seen[p.pid] = (" ".join(p.cmdline()), cpu.user + cpu.system, p.ppid())
            except psutil.Error:
                continue
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    groups: dict[str, list[float]] = {}
    template = next((pid for pid, (cmd, _, ppid) in seen.items()
                     if ppid == proc.pid and "kpi_toolkit.kernels" in cmd and "forkserver" not in cmd), None)
    for pid, (cmd, cpu, ppid) in seen.items():
        if pid == proc.pid:
            kind = "kpi run (main process)"
        elif pid == template:
            kind = "kernel template"
        elif ppid == template:
            kind = "report kernels"
        elif "resource_tracker" in cmd:
            kind = "resource tracker"
        else:  # the fork server and the workers it forked
            kind = "pool (fork server and workers)"
        groups.setdefault(kind, []).append(cpu)
    total = sum(sum(v) for v in groups.values())
    cores = psutil.cpu_count() or 1
    print(f"wall {wall:.1f} s; CPU available {cores} x {wall:.1f} = {cores * wall:.1f} s; used {total:.1f} s")
    for kind, cpus in sorted(groups.items(), key=lambda kv: -sum(kv[1])):
        each = f" ({len(cpus)} processes, {sum(cpus) / len(cpus):.2f} s each)" if len(cpus) > 1 else ""
        print(f"  {kind:32s} {sum(cpus):6.2f} s  {sum(cpus) / total:5.1%}{each}")
    print("(samples every 50 ms: a process's last ~50 ms before it exits are not counted)")


if __name__ == "__main__":
    main()
