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


def test_workers_without_this_machines_salt_are_refused(cluster, demo_root: Path, tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    """Workers started without KPI_PSEUDONYM_SALT had given authors other pseudonyms, and the run said ok."""
    monkeypatch.setenv("KPI_PSEUDONYM_SALT", "a value the workers were not started with")
    code = main(["run", "--all", "--month", DEMO_END_MONTH, "--scheduler", cluster.scheduler_address,
                 "--data-dir", str(demo_root / "data"), "--parameters-dir", str(demo_root / "parameters"),
                 "--outputs-dir", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == ("error: 2 of 2 Dask workers do not have this machine's KPI_PSEUDONYM_SALT: start them "
                           "with the same value (their reports would give authors other pseudonyms)")
    assert "a value the workers" not in err and not (tmp_path / "o" / DEMO_END_MONTH / "demo-lumiere").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1", "localhost:8786"])
def test_a_scheduler_address_without_its_port_is_one_line(address: str, demo_root: Path, tmp_path: Path,
                                                          capsys) -> None:
    code = main(["run", "--all", "--month", DEMO_END_MONTH, "--scheduler", address,
                 "--data-dir", str(demo_root / "data"), "--parameters-dir", str(demo_root / "parameters"),
                 "--outputs-dir", str(tmp_path / "o"), "--no-progress"])
    assert code == 2 and "--scheduler must look like tcp://HOST:PORT" in capsys.readouterr().err


def test_a_port_that_never_answers_is_one_line_within_the_timeout() -> None:
    """The scheduler's dashboard port (HTTP) had hung `kpi run` for ten minutes."""
    import socket
    import time

    from kpi_toolkit.distributed import _connect
    from kpi_toolkit.exceptions import KpiToolkitError

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(5)  # accepts, never speaks
        t0 = time.perf_counter()
        with pytest.raises(KpiToolkitError, match=r"(no Dask scheduler answered|could not reach the Dask scheduler) "):
            _connect(f"tcp://127.0.0.1:{server.getsockname()[1]}", 1.0)
        assert time.perf_counter() - t0 < 15


def test_a_report_the_worker_wrote_where_this_machine_cannot_see_is_failed(tmp_path: Path) -> None:
    from kpi_toolkit.distributed import _seen_here
    from kpi_toolkit.runner import Result, Task

    task = Task(client="acme", month="2026-10", notebook="monthly_report", notebook_path="nb.ipynb",
                out_dir=str(tmp_path / "elsewhere"), parameters={}, parameters_dir="p", data_dir="d")
    res = Result(client="acme", month="2026-10", notebook="monthly_report", status="ok", duration_s=1.0,
                 started_at="", finished_at="", html=str(tmp_path / "elsewhere" / "monthly_report.html"))
    out = _seen_here(res, task)
    assert out.status == "failed" and out.html is None and "a folder this machine cannot see" in out.error
    (tmp_path / "here.html").write_text("<p>x</p>", encoding="utf-8")
    ok = Result(client="acme", month="2026-10", notebook="monthly_report", status="ok", duration_s=1.0,
                started_at="", finished_at="", html=str(tmp_path / "here.html"))
    assert _seen_here(ok, task).status == "ok"


def test_a_worker_that_cannot_see_the_data_is_said_so(tmp_path: Path) -> None:
    """The worker's own message had advised `kpi demo`, though this machine had just read the data."""
    from kpi_toolkit.distributed import _seen_here
    from kpi_toolkit.runner import Result, Task

    task = Task(client="acme", month="2026-10", notebook="monthly_report", notebook_path="nb.ipynb",
                out_dir=str(tmp_path), parameters={}, parameters_dir="p", data_dir="/srv/data")
    res = Result(client="acme", month="2026-10", notebook="monthly_report", status="failed", duration_s=1.0,
                 started_at="", finished_at="", input_error=True,
                 error="no data for client 'acme': /srv/data/acme does not exist (run `kpi demo` or `kpi import`)")
    assert _seen_here(res, task).error == (
        "the Dask worker cannot see the client's files at the paths this machine uses (no data for client "
        "'acme': /srv/data/acme does not exist): the workers must share --data-dir and --parameters-dir")
