"""The monthly stakeholder report, assembled from the analyses (the 3-part structure of the agency guide).

1. Performance snapshot: the client's core KPIs for the month against the previous month, the same
   month last year and the goals in its parameters, with status.
2. What drove it: trend, segment, attribution and competitor views, each a chart plus sentences.
3. Recommendations: concrete next steps derived by rules from the analyses, each with its evidence.
Appendix: data sources and date ranges, methods, sample-size caveats, glossary.

The notebook ``notebooks/monthly_report.ipynb`` only calls these functions and displays the views.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .context import ReportContext
from .exceptions import KpiToolkitError
from .views import KPI_TOPIC, MENTIONS_TOPIC, Recommendation, ReportView

STATUS_LABEL = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track", "achieved": "Achieved",
                "missed": "Missed", "no_data": "Cannot be paced yet"}


# ----------------------------------------------------------------------------------------------
# helpers


def _kpi_values(ctx: ReportContext, kpis: Sequence[str], month: str) -> pd.DataFrame:
    """The month's value of each KPI (NaN without its table), indexed by KPI.

    The core KPIs' values come from the report's shared :func:`~kpi_toolkit.trends.report.core_units`,
    which the trend tests use too: each month is computed once per report.
    """
    from .kpis import REGISTRY
    from .periods import month_period
    from .trends.report import core_units

    period = month_period(month, ctx.tz)
    units = core_units(ctx)  # a KPI outside its set is computed alone, the same way
    with_data = [k for k in kpis if REGISTRY[k].table in ctx.data.tables]
    got = pd.DataFrame([units.total(k, period) for k in with_data], index=pd.Index(with_data, name="kpi"),
                       columns=["value", "numerator", "denominator", "unit"])
    return got.reindex(pd.Index(list(kpis), name="kpi"))


def _rel_change(cur: float, prev: float) -> float:
    if prev is None or cur is None or not np.isfinite(prev) or not np.isfinite(cur) or prev == 0:
        return math.nan
    return (cur - prev) / abs(prev)


def _short_date(d: Any) -> str:
    try:
        return pd.Timestamp(d).strftime("%b %Y")
    except (ValueError, TypeError):
        return str(d)


def _change_text(cur: float, prev: float, unit: str) -> str:
    """'+12 %' for counts and money; '+0.4 pts' for rates (:func:`kpi_toolkit.trends.change_short`,
    which the trend notebook's tables use too)."""
    from .trends.significance import change_short

    return change_short(cur, prev, unit)


def safe_view(fn: Callable[..., Any], *args: Any, key: str, title: str, **kwargs: Any) -> list[ReportView]:
    """Call an analysis view; a missing table or too little data becomes a 'not shown' note.

    Only :class:`KpiToolkitError` (the data's limits) is turned into a note: a bug still fails the
    report loudly, so a wrong number is never silently left out.
    """
    from .data import release_memory

    try:
        out = fn(*args, **kwargs)
    except KpiToolkitError as e:
        return [ReportView.skipped(key, title, str(e))]
    finally:
        release_memory()  # each section's temporaries go back to the system before the next one
    return out if isinstance(out, list) else [out]


# ----------------------------------------------------------------------------------------------
# part 1


def snapshot_table(ctx: ReportContext) -> pd.DataFrame:
    """Core KPIs: this month, previous month, same month last year, goal and status (raw numbers).

    ``days``, ``previous_days`` and ``last_year_days`` count the days of each month that the KPI's
    data covers, beside the months' lengths (``month_days``, ...): a count or money total
    (``is_total``) over a month its data covers only in part is compared per day (see
    :func:`kpi_toolkit.trends.change_phrase`).
    """
    from .kpis import REGISTRY, adds_up_over_days
    from .periods import month_period, previous_month, same_month_last_year
    from .trends.comparisons import covered_days

    kpis = ctx.params.core_kpis
    months = {"": ctx.month, "previous_": previous_month(ctx.month), "last_year_": same_month_last_year(ctx.month)}
    cur = _kpi_values(ctx, kpis, months[""])
    prev = _kpi_values(ctx, kpis, months["previous_"])
    last_year = _kpi_values(ctx, kpis, months["last_year_"])
    goals = _goal_status(ctx)
    rows = []
    for k in kpis:
        spec = REGISTRY[k]
        g = goals.get(k, {})
        row = {
            "kpi": k, "label": spec.label, "unit": spec.unit, "higher_is_better": spec.higher_is_better,
            "value": float(cur.loc[k, "value"]), "previous": float(prev.loc[k, "value"]),
            "last_year": float(last_year.loc[k, "value"]),
            "denominator": cur.loc[k, "denominator"] if "denominator" in cur.columns else np.nan,
            "target": g.get("target", np.nan), "status": g.get("status"), "by": g.get("by"),
            "is_total": adds_up_over_days(k),
        }
        for prefix, month in months.items():  # days with data in each month, and the month's length
            period = month_period(month, ctx.tz)
            row[f"{prefix}days"] = len(covered_days(ctx.data, spec.table, period, ctx.tz))
            row[f"{prefix}month_days"] = period.days
            if row[f"{prefix}days"] == 0:
                # no data in that month: unknown, not 0 (a count of a month before the data began had read
                # "from 0" against this month)
                row[{"": "value", "previous_": "previous", "last_year_": "last_year"}[prefix]] = np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _all_goal_statuses(ctx: ReportContext) -> pd.Series:
    """The status of every goal of the client (the goals section's), empty when there are none."""
    if not ctx.params.goals:
        return pd.Series(dtype=object)
    from .goals import pace_goals

    try:
        return pace_goals(ctx)["status"].dropna()
    except KpiToolkitError:
        return pd.Series(dtype=object)


def _goal_status(ctx: ReportContext) -> dict[str, dict[str, Any]]:
    if not ctx.params.goals:
        return {}
    try:
        from .goals import pace_goals
    except ImportError:  # pragma: no cover - goals module ships with the package
        return {}
    try:
        df = pace_goals(ctx)
    except KpiToolkitError:
        return {}
    out = {}
    for _, r in df.iterrows():
        out[r["kpi"]] = {"target": r.get("target", np.nan), "status": r.get("status"), "by": r.get("by")}
    return out


def snapshot_view(ctx: ReportContext) -> ReportView:
    """Part 1: the performance snapshot as a table with plain-words highlights."""
    from .kpis import format_value

    tbl = snapshot_table(ctx)
    cur = ctx.currency
    shown = pd.DataFrame({
        "Measure": tbl["label"],
        "This month": [format_value(v, u, currency=cur) if np.isfinite(v) else "no data"
                       for v, u in zip(tbl["value"], tbl["unit"], strict=True)],
        "vs last month": [_snapshot_change(r, "previous_") for _, r in tbl.iterrows()],
        "vs a year ago": [_snapshot_change(r, "last_year_") for _, r in tbl.iterrows()],
        # a goal whose target is not known yet (a change from a baseline still to come) is a goal, not "none"
        "Goal": [(f"{format_value(t, u, currency=cur)} by {_short_date(b)}" if np.isfinite(t)
                  else f"target not known yet, by {_short_date(b)}" if b is not None and pd.notna(b) else "none")
                 for t, u, b in zip(tbl["target"], tbl["unit"], tbl["by"], strict=True)],
        "Status": [STATUS_LABEL.get(s, "No goal") if s else "No goal" for s in tbl["status"]],
    })
    sentences = _snapshot_sentences(ctx, tbl)
    from .periods import month_words

    view = ReportView(key="snapshot", title=f"Performance snapshot: {month_words(ctx.month)}", sentences=sentences,
                      table=shown)
    view.extra["raw"] = tbl
    return view


def _compared_per_day(r: pd.Series, prefix: str) -> bool:
    """Whether a snapshot row's total is compared with the month ``prefix`` per day: a count or money
    total where one of the two months has data on only some of its days (data that ends or begins
    inside it), so that the totals cover different stretches."""
    from .trends.comparisons import some_days_of

    return bool(r.get("is_total")) and (some_days_of(r["days"], r["month_days"])
                                        or some_days_of(r[f"{prefix}days"], r[f"{prefix}month_days"]))


def _snapshot_change(r: pd.Series, prefix: str) -> str:
    """The snapshot's change cell against the previous month (``prefix="previous_"``) or a year ago
    (``"last_year_"``): :func:`_change_cell`, per day ("+26 % per day") where the totals cover different
    stretches of the two months (:func:`_compared_per_day`)."""
    before = r["previous"] if prefix == "previous_" else r["last_year"]
    if _compared_per_day(r, prefix) and np.isfinite(r["value"]) and np.isfinite(before) and before != 0:
        return _change_cell(r["value"] / r["days"], before / r[f"{prefix}days"], r["unit"]) + " per day"
    return _change_cell(r["value"], before, r["unit"])


def _change_cell(cur: float, prev: float, unit: str) -> str:
    """A snapshot change cell in words where there is no number: "no data" (this month), "no data then"
    (nothing to compare with), "from 0" (a count that was 0); else :func:`_change_text`."""
    if not np.isfinite(cur):
        return "no data"
    if not np.isfinite(prev):
        return "no data then"
    if unit != "fraction" and prev == 0:
        return "from 0"
    return _change_text(cur, prev, unit)


def _snapshot_sentences(ctx: ReportContext, tbl: pd.DataFrame) -> list[str]:
    from .kpis import format_value
    from .periods import month_words, previous_month
    from .trends.comparisons import some_days_of

    out = _coverage_notes(ctx, tbl)
    comparisons = _significance(ctx)
    moves = []
    for _, r in tbl.iterrows():
        per_day = _compared_per_day(r, "previous_")
        if per_day:  # totals over different stretches of the two months: compare their daily averages
            rc = _rel_change(r["value"] / r["days"], r["previous"] / r["previous_days"])
        else:
            rc = _rel_change(r["value"], r["previous"])
        if np.isfinite(rc):
            moves.append((abs(rc), r, rc, per_day))
    moves.sort(key=lambda m: -m[0])
    for _, r, rc, per_day in moves[:3]:
        direction = "up" if rc > 0 else "down"
        good = r["higher_is_better"]
        tone = "" if good is None else (" (good news)" if (rc > 0) == bool(good) else " (needs attention)")
        verdict = comparisons.get(r["kpi"])
        sure = f"; {verdict}" if verdict else ""
        if verdict and not verdict.startswith("unlikely"):
            # a change that may be chance, on its own or allowing for all the month's tests ("p = 0.045,
            # but with 12 comparisons this month it could still be chance"), is neither good nor bad news yet
            tone = ""
        now = format_value(r["value"], r["unit"], currency=ctx.currency)
        before = format_value(r["previous"], r["unit"], currency=ctx.currency)
        if per_day:
            daily = _per_day_value(r["value"] / r["days"], r["unit"], ctx.currency)
            daily_before = _per_day_value(r["previous"] / r["previous_days"], r["unit"], ctx.currency)
            over = (f" over the {r['days']} days of {month_words(ctx.month)} with data"
                    if some_days_of(r["days"], r["month_days"]) else "")
            then = (f" (its {r['previous_days']} days with data)"
                    if some_days_of(r["previous_days"], r["previous_month_days"]) else "")
            out.append(f"{r['label']} was {now}{over} ({daily} a day), {direction} {abs(rc) * 100:.0f} % per day "
                       f"from {daily_before} a day in {month_words(previous_month(ctx.month))}{then}{sure}{tone}.")
            continue
        if r["unit"] == "fraction":
            from .trends.significance import point_decimals

            size = f"{abs(r['value'] - r['previous']) * 100:.{point_decimals(r['value'])}f} percentage points"
        else:
            size = f"{abs(rc) * 100:.0f} %"
        out.append(f"{r['label']} was {now}, {direction} {size} from {before} the previous month{sure}{tone}.")
    if len(tbl) and tbl["value"].notna().any() and not tbl["previous"].notna().any():
        out.append("This is the first month with data, so there is nothing earlier to compare it with; "
                   "next month's report will show the changes.")
    out += _posting_notes(ctx)
    out += _conversion_tracking_notes(ctx)
    # every goal, as the goals section lists them (a goal on a KPI outside the core ones, or two goals
    # on one KPI, are counted too: the table's status column has one per core KPI)
    st = _all_goal_statuses(ctx)
    if len(st):
        counts = st.map(STATUS_LABEL).value_counts()
        out.append("Goals: " + ", ".join(f"{n} {label.lower()}" for label, n in counts.items()) + ".")
    return out


def _per_day_value(x: float, unit: str, currency: str) -> str:
    """A daily average as the snapshot writes it: counts under 100 with one decimal ("11.7"), else
    :func:`~kpi_toolkit.kpis.format_value`."""
    from .kpis import format_value

    if unit == "count" and np.isfinite(x) and abs(x) < 100:
        return f"{x:,.1f}"
    return format_value(x, unit, currency=currency)


def _day_span(days: pd.DatetimeIndex) -> str:
    """``"1–15 Nov"``, ``"17 Oct"`` for one day."""
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.day} {first:%b}"
    return f"{first.day}–{last.day} {last:%b}"


