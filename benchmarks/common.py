"""Shared helpers for benchmarks: timing medians and the one-line result format.

Every benchmark prints human-readable lines and one machine-readable line per result::

    BENCH {"name": "...", "ours_s": 1.2, "anchor": "...", "anchor_s": 9.8, "ratio": 8.2, "goal": ">= 5x faster"}

``ratio`` is anchor time / our time (above 1 means we are faster) unless the result says otherwise.
``benchmarks/run_all.py`` collects these lines and writes the README's Performance table.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any


def median_time(fn: Callable[[], Any], *, repeat: int = 3, warmup: int = 0) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def emit(name: str, *, ours_s: float | None, anchor: str, anchor_s: float | None, goal: str,
         ratio: float | None = None, note: str = "", unit: str = "s") -> dict:
    if ratio is None and ours_s and anchor_s:
        ratio = anchor_s / ours_s
    row = {"name": name, "ours_s": ours_s, "anchor": anchor, "anchor_s": anchor_s, "ratio": ratio,
           "goal": goal, "note": note, "unit": unit}
    r = f"{ratio:.2f}x" if ratio else "n/a"
    print(f"{name}: ours {ours_s if ours_s is None else round(ours_s, 3)} {unit}, {anchor} "
          f"{anchor_s if anchor_s is None else round(anchor_s, 3)} {unit}, ratio {r} (goal {goal}) {note}")
    print("BENCH " + json.dumps(row), flush=True)
    return row
