"""kpi_toolkit.sentiment: privacy, VADER scoring, labels, topics, responses, alerts, `kpi sentiment`.

Reference values: VADER compound scores published in the vaderSentiment README (Hutto & Gilbert 2014,
https://github.com/cjhutto/vaderSentiment#code-examples); HMAC-SHA256 from Python's hmac module
(RFC 2104); response figures and topic counts hand-computed on the inline frames.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit import sentiment as S
from kpi_toolkit.exceptions import DataValidationError, ParameterError
from kpi_toolkit.params import AlertRule, ListeningOptions, SentimentThresholds


def _ts(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True)).astype("datetime64[ns, UTC]")


def _mentions() -> pd.DataFrame:
    return pd.DataFrame({
        "mention_id": pd.array(["m1", "m2", "m3", "m4", "m5"], dtype="string"),
        "published_at": _ts("2026-10-01 10:00", "2026-10-01 12:00", "2026-10-02 09:00",
                            "2026-10-03 09:00", "2026-10-03 20:00"),
        "source": pd.array(["x", "x", "reddit", "news", "x"], dtype="string"),
        "brand": pd.array(["Lumo", "Lumo", "Lumo", "Rival", "Lumo"], dtype="string"),
        "text": pd.array(["I love the @lumo_fi serum! #GlowUp", "Terrible shipping, write to a.b@c.com",
                          None, "The book was good.", "Where is my parcel? Dry skin again"], dtype="string"),
        "sentiment_score": [np.nan, -0.6, 0.2, np.nan, np.nan],
        "author_id": pd.array(["@anna", "@bob", None, "@anna", "@cid"], dtype="string"),
        "needs_response": pd.array([True, True, False, pd.NA, True], dtype="boolean"),
        "responded_at": _ts("2026-10-01 13:00", "NaT", "NaT", "NaT", "2026-10-03 19:00"),
    })


# ---------------------------------------------------------------------------------------------- privacy

def test_pseudonymise_is_hmac_sha256_truncated_and_keeps_missing() -> None:
    ids = pd.Series(["@anna", None, "@anna", "@bob"], dtype="string", name="author_id")
    out = S.pseudonymise(ids, salt="s3cret")
    want = "a_" + hmac.new(b"s3cret", b"@anna", hashlib.sha256).hexdigest()[:16]
    assert out.iloc[0] == want and out.iloc[2] == want
    assert pd.isna(out.iloc[1])
    assert out.iloc[3] != want and out.name == "author_id" and len(out.iloc[3]) == 18
    pd.testing.assert_series_equal(S.pseudonymise(out, salt="other"), out)  # idempotent


def test_pseudonymise_reads_salt_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(S.SALT_ENV, "from-env")
    assert S.pseudonymise(["x"]).iloc[0] == S.pseudonymise(["x"], salt="from-env").iloc[0]
    assert S.salt_note() is None


def test_pseudonymise_without_salt_uses_one_random_salt_per_process(monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv(S.SALT_ENV, raising=False)
    monkeypatch.setattr(S, "_PROCESS_SALT", None)  # as in a fresh process
    with caplog.at_level("WARNING", logger="kpi_toolkit.sentiment"):
        a, b = S.pseudonymise(["@anna"]).iloc[0], S.pseudonymise(["@anna"]).iloc[0]
    assert a == b and "anna" not in a
    assert a != S.pseudonymise(["@anna"], salt="other").iloc[0]
    # the operator is told once per process, on the module's logger (not in any report text)
    warned = [r for r in caplog.records if r.name == "kpi_toolkit.sentiment"]
    assert len(warned) == 1 and warned[0].levelname == "WARNING"
    assert warned[0].getMessage() == S.salt_note()
    assert "KPI_PSEUDONYM_SALT is not set" in S.salt_note()


def _listening_ctx(mentions: pd.DataFrame):
    from kpi_toolkit.context import ReportContext
    from kpi_toolkit.data import ClientData
    from kpi_toolkit.params import parse_params
    from kpi_toolkit.periods import month_period

    params = parse_params({"client": "lumo", "display_name": "Lumo", "brand": "Lumo", "timezone": "UTC"})
    data = ClientData(client="lumo", data_dir=Path("."), tables={"mentions": mentions})
    return ReportContext(client="lumo", month="2026-10", params=params, data=data,
                         period=month_period("2026-10", "UTC"))


def test_listening_view_keeps_the_salt_message_out_of_client_text(monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """Without KPI_PSEUDONYM_SALT the authors are still pseudonymised (a random key), the operator gets
    a logged warning, and the client's section says nothing about environment variables or keys."""
    from kpi_toolkit.display import view_html

    monkeypatch.delenv(S.SALT_ENV, raising=False)
    monkeypatch.setattr(S, "_PROCESS_SALT", None)
    ctx = _listening_ctx(_mentions())
    with caplog.at_level("WARNING", logger="kpi_toolkit.sentiment"):
        view = S.listening_view(ctx)
        t = S.listening_tables(ctx)
    assert view.skipped_reason is None
    text = " ".join([*view.sentences, *view.caveats, *(f"{r.action} {r.evidence}" for r in view.recommendations)])
    html = view_html(view) + text + " ".join(t["caveats"])
    assert S.SALT_ENV not in html and "random key" not in html
    assert any(S.SALT_ENV in r.getMessage() for r in caplog.records if r.name == "kpi_toolkit.sentiment")
    # privacy unchanged: every author id of the month is a keyed hash (3 of the 4 Lumo mentions have one)
    ids = t["mentions"]["author_id"].dropna()
    assert len(ids) == 3 and ids.str.fullmatch(r"a_[0-9a-f]{16}").all()
    assert not {"@anna", "@bob", "@cid"} & set(ids)


