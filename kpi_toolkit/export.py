"""nbconvert export of an executed notebook to a self-contained, email-safe HTML report.

The report has no code, no injected-parameters cell, no stderr, warnings or tracebacks, no prompts,
no ``<script>`` and no external URL: charts are PNG data URIs, CSS is inline. Only the runner and this
module import nbconvert.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .params import LOGO_TYPES, ClientParams, image_type

TEMPLATES = Path(__file__).parent / "templates"
REMOVE_TAGS = {"parameters", "injected-parameters", "remove", "remove_cell", "hide"}
DROP_MIMETYPES = ("application/javascript", "application/vnd.jupyter.widget-view+json",
                  "application/vnd.jupyter.widget-state+json", "text/latex", "image/svg+xml")
_URL_ATTRS = frozenset({"src", "href", "action", "poster", "data", "background", "srcset", "formaction",
                        "xlink:href", "ping", "lowsrc", "longdesc", "codebase", "cite", "manifest", "icon",
                        "dynsrc", "archive", "classid", "profile", "itemtype"})
"""Attributes whose value a mail client or browser loads or follows."""
_SAFE_URL = re.compile(r"""\#[^\s\\]*|data:image/(?:png|jpeg|gif);base64,[A-Za-z0-9+/=]*|mailto:[^\s\\]+
                           |[\w%~-][\w%~./-]*(?:\#[^\s\\]*)?""", re.IGNORECASE | re.VERBOSE)
"""The only values a URL attribute of a report may hold: an anchor in the page, an embedded image,
a mailto: link, or a plain relative path (the month's index links its reports). Anything else (a
scheme, ``//``, one slash after ``https:``, a backslash, a tab inside ``ht tps:``) is refused: an
allow-list, because browsers repair broken URLs in more ways than a deny-list can name."""
_CSS_EXTERNAL = re.compile(r"""url\(|image-set\(|image\(|@import|\\|expression\(|behavior\s*:|-moz-binding""",
                           re.IGNORECASE)
"""CSS that can load or run something: any url() (the report's own CSS uses none; charts are <img>),
image-set(), @import, old IE expressions and bindings, and any CSS escape (``\\75rl(`` is ``url(``)."""
_UNSAFE_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form",
                          "link", "portal", "svg", "math"})
"""Elements a report never contains: they run code, load other documents or change where links go."""
_SCRIPT = re.compile(r"<\s*script\b", re.IGNORECASE)

REPORT_TITLES = {
    "monthly_report": "Monthly social media report",
    "trend_detection": "Trends, alerts and goals",
    "segmentation": "What performs: formats, times and topics",
    "attribution": "Which channels earn the conversions",
    "competitor_benchmarking": "Competitors, industry benchmarks and listening",
}


class UnsafeHtmlError(RuntimeError):
    """The exported HTML would load something from outside or run a script."""


def clean_notebook(nb: Any) -> Any:
    """Drop what a stakeholder must not see: parameter cells, stderr, errors, warnings, scripts."""
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_TAGS:
            continue
        if cell.cell_type == "code":
            outs = []
            for out in cell.get("outputs", []):
                if out.output_type == "error":
                    continue
                if out.output_type == "stream" and out.get("name") != "stdout":
                    continue
                if out.output_type in ("display_data", "execute_result"):
                    for mt in DROP_MIMETYPES:
                        out.get("data", {}).pop(mt, None)
                    if not out.get("data"):
                        continue
                outs.append(out)
            cell.outputs = outs
            cell.source = ""
        cells.append(cell)
    nb.cells = cells
    return nb


def _logo_data_uri(params: ClientParams, base_dir: Path) -> str | None:
    logo = params.branding.logo
    if not logo:
        return None
    path = Path(logo)
    if not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        return None
    if mimetypes.guess_type(path.name)[0] not in LOGO_TYPES:
        return None  # SVG may carry scripts; mail clients drop it anyway
    mime = image_type(path)  # by content: only an image is embedded, whatever the file's name
    if mime is None:
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-zÀ-ÿ]+", name) if w]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def report_resources(*, params: ClientParams, notebook: str, period_label: str,
                     base_dir: Path, agency: str = "your agency", generated: datetime | None = None) -> dict:
    """The ``resources['kpi']`` values the template uses (all escaped by the template)."""
    generated = generated or datetime.now(UTC)
    title = REPORT_TITLES.get(notebook, notebook.replace("_", " ").capitalize())
    return {
        "title": f"{params.display_name} — {title} — {period_label}",
        "report_title": title,
        "client_name": params.display_name,
        "colour": params.branding.colour,
        "logo_data_uri": _logo_data_uri(params, base_dir),
        "initials": _initials(params.display_name),
        "period_label": period_label,
        "generated": generated.strftime("%d %B %Y"),
        "agency": agency,
        "css": (TEMPLATES / "report.css").read_text(encoding="utf-8"),
        "footer": footer_text(params.display_name, notebook),
    }


