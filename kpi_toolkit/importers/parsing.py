"""Parsing export cells written the exporter's way: thousands separators, percent strings, durations,
dates in the exporter's format. A cell that does not parse is an error naming file, column and rows;
nothing is guessed and a blank cell stays missing.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NoReturn

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, ImportFormatError

_SPACES = re.compile(r"[\u00a0\u202f\u2009]")


def fail(file: str, column: str, mask: pd.Series | np.ndarray, lines: np.ndarray, rule: str,
         values: pd.Series | None = None) -> NoReturn:
    """Raise one line: ``file: column 'X' row 5, 9: rule (got 'a', 'b')`` (rows = file lines)."""
    m = np.asarray(mask, dtype=bool)
    rows = [int(x) for x in lines[m]]
    got = [] if values is None else [v for v in pd.Series(values)[m].head(5).tolist()]
    raise ImportFormatError(str(DataValidationError(file, rule, column=column, rows=rows, got=got)))


def number_pattern(decimal: str, thousands: str | None) -> re.Pattern[str]:
    d = re.escape(decimal)
    grouped = rf"|\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+" if thousands else ""
    return re.compile(rf"^(?P<sign>[+-]?)(?P<int>\d+{grouped})?(?:{d}(?P<frac>\d+))?"
                      rf"(?P<exp>[eE][+-]?\d+)?(?P<pct>\s*%)?$")


def parse_numbers(s: pd.Series, *, decimal: str, thousands: str | None, file: str, column: str,
                  lines: np.ndarray, percent: bool = False, whole: bool = False) -> pd.Series:
    """Numbers as float64 (NaN where blank). ``percent``: '3.4%' or 3.4 -> 0.034.

    A '%' in a column that is not a percentage, a decimal comma where a point is expected, or any
    other text is an error.
    """
    pat = number_pattern(decimal, thousands)
    out = np.full(len(s), np.nan)
    bad = np.zeros(len(s), dtype=bool)
    pct_where_count = np.zeros(len(s), dtype=bool)
    for i, v in enumerate(s.tolist()):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        text = _SPACES.sub("", str(v)).strip()
        if thousands == " ":
            text = text.replace(" ", "")
        m = pat.match(text)
        if m is None or (m["int"] is None and m["frac"] is None):
            bad[i] = True
            continue
        if m["pct"] and not percent:
            pct_where_count[i] = True
            continue
        num = f"{m['sign']}{(m['int'] or '0').replace(thousands or '', '')}.{m['frac'] or '0'}{m['exp'] or ''}"
        # percent via Decimal so that '1.4%' is 0.014, not 0.013999999999999999
        out[i] = float(Decimal(num) / 100) if percent else float(num)
    if bad.any():
        sep = f"'{thousands}' between thousands, " if thousands else ""
        fail(file, column, bad, lines, f"not a number (expected digits, {sep}'{decimal}' before decimals)", s)
    if pct_where_count.any():
        fail(file, column, pct_where_count, lines, "a percentage where a number was expected", s)
    res = pd.Series(out, index=s.index, dtype="float64")
    if whole:
        frac = (res % 1 != 0) & res.notna()
        if frac.any():
            fail(file, column, frac, lines, "must be a whole number", s)
    return res


_DURATION = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2}(?:\.\d+)?)$")


def parse_durations(s: pd.Series, *, file: str, column: str, lines: np.ndarray) -> pd.Series:
    """``H:MM:SS``, ``MM:SS`` or a plain number of seconds, as float seconds."""
    out = np.full(len(s), np.nan)
    bad = np.zeros(len(s), dtype=bool)
    for i, v in enumerate(s.tolist()):
        if v is None or v is pd.NA:
            continue
        text = str(v).strip()
        m = _DURATION.match(text)
        if m:
            out[i] = int(m["h"] or 0) * 3600 + int(m["m"]) * 60 + float(m["s"])
            continue
        try:
            out[i] = float(text)
        except ValueError:
            bad[i] = True
    if bad.any():
        fail(file, column, bad, lines, "not a duration (expected H:MM:SS, MM:SS or seconds)", s)
    return pd.Series(out, index=s.index, dtype="float64")


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def parse_bools(s: pd.Series, *, file: str, column: str, lines: np.ndarray) -> pd.Series:
    low = s.astype("string").str.strip().str.lower()
    val = pd.Series(pd.NA, index=s.index, dtype="boolean")
    val[low.isin(_TRUE).fillna(False)] = True
    val[low.isin(_FALSE).fillna(False)] = False
    bad = val.isna() & s.notna()
    if bad.any():
        fail(file, column, bad, lines, "not true/false (or 1/0, yes/no)", s)
    return val


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def parse_times(s: pd.Series, *, formats: list[str], timezone: str, date_only_kind: bool, file: str,
                column: str, lines: np.ndarray) -> tuple[pd.Series, bool, str]:
    """Parse with the first format that reads every non-blank cell.

    Returns (values, has_time, format used). ``date_only_kind``: a naive calendar day (daily tables);
    otherwise UTC moments, naive times being in ``timezone``.
    """
    present = s.notna()
    text = s.astype("string").str.strip()
    best: tuple[int, pd.Series, str] | None = None
    for fmt in formats:
        aware = ("%z" in fmt) or (fmt == "iso" and bool(text[present].str.contains(_OFFSET).any()))
        kw = {"format": "ISO8601"} if fmt == "iso" else {"format": fmt}
        try:
            ts = pd.to_datetime(text, errors="coerce", utc=aware, **kw)
        except (ValueError, TypeError):
            continue
        nbad = int((ts.isna() & present).sum())
        if nbad == 0:
            has_time = _has_time(fmt, text[present])
            return _finish(ts, aware, timezone, date_only_kind, file, column, lines, s), has_time, fmt
        if best is None or nbad < best[0]:
            best = (nbad, ts, fmt)
    shown = " or ".join("ISO 8601" if f == "iso" else f for f in formats)
    mask = (best[1].isna() & present) if best is not None else present
    fail(file, column, mask, lines, f"not a date in the export's format ({shown}; "
         "use --date-format for another)", s)


def _has_time(fmt: str, text: pd.Series) -> bool:
    if fmt == "iso":
        return bool(text.str.len().gt(10).any())
    return any(d in fmt for d in ("%H", "%I", "%M"))


def _finish(ts: pd.Series, aware: bool, timezone: str, date_only_kind: bool, file: str, column: str,
            lines: np.ndarray, raw: pd.Series) -> pd.Series:
    if date_only_kind:
        if aware:
            ts = ts.dt.tz_convert(timezone).dt.tz_localize(None)
        not_midnight = ts.notna() & (ts != ts.dt.normalize())
        if not_midnight.any():
            fail(file, column, not_midnight, lines, "a time where a calendar day was expected", raw)
        return ts.astype("datetime64[ns]")
    if not aware:
        ts = ts.dt.tz_localize(timezone, ambiguous=np.ones(len(ts), dtype=bool),
                               nonexistent="shift_forward")
    return ts.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
