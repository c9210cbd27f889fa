"""Generate the demo data set: three clients, every canonical table, planted truth.

Everything is drawn with numpy from fixed seeds (one independent stream per client and table, so
changing one table's generator does not move the others), vectorised over rows, and written in a
stable row order; two runs with the same ``seed`` and ``end_month`` give byte-identical files.

Noise is Poisson, or gamma-Poisson (negative binomial) where real counts are over-dispersed: a
daily count with mean ``lam`` is drawn as ``Poisson(lam * G)`` with ``G ~ Gamma(k, 1/k)``, which has
variance ``lam + lam**2 / k`` (Hilbe 2011, ch. 5).

References
----------
Hilbe, J. M. (2011). *Negative Binomial Regression*, 2nd ed. Cambridge University Press.
Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model for sentiment analysis of
social media text. Proceedings of ICWSM-14.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data import write_table
from ..exceptions import DataValidationError, ParameterError
from ..schema import PLATFORMS
from . import texts
from .profiles import PROFILES, Campaign, ClientProfile

CHANNELS: tuple[str, ...] = (*PLATFORMS, "email", "search", "direct")
"""Touchpoint channels of the demo journeys."""

TABLE_FILES: dict[str, str] = {
    "posts": "posts.csv", "audience": "audience.csv", "ads": "ads.csv", "web": "web.csv",
    "competitors": "competitors.csv", "surveys": "surveys.csv", "mentions": "mentions.parquet",
    "touchpoints": "touchpoints.parquet", "conversions": "conversions.parquet",
}
"""File written for each canonical table: CSV for the small tables, Parquet for the big ones."""

MARKER = ".kpi-demo"
"""File in each demo client's data folder; `kpi demo` only overwrites folders that have it."""
MARKER_TEXT = "Written by `kpi demo`: demo data, safe to regenerate.\n"
PARAMS_HEADER = "# Written by `kpi demo`: demo client parameters, safe to regenerate.\n"

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_VIDEO_FORMATS = ("video", "reel", "short", "live")
_PLATFORM_ABBR = {"facebook": "fb", "instagram": "ig", "x": "x", "linkedin": "li", "tiktok": "tt",
                  "youtube": "yt"}
_FORMAT_REACH = {"reel": 1.3, "video": 1.1, "short": 1.2, "live": 0.6, "story": 0.5, "carousel": 1.0,
                 "image": 1.0, "text": 0.8, "link": 0.7, "event": 0.5}
"""Reach factor of a format (reach only; engagements per reach are untouched by it)."""
_COMPLETION_FACTOR = {"short": 1.5, "live": 0.4}
_ENGAGEMENT_SPLIT = {"likes": 0.74, "comments": 0.08, "shares": 0.07, "saves": 0.06, "clicks": 0.05}
"""Share of a post's expected interactions per action; every multiplier applies to all of them."""
_MENTION_HOURS = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.0, 1.05, 1.1, 1.2, 1.15,
                           1.1, 1.05, 1.05, 1.1, 1.2, 1.3, 1.35, 1.2, 0.9, 0.5])
_SOURCE_REACH = {"news": 20000, "x": 800, "instagram": 1500, "tiktok": 3000, "reddit": 300,
                 "reviews": 150, "blogs": 1200, "facebook": 500, "youtube": 2500, "linkedin": 900}
"""Median reach of one mention by source."""
_PAID_SHARE = 0.15
_PAID_REACH = 2.5
_DAILY_K = 25.0  # gamma shape of daily count noise (coefficient of variation 0.2)
_MAX_JOURNEY_DAYS = 27.0

# independent random streams per client
_S_AUDIENCE, _S_ADS, _S_POSTS, _S_COMPETITORS, _S_WEB, _S_MENTIONS, _S_JOURNEYS, _S_SURVEYS = range(8)


# ---------------------------------------------------------------------------------------------
# calendar


@dataclass(frozen=True)
class _Calendar:
    end_month: pd.Period
    tz: str
    days: pd.DatetimeIndex
    """Local calendar days of the data, naive, midnight."""
    weekday_mult: np.ndarray
    month_mult: np.ndarray

    @property
    def n(self) -> int:
        return len(self.days)

    @property
    def season(self) -> np.ndarray:
        return self.weekday_mult[self.days.day_of_week] * self.month_mult[self.days.month - 1]

    @property
    def day_ns(self) -> np.ndarray:
        return self.days.values.astype("datetime64[ns]").astype(np.int64)

    @property
    def start_ns(self) -> int:
        return int(self.day_ns[0])

    @property
    def end_ns(self) -> int:
        return int(self.day_ns[-1] + 86_400 * 10**9)

    @property
    def end_utc(self) -> pd.Timestamp:
        return pd.Timestamp(self.days[-1] + pd.Timedelta(days=1)).tz_localize(self.tz).tz_convert("UTC")

    def month_start(self, months_before_end: int) -> pd.Timestamp:
        return (self.end_month - months_before_end).start_time.normalize()

    def index_of(self, day: pd.Timestamp) -> int:
        return int((day - self.days[0]) / pd.Timedelta(days=1))

    def months_before_end(self) -> np.ndarray:
        """For each day, how many months before the last month it lies (0 = the last month)."""
        return np.asarray((self.end_month.year - self.days.year) * 12
                          + (self.end_month.month - self.days.month))


def _normalise(values: tuple[float, ...]) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return np.round(arr / arr.mean(), 4)


def _calendar(profile: ClientProfile, end_month: pd.Period) -> _Calendar:
    start = (end_month - 23).start_time.normalize()
    end = end_month.end_time.normalize()
    return _Calendar(end_month=end_month, tz=profile.timezone,
                     days=pd.date_range(start, end, freq="D"),
                     weekday_mult=_normalise(profile.weekday_multipliers),
                     month_mult=_normalise(profile.month_multipliers))


def _to_utc(local_ns: np.ndarray, tz: str) -> pd.DatetimeIndex:
    """Local wall-clock times (int64 ns) to UTC.

    A time in the spring-forward gap moves one hour later (02:30 becomes 03:30, so the gap's times
    do not pile up on 03:00:00); a time in the autumn overlap is taken as summer time.
    """
    idx = pd.DatetimeIndex(np.asarray(local_ns, dtype=np.int64).view("datetime64[ns]"))
    return idx.tz_localize(tz, ambiguous=np.ones(len(idx), dtype=bool),
                           nonexistent=pd.Timedelta(hours=1)).tz_convert("UTC").as_unit("ns")


def _rng(seed: int, client_index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, client_index, stream])


