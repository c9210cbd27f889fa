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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import DataValidationError, DataWarning, RowList, UnknownClientError
from .schema import (
    CONTENT_TYPES,
    IMPORT_FILE_COLUMN,
    ORDER_CHECKS,
    PAIR_CHECKS,
    TABLES,
    Column,
    OrderCheck,
    PairCheck,
    Table,
)


def use_returning_memory_pool() -> str:
    """Make Arrow allocate from a pool that gives freed memory back to the system; returns its name.

    pyarrow's default pool (mimalloc in the Linux wheels) keeps freed pages for reuse: after loading
    10 M mentions it still held ~230 MB that no table used, and each report section's temporaries
    added to that, so a 10 M-mention report peaked near 2 GB. The system allocator, which
    :func:`release_memory` trims, hands them back (jemalloc does as well, ~2 % lower, but not every
    pyarrow build has it: the Windows and ARM Linux wheels do not).

    Importing :mod:`kpi_toolkit` sets ``ARROW_DEFAULT_MEMORY_POOL=system`` when pyarrow is not yet
    imported and the variable is unset: only that reaches Arrow's C++ internals. This function, run
    when this module is imported, covers a process that imported pyarrow first: it moves the
    allocations made from Python (tables, conversions to pandas, compute) off mimalloc. A pool
    chosen with ``ARROW_DEFAULT_MEMORY_POOL`` is left as it is.
    """
    import os

    import pyarrow as pa

    pool = pa.default_memory_pool()
    if pool.backend_name == "mimalloc" and os.environ.get("ARROW_DEFAULT_MEMORY_POOL") != "mimalloc":
        pool = pa.system_memory_pool()
        pa.set_memory_pool(pool)
    return pool.backend_name


use_returning_memory_pool()

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


@dataclass
class ClientData:
    """The validated tables of one client. ``data.posts`` is a DataFrame or None when absent.

    ``missing`` holds, for each absent table, the reason in words fit for a client's report ("no ads
    data provided"): reports show it in sentences and caveats, so it never names a file or folder of
    the agency's machine. ``expected_files`` says where the loader looked for the same table (for the
    operator: ``kpi validate`` output, logs).
    """

    client: str
    data_dir: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    expected_files: dict[str, str] = field(default_factory=dict)

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


def data_location(value: str | Path, *, option: str = "--data-dir", kernels: bool = False,
                  readable: bool = True) -> Path | str:
    """A data folder as given on the command line, checked before anything runs: a ``file://`` URL is
    its local path; another URL's scheme must be one fsspec can open here (``s3://`` needs ``s3fs``),
    ``memory://`` (one process's own) is refused where ``kernels`` in other processes read it, and,
    with ``readable``, the URL must list from here (``s3://`` without credentials had printed
    botocore's traceback, and ``kpi run`` met it only after a report failed in its kernel). A folder
    that is not there is left to the readers, which name the client's folder.

    Raises
    ------
    KpiToolkitError
        ``--data-dir s3://bucket/data: reading s3:// needs the s3fs package (pip install s3fs)``.
    """
    text = str(value)
    if text.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(text).path))
    if not is_url(text):
        return Path(text)
    import fsspec

    from .exceptions import KpiToolkitError

    protocol = text.split("://", 1)[0].lower()
    from urllib.parse import urlsplit

    try:
        has_user = bool(urlsplit(text).username)
    except ValueError:
        has_user = False
    if has_user:  # "s3://KEY:SECRET@bucket": a URL is written into every manifest and notebook
        raise KpiToolkitError(f"{option}: a URL with credentials in it ({protocol}://USER:...@...) would be "
                              "written into every report's notebook and manifest; give the credentials in the "
                              "environment instead (for s3://, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as e:
        package = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "abfs": "adlfs", "az": "adlfs"}.get(
            protocol) or (getattr(e, "name", None) or "the package fsspec names")
        raise KpiToolkitError(f"{option} {text}: reading {protocol}:// needs the {package} package "
                              f"(pip install {package} into this environment and the workers')") from None
    except ValueError:
        raise KpiToolkitError(f"{option} {text}: unknown scheme {protocol!r} (a local folder, file://, s3://, "
                              "gs:// or another fsspec URL)") from None
    if kernels and protocol == "memory":
        raise KpiToolkitError(f"{option} {text}: memory:// lives inside one process, and reports run in "
                              "kernels of their own; use a folder or a shared URL")
    if readable:
        try:
            fs, root = fsspec.core.url_to_fs(text)
            fs.ls(root.rstrip("/") or root)
        except FileNotFoundError:
            pass
        except Exception as e:  # noqa: BLE001 - credentials, permissions, an endpoint that does not answer
            reason = " ".join(str(e).split()) or type(e).__name__
            hint = (" (credentials come from the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and "
                    "AWS_ENDPOINT_URL for an S3-compatible store)") if protocol in {"s3", "s3a"} else ""
            raise KpiToolkitError(f"{option} {text}: cannot be read from here: {reason}{hint}") from None
    return text


def _fs(path: str | Path):  # noqa: ANN202 - fsspec types are optional at import time
    import fsspec

    fs, root = fsspec.core.url_to_fs(str(path))
    return fs, root.rstrip("/")


