"""The report pipeline end to end on demo data: papermill in a pool, nbconvert HTML, manifests, isolation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from kpi_toolkit.cli import main
from kpi_toolkit.context import load_context
from kpi_toolkit.exceptions import NoDataError, ParameterError
from kpi_toolkit.runner import NOTEBOOKS, check_parameters, run_reports

from .conftest import CANARY, DEMO_END_MONTH, REPO
from .conftest import copy_demo as _copy_demo

NB_DIR = REPO / "notebooks"


def test_every_notebook_runs_for_every_demo_client(demo_run) -> None:
    _, summary = demo_run
    failed = [(r.client, r.notebook, r.error) for r in summary.failed]
    assert not failed, failed
    assert len(summary.results) == 3 * len(NOTEBOOKS)
    assert summary.exit_code == 0


def _htmls(root: Path) -> list[Path]:
    return sorted((root / "outputs" / DEMO_END_MONTH).glob("*/*.html"))


def test_html_has_no_code_scripts_or_external_refs(demo_run) -> None:
    root, _ = demo_run
    htmls = _htmls(root)
    assert len(htmls) == 3 * len(NOTEBOOKS)
    for path in htmls:
        text = path.read_text(encoding="utf-8")
        low = text.lower()
        assert "<script" not in low, path
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", low), path
        assert "url(http" not in low and "@import" not in low, path
        # no code, no prompts, no parameters, no tracebacks or warnings
        for marker in ("load_context(", "import kpi_toolkit", "from kpi_toolkit", "In&nbsp;[", "In [",
                       "Traceback", "Warning:", "injected-parameters", "parameters_dir =", "jp-InputArea"):
            assert marker not in text, (path, marker)
        assert path.stat().st_size < 2_000_000, (path, path.stat().st_size)


PHONE_COLUMN_PX = 370
"""Width of the report's text column on a 390-pixel phone (the page keeps 10 px each side)."""


def test_email_safety_check_catches_each_rule_next_to_embedded_charts() -> None:
    """check_email_safe skips the charts' base64 payloads (for speed): anything around them still counts."""
    import base64

    from kpi_toolkit.export import UnsafeHtmlError, check_email_safe

    payload = base64.b64encode(bytes(range(256)) * 400 + b"on src= //x").decode()  # '+', '/' and '='
    img = f'<img src="data:image/png;base64,{payload}" alt="chart"'
    check_email_safe(f"<p>fine</p>{img}/><p>src is a word, so is onion</p>")
    for bad, rule in ((f"{img} onerror=\"x()\"/>", "event handler"),
                      (f"{img}/><img src=\"https://t.example/p.gif\"/>", "external URL"),
                      (f"{img}/><div style=\"background:url(//t.example/p.gif)\"></div>", "external URL"),
                      (f"{img}/><SCRIPT>alert(1)</SCRIPT>", "<script>"),
                      (f'<img src="data:image/png;base64,{payload}"onload="x()"/>', "event handler"),
                      ("<img/onerror=x()>", "event handler"),  # browsers take a quote or / as the gap
                      ('<a href=" //t.example">x</a>', "external URL"),
                      ('<img srcset="a.png 1x, https://t.example/b.png 2x">', "external URL"),
                      ("<style>p{background:url('https://t.example/p.gif')}</style>", "external URL"),
                      ("<style>@import 'x.css';</style>", "external URL"),
                      ('<a href="JavaScript:alert(1)">x</a>', "script link"),
                      # what browsers repair into a request (found by loading them in Chromium)
                      ('<img src="https:/evil.example/p.png">', "external URL"),
                      ('<img src="https:evil.example">', "external URL"),
                      ('<img src="\\\\evil.example">', "external URL"),
                      ('<img src="ht&#9;tps://evil.example/p">', "external URL"),
                      ('<a href="java&#9;script:alert(1)">x</a>', "script link"),
                      ("<div style=\"background:image-set('https://e.example/a.png' 1x)\"></div>", "external URL"),
                      ('<div style="background:\\75rl(https://e.example)"></div>', "external URL"),
                      ('<meta http-equiv=refresh content="0;url=https://e.example">', "meta http-equiv"),
                      ('<iframe srcdoc="&lt;b&gt;"></iframe>', "<iframe>"),
                      ('<a ping="https://e.example">x</a>', "external URL")):
        with pytest.raises(UnsafeHtmlError, match=re.escape(rule)):
            check_email_safe(bad)
    # text from data, shown escaped, is text: a brand named "online=true" in a chart's alt text, a
    # caption that quotes a link, a post about url(//…) — the report must still go out
    check_email_safe(f'{img} alt="Share of voice: Ledgerly online=true Ltd leads"/>'
                     "<p>see &lt;a href=https://ledgerly.example/pricing&gt;plans&lt;/a&gt; and "
                     "src=//cdn.example, url(//x.example), @import, onclick=go()</p>"
                     '<a href="#appendix">Appendix</a><a href="mailto:team@agency.example">mail</a>')


