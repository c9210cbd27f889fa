"""Goal pacing: baselines, targets, probabilities and statuses on hand-built clients and demo data."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.context import ReportContext
from kpi_toolkit.data import ClientData
from kpi_toolkit.exceptions import ParameterError
from kpi_toolkit.goals import GOAL_COLUMNS, goals_view, pace_goals
from kpi_toolkit.params import parse_params
from kpi_toolkit.periods import month_period


def _params(goals: list[dict]) -> object:
    return parse_params({"client": "acme", "display_name": "Acme", "brand": "Acme", "timezone": "UTC",
                         "goals": goals})


def _ads(months: int = 24, *, roas: float = 3.0, conv_per_day: float = 10.0, seed: int = 1,
         last_month: str = "2026-10") -> ClientData:
    """Daily ads rows for ``months`` months ending with ``last_month``: ROAS around ``roas``,
    conversions around ``conv_per_day`` a day (Poisson)."""
    rng = np.random.default_rng(seed)
    end = pd.Period(last_month, "M")
    days = pd.date_range((end - months + 1).start_time, end.end_time.normalize(), freq="D")
    spend = rng.uniform(90, 110, len(days))
    ads = pd.DataFrame({
        "date": days, "platform": pd.Series(["facebook"] * len(days), dtype="string"),
        "campaign": pd.Series(["always-on"] * len(days), dtype="string"), "spend": spend,
        "impressions": rng.poisson(10_000, len(days)).astype("int64"),
        "clicks": rng.poisson(120, len(days)).astype("int64"),
        "conversions": rng.poisson(conv_per_day, len(days)).astype("int64"),
        "revenue": spend * roas * rng.normal(1, 0.03, len(days)),
    })
    return ClientData(client="acme", data_dir=Path("."), tables={"ads": ads})


def test_status_follows_the_probability_of_reaching_the_target() -> None:
    data = _ads(roas=3.0)
    params = _params([
        {"kpi": "roas", "target": 2.0, "by": "2027-01-31", "owner": "Performance team"},
        {"kpi": "roas", "target": 3.0, "by": "2027-01-31"},
        {"kpi": "roas", "target": 5.0, "by": "2027-01-31"},
    ])
    df = pace_goals(data=data, params=params, month="2026-10")
    assert list(df.columns) == GOAL_COLUMNS
    assert list(df["status"]) == ["on_track", "at_risk", "off_track"]
    assert df["probability"].iloc[0] > 0.95 and df["probability"].iloc[2] < 0.05
    assert 0.3 <= df["probability"].iloc[1] <= 0.7  # a target equal to the level is a coin flip
    assert df["forecast"].iloc[0] == pytest.approx(3.0, rel=0.05)
    assert (df["lower"] < df["forecast"]).all() and (df["forecast"] < df["upper"]).all()
    assert df["owner"].iloc[0] == "Performance team" and df["months_left"].iloc[0] == 3
    assert df["direction"].iloc[0] == "at_least"
    # deterministic: fixed seeds
    pd.testing.assert_frame_equal(df, pace_goals(data=data, params=params, month="2026-10"))


def test_change_goal_baseline_is_the_three_months_before_start() -> None:
    data = _ads(conv_per_day=10.0)
    params = _params([{"kpi": "conversions", "change": 0.5, "start": "2026-08-01", "by": "2026-12-31"}])
    row = pace_goals(data=data, params=params, month="2026-10").iloc[0]
    ads = data.tables["ads"]
    months = ads["date"].dt.strftime("%Y-%m")
    per_month = ads.groupby(months)["conversions"].sum()
    baseline = per_month[["2026-05", "2026-06", "2026-07"]].mean()  # a count: mean of the months
    assert row["baseline"] == pytest.approx(baseline)
    assert row["target"] == pytest.approx(1.5 * baseline)
    assert row["current"] == pytest.approx(per_month["2026-10"])
    assert row["status"] == "off_track"  # +50 % with a flat series


def test_cost_goal_below_baseline_is_at_most() -> None:
    data = _ads()
    params = _params([{"kpi": "cpa", "change": -0.5, "start": "2026-07-01", "by": "2026-12-31"}])
    row = pace_goals(data=data, params=params, month="2026-10").iloc[0]
    assert row["direction"] == "at_most" and row["target"] < row["baseline"]
    assert row["status"] == "off_track"


def test_deadline_in_the_past_is_achieved_or_missed() -> None:
    data = _ads(roas=3.0)
    params = _params([{"kpi": "roas", "target": 2.5, "by": "2026-09-30"},
                      {"kpi": "roas", "target": 3.5, "by": "2026-10-31"}])
    df = pace_goals(data=data, params=params, month="2026-10")
    assert list(df["status"]) == ["achieved", "missed"]
    assert list(df["probability"]) == [1.0, 0.0]
    assert df["model"].tolist() == ["actual value", "actual value"]


def test_whole_period_total_goal() -> None:
    data = _ads(conv_per_day=10.0)
    params = _params([
        {"kpi": "conversions", "target": 1500, "start": "2026-09-01", "by": "2026-12-31", "over": "whole_period"},
        {"kpi": "conversions", "target": 1000, "start": "2026-09-01", "by": "2026-12-31", "over": "whole_period"},
    ])
    df = pace_goals(data=data, params=params, month="2026-10")
    # about 10 a day for 122 days: ~1,220 in total
    assert df["forecast"].iloc[0] == pytest.approx(1220, rel=0.06)
    assert list(df["status"]) == ["off_track", "on_track"]


def test_goal_on_a_missing_table_cannot_be_paced() -> None:
    data = _ads()
    params = _params([{"kpi": "mentions", "target": 100, "by": "2027-01-31"}])
    row = pace_goals(data=data, params=params, month="2026-10").iloc[0]
    assert row["status"] == "no_data" and "no mentions" in row["note"]
    assert math.isnan(row["probability"])


def test_too_little_history_cannot_be_paced() -> None:
    data = _ads(months=3)
    params = _params([{"kpi": "roas", "target": 3.0, "by": "2027-01-31"}])
    row = pace_goals(data=data, params=params, month="2026-10").iloc[0]
    assert row["status"] == "no_data" and "fewer than 4 months" in row["note"]



def _mentions(first: str, last_day: str, *, tz: str, per_day: int = 40, seed: int = 3) -> pd.DataFrame:
    """``per_day`` mentions a day between 06:00 and 22:00 local time (local days ``first``-01 to
    ``last_day``), 40 % of them of 'Acme', the rest of 'Rival'."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(f"{first}-01", last_day, freq="D")
    seconds = rng.uniform(6 * 3600, 22 * 3600, len(days) * per_day)
    local = np.repeat(days.to_numpy(), per_day) + pd.to_timedelta(seconds, unit="s").to_numpy()
    when = pd.DatetimeIndex(local).tz_localize(tz).tz_convert("UTC")
    n = len(when)
    return pd.DataFrame({
        "mention_id": pd.array([f"m{i}" for i in range(n)], dtype="string"), "published_at": when,
        "source": pd.array(["x"] * n, dtype="string"),
        "brand": pd.array(np.where(rng.random(n) < 0.4, "Acme", "Rival"), dtype="string")})


