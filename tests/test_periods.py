"""Reporting periods: months and ISO weeks in the client's time zone (ISO 8601, IANA tz database).

Reference instants are hand-computed from the published DST rules: in the EU, summer time ends on
the last Sunday of October at 01:00 UTC (Directive 2000/84/EC), so Helsinki is UTC+3 on 1 October
2026 and UTC+2 on 1 November 2026; in the US, DST starts on the second Sunday of March (Energy
Policy Act of 2005), so New York is UTC-5 on 1 March 2026 and UTC-4 on 1 April 2026.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kpi_toolkit.exceptions import ParameterError
from kpi_toolkit.periods import (
    Period,
    last_complete_month,
    month_period,
    month_range,
    parse_month,
    previous_month,
    same_month_last_year,
    shift_month,
    week_period,
)


def utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def test_month_period_local_midnights_in_utc_across_dst_end() -> None:
    p = month_period("2026-10", "Europe/Helsinki")
    assert p.start == utc("2026-09-30 21:00")  # 00:00 EEST (UTC+3)
    assert p.end == utc("2026-10-31 22:00")    # 00:00 EET (UTC+2) on 1 November
    assert p.label == "2026-10" and p.tz == "Europe/Helsinki"
    assert p.days == 31
    assert p.first_day == pd.Timestamp("2026-10-01") and p.end_day == pd.Timestamp("2026-11-01")
    assert (p.end - p.start) == pd.Timedelta(days=31, hours=1)  # the extra hour of 25 October


def test_month_period_across_dst_start_new_york() -> None:
    p = month_period("2026-03", "America/New_York")
    assert p.start == utc("2026-03-01 05:00")
    assert p.end == utc("2026-04-01 04:00")
    assert (p.end - p.start) == pd.Timedelta(days=31) - pd.Timedelta(hours=1)


def test_month_period_utc_and_half_open() -> None:
    p = month_period("2026-02", "UTC")
    assert (p.start, p.end) == (utc("2026-02-01"), utc("2026-03-01"))
    assert p.contains("2026-02-28T23:59:59Z")
    assert not p.contains("2026-03-01T00:00:00Z")  # end is excluded
    assert p.contains(pd.Timestamp("2026-02-01"))  # naive = UTC


def test_month_arithmetic_wraps_years() -> None:
    assert previous_month("2026-01") == "2025-12"
    assert same_month_last_year("2026-10") == "2025-10"
    assert shift_month("2025-11", 3) == "2026-02"
    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_range("2026-02", "2026-01") == []


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "26-10", "2026/10", "October", "", "2026-1"])
def test_parse_month_rejects_with_one_clear_line(bad: str) -> None:
    with pytest.raises(ParameterError, match=r"month must be YYYY-MM, got "):
        parse_month(bad)


def test_parse_month_accepts_and_strips() -> None:
    assert parse_month(" 2026-10 ") == "2026-10"


def test_last_complete_month() -> None:
    assert last_complete_month("2026-11-15") == "2026-10"
    assert last_complete_month("2026-01-01") == "2025-12"
    # 2026-11-01 00:30 in Helsinki is still 31 October in UTC: the last complete month differs
    moment = pd.Timestamp("2026-10-31 22:30", tz="UTC")
    assert last_complete_month(moment, tz="Europe/Helsinki") == "2026-10"
    assert last_complete_month(moment, tz="UTC") == "2026-09"


def test_week_period_is_iso_monday_to_monday() -> None:
    w = week_period("2026-10-07", "UTC")  # a Wednesday
    assert w.label == "2026-W41"
    assert (w.start, w.end) == (utc("2026-10-05"), utc("2026-10-12"))
    assert week_period("2026-W41", "UTC") == w
    # ISO week 1 of 2027 starts on Monday 4 January 2027; 1 January 2027 is in 2026-W53
    assert week_period("2027-01-01").label == "2026-W53"


def test_bad_inputs() -> None:
    with pytest.raises(ParameterError, match="unknown time zone 'Mars/Olympus'"):
        month_period("2026-10", "Mars/Olympus")
    with pytest.raises(ParameterError, match="period end .* must be after its start"):
        Period(start=utc("2026-10-02"), end=utc("2026-10-01"), label="x")
    with pytest.raises(ParameterError, match="tz-aware"):
        Period(start=pd.Timestamp("2026-10-01"), end=utc("2026-10-02"), label="x")
    with pytest.raises(ParameterError, match="week_period needs a day"):
        week_period("soon")
