"""The trend part of the monthly report: the core KPIs over 12 months, the month's changes that are
more than noise, and the month's alerts with their owners.

References
----------
The methods are referenced in :mod:`kpi_toolkit.trends.significance`,
:mod:`kpi_toolkit.trends.comparisons` and :mod:`kpi_toolkit.trends.anomalies`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import ReportContext
from ..exceptions import KpiToolkitError
from ..kpis import REGISTRY, format_value
from ..views import Recommendation, ReportView, kpi_topic, mentions_topic
from .alerts import month_alerts
from .captions import partial_month_sentences
from .comparisons import (
    COMPARISON_WORDS,
    PeriodUnits,
    change_phrase,
    compare_periods,
    partly_covered,
    rolling_12_months,
)
from .decomposition import DAYS_PER_MONTH, YEARLY_MIN_DAYS
from .significance import change_short, format_p

_TITLE = "How the main numbers are trending"

MIN_CHART_MONTHS = 3
"""The 12-month chart is drawn from this many months with data: one month is a lone dot and two are
one line segment, which a reader takes for a trend (on an axis cut to the two values, a 2 % change
looked like a collapse) while the sentences beside it say there is none to see yet."""


MANY_TESTS = 5
"""From this many tested comparisons on, the trend section says what testing them all at once means
(:func:`multiple_testing_sentence`)."""

CORRECT_FROM = 2
"""From this many tested comparisons on, a verdict is corrected for all of them (:func:`holm_holds`): a
client with two core KPIs has four tests a month, and at 0.05 each the chance that one of four
unchanged measures reads "unlikely to be chance" is ~19 %, not 5 %. (It had been corrected only from
:data:`MANY_TESTS` on, with the caveat sentence.)"""


def _thresholds(ctx: ReportContext) -> tuple[float, float]:
    th = ctx.params.listening.sentiment_thresholds
    return (th.negative, th.positive)


def _tone(kpi: str, rel: float) -> str:
    good = REGISTRY[kpi].higher_is_better
    if good is None or not np.isfinite(rel) or rel == 0:
        return ""
    return " (good news)" if (rel > 0) == good else " (needs attention)"


def core_units(ctx: ReportContext) -> PeriodUnits:
    """The report's :class:`PeriodUnits` for its core KPIs with data: the snapshot's values and the
    comparisons' tests come from the same per-period computations, made once per report."""
    cache = getattr(ctx, "cache", None)
    if cache is not None and "period_units" in cache:
        return cache["period_units"]
    kpis = [k for k in ctx.params.core_kpis if REGISTRY[k].table in ctx.data.tables]
    units = PeriodUnits(ctx.data, kpis, tz=ctx.tz, brand=ctx.params.brand, sentiment_thresholds=_thresholds(ctx))
    if cache is not None:
        cache["period_units"] = units
    return units


def core_comparisons(ctx: ReportContext, kpis: list[str] | None = None) -> pd.DataFrame:
    """:func:`compare_periods` for each core KPI of the client (KPIs without data are left out,
    listed in ``attrs["skipped"]``)."""
    kpis = list(ctx.params.core_kpis if kpis is None else kpis)
    key = "core_comparisons:" + ",".join(kpis)
    cache = getattr(ctx, "cache", None)
    if cache is not None and key in cache:
        return cache[key]
    parts, skipped = [], []
    units = core_units(ctx)
    if not set(kpis) <= set(units.kpis):
        units = PeriodUnits(ctx.data, kpis, tz=ctx.tz, brand=ctx.params.brand, sentiment_thresholds=_thresholds(ctx))
    for k in kpis:
        try:
            parts.append(compare_periods(ctx.data, k, month=ctx.month, tz=ctx.tz, brand=ctx.params.brand,
                                         sentiment_thresholds=_thresholds(ctx), alpha=ctx.params.trends.alpha,
                                         units=units))
        except KpiToolkitError as e:
            skipped.append((k, str(e)))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out = corrected_verdicts(out, alpha=ctx.params.trends.alpha)
    out.attrs["skipped"] = skipped
    if cache is not None:
        cache[key] = out
    return out


