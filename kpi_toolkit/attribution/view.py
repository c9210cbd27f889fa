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

from ..benchmarks import PLATFORM_NAMES
from ..exceptions import KpiToolkitError, NoDataError, ParameterError
from ..kpis import format_money, format_value, money_decimals
from ..params import AttributionOptions
from ..periods import month_words
from ..views import Recommendation, ReportView, and_words
from .core import (
    MODEL_LABELS,
    AttributionResult,
    channel_spend,
    compare_models,
    run_attribution,
    with_spend,
)
from .paths import PathTable, journeys_from_events
from .shapley import shapley

KEY = "attribution"
TITLE = "Which channels earned the conversions"
PRIMARY = "markov"

CAVEAT = ("Attribution shows which channels appear in the journeys that ended in a conversion, not that "
          "they caused it: only a test that holds a channel back from part of the audience can show that.")
"""The not-causal caveat, in words, shown with every attribution view."""

MIN_CONVERSIONS = 30
"""Below this many attributed conversions the view warns that shares are unstable."""


def _pct(x: float) -> str:
    """A share as a whole percentage; a share that rounds to zero reads "0 %", never "-0 %"."""
    return "n/a" if not np.isfinite(x) else f"{round(float(x) * 100):d} %"


def _num(x: float) -> str:
    """A count rounded to a whole number; "-0" reads "0"."""
    return "n/a" if not np.isfinite(x) else f"{round(float(x)):,d}"


def _ratio(x: float) -> str:
    """A return on ad spend the way the snapshot writes it: ``"0.65×"``."""
    return format_value(x, "ratio")


def channel_name(channel: Any) -> str:
    """How the client report names a channel: ``"linkedin"`` -> ``"LinkedIn"``, ``"x"`` -> ``"X"``.

    Platforms take their brand spelling from :data:`kpi_toolkit.benchmarks.PLATFORM_NAMES`; any other
    channel has ``_`` written as a space and its first letter capitalised (``"paid_social"`` ->
    ``"Paid social"``, ``"email"`` -> ``"Email"``). Analyst tables keep the raw channel names.
    """
    raw = str(channel).strip()
    known = PLATFORM_NAMES.get(raw.lower())
    if known is not None and raw.lower() != "all":
        return known
    words = raw.replace("_", " ")
    return words[:1].upper() + words[1:]


