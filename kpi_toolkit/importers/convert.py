"""Applying a preset to the text cells of an export: the canonical rows, and what happened to each row.

Rules
-----
- Every mapped cell is parsed the way the preset says; a cell that does not parse is an error naming
  the file, the column and the rows (file line numbers).
- A blank cell stays missing and is counted. A row whose blank cell is in a required column that
  must not be blank (e.g. an ad's spend) is rejected with the reason; the log lists it.
- Nothing the export lacks is invented: a missing year is taken from the user (``--year``), never
  guessed; a missing post id is made stable from the row's cells (not its line: a copy of the
  export with a title line added on top gives the same ids).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ImportFormatError
from ..schema import IMPORT_FILE_COLUMN, TABLES
from .parsing import fail, parse_bools, parse_durations, parse_numbers, parse_times
from .presets import ColumnMap, Preset
from .reading import RawExport, match_column, norm_name
from .terms import AsWritten, ExportTerms, check_rows, number_text

IMPORT_ROW_COLUMN = "import_row"
_UNMAPPED = object()


@dataclass
class Converted:
    """The canonical rows of one export and the bookkeeping the import report shows."""

    frame: pd.DataFrame
    lines: list[str]
    rows_read: int
    skipped: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    blanks: dict[str, list[int]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generated_ids: bool = False
    legacy_ids: dict[str, str] = field(default_factory=dict)
    """generated id -> the id the same row got before ids left out the line number (cells + line),
    so that a table imported then does not take the same rows again under new ids"""
    date_only: list[str] = field(default_factory=list)
    used_timezone: bool = False
    terms: ExportTerms | None = None
    """how to name columns, rows and values in the export's terms (errors and warnings)"""


FIRST_YEAR = 2004
"""The earliest year an export's ``--year`` may name: the year Facebook opened (the oldest platform
with a preset); a two-digit year (``14``) or a typo (``3000``) is refused, never stored as 0014."""


def check_year(year: int | None, now: datetime | None = None) -> None:
    """Refuse a ``--year`` outside :data:`FIRST_YEAR` to next year (an export of the current year
    read in a time zone already in the next one)."""
    if year is None:
        return
    last = (now or datetime.now(UTC)).year + 1
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or not FIRST_YEAR <= year <= last:
        raise ImportFormatError(f"--year {year}: not a year an export can be from ({FIRST_YEAR} to {last}); "
                                "give all four digits, e.g. --year 2014")


