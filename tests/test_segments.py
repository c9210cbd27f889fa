"""Tests of kpi_toolkit.segments: intervals, tests, drivers, tiers, views, real and demo data.

Reference values are hand-computed (shown in the test), published (Newcombe 1998) or computed by
statsmodels / scipy directly on the same numbers.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from kpi_toolkit import segments as S
from kpi_toolkit.exceptions import NoDataError, ParameterError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
UCI = SHARED / "facebook_metrics" / "dataset_Facebook.csv"


# ------------------------------------------------------------------------------------------------
# helpers


def posts_frame(rows: list[dict]) -> pd.DataFrame:
    """A canonical-shaped posts frame from a few dicts (defaults fill the required columns)."""
    base = {"platform": "instagram", "content_type": "image", "impressions": 1000, "reach": 100,
            "likes": 0, "comments": 0, "shares": 0, "published_at": "2026-10-05T10:00:00Z"}
    df = pd.DataFrame([{**base, "post_id": f"p{i}", **r} for i, r in enumerate(rows)])
    df["published_at"] = pd.to_datetime(df["published_at"], utc=True).astype("datetime64[ns, UTC]")
    for c in ("post_id", "platform", "content_type"):
        df[c] = df[c].astype("string")
    return df


def simulated_posts(n: int = 1200, *, seed: int = 7, tz: str = "Europe/Helsinki") -> pd.DataFrame:
    """Overdispersed posts with planted effects: reels 1.8×, videos 1.5×, links 0.5× images;
    posts published 18:00-20:59 local time 1.4×; paid and topic no effect."""
    rng = np.random.default_rng(seed)
    fmt = rng.choice(["image", "video", "reel", "link", "live"], n, p=[0.4, 0.25, 0.2, 0.13, 0.02])
    plat = rng.choice(["instagram", "facebook"], n)
    t = pd.Timestamp("2025-11-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="min")
    hour = t.tz_convert(tz).hour.to_numpy()
    reach = rng.integers(200, 20000, n)
    mult = pd.Series(fmt).map({"image": 1, "video": 1.5, "reel": 1.8, "link": 0.5, "live": 1}).to_numpy()
    mult = mult * np.where((hour >= 18) & (hour < 21), 1.4, 1.0)
    lam = rng.gamma(shape=3.0, scale=0.03 * reach * mult / 3.0)
    eng = rng.poisson(lam)
    likes = (eng * 0.8).astype(int)
    comments = (eng - likes) // 2
    df = pd.DataFrame({
        "post_id": [f"s{i}" for i in range(n)], "platform": plat, "published_at": t,
        "content_type": fmt, "impressions": reach * 2, "reach": reach, "likes": likes,
        "comments": comments, "shares": eng - likes - comments, "paid": rng.random(n) < 0.2,
        "topic": rng.choice(["tips", "news", "launch"], n), "text": [f"post {i}" for i in range(n)]})
    for c in ("post_id", "platform", "content_type", "topic", "text"):
        df[c] = df[c].astype("string")
    return df


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulated_posts()


# ------------------------------------------------------------------------------------------------
# intervals


@pytest.mark.parametrize(("x", "n", "lo", "hi"), [
    # Newcombe (1998), Stat Med 17:857-872, Table II, method 3 (Wilson score, no continuity correction)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_1998(x: int, n: int, lo: float, hi: float) -> None:
    a, b = S.wilson_interval(x, n)
    assert float(a) == pytest.approx(lo, abs=5e-5)
    assert float(b) == pytest.approx(hi, abs=5e-5)


def test_wilson_matches_statsmodels_for_fractional_counts() -> None:
    rng = np.random.default_rng(3)
    n = rng.uniform(5, 5000, 50)
    x = n * rng.uniform(0, 1, 50)
    for conf in (0.8, 0.95, 0.99):
        lo, hi = S.wilson_interval(x, n, confidence=conf)
        ref_lo, ref_hi = proportion_confint(x, n, alpha=1 - conf, method="wilson")
        np.testing.assert_allclose(lo, ref_lo, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hi, ref_hi, rtol=1e-10, atol=1e-12)
    assert np.isnan(S.wilson_interval(0, 0)[0])


def test_design_effect_hand_case() -> None:
    # y = [1, 3], n = [10, 10]: R = 0.2; var_ratio = 2/1 * ((1-2)^2 + (3-2)^2) / 20^2 = 0.01;
    # var_binom = 0.2 * 0.8 / 20 = 0.008; deff = 1.25
    assert S.design_effect([1, 3], [10, 10]) == pytest.approx(1.25)
    assert S.design_effect([2, 2], [10, 10]) == 0.0           # identical posts: no between-post variance
    assert np.isnan(S.design_effect([2], [10]))               # one post: undefined
    assert S.design_effect([0, 0], [10, 10]) == 1.0           # rate 0: nothing to compare with


def test_design_effect_recovers_kish_formula_for_beta_binomial_posts() -> None:
    # Kish (1965): equal clusters of size n with intra-cluster correlation rho have deff = 1 + (n-1) rho.
    rng = np.random.default_rng(11)
    m, n, p, rho = 4000, 50, 0.1, 0.02
    a = p * (1 / rho - 1)
    b = (1 - p) * (1 / rho - 1)
    y = rng.binomial(n, rng.beta(a, b, m))
    deff = S.design_effect(y, np.full(m, n))
    assert deff == pytest.approx(1 + (n - 1) * rho, rel=0.1)
    # independent trials: deff ~ 1
    y0 = rng.binomial(n, p, m)
    assert S.design_effect(y0, np.full(m, n)) == pytest.approx(1.0, rel=0.1)


def test_bootstrap_interval_of_a_mean_matches_normal_theory() -> None:
    rng = np.random.default_rng(5)
    v = rng.normal(10, 2, 400)
    lo, hi = S.bootstrap_ratio_interval(v, np.ones_like(v), n_boot=4000, seed=1)
    se = v.std(ddof=1) / math.sqrt(len(v))
    assert lo == pytest.approx(v.mean() - 1.96 * se, abs=0.1 * se * 1.96)
    assert hi == pytest.approx(v.mean() + 1.96 * se, abs=0.1 * se * 1.96)
    # deterministic
    assert S.bootstrap_ratio_interval(v, np.ones_like(v), seed=1) == S.bootstrap_ratio_interval(
        v, np.ones_like(v), seed=1)
    # identical posts: no uncertainty
    assert S.bootstrap_ratio_interval([2, 2, 2], [10, 10, 10]) == pytest.approx((0.2, 0.2))


def test_adjusted_wilson_agrees_with_cluster_bootstrap_and_plain_wilson_is_too_narrow(sim: pd.DataFrame) -> None:
    adj = S.segment_kpi(sim, by="content_type", interval="adjusted")
    boot = S.segment_kpi(sim, by="content_type", interval="bootstrap")
    plain = S.segment_kpi(sim, by="content_type", interval="wilson")
    w_adj = (adj["ci_high"] - adj["ci_low"]).to_numpy()
    w_boot = (boot["ci_high"] - boot["ci_low"]).to_numpy()
    w_plain = (plain["ci_high"] - plain["ci_low"]).to_numpy()
    big = adj["n_posts"].to_numpy() >= 100
    np.testing.assert_allclose(w_adj[big], w_boot[big], rtol=0.2)
    assert np.all(w_plain * 5 < w_adj)   # design effects in the hundreds: sqrt(deff) > 5


def test_segment_kpi_intervals_are_wilson_on_effective_counts(sim: pd.DataFrame) -> None:
    seg = S.segment_kpi(sim, by="platform")
    d = np.maximum(seg["design_effect"].to_numpy(), 1.0)
    lo, hi = proportion_confint(seg["numerator"] / d, seg["denominator"] / d, method="wilson")
    np.testing.assert_allclose(seg["ci_low"], lo, rtol=1e-10)
    np.testing.assert_allclose(seg["ci_high"], hi, rtol=1e-10)
    plain = S.segment_kpi(sim, by="platform", interval="wilson", confidence=0.9)
    lo, hi = proportion_confint(plain["numerator"], plain["denominator"], alpha=0.1, method="wilson")
    np.testing.assert_allclose(plain["ci_low"], lo, rtol=1e-10)
    np.testing.assert_allclose(plain["ci_high"], hi, rtol=1e-10)


# ------------------------------------------------------------------------------------------------
# segment_kpi


def test_segment_kpi_ratio_of_sums_lift_rank_and_min_posts() -> None:
    df = posts_frame([
        {"content_type": "video", "reach": 100, "likes": 10, "comments": 0, "shares": 0},
        {"content_type": "video", "reach": 300, "likes": 20, "comments": 5, "shares": 5},
        {"content_type": "image", "reach": 200, "likes": 4, "comments": 0, "shares": 0},
        {"content_type": "image", "reach": 200, "likes": 6, "comments": 0, "shares": 0},
        {"content_type": "link", "reach": 0, "likes": 0, "comments": 0, "shares": 0},
    ])
    seg = S.segment_kpi(df, "engagement_rate_by_reach", by="content_type", min_posts=2)
    # hand: video (10+30)/(100+300) = 0.1; image 10/400 = 0.025; link 0/0 = NaN; overall 50/800
    assert list(seg["content_type"]) == ["image", "link", "video"]
    assert list(seg["n_posts"]) == [2, 1, 2]
    np.testing.assert_allclose(seg["value"], [0.025, np.nan, 0.1])
    assert seg.attrs["overall"] == pytest.approx(50 / 800)
    np.testing.assert_allclose(seg["lift"], [0.025 / 0.0625 - 1, np.nan, 0.1 / 0.0625 - 1])
    assert seg["rank"].tolist() == [2, pd.NA, 1]
    assert seg["enough_posts"].tolist() == [True, False, True]
    assert seg["note"].tolist() == ["", S.TOO_FEW, ""]
    assert S.TOO_FEW == "too few posts to conclude"
    # the input is not modified
    assert "weekday" not in df.columns


def test_blank_cells_are_dropped_and_counted_never_zero() -> None:
    df = posts_frame([
        {"reach": 100, "likes": 10},
        {"reach": 100, "likes": np.nan},            # blank like: out of the sums
        {"reach": np.nan, "likes": 5},              # blank reach: out of the sums
        {"reach": 100, "likes": 30},
    ])
    seg = S.segment_kpi(df, by="platform", min_posts=1)
    assert seg.attrs["n_missing_kpi"] == 2
    assert seg["value"].iloc[0] == pytest.approx(40 / 200)   # not 40/300, not 45/300
    assert seg["n_posts"].iloc[0] == 2


def test_per_post_kpi_uses_bootstrap_and_counts_posts() -> None:
    df = posts_frame([{"likes": v} for v in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)])
    seg = S.segment_kpi(df, "likes_per_post", by="platform", min_posts=5)
    assert seg.attrs["kind"] == "per_post" and seg.attrs["interval"] == "bootstrap"
    assert seg["value"].iloc[0] == pytest.approx(5.5)
    assert seg["ci_low"].iloc[0] < 5.5 < seg["ci_high"].iloc[0]


def test_time_segments_in_client_time_zone_across_dst() -> None:
    # EU summer time starts 2026-03-29 01:00 UTC: 00:30Z is 02:30 EET, 01:30Z is 04:30 EEST (Sunday).
    df = posts_frame([{"published_at": "2026-03-29T00:30:00Z"}, {"published_at": "2026-03-29T01:30:00Z"},
                      {"published_at": "2026-10-05T21:30:00Z"}])
    out = S.add_time_segments(df, tz="Europe/Helsinki", hour_block_hours=3)
    assert out["hour"].tolist() == [2, 4, 0]
    assert out["weekday"].tolist() == [6, 6, 1]               # Sunday, Sunday, Tuesday (local)
    assert out["weekday_name"].tolist() == ["Sunday", "Sunday", "Tuesday"]
    assert out["hour_block"].tolist() == ["00:00-02:59", "03:00-05:59", "00:00-02:59"]


def test_time_segments_fall_back_to_export_weekday_and_hour() -> None:
    df = posts_frame([{"published_at": None, "published_month": "2014-03", "published_weekday": 2,
                       "published_hour": 19}])
    out = S.add_time_segments(df, tz="Europe/Helsinki")
    assert out["weekday"].iloc[0] == 2 and out["hour"].iloc[0] == 19
    assert out["hour_block"].iloc[0] == "18:00-19:59"          # 2-hour slots by default


def test_paid_status_keeps_blank_paid_missing() -> None:
    df = posts_frame([{"paid": True}, {"paid": False}, {"paid": None}])
    df["paid"] = df["paid"].astype("boolean")
    out = S.add_time_segments(df)
    assert out["paid_status"].tolist()[:2] == ["paid", "organic"]
    assert pd.isna(out["paid_status"].iloc[2])


# ------------------------------------------------------------------------------------------------
# comparisons


def _three_formats(n_each: int = 30, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for fmt, p in (("image", 0.03), ("video", 0.05), ("link", 0.03)):
        for _ in range(n_each):
            reach = int(rng.integers(500, 3000))
            rows.append({"content_type": fmt, "reach": reach, "likes": int(rng.binomial(reach, p))})
    rows.append({"content_type": "live", "reach": 1000, "likes": 200})    # one post: too small
    return posts_frame(rows)


def test_chi2_and_pairwise_tests_match_scipy_and_statsmodels() -> None:
    df = _three_formats()
    cmp = S.compare_segments(df, by="content_type", method="chi2", min_posts=20)
    assert cmp.compared == ["image", "link", "video"] and cmp.too_small == ["live"]
    seg = S.segment_kpi(df, by="content_type", min_posts=20).set_index("content_type").loc[cmp.compared]
    x, n = seg["numerator"].to_numpy(), seg["denominator"].to_numpy()
    chi2, p, dof, _ = stats.chi2_contingency(np.vstack([x, n - x]), correction=False)
    assert cmp.statistic == pytest.approx(chi2) and cmp.p_value == pytest.approx(p) and cmp.dof == dof
    assert cmp.effect_size == pytest.approx(math.sqrt(chi2 / n.sum()))       # Cramér's V, 2 × k table
    pw = cmp.pairwise.set_index(["segment_a", "segment_b"])
    _, p_iv = proportions_ztest([x[0], x[2]], [n[0], n[2]])
    assert pw.loc[("image", "video"), "p_value"] == pytest.approx(p_iv)
    h = 2 * math.asin(math.sqrt(x[0] / n[0])) - 2 * math.asin(math.sqrt(x[2] / n[2]))
    assert pw.loc[("image", "video"), "effect_size"] == pytest.approx(h)         # Cohen's h
    _, p_holm, _, _ = multipletests(cmp.pairwise["p_value"], method="holm")
    np.testing.assert_allclose(cmp.pairwise["p_adjusted"], p_holm)
    assert pw.loc[("image", "video"), "significant"]


def test_rao_scott_adjustment_divides_counts_by_design_effect() -> None:
    df = _three_formats()
    cmp = S.compare_segments(df, by="content_type", min_posts=20)      # auto: adjusted for a rate
    assert cmp.test == "Rao-Scott adjusted chi-square test"
    prep = S.add_time_segments(df)
    x, n = [], []
    for fmt in cmp.compared:
        g = prep[prep["content_type"] == fmt]
        y = (g["likes"] + g["comments"] + g["shares"]).to_numpy(float)
        r = g["reach"].to_numpy(float)
        d = max(S.design_effect(y, r), 1.0)
        x.append(y.sum() / d)
        n.append(r.sum() / d)
    x, n = np.array(x), np.array(n)
    chi2, p, _, _ = stats.chi2_contingency(np.vstack([x, n - x]), correction=False)
    assert cmp.statistic == pytest.approx(chi2) and cmp.p_value == pytest.approx(p)


def test_kruskal_and_mann_whitney_with_effect_sizes() -> None:
    df = posts_frame([{"content_type": "a", "likes": v} for v in (1, 2, 3)]
                     + [{"content_type": "b", "likes": v} for v in (4, 5, 6)])
    cmp = S.compare_segments(df, "likes_per_post", by="content_type", min_posts=3)
    h, p = stats.kruskal([1, 2, 3], [4, 5, 6])
    assert cmp.test == "Kruskal-Wallis test"
    assert cmp.statistic == pytest.approx(h) and cmp.p_value == pytest.approx(p)
    assert cmp.effect_size == pytest.approx(h / (6 - 1))                        # epsilon squared
    row = cmp.pairwise.iloc[0]
    assert row["effect_size"] == pytest.approx(-1.0)   # every a below every b: rank-biserial -1
    assert row["p_value"] == pytest.approx(stats.mannwhitneyu([1, 2, 3], [4, 5, 6]).pvalue)
    assert row["ratio"] == pytest.approx(2 / 5)


def test_comparison_sentence_in_plain_words() -> None:
    cmp = S.compare_segments(_three_formats(), by="content_type", min_posts=20)
    text = cmp.sentence()
    assert text.startswith("The differences in engagement rate (by reach) between 3 formats ")
    assert re.search(r"(are unlikely to be chance|could be chance) \(p [<=] [0-9.]+\)", text)
    small = S.compare_segments(_three_formats(), by="content_type", min_posts=100)
    assert "Too few posts to compare formats" in small.sentence()


# ------------------------------------------------------------------------------------------------
# best time to post


def test_posting_time_grid_is_complete_and_masks_sparse_cells(sim: pd.DataFrame) -> None:
    grid = S.posting_time_grid(sim, tz="Europe/Helsinki", min_posts=10, hour_block_hours=3)
    assert len(grid) == 2 * 7 * 8
    assert grid.groupby("platform").size().tolist() == [56, 56]
    assert (grid["masked"] == (grid["n_posts"] < 10)).all()
    assert grid.loc[grid["masked"], "rank"].isna().all()
    assert grid["n_posts"].sum() == len(sim)
    best = S.best_posting_times(grid, top=3)
    assert len(best) == 6 and not best["masked"].any()
    # the planted slot (18:00-20:59 local, 1.4×) is the best slot overall
    by_slot = S.segment_kpi(sim, by="hour_block", tz="Europe/Helsinki", hour_block_hours=3)
    top = by_slot.sort_values("rank").iloc[0]
    assert top["hour_block"] == "18:00-20:59"


# ------------------------------------------------------------------------------------------------
# drivers


def test_drivers_match_statsmodels_negative_binomial_directly(sim: pd.DataFrame) -> None:
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod.families import NegativeBinomial as NBFamily
    from statsmodels.genmod.generalized_linear_model import GLM

    drv = S.engagement_drivers(sim, tz="Europe/Helsinki", factors=("content_type", "platform"),
                               references={"content_type": "image", "platform": "instagram"})
    # the same model built by hand: treatment dummies, log(reach) offset, NB2 by maximum likelihood
    levels = [("content_type", "link"), ("content_type", "live"), ("content_type", "reel"),
              ("content_type", "video"), ("platform", "facebook")]
    X = np.column_stack([np.ones(len(sim))] + [(sim[f] == lvl).to_numpy(float) for f, lvl in levels])
    y = (sim["likes"] + sim["comments"] + sim["shares"]).to_numpy(float)
    reach = sim["reach"].to_numpy(float)
    direct = NegativeBinomial(y, X, loglike_method="nb2", offset=np.log(reach)).fit(
        method="newton", maxiter=200, disp=0)
    got = drv.set_index(["factor", "level"])
    ci = np.exp(direct.conf_int())
    for j, key in enumerate(levels, start=1):
        assert got.loc[key, "irr"] == pytest.approx(math.exp(direct.params[j]), rel=1e-4)
        assert got.loc[key, "ci_low"] == pytest.approx(ci[j, 0], rel=1e-3)
        assert got.loc[key, "ci_high"] == pytest.approx(ci[j, 1], rel=1e-3)
        assert got.loc[key, "p_value"] == pytest.approx(direct.pvalues[j], rel=1e-2, abs=1e-12)
    assert drv.attrs["alpha"] == pytest.approx(direct.params[-1], rel=1e-3)
    # the same coefficients as the NB GLM at the estimated alpha with log(reach) as offset
    glm = GLM(y, X, family=NBFamily(alpha=direct.params[-1]), offset=np.log(reach)).fit()
    np.testing.assert_allclose(glm.params, direct.params[:-1], rtol=1e-4)


def test_drivers_recover_planted_effects_with_intervals_excluding_one(sim: pd.DataFrame) -> None:
    drv = S.engagement_drivers(sim, tz="Europe/Helsinki", references={"content_type": "image"})
    got = drv.set_index(["factor", "level"])
    for lvl, true in (("reel", 1.8), ("video", 1.5), ("link", 0.5)):
        r = got.loc[("content_type", lvl)]
        assert r["ci_low"] < true < r["ci_high"], lvl
        assert r["significant"]
    assert not got.loc[("paid_status", "paid"), "significant"]
    assert drv.attrs["converged"] and drv.attrs["alpha"] > 0
    # live has ~24 posts >= min_posts 20; with min_posts 30 it is pooled into (other)
    pooled = S.engagement_drivers(sim, tz="Europe/Helsinki", min_posts=30)
    assert "live" in pooled.attrs["pooled"]["content_type"]
    assert (pooled["level"] == "(other)").any()


def test_poisson_drivers_reproduce_ratio_of_sums(sim: pd.DataFrame) -> None:
    drv = S.engagement_drivers(sim, factors=("content_type",), model="poisson",
                               references={"content_type": "image"})
    seg = S.segment_kpi(sim, by="content_type").set_index("content_type")["value"]
    got = drv.set_index("level")["irr"]
    for lvl in ("video", "reel", "link", "live"):
        assert got[lvl] == pytest.approx(seg[lvl] / seg["image"], rel=1e-6)


def test_driver_sentences_and_recommendations_in_plain_words(sim: pd.DataFrame) -> None:
    drv = S.engagement_drivers(sim, tz="Europe/Helsinki", references={"content_type": "image"},
                               hour_block_hours=3)
    text = " ".join(S.driver_sentences(drv, top=5))
    assert re.search(r"Reels get 1\.\d× the engagements per reach of images \(95 % CI 1\.\d-\d\.\d; "
                     r"\d+ posts\), other factors held fixed\.", text), text
    recs = S.driver_recommendations(drv, tz="Europe/Helsinki", window="the last 12 months")
    actions = [r.action for r in recs]
    assert "Post more reels" in actions
    assert "Schedule more posts for 18:00-20:59 (Europe/Helsinki)" in actions
    assert "Pause or rework link posts" in actions
    ev = next(r.evidence for r in recs if r.action == "Post more reels")
    assert re.search(r"1\.\d× the engagements per reach of images \(95 % CI \d\.\d-\d\.\d; \d+ posts over the "
                     r"last 12 months\)", ev), ev
    assert all(r.source == "segments" for r in recs)


def test_driver_sentence_when_nothing_stands_out() -> None:
    rng = np.random.default_rng(4)
    df = posts_frame([{"content_type": c, "reach": 1000, "likes": int(rng.poisson(30))}
                      for c in ["image", "video"] * 40])
    drv = S.engagement_drivers(df, factors=("content_type",))
    assert S.driver_sentences(drv) == ["No factor made a difference to engagements per reach that is "
                                       "unlikely to be chance with 80 posts."]
    assert S.driver_recommendations(drv) == []


# ------------------------------------------------------------------------------------------------
# post tiers


def test_post_tiers_against_own_history() -> None:
    hist = [{"published_at": f"2026-09-{d:02d}T10:00:00Z", "reach": 100, "likes": d} for d in range(1, 21)]
    month = [{"published_at": "2026-10-03T10:00:00Z", "reach": 100, "likes": 25, "text": "<script>x</script>"},
             {"published_at": "2026-10-04T10:00:00Z", "reach": 100, "likes": 10},
             {"published_at": "2026-10-05T10:00:00Z", "reach": 100, "likes": 1},
             {"published_at": "2026-10-06T10:00:00Z", "reach": 0, "likes": 0}]
    df = posts_frame(hist + month)
    tiers = S.post_tiers(df, start="2026-10-01", end="2026-11-01", tz="Europe/Helsinki", min_posts=20)
    assert len(tiers) == 4
    # reference: 23 posts with a value (20 in Sept, 3 in Oct; the zero-reach post has none)
    assert (tiers["n_reference"] == 23).all()
    assert tiers["tier"].tolist() == ["breakout", "typical", "underperformer", "n/a"]
    # percentile rank, ties counted half, over 2 * 23 = 46 halves:
    # 25 %: 22 below, itself -> (2*22 + 1) / 46; 10 %: 10 below (1 % twice, 2-9 %), 2 equal -> 22 / 46;
    # 1 %: 0 below, 2 equal (Sept 1 and Oct) -> 2 / 46
    assert tiers["value"].iloc[0] == pytest.approx(0.25)
    np.testing.assert_allclose(tiers["percentile"].iloc[:3], [45 / 46, 22 / 46, 2 / 46])
    assert np.isnan(tiers["percentile"].iloc[3])
    # the lowest past value that counts as a breakout: 20 % is (2*21 + 1) / 46 = 93.5 % -> 93rd;
    # 19 % is 41 / 46 -> 89th. The highest underperformer: 1 % (4th); 2 % is 5 / 46 = 10.9 % -> 11th
    assert tiers["threshold_top"].iloc[0] == pytest.approx(0.20)
    assert tiers["threshold_bottom"].iloc[0] == pytest.approx(0.01)
    assert tiers["text"].iloc[0] == "<script>x</script>"      # raw here; escaped when displayed
    few = S.post_tiers(df, start="2026-10-01", end="2026-11-01", min_posts=50)
    assert set(few["tier"]) == {"too few posts to compare", "n/a"}


def _tier_posts() -> pd.DataFrame:
    """Two platforms of 25 posts each (reach 100), October the report month, September history.

    Facebook: likes 0, 0, 0, 1, 2 … 22. A post with k likes (k >= 1) has k + 2 posts below it, so
    its percentile rank is (2 (k + 2) + 1) / 50 = 4k + 10 %; the three zeros share places 1-3: 3 / 50
    = 6 %. The old rule (share at or below, 3 / 25 = 12 %) showed them at 12 yet called them
    underperformers. October: two zeros (6th), 1 like (14th), 20, 21, 22 likes (90th, 94th, 98th).
    Instagram: likes 0 × 6, 1 … 19: the zeros share places 1-6, 6 / 50 = 12 % (typical, not an
    underperformer); k likes: (2 (k + 5) + 1) / 50 = 4k + 22 %. October: one zero (12th), 10 likes
    (62nd), 18 and 19 likes (94th, 98th).
    """
    fb = [0, 0, 0, *range(1, 23)]
    ig = [0] * 6 + list(range(1, 20))
    october = {("facebook", 0): 2, ("facebook", 1): 1, ("facebook", 20): 1, ("facebook", 21): 1,
               ("facebook", 22): 1, ("instagram", 0): 1, ("instagram", 10): 1, ("instagram", 18): 1,
               ("instagram", 19): 1}
    rows, left = [], dict(october)
    for platform, likes in [("facebook", x) for x in fb] + [("instagram", x) for x in ig]:
        in_month = left.get((platform, likes), 0) > 0
        if in_month:
            left[(platform, likes)] -= 1
        day = 10 + len(rows) % 15          # the 25th post (22 likes on Facebook): 19 Oct
        rows.append({"platform": platform, "likes": likes, "reach": 100, "text": f"{platform} {likes} likes",
                     "published_at": f"2026-{'10' if in_month else '09'}-{day:02d}T10:00:00Z"})
    return posts_frame(rows)


def test_post_tiers_tied_zeros_get_the_middle_of_their_places() -> None:
    tiers = S.post_tiers(_tier_posts(), start="2026-10-01", end="2026-11-01", tz="Europe/Helsinki")
    shown = {(r.platform, round(100 * r.value)): (int(S.percentile_shown(r.percentile)), r.tier)
             for r in tiers.itertuples()}
    assert shown == {("facebook", 0): (6, "underperformer"), ("facebook", 1): (14, "typical"),
                     ("facebook", 20): (90, "breakout"), ("facebook", 21): (94, "breakout"),
                     ("facebook", 22): (98, "breakout"), ("instagram", 0): (12, "typical"),
                     ("instagram", 10): (62, "typical"), ("instagram", 18): (94, "breakout"),
                     ("instagram", 19): (98, "breakout")}
    assert len(tiers) == 10 and (tiers["tier"] == "underperformer").sum() == 2
    # one rule, both ends: the tier follows the percentile as shown, whatever the ties
    pct = S.percentile_shown(tiers["percentile"].to_numpy())
    assert ((pct <= 10) == (tiers["tier"] == "underperformer")).all()
    assert ((pct >= 90) == (tiers["tier"] == "breakout")).all()


def test_percentile_shown_rounds_half_up_as_the_tiers_do() -> None:
    assert S.percentile_shown(0.105) == 11.0            # 100 * 0.105 is 10.4999… in floating point
    assert S.percentile_shown(0.1049) == 10.0
    assert S.percentile_shown(5 / 46) == 11.0          # 10.87 %
    np.testing.assert_array_equal(S.percentile_shown([0.0016, 0.895, np.nan]), [0.0, 90.0, np.nan])
    tiers = S._tier(np.array([0.1049, 0.105, 0.8949, 0.895]), 0.9, 0.1)
    assert tiers.tolist() == ["underperformer", "typical", "typical", "breakout"]


def test_top_posts_table_lists_exactly_the_posts_the_sentence_counts() -> None:
    ctx = _ctx(_tier_posts(), min_posts=20)
    view = S.top_posts_view(ctx)
    assert view.sentences[0] == (
        "5 of the month's 10 posts broke out: at or above the 90th percentile of engagement rate (by "
        "reach) among the posts of September–October 2026 on the same platform. 2 underperformed: at or "
        "below the 10th percentile.")
    assert view.sentences[1] == "The table lists all 5 breakouts and all 2 underperformers, best first."
    assert view.sentences[2] == ("The biggest breakout: an image on Facebook (19 Oct) at 22.0 %, the 98th "
                                 "percentile, \u201cfacebook 22 likes\u201d.")
    t = view.table
    assert list(t.columns) == ["Post", "Engagement rate (by reach)", "Percentile", "Tier"]  # fits a phone
    # best first: percentile, then rate; the two facebook zeros tie, in post order
    assert t["Percentile"].tolist() == ["98th", "98th", "94th", "94th", "90th", "6th", "6th"]
    assert t["Engagement rate (by reach)"].tolist() == ["22.0 %", "19.0 %", "21.0 %", "18.0 %", "20.0 %",
                                                        "0 %", "0 %"]
    assert t["Tier"].tolist() == ["breakout"] * 5 + ["underperformer"] * 2
    assert t["Post"].iloc[1].startswith("Instagram image, ") and t["Post"].iloc[1].endswith(
        ": \u201cinstagram 19 likes\u201d")
    # the counts of the sentence are the rows of the table
    n_b, n_u = map(int, re.findall(r"(\d+) (?:of the month's \d+ posts broke out|underperformed)",
                                   view.sentences[0]))
    assert (t["Tier"] == "breakout").sum() == n_b and (t["Tier"] == "underperformer").sum() == n_u
    # every row's percentile agrees with its tier
    assert all((int(p[:-2]) <= 10) == (tier == "underperformer") and (int(p[:-2]) >= 90) == (tier == "breakout")
               for p, tier in zip(t["Percentile"], t["Tier"], strict=True))


def test_top_posts_table_says_how_many_it_shows_of_how_many() -> None:
    view = S.top_posts_view(_ctx(_tier_posts(), min_posts=20), top=3, bottom=1)
    assert view.sentences[1] == ("The table lists the 3 best of the 5 breakouts and the weakest of the 2 "
                                 "underperformers, best first.")
    assert view.table["Percentile"].tolist() == ["98th", "98th", "94th", "6th"]
    assert view.table["Engagement rate (by reach)"].tolist() == ["22.0 %", "19.0 %", "21.0 %", "0 %"]
    assert view.table["Tier"].tolist() == ["breakout"] * 3 + ["underperformer"]
    none = S.top_posts_view(_ctx(_tier_posts(), min_posts=20), top=0, bottom=0)
    assert none.table is None and len(none.sentences) == 1


def test_top_posts_without_history_say_why_they_are_not_tiered() -> None:
    view = S.top_posts_view(_ctx(_tier_posts(), min_posts=26))     # 25 posts per platform: too few
    assert view.sentences[0].startswith("0 of the month's 10 posts broke out") and view.table is None
    assert ("10 posts on Facebook and Instagram are neither breakout nor underperformer: too few posts to "
            "conclude (fewer than 26 posts on Facebook and Instagram in September–October 2026).") in view.caveats
    # three platforms are listed as a sentence lists them, not "Facebook and Instagram and TikTok"
    posts = _tier_posts()
    posts.loc[posts.index[-3:], "platform"] = "tiktok"
    three = S.top_posts_view(_ctx(posts, min_posts=26))
    assert any(" on Facebook, Instagram and TikTok " in c for c in three.caveats), three.caveats


# ------------------------------------------------------------------------------------------------
# one test per bad input


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda df: S.segment_kpi(df, by="audience"), ParameterError, "posts: no segment column 'audience'"),
    (lambda df: S.segment_kpi(df, "engagement_rate_by_reahc"), ParameterError,
     "unknown KPI 'engagement_rate_by_reahc' — did you mean 'engagement_rate_by_reach'?"),
    (lambda df: S.segment_kpi(df, "ctr"), ParameterError, "KPI 'ctr' comes from the ads table, not from posts"),
    (lambda df: S.segment_kpi(df, "engagement_rate_by_followers"), ParameterError,
     "KPI 'engagement_rate_by_followers' needs the posts column(s) followers_at_post"),
    (lambda df: S.segment_kpi(df, min_posts=0), ParameterError, "min_posts must be a whole number >= 1"),
    (lambda df: S.segment_kpi(df, confidence=95), ParameterError, "confidence must be between 0 and 1"),
    (lambda df: S.segment_kpi(df, interval="exact"), ParameterError, "interval must be 'auto', 'adjusted'"),
    (lambda df: S.segment_kpi(df, hour_block_hours=5), ParameterError, "hour_block_hours must divide 24"),
    (lambda df: S.segment_kpi(df, by=[]), ParameterError, "give at least one segment column"),
    (lambda df: S.segment_kpi(df.iloc[:0]), NoDataError, "no posts to segment"),
    (lambda df: S.compare_segments(df, "likes_per_post", method="chi2"), ParameterError,
     "method 'chi2' needs a rate KPI; Likes per post is per post (use method='kruskal')"),
    (lambda df: S.compare_segments(df, method="anova"), ParameterError, "method must be 'auto', 'adjusted'"),
    (lambda df: S.engagement_drivers(df, "likes_per_post"), ParameterError,
     "engagement_drivers needs a ratio KPI"),
    (lambda df: S.engagement_drivers(df), NoDataError, "too few posts to model drivers (3 with a reach; need at least 40)"),
    (lambda df: S.engagement_drivers(df, model="ols"), ParameterError, "model must be 'negative_binomial' or 'poisson'"),
    (lambda df: S.post_tiers(df, start="2026-10-01", end="2026-11-01", top_quantile=0.1, bottom_quantile=0.9),
     ParameterError, "need 0 < bottom_quantile < top_quantile < 1"),
])
def test_bad_input_gives_one_clear_error(call, error, message) -> None:  # noqa: ANN001
    df = posts_frame([{"likes": 1}, {"likes": 2}, {"likes": 3}])
    with pytest.raises(error) as exc:
        call(df)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_unknown_reference_level_is_named() -> None:
    df = simulated_posts(200)
    with pytest.raises(ParameterError, match="reference level 'gif' of 'content_type' not in the data"):
        S.engagement_drivers(df, references={"content_type": "gif"})


def test_blank_kpi_everywhere_is_no_data() -> None:
    df = posts_frame([{"likes": np.nan}, {"likes": np.nan}])
    with pytest.raises(NoDataError, match="no posts with a value for Engagement rate"):
        S.segment_kpi(df)


# ------------------------------------------------------------------------------------------------
# report views on a hand-made context


def _ctx(posts: pd.DataFrame | None, *, month: str = "2026-10", tz: str = "Europe/Helsinki", **seg_opts):
    from kpi_toolkit.context import ReportContext
    from kpi_toolkit.data import ClientData
    from kpi_toolkit.params import parse_params
    from kpi_toolkit.periods import month_period

    params = parse_params({"client": "acme", "display_name": "Acme", "brand": "Acme", "timezone": tz,
                           "segments": seg_opts})
    data = ClientData(client="acme", data_dir=Path("."))
    if posts is not None:
        data.tables["posts"] = posts
    else:
        data.missing["posts"] = "no posts table (data/acme/posts.csv or .parquet not found)"
    return ReportContext(client="acme", month=month, params=params, data=data, period=month_period(month, tz))


def test_views_on_simulated_client(sim: pd.DataFrame) -> None:
    from kpi_toolkit.display import view_html

    posts = sim.copy()
    posts.loc[posts.index[-1], "published_at"] = pd.Timestamp("2026-10-10T09:00:00Z")
    posts.loc[posts.index[-1], "text"] = "<script>alert('x')</script> big news"
    posts.loc[posts.index[-1], "likes"] = 50_000
    views = S.segments_view(_ctx(posts))
    assert [v.key for v in views] == ["segments-content_type", "segments-timing", "segments-drivers",
                                      "segments-top-posts"]
    assert all(v.skipped_reason is None for v in views)
    fmt, timing, drivers, top = views
    assert fmt.figure is not None and timing.figure is not None and drivers.figure is not None
    assert "reels had the highest engagement rate (by reach)" in fmt.sentences[0]
    assert any("Post more reels" == r.action for r in drivers.recommendations)
    html = view_html(top)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "breakout" in html
    assert all(v.alt_text for v in (fmt, timing, drivers))
    # the client report drops the drivers table (report.driver_views): no caveat may point at it
    assert ("Paid / organic and topic made no difference we can be sure of (each could be chance), so the "
            "chart leaves them out.") in drivers.caveats
    assert not any("table only" in c or "unlikely to be chance for" in c for c in drivers.caveats)
    labels = [t.get_text() for t in drivers.figure.axes[0].get_yticklabels()]
    assert labels[:2] == ["Format, against image", "link"]
    assert labels[5:7] == ["Platform, against Instagram", "Facebook"]     # not "platform: facebook vs instagram"


def test_no_difference_caveat_in_plain_words() -> None:
    assert S._no_difference_sentence(["topic"]) == ("Topic made no difference we can be sure of (it could "
                                                    "be chance), so the chart leaves it out.")
    assert S._no_difference_sentence(["paid_status", "topic"]) == (
        "Paid / organic and topic made no difference we can be sure of (each could be chance), so the chart "
        "leaves them out.")


def test_driver_chart_labels_use_display_names() -> None:
    from kpi_toolkit.plotting.segments import driver_group_label, plot_drivers

    assert [S.level_name("platform", p) for p in ("x", "linkedin", "tiktok", "facebook", "mastodon")] == [
        "X", "LinkedIn", "TikTok", "Facebook", "mastodon"]
    assert S.level_name("content_type", "(other)") == "other formats"
    assert S.level_name("topic", "(not set)") == "not set"
    assert driver_group_label("platform", "linkedin") == "Platform, against LinkedIn"
    assert driver_group_label("paid_status", "organic") == "Paid / organic, against organic"
    drv = pd.DataFrame({
        "factor": ["platform"] * 3 + ["content_type"] * 2,
        "level": ["linkedin", "tiktok", "x", "image", "(other)"],
        "reference": ["linkedin"] * 3 + ["image"] * 2,
        "is_reference": [True, False, False, True, False], "n_posts": [50, 30, 40, 60, 25],
        "irr": [1.0, 1.4, 0.3, 1.0, 1.1], "ci_low": [np.nan, 1.1, 0.2, np.nan, 0.8],
        "ci_high": [np.nan, 1.8, 0.4, np.nan, 1.5], "significant": [False, True, True, False, False],
        "enough_posts": [True] * 5})
    ax = plot_drivers(drv)
    ticks = ax.get_yticklabels()
    assert [t.get_text() for t in ticks] == ["Platform, against LinkedIn", "TikTok", "X",
                                             "Format, against image", "other formats"]
    assert [t.get_fontweight() for t in ticks] == ["bold", "normal", "normal", "bold", "normal"]
    assert ticks[0].get_fontsize() >= 10                          # legible at a phone's 44 % scale


def test_segment_views_name_platforms_as_clients_write_them() -> None:
    rows = [{"platform": p, "likes": 5 + i % 3, "published_at": f"2026-10-{1 + i % 28:02d}T10:00:00Z"}
            for p, n in (("linkedin", 25), ("x", 25), ("tiktok", 3)) for i in range(n)]
    view = S.format_view(_ctx(posts_frame(rows), min_posts=20), by="platform")
    assert sorted(view.table["Platform"]) == ["LinkedIn", "TikTok", "X"]
    assert view.sentences[-1] == "1 platform has too few posts to conclude (fewer than 20 posts): TikTok (3 posts)."
    ticks = [t.get_text() for t in view.figure.axes[0].get_yticklabels()]
    assert sorted(ticks) == ["LinkedIn", "TikTok", "X"]
    few = S.compare_segments(posts_frame(rows), by="platform", min_posts=26)
    assert few.sentence() == ("Too few posts to compare platforms: fewer than two have enough posts "
                              "(LinkedIn, TikTok, X are too small).")


def test_views_skip_when_posts_are_missing() -> None:
    views = S.segments_view(_ctx(None))
    assert all(v.skipped_reason and "no posts table" in v.skipped_reason for v in views)


def test_small_segments_show_too_few_posts(sim: pd.DataFrame) -> None:
    view = S.format_view(_ctx(sim, min_posts=30))
    assert any("live" in s and S.TOO_FEW in s for s in view.sentences)
    assert S.TOO_FEW in set(view.table["Rank"])
    # the table lists the segments best first, as the chart does (it was alphabetical)
    seg = view.extra["segments"]
    assert list(view.table["Format"]) == list(seg.sort_values("value", ascending=False)["content_type"])
    ranks = [int(r) for r in view.table["Rank"] if r != S.TOO_FEW]
    assert ranks == sorted(ranks)


# ------------------------------------------------------------------------------------------------
# real data: UCI Facebook metrics (Moro, Rita & Vala 2016)


@pytest.fixture(scope="module")
def uci() -> tuple[pd.DataFrame, pd.DataFrame]:
    if not UCI.exists():
        pytest.skip(f"UCI Facebook metrics export not found at {UCI} (the repo's sibling folder shared/)")
    raw = pd.read_csv(UCI, sep=";")
    posts = pd.DataFrame({
        "post_id": pd.array([f"uci-{i + 1}" for i in range(len(raw))], dtype="string"),
        "platform": pd.array(["facebook"] * len(raw), dtype="string"),
        "published_at": pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]"),
        "content_type": raw["Type"].map({"Photo": "image", "Status": "text", "Link": "link",
                                         "Video": "video"}).astype("string"),
        "impressions": raw["Lifetime Post Total Impressions"].astype("int64"),
        "reach": raw["Lifetime Post Total Reach"].astype("int64"),
        "likes": raw["like"].astype("float64"), "comments": raw["comment"].astype("float64"),
        "shares": raw["share"].astype("float64"),
        "paid": raw["Paid"].map({1.0: True, 0.0: False}).astype("boolean"),
        "published_month": ("2014-" + raw["Post Month"].astype(str).str.zfill(2)).astype("string"),
        "published_hour": raw["Post Hour"].astype("int64"),
    })
    return raw, posts


def test_uci_interactions_by_post_type(uci) -> None:  # noqa: ANN001
    raw, posts = uci
    seg = S.segment_kpi(posts, by="content_type").set_index("content_type")
    # 4 posts have a blank like or share cell: out of the sums, not zero
    assert seg.attrs["n_missing_kpi"] == 4 and seg.attrs["n_posts"] == 496
    full = raw.dropna(subset=["like", "share"])
    ref = full.groupby("Type")["Total Interactions"].sum() / full.groupby("Type")["Lifetime Post Total Reach"].sum()
    for typ, fmt in (("Photo", "image"), ("Status", "text"), ("Link", "link"), ("Video", "video")):
        assert seg.loc[fmt, "value"] == pytest.approx(ref[typ], rel=1e-12)
    assert seg.loc["image", "value"] == pytest.approx(92236 / 5593127)
    assert seg.loc["video", "n_posts"] == 7 and seg.loc["video", "note"] == S.TOO_FEW
    assert seg.loc["link", "rank"] == 3                  # lowest of the three ranked types
    cmp = S.compare_segments(posts, by="content_type")
    pw = cmp.pairwise.set_index(["segment_a", "segment_b"])
    assert pw.loc[("image", "link"), "significant"] and pw.loc[("link", "text"), "significant"]
    assert not pw.loc[("image", "text"), "significant"]


def test_uci_paid_vs_unpaid(uci) -> None:  # noqa: ANN001
    raw, posts = uci
    seg = S.segment_kpi(posts, by="paid_status").set_index("paid_status")
    assert seg.attrs["n_missing_segment"] == 1           # the one blank Paid cell
    assert seg.loc["paid", "n_posts"] == 139 and seg.loc["organic", "n_posts"] == 356
    full = raw.dropna(subset=["like", "share", "Paid"])
    ref = full.groupby("Paid")["Total Interactions"].sum() / full.groupby("Paid")["Lifetime Post Total Reach"].sum()
    assert seg.loc["paid", "value"] == pytest.approx(ref[1.0]) and seg.loc["organic", "value"] == pytest.approx(ref[0.0])
    # per reach the difference could be chance; per post, paid posts get more interactions
    assert not S.compare_segments(posts, by="paid_status").significant
    per_post = S.compare_segments(posts, "engagements_per_post", by="paid_status")
    assert per_post.significant and per_post.pairwise["ratio"].iloc[0] < 1      # organic / paid


def test_uci_through_the_importer_gives_the_same_figures(uci) -> None:  # noqa: ANN001
    from kpi_toolkit.importers import convert, load_preset, read_export

    _, hand = uci
    preset = load_preset("facebook_insights")
    posts = convert(read_export(UCI, preset), preset, year=2014).frame
    a = S.segment_kpi(posts, by="content_type")
    b = S.segment_kpi(hand, by="content_type")
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["n_missing_kpi"] == 4
    # the export's weekday (1 = Sunday) arrives as 0 = Monday; rows come out Monday first
    wd = S.segment_kpi(posts, by="weekday_name")
    assert wd["weekday_name"].tolist() == list(S.WEEKDAY_NAMES)
    assert wd["n_posts"].sum() == 496


# ------------------------------------------------------------------------------------------------
# time slots and the heatmap view


def test_time_slots_are_relative_to_each_platform(sim: pd.DataFrame) -> None:
    slots = S.time_slots(sim, tz="Europe/Helsinki", hour_block_hours=3)
    for platform, g in slots.groupby("platform"):
        total = g["numerator"].sum() / g["denominator"].sum()
        np.testing.assert_allclose(g["relative"], g["value"] / total)
        np.testing.assert_allclose(g["relative_low"], g["ci_low"] / total)
        assert g.loc[g["rank"] == 1, "hour_block"].iloc[0] == "18:00-20:59", platform   # planted 1.4×
        assert (g["above_usual"] == (g["enough_posts"] & (g["ci_low"] > total))).all()
    assert set(slots.loc[~slots["enough_posts"], "rank"].isna()) <= {True}


def test_heatmap_view_only_when_cells_have_enough_posts(sim: pd.DataFrame) -> None:
    skipped = S.posting_heatmap_view(_ctx(sim))
    assert "no platform has 3 or more weekday × 2-hour cells with 20 posts" in skipped.skipped_reason
    ctx = _ctx(sim.iloc[:700], min_posts_per_cell=5, hour_block_hours=6)
    shown = S.posting_heatmap_view(ctx)
    assert shown.skipped_reason is None and shown.figure is not None
    assert all(re.match(r"(Facebook|Instagram): \w+days \d\d:00-\d\d:59 had the highest", t) for t in shown.sentences)
    assert "segments-heatmap" in [v.key for v in S.segments_view(ctx)]


# ------------------------------------------------------------------------------------------------
# demo truth (kpi_toolkit.demo): the planted format and posting hours come out on top


def _demo_ctx(demo_root: Path, client: str):
    from kpi_toolkit.context import load_context

    return load_context(client=client, month="2026-10", data_dir=demo_root / "data",
                        parameters_dir=demo_root / "parameters", tables=["posts"])


@pytest.fixture(scope="module")
def demo_posts(demo_root: Path) -> dict:
    out = {}
    for client in ("demo-lumiere", "demo-trailhead", "demo-ledgerly"):
        ctx = _demo_ctx(demo_root, client)
        posts, _, window = S.lookback_posts(ctx)
        out[client] = (ctx, posts, window)
    return out


@pytest.mark.parametrize("client", ["demo-lumiere", "demo-trailhead", "demo-ledgerly"])
def test_demo_planted_format_and_hours_come_out_on_top(client: str, demo_posts: dict, demo_truth: dict) -> None:
    ctx, posts, _ = demo_posts[client]
    truth = demo_truth["clients"][client]
    fmt, mult = truth["content_format"]["content_type"], truth["content_format"]["multiplier"]
    hours = truth["posting_hours"]["hours_local"]
    assert truth["posting_hours"]["timezone"] == ctx.tz
    drv = S.engagement_drivers(posts, tz=ctx.tz, hour_block_hours=2)
    found = S.factor_findings(drv).set_index("factor")
    # the planted format is the best format, its interval excludes 1 and contains the planted multiplier
    assert found.loc["content_type", "level"] == fmt
    assert found.loc["content_type", "kind"] == "above_reference"
    row = drv[(drv["factor"] == "content_type") & (drv["level"] == fmt)].iloc[0]
    assert 1 < row["ci_low"] < mult < row["ci_high"] and row["significant"]
    # the planted posting window is the best time slot, with intervals excluding no effect
    window = S.hour_block_label(hours[0], 2)
    assert window == f"{hours[0]:02d}:00-{hours[-1]:02d}:59"
    assert found.loc["hour_block", "level"] == window
    assert found.loc["hour_block", "kind"] in ("above_reference", "reference_best")
    # hour by hour, the planted hours are the two best ranked hours
    by_hour = S.segment_kpi(posts, by="hour", tz=ctx.tz)
    assert set(by_hour.nsmallest(2, "rank")["hour"]) == set(hours)


@pytest.mark.parametrize("client", ["demo-lumiere", "demo-trailhead", "demo-ledgerly"])
def test_demo_planted_format_leads_within_each_platform(client: str, demo_posts: dict, demo_truth: dict) -> None:
    ctx, posts, _ = demo_posts[client]
    fmt = demo_truth["clients"][client]["content_format"]["content_type"]
    seg = S.segment_kpi(posts, by=["platform", "content_type"], tz=ctx.tz)
    checked = 0
    for platform, g in seg[seg["enough_posts"]].groupby("platform"):
        if fmt in set(g["content_type"]) and len(g) > 1:
            assert g.sort_values("value").iloc[-1]["content_type"] == fmt, platform
            checked += 1
    assert checked >= 1


def test_demo_report_views_recommend_the_planted_format_and_window(demo_root: Path, demo_truth: dict) -> None:
    from kpi_toolkit.display import view_html

    ctx = _demo_ctx(demo_root, "demo-lumiere")
    views = S.segments_view(ctx)
    actions = [r.action for v in views for r in v.recommendations]
    truth = demo_truth["clients"]["demo-lumiere"]
    assert f"Post more {S.level_phrase('content_type', truth['content_format']['content_type'])}" in actions
    window = S.hour_block_label(truth["posting_hours"]["hours_local"][0], ctx.params.segments.hour_block_hours)
    assert f"Schedule more posts for {window} ({ctx.tz})" in actions
    # the demo's post with markup is escaped wherever the month's posts are listed
    top = S.top_posts_view(ctx, top=500, bottom=0)
    html = view_html(top)
    assert "Escaping check" in html and "<script>" not in html and "&lt;script&gt;" in html


def test_uci_views_without_full_timestamps(uci) -> None:  # noqa: ANN001
    _, posts = uci
    ctx = _ctx(posts, month="2014-12", tz="UTC")
    top = S.top_posts_view(ctx)
    # month only: no invented day or time
    assert all(re.match(r"Facebook \w+, Dec 2014(: |$)", post) for post in top.table["Post"])
    assert top.sentences[2].startswith("The biggest breakout: an image on Facebook (Dec 2014) at ")
    timing = S.posting_time_view(ctx)                           # from the export's own Post Hour
    assert timing.sentences[0].startswith("Facebook: posts published ")


def test_independent_columns_matches_greedy_rank_test_on_the_full_design():
    """The QR shortcut keeps exactly the columns the column-by-column SVD rank test keeps."""
    from kpi_toolkit.segments import _independent_columns

    rng = np.random.default_rng(7)
    n = 400
    dummies = np.eye(5)[rng.integers(0, 5, n)]  # one-hot: with an intercept, one level is aliased
    x = rng.normal(size=(n, 2))
    X = np.column_stack([np.ones(n), dummies, x, 2 * x[:, 0] - x[:, 1], np.zeros(n), 1000 * x[:, 1] + 3])

    def naive(X, tol=1e-8):
        keep = []
        for j in range(X.shape[1]):
            cand = keep + [j]
            if np.linalg.matrix_rank(X[:, cand], tol=tol * max(1.0, np.abs(X[:, cand]).max())) == len(cand):
                keep.append(j)
        return keep

    got = _independent_columns(X)
    assert got == naive(X)
    assert got == [0, 1, 2, 3, 4, 6, 7]  # the 5th dummy, the combination, zeros and the shift are dropped
    assert _independent_columns(X[:3]) == naive(X[:3])  # fewer rows than columns: no QR
    assert _independent_columns(np.empty((10, 0))) == []


def test_a_segment_against_all_posts_that_rounds_to_nothing_reads_0_percent() -> None:
    assert S._signed_pct(0.37) == "+37 %"
    assert S._signed_pct(-0.1) == "−10 %"
    assert S._signed_pct(0.004) == "0 %"
    assert S._signed_pct(-0.004) == "0 %"
    assert S._signed_pct(float("nan")) == "n/a"


def test_a_posts_percentile_cell_says_lowest_and_highest_in_words() -> None:
    from kpi_toolkit.segments import _percentile_cell

    assert [_percentile_cell(p) for p in (0, 1, 2, 3, 11, 93, 100)] == [
        "lowest", "1st", "2nd", "3rd", "11th", "93rd", "highest"]


def test_a_posts_day_reads_without_a_leading_zero() -> None:
    from kpi_toolkit.segments import _when

    row = {"published_local": pd.Timestamp("2026-11-06 09:00", tz="Europe/Helsinki"), "published_month": "2026-11"}
    assert _when(row, "%d %b") == "6 Nov" and _when({**row, "published_local": pd.NaT}, "%d %b") == "Nov 2026"


# ------------------------------------------------------------------------------------------------
# the segmentation notebook's charts and tables (notebook audit): the report's skip rule, no degenerate
# colour bar, sentences beside every chart, tables in words and units


NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "segmentation.ipynb"


def _one_cell_grid(min_posts: int = 3) -> pd.DataFrame:
    """LinkedIn: three posts on Tuesday 08:00-09:59 (local), 6 engagements of 100 reach each (6.0 %),
    and one post on Monday; with min_posts=3 exactly one cell has enough posts."""
    rows = [{"platform": "linkedin", "likes": 6, "published_at": f"2026-10-{d:02d}T08:30:00Z"} for d in (6, 13, 20)]
    rows.append({"platform": "linkedin", "likes": 3, "published_at": "2026-10-05T12:30:00Z"})
    return S.posting_time_grid(posts_frame(rows), tz="UTC", min_posts=min_posts, hour_block_hours=2)


def test_heatmap_colour_bar_of_one_value_has_one_tick_not_five_alike() -> None:
    """The audit's demo-ledgerly case: one qualifying cell made vmin == vmax and the colour bar read
    "6.3 %" five times. Now the range is widened around the value and its one tick reads it once."""
    from kpi_toolkit.plotting.segments import plot_posting_heatmaps

    grid = _one_cell_grid()
    assert (~grid["masked"]).sum() == 1
    fig = plot_posting_heatmaps(grid)
    fig.canvas.draw()
    heat, bar = fig.axes[0], fig.axes[1]
    labels = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert labels == ["6.0 %"]
    norm = heat.images[0].norm
    assert norm.vmin < 0.06 < norm.vmax                     # the cell is coloured mid-scale, not at an edge
    assert heat.images[0].get_array().count() == 1          # and it is the only coloured cell


def test_colour_range_and_tick_labels_by_hand() -> None:
    from kpi_toolkit.plotting.segments import colour_range, tick_decimals

    assert colour_range(0.063, 0.063) == pytest.approx((0.0567, 0.0693, 0.063))   # ±10 % of the value
    assert colour_range(0.0, 0.0) == (-1e-3, 1e-3, 0.0)
    assert colour_range(0.02, 0.05) == (0.02, 0.05, None)
    # the fewest decimals that write every tick exactly: 1.25 % is not shown as "1.2 %"
    assert tick_decimals([0.02, 0.03, 0.04], percent=True) == 0
    assert tick_decimals([0.0125, 0.015, 0.0175, 0.02], percent=True) == 2
    assert tick_decimals([0.063], percent=True) == 1
    assert tick_decimals([1000.0, 2000.0]) == 0


def test_heatmap_view_from_a_grid_follows_the_report_rule() -> None:
    """One cell with enough posts is below the three the monthly report needs: the notebook's view is
    skipped with the report's reason instead of drawing a grey heatmap."""
    grid = _one_cell_grid()
    assert S.heatmap_platforms(grid) == [] and S.heatmap_platforms(grid, min_cells=1) == ["linkedin"]
    view = S.posting_heatmap(grid, tz="UTC", window="the last 12 months", key="nb-heatmap", title="Weekday × time slot")
    assert view.figure is None and view.skipped_reason == (
        "too few posts to conclude per weekday and time slot: no platform has 3 or more weekday × 2-hour cells "
        "with 3 posts in the last 12 months (see the time of day above)")
    shown = S.posting_heatmap(grid, tz="UTC", window="October", min_cells=1)
    assert shown.skipped_reason is None and shown.sentences == [
        "LinkedIn: Tuesdays 08:00-09:59 had the highest engagement rate (by reach) of the 1 cells with enough "
        "posts, 6.0 % (95 % CI 3.8-9.3 %; 3 posts, +14 % against all LinkedIn posts)."]
    best = S.best_times_table(shown.extra["best"])
    assert best.to_dict("records") == [{"Platform": "LinkedIn", "Weekday": "Tuesday", "Time slot": "08:00-09:59",
                                        "Posts": 3, "Engagement rate (by reach)": "6.0 %", "95 % CI": "3.8-9.3 %",
                                        "Against the platform's usual": "+14 %"}]


