"""Multi-touch attribution (issue 7): closed-form checks, published reference numbers, bad input, CLI.

References used below
---------------------
* ChannelAttribution 2.2.5 (Altomare & Loris), heuristic_models() on its shipped Data.csv: alpha gets
  first touch 6308, last touch 8447, linear 7574.719 conversions (issue 7; the heuristics are exact, so
  they are recomputed here with plain pandas as well).
* Google Analytics' position-based model: 40 % first, 40 % last, 20 % shared by the middle touches.
* Kemeny & Snell (1960), absorbing chains: the two-channel chain is solved by hand in the test.
* Shapley (1953): the three-channel games are solved by hand (every coalition written out).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.attribution import (
    CAVEAT,
    MODELS,
    MarkovChain,
    attribute,
    attribution_view,
    channel_spend,
    compare_models,
    exact_shapley,
    heuristic,
    journeys_from_events,
    markov,
    paths_from_frame,
    paths_from_sequences,
    run_attribution,
    shapley,
    touch_fractions,
    transition_table,
    with_spend,
    zeta_transform,
)
from kpi_toolkit.exceptions import DataValidationError, KpiToolkitError, NoDataError, ParameterError
from kpi_toolkit.params import AttributionOptions

DATA_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "channelattribution" / "Data.csv"


@pytest.fixture(scope="module")
def data_csv() -> pd.DataFrame:
    if not DATA_CSV.is_file():
        pytest.skip(f"ChannelAttribution's Data.csv not found at {DATA_CSV} (the repo's sibling shared/)")
    return pd.read_csv(DATA_CSV, sep=";")


@pytest.fixture()
def small() -> object:
    return paths_from_sequences(
        ["a > b > c", "b > a", "c", "a > a > d > b", "d > c", "b"],
        conversions=[3, 2, 1, 4, 0, 2], value=[30.0, 12.0, 5.0, 60.0, 0.0, 9.0], nulls=[5, 3, 8, 2, 6, 10])


# ------------------------------------------------------------------------------------------------
# rule-based models


def test_position_based_over_three_touches_is_40_20_40() -> None:
    p = paths_from_sequences(["a > b > c"], conversions=[1])
    assert touch_fractions(p, "position") == pytest.approx([0.4, 0.2, 0.4])
    p5 = paths_from_sequences(["a > b > c > d > e"], conversions=[1])
    assert touch_fractions(p5, "position") == pytest.approx([0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4])
    p2 = paths_from_sequences(["a > b", "c"], conversions=[1, 1])
    assert touch_fractions(p2, "position") == pytest.approx([0.5, 0.5, 1.0])
    w = touch_fractions(p, "position", position_weights=(0.3, 0.3, 0.4))
    assert w == pytest.approx([0.3, 0.3, 0.4])


def test_rule_fractions_by_hand() -> None:
    p = paths_from_sequences(["direct > a > direct", "direct"], conversions=[1, 1])
    assert touch_fractions(p, "first").tolist() == [1, 0, 0, 1]
    assert touch_fractions(p, "last").tolist() == [0, 0, 1, 1]
    # last non-direct skips trailing direct; an all-direct path keeps its last touch
    assert touch_fractions(p, "last_non_direct").tolist() == [0, 1, 0, 1]
    assert touch_fractions(p, "linear") == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1])
    # time decay with position as age: ages 2, 1, 0 days, half-life 1 day -> weights 1/4, 1/2, 1
    assert touch_fractions(p, "time_decay", half_life_days=1.0) == pytest.approx(
        [0.25 / 1.75, 0.5 / 1.75, 1 / 1.75, 1.0])


@pytest.mark.parametrize("model", MODELS)
def test_credits_sum_to_conversions_and_value(model: str, small: object) -> None:
    t = attribute(small, models=model, options=AttributionOptions(markov_order=2, shapley_value="conversion_rate"))
    assert t["conversions"].sum() == pytest.approx(small.total_conversions, rel=1e-12)
    assert t["value"].sum() == pytest.approx(small.total_value, rel=1e-12)
    assert list(t.columns) == ["channel", "model", "conversions", "value"]


def test_heuristics_match_channelattribution_on_data_csv(data_csv: pd.DataFrame) -> None:
    paths = paths_from_frame(data_csv, source="Data.csv")
    ours = attribute(paths, models=["first", "last", "linear"]).set_index(["model", "channel"])
    # by hand with pandas: the rules are exact, so ChannelAttribution's numbers must match to the digit
    touches = data_csv.assign(ch=data_csv["path"].str.split(" > ")).reset_index(names="row")
    touches["n"] = touches["ch"].str.len()
    first = data_csv.groupby(touches["ch"].str[0])["total_conversions"].sum()
    last = data_csv.groupby(touches["ch"].str[-1])["total_conversions"].sum()
    ex = touches.explode("ch")
    lin = (ex["total_conversions"] / ex["n"]).groupby(ex["ch"]).sum()
    lin_value = (ex["total_conversion_value"] / ex["n"]).groupby(ex["ch"]).sum()
    # the published alpha numbers (ChannelAttribution 2.2.5)
    assert first["alpha"] == 6308
    assert last["alpha"] == 8447
    assert lin["alpha"] == pytest.approx(7574.719, abs=5e-4)
    assert ours.loc[("first", "alpha"), "conversions"] == 6308
    assert ours.loc[("last", "alpha"), "conversions"] == 8447
    assert ours.loc[("linear", "alpha"), "conversions"] == pytest.approx(7574.719, abs=5e-4)
    for model, ref in (("first", first), ("last", last), ("linear", lin)):
        got = ours.loc[model, "conversions"]
        pd.testing.assert_series_equal(got.sort_index(), ref.reindex(got.index).astype(float).sort_index(),
                                       check_names=False, check_index_type=False, rtol=1e-12)
    got_v = ours.loc["linear", "value"]
    np.testing.assert_allclose(got_v.sort_index().to_numpy(), lin_value.reindex(got_v.index).sort_index().to_numpy(),
                               rtol=1e-12)
    assert paths.n_channels == 12 and paths.total_conversions == 19785


def test_every_model_sums_on_data_csv(data_csv: pd.DataFrame) -> None:
    paths = paths_from_frame(data_csv, source="Data.csv")
    t = attribute(paths, models="all")
    sums = t.groupby("model")[["conversions", "value"]].sum()
    np.testing.assert_allclose(sums["conversions"], 19785, rtol=1e-12)
    np.testing.assert_allclose(sums["value"], data_csv["total_conversion_value"].sum(), rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# Markov


def test_two_channel_markov_chain_by_hand() -> None:
    # journeys: A > B (1 converts, value 10), A (1 does not), B (1 converts value 30, 1 does not)
    # start->A 2/4, start->B 2/4; A->B 1/2, A->null 1/2; B->conv 2/3, B->null 1/3
    # P(conv) = 1/2 * 1/2 * 2/3 + 1/2 * 2/3 = 1/2
    # without A: 1/2 * 2/3 = 1/3 -> RE_A = 1/3; without B: 0 -> RE_B = 1
    # conversions: A = 2 * (1/3) / (4/3) = 0.5, B = 1.5; value: A = 40 / 4 = 10, B = 30
    p = paths_from_sequences(["A > B", "A", "B"], conversions=[1, 0, 1], value=[10.0, 0.0, 30.0], nulls=[0, 1, 1])
    chain = MarkovChain(p, order=1)
    prob, ev, re_c, re_v = chain.removal_effects()
    assert prob == pytest.approx(0.5)
    assert ev == pytest.approx(10.0)
    assert re_c == pytest.approx([1 / 3, 1.0])
    assert re_v == pytest.approx([1 / 3, 1.0])
    m = markov(p).set_index("channel")
    assert m.loc["A", "conversions"] == pytest.approx(0.5)
    assert m.loc["B", "conversions"] == pytest.approx(1.5)
    assert m.loc["A", "value"] == pytest.approx(10.0)
    assert m.loc["B", "value"] == pytest.approx(30.0)
    tt = transition_table(p)
    assert tt.loc[(tt["from"] == "B") & (tt["to"] == "(conversion)"), "probability"].item() == pytest.approx(2 / 3)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_markov_conversion_probability_is_the_observed_rate(order: int, small: object) -> None:
    # the maximum-likelihood chain reproduces the empirical conversion rate exactly (any order)
    prob, ev, _, _ = MarkovChain(small, order=order).removal_effects()
    assert prob == pytest.approx(small.total_conversions / small.total_journeys, rel=1e-12)
    assert ev == pytest.approx(small.total_value / small.total_journeys, rel=1e-12)


def test_markov_dense_and_sparse_solvers_agree(small: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    mk = importlib.import_module("kpi_toolkit.attribution.markov")  # the package's `markov` is the function
    dense = markov(small, order=2)
    monkeypatch.setattr(mk, "DENSE_MAX_STATES", 0)
    sparse_ = markov(small, order=2)
    np.testing.assert_allclose(dense["conversions"], sparse_["conversions"], rtol=1e-10)


def test_markov_removal_effect_matches_simulation() -> None:
    # Monte Carlo walks of the fitted chain with channel 'b' removed land on the exact answer
    p = paths_from_sequences(["a > b", "a > c > b", "c", "b > a"], conversions=[3, 2, 1, 1], nulls=[2, 4, 6, 3])
    chain = MarkovChain(p, order=1)
    prob, _, re_c, _ = chain.removal_effects()
    Q, a_conv, _ = chain.transition_probabilities()
    Q = Q.toarray()
    rng = np.random.default_rng(42)
    b_state = 1 + p.channels.index("b")
    S = Q.shape[0]
    # columns: transient states, conversion, null (the rest of each row); 'b' removed -> null
    step = np.c_[Q, a_conv, np.clip(1 - Q.sum(axis=1) - a_conv, 0, None)]
    step[:, S + 1] += step[:, b_state]
    step[:, b_state] = 0.0
    cum = np.cumsum(step, axis=1)
    n_walks = 200_000
    state = np.zeros(n_walks, dtype=int)
    alive = np.ones(n_walks, dtype=bool)
    converted = 0
    while alive.any():
        u = rng.random(alive.sum())
        nxt = (u[:, None] > cum[state[alive]]).sum(axis=1)
        converted += int((nxt == S).sum())
        idx = np.flatnonzero(alive)
        alive[idx[nxt >= S]] = False
        state[idx] = np.minimum(nxt, S - 1)
    sim = converted / n_walks
    exact = prob * (1 - re_c[p.channels.index("b")])
    assert sim == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / n_walks))


# ------------------------------------------------------------------------------------------------
# Shapley


def _three_channel_game() -> object:
    # channel sets {A}, {B}, {A,B}, {A,B,C}, {C}
    return paths_from_sequences(["A", "B", "A > B", "B > C > A", "C"],
                                conversions=[10, 5, 6, 3, 0], value=[100.0, 50.0, 60.0, 30.0, 0.0],
                                nulls=[40, 45, 14, 7, 20])


def test_shapley_three_channels_by_hand_conversions_game() -> None:
    # v(S) = conversions of journeys whose channel set is within S (Zhao et al. 2018)
    # v(A)=10 v(B)=5 v(C)=0 v(AB)=21 v(AC)=10 v(BC)=5 v(ABC)=24
    # φ_A = 1/3*10 + 1/6*(21-5) + 1/6*(10-0) + 1/3*(24-5) = 14; φ_B = 9; φ_C = 1
    v = np.array([0, 10, 5, 21, 0, 10, 5, 24], dtype=float)  # bit 0 = A, bit 1 = B, bit 2 = C
    assert exact_shapley(v) == pytest.approx([14, 9, 1])
    got = shapley(_three_channel_game(), value_function="conversions").set_index("channel")
    assert got["conversions"].tolist() == pytest.approx([14, 9, 1])
    assert got["value"].tolist() == pytest.approx([140, 90, 10])
    # the subset-sum transform gives the same coalition values
    r = np.zeros(8)
    r[[0b001, 0b010, 0b011, 0b111]] = [10, 5, 6, 3]
    assert zeta_transform(r) == pytest.approx(v)


def _rate_game_by_hand() -> list[Fraction]:
    F = Fraction
    # journeys (conversions / all): {A} 10/50, {B} 5/50, {A,B} 6/20, {A,B,C} 3/10, {C} 0/20
    v = {"": F(0), "A": F(10, 50), "B": F(5, 50), "C": F(0, 20), "AB": F(21, 120), "AC": F(10, 70),
         "BC": F(5, 70), "ABC": F(24, 150)}
    third, sixth = F(1, 3), F(1, 6)
    phi_a = third * (v["A"] - v[""]) + sixth * (v["AB"] - v["B"]) + sixth * (v["AC"] - v["C"]) + third * (v["ABC"] - v["BC"])
    phi_b = third * (v["B"] - v[""]) + sixth * (v["AB"] - v["A"]) + sixth * (v["BC"] - v["C"]) + third * (v["ABC"] - v["AC"])
    phi_c = third * (v["C"] - v[""]) + sixth * (v["AC"] - v["A"]) + sixth * (v["BC"] - v["B"]) + third * (v["ABC"] - v["AB"])
    return [phi_a, phi_b, phi_c]


def test_shapley_three_channels_by_hand_conversion_rate_game() -> None:
    phi = _rate_game_by_hand()
    assert sum(phi) == Fraction(24, 150)  # efficiency: the overall conversion rate
    got = shapley(_three_channel_game(), value_function="conversion_rate").set_index("channel")
    assert got["conversions"].tolist() == pytest.approx([float(x) * 150 for x in phi], rel=1e-12)
    assert got["conversions"].sum() == pytest.approx(24)
    assert (got["standard_error"] == 0).all()


def test_sampled_shapley_is_within_its_stated_error() -> None:
    exact = [float(x) * 150 for x in _rate_game_by_hand()]
    got = shapley(_three_channel_game(), value_function="conversion_rate", max_exact_channels=2,
                  n_permutations=3000, seed=42)
    se = got["standard_error"].to_numpy()
    assert (se > 0).all()
    assert np.all(np.abs(got["conversions"].to_numpy() - exact) <= 4 * se)
    # every channel order hands out v(N) in full, so the estimate is efficient too
    assert got["conversions"].sum() == pytest.approx(24, rel=1e-12)


def test_many_channels_sampled_and_closed_form() -> None:
    rng = np.random.default_rng(42)
    chans = [f"c{i:02d}" for i in range(18)]
    paths = [" > ".join(rng.choice(chans, size=rng.integers(1, 5))) for _ in range(300)]
    conv = rng.integers(0, 4, size=300)
    p = paths_from_sequences(paths, conversions=conv, nulls=rng.integers(1, 6, size=300))
    res = run_attribution(p, models=["shapley"], options=AttributionOptions(shapley_value="conversion_rate"),
                          bootstrap_samples=0, n_permutations=200)
    assert res.table["conversions"].sum() == pytest.approx(conv.sum(), rel=1e-9)
    assert any("random channel orders" in n for n in res.notes)
    closed = shapley(p, value_function="conversions")  # exact in closed form at any size
    assert closed["conversions"].sum() == pytest.approx(conv.sum())
    assert (closed["standard_error"] == 0).all()


# ------------------------------------------------------------------------------------------------
# bootstrap, spend, comparison


def test_bootstrap_intervals_are_deterministic_and_bracket(small: object) -> None:
    r1 = run_attribution(small, models="all", bootstrap_samples=60, seed=7)
    r2 = run_attribution(small, models="all", bootstrap_samples=60, seed=7)
    pd.testing.assert_frame_equal(r1.table, r2.table)
    t = r1.table
    assert {"lower", "upper", "value_lower", "value_upper"} <= set(t.columns)
    assert (t["lower"] <= t["upper"]).all()
    assert (t["lower"] <= t["conversions"] + 1e-9).mean() > 0.9
    assert r1.replicates["markov"].shape == (60, small.n_channels)
    # each replicate redistributes the resampled conversions in full
    np.testing.assert_allclose(r1.replicates["linear"].sum(axis=1), r1.replicates["markov"].sum(axis=1))
    lead = r1.lead("markov")
    assert lead["clear"] in (True, False) and lead["difference_lower"] <= lead["difference_upper"]


def test_spend_gives_cpa_and_roas() -> None:
    table = pd.DataFrame({"channel": ["a", "b", "c"], "model": "markov", "conversions": [10.0, 0.0, 5.0],
                          "value": [500.0, 0.0, 100.0]})
    ads = pd.DataFrame({"date": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-11-01", "2026-10-03"]),
                        "platform": ["fb", "b", "fb", "zz"], "spend": [100.0, 40.0, 999.0, 0.0]})
    spend = channel_spend(ads, first_day="2026-10-01", end_day="2026-11-01", channel_map={"fb": "a"})
    assert dict(zip(spend["channel"], spend["spend"], strict=True)) == {"a": 100.0, "b": 40.0, "zz": 0.0}
    out = with_spend(table, spend).set_index("channel")
    assert out.loc["a", "cpa"] == pytest.approx(10.0)   # 100 / 10
    assert out.loc["a", "roas"] == pytest.approx(5.0)   # 500 / 100
    assert np.isnan(out.loc["b", "cpa"])                 # no conversions: NaN, not inf
    assert out.loc["b", "roas"] == 0.0
    assert np.isnan(out.loc["c", "roas"])                # no spend
    assert len(table) == 3 and "cpa" not in table.columns  # input untouched


def test_compare_models_is_side_by_side(small: object) -> None:
    wide = compare_models(attribute(small, models="all"))
    assert list(wide.columns) == ["channel", *MODELS]
    np.testing.assert_allclose(wide[list(MODELS)].sum(), 1.0)


def test_collapse_repeats() -> None:
    df = pd.DataFrame({"path": ["a > a > b > b > a", "a > b > a"], "total_conversions": [1, 2],
                       "total_conversion_value": [1.0, 2.0], "total_null": [0, 1]})
    p = paths_from_frame(df, collapse_repeats=True)
    assert p.path_strings() == ["a > b > a"]
    assert p.conversions.tolist() == [3.0] and p.nulls.tolist() == [1.0]


# ------------------------------------------------------------------------------------------------
# event-level journeys


def _ts(day: float) -> pd.Timestamp:
    return pd.Timestamp("2026-10-01", tz="UTC") + pd.Timedelta(days=day)


def test_journeys_from_events_by_hand() -> None:
    tp = pd.DataFrame({
        "user_id": ["u1", "u1", "u2", "u3", "u3", "u3", "u4", "u5"],
        "timestamp": [_ts(0), _ts(5), _ts(0), _ts(1), _ts(2), _ts(3), _ts(4), _ts(-40)],
        "channel": ["a", "b", "a", "c", "c", "d", "e", "a"],
    })
    cv = pd.DataFrame({
        "user_id": ["u1", "u2", "u4", "u4"],
        "timestamp": [_ts(6), _ts(40), _ts(3), _ts(5)],
        "value": [10.0, 20.0, 30.0, 40.0],
    })
    p = journeys_from_events(tp, cv, lookback_days=30, collapse_repeats=False, start=_ts(0), end=_ts(50))
    got = sorted(zip(p.path_strings(), p.conversions, p.value, strict=True))
    # u1: a > b converts (10); u2: 'a' is 40 days before the conversion -> not converted, and the
    # conversion has no touch in its window; u3 never converts; u4: the day-3 conversion has no touch,
    # 'e' leads to the day-5 one; u5's touch is older than the window before the period
    assert got == [("a", 0.0, 0.0), ("a > b", 1.0, 10.0), ("c > c > d", 0.0, 0.0), ("e", 1.0, 40.0)]
    assert p.unattributed_conversions == 2 and p.unattributed_value == 50.0
    i = p.path_strings().index("a > b")
    assert p.ages_days[p.offsets[i]:p.offsets[i + 1]].tolist() == pytest.approx([6.0, 1.0])
    collapsed = journeys_from_events(tp, cv, lookback_days=30, start=_ts(0), end=_ts(50))
    assert "c > d" in collapsed.path_strings()
    short = journeys_from_events(tp, cv, lookback_days=3, start=_ts(0), end=_ts(50))
    # with a 3-day window only b (1 day before) counts for u1; a becomes a non-converted journey
    assert ("b", 1.0) in list(zip(short.path_strings(), short.conversions, strict=True))


def _synthetic_events(seed: int = 42, users: int = 3000) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Journeys where 'video' truly lifts conversion (x3) while 'search' is the usual last touch."""
    rng = np.random.default_rng(seed)
    chans = np.array(["social", "video", "email", "search", "direct"])
    rows, convs = [], []
    t0 = pd.Timestamp("2026-10-01", tz="UTC")
    for u in range(users):
        k = 1 + rng.poisson(1.5)
        seq = list(rng.choice(chans[:3], size=k, p=[0.4, 0.3, 0.3]))
        if rng.random() < 0.6:
            seq.append("search" if rng.random() < 0.6 else "direct")
        days = np.sort(rng.uniform(0, 25, size=len(seq)))
        for ch, d in zip(seq, days, strict=True):
            rows.append((f"u{u}", t0 + pd.Timedelta(days=float(d)), ch))
        p = 0.04 * (3.0 if "video" in seq else 1.0)
        if rng.random() < p:
            convs.append((f"u{u}", t0 + pd.Timedelta(days=float(days[-1]) + 0.5), float(rng.lognormal(4, 0.4))))
    tp = pd.DataFrame(rows, columns=["user_id", "timestamp", "channel"])
    cv = pd.DataFrame(convs, columns=["user_id", "timestamp", "value"])
    ads = pd.DataFrame({"date": pd.date_range("2026-10-01", periods=31).repeat(2),
                        "platform": ["social", "video"] * 31, "campaign": "c",
                        "spend": [40.0, 20.0] * 31})
    return tp, cv, ads


