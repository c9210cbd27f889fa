"""Loading and validating a client's canonical tables.

Every file is read, coerced to the kinds of :mod:`kpi_toolkit.schema` and checked; the first broken
rule raises :class:`~kpi_toolkit.exceptions.DataValidationError` with one line that names the file,
the column, the first offending rows and the rule::

    data/acme/posts.csv: column 'likes' row 17, 203: must be >= 0 (got -3, -1)

Row numbers are the rows a spreadsheet shows for a CSV file (the header is row 1, the first data row
is row 2); for Parquet they count records from 1.

A table may be stored as ``<table>.csv``, ``<table>.parquet`` or a folder ``<table>/`` of Parquet
files (e.g. partitioned by ``month=YYYY-MM``); a folder is read with pyarrow dataset filters so only
the requested months and columns are loaded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import DataValidationError, UnknownClientError
from .schema import CONTENT_TYPES, IMPORT_FILE_COLUMN, TABLES, Column, Table

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


@dataclass
class ClientData:
    """The validated tables of one client. ``data.posts`` is a DataFrame or None when absent."""

    client: str
    data_dir: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> pd.DataFrame | None:
        if name in TABLES:
            return self.__dict__.get("tables", {}).get(name)
        raise AttributeError(name)

    def has(self, *names: str) -> bool:
        return all(n in self.tables and len(self.tables[n]) > 0 for n in names)

    def require(self, *names: str) -> str | None:
        """None when every table is present, else the reason (for a skipped report section)."""
        for n in names:
            if n not in self.tables:
                return self.missing.get(n, f"no {n} data")
            if len(self.tables[n]) == 0:
                return f"the {n} table has no rows for this period"
        return None


def is_url(path: str | Path) -> bool:
    """True for fsspec URLs such as ``s3://bucket/data`` or ``memory://data`` (not local paths)."""
    return "://" in str(path) and not str(path).startswith("file://")


def _fs(path: str | Path):  # noqa: ANN202 - fsspec types are optional at import time
    import fsspec

    fs, root = fsspec.core.url_to_fs(str(path))
    return fs, root.rstrip("/")


def table_path(client_dir: Path | str, table: str) -> Path | None:
    """The file or folder holding ``table`` in ``client_dir`` (CSV, Parquet or a Parquet folder)."""
    if is_url(client_dir):
        fs, root = _fs(client_dir)
        for name in (f"{table}.parquet", table, f"{table}.csv"):
            cand = f"{root}/{name}"
            if fs.isfile(cand) or (fs.isdir(cand) and fs.glob(f"{cand}/**/*.parquet")):
                return _Url(f"{str(client_dir).rstrip('/')}/{name}")
        return None
    client_dir = Path(client_dir)
    for cand in (client_dir / f"{table}.parquet", client_dir / table, client_dir / f"{table}.csv"):
        if cand.exists() and (cand.is_file() or any(cand.glob("**/*.parquet"))):
            return cand
    return None


class _Url(str):
    """A remote file's URL with the few Path-like attributes the loader and reports use."""

    @property
    def name(self) -> str:
        return self.rstrip("/").rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        n = self.name
        return n[n.rfind("."):] if "." in n else ""

    def is_dir(self) -> bool:
        fs, root = _fs(self)
        return bool(fs.isdir(root))

    def read_bytes(self) -> bytes:
        fs, root = _fs(self)
        with fs.open(root, "rb") as f:
            return f.read()


def load_client(
    client: str,
    *,
    data_dir: str | Path = "data",
    tables: Iterable[str] | None = None,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> ClientData:
    """Load and validate the tables of ``client``.

    Parameters
    ----------
    client
        The client id (folder under ``data_dir``).
    data_dir
        Folder holding one sub-folder per client.
    tables
        Table names to load (default: all that exist).
    start, end
        Optional half-open time window ``[start, end)`` applied to each table's time column after
        validation (for partitioned Parquet folders, also used to skip partitions).

    Returns
    -------
    ClientData
        Present tables in ``.tables``; each absent one in ``.missing`` with the reason.
    """
    if is_url(data_dir):
        fs, base = _fs(data_dir)
        root: Path | _Url = _Url(str(data_dir).rstrip("/"))
        cdir: Path | _Url = _Url(f"{root}/{client}")
        exists = fs.isdir(f"{base}/{client}")
        known = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(base, detail=False) if fs.isdir(p)) \
            if fs.isdir(base) else []
    else:
        root = Path(data_dir)
        cdir = root / client
        exists = cdir.is_dir()
        known = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))) \
            if root.is_dir() else []
    if not exists:
        known = [k for k in known if not k.startswith((".", "_"))]
        hint = f" (clients with data: {', '.join(known)})" if known else " (run `kpi demo` or `kpi import`)"
        raise UnknownClientError(f"no data for client '{client}': {cdir} does not exist{hint}")
    wanted = list(TABLES) if tables is None else list(tables)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise DataValidationError(str(cdir), f"unknown table '{unknown[0]}'; known: {', '.join(TABLES)}")
    out = ClientData(client=client, data_dir=root)  # type: ignore[arg-type]
    for name in wanted:
        path = table_path(cdir, name)
        if path is None:
            out.missing[name] = f"no {name} table ({cdir}/{name}.csv or .parquet not found)"
            continue
        df, warns = _load_validated(path, TABLES[name], start=start, end=end)
        out.tables[name] = _window(df, TABLES[name], start, end)
        out.sources[name] = path
        out.warnings.extend(warns)
    return out


