"""Segmentation: any post KPI by any segment, with intervals, sample-size guards and fair tests.

The questions the seed articles ask an agency to answer about a client's posts: which platform,
format, topic, campaign or audience segment performs best; when posts work best; what drives
engagement; which posts of the month broke out. Every answer here carries the segment's size and an
interval, and segments below ``min_posts`` are shown but never ranked ("too few posts to conclude").

Statistics in one paragraph (docs/segmentation.md has the long version)
------------------------------------------------------------------------
A rate such as engagements / reach is a ratio of sums over posts. Treating every reached account as
an independent trial (a plain Wilson interval) understates the uncertainty, because engagement varies
far more from post to post than a binomial model allows (overdispersion). By default the counts of a
segment are therefore divided by its design effect -- the variance of the ratio estimator over posts
divided by the binomial variance (Kish 1965; Cochran 1977, ch. 6) -- before the Wilson interval and the
chi-square tests are computed: the Rao & Scott (1992) adjustment for clustered binary data, with posts
as the clusters. Per-post KPIs (engagements per post) get percentile bootstrap intervals and are
compared with Kruskal-Wallis and Mann-Whitney tests. Pairwise p-values are corrected for multiple
testing (Holm 1979, via :func:`statsmodels.stats.multitest.multipletests`). The drivers model is a
negative binomial (NB2) regression of a post's engagements with log reach as offset.

Everything is a pure function of the posts frame: DataFrame in, tidy DataFrame out.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .exceptions import NoDataError, ParameterError
from .views import Recommendation, ReportView, and_words, snippet

if TYPE_CHECKING:
    from .context import ReportContext

__all__ = [
    "DRIVER_FACTORS", "HEATMAP_MIN_CELLS", "SEGMENT_COLUMNS", "TOO_FEW", "WEEKDAY_NAMES", "PostMeasure",
    "SegmentComparison", "add_time_segments", "best_posting_times", "best_times_table", "bootstrap_ratio_interval",
    "compare_segments", "correction_name", "design_effect", "driver_recommendations", "driver_sentences",
    "drivers_comparison_table", "drivers_model_text", "drivers_table", "drivers_view", "engagement_drivers",
    "factor_findings", "format_view", "heatmap_platforms", "interval_methods", "interval_methods_table",
    "level_name", "level_phrase", "lookback_posts", "pairwise_table", "percentile_shown", "post_measure",
    "post_tiers", "posting_heatmap", "posting_heatmap_view", "posting_time_grid", "posting_time_view",
    "segment_kpi", "segment_table", "segments_view", "tiers_table", "time_slot_sentences", "time_slot_table",
    "time_slots", "top_posts_view", "wilson_interval", "window_dates", "within_group_sentences",
]

WEEKDAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                  "Sunday")
"""Weekday names by :attr:`pandas.Timestamp.weekday` (0 = Monday)."""

SEGMENT_COLUMNS: tuple[str, ...] = ("platform", "content_type", "topic", "campaign", "paid_status",
                                    "weekday", "weekday_name", "hour", "hour_block")
"""Segment columns every posts frame has after :func:`add_time_segments` (when the source column
exists). Any other column of the frame (an audience segment an importer added) works as well."""

DRIVER_FACTORS: tuple[str, ...] = ("content_type", "platform", "hour_block", "paid_status", "topic")
"""Factors of the drivers model, in the order they are reported."""

TOO_FEW = "too few posts to conclude"
"""The note a segment below the minimum sample size carries instead of a rank."""

MISSING_LEVEL = "(not set)"
OTHER_LEVEL = "(other)"

Interval = Literal["auto", "adjusted", "wilson", "bootstrap"]


# ------------------------------------------------------------------------------------------------
# segment columns


def add_time_segments(posts: pd.DataFrame, *, tz: str = "UTC", hour_block_hours: int = 2) -> pd.DataFrame:
    """Add weekday, hour and paid/organic segment columns in the client's time zone.

    Parameters
    ----------
    posts
        Canonical posts table. ``published_at`` (UTC) is converted to ``tz``; where it is blank the
        export's own ``published_weekday`` / ``published_hour`` (already in the client's zone) are used.
    tz
        The client's IANA time zone (``params.timezone``).
    hour_block_hours
        Width of the ``hour_block`` segment in hours; must divide 24 (1, 2, 3, 4, 6, 8, 12).

    Returns
    -------
    pandas.DataFrame
        A copy with ``weekday`` (0 = Monday … 6 = Sunday), ``weekday_name``, ``hour`` (0-23),
        ``hour_block`` (e.g. ``"18:00-20:59"``) and ``paid_status`` (``"paid"`` / ``"organic"``).
        Missing times stay missing.

    References
    ----------
    .. [1] IANA time zone database, via :mod:`zoneinfo` (PEP 615).
    """
    if hour_block_hours not in (1, 2, 3, 4, 6, 8, 12, 24):
        raise ParameterError(f"hour_block_hours must divide 24 (1, 2, 3, 4, 6, 8 or 12), got {hour_block_hours}")
    out = posts.copy()
    weekday = pd.Series(pd.NA, index=out.index, dtype="Int64")
    hour = pd.Series(pd.NA, index=out.index, dtype="Int64")
    if "published_at" in out.columns:
        local = pd.to_datetime(out["published_at"], utc=True).dt.tz_convert(tz)
        weekday = local.dt.day_of_week.astype("Int64")
        hour = local.dt.hour.astype("Int64")
    if "published_weekday" in out.columns:
        weekday = weekday.fillna(pd.to_numeric(out["published_weekday"]).astype("Int64"))
    if "published_hour" in out.columns:
        hour = hour.fillna(pd.to_numeric(out["published_hour"]).astype("Int64"))
    out["weekday"] = weekday
    names = np.array(WEEKDAY_NAMES, dtype=object)
    out["weekday_name"] = pd.Series(
        [names[int(w)] if pd.notna(w) else pd.NA for w in weekday], index=out.index, dtype="string")
    out["hour"] = hour
    out["hour_block"] = pd.Series([hour_block_label(int(h), hour_block_hours) if pd.notna(h) else pd.NA
                                   for h in hour], index=out.index, dtype="string")
    if "paid" in out.columns:
        paid = out["paid"].astype("boolean")
        status = pd.Series(pd.NA, index=out.index, dtype="string")
        status[paid.fillna(False).to_numpy(dtype=bool)] = "paid"
        status[(~paid).fillna(False).to_numpy(dtype=bool)] = "organic"
        out["paid_status"] = status
    return out


def hour_block_label(hour: int, hour_block_hours: int = 2) -> str:
    """The block an hour falls in, e.g. ``hour_block_label(19, 3) == "18:00-20:59"``."""
    start = (hour // hour_block_hours) * hour_block_hours
    return f"{start:02d}:00-{start + hour_block_hours - 1:02d}:59"


# ------------------------------------------------------------------------------------------------
# the KPI of a post


@dataclass(frozen=True)
class PostMeasure:
    """A KPI taken apart per post: the value of a segment is ``sum(numerator) / sum(denominator)``.

    ``kind`` is ``"rate"`` (a fraction of the denominator: Wilson-type intervals apply),
    ``"per_post"`` (a count averaged over posts; the denominator is 1 per post) or ``"ratio"``
    (any other ratio of sums).
    """

    kpi: str
    label: str
    kind: Literal["rate", "per_post", "ratio"]
    numerator: pd.Series
    denominator: pd.Series
    numerator_name: str = "numerator"
    denominator_name: str = "denominator"
    unit: str = "fraction"


def post_measure(posts: pd.DataFrame, kpi: str) -> PostMeasure:
    """Numerator and denominator of ``kpi`` for every post, from the KPI registry.

    A registry KPI defined on the posts table as a ratio (``engagement_rate_by_reach``,
    ``ctr`` …) gives its per-post numerator and denominator; a count KPI (``engagements``,
    ``reach``) becomes a per-post mean ("engagements per post"). Blank cells stay missing: a post
    with a blank numerator or denominator is left out of that KPI's sums by the caller.

    References
    ----------
    .. [1] See :mod:`kpi_toolkit.kpis` for each KPI's published definition.
    """
    from .kpis import post_measure as _registry_post_measure

    return _registry_post_measure(posts, kpi)


# ------------------------------------------------------------------------------------------------
# intervals


def wilson_interval(successes: Any, trials: Any, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion; counts may be fractional (effective counts).

    Parameters
    ----------
    successes, trials
        Scalars or arrays. Zero trials give NaN.
    confidence
        Two-sided confidence level.

    Returns
    -------
    (low, high)
        Arrays of the interval's bounds.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. JASA 22(158), 209-212.
    .. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
       comparison of seven methods. Statistics in Medicine 17, 857-872 (method 3).
    """
    from scipy.stats import norm

    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def design_effect(numerator: Any, denominator: Any) -> float:
    """Design effect of a ratio-of-sums rate whose trials are clustered in posts.

    The variance of the ratio estimator ``R = sum(y) / sum(n)`` over ``m`` posts (linearisation,
    Cochran 1977, eq. 6.9, with the ``m / (m - 1)`` small-sample factor) divided by the binomial
    variance ``R (1 - R) / sum(n)`` that treats every reached account as an independent trial
    (Kish 1965). Values above 1 mean overdispersion: the plain binomial interval is too narrow by a
    factor ``sqrt(deff)``.

    Returns NaN for fewer than two posts and 1.0 when the rate is 0 or 1 (no binomial variance to
    compare with).

    References
    ----------
    .. [1] Cochran, W. G. (1977). Sampling Techniques, 3rd ed., Wiley, section 6.4.
    .. [2] Kish, L. (1965). Survey Sampling. Wiley, section 8.2.
    .. [3] Rao, J. N. K. & Scott, A. J. (1992). A simple method for the analysis of clustered binary
       data. Biometrics 48(2), 577-585.
    """
    y = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    m = len(y)
    total_n = n.sum()
    if m < 2 or total_n <= 0:
        return float("nan")
    r = y.sum() / total_n
    if r <= 0 or r >= 1:
        return 1.0
    var_ratio = m / (m - 1) * np.sum((y - r * n) ** 2) / total_n**2
    var_binom = r * (1 - r) / total_n
    return float(var_ratio / var_binom)


def bootstrap_ratio_interval(numerator: Any, denominator: Any, *, confidence: float = 0.95,
                             n_boot: int = 2000, seed: int | Sequence[int] = 42) -> tuple[float, float]:
    """Percentile interval of ``sum(numerator) / sum(denominator)`` from a post-level bootstrap.

    Posts are resampled with replacement (a cluster bootstrap: every post keeps its own numerator
    and denominator), so between-post variation is carried into the interval. With a denominator of
    1 per post this is the ordinary bootstrap of a mean.

    References
    ----------
    .. [1] Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall,
       ch. 13 (percentile intervals).
    .. [2] Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application.
       Cambridge University Press, section 3.8 (resampling clusters; ratio estimators, ex. 2.9).
    """
    y = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    m = len(y)
    if m < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    ratios = np.empty(n_boot)
    block = max(1, min(n_boot, 2_000_000 // m))
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        idx = rng.integers(0, m, size=(stop - start, m))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios[start:stop] = y[idx].sum(axis=1) / n[idx].sum(axis=1)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(ratios, [tail, 1 - tail])
    return float(lo), float(hi)


# ------------------------------------------------------------------------------------------------
# segments


@dataclass
class _Prepared:
    frame: pd.DataFrame       # posts with segment columns, rows with a usable KPI value only
    measure: PostMeasure
    by: list[str]
    n_missing_kpi: int
    n_missing_segment: int


def _as_list(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _prepare(posts: pd.DataFrame | None, kpi: str, by: Sequence[str], *, tz: str, hour_block_hours: int,
             drop_missing_segment: bool = True) -> _Prepared:
    if posts is None or len(posts) == 0:
        raise NoDataError("no posts to segment (the posts table is missing or empty)")
    frame = add_time_segments(posts, tz=tz, hour_block_hours=hour_block_hours)
    unknown = [c for c in by if c not in frame.columns]
    if unknown:
        known = [c for c in SEGMENT_COLUMNS if c in frame.columns] + [
            c for c in frame.columns if c not in SEGMENT_COLUMNS and frame[c].dtype != float]
        raise ParameterError(f"posts: no segment column '{unknown[0]}' "
                             f"(available: {', '.join(dict.fromkeys(known))})")
    m = post_measure(frame, kpi)
    num = pd.to_numeric(m.numerator, errors="coerce").astype("float64")
    den = pd.to_numeric(m.denominator, errors="coerce").astype("float64")
    ok = num.notna() & den.notna()
    n_missing_kpi = int((~ok).sum())
    frame = frame.assign(_num=num, _den=den)[ok.to_numpy()]
    seg_ok = frame[list(by)].notna().all(axis=1) if by else pd.Series(True, index=frame.index)
    n_missing_segment = int((~seg_ok).sum())
    if drop_missing_segment:
        frame = frame[seg_ok.to_numpy()]
    if len(frame) == 0:
        raise NoDataError(f"no posts with a value for {m.label} (all {len(posts)} have blank "
                          f"{m.numerator_name} or {m.denominator_name})")
    return _Prepared(frame, m, list(by), n_missing_kpi, n_missing_segment)


def _segment_label(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return " / ".join(str(p) for p in parts)


def segment_kpi(
    posts: pd.DataFrame,
    kpi: str = "engagement_rate_by_reach",
    *,
    by: str | Sequence[str] = "content_type",
    tz: str = "UTC",
    min_posts: int = 20,
    confidence: float = 0.95,
    interval: Interval = "auto",
    n_boot: int = 2000,
    seed: int = 42,
    hour_block_hours: int = 2,
) -> pd.DataFrame:
    """A KPI by segment: value with interval, size, lift against the overall value, rank.

    Parameters
    ----------
    posts
        Canonical posts table (any period; slice it before calling).
    kpi
        A registry KPI defined on posts (see :func:`post_measure`).
    by
        One or more segment columns: ``platform``, ``content_type``, ``topic``, ``campaign``,
        ``paid_status``, ``weekday`` / ``weekday_name``, ``hour``, ``hour_block`` (times in ``tz``),
        or any other column of ``posts`` (an audience segment).
    tz
        The client's time zone, for weekday and hour.
    min_posts
        Segments with fewer posts get ``enough_posts = False``, the note "too few posts to
        conclude" and no rank.
    confidence
        Level of the intervals.
    interval
        ``"auto"``: design-effect adjusted Wilson for rates (``"adjusted"``), bootstrap otherwise;
        ``"wilson"``: plain Wilson, every unit of the denominator a trial; ``"bootstrap"``: post-level
        (cluster) percentile bootstrap.
    n_boot, seed
        Bootstrap resamples and seed (deterministic output).
    hour_block_hours
        Width of the ``hour_block`` segment.

    Returns
    -------
    pandas.DataFrame
        One row per segment, sorted by segment: the ``by`` columns, ``n_posts``, ``numerator``,
        ``denominator``, ``value`` (ratio of sums), ``ci_low``, ``ci_high``, ``design_effect``
        (rates), ``lift`` (``value / overall - 1``), ``enough_posts``, ``rank`` (1 = best, only among
        segments with enough posts) and ``note``. ``attrs`` holds ``kpi``, ``label``, ``kind``,
        ``overall``, ``overall_ci``, ``n_posts``, ``n_missing_kpi`` (posts dropped because a cell the
        KPI needs is blank), ``n_missing_segment``, ``interval`` and ``confidence``.

    References
    ----------
    .. [1] Wilson (1927); Rao & Scott (1992); Efron & Tibshirani (1993) -- see
       :func:`wilson_interval`, :func:`design_effect`, :func:`bootstrap_ratio_interval`.
    .. [2] Looker Studio / ad platforms: rates over a period as SUM(numerator) / SUM(denominator).
    """
    by_list = _as_list(by)
    if not by_list:
        raise ParameterError("segment_kpi: give at least one segment column in 'by'")
    _check_common(min_posts=min_posts, confidence=confidence, interval=interval)
    prep = _prepare(posts, kpi, by_list, tz=tz, hour_block_hours=hour_block_hours,
                    drop_missing_segment=False)
    all_num, all_den = prep.frame["_num"].to_numpy(), prep.frame["_den"].to_numpy()
    overall, overall_ci, _ = _value_and_interval(all_num, all_den, prep.measure.kind, interval=interval,
                                                 confidence=confidence, n_boot=n_boot, seed=(seed, 0))
    frame = prep.frame[prep.frame[by_list].notna().all(axis=1).to_numpy()]
    rows = []
    for i, (key, g) in enumerate(frame.groupby(by_list, sort=True, dropna=True)):
        num, den = g["_num"].to_numpy(), g["_den"].to_numpy()
        value, (lo, hi), deff = _value_and_interval(num, den, prep.measure.kind, interval=interval,
                                                    confidence=confidence, n_boot=n_boot, seed=(seed, i + 1))
        keys = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by_list, keys, strict=True)), "n_posts": len(g),
                     "numerator": float(num.sum()), "denominator": float(den.sum()), "value": value,
                     "ci_low": lo, "ci_high": hi, "design_effect": deff})
    out = pd.DataFrame(rows, columns=[*by_list, "n_posts", "numerator", "denominator", "value", "ci_low",
                                      "ci_high", "design_effect"])
    out["n_posts"] = out["n_posts"].astype("int64")
    if "weekday_name" in by_list:   # Monday … Sunday, not alphabetical
        order = {name: i for i, name in enumerate(WEEKDAY_NAMES)}
        out = out.sort_values(by_list, key=lambda c: c.map(order) if c.name == "weekday_name" else c,
                              kind="stable").reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["lift"] = out["value"] / overall - 1 if overall and np.isfinite(overall) else np.nan
    out["enough_posts"] = out["n_posts"] >= min_posts
    ranked = out["value"].where(out["enough_posts"])
    out["rank"] = ranked.rank(ascending=False, method="min").astype("Int64")
    out["note"] = np.where(out["enough_posts"], "", TOO_FEW)
    out["note"] = out["note"].astype("string")
    out.attrs.update(kpi=kpi, label=prep.measure.label, kind=prep.measure.kind, unit=prep.measure.unit,
                     numerator=prep.measure.numerator_name, denominator=prep.measure.denominator_name,
                     overall=overall,
                     overall_ci=overall_ci, n_posts=len(prep.frame), n_missing_kpi=prep.n_missing_kpi,
                     n_missing_segment=prep.n_missing_segment, interval=_interval_name(prep.measure.kind, interval),
                     confidence=confidence, min_posts=min_posts, by=by_list)
    return out