def _period_words(period: Any) -> str:
    """``"2026-11"`` -> ``"November 2026"``; a label that is not a month (an ISO week) is kept."""
    label = getattr(period, "label", str(period))
    try:
        return month_words(label)
    except ParameterError:
        return label


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
        the bootstrap noise, and the not-causal caveat; when the ``ads`` table has conversions or
        revenue in the period, why the ad platforms' own numbers (the snapshot's) differ from the
        attributed ones; ``table``: per channel, Markov and Shapley credits with intervals, spend, CPA
        and ROAS; ``recommendations``: a budget shift when one channel's ROAS interval clears every
        other paid channel's, else a holdout test. Client text names months in words and channels by
        :func:`channel_name`. ``extra`` holds ``result`` (:class:`AttributionResult`),
        ``efficiency`` (with spend), ``comparison`` (shares by model) and ``platforms``
        (:func:`platform_totals`). Skipped, with the reason, when a table is missing or no
        conversion has a tracked touch.

    References
    ----------
    .. [1] Anderl E. et al. (2016). International Journal of Research in Marketing 33(3):457-474.
    .. [2] Zhao K., Mahboobi S. H. & Bagheri S. R. (2018). arXiv:1804.05327.
    .. [3] Efron B. & Tibshirani R. J. (1993). An Introduction to the Bootstrap.
    """
    label = _period_words(period)
    for name, df in (("touchpoints", touchpoints), ("conversions", conversions)):
        if df is None:
            return ReportView.skipped(KEY, TITLE, f"no {name} data: attribution needs the touchpoints and "
                                      "conversions tables")
    paths = journeys_from_events(touchpoints, conversions, lookback_days=options.lookback_days,
                                 collapse_repeats=options.collapse_repeats, start=period.start, end=period.end)
    if paths.total_conversions <= 0:
        lost = paths.unattributed_conversions
        if lost > 0:
            return ReportView.skipped(KEY, TITLE, f"none of the {lost:,.0f} conversion{'s' if lost != 1 else ''} "
                                      f"tracked in {label} followed a tracked touch within "
                                      f"{options.lookback_days} days")
        # not "no conversion followed a touch", which says there were conversions: there were none
        return ReportView.skipped(KEY, TITLE, f"the conversions table has no conversion in {label}, so there is "
                                  "nothing to attribute (if there were sales, check the website's conversion "
                                  "tracking)")
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
    platforms = platform_totals(ads, period)
    why = _platforms_differ(platforms, result, eff if spend is not None else None, label=label, currency=currency)
    if why:
        sentences.append(why)
    caveats = [n for n in result.notes if not n.startswith("The Markov chain is of order")]  # method, not caveat
    if result.total_conversions < MIN_CONVERSIONS:
        caveats.append(f"Only {result.total_conversions:,.0f} conversions could be attributed in {label}: "
                       "channel shares can move a lot from month to month at this size.")
    if spend is None:
        caveats.append("No ad spend for the month: attributed CPA and ROAS are not shown.")
    else:
        unmatched = sorted(set(spend["channel"]) - set(result.channels))
        if unmatched:
            caveats.append("Ad spend on " + ", ".join(channel_name(c) for c in unmatched) + " has no matching "
                           "touchpoint channel (map it with attribution.spend_channels in the client's parameters).")
    caveats += _below_zero(table, result)
    caveats += _uncertain_credits(table, result)
    recs = _recommendations(eff, result) if spend is not None else []

    from ..plotting.attribution import plot_model_comparison

    names = {str(c): channel_name(c) for c in table["channel"].unique()}
    ax = plot_model_comparison(table, channel_labels=names)
    lead = result.lead(PRIMARY)
    alt = (f"Dot chart of the share of {label} conversions each channel earns under "
           f"{len(set(table['model']))} attribution models. Under the Markov model {channel_name(lead['leader'])} "
           f"leads with {_pct(lead['conversions'] / result.total_conversions)}.")
    view = ReportView(key=KEY, title=TITLE, sentences=sentences, figure=ax.figure, alt_text=alt,
                      table=_display_table(eff, result, currency=currency, has_spend=spend is not None),
                      caveats=caveats, recommendations=recs)
    view.extra.update(result=result, efficiency=eff, comparison=comparison, paths=paths, platforms=platforms)
    return view


def platform_totals(ads: pd.DataFrame | None, period: Any) -> dict[str, float]:
    """What the ad platforms themselves report for the period: the snapshot's ad numbers.

    Sums ``conversions``, ``revenue`` and ``spend`` of the ``ads`` table over the period's local days
    (all platforms, as the snapshot's "Conversions (ads)", "Revenue from ads" and "Return on ad spend"
    do). A column that is missing or blank for the whole period gives NaN.

    Returns
    -------
    dict
        ``conversions``, ``revenue``, ``spend`` and ``roas`` (revenue / spend; NaN when spend is 0).
    """
    out = dict.fromkeys(("conversions", "revenue", "spend", "roas"), math.nan)
    if ads is None or not len(ads) or "date" not in ads.columns:
        return out
    d = pd.to_datetime(ads["date"])
    sub = ads.loc[((d >= pd.Timestamp(period.first_day)) & (d < pd.Timestamp(period.end_day))).to_numpy()]
    for col in ("conversions", "revenue", "spend"):
        if col in sub.columns:
            v = pd.to_numeric(sub[col], errors="coerce")
            if v.notna().any():
                out[col] = float(v.sum())
    if out["spend"] > 0:
        out["roas"] = out["revenue"] / out["spend"]
    return out


def _platforms_differ(platforms: dict[str, float], result: AttributionResult, eff: pd.DataFrame | None, *,
                      label: str, currency: str) -> str | None:
    """Why the ad platforms' conversions, revenue and ROAS differ from the attributed ones, in plain words.

    Only when the ``ads`` table has conversions or revenue in the period. Each ad platform counts the
    conversions it links to its own ads, view-through (seen, not clicked) and cross-device ones
    included, so two platforms can both claim one sale; attribution shares the conversions tracked on
    the client's site, each once. The attributed ROAS is tracked revenue ÷ spend, compared here with
    the platforms' own (their revenue ÷ all ad spend).

    References
    ----------
    .. [1] Google Analytics Help, "[UA] Comparing Analytics and Google Ads conversion metrics"
       (support.google.com/analytics/answer/2679221): Google Ads counts a conversion only after a click
       on its own ads and, by default, every conversion per click; Analytics gives each conversion to
       one source.
    .. [2] Meta Business Help Center, "About attribution settings": Meta reports conversions within
       1 day of viewing and 7 days of clicking an ad by default, across the devices a person uses.
    .. [3] Microsoft Advertising Help, "What are view-through conversions?": an ad that was seen but
       not clicked gets credit for a later conversion.
    """
    conv, rev = platforms.get("conversions", math.nan), platforms.get("revenue", math.nan)
    has_conv, has_rev = bool(conv > 0), bool(rev > 0)  # NaN compares False
    if not (has_conv or has_rev):
        return None
    if has_conv and has_rev:
        reported = f"{_num(conv)} conversions worth {format_money(rev, currency)}"
    elif has_conv:
        reported = f"{_num(conv)} conversions"
    else:
        reported = f"{format_money(rev, currency)} of revenue"
    tracked = f"{_num(result.total_conversions)} conversions"
    if result.total_value > 0:
        tracked += f" worth {format_money(result.total_value, currency)}"
    text = (f"The ad platforms reported {reported} in {label}; the attribution here shares out the {tracked} "
            "tracked on your website. The two are counted differently: each ad platform counts the conversions "
            "it links to its own ads, including people who only saw an ad or who bought on another device, so "
            "several platforms can claim the same conversion; attribution counts each conversion tracked on "
            "your website once, whichever channel led to it.")
    plat_roas = platforms.get("roas", math.nan)
    if eff is not None and has_rev and np.isfinite(plat_roas):
        paid = eff[(eff["model"] == PRIMARY) & eff["spend"].gt(0)]
        spent = float(paid["spend"].sum())
        ours = float(paid["value"].sum()) / spent if spent > 0 else math.nan
        if np.isfinite(ours):
            how = "reads lower than" if round(ours, 2) < round(plat_roas, 2) else "differs from"
            text += (f" The ROAS in the table is tracked revenue ÷ ad spend, so it {how} the platforms' own: "
                     f"{_ratio(ours)} over the paid channels together, against {_ratio(plat_roas)}.")
    return text


TABLE_MODELS: tuple[str, ...] = (PRIMARY, "shapley", "last", "first", "linear")
"""The models the report's table shows, the primary first; the sentence counts agreement over these."""