def load_table(path: str | Path, table: str | Table) -> pd.DataFrame:
    """Read and validate one file (or Parquet folder) as canonical ``table``."""
    spec = TABLES[table] if isinstance(table, str) else table
    df, _ = _load_validated(_Url(str(path)) if is_url(path) else Path(path), spec)  # type: ignore[arg-type]
    return df


def validate_frame(df: pd.DataFrame, table: str | Table, *, source: str = "<frame>",
                   row_offset: int = 2) -> tuple[pd.DataFrame, list[str]]:
    """Coerce and validate an in-memory frame; returns the clean frame and warnings.

    ``row_offset`` maps the frame's positional index to the row number shown in messages
    (2 for a CSV with a header line, 1 for Parquet).
    """
    spec = TABLES[table] if isinstance(table, str) else table
    return _validate(df.reset_index(drop=True), spec, source, row_offset)


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a canonical table as CSV or Parquet (by suffix), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        df.to_parquet(tmp, index=False)
    else:
        out = df.copy()
        for col in out.columns:
            if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------------------------
# reading


def _read_csv(path: Path, spec: Table) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise DataValidationError(str(path), "file is empty (expected a header line with columns "
                                  f"{', '.join(spec.required)})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataValidationError(
            str(path), f"not UTF-8 text (byte {raw[e.start]:#04x} on line {line}); save it as UTF-8 "
            "or import it with `kpi import`, which handles other encodings", rows=[line]) from None
    header = text.splitlines()[0]
    if "," not in header and len(spec.columns) > 1:
        try:
            delim = csv.Sniffer().sniff(header, delimiters=";\t|").delimiter
        except csv.Error:
            delim = None
        if delim:
            raise DataValidationError(
                str(path), f"columns are separated by {delim!r}, not ','; canonical tables are "
                "comma-separated (use `kpi import` for exports)")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                         skipinitialspace=False)
    except pd.errors.ParserError as e:
        raise DataValidationError(str(path), f"not a readable CSV table ({str(e).strip()})") from None
    df.columns = [c.strip() for c in df.columns]
    return df


def _read_parquet(path: Path, spec: Table, start: Any = None, end: Any = None) -> pd.DataFrame:
    import pyarrow.dataset as ds

    try:
        if is_url(path):
            from pyarrow.fs import FSSpecHandler, PyFileSystem

            fs, root = _fs(path)
            dataset = ds.dataset(root, format="parquet", partitioning="hive",
                                 filesystem=PyFileSystem(FSSpecHandler(fs)))
        else:
            dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
    except Exception as e:  # pyarrow raises several types for a broken file
        raise DataValidationError(str(path), f"not a readable Parquet file ({e})") from None
    names = set(dataset.schema.names)
    cols = [c for c in spec.names if c in names]
    extra = [c for c in dataset.schema.names if c not in spec.names and c != "month"]
    flt = None
    if "month" in names and spec.time_col and (start is not None or end is not None):
        # hive partition month=YYYY-MM: skip whole files outside the window
        field_ = ds.field("month")
        if start is not None:
            flt = field_ >= pd.Timestamp(start).strftime("%Y-%m")
        if end is not None:
            e = field_ <= (pd.Timestamp(end) - pd.Timedelta(microseconds=1)).strftime("%Y-%m")
            flt = e if flt is None else (flt & e)
    try:
        table = dataset.to_table(columns=cols + extra, filter=flt)
    except Exception as e:
        raise DataValidationError(str(path), f"not a readable Parquet file ({e})") from None
    return table.to_pandas()


def _load_validated(path: Path, spec: Table, *, start: Any = None, end: Any = None
                    ) -> tuple[pd.DataFrame, list[str]]:
    if path.suffix == ".parquet" or path.is_dir():
        df, offset = _read_parquet(path, spec, start, end), 1
    else:
        df, offset = _read_csv(path, spec), 2
    return _validate(df, spec, str(path), offset)


