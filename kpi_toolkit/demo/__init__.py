"""Deterministic demo data with planted, documented truth (``kpi demo``).

:func:`generate` writes three demo clients in different industries (``demo-lumiere`` beauty,
``demo-trailhead`` outdoor retail, ``demo-ledgerly`` B2B fintech SaaS): every canonical table for
24 months, their parameter files, and ``data/demo/TRUTH.json`` with the exact size of every planted
signal (seasonality, a level shift, spikes with a negative-sentiment crisis, an outperforming content
format, posting hours that matter, a channel that drives conversions, a competitor gaining share of
voice). The analyses are tested against that truth. docs/demo-data.md describes it in prose.
"""

from __future__ import annotations

from .generator import CHANNELS, TABLE_FILES, generate, parse_end_month
from .profiles import PROFILES

DEMO_CLIENTS: tuple[str, ...] = tuple(p.client for p in PROFILES)
"""The demo client ids."""

__all__ = ["CHANNELS", "DEMO_CLIENTS", "PROFILES", "TABLE_FILES", "generate", "parse_end_month"]
