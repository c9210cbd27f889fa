"""The monthly batch: validate, execute notebooks with papermill in a pool, export HTML, write manifests.

Layout of what a run writes::

    outputs/<YYYY-MM>/<client>/<notebook>.ipynb     executed notebook (analysts)
    outputs/<YYYY-MM>/<client>/<notebook>.html      stakeholder report (email-safe)
    outputs/<YYYY-MM>/<client>/<notebook>.failed.ipynb   last failed attempt, failing cell marked
    outputs/<YYYY-MM>/<client>/manifest.json        parameters, input hashes, versions, timings, status
    outputs/<YYYY-MM>/index.html                    every client's reports and failures

Before any kernel starts, :func:`plan` refuses what is wrong with the whole run (a month, notebook,
notebook parameter or client name that does not exist, a missing ``parameters/`` or ``data/``
folder) and sets aside the clients that cannot have a report: invalid parameters, a logo that is not
there, no data in the month. When no report is left to run, nothing is written at all.
Outputs are written to a staging folder and moved into place only when a notebook and its export
both succeed, so a failed rerun never replaces a good report. Each report is one task; tasks run in a
process pool (default one worker per core), or on a Dask cluster (``scheduler=``). One client's
failure never stops another's report. Kernels are forked from a template that has imported the
libraries already (:mod:`kpi_toolkit.kernels`): each report still runs in a process of its own.

Only this module (and :mod:`kpi_toolkit.export`) imports papermill and nbconvert, and only inside the
worker function, so ``import kpi_toolkit`` stays light.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import html
import json
import os
import platform
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .exceptions import KpiToolkitError, NoDataError, ParameterError, UnknownClientError

NOTEBOOKS = ("monthly_report", "trend_detection", "segmentation", "attribution", "competitor_benchmarking")
NOTEBOOK_NEEDS = {"attribution": ("touchpoints", "conversions")}
"""Tables without which a notebook has nothing to show (the monthly report skips such a section with
a sentence; the attribution notebook is that section, whole): a client without them is not run."""
DEFAULT_NOTEBOOKS = ("monthly_report",)
KERNEL_NAME = "python3"
SECRET_ENV = ("KPI_SMTP_PASSWORD", "KPI_SMTP_USER", "SMTP_PASSWORD", "KPI_PSEUDONYM_SALT_FILE")
"""Environment variables removed from the kernels' environment (the salt itself stays: the listening
module needs it to pseudonymise authors inside the kernel)."""
PACKAGES = ("kpi_toolkit", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
            "papermill", "nbconvert", "nbclient", "ipykernel", "pyarrow", "pydantic", "ruptures")


@dataclass
class Task:
    """One report: a notebook for a client-month."""

    client: str
    month: str
    notebook: str
    notebook_path: str
    out_dir: str
    parameters: dict[str, Any]
    parameters_dir: str
    data_dir: str
    period_label: str = ""
    agency: str = "your agency"
    execution_timeout: int = 900
    notes: tuple[str, ...] = ()
    """What the plan saw that the report will lack (no posts in the month), said when the report is made."""


@dataclass
class Result:
    client: str
    month: str
    notebook: str
    status: str  # "ok" | "failed" | "skipped" (no data for the month: nothing was run or written)
    # | "not_applicable" (the notebook needs tables the client does not have: not run, not a failure)
    duration_s: float
    started_at: str
    finished_at: str
    html: str | None = None
    ipynb: str | None = None
    failed_ipynb: str | None = None
    error: str | None = None
    input_error: bool = False
    attempts: int = 1
    """Kernel starts (a start-up race is retried once); 0 for a report :func:`plan` set aside."""
    previous_report_kept: bool = False
    notes: list[str] = field(default_factory=list)
    """The plan's notes on the report (:attr:`Task.notes`): `kpi run` prints them under its line."""


@dataclass
class RunSummary:
    month: str
    results: list[Result] = field(default_factory=list)
    index_html: str | None = None
    duration_s: float = 0.0

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status not in ("ok", "not_applicable")]

    @property
    def exit_code(self) -> int:
        if not self.failed:
            return 0
        return 2 if all(r.input_error for r in self.failed) else 1


# ----------------------------------------------------------------------------------------------
# parameters cell


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """Names and default values of the notebook's cell tagged ``parameters`` (parsed, not executed)."""
    import json as _json

    nb = _json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell.get("source", []))
            out: dict[str, Any] = {}
            for node in ast.parse(src).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        out[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        out[node.targets[0].id] = None
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    out[node.target.id] = ast.literal_eval(node.value) if node.value else None
            return out
    raise ParameterError(f"{path}: no cell tagged 'parameters'")


def check_parameters(notebook_path: str | Path, given: dict[str, Any]) -> dict[str, Any]:
    """Refuse unknown or mistyped parameters before any kernel starts (papermill only warns)."""
    declared = notebook_parameters(notebook_path)
    name = Path(notebook_path).stem
    for key, value in given.items():
        if key not in declared:
            close = difflib.get_close_matches(key, list(declared), n=1)
            hint = f" — did you mean '{close[0]}'?" if close else f" (it takes: {', '.join(declared)})"
            raise ParameterError(f"notebook '{name}' has no parameter '{key}'{hint}")
        default = declared[key]
        if default is not None and value is not None and not _same_kind(default, value):
            raise ParameterError(f"notebook '{name}' parameter '{key}' takes a {type(default).__name__}, "
                                 f"got {type(value).__name__} {value!r}")
    return declared


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float) and isinstance(value, int | float):
        return not (isinstance(default, int) and isinstance(value, float) and not value.is_integer())
    return isinstance(value, type(default))