def test_chart_text_is_readable_on_a_phone(demo_run) -> None:
    """Every chart of every report: its 11-point tick labels come out at 10 CSS pixels or more on a
    phone. The PNG's width in inches (pixels / DPI) and the <img>'s width give the CSS pixels per
    inch; a phone shrinks the image to its column. Charts drawn 8 inches wide and shown at their
    natural width came out at ~7 pixels. And nothing touches a chart's edge: most are saved as drawn,
    without a crop, and a legend that ran past the figure on the layout's first pass was cut off."""
    import base64
    import io
    import struct

    import numpy as np
    from PIL import Image

    from kpi_toolkit.plotting import DPI, FIG_WIDTH_IN

    seen = exact = 0
    for path in _htmls(demo_run[0]):
        for tag in re.findall(r"<img [^>]*src=\"data:image/png;base64,[^>]*>", path.read_text(encoding="utf-8")):
            png = base64.b64decode(re.search(r"base64,([^\"]+)", tag).group(1))
            px = struct.unpack(">I", png[16:20])[0]
            # the figure plus the crop's padding; matplotlib's wrapping of bold titles may overshoot a few pixels
            assert px <= 1.02 * (FIG_WIDTH_IN + 2 * 0.1) * DPI, (path.name, "chart wider than the figure", px)
            width = re.search(r'\bwidth="(\d+)"', tag)
            assert width, (path.name, "chart without a display width")
            css = int(width.group(1))
            shown = min(css, PHONE_COLUMN_PX)
            tick_px = 11 / 72 * css / (px / DPI) * shown / css
            assert tick_px >= 10, (path.name, round(tick_px, 1))
            # nothing cut off at the edge: a chart saved as drawn (no crop) must keep its outer pixels blank
            grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
            border = np.concatenate([grey[:2].ravel(), grey[-2:].ravel(), grey[:, :2].ravel(), grey[:, -2:].ravel()])
            assert border.min() >= 200, (path.name, "something is drawn up to the chart's edge")
            exact += px == round(FIG_WIDTH_IN * DPI)
            seen += 1
    assert seen >= 3 * 8, seen  # the monthly report alone has 8 charts a client
    assert exact >= seen // 2, (exact, seen)  # most charts are saved as drawn, without a second layout pass


def test_report_shows_client_branding_and_parts(demo_run) -> None:
    root, _ = demo_run
    params = {p.stem: p.read_text() for p in (root / "parameters").glob("*.yaml")}
    for client in params:
        html = (root / "outputs" / DEMO_END_MONTH / client / "monthly_report.html").read_text()
        import yaml

        p = yaml.safe_load(params[client])
        from html import escape

        assert escape(p["display_name"]) in html
        assert p["branding"]["colour"] in html
        for part in ("Part 1", "Part 2", "Part 3", "Appendix", "Glossary", "Performance snapshot"):
            assert part in html, (client, part)
        assert html.count('<img class="kpi-img"') + html.count("data:image/png;base64") >= 3
        assert 'alt=""' not in html


def test_text_from_data_is_escaped(demo_run) -> None:
    root, _ = demo_run
    texts = "".join(p.read_text() for p in _htmls(root))
    assert "<script>alert" not in texts
    # the demo post with a <script> tag is shown as text somewhere (top posts lists it escaped)
    assert "&lt;script&gt;" in texts


