"""Composing and sending the monthly report emails (only this module knows SMTP).

One message per client, to the recipients in that client's parameters only: an HTML body with the
performance snapshot, a plain-text fallback, and the full report attached byte for byte.

SMTP settings come from the environment, never from parameters, notebooks, logs or manifests:

=====================  ==============================================================
``KPI_SMTP_HOST``      server name (required to send)
``KPI_SMTP_PORT``      port (default 587 with STARTTLS, 465 with SSL, 25 without TLS)
``KPI_SMTP_TLS``       ``starttls`` (default), ``ssl`` or ``none``
``KPI_SMTP_USER``      login user (optional)
``KPI_SMTP_PASSWORD``  login password (optional; never printed or stored)
``KPI_SMTP_FROM``      sender address (default ``reports@<host>``)
=====================  ==============================================================
"""

from __future__ import annotations

import html
import json
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .exceptions import KpiToolkitError
from .params import ClientParams

REPORT_NOTEBOOK = "monthly_report"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str

    def __repr__(self) -> str:  # never show the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, tls={self.tls!r}, user={self.user!r}, sender={self.sender!r})"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings:
        env = dict(os.environ if env is None else env)
        host = env.get("KPI_SMTP_HOST", "").strip()
        if not host:
            raise KpiToolkitError("KPI_SMTP_HOST is not set: set the SMTP settings in the environment "
                                  "(see `kpi send --help`) or use --dry-run")
        tls = env.get("KPI_SMTP_TLS", "starttls").strip().lower()
        if tls not in ("starttls", "ssl", "none"):
            raise KpiToolkitError(f"KPI_SMTP_TLS must be starttls, ssl or none, got {tls!r}")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[tls]
        try:
            port = int(env.get("KPI_SMTP_PORT", default_port))
        except ValueError:
            raise KpiToolkitError(f"KPI_SMTP_PORT must be a number, got {env.get('KPI_SMTP_PORT')!r}") from None
        return cls(host=host, port=port, tls=tls, user=env.get("KPI_SMTP_USER") or None,
                   password=env.get("KPI_SMTP_PASSWORD") or None,
                   sender=env.get("KPI_SMTP_FROM") or f"reports@{host}")


class _Text(HTMLParser):
    """Plain text of an HTML fragment: one line per block, table cells separated by ' | '."""

    BLOCK = {"p", "div", "section", "h1", "h2", "h3", "h4", "li", "tr", "br", "header", "figure"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[Chart: {alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:  # the source's own line breaks are layout: blocks and rows make the lines
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [re.sub(r"\s+", " ", ln).strip(" |") for ln in "".join(self.parts).splitlines()]
        return "\n".join(ln for ln in lines if ln)


def html_to_text(fragment: str) -> str:
    p = _Text()
    p.feed(fragment)
    return p.text()


def snapshot_fragment(report_html: str) -> str:
    """The performance-snapshot section of a rendered report (escaped HTML as rendered)."""
    m = re.search(r'<section class="kpi-view[^"]*" id="snapshot">.*?</section>', report_html, re.DOTALL)
    return m.group(0) if m else ""


def compose(*, params: ClientParams, month: str, period_label: str, report_path: Path,
            sender: str, agency: str | None = None) -> EmailMessage:
    """The email for one client: snapshot in the body, the full report attached unchanged, signed
    with ``agency`` (``KPI_AGENCY_NAME``, the name the report's "Prepared by" shows) when given."""
    if not params.recipients:
        raise KpiToolkitError(f"client '{params.client}' has no recipients in its parameters: nothing sent")
    report_bytes = report_path.read_bytes()
    report_html = report_bytes.decode("utf-8")
    snap = snapshot_fragment(report_html)
    css_m = re.search(r"<style>(.*?)</style>", report_html, re.DOTALL)
    css = css_m.group(1) if css_m else ""
    name = html.escape(params.display_name)
    colour = params.branding.colour
    msg = EmailMessage()
    msg["Subject"] = f"{params.display_name}: social media report for {period_label}"
    msg["From"] = sender
    msg["To"] = ", ".join(formataddr((r.name, r.email)) for r in params.recipients)
    msg["Date"] = formatdate(localtime=True)  # RFC 5322 requires it; smtplib does not add one
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] or "localhost")
    msg["X-KPI-Client"] = params.client
    intro = (f"Hello,\n\nHere is the social media report for {params.display_name} covering {period_label}. "
             "The headline numbers are below; the full report is attached (open it in any browser).\n")
    text = intro + "\n" + (html_to_text(snap) or "The snapshot could not be extracted; see the attached report.")
    agency = " ".join((agency or "").split())  # one line, whatever the variable holds
    msg.set_content(text + (f"\n\n-- \n{agency}\n" if agency else "\n"))
    body = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><style>{css}</style></head><body>'
            f'<div class="kpi-page"><header class="kpi-header" style="border-top:6px solid {colour};">'
            f'<div class="kpi-client">{name}</div><h1 class="kpi-title">Social media report: '
            f'{html.escape(period_label)}</h1></header>'
            f'<p>Here are the headline numbers. The full report, with what drove them and our '
            f'recommendations, is attached: open it in any browser.</p>{snap}'
            + (f'<p class="kpi-footer">{html.escape(agency)}</p>' if agency else "") + '</div></body></html>')
    msg.add_alternative(body, subtype="html")
    fname = f"{params.client}-{month}-social-media-report.html"
    msg.add_attachment(report_bytes, maintype="text", subtype="html", filename=fname)
    return msg


