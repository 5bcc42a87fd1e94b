"""chasm.core.data: schema-checked loading, named errors for bad files, atomic appends that never corrupt data/."""

from __future__ import annotations

import pandas as pd
import pytest
import os
from pathlib import Path

from chasm.core import data


SCHEMA = """\
name: runs
description: test table
primary_key: [run_id]
columns:
- {name: run_id, type: str, unit: '-', description: id, pattern: 'r[0-9]+'}
- {name: family, type: str, unit: '-', description: family, allowed: [mlp, cnn]}
- {name: prove_s, type: float, unit: s, description: prove time, minimum: 0}
- {name: rows, type: int, unit: rows, description: circuit rows}
- {name: ok, type: bool, unit: '-', description: finished}
- {name: note, type: str, unit: '-', description: free text, required: false}
"""


GOOD = "run_id,family,prove_s,rows,ok,note\nr1,mlp,1.5,1024,true,\nr2,cnn,2.25,2048,false,hello\n"


@pytest.fixture
def table(tmp_path) -> Path:
    (tmp_path / "runs.schema.yaml").write_text(SCHEMA)
    csv = tmp_path / "runs.csv"
    csv.write_text(GOOD)
    return csv


def write(csv: Path, text: str) -> Path:
    csv.write_text(text)
    return csv


def test_good_table_loads_typed(table):
    frame = data.load_table(table)
    assert list(frame.columns) == ["run_id", "family", "prove_s", "rows", "ok", "note"]
    assert frame["rows"].dtype == "int64" and frame["prove_s"].dtype == "float64"
    assert frame["ok"].tolist() == [True, False]
    assert frame["note"].tolist()[1] == "hello" and pd.isna(frame["note"].tolist()[0])


def test_relative_paths_resolve_under_data(monkeypatch, table):
    (table.parent / "data").mkdir()
    for f in ("runs.csv", "runs.schema.yaml"):
        os.replace(table.parent / f, table.parent / "data" / f)
    monkeypatch.setenv("CHASM_ROOT", str(table.parent))
    assert len(data.load_table("runs.csv")) == 2


@pytest.mark.parametrize("text, message", [
    ('run_id,family,prove_s,rows,ok,note\nr1,mlp,"1.5,1024,true,\n', "not a readable CSV"),
    ("run_id,family,prove_s,rows,ok\nr1,mlp,1.5,1024,true\n", "missing columns ['note']"),
    ("run_id,family,prove_s,rows,ok,note,extra\nr1,mlp,1.5,1024,true,,x\n", "unknown columns ['extra']"),
    ("family,run_id,prove_s,rows,ok,note\nmlp,r1,1.5,1024,true,\n", "columns out of order"),
    ("run_id,family,prove_s,rows,ok,note\nr1,mlp,fast,1024,true,\n", "row 1: column 'prove_s' expects float, got 'fast'"),
    ("run_id,family,prove_s,rows,ok,note\nr1,mlp,1.5,10.5,true,\n", "column 'rows' expects int"),
    ("run_id,family,prove_s,rows,ok,note\nr1,mlp,1.5,1024,maybe,\n", "column 'ok' expects bool"),
    ("run_id,family,prove_s,rows,ok,note\nr1,rnn,1.5,1024,true,\n", "column 'family' has 'rnn', allowed: mlp, cnn"),
    ("run_id,family,prove_s,rows,ok,note\nr1,mlp,-1,1024,true,\n", "column 'prove_s' is -1.0, below its minimum 0"),
    ("run_id,family,prove_s,rows,ok,note\nx1,mlp,1,1024,true,\n", "column 'run_id' value 'x1' does not match"),
    ("run_id,family,prove_s,rows,ok,note\nr1,mlp,,1024,true,\n", "column 'prove_s' is required but empty"),
    ("run_id,family,prove_s,rows,ok,note\nr1,mlp,1,1,true,\nr1,cnn,2,2,true,\n", "row 2: duplicate key {'run_id': 'r1'} (first at row 1)"),
])
def test_bad_files_raise_a_named_error(table, text, message):
    write(table, text)
    with pytest.raises(data.DataFileError) as err:
        data.load_table(table)
    assert message in str(err.value)
    assert str(table) in str(err.value)


def test_missing_files_are_named(tmp_path, table):
    with pytest.raises(data.DataFileError, match="schema file .*nothing.schema.yaml is missing"):
        data.load_table(tmp_path / "nothing.csv")
    table.unlink()
    with pytest.raises(data.DataFileError, match="data file .*runs.csv is missing"):
        data.load_table(table)