def test_attribution_view_on_synthetic_events() -> None:
    from kpi_toolkit.periods import month_period

    tp, cv, ads = _synthetic_events()
    period = month_period("2026-10", "UTC")
    opts = AttributionOptions(bootstrap_samples=40)
    view = attribution_view(tp, cv, ads, options=opts, period=period, currency="EUR")
    assert view.skipped_reason is None
    res = view.extra["result"]
    assert res.lead("markov")["leader"] == "video"
    # the ads table has spend only (no platform conversions or revenue): no "why the numbers differ" sentence
    assert len(view.sentences) == 2 and CAVEAT in view.sentences[-1]
    assert view.sentences[0].startswith("In October 2026, Video earned the largest share of the ")
    assert view.figure is not None and view.alt_text
    assert {"Channel", "ROAS (Markov)"} <= set(view.table.columns)
    assert view.recommendations and view.recommendations[0].source == "attribution"
    eff = view.extra["efficiency"]
    vid = eff[(eff["model"] == "markov") & (eff["channel"] == "video")].iloc[0]
    assert vid["roas"] == pytest.approx(vid["value"] / (20.0 * 31))


def test_attribution_view_skips_without_data() -> None:
    from kpi_toolkit.periods import month_period

    period = month_period("2026-10", "UTC")
    v = attribution_view(None, None, None, options=AttributionOptions(), period=period)
    assert v.skipped_reason.startswith("no touchpoints data")
    tp, cv, _ = _synthetic_events(users=50)
    # no conversion at all in the month: it had said "no conversion in January 2025 followed a tracked
    # touch", as if there had been conversions without touches
    v = attribution_view(tp, cv, None, options=AttributionOptions(), period=month_period("2025-01", "UTC"))
    assert v.skipped_reason == ("the conversions table has no conversion in January 2025, so there is nothing to "
                                "attribute (if there were sales, check the website's conversion tracking)")
    # conversions, but none with a touch in its window
    strangers = cv.assign(user_id="nobody-" + cv["user_id"])
    v = attribution_view(tp, strangers, None, options=AttributionOptions(), period=period)
    assert v.skipped_reason == (f"none of the {len(cv)} conversions tracked in October 2026 followed a tracked "
                                "touch within 30 days")