def convert(raw: RawExport, preset: Preset, *, year: int | None = None, platform: str | None = None,
            timezone: str = "UTC", date_format: str | None = None,
            import_file: str | None = None) -> Converted:
    """Turn the cells of an export into rows of the preset's canonical table.

    Parameters
    ----------
    raw
        The export as read by :func:`~kpi_toolkit.importers.reading.read_export`.
    preset
        The export format.
    year
        For exports without a year (``needs_year``); required for those, refused for others.
    platform
        For exports that do not say which platform a row is (``platform.choices``).
    timezone
        IANA zone of times written without an offset.
    date_format
        A strptime format that replaces the preset's formats for every date column.
    import_file
        Provenance written to ``import_file`` on every row (the archived copy's name).

    Returns
    -------
    Converted
        ``frame``: the kept rows in the table's column order, extra columns after the canonical
        ones, then ``import_file`` and ``import_row``; plus skipped and rejected rows with reasons,
        blank cells per export column, check results and notes.

    References
    ----------
    .. [1] NIST (2015). FIPS 180-4, Secure Hash Standard: SHA-256, used for the stable ids of
       rows without an id.
    .. [2] Moro, S., Rita, P. & Vala, B. (2016). Predicting social media performance metrics and
       evaluation of the impact on brand building: A data mining approach. Journal of Business
       Research 69(9), 3341-3351. doi:10.1016/j.jbusres.2016.02.010 (the verified Facebook export).
    """
    file = str(raw.path)
    spec = TABLES[preset.table]
    df = pd.DataFrame(raw.rows, columns=raw.header, dtype="string") if raw.rows else \
        pd.DataFrame({h: pd.Series(dtype="string") for h in raw.header})
    lines = np.asarray(raw.lines, dtype=int)
    typed: dict[str, np.ndarray] = {}  # the cells a workbook stored as dates, per column
    for h, rows in raw.date_cells.items():
        typed[h] = np.zeros(len(df), dtype=bool)
        typed[h][rows] = True
    out = Converted(frame=pd.DataFrame(), lines=[], rows_read=len(df))
    missing_tokens = {t.strip() for t in preset.read.missing_values}

    # rows that are not data ('Total'): dropped, counted as skipped
    keep = np.ones(len(df), dtype=bool)
    for rule in preset.skip_rows:
        col = match_column([rule.column], raw.header)
        if col is None:
            continue
        hit = df[col].str.strip().isin(rule.equals).fillna(False).to_numpy() & keep
        out.skipped += [(int(n), rule.reason) for n in lines[hit]]
        keep &= ~hit
    df = df[keep].reset_index(drop=True)
    lines = lines[keep]
    typed = {h: t[keep] for h, t in typed.items()}

    blank = {c: (df[c].isna() | df[c].str.strip().isin(missing_tokens)).fillna(True).to_numpy()
             for c in df.columns}

    if preset.needs_year and year is None:
        months = [m.source[0] for m in preset.columns if m.kind == "month"]
        raise ImportFormatError(
            f"{file}: the '{preset.name}' export has no year (only {', '.join(repr(m) for m in months)}); "
            "pass --year YYYY (the importer never guesses it)")
    if year is not None and not preset.needs_year:
        raise ImportFormatError(f"{file}: --year is only for exports without a year; "
                                f"'{preset.name}' has full dates")
    check_year(year)

    resolved = _resolve(preset, raw.header, file)
    reject = np.zeros(len(df), dtype=bool)
    reasons: dict[int, str] = {}
    cols: dict[str, Any] = {}

    def _reject(mask: np.ndarray, why: pd.Series | str) -> None:
        for i in np.flatnonzero(mask):
            if i not in reasons:
                reasons[int(i)] = why if isinstance(why, str) else str(why.iloc[i])
        reject[mask] = True

    for to, (m, src) in resolved.items():
        if m is None:
            continue
        if src is None:  # optional and absent
            out.absent[to] = " / ".join(f"'{s}'" for s in preset_sources(preset, to))
            if any(x.if_absent is not None for x in preset.columns if x.to == to):
                val = next(x.if_absent for x in preset.columns if x.to == to and x.if_absent is not None)
                cols[to] = pd.Series([val] * len(df), dtype=object)
            continue
        out.sources[to] = src if isinstance(src, str) else f"{src[0]} - {src[1]}"
        cols[to] = _column(df, blank, m, src, preset, file, lines, year=year, timezone=timezone,
                           date_format=date_format, reject=_reject, out=out,
                           typed_dates=typed.get(src) if isinstance(src, str) else None)
        if m.keep_raw_as and isinstance(src, str):
            cols[m.keep_raw_as] = df[src].str.strip().mask(blank[src])
        for c in ([src] if isinstance(src, str) else list(src)):
            rows = [int(n) for n in lines[blank[c]]]
            if rows:
                out.blanks[c] = rows

    used = {s for _, s in resolved.values() if isinstance(s, str)}
    used |= {x for _, s in resolved.values() if isinstance(s, tuple) for x in s}
    used |= {c for c in raw.header for ch in preset.checks
             for n in ([*ch.sum_equals.parts, ch.sum_equals.total] if ch.sum_equals else list(ch.equal or ()))
             if norm_name(c) == norm_name(n)}
    out.ignored_columns = [h for h in raw.header if h not in used]

    frame = pd.DataFrame(index=df.index)
    for c in spec.names:
        if c in cols:
            frame[c] = cols[c]
    frame = _platform(frame, preset, platform, file, resolved)
    for c, v in preset.constants.items():
        frame[c] = v
    key = spec.key[0] if spec.key else None
    if key and preset.id.generate and key not in frame.columns:
        cells = df.astype(object).where(df.notna(), "").values.tolist()
        frame[key] = stable_ids(preset.id.prefix, cells)
        out.legacy_ids = {new: _legacy_id(preset.id.prefix, c, n)
                          for new, c, n in zip(frame[key], cells, lines, strict=True)}
        out.generated_ids = True
    for m in preset.columns:
        if m.extra and m.to in cols:
            frame[m.to] = cols[m.to]
    for m in preset.columns:
        if m.keep_raw_as and m.keep_raw_as in cols:
            frame[m.keep_raw_as] = cols[m.keep_raw_as]
    for c in out.date_only:
        frame[_time_known_col(c)] = False

    # a blank in a required column that must not be blank: the row is rejected, with the reason
    for c in spec.required:
        col = spec.column(c)
        if c not in frame.columns:
            if col.blank_if_imported or col.nullable:
                frame[c] = _blank_column(col.kind, frame.index)
                out.absent.setdefault(c, "(no such column in this export)")
                continue
            raise ImportFormatError(f"{file}: the export gives no '{c}', which {spec.name} requires")
        if col.nullable or col.blank_if_imported:
            continue
        isblank = frame[c].isna().to_numpy()
        if isblank.any():
            src = out.sources.get(c, c)
            _reject(isblank, f"blank '{src}' ({spec.name}.{c} is required)")

    # the canonical model's per-row rules, in the export's terms and before rows are summed
    out.terms = _terms(file, df, lines, resolved, preset)
    check_rows(frame, spec, out.terms, [str(n) for n in lines], ~reject)
    # then the export's own arithmetic (Total Interactions = comment + like + share): a negative like
    # is reported as the negative cell it is, not as a total that no longer adds up
    out.checks = _run_checks(preset, df, blank, raw.header, file, lines)

    frame[IMPORT_FILE_COLUMN] = import_file or raw.path.name
    frame[IMPORT_ROW_COLUMN] = [str(n) for n in lines]
    out.rejected = sorted((int(lines[i]), r) for i, r in reasons.items())
    frame = frame[~reject].reset_index(drop=True)
    order = [c for c in spec.names if c in frame.columns]
    order += [c for c in frame.columns if c not in order]
    frame = frame[order]
    if preset.aggregate and spec.key and len(frame):
        frame, n_before = _aggregate(frame, spec.key), len(frame)
        if len(frame) < n_before:
            out.notes.append(f"{n_before} export rows summed into {len(frame)} rows "
                             f"(same {' + '.join(spec.key)})")
    out.frame = frame
    out.lines = frame[IMPORT_ROW_COLUMN].tolist()
    return out


