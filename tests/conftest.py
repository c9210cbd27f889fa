"""Shared fixtures: demo data generated once per test session into a temp dir, pinned month."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

DEMO_END_MONTH = "2026-10"
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with data/<client>/..., parameters/<client>.yaml and data/demo/TRUTH.json."""
    from kpi_toolkit.demo import generate

    root = tmp_path_factory.mktemp("demo")
    generate(root, end_month=DEMO_END_MONTH, seed=42)
    return root


@pytest.fixture(scope="session")
def demo_truth(demo_root: Path) -> dict:
    return json.loads((demo_root / "data" / "demo" / "TRUTH.json").read_text())


@pytest.fixture(scope="session")
def demo_clients(demo_root: Path) -> list[str]:
    return sorted(p.stem for p in (demo_root / "parameters").glob("*.yaml"))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (the repo's sibling folder shared/)")
    return SHARED_DATA


CANARY = "CANARY-7f3a9c-ONLY-FOR-LUMIERE"


def copy_demo(demo_root: Path, dest: Path) -> Path:
    shutil.copytree(demo_root / "data", dest / "data")
    shutil.copytree(demo_root / "parameters", dest / "parameters")
    return dest


def _plant_canary(root: Path) -> None:
    """Put the canary into demo-lumiere's data: the text of its best post of the month and a campaign."""
    posts_path = root / "data" / "demo-lumiere" / "posts.csv"
    posts = pd.read_csv(posts_path, dtype=str, keep_default_na=False)
    month = posts["published_at"].str.startswith(DEMO_END_MONTH)
    eng = posts[["likes", "comments", "shares"]].astype(int).sum(axis=1).where(month, -1)
    posts.loc[eng.idxmax(), "text"] = f"Our best post {CANARY}"
    posts.to_csv(posts_path, index=False, lineterminator="\n")


@pytest.fixture(scope="session")
def demo_run(demo_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """Every notebook for every demo client, once (2 workers)."""
    root = copy_demo(demo_root, tmp_path_factory.mktemp("run"))
    _plant_canary(root)
    clients = sorted(p.stem for p in (root / "parameters").glob("*.yaml"))
    from kpi_toolkit.runner import NOTEBOOKS, run_reports

    summary = run_reports(clients=clients, month=DEMO_END_MONTH, notebooks=NOTEBOOKS, notebooks_dir=REPO / "notebooks",
                          outputs_dir=root / "outputs", data_dir=root / "data",
                          parameters_dir=root / "parameters", workers=2, progress=False)
    return root, summary
