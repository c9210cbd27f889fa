"""Per-client parameters: ``parameters/<client>.yaml``, validated by pydantic with ``extra="forbid"``.

A typo gets ``parameters/acme.yaml: unknown key 'compeititors' — did you mean 'competitors'?``.
Secrets (the SMTP password, the pseudonymisation salt) never live here: they come from the
environment (see :mod:`kpi_toolkit.mail` and :mod:`kpi_toolkit.sentiment`).
"""

from __future__ import annotations

import difflib
import math
import mimetypes
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .exceptions import ParameterError, UnknownClientError
from .schema import PLATFORMS

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

CURRENCIES: frozenset[str] = frozenset("""
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
    KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
    NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())
"""ISO 4217 codes of the currencies in use as legal tender, the values ``currency`` accepts.

ISO 4217 list one less its fund codes (BOV, CHE, CLF, USN ...), precious metals (XAU, XAG ...)
and special codes (XDR, XTS, XXX): none of them is money a client spends on ads. Taken from the
Unicode CLDR territory data (tender currencies of every territory in force on 2026-12-01, as
``babel`` 2.18 ships it), plus ANG and VED, which ISO still lists. Kept here rather than as a
dependency: the list changes once or twice a year (ZWG 2024, XCG 2025)."""

_CURRENCY_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("euro", "euros", "€"), ("EUR",)),
    **dict.fromkeys(("dollar", "dollars", "us dollar", "us dollars", "$", "us$"), ("USD",)),
    **dict.fromkeys(("pound", "pounds", "sterling", "pound sterling", "£"), ("GBP",)),
    **dict.fromkeys(("yen", "¥"), ("JPY",)),
    **dict.fromkeys(("yuan", "renminbi", "rmb"), ("CNY",)),
    **dict.fromkeys(("franc", "francs", "swiss franc"), ("CHF",)),
    **dict.fromkeys(("krona", "kronor"), ("SEK",)),
    **dict.fromkeys(("krone", "kroner"), ("NOK", "DKK")),
    **dict.fromkeys(("zloty", "zł"), ("PLN",)),
    **dict.fromkeys(("rupee", "rupees", "₹"), ("INR",)),
    **dict.fromkeys(("real", "reais", "r$"), ("BRL",)),
    **dict.fromkeys(("rouble", "ruble", "₽"), ("RUB",)),
    "forint": ("HUF",), "koruna": ("CZK",), "won": ("KRW",), "lira": ("TRY",), "rand": ("ZAR",),
    "shekel": ("ILS",), "nis": ("ILS",), "hryvnia": ("UAH",), "leu": ("RON",), "lei": ("RON",),
    **dict.fromkeys("ATS BEF CYP DEM EEK ESP FIM FRF GRD HRK IEP ITL LTL LUF LVL MTL NLG PTE SIT SKK"
                    .lower().split(), ("EUR",)),  # national currencies the euro replaced
}
"""Names and symbols people write for a currency, for the "did you mean" of a refused ``currency``."""

_NOT_MONEY = frozenset("BOV CHE CHW CLF COU MXV USN UYI UYW XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA "
                       "XXX".split())
"""ISO 4217 codes that are funds, precious metals, units of account or test codes."""


def currency_code(value: str) -> str:
    """``value`` as an ISO 4217 code: ``'EUR'`` (and ``'eur'``) pass, anything else is refused.

    Raises
    ------
    ValueError
        ``'euro' is not the ISO 4217 code of a currency in use — did you mean 'EUR'?``

    References
    ----------
    ISO 4217:2015, Codes for the representation of currencies, list one (current currencies),
    as maintained by SIX Financial Information (the ISO 4217 maintenance agency).
    """
    code = value.strip().upper()
    if code in CURRENCIES:
        return code
    if code in _NOT_MONEY:
        raise ValueError(f"{value!r} is an ISO 4217 fund, metal or test code, not money a client spends "
                         "(use the code of its currency, such as EUR, USD or GBP)")
    named = _CURRENCY_WORDS.get(value.strip().lower()) or tuple(difflib.get_close_matches(code, CURRENCIES, n=1))
    hint = (" — did you mean " + " or ".join(repr(c) for c in named) + "?") if named else \
        " (three letters, such as EUR, USD or GBP)"
    raise ValueError(f"{value!r} is not the ISO 4217 code of a currency in use{hint}")


GOAL_RANGES = {"net_sentiment": (-1.0, 1.0), "nps": (-1.0, 1.0), "audience_growth_rate": (-1.0, 10.0)}
"""Targets a goal may set where a KPI's range is not [0, 1] (rates) or [0, ∞) (counts, money): net
sentiment and the NPS (stored as a fraction: 0.3 is +30) run from -1 to 1; followers can fall (down to -100 %) or grow more than 100 % in a period
(a target above 10, i.e. 1,000 %, is a percentage written as a number)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


def one_line_name(text: str) -> str:
    """``text`` if it is a name that fits on one line; else ``ValueError``.

    Refused: a blank name, and any line break or invisible control character (categories Cc, Cf, Zl
    and Zp of Unicode: "\\n", U+2028 line separator, U+0085 next line, U+202E right-to-left
    override, zero-width spaces), except the zero-width joiner of emoji sequences. A name heads the
    report and goes into an e-mail header, where a line break fails the message.
    """
    import unicodedata

    if not text.strip():
        raise ValueError("a name is blank")
    bad = next((ch for ch in text if ch != "\u200d" and (unicodedata.category(ch)[0] == "C"
                                                          or unicodedata.category(ch) in ("Zl", "Zp"))), None)
    if bad is not None:
        raise ValueError(f"{text!r} has a line break or invisible character (U+{ord(bad):04X}); a name is one "
                         "line (it heads the report and the e-mail's subject)")
    return text


class Recipient(_Strict):
    name: str
    email: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return one_line_name(v)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return email_address(v)


def email_address(text: str) -> str:
    """``text`` if it is one e-mail address that reaches the same mailbox in a message's ``To:``, else
    ``ValueError``.

    The address is read as the e-mail library reads the ``To:`` header it goes into (RFC 5322
    addr-spec), and must come back unchanged: ``jane@acme.example,ops`` is two recipients there (the
    second a local mailbox of the SMTP server), ``team:jane@acme.example;`` a group that leaves
    ``team``, and ``jane@acme.exam"ple`` is cut to ``jane@acme.exam``, another domain. A comment
    (``(c)jane@acme.example``) and a local part outside ASCII (which needs SMTPUTF8) are refused too.
    """
    from email.headerregistry import Address

    shown = f"not an email address: {text!r}"
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", text):
        raise ValueError(shown)
    try:
        parsed = Address(addr_spec=text).addr_spec
    except Exception as e:  # noqa: BLE001 - ValueError, HeaderParseError and the library's header defects
        reason = " ".join(str(e).split()).rstrip(")")
        raise ValueError(f"{shown} ({reason})") from None
    if parsed != text:
        raise ValueError(f"{shown} (a message's To: would read it as {parsed!r})")
    return text


class Branding(_Strict):
    logo: str | None = Field(None, description="path to a PNG, JPEG or GIF logo, absolute or relative to "
                             "the project folder (the folder holding parameters/); checked by "
                             "`kpi validate` and `kpi run` (see check_files)")
    colour: str = Field("#1f4e79", description="the client's brand colour, #rrggbb")

    @field_validator("colour")
    @classmethod
    def _colour(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError(f"colour must be #rrggbb, got {v!r}")
        return v


class Goal(_Strict):
    """A SMART goal: a KPI, a target and a deadline (paced by :func:`kpi_toolkit.goals.pace_goals`).

    Either ``target`` (an absolute value in the KPI's unit; rates are fractions) or ``change``
    (relative to ``baseline``, e.g. 0.15 = +15 %, -0.20 = -20 %). ``change`` needs a ``start`` (the
    baseline is then the KPI over the 3 complete months before it) or an explicit ``baseline``.
    """

    kpi: str
    target: float | None = None
    change: float | None = Field(None, gt=-1, description="relative change on the baseline: 0.15 = +15 %")
    baseline: float | None = Field(None, description="the baseline value; default: the KPI over "
                                   "the 3 complete months before `start`")
    start: date | None = Field(None, description="first day the goal counts from")
    by: date = Field(description="deadline: the goal is met when the KPI reaches the target in the "
                                 "calendar month of this day (or over start..by, see `over`)")
    owner: str | None = None
    direction: Literal["auto", "at_least", "at_most"] = Field(
        "auto", description="at_least: reach or beat the target; at_most: stay at or below it "
                            "(costs); auto: at_least when the target is above the baseline, "
                            "at_most when below, else by whether higher is better for the KPI")
    over: Literal["deadline_month", "whole_period"] = Field(
        "deadline_month", description="deadline_month: the KPI in the month of `by`; whole_period: "
                                      "the total from `start` to `by` (counts and money only)")

    @model_validator(mode="after")
    def _one_target(self) -> Goal:
        if (self.target is None) == (self.change is None):
            raise ValueError("give exactly one of 'target' or 'change'")
        if self.change is not None and self.start is None and self.baseline is None:
            raise ValueError(f"goal on {self.kpi!r} gives 'change' but neither 'start' nor 'baseline' "
                             "to measure it from")
        if self.start is not None and self.start >= self.by:
            raise ValueError(f"goal on {self.kpi!r}: 'start' ({self.start}) must be before 'by' ({self.by})")
        if self.over == "whole_period" and self.start is None:
            raise ValueError(f"goal on {self.kpi!r}: over 'whole_period' needs a 'start'")
        return self


class AlertRule(_Strict):
    """When a spike or dip of one daily series becomes an alert, and who receives it."""

    threshold: float = Field(3.5, gt=0, description="robust z-score beyond which a day is an alert "
                                                    "(3.5: Iglewicz & Hoaglin's outlier cut-off)")
    direction: Literal["both", "up", "down"] = Field("both", description="up: spikes only; down: "
                                                                         "dips only; both")
    owner: str | None = Field(None, description="who acts on the alert (a team or person)")


class TrendOptions(_Strict):
    """Trend detection and alerts (see docs/trend-detection.md and :mod:`kpi_toolkit.trends`)."""

    alerts: dict[str, AlertRule] = Field(default_factory=dict,
                                         description="per KPI, e.g. mentions, negative_share")
    default_alert: AlertRule = Field(default_factory=AlertRule)
    watch: list[str] = Field(
        default_factory=lambda: ["mentions", "negative_share", "engagements", "spend", "conversions"],
        description="KPIs whose daily series are checked for spikes and dips (the KPIs named in "
                    "`alerts` are always checked); a KPI whose table is absent is skipped")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="a change is called 'unlikely to be chance' "
                                                         "when its p-value is below this")

    @field_validator("alerts")
    @classmethod
    def _alert_kpis(cls, v: dict[str, AlertRule]) -> dict[str, AlertRule]:
        _known_kpis(list(v), what="alert")
        return v

    @field_validator("watch")
    @classmethod
    def _watch_kpis(cls, v: list[str]) -> list[str]:
        _known_kpis(v, what="watched")
        return v


def _known_kpis(names: list[str], *, what: str) -> None:
    from .kpis import REGISTRY

    bad = [k for k in names if k not in REGISTRY]
    if bad:
        close = difflib.get_close_matches(bad[0], list(REGISTRY), n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{what} KPI {bad[0]!r} is not a KPI of the registry{hint}")


class SegmentOptions(_Strict):
    """Options of :mod:`kpi_toolkit.segments` (formats, best time to post, drivers, top posts)."""

    min_posts: int = Field(20, ge=1, description="segments with fewer posts are not ranked")
    confidence: float = Field(0.95, gt=0, lt=1)
    kpi: str = Field("engagement_rate_by_reach", description="the post KPI that segments are compared on")
    lookback_months: int = Field(12, ge=1, le=36, description="months of posts, ending with the report "
                                 "month, used for formats, timing and drivers")
    hour_block_hours: Literal[1, 2, 3, 4, 6, 8, 12] = Field(
        2, description="width of the time slots of the best-time heatmap and the drivers model")
    min_posts_per_cell: int | None = Field(
        None, ge=1, description="minimum posts of a weekday × time slot cell; default: min_posts")
    breakout_quantile: float = Field(0.9, gt=0.5, lt=1, description="posts at or above this quantile "
                                     "of the client's own distribution are breakouts")
    underperformer_quantile: float = Field(0.1, gt=0, lt=0.5)

    @field_validator("kpi")
    @classmethod
    def _kpi(cls, v: str) -> str:
        from .kpis import REGISTRY

        if v not in REGISTRY:
            close = difflib.get_close_matches(v, list(REGISTRY), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown KPI {v!r}{hint}")
        return v


class AttributionOptions(_Strict):
    """Multi-touch attribution (see :mod:`kpi_toolkit.attribution` and docs/attribution.md)."""

    lookback_days: int = Field(30, ge=1, description="attribution window in days, the same for every channel")
    collapse_repeats: bool = Field(True, description="merge consecutive touches of one channel in a journey")
    markov_order: int = Field(3, ge=1, le=4, description="how many past channels a Markov state remembers "
                              "(1 forgets the journey and credits a channel's lift to the channels after it)")
    half_life_days: float = Field(7.0, gt=0, description="half-life of the time-decay model")
    position_weights: tuple[float, float, float] = Field(
        (0.4, 0.2, 0.4), description="first, middle and last shares of the position-based model")
    direct_channels: list[str] = Field(default_factory=lambda: ["direct"],
                                       description="channels that last non-direct passes over")
    shapley_value: Literal["conversions", "conversion_rate"] = Field(
        "conversion_rate", description="coalition value: the conversion rate of journeys whose channels are "
        "all in the coalition (uses non-converting journeys too), or their conversions (the simplified "
        "Shapley value of Zhao et al. 2018)")
    bootstrap_samples: int = Field(200, ge=0, le=10_000, description="bootstrap replicates (0 = no intervals)")
    confidence: float = Field(0.95, gt=0, lt=1, description="coverage of the bootstrap intervals")
    spend_channels: dict[str, str] = Field(
        default_factory=dict, description="ads platform -> touchpoint channel, to join spend (CPA, ROAS); "
        "a platform not listed keeps its name")

    @field_validator("position_weights")
    @classmethod
    def _weights(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(x < 0 for x in v) or sum(v) <= 0:
            raise ValueError(f"position_weights must be three shares >= 0 with a positive sum, got {list(v)}")
        return v


class SentimentThresholds(_Strict):
    """Cut-offs that turn a sentiment score in [-1, 1] into negative / neutral / positive.

    A score ``<= negative`` is negative, ``>= positive`` is positive, anything between is neutral.
    The defaults are VADER's published cut-offs for its compound score (Hutto & Gilbert 2014; the
    vaderSentiment README); calibrate them per topic in ``listening.topic_thresholds`` when a
    topic's language is skewed (e.g. complaints about "dry skin" that read as negative).
    """

    negative: float = Field(-0.05, ge=-1, le=1)
    positive: float = Field(0.05, ge=-1, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> SentimentThresholds:
        if self.negative >= self.positive:
            raise ValueError(f"negative threshold ({self.negative}) must be below the positive one "
                             f"({self.positive})")
        return self


class ListeningOptions(_Strict):
    """Social listening: keyword families, sentiment cut-offs and the response target.

    See docs/competitors-and-listening.md and :mod:`kpi_toolkit.sentiment`.
    """

    topics: dict[str, list[str]] = Field(
        default_factory=dict,
        description="keyword families: topic -> keywords (brand names, product lines, campaign "
                    "hashtags, regional terms, customer concerns); matched case-insensitively as whole "
                    "words or #hashtags")
    sentiment_thresholds: SentimentThresholds = Field(default_factory=SentimentThresholds)
    topic_thresholds: dict[str, SentimentThresholds] = Field(
        default_factory=dict,
        description="per-topic cut-offs that replace sentiment_thresholds (topics from the keyword "
                    "families or from the data's topic column; a name no mention has is reported as a "
                    "caveat in the listening view)")
    use_provided_scores: bool = Field(
        True, description="use the listening tool's sentiment_score when the data has one; "
                          "false = always score the text with VADER")
    response_target_hours: float = Field(
        24.0, gt=0, description="the client's target for the median time to answer a mention that "
                                "needs a response (an agreed service level, not an industry norm)")
    response_rate_target: float = Field(
        0.9, gt=0, le=1, description="share of mentions that need a response which should get one")


class BenchmarkOptions(_Strict):
    """Industry benchmarks and the channel score (see :mod:`kpi_toolkit.benchmarks`).

    Benchmarks come from the shipped file kpi_toolkit/data_files/benchmarks.yaml (rows for all
    industries and, where published, per industry); ``file`` replaces it with an agency's own file of
    the same layout; ``overrides`` replaces single values for this client.
    """

    objective: Literal["awareness", "consideration", "conversion"] = Field(
        "awareness", description="the client's main goal; picks the metric weights of the channel score")
    overrides: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="platform -> metric -> benchmark value (rates as fractions)")
    channel_weights: dict[str, float] = Field(
        default_factory=dict,
        description="platform -> importance for this client (any non-negative numbers, normalised); "
                    "default: the industry's weights in the benchmark file, else equal")
    metric_weights: dict[str, float] = Field(
        default_factory=dict,
        description="metric -> weight in the channel score; default: the objective's weights in the "
                    "benchmark file")
    file: str | None = Field(None, description="an agency benchmark file (YAML, same layout as the "
                                               "shipped one), relative to the repo")
    breakout_multiple: float = Field(
        3.0, gt=1, description="a competitor's day of posts is a breakout when its engagements per post "
                               "reach this multiple of the brand's 90-day median")

    @field_validator("overrides")
    @classmethod
    def _override_platforms(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        bad = [p for p in v if p not in PLATFORMS]
        if bad:
            close = difflib.get_close_matches(bad[0], PLATFORMS, n=1)
            hint = f" — did you mean {close[0]!r}?" if close else f"; known: {', '.join(PLATFORMS)}"
            raise ValueError(f"unknown platform {bad[0]!r}{hint}")
        return v

    @field_validator("channel_weights", "metric_weights")
    @classmethod
    def _nonneg(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, w in v.items() if w < 0]
        if bad:
            raise ValueError(f"weight of {bad[0]!r} must be >= 0 (got {v[bad[0]]})")
        return v

    @field_validator("channel_weights")
    @classmethod
    def _channel_platforms(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [p for p in v if p not in PLATFORMS]
        if bad:
            close = difflib.get_close_matches(bad[0], PLATFORMS, n=1)
            hint = f" — did you mean {close[0]!r}?" if close else f"; known: {', '.join(PLATFORMS)}"
            raise ValueError(f"unknown platform {bad[0]!r}{hint}")
        return v


class ClientParams(_Strict):
    """Everything a report needs to know about one client."""

    client: str = Field(description="the client's id: folder name under data/ and outputs/")
    display_name: str
    timezone: str = "UTC"
    currency: str = Field("EUR", description="ISO 4217 code of the client's money (spend, revenue)")
    industry: str = "general"
    language: Literal["en"] = "en"
    brand: str = Field(description="the client's brand as it appears in mentions/competitors data")
    competitors: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=lambda: list(PLATFORMS))
    core_kpis: list[str] = Field(
        default_factory=lambda: ["reach", "engagement_rate_by_reach", "ctr", "conversions", "roas",
                                 "share_of_voice"])
    goals: list[Goal] = Field(default_factory=list)
    history_months: int = Field(
        36, ge=25, le=120,
        description="months of data a report reads, ending with the report month (trends compare 24 "
        "months; goal forecasts learn from all of them); older rows and rows after the month are not "
        "read. A goal whose baseline lies earlier extends it")
    recipients: list[Recipient] = Field(default_factory=list)
    branding: Branding = Field(default_factory=Branding)
    trends: TrendOptions = Field(default_factory=TrendOptions)
    segments: SegmentOptions = Field(default_factory=SegmentOptions)
    attribution: AttributionOptions = Field(default_factory=AttributionOptions)
    listening: ListeningOptions = Field(default_factory=ListeningOptions)
    benchmarks: BenchmarkOptions = Field(default_factory=BenchmarkOptions)

    @field_validator("client")
    @classmethod
    def _client_id(cls, v: str) -> str:
        if not CLIENT_ID.fullmatch(v):
            raise ValueError("client id must be lower-case letters, digits, '-' or '_'")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as 'Europe/Helsinki')") from None
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return currency_code(v)

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, v: list[str]) -> list[str]:
        bad = [p for p in v if p not in PLATFORMS]
        if bad:
            raise ValueError(f"unknown platform {bad[0]!r}; known: {', '.join(PLATFORMS)}")
        return v

    @field_validator("core_kpis")
    @classmethod
    def _kpis(cls, v: list[str]) -> list[str]:
        from .kpis import REGISTRY

        if not v:
            raise ValueError("core_kpis is empty: list the KPIs the report's snapshot shows (such as reach, "
                             "engagement_rate_by_reach), or leave the key out for the default ones")
        bad = [k for k in v if k not in REGISTRY]
        if bad:
            close = difflib.get_close_matches(bad[0], list(REGISTRY), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown KPI {bad[0]!r}{hint}")
        return v

    @field_validator("display_name", "brand", "industry", "competitors")
    @classmethod
    def _one_line(cls, v: Any) -> Any:
        for text in [v] if isinstance(v, str) else v:
            one_line_name(text)
        return v

    @model_validator(mode="after")
    def _goal_kpis(self) -> ClientParams:
        from .kpis import REGISTRY

        for g in self.goals:
            if g.kpi not in REGISTRY:
                close = difflib.get_close_matches(g.kpi, list(REGISTRY), n=1)
                hint = f" — did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"goal names unknown KPI {g.kpi!r}{hint}")
            fraction = REGISTRY[g.kpi].unit == "fraction"
            low, high = GOAL_RANGES.get(g.kpi, (0.0, 1.0 if fraction else math.inf))
            for what, value in (("target", g.target), ("baseline", g.baseline)):
                if value is None:
                    continue
                if value < low:
                    raise ValueError(f"goal on {g.kpi!r}: {what} {value:g} is below {low:g}, the least "
                                     "the KPI can be")
                if value > high:
                    as_written = f"{value / 100:g} for +{value:g}" if g.kpi == "nps" else \
                        f"{value / 100:g} for {value:g} %"
                    raise ValueError(f"goal on {g.kpi!r}: {what} {value:g} is not a fraction — rates, shares "
                                     f"and the NPS are written as fractions ({as_written})")
        return self


def _model_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names valid at ``loc`` inside ``model`` (for 'did you mean')."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        nxt = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if nxt is None:
            for c in args:
                inner = getattr(c, "__args__", ())
                nxt = next((i for i in inner if isinstance(i, type) and issubclass(i, BaseModel)), None)
                if nxt:
                    break
        if nxt is None:
            return []
        current = nxt
    return list(getattr(current, "model_fields", {}))


def format_validation_error(source: str, err: ValidationError, model: type[BaseModel]) -> str:
    """One line for the first problem: where, what, and a 'did you mean' for unknown keys."""
    first = err.errors()[0]
    loc = tuple(first.get("loc", ()))
    if first["type"] == "extra_forbidden":
        key = str(loc[-1])
        choices = _model_fields(model, loc)
        close = difflib.get_close_matches(key, choices, n=1)
        hint = f" — did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(choices)})"
        where = f" in '{'.'.join(str(p) for p in loc[:-1])}'" if len(loc) > 1 else ""
        return f"{source}: unknown key '{key}'{where}{hint}"
    keys = ".".join(str(p) for p in loc if not isinstance(p, int))
    items = [p + 1 for p in loc if isinstance(p, int)]
    path = f"{keys}' (item {', '.join(map(str, items))})" if items else f"{keys}'"
    if first["type"] == "missing":
        return f"{source}: missing required key '{path}"
    msg = plain_error_message(first)
    return f"{source}: '{path}: {msg}" if keys else f"{source}: {msg}"


_PLAIN = {
    "int_parsing": "must be a whole number", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "float_parsing": "must be a number",
    "float_type": "must be a number", "bool_parsing": "must be true or false", "bool_type": "must be true or false",
    "date_parsing": "must be a date written YYYY-MM-DD", "date_type": "must be a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD", "string_type": "must be text",
    "list_type": "must be a list", "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
}
"""pydantic's error types in the words of a parameter file's reader (pydantic says "Input should be a
valid integer, unable to parse string as an integer")."""


def plain_error_message(error: dict[str, Any]) -> str:
    """One pydantic error in the words of a parameter file's reader (what the value must be, and what was given)."""
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    shown = f" (got {got:g})" if isinstance(got, float) else \
        f" (got {got!r})" if isinstance(got, str | int | bool) else ""
    if kind in _PLAIN:
        if kind.startswith("date") and "outside expected range" in str(ctx.get("error", error["msg"])):
            return f"no such date{shown}"
        return _PLAIN[kind] + shown
    bounds = {"greater_than": "greater than", "greater_than_equal": "at least", "less_than": "less than",
              "less_than_equal": "at most"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        limit = f"{limit:g}" if isinstance(limit, float) else limit
        hint = ""
        if kind.startswith("less") and limit in (1, "1") and isinstance(got, int | float) and 1 < got <= 100:
            hint = f" — a share is written as a fraction ({got / 100:g} for {got:g} %)"
        return f"must be {bounds[kind]} {limit}{shown}{hint}"
    msg = error["msg"].removeprefix("Value error, ")
    return msg.replace("Input should be", "must be", 1) + (shown if kind == "literal_error" else "")


def parse_params(raw: dict[str, Any], *, source: str = "<parameters>") -> ClientParams:
    """Validate a parameter mapping; raise :class:`ParameterError` with one clear line."""
    if not isinstance(raw, dict):
        raise ParameterError(f"{source}: expected a mapping of keys to values at the top level")
    try:
        return ClientParams.model_validate(raw)
    except ValidationError as err:
        raise ParameterError(format_validation_error(source, err, ClientParams)) from None


def missing_folder(path: str | Path, *, option: str) -> str | None:
    """The one line to print when a project folder (``parameters/``, ``data/``) is not there, else None.

    A relative folder that is missing almost always means kpi was started outside the project
    folder, so the line says that rather than "no clients yet". URLs (``s3://...``) are not checked.
    """
    if "://" in str(path) or Path(path).is_dir():
        return None
    p = Path(path)
    if p.is_absolute():
        return f"no folder {p}/: check {option}"
    return f"no {p}/ folder here: run kpi from the project folder or pass {option}"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader, on libyaml's C parser when it is installed (a tenth of the time of the
    pure-Python one: a run of hundreds of clients reads every parameter file three times), refusing a
    key given twice in one mapping. YAML requires keys to be unique, but PyYAML keeps the last one
    without a word: a second ``goals:`` lower in a file replaced the first."""


def _unique_keys(loader: Any, node: Any, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *defaults" may repeat what it merges
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key: the constructor below says what is wrong with it
            continue
        seen[key] = line
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"'{key}' is given twice (lines {first} and {line}); keep one", key_node.start_mark)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_keys)


def read_yaml(text: str) -> Any:
    """A YAML document the way every file a user writes is read (:class:`_Loader`): safe tags only,
    each key once. Raises :class:`yaml.YAMLError` (with ``problem`` and ``problem_mark``)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def load_params(client: str, *, parameters_dir: str | Path = "parameters") -> ClientParams:
    """Read and validate ``parameters/<client>.yaml``."""
    pdir = Path(parameters_dir)
    folder = missing_folder(pdir, option="--parameters-dir")
    if folder:
        raise UnknownClientError(folder)
    path = pdir / f"{client}.yaml"
    if not path.exists():
        known = list_clients(parameters_dir=pdir)
        close = difflib.get_close_matches(client, known, n=1)
        hint = f" — did you mean '{close[0]}'?" if close else (
            f" (known clients: {', '.join(known)}; a new client needs its own {path.name}: see the README's "
            "'Clients: parameters and data')" if known else
            f" (no clients yet: write {path.name} as the README's 'Clients: parameters and data' shows, "
            "or run `kpi demo` for three examples)")
        raise UnknownClientError(f"unknown client '{client}': no {path}{hint}")
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ParameterError(f"{path}:{line} not valid YAML ({getattr(e, 'problem', e)})") from None
    params = parse_params(raw, source=str(path))
    if params.client != client:
        raise ParameterError(f"{path}: 'client' is {params.client!r} but the file is named for {client!r}")
    return params


LOGO_TYPES = ("image/png", "image/jpeg", "image/gif")
"""Logo formats a report embeds (:func:`kpi_toolkit.export.report_resources`); SVG is left out
because it may carry scripts and mail clients drop it."""

_IMAGE_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
                     (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
"""The first bytes of a PNG (PNG spec 5.2), a JPEG (SOI marker and the next marker's 0xFF) and a GIF
(GIF87a/GIF89a header)."""


def image_type(path: str | Path) -> str | None:
    """``image/png``, ``image/jpeg`` or ``image/gif`` by the file's first bytes, else None.

    A logo is embedded in the report byte for byte, so its name is not enough: a text file, a key or
    another client's export named ``logo.png`` (or a ``logo.png`` linked to one) went into a report
    and an e-mail as base64.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    return next((mime for sig, mime in _IMAGE_SIGNATURES if head.startswith(sig)), None)


def logo_path(params: ClientParams, *, parameters_dir: str | Path) -> Path | None:
    """The file ``branding.logo`` names: absolute, or relative to the folder holding ``parameters_dir``
    (the project folder), as the report's export reads it."""
    logo = params.branding.logo
    if not logo:
        return None
    path = Path(logo)
    return path if path.is_absolute() else Path(parameters_dir).resolve().parent / path


def check_files(params: ClientParams, *, parameters_dir: str | Path = "parameters") -> None:
    """Refuse parameters that name a file a report cannot use: ``benchmarks.file`` and ``branding.logo``.

    A logo that is missing, or not a PNG, JPEG or GIF, is an error, not a warning: the export would
    quietly put the client's initials where its logo belongs, in a report that goes to the client's
    stakeholders, while the parameter file says otherwise. The fix is one path, and ``kpi run``
    refuses only that client's report (the others run; a report already made stays in place).

    Raises
    ------
    ParameterError
        ``parameters/acme.yaml: 'branding.logo': no file /work/acme/parameters/logos/acme.png
        (a relative path starts at the project folder /work/acme)``
    """
    source = Path(parameters_dir) / f"{params.client}.yaml"
    base = Path(parameters_dir).resolve().parent
    bench = params.benchmarks.file
    if bench is not None:  # the competitor section reads it in the kernel, where a missing file failed the report
        where = Path(str(bench))
        if not (where.is_file() or (not where.is_absolute() and (base / where).is_file())):
            shown = where if where.is_absolute() else base / where
            hint = "" if where.is_absolute() else f" (a relative path starts at the project folder {base})"
            raise ParameterError(f"{source}: 'benchmarks.file': no file {shown}{hint}")
        from .benchmarks import _benchmark_file, channel_weights

        path = str(where if where.is_file() else base / where)
        try:  # read as the report will: a malformed file is refused here, not shown as a gap in the report
            _benchmark_file(path)
            opts = params.benchmarks
            channel_weights(objective=opts.objective, industry=params.industry, metric_weights=opts.metric_weights,
                            platform_weights=opts.channel_weights, platforms=params.platforms, path=path)
        except ParameterError as e:
            raise ParameterError(f"{source}: 'benchmarks.file' {where}: {e}") from None
    path = logo_path(params, parameters_dir=parameters_dir)
    if path is None:
        return
    if not path.is_file():
        where = "" if Path(str(params.branding.logo)).is_absolute() else \
            f" (a relative path starts at the project folder {base})"
        raise ParameterError(f"{source}: 'branding.logo': no file {path}{where}")
    if mimetypes.guess_type(path.name)[0] not in LOGO_TYPES:
        raise ParameterError(f"{source}: 'branding.logo': {path.name} is not a PNG, JPEG or GIF image, "
                             "the formats a report embeds (mail clients drop SVG)")
    if image_type(path) is None:
        raise ParameterError(f"{source}: 'branding.logo': {path} is not a PNG, JPEG or GIF image: its "
                             "content is not one, whatever its name says (the report embeds the file as it is)")


def list_clients(*, parameters_dir: str | Path = "parameters") -> list[str]:
    """Client ids that have a parameter file, sorted."""
    pdir = Path(parameters_dir)
    return sorted(p.stem for p in pdir.glob("*.yaml")) if pdir.is_dir() else []


def dump_params(params: ClientParams) -> str:
    """YAML text for a parameter file (used by `kpi demo`)."""
    data = params.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
