"""What `kpi run` and `kpi validate` refuse before any kernel starts, one line each, exit 2.

Each test builds a tiny project in a temp folder (parameters/ and data/ side by side, as the README's
"Clients: parameters and data" describes) and replaces the runner's pool with a stand-in that fails
the test when a report reaches it, unless the test expects it to.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

import kpi_toolkit.runner as runner
from kpi_toolkit.cli import main
from kpi_toolkit.exceptions import NoDataError, ParameterError
from kpi_toolkit.params import CURRENCIES, load_params, parse_params

from .conftest import REPO

POSTS = ("post_id,platform,published_at,content_type,impressions,reach,likes,comments,shares\n"
         "p1,facebook,2026-10-01T10:00:00Z,image,100,80,5,1,0\n"
         "p2,instagram,2026-10-02T12:00:00+03:00,video,200,150,7,2,1\n")


def _client(root: Path, client: str, *, data: dict[str, str] | None = None, **params: object) -> None:
    """parameters/<client>.yaml and data/<client>/ with ``data`` (file name -> text); None = no folder."""
    (root / "parameters").mkdir(parents=True, exist_ok=True)
    raw = {"client": client, "display_name": client.title(), "brand": client.title(), **params}
    (root / "parameters" / f"{client}.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    if data is not None:
        d = root / "data" / client
        d.mkdir(parents=True, exist_ok=True)
        for name, text in data.items():
            (d / name).write_text(text, encoding="utf-8")


def _args(root: Path, *rest: str) -> list[str]:
    return [*rest, "--parameters-dir", str(root / "parameters"), "--data-dir", str(root / "data")]


def _run(root: Path, *rest: str) -> list[str]:
    return _args(root, "run", *rest, "--outputs-dir", str(root / "outputs"), "--no-progress")


@pytest.fixture
def no_kernels(monkeypatch: pytest.MonkeyPatch) -> list[runner.Task]:
    """Replace the pool: record the tasks that reach it and call them done (no kernel starts)."""
    seen: list[runner.Task] = []

    def fake_execute(tasks, **_: object) -> list[runner.Result]:
        seen.extend(tasks)
        out = []
        for t in tasks:
            Path(t.out_dir).mkdir(parents=True, exist_ok=True)
            html = Path(t.out_dir) / f"{t.notebook}.html"
            html.write_text("<p>report</p>", encoding="utf-8")
            out.append(runner.Result(client=t.client, month=t.month, notebook=t.notebook, status="ok",
                                     duration_s=0.1, started_at="2026-11-01T00:00:00+00:00",
                                     finished_at="2026-11-01T00:00:01+00:00", html=str(html),
                                     notes=list(t.notes)))
        return out

    monkeypatch.setattr(runner, "execute", fake_execute)
    return seen


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


# --- 1. an unknown client named on the command line ---------------------------------------------


def test_run_unknown_client_is_one_line_before_anything(tmp_path: Path, capsys, no_kernels) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    assert main(_run(tmp_path, "--client", "acmee", "--month", "2026-10")) == 2
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert line.startswith("error: unknown client 'acmee'") and "did you mean 'acme'?" in line
    assert captured.out == ""
    assert not no_kernels and not (tmp_path / "outputs").exists()
    # with a good client named too, the whole request is refused: it has a typo in it
    assert main(_run(tmp_path, "--client", "acme", "--client", "nosuch", "--month", "2026-10")) == 2
    assert "unknown client 'nosuch'" in _one_line(capsys.readouterr().err)
    assert not no_kernels and not (tmp_path / "outputs").exists()


# --- 2. a month without data ----------------------------------------------------------------------


def test_run_month_without_data_is_one_line_and_writes_nothing(tmp_path: Path, capsys, no_kernels) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    assert main(_run(tmp_path, "--client", "acme", "--month", "2030-01")) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("error: no data for client 'acme' in 2030-01 (its data covers 2026-10"), line
    assert not no_kernels and not (tmp_path / "outputs").exists()
    # the month with data runs (through the stand-in pool)
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 0
    assert [t.client for t in no_kernels] == ["acme"]


def test_run_all_skips_clients_without_data_and_runs_the_others(tmp_path: Path, capsys, no_kernels) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    _client(tmp_path, "bare", data={})  # a folder without tables
    _client(tmp_path, "later", data={"posts.csv": POSTS.replace("2026-10-0", "2027-03-0")})
    _client(tmp_path, "nofolder")  # parameters only
    code = main(_run(tmp_path, "--all", "--month", "2026-10", "--notebook", "all"))
    captured = capsys.readouterr()
    assert code == 2  # non-zero: three clients got no report, all for their input
    assert sorted({t.client for t in no_kernels}) == ["acme"]
    skipped = [x for x in captured.err.splitlines() if x.lstrip().startswith("SKIPPED")]
    assert len(skipped) == 3, captured.err  # one line a client, not one a notebook
    assert any("later: no data for client 'later' in 2026-10 (its data covers 2027-03" in x for x in skipped)
    assert any("bare: no data for client 'bare' in 2026-10" in x for x in skipped)
    assert any("nofolder: no data for client 'nofolder'" in x and "does not exist" in x for x in skipped)
    assert "Traceback" not in captured.err
    month = tmp_path / "outputs" / "2026-10"
    assert sorted(p.name for p in month.iterdir() if p.is_dir()) == ["acme"]  # no folders for the skipped
    index = (month / "index.html").read_text(encoding="utf-8")
    assert "no data for client &#x27;later&#x27; in 2026-10" in index and "not run" in index


def test_run_headline_says_what_became_of_the_reports_not_ok(tmp_path: Path, capsys, no_kernels) -> None:
    """`kpi run --all` with a client that has no data in the month: the first line says how many
    reports were skipped and for whom, so "2 of 4 reports ok" and exit code 2 do not read as a failure
    the reader has to work out from the SKIPPED line on stderr."""
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    _client(tmp_path, "later", data={"posts.csv": POSTS.replace("2026-10-0", "2027-03-0")})
    code = main(_run(tmp_path, "--all", "--month", "2026-10", "--notebook", "monthly_report",
                     "--notebook", "segmentation"))
    out = capsys.readouterr().out.splitlines()
    assert code == 2
    assert out[0].startswith("2 of 4 reports ok for 2026-10 in "), out[0]
    assert out[0].endswith("; 2 reports skipped: no data in 2026-10 for later"), out[0]
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("1 of 1 reports ok for 2026-10 in ") and "skipped" not in first, first


def test_run_all_when_no_client_has_data_is_one_line(tmp_path: Path, capsys, no_kernels) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    _client(tmp_path, "beta", data={"posts.csv": POSTS})
    assert main(_run(tmp_path, "--all", "--month", "2031-05")) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("error: no report can run for 2031-05: no data for client 'acme' in 2031-05")
    assert "no data for client 'beta' in 2031-05" in line
    assert not no_kernels and not (tmp_path / "outputs").exists()


def test_run_keeps_a_broken_data_file_for_the_report_to_show(tmp_path: Path, no_kernels) -> None:
    """The month check never sets a client aside for a file it cannot read: the report fails on it
    with its failing cell marked, as before."""
    _client(tmp_path, "acme", data={"posts.csv": POSTS.replace(",5,1,0", ",-5,1,0")})
    tasks, set_aside = runner.plan(clients=["acme"], month="2026-10", notebooks=["monthly_report"],
                                   notebooks_dir=REPO / "notebooks",
                                   outputs_dir=tmp_path / "outputs", data_dir=tmp_path / "data",
                                   parameters_dir=tmp_path / "parameters")
    assert [t.client for t in tasks] == ["acme"] and not set_aside



def test_the_month_check_reads_only_the_time_columns_of_a_table_with_rows_in_the_month(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning a run of hundreds of clients checks each one's month: it decodes and checks the
    columns that place rows in time, not every column of the posts (the report reads them whole)."""
    import kpi_toolkit.data as data

    checked: list[list[str]] = []
    real = data._validate

    def spy(df, spec, *a, **kw):  # noqa: ANN001, ANN202
        checked.append(list(df.columns))
        return real(df, spec, *a, **kw)

    monkeypatch.setattr(data, "_validate", spy)
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    notes = runner.check_month_has_data_cheaply("acme", "2026-10", params=load_params(
        "acme", parameters_dir=tmp_path / "parameters"), data_dir=tmp_path / "data")
    assert notes == [] and checked == [["published_at"]]
    # a month without rows still reads the table whole, for the report's note and the data's span
    checked.clear()
    with pytest.raises(NoDataError, match="no data for client 'acme' in 2031-05"):
        runner.check_month_has_data_cheaply("acme", "2031-05", params=load_params(
            "acme", parameters_dir=tmp_path / "parameters"), data_dir=tmp_path / "data")
    assert ["published_at"] in checked and any("likes" in c for c in checked)