# ------------------------------------------------------------------------------------------------
# bad input: one failure mode per test, each asserting the one-line message


def _frame(**cols: object) -> pd.DataFrame:
    base = {"path": ["a > b", "b"], "total_conversions": [1, 2], "total_conversion_value": [1.0, 2.0],
            "total_null": [3, 4]}
    base.update(cols)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None})


def test_missing_column_is_named() -> None:
    with pytest.raises(DataValidationError, match=r"^p\.csv: column 'total_conversions': missing required column"):
        paths_from_frame(_frame(total_conversions=None), source="p.csv")


def test_negative_count_names_column_and_row() -> None:
    with pytest.raises(DataValidationError, match=r"^p\.csv: column 'total_null' row 3: must be >= 0 \(got -4\.0\)"):
        paths_from_frame(_frame(total_null=[3, -4]), source="p.csv")


def test_empty_path_names_row() -> None:
    with pytest.raises(DataValidationError, match=r"^p\.csv: column 'path' row 2: empty path"):
        paths_from_frame(_frame(path=["  ", "b"]), source="p.csv")


def test_empty_channel_inside_path_names_row() -> None:
    with pytest.raises(DataValidationError, match=r"^p\.csv: column 'path' row 3: empty channel name inside a path"):
        paths_from_frame(_frame(path=["a > b", "a >  > b"]), source="p.csv")