def send(msg: EmailMessage, settings: SmtpSettings, *, timeout_s: float = 30.0) -> None:
    """Send one message over SMTP with the TLS mode of ``settings``."""
    try:
        if settings.tls == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout_s,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=timeout_s)
        with server:
            if settings.tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.user:
                server.login(settings.user, settings.password or "")
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        # the message of these exceptions never includes the password
        raise KpiToolkitError(f"sending to {settings.host}:{settings.port} failed: {type(e).__name__}: {e}") from None


def stale_report_note(outputs_dir: Path, month: str, client: str) -> str | None:
    """A warning when the newest run of the client's report failed and the report on disk is the
    previous good one (``manifest.json`` of the run says so), else None. Sending it may be what the
    agency wants; sending it without knowing is not."""
    manifest = Path(outputs_dir) / month / client / "manifest.json"
    try:
        reports = json.loads(manifest.read_text(encoding="utf-8")).get("reports", [])
    except (OSError, ValueError):
        return None
    for r in reports:
        if r.get("notebook") == REPORT_NOTEBOOK and r.get("status") != "ok":
            error = r.get("error") or "see its .failed.ipynb"
            return (f"the newest run of {client}'s report failed ({error}); the report attached is the previous "
                    "good one")
    return None


def deliver(*, params: ClientParams, month: str, period_label: str, outputs_dir: Path, dry_run: bool,
            settings: SmtpSettings | None = None) -> Path:
    """Compose one client's email and send it (or write ``email.eml`` with ``dry_run``).

    Returns the path of the .eml (dry run) or of the send log ``sent.json``.
    """
    out_dir = Path(outputs_dir) / month / params.client
    report = out_dir / f"{REPORT_NOTEBOOK}.html"
    if not report.is_file():
        raise KpiToolkitError(f"no report to send for '{params.client}' in {month}: {report} does not exist "
                              f"(run `kpi run --client {params.client} --month {month}` first)")
    sender = settings.sender if settings else os.environ.get("KPI_SMTP_FROM", "reports@localhost")
    msg = compose(params=params, month=month, period_label=period_label, report_path=report, sender=sender,
                  agency=os.environ.get("KPI_AGENCY_NAME"))
    if dry_run:
        path = out_dir / "email.eml"
        path.write_bytes(bytes(msg))
        return path
    assert settings is not None
    send(msg, settings)
    return _log_send(out_dir / "sent.json", {
        "sent_at": datetime.now(UTC).isoformat(timespec="seconds"), "message_id": msg["Message-ID"],
        "to": [r.email for r in params.recipients], "server": f"{settings.host}:{settings.port}",
        "report": report.name})


def _log_send(log: Path, entry: dict[str, Any]) -> Path:
    """Add ``entry`` to the send log ``{"sends": [...]}``, oldest first: a second send of a month (a
    corrected report, a new stakeholder) keeps the record of the first. A log of one send as earlier
    versions wrote it (the entry itself) is read as the first entry; an unreadable one is kept beside
    as ``sent.json.unreadable`` rather than overwritten."""
    sends: list[dict[str, Any]] = []
    if log.exists():
        try:
            old = json.loads(log.read_text(encoding="utf-8"))
            sends = list(old["sends"]) if isinstance(old, dict) and "sends" in old else [old]
        except (OSError, ValueError, TypeError):
            log.replace(log.with_name(log.name + ".unreadable"))
    sends.append(entry)
    from .runner import (
        _write_atomically,  # the manifests' writer: a temporary file of its own, then replace
    )

    _write_atomically(log, json.dumps({"sends": sends}, indent=2))
    return log
