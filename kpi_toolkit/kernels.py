"""Kernels forked from a warm template: a batch imports the libraries once, not once per report.

A report kernel spent ~3 s importing pandas, scipy, statsmodels, seaborn and this package before the
notebook's first line did any work. The runner instead starts one *template* per run: a process that
imports those libraries once, holds no client data, and forks a fresh kernel for each report (the
pool's workers ask it over a Unix socket only this user can open). Every report still gets its own
process, so nothing one client's notebook does can reach the next client's kernel; they all start
from the same clean template, the way ``multiprocessing``'s forkserver start method works. No
published package does this for Jupyter kernels (papermill's maintainers point to a custom engine or
kernel manager, nteract/papermill#326), so it is here, in jupyter_client's own extension points: a
:class:`ForkProvisioner` that launches the kernel command by asking the template instead of
``Popen``, and :class:`ForkedKernelManager`, which nbclient uses through papermill's
``kernel_manager_class`` argument.

The template only runs ``python -m ipykernel_launcher`` commands of this same interpreter; any
other kernel command, or a template that cannot start, falls back to the ordinary process start.
``KPI_FORK_KERNELS=0`` turns it off. On by default on Linux; ``KPI_FORK_KERNELS=1`` on macOS (see
:func:`enabled`); never on Windows (no ``os.fork``).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

PRELOAD = (
    "kpi_toolkit", "numpy", "pandas", "pyarrow", "pyarrow.compute", "pyarrow.dataset", "pyarrow.parquet",
    "scipy.stats", "scipy.optimize", "scipy.linalg",
    # the statsmodels modules the package uses, not statsmodels.api (its graphics, datasets and
    # formula parts cost the template ~0.1 s more, and no report uses them)
    "statsmodels.regression.linear_model", "statsmodels.tsa.exponential_smoothing.ets",
    "statsmodels.tsa.seasonal", "statsmodels.discrete.discrete_model", "statsmodels.genmod.families",
    "statsmodels.genmod.generalized_linear_model", "statsmodels.stats.proportion",
    "statsmodels.stats.multitest", "statsmodels.stats.rates", "statsmodels.tools.sm_exceptions",
    "matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.ticker",
    "matplotlib.font_manager", "seaborn", "ruptures", "pydantic", "yaml",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "matplotlib_inline.backend_inline",
    # what every kernel imported after the fork (0.2 s each, debugpy most of it): the kernel's debugger
    # class, IPython's history (sqlite3), inspector and completer, tornado's asyncio loop, psutil
    "ipykernel.debugger", "IPython.core.debugger", "IPython.core.completerlib", "IPython.core.oinspect",
    "IPython.core.logger", "IPython.extensions.storemagic", "sqlite3", "psutil", "tornado.platform.asyncio",
    "tornado.queues", "tornado.locks", "http.server", "xmlrpc.server",
    "kpi_toolkit.report", "kpi_toolkit.context", "kpi_toolkit.display", "kpi_toolkit.trends",
    "kpi_toolkit.segments", "kpi_toolkit.attribution", "kpi_toolkit.benchmarks", "kpi_toolkit.goals",
    "kpi_toolkit.sentiment", "kpi_toolkit.plotting", "kpi_toolkit.plotting.trends",
    "kpi_toolkit.plotting.segments", "kpi_toolkit.plotting.attribution", "kpi_toolkit.plotting.competitors",
    "pandas.io.formats.html", "pandas.core.reshape.reshape", "pandas.core.methods.to_dict", "PIL.PngImagePlugin",
    "vaderSentiment.vaderSentiment", "arch.bootstrap", "statsmodels.stats.sandwich_covariance",
)
"""What the template imports once. A name that fails to import is skipped: a kernel that needs it
imports it itself, as an ordinary kernel would."""


def enabled() -> bool:
    """Whether kernels are forked: ``KPI_FORK_KERNELS`` (1/0) decides; unset, on Linux only.

    macOS can fork, but a process that has loaded Apple's system frameworks may crash in a forked
    child (Python's own multiprocessing stopped forking there by default for that reason), so it
    is opt-in there. Windows has no ``fork``.
    """
    if not hasattr(os, "fork"):
        return False
    value = os.environ.get("KPI_FORK_KERNELS", "").strip().lower()
    if value:
        return value not in {"0", "false", "no", "off"}
    return sys.platform.startswith("linux")


# ----------------------------------------------------------------------------------------------
# the template process (``python -m kpi_toolkit.kernels SOCKET``)

ENV_SOCKET = "KPI_KERNEL_TEMPLATE"
"""Set by the process that owns the template to its socket, so the pool's workers fork from it too."""


def _serve(path: str) -> None:
    """Import PRELOAD, then fork one kernel per connection to the Unix socket ``path``.

    A request is one JSON line ``{"argv": [...], "env": {...}, "cwd": "..."}`` (the arguments after
    ``-m ipykernel_launcher``); the reply is ``{"pid": N}``. The template ends when its owner closes
    its stdin. Children are reaped by the system (SIGCHLD ignored): a finished kernel never lingers
    as a zombie. The socket lives in a folder only this user can open.
    """
    import selectors
    import socket

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal ends the run; the template
    # ends when the run closes its stdin, without a traceback of its own
    # Listen first, import second: the owner goes on (starting its pool's workers) while the
    # libraries import, and a kernel asked for meanwhile waits in the socket's backlog.
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    sys.stdout.buffer.write(b'{"listening": true}\n')
    sys.stdout.buffer.flush()
    # debugpy (imported with ipykernel's debugger) warns about frozen modules at import unless told
    # not to, as ipykernel's own kernel spec and the runner's kernel environment tell it
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - an optional library missing here is imported by the kernel
            continue
    import gc

    gc.collect()
    gc.freeze()  # the imported objects are never collected again: cheaper collections in every kernel,
    # and the pages the kernels share with the template stay shared (the collector does not write to them)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    owner = os.getpid()
    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ)
    sel.register(sys.stdin.buffer, selectors.EVENT_READ)
    try:
        while True:
            for key, _ in sel.select():
                if key.fileobj is not server:
                    if not os.read(sys.stdin.fileno(), 1024):
                        return  # the owner is gone (or closed us)
                    continue
                conn, _ = server.accept()
                with conn:
                    req = json.loads(conn.makefile("rb").readline())
                    pid = os.fork()
                    if pid == 0:
                        sel.close()
                        server.close()
                        conn.close()
                        _become_kernel(req)  # never returns
                    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    finally:
        server.close()
        if os.getpid() == owner:  # the template, not a kernel leaving through this frame it was forked in
            # an owner that died without closing us (a killed worker) leaves no socket folder behind
            folder = os.path.dirname(path)
            try:
                os.unlink(path)
                if os.path.basename(folder).startswith("kpi-kernels-"):
                    os.rmdir(folder)
            except OSError:
                pass


