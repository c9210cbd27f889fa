"""The three demo clients: every number that shapes their data, in one place.

Each :class:`ClientProfile` holds the base levels (followers, posting rates, mention volumes,
journeys) and the planted signals (seasonality, level shift, spikes, outperforming format, good
posting hours, conversion driver, competitor gaining share of voice). Dates are given relative to the
last month of the data (``months_before_end``), so the signals move with ``--end-month`` and the
crisis always falls in the last three months. docs/demo-data.md explains each number.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlatformProfile:
    """One social platform of a demo client."""

    followers_start: int
    gains_per_day: float
    losses_per_day: float
    posts_per_day: float
    reach_per_follower: float
    """Expected organic reach of a post as a fraction of the followers on the posting day."""
    engagement_rate: float
    """Expected engagements / reach of a post in an ordinary format at an ordinary hour."""
    impressions_per_reach: float
    formats: dict[str, float]
    """content_type -> share of the platform's posts."""
    web_sessions_per_day: float
    web_bounce_rate: float
    web_conversion_rate: float
    cpm: float
    """Paid social cost per 1000 impressions, client's currency."""
    ctr: float
    """Paid social clicks / impressions."""
    video_view_rate: float = 0.5
    """video_views / reach for video formats."""
    completion_rate: float = 0.3
    """video_completions / video_views."""
    has_saves: bool = True


@dataclass(frozen=True)
class Competitor:
    """A tracked competitor brand."""

    name: str
    mentions_per_day: float
    scale: float
    """Size on social relative to the client (followers, posts per day, engagements per post)."""
    polarity: tuple[float, float, float]
    """Shares of positive, neutral and negative mentions."""


@dataclass(frozen=True)
class Spike:
    """A short burst of extra mentions of the client's brand."""

    label: str
    months_before_end: int
    day: int
    hour: int
    """Local hour at which the burst starts."""
    duration_hours: int
    magnitude: float
    """Expected extra mentions as a multiple of the brand's expected mentions on that day."""
    topic: str
    polarity: tuple[float, float, float]
    product: str | None = None
    """Every text of the burst names this product (the recalled one, the launched one)."""
    crisis: bool = False
    needs_response_rate: float = 0.1
    """Share of the burst's mentions that need a response from the brand."""


@dataclass(frozen=True)
class LevelShift:
    """A lasting step in the client brand's daily mentions and in its follower gains."""

    months_before_end: int
    day: int
    mention_multiplier: float
    follower_gain_multiplier: float
    cause: str


@dataclass(frozen=True)
class Campaign:
    """A paid social campaign: its platforms, budget and when it runs.

    ``flight`` is ``"always"``, ``"yearly"`` (the ``windows`` repeat every year as
    (month, day, month, day) inclusive, a window may run over new year) or ``"relative"`` (active
    from ``months_before_end[0]`` to ``months_before_end[1]``, whole months, inclusive).
    """

    name: str
    platforms: tuple[str, ...]
    daily_budget: float
    """Spend per platform per active day, client's currency."""
    flight: str = "always"
    windows: tuple[tuple[int, int, int, int], ...] = ()
    months_before_end: tuple[int, int] = (0, 0)
    retargeting: bool = False


@dataclass(frozen=True)
class ClientProfile:
    """Everything that shapes one demo client's data."""

    client: str
    code: str
    """Three letters used in generated ids (post_id, mention_id, user_id)."""
    display_name: str
    industry: str
    industry_key: str
    """Key into :data:`kpi_toolkit.demo.texts.TEMPLATES`."""
    timezone: str
    currency: str
    brand: str
    colour: str
    objective: str
    competitors: tuple[Competitor, ...]
    gaining_competitor: str
    sov_growth: float
    """The gaining competitor's mention volume is multiplied by a ramp from 1 to this value."""
    brand_mentions_per_day: float
    brand_polarity: tuple[float, float, float]
    weekday_multipliers: tuple[float, ...]
    """Monday..Sunday; normalised to mean 1 by the generator."""
    month_multipliers: tuple[float, ...]
    """January..December; normalised to mean 1 by the generator."""
    level_shift: LevelShift
    spikes: tuple[Spike, ...]
    platforms: dict[str, PlatformProfile]
    winning_format: str
    format_multiplier: float
    good_hours: tuple[int, ...]
    hour_multiplier: float
    posting_hour_weights: tuple[float, ...]
    """24 weights, local hour of posting."""
    posting_weekday_weights: tuple[float, ...]
    topics: dict[str, float]
    """Baseline mention topics and their shares (spike topics come only from spikes)."""
    products: tuple[str, ...]
    mention_sources: dict[str, float]
    crisis_sources: dict[str, float]
    has_sentiment_score: bool
    driver_channel: str
    driver_multiplier: float
    base_conversion_rate: float
    journeys: int
    extra_touches_mean: float
    """Touches per journey = 1 + Poisson(this), at most 8."""
    first_touch_mix: dict[str, float]
    last_touch_mix: dict[str, float]
    order_value_median: float
    order_value_sigma: float
    campaigns: tuple[Campaign, ...]
    ad_conversion_rate: float
    ad_lead_rate: float
    csat_per_day: float
    nps_per_day: float
    csat_probs: tuple[float, ...]
    nps_probs: tuple[float, ...]
    recipients: tuple[tuple[str, str], ...] = field(default=())


