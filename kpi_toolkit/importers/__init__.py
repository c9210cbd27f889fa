"""Importers: platform exports (Meta, LinkedIn, TikTok, YouTube, X, GA4, listening tools) into the
canonical tables of ``data/<client>/``.

Column mappings are declarative presets, one YAML file per export format in
``kpi_toolkit/importers/presets/`` (see docs/importers.md); a user's own mapping file works the same
way. The pipeline::

    read_export   bytes -> text cells: encoding, delimiter, preamble, header line
    convert       cells -> canonical rows: kinds, units, value mapping, dates, checks, stable ids
    import_export validate, merge by key (idempotent), archive the export, write the import log

Example
-------
>>> from kpi_toolkit.importers import import_export                         # doctest: +SKIP
>>> res = import_export("facebook_insights", "dataset_Facebook.csv", client="acme", year=2014)
>>> print(res.report.to_text())                                             # doctest: +SKIP
"""

from __future__ import annotations

from .convert import Converted, convert
from .pipeline import ImportReport, ImportResult, import_export
from .presets import Preset, list_presets, load_preset
from .reading import RawExport, read_export

__all__ = [
    "Converted", "ImportReport", "ImportResult", "Preset", "RawExport", "convert", "import_export",
    "list_presets", "load_preset", "read_export",
]
