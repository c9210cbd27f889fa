"""Email delivery against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller

from kpi_toolkit.cli import main
from kpi_toolkit.exceptions import KpiToolkitError
from kpi_toolkit.mail import SmtpSettings, deliver
from kpi_toolkit.params import load_params

from .conftest import DEMO_END_MONTH

SECRET = "s3cret-Pa55word-never-logged"


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    import socket

    with socket.socket() as sock:  # a free port on loopback
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _env(controller, monkeypatch) -> None:
    monkeypatch.setenv("KPI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KPI_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("KPI_SMTP_TLS", "none")
    monkeypatch.setenv("KPI_SMTP_FROM", "reports@agency.example")
    monkeypatch.setenv("KPI_SMTP_PASSWORD", SECRET)


def test_send_reaches_real_smtp_server_with_byte_identical_attachment(demo_run, smtp_server, monkeypatch,
                                                                      capsys) -> None:
    root, _ = demo_run
    controller, handler = smtp_server
    _env(controller, monkeypatch)
    code = main(["send", "--month", DEMO_END_MONTH, "--outputs-dir", str(root / "outputs"),
                 "--parameters-dir", str(root / "parameters")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert len(handler.messages) == 3
    for mail_from, rcpts, raw in handler.messages:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        client = msg["X-KPI-Client"]
        params = load_params(client, parameters_dir=root / "parameters")
        # only this client's recipients
        assert sorted(rcpts) == sorted(r.email for r in params.recipients)
        assert mail_from == "reports@agency.example"
        assert params.display_name in msg["Subject"]
        body_html = msg.get_body(("html",)).get_content()
        body_text = msg.get_body(("plain",)).get_content()
        assert "Performance snapshot" in body_html and "<script" not in body_html.lower()
        assert "Performance snapshot" in body_text
        # the snapshot table reads as a table in plain text: a header line, then a line a measure
        lines = body_text.splitlines()
        assert "Measure | This month | vs last month | vs a year ago | Goal | Status" in lines
        reach = next(ln for ln in lines if ln.startswith("Reach | "))
        assert reach.count(" | ") == 5
        assert msg["Date"] is not None and email.utils.parsedate_to_datetime(msg["Date"]).tzinfo is not None
        atts = list(msg.iter_attachments())
        assert len(atts) == 1
        report = root / "outputs" / DEMO_END_MONTH / client / "monthly_report.html"
        assert atts[0].get_content() == report.read_bytes() or atts[0].get_payload(decode=True) == report.read_bytes()
        assert atts[0].get_payload(decode=True) == report.read_bytes()
    # the password appears nowhere: not in messages, output, logs or manifests
    assert SECRET not in out.out + out.err
    for _, _, raw in handler.messages:
        assert SECRET.encode() not in raw
    for p in (root / "outputs").rglob("*"):
        if p.is_file():
            assert SECRET not in p.read_text(errors="ignore"), p
    log = json.loads((root / "outputs" / DEMO_END_MONTH / "demo-lumiere" / "sent.json").read_text())
    assert log["sends"][-1]["to"] and "password" not in json.dumps(log).lower()


def test_dry_run_writes_eml_per_client(demo_run, capsys, monkeypatch) -> None:
    root, _ = demo_run
    monkeypatch.delenv("KPI_SMTP_FROM", raising=False)
    code = main(["send", "--month", DEMO_END_MONTH, "--dry-run", "--client", "demo-ledgerly",
                 "--outputs-dir", str(root / "outputs"), "--parameters-dir", str(root / "parameters")])
    assert code == 0
    # the review copy says its sender is a placeholder
    assert "KPI_SMTP_FROM is not set, so these messages come from reports@localhost" in capsys.readouterr().err
    eml = root / "outputs" / DEMO_END_MONTH / "demo-ledgerly" / "email.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    params = load_params("demo-ledgerly", parameters_dir=root / "parameters")
    assert all(r.email in msg["To"] for r in params.recipients)
    lumiere = load_params("demo-lumiere", parameters_dir=root / "parameters")
    assert not any(r.email in msg["To"] for r in lumiere.recipients)
    # signed by no one in particular without KPI_AGENCY_NAME: never by the tool's name
    assert "kpi_toolkit" not in msg.get_body(preferencelist=("plain",)).get_content()


def test_the_email_is_signed_by_the_agency(demo_run, capsys, monkeypatch) -> None:
    root, _ = demo_run
    monkeypatch.setenv("KPI_AGENCY_NAME", "Northwind <Social>\n& Co")
    assert main(["send", "--month", DEMO_END_MONTH, "--dry-run", "--client", "demo-ledgerly",
                 "--outputs-dir", str(root / "outputs"), "--parameters-dir", str(root / "parameters")]) == 0
    eml = root / "outputs" / DEMO_END_MONTH / "demo-ledgerly" / "email.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert text.rstrip().endswith("-- \nNorthwind <Social> & Co") and "kpi_toolkit" not in text
    body = msg.get_body(preferencelist=("html",)).get_content()
    assert '<p class="kpi-footer">Northwind &lt;Social&gt; &amp; Co</p>' in body


def test_client_without_recipients_is_refused(demo_run, tmp_path: Path, smtp_server, monkeypatch, capsys) -> None:
    root, _ = demo_run
    controller, handler = smtp_server
    _env(controller, monkeypatch)
    pdir = tmp_path / "parameters"
    pdir.mkdir()
    raw = yaml.safe_load((root / "parameters" / "demo-lumiere.yaml").read_text())
    raw["recipients"] = []
    (pdir / "demo-lumiere.yaml").write_text(yaml.safe_dump(raw))
    code = main(["send", "--month", DEMO_END_MONTH, "--outputs-dir", str(root / "outputs"),
                 "--parameters-dir", str(pdir)])
    assert code == 2
    assert "has no recipients" in capsys.readouterr().err
    assert handler.messages == []


def test_missing_report_and_missing_host_are_one_line_errors(demo_root, tmp_path: Path, monkeypatch) -> None:
    params = load_params("demo-lumiere", parameters_dir=demo_root / "parameters")
    with pytest.raises(KpiToolkitError, match=r"no report to send for 'demo-lumiere' in 2026-10"):
        deliver(params=params, month=DEMO_END_MONTH, period_label="October 2026", outputs_dir=tmp_path,
                dry_run=True)
    monkeypatch.delenv("KPI_SMTP_HOST", raising=False)
    with pytest.raises(KpiToolkitError, match=r"KPI_SMTP_HOST is not set"):
        SmtpSettings.from_env()
    monkeypatch.setenv("KPI_SMTP_HOST", "mail.example")
    monkeypatch.setenv("KPI_SMTP_PASSWORD", SECRET)
    assert SECRET not in repr(SmtpSettings.from_env())


def test_sending_after_a_failed_run_says_the_report_is_the_previous_one(tmp_path: Path) -> None:
    from kpi_toolkit.mail import stale_report_note

    folder = tmp_path / "2026-10" / "acme"
    folder.mkdir(parents=True)
    assert stale_report_note(tmp_path, "2026-10", "acme") is None  # no manifest: nothing to say
    manifest = {"reports": [{"notebook": "monthly_report", "status": "failed",
                             "error": "posts.csv: column 'likes' row 4: must be >= 0 (got -5)"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert stale_report_note(tmp_path, "2026-10", "acme") == (
        "the newest run of acme's report failed (posts.csv: column 'likes' row 4: must be >= 0 (got -5)); "
        "the report attached is the previous good one")
    manifest["reports"][0].update(status="ok", error=None)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert stale_report_note(tmp_path, "2026-10", "acme") is None


def test_one_clients_failure_never_stops_the_others_emails(demo_run, capsys, monkeypatch) -> None:
    """An error that is not the user's (here: the e-mail library refusing a header) stops that client's
    message only, in one line; the next client's is still written."""
    import kpi_toolkit.mail as mail

    root, _ = demo_run
    real = mail.deliver

    def deliver(*, params, **kw):
        if params.client == "demo-ledgerly":
            raise ValueError("Header values may not contain linefeed\nor carriage return characters")
        return real(params=params, **kw)

    monkeypatch.setattr(mail, "deliver", deliver)
    code = main(["send", "--month", DEMO_END_MONTH, "--dry-run", "--client", "demo-ledgerly", "--client",
                 "demo-lumiere", "--outputs-dir", str(root / "outputs"), "--parameters-dir", str(root / "parameters")])
    assert code == 2
    captured = capsys.readouterr()
    assert ("  demo-ledgerly: NOT SENT: ValueError: Header values may not contain linefeed or carriage return "
            "characters\n") in captured.err and "Traceback" not in captured.err
    assert "  demo-lumiere: written" in captured.out
    assert (root / "outputs" / DEMO_END_MONTH / "demo-lumiere" / "email.eml").is_file()


