"""House style for every chart, in one place.

Charts are built on :class:`matplotlib.figure.Figure` objects (never pyplot's global state), so a
notebook shows a chart only when :func:`kpi_toolkit.display.show` puts it in the report, as a PNG
with alt text. Colours are the Okabe-Ito palette, distinguishable with the common colour-vision
deficiencies (Okabe & Ito 2008, "Color Universal Design").

Import cost: matplotlib and seaborn are imported when a chart is first made, not with kpi_toolkit.
"""

from __future__ import annotations

from typing import Any

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
"""Qualitative palette safe for colour-blind readers."""
GREY = "#9a9a9a"
GOOD = "#009E73"
BAD = "#D55E00"
NEUTRAL = "#0072B2"

FIG_WIDTH_IN = 5.0
"""Charts are drawn for a phone: 5 inches wide, shown 550 CSS pixels wide (:data:`DISPLAY_DPI`).
A 390-pixel phone scales them to ~65 %, which keeps 11-point tick labels at ~11 pixels; charts
drawn 8 inches wide came out at ~7 pixels, too small to read without zooming."""
DPI = 176
"""Pixels per inch of the PNG: 880 pixels across, 1.6 pixels per CSS pixel, so charts stay sharp on
high-density screens while a chart stays ~40-120 kB (the e-mailed report must stay under 2 MB)."""
DISPLAY_DPI = 110
"""CSS pixels per inch at which a chart is shown: text keeps its point size on a laptop."""
MIN_FONT_PT = 10.0
"""The smallest text a chart draws: tick labels, annotations ("142 posts"), legends, heatmap cells.
On a 390-pixel phone a chart is shown ~74 CSS pixels per inch, so 10 points come out at ~10 pixels;
the 7- to 9-point text some charts had (the 12-month small multiples, the segment charts' post
counts) came out at 7-9 pixels, too small to read without zooming."""

_STYLED = False


def _style() -> None:
    global _STYLED
    if _STYLED:
        return
    # Figures are made with matplotlib.figure.Figure and saved with the Agg renderer: no GUI
    # backend is chosen and pyplot is never imported here (it costs a second per kernel).
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=OKABE_ITO, font_scale=1.0,
                  rc={"axes.titleweight": "bold", "axes.titlesize": 13, "axes.titlelocation": "left",
                      "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
                      "figure.dpi": DPI, "savefig.dpi": DPI, "font.family": "DejaVu Sans",
                      # text is drawn as written: a brand or caption with two "$" in it must not turn
                      # into maths (or fail the chart, as "Ca$$h" did)
                      "text.parse_math": False})
    _STYLED = True


def new_figure(*, height_in: float = 4.0, width_in: float = FIG_WIDTH_IN, nrows: int = 1, ncols: int = 1,
               **kwargs: Any) -> tuple[Any, Any]:
    """A styled ``(Figure, Axes)`` pair that is not registered with pyplot (no auto-display)."""
    _style()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows=nrows, ncols=ncols, **kwargs)
    return fig, axes


def percent_axis(ax: Any, axis: str = "y", *, decimals: int | None = None) -> Any:
    """Show fractions on ``axis`` as percentages (0.034 -> 3.4 %)."""
    from matplotlib.ticker import PercentFormatter

    fmt = PercentFormatter(xmax=1.0, decimals=decimals, symbol=" %")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


def _count_text(x: float) -> str:
    """A tick's number: 1,200 / 7.5 / 45 k / 12.5 k / 1.25 M (up to two decimals, none that say nothing)."""
    def _num(v: float) -> str:
        return f"{v:,.2f}".rstrip("0").rstrip(".")

    a = abs(x)
    if a >= 1e6:
        return f"{_num(x / 1e6)} M"
    if a >= 1e4:
        return f"{_num(x / 1e3)} k"
    return _num(x)


def thousands_axis(ax: Any, axis: str = "y") -> Any:
    """Readable large counts on ``axis``: 1,200 / 7.5 / 45 k / 12.5 k / 1.25 M.

    Ticks keep the decimals they have (up to two), so a 2.5-step axis reads 5, 7.5, 10, not 5, 8, 10.
    """
    from matplotlib.ticker import FuncFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(lambda x, _p: _count_text(x)))
    return ax