def test_mask_handles_masks_handles_and_emails_not_hashtags() -> None:
    text = "@anna_b: mail a.b@x.com or see #glow, thanks @x!"
    assert S.mask_handles(text) == "@user: mail [email] or see #glow, thanks @user!"
    s = S.mask_handles(pd.Series(["hi @bob", None], dtype="string"))
    assert s.iloc[0] == "hi @user" and pd.isna(s.iloc[1])


def test_privacy_safe_leaves_no_raw_handle_and_does_not_mutate() -> None:
    m = _mentions()
    before = m.copy()
    safe = S.privacy_safe(m, salt="k")
    pd.testing.assert_frame_equal(m, before)
    dump = safe.astype(str).to_csv()
    for raw in ("@anna", "@bob", "@cid", "@lumo_fi", "a.b@c.com"):
        assert raw not in dump


# ---------------------------------------------------------------------------------------------- VADER

def test_vader_scores_match_the_published_readme_examples() -> None:
    # vaderSentiment README, "Code Examples": compound scores of the demo sentences.
    texts = ["VADER is smart, handsome, and funny.", "The book was good.", "Today SUX!",
             "At least it isn't a horrible book."]
    np.testing.assert_allclose(S.score_text(texts).to_numpy(), [0.8316, 0.4404, -0.5461, 0.431])


def test_score_text_scores_each_distinct_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    class Fake:
        def polarity_scores(self, t: str) -> dict[str, float]:
            calls.append(t)
            return {"compound": 0.5 if "good" in t else -0.5}

    monkeypatch.setattr(S, "_vader", lambda: Fake())
    texts = pd.Series(["good"] * 500 + ["bad"] * 500 + [None, "  "], dtype="string")
    out = S.score_text(texts)
    assert sorted(calls) == ["bad", "good"]
    assert out.iloc[0] == 0.5 and out.iloc[600] == -0.5 and out.iloc[-2:].isna().all()


def test_label_sentiment_thresholds_are_inclusive() -> None:
    scores = pd.Series([-0.05, -0.0499, 0.0, 0.05, np.nan, 0.9])
    got = S.label_sentiment(scores).tolist()
    assert got[:4] == ["negative", "neutral", "neutral", "positive"] and pd.isna(got[4]) and got[5] == "positive"
    assert S.label_sentiment(pd.Series([0.2]), negative=-0.5, positive=0.3).iloc[0] == "neutral"


def test_label_sentiment_rejects_crossed_thresholds() -> None:
    with pytest.raises(ParameterError, match=r"negative \(0.2\) must be below positive \(0.1\)"):
        S.label_sentiment(pd.Series([0.0]), negative=0.2, positive=0.1)


def test_add_sentiment_uses_provided_scores_and_vader_for_the_rest() -> None:
    out = S.add_sentiment(_mentions())
    assert out["sentiment_method"].tolist()[:4] == ["vader", "provided", "provided", "vader"]
    assert out.loc[1, "sentiment_score"] == -0.6 and out.loc[3, "sentiment_score"] == 0.4404
    assert out["sentiment_label"].tolist()[1:4] == ["negative", "positive", "positive"]
    assert "50 %" not in S.sentiment_method_sentence(out)  # 3 of 5 were scored by VADER
    assert "60 % of mentions had none" in S.sentiment_method_sentence(out)


def test_add_sentiment_can_ignore_provided_scores() -> None:
    out = S.add_sentiment(_mentions(), use_provided=False)
    assert set(out["sentiment_method"].dropna()) == {"vader"}
    assert pd.isna(out.loc[2, "sentiment_method"])  # no text, provided score ignored
    assert "VADER" in S.sentiment_method_sentence(out)


def test_add_sentiment_without_scores_or_text_says_so() -> None:
    m = _mentions().drop(columns=["sentiment_score", "text"])
    with pytest.raises(DataValidationError, match=r"mentions: column 'text': no sentiment_score and no 'text' column"):
        S.add_sentiment(m)


def test_topic_thresholds_relabel_rows_of_that_topic() -> None:
    m = _mentions().assign(topic=pd.array(["skin", "shipping", "skin", None, None], dtype="string"))
    th = {"shipping": SentimentThresholds(negative=-0.7, positive=0.5)}
    out = S.add_sentiment(m, topic_thresholds=th)
    assert out.loc[1, "sentiment_label"] == "neutral"  # -0.6 is not below -0.7
    assert S.add_sentiment(m).loc[1, "sentiment_label"] == "negative"


