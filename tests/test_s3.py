"""``data_dir`` on S3: the same data read from ``s3://`` gives the same tables and the same report.

Issue #9 asks that ``data_dir`` may be any fsspec URL so that workers on other machines read the same
data. ``memory://`` (tests/test_data.py) lives in one process; these tests go through the S3 protocol
itself: moto's S3 server on localhost, s3fs (both dev dependencies), credentials and endpoint from the
environment as on a real cluster (``AWS_ENDPOINT_URL`` is how botocore is pointed at any S3-compatible
store, e.g. MinIO). The mentions go up partitioned by month (``mentions/month=YYYY-MM/``), so the
partition filter runs against an object store too.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pandas as pd
import pytest

from .conftest import DEMO_END_MONTH, REPO, copy_demo

pytest.importorskip("s3fs")
pytest.importorskip("moto")

BUCKET = "kpi-agency-data"
SECRET = "S3-SECRET-9d41c7-NEVER-IN-OUTPUTS"
CLIENT = "demo-lumiere"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(demo_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """A moto S3 server with demo-lumiere's data under s3://BUCKET/data/, and the local copy it came from."""
    import s3fs
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "agency-key", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}", "KPI_PSEUDONYM_SALT": "one-salt-for-every-run-here"}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    try:
        root = copy_demo(demo_root, tmp_path_factory.mktemp("s3"))
        local = root / "data" / CLIENT
        # the mentions as a month-partitioned dataset, locally and on S3 alike
        mentions = pd.read_parquet(local / "mentions.parquet")
        (local / "mentions.parquet").unlink()
        month = pd.to_datetime(mentions["published_at"], utc=True).dt.strftime("%Y-%m")
        for m, part in mentions.groupby(month, sort=True):
            (local / "mentions" / f"month={m}").mkdir(parents=True)
            part.to_parquet(local / "mentions" / f"month={m}" / "part-0.parquet", index=False)
        s3fs.S3FileSystem.clear_instance_cache()
        fs = s3fs.S3FileSystem()
        fs.mkdir(BUCKET)
        fs.put(str(local), f"{BUCKET}/data/{CLIENT}", recursive=True)
        s3fs.S3FileSystem.clear_instance_cache()
        yield root, f"s3://{BUCKET}/data"
    finally:
        mp.undo()
        server.stop()


def test_a_client_reads_the_same_from_s3_as_from_a_folder(s3) -> None:
    from kpi_toolkit.data import load_client

    root, url = s3
    here = load_client(CLIENT, data_dir=root / "data")
    there = load_client(CLIENT, data_dir=url)
    assert sorted(there.tables) == sorted(here.tables)
    assert set(there.tables) >= {"posts", "mentions", "touchpoints", "conversions", "ads"}
    for name, table in here.tables.items():
        pd.testing.assert_frame_equal(there.tables[name].reset_index(drop=True), table.reset_index(drop=True),
                                      obj=name)
    assert str(there.sources["posts"]).endswith(f"{BUCKET}/data/{CLIENT}/posts.csv")


def test_a_month_reads_only_its_partitions_from_s3(s3, caplog: pytest.LogCaptureFixture) -> None:
    """The loader's time window reaches the object store: of the month partitions only the window's
    are read (the server's request log says which), and they read as from a folder."""
    import logging

    from kpi_toolkit.data import load_client

    root, url = s3
    window = {"tables": ["mentions"], "start": "2026-09-01", "end": "2026-11-01", "detail_start": "2026-10-01"}
    here = load_client(CLIENT, data_dir=root / "data", **window)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        there = load_client(CLIENT, data_dir=url, **window)
    fetched = {m for r in caplog.records if r.name == "werkzeug" and "GET" in r.getMessage()
               for m in re.findall(r"/mentions/month=(\d{4}-\d{2})/", r.getMessage())}
    # the window's two months, plus the footer of one file pyarrow reads for the dataset's schema;
    # not the other 22 months of the partitioned table
    assert fetched >= {"2026-09", DEMO_END_MONTH}
    assert len(fetched - {"2026-09", DEMO_END_MONTH}) <= 1
    months = pd.to_datetime(there.mentions["published_at"], utc=True).dt.strftime("%Y-%m")
    assert set(months) == {"2026-09", DEMO_END_MONTH}
    pd.testing.assert_frame_equal(there.mentions.reset_index(drop=True), here.mentions.reset_index(drop=True))
    full = load_client(CLIENT, data_dir=url, tables=["mentions"])
    assert len(full.mentions) > len(there.mentions)


def _run(root: Path, data_dir: Path | str, out: Path, **kw) -> Path:
    from kpi_toolkit.runner import run_reports

    summary = run_reports(clients=[CLIENT], month=DEMO_END_MONTH, notebooks_dir=REPO / "notebooks", outputs_dir=out,
                          data_dir=data_dir, parameters_dir=root / "parameters", progress=False, **kw)
    assert [r.status for r in summary.results] == ["ok"], [r.error for r in summary.results]
    return out / DEMO_END_MONTH / CLIENT


def _shown(folder: Path) -> list[dict]:
    """What the monthly report shows: every output of every cell but the parameters'."""
    nb = json.loads((folder / "monthly_report.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"
             and not {"parameters", "injected-parameters"} & set(c["metadata"].get("tags", []))]
    return [o.get("data", {}) for c in cells for o in c.get("outputs", [])]


@pytest.fixture(scope="module")
def folder_report(s3, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    root, _ = s3
    return _shown(_run(root, root / "data", tmp_path_factory.mktemp("folder-run"), workers=1))


def _same_report(shown: list[dict], folder_report: list[dict], out: Path) -> None:
    assert len(shown) == len(folder_report) >= 4
    html = "".join("".join(d.get("text/html", [])) for d in shown)
    assert html.count("data:image/png;base64,") >= 5 and "Performance snapshot" in html
    for a, b in zip(shown, folder_report, strict=True):
        assert a == b
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    assert any(f"{BUCKET}/data/{CLIENT}/posts.csv" in k for k in manifest["inputs_sha256"])
    for path in out.parent.parent.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path


def test_a_report_from_s3_equals_the_report_from_a_folder(s3, folder_report, tmp_path: Path) -> None:
    """``kpi run --data-dir s3://...`` writes the same report as the same data in a folder, and the S3
    secret reaches none of the outputs (the kernels need it to read; nothing writes it down)."""
    root, url = s3
    out = _run(root, url, tmp_path, workers=1)
    _same_report(_shown(out), folder_report, out)


def test_dask_workers_read_the_data_from_s3(s3, folder_report, tmp_path: Path) -> None:
    """The case the URL is for: the report runs on a Dask worker process (its own environment, the
    same S3 variables), reads the client from S3 and writes the same report."""
    from distributed import LocalCluster

    root, url = s3
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        out = _run(root, url, tmp_path, scheduler=cluster.scheduler_address)
    _same_report(_shown(out), folder_report, out)