def test_a_month_whose_mentions_stop_at_its_start_is_left_out_of_the_forecast() -> None:
    """A Helsinki client's listening export cut at a UTC midnight: October holds 3 mentions from its first
    hours (local time) and nothing after. October counted as a full month: a share of voice of 0 % fitted as
    a real month, which widened the range and moved the chance. It is left out: the forecast is the one
    made from the complete months up to September, and the goal's sentence says why."""
    params = parse_params({"client": "acme", "display_name": "Acme", "brand": "Acme", "timezone": "Europe/Helsinki",
                           "goals": [{"kpi": "share_of_voice", "target": 0.45, "by": "2027-03-31",
                                      "owner": "Brand team"}]})
    full = _mentions("2025-05", "2026-09-30", tz="Europe/Helsinki")
    first_hours = pd.DataFrame({  # 1 October, 00:10-02:40 in Helsinki: still 30 September in UTC
        "mention_id": pd.array(["c1", "c2", "c3"], dtype="string"),
        "published_at": pd.DatetimeIndex(["2026-09-30T21:10Z", "2026-09-30T22:05Z", "2026-09-30T23:40Z"]),
        "source": pd.array(["x"] * 3, dtype="string"), "brand": pd.array(["Rival"] * 3, dtype="string")})
    data = ClientData(client="acme", data_dir=Path("."),
                      tables={"mentions": pd.concat([full, first_hours], ignore_index=True)})
    row = pace_goals(data=data, params=params, month="2026-10").iloc[0]
    assert row["current"] == 0.0
    # the same forecast as one made at the end of September: same months fitted, same deadline
    sept = pace_goals(data=data, params=params, month="2026-09").iloc[0]
    for c in ("forecast", "lower", "upper", "probability", "status", "model"):
        assert row[c] == sept[c], c
    assert 0.38 < row["forecast"] < 0.42  # about Acme's 40 %, not dragged towards October's 0 %
    assert row["data_ends"] == date(2026, 10, 1) and sept["data_ends"] is None
    view = goals_view(ReportContext(client="acme", month="2026-10", params=params, data=data,
                                    period=month_period("2026-10", "Europe/Helsinki")))
    assert view.sentences[0].startswith("Share of voice: at least 45.0 % in March 2027 (Brand team): now 0 % (up to "
                                        "1 Oct only); the forecast is ")
    assert view.sentences[0].endswith(" October 2026 is left out of the forecast: the mentions data stops on "
                                      "1 October 2026, so the month is not complete.")
    assert view.table["Now"].tolist() == ["0 % (up to 1 Oct only)"]


