"""KPI aggregation over 10 M post rows by platform × month against a bare pandas groupby-sum.

The anchor sums the same base columns with one ``groupby([platform, month]).sum()`` on a month
column computed the same way (client time zone); ours is ``compute_kpis`` for engagement rate by
reach, impressions, reach and engagements at the same grain. Goal: within 1.5× of the anchor.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, median_time  # noqa: E402

N = 10_000_000
TZ = "Europe/Helsinki"


def posts(n: int = N, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-11-01", tz="UTC").value
    span = pd.Timedelta(days=730).value
    reach = rng.integers(100, 50_000, n)
    return pd.DataFrame({
        "post_id": pd.array(np.char.add("p", np.arange(n).astype(str)), dtype="string"),
        "platform": pd.Categorical.from_codes(rng.integers(0, 6, n),
                                              ["facebook", "instagram", "x", "linkedin", "tiktok", "youtube"]),
        "published_at": pd.to_datetime(start + rng.integers(0, span, n), utc=True),
        "content_type": pd.Categorical.from_codes(rng.integers(0, 4, n), ["image", "video", "text", "reel"]),
        "impressions": reach + rng.integers(0, 5_000, n),
        "reach": reach,
        "likes": rng.integers(0, 2_000, n),
        "comments": rng.integers(0, 200, n),
        "shares": rng.integers(0, 100, n),
    })


def main() -> None:
    from kpi_toolkit.data import ClientData
    from kpi_toolkit.kpis import compute_kpis

    df = posts()
    data = ClientData(client="bench", data_dir=Path("."), tables={"posts": df})
    kpis = ["engagement_rate_by_reach", "impressions", "reach", "engagements"]

    def ours() -> pd.DataFrame:
        return compute_kpis(data, kpis, by=["platform", "month"], tz=TZ)

    def anchor() -> pd.DataFrame:
        # the cheapest honest pandas: integer year*100+month keys in the client's zone, one groupby-sum,
        # month labels made on the (small) result
        local = df["published_at"].dt.tz_convert(TZ)
        key = local.dt.year * 100 + local.dt.month
        out = df.groupby([df["platform"], key.rename("month")], observed=True)[
            ["impressions", "reach", "likes", "comments", "shares"]].sum()
        ym = out.index.get_level_values("month")
        out.index = pd.MultiIndex.from_arrays([out.index.get_level_values(0),
                                               [f"{m // 100:04d}-{m % 100:02d}" for m in ym]],
                                              names=["platform", "month"])
        return out

    # same numbers first: engagement rate from the anchor's sums equals ours
    a = anchor()
    rate = (a["likes"] + a["comments"] + a["shares"]) / a["reach"]
    o = ours().set_index(["platform", "month"])["engagement_rate_by_reach"]
    o.index = o.index.set_levels(o.index.levels[0].astype(str), level=0)
    rate.index = rate.index.set_levels(rate.index.levels[0].astype(str), level=0)
    assert np.allclose(o.sort_index().to_numpy(), rate.sort_index().to_numpy(), rtol=1e-12)
    t_ours = median_time(ours, repeat=5, warmup=1)
    t_anchor = median_time(anchor, repeat=5, warmup=1)
    emit("compute_kpis, 10 M posts by platform × month", ours_s=t_ours,
         anchor="bare pandas groupby-sum", anchor_s=t_anchor, ratio=t_ours / t_anchor,
         goal="<= 1.5x the anchor", note="ratio = ours / anchor")


if __name__ == "__main__":
    main()
