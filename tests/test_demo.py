"""Demo data: deterministic, valid, as large as promised, and its planted truth is in the raw data.

The reference values are the planted numbers in kpi_toolkit/demo/profiles.py as written to
data/demo/TRUTH.json; every check below recomputes them from the generated files with plain pandas
(ratios of sums, daily counts), with tolerances set by the noise the generator documents
(docs/demo-data.md). The session fixture ``demo_root`` (tests/conftest.py) is the first run; this
module generates a second one to compare bytes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.data import load_client
from kpi_toolkit.demo import DEMO_CLIENTS, generate, parse_end_month
from kpi_toolkit.demo import texts as demo_texts
from kpi_toolkit.exceptions import DataValidationError, ParameterError
from kpi_toolkit.params import load_params
from kpi_toolkit.schema import PLATFORMS, TABLES

END_MONTH = "2026-10"  # the same as tests/conftest.py DEMO_END_MONTH


@pytest.fixture(scope="module")
def second_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-second-run")
    generate(root, end_month=END_MONTH, seed=42)
    return root


@pytest.fixture(scope="module")
def loaded(demo_root: Path) -> dict:
    return {c: load_client(c, data_dir=demo_root / "data") for c in DEMO_CLIENTS}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rate(df: pd.DataFrame, mask: pd.Series) -> float:
    """Engagements / reach as a ratio of sums (every action counted)."""
    eng = df["likes"] + df["comments"] + df["shares"] + df["saves"].fillna(0) + df["clicks"]
    return float(eng[mask].sum() / df.loc[mask, "reach"].sum())


def _local_daily(mentions: pd.DataFrame, tz: str, brand: str) -> pd.Series:
    t = mentions.loc[mentions["brand"] == brand, "published_at"].dt.tz_convert(tz).dt.tz_localize(None)
    return t.dt.normalize().value_counts().sort_index()


# ---------------------------------------------------------------------------------------------
# determinism, validity, volume


def test_two_runs_give_byte_identical_files(demo_root: Path, second_run: Path) -> None:
    first, second = _files(demo_root), _files(second_run)
    assert sorted(first) == sorted(second)
    assert len(first) == 3 * (9 + 1 + 1) + 1  # per client: tables, marker, parameters; the truth
    changed = [name for name in first if first[name] != second[name]]
    assert changed == []


def test_every_table_of_every_client_validates(demo_root: Path, loaded: dict) -> None:
    for client in DEMO_CLIENTS:
        data = loaded[client]
        assert data.missing == {}, client
        assert data.warnings == [], client
        assert set(data.tables) == set(TABLES)
        params = load_params(client, parameters_dir=demo_root / "parameters")
        assert params.client == client and 2 <= len(params.competitors) <= 4
        posts = data.posts
        assert (posts["reach"] <= posts["impressions"]).all()
        assert (posts["likes"] <= posts["reach"]).all()
        assert (posts["video_completions"].dropna() <= posts["video_views"].dropna()).all()
        m = data.mentions
        answered = m["responded_at"].notna()
        assert (m.loc[answered, "responded_at"] >= m.loc[answered, "published_at"]).all()
        assert not m.loc[answered, "needs_response"].eq(False).any()
        # timestamps to the second
        assert (m["published_at"].astype("int64") % 10**9 == 0).all()


def test_optional_columns_are_used(loaded: dict) -> None:
    for client in DEMO_CLIENTS:
        d = loaded[client]
        for table, cols in {
            "posts": ["saves", "clicks", "video_views", "video_completions", "paid", "campaign",
                      "topic", "followers_at_post", "text"],
            "mentions": ["topic", "text", "author_id", "reach", "engagements", "needs_response",
                         "responded_at"],
            "ads": ["leads", "revenue"],
            "web": ["bounces", "conversions", "revenue"],
        }.items():
            df = d.tables[table]
            for col in cols:
                assert col in df.columns and df[col].notna().any(), (client, table, col)
        assert d.mentions["author_id"].str.fullmatch(r"@user\d+").all()
        assert d.posts["paid"].any() and d.posts.loc[d.posts["paid"], "campaign"].notna().all()
        video = d.posts["content_type"].isin(["video", "reel", "short", "live"])
        assert d.posts.loc[video, "video_views"].notna().all()
        assert d.posts.loc[~video, "video_views"].isna().all()
        s = d.surveys
        assert s.loc[s["kind"] == "csat", "score"].between(1, 5).all()
        assert s.loc[s["kind"] == "nps", "score"].between(0, 10).all()
        assert set(s["kind"]) == {"csat", "nps"}
    with_score = [c for c in DEMO_CLIENTS if "sentiment_score" in loaded[c].mentions.columns]
    assert len(with_score) == 2, "exactly one demo client has no sentiment_score column"


def test_volumes_are_as_promised(loaded: dict) -> None:
    for client in DEMO_CLIENTS:
        d = loaded[client]
        assert 1000 <= len(d.posts) <= 3000, client
        assert set(d.posts["platform"]) == set(PLATFORMS)
        assert set(d.audience["platform"]) == set(PLATFORMS)
        assert len(d.mentions) >= 100_000, client
        journeys = d.touchpoints["user_id"].nunique()
        assert 90_000 <= journeys <= 110_000, client
        assert 2.0 <= len(d.touchpoints) / journeys <= 4.0
        assert set(d.touchpoints["channel"]) <= set(PLATFORMS) | {"email", "search", "direct"}
        assert 0.01 <= len(d.conversions) / journeys <= 0.08
        assert 3 <= d.ads["campaign"].nunique() <= 6
        brands = d.competitors["brand"].nunique()
        assert 3 <= brands <= 5  # the client's own brand and 2-4 competitors
        days = d.audience["date"]
        assert days.min() == pd.Timestamp("2024-11-01") and days.max() == pd.Timestamp("2026-10-31")
        assert days.nunique() == 730


def test_own_brand_rows_of_competitors_match_posts_and_audience(loaded: dict, demo_truth: dict) -> None:
    d = loaded["demo-lumiere"]
    brand = demo_truth["clients"]["demo-lumiere"]["brand"]
    own = d.competitors[d.competitors["brand"] == brand]
    merged = own.merge(d.audience, on=["date", "platform"], suffixes=("", "_aud"))
    assert len(merged) == len(own) and (merged["followers"] == merged["followers_aud"]).all()
    assert own["posts"].sum() == len(d.posts)


# ---------------------------------------------------------------------------------------------
# the truth file and the planted signals


def test_truth_has_every_planted_signal(demo_truth: dict) -> None:
    assert demo_truth["generator"]["end_month"] == END_MONTH
    assert sorted(demo_truth["clients"]) == sorted(DEMO_CLIENTS)
    end = pd.Period(END_MONTH, "M")
    crisis_months = []
    for client, t in demo_truth["clients"].items():
        for key in ("seasonality", "level_shifts", "spikes", "crisis", "clean_stretches",
                    "content_format", "posting_hours", "conversion_driver", "share_of_voice",
                    "ads_spend_by_platform"):
            assert key in t, (client, key)
        assert len(t["seasonality"]["weekday_multipliers"]) == 7
        assert len(t["seasonality"]["month_multipliers"]) == 12
        for shift in t["level_shifts"]:
            assert {"series", "date", "before_level", "after_level"} <= set(shift)
            assert shift["after_level"] > shift["before_level"]
        assert {s["series"] for s in t["level_shifts"]} == {"brand_mentions_per_day",
                                                           "followers_net_gain_per_day"}
        assert 2 <= len(t["spikes"]) <= 4
        assert sum(s["crisis"] for s in t["spikes"]) == 1
        crisis = t["crisis"]
        assert crisis["sentiment"] == "negative" and crisis["negative_share"] > 0.8
        month = pd.Period(crisis["date"][:7], "M")
        assert 0 <= (end - month).n <= 2, "the crisis falls within the last three months"
        crisis_months.append(month)
        assert t["clean_stretches"]["stretches"], client
        assert t["content_format"]["multiplier"] > 1.3
        assert t["posting_hours"]["multiplier"] > 1.2 and t["posting_hours"]["hours_local"]
        driver = t["conversion_driver"]
        assert driver["channel"] in PLATFORMS and driver["multiplier"] >= 2
        sov = t["share_of_voice"]
        assert sov["end_share"] > sov["start_share"] + 0.05
        assert t["ads_spend_by_platform"][driver["channel"]] > 0
    assert end in crisis_months, "one client's crisis is inside the last complete month"


def test_outperforming_format_is_visible_within_platform(loaded: dict, demo_truth: dict) -> None:
    for client in DEMO_CLIENTS:
        posts = loaded[client].posts
        fmt = demo_truth["clients"][client]["content_format"]
        win = posts["content_type"] == fmt["content_type"]
        # the platform with the most posts of the winning format
        plat = posts.loc[win, "platform"].value_counts().index[0]
        on = posts["platform"] == plat
        ratio = _rate(posts, on & win) / _rate(posts, on & ~win)
        assert ratio == pytest.approx(fmt["multiplier"], rel=0.2), (client, plat, ratio)
        assert ratio > 1.3


def test_posting_hours_matter(loaded: dict, demo_truth: dict) -> None:
    for client in DEMO_CLIENTS:
        posts = loaded[client].posts
        ph = demo_truth["clients"][client]["posting_hours"]
        hour = posts["published_at"].dt.tz_convert(ph["timezone"]).dt.hour
        good = hour.isin(ph["hours_local"])
        ratio = _rate(posts, good) / _rate(posts, ~good)
        assert ratio == pytest.approx(ph["multiplier"], rel=0.15), (client, ratio)


def test_weekly_and_yearly_seasonality_in_mentions(loaded: dict, demo_truth: dict) -> None:
    for client in DEMO_CLIENTS:
        t = demo_truth["clients"][client]
        # competitors with a constant base level: counts = base x weekday x month x noise
        steady = [c for c in t["competitors"] if c != t["share_of_voice"]["competitor"]]
        daily = sum(_local_daily(loaded[client].mentions, t["timezone"], b) for b in steady)
        daily = daily.reindex(pd.date_range("2024-11-01", "2026-10-31"), fill_value=0)
        wd = np.array(list(t["seasonality"]["weekday_multipliers"].values()))
        mm = np.array(list(t["seasonality"]["month_multipliers"].values()))
        by_wd = (daily / mm[daily.index.month - 1]).groupby(daily.index.day_of_week).mean()
        np.testing.assert_allclose(by_wd / by_wd.mean(), wd / wd.mean(), rtol=0.06)
        assert np.corrcoef(by_wd, wd)[0, 1] > 0.85
        by_month = (daily / wd[daily.index.day_of_week]).groupby(daily.index.month).mean()
        np.testing.assert_allclose(by_month / by_month.mean(), mm / mm.mean(), rtol=0.06)
        assert np.corrcoef(by_month, mm)[0, 1] > 0.9


def test_post_reach_follows_the_month_multipliers(loaded: dict, demo_truth: dict) -> None:
    t = demo_truth["clients"]["demo-trailhead"]  # the strongest yearly swing (summer)
    posts = loaded["demo-trailhead"].posts
    month = posts["published_at"].dt.tz_convert(t["timezone"]).dt.month
    per_follower = posts["reach"] / posts["followers_at_post"]
    mm = t["seasonality"]["month_multipliers"]
    summer = per_follower[month.isin([6, 7])].median() / per_follower[month.isin([1, 2])].median()
    expected = (mm["6"] + mm["7"]) / (mm["1"] + mm["2"])
    assert summer == pytest.approx(expected, rel=0.2)


def test_level_shift_in_brand_mentions_and_followers(loaded: dict, demo_truth: dict) -> None:
    for client in DEMO_CLIENTS:
        t = demo_truth["clients"][client]
        shift = {s["series"]: s for s in t["level_shifts"]}
        ms = shift["brand_mentions_per_day"]
        date = pd.Timestamp(ms["date"])
        daily = _local_daily(loaded[client].mentions, t["timezone"], t["brand"])
        daily = daily.reindex(pd.date_range("2024-11-01", "2026-10-31"), fill_value=0)
        wd = np.array(list(t["seasonality"]["weekday_multipliers"].values()))
        mm = np.array(list(t["seasonality"]["month_multipliers"].values()))
        level = daily / (wd[daily.index.day_of_week] * mm[daily.index.month - 1])
        before = level[(level.index < date) & (level.index >= date - pd.Timedelta(days=60))]
        after = level[(level.index >= date) & (level.index < date + pd.Timedelta(days=60))]
        assert before.mean() == pytest.approx(ms["before_level"], rel=0.08), client
        assert after.mean() == pytest.approx(ms["after_level"], rel=0.08), client

        fs = shift["followers_net_gain_per_day"]
        total = loaded[client].audience.groupby("date")["followers"].sum().diff()
        b = total[(total.index < date) & (total.index >= date - pd.Timedelta(days=90))].mean()
        a = total[(total.index > date) & (total.index <= date + pd.Timedelta(days=90))].mean()
        assert b == pytest.approx(fs["before_level"], rel=0.1), client
        assert a == pytest.approx(fs["after_level"], rel=0.1), client


def test_spikes_and_the_negative_crisis(loaded: dict, demo_truth: dict) -> None:
    for client in DEMO_CLIENTS:
        t = demo_truth["clients"][client]
        m = loaded[client].mentions
        brand = m[m["brand"] == t["brand"]]
        for s in t["spikes"]:
            start, end = pd.Timestamp(s["start_utc"]), pd.Timestamp(s["end_utc"])
            window = brand[(brand["published_at"] >= start) & (brand["published_at"] < end)]
            baseline = s["brand_expected_mentions_that_day"] * s["duration_hours"] / 24
            extra = len(window) - baseline
            # the baseline inside the window is itself noisy (about +-20 %)
            assert extra == pytest.approx(s["extra_mentions"], abs=0.35 * baseline + 30), (client, s["label"])
            assert (window["topic"] == s["topic"]).sum() >= 0.9 * s["extra_mentions"]
        c = t["crisis"]
        start, end = pd.Timestamp(c["start_utc"]), pd.Timestamp(c["end_utc"])
        crisis = brand[(brand["published_at"] >= start) & (brand["published_at"] < end)
                       & (brand["topic"] == c["topic"])]
        assert len(crisis) == c["mentions"]
        if "sentiment_score" in crisis.columns:
            assert (crisis["sentiment_score"] < -0.05).mean() > 0.85
            assert crisis["sentiment_score"].mean() < -0.5
        assert crisis["needs_response"].mean() > 0.4
        others = brand[~brand.index.isin(crisis.index)]
        assert crisis["needs_response"].mean() > 3 * others["needs_response"].mean()


def test_crisis_texts_are_negative_for_vader(loaded: dict, demo_truth: dict) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    client = next(c for c in DEMO_CLIENTS if "sentiment_score" not in loaded[c].mentions.columns)
    c = demo_truth["clients"][client]["crisis"]
    m = loaded[client].mentions
    crisis = m[(m["topic"] == c["topic"]) & (m["published_at"] >= pd.Timestamp(c["start_utc"]))
               & (m["published_at"] < pd.Timestamp(c["end_utc"]))]
    counts = crisis["text"].value_counts()
    compound = np.array([vader.polarity_scores(x)["compound"] for x in counts.index])
    assert np.average(compound < -0.05, weights=counts.to_numpy()) > 0.85
    assert np.average(compound, weights=counts.to_numpy()) < -0.4


def test_every_template_reads_with_its_polarity() -> None:
    """VADER (Hutto & Gilbert 2014) agrees with the polarity each template is filed under."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    for industry, topics in demo_texts.TEMPLATES.items():
        for topic, by_pol in topics.items():
            keywords = demo_texts.TOPIC_KEYWORDS[industry][topic]
            for pol, templates in by_pol.items():
                for tpl in templates:
                    text = tpl.format(brand="Brandname", product="widget")
                    score = vader.polarity_scores(text)["compound"]
                    if pol == "pos":
                        assert score >= 0.05, text
                    elif pol == "neg":
                        assert score <= -0.05, text
                    else:
                        assert -0.05 < score < 0.05, text
                    assert any(k in text.lower() for k in keywords), (topic, text)