def unit_tick_text(x: float, unit: str, *, currency: str | None = None) -> str:
    """A tick label in the unit a report writes the KPI in (:func:`kpi_toolkit.kpis.format_value`),
    so an axis says what its numbers are: ``ratio`` (ROAS) 2.5 -> "2.5×"; ``score`` (NPS, stored
    -1..1) 0.42 -> "+42"; ``hours`` 5 -> "5 h"; ``currency`` 1200 -> "€1,200" ("1,200 SEK" for a
    code without a symbol, the bare number when no currency is given); counts and the rest as
    :func:`thousands_axis`. Fractions are :func:`percent_axis`'s."""
    if unit == "ratio":
        return f"{_count_text(x)}×"
    if unit == "score":
        v = round(100 * x)
        return f"{v:+d}" if v else "0"
    if unit == "hours":
        return f"{_count_text(x)} h"
    if unit == "currency" and currency:
        from ..kpis import _SYMBOLS

        sym, body = _SYMBOLS.get(currency.upper()), _count_text(abs(x))
        sign = "-" if x < 0 else ""
        return f"{sign}{sym}{body}" if sym else f"{sign}{body} {currency.upper()}"
    return _count_text(x)


RATIO_TICK_SETS = (
    (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),   # about ×2 apart
    (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),      # about ×3 apart
    (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0),             # ×10 apart
)
"""Ticks of a ratio axis (1× = at the comparison), evenly spaced on the log scale: the first set that
puts at most :data:`RATIO_MAX_TICKS` ticks on the axis is used."""
RATIO_MAX_TICKS = 5
RATIO_FILL_TICKS = (0.75, 1.5, 0.9, 1.1)
"""Ticks added to a narrow ratio axis, where they do not crowd the ones already there."""


def ratio_axis(ax: Any, axis: str = "x") -> Any:
    """A log-scale ratio axis labelled in words a client reads: "0.5×", "1×", "2×", no minor labels.

    matplotlib's own log labels are written in its maths notation ("2×10⁻¹") and need its maths
    parser, which the house style turns off so that text from data is drawn as written.
    """
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    span = np.log(hi / lo)
    ticks: list[float] = []
    for candidates in RATIO_TICK_SETS:
        ticks = [t for t in candidates if lo <= t <= hi]
        if len(ticks) <= RATIO_MAX_TICKS:
            break
    for t in RATIO_FILL_TICKS:
        if lo <= t <= hi and all(abs(np.log(t / u)) >= 0.2 * span for u in ticks):
            ticks.append(t)
    ticks.sort()
    target.set_major_locator(FixedLocator(ticks))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:g}×"))
    target.set_minor_formatter(NullFormatter())
    return ax


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

TICK_SPACING_IN = 0.6
"""Room for one month label ("Nov" over "2025") at 11 points on an axis, in inches: the widest
label plus a gap; smaller labels need proportionally less."""


def month_tick_labels(ticks: Any) -> list[str]:
    """Short month labels: "Nov" under every tick, with the year on a second line under the first
    tick and wherever the year changes ("Nov\n2025", "Feb\n2026", "May", "Aug")."""
    import pandas as pd

    out, year = [], None
    for t in map(pd.Timestamp, ticks):
        out.append(f"{MONTHS[t.month - 1]}\n{t.year}" if t.year != year else MONTHS[t.month - 1])
        year = t.year
    return out


def max_ticks(ax: Any, *, fontsize: float = 11.0) -> int:
    """How many month labels of ``fontsize`` points fit across ``ax`` (its width before layout,
    at least 2)."""
    width_in = ax.get_position().width * ax.get_figure(root=True).get_figwidth()
    return max(2, int(width_in / (TICK_SPACING_IN * fontsize / 11.0)))


def month_step(n_months: int, ax: Any, *, fontsize: float = 11.0) -> int:
    """Label every k-th of ``n_months`` months so the labels fit ``ax`` (:func:`max_ticks`)."""
    import math

    return max(1, math.ceil(n_months / max_ticks(ax, fontsize=fontsize)))


def tz_words(tz: Any) -> str:
    """A time zone as a client says it in a chart title: "Europe/London" -> "London time",
    "America/Argentina/Buenos_Aires" -> "Buenos Aires time" (the full name stays in the notes)."""
    city = str(tz).rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time" if city not in ("UTC", "GMT") else city


