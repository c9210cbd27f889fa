"""Declarative export presets: one YAML file per export format, validated by pydantic.

A preset says which export columns become which canonical columns, how their values are written
(kind, unit, value mapping, date formats) and what the export lacks. Adding a format, or following a
platform that renamed a column, is a change to a YAML file, not to code; an analyst can write their
own file for an export the toolkit does not know and pass its path instead of a preset name.

The fields are documented in docs/importers.md; every built-in preset lives in
``kpi_toolkit/importers/presets/<name>.yaml``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..exceptions import ImportFormatError
from ..params import read_yaml
from ..schema import PLATFORMS, TABLES

PRESET_DIR = Path(__file__).resolve().parent / "presets"

SourceKind = Literal["str", "int", "float", "bool", "datetime", "date", "percent", "duration", "month"]
"""How an export column is written.

``percent``: a percentage (``3.4`` or ``'3.4%'``) stored as the fraction 0.034.
``duration``: ``H:MM:SS``, ``MM:SS`` or seconds, stored as seconds.
``month``: a month number 1-12 without a year; becomes ``YYYY-MM`` with the year the user gives.
The others are the canonical kinds of :mod:`kpi_toolkit.schema`.
"""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadOptions(_Strict):
    """How the file is written. Anything left None is detected (and reported)."""

    delimiter: str | None = Field(None, description="None: detected among , ; TAB |")
    encoding: str | None = Field(None, description="None: BOM, UTF-16, UTF-8, else Windows-1252/latin-1")
    decimal: str = "."
    thousands: str | None = ","
    missing_values: list[str] = Field(default_factory=lambda: ["", "-", "--", "—", "N/A", "n/a"])
    comment_prefix: str | None = Field(None, description="lines before the header starting with this are skipped")
    sheet: str | None = Field(None, description="sheet name when the platform exports an Excel workbook")

    @field_validator("delimiter")
    @classmethod
    def _delim(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1:
            raise ValueError(f"delimiter must be one character, got {v!r}")
        return v


class SkipRule(_Strict):
    """Rows that are not data (a 'Total' line): dropped and counted as skipped, not rejected."""

    column: str
    equals: list[str]
    reason: str = "summary row"


class Derive(_Strict):
    difference: tuple[str, str] = Field(description="[A, B]: the value is A - B (both export columns)")


class ColumnMap(_Strict):
    """One canonical (or extra) column and where it comes from."""

    to: str
    source: list[str] = Field(default_factory=list,
                              description="export column name; alternatives in order; '*' matches any text")
    derive: Derive | None = None
    kind: SourceKind | None = Field(None, description="default: the canonical column's kind")
    scale: float | None = Field(None, description="multiply after parsing (unit conversion)")
    values: dict[str, Any] | None = Field(None, description="value mapping, export value -> stored value")
    unmapped: Literal["error", "keep", "reject"] = "error"
    unmapped_reason: str | None = None
    lower: bool = False
    pattern: str | None = Field(None, description="regular expression; the first group is kept")
    formats: list[str] | None = Field(None, description="date formats (strptime, or 'iso'), tried in order")
    optional: bool = Field(False, description="the export may lack this column")
    if_absent: Any = Field(None, description="value for every row when an optional column is absent")
    keep_raw_as: str | None = Field(None, description="also keep the export's raw value in this extra column")
    extra: bool = Field(False, description="not a canonical column: kept as an extra column")
    hint: str | None = Field(None, description="shown when the column is missing from the export")
    doc: str = ""

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnMap:
        if bool(self.source) == (self.derive is not None):
            raise ValueError(f"column '{self.to}': give exactly one of 'source' or 'derive'")
        return self


class SumEquals(_Strict):
    parts: list[str]
    total: str


class Check(_Strict):
    """A consistency rule between export columns; a row that breaks it is an error."""

    sum_equals: SumEquals | None = None
    equal: tuple[str, str] | None = None
    unless_present: str | None = Field(None, description="skip the check when this column exists")
    message: str = ""

    @model_validator(mode="after")
    def _one_rule(self) -> Check:
        if (self.sum_equals is None) == (self.equal is None):
            raise ValueError("a check needs exactly one of 'sum_equals' or 'equal'")
        return self


class IdSpec(_Strict):
    generate: bool = Field(False, description="make stable ids (hash of the row's cells, not its line) "
                                              "when the export has no id column")
    prefix: str = "imp"


class PlatformSpec(_Strict):
    fixed: str | None = Field(None, description="every row is this platform")
    choices: list[str] = Field(default_factory=list,
                               description="--platform must be one of these (when no column says it)")

    @model_validator(mode="after")
    def _known(self) -> PlatformSpec:
        for p in [self.fixed, *self.choices]:
            if p is not None and p not in PLATFORMS:
                raise ValueError(f"unknown platform {p!r}; known: {', '.join(PLATFORMS)}")
        return self


class Preset(_Strict):
    """An export format: how to read it and how its columns map to one canonical table."""

    name: str
    title: str
    table: str
    status: Literal["verified", "documentation", "user"] = Field(
        "user", description="verified: checked on a real export file; documentation: written from the "
        "platform's documentation and commonly seen headers, not yet seen on a real file; user: a "
        "user's own mapping file")
    verified_on: str | None = None
    column_names_from: str
    export_steps: str = ""
    notes: list[str] = Field(default_factory=list)
    lacks: list[str] = Field(default_factory=list, description="what the export does not carry")
    read: ReadOptions = Field(default_factory=ReadOptions)
    skip_rows: list[SkipRule] = Field(default_factory=list)
    platform: PlatformSpec | None = None
    id: IdSpec = Field(default_factory=IdSpec)
    needs_year: bool = Field(False, description="the export has no year; the user must give --year")
    times_in: Literal["client", "utc"] = Field(
        "client", description="time zone of times without an offset: the client's (--timezone or "
                              "parameters) or UTC")
    constants: dict[str, Any] = Field(default_factory=dict)
    columns: list[ColumnMap]
    checks: list[Check] = Field(default_factory=list)
    aggregate: bool = Field(False, description="sum rows that share the table's key (e.g. several "
                                               "referrers of one social source on one day)")
    source_file: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _against_schema(self) -> Preset:
        if self.table not in TABLES:
            raise ValueError(f"unknown table {self.table!r}; known: {', '.join(TABLES)}")
        spec = TABLES[self.table]
        for i, m in enumerate(self.columns):
            if m.to in spec.names:
                if m.extra:
                    raise ValueError(f"columns[{i}].to: '{m.to}' is canonical in {self.table}; "
                                     "remove 'extra: true'")
            elif not m.extra:
                close = difflib.get_close_matches(m.to, spec.names, n=1)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"columns[{i}].to: '{m.to}' is not a column of {self.table}{hint} "
                                 "(mark a non-canonical column 'extra: true')")
            elif m.kind is None:
                raise ValueError(f"columns[{i}]: extra column '{m.to}' needs a 'kind'")
        for c in self.constants:
            if c not in spec.names:
                raise ValueError(f"constant '{c}' is not a column of {self.table}")
        provided = {m.to for m in self.columns} | set(self.constants)
        if self.platform is not None:
            provided.add("platform")
        if self.id.generate and spec.key:
            provided.add(spec.key[0])
        lacking = [c for c in spec.required if c not in provided
                   and not (spec.column(c).blank_if_imported or spec.column(c).nullable)]
        if lacking:
            raise ValueError(f"no mapping for required column(s) {', '.join(lacking)} of {self.table}")
        if "platform" in spec.names and "platform" not in provided:
            raise ValueError("the table has a platform column: give 'platform' (fixed or choices) "
                             "or map a column to it")
        return self

    def canonical_kind(self, m: ColumnMap) -> SourceKind:
        if m.kind is not None:
            return m.kind
        return TABLES[self.table].column(m.to).kind

    @property
    def source_names(self) -> list[str]:
        """Every export column the preset knows (for finding the header line)."""
        names: list[str] = []
        for m in self.columns:
            names += m.source
            if m.derive is not None:
                names += list(m.derive.difference)
        for ch in self.checks:
            if ch.sum_equals is not None:
                names += [*ch.sum_equals.parts, ch.sum_equals.total]
            if ch.equal is not None:
                names += list(ch.equal)
        return list(dict.fromkeys(names))


_SECTIONS: dict[str, type[BaseModel]] = {
    "columns": ColumnMap, "read": ReadOptions, "skip_rows": SkipRule, "checks": Check, "id": IdSpec,
    "platform": PlatformSpec,
}


def list_presets() -> dict[str, Preset]:
    """Every built-in preset by name, sorted."""
    return {p.stem: load_preset(p.stem) for p in sorted(PRESET_DIR.glob("*.yaml"))}


def load_preset(name_or_path: str | Path) -> Preset:
    """A built-in preset by name, or a user's mapping file by path (``.yaml``/``.yml``).

    Raises
    ------
    ImportFormatError
        Unknown name (the known ones are listed), or a mapping file that breaks a rule; the message
        names the file and the field.
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ImportFormatError(f"{path}: mapping file not found")
    else:
        path = PRESET_DIR / f"{text_name}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))
            close = difflib.get_close_matches(text_name, known, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ImportFormatError(f"unknown export format '{text_name}'{hint}; known: {', '.join(known)} "
                                    "(or pass the path of your own mapping .yaml)")
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ImportFormatError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ImportFormatError(f"{path}: a mapping file must be a YAML mapping with 'name', 'table', 'columns'")
    data.setdefault("name", path.stem)
    try:
        preset = Preset.model_validate(data)
    except ValidationError as e:
        errs = sorted(e.errors(), key=lambda x: x["type"] != "extra_forbidden")
        err = errs[0]
        where = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"]).lstrip(".")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            model = _SECTIONS.get(str(err["loc"][0]), Preset) if len(err["loc"]) > 1 else Preset
            close = difflib.get_close_matches(key, list(model.model_fields), n=1)
            msg = f"unknown key '{key}'" + (f" — did you mean '{close[0]}'?" if close else "")
        raise ImportFormatError(f"{path}: {where + ': ' if where else ''}{msg}") from None
    preset.source_file = str(path)
    return preset
