"""Large data: the monthly report of a client with 10 M mentions, and its peak memory.

The client ``demo-lumiere-xl`` is demo-lumiere with its mentions generator scaled to 10 M rows over
the 24 months (the same brands, sources, topics, spikes and texts), stored as Parquet partitioned by
``month=YYYY-MM``. The report reads 36 months by default, so every partition is in its window: what
keeps it small is reading the wide columns (texts, ids, authors) for the last two months only,
categorical sources/brands/topics and chunked validation and aggregation.

Anchor: the same report reading the whole table (``load_client`` without a window, which is what
every report did before), measured as the peak memory of the loading alone, and the 2 GB limit.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "large"
BIN = Path(sys.executable).parent
MONTH = "2026-10"
CLIENT = "demo-lumiere-xl"
ROWS = 10_000_000


def make_client(rows: int = ROWS) -> None:
    """Write ``demo-lumiere-xl`` under WORK (once): lumiere's tables and ``rows`` mentions."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    from kpi_toolkit.demo import generator as g
    from kpi_toolkit.demo.profiles import PROFILES

    mdir = WORK / "data" / CLIENT / "mentions"
    if mdir.is_dir():
        return
    subprocess.run([str(BIN / "kpi"), "demo", "--root", str(WORK / "demo"), "--end-month", MONTH],
                   check=True, capture_output=True)
    src = WORK / "demo" / "data" / "demo-lumiere"
    dst = WORK / "data" / CLIENT
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.name != "mentions.parquet" and f.is_file() and not f.name.startswith("."):
            shutil.copy(f, dst / f.name)
    params = (WORK / "demo" / "parameters" / "demo-lumiere.yaml").read_text(encoding="utf-8")
    (WORK / "parameters").mkdir(parents=True, exist_ok=True)
    (WORK / "parameters" / f"{CLIENT}.yaml").write_text(
        params.replace("client: demo-lumiere", f"client: {CLIENT}", 1), encoding="utf-8")

    p = PROFILES[0]
    cal = g._calendar(p, pd.Period(MONTH, freq="M"))
    shift = cal.index_of(cal.month_start(p.level_shift.months_before_end) + pd.Timedelta(days=p.level_shift.day - 1))
    level = np.where(np.arange(cal.n) >= shift, p.level_shift.mention_multiplier, 1.0)
    expected = (p.brand_mentions_per_day * level * cal.season).sum() + \
        sum(c.mentions_per_day for c in p.competitors) * cal.season.sum()
    f = rows / expected  # scale every brand's daily rate so the expected total is `rows`
    scaled = dataclasses.replace(
        p, brand_mentions_per_day=p.brand_mentions_per_day * f,
        competitors=tuple(dataclasses.replace(c, mentions_per_day=c.mentions_per_day * f) for c in p.competitors))
    df, _ = g._mentions(scaled, cal, g._rng(42, 0, g._S_MENTIONS), shift, np.ones(cal.n))
    df["month"] = df["published_at"].dt.strftime("%Y-%m")
    ds.write_dataset(pa.Table.from_pandas(df, preserve_index=False), str(mdir), format="parquet",
                     partitioning=["month"], partitioning_flavor="hive")
    print(f"wrote {len(df):,} mentions to {mdir}")


def peak_of(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Peak resident memory (MB) of the largest process ``cmd`` starts, and its output.

    ``ru_maxrss`` of RUSAGE_CHILDREN sees only the processes that were waited for, down the tree:
    a report kernel forked by :mod:`kpi_toolkit.kernels`' fork server is reaped by nobody (SIGCHLD is
    ignored there), so the report is run with ``KPI_FORK_KERNELS=0``, its kernel a child of ``kpi``.
    A forked kernel peaks within a few MB of that (its template's libraries count in both).
    """
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(r.stdout[-400:], r.stderr[-2000:]); "
            "print('PEAK', max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 0)); sys.exit(r.returncode)")
    r = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, env=env)
    if r.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    peak = int(r.stdout.rsplit("PEAK", 1)[1].split()[0]) / 1024
    return peak, r.stdout


def main() -> None:
    make_client()
    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)
    report_mb, _ = peak_of([str(BIN / "kpi"), "run", "--client", CLIENT, "--month", MONTH, "--workers", "1",
                            "--data-dir", str(WORK / "data"), "--parameters-dir", str(WORK / "parameters"),
                            "--outputs-dir", str(out), "--no-progress"],
                           env={**os.environ, "KPI_FORK_KERNELS": "0"})
    whole_mb, _ = peak_of([sys.executable, "-c",
                           "from kpi_toolkit.data import load_client; "
                           f"d = load_client({CLIENT!r}, data_dir={str(WORK / 'data')!r}, tables=['mentions']); "
                           "print(len(d.mentions))"])
    emit(f"monthly report, client with {ROWS / 1e6:.0f} M mentions: peak memory", ours_s=report_mb, unit="MB",
         anchor="2 GB limit", anchor_s=2048.0, ratio=report_mb / 2048.0, goal="< 2 GB (ratio < 1)",
         note=f"ratio = peak / limit; reading the whole table alone peaks at {whole_mb:,.0f} MB")


if __name__ == "__main__":
    main()