def wrap_label(text: Any, width: int = 24) -> str:
    """A long category label (a row of a dot or bar chart) on up to three lines of ``width``
    characters, so the labels leave the plot most of a phone-width figure."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False, max_lines=3,
                                    placeholder="…")) or str(text)


def legend_columns(labels: Any, width_in: float, *, fontsize_pt: float = 11.0) -> int:
    """The most legend columns that fit ``width_in``.

    Entries fill the columns top to bottom, as matplotlib lays them out; a column is as wide as its
    longest label (~0.6 em a character in DejaVu Sans, measured) plus the marker and its gap
    (2.8 em), columns are 2 em apart and the legend has 0.8 em of padding (matplotlib's defaults).
    """
    import math

    labels = [str(x) for x in labels]
    em_in = fontsize_pt / 72
    for ncol in range(len(labels), 1, -1):
        rows = math.ceil(len(labels) / ncol)
        cols = [labels[i:i + rows] for i in range(0, len(labels), rows)]
        width = sum(0.6 * max(map(len, c)) + 2.8 for c in cols) + 2.0 * (len(cols) - 1) + 0.8
        if width * em_in <= width_in:
            return len(cols)
    return 1


def date_axis(ax: Any) -> Any:
    """Dates on the x axis of a daily series: as many ticks as fit (:func:`max_ticks`), labelled
    concisely ("May", "Jun", ... with the year once) instead of "2026-05"."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=2, maxticks=max_ticks(ax))
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def legend_outside(ax: Any, *, title: str | None = None) -> Any:
    """Put the legend below the plot so it never covers data, in as many columns as fit the
    figure's width (a phone-width chart takes two or three).

    On a chart of one axes with the constrained layout (every chart :func:`new_figure` makes), it is
    a figure legend at the bottom, centred on the figure: the layout reserves its height under the
    x-axis label, and its width is the figure's, not the axes' (a legend centred under axes narrowed
    by long y labels ran past the figure's right edge, and the layout's two passes did not always
    pull it back in). Where the figure has several axes, the legend hangs a fixed distance in points
    under its own axes: below the x tick labels (one or two lines) and the x-axis label.
    """
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return ax
    from matplotlib import rcParams
    from matplotlib.dates import ConciseDateFormatter
    from matplotlib.font_manager import FontProperties
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.transforms import offset_copy

    fig = ax.get_figure(root=True)
    ncol = legend_columns(labels, fig.get_figwidth())
    if len(fig.axes) == 1 and isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.legend(handles, labels, title=title, loc="outside lower center", ncol=ncol, frameon=False)
        return ax
    ticks = ax.get_xticklabels()
    lines = max((t.get_text().count("\n") + 1 for t in ticks if t.get_text()), default=1)
    if isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter):
        lines += 1  # its offset line ("2026") under the ticks
    size = max((t.get_fontsize() for t in ticks),
               default=FontProperties(size=rcParams["xtick.labelsize"]).get_size_in_points())
    drop = rcParams["xtick.major.size"] + rcParams["xtick.major.pad"] + 1.25 * lines * size
    if ax.get_xlabel():
        drop += rcParams["axes.labelpad"] + 1.25 * ax.xaxis.label.get_fontsize()
    anchor = offset_copy(ax.transAxes, fig=fig, y=-(drop + 4), units="points")
    ax.legend(handles, labels, title=title, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              bbox_transform=anchor, ncol=ncol, frameon=False)
    return ax


def chart_legend(ax: Any) -> Any:
    """The legend :func:`legend_outside` gave ``ax``: its own, or its figure's (None if neither)."""
    legend = ax.get_legend()
    if legend is None:
        legends = ax.get_figure(root=True).legends
        legend = legends[0] if legends else None
    return legend


def to_png(fig: Any) -> bytes:
    """The figure as PNG bytes at the house resolution, exactly the figure's size when it fits.

    Titles and axis labels wrap at the figure's edge: a long title (a KPI name, a brand, a time
    zone) otherwise ran past it, which a phone shows with every label shrunk to fit its screen.

    Every figure has the constrained layout (:func:`new_figure`), which fits the axes, their labels,
    legends and titles inside the figure. The figure is drawn once; when nothing is cut off at its
    edge (:func:`_fits`), that drawing is the PNG. When something is, it is drawn a second time: the
    layout then starts from where the first drawing left it, which settles a wrapped title that
    gained a line once its axes moved (the layout's own passes stop before that). A tight crop
    (``bbox_inches="tight"``, two more drawings) is kept for a layout that gave up (matplotlib warns
    that the axes collapsed) or that is still over the edge.
    """
    import warnings

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    wrapped = [*fig.texts]
    for ax in fig.axes:
        wrapped += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    for text in wrapped:
        _literal_dollars(text)
        text.set_wrap(True)
    engine = fig.get_layout_engine()
    if engine is not None and type(engine).__name__ == "ConstrainedLayoutEngine" and fig.dpi == DPI:
        canvas = FigureCanvasAgg(fig)
        for _drawing in range(2):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                canvas.draw()
            collapsed = False
            for w in caught:  # the layout's own warning is handled here; anything else is passed on
                if "constrained_layout not applied" in str(w.message):
                    collapsed = True
                else:
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            if collapsed:
                break
            if _fits(fig, canvas):
                return _png(canvas.buffer_rgba())
    import io

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None},
                    pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buf.getvalue()