def _become_kernel(req: dict[str, Any]) -> None:
    """In the forked child: detach, take the kernel's environment and run ipykernel (never returns)."""
    code = 1
    try:
        os.setsid()  # its own process group, as jupyter_client's Popen start gives it
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a kernel interrupt is a SIGINT
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(2, 1)  # the kernel's low-level output goes where the template's errors go
        os.close(devnull)
        os.chdir(req["cwd"])
        env = {k: v for k, v in req["env"].items() if k != ENV_SOCKET}
        env["JPY_PARENT_PID"] = str(os.getppid())  # the kernel exits if the template dies
        os.environ.clear()
        os.environ.update(env)
        # ...said on the command line too: IPKernelApp read JPY_PARENT_PID when the template imported it,
        # before this fork, so the variable alone left the kernel without its parent poller, and a kernel
        # whose Dask worker was killed outlived its template
        sys.argv = ["ipykernel_launcher", *req["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.path[0:1] = []  # as ipykernel_launcher does; the kernel adds its working directory back
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0
    except BaseException:  # noqa: BLE001 - the child must never return into the server's loop
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# ----------------------------------------------------------------------------------------------
# the workers' side


class ForkServer:
    """A handle on the template: started by this process, or the one named by ``KPI_KERNEL_TEMPLATE``.

    :func:`kpi_toolkit.runner.execute` starts one for the whole run and names it to its workers, so
    the libraries are imported once per run; a process without one (a Dask worker, a notebook)
    starts its own on first use. Thread-safe.
    """

    _instance: ForkServer | None = None
    _lock = threading.Lock()

    def __init__(self, path: str | None = None, *, env: dict[str, str] | None = None) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None
        if path is not None:
            self.path = path
            return
        import tempfile

        self._dir = tempfile.mkdtemp(prefix="kpi-kernels-")  # mode 0700: only this user can connect
        self.path = os.path.join(self._dir, "template.sock")
        self.proc = subprocess.Popen([sys.executable, "-m", "kpi_toolkit.kernels", self.path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, close_fds=True,
                                     env=env)
        assert self.proc.stdout is not None
        if not self.proc.stdout.readline().startswith(b'{"listening"'):
            self.close()
            raise RuntimeError("the kernel template did not start")

    @property
    def alive(self) -> bool:
        return os.path.exists(self.path) and (self.proc is None or self.proc.poll() is None)

    @property
    def pid(self) -> int | None:
        """The template's process id when this process started it."""
        return self.proc.pid if self.proc is not None else None

    @classmethod
    def get(cls, *, env: dict[str, str] | None = None) -> ForkServer:
        """The template this process forks from, started on first use (or again if it died).

        ``env``: the environment a template started now imports its libraries with (default this
        process's). Each kernel still gets the environment of its own launch.
        """
        with cls._lock:
            if cls._instance is None or not cls._instance.alive:
                named = os.environ.get(ENV_SOCKET)
                cls._instance = ForkServer(named) if named and os.path.exists(named) else ForkServer(env=env)
            return cls._instance

    @classmethod
    def stop(cls) -> None:
        """End the template this process started (running kernels are not touched)."""
        with cls._lock:
            if cls._instance is not None:
                cls._instance.close()
                cls._instance = None

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        """Ask for a kernel; returns its pid."""
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(120)  # the template may still be importing its libraries
            conn.connect(self.path)
            conn.sendall(json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n")
            reply = conn.makefile("rb").readline()
        if not reply:
            raise RuntimeError("the kernel template closed the connection")
        return int(json.loads(reply)["pid"])

    def close(self) -> None:
        """End the template: it exits when its stdin closes, between requests. One still importing its
        libraries (a run that found nothing to do while the template started) only looks at stdin once
        the imports are done, ~2 s later; it holds nothing but imports, and the kernels it forked are
        processes of their own, so it is terminated instead of waited for."""
        if self.proc is not None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        if self._dir is not None:
            import shutil

            shutil.rmtree(self._dir, ignore_errors=True)


class ForkedKernel:
    """The ``Popen``-like handle jupyter_client keeps for a forked kernel (not our child: no waitpid)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGTERM  # exited; its real status went to the template
            except PermissionError:  # the pid was reused by a process that is not ours
                self.returncode = -signal.SIGTERM
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _ipykernel_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` if ``cmd`` runs it with this interpreter, else None."""
    if not cmd or os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    try:
        i = cmd.index("-m")
    except ValueError:
        return None
    if i + 1 >= len(cmd) or cmd[i + 1] != "ipykernel_launcher":
        return None
    return cmd[i + 2:]


class ForkProvisioner(LocalProvisioner):
    """Launches an ipykernel command by forking the warm template instead of starting Python anew."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        args = _ipykernel_args(cmd)
        if args is None or not enabled():
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            pid = await asyncio.get_running_loop().run_in_executor(
                None, lambda: ForkServer.get().fork(args, env, cwd))
        except (OSError, RuntimeError, ValueError):
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous client, told a kernel is ready as soon as it is.

    ``AsyncKernelClient.wait_for_ready`` sends ``kernel_info``, waits for the reply and for one
    IOPub message (IOPub is connected), then drains IOPub until it has been quiet for 0.2 s: every
    report's kernel sat idle that long before its first cell (~0.6 s of a six-report batch on two
    workers). Here the drain stops at the ``idle`` status of the ``kernel_info`` request itself, the
    last message the kernel publishes for it (the Jupyter messaging protocol's status messages).
    Anything on IOPub that belongs to no request of ours is ignored by nbclient anyway: it reads only
    messages whose parent is the cell it runs. When IOPub is not connected yet (ZeroMQ's slow
    joiner: the idle status was published before the subscription took), ``kernel_info`` is asked
    again, as jupyter_client does.
    """

    IOPUB_WAIT = 0.1
    """Seconds to wait on IOPub for a kernel_info request's idle status before asking again. The idle
    status follows the shell reply by a millisecond or two; when it has not come by then, IOPub was
    not subscribed yet and will not deliver it, so asking again is quicker than waiting."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        from queue import Empty

        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        asked: set[str] = set()
        while True:
            asked.add(self.kernel_info())
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            # an earlier request's reply or idle status may arrive late: any of ours will do
            if reply is not None and reply["msg_type"] == "kernel_info_reply" and await self._idle_after(asked):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    async def _idle_after(self, asked: set[str]) -> bool:
        """Whether IOPub delivers the ``idle`` status of one of the requests ``asked`` within
        :data:`IOPUB_WAIT`."""
        from queue import Empty

        until = time.monotonic() + self.IOPUB_WAIT
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") in asked):
                return True
        return False


class ForkedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with :class:`ForkProvisioner` for every kernel it starts, and
    :class:`ReadyKernelClient` as its client."""

    client_class = DottedObjectName("kpi_toolkit.kernels.ReadyKernelClient")
    client_factory = Type(ReadyKernelClient, klass="jupyter_client.asynchronous.AsyncKernelClient")

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.provisioner is None:
            import uuid

            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # jupyter_client checks every 0.1 s whether a kernel it asked to shut down has exited: ~0.1 s
        # idle a report. Asking our forked kernel costs one os.kill(pid, 0), so ask every 10 ms.
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))


if __name__ == "__main__":
    _serve(sys.argv[1])