def _coverage_notes(ctx: ReportContext, tbl: pd.DataFrame) -> list[str]:
    """A sentence for the report month and the month before when the core KPIs' data covers only some
    of their days (an export that ends, or data that begins, inside the month): the totals then cover
    those days only, and the snapshot compares them per day. A report of a half-covered November had
    read "Conversions (ads) was 175, down 39 % from 287" while the conversions per day had risen 26 %."""
    from .kpis import REGISTRY
    from .periods import month_period, month_words, previous_month
    from .trends.comparisons import covered_days

    tables = list(dict.fromkeys(REGISTRY[k].table for k in tbl["kpi"] if REGISTRY[k].table in ctx.data.tables))
    out = []
    for month, which in ((ctx.month, "this"), (previous_month(ctx.month), "previous")):
        period = month_period(month, ctx.tz)
        spans: dict[str, pd.DatetimeIndex] = {}
        for t in tables:
            days = covered_days(ctx.data, t, period, ctx.tz)
            if 0 < len(days) < period.days:
                spans[t] = days
        if not spans:
            continue
        distinct = {(d[0], d[-1]) for d in spans.values()}
        if len(distinct) == 1:
            days = next(iter(spans.values()))
            what = (f"The data for {month_words(month)} covers {_day_span(days)} only ({len(days)} of its "
                    f"{period.days} days)")
        else:
            what = (f"The data for {month_words(month)} covers only part of the month ("
                    + "; ".join(f"{t}: {_day_span(d)}" for t, d in spans.items()) + ")")
        partial_totals = [str(r["label"]).lower() for _, r in tbl.iterrows()
                          if r.get("is_total") and REGISTRY[r["kpi"]].table in spans]
        if partial_totals:
            names = ", ".join(partial_totals)
            if which == "this":
                what += (f": its totals ({names}) count those days only, so they are compared with other months "
                         "per day.")
            else:
                what += f": this month's totals ({names}) are compared with it per day."
        else:
            what += "."
        out.append(what)
    return out


