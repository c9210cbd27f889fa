"""What an import leaves out, said in terms of the analyses a report runs.

An export that lacks a field limits some analyses and not others; the import report says which, so
the analyst knows before running the reports (e.g. the UCI Facebook export has month, weekday and
hour but no day of month: no daily trend, but weekday × hour segmentation works).
"""

from __future__ import annotations

import pandas as pd

from .convert import Converted


def _all_blank(df: pd.DataFrame, col: str) -> bool:
    return col not in df.columns or bool(df[col].isna().all())


def _some_blank(df: pd.DataFrame, col: str) -> int:
    return 0 if col not in df.columns else int(df[col].isna().sum())


def analysis_limits(table: str, conv: Converted) -> list[str]:
    """Sentences naming which analyses the imported rows support and which they do not."""
    df = conv.frame
    out: list[str] = []
    if df.empty:
        return out
    if table == "posts":
        if _all_blank(df, "published_at") and not _all_blank(df, "published_month"):
            out.append("no day of month: daily trend, weekly seasonality, anomaly and change-point "
                       "detection are unavailable; monthly totals and month-over-month comparisons work")
        if "published_at" in conv.date_only:
            out.append("no time of day: posting-hour segmentation is unavailable for these posts "
                       "(published_at is midnight; published_time_known is false)")
        has_wd = not _all_blank(df, "published_weekday")
        has_hr = not _all_blank(df, "published_hour")
        if _all_blank(df, "published_at") and (has_wd or has_hr):
            what = " × ".join(x for x, ok in (("weekday", has_wd), ("hour", has_hr)) if ok)
            out.append(f"{what} segmentation is available (from the export's own columns)")
        for col, what in (("reach", "reach and engagement rate by reach"),
                          ("impressions", "impressions, engagement rate by impressions and CTR")):
            if _all_blank(df, col):
                out.append(f"no {col} in this export: {what} are unavailable for these posts")
        for col in ("likes", "comments", "shares"):
            if _all_blank(df, col):
                out.append(f"no {col} in this export: engagement counts for these posts omit {col}")
            elif (n := _some_blank(df, col)):
                out.append(f"{n} post(s) lack {col} (blank in the export): engagement rates leave "
                           f"them out of numerator and denominator; totals of {col} skip them")
        if "content_type" in df.columns and (df["content_type"] == "unknown").all():
            out.append("no content format in this export: format comparisons are unavailable")
        if _all_blank(df, "paid"):
            out.append("no paid/organic flag: the paid vs organic split is unavailable")
        elif (n := _some_blank(df, "paid")):
            out.append(f"{n} post(s) lack the paid flag: they are left out of the paid vs organic split")
        if _all_blank(df, "followers_at_post"):
            out.append("no follower count at posting: engagement rate by followers is unavailable")
    elif table == "ads":
        for col, what in (("revenue", "revenue and ROAS"), ("leads", "leads and cost per lead")):
            if _all_blank(df, col):
                out.append(f"no {col}: {what} are unavailable")
    elif table == "web":
        if _all_blank(df, "bounces"):
            out.append("no bounces: bounce rate is unavailable")
        if _all_blank(df, "conversions"):
            out.append("no conversions: web conversion rate is unavailable")
        if _all_blank(df, "revenue"):
            out.append("no revenue: web revenue is unavailable")
    elif table == "mentions":
        if _all_blank(df, "sentiment_score"):
            out.append("no sentiment scores: sentiment KPIs need `kpi sentiment` on the text first")
        if _all_blank(df, "reach"):
            out.append("no reach per mention: share of voice counts mentions, not reach")
    if conv.generated_ids:
        out.append("no id column: ids were made from each row's cells (not its line), so "
                   "re-importing this file, or a copy with lines added above its rows, adds nothing, "
                   "but a re-download with updated numbers gives new ids (import each period's "
                   "export once)")
    return out
