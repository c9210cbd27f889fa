"""Assembly of the monthly report: recommendations ordered and de-duplicated, snapshot wording."""

from __future__ import annotations

import pandas as pd

from kpi_toolkit.report import _change_text, recommendations
from kpi_toolkit.views import Recommendation, ReportView


def test_recommendations_sorted_and_one_per_topic() -> None:
    a = ReportView(key="trend", title="t", recommendations=[
        Recommendation("Review the recall mentions", "e1", priority=1, topic="negative-mentions-spike"),
        Recommendation("Look into CTR", "e2", priority=2)])
    b = ReportView(key="listening", title="l", recommendations=[
        Recommendation("Review the negative spike", "e3", priority=1, topic="negative-mentions-spike"),
        Recommendation("Post more reels", "e4", priority=1)])
    got = [r.action for r in recommendations([a, b])]
    assert got == ["Review the recall mentions", "Post more reels", "Look into CTR"]


def test_a_step_about_a_topic_covers_the_other_sections_step_about_it_and_takes_its_evidence() -> None:
    """The more urgent step is kept, the other's evidence is added to it once, and the views' own
    steps are left as they were (Part 3 is built again for every export)."""
    from kpi_toolkit.views import mentions_topic

    spike = Recommendation("Review the mentions about 'Product  Recall'", "Negative share spiked.", priority=1,
                           topic=("negative-mentions-spike", mentions_topic("Product  Recall")))
    topic = Recommendation("Address what people say about product recall", "93.1 % of 463 were negative.",
                           priority=2, topic=mentions_topic("product recall"))
    # the same spike seen again (by the listening section, or in the brand mentions): one step, one
    # set of numbers, even when it is about the same topic
    again = Recommendation("Review the negative spike of 13 Oct", "3 days with unusually negative mentions.",
                           priority=1, topic="negative-mentions-spike")
    volume = Recommendation("Review the mentions about 'product recall' from 12 Oct on", "Mentions spiked.",
                            priority=1, topic=("negative-mentions-spike", mentions_topic("product recall")))
    views = [ReportView(key="trend", title="t", recommendations=[spike]),
             ReportView(key="listening", title="l", recommendations=[topic, again, volume])]
    for _ in range(2):
        got = recommendations(views)
        assert [(r.action, r.evidence) for r in got] == [
            ("Review the mentions about 'Product  Recall'", "Negative share spiked. 93.1 % of 463 were negative.")]
    assert spike.evidence == "Negative share spiked."