FEW_POSTS = 10
"""Fewer posts than this in the month, or under a third of the month before, and the snapshot says so."""


def _posting_notes(ctx: ReportContext) -> list[str]:
    """What the month's posts themselves say about its numbers: so few posts that the rates move with a
    handful of them (a month of 3 posts after 100 had read "down 95 %; within normal variation" and
    nothing more), or not one engagement on any post with reach, which is a broken export far more
    often than a month nobody reacted to."""
    from .periods import month_period, month_words, previous_month
    from .segments import posts_in

    posts = ctx.data.tables.get("posts")
    if posts is None or posts.empty:
        return []
    last = month_period(previous_month(ctx.month), ctx.params.timezone)
    now = posts_in(posts, ctx.period.start, ctx.period.end)
    n, before = len(now), len(posts_in(posts, last.start, last.end))
    out = []
    if 0 < n < FEW_POSTS or (before >= FEW_POSTS and n < before / 3):
        was = f", against {before:,} in {month_words(previous_month(ctx.month))}" if before else ""
        out.append(f"Only {n:,} post{'s' if n != 1 else ''} went out in {month_words(ctx.month)}{was}: with so "
                   "few, the month's rates move with single posts, and a test of the change cannot tell much. "
                   "Read the numbers as a sign of less posting, not of how the content worked.")
    parts = [c for c in ("likes", "comments", "shares", "saves") if c in now.columns]
    if n and parts and "reach" in now.columns:
        engaged = now[parts].apply(pd.to_numeric, errors="coerce").fillna(0).sum(axis=1)
        reached = pd.to_numeric(now["reach"], errors="coerce").fillna(0) > 0
        if reached.any() and not (engaged[reached] > 0).any():
            out.append(f"None of the month's {int(reached.sum()):,} posts with reach has a single like, comment, "
                       "share or save. That is almost always an export that lost its engagement columns, not "
                       "a month nobody reacted to: check the data before reading the engagement rates.")
    return out


