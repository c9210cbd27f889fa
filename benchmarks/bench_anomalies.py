"""Anomaly detection: speed on a batch and on one long 5-minute series, and detection quality.

1. **Batch**: 1,000 daily series of two years (730 days; negative-binomial counts with weekly and
   yearly patterns and planted spikes), as for a batch of clients x KPIs.
   ``detect_anomalies_batch`` (goal: under 30 s on 2 cores) against the anchor, plain statsmodels
   robust STL (period 7) fitted to every series (timed on 100 series and scaled to 1,000).
2. **One 5-minute series** of 16,000 points (55 days): ``detect_anomalies`` (goal: under 5 s) against
   statsmodels robust STL with the daily period (288) on the same series. (MSTL with the daily and
   weekly periods takes minutes on this series.)
3. **Detection quality on the demo data** (``kpi_toolkit.demo``, TRUTH.json): for each demo client's
   daily brand mentions, the planted spikes found, false alarms per month on the clean stretches,
   and the days between the planted level shift and the one found; for the default median baseline
   and for ``method="stl"``; and the accuracy of the level-shift dates on 120 synthetic series like
   the demo's. Printed as tables (docs/trend-detection.md records them).

Run alone: ``.venv/bin/python benchmarks/bench_anomalies.py [--quick]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, median_time  # noqa: E402

N_SERIES = 1000
N_DAYS = 730
ANCHOR_SAMPLE = 100


def batch_frame(n_series: int = N_SERIES, n_days: int = N_DAYS, seed: int = 42) -> pd.DataFrame:
    """Daily counts: level x weekday x month-of-year multipliers, gamma-Poisson noise, spikes."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-11-01", periods=n_days, freq="D")
    level = rng.uniform(20, 2000, n_series)
    weekday = rng.uniform(0.8, 1.25, (7, n_series))
    month = rng.uniform(0.75, 1.3, (12, n_series))
    lam = level[None, :] * weekday[days.day_of_week.to_numpy()] * month[days.month.to_numpy() - 1]
    lam = lam * rng.gamma(25.0, 1 / 25.0, lam.shape)
    y = rng.poisson(lam).astype("float64")
    for j in range(n_series):
        for d in rng.choice(n_days, size=3, replace=False):
            y[d, j] += np.round(4 * lam[d, j])
    return pd.DataFrame(y, index=days, columns=[f"client{j // 10:03d}:kpi{j % 10}" for j in range(n_series)])