def test_a_deadline_in_a_month_cut_short_is_not_judged_yet() -> None:
    """The deadline month is the report month and its data stops on its 10th: 'missed, with ...' from a
    third of a month read as a result; whether the goal was met is not known yet."""
    params = _params([{"kpi": "conversions", "target": 250, "by": "2026-10-31"}])
    data = _ads(conv_per_day=10.0)
    ads = data.tables["ads"]
    data.tables["ads"] = ads[ads["date"] <= "2026-10-10"]
    row = pace_goals(data=data, params=params, month="2026-10").iloc[0]
    assert row["status"] == "no_data" and row["data_ends"] == date(2026, 10, 10)
    assert row["note"] == "the ads data stops on 10 October 2026, so October 2026 is not complete"
    from kpi_toolkit.goals import _goal_sentence

    assert _goal_sentence(row.to_dict(), "EUR") == (
        "Conversions (ads): at least 250 in October 2026: the deadline has come, but the ads data stops on "
        "10 October 2026, so October 2026 is not complete; whether it was met is not known yet.")


def test_a_month_that_ends_on_a_quiet_day_as_usual_is_a_full_month() -> None:
    """A client that never posts at weekends ends October 2026 (a Saturday the 31st) on Friday the 30th, as
    it ends many weeks: that is no cut, and October stays in the forecast."""
    days = pd.bdate_range("2025-06-01", "2026-10-31")  # weekdays only
    n = len(days)
    rng = np.random.default_rng(5)
    reach = rng.poisson(2000, n).astype("int64")
    posts = pd.DataFrame({
        "post_id": pd.array([f"p{i}" for i in range(n)], dtype="string"),
        "platform": pd.array(["linkedin"] * n, dtype="string"),
        "published_at": (days + pd.Timedelta(hours=9)).tz_localize("UTC"),
        "content_type": pd.array(["image"] * n, dtype="string"),
        "impressions": reach * 2, "reach": reach, "likes": rng.poisson(60, n).astype("int64"),
        "comments": rng.poisson(5, n).astype("int64"), "shares": rng.poisson(3, n).astype("int64")})
    data = ClientData(client="acme", data_dir=Path("."), tables={"posts": posts})
    params = _params([{"kpi": "reach", "target": 50_000, "by": "2027-01-31"}])
    row = pace_goals(data=data, params=params, month="2026-10").iloc[0]
    assert row["data_ends"] is None and row["status"] != "no_data"
    assert row["current"] == float(posts.loc[posts["published_at"] >= "2026-10-01", "reach"].sum())


