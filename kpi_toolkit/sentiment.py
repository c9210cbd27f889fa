"""Social listening: privacy, sentiment, topics, alerts and response times of mentions.

Functions take the canonical ``mentions`` table (see :mod:`kpi_toolkit.schema`) and return tidy
frames. The usual order in a notebook or a report view::

    m = privacy_safe(ctx.data.mentions)              # pseudonymised authors, masked @handles
    m = add_sentiment(m, thresholds=opts.sentiment_thresholds, topic_thresholds=opts.topic_thresholds)
    tags = tag_topics(m, opts.topics)                 # mention_id -> topic (long)
    by_topic = sentiment_by_topic(m, tags, ...)       # mentions by topic and sentiment
    alerts = listening_alerts(m, ...)                 # volume / negative spikes (trends detector)
    resp = response_metrics(m, ...)                   # response rate and median response time

Privacy
-------
Author ids are replaced by a keyed hash (HMAC-SHA256, truncated to 64 bits) before anything reaches a
notebook output or a report. The key ("salt") comes from the environment variable
``KPI_PSEUDONYM_SALT``. When it is unset the toolkit does not refuse: it draws a random salt once per
process, so raw handles still never appear, but the same author gets a different pseudonym in each
run. That is a message for whoever runs the reports, not for the client: it is logged once per process
as a warning on this module's logger (:func:`salt_note` has the text) and never put in a report's
sentences or caveats. Text shown in a report has its @handles and e-mail addresses masked by
:func:`mask_handles`.

Sentiment
---------
A ``sentiment_score`` from the listening tool is used when the data has one (and
``listening.use_provided_scores`` is true); missing scores, or all scores when there are none, come
from VADER's compound score of the English text (Hutto & Gilbert 2014). Each row says which in
``sentiment_method`` ("provided" or "vader"). Scores become labels with cut-offs that can be set per
topic (:class:`kpi_toolkit.params.SentimentThresholds`).

References
----------
.. [1] Hutto, C. J. & Gilbert, E. (2014). VADER: A Parsimonious Rule-based Model for Sentiment
   Analysis of Social Media Text. Proceedings of ICWSM-14. (Compound score and the +/-0.05 cut-offs:
   https://github.com/cjhutto/vaderSentiment#about-the-scoring)
.. [2] Krawczyk, H., Bellare, M. & Canetti, R. (1997). HMAC: Keyed-Hashing for Message
   Authentication. RFC 2104. Truncation of HMAC output: NIST SP 800-107 Rev. 1 (2012), section 5.3.
.. [3] European Data Protection Board (2025). Guidelines 01/2025 on Pseudonymisation (keyed hashes
   with a secret kept apart from the data).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import DataValidationError, KpiToolkitError, NoDataError

SALT_ENV = "KPI_PSEUDONYM_SALT"
"""Environment variable holding the pseudonymisation key (any string; keep it out of the repo)."""

PSEUDONYM_HEX_CHARS = 16
"""Pseudonyms keep 16 hex digits (64 bits) of the HMAC: collisions are negligible below ~10^8 authors."""

VADER_NEGATIVE = -0.05
VADER_POSITIVE = 0.05
"""VADER's published cut-offs for its compound score [1]_."""

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

_PROCESS_SALT: bytes | None = None

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# Privacy
# --------------------------------------------------------------------------------------------------

def _salt(salt: str | bytes | None) -> bytes:
    global _PROCESS_SALT
    if salt is None:
        salt = os.environ.get(SALT_ENV) or None
    if salt is None:
        if _PROCESS_SALT is None:
            _PROCESS_SALT = secrets.token_bytes(32)
            logger.warning(salt_note())
        return _PROCESS_SALT
    return salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)


def salt_is_from_environment() -> bool:
    """True when ``KPI_PSEUDONYM_SALT`` is set (pseudonyms are stable across runs)."""
    return bool(os.environ.get(SALT_ENV))


def salt_note() -> str | None:
    """The operator's message when the salt is a per-process random one, else None.

    Logged as a warning (this module's logger) when the random salt is drawn, once per process.
    It names an environment variable, so it is for whoever runs the reports and never goes into a
    report's sentences or caveats: the client's privacy is the same either way.
    """
    if salt_is_from_environment():
        return None
    return (f"{SALT_ENV} is not set: author ids are pseudonymised with a random key for this process "
            "only, so the same author gets a different pseudonym in each run. Set it (the same value "
            "on every machine that runs reports) to recognise repeat authors across months.")


def pseudonymise(ids: pd.Series | Iterable[Any], *, salt: str | bytes | None = None,
                 prefix: str = "a_") -> pd.Series:
    """Replace ids by keyed hashes: ``a_`` + the first 16 hex digits of HMAC-SHA256(salt, id).

    Parameters
    ----------
    ids
        Author ids or handles (a Series keeps its index; other iterables get a RangeIndex).
        Missing values stay missing.
    salt
        The secret key. Default: the environment variable ``KPI_PSEUDONYM_SALT``; when that is unset,
        a random key drawn once per process (pseudonyms then differ between runs; a warning with
        :func:`salt_note` is logged).
    prefix
        Put in front of the hash so a pseudonym is recognisable as one. A value that already is a
        pseudonym (``prefix`` + 16 hex digits) is kept, so pseudonymising twice changes nothing.

    Returns
    -------
    pandas.Series
        String dtype, same index and name as ``ids``.

    References
    ----------
    .. [1] RFC 2104 (HMAC); NIST SP 800-107 Rev. 1, section 5.3 (truncated HMAC output).
    """
    s = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype="object")
    key = _salt(salt)
    present = s.notna()
    uniq = pd.unique(s[present].astype(str))
    done = re.compile(re.escape(prefix) + f"[0-9a-f]{{{PSEUDONYM_HEX_CHARS}}}")
    table = {u: u if done.fullmatch(u) else
             prefix + hmac.new(key, u.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]
             for u in uniq}
    return _fill_present(s, present, s[present].astype(str).map(table))


_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"  # combining accents
_AT = "[@\uff20\ufe6b][\u200b-\u200d\u2060\ufeff]*"  # '@', the full-width '＠' (CJK keyboards) or the
# small '﹫', and any zero-width characters typed (or pasted) after it
_HANDLE_BODY = f"[\\w{_MARKS}](?:[\\w.\\-{_MARKS}]{{0,62}}[\\w{_MARKS}])?"
_PROFILE_SITES = (r"(?:x|twitter|instagram|tiktok|facebook|threads|youtube)\.(?:com|net)/@?"
                  r"|linkedin\.com/in/|reddit\.com/u(?:ser)?/")
_MASK = re.compile(
    # a link to a person's profile ('https://x.com/jane_doe', 'instagram.com/jane.doe')
    f"(?P<profile>(?:https?://)?(?:www\\.|m\\.)?(?:{_PROFILE_SITES})[\\w.\\-{_MARKS}]+)"
    # 'RT@jane' (a retweet: the handle glued to RT, as Twitter reads it)
    f"|(?P<rt>(?<![\\w+~.-])(?:RT|rt|Rt|rT):?){_AT}{_HANDLE_BODY}"
    # an e-mail address, also without a dot in its domain ('me@home')
    f"|(?P<email>(?<![\\w.+-])[.+-]*\\w[\\w.+-]*{_AT}[\\w-]+(?:\\.[\\w-]+)*)"
    # a handle: not glued to a word ('.@jane' is a handle, 'me@home' an address)
    f"|(?<!\\w){_AT}{_HANDLE_BODY}"
    # a Reddit user name ('u/jane_doe')
    f"|(?P<reddit>(?<![\\w/])/?u/[\\w\\-]{{3,20}})")
"""@handles, profile links, Reddit names and e-mail addresses, one pass, leftmost first. A handle is
what Twitter/X, Instagram and TikTok allow and more: Unicode letters (accents written as combining
marks too), digits, underscores, dots and hyphens inside (not at the end, where a dot ends the
sentence), up to 64 characters."""


