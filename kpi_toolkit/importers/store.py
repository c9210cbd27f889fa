"""Merging imported rows into a client's canonical table, the archive copy and the import log.

Merge rules (by the table's key; tables without a key compare whole rows):

- a key not yet stored is appended;
- a key stored with the same values is left as it is (re-importing a file adds nothing);
- a key stored with different values is a conflict: by default an error that writes nothing;
  ``on_conflict="replace"`` takes the export's values (in the columns the export has; a stored
  column it lacks keeps its values), ``"keep"`` keeps the stored ones.

Every column of the export is compared (a column the table lacks reads blank); a stored column
the export lacks is not. Provenance columns (``import_file``, ``import_row``) are not compared. A
blank cell of the export says nothing about that value: it is neither a difference nor, on
``replace``, written over a stored value (a re-download whose 'likes' came out empty must not erase
the likes already stored).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import ImportFormatError
from ..schema import IMPORT_FILE_COLUMN, TABLES
from .convert import IMPORT_ROW_COLUMN
from .terms import ExportTerms

OnConflict = Literal["error", "replace", "keep"]
_PROVENANCE = (IMPORT_FILE_COLUMN, IMPORT_ROW_COLUMN)


def cell_text(v: Any) -> str:
    """One cell as the CSV would show it (so a stored text '178' equals a parsed 178)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return ""
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, pd.Timestamp):
        if v.tzinfo is not None:
            return v.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.isoformat()
    if isinstance(v, int | np.integer):
        return str(int(v))
    text = str(v)
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower()
    return text


def _texts(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [cell_text(v) for v in df[c].tolist()] for c in cols}, index=df.index)


def merge(existing: pd.DataFrame | None, new: pd.DataFrame, table: str, *, on_conflict: OnConflict,
          target: Path, export: Path, terms: ExportTerms | None = None
          ) -> tuple[pd.DataFrame, dict[str, int], list[int]]:
    """The combined table, counts (added, unchanged, replaced, kept_stored) and the positions in
    ``new`` of the rows not written because the stored ones were kept (``on_conflict="keep"``).

    A replaced row takes the export's values in the columns the export has; a stored column it
    lacks (not in ``new``), or a cell the export leaves blank, keeps the row's stored value. A conflict names the export's row and
    column (``terms``), and the stored and new values as the table writes them."""
    spec = TABLES[table]
    stats = {"added": len(new), "unchanged": 0, "replaced": 0, "kept_stored": 0}
    if existing is None or existing.empty:
        return new.reset_index(drop=True), stats, []
    key = list(spec.key) or [c for c in spec.names if c in new.columns]
    # every column of the export: one the table lacks reads blank there, so a value the table does
    # not hold yet differs (a conflict), never "already present" with the value dropped
    common = [c for c in new.columns if c not in _PROVENANCE]
    old_rows = list(_texts(existing.reindex(columns=common), common).itertuples(index=False, name=None))
    new_rows = list(_texts(new, common).itertuples(index=False, name=None))
    kpos = [common.index(k) for k in key]
    old_idx = {tuple(r[p] for p in kpos): i for i, r in enumerate(old_rows)}
    add_rows: list[int] = []
    replace: dict[int, int] = {}
    conflicts: list[str] = []
    kept: list[int] = []
    for j, b in enumerate(new_rows):
        k = tuple(b[p] for p in kpos)
        i = old_idx.get(k)
        if i is None:
            add_rows.append(j)
            continue
        a = old_rows[i]
        b = tuple(y if y != "" else x for x, y in zip(a, b, strict=True))  # a blank export cell says nothing
        if a == b:
            stats["unchanged"] += 1
        elif on_conflict == "replace":
            replace[i] = j
        elif on_conflict == "keep":
            stats["kept_stored"] += 1
            kept.append(j)
        else:
            c = next(n for n, x, y in zip(common, a, b, strict=True) if x != y)
            x, y = a[common.index(c)], b[common.index(c)]
            name = terms.plain(c) if terms is not None and c in terms.sources else f"'{c}'"
            row = ExportTerms.row(new[IMPORT_ROW_COLUMN].iloc[j])
            conflicts.append(f"{'/'.join(map(str, k))} row {row}: {name} {x or 'blank'} -> {y or 'blank'}")
    if conflicts:
        more = f" (+{len(conflicts) - 3} more)" if len(conflicts) > 3 else ""
        raise ImportFormatError(
            f"{export}: {len(conflicts)} row(s) have a key already in {target} with different values "
            f"({'; '.join(conflicts[:3])}{more}); pass --on-conflict replace to take the export's "
            "values or --on-conflict keep to keep the stored ones")
    stats["added"] = len(add_rows)
    stats["replaced"] = len(replace)
    cols = list(dict.fromkeys([*existing.columns, *new.columns]))
    old = _objectify(existing.reset_index(drop=True).reindex(columns=cols))
    newr = _objectify(new.reset_index(drop=True).reindex(columns=cols))
    if replace:  # the columns the export has, where it has a value; a stored column it lacks, or a
        # blank cell of the export, keeps the stored value
        rows = list(replace)
        given = [cols.index(c) for c in new.columns]
        taken = newr.iloc[[replace[i] for i in rows], given].to_numpy()
        stored = old.iloc[rows, given].to_numpy()
        old.iloc[rows, given] = np.where(pd.isna(taken), stored, taken)
    combined = pd.concat([old, newr.iloc[add_rows]], ignore_index=True)
    return combined, stats, kept


def _objectify(df: pd.DataFrame) -> pd.DataFrame:
    """Columns as objects so that concat never fails on mixed dtypes; validation re-types them.

    Days and times become their text as the table writes them ('2026-10-01', '...T09:15:00Z'): a
    day left a Timestamp reads '2026-10-01 00:00:00' to validation, which refuses a time in a
    daily table."""
    out = df.astype(object).where(df.notna(), None)
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c].dtype):
            out[c] = [cell_text(v) or None for v in df[c].tolist()]
    return out


def for_writing(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Counts as nullable integers (no '79.0' in the CSV), extra columns as text."""
    spec = TABLES[table]
    canonical = [c for c in spec.names if c in df.columns]
    extras = [c for c in df.columns if c not in spec.names and c not in _PROVENANCE]
    out = df[canonical + extras + [c for c in _PROVENANCE if c in df.columns]].copy()
    for c in out.columns:
        if c in spec.names:
            if spec.column(c).kind == "int":
                out[c] = out[c].astype("Float64").round().astype("Int64")
        else:
            out[c] = pd.Series([cell_text(v) or pd.NA for v in out[c].tolist()], index=out.index,
                               dtype="string")
    return out


def previous_import(imports_dir: Path, sha256: str) -> dict[str, Any] | None:
    """The log of an earlier import of the same bytes, if any."""
    if not imports_dir.is_dir():
        return None
    for log in sorted(imports_dir.glob("*.log.json")):
        try:
            data = json.loads(log.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if data.get("sha256") == sha256 and data.get("archive_name") \
                and (imports_dir / data["archive_name"]).is_file():
            return data
    return None


def unique_stem(imports_dir: Path, stamp: str, name: str) -> str:
    stem = f"{stamp}-{name}"
    n = 2
    while (imports_dir / stem).exists() or (imports_dir / f"{stem}.log.json").exists():
        stem = f"{stamp}-{n}-{name}"
        n += 1
    return stem
