"""Is a change real? Tests suited to the kind of KPI, and the plain words a report uses for them.

* Rates with a count denominator (CTR, engagement rate by reach, negative share): the
  two-proportion z-test (statsmodels ``proportions_ztest``).
* Counts per day (mentions, reach, conversions): the score test for the ratio of two Poisson rates
  with the days as exposure (statsmodels ``test_poisson_2indep``; Gu et al. 2008).
* Anything else (money, ratios of money, per-post averages): a bootstrap over blocks of
  consecutive days (circular block bootstrap; Künsch 1989, Politis & Romano 1992) of the
  difference of the two ratios of sums (Efron & Tibshirani 1993), studentised by its Newey-West
  standard error in the data and in every resample (bootstrap-t; Götze & Künsch 1996, Gonçalves &
  Vogelsang 2011), with the p-value of the centred bootstrap distribution (Hall & Wilson 1991).

Social data is over-dispersed: the days of a month differ far more than binomial or Poisson noise
(a good post, a weekend, a news story), so the textbook tests call almost every change of a
large count "significant". The tests here therefore divide the z statistic by the square root of
the Pearson dispersion of the daily values around each period's rate, as quasi-likelihood does
(McCullagh & Nelder 1989, §4.5; Wedderburn 1974). The dispersion is never taken below 1, so an
adjusted test is never more eager than the textbook one; with ``dispersion=1`` the functions
reproduce statsmodels exactly.

Nor are the days of a month independent: a campaign burst lasts several days, a week has its rhythm,
and tests that treat the days as independent call chance changes "clear" two to three times too
often (docs/trend-detection.md has the simulations). The z tests therefore also widen the
dispersion by the Newey-West factor of the daily Pearson residuals (Newey & West 1987, never below
1), and the bootstrap resamples blocks of days whose length is estimated from the data (Politis &
White 2004; Patton, Politis & White 2009, via ``arch``). A month holds only about ten such blocks,
too few for the spread of the resampled differences to be trusted as it is (12 % false alarms at
AR(1) 0.3); dividing each difference by its own Newey-West standard error before comparing brings
that to 6 % (tests/test_significance.py).

References
----------
Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall, ch. 12, 16.
Gonçalves, S. & Vogelsang, T. J. (2011). Block bootstrap HAC robust tests: the sophistication of the
naive bootstrap. Econometric Theory 27(4), 745-791.
Götze, F. & Künsch, H. R. (1996). Second-order correctness of the blockwise bootstrap for stationary
observations. Annals of Statistics 24(5), 1914-1933.
Gu, K., Ng, H. K. T., Tang, M. L. & Schucany, W. R. (2008). Testing the ratio of two Poisson rates.
Biometrical Journal 50(2), 283-298.
Künsch, H. R. (1989). The jackknife and the bootstrap for general stationary observations. Annals
of Statistics 17(3), 1217-1241.
Newey, W. K. & West, K. D. (1987). Econometrica 55(3), 703-708; (1994) Review of Economic Studies
61(4), 631-653.
Patton, A., Politis, D. N. & White, H. (2009). Econometric Reviews 28(4), 372-375.
Politis, D. N. & Romano, J. P. (1992). A circular block-resampling procedure for stationary data.
In Exploring the Limits of Bootstrap, Wiley, 263-270.
Politis, D. N. & White, H. (2004). Econometric Reviews 23(1), 53-70.
Hall, P. & Wilson, S. R. (1991). Two guidelines for bootstrap hypothesis testing. Biometrics 47(2),
757-762.
McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed. Chapman & Hall, §4.5.
Wedderburn, R. W. M. (1974). Quasi-likelihood functions, generalized linear models, and the
Gauss-Newton method. Biometrika 61(3), 439-447.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError


@dataclass(frozen=True)
class TestResult:
    """Outcome of one comparison test."""

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    p_value: float
    dispersion: float = 1.0
    block_days: int = 1
    """Bootstrap: the longer period's block length in days (1: days resampled one by one)."""


def _z_p(z: float) -> float:
    from scipy import stats

    return float(2.0 * stats.norm.sf(abs(z))) if math.isfinite(z) else math.nan