def test_conversion_driver_channel(loaded: dict, demo_truth: dict) -> None:
    for client in DEMO_CLIENTS:
        d = loaded[client]
        truth = demo_truth["clients"][client]["conversion_driver"]
        present = d.touchpoints.groupby(["user_id", "channel"]).size().unstack(fill_value=0) > 0
        conv = present.index.isin(d.conversions["user_id"])
        ratios = {}
        for ch in present.columns:
            has = present[ch].to_numpy()
            if has.sum() > 500:
                ratios[ch] = conv[has].mean() / conv[~has].mean()
        assert max(ratios, key=ratios.get) == truth["channel"], (client, ratios)
        has = present[truth["channel"]].to_numpy()
        assert conv[has].mean() / conv[~has].mean() == pytest.approx(truth["multiplier"], rel=0.2)
        assert conv[~has].mean() == pytest.approx(truth["base_conversion_rate"], rel=0.15)
        # every touch lies within 30 days before the conversion (the default lookback)
        first = d.touchpoints.groupby("user_id")["timestamp"].min()
        at = d.conversions.set_index("user_id")["timestamp"]
        assert ((at - first.reindex(at.index)) <= pd.Timedelta(days=30)).all()
        assert (at >= d.touchpoints.groupby("user_id")["timestamp"].max().reindex(at.index)).all()