def parse_param_args(items: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings from the command line; values parsed as YAML scalars."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"--param expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v) if v.strip() else ""
    return out


# ----------------------------------------------------------------------------------------------
# worker


def _kernel_environ(env: dict[str, str]) -> dict[str, str]:
    """``env`` as the kernels get it: no secrets, no debugger file checks, Agg charts, no warnings."""
    out = {k: v for k, v in env.items() if k not in SECRET_ENV}
    out.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    out.setdefault("MPLBACKEND", "Agg")
    out["PYTHONWARNINGS"] = "ignore"
    return out


def _kernel_env() -> None:
    clean = _kernel_environ(dict(os.environ))
    for k in set(os.environ) - set(clean):
        del os.environ[k]
    os.environ.update(clean)


def _is_startup_race(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(s in text for s in ("address already in use", "address in use", "kernel died before replying",
                                   "kernel didn't respond", "timeout waiting for kernel_info", "zmqerror"))


def _error_line(exc: BaseException) -> tuple[str, bool]:
    """One line for the summary, and whether it was the user's input (a KpiToolkitError)."""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    line = evalue[0] if evalue else ename
    input_error = ename in {"DataValidationError", "ParameterError", "UnknownClientError", "NoDataError",
                            "ImportFormatError", "KpiToolkitError"}
    return (line if input_error else f"{ename}: {line}"), input_error


def _remove_abandoned_staging(out_dir: Path, task: Task) -> None:
    """Staging folders of this notebook left by a process that died mid-report (a killed Dask worker):
    removed once older than the longest a report may run, so a report running now is never touched."""
    limit = time.time() - (task.execution_timeout + 300)
    for folder in out_dir.glob(f".staging-{task.notebook}-*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def run_task(task: Task) -> Result:
    """Execute one notebook and export it; never raises (the failure is in the Result)."""
    _kernel_env()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    out_dir = Path(task.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(out_dir, task)
    staging = out_dir / f".staging-{task.notebook}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    final_nb, final_html = out_dir / f"{task.notebook}.ipynb", out_dir / f"{task.notebook}.html"
    res = Result(client=task.client, month=task.month, notebook=task.notebook, status="failed",
                 duration_s=0.0, started_at=started.isoformat(timespec="seconds"), finished_at="",
                 notes=list(task.notes))
    try:
        import papermill as pm

        from .export import export_html, report_resources
        from .kernels import ForkedKernelManager, enabled
        from .params import load_params

        params = load_params(task.client, parameters_dir=task.parameters_dir)
        staged_nb = staging / f"{task.notebook}.ipynb"
        nb = None
        for attempt in (1, 2):
            res.attempts = attempt
            try:
                nb = pm.execute_notebook(
                    task.notebook_path, str(staged_nb), parameters=task.parameters, kernel_name=KERNEL_NAME,
                    cwd=str(Path(task.notebook_path).parent), progress_bar=False, log_output=False,
                    request_save_on_cell_execute=False, start_timeout=120,
                    execution_timeout=task.execution_timeout,
                    **({"kernel_manager_class": ForkedKernelManager} if enabled() else {}),
                    # the kernel's own log (TCP notice, interrupt at shutdown) is noise in a batch
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL",
                                     # no IPython history: a report's cells (its client and paths) are
                                     # not written to ~/.ipython's sqlite file, which kernels running
                                     # side by side would also take turns to lock
                                     "--HistoryManager.enabled=False"])
                break
            except pm.PapermillExecutionError:
                raise
            except Exception as e:  # kernel start-up races (ZMQ address in use) get one retry
                if attempt == 1 and _is_startup_race(e):
                    time.sleep(0.5)
                    continue
                raise
        resources = report_resources(params=params, notebook=task.notebook, period_label=task.period_label,
                                     base_dir=Path(task.parameters_dir).resolve().parent, agency=task.agency)
        body = export_html(nb, resources=resources)
        staged_html = staging / f"{task.notebook}.html"
        staged_html.write_text(body, encoding="utf-8")
        os.replace(staged_nb, final_nb)
        os.replace(staged_html, final_html)
        stale = out_dir / f"{task.notebook}.failed.ipynb"
        if stale.exists():
            stale.unlink()
        res.status, res.ipynb, res.html = "ok", str(final_nb), str(final_html)
    except Exception as e:  # noqa: BLE001 - isolation: any failure is reported, never raised
        res.error, res.input_error = _error_line(e)
        staged_nb = staging / f"{task.notebook}.ipynb"
        if staged_nb.exists():
            failed = out_dir / f"{task.notebook}.failed.ipynb"
            os.replace(staged_nb, failed)
            res.failed_ipynb = str(failed)
        res.previous_report_kept = final_html.exists()
        if res.previous_report_kept:
            res.html, res.ipynb = str(final_html), str(final_nb) if final_nb.exists() else None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        res.duration_s = round(time.perf_counter() - t0, 3)
        res.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    return res


# ----------------------------------------------------------------------------------------------
# batch

BLAS_THREADS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


WORKER_PRELOAD = ["kpi_toolkit.runner", "papermill", "nbclient", "nbconvert", "kpi_toolkit.export",
                  "kpi_toolkit.kernels", "kpi_toolkit.params"]
"""What the pool's fork server imports once for all its workers (1.1 s a worker when each imported it)."""


def _pool_context() -> Any:
    """The local pool's way of starting workers: ``forkserver`` where the platform has it, else ``spawn``.

    The fork server is a fresh process (no threads, no state of this one) that imports
    :data:`WORKER_PRELOAD` once and forks every worker from there, so the workers do not each import
    papermill and nbconvert: on a 2-core machine those imports competed with the kernel template's
    for the first seconds of every run. ``fork`` itself is not used: this process may run threads.
    """
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_PRELOAD)
    return ctx


def _worker_environ(env: dict[str, str]) -> None:
    """A worker's environment is its run's (the fork server keeps the one it started with, which an
    earlier run in the same process may have set differently)."""
    os.environ.clear()
    os.environ.update(env)


def pool_size(workers: int | None, n_tasks: int) -> int:
    """Processes of the local pool: ``workers`` (default one per core), never more than the tasks."""
    return max(1, min(workers or os.cpu_count() or 1, n_tasks))


_KERNELS_HELD = 0
"""How many :func:`local_kernels` contexts are open in this process: only the outermost acts."""


@contextmanager
def local_kernels(workers: int) -> Iterator[None]:
    """The local pool's kernels: one warm template for the whole run, and no more BLAS threads than cores.

    Every worker forks its kernels from one template (:mod:`kpi_toolkit.kernels`), so the libraries
    are imported once per run rather than once per worker. Each kernel gets ``cores // workers``
    BLAS threads (unless set already): two kernels with a thread per core each on a 2-core machine
    made every report ~30 % slower in the pool than alone, their idle threads spinning for cores.

    Re-entrant: only the outermost context acts. ``kpi run`` opens it before its own imports (pandas,
    ~0.35 s), so the template's imports start that much sooner; ``run_reports`` inside it finds the
    template started and leaves it to the outer context to stop.
    """
    global _KERNELS_HELD
    if _KERNELS_HELD:
        yield
        return
    from .kernels import ENV_SOCKET, ForkServer, enabled

    saved = {k: os.environ.get(k) for k in (*BLAS_THREADS_ENV, ENV_SOCKET)}
    if workers > 1:
        per = str(max(1, (os.cpu_count() or 1) // workers))
        for k in BLAS_THREADS_ENV:
            os.environ.setdefault(k, per)
    server = None
    if enabled():
        try:  # the template starts with the environment the kernels get
            server = ForkServer.get(env=_kernel_environ(dict(os.environ)))
            os.environ[ENV_SOCKET] = server.path
        except (OSError, RuntimeError):
            server = None  # kernels start the ordinary way
    _KERNELS_HELD += 1
    try:
        yield
    finally:
        _KERNELS_HELD -= 1
        if server is not None and server.pid is not None:
            ForkServer.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _abs(path: str | Path) -> str:
    from .data import is_url

    return str(path) if is_url(path) else str(Path(path).resolve())


def input_hashes(client: str, *, data_dir: Path | str, parameters_dir: Path,
                 notebooks: Sequence[Path]) -> dict[str, str]:
    from .data import _fs, is_url

    files = [parameters_dir / f"{client}.yaml", *notebooks]
    out = {str(p): sha256_file(p) for p in files if p.is_file()}
    if is_url(data_dir):
        # read in chunks (a 10 M-mention Parquet file is not held whole to hash it); an object store
        # that stops answering (credentials expired mid-run) is recorded, not a traceback after the
        # reports were made, which had left the month without its manifests and index
        base = str(data_dir).rstrip("/")
        try:
            fs, root = _fs(data_dir)
            found = sorted(fs.find(f"{root}/{client}"))
        except Exception as e:  # noqa: BLE001 - botocore, aiohttp, OSError: all "cannot read"
            out[f"{base}/{client}"] = f"unreadable: {type(e).__name__}"
            return out
        for f in found:
            rel = f[len(root) + 1:]
            if "/imports/" in f"/{rel}":
                continue
            try:
                digest = hashlib.sha256()
                with fs.open(f, "rb") as fh:
                    for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        digest.update(chunk)
                out[f"{base}/{rel}"] = digest.hexdigest()
            except Exception as e:  # noqa: BLE001
                out[f"{base}/{rel}"] = f"unreadable: {type(e).__name__}"
        return out
    data_dir = Path(data_dir)
    files = []
    cdir = data_dir / client
    if cdir.is_dir():
        files += sorted(p for p in cdir.rglob("*") if p.is_file() and "imports" not in p.relative_to(cdir).parts)
    out.update({str(p): sha256_file(p) for p in files if p.is_file()})
    return out


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def check_month_has_data_cheaply(client: str, month: str, *, params: Any, data_dir: Path | str) -> list[str]:
    """Raise :class:`NoDataError` when ``client`` has no data in ``month``, before any kernel starts.

    The report's own test and message (:func:`kpi_toolkit.context.check_month_has_data`: some table
    has a row in the month, in the client's time zone; "no data for client 'c' in 2030-01 (its data
    covers ...)", as ``kpi kpis`` says it), made cheaply: one table at a time, each read only for the
    month and a day either side (Parquet partitions of other months are never opened), stopping at
    the first table with a row in the month. A table's time columns are read first
    (:func:`kpi_toolkit.data.read_times`, a fifth of reading it whole): a table with rows in the month
    is read no further. Only a client without data reads every table whole.

    Returns the notes a run prints for the report: a posts table that is there but has no row in the
    month (a header-only export had replaced a good report with one of n/a's, and `kpi run` said "ok").

    Raises
    ------
    NoDataError
        No table has a row in ``month``.
    UnknownClientError
        ``data_dir`` has no folder for ``client``.
    DataValidationError
        A table read on the way breaks a rule (the report would fail on it too).
    """
    import pandas as pd

    from .context import check_month_has_data, month_has_data
    from .data import ClientData, load_client, read_times, table_path
    from .periods import month_period, month_words
    from .schema import TABLES

    period = month_period(month, params.timezone)
    margin = pd.Timedelta(days=1)
    seen = load_client(client, data_dir=data_dir, tables=[])  # only checks that data/<client>/ exists
    cdir = _client_dir(data_dir, client)
    notes: list[str] = []
    for name in TABLES:
        if table_path(cdir, name) is None:
            continue
        try:  # the rows' times alone first: a month with rows needs nothing more
            times = read_times(cdir, name, start=period.start - margin, end=period.end + margin)
        except Exception:  # noqa: BLE001 - the whole table is read below, which names what is wrong
            times = None
        if times is not None and month_has_data(ClientData(client=client, data_dir=seen.data_dir,
                                                           tables={name: times}), period, month):
            return notes
        one = load_client(client, data_dir=data_dir, tables=[name], start=period.start - margin,
                          end=period.end + margin)
        if month_has_data(one, period, month):
            return notes
        if name == "posts" and name in one.sources:
            where = Path(str(one.sources[name])).name
            notes.append(f"{where} has no post in {month_words(month)}: the report shows its reach and "
                         "engagement as n/a (check the export if the client posted)")
        seen.tables.update(one.tables)
        seen.sources.update(one.sources)
    check_month_has_data(seen, period, month)  # raises, with the span of every table read
    return notes


def plan(*, clients: Sequence[str], month: str, notebooks: Sequence[str], notebooks_dir: Path,
         outputs_dir: Path, data_dir: Path | str, parameters_dir: Path, extra: dict[str, Any] | None = None,
         agency: str = "your agency") -> tuple[list[Task], list[Result]]:
    """Validate everything that can be checked without a kernel, then list the tasks.

    Problems with the whole run raise: a bad month, an unknown notebook or notebook parameter, a
    client named that has no parameter file (a typo in the request, with a "did you mean"), a
    missing ``parameters/`` or ``data/`` folder. A problem with one client becomes a
    :class:`Result` per notebook so the other clients still run: ``failed`` for invalid parameters
    or a logo that is not there (:func:`kpi_toolkit.params.check_files`), ``skipped`` for no data
    in the month (:func:`check_month_has_data_cheaply`). Nothing is written here.
    """
    from .params import check_files, load_params, missing_folder
    from .periods import month_words, parse_month

    month = parse_month(month)
    from .data import data_location, is_url

    if is_url(data_dir):  # a scheme this machine cannot read, or memory:// that kernels cannot see
        data_dir = data_location(data_dir, kernels=True)
    unknown = [n for n in notebooks if not (notebooks_dir / f"{n}.ipynb").is_file()]
    if unknown:
        avail = sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))
        close = difflib.get_close_matches(unknown[0], avail, n=1)
        hint = f" — did you mean '{close[0]}'?" if close else f" (available: {', '.join(avail)})"
        raise ParameterError(f"unknown notebook '{unknown[0]}'{hint}")
    owned = {"client": "--client/--all", "month": "--month", "data_dir": "--data-dir",
             "parameters_dir": "--parameters-dir"}
    for key in extra or {}:
        if key in owned:
            # the run names the report's folder by its client and month: a --param changing them wrote
            # one client's numbers (or another month's) into another's report, which send then mailed
            raise ParameterError(f"--param {key}=… is not allowed: the run sets '{key}' itself "
                                 f"(use {owned[key]})")
    given = {"month": month, "data_dir": _abs(data_dir),
             "parameters_dir": str(parameters_dir.resolve()), **(extra or {})}
    paths = {nb: notebooks_dir / f"{nb}.ipynb" for nb in notebooks}
    for path in paths.values():
        check_parameters(path, {**given, "client": "x"})
    clients = list(dict.fromkeys(clients))  # a client named twice is run once
    for client in clients:
        if not (parameters_dir / f"{client}.yaml").is_file():
            load_params(client, parameters_dir=parameters_dir)  # raises: no such folder, or "did you mean"
    folder = missing_folder(data_dir, option="--data-dir")
    if folder:
        raise KpiToolkitError(folder)
    refused: dict[str, tuple[str, str]] = {}  # client -> (status, one line)
    notes: dict[str, tuple[str, ...]] = {}
    for client in clients:
        try:
            params = load_params(client, parameters_dir=parameters_dir)
            check_files(params, parameters_dir=parameters_dir)
        except KpiToolkitError as e:
            refused[client] = ("failed", str(e))
            continue
        try:
            notes[client] = tuple(check_month_has_data_cheaply(client, month, params=params, data_dir=data_dir))
        except (NoDataError, UnknownClientError) as e:  # nothing in the month, or no data/<client>/
            refused[client] = ("skipped", str(e))
        except Exception:  # noqa: BLE001 - a broken data file: the report shows it, failing cell marked
            pass
    now = datetime.now(UTC).isoformat(timespec="seconds")
    tasks: list[Task] = []
    failed: list[Result] = []
    for nb, path in paths.items():
        for client in clients:
            if client in refused:
                status, error = refused[client]
                failed.append(Result(client=client, month=month, notebook=nb, status=status, duration_s=0.0,
                                     started_at=now, finished_at=now, error=error, input_error=True,
                                     attempts=0))
                continue
            lacking = _lacking_tables(data_dir, client, NOTEBOOK_NEEDS.get(nb, ()))
            if lacking:
                needs = " and ".join(NOTEBOOK_NEEDS[nb])
                failed.append(Result(client=client, month=month, notebook=nb, status="not_applicable",
                                     duration_s=0.0, started_at=now, finished_at=now, attempts=0,
                                     error=f"no {lacking[0]} data: the {nb.replace('_', ' ')} notebook needs "
                                           f"the {needs} tables"))
                continue
            tasks.append(Task(client=client, month=month, notebook=nb, notebook_path=str(path.resolve()),
                              out_dir=str((outputs_dir / month / client).resolve()),
                              parameters={"client": client, **given}, parameters_dir=str(parameters_dir.resolve()),
                              data_dir=_abs(data_dir), period_label=month_words(month), agency=agency,
                              notes=notes.get(client, ())))
    return tasks, failed


def _client_dir(data_dir: Path | str, client: str) -> Any:
    """``data/<client>``: a path, or a URL string for an fsspec ``data_dir``."""
    from .data import is_url

    return f"{str(data_dir).rstrip('/')}/{client}" if is_url(data_dir) else Path(data_dir) / client


def _lacking_tables(data_dir: Path | str, client: str, tables: Sequence[str]) -> list[str]:
    """The ``tables`` that ``data/<client>/`` has no file for (a broken file counts as there)."""
    from .data import table_path

    cdir = _client_dir(data_dir, client)
    out = []
    for name in tables:
        try:
            if table_path(cdir, name) is None:
                out.append(name)
        except KpiToolkitError:
            continue  # the notebook will say what is wrong with it
    return out


def nothing_to_run(refused: Sequence[Result]) -> KpiToolkitError:
    """The one-line error when every client was set aside by :func:`plan`: the client's own line, or
    every client's joined (``NoDataError`` when it is only a lack of data)."""
    lines = {r.client: r.error or "" for r in refused}
    month = refused[0].month
    msg = next(iter(lines.values())) if len(lines) == 1 else \
        f"no report can run for {month}: " + "; ".join(lines.values())
    return NoDataError(msg) if all(r.status == "skipped" for r in refused) else KpiToolkitError(msg)


def execute(tasks: Sequence[Task], *, workers: int | None = None, scheduler: str | None = None,
            progress: bool | None = None, on_result: Callable[[Result], None] | None = None,
            kernels_started: bool = False) -> list[Result]:
    """Run tasks in a local process pool (or on a Dask cluster) with a progress bar.

    ``kernels_started``: the caller holds :func:`local_kernels` open already (:func:`run_reports`
    starts the kernel template before planning), so this does not start another.
    """
    from tqdm.auto import tqdm

    results: list[Result] = []
    bar = tqdm(total=len(tasks), desc="reports", unit="report", disable=(not progress) if progress is not None else None,
               file=sys.stderr)

    def _done(r: Result) -> None:
        results.append(r)
        bar.set_postfix_str(f"{r.client}/{r.notebook}: {r.status}")
        bar.update(1)
        if on_result:
            on_result(r)

    if scheduler:
        from .distributed import run_on_dask

        run_on_dask(tasks, scheduler=scheduler, on_result=_done)
    else:
        workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
        with nullcontext() if kernels_started else local_kernels(workers):
            if workers == 1:
                for t in tasks:
                    _done(run_task(t))
            else:
                from concurrent.futures import ProcessPoolExecutor, as_completed

                with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(),
                                         initializer=_worker_environ, initargs=(dict(os.environ),)) as pool:
                    futures = [pool.submit(run_task, t) for t in tasks]
                    for f in as_completed(futures):
                        _done(f.result())
    bar.close()
    order = {(t.client, t.notebook): i for i, t in enumerate(tasks)}
    return sorted(results, key=lambda r: order[(r.client, r.notebook)])


