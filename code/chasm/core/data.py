"""Schema-checked access to ``data/``.

Every table in ``data/`` is a CSV file with a YAML schema beside it
(``<name>.schema.yaml``) that names each column, its type, its unit and what it
means. :func:`load_table` is the one way chapters and modules read a table: it
checks the file against its schema and raises :class:`DataFileError`, naming
the file, row and column, when they disagree. :func:`append_rows` is the one
way code adds rows: it validates first and replaces the file atomically, so a
bad record or a killed process never leaves a half-written or corrupt file.
"""

from __future__ import annotations

import functools

import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import yaml

from chasm.core import paths

__all__ = ["TYPES", "DataFileError", "Column", "Schema", "schema_path", "read_schema", "validate_records",
           "load_table", "write_table_atomic", "append_rows"]

TYPES = {"str", "int", "float", "bool"}


class DataFileError(ValueError):
    """A data or schema file does not match what the compendium expects."""


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, type, unit and meaning."""

    name: str
    type: str
    unit: str
    description: str
    required: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Schema:
    """A table's documented schema, read from ``<table>.schema.yaml``."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def schema_path(csv_path: Path) -> Path:
    """The schema file that documents ``csv_path``."""
    return csv_path.with_name(csv_path.name.removesuffix(".csv") + ".schema.yaml")


def read_schema(path: Path) -> Schema:
    """Parse a schema YAML file; raise :class:`DataFileError` if malformed."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError as exc:
        raise DataFileError(f"schema file {path} is missing") from exc
    except yaml.YAMLError as exc:
        raise DataFileError(f"schema file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or "columns" not in raw:
        raise DataFileError(f"schema file {path} must be a mapping with a 'columns' list")
    columns = []
    for i, c in enumerate(raw["columns"]):
        missing = {"name", "type", "unit", "description"} - set(c)
        if missing:
            raise DataFileError(f"schema file {path}: column #{i} lacks {sorted(missing)}")
        if c["type"] not in TYPES:
            raise DataFileError(
                f"schema file {path}: column {c['name']!r} has unknown type {c['type']!r}"
            )
        columns.append(
            Column(
                name=c["name"],
                type=c["type"],
                unit=str(c["unit"]),
                description=c["description"],
                required=bool(c.get("required", True)),
                allowed=tuple(c["allowed"]) if c.get("allowed") else None,
                minimum=c.get("minimum"),
                pattern=c.get("pattern"),
            )
        )
    return Schema(
        name=raw.get("name", Path(path).stem),
        description=raw.get("description", ""),
        columns=tuple(columns),
        primary_key=tuple(raw.get("primary_key", ())),
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _coerce(value: Any, column: Column, where: str) -> Any:
    """Convert one cell to the column's type or raise a named error."""
    if _is_missing(value):
        if column.required:
            raise DataFileError(f"{where}: column {column.name!r} is required but empty")
        return None
    try:
        if column.type == "str":
            out: Any = str(value)
        elif column.type == "int":
            f = float(value)
            if not f.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            out = int(f)
        elif column.type == "float":
            out = float(value)
            if math.isnan(out):
                raise ValueError("NaN")
        else:
            text = str(value).strip().lower()
            if text not in {"true", "false", "1", "0"}:
                raise ValueError(f"{value!r} is not a boolean")
            out = text in {"true", "1"}
    except (TypeError, ValueError) as exc:
        raise DataFileError(
            f"{where}: column {column.name!r} expects {column.type}, got {value!r} ({exc})"
        ) from None
    if column.allowed is not None and str(out) not in column.allowed:
        raise DataFileError(
            f"{where}: column {column.name!r} has {out!r}, allowed: {', '.join(column.allowed)}"
        )
    if column.minimum is not None and column.type in {"int", "float"} and out < column.minimum:
        raise DataFileError(
            f"{where}: column {column.name!r} is {out!r}, below its minimum {column.minimum}"
        )
    if column.pattern is not None and not re.fullmatch(column.pattern, str(out)):
        raise DataFileError(
            f"{where}: column {column.name!r} value {out!r} does not match {column.pattern!r}"
        )
    return out