def _terms(file: str, df: pd.DataFrame, lines: np.ndarray, resolved: dict[str, Any],
           preset: Preset) -> ExportTerms:
    """Which export column(s) each stored column comes from, and the export's cells by file line."""
    sources: dict[str, tuple[str, ...]] = {}
    transformed: set[str] = set()
    for to, (m, src) in resolved.items():
        if m is None or src is None:
            continue
        sources[to] = (src,) if isinstance(src, str) else tuple(src)
        if m.values is not None or m.scale or preset.canonical_kind(m) == "percent":
            transformed.add(to)
        if m.keep_raw_as and isinstance(src, str):
            sources[m.keep_raw_as] = (src,)
    return ExportTerms(file=file, sources=sources, cells=df.set_axis(lines.tolist(), axis=0),
                       transformed=transformed)


def preset_sources(preset: Preset, to: str) -> list[str]:
    return [s for m in preset.columns if m.to == to for s in m.source]


def _resolve(preset: Preset, header: list[str], file: str
             ) -> dict[str, tuple[ColumnMap | None, str | tuple[str, str] | None]]:
    """For each target column, the first mapping whose export column exists."""
    out: dict[str, tuple[ColumnMap | None, str | tuple[str, str] | None]] = {}
    targets = list(dict.fromkeys(m.to for m in preset.columns))
    for to in targets:
        group = [m for m in preset.columns if m.to == to]
        found = None
        for m in group:
            if m.derive is not None:
                a, b = (match_column([x], header) for x in m.derive.difference)
                if a and b:
                    found = (m, (a, b))
                    break
            else:
                col = match_column(m.source, header)
                if col is not None:
                    found = (m, col)
                    break
        if found is not None:
            out[to] = found
        elif all(m.optional for m in group):
            out[to] = (group[0], None)
        else:
            first = group[0]
            want = first.source[0] if first.source else " and ".join(first.derive.difference)
            import difflib

            close = difflib.get_close_matches(want, header, n=1, cutoff=0.6)
            near = f" — found '{close[0]}', did you mean it?" if close else ""
            alts = [s for m in group for s in m.source][1:]
            also = f" (or {', '.join(repr(a) for a in alts)})" if alts else ""
            hint = f"; {first.hint}" if first.hint else ""
            raise ImportFormatError(f"{file}: missing column '{want}'{also} for {preset.table}.{to}{near}"
                                    f"{hint}")
    return out


