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


def _read(path: Path, sep: str) -> object:
    import pandas as pd

    from ..exceptions import ImportFormatError

    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several types
            raise ImportFormatError(f"{path}: not a readable Parquet file ({e})") from None
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                           encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path}: not UTF-8 text (save the export as UTF-8 CSV)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ImportFormatError(f"{path}: not a readable CSV with separator {sep!r} "
                                f"({str(e).splitlines()[0]})") from None


def load_series(path: Path, *, time_col: str, value_col: str, sep: str = ",") -> object:
    """The file's value column as a float Series indexed by its parsed time column.

    Raises :class:`~kpi_toolkit.exceptions.DataValidationError` naming the file, the column, the first
    bad rows (spreadsheet row numbers: the header is row 1) and the rule.
    """
    import numpy as np
    import pandas as pd

    from ..exceptions import DataValidationError, ParameterError

    sep = "\t" if sep in ("\\t", "tab") else sep
    if len(sep) != 1:
        raise ParameterError(f"--sep must be one character, got {sep!r}")
    df = _read(path, sep)
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
    else:
        text = raw_t.astype("string").str.strip()
        blank = text.isna() | (text == "")
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
            # a mix of offsets parses to objects: put every value in UTC
            aware = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
            has_tz = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
            if has_tz.any():
                parsed = aware
        bad = blank | parsed.isna()
        if bad.any():
            rows = [int(i) + offset for i in np.flatnonzero(bad.to_numpy())[:6]]
            got = raw_t[bad.to_numpy()].head(5).tolist()
            raise DataValidationError(str(path), "must be a date or date-time (e.g. 2026-10-01T14:05:00Z)",
                                      column=time_col, rows=rows, got=got)
        times = pd.DatetimeIndex(parsed)
    raw_v = df[value_col]
    if pd.api.types.is_numeric_dtype(raw_v.dtype):
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
    return pd.Series(values.to_numpy(), index=times, name=value_col)


def run(args: argparse.Namespace) -> int:
    from ..trends import alert_windows, detect_anomalies

    series = load_series(args.file, time_col=args.time_col, value_col=args.value_col, sep=args.sep)
    periods = None
    if args.period is not None:
        periods = () if args.period == [0] else tuple(args.period)
    if args.agg != "error":
        from ..trends import regularise

        series, _ = regularise(series, freq=args.freq, agg=args.agg)
    res = detect_anomalies(series, freq=args.freq, threshold=args.threshold, direction=args.direction,
                           seasonal_periods=periods, method=args.method)
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