def test_the_heatmap_view_names_the_platforms_it_leaves_out() -> None:
    rows = [{"platform": "linkedin", "likes": 5 + d % 3, "published_at": f"2026-10-{d:02d}T{h:02d}:30:00Z"}
            for d in (5, 6, 7, 12, 13, 14) for h in (8, 12)]
    rows += [{"platform": "x", "likes": 1, "published_at": "2026-10-05T08:30:00Z"}]
    grid = S.posting_time_grid(posts_frame(rows), tz="UTC", min_posts=2, hour_block_hours=2)
    view = S.posting_heatmap(grid, tz="UTC", window="October")
    assert view.skipped_reason is None
    assert "Not drawn: X, with fewer than 3 weekday × 2-hour cells of 2 posts or more." in view.caveats
    assert set(view.extra["best"]["platform"]) == {"linkedin"}


def test_the_notebook_uses_the_packages_views_and_tables() -> None:
    """The segmentation notebook stays thin: the heatmap goes through the report's rule
    (posting_heatmap), every chart has sentences from the package, no raw frame is displayed."""
    import json

    cells = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    code = "\n".join(cells)
    assert "seg.posting_heatmap(" in code and "plot_posting_heatmaps" not in code
    for call in ("seg.within_group_sentences(", "seg.time_slot_sentences(", "seg.drivers_model_text(",
                 "seg.segment_table(", "seg.pairwise_table(", "seg.interval_methods_table(", "seg.tiers_table("):
        assert call in code, call
    assert ".round(" not in code and "def " not in code