def _conversion_tracking_notes(ctx: ReportContext) -> list[str]:
    """A month whose ads spent and got clicks but recorded not one conversion, after a month that had some.

    The snapshot's test calls "Conversions (ads) was 0, down 100 %" unlikely to be chance, and rightly
    so, but almost always because the conversion tracking stopped (a removed pixel or tag, an expired
    integration), not because nobody bought: like a month of posts without a single engagement
    (:func:`_posting_notes`), the report says to check the data before reading conversions and return on
    ad spend. Nothing is said when the ads have no conversions column or the month before had no
    conversion either (a client whose ads do not track conversions)."""
    from .kpis import format_money
    from .periods import month_period, month_words, previous_month

    ads = ctx.data.tables.get("ads")
    if ads is None or ads.empty or "conversions" not in ads.columns or "date" not in ads.columns:
        return []
    day = pd.to_datetime(ads["date"])

    def totals(month: str) -> dict[str, float]:
        p = month_period(month, ctx.tz)
        rows = ads[((day >= p.first_day) & (day < p.end_day)).to_numpy(dtype=bool)]
        return {c: float(pd.to_numeric(rows[c], errors="coerce").sum(min_count=1)) if c in rows.columns
                else np.nan for c in ("spend", "clicks", "conversions", "revenue")}

    now, before = totals(ctx.month), totals(previous_month(ctx.month))
    if not (now["spend"] > 0 and now["clicks"] > 0 and now["conversions"] == 0 and before["conversions"] > 0):
        return []
    if now["revenue"] > 0:  # revenue without conversions is another export problem, not this one
        return []
    return [f"The ads recorded {format_money(now['spend'], ctx.currency)} of spend and {now['clicks']:,.0f} clicks "
            f"in {month_words(ctx.month)} but not a single conversion ({before['conversions']:,.0f} in "
            f"{month_words(previous_month(ctx.month))}). That is almost always conversion tracking that stopped "
            "(a removed pixel or tag, an expired integration), not a month nobody bought: check the tracking "
            "before reading conversions and return on ad spend."]


