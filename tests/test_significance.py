"""Period-comparison tests under serial correlation between days.

The simulations draw two periods (31 and 30 days) of an AR(1) daily series with no true change and
count how often each test says "unlikely to be chance" at the 5 % level. Run this file to print
the whole table (before: days taken as independent; after: blocks of days / Newey-West):

    .venv/bin/python tests/test_significance.py            # 1,000 pairs per cell, ~2 minutes
    .venv/bin/python tests/test_significance.py --reps 200
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from kpi_toolkit.exceptions import ParameterError
from kpi_toolkit.trends.significance import (
    bootstrap_ratio_test,
    circular_block_indices,
    newey_west_lags,
    pearson_dispersion,
    poisson_rate_test,
    ratio_block_length,
    serial_correlation_factor,
    two_proportion_test,
)

DAYS = (31, 30)


def ar1(rng: np.random.Generator, phi: float, n: int) -> np.ndarray:
    """A stationary AR(1) with unit variance: x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t."""
    e = rng.standard_normal(n + 50) * math.sqrt(1 - phi**2)
    return lfilter([1.0], [1.0, -phi], e)[50:]


def draw(kind: str, rng: np.random.Generator, phi: float, n: int, lift: float = 1.0
         ) -> tuple[np.ndarray, np.ndarray]:
    """One period's daily (numerators, denominators) of a KPI of the given test kind."""
    if kind == "bootstrap":  # ROAS-like: revenue / spend, both serially correlated
        spend = 300 * np.exp(0.3 * ar1(rng, phi, n))
        roas = 2.5 * lift * np.exp(0.3 * ar1(rng, phi, n))
        return spend * roas, spend
    if kind == "poisson":  # a daily count, over-dispersed by a serially correlated level
        return rng.poisson(500 * lift * np.exp(0.3 * ar1(rng, phi, n))).astype(float), np.ones(n)
    # proportion: clicks of impressions, the click rate serially correlated
    shown = rng.poisson(20_000 * np.exp(0.2 * ar1(rng, phi, n))).astype(float)
    rate = np.clip(0.02 * lift * np.exp(0.3 * ar1(rng, phi, n)), 0, 1)
    return rng.binomial(shown.astype(np.int64), rate).astype(float), shown


def p_values(kind: str, cur: tuple[np.ndarray, np.ndarray], base: tuple[np.ndarray, np.ndarray], *,
             serial: bool, n_boot: int = 999) -> float:
    """The p-value of the report's test for ``kind``; ``serial=False`` is the version that takes
    the days as independent (bootstrap over single days; Pearson dispersion alone)."""
    if kind == "bootstrap":
        return bootstrap_ratio_test(*cur, *base, n_boot=n_boot, seed=7,
                                    block_days=None if serial else 1).p_value
    binom = "binomial" if kind == "proportion" else "poisson"
    disp = pearson_dispersion([cur, base], kind=binom)
    if serial:
        disp *= serial_correlation_factor([cur, base], kind=binom)
    if kind == "poisson":
        return poisson_rate_test(cur[0].sum(), len(cur[0]), base[0].sum(), len(base[0]),
                                 dispersion=disp).p_value
    return two_proportion_test(cur[0].sum(), cur[1].sum(), base[0].sum(), base[1].sum(),
                               dispersion=disp).p_value


def rejection_rate(kind: str, phi: float, *, serial: bool, reps: int, lift: float = 1.0,
                   seed: int = 2026, alpha: float = 0.05) -> float:
    """Share of ``reps`` simulated period pairs where the test gives p < alpha (the current period's
    level multiplied by ``lift``; 1 = no change, so the share is the false-positive rate)."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        cur = draw(kind, rng, phi, DAYS[0], lift)
        base = draw(kind, rng, phi, DAYS[1])
        hits += p_values(kind, cur, base, serial=serial) < alpha
    return hits / reps


# ----------------------------------------------------------------------------------------------
# the false-positive rate at phi = 0.3 (the reviewer's Lumiere ROAS case)

# 400 pairs: the binomial standard error of a 5 % rate is 1.1 points, so a correct test lands in
# [2 %, 10 %] with near certainty; the versions that take the days as independent give 12-17 %.
REPS = 400
BAND = (0.02, 0.10)


@pytest.mark.parametrize("kind", [
    pytest.param("bootstrap", marks=pytest.mark.xfail(
        strict=True, reason="the block bootstrap on 30-31 days still over-rejects (about 12 % at "
                            "phi = 0.3, against 17 % for single days); a small-sample correction is open")),
    "poisson", "proportion"])
def test_false_positives_at_phi_0_3_stay_near_5_percent(kind: str) -> None:
    rate = rejection_rate(kind, 0.3, serial=True, reps=REPS)
    assert BAND[0] <= rate <= BAND[1], f"{kind}: {rate:.3f} of null pairs called 'unlikely to be chance'"


@pytest.mark.parametrize("kind", ["bootstrap", "poisson", "proportion"])
def test_the_version_taking_days_as_independent_is_too_eager(kind: str) -> None:
    """The check above fails for the old tests: they call a chance change 'clear' far more often
    than 1 time in 20 when days are correlated; the new ones do so less often."""
    old = rejection_rate(kind, 0.3, serial=False, reps=REPS)
    assert old > BAND[1], f"{kind}: {old:.3f}"
    if kind == "bootstrap":  # the band above is not met yet (xfail), but it is fewer
        assert rejection_rate(kind, 0.3, serial=True, reps=REPS) < old - 0.02


# ----------------------------------------------------------------------------------------------
# the formulas, by hand and against the libraries they come from


def test_circular_block_indices_are_arch_circular_block_bootstrap_draws() -> None:
    """The vectorised draws equal arch's CircularBlockBootstrap replicate by replicate."""
    from arch.bootstrap import CircularBlockBootstrap

    for n, b in ((31, 3), (30, 4), (31, 1), (8, 5)):
        ours = circular_block_indices(n, b, 50, np.random.default_rng(42))
        bs = CircularBlockBootstrap(b, np.arange(n), seed=np.random.default_rng(42))
        theirs = np.array([bs.update_indices() for _ in range(50)])
        np.testing.assert_array_equal(ours, theirs)