def five_minute_series(n: int = 16_000, seed: int = 7) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2026-08-01", periods=n, freq="5min", tz="UTC")
    t = np.arange(n)
    lam = 4 * (1 + 0.6 * np.sin(2 * np.pi * (t % 288) / 288)) * np.where((t // 288) % 7 >= 5, 1.2, 1.0)
    y = rng.poisson(lam).astype("float64")
    y[9_000:9_036] += 25  # a three-hour burst
    return pd.Series(y, index=idx, name="mentions")


def bench_batch(quick: bool) -> None:
    from statsmodels.tsa.seasonal import STL

    from kpi_toolkit.trends import detect_anomalies_batch

    n = 200 if quick else N_SERIES
    frame = batch_frame(n)
    detect_anomalies_batch(frame.iloc[:, :5])  # imports
    ours = median_time(lambda: detect_anomalies_batch(frame), repeat=3)
    res = detect_anomalies_batch(frame)
    sample = frame.iloc[:, :ANCHOR_SAMPLE]

    def anchor() -> None:
        for c in sample.columns:
            STL(sample[c].to_numpy(), period=7, robust=True).fit()

    anchor_s = median_time(anchor, repeat=1) * (n / ANCHOR_SAMPLE)
    print(f"  batch: {n} series x {N_DAYS} days, {int(res['is_anomaly'].sum()):,} anomalous days flagged "
          f"({3 * n:,} spikes planted)")
    emit(f"anomalies, {n:,} daily series x 2 years", ours_s=ours,
         anchor=f"statsmodels robust STL per series (timed on {ANCHOR_SAMPLE}, scaled)", anchor_s=anchor_s,
         goal="< 30 s on 2 cores")


def bench_five_minute() -> None:
    from statsmodels.tsa.seasonal import STL

    from kpi_toolkit.trends import alert_windows, detect_anomalies

    s = five_minute_series()
    detect_anomalies(s.iloc[:3000])
    ours = median_time(lambda: detect_anomalies(s), repeat=3)
    res = detect_anomalies(s)
    wins = alert_windows(res)
    burst = wins[(wins["start"] <= s.index[9_035]) & (wins["end"] >= s.index[9_000])]
    anchor_s = median_time(lambda: STL(s.to_numpy(), period=288, robust=True).fit(), repeat=1)
    print(f"  5-minute: {len(s):,} points, {len(wins)} window(s), planted burst found: {len(burst) > 0}")
    emit("anomalies, one 16,000-point 5-minute series", ours_s=ours,
         anchor="statsmodels robust STL (period 288)", anchor_s=anchor_s, goal="< 5 s")


# ----------------------------------------------------------------------------------------------
# quality on the demo data


def _local_day(ts: str, tz: str) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert(tz).tz_localize(None).normalize()


def demo_quality(root: Path, truth: dict, *, method: str) -> list[dict]:
    from kpi_toolkit.data import load_client
    from kpi_toolkit.trends import alert_windows, change_points, daily_series, detect_anomalies

    rows = []
    for client, c in truth["clients"].items():
        tz = c["timezone"]
        data = load_client(client, data_dir=root / "data", tables=["mentions"])
        s = daily_series(data, ["mentions"], tz=tz, brand=c["brand"])["mentions"]
        res = detect_anomalies(s, method=method)
        wins = alert_windows(res)
        found = 0
        for sp in c["spikes"]:
            lo, hi = _local_day(sp["start_utc"], tz), _local_day(sp["end_utc"], tz)
            found += bool(((wins["start"] <= hi) & (wins["end"] >= lo)).any())
        clean_days = 0
        false_alarms = 0
        for st in c["clean_stretches"]["stretches"]:
            a, b = pd.Timestamp(st["start"]), pd.Timestamp(st["end"])
            clean_days += (b - a).days + 1
            false_alarms += int(((wins["start"] >= a) & (wins["start"] <= b)).sum())
        shift = pd.Timestamp(c["level_shifts"][0]["date"])
        cps = change_points(s)
        err = int(min(abs((d - shift).days) for d in cps["date"])) if len(cps) else None
        rows.append({"client": client, "method": method, "spikes_planted": len(c["spikes"]),
                     "spikes_found": found, "clean_days": clean_days, "false_alarms": false_alarms,
                     "false_alarms_per_month": false_alarms / clean_days * 30.44,
                     "shifts_found": len(cps), "shift_error_days": err})
    return rows


def bench_quality() -> None:
    from kpi_toolkit.demo import generate

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, end_month="2026-10", seed=42)
        truth = json.loads((root / "data" / "demo" / "TRUTH.json").read_text())
        rows = demo_quality(root, truth, method="median") + demo_quality(root, truth, method="stl")
    df = pd.DataFrame(rows)
    print("  detection quality on the demo brand mentions (TRUTH.json):")
    print(df.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    for m, g in df.groupby("method", sort=False):
        print(f"  {m}: {int(g['spikes_found'].sum())}/{int(g['spikes_planted'].sum())} spikes, "
              f"{g['false_alarms'].sum() / g['clean_days'].sum() * 30.44:.2f} false alarms per clean month")


def shift_series(shift_day: int | None, *, seed: int, after: float = 77.0) -> pd.Series:
    """Two years of daily counts like the demo's brand mentions: level 55 (to ``after`` from
    ``shift_day``) x month-of-year x weekday multipliers, gamma-Poisson noise (CV 0.2)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-11-01", "2026-10-31", freq="D")
    month = np.array([0.95, 0.9, 0.95, 1.0, 1.0, 0.95, 0.88, 0.9, 1.0, 1.02, 1.2, 1.25])
    weekday = np.array([0.92, 0.95, 0.97, 1.0, 1.05, 1.08, 1.03])
    level = np.full(len(idx), 55.0)
    if shift_day is not None:
        level[shift_day:] = after
    lam = level * month[idx.month - 1] * weekday[idx.day_of_week] * rng.gamma(25, 1 / 25, len(idx))
    return pd.Series(rng.poisson(lam).astype("float64"), index=idx)


def bench_shift_accuracy() -> None:
    """Level-shift dates found on synthetic series: +40 % and +55 % shifts at three dates, 20 seeds."""
    from kpi_toolkit.trends import change_points

    rows = []
    for after in (77.0, 85.0):
        errors, extra = [], 0
        for pos in (200, 290, 450):
            for seed in range(20):
                s = shift_series(pos, seed=seed, after=after)
                cps = change_points(s)
                if len(cps):
                    errors.append(min(abs((d - s.index[pos]).days) for d in cps["date"]))
                else:
                    errors.append(10**6)
                extra += max(len(cps) - 1, 0)
        e = np.array(errors)
        rows.append({"shift": f"+{after / 55 - 1:.0%}", "series": len(e), "within_3_days": int((e <= 3).sum()),
                     "within_14_days": int((e <= 14).sum()), "median_error_days": float(np.median(e)),
                     "extra_shifts": extra})
    null = sum(len(change_points(shift_series(None, seed=seed))) for seed in range(20))
    print("  level shifts on synthetic demo-like series (60 per size):")
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"  false shifts on 20 series without one: {null}")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    t0 = time.perf_counter()
    bench_batch(quick)
    bench_five_minute()
    if "--no-quality" not in argv:
        bench_quality()
        bench_shift_accuracy()
    print(f"  total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