def table_path(client_dir: Path | str, table: str) -> Path | None:
    """The file or folder holding ``table`` in ``client_dir`` (CSV, Parquet or a Parquet folder).

    Raises
    ------
    DataValidationError
        Two of them hold the table (``posts.csv`` next to ``posts.parquet``): which one is current
        is not guessed. Or, with none of them, an Excel workbook stands where the table belongs
        (``posts.xlsx``): it is named, never passed over as "no posts data".
    """
    if is_url(client_dir):
        fs, root = _fs(client_dir)
        found: list[Any] = []
        for name in (f"{table}.parquet", table, f"{table}.csv"):
            cand = f"{root}/{name}"
            if fs.isfile(cand) or (fs.isdir(cand) and fs.glob(f"{cand}/**/*.parquet")):
                found.append(_Url(f"{str(client_dir).rstrip('/')}/{name}"))
        workbooks = [_Url(f"{str(client_dir).rstrip('/')}/{table}{ext}") for ext in _EXCEL_SUFFIXES
                     if fs.isfile(f"{root}/{table}{ext}")]
    else:
        client_dir = Path(client_dir)
        found = [cand for cand in (client_dir / f"{table}.parquet", client_dir / table, client_dir / f"{table}.csv")
                 if cand.exists() and (cand.is_file() or any(cand.glob("**/*.parquet")))]
        workbooks = [client_dir / f"{table}{ext}" for ext in _EXCEL_SUFFIXES
                     if (client_dir / f"{table}{ext}").is_file()]
    if len(found) > 1:
        names = " and ".join(f"{p.name}/" if p.is_dir() else p.name for p in found)
        raise DataValidationError(
            str(client_dir), f"{names} both hold the {table} table; keep one (the loader does not "
            "choose: the other may be an older copy)")
    if not found and workbooks:
        raise DataValidationError(str(workbooks[0]), _excel_rule(table))
    return found[0] if found else None


_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def _excel_rule(table: str) -> str:
    return (f"an Excel workbook; save it as CSV (UTF-8) named {table}.csv (a platform's export: "
            "`kpi import` reads workbooks)")


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
    detail_start: pd.Timestamp | str | None = None,
    whole_columns: Iterable[str] = (),
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
        validation. Parquet is read with the window pushed down: month partitions outside it are
        never opened and row groups outside it are skipped.
    detail_start
        Rows before this time are read without the tables' *detail* columns (texts and ids, see
        :attr:`kpi_toolkit.schema.Column.detail`), which stay blank there; rows from it on are read
        whole. A monthly report passes the start of the month before the report month, so the
        history its trends need costs a few narrow columns, not every text ever written. The
        detail columns of the earlier rows are not validated (``kpi validate`` checks every row).
    whole_columns
        ``table.column`` names of detail columns to read for every row all the same (a report that
        scores every mention's text itself asks for ``mentions.text``).

    Returns
    -------
    ClientData
        Present tables in ``.tables``; each absent one in ``.missing`` with the reason (client-safe
        words) and in ``.expected_files`` with the files looked for.
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
        known = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
                       and any(f.stem in TABLES for f in p.iterdir())) \
            if root.is_dir() else []  # folders holding a table (not data/demo with its TRUTH.json)
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
            out.missing[name] = missing_reason(name)
            out.expected_files[name] = expected_files(cdir, name)
            continue
        whole = [c.split(".", 1)[1] for c in whole_columns if c.startswith(f"{name}.")]
        df, warns = _load_validated(path, TABLES[name], start=start, end=end, detail_start=detail_start,
                                    whole=whole)
        out.tables[name] = _window(df, TABLES[name], start, end)
        out.sources[name] = path
        out.warnings.extend(warns)
    release_memory()
    return out


def missing_reason(table: str) -> str:
    """Why a report leaves out what needs ``table``, in words a client may read (no path)."""
    return f"no {table} data provided"


def expected_files(client_dir: Path | str, table: str) -> str:
    """Where :func:`table_path` looks for ``table``, for messages to the operator."""
    base = str(client_dir).rstrip("/")
    return f"{base}/{table}.csv, {base}/{table}.parquet or a Parquet folder {base}/{table}/"