def test_competitor_gains_share_of_voice(loaded: dict, demo_truth: dict) -> None:
    for client in DEMO_CLIENTS:
        t = demo_truth["clients"][client]
        sov = t["share_of_voice"]
        m = loaded[client].mentions
        month = m["published_at"].dt.tz_convert(t["timezone"]).dt.strftime("%Y-%m")
        share = (m["brand"] == sov["competitor"]).groupby(month).mean()
        first, last = sov["start"][:7], sov["end"][:7]
        assert share[first] == pytest.approx(sov["start_share"], abs=0.03), client
        assert share[last] == pytest.approx(sov["end_share"], abs=0.03), client
        ramp = share.loc[first:last]
        slope = np.polyfit(np.arange(len(ramp)), ramp.to_numpy(), 1)[0]
        assert slope > 0.004, (client, slope)
        engaged = loaded[client].competitors
        comp = engaged[engaged["brand"] == sov["competitor"]]
        start, end = pd.Timestamp(sov["start"]), pd.Timestamp(sov["end"])
        first_q = comp.loc[(comp["date"] >= start) & (comp["date"] < start + pd.Timedelta(days=91)),
                           "engagements"].sum()
        last_q = comp.loc[comp["date"] > end - pd.Timedelta(days=91), "engagements"].sum()
        assert last_q > 1.3 * first_q, client