# one test per bad input


def test_error_whole_period_on_a_rate() -> None:
    params = _params([{"kpi": "roas", "target": 3.0, "start": "2026-09-01", "by": "2027-01-31",
                       "over": "whole_period"}])
    with pytest.raises(ParameterError, match="over 'whole_period' needs a KPI that adds up"):
        pace_goals(data=_ads(), params=params, month="2026-10")


def test_error_no_context() -> None:
    with pytest.raises(ParameterError, match="pace_goals needs a report context, or data, params and month"):
        pace_goals()


def test_error_bad_cut_offs() -> None:
    with pytest.raises(ParameterError, match="need 0 < off_track < on_track < 1"):
        pace_goals(data=_ads(), params=_params([]), month="2026-10", on_track=0.2, off_track=0.5)


def test_error_change_without_start_or_baseline() -> None:
    with pytest.raises(ParameterError, match="goal on 'roas' gives 'change' but neither 'start' nor 'baseline'"):
        _params([{"kpi": "roas", "change": 0.1, "by": "2027-01-31"}])


def test_error_start_after_deadline() -> None:
    with pytest.raises(ParameterError, match=r"'start' \(2027-03-01\) must be before 'by' \(2027-01-31\)"):
        _params([{"kpi": "roas", "target": 3, "start": "2027-03-01", "by": "2027-01-31"}])


def test_error_unknown_goal_kpi() -> None:
    with pytest.raises(ParameterError, match="goal names unknown KPI 'roass' — did you mean 'roas'?"):
        _params([{"kpi": "roass", "target": 3, "by": "2027-01-31"}])


def test_error_unknown_alert_kpi() -> None:
    with pytest.raises(ParameterError, match="alert KPI 'mentoins' is not a KPI of the registry — did you mean 'mentions'?"):
        parse_params({"client": "acme", "display_name": "Acme", "brand": "Acme",
                      "trends": {"alerts": {"mentoins": {"owner": "x"}}}})


# demo data


def test_goals_view_on_demo(demo_root: Path) -> None:
    from kpi_toolkit.context import load_context

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    view = goals_view(ctx)
    df = view.extra["goals"]
    assert len(df) == len(ctx.params.goals) and set(df["status"]) <= {"on_track", "at_risk", "off_track"}
    assert df["by"].iloc[0] == date(2027, 1, 31)
    er = df[df["kpi"] == "engagement_rate_by_reach"].iloc[0]
    # baseline: May-July 2026 (the 3 months before the start, 1 Aug 2026), target +10 %
    assert er["target"] == pytest.approx(er["baseline"] * 1.1)
    assert view.figure is not None and len(view.sentences) == len(df)
    assert list(view.table.columns) == ["Goal", "Owner", "Deadline", "Now", "Forecast at deadline", "Chance",
                                        "Status"]
    for r in view.recommendations:
        assert r.source == "goals" and r.priority in (1, 2)