def test_segment_table_in_words_and_units_by_hand() -> None:
    """images 3 + 5 engagements of 200 reach = 4.0 %, video 10 of 100 = 10.0 %; all posts 18 / 300 =
    6.0 %; lifts 4 / 6 - 1 = -33 % and +67 %. With min_posts=2 the single video is too few to rank."""
    df = posts_frame([{"content_type": "image", "likes": 3}, {"content_type": "image", "likes": 5},
                      {"content_type": "video", "likes": 10}])
    seg = S.segment_kpi(df, by="content_type", min_posts=2)
    t = S.segment_table(seg, counts=True, design_effect=True)
    assert list(t.columns) == ["Format", "Posts", "Engagements / reach", "Engagement rate (by reach)", "95 % CI",
                               "Design effect", "Against all posts", "Rank"]
    assert t.drop(columns=["95 % CI", "Design effect"]).to_dict("records") == [
        {"Format": "video", "Posts": 1, "Engagements / reach": "10 / 100", "Engagement rate (by reach)": "10.0 %",
         "Against all posts": "+67 %", "Rank": S.TOO_FEW},
        {"Format": "image", "Posts": 2, "Engagements / reach": "8 / 200", "Engagement rate (by reach)": "4.0 %",
         "Against all posts": "−33 %", "Rank": "1"}]
    assert t["95 % CI"].iloc[0] == "n/a" and re.fullmatch(r"\d+\.?\d*-\d+\.?\d* %", t["95 % CI"].iloc[1])
    assert t["Design effect"].iloc[0] == "n/a"
    text = t.to_string()
    assert "<NA>" not in text and "nan" not in text and "True" not in text and "0.04" not in text
    # the raw frame is untouched: fractions and nullable ranks, for analysts who compute with it
    assert seg["value"].tolist() == pytest.approx([0.04, 0.1]) and seg["rank"].isna().tolist() == [False, True]