def _sentences(result: AttributionResult, *, label: str) -> list[str]:
    lead = result.lead(PRIMARY)
    total = result.total_conversions
    # only the models the client's table shows: "7 of 8 models" counted five columns and three unseen models
    leaders = {m: str(result.model(m)["channel"].iloc[0]) for m in TABLE_MODELS if m in result.options["models"]}
    agree = sum(1 for c in leaders.values() if c == lead["leader"])
    leader = channel_name(lead["leader"])
    first = (f"In {label}, {leader} earned the largest share of the {total:,.0f} attributed conversions "
             f"under the Markov model ({_pct(lead['conversions'] / total)}, about {_num(lead['conversions'])})")
    if lead["runner_up"] is not None:
        first += f", ahead of {channel_name(lead['runner_up'])} ({_pct(lead['runner_up_conversions'] / total)})"
    shap = leaders.get("shapley")
    if shap is not None and shap != lead["leader"]:
        first += (f"; the Shapley value, which compares the conversion rate of journeys with and without each "
                  f"channel, puts {channel_name(shap)} first instead.")
    else:
        n = len(leaders)
        first += (f"; all {n} models in the table put {leader} first." if agree == n else
                  f"; {agree} of the {n} models in the table put {leader} first.")
    if lead["clear"] is None:
        second = "No bootstrap was run, so it is not known whether this lead is larger than chance variation."
    elif lead["clear"]:
        second = (f"The lead is real rather than noise: in {result.bootstrap_samples} resamples of the journeys "
                  f"{leader} stayed ahead by {_num(lead['difference_lower'])} to "
                  f"{_num(lead['difference_upper'])} conversions ({result.confidence * 100:.0f} % interval).")
    else:
        second = (f"The lead is within the noise: resampling the journeys puts the gap between "
                  f"{_num(lead['difference_lower'])} and {_num(lead['difference_upper'])} conversions, so "
                  f"{leader} and {channel_name(lead['runner_up'])} cannot be told apart this month.")
    return [first, second + " " + CAVEAT]


def _below_zero(table: pd.DataFrame, result: AttributionResult) -> list[str]:
    """What a Shapley share below zero means, when the table shows one (the conversion-rate value
    function credits a channel with the change in conversion rate its journeys go with, which can be
    a fall; Zhao, Mahboobi & Bagheri 2018). A share is listed when it is shown below zero, that is
    when it rounds to -1 % or less (a share that rounds to "0 %" is not)."""
    total = result.total_conversions
    if total <= 0:
        return []
    sh = table[table["model"] == "shapley"]
    shown = np.round(sh["conversions"].to_numpy(dtype=float) / total * 100)
    neg = sh[shown <= -1].sort_values("conversions", kind="stable")
    if not len(neg):
        return []
    names = ", ".join(f"{channel_name(c)} {_pct(v / total)}"
                      for c, v in zip(neg["channel"], neg["conversions"], strict=True))
    return [f"A Shapley share below zero ({names}) means journeys with that channel converted less often than "
            "journeys without it; the channel did not take conversions away. The Shapley value credits each "
            "channel with the change in conversion rate it goes with, so its shares can differ widely from the "
            "models that split each conversion among the journey's touches."]


