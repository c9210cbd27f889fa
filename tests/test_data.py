"""Loading and validation: every failure mode gets one clear line naming file, column, row and rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kpi_toolkit.cli import main
from kpi_toolkit.context import load_context
from kpi_toolkit.data import (
    Extent,
    load_client,
    load_table,
    table_extent,
    validate_frame,
    write_table,
)
from kpi_toolkit.exceptions import (
    DataValidationError,
    NoDataError,
    ParameterError,
    UnknownClientError,
)
from kpi_toolkit.params import load_params, parse_params

HEADER = "post_id,platform,published_at,content_type,impressions,reach,likes,comments,shares"
GOOD = [
    "p1,facebook,2026-10-01T10:00:00Z,image,100,80,5,1,0",
    "p2,instagram,2026-10-02T12:00:00+03:00,video,200,150,7,2,1",
]


def _posts(tmp_path: Path, rows: list[str], header: str = HEADER, client: str = "acme") -> Path:
    d = tmp_path / "data" / client
    d.mkdir(parents=True, exist_ok=True)
    path = d / "posts.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _err(tmp_path: Path, rows: list[str], header: str = HEADER) -> str:
    path = _posts(tmp_path, rows, header)
    with pytest.raises(DataValidationError) as exc:
        load_table(path, "posts")
    return str(exc.value)


def test_good_file_loads_with_canonical_types(tmp_path: Path) -> None:
    _posts(tmp_path, GOOD)
    data = load_client("acme", data_dir=tmp_path / "data")
    df = data.posts
    assert len(df) == 2
    assert str(df["published_at"].dtype) == "datetime64[ns, UTC]"
    # +03:00 is converted to UTC
    assert df["published_at"][1] == pd.Timestamp("2026-10-02T09:00:00Z")
    assert df["likes"].dtype == "int64"
    assert data.warnings == []
    # the reason reaches client reports: words, no path; where the loader looked is for the operator
    assert data.missing["ads"] == "no ads data provided"
    assert data.require("ads") == "no ads data provided"
    assert not any(str(tmp_path) in why or "/" in why for why in data.missing.values())
    cdir = tmp_path / "data" / "acme"
    assert data.expected_files["ads"] == (f"{cdir}/ads.csv, {cdir}/ads.parquet or a Parquet folder {cdir}/ads/")
    assert set(data.expected_files) == set(data.missing)


def test_negative_count_names_file_column_rows_rule_and_values(tmp_path: Path) -> None:
    rows = [*GOOD, "p3,facebook,2026-10-03,image,10,5,-3,0,0", "p4,x,2026-10-03,text,10,5,-1,0,0"]
    msg = _err(tmp_path, rows)
    assert msg.endswith("posts.csv: column 'likes' row 4, 5: must be >= 0 (got -3, -1)")


def test_missing_required_column(tmp_path: Path) -> None:
    msg = _err(tmp_path, ["p1,facebook,2026-10-01,image,100,80,5,1"],
               header=HEADER.removesuffix(",shares"))
    assert "missing required column 'shares'" in msg


def test_missing_column_suggests_close_name(tmp_path: Path) -> None:
    msg = _err(tmp_path, ["p1,facebook,2026-10-01,image,100,80,5,1,0"],
               header=HEADER.replace("comments", "coments"))
    assert "missing required column 'comments'" in msg and "did you mean" in msg and "'coments'" in msg


def test_wrong_type_text_in_count(tmp_path: Path) -> None:
    msg = _err(tmp_path, [*GOOD, "p3,facebook,2026-10-03,image,lots,5,1,0,0"])
    assert "column 'impressions' row 4: must be a whole number (got 'lots')" in msg


def test_fraction_in_count(tmp_path: Path) -> None:
    msg = _err(tmp_path, [*GOOD, "p3,facebook,2026-10-03,image,10.5,5,1,0,0"])
    assert "column 'impressions' row 4: must be a whole number (got 10.5)" in msg


def test_duplicate_id(tmp_path: Path) -> None:
    msg = _err(tmp_path, [*GOOD, "p1,x,2026-10-03,text,10,5,1,0,0"])
    assert "column 'post_id' row 2, 4: duplicate key: each 'post_id' must be unique (got 'p1', 'p1')" in msg


def test_unparseable_date(tmp_path: Path) -> None:
    msg = _err(tmp_path, [*GOOD, "p3,x,yesterday,text,10,5,1,0,0"])
    assert "column 'published_at' row 4: not a valid time" in msg and "'yesterday'" in msg


def test_empty_file(tmp_path: Path) -> None:
    path = _posts(tmp_path, [], header="")
    path.write_text("")
    with pytest.raises(DataValidationError, match=r"posts.csv: file is empty"):
        load_table(path, "posts")


def test_wrong_delimiter(tmp_path: Path) -> None:
    msg = _err(tmp_path, [r.replace(",", ";") for r in GOOD], header=HEADER.replace(",", ";"))
    assert "columns are separated by ';', not ','" in msg


def test_non_utf8_file(tmp_path: Path) -> None:
    path = _posts(tmp_path, GOOD)
    path.write_bytes(path.read_bytes().replace(b"p2,", "ä2,".encode("latin-1")))
    with pytest.raises(DataValidationError) as exc:
        load_table(path, "posts")
    assert "not UTF-8 text (byte 0xe4 on line 3)" in str(exc.value)
    assert "row 3" in str(exc.value)


def test_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = _posts(tmp_path, GOOD)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert list(load_table(path, "posts").columns[:2]) == ["post_id", "platform"]


def test_unknown_platform_lists_known(tmp_path: Path) -> None:
    msg = _err(tmp_path, [*GOOD, "p3,myspace,2026-10-03,text,10,5,1,0,0"])
    assert "column 'platform' row 4: unknown platform 'myspace'; known: facebook, instagram, x," in msg


def test_blank_in_required_column(tmp_path: Path) -> None:
    msg = _err(tmp_path, [*GOOD, "p3,x,2026-10-03,text,10,5,,0,0"])
    assert "column 'likes' row 4: required value is blank" in msg


def test_reach_above_impressions_warns_and_keeps(tmp_path: Path) -> None:
    _posts(tmp_path, [*GOOD, "p3,x,2026-10-03,text,10,50,1,0,0"])
    data = load_client("acme", data_dir=tmp_path / "data")
    assert len(data.posts) == 3
    assert len(data.warnings) == 1 and "column 'reach' row 4: reach is larger than impressions" in data.warnings[0]
    # the warning says what it is about, and survives a trip to another process
    import pickle

    w = data.warnings[0]
    assert (w.check, w.column, w.rows) == ("reach_le_impressions", "reach", [4])
    assert w.rule.startswith("reach is larger than impressions") and w.file.endswith("posts.csv")
    back = pickle.loads(pickle.dumps(w))
    assert back == w and (back.check, back.rows) == ("reach_le_impressions", [4])


def test_export_warnings_restate_a_column_warning_in_the_exports_terms() -> None:
    """A warning about a column the importer maps is said with the export's column and file lines."""
    from kpi_toolkit.exceptions import DataWarning
    from kpi_toolkit.importers.terms import ExportTerms, export_warnings

    frame = pd.DataFrame({"likes": [1.0, 2.0, 3.0], "import_row": [7, 8, 9]})
    terms = ExportTerms(file="export.csv", sources={"likes": ("Post Likes",)})
    w = DataWarning(DataValidationError("<frame>", "looks odd", column="likes", rows=[1, 2]))
    assert export_warnings(frame, terms, [w, "a plain line"]) == [
        "export.csv: column 'Post Likes' row 8, 9: looks odd", "a plain line"]