def corrected_verdicts(comp: pd.DataFrame, *, alpha: float = 0.05, min_tests: int = CORRECT_FROM) -> pd.DataFrame:
    """``comp`` with each verdict corrected for all the comparisons tested together (Holm's method).

    Adds ``holds`` (:func:`holm_holds`). A row whose p-value is below ``alpha`` but whose verdict does
    not hold after the correction gets :func:`doubt_words` for its ``verdict``, and its ``summary`` ends
    with them too: "p = 0.045, but with 12 comparisons this month it could still be chance" in place of
    "unlikely to be chance (p = 0.045)". Every other row, and ``significant`` (``p < alpha``, the test
    alone), is left as it was. demo-ledgerly 2026-10 had read "Reach up 81 % ... (unlikely to be
    chance)" in the trend section (p = 0.045) while the caveat said only 2 of the 3 verdicts below 0.05
    hold after a correction for the 12 tests.
    """
    out = comp.copy()
    out.attrs.update(comp.attrs)
    if out.empty or "p_value" not in out.columns:
        out["holds"] = pd.Series(False, index=out.index, dtype=bool)
        return out
    out["holds"] = holm_holds(out, alpha=alpha, min_tests=min_tests)
    n_tests = tested_count(out)
    for i in out.index[out["significant"].astype(bool) & ~out["holds"]]:
        old, new = str(out.at[i, "verdict"]), doubt_words(float(out.at[i, "p_value"]), n_tests)
        summary = str(out.at[i, "summary"])
        out.at[i, "verdict"] = new
        out.at[i, "summary"] = (summary[: -len(old)] + new) if summary.endswith(old) else summary
    return out


def _summary_head(r: pd.Series) -> str:
    """A comparison row's ``summary`` without the verdict it ends with: "down 1.2 percentage points"."""
    summary, verdict = str(r["summary"]), str(r["verdict"])
    return summary[: -len(verdict)].rstrip().rstrip(",") if verdict and summary.endswith(verdict) else summary


def doubt_words(p: float, n_tests: int) -> str:
    """The verdict of a change whose p-value is below the level but that does not hold after the
    correction for the month's ``n_tests`` comparisons (Holm): "p = 0.045, but with 12 comparisons
    this month it could still be chance". The p-value stays in sight; the words are those of
    :func:`~kpi_toolkit.trends.significance.certainty_words` for a change that may be chance."""
    return f"{format_p(p)}, but with {n_tests} comparisons this month it could still be chance"


def tested_count(comp: pd.DataFrame) -> int:
    """How many rows of ``comp`` were tested (a p-value, and a test other than ``"none"``)."""
    if comp.empty or "p_value" not in comp.columns:
        return 0
    return int(comp["p_value"].astype("float64").where(comp["test"] != "none").notna().sum())


def _change_sentences(ctx: ReportContext, comp: pd.DataFrame) -> list[str]:
    if comp.empty:
        return []
    if "holds" not in comp.columns:
        comp = corrected_verdicts(comp, alpha=ctx.params.trends.alpha)
    out = []
    prev = comp[comp["comparison"] == "previous_month"]
    tested = prev[prev["test"] != "none"]
    sig = tested[tested["significant"]]
    cur = ctx.currency
    if len(tested) and sig.empty:
        out.append(f"None of the {len(tested)} main measures that can be tested moved more than normal "
                   f"month-to-month variation.")
    for _, r in sig.iterrows():
        # a total over a partly covered month is compared per day, as its test does
        per_day = REGISTRY[str(r["kpi"])].kind == "sum" and partly_covered(r)
        over = (f" over {int(r['current_days'])} days with data"
                if per_day and int(r["current_days"]) < int(r["current_period_days"]) else "")
        rel = r["rel_change_per_day"] if per_day else r["rel_change"]
        # a change that does not hold after the correction for the month's tests may be chance: neither
        # good news nor one that needs attention yet (its verdict says so)
        tone = _tone(r["kpi"], rel) if r["holds"] else ""
        out.append(f"{r['label']} was {format_value(r['current'], r['unit'], currency=cur)}{over}, "
                   f"{change_phrase(r)} on the previous month: {r['verdict']}{tone}.")
    ly = comp[(comp["comparison"] == "same_month_last_year") & comp["significant"]]
    if len(ly) and ly["holds"].all():
        parts = [f"{r['label']} {change_phrase(r)}" for _, r in ly.iterrows()]
        sure = "each unlikely to be chance" if len(parts) > 1 else "unlikely to be chance"
        out.append("Against the same month last year: " + "; ".join(parts) + f" ({sure}).")
    elif len(ly):
        parts = [f"{r['label']} {change_phrase(r)} ({'unlikely to be chance' if r['holds'] else r['verdict']})"
                 for _, r in ly.iterrows()]
        out.append("Against the same month last year: " + "; ".join(parts) + ".")
    return out