# --- 3. outside the project folder --------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["validate", "--client", "acme"],
    ["validate", "--all"],
    ["run", "--client", "acme", "--month", "2026-10"],
    ["run", "--all", "--month", "2026-10"],
    ["kpis", "--client", "acme", "--month", "2026-10"],
    ["send", "--month", "2026-10", "--dry-run"],
])
def test_outside_the_project_folder_says_so_and_creates_nothing(tmp_path: Path, capsys, no_kernels,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 argv: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert _one_line(capsys.readouterr().err) == ("error: no parameters/ folder here: run kpi from the "
                                                  "project folder or pass --parameters-dir")
    assert os.listdir(tmp_path) == [] and not no_kernels


def test_missing_data_folder_says_which_option(tmp_path: Path, capsys, no_kernels,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _client(tmp_path / "project", "acme", data={"posts.csv": POSTS})
    monkeypatch.chdir(tmp_path)
    params = str(tmp_path / "project" / "parameters")
    for argv in (["validate", "--client", "acme"], ["run", "--client", "acme", "--month", "2026-10"]):
        assert main([*argv, "--parameters-dir", params]) == 2
        assert _one_line(capsys.readouterr().err) == ("error: no data/ folder here: run kpi from the "
                                                      "project folder or pass --data-dir")
    assert os.listdir(tmp_path) == ["project"] and not no_kernels


# --- 4. what validate reports --------------------------------------------------------------------


@pytest.mark.parametrize(("given", "hint"), [
    ("euro", "did you mean 'EUR'?"), ("EURO", "did you mean 'EUR'?"), ("€", "did you mean 'EUR'?"),
    ("dollars", "did you mean 'USD'?"), ("krone", "did you mean 'NOK' or 'DKK'?"),
    ("DEM", "did you mean 'EUR'?"), ("HRK", "did you mean 'EUR'?"), ("money", ""),
])
def test_currency_must_be_an_iso_4217_code(given: str, hint: str) -> None:
    with pytest.raises(ParameterError) as exc:
        parse_params({"client": "acme", "display_name": "Acme", "brand": "Acme", "currency": given},
                     source="parameters/acme.yaml")
    msg = str(exc.value)
    assert msg.startswith(f"parameters/acme.yaml: 'currency': {given!r} is not the ISO 4217 code of a "
                          "currency in use"), msg
    assert msg.endswith(f" — {hint}" if hint else "(three letters, such as EUR, USD or GBP)"), msg


@pytest.mark.parametrize("code", ["XAU", "XXX", "CHE"])
def test_currency_refuses_iso_codes_that_are_not_money(code: str) -> None:
    with pytest.raises(ParameterError, match=rf"'{code}' is an ISO 4217 fund, metal or test code, not money"):
        parse_params({"client": "acme", "display_name": "Acme", "brand": "Acme", "currency": code})


def test_currency_codes_pass_and_lower_case_is_read_as_the_code() -> None:
    base = {"client": "acme", "display_name": "Acme", "brand": "Acme"}
    assert parse_params({**base, "currency": "eur"}).currency == "EUR"
    for code in ("EUR", "USD", "GBP", "SEK", "JPY", "CHF", "XOF", "XCG", "ZWG"):
        assert parse_params({**base, "currency": code}).currency == code
    # ISO 4217 list one has ~180 entries; fund, metal and test codes are left out on purpose
    assert 150 <= len(CURRENCIES) <= 170 and not {"XAU", "XTS", "XXX", "CHE", "USN"} & CURRENCIES


def test_validate_refuses_currency_euro_in_one_line(tmp_path: Path, capsys) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, currency="euro")
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.endswith("acme.yaml: 'currency': 'euro' is not the ISO 4217 code of a currency in use — "
                         "did you mean 'EUR'?")


def test_validate_and_run_refuse_a_logo_that_is_not_there(tmp_path: Path, capsys, no_kernels) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, branding={"logo": "parameters/logos/acme.png"})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    logo = tmp_path / "parameters" / "logos" / "acme.png"
    line = _one_line(capsys.readouterr().err)
    assert f"acme.yaml: 'branding.logo': no file {logo} (a relative path starts at the project folder" in line
    # kpi run refuses that client's report before any kernel, the same line
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 2
    assert f"'branding.logo': no file {logo}" in _one_line(capsys.readouterr().err)
    assert not no_kernels and not (tmp_path / "outputs").exists()
    # an SVG is not embedded (mail clients drop it): refused too; a PNG passes
    logo.parent.mkdir()
    logo.with_suffix(".svg").write_text("<svg/>", encoding="utf-8")
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, branding={"logo": "parameters/logos/acme.svg"})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    assert "acme.svg is not a PNG, JPEG or GIF image" in _one_line(capsys.readouterr().err)
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, branding={"logo": "parameters/logos/acme.png"})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 0
    assert capsys.readouterr().out.startswith("acme: ok")