def test_canary_never_leaks_into_another_client(demo_run) -> None:
    root, _ = demo_run
    month_dir = root / "outputs" / DEMO_END_MONTH
    own = "".join(p.read_text(errors="ignore") for p in (month_dir / "demo-lumiere").rglob("*") if p.is_file())
    assert CANARY in own, "the canary must reach the client's own report, or this test proves nothing"
    for client_dir in month_dir.iterdir():
        if client_dir.is_dir() and client_dir.name != "demo-lumiere":
            for p in client_dir.rglob("*"):
                if p.is_file():
                    assert CANARY not in p.read_text(errors="ignore"), p


def test_manifest_and_index(demo_run) -> None:
    root, _ = demo_run
    month_dir = root / "outputs" / DEMO_END_MONTH
    m = json.loads((month_dir / "demo-lumiere" / "manifest.json").read_text())
    assert m["status"] == "ok" and m["month"] == DEMO_END_MONTH
    assert set(m["parameters"]) == set(NOTEBOOKS)
    assert m["parameters"]["monthly_report"]["client"] == "demo-lumiere"
    assert any(k.endswith("posts.csv") for k in m["inputs_sha256"])
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in m["inputs_sha256"].values())
    assert {"pandas", "papermill", "nbconvert", "statsmodels", "python"} <= set(m["versions"])
    assert m["duration_s"] > 0 and m["started_at"] <= m["finished_at"]
    assert not any("demo-trailhead" in k for k in m["inputs_sha256"])
    index = (month_dir / "index.html").read_text()
    for client in ("demo-lumiere", "demo-trailhead", "demo-ledgerly"):
        assert f"{client}/monthly_report.html" in index
    # clients by the names their parameters give, reports in words, the month in words
    assert m["display_name"] == "Lumière Skincare (demo)"
    assert "Lumière Skincare (demo)<br><small>demo-lumiere</small>" in index
    assert ">Monthly report</a>" in index
    assert f"Client reports for {pd.Timestamp(DEMO_END_MONTH + '-01'):%B %Y}</h1>" in index


def test_broken_client_fails_alone_and_good_report_survives_rerun(demo_root: Path, tmp_path: Path) -> None:
    root = _copy_demo(demo_root, tmp_path)
    kw = dict(month=DEMO_END_MONTH, notebooks=["monthly_report"], notebooks_dir=NB_DIR,
              outputs_dir=root / "outputs", data_dir=root / "data", parameters_dir=root / "parameters",
              workers=2, progress=False)
    first = run_reports(clients=["demo-ledgerly", "demo-trailhead"], **kw)
    assert first.exit_code == 0
    good = (root / "outputs" / DEMO_END_MONTH / "demo-trailhead" / "monthly_report.html").read_bytes()
    good_manifest = json.loads((root / "outputs" / DEMO_END_MONTH / "demo-trailhead" / "manifest.json").read_text())
    # break trailhead's data: a negative like count
    posts = root / "data" / "demo-trailhead" / "posts.csv"
    df = pd.read_csv(posts, dtype=str, keep_default_na=False)
    df.loc[4, "likes"] = "-5"
    df.to_csv(posts, index=False, lineterminator="\n")
    second = run_reports(clients=["demo-ledgerly", "demo-trailhead"], **kw)
    by = {r.client: r for r in second.results}
    assert by["demo-ledgerly"].status == "ok"
    bad = by["demo-trailhead"]
    assert bad.status == "failed" and bad.input_error
    assert "posts.csv: column 'likes' row 6: must be >= 0 (got -5)" in bad.error
    assert "\n" not in bad.error and "Traceback" not in bad.error
    assert second.exit_code == 2
    # the failed attempt is kept with the failing cell marked; the good report is untouched
    failed_nb = json.loads(Path(bad.failed_ipynb).read_text())
    assert any("papermill-error-cell-tag" in c.get("metadata", {}).get("tags", []) or
               c.get("metadata", {}).get("papermill", {}).get("exception") for c in failed_nb["cells"])
    assert (root / "outputs" / DEMO_END_MONTH / "demo-trailhead" / "monthly_report.html").read_bytes() == good
    assert bad.previous_report_kept
    # the manifest says the newest run failed, and still records which run made the report kept
    m = json.loads((root / "outputs" / DEMO_END_MONTH / "demo-trailhead" / "manifest.json").read_text())
    entry = m["reports"][0]
    assert entry["status"] == "failed" and m["status"] == "failed"
    assert entry["kept_report"]["run_id"] == good_manifest["run_id"] != m["run_id"]
    assert entry["kept_report"]["inputs_sha256"] == good_manifest["inputs_sha256"] != m["inputs_sha256"]
    assert entry["kept_report"]["html"] == "monthly_report.html"
    index = (root / "outputs" / DEMO_END_MONTH / "index.html").read_text()
    assert "failed" in index and "must be &gt;= 0" in index
    assert not list((root / "outputs" / DEMO_END_MONTH / "demo-trailhead").glob(".staging*"))