def _check_common(*, min_posts: int, confidence: float, interval: str = "auto") -> None:
    if not isinstance(min_posts, int | np.integer) or min_posts < 1:
        raise ParameterError(f"min_posts must be a whole number >= 1, got {min_posts!r}")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    if interval not in ("auto", "adjusted", "wilson", "bootstrap"):
        raise ParameterError(f"interval must be 'auto', 'adjusted', 'wilson' or 'bootstrap', got {interval!r}")


def _interval_name(kind: str, interval: str) -> str:
    if interval == "auto":
        return "adjusted" if kind == "rate" else "bootstrap"
    return interval


def _value_and_interval(num: np.ndarray, den: np.ndarray, kind: str, *, interval: str, confidence: float,
                        n_boot: int, seed: Any) -> tuple[float, tuple[float, float], float]:
    total_num, total_den = float(num.sum()), float(den.sum())
    value = total_num / total_den if total_den > 0 else float("nan")
    method = _interval_name(kind, interval)
    deff = design_effect(num, den) if kind == "rate" else float("nan")
    if kind == "rate" and method in ("adjusted", "wilson") and 0 <= total_num <= total_den:
        d = 1.0 if method == "wilson" else max(deff, 1.0)
        if np.isnan(d):
            return value, (float("nan"), float("nan")), deff
        lo, hi = wilson_interval(total_num / d, total_den / d, confidence=confidence)
        return value, (float(lo), float(hi)), deff
    lo, hi = bootstrap_ratio_interval(num, den, confidence=confidence, n_boot=n_boot, seed=seed)
    return value, (lo, hi), deff


# ------------------------------------------------------------------------------------------------
# comparing segments


@dataclass
class SegmentComparison:
    """Whether segments differ: an omnibus test, an effect size and corrected pairwise tests."""

    kpi: str
    label: str
    by: list[str]
    test: str
    statistic: float
    dof: int
    p_value: float
    effect_size: float
    effect_size_name: str
    pairwise: pd.DataFrame
    compared: list[str]
    too_small: list[str] = field(default_factory=list)
    correction: str = "holm"
    alpha: float = 0.05
    unit: str = "fraction"

    @property
    def significant(self) -> bool:
        return bool(np.isfinite(self.p_value) and self.p_value < self.alpha)

    def sentence(self) -> str:
        """The omnibus result in plain words."""
        what = " × ".join(_plain_column(b) for b in self.by)
        if len(self.compared) < 2:
            small = [level_name(self.by[0], s) if len(self.by) == 1 else s for s in self.too_small]
            return (f"Too few posts to compare {what}s: fewer than two have enough posts"
                    f"{' (' + ', '.join(small) + ' are too small)' if small else ''}.")
        verdict = (f"are unlikely to be chance ({format_p(self.p_value)})" if self.significant else
                   f"could be chance ({format_p(self.p_value)})")
        return (f"The differences in {_lower(self.label)} between {len(self.compared)} {what}s {verdict}; "
                f"{self.effect_size_name} = {self.effect_size:.2f} ({self.test}).")