def test_goals_are_paced_once_per_report(demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot's status column and the goals block share one pace per goal, with equal numbers."""
    import kpi_toolkit.goals as g
    from kpi_toolkit.context import load_context

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    fresh = pace_goals(data=ctx.data, params=ctx.params, month=ctx.month)  # no context: no cache
    calls = []
    real = g._pace_one
    monkeypatch.setattr(g, "_pace_one", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = pace_goals(ctx)
    view = goals_view(ctx)
    again = pace_goals(ctx)
    assert len(calls) == len(ctx.params.goals)
    pd.testing.assert_frame_equal(first, fresh)
    pd.testing.assert_frame_equal(view.extra["goals"], fresh)
    pd.testing.assert_frame_equal(again, fresh)
    pace_goals(ctx, seed=7)  # other simulation settings are paced anew
    assert len(calls) == 2 * len(ctx.params.goals)


def test_a_goal_met_today_but_forecast_to_slip_says_why_it_is_off_track() -> None:
    """The status is about the deadline month: a client reading 'now 6.6 %' against a 6.4 % target
    and 'off track' is told that today already meets it and the forecast does not."""
    from kpi_toolkit.goals import _goal_sentence

    row = {"label": "Engagement rate (by reach)", "unit": "fraction", "owner": "Social team", "direction": "at_least",
           "target": 0.064, "deadline_month": "2026-12", "over": "deadline_month", "status": "off_track",
           "current": 0.066, "forecast": 0.0586, "lower": 0.0521, "upper": 0.0655, "probability": 0.088}
    text = _goal_sentence(row, "EUR")
    assert ("now 6.6 %, which already meets the target; but the forecast for December 2026 is 5.9 % "
            "(likely between 5.2 % and 6.6 %)") in text and text.endswith("off track.")
    behind = _goal_sentence({**row, "current": 0.060, "forecast": 0.07, "probability": 0.8, "status": "on_track"}, "EUR")
    assert "now 6.0 %, short of the target; but the forecast for December 2026 is 7.0 %" in behind
    plain = _goal_sentence({**row, "current": 0.060}, "EUR")  # behind and off track: nothing to explain
    assert "now 6.0 %; the forecast is 5.9 %" in plain


def test_chance_words_take_the_article_of_the_spoken_number() -> None:
    from kpi_toolkit.goals import chance_words

    assert [chance_words(p) for p in (0.11, 0.18, 0.08, 0.83, 0.34, 0.1, 0.995, 0.004)] == [
        "an 11 % chance", "an 18 % chance", "an 8 % chance", "an 83 % chance", "a 34 % chance", "a 10 % chance",
        "a better than 99 % chance", "less than a 1 % chance"]


def test_goals_that_cannot_be_paced_get_words_not_an_empty_chart(demo_root: Path) -> None:
    """A goal on a table the client lacks: its sentence says it cannot be paced; the chart shows only
    the goals that can be drawn (none: no chart at all), the table has no '≥ n/a', and the snapshot's
    goal count covers every goal (one on a KPI outside the core ones too)."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import Goal
    from kpi_toolkit.report import snapshot_view

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.data.tables.pop("surveys", None)
    ctx.params.goals = [Goal(kpi="nps", change=0.1, start=date(2026, 8, 1), by=date(2027, 1, 31))]
    view = goals_view(ctx)
    assert view.figure is None
    assert view.table["Goal"].tolist() == ["Net Promoter Score (target not known yet)"]
    assert view.sentences[0].startswith("Net Promoter Score in January 2027: cannot be paced yet (")
    snap = snapshot_view(ctx)
    assert "Goals: 1 cannot be paced yet." in snap.sentences  # nps is not a core KPI of this client
    ctx.params.goals = [*ctx.params.goals, Goal(kpi="reach", target=5_000_000, by=date(2027, 1, 31))]
    ctx.cache.clear()
    both = goals_view(ctx)
    assert both.figure is not None and len(both.figure.axes) == 1  # only the reach goal is drawn


def test_a_goal_whose_deadline_month_has_no_data_says_so_not_yet(demo_root: Path) -> None:
    """A deadline behind the report month whose month has no data: "cannot be paced yet" read as if the
    goal were still ahead; it is over, and whether it was met is unknown."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import Goal

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.params.goals = [Goal(kpi="reach", target=100, by=date(2020, 5, 31))]
    view = goals_view(ctx)
    assert view.sentences[0].startswith("Reach: at least 100 in May 2020: the deadline has come, but the data "
                                        "has no value for May 2020, so whether it was met is unknown."), view.sentences


def test_goal_table_states_targets_results_and_totals_as_they_are(demo_root: Path) -> None:
    """A stated target on a table the client lacks is shown (it had read "(target not known yet)");
    a goal whose deadline has come shows its result, not a forecast and a chance; a whole-period goal's
    "now" is its total so far, as its target is; a goal without an owner shows "—", not "n/a"."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import Goal

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.data.tables.pop("surveys", None)
    ctx.params.goals = [
        Goal(kpi="nps", target=0.3, by=date(2027, 1, 31)),
        Goal(kpi="reach", target=1000, by=date(2026, 10, 31)),
        Goal(kpi="spend", target=10, start=date(2026, 8, 1), by=date(2026, 12, 31), over="whole_period")]
    view = goals_view(ctx)
    t = view.table.set_index("Goal")
    nps = t.loc[t.index.str.startswith("Net Promoter Score")].iloc[0]
    assert t.index[0] == "Net Promoter Score ≥ +30" and nps["Now"] == "no data" and nps["Chance"] == "—"
    reach = t.loc[t.index.str.startswith("Reach")].iloc[0]
    assert reach["Forecast at deadline"].endswith(" (final)") and reach["Chance"] == "—"
    assert reach["Status"] == "Achieved"
    assert set(t["Owner"]) == {"—"}
    paced = pace_goals(data=ctx.data, params=ctx.params, month="2026-10")
    spend = paced[paced["kpi"] == "spend"].iloc[0]
    monthly = ctx.data.ads.assign(m=ctx.data.ads["date"].astype(str).str[:7])
    total = float(monthly.loc[(monthly["m"] >= "2026-08") & (monthly["m"] <= "2026-10"), "spend"].sum())
    assert spend["current"] == pytest.approx(total)


def test_a_change_goal_without_baseline_names_the_missing_months(demo_root: Path) -> None:
    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import Goal

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    posts = ctx.data.posts
    when = posts["published_at"].dt.tz_convert(ctx.params.timezone).dt.strftime("%Y-%m")
    ctx.data.tables["posts"] = posts[~when.isin(["2026-06", "2026-07"])]
    ctx.params.goals = [Goal(kpi="reach", change=0.1, start=date(2026, 9, 1), by=date(2027, 1, 31))]
    row = pace_goals(data=ctx.data, params=ctx.params, month="2026-10").iloc[0]
    assert row["note"] == ("no baseline: the baseline is the 3 months before the goal's start, and June 2026 "
                           "and July 2026 have no data")
    # the same goal in a report of an earlier month: its baseline months are still to come, not missing
    early = pace_goals(data=ctx.data, params=ctx.params, month="2026-07").iloc[0]
    assert early["note"] == ("no baseline yet: the baseline is the 3 months before the goal's start, and "
                             "August 2026 comes after July 2026")
    earlier = pace_goals(data=ctx.data, params=ctx.params, month="2025-01").iloc[0]
    assert earlier["note"].endswith("June 2026, July 2026 and August 2026 come after January 2025")


def test_a_forecast_from_a_short_history_says_so(demo_root: Path) -> None:
    """A forecast from 5 months had a narrower range than one from 24, unsaid."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import Goal

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.params.goals = [Goal(kpi="reach", target=5_000_000, by=date(2027, 1, 31))]
    assert not any("short history" in s for s in goals_view(ctx).sentences)
    ctx.cache.clear()
    posts = ctx.data.posts
    when = pd.to_datetime(posts["published_at"], utc=True).dt.tz_convert(ctx.params.timezone).dt.strftime("%Y-%m")
    ctx.data.tables["posts"] = posts[(when >= "2026-06").to_numpy(dtype=bool)]
    said = [s for s in goals_view(ctx).sentences if "short history" in s]
    assert said == ["Some forecasts rest on a short history (Reach from 5 months): with no full year behind them "
                    "they cannot see the yearly pattern, and their ranges are likely narrower than the real "
                    "uncertainty. Read their chances as rough."]


def test_a_money_goal_chart_has_the_currency_on_its_axis(demo_root: Path) -> None:
    """A goal on cost per click: its chart's value axis showed bare numbers beside sentences in euros."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import Goal

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.params.goals = [Goal(kpi="cpc", target=0.5, direction="at_most", by=date(2027, 1, 31))]
    view = goals_view(ctx)
    FigureCanvasAgg(view.figure).draw()
    ticks = [t.get_text() for t in view.figure.axes[0].get_yticklabels() if t.get_text()]
    symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(ctx.currency, ctx.currency)
    assert ticks and all(symbol in t for t in ticks), (ctx.currency, ticks)


def test_a_deadline_years_after_the_data_is_not_forecast(demo_root: Path) -> None:
    """A report on old data against this year's goals drew a forecast across a decade."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.params import Goal

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.params.goals = [Goal(kpi="reach", target=5_000_000, by=date(2029, 12, 31)),
                        Goal(kpi="reach", target=5_000_000, by=date(2028, 10, 31))]
    view = goals_view(ctx)
    assert view.sentences[0] == ("Reach: at least 5.0 M in December 2029: cannot be paced yet (the deadline is "
                                 "3 years and 2 months after the last month of data, October 2026; goals are "
                                 "forecast up to 2 years ahead).")
    assert "forecast is" in view.sentences[1]  # 24 months ahead: forecast
    assert view.figure is not None and len(view.figure.axes) == 1
    df = pace_goals(data=ctx.data, params=ctx.params, month=ctx.month)
    assert df["status"].tolist()[0] == "no_data" and df["status"].tolist()[1] != "no_data"


def test_a_first_month_goal_gets_words_not_a_one_dot_chart() -> None:
    """A new client's first month (ads for October only) against a ROAS goal: the goal cannot be paced
    (fewer than 4 months) and its chart was one dot on an axis of 2025 to 2029, titled 'cannot be paced'.
    With three months the months and the target line are drawn again."""
    params = _params([{"kpi": "roas", "target": 3.0, "by": "2027-01-31"}])
    for months, drawn in ((1, False), (2, False), (3, True)):
        view = goals_view(ReportContext(client="acme", month="2026-10", params=params, data=_ads(months=months),
                                        period=month_period("2026-10", "UTC")))
        assert view.table["Status"].tolist() == ["Cannot be paced"]
        assert "fewer than 4 months" in view.sentences[0]
        assert (view.figure is not None) is drawn, months
        assert bool(view.alt_text) is drawn


def test_a_status_from_a_short_history_drives_no_goal_action() -> None:
    """A client with 7 months of ads, return on ad spend rising from 1.6× to 2.8×, a 3.00× target in
    February 2027: under 10 months the forecast has no trend term (the recent average), so it read "off
    track" and Part 3 asked to "agree the actions that would close the gap, or reset the target". A
    status from so short a history drives no action; the report says so (held back, with the reason)."""
    data = _ads(7, roas=1.0, last_month="2026-10")
    ads = data.tables["ads"]
    month_no = (ads["date"].dt.year - 2026) * 12 + ads["date"].dt.month - 4  # 0 (April) .. 6 (October)
    ads["revenue"] = ads["spend"] * (1.6 + 0.2 * month_no)
    params = _params([{"kpi": "roas", "target": 3.0, "by": "2027-02-28", "owner": "Performance team"}])
    ctx = ReportContext(client="acme", month="2026-10", params=params, data=data,
                        period=month_period("2026-10", "UTC"))
    view = goals_view(ctx)
    row = view.extra["goals"].iloc[0]
    assert row["status"] in ("off_track", "at_risk") and row["model"].startswith("ETS(A,N,N)")
    assert view.recommendations == []
    assert len(view.held_back) == 1
    assert view.held_back[0].startswith(f"Goal: return on ad spend reads {row['status'].replace('_', ' ')} (")
    assert "rests on only 7 months of data" in view.held_back[0]
    assert any("short history (Return on ad spend from 7 months)" in s for s in view.sentences)
    # two years behind the same status: the action stands
    long = _ads(24, roas=2.0)
    view = goals_view(ReportContext(client="acme", month="2026-10", params=params, data=long,
                                    period=month_period("2026-10", "UTC")))
    assert view.extra["goals"]["status"].iloc[0] == "off_track" and view.held_back == []
    assert [r.priority for r in view.recommendations] == [1]
    assert "agree the actions that would close the gap" in view.recommendations[0].action


def test_a_forecast_against_a_year_long_trend_unlikely_to_be_chance_says_so_beside_it() -> None:
    """demo-trailhead 2026-10: Part 1 forecast share of voice rising from 35.9 % to 39.2 % by May 2027,
    while Part 2 said it shrank by about 0.3 points a month over the year (p = 0.048), side by side with
    no word. The goal sentence now says which is the recent movement and which the year's, how sure each
    is, and where the year's line would end. Constructed row: the line falls 0.34 points a month
    (p = 0.048) and ends at 34.1 % in May 2027."""
    from kpi_toolkit.goals import _goal_sentence

    row = {"label": "Share of voice", "unit": "fraction", "owner": "Brand team", "direction": "at_least",
           "target": 0.39, "deadline_month": "2027-05", "over": "deadline_month", "status": "at_risk",
           "current": 0.359, "forecast": 0.392, "lower": 0.353, "upper": 0.432, "probability": 0.52,
           "year_slope": -0.0034, "year_p": 0.048, "year_months": 12, "year_line": 0.341}
    text = _goal_sentence(row, "EUR")
    assert text.startswith("Share of voice: at least 39.0 % in May 2027 (Brand team): now 35.9 %; the forecast is "
                           "39.2 % (likely between 35.3 % and 43.2 %), a 52 % chance of reaching it: at risk. ")
    assert text.endswith(
        "at risk. The past year points the other way: over the last 12 months share of voice fell by about 0.3 "
        "points a month, a fall unlikely to be chance (p = 0.048); the forecast gives the latest months the most "
        "weight. If the year's fall went on, share of voice would be about 34.1 % in May 2027, short of the "
        "target of 39.0 %."), text
    plain = "at risk."
    # a slope that could be chance, or one that agrees with the forecast: nothing is added
    assert _goal_sentence({**row, "year_p": 0.2}, "EUR").endswith(plain)
    assert _goal_sentence({**row, "year_slope": 0.0034}, "EUR").endswith(plain)
    # a line that would end on the wrong side of today's value is not carried on
    text = _goal_sentence({**row, "year_line": 0.37}, "EUR")
    assert text.endswith("the forecast gives the latest months the most weight.")
    # a ceiling is missed above it: "over the target", not "short of" it
    ceiling = {**row, "direction": "at_most", "target": 0.33, "forecast": 0.34, "lower": 0.30, "upper": 0.38,
               "year_slope": 0.0034, "year_line": 0.38}
    assert _goal_sentence(ceiling, "EUR").endswith("would be about 38.0 % in May 2027, over the target of 33.0 %.")


def test_the_year_line_of_a_goal_is_the_competitor_sections_share_trend(demo_root: Path) -> None:
    """The line a goal's forecast is set against is the 12-month OLS line the competitor section states,
    with the same numbers: demo-trailhead 2026-10, 'shrank by about 0.3 points a month; the trend is
    unlikely to be chance (p = 0.048)' in both parts; the line through the 12 months is carried 7 months on
    to May 2027."""
    from kpi_toolkit import benchmarks as B
    from kpi_toolkit.context import load_context
    from kpi_toolkit.goals import _year_line

    from .conftest import DEMO_END_MONTH

    ctx = load_context(client="demo-trailhead", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    own = B.competitor_tables(ctx)["sov_trend"].set_index("brand").loc[ctx.params.brand]
    view = goals_view(ctx)
    said = next(s for s in view.sentences if s.startswith("Share of voice"))
    words = (f"share of voice fell by about {B.slope_pts(own['slope_per_month'], signed=False)} points a month, "
             f"a fall {B.p_words(own['p_value'])}")
    assert own["trend"] == "losing" and words in said, said
    section = " ".join(B.competitor_view(ctx).sentences)
    assert f"share of voice shrank by about {B.slope_pts(own['slope_per_month'], signed=False)} points a month; " \
           f"the trend {B.p_clause(own['p_value'])}" in section
    # _year_line on a hand series: 12 months falling 1 point a month from 40 %, one month missing
    idx = pd.date_range("2025-11-01", periods=12, freq="MS")
    hist = pd.Series([0.40 - 0.01 * i for i in range(12)], index=idx).drop(idx[3])
    got = _year_line(hist, "2026-10", "2027-05")
    assert got["year_slope"] == pytest.approx(-0.01) and got["year_p"] < 1e-6 and got["year_months"] == 11
    assert got["year_line"] == pytest.approx(0.40 - 0.01 * 18)