def release_memory() -> None:
    """Give memory that was freed while loading back to the system (Arrow's pool and glibc's heap
    keep freed pages for reuse otherwise, so a report would count the loading peak twice)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        pass


def load_table(path: str | Path, table: str | Table) -> pd.DataFrame:
    """Read and validate one file (or Parquet folder) as canonical ``table``."""
    spec = TABLES[table] if isinstance(table, str) else table
    df, _ = _load_validated(_Url(str(path)) if is_url(path) else Path(path), spec)  # type: ignore[arg-type]
    return df


def read_times(client_dir: Path | str, table: str, *, start: Any = None, end: Any = None) -> pd.DataFrame | None:
    """Only the columns that place ``table``'s rows in time (its time column, and a post's
    ``published_month``), read and checked as :func:`load_client` would, in ``[start, end)``; None
    when the client has no such table.

    For a cheap "does the month have rows" before a run (:func:`kpi_toolkit.runner.plan`): the other
    columns are neither decoded nor checked (a CSV is still parsed whole, as text), so this costs
    a fraction of loading the table; the report loads and checks it whole.
    """
    spec = TABLES[table]
    path = table_path(client_dir, table)
    if path is None or spec.time_col is None:
        return None
    cols = [spec.time_col, *(["published_month"] if table == "posts" else [])]
    if path.suffix == ".parquet" or path.is_dir():
        df, _ = _parquet_validated(path, spec, start, end, columns=cols)
    else:
        raw = _read_csv(path, spec)
        df, _ = _validate(raw[[c for c in cols if c in raw.columns]], spec, str(path), 2, columns=cols, key=False)
    return _window(df, spec, start, end)


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
    binary = _binary_kind(raw)
    if binary is not None:
        raise DataValidationError(str(path), binary if binary != "excel" else (
            f"an Excel workbook, not CSV text; save it as CSV (UTF-8) named {spec.name}.csv "
            "(a platform's export: `kpi import` reads workbooks)"))
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
        _check_header(next(csv.reader(io.StringIO(text))), str(path))
    except csv.Error:
        pass  # pandas says what is wrong with the file below
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                         skipinitialspace=False)
    except pd.errors.ParserError as e:
        raise DataValidationError(str(path), f"not a readable CSV table ({str(e).strip()})") from None
    df.columns = [c.strip() for c in df.columns]
    return df


def _binary_kind(head: bytes) -> str | None:
    """``"excel"`` when ``head`` (a file's first bytes) starts an Excel workbook, the rule for
    another binary file that is not a table's text, else None."""
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: Excel 97-2003 .xls
        return "excel"
    if head.startswith(b"PK\x03\x04"):
        # a zip: .xlsx/.xlsm name their parts [Content_Types].xml and xl/...; a zip of a CSV does not
        return "excel" if (b"[Content_Types].xml" in head or b"xl/" in head) else \
            "a zip archive, not CSV text; unzip it and keep the CSV file"
    if head.startswith(b"PAR1"):
        return "a Parquet file, not CSV text; give it the suffix .parquet"
    return None


def _check_header(names: Sequence[str], source: str, row: int | None = 1) -> None:
    """One name per column: a header naming a column twice would have one of them dropped."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        n = str(name).strip()
        if not n:
            continue
        if n in seen:
            raise DataValidationError(
                source, f"appears twice in the header (columns {seen[n]} and {i}); rename or remove "
                "one, or its values would be dropped", column=n, rows=[row] if row else None)
        seen[n] = i


_CHUNK_ROWS = 1_000_000
"""Rows validated at a time when reading Parquet: a big table never has its raw and its checked
copy in memory whole at once."""


def _parquet_validated(path: Path, spec: Table, start: Any = None, end: Any = None, *,
                       columns: Sequence[str] | None = None, keep_undated: bool = True,
                       blank: tuple[str, bool] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read and validate a Parquet file or folder, pushing the window ``[start, end)`` and the
    column choice down to pyarrow: hive partitions ``month=YYYY-MM`` outside the window are never
    opened, row groups are skipped by their statistics, and only ``columns`` (default: every
    column) are decoded. ``blank=(column, True)`` keeps only the rows where ``column`` is blank
    (or absent), ``(column, False)`` only those where it is not. Rows are converted and checked
    :data:`_CHUNK_ROWS` at a time."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    dataset = _dataset(path, spec)
    names = set(dataset.schema.names)
    wanted = spec.names if columns is None else list(columns)
    cols = [c for c in wanted if c in names]
    extra = [c for c in dataset.schema.names if c not in spec.names and c != "month"]
    flt = _time_filter(dataset.schema, spec, start, end, keep_undated=keep_undated)
    if blank is not None:
        col, is_blank = blank
        rows = (ds.field(col).is_null() if is_blank else ds.field(col).is_valid()) if col in names \
            else ds.scalar(is_blank)
        flt = rows if flt is None else flt & rows
    proj = cols + extra
    source = _span(path, start, end) if (start is not None or end is not None) else str(path)
    parts: list[pd.DataFrame] = []
    warns: dict[str, str] = {}
    done = 0

    def check(batches: list[Any], schema: Any) -> None:
        nonlocal done
        table = pa.Table.from_batches(batches, schema=schema)
        batches.clear()
        # hand the Arrow buffers over column by column instead of holding both copies at once
        df = table.to_pandas(split_blocks=True, self_destruct=True)
        del table
        part, w = _validate(df, spec, source, done + 1, columns=columns, key=False)
        del df
        pa.default_memory_pool().release_unused()  # hand the chunk's Arrow memory back to the system
        for x in w:  # one line per rule, not one per chunk
            warns.setdefault(x.split(" row", 1)[0], x)
        parts.append(part)
        done += len(part)

    try:
        scanner = dataset.scanner(columns=proj, filter=flt, batch_readahead=4, fragment_readahead=1)
        pending: list[Any] = []
        n = 0
        for batch in scanner.to_batches():
            if batch.num_rows:
                pending.append(batch)
                n += batch.num_rows
            if n >= _CHUNK_ROWS:
                check(pending, scanner.projected_schema)
                n = 0
        if pending or not parts:
            check(pending, scanner.projected_schema)
    except DataValidationError:
        raise
    except Exception as e:
        raise _parquet_error(path, e) from None
    out = parts[0] if len(parts) == 1 else _concat(parts)
    _check_key(out, spec, source, 1)
    return out, list(warns.values())


def _dataset(path: Path, spec: Table) -> Any:
    """The pyarrow dataset of a Parquet file or folder (hive partitions such as ``month=YYYY-MM``)."""
    import pyarrow.dataset as ds

    # categorical columns are decoded straight into pandas categoricals, never one text per row
    fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(
        dictionary_columns=[c.name for c in spec.columns if c.categorical]))
    try:
        if is_url(path):
            from pyarrow.fs import FSSpecHandler, PyFileSystem

            fs, root = _fs(path)
            return ds.dataset(root, format=fmt, partitioning="hive", filesystem=PyFileSystem(FSSpecHandler(fs)))
        dataset = ds.dataset(str(path), format=fmt, partitioning="hive")
    except Exception as e:  # pyarrow raises several types for a broken file
        if "duplicate field names" in str(e) and not path.is_dir():
            import pyarrow.parquet as pq

            _check_header(pq.read_schema(str(path)).names, str(path), row=None)
        raise _parquet_error(path, e) from None
    _check_header(dataset.schema.names, str(path), row=None)
    return dataset


_NOT_PARQUET = "not a Parquet file (or a damaged one)"


def _parquet_error(path: Path, e: Exception) -> DataValidationError:
    """The one line for a Parquet file pyarrow cannot read: which file, and what it is instead when
    its first bytes say so (an Excel workbook, CSV text), never pyarrow's 'magic bytes' wording."""

    text = str(e).strip()
    where = re.search(r"(?:source|file) '([^']+)'", text)
    bad = where[1] if where and where[1] != str(path) else str(path)
    if "magic bytes" in text or "size is 0" in text or "too small" in text.lower():
        return DataValidationError(bad, _not_parquet_rule(bad))
    return DataValidationError(bad, f"a damaged Parquet file (pyarrow: {text.splitlines()[0]})")


def _not_parquet_rule(path: str) -> str:
    """Why the file at ``path`` is not Parquet, from its first bytes when they can be read."""
    try:
        if is_url(path):
            fs, root = _fs(path)
            with fs.open(root, "rb") as f:
                head = f.read(512)
        else:
            with open(path, "rb") as f:
                head = f.read(512)
    except OSError:
        return _NOT_PARQUET
    if not head:
        return f"{_NOT_PARQUET}: the file is empty"
    kind = _binary_kind(head)
    if kind == "excel":
        return _excel_rule(Path(path).name.split(".")[0])
    if kind is not None and not kind.startswith("a Parquet"):
        return f"{_NOT_PARQUET}: {kind.split(',')[0]}"
    if b"\x00" in head:
        return _NOT_PARQUET
    return f"{_NOT_PARQUET}: it holds text (a CSV file named .parquet?)"


def _time_filter(schema: Any, spec: Table, start: Any, end: Any, *, keep_undated: bool = True) -> Any:
    """A pyarrow filter for ``[start, end)`` on the month partition and the time column, or None.
    Rows without a time are kept (as :func:`_window` keeps them) unless ``keep_undated`` is False."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    if spec.time_col is None or (start is None and end is None):
        return None
    flt = None

    def both(a: Any, b: Any) -> Any:
        return b if a is None else a & b

    if "month" in schema.names:
        # hive partition month=YYYY-MM: skip whole files outside the window
        month = ds.field("month")
        if start is not None:
            flt = both(flt, month >= pd.Timestamp(start).strftime("%Y-%m"))
        if end is not None:
            flt = both(flt, month <= (pd.Timestamp(end) - pd.Timedelta(microseconds=1)).strftime("%Y-%m"))
    if spec.time_col in schema.names and pa.types.is_timestamp(schema.field(spec.time_col).type):
        typ = schema.field(spec.time_col).type
        t = ds.field(spec.time_col)

        def scalar(x: Any) -> Any:
            ts = pd.Timestamp(x)
            ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
            if typ.tz is None:
                ts = ts.tz_localize(None)
            return pa.scalar(ts, type=pa.timestamp("ns", typ.tz)).cast(typ, safe=False)

        rows = None
        if start is not None:
            rows = t >= scalar(start)
        if end is not None:
            rows = both(rows, t < scalar(end))
        flt = both(flt, (rows | t.is_null()) if keep_undated else rows)
    return flt


def _load_validated(path: Path, spec: Table, *, start: Any = None, end: Any = None,
                    detail_start: Any = None, whole: Iterable[str] = ()
                    ) -> tuple[pd.DataFrame, list[str]]:
    parquet = path.suffix == ".parquet" or path.is_dir()
    detail = [c for c in spec.detail if c not in set(whole)]
    split = detail_start is not None and bool(detail) and spec.time_col is not None \
        and (end is None or pd.Timestamp(detail_start) < pd.Timestamp(end))
    if parquet and split:
        # the history without the detail columns, then the recent rows whole
        light = [c for c in spec.names if c not in detail]
        unless = {spec.column(c).detail_unless for c in detail} - {None}
        if len(unless) == 1:  # e.g. texts of the mentions that have no sentiment score
            (other,) = unless
            kept = [c for c in detail if spec.column(c).detail_unless == other]
            a, w_a = _parquet_validated(path, spec, start, detail_start, columns=light, keep_undated=False,
                                        blank=(other, False))
            b, w_b = _parquet_validated(path, spec, start, detail_start, columns=light + kept,
                                        keep_undated=False, blank=(other, True))
            for c in kept:
                if c in b.columns and c not in a.columns:
                    a[c] = _blank_like(a.index, b[c].dtype)
            if len(b):
                parts = [a, b[a.columns]]
                del a, b
                old = _concat(parts)
            else:
                old = a
            w_old = w_a + w_b
        else:
            old, w_old = _parquet_validated(path, spec, start, detail_start, columns=light,
                                            keep_undated=False)
        new, w_new = _parquet_validated(path, spec, detail_start, end)
        # a time column stored as text is not filtered by pyarrow: split the rows here
        keep = _before(old[spec.time_col], detail_start) & old[spec.time_col].notna().to_numpy()
        old = old if keep.all() else old[keep]
        keep = ~_before(new[spec.time_col], detail_start)
        new = new if keep.all() else new[keep]
        for c in new.columns:
            if c not in old.columns:
                old[c] = _blank_like(old.index, new[c].dtype) if c in detail \
                    else pd.Series(np.nan, index=old.index)
        if not len(old):
            return new.reset_index(drop=True), w_old + w_new
        parts = [old[new.columns], new]
        del old, new  # _concat empties the parts as it goes; no other reference may keep them
        return _concat(parts), w_old + w_new
    if parquet:
        df, warns = _parquet_validated(path, spec, start, end)
    else:
        df, warns = _validate(_read_csv(path, spec), spec, str(path), 2)
    if split:
        # the same rows and columns as the Parquet path: detail columns blank before detail_start
        df = _window(df, spec, start, end)
        old = _before(df[spec.time_col], detail_start)
        for c in detail:
            other = spec.column(c).detail_unless
            if other is None:
                blank = old
            else:  # kept where the other column is blank (or absent)
                blank = old & (df[other].notna().to_numpy() if other in df.columns else False)
            if c in df.columns and blank.any():
                df.loc[blank, c] = pd.NA
    return df, warns


def _blank_like(index: pd.Index, dtype: Any) -> pd.Series:
    """An all-missing column of ``dtype`` on ``index``: the detail columns of the rows before
    ``detail_start``.

    A missing Arrow string still costs its 8-byte offset, so blank ids, texts and authors of 9 M
    history rows would take 220 MB for nothing. Arrow strings are built here from one zero offsets
    buffer and one all-missing validity bitmap of :data:`_CHUNK_ROWS` rows, shared by every chunk
    (an Arrow array is a view on its buffers), so a blank column of any length costs a few MB; it
    is an ordinary ``string`` column to everything that reads it. Other dtypes are filled as usual.
    """
    n = len(index)
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or n == 0:
        return pd.Series(pd.NA, index=index, dtype=dtype)
    import pyarrow as pa

    size = min(n, _CHUNK_ROWS)
    offsets = pa.py_buffer(np.zeros(size + 1, dtype=np.int64))
    validity = pa.py_buffer(np.zeros((size + 7) // 8, dtype=np.uint8))
    values = pa.py_buffer(b"")
    chunks = [pa.Array.from_buffers(pa.large_string(), k, [validity, offsets, values], null_count=k)
              for k in (min(size, n - lo) for lo in range(0, n, size))]
    arr = dtype.construct_array_type()(pa.chunked_array(chunks, type=pa.large_string()), dtype=dtype)
    return pd.Series(arr, index=index, copy=False)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts one after another (same columns), categoricals kept categorical (pandas falls back
    to text when the parts' categories differ), built one column at a time and emptying ``parts``
    as it goes, so a big table is never held twice."""
    out = pd.DataFrame(index=pd.RangeIndex(sum(len(p) for p in parts)))
    for c in list(parts[0].columns):
        cols = [p.pop(c) for p in parts]
        if all(isinstance(x.dtype, pd.CategoricalDtype) for x in cols):
            cats = sorted(set().union(*(x.cat.categories for x in cols)))
            cols = [x.cat.set_categories(cats) for x in cols]
        out[c] = pd.concat(cols, ignore_index=True)  # a block of its own: never consolidated (copied)
        del cols
    parts.clear()
    return out


def _span(path: Path, start: Any, end: Any) -> str:
    """The source named in messages about a windowed read (its row numbers count the rows read)."""
    lo = f"{pd.Timestamp(start):%Y-%m-%d}" if start is not None else "the first row"
    hi = f"before {pd.Timestamp(end):%Y-%m-%d %H:%M} UTC" if end is not None else "to the last row"
    return f"{path} (rows from {lo} {hi})"


def _comparable(when: Any, t: pd.Series) -> pd.Timestamp:
    """``when`` as a timestamp comparable with the time column ``t`` (naive times are UTC)."""
    ts = pd.Timestamp(when)
    if isinstance(t.dtype, pd.DatetimeTZDtype):
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def _before(t: pd.Series, when: Any) -> np.ndarray:
    return (t < _comparable(when, t)).fillna(False).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------
# extent: when a stored table's rows are, without loading it


@dataclass(frozen=True)
class Extent:
    """When the rows of one stored table are (see :func:`table_extent`)."""

    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    """The earliest and latest value of the table's time column: UTC for a ``datetime`` column, a
    calendar day for a ``date`` one; None when no row has one."""
    month_only: int = 0
    """Rows placed in time by a month alone (posts with ``published_month`` and no ``published_at``)."""
    first_month: str | None = None
    last_month: str | None = None
    """The earliest and latest ``published_month`` (``YYYY-MM``) when ``month_only`` rows exist."""

    def months(self, tz: str = "UTC") -> tuple[str, str] | None:
        """The first and last month (``YYYY-MM``, instants taken in ``tz``) of the rows placed in
        time, month-only rows included; None when there are none."""
        lo: list[str] = []
        hi: list[str] = []
        if self.first is not None and self.last is not None:
            first, last = self.first, self.last
            if first.tzinfo is not None:
                first, last = first.tz_convert(tz), last.tz_convert(tz)
            lo.append(f"{first:%Y-%m}")
            hi.append(f"{last:%Y-%m}")
        if self.month_only and self.first_month is not None and self.last_month is not None:
            lo.append(self.first_month)
            hi.append(self.last_month)
        return (min(lo), max(hi)) if lo else None


_MONTH_PATTERN = r"\d{4}-\d{2}"


def table_extent(path: str | Path, table: str | Table) -> Extent:
    """When the rows of the stored ``table`` at ``path`` are, read cheaply and from every row (not
    just the window a report loads).

    Parquet: from the row-group statistics in the files' footers, no data page is read (a row group
    written without statistics is read for its time column alone); of a folder partitioned by
    ``month=YYYY-MM`` only the files of the first and last month are opened, unless the table has
    month-only rows to count (posts). CSV: the time columns alone are parsed. For messages such as
    "no data in 2030-01 (its data covers 2024-12 to 2026-11)"; nothing is validated again.
    """
    spec = TABLES[table] if isinstance(table, str) else table
    if spec.time_col is None:
        return Extent()
    path = _Url(str(path)) if is_url(path) else Path(path)  # type: ignore[assignment]
    if path.suffix == ".parquet" or path.is_dir():
        return _parquet_extent(path, spec)  # type: ignore[arg-type]
    text = path.read_bytes().decode("utf-8-sig", errors="replace")  # type: ignore[union-attr]
    wanted = {spec.time_col, "published_month"}
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                     usecols=lambda c: str(c).strip() in wanted)
    df.columns = [str(c).strip() for c in df.columns]
    return frame_extent(df, spec)