def test_post_without_time_or_month(tmp_path: Path) -> None:
    msg = _err(tmp_path, [*GOOD, "p3,x,,text,10,5,1,0,0"])
    assert "column 'published_at' row 4: a post needs published_at (or published_month" in msg


def test_daily_table_rejects_time_of_day(tmp_path: Path) -> None:
    d = tmp_path / "data" / "acme"
    d.mkdir(parents=True)
    (d / "audience.csv").write_text("date,platform,followers\n2026-10-01,x,10\n2026-10-02 13:00,x,11\n")
    with pytest.raises(DataValidationError, match=r"column 'date' row 3: must be a calendar day"):
        load_client("acme", data_dir=tmp_path / "data")


# --- dates and times: ISO 8601 only, nothing guessed -------------------------------------------

def _audience(tmp_path: Path, days: list[str], client: str = "acme") -> Path:
    d = tmp_path / "data" / client
    d.mkdir(parents=True, exist_ok=True)
    path = d / "audience.csv"
    path.write_text("date,platform,followers\n" + "".join(f"{day},x,{10 + i}\n" for i, day in enumerate(days)))
    return path


@pytest.mark.parametrize("day", [
    "10/02/2026",  # 2 October or 10 February: pandas' "mixed" parser chose October
    "1/10/2026",   # and here January 10
    "02.10.2026", "2026/10/02", "2026-1-5", "20261002", "2026-10", "2 Oct 2026",
])
def test_date_column_accepts_only_yyyy_mm_dd(tmp_path: Path, day: str) -> None:
    path = _audience(tmp_path, ["2026-10-01", "2026-10-02", day])
    with pytest.raises(DataValidationError) as exc:
        load_table(path, "audience")
    assert str(exc.value) == (f"{path}: column 'date' row 4: not a valid date (expected YYYY-MM-DD, "
                              f"e.g. 2026-10-02) (got {day!r})")


def test_first_offending_date_rows_are_named(tmp_path: Path) -> None:
    path = _audience(tmp_path, ["2026-10-01", "10/02/2026", "2026-10-03", "1/10/2026"])
    with pytest.raises(DataValidationError, match=r"column 'date' row 3, 5: not a valid date .* "
                                                  r"\(got '10/02/2026', '1/10/2026'\)$"):
        load_table(path, "audience")


@pytest.mark.parametrize("day", ["2026-10-02 13:00", "2026-10-02T00:00:00Z", "2026-10-02T00:00"])
def test_date_with_a_time_breaks_the_daily_rule(tmp_path: Path, day: str) -> None:
    path = _audience(tmp_path, ["2026-10-01", day])
    with pytest.raises(DataValidationError) as exc:
        load_table(path, "audience")
    assert str(exc.value) == (f"{path}: column 'date' row 3: must be a calendar day without a time "
                              f"(daily table; expected YYYY-MM-DD) (got {day!r})")


def test_iso_days_load_as_written(tmp_path: Path) -> None:
    df = load_table(_audience(tmp_path, ["2026-10-02", " 2026-01-10 ", "2024-02-29"]), "audience")
    assert df["date"].tolist() == [pd.Timestamp("2026-10-02"), pd.Timestamp("2026-01-10"),
                                   pd.Timestamp("2024-02-29")]


@pytest.mark.parametrize(("text", "utc"), [
    ("2026-10-02", "2026-10-02T00:00:00Z"),                 # a day: midnight UTC (importers write these)
    ("2026-10-02T12:30", "2026-10-02T12:30:00Z"),
    ("2026-10-02T12:30:15", "2026-10-02T12:30:15Z"),        # no offset: UTC
    ("2026-10-02 12:30:15", "2026-10-02T12:30:15Z"),        # a space for the T (pandas, RFC 3339)
    ("2026-10-02T12:30:15.250Z", "2026-10-02T12:30:15.250Z"),
    ("2026-10-02T12:30:15.123456789", "2026-10-02T12:30:15.123456789Z"),
    ("2026-10-02T12:30:15+02:00", "2026-10-02T10:30:15Z"),
    ("2026-10-02T12:30:15+0200", "2026-10-02T10:30:15Z"),
    ("2026-10-02T12:30:15-05", "2026-10-02T17:30:15Z"),
    ("2026-10-02 12:30:15+00:00", "2026-10-02T12:30:15Z"),  # pandas' str() of a UTC time
])
def test_datetime_column_accepts_iso_8601(text: str, utc: str) -> None:
    df = pd.DataFrame({"user_id": ["u1", "u2"], "timestamp": ["2026-10-01T00:00:00Z", text], "channel": ["x", "x"]})
    out, _ = validate_frame(df, "touchpoints")
    assert out["timestamp"][1] == pd.Timestamp(utc)
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("text", [
    "10/02/2026 12:30", "02.10.2026 12:30", "2026-1-5T12:30", "2026/10/02 12:30", "20261002T123000",
    "2026-10-02T12", "2026-10-02T12:30:15 UTC", "2026-10-02T12:30:15 +02:00", "tomorrow",
])
def test_datetime_column_refuses_anything_else(text: str) -> None:
    df = pd.DataFrame({"user_id": ["u1", "u2"], "timestamp": ["2026-10-01T00:00:00Z", text], "channel": ["x", "x"]})
    with pytest.raises(DataValidationError) as exc:
        validate_frame(df, "touchpoints", source="data/acme/touchpoints.csv")
    assert str(exc.value) == (
        "data/acme/touchpoints.csv: column 'timestamp' row 3: not a valid time (expected ISO 8601: "
        "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], optionally with Z or an offset such as +02:00, e.g. "
        f"2026-10-01T12:00:00Z) (got {text!r})")