def _mask_match(m: re.Match[str]) -> str:
    if m.group("email") is not None:
        return "[email]"
    if m.group("profile") is not None:
        return "[profile link]"
    if m.group("reddit") is not None:
        return "u/user"
    rt = m.group("rt")
    return f"{rt}@user" if rt is not None else "@user"


def _mask_one(text: str) -> str:
    return _MASK.sub(_mask_match, text)


def mask_handles(text: pd.Series | str | None) -> pd.Series | str | None:
    """Replace ``@handles`` with ``@user`` and e-mail addresses with ``[email]``.

    A handle may hold Unicode letters, digits, underscores, dots and hyphens (``@Jürgen_K``,
    ``@jane.doe``, ``@jane-doe``), start with the full-width ``＠`` or the small ``﹫`` (zero-width
    characters after it are ignored) and follow a ``.`` (``.@jane``) or a retweet's ``RT``
    (``RT@jane``), which are kept. An ``@`` glued to a word is an address (``me@home``, ``a.b@x.com``),
    masked as ``[email]``. A link to a person's profile (``https://x.com/jane_doe``,
    ``instagram.com/jane.doe``, ``linkedin.com/in/jane``) becomes ``[profile link]`` and a Reddit name
    (``u/jane_doe``) ``u/user``. Works on one string or a Series (computed once per unique text). Missing
    values stay missing.
    """
    if text is None or isinstance(text, str):
        return None if text is None else _mask_one(text)
    present = text.notna()
    uniq = pd.unique(text[present].astype(str))
    table = {u: _mask_one(u) for u in uniq}
    return _fill_present(text, present, text[present].astype(str).map(table))