def _alert_recommendation(r: pd.Series) -> Recommendation | None:
    spec = REGISTRY[str(r["kpi"])]
    owner = r["owner"] or "The account team"
    when = pd.Timestamp(r["start"]).strftime("%d %b").lstrip("0")
    top = r["contributors"][0]["name"] if isinstance(r["contributors"], list) and r["contributors"] else None
    about = f" about '{top}'" if top and spec.table == "mentions" else ""
    bad_spike = r["kind"] == "spike" and spec.higher_is_better is False
    if bad_spike or (spec.table == "mentions" and r["kind"] == "spike" and top and "recall" in top.lower()):
        # a step about the mentions of a topic covers the listening section's step about that topic
        topic = ("negative-mentions-spike", *([mentions_topic(top)] if about else [])) if spec.table == "mentions" else ""
        return Recommendation(action=f"{owner}: review the mentions{about} from {when} on and answer those "
                                     "that need a response; agree a statement if it is still growing.",
                              evidence=str(r["explanation"]), priority=1, source="trends", topic=topic)
    if r["kind"] == "dip" and spec.higher_is_better:
        return Recommendation(action=f"{owner}: check why {spec.label.lower()} fell on {when} (tracking, "
                                     "budget, a paused campaign or a platform outage).",
                              evidence=str(r["explanation"]), priority=2, source="trends")
    if r["kind"] == "spike" and spec.higher_is_better:
        what = f"the post {top}" if top and spec.table == "posts" else (f"'{top}'" if top else "it")
        return Recommendation(action=f"{owner}: find out what drove the {spec.label.lower()} spike of "
                                     f"{when} ({what}) and plan more of it.",
                              evidence=str(r["explanation"]), priority=3, source="trends")
    if spec.table == "ads":
        return Recommendation(action=f"{owner}: check the {spec.label.lower()} {r['kind']} of {when} "
                                     "against the media plan.",
                              evidence=str(r["explanation"]), priority=2, source="trends")
    return None


MATERIAL_CHANGE = 0.05
"""A clear change (one that holds after Holm's correction) of at least this much, relative to the value
it is compared with, is one a client cares about: Part 3 then has a step for it or says why it has none
(:func:`clear_change_steps`)."""


def _rel(r: pd.Series) -> float:
    """A comparison row's relative change, per day where its test compares daily rates."""
    per_day = REGISTRY[str(r["kpi"])].kind == "sum" and partly_covered(r)
    return float(r["rel_change_per_day"] if per_day else r["rel_change"])