@pytest.mark.parametrize("schema, message", [
    ("columns: [", "is not valid YAML"),
    ("just a string", "must be a mapping with a 'columns' list"),
    ("columns:\n- {name: a, type: str, unit: '-'}\n", "column #0 lacks ['description']"),
    ("columns:\n- {name: a, type: decimal, unit: '-', description: d}\n", "unknown type 'decimal'"),
])
def test_bad_schemas_raise_a_named_error(table, schema, message):
    (table.parent / "runs.schema.yaml").write_text(schema)
    with pytest.raises(data.DataFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        data.load_table(table)


def test_append_rows_adds_valid_rows(table):
    data.append_rows(table, [{"run_id": "r3", "family": "mlp", "prove_s": 3.0, "rows": 4096, "ok": True}])
    frame = data.load_table(table)
    assert frame["run_id"].tolist() == ["r1", "r2", "r3"]
    assert frame.loc[2, "rows"] == 4096


def test_append_rows_creates_a_new_file(tmp_path, table):
    new = tmp_path / "fresh.csv"
    (tmp_path / "fresh.schema.yaml").write_text(SCHEMA)
    data.append_rows(new, [{"run_id": "r9", "family": "cnn", "prove_s": 1, "rows": 8, "ok": False}])
    assert data.load_table(new)["run_id"].tolist() == ["r9"]


@pytest.mark.parametrize("record, message", [
    ({"run_id": "r1", "family": "mlp", "prove_s": 1, "rows": 1, "ok": True}, "duplicate key"),
    ({"run_id": "r3", "family": "gpt", "prove_s": 1, "rows": 1, "ok": True}, "allowed: mlp, cnn"),
    ({"run_id": "r3", "family": "mlp", "prove_s": "slow", "rows": 1, "ok": True}, "expects float"),
    ({"run_id": "r3", "family": "mlp", "prove_s": 1, "rows": 1, "ok": True, "gpu": 1}, "unknown columns ['gpu']"),
    ({"run_id": "r3", "family": "mlp", "rows": 1, "ok": True}, "'prove_s' is required but empty"),
])
def test_append_rows_leaves_the_file_untouched_on_bad_input(table, record, message):
    before = table.read_bytes()
    good = {"run_id": "r4", "family": "cnn", "prove_s": 1, "rows": 1, "ok": True}
    with pytest.raises(data.DataFileError) as err:
        data.append_rows(table, [good, record])
    assert message in str(err.value)
    assert table.read_bytes() == before
    assert sorted(p.name for p in table.parent.iterdir()) == ["runs.csv", "runs.schema.yaml"]


def test_append_rows_refuses_to_extend_a_corrupt_file(table):
    write(table, "run_id,family,prove_s,rows,ok,note\nr1,mlp,oops,1,true,\n")
    before = table.read_bytes()
    with pytest.raises(data.DataFileError, match="expects float"):
        data.append_rows(table, [{"run_id": "r3", "family": "mlp", "prove_s": 1, "rows": 1, "ok": True}])
    assert table.read_bytes() == before


def test_atomic_write_keeps_the_old_file_when_writing_fails(table, monkeypatch):
    before = table.read_bytes()
    frame = data.load_table(table)

    def broken_to_csv(self, fh, **kwargs):
        fh.write("run_id,fam")  # a partial write, then the process "dies"
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(OSError, match="disk full"):
        data.write_table_atomic(table, frame)
    assert table.read_bytes() == before
    assert sorted(p.name for p in table.parent.iterdir()) == ["runs.csv", "runs.schema.yaml"]


def test_atomic_write_replaces_in_one_step(table, monkeypatch):
    """The target is only ever replaced by a rename of a complete temporary file."""
    frame = data.load_table(table)
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((Path(src).read_text(), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    data.write_table_atomic(table, frame)
    assert len(renames) == 1 and renames[0][1] == table
    assert renames[0][0] == table.read_text()
    assert data.load_table(table).equals(frame)


@pytest.mark.parametrize("table", ["architectures.csv", "query.csv", "measurements/layouts.csv"])
def test_data_files_match_their_schemas(table):
    frame = data.load_table(table)
    assert len(frame) > 0


def test_booleans_read_as_written(table):
    """``true``/``1`` are True and ``false``/``0`` are False, whatever the case."""
    write(table, "run_id,family,prove_s,rows,ok,note\n" + "".join(
        f"r{i},mlp,1,1,{text},\n" for i, text in enumerate(["1", "0", "True", "FALSE", "true", "false"])))
    assert data.load_table(table)["ok"].tolist() == [True, False, True, False, True, False]
    schema = data.read_schema(data.schema_path(table))
    rows = data.validate_records([{"run_id": f"r{i}", "family": "cnn", "prove_s": 1, "rows": 1, "ok": v}
                                  for i, v in enumerate((1, 0, True, False))], schema, "records")
    assert [r["ok"] for r in rows] == [True, False, True, False]


def test_atomic_write_keeps_its_temporary_file_beside_the_target(table, monkeypatch, tmp_path_factory):
    """The temporary file is made in the target's folder, never in the system's temporary folder
    (a rename across filesystems is not atomic)."""
    import tempfile

    elsewhere = tmp_path_factory.mktemp("system-tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(Path(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    data.write_table_atomic(table, data.load_table(table))
    assert len(seen) == 1 and seen[0].parent == table.parent and seen[0] != table
    assert list(elsewhere.iterdir()) == []


def test_cells_are_read_as_written_text(table):
    """Cells are text until the schema types them: 'NA' and '007' in a text column stay as written, and a
    value at a column's minimum is allowed."""
    write(table, "run_id,family,prove_s,rows,ok,note\nr1,mlp,0,1,true,NA\nr2,mlp,0.5,2,true,007\n")
    frame = data.load_table(table)
    assert frame["note"].tolist() == ["NA", "007"] and frame["prove_s"].tolist() == [0.0, 0.5]
    write(table, "run_id,family,prove_s,rows,ok,note\nr1,mlp,0,1,true,007\nr2,mlp,0.5,2,true,1e3\n")
    assert data.load_table(table)["note"].tolist() == ["007", "1e3"]


def test_an_empty_table_and_empty_columns_keep_their_schema(table, tmp_path):
    write(table, "run_id,family,prove_s,rows,ok,note\n")
    empty = data.load_table(table)
    assert list(empty.columns) == ["run_id", "family", "prove_s", "rows", "ok", "note"] and empty.empty
    (tmp_path / "t.schema.yaml").write_text(
        "name: t\ncolumns:\n- {name: k, type: str, unit: '-', description: key}\n"
        "- {name: n, type: int, unit: rows, description: d, required: false}\n"
        "- {name: x, type: float, unit: s, description: d, required: false}\n")
    frame = data.load_table(write(tmp_path / "t.csv", "k,n,x\na,,\nb,,\n"))
    assert frame["n"].dtype == "float64" and frame["x"].dtype == "float64"


def test_only_a_reordered_header_is_called_out_of_order(table):
    write(table, "run_id,family,prove_s,rows,ok\nr1,mlp,1.5,1024,true\n")
    with pytest.raises(data.DataFileError) as err:
        data.load_table(table)
    assert "missing columns ['note']" in str(err.value) and "out of order" not in str(err.value)


def test_schema_defaults_and_a_mapping_without_columns(table):
    (table.parent / "runs.schema.yaml").write_text("columns:\n- {name: a, type: str, unit: '-', description: d}\n")
    schema = data.read_schema(table.parent / "runs.schema.yaml")
    assert (schema.description, schema.primary_key) == ("", ())
    assert data.read_schema(table.parent / "runs.schema.yaml").description == ""
    (table.parent / "other.schema.yaml").write_text(SCHEMA)
    assert data.read_schema(table.parent / "other.schema.yaml").description == "test table"
    assert schema.columns[0].description == "d" and schema.column("a").type == "str"
    with pytest.raises(KeyError):
        schema.column("b")
    (table.parent / "runs.schema.yaml").write_text("name: runs\n")
    with pytest.raises(data.DataFileError, match="must be a mapping with a 'columns' list"):
        data.read_schema(table.parent / "runs.schema.yaml")


def test_append_rows_resolves_relative_paths_under_data_and_creates_folders(tmp_path, monkeypatch):
    (tmp_path / "data" / "deep").mkdir(parents=True)
    (tmp_path / "data" / "deep" / "runs.schema.yaml").write_text(SCHEMA)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    data.append_rows("deep/runs.csv", [{"run_id": "r1", "family": "mlp", "prove_s": 1, "rows": 1, "ok": True}])
    assert data.load_table(tmp_path / "data" / "deep" / "runs.csv")["run_id"].tolist() == ["r1"]
    target = tmp_path / "new" / "folders" / "runs.csv"
    data.write_table_atomic(target, data.load_table("deep/runs.csv"))
    assert target.read_text() == (tmp_path / "data" / "deep" / "runs.csv").read_text()


def test_optional_whole_numbers_and_their_minimum(tmp_path):
    """An int column with an empty cell is read as floats (NaN where empty); an int column's minimum is checked."""
    (tmp_path / "t.schema.yaml").write_text(
        "name: t\ncolumns:\n- {name: k, type: str, unit: '-', description: key}\n"
        "- {name: n, type: int, unit: rows, description: d, required: false, minimum: 0}\n")
    csv = write(tmp_path / "t.csv", "k,n\na,3\nb,\n")
    frame = data.load_table(csv)
    assert frame["n"].dtype == "float64" and frame["n"].iloc[0] == 3 and pd.isna(frame["n"].iloc[1])
    schema = data.read_schema(tmp_path / "t.schema.yaml")
    assert schema.name == "t" and schema.column("n").unit == "rows"
    write(csv, "k,n\na,-1\n")
    with pytest.raises(data.DataFileError, match="below its minimum 0"):
        data.load_table(csv)