UNCERTAIN_MIN_SHARE = 0.05
"""A credit is said to be very uncertain only for channels with at least this share of the conversions:
below it, a wide interval changes no reading of the table."""

_OWNERS = {"markov": "the Markov model's", "shapley": "Shapley's"}
_SHORT = {"markov": "Markov", "shapley": "Shapley"}


def _whole(x: float) -> str:
    """A whole number of conversions with a minus sign ("−4"), never "-0"."""
    n = round(abs(float(x)))
    return f"\u2212{n:,d}" if x < 0 and n else f"{n:,d}"


def _bound_words(share: float, *, upper: bool) -> str:
    """An interval bound as a share of the month's conversions, in words: none, about half, most, all."""
    if share <= 0.02:
        return "none"
    if upper and share >= 0.95:
        return "all"
    if 0.4 <= share <= 0.6:
        return "about half"
    if share > 0.6:
        return "most"
    return f"about {round(share * 100):d} %"


def _uncertain_credits(table: pd.DataFrame, result: AttributionResult, *, max_named: int = 3) -> list[str]:
    """One sentence per channel whose Markov or Shapley credit has a bootstrap interval wider than the
    credit itself (an interval that crosses zero always is), for channels with at least
    :data:`UNCERTAIN_MIN_SHARE` of the conversions; the table shows such a share as if it were known
    (demo-lumiere, 2026-10: X at 31 % under Shapley, interval −3.8 to 149.4 conversions, 2 % under
    Markov). Negative credits are explained by :func:`_below_zero`. At most ``max_named`` sentences,
    largest credits first; the others are listed in one more sentence.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 13 (percentile intervals).
    """
    total = result.total_conversions
    if total <= 0 or not _has(table, "lower", "upper"):
        return []
    shares = {m: table[table["model"] == m].set_index("channel")["conversions"] / total for m in _OWNERS}
    wide = []
    for m in _OWNERS:
        sub = table[(table["model"] == m) & np.isfinite(table["lower"]) & np.isfinite(table["upper"])]
        sub = sub[(sub["conversions"] >= UNCERTAIN_MIN_SHARE * total)
                  & (sub["upper"] - sub["lower"] > sub["conversions"])]
        wide += [(float(r.conversions), m, r) for r in sub.itertuples(index=False)]
    wide.sort(key=lambda w: -w[0])
    level = f"{result.confidence * 100:.0f} % interval"
    out = []
    for _, m, r in wide[:max_named]:
        other = next(o for o in _OWNERS if o != m)
        vs = (f"; {_SHORT[other]}: {_pct(float(shares[other][r.channel]))}" if r.channel in shares[other].index
              else "")
        owner = _OWNERS[m]
        out.append(f"{owner[0].upper()}{owner[1:]} credit for {channel_name(r.channel)} "
                   f"({_pct(r.conversions / total)} of the conversions{vs}) is very uncertain: its {level} runs "
                   f"from {_whole(r.lower)} to {_whole(r.upper)} conversions, so read it as somewhere between "
                   f"{_bound_words(r.lower / total, upper=False)} and {_bound_words(r.upper / total, upper=True)} "
                   f"of the {total:,.0f} attributed conversions.")
    rest = [f"{channel_name(r.channel)} ({_SHORT[m]})" for _, m, r in wide[max_named:]]
    if rest:
        out.append(f"The credits of {and_words(rest)} are as uncertain: their intervals are wider than the credits.")
    return out


def _recommendations(eff: pd.DataFrame, result: AttributionResult) -> list[Recommendation]:
    paid = eff[(eff["model"] == PRIMARY) & eff["spend"].gt(0) & eff["roas"].notna()]
    if len(paid) < 2:
        return []
    paid = paid.sort_values("roas", ascending=False, kind="stable")
    best, rest = paid.iloc[0], paid.iloc[1:]
    best_name = channel_name(best["channel"])
    has_ci = "roas_lower" in paid.columns and np.isfinite(best.get("roas_lower", math.nan))
    others = ", ".join(f"{channel_name(r['channel'])} {_ratio(r['roas'])}" for _, r in rest.iterrows())
    if has_ci and best["roas_lower"] > rest["roas_upper"].max():
        worst = paid.iloc[-1]
        return [Recommendation(
            action=f"Shift part of the ad budget from {channel_name(worst['channel'])} toward {best_name}.",
            evidence=(f"Under Markov attribution {best_name} brought in {_ratio(best['roas'])} its ad spend in "
                      f"tracked revenue ({result.confidence * 100:.0f} % interval {_ratio(best['roas_lower'])}–"
                      f"{_ratio(best['roas_upper'])}), above every other paid channel's interval ({others}). "
                      "Attribution is not causal: move budget in steps and watch conversions."),
            priority=2, source="attribution")]
    return [Recommendation(
        action=(f"Before moving budget between {', '.join(channel_name(c) for c in paid['channel'])}, run a "
                f"holdout test on {best_name}."),
        evidence=(f"{best_name} has the best attributed ROAS under Markov attribution "
                  f"({_ratio(best['roas'])}, others: {others}), but its interval overlaps the others', so the "
                  "ranking could be chance."),
        priority=3, source="attribution")]


