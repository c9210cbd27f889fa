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

FIG_WIDTH_IN = 8.0
"""Charts are drawn 8 inches wide at 110 dpi: sharp in a report that fills a laptop screen, and
small enough (~40-80 kB a chart) to keep the e-mailed report under 2 MB."""
DPI = 110

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
                      "figure.dpi": DPI, "savefig.dpi": DPI, "font.family": "DejaVu Sans"})
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


def thousands_axis(ax: Any, axis: str = "y") -> Any:
    """Readable large counts on ``axis``: 1,200 / 45 k / 1.2 M."""
    from matplotlib.ticker import FuncFormatter

    def _fmt(x: float, _pos: int) -> str:
        a = abs(x)
        if a >= 1e6:
            return f"{x / 1e6:.1f} M".replace(".0 M", " M")
        if a >= 1e4:
            return f"{x / 1e3:.0f} k"
        return f"{x:,.0f}"

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(_fmt))
    return ax


def legend_outside(ax: Any, *, title: str | None = None) -> Any:
    """Put the legend below the plot so it never covers data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, title=title, loc="upper center", bbox_to_anchor=(0.5, -0.18),
                  ncol=min(len(labels), 4), frameon=False)
    return ax


def to_png(fig: Any) -> bytes:
    """The figure as PNG bytes at the house resolution.

    Titles wrap at the figure's edge: a long title (a KPI name, a brand, a time zone) otherwise
    ran past it, and the tight crop then widened the image to ~10 inches, which a phone shows
    with every label shrunk to fit its screen.
    """
    import io

    for ax in fig.axes:
        for title in (ax.title, ax._left_title, ax._right_title):
            title.set_wrap(True)
    for text in fig.texts:
        text.set_wrap(True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()
