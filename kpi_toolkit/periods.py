"""Reporting periods: calendar months and ISO weeks in the client's time zone.

A :class:`Period` is a half-open interval ``[start, end)`` of tz-aware UTC timestamps whose
boundaries are local midnights in the client's zone, so "October 2026" for a client in
Europe/Helsinki starts at 2026-09-30 21:00 UTC and ends at 2026-10-31 22:00 UTC (the clocks go back
on 25 October, so the month has 31 days and one extra hour). Timestamped rows (posts, mentions) are
compared with ``start``/``end`` directly; daily tables (whose ``date`` is already a local calendar
day) are compared with :attr:`Period.first_day` / :attr:`Period.end_day`.

Months are written ``YYYY-MM`` everywhere (parameters, CLI, output folders).

References
----------
.. [1] ISO 8601-1:2019, "Date and time -- Representations for information interchange", for the
   ``YYYY-MM`` calendar month, the ISO week (Monday first) and the half-open interval.
.. [2] IANA time zone database, via :mod:`zoneinfo` (PEP 615).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .exceptions import ParameterError

__all__ = [
    "Period", "last_complete_month", "month_period", "month_range", "parse_month", "previous_month",
    "same_month_last_year", "shift_month", "week_period",
]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of tz-aware UTC timestamps, with a label.

    Attributes
    ----------
    start, end
        Tz-aware UTC timestamps; ``start`` is included, ``end`` is not.
    label
        How reports name the period: ``"2026-10"`` for a month, ``"2026-W41"`` for an ISO week.
    tz
        The IANA zone whose local midnights the boundaries are.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    label: str
    tz: str = "UTC"

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            ts = getattr(self, name)
            if not isinstance(ts, pd.Timestamp) or ts.tzinfo is None:
                raise ParameterError(f"period {name} must be a tz-aware timestamp, got {ts!r}")
        if self.end <= self.start:
            raise ParameterError(f"period end ({self.end}) must be after its start ({self.start})")

    @property
    def local_start(self) -> pd.Timestamp:
        """``start`` as a naive local wall-clock time (local midnight for months and weeks)."""
        return self.start.tz_convert(self.tz).tz_localize(None)

    @property
    def local_end(self) -> pd.Timestamp:
        """``end`` as a naive local wall-clock time (exclusive)."""
        return self.end.tz_convert(self.tz).tz_localize(None)

    @property
    def first_day(self) -> pd.Timestamp:
        """The first local calendar day in the period (naive midnight), for daily tables."""
        return self.local_start.normalize()

    @property
    def end_day(self) -> pd.Timestamp:
        """The first local calendar day after the period (naive midnight, exclusive)."""
        e = self.local_end
        return e if e == e.normalize() else e.normalize() + pd.Timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of local calendar days in the period."""
        return int((self.end_day - self.first_day).days)

    def contains(self, ts: pd.Timestamp | str | datetime) -> bool:
        """Whether a moment falls in ``[start, end)`` (naive values are taken as UTC)."""
        t = pd.Timestamp(ts)
        t = t.tz_localize("UTC") if t.tzinfo is None else t
        return bool(self.start <= t < self.end)

    def __str__(self) -> str:
        return self.label