def test_one_step_for_the_product_recall_of_demo_lumiere(demo_root, demo_truth) -> None:  # noqa: ANN001
    """demo-lumiere 2026-10 (kpi demo data ending 2026-11): Part 3 had "Community team: review the
    mentions about 'product recall' from 13 Oct on" (the trend alert, priority 1) and, further down,
    "Address what people say about product recall" (the listening section's most negative topic): one
    recall, two steps. Now one step, the urgent one, whose evidence also gives the listening section's
    numbers. Here: the month of the demo's recall crisis."""
    from kpi_toolkit import report
    from kpi_toolkit.context import load_context

    crisis = demo_truth["clients"]["demo-lumiere"]["crisis"]
    assert crisis["topic"] == "product recall"
    ctx = load_context(client="demo-lumiere", month=crisis["in_month"], data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    steps = recommendations(report.driver_views(ctx), limit=None)
    recall = [r for r in steps if "product recall" in r.action]
    assert len(recall) == 1, [r.action for r in steps]
    assert recall[0].priority == 1 and recall[0].source == "trends", recall[0]
    month = f"{pd.Timestamp(crisis['in_month'] + '-01'):%B %Y}"
    assert f"product recall mentions were negative in {month}" in recall[0].evidence, recall[0].evidence


def test_change_text_points_for_rates_percent_for_others() -> None:
    assert _change_text(0.061, 0.058, "fraction") == "+0.3 pts"
    assert _change_text(120.0, 100.0, "count") == "+20 %"
    assert _change_text(2.0, 2.5, "ratio") == "-20 %"
    assert _change_text(1.0, 0.0, "count") == "n/a"
    # a click-through rate of 0.91 % against 0.946 %: hundredths of a point, not "-0.0 pts"
    assert _change_text(0.0091, 0.00946, "fraction") == "-0.04 pts"
    assert _change_text(0.0091, 0.00909, "fraction") == "0 pts"
    # decimals follow the rate's level, so one measure's two changes share them ("-0.11" beside
    # "+0.02", not "-0.1" beside "0.00"); a rate of 1 % or more moves in tenths
    assert _change_text(0.0072, 0.0083, "fraction") == "-0.11 pts"
    assert _change_text(0.0072, 0.0070, "fraction") == "+0.02 pts"
    assert _change_text(0.045, 0.0456, "fraction") == "-0.1 pts" and _change_text(0.045, 0.0451, "fraction") == "0 pts"
    assert _change_text(100.2, 100.0, "count") == "0 %"
    assert _change_text(99.8, 100.0, "count") == "0 %"


def test_probabilities_are_never_shown_as_certain() -> None:
    from kpi_toolkit.goals import _pct, chance_words

    assert chance_words(0.9995) == "a better than 99 % chance"
    assert chance_words(0.004) == "less than a 1 % chance"
    assert chance_words(0.341) == "a 34 % chance"
    assert (_pct(1.0), _pct(0.0), _pct(0.5)) == ("over 99 %", "under 1 %", "50 %")


def test_month_words_and_initials() -> None:
    from kpi_toolkit.export import _initials
    from kpi_toolkit.periods import month_words

    assert month_words("2026-10") == "October 2026"
    assert _initials("Ledgerly (Demo)") == "LD"
    assert _initials("Lumière Skincare") == "LS"


def test_long_chart_titles_wrap_inside_the_figure_width() -> None:
    """A title longer than the chart wraps; the PNG stays the house width (readable on a phone)."""
    import io

    from PIL import Image

    from kpi_toolkit.plotting import DPI, FIG_WIDTH_IN, new_figure, to_png, tz_words, wrap_label

    fig, ax = new_figure()
    ax.barh([wrap_label("a very long category label on the left"), "b"], [3, 4])
    long = (f"Engagement rate (by reach) by time of day ({tz_words('America/Argentina/Buenos_Aires')}), "
            "the last 12 months, every platform")
    ax.set_title(long)
    width, _ = Image.open(io.BytesIO(to_png(fig))).size
    assert width <= FIG_WIDTH_IN * DPI + 2 * 0.1 * DPI + 1  # the figure plus the crop's padding
    assert "\n" not in ax.get_title(loc="left")  # the title text itself is unchanged; wrapping is at draw
    assert tz_words("America/Argentina/Buenos_Aires") == "Buenos Aires time"
    assert tz_words("Europe/London") == "London time" and tz_words("UTC") == "UTC"
    fig2, ax2 = new_figure()
    ax2.set_title("Short title")
    assert Image.open(io.BytesIO(to_png(fig2))).size[0] <= FIG_WIDTH_IN * DPI + 2 * 0.1 * DPI + 1


def test_wide_tables_carry_column_names_for_phone_cards() -> None:
    """Five or more columns: each cell names its column (escaped), the table is marked to stack."""
    import re

    import pandas as pd

    from kpi_toolkit.display import table_html

    wide = pd.DataFrame({"When": ["1 Oct"], "Measure": ["<b>Reach</b>"], "What": ["spike"], "Range": ["0 – 9"],
                         'Cause "why"': ["outage: 660 (usually 0)"]})
    out = table_html(wide)
    assert 'class="dataframe kpi-table kpi-stack"' in out
    labels = re.findall(r'<td data-label="([^"]*)">', out)
    assert labels == ["When", "Measure", "What", "Range", "Cause &quot;why&quot;"]
    assert "&lt;b&gt;Reach&lt;/b&gt;" in out and "<b>" not in out  # cells still escaped
    narrow = table_html(wide.iloc[:, :4])
    assert "kpi-stack" not in narrow and "data-label" not in narrow
    # three columns, one holding a post's text: stacked too (beside two columns it ran a screen tall)
    posts = pd.DataFrame({"Post": ["Instagram reel, 20 Nov: “Your trail photos of the week, featuring the poles”"],
                          "Rate": ["9.7 %"], "Tier": ["underperformer"]})
    assert "kpi-stack" in table_html(posts) and "kpi-stack" not in table_html(posts.iloc[:, 1:])
    assert "kpi-stack" not in table_html(posts.assign(Post="Instagram reel, 20 Nov"))
    css = (__import__("kpi_toolkit.export", fromlist=["TEMPLATES"]).TEMPLATES / "report.css").read_text()
    assert "table.kpi-stack td::before{content:attr(data-label)" in css


def _overlaps(ax) -> list[tuple[str, str]]:
    """Pairs of x tick labels of an axes whose boxes overlap, as drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(ax.get_figure(root=True))
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.get_xticklabels() if t.get_text()]
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:] if ba.overlaps(bb)]


def test_monthly_charts_label_months_in_words_and_keep_every_point_in_view() -> None:
    """Goal and forecast charts of monthly series: month-start ticks "Nov" with the year under the
    first and wherever it changes (not the date locator's "2025-11"), every k-th month so the labels
    fit a phone-width axis without touching; the data, forecast and deadline stay inside the x-limits."""
    import matplotlib.dates as mdates
    import numpy as np
    import pandas as pd

    from kpi_toolkit.plotting import to_png
    from kpi_toolkit.plotting.trends import plot_forecast, plot_goal

    hist = pd.Series(np.arange(15.0), index=pd.date_range("2025-08-01", periods=15, freq="MS"))
    fc = pd.DataFrame({"forecast": 3.0, "lower": 1.0, "upper": 5.0},
                      index=pd.date_range("2026-11-01", periods=3, freq="MS"))
    ax = plot_goal(hist, fc, target=20.0, deadline=pd.Timestamp("2027-03-01"), status="at_risk", title="Reach")
    to_png(ax.figure)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    # Aug 2025 .. Mar 2027 = 20 months on a ~3.9-inch axis: 6 labels fit, so every 4th month
    assert labels == ["Aug\n2025", "Dec", "Apr\n2026", "Aug", "Dec"]
    assert not _overlaps(ax)
    ticks = mdates.num2date(ax.get_xticks())
    assert all(t.day == 1 for t in ticks)
    lo, hi = ax.get_xlim()
    assert lo <= mdates.date2num(hist.index[0]) and hi >= mdates.date2num(pd.Timestamp("2027-03-01"))
    # the legend hangs below the two-line month labels, not over them
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    ax.figure.draw(renderer)
    from kpi_toolkit.plotting import chart_legend

    legend_top = chart_legend(ax).get_window_extent(renderer).y1
    assert legend_top <= min(t.get_window_extent(renderer).y0 for t in ax.get_xticklabels())

    ax2 = plot_forecast(hist.iloc[:6], fc.iloc[:2], title="Reach")
    to_png(ax2.figure)
    assert [t.get_text() for t in ax2.get_xticklabels()][:3] == ["Aug\n2025", "Nov", "Feb\n2026"]
    assert not _overlaps(ax2)

    daily = pd.Series(np.arange(10.0), index=pd.date_range("2026-10-01", periods=10, freq="D"))
    ax3 = plot_forecast(daily, fc.set_axis(pd.date_range("2026-10-11", periods=3, freq="D")))
    to_png(ax3.figure)
    assert isinstance(ax3.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)  # days: concise dates
    assert not _overlaps(ax3)


def test_small_multiples_and_daily_charts_keep_tick_labels_apart() -> None:
    """The 12-month small multiples (half a phone-width figure each) and a six-month daily alert
    chart: no two x tick labels touch."""
    import pandas as pd

    from kpi_toolkit.plotting import to_png
    from kpi_toolkit.plotting.trends import plot_alerts, plot_rolling_12_months

    months = [str(p) for p in pd.period_range("2025-11", periods=12, freq="M")]
    r12 = pd.DataFrame([{"kpi": k, "label": k.title(), "unit": "count", "month": m, "value": 1000.0 + i,
                         "last_year": 900.0 + i} for k in ("reach", "engagements", "followers")
                        for i, m in enumerate(months)])
    axes = plot_rolling_12_months(r12, title="Main measures")
    to_png(axes[0].figure)
    for a in axes[:3]:
        assert not _overlaps(a), _overlaps(a)
        assert len(a.get_xticks()) >= 3  # still a label every few months
    idx = pd.date_range("2026-05-01", "2026-10-31", freq="D")
    res = pd.DataFrame({"timestamp": idx, "value": 10.0, "expected": 10.0, "lower": 8.0, "upper": 12.0,
                        "is_anomaly": False, "score": 0.0})
    ax = plot_alerts(res, title="Mentions")
    to_png(ax.figure)
    assert not _overlaps(ax), _overlaps(ax)


def test_a_chart_png_is_its_figure_and_a_collapsed_layout_is_cropped_instead() -> None:
    """to_png saves the constrained layout as it is (no tight-crop pass): the PNG is the figure, 880
    pixels across, its pixels exactly the drawing's, as RGB at the house resolution. A legend wider
    than its axes (long y labels) no longer runs past the edge. When something is cut off at the edge
    (ink in the outer ring) or a text lies wholly outside, and when the layout gives up (axes
    collapsed under a tall title), it crops to what was drawn, so nothing is lost, and says nothing."""
    import io
    import warnings

    import numpy as np
    from matplotlib.lines import Line2D
    from PIL import Image

    from kpi_toolkit.plotting import DPI, FIG_WIDTH_IN, legend_outside, new_figure, to_png

    full = (round(FIG_WIDTH_IN * DPI), round(3.0 * DPI))
    fig, ax = new_figure(height_in=3.0)
    ax.plot([1, 2], [3, 4])
    ax.set_title("A title")
    ax.set_ylabel("Reach")
    image = Image.open(io.BytesIO(to_png(fig)))
    assert image.size == full and image.mode == "RGB"
    assert np.allclose(image.info["dpi"], DPI, atol=0.01)
    assert np.array_equal(np.asarray(image), np.asarray(fig.canvas.buffer_rgba())[..., :3])

    # eight legend entries under axes squeezed by long y labels: the legend is the figure's, centred
    fig, ax = new_figure(height_in=3.0)
    for i in range(8):
        ax.barh([f"a rather long channel name {i}"], [i + 1], label=f"attribution model {i}")
    legend_outside(ax)
    grey = np.asarray(Image.open(io.BytesIO(to_png(fig))).convert("L"))
    assert grey.shape[::-1][0] == full[0]
    assert min(grey[:2].min(), grey[-2:].min(), grey[:, :2].min(), grey[:, -2:].min()) >= 250

    fig, ax = new_figure(height_in=3.0)  # a line through the figure's edges: cut off, so cropped
    ax.plot([1, 2], [3, 4])
    fig.add_artist(Line2D([-0.1, 1.1], [0.5, 0.5], transform=fig.transFigure, color="black"))
    assert Image.open(io.BytesIO(to_png(fig))).size[0] > full[0]

    fig, ax = new_figure(height_in=3.0)  # a text wholly above the figure: the ring alone is blank
    ax.plot([1, 2], [3, 4])
    fig.text(0.5, 1.3, "far above the figure")
    assert Image.open(io.BytesIO(to_png(fig))).size[1] > 1.2 * full[1]

    fig, ax = new_figure(height_in=0.8)
    ax.plot([1, 2], [3, 4])
    ax.set_title("\n".join(["a line of the title"] * 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the layout's warning is handled, not passed on
        png = to_png(fig)
    w, h = Image.open(io.BytesIO(png)).size
    assert h > 0.8 * DPI * 2  # the whole eight-line title, not the 0.8-inch figure


def test_legend_columns_fit_the_figure_and_counts_keep_their_decimals() -> None:
    """Legends take as many columns as fit a phone-width figure (as drawn by matplotlib), and a count
    axis stepping by 2.5 reads 7.5, not 8."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from kpi_toolkit.plotting import (
        FIG_WIDTH_IN,
        chart_legend,
        legend_columns,
        legend_outside,
        new_figure,
        thousands_axis,
    )

    models = ["First touch", "Last touch", "Last non-direct", "Linear", "Time decay",
              "Position based (40/20/40)", "Markov chain", "Shapley value"]
    for labels in (models, ["actual", "likely range (90 %)", "forecast", "target"], ["2024", "2025", "2026"]):
        fig, ax = new_figure()
        for lab in labels:
            ax.plot([0, 1], [0, 1], label=lab)
        legend_outside(ax)
        ncol = legend_columns(labels, FIG_WIDTH_IN)
        width = chart_legend(ax).get_window_extent(FigureCanvasAgg(fig).get_renderer()).width / fig.dpi
        assert width <= FIG_WIDTH_IN, (labels, ncol, width)
        assert ncol == 1 or width > FIG_WIDTH_IN * 0.4, (labels, ncol, width)  # no needless stacking
    assert legend_columns(["2024", "2025", "2026"], FIG_WIDTH_IN) == 3
    assert legend_columns(models, FIG_WIDTH_IN) == 2

    fig, ax = new_figure()
    fmt = thousands_axis(ax).yaxis.get_major_formatter()
    assert [fmt(v, 0) for v in (5.0, 7.5, 10.0, 12.5)] == ["5", "7.5", "10", "12.5"]
    assert [fmt(v, 0) for v in (1200.0, 12_500.0, 45_000.0, 1_250_000.0, 2_000_000.0)] == \
        ["1,200", "12.5 k", "45 k", "1.25 M", "2 M"]


def test_no_tick_labels_touch_in_any_chart_of_a_demo_report(demo_root) -> None:
    """Every chart of a whole demo monthly report, drawn at the phone width: no two tick labels of
    any axis overlap, and no chart is wider than its figure."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from kpi_toolkit import report
    from kpi_toolkit.context import load_context
    from kpi_toolkit.plotting import DPI, FIG_WIDTH_IN, to_png

    from .conftest import DEMO_END_MONTH

    ctx = load_context(client="demo-ledgerly", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    snap, goals, drivers = report.snapshot_view(ctx), report.goals_views(ctx), report.driver_views(ctx)
    views = [snap, *goals, *drivers, *report.appendix_views(ctx, [snap, *goals, *drivers])]
    figures = [v.figure for v in views if v.figure is not None]
    assert len(figures) >= 8
    for fig in figures:
        width = Image.open(io.BytesIO(to_png(fig))).size[0]
        assert width <= 1.02 * (FIG_WIDTH_IN + 2 * 0.1) * DPI, width
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        for ax in fig.axes:
            for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
                boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels
                         if t.get_text() and t.get_visible()]
                touching = [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:] if ba.overlaps(bb)]
                assert not touching, (ax.get_title(), touching)


def test_one_exporter_serves_many_reports_without_carrying_one_into_the_next(tmp_path) -> None:  # noqa: ANN001
    """The runner's workers export report after report with one cached exporter: each HTML has its own
    client's name, logo initials, colour and outputs, and nothing of the report before it."""
    from pathlib import Path

    import nbformat

    from kpi_toolkit.export import _exporter, export_html, report_resources
    from kpi_toolkit.params import ClientParams

    def one(client: str, name: str, colour: str, text: str) -> str:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("print(1)")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<p>{text}</p>"})]
        nb.cells = [nbformat.v4.new_markdown_cell(f"## {name} notes"), cell]
        params = ClientParams.model_validate({"client": client, "display_name": name, "brand": name,
                                              "branding": {"colour": colour}})
        res = report_resources(params=params, notebook="monthly_report", period_label="October 2026",
                               base_dir=Path(tmp_path))
        return export_html(nb, resources=res)

    a = one("acme", "Acme Oy", "#112233", "Acme revenue 41,000 EUR")
    b = one("globex", "Globex AS", "#445566", "Globex revenue 7,000 NOK")
    assert _exporter() is _exporter()  # the same exporter made both
    assert "Acme Oy" in a and "Acme revenue" in a and "#112233" in a
    assert "Globex AS" in b and "Globex revenue" in b and "#445566" in b
    assert not any(s in b for s in ("Acme", "#112233", "41,000"))


def test_the_data_sources_cover_days_of_the_clients_time_zone(demo_root) -> None:
    """Trailhead is in America/Denver: a post at 18:58 on the month's last evening is 01:58 UTC the
    next day. The appendix says times are in the client's zone, so its ranges are too."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.periods import month_period
    from kpi_toolkit.report import appendix_views

    from .conftest import DEMO_END_MONTH

    ctx = load_context(client="demo-trailhead", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    sources = appendix_views(ctx, [])[0]
    assert sources.sentences[0].startswith("Times are shown in America/Denver.")
    posts = ctx.data.posts["published_at"].dropna()
    last_local = posts.dt.tz_convert("America/Denver").max()
    covers = sources.table.set_index("Data").loc["posts", "Covers"]
    assert covers.endswith(f"{last_local:%d %b %Y}")
    # and no post of the report's data lies after the month, in the client's days
    assert last_local < month_period(DEMO_END_MONTH, "America/Denver").end


def test_dollar_signs_from_data_are_drawn_as_written() -> None:
    """A brand "Ca$$h", a caption "$x^2$ deals": matplotlib would typeset text between two "$" as
    maths (or fail the whole chart on "$$"). Every text of a house-style chart is drawn as written."""
    from matplotlib.text import Text

    from kpi_toolkit.plotting import legend_outside, new_figure, to_png

    fig, ax = new_figure()
    ax.bar(["Ca$$h", "$x^2$ deals"], [1, 2], label="Money$$Bags")
    title = "Share of voice: Ca$$h against $x$ and a long title that wraps onto a second line here"
    ax.set_title(title)
    ax.set_xlabel("Brand $a$ from C:\\$5")  # a backslash before a "$" is drawn too
    legend_outside(ax)
    to_png(fig)  # "Ca$$h" in a wrapped title made matplotlib's maths parser raise
    texts = [t for t in fig.findobj(Text) if "$" in t.get_text()]
    texts += [t for t in ax.get_xticklabels() if "$" in t.get_text()]
    assert len(texts) >= 5
    drawn = set()
    for t in texts:
        shown, is_math = t._preprocess_math(t.get_text())
        assert not is_math, t.get_text()
        drawn.add(shown)
    assert {title, "Brand $a$ from C:\\$5", "Ca$$h", "$x^2$ deals", "Money$$Bags"} <= drawn, drawn


def test_ratio_axis_labels_in_words() -> None:
    """Log ratio axes read "0.5×", "1×", "2×" (matplotlib's own log labels are maths notation)."""
    from kpi_toolkit.plotting import new_figure, ratio_axis, to_png

    for lo, hi, want in ((0.3, 3.0, ["0.5×", "1×", "2×"]), (0.92, 1.3, ["1×", "1.1×"]), (0.004, 40, None)):
        fig, ax = new_figure()
        ax.plot([lo, hi], [0, 1])
        ratio_axis(ax)
        to_png(fig)
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels and all(x.endswith("×") and "$" not in x for x in labels), labels
        assert not [t.get_text() for t in ax.xaxis.get_minorticklabels() if t.get_text()]
        if want:
            assert labels == want, labels


def test_notebook_outputs_are_not_typeset_as_maths() -> None:
    """JupyterLab typesets "$…$" in HTML outputs; every block show/show_table/show_text displays
    carries MathJax's ignore classes, so a post "$5 off, now $3" keeps its dollars for the analyst."""
    from unittest import mock

    import pandas as pd

    from kpi_toolkit import display as d
    from kpi_toolkit.views import ReportView

    shown: list[str] = []
    with mock.patch("IPython.display.display", lambda obj: shown.append(obj.data)):
        d.show(ReportView(key="k", title="$5 off", sentences=["now $3"]))
        d.show_table(pd.DataFrame({"post": ["$5 off, now $3"]}), title="Posts")
        d.show_text("$5 off, now $3", heading="Note")
    assert len(shown) == 3
    for html in shown:
        assert html.count("mathjax_ignore tex2jax_ignore") == 1 and "$5 off" in html, html


def test_snapshot_says_when_a_month_has_too_few_posts_or_no_engagement(demo_root) -> None:
    """Three posts after a hundred had read "down 95 %; within normal variation" and nothing more; a month
    where no post has a single engagement (a broken export) had read as real performance."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.report import _posting_notes
    from kpi_toolkit.segments import _post_time

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    assert _posting_notes(ctx) == []
    posts = ctx.data.posts
    when = _post_time(posts).dt.tz_convert(ctx.params.timezone).dt.strftime("%Y-%m")
    october = posts[when == "2026-10"]
    before = int((when == "2026-09").sum())
    ctx.data.tables["posts"] = posts.drop(october.index[3:])
    notes = _posting_notes(ctx)
    assert notes == [f"Only 3 posts went out in October 2026, against {before:,} in September 2026: with so few, "
                     "the month's rates move with single posts, and a test of the change cannot tell much. Read "
                     "the numbers as a sign of less posting, not of how the content worked."]
    zero = posts.copy()
    for c in ("likes", "comments", "shares", "saves"):
        if c in zero.columns:
            zero.loc[october.index, c] = 0
    ctx.data.tables["posts"] = zero
    notes = _posting_notes(ctx)
    assert len(notes) == 1 and notes[0].startswith("None of the month's ") and "check the data" in notes[0]


def test_snapshot_cells_say_why_there_is_no_change() -> None:
    """A first month had shown a table of "n/a" with no word why."""
    import math

    from kpi_toolkit.report import _change_cell

    assert _change_cell(math.nan, 5.0, "count") == "no data"
    assert _change_cell(5.0, math.nan, "count") == "no data then"
    assert _change_cell(5.0, 0.0, "count") == "from 0"
    assert _change_cell(0.05, 0.0, "fraction") == "+5.0 pts"
    assert _change_cell(12.0, 10.0, "count") == "+20 %"


PHONE_MIN_PT = 10.0
"""The smallest chart text that reads without zooming on a phone (kpi_toolkit.plotting.MIN_FONT_PT)."""


def _small_texts(fig) -> list[tuple[str, float]]:  # noqa: ANN001
    """Every visible text of a figure drawn smaller than :data:`PHONE_MIN_PT`, as drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(fig).draw()
    return [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < PHONE_MIN_PT]


def _slots_and_grid(hours: int) -> tuple:
    """A time_slots frame and a posting_time_grid frame of two platforms over the whole day."""
    import numpy as np
    import pandas as pd

    blocks = [f"{h:02d}:00-{h + hours - 1:02d}:59" for h in range(0, 24, hours)]
    rng = np.random.default_rng(42)
    slots = pd.DataFrame([{"platform": p, "hour_block": b, "enough_posts": bool(i % 3), "relative": r,
                           "relative_low": r - 0.2, "relative_high": r + 0.2}
                          for p in ("facebook", "instagram") for i, b in enumerate(blocks)
                          for r in [float(rng.uniform(0.6, 1.6))]])
    slots.attrs["label"] = "engagement rate (by reach)"
    grid = pd.DataFrame([{"platform": "instagram", "weekday": d, "hour_block": b, "value": float(rng.uniform(0.01, 0.09)),
                          "masked": bool((d + i) % 4 == 0), "n_posts": int(rng.integers(2, 40))}
                         for d in range(7) for i, b in enumerate(blocks)])
    grid.attrs["kind"] = "rate"
    return slots, grid


def test_every_chart_text_is_readable_on_a_phone(demo_root) -> None:
    """No text of any chart (tick labels, panel titles, post counts, legends, heatmap cells, notes on
    the lines) is drawn under MIN_FONT_PT: shown ~74 CSS pixels per inch on a 390-pixel phone, the
    12-month small multiples' 8-point ticks and the segment charts' 7- and 8-point post counts came
    out at 7-8 pixels. Every chart of a demo monthly report, and the analyst notebooks' own charts."""
    from kpi_toolkit import report, trends
    from kpi_toolkit.context import load_context
    from kpi_toolkit.plotting import new_figure
    from kpi_toolkit.plotting.segments import plot_posting_heatmaps, plot_time_slots
    from kpi_toolkit.plotting.trends import (
        plot_decomposition,
        plot_level_shifts,
        plot_month_of_year,
    )

    from .conftest import DEMO_END_MONTH

    ctx = load_context(client="demo-lumiere", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    snap, goals, drivers = report.snapshot_view(ctx), report.goals_views(ctx), report.driver_views(ctx)
    figures = [v.figure for v in [snap, *goals, *drivers] if v.figure is not None]
    assert len(figures) >= 8
    daily = trends.daily_series(ctx.data, ["mentions"], tz=ctx.tz, brand=ctx.params.brand,
                                end=ctx.period.end_day)["mentions"].dropna()
    figures.append(plot_decomposition(trends.decompose(daily), title="Mentions per day, taken apart")[0].figure)
    adjusted = trends.seasonal_adjust(daily)
    figures.append(plot_level_shifts(adjusted, trends.change_points_from(adjusted), title="Levels").figure)
    moy = trends.month_of_year(ctx.data, "mentions", month=ctx.month, tz=ctx.tz, brand=ctx.params.brand, years=3)
    figures.append(plot_month_of_year(moy, ax=new_figure(height_in=3.4)[1], title="Mentions by month").figure)
    for hours in (2, 1):
        slots, grid = _slots_and_grid(hours)
        figures += [plot_time_slots(slots).figure, plot_posting_heatmaps(grid)]
    small = {i: _small_texts(fig) for i, fig in enumerate(figures)}
    assert not any(small.values()), {i: s[:5] for i, s in small.items() if s}
    from kpi_toolkit.plotting import MIN_FONT_PT

    assert MIN_FONT_PT >= PHONE_MIN_PT


def test_time_slot_labels_never_run_into_each_other() -> None:
    """Twelve 2-hour slots (a page that posts round the clock, as the UCI Facebook export does) or
    twenty-four 1-hour slots: the x labels of the time-of-day chart do not touch; with fewer slots
    they give the starting hour of every slot."""
    from kpi_toolkit.plotting import to_png
    from kpi_toolkit.plotting.segments import plot_time_slots

    for hours in (2, 1):
        slots, _ = _slots_and_grid(hours)
        ax = plot_time_slots(slots)
        to_png(ax.figure)
        assert not _overlaps(ax), _overlaps(ax)
        assert len([t for t in ax.get_xticklabels() if t.get_text()]) >= 6
    slots, _ = _slots_and_grid(2)
    ax = plot_time_slots(slots[slots["hour_block"].str[:2].astype(int).between(6, 22)])
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["06", "08", "10"]


def test_chart_axes_say_the_unit_the_report_writes() -> None:
    """An axis reads as the report's numbers do: a ROAS axis "2.5×" (it read "2.5", beside a sentence
    saying "2.36×"), an NPS axis "+42" (it read "42 %": a score is not a percentage), hours "5 h",
    money with its symbol when the chart knows the currency; rates stay percentages, counts "45 k"."""
    import pandas as pd

    from kpi_toolkit.plotting import new_figure, to_png
    from kpi_toolkit.plotting.trends import plot_goal, plot_rolling_12_months, unit_axis

    def labels(unit: str, values: list[float], currency: str | None = None) -> list[str]:
        _, ax = new_figure()
        unit_axis(ax, unit, currency=currency)
        fmt = ax.yaxis.get_major_formatter()
        return [fmt(v, 0) for v in values]

    assert labels("ratio", [2.0, 2.5, 3.0]) == ["2×", "2.5×", "3×"]
    assert labels("score", [-0.1, 0.0, 0.42]) == ["-10", "0", "+42"]
    assert labels("hours", [0.5, 5.0]) == ["0.5 h", "5 h"]
    assert labels("currency", [0.5, 1200.0, 45_000.0], "EUR") == ["€0.5", "€1,200", "€45 k"]
    assert labels("currency", [1200.0], "SEK") == ["1,200 SEK"]
    assert labels("currency", [1200.0]) == ["1,200"]
    assert labels("fraction", [0.05]) == ["5 %"]
    assert labels("count", [45_000.0]) == ["45 k"]

    months = pd.date_range("2025-11-01", periods=12, freq="MS")
    history = pd.Series([2.2, 3.0, 2.2, 2.5, 2.8, 2.3, 2.3, 2.4, 2.4, 2.5, 2.6, 2.4], index=months)
    ax = plot_goal(history, None, target=3.0, deadline="2027-02-28", status="off_track", unit="ratio",
                   title="Return on ad spend: off track")
    to_png(ax.figure)
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(t.endswith("×") for t in ticks), ticks
    r12 = pd.DataFrame([{"kpi": "cpa", "label": "Cost per acquisition", "unit": "currency",
                         "month": str(m.to_period("M")), "value": 40.0 + i, "last_year": 45.0}
                        for i, m in enumerate(months)])
    axes = plot_rolling_12_months(r12, currency="GBP")
    to_png(axes[0].figure)
    ticks = [t.get_text() for t in axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all(t.startswith("£") for t in ticks), ticks


def test_only_a_report_with_an_appendix_points_to_it(demo_run) -> None:
    """The footer of the monthly report points to its appendix; the analyst notebooks have none, so
    theirs does not (every report's footer had said 'the data sources listed in the appendix')."""
    import re

    from .conftest import DEMO_END_MONTH

    root, _ = demo_run
    for path in sorted((root / "outputs" / DEMO_END_MONTH).glob("*/*.html")):
        text = path.read_text(encoding="utf-8")
        footer = re.search(r'<footer class="kpi-footer">(.*?)</footer>', text, re.S).group(1)
        has_appendix = bool(re.search(r"<h1[^>]*>\s*Appendix", text))
        assert ("appendix" in footer) == has_appendix, (path.name, footer)
        assert "Confidential: prepared for" in footer and "totals divided by totals" in footer



def test_no_report_says_the_same_heading_twice_in_a_row(demo_run) -> None:
    """An analyst notebook's markdown heading and the view under it named the same thing ("Formats",
    then "Formats"; "Against industry benchmarks" twice): the view is shown without its title there."""
    import re
    from html import unescape

    from kpi_toolkit.display import view_html

    from .conftest import DEMO_END_MONTH

    root, _ = demo_run
    for path in sorted((root / "outputs" / DEMO_END_MONTH).glob("*/*.html")):
        heads = [" ".join(unescape(re.sub(r"<[^>]+>", "", h)).replace("¶", "").split()).lower()
                 for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", path.read_text(encoding="utf-8"), re.S)]
        twice = [a for a, b in zip(heads, heads[1:], strict=False) if a == b]
        assert not twice, (path.parent.name, path.name, twice)
    assert "<h2>" not in view_html(ReportView(key="k", title="Formats", sentences=["s"]), heading=False)


def _cut_data(ctx, last_day: str) -> None:  # noqa: ANN001
    """Keep each table's rows up to ``last_day`` (a local day of the client's zone), as an export that ends there."""
    from kpi_toolkit.schema import TABLES

    end = pd.Timestamp(last_day) + pd.Timedelta(days=1)
    for name, df in list(ctx.data.tables.items()):
        col = TABLES[name].time_col
        if not col or col not in df.columns:
            continue
        t = pd.to_datetime(df[col])
        if t.dt.tz is not None:
            t = t.dt.tz_convert(ctx.params.timezone).dt.tz_localize(None)
        ctx.data.tables[name] = df[(t < end).to_numpy(dtype=bool)]


def test_snapshot_compares_totals_per_day_when_the_month_is_partly_covered(demo_root) -> None:
    """An export that ends on 15 October: the snapshot had read "Conversions (ads) was 175, down 39 % from 287
    the previous month" beside a test of the conversions per day (which had risen), and nothing said that
    half of the month was missing."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.report import snapshot_view

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    _cut_data(ctx, "2026-10-15")
    view = snapshot_view(ctx)
    assert view.sentences[0] == ("The data for October 2026 covers 1–15 Oct only (15 of its 31 days): its totals "
                                 "(reach, conversions (ads)) count those days only, so they are compared with "
                                 "other months per day.")
    ads = ctx.data.tables["ads"]
    month = pd.to_datetime(ads["date"]).dt.strftime("%Y-%m")
    october, september = ads.loc[month == "2026-10", "conversions"].sum(), ads.loc[month == "2026-09", "conversions"].sum()
    per_day = (october / 15) / (september / 30) - 1
    row = view.table.set_index("Measure").loc["Conversions (ads)"]
    assert row["vs last month"] == f"{per_day * 100:+.0f} % per day"
    totals = [s for s in view.sentences if s.startswith(("Reach was", "Conversions (ads) was"))]
    assert totals and all(" with data (" in s and " % per day from " in s for s in totals)
    for s in totals:
        if s.startswith("Conversions (ads) was"):  # when it is among the month's largest moves
            assert f"over the 15 days of October 2026 with data ({october / 15:.1f} a day)" in s
            assert (f"{'up' if per_day > 0 else 'down'} {abs(per_day) * 100:.0f} % per day from "
                    f"{september / 30:.1f} a day") in s
    # a rate needs no such care: its change is the rate's own
    assert view.table.set_index("Measure").loc["Click-through rate (ads)", "vs last month"].endswith(" pts")


def test_snapshot_says_when_ads_spent_and_got_clicks_but_recorded_no_conversion(demo_root) -> None:
    """A month of zero conversions had read "Conversions (ads) was 0, down 100 % from 287 the previous month;
    unlikely to be chance (p < 0.001) (needs attention)" and nothing more, while the ads spent and got
    clicks all month: almost always tracking that stopped, which the report now says."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.kpis import format_money
    from kpi_toolkit.report import _conversion_tracking_notes, snapshot_view

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    assert _conversion_tracking_notes(ctx) == []
    ads = ctx.data.tables["ads"].copy()
    month = pd.to_datetime(ads["date"]).dt.strftime("%Y-%m")
    october = (month == "2026-10").to_numpy()
    september = int(ads.loc[month == "2026-09", "conversions"].sum())
    ads.loc[october, ["conversions", "revenue"]] = 0
    ctx.data.tables["ads"] = ads
    spend, clicks = ads.loc[october, "spend"].sum(), ads.loc[october, "clicks"].sum()
    note = (f"The ads recorded {format_money(spend, 'EUR')} of spend and {clicks:,} clicks in October 2026 but not "
            f"a single conversion ({september:,} in September 2026). That is almost always conversion tracking "
            "that stopped (a removed pixel or tag, an expired integration), not a month nobody bought: check the "
            "tracking before reading conversions and return on ad spend.")
    assert note in snapshot_view(ctx).sentences
    # a client whose ads never record conversions is not told so every month
    ads.loc[month == "2026-09", "conversions"] = 0
    assert _conversion_tracking_notes(ctx) == []



def _ledgerly_october_from(demo_root, first_day: str):  # noqa: ANN001, ANN202
    """demo-ledgerly's October 2026 context with every table cut to rows from ``first_day`` on (in the
    client's time zone): a client whose data begins then."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.schema import TABLES

    ctx = load_context(client="demo-ledgerly", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    for name, df in list(ctx.data.tables.items()):
        t = pd.to_datetime(df[TABLES[name].time_col])
        if t.dt.tz is not None:
            t = t.dt.tz_convert(ctx.params.timezone).dt.tz_localize(None)
        ctx.data.tables[name] = df[(t >= pd.Timestamp(first_day)).to_numpy(dtype=bool)]
    return ctx

def test_snapshot_says_no_data_then_for_a_total_of_a_month_before_the_data_began(demo_root) -> None:
    """A client whose data begins in September 2026: its October snapshot read "from 0" a year ago for reach
    and conversions (the sum over a month without any row is 0), as if there had been no reach then,
    where there was no data."""
    from kpi_toolkit.report import snapshot_view

    ctx = _ledgerly_october_from(demo_root, "2026-09-01")
    table = snapshot_view(ctx).table.set_index("Measure")
    assert set(table["vs a year ago"]) == {"no data then"}


def test_a_quiet_last_week_of_posting_is_not_a_month_the_data_covers_in_part(demo_root) -> None:
    """A client that did not post in the last three days of October: the posts table's last row is on the
    28th while every other table runs to the 31st. The month is whole (three days without posts), not
    "covered 1–28 Oct only"; the reach test's exposure is the month's 31 days."""
    from kpi_toolkit.context import load_context
    from kpi_toolkit.report import snapshot_view
    from kpi_toolkit.segments import _post_time
    from kpi_toolkit.trends import compare_periods

    ctx = load_context(client="demo-lumiere", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    posts = ctx.data.tables["posts"]
    local = _post_time(posts).dt.tz_convert(ctx.params.timezone).dt.tz_localize(None)
    ctx.data.tables["posts"] = posts[(local < pd.Timestamp("2026-10-29")).to_numpy(dtype=bool)]
    view = snapshot_view(ctx)
    assert not any(s.startswith("The data for October 2026") for s in view.sentences)
    assert not view.table.set_index("Measure").loc["Reach", "vs last month"].endswith("per day")
    row = compare_periods(ctx.data, "reach", month="2026-10", tz=ctx.tz).set_index("comparison").loc["previous_month"]
    assert (row["current_days"], row["current_period_days"]) == (31, 31)
    # the export that ends on the 28th for every table is still a month covered in part
    _cut_data(ctx, "2026-10-28")
    ctx.cache.clear()
    assert snapshot_view(ctx).sentences[0].startswith("The data for October 2026 covers 1–28 Oct only (28 of its 31 days)")


def test_status_words_start_alike_and_steps_are_labelled_for_phone_cards(demo_run) -> None:
    """The snapshot's Status column read "Off track" above "no goal"; on a phone a table becomes cards
    labelled by their column, and the recommendations' "#" read as a bare "#"."""
    root, _ = demo_run
    from .conftest import DEMO_END_MONTH

    html = (root / "outputs" / DEMO_END_MONTH / "demo-lumiere" / "monthly_report.html").read_text(encoding="utf-8")
    import re

    statuses = set(re.findall(r'<td data-label="Status">([^<]*)</td>', html))
    assert statuses and all(s[:1].isupper() for s in statuses), statuses
    assert '<td data-label="Step">1</td>' in html and 'data-label="#"' not in html


def test_the_12_month_chart_draws_a_partly_covered_month_scaled_and_marked() -> None:
    """Data ending on 15 November: its reach, 3.3 M in 15 days, was drawn as November's total beside
    5.0 M months, a dip that never happened. A count or money total of such a month is drawn scaled to
    the month at the same daily rate (3.3 M x 30 / 15 = 6.6 M) with a hollow marker, the legend says
    "November 2026: 15 of 30 days, totals scaled"; a rate is drawn as it is (hollow too), a month
    covered in full is untouched, and a frame without the day columns is drawn as before."""
    import numpy as np
    import pandas as pd
    import pytest

    from kpi_toolkit.plotting import to_png
    from kpi_toolkit.plotting.trends import plot_rolling_12_months

    months = [str(p) for p in pd.period_range("2025-12", periods=12, freq="M")]
    month_days = [pd.Period(m).days_in_month for m in months]
    days = [*month_days[:-1], 15]
    r12 = pd.concat([
        pd.DataFrame({"kpi": "reach", "label": "Reach", "unit": "count", "month": months,
                      "value": [5.0e6] * 11 + [3.3e6], "last_year": 4.0e6, "days": days, "month_days": month_days,
                      "last_year_days": month_days, "last_year_month_days": month_days}),
        pd.DataFrame({"kpi": "engagement_rate_by_reach", "label": "Engagement rate", "unit": "fraction",
                      "month": months, "value": 0.05, "last_year": 0.04, "days": days, "month_days": month_days,
                      "last_year_days": month_days, "last_year_month_days": month_days}),
    ], ignore_index=True)
    axes = plot_rolling_12_months(r12, title="Main measures")
    to_png(axes[0].figure)
    reach, rate = axes[0], axes[1]
    line = reach.get_lines()[0]
    assert line.get_ydata()[-1] == pytest.approx(6.6e6) and np.allclose(line.get_ydata()[:-1], 5.0e6)
    assert rate.get_lines()[0].get_ydata()[-1] == pytest.approx(0.05)
    for a in (reach, rate):
        hollow = [ln for ln in a.get_lines() if ln.get_markerfacecolor() in ("white", "w", (1, 1, 1, 1))]
        assert len(hollow) == 1 and list(hollow[0].get_xdata()) == [11], a.get_title()
    legend = [t.get_text() for t in axes[0].figure.legends[0].get_texts()]
    assert legend == ["last 12 months", "a year earlier", "November 2026: 15 of 30 days, totals scaled"]
    assert not _overlaps(reach)
    # every month covered in full: the chart as before, no extra marker or legend entry
    full = r12.assign(days=r12["month_days"])
    axes = plot_rolling_12_months(full)
    assert axes[0].get_lines()[0].get_ydata()[-1] == pytest.approx(3.3e6)
    assert [t.get_text() for t in axes[0].figure.legends[0].get_texts()] == ["last 12 months", "a year earlier"]
    bare = plot_rolling_12_months(r12.drop(columns=["days", "month_days", "last_year_days", "last_year_month_days"]))
    assert bare[0].get_lines()[0].get_ydata()[-1] == pytest.approx(3.3e6)


def test_the_drivers_method_note_is_in_plain_words(demo_run) -> None:
    """The monthly report's drivers section read "Model: negative binomial (NB2) regression, log exposure
    offset ... p-values are Holm-corrected": a client's report names the method, in words."""
    root, _ = demo_run
    import re

    from .conftest import DEMO_END_MONTH

    html = (root / "outputs" / DEMO_END_MONTH / "demo-lumiere" / "monthly_report.html").read_text(encoding="utf-8")
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)  # the charts' bytes may spell anything
    assert "How this was measured: a statistical model of each post&#x27;s engagements for its reach (a negative " \
           "binomial regression)" in html or "How this was measured: a statistical model of each post's engagements " \
           "for its reach (a negative binomial regression)" in html
    for jargon in ("NB2", "exposure offset", "Holm-corrected", "p-values"):
        assert jargon not in html, jargon


def test_a_goal_not_paced_yet_is_not_said_to_have_no_data(demo_root) -> None:
    """A new client's first month (every table from October 2026): the snapshot read ROAS '11.60×' with
    the status 'No data yet' beside it, and 'Goals: 3 no data yet.', where the goals section said each
    'cannot be paced yet' (too few months, no baseline). The status says what the goals section says."""
    from kpi_toolkit.report import snapshot_view

    ctx = _ledgerly_october_from(demo_root, "2026-10-01")
    view = snapshot_view(ctx)
    table = view.table.set_index("Measure")
    roas = table.loc["Return on ad spend"]
    assert roas["This month"] != "no data" and roas["Status"] == "Cannot be paced yet"
    assert "No data yet" not in set(table["Status"])
    assert "Goals: 3 cannot be paced yet." in view.sentences
    # a goal of a change from a baseline still to come has a goal, with its target not known yet
    er = table.loc["Engagement rate (by reach)"]
    assert er["Goal"].startswith("target not known yet, by ") and er["Status"] == "Cannot be paced yet"
    assert table.loc["Reach", "Goal"] == "none"


def test_share_of_voice_chart_is_titled_with_the_months_it_has(demo_root) -> None:
    """A new client whose mentions begin in August 2026: the October report's share-of-voice chart, three
    months of lines, was titled and described 'November 2025 to October 2026', the window asked for."""
    from kpi_toolkit.benchmarks import competitor_view
    from kpi_toolkit.context import load_context

    ctx = load_context(client="demo-ledgerly", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    for name in ("posts", "ads", "audience", "web", "competitors", "surveys", "touchpoints", "conversions"):
        ctx.data.tables.pop(name, None)
    m = ctx.data.tables["mentions"]
    ctx.data.tables["mentions"] = m[(m["published_at"] >= pd.Timestamp("2026-08-01", tz="UTC")).to_numpy(dtype=bool)]
    view = competitor_view(ctx)
    assert view.figure is not None
    titles = [a.get_title() or a.get_title("left") for a in view.figure.axes]
    assert "Share of voice, August 2026 to October 2026" in titles, titles
    assert "from August 2026 to October 2026" in view.alt_text
    assert "Only 3 months of mentions: the share-of-voice trend needs 6." in view.caveats


def test_recommendations_never_say_nothing_was_found_beside_a_held_back_finding() -> None:
    """A LinkedIn-only client: the time-of-day section found a slot "unlikely to be chance" that no step
    acted on, and Part 3 read "no analysis found a difference large and certain enough to act on"."""
    from kpi_toolkit.report import recommendations_view

    held = ("Posting time: LinkedIn posts published 08:00-09:59 did better than LinkedIn's usual rate (When posts "
            "work best, +32 %). ... No change to the posting schedule is recommended yet.")
    timing = ReportView(key="segments-timing", title="When posts work best", held_back=[held])
    got = recommendations_view([ReportView(key="snapshot", title="s"), timing])
    assert got.table is None
    assert not any("no analysis found" in s for s in got.sentences)
    assert got.sentences == ["No change is recommended this month. The report does find the following, but does "
                             "not turn it into a step yet:", held]
    # beside steps, the held-back finding is listed after them; with nothing held back, the old words stand
    timing.recommendations = [Recommendation("Post more reels", "e", priority=1)]
    got = recommendations_view([timing])
    assert got.sentences[-2:] == ["Not turned into a step:", held] and len(got.table) == 1
    assert recommendations_view([ReportView(key="x", title="x")]).sentences == [
        "No change is recommended this month: no analysis found a difference large and certain enough to act on."]
    # a skipped view's held-back findings are not in the report, so not listed either
    skipped = ReportView(key="segments-timing", title="t", held_back=[held], skipped_reason="no posts")
    assert "no analysis found" in recommendations_view([skipped]).sentences[0]


def test_steps_past_the_table_are_named_not_dropped() -> None:
    """Lumière, October 2026: eleven steps, six in the table; the listening section's 92 unanswered
    mentions (response rate 81.7 % against a 90 % target) and its step vanished from Part 3 unsaid."""
    from kpi_toolkit.report import recommendations_view

    view = ReportView(key="v", title="v", recommendations=[
        Recommendation(f"Step {i}", f"e{i}", priority=1) for i in range(6)] + [
        Recommendation("Answer every question and complaint", "92 of 504 ...", priority=2),
        Recommendation("Community team: look again.", "e", priority=3)])
    got = recommendations_view([view])
    assert list(got.table["Next step"]) == [f"Step {i}" for i in range(6)]
    assert got.sentences[1] == ("The table lists the 6 most urgent of 8 steps; the other 2, less urgent: "
                                "Answer every question and complaint; Community team: look again.")


def test_a_competitor_step_does_not_call_an_untested_own_share_flat(demo_root, monkeypatch) -> None:  # noqa: ANN001
    """demo-trailhead 2026-09 (kpi demo data): Northbound's share of voice rose (p < 0.001) while
    Trailhead's own 12-month slope could be chance. The step's evidence said "Trailhead Outfitters
    (demo)'s own share was flat", a claim the report made nowhere, beside a share of voice up 5.3 points
    on the year (unlikely to be chance). Here the own slope is made one that could be chance (p = 0.3):
    the section says the own share did not move steadily and the step says the same."""
    from kpi_toolkit import benchmarks as B
    from kpi_toolkit.context import load_context

    from .conftest import DEMO_END_MONTH

    real = B.competitor_tables

    def own_slope_could_be_chance(ctx):  # noqa: ANN001, ANN202
        t = real(ctx)
        tr = t["sov_trend"].copy()
        own = tr["brand"] == ctx.params.brand
        tr.loc[own, ["trend", "p_value"]] = ["stable", 0.3]
        return {**t, "sov_trend": tr}

    monkeypatch.setattr(B, "competitor_tables", own_slope_could_be_chance)
    ctx = load_context(client="demo-trailhead", month=DEMO_END_MONTH, data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    view = B.competitor_view(ctx)
    name = "Trailhead Outfitters (demo)"
    step = next(r for r in view.recommendations if r.action.startswith("Look at what Northbound"))
    assert step.evidence.endswith(f"{name}'s own share showed no steady trend."), step.evidence
    assert (f"{name}'s own share of voice did not move steadily over the last 12 months (no trend unlikely "
            "to be chance).") in view.sentences, view.sentences


def test_a_share_of_voice_change_that_rounds_to_nothing_reads_as_the_snapshot_does() -> None:
    """demo-ledgerly 2026-10: the snapshot table gave share of voice "0 pts" on the previous month and the
    competitor section "+0.0 points" (32.64 % to 32.67 %)."""
    from kpi_toolkit.benchmarks import pts

    assert _change_text(0.3267, 0.3264, "fraction") == "0 pts"
    assert pts(0.3267 - 0.3264) == "0 points"
    assert pts(-0.0004) == "0 points"
    assert pts(0.021) == "+2.1 points" and pts(-0.034) == "-3.4 points"
    assert pts(float("nan")) == "n/a"


def _comparison(kpi: str, comparison: str, current: float, baseline: float, p: float) -> dict:
    from kpi_toolkit.kpis import REGISTRY
    from kpi_toolkit.trends.significance import format_p

    verdict = f"{'unlikely to be chance' if p < 0.05 else 'within normal variation'} ({format_p(p)})"
    return {"kpi": kpi, "label": REGISTRY[kpi].label, "unit": REGISTRY[kpi].unit, "comparison": comparison,
            "current": current, "baseline": baseline, "rel_change": (current - baseline) / baseline,
            "rel_change_per_day": float("nan"), "current_days": 31, "current_period_days": 31,
            "baseline_days": 31, "baseline_period_days": 31, "test": "two-proportion z-test", "p_value": p,
            "significant": p < 0.05, "verdict": verdict, "summary": verdict}


def test_a_clear_change_on_a_year_ago_gets_a_step_or_a_reason_in_part_3() -> None:
    """demo-ledgerly 2026-10 read "Against the same month last year: ... Click-through rate (ads) down 0.17
    percentage points; Share of voice down 6.3 percentage points (each unlikely to be chance)", both still
    holding after Holm's correction for the 12 tests, and Part 3 said nothing of either. Now a clear,
    material decline on a year ago is a step, which a goal step on the same measure covers (taking its
    evidence); a clear rise is good news that a held-back line says needs no step; a change that does
    not hold after the correction (reach up 81 %, p = 0.045 of 12 tests) or is too small is left alone."""
    from kpi_toolkit.trends.report import clear_change_steps, holm_holds
    from kpi_toolkit.views import kpi_topic

    comp = pd.DataFrame([
        _comparison("reach", "same_month_last_year", 536_819, 296_000, 0.045),
        _comparison("ctr", "same_month_last_year", 0.0071, 0.0088, 1e-15),
        _comparison("share_of_voice", "same_month_last_year", 0.327, 0.390, 1e-4),
        _comparison("engagement_rate_by_reach", "previous_month", 0.048, 0.039, 1e-6),
        _comparison("conversions", "same_month_last_year", 1000, 1020, 1e-3),  # clear but 2 %: not material
        *(_comparison("roas", "previous_month", 8.0, 8.0, 0.9) for _ in range(7))])
    holds = holm_holds(comp)
    steps, held = clear_change_steps(comp, holds)
    assert [(s.action, s.priority, s.topics) for s in steps] == [
        ("Look into why click-through rate (ads) is behind the same month last year with the team that owns it.",
         3, (kpi_topic("ctr"),)),
        ("Look into why share of voice is behind the same month last year with the team that owns it.",
         3, (kpi_topic("share_of_voice"),))]
    assert steps[0].evidence == ("Click-through rate (ads) down 0.17 percentage points on the same month last year: "
                                 "unlikely to be chance (p < 0.001), allowing for all the month's tests.")
    assert held == ["Good news: Engagement rate (by reach) up 0.9 percentage points on the previous month (unlikely "
                    "to be chance, allowing for all the month's tests). No step is needed for it: keep doing what "
                    "drove it."]
    # the goal's step on share of voice covers the decline on a year ago and gives its numbers too
    goal = Recommendation("Brand team: share of voice is off track for its goal.", "now 32.7 %: off track.",
                          priority=1, source="goals", topic=kpi_topic("share_of_voice"))
    views = [ReportView(key="goals", title="g", recommendations=[goal]),
             ReportView(key="trend", title="t", recommendations=steps, held_back=held)]
    got = recommendations(views)
    assert [r.action for r in got] == [goal.action, steps[0].action]
    assert got[0].evidence == "now 32.7 %: off track. " + steps[1].evidence


def test_a_clear_change_in_a_measure_neither_good_nor_bad_is_named_in_part_3() -> None:
    """A client whose core measures include ad spend: "Against the same month last year: Ad spend up 60 %
    (unlikely to be chance)" had no step and no word in Part 3, since spend is neither good nor bad in
    itself. It is now named in a held-back line that says so."""
    from kpi_toolkit.trends.report import clear_change_steps, holm_holds

    comp = pd.DataFrame([_comparison("spend", "same_month_last_year", 16_000, 10_000, 1e-4),
                         _comparison("posts", "previous_month", 50, 48, 0.6)])
    steps, held = clear_change_steps(comp, holm_holds(comp))
    assert steps == []
    assert held == ["Also clear: Ad spend up 60 % on the same month last year (unlikely to be chance, allowing for "
                    "all the month's tests). This is neither good nor bad in itself, so no step is needed; it "
                    "explains other numbers."]


# 12 tests, as a month of 6 core KPIs against the previous month and a year ago. Holm by hand: sorted, the
# p-values times 12, 11, 10, ... are 0.0003 x 12 = 0.0036, 0.0031 x 11 = 0.034, 0.004 x 10 = 0.04, all below
# 0.05, then 0.009 x 9 = 0.081, which is not, and stops: 0.009 and 0.045 are below 0.05 but do not hold.
_HOLM_P = {("roas", "previous_month"): 0.009, ("engagement_rate_by_reach", "previous_month"): 0.004,
           ("reach", "same_month_last_year"): 0.045, ("ctr", "same_month_last_year"): 0.0003,
           ("share_of_voice", "same_month_last_year"): 0.0031}


def test_a_verdict_that_does_not_hold_after_holm_says_so_in_the_snapshot(demo_root, monkeypatch) -> None:  # noqa: ANN001
    """Part 3 said of a change that does not survive Holm's correction for the month's 12 comparisons that
    "allowing for all 12 it could still be chance", while Part 1's snapshot called the same number
    "unlikely to be chance (p = 0.009) (good news)" (return on ad spend up 67 % here). The comparisons now carry the corrected verdict,
    with the p-value in sight and no good-news label; a verdict that holds is unchanged."""
    import kpi_toolkit.trends.report as trend_report
    from kpi_toolkit.context import load_context
    from kpi_toolkit.report import snapshot_view
    from kpi_toolkit.trends import comparisons_table
    from kpi_toolkit.trends.significance import certainty_words

    real = trend_report.compare_periods

    def fixed_p(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        out = real(*args, **kwargs)
        for i, r in out.iterrows():
            p = _HOLM_P.get((r["kpi"], r["comparison"]), 0.3)
            verdict = certainty_words(p)
            out.loc[i, ["p_value", "significant", "verdict"]] = [p, p < 0.05, verdict]
            out.loc[i, "summary"] = str(r["summary"])[: -len(str(r["verdict"]))] + verdict
        return out

    monkeypatch.setattr(trend_report, "compare_periods", fixed_p)
    ctx = load_context(client="demo-ledgerly", month="2026-10", data_dir=demo_root / "data",
                       parameters_dir=demo_root / "parameters")
    doubt = "p = 0.009, but with 12 comparisons this month it could still be chance"
    said = snapshot_view(ctx).sentences
    roas = next(s for s in said if s.startswith("Return on ad spend was"))
    assert roas.endswith(f" the previous month; {doubt}.")  # up 67 %: no "(good news)" while it may be chance
    assert "unlikely" not in roas and "good news" not in roas
    rate = next(s for s in said if s.startswith("Engagement rate (by reach) was"))
    assert rate.endswith(" the previous month; unlikely to be chance (p = 0.004) (good news).")
    comp = trend_report.core_comparisons(ctx)
    below = comp[comp["p_value"] < 0.05]
    assert dict(zip(zip(below["kpi"], below["comparison"], strict=True), below["holds"], strict=True)) == {
        ("roas", "previous_month"): False, ("reach", "same_month_last_year"): False,
        ("engagement_rate_by_reach", "previous_month"): True, ("ctr", "same_month_last_year"): True,
        ("share_of_voice", "same_month_last_year"): True}
    verdicts = comp.set_index(["kpi", "comparison"])["verdict"]
    assert verdicts[("reach", "same_month_last_year")] == ("p = 0.045, but with 12 comparisons this month it "
                                                           "could still be chance")
    assert verdicts[("ctr", "same_month_last_year")] == "unlikely to be chance (p < 0.001)"
    assert verdicts[("engagement_rate_by_reach", "previous_month")] == "unlikely to be chance (p = 0.004)"
    # the appendix's methods say how the words are chosen
    from kpi_toolkit.report import appendix_views

    methods = next(v for v in appendix_views(ctx, []) if v.key == "methods")
    assert ("also after a correction for all the month's comparisons (Holm's method). A change below 0.05 that "
            "does not pass the correction is given with its p-value as one that could still be chance, and is "
            "labelled neither good news nor needing attention.") in " ".join(methods.sentences)
    # the analysts' table of the trend notebook says the same
    table = comparisons_table(comp).set_index(["Measure", "Against"])
    assert table.loc[("Return on ad spend", "previous month"), "Change"].endswith(f", {doubt}")


def test_the_trend_sections_verdicts_and_labels_allow_for_all_the_months_tests() -> None:
    """demo-ledgerly 2026-10's trend section read "Against the same month last year: Reach up 81 %; ...
    (each unlikely to be chance)" with reach at p = 0.045, one of 12 tests, which Holm's correction does
    not keep; a change on the previous month that does not hold read "unlikely to be chance (p = 0.009)
    (good news)". Each now gives the corrected verdict with its p-value, and only a change that holds is
    labelled good news or needing attention. The p-values are those of ``_HOLM_P`` (Holm by hand there:
    0.0003, 0.0031 and 0.004 hold, 0.009 and 0.045 do not)."""
    from types import SimpleNamespace

    from kpi_toolkit.trends.report import _change_sentences

    def comparison(kpi: str, comparison: str, current: float, baseline: float) -> dict:
        return _comparison(kpi, comparison, current, baseline, _HOLM_P.get((kpi, comparison), 0.3))

    comp = pd.DataFrame([
        comparison("reach", "previous_month", 536_819, 381_708),
        comparison("reach", "same_month_last_year", 536_819, 296_000),
        comparison("engagement_rate_by_reach", "previous_month", 0.048, 0.039),
        comparison("engagement_rate_by_reach", "same_month_last_year", 0.048, 0.047),
        comparison("ctr", "previous_month", 0.0070, 0.0069),
        comparison("ctr", "same_month_last_year", 0.0071, 0.0088),
        comparison("conversions", "previous_month", 39, 33),
        comparison("conversions", "same_month_last_year", 39, 43),
        comparison("roas", "previous_month", 8.06, 6.54),
        comparison("roas", "same_month_last_year", 8.06, 11.5),
        comparison("share_of_voice", "previous_month", 0.327, 0.327),
        comparison("share_of_voice", "same_month_last_year", 0.327, 0.390)])
    ctx = SimpleNamespace(currency="EUR", params=SimpleNamespace(trends=SimpleNamespace(alpha=0.05)))
    said = _change_sentences(ctx, comp)
    assert said == [
        "Engagement rate (by reach) was 4.8 %, up 0.9 percentage points on the previous month: unlikely to be "
        "chance (p = 0.004) (good news).",
        "Return on ad spend was 8.06×, up 23 % on the previous month: p = 0.009, but with 12 comparisons this "
        "month it could still be chance.",
        "Against the same month last year: Reach up 81 % (p = 0.045, but with 12 comparisons this month it could "
        "still be chance); Click-through rate (ads) down 0.17 percentage points (unlikely to be chance); Share "
        "of voice down 6.3 percentage points (unlikely to be chance)."]
    # when every one holds, the sentence is as it was
    held = comp.assign(p_value=comp["p_value"].replace({0.009: 0.3, 0.045: 0.3}))
    held["significant"] = held["p_value"] < 0.05
    assert _change_sentences(ctx, held)[-1] == ("Against the same month last year: Click-through rate (ads) "
                                               "down 0.17 percentage points; Share of voice down 6.3 percentage "
                                               "points (each unlikely to be chance).")