def test_segment_table_ranks_within_a_platform() -> None:
    rows = ([{"platform": "facebook", "content_type": "image", "likes": 2}] * 2
            + [{"platform": "facebook", "content_type": "video", "likes": 4}] * 2
            + [{"platform": "instagram", "content_type": "image", "likes": 9}] * 2
            + [{"platform": "instagram", "content_type": "reel", "likes": 1}])
    seg = S.segment_kpi(posts_frame(rows), by=["platform", "content_type"], min_posts=2)
    t = S.segment_table(seg, within="platform", lift=False)
    assert t[["Platform", "Format", "Rank within platform"]].values.tolist() == [
        ["Facebook", "video", "1"], ["Facebook", "image", "2"],
        ["Instagram", "image", "1"], ["Instagram", "reel", S.TOO_FEW]]


def test_pairwise_table_in_words() -> None:
    cmp = S.compare_segments(_three_formats(), by="content_type", min_posts=20)
    t = S.pairwise_table(cmp)
    assert list(t.columns) == ["Compared", "Posts", "Engagement rate (by reach)", "Ratio", "Cohen's h",
                               "p (Holm)", "Unlikely to be chance"]
    row = t.set_index("Compared").loc["image vs video"]
    raw = cmp.pairwise.set_index(["segment_a", "segment_b"]).loc[("image", "video")]
    assert row["Posts"] == "30 vs 30" and row["Unlikely to be chance"] == "yes"
    assert row["Engagement rate (by reach)"] == f"{S.fmt_value(raw['value_a'])} vs {S.fmt_value(raw['value_b'])}"
    assert row["Cohen's h"].startswith("\u2212") and row["Cohen's h"] == f"\u2212{abs(raw['effect_size']):.2f}"
    assert set(t["Unlikely to be chance"]) <= {"yes", "no"} and not t["p (Holm)"].str.startswith("p").any()