def two_proportion_test(x1: float, n1: float, x2: float, n2: float, *, dispersion: float = 1.0
                        ) -> TestResult:
    """Two-proportion z-test of ``x1/n1`` against ``x2/n2`` (pooled variance), optionally
    adjusted for over-dispersion.

    Parameters
    ----------
    x1, n1
        Successes and trials of the current period (clicks and impressions).
    x2, n2
        The same for the comparison period.
    dispersion
        Pearson dispersion (>= 1); the z statistic is divided by its square root.

    Returns
    -------
    TestResult
        ``statistic`` is the (adjusted) z; with ``dispersion=1`` it equals statsmodels'
        ``proportions_ztest([x1, x2], [n1, n2])``.

    References
    ----------
    statsmodels.stats.proportion.proportions_ztest; McCullagh & Nelder (1989) §4.5 for the
    dispersion adjustment.
    """
    from statsmodels.stats.proportion import proportions_ztest

    for name, v in (("x1", x1), ("n1", n1), ("x2", x2), ("n2", n2)):
        if not math.isfinite(v) or v < 0:
            raise ParameterError(f"two_proportion_test: {name} must be a non-negative number, got {v!r}")
    if n1 <= 0 or n2 <= 0:
        raise ParameterError("two_proportion_test: both periods need trials (n1, n2 > 0)")
    if x1 > n1 or x2 > n2:
        raise ParameterError("two_proportion_test: successes cannot exceed trials; use poisson_rate_test")
    if (x1 + x2) == 0 or (x1 + x2) == (n1 + n2):
        return TestResult("two-proportion z-test", 0.0, 1.0, dispersion)
    z, _ = proportions_ztest([x1, x2], [n1, n2])
    z = float(z) / math.sqrt(max(dispersion, 1.0))
    return TestResult("two-proportion z-test", z, _z_p(z), max(dispersion, 1.0))


def poisson_rate_test(c1: float, e1: float, c2: float, e2: float, *, dispersion: float = 1.0
                      ) -> TestResult:
    """Score test that two Poisson rates ``c1/e1`` and ``c2/e2`` are equal, optionally adjusted
    for over-dispersion.

    Parameters
    ----------
    c1, e1
        Count and exposure (days, or the denominator of a rate) of the current period.
    c2, e2
        The same for the comparison period.
    dispersion
        Pearson dispersion (>= 1) of the daily counts; the z statistic is divided by its root.

    Returns
    -------
    TestResult
        With ``dispersion=1``, statistic and p-value equal statsmodels'
        ``test_poisson_2indep(c1, e1, c2, e2, method="score")``.

    References
    ----------
    Gu et al. (2008); statsmodels.stats.rates.test_poisson_2indep.
    """
    from statsmodels.stats.rates import test_poisson_2indep

    for name, v in (("c1", c1), ("e1", e1), ("c2", c2), ("e2", e2)):
        if not math.isfinite(v) or v < 0:
            raise ParameterError(f"poisson_rate_test: {name} must be a non-negative number, got {v!r}")
    if e1 <= 0 or e2 <= 0:
        raise ParameterError("poisson_rate_test: both periods need a positive exposure (e1, e2 > 0)")
    if c1 + c2 == 0:
        return TestResult("Poisson rate test", 0.0, 1.0, dispersion)
    res = test_poisson_2indep(c1, e1, c2, e2, method="score")
    z = float(res.statistic) / math.sqrt(max(dispersion, 1.0))
    return TestResult("Poisson rate test", z, _z_p(z), max(dispersion, 1.0))


MIN_BLOCK_DAYS = 8
"""Fewest days a period needs before its serial correlation is estimated (the Politis-White rule
looks at up to ``ceil(sqrt(n)) + 5`` autocorrelations; ``arch`` refuses shorter series). A shorter
period (a week) is resampled day by day, and its test is named so."""