def _fmt(**shares: float) -> dict[str, float]:
    return dict(shares)


_BEAUTY_HOURS = (0, 0, 0, 0, 0, 0, 0.2, 0.6, 1.0, 1.0, 1.0, 1.1, 1.3, 1.0, 0.9, 0.9, 1.0, 1.1,
                 1.3, 1.3, 1.1, 0.8, 0.4, 0.1)
_OUTDOOR_HOURS = (0, 0, 0, 0, 0, 0.2, 1.0, 1.2, 1.0, 0.9, 0.9, 1.0, 1.2, 1.0, 0.9, 0.9, 1.0, 1.1,
                  1.2, 1.1, 0.9, 0.6, 0.3, 0)
_B2B_HOURS = (0, 0, 0, 0, 0, 0, 0.1, 0.6, 1.4, 1.4, 1.3, 1.2, 1.2, 1.1, 1.1, 1.0, 0.9, 0.7,
              0.5, 0.3, 0.2, 0.1, 0, 0)

LUMIERE = ClientProfile(
    client="demo-lumiere",
    code="lum",
    display_name="Lumière Skincare (demo)",
    industry="beauty & cosmetics",
    industry_key="beauty",
    timezone="Europe/Helsinki",
    currency="EUR",
    brand="Lumière",
    colour="#b0476b",
    objective="awareness",
    competitors=(
        Competitor("Nordglow", 45.0, 1.3, (0.46, 0.34, 0.20)),
        Competitor("Velvet & Vine", 32.0, 0.8, (0.50, 0.32, 0.18)),
        Competitor("Petal Lab", 20.0, 0.5, (0.55, 0.30, 0.15)),
    ),
    gaining_competitor="Petal Lab",
    sov_growth=2.2,
    brand_mentions_per_day=55.0,
    brand_polarity=(0.52, 0.30, 0.18),
    weekday_multipliers=(0.92, 0.95, 0.97, 1.00, 1.05, 1.08, 1.03),
    month_multipliers=(0.95, 0.90, 0.95, 1.00, 1.00, 0.95, 0.88, 0.90, 1.00, 1.02, 1.20, 1.25),
    level_shift=LevelShift(14, 18, 1.4, 1.5, "new brand ambassador campaign"),
    spikes=(
        Spike("viral influencer review", 17, 9, 19, 30, 3.0, "influencer review",
              (0.78, 0.18, 0.04), product="retinol serum"),
        Spike("product launch", 6, 21, 10, 48, 2.5, "product launch", (0.70, 0.25, 0.05),
              product="SPF 50 fluid"),
        Spike("serum recall", 1, 13, 8, 72, 6.0, "product recall", (0.02, 0.06, 0.92),
              product="retinol serum", crisis=True, needs_response_rate=0.55),
    ),
    platforms={
        "facebook": PlatformProfile(31000, 6, 4, 0.45, 0.07, 0.020, 1.35,
                                    _fmt(image=0.35, video=0.2, link=0.25, text=0.1, reel=0.1),
                                    150, 0.55, 0.018, 7.0, 0.009, has_saves=False),
        "instagram": PlatformProfile(86000, 45, 12, 1.1, 0.22, 0.045, 1.45,
                                     _fmt(image=0.3, carousel=0.25, reel=0.35, video=0.05, story=0.05),
                                     320, 0.50, 0.022, 8.0, 0.007, video_view_rate=0.6,
                                     completion_rate=0.35),
        "x": PlatformProfile(5200, 3, 2, 0.35, 0.10, 0.012, 1.6,
                             _fmt(text=0.45, image=0.3, link=0.15, video=0.1),
                             20, 0.70, 0.008, 5.0, 0.006, has_saves=False),
        "linkedin": PlatformProfile(2100, 2, 0.5, 0.08, 0.15, 0.025, 1.3,
                                    _fmt(text=0.3, image=0.3, link=0.15, carousel=0.15, video=0.1),
                                    6, 0.60, 0.005, 30.0, 0.005, has_saves=False),
        "tiktok": PlatformProfile(41000, 70, 15, 1.0, 0.9, 0.060, 1.25,
                                  _fmt(video=0.85, carousel=0.1, live=0.05),
                                  210, 0.60, 0.030, 6.0, 0.010, video_view_rate=0.8,
                                  completion_rate=0.3),
        "youtube": PlatformProfile(8300, 9, 2, 0.08, 0.35, 0.035, 1.3,
                                   _fmt(video=0.6, short=0.35, live=0.05),
                                   40, 0.45, 0.015, 9.0, 0.004, video_view_rate=0.7,
                                   completion_rate=0.35),
    },
    winning_format="reel",
    format_multiplier=1.8,
    good_hours=(18, 19),
    hour_multiplier=1.4,
    posting_hour_weights=_BEAUTY_HOURS,
    posting_weekday_weights=(1.0, 1.0, 1.05, 1.05, 1.0, 0.95, 0.95),
    topics={"skincare": 0.28, "makeup": 0.2, "ingredients": 0.12, "shipping": 0.14,
            "price": 0.14, "customer service": 0.12},
    products=("night cream", "tinted moisturiser", "lip oil", "SPF 50 fluid", "retinol serum",
              "cleansing balm"),
    mention_sources={"instagram": 0.28, "tiktok": 0.22, "x": 0.12, "reviews": 0.1, "reddit": 0.08,
                     "youtube": 0.06, "facebook": 0.06, "blogs": 0.05, "news": 0.03},
    crisis_sources={"x": 0.25, "tiktok": 0.2, "instagram": 0.15, "news": 0.15, "reddit": 0.15,
                    "facebook": 0.1},
    has_sentiment_score=True,
    driver_channel="tiktok",
    driver_multiplier=2.5,
    base_conversion_rate=0.022,
    journeys=100_000,
    extra_touches_mean=1.6,
    first_touch_mix={"instagram": 0.24, "tiktok": 0.2, "facebook": 0.12, "youtube": 0.06, "x": 0.03,
                     "linkedin": 0.01, "email": 0.12, "search": 0.14, "direct": 0.08},
    last_touch_mix={"search": 0.28, "direct": 0.25, "email": 0.17, "instagram": 0.12, "tiktok": 0.08,
                    "facebook": 0.07, "youtube": 0.02, "x": 0.01},
    order_value_median=48.0,
    order_value_sigma=0.45,
    campaigns=(
        Campaign("always-on-awareness", ("instagram", "tiktok", "facebook", "youtube"), 28.0),
        Campaign("retargeting", ("facebook", "instagram"), 14.0, retargeting=True),
        Campaign("spf-fluid-launch", ("instagram", "tiktok"), 60.0, flight="relative",
                 months_before_end=(6, 5)),
        Campaign("holiday-gifting", ("instagram", "facebook", "tiktok"), 55.0, flight="yearly",
                 windows=((11, 10, 12, 24),)),
        Campaign("creator-whitelisting", ("tiktok",), 35.0, flight="relative",
                 months_before_end=(9, 0)),
    ),
    ad_conversion_rate=0.02,
    ad_lead_rate=0.01,
    csat_per_day=4.0,
    nps_per_day=2.0,
    csat_probs=(0.04, 0.06, 0.15, 0.35, 0.40),
    nps_probs=(0.02, 0.01, 0.02, 0.03, 0.03, 0.06, 0.07, 0.14, 0.2, 0.22, 0.2),
    recipients=(("Aino Virtanen", "aino.virtanen@lumiere.example"),
                ("Mikko Laine", "mikko.laine@lumiere.example")),
)