def test_non_numeric_count_names_row() -> None:
    with pytest.raises(DataValidationError, match=r"column 'total_conversions' row 2: must be a number \(got 'x'\)"):
        paths_from_frame(_frame(total_conversions=["x", 2]), source="p.csv")


def test_value_without_conversions_is_refused() -> None:
    with pytest.raises(DataValidationError, match=r"row 2: conversion value without conversions"):
        paths_from_frame(_frame(total_conversions=[0, 2]), source="p.csv")


def test_unknown_model_and_bad_order() -> None:
    p = paths_from_frame(_frame())
    with pytest.raises(ParameterError, match=r"unknown attribution model 'markv'"):
        attribute(p, models="markv")
    with pytest.raises(ParameterError, match=r"markov_order must be 1, 2, 3 or 4 \(got 5\)"):
        MarkovChain(p, order=5)
    with pytest.raises(ParameterError, match=r"position_weights must be three shares"):
        heuristic(p, "position", position_weights=(1, 2))


def test_no_conversions_is_no_data() -> None:
    p = paths_from_frame(_frame(total_conversions=[0, 0], total_conversion_value=[0.0, 0.0]), source="p.csv")
    with pytest.raises(NoDataError, match=r"p\.csv: no converting journeys"):
        attribute(p)


# ------------------------------------------------------------------------------------------------
# CLI


def test_cli_writes_one_row_per_channel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpi_toolkit.cli import main

    src = tmp_path / "paths.csv"
    _frame().to_csv(src, index=False)  # comma-separated: detected
    out = tmp_path / "out.csv"
    assert main(["attribute", str(src), "--model", "markov", "--bootstrap", "20", "-o", str(out)]) == 0
    t = pd.read_csv(out)
    assert list(t.columns) == ["channel", "model", "conversions", "value", "lower", "upper", "value_lower",
                               "value_upper"]
    assert t["conversions"].sum() == pytest.approx(3) and set(t["model"]) == {"markov"}
    assert "wrote 2 rows" in capsys.readouterr().out
    assert main(["attribute", str(src), "--model", "all", "--sep", ","]) == 0
    printed = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert len(printed) == 2 * len(MODELS)