def _display_table(eff: pd.DataFrame, result: AttributionResult, *, currency: str, has_spend: bool) -> pd.DataFrame:
    """The client's table: one row per channel (display names), shares in whole percent, spend and CPA in
    the client's currency as the rest of the report writes it (each column with one number of decimals,
    :func:`~kpi_toolkit.kpis.money_decimals`), ROAS with its "×"."""
    total = result.total_conversions
    rows = []
    mk = eff[eff["model"] == PRIMARY].set_index("channel")
    spend_dp = money_decimals(mk["spend"]) if has_spend else 0
    cpa_dp = money_decimals(mk["cpa"]) if has_spend else 0
    others = {m: eff[eff["model"] == m].set_index("channel") for m in TABLE_MODELS[1:]
              if (eff["model"] == m).any()}
    for ch in mk.sort_values("conversions", ascending=False, kind="stable").index:
        r = mk.loc[ch]
        ci = (f" ({_num(r['lower'])}–{_num(r['upper'])})" if "lower" in mk.columns and np.isfinite(r["lower"])
              else "")
        row = {"Channel": channel_name(ch), "Markov: conversions (interval)": f"{_num(r['conversions'])}{ci}",
               "Markov share": _pct(r["conversions"] / total)}
        for m, t in others.items():
            row[f"{MODEL_LABELS[m]} share"] = _pct(float(t.loc[ch, "conversions"]) / total) if ch in t.index else "n/a"
        if has_spend:
            row["Spend"] = format_money(float(r["spend"]), currency, decimals=spend_dp) if np.isfinite(r["spend"]) \
                else "—"
            row["CPA (Markov)"] = format_money(float(r["cpa"]), currency, decimals=cpa_dp) if np.isfinite(r["cpa"]) \
                else "—"
            row["ROAS (Markov)"] = _ratio(float(r["roas"])) if np.isfinite(r["roas"]) else "—"
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# for analysts: the attribution notebook's tables and its return-on-ad-spend view


EFFICIENCY_MODELS: tuple[str, ...] = ("last", "markov", "shapley")
"""The models whose CPA and ROAS the analyst's table shows: the platforms' habit (last touch) and the
two data-driven ones."""

NEGATIVE_CREDIT = "n/a (negative credit)"
"""What a CPA or ROAS cell reads when the channel's credit is below zero (a Shapley value can be)."""

VALUE_FUNCTION_LABELS = {"conversion_rate": "Conversion rate (default)",
                         "conversions": "Conversions (Zhao et al. 2018)"}
"""Column names of :func:`shapley_by_value_function`."""


def _credit(x: float) -> str:
    """Attributed conversions to one decimal (a Markov or Shapley credit is fractional), a negative
    one with a minus sign ("−12.2"), never "-0.0"."""
    if not np.isfinite(x):
        return "n/a"
    text = f"{abs(float(x)):,.1f}"
    return f"\u2212{text}" if x < 0 and text.strip("0.,") else text


def _credit_interval(lo: float, hi: float) -> str:
    """``"22.5–35.5"``; ``"−18.8 to −6.3"`` when a bound is negative (a dash between minus signs misreads)."""
    sep = " to " if lo < 0 or hi < 0 else "–"
    return f"{_credit(lo)}{sep}{_credit(hi)}"


def _has(df: pd.DataFrame, *cols: str) -> bool:
    return all(c in df.columns for c in cols)


def _interval_heading(confidence: float) -> str:
    return f"{confidence * 100:g} % interval"