def test_within_platform_sentences_by_hand() -> None:
    """A hand-made segment_kpi frame: on Instagram reels (8.1 %, CI 7.4-8.9) clear of images (4.8 %, CI
    4.1-5.4); on TikTok carousels (6.3 %) within the interval of videos (6.0 %); YouTube too small."""
    seg = pd.DataFrame({
        "platform": ["instagram", "instagram", "tiktok", "tiktok", "youtube"],
        "content_type": ["reel", "image", "carousel", "video", "short"],
        "n_posts": [126, 90, 40, 30, 12], "value": [0.081, 0.048, 0.063, 0.060, 0.05],
        "ci_low": [0.074, 0.041, 0.052, 0.050, 0.03], "ci_high": [0.089, 0.054, 0.075, 0.071, 0.07],
        "enough_posts": [True, True, True, True, False]})
    seg.attrs.update(by=["platform", "content_type"], label="Engagement rate (by reach)", kind="rate",
                     unit="fraction", confidence=0.95, min_posts=20)
    assert S.within_group_sentences(seg) == [
        "A different format leads on each of the 2 platforms where two or more formats have enough posts; the "
        "lead of reels on Instagram is unlikely to be chance, the other could be chance.",
        "Instagram: reels had the highest engagement rate (by reach) of the 2 formats with enough posts, 8.1 % "
        "(95 % CI 7.4-8.9 %; 126 posts), against 4.8 % for images: the intervals do not overlap, so the lead is "
        "unlikely to be chance.",
        "TikTok: carousels had the highest engagement rate (by reach) of the 2 formats with enough posts, 6.3 % "
        "(95 % CI 5.2-7.5 %; 40 posts), against 6.0 % for videos: the intervals overlap, so the order could be "
        "chance.",
        "YouTube (12 posts): too few posts to conclude, no format has 20 posts."]
    with pytest.raises(ParameterError, match="within_group_sentences needs segment_kpi over"):
        S.within_group_sentences(seg, within="topic")