def test_cli_bad_file_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpi_toolkit.cli import main

    bad = tmp_path / "bad.csv"
    bad.write_text("path;total_conversions;total_conversion_value;total_null\na > b;1;1.0;-2\n")
    assert main(["attribute", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {bad}: column 'total_null' row 2: must be >= 0 (got -2.0)"
    assert main(["attribute", str(tmp_path / "nope.csv")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["attribute", str(bad), "--order", "7"]) == 2
    assert "--order must be 1, 2, 3 or 4" in capsys.readouterr().err


def test_cli_reads_data_csv(data_csv: pd.DataFrame, tmp_path: Path) -> None:
    from kpi_toolkit.cli import main

    out = tmp_path / "o.csv"
    assert main(["attribute", str(DATA_CSV), "--model", "first", "-o", str(out)]) == 0
    t = pd.read_csv(out).set_index("channel")
    assert t.loc["alpha", "conversions"] == 6308


# ------------------------------------------------------------------------------------------------
# demo data and the optional reference package


def test_demo_planted_channel_comes_out_on_top(request: pytest.FixtureRequest) -> None:
    """TRUTH.json plants a channel whose presence multiplies a journey's conversion probability.

    Over the last 12 demo months (~1,500 conversions per client) the conversion-rate Shapley value
    must rank it first for every client, and so must the Markov chain (order 3 by default), which
    shares conversions by removal effect: the demo makes the planted channel the one in the most
    converting journeys (TRUTH's presence table) for every client.
    """
    pytest.importorskip("kpi_toolkit.demo", reason="demo data generator not in the package yet")
    from kpi_toolkit.data import load_client
    from kpi_toolkit.params import load_params
    from kpi_toolkit.periods import month_period

    root = request.getfixturevalue("demo_root")
    truth = request.getfixturevalue("demo_truth")
    checked = 0
    for client, facts in truth["clients"].items():
        driver = facts["conversion_driver"]
        planted = driver["channel"]
        presence = driver["presence"]
        most_present = max(presence, key=lambda c: presence[c]["journeys_with"] * presence[c]["conversion_rate_with"])
        params = load_params(client, parameters_dir=root / "parameters")
        data = load_client(client, data_dir=root / "data", tables=["touchpoints", "conversions"])
        paths = journeys_from_events(data.touchpoints, data.conversions,
                                     lookback_days=params.attribution.lookback_days,
                                     collapse_repeats=params.attribution.collapse_repeats,
                                     start=month_period("2025-11", params.timezone).start,
                                     end=month_period("2026-10", params.timezone).end)
        res = run_attribution(paths, models=["markov", "shapley"], options=params.attribution, bootstrap_samples=0)
        shap = list(res.model("shapley")["channel"])
        assert shap[0] == planted, (client, res.model("shapley").head(3))
        mk = list(res.model("markov")["channel"])
        assert most_present == planted, (client, presence)
        assert mk[0] == planted, (client, res.model("markov").head(3))
        checked += 1
    assert checked == 3


def test_against_channelattribution_package(data_csv: pd.DataFrame) -> None:
    import importlib
    import importlib.util

    name = next((n for n in ("ChannelAttribution", "channelattribution") if importlib.util.find_spec(n)), None)
    if name is None:
        pytest.skip("optional reference package ChannelAttribution not installed (GPL, compiles C++)")
    ca = importlib.import_module(name)
    paths = paths_from_frame(data_csv, source="Data.csv")
    ours = attribute(paths, models=["first", "last", "linear", "markov"],
                     options=AttributionOptions(markov_order=1)).set_index(["model", "channel"])
    h = ca.heuristic_models(data_csv, "path", "total_conversions", var_value="total_conversion_value")
    h = h.set_index("channel_name")
    for model, col in (("first", "first_touch"), ("last", "last_touch"), ("linear", "linear_touch")):
        for ch in h.index:
            assert ours.loc[(model, ch), "conversions"] == pytest.approx(h.loc[ch, f"{col}_conversions"], rel=1e-9)
            assert ours.loc[(model, ch), "value"] == pytest.approx(h.loc[ch, f"{col}_value"], rel=1e-9)
    mk = ca.markov_model(data_csv, "path", "total_conversions", var_value="total_conversion_value",
                         var_null="total_null", order=1, verbose=0)
    mk = (mk["result"] if isinstance(mk, dict) else mk).set_index("channel_name")
    # its Markov model simulates: channels with >= 5 % of the conversions land within 5 % of the exact answer
    for ch, val in mk["total_conversions"].items():
        if val >= 0.05 * 19785:
            assert ours.loc[("markov", ch), "conversions"] == pytest.approx(val, rel=0.05)


def test_import_does_not_pull_matplotlib() -> None:
    import subprocess
    import sys

    code = ("import sys, kpi_toolkit.attribution; "
            "print(','.join(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'seaborn', 'papermill')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_errors_are_kpi_toolkit_errors() -> None:
    assert issubclass(DataValidationError, KpiToolkitError)


def test_a_shapley_share_below_zero_is_explained_to_the_client() -> None:
    """In the synthetic journeys only 'video' lifts conversion; 'social' journeys convert a little less
    often than those without it, so its Shapley share (conversion-rate value function) falls below
    zero, and the view says what that means. A table without such a share gets no such note."""
    from kpi_toolkit.attribution.view import _below_zero
    from kpi_toolkit.periods import month_period

    tp, cv, ads = _synthetic_events()
    view = attribution_view(tp, cv, ads, options=AttributionOptions(bootstrap_samples=0),
                            period=month_period("2026-10", "UTC"), currency="EUR")
    res = view.extra["result"]
    sh = res.model("shapley").set_index("channel")["conversions"]
    below = sh[sh / res.total_conversions <= -0.005]
    assert len(below) >= 1 and (sh.drop(below.index) > 0).all()
    note = next(c for c in view.caveats if "below zero" in c)
    for ch, v in below.items():
        assert f"{ch.capitalize()} {v / res.total_conversions * 100:.0f} %" in note
    assert "did not take conversions away" in note
    positive = res.table.assign(conversions=res.table["conversions"].abs())
    assert _below_zero(positive, res) == []


# ------------------------------------------------------------------------------------------------
# the client's view: plain words, one money style, platform numbers reconciled (report audit)


def test_channel_names_for_clients() -> None:
    from kpi_toolkit.attribution.view import channel_name

    # brand spellings from kpi_toolkit.benchmarks.PLATFORM_NAMES; other channels: "_" -> " ", first letter up
    got = [channel_name(c) for c in ("linkedin", "x", "tiktok", "youtube", "Facebook", "paid_social", "email",
                                     "direct", "SEO")]
    assert got == ["LinkedIn", "X", "TikTok", "YouTube", "Facebook", "Paid social", "Email", "Direct", "SEO"]


def test_client_numbers_never_read_minus_zero_and_money_has_one_style() -> None:
    from kpi_toolkit.attribution.view import _num, _pct, _ratio
    from kpi_toolkit.kpis import format_money as _money

    assert [_num(-0.3), _num(-0.49), _num(0.4), _num(1234.6), _num(float("nan"))] == ["0", "0", "0", "1,235", "n/a"]
    assert [_pct(-0.004), _pct(-0.016), _pct(0.26)] == ["0 %", "-2 %", "26 %"]
    # the audit's numbers, written as the snapshot and the alerts write them ("$580", "2.36×")
    assert [_money(3163.4, "USD"), _money(110.73, "USD"), _money(580.0, "USD"), _money(0.0, "USD")] == \
        ["$3,163", "$111", "$580", "$0"]
    assert [_money(20628.21, "EUR"), _money(52.38, "EUR"), _money(940.0, "GBP"), _money(1234.0, "SEK")] == \
        ["€20,628", "€52.38", "£940", "1,234 SEK"]
    assert [_ratio(0.6523), _ratio(2.3599), _ratio(10.1449)] == ["0.65×", "2.36×", "10.14×"]


def test_a_share_that_rounds_to_zero_is_not_called_below_zero() -> None:
    from types import SimpleNamespace

    from kpi_toolkit.attribution.view import _below_zero

    table = pd.DataFrame({"channel": ["paid_social", "x", "email"], "model": "shapley",
                          "conversions": [100.6, -0.4, -0.2]})  # of 100: -0.4 % reads "0 %", -0.2 % too
    assert _below_zero(table, SimpleNamespace(total_conversions=100.0)) == []
    table.loc[1, "conversions"] = -1.6  # -1.6 % reads "-2 %"
    note = _below_zero(table, SimpleNamespace(total_conversions=100.0))[0]
    assert note.startswith("A Shapley share below zero (X -2 %) means journeys")


def test_a_credit_with_an_interval_wider_than_itself_is_called_very_uncertain() -> None:
    """demo-lumiere, 2026-10: X at 44.9 of 147 conversions (31 %) under Shapley, 95 % interval -3.8 to
    149.4, against 3.5 (2 %) under Markov; no sentence said the 31 % could be anything. Hand-set: of 147,
    Shapley x 44.9 (-3.8 to 149.4): wider than the credit and crossing 0, named; Shapley tiktok 81.7
    (42.1-114.3): width 72.2 < 81.7, not named; Shapley linkedin 2.0 (-3.4 to 3.6): wide but 1 % of the
    conversions, not named; Markov intervals narrower than their credits, not named."""
    from types import SimpleNamespace

    from kpi_toolkit.attribution.view import _uncertain_credits

    table = pd.DataFrame({
        "channel": ["tiktok", "x", "linkedin"] * 2, "model": ["shapley"] * 3 + ["markov"] * 3,
        "conversions": [81.7, 44.9, 2.0, 39.0, 3.5, 0.4],
        "lower": [42.1, -3.8, -3.4, 32.0, 1.6, 0.2], "upper": [114.3, 149.4, 3.6, 46.0, 5.7, 0.6]})
    res = SimpleNamespace(total_conversions=147.0, confidence=0.95)
    assert _uncertain_credits(table, res) == [
        "Shapley's credit for X (31 % of the conversions; Markov: 2 %) is very uncertain: its 95 % interval "
        "runs from \u22124 to 149 conversions, so read it as somewhere between none and all of the 147 "
        "attributed conversions."]
    assert _uncertain_credits(table.drop(columns=["lower", "upper"]), res) == []  # no bootstrap, nothing to say
    table.loc[1, ["lower", "upper"]] = [30.0, 60.0]  # width 30 < 44.9: as sure as the table reads
    assert _uncertain_credits(table, res) == []


def _tiny_month() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, AttributionOptions]:
    """Five one-touch journeys in November 2026, every conversion worth 50: paid_social 3 journeys (2 convert),
    email 1 (converts), linkedin 1 (converts). Ads: facebook (mapped to paid_social) spend 100, 5 conversions,
    revenue 500; linkedin spend 200, 3 conversions, revenue 250; an October row that must not count."""
    t0 = pd.Timestamp("2026-11-01", tz="UTC")

    def ts(d: float) -> pd.Timestamp:
        return t0 + pd.Timedelta(days=d)

    tp = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4", "u5"], "timestamp": [ts(1), ts(2), ts(3), ts(4), ts(5)],
                       "channel": ["paid_social", "email", "paid_social", "linkedin", "paid_social"]})
    cv = pd.DataFrame({"user_id": ["u1", "u2", "u4", "u5"], "timestamp": [ts(1.5), ts(2.5), ts(4.5), ts(5.5)],
                       "value": 50.0})
    ads = pd.DataFrame({"date": pd.to_datetime(["2026-10-31", "2026-11-02", "2026-11-03"]),
                        "platform": ["facebook", "facebook", "linkedin"], "campaign": "c",
                        "spend": [999.0, 100.0, 200.0], "conversions": [99, 5, 3],
                        "revenue": [9999.0, 500.0, 250.0]})
    return tp, cv, ads, AttributionOptions(bootstrap_samples=0, spend_channels={"facebook": "paid_social"})


WHY_DIFFERENT = ("The two are counted differently: each ad platform counts the conversions it links to its own ads, "
                 "including people who only saw an ad or who bought on another device, so several platforms can "
                 "claim the same conversion; attribution counts each conversion tracked on your website once, "
                 "whichever channel led to it.")


def test_the_view_says_why_platform_numbers_differ_in_plain_words() -> None:
    """By hand. Markov on one-touch journeys: P(convert) = 4/5; without paid_social 2/5 (removal effect 1/2),
    without email or linkedin 3/5 (1/4 each), so credits 2 / 1 / 1 of the 4 conversions and 100 / 50 / 50 of
    the 200 in value. Spend: paid_social 100 (CPA 50, ROAS 1.00×), linkedin 200 (CPA 200, ROAS 0.25×),
    together 150 / 300 = 0.50×. The platforms: 5 + 3 = 8 conversions, 500 + 250 = 750 revenue,
    750 / 300 = 2.50× (the October row is outside the month)."""
    from kpi_toolkit.periods import month_period

    tp, cv, ads, opts = _tiny_month()
    view = attribution_view(tp, cv, ads, options=opts, period=month_period("2026-11", "UTC"), currency="EUR")
    assert view.sentences[0].startswith("In November 2026, Paid social earned the largest share of the 4 attributed "
                                        "conversions under the Markov model (50 %, about 2), ahead of Email (25 %)")
    assert CAVEAT in view.sentences[1]
    assert view.sentences[2] == (
        "The ad platforms reported 8 conversions worth €750 in November 2026; the attribution here shares out the "
        f"4 conversions worth €200 tracked on your website. {WHY_DIFFERENT} The ROAS in the table is tracked "
        "revenue ÷ ad spend, so it reads lower than the platforms' own: 0.50× over the paid channels together, "
        "against 2.50×.")
    assert view.extra["platforms"] == {"conversions": 8.0, "revenue": 750.0, "spend": 300.0, "roas": 2.5}
    rows = view.table.set_index("Channel")[["Markov: conversions (interval)", "Markov share", "Spend",
                                            "CPA (Markov)", "ROAS (Markov)"]]
    assert rows.to_dict("index") == {
        "Paid social": {"Markov: conversions (interval)": "2", "Markov share": "50 %", "Spend": "€100",
                        "CPA (Markov)": "€50", "ROAS (Markov)": "1.00×"},
        "Email": {"Markov: conversions (interval)": "1", "Markov share": "25 %", "Spend": "—",
                  "CPA (Markov)": "—", "ROAS (Markov)": "—"},
        "LinkedIn": {"Markov: conversions (interval)": "1", "Markov share": "25 %", "Spend": "€200",
                     "CPA (Markov)": "€200", "ROAS (Markov)": "0.25×"},
    }
    assert [t.get_text() for t in view.figure.axes[0].get_yticklabels()] == ["Email", "LinkedIn", "Paid social"]
    assert view.alt_text.endswith("Under the Markov model Paid social leads with 50 %.")
    assert view.alt_text.startswith("Dot chart of the share of November 2026 conversions")
    rec = view.recommendations[0]
    assert rec.action == "Before moving budget between Paid social, LinkedIn, run a holdout test on Paid social."
    assert rec.evidence.startswith("Paid social has the best attributed ROAS under Markov attribution "
                                   "(1.00×, others: LinkedIn 0.25×)")
    # the analyst's numbers keep the raw channel names
    assert set(view.extra["result"].table["channel"]) == {"paid_social", "email", "linkedin"}


def test_the_reports_spend_and_cpa_columns_each_share_one_number_of_decimals() -> None:
    """The CPA column had read "78.36 NZD" above "135 NZD". By hand (the journeys of _tiny_month):
    paid_social spends 156.72 for a Markov credit of 2 (CPA 78.36), linkedin 135 for 1 (CPA 135.00): the
    CPA column shows cents throughout; neither spend needs its cents (157 and 135), so that column shows none."""
    from kpi_toolkit.periods import month_period

    tp, cv, ads, opts = _tiny_month()
    ads = ads.assign(spend=[999.0, 156.72, 135.0])
    view = attribution_view(tp, cv, ads, options=opts, period=month_period("2026-11", "UTC"), currency="NZD")
    rows = view.table.set_index("Channel")
    assert rows.loc[["Paid social", "LinkedIn", "Email"], "CPA (Markov)"].tolist() == ["78.36 NZD", "135.00 NZD", "—"]
    assert rows.loc[["Paid social", "LinkedIn"], "Spend"].tolist() == ["157 NZD", "135 NZD"]


def test_the_platform_sentence_needs_platform_numbers_and_follows_their_direction() -> None:
    from kpi_toolkit.periods import month_period

    tp, cv, ads, opts = _tiny_month()
    period = month_period("2026-11", "UTC")
    # platform revenue below the tracked one: 100 / 300 = 0.33× against our 0.50×; conversions only, in USD
    low = ads.assign(revenue=[9999.0, 60.0, 40.0])
    v = attribution_view(tp, cv, low, options=opts, period=period, currency="USD")
    assert v.sentences[2] == (
        "The ad platforms reported 8 conversions worth $100 in November 2026; the attribution here shares out the "
        f"4 conversions worth $200 tracked on your website. {WHY_DIFFERENT} The ROAS in the table is tracked "
        "revenue ÷ ad spend, so it differs from the platforms' own: 0.50× over the paid channels together, "
        "against 0.33×.")
    no_revenue = ads.drop(columns="revenue")
    v = attribution_view(tp, cv, no_revenue, options=opts, period=period, currency="USD")
    assert v.sentences[2] == ("The ad platforms reported 8 conversions in November 2026; the attribution here "
                              f"shares out the 4 conversions worth $200 tracked on your website. {WHY_DIFFERENT}")
    # nothing reported by the platforms in the month (only in October): no such sentence
    quiet = ads.assign(conversions=[99, 0, 0], revenue=[9999.0, 0.0, 0.0])
    v = attribution_view(tp, cv, quiet, options=opts, period=period, currency="USD")
    assert len(v.sentences) == 2 and CAVEAT in v.sentences[-1]


def test_roas_chart_uses_display_names_and_the_report_money_style() -> None:
    from kpi_toolkit.periods import month_period
    from kpi_toolkit.plotting.attribution import plot_roas

    tp, cv, ads, opts = _tiny_month()
    view = attribution_view(tp, cv, ads, options=opts, period=month_period("2026-11", "UTC"), currency="USD")
    ax = plot_roas(view.extra["efficiency"], currency="USD", channel_labels={"paid_social": "Paid social",
                                                                            "linkedin": "LinkedIn"})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LinkedIn", "Paid social"]  # lowest ROAS first
    assert ax.get_xlabel() == "Attributed revenue per $1 of ad spend (ROAS)"


# ------------------------------------------------------------------------------------------------
# the attribution notebook's tables and its return-on-ad-spend view (notebook audit)


def _efficiency(linkedin_spend: float = 4_000.0) -> pd.DataFrame:
    """By hand: spend linkedin 4,000, youtube 1,000, email none. Markov credits linkedin 20 (value 40,000),
    youtube 4 (4,000), email 6; Shapley linkedin 30 (60,000), youtube -10 (-20,000), email 4; last touch
    linkedin 22 (44,000), youtube 2 (1,000). So Markov ROAS 10.00× and 4.00×, CPA 200 and 250; Shapley
    youtube has a negative credit, ROAS -20.00×."""
    table = pd.DataFrame({
        "channel": ["linkedin", "youtube", "email"] * 3,
        "model": ["markov"] * 3 + ["shapley"] * 3 + ["last"] * 3,
        "conversions": [20.0, 4.0, 6.0, 30.0, -10.0, 4.0, 22.0, 2.0, 6.0],
        "value": [40_000.0, 4_000.0, 12_000.0, 60_000.0, -20_000.0, 8_000.0, 44_000.0, 1_000.0, 11_000.0],
        "lower": [16.0, 2.0, 4.0, 20.0, -14.0, 2.0, 18.0, 0.0, 4.0],
        "upper": [24.0, 6.0, 8.0, 40.0, -6.0, 6.0, 26.0, 4.0, 8.0],
        "value_lower": [32_000.0, 1_500.0, 8_000.0, 40_000.0, -28_000.0, 4_000.0, 36_000.0, 0.0, 8_000.0],
        "value_upper": [48_000.0, 6_000.0, 16_000.0, 80_000.0, -12_000.0, 12_000.0, 52_000.0, 2_000.0, 16_000.0],
    })
    spend = pd.DataFrame({"channel": ["linkedin", "youtube"], "spend": [linkedin_spend, 1_000.0]})
    return with_spend(table, spend)


def test_efficiency_table_names_models_and_says_why_a_negative_credit_has_no_roas() -> None:
    from kpi_toolkit.attribution.view import NEGATIVE_CREDIT, efficiency_notes, efficiency_table

    eff = _efficiency()
    assert eff.loc[(eff["channel"] == "youtube") & (eff["model"] == "shapley"), "roas"].item() == pytest.approx(-20.0)
    t = efficiency_table(eff, currency="GBP")
    assert list(t.columns) == ["Channel", "Model", "Spend", "Conversions (95 % interval)", "CPA (95 % interval)",
                               "ROAS (95 % interval)"]
    assert t.to_dict("records") == [
        {"Channel": "LinkedIn", "Model": "Last touch", "Spend": "£4,000", "Conversions (95 % interval)":
         "22.0 (18.0–26.0)", "CPA (95 % interval)": "£182 (£154–£222)", "ROAS (95 % interval)": "11.00× (9.00×–13.00×)"},
        {"Channel": "LinkedIn", "Model": "Markov chain", "Spend": "£4,000", "Conversions (95 % interval)":
         "20.0 (16.0–24.0)", "CPA (95 % interval)": "£200 (£167–£250)", "ROAS (95 % interval)": "10.00× (8.00×–12.00×)"},
        {"Channel": "LinkedIn", "Model": "Shapley value", "Spend": "£4,000", "Conversions (95 % interval)":
         "30.0 (20.0–40.0)", "CPA (95 % interval)": "£133 (£100–£200)", "ROAS (95 % interval)": "15.00× (10.00×–20.00×)"},
        {"Channel": "YouTube", "Model": "Last touch", "Spend": "£1,000", "Conversions (95 % interval)":
         "2.0 (0.0–4.0)", "CPA (95 % interval)": "£500 (£250 or more)", "ROAS (95 % interval)": "1.00× (0.00×–2.00×)"},
        {"Channel": "YouTube", "Model": "Markov chain", "Spend": "£1,000", "Conversions (95 % interval)":
         "4.0 (2.0–6.0)", "CPA (95 % interval)": "£250 (£167–£500)", "ROAS (95 % interval)": "4.00× (1.50×–6.00×)"},
        {"Channel": "YouTube", "Model": "Shapley value", "Spend": "£1,000", "Conversions (95 % interval)":
         "\u221210.0 (\u221214.0 to \u22126.0)", "CPA (95 % interval)": NEGATIVE_CREDIT,
         "ROAS (95 % interval)": NEGATIVE_CREDIT},
    ]
    notes = efficiency_notes(eff)
    assert notes == [
        "A credit below zero (YouTube, Shapley value: \u221210.0 conversions) means journeys with that channel "
        "converted less often than journeys without it; the channel did not take conversions away. Cost per "
        "acquisition and return on ad spend mean nothing for it, so they read \u201cn/a (negative credit)\u201d."]
    assert efficiency_notes(eff[eff["model"] != "shapley"]) == []


def test_an_efficiency_tables_cpa_column_and_its_bounds_share_one_number_of_decimals() -> None:
    """By hand: linkedin spends 2,345 (Markov 20 conversions, 16-24: CPA 117.25, 97.71-146.56; Shapley 30,
    20-40: 78.17, 58.62-117.25); one CPA under 100 with cents gives every amount of the column, interval
    bounds too, two decimals (it had read "£78.17 (£58.62–£117)" beside "£500 (£250 or more)")."""
    import re

    from kpi_toolkit.attribution.view import efficiency_table

    t = efficiency_table(_efficiency(linkedin_spend=2_345.0), currency="GBP").set_index(["Channel", "Model"])["CPA (95 % interval)"]
    assert t[("LinkedIn", "Shapley value")] == "£78.17 (£58.62–£117.25)"
    assert t[("YouTube", "Last touch")] == "£500.00 (£250.00 or more)"
    amounts = [a for cell in t for a in re.findall(r"£[\d,.]+", cell)]
    assert len(amounts) == 14 and all(re.fullmatch(r"£[\d,]+\.\d\d", a) for a in amounts)


def test_roas_sentences_by_hand() -> None:
    from kpi_toolkit.attribution.view import roas_sentences

    assert roas_sentences(_efficiency(), currency="GBP") == [
        "Under Markov chain attribution, LinkedIn brought in the most tracked revenue per £1 of ad spend, 10.00× "
        "(95 % interval 8.00×–12.00×), and YouTube the least, 4.00× (95 % interval 1.50×–6.00×).",
        "LinkedIn's interval lies above every other paid channel's, so its lead is larger than the resampling noise.",
        "Every paid channel's interval lies above 1× (the dashed line): each brought in more tracked revenue than "
        "it cost."]
    assert roas_sentences(_efficiency(), model="last", currency="GBP")[1:] == [
        "LinkedIn's interval lies above every other paid channel's, so its lead is larger than the resampling noise.",
        "LinkedIn brought in more tracked revenue than its ad spend (interval above 1×); for YouTube the interval "
        "spans 1×, so whether it pays for itself is not clear."]


def test_roas_view_has_chart_sentences_table_and_notes() -> None:
    from kpi_toolkit.attribution.view import roas_view

    eff = _efficiency()
    view = roas_view(eff, currency="GBP")
    assert view.skipped_reason is None and view.figure is not None and len(view.sentences) == 3
    assert [t.get_text() for t in view.figure.axes[0].get_yticklabels()] == ["YouTube", "LinkedIn"]
    assert view.table["Model"].tolist()[:3] == ["Last touch", "Markov chain", "Shapley value"]
    assert any("credit below zero" in c for c in view.caveats)
    none = roas_view(eff.assign(spend=np.nan), currency="GBP")
    assert none.skipped_reason.startswith("no ad spend in this period")


def test_shapley_by_value_function_has_no_leftover_pivot_column(small: object) -> None:
    """The audit's empty grey "value_function" column: a pivot's column-axis name shown as a column."""
    from kpi_toolkit.attribution.view import shapley_by_value_function

    paths = small
    wide = shapley_by_value_function(paths)
    assert list(wide.columns) == ["channel", "Conversion rate (default)", "Conversions (Zhao et al. 2018)"]
    assert wide.columns.name is None and wide.index.name is None
    for v, col in (("conversion_rate", "Conversion rate (default)"), ("conversions", "Conversions (Zhao et al. 2018)")):
        expected = shapley(paths, value_function=v).set_index("channel")["conversions"]
        assert wide.set_index("channel")[col].to_dict() == pytest.approx(expected.to_dict())
    assert wide["Conversion rate (default)"].is_monotonic_decreasing


def test_attribution_table_uses_model_names_and_units(small: object) -> None:
    from kpi_toolkit.attribution.view import attribution_table

    result = run_attribution(small, models="all", bootstrap_samples=20, seed=7)
    t = attribution_table(result.table, currency="EUR")
    assert list(t.columns) == ["Model", "Channel", "Conversions (95 % interval)", "Value (95 % interval)"]
    assert t["Model"].iloc[0] == "First touch" and t["Model"].iloc[-1] == "Shapley value"
    assert set(t["Model"]) <= {"First touch", "Last touch", "Last non-direct", "Linear", "Time decay",
                               "Position based (40/20/40)", "Markov chain", "Shapley value"}
    assert t["Value (95 % interval)"].str.startswith(("€", "\u2212€", "-€")).all()


def test_the_attribution_notebook_uses_the_packages_tables() -> None:
    import json

    nb = Path(__file__).resolve().parents[1] / "notebooks" / "attribution.ipynb"
    code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
    for call in ("roas_view(", "shapley_by_value_function(", "attribution_table("):
        assert call in code, call
    assert "pivot_table(index=\"channel\", columns=\"value_function\"" not in code and "def " not in code


def test_attribute_option_errors_name_the_option(capsys) -> None:
    """`--confidence 95` had printed pydantic's "confidence: Input should be less than 1"."""
    from kpi_toolkit.cli import main

    assert main(["attribute", str(DATA_CSV), "--confidence", "95"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --confidence: must be less than 1 (got 95) — a share is "
                                               "written as a fraction (0.95 for 95 %)")


def test_attribution_table_writes_negative_value_intervals_with_minus_signs_and_to() -> None:
    """demo-lumiere 2026-10, Shapley value of Instagram: the value column read
    "-€1,216.77 (-€2,161.62–-€266.25)", a dash between two hyphen-minus signs, while the conversions
    column beside it read "−23.0 (−41.6 to −4.1)"."""
    from kpi_toolkit.attribution.view import attribution_table

    table = pd.DataFrame({"model": ["shapley", "shapley"], "channel": ["tiktok", "instagram"],
                          "conversions": [81.7, -23.0], "lower": [42.1, -41.6], "upper": [114.3, -4.1],
                          "value": [4922.19, -1216.77], "value_lower": [2599.32, -2161.62],
                          "value_upper": [7335.76, -266.25]})
    t = attribution_table(table, currency="EUR").set_index("Channel")
    assert t.loc["instagram", "Conversions (95 % interval)"] == "\u221223.0 (\u221241.6 to \u22124.1)"
    assert t.loc["instagram", "Value (95 % interval)"] == "\u2212€1,217 (\u2212€2,162 to \u2212€266)"
    assert t.loc["tiktok", "Value (95 % interval)"] == "€4,922 (€2,599–€7,336)"


def test_the_lead_sentence_counts_the_models_the_table_shows() -> None:
    """demo-ledgerly 2026-10 said "7 of 8 models put LinkedIn first" above a table of 5 models, 4 of which
    put LinkedIn first (last touch: Direct); the other three models are nowhere in the report. Here the
    8 models give Video first 6 times (last touch and last non-direct: Search); the table's 5 give it 4."""
    from kpi_toolkit.periods import month_period

    tp, cv, ads = _synthetic_events()
    view = attribution_view(tp, cv, ads, options=AttributionOptions(bootstrap_samples=40),
                            period=month_period("2026-10", "UTC"), currency="EUR")
    assert view.sentences[0].endswith("; 4 of the 5 models in the table put Video first."), view.sentences[0]
    # the count is the table's own: in how many share columns the leader's row has the largest share
    t = view.table
    shares = [c for c in t.columns if c.endswith(" share")]
    assert len(shares) == 5
    tops = [t.loc[t[c].str.rstrip(" %").astype(float).idxmax(), "Channel"] for c in shares]
    assert tops.count("Video") == 4
