"""``kpi anomalies FILE.csv --time-col timestamp --value-col value [--freq 5min|h|D] [-o OUT.csv]``.

Runs :func:`kpi_toolkit.trends.detect_anomalies` on any exported time series (a listening tool's
mention volume per 5 minutes, a daily spend export ...) and writes every step with the columns
``timestamp, value, expected, lower, upper, score, is_anomaly``. Without ``-o`` the CSV goes to
standard output; a one-line summary (points, alerts, windows) goes to standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._files import read_csv_cells, refuse_output_onto_input

HELP = "Detect spikes and dips in any exported time series."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a CSV (or Parquet) file with a time column and a value column")
    parser.add_argument("--time-col", default="timestamp", help="the time column (default: timestamp)")
    parser.add_argument("--value-col", default="value", help="the value column (default: value)")
    parser.add_argument("--freq", default=None,
                        help="step of the series: 5min, 15min, h, D ... (default: the most common gap)")
    parser.add_argument("--threshold", type=float, default=3.5,
                        help="robust z-score beyond which a step is an anomaly (default 3.5)")
    parser.add_argument("--direction", choices=("both", "up", "down"), default="both",
                        help="flag spikes (up), dips (down) or both (default)")
    parser.add_argument("--agg", choices=("error", "sum", "mean", "last"), default="error",
                        help="how to combine several rows in one step (default: error, naming the step)")
    parser.add_argument("--period", type=int, action="append", default=None, metavar="STEPS",
                        help="a seasonal period in steps (repeatable; default: daily and weekly cycles "
                             "from the step); --period 0 means no seasonality")
    parser.add_argument("--method", choices=("median", "stl"), default="median",
                        help="baseline: fast robust medians (default) or robust STL/MSTL")
    parser.add_argument("--sep", default=",", help="field separator of a CSV file (default ',')")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="write the result CSV here (default: standard output)")


# ----------------------------------------------------------------------------------------------
# reading the export (the CSV checks are shared with sentiment and attribute: commands/_files.py)


def _read(path: Path, sep: str, *, expect: str) -> object:
    import pandas as pd

    from ..exceptions import ImportFormatError

    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several types
            raise ImportFormatError(f"{path}: not a readable Parquet file ({e})") from None
    return read_csv_cells(path, sep, expect=expect)


VALUE_LIMIT = 1e15
"""Largest size of a value: beyond 2**53 (about 9e15) a float64 no longer holds every whole number,
and values near the float limit (1e308) overflow in the baseline's arithmetic."""

TIME_RULE = ("not a valid date or time (expected ISO 8601, e.g. 2026-01-02 or 2026-01-02T05:00, "
             "optionally with Z or an offset such as +02:00)")
"""A time that is not ISO 8601 is refused: 02/01/2026 is 2 January in one country and 1 February in
another, so no other format is guessed (as the canonical loader, :mod:`kpi_toolkit.data`)."""


def _times(raw: object, *, column: str, source: str, offset: int) -> object:
    """The time cells as a DatetimeIndex, parsed by the canonical loader's ISO 8601 parser.

    Times without an offset stay naive; when every time carries the same offset they keep it; a mix
    (daylight-saving time, or some with and some without) is put in UTC, times without one read as UTC.
    """
    import numpy as np
    import pandas as pd

    from ..data import _TIME_RULE, _parse_times
    from ..exceptions import DataValidationError
    from ..schema import Column

    text = pd.Series(raw).astype("string").str.strip()
    blank = (text.isna() | (text == "")).fillna(True).astype(bool)
    if blank.any():
        raise DataValidationError(source, "blank time (every row needs one)", column=column,
                                  rows=[int(i) + offset for i in np.flatnonzero(blank.to_numpy())[:6]])
    try:
        parsed = _parse_times(text, blank, Column(column, "datetime"), source, offset)
    except DataValidationError as e:  # 'not ISO 8601' in an export's words; 'no such date' as it is
        rule = TIME_RULE if e.rule == _TIME_RULE else e.rule
        raise DataValidationError(source, rule, column=column, rows=e.rows, got=e.got) from None
    times = pd.DatetimeIndex(parsed)
    offsets = text.str.extract(r"\d:\d\d(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d(?::?\d\d)?)$", expand=False)
    if offsets.isna().all():
        return times.tz_localize(None)
    kinds = offsets.unique()
    if len(kinds) == 1 and kinds[0] != "Z":
        return times.tz_convert(pd.Timestamp(str(text.iloc[0])).tz)
    return times