def test_a_logo_that_is_not_an_image_is_refused_and_never_embedded(tmp_path: Path, capsys, no_kernels) -> None:
    """branding.logo was checked by its name only: a file named acme.png that held anything else (here a
    link to a credentials file outside the project) passed `kpi validate` and `kpi run`, and the
    export put its bytes into the report, and so into the client's e-mail, as a base64 "image"."""
    import base64

    from kpi_toolkit.export import report_resources

    secret = tmp_path / "elsewhere" / "credentials"
    secret.parent.mkdir()
    secret.write_text("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", encoding="utf-8")
    logo = tmp_path / "parameters" / "logos" / "acme.png"
    logo.parent.mkdir(parents=True)
    logo.symlink_to(secret)
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, branding={"logo": "parameters/logos/acme.png"})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"acme.yaml: 'branding.logo': {logo} is not a PNG, JPEG or GIF image: its content is not one" in line
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 2
    assert "'branding.logo'" in _one_line(capsys.readouterr().err)
    assert not no_kernels and not (tmp_path / "outputs").exists()
    # the export embeds an image only, by its content: the report shows initials for the credentials
    params = load_params("acme", parameters_dir=tmp_path / "parameters")
    resources = report_resources(params=params, notebook="monthly_report", period_label="October 2026",
                                 base_dir=tmp_path)
    assert resources["logo_data_uri"] is None
    # a real image passes, and is embedded as the type its bytes say (a JPEG named .png is a JPEG)
    logo.unlink()
    logo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 0
    resources = report_resources(params=params, notebook="monthly_report", period_label="October 2026",
                                 base_dir=tmp_path)
    assert resources["logo_data_uri"] == "data:image/jpeg;base64," + base64.b64encode(logo.read_bytes()).decode()