def compare_segments(
    posts: pd.DataFrame,
    kpi: str = "engagement_rate_by_reach",
    *,
    by: str | Sequence[str] = "content_type",
    tz: str = "UTC",
    min_posts: int = 20,
    confidence: float = 0.95,
    method: Literal["auto", "adjusted", "chi2", "kruskal"] = "auto",
    correction: str = "holm",
    hour_block_hours: int = 2,
) -> SegmentComparison:
    """Test whether a KPI differs between segments, with effect sizes and corrected pairwise tests.

    Only segments with at least ``min_posts`` posts take part; the others are listed in
    ``too_small``.

    Parameters
    ----------
    method
        ``"auto"``: ``"adjusted"`` for rates, ``"kruskal"`` for per-post KPIs.
        ``"adjusted"``: chi-square test of homogeneity and pairwise two-proportion z-tests on counts
        divided by each segment's design effect (Rao & Scott 1992), effect sizes Cramér's V and
        Cohen's h. ``"chi2"``: the same on the raw counts (every unit of the denominator an
        independent trial; too optimistic when posts differ). ``"kruskal"``: Kruskal-Wallis on the
        per-post values (for a rate: each post's own rate) with pairwise Mann-Whitney U tests, effect
        sizes epsilon squared and the rank-biserial correlation.
    correction
        Any ``statsmodels.stats.multitest.multipletests`` method (``"holm"``, ``"fdr_bh"`` …).

    Returns
    -------
    SegmentComparison
        ``pairwise`` has ``segment_a``, ``segment_b``, ``n_posts_a``, ``n_posts_b``, ``value_a``,
        ``value_b``, ``ratio`` (a / b), ``effect_size``, ``effect_size_name``, ``p_value``,
        ``p_adjusted`` and ``significant`` (adjusted p below ``1 - confidence``).

    References
    ----------
    .. [1] Rao, J. N. K. & Scott, A. J. (1992). A simple method for the analysis of clustered binary
       data. Biometrics 48(2), 577-585.
    .. [2] Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
       JASA 47(260), 583-621. Effect size: Tomczak, M. & Tomczak, E. (2014), Trends in Sport
       Sciences 21(1), 19-25 (epsilon squared).
    .. [3] Mann, H. B. & Whitney, D. R. (1947). Annals of Mathematical Statistics 18(1), 50-60;
       rank-biserial correlation: Kerby, D. S. (2014), Comprehensive Psychology 3, 11.IT.3.1.
    .. [4] Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
       (Cohen's h, section 6.2; Cramér's V, section 7.2).
    .. [5] Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
       Journal of Statistics 6(2), 65-70.
    """
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    by_list = _as_list(by)
    _check_common(min_posts=min_posts, confidence=confidence)
    if method not in ("auto", "adjusted", "chi2", "kruskal"):
        raise ParameterError(f"method must be 'auto', 'adjusted', 'chi2' or 'kruskal', got {method!r}")
    prep = _prepare(posts, kpi, by_list, tz=tz, hour_block_hours=hour_block_hours)
    kind = prep.measure.kind
    if method == "auto":
        method = "adjusted" if kind == "rate" else "kruskal"
    if method in ("adjusted", "chi2") and kind != "rate":
        raise ParameterError(f"method {method!r} needs a rate KPI; {prep.measure.label} is {kind.replace('_', ' ')} "
                             "(use method='kruskal')")
    groups: dict[str, pd.DataFrame] = {}
    too_small: list[str] = []
    for key, g in prep.frame.groupby(by_list, sort=True):
        label = _segment_label(key)
        (groups.__setitem__(label, g) if len(g) >= min_posts else too_small.append(label))
    labels = list(groups)
    alpha = 1 - confidence
    pair_cols = ["segment_a", "segment_b", "n_posts_a", "n_posts_b", "value_a", "value_b", "ratio",
                 "effect_size", "effect_size_name", "p_value", "p_adjusted", "significant"]
    test_name = {"adjusted": "Rao-Scott adjusted chi-square test", "chi2": "chi-square test",
                 "kruskal": "Kruskal-Wallis test"}[method]
    es_name = "Kruskal-Wallis epsilon squared" if method == "kruskal" else "Cramér's V"
    empty = SegmentComparison(kpi, prep.measure.label, by_list, test_name, float("nan"), 0, float("nan"),
                              float("nan"), es_name, pd.DataFrame(columns=pair_cols), labels, too_small,
                              correction, alpha, prep.measure.unit)
    if len(labels) < 2:
        return empty

    pairs = []
    if method in ("adjusted", "chi2"):
        x = np.array([groups[s]["_num"].sum() for s in labels], dtype=float)
        n = np.array([groups[s]["_den"].sum() for s in labels], dtype=float)
        if np.any(x > n):
            raise ParameterError(f"{prep.measure.label}: a segment has more {prep.measure.numerator_name} "
                                 f"than {prep.measure.denominator_name}, so it is not a proportion "
                                 "(use method='kruskal')")
        if method == "adjusted":
            d = np.array([max(design_effect(groups[s]["_num"], groups[s]["_den"]), 1.0) for s in labels])
            x, n = x / d, n / d
        table = np.vstack([x, n - x])
        keep = table.sum(axis=1) > 0
        if keep.sum() < 2:   # every segment at 0 % (or 100 %): nothing differs
            stat, p, dof = 0.0, 1.0, len(labels) - 1
        else:
            stat, p, dof, _ = stats.chi2_contingency(table, correction=False)
        effect = math.sqrt(stat / n.sum()) if n.sum() > 0 else float("nan")
        p_rates = x / n
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                pij = _two_proportion_p(x[i], n[i], x[j], n[j])
                h = 2 * math.asin(math.sqrt(p_rates[i])) - 2 * math.asin(math.sqrt(p_rates[j]))
                pairs.append((labels[i], labels[j], p_rates[i], p_rates[j], h, "Cohen's h", pij))
        values = {s: groups[s]["_num"].sum() / groups[s]["_den"].sum() for s in labels}
    else:
        per_post = {s: _per_post_values(groups[s], kind) for s in labels}
        samples = [v for v in per_post.values()]
        if len({float(v) for s in samples for v in s}) < 2:
            stat, p = 0.0, 1.0
        else:
            stat, p = stats.kruskal(*samples)
        total = sum(len(s) for s in samples)
        effect = float(stat) / (total - 1) if total > 1 else float("nan")
        dof = len(labels) - 1
        values = {s: groups[s]["_num"].sum() / groups[s]["_den"].sum() for s in labels}
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                a, b = per_post[labels[i]], per_post[labels[j]]
                if len(set(a) | set(b)) < 2:
                    u, pij = len(a) * len(b) / 2, 1.0
                else:
                    u, pij = stats.mannwhitneyu(a, b, alternative="two-sided")
                rb = 2 * float(u) / (len(a) * len(b)) - 1
                pairs.append((labels[i], labels[j], values[labels[i]], values[labels[j]], rb,
                              "rank-biserial correlation", float(pij)))
    pw = pd.DataFrame(pairs, columns=["segment_a", "segment_b", "value_a", "value_b", "effect_size",
                                      "effect_size_name", "p_value"])
    pw.insert(2, "n_posts_a", [len(groups[s]) for s in pw["segment_a"]])
    pw.insert(3, "n_posts_b", [len(groups[s]) for s in pw["segment_b"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        pw.insert(6, "ratio", pw["value_a"] / pw["value_b"])
    pvals = pw["p_value"].to_numpy(dtype=float)
    reject, p_adj, _, _ = multipletests(pvals, alpha=alpha, method=correction)
    pw["p_adjusted"] = p_adj
    pw["significant"] = reject.astype(bool)
    pw = pw[pair_cols]
    return SegmentComparison(kpi, prep.measure.label, by_list, test_name, float(stat), int(dof), float(p),
                             float(effect), es_name, pw, labels, too_small, correction, alpha, prep.measure.unit)


def _two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided pooled two-proportion z-test (statsmodels ``proportions_ztest``)."""
    from statsmodels.stats.proportion import proportions_ztest

    pooled = (x1 + x2) / (n1 + n2)
    if pooled <= 0 or pooled >= 1:
        return 1.0
    _, p = proportions_ztest(np.array([x1, x2]), np.array([n1, n2]))
    return float(p)


def _per_post_values(g: pd.DataFrame, kind: str) -> np.ndarray:
    num, den = g["_num"].to_numpy(dtype=float), g["_den"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = num / den
    return v[np.isfinite(v)]


def format_p(p: float) -> str:
    """``p = 0.012`` / ``p < 0.001`` for sentences (:func:`kpi_toolkit.trends.format_p`)."""
    if p is None or not np.isfinite(p):
        return "p not available"
    from .trends.significance import format_p as _format_p

    return _format_p(p)


def _plain_column(col: str) -> str:
    return {"content_type": "format", "paid_status": "paid / organic group", "hour_block": "time slot",
            "weekday": "weekday", "weekday_name": "weekday", "hour": "hour"}.get(col, col.replace("_", " "))


# ------------------------------------------------------------------------------------------------
# best time to post


def posting_time_grid(
    posts: pd.DataFrame,
    kpi: str = "engagement_rate_by_reach",
    *,
    tz: str = "UTC",
    by: str | Sequence[str] = "platform",
    min_posts: int = 20,
    confidence: float = 0.95,
    hour_block_hours: int = 2,
    interval: Interval = "auto",
    n_boot: int = 1000,
    seed: int = 42,
) -> pd.DataFrame:
    """The KPI by weekday × time slot (per platform by default), cells below ``min_posts`` masked.

    Returns the tidy frame of :func:`segment_kpi` over ``[*by, "weekday", "hour_block"]`` with
    ``weekday_name`` and ``masked`` (``True`` where the cell has too few posts). Every weekday × slot
    combination is present (empty cells with ``n_posts = 0``), so a heatmap has no holes. ``lift``
    is against the value of the cell's own ``by`` group (a platform's cell against that platform).

    References
    ----------
    .. [1] See :func:`segment_kpi`; the weekday × hour heatmap is the usual "best time to post" view
       of social-media tools (Sprout Social, Hootsuite), here with a minimum sample per cell.
    """
    by_list = _as_list(by)
    seg = segment_kpi(posts, kpi, by=[*by_list, "weekday", "hour_block"], tz=tz, min_posts=min_posts,
                      confidence=confidence, interval=interval, n_boot=n_boot, seed=seed,
                      hour_block_hours=hour_block_hours)
    blocks = [hour_block_label(h, hour_block_hours) for h in range(0, 24, hour_block_hours)]
    outer = seg[by_list].drop_duplicates() if by_list else pd.DataFrame(index=[0])
    full = outer.merge(pd.DataFrame({"weekday": pd.array(range(7), dtype="Int64")}), how="cross").merge(
        pd.DataFrame({"hour_block": pd.array(blocks, dtype="string")}), how="cross")
    grid = full.merge(seg, on=[*by_list, "weekday", "hour_block"], how="left")
    grid["n_posts"] = grid["n_posts"].fillna(0).astype("int64")
    grid["enough_posts"] = grid["enough_posts"].astype("boolean").fillna(False).astype(bool)
    grid["note"] = grid["note"].fillna(TOO_FEW)
    grid["weekday_name"] = pd.array([WEEKDAY_NAMES[int(w)] for w in grid["weekday"]], dtype="string")
    grid["masked"] = ~grid["enough_posts"]
    if by_list:   # lift against the group's own value (a platform against itself, not all platforms)
        tot = grid.groupby(by_list)[["numerator", "denominator"]].transform("sum")
        with np.errstate(divide="ignore", invalid="ignore"):
            grid["lift"] = grid["value"] / (tot["numerator"] / tot["denominator"]) - 1
    # rank within each platform (or whatever `by` is), cells with enough posts only
    ranked = grid["value"].where(grid["enough_posts"])
    if by_list:
        grid["rank"] = ranked.groupby([grid[c] for c in by_list]).rank(ascending=False, method="min")
    else:
        grid["rank"] = ranked.rank(ascending=False, method="min")
    grid["rank"] = grid["rank"].astype("Int64")
    grid.attrs.update(seg.attrs, hour_block_hours=hour_block_hours, by=by_list)
    return grid


def best_posting_times(grid: pd.DataFrame, *, top: int = 3) -> pd.DataFrame:
    """The ``top`` ranked cells of a :func:`posting_time_grid` (per ``by`` group), best first."""
    by_list = list(grid.attrs.get("by", []))
    ok = grid[grid["rank"].notna()].sort_values([*by_list, "rank", "weekday", "hour_block"])
    if by_list:
        ok = ok.groupby(by_list, sort=True).head(top)
    else:
        ok = ok.head(top)
    out = ok.reset_index(drop=True)
    out.attrs = dict(grid.attrs)
    return out


def time_slots(
    posts: pd.DataFrame,
    kpi: str = "engagement_rate_by_reach",
    *,
    tz: str = "UTC",
    by: str | Sequence[str] = "platform",
    min_posts: int = 20,
    confidence: float = 0.95,
    hour_block_hours: int = 2,
) -> pd.DataFrame:
    """The KPI by time slot of the day (per platform), relative to the platform's own value.

    :func:`segment_kpi` over ``[*by, "hour_block"]``, plus ``group_value`` (the ratio of sums of the
    whole ``by`` group), ``relative`` = ``value / group_value`` with ``relative_low`` /
    ``relative_high`` (the interval divided by the same), ``lift`` against the group, and
    ``above_usual`` / ``below_usual`` (the interval lies entirely above / below the group's value).
    Relative values put platforms with very different rates on one scale. Rank is within the group.

    References
    ----------
    .. [1] See :func:`segment_kpi`.
    """
    by_list = _as_list(by)
    seg = segment_kpi(posts, kpi, by=[*by_list, "hour_block"], tz=tz, min_posts=min_posts,
                      confidence=confidence, hour_block_hours=hour_block_hours)
    out = _group_relative(seg, by_list)
    out.attrs.update(seg.attrs, hour_block_hours=hour_block_hours, by=by_list)
    return out


def _group_relative(seg: pd.DataFrame, by_list: list[str]) -> pd.DataFrame:
    out = seg.copy()
    if by_list:
        tot = out.groupby(by_list)[["numerator", "denominator"]].transform("sum")
        ranked = out["value"].where(out["enough_posts"])
        out["rank"] = ranked.groupby([out[c] for c in by_list]).rank(ascending=False, method="min").astype("Int64")
    else:
        tot = pd.DataFrame({"numerator": out["numerator"].sum(), "denominator": out["denominator"].sum()},
                           index=out.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        group = tot["numerator"] / tot["denominator"]
        out["group_value"] = group
        out["relative"] = out["value"] / group
        out["relative_low"] = out["ci_low"] / group
        out["relative_high"] = out["ci_high"] / group
    out["lift"] = out["relative"] - 1
    out["above_usual"] = (out["ci_low"] > group).fillna(False).astype(bool) & out["enough_posts"]
    out["below_usual"] = (out["ci_high"] < group).fillna(False).astype(bool) & out["enough_posts"]
    return out


# ------------------------------------------------------------------------------------------------
# drivers: negative binomial regression


def engagement_drivers(
    posts: pd.DataFrame,
    kpi: str = "engagement_rate_by_reach",
    *,
    tz: str = "UTC",
    factors: Sequence[str] = DRIVER_FACTORS,
    references: dict[str, str] | None = None,
    min_posts: int = 20,
    confidence: float = 0.95,
    hour_block_hours: int = 2,
    correction: str = "holm",
    model: Literal["negative_binomial", "poisson"] = "negative_binomial",
) -> pd.DataFrame:
    """What drives engagement: a negative binomial regression of each post's count on its factors.

    The KPI's per-post numerator (engagements) is the outcome and its denominator (reach) the
    exposure, entering as ``log(reach)`` offset, so ``exp(coefficient)`` is an incidence-rate ratio:
    how many times the engagements per reach of a level are those of the reference level, the other
    factors held fixed. NB2 variance ``mu + alpha mu^2``; ``alpha`` is estimated by maximum
    likelihood (the NB GLM at the estimated alpha).

    The NB2 fit weights posts more equally than a ratio of sums does (its weights fall with the
    post's expected count), so its ratios describe a *typical* post: when a few very large posts of a
    format have low rates, the format's ratio-of-sums rate (:func:`segment_kpi`) and its ratio here
    can disagree. ``model="poisson"`` fits Poisson quasi-likelihood with robust (sandwich) errors
    instead, whose single-factor ratios reproduce the ratio-of-sums rates exactly.

    Levels with fewer than ``min_posts`` posts are pooled into ``"(other)"``; a factor left with one
    level is dropped. Blank cells: when a factor has fewer than ``min_posts`` of them those posts are
    left out (``attrs["n_blank"]``), otherwise blank is a level of its own, ``"(not set)"``. The reference of a factor is its
    most common level unless ``references`` names one. Posts with a blank or zero exposure are left
    out (counted in ``attrs["n_dropped"]``).

    Returns
    -------
    pandas.DataFrame
        One row per factor level (the reference included, with ``irr = 1``): ``factor``, ``level``,
        ``reference``, ``is_reference``, ``n_posts``, ``irr``, ``ci_low``, ``ci_high``, ``p_value``,
        ``p_adjusted`` (over all non-reference levels), ``significant`` (adjusted p below
        ``1 - confidence``) and ``enough_posts``. ``attrs``: ``alpha`` (dispersion), ``n_posts``,
        ``n_dropped``, ``converged``, ``model``, ``dropped_factors``, ``pooled``, ``label``.

    References
    ----------
    .. [1] Cameron, A. C. & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed.
       Cambridge University Press, section 3.3 (NB2) and 3.4 (exposure / offset).
    .. [2] Hilbe, J. M. (2011). Negative Binomial Regression, 2nd ed. Cambridge University Press,
       ch. 6-8 (incidence-rate ratios).
    .. [3] statsmodels ``statsmodels.discrete.discrete_model.NegativeBinomial``.
    .. [4] Wedderburn, R. W. M. (1974). Quasi-likelihood functions, generalized linear models, and
       the Gauss-Newton method. Biometrika 61(3), 439-447; White, H. (1980), Econometrica 48(4),
       817-838 (robust errors) -- for ``model="poisson"``.
    """
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    _check_common(min_posts=min_posts, confidence=confidence)
    if model not in ("negative_binomial", "poisson"):
        raise ParameterError(f"model must be 'negative_binomial' or 'poisson', got {model!r}")
    references = dict(references or {})
    prep = _prepare(posts, kpi, [], tz=tz, hour_block_hours=hour_block_hours)
    if prep.measure.kind == "per_post":
        raise ParameterError(f"engagement_drivers needs a ratio KPI (a count per exposure such as "
                             f"engagement_rate_by_reach), not {prep.measure.label}")
    frame = prep.frame
    positive = frame["_den"] > 0
    n_zero_exposure = int((~positive).sum())
    n_dropped = prep.n_missing_kpi + n_zero_exposure
    frame = frame[positive.to_numpy()]
    y_all = frame["_num"].to_numpy(dtype=float)
    if np.any(np.abs(y_all - np.round(y_all)) > 1e-9):
        raise ParameterError(f"engagement_drivers: {prep.measure.numerator_name} of {prep.measure.label} "
                             "is not a count")
    cols: dict[str, pd.Series] = {}
    pooled: dict[str, list[str]] = {}
    dropped: list[str] = []
    n_blank: dict[str, int] = {}
    for f in factors:
        if f not in frame.columns or frame[f].isna().all():
            dropped.append(f"{f} (not in the data)")
            continue
        blank = frame[f].isna()
        if 0 < blank.sum() < min_posts:   # a few blank cells: leave those posts out, say how many
            n_blank[f] = int(blank.sum())
            frame = frame[~blank.to_numpy()]
    for f in factors:
        if f not in frame.columns or frame[f].isna().all():
            continue
        s = frame[f].astype("string").fillna(MISSING_LEVEL)
        counts = s.value_counts()
        small = [str(v) for v in counts.index if counts[v] < min_posts and v != references.get(f)]
        if small:
            s = s.where(~s.isin(small), OTHER_LEVEL)
            pooled[f] = small
        if s.nunique() < 2:
            dropped.append(f"{f} (one level)")
            continue
        cols[f] = s
    n_dropped += sum(n_blank.values())
    if len(frame) < 2 * min_posts:
        raise NoDataError(f"too few posts to model drivers ({len(frame)} with a {prep.measure.denominator_name}; "
                          f"need at least {2 * min_posts})")
    design = [np.ones(len(frame))]
    names = ["const"]
    meta = []
    for f, s in cols.items():
        counts = s.value_counts()
        ref = references.get(f)
        if ref is not None and ref not in counts.index:
            raise ParameterError(f"reference level {ref!r} of {f!r} not in the data "
                                 f"(levels: {', '.join(map(str, counts.index))})")
        if ref is None:
            ref = str(sorted(counts.index, key=lambda v: (-counts[v], v == OTHER_LEVEL, str(v)))[0])
        meta.append((f, ref, ref, True, int(counts[ref])))
        for lvl in sorted(map(str, counts.index)):
            if lvl == ref:
                continue
            design.append((s == lvl).to_numpy(dtype=float))
            names.append(f"{f}[{lvl}]")
            meta.append((f, lvl, ref, False, int(counts[lvl])))
    X = np.column_stack(design)
    keep = _independent_columns(X)
    aliased = [names[i] for i in range(len(names)) if i not in keep]
    X = X[:, keep]
    names = [names[i] for i in keep]
    y = frame["_num"].to_numpy(dtype=float)
    exposure = frame["_den"].to_numpy(dtype=float)
    fit, model_name, converged = _fit_count_model(y, X, exposure, model=model)
    params = np.asarray(fit.params)[: X.shape[1]]
    bse = np.asarray(fit.bse)[: X.shape[1]]
    pvals = np.asarray(fit.pvalues)[: X.shape[1]]
    z = norm.ppf(0.5 + confidence / 2)
    coef = dict(zip(names, zip(params, bse, pvals, strict=True), strict=True))
    rows = []
    for f, lvl, ref, is_ref, n in meta:
        if is_ref:
            rows.append((f, lvl, ref, True, n, 1.0, np.nan, np.nan, np.nan))
            continue
        name = f"{f}[{lvl}]"
        if name not in coef:
            rows.append((f, lvl, ref, False, n, np.nan, np.nan, np.nan, np.nan))
            continue
        b, se, p = coef[name]
        rows.append((f, lvl, ref, False, n, math.exp(b), math.exp(b - z * se), math.exp(b + z * se), p))
    out = pd.DataFrame(rows, columns=["factor", "level", "reference", "is_reference", "n_posts", "irr",
                                      "ci_low", "ci_high", "p_value"])
    out["p_adjusted"] = np.nan
    test = (~out["is_reference"]) & out["p_value"].notna()
    if test.any():
        _, p_adj, _, _ = multipletests(out.loc[test, "p_value"].to_numpy(dtype=float),
                                       alpha=1 - confidence, method=correction)
        out.loc[test, "p_adjusted"] = p_adj
    out["significant"] = (out["p_adjusted"] < 1 - confidence).fillna(False).astype(bool)
    out["enough_posts"] = out["n_posts"] >= min_posts
    out["n_posts"] = out["n_posts"].astype("int64")
    alpha_disp = float(np.asarray(fit.params)[-1]) if model_name.startswith("negative") else float("nan")
    out.attrs.update(kpi=kpi, label=prep.measure.label, numerator=prep.measure.numerator_name,
                     denominator=prep.measure.denominator_name, alpha=alpha_disp, n_posts=len(frame),
                     n_dropped=n_dropped, n_missing_kpi=prep.n_missing_kpi, n_zero_exposure=n_zero_exposure,
                     n_blank=n_blank, converged=converged, model=model_name,
                     dropped_factors=dropped,
                     aliased=aliased, pooled=pooled, confidence=confidence, min_posts=min_posts,
                     aic=float(getattr(fit, "aic", np.nan)), correction=correction)
    return out


def _independent_columns(X: np.ndarray, *, tol: float = 1e-8) -> list[int]:
    """Indices of a maximal set of linearly independent columns, kept in order (greedy).

    The rank tests run on R of one QR factorisation (X = QR, Q with orthonormal columns), so
    ``X[:, cand]`` and ``R[:, cand]`` have the same singular values: the same answer as testing the
    n-row design itself, at p x p cost per test instead of n x p.
    """
    if X.shape[1] == 0:
        return []
    r = np.linalg.qr(X, mode="r") if X.shape[0] > X.shape[1] else X
    col_max = np.abs(X).max(axis=0)
    keep: list[int] = []
    for j in range(X.shape[1]):
        cand = keep + [j]
        if np.linalg.matrix_rank(r[:, cand], tol=tol * max(1.0, col_max[cand].max())) == len(cand):
            keep.append(j)
    return keep


def _fit_count_model(y: np.ndarray, X: np.ndarray, exposure: np.ndarray, *, model: str = "negative_binomial"
                     ) -> tuple[Any, str, bool]:
    """NB2 by maximum likelihood (Newton, then BFGS); Poisson with robust errors as last resort."""
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    poisson_name = "Poisson regression with robust (sandwich) errors, log exposure offset"
    if model == "poisson":
        return GLM(y, X, family=Poisson(), exposure=exposure).fit(cov_type="HC0"), poisson_name, True
    nb = NegativeBinomial(y, X, loglike_method="nb2", exposure=exposure)
    for method in ("newton", "bfgs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", HessianInversionWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                fit = nb.fit(method=method, maxiter=200, disp=0)
            except (np.linalg.LinAlgError, ValueError):
                continue
        ok = bool(fit.mle_retvals.get("converged", False)) and np.all(np.isfinite(fit.bse))
        if ok and float(fit.params[-1]) > 0:
            return fit, "negative binomial (NB2) regression, log exposure offset", True
    poisson = GLM(y, X, family=Poisson(), exposure=exposure).fit(cov_type="HC0")
    return poisson, poisson_name, False


# ------------------------------------------------------------------------------------------------
# post tiers


def post_tiers(
    posts: pd.DataFrame,
    kpi: str = "engagement_rate_by_reach",
    *,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
    reference_start: pd.Timestamp | str | None = None,
    by: str | Sequence[str] = "platform",
    tz: str = "UTC",
    top_quantile: float = 0.9,
    bottom_quantile: float = 0.1,
    min_posts: int = 20,
) -> pd.DataFrame:
    """The posts of ``[start, end)`` placed in the client's own distribution of the KPI per post.

    Each post's value (its own numerator / denominator) is compared with the posts of the same
    ``by`` group (platform) published in ``[reference_start, end)`` (default: everything before
    ``end``; the period's own posts are part of it). ``percentile`` is the post's percentile rank
    in that reference: the share of reference posts below its value plus half the share with
    exactly its value, so tied values (several posts at 0 %) share the middle of their block
    instead of all taking its top. ``tier`` is decided on that percentile rounded to a whole
    percent (:func:`percentile_shown`, the number reports show): ``"breakout"`` when it is at or
    above ``100 * top_quantile``, ``"underperformer"`` when at or below ``100 * bottom_quantile``,
    otherwise ``"typical"``. A post shown at the 10th percentile is therefore always an
    underperformer and one shown at the 11th never is. With fewer than ``min_posts`` reference
    posts the tier is "too few posts to compare". Posts whose value is missing (blank cells, zero
    reach) get tier ``"n/a"``.

    Returns
    -------
    pandas.DataFrame
        The period's posts, best first: ``post_id``, the ``by`` columns, ``published_local`` (in
        ``tz``; blank when the export has no full time), ``published_month``, ``content_type``, ``text`` (raw: escape it when shown -- :mod:`kpi_toolkit.display`
        does), ``numerator``, ``denominator``, ``value``, ``percentile`` (a fraction, 0-1),
        ``tier``, ``n_reference``, ``threshold_top`` (the lowest reference value that counts as a
        breakout; NaN when none does) and ``threshold_bottom`` (the highest reference value that
        counts as an underperformer).

    References
    ----------
    .. [1] Percentile rank with ties counted half: ``scipy.stats.percentileofscore(kind="mean")``;
       Crocker, L. & Algina, J. (1986). Introduction to Classical and Modern Test Theory. Holt,
       Rinehart and Winston, ch. 19 (percentile ranks).
    """
    by_list = _as_list(by)
    if not 0 < bottom_quantile < top_quantile < 1:
        raise ParameterError("need 0 < bottom_quantile < top_quantile < 1, got "
                             f"{bottom_quantile} and {top_quantile}")
    start_ts, end_ts = _utc(start), _utc(end)
    ref_start = _utc(reference_start) if reference_start is not None else None
    from .benchmarks import percentile_rank

    frame = add_time_segments(posts, tz=tz)
    m = post_measure(frame, kpi)
    num = pd.to_numeric(m.numerator, errors="coerce").astype("float64")
    den = pd.to_numeric(m.denominator, errors="coerce").astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (num / den).where(den > 0)
    frame = frame.assign(numerator=num, denominator=den, value=value)
    when = _post_time(frame)
    in_period = ((when >= start_ts) & (when < end_ts)).fillna(False).to_numpy(dtype=bool)
    in_ref = (when < end_ts).fillna(False)
    if ref_start is not None:
        in_ref &= (when >= ref_start).fillna(False)
    ref = frame[in_ref.to_numpy(dtype=bool) & frame["value"].notna().to_numpy()]
    period = frame[in_period].copy()
    period["percentile"] = np.nan
    period["tier"] = pd.Series("n/a", index=period.index, dtype="string")
    period["n_reference"] = 0
    period["threshold_top"] = np.nan
    period["threshold_bottom"] = np.nan
    def groups(df: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
        if not by_list:
            return {(): df}
        return {(k if isinstance(k, tuple) else (k,)): g for k, g in df.groupby(by_list, sort=False)}

    ref_groups = groups(ref)
    for key, g in groups(period).items():
        r = ref_groups.get(key)
        rv = np.sort(r["value"].to_numpy(dtype=float)) if r is not None else np.array([])
        idx = g.index
        period.loc[idx, "n_reference"] = len(rv)
        if len(rv) < min_posts:
            period.loc[idx[g["value"].notna().to_numpy()], "tier"] = "too few posts to compare"
            continue
        v = g["value"].to_numpy(dtype=float)
        pct = percentile_rank(v, rv)
        has = np.isfinite(v)
        period.loc[idx[has], "percentile"] = pct[has]
        period.loc[idx[has], "tier"] = _tier(pct, top_quantile, bottom_quantile)[has]
        ref_tier = _tier(percentile_rank(rv, rv), top_quantile, bottom_quantile)
        top_values, bottom_values = rv[ref_tier == "breakout"], rv[ref_tier == "underperformer"]
        period.loc[idx, "threshold_top"] = top_values.min() if len(top_values) else np.nan
        period.loc[idx, "threshold_bottom"] = bottom_values.max() if len(bottom_values) else np.nan
    local = when[in_period].dt.tz_convert(tz)
    exact = pd.to_datetime(period["published_at"], utc=True).notna() if "published_at" in period.columns \
        else pd.Series(False, index=period.index)
    period["published_local"] = local.where(exact.to_numpy())      # blank when the export has no full time
    period["published_month"] = pd.array([t.strftime("%Y-%m") if pd.notna(t) else pd.NA for t in local],
                                         dtype="string")
    cols = ["post_id", *[c for c in by_list if c != "post_id"], "published_local", "published_month",
            "content_type", "text",
            "numerator", "denominator", "value", "percentile", "tier", "n_reference", "threshold_top",
            "threshold_bottom"]
    for c in ("content_type", "text"):
        if c not in period.columns:
            period[c] = pd.Series(pd.NA, index=period.index, dtype="string")
    out = period[cols].sort_values(["value", "post_id"], ascending=[False, True], na_position="last")
    out = out.reset_index(drop=True)
    out["n_reference"] = out["n_reference"].astype("int64")
    out.attrs.update(kpi=kpi, label=m.label, unit=m.unit, kind=m.kind, top_quantile=top_quantile, bottom_quantile=bottom_quantile,
                     n_missing_kpi=int(out["value"].isna().sum()))
    return out


def percentile_shown(percentile: Any) -> Any:
    """A percentile (fraction) as the whole number reports show, rounded half up: 0.105 -> 11.

    :func:`post_tiers` decides tiers on this number, so a table's percentile and tier always agree.
    NaN stays NaN.
    """
    p = np.asarray(percentile, dtype=float)
    out = np.floor(100 * p + 0.5 + 1e-9)   # 1e-9: 100 * 0.105 is 10.4999… in floating point
    return float(out) if out.ndim == 0 else out


def _tier(percentile: np.ndarray, top_quantile: float, bottom_quantile: float) -> np.ndarray:
    shown = percentile_shown(percentile)
    return np.where(shown >= round(100 * top_quantile, 6), "breakout",
                    np.where(shown <= round(100 * bottom_quantile, 6), "underperformer", "typical"))


def _utc(t: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def posts_in(posts: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The posts that went out in ``[start, end)`` (UTC-aware bounds); a post with only
    ``published_month`` counts from its month's first day (:func:`_post_time`)."""
    when = _post_time(posts)
    return posts[((when >= start) & (when < end)).fillna(False).to_numpy(dtype=bool)]


def _post_time(frame: pd.DataFrame) -> pd.Series:
    """When each post went out (UTC); posts with only ``published_month`` sit at that month's start."""
    if "published_at" in frame.columns:
        when = pd.to_datetime(frame["published_at"], utc=True)
    else:
        when = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    if "published_month" in frame.columns:
        month = pd.to_datetime(frame["published_month"].astype("string") + "-01", errors="coerce", utc=True,
                               format="%Y-%m-%d")
        when = when.fillna(month)
    return when


# ------------------------------------------------------------------------------------------------
# plain words


PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram", "x": "X", "linkedin": "LinkedIn",
                  "tiktok": "TikTok", "youtube": "YouTube"}
_FORMAT_PLURAL = {"image": "images", "video": "videos", "carousel": "carousels", "text": "text posts",
                  "link": "link posts", "story": "stories", "reel": "reels", "live": "live videos",
                  "short": "shorts", "event": "event posts", "photo": "photos", "status": "status posts"}


_NO_DIFFERENCE_NAMES = {"paid_status": "paid / organic", "hour_block": "time of day"}


def _no_difference_sentence(factors: Sequence[str]) -> str:
    """"Paid / organic and topic made no difference we can be sure of (each could be chance), so the
    chart leaves them out." -- true whether or not the view's table is shown."""
    names = [_NO_DIFFERENCE_NAMES.get(f, _plain_column(f)) for f in factors]
    listed = and_words(names)
    one = len(names) == 1
    return (f"{listed[0].upper()}{listed[1:]} made no difference we can be sure of "
            f"({'it' if one else 'each'} could be chance), so the chart leaves {'it' if one else 'them'} out.")


def level_name(factor: str, level: Any) -> str:
    """A factor level as a label: ``("platform", "x") -> "X"``, ``("platform", "linkedin") -> "LinkedIn"``,
    ``(any, "(other)") -> "other formats"``; any other level as it is."""
    level = str(level)
    if level == OTHER_LEVEL:
        return f"other {_plain_column(factor)}s"
    if level == MISSING_LEVEL:
        return "not set"
    if factor == "platform":
        return PLATFORM_NAMES.get(level.lower(), level)
    if factor == "weekday" and level.isdigit():
        return WEEKDAY_NAMES[int(level)]
    if factor == "hour" and level.isdigit():
        return f"{int(level):02d}:00"
    return level


def level_phrase(factor: str, level: str) -> str:
    """A factor level as the subject of a sentence: ``("content_type", "reel") -> "reels"``."""
    level = str(level)
    if level == OTHER_LEVEL:
        return f"posts of other {_plain_column(factor)}s"
    if level == MISSING_LEVEL:
        return f"posts without a {_plain_column(factor)}"
    if factor == "content_type":
        return _FORMAT_PLURAL.get(level.lower(), f"{level} posts")
    if factor == "platform":
        return f"posts on {PLATFORM_NAMES.get(level, level)}"
    if factor == "hour_block":
        return f"posts published {level}"
    if factor == "hour":
        return f"posts published at {int(level):02d}:00"
    if factor == "paid_status":
        return f"{level} posts"
    if factor in ("weekday_name", "weekday"):
        name = WEEKDAY_NAMES[int(level)] if factor == "weekday" else level
        return f"posts on {name}s"
    if factor == "topic":
        return f"posts about {level}"
    return f"posts with {factor.replace('_', ' ')} {level}"


def times(x: float) -> str:
    """A ratio as ``1.8×`` / ``0.45×`` / ``12×``."""
    if not np.isfinite(x):
        return "n/a"
    if x >= 10:
        return f"{x:.0f}×"
    return f"{x:.1f}×" if x >= 1 else f"{x:.2f}×"


def _num2(x: float) -> str:
    return times(x).removesuffix("×")


def fmt_value(x: float, unit: str = "fraction") -> str:
    """A KPI value for a sentence, as reports show it (:func:`kpi_toolkit.kpis.format_value`)."""
    from .kpis import format_value

    return format_value(x, unit)


def fmt_interval(lo: float, hi: float, unit: str = "fraction", *, confidence: float = 0.95) -> str:
    """``95 % CI 4.2-6.0 %`` (the unit written once)."""
    level = f"{100 * confidence:g} % CI"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{level} not available"
    a, b = fmt_value(lo, unit), fmt_value(hi, unit)
    for suffix in (" %", " per post", " h"):
        if a.endswith(suffix) and b.endswith(suffix):
            a = a.removesuffix(suffix)
    return f"{level} {a}-{b}"


def _lower(label: str) -> str:
    """A registry label inside a sentence: "Engagement rate (by reach)" -> "engagement rate (by reach)"."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def factor_findings(drivers: pd.DataFrame) -> pd.DataFrame:
    """Per factor, the best level and how sure we are that it beats the others.

    ``kind`` is ``"above_reference"`` when the best level's interval lies above 1 against the
    reference; ``"reference_best"`` when the reference level itself is best and every other level
    with enough posts lies significantly below it; ``"none"`` otherwise. Only levels with enough
    posts, not ``(other)`` / ``(not set)``, and Holm-corrected significance count.
    """
    rows = []
    for f, d in drivers.groupby("factor", sort=False):
        cand = d[d["enough_posts"] & ~d["level"].isin([OTHER_LEVEL, MISSING_LEVEL]) & d["irr"].notna()]
        others = cand[~cand["is_reference"]]
        if cand.empty or others.empty:
            continue
        best = cand.sort_values(["irr", "n_posts"], ascending=[False, False]).iloc[0]
        ref = d[d["is_reference"]].iloc[0]
        if not best["is_reference"]:
            kind = "above_reference" if bool(best["significant"]) and best["irr"] > 1 else "none"
            rows.append({"factor": f, "kind": kind, "level": best["level"], "reference": ref["level"],
                         "irr": best["irr"], "ci_low": best["ci_low"], "ci_high": best["ci_high"],
                         "irr_min": np.nan, "irr_max": np.nan, "n_posts": int(best["n_posts"]),
                         "n_others": 1, "other_level": ref["level"], "p_adjusted": best["p_adjusted"]})
        else:
            sure = bool((others["significant"] & (others["irr"] < 1)).all())
            rows.append({"factor": f, "kind": "reference_best" if sure else "none", "level": ref["level"],
                         "reference": ref["level"], "irr": 1.0, "ci_low": np.nan, "ci_high": np.nan,
                         "irr_min": float(others["irr"].min()), "irr_max": float(others["irr"].max()),
                         "n_posts": int(ref["n_posts"]), "n_others": len(others),
                         "other_level": others["level"].iloc[0] if len(others) == 1 else "",
                         "p_adjusted": float(others["p_adjusted"].max())})
    return pd.DataFrame(rows, columns=["factor", "kind", "level", "reference", "irr", "ci_low", "ci_high",
                                       "irr_min", "irr_max", "n_posts", "n_others", "other_level", "p_adjusted"])


def _finding_text(r: Any, *, num: str, den: str, conf: float, window: str | None = None) -> str:
    over = f" over {window}" if window else ""
    if r.kind == "reference_best":
        if r.n_others > 1:
            other, spread, each = (f"the other {_plain_column(r.factor)}s",
                                   f"between {times(r.irr_min)} and {times(r.irr_max)}", "each")
        else:  # one other level: name it (the sentence had read "(x) posts get 0.59×")
            other, spread, each = level_phrase(r.factor, r.other_level), times(r.irr_min), "its"
        return (f"{level_phrase(r.factor, r.level)} did best ({r.n_posts:,} posts{over}): "
                f"{other} get {spread} their {num} per {den}, {each} {100 * conf:g} % CI below 1")
    return (f"{level_phrase(r.factor, r.level)} get {times(r.irr)} the {num} per {den} of "
            f"{level_phrase(r.factor, r.reference)} ({100 * conf:g} % CI {_num2(r.ci_low)}-{_num2(r.ci_high)}; "
            f"{r.n_posts:,} posts{over})")


def _partial_finding_text(d: pd.DataFrame, *, num: str, den: str, conf: float) -> str:
    """One factor whose levels differ for sure from the reference, though none is surely best.

    "Posts published 08:00-09:59 get more engagements per reach than the time slots 10:00-11:59 and
    12:00-13:59 (0.64× to 0.70× as many, each 95 % CI below 1), but no time slot is clearly best:
    06:00-07:59 could do as well." Empty when no level with enough posts differs for sure.
    """
    cand = d[d["enough_posts"] & ~d["level"].isin([OTHER_LEVEL, MISSING_LEVEL]) & d["irr"].notna()
             & ~d["is_reference"]]
    ref = d[d["is_reference"]]
    if cand.empty or ref.empty:
        return ""
    factor, ref_level = str(d["factor"].iloc[0]), ref["level"].iloc[0]
    sure = cand["significant"].astype(bool)
    above, below = cand[sure & (cand["irr"] > 1)], cand[sure & (cand["irr"] < 1)]
    plain = _plain_column(factor)
    if len(above):
        r = above.sort_values("irr", ascending=False).iloc[0]
        others = cand[cand["level"] != r["level"]]
        rivals = [level_name(factor, x) for x in others.loc[others["irr"] > r["irr"], "level"]]
        text = (f"{level_phrase(factor, r['level'])} get {times(r['irr'])} the {num} per {den} of "
                f"{level_phrase(factor, ref_level)} ({100 * conf:g} % CI {_num2(r['ci_low'])}-{_num2(r['ci_high'])}; "
                f"{int(r['n_posts']):,} posts), but no {plain} is clearly best")
        return text + (f": {and_words(rivals)} could do as well" if rivals else "")
    if below.empty:
        return ""
    lo, hi = float(below["irr"].min()), float(below["irr"].max())
    spread = times(lo) if len(below) == 1 else f"{times(lo)} to {times(hi)}"
    rivals = [level_name(factor, x) for x in cand.loc[~sure, "level"]]
    names = and_words([level_name(factor, x) for x in below.sort_values("irr", ascending=False)["level"]])
    text = (f"{level_phrase(factor, ref_level)} get more {num} per {den} than the {plain}"
            f"{'s' if len(below) > 1 else ''} {names} ({spread} as many, "
            f"{'each ' if len(below) > 1 else ''}{100 * conf:g} % CI below 1), but no {plain} is clearly best")
    return text + (f": {and_words(rivals)} could do as well" if rivals else "")


def driver_sentences(drivers: pd.DataFrame, *, top: int = 3, factors: Sequence[str] | None = None) -> list[str]:
    """The strongest effects of :func:`engagement_drivers` in plain words, one per factor.

    "Videos get 1.8× the engagements per reach of images (95 % CI 1.5-2.1; 240 posts), other
    factors held fixed." Only effects unlikely to be chance (Holm-corrected) are listed; when none
    remains, one sentence says so.
    """
    conf = drivers.attrs.get("confidence", 0.95)
    num, den = drivers.attrs.get("numerator", "engagements"), drivers.attrs.get("denominator", "reach")
    found = factor_findings(drivers)
    unclear = found.loc[found["kind"] == "none", "factor"].tolist()
    found = found[found["kind"] != "none"]
    if factors is not None:
        found = found[found["factor"].isin(list(factors))]
        unclear = [f for f in unclear if f in set(factors)]
    strength = np.where(found["kind"] == "reference_best", -np.log(found["irr_max"].astype(float)),
                        np.log(found["irr"].astype(float)))
    found = found.assign(_s=strength).sort_values("_s", ascending=False).head(top)
    out = []
    for r in found.itertuples():
        text = _finding_text(r, num=num, den=den, conf=conf)
        out.append(f"{text[0].upper()}{text[1:]}, other factors held fixed.")
    # a factor with differences unlikely to be chance but no clear best level: the sentence had read
    # "No factor made a difference" beside a chart whose intervals lay wholly below 1
    for f in unclear:
        if len(out) >= top:
            break
        text = _partial_finding_text(drivers[drivers["factor"] == f], num=num, den=den, conf=conf)
        if text:
            out.append(f"{text[0].upper()}{text[1:]}, other factors held fixed.")
    if not out:
        out.append(f"No factor made a difference to {num} per {den} that is unlikely to be chance "
                   f"with {drivers.attrs.get('n_posts', 0):,} posts.")
    return out


# ------------------------------------------------------------------------------------------------
# report views


def _options(ctx: ReportContext) -> Any:
    return ctx.params.segments


def lookback_posts(ctx: ReportContext) -> tuple[pd.DataFrame | None, pd.Timestamp, str]:
    """The posts of the lookback window that ends with the report month, the window's start (UTC)
    and a label for sentences ("the last 12 months"); ``segments.lookback_months`` sets its length."""
    opts = _options(ctx)
    months = int(getattr(opts, "lookback_months", 12))
    end = ctx.period.end
    start_local = ctx.period.start.tz_convert(ctx.tz) - pd.DateOffset(months=months - 1)
    start = start_local.tz_convert("UTC")
    posts = ctx.data.posts
    if posts is None or len(posts) == 0:
        return None, start, ""
    when = _post_time(posts)
    keep = ((when >= start) & (when < end.tz_convert("UTC"))).fillna(False).to_numpy(dtype=bool)
    label = "this month" if months == 1 else f"the last {months} months"
    if months > 1 and keep.any():
        # data that begins inside the window: name the months it covers ("the last 12 months" had been
        # said of a client with two months of posts)
        from .periods import month_words

        first = when[keep].min().tz_convert(ctx.tz).strftime("%Y-%m")
        if first > start_local.strftime("%Y-%m"):
            label = (month_words(first) if first == ctx.month else
                     f"{month_words(first).split()[0]}–{month_words(ctx.month)}" if first[:4] == ctx.month[:4]
                     else f"{month_words(first)}–{month_words(ctx.month)}")
    return posts[keep], start, label


def window_dates(ctx: ReportContext, posts: pd.DataFrame | None, start: pd.Timestamp) -> str:
    """The first and last day of the lookback window as :func:`lookback_posts` names it, in the
    client's time zone: "01 Nov 2025 to 31 Oct 2026". When the posts begin inside the window, the
    first day is the first day of their first month, as the window's label says ("December
    2024–January 2025" is "01 Dec 2024 to 31 Jan 2025", not the nominal "01 Feb 2024 to ...").

    ``posts`` and ``start`` are :func:`lookback_posts`'s first two results."""
    first = start.tz_convert(ctx.tz)
    if posts is not None and len(posts):
        when = _post_time(posts).dropna()
        if len(when):
            first_post = when.min().tz_convert(ctx.tz)
            if first_post.strftime("%Y-%m") > first.strftime("%Y-%m"):
                first = first_post.normalize().replace(day=1)
    last = ctx.period.end.tz_convert(ctx.tz) - pd.Timedelta(days=1)
    return f"{first:%d %b %Y} to {last:%d %b %Y}"


def _skip_reason(ctx: ReportContext) -> str | None:
    reason = ctx.data.require("posts")
    return f"{reason}: post performance by segment is not shown" if reason else None


def _kpi(ctx: ReportContext) -> str:
    return getattr(_options(ctx), "kpi", "engagement_rate_by_reach")


def format_view(ctx: ReportContext, *, by: str = "content_type") -> ReportView:
    """Format (or any segment) performance over the lookback window, with intervals and a test."""
    key, title = f"segments-{by}", f"Which {_plain_column(by)}s work best"
    got = _view_posts(ctx, key, title)
    if isinstance(got, ReportView):
        return got
    opts, posts, window = got
    kpi = _kpi(ctx)
    try:
        seg = segment_kpi(posts, kpi, by=by, tz=ctx.tz, min_posts=opts.min_posts, confidence=opts.confidence,
                          hour_block_hours=getattr(opts, "hour_block_hours", 2))
        cmp = compare_segments(posts, kpi, by=by, tz=ctx.tz, min_posts=opts.min_posts,
                               confidence=opts.confidence, hour_block_hours=getattr(opts, "hour_block_hours", 2))
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    if len(seg) == 1:  # every post the same format: a one-dot chart and "rank 1" compared nothing
        return ReportView(key=key, title=title, sentences=[
            f"All {seg.attrs['n_posts']:,} posts over {window} have the same {_plain_column(by)}, "
            f"{level_name(by, seg[by].iloc[0])}: there is no other {_plain_column(by)} to compare it with. "
            f"Trying another {_plain_column(by)} would show whether it does better."],
            extra={"segments": seg, "comparison": cmp})
    from .plotting.segments import plot_segment_kpi

    label, unit, conf = _lower(seg.attrs["label"]), _unit(seg), opts.confidence
    fig_ax = _new_fig(height_in=0.45 * len(seg) + 1.6)
    plot_segment_kpi(seg, by=by, ax=fig_ax[1], title=f"{label[0].upper()}{label[1:]} by {_plain_column(by)}, "
                     f"{window}")
    sentences = []
    ranked = seg[seg["rank"].notna()].sort_values("rank")
    if len(ranked):
        b = ranked.iloc[0]
        sentences.append(
            f"Over {window} ({seg.attrs['n_posts']:,} posts), {level_phrase(by, b[by])} had the highest "
            f"{label}: {fmt_value(b['value'], unit)} ({fmt_interval(b['ci_low'], b['ci_high'], unit, confidence=conf)}; "
            f"{b['n_posts']:,} posts), against {fmt_value(seg.attrs['overall'], unit)} for all posts.")
    sentences.append(cmp.sentence())
    small = seg[~seg["enough_posts"]]
    if len(small):
        listed = ", ".join(f"{level_name(by, s)} ({_n_posts(n)})" for s, n in zip(small[by], small["n_posts"], strict=True))
        sentences.append(f"{len(small)} {_plain_column(by)}{'s have' if len(small) > 1 else ' has'} "
                         f"{TOO_FEW} (fewer than {opts.min_posts} posts): {listed}.")
    caveats = _common_caveats(seg)
    table = _display_table(seg, by=by, unit=unit, confidence=conf)
    return ReportView(key=key, title=title, sentences=sentences, figure=fig_ax[0],
                      alt_text=_alt_segments(seg, by=by, unit=unit), table=table, caveats=caveats,
                      extra={"segments": seg, "comparison": cmp})


def _view_posts(ctx: ReportContext, key: str, title: str) -> ReportView | tuple[Any, pd.DataFrame, str]:
    """A segments view's options, lookback posts and window, or its 'not shown' note when the client
    has no posts table or no posts in the window."""
    if (reason := _skip_reason(ctx)) is not None:
        return ReportView.skipped(key, title, reason)
    posts, _, window = lookback_posts(ctx)
    if posts is None or len(posts) == 0:
        return ReportView.skipped(key, title, f"no posts in {window or 'the lookback window'}")
    return _options(ctx), posts, window


def posting_time_view(ctx: ReportContext) -> ReportView:
    """Best time of day to post, per platform, relative to each platform's usual rate."""
    key, title = "segments-timing", "When posts work best"
    got = _view_posts(ctx, key, title)
    if isinstance(got, ReportView):
        return got
    opts, posts, window = got
    block = getattr(opts, "hour_block_hours", 2)
    conf = opts.confidence
    try:
        slots = time_slots(posts, _kpi(ctx), tz=ctx.tz, min_posts=opts.min_posts, confidence=conf,
                           hour_block_hours=block)
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    from .plotting import tz_words
    from .plotting.segments import plot_time_slots

    label = _lower(slots.attrs["label"])
    sentences = time_slot_sentences(slots)
    if not slots["rank"].eq(1).any():
        # no platform has a slot with enough posts: the chart was a scatter of grey dashes with no platform
        # named, its highest (one post at 06:00 on any platform) read as the time to post
        return ReportView(key=key, title=title, sentences=sentences, extra={"slots": slots}, caveats=[
            f"Times are in the client's time zone ({ctx.tz}). No chart: a time slot needs {opts.min_posts} "
            f"posts on one platform before its rate says anything, and none has that many in {window}."])
    fig, ax = _new_fig(height_in=4.2)
    plot_time_slots(slots, ax=ax, title=f"{label[0].upper()}{label[1:]} by time of day ({tz_words(ctx.tz)}), {window}")
    counts = slots.groupby("platform")["n_posts"].sum().sort_values(ascending=False, kind="stable")
    caveats = [f"Times are in the client's time zone ({ctx.tz}); slots are {block} hours wide. Time slots "
               f"with fewer than {opts.min_posts} posts are grey: {TOO_FEW}."]
    caveats += _common_caveats(slots)[1:]
    alt = (f"{label[0].upper()}{label[1:]} by {block}-hour time slot, relative to each platform's usual "
           "rate, for " + ", ".join(PLATFORM_NAMES.get(p, p) for p in counts.index) + ". " + " ".join(sentences))
    return ReportView(key=key, title=title, sentences=sentences, figure=fig, alt_text=alt, caveats=caveats,
                      extra={"slots": slots})


def time_slot_sentences(slots: pd.DataFrame) -> list[str]:
    """Each platform's best time slot of :func:`time_slots` in plain words, most posts first.

    "LinkedIn: posts published 08:00-09:59 had the highest engagement rate (by reach), 5.3 % (95 % CI
    4.7-5.9 %; 81 posts), +33 % against all LinkedIn posts: above the usual rate, unlikely to be
    chance." A platform without a slot of ``min_posts`` posts gets "too few posts to conclude".
    """
    unit, label = _unit(slots), _lower(str(slots.attrs.get("label", "value")))
    conf = float(slots.attrs.get("confidence", 0.95))
    min_posts = slots.attrs.get("min_posts", 20)
    sentences = []
    counts = slots.groupby("platform")["n_posts"].sum().sort_values(ascending=False, kind="stable")
    for platform, n in counts.items():
        name = PLATFORM_NAMES.get(platform, platform)
        top = slots[(slots["platform"] == platform) & (slots["rank"] == 1)]
        if top.empty:
            sentences.append(f"{name} ({_n_posts(n)}): {TOO_FEW} about the best time to post "
                             f"(no time slot has {min_posts} posts).")
            continue
        r = top.iloc[0]
        sure = ("above the usual rate, unlikely to be chance" if r["above_usual"] else
                "not clearly above the usual rate (could be chance)")
        sentences.append(
            f"{name}: posts published {r['hour_block']} had the highest {label}, "
            f"{fmt_value(r['value'], unit)} ({fmt_interval(r['ci_low'], r['ci_high'], unit, confidence=conf)}; "
            f"{r['n_posts']} posts), {_signed_pct(r['lift'])} against all {name} posts: {sure}.")
    return sentences


HEATMAP_MIN_CELLS = 3
"""A platform's weekday × time heatmap is drawn only when at least this many of its cells have enough
posts: a heatmap of grey cells (or one coloured cell) says nothing."""


def heatmap_platforms(grid: pd.DataFrame, *, min_cells: int = HEATMAP_MIN_CELLS) -> list[str]:
    """The platforms of a :func:`posting_time_grid` worth a heatmap: those with at least ``min_cells``
    weekday × time cells of enough posts, in alphabetical order (the order the heatmaps are drawn)."""
    if grid.empty or "platform" not in grid.columns:
        return []
    shown = grid.groupby("platform")["masked"].apply(lambda m: int((~m.astype(bool)).sum()))
    return sorted(str(p) for p in shown[shown >= min_cells].index)


def posting_heatmap(grid: pd.DataFrame, *, tz: str, window: str, min_cells: int = HEATMAP_MIN_CELLS,
                    key: str = "segments-heatmap", title: str = "Best weekday and time") -> ReportView:
    """Weekday × time slot heatmaps of a :func:`posting_time_grid` (by platform), as a view.

    Only the platforms of :func:`heatmap_platforms` are drawn; without any the view is skipped with
    the reason (the monthly report and the segmentation notebook apply the same rule). The
    sentences name each drawn platform's best cell; a caveat names the platforms left out.
    ``extra`` holds ``grid`` (every platform) and ``best`` (the three best cells of each drawn
    platform, :func:`best_posting_times`).
    """
    block = int(grid.attrs.get("hour_block_hours", 2))
    min_cell = int(grid.attrs.get("min_posts", 20))
    keep = heatmap_platforms(grid, min_cells=min_cells)
    if not keep:
        return ReportView.skipped(
            key, title, f"{TOO_FEW} per weekday and time slot: no platform has {min_cells} or more "
            f"weekday × {block}-hour cells with {min_cell} posts in {window} (see the time of day above)")
    from .plotting import tz_words
    from .plotting.segments import plot_posting_heatmaps

    shown = grid.groupby("platform")["masked"].apply(lambda m: int((~m.astype(bool)).sum()))
    sub = grid[grid["platform"].isin(keep)]
    sub.attrs.update(grid.attrs)
    unit, label = _unit(grid), _lower(grid.attrs["label"])
    conf = float(grid.attrs.get("confidence", 0.95))
    fig = plot_posting_heatmaps(sub, title=f"{label[0].upper()}{label[1:]} by weekday and time ({tz_words(tz)}), {window}")
    best = best_posting_times(sub, top=1)
    sentences = []
    for r in best.itertuples():
        name = PLATFORM_NAMES.get(r.platform, r.platform)
        sentences.append(
            f"{name}: {r.weekday_name}s {r.hour_block} had the highest {label} of the {shown[r.platform]} "
            f"cells with enough posts, {fmt_value(r.value, unit)} "
            f"({fmt_interval(r.ci_low, r.ci_high, unit, confidence=conf)}; {r.n_posts} posts, "
            f"{_signed_pct(r.lift)} against all {name} posts).")
    caveats = [f"Grey cells have fewer than {min_cell} posts: {TOO_FEW}; the number in a grey cell is its "
               "post count."]
    left_out = [PLATFORM_NAMES.get(p, p) for p in sorted(set(grid["platform"].astype(str)) - set(keep))]
    if left_out:
        caveats.append(f"Not drawn: {and_words(left_out)}, with fewer than {min_cells} weekday × {block}-hour "
                       f"cells of {min_cell} posts or more.")
    alt = (f"Heatmaps of {label} by weekday and {block}-hour time slot for "
           + ", ".join(PLATFORM_NAMES.get(p, p) for p in keep) + ". " + " ".join(sentences))
    sub_best = best_posting_times(sub, top=3)
    return ReportView(key=key, title=title, sentences=sentences, figure=fig, alt_text=alt, caveats=caveats,
                      extra={"grid": grid, "best": sub_best})


def posting_heatmap_view(ctx: ReportContext, *, min_cells: int = HEATMAP_MIN_CELLS) -> ReportView:
    """Weekday × time slot heatmaps for the platforms with at least ``min_cells`` cells of enough posts.

    Skipped (with the reason) when no platform has that many: a heatmap of grey cells says nothing.
    See :func:`posting_heatmap`.
    """
    key, title = "segments-heatmap", "Best weekday and time"
    got = _view_posts(ctx, key, title)
    if isinstance(got, ReportView):
        return got
    opts, posts, window = got
    block = getattr(opts, "hour_block_hours", 2)
    min_cell = getattr(opts, "min_posts_per_cell", None) or opts.min_posts
    try:
        grid = posting_time_grid(posts, _kpi(ctx), tz=ctx.tz, by="platform", min_posts=min_cell,
                                 confidence=opts.confidence, hour_block_hours=block)
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    return posting_heatmap(grid, tz=ctx.tz, window=window, min_cells=min_cells, key=key, title=title)


def drivers_view(ctx: ReportContext) -> ReportView:
    """What drives engagement (negative binomial model), in plain words, with recommendations."""
    key, title = "segments-drivers", "What drives engagement"
    got = _view_posts(ctx, key, title)
    if isinstance(got, ReportView):
        return got
    opts, posts, window = got
    try:
        drv = engagement_drivers(posts, _kpi(ctx), tz=ctx.tz, min_posts=opts.min_posts,
                                 confidence=opts.confidence, hour_block_hours=getattr(opts, "hour_block_hours", 2))
    except (NoDataError, ParameterError) as e:
        return ReportView.skipped(key, title, str(e))
    from .plotting.segments import plot_drivers

    # the chart keeps format, time slot and every factor with a difference unlikely to be chance
    sig_factors = set(drv.loc[drv["significant"], "factor"])
    keep = drv["factor"].isin({"content_type", "hour_block"} | sig_factors)
    chart = drv[keep.to_numpy()]
    chart.attrs.update(drv.attrs)
    n_rows = int((~chart["is_reference"] & chart["irr"].notna()).sum()) + chart["factor"].nunique()
    fig, ax = _new_fig(height_in=0.3 * n_rows + 1.8)
    plot_drivers(chart, ax=ax, title=f"{drv.attrs['numerator'].capitalize()} per {drv.attrs['denominator']} "
                 f"against the most common group, {window}")
    sentences = driver_sentences(drv, top=3)
    table_only = [f for f in DRIVER_FACTORS if f in set(drv.loc[~keep.to_numpy(), "factor"])]
    kind = "negative binomial" if "negative binomial" in drv.attrs["model"] else "Poisson"
    caveats = [f"How this was measured: a statistical model of each post's {drv.attrs['numerator']} for its "
               f"{drv.attrs['denominator']} (a {kind} regression) over {drv.attrs['n_posts']:,} posts of {window}; "
               "each factor is compared with its most common level, the others held fixed. The "
               f"{int((~drv['is_reference']).sum())} comparisons were judged together (Holm's correction), so a "
               "factor is called unlikely to be chance only if it stands out among all of them; the intervals "
               "are not widened for this."]
    caveats.append("The model weighs every post about equally, so its ratios describe a typical post; "
                   "the format table above adds up all posts, where a few very large posts weigh more.")
    if not drv.attrs["converged"]:
        caveats.append("The negative binomial model did not converge; a Poisson model with robust errors "
                       "was used instead.")
    if table_only:
        caveats.append(_no_difference_sentence(table_only))
    a = drv.attrs
    left_out = [f"{_n_posts(a['n_missing_kpi'])} with blank {a['numerator']} or {a['denominator']} cells"
                if a["n_missing_kpi"] else "",
                f"{_n_posts(a['n_zero_exposure'])} with zero {a['denominator']}" if a["n_zero_exposure"] else "",
                *(f"{_n_posts(n)} with a blank {_plain_column(f)}" for f, n in a["n_blank"].items())]
    if any(left_out):
        caveats.append("Left out of the model: " + "; ".join(x for x in left_out if x) + ".")
    if drv.attrs["pooled"]:
        caveats.append(f"With fewer than {opts.min_posts} posts each, these were grouped together: " + "; ".join(
            f"{and_words([level_name(f, x) for x in v])} as '{level_name(f, OTHER_LEVEL)}'"
            for f, v in drv.attrs["pooled"].items()) + ".")
    recs = driver_recommendations(drv, tz=ctx.tz, window=window)
    table = drivers_table(drv)
    alt = "Incidence-rate ratios with intervals: " + " ".join(sentences)
    return ReportView(key=key, title=title, sentences=sentences, figure=fig, alt_text=alt, table=table,
                      caveats=caveats, recommendations=recs, extra={"drivers": drv})


def driver_recommendations(drivers: pd.DataFrame, *, tz: str = "UTC", window: str = "the lookback window"
                           ) -> list[Recommendation]:
    """Rule-based next steps from :func:`engagement_drivers` (only effects unlikely to be chance).

    Per factor (:func:`factor_findings`): the best format -> "post more"; the best time slot ->
    "schedule more posts then"; the best topic -> "post more about it"; and the weakest format, when
    significantly below the reference -> "pause or rework".
    """
    conf = drivers.attrs.get("confidence", 0.95)
    num, den = drivers.attrs.get("numerator", "engagements"), drivers.attrs.get("denominator", "reach")
    found = factor_findings(drivers)
    recs: list[Recommendation] = []

    # the p-values are Holm-adjusted for every comparison of the model: said so in words
    tested = f"allowing for the {int((~drivers['is_reference']).sum())} comparisons made"

    def evidence(r: Any) -> str:
        return (_finding_text(r, num=num, den=den, conf=conf, window=window)
                + f", other factors held fixed ({format_p(r.p_adjusted)}, {tested})")

    actions = {"content_type": ("Post more {}", 1), "hour_block": ("Schedule more posts for {}", 2),
               "topic": ("Post more about {}", 3)}
    for r in found[found["kind"] != "none"].itertuples():
        if r.factor not in actions:
            continue
        template, priority = actions[r.factor]
        what = level_phrase("content_type", r.level) if r.factor == "content_type" else (
            f"{r.level} ({tz})" if r.factor == "hour_block" else str(r.level))
        strong = (r.irr >= 1.5) if r.kind == "above_reference" else (r.irr_max <= 1 / 1.5)
        recs.append(Recommendation(template.format(what), evidence(r),
                                   priority=priority - (1 if strong and priority > 1 else 0), source="segments"))
    fmt = drivers[(drivers["factor"] == "content_type") & ~drivers["is_reference"] & drivers["significant"]
                  & drivers["enough_posts"] & (drivers["irr"] < 1)
                  & ~drivers["level"].isin([OTHER_LEVEL, MISSING_LEVEL])].sort_values("irr")
    if len(fmt):
        w = fmt.iloc[0]
        text = (f"{level_phrase('content_type', w['level'])} get {times(w['irr'])} the {num} per {den} of "
                f"{level_phrase('content_type', w['reference'])}, {100 * conf:g} % CI {_num2(w['ci_low'])}-"
                f"{_num2(w['ci_high'])}, {int(w['n_posts']):,} posts over {window} ({format_p(w['p_adjusted'])}, "
                f"{tested})")
        recs.append(Recommendation(f"Pause or rework {level_phrase('content_type', w['level'])}", text,
                                   priority=2, source="segments"))
    return recs


def top_posts_view(ctx: ReportContext, *, top: int = 5, bottom: int = 3) -> ReportView:
    """The month's breakouts and underperformers against the client's own history.

    The tiers are those of :func:`post_tiers` (percentile ranks within each platform). The table
    lists exactly the posts the first sentence counts: the ``top`` breakouts with the highest
    percentiles, then the ``bottom`` underperformers with the lowest, best first, and a sentence
    says how many of each are shown when there are more. Four columns (post, KPI, percentile,
    tier) fit a phone; post text is shown escaped.
    """
    key, title = "segments-top-posts", "Posts of the month that stood out"
    if (reason := _skip_reason(ctx)) is not None:
        return ReportView.skipped(key, title, reason)
    opts = _options(ctx)
    posts, start, window = lookback_posts(ctx)
    if posts is None or len(posts) == 0:
        return ReportView.skipped(key, title, "no posts this month")
    hi_q = getattr(opts, "breakout_quantile", 0.9)
    lo_q = getattr(opts, "underperformer_quantile", 0.1)
    tiers = post_tiers(posts, _kpi(ctx), start=ctx.period.start, end=ctx.period.end, reference_start=start,
                       tz=ctx.tz, top_quantile=hi_q, bottom_quantile=lo_q, min_posts=opts.min_posts)
    if tiers.empty:
        return ReportView.skipped(key, title, f"no posts published in {ctx.month}")
    label, unit = _lower(tiers.attrs["label"]), _unit(tiers)
    order = ["percentile", "value", "post_id"]
    breakout = tiers[tiers["tier"] == "breakout"].sort_values(order, ascending=[False, False, True])
    under = tiers[tiers["tier"] == "underperformer"].sort_values(order, ascending=[True, True, True])
    n_b, n_u = len(breakout), len(under)
    sentences = [f"{n_b} of the month's {_n_posts(len(tiers))} broke out: at or above the "
                 f"{_percentile_words(hi_q)} percentile of {label} among the posts of {window} on the same "
                 f"platform. {n_u} underperformed: at or below the {_percentile_words(lo_q)} percentile."]
    shown_b, shown_u = breakout.head(max(top, 0)), under.head(max(bottom, 0))
    listed = [x for x in (_shown_of(len(shown_b), n_b, "breakout", "best"),
                          _shown_of(len(shown_u), n_u, "underperformer", "weakest")) if x]
    if listed:
        sentences.append(f"The table lists {' and '.join(listed)}, best first.")
    if len(shown_b):
        b = shown_b.iloc[0]
        quote = f", \u201c{snippet(b['text'], 80)}\u201d" if snippet(b["text"], 80) else ""
        sentences.append(_end_sentence(
            f"The biggest breakout: {_article(_format_word(b))} {_format_word(b)} on "
            f"{PLATFORM_NAMES.get(b['platform'], b['platform'])} ({_when(b, '%d %b')}) at "
            f"{fmt_value(b['value'], unit)}, the {_percentile_cell(percentile_shown(b['percentile']))} "
            f"percentile{quote}"))  # the table's word: "highest", never "100th" beside it
    shown = pd.concat([shown_b, shown_u.iloc[::-1]])
    table = None
    if len(shown):
        table = pd.DataFrame({
            "Post": [_post_cell(r) for _, r in shown.iterrows()],
            label[0].upper() + label[1:]: [fmt_value(v, unit) for v in shown["value"]],
            "Percentile": [_percentile_cell(percentile_shown(p)) for p in shown["percentile"]],
            "Tier": shown["tier"].astype(str).to_numpy(),
        })
    caveats = [f"Percentiles compare each post with the posts of {window} on the same platform (posts with "
               "the same value share the middle of their places); a post with little reach can have an "
               "extreme rate by chance."]
    few = tiers[tiers["tier"] == "too few posts to compare"]
    if len(few):
        names = sorted({PLATFORM_NAMES.get(p, p) for p in few["platform"]}) if "platform" in few.columns else []
        on = f" on {and_words(names)}" if names else ""
        caveats.append(f"{_n_posts(len(few))}{on} {'is' if len(few) == 1 else 'are'} neither breakout nor "
                       f"underperformer: {TOO_FEW} (fewer than {opts.min_posts} posts{on} in {window}).")
    n_na = int(tiers["value"].isna().sum())
    if n_na:
        caveats.append(f"{_n_posts(n_na)} {'has' if n_na == 1 else 'have'} no {label} (blank cells or zero "
                       "reach) and {} not ranked.".format("is" if n_na == 1 else "are"))
    return ReportView(key=key, title=title, sentences=sentences, table=table, caveats=caveats,
                      extra={"tiers": tiers, "shown": shown.reset_index(drop=True)})


def _end_sentence(text: str) -> str:
    """``text`` with a full stop, unless it already ends a sentence -- also inside closing quotes or
    brackets: a quoted post ending "…the link.\u201d" takes no second one, nor does a snippet cut
    with "…"."""
    core = text.rstrip().rstrip("\u201d\u2019\"')]")
    return text if core.endswith((".", "!", "?", "\u2026")) else text + "."


def _shown_of(n_shown: int, n: int, noun: str, which: str) -> str:
    """"all 4 breakouts" / "the breakout" / "the 3 weakest of the 6 underperformers"."""
    if n == 0 or n_shown == 0:
        return ""
    plural = noun + ("" if n == 1 else "s")
    if n_shown == n:
        return f"the {plural}" if n == 1 else f"all {n} {plural}"
    return f"the {which} of the {n} {plural}" if n_shown == 1 else f"the {n_shown} {which} of the {n} {plural}"


def _percentile_words(q: float) -> str:
    """``0.9 -> "90th"``, ``0.925 -> "92.5th"``."""
    x = round(100 * q, 6)
    return _ordinal(int(x)) if x == int(x) else f"{x:g}th"


def _format_word(row: Any) -> str:
    fmt = row.get("content_type")
    return str(fmt) if isinstance(fmt, str) and fmt else "post"


def _post_cell(row: Any) -> str:
    """"Instagram reel, 20 Nov: “Your trail photos…”" -- one column instead of four, for phones."""
    platform = PLATFORM_NAMES.get(row["platform"], row["platform"]) if "platform" in row.index else ""
    what = f"{platform} {_format_word(row)}".strip()
    text = snippet(row["text"], 80)
    return f"{what}, {_when(row, '%d %b')}" + (f": \u201c{text}\u201d" if text else "")


def segments_view(ctx: ReportContext) -> list[ReportView]:
    """Every segment view of the monthly report: formats, time of day, weekday × time heatmap (when
    enough cells have enough posts), drivers, top posts."""
    views = [format_view(ctx), posting_time_view(ctx)]
    heat = posting_heatmap_view(ctx)
    if heat.skipped_reason is None:   # a heatmap of grey cells is left out; its reason is a caveat
        views.append(heat)
    elif views[1].skipped_reason is None:
        views[1].caveats.append(f"The weekday × time heatmap is not shown: {heat.skipped_reason}.")
    drivers = drivers_view(ctx)
    views[1].held_back += timing_held_back(views[1], drivers)
    views[0].held_back += format_held_back(views[0], drivers)
    return [*views, drivers, top_posts_view(ctx)]


def format_held_back(formats: ReportView, drivers: ReportView) -> list[str]:
    """The format view's finding that formats differ (unlikely to be chance), when no step acts on it,
    with the reason (see :attr:`~kpi_toolkit.views.ReportView.held_back`), as :func:`timing_held_back`
    does for the time slots.

    The format steps come from :func:`driver_recommendations` ("Post more videos", "Pause or rework
    ..."), which ask for a format surely ahead with platform, time, topic and paid / organic held fixed.
    Where the model finds none, "Which formats work best" still read "The differences ... between 5
    formats are unlikely to be chance" with nothing about it in Part 3. Empty when a drivers step is
    about a format, the difference could be chance, or the best format is within
    :data:`~kpi_toolkit.trends.report.MATERIAL_CHANGE` of all posts' rate.
    """
    from .trends.report import MATERIAL_CHANGE

    seg, cmp = formats.extra.get("segments"), formats.extra.get("comparison")
    if formats.skipped_reason or seg is None or cmp is None or not cmp.significant or len(seg) < 2:
        return []
    ranked = seg[seg["rank"].notna()].sort_values("rank")
    overall = float(seg.attrs.get("overall", np.nan))
    if ranked.empty or not np.isfinite(overall) or overall <= 0:
        return []
    best = ranked.iloc[0]
    if abs(float(best["value"]) - overall) / overall < MATERIAL_CHANGE:
        return []
    why, found = _model_findings(drivers, "the format, not the platform or time it was posted on")
    if found is not None:
        if ((found.loc[found["factor"] == "content_type", "kind"] != "none").any()
                or any(r.action.startswith("Pause or rework") for r in drivers.recommendations)):
            return []  # the drivers' step is about the format that is surely ahead (or behind)
        why = ("With the other factors held fixed (What drives engagement), no format stands out by more than "
               "chance: the lead may come from where or when those posts went out.")
    by = str(formats.key).removeprefix("segments-")
    return [f"Formats: {level_phrase(by, best[by])} had the highest rate of all formats (Which formats work best), "
            f"and the formats differ by more than chance. {why} No change to the mix of formats is recommended "
            "yet."]


def _model_findings(drivers: ReportView, what: str) -> tuple[str, pd.DataFrame | None]:
    """The drivers model's findings (:func:`factor_findings`) as ``("", findings)``; when the model could
    not be fitted, ``(why, None)``: the reason a held-back finding has no step (nothing holds the other
    factors fixed, so nothing confirms that ``what`` made the difference)."""
    drv = drivers.extra.get("drivers")
    if drivers.skipped_reason or drv is None:
        return ("The model of what drives engagement, which holds the other factors fixed, could not be fitted "
                f"({drivers.skipped_reason or 'no model'}), so nothing confirms that {what} made the "
                "difference."), None
    return "", factor_findings(drv)


def timing_held_back(timing: ReportView, drivers: ReportView) -> list[str]:
    """The time slots the time-of-day view calls above a platform's usual rate, unlikely to be chance,
    that no step acts on, each with the reason (see :attr:`~kpi_toolkit.views.ReportView.held_back`).

    The step on the schedule comes from :func:`driver_recommendations`, which asks for more: a slot
    surely ahead of the others with format, platform, topic and paid / organic held fixed. A LinkedIn
    page with one format had read "08:00-09:59 ... above the usual rate, unlikely to be chance" in its
    time-of-day section while the recommendations said no analysis found anything to act on. Empty when
    the drivers model recommends a time slot, or no slot is above its platform's usual rate.
    """
    slots = timing.extra.get("slots")
    if timing.skipped_reason or slots is None or slots.empty:
        return []
    best = slots[(slots["rank"] == 1) & slots["above_usual"]]
    if best.empty:
        return []
    why, found = _model_findings(drivers, "the time, not what was posted then")
    if found is not None:
        drv = drivers.extra["drivers"]
        if (found.loc[found["factor"] == "hour_block", "kind"] != "none").any():
            return []  # the drivers' step schedules posts for the slot that is surely ahead
        d = drv[drv["factor"] == "hour_block"]
        partial = _partial_finding_text(d, num=drv.attrs.get("numerator", "engagements"),
                                        den=drv.attrs.get("denominator", "reach"),
                                        conf=float(drv.attrs.get("confidence", 0.95))) if len(d) else ""
        if partial:
            why = (f"With the other factors held fixed (What drives engagement), {partial}, so it is not yet sure "
                   "which slot to move posts to.")
        else:
            why = ("With the other factors held fixed (What drives engagement), no time slot differs from the "
                   "others by more than chance: the lead may come from what was posted then rather than when.")
    out = []
    for r in best.itertuples():
        name = PLATFORM_NAMES.get(str(r.platform), str(r.platform))
        out.append(f"Posting time: {name} posts published {r.hour_block} did better than {name}'s usual rate "
                   f"(When posts work best, {_signed_pct(r.lift)}). {why} No change to the posting schedule is "
                   "recommended yet.")
    return out


# ------------------------------------------------------------------------------------------------
# for analysts: the frames above in words and units (the functions above still return the raw frames)


_CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg",
                     "fdr_by": "Benjamini-Yekutieli", "sidak": "Šidák", "holm-sidak": "Holm-Šidák",
                     "hommel": "Hommel", "simes-hochberg": "Hochberg"}


def correction_name(method: str) -> str:
    """A multiple-testing correction as people write it: ``"holm" -> "Holm"``."""
    return _CORRECTION_NAMES.get(str(method), str(method))


def _title(label: str) -> str:
    return label[:1].upper() + label[1:]


def _yes_no(flag: Any) -> str:
    return "yes" if bool(flag) else "no"


def _ci_cell(lo: float, hi: float, unit: str, confidence: float) -> str:
    """An interval for a table cell, the unit written once: ``"2.7-3.4 %"``; ``"n/a"`` when missing."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    return fmt_interval(lo, hi, unit, confidence=confidence).split(" CI ", 1)[-1]


def _ratio_ci_cell(lo: float, hi: float) -> str:
    return f"{_num2(lo)}-{_num2(hi)}" if np.isfinite(lo) and np.isfinite(hi) else "n/a"


def _p_cell(p: Any) -> str:
    """A p-value under a "p (Holm)" heading: ``"0.012"``, ``"< 0.001"``, ``"n/a"`` (no "p =" again)."""
    x = float(p)
    return format_p(x).removeprefix("p = ").removeprefix("p ") if np.isfinite(x) else "n/a"


def _minus(text: str) -> str:
    """A typographic minus for a negative number ("−0.13"), and none on a zero ("-0.00" -> "0.00")."""
    if text.startswith("-"):
        return text[1:] if not text.strip("-0.,") else "\u2212" + text[1:]
    return text


def _rank_cell(rank: Any) -> str:
    return str(int(rank)) if pd.notna(rank) else TOO_FEW


def _deff_cell(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"


def _count_cell(x: float) -> str:
    return f"{x:,.0f}" if np.isfinite(x) else "n/a"


def _ci_heading(confidence: float) -> str:
    return f"{100 * confidence:g} % CI"


def segment_table(seg: pd.DataFrame, *, within: str | None = None, counts: bool = False,
                  design_effect: bool = False, lift: bool = True) -> pd.DataFrame:
    """A :func:`segment_kpi` frame for people: labelled columns, values in the KPI's unit, best first.

    Parameters
    ----------
    seg
        Output of :func:`segment_kpi` (the raw frame analysts compute with).
    within
        A segment column to rank and sort within (``"platform"`` for formats within each platform):
        rank 1 is then the best of its group, groups stay in the frame's order.
    counts
        Add the sums the rate is made of (``"Engagements / reach"``: ``"24,569 / 802,195"``).
    design_effect
        Add the design effect (rates).
    lift
        Add the lift against all posts (``"−19 %"``).

    Returns
    -------
    pandas.DataFrame
        One column per segment column (display names: ``"LinkedIn"``, ``"other formats"``), ``Posts``,
        the KPI (``"3.1 %"``), its interval (``"2.7-3.4 %"``, ``"n/a"`` when there is none), the
        optional columns and ``Rank`` (``"too few posts to conclude"`` for a segment below the minimum).
    """
    by = list(seg.attrs.get("by", [seg.columns[0]]))
    unit, label = _unit(seg), _title(str(seg.attrs.get("label", "value")))
    conf = float(seg.attrs.get("confidence", 0.95))
    d = seg.assign(_v=seg["value"].astype(float).fillna(-np.inf))
    if within is not None:
        ranked = d["value"].where(d["enough_posts"])
        d["rank"] = ranked.groupby(d[within], sort=False).rank(ascending=False, method="min").astype("Int64")
        group_order = {g: i for i, g in enumerate(dict.fromkeys(d[within]))}
        d = d.assign(_g=d[within].map(group_order)).sort_values(["_g", "_v"], ascending=[True, False],
                                                                 kind="stable")
    else:
        d = d.sort_values("_v", ascending=False, kind="stable")
    out = {_title(_plain_column(c)): [level_name(c, x) for x in d[c]] for c in by}
    out["Posts"] = d["n_posts"].to_numpy()
    if counts:
        num = str(seg.attrs.get("numerator", "numerator"))
        den = str(seg.attrs.get("denominator", "denominator"))
        out[f"{_title(num)} / {den}"] = [f"{_count_cell(a)} / {_count_cell(b)}"
                                         for a, b in zip(d["numerator"], d["denominator"], strict=True)]
    out[label] = [fmt_value(v, unit) for v in d["value"]]
    out[_ci_heading(conf)] = [_ci_cell(a, b, unit, conf) for a, b in zip(d["ci_low"], d["ci_high"], strict=True)]
    if design_effect:
        out["Design effect"] = [_deff_cell(x) for x in d["design_effect"]]
    if lift:
        out["Against all posts"] = [_signed_pct(x) for x in d["lift"]]
    out["Rank" + (f" within {_plain_column(within)}" if within else "")] = [_rank_cell(r) for r in d["rank"]]
    return pd.DataFrame(out)


def pairwise_table(comparison: SegmentComparison) -> pd.DataFrame:
    """The pairwise tests of :func:`compare_segments` for people, one row a pair.

    ``Compared`` ("carousel vs image"), ``Posts`` ("95 vs 190"), the KPI of each ("3.1 % vs 3.4 %"),
    ``Ratio`` (a / b as "0.91×"), the effect size under its own name (Cohen's h, rank-biserial
    correlation), the corrected p-value ("p (Holm)") and ``Unlikely to be chance`` (yes / no). The raw
    frame is ``comparison.pairwise``.
    """
    pw = comparison.pairwise
    unit, by = comparison.unit, comparison.by

    def name(s: Any) -> str:
        return level_name(by[0], s) if len(by) == 1 else str(s)

    es = _title(str(pw["effect_size_name"].iloc[0])) if len(pw) else "Effect size"
    return pd.DataFrame({
        "Compared": [f"{name(a)} vs {name(b)}" for a, b in zip(pw["segment_a"], pw["segment_b"], strict=True)],
        "Posts": [f"{int(a):,} vs {int(b):,}" for a, b in zip(pw["n_posts_a"], pw["n_posts_b"], strict=True)],
        _title(comparison.label): [f"{fmt_value(a, unit)} vs {fmt_value(b, unit)}"
                                   for a, b in zip(pw["value_a"], pw["value_b"], strict=True)],
        "Ratio": [times(float(x)) for x in pw["ratio"]],
        es: [_minus(f"{float(x):.2f}") if np.isfinite(float(x)) else "n/a" for x in pw["effect_size"]],
        f"p ({correction_name(comparison.correction)})": [_p_cell(p) for p in pw["p_adjusted"]],
        "Unlikely to be chance": [_yes_no(x) for x in pw["significant"]],
    })


def within_group_sentences(seg: pd.DataFrame, *, within: str = "platform") -> list[str]:
    """Which segment leads within each group of a two-column :func:`segment_kpi` (formats within
    each platform), in plain words; groups with most posts first.

    The first sentence says how often one level leads where two or more have enough posts; then
    one per group: the leader, its interval and size, the runner-up, and whether their intervals
    overlap (when they do not, the lead is unlikely to be chance). A group without two segments of
    ``min_posts`` posts says so instead of naming a leader.
    """
    by = list(seg.attrs.get("by", []))
    others = [c for c in by if c != within]
    if within not in by or len(others) != 1:
        raise ParameterError(f"within_group_sentences needs segment_kpi over [{within!r}, one other column], "
                             f"got {by}")
    other = others[0]
    unit, label = _unit(seg), _lower(str(seg.attrs.get("label", "value")))
    conf = float(seg.attrs.get("confidence", 0.95))
    min_posts = seg.attrs.get("min_posts", 20)
    what = _plain_column(other)
    sizes = seg.groupby(within, sort=True)["n_posts"].sum().sort_values(ascending=False, kind="stable")
    per_group: list[str] = []
    leaders: list[tuple[str, str, bool]] = []    # (level, group name, lead clear of the runner-up)
    for g, n in sizes.items():
        name = level_name(within, g)
        ok = seg[(seg[within] == g) & seg["enough_posts"] & seg["value"].notna()]
        ok = ok.sort_values(["value", "n_posts"], ascending=[False, False], kind="stable")
        if ok.empty:
            per_group.append(f"{name} ({_n_posts(n)}): {TOO_FEW}, no {what} has {min_posts} posts.")
            continue
        b = ok.iloc[0]
        if len(ok) == 1:
            per_group.append(
                f"{name}: only {level_phrase(other, b[other])} have {min_posts} posts or more "
                f"({fmt_value(b['value'], unit)}, {_n_posts(b['n_posts'])}); {TOO_FEW} about the other {what}s.")
            continue
        r = ok.iloc[1]
        clear = bool(b["ci_low"] > r["ci_high"])
        leaders.append((str(b[other]), name, clear))
        verdict = ("the intervals do not overlap, so the lead is unlikely to be chance" if clear else
                   "the intervals overlap, so the order could be chance")
        per_group.append(
            f"{name}: {level_phrase(other, b[other])} had the highest {label} of the {len(ok)} {what}s with "
            f"enough posts, {fmt_value(b['value'], unit)} ({fmt_interval(b['ci_low'], b['ci_high'], unit, confidence=conf)}; "
            f"{_n_posts(b['n_posts'])}), against {fmt_value(r['value'], unit)} for {level_phrase(other, r[other])}: "
            f"{verdict}.")
    group = _plain_column(within)
    if not leaders:
        return [f"No {group} has two {what}s with {min_posts} posts or more: {TOO_FEW} which {what} works best "
                f"within a {group}.", *per_group]
    n = len(leaders)
    where = f"where two or more {what}s have enough posts"
    top = pd.Series([lvl for lvl, _, _ in leaders]).value_counts(sort=True)
    lead, k = str(top.index[0]), int(top.iloc[0])
    if n == 1:
        first = f"Two or more {what}s have enough posts on one {group} only"
    elif k == n:
        first = f"{_title(level_phrase(other, lead))} lead on all {n} {group}s {where}"
    elif 2 * k > n:
        first = f"{_title(level_phrase(other, lead))} lead on {k} of the {n} {group}s {where}"
    elif len(top) == n:
        first = f"A different {what} leads on each of the {n} {group}s {where}"
    else:
        first = f"No {what} leads on most of the {n} {group}s {where}"
    clear = [f"{level_phrase(other, lvl)} on {name}" for lvl, name, c in leaders if c]
    if len(clear) == n:
        tail = "the lead is unlikely to be chance" if n == 1 else "each lead is unlikely to be chance"
    elif clear:
        tail = (f"the lead of {clear[0]} is unlikely to be chance" if len(clear) == 1 else
                f"the leads of {and_words(clear)} are unlikely to be chance")
        tail += ", the others could be chance" if n - len(clear) > 1 else ", the other could be chance"
    else:
        tail = "the lead could be chance" if n == 1 else "each lead could be chance"
    return [f"{first}; {tail}.", *per_group]


def time_slot_table(slots: pd.DataFrame) -> pd.DataFrame:
    """The time slots of :func:`time_slots` that have enough posts, best first per platform, for people.

    ``Against the platform's usual`` is the lift against the platform's own rate ("+33 %");
    ``Compared with usual`` says whether the interval lies above or below that rate ("above,
    unlikely to be chance") or not ("could be chance").
    """
    by = list(slots.attrs.get("by", ["platform"]))
    unit, label = _unit(slots), _title(str(slots.attrs.get("label", "value")))
    conf = float(slots.attrs.get("confidence", 0.95))
    d = slots[slots["enough_posts"]].sort_values([*by, "rank", "hour_block"], kind="stable")
    group = _plain_column(by[0]) if by else "all posts"
    out = {_title(_plain_column(c)): [level_name(c, x) for x in d[c]] for c in by}
    out.update({
        "Time slot": d["hour_block"].astype(str).to_numpy(),
        "Posts": d["n_posts"].to_numpy(),
        label: [fmt_value(v, unit) for v in d["value"]],
        _ci_heading(conf): [_ci_cell(a, b, unit, conf) for a, b in zip(d["ci_low"], d["ci_high"], strict=True)],
        f"Against the {group}'s usual" if by else "Against all posts": [_signed_pct(x) for x in d["lift"]],
        "Compared with usual": ["above, unlikely to be chance" if a else "below, unlikely to be chance" if b
                                else "could be chance"
                                for a, b in zip(d["above_usual"], d["below_usual"], strict=True)],
    })
    return pd.DataFrame(out)


def best_times_table(best: pd.DataFrame) -> pd.DataFrame:
    """The best cells of :func:`best_posting_times` for people: platform, weekday, time slot, posts,
    the KPI with its interval and the lift against the platform's own rate."""
    by = list(best.attrs.get("by", ["platform"] if "platform" in best.columns else []))
    unit, label = _unit(best), _title(str(best.attrs.get("label", "value")))
    conf = float(best.attrs.get("confidence", 0.95))
    group = _plain_column(by[0]) if by else "all posts"
    out = {_title(_plain_column(c)): [level_name(c, x) for x in best[c]] for c in by}
    out.update({
        "Weekday": best["weekday_name"].astype(str).to_numpy(),
        "Time slot": best["hour_block"].astype(str).to_numpy(),
        "Posts": best["n_posts"].to_numpy(),
        label: [fmt_value(v, unit) for v in best["value"]],
        _ci_heading(conf): [_ci_cell(a, b, unit, conf) for a, b in zip(best["ci_low"], best["ci_high"], strict=True)],
        f"Against the {group}'s usual" if by else "Against all posts": [_signed_pct(x) for x in best["lift"]],
    })
    return pd.DataFrame(out)


def drivers_table(drivers: pd.DataFrame, *, notes: bool = False) -> pd.DataFrame:
    """The incidence-rate ratios of :func:`engagement_drivers` for people, reference levels left out.

    ``What`` (the factor in words), ``Level``, ``Compared with``, ``Posts``, the ratio ("1.6×"), its
    interval, the corrected p-value; with ``notes``, a ``Note`` column says which levels have too
    few posts to conclude and which could not be estimated (aliased with another level).
    """
    d = drivers[~drivers["is_reference"]]
    a = drivers.attrs
    conf = float(a.get("confidence", 0.95))
    num, den = str(a.get("numerator", "engagements")), str(a.get("denominator", "reach"))
    out = pd.DataFrame({
        "What": [_plain_column(f) for f in d["factor"]],
        "Level": [level_name(f, x) for f, x in zip(d["factor"], d["level"], strict=True)],
        "Compared with": [level_name(f, x) for f, x in zip(d["factor"], d["reference"], strict=True)],
        "Posts": d["n_posts"].to_numpy(),
        f"{_title(num)} per {den}": [times(float(x)) for x in d["irr"]],
        _ci_heading(conf): [_ratio_ci_cell(lo, hi) for lo, hi in zip(d["ci_low"], d["ci_high"], strict=True)],
        f"p ({correction_name(a.get('correction', 'holm'))})": [_p_cell(p) for p in d["p_adjusted"]],
    })
    if notes:
        out["Note"] = ["not estimated: the same posts as another level" if not np.isfinite(float(irr))
                       else "" if ok else TOO_FEW for irr, ok in zip(d["irr"], d["enough_posts"], strict=True)]
    return out


def drivers_comparison_table(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Two :func:`engagement_drivers` fits side by side (negative binomial against Poisson), one row
    per non-reference level, each ratio as "1.6×"; columns named after the fits' models."""
    def short(model: str) -> str:
        return "Negative binomial" if str(model).startswith("negative") else "Poisson (robust errors)"

    keys = ["factor", "level", "reference"]
    a = first.loc[~first["is_reference"], [*keys, "irr"]]
    b = second.loc[~second["is_reference"], [*keys, "irr"]]
    m = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), sort=False)
    name_a, name_b = short(first.attrs.get("model", "")), short(second.attrs.get("model", ""))
    if name_a == name_b:
        name_a, name_b = f"{name_a} (first)", f"{name_b} (second)"
    return pd.DataFrame({
        "What": [_plain_column(f) for f in m["factor"]],
        "Level": [level_name(f, x) for f, x in zip(m["factor"], m["level"], strict=True)],
        "Compared with": [level_name(f, x) for f, x in zip(m["factor"], m["reference"], strict=True)],
        name_a: [times(float(x)) for x in m["irr_a"]],
        name_b: [times(float(x)) for x in m["irr_b"]],
    })


def drivers_model_text(drivers: pd.DataFrame) -> str:
    """How the drivers model was fitted, in one paragraph of words and units.

    "Model: negative binomial (NB2) regression, log exposure offset, over 810 posts; dispersion alpha
    = 0.170; AIC = 7,681; the fit converged; no post left out; grouped as 'other' with fewer than 20
    posts each: reel, short and live (format); TikTok (platform); no factor dropped; no level
    aliased."
    """
    a = drivers.attrs
    parts = [f"Model: {a.get('model', 'n/a')}, over {_n_posts(a.get('n_posts', 0))}"]
    alpha = float(a.get("alpha", np.nan))
    if np.isfinite(alpha):
        parts.append(f"dispersion alpha = {alpha:.3f}")
    aic = float(a.get("aic", np.nan))
    if np.isfinite(aic):
        parts.append(f"AIC = {aic:,.0f}")
    parts.append("the fit converged" if a.get("converged", True) else
                 "the negative binomial fit did not converge, so a Poisson model with robust errors was used")
    dropped_posts = int(a.get("n_dropped", 0))
    parts.append(f"{_n_posts(dropped_posts)} left out (blank cells or zero "
                 f"{a.get('denominator', 'reach')})" if dropped_posts else "no post left out")
    pooled = a.get("pooled") or {}
    if pooled:
        parts.append(f"grouped as 'other' with fewer than {a.get('min_posts', 20)} posts each: " + "; ".join(
            f"{and_words([level_name(f, x) for x in v])} ({_plain_column(f)})" for f, v in pooled.items()))
    else:
        parts.append("no level grouped as 'other'")
    dropped = [_dropped_factor_words(x) for x in a.get("dropped_factors") or []]
    parts.append(f"factors left out: {and_words(dropped)}" if dropped else "no factor left out")
    aliased = [_aliased_words(x) for x in a.get("aliased") or []]
    parts.append(f"not estimated (the same posts as other levels): {and_words(aliased)}" if aliased
                 else "no level aliased")
    return "; ".join(parts) + "."


def _dropped_factor_words(text: str) -> str:
    """``"topic (not in the data)" -> "topic (not in the data)"``, ``"paid_status (one level)" ->
    "paid / organic group (one level only)"``."""
    factor, _, why = str(text).partition(" (")
    why = why.rstrip(")")
    why = "one level only" if why == "one level" else why
    return f"{_plain_column(factor)} ({why})" if why else _plain_column(factor)


def _aliased_words(name: str) -> str:
    """A design column ``"topic[hiring]"`` as ``"hiring (topic)"``."""
    if "[" in name and name.endswith("]"):
        factor, level = name[:-1].split("[", 1)
        return f"{level_name(factor, level)} ({_plain_column(factor)})"
    return name


def interval_methods(posts: pd.DataFrame, kpi: str = "engagement_rate_by_reach", *,
                     by: str = "content_type", tz: str = "UTC", min_posts: int = 20, confidence: float = 0.95,
                     hour_block_hours: int = 2, n_boot: int = 2000, seed: int = 42) -> pd.DataFrame:
    """Each segment's interval by three methods, side by side (tidy, raw numbers).

    The design-effect adjusted Wilson interval (the default for rates), the post-level bootstrap
    and the plain Wilson interval that treats every unit of the denominator as a trial, all from
    :func:`segment_kpi`.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``n_posts``, ``value``, ``design_effect`` and ``ci_low`` / ``ci_high`` per method
        (``adjusted_low``, ``adjusted_high``, ``bootstrap_low``, ``bootstrap_high``,
        ``wilson_low``, ``wilson_high``); ``attrs`` are those of the adjusted frame.

    References
    ----------
    .. [1] Wilson (1927); Rao & Scott (1992); Efron & Tibshirani (1993) -- see :func:`segment_kpi`.
    """
    common = dict(by=by, tz=tz, min_posts=min_posts, confidence=confidence, hour_block_hours=hour_block_hours,
                  n_boot=n_boot, seed=seed)
    frames = {m: segment_kpi(posts, kpi, interval=i, **common)
              for m, i in (("adjusted", "auto"), ("bootstrap", "bootstrap"), ("wilson", "wilson"))}
    base = frames["adjusted"]
    out = base[[by, "n_posts", "value", "design_effect"]].copy()
    for m, f in frames.items():
        out[f"{m}_low"] = f["ci_low"].to_numpy()
        out[f"{m}_high"] = f["ci_high"].to_numpy()
    out.attrs.update(base.attrs)
    return out


def interval_methods_table(methods: pd.DataFrame) -> pd.DataFrame:
    """:func:`interval_methods` for people: intervals in the KPI's unit ("2.7-3.4 %"), "n/a" where a
    method has none (a single post has no between-post variation to measure)."""
    by = list(methods.attrs.get("by", [methods.columns[0]]))[0]
    unit = _unit(methods)
    conf = float(methods.attrs.get("confidence", 0.95))
    names = {"adjusted": "Adjusted Wilson (default)", "bootstrap": "Post bootstrap", "wilson": "Plain Wilson"}
    out = {_title(_plain_column(by)): [level_name(by, x) for x in methods[by]],
           "Posts": methods["n_posts"].to_numpy(),
           _title(str(methods.attrs.get("label", "value"))): [fmt_value(v, unit) for v in methods["value"]],
           "Design effect": [_deff_cell(x) for x in methods["design_effect"]]}
    for m, title in names.items():
        out[title] = [_ci_cell(a, b, unit, conf) for a, b in zip(methods[f"{m}_low"], methods[f"{m}_high"], strict=True)]
    return pd.DataFrame(out)


def tiers_table(tiers: pd.DataFrame) -> pd.DataFrame:
    """The posts of :func:`post_tiers` for people, best first: when (local time), platform, format,
    text, the KPI ("10.3 %"), the percentile ("99th", "lowest") and the tier."""
    unit, label = _unit(tiers), _title(str(tiers.attrs.get("label", "value")))
    when = [f"{t:%Y-%m-%d %H:%M}" if pd.notna(t) else (str(m) if pd.notna(m) else "n/a")
            for t, m in zip(tiers["published_local"], tiers["published_month"], strict=True)]
    return pd.DataFrame({
        "Published": when,
        "Platform": [level_name("platform", p) for p in tiers["platform"]] if "platform" in tiers.columns
        else "",
        "Format": tiers["content_type"].astype("string").fillna("n/a").to_numpy(),
        "Text": tiers["text"].astype("string").fillna("").to_numpy(),
        label: [fmt_value(v, unit) for v in tiers["value"]],
        "Percentile": [_percentile_cell(percentile_shown(p)) if np.isfinite(p) else "n/a"
                       for p in tiers["percentile"].astype(float)],
        "Tier": tiers["tier"].astype(str).to_numpy(),
    })


# ------------------------------------------------------------------------------------------------
# helpers of the views


def _new_fig(*, height_in: float) -> tuple[Any, Any]:
    from .plotting import new_figure

    return new_figure(height_in=min(max(height_in, 2.4), 9.0))


def _unit(df: pd.DataFrame) -> str:
    return str(df.attrs.get("unit") or ("fraction" if df.attrs.get("kind") == "rate" else "count"))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _when(row: Any, fmt: str) -> str:
    """A post's local time, or its month when the export has no full time."""
    t = row["published_local"]
    if pd.notna(t):
        return f"{t:{fmt}}".replace(f"{t:%d}", str(t.day), 1) if fmt.startswith("%d") else f"{t:{fmt}}"
    m = row.get("published_month")
    return pd.Timestamp(f"{m}-01").strftime("%b %Y") if isinstance(m, str) else "date unknown"


def _n_posts(n: int) -> str:
    return f"{int(n):,} post" + ("" if int(n) == 1 else "s")


def _signed_pct(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if round(100 * x) == 0:
        return "0 %"  # not "+0 %" or "−0 %"
    return f"{'+' if x >= 0 else '−'}{abs(100 * x):.0f} %"


def _percentile_cell(shown: float) -> str:
    """A post's percentile in the table: "93rd"; "lowest" for 0 (no post below it, "0th" reads as an
    error) and "highest" for 100."""
    n = int(shown)
    return "lowest" if n <= 0 else "highest" if n >= 100 else _ordinal(n)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _common_caveats(seg: pd.DataFrame) -> list[str]:
    a = seg.attrs
    method = {"adjusted": "Wilson intervals on counts divided by the segment's design effect (posts differ "
                          "more than chance alone would make them)",
              "wilson": "plain Wilson intervals (every reached account a trial)",
              "bootstrap": "post-level bootstrap intervals"}[a["interval"]]
    out = [f"Intervals: {100 * a['confidence']:g} % {method}."]
    if a.get("n_missing_kpi"):
        out.append(f"{a['n_missing_kpi']} posts with blank cells were left out of {_lower(a['label'])}.")
    if a.get("n_missing_segment"):
        out.append(f"{a['n_missing_segment']} posts without a {' / '.join(map(_plain_column, a['by']))} "
                   "count in the total only.")
    return out


def _display_table(seg: pd.DataFrame, *, by: str, unit: str, confidence: float) -> pd.DataFrame:
    """One row a segment, best first: the chart's order, not the alphabet's."""
    label = seg.attrs["label"]
    seg = seg.sort_values("value", ascending=False, na_position="last", kind="stable")
    return pd.DataFrame({
        _plain_column(by).capitalize(): [level_name(by, x) for x in seg[by]],
        "Posts": [f"{int(n):,}" for n in seg["n_posts"]],
        label[0].upper() + label[1:]: [fmt_value(v, unit) for v in seg["value"]],
        f"{100 * confidence:g} % CI": [fmt_interval(a, b, unit, confidence=confidence).split("CI ")[-1]
                                       for a, b in zip(seg["ci_low"], seg["ci_high"], strict=True)],
        "Against all posts": [_signed_pct(x) for x in seg["lift"]],
        "Rank": [str(r) if pd.notna(r) else TOO_FEW for r in seg["rank"]],
    })


def _alt_segments(seg: pd.DataFrame, *, by: str, unit: str) -> str:
    parts = [f"{level_name(by, s)}: {fmt_value(v, unit)} ({n:,} post{'s' * (n != 1)})" for s, v, n in
             zip(seg[by], seg["value"], seg["n_posts"], strict=True)]
    return f"{seg.attrs['label']} by {_plain_column(by)} with intervals. " + "; ".join(parts)