@contextmanager
def month_lock(month_dir: Path) -> Iterator[None]:
    """Hold ``outputs/<month>/.lock`` while a run reads and rewrites the month's manifests and index.

    Two runs of one month at once (two analysts, or a scheduled run and a rerun) each read a client's
    manifest, added their reports and wrote it back: the one that wrote last dropped the other's
    reports from ``manifest.json`` and ``index.html``. An advisory ``flock`` on a file of the month
    (a shared file system that supports it serialises hosts too; without ``fcntl`` nothing is held).
    """
    month_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    with (month_dir / ".lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    """``path`` replaced whole by ``text``, through a temporary file of this writer's own (a fixed
    ``.name.tmp`` was shared by concurrent runs: one replaced it away under the other)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_manifests(tasks: Sequence[Task], results: Sequence[Result], *, data_dir: Path,
                    parameters_dir: Path, run_started: datetime) -> None:
    """One manifest.json per client of the run (parameters, input hashes, versions, timings, status).

    A run of some of a client's notebooks keeps the entries of its other reports of the month from
    the manifest before (:func:`_earlier_reports`), so the manifest and the month's index still list
    a monthly report after the attribution notebook alone was rerun. Every report entry carries the
    ``run_id`` of the run that made it; the manifest's own times, inputs and versions are the newest
    run's.
    """
    versions = package_versions()
    by_client: dict[str, list[Result]] = {}
    for r in results:
        by_client.setdefault(r.client, []).append(r)
    months = sorted({Path(t.out_dir).parent for t in tasks if t.client in by_client})
    with ExitStack() as held:
        for month_dir in months:
            held.enter_context(month_lock(month_dir))
        for client, rs in by_client.items():
            _write_manifest(client, rs, [t for t in tasks if t.client == client], versions=versions,
                            data_dir=data_dir, parameters_dir=parameters_dir, run_started=run_started)