def _significance(ctx: ReportContext) -> dict[str, str]:
    """Plain-words verdicts (vs the previous month) from the trends module's tests of the core KPIs,
    corrected for all the month's comparisons as the trend section's are
    (:func:`~kpi_toolkit.trends.report.corrected_verdicts`)."""
    from .kpis import REGISTRY
    from .trends.report import core_comparisons

    usable = [k for k in ctx.params.core_kpis if REGISTRY[k].table in ctx.data.tables]
    df = core_comparisons(ctx, usable)
    if df.empty or "verdict" not in df.columns:
        return {}
    prev = df[df["comparison"] == "previous_month"]
    return {str(k): str(v) for k, v in zip(prev["kpi"], prev["verdict"], strict=True) if isinstance(v, str) and v}


# ----------------------------------------------------------------------------------------------
# part 2


def goals_views(ctx: ReportContext) -> list[ReportView]:
    """Part 1, continued: will the client reach its goals (forecast to each deadline)."""
    if not ctx.params.goals:
        return []
    from .goals import goals_view

    return safe_view(goals_view, ctx, key="goals", title="Will we reach the goals?")


def driver_views(ctx: ReportContext) -> list[ReportView]:
    """Part 2: what drove the month: trend, segments, attribution, competitors, listening."""
    views: list[ReportView] = []
    from . import trends

    trend_title = "How the main numbers are trending"
    trend = safe_view(trends.trend_view, ctx, key="trend", title=trend_title)
    views += trend
    from . import segments

    seg = safe_view(segments.segments_view, ctx, key="segments", title="What content worked")
    for v in seg:
        if v.key == "segments-drivers":  # the model's full table is for analysts (segmentation notebook)
            v.table = None
    views += seg
    from . import attribution

    views += safe_view(attribution.report_view, ctx, key="attribution",
                       title="Which channels earned the conversions")
    from . import benchmarks

    views += safe_view(benchmarks.competitor_view, ctx, key="competitors",
                       title="Where you stand against competitors")
    # the mention series the trend section checked for alerts are listed there, not twice
    shown: list[str] = []
    checked = trend[0].extra.get("alerts")
    if not trend[0].skipped_reason and checked is not None:
        from .trends.alerts import watched_kpis

        not_checked = {k for k, _ in checked.attrs.get("skipped", [])}
        shown = [k for k in watched_kpis(ctx.params.trends) if k not in not_checked]
    views += safe_view(benchmarks.listening_view, ctx, key="listening", title="What people said about you",
                       alerts_elsewhere=shown, elsewhere_title=trend_title)
    return views