def test_circular_block_indices_by_hand() -> None:
    """n = 5, blocks of 2: starts (4, 1, 3) give days 4, 0 (wrapped), 1, 2, 3 (cut to 5)."""

    class Fixed:
        def integers(self, high, size, dtype):
            assert high == 5 and size == (1, 3)
            return np.array([[4, 1, 3]], dtype=dtype)

    np.testing.assert_array_equal(circular_block_indices(5, 2, 1, Fixed()), [[4, 0, 1, 2, 3]])


def test_block_length_is_arch_politis_white_of_the_linearised_ratio() -> None:
    """For a plain sum the series is the demeaned daily values; for a ratio, num - R den. The value is
    arch's optimal_block_length (Politis & White 2004, Patton et al. 2009), 'circular' column, rounded."""
    from arch.bootstrap import optimal_block_length

    x = 100 + 10 * ar1(np.random.default_rng(5), 0.6, 31)
    expected = optimal_block_length(x - x.mean())["circular"].iloc[0]
    assert 2 < expected < 15  # a strongly correlated series gets blocks of several days
    assert ratio_block_length(x, np.ones(31)) == min(round(expected), 15)
    den = np.linspace(1, 2, 31)
    z = x - x.sum() / den.sum() * den
    assert ratio_block_length(x, den) == min(round(optimal_block_length(z)["circular"].iloc[0]), 15)


def test_block_length_falls_back_to_single_days() -> None:
    assert ratio_block_length(np.arange(7.0), np.ones(7)) == 1  # a week: too short to estimate
    assert ratio_block_length(np.full(31, 4.0), np.full(31, 2.0)) == 1  # constant ratio
    assert ratio_block_length(np.ones(31), np.zeros(31)) == 1


def test_bootstrap_with_single_day_blocks_is_the_old_bootstrap_over_days() -> None:
    """block_days=1 draws exactly what the bootstrap over days drew (rng.integers(0, n, (B, n)))."""
    rng = np.random.default_rng(0)
    num1, num2 = rng.gamma(2.0, 50, 31), rng.gamma(2.0, 40, 30)
    den1, den2 = rng.uniform(10, 20, 31), rng.uniform(10, 20, 30)
    res = bootstrap_ratio_test(num1, den1, num2, den2, n_boot=500, seed=3, block_days=1)
    g = np.random.default_rng(3)
    i1 = g.integers(0, 31, size=(500, 31))
    i2 = g.integers(0, 30, size=(500, 30))
    d = num1.sum() / den1.sum() - num2.sum() / den2.sum()
    boot = num1[i1].sum(1) / den1[i1].sum(1) - num2[i2].sum(1) / den2[i2].sum(1)
    assert res.p_value == (1 + np.sum(np.abs(boot - d) >= abs(d))) / 501
    assert res.test == "bootstrap over blocks of days" and res.block_days == 1


def test_bootstrap_is_deterministic_and_names_itself() -> None:
    rng = np.random.default_rng(1)
    a, b = 100 + 20 * ar1(rng, 0.5, 31), 100 + 20 * ar1(rng, 0.5, 30)
    r1 = bootstrap_ratio_test(a, np.ones(31), b, np.ones(30))
    r2 = bootstrap_ratio_test(a, np.ones(31), b, np.ones(30))
    assert r1 == r2
    assert r1.test == "bootstrap over blocks of days" and r1.block_days >= 1
    week = bootstrap_ratio_test(a[:7], np.ones(7), b[:7], np.ones(7))
    assert week.test == "bootstrap over days" and week.block_days == 1
    with pytest.raises(ParameterError, match="block_days must be a whole number"):
        bootstrap_ratio_test(a, np.ones(31), b, np.ones(30), block_days=0)


