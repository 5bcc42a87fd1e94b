"""The prover interface: both provers prove the same tiny MLP (one ONNX export each, same torch model),
fill the same columns of the measurements table, and reject tampered proofs."""

import json
import shutil

import pytest

from chasm.core import data, paths, provenance
from chasm.core.constants import PROOFS
from chasm.core.specs import ModelSpec, parameter_count
from chasm.experiments import jstprove_gateway as jg
from chasm.experiments import provers, soundness
from chasm.experiments.models import build

SPEC = ModelSpec("mlp", {"width": 8, "depth": 1})

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not jg.available(),
                                 reason="JSTprove's environment .venv-jstprove (CPython 3.12) is missing: "
                                        "make .venv-jstprove")]


@pytest.fixture(scope="module")
def proofs(tiny_mlp_proof, tmp_path_factory):
    """One kept proof of SPEC by each prover: ``{prover: (record, workdir)}``. ezkl's is the session's shared
    proof of SPEC (``tests/conftest.py``, the settings ``provers.prove`` uses, two threads), copied so that
    the tampered proofs written here stay here; JSTprove's is made here, one thread."""
    assert set(provers.PROVERS) == {"ezkl", "jstprove"}
    record, proved = tiny_mlp_proof
    ezkl_dir = tmp_path_factory.mktemp("ezkl") / "proof"
    shutil.copytree(proved, ezkl_dir)
    out = {"ezkl": (record, ezkl_dir)}
    workdir = tmp_path_factory.mktemp("jstprove")
    model, x = build(SPEC)
    out["jstprove"] = (provers.prove("jstprove", model, x, threads=1, keep=True, workdir=workdir), workdir)
    return out


def test_both_provers_verify_and_fill_the_same_columns_of_one_table(proofs, tmp_path):
    shutil.copy(data.schema_path(paths.data_dir() / PROOFS), tmp_path / "proofs.schema.yaml")
    rows = []
    for prover, (record, _) in proofs.items():
        assert record["status"] == "ok" and record["verified"] is True, record.get("error")
        assert record["prover"] == prover and record["prover_version"] == provers.version(prover)
        assert record["params"] == parameter_count(SPEC)
        for phase in ("compile", "witness", "prove", "verify"):
            assert record[f"{phase}_s"] > 0 and record[f"{phase}_peak_rss_bytes"] > 2**20
        # quantisation: close to the float model, not equal to it
        assert 0 < record["output_max_abs_err"] < 0.05 and 0 < record["output_rel_err"] < 0.2
        rows.append({**record, **provenance.machine(), "run_id": f"tiny-{prover}", "family": SPEC.family,
                     "config_id": SPEC.config_id, "config": SPEC.config_json, "repetition": 0,
                     "sweep_profile": "adhoc", "date_utc": provenance.utc_now()})
    table = data.append_rows(tmp_path / "proofs.csv", rows)  # validated against the schema, or raises
    assert list(table["prover"]) == ["ezkl", "jstprove"]
    assert list(table["calibration_target"]) == ["resources", "fixed"]
    jst = proofs["jstprove"][0]
    assert jst["input_scale"] == jst["param_scale"] == 18  # JSTprove's fixed 2^18
    # finer fixed point than ezkl's 2^7 for this family: a smaller error
    assert jst["output_max_abs_err"] < proofs["ezkl"][0]["output_max_abs_err"]


def test_jstprove_peak_memory_is_measured_per_phase(proofs):
    record, _ = proofs["jstprove"]
    # The high-water mark is reset at each phase: verifying (after proving) peaks lower than proving.
    # Without the reset, every later phase would report at least the proving peak.
    assert record["verify_peak_rss_bytes"] < record["prove_peak_rss_bytes"]
    assert record["compile_peak_rss_bytes"] < record["prove_peak_rss_bytes"]


def test_jstprove_rejects_a_flipped_byte_an_altered_transcript_another_output_and_a_changed_input(proofs):
    record, workdir = proofs["jstprove"]
    assert record["proof_bytes"] == (workdir / "proof.bin").stat().st_size
    checks = jg.tamper_checks(workdir)
    assert checks["flipped_byte_accepted"] is False and "CRC mismatch" in checks["flipped_byte_error"]
    assert checks["altered_transcript_accepted"] is False
    assert "sum of the current rounds evaluations" in checks["altered_transcript_error"]
    assert checks["other_output_accepted"] is False and checks["other_output_error"]
    assert checks["changed_input_accepted"] is False
    assert "public input" in checks["changed_input_error"]


def test_ezkl_rejects_a_flipped_byte_and_a_changed_output(proofs):
    _, workdir = proofs["ezkl"]
    assert soundness.verify_artifacts(workdir)
    assert not soundness.verify_artifacts(workdir, soundness.tamper_proof_byte(workdir))
    assert not soundness.verify_artifacts(workdir, soundness.tamper_public_output(workdir))


def test_an_unsupported_model_is_refused_by_name_by_each_prover():
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Softmax(dim=-1)).eval()
    with pytest.raises(provers.UnsupportedOpError, match="Softmax"):
        provers.check_model("jstprove", model, torch.zeros(1, 4))
    record = provers.prove("jstprove", model, torch.zeros(1, 4))
    assert record["status"] == "unsupported" and "Softmax" in record["error"]
    with pytest.raises(ValueError, match="unknown prover 'plonky'"):
        provers.prove("plonky", model, torch.zeros(1, 4))
    assert json.loads(record["input_shape"]) == [1, 4]