def test_validate_refuses_a_client_without_any_data(tmp_path: Path, capsys) -> None:
    _client(tmp_path, "emptyco", data={})
    assert main(_args(tmp_path, "validate", "--client", "emptyco")) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("error: no data for client 'emptyco': ") and "holds none of the canonical tables" in line
    _client(tmp_path, "emptyco", data={"posts.csv": POSTS.split("\n", 1)[0] + "\n"})  # a header, no rows
    assert main(_args(tmp_path, "validate", "--client", "emptyco")) == 2
    assert "has tables but no rows" in _one_line(capsys.readouterr().err)
    # --all: that client fails, the others are still checked
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    assert main(_args(tmp_path, "validate", "--all")) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("acme: ok") and captured.err.startswith("emptyco: FAILED: no data")


def test_validate_warns_when_no_core_kpi_can_be_computed(tmp_path: Path, capsys) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, core_kpis=["spend", "share_of_voice"])
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 0  # a warning: the report runs
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert head.startswith("acme: WARNING: none of its core KPIs can be computed from its data: "
                           "spend (no ads data), share_of_voice (no mentions data)"), head
    assert "acme: ok" not in out


def test_validate_names_core_kpis_without_data_under_ok(tmp_path: Path, capsys) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, core_kpis=["reach", "roas"])
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "acme: ok"
    assert lines[1] == "  warning: core KPIs without data, shown as n/a in the report: roas (no ads data)"
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, core_kpis=["reach"])
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 0
    assert "warning" not in capsys.readouterr().out