def frame_extent(df: pd.DataFrame, table: str | Table) -> Extent:
    """:class:`Extent` of a frame of ``table`` (loaded, or the raw texts of its time columns)."""
    spec = TABLES[table] if isinstance(table, str) else table
    if spec.time_col is None or spec.time_col not in df.columns:
        return Extent()
    t = _times_or_nat(df[spec.time_col], spec.column(spec.time_col))
    dated = t.notna().to_numpy(dtype=bool)
    first, last = (t.min(), t.max()) if dated.any() else (None, None)
    if "published_month" not in df.columns:
        return Extent(first, last)
    month = df["published_month"].astype("string").str.strip()
    month = month.where(month.str.fullmatch(_MONTH_PATTERN).fillna(False).astype(bool))
    only = ~dated & month.notna().to_numpy(dtype=bool)
    if not only.any():
        return Extent(first, last)
    return Extent(first, last, int(only.sum()), month[only].min(), month[only].max())


def _times_or_nat(s: pd.Series, col: Column) -> pd.Series:
    """``s`` as timestamps like :func:`_parse_times`, with NaT for any cell it would refuse."""
    if not (isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype)):
        text = s.astype("string").str.strip()
        date = col.kind == "date"
        shaped = text.str.fullmatch(DATE_PATTERN if date else DATETIME_PATTERN).fillna(False).astype(bool)
        s = pd.to_datetime(text.where(shaped), errors="coerce", utc=not date,
                           format="%Y-%m-%d" if date else "ISO8601")
    if col.kind == "datetime":
        return s.dt.tz_localize("UTC") if s.dt.tz is None else s.dt.tz_convert("UTC")
    return s.dt.tz_localize(None) if s.dt.tz is not None else s


