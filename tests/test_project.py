"""House rules of the repository itself: env files in sync, notebooks clean, light imports."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CONDA_NAMES = {"dask[distributed]": ["dask", "distributed"], "vadersentiment": ["vadersentiment"],
               "arch": ["arch-py"]}


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\s]", req, maxsplit=1)[0].strip().lower()


def test_every_runtime_dependency_is_in_environment_yml() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    named = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    missing = []
    for d in deps:
        for conda_name in CONDA_NAMES.get(_name(d), [_name(d)]):
            if conda_name not in named:
                missing.append(conda_name)
    assert not missing, f"environment.yml lacks {missing}"
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_lock_file_matches_pyproject() -> None:
    lock = (REPO / "uv.lock").read_text()
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for d in deps:
        assert f'name = "{_name(d).split("[")[0]}"' in lock, f"{d} not in uv.lock: run `uv lock`"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(nb: Path) -> None:
    cells = json.loads(nb.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") for c in code), "strip outputs before commit"
    assert all(c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    src = "".join(tagged[0]["source"])
    assert "client" in src and "month" in src and "data_dir" in src
    for c in code:
        for line in "".join(c["source"]).splitlines():
            assert not line.lstrip().startswith(("def ", "class ")), "functions belong in kpi_toolkit"


def test_expected_notebooks_exist() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"monthly_report", "trend_detection", "segmentation", "attribution",
            "competitor_benchmarking"} <= names


def test_import_is_light() -> None:
    code = ("import sys, kpi_toolkit, kpi_toolkit.context, kpi_toolkit.report, kpi_toolkit.display; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('papermill','nbconvert','jupyter_client','jupyterlab','notebook','dask','distributed')]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout}"


def test_generated_things_are_ignored() -> None:
    ignore = (REPO / ".gitignore").read_text()
    for pattern in (".venv/", "/outputs/*", "/data/*"):
        assert pattern in ignore
    assert (REPO / "data" / "README.md").exists()


def test_ci_runs_make_test() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_nbformat_imports_without_building_the_iri_grammar() -> None:
    """kpi_toolkit defers rfc3987_syntax (1.6 s of Lark grammar at jsonschema's import, in every pool
    worker); iri values are still checked, by the real package, on first use."""
    import importlib.util

    assert importlib.util.find_spec("rfc3987_syntax"), "installed with JupyterLab (jupyter-events)"
    code = textwrap.dedent("""
        import sys, time
        t = time.process_time()
        import kpi_toolkit, papermill, nbformat
        cost = time.process_time() - t
        assert "lark" not in sys.modules, "the grammar was built at import"
        shim = sys.modules["rfc3987_syntax"]
        from jsonschema import Draft202012Validator, FormatChecker
        v = Draft202012Validator({"type": "string", "format": "iri"}, format_checker=FormatChecker())
        assert v.is_valid("https://example.com/caf\u00e9") and not v.is_valid("no spaces in an iri")
        assert "lark" in sys.modules and sys.modules["rfc3987_syntax"] is not shim
        assert shim.RFC3987_SYNTAX_TERMS is sys.modules["rfc3987_syntax"].RFC3987_SYNTAX_TERMS
        print(round(cost, 2))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_the_readme_example_parameters_are_valid() -> None:
    """A new user copies the README's example client first: it must pass validation as printed."""
    import re

    from kpi_toolkit.params import check_files, parse_params

    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(client: acme.*?)```", text, flags=re.S).group(1)
    params = parse_params(yaml.safe_load(block), source="README.md")
    assert params.client == "acme" and len(params.goals) == 3
    assert {g.kpi for g in params.goals} == {"engagement_rate_by_reach", "cpa", "reach"}
    # and the files it names exist: `kpi validate` refused the example's logo, which no clone has
    check_files(params, parameters_dir=REPO / "parameters")


def test_the_readme_everyday_commands_parse_and_fit_their_data() -> None:
    """Every `kpi` command of the README's "Everyday use" parses as written, and a client imported
    from an export of one year is reported for a month of that year: the README imported the 2014
    Facebook export for acme and then ran `kpi kpis/run --client acme --month 2026-10`, which can
    only say "no data for client 'acme' in 2026-10"."""
    import importlib
    import shlex

    from kpi_toolkit.cli import _module_name

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Everyday use", 1)[1].split("\n## ", 1)[0]
    lines = [ln for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)
             for ln in block.replace("\\\n", " ").splitlines()]
    month = next((ln.split("=", 1)[1].split()[0] for ln in lines if ln.startswith("MONTH=")), "")
    commands = [shlex.split(ln.split("kpi ", 1)[1].replace("$MONTH", month), comments=True)
                for ln in lines if ".venv/bin/kpi " in ln]
    assert len(commands) >= 10
    years: dict[str, str] = {}
    for argv in commands:
        sub = argparse.ArgumentParser(prog=f"kpi {argv[0]}")
        importlib.import_module(_module_name(argv[0])).add_arguments(sub)
        args = sub.parse_args(argv[1:])  # SystemExit on an option that does not exist
        if argv[0] == "import" and args.year:
            years[args.client] = str(args.year)
        for client in (getattr(args, "client", None) or []) if argv[0] in ("run", "send") else \
                [getattr(args, "client", None)]:
            if client in years and getattr(args, "month", None):
                assert args.month.startswith(years[client]), (argv, "the export is of", years[client])
    assert years, "the README shows an import of a real export"


def test_every_setting_read_from_the_environment_is_in_the_readme() -> None:
    """A variable the code reads (os.environ.get("KPI_…") or env.get("KPI_…")) is one a user can
    only learn about from the README: KPI_AGENCY_NAME was in none of it, so every client's report
    said "Prepared by your agency"."""
    read = {m for p in (REPO / "kpi_toolkit").rglob("*.py")
            for m in re.findall(r"""(?:environ|env)(?:\.get\(|\[)\s*["'](KPI_[A-Z_]+)["']""", p.read_text(encoding="utf-8"))}
    assert {"KPI_AGENCY_NAME", "KPI_SMTP_HOST", "KPI_PSEUDONYM_SALT"} <= read
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert not sorted(v for v in read if not re.search(rf"`{v}\b", readme)), "not in the README"