def clear_change_steps(comp: pd.DataFrame, holds: pd.Series, *, material: float = MATERIAL_CHANGE
                       ) -> tuple[list[Recommendation], list[str]]:
    """The steps and held-back lines for the clear changes that the month-on-month steps of
    :func:`trend_view` leave out: a change that holds after Holm's correction (``holds``, from
    :func:`holm_holds`) and moved at least ``material`` of its earlier value.

    A decline against the same month last year is a step ("Look into why ... is below a year ago",
    priority 3, topic :func:`~kpi_toolkit.views.kpi_topic`, so that a month-on-month step or a goal
    step on the same measure covers it and takes its evidence); a rise, against either month, is
    good news and needs no step, which one held-back line says, and a change in a measure neither good
    nor bad in itself (ad spend) another. demo-ledgerly 2026-10 read "Against
    the same month last year: ... Click-through rate (ads) down 0.17 percentage points ... (each
    unlikely to be chance)" and Part 3 said nothing about it.
    """
    recs: list[Recommendation] = []
    good_news: list[str] = []
    neutral: list[str] = []
    if comp.empty:
        return recs, []
    for i, r in comp.iterrows():
        if not bool(holds.get(i, False)) or r["comparison"] not in ("previous_month", "same_month_last_year"):
            continue
        rel = _rel(r)
        if not np.isfinite(rel) or abs(rel) < material:
            continue
        good = REGISTRY[str(r["kpi"])].higher_is_better
        when = "the previous month" if r["comparison"] == "previous_month" else "the same month last year"
        if good is None:  # ad spend, posts: neither good nor bad in itself
            neutral.append(f"{r['label']} {change_phrase(r)} on {when}")
        elif (rel > 0) == good:
            good_news.append(f"{r['label']} {change_phrase(r)} on {when}")
        elif r["comparison"] == "same_month_last_year":
            label = str(r["label"])
            recs.append(Recommendation(
                action=f"Look into why {label[:1].lower() + label[1:]} is behind the same month last year "
                       "with the team that owns it.",
                # the verdict carries its own brackets ("unlikely to be chance (p < 0.001)"): said after a
                # colon, not inside another pair
                evidence=f"{label} {change_phrase(r)} on the same month last year: {r['verdict']}, allowing for "
                         "all the month's tests.",
                priority=3, source="trends", topic=kpi_topic(str(r["kpi"]))))
    held = []
    if good_news:
        sure = "each unlikely to be chance" if len(good_news) > 1 else "unlikely to be chance"
        held.append("Good news: " + "; ".join(good_news) + f" ({sure}, allowing for all the month's tests). "
                    "No step is needed for it: keep doing what drove it.")
    if neutral:
        sure = "each unlikely to be chance" if len(neutral) > 1 else "unlikely to be chance"
        held.append("Also clear: " + "; ".join(neutral) + f" ({sure}, allowing for all the month's tests). "
                    "This is neither good nor bad in itself, so no step is needed; it explains other numbers.")
    return recs, held


def _alert_words(r: pd.Series) -> str:
    """An alert as Part 3 names it: "Ad spend spike of 28 Sep (moderate)"."""
    when = pd.Timestamp(r["start"]).strftime("%d %b").lstrip("0")
    return f"{r['label']} {'spike' if r['kind'] == 'spike' else 'dip'} of {when} ({r['severity']})"


def alert_steps(alerts: pd.DataFrame, own_rules: Any = ()) -> tuple[list[Recommendation], list[str]]:
    """The month's alerts as Part 3's steps (:func:`_alert_recommendation`) and, for the alerts that get
    none, one held-back line that names each with the reason: a moderate alert on a measure watched by
    default (not in ``own_rules``, the client's ``trends.alerts``) is listed for the record, and an
    alert in the good direction, or on a measure neither good nor bad in itself, needs no step.
    demo-lumiere 2026-09 listed "Alert: Ad spend spiked on 28 Sep 2026 ... (moderate)" in Part 2 and
    Part 3 said nothing of it."""
    recs: list[Recommendation] = []
    unacted: list[str] = []
    for _, r in alerts.iterrows():
        # a moderate alert on a KPI watched by default is listed, not acted on
        if r["severity"] == "moderate" and r["kpi"] not in own_rules:
            unacted.append(f"{_alert_words(r)}: listed for the record, since a moderate alert on a measure "
                           "watched by default gets no step unless it comes back or grows")
            continue
        rec = _alert_recommendation(r)
        if rec is not None:
            recs.append(rec)
            continue
        good = REGISTRY[str(r["kpi"])].higher_is_better
        why = ("in the good direction" if good is not None and (r["kind"] == "spike") == good
               else "on a measure that is neither good nor bad in itself")
        unacted.append(f"{_alert_words(r)}: {why}, so no step is needed")
    if not unacted:
        return recs, []
    return recs, [("Alert: " if len(unacted) == 1 else "Alerts: ") + "; ".join(unacted) + "."]


