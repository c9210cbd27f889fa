"""kpi import: presets, reading, conversion, merging, archive and log.

Reference values: the UCI "Facebook metrics" file (Moro, Rita & Vala 2016,
doi:10.1016/j.jbusres.2016.02.010; ../shared/data/facebook_metrics/dataset_Facebook.csv), with every
expected figure computed by hand with pandas from the raw file (read with ``sep=';'``). The small
fixtures in tests/fixtures/importers/ were written by hand from each export's documented column
names (see docs/importers.md); their expected values are read off the fixture lines.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.cli import main
from kpi_toolkit.data import load_client
from kpi_toolkit.exceptions import DataValidationError, ImportFormatError, KpiToolkitError
from kpi_toolkit.importers import convert, import_export, list_presets, load_preset, read_export
from kpi_toolkit.schema import TABLES

FIX = Path(__file__).resolve().parent / "fixtures" / "importers"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "importers.md"
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
TYPES = {"Photo": "image", "Status": "text", "Link": "link", "Video": "video"}
FIXTURES = {  # one hand-written fixture per preset
    "facebook_insights": "facebook_insights_small.csv", "meta_ads_manager": "meta_ads_manager.csv",
    "linkedin_posts": "linkedin_posts.csv", "tiktok": "tiktok.csv", "youtube_studio": "youtube_table_data.csv",
    "x_post_analytics": "x_post_analytics.csv", "ga4_traffic_acquisition": "ga4_traffic_acquisition.csv",
    "listening_generic": "listening_generic.csv",
}


def _imp(fmt: str | Path, file: Path, root: Path, client: str = "acme", **kw: object):  # noqa: ANN202
    kw.setdefault("now", NOW)
    return import_export(fmt, file, client=client, data_dir=root / "data",
                         parameters_dir=root / "parameters", **kw)


def _err(fn, *args: object, **kw: object) -> str:  # noqa: ANN001
    with pytest.raises(KpiToolkitError) as e:
        fn(*args, **kw)
    return str(e.value)


def _copy(tmp_path: Path, name: str, edit=None, *, encoding: str = "utf-8") -> Path:  # noqa: ANN001
    text = (FIX / name).read_bytes().decode("utf-8")
    if edit is not None:
        text = edit(text)
    out = tmp_path / name
    out.write_bytes(text.encode(encoding))
    return out


# ------------------------------------------------------------------------------------------------
# the real file: UCI Facebook metrics


@pytest.fixture(scope="module")
def uci_file() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "facebook_metrics" / "dataset_Facebook.csv"
    if not path.is_file():
        pytest.skip(f"UCI Facebook metrics file not found at {path} (the repo's sibling folder shared/)")
    return path


@pytest.fixture(scope="module")
def uci_raw(uci_file: Path) -> pd.DataFrame:
    return pd.read_csv(uci_file, sep=";")


@pytest.fixture(scope="module")
def uci_import(uci_file: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("uci")
    before = hashlib.sha256(uci_file.read_bytes()).hexdigest()
    res = _imp("facebook_insights", uci_file, root, year=2014)
    return root, res, before


def test_uci_round_trip_keeps_every_row(uci_import, uci_raw: pd.DataFrame) -> None:  # noqa: ANN001
    root, res, _ = uci_import
    rep = res.report
    assert (rep.rows_read, rep.rows_kept, rep.rejected, rep.skipped, rep.added) == (500, 500, [], [], 500)
    posts = load_client("acme", data_dir=root / "data").posts
    assert len(posts) == 500 and posts["post_id"].is_unique
    # Type counts of the UCI file (Photo 426 / Status 45 / Link 22 / Video 7), mapped to content_type
    assert posts["content_type"].value_counts().to_dict() == {"image": 426, "text": 45, "link": 22, "video": 7}
    assert uci_raw["Type"].map(TYPES).tolist() == posts["content_type"].tolist()
    assert (posts["platform"] == "facebook").all()
    assert posts["followers_at_post"].tolist() == uci_raw["Page total likes"].tolist()
    assert posts["reach"].tolist() == uci_raw["Lifetime Post Total Reach"].tolist()
    assert posts["impressions"].tolist() == uci_raw["Lifetime Post Total Impressions"].tolist()
    assert posts["comments"].tolist() == uci_raw["comment"].tolist()
    # no day of month: published_at blank, month/weekday/hour kept; the year is the one given
    assert posts["published_at"].isna().all()
    assert posts["published_month"].tolist() == [f"2014-{m:02d}" for m in uci_raw["Post Month"]]
    assert posts["published_weekday"].tolist() == [(c + 5) % 7 for c in uci_raw["Post Weekday"]]
    assert posts["published_hour"].tolist() == uci_raw["Post Hour"].tolist()
    # Lifetime Engaged Users kept as an extra column, not forced into likes + comments + shares
    assert posts["engaged_users"].astype(int).tolist() == uci_raw["Lifetime Engaged Users"].tolist()
    assert posts["post_weekday_code"].astype(int).tolist() == uci_raw["Post Weekday"].tolist()


def test_uci_blank_cells_stay_missing_and_are_reported(uci_import, uci_raw: pd.DataFrame) -> None:  # noqa: ANN001
    root, res, _ = uci_import
    # rows are file lines: header = line 1, so pandas index i is line i + 2
    expected = {c: [int(i) + 2 for i in np.flatnonzero(uci_raw[c].isna())] for c in ("like", "share", "Paid")}
    assert expected == {"like": [113], "share": [113, 122, 126, 166], "Paid": [501]}
    assert {c: v["rows"] for c, v in res.report.blank_cells.items()} == expected
    assert {c: v["count"] for c, v in res.report.blank_cells.items()} == {"like": 1, "share": 4, "Paid": 1}
    posts = load_client("acme", data_dir=root / "data").posts
    assert posts["likes"].isna().sum() == 1 and posts["shares"].isna().sum() == 4
    assert posts["paid"].isna().sum() == 1 and int(posts["paid"].sum()) == int(uci_raw["Paid"].sum()) == 139
    assert not (posts["likes"] == 0).iloc[111] and pd.isna(posts["likes"].iloc[111])
    txt = res.log_txt.read_text()
    assert "like " in txt and "row 113" in txt and "rows 113, 122, 126, 166" in txt and "row 501" in txt
    # Total Interactions = comment + like + share was checked on the 496 complete rows
    assert any(c.startswith("ok: Total Interactions = comment + like + share on 496 rows") for c in res.report.checks)


def test_uci_reports_what_the_export_limits(uci_import) -> None:  # noqa: ANN001
    rep = uci_import[1].report
    text = " | ".join(rep.limits)
    assert "no day of month: daily trend" in text and "anomaly and change-point detection are unavailable" in text
    assert "weekday × hour segmentation is available" in text
    assert "1 post(s) lack likes" in text and "4 post(s) lack shares" in text
    assert any("a year" in x and "--year" in x for x in rep.lacks)


def test_uci_kpis_match_pandas_by_hand(uci_import, uci_raw: pd.DataFrame) -> None:  # noqa: ANN001
    from kpi_toolkit.kpis import compute_kpis

    root, _, _ = uci_import
    data = load_client("acme", data_dir=root / "data")
    raw = uci_raw.assign(content_type=uci_raw["Type"].map(TYPES),
                         eng=uci_raw["comment"] + uci_raw["like"] + uci_raw["share"])
    # a post with a blank like or share has no engagement count: left out of numerator and denominator
    full = raw.dropna(subset=["like", "share"])
    g = full.groupby("content_type")
    hand_er = g["eng"].sum() / g["Lifetime Post Total Reach"].sum()
    hand_pp = g["eng"].sum() / g.size()
    # the identity checked on import: the same sums from Total Interactions
    assert (g["Total Interactions"].sum() == g["eng"].sum()).all()
    got = compute_kpis(data, ["engagement_rate_by_reach", "engagements_per_post"], by=["content_type"])
    got = got.set_index("content_type")
    for t in ("image", "text", "link", "video"):
        assert got.loc[t, "engagement_rate_by_reach"] == pytest.approx(hand_er[t], rel=1e-12)
        assert got.loc[t, "engagements_per_post"] == pytest.approx(hand_pp[t], rel=1e-12)
    # by paid: the post with a blank Paid is left out of the split
    fp = full.dropna(subset=["Paid"]).groupby("Paid")
    hand_paid = fp["eng"].sum() / fp.size()
    got_p = compute_kpis(data, ["engagements_per_post"], by=["paid"]).set_index("paid")
    assert got_p.loc[True, "engagements_per_post"] == pytest.approx(hand_paid[1.0], rel=1e-12)
    assert got_p.loc[False, "engagements_per_post"] == pytest.approx(hand_paid[0.0], rel=1e-12)
    # a figure to read in the report: photos, 2014
    assert hand_pp["image"] == pytest.approx(g["eng"].sum()["image"] / g.size()["image"])


def test_uci_weekday_coding_is_sunday_first(uci_raw: pd.DataFrame) -> None:
    """Why the preset maps Post Weekday 1 to Sunday.

    The file lists posts newest first (Page total likes falls from 139441 in December to 81370 in
    January). Walking the rows and giving each the latest date that is not after the previous row's,
    lies in the row's stated month of 2014 and falls on the coded weekday, only the coding
    1 = Sunday places every one of the 500 posts; every other coding runs out of days in some month.
    """
    assert uci_raw["Page total likes"].iloc[0] > uci_raw["Page total likes"].iloc[-1]
    fits = {}
    for k in range(7):  # code 1 is Python weekday k (0 = Monday ... 6 = Sunday)
        prev, misplaced = None, 0
        for code, month in zip(uci_raw["Post Weekday"], uci_raw["Post Month"], strict=True):
            end = dt.date(2014, month, calendar.monthrange(2014, month)[1])
            d = end if prev is None else min(end, prev)
            while d.weekday() != (code - 1 + k) % 7:
                d -= dt.timedelta(days=1)
            misplaced += d.month != month
            prev = d
        fits[calendar.day_name[k]] = misplaced
    assert fits["Sunday"] == 0
    assert all(n > 0 for day, n in fits.items() if day != "Sunday")
    preset = load_preset("facebook_insights")
    wd = next(m for m in preset.columns if m.to == "published_weekday")
    assert wd.values["1"] == 6 and wd.values["2"] == 0   # Sunday -> 6, Monday -> 0 in the data model


def test_uci_reimport_is_idempotent_and_export_untouched(uci_import, uci_file: Path) -> None:  # noqa: ANN001
    root, first, before = uci_import
    again = _imp("facebook_insights", uci_file, root, year=2014,
                 now=NOW + dt.timedelta(hours=1))
    assert (again.report.added, again.report.unchanged, again.report.table_rows) == (0, 500, 500)
    assert again.report.previously_imported == first.report.archived_as
    assert len(load_client("acme", data_dir=root / "data").posts) == 500
    imports = root / "data" / "acme" / "imports"
    copies = [p for p in imports.iterdir() if not p.name.endswith((".log.json", ".log.txt"))]
    assert len(copies) == 1 and copies[0].read_bytes() == uci_file.read_bytes()
    assert hashlib.sha256(uci_file.read_bytes()).hexdigest() == before
    logs = sorted(imports.glob("*.log.json"))
    assert len(logs) == 2
    log = json.loads(logs[0].read_text())
    assert (log["rows_read"], log["rows_kept"], log["rejected"]) == (500, 500, [])
    assert log["sha256"] == before and log["archive_name"] == copies[0].name


# ------------------------------------------------------------------------------------------------
# year, months, merging


def test_year_is_required_and_never_guessed(tmp_path: Path) -> None:
    msg = _err(_imp, "facebook_insights", FIX / "facebook_insights_small.csv", tmp_path)
    assert "facebook_insights_small.csv: the 'facebook_insights' export has no year (only 'Post Month'); " \
           "pass --year YYYY (the importer never guesses it)" in msg
    assert not (tmp_path / "data").exists()


def test_year_refused_for_exports_with_dates(tmp_path: Path) -> None:
    msg = _err(_imp, "tiktok", FIX / "tiktok.csv", tmp_path, year=2026)
    assert "--year is only for exports without a year; 'tiktok' has full dates" in msg


def test_new_month_appends(tmp_path: Path) -> None:
    a = _imp("facebook_insights", FIX / "facebook_insights_small.csv", tmp_path, year=2026)
    b = _imp("facebook_insights", FIX / "facebook_insights_next_month.csv", tmp_path, year=2026)
    assert (a.report.added, b.report.added, b.report.table_rows) == (5, 2, 7)
    posts = load_client("acme", data_dir=tmp_path / "data").posts
    assert posts["published_month"].value_counts().to_dict() == {"2026-03": 4, "2026-02": 1, "2026-04": 2}
    # the same file again adds nothing
    c = _imp("facebook_insights", FIX / "facebook_insights_next_month.csv", tmp_path, year=2026)
    assert (c.report.added, c.report.unchanged) == (0, 2)


@pytest.mark.parametrize("fmt, table, rows", [("ga4_traffic_acquisition", "web", 4),
                                              ("meta_ads_manager", "ads", 4)])
def test_a_second_import_into_a_daily_table_merges(tmp_path: Path, fmt: str, table: str, rows: int) -> None:
    """A table keyed by a day (web, ads) took its first import only: the second, of the same file or
    of the next days, was refused with 'data/acme/web.csv: column 'date' row 2, 3, 4, 5: must be a
    calendar day without a time ... (got '2026-10-01 00:00:00', ...)', blaming the stored file,
    which was fine (the merged days had been handed to validation as texts with a time)."""
    first = _imp(fmt, FIX / FIXTURES[fmt], tmp_path).report
    assert first.added == rows
    again = _imp(fmt, FIX / FIXTURES[fmt], tmp_path).report
    assert (again.added, again.unchanged, again.table_rows) == (0, rows, rows)
    later = _copy(tmp_path, FIXTURES[fmt], lambda t: t.replace("20261002", "20261003").replace("2026-10-02", "2026-10-03"))
    nxt = _imp(fmt, later, tmp_path).report
    assert nxt.added >= 1 and nxt.table_rows == rows + nxt.added
    stored = getattr(load_client("acme", data_dir=tmp_path / "data"), table)
    assert stored["date"].dt.strftime("%Y-%m-%d").max() == "2026-10-03"
    text = (tmp_path / "data" / "acme" / f"{table}.csv").read_text(encoding="utf-8")
    assert "00:00:00" not in text  # days stay written as days


def test_conflicting_values_for_a_stored_key(tmp_path: Path) -> None:
    _imp("x_post_analytics", FIX / "x_post_analytics.csv", tmp_path)
    newer = _copy(tmp_path, "x_post_analytics.csv", lambda t: t.replace('"21.0"', '"25.0"'))
    msg = _err(_imp, "x_post_analytics", newer, tmp_path)
    # the export's column and row; the values as the table writes them (the export says "21.0")
    assert "1 row(s) have a key already in" in msg and "1840000000000000001 row 2: 'likes' 21 -> 25" in msg
    assert "--on-conflict replace" in msg
    kept = _imp("x_post_analytics", newer, tmp_path, on_conflict="keep")
    assert kept.report.kept_stored == 1
    assert load_client("acme", data_dir=tmp_path / "data").posts["likes"].tolist() == [21, 48]
    rep = _imp("x_post_analytics", newer, tmp_path, on_conflict="replace")
    assert rep.report.replaced == 1
    assert load_client("acme", data_dir=tmp_path / "data").posts["likes"].tolist() == [25, 48]


def test_on_conflict_keep_reports_only_the_rows_it_wrote(tmp_path: Path) -> None:
    """--on-conflict keep leaves the stored row as it was: the report's warnings, blank cells and
    analyses must not describe the export's discarded row (here line 2, with impressions cut to 20
    under 31 url clicks and a blank like), and one line says how many rows were kept as stored."""
    _imp("x_post_analytics", FIX / "x_post_analytics.csv", tmp_path)
    newer = _copy(tmp_path, "x_post_analytics.csv",
                  lambda t: t.replace('"2310.0"', '"20.0"').replace('"21.0"', '"-"'))
    res = _imp("x_post_analytics", newer, tmp_path, on_conflict="keep")
    rep = res.report
    assert (rep.kept_stored, rep.unchanged, rep.added) == (1, 1, 0)
    # the stored row is untouched: impressions 2310, likes 21
    posts = load_client("acme", data_dir=tmp_path / "data").posts
    assert posts["impressions"].tolist() == [2310, 5120] and posts["likes"].tolist() == [21, 48]
    text = rep.to_text()
    assert "url clicks" not in text and "larger than 'impressions'" not in text  # row 2 was not written
    assert "likes" not in rep.blank_cells and "blank cells" not in text
    assert not any("lack likes" in x for x in rep.limits)
    # the format warning is about row 3 only (present as the export says), not the discarded row 2
    [fmt] = [w for w in rep.warnings if "content_type" in w]
    assert "row 3:" in fmt and "row 2" not in fmt
    assert rep.kept_stored_rows == ["2"]
    assert ("  kept as stored  1 row already in the table with other values was left as it was "
            "(--on-conflict keep); the export's row 2 was not written and is left out of what "
            "follows") in text.splitlines()
    # the log says the same
    log = json.loads(res.log_json.read_text(encoding="utf-8"))
    assert log["kept_stored_rows"] == ["2"] and not any("url clicks" in w for w in log["warnings"])


def test_on_conflict_replace_keeps_stored_columns_the_export_lacks(tmp_path: Path) -> None:
    """A later export without 'Tweet text', 'detail expands' and 'media views' replaces a row's
    likes; the row's stored text, detail expands and media views are not in that export and stay
    (they had been blanked)."""
    _imp("x_post_analytics", FIX / "x_post_analytics.csv", tmp_path)

    def narrower(t: str) -> str:
        rows = [line.split('","') for line in t.strip("\n").split("\n")]
        drop = {rows[0].index(c) for c in ("Tweet text", "detail expands", "media views")}
        return "\n".join('","'.join(c for i, c in enumerate(r) if i not in drop) for r in rows) + "\n"

    newer = _copy(tmp_path, "x_post_analytics.csv", lambda t: narrower(t.replace('"21.0"', '"25.0"')))
    rep = _imp("x_post_analytics", newer, tmp_path, on_conflict="replace").report
    assert (rep.replaced, rep.unchanged) == (1, 1)
    posts = load_client("acme", data_dir=tmp_path / "data").posts
    assert posts["likes"].tolist() == [25, 48]  # the export's value
    assert posts["text"].fillna("blank").tolist() == ["Month-end close in 3 days, not 10",
                                                      "Webinar on Oct 20: sign up"]
    assert posts[["detail_expands", "media_views"]].fillna("blank").to_numpy().tolist() == [["17", "0"], ["30", "120"]]


def test_a_fuller_export_of_stored_rows_is_not_taken_for_already_present(tmp_path: Path) -> None:
    """The table was made from an export without 'Tweet text'; the full export of the same posts
    has their text. It had been counted '2 already present' and the text dropped without a word; the
    text is a value the table does not hold, so it is a conflict like a blank stored cell, and
    --on-conflict replace brings the text in."""
    def narrower(t: str) -> str:
        rows = [line.split('","') for line in t.strip("\n").split("\n")]
        drop = rows[0].index("Tweet text")
        return "\n".join('","'.join(c for i, c in enumerate(r) if i != drop) for r in rows) + "\n"

    (tmp_path / "narrow").mkdir()
    _imp("x_post_analytics", _copy(tmp_path / "narrow", "x_post_analytics.csv", narrower), tmp_path)
    assert "text" not in load_client("acme", data_dir=tmp_path / "data").posts.columns
    msg = _err(_imp, "x_post_analytics", FIX / "x_post_analytics.csv", tmp_path)
    assert "2 row(s) have a key already in" in msg
    assert "1840000000000000001 row 2: 'Tweet text' blank -> Month-end close in 3 days, not 10" in msg
    rep = _imp("x_post_analytics", FIX / "x_post_analytics.csv", tmp_path, on_conflict="replace").report
    assert (rep.replaced, rep.unchanged, rep.added) == (2, 0, 0)
    posts = load_client("acme", data_dir=tmp_path / "data").posts
    assert posts["text"].tolist() == ["Month-end close in 3 days, not 10", "Webinar on Oct 20: sign up"]
    # the same file once more: nothing differs now
    again = _imp("x_post_analytics", FIX / "x_post_analytics.csv", tmp_path).report
    assert (again.unchanged, again.replaced) == (2, 0)


def test_bad_import_writes_nothing(tmp_path: Path) -> None:
    bad = _copy(tmp_path, "tiktok.csv", lambda t: t.replace('"1,203"', "-3"))
    msg = _err(_imp, "tiktok", bad, tmp_path)
    assert msg.endswith("tiktok.csv: column 'Total likes' row 2: must be >= 0 (got -3)")
    assert not (tmp_path / "data").exists()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    res = _imp("tiktok", FIX / "tiktok.csv", tmp_path, dry_run=True)
    assert res.report.rows_kept == 3 and res.log_json is None
    assert not (tmp_path / "data").exists()


def test_export_without_rows(tmp_path: Path) -> None:
    f = _copy(tmp_path, "tiktok.csv", lambda t: t.splitlines()[0] + "\n")
    assert _err(_imp, "tiktok", f, tmp_path).endswith("tiktok.csv: no data rows under the header (line 1)")
    (tmp_path / "zero.csv").write_bytes(b"")
    assert _err(_imp, "tiktok", tmp_path / "zero.csv", tmp_path).endswith("zero.csv: the file is empty")
    assert not (tmp_path / "data").exists()


def test_client_id_is_checked(tmp_path: Path) -> None:
    assert "client id '../x'" in _err(_imp, "tiktok", FIX / "tiktok.csv", tmp_path, client="../x")


# ------------------------------------------------------------------------------------------------
# encodings, delimiters, numbers


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    f = _copy(tmp_path, "tiktok.csv", encoding=encoding)
    res = _imp("tiktok", f, tmp_path)
    assert res.rows["text"].tolist()[1] == "Crème routine in 30 s"
    assert res.report.encoding.startswith(encoding.split("-")[0].replace("cp", "windows-").replace("latin", "windows"))
    assert res.rows["likes"].tolist() == [1203, 611, 98]


def test_semicolon_and_crlf_detected(tmp_path: Path) -> None:
    f = _copy(tmp_path, "listening_generic.csv",
              lambda t: t.replace(",", ";").replace("\n", "\r\n").replace("Love the", "Love it, the"))
    res = _imp("listening_generic", f, tmp_path)
    assert res.report.delimiter == ";" and res.rows["reach"].tolist() == [1200, 5400, 90000]


def test_thousands_separators_and_percent_strings(tmp_path: Path) -> None:
    tik = _imp("tiktok", FIX / "tiktok.csv", tmp_path).rows
    assert tik["video_views"].tolist() == [15230, 8410, 2210]          # "15,230"
    assert tik["watched_full_video_rate"].tolist() == [0.125, 0.213, 0.08]  # "12.5%"
    assert tik["average_watch_time_s"].tolist() == [9.0, 12.0, 5.0]     # "0:00:09"
    ads = _imp("meta_ads_manager", FIX / "meta_ads_manager.csv", tmp_path, client="b").rows
    assert ads["spend"].tolist()[0] == 1234.5 and ads["impressions"].tolist()[0] == 52000


def test_european_numbers_with_a_user_mapping(tmp_path: Path) -> None:
    res = _imp(FIX / "custom_mapping.yaml", FIX / "custom_export.tsv", tmp_path)
    df = load_client("acme", data_dir=tmp_path / "data").competitors
    assert df["followers"].tolist() == [120400, 98100, 120530]           # "120.400"
    assert res.rows["engagement_rate"].tolist() == [0.014, 0.006, 0.0]   # "1,4 %"
    assert df["date"].tolist() == [pd.Timestamp("2026-10-01")] * 2 + [pd.Timestamp("2026-10-02")]
    assert res.report.status == "user" and res.report.delimiter == "\t"


def test_decimal_comma_where_point_expected_names_row(tmp_path: Path) -> None:
    f = _copy(tmp_path, "meta_ads_manager.csv", lambda t: t.replace("310.25", '"310,25"'))
    msg = _err(_imp, "meta_ads_manager", f, tmp_path)
    assert msg.endswith("meta_ads_manager.csv: column 'Amount spent (EUR)' row 3: not a number "
                        "(expected digits, ',' between thousands, '.' before decimals) (got '310,25')")


def test_ragged_row_names_line(tmp_path: Path) -> None:
    f = _copy(tmp_path, "listening_generic.csv", lambda t: t.replace("Love the new serum", "Love, the new serum"))
    msg = _err(_imp, "listening_generic", f, tmp_path)
    assert "listening_generic.csv: row 3: has 10 cells, the header (line 1) has 9" in msg


def test_wrong_format_for_the_file(tmp_path: Path) -> None:
    msg = _err(_imp, "ga4_traffic_acquisition", FIX / "tiktok.csv", tmp_path)
    assert msg.endswith("tiktok.csv: does not look like a GA4 traffic acquisition export "
                        "('ga4_traffic_acquisition'): no header line with its columns in the first 40 lines "
                        "(expected 'Date', 'Session source', 'Sessions'; line 1 has 'Video ID', 'Video title', "
                        "'Post time', 'Total views', 'Total likes', 'Total comments', ... (11 columns))")


def test_excel_without_reader_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("openpyxl", "xlrd") else real(name, *a))
    f = tmp_path / "linkedin.xlsx"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    msg = _err(_imp, "linkedin_posts", f, tmp_path)
    assert "an Excel workbook; save the sheet 'All posts' as CSV UTF-8" in msg


def _linkedin_workbook(path: Path, *, edit=None) -> Path:  # noqa: ANN001
    """The LinkedIn fixture as the workbook LinkedIn exports: a 'Metrics' sheet first, then 'All posts'
    with a title line above the header; numbers as numbers, one 'Created date' as a date cell (as
    Excel stores a date once the file is saved there), the others as text."""
    import csv

    import openpyxl

    rows = list(csv.reader((FIX / "linkedin_posts.csv").open(encoding="utf-8")))
    book = openpyxl.Workbook()
    book.active.title = "Metrics"
    book.active.append(["Date", "Impressions (organic)"])
    book.active.append(["10/02/2026", 1520])
    sheet = book.create_sheet("All posts")
    sheet.append(rows[0])
    sheet.append(rows[1])
    for r in rows[2:]:
        cells: list[object] = []
        for h, v in zip(rows[1], r, strict=True):
            plain = v.replace(",", "")
            if h == "Created date" and v == "10/06/2026":
                cells.append(dt.datetime(2026, 10, 6))
            elif plain.replace(".", "", 1).isdigit():
                cells.append(float(plain) if "." in plain else int(plain))
            else:
                cells.append(v or None)
        sheet.append(cells)
    if edit is not None:
        edit(sheet)
    book.save(path)
    return path


def test_linkedin_workbook_imports_like_its_csv(tmp_path: Path) -> None:
    xlsx = _linkedin_workbook(tmp_path / "linkedin.xlsx")
    got = _imp("linkedin_posts", xlsx, tmp_path / "a").rows
    want = _imp("linkedin_posts", FIX / "linkedin_posts.csv", tmp_path / "b").rows
    cols = [c for c in want.columns if c != "import_file"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
    assert got["impressions"].tolist() == [1520, 12310, 980]  # numbers, not '1520.0'
    assert got["import_row"].tolist() == ["3", "4", "5"]  # the sheet's row numbers, as Excel shows them


def test_linkedin_workbook_date_cells_keep_their_time_and_bad_cells_name_the_row(tmp_path: Path) -> None:
    def times(sheet) -> None:  # noqa: ANN001
        for i, row in enumerate(sheet.iter_rows(min_row=3), start=0):
            row[5].value = dt.datetime(2026, 10, 2 + i, 9 + i, 30)

    res = _imp("linkedin_posts", _linkedin_workbook(tmp_path / "times.xlsx", edit=times), tmp_path / "a")
    assert res.rows["published_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == \
        ["2026-10-02 09:30", "2026-10-03 10:30", "2026-10-04 11:30"]
    assert "published_time_known" not in res.rows or res.rows["published_time_known"].all()
    assert not any("no time of day" in x for x in res.report.limits)

    def bad(sheet) -> None:  # noqa: ANN001
        sheet["J4"] = "about 12k"

    msg = _err(_imp, "linkedin_posts", _linkedin_workbook(tmp_path / "bad.xlsx", edit=bad), tmp_path / "b")
    assert "bad.xlsx: column 'Impressions' row 4: not a number" in msg and "about 12k" in msg


# ------------------------------------------------------------------------------------------------
# each preset: a fixture, and one bad input


def test_facebook_insights_small_fixture(tmp_path: Path) -> None:
    res = _imp("facebook_insights", FIX / "facebook_insights_small.csv", tmp_path, year=2026)
    df = res.rows
    assert df["content_type"].tolist() == ["image", "video", "text", "link", "image"]
    assert df["published_weekday"].tolist() == [0, 0, 6, 5, 4]   # codes 2, 2, 1, 7, 6
    assert df["likes"].isna().tolist() == [False] * 4 + [True]
    assert df["paid"].isna().tolist() == [False, False, False, True, False]


def test_facebook_insights_bad_total(tmp_path: Path) -> None:
    f = _copy(tmp_path, "facebook_insights_small.csv", lambda t: t.replace(";15;140", ";15;141"))
    msg = _err(_imp, "facebook_insights", f, tmp_path, year=2026)
    assert msg.endswith("facebook_insights_small.csv: column 'Total Interactions' row 2: Total Interactions "
                        "must equal comment + like + share (the parts add up to 140) (got 141)")


def test_meta_ads_manager_fixture(tmp_path: Path) -> None:
    res = _imp("meta_ads_manager", FIX / "meta_ads_manager.csv", tmp_path)
    ads = load_client("acme", data_dir=tmp_path / "data").ads
    got = ads[["platform", "campaign", "spend", "conversions"]].values.tolist()
    # a blank 'Results' (no conversions reported) stays missing, never 0, and its spend is kept
    assert got[:3] == [["facebook", "Autumn sale", 1234.5, 12], ["instagram", "Autumn sale", 310.25, 4],
                       ["facebook", "Autumn sale", 980.0, 9]]
    assert got[3][:3] == ["instagram", "Newsletter leads", 150.0] and pd.isna(got[3][3])
    assert res.report.rejected == [
        {"row": 4, "reason": "placement platform not in the data model ('audience network')"}]
    log = json.loads(res.log_json.read_text())
    assert (log["rows_read"], log["rows_kept"], len(log["rejected"])) == (5, 4, 1)


def test_meta_ads_without_platform_needs_platform(tmp_path: Path) -> None:
    def drop_platform(t: str) -> str:  # keep the header and the two Facebook rows, without 'Platform'
        lines = t.replace('"1,234.50"', "1234.50").replace('"52,000"', "52000").splitlines()
        return "\n".join(",".join(c for i, c in enumerate(lines[n].split(",")) if i != 4) for n in (0, 1, 4))
    f = _copy(tmp_path, "meta_ads_manager.csv", drop_platform)
    assert "the export does not say which platform it is; pass --platform (facebook or instagram)" in \
        _err(_imp, "meta_ads_manager", f, tmp_path)
    res = _imp("meta_ads_manager", f, tmp_path, platform="instagram")
    assert (res.rows["platform"] == "instagram").all()


def test_meta_ads_row_spanning_days_without_day_column(tmp_path: Path) -> None:
    f = _copy(tmp_path, "meta_ads_manager.csv",
              lambda t: t.replace(",Day,", ",Date,"))
    msg = _err(_imp, "meta_ads_manager", f, tmp_path)
    assert "column 'Reporting ends' row 2" in msg and "export with Breakdown -> By time -> Day" in msg


def test_linkedin_posts_fixture(tmp_path: Path) -> None:
    res = _imp("linkedin_posts", FIX / "linkedin_posts.csv", tmp_path)
    df = res.rows
    assert df["post_id"].tolist() == ["7250000000000000001", "7250000000000000002", "7250000000000000003"]
    assert df["paid"].tolist() == [False, True, False] and df["impressions"].tolist() == [1520, 12310, 980]
    assert df["published_at"].dt.strftime("%Y-%m-%d").tolist() == ["2026-10-02", "2026-10-06", "2026-10-09"]
    assert df["reach"].isna().all() and (df["published_time_known"] == False).all()  # noqa: E712
    assert any("no reach in this export" in x for x in res.report.limits)
    assert any("no time of day" in x for x in res.report.limits)


def test_linkedin_bad_date(tmp_path: Path) -> None:
    f = _copy(tmp_path, "linkedin_posts.csv", lambda t: t.replace("10/09/2026", "2026-31-10"))
    msg = _err(_imp, "linkedin_posts", f, tmp_path)
    assert "linkedin_posts.csv: column 'Created date' row 5: not a date in the export's format " \
           "(%m/%d/%Y or ISO 8601; use --date-format for another) (got '2026-31-10')" in msg


def test_tiktok_fixture_times_in_client_zone(tmp_path: Path) -> None:
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "acme.yaml").write_text("client: acme\ntimezone: Europe/Paris\n")
    res = _imp("tiktok", FIX / "tiktok.csv", tmp_path)
    assert res.rows["published_at"].iloc[0] == pd.Timestamp("2026-10-03 16:05", tz="UTC")  # 18:05 CEST
    assert res.rows["impressions"].isna().all() and res.rows["saves"].isna().tolist() == [False, False, True]
    assert (res.rows["content_type"] == "video").all()


def test_tiktok_renamed_column(tmp_path: Path) -> None:
    f = _copy(tmp_path, "tiktok.csv", lambda t: t.replace("Total views", "Total vews"))
    msg = _err(_imp, "tiktok", f, tmp_path)
    assert "tiktok.csv: missing column 'Total views' (or 'Video views', 'Views') for posts.video_views " \
           "— found 'Total vews', did you mean it?" in msg


def test_youtube_fixture_skips_total_row(tmp_path: Path) -> None:
    res = _imp("youtube_studio", FIX / "youtube_table_data.csv", tmp_path)
    assert res.report.skipped == [{"row": 2, "reason": "'Total' summary row"}]
    df = res.rows
    assert df["post_id"].tolist() == ["vid00000001", "vid00000002", "vid00000003"]
    assert df["video_views"].tolist() == [3100, 2210, 340]
    assert df["impressions_ctr"].tolist() == [0.053, 0.054, 0.031]
    assert df[["likes", "comments", "shares", "reach"]].isna().all().all()
    assert set(res.report.absent_columns) >= {"likes", "comments", "shares"}


def test_youtube_views_with_suffix(tmp_path: Path) -> None:
    f = _copy(tmp_path, "youtube_table_data.csv", lambda t: t.replace(",3100,", ",3.1K,"))
    msg = _err(_imp, "youtube_studio", f, tmp_path)
    assert "column 'Views' row 3: not a number" in msg and "(got '3.1K')" in msg


def test_x_post_analytics_fixture(tmp_path: Path) -> None:
    res = _imp("x_post_analytics", FIX / "x_post_analytics.csv", tmp_path)
    df = res.rows
    assert df["published_at"].tolist() == [pd.Timestamp("2026-10-01 09:15", tz="UTC"),
                                           pd.Timestamp("2026-10-06 14:02", tz="UTC")]
    assert df[["impressions", "likes", "comments", "shares"]].values.tolist() == [[2310, 21, 3, 4], [5120, 48, 5, 12]]
    assert (df["content_type"] == "unknown").all() and df["reach"].isna().all()


def test_x_bad_time(tmp_path: Path) -> None:
    f = _copy(tmp_path, "x_post_analytics.csv", lambda t: t.replace("2026-10-06 14:02 +0000", "yesterday"))
    msg = _err(_imp, "x_post_analytics", f, tmp_path)
    assert "x_post_analytics.csv: column 'time' row 3: not a date in the export's format" in msg


def test_ga4_fixture_keeps_social_sources_and_sums(tmp_path: Path) -> None:
    res = _imp("ga4_traffic_acquisition", FIX / "ga4_traffic_acquisition.csv", tmp_path)
    web = load_client("acme", data_dir=tmp_path / "data").web
    assert web[["source", "sessions", "bounces", "conversions"]].values.tolist() == [
        ["facebook", 150, 68, 3], ["instagram", 85, 45, 2], ["facebook", 110, 44, 1], ["x", 14, 9, 0]]
    # facebook.com 120 + m.facebook.com 30 on 2026-10-01; bounces = Sessions - Engaged sessions
    assert [r["row"] for r in res.report.rejected] == [10, 14]
    assert all("not a social source" in r["reason"] for r in res.report.rejected)


def test_ga4_without_date_dimension(tmp_path: Path) -> None:
    f = _copy(tmp_path, "ga4_traffic_acquisition.csv", lambda t: t.replace("Date,", "Day,"))
    msg = _err(_imp, "ga4_traffic_acquisition", f, tmp_path)
    assert "missing column 'Date' for web.date" in msg and "add the secondary dimension 'Date'" in msg


def test_listening_fixture(tmp_path: Path) -> None:
    res = _imp("listening_generic", FIX / "listening_generic.csv", tmp_path)
    m = res.rows
    assert m["sentiment_score"].tolist() == [-1.0, 1.0, 0.0]
    assert m["source"].tolist() == ["x", "instagram", "news"] and m["engagements"].isna().tolist() == [False, False, True]
    assert m["mention_id"].tolist()[0] == "https://x.com/anna/status/1"


def test_listening_unknown_sentiment(tmp_path: Path) -> None:
    f = _copy(tmp_path, "listening_generic.csv", lambda t: t.replace("positive", "mixed"))
    msg = _err(_imp, "listening_generic", f, tmp_path)
    assert msg.endswith("listening_generic.csv: column 'Sentiment' row 3: unknown value; known: 'positive', "
                        "'neutral', 'negative' (got 'mixed')")


def test_listening_without_id_column_gets_stable_ids(tmp_path: Path) -> None:
    f = _copy(tmp_path, "listening_generic.csv", lambda t: t.replace("Date,Url,", "Date,Link text,"))
    a = convert(read_export(f, load_preset("listening_generic")), load_preset("listening_generic"))
    b = convert(read_export(f, load_preset("listening_generic")), load_preset("listening_generic"))
    assert a.generated_ids and a.frame["mention_id"].tolist() == b.frame["mention_id"].tolist()
    assert a.frame["mention_id"].str.startswith("mention-").all() and a.frame["mention_id"].is_unique


def test_user_mapping_with_a_typo(tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text((FIX / "custom_mapping.yaml").read_text().replace("to: followers", "to: folowers"))
    msg = _err(_imp, bad, FIX / "custom_export.tsv", tmp_path)
    assert "mine.yaml: columns[3].to: 'folowers' is not a column of competitors — did you mean 'followers'?" in msg
    bad.write_text((FIX / "custom_mapping.yaml").read_text().replace("table:", "tabel:"))
    assert "mine.yaml: tabel: unknown key 'tabel' — did you mean 'table'?" in _err(_imp, bad, FIX / "custom_export.tsv", tmp_path)


def test_unknown_format_lists_known(tmp_path: Path) -> None:
    msg = _err(_imp, "tiktoc", FIX / "tiktok.csv", tmp_path)
    assert "unknown export format 'tiktoc' — did you mean 'tiktok'?; known: facebook_insights," in msg


# ------------------------------------------------------------------------------------------------
# presets and docs


def test_every_preset_is_documented_with_its_status() -> None:
    presets = list_presets()
    assert sorted(presets) == sorted(FIXTURES)
    doc = DOCS.read_text()
    for name, p in presets.items():
        assert p.status in ("verified", "documentation") and p.column_names_from
        assert (FIX / FIXTURES[name]).is_file()
        line = next((ln for ln in doc.splitlines() if ln.startswith(f"| `{name}`")), None)
        assert line is not None, f"{name} missing from the table in docs/importers.md"
        assert ("verified on" in line) == (p.status == "verified")
        assert f"`{p.table}`" in line
    assert [n for n, p in presets.items() if p.status == "verified"] == ["facebook_insights"]


def test_presets_only_name_canonical_or_extra_columns() -> None:
    for p in list_presets().values():
        spec = TABLES[p.table]
        for m in p.columns:
            assert (m.to in spec.names) != m.extra, (p.name, m.to)


# ------------------------------------------------------------------------------------------------
# errors and warnings in the export's terms: its column names, its rows (file lines), its cells as
# written; never the canonical column names or stored values ('published_hour', '-5.0')


def _uci_edit(uci_file: Path, out: Path, edits: dict[int, dict[str, str]]) -> Path:
    """A copy of the UCI file (under tmp, never in the repo) with cells changed by file line
    (line 1 = the header), keeping its ';' and CRLF."""
    lines = uci_file.read_bytes().decode("utf-8").split("\r\n")
    header = lines[0].split(";")
    for n, cells in edits.items():
        row = lines[n - 1].split(";")
        for col, v in cells.items():
            row[header.index(col)] = v
        lines[n - 1] = ";".join(row)
    out.write_bytes("\r\n".join(lines).encode("utf-8"))
    return out


def test_uci_hour_out_of_range_names_post_hour_and_file_line(uci_file: Path, tmp_path: Path) -> None:
    f = _uci_edit(uci_file, tmp_path / "dataset_Facebook.csv", {50: {"Post Hour": "25"}})
    msg = _err(_imp, "facebook_insights", f, tmp_path, year=2014)
    assert msg.endswith("dataset_Facebook.csv: column 'Post Hour' row 50: must be between 0 and 23 (got 25)")
    assert "published_hour" not in msg
    # the same line with a cell that does not parse: the same row number (file lines, header = 1)
    g = _uci_edit(uci_file, tmp_path / "text.csv", {50: {"Post Hour": "noon"}})
    assert "column 'Post Hour' row 50: not a number" in _err(_imp, "facebook_insights", g, tmp_path, year=2014)
    assert not (tmp_path / "data").exists()


def test_uci_negative_like_names_like_and_prints_the_cell(uci_file: Path, tmp_path: Path) -> None:
    # line 40: comment 11, like 227, share 31, Total Interactions 269; keep the total consistent
    f = _uci_edit(uci_file, tmp_path / "dataset_Facebook.csv", {40: {"like": "-5", "Total Interactions": "37"}})
    msg = _err(_imp, "facebook_insights", f, tmp_path, year=2014)
    assert msg.endswith("dataset_Facebook.csv: column 'like' row 40: must be >= 0 (got -5)")


def test_uci_reach_warning_names_export_columns_and_whole_numbers(uci_import, uci_file: Path,
                                                                  tmp_path: Path) -> None:  # noqa: ANN001
    want = ("column 'Lifetime Post Total Reach' row 478, 479, 484, 494: larger than 'Lifetime Post Total "
            "Impressions' (a platform counting quirk; kept, but check the export) (got 37088 > 10966, "
            "39600 > 7927, 66784 > 9456, 45920 > 5808)")
    assert [w.split(": ", 1)[1] for w in uci_import[1].report.warnings] == [want]
    # a blank reach elsewhere (reach stored as a float column) must not print 37088.0
    f = _uci_edit(uci_file, tmp_path / "blank_reach.csv", {10: {"Lifetime Post Total Reach": ""}})
    res = _imp("facebook_insights", f, tmp_path, year=2014, dry_run=True)
    assert res.report.warnings == [f"{f}: {want}"]


def test_merging_linkedin_into_facebook_posts_warns_in_linkedin_terms(tmp_path: Path) -> None:
    _imp("facebook_insights", FIX / "facebook_insights_small.csv", tmp_path, year=2026)
    res = _imp("linkedin_posts", FIX / "linkedin_posts.csv", tmp_path)
    assert res.report.table_rows == 8
    assert res.report.warnings == [
        f"{FIX / 'linkedin_posts.csv'}: column 'Content Type' row 3: unusual formats document (known: "
        "image, video, carousel, text, link, story, reel, live, short, event); kept as they are "
        "(got 'Document' (stored as 'document'))"]


def test_derived_column_names_both_export_columns_before_summing(tmp_path: Path) -> None:
    # line 12, m.facebook.com: 42 engaged of 30 sessions (bounces -12); summed with line 11's 50
    # bounces the day's total would be 38 and the bad row would go unseen
    f = _copy(tmp_path, "ga4_traffic_acquisition.csv",
              lambda t: t.replace("20261001,m.facebook.com,30,12,", "20261001,m.facebook.com,30,42,"))
    msg = _err(_imp, "ga4_traffic_acquisition", f, tmp_path)
    assert msg.endswith("ga4_traffic_acquisition.csv: columns 'Sessions' - 'Engaged sessions' row 12: "
                        "must be >= 0 (got 30 - 42 = -12)")


def test_duplicate_keys_name_the_export_columns(tmp_path: Path) -> None:
    f = _copy(tmp_path, "x_post_analytics.csv",
              lambda t: t.replace('"1840000000000000002","https', '"1840000000000000001","https'))
    assert _err(_imp, "x_post_analytics", f, tmp_path).endswith(
        "x_post_analytics.csv: column 'Tweet id' row 2, 3: duplicate key: each 'Tweet id' must be unique "
        "(got '1840000000000000001', '1840000000000000001')")
    g = _copy(tmp_path, "meta_ads_manager.csv",
              lambda t: t.replace("Newsletter leads,2026-10-02,Instagram", "Autumn sale,2026-10-01,Instagram"))
    assert _err(_imp, "meta_ads_manager", g, tmp_path).endswith(
        "meta_ads_manager.csv: columns 'Day' + 'Platform' + 'Campaign name' row 3, 6: duplicate key: each "
        "('Day', 'Platform', 'Campaign name') combination must appear once "
        "(got 2026-10-01 / Instagram / Autumn sale, 2026-10-01 / Instagram / Autumn sale)")


def test_blank_post_date_names_the_export_column(tmp_path: Path) -> None:
    f = _copy(tmp_path, "linkedin_posts.csv", lambda t: t.replace("10/09/2026", ""))
    assert _err(_imp, "linkedin_posts", f, tmp_path).endswith(
        "linkedin_posts.csv: column 'Created date' row 5: blank: every post needs the date it went out")


def test_negative_amount_is_shown_as_written(tmp_path: Path) -> None:
    f = _copy(tmp_path, "meta_ads_manager.csv", lambda t: t.replace(",980.00,", ",-980.00,"))
    assert _err(_imp, "meta_ads_manager", f, tmp_path).endswith(
        "meta_ads_manager.csv: column 'Amount spent (EUR)' row 5: must be >= 0 (got -980.00)")


def test_conflict_names_the_export_column(tmp_path: Path) -> None:
    _imp("tiktok", FIX / "tiktok.csv", tmp_path)
    f = _copy(tmp_path, "tiktok.csv", lambda t: t.replace('"1,203"', '"1,250"'))
    msg = _err(_imp, "tiktok", f, tmp_path)
    assert "7301234567890123456 row 2: 'Total likes' 1203 -> 1250" in msg and "likes 1203" not in msg


def test_cli_validation_error_is_one_line_in_export_terms(uci_file: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    f = _uci_edit(uci_file, tmp_path / "dataset_Facebook.csv", {50: {"Post Hour": "25"}})
    rc = main(["import", "facebook_insights", str(f), "--client", "acme", "--year", "2014",
               "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err == f"error: {f}: column 'Post Hour' row 50: must be between 0 and 23 (got 25)\n"


# ------------------------------------------------------------------------------------------------
# the command


def test_cli_import_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--list"]) == 0
    assert "facebook_insights" in capsys.readouterr().out
    rc = main(["import", "tiktok", str(FIX / "tiktok.csv"), "--client", "acme",
               "--data-dir", str(tmp_path / "data"), "--parameters-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "3 added" in out and "log " in out
    assert len(load_client("acme", data_dir=tmp_path / "data").posts) == 3


@pytest.mark.parametrize("text, where", [
    ('client: acme\ntimezone: America/New_York\ndisplay_name: "Acme\n', "line 4"),  # a quote never closed
    ("client: acme\ntimezone: America/New_York\ntimezone: America/New_York\n", "line 3"),  # a key twice
])
def test_cli_import_refuses_unreadable_client_parameters_instead_of_utc(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str) -> None:
    """The client's time zone comes from parameters/<client>.yaml. A file that is not valid YAML had
    been read as 'no timezone' and the LinkedIn dates stored as midnight UTC: 2026-10-02 00:00 UTC is
    1 October in New York, so a post moved to the day (and month) before. One line, exit 2, nothing
    written."""
    (tmp_path / "parameters").mkdir()
    params = tmp_path / "parameters" / "acme.yaml"
    params.write_text(text, encoding="utf-8")
    rc = main(["import", "linkedin_posts", str(FIX / "linkedin_posts.csv"), "--client", "acme",
               "--data-dir", str(tmp_path / "data"), "--parameters-dir", str(tmp_path / "parameters")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: {params}: {where} not valid YAML (") and err.endswith(
        "; kpi import reads the client's time zone from it: fix the file, or pass --timezone\n"), err
    assert not (tmp_path / "data").exists()
    # --timezone does not need the file
    res = _imp("linkedin_posts", FIX / "linkedin_posts.csv", tmp_path, timezone="America/New_York")
    assert res.rows["published_at"].dt.tz_convert("America/New_York").dt.day.tolist() == [2, 6, 9]


def test_cli_error_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["import", "facebook_insights", str(FIX / "facebook_insights_small.csv"), "--client", "acme",
               "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1 and "--year YYYY" in err
    with pytest.raises(ImportFormatError):
        _imp("facebook_insights", FIX / "facebook_insights_small.csv", tmp_path)
    assert issubclass(DataValidationError, KpiToolkitError)


# ------------------------------------------------------------------------------------------------
# audit fixes


def test_more_clicks_than_impressions_warns_in_the_exports_terms(tmp_path: Path) -> None:
    f = _copy(tmp_path, "meta_ads_manager.csv", lambda t: t.replace(",47250,28000,702,", ",47250,28000,50000,"))
    res = _imp("meta_ads_manager", f, tmp_path, dry_run=True)
    assert res.report.warnings == [
        f"{f}: column 'Link clicks' row 5: larger than 'Impressions' (a click-through rate above 100 %; some "
        "platforms count several clicks per impression; kept, but check the export) (got 50000 > 47250)"]


def test_more_bounces_than_sessions_is_refused_in_the_exports_terms(tmp_path: Path) -> None:
    # line 12: 30 sessions, -5 engaged: 35 bounces, more than its sessions (and hidden once the day's
    # rows are summed: 150 sessions, 85 bounces)
    f = _copy(tmp_path, "ga4_traffic_acquisition.csv",
              lambda t: t.replace("20261001,m.facebook.com,30,12,", "20261001,m.facebook.com,30,-5,"))
    assert _err(_imp, "ga4_traffic_acquisition", f, tmp_path).endswith(
        "ga4_traffic_acquisition.csv: columns 'Sessions' - 'Engaged sessions' row 12: larger than 'Sessions' "
        "(a bounce is a single-page session, so a bounce rate above 100 % is impossible) (got 30 - -5 = 35 > 30)")
    assert not (tmp_path / "data").exists()


def test_a_post_dated_in_the_future_warns_in_the_exports_terms(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import kpi_toolkit.data as data_mod

    monkeypatch.setattr(data_mod, "today_utc", lambda: pd.Timestamp("2026-10-04"))
    res = _imp("tiktok", FIX / "tiktok.csv", tmp_path, dry_run=True)
    assert res.report.rows_kept == 3  # kept
    assert res.report.warnings == [
        f"{FIX / 'tiktok.csv'}: column 'Post time' row 4: dated in the future, after 2026-10-05 (tomorrow "
        "in UTC); kept, but check the date (a scheduled post?) (got '2026-10-09 19:45:00')"]


def test_a_delimiter_of_more_than_one_character_is_one_line(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["import", "tiktok", str(FIX / "tiktok.csv"), "--client", "acme", "--delimiter", "ab",
               "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert err == ("error: --delimiter 'ab': give one character that separates the columns, e.g. "
                   "--delimiter ';' (or 'tab' for TAB)\n")
    assert "--delimiter '\"'" in _err(read_export, FIX / "tiktok.csv", load_preset("tiktok"), delimiter='"')
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("year", [14, 2003, 2028, 3000])
def test_a_year_no_export_can_be_from_is_refused(tmp_path: Path, year: int,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    msg = _err(_imp, "facebook_insights", FIX / "facebook_insights_small.csv", tmp_path, year=year)
    assert msg == (f"--year {year}: not a year an export can be from (2004 to 2027); give all four digits, "
                   "e.g. --year 2014")
    if year in (14, 3000):  # whatever today's year
        rc = main(["import", "facebook_insights", str(FIX / "facebook_insights_small.csv"), "--client", "acme",
                   "--year", str(year), "--data-dir", str(tmp_path / "data")])
        assert rc == 2 and capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "data").exists()
    assert _imp("facebook_insights", FIX / "facebook_insights_small.csv", tmp_path, year=2004).report.added == 5


def test_another_platforms_export_names_the_columns_expected_and_found(uci_file: Path, tmp_path: Path) -> None:
    # a data cell reading 'Link' (line 24) had been taken for TikTok's header
    msg = _err(_imp, "tiktok", uci_file, tmp_path)
    assert msg == (f"{uci_file}: does not look like a TikTok content export ('tiktok'): no header line with its "
                   "columns in the first 40 lines (expected 'Video ID', 'Post time', 'Total views', 'Total likes', "
                   "'Total comments', 'Total shares'; line 1 has 'Page total likes', 'Type', 'Category', "
                   "'Post Month', 'Post Weekday', 'Post Hour', ... (19 columns))")


def test_an_export_resaved_with_another_delimiter_says_so(uci_file: Path, tmp_path: Path) -> None:
    f = tmp_path / "dataset_Facebook.csv"
    f.write_bytes(uci_file.read_bytes().replace(b";", b","))
    assert _err(_imp, "facebook_insights", f, tmp_path, year=2014) == (
        f"{f}: the header (line 1) is separated by ',', not ';' as a 'facebook_insights' export is "
        "(re-saved by a spreadsheet?); pass --delimiter ',' to read it")
    res = _imp("facebook_insights", f, tmp_path, year=2014, delimiter=",", dry_run=True)
    assert res.report.rows_kept == 500
    g = _copy(tmp_path, "tiktok.csv", lambda t: t.replace(",", "\t"))
    assert _err(_imp, "tiktok", g, tmp_path, delimiter=";").endswith(
        "the header (line 1) is separated by TAB, not ';' as --delimiter is (re-saved by a spreadsheet?); "
        "pass --delimiter tab to read it")


def test_a_negative_part_is_reported_before_the_total_that_no_longer_adds_up(uci_file: Path,
                                                                            tmp_path: Path) -> None:
    # line 5: like 152, Total Interactions left as it is (so it no longer adds up either)
    f = _uci_edit(uci_file, tmp_path / "dataset_Facebook.csv", {5: {"like": "-3"}})
    assert _err(_imp, "facebook_insights", f, tmp_path, year=2014).endswith(
        "dataset_Facebook.csv: column 'like' row 5: must be >= 0 (got -3)")
    g = _copy(tmp_path, "facebook_insights_small.csv", lambda t: t.replace(";5;120;15;140", ";5;-3;15;140"))
    assert _err(_imp, "facebook_insights", g, tmp_path, year=2026).endswith(
        "facebook_insights_small.csv: column 'like' row 2: must be >= 0 (got -3)")


def test_ids_made_from_cells_survive_lines_added_above(uci_file: Path, tmp_path: Path) -> None:
    first = _imp("facebook_insights", uci_file, tmp_path, year=2014)
    assert first.report.added == 500
    titled = tmp_path / "dataset_Facebook (1).csv"
    titled.write_bytes(b"Facebook page export\r\n\r\n" + uci_file.read_bytes())
    again = _imp("facebook_insights", titled, tmp_path, year=2014, now=NOW + dt.timedelta(hours=1))
    assert (again.report.added, again.report.unchanged, again.report.table_rows) == (0, 500, 500)
    assert sorted(again.rows["post_id"]) == sorted(first.rows["post_id"])


def test_rows_with_the_same_cells_get_different_ids(tmp_path: Path) -> None:
    f = _copy(tmp_path, "facebook_insights_small.csv",
              lambda t: t + "52000;Photo;1;3;2;9;0;4000;7000;300;200;260;5000;2500;180;5;120;15;140\n")
    res = _imp("facebook_insights", f, tmp_path, year=2026)
    ids = res.rows["post_id"].tolist()
    assert len(set(ids)) == 6 and ids[0] != ids[5]
    # the rows in reverse order: the same ids
    lines = f.read_text().splitlines()
    g = tmp_path / "reversed.csv"
    g.write_text("\n".join([lines[0], *lines[:0:-1]]) + "\n")
    again = _imp("facebook_insights", g, tmp_path, year=2026)
    assert (again.report.added, again.report.unchanged) == (0, 6)


def test_a_table_imported_with_line_number_ids_is_not_imported_twice(tmp_path: Path) -> None:
    """Tables imported before ids left out the line number hold ids made from cells + line: a
    re-import of the same file keeps those ids instead of adding every row again."""
    from kpi_toolkit.importers.convert import _legacy_id

    f = FIX / "facebook_insights_small.csv"
    _imp("facebook_insights", f, tmp_path, year=2026)
    path = tmp_path / "data" / "acme" / "posts.csv"
    stored = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = read_export(f, load_preset("facebook_insights"))
    old = [_legacy_id("fb", cells, n) for cells, n in zip(raw.rows, raw.lines, strict=True)]
    stored["post_id"] = old
    stored.to_csv(path, index=False)
    again = _imp("facebook_insights", f, tmp_path, year=2026, now=NOW + dt.timedelta(hours=1))
    assert (again.report.added, again.report.unchanged, again.report.table_rows) == (0, 5, 5)
    assert "5 row(s) keep the id an earlier import gave them (from the row's cells and line number)" \
        in again.report.notes
    assert load_client("acme", data_dir=tmp_path / "data").posts["post_id"].tolist() == old


def test_a_blank_export_cell_never_erases_a_stored_value(tmp_path: Path) -> None:
    """A later X export whose 'likes' cell of post 1 came out blank: the blank is not a difference
    (that file imports as already present), and with its 'retweets' changed too, --on-conflict
    replace takes the new retweets but keeps the stored likes (21), which the replace had blanked."""
    _imp("x_post_analytics", FIX / "x_post_analytics.csv", tmp_path)
    row1 = '"4.0","3.0","21.0"'  # retweets, replies, likes of post 1
    blank = _copy(tmp_path, "x_post_analytics.csv", lambda t: t.replace(row1, '"4.0","3.0",""', 1))
    again = _imp("x_post_analytics", blank, tmp_path).report
    assert (again.unchanged, again.replaced, again.added) == (2, 0, 0)
    (tmp_path / "later").mkdir()
    later = _copy(tmp_path / "later", "x_post_analytics.csv", lambda t: t.replace(row1, '"99.0","3.0",""', 1))
    rep = _imp("x_post_analytics", later, tmp_path, on_conflict="replace").report
    assert (rep.replaced, rep.unchanged) == (1, 1)
    posts = load_client("acme", data_dir=tmp_path / "data").posts
    assert posts["likes"].tolist() == [21, 48]  # kept, not blanked
    assert posts["shares"].tolist() == [99, 12]  # the export's new value