def _tiny_project(tmp_path: Path, recipients: list[dict]) -> tuple[Path, Path]:
    """parameters/acme.yaml and a made report outputs/<month>/acme/monthly_report.html (no kernel)."""
    pdir, odir = tmp_path / "parameters", tmp_path / "outputs"
    pdir.mkdir()
    (pdir / "acme.yaml").write_text(yaml.safe_dump({"client": "acme", "display_name": "Acme", "brand": "Acme",
                                                    "recipients": recipients}), encoding="utf-8")
    report = odir / DEMO_END_MONTH / "acme" / "monthly_report.html"
    report.parent.mkdir(parents=True)
    report.write_text('<!DOCTYPE html><html><head><style>p{}</style></head><body><section class="kpi-view" '
                      'id="snapshot"><h2>Performance snapshot</h2><p>Reach was 5.0 M.</p></section></body></html>',
                      encoding="utf-8")
    return pdir, odir


@pytest.mark.parametrize(("address", "read_as"), [
    ("jane@acme.example,ops", "two recipients: jane@acme.example and the server's local mailbox 'ops'"),
    ("team:jane@acme.example;", "a group: the local mailbox 'team'"),
    ('jane@acme.exam"ple', "jane@acme.exam, another domain"),
    ("(boss)jane@acme.example", "jane@acme.example, with a comment"),
])
def test_an_address_the_to_header_would_read_otherwise_is_refused(tmp_path: Path, smtp_server, monkeypatch,
                                                                  capsys, address: str, read_as: str) -> None:
    """Each of these passed validation, and `kpi send` mailed whatever the To: header made of it
    (``read_as``), not the mailbox the parameters name: the e-mail went elsewhere, or to more people."""
    controller, handler = smtp_server
    _env(controller, monkeypatch)
    pdir, odir = _tiny_project(tmp_path, [{"name": "Jane", "email": address}])
    code = main(["send", "--month", DEMO_END_MONTH, "--outputs-dir", str(odir), "--parameters-dir", str(pdir)])
    assert handler.messages == [], [rcpts for _, rcpts, _ in handler.messages]
    assert code == 2
    assert main(["validate", "--client", "acme", "--parameters-dir", str(pdir), "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    line = f"'recipients.email' (item 1): not an email address: {address!r}"
    assert err.count(line) == 2, err  # `kpi send` and `kpi validate` say it
    assert "Traceback" not in err


def test_each_recipient_gets_the_message_at_the_address_the_parameters_name(tmp_path: Path, smtp_server,
                                                                           monkeypatch, capsys) -> None:
    """Names with quotes, commas and a fake header, and addresses with '+', '_' and a subdomain,
    reach exactly the listed mailboxes."""
    controller, handler = smtp_server
    _env(controller, monkeypatch)
    recipients = [{"name": 'Jane "Boss", <spy@evil.example>', "email": "jane.doe+kpi@acme.example"},
                  {"name": "Bcc: spy@evil.example", "email": "ops_team@reports.acme.example"}]
    pdir, odir = _tiny_project(tmp_path, recipients)
    code = main(["send", "--month", DEMO_END_MONTH, "--outputs-dir", str(odir), "--parameters-dir", str(pdir)])
    assert code == 0, capsys.readouterr().err
    (_, rcpts, raw), = handler.messages
    assert sorted(rcpts) == sorted(r["email"] for r in recipients)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == [r["email"] for r in recipients]
    assert msg["Bcc"] is None and msg["Cc"] is None


def test_a_second_send_keeps_the_record_of_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sent.json had been rewritten by each send: sending a corrected report lost the record of what
    the stakeholders got first. It is now a list of sends, oldest first; a log of one send as
    earlier versions wrote it is kept as the first entry."""
    from kpi_toolkit import mail
    from kpi_toolkit.params import ClientParams

    out = tmp_path / "outputs" / "2026-10" / "acme"
    out.mkdir(parents=True)
    (out / "monthly_report.html").write_text("<html><body><h2>Performance snapshot</h2></body></html>",
                                             encoding="utf-8")
    (out / "sent.json").write_text(json.dumps({"sent_at": "2026-11-02T08:00:00+00:00", "to": ["old@acme.example"]}),
                                   encoding="utf-8")
    params = ClientParams.model_validate({"client": "acme", "display_name": "Acme", "brand": "Acme", "recipients": [
        {"name": "Jane", "email": "jane@acme.example"}]})
    sent: list[str] = []
    monkeypatch.setattr(mail, "send", lambda msg, settings: sent.append(msg["To"]))
    settings = mail.SmtpSettings(host="127.0.0.1", port=2525, user=None, password=None, tls="none",
                                 sender="reports@agency.example")
    for _ in range(2):
        mail.deliver(params=params, month="2026-10", period_label="October 2026", outputs_dir=tmp_path / "outputs",
                     dry_run=False, settings=settings)
    log = json.loads((out / "sent.json").read_text(encoding="utf-8"))
    assert [e["to"] for e in log["sends"]] == [["old@acme.example"], ["jane@acme.example"], ["jane@acme.example"]]
    assert len(sent) == 2 and not list(out.glob(".sent.json.*"))
