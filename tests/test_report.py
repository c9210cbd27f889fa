"""Assembly of the monthly report: recommendations ordered and de-duplicated, snapshot wording."""

from __future__ import annotations

from kpi_toolkit.report import _change_text, recommendations
from kpi_toolkit.views import Recommendation, ReportView


def test_recommendations_sorted_and_one_per_topic() -> None:
    a = ReportView(key="trend", title="t", recommendations=[
        Recommendation("Review the recall mentions", "e1", priority=1, topic="negative-mentions-spike"),
        Recommendation("Look into CTR", "e2", priority=2)])
    b = ReportView(key="listening", title="l", recommendations=[
        Recommendation("Review the negative spike", "e3", priority=1, topic="negative-mentions-spike"),
        Recommendation("Post more reels", "e4", priority=1)])
    got = [r.action for r in recommendations([a, b])]
    assert got == ["Review the recall mentions", "Post more reels", "Look into CTR"]


def test_change_text_points_for_rates_percent_for_others() -> None:
    assert _change_text(0.061, 0.058, "fraction") == "+0.3 pts"
    assert _change_text(120.0, 100.0, "count") == "+20 %"
    assert _change_text(2.0, 2.5, "ratio") == "-20 %"
    assert _change_text(1.0, 0.0, "count") == "n/a"


def test_probabilities_are_never_shown_as_certain() -> None:
    from kpi_toolkit.goals import _pct, chance_words

    assert chance_words(0.9995) == "a better than 99 % chance"
    assert chance_words(0.004) == "less than a 1 % chance"
    assert chance_words(0.341) == "a 34 % chance"
    assert (_pct(1.0), _pct(0.0), _pct(0.5)) == ("over 99 %", "under 1 %", "50 %")


def test_month_words_and_initials() -> None:
    from kpi_toolkit.export import _initials
    from kpi_toolkit.periods import month_words

    assert month_words("2026-10") == "October 2026"
    assert _initials("Ledgerly (Demo)") == "LD"
    assert _initials("Lumière Skincare") == "LS"