def _parquet_extent(path: Path, spec: Table) -> Extent:
    import pyarrow.dataset as ds

    dataset = _dataset(path, spec)
    frags = list(dataset.get_fragments())
    count_months = "published_month" in dataset.schema.names  # month-only rows are counted in every file
    months = [ds.get_partition_keys(f.partition_expression).get("month") for f in frags]
    if frags and not count_months and all(isinstance(m, str) and re.fullmatch(_MONTH_PATTERN, m) for m in months):
        edges = {min(months), max(months)}  # the first and last rows are in the first and last months
        frags = [f for f, m in zip(frags, months, strict=True) if m in edges]
    col = spec.column(spec.time_col)  # type: ignore[arg-type]
    lows: list[Any] = []
    highs: list[Any] = []
    undated = 0
    month_lo: list[str] = []
    month_hi: list[str] = []
    scanned: list[Extent] = []
    try:
        for frag in frags:
            md = frag.metadata  # the footer only
            stats = []
            for i in range(md.num_row_groups):
                rg = md.row_group(i)
                chunks = {rg.column(j).path_in_schema: rg.column(j) for j in range(rg.num_columns)}
                if col.name not in chunks:
                    continue
                st = chunks[col.name].statistics
                if st is None or not st.has_null_count or (st.null_count < rg.num_rows and not st.has_min_max):
                    stats = None  # written without statistics: read this file's time columns alone
                    cols = [c for c in (col.name, "published_month") if c in chunks]
                    scanned.append(frame_extent(frag.to_table(columns=cols).to_pandas(), spec))
                    break
                m = chunks.get("published_month")
                stats.append((st, m.statistics if m is not None else None))
            for st, ms in stats or ():
                if st.has_min_max:
                    lows.append(st.min)
                    highs.append(st.max)
                undated += st.null_count
                if st.null_count and ms is not None and ms.has_min_max:
                    month_lo.append(str(ms.min))
                    month_hi.append(str(ms.max))
    except Exception as e:  # pyarrow raises several types for a broken file
        raise _parquet_error(path, e) from None
    if lows:
        ts = _times_or_nat(pd.Series([*lows, *highs], dtype=object if isinstance(lows[0], str) else None), col)
        scanned.append(Extent(ts.min(), ts.max()))
    if undated and count_months:
        ok = [m for m in month_lo + month_hi if re.fullmatch(_MONTH_PATTERN, m)]
        scanned.append(Extent(month_only=undated, first_month=min(ok, default=None),
                              last_month=max(ok, default=None)))
    return _merged(scanned)