def test_within_platform_sentences_on_simulated_posts(sim: pd.DataFrame) -> None:
    seg = S.segment_kpi(sim, by=["platform", "content_type"], tz="Europe/Helsinki")
    out = S.within_group_sentences(seg)
    assert out[0].startswith("Reels lead on all 2 platforms where two or more formats have enough posts;")
    assert all(re.match(r"(Facebook|Instagram): reels had the highest engagement rate", t) for t in out[1:])


def test_time_of_day_sentences_are_the_reports(sim: pd.DataFrame) -> None:
    ctx = _ctx(sim)
    view = S.posting_time_view(ctx)
    slots = view.extra["slots"]
    assert S.time_slot_sentences(slots) == view.sentences and len(view.sentences) == 2
    t = S.time_slot_table(slots)
    assert list(t.columns) == ["Platform", "Time slot", "Posts", "Engagement rate (by reach)", "95 % CI",
                               "Against the platform's usual", "Compared with usual"]
    assert set(t["Compared with usual"]) <= {"above, unlikely to be chance", "below, unlikely to be chance",
                                             "could be chance"}
    assert t["Engagement rate (by reach)"].str.endswith(" %").all() and "True" not in t.to_string()
    first = t[t["Platform"] == "Facebook"].iloc[0]      # planted: 18:00-20:59 local, 1.4×
    assert first["Time slot"] in ("18:00-19:59", "20:00-21:59") and first["Against the platform's usual"][0] == "+"


