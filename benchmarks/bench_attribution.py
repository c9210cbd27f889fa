"""Attribution: exact order-1 Markov on 1 M paths against ChannelAttribution's simulated markov_model.

The data is ChannelAttribution's own Data.csv (../shared/data/channelattribution, 10,000 paths) repeated
100 times: 1,000,000 path rows, 8.8 M journeys, 1.98 M conversions. Three results:

1. ours end to end: read the 1 M-row file, validate, merge identical paths, solve the chain (goal < 2 s);
2. ours vs ChannelAttribution on the same in-memory frame (``markov_model(order=1)``, its defaults);
3. how far ChannelAttribution's simulated credits are from the exact ones (largest relative
   difference over the channels with at least 1 % of the conversions).

ChannelAttribution (GPL, compiles C++) is installed with pip (with matplotlib, which it imports) into a throwaway venv under
benchmarks/.work/attribution/ca-venv (gitignored) and run there in its own process; when the install
fails the reason is printed and only our timing is reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, median_time  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "channelattribution" / "Data.csv"
WORK = REPO / "benchmarks" / ".work" / "attribution"
BIG = WORK / "data_x100.csv"
VENV = WORK / "ca-venv"
REPEAT = 100

CA_SCRIPT = textwrap.dedent("""
    import json, statistics, sys, time
    import pandas as pd
    try:
        from ChannelAttribution import markov_model  # the wheel's import name
    except ImportError:
        from channelattribution import markov_model
    df = pd.read_csv(sys.argv[1], sep=";")
    times, res = [], None
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        res = markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                           var_null="total_null", order=1, verbose=0)
        times.append(time.perf_counter() - t0)
    if isinstance(res, dict):
        res = res["result"]
    credits = dict(zip(res["channel_name"], res["total_conversions"]))
    print(json.dumps({"median_s": statistics.median(times), "credits": credits}))
""")


def make_data() -> Path:
    import pandas as pd

    WORK.mkdir(parents=True, exist_ok=True)
    if not BIG.is_file():
        df = pd.read_csv(DATA, sep=";")
        pd.concat([df] * REPEAT, ignore_index=True).to_csv(BIG, sep=";", index=False)
    return BIG


def ca_python() -> tuple[Path | None, str]:
    """The throwaway venv's python with channelattribution importable, or None and why not."""
    py = VENV / "bin" / "python"
    probe = "import ChannelAttribution"  # the wheel's import name; it needs matplotlib at import
    if py.exists() and subprocess.run([str(py), "-c", probe], capture_output=True).returncode == 0:
        return py, ""
    try:
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=300)
        proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "channelattribution", "matplotlib"],
                              capture_output=True, text=True, timeout=1800)
    except (subprocess.SubprocessError, OSError) as e:
        return None, f"could not create the venv or run pip ({e})"
    if proc.returncode != 0:
        last = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()][-1:] or ["no output"]
        return None, f"pip install channelattribution failed: {last[0][:200]}"
    check = subprocess.run([str(py), "-c", probe], capture_output=True, text=True)
    if check.returncode != 0:
        return None, f"ChannelAttribution installed but does not import: {check.stderr.strip().splitlines()[-1][:200]}"
    return py, ""


def main() -> int:
    if not DATA.is_file():
        print(f"attribution: skipped: {DATA} not found (the repo's sibling shared/ folder)")
        return 0
    import pandas as pd

    from kpi_toolkit.attribution import paths_from_frame, run_attribution
    from kpi_toolkit.commands.attribute import read_paths_file
    from kpi_toolkit.params import AttributionOptions

    big = make_data()
    opts = AttributionOptions(markov_order=1, bootstrap_samples=0)

    def end_to_end() -> None:
        run_attribution(read_paths_file(big), models="markov", options=opts)

    t_file = median_time(end_to_end, repeat=5, warmup=1)
    emit("attribution: order-1 Markov from a 1 M-row path file (read + validate + exact solve)",
         ours_s=t_file, anchor="goal", anchor_s=2.0, goal="< 2 s", ratio=2.0 / t_file,
         note="Data.csv x100")

    frame = pd.read_csv(big, sep=";")

    def from_frame() -> object:
        return run_attribution(paths_from_frame(frame, source=str(big)), models="markov", options=opts)

    t_ours = median_time(from_frame, repeat=5, warmup=1)
    ours = from_frame().model("markov").set_index("channel")["conversions"]

    py, why = ca_python()
    if py is None:
        print(f"attribution: ChannelAttribution not measured: {why}")
        emit("attribution: order-1 Markov on 1 M paths in memory", ours_s=t_ours,
             anchor="ChannelAttribution markov_model", anchor_s=None, goal="faster than the simulation",
             note=f"anchor unavailable: {why[:80]}")
        return 0
    script = WORK / "ca_markov.py"
    script.write_text(CA_SCRIPT)
    t0 = time.perf_counter()
    proc = subprocess.run([str(py), str(script), str(big), "3"], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        print(f"attribution: ChannelAttribution run failed after {time.perf_counter() - t0:.0f} s: {why}")
        emit("attribution: order-1 Markov on 1 M paths in memory", ours_s=t_ours,
             anchor="ChannelAttribution markov_model", anchor_s=None, goal="faster than the simulation",
             note="anchor run failed")
        return 0
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    emit("attribution: order-1 Markov on 1 M paths in memory", ours_s=t_ours,
         anchor="ChannelAttribution 2.x markov_model (C++, simulation)", anchor_s=out["median_s"],
         goal="faster than the simulation")
    ca = pd.Series(out["credits"], dtype=float)
    rel = ((ca.reindex(ours.index) - ours).abs() / ours)
    share = ours / ours.sum()
    print(f"attribution: ChannelAttribution's simulated credits vs the exact ones: at most "
          f"{rel[share >= 0.05].max() * 100:.1f} % off for channels with >= 5 % of the conversions, "
          f"{rel[share >= 0.01].max() * 100:.1f} % for those with >= 1 %; alpha exact {ours['alpha']:,.1f}, "
          f"simulated {ca.get('alpha', float('nan')):,.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