def test_cli_validate_refuses_a_european_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The audit's case: `10/02/2026` was stored as 2 October and `kpi validate` said ok."""
    path = _audience(tmp_path, ["10/02/2026", "1/10/2026"])
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "acme.yaml").write_text(yaml.safe_dump(BASE))
    code = main(["validate", "--client", "acme", "--data-dir", str(tmp_path / "data"),
                 "--parameters-dir", str(tmp_path / "parameters")])
    out, err = capsys.readouterr()
    assert code == 2 and "ok" not in out
    assert err == (f"error: {path}: column 'date' row 2, 3: not a valid date (expected YYYY-MM-DD, "
                   "e.g. 2026-10-02) (got '10/02/2026', '1/10/2026')\n")


def test_typed_parquet_dates_and_times_still_load(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    days = [dt.date(2026, 10, 2), dt.date(2026, 1, 10)]
    for typ in (pa.date32(), pa.timestamp("ms"), pa.timestamp("ns", "UTC")):
        path = tmp_path / f"audience-{typ}.parquet".replace(" ", "")
        pq.write_table(pa.table({"date": pa.array(days, pa.date32()).cast(typ), "platform": ["x", "x"],
                                 "followers": [1, 2]}), path)
        assert load_table(path, "audience")["date"].tolist() == [pd.Timestamp(d) for d in days], typ
    path = tmp_path / "touchpoints.parquet"
    pq.write_table(pa.table({"user_id": ["u1"], "channel": ["x"], "timestamp": pa.array(
        [pd.Timestamp("2026-10-02T12:00+02:00")], pa.timestamp("us", "Europe/Helsinki"))}), path)
    assert load_table(path, "touchpoints")["timestamp"][0] == pd.Timestamp("2026-10-02T10:00Z")
    # a Parquet text column is held to the same rule as a CSV cell; rows count records from 1
    path = tmp_path / "audience.parquet"
    pd.DataFrame({"date": ["2026-10-02", "10/02/2026"], "platform": ["x", "x"],
                  "followers": [1, 2]}).to_parquet(path, index=False)
    with pytest.raises(DataValidationError, match=r"audience.parquet: column 'date' row 2: not a valid date"):
        load_table(path, "audience")


def test_written_tables_read_back(tmp_path: Path) -> None:
    """write_table (used by `kpi import` and `kpi demo`) writes what the loader accepts."""
    t = pd.to_datetime(["2026-10-02T10:00:00.5Z", "2026-10-03T23:59:59Z"], utc=True, format="ISO8601")
    path = write_table(pd.DataFrame({"user_id": ["u1", "u2"], "timestamp": t, "channel": ["x", "y"]}),
                       tmp_path / "touchpoints.csv")
    assert load_table(path, "touchpoints")["timestamp"].tolist() == [t[0].floor("s"), t[1]]
    days = pd.to_datetime(["2026-10-02", "2026-10-03"])
    path = write_table(pd.DataFrame({"date": days, "platform": ["x", "x"], "followers": [1, 2]}),
                       tmp_path / "audience.csv")
    assert path.read_text().splitlines()[1].startswith("2026-10-02,")
    assert load_table(path, "audience")["date"].tolist() == list(days)


def test_sentiment_out_of_range(tmp_path: Path) -> None:
    d = tmp_path / "data" / "acme"
    d.mkdir(parents=True)
    (d / "mentions.csv").write_text("mention_id,published_at,source,brand,sentiment_score\n"
                                    "m1,2026-10-01T00:00:00Z,x,Acme,0.5\nm2,2026-10-01T01:00:00Z,x,Acme,1.7\n")
    with pytest.raises(DataValidationError,
                       match=r"column 'sentiment_score' row 3: must be between -1 and 1 \(got 1.7\)"):
        load_client("acme", data_dir=tmp_path / "data")


def test_csat_out_of_range(tmp_path: Path) -> None:
    d = tmp_path / "data" / "acme"
    d.mkdir(parents=True)
    (d / "surveys.csv").write_text("response_id,date,kind,score\nr1,2026-10-01,nps,9\nr2,2026-10-01,csat,7\n")
    with pytest.raises(DataValidationError, match=r"column 'score' row 3: a CSAT score must be between 1 and 5"):
        load_client("acme", data_dir=tmp_path / "data")


def test_bad_boolean(tmp_path: Path) -> None:
    msg = _err(tmp_path, [r + ",yes" for r in GOOD] + ["p3,x,2026-10-03,text,10,5,1,0,0,maybe"],
               header=HEADER + ",paid")
    assert "column 'paid' row 4: must be true/false" in msg and "'maybe'" in msg


def test_optional_blank_stays_missing_not_zero(tmp_path: Path) -> None:
    _posts(tmp_path, ["p1,facebook,2026-10-01,image,100,80,5,1,0,", "p2,x,2026-10-01,text,10,5,1,0,0,4"],
           header=HEADER + ",saves")
    df = load_client("acme", data_dir=tmp_path / "data").posts
    assert df["saves"].isna().tolist() == [True, False]


def test_unknown_client_lists_known(tmp_path: Path) -> None:
    _posts(tmp_path, GOOD)
    (tmp_path / "data" / "demo").mkdir()  # kpi demo's answer key (TRUTH.json) is not a client's data
    (tmp_path / "data" / "demo" / "TRUTH.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UnknownClientError, match=r"no data for client 'acne'.*clients with data: acme\)$"):
        load_client("acne", data_dir=tmp_path / "data")


def test_parquet_roundtrip_and_row_numbers(tmp_path: Path) -> None:
    df = pd.DataFrame({"user_id": ["u1", "u2"], "timestamp": ["2026-10-01T00:00:00Z", "2026-10-02"],
                       "value": [10.0, -2.0]})
    path = write_table(df, tmp_path / "conversions.parquet")
    with pytest.raises(DataValidationError, match=r"conversions.parquet: column 'value' row 2: must be >= 0"):
        load_table(path, "conversions")


def test_partitioned_parquet_reads_only_needed_months(tmp_path: Path) -> None:
    root = tmp_path / "data" / "acme" / "mentions"
    for m in ("2026-09", "2026-10"):
        part = root / f"month={m}"
        part.mkdir(parents=True)
        pd.DataFrame({"mention_id": [f"{m}-a"], "published_at": pd.to_datetime([f"{m}-15"], utc=True),
                      "source": ["x"], "brand": ["Acme"]}).to_parquet(part / "part-0.parquet", index=False)
    data = load_client("acme", data_dir=tmp_path / "data", tables=["mentions"], start="2026-10-01",
                       end="2026-11-01")
    assert data.mentions["mention_id"].tolist() == ["2026-10-a"]


# --- "no data in this month": the client's real first and last month ---------------------------

def _long_client(tmp_path: Path) -> Path:
    """acme in Helsinki: daily audience Jan 2025 - Nov 2026 (CSV) and mentions Dec 2024 - Nov 2026
    (Parquet partitioned by month, one file per month); reports read 25 months. Returns the data folder."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    root = tmp_path / "data"
    days = pd.date_range("2025-01-01", "2026-11-30", freq="D")
    d = root / "acme"
    d.mkdir(parents=True)
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "platform": "x", "followers": range(len(days))}).to_csv(
        d / "audience.csv", index=False)
    # the first mention is 1 Dec 00:30 in Helsinki (30 Nov in UTC), the last 30 Nov 23:30 there
    t = pd.DatetimeIndex([pd.Timestamp("2024-11-30T22:30Z"), *pd.date_range("2025-01-15", "2026-11-15", freq="MS", tz="UTC"),
                          pd.Timestamp("2026-11-30T21:30Z")])
    m = pd.DataFrame({"mention_id": [f"m{i}" for i in range(len(t))], "published_at": t, "source": "x", "brand": "Acme",
                      "month": t.tz_convert("Europe/Helsinki").strftime("%Y-%m")})
    ds.write_dataset(pa.Table.from_pandas(m, preserve_index=False), str(d / "mentions"), format="parquet",
                     partitioning=["month"], partitioning_flavor="hive")
    params = tmp_path / "parameters"
    params.mkdir()
    (params / "acme.yaml").write_text(yaml.safe_dump({**BASE, "timezone": "Europe/Helsinki", "history_months": 25}))
    return root


def test_month_without_data_names_the_real_first_and_last_month(tmp_path: Path) -> None:
    root = _long_client(tmp_path)
    # a middle month's file is never opened: only the first and last partitions' footers are read
    broken = root / "acme" / "mentions" / "month=2025-06"
    for f in broken.iterdir():
        f.write_bytes(b"not parquet at all")
    for month in ("2028-06", "2030-01", "2024-06"):  # 2028-06 reads Jun-Nov 2026 (its 25-month window)
        with pytest.raises(NoDataError) as exc:
            load_context(client="acme", month=month, data_dir=root, parameters_dir=tmp_path / "parameters")
        assert str(exc.value) == f"no data for client 'acme' in {month} (its data covers 2024-12 to 2026-11)"


def test_cli_month_without_data_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _long_client(tmp_path)
    code = main(["kpis", "--client", "acme", "--month", "2030-01", "--data-dir", str(root),
                 "--parameters-dir", str(tmp_path / "parameters")])
    assert code == 2
    assert capsys.readouterr().err == ("error: no data for client 'acme' in 2030-01 (its data covers 2024-12 "
                                       "to 2026-11)\n")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_month_only_posts_count_in_the_no_data_message(tmp_path: Path, fmt: str) -> None:
    """Posts from an export without the day (published_month only) are data, not 'no dated rows'."""
    path = _posts(tmp_path, ["p1,facebook,,image,10,5,1,0,0,2025-03", "p2,facebook,,image,10,5,1,0,0,2025-07",
                             "p3,x,,video,10,5,1,0,0,2025-05"], header=HEADER + ",published_month")
    if fmt == "parquet":
        df = pd.read_csv(path)
        df["published_at"] = pd.to_datetime(df["published_at"], utc=True)
        df.to_parquet(path.with_suffix(".parquet"), index=False)
        path.unlink()
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "acme.yaml").write_text(yaml.safe_dump(BASE))
    with pytest.raises(NoDataError) as exc:
        load_context(client="acme", month="2030-01", data_dir=tmp_path / "data", parameters_dir=tmp_path / "parameters")
    assert str(exc.value) == ("no data for client 'acme' in 2030-01 (its data covers 2025-03 to 2025-07; "
                              "3 of its posts have a month but no day)")


def test_extent_without_parquet_statistics_reads_the_time_column(tmp_path: Path) -> None:
    t = pd.to_datetime(["2026-03-05T10:00Z", "2025-11-30T23:00Z", None], utc=True)
    df = pd.DataFrame({"user_id": ["a", "b", "c"], "timestamp": t, "channel": "x"})
    want = Extent(pd.Timestamp("2025-11-30T23:00Z"), pd.Timestamp("2026-03-05T10:00Z"))
    df.to_parquet(tmp_path / "with.parquet", index=False)
    df.to_parquet(tmp_path / "without.parquet", index=False, write_statistics=False)
    write_table(df, tmp_path / "t.csv")
    for name in ("with.parquet", "without.parquet", "t.csv"):
        assert table_extent(tmp_path / name, "touchpoints") == want, name
    assert want.months("Europe/Helsinki") == ("2025-12", "2026-03")
    assert want.months("UTC") == ("2025-11", "2026-03")


# --- parameters ----------------------------------------------------------------------------

BASE = {"client": "acme", "display_name": "Acme", "brand": "Acme"}


def test_unknown_parameter_key_suggests(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as exc:
        parse_params({**BASE, "compeititors": ["X"]}, source="parameters/acme.yaml")
    assert str(exc.value) == "parameters/acme.yaml: unknown key 'compeititors' — did you mean 'competitors'?"


def test_unknown_nested_key_suggests() -> None:
    with pytest.raises(ParameterError, match=r"unknown key 'lookback_day' in 'attribution' — did you mean 'lookback_days'\?"):
        parse_params({**BASE, "attribution": {"lookback_day": 3}}, source="p.yaml")


def test_bad_timezone() -> None:
    with pytest.raises(ParameterError, match=r"'timezone': unknown time zone 'Europe/Helsinky'"):
        parse_params({**BASE, "timezone": "Europe/Helsinky"}, source="p.yaml")


def test_goal_needs_one_target() -> None:
    with pytest.raises(ParameterError, match=r"'goals' \(item 1\): give exactly one of 'target' or 'change'"):
        parse_params({**BASE, "goals": [{"kpi": "reach", "by": "2026-12-31"}]}, source="p.yaml")


def test_missing_required_parameter() -> None:
    with pytest.raises(ParameterError, match=r"p.yaml: missing required key 'brand'"):
        parse_params({"client": "acme", "display_name": "Acme"}, source="p.yaml")


def test_unknown_client_parameters(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(yaml.safe_dump(BASE))
    with pytest.raises(UnknownClientError, match=r"unknown client 'acmee'.*did you mean 'acme'\?"):
        load_params("acmee", parameters_dir=tmp_path)


def test_an_unknown_client_says_how_to_add_one(tmp_path: Path) -> None:
    with pytest.raises(UnknownClientError, match=r"unknown client 'zeta': no .*zeta.yaml \(no clients yet: write "
                                                 r"zeta.yaml as the README's 'Clients: parameters and data' shows"):
        load_params("zeta", parameters_dir=tmp_path)
    (tmp_path / "acme.yaml").write_text(yaml.safe_dump(BASE))
    with pytest.raises(UnknownClientError, match=r"\(known clients: acme; a new client needs its own zeta.yaml: "
                                                 r"see the README's 'Clients: parameters and data'\)"):
        load_params("zeta", parameters_dir=tmp_path)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text("client: acme\ndisplay_name: [oops\n")
    with pytest.raises(ParameterError, match=r"acme.yaml: line \d+ not valid YAML"):
        load_params("acme", parameters_dir=tmp_path)


def test_a_key_given_twice_in_parameters_is_refused_with_both_lines(tmp_path: Path) -> None:
    """PyYAML keeps the last of two equal keys silently: a second `goals:` replaced the first."""
    text = yaml.safe_dump(BASE, sort_keys=False) + "brand: Acme Two\n"
    (tmp_path / "acme.yaml").write_text(text)
    n = text.count("\n")
    first = 1 + text.splitlines().index(next(x for x in text.splitlines() if x.startswith("brand:")))
    with pytest.raises(ParameterError, match=rf"acme.yaml: line {n} not valid YAML \('brand' is given twice "
                                            rf"\(lines {first} and {n}\); keep one\)"):
        load_params("acme", parameters_dir=tmp_path)
    # merge keys repeat what they merge on purpose, and keys in different mappings are different keys
    from kpi_toolkit.params import read_yaml

    assert read_yaml("d: &d {x: 1}\ne:\n  <<: *d\n  x: 2\nf: {x: 3}\n") == {
        "d": {"x": 1}, "e": {"x": 2}, "f": {"x": 3}}


# --- CLI ------------------------------------------------------------------------------------


def test_cli_validate_error_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _posts(tmp_path, [*GOOD, "p3,facebook,2026-10-03,image,10,5,-3,0,0"])
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "acme.yaml").write_text(yaml.safe_dump(BASE))
    code = main(["validate", "--client", "acme", "--data-dir", str(tmp_path / "data"),
                 "--parameters-dir", str(tmp_path / "parameters")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: ") and "column 'likes' row 4: must be >= 0 (got -3)" in err


def test_cli_validate_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _posts(tmp_path, GOOD)
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "acme.yaml").write_text(yaml.safe_dump(BASE))
    code = main(["validate", "--client", "acme", "--data-dir", str(tmp_path / "data"),
                 "--parameters-dir", str(tmp_path / "parameters")])
    out = capsys.readouterr().out
    assert code == 0 and "acme: ok" in out and "posts" in out and "2 rows" in out


def test_cli_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_data_dir_may_be_an_fsspec_url(tmp_path: Path) -> None:
    """Workers on other machines read the same data from s3://, gs://...; memory:// stands in here."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/kpi-test/acme/posts.csv", ("\n".join([HEADER, *GOOD]) + "\n").encode())
    part = pd.DataFrame({"mention_id": ["a", "b"], "published_at": pd.to_datetime(["2026-09-03", "2026-10-04"], utc=True),
                         "source": ["x", "x"], "brand": ["Acme", "Acme"]})
    with fs.open("/kpi-test/acme/mentions.parquet", "wb") as f:
        part.to_parquet(f, index=False)
    data = load_client("acme", data_dir="memory://kpi-test")
    assert len(data.posts) == 2 and len(data.mentions) == 2
    assert data.sources["posts"].name == "posts.csv"
    with pytest.raises(UnknownClientError, match=r"clients with data: acme"):
        load_client("acne", data_dir="memory://kpi-test")
    fs.pipe("/kpi-test/bad/posts.csv", ("\n".join([HEADER, "p1,x,2026-10-01,text,1,1,-1,0,0"]) + "\n").encode())
    with pytest.raises(DataValidationError, match=r"memory://kpi-test/bad/posts.csv: column 'likes' row 2"):
        load_client("bad", data_dir="memory://kpi-test")


@pytest.mark.parametrize(("first", "chosen", "pool"), [
    ("", None, "system"),  # pyarrow's C++ internals too (set before pyarrow is imported)
    ("pyarrow, ", None, "system"),  # pyarrow imported first: at least what Python allocates
    ("", "mimalloc", "mimalloc"),  # the user's choice stays
])
def test_arrow_pool_gives_memory_back(first: str, chosen: str | None, pool: str) -> None:
    """kpi_toolkit moves Arrow off mimalloc, which kept ~230 MB of freed pages after loading 10 M
    mentions, unless ARROW_DEFAULT_MEMORY_POOL says otherwise."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    code = f"import {first}kpi_toolkit.data, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == pool


def test_a_count_column_with_blanks_shows_its_numbers_as_written() -> None:
    """A blank cell makes a count column float in pandas; messages still quote 37088, not 37088.0."""
    import numpy as np

    from kpi_toolkit.data import _examples

    values = pd.Series([37088.0, np.nan, 12.5, 3.0])
    assert _examples(values, values.notna()) == [37088, 12.5, 3]


# --- audit fixes: each bad input gets one line naming file, column, row and rule ------------------

def test_a_column_named_twice_in_the_header_is_refused(tmp_path: Path) -> None:
    header = HEADER + ",likes"
    msg = _err(tmp_path, [r + ",9" for r in GOOD], header=header)
    assert msg.endswith("posts.csv: column 'likes' row 1: appears twice in the header (columns 7 and 10); "
                        "rename or remove one, or its values would be dropped")
    # a Parquet file with two columns of one name says the same, without a row
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.Table.from_arrays([pa.array(["u1"]), pa.array(["2026-10-01"]), pa.array([1.0]), pa.array([2.0])],
                             names=["user_id", "timestamp", "value", "value"])
    pq.write_table(t, tmp_path / "conversions.parquet")
    with pytest.raises(DataValidationError) as exc:
        load_table(tmp_path / "conversions.parquet", "conversions")
    assert str(exc.value).endswith("conversions.parquet: column 'value': appears twice in the header "
                                   "(columns 3 and 4); rename or remove one, or its values would be dropped")


def test_more_bounces_than_sessions_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "data" / "acme"
    d.mkdir(parents=True)
    (d / "web.csv").write_text("date,source,sessions,bounces\n2026-10-01,facebook,231,122\n"
                               "2026-10-02,facebook,231,905\n2026-10-03,x,10,\n")
    with pytest.raises(DataValidationError) as exc:
        load_client("acme", data_dir=tmp_path / "data")
    assert str(exc.value).endswith(
        "web.csv: column 'bounces' row 3: more bounces than sessions (a bounce is a single-page session, "
        "so a bounce rate above 100 % is impossible) (got 905)")


def test_more_clicks_than_impressions_warns_and_keeps(tmp_path: Path) -> None:
    d = tmp_path / "data" / "acme"
    d.mkdir(parents=True)
    (d / "ads.csv").write_text("date,platform,campaign,spend,impressions,clicks,conversions\n"
                               "2026-10-01,facebook,a,10.0,2974,18,0\n2026-10-02,facebook,a,10.0,100,868,0\n")
    _posts(tmp_path, [*GOOD], header=HEADER)
    (d / "posts.csv").write_text(HEADER + ",clicks\n" + GOOD[0] + ",120\n" + GOOD[1] + ",3\n")
    data = load_client("acme", data_dir=tmp_path / "data")
    assert len(data.ads) == 2 and len(data.posts) == 2
    assert [(w.check, w.column, w.rows, w.file.rsplit("/", 1)[1]) for w in data.warnings] == [
        ("clicks_le_impressions", "clicks", [2], "posts.csv"), ("clicks_le_impressions", "clicks", [3], "ads.csv")]
    assert data.warnings[1].endswith(
        "ads.csv: column 'clicks' row 3: more clicks than impressions (a click-through rate above 100 %; "
        "some platforms count several clicks per impression; kept, but check the export) (got 868)")
    # more likes than reach is not a quirk: engagements may come from people the reach did not count
    _posts(tmp_path, ["p1,facebook,2026-10-01T10:00:00Z,image,100,80,95,1,0"])
    assert load_client("acme", data_dir=tmp_path / "data", tables=["posts"]).warnings == []


@pytest.mark.parametrize("value", ["99999999999999999999999", "-99999999999999999999999", "9007199254740992"])
def test_a_count_too_large_says_so(tmp_path: Path, value: str) -> None:
    msg = _err(tmp_path, [*GOOD, f"p3,x,2026-10-03,text,10,{value},1,0,0"])
    assert msg.endswith(f"posts.csv: column 'reach' row 4: too large for a count (at most 9,007,199,254,740,991) "
                        f"(got {value!r})")
    ok = _posts(tmp_path, [*GOOD, "p3,x,2026-10-03,text,9007199254740991,9007199254740991,1,0,0"])
    assert load_table(ok, "posts")["reach"].iloc[2] == 9007199254740991


def test_an_infinite_amount_is_refused(tmp_path: Path) -> None:
    df = pd.DataFrame({"user_id": ["u1", "u2"], "timestamp": ["2026-10-01", "2026-10-02"], "value": ["1.5", "inf"]})
    with pytest.raises(DataValidationError, match=r"column 'value' row 3: must be a finite number \(got 'inf'\)$"):
        validate_frame(df, "conversions")


def test_rows_dated_in_the_future_warn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kpi_toolkit.data as data_mod

    monkeypatch.setattr(data_mod, "today_utc", lambda: pd.Timestamp("2026-12-05"))
    rows = [*GOOD, "p3,x,2062-12-01T10:00:00Z,text,10,5,1,0,0", "p4,x,2026-12-06T23:00:00Z,text,10,5,1,0,0",
            "p5,x,2026-12-07T00:00:00Z,text,10,5,1,0,0"]
    _posts(tmp_path, rows)
    _audience(tmp_path, ["2026-12-05", "2026-12-06", "2027-01-01"])
    data = load_client("acme", data_dir=tmp_path / "data")
    assert len(data.posts) == 5 and len(data.audience) == 3  # kept
    assert [str(w).split(": ", 1)[1] for w in data.warnings] == [
        "column 'published_at' row 4, 6: dated in the future, after 2026-12-06 (tomorrow in UTC); kept, but "
        "check the date (a scheduled post?) (got '2062-12-01 10:00', '2026-12-07 00:00')",
        "column 'date' row 4: dated in the future, after 2026-12-06 (tomorrow in UTC); kept, but check the "
        "date (got '2027-01-01')"]
    assert {w.check for w in data.warnings} == {"not_in_future"}
    # posts placed by a month alone
    df = pd.DataFrame({"post_id": ["a", "b"], "platform": ["facebook"] * 2, "published_at": [None, None],
                       "content_type": ["image"] * 2, "impressions": [1, 1], "reach": [1, 1], "likes": [0, 0],
                       "comments": [0, 0], "shares": [0, 0], "published_month": ["2026-12", "2062-12"]})
    _, warns = validate_frame(df, "posts")
    assert [(w.column, w.rows) for w in warns] == [("published_month", [3])]


MENTIONS = "mention_id,published_at,source,brand,needs_response,responded_at"


def _mentions(tmp_path: Path, rows: list[str]) -> Path:
    d = tmp_path / "data" / "acme"
    d.mkdir(parents=True, exist_ok=True)
    (d / "mentions.csv").write_text("\n".join([MENTIONS, *rows]) + "\n", encoding="utf-8")
    return d / "mentions.csv"


def test_a_response_dated_in_the_future_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """responded_at had no future check while published_at had one (a year typed 2062 for 2026)."""
    import kpi_toolkit.data as data_mod

    monkeypatch.setattr(data_mod, "today_utc", lambda: pd.Timestamp("2026-12-05"))
    _mentions(tmp_path, ["m1,2026-12-01T10:00:00Z,x,Acme,true,2026-12-01T11:30:00Z",
                         "m2,2026-12-02T09:00:00Z,x,Acme,true,2062-12-02T10:00:00Z",
                         "m3,2026-12-03T09:00:00Z,x,Acme,false,"])
    data = load_client("acme", data_dir=tmp_path / "data")
    assert len(data.mentions) == 3  # kept
    assert [str(w).split(": ", 1)[1] for w in data.warnings] == [
        "column 'responded_at' row 3: dated in the future, after 2026-12-06 (tomorrow in UTC); kept, but check "
        "the date (got '2062-12-02 10:00')"]
    assert [(w.check, w.column, w.rows) for w in data.warnings] == [("not_in_future", "responded_at", [3])]


def test_a_response_dated_before_its_mention_is_refused(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A response 2 hours before its mention (responded_at written in Helsinki time without an offset, read
    as UTC) had gone into the median response time as -1.5 hours; the model refuses it as it refuses more
    bounces than sessions, naming the file, column, row and rule."""
    path = _mentions(tmp_path, ["m1,2026-10-01T10:00:00Z,x,Acme,true,2026-10-01T10:45:00Z",
                                "m2,2026-10-01T12:00:00Z,x,Acme,true,2026-10-01T10:30:00",
                                "m3,2026-10-02T09:00:00Z,x,Acme,true,",
                                "m4,2026-10-02T09:00:00Z,x,Acme,true,2026-10-02T09:00:00Z"])  # same minute: fine
    with pytest.raises(DataValidationError) as exc:
        load_client("acme", data_dir=tmp_path / "data")
    assert str(exc.value) == (
        f"{path}: column 'responded_at' row 3: a response dated before its mention (responded_at is earlier than "
        "published_at, and a brand cannot answer a mention before it was posted; check that both times are in "
        "the same time zone) (got '2026-10-01 10:30:00')")
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "acme.yaml").write_text(yaml.safe_dump(BASE))
    rc = main(["validate", "--client", "acme", "--data-dir", str(tmp_path / "data"), "--parameters-dir",
               str(tmp_path / "parameters")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: ") and "column 'responded_at' row 3: a response dated before its mention" in err
    _mentions(tmp_path, ["m1,2026-10-01T10:00:00Z,x,Acme,true,2026-10-01T10:45:00Z",
                         "m3,2026-10-02T09:00:00Z,x,Acme,true,", "m4,2026-10-02T09:00:00Z,x,Acme,true,"
                         "2026-10-02T09:00:00Z"])
    assert len(load_client("acme", data_dir=tmp_path / "data").mentions) == 3


def test_the_demo_data_is_not_in_the_future() -> None:
    repo = Path(__file__).resolve().parents[1]
    for client in ("demo-lumiere", "demo-ledgerly", "demo-trailhead"):
        if (repo / "data" / client).is_dir():
            assert load_client(client, data_dir=repo / "data", tables=["posts", "ads", "web"]).warnings == []


@pytest.mark.parametrize(("text", "rule"), [
    ("2024-02-30T14:31:35Z", "no such date (February 2024 has 29 days)"),
    ("2026-02-29", "no such date (February 2026 has 28 days)"),
    ("2026-04-31 10:00", "no such date (April 2026 has 30 days)"),
    ("2026-13-01T10:00", "no such date (there is no month 13; months go 01 to 12)"),
    ("2026-10-02T25:00", "no such time of day (hours go 00 to 23, minutes and seconds 00 to 59)"),
])
def test_an_iso_time_that_does_not_exist_says_why(text: str, rule: str) -> None:
    df = pd.DataFrame({"user_id": ["u1", "u2"], "timestamp": ["2026-10-01T00:00:00Z", text], "channel": ["x", "x"]})
    with pytest.raises(DataValidationError) as exc:
        validate_frame(df, "touchpoints", source="data/acme/touchpoints.csv")
    assert str(exc.value) == f"data/acme/touchpoints.csv: column 'timestamp' row 3: {rule} (got {text!r})"


@pytest.mark.parametrize(("day", "rule"), [
    ("2026-02-30", "no such date (February 2026 has 28 days)"),
    ("2026-13-01", "no such date (there is no month 13; months go 01 to 12)"),
    ("2026-10-00", "no such date (October 2026 has 31 days)"),
])
def test_a_day_that_does_not_exist_says_why(tmp_path: Path, day: str, rule: str) -> None:
    path = _audience(tmp_path, ["2026-10-01", "2026-10-02", day])
    with pytest.raises(DataValidationError) as exc:
        load_table(path, "audience")
    assert str(exc.value) == f"{path}: column 'date' row 4: {rule} (got {day!r})"


def _xlsx_bytes() -> bytes:
    import zipfile

    buf = __import__("io").BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def test_an_excel_workbook_is_named_never_passed_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "data" / "acme"
    d.mkdir(parents=True)
    (d / "posts.xlsx").write_bytes(_xlsx_bytes())
    with pytest.raises(DataValidationError) as exc:
        load_client("acme", data_dir=tmp_path / "data")
    assert str(exc.value) == (f"{d / 'posts.xlsx'}: an Excel workbook; save it as CSV (UTF-8) named posts.csv "
                              "(a platform's export: `kpi import` reads workbooks)")
    # a workbook renamed posts.csv, and one renamed posts.parquet
    (d / "posts.xlsx").rename(d / "posts.csv")
    with pytest.raises(DataValidationError) as exc:
        load_client("acme", data_dir=tmp_path / "data")
    assert str(exc.value) == (f"{d / 'posts.csv'}: an Excel workbook, not CSV text; save it as CSV (UTF-8) "
                              "named posts.csv (a platform's export: `kpi import` reads workbooks)")
    (d / "posts.csv").rename(d / "posts.parquet")
    with pytest.raises(DataValidationError) as exc:
        load_client("acme", data_dir=tmp_path / "data")
    assert str(exc.value).startswith(f"{d / 'posts.parquet'}: an Excel workbook; save it as CSV (UTF-8)")
    # the CLI: one line, exit 2
    (d / "posts.parquet").rename(d / "posts.xlsx")
    params = tmp_path / "parameters"
    params.mkdir()
    (params / "acme.yaml").write_text("client: acme\ndisplay_name: Acme\ntimezone: UTC\ncurrency: EUR\n"
                                      "industry: beauty\nbrand: Acme\n")
    rc = main(["validate", "--client", "acme", "--data-dir", str(tmp_path / "data"),
               "--parameters-dir", str(params)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "posts.xlsx: an Excel workbook" in err


def test_two_files_for_one_table_are_refused(tmp_path: Path) -> None:
    path = _posts(tmp_path, GOOD)
    write_table(load_table(path, "posts"), path.with_suffix(".parquet"))
    with pytest.raises(DataValidationError) as exc:
        load_client("acme", data_dir=tmp_path / "data")
    assert str(exc.value) == (f"{path.parent}: posts.parquet and posts.csv both hold the posts table; keep one "
                              "(the loader does not choose: the other may be an older copy)")
    path.with_suffix(".parquet").unlink()
    (path.parent / "posts" / "month=2026-10").mkdir(parents=True)
    write_table(load_table(path, "posts"), path.parent / "posts" / "month=2026-10" / "part-0.parquet")
    with pytest.raises(DataValidationError, match=r"posts/ and posts.csv both hold the posts table; keep one"):
        load_client("acme", data_dir=tmp_path / "data")


@pytest.mark.parametrize(("content", "rule"), [
    (b"user_id,timestamp,value\nu1,2026-10-01,1\n", "not a Parquet file (or a damaged one): it holds text "
                                                   "(a CSV file named .parquet?)"),
    (b"PAR1\x00\x01\x02garbage\x00", "not a Parquet file (or a damaged one)"),
    (b"", "not a Parquet file (or a damaged one): the file is empty"),
])
def test_a_file_that_is_not_parquet_says_so(tmp_path: Path, content: bytes, rule: str) -> None:
    path = tmp_path / "conversions.parquet"
    path.write_bytes(content)
    with pytest.raises(DataValidationError) as exc:
        load_table(path, "conversions")
    assert str(exc.value) == f"{path}: {rule}"
    assert "magic bytes" not in str(exc.value)


def test_a_rule_broken_on_many_rows_counts_them_all() -> None:
    """The model keeps six row numbers, not all of them: the message had said "(+1 more)" for 12 rows."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bad = [f"q{i},x,2026-10-03,text,10,5,-1,0,0" for i in range(12)]
        msg = _err(Path(tmp), [*GOOD, *bad])
    assert "column 'likes' row 4, 5, 6, 7, 8 (+7 more): must be >= 0" in msg, msg


def test_more_video_completions_than_views_warns_and_keeps(tmp_path: Path) -> None:
    """A completion rate above 100 % (video_completions > video_views) is flagged, not passed silently."""
    _posts(tmp_path, [GOOD[0] + ",50,40", GOOD[1] + ",10,30"], header=HEADER + ",video_views,video_completions")
    data = load_client("acme", data_dir=tmp_path / "data")
    assert len(data.posts) == 2
    assert [(w.check, w.column, w.rows) for w in data.warnings] == [("completions_le_views", "video_completions", [3])]
    assert "more video completions than views (a completion rate above 100 %" in data.warnings[0]


def test_data_locations_are_checked_before_anything_runs(tmp_path: Path) -> None:
    """file:// URLs were read as a relative folder 'file:/…'; s3:// without s3fs and unknown schemes
    crashed after every kernel had started; memory:// passed the plan and failed every report."""
    from kpi_toolkit.data import data_location
    from kpi_toolkit.exceptions import KpiToolkitError

    assert data_location(f"file://{tmp_path}") == tmp_path
    assert data_location(str(tmp_path)) == tmp_path
    assert data_location("memory://data") == "memory://data"
    with pytest.raises(KpiToolkitError, match=r"^--data-dir memory://data: memory:// lives inside one process"):
        data_location("memory://data", kernels=True)
    with pytest.raises(KpiToolkitError, match=r"^--data-dir foo://x: unknown scheme 'foo'"):
        data_location("foo://x")
    # s3fs is a dev dependency (tests/test_s3.py reads from a local S3 server); gcsfs is not installed
    assert data_location("s3://bucket/data", readable=False) == "s3://bucket/data"
    with pytest.raises(KpiToolkitError, match=r"reading gs:// needs the gcsfs package \(pip install gcsfs"):
        data_location("gs://bucket/data")
    # credentials in the URL would be written into every notebook and manifest: refused, never echoed
    for url in ("s3://AKIAKEY:s3cr3t@bucket/data", "s3://AKIAKEY@bucket/data"):
        with pytest.raises(KpiToolkitError, match=r"^--data-dir: a URL with credentials in it") as err:
            data_location(url)
        assert "s3cr3t" not in str(err.value) and "AKIAKEY" not in str(err.value)