def test_drivers_model_text_in_words_by_hand() -> None:
    """The audit's line: a dict of pooled levels and "converged: True" become words."""
    drv = pd.DataFrame()
    drv.attrs.update(model="negative binomial (NB2) regression, log exposure offset", n_posts=810, alpha=0.1704,
                     aic=7681.2, converged=True, n_dropped=0, min_posts=20, denominator="reach",
                     pooled={"content_type": ["reel", "short", "live"], "platform": ["tiktok"],
                             "hour_block": ["20:00-21:59"]}, dropped_factors=[], aliased=[])
    assert S.drivers_model_text(drv) == (
        "Model: negative binomial (NB2) regression, log exposure offset, over 810 posts; dispersion alpha = "
        "0.170; AIC = 7,681; the fit converged; no post left out; grouped as 'other' with fewer than 20 posts "
        "each: reel, short and live (format); TikTok (platform); 20:00-21:59 (time slot); no factor left out; "
        "no level aliased.")
    drv.attrs.update(converged=False, alpha=float("nan"), n_dropped=3, pooled={},
                     dropped_factors=["topic (not in the data)", "paid_status (one level)"],
                     aliased=["topic[hiring]"])
    assert S.drivers_model_text(drv).endswith(
        "AIC = 7,681; the negative binomial fit did not converge, so a Poisson model with robust errors was used; "
        "3 posts left out (blank cells or zero reach); no level grouped as 'other'; factors left out: topic (not "
        "in the data) and paid / organic group (one level only); not estimated (the same posts as other levels): "
        "hiring (topic).")


def test_drivers_tables_in_words(sim: pd.DataFrame) -> None:
    drv = S.engagement_drivers(sim, tz="Europe/Helsinki", min_posts=30)
    t = S.drivers_table(drv, notes=True)
    assert list(t.columns) == ["What", "Level", "Compared with", "Posts", "Engagements per reach", "95 % CI",
                               "p (Holm)", "Note"]
    assert len(t) == int((~drv["is_reference"]).sum())
    row = t[(t["What"] == "format") & (t["Level"] == "reel")].iloc[0]
    assert row["Compared with"] == "image" and row["Engagements per reach"].endswith("×")
    assert row["p (Holm)"] == "< 0.001" and row["Note"] == ""
    text = t.to_string()
    assert "True" not in text and "nan" not in text and "(other)" not in text
    poisson = S.engagement_drivers(sim, tz="Europe/Helsinki", min_posts=30, model="poisson")
    both = S.drivers_comparison_table(drv, poisson)
    assert list(both.columns) == ["What", "Level", "Compared with", "Negative binomial", "Poisson (robust errors)"]
    assert both["Negative binomial"].str.endswith("×").all()


def test_intervals_by_method_say_n_a_not_nan() -> None:
    """The audit's "live | 1 | n/a | nan-nan | nan-nan": a single post has no between-post variation,
    so the adjusted and bootstrap intervals are "n/a"; the rest read in % ("2.7-3.4 %")."""
    methods = S.interval_methods(_three_formats(), by="content_type", min_posts=20, n_boot=200)
    t = S.interval_methods_table(methods).set_index("Format")
    assert list(t.columns) == ["Posts", "Engagement rate (by reach)", "Design effect", "Adjusted Wilson (default)",
                               "Post bootstrap", "Plain Wilson"]
    assert t.loc["live", ["Design effect", "Adjusted Wilson (default)", "Post bootstrap"]].tolist() == ["n/a"] * 3
    assert re.fullmatch(r"\d+\.\d+-\d+\.\d+ %", t.loc["live", "Plain Wilson"])
    assert t.loc["video", "Post bootstrap"].endswith(" %") and "nan" not in t.to_string()
    assert methods["adjusted_low"].iloc[0] < 1          # the raw numbers stay fractions


def test_month_posts_table_in_units() -> None:
    tiers = S.post_tiers(_tier_posts(), start="2026-10-01", end="2026-11-01", tz="Europe/Helsinki")
    t = S.tiers_table(tiers)
    assert list(t.columns) == ["Published", "Platform", "Format", "Text", "Engagement rate (by reach)",
                               "Percentile", "Tier"]
    assert t.iloc[0].to_dict() == {"Published": "2026-10-19 13:00", "Platform": "Facebook", "Format": "image",
                                   "Text": "facebook 22 likes", "Engagement rate (by reach)": "22.0 %",
                                   "Percentile": "98th", "Tier": "breakout"}


def test_a_quoted_post_ending_with_its_own_full_stop_gets_no_second_one() -> None:
    """The audit's "…Register via the link.”.": the quote ends the sentence when the post text does."""
    assert S._end_sentence("at 10 %, \u201cRegister via the link.\u201d") == "at 10 %, \u201cRegister via the link.\u201d"
    assert S._end_sentence("at 10 %, \u201cWhat would you add?\u201d") == "at 10 %, \u201cWhat would you add?\u201d"
    assert S._end_sentence("at 10 %, \u201cRead more on o\u2026\u201d") == "at 10 %, \u201cRead more on o\u2026\u201d"
    assert S._end_sentence("at 10 %, \u201cfacebook 22 likes\u201d") == "at 10 %, \u201cfacebook 22 likes\u201d."
    posts = _tier_posts()
    posts["text"] = posts["text"].astype("string") + ". Register via the link."
    view = S.top_posts_view(_ctx(posts, min_posts=20))
    assert view.sentences[2].endswith("percentile, \u201cfacebook 22 likes. Register via the link.\u201d")


def test_a_best_reference_against_one_other_level_names_it() -> None:
    """Reels best against images alone: the sentence had read "(x) posts get 0.59× ..."."""
    drivers = pd.DataFrame({
        "factor": ["content_type", "content_type"], "level": ["reel", "image"], "is_reference": [True, False],
        "enough_posts": [True, True], "irr": [1.0, 0.59], "ci_low": [np.nan, 0.5], "ci_high": [np.nan, 0.7],
        "significant": [False, True], "n_posts": [23, 42], "p_adjusted": [np.nan, 0.001]})
    found = S.factor_findings(drivers)
    assert found.iloc[0]["kind"] == "reference_best" and found.iloc[0]["other_level"] == "image"
    text = S._finding_text(found.iloc[0], num="engagements", den="reach", conf=0.95)
    assert "(x)" not in text and text.endswith("get 0.59× their engagements per reach, its 95 % CI below 1"), text
    assert S.level_phrase("content_type", "image") in text


def test_one_format_only_is_said_not_ranked(demo_root) -> None:
    """Every post an image: the view had ranked the one format first against itself, with a one-dot chart."""
    from kpi_toolkit.context import load_context

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    ctx.data.tables["posts"] = ctx.data.posts.assign(content_type="image")
    view = S.format_view(ctx)
    assert view.figure is None and view.table is None
    assert len(view.sentences) == 1 and "have the same format, image: there is no other format" in view.sentences[0]


def test_the_window_names_the_months_a_short_history_covers(demo_root) -> None:
    """A client with two months of posts: the views had said "over the last 12 months"."""
    from kpi_toolkit.context import load_context

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    assert S.lookback_posts(ctx)[2] == "the last 12 months"
    posts = ctx.data.posts
    when = S._post_time(posts).dt.tz_convert(ctx.tz).dt.strftime("%Y-%m")
    ctx.data.tables["posts"] = posts[when >= "2026-09"]
    assert S.lookback_posts(ctx)[2] == "September–October 2026"
    ctx.data.tables["posts"] = posts[when == "2026-10"]
    assert S.lookback_posts(ctx)[2] == "October 2026"