def test_unknown_notebook_parameter_is_refused_before_any_kernel() -> None:
    with pytest.raises(ParameterError, match=r"has no parameter 'mnth' — did you mean 'month'\?"):
        check_parameters(NB_DIR / "monthly_report.ipynb", {"mnth": "2026-10"})
    with pytest.raises(ParameterError, match=r"parameter 'month' takes a str"):
        check_parameters(NB_DIR / "monthly_report.ipynb", {"month": 202610})


def test_cli_run_bad_param_and_month_exit_2(demo_root: Path, tmp_path: Path, capsys) -> None:
    args = ["run", "--all", "--data-dir", str(demo_root / "data"), "--parameters-dir",
            str(demo_root / "parameters"), "--outputs-dir", str(tmp_path / "out")]
    assert main([*args, "--month", DEMO_END_MONTH, "-p", "colour=red"]) == 2
    err = capsys.readouterr().err
    assert "has no parameter 'colour'" in err and err.count("\n") == 1
    assert main([*args, "--month", "2026-13"]) == 2
    assert "month must be YYYY-MM" in capsys.readouterr().err
    assert main([*args, "--month", DEMO_END_MONTH, "--notebook", "montly_report"]) == 2
    assert "did you mean 'monthly_report'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.html"))


def test_month_without_data_fails_with_one_line(demo_root: Path, tmp_path: Path, monkeypatch) -> None:
    """Caught before any kernel starts (the pool is never reached) and nothing is written: the
    same line `kpi kpis` gives, from the same check."""
    import kpi_toolkit.runner as runner

    def no_pool(*_: object, **__: object) -> None:
        raise AssertionError("a kernel was started for a month without data")

    monkeypatch.setattr(runner, "execute", no_pool)
    root = _copy_demo(demo_root, tmp_path)
    with pytest.raises(NoDataError) as exc:
        run_reports(clients=["demo-ledgerly"], month="2031-01", notebooks=["monthly_report"],
                    notebooks_dir=NB_DIR, outputs_dir=root / "outputs", data_dir=root / "data",
                    parameters_dir=root / "parameters", workers=1, progress=False)
    assert str(exc.value).startswith("no data for client 'demo-ledgerly' in 2031-01 (its data covers")
    assert not (root / "outputs").exists()
    with pytest.raises(NoDataError) as kpis:
        load_context(client="demo-ledgerly", month="2031-01", data_dir=root / "data",
                     parameters_dir=root / "parameters")
    assert str(kpis.value) == str(exc.value)


def test_run_all_skips_a_client_without_data_and_reports_the_others(demo_root: Path, tmp_path: Path,
                                                                     capsys) -> None:
    """End to end with real kernels: a client whose data stops before the month is skipped with one
    line, the other's report is made, the exit code says not everything was done."""
    root = _copy_demo(demo_root, tmp_path)
    for p in (root / "parameters").glob("*.yaml"):
        if p.stem not in ("demo-ledgerly", "demo-trailhead"):
            p.unlink()
    posts = root / "data" / "demo-trailhead"
    for f in posts.iterdir():  # trailhead's data ends in August
        if f.suffix == ".csv":
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
            col = next(c for c in ("published_at", "date", "timestamp") if c in df.columns)
            df[df[col] < f"{DEMO_END_MONTH[:4]}-09"].to_csv(f, index=False, lineterminator="\n")
        else:
            import shutil

            shutil.rmtree(f) if f.is_dir() else f.unlink()
    code = main(["run", "--all", "--month", DEMO_END_MONTH, "--no-progress", "--workers", "1",
                 "--data-dir", str(root / "data"), "--parameters-dir", str(root / "parameters"),
                 "--outputs-dir", str(root / "outputs")])
    captured = capsys.readouterr()
    assert code == 2
    assert "1 of 2 reports ok" in captured.out and "ok      demo-ledgerly/monthly_report" in captured.out
    assert captured.err.strip().startswith(f"SKIPPED demo-trailhead: no data for client 'demo-trailhead' "
                                           f"in {DEMO_END_MONTH} (its data covers"), captured.err
    assert captured.err.count("\n") == 1
    month = root / "outputs" / DEMO_END_MONTH
    assert (month / "demo-ledgerly" / "monthly_report.html").is_file()
    assert not (month / "demo-trailhead").exists()