# ---------------------------------------------------------------------------------------------- topics

def test_tag_topics_matches_whole_words_hashtags_and_phrases() -> None:
    m = _mentions()
    tags = S.tag_topics(m, {"product": ["serum"], "campaign": ["#glowup"], "shipping": ["parcel", "shipping"],
                            "concerns": ["dry skin"], "glow": ["glow"]})
    got = sorted(zip(tags["mention_id"], tags["topic"], strict=True))
    assert got == [("m1", "campaign"), ("m1", "product"), ("m2", "shipping"), ("m3", "other"),
                   ("m4", "other"), ("m5", "concerns"), ("m5", "shipping")]
    # "glow" does not match "#GlowUp" (not a whole word)


def test_tag_topics_adds_the_data_topic_column() -> None:
    m = _mentions().assign(topic=pd.array(["launch", None, None, None, None], dtype="string"))
    tags = S.tag_topics(m, {"product": ["serum"]})
    m1 = tags[tags["mention_id"] == "m1"].set_index("topic")["matched_by"].to_dict()
    assert m1 == {"launch": "data", "product": "keywords"}


def test_sentiment_by_topic_counts_with_per_topic_thresholds() -> None:
    m = S.add_sentiment(_mentions())
    tags = pd.DataFrame({"mention_id": ["m1", "m2", "m5", "m2"], "topic": ["a", "a", "a", "b"]})
    out = S.sentiment_by_topic(m, tags, topic_thresholds={"b": {"negative": -0.9, "positive": 0.9}})
    a = out.set_index("topic").loc["a"]
    # m1 VADER positive, m2 provided -0.6 negative, m5 "Where is my parcel? Dry skin again" VADER
    assert (a["mentions"], a["scored"]) == (3, 3)
    assert a["negative"] + a["neutral"] + a["positive"] == 3 and a["positive"] >= 1 and a["negative"] >= 1
    b = out.set_index("topic").loc["b"]
    assert (b["negative"], b["neutral"], b["negative_share"]) == (0, 1, 0.0)


# ---------------------------------------------------------------------------------------------- response

def test_response_metrics_hand_computed() -> None:
    # needing a response: m1 (answered after 3 h), m2 (not answered), m5 (answered 1 h BEFORE posting:
    # invalid, left out). m4's blank flag counts as not needing one.
    out = S.response_metrics(_mentions())
    row = out.iloc[0]
    assert (row["needing_response"], row["answered"], row["invalid_response_times"]) == (2, 1, 1)
    assert row["response_rate"] == 0.5 and row["median_response_hours"] == 3.0


def test_response_metrics_by_group_and_as_of() -> None:
    m = _mentions()
    m.loc[4, "responded_at"] = pd.Timestamp("2026-10-05 20:00", tz="UTC")  # 48 h later
    by = S.response_metrics(m, by=["source"]).set_index("source")
    assert by.loc["x", "needing_response"] == 3 and by.loc["x", "answered"] == 2
    assert by.loc["x", "median_response_hours"] == pytest.approx(25.5)
    early = S.response_metrics(m, as_of=pd.Timestamp("2026-10-04", tz="UTC")).iloc[0]
    assert early["answered"] == 1 and early["response_rate"] == pytest.approx(1 / 3)


def test_response_metrics_needs_the_flag_column() -> None:
    with pytest.raises(DataValidationError, match=r"mentions: column 'needs_response': required column is missing"):
        S.response_metrics(_mentions().drop(columns="needs_response"))


# ---------------------------------------------------------------------------------------------- alerts

