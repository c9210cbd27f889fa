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
from typing import TYPE_CHECKING

from .exceptions import KpiToolkitError

if TYPE_CHECKING:  # pragma: no cover
    from .runner import Result, Task

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+(:\d+)?$")


def run_on_dask(tasks: Sequence[Task], *, scheduler: str, on_result: Callable[[Result], None],
                connect_timeout_s: float = 20.0) -> None:
    """Submit every task to the scheduler and report each result as it completes."""
    from .runner import Result, run_task

    if not _ADDRESS.match(scheduler):
        raise KpiToolkitError(f"--scheduler must look like tcp://HOST:PORT, got {scheduler!r}")
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise KpiToolkitError("the Dask scheduler needs the 'distributed' package") from None
    try:
        client = Client(scheduler, timeout=connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise KpiToolkitError(f"could not reach the Dask scheduler at {scheduler}: {e}") from None
    run_id = uuid.uuid4().hex[:8]
    try:
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
            on_result(res)
    finally:
        client.close()