def test_validate_help_says_what_is_an_error_and_what_a_warning(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = capsys.readouterr().out
    for words in ("exit 0", "WARNING", "none of the client's core KPIs", "exit 2", "ISO 4217",
                  "branding.logo", "no data at all"):
        assert words in out, words


def test_validate_refuses_a_benchmarks_file_that_is_not_there(tmp_path: Path, capsys, no_kernels) -> None:
    """The competitor section reads benchmarks.file inside the kernel: a missing one is caught first."""
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, benchmarks={"file": "benchmarks/agency.yaml"})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    wanted = tmp_path / "benchmarks" / "agency.yaml"
    line = _one_line(capsys.readouterr().err)
    assert f"acme.yaml: 'benchmarks.file': no file {wanted} (a relative path starts at the project folder" in line
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 2
    assert "'benchmarks.file': no file" in _one_line(capsys.readouterr().err)
    assert not no_kernels and not (tmp_path / "outputs").exists()
    wanted.parent.mkdir()
    wanted.write_text("benchmarks: []\n", encoding="utf-8")
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 0


# --- what the run owns, empty months, folders that cannot be written ------------------------------


@pytest.mark.parametrize("key", ["client", "month", "data_dir", "parameters_dir"])
def test_run_refuses_a_param_that_the_run_sets_itself(tmp_path: Path, capsys, no_kernels, key: str) -> None:
    """`-p client=other` had put another client's numbers in this client's report folder (which
    `kpi send` then mailed to this client); `-p month=…` put another month's report in this one's."""
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10", "-p", f"{key}=x")) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"error: --param {key}=… is not allowed: the run sets '{key}' itself"), line
    assert not no_kernels and not (tmp_path / "outputs").exists()


def test_an_empty_month_is_refused_not_read_as_the_default(tmp_path: Path, capsys, no_kernels) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    assert main(_run(tmp_path, "--client", "acme", "--month", "")) == 2
    assert _one_line(capsys.readouterr().err) == "error: month must be YYYY-MM, got ''"
    assert main(_args(tmp_path, "kpis", "--client", "acme", "--month", "")) == 2
    assert _one_line(capsys.readouterr().err) == "error: month must be YYYY-MM, got ''"
    assert not no_kernels


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path, capsys) -> None:
    """An outputs or demo folder that is a file, read-only or full: the system's reason, one line, exit 2."""
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    assert main(["demo", "--root", str(tmp_path / "afile")]) == 2
    err = capsys.readouterr().err
    line = _one_line(err)
    assert line.startswith("error: cannot use ") and "afile" in line and line.endswith("not a directory"), line
    assert "Traceback" not in err


# --- parameters a report cannot use, and names the data never spells ------------------------------