def test_html_escaping_post(loaded: dict, demo_truth: dict) -> None:
    posts = loaded["demo-lumiere"].posts
    pid = demo_truth["clients"]["demo-lumiere"]["html_escaping_post_id"]
    text = posts.loc[posts["post_id"] == pid, "text"].item()
    assert "<script>alert('x')</script> & \"quotes\"" in text
    published = posts.loc[posts["post_id"] == pid, "published_at"].item()
    assert published.tz_convert("Europe/Helsinki").strftime("%Y-%m") == END_MONTH
    # it is the month's top post by engagements per reach
    month = posts[posts["published_at"].dt.tz_convert("Europe/Helsinki").dt.strftime("%Y-%m") == END_MONTH]
    rate = (month["likes"] + month["comments"] + month["shares"] + month["saves"].fillna(0)) / month["reach"]
    assert month.loc[rate.idxmax(), "post_id"] == pid


def test_parameters_use_the_listening_keywords(demo_root: Path, demo_truth: dict) -> None:
    params = load_params("demo-ledgerly", parameters_dir=demo_root / "parameters")
    assert params.timezone == "Europe/London" and params.currency == "GBP"
    assert "outage" in params.listening.topics
    assert params.brand == demo_truth["clients"]["demo-ledgerly"]["brand"]


