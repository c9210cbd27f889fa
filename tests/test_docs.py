"""Docs agree with the code: every canonical column and every KPI is documented."""

from __future__ import annotations

from kpi_toolkit.kpis import REGISTRY
from kpi_toolkit.schema import TABLES

from .conftest import REPO


def test_every_column_is_documented() -> None:
    text = (REPO / "docs" / "data-model.md").read_text()
    for t in TABLES.values():
        assert f"### `{t.name}`" in text, t.name
        section = text.split(f"### `{t.name}`", 1)[1].split("### ", 1)[0]
        for c in t.columns:
            assert f"| `{c.name}` |" in section, (t.name, c.name)


def test_every_kpi_is_documented() -> None:
    text = (REPO / "docs" / "kpis.md").read_text()
    for name in REGISTRY:
        assert f"`{name}`" in text, name
