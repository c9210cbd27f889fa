"""The attribution view of the monthly report: chart, sentences from the numbers, recommendations.

The agency guide's report has three parts: a performance snapshot, a *reasoned attribution view*
and concrete recommendations. This view is the second: every model side by side, which channel
leads under the data-driven model (Markov), whether that lead is larger than the bootstrap noise,
attributed CPA and ROAS where there is ad spend, and the caveat that attribution is not causal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import KpiToolkitError, NoDataError
from ..params import AttributionOptions
from ..views import Recommendation, ReportView
from .core import (
    MODEL_LABELS,
    AttributionResult,
    channel_spend,
    compare_models,
    run_attribution,
    with_spend,
)
from .paths import journeys_from_events

KEY = "attribution"
TITLE = "Which channels earned the conversions"
PRIMARY = "markov"

CAVEAT = ("Attribution shows which channels appear in the journeys that ended in a conversion, not that "
          "they caused it: only a test that holds a channel back from part of the audience can show that.")
"""The not-causal caveat, in words, shown with every attribution view."""

MIN_CONVERSIONS = 30
"""Below this many attributed conversions the view warns that shares are unstable."""


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x * 100:.0f} %"


def _num(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:,.0f}"


def _money(x: float, currency: str, *, decimals: int = 0) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:,.{decimals}f} {currency}"


def _ratio(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.2f}"


def attribution_view(
    touchpoints: pd.DataFrame | None,
    conversions: pd.DataFrame | None,
    ads: pd.DataFrame | None,
    *,
    options: AttributionOptions,
    period: Any,
    currency: str = "EUR",
    seed: int = 42,
) -> ReportView:
    """The report's attribution view for one client and period.

    Parameters
    ----------
    touchpoints, conversions : DataFrame or None
        The data model's tables (full history is fine: the period and the window select).
    ads : DataFrame or None
        The ``ads`` table, for spend; without it CPA and ROAS are not shown.
    options : AttributionOptions
        The client's ``attribution`` parameters.
    period : Period
        The report period (``start``/``end`` tz-aware, ``first_day``/``end_day`` for daily tables,
        ``label``).
    currency : str
        The client's currency code.
    seed : int
        Bootstrap seed.

    Returns
    -------
    ReportView
        ``figure``: every model side by side; ``sentences``: who leads and whether the lead is beyond
        the bootstrap noise, and the not-causal caveat; ``table``: per channel, Markov and Shapley
        credits with intervals, spend, CPA and ROAS; ``recommendations``: a budget shift when one
        channel's ROAS interval clears every other paid channel's, else a holdout test.
        ``extra`` holds ``result`` (:class:`AttributionResult`), ``efficiency`` (with spend) and
        ``comparison`` (shares by model). Skipped, with the reason, when a table is missing or no
        conversion has a tracked touch.

    References
    ----------
    .. [1] Anderl E. et al. (2016). International Journal of Research in Marketing 33(3):457-474.
    .. [2] Zhao K., Mahboobi S. H. & Bagheri S. R. (2018). arXiv:1804.05327.
    .. [3] Efron B. & Tibshirani R. J. (1993). An Introduction to the Bootstrap.
    """
    label = getattr(period, "label", str(period))
    for name, df in (("touchpoints", touchpoints), ("conversions", conversions)):
        if df is None:
            return ReportView.skipped(KEY, TITLE, f"no {name} data: attribution needs the touchpoints and "
                                      "conversions tables")
    paths = journeys_from_events(touchpoints, conversions, lookback_days=options.lookback_days,
                                 collapse_repeats=options.collapse_repeats, start=period.start, end=period.end)
    if paths.total_conversions <= 0:
        return ReportView.skipped(KEY, TITLE, f"no conversion in {label} followed a tracked touch within "
                                  f"{options.lookback_days} days")
    try:
        result = run_attribution(paths, models="all", options=options, seed=seed)
    except NoDataError as e:
        return ReportView.skipped(KEY, TITLE, str(e))
    table = result.table
    spend = None
    if ads is not None and len(ads):
        spend = channel_spend(ads, first_day=period.first_day, end_day=period.end_day,
                              channel_map=options.spend_channels)
        if spend["spend"].sum() <= 0:
            spend = None
    eff = with_spend(table, spend) if spend is not None else table.assign(spend=np.nan, cpa=np.nan, roas=np.nan)
    comparison = compare_models(table)

    sentences = _sentences(result, label=label)
    caveats = [n for n in result.notes if not n.startswith("The Markov chain is of order")]  # method, not caveat
    if result.total_conversions < MIN_CONVERSIONS:
        caveats.append(f"Only {result.total_conversions:,.0f} conversions could be attributed in {label}: "
                       "channel shares can move a lot from month to month at this size.")
    if spend is None:
        caveats.append("No ad spend for the month: attributed CPA and ROAS are not shown.")
    else:
        unmatched = sorted(set(spend["channel"]) - set(result.channels))
        if unmatched:
            caveats.append("Ad spend on " + ", ".join(unmatched) + " has no matching touchpoint channel "
                           "(map it with attribution.spend_channels in the client's parameters).")
    caveats += _below_zero(table, result)
    recs = _recommendations(eff, result, currency=currency) if spend is not None else []

    from ..plotting.attribution import plot_model_comparison

    ax = plot_model_comparison(table)
    lead = result.lead(PRIMARY)
    alt = (f"Dot chart of the share of {label} conversions each channel earns under "
           f"{len(set(table['model']))} attribution models. Under the Markov model {lead['leader']} leads with "
           f"{_pct(lead['conversions'] / result.total_conversions)}.")
    view = ReportView(key=KEY, title=TITLE, sentences=sentences, figure=ax.figure, alt_text=alt,
                      table=_display_table(eff, result, currency=currency, has_spend=spend is not None),
                      caveats=caveats, recommendations=recs)
    view.extra.update(result=result, efficiency=eff, comparison=comparison, paths=paths)
    return view


def _sentences(result: AttributionResult, *, label: str) -> list[str]:
    lead = result.lead(PRIMARY)
    total = result.total_conversions
    leaders = {m: str(result.model(m)["channel"].iloc[0]) for m in result.options["models"]}
    agree = sum(1 for c in leaders.values() if c == lead["leader"])
    first = (f"In {label}, {lead['leader']} earned the largest share of the {total:,.0f} attributed conversions "
             f"under the Markov model ({_pct(lead['conversions'] / total)}, about {_num(lead['conversions'])})")
    if lead["runner_up"] is not None:
        first += f", ahead of {lead['runner_up']} ({_pct(lead['runner_up_conversions'] / total)})"
    shap = leaders.get("shapley")
    if shap is not None and shap != lead["leader"]:
        first += (f"; the Shapley value, which compares the conversion rate of journeys with and without each "
                  f"channel, puts {shap} first instead.")
    else:
        first += f"; {agree} of {len(leaders)} models put {lead['leader']} first."
    if lead["clear"] is None:
        second = "No bootstrap was run, so it is not known whether this lead is larger than chance variation."
    elif lead["clear"]:
        second = (f"The lead is real rather than noise: in {result.bootstrap_samples} resamples of the journeys "
                  f"{lead['leader']} stayed ahead by {_num(lead['difference_lower'])} to "
                  f"{_num(lead['difference_upper'])} conversions ({result.confidence * 100:.0f} % interval).")
    else:
        second = (f"The lead is within the noise: resampling the journeys puts the gap between "
                  f"{_num(lead['difference_lower'])} and {_num(lead['difference_upper'])} conversions, so "
                  f"{lead['leader']} and {lead['runner_up']} cannot be told apart this month.")
    return [first, second + " " + CAVEAT]


def _below_zero(table: pd.DataFrame, result: AttributionResult) -> list[str]:
    """What a Shapley share below zero means, when the table shows one (the conversion-rate value
    function credits a channel with the change in conversion rate its journeys go with, which can be
    a fall; Zhao, Mahboobi & Bagheri 2018)."""
    total = result.total_conversions
    sh = table[table["model"] == "shapley"]
    neg = sh[sh["conversions"] / total <= -0.005].sort_values("conversions", kind="stable")
    if not len(neg) or total <= 0:
        return []
    names = ", ".join(f"{c} {_pct(v / total)}" for c, v in zip(neg["channel"], neg["conversions"], strict=True))
    return [f"A Shapley share below zero ({names}) means journeys with that channel converted less often than "
            "journeys without it; the channel did not take conversions away. The Shapley value credits each "
            "channel with the change in conversion rate it goes with, so its shares can differ widely from the "
            "models that split each conversion among the journey's touches."]


def _recommendations(eff: pd.DataFrame, result: AttributionResult, *, currency: str) -> list[Recommendation]:
    paid = eff[(eff["model"] == PRIMARY) & eff["spend"].gt(0) & eff["roas"].notna()]
    if len(paid) < 2:
        return []
    paid = paid.sort_values("roas", ascending=False, kind="stable")
    best, rest = paid.iloc[0], paid.iloc[1:]
    has_ci = "roas_lower" in paid.columns and np.isfinite(best.get("roas_lower", math.nan))
    others = ", ".join(f"{r['channel']} {_ratio(r['roas'])}" for _, r in rest.iterrows())
    if has_ci and best["roas_lower"] > rest["roas_upper"].max():
        worst = paid.iloc[-1]
        return [Recommendation(
            action=f"Shift part of the ad budget from {worst['channel']} toward {best['channel']}.",
            evidence=(f"Under Markov attribution {best['channel']} returned {_ratio(best['roas'])} {currency} per "
                      f"{currency} of spend ({result.confidence * 100:.0f} % interval {_ratio(best['roas_lower'])}–"
                      f"{_ratio(best['roas_upper'])}), above every other paid channel's interval ({others}). "
                      "Attribution is not causal: move budget in steps and watch conversions."),
            priority=2, source="attribution")]
    return [Recommendation(
        action=(f"Before moving budget between {', '.join(paid['channel'].astype(str))}, run a holdout test "
                f"on {best['channel']}."),
        evidence=(f"{best['channel']} has the best attributed ROAS under Markov attribution "
                  f"({_ratio(best['roas'])}, others: {others}), but its interval overlaps the others', so the "
                  "ranking could be chance."),
        priority=3, source="attribution")]


def _display_table(eff: pd.DataFrame, result: AttributionResult, *, currency: str, has_spend: bool) -> pd.DataFrame:
    total = result.total_conversions
    rows = []
    mk = eff[eff["model"] == PRIMARY].set_index("channel")
    others = {m: eff[eff["model"] == m].set_index("channel") for m in ("shapley", "last", "first", "linear")
              if (eff["model"] == m).any()}
    for ch in mk.sort_values("conversions", ascending=False, kind="stable").index:
        r = mk.loc[ch]
        ci = (f" ({_num(r['lower'])}–{_num(r['upper'])})" if "lower" in mk.columns and np.isfinite(r["lower"])
              else "")
        row = {"Channel": ch, "Markov: conversions (interval)": f"{_num(r['conversions'])}{ci}",
               "Markov share": _pct(r["conversions"] / total)}
        for m, t in others.items():
            row[f"{MODEL_LABELS[m]} share"] = _pct(float(t.loc[ch, "conversions"]) / total) if ch in t.index else "n/a"
        if has_spend:
            row["Spend"] = _money(float(r["spend"]), currency) if np.isfinite(r["spend"]) else "—"
            row["CPA (Markov)"] = _money(float(r["cpa"]), currency, decimals=2) if np.isfinite(r["cpa"]) else "—"
            row["ROAS (Markov)"] = _ratio(float(r["roas"])) if np.isfinite(r["roas"]) else "—"
        rows.append(row)
    return pd.DataFrame(rows)


def report_view(ctx: Any) -> ReportView:
    """The attribution view for a :class:`~kpi_toolkit.context.ReportContext` (used by the monthly report)."""
    data = ctx.data
    reason = data.require("touchpoints", "conversions") if hasattr(data, "require") else None
    if reason:
        return ReportView.skipped(KEY, TITLE, reason)
    try:
        return attribution_view(data.touchpoints, data.conversions, getattr(data, "ads", None),
                                options=ctx.params.attribution, period=ctx.period, currency=ctx.currency)
    except KpiToolkitError as e:
        return ReportView.skipped(KEY, TITLE, str(e))
