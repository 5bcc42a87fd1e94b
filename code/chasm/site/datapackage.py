"""The tables of ``data/`` as a Frictionless Data package: ``python -m chasm.site.datapackage [--check]``.

``datapackage.json`` at the repository's root describes every table of ``data/`` (each CSV file with a
``<name>.schema.yaml`` beside it) for Frictionless tools (``frictionless validate datapackage.json``),
and is generated from those schema files alone, so the two cannot drift: a column's type, unit,
meaning and constraints are read from its schema (:func:`chasm.core.data.read_schema`), never typed
twice. The test suite checks that the committed file equals :func:`render` and that it validates
against the data. The book copies it, with the tables, into the built site
(:mod:`chasm.site.sphinxext`), so a reader can take the data away.

How the schema's types map to Frictionless (Table Schema) types, and how the CSV files encode values
(they are written by pandas through :func:`chasm.core.data.write_table_atomic`):

- ``str`` -> ``string``; ``float`` -> ``number``; ``bool`` -> ``boolean`` (written ``True``/``False``,
  or ``true``/``false`` in hand-written tables; :data:`TRUE_VALUES`, :data:`FALSE_VALUES`);
- ``int`` -> ``integer`` for a required column; an optional ``int`` column -> ``number`` with
  ``"wholeNumber": true``, since pandas holds a column with empty cells as floats and writes its
  whole numbers as ``7.0``, which Table Schema's ``integer`` refuses (:func:`chasm.core.data.load_table`
  still checks that every such cell is whole);
- an empty cell is a missing value (:data:`MISSING_VALUES`); ``required`` (the schema's default),
  ``allowed`` (``enum``), ``minimum`` and ``pattern`` become constraints; ``primary_key`` becomes the
  primary key. A column's unit is kept as the custom field property ``unit``, beside ``description``.

Row counts, sizes and hashes are left out on purpose: a sweep that appends rows changes no schema and
must not make the package stale.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from chasm.core import paths
from chasm.core.data import Column, read_schema, schema_path

__all__ = ["PACKAGE_FILE", "PACKAGE_NAME", "FIELD_TYPES", "TRUE_VALUES", "FALSE_VALUES", "MISSING_VALUES",
           "table_files", "field_descriptor", "resource_descriptor", "package_descriptor", "render", "write",
           "main"]

#: Where the package lives, relative to the repository's root (and to the built site's root).
PACKAGE_FILE = "datapackage.json"
PACKAGE_NAME = "proof-cost-chasm"
#: Schema type -> Table Schema type (an optional ``int`` column is a ``number``; see the module's text).
FIELD_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
MISSING_VALUES = [""]

_TITLE = "The Proof-Cost Chasm: data"
_DESCRIPTION = (
    "Every table of the compendium 'The Proof-Cost Chasm', which tests with measurements the claim that "
    "proving AI inference with zero-knowledge proofs (ezkl) costs so much more than running it that "
    "verification must centralise: the article's claims, the assumptions behind the pricing, the frontier "
    "architectures and query shape, the committed ezkl proving, layout, linking and range-check "
    "measurements, and simulation results. Each table is a CSV file described column by column (type, "
    "unit, meaning) by the schema file beside it, from which this package is generated."
)
_KEYWORDS = ["zero-knowledge proofs", "zkML", "ezkl", "halo2", "measurements", "reproducibility"]


def table_files(root: Path | None = None) -> list[str]:
    """Every table of ``data/``: paths, relative to ``root``, of the CSV files (sorted); each must have
    its schema beside it."""
    root = root or paths.repo_root()
    found = []
    for csv in sorted((root / "data").rglob("*.csv"), key=lambda p: p.relative_to(root).as_posix()):
        if not schema_path(csv).is_file():
            raise FileNotFoundError(f"{csv.relative_to(root)} has no schema {schema_path(csv).name} beside it")
        found.append(csv.relative_to(root).as_posix())
    return found


def field_descriptor(column: Column, *, key: bool = False) -> dict:
    """The Table Schema field of one column (``key``: the column is part of the primary key)."""
    kind = FIELD_TYPES[column.type]
    whole = column.type == "int" and not column.required
    out: dict = {"name": column.name, "type": "number" if whole else kind,
                 "description": " ".join(column.description.split()), "unit": column.unit}
    if whole:
        out["wholeNumber"] = True
    if column.type == "bool":
        out["trueValues"], out["falseValues"] = TRUE_VALUES, FALSE_VALUES
    constraints: dict = {}
    if column.required or key:
        constraints["required"] = True
    if column.allowed is not None:
        constraints["enum"] = list(column.allowed)
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if column.pattern is not None:
        constraints["pattern"] = column.pattern
    if constraints:
        out["constraints"] = constraints
    return out


def resource_descriptor(csv_rel: str, root: Path | None = None) -> dict:
    """The tabular data resource of one table (``csv_rel``: its CSV path relative to ``root``)."""
    root = root or paths.repo_root()
    schema_file = schema_path(root / csv_rel)
    schema = read_schema(schema_file)
    keys = set(schema.primary_key)
    table_schema: dict = {"fields": [field_descriptor(c, key=c.name in keys) for c in schema.columns],
                          "missingValues": MISSING_VALUES}
    if schema.primary_key:
        table_schema["primaryKey"] = list(schema.primary_key)
    return {
        "name": schema.name,
        "profile": "tabular-data-resource",
        "path": csv_rel,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": " ".join(schema.description.split()),
        "schemaFile": schema_file.relative_to(root).as_posix(),
        "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
        "schema": table_schema,
    }


def _version(root: Path) -> str | None:
    """The ``chasm`` package's version (pyproject.toml), which CITATION.cff states too."""
    pyproject = root / "pyproject.toml"
    return tomllib.loads(pyproject.read_text())["project"]["version"] if pyproject.is_file() else None


def package_descriptor(root: Path | None = None) -> dict:
    """The whole package: every table of ``data/`` as a resource, in path order."""
    root = root or paths.repo_root()
    out = {"profile": "tabular-data-package", "name": PACKAGE_NAME, "title": _TITLE, "description": _DESCRIPTION,
           "version": _version(root), "keywords": _KEYWORDS,
           "resources": [resource_descriptor(t, root) for t in table_files(root)]}
    return {k: v for k, v in out.items() if v is not None}


def render(root: Path | None = None) -> str:
    """``datapackage.json`` as it should read: the descriptor as indented JSON, ending in a newline."""
    return json.dumps(package_descriptor(root), indent=2, ensure_ascii=False) + "\n"


def write(target: Path | None = None, root: Path | None = None) -> Path:
    """Write :func:`render` to ``target`` (default ``<root>/datapackage.json``); return its path."""
    root = root or paths.repo_root()
    target = target or root / PACKAGE_FILE
    target.write_text(render(root))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when datapackage.json differs from what the schemas give")
    args = parser.parse_args(argv)
    root = paths.repo_root()
    if args.check:
        current = root / PACKAGE_FILE
        if not current.is_file() or current.read_text() != render(root):
            print(f"{current} is stale: run python -m chasm.site.datapackage", file=sys.stderr)
            return 1
        print(f"{current} matches the schemas of data/")
        return 0
    print(f"wrote {write(root=root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