@pytest.mark.parametrize(("extra", "words"), [
    ({"core_kpis": []}, "'core_kpis': core_kpis is empty"),
    ({"display_name": "Evil Co\nInc"}, "'display_name': 'Evil Co\\nInc' has a line break"),
    ({"competitors": ["Rival", " "]}, "'competitors': a name is blank"),
    ({"display_name": "Acme\u2028Inc"}, "has a line break or invisible character (U+2028)"),
    ({"brand": "Acme\u202eInc"}, "has a line break or invisible character (U+202E)"),
    ({"recipients": [{"name": "Priya\nBcc: evil@example.com", "email": "p@acme.example"}]},
     "'recipients.name' (item 1): 'Priya\\nBcc: evil@example.com' has a line break"),
    ({"goals": [{"kpi": "share_of_voice", "target": 44, "by": "2027-01-31"}]},
     "goal on 'share_of_voice': target 44 is not a fraction — rates, shares and the NPS are written as "
     "fractions (0.44 for 44 %)"),
    ({"goals": [{"kpi": "nps", "target": 30, "by": "2027-01-31"}]},
     "goal on 'nps': target 30 is not a fraction — rates, shares and the NPS are written as fractions "
     "(0.3 for +30)"),
    ({"goals": [{"kpi": "reach", "target": -5, "by": "2027-01-31"}]}, "goal on 'reach': target -5 is below 0"),
    ({"goals": [{"kpi": "net_sentiment", "target": -1.5, "by": "2027-01-31"}]},
     "goal on 'net_sentiment': target -1.5 is below -1"),
])
def test_validate_refuses_parameters_a_report_cannot_use(tmp_path: Path, capsys, extra: dict, words: str) -> None:
    """An empty snapshot (core_kpis: []) had failed the report with KeyError 'label'; a line break in a
    name had crashed `kpi send` for every client after it; a share target of 44 had been reported as
    "at least 4,400.0 %"."""
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, **extra)
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    line = _one_line(capsys.readouterr().err)
    assert words in line, line


def test_goal_targets_in_range_pass() -> None:
    base = {"client": "acme", "display_name": "Acme", "brand": "Acme"}
    for kpi, target in (("share_of_voice", 0.44), ("net_sentiment", -0.2), ("audience_growth_rate", 1.5),
                        ("reach", 120000)):
        parse_params({**base, "goals": [{"kpi": kpi, "target": target, "by": "2027-01-31"}]}, source="acme.yaml")


def test_validate_warns_of_a_brand_the_data_never_spells_and_a_passed_deadline(tmp_path: Path, capsys) -> None:
    mentions = ("mention_id,published_at,source,brand,text\n"
                "m1,2026-10-01T10:00:00Z,x,Lumière,great\nm2,2026-10-02T10:00:00Z,x,Rival,meh\n")
    _client(tmp_path, "acme", data={"posts.csv": POSTS, "mentions.csv": mentions}, brand="Lumiere",
            competitors=["Rival", "Nobody"], goals=[{"kpi": "reach", "target": 100, "by": "2020-05-31"},
                                                    {"kpi": "nps", "target": 0.3, "by": "2030-01-31"}])
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 0
    out = capsys.readouterr().out
    assert "warning: brand 'Lumiere' never appears in the mentions data" in out
    assert "did you mean 'Lumière'?" in out
    assert "warning: competitors 'Nobody' never appears in the mentions data" in out
    assert "competitors 'Rival'" not in out
    assert "warning: goal on 'reach': its deadline 2020-05-31 has passed" in out
    assert "warning: goal on 'nps': no surveys data, so the report cannot pace it" in out


def test_validate_refuses_a_malformed_benchmarks_file_and_the_report_never_shows_its_path(
        tmp_path: Path, capsys, no_kernels) -> None:
    bench = tmp_path / "agency_bench.yaml"
    bench.write_text("benchmarks:\n  - {industry: all, platform: linkedin, metric: engagement_rate, value: 0.02}\n"
                     "sources: {}\n", encoding="utf-8")
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, benchmarks={"file": str(bench)})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"'benchmarks.file' {bench}: agency_bench.yaml: benchmarks row 1: missing 'source'" in line, line
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 2
    assert not no_kernels
    # the message the report would show names the file, never the server's folders
    from kpi_toolkit.benchmarks import _benchmark_file
    from kpi_toolkit.exceptions import ParameterError as PE

    with pytest.raises(PE) as e:
        _benchmark_file(str(bench))
    assert str(tmp_path) not in str(e.value)