def _literal_dollars(text: Any) -> None:
    """Keep a wrapped text's "$" signs literal.

    The house style turns matplotlib's maths parser off (``text.parse_math``), but matplotlib's line
    wrapping measures a line with an even number of "$" as maths regardless, and fails on one such
    as "Ca$$h". A wrapped text therefore keeps the parser on with every "$" escaped, which matplotlib
    draws as a plain "$" and measures as text.
    """
    s = text.get_text()
    if "$" in s and not text.get_parse_math():
        # every "$", also one after a backslash: matplotlib turns each "\$" back into "$" and nothing
        # else, so "C:\$5" comes out as written
        text.set_text(s.replace("$", "\\$"))
        text.set_parse_math(True)


PNG_COMPRESS_LEVEL = 3
"""zlib level of the charts' PNGs. Measured on the 24 charts of the three demo reports: level 3
encodes them in two thirds of the time of Pillow's default 6, and the files are 1 % larger."""

EDGE_PX = 2
"""Width in pixels of the ring at a chart's edge that must be blank for the drawing to be the PNG."""


def _png(rgba: Any) -> bytes:
    """PNG bytes of an RGBA buffer at :data:`DPI`; an opaque one is saved as RGB (the same pixels,
    ~8 % smaller)."""
    import io

    import numpy as np
    from PIL import Image

    arr = np.asarray(rgba)
    image = Image.fromarray(arr)
    if arr[..., 3].min() == 255:
        # Pillow's own conversion: a third of the time of handing it the strided RGB slice of the array
        image = image.convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="png", dpi=(DPI, DPI), compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def _fits(fig: Any, canvas: Any) -> bool:
    """Whether nothing of a drawn figure is cut off at its edge.

    Two checks, both cheap after the drawing (measuring every artist's extent again, as a tight
    bounding box does, cost a tenth of the charts' time): the outer :data:`EDGE_PX` pixels are all
    background (anything the edge cuts through leaves ink there), and no title, axis label, legend or
    text lies past the edge (a whole line of a wrapped title can lie outside, leaving the ring blank).
    A figure whose background is not opaque is measured the old way, by its tight bounding box.
    """
    import numpy as np
    from matplotlib.colors import to_rgba

    renderer = canvas.get_renderer()
    face = np.round(np.asarray(to_rgba(fig.get_facecolor())) * 255)
    if face[3] != 255:
        return _inside(fig, fig.get_tightbbox(renderer))
    arr = np.asarray(canvas.buffer_rgba())
    k = EDGE_PX
    ring = np.concatenate([arr[:k].reshape(-1, 4), arr[-k:].reshape(-1, 4),
                           arr[:, :k].reshape(-1, 4), arr[:, -k:].reshape(-1, 4)])
    if np.abs(ring.astype(np.int16) - face.astype(np.int16)).max() > 1:
        return False
    width, height = canvas.get_width_height()
    floating = [*fig.texts, *fig.legends]
    for ax in fig.axes:
        floating += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.get_legend() is not None:
            floating.append(ax.get_legend())
    for artist in floating:
        if not artist.get_visible() or (hasattr(artist, "get_text") and not artist.get_text()):
            continue
        box = artist.get_window_extent(renderer)
        if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
            return False
    return True


EDGE_MARGIN_IN = 2.0 / 72
"""How far inside the figure's edge everything drawn must stay for the PNG to be the figure as drawn
(2 points): the extents matplotlib reports for text are its layout boxes, and a glyph can reach a
pixel or two past them."""


def _inside(fig: Any, bbox: Any) -> bool:
    w, h = fig.get_size_inches()
    m = EDGE_MARGIN_IN
    return bool(bbox.x0 >= m and bbox.y0 >= m and bbox.x1 <= w - m and bbox.y1 <= h - m)
