"""Reading any CSV export, for the commands that take one (``kpi anomalies``, ``sentiment``, ``attribute``).

What pandas would misread or say in its own words is refused in one line naming the file (and the row):
not UTF-8, empty, a row with more or fewer cells than the header, a quoted text never closed, and an
output file that is the input itself.
"""

from __future__ import annotations

from pathlib import Path


def refuse_output_onto_input(output: Path | str | None, *inputs: Path | str) -> None:
    """Raise :class:`~kpi_toolkit.exceptions.ParameterError` when ``-o`` names an input file.

    The output is written after the input is read, so writing it over the input would replace the
    original export for good (with masked handles, scores ...). Symbolic and hard links to the input
    count as the input.
    """
    import os

    from ..exceptions import ParameterError

    if output is None:
        return
    out = Path(output)
    for src in map(Path, inputs):
        if not src.exists():
            continue  # nothing to lose; the reader says the file is missing
        try:
            same = out.exists() and os.path.samefile(out, src)
        except OSError:
            same = False
        if same or out.resolve() == src.resolve():
            raise ParameterError(f"-o {out}: that is the input file {src}; write the output to another "
                                 "file (the input is never overwritten)")


def read_text(path: Path, *, expect: str) -> str:
    """The file as text (UTF-8, with or without a byte-order mark); one line naming the file when it is
    not UTF-8 or empty (``expect`` says what its header should hold)."""
    from ..exceptions import DataValidationError, ImportFormatError

    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path}: not UTF-8 text (save the export as UTF-8 CSV)") from None
    if not text.strip():
        raise DataValidationError(str(path), f"the file is empty (expected a header line: {expect})")
    return text


def _sep_name(sep: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(sep, repr(sep))


def check_cells(text: str, sep: str, source: str) -> int:
    """Refuse a CSV text whose rows do not all have as many cells as its header.

    pandas reads such a file without a word in two cases that lose data: a first row with one cell
    too many turns the first column into the index (every column shifts left by one), and a short row
    is filled with blanks. This reads the text with the quoting rules pandas uses (``"`` quotes,
    ``""`` inside quotes) and names the first row that differs, in spreadsheet rows (the header is
    row 1; blank lines are skipped, as pandas skips them). Returns the number of the last row.
    """
    import csv
    import io

    from ..exceptions import DataValidationError

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', doublequote=True,
                        strict=False)
    width, row = 0, 0
    for cells in reader:
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue  # a blank line
        row += 1
        if row == 1:
            width = len(cells)
            continue
        k = len(cells)
        if k != width:
            if width == 1:
                hint = f" (the header has no {_sep_name(sep)}: is --sep right?)"
            elif k > width:
                hint = f" (a {_sep_name(sep)} inside a text that is not quoted?)"
            else:
                hint = " (a cell missing, or a line break inside a text that is not quoted?)"
            raise DataValidationError(source, f"{k} cell{'s' if k != 1 else ''} where the header has "
                                      f"{width}{hint}", rows=[row])
    return row


def read_csv_cells(path: Path, sep: str, *, expect: str) -> object:
    """A CSV export as a DataFrame of texts (blank cells missing), refusing with one line naming the
    file (and the row) what pandas would misread or report in its own words: not UTF-8, empty, a row
    with more or fewer cells than the header, a quoted text never closed."""
    import io

    import pandas as pd

    from ..exceptions import DataValidationError, ImportFormatError

    text = read_text(path, expect=expect)
    last = check_cells(text, sep, str(path))
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as e:
        if "EOF inside string" in str(e):
            raise DataValidationError(str(path), "a quoted text is never closed (a '\"' missing?)",
                                      rows=[last]) from None
        raise ImportFormatError(f"{path}: not a readable CSV with separator {sep!r} "
                                f"({str(e).splitlines()[0]})") from None

