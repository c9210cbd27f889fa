"""The KPI registry and its formulas: one definition per KPI, used by every report and the glossary.

Every KPI the seed articles name is a :class:`KPI` in :data:`REGISTRY`, with its plain-words label,
the canonical table it comes from, its unit, whether higher is better, its formula and the published
source of that formula. :func:`compute_kpis` computes any set of them at any grain (by platform,
content type, campaign, month, week, weekday, hour ...) for a client and a period;
:func:`glossary` renders the definitions shown in reports; :func:`format_value` writes a value the way
a report shows it ("3.4 %", "€1,234", "1.2 M").

Aggregation rules (docs/kpis.md has the long version)
-------------------------------------------------------
* Counts are sums over the rows of the period ("reach" is the sum of each post's reach: people who
  saw two posts count twice, as in every platform's post export).
* Rates are fractions (0.034, shown as 3.4 %) and are aggregated as a **ratio of sums**:
  ``sum(engagements) / sum(reach)`` over the group, never a mean of per-row ratios, as Looker Studio
  and the ad platforms compute CTR over a period. Rows where the numerator or the denominator is
  blank are left out of both sums, so the denominator always matches the numerator.
* A KPI published as a per-post average (Hootsuite's applause, amplification and average engagement
  rate; Kaushik's comments per post) says ``_per_post`` in its name; ``*_rate_per_post`` KPIs are
  the mean over posts of each post's rate, i.e. ``sum(per-post rates) / posts``.
* Follower KPIs from the ``audience`` table are stock values, not sums: followers at the end of the
  period, net growth = end - start, where start is the count on the last day before the period.
* A zero denominator gives NaN, never inf or an exception.
* Post KPIs are the lifetime metrics of the posts *published* in the period (Sprout Social's
  "lifetime" view), not the activity that happened during the period.

References
----------
.. [1] K. Parker, "19 social media KPIs you should be tracking", Hootsuite blog (seed article 001).
.. [2] A. Kaushik (2011), "Best Social Media Metrics: Conversation, Amplification, Applause,
   Economic Value", Occam's Razor blog, kaushik.net.
.. [3] Google Ads Help and Looker Studio: period CTR as SUM(clicks) / SUM(impressions).
.. [4] F. F. Reichheld (2003), "The One Number You Need to Grow", Harvard Business Review 81(12).
.. [5] C. J. Hutto & E. Gilbert (2014), "VADER: A Parsimonious Rule-based Model for Sentiment
   Analysis of Social Media Text", ICWSM-14.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .exceptions import ParameterError
from .periods import Period, month_period
from .schema import TABLES

if TYPE_CHECKING:
    from .data import ClientData
    from .segments import PostMeasure

__all__ = [
    "KPI", "REGISTRY", "TIME_KEYS", "UNITS", "compute_kpis", "format_value", "glossary",
    "glossary_markdown", "kpis_for_tables", "post_measure", "resolve_kpis",
]

Unit = Literal["count", "fraction", "currency", "score", "hours", "per_post"]
UNITS: tuple[str, ...] = ("count", "fraction", "ratio", "currency", "score", "hours", "per_post")
"""Units a KPI can have. ``fraction`` is shown as a percentage; ``score`` (NPS) is a fraction in
[-1, 1] shown as a number from -100 to 100; ``per_post`` is a count divided by the number of posts."""

TIME_KEYS: tuple[str, ...] = ("month", "week", "date", "weekday", "hour")
"""Grouping keys derived from each table's time column in the client's time zone: ``month``
(``"YYYY-MM"``), ``week`` (the Monday, a naive timestamp), ``date`` (naive midnight), ``weekday``
(0 = Monday … 6 = Sunday) and ``hour`` (0-23, timestamped tables only)."""

FREQS: dict[str, str] = {"D": "day", "W": "week (Monday to Sunday)", "M": "calendar month"}
"""Values of ``freq``: the ``period`` column is the first local day of each day, week or month."""


@dataclass(frozen=True)
class KPI:
    """One KPI: what it measures, how it is computed and where the definition is published.

    Attributes
    ----------
    name
        Identifier used in parameters (``core_kpis``, goals) and as a column name.
    label
        Plain words for stakeholders ("Engagement rate (by reach)").
    table
        The canonical table it comes from (:data:`kpi_toolkit.schema.TABLES`).
    unit
        One of :data:`UNITS`.
    higher_is_better
        True, False, or None when neither direction is better (e.g. number of posts).
    formula
        Plain-text formula, e.g. ``"engagements / reach"``.
    numerator, denominator
        Names of the base measures summed over the group. ``denominator`` is None for plain sums
        and stock values.
    source
        The published definition this follows.
    description
        What the KPI tells a reader, and any choice made where sources differ.
    scale
        The ratio is multiplied by this (1000 for CPM).
    kind
        ``"sum"`` (a sum or stock value), ``"ratio"`` (ratio of sums) or ``"median"``.
    """

    name: str
    label: str
    table: str
    unit: Unit
    higher_is_better: bool | None
    formula: str
    numerator: str | None
    denominator: str | None
    source: str
    description: str = ""
    scale: float = 1.0
    kind: Literal["sum", "ratio", "median"] = "sum"

    @property
    def definition(self) -> str:
        """Description and formula in one sentence pair, as the glossary shows it."""
        text = self.description.strip()
        return f"{text} Formula: {self.formula}." if text else f"Formula: {self.formula}."


# ----------------------------------------------------------------------------------------------
# sources

_HOOTSUITE_KPI = ('K. Parker, "19 social media KPIs you should be tracking", Hootsuite blog '
                  "(seed article 001)")
_HOOTSUITE_ER = ('Hootsuite blog, "Engagement rate calculator + guide": engagement rate by reach = '
                 "engagements / reach × 100 (the most commonly used); by impressions = engagements / "
                 "impressions × 100")
_RIVALIQ = ('Rival IQ, "2023 Social Media Industry Benchmark Report": engagement rate = engagements / '
            "followers, per post (median over 150 companies per industry)")
_NAPOLEONCAT = "NapoleonCat, engagement rate by followers (followers on the posting day)"
_KAUSHIK = ('A. Kaushik (2011), "Best Social Media Metrics: Conversation, Amplification, Applause, '
            'Economic Value", Occam\'s Razor blog, kaushik.net')
_LOOKER = ("aggregated as SUM(numerator) / SUM(denominator), as Looker Studio and the ad platforms "
           "compute rates over a period")
_GOOGLE_ADS = "Google Ads Help"
_META_ADS = "Meta Business Help Center (Ads Manager metrics)"
_GA = "Google Analytics (Universal Analytics) Help"
_REICHHELD = ('F. F. Reichheld (2003), "The One Number You Need to Grow", Harvard Business Review '
              "81(12): 46-54")
_VADER = ('C. J. Hutto & E. Gilbert (2014), "VADER: A Parsimonious Rule-based Model for Sentiment '
          'Analysis of Social Media Text", ICWSM-14: positive if score >= 0.05, negative if <= -0.05 '
          "(thresholds are client parameters)")
_SPROUT_CARE = ("Sprout Social Index (2013 onwards): response rate = share of messages that needed a "
                "reply and got one; Sprout Social Team Report: median reply time")


def _k(name: str, label: str, table: str, unit: Unit, hib: bool | None, formula: str,
       numerator: str | None, denominator: str | None, source: str, description: str = "",
       *, scale: float = 1.0, kind: Literal["sum", "ratio", "median"] | None = None) -> KPI:
    return KPI(name=name, label=label, table=table, unit=unit, higher_is_better=hib, formula=formula,
               numerator=numerator, denominator=denominator, source=source, description=description,
               scale=scale, kind=kind or ("ratio" if denominator else "sum"))


_ENG = "likes + comments + shares + saves"

_KPIS: tuple[KPI, ...] = (
    # -- posts: reach and volume ------------------------------------------------------------------
    _k("posts", "Posts published", "posts", "count", None, "number of posts published in the period",
       "posts", None, _KAUSHIK + " (the 'per post' denominator)",
       "How many posts went out; the denominator of every per-post KPI."),
    _k("impressions", "Impressions", "posts", "count", True, "sum(impressions)", "impressions", None,
       _HOOTSUITE_KPI, "Times the posts were shown, counting repeat views (lifetime of each post)."),
    _k("reach", "Reach", "posts", "count", True, "sum(reach)", "reach", None, _HOOTSUITE_KPI,
       "Accounts that saw each post, added up over posts: a person who saw two posts counts twice, "
       "because post exports do not de-duplicate people across posts."),
    # -- posts: engagement counts -------------------------------------------------------------------
    _k("likes", "Likes", "posts", "count", True, "sum(likes)", "likes", None, _HOOTSUITE_KPI,
       "Likes, reactions and favourites."),
    _k("comments", "Comments", "posts", "count", True, "sum(comments)", "comments", None, _HOOTSUITE_KPI,
       "Comments and replies on the posts."),
    _k("shares", "Shares", "posts", "count", True, "sum(shares)", "shares", None, _HOOTSUITE_KPI,
       "Shares, reposts and retweets."),
    _k("saves", "Saves", "posts", "count", True, "sum(saves)", "saves", None, _HOOTSUITE_KPI,
       "Saves and bookmarks (platforms that report them)."),
    _k("engagements", "Engagements", "posts", "count", True, _ENG, "engagements", None, _HOOTSUITE_ER,
       "Every interaction with the posts. Saves are counted when the export has a saves column "
       "(a blank saves cell counts as 0); clicks are not engagements here."),
    # -- posts: engagement rates (ratio of sums) ------------------------------------------------------
    _k("engagement_rate_by_reach", "Engagement rate (by reach)", "posts", "fraction", True,
       "engagements / reach", "engagements", "reach", f"{_HOOTSUITE_ER}; {_LOOKER}",
       "Share of the people reached who interacted: the most commonly used engagement rate."),
    _k("engagement_rate_by_impressions", "Engagement rate (by impressions)", "posts", "fraction", True,
       "engagements / impressions", "engagements", "impressions", f"{_HOOTSUITE_ER}; {_LOOKER}",
       "Interactions per time a post was shown; lower than the rate by reach because impressions "
       "count repeat views."),
    _k("engagement_rate_by_followers", "Engagement rate (by followers)", "posts", "fraction", True,
       "engagements / followers_at_post", "engagements", "followers_at_post",
       f"{_RIVALIQ}; {_NAPOLEONCAT}; {_LOOKER}",
       "Interactions relative to the audience size on each posting day (followers at the time of the "
       "post, as NapoleonCat; Orlo uses followers at the end of the range instead). Ratio of sums over posts."),
    _k("avg_engagement_rate_per_post", "Average engagement rate per post", "posts", "fraction", True,
       "mean over posts of (engagements / followers_at_post)", "post_engagement_rate", "posts",
       f"{_HOOTSUITE_KPI} (average engagement rate); {_RIVALIQ}",
       "The per-post definition the industry benchmarks use (Rival IQ medians: TikTok 5.69 %, "
       "Instagram 0.47 %, Facebook 0.06 %, X 0.035 %): each post's engagements over that day's "
       "followers, averaged over posts with a known follower count."),
    _k("applause_rate_per_post", "Applause rate per post", "posts", "fraction", True,
       "mean over posts of (likes / followers_at_post)", "post_applause_rate", "posts",
       f"{_HOOTSUITE_KPI} (approval actions / followers); {_KAUSHIK} (likes per post)",
       "Approval (likes, favourites) relative to followers, per post, averaged over posts."),
    _k("amplification_rate_per_post", "Amplification rate per post", "posts", "fraction", True,
       "mean over posts of (shares / followers_at_post)", "post_amplification_rate", "posts",
       f"{_HOOTSUITE_KPI} (shares / followers); {_KAUSHIK} (shares per post)",
       "How much followers pass the content on to their own networks, per post, averaged over posts."),
    _k("conversation_rate_per_post", "Conversation rate per post", "posts", "fraction", True,
       "mean over posts of (comments / followers_at_post)", "post_conversation_rate", "posts",
       f"{_KAUSHIK} (comments per post, relative to followers)",
       "Comments relative to followers, per post, averaged over posts. Kaushik's original count "
       "form is comments per post."),
    _k("likes_per_post", "Likes per post", "posts", "per_post", True, "likes / posts", "likes", "posts",
       _KAUSHIK + " (applause rate: likes per post)", "Kaushik's applause rate in its original form."),
    _k("comments_per_post", "Comments per post", "posts", "per_post", True, "comments / posts",
       "comments", "posts", _KAUSHIK + " (conversation rate: comments per post)",
       "Kaushik's conversation rate in its original form."),
    _k("shares_per_post", "Shares per post", "posts", "per_post", True, "shares / posts", "shares",
       "posts", _KAUSHIK + " (amplification rate: shares per post)",
       "Kaushik's amplification rate in its original form."),
    _k("engagements_per_post", "Engagements per post", "posts", "per_post", True,
       f"({_ENG}) / posts", "engagements", "posts", _HOOTSUITE_ER + " (engagement rate by posts)",
       "Average interactions a post received."),
    _k("virality_rate", "Virality rate", "posts", "fraction", True, "shares / impressions", "shares",
       "impressions", f"Hootsuite blog, social media metrics guide (virality rate = shares / "
       f"impressions × 100); {_LOOKER}", "Shares per time a post was shown."),
    # -- posts: clicks and video ------------------------------------------------------------------
    _k("post_clicks", "Link clicks on posts", "posts", "count", True, "sum(clicks) on posts",
       "post_clicks", None, _HOOTSUITE_KPI,
       "Link clicks on organic and boosted posts (paid clicks from the ads table are 'clicks')."),
    _k("post_ctr", "Click-through rate of posts", "posts", "fraction", True, "post clicks / impressions",
       "post_clicks", "impressions", f"{_HOOTSUITE_KPI} (CTR = clicks / impressions); {_LOOKER}",
       "Share of post impressions that led to a link click."),
    _k("video_views", "Video views", "posts", "count", True, "sum(video_views)", "video_views", None,
       _HOOTSUITE_KPI, "Video starts (3-second views where the platform counts so)."),
    _k("video_completion_rate", "Video completion rate", "posts", "fraction", True,
       "video completions / video views", "video_completions", "video_views",
       f"{_GOOGLE_ADS}, video metrics (completed views / video starts); {_LOOKER}",
       "Share of video starts watched to the end (or 95 %, as the platform counts)."),
    # -- audience (stock) ---------------------------------------------------------------------------
    _k("followers", "Followers", "audience", "count", True,
       "followers at the end of the period (summed over platforms)", "followers_end", None,
       _HOOTSUITE_KPI + " (follower count at a given time)",
       "Audience size on the last day of the period; a stock value, not a sum over days."),
    _k("net_follower_growth", "Net follower growth", "audience", "count", True,
       "followers at the end of the period - followers at its start", "net_follower_growth", None,
       _HOOTSUITE_KPI, "New followers minus lost followers. The start is the count on the last day "
       "before the period (or its first day when no earlier day is recorded)."),
    _k("audience_growth_rate", "Audience growth rate", "audience", "fraction", True,
       "net follower growth / followers at the start of the period", "net_follower_growth",
       "followers_start", f"{_HOOTSUITE_KPI} (net new followers / total audience × 100); Brandwatch "
       "(new fans / existing fans)", "How fast the audience grew relative to its size at the start."),
    # -- mentions and listening -----------------------------------------------------------------------
    _k("mentions", "Brand mentions", "mentions", "count", None, "number of mentions of the brand",
       "mentions", None, _HOOTSUITE_KPI,
       "Mentions of the client's brand found by social listening (all tracked brands when grouped "
       "by brand). Neither direction is better by itself: a crisis raises mentions too."),
    _k("share_of_voice", "Share of voice", "mentions", "fraction", True,
       "mentions of the brand / mentions of the brand and all tracked competitors", "mentions",
       "all_mentions", f"{_HOOTSUITE_KPI} (social share of voice); Sprout Social (brand metric / "
       "market metric)", "The brand's part of the conversation about its market."),
    _k("positive_mentions", "Positive mentions", "mentions", "count", True,
       "mentions with sentiment score >= positive threshold", "positive_mentions", None, _VADER,
       "Mentions of the brand whose sentiment score is at or above the positive threshold."),
    _k("negative_mentions", "Negative mentions", "mentions", "count", False,
       "mentions with sentiment score <= negative threshold", "negative_mentions", None, _VADER,
       "Mentions of the brand whose sentiment score is at or below the negative threshold."),
    _k("positive_share", "Positive share of mentions", "mentions", "fraction", True,
       "positive mentions / mentions with a sentiment score", "positive_mentions", "scored_mentions",
       _VADER, "Share of the brand's scored mentions that are positive."),
    _k("negative_share", "Negative share of mentions", "mentions", "fraction", False,
       "negative mentions / mentions with a sentiment score", "negative_mentions", "scored_mentions",
       _VADER, "Share of the brand's scored mentions that are negative."),
    _k("net_sentiment", "Net sentiment", "mentions", "fraction", True,
       "(positive mentions - negative mentions) / mentions with a sentiment score",
       "net_sentiment_count", "scored_mentions",
       'Symanto help, "What is Net Sentiment?": (positive - negative) / all scored, neutral included '
       f"(the same net construction as NPS, {_REICHHELD}); labels per {_VADER}",
       "Percent positive minus percent negative, between -100 % and +100 %; neutral mentions count "
       "in the denominator, so a mostly neutral conversation stays near 0."),
    _k("response_rate", "Response rate", "mentions", "fraction", True,
       "mentions answered / mentions that needed a response", "responded", "needs_response",
       _SPROUT_CARE, "Share of questions and complaints addressed to the brand that got an answer."),
    _k("median_response_time_hours", "Median response time (hours)", "mentions", "hours", False,
       "median over answered mentions of (responded_at - published_at), in hours",
       None, "responded", _SPROUT_CARE,
       "Typical time to answer a mention that needed a response; the median, so one weekend "
       "backlog does not dominate.", kind="median"),
    # -- paid (ads table) ---------------------------------------------------------------------------
    _k("spend", "Ad spend", "ads", "currency", None, "sum(spend)", "spend", None, _META_ADS,
       "Money spent on paid social in the client's currency."),
    _k("ad_impressions", "Ad impressions", "ads", "count", True, "sum(impressions) of ads",
       "ad_impressions", None, _META_ADS, "Times the ads were shown."),
    _k("clicks", "Ad clicks", "ads", "count", True, "sum(clicks) of ads", "clicks", None, _META_ADS,
       "Clicks on the ads (clicks on organic posts are counted as post clicks)."),
    _k("ctr", "Click-through rate (ads)", "ads", "fraction", True, "ad clicks / ad impressions",
       "clicks", "ad_impressions", f'{_GOOGLE_ADS}, "Clickthrough rate (CTR)": clicks / impressions; '
       f"{_LOOKER}", "Share of ad impressions that got a click."),
    _k("cpc", "Cost per click", "ads", "currency", False, "spend / ad clicks", "spend", "clicks",
       f'{_GOOGLE_ADS}, "Cost-per-click (CPC)"; {_LOOKER}', "Average price of a click."),
    _k("cpm", "Cost per 1,000 impressions", "ads", "currency", False, "spend / ad impressions × 1000",
       "spend", "ad_impressions", f'{_GOOGLE_ADS}, "Cost per thousand impressions (CPM)"; {_LOOKER}',
       "Price of a thousand ad impressions.", scale=1000.0),
    _k("conversions", "Conversions (ads)", "ads", "count", True, "sum(conversions) of ads",
       "conversions", None, _META_ADS,
       "Conversions the ad platforms attribute to the ads, as each platform reports them (web analytics "
       "counts its own: web conversions)."),
    _k("conversion_rate", "Conversion rate (ads)", "ads", "fraction", True,
       "ad conversions / ad clicks", "conversions", "clicks",
       f"{_HOOTSUITE_KPI} (conversions / total clicks); {_LOOKER}",
       "Share of ad clicks that converted."),
    _k("cpa", "Cost per acquisition", "ads", "currency", False, "spend / ad conversions", "spend",
       "conversions", f'{_GOOGLE_ADS}, "Cost per conversion"; {_LOOKER}',
       "Average price of a conversion."),
    _k("leads", "Leads", "ads", "count", True, "sum(leads) of ads", "leads", None, _META_ADS,
       "Leads (sign-ups, form fills) from the ads."),
    _k("cpl", "Cost per lead", "ads", "currency", False, "spend / leads", "spend", "leads",
       f'{_META_ADS} ("cost per lead"); {_LOOKER}', "Average price of a lead."),
    _k("revenue", "Revenue from ads", "ads", "currency", True, "sum(revenue) of ads", "revenue", None,
       _META_ADS, "Conversion value the ad platforms attribute to the ads."),
    _k("roas", "Return on ad spend", "ads", "ratio", True, "ad revenue / spend", "revenue", "spend",
       f'{_GOOGLE_ADS}, "Return on ad spend (ROAS)": conversion value / cost; {_LOOKER}',
       "Revenue per unit of spend: 3.5 (shown 3.50×) means 3.5 earned per 1 spent."),
    # -- web ----------------------------------------------------------------------------------------
    _k("sessions", "Web sessions from social", "web", "count", True, "sum(sessions)", "sessions", None,
       _GA, "Visits to the client's site that came from social."),
    _k("bounce_rate", "Bounce rate", "web", "fraction", False, "single-page sessions / sessions",
       "bounces", "sessions", f'{_GA}, "Bounce rate": single-page sessions / all sessions; {_LOOKER}',
       "Share of visits from social that left after one page."),
    _k("web_conversions", "Web conversions from social", "web", "count", True,
       "sum(conversions) in web analytics", "web_conversions", None, _GA,
       "Conversions web analytics credits to social traffic."),
    _k("web_conversion_rate", "Web conversion rate", "web", "fraction", True,
       "web conversions / sessions", "web_conversions", "sessions",
       f"{_GA} (session conversion rate); {_HOOTSUITE_KPI} (conversion rate); {_LOOKER}",
       "Share of visits from social that converted (per session; the ads KPI is per click)."),
    _k("web_revenue", "Web revenue from social", "web", "currency", True, "sum(revenue) in web analytics",
       "web_revenue", None, _GA, "Revenue web analytics credits to social traffic."),
    # -- surveys -------------------------------------------------------------------------------------
    _k("csat", "Customer satisfaction (CSAT)", "surveys", "fraction", True,
       "CSAT answers of 4 or 5 / all CSAT answers (1-5 scale)", "csat_satisfied", "csat_responses",
       f"{_HOOTSUITE_KPI} (customer satisfaction score); survey practice (Qualtrics, ACSI): share of "
       "satisfied (4-5) answers", "Share of satisfied customers among those who answered."),
    _k("nps", "Net Promoter Score", "surveys", "score", True,
       "(promoters (9-10) - detractors (0-6)) / all NPS answers", "nps_net", "nps_responses",
       f"{_REICHHELD}; {_HOOTSUITE_KPI}",
       "Share of promoters minus share of detractors. Stored as a fraction from -1 to 1 and shown as "
       "a number from -100 to +100."),
)

REGISTRY: dict[str, KPI] = {k.name: k for k in _KPIS}
"""Every KPI by name, in display order (posts, audience, mentions, ads, web, surveys)."""

STOCKS = frozenset({"followers"})
"""Count KPIs whose month is a level on its last day (followers), not a sum over its days."""


def adds_up_over_days(kpi: str) -> bool:
    """Whether a KPI's month is the sum of its days (reach, conversions, spend), so that a month the
    data covers in part holds a total of only some days: compared per day with another month, drawn
    scaled to the whole month. A rate, a median or a stock (:data:`STOCKS`: followers) is not."""
    spec = REGISTRY.get(kpi)
    return spec is not None and spec.kind == "sum" and spec.name not in STOCKS



def kpis_for_tables(tables: Sequence[str] | Mapping[str, Any]) -> list[str]:
    """Names of the KPIs computable from the given tables, in registry order."""
    have = set(tables)
    return [k for k, spec in REGISTRY.items() if spec.table in have]


def resolve_kpis(kpis: Sequence[str]) -> list[str]:
    """Check KPI names against the registry; duplicates removed, order kept.

    Raises
    ------
    ParameterError
        ``unknown KPI 'rech' — did you mean 'reach'?``
    """
    if isinstance(kpis, str):
        kpis = [kpis]
    out = []
    for k in kpis:
        if k not in REGISTRY:
            close = difflib.get_close_matches(k, list(REGISTRY), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else " (the KPIs and their names are listed in docs/kpis.md)"
            raise ParameterError(f"unknown KPI {k!r}{hint}")
        if k not in out:
            out.append(k)
    return out


# ----------------------------------------------------------------------------------------------
# base measures: one per-row value each, summed per group


@dataclass
class _Ctx:
    brand: str | None
    negative: float
    positive: float
    by: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    cache: dict[str, np.ndarray] = field(default_factory=dict)  # per-row arrays shared by measures

    def memo(self, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    @property
    def own_only(self) -> bool:
        return self.brand is not None and "brand" not in self.by


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as numbers: int64 as it is (no copy), anything else float64 with NaN for blanks."""
    s = df[col]
    if s.dtype == np.int64:
        return s.to_numpy()
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _z(a: np.ndarray) -> np.ndarray:
    """Blanks as 0 (for optional parts of a sum, such as saves)."""
    return np.where(np.isnan(a), 0.0, a) if a.dtype.kind == "f" else a


