"""One report's peak memory, and the set-up time of `make test`'s environment from a fresh clone.

Peak memory: ``kpi run`` of one demo client's monthly report with one worker, read as the largest
resident set of the child processes (``ru_maxrss``). The kernel is started as a child of the kpi
process (``KPI_FORK_KERNELS=0``): a kernel forked from the warm template is the template's child and
invisible to ``RUSAGE_CHILDREN``; it holds the same data, and shares the template's pages.
Set-up: ``make setup`` in a fresh clone of this repository (uv's download cache is warm on a
machine that has run it once; that is what a developer and CI see after the first time).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import MONTH, WORK, setup  # noqa: E402
from common import emit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def peak_report_memory_mb(client: str) -> tuple[float, float]:
    out = WORK / "out-memory"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "kpi"), "run", "--client", client, "--month", MONTH, "--workers", "1",
                    "--data-dir", str(WORK / "data"), "--parameters-dir", str(WORK / "parameters"),
                    "--outputs-dir", str(out), "--no-progress"], check=True, capture_output=True,
                   env={**os.environ, "KPI_FORK_KERNELS": "0"})
    wall = time.perf_counter() - t0
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, wall


def setup_time() -> float:
    clone = REPO / "benchmarks" / ".work" / "fresh-clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    t0 = time.perf_counter()
    subprocess.run(["make", "setup"], cwd=clone, check=True, capture_output=True)
    t = time.perf_counter() - t0
    shutil.rmtree(clone, ignore_errors=True)
    return t


def main() -> None:
    clients = setup()
    mb, wall = peak_report_memory_mb(clients[0])
    emit(f"monthly report peak memory ({clients[0]}, 1 worker)", ours_s=mb, unit="MB", anchor="limit",
         anchor_s=2048.0, ratio=mb / 2048.0, goal="< 2 GB", note=f"ratio = peak / limit; {wall:.1f} s wall")
    emit("make setup from a fresh clone (warm uv cache)", ours_s=setup_time(), anchor="none (absolute time)",
         anchor_s=None, goal="seconds, not minutes")


if __name__ == "__main__":
    main()