TRAILHEAD = ClientProfile(
    client="demo-trailhead",
    code="trl",
    display_name="Trailhead Outfitters (demo)",
    industry="outdoor retail",
    industry_key="outdoor",
    timezone="America/Denver",
    currency="USD",
    brand="Trailhead Outfitters",
    colour="#2f6b3a",
    objective="conversion",
    competitors=(
        Competitor("Ridgeline Gear", 50.0, 1.4, (0.44, 0.36, 0.20)),
        Competitor("Summit & Pine", 35.0, 0.9, (0.48, 0.34, 0.18)),
        Competitor("Canyon Supply Co.", 25.0, 0.7, (0.42, 0.36, 0.22)),
        Competitor("Northbound", 15.0, 0.4, (0.55, 0.30, 0.15)),
    ),
    gaining_competitor="Northbound",
    sov_growth=2.6,
    brand_mentions_per_day=60.0,
    brand_polarity=(0.50, 0.32, 0.18),
    weekday_multipliers=(0.85, 0.88, 0.90, 0.95, 1.10, 1.22, 1.10),
    month_multipliers=(0.80, 0.78, 0.88, 0.98, 1.10, 1.25, 1.30, 1.20, 1.00, 0.90, 0.95, 0.86),
    level_shift=LevelShift(13, 8, 1.35, 1.6, "flagship store opening in Denver"),
    spikes=(
        Spike("winter giveaway", 20, 5, 12, 24, 3.5, "giveaway", (0.80, 0.17, 0.03),
              product="down jacket"),
        Spike("gear award", 9, 16, 15, 36, 2.0, "award", (0.72, 0.24, 0.04),
              product="two-person tent"),
        Spike("camp stove recall", 2, 7, 9, 60, 5.0, "product recall", (0.02, 0.08, 0.90),
              product="camp stove", crisis=True, needs_response_rate=0.5),
    ),
    platforms={
        "facebook": PlatformProfile(92000, 20, 9, 0.8, 0.08, 0.025, 1.4,
                                    _fmt(image=0.35, video=0.2, link=0.25, text=0.1, carousel=0.1),
                                    260, 0.50, 0.012, 7.5, 0.009, has_saves=False),
        "instagram": PlatformProfile(61000, 35, 10, 0.9, 0.2, 0.040, 1.45,
                                     _fmt(image=0.35, carousel=0.25, reel=0.3, story=0.1),
                                     190, 0.55, 0.010, 8.5, 0.007, video_view_rate=0.6,
                                     completion_rate=0.3),
        "x": PlatformProfile(15300, 4, 3, 0.5, 0.09, 0.012, 1.6,
                             _fmt(text=0.45, image=0.3, link=0.15, video=0.1),
                             35, 0.70, 0.006, 5.5, 0.006, has_saves=False),
        "linkedin": PlatformProfile(6100, 5, 1, 0.12, 0.14, 0.025, 1.3,
                                    _fmt(text=0.3, image=0.25, link=0.15, carousel=0.2, video=0.1),
                                    12, 0.60, 0.004, 32.0, 0.005, has_saves=False),
        "tiktok": PlatformProfile(19800, 40, 10, 0.45, 0.85, 0.055, 1.25,
                                  _fmt(video=0.8, carousel=0.15, live=0.05),
                                  90, 0.65, 0.008, 6.5, 0.010, video_view_rate=0.8,
                                  completion_rate=0.28),
        "youtube": PlatformProfile(24500, 18, 3, 0.15, 0.4, 0.040, 1.3,
                                   _fmt(video=0.6, short=0.35, live=0.05),
                                   110, 0.40, 0.022, 9.5, 0.004, video_view_rate=0.7,
                                   completion_rate=0.4),
    },
    winning_format="carousel",
    format_multiplier=1.6,
    good_hours=(6, 7),
    hour_multiplier=1.35,
    posting_hour_weights=_OUTDOOR_HOURS,
    posting_weekday_weights=(0.95, 0.95, 1.0, 1.0, 1.05, 1.05, 1.0),
    topics={"gear quality": 0.3, "sizing": 0.14, "sustainability": 0.12, "shipping": 0.14,
            "price": 0.16, "customer service": 0.14},
    products=("rain shell", "hiking boots", "35L daypack", "down jacket", "trekking poles",
              "two-person tent", "camp stove"),
    mention_sources={"instagram": 0.2, "facebook": 0.15, "reddit": 0.15, "x": 0.12, "reviews": 0.12,
                     "youtube": 0.1, "tiktok": 0.08, "blogs": 0.05, "news": 0.03},
    crisis_sources={"x": 0.25, "facebook": 0.2, "news": 0.2, "reddit": 0.2, "instagram": 0.15},
    has_sentiment_score=False,
    driver_channel="youtube",
    driver_multiplier=2.4,
    base_conversion_rate=0.025,
    journeys=100_000,
    extra_touches_mean=1.7,
    first_touch_mix={"facebook": 0.18, "instagram": 0.2, "youtube": 0.18, "tiktok": 0.06, "x": 0.03,
                     "linkedin": 0.01, "email": 0.12, "search": 0.12, "direct": 0.1},
    last_touch_mix={"search": 0.3, "direct": 0.25, "email": 0.16, "facebook": 0.1, "instagram": 0.09,
                    "youtube": 0.06, "tiktok": 0.03, "x": 0.01},
    order_value_median=115.0,
    order_value_sigma=0.6,
    campaigns=(
        Campaign("always-on-prospecting", ("facebook", "instagram", "youtube"), 30.0),
        Campaign("retargeting", ("facebook", "instagram"), 16.0, retargeting=True),
        Campaign("summer-trails", ("instagram", "facebook", "tiktok", "youtube"), 45.0,
                 flight="yearly", windows=((5, 15, 8, 15),)),
        Campaign("black-friday", ("facebook", "instagram", "youtube", "x"), 90.0, flight="yearly",
                 windows=((11, 15, 12, 2),)),
        Campaign("gear-reviews", ("youtube",), 25.0),
    ),
    ad_conversion_rate=0.025,
    ad_lead_rate=0.015,
    csat_per_day=5.0,
    nps_per_day=2.0,
    csat_probs=(0.05, 0.07, 0.16, 0.34, 0.38),
    nps_probs=(0.03, 0.02, 0.02, 0.03, 0.04, 0.07, 0.08, 0.15, 0.2, 0.18, 0.18),
    recipients=(("Jordan Reyes", "jordan.reyes@trailhead.example"),),
)