def _inv_followers(df: pd.DataFrame) -> np.ndarray:
    """1 / followers_at_post, NaN where the count is blank or 0 (a per-post rate is undefined)."""
    den = _num(df, "followers_at_post").astype("float64")
    den[~(den > 0)] = np.nan
    return np.reciprocal(den)


def _per_follower(df: pd.DataFrame, ctx: _Ctx, num: np.ndarray) -> np.ndarray:
    return num * ctx.memo("inv_followers", lambda: _inv_followers(df))


def _engagements(df: pd.DataFrame, ctx: _Ctx) -> np.ndarray:
    def make() -> np.ndarray:
        e = _num(df, "likes") + _num(df, "comments") + _num(df, "shares")
        if "saves" in df.columns:
            e = e + _z(_num(df, "saves"))
        return e
    return ctx.memo("engagements", make)


def _own(df: pd.DataFrame, ctx: _Ctx) -> np.ndarray:
    if not ctx.own_only:
        return np.ones(len(df))
    return (df["brand"] == ctx.brand).to_numpy(dtype=bool, na_value=False).astype("float64")


def _flag(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _sentiment(df: pd.DataFrame, ctx: _Ctx, which: str) -> np.ndarray:
    s = _num(df, "sentiment_score")
    own = _own(df, ctx)
    scored = ~np.isnan(s)
    pos = scored & (s >= ctx.positive)
    neg = scored & (s <= ctx.negative)
    val = {"scored": scored, "positive": pos, "negative": neg}.get(which)
    if which == "net":
        return own * (pos.astype("float64") - neg.astype("float64"))
    return own * val.astype("float64")


def _needs(df: pd.DataFrame, ctx: _Ctx) -> np.ndarray:
    return _own(df, ctx) * _flag(df, "needs_response")


def _responded(df: pd.DataFrame, ctx: _Ctx) -> np.ndarray:
    answered = df["responded_at"].notna().to_numpy()
    return _needs(df, ctx) * answered


def _response_hours(df: pd.DataFrame, ctx: _Ctx) -> np.ndarray:
    keep = _responded(df, ctx) > 0
    delta = (df["responded_at"] - df["published_at"]).dt.total_seconds().to_numpy(dtype="float64",
                                                                                   na_value=np.nan)
    return np.where(keep, delta / 3600.0, np.nan)


def _survey(df: pd.DataFrame, kind: str, lo: int, hi: int) -> np.ndarray:
    k = (df["kind"] == kind).to_numpy(dtype=bool, na_value=False)
    s = _num(df, "score")
    return (k & (s >= lo) & (s <= hi)).astype("float64")


@dataclass(frozen=True)
class _Measure:
    table: str
    columns: tuple[str, ...]
    build: Callable[[pd.DataFrame, _Ctx], np.ndarray]
    doc: str


def _colm(table: str, col: str, doc: str = "") -> _Measure:
    return _Measure(table, (col,), lambda df, ctx: _num(df, col), doc or f"sum of {table}.{col}")


MEASURES: dict[str, _Measure] = {
    # posts
    "posts": _Measure("posts", (), lambda df, ctx: np.ones(len(df)), "number of posts"),
    "impressions": _colm("posts", "impressions"),
    "reach": _colm("posts", "reach"),
    "likes": _colm("posts", "likes"),
    "comments": _colm("posts", "comments"),
    "shares": _colm("posts", "shares"),
    "saves": _colm("posts", "saves"),
    "engagements": _Measure("posts", ("likes", "comments", "shares"), _engagements,
                            "likes + comments + shares (+ saves when the column exists)"),
    "followers_at_post": _colm("posts", "followers_at_post", "sum over posts of the followers on the "
                               "posting day"),
    "post_engagement_rate": _Measure(
        "posts", ("likes", "comments", "shares", "followers_at_post"),
        lambda df, ctx: _per_follower(df, ctx, _engagements(df, ctx)), "sum over posts of engagements / followers_at_post"),
    "post_applause_rate": _Measure("posts", ("likes", "followers_at_post"),
                                   lambda df, ctx: _per_follower(df, ctx, _num(df, "likes")),
                                   "sum over posts of likes / followers_at_post"),
    "post_amplification_rate": _Measure("posts", ("shares", "followers_at_post"),
                                        lambda df, ctx: _per_follower(df, ctx, _num(df, "shares")),
                                        "sum over posts of shares / followers_at_post"),
    "post_conversation_rate": _Measure("posts", ("comments", "followers_at_post"),
                                       lambda df, ctx: _per_follower(df, ctx, _num(df, "comments")),
                                       "sum over posts of comments / followers_at_post"),
    "post_clicks": _colm("posts", "clicks"),
    "video_views": _colm("posts", "video_views"),
    "video_completions": _colm("posts", "video_completions"),
    # audience (stock values, see _audience_stock)
    "followers_end": _Measure("audience", ("followers",), lambda df, ctx: _num(df, "followers"),
                              "followers on the last day of the period"),
    "followers_start": _Measure("audience", ("followers",), lambda df, ctx: _num(df, "followers"),
                                "followers on the last day before the period"),
    "net_follower_growth": _Measure("audience", ("followers",), lambda df, ctx: _num(df, "followers"),
                                    "followers_end - followers_start"),
    # mentions
    "mentions": _Measure("mentions", ("brand",), lambda df, ctx: _own(df, ctx), "mentions of the brand"),
    "all_mentions": _Measure("mentions", (), lambda df, ctx: np.ones(len(df)),
                             "mentions of all tracked brands"),
    "scored_mentions": _Measure("mentions", ("brand", "sentiment_score"),
                                lambda df, ctx: _sentiment(df, ctx, "scored"),
                                "mentions of the brand with a sentiment score"),
    "positive_mentions": _Measure("mentions", ("brand", "sentiment_score"),
                                  lambda df, ctx: _sentiment(df, ctx, "positive"),
                                  "mentions of the brand with score >= positive threshold"),
    "negative_mentions": _Measure("mentions", ("brand", "sentiment_score"),
                                  lambda df, ctx: _sentiment(df, ctx, "negative"),
                                  "mentions of the brand with score <= negative threshold"),
    "net_sentiment_count": _Measure("mentions", ("brand", "sentiment_score"),
                                    lambda df, ctx: _sentiment(df, ctx, "net"),
                                    "positive mentions - negative mentions"),
    "needs_response": _Measure("mentions", ("brand", "needs_response"), lambda df, ctx: _needs(df, ctx),
                               "mentions of the brand that needed a response"),
    "responded": _Measure("mentions", ("brand", "needs_response", "responded_at"),
                          lambda df, ctx: _responded(df, ctx),
                          "mentions that needed a response and got one"),
    "response_hours": _Measure("mentions", ("brand", "needs_response", "responded_at"),
                               lambda df, ctx: _response_hours(df, ctx),
                               "hours from a mention to its answer"),
    # ads
    "spend": _colm("ads", "spend"),
    "ad_impressions": _colm("ads", "impressions"),
    "clicks": _colm("ads", "clicks"),
    "conversions": _colm("ads", "conversions"),
    "leads": _colm("ads", "leads"),
    "revenue": _colm("ads", "revenue"),
    # web
    "sessions": _colm("web", "sessions"),
    "bounces": _colm("web", "bounces"),
    "web_conversions": _colm("web", "conversions"),
    "web_revenue": _colm("web", "revenue"),
    # surveys
    "csat_responses": _Measure("surveys", ("kind", "score"), lambda df, ctx: _survey(df, "csat", 1, 5),
                               "CSAT answers"),
    "csat_satisfied": _Measure("surveys", ("kind", "score"), lambda df, ctx: _survey(df, "csat", 4, 5),
                               "CSAT answers of 4 or 5"),
    "nps_responses": _Measure("surveys", ("kind", "score"), lambda df, ctx: _survey(df, "nps", 0, 10),
                              "NPS answers"),
    "nps_net": _Measure("surveys", ("kind", "score"),
                        lambda df, ctx: _survey(df, "nps", 9, 10) - _survey(df, "nps", 0, 6),
                        "promoters (9-10) - detractors (0-6)"),
}
"""Base measures: per-row values summed over a group. KPIs are sums or ratios of these."""


_ROW_COUNTS = frozenset({"posts", "all_mentions"})
"""Measures that are 1 per row: their group sums are the group sizes."""


def _measures_of(spec: KPI) -> list[str]:
    if spec.kind == "median":
        return ["response_hours", "responded"]
    return [m for m in (spec.numerator, spec.denominator) if m]


# ----------------------------------------------------------------------------------------------
# grouping keys: every key becomes integer codes (-1 = missing) plus the value of each code


_DAILY = ("audience", "ads", "web", "competitors", "surveys")
_ALIASES: dict[tuple[str, str], str] = {("web", "platform"): "source"}
"""``by=["platform"]`` groups web traffic by its ``source`` (facebook, instagram, ...)."""

_STOCK_KEYS = frozenset({"platform", "month", "week", "date"})
_NS_DAY = 86_400_000_000_000
_NS_HOUR = 3_600_000_000_000


@dataclass
class _KeyCodes:
    codes: np.ndarray  # int64, -1 where the row has no value
    uniques: np.ndarray | pd.Index  # the value of each code
    dense: bool = False  # True: codes span a value range, some codes may have no rows


def _dense(values: np.ndarray, valid: np.ndarray, fmt: Callable[[np.ndarray], Any]) -> _KeyCodes:
    """Codes for small-range integer values (days, months, hours): value - min, no hashing."""
    if not valid.any():
        return _KeyCodes(np.full(len(values), -1, dtype="int64"), fmt(np.empty(0, dtype="int64")), dense=True)
    v = values.astype("int64", copy=False)
    if valid.all():
        lo, hi = int(v.min()), int(v.max())
        codes = v - lo
    else:
        lo, hi = int(v[valid].min()), int(v[valid].max())
        codes = np.where(valid, v - lo, -1)
    return _KeyCodes(codes, fmt(np.arange(lo, hi + 1, dtype="int64")), dense=True)


def _days_to_month(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Month number (year * 12 + month - 1) of day numbers, via a lookup table over the day range."""
    if not valid.any():
        return np.zeros(len(days), dtype="int64")
    all_valid = bool(valid.all())
    lo = int(days.min() if all_valid else days[valid].min())
    hi = int(days.max() if all_valid else days[valid].max())
    cal = pd.DatetimeIndex(np.arange(lo, hi + 1, dtype="int64").astype("datetime64[D]"))
    table = (cal.year.to_numpy() * 12 + cal.month.to_numpy() - 1).astype("int64")
    idx = days - lo
    if not all_valid:
        idx[~valid] = 0
    return table[idx]


def _month_labels(nums: np.ndarray) -> np.ndarray:
    return np.array([f"{n // 12:04d}-{n % 12 + 1:02d}" for n in nums], dtype=object)


def _month_starts(nums: np.ndarray) -> np.ndarray:
    years = nums // 12
    return ((years - 1970) * 12 + nums % 12).astype("datetime64[M]").astype("datetime64[ns]")


def _day_starts(nums: np.ndarray) -> np.ndarray:
    return nums.astype("datetime64[D]").astype("datetime64[ns]")


_BUCKET_NS = 15 * 60 * 1_000_000_000


def _to_local(t: pd.Series, tz: str) -> np.ndarray:
    """Local wall-clock times (naive datetime64[ns]) of tz-aware times.

    The UTC offset is looked up per 15-minute bucket (time zones change offset on quarter hours), so
    10 M rows cost one gather instead of a time-zone conversion per row; when a transition falls
    inside a bucket the exact per-row conversion of pandas is used instead.
    """
    utc = t.to_numpy(dtype="datetime64[ns]")
    ns = utc.view("int64")
    valid = ~np.isnat(utc)
    if not valid.any():
        return utc
    all_valid = bool(valid.all())
    b = ns // _BUCKET_NS
    lo = int(b.min() if all_valid else b[valid].min())
    hi = int(b.max() if all_valid else b[valid].max())
    if hi - lo > 50_000_000 or hi - lo > 4 * len(ns):  # sparse over a long range: per-row conversion
        return t.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    starts = pd.DatetimeIndex((np.arange(lo, hi + 2, dtype="int64") * _BUCKET_NS).view("datetime64[ns]"),
                              tz="UTC")
    local = starts.tz_convert(tz).tz_localize(None).asi8
    offsets = local - starts.tz_localize(None).asi8
    ends = starts[1:] - pd.Timedelta(1, "ns")
    end_off = ends.tz_convert(tz).tz_localize(None).asi8 - ends.tz_localize(None).asi8
    if not np.array_equal(offsets[:-1], end_off):
        return t.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    idx = b - lo
    if not all_valid:
        idx[~valid] = 0
    out = ns + offsets[idx]
    if not all_valid:
        out[~valid] = np.iinfo("int64").min
    return out.view("datetime64[ns]")


class _Keys:
    """Derives the grouping keys of one table; the local time is computed once."""

    def __init__(self, df: pd.DataFrame, table: str, tz: str) -> None:
        self.df, self.table, self.tz = df, table, tz
        self._local: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def local(self) -> tuple[np.ndarray, np.ndarray]:
        """(local wall-clock ns since epoch, valid mask)."""
        if self._local is None:
            t = self.df[TABLES[self.table].time_col]
            if self.table not in _DAILY and not isinstance(t.dtype, pd.DatetimeTZDtype):
                t = pd.to_datetime(t, utc=True)  # naive moments are UTC, as the loader reads them
            if self.table in _DAILY:  # already a local calendar day
                arr = t.to_numpy(dtype="datetime64[ns]")
            elif self.tz == "UTC":
                arr = t.to_numpy(dtype="datetime64[ns]")
            else:
                arr = _to_local(t, self.tz)
            self._local = (arr.view("int64"), ~np.isnat(arr))
        return self._local

    def _posts_fallback(self, values: np.ndarray, valid: np.ndarray, col: str,
                        conv: Callable[[pd.Series], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """Posts without published_at take the key from the export's own column (month, weekday, hour)."""
        if self.table != "posts" or col not in self.df.columns or valid.all():
            return values, valid
        alt, alt_ok = conv(self.df[col])
        use = ~valid & alt_ok
        return np.where(use, alt, values), valid | use

    def codes(self, name: str) -> _KeyCodes | None:
        """Integer codes of key ``name`` for every row, or None when this table cannot give it."""
        df, table = self.df, self.table
        if name not in TIME_KEYS and not name.startswith("period:"):
            col = _ALIASES.get((table, name), name)
            if col not in df.columns:
                return None
            c, u = pd.factorize(df[col], sort=True, use_na_sentinel=True)
            return _KeyCodes(c.astype("int64", copy=False), u)
        if name == "hour" and table in _DAILY:
            return None
        ns, valid = self.local
        days = ns // _NS_DAY
        if name in ("month", "period:M"):
            m = _days_to_month(days, valid)
            m, ok = self._posts_fallback(m, valid, "published_month", _parse_months)
            return _dense(m, ok, _month_labels if name == "month" else _month_starts)
        if name in ("date", "period:D"):
            return _dense(days, valid, _day_starts)
        if name in ("week", "period:W"):
            return _dense(days - (days + 3) % 7, valid, _day_starts)  # 1970-01-01 was a Thursday
        if name == "weekday":
            v, ok = self._posts_fallback((days + 3) % 7, valid, "published_weekday", _ints)
            return _dense(v, ok, lambda x: x)
        if name == "hour":
            v, ok = self._posts_fallback((ns // _NS_HOUR) % 24, valid, "published_hour", _ints)
            return _dense(v, ok, lambda x: x)
        raise AssertionError(name)


def _parse_months(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``YYYY-MM`` strings to month numbers (parsed once per distinct value)."""
    c, u = pd.factorize(s, use_na_sentinel=True)
    parsed = pd.to_datetime(pd.Index(u, dtype=object), format="%Y-%m", errors="coerce")
    nums = np.where(parsed.isna(), -1, parsed.year * 12 + parsed.month - 1).astype("int64")
    vals = np.where(c >= 0, nums[np.maximum(c, 0)] if len(nums) else -1, -1)
    return vals, vals >= 0


def _ints(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    v = s.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(v)
    return np.where(ok, v, 0).astype("int64"), ok


class _Grouper:
    """Rows -> group codes for a set of keys; groups sorted by key values, empty groups dropped."""

    def __init__(self, parts: list[_KeyCodes], nrows: int) -> None:
        self.parts = parts
        if not parts:
            self.rows = None
            self.codes = np.zeros(nrows, dtype="int64")
            self.ngroups = 1
            self.key_codes: list[np.ndarray] = []
            self.counts = np.array([float(nrows)])
            return
        missing = np.zeros(nrows, dtype=bool)
        for p in parts:
            missing |= p.codes < 0
        self.rows = ~missing if missing.any() else None
        if len(parts) == 1 and not parts[0].dense:
            # one factorized column: its codes are already dense and sorted (the common case)
            c = parts[0].codes if self.rows is None else parts[0].codes[self.rows]
            self.codes, self.ngroups = c, len(parts[0].uniques)
            self.counts = np.bincount(c, minlength=self.ngroups).astype("float64")
            self.key_codes = [np.arange(self.ngroups, dtype="int64")]
            return
        combined = np.zeros(int(nrows - missing.sum()), dtype="int64")
        size = 1
        for p in parts:
            card = max(len(p.uniques), 1)
            if size * card >= 2**62:
                raise ParameterError("too many groups: choose fewer or coarser 'by' columns")
            c = p.codes if self.rows is None else p.codes[self.rows]
            combined = combined * card + c
            size *= card
        if size <= max(4 * len(combined), 1 << 20):  # dense: no hashing
            counts = np.bincount(combined, minlength=size)
            present = np.flatnonzero(counts)
            remap = np.full(size, -1, dtype="int64")
            remap[present] = np.arange(len(present))
            self.codes = remap[combined]
            labels = present
            self.counts = counts[present].astype("float64")
        else:
            codes, labels = pd.factorize(combined, sort=True)
            self.codes = codes.astype("int64")
            self.counts = np.bincount(self.codes, minlength=len(labels)).astype("float64")
            labels = np.asarray(labels, dtype="int64")
        self.ngroups = len(labels)
        self.key_codes = []
        rest = labels.astype("int64")
        for p in reversed(parts):
            card = max(len(p.uniques), 1)
            self.key_codes.insert(0, rest % card)
            rest = rest // card

    def sum(self, v: np.ndarray) -> np.ndarray:
        """Group sums; blank values are skipped and a group whose values are all blank is NaN."""
        if self.rows is not None:
            v = v[self.rows]
        if v.dtype.kind == "f":
            blank = np.isnan(v)
            if blank.any():
                s = np.bincount(self.codes, weights=np.where(blank, 0.0, v), minlength=self.ngroups)
                known = np.bincount(self.codes, weights=~blank, minlength=self.ngroups)
                s[(known == 0) & (self.counts > 0)] = np.nan
                return s
        return np.bincount(self.codes, weights=v, minlength=self.ngroups).astype("float64")

    def median(self, v: np.ndarray) -> np.ndarray:
        if self.rows is not None:
            v = v[self.rows]
        ok = ~np.isnan(v)
        med = pd.Series(v[ok]).groupby(self.codes[ok]).median()
        return med.reindex(range(self.ngroups)).to_numpy(dtype="float64", na_value=np.nan)

    def frame(self, names: Sequence[str]) -> pd.DataFrame:
        """The key values of each group."""
        out = pd.DataFrame(index=range(self.ngroups))
        for name, p, kc in zip(names, self.parts, self.key_codes, strict=True):
            if isinstance(p.uniques, pd.Index):
                vals = p.uniques.take(kc)
                out[name] = pd.Series(vals.to_numpy(), index=out.index, dtype=vals.dtype)
            else:
                vals = np.asarray(p.uniques)[kc]
                out[name] = pd.Series(vals, index=out.index, dtype="str" if vals.dtype == object else None)
        return out


# ----------------------------------------------------------------------------------------------
# period filter


def _in_period(df: pd.DataFrame, table: str, period: Period | None, tz: str, ctx: _Ctx) -> np.ndarray | None:
    """Boolean mask of the rows inside ``period`` (None = keep every row)."""
    if period is None:
        return None
    t = df[TABLES[table].time_col]
    if table in _DAILY:
        lo = period.start.tz_convert(tz).tz_localize(None)
        hi = period.end.tz_convert(tz).tz_localize(None)
        return ((t >= lo) & (t < hi)).to_numpy(dtype=bool, na_value=False)
    if not isinstance(t.dtype, pd.DatetimeTZDtype):
        t = pd.to_datetime(t, utc=True)
    mask = ((t >= period.start) & (t < period.end)).to_numpy(dtype=bool, na_value=False)
    if table == "posts" and "published_month" in df.columns:
        undated = t.isna().to_numpy()
        if undated.any():
            inside = []
            for m in df.loc[undated, "published_month"].dropna().unique():  # distinct months, not rows
                try:
                    mp = month_period(str(m), tz)
                except ParameterError:
                    ctx.notes.append(f"posts: published_month {m!r} is not YYYY-MM; those posts are left out")
                    continue
                if mp.start >= period.start and mp.end <= period.end:
                    inside.append(m)
            if inside:
                mask = mask | undated & df["published_month"].isin(inside).to_numpy(dtype=bool, na_value=False)
    return mask


# ----------------------------------------------------------------------------------------------
# per-table aggregation


def _radix(key_codes: list[np.ndarray], parts: list[_KeyCodes]) -> np.ndarray:
    """One sortable integer per group from its key codes (mixed radix, as :class:`_Grouper`)."""
    v = np.zeros(len(key_codes[0]) if key_codes else 0, dtype="int64")
    for kc, p in zip(key_codes, parts, strict=True):
        v = v * max(len(p.uniques), 1) + kc
    return v


def _audience_stock(df: pd.DataFrame, keys: list[str], period: Period | None, tz: str
                    ) -> tuple[_Grouper, dict[str, np.ndarray]]:
    """followers_end / followers_start / net_follower_growth per group, summed over platforms."""
    a = df[["date", "platform", "followers"]].sort_values(["platform", "date"], kind="stable")
    prev = a.groupby("platform", sort=False)["followers"].shift(1)
    a = a.assign(prev=prev.fillna(-1.0))  # -1: no earlier day recorded
    if period is not None:
        lo = period.start.tz_convert(tz).tz_localize(None)
        hi = period.end.tz_convert(tz).tz_localize(None)
        a = a[((a["date"] >= lo) & (a["date"] < hi)).to_numpy(dtype=bool)]
    a = a.reset_index(drop=True)
    kd = _Keys(a, "audience", tz)
    parts = [kd.codes(k) for k in keys]
    grouper = _Grouper(parts, len(a))  # type: ignore[arg-type]
    plat = _Grouper([*parts, kd.codes("platform")], len(a))  # type: ignore[list-item]
    fr = pd.DataFrame({"g": plat.codes, "followers": a["followers"].to_numpy(dtype="float64")[plat.rows]
                       if plat.rows is not None else a["followers"].to_numpy(dtype="float64"),
                       "prev": a["prev"].to_numpy(dtype="float64")[plat.rows]
                       if plat.rows is not None else a["prev"].to_numpy(dtype="float64")})
    g = fr.groupby("g", sort=True)
    end = g["followers"].last().to_numpy()
    first_prev, first = g["prev"].first().to_numpy(), g["followers"].first().to_numpy()
    start = np.where(first_prev >= 0, first_prev, first)
    # the group (without platform) of each platform-group, from its key codes
    outer = np.zeros(plat.ngroups, dtype="int64")
    if keys:
        outer = np.searchsorted(_radix(grouper.key_codes, parts), _radix(plat.key_codes[:-1], parts))
    s_end = np.bincount(outer, weights=end, minlength=grouper.ngroups)
    s_start = np.bincount(outer, weights=start, minlength=grouper.ngroups)
    if len(a) == 0:
        s_end, s_start = np.full(grouper.ngroups, np.nan), np.full(grouper.ngroups, np.nan)
    return grouper, {"followers_end": s_end, "followers_start": s_start, "net_follower_growth": s_end - s_start}


def _table_result(table: str, df: pd.DataFrame, specs: list[KPI], keys: list[str], out_keys: list[str],
                  period: Period | None, tz: str, ctx: _Ctx
                  ) -> tuple[pd.DataFrame, dict[str, tuple[str, str | None]]]:
    """Aggregate one table: the group keys and one column per numerator/denominator its KPIs need.

    Returns the frame and, per KPI, the names of its numerator and denominator columns.
    """
    if table == "audience":
        grouper, sums = _audience_stock(df, keys, period, tz)
        res = grouper.frame(out_keys)
        for name, v in sums.items():
            res[name] = v
        return res, {s.name: (s.numerator, s.denominator) for s in specs}
    ctx.cache.clear()
    needed = {m for s in specs for m in _measures_of(s)}
    wanted = {c for m in needed for c in MEASURES[m].columns} | {
        TABLES[table].time_col, "published_month", "published_weekday", "published_hour", "saves",
        "followers_at_post", *keys, _ALIASES.get((table, "platform"), "")}
    sub = df[[c for c in df.columns if c in wanted]]
    mask = _in_period(sub, table, period, tz, ctx)
    if mask is not None and not mask.all():
        sub = sub[mask]
    sub = sub.reset_index(drop=True)
    kd = _Keys(sub, table, tz)
    parts = [kd.codes(k) for k in keys]
    for k, p in zip(out_keys, parts, strict=True):
        lost = int((p.codes < 0).sum())  # type: ignore[union-attr]
        if lost:
            ctx.notes.append(f"{table}: {lost} row(s) have no {k!r} and are left out of that grouping")
    grouper = _Grouper(parts, len(sub))  # type: ignore[arg-type]
    base: dict[str, np.ndarray] = {}
    blanks: dict[str, np.ndarray | None] = {}

    def get(m: str) -> np.ndarray:
        if m not in base:
            base[m] = MEASURES[m].build(sub, ctx)
        return base[m]

    # engagements = likes + comments + shares (+ saves, blanks as 0) is linear: when its parts cannot
    # be blank, its group sum is the sum of theirs and no per-row array is needed
    eng_parts = [c for c in ("likes", "comments", "shares") if c in sub.columns]
    eng_linear = table == "posts" and len(eng_parts) == 3 and all(
        sub[c].dtype == np.int64 for c in eng_parts)

    def blank(m: str) -> np.ndarray | None:
        """Rows where measure ``m`` is blank (None when none is), computed once per measure."""
        if m not in blanks:
            if m in _ROW_COUNTS or (m == "engagements" and eng_linear):
                blanks[m] = None
            else:
                v = get(m)
                isn = np.isnan(v) if v.dtype.kind == "f" else None
                blanks[m] = isn if isn is not None and isn.any() else None
        return blanks[m]

    res = grouper.frame(out_keys)
    cols: dict[str, tuple[str, str | None]] = {}

    def put(name: str, make: Callable[[], np.ndarray]) -> None:
        if name in res.columns:
            return
        if name in _ROW_COUNTS:
            res[name] = grouper.counts.copy()
        elif name == "engagements" and eng_linear and "engagements" not in ctx.cache:
            parts = [*eng_parts, *(["saves"] if "saves" in sub.columns else [])]
            for c in parts:
                put(c, lambda c=c: get(c))
            total = res[eng_parts[0]] + res[eng_parts[1]] + res[eng_parts[2]]
            res[name] = total + res["saves"].fillna(0.0) if "saves" in parts else total
        else:
            res[name] = grouper.sum(make())

    for s in specs:
        if s.kind == "median":
            if "__median" not in res.columns:
                res["__median"] = grouper.median(get("response_hours"))
            put("responded", lambda: get("responded"))
            cols[s.name] = ("__median", "responded")
            continue
        num, den = s.numerator, s.denominator
        if den is None:
            put(num, lambda num=num: get(num))
            cols[s.name] = (num, None)
            continue
        bn, bd = blank(num), blank(den)
        if bn is None and bd is None:
            put(num, lambda num=num: get(num))
            put(den, lambda den=den: get(den))
            cols[s.name] = (num, den)
            continue
        # a row with a blank numerator or denominator is left out of both sums
        bad = bn if bd is None else (bd if bn is None else bn | bd)
        nn, dn = f"{s.name}:num", f"{s.name}:den"
        put(nn, lambda num=num, bad=bad: np.where(bad, np.nan, get(num)))
        put(dn, lambda den=den, bad=bad: np.where(bad, np.nan, np.ones(len(sub)) if den in _ROW_COUNTS
                                                     else get(den)))
        cols[s.name] = (nn, dn)
    return res, cols


# ----------------------------------------------------------------------------------------------
# compute_kpis


def _ratio(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    out = np.full(num.shape, np.nan)
    ok = (den != 0) & ~np.isnan(den) & ~np.isnan(num)
    np.divide(num, den, out=out, where=ok)
    return out * scale


def compute_kpis(
    data: ClientData,
    kpis: Sequence[str],
    *,
    by: Sequence[str] = (),
    period: Period | None = None,
    freq: str | None = None,
    tz: str = "UTC",
    brand: str | None = None,
    sentiment_thresholds: tuple[float, float] = (-0.05, 0.05),
    long: bool = False,
) -> pd.DataFrame:
    """Compute any set of KPIs for a client, at any grain, over a period.

    One pass per table: the rows of the period are grouped once and the base measures the KPIs
    need (engagements, reach, spend ...) are summed per group; ratios are then taken of the sums.

    Parameters
    ----------
    data
        The client's tables (:func:`kpi_toolkit.data.load_client`).
    kpis
        Names from :data:`REGISTRY`.
    by
        Grouping columns: table columns (``platform``, ``content_type``, ``campaign``, ``topic``,
        ``paid``, ``source``, ``brand`` ...) and the time keys of :data:`TIME_KEYS`, derived in
        ``tz``. ``platform`` groups web traffic by its ``source``. A KPI whose table cannot be
        grouped by one of the keys is NaN for every group, with a note.
    period
        Keep only rows inside this period (posts by ``published_at``, or by ``published_month``
        for posts without a full date; mentions by ``published_at``; daily tables by their local
        ``date``). None = all rows.
    freq
        ``"D"``, ``"W"`` or ``"M"`` adds a ``period`` column (the first local day of each day,
        ISO week or calendar month, a naive timestamp) to the grouping.
    tz
        The client's IANA time zone, for the time keys.
    brand
        The client's brand as it appears in the mentions table. Mention KPIs count the brand's
        mentions only; ``share_of_voice`` needs it. When None, every mention counts and
        share of voice is NaN (with a note). With ``"brand"`` in ``by`` every brand gets its own
        row and its share of the mentions of all brands.
    sentiment_thresholds
        ``(negative, positive)``: a score ``<= negative`` is negative, ``>= positive`` positive.
    long
        Return one row per group and KPI with explicit ``numerator`` and ``denominator``.

    Returns
    -------
    pandas.DataFrame
        Wide: the ``by`` columns (+ ``period``) and one float column per KPI, one row per group
        that has rows in any of the tables (sorted by the keys). Long: columns
        ``[*by, (period), kpi, value, numerator, denominator, unit]`` where
        ``value = scale * numerator / denominator`` for ratio KPIs and ``value = numerator`` for
        sums. ``df.attrs["notes"]`` says why a value is NaN (missing table, column or key). A
        group without rows in a KPI's table is NaN (no data); without ``by`` and ``freq``, a table
        with no rows in the period gives counts of 0 and NaN rates.

    Raises
    ------
    ParameterError
        Unknown KPI, unknown grouping key, bad ``freq`` or thresholds.

    References
    ----------
    .. [1] Aggregation as a ratio of totals: Google Ads Help / Looker Studio (CTR over a period is
       SUM(clicks) / SUM(impressions)). Each KPI's own source is in its ``source`` field.
    """
    names = resolve_kpis(kpis)
    by = tuple([by] if isinstance(by, str) else by)
    if len(set(by)) != len(by):
        raise ParameterError(f"by names a column twice: {list(by)}")
    if freq is not None and freq not in FREQS:
        raise ParameterError(f"freq must be one of {', '.join(FREQS)} (or None), got {freq!r}")
    neg, pos = (float(x) for x in sentiment_thresholds)
    if not neg < pos:
        raise ParameterError(f"sentiment thresholds: negative ({neg}) must be below positive ({pos})")
    known_cols = {c for t in TABLES.values() for c in t.names} | {
        str(c) for df in data.tables.values() for c in df.columns}
    for k in by:
        if k == "period":
            raise ParameterError("'period' is not a grouping column; use freq='D', 'W' or 'M'")
        if k not in TIME_KEYS and k not in known_cols:
            close = difflib.get_close_matches(k, sorted(known_cols | set(TIME_KEYS)), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            raise ParameterError(f"unknown grouping column {k!r}{hint}")
    keys = [*by, *([f"period:{freq}"] if freq else [])]
    out_keys = [*by, *(["period"] if freq else [])]
    ctx = _Ctx(brand=brand, negative=neg, positive=pos, by=by)

    by_table: dict[str, list[KPI]] = {}
    na: dict[str, list[str]] = {}  # reason -> KPIs that are NaN for it
    for n in names:
        spec = REGISTRY[n]
        df = data.tables.get(spec.table)
        if df is None:
            na.setdefault(f"n/a ({data.missing.get(spec.table, f'no {spec.table} table')})", []).append(n)
            continue
        missing = sorted({c for m in _measures_of(spec) for c in MEASURES[m].columns} - set(df.columns))
        if missing:
            cols_txt = ", ".join(repr(c) for c in missing)
            na.setdefault(f"n/a (the {spec.table} table has no {cols_txt} column)", []).append(n)
            continue
        if n == "share_of_voice" and brand is None and "brand" not in by:
            na.setdefault("n/a (needs the client's brand)", []).append(n)
            continue
        lacking = [k for k in by if not _table_has_key(spec.table, df, k)]
        if lacking:
            na.setdefault(f"n/a by {', '.join(lacking)} (not defined for the {spec.table} table)", []).append(n)
            continue
        by_table.setdefault(spec.table, []).append(spec)
    if "mentions" in by_table and "brand" not in by:
        m = data.tables["mentions"]
        if brand is None:
            ctx.notes.append("mentions: no brand given, so mentions of every tracked brand are counted")
        elif "brand" in m.columns and len(m) and not (m["brand"] == brand).any():
            seen = ", ".join(sorted(map(str, m["brand"].dropna().unique()))[:8])
            ctx.notes.append(f"mentions: the brand {brand!r} never appears in the mentions table "
                             f"(brands: {seen})")

    results: list[tuple[pd.DataFrame, dict[str, tuple[str, str | None]]]] = []
    for table, specs in by_table.items():
        res, cols = _table_result(table, data.tables[table], specs, keys, out_keys, period, tz, ctx)
        if "share_of_voice" in cols and "brand" in by:
            others = [k for k in out_keys if k != "brand"]
            den = cols["share_of_voice"][1]
            tot = (res.groupby(others, sort=False, dropna=False)[den].transform("sum") if others
                   else pd.Series(res[den].sum(), index=res.index))
            res["__sov_den"] = tot.to_numpy(dtype="float64")
            cols["share_of_voice"] = (cols["share_of_voice"][0], "__sov_den")
        results.append((res, cols))

    # the groups: union over tables, sorted by the keys
    if out_keys:
        frames = [r[out_keys] for r, _ in results]
        groups = (pd.concat(frames, ignore_index=True).drop_duplicates()
                  .sort_values(out_keys, kind="stable").reset_index(drop=True)
                  if frames else pd.DataFrame({k: pd.Series(dtype=object) for k in out_keys}))
    else:
        groups = pd.DataFrame(index=range(1))

    nanv = np.full(len(groups), np.nan)
    per_kpi: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for res, cols in results:
        aligned = groups.merge(res, on=out_keys, how="left") if out_keys else res
        for name, (ncol, dcol) in cols.items():
            spec = REGISTRY[name]
            num = aligned[ncol].to_numpy(dtype="float64", na_value=np.nan)
            if spec.kind == "median":
                per_kpi[name] = (num, nanv.copy(), aligned[dcol].to_numpy(dtype="float64", na_value=np.nan))
            elif dcol is None:
                per_kpi[name] = (num, num, nanv.copy())
            else:
                den = aligned[dcol].to_numpy(dtype="float64", na_value=np.nan)
                per_kpi[name] = (_ratio(num, den, spec.scale), num, den)

    if long:
        parts = [groups.assign(kpi=n, value=per_kpi.get(n, (nanv,) * 3)[0],
                               numerator=per_kpi.get(n, (nanv,) * 3)[1],
                               denominator=per_kpi.get(n, (nanv,) * 3)[2], unit=REGISTRY[n].unit)
                 for n in names]
        out = pd.concat(parts, ignore_index=True)
        if out_keys and len(out):
            out = out.sort_values(out_keys, kind="stable")
        out = out[[*out_keys, "kpi", "value", "numerator", "denominator", "unit"]].reset_index(drop=True)
        out = out.astype({"kpi": "str", "unit": "str"})
    else:
        out = groups.assign(**{n: per_kpi.get(n, (nanv,))[0] for n in names}).reset_index(drop=True)
    out.attrs["notes"] = [f"{', '.join(ks)}: {why}" for why, ks in na.items()] + list(dict.fromkeys(ctx.notes))
    return out


def _table_has_key(table: str, df: pd.DataFrame, key: str) -> bool:
    if table == "audience":
        return key in _STOCK_KEYS
    if key in TIME_KEYS:
        return not (key == "hour" and table in _DAILY)
    return _ALIASES.get((table, key), key) in df.columns


# ----------------------------------------------------------------------------------------------
# per post (for segments)


def post_measure(posts: pd.DataFrame, kpi: str) -> PostMeasure:
    """A posts KPI taken apart per post, for :mod:`kpi_toolkit.segments`.

    Ratio KPIs give each post's numerator and denominator (``engagement_rate_by_reach``: the post's
    engagements and reach); count KPIs and ``*_per_post`` KPIs become per-post values over a
    denominator of 1 per post (``kind="per_post"``). Blank cells stay NaN.

    Raises
    ------
    ParameterError
        Unknown KPI, a KPI not defined on posts, or a column the posts frame lacks.

    References
    ----------
    .. [1] Each KPI's ``source`` in :data:`REGISTRY`.
    """
    from .segments import PostMeasure

    name = resolve_kpis([kpi])[0]
    spec = REGISTRY[name]
    if spec.table != "posts":
        raise ParameterError(f"KPI {name!r} comes from the {spec.table} table, not from posts")
    missing = sorted({c for m in _measures_of(spec) for c in MEASURES[m].columns} - set(posts.columns))
    if missing:
        raise ParameterError(f"KPI {name!r} needs the posts column(s) {', '.join(missing)}")
    ctx = _Ctx(brand=None, negative=-0.05, positive=0.05, by=())
    idx = posts.index
    num = pd.Series(MEASURES[spec.numerator].build(posts, ctx), index=idx, name=spec.numerator)
    if spec.denominator is None or spec.denominator == "posts":
        den = pd.Series(1.0, index=idx, name="posts")
        return PostMeasure(kpi=name, label=spec.label, kind="per_post", numerator=num, denominator=den,
                           numerator_name=spec.numerator, denominator_name="post", unit=spec.unit)
    den = pd.Series(MEASURES[spec.denominator].build(posts, ctx), index=idx, name=spec.denominator)
    kind = "rate" if spec.unit == "fraction" else "ratio"
    return PostMeasure(kpi=name, label=spec.label, kind=kind, numerator=num, denominator=den,
                       numerator_name=spec.numerator.replace("_", " "),
                       denominator_name=spec.denominator.replace("_", " "), unit=spec.unit)


# ----------------------------------------------------------------------------------------------
# glossary and formatting


def glossary(kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """The definitions reports show: one row per KPI.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, label, definition, unit, higher_is_better, source`` in the order given
        (default: the whole registry).
    """
    names = list(REGISTRY) if kpis is None else resolve_kpis(kpis)
    rows = [{"name": n, "label": REGISTRY[n].label, "definition": REGISTRY[n].definition,
             "unit": REGISTRY[n].unit, "higher_is_better": REGISTRY[n].higher_is_better,
             "source": REGISTRY[n].source} for n in names]
    out = pd.DataFrame(rows, columns=["name", "label", "definition", "unit", "higher_is_better", "source"])
    for c in ("name", "label", "definition", "unit", "source"):
        out[c] = out[c].astype("str")
    out["higher_is_better"] = out["higher_is_better"].astype(object)
    return out


def client_glossary(kpis: Sequence[str]) -> pd.DataFrame:
    """The glossary a client report shows: ``Measure``, ``What it means``, ``Source``, in words.

    The analysts' :func:`glossary` writes formulas as the registry does (``sum(reach)``, measure
    names with underscores) and sources with the project's own notes (which seed article named the
    KPI, how rates are aggregated); a stakeholder reads "total reach" and the publication alone.
    """
    import re

    def words(formula: str) -> str:
        text = re.sub(r"\bsum\(([^)]+)\)", r"total \1", formula)
        return text.replace("_", " ").replace(" / ", " divided by ")

    def source(text: str) -> str:
        text = re.sub(r"\s*\(seed article \d+\)", "", text)
        return re.sub(r";\s*aggregated as SUM\(numerator\) / SUM\(denominator\)[^;]*", "", text).strip()

    rows = []
    for n in resolve_kpis(kpis):
        spec = REGISTRY[n]
        meaning = spec.description.strip()
        calc = f"Calculated as {words(spec.formula)}."
        rows.append({"Measure": spec.label, "What it means": f"{meaning} {calc}" if meaning else calc,
                     "Source": source(spec.source)})
    return pd.DataFrame(rows, columns=["Measure", "What it means", "Source"])


def glossary_markdown(kpis: Sequence[str] | None = None) -> str:
    """The registry as a Markdown table (docs/kpis.md is generated from it)."""
    g = glossary(kpis)
    better = {True: "higher", False: "lower", None: "neither"}
    lines = ["| KPI | label | table | formula | unit | better | source |", "|---|---|---|---|---|---|---|"]
    for _, r in g.iterrows():
        spec = REGISTRY[r["name"]]

        def cell(s: str) -> str:
            return str(s).replace("|", "\\|")

        lines.append(f"| `{spec.name}` | {cell(spec.label)} | {spec.table} | {cell(spec.formula)} | "
                     f"{spec.unit} | {better[spec.higher_is_better]} | {cell(spec.source)} |")
    return "\n".join(lines) + "\n"


_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


def _big(x: float) -> str | None:
    a = abs(x)
    for div, suffix in ((1e9, "B"), (1e6, "M")):
        if a >= div:
            return f"{x / div:,.1f} {suffix}"
    return None


def format_money(value: Any, currency: str = "EUR", *, decimals: int | None = None) -> str:
    """An amount as a sentence says it: :func:`format_value` in ``currency`` without cents that say
    nothing ("$2,315", "$0", not "$2,315.00"; "€52.38" keeps its cents).

    ``decimals`` gives every amount of a table column the same number of decimals (the column's
    :func:`money_decimals`): "€63.21" above "€330.00", not above "€330". Amounts of a million or
    more keep their shorthand ("€1.2 M").
    """
    import re

    if decimals is None:
        return re.sub(r"\.00\b", "", format_value(value, "currency", currency=currency))
    x = _finite(value)
    if x is None:
        return "n/a"
    return _money_text(x, currency, _big(abs(x)) or f"{abs(x):,.{decimals}f}")


def money_decimals(*amounts: Any) -> int:
    """How many decimals a column of amounts shares: 2 when any of them is shown with its cents on
    its own (under 100 and not a whole number once rounded to cents, see :func:`format_money`),
    else 0. Each argument is an amount or an array of them (a column's values, its interval
    bounds); blanks and NaN are skipped.

    Sentences drop the cents of amounts from 100 up and the empty cents of whole amounts, which
    reads well for one amount; a column that mixed "78.36 NZD" with "135 NZD" did not line up and
    looked as if the second had been rounded and the first not. Cents are shown wherever one amount
    needs them, so nothing is rounded away."""
    for part in amounts:
        for v in np.ravel(np.asarray(part, dtype=object)):
            try:
                x = abs(float(v))
            except (TypeError, ValueError):
                continue
            if math.isfinite(x) and x < 100 and round(x, 2) != round(x):
                return 2
    return 0


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or None (blank, NaN, infinite, not a number): shown as "n/a"."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _money_text(x: float, currency: str, body: str) -> str:
    """``body`` (the amount's digits, without sign) with the sign and the currency's symbol or code."""
    sym = _SYMBOLS.get(currency.upper())
    sign = "-" if x < 0 else ""
    return f"{sign}{sym}{body}" if sym else f"{sign}{body} {currency.upper()}"


def format_value(value: Any, unit: str, *, currency: str = "EUR") -> str:
    """A KPI value the way a report shows it.

    ``fraction`` -> ``"3.4 %"`` (two significant digits below 1 %: ``"0.047 %"``); ``ratio`` (ROAS) ->
    ``"3.50×"``; ``count`` ->
    ``"1,234"`` or ``"1.2 M"``; ``currency`` -> ``"€1,234"``, ``"€0.84"``, ``"€1.2 M"`` (unknown
    codes: ``"1,234 SEK"``); ``score`` (NPS) -> ``"+42"``; ``hours`` -> ``"5.5 h"`` or ``"45 min"``;
    ``per_post`` -> ``"12.3 per post"``; NaN or None -> ``"n/a"``.
    """
    x = _finite(value)
    if x is None:
        return "n/a"
    if unit == "fraction":
        pct = x * 100
        if pct == 0:
            return "0 %"
        if abs(pct) >= 1:
            return f"{pct:,.1f} %"
        digits = max(1, 1 - int(math.floor(math.log10(abs(pct)))))
        return f"{pct:.{digits}f} %"
    if unit == "ratio":
        return f"{x:,.2f}×"
    if unit == "count":
        return _big(x) or f"{x:,.0f}"
    if unit == "currency":
        a = abs(x)
        return _money_text(x, currency, _big(a) or (f"{a:,.2f}" if a < 100 else f"{a:,.0f}"))
    if unit == "score":
        return f"{round(x * 100):+d}"
    if unit == "hours":
        return f"{x * 60:.0f} min" if abs(x) < 1 else f"{x:,.1f} h"
    if unit == "per_post":
        return f"{x:,.1f} per post"
    raise ParameterError(f"unknown unit {unit!r}; known: {', '.join(UNITS)}")