def ratio_block_length(num: np.ndarray, den: np.ndarray) -> int:
    """Data-driven block length, in days, of the circular block bootstrap of ``sum(num)/sum(den)``.

    The Politis & White (2004) estimate with the correction of Patton, Politis & White (2009), as
    computed by ``arch.bootstrap.optimal_block_length`` (its ``circular`` column), applied to the
    ratio's linearisation ``num - R den`` with ``R = sum(num)/sum(den)`` (the series whose sum the
    ratio's error follows to first order; for a plain sum, the demeaned daily values). Rounded to
    the nearest whole day, at least 1 and at most half the period.

    Parameters
    ----------
    num, den
        Per-day numerators and denominators of one period, in day order.

    Returns
    -------
    int
        1 for a series without serial correlation (the bootstrap is then the plain one over days),
        for a constant series and for periods shorter than :data:`MIN_BLOCK_DAYS`.

    References
    ----------
    Politis, D. N. & White, H. (2004). Automatic block-length selection for the dependent bootstrap.
    Econometric Reviews 23(1), 53-70. Patton, A., Politis, D. N. & White, H. (2009). Correction to
    "Automatic block-length selection for the dependent bootstrap". Econometric Reviews 28(4),
    372-375.
    """
    from arch.bootstrap import optimal_block_length

    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    n = len(num)
    if n < MIN_BLOCK_DAYS or not den.sum() > 0:
        return 1
    z = num - num.sum() / den.sum() * den
    if not np.all(np.isfinite(z)) or np.ptp(z) <= 1e-12 * max(1.0, float(np.max(np.abs(z)))):
        return 1
    with np.errstate(divide="ignore", invalid="ignore"):
        b = float(optimal_block_length(z)["circular"].iloc[0])
    if not math.isfinite(b):
        return 1
    return int(min(max(round(b), 1), n // 2))


def circular_block_indices(n: int, block_days: int, n_boot: int, rng: np.random.Generator
                           ) -> np.ndarray:
    """``n_boot`` resamples of the positions ``0..n-1`` by the circular block bootstrap.

    Each resample joins ``ceil(n / block_days)`` blocks of ``block_days`` consecutive days, each
    starting on a uniformly drawn day and wrapping from the period's last day to its first, cut to
    ``n`` days. The draws are those of ``arch.bootstrap.CircularBlockBootstrap(block_days, x,
    seed=rng)`` replicate after replicate (a test checks they are equal), made in one array: arch
    draws one replicate per Python call, 25 ms for 2,000 replicates against 1 ms here. With
    ``block_days=1`` it is the ordinary bootstrap over days (Efron & Tibshirani 1993).

    Returns
    -------
    numpy.ndarray
        ``(n_boot, n)`` integer positions.

    References
    ----------
    Politis, D. N. & Romano, J. P. (1992). A circular block-resampling procedure for stationary
    data. In Exploring the Limits of Bootstrap (LePage & Billard, eds.), Wiley, 263-270.
    Künsch, H. R. (1989). The jackknife and the bootstrap for general stationary observations.
    Annals of Statistics 17(3), 1217-1241.
    """
    blocks = -(-n // block_days)
    starts = rng.integers(n, size=(n_boot, blocks), dtype=np.int64)
    if block_days == 1:
        return starts
    idx = (starts[:, :, None] + np.arange(block_days, dtype=np.int64)).reshape(n_boot, -1)[:, :n]
    if block_days <= n:  # a start plus an offset stays below 2 n: one subtraction wraps it, faster than % n
        idx[idx >= n] -= n
    else:
        idx %= n
    return idx


def ratio_hac_variance(num: np.ndarray, den: np.ndarray, lags: int) -> np.ndarray | float:
    """Newey-West variance of the ratio of sums ``sum(num)/sum(den)`` along the last axis (days).

    The ratio's first-order error is ``sum(z)/sum(den)`` with ``z = num - R den`` and
    ``R = sum(num)/sum(den)`` (the linearisation, or delta method), so its variance is the
    Newey-West long-run sum ``sum_t z_t^2 + 2 sum_k (1 - k/(L+1)) sum_t z_t z_{t+k}`` over
    ``sum(den)^2``. This is statsmodels' HAC variance (Bartlett kernel, ``maxlags=L``, no
    small-sample correction) of the weighted-least-squares slope of ``num`` on ``den`` with weights
    ``1/den`` (whose slope is ``R``; a test checks the two agree); for a plain sum (``den`` = 1 a
    day) the HAC variance of the daily mean. Written out because it is computed for every resample
    at once (``(n_boot, days)`` arrays), which statsmodels does one fit at a time.

    Parameters
    ----------
    num, den
        Per-day numerators and denominators, days along the last axis.
    lags
        ``L``: 0 is the variance that takes the days as independent (the sandwich HC0 variance).

    Returns
    -------
    float or numpy.ndarray
        One variance per row (never negative; NaN where ``sum(den)`` is 0).

    References
    ----------
    Newey, W. K. & West, K. D. (1987). Econometrica 55(3), 703-708. Efron & Tibshirani (1993)
    ch. 21 for the linearisation (delta method) of a ratio.
    """
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        total = den.sum(axis=-1)
        z = num - (num.sum(axis=-1) / total)[..., None] * den
        lrv = np.einsum("...t,...t->...", z, z)
        for k in range(1, min(int(lags), z.shape[-1] - 1) + 1):
            lrv = lrv + 2.0 * (1.0 - k / (lags + 1)) * np.einsum("...t,...t->...", z[..., k:], z[..., :-k])
        return np.maximum(lrv, 0.0) / total**2


def bootstrap_ratio_test(num1: np.ndarray, den1: np.ndarray, num2: np.ndarray, den2: np.ndarray, *,
                         n_boot: int = 2000, seed: int = 42, block_days: int | None = None,
                         studentize: bool = True) -> TestResult:
    """Bootstrap test that two ratios of sums ``sum(num1)/sum(den1)`` and ``sum(num2)/sum(den2)``
    are equal, resampling blocks of consecutive days of each period (circular block bootstrap) and
    comparing the difference in units of its own standard error (bootstrap-t).

    Days next to each other are alike (a campaign burst lasts several days, a week has its
    rhythm), so resampling single days as if they were independent understates how much a month's
    total can vary and calls chance changes "clear". Resampling runs of ``block_days`` consecutive
    days keeps that likeness (Künsch 1989; Politis & Romano 1992); the length of the runs is
    estimated from each period's own days (:func:`ratio_block_length`).

    A month holds only about ten runs, so the spread of the resampled differences is itself
    uncertain and on average too narrow: compared as they are (the percentile test,
    ``studentize=False``), 12 % of chance changes read "unlikely to be chance" on days that follow
    an AR(1) with coefficient 0.3. The test therefore divides the observed difference and each
    resampled one by its Newey-West standard error (:func:`ratio_hac_variance`, ``L`` =
    :func:`newey_west_lags` of the period's days, 0 for a period shorter than
    :data:`MIN_BLOCK_DAYS`), computed from the resample's own days exactly as from the data's:
    the studentised block bootstrap (Götze & Künsch 1996; Davison & Hinkley 1997 §8.2), in the
    "naive" form of Gonçalves & Vogelsang (2011), which carries the standard error's small-sample
    bias and noise into the reference distribution. Hall & Wilson's (1991) first guideline asks
    for exactly this pivot. On the simulations of ``tests/test_significance.py`` it calls 6 % of
    chance changes real at AR(1) 0.3 (3 % with independent days) and finds a true +20 % change
    about as often as a test that knew the true null distribution would (41 % against 44 %).

    Parameters
    ----------
    num1, den1
        Per-unit numerators and denominators of the current period, in day order (for a plain
        sum, the daily values over a denominator of 1 per day).
    num2, den2
        The same for the comparison period.
    n_boot
        Resamples.
    seed
        Seed of ``numpy.random.default_rng``: the result is deterministic.
    block_days
        Block length for both periods; None estimates one per period (:func:`ratio_block_length`),
        1 gives the ordinary bootstrap over days.
    studentize
        False: the percentile test of the plain differences, as before the studentisation (kept for
        the simulations that compare the two).

    Returns
    -------
    TestResult
        ``statistic`` is the observed difference of the ratios ``d``. ``p_value`` is
        ``(1 + #{|t* | >= |t|}) / (n_boot + 1)`` with ``t = d / se`` and
        ``t* = (d* - d) / se*`` over the resampled differences ``d*`` (the centred distribution
        stands in for the null, Hall & Wilson 1991); with ``studentize=False``
        ``(1 + #{|d* - d| >= |d|}) / (n_boot + 1)``. Where ``block_days`` is None it is never below
        the percentile p-value of resampling single days. ``block_days`` is the longer of the two
        periods' block lengths. ``test`` is "bootstrap over blocks of days", or "bootstrap over
        days" where a period is too short to estimate a block length (:data:`MIN_BLOCK_DAYS`) and
        ``block_days`` was not given.

    References
    ----------
    Künsch (1989); Politis & Romano (1992); Politis & White (2004) with Patton, Politis & White
    (2009) for the block length; Götze, F. & Künsch, H. R. (1996), Annals of Statistics 24(5),
    1914-1933; Gonçalves, S. & Vogelsang, T. J. (2011), Econometric Theory 27(4), 745-791;
    Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application. Cambridge
    University Press, §8.2; Efron & Tibshirani (1993) ch. 12 and 16; Hall & Wilson (1991).
    """
    arrays = [np.asarray(a, dtype="float64") for a in (num1, den1, num2, den2)]
    if len(arrays[0]) != len(arrays[1]) or len(arrays[2]) != len(arrays[3]):
        raise ParameterError("bootstrap_ratio_test: numerators and denominators must have equal length")
    if min(len(arrays[0]), len(arrays[2])) < 2:
        raise ParameterError("bootstrap_ratio_test: each period needs at least 2 units")
    if n_boot < 100:
        raise ParameterError(f"n_boot must be at least 100, got {n_boot}")
    if block_days is not None and (int(block_days) != block_days or block_days < 1):
        raise ParameterError(f"block_days must be a whole number of days >= 1, got {block_days!r}")
    name = "bootstrap over blocks of days"
    if block_days is None:
        if min(len(arrays[0]), len(arrays[2])) < MIN_BLOCK_DAYS:
            name = "bootstrap over days"
        blocks = (ratio_block_length(arrays[0], arrays[1]), ratio_block_length(arrays[2], arrays[3]))
    else:
        blocks = (int(block_days), int(block_days))

    def lags(n: int) -> int:
        return newey_west_lags(n) if n >= MIN_BLOCK_DAYS else 0

    def resample(num: np.ndarray, den: np.ndarray, b: int, rng: np.random.Generator, student: bool
                 ) -> tuple[float, float, np.ndarray, np.ndarray | None]:
        idx = circular_block_indices(len(num), min(b, len(num)), n_boot, rng)
        nb, db = num[idx], den[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            r, rs = float(num.sum() / den.sum()), nb.sum(axis=1) / db.sum(axis=1)
        if not student:
            return r, math.nan, rs, None
        L = lags(len(num))
        return r, float(ratio_hac_variance(num, den, L)), rs, ratio_hac_variance(nb, db, L)

    def p_value(b1: int, b2: int, student: bool) -> tuple[float, float]:
        rng = np.random.default_rng(seed)
        r1, v1, s1, w1 = resample(arrays[0], arrays[1], b1, rng, student)
        r2, v2, s2, w2 = resample(arrays[2], arrays[3], b2, rng, student)
        d = r1 - r2
        if not math.isfinite(d):
            return math.nan, math.nan
        boot = s1 - s2 - d
        if d == 0:
            return 0.0, 1.0 if np.isfinite(boot).any() else math.nan
        if student and v1 + v2 > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                # a resample of alike days can have no spread: its t* is infinite (as extreme as any)
                boot, obs = boot / np.sqrt(w1 + w2), abs(d) / math.sqrt(v1 + v2)
        else:  # the percentile test; also where neither period varies (no standard error to divide by)
            obs = abs(d)
        boot = boot[~np.isnan(boot)]
        if boot.size == 0:
            return d, math.nan
        return d, float(min((1 + int(np.sum(np.abs(boot) >= obs))) / (boot.size + 1), 1.0))

    d, p = p_value(*blocks, studentize)
    if block_days is None and (studentize or max(blocks) > 1) and math.isfinite(p):
        # never more eager than the percentile test over single days (as the dispersion is never
        # below 1): an estimated negative correlation, or a block length fitted to noise, shrinks
        # the spread
        p = max(p, p_value(1, 1, False)[1])
    return TestResult(name, d, p, block_days=max(blocks))


def pearson_dispersion(units: list[tuple[np.ndarray, np.ndarray]], *, kind: str) -> float:
    """Pearson dispersion of per-unit counts around each group's pooled rate.

    Parameters
    ----------
    units
        One ``(numerators, denominators)`` pair per group (period); for counts per day the
        denominators are 1.
    kind
        "binomial" (variance ``n p (1 - p)``) or "poisson" (variance ``n p``).

    Returns
    -------
    float
        ``sum((x - n p)^2 / var) / (units - groups)``, at least 1; 1 when there are too few
        units to estimate it.

    References
    ----------
    McCullagh & Nelder (1989) §4.5.
    """
    chi2, dof = 0.0, 0
    for x, n in units:
        x = np.asarray(x, dtype="float64")
        n = np.asarray(n, dtype="float64")
        ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
        x, n = x[ok], n[ok]
        if len(x) < 2 or n.sum() <= 0:
            continue
        p = x.sum() / n.sum()
        var = n * p * (1 - p) if kind == "binomial" else n * p
        if np.any(var <= 0):
            continue
        chi2 += float(np.sum((x - n * p) ** 2 / var))
        dof += len(x) - 1
    if dof < 2:
        return 1.0
    return max(chi2 / dof, 1.0)


def newey_west_lags(n: int) -> int:
    """Lags of the Newey-West long-run variance for ``n`` days: ``floor(4 (n / 100)^(2/9))``
    (Newey & West 1994; statsmodels' default for ``cov_type="HAC"``): 3 for a month, 2 for a week.

    References
    ----------
    Newey, W. K. & West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
    Review of Economic Studies 61(4), 631-653.
    """
    return int(math.floor(4 * (n / 100) ** (2 / 9))) if n > 0 else 0


def day_dispersion(units: list[tuple[np.ndarray, np.ndarray]], *, kind: str) -> float:
    """How much wider than binomial or Poisson noise a period's total varies, as every z test of the
    toolkit takes it: the :func:`pearson_dispersion` of the days times the
    :func:`serial_correlation_factor` of their runs (each at least 1). One function, so that the
    snapshot's negative share and the listening section's give the same p-value.

    References
    ----------
    McCullagh & Nelder (1989) §4.5; Newey & West (1987).
    """
    return pearson_dispersion(units, kind=kind) * serial_correlation_factor(units, kind=kind)


def serial_correlation_factor(units: list[tuple[np.ndarray, np.ndarray]], *, kind: str,
                              lags: int | None = None) -> float:
    """How much the serial correlation of the days widens a period's total: the Newey-West
    long-run variance of the daily Pearson residuals over their plain variance,
    ``1 + 2 sum_k (1 - k / (L + 1)) rho_k`` with the residuals' autocorrelations ``rho_k`` pooled
    over the periods (never across from one period to the other), at least 1.

    For independent days the factor is about 1; for days that follow an AR(1) with coefficient
    ``phi`` it tends to ``(1 + phi) / (1 - phi)`` (1.86 for 0.3) as the lags grow. The Bartlett
    weights keep it positive (Newey & West 1987); the sums are statsmodels'
    ``sandwich_covariance.S_nw_panel``.

    Parameters
    ----------
    units
        One ``(numerators, denominators)`` pair per period, days in order, as for
        :func:`pearson_dispersion`.
    kind
        "binomial" or "poisson", as for :func:`pearson_dispersion`.
    lags
        ``L``; None takes :func:`newey_west_lags` of the shorter period.

    Returns
    -------
    float
        At least 1 (negative correlation never makes a test more eager than the one that takes the
        days as independent); 1 with fewer than 8 days in a period or no variation.

    References
    ----------
    Newey, W. K. & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica 55(3), 703-708. Newey & West (1994)
    for the lags; McCullagh & Nelder (1989) §4.5 for the Pearson residuals.
    """
    from statsmodels.stats.sandwich_covariance import S_nw_panel, weights_bartlett

    resid, groups, lengths = [], [], []
    for x, n in units:
        x = np.asarray(x, dtype="float64")
        n = np.asarray(n, dtype="float64")
        if len(x) < MIN_BLOCK_DAYS or not np.all(np.isfinite(x) & np.isfinite(n)) or n.sum() <= 0:
            return 1.0
        p = x.sum() / n.sum()
        var = n * p * (1 - p) if kind == "binomial" else n * p
        r = np.zeros(len(x))
        ok = var > 0
        r[ok] = (x[ok] - n[ok] * p) / np.sqrt(var[ok])
        start = sum(lengths)
        groups.append((start, start + len(r)))
        resid.append(r)
        lengths.append(len(r))
    if not resid:
        return 1.0
    r = np.concatenate(resid)
    gamma0 = float(r @ r)
    if not gamma0 > 0:
        return 1.0
    L = newey_west_lags(min(lengths)) if lags is None else int(lags)
    if L < 1:
        return 1.0
    lrv = float(S_nw_panel(r[:, None], weights_bartlett(L), groups)[0, 0])
    return max(lrv / gamma0, 1.0)


# ----------------------------------------------------------------------------------------------
# words


def format_p(p: float) -> str:
    """``p < 0.001``, ``p = 0.004``, ``p = 0.048``, ``p = 0.42``.

    Three decimals below 0.10 and two above (APA style, 7th ed., §6.36), and one more where the
    rounding would land on 0.05 or 0.10 from below: the words of :func:`certainty_words` change
    there, and "p = 0.05" beside "unlikely to be chance" (p = 0.048 at two decimals) reads as if it
    were not.
    """
    if p is None or not math.isfinite(p):
        return "p = n/a"
    if p < 0.001:
        return "p < 0.001"
    digits = 3 if p < 0.1 else 2
    while digits < 6 and any(p < t <= round(p, digits) for t in (0.05, 0.10)):
        digits += 1
    text = f"{p:.{digits}f}"
    while len(text) > 4 and text.endswith("0"):  # 0.070 -> 0.07, never below two decimals
        text = text[:-1]
    return f"p = {text}"


def certainty_words(p: float, *, alpha: float = 0.05) -> str:
    """How sure we are that a change is real, in words a client understands.

    ``p < alpha``: "unlikely to be chance (p = 0.01)"; below 0.10: "could still be chance
    (p = 0.07)"; otherwise "within normal variation (p = 0.42)"; NaN: "too little data to test".
    """
    if p is None or not math.isfinite(p):
        return "too little data to test"
    if p < alpha:
        return f"unlikely to be chance ({format_p(p)})"
    if p < max(0.10, alpha):
        return f"could still be chance ({format_p(p)})"
    return f"within normal variation ({format_p(p)})"


def point_decimals(current: float, baseline: float = math.nan) -> int:
    """Decimals of a change of a rate in percentage points: hundredths for rates under 1 % (a CTR of
    0.9 % moves by hundredths of a point), tenths otherwise. Chosen by the rates' level, not by the
    change, so one measure's changes share their decimals ("-0.11 pts" beside "+0.02 pts", not
    "-0.1 pts" beside "0.00 pts")."""
    level = max((abs(x) for x in (current, baseline) if math.isfinite(x)), default=math.nan)
    return 2 if math.isfinite(level) and level < 0.01 else 1


def change_words(current: float, baseline: float, unit: str | None = None) -> str:
    """``up 18 %``, ``down 4.2 %``, ``unchanged``, ``up from 0``; for a rate (``unit="fraction"``)
    the change in percentage points, as the report's tables show it: ``down 1.2 percentage points``
    (a relative change of a rate, "down 21 %" for 5.6 % -> 4.5 %, reads like the points it is not)."""
    if not (math.isfinite(current) and math.isfinite(baseline)):
        return "no comparison"
    if current == baseline:
        return "unchanged"
    if unit == "fraction":
        d = point_decimals(current, baseline)
        pts = (current - baseline) * 100
        if round(pts, d) == 0:
            return "unchanged"
        return ("up " if pts > 0 else "down ") + f"{abs(pts):.{d}f} percentage points"
    if baseline == 0:
        return "up from 0" if current > 0 else "down from 0"
    rel = (current - baseline) / abs(baseline)
    pct = abs(rel) * 100
    text = f"{pct:.0f} %" if pct >= 10 else f"{pct:.1f} %"
    if text in ("0 %", "0.0 %"):
        return "unchanged"
    return ("up " if rel > 0 else "down ") + text


def change_short(current: float, baseline: float, unit: str | None = None) -> str:
    """A change for a table cell, as the monthly report's snapshot writes it: ``+12 %`` for counts,
    money and ratios; for a rate (``unit="fraction"``) the change in percentage points, ``+0.4 pts``
    (a relative change of a rate, "+10 %" for 3.8 % -> 4.2 %, reads like points it is not). A change
    that rounds to nothing is ``0 %`` / ``0 pts``, never ``-0.0``; no baseline (or 0) gives ``n/a``.

    The decimals of points follow :func:`point_decimals` of the current value, as in the snapshot.
    """
    if not (math.isfinite(current) and math.isfinite(baseline)):
        return "n/a"
    if unit == "fraction":
        return _signed((current - baseline) * 100, point_decimals(current)) + " pts"
    if baseline == 0:
        return "n/a"
    return _signed((current - baseline) / abs(baseline) * 100, 0) + " %"


def _signed(x: float, decimals: int) -> str:
    """'+0.4', '-12'; a value that rounds to nothing is '0'."""
    return "0" if round(x, decimals) == 0 else f"{x:+.{decimals}f}"