def test_attribution_paths_table_reads_as_counts(demo_run) -> None:
    """The analyst notebook's most common paths: whole counts with plain-word headers, not 117.0."""
    root, _ = demo_run
    html = (root / "outputs" / DEMO_END_MONTH / "demo-ledgerly" / "attribution.html").read_text(encoding="utf-8")
    table = html.split("The most common converting paths", 1)[1].split("</table>", 1)[0]
    assert "Journeys without a conversion" in table and "total_null" not in table
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    numbers = [c for c in cells if re.fullmatch(r"[\d,.]+", c)]
    assert numbers and not any(re.fullmatch(r"[\d,]+\.0", c) for c in numbers), numbers[:8]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_papermill_reads_every_parameter_of_every_notebook(notebook: str) -> None:
    """papermill's own parser must see the parameters the runner passes; a comment it cannot parse
    made it warn "Passed unknown parameter: month" on every run of the competitor notebook."""
    import papermill as pm

    seen = set(pm.inspect_notebook(str(NB_DIR / f"{notebook}.ipynb")))
    assert {"client", "month", "data_dir", "parameters_dir"} <= seen, seen


def test_rerunning_one_notebook_keeps_the_other_reports_in_manifest_and_index(demo_root: Path, tmp_path: Path) -> None:
    """Rerunning the attribution notebook alone must not drop the month's monthly report from the
    client's manifest or the month's index (the manifest used to hold the newest run's reports only)."""
    root = _copy_demo(demo_root, tmp_path)
    kw = dict(month=DEMO_END_MONTH, notebooks_dir=NB_DIR, outputs_dir=root / "outputs", data_dir=root / "data",
              parameters_dir=root / "parameters", workers=1, progress=False)
    assert run_reports(clients=["demo-ledgerly"], notebooks=["monthly_report"], **kw).exit_code == 0
    folder = root / "outputs" / DEMO_END_MONTH / "demo-ledgerly"
    first = json.loads((folder / "manifest.json").read_text())
    assert run_reports(clients=["demo-ledgerly"], notebooks=["attribution"], **kw).exit_code == 0
    m = json.loads((folder / "manifest.json").read_text())
    assert [r["notebook"] for r in m["reports"]] == ["monthly_report", "attribution"]
    kept = m["reports"][0]
    assert kept == first["reports"][0] | {"run_id": first["run_id"]}
    assert m["reports"][1]["run_id"] == m["run_id"]
    assert set(m["parameters"]) == {"monthly_report", "attribution"}
    index = (root / "outputs" / DEMO_END_MONTH / "index.html").read_text()
    assert "demo-ledgerly/monthly_report.html" in index and "demo-ledgerly/attribution.html" in index
    # a report whose files were removed since is not listed again
    (folder / "attribution.html").unlink()
    (folder / "attribution.ipynb").unlink()
    assert run_reports(clients=["demo-ledgerly"], notebooks=["monthly_report"], **kw).exit_code == 0
    m = json.loads((folder / "manifest.json").read_text())
    assert [r["notebook"] for r in m["reports"]] == ["monthly_report"]


def test_a_staging_folder_left_by_a_dead_process_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """A Dask worker killed mid-report left .staging-<notebook>-* in the client's folder for good."""
    import os
    import time

    from kpi_toolkit.runner import Task, _remove_abandoned_staging

    task = Task(client="acme", month="2026-10", notebook="monthly_report", notebook_path="nb.ipynb",
                out_dir=str(tmp_path), parameters={}, parameters_dir="p", data_dir="d")
    old, fresh, other = (tmp_path / ".staging-monthly_report-dead", tmp_path / ".staging-monthly_report-live",
                         tmp_path / ".staging-attribution-dead")
    for d in (old, fresh, other):
        d.mkdir()
        (d / "monthly_report.ipynb").write_text("{}", encoding="utf-8")
    long_ago = time.time() - task.execution_timeout - 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    _remove_abandoned_staging(tmp_path, task)
    assert not old.exists() and fresh.exists() and other.exists()  # another notebook's is its own run's