def _nb(rng: np.random.Generator, mean: np.ndarray | float, k: float,
        size: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Gamma-Poisson (negative binomial) counts with the given mean and gamma shape ``k``."""
    mean = np.asarray(mean, dtype=float)
    shape = mean.shape if size is None else size
    return rng.poisson(mean * rng.gamma(k, 1.0 / k, size=shape))


def _probs(weights: dict[str, float] | tuple[float, ...]) -> tuple[list[Any], np.ndarray]:
    if isinstance(weights, dict):
        keys, vals = list(weights), np.asarray(list(weights.values()), dtype=float)
    else:
        keys, vals = list(range(len(weights))), np.asarray(weights, dtype=float)
    return keys, vals / vals.sum()


def _take(pool: pa.Array | list[str], idx: np.ndarray) -> pd.Series:
    """``pool[idx]`` as a pandas string Series, built in Arrow (no Python loop over rows)."""
    arr = pool if isinstance(pool, pa.Array) else pa.array(list(pool), type=pa.string())
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64))).to_pandas()


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    """``prefix`` + 1..n zero-padded to ``width`` digits, as an Arrow string array."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _iso_day(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


def _r(x: float, nd: int = 6) -> float:
    return float(round(float(x), nd))


# ---------------------------------------------------------------------------------------------
# audience


def _audience(p: ClientProfile, cal: _Calendar, rng: np.random.Generator, shift_idx: int
              ) -> tuple[pd.DataFrame, np.ndarray]:
    after = np.arange(cal.n) >= shift_idx
    followers = np.empty((cal.n, len(PLATFORMS)), dtype=np.int64)
    for j, name in enumerate(PLATFORMS):
        pp = p.platforms[name]
        gain_mean = pp.gains_per_day * np.where(after, p.level_shift.follower_gain_multiplier, 1.0)
        net = rng.poisson(gain_mean) - rng.poisson(pp.losses_per_day, size=cal.n)
        followers[:, j] = pp.followers_start + np.cumsum(net)
    df = pd.DataFrame({
        "date": np.repeat(cal.days.strftime("%Y-%m-%d").to_numpy(), len(PLATFORMS)),
        "platform": np.tile(np.asarray(PLATFORMS, dtype=object), cal.n),
        "followers": followers.ravel(),
    })
    return df, followers


# ---------------------------------------------------------------------------------------------
# ads


def _campaign_active(c: Campaign, cal: _Calendar) -> np.ndarray:
    if c.flight == "always":
        return np.ones(cal.n, dtype=bool)
    if c.flight == "yearly":
        md = cal.days.month * 100 + cal.days.day
        active = np.zeros(cal.n, dtype=bool)
        for m1, d1, m2, d2 in c.windows:
            a, b = m1 * 100 + d1, m2 * 100 + d2
            active |= ((md >= a) & (md <= b)) if a <= b else ((md >= a) | (md <= b))
        return np.asarray(active)
    if c.flight == "relative":
        back = cal.months_before_end()
        first, last = c.months_before_end
        return (back <= first) & (back >= last)
    raise ValueError(f"unknown flight {c.flight!r}")


def _mean_order_value(p: ClientProfile) -> float:
    return p.order_value_median * float(np.exp(p.order_value_sigma**2 / 2))


def _ads(p: ClientProfile, cal: _Calendar, rng: np.random.Generator
         ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    frames = []
    active_by_campaign: dict[str, np.ndarray] = {}
    aov = _mean_order_value(p)
    for c in p.campaigns:
        active = _campaign_active(c, cal)
        active_by_campaign[c.name] = active
        idx = np.flatnonzero(active)
        for platform in c.platforms:
            pp = p.platforms[platform]
            spend = np.round(c.daily_budget * rng.gamma(20.0, 1 / 20.0, size=len(idx)), 2)
            impressions = rng.poisson(spend / pp.cpm * 1000.0)
            ctr = pp.ctr * (1.8 if c.retargeting else 1.0)
            clicks = rng.binomial(impressions, ctr)
            cvr = p.ad_conversion_rate * (2.0 if platform == p.driver_channel else 1.0) \
                * (2.5 if c.retargeting else 1.0)
            conversions = rng.binomial(clicks, min(cvr, 1.0))
            leads = rng.binomial(clicks, p.ad_lead_rate)
            revenue = np.where(conversions > 0,
                               rng.gamma(np.maximum(conversions, 1) * 4.0, aov / 4.0), 0.0)
            frames.append(pd.DataFrame({
                "date": cal.days[idx].strftime("%Y-%m-%d").to_numpy(),
                "platform": platform, "campaign": c.name, "spend": spend,
                "impressions": impressions, "clicks": clicks, "conversions": conversions,
                "leads": leads, "revenue": np.round(revenue, 2),
            }))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values(["date", "platform", "campaign"], kind="stable").reset_index(drop=True)
    return df, active_by_campaign


# ---------------------------------------------------------------------------------------------
# posts


def _posts(p: ClientProfile, cal: _Calendar, rng: np.random.Generator, followers: np.ndarray,
           active: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict[str, Any]]:
    wd_w = np.asarray(p.posting_weekday_weights, dtype=float)
    wd_w = wd_w / wd_w.mean()
    wd = np.asarray(cal.days.day_of_week)
    plat_parts, day_parts = [], []
    for j, name in enumerate(PLATFORMS):
        counts = rng.poisson(p.platforms[name].posts_per_day * wd_w[wd])
        day_parts.append(np.repeat(np.arange(cal.n), counts))
        plat_parts.append(np.full(int(counts.sum()), j))
    plat = np.concatenate(plat_parts)
    day = np.concatenate(day_parts)
    n = len(plat)
    _, hour_p = _probs(p.posting_hour_weights)
    hour = rng.choice(24, size=n, p=hour_p)
    local_ns = cal.day_ns[day] + (hour * 3600 + rng.integers(0, 3600, size=n)) * 10**9
    ctype = np.empty(n, dtype=object)
    for j, name in enumerate(PLATFORMS):
        mask = plat == j
        keys, probs = _probs(p.platforms[name].formats)
        ctype[mask] = np.asarray(keys, dtype=object)[rng.choice(len(keys), size=int(mask.sum()), p=probs)]

    # paid posts belong to a campaign running on that platform that day
    names = [c.name for c in p.campaigns]
    on = np.zeros((n, len(names)), dtype=bool)
    for k, c in enumerate(p.campaigns):
        plat_ok = np.isin(plat, [PLATFORMS.index(x) for x in c.platforms])
        on[:, k] = plat_ok & active[c.name][day]
    pick = np.where(on, rng.random((n, len(names))), -1.0)
    paid = (pick.max(axis=1) >= 0) & (rng.random(n) < _PAID_SHARE)
    campaign = np.where(paid, np.asarray(names, dtype=object)[pick.argmax(axis=1)], None)

    f_at = followers[day, plat]
    reach_pf = np.array([p.platforms[x].reach_per_follower for x in PLATFORMS])[plat]
    er = np.array([p.platforms[x].engagement_rate for x in PLATFORMS])[plat]
    ipr = np.array([p.platforms[x].impressions_per_reach for x in PLATFORMS])[plat]
    fmt_reach = np.array([_FORMAT_REACH.get(t, 1.0) for t in ctype])
    reach_mean = f_at * reach_pf * cal.season[day] * fmt_reach * np.where(paid, _PAID_REACH, 1.0)
    reach = np.maximum(_nb(rng, reach_mean, 4.0), 1)
    impressions = reach + rng.poisson(reach * (ipr - 1.0))
    winning = ctype == p.winning_format
    good_hour = np.isin(hour, p.good_hours)
    eng_mean = reach * er * np.where(winning, p.format_multiplier, 1.0) \
        * np.where(good_hour, p.hour_multiplier, 1.0) * rng.gamma(6.0, 1 / 6.0, size=n)
    has_saves = np.array([p.platforms[x].has_saves for x in PLATFORMS])[plat]
    counts = {k: rng.poisson(eng_mean * share) for k, share in _ENGAGEMENT_SPLIT.items()}
    counts["likes"] = np.minimum(counts["likes"], reach)
    is_video = np.isin(ctype, _VIDEO_FORMATS)
    view_rate = np.array([p.platforms[x].video_view_rate for x in PLATFORMS])[plat]
    compl = np.array([p.platforms[x].completion_rate for x in PLATFORMS])[plat] \
        * np.array([_COMPLETION_FACTOR.get(t, 1.0) for t in ctype])
    views = rng.binomial(reach, view_rate)
    completions = rng.binomial(views, np.minimum(compl, 1.0))

    # text and topic
    tmpl = texts.POST_TEMPLATES[p.industry_key]
    ctas = texts.POST_CTAS[p.industry_key]
    t_i = rng.integers(0, len(tmpl), size=n)
    p_i = rng.integers(0, len(p.products), size=n)
    c_i = rng.integers(0, len(ctas), size=n)
    text = np.array([tmpl[a][1].format(product=p.products[b], cta=ctas[c])
                     for a, b, c in zip(t_i, p_i, c_i, strict=True)], dtype=object)
    topic = np.array([tmpl[a][0] for a in t_i], dtype=object)

    published = _to_utc(local_ns, p.timezone)
    order = np.argsort(published.asi8, kind="stable")
    abbr = np.array([_PLATFORM_ABBR[x] for x in PLATFORMS], dtype=object)[plat[order]]
    post_id = [f"{p.code}-{a}-{i:05d}" for i, a in enumerate(abbr, start=1)]

    def opt(values: np.ndarray, mask: np.ndarray) -> pd.Series:
        return pd.Series(pd.array(np.where(mask, values, 0), dtype="Int64")).mask(~mask)

    df = pd.DataFrame({
        "post_id": post_id,
        "platform": np.asarray(PLATFORMS, dtype=object)[plat[order]],
        "published_at": published[order],
        "content_type": ctype[order],
        "impressions": impressions[order],
        "reach": reach[order],
        "likes": counts["likes"][order],
        "comments": counts["comments"][order],
        "shares": counts["shares"][order],
        "saves": opt(counts["saves"][order], has_saves[order]),
        "clicks": counts["clicks"][order],
        "video_views": opt(views[order], is_video[order]),
        "video_completions": opt(completions[order], is_video[order]),
        "paid": paid[order],
        "campaign": pd.array(campaign[order], dtype="string"),
        "topic": topic[order],
        "followers_at_post": f_at[order],
        "text": text[order],
    })
    extra: dict[str, Any] = {"day": day[order], "hour_local": hour[order]}
    if p.client == "demo-lumiere":
        # the last month's post with the highest engagements per reach (so every "top posts"
        # list shows it) carries markup, to test HTML escaping
        last_month_start = cal.index_of(cal.month_start(0))
        eng = (df["likes"] + df["comments"] + df["shares"] + df["saves"].fillna(0)).to_numpy(dtype=float)
        rate = np.where(extra["day"] >= last_month_start, eng / df["reach"].to_numpy(), -1.0)
        row = int(np.argmax(rate))
        df.loc[row, "text"] = texts.HTML_ESCAPING_TEXT
        extra["html_escaping_post_id"] = df.loc[row, "post_id"]
    return df, extra


# ---------------------------------------------------------------------------------------------
# competitors (public daily metrics per brand and platform, the client's own brand included)


def _competitors(p: ClientProfile, cal: _Calendar, rng: np.random.Generator, followers: np.ndarray,
                 posts: pd.DataFrame, post_day: np.ndarray, ramp: np.ndarray) -> pd.DataFrame:
    n_p = len(PLATFORMS)
    plat = pd.Categorical(posts["platform"], categories=PLATFORMS).codes
    eng = (posts["likes"] + posts["comments"] + posts["shares"] + posts["saves"].fillna(0)).to_numpy()
    own_posts = np.zeros((cal.n, n_p), dtype=np.int64)
    own_eng = np.zeros((cal.n, n_p), dtype=np.int64)
    np.add.at(own_posts, (post_day, plat), 1)
    np.add.at(own_eng, (post_day, plat), eng.astype(np.int64))
    per_post = own_eng.sum(axis=0) / np.maximum(own_posts.sum(axis=0), 1)
    brands = [p.brand] + [c.name for c in p.competitors]
    blocks = {p.brand: (followers, own_posts, own_eng)}
    for c in p.competitors:
        r = ramp if c.name == p.gaining_competitor else np.ones(cal.n)
        jit = rng.uniform(0.7, 1.3, size=(3, n_p))
        f = np.empty((cal.n, n_p), dtype=np.int64)
        posts_n = np.empty((cal.n, n_p), dtype=np.int64)
        e = np.empty((cal.n, n_p), dtype=np.int64)
        for j, name in enumerate(PLATFORMS):
            pp = p.platforms[name]
            gains = rng.poisson(pp.gains_per_day * c.scale * jit[0, j] * r)
            losses = rng.poisson(pp.losses_per_day * c.scale * jit[0, j], size=cal.n)
            f[:, j] = int(pp.followers_start * c.scale * jit[0, j]) + np.cumsum(gains - losses)
            posts_n[:, j] = rng.poisson(pp.posts_per_day * np.sqrt(c.scale) * jit[1, j], size=cal.n)
            # gamma noise per post: the sum over a day's n posts has shape 5 n
            k = 5.0 * np.maximum(posts_n[:, j], 1)
            e[:, j] = rng.poisson(posts_n[:, j] * per_post[j] * c.scale * jit[2, j] * r
                                  * rng.gamma(k, 1.0 / k))
        blocks[c.name] = (np.maximum(f, 0), posts_n, e)
    nb = len(brands)
    return pd.DataFrame({
        "date": np.repeat(cal.days.strftime("%Y-%m-%d").to_numpy(), nb * n_p),
        "brand": np.tile(np.repeat(np.asarray(brands, dtype=object), n_p), cal.n),
        "platform": np.tile(np.asarray(PLATFORMS, dtype=object), cal.n * nb),
        "followers": np.stack([blocks[b][0] for b in brands], axis=1).ravel(),
        "posts": np.stack([blocks[b][1] for b in brands], axis=1).ravel(),
        "engagements": np.stack([blocks[b][2] for b in brands], axis=1).ravel(),
    })


# ---------------------------------------------------------------------------------------------
# web


def _web(p: ClientProfile, cal: _Calendar, rng: np.random.Generator) -> pd.DataFrame:
    aov = _mean_order_value(p)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("sessions", "bounces", "conversions", "revenue")}
    for name in PLATFORMS:
        pp = p.platforms[name]
        sessions = _nb(rng, pp.web_sessions_per_day * cal.season, 20.0)
        bounces = rng.binomial(sessions, pp.web_bounce_rate)
        conv = rng.binomial(sessions - bounces, min(pp.web_conversion_rate / (1 - pp.web_bounce_rate), 1.0))
        revenue = np.where(conv > 0, rng.gamma(np.maximum(conv, 1) * 4.0, aov / 4.0), 0.0)
        cols["sessions"].append(sessions)
        cols["bounces"].append(bounces)
        cols["conversions"].append(conv)
        cols["revenue"].append(np.round(revenue, 2))
    n_p = len(PLATFORMS)
    return pd.DataFrame({
        "date": np.repeat(cal.days.strftime("%Y-%m-%d").to_numpy(), n_p),
        "source": np.tile(np.asarray(PLATFORMS, dtype=object), cal.n),
        **{k: np.stack(v, axis=1).ravel() for k, v in cols.items()},
    })


# ---------------------------------------------------------------------------------------------
# mentions


def _text_pools(p: ClientProfile, brands: list[str], topics: list[str],
                products: dict[str, tuple[str, ...]]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """All texts, and for key ((brand * n_topics) + topic) * 3 + polarity its start and length."""
    templates = texts.TEMPLATES[p.industry_key]
    pool: list[str] = []
    starts, lengths = [], []
    for b in brands:
        for t in topics:
            for pol in texts.POLARITIES:
                filled: list[str] = []
                for tpl in templates[t][pol]:
                    prods = products[t] if "{product}" in tpl else ("",)
                    filled.extend(tpl.format(brand=b, product=x) for x in prods)
                starts.append(len(pool))
                lengths.append(len(filled))
                pool.extend(filled)
    return pa.array(pool, type=pa.string()), np.asarray(starts), np.asarray(lengths)


def _mentions(p: ClientProfile, cal: _Calendar, rng: np.random.Generator, shift_idx: int,
              ramp: np.ndarray) -> tuple[pd.DataFrame, dict[str, Any]]:
    brands = [p.brand] + [c.name for c in p.competitors]
    base = np.array([p.brand_mentions_per_day] + [c.mentions_per_day for c in p.competitors])
    polarity = np.array([p.brand_polarity] + [c.polarity for c in p.competitors])
    nb = len(brands)
    level = np.ones((nb, cal.n))
    level[0, shift_idx:] = p.level_shift.mention_multiplier
    g = brands.index(p.gaining_competitor)
    level[g] *= ramp
    lam = base[:, None] * cal.season[None, :] * level
    counts = _nb(rng, lam, _DAILY_K)
    b_idx = np.repeat(np.repeat(np.arange(nb), cal.n), counts.ravel())
    d_idx = np.repeat(np.tile(np.arange(cal.n), nb), counts.ravel())
    n0 = len(b_idx)
    _, hour_p = _probs(tuple(_MENTION_HOURS))
    local_ns = cal.day_ns[d_idx] + (rng.choice(24, size=n0, p=hour_p) * 3600
                                    + rng.integers(0, 3600, size=n0)) * 10**9
    base_topics, topic_p = _probs(p.topics)
    topics = base_topics + [s.topic for s in p.spikes if s.topic not in base_topics]
    topic_idx = rng.choice(len(base_topics), size=n0, p=topic_p)
    cum = np.cumsum(polarity, axis=1)
    u = rng.random(n0)
    pol_idx = (u[:, None] >= cum[b_idx][:, :2]).sum(axis=1)
    spike_id = np.full(n0, -1)

    # spikes of the client's brand
    spike_truth = []
    parts = {"b": [b_idx], "local": [local_ns], "topic": [topic_idx], "pol": [pol_idx], "spike": [spike_id]}
    for k, s in enumerate(p.spikes):
        start_local = cal.month_start(s.months_before_end) + pd.Timedelta(days=s.day - 1, hours=s.hour)
        day_i = cal.index_of(start_local.normalize())
        expected_daily = float(lam[0, day_i])
        expected_extra = s.magnitude * expected_daily
        m = int(rng.poisson(expected_extra))
        offs = (rng.beta(1.2, 2.5, size=m) * s.duration_hours * 3600).astype(np.int64)
        parts["b"].append(np.zeros(m, dtype=np.int64))
        parts["local"].append(start_local.value + offs * 10**9)
        parts["topic"].append(np.full(m, topics.index(s.topic)))
        parts["pol"].append(rng.choice(3, size=m, p=np.asarray(s.polarity) / sum(s.polarity)))
        parts["spike"].append(np.full(m, k))
        start_utc = _to_utc(np.array([start_local.value]), p.timezone)[0]
        spike_truth.append({
            "label": s.label, "brand": p.brand, "topic": s.topic, "product": s.product,
            "crisis": s.crisis, "sentiment": "negative" if s.crisis else "positive",
            "date": _iso_day(start_local),
            "start_local": start_local.strftime("%Y-%m-%dT%H:%M"),
            "start_utc": start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_utc": (start_utc + pd.Timedelta(hours=s.duration_hours)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_hours": s.duration_hours,
            "magnitude": s.magnitude,
            "brand_expected_mentions_that_day": _r(expected_daily, 3),
            "expected_extra_mentions": _r(expected_extra, 3),
            "extra_mentions": m,
            "polarity_shares": dict(zip(texts.POLARITIES, (float(x) for x in s.polarity), strict=True)),
            "needs_response_rate": s.needs_response_rate,
        })
    b_idx, local_ns, topic_idx, pol_idx, spike_id = (np.concatenate(parts[k]) for k in
                                                      ("b", "local", "topic", "pol", "spike"))
    n = len(b_idx)
    in_spike = spike_id >= 0
    crisis_ids = [k for k, s in enumerate(p.spikes) if s.crisis]
    crisis = np.isin(spike_id, crisis_ids)

    # texts: the spike's product for spike topics, any product otherwise
    products = {t: p.products for t in base_topics}
    for s in p.spikes:
        products[s.topic] = (s.product,) if s.product else p.products
    pool, starts, lengths = _text_pools(p, brands, topics, products)
    key = (b_idx * len(topics) + topic_idx) * 3 + pol_idx
    text_idx = starts[key] + (rng.random(n) * lengths[key]).astype(np.int64)

    # sentiment score from the polarity of the text (crisis mentions are the most negative)
    strength = 0.1 + 0.85 * rng.beta(2.0, 2.0, size=n)
    strength = np.where(crisis & (pol_idx == 2), 0.5 + 0.45 * rng.beta(2.0, 2.0, size=n), strength)
    score = np.select([pol_idx == 0, pol_idx == 2], [strength, -strength],
                      rng.uniform(-0.04, 0.04, size=n))

    src_keys, src_p = _probs(p.mention_sources)
    crisis_keys, crisis_p = _probs(p.crisis_sources)
    sources = list(dict.fromkeys(src_keys + crisis_keys))
    src_map = np.array([sources.index(x) for x in src_keys])
    crisis_map = np.array([sources.index(x) for x in crisis_keys])
    source = src_map[rng.choice(len(src_keys), size=n, p=src_p)]
    source[crisis] = crisis_map[rng.choice(len(crisis_keys), size=int(crisis.sum()), p=crisis_p)]
    median = np.array([_SOURCE_REACH.get(x, 500) for x in sources], dtype=float)[source]
    reach = np.maximum(np.round(median * np.exp(1.2 * rng.standard_normal(n))), 1).astype(np.int64)
    engagements = rng.poisson(reach * 0.012 * rng.gamma(2.0, 0.5, size=n))

    # authors: a pool of fake handles, a few of them very active
    pool_size = 40_000
    handles = rng.choice(900_000, size=pool_size, replace=False) + 100_000
    handle_str = pa.array([f"@user{h}" for h in handles], type=pa.string())
    w = 1.0 / (np.arange(pool_size) + 10.0) ** 0.9
    author = rng.choice(pool_size, size=n, p=w / w.sum())

    # responses: only the client's brand gets questions and complaints addressed to it
    spike_rate = np.array([s.needs_response_rate for s in p.spikes] + [0.0])
    need_p = np.where(in_spike, spike_rate[spike_id], np.array([0.03, 0.12, 0.35])[pol_idx])
    needs = (b_idx == 0) & (rng.random(n) < need_p)
    responded = needs & (rng.random(n) < np.where(crisis, 0.7, 0.9))
    delay_h = np.where(crisis, 9.0, 2.5) * np.exp(np.where(crisis, 0.8, 1.0) * rng.standard_normal(n))
    published = _to_utc(local_ns, p.timezone)
    published_ns = published.asi8
    resp_ns = published_ns + (delay_h * 3600).astype(np.int64) * 10**9
    responded &= resp_ns < cal.end_utc.value

    order = np.argsort(published_ns, kind="stable")
    resp = np.where(responded, resp_ns, np.iinfo(np.int64).min)[order]
    df = pd.DataFrame({
        "mention_id": _ids(f"{p.code}-m", n, 7).to_pandas(),
        "published_at": published[order],
        "source": _take(sources, source[order]),
        "brand": _take(brands, b_idx[order]),
        "topic": _take(topics, topic_idx[order]),
        "sentiment_score": np.round(score[order], 3),
        "text": _take(pool, text_idx[order]),
        "author_id": _take(handle_str, author[order]),
        "reach": reach[order],
        "engagements": engagements[order],
        "needs_response": needs[order],
        "responded_at": pd.DatetimeIndex(resp.view("datetime64[ns]")).tz_localize("UTC"),
    })
    if not p.has_sentiment_score:
        df = df.drop(columns="sentiment_score")
    info = {"spikes": spike_truth, "lam": lam, "counts": counts, "brands": brands,
            "b_idx": b_idx[order], "local_ns": local_ns[order],
            "pol_idx": pol_idx[order], "crisis": crisis[order]}
    return df, info


# ---------------------------------------------------------------------------------------------
# journeys: touchpoints and conversions


def _journeys(p: ClientProfile, cal: _Calendar, rng: np.random.Generator
              ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    jn = p.journeys
    length = 1 + np.minimum(rng.poisson(p.extra_touches_mean, size=jn), 7)
    total = int(length.sum())
    starts = np.cumsum(length) - length
    j_idx = np.repeat(np.arange(jn), length)
    pos = np.arange(total) - starts[j_idx]
    is_last = pos == length[j_idx] - 1
    first_p = np.array([p.first_touch_mix.get(c, 0.0) for c in CHANNELS])
    last_p = np.array([p.last_touch_mix.get(c, 0.0) for c in CHANNELS])
    ch_idx = np.where(is_last, rng.choice(len(CHANNELS), size=total, p=last_p / last_p.sum()),
                      rng.choice(len(CHANNELS), size=total, p=first_p / first_p.sum()))
    driver = CHANNELS.index(p.driver_channel)
    has_driver = np.bincount(j_idx, weights=(ch_idx == driver), minlength=jn) > 0
    p_conv = p.base_conversion_rate * np.where(has_driver, p.driver_multiplier, 1.0)
    converted = rng.random(jn) < p_conv

    # time: earlier touches precede the last one by exponential gaps (mean 2 days), the whole
    # journey within 27 days; the conversion follows the last touch after an exponential delay
    # (mean 6 hours, at most 2 days). The journey's end (its conversion, else its last touch) falls
    # on a day drawn with the seasonal profile among the days that keep the whole journey inside
    # the period.
    gap_s = np.where(is_last, 0.0, rng.exponential(2 * 86_400.0, size=total))
    suffix = np.concatenate([np.cumsum(gap_s[::-1])[::-1], [0.0]])
    offset = suffix[np.arange(total)] - suffix[(starts + length)[j_idx]]
    span = offset[starts]
    scale = np.minimum(1.0, _MAX_JOURNEY_DAYS * 86_400 / np.maximum(span, 1.0))
    offset_s = (offset * scale[j_idx]).astype(np.int64)
    delay_s = np.where(converted, np.minimum(rng.exponential(6 * 3600.0, size=jn), 2 * 86_400), 0)
    delay_s = delay_s.astype(np.int64)
    lo = -(-(offset_s[starts] + delay_s) // 86_400)  # ceil: whole days the journey needs
    cdf = np.concatenate([[0.0], np.cumsum(cal.season)])
    u = cdf[lo] + rng.random(jn) * (cdf[-1] - cdf[lo])
    day = np.clip(np.searchsorted(cdf, u, side="right") - 1, lo, cal.n - 1)
    _, hour_p = _probs(tuple(_MENTION_HOURS))
    end_ns = cal.day_ns[day] + (rng.choice(24, size=jn, p=hour_p) * 3600
                                + rng.integers(0, 3600, size=jn)) * 10**9
    conv_local = end_ns
    touch_local = (end_ns - delay_s * 10**9)[j_idx] - offset_s * 10**9

    touch_utc = _to_utc(touch_local, p.timezone)
    first_utc = touch_utc.asi8[starts]
    rank = np.empty(jn, dtype=np.int64)
    rank[np.argsort(first_utc, kind="stable")] = np.arange(1, jn + 1)
    users = _ids(f"{p.code}-u", jn, 6)
    # order by time, then user, then position; times are whole seconds, so one int64 key is exact
    key = (touch_utc.asi8 // 10**9) * (8 * (jn + 1)) + rank[j_idx] * 8 + pos
    order = np.argsort(key, kind="stable")
    touchpoints = pd.DataFrame({
        "user_id": _take(users, rank[j_idx][order] - 1),
        "timestamp": touch_utc[order],
        "channel": _take(list(CHANNELS), ch_idx[order]),
    })
    cj = np.flatnonzero(converted)
    conv_utc = _to_utc(conv_local[cj], p.timezone)
    value = np.round(p.order_value_median * np.exp(p.order_value_sigma * rng.standard_normal(len(cj))), 2)
    corder = np.lexsort((rank[cj], conv_utc.asi8))
    conversions = pd.DataFrame({
        "user_id": _take(users, rank[cj][corder] - 1),
        "timestamp": conv_utc[corder],
        "value": value[corder],
    })
    presence = {}
    for k, c in enumerate(CHANNELS):
        has = np.bincount(j_idx, weights=(ch_idx == k), minlength=jn) > 0
        presence[c] = {
            "journeys_with": int(has.sum()),
            "conversion_rate_with": _r(converted[has].mean()) if has.any() else None,
            "conversion_rate_without": _r(converted[~has].mean()) if (~has).any() else None,
        }
    info = {
        "journeys": jn, "touchpoints": total, "conversions": int(converted.sum()),
        "conversion_value": _r(float(value.sum()), 2),
        "driver_journeys": int(has_driver.sum()),
        "observed_rate_with_driver": _r(converted[has_driver].mean()),
        "observed_rate_without_driver": _r(converted[~has_driver].mean()),
        "presence": presence,
    }
    return touchpoints, conversions, info


# ---------------------------------------------------------------------------------------------
# surveys


def _surveys(p: ClientProfile, cal: _Calendar, rng: np.random.Generator) -> pd.DataFrame:
    wd = np.asarray(cal.days.day_of_week)
    weekday_w = np.where(wd >= 5, 0.6, 1.16)
    n_c = rng.poisson(p.csat_per_day * weekday_w)
    n_n = rng.poisson(p.nps_per_day * weekday_w)
    day = np.concatenate([np.repeat(np.arange(cal.n), n_c), np.repeat(np.arange(cal.n), n_n)])
    kind = np.concatenate([np.full(int(n_c.sum()), "csat", dtype=object),
                           np.full(int(n_n.sum()), "nps", dtype=object)])
    _, cp = _probs(p.csat_probs)
    _, npp = _probs(p.nps_probs)
    score = np.concatenate([1 + rng.choice(5, size=int(n_c.sum()), p=cp),
                            rng.choice(11, size=int(n_n.sum()), p=npp)])
    order = np.lexsort((kind == "nps", day))
    return pd.DataFrame({
        "response_id": [f"{p.code}-r{i:06d}" for i in range(1, len(day) + 1)],
        "date": cal.days[day[order]].strftime("%Y-%m-%d").to_numpy(),
        "kind": kind[order],
        "score": score[order],
    })


# ---------------------------------------------------------------------------------------------
# parameters


def _params_text(p: ClientProfile, cal: _Calendar, brand_share: float) -> str:
    from ..params import (
        AlertRule,
        AttributionOptions,
        BenchmarkOptions,
        Branding,
        ClientParams,
        Goal,
        ListeningOptions,
        Recipient,
        TrendOptions,
        dump_params,
    )

    end = cal.end_month
    topics = list(p.topics) + [s.topic for s in p.spikes if s.topic not in p.topics]
    keywords = texts.TOPIC_KEYWORDS[p.industry_key]
    params = ClientParams(
        client=p.client, display_name=p.display_name, timezone=p.timezone, currency=p.currency,
        industry=p.industry, language="en", brand=p.brand,
        competitors=[c.name for c in p.competitors], platforms=list(PLATFORMS),
        goals=[
            Goal(kpi="engagement_rate_by_reach", change=0.10, start=(end - 2).start_time.date(),
                 by=(end + 3).end_time.date(), owner="Social media team"),
            Goal(kpi="share_of_voice", target=round(brand_share + 0.03, 2),
                 by=(end + 6).end_time.date(), owner="Brand team"),
            Goal(kpi="roas", target=3.0, by=(end + 3).end_time.date(), owner="Performance team"),
        ],
        recipients=[Recipient(name=a, email=b) for a, b in p.recipients],
        branding=Branding(colour=p.colour),
        trends=TrendOptions(alerts={
            "mentions": AlertRule(threshold=3.5, direction="both", owner="Community team"),
            "negative_share": AlertRule(threshold=3.0, direction="up", owner="Community team"),
        }),
        attribution=AttributionOptions(lookback_days=30, direct_channels=["direct"]),
        listening=ListeningOptions(topics={t: list(keywords[t]) for t in topics}),
        benchmarks=BenchmarkOptions(objective=p.objective),  # type: ignore[arg-type]
    )
    return PARAMS_HEADER + dump_params(params)


# ---------------------------------------------------------------------------------------------
# truth helpers


def _clean_stretches(cal: _Calendar, event_days: list[tuple[int, int, int]], *,
                     min_days: int = 28) -> list[dict[str, Any]]:
    """Runs of at least ``min_days`` days free of planted events and their buffers."""
    busy = np.zeros(cal.n, dtype=bool)
    for first, last, buffer in event_days:
        busy[max(first - buffer, 0): min(last + buffer + 1, cal.n)] = True
    out, i = [], 0
    while i < cal.n:
        if busy[i]:
            i += 1
            continue
        j = i
        while j + 1 < cal.n and not busy[j + 1]:
            j += 1
        if j - i + 1 >= min_days:
            out.append({"start": _iso_day(cal.days[i]), "end": _iso_day(cal.days[j]), "days": j - i + 1})
        i = j + 1
    return out


def _client_truth(p: ClientProfile, cal: _Calendar, shift_idx: int, ramp_start: int,
                  mentions: pd.DataFrame, minfo: dict[str, Any], posts: pd.DataFrame,
                  pinfo: dict[str, Any], jinfo: dict[str, Any], ads: pd.DataFrame,
                  rows: dict[str, int], files: dict[str, str]) -> dict[str, Any]:
    ls = p.level_shift
    shift_day = cal.days[shift_idx]
    gains_before = sum(pp.gains_per_day - pp.losses_per_day for pp in p.platforms.values())
    gains_after = sum(pp.gains_per_day * ls.follower_gain_multiplier - pp.losses_per_day
                      for pp in p.platforms.values())
    # share of voice: weekday/month multipliers are common to all brands and cancel
    brand_after = p.brand_mentions_per_day * ls.mention_multiplier
    others = {c.name: c.mentions_per_day for c in p.competitors}
    g_base = others.pop(p.gaining_competitor)
    rest = brand_after + sum(others.values())
    start_share = g_base / (rest + g_base)
    end_share = g_base * p.sov_growth / (rest + g_base * p.sov_growth)
    local_month = pd.DatetimeIndex(minfo["local_ns"].view("datetime64[ns]")).to_period("M")
    brands = np.asarray(minfo["brands"], dtype=object)[minfo["b_idx"]]
    monthly = pd.crosstab(local_month.astype(str), brands, normalize="index")
    last12 = [str(cal.end_month - k) for k in range(11, -1, -1)]
    observed_sov = {m: _r(monthly.loc[m, p.gaining_competitor], 4) for m in last12}
    brand_sov = {m: _r(monthly.loc[m, p.brand], 4) for m in last12}

    events = [(shift_idx, shift_idx, 21)]
    for s in minfo["spikes"]:
        first = cal.index_of(pd.Timestamp(s["date"]))
        last = first + int(np.ceil((int(s["start_local"][11:13]) + s["duration_hours"]) / 24))
        events.append((first, last, 7))

    # posts: engagements per reach by format (within platform) and by posting hour
    eng = posts["likes"] + posts["comments"] + posts["shares"] + posts["saves"].fillna(0) + posts["clicks"]
    win = posts["content_type"] == p.winning_format
    fmt_obs = {}
    for plat in PLATFORMS:
        m = posts["platform"] == plat
        if (m & win).sum() and (m & ~win).sum():
            fmt_obs[plat] = {
                "posts": int((m & win).sum()),
                "rate": _r(eng[m & win].sum() / posts["reach"][m & win].sum()),
                "other_formats_rate": _r(eng[m & ~win].sum() / posts["reach"][m & ~win].sum()),
            }
    good = np.isin(pinfo["hour_local"], p.good_hours)
    hours_obs = {
        "posts_in_window": int(good.sum()),
        "rate_in_window": _r(eng[good].sum() / posts["reach"][good].sum()),
        "rate_outside_window": _r(eng[~good].sum() / posts["reach"][~good].sum()),
    }
    crisis = next(s for s in minfo["spikes"] if s["crisis"])
    crisis_mask = minfo["crisis"]
    spend = ads.groupby("platform")["spend"].sum()
    hours_label = f"{min(p.good_hours):02d}:00-{max(p.good_hours) + 1:02d}:00"
    return {
        "display_name": p.display_name,
        "industry": p.industry,
        "timezone": p.timezone,
        "currency": p.currency,
        "brand": p.brand,
        "competitors": [c.name for c in p.competitors],
        "period": {"start": _iso_day(cal.days[0]), "end": _iso_day(cal.days[-1]),
                   "note": "local calendar days in the client's time zone, both inclusive"},
        "files": files,
        "rows": rows,
        "mentions_have_sentiment_score": p.has_sentiment_score,
        "seasonality": {
            "series": ["mentions per day (every brand)", "post reach"],
            "weekday_multipliers": dict(zip(WEEKDAYS, (float(x) for x in cal.weekday_mult), strict=True)),
            "month_multipliers": {str(m): float(x) for m, x in enumerate(cal.month_mult, start=1)},
            "note": "multiplicative; expected value = base level x weekday multiplier x month "
                    "multiplier, by the local calendar day",
        },
        "level_shifts": [
            {"series": "brand_mentions_per_day", "brand": p.brand, "date": _iso_day(shift_day),
             "before_level": _r(p.brand_mentions_per_day, 3), "after_level": _r(brand_after, 3),
             "unit": "expected mentions per day before seasonal multipliers", "cause": ls.cause},
            {"series": "followers_net_gain_per_day", "date": _iso_day(shift_day),
             "before_level": _r(gains_before, 3), "after_level": _r(gains_after, 3),
             "unit": "expected net new followers per day, all platforms together (audience table)",
             "by_platform": {k: {"before": _r(v.gains_per_day - v.losses_per_day, 3),
                                 "after": _r(v.gains_per_day * ls.follower_gain_multiplier
                                             - v.losses_per_day, 3)}
                             for k, v in p.platforms.items()},
             "cause": ls.cause},
        ],
        "sentiment_baseline": {
            "note": "expected shares of positive, neutral and negative mentions outside spikes",
            "brands": {b: dict(zip(texts.POLARITIES, (float(x) for x in pol), strict=True))
                       for b, pol in [(p.brand, p.brand_polarity)]
                       + [(c.name, c.polarity) for c in p.competitors]},
        },
        "spikes": minfo["spikes"],
        "crisis": {
            **crisis,
            "mentions": int(crisis_mask.sum()),
            "negative_share": _r((minfo["pol_idx"][crisis_mask] == 2).mean(), 4),
            "baseline_brand_negative_share": p.brand_polarity[2],
            "in_month": crisis["start_local"][:7],
        },
        "clean_stretches": {
            "series": "brand_mentions_per_day",
            "rule": "no spike within 7 days and no level shift within 21 days; at least 28 days",
            "stretches": _clean_stretches(cal, events),
        },
        "content_format": {
            "content_type": p.winning_format, "multiplier": p.format_multiplier,
            "metric": "engagements / reach (ratio of sums); the multiplier applies to every action "
                      "(likes, comments, shares, saves, clicks)",
            "compared_with": "other formats on the same platform",
            "observed": fmt_obs,
        },
        "posting_hours": {
            "hours_local": list(p.good_hours), "window": hours_label,
            "multiplier": p.hour_multiplier, "timezone": p.timezone,
            "metric": "engagements / reach (ratio of sums), every action",
            "observed": hours_obs,
        },
        "conversion_driver": {
            "channel": p.driver_channel, "multiplier": p.driver_multiplier,
            "base_conversion_rate": p.base_conversion_rate,
            "rule": "a journey converts with probability base_conversion_rate x multiplier when it "
                    "contains the channel, else base_conversion_rate; nothing else affects conversion",
            **jinfo,
        },
        "share_of_voice": {
            "competitor": p.gaining_competitor,
            "start": _iso_day(cal.days[ramp_start]), "end": _iso_day(cal.days[-1]),
            "start_share": _r(start_share, 4), "end_share": _r(end_share, 4),
            "growth": p.sov_growth,
            "metric": "the competitor's mentions / mentions of every tracked brand; expected values "
                      "without spikes; the ramp is linear in time",
            "observed_monthly": observed_sov,
            "brand_observed_monthly": brand_sov,
        },
        "ads_spend_by_platform": {k: _r(float(spend.get(k, 0.0)), 2) for k in PLATFORMS},
        "html_escaping_post_id": pinfo.get("html_escaping_post_id"),
    }


# ---------------------------------------------------------------------------------------------
# public entry point


def parse_end_month(end_month: str | None) -> pd.Period:
    """``YYYY-MM`` as a monthly Period; None gives the last complete month in UTC."""
    if end_month is None:
        now = datetime.now(UTC)
        return pd.Period(f"{now.year:04d}-{now.month:02d}", freq="M") - 1
    text = str(end_month).strip()
    if len(text) != 7 or text[4] != "-":
        raise ParameterError(f"--end-month must be YYYY-MM (got {end_month!r})")
    try:
        return pd.Period(text, freq="M")
    except (ValueError, TypeError):
        raise ParameterError(f"--end-month must be YYYY-MM (got {end_month!r})") from None


def check_can_write(root: Path) -> None:
    """Refuse to overwrite files that `kpi demo` did not write (a real client's data or parameters)."""
    for p in PROFILES:
        cdir = root / "data" / p.client
        if cdir.is_dir() and any(cdir.iterdir()) and not (cdir / MARKER).is_file():
            raise DataValidationError(
                str(cdir), "exists and was not written by `kpi demo` (no .kpi-demo marker); "
                "refusing to overwrite it — move it away or use another --root")
        pfile = root / "parameters" / f"{p.client}.yaml"
        if pfile.is_file() and not pfile.read_text(encoding="utf-8").startswith(PARAMS_HEADER):
            raise ParameterError(
                f"{pfile}: exists and was not written by `kpi demo`; refusing to overwrite it — "
                "move it away or use another --root")
    ddir = root / "data" / "demo"
    if ddir.is_dir():
        other = sorted(x.name for x in ddir.iterdir() if x.name not in {"TRUTH.json", MARKER})
        if other:
            raise DataValidationError(
                str(ddir), f"holds files that `kpi demo` did not write ({', '.join(other[:3])}); "
                "refusing to write the demo truth file there")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)


def generate_client(root: Path, profile: ClientProfile, *, end_month: pd.Period, seed: int,
                    client_index: int) -> dict[str, Any]:
    """Write one demo client's tables and parameter file; return its truth."""
    cal = _calendar(profile, end_month)
    shift_day = cal.month_start(profile.level_shift.months_before_end) \
        + pd.Timedelta(days=profile.level_shift.day - 1)
    shift_idx = cal.index_of(shift_day)
    ramp_start = cal.index_of(cal.month_start(11))
    ramp = 1.0 + (profile.sov_growth - 1.0) * np.clip(
        (np.arange(cal.n) - ramp_start) / (cal.n - 1 - ramp_start), 0.0, 1.0)

    audience, followers = _audience(profile, cal, _rng(seed, client_index, _S_AUDIENCE), shift_idx)
    ads, active = _ads(profile, cal, _rng(seed, client_index, _S_ADS))
    posts, pinfo = _posts(profile, cal, _rng(seed, client_index, _S_POSTS), followers, active)
    competitors = _competitors(profile, cal, _rng(seed, client_index, _S_COMPETITORS), followers,
                               posts, pinfo["day"], ramp)
    web = _web(profile, cal, _rng(seed, client_index, _S_WEB))
    mentions, minfo = _mentions(profile, cal, _rng(seed, client_index, _S_MENTIONS), shift_idx, ramp)
    touchpoints, conversions, jinfo = _journeys(profile, cal, _rng(seed, client_index, _S_JOURNEYS))
    surveys = _surveys(profile, cal, _rng(seed, client_index, _S_SURVEYS))

    tables = {"posts": posts, "audience": audience, "ads": ads, "web": web,
              "competitors": competitors, "surveys": surveys, "mentions": mentions,
              "touchpoints": touchpoints, "conversions": conversions}
    cdir = root / "data" / profile.client
    cdir.mkdir(parents=True, exist_ok=True)
    _write_text(cdir / MARKER, MARKER_TEXT)
    files, rows = {}, {}
    for name, df in tables.items():
        write_table(df, cdir / TABLE_FILES[name])
        files[name] = f"data/{profile.client}/{TABLE_FILES[name]}"
        rows[name] = len(df)
    brand_share = float((mentions["brand"] == profile.brand).mean())
    _write_text(root / "parameters" / f"{profile.client}.yaml", _params_text(profile, cal, brand_share))
    files["parameters"] = f"parameters/{profile.client}.yaml"
    return _client_truth(profile, cal, shift_idx, ramp_start, mentions, minfo, posts, pinfo, jinfo,
                         ads, rows, files)


def generate(root: str | Path, *, end_month: str | None = None, seed: int = 42) -> dict[str, Any]:
    """Write the demo data set and return its truth.

    Writes ``root/data/<client>/<table>.csv|.parquet`` for the three demo clients
    (``demo-lumiere``, ``demo-trailhead``, ``demo-ledgerly``), ``root/parameters/<client>.yaml`` and
    ``root/data/demo/TRUTH.json`` with every planted signal. Deterministic: the same ``seed`` and
    ``end_month`` give byte-identical files.

    Parameters
    ----------
    root
        Folder that receives ``data/`` and ``parameters/``.
    end_month
        Last month of the data, ``YYYY-MM``; the data covers the 24 months ending with it.
        Default: the last complete month in UTC.
    seed
        Seed of every random stream.

    Returns
    -------
    dict
        The truth written to ``data/demo/TRUTH.json``.

    Raises
    ------
    ParameterError
        ``end_month`` is not ``YYYY-MM``, or a parameter file of a demo client id exists and was
        not written by `kpi demo`.
    DataValidationError
        A data folder of a demo client id exists and was not written by `kpi demo`.

    References
    ----------
    Hilbe, J. M. (2011). *Negative Binomial Regression*, 2nd ed. Cambridge University Press
    (gamma-Poisson counts).
    """
    root = Path(root)
    period = parse_end_month(end_month)
    check_can_write(root)
    truth: dict[str, Any] = {
        "generator": {"name": "kpi_toolkit.demo", "seed": seed, "end_month": str(period),
                      "months": 24, "truth_version": 1},
        "clients": {},
    }
    for i, profile in enumerate(PROFILES):
        truth["clients"][profile.client] = generate_client(root, profile, end_month=period, seed=seed,
                                                           client_index=i)
    _write_text(root / "data" / "demo" / "TRUTH.json",
                json.dumps(truth, indent=2, ensure_ascii=False) + "\n")
    return truth
