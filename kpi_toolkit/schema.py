"""The canonical data model: one folder per client, one file per table.

``data/<client>/<table>.csv`` or ``.parquet`` (or a folder ``<table>/`` of Parquet files partitioned
by month, see :mod:`kpi_toolkit.data`). docs/data-model.md is the prose version of this module; the
two must agree (a test checks that every column named here is documented there).

Kinds of column
---------------
``str``       text (ids, names); kept as pandas string dtype
``int``       whole counts (nullable Int64 so that a blank cell stays missing)
``float``     money, scores
``bool``      true/false, 1/0, yes/no
``datetime``  a moment; stored in UTC (naive values are taken as UTC), shown in the client's zone.
              As text: ISO 8601 only, ``YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH[:MM]]`` (a space may
              stand for the ``T``); see :data:`kpi_toolkit.data.DATETIME_PATTERN`
``date``      a calendar day of a daily table (no time zone). As text: ``YYYY-MM-DD`` only; a
              day such as ``10/02/2026`` is refused, never guessed (day and month order differs by
              country)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "int", "float", "bool", "datetime", "date"]

PLATFORMS: tuple[str, ...] = ("facebook", "instagram", "x", "linkedin", "tiktok", "youtube")
"""Platforms a post, an ad or a follower count can belong to."""

CONTENT_TYPES: tuple[str, ...] = (
    "image", "video", "carousel", "text", "link", "story", "reel", "live", "short", "event",
)
"""Known content formats. Others are accepted (platforms invent formats) but warned about."""


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    kind: Kind
    required: bool = True
    nonneg: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    nullable: bool = False
    blank_if_imported: bool = False
    """A required column that may be blank on rows written by ``kpi import`` (``import_file`` set):
    the export left the cell empty or lacks the metric, and the value stays missing, never 0."""
    detail: bool = False
    """Wide or unique values (texts, ids) that a monthly report needs only for the rows of the report
    month and the month before: earlier rows are read without it (see
    :func:`kpi_toolkit.data.load_client`'s ``detail_start``), which keeps a report on tens of millions
    of mentions within memory."""
    categorical: bool = False
    """A text column with few distinct values (source, brand) held as a pandas categorical: one
    byte a row instead of the text, which matters on tables of millions of mentions."""
    detail_unless: str | None = None
    """For a detail column: earlier rows keep it where this other column is blank (``text`` is kept
    where ``sentiment_score`` is missing, because VADER scores those mentions from their text)."""
    doc: str = ""


@dataclass(frozen=True)
class PairCheck:
    """A rule between two count columns of one row: ``column`` must not be larger than ``other``.

    A table names the ones it has in :attr:`Table.checks`. ``error``: the row breaks the data model
    (bounces are single-page sessions, so a row cannot have more bounces than sessions) and the
    table is refused; otherwise a warning (kept): platforms count some of these differently.
    """

    name: str
    column: str
    other: str
    says: str
    """the finding in the model's words, e.g. 'reach is larger than impressions'"""
    why: str
    """what it means and what is done, e.g. 'a platform counting quirk; kept, but check the export'"""
    error: bool = False


PAIR_CHECKS: dict[str, PairCheck] = {c.name: c for c in (
    PairCheck("reach_le_impressions", "reach", "impressions", "reach is larger than impressions",
              "a platform counting quirk; kept, but check the export"),
    PairCheck("clicks_le_impressions", "clicks", "impressions", "more clicks than impressions",
              "a click-through rate above 100 %; some platforms count several clicks per impression; "
              "kept, but check the export"),
    PairCheck("completions_le_views", "video_completions", "video_views", "more video completions than views",
              "a completion rate above 100 %; a platform that counts replays to the end may do this; kept, "
              "but check the export"),
    PairCheck("bounces_le_sessions", "bounces", "sessions", "more bounces than sessions",
              "a bounce is a single-page session, so a bounce rate above 100 % is impossible", error=True),
)}
"""The rules between two columns of a row, by name (see :attr:`Table.checks`)."""


@dataclass(frozen=True)
class OrderCheck:
    """A rule between two time columns of one row: ``column`` must not be earlier than ``after``.

    A table names the ones it has in :attr:`Table.order_checks`; a blank on either side breaks none.
    Breaking one is an error (the table is refused), as for :data:`PAIR_CHECKS` that are impossible
    by definition: a brand cannot answer a mention before it was posted. Such rows mostly come from
    two times written in different zones, which shifts every response time, not only the ones that
    turn negative, so the fix belongs in the export, not in the report.
    """

    name: str
    column: str
    after: str
    says: str
    why: str


ORDER_CHECKS: dict[str, OrderCheck] = {c.name: c for c in (
    OrderCheck("responded_after_published", "responded_at", "published_at", "a response dated before its mention",
               "responded_at is earlier than published_at, and a brand cannot answer a mention before it was "
               "posted; check that both times are in the same time zone"),
)}
"""The rules on the order of two times of a row, by name (see :attr:`Table.order_checks`)."""


IMPORT_FILE_COLUMN = "import_file"
"""Provenance column written by :mod:`kpi_toolkit.importers`: the archived export a row came from."""


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, primary key and the column that places a row in time."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    time_col: str | None = None
    doc: str = ""
    checks: tuple[str, ...] = field(default=())
    """Names of the :data:`PAIR_CHECKS` rules between two columns of a row that this table has."""
    order_checks: tuple[str, ...] = field(default=())
    """Names of the :data:`ORDER_CHECKS` rules between two times of a row that this table has."""

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def optional(self) -> list[str]:
        return [c.name for c in self.columns if not c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def detail(self) -> list[str]:
        """Columns read only from ``detail_start`` on (see :attr:`Column.detail`)."""
        return [c.name for c in self.columns if c.detail]


def _count(name: str, required: bool = True, doc: str = "", blank_if_imported: bool = False) -> Column:
    return Column(name, "int", required=required, nonneg=True, doc=doc,
                  blank_if_imported=blank_if_imported)


POSTS = Table(
    "posts",
    (
        Column("post_id", "str", doc="the platform's id of the post (or a stable id made by the importer)"),
        Column("platform", "str", allowed=PLATFORMS),
        Column("published_at", "datetime", nullable=True,
               doc="when the post went out; may be blank only when published_month is given "
                   "(exports that lack the day of month)"),
        Column("content_type", "str", doc="image, video, carousel, text, link, story, reel, ..."),
        _count("impressions", doc="times the post was shown (lifetime of the post)", blank_if_imported=True),
        _count("reach", doc="unique accounts that saw the post", blank_if_imported=True),
        _count("likes", doc="likes / reactions / favourites", blank_if_imported=True),
        _count("comments", blank_if_imported=True),
        _count("shares", doc="shares / reposts / retweets", blank_if_imported=True),
        _count("saves", required=False),
        _count("clicks", required=False, doc="link clicks"),
        _count("video_views", required=False, doc="video starts (3-second views where the platform counts so)"),
        _count("video_completions", required=False, doc="views to the end (or 95 %)"),
        Column("paid", "bool", required=False, doc="boosted or promoted"),
        Column("campaign", "str", required=False),
        Column("topic", "str", required=False),
        _count("followers_at_post", required=False, doc="page followers on the posting day"),
        Column("text", "str", required=False, doc="the post's text; escaped wherever it is shown"),
        Column("published_month", "str", required=False,
               doc="YYYY-MM, for exports without a full date (then published_at is blank)"),
        Column("published_weekday", "int", required=False, min_value=0, max_value=6,
               doc="0 = Monday … 6 = Sunday, in the client's time zone, for exports without a full date"),
        Column("published_hour", "int", required=False, min_value=0, max_value=23,
               doc="0-23 in the client's time zone, for exports without a full date"),
    ),
    key=("post_id",),
    time_col="published_at",
    doc="One row per published post, with its lifetime metrics.",
    checks=("reach_le_impressions", "clicks_le_impressions", "completions_le_views"),
)

AUDIENCE = Table(
    "audience",
    (
        Column("date", "date"),
        Column("platform", "str", allowed=PLATFORMS),
        _count("followers", doc="followers at the end of the day"),
    ),
    key=("date", "platform"),
    time_col="date",
    doc="Daily follower count per platform.",
)

ADS = Table(
    "ads",
    (
        Column("date", "date"),
        Column("platform", "str", allowed=PLATFORMS),
        Column("campaign", "str"),
        Column("spend", "float", nonneg=True, doc="in the client's currency"),
        _count("impressions"),
        _count("clicks"),
        _count("conversions", blank_if_imported=True,
               doc="platform-reported conversions (Ads Manager leaves 'Results' blank when there were none)"),
        _count("leads", required=False),
        Column("revenue", "float", required=False, nonneg=True, doc="conversion value, client's currency"),
    ),
    key=("date", "platform", "campaign"),
    time_col="date",
    doc="Daily paid-social delivery per campaign.",
    checks=("clicks_le_impressions",),
)

WEB = Table(
    "web",
    (
        Column("date", "date"),
        Column("source", "str", doc="the social source of the traffic (facebook, instagram, ...)"),
        _count("sessions"),
        _count("bounces", required=False, doc="single-page sessions"),
        _count("conversions", required=False),
        Column("revenue", "float", required=False, nonneg=True),
    ),
    key=("date", "source"),
    time_col="date",
    doc="Daily web sessions that came from social, per source.",
    checks=("bounces_le_sessions",),
)

MENTIONS = Table(
    "mentions",
    (
        Column("mention_id", "str", detail=True),
        Column("published_at", "datetime"),
        Column("source", "str", categorical=True,
               doc="where the mention was found: x, instagram, reddit, news, reviews, ..."),
        Column("brand", "str", categorical=True,
               doc="the tracked brand mentioned (the client's own or a competitor's)"),
        Column("topic", "str", required=False, categorical=True),
        Column("sentiment_score", "float", required=False, min_value=-1.0, max_value=1.0,
               doc="-1 (negative) … 1 (positive), from the listening tool"),
        Column("text", "str", required=False, detail=True, detail_unless="sentiment_score"),
        Column("author_id", "str", required=False, detail=True,
               doc="pseudonymised before it reaches a report"),
        _count("reach", required=False),
        _count("engagements", required=False),
        Column("needs_response", "bool", required=False,
               doc="a question or complaint addressed to the brand"),
        Column("responded_at", "datetime", required=False, nullable=True,
               doc="when the brand answered the mention (blank: not answered); never before published_at"),
    ),
    key=("mention_id",),
    time_col="published_at",
    doc="Social-listening mentions of the client's brand and its competitors.",
    order_checks=("responded_after_published",),
)

TOUCHPOINTS = Table(
    "touchpoints",
    (
        Column("user_id", "str"),
        Column("timestamp", "datetime"),
        Column("channel", "str"),
    ),
    time_col="timestamp",
    doc="Marketing touches of a user, for attribution.",
)

CONVERSIONS = Table(
    "conversions",
    (
        Column("user_id", "str"),
        Column("timestamp", "datetime"),
        Column("value", "float", nonneg=True, doc="conversion value in the client's currency"),
    ),
    time_col="timestamp",
    doc="Conversions of a user, for attribution.",
)

COMPETITORS = Table(
    "competitors",
    (
        Column("date", "date"),
        Column("brand", "str", doc="tracked brand; the client's own brand may appear as a row too"),
        Column("platform", "str", allowed=PLATFORMS),
        _count("followers"),
        _count("posts", doc="posts published that day"),
        _count("engagements", doc="engagements on that day's posts"),
    ),
    key=("date", "brand", "platform"),
    time_col="date",
    doc="Public daily metrics of tracked brands (competitors and the client) per platform.",
)

SURVEYS = Table(
    "surveys",
    (
        Column("response_id", "str"),
        Column("date", "date"),
        Column("kind", "str", allowed=("csat", "nps")),
        Column("score", "int", min_value=0, max_value=10, doc="CSAT 1-5, NPS 0-10"),
    ),
    key=("response_id",),
    time_col="date",
    doc="Customer survey answers.",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (POSTS, AUDIENCE, ADS, WEB, MENTIONS, TOUCHPOINTS, CONVERSIONS, COMPETITORS, SURVEYS)
}
"""Every canonical table by name."""
