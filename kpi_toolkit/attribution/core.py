"""Running every model on one path table, bootstrap intervals, spend efficiency and the comparison.

``run_attribution`` returns the tidy table the CLI writes and the report shows — one row per channel
and model with ``conversions`` and ``value`` (plus ``lower``/``upper`` and ``value_lower``/
``value_upper`` when bootstrapped) — and keeps the bootstrap replicates, so the report can ask
whether the leading channel's lead is larger than the resampling noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import NoDataError, ParameterError
from ..params import AttributionOptions
from .heuristics import HEURISTICS, credit_frame, fraction_matrix, touch_fractions
from .markov import MarkovChain
from .paths import PathTable
from .shapley import ShapleyGame

MODELS: tuple[str, ...] = ("first", "last", "last_non_direct", "linear", "time_decay", "position", "markov",
                           "shapley")
"""Every model, in the order the comparison shows them (rules first, data-driven last)."""

MODEL_LABELS: dict[str, str] = {
    "first": "First touch", "last": "Last touch", "last_non_direct": "Last non-direct",
    "linear": "Linear", "time_decay": "Time decay", "position": "Position based (40/20/40)",
    "markov": "Markov chain", "shapley": "Shapley value",
}
"""Plain names of the models for tables and charts."""


@dataclass
class AttributionResult:
    """The attribution of one path table by several models.

    Attributes
    ----------
    table : DataFrame
        ``channel``, ``model``, ``conversions``, ``value`` and, when bootstrapped, ``lower``,
        ``upper`` (interval of the attributed conversions), ``value_lower``, ``value_upper``.
    replicates : dict
        Model -> array (B × channels) of bootstrapped attributed conversions (empty without
        bootstrap); ``replicates_value`` the same for value.
    channels : tuple of str
    total_conversions, total_value, total_journeys : float
    unattributed_conversions, unattributed_value : float
        Conversions with no touch in their window (not in any model's credits).
    notes : list of str
        Plain-words notes on how the numbers were made (time proxy, sampling error, ...).
    """

    table: pd.DataFrame
    channels: tuple[str, ...]
    total_conversions: float
    total_value: float
    total_journeys: float
    replicates: dict[str, np.ndarray] = field(default_factory=dict)
    replicates_value: dict[str, np.ndarray] = field(default_factory=dict)
    unattributed_conversions: float = 0.0
    unattributed_value: float = 0.0
    bootstrap_samples: int = 0
    confidence: float = 0.95
    options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def model(self, name: str) -> pd.DataFrame:
        """The rows of one model, best channel first."""
        t = self.table[self.table["model"] == name]
        return t.sort_values("conversions", ascending=False, kind="stable").reset_index(drop=True)

    def lead(self, model: str) -> dict[str, Any]:
        """The leading channel of ``model``, the runner-up and whether the lead is beyond the noise.

        The lead is *clear* when the bootstrap interval of the difference (leader minus runner-up,
        computed replicate by replicate) excludes zero; None when there was no bootstrap.
        """
        t = self.model(model)
        if len(t) == 0:
            raise NoDataError(f"no channels for model {model!r}")
        out: dict[str, Any] = {"leader": str(t["channel"].iloc[0]), "conversions": float(t["conversions"].iloc[0]),
                               "runner_up": None, "runner_up_conversions": np.nan, "difference": np.nan,
                               "difference_lower": np.nan, "difference_upper": np.nan, "clear": None}
        if len(t) < 2:
            return out
        out.update(runner_up=str(t["channel"].iloc[1]), runner_up_conversions=float(t["conversions"].iloc[1]))
        out["difference"] = out["conversions"] - out["runner_up_conversions"]
        reps = self.replicates.get(model)
        if reps is not None and len(reps):
            i, j = self.channels.index(out["leader"]), self.channels.index(out["runner_up"])
            d = reps[:, i] - reps[:, j]
            lo, hi = _percentile_interval(d, self.confidence)
            out.update(difference_lower=float(lo), difference_upper=float(hi), clear=bool(lo > 0))
        return out


def _percentile_interval(x: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1.0 - confidence) / 2.0
    return (np.quantile(x, alpha, axis=0, method="linear"),
            np.quantile(x, 1.0 - alpha, axis=0, method="linear"))


def _resolve_models(models: str | Sequence[str]) -> list[str]:
    aliases = {"first_touch": "first", "last_touch": "last", "position_based": "position"}
    names = [models] if isinstance(models, str) else list(models)
    out: list[str] = []
    for m in names:
        m = aliases.get(m, m)
        if m == "all":
            out += [x for x in MODELS if x not in out]
        elif m in MODELS:
            if m not in out:
                out.append(m)
        else:
            raise ParameterError(f"unknown attribution model {m!r}; known: {', '.join(MODELS)}, all")
    return out


def run_attribution(
    paths: PathTable,
    *,
    models: str | Sequence[str] = "all",
    options: AttributionOptions | None = None,
    bootstrap_samples: int | None = None,
    confidence: float | None = None,
    seed: int = 42,
    max_exact_channels: int = 15,
    n_permutations: int = 2000,
) -> AttributionResult:
    """Attribute the conversions and value of ``paths`` to channels with each model.

    Parameters
    ----------
    paths : PathTable
        From :func:`~kpi_toolkit.attribution.paths_from_frame` or
        :func:`~kpi_toolkit.attribution.journeys_from_events`.
    models : str or sequence of str
        Model names (:data:`MODELS`) or ``"all"``.
    options : AttributionOptions, optional
        The client's attribution parameters (Markov order, half-life, position weights, direct
        channels, Shapley value function, bootstrap size and confidence). Defaults when None.
    bootstrap_samples : int, optional
        Bootstrap replicates B (overrides ``options.bootstrap_samples``); 0 for none.
    confidence : float, optional
        Interval coverage (overrides ``options.confidence``).
    seed : int
        Seed of the bootstrap and of sampled Shapley orders.
    max_exact_channels, n_permutations : int
        Shapley enumeration limit and sample size (see :func:`~kpi_toolkit.attribution.shapley`).

    Returns
    -------
    AttributionResult

    Notes
    -----
    The bootstrap resamples *journeys*: each replicate draws ``N`` journeys (``N`` = all journeys)
    from the multinomial over (path, converted or not) cells with probabilities proportional to
    their counts, re-runs every model on the resampled counts and keeps the attributed conversions;
    intervals are percentile intervals (Efron & Tibshirani 1993, ch. 13). A converted journey keeps
    its path's average conversion value.

    References
    ----------
    .. [1] Efron B. & Tibshirani R. J. (1993). An Introduction to the Bootstrap, ch. 6 and 13.
       Chapman & Hall.
    """
    opts = options or AttributionOptions()
    B = opts.bootstrap_samples if bootstrap_samples is None else int(bootstrap_samples)
    conf = opts.confidence if confidence is None else float(confidence)
    if B < 0:
        raise ParameterError(f"bootstrap samples must be >= 0 (got {B})")
    if not 0 < conf < 1:
        raise ParameterError(f"confidence must be between 0 and 1 (got {conf})")
    names = _resolve_models(models)
    if paths.n_paths == 0 or paths.total_conversions <= 0:
        raise NoDataError(f"{paths.source}: no converting journeys to attribute")
    notes: list[str] = []

    # one "engine" per model: weights (conversions, value, nulls) -> (conversions, value) per channel
    engines: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {}
    extra: dict[str, dict[str, np.ndarray]] = {}
    for m in names:
        if m in HEURISTICS:
            frac = touch_fractions(paths, m, half_life_days=opts.half_life_days,
                                   position_weights=opts.position_weights, direct_channels=opts.direct_channels)
            F = fraction_matrix(paths, frac).T.tocsr()  # channels × paths

            def _rule(c: np.ndarray, v: np.ndarray, n: np.ndarray, F: Any = F) -> tuple[np.ndarray, np.ndarray]:
                return F @ c, F @ v

            engines[m] = _rule
            if m == "time_decay" and paths.ages_days is None:
                notes.append("The paths carry no timestamps, so time decay uses each touch's position as "
                             f"its age: the touch n steps before the last one counts as n days old "
                             f"(half-life {opts.half_life_days:g} days).")
            if m == "last_non_direct" and not set(opts.direct_channels) & set(paths.channels):
                notes.append("No direct channel ("
                             + ", ".join(opts.direct_channels) + ") is in the paths: last non-direct equals "
                             "last touch.")
        elif m == "markov":
            chain = MarkovChain(paths, order=opts.markov_order)

            def _mk(c: np.ndarray, v: np.ndarray, n: np.ndarray, chain: MarkovChain = chain
                    ) -> tuple[np.ndarray, np.ndarray]:
                conv, val, _ = chain.credits(c, v, n, method="iterative")
                return conv, val

            engines[m] = _mk
            _, _, re = chain.credits()
            extra[m] = {"removal_effect": re}
            if opts.markov_order > 1:
                notes.append(f"The Markov chain is of order {opts.markov_order}: a state remembers the last "
                             f"{opts.markov_order} channels ({chain.n_states - 1} states observed).")
        elif m == "shapley":
            game = ShapleyGame(paths, value_function=opts.shapley_value, max_exact_channels=max_exact_channels,
                               n_permutations=n_permutations, seed=seed)

            def _sh(c: np.ndarray, v: np.ndarray, n: np.ndarray, game: ShapleyGame = game
                    ) -> tuple[np.ndarray, np.ndarray]:
                conv, val, _, _ = game.credits(c, v, n)
                return conv, val

            engines[m] = _sh
            if not game.exact:
                _, _, se, _ = game.credits()
                extra[m] = {"standard_error": se}
                notes.append(f"Shapley values were estimated from {n_permutations} random channel orders "
                             f"({paths.n_channels} channels is too many to enumerate); the largest standard "
                             f"error is {se.max():.1f} conversions.")

    point = {m: eng(paths.conversions, paths.value, paths.nulls) for m, eng in engines.items()}
    if "markov" in engines:  # the point estimate by direct factorisation (replicates may iterate)
        point["markov"] = chain.credits()[:2]
    reps: dict[str, np.ndarray] = {}
    reps_v: dict[str, np.ndarray] = {}
    if B > 0:
        rng = np.random.default_rng(seed)
        cells = np.concatenate([paths.conversions, paths.nulls])
        N = int(round(cells.sum()))
        pvals = cells / cells.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            vpc = np.where(paths.conversions > 0, paths.value / paths.conversions, 0.0)
        k = paths.n_paths
        for m in engines:
            reps[m] = np.empty((B, paths.n_channels))
            reps_v[m] = np.empty((B, paths.n_channels))
        for b in range(B):
            draw = rng.multinomial(N, pvals).astype(np.float64)
            c, n = draw[:k], draw[k:]
            v = c * vpc
            for m, eng in engines.items():
                reps[m][b], reps_v[m][b] = eng(c, v, n)

    frames = []
    for m in names:
        conv, val = point[m]
        f = credit_frame(paths.channels, m, conv, val)
        if B > 0:
            lo, hi = _percentile_interval(reps[m], conf)
            vlo, vhi = _percentile_interval(reps_v[m], conf)
            f["lower"], f["upper"], f["value_lower"], f["value_upper"] = lo, hi, vlo, vhi
        frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    if paths.unattributed_conversions > 0:
        notes.append(f"{paths.unattributed_conversions:,.0f} conversions had no tracked touch in their window "
                     "and are not attributed to any channel.")
    return AttributionResult(
        table=table, channels=paths.channels, total_conversions=paths.total_conversions,
        total_value=paths.total_value, total_journeys=paths.total_journeys, replicates=reps,
        replicates_value=reps_v, unattributed_conversions=paths.unattributed_conversions,
        unattributed_value=paths.unattributed_value, bootstrap_samples=B, confidence=conf,
        options={**opts.model_dump(), "models": names, "seed": seed}, notes=notes,
    )


def attribute(paths: PathTable, *, models: str | Sequence[str] = "all", options: AttributionOptions | None = None,
              bootstrap_samples: int | None = 0, confidence: float | None = None, seed: int = 42) -> pd.DataFrame:
    """The tidy table of :func:`run_attribution` (no bootstrap unless ``bootstrap_samples`` > 0).

    Returns
    -------
    DataFrame
        ``channel``, ``model``, ``conversions``, ``value`` (+ ``lower``, ``upper``, ``value_lower``,
        ``value_upper`` when bootstrapped).
    """
    return run_attribution(paths, models=models, options=options, bootstrap_samples=bootstrap_samples,
                           confidence=confidence, seed=seed).table


# ---------------------------------------------------------------------------------------------
# spend, CPA and ROAS
# ---------------------------------------------------------------------------------------------
def channel_spend(
    ads: pd.DataFrame,
    *,
    first_day: pd.Timestamp | str | None = None,
    end_day: pd.Timestamp | str | None = None,
    channel_map: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Ad spend per attribution channel.

    Parameters
    ----------
    ads : DataFrame
        The ``ads`` table (``date``, ``platform``, ``spend``).
    first_day, end_day : Timestamp or str, optional
        Local calendar days ``[first_day, end_day)`` (a :class:`~kpi_toolkit.periods.Period`'s
        ``first_day``/``end_day``).
    channel_map : dict, optional
        Ads platform -> touchpoint channel name (``{"facebook": "paid_social"}``); a platform not in
        the map keeps its name.

    Returns
    -------
    DataFrame
        ``channel``, ``spend`` (client's currency), one row per channel with spend.
    """
    miss = [c for c in ("date", "platform", "spend") if c not in ads.columns]
    if miss:
        from ..exceptions import DataValidationError

        raise DataValidationError("ads", "missing required column", column=miss[0])
    d = pd.to_datetime(ads["date"])
    keep = np.ones(len(ads), dtype=bool)
    if first_day is not None:
        keep &= (d >= pd.Timestamp(first_day)).to_numpy()
    if end_day is not None:
        keep &= (d < pd.Timestamp(end_day)).to_numpy()
    sub = ads.loc[keep, ["platform", "spend"]]
    cmap = channel_map or {}
    ch = sub["platform"].astype("string").map(lambda p: cmap.get(p, p)).astype("string")
    out = (pd.DataFrame({"channel": ch, "spend": pd.to_numeric(sub["spend"]).to_numpy(dtype=float)})
           .groupby("channel", as_index=False, sort=True)["spend"].sum())
    return out


