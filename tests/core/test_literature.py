"""chasm.core.literature: the published record loads, obeys its cross-row rules, and normalises per token."""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from chasm.core import data, literature


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return literature.load_literature()


def _copy_table(tmp_path, edit):
    """A copy of the committed table (with its schema) in ``tmp_path``, its first row changed by ``edit``."""
    src = literature.literature_path()
    dst = tmp_path / "literature.csv"
    shutil.copy(data.schema_path(src), data.schema_path(dst))
    raw = pd.read_csv(src, dtype=str, keep_default_na=False)
    edit(raw)
    raw.to_csv(dst, index=False)
    return dst


def test_schema_loads_and_rules_hold(frame):
    assert literature.check_literature(frame) == []
    assert frame["row_id"].is_unique
    schema = data.read_schema(data.schema_path(literature.literature_path()))
    assert schema.column("proof_family").allowed == literature.PROOF_FAMILIES
    for name in ("prove_s", "verify_s"):
        assert schema.column(name).unit == "s"
    for name in ("proof_bytes", "prover_memory_bytes"):
        assert schema.column(name).unit == "bytes"


def test_every_row_has_a_source_and_a_measure_in_its_units(frame):
    assert frame["source"].str.strip().str.len().gt(0).all()
    measured = frame[list(literature.MEASURES)].notna().any(axis=1)
    assert measured.all(), frame.loc[~measured, "row_id"].tolist()
    assert (frame[list(literature.MEASURES)].fillna(0) >= 0).all().all()
    assert frame["year"].between(*literature.YEAR_RANGE).all()
    assert (frame["tokens_proven"].dropna() >= 1).all()


def test_record_is_broad_enough(frame):
    assert len(frame) >= 15
    assert frame["proof_family"].nunique() >= 4
    assert {"plonkish_kzg", "gkr_sumcheck", "lookup", "stark_zkvm"} <= set(frame["proof_family"])
    assert frame["confirmed"].sum() >= 15


def _setter(**cells):
    """An edit for :func:`_copy_table` that sets ``cells`` of the first row (text, as in the CSV file)."""
    def edit(raw):
        for column, value in cells.items():
            raw.loc[0, column] = value
    return edit


NO_MEASURE = {name: "" for name in literature.MEASURES}


@pytest.mark.parametrize(("edit", "rule"), [
    (_setter(**NO_MEASURE), "measure"),
    (_setter(year="2031"), "year"),
    (_setter(tokens_proven="0"), "tokens_proven"),
    (_setter(source="   "), "source"),
])
def test_cross_row_rules_reject_a_bad_row(tmp_path, edit, rule):
    bad = _copy_table(tmp_path, edit)
    with pytest.raises(literature.LiteratureError, match=rf"rule '{rule}'"):
        literature.load_literature(bad)


def test_literature_error_is_a_data_file_error(tmp_path):
    bad = _copy_table(tmp_path, _setter(year="2031"))
    with pytest.raises(data.DataFileError):
        literature.load_literature(bad)


def test_schema_rejects_an_unknown_family(tmp_path):
    bad = _copy_table(tmp_path, _setter(proof_family="groth16"))
    with pytest.raises(data.DataFileError, match="proof_family"):
        literature.load_literature(bad)


def test_normalised_divides_by_tokens_then_params():
    rows = pd.DataFrame({
        "row_id": ["tok", "notok", "noparams"],
        "prove_s": [456.0, 21.8, 30.6],
        "tokens_proven": [512.0, math.nan, 64.0],
        "params": [124_000_000.0, 125_000_000.0, math.nan],
    })
    out = literature.normalised(rows)
    assert out.loc[0, "prove_s_per_token"] == pytest.approx(456.0 / 512)
    assert out.loc[0, "prove_s_per_param_token"] == pytest.approx(456.0 / 512 / 124e6)
    assert out.loc[1, "prove_s_per_token"] == pytest.approx(21.8)
    assert out.loc[1, "prove_s_per_param_token"] == pytest.approx(21.8 / 125e6)
    assert math.isnan(out.loc[2, "prove_s_per_param_token"])
    assert "prove_s_per_token" not in rows


def test_normalised_on_a_committed_row(frame):
    out = literature.normalised(frame).set_index("row_id")
    assert out.loc["deepprove_gpt2_512tok", "prove_s_per_token"] == pytest.approx(456.0 / 512)
    assert out.loc["zkgpt_llama2_13b", "prove_s_per_param_token"] == pytest.approx(1154.6 / 13e9)