# ----------------------------------------------------------------------------------------------
# part 3 and appendix


def recommendations(views: Sequence[ReportView], *, limit: int | None = 6) -> list[Recommendation]:
    """Every view's recommendations, most important first, duplicates dropped (``limit=None``: all).

    Two recommendations that share a ``topic`` keep only the first of the most urgent one. Two
    analyses that saw the same event (the trend alerts and the listening view both seeing a negative
    spike) are one step with one set of numbers; a step about the mentions of a topic
    (:func:`~kpi_toolkit.views.mentions_topic`) that another step covers adds its evidence to that
    step's: demo-lumiere 2026-10 had one step about its product recall from the trend alert and one
    from the listening section's most negative topic, each with its own numbers. The views'
    recommendations are left as they are.
    """
    ordered = sorted((r for v in views for r in v.recommendations), key=lambda r: r.priority)
    owner: dict[str, int] = {}
    recs: list[Recommendation] = []
    for r in ordered:
        keys = [r.action, *(f"topic:{t}" for t in r.topics)]
        hit = next((owner[k] for k in keys if k in owner), None)
        if hit is None:
            owner.update(dict.fromkeys(keys, len(recs)))
            recs.append(r)
            continue
        kept = recs[hit]
        shared = [k for k in keys if owner.get(k) == hit]
        owner.update({k: hit for k in keys if k not in owner})
        # the same event seen twice (a shared spike) keeps one set of numbers
        about_topic = all(k.startswith((f"topic:{MENTIONS_TOPIC}", f"topic:{KPI_TOPIC}")) for k in shared)
        if about_topic and r.action != kept.action and r.evidence and r.evidence not in kept.evidence:
            joined = kept.evidence.rstrip()
            joined += ("" if joined.endswith(".") else ".") + " " + r.evidence.strip()
            recs[hit] = replace(kept, evidence=joined)
    return recs if limit is None else recs[:limit]


def held_back(views: Sequence[ReportView]) -> list[str]:
    """What the views call clear but did not turn into a step, each with its reason
    (:attr:`~kpi_toolkit.views.ReportView.held_back`), in the report's order, duplicates dropped."""
    return list(dict.fromkeys(s for v in views if not v.skipped_reason for s in v.held_back))