def _fill_present(s: pd.Series, present: pd.Series, values: pd.Series) -> pd.Series:
    """A text Series like ``s``: ``values`` where ``present``, missing elsewhere (built without a
    Python object per row, which matters when most of millions of rows are missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = present.to_numpy(dtype=bool)
    arr = pc.replace_with_mask(pa.nulls(len(s), pa.large_string()), pa.array(mask),
                               pa.array(values.to_numpy(dtype=object), pa.large_string()))
    return pd.Series(pd.array(arr, dtype="string"), index=s.index, name=s.name)


def privacy_safe(mentions: pd.DataFrame, *, salt: str | bytes | None = None) -> pd.DataFrame:
    """A copy of ``mentions`` with ``author_id`` pseudonymised and handles masked in ``text``.

    Call this before a mention frame is displayed or handed to a report view. Idempotent: existing
    pseudonyms are kept and masking twice changes nothing.
    """
    out = mentions.copy(deep=False)  # copy-on-write: the columns replaced below are new, the rest shared
    if "author_id" in out.columns:
        out["author_id"] = pseudonymise(out["author_id"], salt=salt)
    if "text" in out.columns:
        out["text"] = mask_handles(out["text"])
    return out


# --------------------------------------------------------------------------------------------------
# Sentiment
# --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score_text(texts: pd.Series | Iterable[Any]) -> pd.Series:
    """VADER compound sentiment of English text, in [-1, 1]; NaN for missing or blank text.

    Each distinct text is scored once (exports repeat retweets and templates), so 100k mentions
    with the usual repetition take seconds.

    References
    ----------
    .. [1] Hutto & Gilbert (2014), VADER, ICWSM-14; compound score as in the vaderSentiment package.
    """
    s = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="object")
    clean = s.astype("object").where(s.notna(), None)
    keep = clean.map(lambda t: isinstance(t, str) and t.strip() != "")
    uniq = pd.unique(clean[keep])
    analyzer = _vader() if len(uniq) else None
    table = {t: analyzer.polarity_scores(t)["compound"] for t in uniq} if analyzer else {}
    scores = clean[keep].map(table)
    out = pd.Series(np.nan, index=s.index, dtype="float64", name="sentiment_score")
    out.loc[keep] = scores.astype("float64")
    return out


def _cuts(thresholds: Any) -> tuple[float, float]:
    if thresholds is None:
        return VADER_NEGATIVE, VADER_POSITIVE
    if isinstance(thresholds, Mapping):
        return float(thresholds["negative"]), float(thresholds["positive"])
    return float(thresholds.negative), float(thresholds.positive)


def label_sentiment(scores: pd.Series, *, negative: float = VADER_NEGATIVE,
                    positive: float = VADER_POSITIVE) -> pd.Series:
    """Label scores: ``<= negative`` negative, ``>= positive`` positive, else neutral; NaN stays NA.

    References
    ----------
    .. [1] Hutto & Gilbert (2014): compound >= 0.05 positive, <= -0.05 negative, else neutral.
    """
    if negative >= positive:
        from .exceptions import ParameterError

        raise ParameterError(f"sentiment thresholds: negative ({negative}) must be below positive ({positive})")
    v = scores.to_numpy(dtype="float64", na_value=np.nan)
    codes = np.where(v <= negative, 0, np.where(v >= positive, 2, 1)).astype(np.int8)
    codes[np.isnan(v)] = -1
    return _texts(codes, ("negative", "neutral", "positive"), scores.index, "sentiment_label")


def _texts(codes: np.ndarray, values: Sequence[str], index: pd.Index, name: str) -> pd.Series:
    """``values[codes]`` (missing where a code is -1) as a text Series, built in Arrow: millions of
    labels cost a few bytes each, not a Python object each."""
    import pyarrow as pa

    arr = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), pa.array(list(values), pa.string()))
    return pd.Series(pd.array(arr.cast(pa.large_string()), dtype="string"), index=index, name=name)


def add_sentiment(mentions: pd.DataFrame, *, thresholds: Any = None,
                  topic_thresholds: Mapping[str, Any] | None = None, use_provided: bool = True,
                  text_col: str = "text") -> pd.DataFrame:
    """A copy of ``mentions`` with ``sentiment_score``, ``sentiment_label`` and ``sentiment_method``.

    Parameters
    ----------
    mentions
        The mentions table. Uses ``sentiment_score`` where present and not missing (when
        ``use_provided``), otherwise VADER on ``text_col``.
    thresholds
        Cut-offs (a :class:`~kpi_toolkit.params.SentimentThresholds` or a mapping with ``negative``
        and ``positive``); default VADER's -0.05 / 0.05.
    topic_thresholds
        Topic -> cut-offs, applied to rows whose ``topic`` column equals that topic (keyword-family
        topics are labelled per topic in :func:`sentiment_by_topic`).

    Returns
    -------
    pandas.DataFrame
        ``sentiment_method`` is "provided", "vader", or missing when there was neither a score nor
        text (then score and label are missing too).

    Raises
    ------
    DataValidationError
        When there are no provided scores and no text column to score.

    References
    ----------
    .. [1] Hutto & Gilbert (2014), VADER, ICWSM-14.
    """
    out = mentions.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    if "sentiment_score" in out.columns and use_provided:
        provided = pd.to_numeric(out["sentiment_score"], errors="coerce").astype("float64")
    else:
        provided = pd.Series(np.nan, index=out.index, dtype="float64")
    need = provided.isna()
    method = np.where(need, -1, 0).astype(np.int8)  # codes of ("provided", "vader")
    score = provided.copy()
    if need.any() and text_col in out.columns:
        score.loc[need] = score_text(out.loc[need, text_col])
        method[(need & score.notna()).to_numpy(dtype=bool)] = 1
    elif need.all() and len(out):
        raise DataValidationError(
            "mentions", f"no sentiment_score and no '{text_col}' column to score with VADER",
            column=text_col)
    out["sentiment_score"] = score
    neg, pos = _cuts(thresholds)
    labels = label_sentiment(score, negative=neg, positive=pos)
    if topic_thresholds and "topic" in out.columns:
        for topic, th in topic_thresholds.items():
            rows = (out["topic"] == topic).fillna(False).to_numpy(dtype=bool)
            if rows.any():
                tn, tp = _cuts(th)
                labels.loc[rows] = label_sentiment(score[rows], negative=tn, positive=tp)
    out["sentiment_label"] = labels
    out["sentiment_method"] = _texts(method, ("provided", "vader"), out.index, "sentiment_method")
    return out


def sentiment_method_sentence(mentions: pd.DataFrame) -> str:
    """Say in words where the sentiment came from (after :func:`add_sentiment`)."""
    m = mentions.get("sentiment_method")
    if m is None or m.notna().sum() == 0:
        return "No sentiment could be measured (no scores and no text)."
    counts = m.value_counts()
    n_prov, n_vader = int(counts.get("provided", 0)), int(counts.get("vader", 0))
    if n_vader == 0:
        return "Sentiment is the listening tool's own score."
    if n_prov == 0:
        return ("Sentiment was scored from the text with VADER, a rule-based English sentiment model "
                "(Hutto & Gilbert 2014).")
    share = n_vader / (n_prov + n_vader)
    return (f"Sentiment is the listening tool's score; {share:.0%} of mentions had none and were scored "
            "from their text with VADER (Hutto & Gilbert 2014).").replace("%", " %")


# --------------------------------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------------------------------

def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    parts = []
    for kw in keywords:
        kw = str(kw).strip()
        if not kw:
            continue
        body = r"\s+".join(re.escape(w) for w in kw.lstrip("#").split())
        parts.append(("#" if kw.startswith("#") else "#?") + body)
    if not parts:
        return None
    return re.compile(r"(?<![\w#@])(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def tag_topics(mentions: pd.DataFrame, topics: Mapping[str, Sequence[str]] | None, *,
               text_col: str = "text", id_col: str = "mention_id",
               untagged: str = "other") -> pd.DataFrame:
    """Which topics each mention belongs to, as a long table ``[mention_id, topic, matched_by]``.

    A mention belongs to a keyword family when its text contains one of the family's keywords as a
    whole word or hashtag (case-insensitive; ``"glow"`` matches "Glow" and "#glow", not "glowing";
    a keyword written ``"#glowup"`` matches only the hashtag). The data's own ``topic`` column, when
    present, adds its value (``matched_by`` "data"). A mention can belong to several topics, so
    counts by topic can add up to more than the number of mentions. Mentions matching nothing get
    ``untagged``.
    """
    if id_col not in mentions.columns:
        raise DataValidationError("mentions", "missing the id column", column=id_col)
    ids = mentions[id_col]
    frames: list[pd.DataFrame] = []
    if "topic" in mentions.columns:
        t = mentions["topic"]
        ok = t.notna() & (t.astype("string").str.strip() != "")
        if ok.any():
            frames.append(pd.DataFrame({"mention_id": ids[ok].to_numpy(),
                                        "topic": t[ok].astype(str).to_numpy(), "matched_by": "data"}))
    if topics and text_col in mentions.columns:
        text = mentions[text_col]
        present = text.notna()
        uniq = pd.unique(text[present].astype(str))
        for topic, kws in topics.items():
            pat = _keyword_pattern(kws)
            if pat is None:
                continue
            hit = {u for u in uniq if pat.search(u)}
            if not hit:
                continue
            rows = present & text.astype("object").isin(hit)
            frames.append(pd.DataFrame({"mention_id": ids[rows].to_numpy(), "topic": topic,
                                        "matched_by": "keywords"}))
    tags = (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame({"mention_id": [], "topic": [], "matched_by": []}))
    tags = tags.drop_duplicates(["mention_id", "topic"], keep="first")
    rest = ~ids.isin(tags["mention_id"])
    if rest.any():
        tags = pd.concat([tags, pd.DataFrame({"mention_id": ids[rest].to_numpy(), "topic": untagged,
                                              "matched_by": "none"})], ignore_index=True)
    return tags.astype({"mention_id": "string", "topic": "string", "matched_by": "string"}).reset_index(drop=True)


def _label_counts(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    counts = (df.assign(_n=1).pivot_table(index=by, columns="sentiment_label", values="_n", aggfunc="sum",
                                           fill_value=0, observed=True, dropna=False)
              if len(df) else pd.DataFrame(columns=list(LABELS)))
    counts = counts.reindex(columns=list(LABELS), fill_value=0)
    counts.columns.name = None
    total = df.groupby(by, observed=True, dropna=False).size().rename("mentions") if len(df) else None
    out = counts.join(total) if total is not None else counts.assign(mentions=0)
    out = out.reset_index() if total is not None else out
    scored = out[list(LABELS)].sum(axis=1)
    out["scored"] = scored.astype("int64")
    for lab in LABELS:
        out[lab] = out[lab].astype("int64")
        out[f"{lab}_share"] = (out[lab] / scored.where(scored > 0)).astype("float64")
    out["mentions"] = out["mentions"].astype("int64")
    return out[[*by, "mentions", "scored", *LABELS, *(f"{lab}_share" for lab in LABELS)]]


def sentiment_by(mentions: pd.DataFrame, *, by: Sequence[str] = ("source",)) -> pd.DataFrame:
    """Mentions and their sentiment per group (after :func:`add_sentiment`).

    Returns ``by`` + ``mentions``, ``scored`` (mentions with a label), counts ``negative``,
    ``neutral``, ``positive`` and the shares ``negative_share`` … = count / scored (NaN when nothing
    was scored).
    """
    _require(mentions, ["sentiment_label", *by])
    return _label_counts(mentions, list(by))


def sentiment_by_topic(mentions: pd.DataFrame, tags: pd.DataFrame, *, thresholds: Any = None,
                       topic_thresholds: Mapping[str, Any] | None = None,
                       by: Sequence[str] = ()) -> pd.DataFrame:
    """Mentions by topic and sentiment, each topic labelled with its own cut-offs.

    ``mentions`` must have ``sentiment_score`` (see :func:`add_sentiment`); ``tags`` comes from
    :func:`tag_topics`. A score is labelled with ``topic_thresholds[topic]`` when given, else
    ``thresholds``. Returns ``topic`` + ``by`` + the columns of :func:`sentiment_by`.
    """
    _require(mentions, ["mention_id", "sentiment_score", *by])
    cols = ["mention_id", "sentiment_score", *by]
    df = tags[["mention_id", "topic"]].merge(mentions[cols], on="mention_id", how="inner")
    neg, pos = _cuts(thresholds)
    labels = label_sentiment(df["sentiment_score"], negative=neg, positive=pos)
    for topic, th in (topic_thresholds or {}).items():
        rows = (df["topic"] == topic).to_numpy(dtype=bool)
        if rows.any():
            tn, tp = _cuts(th)
            labels.loc[rows] = label_sentiment(df.loc[rows, "sentiment_score"], negative=tn, positive=tp)
    df["sentiment_label"] = labels
    out = _label_counts(df, ["topic", *by])
    return out.sort_values(["mentions", "topic"], ascending=[False, True], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Alerts (reusing the trends detector)
# --------------------------------------------------------------------------------------------------

ALERT_SERIES: tuple[str, ...] = ("mentions", "negative_mentions", "negative_share")
"""Daily series that can be watched for spikes: the brand's mentions, its negative mentions and the
negative share of its scored mentions."""


def alert_series(rules: Mapping[str, Any] | None) -> list[str]:
    """The series to watch: ``mentions``, plus the negative series that ``trends.alerts`` configures
    (``negative_mentions`` and/or ``negative_share``), else ``negative_mentions``."""
    chosen = ["mentions"] + [s for s in ALERT_SERIES[1:] if s in (rules or {})]
    return chosen if len(chosen) > 1 else ["mentions", "negative_mentions"]


def daily_listening(mentions: pd.DataFrame, *, tz: str = "UTC", brand: str | None = None,
                    start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Daily counts ``[date, mentions, negative_mentions, negative_share]`` in the client's time zone.

    Days without mentions are present with zeros (``negative_share`` NaN). ``start``/``end`` (tz-aware,
    half-open) bound the range; default: the first to the last mention.
    """
    _require(mentions, ["published_at", *(["brand"] if brand else [])])
    m = mentions if brand is None else mentions[mentions["brand"] == brand]
    local = m["published_at"].dt.tz_convert(tz) if m["published_at"].dt.tz is not None else m["published_at"]
    day = local.dt.tz_localize(None).dt.normalize() if local.dt.tz is not None else local.dt.normalize()
    neg = (m["sentiment_label"] == "negative").fillna(False) if "sentiment_label" in m.columns else None
    frame = pd.DataFrame({"date": day, "negative": neg if neg is not None else False})
    g = frame.groupby("date")
    daily = pd.DataFrame({"mentions": g.size(), "negative_mentions": g["negative"].sum()})
    lo = (pd.Timestamp(start).tz_convert(tz).tz_localize(None).normalize() if start is not None
          else (daily.index.min() if len(daily) else None))
    hi = ((pd.Timestamp(end).tz_convert(tz).tz_localize(None) - pd.Timedelta(1, "ns")).normalize()
          if end is not None else (daily.index.max() if len(daily) else None))
    if lo is None or hi is None:
        return pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "mentions": [],
                             "negative_mentions": [], "negative_share": []})
    idx = pd.date_range(lo, hi, freq="D", name="date")
    daily = daily.reindex(idx, fill_value=0).astype("int64")
    daily["negative_share"] = daily["negative_mentions"] / daily["mentions"].where(daily["mentions"] > 0)
    if neg is None:
        daily["negative_mentions"] = pd.NA
    return daily.reset_index()


