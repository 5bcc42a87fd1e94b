"""chasm.experiments.prove: a real proof in a child process, per-phase timings and memory, the memory ceiling."""

from __future__ import annotations

import pytest

from chasm.core import constants
from chasm.core.specs import ModelSpec
from chasm.experiments import prove
from chasm.experiments import soundness
from chasm.experiments.models import build


@pytest.fixture(scope="module")
def mlp_proof(tmp_path_factory):
    """One real proof of a tiny MLP, artefacts kept for the tamper tests."""
    workdir = tmp_path_factory.mktemp("mlp-proof")
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    record = prove.prove(model, x, settings=prove.ProveSettings(threads=2), workdir=workdir, keep=True)
    return record, workdir


@pytest.mark.slow
def test_tiny_mlp_proof_verifies(mlp_proof):
    record, workdir = mlp_proof
    assert record["status"] == "ok", record.get("error")
    assert record["verified"] is True
    assert soundness.verify_artifacts(workdir) is True
    for phase in constants.PHASES:
        assert record[f"{phase}_s"] >= 0
        assert record[f"{phase}_peak_rss_bytes"] > 0
    assert record["num_rows"] <= 2 ** record["logrows"]
    assert record["proof_bytes"] == (workdir / "proof.json").stat().st_size
    assert record["infer_s"] > 0 and record["infer_reps"] >= 30
    # ezkl's own compute time cannot exceed the Python-side wall time of the phase
    assert 0 < record["prove_compute_s"] <= record["prove_s"]
    # the quantised circuit computes the same function as the float model
    assert record["output_rel_err"] < 0.1


@pytest.mark.slow
@pytest.mark.parametrize("spec", [
    ModelSpec("cnn", {"channels": 1, "depth": 1, "size": 4}),
    ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1, "activation": "gelu"}),
], ids=lambda s: s.family)
def test_each_family_proves(spec):
    model, x = build(spec)
    record = prove.prove(model, x, settings=prove.ProveSettings(threads=2))
    assert record["status"] == "ok", record.get("error")
    assert record["verified"] is True


@pytest.mark.slow
def test_memory_ceiling_kills_child_and_is_recorded():
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    record = prove.prove(model, x, max_mem_bytes=50 * 2**20)  # far below the interpreter itself
    assert record["status"] == "killed"
    assert "max-mem" in record["error"]


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="calibration_target"):
        prove.ProveSettings(calibration_target="fast")
    with pytest.raises(ValueError, match="visibility"):
        prove.ProveSettings(input_visibility="broadcast")