LEDGERLY = ClientProfile(
    client="demo-ledgerly",
    code="ldg",
    display_name="Ledgerly (demo)",
    industry="B2B fintech SaaS",
    industry_key="fintech",
    timezone="Europe/London",
    currency="GBP",
    brand="Ledgerly",
    colour="#234c8c",
    objective="consideration",
    competitors=(
        Competitor("Fintrio", 60.0, 1.6, (0.40, 0.40, 0.20)),
        Competitor("Paywell", 35.0, 0.8, (0.45, 0.38, 0.17)),
        Competitor("Cashcade", 25.0, 0.5, (0.38, 0.42, 0.20)),
    ),
    gaining_competitor="Paywell",
    sov_growth=1.9,
    brand_mentions_per_day=50.0,
    brand_polarity=(0.42, 0.40, 0.18),
    weekday_multipliers=(1.15, 1.22, 1.20, 1.15, 1.00, 0.60, 0.55),
    month_multipliers=(1.25, 1.05, 1.00, 1.05, 0.98, 0.95, 0.85, 0.80, 1.05, 1.05, 1.00, 0.97),
    level_shift=LevelShift(15, 7, 1.45, 1.5, "rebrand and Xero marketplace listing"),
    spikes=(
        Spike("Series B announcement", 19, 10, 7, 24, 3.0, "funding", (0.65, 0.32, 0.03),
              product="cash-flow dashboard"),
        Spike("feature launch", 5, 20, 9, 36, 2.0, "feature launch", (0.68, 0.27, 0.05),
              product="cash-flow dashboard"),
        Spike("payments outage", 0, 14, 9, 30, 8.0, "outage", (0.01, 0.07, 0.92),
              product="payments", crisis=True, needs_response_rate=0.6),
    ),
    platforms={
        "facebook": PlatformProfile(4200, 2, 1, 0.2, 0.06, 0.015, 1.35,
                                    _fmt(image=0.35, video=0.15, link=0.35, text=0.15),
                                    25, 0.65, 0.006, 7.0, 0.006, has_saves=False),
        "instagram": PlatformProfile(3100, 3, 1, 0.15, 0.15, 0.030, 1.4,
                                     _fmt(image=0.4, carousel=0.3, reel=0.2, video=0.1),
                                     15, 0.60, 0.005, 8.0, 0.005),
        "x": PlatformProfile(12100, 6, 4, 0.7, 0.10, 0.013, 1.6,
                             _fmt(text=0.45, image=0.25, link=0.2, video=0.1),
                             60, 0.65, 0.010, 6.0, 0.005, has_saves=False),
        "linkedin": PlatformProfile(24800, 30, 5, 1.1, 0.18, 0.035, 1.3,
                                    _fmt(text=0.25, image=0.22, link=0.15, carousel=0.2, video=0.18),
                                    180, 0.45, 0.030, 32.0, 0.006, has_saves=False,
                                    video_view_rate=0.45, completion_rate=0.25),
        "tiktok": PlatformProfile(900, 2, 0.5, 0.04, 0.7, 0.040, 1.25,
                                  _fmt(video=0.85, carousel=0.15),
                                  3, 0.70, 0.002, 6.0, 0.008, video_view_rate=0.8),
        "youtube": PlatformProfile(2600, 3, 0.5, 0.08, 0.3, 0.030, 1.3,
                                   _fmt(video=0.6, short=0.3, live=0.1),
                                   20, 0.40, 0.020, 9.0, 0.004, video_view_rate=0.7,
                                   completion_rate=0.4),
    },
    winning_format="video",
    format_multiplier=1.7,
    good_hours=(8, 9),
    hour_multiplier=1.45,
    posting_hour_weights=_B2B_HOURS,
    posting_weekday_weights=(1.25, 1.3, 1.3, 1.25, 1.0, 0.2, 0.15),
    topics={"invoicing": 0.22, "integrations": 0.18, "security": 0.1, "onboarding": 0.14,
            "pricing": 0.18, "customer support": 0.18},
    products=("invoicing module", "expense app", "payroll add-on", "bank feeds",
              "cash-flow dashboard", "VAT returns tool"),
    mention_sources={"linkedin": 0.3, "x": 0.25, "reviews": 0.12, "reddit": 0.1, "news": 0.1,
                     "blogs": 0.08, "youtube": 0.05},
    crisis_sources={"x": 0.4, "linkedin": 0.2, "reddit": 0.2, "news": 0.2},
    has_sentiment_score=True,
    driver_channel="linkedin",
    driver_multiplier=3.0,
    base_conversion_rate=0.015,
    journeys=100_000,
    extra_touches_mean=2.4,
    first_touch_mix={"linkedin": 0.22, "x": 0.08, "facebook": 0.04, "instagram": 0.03, "youtube": 0.05,
                     "tiktok": 0.01, "email": 0.17, "search": 0.28, "direct": 0.12},
    last_touch_mix={"search": 0.3, "direct": 0.3, "email": 0.2, "linkedin": 0.1, "x": 0.04,
                    "facebook": 0.02, "youtube": 0.03, "instagram": 0.01},
    order_value_median=1400.0,
    order_value_sigma=0.5,
    campaigns=(
        Campaign("demand-gen", ("linkedin",), 120.0),
        Campaign("retargeting", ("linkedin", "facebook"), 30.0, retargeting=True),
        Campaign("tax-deadline", ("linkedin", "x", "youtube"), 80.0, flight="yearly",
                 windows=((12, 1, 1, 31),)),
        Campaign("webinar-series", ("linkedin",), 70.0, flight="yearly",
                 windows=((3, 1, 3, 21), (6, 1, 6, 21), (9, 1, 9, 21))),
        Campaign("brand-video", ("youtube",), 40.0, flight="relative", months_before_end=(7, 0)),
    ),
    ad_conversion_rate=0.006,
    ad_lead_rate=0.08,
    csat_per_day=2.0,
    nps_per_day=1.5,
    csat_probs=(0.05, 0.08, 0.17, 0.36, 0.34),
    nps_probs=(0.02, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.18, 0.2, 0.15, 0.13),
    recipients=(("Priya Shah", "priya.shah@ledgerly.example"),
                ("Tom Okafor", "tom.okafor@ledgerly.example")),
)

PROFILES: tuple[ClientProfile, ...] = (LUMIERE, TRAILHEAD, LEDGERLY)
"""The demo clients in generation order."""
