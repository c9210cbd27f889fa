"""How long ``kpi run --all`` plans before its first report can start, for an agency of many clients.

Not part of ``make bench`` (it has no anchor): run it alone with ``.venv/bin/python benchmarks/plan_many.py
[N]``. It makes N clients (default 120) from bench_batch's three demo clients, each with its own
parameter file and a link to the demo client's data folder, and times :func:`kpi_toolkit.runner.plan`:
reading every parameter file, checking its files, and checking that each client has data in the month.
Planning runs before any report starts, on one core; with hundreds of clients it is the wait before the
progress bar moves.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import MONTH, REPO, WORK, setup  # noqa: E402


def main(n: int = 120) -> None:
    from kpi_toolkit import runner

    setup()
    many = WORK.parent / "plan-many"
    shutil.rmtree(many, ignore_errors=True)
    (many / "data").mkdir(parents=True)
    (many / "parameters").mkdir()
    demo = ["demo-ledgerly", "demo-lumiere", "demo-trailhead"]
    clients = []
    for i in range(n):
        base = demo[i % len(demo)]
        client = f"{base}-x{i}"
        (many / "data" / client).symlink_to(WORK / "data" / base, target_is_directory=True)
        text = (WORK / "parameters" / f"{base}.yaml").read_text(encoding="utf-8")
        (many / "parameters" / f"{client}.yaml").write_text(text.replace(f"client: {base}", f"client: {client}", 1),
                                                            encoding="utf-8")
        clients.append(client)
    kw = dict(clients=clients, month=MONTH, notebooks=runner.DEFAULT_NOTEBOOKS, notebooks_dir=REPO / "notebooks",
              outputs_dir=many / "outputs", data_dir=many / "data", parameters_dir=many / "parameters")
    runner.plan(**{**kw, "clients": clients[:3]})  # the imports, once
    times = []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        tasks, set_aside = runner.plan(**kw)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    wall, cpu = sorted(times)[1]
    print(f"plan, {n} clients: {wall:.2f} s wall, {cpu:.2f} s CPU (median of 3); {len(tasks)} reports to run, "
          f"{len(set_aside)} set aside; {1000 * wall / n:.0f} ms a client")
    shutil.rmtree(many, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 120)