HAS_APPENDIX = frozenset({"monthly_report"})
"""Reports that end with an appendix listing their data sources (the monthly report's 'Appendix')."""


def footer_text(client_name: str, notebook: str) -> str:
    """The report's closing line. Only a report with an appendix points to one: the analyst notebooks
    have none, and their footer had said 'the data sources listed in the appendix' all the same."""
    where = ("Figures are computed from the data sources listed in the appendix; rates"
             if notebook in HAS_APPENDIX else "Rates")
    return f"Confidential: prepared for {client_name}. {where} are totals divided by totals."


@functools.cache
def _exporter() -> Any:
    """One exporter a process: a new one compiled the report's Jinja templates again for every report
    (0.06-0.1 s each). It keeps no report's data: each export gets its own resources.

    nbconvert's ``HTMLExporter.from_notebook_node`` renders the template, then parses the whole page
    with BeautifulSoup to give an ``<img>`` without ``alt`` a stock text and the input and output
    wrappers of its own lab template a ``tabindex``, and writes the page out again. The kpi_report
    template has neither: every image it or the package writes carries its own alt text (a test
    checks every report's), and it has no such wrappers. So the pass changed only whitespace and how
    characters are spelled, at 48 ms a demo report, 1.2 MB of base64 charts parsed to change nothing:
    this exporter registers the same two filters as ``HTMLExporter`` and renders the template
    without it (a test compares the text and images of both).
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb: Any, resources: dict | None = None, **kw: Any) -> tuple[str, dict]:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter(template_name="kpi_report", extra_template_basedirs=[str(TEMPLATES)],
                          exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def export_html(nb: Any, *, resources: dict) -> str:
    """Render a (cleaned) notebook node with the kpi_report template; check it is email-safe."""
    body, _ = _exporter().from_notebook_node(clean_notebook(nb), resources={"kpi": resources})
    check_email_safe(body)
    return body


_BASE64_PAYLOAD = re.compile(r"(;base64,)[A-Za-z0-9+/]+={0,2}")
"""The payload of a base64 data URI: letters, digits, ``+``, ``/`` and trailing ``=``. It can hold no
tag, quote, space or ``//`` after an ``=``, so none of the patterns below can match inside it."""


def check_email_safe(html: str) -> None:
    """Raise :class:`UnsafeHtmlError` if the HTML has a script, an event handler or an external URL.

    Only markup counts: the tags, their attributes and the CSS are read with the standard library's
    HTML parser, so text from data that is shown escaped (a caption with ``href=https://…``, a brand
    named "online=true") is text, not a reason to withhold the report. A raw ``<script`` anywhere
    still fails, whatever the parser made of it. The charts' base64 payloads (95 % of a report's
    bytes) are left out first: they can hold no tag, quote or URL.
    """
    html = _BASE64_PAYLOAD.sub(r"\1", html)
    if _SCRIPT.search(html):
        raise UnsafeHtmlError("the report contains a <script> element")
    checker = _MarkupCheck()
    checker.feed(html)
    checker.close()
    if checker.problem:
        raise UnsafeHtmlError(checker.problem)


class _MarkupCheck(HTMLParser):
    """The first unsafe thing in a page's markup: a script element, an ``on…`` attribute, a URL
    attribute or CSS that loads from outside the file."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem: str | None = None
        self._in_style = False

    def _flag(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._flag("the report contains a <script> element")
        elif tag in _UNSAFE_TAGS:
            self._flag(f"the report contains a <{tag}> element")
        self._in_style = tag == "style"
        names = {n: (v or "") for n, v in attrs}
        if tag == "meta" and names.get("http-equiv", "").strip().lower() in {"refresh", "set-cookie"}:
            self._flag("the report contains a <meta http-equiv> that loads or sets something")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self._flag(f"the report contains an inline event handler ({name}=)")
            elif name == "srcdoc":
                self._flag("the report contains an embedded document (srcdoc=)")
            elif name in _URL_ATTRS and not self._safe_urls(name, value):
                words = "a script link" if re.search(r"script\s*:", value, re.IGNORECASE) else "an external URL"
                self._flag(f"the report references {words} ({name}={value[:60]!r})")
            elif name == "style" and _CSS_EXTERNAL.search(value):
                self._flag(f"the report references an external URL in a style ({value[:60]!r})")

    @staticmethod
    def _safe_urls(name: str, value: str) -> bool:
        if name == "srcset":  # "a.png 1x, b.png 2x": each candidate's URL
            urls = [c.strip().split()[0] for c in value.split(",") if c.strip()]
        else:
            urls = [value.strip()] if value.strip() else []
        return all(_SAFE_URL.fullmatch(u) for u in urls)

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _CSS_EXTERNAL.search(data):
            m = _CSS_EXTERNAL.search(data)
            self._flag(f"the report references an external URL in its CSS near {data[m.start():m.start() + 60]!r}")
