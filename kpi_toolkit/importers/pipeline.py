"""``import_export``: read an export, convert it with a preset, validate, merge, archive and log.

Nothing is written until every row has been converted and the merged table validated, so a bad
import writes nothing. The original export is only read; a byte-identical copy and the import log
(``.log.json`` for tools, ``.log.txt`` for people) go to ``data/<client>/imports/``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import yaml

from ..data import load_table, table_path, validate_frame, write_table
from ..exceptions import DataValidationError, ImportFormatError, NoDataError, ParameterError
from ..params import CLIENT_ID, read_yaml
from ..schema import TABLES
from .convert import IMPORT_ROW_COLUMN, Converted, check_year, convert
from .limits import analysis_limits
from .presets import Preset, load_preset
from .reading import check_delimiter, read_export
from .store import OnConflict, for_writing, merge, previous_import, unique_stem
from .terms import ExportTerms, export_warnings, translate_error


@dataclass
class ImportReport:
    """What an import read, kept, rejected and wrote; the log files are this, as JSON and as text."""

    format: str
    title: str
    status: str
    export: str
    sha256: str
    client: str
    table: str
    target: str
    imported_at: str
    encoding: str
    delimiter: str
    rows_read: int
    rows_kept: int
    skipped: list[dict[str, Any]]
    rejected: list[dict[str, Any]]
    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    kept_stored: int = 0
    kept_stored_rows: list[str] = field(default_factory=list)
    """the export's rows (file lines) not written because the stored row was kept"""
    table_rows: int = 0
    blank_cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    absent_columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    archived_as: str | None = None
    archive_name: str | None = None
    previously_imported: str | None = None
    dry_run: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        verified = {"verified": "verified on a real export",
                    "documentation": "written from documentation, not yet verified on a real export",
                    }.get(self.status, "a user mapping file")
        lines = [
            f"kpi import {self.format} {self.export} -> {self.target}" + ("   (dry run: nothing written)"
                                                                          if self.dry_run else ""),
            f"  format     {self.title} ({verified})",
            f"  read       {self.rows_read} rows, encoding {self.encoding}, delimiter {_show(self.delimiter)}",
            f"  kept       {self.rows_kept}   rejected {len(self.rejected)}   skipped {len(self.skipped)}",
            f"  {self.table + ' ':<11}{self.added} added, {self.unchanged} already present, {self.replaced} "
            f"replaced, {self.kept_stored} kept as stored -> {self.table_rows} rows",
        ]
        if self.kept_stored_rows:  # what --on-conflict keep did not write, said once
            n = len(self.kept_stored_rows)
            one = n == 1
            lines.append(
                f"  kept as stored  {n} row{'' if one else 's'} already in the table with other values "
                f"{'was left as it was' if one else 'were left as they were'} (--on-conflict keep); "
                f"the export's {_rows(self.kept_stored_rows)} {'was' if one else 'were'} not written "
                f"and {'is' if one else 'are'} left out of what follows")
        if self.previously_imported:
            lines.append(f"  same file as {self.previously_imported} (imported before); no second copy kept")
        if self.blank_cells:
            lines.append("  blank cells (kept missing, never 0):")
            w = max(len(c) for c in self.blank_cells)
            for col, info in self.blank_cells.items():
                lines.append(f"    {col:<{w}} {info['count']:>5}  {_rows(info['rows'])}")
        if self.absent_columns:
            lines.append("  not in this export (left missing):")
            w = max(len(k) for k in self.absent_columns)
            lines += [f"    {k:<{w}} {v}" for k, v in self.absent_columns.items()]
        if self.rejected:
            lines.append("  rejected rows:")
            for reason, rows in _group(self.rejected).items():
                lines.append(f"    {len(rows):>5}  {reason}  ({_rows(rows)})")
        if self.skipped:
            for reason, rows in _group(self.skipped).items():
                lines.append(f"  skipped    {len(rows)} {reason} ({_rows(rows)})")
        for title, items in (("checks", self.checks), ("the export lacks", self.lacks),
                             ("analyses", self.limits), ("notes", self.notes),
                             ("warnings", self.warnings)):
            if items:
                lines.append(f"  {title}:")
                lines += [f"    - {x}" for x in items]
        if self.ignored_columns:
            lines.append(f"  columns not imported: {', '.join(self.ignored_columns)}")
        if self.archived_as:
            lines.append(f"  archived   {self.archived_as}")
        return "\n".join(lines)


def _show(d: str) -> str:
    return {"\t": "TAB"}.get(d, repr(d))


def _rows(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:8])
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}" + (f" (+{len(rows) - 8} more)" if len(rows) > 8 else "")


