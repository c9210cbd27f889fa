"""What an analysis hands to a report: a titled view with a chart, sentences and recommendations.

Analysis modules build :class:`ReportView` objects from numbers; notebooks only display them
(:func:`kpi_toolkit.display.show`). Keeping the sentences next to the numbers that produced them
means every chart in a report carries its interpretation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Recommendation:
    """A concrete next step and the evidence behind it (plain words, numbers included)."""

    action: str
    evidence: str
    priority: int = 2  # 1 = do first
    source: str = ""   # which analysis produced it: trends, segments, attribution, competitors
    topic: str | tuple[str, ...] = ""  # what it is about (one or several): two analyses that act on the
    #                    same thing share a topic and the report keeps only the most urgent of them, with
    #                    the other's evidence (e.g. "negative-mentions-spike", mentions_topic("product recall"))

    @property
    def topics(self) -> tuple[str, ...]:
        """:attr:`topic` as a tuple (empty when it has none)."""
        return tuple(t for t in ((self.topic,) if isinstance(self.topic, str) else self.topic) if t)


@dataclass
class ReportView:
    """One block of a report.

    ``figure`` is a matplotlib Figure (or None); ``alt_text`` describes it for screen readers and
    mail clients that block images. ``sentences`` interpret the chart in plain words. ``table`` is a
    small display-ready frame (formatted strings are fine). ``skipped_reason`` is set, and the rest
    left empty, when the data needed is missing ("No ads data: CPA and ROAS are not shown").
    ``held_back`` lists what the view presents as a clear finding (or a status) but did not turn into a
    recommendation, each a sentence that names the finding and says why: the report's recommendations
    list says so beside its steps, so that Part 3 never reads "nothing to act on" beside a finding of
    Part 2 called unlikely to be chance.
    """

    key: str
    title: str
    sentences: list[str] = field(default_factory=list)
    figure: Any = None
    alt_text: str = ""
    table: pd.DataFrame | None = None
    caveats: list[str] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)
    skipped_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def skipped(cls, key: str, title: str, reason: str) -> ReportView:
        return cls(key=key, title=title, skipped_reason=reason)


MENTIONS_TOPIC = "mentions about "
"""How the :attr:`Recommendation.topic` of a step about one listening topic begins (:func:`mentions_topic`)."""


def mentions_topic(name: Any) -> str:
    """The :attr:`Recommendation.topic` of a step about the mentions of one listening topic, the same
    whichever section writes it: the trend alert whose rise came mostly from 'product recall' and the
    listening section's most negative topic, product recall, are one step."""
    return MENTIONS_TOPIC + " ".join(str(name).lower().split())


KPI_TOPIC = "kpi "
"""How the :attr:`Recommendation.topic` of a step about one measure begins (:func:`kpi_topic`)."""


def kpi_topic(kpi: str) -> str:
    """The :attr:`Recommendation.topic` of a step about one measure (a registry KPI name), the same
    whichever section writes it: a goal off track and a decline on a year ago in the same measure are
    one step, the second's evidence added to the first's."""
    return KPI_TOPIC + str(kpi)


def snippet(text: Any, width: int) -> str:
    """A post's (or any) text on one line, cut to ``width`` characters with "…"; "" for a blank: how
    reports quote a caption ("TikTok video, 8 Nov: “Meet your new favourite…”")."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    t = " ".join(str(text).split())
    return t if len(t) <= width else t[: width - 1].rstrip() + "…"


def and_words(words: Sequence[str], last: str = "and") -> str:
    """A list as a sentence says it: ``["a"]`` -> ``"a"``, ``["a", "b", "c"]`` -> ``"a, b and c"``
    (``last="or"`` for "a, b or c")."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"
