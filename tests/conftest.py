"""Shared fixtures: demo data generated once per test session into a temp dir, pinned month."""

from __future__ import annotations

import json
from pathlib import Path

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