@pytest.mark.parametrize(("extra", "line"), [
    ({"history_months": "abc"}, "'history_months': must be a whole number (got 'abc')"),
    ({"history_months": 5}, "'history_months': must be at least 25 (got 5)"),
    ({"goals": [{"kpi": "reach", "target": 5, "by": "2026-02-30"}]}, "'goals.by' (item 1): no such date (got '2026-02-30')"),
    ({"goals": [{"kpi": "reach", "target": 5, "by": "2027-01-31", "direction": "up"}]},
     "'goals.direction' (item 1): must be 'auto', 'at_least' or 'at_most' (got 'up')"),
    ({"recipients": [{"name": "x"}]}, "missing required key 'recipients.email' (item 1)"),
    ({"attribution": {"confidence": 95}},
     "'attribution.confidence': must be less than 1 (got 95) — a share is written as a fraction (0.95 for 95 %)"),
])
def test_parameter_errors_are_in_the_words_of_the_file(extra: dict, line: str) -> None:
    """Not pydantic's "Input should be a valid integer, unable to parse string as an integer" or
    "goals.0.by": what the value must be, which item of a list (counted from 1), and what was given."""
    with pytest.raises(ParameterError) as e:
        parse_params({"client": "acme", "display_name": "Acme", "brand": "Acme", **extra}, source="acme.yaml")
    assert str(e.value) == f"acme.yaml: {line}"


def test_run_says_when_the_posts_table_has_no_post_in_the_month(tmp_path: Path, capsys, no_kernels) -> None:
    """A header-only posts export next to ads data: the report runs (the ads are real) but its reach and
    engagement are n/a; `kpi run` had said only "ok" while that report replaced a good one."""
    ads = "date,platform,campaign,spend,impressions,clicks,conversions\n2026-10-01,facebook,a,10.0,2974,18,0\n"
    header = POSTS.splitlines()[0] + "\n"
    _client(tmp_path, "acme", data={"posts.csv": header, "ads.csv": ads})
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 0
    out = capsys.readouterr().out
    assert "note: posts.csv has no post in October 2026: the report shows its reach and engagement as n/a" in out
    _client(tmp_path, "acme", data={"posts.csv": POSTS, "ads.csv": ads})
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 0
    assert "note:" not in capsys.readouterr().out


def test_send_names_a_missing_outputs_folder_and_import_a_folder(tmp_path: Path, capsys) -> None:
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    assert main(["send", "--month", "2026-10", "--dry-run", "--parameters-dir", str(tmp_path / "parameters"),
                 "--outputs-dir", str(tmp_path / "nope")]) == 2
    assert _one_line(capsys.readouterr().err) == f"error: no folder {tmp_path / 'nope'}/: check --outputs-dir"
    assert main(["import", "facebook_insights", str(tmp_path), "--client", "acme", "--year", "2014",
                 "--data-dir", str(tmp_path / "data")]) == 2
    assert _one_line(capsys.readouterr().err) == f"error: {tmp_path}: a folder, not an export file (name the file inside it)"


@pytest.mark.parametrize(("body", "words"), [
    ("weights: {objectives: oops}\n", "'weights.objectives' must be a mapping of names to weights"),
    ("weights: {objectives: {consideration: {post_ctr: -1}}}\n", "'weights.objectives.consideration.post_ctr': -1"),
    ("weights: {industries: {beauty: {myspace: 1}}}\n", "'weights.industries.beauty': unknown 'myspace'"),
    ("weights: {objectives: {awareness: {post_ctr: 1}}}\n",
     "benchmarks.objective 'consideration' has no weights in the benchmark file"),
])
def test_validate_refuses_benchmark_weights_the_report_cannot_use(tmp_path: Path, capsys, body: str,
                                                                  words: str) -> None:
    """A weights section the channel score cannot use had passed validate and failed the report
    ("has no weights in the benchmark file (known: o, o, p, s)")."""
    bench = tmp_path / "agency.yaml"
    bench.write_text("benchmarks: []\n" + body, encoding="utf-8")
    _client(tmp_path, "acme", data={"posts.csv": POSTS},
            benchmarks={"file": str(bench), "objective": "consideration"})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    assert words in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize(("row", "words"), [
    ("{industry: all, platform: x, metric: post_ctr, value: -3, source: s}", "value -3 must be a number >= 0"),
    ("{industry: all, platform: myspace, metric: post_ctr, value: 0.01, source: s}", "unknown platform 'myspace'"),
])
def test_validate_refuses_benchmark_rows_the_report_cannot_use(tmp_path: Path, capsys, row: str, words: str) -> None:
    bench = tmp_path / "agency.yaml"
    bench.write_text(f"sources: {{s: {{short: S}}}}\nbenchmarks:\n  - {row}\n", encoding="utf-8")
    _client(tmp_path, "acme", data={"posts.csv": POSTS}, benchmarks={"file": str(bench)})
    assert main(_args(tmp_path, "validate", "--client", "acme")) == 2
    assert words in _one_line(capsys.readouterr().err)