def holm_holds(comp: pd.DataFrame, *, alpha: float = 0.05, min_tests: int = CORRECT_FROM) -> pd.Series:
    """Per row of ``comp``: whether its verdict still holds after Holm's correction for all the tested
    comparisons (rows with ``test == "none"`` or no p-value are not tests and read False). With fewer
    than ``min_tests`` tests no correction is made: a row holds when its p-value is below ``alpha``.

    References
    ----------
    Holm, S. (1979). Scandinavian Journal of Statistics 6(2), 65-70 (via
    :func:`statsmodels.stats.multitest.multipletests`).
    """
    from statsmodels.stats.multitest import multipletests

    out = pd.Series(False, index=comp.index)
    if comp.empty or "p_value" not in comp.columns:
        return out
    pv = comp["p_value"].astype("float64").where(comp["test"] != "none")
    tested = pv[np.isfinite(pv)]
    if len(tested) < min_tests:
        out[tested.index] = tested < alpha
    elif len(tested):
        out[tested.index] = multipletests(tested.to_numpy(), alpha=alpha, method="holm")[0]
    return out


def multiple_testing_sentence(comp: pd.DataFrame, *, alpha: float = 0.05, min_tests: int = MANY_TESTS
                              ) -> str | None:
    """What testing many comparisons at once means, in numbers a client can check.

    ``alpha`` is the chance that *one* test of a measure that did not change comes out below it; over
    ``n`` tests about ``n * alpha`` such results are expected from chance alone. (It is not the share of
    "unlikely to be chance" verdicts that are chance, which the old wording, "about one in 20 'unlikely
    to be chance' verdicts can still be chance", said.) The results that still hold after Holm's
    correction for the ``n`` tests (family-wise error at ``alpha``) are counted, and the sentence says
    that only those are called "unlikely to be chance" (:func:`corrected_verdicts`): it had said "a test
    reads 'unlikely to be chance' one time in 20 ... of the 3 here, 2 still hold" beside a report that
    gave the third "could still be chance".

    Parameters
    ----------
    comp
        :func:`core_comparisons` (or :func:`compare_periods`) rows; rows with ``test == "none"`` or
        no p-value were not tested.
    alpha
        The level of the verdicts.
    min_tests
        Fewer tested comparisons than this: no sentence (None).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal
    of Statistics 6(2), 65-70 (via :func:`statsmodels.stats.multitest.multipletests`).
    """
    if comp.empty or "p_value" not in comp.columns:
        return None
    pv = comp.loc[comp["test"] != "none", "p_value"].astype("float64")
    pv = pv[np.isfinite(pv)].to_numpy()
    n = len(pv)
    if n < min_tests:
        return None
    odds = f"one time in {round(1 / alpha)}" if abs(1 / alpha - round(1 / alpha)) < 1e-9 else f"{alpha:.0%} of the time"
    out = (f"{n} comparisons were tested. Even for a measure that did not really change, a test comes out below "
           f"p = {alpha:g} {odds}, so in {n} tests about {n * alpha:.1f} such results are expected from chance alone")
    k = int((pv < alpha).sum())
    if not k:
        return out + "."
    # the rows' own correction when they carry it (core_comparisons): the same Holm over the same tests,
    # since n >= min_tests >= CORRECT_FROM here
    holds = comp["holds"] if "holds" in comp.columns else holm_holds(comp, alpha=alpha, min_tests=min_tests)
    held = int(holds.sum())
    if k == 1:
        return out + (f"; the one here {'still holds' if held else 'does not hold'} after a correction for the "
                      f"{n} tests (Holm), so the report calls it "
                      + ("'unlikely to be chance'." if held else "one that could still be chance."))
    held_words = "all still hold" if held == k else f"{held} still hold{'s' if held == 1 else ''}"
    called = ("the report calls each 'unlikely to be chance'" if held == k
              else "the report calls only those 'unlikely to be chance'" if held
              else "the report says each could still be chance")
    return out + f"; of the {k} here, {held_words} after a correction for the {n} tests (Holm), and {called}."


