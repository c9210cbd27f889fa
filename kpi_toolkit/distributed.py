"""Running report tasks on a Dask distributed cluster (``kpi run --all --scheduler tcp://host:8786``).

The same :func:`kpi_toolkit.runner.run_task` runs on the workers, so failure isolation, staged
outputs and manifests are those of the local pool. Workers need the same environment (this package
installed) and access to ``data_dir``, ``parameters_dir``, the notebooks and ``outputs`` at the same
paths (a shared file system), or ``data_dir`` given as an fsspec URL. On one machine the local process
pool stays the default: a cluster costs seconds to start and more per notebook.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exceptions import KpiToolkitError

if TYPE_CHECKING:  # pragma: no cover
    from .runner import Result, Task

_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://[^\s/:]+:\d+|inproc://[^\s/]+)$")
"""A scheduler address with its port (``tcp://10.0.0.5:8786``); without one, distributed raised a
ValueError traceback and then waited 40 s."""

SALT_CHECK = b"kpi-toolkit: same pseudonym salt?"


def salt_fingerprint() -> str | None:
    """A keyed hash of this process's ``KPI_PSEUDONYM_SALT`` (never the salt itself), or None when it is
    not set: compared between ``kpi run`` and every Dask worker, whose kernels pseudonymise authors."""
    import hashlib
    import hmac
    import os

    salt = os.environ.get("KPI_PSEUDONYM_SALT")
    return hmac.new(salt.encode("utf-8"), SALT_CHECK, hashlib.sha256).hexdigest()[:16] if salt else None


def _connect(scheduler: str, timeout_s: float) -> Any:
    """A Client of ``scheduler``, or one line: any failure to connect (a refused port, a host that never
    answers, the dashboard's HTTP port, an address distributed cannot parse) within ``timeout_s`` plus a
    few seconds; a connection that hangs is abandoned in its own daemon thread."""
    import threading

    from distributed import Client

    box: dict[str, Any] = {}

    def attempt() -> None:
        try:
            box["client"] = Client(scheduler, timeout=timeout_s, set_as_default=False)
        except BaseException as e:  # noqa: BLE001 - reported below as one line
            box["error"] = e

    thread = threading.Thread(target=attempt, name="kpi-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout_s + 5.0)
    if "client" in box:
        return box["client"]
    why = box.get("error")
    if why is None:
        raise KpiToolkitError(f"no Dask scheduler answered at {scheduler} within {timeout_s + 5:.0f} s (is it the "
                              "scheduler's port, 8786 by default, and not its dashboard's?)")
    text = " ".join(str(why).split())[:200] or type(why).__name__
    raise KpiToolkitError(f"could not reach the Dask scheduler at {scheduler}: {text}")


def check_worker_salt(client: Any) -> None:
    """Refuse a cluster whose workers do not have this machine's ``KPI_PSEUDONYM_SALT``: their kernels
    would give authors other pseudonyms, silently (a run had said "ok" with two sets of pseudonyms)."""
    here = salt_fingerprint()
    if here is None:
        return
    prints = client.run(salt_fingerprint)
    other = [w for w, fp in prints.items() if fp != here]
    if other:
        raise KpiToolkitError(f"{len(other)} of {len(prints)} Dask workers do not have this machine's "
                              "KPI_PSEUDONYM_SALT: start them with the same value (their reports would give "
                              "authors other pseudonyms)")


def run_on_dask(tasks: Sequence[Task], *, scheduler: str, on_result: Callable[[Result], None],
                connect_timeout_s: float = 20.0) -> None:
    """Submit every task to the scheduler and report each result as it completes."""
    from .runner import Result, run_task

    if not _ADDRESS.match(scheduler):
        raise KpiToolkitError(f"--scheduler must look like tcp://HOST:PORT, got {scheduler!r}")
    try:
        from distributed import as_completed
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise KpiToolkitError("the Dask scheduler needs the 'distributed' package") from None
    client = _connect(scheduler, connect_timeout_s)
    run_id = uuid.uuid4().hex[:8]
    try:
        check_worker_salt(client)
        futures = {}
        for t in tasks:
            fut = client.submit(run_task, t, key=f"kpi-report-{t.client}-{t.notebook}-{run_id}", pure=False,
                                retries=0)
            futures[fut.key] = (fut, t)
        for fut in as_completed([f for f, _ in futures.values()], loop=client.loop):
            t = futures[fut.key][1]
            try:
                res = fut.result()
            except Exception as e:  # noqa: BLE001 - a lost worker fails that report only
                now = datetime.now(UTC).isoformat(timespec="seconds")
                res = Result(client=t.client, month=t.month, notebook=t.notebook, status="failed", duration_s=0.0,
                             started_at=now, finished_at=now, error=f"{type(e).__name__} on the Dask worker: {e}")
            on_result(_seen_here(res, t))
    finally:
        client.close()


def _seen_here(res: Result, task: Task) -> Result:
    """``res``, failed when its report is not on this machine: a worker that wrote to an outputs folder
    of its own had been counted "ok", and the manifest and index linked files that were not there."""
    if res.status == "ok" and res.html and not Path(res.html).is_file():
        res.status, res.html, res.ipynb = "failed", None, None
        res.error = (f"the Dask worker wrote {task.notebook}.html to {task.out_dir}, a folder this machine "
                     "cannot see: outputs must be a folder the workers share with it")
    elif res.status == "failed" and res.error and ("does not exist (run `kpi demo`" in res.error
                                                    or res.error.startswith("unknown client")):
        # this machine found the client's data and parameters before submitting: the worker cannot see them
        # (its message had advised running `kpi demo`)
        cut = res.error.split(" (run `kpi demo`")[0].split(" (no clients yet")[0].split(" — did you mean")[0]
        res.error = (f"the Dask worker cannot see the client's files at the paths this machine uses ({cut}): "
                     "the workers must share --data-dir and --parameters-dir")
    return res