# ---------------------------------------------------------------------------------------------
# safety and errors


def test_refuses_to_overwrite_a_client_folder_not_written_by_demo(tmp_path: Path) -> None:
    own = tmp_path / "data" / "demo-lumiere"
    own.mkdir(parents=True)
    (own / "posts.csv").write_text("post_id\nreal\n")
    with pytest.raises(DataValidationError, match=r"demo-lumiere: exists and was not written by `kpi demo`"):
        generate(tmp_path, end_month=END_MONTH)
    assert (own / "posts.csv").read_text() == "post_id\nreal\n"


def test_refuses_to_overwrite_parameters_not_written_by_demo(tmp_path: Path) -> None:
    pdir = tmp_path / "parameters"
    pdir.mkdir()
    (pdir / "demo-ledgerly.yaml").write_text("client: demo-ledgerly\n")
    with pytest.raises(ParameterError, match=r"demo-ledgerly\.yaml: exists and was not written by `kpi demo`"):
        generate(tmp_path, end_month=END_MONTH)
    assert not (tmp_path / "data").exists()


def test_bad_end_month_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from kpi_toolkit.cli import main

    with pytest.raises(ParameterError, match=r"--end-month must be YYYY-MM \(got '2026-13'\)"):
        parse_end_month("2026-13")
    assert main(["demo", "--root", str(tmp_path), "--end-month", "October"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: --end-month must be YYYY-MM (got 'October')"


def test_default_end_month_is_the_last_complete_month_in_utc() -> None:
    now = datetime.now(UTC)
    expected = pd.Period(f"{now.year}-{now.month:02d}", "M") - 1
    got = parse_end_month(None)
    if got != expected:  # the month turned over between the two calls
        now = datetime.now(UTC)
        expected = pd.Period(f"{now.year}-{now.month:02d}", "M") - 1
    assert got == expected


def test_mention_ids_and_post_ids_are_unique_and_stable(loaded: dict) -> None:
    for client in DEMO_CLIENTS:
        d = loaded[client]
        assert d.mentions["mention_id"].is_unique and d.posts["post_id"].is_unique
        assert d.mentions["published_at"].is_monotonic_increasing
        assert re.fullmatch(r"[a-z]{3}-m\d{7}", d.mentions["mention_id"].iloc[0])
