"""Errors and warnings in the export's terms: its column names, its row numbers, its cells as written.

The canonical model checks its columns by their canonical names (``likes``, ``published_hour``) and
shows values as stored (``-5.0``). A user who imports ``dataset_Facebook.csv`` knows ``like`` and
``Post Hour`` and sees ``-5`` in the file, so every message of an import says:

- the export's column (``'like'``); a column computed from two export columns names both
  (``'Sessions' - 'Engaged sessions'``);
- the export's row: the file line (1 = the first line of the file, as everywhere in an import;
  rows that were summed into one are shown as ``12+13``);
- the cell as written in the export (``got -5``, ``got 1,203``); where the stored value differs
  (value mapping, scaling, percent) the stored one follows (``got '8' (stored as 8)``).

Per-row range rules (``>= 0``, ``between 0 and 23``, known values) are checked here on the export's
rows before rows are summed, so a negative cell cannot hide inside a positive total.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, RowList, row_count
from ..schema import CONTENT_TYPES, Table


class AsWritten:
    """A cell shown without quotes (a number as the export writes it: ``-5``, ``1,203``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return str(other) == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def number_text(v: Any) -> str:
    """A stored value as the CSV shows it: 37088.0 -> '37088', 0.25 -> '0.25', blank -> ''."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return ""
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    return str(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


@dataclass
class ExportTerms:
    """How to say a canonical column, row and value in the export's own terms."""

    file: str
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """canonical or extra column -> the export column(s) it comes from (two for a difference)"""
    cells: pd.DataFrame | None = None
    """the export's text cells of the converted rows, indexed by file line"""
    transformed: set[str] = field(default_factory=set)
    """columns whose stored value is not the cell as written (value mapping, scale, percent)"""

    # -- names -------------------------------------------------------------------------------

    def names(self, column: str) -> list[str]:
        """The export column(s) behind ``column``; a key 'a+b' names each part."""
        out: list[str] = []
        for part in column.split("+"):
            out += list(self.sources.get(part, (part,)))
        return out

    def label(self, column: str) -> str:
        """``column 'like'``, ``columns 'Sessions' - 'Engaged sessions'``, ``columns 'Day' + 'Platform'``."""
        parts = column.split("+")
        if len(parts) > 1:
            return "columns " + " + ".join(" - ".join(f"'{n}'" for n in self.sources.get(p, (p,)))
                                           for p in parts)
        src = self.sources.get(column, (column,))
        if len(src) == 1:
            return f"column '{src[0]}'"
        return "columns " + " - ".join(f"'{n}'" for n in src)

    def plain(self, column: str) -> str:
        """The export name(s) without 'column': ``'like'``, ``'Sessions' - 'Engaged sessions'``."""
        return self.label(column).split(" ", 1)[1]

    # -- rows and cells ----------------------------------------------------------------------

    @staticmethod
    def row(import_row: Any) -> str:
        """The export row(s) of one converted row: '12', or '12+13' when rows were summed."""
        return "+".join(str(import_row).split(";"))

    def cell(self, line: Any, export_column: str) -> str | None:
        if self.cells is None or export_column not in self.cells.columns:
            return None
        try:
            v = self.cells.at[int(line), export_column]
        except (KeyError, ValueError):
            return None
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return ""
        return str(v).strip()

    def shown(self, column: str, import_row: Any, stored: Any) -> object:
        """One offending value as the export writes it (numbers without quotes, text quoted)."""
        parts = column.split("+")
        if len(parts) > 1:  # a key of several columns: each part as the export writes it
            vals = stored if isinstance(stored, tuple) else (stored,) * len(parts)
            return AsWritten(" / ".join(self._as_written(p, import_row, v)
                                        for p, v in zip(parts, vals, strict=False)))
        lines = str(import_row).split(";")
        src = self.sources.get(column)
        number = _is_number(stored)
        if src is None or len(lines) != 1:
            text = number_text(stored)
            return AsWritten(text) if number or len(lines) != 1 else text
        raw = [self.cell(lines[0], s) for s in src]
        if any(r is None for r in raw):
            text = number_text(stored)
            return AsWritten(text) if number else text
        if len(src) == 2:
            a, b = raw
            return AsWritten(f"{a or 'blank'} - {b or 'blank'}" + (f" = {number_text(stored)}" if number else ""))
        text = raw[0] or "blank"
        if column in self.transformed and number_text(stored) != text:
            kept = number_text(stored) if number else repr(number_text(stored))
            return AsWritten(f"{text if number else repr(text)} (stored as {kept})")
        return AsWritten(text) if number else text

    def _as_written(self, column: str, import_row: Any, stored: Any) -> str:
        """The export's cell (one source, one row), else the stored value as the table writes it."""
        lines = str(import_row).split(";")
        src = self.sources.get(column, ())
        raw = self.cell(lines[0], src[0]) if len(src) == 1 and len(lines) == 1 else None
        return raw if raw else number_text(stored)

    # -- messages ----------------------------------------------------------------------------

    def error(self, column: str, import_rows: list[Any], rule: str, stored: list[Any] | None = None,
              *, got: list[object] | None = None) -> DataValidationError:
        """``file: column 'X' row 5, 9: rule (got a, b)`` in the export's terms; ``stored``: the
        offending stored values (shown as the export writes them), or ``got`` already shown."""
        rows = RowList([self.row(r) for r in import_rows], total=row_count(import_rows))
        if got is None:
            got = [] if stored is None else [self.shown(column, r, v)
                                             for r, v in zip(import_rows[:5], stored[:5], strict=False)]
        names = self.names(column)
        if len(names) == 1:
            return DataValidationError(self.file, rule, column=names[0], rows=rows, got=got)
        e = DataValidationError(f"{self.file}: {self.label(column)}", rule, rows=rows, got=got)
        e.file, e.column = self.file, self.plain(column)
        return e

    def rule(self, rule: str) -> str:
        """Canonical column names quoted in a rule ('post_id', (date, platform)) -> the export's."""
        rule = re.sub(r"'([a-z_]+)'", lambda m: self.plain(m[1]) if m[1] in self.sources else m[0], rule)
        return re.sub(r"\(([a-z_]+(?:, [a-z_]+)+)\)",
                      lambda m: "(" + ", ".join(self.plain(x) if x in self.sources else x
                                                for x in m[1].split(", ")) + ")", rule)


def check_rows(frame: pd.DataFrame, spec: Table, terms: ExportTerms, rows: list[str],
               valid: np.ndarray) -> None:
    """The canonical model's per-row rules on the export's rows, before any rows are summed.

    ``frame`` is positional (one row per export row), ``rows`` its file lines, ``valid`` the rows
    that are kept (rejected rows are reported, not checked). Raises one line in the export's terms.
    """
    from ..data import pair_rule_breaks, row_rule_breaks

    for col in spec.columns:
        c = col.name
        if c not in frame.columns or c not in terms.sources:
            continue
        s = frame[c]
        if col.allowed is not None:
            s = s.astype("string")
        for kind, bad, rule in row_rule_breaks(s, col):
            bad = (bad & valid).to_numpy(dtype=bool)
            if bad.any():
                where = np.flatnonzero(bad)
                rule = f"unknown value; {rule}" if kind == "allowed" else rule
                raise terms.error(c, [rows[i] for i in where], rule, [s.iloc[i] for i in where[:5]])
    for check, bad in pair_rule_breaks(frame, spec):  # rules between two columns that refuse a row
        bad = (bad & valid).to_numpy(dtype=bool)
        if check.error and bad.any():
            where = np.flatnonzero(bad)
            raise terms.error(check.column, [rows[i] for i in where],
                              f"larger than {terms.plain(check.other)} ({check.why})",
                              got=_pair_shown(frame, terms, check.column, check.other,
                                              [rows[i] for i in where[:5]], where[:5]))


def translate_error(e: DataValidationError, terms: ExportTerms, frame: pd.DataFrame) -> DataValidationError:
    """A canonical-model error on the converted rows (``row_offset=0``) in the export's terms."""
    if e.column is None or not e.rows:
        rows = RowList([ExportTerms.row(frame["import_row"].iloc[int(p)]) if 0 <= int(p) < len(frame) else p
                        for p in e.rows], total=row_count(e.rows))
        return DataValidationError(terms.file, terms.rule(e.rule), rows=rows, got=e.got)
    col = e.column
    pos = [int(r) for r in e.rows]
    counted = getattr(e.rows, "total", None)  # how many rows the model found, when it said
    rows = [frame["import_row"].iloc[p] if 0 <= p < len(frame) else p for p in pos]
    if counted is not None:
        rows = RowList(rows, total=counted)
    parts = [p for p in col.split("+") if p in frame.columns]
    stored: list[Any] | None = None
    if e.got:
        if len(parts) > 1:
            stored = [tuple(frame[p].iloc[i] for p in parts) for i in pos[:5]]
        elif col in frame.columns:
            stored = [frame[col].iloc[i] for i in pos[:5]]
        else:
            stored = list(e.got)
    rule = e.rule
    if col == "published_at" and rule.startswith("a post needs published_at"):
        rule = "blank: every post needs the date it went out"
    if rule.startswith("duplicate key") and parts and set(parts) <= set(frame.columns):
        # the model lists the first rows only: every duplicated row, from the converted rows
        dup = np.flatnonzero(frame.duplicated(parts, keep=False).to_numpy(dtype=bool))
        pos = [int(i) for i in dup]
        rows = [frame["import_row"].iloc[p] for p in pos]
        stored = [tuple(frame[p].iloc[i] for p in parts) if len(parts) > 1 else frame[col].iloc[i]
                  for i in pos[:5]]
    elif len(rows) > 5 and counted is None:  # a few rows only, uncounted: do not state a count
        rows, rule = rows[:5], rule + " (first rows shown)"
    return terms.error(col, rows, terms.rule(rule), stored)


def export_warnings(frame: pd.DataFrame, terms: ExportTerms, model_warnings: list[str]) -> list[str]:
    """The canonical model's warnings on the converted rows, said in the export's terms.

    The rules the model states in canonical words (reach larger than impressions and the other
    :data:`~kpi_toolkit.schema.PAIR_CHECKS`, unusual content formats) are restated from the
    converted rows; any other :class:`~kpi_toolkit.exceptions.DataWarning`
    about a column has its column, rows and rule translated; a plain line is passed on as it is.
    """
    from ..schema import PAIR_CHECKS

    out: list[str] = []
    for w in model_warnings:
        check, col = getattr(w, "check", ""), getattr(w, "column", None)
        pair = PAIR_CHECKS.get(check)
        if pair is not None and {pair.column, pair.other} <= set(frame.columns):
            out.append(_pair_warning(frame, terms, pair.column, pair.other, pair.why))
        elif check == "content_type_known" and "content_type" in frame.columns:
            out.append(_content_type_warning(frame, terms))
        elif col is not None and col in frame.columns:
            pos = [int(p) for p in w.rows if 0 <= int(p) < len(frame)]  # type: ignore[attr-defined]
            rows = [frame["import_row"].iloc[p] for p in pos]
            got: list[object] | None = None
            if check == "not_in_future":  # the dates as the export writes them, not as stored
                got = [terms.shown(col, r, frame[col].iloc[p]) for r, p in zip(rows[:5], pos[:5], strict=False)]
            out.append(str(terms.error(col, rows, terms.rule(w.rule), got=got)))  # type: ignore[attr-defined]
        else:
            out.append(str(w))
    return out


def _pair_shown(frame: pd.DataFrame, terms: ExportTerms, column: str, other: str, rows: list[Any],
                where: Any) -> list[object]:
    """``37088 > 10966``: the two cells of each offending row as the export writes them."""
    a = pd.to_numeric(frame[column], errors="coerce")
    b = pd.to_numeric(frame[other], errors="coerce")
    return [AsWritten(f"{terms.shown(column, r, a.iloc[i])} > {terms.shown(other, r, b.iloc[i])}")
            for r, i in zip(rows, where, strict=False)]


def _pair_warning(frame: pd.DataFrame, terms: ExportTerms, column: str, other: str, why: str) -> str:
    """A :data:`~kpi_toolkit.schema.PAIR_CHECKS` warning (reach larger than impressions, ...) restated
    from the converted rows: every offending row, the export's columns and its cells."""
    a = pd.to_numeric(frame[column], errors="coerce")
    b = pd.to_numeric(frame[other], errors="coerce")
    bad = np.flatnonzero((a > b).fillna(False).to_numpy(dtype=bool))
    rows = [frame["import_row"].iloc[i] for i in bad]
    got = _pair_shown(frame, terms, column, other, rows[:5], bad[:5])
    return str(terms.error(column, rows, f"larger than {terms.plain(other)} ({why})", got=got))


def _content_type_warning(frame: pd.DataFrame, terms: ExportTerms) -> str:
    s = frame["content_type"].astype("string")
    odd_mask = (s.notna() & ~s.isin(CONTENT_TYPES)).fillna(False).to_numpy(dtype=bool)
    odd = sorted(set(s[odd_mask].dropna()))
    where = np.flatnonzero(odd_mask)
    rows = [frame["import_row"].iloc[i] for i in where]
    return str(terms.error("content_type", rows,
                           f"unusual formats {', '.join(odd[:5])} (known: {', '.join(CONTENT_TYPES)}); "
                           "kept as they are", [s.iloc[i] for i in where[:5]]))