def recommendations_view(views: Sequence[ReportView], *, limit: int = 6) -> ReportView:
    """Part 3: the ``limit`` most urgent steps with their evidence, then what else the report found.

    The steps past ``limit`` are named in a sentence (less urgent, left out of the table), and the
    findings the views did not turn into steps are listed with the reason (:func:`held_back`): a
    report whose time-of-day section found a slot "above the usual rate, unlikely to be chance" had
    said here "no analysis found a difference large and certain enough to act on".
    """
    every = recommendations(views, limit=None)
    recs, more = every[:limit], every[limit:]
    kept = held_back(views)
    title = "Recommended next steps"
    if not recs:
        if not kept:
            return ReportView(key="recommendations", title=title,
                              sentences=["No change is recommended this month: no analysis found a difference "
                                         "large and certain enough to act on."])
        return ReportView(key="recommendations", title=title, sentences=[
            "No change is recommended this month. The report does find the following, but does not turn it "
            "into a step yet:", *kept])
    table = pd.DataFrame({"Step": range(1, len(recs) + 1), "Next step": [r.action for r in recs],
                          "Why (evidence)": [r.evidence for r in recs]})
    sentences = ["Each step below follows from a number in this report; the evidence column says which."]
    if more:
        listed = "; ".join(r.action.rstrip(".") for r in more)  # as written: an owner's name leads some
        other = "the other one" if len(more) == 1 else f"the other {len(more)}"
        sentences.append(f"The table lists the {len(recs)} most urgent of {len(recs) + len(more)} steps; "
                         f"{other}, less urgent: {listed}.")
    if kept:
        sentences += ["Not turned into a step:", *kept]
    return ReportView(key="recommendations", title=title, table=table, sentences=sentences)


def appendix_views(ctx: ReportContext, views: Sequence[ReportView]) -> list[ReportView]:
    """Data sources and date ranges, methods, sample-size caveats, glossary of the KPIs shown."""
    from .kpis import client_glossary
    from .schema import TABLES

    rows = []
    for name, df in ctx.data.tables.items():
        col = TABLES[name].time_col
        t = df[col].dropna() if col in df.columns else pd.Series(dtype="datetime64[ns]")
        if len(t) and getattr(t.dtype, "tz", None) is not None:
            t = t.dt.tz_convert(ctx.tz)  # instants in the client's zone, as the sentence below says
        span = f"{t.min():%d %b %Y} – {t.max():%d %b %Y}" if len(t) else "no dates"
        rows.append({"Data": name, "Rows": f"{len(df):,}", "Covers": span,
                     "File": ctx.data.sources[name].name})
    for name in ctx.data.missing:
        rows.append({"Data": name, "Rows": "—", "Covers": "not provided", "File": "—"})
    sources = ReportView(key="sources", title="Data sources", table=pd.DataFrame(rows),
                         sentences=[f"Times are shown in {ctx.tz}. Post metrics are lifetime totals of the "
                                    "posts published in the month."])
    alpha = ctx.params.trends.alpha
    methods = ReportView(key="methods", title="Methods", sentences=[
        "Rates are totals divided by totals (for example all engagements divided by all reach), not "
        "averages of per-post rates.",
        "Changes on the previous month and on the same month last year are tested for chance: a change "
        f"called 'unlikely to be chance' has a p-value below {alpha:g} in a test suited to the measure "
        "(two-proportion test for rates, Poisson test for counts), also after a correction for all the "
        f"month's comparisons (Holm's method). A change below {alpha:g} that does not pass the correction is "
        "given with its p-value as one that could still be chance, and is labelled neither good news nor "
        "needing attention.",
        "Alerts compare each day with its usual level for that weekday (a robust running median) and "
        "flag days far outside the expected range (robust z-score); trend slopes remove weekly and "
        "yearly patterns first (STL decomposition).",
        "Attribution shares conversions among the channels of each customer journey; it shows "
        "association, not proof that a channel caused a sale.",
    ])
    caveats = [c for v in views for c in v.caveats]
    caveat_view = ReportView(key="caveats", title="How sure we are", sentences=caveats or [
        "No sample-size problem was found in the analyses shown."])
    shown = list(dict.fromkeys(ctx.params.core_kpis))
    gl = ReportView(key="glossary", title="Glossary", table=client_glossary(shown))
    return [sources, methods, caveat_view, gl]
