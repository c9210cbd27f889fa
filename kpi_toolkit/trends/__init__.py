"""Trend detection: is a change real, what is the trend, where were the spikes, what comes next.

See docs/trend-detection.md for the methods and their measured detection quality.
"""

from __future__ import annotations

from ._series import infer_freq, regularise
from .anomalies import COLUMNS, alert_windows, detect_anomalies, detect_anomalies_batch

__all__ = [
    "COLUMNS",
    "alert_windows",
    "detect_anomalies",
    "detect_anomalies_batch",
    "infer_freq",
    "regularise",
]
