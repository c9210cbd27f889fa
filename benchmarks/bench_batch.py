"""Batch: ``kpi run --all`` against the naive loop of papermill CLI + jupyter nbconvert CLI per report.

Two batch sizes, both timed against the same naive loop in the same run: six client-months (three
rounds of two on a 2-core machine) and 24 (a small agency's month). The naive loop runs once over the
24 client-months, each report timed on its own; the six-report anchor is the sum of its six reports'
times in that pass (the loop shares nothing between reports: each is two fresh CLI processes). Our
batch pays a fixed start of ~2.5 s (the kernel template imports the libraries once) that six reports
share and 24 spread thin, so the two rows show the start and the steady rate apart.

Also compares the per-report cost of ``kpi run`` (one worker) with the floor: a kernel start plus the
notebook's own compute (its code run in a plain Python process, imports included). ``kpi run``
forks its kernels from a template that has imported the libraries already (kpi_toolkit.kernels), so
it can come in under that floor. Demo data for the three demo clients, each copied under other names
(``-2`` ... ``-8``), month pinned to 2026-10, outputs under benchmarks/.work/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, median_time  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "batch"
BIN = Path(sys.executable).parent
MONTH = "2026-10"
NB = REPO / "notebooks" / "monthly_report.ipynb"


COPIES = 2
"""Each demo client twice (the second under another name): six client-months, three per worker.
Their parameters are in ``WORK / "parameters"``."""
LARGE_COPIES = 8
"""Each demo client eight times: 24 client-months, in ``WORK / "parameters-large"``."""
LARGE = WORK / "parameters-large"


def setup() -> list[str]:
    """Make the demo data once; the six clients of the small batch (the 24 are :func:`large_clients`)."""
    if not (LARGE / f"demo-lumiere-{LARGE_COPIES}.yaml").is_file():
        shutil.rmtree(WORK, ignore_errors=True)
        WORK.mkdir(parents=True)
        subprocess.run([str(BIN / "kpi"), "demo", "--root", str(WORK), "--end-month", MONTH], check=True,
                       capture_output=True)
        LARGE.mkdir()
        for params in sorted((WORK / "parameters").glob("*.yaml")):
            client = params.stem
            shutil.copy(params, LARGE / params.name)
            for i in range(2, LARGE_COPIES + 1):
                shutil.copytree(WORK / "data" / client, WORK / "data" / f"{client}-{i}")
                text = params.read_text(encoding="utf-8").replace(f"client: {client}", f"client: {client}-{i}", 1)
                (LARGE / f"{client}-{i}.yaml").write_text(text, encoding="utf-8")
                if i <= COPIES:
                    (WORK / "parameters" / f"{client}-{i}.yaml").write_text(text, encoding="utf-8")
    return sorted(p.stem for p in (WORK / "parameters").glob("*.yaml"))


def large_clients() -> list[str]:
    return sorted(p.stem for p in LARGE.glob("*.yaml"))


def ours(workers: int, parameters: Path | None = None) -> None:
    out = WORK / f"out-ours-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([str(BIN / "kpi"), "run", "--all", "--month", MONTH, "--workers", str(workers),
                    "--data-dir", str(WORK / "data"),
                    "--parameters-dir", str(parameters or WORK / "parameters"),
                    "--outputs-dir", str(out), "--no-progress"], check=True, capture_output=True)


def naive(clients: list[str]) -> dict[str, float]:
    """The naive loop over ``clients``: each report's seconds (papermill CLI, then nbconvert CLI)."""
    out = WORK / "out-naive"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    times = {}
    for c in clients:
        nb = out / f"{c}.ipynb"
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "papermill"), str(NB), str(nb), "-p", "client", c, "-p", "month", MONTH,
                        "-p", "data_dir", str(WORK / "data"), "-p", "parameters_dir", str(LARGE),
                        "--cwd", str(NB.parent), "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(nb)], check=True,
                       capture_output=True)
        times[c] = time.perf_counter() - t0
    return times


def kernel_start() -> float:
    from jupyter_client.manager import start_new_kernel

    def once() -> None:
        km, kc = start_new_kernel(kernel_name="python3")
        kc.execute_interactive("pass", timeout=60)
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    return median_time(once, repeat=3)


def notebook_compute(client: str) -> float:
    cells = json.loads(NB.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"
                     and "parameters" not in c.get("metadata", {}).get("tags", []))
    code = code.replace("show(", "_show(")
    prelude = (f"client={client!r}\nmonth={MONTH!r}\ndata_dir={str(WORK / 'data')!r}\n"
               f"parameters_dir={str(WORK / 'parameters')!r}\n"
               "from kpi_toolkit.display import view_html\n"
               "def _show(v, level=2):\n    views=[v] if not isinstance(v, list) else v\n"
               "    [view_html(x, level=level) for x in views]\n")
    script = WORK / "compute.py"
    script.write_text(prelude + code)
    return median_time(lambda: subprocess.run([sys.executable, str(script)], check=True, cwd=NB.parent,
                                              capture_output=True), repeat=3)


def main() -> None:
    clients = setup()
    many = large_clients()
    n, n_many = len(clients), len(many)
    per_report = naive(many)
    t_naive, t_naive_many = sum(per_report[c] for c in clients), sum(per_report.values())
    t_ours = median_time(lambda: ours(2), repeat=3)
    t_ours_many = median_time(lambda: ours(2, LARGE), repeat=2)
    anchor = "papermill CLI + nbconvert CLI loop"
    emit(f"kpi run --all, {n} client-months, 2 workers", ours_s=t_ours, anchor=anchor, anchor_s=t_naive,
         goal=">= 5x faster")
    emit(f"kpi run --all, {n_many} client-months, 2 workers", ours_s=t_ours_many, anchor=anchor,
         anchor_s=t_naive_many, goal=">= 5x faster")
    t_serial = median_time(lambda: ours(1), repeat=2) / n
    floor = kernel_start() + sum(notebook_compute(c) for c in clients) / n
    emit("kpi run, per report, 1 worker", ours_s=t_serial, anchor="floor: kernel start + notebook compute",
         anchor_s=floor, ratio=t_serial / floor, goal="<= 1.5x the floor",
         note="ratio = ours / floor")
    steady = (t_ours_many - t_ours) / (n_many - n)
    print(f"(naive per report {t_naive_many / n_many:.2f} s; ours per report in the pool {t_ours / n:.2f} s "
          f"at {n}, {t_ours_many / n_many:.2f} s at {n_many}; each report past the first {n} adds "
          f"{steady:.2f} s, {t_naive_many / n_many / steady:.2f}x less than the naive loop's)")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"bench_batch took {time.perf_counter() - t0:.0f} s")
