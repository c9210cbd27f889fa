"""The large-data path: a report reads only its months and, for older rows, only the narrow columns;
and the numbers are the same as reading everything."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from kpi_toolkit.context import load_context, report_window
from kpi_toolkit.data import load_client

MONTH = "2026-10"


def _partitioned(root: Path, client: str) -> pd.DataFrame:
    """Rewrite ``client``'s mentions as Parquet partitioned by month; return them."""
    cdir = root / "data" / client
    m = pd.read_parquet(cdir / "mentions.parquet")
    (cdir / "mentions.parquet").unlink()
    m["month"] = m["published_at"].dt.strftime("%Y-%m")
    ds.write_dataset(pa.Table.from_pandas(m, preserve_index=False), str(cdir / "mentions"), format="parquet",
                     partitioning=["month"], partitioning_flavor="hive")
    return m.drop(columns="month")


@pytest.fixture()
def lumiere(demo_root: Path, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    root = tmp_path / "root"
    shutil.copytree(demo_root / "data" / "demo-lumiere", root / "data" / "demo-lumiere")
    shutil.copytree(demo_root / "parameters", root / "parameters")
    return root, _partitioned(root, "demo-lumiere")


def test_months_outside_the_window_are_never_opened(lumiere: tuple[Path, pd.DataFrame]) -> None:
    root, m = lumiere
    # a broken file in a partition after the report month: reading it would fail the load (the
    # first file, whose schema the dataset takes, has to be a real one)
    for month in ("2027-03",):
        bad = root / "data" / "demo-lumiere" / "mentions" / f"month={month}"
        bad.mkdir()
        (bad / "part-0.parquet").write_bytes(b"not parquet at all")
    ctx = load_context(client="demo-lumiere", month=MONTH, data_dir=root / "data",
                       parameters_dir=root / "parameters")
    assert len(ctx.data.mentions) == len(m)  # every real row is inside the 36-month window
    with pytest.raises(Exception, match="Parquet"):
        load_client("demo-lumiere", data_dir=root / "data", tables=["mentions"])


def test_a_short_window_reads_only_its_rows(lumiere: tuple[Path, pd.DataFrame]) -> None:
    root, m = lumiere
    got = load_client("demo-lumiere", data_dir=root / "data", tables=["mentions"],
                      start="2026-03-01T00:00Z", end="2026-05-01T00:00Z").mentions
    want = m[(m["published_at"] >= "2026-03-01T00:00Z") & (m["published_at"] < "2026-05-01T00:00Z")]
    assert len(got) == len(want) > 0
    assert got["mention_id"].tolist() == want["mention_id"].tolist()


def test_wide_columns_only_for_the_last_two_months(lumiere: tuple[Path, pd.DataFrame]) -> None:
    root, m = lumiere
    # some mentions without a score: their text must stay (VADER scores them)
    cdir = root / "data" / "demo-lumiere"
    shutil.rmtree(cdir / "mentions")
    m = m.copy()
    unscored = m.index[::50]
    m.loc[unscored, "sentiment_score"] = np.nan
    m.to_parquet(cdir / "mentions.parquet", index=False)
    ctx = load_context(client="demo-lumiere", month=MONTH, data_dir=root / "data",
                       parameters_dir=root / "parameters")
    w = report_window(ctx.params, MONTH)
    got = ctx.data.mentions
    assert len(got) == len(m)
    old = (got["published_at"] < w["detail_start"]).to_numpy()
    assert old.any() and (~old).any()
    assert got.loc[~old, ["mention_id", "text", "author_id"]].notna().all().all()
    assert got.loc[old, ["mention_id", "author_id"]].isna().all().all()
    scored = got["sentiment_score"].notna().to_numpy()
    assert got.loc[old & scored, "text"].isna().all()
    kept = got.loc[old & ~scored, "text"]
    assert len(kept) > 0 and kept.notna().all()
    # the same table from a CSV file: same rows, same blanks (order may differ)
    (cdir / "mentions.parquet").unlink()
    csv = m.copy()
    csv["published_at"] = csv["published_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    csv["responded_at"] = csv["responded_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    csv.to_csv(cdir / "mentions.csv", index=False)
    from_csv = load_context(client="demo-lumiere", month=MONTH, data_dir=root / "data",
                            parameters_dir=root / "parameters").data.mentions
    key = ["published_at", "brand", "source", "sentiment_score", "reach"]
    a = got.sort_values(key, kind="stable").reset_index(drop=True)
    b = from_csv.sort_values(key, kind="stable").reset_index(drop=True)
    assert a["text"].isna().sum() == b["text"].isna().sum()
    assert a["mention_id"].isna().sum() == b["mention_id"].isna().sum()


def test_blank_detail_columns_share_one_buffer(lumiere: tuple[Path, pd.DataFrame],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The blank ids, texts and authors of history rows are views on one shared buffer (not 8 bytes
    of offsets a row), yet an ordinary string column to everything that reads them."""
    import kpi_toolkit.data as D

    root, m = lumiere
    monkeypatch.setattr(D, "_CHUNK_ROWS", 1000)  # many chunks on the demo data
    ctx = load_context(client="demo-lumiere", month=MONTH, data_dir=root / "data",
                       parameters_dir=root / "parameters")
    got = ctx.data.mentions
    old = (got["published_at"] < report_window(ctx.params, MONTH)["detail_start"]).to_numpy()
    assert old.sum() > 10 * 1000
    want = m.set_index("mention_id").loc[got.loc[~old, "mention_id"].to_numpy()]
    for c in ("mention_id", "text", "author_id"):
        s = got[c]
        assert s.dtype == "string"
        arr = s.array._pa_array
        arr.validate(full=True)
        blank = [ch for ch in arr.chunks if ch.null_count == len(ch)]
        assert sum(len(ch) for ch in blank) >= old.sum()
        buffers = {(b.address, b.size) for ch in blank for b in ch.buffers() if b is not None}
        assert sum(size for _, size in buffers) <= 8 * 1001 + 1000 // 8  # one offsets buffer, one bitmap
        # read like any string column: values, selections, text methods, a file round trip
        assert s[old].isna().all()
        plain = pd.Series(s.tolist(), dtype="string", name=c)
        pd.testing.assert_series_equal(s, plain)
        pd.testing.assert_series_equal(s.iloc[::7].reset_index(drop=True), plain.iloc[::7].reset_index(drop=True))
        pd.testing.assert_series_equal(s.str.len(), plain.str.len())
        if c != "mention_id":
            assert s[~old].tolist() == want[c].astype("string").tolist()
    path = root / "roundtrip.parquet"
    got[["mention_id", "text"]].to_parquet(path, index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(path).astype("string"), got[["mention_id", "text"]])


def test_blank_like_any_text_dtype() -> None:
    from kpi_toolkit.data import _blank_like

    idx = pd.RangeIndex(5, 9)
    for dtype in (pd.StringDtype(), pd.StringDtype(na_value=np.nan), pd.StringDtype("python")):
        s = _blank_like(idx, dtype)
        assert s.index.equals(idx) and s.dtype == dtype and s.isna().all()
        both = pd.concat([s, pd.Series(["a"], dtype=dtype)], ignore_index=True)
        assert both.dtype == dtype and both.isna().tolist() == [True] * 4 + [False] and both.iloc[-1] == "a"
    assert _blank_like(pd.RangeIndex(0), pd.StringDtype()).empty


@pytest.mark.parametrize("client", ["demo-lumiere", "demo-ledgerly"])
def test_report_numbers_are_those_of_reading_everything(demo_root: Path, client: str) -> None:
    from kpi_toolkit import report
    from kpi_toolkit.sentiment import listening_tables

    kw = {"client": client, "month": MONTH, "data_dir": demo_root / "data",
          "parameters_dir": demo_root / "parameters"}
    pruned, whole = load_context(**kw), load_context(**kw, whole_history=True)
    assert pruned.data.mentions["text"].isna().sum() > whole.data.mentions["text"].isna().sum() \
        or client == "demo-ledgerly"  # no sentiment scores: every text is kept for VADER
    pd.testing.assert_frame_equal(report.snapshot_table(pruned), report.snapshot_table(whole))
    a, b = listening_tables(pruned), listening_tables(whole)
    for k in ("by_topic", "by_source", "daily", "response"):
        pd.testing.assert_frame_equal(a[k].reset_index(drop=True), b[k].reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(a["alerts"].drop(columns=["contributors"], errors="ignore"),
                                  b["alerts"].drop(columns=["contributors"], errors="ignore"), check_dtype=False)


def test_chunked_aggregation_equals_one_pass(demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kpi_toolkit.trends.comparisons as C

    ctx = load_context(client="demo-lumiere", month=MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    kpis = ["reach", "engagement_rate_by_reach", "mentions", "negative_share", "followers",
            "net_follower_growth", "median_response_time_hours", "spend", "roas", "share_of_voice"]
    kw = {"tz": ctx.tz, "brand": ctx.params.brand}
    one_m = C.monthly_kpis(ctx.data, kpis, first="2024-11", last=MONTH, **kw)
    one_d = C.daily_series(ctx.data, kpis, **kw)
    monkeypatch.setattr(C, "CHUNK_ROWS", 0)
    monkeypatch.setattr(C, "CHUNK_MONTHS", 1)
    pd.testing.assert_frame_equal(C.monthly_kpis(ctx.data, kpis, first="2024-11", last=MONTH, **kw), one_m)
    pd.testing.assert_frame_equal(C.daily_series(ctx.data, kpis, **kw), one_d)


def test_window_covers_goal_baselines(demo_root: Path) -> None:
    from kpi_toolkit.params import load_params

    p = load_params("demo-lumiere", parameters_dir=demo_root / "parameters")
    w = report_window(p, MONTH)
    from kpi_toolkit.periods import month_period

    assert w["end"] == month_period(MONTH, p.timezone).end  # nothing after the report month
    assert w["start"] <= month_period("2023-11", p.timezone).start  # 36 months ending with it
    assert w["detail_start"] == month_period("2026-09", p.timezone).start
    early = p.model_copy(update={"goals": [p.goals[0].model_copy(update={"start": pd.Timestamp("2021-06-15").date()})]}) \
        if p.goals else None
    if early is not None:
        assert report_window(early, MONTH)["start"] <= month_period("2021-03", p.timezone).start