def load_series(path: Path, *, time_col: str, value_col: str, sep: str = ",") -> object:
    """The file's value column as a float Series indexed by its parsed time column, in file order.

    Times must be ISO 8601 (as in the canonical tables); values finite numbers of at most
    :data:`VALUE_LIMIT` in size (blank = missing). The Series' ``attrs`` hold ``source`` (the file)
    and ``first_row`` (the spreadsheet row of its first value).

    Raises :class:`~kpi_toolkit.exceptions.DataValidationError` naming the file, the column, the first
    bad rows (spreadsheet row numbers: the header is row 1) and the rule.
    """
    import numpy as np
    import pandas as pd

    from ..exceptions import DataValidationError, ParameterError

    sep = "\t" if sep in ("\\t", "tab") else sep
    if len(sep) != 1:
        raise ParameterError(f"--sep must be one character, got {sep!r}")
    df = _read(path, sep, expect=f"{time_col}{sep}{value_col}")
    assert isinstance(df, pd.DataFrame)
    offset = 1 if path.suffix.lower() == ".parquet" else 2
    for col in (time_col, value_col):
        if col not in df.columns:
            cols = ", ".join(map(str, df.columns[:12]))
            hint = " (is --sep right?)" if len(df.columns) == 1 else ""
            raise DataValidationError(str(path), f"no such column; the file has: {cols}{hint}", column=col)
    if df.empty:
        raise DataValidationError(str(path), "the file has no rows")
    raw_t = df[time_col]
    if pd.api.types.is_datetime64_any_dtype(raw_t.dtype):
        times = pd.DatetimeIndex(raw_t)
        if times.hasnans:
            rows = [int(i) + offset for i in np.flatnonzero(times.isna())[:6]]
            raise DataValidationError(str(path), "blank time (every row needs one)", column=time_col, rows=rows)
    else:
        times = _times(raw_t, column=time_col, source=str(path), offset=offset)
    raw_v = df[value_col]
    if pd.api.types.is_numeric_dtype(raw_v.dtype) and not pd.api.types.is_bool_dtype(raw_v.dtype):
        values = raw_v.astype("float64")
    else:
        text = raw_v.astype("string").str.strip().str.replace(r"[\s ]", "", regex=True)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = values.isna() & text.notna() & (text != "")
        if bad.any():
            rows = [int(i) + offset for i in np.flatnonzero(bad.to_numpy())[:6]]
            got = raw_v[bad.to_numpy()].head(5).tolist()
            raise DataValidationError(str(path), "must be a number (blank = missing)", column=value_col,
                                      rows=rows, got=got)
    v = values.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        huge = ~np.isnan(v) & ~(np.abs(v) <= VALUE_LIMIT)
    if huge.any():
        rows = [int(i) + offset for i in np.flatnonzero(huge)[:6]]
        got = raw_v[huge].head(5).tolist()
        raise DataValidationError(str(path), f"must be a finite number between -{VALUE_LIMIT:.0e} and "
                                  f"{VALUE_LIMIT:.0e}", column=value_col, rows=rows, got=got)
    out = pd.Series(v, index=times, name=value_col)
    out.attrs.update(source=str(path), first_row=offset, time_col=time_col)
    return out


def check_steps(series: object, *, freq: str | None) -> None:
    """Refuse rows that share a step of ``freq`` (inferred when None) with one line naming the file,
    the time column and the rows of the earliest such step (``--agg`` combines them instead)."""
    import numpy as np
    import pandas as pd

    from ..exceptions import DataValidationError
    from ..trends._series import _floor, _freq_label, infer_freq, normalise_freq

    assert isinstance(series, pd.Series)
    source = series.attrs.get("source", "<series>")
    first_row = int(series.attrs.get("first_row", 2))
    index = pd.DatetimeIndex(series.index)
    off = normalise_freq(freq) if freq is not None else infer_freq(index)
    floored = _floor(index, pd.Timedelta(off))
    dup = floored.duplicated(keep=False)
    if not dup.any():
        return
    steps = floored[dup]
    step = steps.min()
    at = np.flatnonzero(floored == step)
    others = steps.nunique() - 1
    more = f" (and {others:,} more step{'s' if others > 1 else ''})" if others else ""
    raise DataValidationError(
        source, f"several rows fall in the step starting {_iso(step)} at frequency {_freq_label(off)}{more}; "
        "aggregate them first (e.g. --agg sum)", column=series.attrs.get("time_col"),
        rows=[int(i) + first_row for i in at], got=[_iso(t) for t in index[at[:5]]])


def _iso(t: object) -> str:
    return t.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]


def run(args: argparse.Namespace) -> int:
    from ..exceptions import NoDataError, ParameterError
    from ..trends import alert_windows, detect_anomalies
    from ..trends._series import normalise_freq

    # the options first, so that what is wrong with them is not put on the file
    if args.freq is not None:
        normalise_freq(args.freq)
    if not args.threshold > 0 or args.threshold == float("inf"):
        raise ParameterError(f"--threshold must be a positive number, got {args.threshold:g}")
    periods = None
    if args.period is not None:
        periods = () if args.period == [0] else tuple(args.period)
        if any(p < 2 for p in periods):
            raise ParameterError(f"--period must be a number of steps >= 2 (or 0 alone for none), "
                                 f"got {min(periods)}")
    refuse_output_onto_input(args.output, args.file)
    series = load_series(args.file, time_col=args.time_col, value_col=args.value_col, sep=args.sep)
    try:
        if args.agg == "error":
            check_steps(series, freq=args.freq)
        else:
            from ..trends import regularise

            series, _ = regularise(series, freq=args.freq, agg=args.agg)
        res = detect_anomalies(series, freq=args.freq, threshold=args.threshold, direction=args.direction,
                               seasonal_periods=periods, method=args.method)
    except (NoDataError, ParameterError) as e:  # about the series read: name the file
        raise type(e)(f"{args.file}: {e}") from None
    out = res.reset_index(drop=True)
    out["timestamp"] = [t.isoformat().replace("+00:00", "Z") for t in out["timestamp"]]
    for c in ("value", "expected", "lower", "upper", "score"):
        out[c] = out[c].round(6)
    sep = "\t" if args.sep in ("\\t", "tab") else args.sep
    if args.output is None:
        out.to_csv(sys.stdout, sep=sep, index=False, lineterminator="\n")
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(args.output, sep=sep, index=False, lineterminator="\n")
    wins = alert_windows(res)
    missing = int(res["value"].isna().sum())
    gaps = f", {missing:,} missing" if missing else ""
    where = f" -> {args.output}" if args.output is not None else ""
    print(f"{len(res):,} steps of {res.attrs['freq']}{gaps}; {int(res['is_anomaly'].sum()):,} anomalous in "
          f"{len(wins):,} window(s) (threshold {args.threshold:g}, seasonal periods "
          f"{list(res.attrs['seasonal_periods']) or 'none'}){where}", file=sys.stderr)
    return 0
