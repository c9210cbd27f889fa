"""`kpi run --scheduler`: the same tasks on a real Dask distributed LocalCluster of 2 worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kpi_toolkit.cli import main

from .conftest import DEMO_END_MONTH, copy_demo


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as c:
        yield c


def test_reports_on_dask_cluster_with_failure_isolation(cluster, demo_root: Path, tmp_path: Path, capsys) -> None:
    root = copy_demo(demo_root, tmp_path)
    posts = root / "data" / "demo-trailhead" / "posts.csv"
    df = pd.read_csv(posts, dtype=str, keep_default_na=False)
    df.loc[0, "platform"] = "myspace"
    df.to_csv(posts, index=False, lineterminator="\n")
    code = main(["run", "--all", "--month", DEMO_END_MONTH, "--scheduler", cluster.scheduler_address,
                 "--data-dir", str(root / "data"), "--parameters-dir", str(root / "parameters"),
                 "--outputs-dir", str(root / "outputs"), "--no-progress"])
    out = capsys.readouterr()
    assert code == 2, out
    assert "2 of 3 reports ok" in out.out
    assert "demo-trailhead/monthly_report: " in out.err and "unknown platform 'myspace'" in out.err
    month = root / "outputs" / DEMO_END_MONTH
    for client in ("demo-lumiere", "demo-ledgerly"):
        assert (month / client / "monthly_report.html").stat().st_size > 10_000
        m = json.loads((month / client / "manifest.json").read_text())
        assert m["status"] == "ok" and m["inputs_sha256"]
    assert json.loads((month / "demo-trailhead" / "manifest.json").read_text())["status"] == "failed"
    assert "demo-trailhead" in (month / "index.html").read_text()


def test_bad_scheduler_address_is_one_line(demo_root: Path, tmp_path: Path, capsys) -> None:
    code = main(["run", "--all", "--month", DEMO_END_MONTH, "--scheduler", "localhost:8786",
                 "--data-dir", str(demo_root / "data"), "--parameters-dir", str(demo_root / "parameters"),
                 "--outputs-dir", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    assert "--scheduler must look like tcp://HOST:PORT" in capsys.readouterr().err
