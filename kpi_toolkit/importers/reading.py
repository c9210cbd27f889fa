"""Reading an export file: encoding, delimiter, preamble lines and the header, without guessing values.

Row numbers are the file's line numbers (1 = the first line of the file), which is what a text editor
and a spreadsheet show for an export without line breaks inside cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import ImportFormatError
from .presets import Preset

DELIMITERS = (",", ";", "\t", "|")
_HEADER_SCAN_LINES = 40
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # not str.splitlines: cells may hold U+2028, NEL


@dataclass
class RawExport:
    """The cells of an export as text, with where each row came from."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    encoding: str
    delimiter: str
    header_line: int
    sha256: str
    notes: list[str] = field(default_factory=list)
    date_cells: dict[str, list[int]] = field(default_factory=dict)
    """Per header name, the rows (positions in ``rows``) whose cell a workbook stored as a date: their
    text is ISO 8601, whatever the export's own date format."""


def norm_name(name: str) -> str:
    """Header names compared case-insensitively, spaces collapsed, BOM and quotes stripped."""
    return " ".join(str(name).replace("\ufeff", "").strip().strip('"').split()).casefold()


def match_column(patterns: list[str], header: list[str]) -> str | None:
    """The first header name matching one of ``patterns`` (in the patterns' order); '*' is a wildcard."""
    normed = {norm_name(h): h for h in header}
    for pat in patterns:
        p = norm_name(pat)
        if "*" in p:
            for n, h in normed.items():
                if fnmatch.fnmatchcase(n, p):
                    return h
        elif p in normed:
            return normed[p]
    return None