def test_attribution_notebook_for_a_month_without_conversions_shows_the_note_and_stops(demo_root: Path,
                                                                                       tmp_path: Path) -> None:
    """A month whose conversions table has no row: the attribution view is skipped with its note and no
    result. The notebook read ``view.extra["result"]`` and failed with KeyError: 'result' (no report at
    all); now it shows the note, each later section says in one line that there is nothing to attribute,
    and the table of converting paths (every path with 0 conversions) is left out."""
    root = _copy_demo(demo_root, tmp_path)
    path = root / "data" / "demo-ledgerly" / "conversions.parquet"
    conv = pd.read_parquet(path)
    local = conv["timestamp"].dt.tz_convert("Europe/London").dt.strftime("%Y-%m")
    conv[local != DEMO_END_MONTH].to_parquet(path, index=False)
    summary = run_reports(clients=["demo-ledgerly"], month=DEMO_END_MONTH, notebooks=["attribution"],
                          notebooks_dir=NB_DIR, outputs_dir=root / "outputs", data_dir=root / "data",
                          parameters_dir=root / "parameters", workers=1, progress=False)
    assert summary.exit_code == 0, [r.error for r in summary.failed]
    html = (root / "outputs" / DEMO_END_MONTH / "demo-ledgerly" / "attribution.html").read_text(encoding="utf-8")
    month = pd.Timestamp(DEMO_END_MONTH + "-01").strftime("%B %Y")
    assert f"Not shown: the conversions table has no conversion in {month}, so there is nothing to attribute" in html
    assert html.count(f"Nothing to attribute in {month}.") == 6  # the six sections that read the result
    assert "The most common converting paths" not in html
    assert "What attribution can and cannot say" in html
    for marker in ("Traceback", "KeyError", "Error"):
        assert marker not in html, marker


def test_trend_notebook_gives_the_forecast_total_a_range_and_says_the_90_day_slope_includes_the_season(
        demo_run) -> None:
    """The forecast read "Expected over the next 30 days: about 2,981 in total" with no range, and the
    slope's text promised month-of-year effects "once two years are available", which a 90-day slope
    never has taken out."""
    import html as html_lib

    root, _ = demo_run
    for client in ("demo-lumiere", "demo-ledgerly"):
        text = " ".join(html_lib.unescape((root / "outputs" / DEMO_END_MONTH / client / "trend_detection.html")
                                          .read_text(encoding="utf-8")).split())
        said = re.search(r"Expected over the next 30 days: about ([\d,.]+(?: [kM])?) in total, likely between "
                         r"([\d,.]+(?: [kM])?) and ([\d,.]+(?: [kM])?) \(90 % of 2,000 simulated futures; a sum of "
                         r"daily values\)\.", text)
        assert said, client
        lo_pt_hi = [float(v.replace(",", "").replace(" k", "e3").replace(" M", "e6")) for v in said.groups()]
        assert lo_pt_hi[1] < lo_pt_hi[0] < lo_pt_hi[2], (client, said.group(0))
        assert "once two years are available" not in text
        assert "so never of the last 90 days: that slope includes the season." in text
        assert "The slope of the last 90 days includes the season: a window of 3 months cannot tell" in text


def test_attribution_notebook_names_the_month_and_money_as_the_report_does(demo_run) -> None:
    """It read "4,479 journeys in 2026-10 (121 converted, worth 197,239 GBP)"."""
    root, _ = demo_run
    html = (root / "outputs" / DEMO_END_MONTH / "demo-ledgerly" / "attribution.html").read_text(encoding="utf-8")
    found = re.search(r"journeys in ([A-Z][a-z]+ \d{4}) \([\d,]+ converted, worth (\S+)\)", html)
    assert found, "journeys sentence"
    assert found.group(2).startswith("£") and not re.search(r"journeys in \d{4}-\d{2}", html)


