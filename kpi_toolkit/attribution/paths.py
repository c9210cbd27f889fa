"""Customer journeys as distinct paths with counts: the one representation every model works on.

Two inputs become a :class:`PathTable`:

* an aggregated path frame in the common format of ChannelAttribution (Altomare & Loris 2023): one row
  per path, ``path`` (channels joined by ``" > "``), ``total_conversions``, ``total_conversion_value``
  and ``total_null`` (journeys on that path that did not convert) — :func:`paths_from_frame`;
* the event-level ``touchpoints`` and ``conversions`` tables of the data model, cut into journeys with
  an attribution window of ``lookback_days`` — :func:`journeys_from_events`.

A table stores its paths as one flat integer array of channel codes plus row offsets (a ragged array),
so 1 M journeys that follow 10 000 distinct paths cost what 10 000 paths cost, and every model is a
handful of vectorised numpy operations over the flat array.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ParameterError

PATH_COLUMNS: tuple[str, ...] = ("path", "total_conversions", "total_conversion_value", "total_null")
"""Columns of an aggregated path file (ChannelAttribution's format)."""

PATH_SEP = " > "
"""How channels are joined in a path string."""


@dataclass(frozen=True, eq=False)
class PathTable:
    """Distinct customer paths with their journey counts.

    Attributes
    ----------
    channels : tuple of str
        Channel names; ``codes`` index into it.
    codes : ndarray of int32
        The touches of every path, path after path (flat ragged array).
    offsets : ndarray of int64
        Path ``i`` is ``codes[offsets[i]:offsets[i + 1]]``; length ``n_paths + 1``.
    conversions, value, nulls : ndarray of float64
        Per path: journeys that converted, their total conversion value, journeys that did not.
    ages_days : ndarray of float64 or None
        Per touch (aligned with ``codes``): days from the touch to the journey's conversion (or to its
        last touch when it did not convert). None when the paths carry no timestamps.
    source : str
        Where the paths came from (a file name), for messages.
    unattributed_conversions, unattributed_value : float
        Conversions (and their value) with no touch inside the window; no model can credit them.
    """

    channels: tuple[str, ...]
    codes: np.ndarray
    offsets: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray
    ages_days: np.ndarray | None = None
    source: str = "<paths>"
    unattributed_conversions: float = 0.0
    unattributed_value: float = 0.0
    notes: tuple[str, ...] = field(default=())

    # -- sizes ---------------------------------------------------------------------------------
    @property
    def n_paths(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def journeys(self) -> np.ndarray:
        """Journeys per path (converted + not converted)."""
        return self.conversions + self.nulls

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def total_journeys(self) -> float:
        return float(self.journeys.sum())

    def row_of_touch(self) -> np.ndarray:
        """For every touch in ``codes``, the index of its path."""
        return np.repeat(np.arange(self.n_paths), self.lengths)

    def position_of_touch(self) -> np.ndarray:
        """For every touch, its 0-based position within its path."""
        return np.arange(len(self.codes)) - np.repeat(self.offsets[:-1], self.lengths)

    # -- transformations -------------------------------------------------------------------------
    def path_strings(self, *, sep: str = PATH_SEP) -> list[str]:
        names = np.asarray(self.channels, dtype=object)
        return [sep.join(names[self.codes[a:b]]) for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=True)]

    def to_frame(self, *, sep: str = PATH_SEP) -> pd.DataFrame:
        """The paths in ChannelAttribution's format (one row per path of this table)."""
        return pd.DataFrame({
            "path": pd.array(self.path_strings(sep=sep), dtype="string"),
            "total_conversions": self.conversions,
            "total_conversion_value": self.value,
            "total_null": self.nulls,
        })

    def collapse_repeats(self) -> PathTable:
        """Merge consecutive touches of one channel (``a > a > b`` becomes ``a > b``).

        The kept touch is the last of each run (the one closest to the conversion), so time decay
        sees the most recent contact with the channel.
        """
        if len(self.codes) == 0:
            return self
        nxt_same = np.zeros(len(self.codes), dtype=bool)
        nxt_same[:-1] = self.codes[:-1] == self.codes[1:]
        last_of_row = np.zeros(len(self.codes), dtype=bool)
        last_of_row[self.offsets[1:] - 1] = True
        keep = ~nxt_same | last_of_row
        new_len = np.add.reduceat(keep.astype(np.int64), self.offsets[:-1]) if self.n_paths else np.zeros(0, int)
        offsets = np.concatenate([[0], np.cumsum(new_len)]).astype(np.int64)
        ages = None if self.ages_days is None else self.ages_days[keep]
        return replace(self, codes=self.codes[keep], offsets=offsets, ages_days=ages)

    def select(self, rows: np.ndarray) -> PathTable:
        """The paths at ``rows`` (an integer index or boolean mask)."""
        idx = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[idx]
        starts = self.offsets[:-1][idx]
        flat = (np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
                + np.arange(lengths.sum()))
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return replace(self, codes=self.codes[flat], offsets=offsets, conversions=self.conversions[idx],
                       value=self.value[idx], nulls=self.nulls[idx],
                       ages_days=None if self.ages_days is None else self.ages_days[flat])

    def aggregate(self) -> PathTable:
        """Merge identical channel sequences (drops per-touch ages: they differ between journeys)."""
        keys = pd.Series(self.path_strings(sep="\x1f"))
        codes, uniques = pd.factorize(keys, sort=False)
        first = np.unique(codes, return_index=True)[1]
        sub = self.select(first)
        n = len(uniques)
        return replace(sub, ages_days=None,
                       conversions=np.bincount(codes, weights=self.conversions, minlength=n),
                       value=np.bincount(codes, weights=self.value, minlength=n),
                       nulls=np.bincount(codes, weights=self.nulls, minlength=n))


# ---------------------------------------------------------------------------------------------
# Aggregated path frames
# ---------------------------------------------------------------------------------------------
def _bad_rows(mask: np.ndarray, offset: int) -> list[int]:
    return [int(i) + offset for i in np.flatnonzero(mask)[:6]]


def paths_from_frame(
    df: pd.DataFrame,
    *,
    source: str = "<paths>",
    sep: str = PATH_SEP,
    collapse_repeats: bool = False,
    row_offset: int = 2,
) -> PathTable:
    """Validate an aggregated path frame and turn it into a :class:`PathTable`.

    Rows with the same path are merged (their counts added). Channel names are stripped of
    surrounding blanks.

    Parameters
    ----------
    df : DataFrame
        Columns ``path``, ``total_conversions``, ``total_conversion_value`` (optional: zero when
        absent) and ``total_null`` (optional: zero when absent, then only converting journeys are
        known and the Markov model has nothing to contrast them with).
    source : str
        The file name, used in error messages.
    sep : str
        What joins channels inside ``path``.
    collapse_repeats : bool
        Merge consecutive touches of one channel.
    row_offset : int
        Row number of ``df``'s first row as the user sees it (2 for a CSV file with a header).

    Returns
    -------
    PathTable

    Raises
    ------
    DataValidationError
        A required column is missing, a count is negative, blank or not a number, or a path is empty.

    References
    ----------
    .. [1] Altomare D. & Loris D. (2023). ChannelAttribution: Markov model for online multi-channel
       attribution, R/Python package version 2.x (the aggregated path format).
    """
    missing = [c for c in ("path", "total_conversions") if c not in df.columns]
    if missing:
        raise DataValidationError(source, f"missing required column; the columns are {', '.join(map(str, df.columns))}",
                                  column=missing[0])
    n = len(df)
    if n == 0:
        raise DataValidationError(source, "no paths (the file has a header but no rows)")
    counts: dict[str, np.ndarray] = {}
    for col in ("total_conversions", "total_conversion_value", "total_null"):
        if col not in df.columns:
            counts[col] = np.zeros(n)
            continue
        raw = df[col]
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(num)
        if bad.any():
            raise DataValidationError(source, "must be a number", column=col, rows=_bad_rows(bad, row_offset),
                                      got=[raw.iloc[i] for i in np.flatnonzero(bad)[:3]])
        neg = num < 0
        if neg.any():
            raise DataValidationError(source, "must be >= 0", column=col, rows=_bad_rows(neg, row_offset),
                                      got=[num[i] for i in np.flatnonzero(neg)[:3]])
        counts[col] = num
    conv_zero_value = (counts["total_conversions"] == 0) & (counts["total_conversion_value"] > 0)
    if conv_zero_value.any():
        raise DataValidationError(source, "conversion value without conversions", column="total_conversion_value",
                                  rows=_bad_rows(conv_zero_value, row_offset))

    # factorize the raw strings first: stripping and splitting below then cost distinct paths only
    raw_codes, raw_uniques = pd.factorize(df["path"], sort=False)
    stripped = pd.Series(raw_uniques, dtype=object).map(lambda x: str(x).strip())
    blank_u = (stripped == "").to_numpy()
    blank = (raw_codes < 0) | (blank_u[raw_codes] if len(blank_u) else np.zeros(n, bool))
    if blank.any():
        raise DataValidationError(source, "empty path", column="path", rows=_bad_rows(blank, row_offset))
    merged, uniques = pd.factorize(stripped, sort=False)
    codes = merged[raw_codes]
    conv = np.bincount(codes, weights=counts["total_conversions"], minlength=len(uniques))
    val = np.bincount(codes, weights=counts["total_conversion_value"], minlength=len(uniques))
    nul = np.bincount(codes, weights=counts["total_null"], minlength=len(uniques))
    parts = [[c.strip() for c in str(p).split(sep)] for p in uniques]
    empty_touch = np.array([any(c == "" for c in p) for p in parts])
    if empty_touch.any():
        rows = sorted(int(np.argmax(codes == u)) + row_offset for u in np.flatnonzero(empty_touch)[:6])
        raise DataValidationError(source, f"empty channel name inside a path (channels are joined by {sep!r})",
                                  column="path", rows=rows)
    table = _from_lists(parts, conv, val, nul, source=source)
    return table.collapse_repeats().aggregate() if collapse_repeats else table


def _from_lists(parts: list[list[str]], conv: np.ndarray, val: np.ndarray, nul: np.ndarray, *,
                source: str, ages: list[np.ndarray] | None = None) -> PathTable:
    flat = pd.Series([c for p in parts for c in p], dtype=object)
    channel_codes, channels = pd.factorize(flat, sort=True)
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return PathTable(
        channels=tuple(str(c) for c in channels),
        codes=channel_codes.astype(np.int32),
        offsets=offsets,
        conversions=np.asarray(conv, dtype=np.float64),
        value=np.asarray(val, dtype=np.float64),
        nulls=np.asarray(nul, dtype=np.float64),
        ages_days=None if ages is None else np.concatenate(ages) if ages else np.zeros(0),
        source=source,
    )


def paths_from_sequences(
    paths: list[list[str]] | list[str],
    *,
    conversions: list[float] | np.ndarray,
    value: list[float] | np.ndarray | None = None,
    nulls: list[float] | np.ndarray | None = None,
    sep: str = PATH_SEP,
) -> PathTable:
    """A :class:`PathTable` from Python lists (tests, examples)."""
    frame = pd.DataFrame({
        "path": [p if isinstance(p, str) else sep.join(p) for p in paths],
        "total_conversions": conversions,
        "total_conversion_value": np.zeros(len(paths)) if value is None else value,
        "total_null": np.zeros(len(paths)) if nulls is None else nulls,
    })
    return paths_from_frame(frame, sep=sep)


# ---------------------------------------------------------------------------------------------
# Event-level journeys
# ---------------------------------------------------------------------------------------------
def _as_utc(ts: pd.Series | pd.Timestamp | str | None) -> pd.Timestamp | None:
    if ts is None:
        return None
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _utc_series(s: pd.Series) -> pd.Series:
    s = pd.to_datetime(s)
    return s.dt.tz_localize("UTC") if s.dt.tz is None else s.dt.tz_convert("UTC")


def journeys_from_events(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    *,
    lookback_days: float = 30,
    collapse_repeats: bool = True,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> PathTable:
    """Cut users' touches into journeys that end in a conversion or not.

    Touches and conversions of a user are put in time order (a touch at the same instant as a
    conversion counts before it). Each conversion closes a journey made of the user's touches since
    their previous conversion that fall within ``lookback_days`` before it (the attribution window,
    the same for every channel). Touches never followed by a conversion within the window — older
    touches of a converting user, and touches after a user's last conversion — form non-converted
    journeys, one per user and gap between conversions. A touch belongs to one journey at most.

    With ``start``/``end`` (the report period, end exclusive), a converted journey is kept when its
    conversion falls in the period (its touches may start up to ``lookback_days`` earlier) and a
    non-converted one when its last touch does. Non-converted journeys that end near ``end`` may
    still convert later (right censoring): the Markov and Shapley conversion-rate models see them
    as failures.

    Parameters
    ----------
    touchpoints : DataFrame
        ``user_id``, ``timestamp``, ``channel`` (the data model's ``touchpoints`` table).
    conversions : DataFrame
        ``user_id``, ``timestamp``, ``value`` (the ``conversions`` table).
    lookback_days : float
        The attribution window in days.
    collapse_repeats : bool
        Merge consecutive touches of one channel within a journey (keeping the latest).
    start, end : Timestamp or str, optional
        The period (naive values are taken as UTC).

    Returns
    -------
    PathTable
        One row per journey, with per-touch ``ages_days`` (days from the touch to the conversion, or
        to the journey's last touch) for time decay. Conversions without a touch in their window are
        counted in ``unattributed_conversions``/``unattributed_value``.

    Raises
    ------
    ParameterError
        ``lookback_days`` is not positive.

    References
    ----------
    .. [1] Google Analytics Help, "About attribution and attribution modeling" — lookback window:
       touches older than the window before a conversion get no credit.
    """
    if not lookback_days > 0:
        raise ParameterError(f"attribution.lookback_days must be > 0 (got {lookback_days})")
    for name, frame, cols in (("touchpoints", touchpoints, ("user_id", "timestamp", "channel")),
                              ("conversions", conversions, ("user_id", "timestamp", "value"))):
        miss = [c for c in cols if c not in frame.columns]
        if miss:
            raise DataValidationError(name, "missing required column", column=miss[0])
    window = pd.Timedelta(days=float(lookback_days))
    t0, t1 = _as_utc(start), _as_utc(end)

    tp = pd.DataFrame({"user": touchpoints["user_id"].astype("string").to_numpy(dtype=object),
                       "ts": _utc_series(touchpoints["timestamp"]),
                       "channel": touchpoints["channel"].astype("string").str.strip().to_numpy(dtype=object),
                       "kind": 0, "value": 0.0})
    cv = pd.DataFrame({"user": conversions["user_id"].astype("string").to_numpy(dtype=object),
                       "ts": _utc_series(conversions["timestamp"]),
                       "channel": None, "kind": 1,
                       "value": pd.to_numeric(conversions["value"]).fillna(0.0).to_numpy(dtype=float)})
    # only what can matter for the period: a touch older than (start - window) cannot be credited
    # to a conversion in the period, and a conversion before then closes only such touches
    if t0 is not None:
        tp = tp[tp["ts"] >= t0 - window]
        cv = cv[cv["ts"] >= t0 - window]
    if t1 is not None:
        tp = tp[tp["ts"] < t1]
        cv = cv[cv["ts"] < t1]
    ev = pd.concat([tp, cv], ignore_index=True)
    ev = ev.sort_values(["user", "ts", "kind"], kind="mergesort", ignore_index=True)
    user = ev["user"].to_numpy()
    kind = ev["kind"].to_numpy()
    ts = ev["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    n = len(ev)
    new_user = np.ones(n, dtype=bool)
    if n:
        new_user[1:] = user[1:] != user[:-1]
    # a segment is a user's events up to and including a conversion (or up to their last event)
    boundary = new_user.copy()
    boundary[1:] |= kind[:-1] == 1
    seg = np.cumsum(boundary) - 1
    n_seg = int(seg.max()) + 1 if n else 0
    # the conversion that closes each segment (if any)
    is_conv = kind == 1
    close_ts = np.full(n_seg, np.iinfo(np.int64).min)
    close_val = np.zeros(n_seg)
    closed = np.zeros(n_seg, dtype=bool)
    close_ts[seg[is_conv]] = ts[is_conv]
    close_val[seg[is_conv]] = ev["value"].to_numpy()[is_conv]
    closed[seg[is_conv]] = True

    touch = ~is_conv
    t_seg = seg[touch]
    t_ts = ts[touch]
    t_channel = ev["channel"].to_numpy()[touch]
    win_ns = window.value
    in_window = closed[t_seg] & (close_ts[t_seg] - t_ts <= win_ns)
    t_start = t0.value if t0 is not None else np.iinfo(np.int64).min

    # converted journeys: segments closed by a conversion in the period
    conv_in_period = closed & (close_ts >= t_start)
    conv_touch = in_window & conv_in_period[t_seg]
    has_touch = np.zeros(n_seg, dtype=bool)
    has_touch[t_seg[conv_touch]] = True
    unattributed = conv_in_period & ~has_touch
    # non-converted journeys: touches outside any conversion's window, grouped by segment,
    # kept when the group's last touch is in the period
    null_touch = ~in_window
    last_null_ts = np.full(n_seg, np.iinfo(np.int64).min)
    np.maximum.at(last_null_ts, t_seg[null_touch], t_ts[null_touch])
    null_keep = null_touch & (last_null_ts[t_seg] >= t_start)

    # journey ids: converted = segment; non-converted = n_seg + segment
    j_of_touch = np.where(conv_touch, t_seg, n_seg + t_seg)
    keep = conv_touch | null_keep
    j = j_of_touch[keep]
    ch = t_channel[keep]
    ref_ts = np.where(conv_touch[keep], close_ts[t_seg[keep]], last_null_ts[t_seg[keep]])
    age = (ref_ts - t_ts[keep]) / 86_400e9
    order = np.argsort(j, kind="stable")  # events are already time-ordered within a segment
    j, ch, age = j[order], ch[order], age[order]
    if len(j) == 0:
        empty = PathTable(channels=(), codes=np.zeros(0, np.int32), offsets=np.zeros(1, np.int64),
                          conversions=np.zeros(0), value=np.zeros(0), nulls=np.zeros(0),
                          ages_days=np.zeros(0), source="touchpoints",
                          unattributed_conversions=float(unattributed.sum()),
                          unattributed_value=float(close_val[unattributed].sum()))
        return empty
    starts = np.flatnonzero(np.r_[True, j[1:] != j[:-1]])
    jid = j[starts]
    converted = jid < n_seg
    seg_of = np.where(converted, jid, jid - n_seg)
    channel_codes, channels = pd.factorize(pd.Series(ch, dtype=object), sort=True)
    table = PathTable(
        channels=tuple(str(c) for c in channels),
        codes=channel_codes.astype(np.int32),
        offsets=np.r_[starts, len(j)].astype(np.int64),
        conversions=converted.astype(np.float64),
        value=np.where(converted, close_val[seg_of], 0.0),
        nulls=(~converted).astype(np.float64),
        ages_days=age.astype(np.float64),
        source="touchpoints",
        unattributed_conversions=float(unattributed.sum()),
        unattributed_value=float(close_val[unattributed].sum()),
    )
    return table.collapse_repeats() if collapse_repeats else table