def _check_tz(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ParameterError(f"unknown time zone {tz!r} (use an IANA name such as 'Europe/Helsinki')") from None
    return tz


def _local_midnight(day: pd.Timestamp, tz: str) -> pd.Timestamp:
    """The UTC instant of local midnight on ``day`` (the first existing instant of that day)."""
    naive = pd.Timestamp(day.year, day.month, day.day)
    # ambiguous=True takes the first (DST) instance; a midnight skipped by a DST jump moves forward
    local = naive.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return local.tz_convert("UTC")


def parse_month(s: str) -> str:
    """Validate a month written ``YYYY-MM`` and return it.

    Raises
    ------
    ParameterError
        ``month must be YYYY-MM, got '2026-13'``.
    """
    m = _MONTH.fullmatch(str(s).strip()) if s is not None else None
    if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise ParameterError(f"month must be YYYY-MM, got {s!r}")
    return f"{m.group(1)}-{m.group(2)}"


def _first_of(month: str) -> pd.Timestamp:
    y, mo = (int(x) for x in parse_month(month).split("-"))
    return pd.Timestamp(y, mo, 1)


def shift_month(month: str, months: int) -> str:
    """``month`` moved by ``months`` calendar months (negative = back)."""
    first = _first_of(month)
    idx = first.year * 12 + (first.month - 1) + months
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def previous_month(month: str) -> str:
    """The calendar month before ``month``: ``previous_month("2026-01") == "2025-12"``."""
    return shift_month(month, -1)


def same_month_last_year(month: str) -> str:
    """The same calendar month a year earlier: ``"2026-10"`` -> ``"2025-10"``."""
    return shift_month(month, -12)


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, in order (empty when ``last < first``)."""
    a, b = _first_of(first), _first_of(last)
    n = (b.year - a.year) * 12 + (b.month - a.month)
    return [shift_month(first, i) for i in range(n + 1)]


def month_period(month: str, tz: str = "UTC") -> Period:
    """The calendar month ``month`` (``YYYY-MM``) in time zone ``tz``.

    Parameters
    ----------
    month
        ``YYYY-MM``.
    tz
        The client's IANA time zone; the boundaries are local midnights of the 1st of ``month``
        and of the next month, converted to UTC.

    Returns
    -------
    Period
        ``label`` is ``month``.

    Examples
    --------
    >>> p = month_period("2026-10", "Europe/Helsinki")
    >>> str(p.start), str(p.end)
    ('2026-09-30 21:00:00+00:00', '2026-10-31 22:00:00+00:00')
    """
    month = parse_month(month)
    tz = _check_tz(tz)
    first = _first_of(month)
    nxt = _first_of(shift_month(month, 1))
    return Period(start=_local_midnight(first, tz), end=_local_midnight(nxt, tz), label=month, tz=tz)


def week_period(day: str | date | pd.Timestamp, tz: str = "UTC") -> Period:
    """The ISO week (Monday to Sunday) that contains local calendar day ``day``.

    Parameters
    ----------
    day
        Any day of the week (``"2026-10-07"``), or an ISO week written ``"2026-W41"``.
    tz
        The client's IANA time zone.

    Returns
    -------
    Period
        ``label`` is the ISO week, e.g. ``"2026-W41"``.
    """
    tz = _check_tz(tz)
    text = str(day).strip() if isinstance(day, str) else None
    if text is not None and re.fullmatch(r"\d{4}-W\d{2}", text):
        try:
            d = pd.Timestamp(datetime.strptime(text + "-1", "%G-W%V-%u"))
        except ValueError:
            raise ParameterError(f"week must be YYYY-Www (ISO week), got {day!r}") from None
    else:
        try:
            d = pd.Timestamp(day)
        except (ValueError, TypeError):
            raise ParameterError(f"week_period needs a day (YYYY-MM-DD) or an ISO week (YYYY-Www), got {day!r}") from None
        if d.tzinfo is not None:
            d = d.tz_convert(tz).tz_localize(None)
    monday = d.normalize() - pd.Timedelta(days=d.weekday())
    iso = monday.isocalendar()
    label = f"{iso[0]:04d}-W{iso[1]:02d}"
    return Period(start=_local_midnight(monday, tz), end=_local_midnight(monday + pd.Timedelta(days=7), tz),
                  label=label, tz=tz)


def last_complete_month(today: date | str | pd.Timestamp | None = None, tz: str = "UTC") -> str:
    """The last calendar month that has fully ended in ``tz`` (the month a report is usually for).

    Parameters
    ----------
    today
        The reference day (default: now in ``tz``). A tz-aware timestamp is converted to ``tz``.
    tz
        The client's IANA time zone.
    """
    tz = _check_tz(tz)
    if today is None:
        now = pd.Timestamp.now(tz=tz)
    else:
        now = pd.Timestamp(today)
        if now.tzinfo is not None:
            now = now.tz_convert(tz)
    return previous_month(f"{now.year:04d}-{now.month:02d}")


def month_words(month: str) -> str:
    """``"2026-10"`` -> ``"October 2026"``: how a report names a month to a client."""
    y, m = parse_month(month).split("-")
    import calendar

    return f"{calendar.month_name[int(m)]} {y}"
