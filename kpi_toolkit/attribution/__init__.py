"""Multi-touch attribution: which channels earn the conversions.

Journeys (event-level touchpoints and conversions, or aggregated path files in ChannelAttribution's
format) become a :class:`PathTable` of distinct paths with counts; rule-based models (first, last,
last non-direct, linear, time decay, position based), a Markov chain of order 1-4 with removal
effects solved exactly, and Shapley values over channel coalitions share the conversions and their
value among channels; a bootstrap over journeys gives intervals; ad spend turns credits into CPA and
ROAS. :func:`attribution_view` builds the report's attribution view.

Attribution describes how conversions are *associated* with the channels in the journeys before
them; it is not a causal estimate of what a channel adds (that needs an experiment: a holdout or a
geo test).
"""

from __future__ import annotations

from .core import (
    MODEL_LABELS,
    MODELS,
    AttributionResult,
    attribute,
    channel_spend,
    compare_models,
    run_attribution,
    with_spend,
)
from .heuristics import HEURISTICS, heuristic, touch_fractions
from .markov import MarkovChain, markov, transition_table
from .paths import (
    PATH_COLUMNS,
    PATH_SEP,
    PathTable,
    journeys_from_events,
    paths_from_frame,
    paths_from_sequences,
)
from .shapley import VALUE_FUNCTIONS, ShapleyGame, exact_shapley, shapley, zeta_transform
from .view import CAVEAT, attribution_view, report_view

__all__ = [
    "CAVEAT", "HEURISTICS", "MODELS", "MODEL_LABELS", "PATH_COLUMNS", "PATH_SEP", "VALUE_FUNCTIONS",
    "AttributionResult", "MarkovChain", "PathTable", "ShapleyGame", "attribute", "attribution_view",
    "channel_spend", "compare_models", "exact_shapley", "heuristic", "journeys_from_events", "markov",
    "paths_from_frame", "paths_from_sequences", "report_view", "run_attribution", "shapley",
    "touch_fractions", "transition_table", "with_spend", "zeta_transform",
]