# --------------------------------------------------------------------------------------------
# validation


def _rows(mask: np.ndarray | pd.Series, offset: int) -> list[int]:
    idx = np.flatnonzero(np.asarray(mask))
    return [int(i) + offset for i in idx[:6]]


def _examples(values: pd.Series, mask: np.ndarray | pd.Series) -> list[object]:
    picked = values[np.asarray(mask)].head(5)
    return [v.item() if hasattr(v, "item") else v for v in picked]


def _validate(df: pd.DataFrame, spec: Table, source: str, offset: int) -> tuple[pd.DataFrame, list[str]]:
    warns: list[str] = []
    df = df.reset_index(drop=True)
    missing = [c for c in spec.required if c not in df.columns]
    if missing:
        near = _near(missing[0], df.columns)
        raise DataValidationError(
            source, f"missing required column '{missing[0]}'{near} (required: {', '.join(spec.required)})")
    out = pd.DataFrame(index=df.index)
    imported = _imported_rows(df)
    for col in spec.columns:
        if col.name not in df.columns:
            continue
        out[col.name] = _coerce(df[col.name], col, source, offset, imported=imported)
    # keep extra columns as they are (importers may add provenance), after the canonical ones
    for c in df.columns:
        if c not in out.columns:
            out[c] = df[c]
    for col in spec.columns:
        if col.name in out.columns:
            _check_column(out, col, spec, source, offset, warns)
    if spec.key:
        dup = out.duplicated(list(spec.key), keep=False)
        if dup.any():
            keycol = spec.key[0] if len(spec.key) == 1 else "+".join(spec.key)
            got = _examples(out[spec.key[0]].astype(str), dup)
            raise DataValidationError(source, "duplicate key: each " + (
                f"'{spec.key[0]}' must be unique" if len(spec.key) == 1 else
                f"({', '.join(spec.key)}) combination must appear once"), column=keycol,
                rows=_rows(dup, offset), got=got)
    if "reach_le_impressions" in spec.checks and {"reach", "impressions"} <= set(out.columns):
        bad = (out["reach"] > out["impressions"]).fillna(False)
        if bad.any():
            warns.append(str(DataValidationError(
                source, "reach is larger than impressions (a platform counting quirk; kept, but "
                "check the export)", column="reach", rows=_rows(bad, offset),
                got=_examples(out["reach"], bad))))
    if spec.name == "posts" and "published_at" in out.columns:
        no_time = out["published_at"].isna()
        if no_time.any():
            month = out.get("published_month")
            unplaced = no_time & (month.isna() if month is not None else True)
            if np.asarray(unplaced).any():
                raise DataValidationError(
                    source, "a post needs published_at (or published_month when the export has no "
                    "full date)", column="published_at", rows=_rows(unplaced, offset))
    if spec.name == "posts" and "content_type" in out.columns:
        odd = sorted(set(out["content_type"].dropna().unique()) - set(CONTENT_TYPES))
        if odd:
            warns.append(f"{source}: column 'content_type': unusual formats {', '.join(map(str, odd[:5]))} "
                         f"(known: {', '.join(CONTENT_TYPES)}); kept as they are")
    return out, warns


def _near(name: str, columns: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, [str(c) for c in columns], n=1, cutoff=0.6)
    return f" — found '{close[0]}', did you mean it?" if close else ""


def _imported_rows(df: pd.DataFrame) -> pd.Series | None:
    """Rows written by ``kpi import`` (non-blank ``import_file``), or None when there are none."""
    if IMPORT_FILE_COLUMN not in df.columns:
        return None
    s = df[IMPORT_FILE_COLUMN].astype("string").str.strip()
    return (s.notna() & (s != "")).fillna(False).astype(bool)