def with_spend(table: pd.DataFrame, spend: pd.DataFrame) -> pd.DataFrame:
    """Attributed CPA and ROAS per channel and model.

    ``cpa = spend / attributed conversions`` and ``roas = attributed value / spend`` (ratios of sums;
    NaN when the denominator is 0 or the channel has no spend). With bootstrap columns, ``roas_lower``/
    ``roas_upper`` follow from the value interval and ``cpa_lower``/``cpa_upper`` from the conversions
    interval (spend is taken as known).

    Parameters
    ----------
    table : DataFrame
        From :func:`attribute` / :attr:`AttributionResult.table`.
    spend : DataFrame
        ``channel``, ``spend`` (from :func:`channel_spend`).

    Returns
    -------
    DataFrame
        ``table`` plus ``spend``, ``cpa``, ``roas`` (and their bounds when available).

    References
    ----------
    .. [1] Google Ads Help, "Cost per acquisition (CPA)" and "Return on ad spend (ROAS)".
    """
    out = table.merge(spend[["channel", "spend"]], on="channel", how="left")
    s = out["spend"].to_numpy(dtype=float, na_value=np.nan)

    def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((den > 0) & np.isfinite(den), num / np.where(den > 0, den, 1.0), np.nan)

    out["cpa"] = _ratio(s, out["conversions"].to_numpy(dtype=float))
    out["roas"] = _ratio(out["value"].to_numpy(dtype=float), s)
    if "lower" in out.columns:
        out["cpa_lower"] = _ratio(s, out["upper"].to_numpy(dtype=float))
        out["cpa_upper"] = _ratio(s, out["lower"].to_numpy(dtype=float))
        out["roas_lower"] = _ratio(out["value_lower"].to_numpy(dtype=float), s)
        out["roas_upper"] = _ratio(out["value_upper"].to_numpy(dtype=float), s)
    return out


def compare_models(table: pd.DataFrame, *, measure: str = "conversions", share: bool = True) -> pd.DataFrame:
    """All models side by side: one row per channel, one column per model.

    Parameters
    ----------
    table : DataFrame
        The tidy attribution table.
    measure : {"conversions", "value"}
    share : bool
        Fractions of the model's total (0.25 = 25 %) instead of counts.

    Returns
    -------
    DataFrame
        ``channel`` and one column per model (in :data:`MODELS` order), channels ordered by their
        average share across models.
    """
    if measure not in ("conversions", "value"):
        raise ParameterError(f"measure must be 'conversions' or 'value' (got {measure!r})")
    wide = table.pivot_table(index="channel", columns="model", values=measure, aggfunc="sum", observed=True)
    cols = [m for m in MODELS if m in wide.columns] + [m for m in wide.columns if m not in MODELS]
    wide = wide[cols]
    if share:
        totals = wide.sum(axis=0)
        wide = wide.div(totals.where(totals != 0))
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False, kind="stable").index]
    wide.columns.name = None
    return wide.reset_index()
