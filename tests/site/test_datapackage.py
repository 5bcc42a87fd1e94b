"""chasm.site.datapackage: datapackage.json is generated from the schema files, is current, and
validates against the data with frictionless; CITATION.cff is current."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import frictionless
import pytest
import yaml

from chasm.core import paths
from chasm.core.data import read_schema, schema_path
from chasm.site import datapackage

ROOT = paths.repo_root()


def _problems(report) -> list:
    return report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]


def _tiny_root(tmp_path: Path, rows: str = "a,1,,True\nb,2,3.0,false\n") -> Path:
    """A repository with one table whose optional int column holds ``3.0`` (as pandas writes it)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.schema.yaml").write_text(yaml.safe_dump({
        "name": "t", "description": "A  tiny\ntable.", "primary_key": ["key"],
        "columns": [
            {"name": "key", "type": "str", "unit": "-", "description": "Key", "pattern": "[a-z]+"},
            {"name": "count", "type": "int", "unit": "runs", "description": "Runs", "minimum": 1},
            {"name": "maybe", "type": "int", "unit": "rows", "description": "Rows", "required": False},
            {"name": "ok", "type": "bool", "unit": "-", "description": "Passed"},
        ]}))
    (tmp_path / "data" / "t.csv").write_text("key,count,maybe,ok\n" + rows)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "9.9.9"\n')
    return tmp_path


def test_committed_package_is_the_generated_one():
    assert (ROOT / datapackage.PACKAGE_FILE).read_text() == datapackage.render(ROOT), \
        "datapackage.json is stale: run `.venv/bin/python -m chasm.site.datapackage`"


def test_every_table_of_data_is_a_resource():
    package = json.loads((ROOT / datapackage.PACKAGE_FILE).read_text())
    tables = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "data").rglob("*.csv"))
    assert [r["path"] for r in package["resources"]] == tables
    names = [r["name"] for r in package["resources"]]
    assert len(set(names)) == len(names)


def test_fields_carry_the_schemas_types_units_and_meanings():
    package = datapackage.package_descriptor(ROOT)
    for resource in package["resources"]:
        schema = read_schema(schema_path(ROOT / resource["path"]))
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == schema.names
        for field, column in zip(fields, schema.columns):
            assert field["unit"] == column.unit
            assert field["description"] == " ".join(column.description.split())
            expected = "number" if column.type == "int" and not column.required else datapackage.FIELD_TYPES[column.type]
            assert field["type"] == expected, (resource["name"], column.name)
            assert field.get("constraints", {}).get("required", False) == (column.required or column.name in schema.primary_key)
        assert resource["schema"].get("primaryKey", []) == list(schema.primary_key)


def test_package_validates_with_frictionless():
    report = frictionless.validate(str(ROOT / datapackage.PACKAGE_FILE))
    assert report.valid, _problems(report)


def test_frictionless_command_line_validates_the_package():
    """What the issue asks for, word for word: ``frictionless validate datapackage.json``."""
    command = Path(sys.executable).parent / "frictionless"
    proc = subprocess.run([str(command), "validate", datapackage.PACKAGE_FILE], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_whole_numbers_with_empty_cells_validate_and_bad_cells_do_not(tmp_path):
    root = _tiny_root(tmp_path)
    package = datapackage.package_descriptor(root)
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["count"]["type"] == "integer" and fields["maybe"]["type"] == "number"
    assert fields["maybe"]["wholeNumber"] is True and fields["ok"]["trueValues"] == datapackage.TRUE_VALUES
    assert fields["key"]["constraints"] == {"required": True, "pattern": "[a-z]+"}
    assert package["version"] == "9.9.9" and package["resources"][0]["description"] == "A tiny table."
    datapackage.write(root=root)
    report = frictionless.validate(str(root / datapackage.PACKAGE_FILE))
    assert report.valid, _problems(report)

    for bad in ("a,1,,maybe\n", "a,1.5,,True\n", "a,0,,True\n", "A,1,,True\n", "a,1,,True\na,2,,True\n"):
        (root / "data" / "t.csv").write_text("key,count,maybe,ok\n" + bad)
        assert not frictionless.validate(str(root / datapackage.PACKAGE_FILE)).valid, bad


def test_a_table_without_a_schema_is_refused(tmp_path):
    root = _tiny_root(tmp_path)
    (root / "data" / "orphan.csv").write_text("x\n1\n")
    with pytest.raises(FileNotFoundError, match="orphan.csv has no schema"):
        datapackage.table_files(root)


def test_check_reports_a_stale_package_and_write_fixes_it(tmp_path, monkeypatch, capsys):
    root = _tiny_root(tmp_path)
    monkeypatch.setenv("CHASM_ROOT", str(root))
    assert datapackage.main(["--check"]) == 1
    assert datapackage.main([]) == 0
    assert datapackage.main(["--check"]) == 0
    schema = root / "data" / "t.schema.yaml"
    schema.write_text(schema.read_text().replace("unit: runs", "unit: proofs"))
    assert datapackage.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_the_site_copy_of_the_package_resolves(tmp_path):
    """Copied into a site with the tables under the same paths (as the book does), the package validates."""
    site = tmp_path / "site"
    for rel in datapackage.table_files(ROOT):
        for path in (rel, schema_path(ROOT / rel).relative_to(ROOT).as_posix()):
            (site / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / path, site / path)
    datapackage.write(site / datapackage.PACKAGE_FILE, ROOT)
    report = frictionless.validate(str(site / datapackage.PACKAGE_FILE))
    assert report.valid, _problems(report)


def test_citation_is_current():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    for key in ("cff-version", "message", "title", "authors", "version", "date-released", "abstract"):
        assert cff.get(key), f"CITATION.cff lacks {key}"
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert str(cff["version"]) == version == datapackage.package_descriptor(ROOT)["version"]
    datetime.date.fromisoformat(str(cff["date-released"]))
    abstract = " ".join(cff["abstract"].split())
    for topic in ("ezkl", "cost model", "scaling laws", "prices", "verdict", "datapackage.json"):
        assert topic in abstract, f"the abstract does not mention {topic!r}"
