"""kpi_toolkit.

Importing the package sets pyarrow's memory pool for the process and the report kernels it starts
(see :func:`kpi_toolkit.data.use_returning_memory_pool` for why), and defers the import of
``rfc3987_syntax`` to its first use (see :mod:`kpi_toolkit._lazy` for why).
"""

import os as _os
import sys as _sys

if "pyarrow" not in _sys.modules:
    # Arrow reads this once, when pyarrow is imported; only the variable reaches the allocations of
    # its C++ internals (Parquet pages, read-ahead buffers). "system" is in every pyarrow build.
    _os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from ._lazy import defer_rfc3987_syntax as _defer_rfc3987_syntax

_defer_rfc3987_syntax()  # 1.6 s of every nbformat import, for a format no notebook uses (see _lazy)

__version__ = "0.1.0"