def alerts_table(alerts: pd.DataFrame, *, currency: str = "EUR") -> pd.DataFrame:
    """Display-ready alerts: when, measure, what happened, normal range, size, likely cause, owner."""
    rows = []
    for _, r in alerts.iterrows():
        unit = REGISTRY[str(r["kpi"])].unit
        s, e = pd.Timestamp(r["start"]), pd.Timestamp(r["end"])
        when = f"{s:%d %b}".lstrip("0") if s == e else f"{s:%d %b}".lstrip("0") + f" – {e:%d %b}".replace(" 0", " ")
        rows.append({
            "When": when, "Measure": r["label"],
            "What happened": f"{'spike' if r['kind'] == 'spike' else 'dip'} to "
                             f"{format_value(r['value'], unit, currency=currency)}",
            "Normal range": f"{format_value(r['lower'], unit, currency=currency)} – "
                            f"{format_value(r['upper'], unit, currency=currency)}",
            "Size": _alert_size(r),
            "Likely cause": r["top_contributors"] or "—",
            "Owner": r["owner"] or "—",
        })
    return pd.DataFrame(rows, columns=["When", "Measure", "What happened", "Normal range", "Size",
                                       "Likely cause", "Owner"])


def _alert_size(r: Any) -> str:
    """How far out an alert is: robust standard deviations of the day's value, or, for a run of
    zeros (:func:`~kpi_toolkit.trends.alerts.zero_run_alert`, scored in standard errors of the run's
    average, not of one day), the run's length."""
    run = r.get("run_days")
    if run is not None and pd.notna(run):
        return f"{int(run)} days at 0 ({r['severity']})"
    return f"{abs(r['score']):.1f} SD ({r['severity']})"


def comparisons_table(comp: pd.DataFrame, *, currency: str = "EUR") -> pd.DataFrame:
    """Display-ready :func:`compare_periods` / :func:`compare_weeks` rows: measure, what it is
    compared with (in words, :data:`COMPARISON_WORDS`), the two periods, both values, the change and
    its verdict, the test, p-value and dispersion."""
    return pd.DataFrame({
        "Measure": comp["label"],
        "Against": comp["comparison"].map(lambda c: COMPARISON_WORDS.get(c, str(c).replace("_", " "))),
        "Period": comp["period"], "Compared with": comp["baseline_period"],
        "Now": [format_value(v, u, currency=currency) for v, u in zip(comp["current"], comp["unit"], strict=True)],
        "Then": [format_value(v, u, currency=currency) for v, u in zip(comp["baseline"], comp["unit"], strict=True)],
        "Change": comp["summary"],
        "Test": comp["test"],
        "p-value": comp["p_value"].round(4),
        "Dispersion": comp["dispersion"].round(1),
    })


def trailing_12_months_table(r12: pd.DataFrame, *, currency: str = "EUR") -> pd.DataFrame:
    """The last month of each KPI of :func:`rolling_12_months`: its value, the change on the same
    month a year earlier as the monthly report's snapshot writes it (:func:`change_short`: "+35 %",
    rates in points, "+0.4 pts") and the trailing-12-month value."""
    from .captions import _days_if_partial

    last = r12.groupby("kpi", sort=False).tail(1)

    def vs_year(r: pd.Series) -> str:
        days = _days_if_partial(r, str(r["kpi"]))
        if days is not None:  # a total over part of the month: per day, as the snapshot says it
            return change_short(float(r["value"]) / days[0], float(r["last_year"]) / days[1], str(r["unit"])) + " per day"
        return change_short(float(r["value"]), float(r["last_year"]), str(r["unit"]))

    return pd.DataFrame({
        "Measure": last["label"].to_numpy(),
        "This month": [format_value(v, u, currency=currency) for v, u in zip(last["value"], last["unit"], strict=True)],
        "vs a year earlier": [vs_year(r) for _, r in last.iterrows()],
        "Trailing 12 months": [format_value(v, u, currency=currency)
                               for v, u in zip(last["ttm"], last["unit"], strict=True)],
    })