def _coerce(s: pd.Series, col: Column, source: str, offset: int, *,
            imported: pd.Series | None = None) -> pd.Series:
    blank = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        stripped = s.astype("string").str.strip()
        blank = blank | (stripped == "").fillna(True)
        s = stripped.mask(blank)
    if not col.nullable and col.required and blank.any():
        # an export that left a metric blank keeps it missing (never 0); hand-made tables may not
        bad = blank & ~imported if (col.blank_if_imported and imported is not None) else blank
        if bad.any():
            raise DataValidationError(source, "required value is blank", column=col.name,
                                      rows=_rows(bad, offset))
    kind = col.kind
    if kind == "str":
        return s.astype("string")
    if kind in ("int", "float"):
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            num = s.astype("float64")
        else:
            num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & ~blank
        if bad.any():
            what = "a whole number" if kind == "int" else "a number"
            raise DataValidationError(source, f"must be {what}", column=col.name,
                                      rows=_rows(bad, offset), got=_examples(s, bad))
        if kind == "int":
            frac = (num % 1 != 0) & num.notna()
            if frac.any():
                raise DataValidationError(source, "must be a whole number", column=col.name,
                                          rows=_rows(frac, offset), got=_examples(num, frac))
            return num.astype("int64") if not num.isna().any() else num.astype("float64")
        return num.astype("float64")
    if kind == "bool":
        if pd.api.types.is_bool_dtype(s.dtype):
            return s
        low = s.astype("string").str.lower()
        val = pd.Series(pd.NA, index=s.index, dtype="boolean")
        val[low.isin(_TRUE).fillna(False)] = True
        val[low.isin(_FALSE).fillna(False)] = False
        bad = val.isna() & ~blank
        if bad.any():
            raise DataValidationError(source, "must be true/false (or 1/0, yes/no)", column=col.name,
                                      rows=_rows(bad, offset), got=_examples(s, bad))
        return val.astype(bool) if not val.isna().any() else val
    if kind in ("datetime", "date"):
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
            ts = pd.Series(s)
        else:
            ts = pd.to_datetime(s, errors="coerce", utc=(kind == "datetime"), format="ISO8601")
            if ts.isna().sum() > blank.sum():  # a second chance for non-ISO but unambiguous values
                ts = pd.to_datetime(s, errors="coerce", utc=(kind == "datetime"), format="mixed")
        bad = ts.isna() & ~blank
        if bad.any():
            fmt = "YYYY-MM-DD" if kind == "date" else "an ISO 8601 time such as 2026-10-01T12:00:00Z"
            raise DataValidationError(source, f"not a valid {'date' if kind == 'date' else 'time'} "
                                      f"(expected {fmt})", column=col.name, rows=_rows(bad, offset),
                                      got=_examples(s, bad))
        if kind == "datetime":
            if ts.dt.tz is None:
                ts = ts.dt.tz_localize("UTC")
            return ts.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_localize(None)
        not_midnight = ts.notna() & (ts != ts.dt.normalize())
        if not_midnight.any():
            raise DataValidationError(source, "must be a calendar day without a time (daily table)",
                                      column=col.name, rows=_rows(not_midnight, offset),
                                      got=_examples(s, not_midnight))
        return ts.astype("datetime64[ns]")
    raise AssertionError(kind)


def _check_column(df: pd.DataFrame, col: Column, spec: Table, source: str, offset: int,
                  warns: list[str]) -> None:
    s = df[col.name]
    if col.allowed is not None:
        bad = ~s.isin(col.allowed) & s.notna()
        if bad.any():
            raise DataValidationError(
                source, f"unknown {col.name} {_examples(s, bad)[0]!r}; known: {', '.join(col.allowed)}",
                column=col.name, rows=_rows(bad, offset))
    if col.nonneg:
        bad = (s < 0).fillna(False)
        if bad.any():
            raise DataValidationError(source, "must be >= 0", column=col.name, rows=_rows(bad, offset),
                                      got=_examples(s, bad))
    if col.min_value is not None or col.max_value is not None:
        lo = -np.inf if col.min_value is None else col.min_value
        hi = np.inf if col.max_value is None else col.max_value
        bad = ((s < lo) | (s > hi)).fillna(False)
        if bad.any():
            raise DataValidationError(source, f"must be between {_num(lo)} and {_num(hi)}",
                                      column=col.name, rows=_rows(bad, offset), got=_examples(s, bad))
    if spec.name == "surveys" and col.name == "score" and "kind" in df.columns:
        bad = ((df["kind"] == "csat") & ((s < 1) | (s > 5))).fillna(False)
        if bad.any():
            raise DataValidationError(source, "a CSAT score must be between 1 and 5", column="score",
                                      rows=_rows(bad, offset), got=_examples(s, bad))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _window(df: pd.DataFrame, spec: Table, start: Any, end: Any) -> pd.DataFrame:
    if spec.time_col is None or (start is None and end is None) or spec.time_col not in df.columns:
        return df
    t = df[spec.time_col]
    tz_aware = isinstance(t.dtype, pd.DatetimeTZDtype)

    def _ts(x: Any) -> pd.Timestamp:
        ts = pd.Timestamp(x)
        if tz_aware and ts.tzinfo is None:
            return ts.tz_localize("UTC")
        if not tz_aware and ts.tzinfo is not None:
            return ts.tz_localize(None)
        return ts

    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= (t >= _ts(start)) | t.isna()
    if end is not None:
        keep &= (t < _ts(end)) | t.isna()
    return df[keep.to_numpy()].reset_index(drop=True)