def decode(raw: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode the bytes of an export; returns (text, encoding name used).

    Without ``encoding``: a byte-order mark decides (UTF-8, UTF-16); UTF-16 without a mark is
    recognised by its zero bytes; then strict UTF-8; then Windows-1252 and finally latin-1, which
    Excel on Windows and some exporters write.
    """
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as e:
            raise ImportFormatError(f"{path}: cannot decode as {encoding} ({e})") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return _strict(raw, "utf-8-sig", path), "utf-8 (with BOM)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(raw, "utf-16", path), "utf-16 (with BOM)"
    head = raw[:400]
    if len(head) >= 4 and head.count(b"\x00") >= len(head) // 4:
        enc = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return _strict(raw, enc, path), enc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252 (not UTF-8)"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1 (not UTF-8)"


def _strict(raw: bytes, enc: str, path: Path) -> str:
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as e:
        raise ImportFormatError(f"{path}: not valid {enc} text (byte {e.start}: {e.reason})") from None


def check_delimiter(delimiter: str | None) -> None:
    """Refuse a delimiter the CSV reader cannot use: one character, not a quote or a line break."""
    if delimiter is None:
        return
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise ImportFormatError(f"--delimiter {delimiter!r}: give one character that separates the "
                                "columns, e.g. --delimiter ';' (or 'tab' for TAB)")


def read_export(path: str | Path, preset: Preset, *, encoding: str | None = None,
                delimiter: str | None = None) -> RawExport:
    """Read an export as text cells: find the header line among preamble lines, split the rows.

    Raises
    ------
    ImportFormatError
        Empty or binary file, no header line with the preset's columns, a row with more or fewer
        cells than the header; the message names the file and the line.
    """
    path = Path(path)
    check_delimiter(delimiter)
    if path.is_dir():
        raise ImportFormatError(f"{path}: a folder, not an export file (name the file inside it)")
    if not path.is_file():
        raise ImportFormatError(f"{path}: export file not found")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if raw[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        return _read_excel(path, preset, digest)
    if not raw.strip():
        raise ImportFormatError(f"{path}: the file is empty")
    text, enc = decode(raw, path, encoding or preset.read.encoding)
    if "\x00" in text:
        raise ImportFormatError(f"{path}: contains NUL characters after decoding as {enc}; "
                                "not a text export (pass --encoding if it is one)")
    lines = _LINE_BREAK.split(text)
    header_idx, delim = _find_header(lines, path, preset, delimiter or preset.read.delimiter)
    header = next(csv.reader([lines[header_idx]], delimiter=delim))
    header = [h.replace("\ufeff", "").strip() for h in header]
    while header and header[-1] == "":
        header.pop()
    _check_header(header, path, header_idx + 1)
    rows: list[list[str]] = []
    line_nos: list[int] = []
    body = "\n".join(lines[header_idx + 1:])
    reader = csv.reader(io.StringIO(body), delimiter=delim)
    prev_end = header_idx + 1
    try:
        for cells in reader:
            start = prev_end + 1
            prev_end = header_idx + 1 + reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if preset.read.comment_prefix and cells[0].startswith(preset.read.comment_prefix):
                continue
            while len(cells) > len(header) and cells[-1].strip() == "":
                cells = cells[:-1]
            if len(cells) != len(header):
                raise ImportFormatError(
                    f"{path}: row {start}: has {len(cells)} cells, the header (line {header_idx + 1}) "
                    f"has {len(header)} (a stray {_show(delim)} or a line break inside a cell?)")
            rows.append(cells)
            line_nos.append(start)
    except csv.Error as e:
        raise ImportFormatError(f"{path}: row {prev_end + 1}: not readable as CSV ({e})") from None
    notes = [f"header on line {header_idx + 1}; {header_idx} line(s) before it skipped"] if header_idx else []
    return RawExport(path, header, rows, line_nos, enc, delim, header_idx + 1, digest, notes)


def _show(delim: str) -> str:
    return {"\t": "TAB", ",": "','", ";": "';'", "|": "'|'"}.get(delim, repr(delim))


def _find_header(lines: list[str], path: Path, preset: Preset, delimiter: str | None, *,
                 sheet: bool = False) -> tuple[int, str]:
    """The line (and delimiter) whose cells hold most of the preset's required columns.

    A line counts as the header only when it holds at least half of the preset's required columns
    (one of each's names): a data cell that happens to read 'Link' does not make a header. When
    none does, the message says why: the header is there but split by another delimiter than the
    preset's (or ``--delimiter``'s), or the file is not this kind of export (the columns expected
    and those found).
    """
    groups = _required_groups(preset)
    found = _best_header(lines, preset, groups, [delimiter] if delimiter else list(DELIMITERS))
    if found is not None:
        return found
    if delimiter and not sheet:
        other = _best_header(lines, preset, groups, [d for d in DELIMITERS if d != delimiter])
        if other is not None:
            i, d = other
            said = "--delimiter" if delimiter != preset.read.delimiter else f"a '{preset.name}' export"
            arg = "tab" if d == "\t" else repr(d)
            raise ImportFormatError(
                f"{path}: the header (line {i + 1}) is separated by {_show(d)}, not {_show(delimiter)} "
                f"as {said} is (re-saved by a spreadsheet?); pass --delimiter {arg} to read it")
    expected = ", ".join(f"'{g[0][0]}'" for g in groups[:6]) + (", ..." if len(groups) > 6 else "")
    if not groups:
        expected = ", ".join(f"'{w}'" for w in preset.source_names[:6])
    first = next(((i, ln) for i, ln in enumerate(lines[:_HEADER_SCAN_LINES]) if ln.strip()
                  and not (preset.read.comment_prefix and ln.lstrip().startswith(preset.read.comment_prefix))),
                 None)
    seen = ""
    if first is not None:
        options = [delimiter] if delimiter else list(DELIMITERS)
        cells = max((_cells(first[1], d) for d in options), key=len)
        cells = [c.strip() for c in cells]
        shown = ", ".join(f"'{c}'" for c in cells[:6]) + (f", ... ({len(cells)} columns)" if len(cells) > 6 else "")
        seen = f"; line {first[0] + 1} has {shown}"
    what = preset.title.split(" (")[0]
    what += "" if "export" in what.lower() else " export"
    raise ImportFormatError(
        f"{path}: does not look like a {what} ('{preset.name}'): no header line with its columns in "
        f"the first {_HEADER_SCAN_LINES} lines (expected {expected}{seen})")


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


def _required_groups(preset: Preset) -> list[list[tuple[str, ...]]]:
    """For each column the preset requires, its export names: one tuple per alternative (two names
    for a column derived from two)."""
    groups: dict[str, list[tuple[str, ...]]] = {}
    optional: dict[str, bool] = {}
    for m in preset.columns:
        alts = groups.setdefault(m.to, [])
        alts += [(x,) for x in m.source]
        if m.derive is not None:
            alts.append(tuple(m.derive.difference))
        optional[m.to] = optional.get(m.to, True) and m.optional
    return [alts for to, alts in groups.items() if not optional[to] and alts]


def _best_header(lines: list[str], preset: Preset, groups: list[list[tuple[str, ...]]],
                 delimiters: list[str]) -> tuple[int, str] | None:
    """The first line (and delimiter) holding the most required columns (then the most of all the
    preset's names), if it holds at least half of them; else None."""
    wanted = preset.source_names
    best: tuple[int, int, int, str] | None = None
    scanned = 0
    for i, line in enumerate(lines):
        if scanned >= _HEADER_SCAN_LINES:
            break
        if not line.strip():
            continue
        if preset.read.comment_prefix and line.lstrip().startswith(preset.read.comment_prefix):
            continue
        scanned += 1
        for d in delimiters:
            cells = _cells(line, d)
            if not cells:
                continue
            hits = sum(match_column([w], cells) is not None for w in wanted)
            if not hits:
                continue
            covered = sum(any(all(match_column([n], cells) is not None for n in alt) for alt in g)
                          for g in groups)
            if best is None or (covered, hits) > (best[0], best[1]):
                best = (covered, hits, i, d)
    if best is None or 2 * best[0] < len(groups):
        return None
    return best[2], best[3]


def _check_header(header: list[str], path: Path, line: int) -> None:
    seen: dict[str, int] = {}
    for i, h in enumerate(header, start=1):
        n = norm_name(h)
        if n in seen:
            raise ImportFormatError(f"{path}: row {line}: column '{h}' appears twice in the header "
                                    f"(columns {seen[n]} and {i})")
        seen[n] = i


def _read_excel(path: Path, preset: Preset, digest: str) -> RawExport:
    import importlib.util

    sheet = preset.read.sheet
    if importlib.util.find_spec("openpyxl") is None and importlib.util.find_spec("xlrd") is None:
        where = f"the sheet '{sheet}'" if sheet else "the sheet"
        raise ImportFormatError(f"{path}: an Excel workbook; save {where} as CSV UTF-8 and import "
                                "that file (reading Excel needs openpyxl, which is not installed)")
    import pandas as pd

    try:
        # cells as the workbook typed them: a date cell is a date, whatever the column's text format
        book = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except Exception as e:  # the Excel engines raise many types
        raise ImportFormatError(f"{path}: not a readable Excel workbook ({e})") from None
    if sheet is not None and sheet not in book:
        raise ImportFormatError(f"{path}: no sheet '{sheet}' (sheets: {', '.join(map(str, book))})")
    frame = book[sheet] if sheet is not None else next(iter(book.values()))
    typed = list(frame.itertuples(index=False, name=None))
    cells = [[_cell_text(v) for v in row] for row in typed]
    idx, _ = _find_header([",".join(_csv_cell(c) for c in row) if any(c.strip() for c in row) else ""
                           for row in cells], path, preset, ",", sheet=True)
    header = [c.strip() for c in cells[idx]]
    while header and header[-1] == "":
        header.pop()
    _check_header(header, path, idx + 1)
    rows, nos = [], []
    date_cells: dict[str, list[int]] = {}
    for j in range(idx + 1, len(cells)):
        row = cells[j][: len(header)]
        if any(c.strip() for c in row):
            for k, v in enumerate(typed[j][: len(header)]):
                if isinstance(v, dt.date) and not pd.isna(v):  # datetime and Timestamp are dates too
                    date_cells.setdefault(header[k], []).append(len(rows))
            rows.append(row)
            nos.append(j + 1)
    return RawExport(path, header, rows, nos, "xlsx", "sheet", idx + 1, digest,
                     [f"sheet '{sheet or next(iter(book))}'"], date_cells)


def _cell_text(v: object) -> str:
    """A workbook cell as the text a CSV export would hold: dates in ISO 8601, whole numbers without
    '.0', blanks empty."""
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d") if v == v.replace(hour=0, minute=0, second=0, microsecond=0) \
            else v.isoformat(timespec="seconds")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _csv_cell(text: str) -> str:
    """A cell quoted as in a CSV line, for the header search."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text
