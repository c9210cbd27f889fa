"""Kernels forked from the warm template (kpi_toolkit.kernels): same results, isolation, failure handling."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
import pytest

from kpi_toolkit import kernels
from kpi_toolkit.kernels import ForkedKernelManager, ForkServer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked kernels are on by default on Linux only")

PROBE = """
import json, os, sys
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
                  "mark": os.environ.get("KPI_TEST_MARK"), "secret": os.environ.get("KPI_SMTP_PASSWORD"),
                  "preloaded": "pandas" in sys.modules and "kpi_toolkit.report" in sys.modules,
                  "leftover": "LEFTOVER" in globals(), "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
                  "template": os.environ.get("KPI_KERNEL_TEMPLATE"),
                  "history": get_ipython().history_manager.enabled}))
LEFTOVER = client
"""


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('client = "x"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _run(nb: Path, out: Path, *, fork: bool = True, timeout: int = 120, **params: str) -> dict:
    kw = {"kernel_manager_class": ForkedKernelManager} if fork else {}
    done = pm.execute_notebook(str(nb), str(out), parameters=params, kernel_name="python3", cwd=str(nb.parent),
                               progress_bar=False, start_timeout=120, execution_timeout=timeout, **kw)
    text = "".join(o.get("text", "") for o in done.cells[-1].outputs if o.get("name") == "stdout")
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KPI_TEST_MARK", "from-the-worker")
    (tmp_path / "nbdir").mkdir()
    return _notebook(tmp_path / "nbdir" / "probe.ipynb", PROBE)


def test_forked_kernel_runs_the_notebook_like_a_started_one(probe: Path, tmp_path: Path) -> None:
    forked = _run(probe, tmp_path / "a.ipynb", client="one")
    server = ForkServer.get()
    assert forked["ppid"] == server.pid  # forked by the template, not started by the worker
    assert forked["preloaded"]  # the libraries were already imported when the first cell ran
    started = _run(probe, tmp_path / "b.ipynb", fork=False, client="one")
    assert started["ppid"] == os.getpid() and not started["preloaded"]
    for k in ("cwd", "mark", "secret", "leftover"):  # same working directory and environment
        assert forked[k] == started[k], k
    assert forked["cwd"] == str(probe.parent) and forked["mark"] == "from-the-worker"


def test_every_report_gets_a_fresh_process(probe: Path, tmp_path: Path) -> None:
    first = _run(probe, tmp_path / "a.ipynb", client="one")
    second = _run(probe, tmp_path / "b.ipynb", client="two")
    assert first["pid"] != second["pid"]
    assert not second["leftover"]  # nothing the first client's notebook defined reaches the second
    for pid in (first["pid"], second["pid"]):  # both kernels ended with their notebooks
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_the_environment_of_the_launch_reaches_the_kernel(probe: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ForkServer.get()  # the template exists before the variable changes
    monkeypatch.setenv("KPI_TEST_MARK", "changed-after-the-template-started")
    assert _run(probe, tmp_path / "a.ipynb")["mark"] == "changed-after-the-template-started"


def test_a_dying_kernel_fails_that_notebook_only(tmp_path: Path, probe: Path) -> None:
    dying = _notebook(tmp_path / "dying.ipynb", "import os\nos._exit(3)")
    t0 = time.monotonic()
    with pytest.raises(Exception, match="(?i)dead|died"):
        _run(dying, tmp_path / "d.ipynb")
    assert time.monotonic() - t0 < 60
    assert _run(probe, tmp_path / "a.ipynb")["preloaded"]  # the next report still gets a warm kernel


def test_a_cell_over_the_time_limit_is_interrupted(tmp_path: Path) -> None:
    slow = _notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(120)")
    t0 = time.monotonic()
    with pytest.raises(Exception, match="(?i)timed out|timeout"):
        _run(slow, tmp_path / "s.ipynb", timeout=3)
    assert time.monotonic() - t0 < 60


def test_kernel_start_falls_back_when_forking_is_off_or_not_applicable(probe: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KPI_FORK_KERNELS", raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not kernels.enabled()  # opt-in on macOS
    monkeypatch.setenv("KPI_FORK_KERNELS", "1")
    assert kernels.enabled()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("KPI_FORK_KERNELS", "0")
    assert not kernels.enabled()
    assert _run(probe, tmp_path / "a.ipynb")["ppid"] == os.getpid()
    args = ["-f", "conn.json"]
    assert kernels._ipykernel_args([sys.executable, "-m", "ipykernel_launcher", *args]) == args
    assert kernels._ipykernel_args([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
                                    *args]) == args
    assert kernels._ipykernel_args(["/usr/bin/other-python", "-m", "ipykernel_launcher", *args]) is None
    assert kernels._ipykernel_args([sys.executable, "-m", "other_kernel", *args]) is None
    assert kernels._ipykernel_args(["R", "--slave"]) is None


def test_the_template_ends_with_its_worker() -> None:
    server = ForkServer()
    assert server.proc.poll() is None
    server.close()  # what the worker's exit does: its end of the pipe closes
    assert server.proc.poll() is not None


def test_a_template_whose_owner_died_removes_its_socket_folder() -> None:
    """An owner killed without closing the template (its pipe simply ends): the template exits and
    takes its socket folder with it, rather than leaving /tmp/kpi-kernels-* behind."""
    server = ForkServer()
    folder = os.path.dirname(server.path)
    assert os.path.exists(server.path)
    server.proc.stdin.close()  # no close(): the owner is gone
    server.proc.wait(timeout=60)
    assert not os.path.exists(folder)


def test_the_runner_uses_forked_kernels(demo_root: Path, tmp_path: Path, probe: Path) -> None:
    from kpi_toolkit.runner import Task, run_task

    task = Task(client="demo-lumiere", month="2026-10", notebook="probe", notebook_path=str(probe),
                out_dir=str(tmp_path / "out"), parameters={"client": "demo-lumiere"},
                parameters_dir=str(demo_root / "parameters"), data_dir=str(demo_root / "data"))
    res = run_task(task)
    assert res.status == "ok", res.error
    nb = nbformat.read(res.ipynb, as_version=4)
    seen = json.loads(nb.cells[-1].outputs[0]["text"].strip().splitlines()[-1])
    assert seen["ppid"] == ForkServer.get().pid and seen["preloaded"]
    assert seen["history"] is False  # a report's cells are not written to ~/.ipython's history database


def test_a_pool_forks_every_kernel_from_one_template(demo_root: Path, tmp_path: Path, probe: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers, one template (started by the run, ended with it); a BLAS thread budget per kernel."""
    from kpi_toolkit.kernels import ENV_SOCKET
    from kpi_toolkit.runner import Task, execute

    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", ENV_SOCKET):
        monkeypatch.delenv(k, raising=False)
    ForkServer.stop()
    tasks = [Task(client=c, month="2026-10", notebook="probe", notebook_path=str(probe),
                  out_dir=str(tmp_path / c), parameters={"client": c}, parameters_dir=str(demo_root / "parameters"),
                  data_dir=str(demo_root / "data")) for c in ("demo-lumiere", "demo-ledgerly")]
    results = execute(tasks, workers=2, progress=False)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    seen = [json.loads(nbformat.read(r.ipynb, as_version=4).cells[-1].outputs[0]["text"].strip().splitlines()[-1])
            for r in results]
    assert seen[0]["ppid"] == seen[1]["ppid"] != os.getpid()  # one template for both workers
    assert all(s["preloaded"] and s["template"] is None for s in seen)  # the socket is not the kernel's
    assert all(s["blas"] == str(max(1, (os.cpu_count() or 1) // 2)) for s in seen)
    assert not _alive(seen[0]["ppid"])  # the run's template ended with the run
    assert ENV_SOCKET not in os.environ and "OPENBLAS_NUM_THREADS" not in os.environ  # the caller's env restored


@contextlib.asynccontextmanager
async def _ready_kernel() -> AsyncIterator[tuple[ForkedKernelManager, Any]]:
    """A forked kernel and its client, ready; shut down on the way out."""
    km = ForkedKernelManager(kernel_name="python3")
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


def test_an_interrupt_stops_the_running_cell() -> None:
    """jupyter_client interrupts a kernel with SIGINT; a forked kernel turns it into KeyboardInterrupt."""
    import asyncio

    async def scenario() -> tuple[str, str, float]:
        async with _ready_kernel() as (km, kc):
            assert isinstance(km.provisioner.process, kernels.ForkedKernel)
            msg_id = kc.execute("import time\ntime.sleep(60)")
            await asyncio.sleep(1.0)
            t0 = time.monotonic()
            await km.interrupt_kernel()
            while True:
                reply = await kc.get_shell_msg(timeout=30)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            return reply["content"]["status"], reply["content"].get("ename", ""), time.monotonic() - t0

    status, ename, took = asyncio.run(scenario())
    assert (status, ename) == ("error", "KeyboardInterrupt") and took < 20


def test_the_template_says_nothing_on_stderr(probe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The template preloads ipykernel's debugger (debugpy, 0.15 s of every kernel's start): debugpy warns
    about frozen modules at import unless told not to, and a template started without the runner's
    kernel environment (a Dask worker, a notebook) must not print that into a run's output."""
    import subprocess
    import tempfile

    assert "ipykernel.debugger" in kernels.PRELOAD
    env = {k: v for k, v in os.environ.items() if k != "PYDEVD_DISABLE_FILE_VALIDATION"}
    sock = os.path.join(tempfile.mkdtemp(prefix="kpi-test-"), "t.sock")
    proc = subprocess.Popen([sys.executable, "-m", "kpi_toolkit.kernels", sock], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().startswith(b'{"listening"')
        monkeypatch.setenv(kernels.ENV_SOCKET, sock)
        monkeypatch.setattr(ForkServer, "_instance", None)
        out = _run(probe, tmp_path / "q.ipynb", client="q")
        assert out["ppid"] == proc.pid and out["preloaded"]  # forked from this template, after its imports
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        ForkServer._instance = None
    err = proc.stderr.read().decode()
    assert "Debugger warning" not in err and "frozen modules" not in err, err


def test_pool_workers_come_warm_from_a_fork_server_with_their_runs_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The local pool's workers are forked from a server that imported papermill and nbconvert once,
    and each pool's workers see the environment of their own run, not the one the server started
    with (a second run in the same process may set a different template socket or secret)."""
    from concurrent.futures import ProcessPoolExecutor

    from kpi_toolkit.runner import WORKER_PRELOAD, _pool_context, _worker_environ

    ctx = _pool_context()
    assert ctx.get_start_method() == ("forkserver" if sys.platform != "win32" else "spawn")
    for value in ("first run", "second run"):
        monkeypatch.setenv("KPI_TEST_RUN", value)
        monkeypatch.delenv("KPI_TEST_GONE" if value == "second run" else "KPI_TEST_NEVER", raising=False)
        if value == "first run":
            monkeypatch.setenv("KPI_TEST_GONE", "set in the first run only")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_worker_environ,
                                 initargs=(dict(os.environ),)) as pool:
            assert pool.submit(os.getenv, "KPI_TEST_RUN").result() == value
            gone = pool.submit(os.getenv, "KPI_TEST_GONE").result()
            assert gone == ("set in the first run only" if value == "first run" else None)
            loaded = pool.submit(eval, f"[m for m in {WORKER_PRELOAD!r} if m not in __import__('sys').modules]")
            assert loaded.result() == []  # already imported when the worker began


def test_the_ready_client_returns_at_the_kernel_info_idle_and_loses_no_output() -> None:
    """ReadyKernelClient stops draining IOPub at kernel_info's own idle status (not after 0.2 s of
    quiet); the first request after it still gets all of its output, in order."""
    import asyncio

    async def scenario() -> tuple[type, list[str]]:
        async with _ready_kernel() as (_, kc):
            msg_id = kc.execute("print('first'); print('second')")
            texts: list[str] = []
            while True:
                msg = await kc.get_iopub_msg(timeout=30)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    texts.append(msg["content"]["text"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            return type(kc), texts

    cls, texts = asyncio.run(scenario())
    assert cls is kernels.ReadyKernelClient
    assert "".join(texts) == "first\nsecond\n"


def test_the_ready_client_asks_again_when_iopub_missed_the_first_answer() -> None:
    """ZeroMQ's slow joiner: IOPub may subscribe after the kernel published kernel_info's status.
    Without the idle status of its request, the client asks again; stray messages are skipped."""
    import asyncio
    from queue import Empty

    class Channel:
        def __init__(self) -> None:
            self.queue: list[dict] = []

        async def get_msg(self, timeout: float | None = None) -> dict:
            if not self.queue:
                raise Empty
            return self.queue.pop(0)

    class FakeKernel(kernels.ReadyKernelClient):
        IOPUB_WAIT = 0.05
        asked: list[str] = []
        handled: list[dict] = []
        shell = Channel()
        iopub = Channel()

        @property
        def shell_channel(self) -> Channel:  # type: ignore[override]
            return self.shell

        @property
        def iopub_channel(self) -> Channel:  # type: ignore[override]
            return self.iopub

        def kernel_info(self) -> str:  # type: ignore[override]
            msg_id = f"info-{len(self.asked)}"
            self.asked.append(msg_id)
            self.shell.queue.append({"msg_type": "kernel_info_reply", "parent_header": {"msg_id": msg_id},
                                     "content": {"language_info": {"name": "python"}}})
            if len(self.asked) > 1:  # subscribed by the second request: its status comes through
                self.iopub.queue += [
                    {"msg_type": "status", "parent_header": {"msg_id": "someone-else"},
                     "content": {"execution_state": "idle"}},
                    {"msg_type": "status", "parent_header": {"msg_id": msg_id}, "content": {"execution_state": "busy"}},
                    {"msg_type": "status", "parent_header": {"msg_id": msg_id}, "content": {"execution_state": "idle"}},
                ]
            return msg_id

        def _handle_kernel_info_reply(self, msg: dict) -> None:
            self.handled.append(msg)

        async def _async_is_alive(self) -> bool:
            return True

    kc = FakeKernel()
    asyncio.run(kc.wait_for_ready(timeout=5))
    assert kc.asked == ["info-0", "info-1"]
    assert [m["parent_header"]["msg_id"] for m in kc.handled] == ["info-1"]
    assert kc.iopub.queue == []  # drained up to and including the request's idle status


def test_the_template_starts_while_the_run_is_planned_and_ends_when_nothing_runs(
        demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """run_reports starts the kernel template before planning (its imports overlap the checks); a run
    that turns out to have nothing to do stops it again, promptly, and writes nothing."""
    from kpi_toolkit import runner
    from kpi_toolkit.exceptions import KpiToolkitError

    seen = []
    real_plan = runner.plan

    def plan(**kw: object) -> object:
        server = ForkServer._instance
        seen.append(server is not None and server.alive)
        return real_plan(**kw)

    monkeypatch.setattr(runner, "plan", plan)
    t0 = time.monotonic()
    with pytest.raises(KpiToolkitError):
        runner.run_reports(clients=["demo-lumiere"], month="2031-01", notebooks=["monthly_report"],
                           notebooks_dir=Path(runner.__file__).resolve().parents[1] / "notebooks",
                           outputs_dir=tmp_path / "out", data_dir=demo_root / "data",
                           parameters_dir=demo_root / "parameters", workers=1)
    assert seen == [True]
    assert ForkServer._instance is None and time.monotonic() - t0 < 5  # not waited for its imports
    assert not (tmp_path / "out").exists()


def test_a_kernel_ends_when_its_template_dies(tmp_path: Path) -> None:
    """A Dask worker killed mid-report took its template with it, but the kernel lived on, re-parented:
    IPKernelApp had read JPY_PARENT_PID when the template imported it, before the fork, so the kernel
    ran without ipykernel's parent poller. Killing the template must end its kernels within seconds."""
    import json as _json
    import signal as _signal

    from jupyter_client.connect import write_connection_file

    server = ForkServer()
    conn, _ = write_connection_file(str(tmp_path / "kernel.json"))
    pid = server.fork(["-f", conn], dict(os.environ), str(tmp_path))
    assert _json.loads(Path(conn).read_text())["shell_port"]
    tasks = Path("/proc") / str(pid) / "task"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _alive(pid) and len(list(tasks.iterdir())) <= 3:
        time.sleep(0.2)  # until the kernel is up, with its threads (the parent poller among them)
    assert _alive(pid)
    time.sleep(2.0)
    os.kill(server.proc.pid, _signal.SIGKILL)  # the template dies without a word, as with its killed worker
    server.proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    try:
        assert not _alive(pid), "the kernel outlived its template"
    finally:
        if _alive(pid):
            os.kill(pid, _signal.SIGKILL)


AFTER_FORK = r"""
import importlib, json, sys
from kpi_toolkit.kernels import PRELOAD
for name in PRELOAD:
    try:
        importlib.import_module(name)
    except Exception:
        pass
import contextlib, io
import nbformat
from IPython.core.interactiveshell import InteractiveShell
before = set(sys.modules)
nb = nbformat.read(sys.argv[1], 4)
shell = InteractiveShell.instance()
shell.run_cell(f"client = {sys.argv[2]!r}; month = {sys.argv[3]!r}; data_dir = {sys.argv[4]!r}; "
               f"parameters_dir = {sys.argv[5]!r}", silent=True)
with contextlib.redirect_stdout(io.StringIO()):
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            result = shell.run_cell(cell.source, silent=True)
            if not result.success:
                raise SystemExit(repr(result.error_in_exec or result.error_before_exec))
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_a_monthly_report_imports_no_library_after_the_fork(demo_root: Path, tmp_path: Path) -> None:
    """What a report kernel imports itself is paid once per report, not once per run: every library
    module the monthly report uses is in the template's PRELOAD (arch's block bootstrap, 13 ms a
    kernel, was not when it was added). Small stdlib and Pillow plugin modules may still come later."""
    import subprocess

    from .conftest import DEMO_END_MONTH, REPO

    script = tmp_path / "after_fork.py"
    script.write_text(AFTER_FORK, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), str(REPO / "notebooks" / "monthly_report.ipynb"),
                          "demo-lumiere", DEMO_END_MONTH, str(demo_root / "data"), str(demo_root / "parameters")],
                         capture_output=True, text=True, check=True, cwd=tmp_path,
                         env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "KPI_PSEUDONYM_SALT": "x"})
    late = json.loads(out.stdout.strip().splitlines()[-1])
    libraries = {"arch", "statsmodels", "scipy", "pandas", "numpy", "matplotlib", "seaborn", "pyarrow",
                 "kpi_toolkit", "ruptures", "sklearn", "IPython", "ipykernel", "vaderSentiment"}
    small = {"pandas.core.arrays.arrow._arrow_utils"}  # a few functions, imported by pandas on first use
    assert [m for m in late if m.split(".")[0] in libraries and m not in small] == []


def test_kpi_run_starts_the_template_before_it_imports_pandas(demo_root: Path, tmp_path: Path) -> None:
    """The template's imports are on the critical path of the first report: `kpi run` starts it before
    its own process imports pandas (for the data location and the default month, ~0.35 s), so the two
    import side by side."""
    import subprocess

    code = (
        "import sys\n"
        "from kpi_toolkit import kernels\n"
        "seen = []\n"
        "real = kernels.ForkServer.__init__\n"
        "def init(self, *a, **k):\n"
        "    seen.append('pandas' in sys.modules)\n"
        "    real(self, *a, **k)\n"
        "kernels.ForkServer.__init__ = init\n"
        "from kpi_toolkit.cli import main\n"
        f"code = main(['run', '--client', 'demo-lumiere', '--month', '2031-01', '--data-dir', {str(demo_root / 'data')!r},"
        f" '--parameters-dir', {str(demo_root / 'parameters')!r}, '--outputs-dir', {str(tmp_path / 'out')!r}])\n"
        "print(code, seen)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "KPI_FORK_KERNELS": "1"})
    assert out.stdout.strip().splitlines()[-1] == "2 [False]", out.stdout + out.stderr