def test_two_runs_of_one_month_at_once_keep_both_reports_in_manifest_and_index(tmp_path: Path, monkeypatch) -> None:
    """Two `kpi run`s of the same month at once (one the monthly report, one the attribution notebook
    of the same client) each read the manifest before the other wrote it, so the one that wrote last
    dropped the other's report from manifest.json and index.html; both also wrote the same
    .manifest.json.tmp and .index.html.tmp, so one could fail with FileNotFoundError after its reports
    were made. A run's manifests and index are now read and written under a lock of the month."""
    import threading
    import time
    from datetime import UTC, datetime

    from kpi_toolkit import runner
    from kpi_toolkit.runner import Result, Task, write_index, write_manifests

    month_dir = tmp_path / "outputs" / DEMO_END_MONTH
    out = month_dir / "acme"
    out.mkdir(parents=True)
    real = runner._manifest_before

    def slow_reader(*args, **kwargs):  # widens the window between reading the manifest and writing it
        before = real(*args, **kwargs)
        time.sleep(0.3)
        return before

    monkeypatch.setattr(runner, "_manifest_before", slow_reader)
    errors: list[BaseException] = []

    def one_run(nb: str) -> None:
        try:
            (out / f"{nb}.html").write_text("<p>ok</p>", encoding="utf-8")
            (out / f"{nb}.ipynb").write_text("{}", encoding="utf-8")
            now = datetime.now(UTC)
            task = Task(client="acme", month=DEMO_END_MONTH, notebook=nb, notebook_path=str(tmp_path / f"{nb}.ipynb"),
                        out_dir=str(out), parameters={"client": "acme"}, parameters_dir=str(tmp_path / "parameters"),
                        data_dir=str(tmp_path / "data"))
            res = Result(client="acme", month=DEMO_END_MONTH, notebook=nb, status="ok", duration_s=1.0,
                         started_at=now.isoformat(), finished_at=now.isoformat(), html=str(out / f"{nb}.html"),
                         ipynb=str(out / f"{nb}.ipynb"))
            write_manifests([task], [res], data_dir=tmp_path / "data", parameters_dir=tmp_path / "parameters",
                            run_started=now)
            write_index(month_dir)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=one_run, args=(nb,)) for nb in ("monthly_report", "attribution")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["notebook"] for r in m["reports"]] == ["monthly_report", "attribution"]
    index = (month_dir / "index.html").read_text(encoding="utf-8")
    assert "acme/monthly_report.html" in index and "acme/attribution.html" in index
    assert not [p.name for p in month_dir.rglob("*.tmp")]


def test_a_refused_rerun_says_the_kept_report_is_stale(demo_root: Path, tmp_path: Path) -> None:
    """A rerun that planning refuses (the parameters no longer validate) never ran, so it wrote no
    manifest: the earlier report's entry still said ok, `kpi send` mailed it without its stale-report
    note, and the index listed it as ok. The refusal is now recorded as a failed run's is, with the
    report kept, in the manifest and (one row, not two) in the index."""
    from kpi_toolkit.exceptions import KpiToolkitError
    from kpi_toolkit.mail import stale_report_note

    root = _copy_demo(demo_root, tmp_path)
    kw = {"clients": ["demo-trailhead"], "month": DEMO_END_MONTH, "notebooks_dir": REPO / "notebooks",
          "outputs_dir": root / "outputs", "data_dir": root / "data", "parameters_dir": root / "parameters",
          "workers": 1, "progress": False}
    assert [r.status for r in run_reports(**kw).results] == ["ok"]
    out = root / "outputs" / DEMO_END_MONTH / "demo-trailhead"
    assert stale_report_note(root / "outputs", DEMO_END_MONTH, "demo-trailhead") is None
    params = root / "parameters" / "demo-trailhead.yaml"
    params.write_text(params.read_text(encoding="utf-8") + "\nbudget_owner: nobody\n", encoding="utf-8")
    with pytest.raises(KpiToolkitError):
        run_reports(**kw)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    [entry] = manifest["reports"]
    assert manifest["status"] == entry["status"] == "failed" and "budget_owner" in entry["error"]
    assert entry["previous_report_kept"] and entry["kept_report"]["html"] == "monthly_report.html"
    assert (out / "monthly_report.html").is_file()
    note = stale_report_note(root / "outputs", DEMO_END_MONTH, "demo-trailhead")
    assert note and note.startswith("the newest run of demo-trailhead's report failed")
    index = (root / "outputs" / DEMO_END_MONTH / "index.html").read_text(encoding="utf-8")
    rows = [row for row in index.split("<tr>") if "demo-trailhead" in row]
    assert len(rows) == 1 and "failed" in rows[0] and "the previous good report is kept" in rows[0]