def validate_records(records: Iterable[Mapping[str, Any]], schema: Schema, source: str) -> list[dict]:
    """Check and type-convert records against ``schema``.

    Unknown or missing columns, type errors, disallowed values and duplicate
    primary keys raise :class:`DataFileError` naming ``source`` and the row.
    """
    out = []
    seen: dict[tuple, int] = {}
    for i, rec in enumerate(records):
        where = f"{source} row {i + 1}"
        extra = set(rec) - set(schema.names)
        if extra:
            raise DataFileError(f"{where}: unknown columns {sorted(extra)} (not in the schema)")
        row = {c.name: _coerce(rec.get(c.name), c, where) for c in schema.columns}
        if schema.primary_key:
            key = tuple(row[k] for k in schema.primary_key)
            if key in seen:
                raise DataFileError(
                    f"{where}: duplicate key {dict(zip(schema.primary_key, key))} "
                    f"(first at row {seen[key]})"
                )
            seen[key] = i + 1
        out.append(row)
    return out


def _frame(rows: list[dict], schema: Schema) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=schema.names)
    for c in schema.columns:
        if c.type == "float":
            frame[c.name] = frame[c.name].astype("float64")
        elif c.type == "int":
            frame[c.name] = frame[c.name].astype("float64" if frame[c.name].isna().any() else "int64")
    return frame


def load_table(csv_path: str | Path) -> pd.DataFrame:
    """Read a CSV in ``data/`` and validate it against its schema.

    ``csv_path`` may be relative to ``data/`` (``"claims.csv"``) or absolute.
    Returns a DataFrame with the schema's columns, in order, and typed: a fresh copy each call. A table
    whose CSV and schema files are unchanged since the last call (same modification time and size) is
    not read and validated again.
    """
    path = Path(csv_path)
    if not path.is_absolute():
        path = paths.data_dir() / path
    try:
        stamps = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in (path, schema_path(path)))
    except FileNotFoundError:
        return _read_table(path)
    return _read_table_cached(str(path), stamps).copy()


@functools.lru_cache(maxsize=64)
def _read_table_cached(path: str, stamps: tuple) -> pd.DataFrame:
    return _read_table(Path(path))


def _read_table(path: Path) -> pd.DataFrame:
    schema = read_schema(schema_path(path))
    if not path.exists():
        raise DataFileError(f"data file {path} is missing")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(f"data file {path} is not a readable CSV: {exc}") from exc
    header = list(raw.columns)
    if header != schema.names:
        missing = [n for n in schema.names if n not in header]
        extra = [n for n in header if n not in schema.names]
        raise DataFileError(
            f"data file {path} does not match its schema {schema_path(path).name}: "
            f"missing columns {missing}, unknown columns {extra}"
            + ("" if missing or extra else ", columns out of order")
        )
    rows = validate_records(raw.to_dict("records"), schema, str(path))
    return _frame(rows, schema)


def write_table_atomic(csv_path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` to ``csv_path`` through a temporary file and a rename."""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{csv_path.name}.", suffix=".tmp", dir=csv_path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            frame.to_csv(fh, index=False, lineterminator="\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, csv_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_rows(csv_path: str | Path, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Validate ``records`` and append them to ``csv_path`` atomically.

    The existing file (if any) is validated first, the union is validated as a
    whole (so duplicate keys are caught), and only then is the file replaced.
    On any error the file on disk is untouched. Returns the new full table.
    """
    path = Path(csv_path)
    if not path.is_absolute():
        path = paths.data_dir() / path
    schema = read_schema(schema_path(path))
    existing = load_table(path).to_dict("records") if path.exists() else []
    new = list(records)
    validate_records(new, schema, f"new records for {path}")
    rows = validate_records(existing + new, schema, str(path))
    frame = _frame(rows, schema)
    write_table_atomic(path, frame)
    return frame