def attribution_table(table: pd.DataFrame, *, currency: str = "EUR", confidence: float = 0.95) -> pd.DataFrame:
    """:attr:`AttributionResult.table` for people: one row per model and channel, models in
    :data:`~kpi_toolkit.attribution.core.MODELS` order by their plain names ("Last touch"), channels by
    credit; conversions ("27.8 (22.5–35.5)") and value ("€45,353 (€36,534–€58,580)") with their
    bootstrap intervals where there are some. Channels keep their raw names, as in every analyst table."""
    from .core import MODELS

    order = {m: i for i, m in enumerate(MODELS)}
    t = table.assign(_m=table["model"].map(order).fillna(len(MODELS)))
    t = t.sort_values(["_m", "conversions"], ascending=[True, False], kind="stable")
    boot = _has(t, "lower", "upper")
    boot_value = _has(t, "value_lower", "value_upper")
    conv = [f"{_credit(c)} ({_credit_interval(lo, hi)})" if boot and np.isfinite(lo) else _credit(c)
            for c, lo, hi in zip(t["conversions"], t.get("lower", t["conversions"]), t.get("upper", t["conversions"]),
                                 strict=True)]
    bounds = [t["value_lower"], t["value_upper"]] if boot_value else []
    dp = money_decimals(t["value"], *bounds)  # one number of decimals for the column, bounds too

    def money(x: float) -> str:  # a negative amount with a minus sign, as the conversions column writes it
        text = format_money(x, currency, decimals=dp)
        return "\u2212" + text.lstrip("-") if text.startswith("-") else text

    def money_interval(lo: float, hi: float) -> str:  # "−€2,162 to −€266", never "-€2,162–-€266"
        return f"{money(lo)}{' to ' if lo < 0 or hi < 0 else '–'}{money(hi)}"

    value = [f"{money(v)} ({money_interval(lo, hi)})" if boot_value and np.isfinite(lo) else money(v)
             for v, lo, hi in zip(t["value"], t.get("value_lower", t["value"]), t.get("value_upper", t["value"]),
                                  strict=True)]
    suffix = f" ({_interval_heading(confidence)})" if boot else ""
    return pd.DataFrame({"Model": [MODEL_LABELS.get(m, m) for m in t["model"]],
                         "Channel": t["channel"].astype(str).to_numpy(),
                         f"Conversions{suffix}": conv, f"Value{suffix}": value})


def shapley_by_value_function(paths: PathTable, *, value_functions: tuple[str, ...] = ("conversion_rate", "conversions"),
                              seed: int = 42) -> pd.DataFrame:
    """Shapley-attributed conversions per channel under each coalition value function, side by side.

    Returns
    -------
    DataFrame
        ``channel`` and one column per value function, named by :data:`VALUE_FUNCTION_LABELS`
        ("Conversion rate (default)", "Conversions (Zhao et al. 2018)"); channels by the first
        function's credit, largest first. No column-axis name is left over from a pivot.

    References
    ----------
    .. [1] Zhao K., Mahboobi S. H. & Bagheri S. R. (2018). arXiv:1804.05327.
    """
    cols = {}
    for v in value_functions:
        credits = shapley(paths, value_function=v, seed=seed).set_index("channel")["conversions"]
        cols[VALUE_FUNCTION_LABELS.get(v, v)] = credits
    wide = pd.DataFrame(cols)
    wide = wide.sort_values(wide.columns[0], ascending=False, kind="stable").rename_axis("channel")
    return wide.reset_index().rename_axis(columns=None)


def _money_or(x: float, currency: str, *, below_zero: str = "below 0") -> str:
    if not np.isfinite(x):
        return "n/a"
    return below_zero if x < 0 else format_money(x, currency)