def _daily_mentions(spike_day: str, *, days: int = 120, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2026-06-01", periods=days, freq="D", tz="UTC")
    rows = []
    for d in dates:
        n = int(rng.poisson(40))
        neg = int(rng.binomial(n, 0.15))
        if d.strftime("%Y-%m-%d") == spike_day:
            n, neg = n + 200, neg + 180
        for i in range(n):
            rows.append((d + pd.Timedelta(minutes=i), -0.8 if i < neg else 0.6))
    return pd.DataFrame({"mention_id": [f"m{i}" for i in range(len(rows))],
                         "published_at": pd.to_datetime([r[0] for r in rows], utc=True),
                         "brand": "Lumo", "sentiment_score": [r[1] for r in rows]})


def test_listening_alerts_flag_a_negative_spike_with_its_owner() -> None:
    m = S.add_sentiment(_daily_mentions("2026-09-10"))
    rules = {"negative_share": AlertRule(threshold=3.0, direction="up", owner="Community team")}
    alerts = S.listening_alerts(m, start=pd.Timestamp("2026-09-01", tz="UTC"),
                                end=pd.Timestamp("2026-09-28", tz="UTC"), rules=rules,
                                default_rule=AlertRule())
    day = pd.Timestamp("2026-09-10")
    hit = alerts[(alerts["date"] == day) & (alerts["series"] == "negative_share")]
    assert len(hit) == 1 and hit["owner"].iloc[0] == "Community team" and hit["direction"].iloc[0] == "spike"
    assert ((alerts["series"] == "mentions") & (alerts["date"] == day)).any()
    assert (alerts["date"] >= pd.Timestamp("2026-09-01")).all()


def test_alert_series_follow_the_configured_rules() -> None:
    assert S.alert_series({}) == ["mentions", "negative_mentions"]
    assert S.alert_series({"negative_share": AlertRule()}) == ["mentions", "negative_share"]


# ---------------------------------------------------------------------------------------------- params

def test_listening_params_reject_crossed_thresholds() -> None:
    with pytest.raises(ValueError, match=r"negative threshold \(0.3\) must be below the positive one \(0.1\)"):
        ListeningOptions(sentiment_thresholds={"negative": 0.3, "positive": 0.1})


# ---------------------------------------------------------------------------------------------- CLI

def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from kpi_toolkit.cli import main

    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_scores_a_semicolon_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "export.csv"
    src.write_text('id;body;x\n1;"The book was good.";a\n2;Today SUX!;b\n3;;c\n', encoding="utf-8")
    out = tmp_path / "out" / "scored.csv"
    rc, _, err = _run(["sentiment", str(src), "--text-col", "body", "--sep", ";", "-o", str(out)], capsys)
    assert rc == 0 and "scored 2 of 3 rows" in err
    df = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["id", "body", "x", "sentiment_score", "sentiment_label"]
    assert df["sentiment_score"].tolist() == ["0.4404", "-0.5461", ""]
    assert df["sentiment_label"].tolist() == ["positive", "negative", ""]


def test_cli_writes_to_stdout_and_masks_handles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "e.csv"
    src.write_text("text\nlove it @bob\n", encoding="utf-8")
    rc, out, _ = _run(["sentiment", str(src), "--mask-handles"], capsys)
    assert rc == 0 and out.splitlines()[1].startswith("love it @user,")


@pytest.mark.parametrize("content,args,message", [
    (None, [], "no such file"),
    ("id;text\n1;x\n", [], "column 'text': no such column; the file has: id;text (is --sep right?)"),
    ("id,body\n1,x\n", ["--text-col", "text"], "column 'text': no such column; the file has: id, body"),
    ("text,sentiment_score\nx,1\n", [], "column 'sentiment_score': already exists; pass --overwrite"),
    ("text\nx\n", ["--negative", "0.5", "--positive", "0.1"], "--negative (0.5) must be below --positive (0.1)"),
    ("text\nx\n", ["--sep", "ab"], "--sep must be one character"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: str | None, args: list[str], message: str) -> None:
    src = tmp_path / "in.csv"
    if content is not None:
        src.write_text(content, encoding="utf-8")
    rc, _, err = _run(["sentiment", str(src), *args], capsys)
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1


def test_cli_rejects_non_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "latin.csv"
    src.write_bytes("text\nh\xe9las\n".encode("latin-1"))
    rc, _, err = _run(["sentiment", str(src)], capsys)
    assert rc == 2 and "not UTF-8 text" in err


# ---------------------------------------------------------------------------------------------- demo truth

@pytest.mark.slow
def test_demo_crisis_shows_as_negative_spike(demo_root: Path, demo_truth: dict) -> None:
    from kpi_toolkit.context import load_context

    for client, truth in demo_truth["clients"].items():
        crisis = truth["crisis"]
        ctx = load_context(client=client, month=crisis["in_month"], data_dir=demo_root / "data",
                           parameters_dir=demo_root / "parameters", tables=["mentions"])
        t = S.listening_tables(ctx)
        alerts = t["alerts"]
        neg = alerts[alerts["series"].isin(["negative_share", "negative_mentions"])
                     & (alerts["direction"] == "spike")]
        start = pd.Timestamp(crisis["start_local"]).normalize()
        end = pd.Timestamp(crisis["end_utc"]).tz_convert(ctx.tz).tz_localize(None)
        assert ((neg["date"] >= start) & (neg["date"] <= end)).any(), (client, alerts)
        # and the crisis topic is the month's most negative topic among those with enough mentions
        bt = t["by_topic"]
        big = bt[(bt["scored"] >= S.MIN_TOPIC_MENTIONS) & (bt["topic"] != "other")]
        assert big.sort_values("negative_share").iloc[-1]["topic"] == crisis["topic"], (client, big)


@pytest.mark.slow
def test_demo_listening_view_is_privacy_safe(demo_root: Path, demo_truth: dict,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from kpi_toolkit.context import load_context
    from kpi_toolkit.display import view_html

    monkeypatch.delenv(S.SALT_ENV, raising=False)  # the random-key case: still no trace in the report
    client = "demo-lumiere"
    crisis = demo_truth["clients"][client]["crisis"]
    ctx = load_context(client=client, month=crisis["in_month"], data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters", tables=["mentions"])
    view = S.listening_view(ctx)
    assert view.skipped_reason is None and view.figure is not None
    assert any(r.priority == 1 and "negative spike" in r.action for r in view.recommendations)
    html = view_html(view) + json.dumps([str(v) for v in view.extra.values()])
    raw = ctx.data.mentions
    handles = set(raw["author_id"].dropna().astype(str).head(200)) if "author_id" in raw.columns else set()
    assert not any(h in html for h in handles if len(h) > 3)
    assert S.SALT_ENV not in html and "random key" not in html  # logged for the operator, not shown


@pytest.mark.slow
def test_monthly_report_lists_each_mention_alert_once(demo_root: Path) -> None:
    """The trend section watches mentions and the negative share (demo-ledgerly's alert rules), so the
    listening section leaves those alerts to it and says where they are: one alert, one set of
    numbers. Left on its own (the competitor notebook), the listening view still lists them."""
    from kpi_toolkit import report
    from kpi_toolkit.context import load_context

    from .conftest import DEMO_END_MONTH

    ctx = load_context(client="demo-ledgerly", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    views = {v.key: v for v in report.driver_views(ctx)}
    trend, listening = views["trend"], views["listening"]
    trend_alerts = trend.extra["alerts"]
    assert set(trend_alerts["kpi"]) & {"mentions", "negative_share"}, trend_alerts  # the month has mention alerts
    text = " ".join(listening.sentences)
    assert "Alerts this month" not in text
    assert "listed with the month's other alerts under 'How the main numbers are trending'" in text
    assert listening.table is not None and "Topic" in listening.table.columns  # topics, not alerts again
    # no step of its own about the spikes (a rise in the month's negative share may be a step: it shares the
    # spike's topic, so that the trend section's spike step covers it in Part 3)
    assert not any(r.action.startswith("Review the negative spike") for r in listening.recommendations)
    spike_steps = [r for r in report.recommendations(list(views.values()), limit=None)
                   if "negative-mentions-spike" in r.topics]
    assert len(spike_steps) == 1 and spike_steps[0].source == "trends", spike_steps
    alone = S.listening_view(ctx)
    assert "Alerts this month" in " ".join(alone.sentences) and "What" in alone.table.columns


def test_negative_share_change_is_tested_on_days_like_the_snapshot_rates() -> None:
    """Hand values: this month 5 of 10 then 1 of 10 negative (30 %), last month 2 of 10 twice (20 %).
    Pooled 25 %: z = 0.1 / sqrt(0.25 * 0.75 * (1/20 + 1/20)) = 0.7303. Pearson dispersion of the days
    around their month's share: ((5-3)² + (1-3)²) / (10 * 0.3 * 0.7) + 0 over 2 dof = 40/21, so the
    z is 0.7303 / sqrt(40/21) = 0.5292 and p = 0.597 (the textbook test alone would say 0.465)."""
    from scipy.stats import norm

    def frame(days: list[tuple[str, int, int]]) -> pd.DataFrame:
        rows = []
        for day, n, k in days:
            rows += [{"published_at": pd.Timestamp(f"{day} 12:00", tz="UTC"),
                      "sentiment_label": "negative" if i < k else "positive"} for i in range(n)]
        return pd.DataFrame(rows)

    cur = frame([("2026-10-01", 10, 5), ("2026-10-02", 10, 1)])
    prev = frame([("2026-09-01", 10, 2), ("2026-09-02", 10, 2)])
    out = S.negative_share_change(cur, prev, tz="Europe/Helsinki")
    assert (out["negative"], out["scored"]) == (6, 20)
    assert out["negative_share"] == pytest.approx(0.3) and out["previous_negative_share"] == pytest.approx(0.2)
    assert out["dispersion"] == pytest.approx(40 / 21)
    z = 0.1 / np.sqrt(0.25 * 0.75 * 0.1) / np.sqrt(40 / 21)
    assert z == pytest.approx(0.5292, abs=1e-4)
    assert out["p_value"] == pytest.approx(2 * norm.sf(z)) and out["p_value"] == pytest.approx(0.597, abs=1e-3)
    # days as binomial as can be: no adjustment, the textbook test (statsmodels) exactly
    from statsmodels.stats.proportion import proportions_ztest

    even = S.negative_share_change(frame([("2026-10-01", 10, 3), ("2026-10-02", 10, 3)]), prev)
    assert even["dispersion"] == 1.0
    assert even["p_value"] == pytest.approx(proportions_ztest([6, 4], [20, 20])[1])


def test_the_listening_section_says_when_a_series_it_still_watches_had_no_alert(
        demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mentions are watched in the trend section; the share of negative mentions (no scores in the data
    for the trend section to use) is watched here. A quiet month says so for that series."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import AlertRule

    from .conftest import DEMO_END_MONTH

    ctx = load_context(client="demo-trailhead", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.params.trends.alerts = {"mentions": AlertRule(), "negative_share": AlertRule()}
    real = S.listening_tables

    def quiet(c: object, **kw: object) -> dict:
        t = real(c, **kw)
        return {**t, "alerts": t["alerts"].iloc[0:0]}

    monkeypatch.setattr(S, "listening_tables", quiet)
    view = S.listening_view(ctx, alerts_elsewhere=["mentions"], elsewhere_title="How the main numbers are trending")
    assert "No alert on the share of negative mentions this month." in view.sentences
    assert ("Spikes and drops in mentions are listed with the month's other alerts under 'How the main numbers "
            "are trending'.") in view.sentences
    everything = S.listening_view(ctx, alerts_elsewhere=["mentions", "negative_share"])
    assert not any(s.startswith("No alert on") for s in everything.sentences)


def test_listening_alerts_are_the_trend_sections_alerts_where_the_trends_can_compute_them(demo_root: Path) -> None:
    """One spike reads the same everywhere: the listening tables (competitor notebook) and the trend
    section give the same day, value and expected level for brand mentions."""
    from kpi_toolkit import trends
    from kpi_toolkit.context import load_context

    from .conftest import DEMO_END_MONTH

    found = 0
    for client in ("demo-ledgerly", "demo-lumiere", "demo-trailhead"):
        ctx = load_context(client=client, month=DEMO_END_MONTH, data_dir=demo_root / "data",
                           parameters_dir=demo_root / "parameters")
        ours = S.listening_tables(ctx)["alerts"]
        theirs = trends.trend_view(ctx).extra["alerts"]
        theirs = theirs[theirs["kpi"] == "mentions"]
        for _, w in theirs.iterrows():  # the trend window's most unusual day is one of our alert days
            day = ours[(ours["series"] == "mentions") & (ours["date"] == pd.Timestamp(w["peak_at"]).normalize())]
            assert len(day) == 1, (client, w["peak_at"])
            assert day["value"].iloc[0] == pytest.approx(w["value"])
            assert day["expected"].iloc[0] == pytest.approx(w["expected"])
            found += 1
        assert set(ours.loc[ours["series"] == "mentions", "date"]) <= {
            d for _, w in theirs.iterrows() for d in pd.date_range(w["start"], w["end"], freq="D")}
    assert found >= 1  # the demo plants at least one mention spike in its last month


# ---------------------------------------------------------------------------------------------- handles, more forms

@pytest.mark.parametrize("text,masked", [
    (".@jane_doe loves it", ".@user loves it"),
    ("RT@jane_doe hi", "RT@user hi"),
    ("rt:@jane_doe hi", "rt:@user hi"),
    ("@Jürgen_K wrote", "@user wrote"),
    ("@Ju\u0308rgen_K wrote", "@user wrote"),  # the ü written as u + combining diaeresis
    ("\uff20jane_doe", "@user"),
    ("thanks @jane.doe.", "thanks @user."),
    ("@@jane_doe", "@@user"),
    ("mail a.b@x.com or me@home.org", "mail [email] or [email]"),
    ("me@home", "[email]"),
    ("write jürgen@firma.de, +bob@x.com", "write [email], [email]"),
    ("ART@jane_doe", "[email]"),
    ("see #glow @user [email]", "see #glow @user [email]"),
    ("\ufe6bjane_doe hi", "@user hi"),  # the small commercial at
    ("@\u200bjane_doe wow", "@user wow"),  # a zero-width space after the @
    ("@jane-doe said", "@user said"),
    ("see u/jane_doe", "see u/user"),
    ("https://x.com/jane_doe and instagram.com/jane.doe!", "[profile link] and [profile link]!"),
    ("linkedin.com/in/jane-doe-123", "[profile link]"),
    ("the u/s ratio", "the u/s ratio"),
])
def test_mask_handles_masks_every_form_of_handle(text: str, masked: str) -> None:
    assert S.mask_handles(text) == masked
    assert S.mask_handles(masked) == masked  # masking twice changes nothing


def test_cli_masks_the_handle_forms_and_keeps_addresses_as_emails(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import io

    src = tmp_path / "e.csv"
    src.write_text("text\n.@jane_doe loves it\nRT@jane_doe hi\n@Jürgen_K wrote\n\uff20jane_doe\nme@home\n",
                   encoding="utf-8")
    rc, out, _ = _run(["sentiment", str(src), "--mask-handles"], capsys)
    df = pd.read_csv(io.StringIO(out), dtype=str)
    assert rc == 0 and df["text"].tolist() == [".@user loves it", "RT@user hi", "@user wrote", "@user", "[email]"]


def test_negative_share_allows_for_runs_of_alike_days_as_the_snapshot_does() -> None:
    """A month whose angry days come in one run (the first 10 of 20 days at 6 of 10 negative, the
    rest at 1 of 10) varies more as a total than the same days in any order: the listening section's
    test widens its dispersion by the Newey-West factor, with the snapshot's one function
    (trends.significance.day_dispersion), and is less sure than the days-as-independent test."""
    from kpi_toolkit.trends.significance import (
        day_dispersion,
        pearson_dispersion,
        serial_correlation_factor,
    )

    def frame(month: str, negatives: list[int]) -> pd.DataFrame:
        rows = [{"published_at": pd.Timestamp(f"{month}-{d + 1:02d} 12:00", tz="UTC"),
                 "sentiment_label": "negative" if i < k else "positive"}
                for d, k in enumerate(negatives) for i in range(10)]
        return pd.DataFrame(rows)

    cur_k = [6] * 10 + [1] * 10
    prev_k = [2, 3] * 10
    out = S.negative_share_change(frame("2026-10", cur_k), frame("2026-09", prev_k))
    units = [(np.array(cur_k, float), np.full(20, 10.0)), (np.array(prev_k, float), np.full(20, 10.0))]
    factor = serial_correlation_factor(units, kind="binomial")
    assert factor > 1.5  # one long run: strongly correlated days
    assert out["dispersion"] == pytest.approx(day_dispersion(units, kind="binomial"))
    assert out["dispersion"] == pytest.approx(pearson_dispersion(units, kind="binomial") * factor)


def test_the_alerts_view_counts_alerts_as_the_trend_section_does(demo_root: Path) -> None:
    """demo-lumiere 2026-10: the competitor notebook said "5 alerts this month" (alert days) where the
    trend notebook and the monthly report list 2 alerts (mentions 13-14 Oct, share of negative
    mentions 13-15 Oct): a run of consecutive days of one series is one alert."""
    from kpi_toolkit import trends
    from kpi_toolkit.context import load_context

    from .conftest import DEMO_END_MONTH

    days = pd.DataFrame({"series": ["mentions", "negative_share", "mentions", "negative_share", "negative_share",
                                    "mentions"],
                         "direction": ["spike"] * 5 + ["drop"],
                         "date": pd.to_datetime(["2026-10-13", "2026-10-13", "2026-10-14", "2026-10-14",
                                                 "2026-10-15", "2026-10-28"]),
                         "value": [271, 0.742, 251, 0.737, 0.51, 20], "expected": [78, 0.199, 81, 0.2, 0.19, 70],
                         "owner": ["Community team"] * 6})
    assert S.alert_episodes_sentence(days) == (
        "3 alerts this month (6 unusual days): a spike in mentions from 13 to 14 Oct; a spike in share of "
        "negative mentions from 13 to 15 Oct; a drop in mentions on 28 Oct.")
    assert S.alert_episodes_sentence(days.iloc[:0]) == "No alert this month."
    for client in ("demo-ledgerly", "demo-lumiere", "demo-trailhead"):
        ctx = load_context(client=client, month=DEMO_END_MONTH, data_dir=demo_root / "data",
                           parameters_dir=demo_root / "parameters")
        theirs = trends.trend_view(ctx).extra["alerts"]
        skipped = dict(theirs.attrs.get("skipped", []))  # e.g. no sentiment scores: only listening checks it
        watched = [k for k in ("mentions", "negative_mentions", "negative_share") if k not in skipped]
        ours = S.listening_tables(ctx)["alerts"]
        assert len(S.alert_episodes(ours[ours["series"].isin(watched)])) == int(theirs["kpi"].isin(watched).sum())
        said = S.alerts_view(ctx).sentences[-1]
        n = len(S.alert_episodes(ours))
        assert said.startswith(f"{n} alert" if n else "No alert"), (client, said)


def test_topics_that_read_equally_negative_are_named_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """demo-ledgerly 2026-10 called invoicing "also the most negative (19.3 % negative)" above a table
    where pricing shows 19.3 % too. Hand values: invoicing 136 of 705 (19.29 %), pricing 80 of 415
    (19.28 %), integrations 84 of 439 (19.13 %, reads 19.1 %)."""
    ctx = _listening_ctx(_mentions())
    t = S.listening_tables(ctx)
    counts = [("invoicing", 705, 136), ("integrations", 439, 84), ("pricing", 415, 80)]
    by_topic = pd.DataFrame({"topic": pd.array([c[0] for c in counts], dtype="string"),
                             "mentions": [c[1] for c in counts], "scored": [c[1] for c in counts],
                             "negative": [c[2] for c in counts], "neutral": [0] * 3,
                             "positive": [c[1] - c[2] for c in counts]})
    for col in ("negative", "neutral", "positive"):
        by_topic[f"{col}_share"] = by_topic[col] / by_topic["scored"]
    monkeypatch.setattr(S, "listening_tables", lambda *a, **k: {**t, "by_topic": by_topic})
    text = " ".join(S.listening_view(ctx).sentences)
    assert ("The most discussed topic, invoicing (705 mentions), was also among the most negative: "
            "invoicing and pricing were each 19.3 % negative.") in text, text
    # the most discussed topic not among them: both named, no single "most negative"
    by_topic["negative"] = [100, 88, 83]                # 14.2 %; 20.05 % and 20.00 %, both read 20.0 %
    by_topic["negative_share"] = by_topic["negative"] / by_topic["scored"]
    text = " ".join(S.listening_view(ctx).sentences)
    assert ("The most discussed topic was invoicing (705 mentions); the most negative were integrations "
            "and pricing, each 20.0 % negative.") in text, text


def test_the_listening_section_says_when_topics_add_up_to_more_than_the_mentions() -> None:
    """demo-ledgerly 2026-10: 2,322 mentions, and a topic table whose six topics add up to 2,542 (705 +
    439 + 417 + 415 + 362 + 204), unexplained. Hand values on the inline frame: Lumo has 4 mentions;
    skincare tags m1 and m5, shipping m2 and m5, m3 is 'other': 5 topic mentions for 4 mentions."""
    from kpi_toolkit.context import ReportContext
    from kpi_toolkit.params import parse_params

    note = "A mention can touch several topics, so the topics add up to more than the 4 mentions."

    def sentences(topics: dict[str, list[str]]) -> list[str]:
        ctx = _listening_ctx(_mentions())
        params = parse_params({"client": "lumo", "display_name": "Lumo", "brand": "Lumo", "timezone": "UTC",
                               "listening": {"topics": topics}})
        ctx = ReportContext(client="lumo", month="2026-10", params=params, data=ctx.data, period=ctx.period)
        return S.listening_view(ctx).sentences

    assert note in sentences({"skincare": ["serum", "dry skin"], "shipping": ["shipping", "parcel"]})
    # one topic a mention: the topics add up to the mentions, and nothing is said
    assert not any("several topics" in s for s in sentences({"shipping": ["shipping", "parcel"]}))


def test_the_listening_section_states_the_response_rate_target_its_step_cites() -> None:
    """demo-lumiere 2026-10: the step 'Answer every question and complaint' cited 'response rate 81.7 %,
    target 90.0 %', and the section stated only the 24 h response-time target. Hand values on the inline
    frame: m1 and m2 needed an answer (m5's answer, stamped before it, is left out), m1 got one after 3 h:
    response rate 1 / 2 = 50.0 %, under the default 90 % target."""
    view = S.listening_view(_listening_ctx(_mentions()))
    step = next(r for r in view.recommendations if r.action == "Answer every question and complaint")
    assert "target 90.0 %" in step.evidence
    assert ("Of 2 mentions that needed an answer, 50.0 % got one (target 90.0 %); the median time to answer "
            "was 3.0 h (target 24.0 h).") in view.sentences, view.sentences


def test_a_clear_change_in_the_negative_share_gets_a_step_or_a_reason_in_part_3() -> None:
    """demo-ledgerly 2026-10: "19.6 % of the mentions were negative, against 16.3 % the month before; the
    change is unlikely to be chance (p = 0.02)" and Part 3 had no step and no word about it. A clear rise
    is now a step that a negative spike's step covers (same topic); a clear fall is good news in a
    held-back line; a change that could be chance or is tiny is left alone."""
    from kpi_toolkit.report import recommendations, recommendations_view
    from kpi_toolkit.sentiment import negative_share_step
    from kpi_toolkit.views import Recommendation, ReportView

    rise = {"negative_share": 0.196, "previous_negative_share": 0.163, "p_value": 0.02}
    step, held = negative_share_step(rise, n=2322, month_words="October 2026")
    assert held == [] and step is not None and step.priority == 2
    assert step.action == "Find out which complaints made more of the mentions negative, and answer them"
    assert step.evidence == ("19.6 % of the 2,322 mentions in October 2026 were negative, against 16.3 % the month "
                             "before; the change is unlikely to be chance (p = 0.02).")
    spike = Recommendation("Review the mentions about 'product recall' from 13 Oct on", "Negative share spiked.",
                           priority=1, topic="negative-mentions-spike")
    assert [r.action for r in recommendations([ReportView(key="l", title="l", recommendations=[step, spike])])] == [
        spike.action]
    fall = {"negative_share": 0.163, "previous_negative_share": 0.196, "p_value": 0.02}
    assert negative_share_step(fall, n=2322, month_words="October 2026") == (None, [
        "Listening: 16.3 % of the 2,322 mentions in October 2026 were negative, against 19.6 % the month before; "
        "the change is unlikely to be chance (p = 0.02). That is good news, so no step is needed for it."])
    view = recommendations_view([ReportView(key="l", title="l", held_back=negative_share_step(
        fall, n=2322, month_words="October 2026")[1])])
    assert "no analysis found" not in " ".join(view.sentences)
    for maybe in ({**rise, "p_value": 0.073}, {**rise, "negative_share": 0.165}):
        assert negative_share_step(maybe, n=2322, month_words="October 2026") == (None, [])


def test_the_listening_sections_own_alerts_without_a_step_are_named_in_part_3() -> None:
    """The listening section lists its own alerts (the series the trend section does not watch); only a
    negative spike became a step, and a drop in mentions or in negative mentions went unsaid in Part 3.
    They are now named in one held-back line with why no step is needed."""
    from kpi_toolkit.sentiment import listening_alerts_held_back

    alerts = pd.DataFrame({"series": ["negative_share", "mentions", "negative_mentions"],
                           "direction": ["spike", "drop", "drop"],
                           "date": pd.to_datetime(["2026-09-07", "2026-10-04", "2026-10-20"]),
                           "value": [0.7, 10, 2], "expected": [0.2, 80, 20], "owner": ["Community team", "", ""]})
    assert listening_alerts_held_back(alerts) == [
        "Listening alerts: a drop in mentions on 4 Oct: a change in how much people talk about the brand, neither "
        "good nor bad in itself, so no step is needed unless it lasts; a drop in negative mentions on 20 Oct: good "
        "news, so no step is needed."]
    assert listening_alerts_held_back(alerts.head(1)) == []