def _column(df: pd.DataFrame, blank: dict[str, np.ndarray], m: ColumnMap, src: str | tuple[str, str],
            preset: Preset, file: str, lines: np.ndarray, *, year: int | None, timezone: str,
            date_format: str | None, reject: Any, out: Converted,
            typed_dates: np.ndarray | None = None) -> pd.Series:
    kind = preset.canonical_kind(m)
    rd = preset.read
    if isinstance(src, tuple):
        a, b = (parse_numbers(df[c].mask(blank[c]), decimal=rd.decimal, thousands=rd.thousands,
                              file=file, column=c, lines=lines) for c in src)
        return a - b
    s = df[src].str.strip().mask(blank[src])
    if m.pattern:
        ext = s.str.extract(m.pattern, expand=True).iloc[:, 0].astype("string")
        nomatch = (ext.isna() & s.notna()).to_numpy()
        if nomatch.any():
            fail(file, src, nomatch, lines, f"does not match the pattern {m.pattern!r}", s)
        s = ext
    if m.lower:
        s = s.str.lower()
    if m.values is not None:
        table = {str(k).strip().casefold(): v for k, v in m.values.items()}
        mapped = pd.Series([pd.NA if v is pd.NA else table.get(str(v).casefold(), _UNMAPPED)
                            for v in s.astype(object).where(s.notna(), pd.NA)], index=s.index, dtype=object)
        unm = np.array([v is _UNMAPPED for v in mapped], dtype=bool)
        if unm.any():
            if m.unmapped == "error":
                known = ", ".join(repr(str(k)) for k in m.values)
                fail(file, src, unm, lines, f"unknown value; known: {known}", s)
            elif m.unmapped == "keep":
                mapped[unm] = s[unm]
            else:
                why = m.unmapped_reason or f"'{src}' value not mapped"
                reject(unm, pd.Series([f"{why} ({v!r})" for v in s.astype(object)], index=s.index))
                mapped[unm] = pd.NA
        s = pd.Series([pd.NA if v is pd.NA or v is None else str(v).lower() if isinstance(v, bool) else str(v)
                       for v in mapped], index=s.index, dtype="string")
    if kind == "str":
        return s.astype("string")
    if kind in ("int", "float", "percent"):
        vals = parse_numbers(s, decimal=rd.decimal, thousands=rd.thousands, file=file, column=src,
                             lines=lines, percent=(kind == "percent"), whole=(kind == "int" and not m.scale))
        if m.scale:
            vals = vals * m.scale
            if kind == "int":
                frac = (vals.round(9) % 1 != 0) & vals.notna()
                if frac.any():
                    fail(file, src, frac, lines, f"not a whole number after scaling by {m.scale}", s)
                vals = vals.round()
        return vals
    if kind == "duration":
        vals = parse_durations(s, file=file, column=src, lines=lines)
        return vals * m.scale if m.scale else vals
    if kind == "bool":
        return parse_bools(s, file=file, column=src, lines=lines)
    if kind == "month":
        nums = parse_numbers(s, decimal=rd.decimal, thousands=None, file=file, column=src, lines=lines,
                             whole=True)
        bad = ((nums < 1) | (nums > 12)).fillna(False)
        if bad.any():
            fail(file, src, bad, lines, "not a month number 1-12", s)
        return pd.Series([pd.NA if pd.isna(v) else f"{year:04d}-{int(v):02d}" for v in nums],
                         index=s.index, dtype="string")
    if kind in ("datetime", "date"):
        out.used_timezone = out.used_timezone or kind == "datetime"
        formats = [date_format] if date_format else (m.formats or ["iso"])
        opts = {"timezone": timezone, "date_only_kind": kind == "date", "file": file, "column": src}
        if typed_dates is None or not typed_dates.any():
            vals, has_time, fmt = parse_times(s, formats=formats, lines=lines, **opts)
        else:  # a workbook's date cells are dates already (ISO text from the reader); its text cells
            # are in the export's format
            t = typed_dates & s.notna().to_numpy()
            parts = [parse_times(s[mask], formats=f, lines=lines[mask], **opts)
                     for mask, f in ((t, ["iso"]), (~t, formats)) if mask.any()]
            vals = pd.concat([p[0] for p in parts]).reindex(s.index)
            has_time = any(p[1] for p in parts)
        if kind == "datetime" and not has_time and s.notna().any():
            out.date_only.append(m.to)
            out.notes.append(f"'{src}' has a date but no time of day: {m.to} is midnight in {timezone} "
                             f"and {_time_known_col(m.to)} is false")
        return vals
    raise AssertionError(kind)