def yearly_removed_words(row: pd.Series) -> str:
    """Whether a :func:`~kpi_toolkit.trends.trend_slope` row had the month-of-year pattern taken out,
    and why not: "yes" or "no: needs about 20 months of data, the window has 3"."""
    if bool(row["yearly_removed"]):
        return "yes"
    days = (pd.Timestamp(row["end"]) - pd.Timestamp(row["start"])).days + 1
    if days < YEARLY_MIN_DAYS:
        months = max(1, round(days / DAYS_PER_MONTH))
        return (f"no: needs about {round(YEARLY_MIN_DAYS / DAYS_PER_MONTH)} months of data, the window has "
                f"{months} month{'s' if months != 1 else ''}")
    return "no"


def slope_table(slopes: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Display-ready :func:`~kpi_toolkit.trends.trend_slope` results, one row per window name
    ("whole history", "last 90 days"): the change per month of the daily level in the series' own
    unit, its interval, relative to the level, the p-value and whether the yearly pattern was
    taken out (:func:`yearly_removed_words`)."""
    rows = []
    for name, df in slopes.items():
        sl = df.iloc[0]
        rows.append({"Window": name, "Direction": sl["direction"],
                     "Change per month (daily level)": f"{sl['slope_per_month']:+,.3g}",
                     "95 % interval": f"{sl['lower']:+,.3g} to {sl['upper']:+,.3g}",
                     "Relative to the level": f"{sl['rel_slope_per_month'] * 100:+.1f} % a month",
                     # text as every other p-value of the reports: "< 0.001", never "0.0" (p is never 0)
                     "p-value": format_p(float(sl["p_value"])).removeprefix("p = ").removeprefix("p "),
                     "Yearly pattern removed": yearly_removed_words(sl)})
    return pd.DataFrame(rows)


def trend_view(ctx: ReportContext) -> ReportView:
    """The trend block of the monthly report.

    A chart of the client's core KPIs over the last 12 months against the year before, sentences on
    the month's changes that are unlikely to be chance (and none when nothing moved beyond normal
    variation), the month's spike and dip alerts with owners and likely causes, and rule-based
    recommendations from the alerts (those with a rule of their own in the parameters, and any high
    or severe one) and from significant declines.

    Returns
    -------
    ReportView
        ``extra`` holds the raw frames: ``rolling`` (:func:`rolling_12_months`), ``comparisons``
        (:func:`core_comparisons`) and ``alerts`` (:func:`month_alerts`).

    References
    ----------
    :mod:`kpi_toolkit.trends`.
    """
    from ..plotting.trends import plot_rolling_12_months

    p = ctx.params
    usable = [k for k in p.core_kpis if REGISTRY[k].table in ctx.data.tables]
    missing = [k for k in p.core_kpis if k not in usable]
    if not usable:
        return ReportView.skipped("trend", _TITLE, "none of the core KPIs has data (tables missing: "
                                  + ", ".join(sorted({REGISTRY[k].table for k in missing})) + ")")
    r12 = rolling_12_months(ctx.data, usable, month=ctx.month, tz=ctx.tz, brand=p.brand,
                            sentiment_thresholds=_thresholds(ctx))
    comp = core_comparisons(ctx, usable)
    alerts = month_alerts(ctx.data, p.trends, period=ctx.period, tz=ctx.tz, brand=p.brand,
                          sentiment_thresholds=_thresholds(ctx), currency=ctx.currency)
    months_seen = r12.loc[r12["value"].notna(), "month"].astype(str)
    n = int(months_seen.nunique())
    drawn = n >= MIN_CHART_MONTHS or r12["last_year"].notna().any()
    fig = None
    if drawn:
        axes = plot_rolling_12_months(r12, title="Main measures, last 12 months against the year before",
                                      currency=ctx.currency)
        fig = axes[0].figure if axes else None
    sentences = _change_sentences(ctx, comp)
    if drawn:
        sentences += partial_month_sentences(r12, currency=ctx.currency)  # what the chart draws for a part month
    if len(months_seen) and n < 12:
        # a new client: a chart of one or two points on a 12-month axis, said in words
        from ..periods import month_words

        year_before = "" if r12["last_year"].notna().any() else " and no year before to compare with"
        start = f"The data begins in {month_words(months_seen.min())}"
        if drawn:
            sentences.append(f"{start}: the chart has {n} month{'s' if n != 1 else ''} of the 12{year_before}, "
                             "too few to show a trend yet; it fills in month by month.")
        else:
            sentences.append(f"{start}: {n} month{'s' if n != 1 else ''} so far{year_before}, too few to show "
                             f"a trend. The chart of the last 12 months starts once {MIN_CHART_MONTHS} months "
                             "have data.")
    if len(alerts):
        for _, r in alerts.head(3).iterrows():
            owner = f" Owner: {r['owner']}." if r["owner"] else ""
            sentences.append(f"Alert: {r['explanation']}{owner}")
        if len(alerts) > 3:
            more = len(alerts) - 3
            sentences.append(f"{more} more {'alert is' if more == 1 else 'alerts are'} listed in the table.")
    else:
        sentences.append("No spikes or dips beyond the alert thresholds this month.")
    recs, held = alert_steps(alerts, p.trends.alerts)
    if not comp.empty:
        holds = comp["holds"]  # core_comparisons corrected the verdicts (corrected_verdicts)
        n_tests = tested_count(comp)
        prev = comp[(comp["comparison"] == "previous_month") & comp["significant"]]
        for i, r in prev.iterrows():
            good = REGISTRY[str(r["kpi"])].higher_is_better
            if good is not None and (r["rel_change"] > 0) != good:
                # a verdict that does not survive the correction for the month's tests says so where it
                # is acted on, not only in the caveat ("of the 2 here, 0 still hold"); its summary already
                # ends with the corrected words, which the doubt sentence says at more length
                if holds[i]:
                    evidence = f"{r['label']}: {r['summary']} against the previous month."
                else:
                    evidence = (f"{r['label']}: {_summary_head(r)} against the previous month "
                                f"({format_p(float(r['p_value']))}). It is one of {n_tests} comparisons this "
                                f"month; allowing for all {n_tests} (Holm), it could still be chance, so look "
                                "before acting.")
                recs.append(Recommendation(
                    action=f"Look into the change in {str(r['label']).lower()} with the team that owns it.",
                    evidence=evidence, priority=2, source="trends", topic=kpi_topic(str(r["kpi"]))))
        more_recs, clear_held = clear_change_steps(comp, holds)
        recs += more_recs
        held = clear_held + held
    caveats = []
    if not comp.empty:
        many = multiple_testing_sentence(comp, alpha=p.trends.alpha)
        if many:
            caveats.append(many)
        over = comp[(comp["dispersion"] > 1.5) & (comp["comparison"] == "previous_month")]
        if len(over):
            caveats.append("Day-to-day swings, and runs of good or bad days, are larger than pure chance "
                           "for " + ", ".join(str(x).lower() for x in over["label"])
                           + "; the tests allow for this, so only large changes count as real.")
    for k in missing:
        caveats.append(f"{REGISTRY[k].label}: not shown ({ctx.data.missing.get(REGISTRY[k].table, 'no data')}).")
    for k, why in alerts.attrs.get("skipped", []):
        caveats.append(f"Alerts for {REGISTRY[k].label.lower()} were not checked: {why}.")
    alt = ("Line charts of " + ", ".join(REGISTRY[k].label for k in usable)
           + f" for the 12 months to {ctx.month}, each against the same months a year earlier.") if fig else ""
    view = ReportView(key="trend", title=_TITLE, sentences=sentences, figure=fig, alt_text=alt,
                      table=alerts_table(alerts, currency=ctx.currency) if len(alerts) else None,
                      caveats=caveats, recommendations=recs, held_back=held)
    view.extra.update({"rolling": r12, "comparisons": comp, "alerts": alerts})
    return view