def _merged(parts: Sequence[Extent]) -> Extent:
    firsts = [p.first for p in parts if p.first is not None]
    lasts = [p.last for p in parts if p.last is not None]
    fm = [p.first_month for p in parts if p.month_only and p.first_month is not None]
    lm = [p.last_month for p in parts if p.month_only and p.last_month is not None]
    return Extent(min(firsts, default=None), max(lasts, default=None), sum(p.month_only for p in parts),
                  min(fm, default=None), max(lm, default=None))


# --------------------------------------------------------------------------------------------
# validation


def _rows(mask: np.ndarray | pd.Series, offset: int) -> list[int]:
    """The first offending rows (six: callers can tell "more than five") and how many there are."""
    idx = np.flatnonzero(np.asarray(mask))
    return RowList([int(i) + offset for i in idx[:6]], total=len(idx))


def _examples(values: pd.Series, mask: np.ndarray | pd.Series) -> list[object]:
    picked = values[np.asarray(mask)].head(5)
    out = [v.item() if hasattr(v, "item") else v for v in picked]
    # a count column with blanks is float in pandas: its 37088 reads as written, not '37088.0'
    return [int(v) if isinstance(v, float) and v.is_integer() else v for v in out]


def _validate(df: pd.DataFrame, spec: Table, source: str, offset: int, *,
              columns: Sequence[str] | None = None, key: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """Coerce and check ``df`` as ``spec``; ``columns`` limits the required columns to those read;
    ``key=False`` leaves the uniqueness of the key to the caller (a chunked read checks it whole)."""
    warns: list[str] = []  # DataWarning lines
    df = df.reset_index(drop=True)
    missing = [c for c in spec.required if c not in df.columns and (columns is None or c in columns)]
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
    if key:
        _check_key(out, spec, source, offset)
    for check, bad in pair_rule_breaks(out, spec):
        e = DataValidationError(source, f"{check.says} ({check.why})", column=check.column,
                                rows=_rows(bad, offset), got=_examples(out[check.column], bad))
        if check.error:
            raise e
        warns.append(DataWarning(e, check=check.name))
    for order, bad in order_rule_breaks(out, spec):
        raise DataValidationError(source, f"{order.says} ({order.why})", column=order.column,
                                  rows=_rows(bad, offset),
                                  got=[f"{t:%Y-%m-%d %H:%M:%S}" for t in out.loc[bad, order.column].head(5)])
    warns += _future_warnings(out, spec, source, offset)
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
            warns.append(DataWarning(DataValidationError(
                source, f"unusual formats {', '.join(map(str, odd[:5]))} (known: {', '.join(CONTENT_TYPES)}); "
                "kept as they are", column="content_type"), check="content_type_known"))
    return out, warns


def pair_rule_breaks(df: pd.DataFrame, spec: Table) -> list[tuple[PairCheck, pd.Series]]:
    """The rules between two columns of a row (:data:`kpi_toolkit.schema.PAIR_CHECKS`) that the
    rows of ``df`` break, with the rows that break each; a blank on either side breaks none. The
    one definition: the model's validation and the importers (on the export's rows, before rows
    are summed) both use it."""
    out = []
    for name in spec.checks:
        check = PAIR_CHECKS[name]
        if not {check.column, check.other} <= set(df.columns):
            continue
        a = pd.to_numeric(df[check.column], errors="coerce")
        b = pd.to_numeric(df[check.other], errors="coerce")
        bad = (a > b).fillna(False).astype(bool)
        if bad.any():
            out.append((check, bad))
    return out


def order_rule_breaks(df: pd.DataFrame, spec: Table) -> list[tuple[OrderCheck, pd.Series]]:
    """The rules on the order of two times of a row (:data:`kpi_toolkit.schema.ORDER_CHECKS`) that the
    rows of ``df`` break, with the rows that break each; a blank on either side breaks none."""
    out = []
    for name in spec.order_checks:
        check = ORDER_CHECKS[name]
        if not {check.column, check.after} <= set(df.columns):
            continue
        bad = (df[check.column] < df[check.after]).fillna(False).astype(bool)
        if bad.any():
            out.append((check, bad))
    return out


def today_utc() -> pd.Timestamp:
    """Today's date in UTC (midnight, no zone): where "in the future" starts, for the warning about
    rows dated later. Tests replace it (``monkeypatch.setattr(kpi_toolkit.data, "today_utc", ...)``)."""
    return pd.Timestamp.now(tz="UTC").normalize().tz_localize(None)


def _future_warnings(out: pd.DataFrame, spec: Table, source: str, offset: int) -> list[DataWarning]:
    """Warnings naming the rows dated after tomorrow in UTC (a day's margin for the time zones
    ahead of UTC and for local times written without an offset), in every date and time column (a
    mention's ``responded_at`` as well as its ``published_at``): a typo in a year, or a scheduled
    post. Kept: a post may be scheduled, and nothing else about the row is wrong."""
    last = today_utc() + pd.Timedelta(days=1)
    scheduled = " (a scheduled post?)" if spec.name == "posts" else ""
    rule = f"dated in the future, after {last:%Y-%m-%d} (tomorrow in UTC); kept, but check the date{scheduled}"
    found: list[tuple[str, np.ndarray, list[object]]] = []
    for col in (c.name for c in spec.columns if c.kind in ("datetime", "date") and c.name in out.columns):
        t = out[col]
        aware = isinstance(t.dtype, pd.DatetimeTZDtype)
        limit = (pd.Timestamp(last, tz="UTC") if aware else last) + pd.Timedelta(days=1)
        bad = (t >= limit).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            found.append((col, bad, [f"{v:%Y-%m-%d %H:%M}" if aware else f"{v:%Y-%m-%d}" for v in t[bad].head(5)]))
    if spec.name == "posts" and "published_month" in out.columns:  # posts placed by a month alone
        month = out["published_month"].astype("string").str.strip()
        bad = (month.str.fullmatch(_MONTH_PATTERN).fillna(False).to_numpy(dtype=bool)
               & (month > f"{last:%Y-%m}").fillna(False).to_numpy(dtype=bool))
        if bad.any():
            found.append(("published_month", bad, list(month[bad].head(5))))
    return [DataWarning(DataValidationError(source, rule, column=col, rows=_rows(bad, offset), got=got),
                        check="not_in_future") for col, bad, got in found]


def _check_key(out: pd.DataFrame, spec: Table, source: str, offset: int) -> None:
    if spec.key and set(spec.key) <= set(out.columns):
        dup = out.duplicated(list(spec.key), keep=False)
        if dup.any():
            keycol = spec.key[0] if len(spec.key) == 1 else "+".join(spec.key)
            got = _examples(out[spec.key[0]].astype(str), dup)
            raise DataValidationError(source, "duplicate key: each " + (
                f"'{spec.key[0]}' must be unique" if len(spec.key) == 1 else
                f"({', '.join(spec.key)}) combination must appear once"), column=keycol,
                rows=_rows(dup, offset), got=got)


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
    if col.kind == "str" and col.categorical:
        s = _stripped_category(s)
    blank = s.isna()
    if isinstance(s.dtype, pd.CategoricalDtype):
        pass  # stripped above, blanks are missing
    elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
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
        return s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("string")
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
            big = (num.abs() > MAX_COUNT).fillna(False)
            if big.any():
                raise DataValidationError(source, f"too large for a count (at most {MAX_COUNT:,})",
                                          column=col.name, rows=_rows(big, offset), got=_examples(s, big))
            frac = (num % 1 != 0) & num.notna()
            if frac.any():
                raise DataValidationError(source, "must be a whole number", column=col.name,
                                          rows=_rows(frac, offset), got=_examples(num, frac))
            return num.astype("int64") if not num.isna().any() else num.astype("float64")
        inf = np.isinf(num.to_numpy(dtype="float64", na_value=np.nan))
        if inf.any():
            raise DataValidationError(source, "must be a finite number", column=col.name,
                                      rows=_rows(inf, offset), got=_examples(s, inf))
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
        ts = _parse_times(s, blank, col, source, offset)
        if kind == "datetime":
            if ts.dt.tz is None:
                ts = ts.dt.tz_localize("UTC")
            return ts.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_localize(None)
        not_midnight = ts.notna() & (ts != ts.dt.normalize())
        if not_midnight.any():
            raise DataValidationError(source, _DAY_RULE, column=col.name, rows=_rows(not_midnight, offset),
                                      got=_examples(s, not_midnight))
        return ts.astype("datetime64[ns]")
    raise AssertionError(kind)


MAX_COUNT = 2**53 - 1
"""The largest count a table may hold: counts are checked as float64, exact up to 2**53 (and an
int64 overflows not much later, turning 99999999999999999999999 into a negative number)."""

DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
"""What a ``date`` cell of a canonical table must look like: ``YYYY-MM-DD`` (ISO 8601), nothing else."""

DATETIME_PATTERN = (DATE_PATTERN + r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
                    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
"""What a ``datetime`` cell must look like: an ISO 8601 (RFC 3339) date or date-time,
``YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH[:MM]]`` (a space may stand for the ``T``); without an offset
the time is taken as UTC."""

_DATE_RULE = "not a valid date (expected YYYY-MM-DD, e.g. 2026-10-02)"
_TIME_RULE = ("not a valid time (expected ISO 8601: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], optionally "
              "with Z or an offset such as +02:00, e.g. 2026-10-01T12:00:00Z)")
_DAY_RULE = "must be a calendar day without a time (daily table; expected YYYY-MM-DD)"


def _parse_times(s: pd.Series, blank: pd.Series, col: Column, source: str, offset: int) -> pd.Series:
    """The cells of a ``date`` or ``datetime`` column as timestamps; anything but ISO 8601 is refused.

    A day written ``10/02/2026`` is October 2 in one country and February 10 in another, so no other
    format is guessed. Typed columns (Parquet timestamps) are taken as they are; texts (CSV, Parquet
    strings, Parquet ``date32`` values) are first matched against :data:`DATE_PATTERN` or
    :data:`DATETIME_PATTERN` and then parsed with an explicit format, both vectorised.
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
        return pd.Series(s)
    text = s.astype("string")
    date = col.kind == "date"
    shaped = text.str.fullmatch(DATE_PATTERN if date else DATETIME_PATTERN).fillna(False).astype(bool)
    ts = pd.to_datetime(text.where(shaped), errors="coerce", utc=not date,
                        format="%Y-%m-%d" if date else "ISO8601")
    bad = (ts.isna() & ~blank).to_numpy(dtype=bool)
    if not bad.any():
        return ts
    # each bad cell's rule: a time in a daily table, a day or time that does not exist (written
    # the ISO way), or not ISO 8601; the first bad cell's rule is reported, with the cells breaking it
    timed = (text.str.fullmatch(DATETIME_PATTERN) & (text.str.len() > len("YYYY-MM-DD"))
             ).fillna(False).to_numpy(dtype=bool)
    where = np.flatnonzero(bad)
    cells = text.to_numpy(dtype=object, na_value=None)
    rules = {int(i): _DAY_RULE if date and timed[i] else
             (_no_such(cells[i]) if shaped.iloc[i] else None) or (_DATE_RULE if date else _TIME_RULE)
             for i in where}
    rule = rules[int(where[0])]
    same = np.zeros(len(bad), dtype=bool)
    same[[i for i, r in rules.items() if r == rule]] = True
    raise DataValidationError(source, rule, column=col.name, rows=_rows(same, offset), got=_examples(s, same))


_ISO_PARTS = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def _no_such(text: str | None) -> str | None:
    """Why a cell written the ISO 8601 way names no real day or time, else None:
    ``2024-02-30`` -> 'no such date (February 2024 has 29 days)'."""
    import calendar

    m = _ISO_PARTS.match(text or "")
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if not 1 <= month <= 12:
        return f"no such date (there is no month {m[2]}; months go 01 to 12)"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"no such date ({calendar.month_name[month]} {year} has {days} days)"
    if m[4] is not None and (int(m[4]) > 23 or int(m[5]) > 59 or (m[6] is not None and int(m[6]) > 59)):
        return "no such time of day (hours go 00 to 23, minutes and seconds 00 to 59)"
    return None


def _stripped_category(s: pd.Series) -> pd.Series:
    """``s`` as a categorical of stripped texts, blanks missing, only the values present as categories."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("category")
    cats = pd.Index(s.cat.categories.astype("string").str.strip())
    if not cats.is_unique or (cats == "").any():
        s = s.astype("string").str.strip()
        s = s.mask(s == "").astype("category")
    else:
        s = s.cat.rename_categories(cats.astype("str")).cat.remove_unused_categories()
    # sorted like the texts, so grouping by it orders groups as grouping the texts would
    return s.cat.reorder_categories(sorted(s.cat.categories))


def row_rule_breaks(s: pd.Series, col: Column) -> list[tuple[str, pd.Series, str]]:
    """The canonical model's per-row rules of one column that ``s`` breaks, in the model's order:
    ``(kind, rows that break it, rule in words)`` with kind ``allowed`` (the rule lists the known
    values), ``nonneg`` or ``range``. The one definition of these rules: the model's validation and
    the importers (which check them on export rows before rows are summed) both use it."""
    out: list[tuple[str, pd.Series, str]] = []
    if col.allowed is not None:
        bad = (~s.isin(col.allowed) & s.notna()).fillna(False)
        if bad.any():
            out.append(("allowed", bad, f"known: {', '.join(col.allowed)}"))
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return out
    if col.nonneg:
        bad = (s < 0).fillna(False)
        if bad.any():
            out.append(("nonneg", bad, "must be >= 0"))
    if col.min_value is not None or col.max_value is not None:
        lo = -np.inf if col.min_value is None else col.min_value
        hi = np.inf if col.max_value is None else col.max_value
        bad = ((s < lo) | (s > hi)).fillna(False)
        if bad.any():
            out.append(("range", bad, f"must be between {_num(lo)} and {_num(hi)}"))
    return out


def _check_column(df: pd.DataFrame, col: Column, spec: Table, source: str, offset: int,
                  warns: list[str]) -> None:
    s = df[col.name]
    for kind, bad, rule in row_rule_breaks(s, col):
        if kind == "allowed":
            raise DataValidationError(source, f"unknown {col.name} {_examples(s, bad)[0]!r}; {rule}",
                                      column=col.name, rows=_rows(bad, offset))
        raise DataValidationError(source, rule, column=col.name, rows=_rows(bad, offset), got=_examples(s, bad))
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
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= (t >= _comparable(start, t)) | t.isna()
    if end is not None:
        keep &= (t < _comparable(end, t)) | t.isna()
    if keep.all():  # the read already kept only these rows: no copy
        return df
    return df[keep.to_numpy()].reset_index(drop=True)