def _blank_column(kind: str, index: pd.Index) -> pd.Series:
    if kind == "datetime":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    if kind == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if kind in ("int", "float"):
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(pd.NA, index=index, dtype="string")


def _time_known_col(col: str) -> str:
    return f"{col.removesuffix('_at')}_time_known"


def _platform(frame: pd.DataFrame, preset: Preset, platform: str | None, file: str,
              resolved: dict[str, Any]) -> pd.DataFrame:
    if "platform" not in TABLES[preset.table].names:
        if platform is not None:
            raise ImportFormatError(f"{file}: --platform does not apply to the {preset.table} table")
        return frame
    from_column = "platform" in frame.columns and resolved.get("platform", (None, None))[1] is not None
    spec = preset.platform
    if from_column:
        if platform is not None:
            raise ImportFormatError(f"{file}: the export says the platform of each row "
                                    f"(column '{resolved['platform'][1]}'); drop --platform")
        return frame
    frame = frame.copy()
    if spec is not None and spec.fixed is not None:
        if platform is not None and platform != spec.fixed:
            raise ImportFormatError(f"{file}: a '{preset.name}' export is always {spec.fixed}; "
                                    f"got --platform {platform}")
        frame["platform"] = spec.fixed
        return frame
    choices = spec.choices if spec is not None else []
    if platform is None:
        raise ImportFormatError(f"{file}: the export does not say which platform it is; pass "
                                f"--platform ({' or '.join(choices)})")
    if choices and platform not in choices:
        raise ImportFormatError(f"{file}: --platform {platform} is not one of {', '.join(choices)} "
                                f"for '{preset.name}'")
    frame["platform"] = platform
    return frame


def stable_ids(prefix: str, rows: list[list[Any]]) -> list[str]:
    """``<prefix>-`` + 16 hex digits of SHA-256 of each row's cells, for exports without an id.

    The line number is left out, so the same rows get the same ids wherever they stand in the file
    (a copy with a title line on top, rows re-sorted, a later export that adds rows). Rows with the
    same cells are told apart by their order among themselves: the second such row hashes its
    cells and '#2', and so on.
    """
    seen: dict[str, int] = {}
    out = []
    for cells in rows:
        text = "\x1f".join(str(c) for c in cells)
        seen[text] = n = seen.get(text, 0) + 1
        h = hashlib.sha256((text + ("" if n == 1 else f"\x1e#{n}")).encode("utf-8"))
        out.append(f"{prefix}-{h.hexdigest()[:16]}")
    return out


