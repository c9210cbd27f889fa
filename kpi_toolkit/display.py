"""Display of report views in notebooks: escaped HTML, charts as PNG with alt text.

Everything that comes from data (post text, campaign and client names) is escaped here with
:func:`html.escape`, so a post containing ``<script>`` shows as text in the report.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .views import ReportView


def esc(text: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape("" if text is None else str(text), quote=True)


NO_MATHS = "mathjax_ignore tex2jax_ignore"
"""Classes on every block this module displays: JupyterLab (MathJax 3: ``mathjax_ignore``) and the
classic notebook and nbviewer (MathJax 2: ``tex2jax_ignore``) typeset text between two "$" in an
HTML output as maths, so a post "$5 off, today only $3" would lose its dollars in an analyst's
notebook. The exported reports load no MathJax; the classes change nothing there."""


def figure_html(fig: Any, alt_text: str) -> str:
    """An ``<img>`` with the chart embedded as a PNG data URI (mail clients keep these).

    The image is drawn at :data:`~kpi_toolkit.plotting.DPI` and shown at
    :data:`~kpi_toolkit.plotting.DISPLAY_DPI`; ``max-width:100%`` shrinks it on narrower screens.
    """
    from .plotting import DISPLAY_DPI, DPI, to_png

    png = to_png(fig)
    width = round(int.from_bytes(png[16:20], "big") * DISPLAY_DPI / DPI)  # IHDR: width, big-endian
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure class="kpi-chart"><img src="data:image/png;base64,{data}" alt="{esc(alt_text)}" '
            f'width="{width}" style="max-width:100%;height:auto"/></figure>')


STACK_MIN_COLUMNS = 5
"""Tables this wide become one card per row on a phone (report.css): five or more columns did not fit
a 390-pixel screen, and a long column (an alert's likely cause) squeezed into a few pixels made every
row a screen tall."""


STACK_LONG_TEXT = 40
"""A table of three or more columns with a cell longer than this many characters (a post's text, a
recommendation's evidence) is stacked too: squeezed beside two other columns on a phone, such a cell
ran a screen tall and pushed the last column past the edge ("underperforme")."""


def _stacks(df: pd.DataFrame) -> bool:
    if len(df.columns) >= STACK_MIN_COLUMNS:
        return True
    if len(df.columns) < 3 or df.empty:
        return False
    text = df.select_dtypes(exclude="number")
    return bool(len(text.columns)) and int(text.astype("string").fillna("").apply(lambda c: c.str.len()).max().max()) \
        > STACK_LONG_TEXT


def table_html(df: pd.DataFrame, *, index: bool = False, classes: str = "kpi-table") -> str:
    """A small table, every cell escaped; wide ones carry each cell's column name for phones.

    Each data cell of a table with :data:`STACK_MIN_COLUMNS` or more columns, or of three or more
    with a cell longer than :data:`STACK_LONG_TEXT` characters, gets its (escaped) column name as
    ``data-label``, and the table the class ``kpi-stack``: on a narrow screen the
    stylesheet shows every row as a card of "column: value" lines.
    """
    import re

    out = df.to_html(index=index, escape=True, classes=classes, border=0, na_rep="n/a")
    if isinstance(df.columns, pd.MultiIndex) or not _stacks(df):
        return out
    labels = [esc(c) for c in df.columns]

    def label_cells(row: re.Match[str]) -> str:
        names = iter(labels)
        return re.sub(r"<td>", lambda _: f'<td data-label="{next(names, "")}">', row.group(0))

    out = re.sub(r"<tr>.*?</tr>", label_cells, out, flags=re.S)  # only body rows have <td> cells
    return out.replace(f'class="dataframe {classes}"', f'class="dataframe {classes} kpi-stack"', 1)


def view_html(view: ReportView, *, level: int = 2, heading: bool = True) -> str:
    """The HTML of one view: title, chart, interpretation, table, caveats, recommendations.

    ``heading=False`` leaves the title out, for a notebook whose markdown cell already heads the
    section with the same words (an analyst notebook's "## Formats" followed by the view "Formats"
    read as the same heading twice)."""
    h = f"h{level}"
    title = f"<{h}>{esc(view.title)}</{h}>" if heading else ""
    parts = [f'<section class="kpi-view {NO_MATHS}" id="{esc(view.key)}">{title}']
    if view.skipped_reason:
        parts.append(f'<p class="kpi-skipped">Not shown: {esc(view.skipped_reason)}</p></section>')
        return "".join(parts)
    if view.sentences:
        parts.append('<div class="kpi-insight">' + "".join(f"<p>{esc(s)}</p>" for s in view.sentences)
                     + "</div>")
    if view.figure is not None:
        parts.append(figure_html(view.figure, view.alt_text or view.title))
    if view.table is not None and len(view.table):
        parts.append(table_html(view.table))
    if view.caveats:
        parts.append('<ul class="kpi-caveats">' + "".join(f"<li>{esc(c)}</li>" for c in view.caveats)
                     + "</ul>")
    parts.append("</section>")
    return "".join(parts)


def show(view: ReportView | Iterable[ReportView], *, level: int = 2, heading: bool = True) -> None:
    """Display one or more views in the notebook (and so in the exported report); ``heading=False``
    where the notebook's own markdown already titles them (:func:`view_html`)."""
    from IPython.display import HTML, display

    views = [view] if isinstance(view, ReportView) else list(view)
    display(HTML("".join(view_html(v, level=level, heading=heading) for v in views)))


def show_table(df: pd.DataFrame, *, title: str | None = None, index: bool = False) -> None:
    """Display a data frame as an escaped HTML table with an optional plain-words title."""
    from IPython.display import HTML, display

    head = f"<h3>{esc(title)}</h3>" if title else ""
    display(HTML(f'<div class="{NO_MATHS}">{head}{table_html(df, index=index)}</div>'))


def show_text(*paragraphs: str, heading: str | None = None, level: int = 2) -> None:
    """Display plain-words paragraphs (escaped) with an optional heading."""
    from IPython.display import HTML, display

    head = f"<h{level}>{esc(heading)}</h{level}>" if heading else ""
    display(HTML(f'<div class="{NO_MATHS}">{head}' + "".join(f"<p>{esc(p)}</p>" for p in paragraphs) + "</div>"))
