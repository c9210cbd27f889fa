"""The KPI registry and formulas: hand-computed values for every KPI on tiny inline frames.

Every expected number below is worked out by hand from the published definition named next to it
(the same definition each KPI cites in its ``source``). The frames go through
:func:`kpi_toolkit.data.validate_frame`, so they have the dtypes the loader gives.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.data import ClientData, validate_frame
from kpi_toolkit.exceptions import ParameterError
from kpi_toolkit.kpis import (
    REGISTRY,
    TIME_KEYS,
    UNITS,
    compute_kpis,
    format_value,
    glossary,
    glossary_markdown,
    kpis_for_tables,
)
from kpi_toolkit.periods import month_period
from kpi_toolkit.schema import TABLES

REPO = Path(__file__).resolve().parents[1]
OCT = month_period("2026-10", "UTC")
NaN = math.nan


def canon(table: str, df: pd.DataFrame) -> pd.DataFrame:
    out, _ = validate_frame(df, table)
    return out


def client(**tables: pd.DataFrame) -> ClientData:
    data = ClientData(client="acme", data_dir=Path("data"))
    for name, df in tables.items():
        data.tables[name] = canon(name, df)
    for name in TABLES:
        if name not in data.tables:
            data.missing[name] = f"no {name} table"
    return data


# ------------------------------------------------------------------------------------------------
# the tiny client: three October posts (+ one in September), follower counts, mentions, ads, web,
# surveys


def posts_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p0"],
        "platform": ["facebook", "facebook", "instagram", "facebook"],
        "published_at": ["2026-10-03T10:00:00Z", "2026-10-10T18:00:00Z", "2026-10-20T12:00:00Z",
                         "2026-09-15T09:00:00Z"],
        "content_type": ["image", "video", "image", "image"],
        "impressions": [1000, 3000, 2000, 500],
        "reach": [800, 2000, 1200, 400],
        "likes": [40, 90, 150, 10],
        "comments": [6, 20, 10, 1],
        "shares": [4, 10, 0, 1],
        "saves": [2, 0, 20, 0],
        "clicks": [20, 30, None, 5],  # instagram has no link clicks in this export
        "video_views": [None, 1500, None, None],
        "video_completions": [None, 600, None, None],
        "followers_at_post": [10000, 10000, 5000, 9900],
        "campaign": ["launch", "launch", "always-on", "always-on"],
    })


def audience_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "date": ["2026-09-29", "2026-09-30", "2026-10-01", "2026-10-15", "2026-10-31", "2026-11-01",
                 "2026-09-30", "2026-10-31"],
        "platform": ["facebook"] * 6 + ["instagram"] * 2,
        "followers": [9900, 10000, 10010, 10100, 10200, 10300, 5000, 4900],
    })


def mentions_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "mention_id": [f"m{i}" for i in range(1, 10)],
        "published_at": ["2026-10-02T08:00:00Z", "2026-10-03T09:00:00Z", "2026-10-05T10:00:00Z",
                         "2026-10-06T11:00:00Z", "2026-10-07T12:00:00Z", "2026-10-02T13:00:00Z",
                         "2026-10-04T14:00:00Z", "2026-10-08T15:00:00Z", "2026-09-20T16:00:00Z"],
        "source": ["x", "instagram", "reddit", "x", "news", "x", "x", "reviews", "x"],
        "brand": ["Acme"] * 5 + ["Rival"] * 3 + ["Acme"],
        "sentiment_score": [0.6, -0.5, 0.0, 0.05, None, -0.8, 0.3, 0.1, 0.9],
        "needs_response": [False, True, True, True, False, False, False, False, False],
        "responded_at": [None, "2026-10-03T11:00:00Z", "2026-10-05T20:00:00Z", None, None, None, None,
                         None, None],
    })


def ads_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "date": ["2026-10-01", "2026-10-02", "2026-10-02", "2026-09-30"],
        "platform": ["facebook", "facebook", "instagram", "facebook"],
        "campaign": ["A", "A", "B", "A"],
        "spend": [100.0, 50.0, 150.0, 999.0],
        "impressions": [20000, 10000, 30000, 1],
        "clicks": [200, 100, 150, 1],
        "conversions": [10, 5, 0, 1],
        "leads": [4, 1, 0, 1],
        "revenue": [500.0, 250.0, None, 1.0],  # revenue not tracked for campaign B
    })


def web_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "date": ["2026-10-01", "2026-10-01", "2026-10-02"],
        "source": ["facebook", "instagram", "facebook"],
        "sessions": [1000, 500, 1000],
        "bounces": [400, 300, 500],
        "conversions": [20, 5, 30],
        "revenue": [800.0, 100.0, 1200.0],
    })


def surveys_frame() -> pd.DataFrame:
    csat = [5, 4, 3, 2, 5]
    nps = [10, 9, 9, 8, 7, 6, 0]
    return pd.DataFrame({
        "response_id": [f"s{i}" for i in range(len(csat) + len(nps) + 1)],
        "date": ["2026-10-05"] * (len(csat) + len(nps)) + ["2026-09-05"],
        "kind": ["csat"] * len(csat) + ["nps"] * len(nps) + ["nps"],
        "score": [*csat, *nps, 0],
    })


@pytest.fixture
def acme() -> ClientData:
    return client(posts=posts_frame(), audience=audience_frame(), mentions=mentions_frame(),
                  ads=ads_frame(), web=web_frame(), surveys=surveys_frame())


# Hand-computed October values for every KPI, with the definition they follow.
EXPECTED: dict[str, float] = {
    # Hootsuite (Parker, "19 social media KPIs"): sums over the posts published in the period
    "posts": 3,
    "impressions": 1000 + 3000 + 2000,
    "reach": 800 + 2000 + 1200,
    "likes": 40 + 90 + 150,
    "comments": 6 + 20 + 10,
    "shares": 4 + 10 + 0,
    "saves": 2 + 0 + 20,
    # Hootsuite engagement-rate guide: engagements = likes + comments + shares + saves
    "engagements": 52 + 120 + 180,
    "engagement_rate_by_reach": 352 / 4000,            # Hootsuite ERR, ratio of sums
    "engagement_rate_by_impressions": 352 / 6000,      # Hootsuite ER by impressions
    "engagement_rate_by_followers": 352 / 25000,       # Rival IQ / NapoleonCat, followers on posting day
    # Hootsuite average engagement rate / Rival IQ per-post rate: mean over posts of eng / followers
    "avg_engagement_rate_per_post": (52 / 10000 + 120 / 10000 + 180 / 5000) / 3,
    # Hootsuite applause / amplification rate; Kaushik's conversation rate relative to followers
    "applause_rate_per_post": (40 / 10000 + 90 / 10000 + 150 / 5000) / 3,
    "amplification_rate_per_post": (4 / 10000 + 10 / 10000 + 0 / 5000) / 3,
    "conversation_rate_per_post": (6 / 10000 + 20 / 10000 + 10 / 5000) / 3,
    # Kaushik (2011): likes / comments / shares per post
    "likes_per_post": 280 / 3,
    "comments_per_post": 36 / 3,
    "shares_per_post": 14 / 3,
    "engagements_per_post": 352 / 3,
    "virality_rate": 14 / 6000,                        # shares / impressions
    "post_clicks": 20 + 30,                            # the blank instagram cell is skipped
    "post_ctr": 50 / (1000 + 3000),                    # clicks / impressions of posts WITH clicks
    "video_views": 1500,
    "video_completion_rate": 600 / 1500,               # completed views / video starts
    # audience: stock values. End = last October day (fb 10200, ig 4900); start = the day before
    # October (fb 10000 on 30 Sep, ig 5000 on 30 Sep); Hootsuite growth rate = net / start
    "followers": 10200 + 4900,
    "net_follower_growth": (10200 + 4900) - (10000 + 5000),
    "audience_growth_rate": 100 / 15000,
    # mentions of the brand Acme in October: m1..m5; all tracked brands: m1..m8
    "mentions": 5,
    "share_of_voice": 5 / 8,                           # Hootsuite social share of voice
    # VADER thresholds: >= 0.05 positive (m1 0.6, m4 0.05), <= -0.05 negative (m2), m3 neutral,
    # m5 unscored
    "positive_mentions": 2,
    "negative_mentions": 1,
    "positive_share": 2 / 4,
    "negative_share": 1 / 4,
    "net_sentiment": (2 - 1) / 4,                      # (positive - negative) / scored
    "response_rate": 2 / 3,                            # Sprout: answered / needing an answer
    "median_response_time_hours": 6.0,                 # median of 2 h (m2) and 10 h (m3)
    # ads in October (the 30 September row is out); Google Ads / Meta definitions
    "spend": 300.0,
    "ad_impressions": 60000,
    "clicks": 450,
    "ctr": 450 / 60000,
    "cpc": 300 / 450,
    "cpm": 300 / 60000 * 1000,
    "conversions": 15,
    "conversion_rate": 15 / 450,                       # Hootsuite: conversions / clicks
    "cpa": 300 / 15,
    "leads": 5,
    "cpl": 300 / 5,
    "revenue": 750.0,
    "roas": 750 / 150,                                 # spend of rows with tracked revenue only
    # web analytics (GA): bounces / sessions, conversions / sessions
    "sessions": 2500,
    "bounce_rate": 1200 / 2500,
    "web_conversions": 55,
    "web_conversion_rate": 55 / 2500,
    "web_revenue": 2100.0,
    # CSAT: share of 4-5 answers (5, 4, 5 of 5, 4, 3, 2, 5); NPS (Reichheld 2003): promoters
    # 10, 9, 9 minus detractors 6, 0 over 7 answers
    "csat": 3 / 5,
    "nps": (3 - 2) / 7,
}


def test_expected_covers_every_kpi_in_the_registry() -> None:
    assert set(EXPECTED) == set(REGISTRY)


def test_every_kpi_hand_computed(acme: ClientData) -> None:
    out = compute_kpis(acme, list(REGISTRY), period=OCT, tz="UTC", brand="Acme")
    assert len(out) == 1
    got = out.iloc[0].to_dict()
    for name, want in EXPECTED.items():
        assert got[name] == pytest.approx(want, rel=1e-12), name
    assert out.attrs["notes"] == []


def test_issue_kpis_are_all_in_the_registry() -> None:
    # the list of issue 2, with the registry name each item has
    named = ["impressions", "reach", "followers", "net_follower_growth", "audience_growth_rate",
             "engagements", "likes", "comments", "shares", "saves", "engagement_rate_by_reach",
             "engagement_rate_by_impressions", "engagement_rate_by_followers", "applause_rate_per_post",
             "amplification_rate_per_post", "virality_rate", "conversation_rate_per_post", "mentions",
             "share_of_voice", "clicks", "ctr", "conversion_rate", "bounce_rate", "leads", "conversions",
             "revenue", "spend", "cpc", "cpm", "cpa", "cpl", "roas", "video_completion_rate", "csat",
             "nps", "response_rate", "median_response_time_hours", "positive_share", "negative_share",
             "net_sentiment", "avg_engagement_rate_per_post"]
    assert [n for n in named if n not in REGISTRY] == []


def test_every_kpi_is_documented() -> None:
    for spec in REGISTRY.values():
        assert spec.label.strip() and spec.formula.strip() and spec.source.strip(), spec.name
        assert spec.description.strip(), spec.name
        assert spec.unit in UNITS, spec.name
        assert spec.table in TABLES, spec.name
        assert spec.kind in ("sum", "ratio", "median"), spec.name
        assert (spec.kind == "ratio") == (spec.denominator is not None and spec.kind != "median")
        if spec.unit == "fraction" and spec.kind == "sum":
            pytest.fail(f"{spec.name}: a fraction must be a ratio")
        if "_per_post" in spec.name:
            assert spec.denominator == "posts", spec.name


def test_ratio_of_sums_not_mean_of_ratios(acme: ClientData) -> None:
    """Looker Studio / ad platforms: SUM(engagements) / SUM(reach); the mean of per-post rates differs."""
    out = compute_kpis(acme, ["engagement_rate_by_reach"], period=OCT)
    mean_of_ratios = (52 / 800 + 120 / 2000 + 180 / 1200) / 3  # 0.09167
    assert out.loc[0, "engagement_rate_by_reach"] == pytest.approx(352 / 4000)  # 0.088
    assert abs(out.loc[0, "engagement_rate_by_reach"] - mean_of_ratios) > 0.003


def test_zero_denominators_give_nan_without_warnings() -> None:
    data = client(
        posts=pd.DataFrame({"post_id": ["a"], "platform": ["x"], "published_at": ["2026-10-01T00:00:00Z"],
                            "content_type": ["text"], "impressions": [0], "reach": [0], "likes": [0],
                            "comments": [0], "shares": [0], "followers_at_post": [0]}),
        ads=pd.DataFrame({"date": ["2026-10-01"], "platform": ["x"], "campaign": ["c"], "spend": [0.0],
                          "impressions": [0], "clicks": [0], "conversions": [0], "leads": [0],
                          "revenue": [0.0]}),
        surveys=pd.DataFrame({"response_id": ["r"], "date": ["2026-10-01"], "kind": ["nps"], "score": [9]}),
    )
    names = [k for k in REGISTRY if REGISTRY[k].table in ("posts", "ads", "surveys")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = compute_kpis(data, names, period=OCT)
    row = out.iloc[0]
    for k in names:
        assert not np.isinf(row[k]), k
    for k in ("engagement_rate_by_reach", "engagement_rate_by_followers", "avg_engagement_rate_per_post",
              "ctr", "cpc", "cpm", "cpa", "cpl", "roas", "conversion_rate", "csat"):
        assert math.isnan(row[k]), k
    assert row["spend"] == 0 and row["posts"] == 1 and row["nps"] == 1.0


def test_by_platform(acme: ClientData) -> None:
    out = compute_kpis(acme, ["posts", "engagement_rate_by_reach", "followers", "ctr", "cpa", "roas",
                              "bounce_rate", "mentions"], by=["platform"], period=OCT, brand="Acme")
    out = out.set_index("platform")
    assert list(out.index) == ["facebook", "instagram"]
    assert out.loc["facebook", "engagement_rate_by_reach"] == pytest.approx((52 + 120) / 2800)
    assert out.loc["instagram", "engagement_rate_by_reach"] == pytest.approx(180 / 1200)
    assert out.loc["facebook", "followers"] == 10200 and out.loc["instagram", "followers"] == 4900
    assert out.loc["facebook", "ctr"] == pytest.approx(300 / 30000)
    assert math.isnan(out.loc["instagram", "cpa"])          # 150 spent, 0 conversions
    assert math.isnan(out.loc["instagram", "roas"])         # revenue not tracked
    assert out.loc["facebook", "bounce_rate"] == pytest.approx(900 / 2000)  # web source = platform
    assert out["mentions"].isna().all()                     # mentions have no platform column
    assert "mentions: n/a by platform (not defined for the mentions table)" in out.attrs["notes"]


def test_by_campaign_and_content_type(acme: ClientData) -> None:
    out = compute_kpis(acme, ["engagements", "spend"], by=["campaign"], period=OCT)
    want = pd.DataFrame({"campaign": ["A", "B", "always-on", "launch"],
                         "engagements": [NaN, NaN, 180.0, 172.0], "spend": [150.0, 150.0, NaN, NaN]})
    pd.testing.assert_frame_equal(out, want, check_dtype=False)
    assert out.set_index("campaign").loc["launch", "engagements"] == 172
    assert out.set_index("campaign").loc["A", "spend"] == 150
    ct = compute_kpis(acme, ["posts"], by=["platform", "content_type"], period=OCT)
    assert ct[["platform", "content_type", "posts"]].values.tolist() == [
        ["facebook", "image", 1.0], ["facebook", "video", 1.0], ["instagram", "image", 1.0]]


def test_by_month_and_freq(acme: ClientData) -> None:
    out = compute_kpis(acme, ["posts", "reach", "spend", "followers", "net_follower_growth"], by=["month"])
    out = out.set_index("month")
    assert list(out.index) == ["2026-09", "2026-10", "2026-11"]
    assert out.loc["2026-09", "reach"] == 400 and out.loc["2026-10", "reach"] == 4000
    assert out.loc["2026-09", "spend"] == 999 and out.loc["2026-10", "spend"] == 300
    # September: first recorded day is 29 Sep (no earlier day): start fb 9900, ig 5000 on 30 Sep
    assert out.loc["2026-09", "followers"] == 10000 + 5000
    assert out.loc["2026-10", "net_follower_growth"] == 100
    assert out.loc["2026-11", "followers"] == 10300 and out.loc["2026-11", "net_follower_growth"] == 100
    f = compute_kpis(acme, ["reach"], freq="M")
    assert list(f["period"]) == [pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")]
    assert list(f["reach"]) == [400.0, 4000.0]
    w = compute_kpis(acme, ["reach"], freq="W", period=OCT)
    assert list(w["period"]) == [pd.Timestamp("2026-09-28"), pd.Timestamp("2026-10-05"),
                                 pd.Timestamp("2026-10-19")]
    assert list(w["reach"]) == [800.0, 2000.0, 1200.0]


def test_time_keys_in_the_client_time_zone() -> None:
    # 2026-09-30 22:30 UTC is Thursday 1 October 01:30 in Helsinki (UTC+3)
    posts = posts_frame().iloc[[0]].assign(published_at=["2026-09-30T22:30:00Z"])
    data = client(posts=posts)
    hel = month_period("2026-10", "Europe/Helsinki")
    assert compute_kpis(data, ["posts"], period=hel, tz="Europe/Helsinki").loc[0, "posts"] == 1
    assert compute_kpis(data, ["posts"], period=OCT, tz="UTC").loc[0, "posts"] == 0
    keys = compute_kpis(data, ["posts"], by=["month", "date", "weekday", "hour"], tz="Europe/Helsinki")
    assert keys.loc[0, ["month", "date", "weekday", "hour"]].tolist() == [
        "2026-10", pd.Timestamp("2026-10-01"), 3, 1]


def test_posts_with_only_published_month() -> None:
    """Exports without the day (UCI Facebook metrics: Post Month / Weekday / Hour) still count."""
    posts = posts_frame().iloc[:3].copy()
    posts.loc[2, "published_at"] = None
    posts["published_month"] = [None, None, "2026-10"]
    posts["published_weekday"] = [None, None, 6]
    posts["published_hour"] = [None, None, 21]
    data = client(posts=posts)
    assert compute_kpis(data, ["posts"], period=OCT).loc[0, "posts"] == 3
    assert compute_kpis(data, ["posts"], period=month_period("2026-11", "UTC")).loc[0, "posts"] == 0
    by_m = compute_kpis(data, ["reach"], by=["month"])
    assert by_m.values.tolist() == [["2026-10", 4000.0]]
    by_wd = compute_kpis(data, ["reach"], by=["weekday", "hour"]).values.tolist()
    assert [6, 21, 1200.0] in by_wd  # from published_weekday / published_hour
    by_day = compute_kpis(data, ["reach"], by=["date"])
    assert by_day["reach"].sum() == 2800  # the undated post cannot be placed on a day ...
    assert any("1 row(s) have no 'date'" in n for n in by_day.attrs["notes"])  # ... and says so


def test_long_format_has_explicit_denominators(acme: ClientData) -> None:
    out = compute_kpis(acme, ["cpm", "reach", "post_ctr", "median_response_time_hours"], period=OCT,
                       brand="Acme", long=True)
    assert list(out.columns) == ["kpi", "value", "numerator", "denominator", "unit"]
    r = out.set_index("kpi")
    assert r.loc["cpm", ["numerator", "denominator"]].tolist() == [300.0, 60000.0]
    assert r.loc["cpm", "value"] == pytest.approx(1000 * 300 / 60000)
    assert r.loc["reach", "numerator"] == 4000 and math.isnan(r.loc["reach", "denominator"])
    assert r.loc["post_ctr", ["numerator", "denominator"]].tolist() == [50.0, 4000.0]
    assert r.loc["median_response_time_hours", "denominator"] == 2  # answered mentions
    assert r["unit"].tolist() == ["currency", "count", "fraction", "hours"]
    grouped = compute_kpis(acme, ["reach", "ctr"], by=["platform"], period=OCT, long=True)
    assert list(grouped.columns) == ["platform", "kpi", "value", "numerator", "denominator", "unit"]
    assert grouped[["platform", "kpi"]].values.tolist() == [
        ["facebook", "reach"], ["facebook", "ctr"], ["instagram", "reach"], ["instagram", "ctr"]]


def test_share_of_voice_by_brand_and_without_brand(acme: ClientData) -> None:
    by_brand = compute_kpis(acme, ["mentions", "share_of_voice", "net_sentiment"], by=["brand"],
                            period=OCT, brand="Acme").set_index("brand")
    assert by_brand.loc["Acme", "share_of_voice"] == pytest.approx(5 / 8)
    assert by_brand.loc["Rival", "share_of_voice"] == pytest.approx(3 / 8)
    assert by_brand.loc["Rival", "mentions"] == 3
    assert by_brand.loc["Rival", "net_sentiment"] == pytest.approx((2 - 1) / 3)  # 0.3, 0.1 vs -0.8
    no_brand = compute_kpis(acme, ["share_of_voice", "mentions"], period=OCT)
    assert math.isnan(no_brand.loc[0, "share_of_voice"]) and no_brand.loc[0, "mentions"] == 8
    assert "share_of_voice: n/a (needs the client's brand)" in no_brand.attrs["notes"]
    typo = compute_kpis(acme, ["mentions"], period=OCT, brand="ACME")
    assert typo.loc[0, "mentions"] == 0
    assert any("never appears in the mentions table" in n for n in typo.attrs["notes"])


def test_sentiment_thresholds_are_inclusive_and_configurable(acme: ClientData) -> None:
    strict = compute_kpis(acme, ["positive_mentions", "negative_mentions"], period=OCT, brand="Acme",
                          sentiment_thresholds=(-0.6, 0.5))
    assert strict.iloc[0].tolist() == [1.0, 0.0]  # only 0.6 >= 0.5; -0.5 > -0.6
    with pytest.raises(ParameterError, match=r"negative \(0.1\) must be below positive \(0.05\)"):
        compute_kpis(acme, ["net_sentiment"], sentiment_thresholds=(0.1, 0.05))


def test_missing_tables_and_columns_are_nan_with_a_note() -> None:
    ads = ads_frame().drop(columns=["leads"])
    data = client(ads=ads)
    out = compute_kpis(data, ["cpl", "spend", "reach"], period=OCT)
    assert math.isnan(out.loc[0, "cpl"]) and out.loc[0, "spend"] == 300 and math.isnan(out.loc[0, "reach"])
    assert "cpl: n/a (the ads table has no 'leads' column)" in out.attrs["notes"]
    assert "reach: n/a (no posts table)" in out.attrs["notes"]
    by_hour = compute_kpis(data, ["spend"], by=["hour"])
    assert by_hour.empty and "spend: n/a by hour (not defined for the ads table)" in by_hour.attrs["notes"]


def test_bad_arguments_raise_one_clear_line(acme: ClientData) -> None:
    with pytest.raises(ParameterError, match=r"unknown KPI 'engagment_rate_by_reach' — did you mean "
                                             r"'engagement_rate_by_reach'\?"):
        compute_kpis(acme, ["engagment_rate_by_reach"])
    with pytest.raises(ParameterError, match=r"unknown grouping column 'platfrom' — did you mean 'platform'\?"):
        compute_kpis(acme, ["reach"], by=["platfrom"])
    with pytest.raises(ParameterError, match=r"freq must be one of D, W, M \(or None\), got 'Q'"):
        compute_kpis(acme, ["reach"], freq="Q")
    with pytest.raises(ParameterError, match="'period' is not a grouping column"):
        compute_kpis(acme, ["reach"], by=["period"])


def test_inputs_are_not_mutated(acme: ClientData) -> None:
    before = {k: v.copy() for k, v in acme.tables.items()}
    compute_kpis(acme, list(REGISTRY), by=["month"], period=OCT, brand="Acme", tz="Europe/Helsinki")
    for k, v in acme.tables.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_local_time_lookup_matches_pandas_across_dst() -> None:
    from kpi_toolkit.kpis import _to_local

    rng = np.random.default_rng(42)
    secs = rng.integers(0, 3 * 365 * 86400, 20000)
    t = pd.Series(pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(secs, unit="s"))
    t[::97] = pd.NaT
    for tz in ("Europe/Helsinki", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"):
        want = t.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        np.testing.assert_array_equal(_to_local(t, tz), want)


def test_kpis_for_tables() -> None:
    assert kpis_for_tables(["surveys"]) == ["csat", "nps"]
    assert "reach" in kpis_for_tables({"posts": None})


# ------------------------------------------------------------------------------------------------
# glossary and formatting


def test_glossary_is_the_registry() -> None:
    g = glossary(["engagement_rate_by_reach", "nps"])
    assert list(g.columns) == ["name", "label", "definition", "unit", "higher_is_better", "source"]
    assert g["name"].tolist() == ["engagement_rate_by_reach", "nps"]
    assert "engagements / reach" in g.loc[0, "definition"]
    assert "-100 to +100" in g.loc[1, "definition"]
    assert "Reichheld" in g.loc[1, "source"]
    assert len(glossary()) == len(REGISTRY)
    md = glossary_markdown()
    assert all(f"`{k}`" in md for k in REGISTRY)


def test_docs_list_every_kpi() -> None:
    text = (REPO / "docs" / "kpis.md").read_text(encoding="utf-8")
    missing = [k for k in REGISTRY if f"`{k}`" not in text]
    assert missing == [], f"docs/kpis.md lacks {missing}; regenerate the table with glossary_markdown()"
    assert glossary_markdown() in text, "docs/kpis.md table is out of date: paste glossary_markdown()"


@pytest.mark.parametrize(("value", "unit", "kwargs", "want"), [
    (0.034, "fraction", {}, "3.4 %"),
    (0.00035, "fraction", {}, "0.035 %"),
    (0.0047, "fraction", {}, "0.47 %"),
    (0.0, "fraction", {}, "0 %"),
    (3.5, "fraction", {}, "350.0 %"),
    (2.774, "ratio", {}, "2.77×"),
    (1234, "count", {}, "1,234"),
    (1_234_567, "count", {}, "1.2 M"),
    (2_500_000_000, "count", {}, "2.5 B"),
    (1234.4, "currency", {}, "€1,234"),
    (0.8449, "currency", {}, "€0.84"),
    (-12.5, "currency", {"currency": "USD"}, "-$12.50"),
    (1234, "currency", {"currency": "SEK"}, "1,234 SEK"),
    (1_500_000, "currency", {}, "€1.5 M"),
    (0.142857, "score", {}, "+14"),
    (-0.3, "score", {}, "-30"),
    (5.5, "hours", {}, "5.5 h"),
    (0.75, "hours", {}, "45 min"),
    (12.34, "per_post", {}, "12.3 per post"),
    (float("nan"), "fraction", {}, "n/a"),
    (None, "count", {}, "n/a"),
    (float("inf"), "currency", {}, "n/a"),
])
def test_format_value(value: object, unit: str, kwargs: dict, want: str) -> None:
    assert format_value(value, unit, **kwargs) == want


def test_money_in_a_column_shares_one_number_of_decimals() -> None:
    """A CPA column had read "78.36 NZD" above "135 NZD": a sentence drops the cents of amounts from 100
    up and empty cents, a column takes cents for every amount when one of them needs its cents."""
    from kpi_toolkit.commands.kpis import render_table
    from kpi_toolkit.kpis import format_money, money_decimals

    assert money_decimals([78.36, 135.0]) == 2
    assert [format_money(v, "NZD", decimals=2) for v in (78.36, 135.0, 1_234.5)] == \
        ["78.36 NZD", "135.00 NZD", "1,234.50 NZD"]
    # no amount needs cents (from 100 up, or whole): none shows them
    assert money_decimals([148.28, 141.2, 43.0, float("nan"), None]) == 0
    assert [format_money(v, "GBP", decimals=0) for v in (148.28, 43.0)] == ["£148", "£43"]
    assert money_decimals([312.0], [99.999]) == 0  # 99.999 is 100.00 in cents: no cents to show
    assert money_decimals([312.0], [0.84]) == 2  # interval bounds count as the column's amounts
    assert [format_money(-0.5, "USD", decimals=2), format_money(2_500_000, "EUR", decimals=2),
            format_money(float("nan"), "EUR", decimals=2)] == ["-$0.50", "€2.5 M", "n/a"]
    # a sentence's single amount as before
    assert [format_money(135.0, "NZD"), format_money(78.36, "NZD")] == ["135 NZD", "78.36 NZD"]
    # `kpi kpis --by campaign`: one KPI's amounts across the campaigns
    df = pd.DataFrame({"campaign": ["spring", "summer"], "cpa": [78.36, 135.0], "roas": [2.5, 3.25]})
    lines = render_table(df, ["cpa", "roas"], ["campaign"], currency="NZD").splitlines()
    assert lines[1].startswith("Cost per acquisition") and "78.36 NZD" in lines[1] and "135.00 NZD" in lines[1]


def test_format_value_unknown_unit() -> None:
    with pytest.raises(ParameterError, match="unknown unit 'percent'"):
        format_value(0.1, "percent")


def test_time_keys_constant() -> None:
    assert TIME_KEYS == ("month", "week", "date", "weekday", "hour")


# ------------------------------------------------------------------------------------------------
# per post, for segments


def test_post_measure_splits_a_ratio_per_post() -> None:
    pytest.importorskip("kpi_toolkit.segments")
    from kpi_toolkit.kpis import post_measure

    posts = canon("posts", posts_frame())
    m = post_measure(posts, "engagement_rate_by_reach")
    assert m.kind == "rate" and m.numerator.tolist() == [52, 120, 180, 12]
    assert m.denominator.tolist() == [800, 2000, 1200, 400]
    c = post_measure(posts, "comments_per_post")
    assert c.kind == "per_post" and c.denominator.tolist() == [1.0] * 4
    with pytest.raises(ParameterError, match="comes from the ads table"):
        post_measure(posts, "ctr")


# ------------------------------------------------------------------------------------------------
# the CLI end to end on a tiny data dir


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    from kpi_toolkit.data import write_table

    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "acme.yaml").write_text(
        "client: acme\ndisplay_name: Acme Oy\nbrand: Acme\ntimezone: UTC\ncurrency: EUR\n", encoding="utf-8")
    d = tmp_path / "data" / "acme"
    for name, df in (("posts", posts_frame()), ("ads", ads_frame()), ("mentions", mentions_frame())):
        write_table(canon(name, df), d / f"{name}.csv")
    return tmp_path


def run_cli(root: Path, *args: str) -> int:
    from kpi_toolkit.cli import main

    return main(["kpis", "--data-dir", str(root / "data"), "--parameters-dir", str(root / "parameters"),
                 *args])


def test_cli_table(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(tiny_dir, "--client", "acme", "--month", "2026-10") == 0
    out = capsys.readouterr().out
    assert "Acme Oy (acme), 2026-10" in out
    assert "Engagement rate (by reach)" in out and "8.8 %" in out      # 352 / 4000
    assert "Cost per acquisition" in out and "€20.00" in out          # 300 / 15
    assert "Share of voice" in out and "62.5 %" in out                 # 5 / 8


def test_cli_csv_by_platform(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    code = run_cli(tiny_dir, "--client", "acme", "--month", "2026-10", "--by", "platform",
                   "--format", "csv", "--kpis", "reach,engagement_rate_by_reach,ctr")
    assert code == 0
    captured = capsys.readouterr()
    df = pd.read_csv(io.StringIO(captured.out))
    assert df.columns.tolist() == ["platform", "reach", "engagement_rate_by_reach", "ctr"]
    assert df["platform"].tolist() == ["facebook", "instagram"]
    assert df["engagement_rate_by_reach"].tolist() == pytest.approx([172 / 2800, 180 / 1200])
    assert df["ctr"].tolist() == pytest.approx([300 / 30000, 150 / 30000])


@pytest.mark.parametrize(("args", "message"), [
    (["--client", "nobody", "--month", "2026-10"], "error: unknown client 'nobody'"),
    (["--client", "acme", "--month", "2026-13"], "error: month must be YYYY-MM, got '2026-13'"),
    (["--client", "acme", "--month", "2024-01"], "error: no data for client 'acme' in 2024-01"),
    (["--client", "acme", "--month", "2026-10", "--kpis", "rech"],
     "error: unknown KPI 'rech' — did you mean 'reach'?"),
    (["--client", "acme", "--month", "2026-10", "--by", "platfrom"],
     "error: unknown grouping column 'platfrom' — did you mean 'platform'?"),
])
def test_cli_errors_are_one_line_exit_2(tiny_dir: Path, capsys: pytest.CaptureFixture[str],
                                        args: list[str], message: str) -> None:
    assert run_cli(tiny_dir, *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err


# ------------------------------------------------------------------------------------------------
# demo data: the grouped engine against plain pandas written the obvious way


def test_demo_client_matches_plain_pandas(demo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpi_toolkit.context import load_context

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters",
                       tables=["posts", "audience", "ads", "mentions"])
    got = compute_kpis(ctx.data, ["engagement_rate_by_reach", "ctr", "followers"], by=["platform"],
                       period=ctx.period, tz=ctx.tz, brand=ctx.params.brand).set_index("platform")
    posts, ads, aud = ctx.data.posts, ctx.data.ads, ctx.data.audience
    local = posts["published_at"].dt.tz_convert(ctx.tz)
    p = posts[local.dt.strftime("%Y-%m") == "2026-10"]
    eng = p["likes"] + p["comments"] + p["shares"] + (p["saves"].fillna(0) if "saves" in p else 0)
    want_er = eng.groupby(p["platform"]).sum() / p.groupby("platform")["reach"].sum()
    a = ads[ads["date"].dt.strftime("%Y-%m") == "2026-10"]
    want_ctr = a.groupby("platform")["clicks"].sum() / a.groupby("platform")["impressions"].sum()
    f = aud[aud["date"].dt.strftime("%Y-%m") == "2026-10"].sort_values("date")
    want_f = f.groupby("platform")["followers"].last()
    for plat in want_er.index:
        assert got.loc[plat, "engagement_rate_by_reach"] == pytest.approx(want_er[plat], rel=1e-12)
    for plat in want_ctr.index:
        assert got.loc[plat, "ctr"] == pytest.approx(want_ctr[plat], rel=1e-12)
    for plat in want_f.index:
        assert got.loc[plat, "followers"] == want_f[plat]
    assert run_cli(demo_root, "--client", "demo-lumiere", "--month", "2026-10") == 0
    assert "Share of voice" in capsys.readouterr().out


def test_the_client_glossary_has_words_not_formulas_or_project_notes() -> None:
    from kpi_toolkit.kpis import REGISTRY, client_glossary

    g = client_glossary(list(REGISTRY))
    assert list(g.columns) == ["Measure", "What it means", "Source"] and len(g) == len(REGISTRY)
    text = " ".join(g["What it means"]) + " " + " ".join(g["Source"])
    for jargon in ("sum(", "SUM(", "seed article", "_", "web analytics' are"):
        assert jargon not in text, jargon
    reach = g.set_index("Measure").loc["Reach"]
    assert reach["What it means"].endswith("Calculated as total reach.")
    assert reach["Source"] == 'K. Parker, "19 social media KPIs you should be tracking", Hootsuite blog'
    ctr = g.set_index("Measure").loc["Click-through rate (ads)"]
    assert ctr["What it means"] == ("Share of ad impressions that got a click. Calculated as ad clicks divided by "
                                    "ad impressions.")
    assert ctr["Source"] == 'Google Ads Help, "Clickthrough rate (CTR)": clicks / impressions'