def _legacy_id(prefix: str, cells: list[Any], line: int) -> str:
    """The id a row got from its cells and its line number, before :func:`stable_ids`: tables
    imported then hold these, and a re-import keeps them (see ``Converted.legacy_ids``)."""
    h = hashlib.sha256(("\x1f".join(str(c) for c in cells) + f"\x1e{line}").encode("utf-8"))
    return f"{prefix}-{h.hexdigest()[:16]}"


def _run_checks(preset: Preset, df: pd.DataFrame, blank: dict[str, np.ndarray], header: list[str],
                file: str, lines: np.ndarray) -> list[str]:
    results: list[str] = []
    rd = preset.read
    for ch in preset.checks:
        if ch.unless_present and match_column([ch.unless_present], header):
            continue
        if ch.sum_equals is not None:
            names = [*ch.sum_equals.parts, ch.sum_equals.total]
            cols = [match_column([n], header) for n in names]
            if any(c is None for c in cols):
                results.append(f"skipped: {ch.sum_equals.total} = {' + '.join(ch.sum_equals.parts)} "
                               "(a column is absent)")
                continue
            nums = [parse_numbers(df[c].mask(blank[c]), decimal=rd.decimal, thousands=rd.thousands,
                                  file=file, column=c, lines=lines) for c in cols]
            parts, total = nums[:-1], nums[-1]
            have = pd.concat(parts, axis=1)
            full = have.notna().all(axis=1) & total.notna()
            s = have.sum(axis=1, min_count=1).fillna(0)
            rule = ch.message or f"must equal {' + '.join(ch.sum_equals.parts)}"
            shown = pd.Series([AsWritten(str(v).strip()) for v in df[cols[-1]].tolist()], index=df.index,
                              dtype=object)  # the total as written: a number, shown without quotes
            bad = full & (s != total)
            if bad.any():
                fail(file, cols[-1], bad, lines, f"{rule} (the parts add up to "
                     f"{', '.join(number_text(v) for v in s[bad].head(5))})", shown)
            partial = (~have.notna().all(axis=1)) & total.notna()
            over = partial & (s > total)
            if over.any():
                fail(file, cols[-1], over, lines, f"{rule}: the non-blank parts already exceed it", shown)
            text = (f"ok: {ch.sum_equals.total} = {' + '.join(ch.sum_equals.parts)} on {int(full.sum())} rows")
            if partial.any():
                rows = ", ".join(str(int(n)) for n in lines[partial.to_numpy()][:8])
                text += (f"; {int(partial.sum())} rows with blank parts (row {rows}) are consistent "
                         "(the other parts do not exceed the total); their blanks stay missing")
            results.append(text)
        elif ch.equal is not None:
            cols = [match_column([n], header) for n in ch.equal]
            if any(c is None for c in cols):
                continue
            a, b = (df[c].str.strip() for c in cols)
            bad = (a != b).fillna(False)
            if bad.any():
                fail(file, cols[1], bad, lines, ch.message or f"must equal '{cols[0]}'", df[cols[1]])
            results.append(f"ok: '{cols[0]}' = '{cols[1]}' on every row")
    return results


def _aggregate(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.DataFrame:
    """Sum numeric columns of rows sharing the key; provenance rows joined with ';'."""
    num = [c for c in frame.columns if c not in key and pd.api.types.is_numeric_dtype(frame[c].dtype)
           and not pd.api.types.is_bool_dtype(frame[c].dtype)]
    agg: dict[str, Any] = {c: (lambda x: x.sum(min_count=1)) for c in num}
    agg[IMPORT_FILE_COLUMN] = "first"
    agg[IMPORT_ROW_COLUMN] = lambda x: ";".join(x)
    return frame.groupby(list(key), sort=False, dropna=False).agg(agg).reset_index()