def test_input_hashes_of_a_url_are_read_in_chunks_and_an_unreadable_store_is_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifest's hashes of a data_dir URL: the same sha256 as the bytes (read 1 MB at a time, not
    whole), and a store that stops answering after the reports were made (credentials expired) is
    recorded as unreadable instead of a traceback that left the month without manifests and index."""
    import hashlib

    import fsspec

    from kpi_toolkit.runner import input_hashes

    fs = fsspec.filesystem("memory")
    big = bytes(range(256)) * 9000  # 2.3 MB: three chunks
    fs.pipe("/hash-test/acme/mentions.parquet", big)
    fs.pipe("/hash-test/acme/imports/x.csv", b"archive copies are not inputs")
    got = input_hashes("acme", data_dir="memory://hash-test", parameters_dir=tmp_path, notebooks=[])
    assert got == {"memory://hash-test/acme/mentions.parquet": hashlib.sha256(big).hexdigest()}

    def refuse(self, path, *a, **k):  # noqa: ANN001, ANN002, ANN003
        raise PermissionError("token expired")

    monkeypatch.setattr(type(fs), "open", refuse)
    got = input_hashes("acme", data_dir="memory://hash-test", parameters_dir=tmp_path, notebooks=[])
    assert got == {"memory://hash-test/acme/mentions.parquet": "unreadable: PermissionError"}


def test_every_report_image_has_alt_text_and_the_export_skips_only_a_pass_that_changes_nothing(demo_run) -> None:
    """The export renders the kpi_report template without nbconvert's BeautifulSoup pass (48 ms a demo
    report), which gives an image without ``alt`` a stock text and tabindex to its lab template's
    wrappers. So every image of every report has its own alt text, and each demo monthly report
    exported with the stock ``HTMLExporter`` has the same text and the same images (source and alt)."""
    from html.parser import HTMLParser

    import nbformat
    from nbconvert import HTMLExporter

    from kpi_toolkit.export import TEMPLATES, _exporter, clean_notebook

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.text: list[str] = []
            self.images: list[tuple[str | None, str | None]] = []
            self.classes: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            self.classes.update((a.get("class") or "").split())
            if tag == "img":
                self.images.append((a.get("src"), a.get("alt")))

        def handle_data(self, data: str) -> None:
            self.text.extend(data.split())

    def page(html: str) -> Page:
        p = Page()
        p.feed(html)
        return p

    root, _ = demo_run
    for path in _htmls(root):
        got = page(path.read_text(encoding="utf-8"))
        assert got.images or "monthly_report" not in path.name, path
        assert all(alt and alt.strip() for _, alt in got.images), (path, [alt for _, alt in got.images])
    stock = HTMLExporter(template_name="kpi_report", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                         exclude_input_prompt=True, exclude_output_prompt=True)
    resources = {"kpi": {"title": "T", "report_title": "R", "client_name": "C", "colour": "#123456",
                         "logo_data_uri": None, "initials": "C", "period_label": "P", "generated": "G",
                         "agency": "A", "css": "", "footer": "F"}}
    for path in sorted((root / "outputs" / DEMO_END_MONTH).glob("*/monthly_report.ipynb")):
        nb = nbformat.read(path, as_version=4)
        ours = page(_exporter().from_notebook_node(clean_notebook(nb), resources=resources)[0])
        theirs = page(stock.from_notebook_node(clean_notebook(nb), resources=resources)[0])
        assert ours.text == theirs.text and ours.images == theirs.images, path
        assert len(ours.images) >= 3
        # the wrappers the pass gives a tabindex are not in the template
        assert not ours.classes & {"jp-Cell-inputWrapper", "jp-OutputArea-output"}