def test_the_window_dates_match_the_months_a_short_history_covers(demo_root) -> None:
    """demo-lumiere in its second month (2025-01 of `kpi demo` run in December 2026): the segmentation
    notebook said "192 posts published in December 2024–January 2025 (01 Feb 2024 to 31 Jan 2025)",
    the dates of the nominal 12-month window rather than of the months named. The demo here ends in
    2026-10, so its second month is 2024-12."""
    from kpi_toolkit.context import load_context

    ctx = load_context(client="demo-lumiere", month="2024-12", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    posts, start, window = S.lookback_posts(ctx)
    assert window == "November–December 2024"
    assert S.window_dates(ctx, posts, start) == "01 Nov 2024 to 31 Dec 2024"
    full = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                        parameters_dir=demo_root / "parameters")
    posts, start, window = S.lookback_posts(full)
    assert window == "the last 12 months"
    assert S.window_dates(full, posts, start) == "01 Nov 2025 to 31 Oct 2026"


def test_a_reference_ahead_of_some_levels_only_is_not_no_difference() -> None:
    """One platform, one format (a new client's LinkedIn page): 08:00-09:59, the most common slot, beat
    four slots for sure (intervals wholly below 1 on the chart) but not 06:00-07:59. The sentence had
    read "No factor made a difference ... unlikely to be chance" beside that chart."""
    drivers = pd.DataFrame({
        "factor": ["hour_block"] * 4, "level": ["08:00-09:59", "06:00-07:59", "10:00-11:59", "12:00-13:59"],
        "is_reference": [True, False, False, False], "enough_posts": [True, True, True, True],
        "irr": [1.0, 0.78, 0.64, 0.70], "ci_low": [np.nan, 0.64, 0.56, 0.60],
        "ci_high": [np.nan, 0.96, 0.74, 0.81], "significant": [False, False, True, True],
        "n_posts": [81, 30, 60, 70], "p_adjusted": [np.nan, 0.09, 0.001, 0.001]})
    drivers.attrs.update({"n_posts": 241, "numerator": "engagements", "denominator": "reach"})
    assert S.factor_findings(drivers).iloc[0]["kind"] == "none"  # no slot is surely best
    assert S.driver_sentences(drivers) == [
        "Posts published 08:00-09:59 get more engagements per reach than the time slots 12:00-13:59 and "
        "10:00-11:59 (0.64× to 0.70× as many, each 95 % CI below 1), but no time slot is clearly best: "
        "06:00-07:59 could do as well, other factors held fixed."]
    assert S.driver_recommendations(drivers) == []  # not sure enough to move the schedule


def test_a_level_above_the_reference_but_not_surely_best_is_said_so() -> None:
    drivers = pd.DataFrame({
        "factor": ["content_type"] * 3, "level": ["image", "video", "reel"], "is_reference": [True, False, False],
        "enough_posts": [True, True, True], "irr": [1.0, 1.5, 1.9], "ci_low": [np.nan, 1.2, 0.9],
        "ci_high": [np.nan, 1.9, 4.0], "significant": [False, True, False], "n_posts": [100, 60, 21],
        "p_adjusted": [np.nan, 0.002, 0.2]})
    drivers.attrs.update({"n_posts": 181})
    assert S.driver_sentences(drivers) == [
        "Videos get 1.5× the engagements per reach of images (95 % CI 1.2-1.9; 60 posts), but no format is "
        "clearly best: reel could do as well, other factors held fixed."]


def test_time_of_day_without_a_slot_of_enough_posts_has_no_chart() -> None:
    """A new client with about three posts a week (24 in two months, on two platforms): no time slot
    had 20 posts, and the chart was grey dashes with no platform named, the highest (one post at
    06:00) reading as the time to post. The sentences say too few per platform, a single post as one."""
    rows = [{"platform": "linkedin", "published_at": f"2026-{m}-{d:02d}T{6 + 2 * (d % 6):02d}:30:00Z",
             "likes": 3 + d % 5} for m in ("09", "10") for d in range(2, 24, 2)]
    rows += [{"platform": "x", "published_at": "2026-10-05T10:00:00Z", "likes": 2},
             {"platform": "x", "published_at": "2026-10-12T10:00:00Z", "likes": 4}]
    rows += [{"platform": "facebook", "published_at": "2026-10-07T09:00:00Z", "likes": 9}]
    view = S.posting_time_view(_ctx(posts_frame(rows), min_posts=20, tz="UTC"))
    assert view.figure is None and not view.alt_text
    assert view.sentences == [
        "LinkedIn (22 posts): too few posts to conclude about the best time to post (no time slot has 20 posts).",
        "X (2 posts): too few posts to conclude about the best time to post (no time slot has 20 posts).",
        "Facebook (1 post): too few posts to conclude about the best time to post (no time slot has 20 posts)."]
    assert any("No chart" in c for c in view.caveats)


def _one_platform_one_format(n: int = 400, *, seed: int = 11) -> pd.DataFrame:
    """A LinkedIn page with text posts only: mornings (06:00-09:59 UTC) 1.35× the rest of the day; most
    posts at 08:00-09:59, few at 06:00-07:59 (so the model cannot tell the two morning slots apart)."""
    rng = np.random.default_rng(seed)
    hour = rng.choice([7, 9, 11, 13, 15, 17], n, p=[0.06, 0.3, 0.16, 0.16, 0.16, 0.16])
    day = pd.Timestamp("2025-11-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 364, n), unit="D")
    t = day + pd.to_timedelta(hour, unit="h") + pd.to_timedelta(rng.integers(0, 60, n), unit="min")
    reach = rng.integers(500, 5000, n)
    eng = rng.poisson(rng.gamma(shape=4.0, scale=0.04 * reach * np.where(hour < 10, 1.35, 1.0) / 4.0))
    df = pd.DataFrame({"post_id": [f"l{i}" for i in range(n)], "platform": "linkedin", "published_at": t,
                       "content_type": "text", "impressions": reach * 2, "reach": reach, "likes": eng,
                       "comments": 0, "shares": 0, "paid": False, "topic": rng.choice(["tips", "news"], n)})
    for c in ("post_id", "platform", "content_type", "topic"):
        df[c] = df[c].astype("string")
    return df


def test_a_clear_time_slot_without_a_step_says_why() -> None:
    """One platform, one format: the time-of-day section called 08:00-09:59 "above the usual rate,
    unlikely to be chance", the drivers model found no slot surely best (06:00-07:59 could do as well)
    and so no step, and the report's Part 3 read "no analysis found a difference large and certain
    enough to act on". The time-of-day view now says which finding it holds back, and why."""
    views = {v.key: v for v in S.segments_view(_ctx(_one_platform_one_format(), tz="UTC"))}
    timing, drivers = views["segments-timing"], views["segments-drivers"]
    assert "08:00-09:59" in timing.sentences[0] and "unlikely to be chance" in timing.sentences[0]
    assert drivers.recommendations == []
    assert len(timing.held_back) == 1
    held = timing.held_back[0]
    assert held.startswith("Posting time: LinkedIn posts published 08:00-09:59 did better than LinkedIn's usual rate")
    assert "no time slot is clearly best: 06:00-07:59 could do as well" in held
    assert held.endswith("No change to the posting schedule is recommended yet.")


def test_a_time_slot_the_drivers_recommend_is_not_held_back(sim: pd.DataFrame) -> None:
    views = {v.key: v for v in S.segments_view(_ctx(sim))}
    assert any(r.action.startswith("Schedule more posts for") for r in views["segments-drivers"].recommendations)
    assert views["segments-timing"].held_back == []


def test_the_biggest_breakout_sentence_names_its_percentile_as_the_table_does() -> None:
    """120 Facebook posts with 0 … 119 likes (reach 100); the best one, in October, has the mid-rank
    percentile (2 × 119 + 1) / 240 = 99.6 %, shown 100: the table says "highest", and the sentence
    said "the 100th percentile" beside it (demo-ledgerly 2026-10, demo-lumiere 2026-09)."""
    rows = [{"platform": "facebook", "likes": k, "reach": 100, "text": f"facebook {k} likes",
             "published_at": f"2026-{'10' if k in (119, 60) else '09'}-{10 + k % 15:02d}T10:00:00Z"}
            for k in range(120)]
    view = S.top_posts_view(_ctx(posts_frame(rows), min_posts=20))
    assert view.table["Percentile"].iloc[0] == "highest"
    assert view.sentences[2].startswith("The biggest breakout: an image on Facebook (") and (
        "at 119.0 %, the highest percentile" in view.sentences[2]), view.sentences[2]
    assert "100th" not in " ".join(view.sentences)


def test_formats_that_differ_get_a_step_or_a_reason_in_part_3() -> None:
    """"Which formats work best" reads "The differences in engagement rate (by reach) between 5 formats are
    unlikely to be chance"; the format steps come from the drivers model, which holds platform, time and
    topic fixed. When the model finds no format ahead (or fails), Part 3 had nothing about the finding; it
    now says why no change of format mix is recommended. With a drivers step about a format, nothing is
    added."""
    from types import SimpleNamespace

    import pandas as pd

    from kpi_toolkit.segments import format_held_back
    from kpi_toolkit.views import Recommendation, ReportView

    seg = pd.DataFrame({"content_type": ["video", "image", "text"], "rank": [1, 2, 3],
                        "value": [0.055, 0.036, 0.031]})
    seg.attrs["overall"] = 0.037
    formats = ReportView(key="segments-content_type", title="Which formats work best",
                         extra={"segments": seg, "comparison": SimpleNamespace(significant=True)})

    def drivers_frame(sure: bool) -> pd.DataFrame:
        return pd.DataFrame({
            "factor": ["content_type"] * 3, "level": ["image", "video", "text"], "reference": ["image"] * 3,
            "is_reference": [True, False, False], "enough_posts": [True] * 3, "irr": [1.0, 1.3, 0.9],
            "ci_low": [np.nan, 1.1 if sure else 0.9, 0.7], "ci_high": [np.nan, 1.5, 1.1],
            "significant": [False, sure, False], "p_adjusted": [np.nan, 0.01 if sure else 0.4, 0.5],
            "n_posts": [300, 150, 80]})

    unsure = ReportView(key="segments-drivers", title="What drives engagement", extra={"drivers": drivers_frame(False)})
    held = format_held_back(formats, unsure)
    assert held == ["Formats: videos had the highest rate of all formats (Which formats work best), and the formats "
                    "differ by more than chance. With the other factors held fixed (What drives engagement), no "
                    "format stands out by more than chance: the lead may come from where or when those posts went "
                    "out. No change to the mix of formats is recommended yet."]
    failed = ReportView.skipped("segments-drivers", "What drives engagement", "too few posts")
    assert "could not be fitted (too few posts)" in format_held_back(formats, failed)[0]
    sure = ReportView(key="segments-drivers", title="t", extra={"drivers": drivers_frame(True)},
                      recommendations=[Recommendation("Post more videos", "e", priority=1)])
    assert format_held_back(formats, sure) == []
    formats.extra["comparison"] = SimpleNamespace(significant=False)
    assert format_held_back(formats, unsure) == []
