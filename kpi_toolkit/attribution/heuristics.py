"""Rule-based (heuristic) attribution: each converting journey's credit split over its touches by a rule.

Every rule is a vector of *touch fractions* — for each touch of each path, the share of the path's
conversions and value it earns; the fractions of one path add up to 1. Channel credit is then a
weighted count over the flat touch array, and a bootstrap replicate is a matrix product
(:func:`fraction_matrix`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ..exceptions import ParameterError
from .paths import PathTable

HEURISTICS: tuple[str, ...] = ("first", "last", "last_non_direct", "linear", "time_decay", "position")
"""Names of the rule-based models."""


def _first_pos(paths: PathTable) -> np.ndarray:
    return paths.offsets[:-1]


def _last_pos(paths: PathTable) -> np.ndarray:
    return paths.offsets[1:] - 1


def touch_fractions(
    paths: PathTable,
    model: str,
    *,
    half_life_days: float = 7.0,
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    direct_channels: Sequence[str] = ("direct",),
) -> np.ndarray:
    """Share of its path's credit that each touch earns under a rule (aligned with ``paths.codes``).

    Parameters
    ----------
    paths : PathTable
    model : {"first", "last", "last_non_direct", "linear", "time_decay", "position"}
        ``first``/``last``: all credit to the first/last touch. ``last_non_direct``: to the last touch
        whose channel is not in ``direct_channels`` (to the last touch when all are direct).
        ``linear``: equal shares. ``time_decay``: shares proportional to ``2 ** (-age / half_life)``
        with ``age`` the days from the touch to the conversion; paths without timestamps (path files)
        use the touch's position as the time proxy: the last touch is 0 days old, the one before it 1
        day, and so on. ``position``: ``position_weights`` = (first, middle, last) shares, the middle
        share split evenly over the middle touches; a path of two touches splits first : last in
        proportion, a path of one touch gives it everything.
    half_life_days : float
        Half-life of the time-decay rule.
    position_weights : (float, float, float)
        First, middle and last shares of the position-based rule (normalised to sum to 1).
    direct_channels : sequence of str
        Channels ignored by ``last_non_direct``.

    Returns
    -------
    ndarray of float64

    References
    ----------
    .. [1] Google Analytics Help, "Attribution models" (first/last interaction, last non-direct
       click, linear, time decay with a 7-day half-life, position based 40/20/40).
    .. [2] Kaushik A. (2013). "Multi-Channel Attribution Modeling: The Good, Bad and Ugly Models",
       Occam's Razor.
    """
    n_touch = len(paths.codes)
    frac = np.zeros(n_touch)
    if paths.n_paths == 0:
        return frac
    lengths = paths.lengths
    first, last = _first_pos(paths), _last_pos(paths)
    if model == "first":
        frac[first] = 1.0
    elif model == "last":
        frac[last] = 1.0
    elif model == "last_non_direct":
        direct = np.isin(np.asarray(paths.channels, dtype=object), np.asarray(list(direct_channels), dtype=object))
        non_direct = ~direct[paths.codes] if len(direct) else np.ones(n_touch, bool)
        idx = np.where(non_direct, np.arange(n_touch), -1)
        last_nd = np.maximum.reduceat(idx, paths.offsets[:-1])
        frac[np.where(last_nd >= paths.offsets[:-1], last_nd, last)] = 1.0
    elif model == "linear":
        frac = np.repeat(1.0 / lengths, lengths)
    elif model == "time_decay":
        if not half_life_days > 0:
            raise ParameterError(f"attribution.half_life_days must be > 0 (got {half_life_days})")
        ages = touch_ages(paths)
        w = np.exp2(-(ages - np.repeat(np.minimum.reduceat(ages, paths.offsets[:-1]), lengths)) / half_life_days)
        frac = w / np.repeat(np.add.reduceat(w, paths.offsets[:-1]), lengths)
    elif model == "position":
        wf, wm, wl = _position_weights(position_weights)
        frac = np.repeat(np.where(lengths > 2, wm / np.maximum(lengths - 2, 1), 0.0), lengths)
        two = lengths == 2
        one = lengths == 1
        long_ = lengths > 2
        frac[first[long_]] = wf
        frac[last[long_]] = wl
        end_total = wf + wl
        frac[first[two]] = wf / end_total if end_total > 0 else 0.5
        frac[last[two]] = wl / end_total if end_total > 0 else 0.5
        frac[first[one]] = 1.0
    else:
        raise ParameterError(f"unknown heuristic model {model!r}; known: {', '.join(HEURISTICS)}")
    return frac


def touch_ages(paths: PathTable) -> np.ndarray:
    """Per-touch age in days; position before the last touch when the paths carry no timestamps."""
    if paths.ages_days is not None:
        return paths.ages_days
    return (np.repeat(paths.offsets[1:] - 1, paths.lengths) - np.arange(len(paths.codes))).astype(np.float64)


def _position_weights(weights: Sequence[float]) -> tuple[float, float, float]:
    w = [float(x) for x in weights]
    if len(w) != 3 or any(x < 0 for x in w) or sum(w) <= 0:
        raise ParameterError(f"attribution.position_weights must be three shares >= 0 (first, middle, last), "
                             f"got {list(weights)}")
    s = sum(w)
    return w[0] / s, w[1] / s, w[2] / s


def fraction_matrix(paths: PathTable, frac: np.ndarray) -> sparse.csr_matrix:
    """Paths × channels matrix of credit shares (rows sum to 1): credits = conversions @ matrix."""
    return sparse.csr_matrix((frac, (paths.row_of_touch(), paths.codes)),
                             shape=(paths.n_paths, paths.n_channels))


def heuristic(
    paths: PathTable,
    model: str,
    *,
    half_life_days: float = 7.0,
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    direct_channels: Sequence[str] = ("direct",),
) -> pd.DataFrame:
    """Attributed conversions and value per channel under a rule-based model.

    Parameters are those of :func:`touch_fractions`.

    Returns
    -------
    DataFrame
        ``channel``, ``model``, ``conversions``, ``value``; one row per channel. Conversions add up to
        ``paths.total_conversions`` and value to ``paths.total_value``.

    References
    ----------
    .. [1] Google Analytics Help, "Attribution models".
    """
    frac = touch_fractions(paths, model, half_life_days=half_life_days, position_weights=position_weights,
                           direct_channels=direct_channels)
    row = paths.row_of_touch()
    conv = np.bincount(paths.codes, weights=frac * paths.conversions[row], minlength=paths.n_channels)
    val = np.bincount(paths.codes, weights=frac * paths.value[row], minlength=paths.n_channels)
    return credit_frame(paths.channels, model, conv, val)


def credit_frame(channels: Sequence[str], model: str, conversions: np.ndarray, value: np.ndarray) -> pd.DataFrame:
    """The tidy per-channel frame every model returns."""
    return pd.DataFrame({
        "channel": pd.array(list(channels), dtype="string"),
        "model": pd.array([model] * len(channels), dtype="string"),
        "conversions": np.asarray(conversions, dtype=np.float64),
        "value": np.asarray(value, dtype=np.float64),
    })
