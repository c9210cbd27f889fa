"""Errors a user can act on. The CLI prints them as one line and exits 2 (``--debug`` shows the traceback)."""

from __future__ import annotations

from typing import Any


class KpiToolkitError(Exception):
    """Base class: a problem with the user's input, files or parameters, not a bug."""

    exit_code = 2


class DataValidationError(KpiToolkitError):
    """A data file breaks a rule of the canonical data model.

    The message names the file, the column, the first offending rows and the rule, e.g.
    ``data/acme/posts.csv: column 'likes' row 17, 203: must be >= 0 (got -3, -1)``.
    """

    def __init__(self, file: str, rule: str, *, column: str | None = None,
                 rows: list[int] | None = None, got: list[object] | None = None) -> None:
        self.file, self.column, self.rows, self.rule, self.got = file, column, rows or [], rule, got or []
        where = f"{file}"
        if column is not None:
            where += f": column '{column}'"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:5])
            total = row_count(self.rows)
            more = f" (+{total - 5:,} more)" if total > 5 else ""
            where += f" row {shown}{more}"
        msg = f"{where}: {rule}"
        if self.got:
            msg += " (got " + ", ".join(_short(g) for g in self.got[:5]) + ")"
        super().__init__(msg)


class RowList(list):
    """The first offending rows of a rule, and how many rows break it in all (``total``): callers keep
    a few row numbers, not millions, and the message still counts them right ("(+1,203 more)")."""

    def __init__(self, rows: Any = (), total: int | None = None) -> None:
        super().__init__(rows)
        self.total = len(self) if total is None else int(total)


def row_count(rows: Any) -> int:
    """How many rows ``rows`` stands for: its ``total`` when it is a :class:`RowList`, else its length."""
    return max(getattr(rows, "total", 0), len(rows))


class DataWarning(str):
    """A data-model warning: its one line, plus what it is about, so a caller can restate it.

    It is the line itself (a ``str``), so it prints, joins and compares as one; ``check`` names the
    rule (``"reach_le_impressions"``, ``"content_type_known"``), ``rows`` are the offending rows as the
    line counts them and ``rule`` is the rule's words without the file, column, rows and values.
    """

    file: str
    column: str | None
    rows: list[int]
    rule: str
    check: str

    def __new__(cls, error: DataValidationError | str, *, check: str = "") -> DataWarning:
        obj = super().__new__(cls, str(error))
        obj.file = getattr(error, "file", "")
        obj.column = getattr(error, "column", None)
        obj.rows = list(getattr(error, "rows", []) or [])
        obj.rule = getattr(error, "rule", str(error))
        obj.check = check
        return obj

    def __reduce__(self) -> tuple[Any, ...]:  # a worker process hands warnings back pickled
        return (_data_warning, (str(self), self.__dict__))


def _data_warning(text: str, state: dict[str, Any]) -> DataWarning:
    w = DataWarning(text)
    w.__dict__.update(state)
    return w


class ParameterError(KpiToolkitError):
    """A client parameter file or a notebook parameter is invalid."""


class UnknownClientError(KpiToolkitError):
    """No parameters or data for the named client."""


class NoDataError(KpiToolkitError):
    """The requested period or table has no data."""


class ImportFormatError(KpiToolkitError):
    """An export file could not be understood by the importer."""


def _short(value: object, width: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