def _alert_rows(found: pd.DataFrame, name: str, lo: pd.Timestamp, hi: pd.Timestamp, *, owner: Any,
                tz: str = "UTC") -> list[dict[str, Any]]:
    """The alert days of one :func:`~kpi_toolkit.trends.detect_anomalies` result between the naive local
    days ``lo`` (included) and ``hi`` (excluded), as rows of the listening alerts table."""
    hits = found[found["is_anomaly"].astype(bool)]
    ts = pd.DatetimeIndex(hits["timestamp"])
    if ts.tz is not None:
        ts = ts.tz_convert(tz).tz_localize(None)
    day = ts.normalize()
    keep = np.asarray((day >= lo) & (day < hi), dtype=bool)
    return [{"series": name, "date": d, "value": float(r.value), "expected": float(r.expected),
             "score": float(r.score), "direction": "spike" if r.value >= r.expected else "dip", "owner": owner}
            for d, r in zip(day[keep], hits[keep].itertuples(index=False), strict=True)]


def listening_alerts(mentions: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp, tz: str = "UTC",
                     brand: str | None = None, rules: Mapping[str, Any] | None = None,
                     default_rule: Any = None, history_days: int = 365,
                     series: Sequence[str] | None = None) -> pd.DataFrame:
    """Spikes in mention volume and negative sentiment between ``start`` and ``end``.

    Builds daily series (:func:`daily_listening`) over ``history_days`` before ``end`` and hands each
    to :func:`kpi_toolkit.trends.detect_anomalies` (the toolkit's one anomaly detector: robust
    z-scores against a seasonal baseline). A series with a rule in ``rules`` (``trends.alerts`` of
    the parameters, keyed ``mentions``, ``negative_mentions`` or ``negative_share``) uses its
    threshold, direction and owner; otherwise ``default_rule``'s threshold and owner, watching for
    spikes only. ``series`` defaults to :func:`alert_series` of ``rules``.

    Returns
    -------
    pandas.DataFrame
        One row per alert day inside ``[start, end)``: ``series``, ``date``, ``value``, ``expected``,
        ``score``, ``direction`` ("spike" or "dip"), ``owner``; sorted by date.

    References
    ----------
    .. [1] See :func:`kpi_toolkit.trends.detect_anomalies` for the method and its sources.
    """
    from .trends import detect_anomalies

    hist_start = pd.Timestamp(end) - pd.Timedelta(days=history_days)
    daily = daily_listening(mentions, tz=tz, brand=brand, start=hist_start, end=end)
    cols = ["series", "date", "value", "expected", "score", "direction", "owner"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    lo = pd.Timestamp(start).tz_convert(tz).tz_localize(None)
    hi = pd.Timestamp(end).tz_convert(tz).tz_localize(None)
    rows = []
    for name in (alert_series(rules) if series is None else series):
        if name not in daily.columns or daily[name].isna().all():
            continue
        own_rule = (rules or {}).get(name)
        rule = own_rule if own_rule is not None else default_rule
        threshold = float(getattr(rule, "threshold", 3.5))
        direction = getattr(own_rule, "direction", "up") if own_rule is not None else "up"
        owner = getattr(rule, "owner", None)
        s = pd.Series(daily[name].to_numpy(dtype="float64"), index=pd.DatetimeIndex(daily["date"]), name=name)
        found = detect_anomalies(s, freq="D", threshold=threshold, direction=direction)
        rows += _alert_rows(found, name, lo, hi, owner=owner, tz=tz)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["date", "series"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Response
# --------------------------------------------------------------------------------------------------

def response_metrics(mentions: pd.DataFrame, *, by: Sequence[str] = (),
                     as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Response rate and response time to mentions that need an answer.

    ``response_rate`` (answered / needing a response) and ``median_response_hours`` (median of
    ``responded_at - published_at`` over the answered ones) are the KPI registry's
    ``response_rate`` and ``median_response_time_hours`` (:mod:`kpi_toolkit.kpis`), per group of
    ``by``; this function adds the 90th percentile and the data check. A response stamped before
    its mention is a data error (the loader refuses a mentions file with one,
    :data:`kpi_toolkit.schema.ORDER_CHECKS`); in a frame that did not come through the loader it is
    counted in ``invalid_response_times`` and its mention is left out of every measure. ``as_of`` (tz-aware) ignores responses made after it; default: every
    response in the data.

    Returns
    -------
    pandas.DataFrame
        ``by`` + ``needing_response``, ``answered``, ``response_rate`` (NaN when none needed one),
        ``median_response_hours``, ``p90_response_hours``, ``invalid_response_times``. Without
        ``by``, exactly one row.

    References
    ----------
    .. [1] Sprout Social Index: response rate = share of messages needing a reply that got one;
       reply time. Definitions as in :data:`kpi_toolkit.kpis.REGISTRY`.
    """
    from .data import ClientData
    from .kpis import compute_kpis

    by = list(by)
    _require(mentions, ["published_at", "needs_response", *by])
    need = mentions["needs_response"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    m = mentions.loc[need, list(dict.fromkeys(["published_at", *by]))].copy()
    if "brand" not in by:
        m["brand"] = "all"  # the registry needs the column; the caller has already chosen the rows
    m["needs_response"] = True
    resp = (mentions.loc[need, "responded_at"] if "responded_at" in mentions.columns
            else pd.Series(pd.NaT, index=m.index, dtype=m["published_at"].dtype))
    if as_of is not None:
        resp = resp.where(resp <= as_of)
    m["responded_at"] = resp
    hours = ((resp - m["published_at"]).dt.total_seconds() / 3600.0).astype("float64")
    m["_invalid"] = (hours < 0).to_numpy(dtype=bool)
    m["_hours"] = hours.where(~m["_invalid"])
    for c in by:
        m[c] = m[c].astype("string")
    cols = [*by, "needing_response", "answered", "response_rate", "median_response_hours",
            "p90_response_hours", "invalid_response_times"]
    keys: Any = by if by else np.zeros(len(m), dtype="int64")
    g = m.groupby(keys, dropna=False)
    out = pd.DataFrame({"p90_response_hours": g["_hours"].quantile(0.9).astype("float64"),
                        "invalid_response_times": g["_invalid"].sum().astype("int64")})
    out = out.reset_index() if by else out.reset_index(drop=True)
    if not by and out.empty:
        out = pd.DataFrame({"p90_response_hours": [np.nan], "invalid_response_times": [0]})
    valid = m[~m["_invalid"]].drop(columns=["_invalid", "_hours"])
    reg_cols = [*by, "answered", "needing_response", "response_rate", "median_response_hours"]
    if len(valid):
        data = ClientData(client="frame", data_dir=Path("."), tables={"mentions": valid})
        # two calls: the registry computes each KPI on its own measures
        rate = compute_kpis(data, ["response_rate"], by=by, long=True)
        med = compute_kpis(data, ["median_response_time_hours"], by=by, long=True)
        reg = rate[[*by, "numerator", "denominator", "value"]].rename(
            columns={"numerator": "answered", "denominator": "needing_response", "value": "response_rate"})
        reg["median_response_hours"] = med["value"].to_numpy(dtype="float64") if not by else np.nan
        if by:
            med = med[[*by, "value"]].rename(columns={"value": "median_response_hours"})
            reg = reg.drop(columns="median_response_hours").merge(
                med.astype({c: "string" for c in by}), on=by, how="left")
            reg = reg.astype({c: "string" for c in by})
    else:
        reg = pd.DataFrame({c: pd.Series([], dtype="string" if c in by else "float64") for c in reg_cols})
    if by:
        out = out.merge(reg, on=by, how="left")
    else:
        out = pd.concat([out.reset_index(drop=True), reg[reg_cols].reset_index(drop=True)], axis=1) if len(reg) \
            else out.assign(answered=0, needing_response=0, response_rate=np.nan, median_response_hours=np.nan)
    for c in ("needing_response", "answered", "invalid_response_times"):
        out[c] = out[c].fillna(0).astype("int64")
    for c in ("response_rate", "median_response_hours", "p90_response_hours"):
        out[c] = out[c].astype("float64")
    return out[cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------

def in_period(df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *, col: str = "published_at") -> pd.DataFrame:
    """Rows with ``start <= df[col] < end`` (tz-aware bounds; a naive column is taken as UTC)."""
    return df[period_mask(df, start, end, col=col)]


def period_mask(df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *,
                col: str = "published_at") -> np.ndarray:
    """``start <= df[col] < end`` as a boolean array, to combine with other conditions before one
    selection (a naive column is taken as UTC)."""
    t = df[col]
    if t.dt.tz is None:
        t = t.dt.tz_localize("UTC")
    return ((t >= start) & (t < end)).to_numpy(dtype=bool)


def _require(df: pd.DataFrame | None, cols: Sequence[str]) -> None:
    if df is None:
        raise NoDataError("no mentions data")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataValidationError("mentions", "required column is missing", column=missing[0])


# --------------------------------------------------------------------------------------------------
# Report view
# --------------------------------------------------------------------------------------------------

MIN_TOPIC_MENTIONS = 20
"""A topic needs this many scored mentions in the month before its negative share is called out."""


def negative_share_change(cur: pd.DataFrame, prev: pd.DataFrame, *, tz: str | None = None) -> dict[str, float]:
    """Negative share this period vs the previous one, tested as the report's other rates are.

    The two-proportion z-test on the two periods' totals, divided by the square root of the
    dispersion of the days (:func:`kpi_toolkit.trends.significance.day_dispersion`: the Pearson
    dispersion of the daily negative shares times the Newey-West widening for runs of alike days),
    the test of the report's snapshot. Mentions come in bursts (one angry thread, one viral post), so
    the days differ far more than coin flips would: the textbook test, which treats every mention
    as independent, called a 30 % against 19 % change "p < 0.001" where the days support p = 0.006.

    Parameters
    ----------
    cur, prev
        Mentions of the two periods with ``sentiment_label`` (and ``published_at`` for the days).
    tz
        Time zone whose calendar days are the units (the client's); UTC when None.

    Returns
    -------
    dict
        ``negative_share``, ``previous_negative_share``, ``p_value`` (NaN when either period has no
        scored mention, or neither has a negative or a non-negative one), ``dispersion``,
        ``negative`` and ``scored`` (this period's counts).

    References
    ----------
    .. [1] Agresti, A. (2013). Categorical Data Analysis, 3rd ed., section 3.1: the pooled
       two-proportion z-test (as ``statsmodels.stats.proportion.proportions_ztest``).
    .. [2] McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., §4.5: the
       Pearson estimate of the dispersion and the quasi-likelihood adjustment.
    .. [3] Newey, W. K. & West, K. D. (1987). Econometrica 55(3), 703-708: the widening for serial
       correlation.
    """
    from .trends.significance import day_dispersion, two_proportion_test

    def daily(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        lab = df["sentiment_label"] if "sentiment_label" in df.columns else pd.Series(dtype="string", index=df.index)
        neg = (lab == "negative").fillna(False).to_numpy(dtype=float)
        scored = lab.notna().to_numpy(dtype=float)
        if "published_at" not in df.columns or not len(df):
            return np.array([neg.sum()]), np.array([scored.sum()])
        t = pd.to_datetime(df["published_at"], utc=True)
        day = (t.dt.tz_convert(tz) if tz else t).dt.strftime("%Y-%m-%d").to_numpy()
        _, idx = np.unique(day, return_inverse=True)
        return np.bincount(idx, weights=neg), np.bincount(idx, weights=scored)

    (neg1, sc1), (neg0, sc0) = daily(cur), daily(prev)
    k1, n1, k0, n0 = int(neg1.sum()), int(sc1.sum()), int(neg0.sum()), int(sc0.sum())
    share = k1 / n1 if n1 else math.nan
    before = k0 / n0 if n0 else math.nan
    p, disp = math.nan, math.nan
    if n1 and n0 and 0 < k1 + k0 < n1 + n0:
        disp = day_dispersion([(neg1, sc1), (neg0, sc0)], kind="binomial")
        p = two_proportion_test(k1, n1, k0, n0, dispersion=disp).p_value
    return {"negative_share": share, "previous_negative_share": before, "p_value": p, "dispersion": disp,
            "negative": k1, "scored": n1}


def _month_listening_alerts(ctx: Any, hist: pd.DataFrame, *, history_days: int,
                            skip: Sequence[str] = ()) -> pd.DataFrame:
    """The month's listening alerts, the same ones the trend section finds for the series it watches.

    A series the trend section also watches (:func:`kpi_toolkit.trends.watched_kpis`) and can compute
    from the data (brand mentions always; negative mentions and negative share when every scored
    mention of the history carries the listening tool's own score, read with the same thresholds)
    goes through the trend section's detector on its daily series over the whole loaded history, with
    its rule (:func:`kpi_toolkit.trends.rule_for`): one spike reads the same in every section and
    notebook (a separate 365-day baseline had put "about 53 expected" beside the trend section's
    "about 51", and missed a spike it found). Any other series is detected on this section's history
    of ``history_days``. Series in ``skip`` (those a report lists in its trend section already) are
    not computed at all.
    """
    from .trends import detect_anomalies
    from .trends.alerts import rule_for, watched_kpis
    from .trends.comparisons import daily_series

    p, period, opts = ctx.params, ctx.period, ctx.params.listening
    wanted = [k for k in alert_series(p.trends.alerts) if k not in set(skip)]
    provided = ("sentiment_method" in hist.columns and bool(len(hist))
                and bool((hist["sentiment_method"].astype("string") == "provided").all())
                and opts.use_provided_scores and not opts.topic_thresholds)
    watched = set(watched_kpis(p.trends))
    by_trends = [k for k in wanted if k in watched and (k == "mentions" or provided)]
    cols = ["series", "date", "value", "expected", "score", "direction", "owner"]
    rows = []
    done: list[str] = []
    if by_trends:
        th = opts.sentiment_thresholds
        try:
            series = daily_series(ctx.data, by_trends, tz=ctx.tz, brand=p.brand,
                                  sentiment_thresholds=(th.negative, th.positive), end=period.end_day)
        except KpiToolkitError:
            series = pd.DataFrame()
        for k in by_trends:
            if k not in series.columns or series[k].loc[period.first_day:].notna().sum() == 0:
                continue
            rule = rule_for(p.trends, k)
            try:
                found = detect_anomalies(series[k].rename(k), freq="D", threshold=rule.threshold,
                                         direction=rule.direction)
            except KpiToolkitError:
                continue  # too short for the trend section (it says it did not check): this section tries
            rows += _alert_rows(found, k, period.first_day, period.end_day, owner=rule.owner, tz=ctx.tz)
            done.append(k)
    own = listening_alerts(hist, start=period.start, end=period.end, tz=ctx.tz, rules=p.trends.alerts,
                           default_rule=p.trends.default_alert, history_days=history_days,
                           series=[k for k in wanted if k not in done])
    out = pd.concat([pd.DataFrame(rows, columns=cols), own[cols]], ignore_index=True) if rows else own
    return out.sort_values(["date", "series"], kind="stable").reset_index(drop=True)


def listening_tables(ctx: Any, *, history_days: int = 365, strict: bool = True,
                     skip_alerts: Sequence[str] = ()) -> dict[str, Any]:
    """Every listening table of one client-month (what :func:`listening_view` and the notebook show).

    Returns a dict with ``mentions`` (the brand's mentions of the month, privacy-safe, with
    sentiment), ``history`` (the same over ``history_days`` before the period end), ``previous``
    (previous month), ``tags``, ``by_topic``, ``by_source``, ``alerts``, ``daily``, ``response``,
    ``method`` (sentence) and ``caveats``. ``alerts`` leaves out the series in ``skip_alerts`` (see
    :func:`_month_listening_alerts`).

    Raises
    ------
    NoDataError
        No mentions table, or no mention of the brand in the month; with ``strict=False`` every
        table is None instead and ``caveats`` says why.
    """
    if not strict:
        try:
            return listening_tables(ctx, history_days=history_days, skip_alerts=skip_alerts)
        except NoDataError as e:
            keys = ("mentions", "history", "previous", "tags", "by_topic", "by_source", "alerts", "daily",
                    "response")
            return {**dict.fromkeys(keys), "method": "", "caveats": [str(e)]}
    from .periods import month_period, previous_month

    p = ctx.params
    opts = p.listening
    raw = ctx.data.mentions
    if raw is None:
        raise NoDataError(ctx.data.missing.get("mentions", "no mentions data"))
    _require(raw, ["mention_id", "published_at", "brand", "source"])
    period = ctx.period
    start_hist = period.end - pd.Timedelta(days=history_days)
    is_own = (raw["brand"] == p.brand).fillna(False).to_numpy(dtype=bool)
    if not is_own.any():
        brands = ", ".join(sorted(map(str, raw["brand"].dropna().unique()))[:6])
        raise NoDataError(f"no mentions of brand '{p.brand}' (the mentions data names: {brands})")
    hist = privacy_safe(raw[is_own & period_mask(raw, start_hist, period.end)])
    hist = add_sentiment(hist, thresholds=opts.sentiment_thresholds, topic_thresholds=opts.topic_thresholds,
                         use_provided=opts.use_provided_scores)
    cur = in_period(hist, period.start, period.end)
    if cur.empty:
        raise NoDataError(f"no mentions of {p.brand} in {ctx.month}")
    prev_p = month_period(previous_month(ctx.month), ctx.tz)
    prev = in_period(hist, prev_p.start, prev_p.end)
    tags = tag_topics(cur, opts.topics)
    by_topic = sentiment_by_topic(cur, tags, thresholds=opts.sentiment_thresholds,
                                  topic_thresholds=opts.topic_thresholds)
    by_source = sentiment_by(cur, by=["source"]).sort_values("mentions", ascending=False, kind="stable")
    alerts = _month_listening_alerts(ctx, hist, history_days=history_days, skip=skip_alerts)
    daily = daily_listening(hist, tz=ctx.tz, start=max(start_hist, period.start - pd.Timedelta(days=60)),
                            end=period.end)
    response = (response_metrics(cur) if "needs_response" in cur.columns else None)
    caveats: list[str] = []  # for the client: the salt's warning is logged by _salt, not shown here
    known = set(tags["topic"].dropna()) | set(opts.topics)
    unknown = [t for t in opts.topic_thresholds if t not in known]
    if unknown:
        caveats.append(f"listening.topic_thresholds names {', '.join(repr(t) for t in unknown)}, which no "
                       "mention of the month has: check the spelling.")
    if "needs_response" not in cur.columns:
        caveats.append("The mentions data does not say which mentions needed an answer: response rate "
                       "and time are not shown.")
    return {"mentions": cur, "history": hist, "previous": prev, "tags": tags, "by_topic": by_topic,
            "by_source": by_source.reset_index(drop=True), "alerts": alerts, "daily": daily,
            "response": response, "method": sentiment_method_sentence(cur), "caveats": caveats}


def _pct(x: float) -> str:
    from .benchmarks import pct

    return pct(x)


_ALERT_WORDS = {"mentions": "mentions", "negative_mentions": "negative mentions",
                "negative_share": "share of negative mentions"}


def _alert_value(series: str, v: float) -> str:
    return _pct(v) if series == "negative_share" else f"{v:,.0f}"


def _hours(h: float) -> str:
    if not np.isfinite(h):
        return "n/a"
    return f"{h:.1f} h" if h < 48 else f"{h / 24:.1f} days"


def _topics_sentence(by_topic: pd.DataFrame, topical: pd.DataFrame, worst: pd.Series) -> str | None:
    """The sentence naming the most discussed and the most negative topic.

    Topics whose negative share reads the same as the worst one's once rounded ("19.3 %") are named
    with it: a sentence that calls one topic "the most negative" beside a table where another shows
    the same share contradicts it.
    """
    others = by_topic["topic"] != "other"
    if not others.any():
        return None
    top = by_topic[others].iloc[0]
    shown = _pct(worst["negative_share"])
    tied = [str(r["topic"]) for _, r in topical.iterrows() if _pct(r["negative_share"]) == shown]
    if len(tied) > 1:
        names = ", ".join(tied[:-1]) + f" and {tied[-1]}"
        if top["topic"] in tied:
            return (f"The most discussed topic, {top['topic']} ({int(top['mentions']):,} mentions), was also "
                    f"among the most negative: {names} were each {shown} negative.")
        return (f"The most discussed topic was {top['topic']} ({int(top['mentions']):,} mentions); the most "
                f"negative were {names}, each {shown} negative.")
    if top["topic"] == worst["topic"]:
        return (f"The most discussed topic, {top['topic']} ({int(top['mentions']):,} mentions), was "
                f"also the most negative ({shown} negative).")
    return (f"The most discussed topic was {top['topic']} ({int(top['mentions']):,} mentions); "
            f"the most negative was {worst['topic']} ({shown} negative of {int(worst['scored']):,}).")


def listening_alerts_held_back(alerts: pd.DataFrame) -> list[str]:
    """One held-back line for the listening section's own alerts that get no step (all but the negative
    spikes, which :func:`listening_view` turns into "Review the negative spike ..."): a drop in negative
    mentions is good news, and a spike or drop in the number of mentions is neither good nor bad in
    itself. A listening section had listed "a drop in mentions on 4 Oct" among its alerts and Part 3
    said nothing of it."""
    if alerts is None or not len(alerts):
        return []
    parts = []
    for a in alerts.itertuples(index=False):
        negative = a.series in ("negative_mentions", "negative_share")
        if negative and a.direction == "spike":
            continue
        word = "spike" if a.direction == "spike" else "drop"
        why = ("good news, so no step is needed" if negative else
               "a change in how much people talk about the brand, neither good nor bad in itself, so no step "
               "is needed unless it lasts")
        parts.append(f"a {word} in {_ALERT_WORDS.get(a.series, a.series)} on {a.date.day} {a.date:%b}: {why}")
    if not parts:
        return []
    return [f"Listening alert{'s' if len(parts) > 1 else ''}: " + "; ".join(parts) + "."]


def negative_share_step(neg: Any, *, n: int, month_words: str, alpha: float = 0.05) -> tuple[Any, list[str]]:
    """Part 3's step, or held-back line, for a change in the share of negative mentions that the
    listening section calls unlikely to be chance (:func:`negative_share_change`; ``p < alpha``, the
    level of its sentence) and that is material (at least
    :data:`~kpi_toolkit.trends.report.MATERIAL_CHANGE` of the month before's share).

    A rise is a step (priority 2) whose topic is the negative spike's, so that a spike step, which
    explains the rise, covers it; a fall is good news, said in a held-back line. demo-ledgerly 2026-10
    read "19.6 % of the mentions were negative, against 16.3 % the month before; the change is unlikely
    to be chance (p = 0.02)" and Part 3 had neither a step nor a word about it. Returns ``(step or None,
    held-back lines)``.
    """
    from .trends.report import MATERIAL_CHANGE
    from .trends.significance import format_p
    from .views import Recommendation

    now, before, p = (float(neg.get(k, np.nan)) for k in ("negative_share", "previous_negative_share", "p_value"))
    if not (np.isfinite(now) and np.isfinite(before) and np.isfinite(p)) or p >= alpha or before <= 0:
        return None, []
    if abs(now - before) / before < MATERIAL_CHANGE:
        return None, []
    said = (f"{_pct(now)} of the {n:,} mentions in {month_words} were negative, against {_pct(before)} the "
            f"month before; the change is unlikely to be chance ({format_p(p)})")
    if now > before:
        return Recommendation(
            action="Find out which complaints made more of the mentions negative, and answer them",
            evidence=said + ".", priority=2, source="listening", topic="negative-mentions-spike"), []
    return None, [f"Listening: {said}. That is good news, so no step is needed for it."]


def listening_view(ctx: Any, *, alerts_elsewhere: Sequence[str] = (), elsewhere_title: str = "") -> Any:
    """The listening block of the monthly report: mentions by topic and sentiment, alerts, responses.

    Sentences give the month's volume and negative share against the previous month (with a
    two-proportion test), where sentiment came from, the alerts of the month with their owner and
    the response rate and median response time against ``listening.response_*_target``.
    Recommendations: respond faster / to more mentions, handle a negative spike, address the most
    negative topic.

    ``alerts_elsewhere`` names the series (``mentions``, ``negative_mentions``, ``negative_share``)
    whose alerts the report already lists in the section ``elsewhere_title`` (the trend section
    watches them with the same rules): they are left out here and a sentence points there, so a
    client reads each alert once, with one set of numbers.
    """
    from .benchmarks import p_clause
    from .views import Recommendation, ReportView, mentions_topic

    key, title = "listening", "What people said about you"
    p = ctx.params
    opts = p.listening
    elsewhere = [x for x in ALERT_SERIES if x in set(alerts_elsewhere)]
    try:
        t = listening_tables(ctx, skip_alerts=elsewhere)  # the trend section's series: not computed twice
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    cur, by_topic, alerts, resp = t["mentions"], t["by_topic"], t["alerts"], t["response"]
    if elsewhere:
        alerts = alerts[~alerts["series"].isin(elsewhere)].reset_index(drop=True)
    month_words = pd.Timestamp(f"{ctx.month}-01").strftime("%B %Y")
    name = p.display_name
    sentences, recs = [], []
    n, n_prev = len(cur), len(t["previous"])
    change = f" ({(n - n_prev) / n_prev:+.0%} on the previous month)".replace("%", " %") if n_prev else ""
    neg = negative_share_change(cur, t["previous"], tz=p.timezone)
    sent = f"{name} was mentioned {n:,} times in {month_words}{change}."
    if np.isfinite(neg["negative_share"]):
        sent += f" {_pct(neg['negative_share'])} of the mentions were negative"
        if np.isfinite(neg["previous_negative_share"]):
            sent += f", against {_pct(neg['previous_negative_share'])} the month before"
            if np.isfinite(neg["p_value"]):
                sent += f"; the change {p_clause(neg['p_value'])}"
        sent += "."
    sentences.append(sent)
    sentences.append(t["method"])
    # topics
    topical = by_topic[(by_topic["topic"] != "other") & (by_topic["scored"] >= MIN_TOPIC_MENTIONS)]
    if len(topical):
        worst = topical.sort_values("negative_share", ascending=False, kind="stable").iloc[0]
        sentence = _topics_sentence(by_topic, topical, worst)
        if sentence:
            sentences.append(sentence)
        overall = neg["negative_share"]
        if (np.isfinite(overall) and worst["negative_share"] >= max(2 * overall, 0.3)):
            recs.append(Recommendation(
                action=f"Address what people say about {worst['topic']}",
                evidence=(f"{_pct(worst['negative_share'])} of {int(worst['scored']):,} {worst['topic']} mentions "
                          f"were negative in {month_words}, against {_pct(overall)} over all mentions."),
                priority=2, source="listening", topic=mentions_topic(worst["topic"])))
    rec, held = negative_share_step(neg, n=n, month_words=month_words)
    recs += [rec] if rec is not None else []
    tagged = int(by_topic["mentions"].sum()) if len(by_topic) else 0
    if tagged > n:  # the chart and the topic table count a mention once per topic it touches
        sentences.append(f"A mention can touch several topics, so the topics add up to more than the {n:,} "
                         "mentions.")
    # alerts
    if len(alerts):
        parts = []
        for a in alerts.itertuples(index=False):
            word = "spike" if a.direction == "spike" else "drop"
            own = f"; owner: {a.owner}" if isinstance(a.owner, str) and a.owner else ""
            parts.append(f"a {word} in {_ALERT_WORDS.get(a.series, a.series)} on {a.date.day} {a.date:%b} "
                         f"({_alert_value(a.series, a.value)} against about "
                         f"{_alert_value(a.series, a.expected)} expected{own})")
        shown = parts[:3]
        more = f" and {len(parts) - 3} more" if len(parts) > 3 else ""
        sentences.append(f"Alerts this month: {'; '.join(shown)}{more}.")
        negs = alerts[alerts["series"].isin(["negative_mentions", "negative_share"])
                      & (alerts["direction"] == "spike")]
        if len(negs):
            first = negs.iloc[0]
            days = negs["date"].nunique()
            owner = f" ({first['owner']})" if isinstance(first["owner"], str) and first["owner"] else ""
            recs.append(Recommendation(
                action=f"Review the negative spike of {first['date'].day} {first['date']:%b} with its owner{owner} and "
                       "prepare a reply for the next one",
                evidence=(f"{days} {'day' if days == 1 else 'days'} with unusually negative mentions in {month_words}, starting "
                          f"{first['date'].day} {first['date']:%b} ({_alert_value(first['series'], first['value'])} "
                          f"{_ALERT_WORDS[first['series']]} against about "
                          f"{_alert_value(first['series'], first['expected'])} expected)."),
                priority=1, source="listening", topic="negative-mentions-spike"))
        held += listening_alerts_held_back(alerts)
    elif not elsewhere:
        sentences.append("No unusual spike in mentions or negative mentions this month.")
    else:  # the series this section still watches itself (a sentiment series the data had no scores for)
        here = [x for x in alert_series(ctx.params.trends.alerts) if x not in elsewhere]
        if here:
            sentences.append("No alert on the " + " or the ".join(_ALERT_WORDS[x] for x in here) + " this month.")
    if elsewhere:
        what = " and ".join(_ALERT_WORDS[x] for x in elsewhere)
        sentences.append(f"Spikes and drops in {what} are listed with the month's other alerts under "
                         f"'{elsewhere_title or 'the trends'}'.")
    # response
    if resp is not None and int(resp["needing_response"].iloc[0]) > 0:
        r = resp.iloc[0]
        rate, med = float(r["response_rate"]), float(r["median_response_hours"])
        # both targets the section judges against, as the steps cite them (the response-rate step cited a
        # 90.0 % target that the section never stated; demo-lumiere 2026-10)
        sentences.append(f"Of {int(r['needing_response']):,} mentions that needed an answer, {_pct(rate)} got one "
                         f"(target {_pct(opts.response_rate_target)}); the median time to answer was {_hours(med)} "
                         f"(target {_hours(opts.response_target_hours)}).")
        if np.isfinite(med) and med > opts.response_target_hours:
            recs.append(Recommendation(
                action="Respond faster to mentions that need an answer",
                evidence=f"median {_hours(med)} vs {_hours(opts.response_target_hours)} target in {month_words}.",
                priority=2, source="listening"))
        if np.isfinite(rate) and rate < opts.response_rate_target:
            missed = int(r["needing_response"] - r["answered"])
            recs.append(Recommendation(
                action="Answer every question and complaint",
                evidence=(f"{missed:,} of {int(r['needing_response']):,} mentions that needed an answer got none "
                          f"(response rate {_pct(rate)}, target {_pct(opts.response_rate_target)})."),
                priority=2, source="listening"))
        if int(r["invalid_response_times"]):
            t["caveats"].append(f"{int(r['invalid_response_times'])} response(s) were stamped before their "
                                "mention and were left out of the response figures.")
    fig = None
    if len(by_topic):
        from .plotting.competitors import plot_sentiment_by_topic

        ax = plot_sentiment_by_topic(by_topic, title=f"Mentions of {name} by topic and sentiment, {month_words}")
        fig = ax.figure
    table = None
    if len(alerts):
        table = pd.DataFrame({
            "Day": [f"{d:%a %d %b}" for d in alerts["date"]],
            "What": [_ALERT_WORDS.get(s, s).capitalize() + (": spike" if d == "spike" else ": drop")
                     for s, d in zip(alerts["series"], alerts["direction"], strict=True)],
            "Value": [_alert_value(s, v) for s, v in zip(alerts["series"], alerts["value"], strict=True)],
            "Expected": [f"about {_alert_value(s, v)}" for s, v in zip(alerts["series"], alerts["expected"],
                                                                       strict=True)],
            "Owner": [o if isinstance(o, str) and o else "not set" for o in alerts["owner"]],
        })
    else:
        top = by_topic.head(8)
        table = pd.DataFrame({"Topic": top["topic"], "Mentions": [f"{v:,}" for v in top["mentions"]],
                              "Negative": [_pct(v) for v in top["negative_share"]],
                              "Positive": [_pct(v) for v in top["positive_share"]]})
    alt = (f"Bar chart of {name}'s mentions in {month_words} by topic, split into negative, neutral and "
           "positive.")
    view = ReportView(key=key, title=title, sentences=sentences, figure=fig, alt_text=alt, table=table,
                      caveats=t["caveats"], recommendations=recs, held_back=held)
    view.extra.update({k: t[k] for k in ("by_topic", "by_source", "alerts", "response", "daily")})
    return view


def alert_episodes(alerts: pd.DataFrame) -> pd.DataFrame:
    """The alert days of :func:`listening_tables` grouped as the trend section counts its alerts: one
    alert per run of consecutive days of one series in one direction (a spike on 13 and 14 Oct is one
    alert, not two). Columns ``series``, ``direction``, ``start``, ``end``, ``days``, ``owner``;
    in the order of their first day."""
    cols = ["series", "direction", "start", "end", "days", "owner"]
    if alerts is None or len(alerts) == 0:
        return pd.DataFrame(columns=cols)
    a = alerts.assign(date=pd.to_datetime(alerts["date"]).dt.normalize()).sort_values(["series", "direction", "date"])
    rows = []
    for (series, direction), g in a.groupby(["series", "direction"], sort=False):
        run = (g["date"].diff() != pd.Timedelta(days=1)).cumsum()
        for _, r in g.groupby(run):
            rows.append({"series": series, "direction": direction, "start": r["date"].iloc[0],
                         "end": r["date"].iloc[-1], "days": len(r), "owner": r["owner"].iloc[0]})
    return pd.DataFrame(rows, columns=cols).sort_values(["start", "series"], kind="stable").reset_index(drop=True)


def alert_episodes_sentence(alerts: pd.DataFrame) -> str:
    """How many alerts the month had, counted as :func:`alert_episodes` (as the trend notebook and the
    monthly report count them), with the unusual days they cover: "2 alerts this month (5 unusual
    days): a spike in mentions from 13 to 14 Oct; a spike in share of negative mentions from 13 to 15 Oct."
    """
    ep = alert_episodes(alerts)
    if ep.empty:
        return "No alert this month."

    def when(r: Any) -> str:
        if r.days == 1:
            return f"on {r.start.day} {r.start:%b}"
        same = r.start.month == r.end.month
        return f"from {r.start.day}{'' if same else f' {r.start:%b}'} to {r.end.day} {r.end:%b}"

    parts = [f"a {'spike' if r.direction == 'spike' else 'drop'} in {_ALERT_WORDS.get(r.series, r.series)} {when(r)}"
             for r in ep.itertuples(index=False)]
    n, days = len(ep), int(ep["days"].sum())
    head = f"{n} {'alert' if n == 1 else 'alerts'} this month"
    if days > n:
        head += f" ({days} unusual days)"
    return f"{head}: {'; '.join(parts)}."


def alerts_view(ctx: Any, *, days_shown: int = 120) -> Any:
    """Mentions per day with the month's alerts marked (for the analyst notebook)."""
    from .views import ReportView

    key, title = "listening_alerts", "Mentions per day and alerts"
    try:
        t = listening_tables(ctx)
    except NoDataError as e:
        return ReportView.skipped(key, title, str(e))
    from .plotting.competitors import plot_daily_mentions

    daily = t["daily"]
    daily = daily[daily["date"] >= daily["date"].max() - pd.Timedelta(days=days_shown)]
    alerts = t["alerts"]
    ax = plot_daily_mentions(daily, alerts=alerts, title=f"Mentions of {ctx.params.display_name} per day")
    rules = ", ".join(f"{_ALERT_WORDS.get(s, s)}" for s in alert_series(ctx.params.trends.alerts))
    sentences = [f"Watched for unusual days: {rules}. A day is flagged when it is far from what the "
                 "weekday and recent level lead to expect (the trends module's robust detector; "
                 "thresholds and owners from trends.alerts in the parameters)."]
    sentences.append(alert_episodes_sentence(alerts))
    view = ReportView(key=key, title=title, sentences=sentences, figure=ax.figure,
                      alt_text="Line chart of mentions per day with negative mentions shaded and alert days "
                               "circled.")
    view.extra["alerts"] = alerts
    return view


def display_sentiment(counts: pd.DataFrame, *, group: str) -> pd.DataFrame:
    """:func:`sentiment_by` / :func:`sentiment_by_topic` formatted: counts and shares per group."""
    c = counts
    return pd.DataFrame({
        group.capitalize(): c[group].astype(str),
        "Mentions": [f"{v:,}" for v in c["mentions"]],
        "Negative": [_pct(v) for v in c["negative_share"]],
        "Neutral": [_pct(v) for v in c["neutral_share"]],
        "Positive": [_pct(v) for v in c["positive_share"]],
    })


def display_response(resp: pd.DataFrame, *, group: str | None = None) -> pd.DataFrame:
    """:func:`response_metrics` formatted."""
    r = resp
    out = pd.DataFrame({
        "Needed an answer": [f"{v:,}" for v in r["needing_response"]],
        "Answered": [f"{v:,}" for v in r["answered"]],
        "Response rate": [_pct(v) for v in r["response_rate"]],
        "Median time": [_hours(v) for v in r["median_response_hours"]],
        "90 % answered within": [_hours(v) for v in r["p90_response_hours"]],
    })
    if group:
        out.insert(0, group.capitalize(), r[group].astype(str).to_numpy())
    return out


def display_mentions(mentions: pd.DataFrame, *, tz: str = "UTC", n: int = 5,
                     most: str = "negative") -> pd.DataFrame:
    """The ``n`` most negative (or positive) mentions, privacy-safe: pseudonymous authors, masked text.

    The frame is passed through :func:`privacy_safe` again, so it is safe even when the caller forgot.
    """
    m = privacy_safe(mentions.dropna(subset=["sentiment_score"]))
    m = m.nsmallest(n, "sentiment_score") if most == "negative" else m.nlargest(n, "sentiment_score")
    when = m["published_at"].dt.tz_convert(tz)
    return pd.DataFrame({
        "When": [f"{t:%d %b %H:%M}" for t in when],
        "Source": m["source"].astype(str).to_numpy(),
        "Author (pseudonym)": (m["author_id"].astype(str).to_numpy() if "author_id" in m.columns
                               else ["n/a"] * len(m)),
        "Text (handles masked)": (m["text"].astype(str).str.slice(0, 200).to_numpy() if "text" in m.columns
                                  else ["n/a"] * len(m)),
        "Score": [f"{v:+.2f}" for v in m["sentiment_score"]],
    })