def test_newey_west_lags_rule() -> None:
    """floor(4 (n/100)^(2/9)), Newey & West (1994): 7 -> 2, 8 -> 2, 31 -> 3, 100 -> 4, 365 -> 5."""
    assert [newey_west_lags(n) for n in (7, 8, 30, 31, 100, 365)] == [2, 2, 3, 3, 4, 5]


def test_serial_correlation_factor_by_hand() -> None:
    """Newey & West (1987) with Bartlett weights 2/3, 1/3 for L = 2 (8 days: newey_west_lags).

    Counts (10, 14) * 4 alternating around 12: residuals +-a (a = 2/sqrt(12)), rho = -7/8, 6/8:
    1 + 2 (-2/3 * 7/8 + 1/3 * 6/8) = 1/3, floored at 1.
    Counts 10, 10, 10, 10, 14, 14, 14, 14: residuals -a four times then +a four times;
    sum r^2 = 8 a^2, lag sums 5 a^2, 2 a^2: 1 + 2 (2/3 * 5/8 + 1/3 * 2/8) = 2.
    With L = 3 (weight 1/4 on the lag-3 sum -a^2): 1 + 2 (3/4 * 5/8 + 1/2 * 2/8 - 1/4 * 1/8) = 2.125.
    Two equal periods pool to the same ratio (lags never cross from one period to the other)."""
    alt = np.array([10, 14] * 4, dtype=float)
    assert serial_correlation_factor([(alt, np.ones(8)), (alt, np.ones(8))], kind="poisson") == 1.0
    runs = np.array([10] * 4 + [14] * 4, dtype=float)
    got = serial_correlation_factor([(runs, np.ones(8)), (runs, np.ones(8))], kind="poisson")
    assert got == pytest.approx(2.0, rel=1e-12)
    three = serial_correlation_factor([(runs, np.ones(8)), (runs, np.ones(8))], kind="poisson", lags=3)
    assert three == pytest.approx(2.125, rel=1e-12)


def test_serial_correlation_factor_is_statsmodels_newey_west() -> None:
    """For one period the factor is statsmodels' HAC variance of the mean of the Pearson residuals
    (OLS on a constant, Bartlett kernel, L lags, no small-sample correction) over its plain
    variance: both are sum_k w_k gamma_k / gamma_0 (the residuals have mean 0 for counts per day)."""
    import statsmodels.api as sm

    x = np.random.default_rng(9).poisson(50 * np.exp(0.4 * ar1(np.random.default_rng(9), 0.5, 31)))
    x = x.astype(float)
    r = (x - x.mean()) / math.sqrt(x.mean())
    ones = np.ones((31, 1))
    hac = sm.OLS(r, ones).fit(cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": False})
    plain = sm.OLS(r, ones).fit(cov_type="HC0")
    # a single period needs a second one to call the function; an empty-weight copy is not allowed,
    # so compare the one-period formula through lags and the same data twice (pooled = same ratio)
    got = serial_correlation_factor([(x, np.ones(31)), (x, np.ones(31))], kind="poisson", lags=3)
    assert got == pytest.approx(max(float(hac.cov_params()[0, 0] / plain.cov_params()[0, 0]), 1.0),
                                rel=1e-10)


def test_serial_correlation_factor_never_below_one_and_leaves_short_periods_alone() -> None:
    rng = np.random.default_rng(4)
    iid = [(rng.poisson(100, 31).astype(float), np.ones(31)), (rng.poisson(100, 30).astype(float), np.ones(30))]
    assert serial_correlation_factor(iid, kind="poisson") >= 1.0
    week = [(np.array([1.0, 5, 9, 9, 5, 1, 1]), np.ones(7))] * 2
    assert serial_correlation_factor(week, kind="poisson") == 1.0


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=1000)
    args = ap.parse_args()
    print(f"{args.reps} simulated period pairs (31 vs 30 days) per cell; share with p < 0.05")
    print(f"{'test':<11} {'phi':>4} {'size before':>12} {'size after':>11} {'power before':>13} "
          f"{'power after':>12}  (power: current level +20 %)")
    for kind in ("bootstrap", "poisson", "proportion"):
        for phi in (0.0, 0.3, 0.5):
            cells = [rejection_rate(kind, phi, serial=s, reps=args.reps, lift=lift)
                     for lift in (1.0, 1.2) for s in (False, True)]
            print(f"{kind:<11} {phi:>4} {cells[0]:>12.3f} {cells[1]:>11.3f} {cells[2]:>13.3f} {cells[3]:>12.3f}")