def _ratio_or(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return "below 0" if x < 0 else _ratio(x)


def _ratio_interval(lo: float, hi: float) -> str:
    """``"8.27×–13.26×"``; ``"below 0 to 17.75×"`` when the lower bound is negative."""
    sep = " to " if lo < 0 or hi < 0 else "–"
    return f"{_ratio_or(lo)}{sep}{_ratio_or(hi)}"


def efficiency_table(efficiency: pd.DataFrame, *, currency: str = "EUR", confidence: float = 0.95,
                     models: tuple[str, ...] = EFFICIENCY_MODELS) -> pd.DataFrame:
    """Spend, attributed conversions, CPA and ROAS per paid channel and model, for people.

    Rows: channels with spend (display names, most spend first) × ``models`` (plain names, in the
    given order). A channel whose credit is below zero (a Shapley value can be: journeys with it
    converted less often than journeys without it) has no meaningful CPA or ROAS: both read
    :data:`NEGATIVE_CREDIT`. An interval bound below zero reads "below 0"; a CPA whose conversions
    interval reaches zero has no upper bound ("£82 or more").

    Parameters
    ----------
    efficiency : DataFrame
        From :func:`kpi_toolkit.attribution.with_spend` (``view.extra["efficiency"]``).
    """
    paid = efficiency[efficiency["spend"].gt(0) & efficiency["model"].isin(models)]
    spend_order = paid.groupby("channel")["spend"].first().sort_values(ascending=False, kind="stable")
    ch_rank = {c: i for i, c in enumerate(spend_order.index)}
    m_rank = {m: i for i, m in enumerate(models)}
    paid = paid.assign(_c=paid["channel"].map(ch_rank), _m=paid["model"].map(m_rank)).sort_values(["_c", "_m"])
    boot = _has(paid, "lower", "upper", "cpa_lower", "cpa_upper", "roas_lower", "roas_upper")
    # one number of decimals per column: the amounts each column shows, interval bounds included
    spend_dp = money_decimals(paid["spend"])
    shown = paid[(paid["conversions"] >= 0) & np.isfinite(paid["cpa"])]
    cpa_shown = [shown["cpa"]]
    if boot:
        low = shown[np.isfinite(shown["cpa_lower"])]
        cpa_shown += [low["cpa_lower"], low["cpa_upper"]]
    cpa_dp = money_decimals(*cpa_shown)

    def cpa_money(x: float) -> str:
        return format_money(x, currency, decimals=cpa_dp)

    rows = []
    for r in paid.itertuples():
        conv = _credit(r.conversions)
        if boot and np.isfinite(r.lower):
            conv += f" ({_credit_interval(r.lower, r.upper)})"
        if r.conversions < 0:
            cpa = roas = NEGATIVE_CREDIT
        else:
            cpa = cpa_money(r.cpa) if np.isfinite(r.cpa) else "n/a (no credit)"
            roas = _ratio_or(r.roas)
            if boot and np.isfinite(r.cpa) and np.isfinite(r.cpa_lower):
                cpa += (f" ({cpa_money(r.cpa_lower)}–{cpa_money(r.cpa_upper)})"
                        if np.isfinite(r.cpa_upper) else f" ({cpa_money(r.cpa_lower)} or more)")
            if boot and np.isfinite(r.roas) and np.isfinite(r.roas_lower):
                roas += f" ({_ratio_interval(r.roas_lower, r.roas_upper)})"
        rows.append({"Channel": channel_name(r.channel), "Model": MODEL_LABELS.get(r.model, r.model),
                     "Spend": format_money(float(r.spend), currency, decimals=spend_dp), "Conversions": conv,
                     "CPA": cpa, "ROAS": roas})
    out = pd.DataFrame(rows, columns=["Channel", "Model", "Spend", "Conversions", "CPA", "ROAS"])
    if boot:
        h = _interval_heading(confidence)
        out = out.rename(columns={c: f"{c} ({h})" for c in ("Conversions", "CPA", "ROAS")})
    return out


def efficiency_notes(efficiency: pd.DataFrame, *, models: tuple[str, ...] = EFFICIENCY_MODELS) -> list[str]:
    """Why a row of :func:`efficiency_table` reads "n/a (negative credit)" or "below 0", when one does.

    The same explanation as the report's caveat on Shapley shares below zero: journeys with the
    channel converted less often than journeys without it; the channel did not take conversions away.
    """
    paid = efficiency[efficiency["spend"].gt(0) & efficiency["model"].isin(models)]
    neg = paid[paid["conversions"] < 0].sort_values("conversions", kind="stable")
    out = []
    if len(neg):
        listed = "; ".join(f"{channel_name(c)}, {MODEL_LABELS.get(m, m)}: {_credit(v)} conversions"
                           for c, m, v in zip(neg["channel"], neg["model"], neg["conversions"], strict=True))
        out.append(f"A credit below zero ({listed}) means journeys with that channel converted less often than "
                   "journeys without it; the channel did not take conversions away. Cost per acquisition and "
                   f"return on ad spend mean nothing for it, so they read \u201c{NEGATIVE_CREDIT}\u201d.")
    low = [c for c in ("lower", "roas_lower") if c in paid.columns]
    if low and (paid.loc[paid["conversions"] >= 0, low] < 0).any(axis=None):
        out.append("An interval that reaches \u201cbelow 0\u201d comes from resamples in which the channel's "
                   "credit fell below zero, for the same reason.")
    return out


def roas_sentences(efficiency: pd.DataFrame, *, model: str = PRIMARY, currency: str = "EUR",
                   confidence: float = 0.95) -> list[str]:
    """What the return-on-ad-spend chart (:func:`kpi_toolkit.plotting.attribution.plot_roas`) shows,
    in plain words: the best and the weakest paid channel under ``model``, whether the best one's
    interval clears every other's, and which channels brought in more (or less) tracked revenue than
    they cost (interval above or below 1×)."""
    label = MODEL_LABELS.get(model, model)
    sub = efficiency[(efficiency["model"] == model) & efficiency["spend"].gt(0) & efficiency["roas"].notna()]
    sub = sub.sort_values("roas", ascending=False, kind="stable")
    if sub.empty:
        return [f"No paid channel has an attributed return on ad spend under {label} attribution."]
    one = format_money(1.0, currency)
    boot = _has(sub, "roas_lower", "roas_upper") and bool(sub["roas_lower"].notna().all())
    level = f"{confidence * 100:g} % interval"

    def with_ci(r: Any) -> str:
        return (f"{_ratio(r['roas'])} ({level} {_ratio_interval(r['roas_lower'], r['roas_upper'])})" if boot
                else _ratio(r["roas"]))

    best = sub.iloc[0]
    if len(sub) == 1:
        out = [f"Under {label} attribution, {channel_name(best['channel'])}, the only channel with ad spend, "
               f"brought in {with_ci(best)} its spend in tracked revenue."]
    else:
        worst = sub.iloc[-1]
        out = [f"Under {label} attribution, {channel_name(best['channel'])} brought in the most tracked revenue per "
               f"{one} of ad spend, {with_ci(best)}, and {channel_name(worst['channel'])} the least, {with_ci(worst)}."]
        if boot:
            if best["roas_lower"] > sub.iloc[1:]["roas_upper"].max():
                out.append(f"{channel_name(best['channel'])}'s interval lies above every other paid channel's, "
                           "so its lead is larger than the resampling noise.")
            else:
                out.append("The intervals overlap, so the order of the channels could be chance.")
    if boot:
        above = [channel_name(c) for c, lo in zip(sub["channel"], sub["roas_lower"], strict=True) if lo > 1]
        below = [channel_name(c) for c, hi in zip(sub["channel"], sub["roas_upper"], strict=True) if hi < 1]
        unsure = [channel_name(c) for c in sub["channel"] if channel_name(c) not in above + below]
        if len(above) == len(sub) and len(sub) > 1:
            out.append("Every paid channel's interval lies above 1× (the dashed line): each brought in more "
                       "tracked revenue than it cost.")
        else:
            parts = []
            if above:
                parts.append(f"{and_words(above)} brought in more tracked revenue than {'its' if len(above) == 1 else 'their'} "
                             "ad spend (interval above 1×)")
            if below:
                parts.append(f"{and_words(below)} brought in less than {'its' if len(below) == 1 else 'their'} ad spend "
                             "(interval below 1×)")
            if unsure:
                parts.append(f"for {and_words(unsure)} the interval spans 1×, so whether "
                             f"{'it pays' if len(unsure) == 1 else 'they pay'} for {'itself' if len(unsure) == 1 else 'themselves'} "
                             "is not clear")
            text = "; ".join(parts)
            out.append(text[:1].upper() + text[1:] + ".")
    return out


def roas_view(efficiency: pd.DataFrame, *, currency: str = "EUR", confidence: float = 0.95, model: str = PRIMARY,
              models: tuple[str, ...] = EFFICIENCY_MODELS, key: str = "attribution-roas",
              title: str = "Return on ad spend by channel") -> ReportView:
    """The analyst's return-on-ad-spend view: the ROAS chart under ``model`` with
    :func:`roas_sentences` beside it, :func:`efficiency_table` below and :func:`efficiency_notes` as
    caveats. Skipped, with the reason, when no channel has ad spend."""
    if "spend" not in efficiency.columns or not efficiency["spend"].gt(0).any():
        return ReportView.skipped(key, title, "no ad spend in this period, so cost per acquisition and return on "
                                  "ad spend are not shown")
    from ..plotting.attribution import plot_roas

    names = {str(c): channel_name(c) for c in efficiency["channel"].unique()}
    ax = plot_roas(efficiency, model=model, currency=currency, channel_labels=names,
                   title=f"Return on ad spend by channel ({MODEL_LABELS.get(model, model)} attribution)")
    sentences = roas_sentences(efficiency, model=model, currency=currency, confidence=confidence)
    caveats = efficiency_notes(efficiency, models=models)
    if _has(efficiency, "roas_lower", "roas_upper"):
        caveats.append("ROAS is the tracked revenue attributed to a channel ÷ its ad spend; spend is taken as "
                       "known, so the intervals come from resampling the journeys.")
    return ReportView(key=key, title=title, sentences=sentences, figure=ax.figure,
                      alt_text="Bar chart of attributed revenue per unit of ad spend for each paid channel. "
                      + " ".join(sentences),
                      table=efficiency_table(efficiency, currency=currency, confidence=confidence, models=models),
                      caveats=caveats)


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