def _group(items: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for it in items:
        out.setdefault(it["reason"], []).append(it["row"])
    return out


@dataclass
class ImportResult:
    """The imported rows (validated), the report, and where things were written (None on a dry run)."""

    rows: pd.DataFrame
    report: ImportReport
    target: Path
    log_json: Path | None = None
    log_txt: Path | None = None


def client_timezone(client: str, parameters_dir: str | Path) -> tuple[str, str]:
    """The client's time zone from parameters/<client>.yaml (only that key is read), else UTC.

    A file that is not valid YAML is an error, never taken for a file without a time zone."""
    p = Path(parameters_dir) / f"{client}.yaml"
    if not p.is_file():
        return "UTC", f"UTC (no --timezone and no {p})"
    try:
        data = read_yaml(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:  # never read as "no timezone": dates would move by the zone's offset
        mark = getattr(e, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ParameterError(f"{p}:{line} not valid YAML ({getattr(e, 'problem', e)}); kpi import reads "
                             "the client's time zone from it: fix the file, or pass --timezone") from None
    tz = data.get("timezone") if isinstance(data, dict) else None
    if not tz:
        return "UTC", f"UTC (no timezone in {p})"
    return _check_tz(str(tz), str(p)), f"{tz} (from {p})"


def _check_tz(tz: str, where: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(f"{where}: unknown time zone {tz!r} (use an IANA name such as "
                             "'Europe/Helsinki')") from None
    return tz


def import_export(
    fmt: str | Path | Preset,
    path: str | Path,
    *,
    client: str,
    data_dir: str | Path = "data",
    platform: str | None = None,
    year: int | None = None,
    timezone: str | None = None,
    parameters_dir: str | Path = "parameters",
    on_conflict: OnConflict = "error",
    dry_run: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    date_format: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import one platform export into ``data_dir/<client>/<table>.csv`` (or the existing .parquet).

    Parameters
    ----------
    fmt
        A preset name (``kpi import --list``), the path of a mapping .yaml, or a :class:`Preset`.
    path
        The export file; it is only read.
    client
        Client id (folder under ``data_dir``; created when new).
    platform, year, timezone
        What the export itself does not say (see the preset); ``timezone`` defaults to the
        client's parameters, else UTC.
    on_conflict
        What to do with a key already stored with different values: ``error`` (default; nothing
        is written), ``replace`` (take the export's values) or ``keep`` (keep the stored ones).
    dry_run
        Convert, validate and report, but write nothing.
    encoding, delimiter, date_format
        Override what the preset declares or what is detected.
    now
        The import time (for the archive and log names); default: the current UTC time.

    Returns
    -------
    ImportResult
        The imported rows, the :class:`ImportReport` and the paths written.

    Raises
    ------
    ImportFormatError, DataValidationError, ParameterError, NoDataError
        One line naming the file, column, rows and rule. Nothing is written.

    References
    ----------
    .. [1] docs/importers.md: the merge rules, the archive and the log, and for each preset where
       its column names come from and whether it was verified on a real export.
    """
    if not CLIENT_ID.fullmatch(client):
        raise ParameterError(f"client id {client!r}: lower-case letters, digits, '-' or '_'")
    check_delimiter(delimiter)
    check_year(year, now)
    preset = fmt if isinstance(fmt, Preset) else load_preset(fmt)
    export = Path(path)
    if timezone is not None:
        tz, tz_note = _check_tz(timezone, "--timezone"), f"{timezone} (from --timezone)"
    elif preset.times_in == "utc":
        tz, tz_note = "UTC", "UTC (the export's times are UTC)"
    else:
        tz, tz_note = client_timezone(client, parameters_dir)
    raw = read_export(export, preset, encoding=encoding, delimiter=delimiter)
    if not raw.rows:
        raise NoDataError(f"{export}: no data rows under the header (line {raw.header_line})")

    cdir = Path(data_dir) / client
    imports = cdir / "imports"
    prev = previous_import(imports, raw.sha256)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    archive_name = prev["archive_name"] if prev else unique_stem(imports, stamp, export.name)
    conv = convert(raw, preset, year=year, platform=platform, timezone=tz, date_format=date_format,
                   import_file=archive_name)
    new, warns = _validate_new(conv, preset.table, export)

    existing_path = table_path(cdir, preset.table)
    if existing_path is not None and existing_path.is_dir():
        raise ImportFormatError(f"{existing_path}: a partitioned Parquet folder; kpi import writes "
                                "single-file tables only (merge the folder into one file first)")
    target = existing_path or cdir / f"{preset.table}.csv"
    existing = load_table(existing_path, preset.table) if existing_path is not None else None
    new, kept_ids = _earlier_ids(new, existing, preset.table, conv.legacy_ids)
    if kept_ids:
        conv.notes.append(f"{kept_ids} row(s) keep the id an earlier import gave them (from the row's "
                          "cells and line number)")
    combined, stats, kept = merge(existing, new, preset.table, on_conflict=on_conflict, target=target,
                                  export=export, terms=conv.terms)
    combined, _ = validate_frame(combined, preset.table, source=str(target), row_offset=2)
    kept_rows = [ExportTerms.row(r) for r in new[IMPORT_ROW_COLUMN].iloc[kept]] if kept else []
    shown = conv
    if kept:  # the stored rows were kept: say nothing about the export's rows that were not written
        shown = _without_rows(conv, kept)
        _, warns = _validate_new(shown, preset.table, export)

    report = ImportReport(
        format=preset.name, title=preset.title, status=preset.status, export=str(export),
        sha256=raw.sha256, client=client, table=preset.table, target=str(target),
        imported_at=(now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        encoding=raw.encoding, delimiter=raw.delimiter, rows_read=conv.rows_read, rows_kept=len(new),
        skipped=[{"row": r, "reason": why} for r, why in conv.skipped],
        rejected=[{"row": r, "reason": why} for r, why in conv.rejected],
        kept_stored_rows=kept_rows, table_rows=len(combined),
        blank_cells={c: {"count": len(rows), "rows": rows} for c, rows in shown.blanks.items()},
        absent_columns=conv.absent, ignored_columns=conv.ignored_columns, checks=conv.checks,
        lacks=list(preset.lacks), limits=analysis_limits(preset.table, shown),
        notes=[*raw.notes, *conv.notes,
               *([f"times without an offset read in {tz_note}"] if conv.used_timezone else [])],
        warnings=warns, archived_as=None if dry_run else str(imports / archive_name),
        archive_name=None if dry_run else archive_name,
        previously_imported=str(imports / prev["archive_name"]) if prev else None, dry_run=dry_run,
        options={"platform": platform, "year": year, "timezone": tz, "on_conflict": on_conflict,
                 "encoding": encoding, "delimiter": delimiter, "date_format": date_format,
                 "preset_file": preset.source_file},
        **stats,
    )
    result = ImportResult(rows=new, report=report, target=target)
    if dry_run:
        return result
    imports.mkdir(parents=True, exist_ok=True)
    if prev is None:
        shutil.copyfile(export, imports / archive_name)
    if len(combined) or existing_path is not None:  # every row rejected and no table yet: log only
        write_table(for_writing(combined, preset.table), target)
    log_stem = unique_stem(imports, stamp, export.name) if prev else archive_name
    result.log_json = imports / f"{log_stem}.log.json"
    result.log_txt = imports / f"{log_stem}.log.txt"
    result.log_json.write_text(json.dumps(report.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    result.log_txt.write_text(report.to_text() + "\n", encoding="utf-8")
    return result


def _without_rows(conv: Converted, positions: list[int]) -> Converted:
    """``conv`` without the converted rows at ``positions`` (and their blank cells): what a report
    says about the rows an import wrote, when the stored values of the others were kept."""
    frame = conv.frame.reset_index(drop=True)
    drop = np.zeros(len(frame), dtype=bool)
    drop[positions] = True
    lines = {int(n) for r in frame[IMPORT_ROW_COLUMN][drop] for n in str(r).split(";")}
    blanks = {c: left for c, rows in conv.blanks.items() if (left := [r for r in rows if r not in lines])}
    return dataclasses.replace(conv, frame=frame[~drop].reset_index(drop=True), blanks=blanks,
                               lines=[x for x, d in zip(conv.lines, drop, strict=True) if not d])


def _earlier_ids(new: pd.DataFrame, existing: pd.DataFrame | None, table: str,
                 legacy: dict[str, str]) -> tuple[pd.DataFrame, int]:
    """The new rows with the id an import before ids left out the line number gave the same row,
    where the stored table holds that id and not the new one (else a re-import of a file imported
    then would add every row again); and how many rows keep such an id."""
    key = TABLES[table].key[0] if TABLES[table].key else None
    if not legacy or existing is None or key is None or key not in existing.columns:
        return new, 0
    stored = set(existing[key].astype(str))
    ids = new[key].astype(str)
    old = ids.map(lambda i: legacy.get(i) if i not in stored and legacy.get(i) in stored else None)
    hit = old.notna()
    if not hit.any():
        return new, 0
    new = new.copy()
    new[key] = ids.where(~hit, old).astype(new[key].dtype)
    return new, int(hit.sum())


def _validate_new(conv: Converted, table: str, export: Path) -> tuple[pd.DataFrame, list[str]]:
    """Validate the converted rows against the canonical model; errors and warnings name the
    export's columns, rows (file lines) and cells as written, not the canonical ones."""
    terms = conv.terms or ExportTerms(str(export))
    frame = conv.frame.reset_index(drop=True)
    try:
        new, warns = validate_frame(frame, table, source=str(export), row_offset=0)
    except DataValidationError as e:
        raise translate_error(e, terms, frame) from None
    return new, export_warnings(frame, terms, warns)