def test_an_agency_file_without_weights_scores_with_the_shipped_weights(tmp_path: Path) -> None:
    from kpi_toolkit.benchmarks import channel_weights

    bench = tmp_path / "agency.yaml"
    bench.write_text("benchmarks: []\n", encoding="utf-8")
    assert channel_weights(objective="conversion", industry="beauty", platforms=["instagram", "x"], path=bench) == \
        channel_weights(objective="conversion", industry="beauty", platforms=["instagram", "x"])


def test_a_notebook_without_the_tables_it_needs_is_not_run_and_not_a_failure(tmp_path: Path, capsys,
                                                                             no_kernels) -> None:
    """The attribution notebook on a client without touchpoints had failed with an AttributeError."""
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10", "--notebook", "monthly_report",
                     "--notebook", "attribution")) == 0
    out = capsys.readouterr().out
    assert "1 of 1 reports ok" in out
    assert ("  not run acme/attribution: no touchpoints data: the attribution notebook needs the touchpoints "
            "and conversions tables") in out
    assert [t.notebook for t in no_kernels] == ["monthly_report"]
    index = (tmp_path / "outputs" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "not run" in index and "no touchpoints data" in index
    # asked for alone, nothing can run: one line, exit 2, nothing written for it
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10", "--notebook", "attribution")) == 2
    assert _one_line(capsys.readouterr().err) == ("error: no touchpoints data: the attribution notebook needs the "
                                                  "touchpoints and conversions tables")


def test_run_names_paths_as_typed_from_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernels read data by absolute path, so a failed report said /home/ana/agency/data/... where
    `kpi validate` says data/...; outputs outside the folder read ../../tmp/out."""
    from kpi_toolkit.commands.run import _shown, _shown_in

    project = tmp_path / "agency"
    project.mkdir()
    monkeypatch.chdir(project)
    here = str(project)
    assert _shown_in(f"{here}/data/acme/posts.csv: column 'likes' row 2: must be >= 0") == \
        "data/acme/posts.csv: column 'likes' row 2: must be >= 0"
    # only whole paths that start with the folder: not one that merely contains it
    assert _shown_in(f"/mnt{here}/data/x.csv and {here}x/y.csv") == f"/mnt{here}/data/x.csv and {here}x/y.csv"
    assert _shown(f"{here}/outputs/2026-10/index.html") == "outputs/2026-10/index.html"
    assert _shown("/elsewhere/out/index.html") == "/elsewhere/out/index.html"
    monkeypatch.chdir("/")
    assert _shown_in("/data/acme/posts.csv") == "/data/acme/posts.csv"


def test_an_unreadable_manifest_of_another_client_does_not_stop_the_run(tmp_path: Path, capsys, no_kernels) -> None:
    """The month's index reads every client's manifest: one cut short (a disk that filled up, a hand
    edit) ended `kpi run --client acme` in a JSONDecodeError traceback after acme's report was made,
    and the index was not written. That client gets a row saying so; the run goes on."""
    _client(tmp_path, "acme", data={"posts.csv": POSTS})
    other = tmp_path / "outputs" / "2026-10" / "other"
    other.mkdir(parents=True)
    (other / "manifest.json").write_text('{"client": "other", "reports": [', encoding="utf-8")
    assert main(_run(tmp_path, "--client", "acme", "--month", "2026-10")) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and len(no_kernels) == 1
    index = (tmp_path / "outputs" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "acme/monthly_report.html" in index
    assert "other/manifest.json cannot be read (JSONDecodeError: " in index
