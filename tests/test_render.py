"""Render each demo report in headless Chromium with the network off; keep screenshots for review."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import DEMO_END_MONTH, REPO

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
         "--hide-scrollbars", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
SHOTS = REPO / "outputs" / "screenshots"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True,
                       env=env, capture_output=True, timeout=1200)
        path = shutil.which("chromium")
        if path:
            return path
    pytest.skip("Chromium is not installed and cannot be installed here (needs root and apt-get)")


@pytest.fixture(scope="session")
def chromium() -> str:
    return _chromium()


def _run(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp}", *args], capture_output=True,
                          text=True, timeout=120)


def _not_blank(png: Path) -> float:
    from PIL import Image

    img = Image.open(png).convert("L")
    hist = img.histogram()
    total = sum(hist)
    return 1 - sum(hist[245:]) / total  # share of pixels that are not near-white


@pytest.mark.parametrize("client", ["demo-lumiere", "demo-trailhead", "demo-ledgerly"])
def test_report_renders_in_headless_chromium(demo_run, chromium: str, client: str, tmp_path: Path) -> None:
    root, _ = demo_run
    html = root / "outputs" / DEMO_END_MONTH / client / "monthly_report.html"
    dom = _run(chromium, tmp_path / "p1", "--dump-dom", html.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    import yaml

    name = yaml.safe_load((root / "parameters" / f"{client}.yaml").read_text())["display_name"]
    from html import escape

    assert escape(name) in dom.stdout or name in dom.stdout
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", "1280,3000"), ("phone", "390,2400")):
        png = SHOTS / f"{client}-{label}.png"
        if png.exists():
            png.unlink()
        shot = _run(chromium, tmp_path / f"p-{label}", f"--screenshot={png}", f"--window-size={size}",
                    html.as_uri())
        assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
        assert _not_blank(png) > 0.03, f"{png} looks blank"