def _write_manifest(client: str, rs: Sequence[Result], ts: Sequence[Task], *, versions: dict[str, str],
                    data_dir: Path, parameters_dir: Path, run_started: datetime) -> None:
    """One client's manifest.json (see :func:`write_manifests`; the month's lock is held)."""
    from .params import load_params

    out_dir = Path(ts[0].out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        display_name = load_params(client, parameters_dir=parameters_dir).display_name
    except KpiToolkitError:
        display_name = client
    run_id = run_started.strftime("%Y%m%dT%H%M%SZ")
    before = _manifest_before(out_dir, month=ts[0].month)
    reports = [{**_rel(asdict(r), out_dir), "run_id": run_id} for r in rs]
    for entry in reports:
        if entry["status"] != "ok" and entry.get("previous_report_kept"):
            kept = _kept_report(before, entry["notebook"])
            if kept:
                entry["kept_report"] = kept
    earlier, earlier_params = _earlier_reports(before, out_dir, rerun={r.notebook for r in rs})
    reports = _in_notebook_order(earlier + reports)
    manifest = {
        "client": client,
        "display_name": display_name,
        "month": ts[0].month,
        "run_id": run_id,
        "started_at": min(r.started_at for r in rs),
        "finished_at": max(r.finished_at for r in rs),
        "duration_s": round(sum(r.duration_s for r in rs), 3),
        "status": "ok" if all(r["status"] == "ok" for r in reports) else "failed",
        "parameters": {**earlier_params, **{t.notebook: t.parameters for t in ts}},
        "inputs_sha256": input_hashes(client, data_dir=data_dir, parameters_dir=parameters_dir,
                                      notebooks=[Path(t.notebook_path) for t in ts]),
        "versions": versions,
        "reports": reports,
    }
    _write_atomically(out_dir / "manifest.json", json.dumps(manifest, indent=2, sort_keys=False))


def _in_notebook_order(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A manifest's report entries in the order of :data:`NOTEBOOKS` (others last)."""
    rank = {nb: i for i, nb in enumerate(NOTEBOOKS)}
    return sorted(reports, key=lambda r: rank.get(r.get("notebook"), len(rank)))


def record_refusals(refused: Sequence[Result], outputs_dir: Path, *, run_started: datetime) -> list[Result]:
    """Write into a client's manifest of the month that this run refused its report, when an earlier
    run's report of that notebook is still in place; returns the refusals recorded.

    A run that :func:`plan` refuses (parameters that no longer validate, a logo gone) never reaches
    :func:`write_manifests`, so the manifest went on saying the earlier report was the newest and ok:
    ``kpi send`` then mailed it without its stale-report note, and the index listed it as ok. The entry
    now reads as a failed run's does: ``status`` failed, the reason, ``previous_report_kept`` and, under
    ``kept_report``, which run made the report still in place.
    """
    recorded: list[Result] = []
    run_id = run_started.strftime("%Y%m%dT%H%M%SZ")
    for r in refused:
        if r.status != "failed":
            continue
        month_dir = Path(outputs_dir) / r.month
        out_dir = month_dir / r.client
        if not (out_dir / "manifest.json").is_file():
            continue
        with month_lock(month_dir):
            before = _manifest_before(out_dir, month=r.month)
            kept = _kept_report(before, r.notebook) if before else None
            if kept is None:
                continue
            entry = {**asdict(r), "previous_report_kept": True, "run_id": run_id, "kept_report": kept}
            reports = [e for e in before.get("reports") or [] if not (isinstance(e, dict) and e.get("notebook") == r.notebook)]
            before["reports"] = _in_notebook_order([*reports, entry])
            before["status"] = "failed"
            _write_atomically(out_dir / "manifest.json", json.dumps(before, indent=2, sort_keys=False))
        recorded.append(r)
    return recorded


def _manifest_before(out_dir: Path, *, month: str) -> dict[str, Any]:
    """The client's manifest of ``month`` before this run ({} when there is none or it is unreadable)."""
    try:
        before = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return before if isinstance(before, dict) and before.get("month") == month else {}


def _kept_report(before: dict[str, Any], notebook: str) -> dict[str, Any] | None:
    """Where the report kept after a failed run came from: the run that made it and its inputs, from
    the manifest before (a failed run had overwritten that record with its own)."""
    for r in before.get("reports") or []:
        if not isinstance(r, dict) or r.get("notebook") != notebook:
            continue
        if r.get("status") == "ok":
            return {"run_id": r.get("run_id") or before.get("run_id"), "started_at": r.get("started_at"),
                    "finished_at": r.get("finished_at"), "html": r.get("html"),
                    "inputs_sha256": before.get("inputs_sha256", {})}
        return r.get("kept_report")  # it failed before too: the record of the report still kept
    return None


def _earlier_reports(before: dict[str, Any], out_dir: Path, *, rerun: set[str]
                     ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The report entries (and their parameters) of the manifest ``before`` this run, for the notebooks
    this run did not run whose files are still in ``out_dir``."""
    kept: list[dict[str, Any]] = []
    for r in before.get("reports") or []:
        if not isinstance(r, dict) or r.get("notebook") in rerun:
            continue
        files = [r.get(k) for k in ("html", "ipynb", "failed_ipynb") if r.get(k)]
        if not files or not all((out_dir / f).is_file() for f in files):
            continue  # its files were removed since: nothing to list
        kept.append({**r, "run_id": r.get("run_id") or before.get("run_id")})
    params = before.get("parameters") if isinstance(before.get("parameters"), dict) else {}
    return kept, {r["notebook"]: params[r["notebook"]] for r in kept if r["notebook"] in params}


def _rel(d: dict[str, Any], base: Path) -> dict[str, Any]:
    for k in ("html", "ipynb", "failed_ipynb"):
        if d.get(k):
            d[k] = os.path.relpath(d[k], base)
    return d


def _report_words(notebook: str) -> str:
    """``monthly_report`` -> ``Monthly report``: the index names reports, not notebook files."""
    return notebook.replace("_", " ").capitalize()


def _client_cell(client: str, display_name: str | None) -> str:
    """The client's name as its parameters give it, with its folder name under it when they differ."""
    if not display_name or display_name == client:
        return html.escape(client)
    return f"{html.escape(display_name)}<br><small>{html.escape(client)}</small>"


def _month_title(label: str) -> str:
    try:
        from .periods import month_words

        return month_words(label)
    except KpiToolkitError:
        return label


def write_index(month_dir: Path, *, set_aside: Sequence[Result] = ()) -> Path:
    """``outputs/<month>/index.html``: every client's reports and failures, from their manifests,
    then the reports this run set aside before starting them (``set_aside``, from :func:`plan`: no
    data in the month, invalid parameters), which have no folder or manifest of their own. Read and
    written under the month's lock (:func:`month_lock`), so it lists what every run before it wrote."""
    path = month_dir / "index.html"
    with month_lock(month_dir):
        _write_atomically(path, _index_html(month_dir, set_aside=set_aside))
    return path


def _index_html(month_dir: Path, *, set_aside: Sequence[Result]) -> str:
    from .export import TEMPLATES

    rows = []
    for mf in sorted(month_dir.glob("*/manifest.json")):
        client = mf.parent.name
        try:  # another client's manifest, cut short or edited by hand, must not stop this run's index
            m = json.loads(mf.read_text(encoding="utf-8"))
            reports = [r for r in m.get("reports", []) if isinstance(r, dict) and r.get("notebook") and r.get("status")]
        except (OSError, ValueError, AttributeError, TypeError) as e:
            why = f"{type(e).__name__}: {' '.join(str(e).split())}"
            rows.append(f"<tr><td>{html.escape(client)}</td><td>all reports</td><td>"
                        f'<span class="status-off-track">unknown</span></td><td>{html.escape(client)}/manifest.json '
                        f"cannot be read ({html.escape(why)}): run this client again to list its reports</td></tr>")
            continue
        who = _client_cell(client, m.get("display_name"))
        for r in reports:
            link = (f'<a href="{html.escape(client)}/{html.escape(r["html"])}">{html.escape(_report_words(r["notebook"]))}</a>'
                    if r.get("html") else html.escape(_report_words(r["notebook"])))
            if r["status"] == "ok":
                status = '<span class="status-on-track">ok</span>'
                note = f'{float(r.get("duration_s") or 0):.1f} s'
            else:
                status = '<span class="status-off-track">failed</span>'
                note = html.escape(r.get("error") or "")
                if r.get("failed_ipynb"):
                    note += f' — failing cell marked in <code>{html.escape(client)}/{html.escape(r["failed_ipynb"])}</code>'
                if r.get("previous_report_kept"):
                    note += " — the previous good report is kept"
            rows.append(f"<tr><td>{who}</td><td>{link}</td><td>{status}</td><td>{note}</td></tr>")
    for r in set_aside:
        word = "not run" if r.status in ("skipped", "not_applicable") else "failed"
        rows.append(f"<tr><td>{_client_cell(r.client, None)}</td><td>{html.escape(_report_words(r.notebook))}</td><td>"
                    f'<span class="status-off-track">{word}</span></td><td>{html.escape(r.error or "")}</td></tr>')
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    body = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>Reports {html.escape(month_dir.name)}</title>'
            f"<style>{css}</style></head><body><div class=\"kpi-page\"><header class=\"kpi-header\">"
            f"<h1 class=\"kpi-title\">Client reports for {html.escape(_month_title(month_dir.name))}</h1>"
            f"<p class=\"kpi-meta\">Generated {datetime.now(UTC):%d %B %Y %H:%M} UTC</p></header>"
            "<table><thead><tr><th>Client</th><th>Report</th><th>Status</th><th>Notes</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div></body></html>")
    return body


def run_reports(*, clients: Sequence[str], month: str, notebooks: Sequence[str] = DEFAULT_NOTEBOOKS,
                notebooks_dir: Path = Path("notebooks"), outputs_dir: Path = Path("outputs"),
                data_dir: Path = Path("data"), parameters_dir: Path = Path("parameters"),
                workers: int | None = None, scheduler: str | None = None, extra: dict[str, Any] | None = None,
                progress: bool | None = None, agency: str | None = None) -> RunSummary:
    """Plan, execute and record a batch of reports.

    Raises when no report can run (see :func:`plan` and :func:`nothing_to_run`), having written
    nothing but what :func:`record_refusals` records.
    """
    t0 = time.perf_counter()
    started = datetime.now(UTC)
    agency = agency or os.environ.get("KPI_AGENCY_NAME", "your agency")
    if not clients:
        raise KpiToolkitError(f"nothing to run: no parameter files in {parameters_dir}/ (run `kpi demo`)")
    # The kernel template imports its libraries (~2 s) while the run is planned: planning reads every
    # client's parameters and checks its data for the month, which used to come first. A run that
    # turns out to have nothing to do stops the template unused.
    local = not scheduler
    pool = pool_size(workers, len(clients) * max(1, len(notebooks)))
    with local_kernels(pool) if local else nullcontext():
        tasks, prefailed = plan(clients=clients, month=month, notebooks=notebooks, notebooks_dir=notebooks_dir,
                                outputs_dir=outputs_dir, data_dir=data_dir, parameters_dir=parameters_dir,
                                extra=extra, agency=agency)
        recorded = record_refusals(prefailed, outputs_dir, run_started=started)
        if not tasks:
            if recorded:
                write_index(outputs_dir / month, set_aside=[r for r in prefailed if r not in recorded])
            raise nothing_to_run(prefailed)
        results = execute(tasks, workers=workers, scheduler=scheduler, progress=progress, kernels_started=local)
    write_manifests(tasks, results, data_dir=data_dir, parameters_dir=parameters_dir, run_started=started)
    month_dir = outputs_dir / tasks[0].month
    month_dir.mkdir(parents=True, exist_ok=True)
    index = write_index(month_dir, set_aside=[r for r in prefailed if r not in recorded])
    return RunSummary(month=month_dir.name, results=[*prefailed, *results], index_html=str(index),
                      duration_s=round(time.perf_counter() - t0, 2))
