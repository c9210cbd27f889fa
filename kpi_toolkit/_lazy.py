"""Defer the one import that costs a report run more than all of papermill: ``rfc3987_syntax``.

``jsonschema`` (4.26, the newest release) imports ``rfc3987_syntax`` as soon as it is imported, when it
is installed, to check the ``iri`` string format. That package builds a Lark parser for the RFC 3987
grammar at import: 1.6 s of CPU measured here (``python -X importtime -c "import papermill"``), in
every process that imports nbformat, for a format no notebook schema uses. The cost is known
upstream (python-jsonschema/jsonschema#1392); the maintained fork ``rfc3987-syntax2`` loads its
grammar lazily, but jsonschema does not use it yet (python-jsonschema/jsonschema#1521).
``rfc3987_syntax`` is installed here because JupyterLab's ``jupyter-events`` asks for
``jsonschema[format-nongpl]``.

:func:`defer_rfc3987_syntax` puts a stand-in module under that name which imports the real package
on first use: a call of ``is_valid_syntax`` or any attribute. Nothing changes but when the grammar
is built: an ``iri`` value is still checked by the same code.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

NAME = "rfc3987_syntax"


def defer_rfc3987_syntax() -> bool:
    """Install the stand-in unless the package is missing or imported already; True when installed."""
    if NAME in sys.modules or "jsonschema" in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(NAME)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    shim = types.ModuleType(NAME, "Stand-in that imports rfc3987_syntax on first use (kpi_toolkit._lazy).")
    shim.__spec__ = spec  # find_spec() on the name keeps answering as for the real package
    real: list[types.ModuleType] = []

    def load() -> types.ModuleType:
        if not real:
            if sys.modules.get(NAME) is shim:
                del sys.modules[NAME]
            real.append(importlib.import_module(NAME))
        return real[0]

    def is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
        return load().is_valid_syntax(*args, **kwargs)

    def __getattr__(attr: str) -> Any:  # noqa: N807 - a module's attribute hook (PEP 562)
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(load(), attr)

    shim.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    shim.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[NAME] = shim
    return True
