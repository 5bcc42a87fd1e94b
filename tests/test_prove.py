"""End-to-end proofs with ezkl: a proof verifies, tampered proofs do not."""

from __future__ import annotations

import json

import pytest
import torch

from chasm import prove as P
from chasm.models import ModelSpec, build


@pytest.fixture(scope="module")
def mlp_proof(tmp_path_factory):
    """One real proof of a tiny MLP, artefacts kept for the tamper tests."""
    workdir = tmp_path_factory.mktemp("mlp-proof")
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    record = P.prove(model, x, settings=P.ProveSettings(threads=2), workdir=workdir, keep=True)
    return record, workdir


def test_tiny_mlp_proof_verifies(mlp_proof):
    record, workdir = mlp_proof
    assert record["status"] == "ok", record.get("error")
    assert record["verified"] is True
    assert P.verify_artifacts(workdir) is True
    for phase in P.PHASES:
        assert record[f"{phase}_s"] >= 0
        assert record[f"{phase}_peak_rss_bytes"] > 0
    assert record["num_rows"] <= 2 ** record["logrows"]
    assert record["proof_bytes"] == (workdir / "proof.json").stat().st_size
    assert record["infer_s"] > 0 and record["infer_reps"] >= 30
    # ezkl's own compute time cannot exceed the Python-side wall time of the phase
    assert 0 < record["prove_compute_s"] <= record["prove_s"]
    # the quantised circuit computes the same function as the float model
    assert record["output_rel_err"] < 0.1


def test_flipped_proof_byte_fails_verification(mlp_proof):
    _, workdir = mlp_proof
    for index in (0, None):
        name = P.tamper_proof_byte(workdir, index=index, out=f"flipped_{index}.json")
        assert P.verify_artifacts(workdir, name) is False


def test_changed_public_output_fails_verification(mlp_proof):
    _, workdir = mlp_proof
    name = P.tamper_public_output(workdir)
    original = json.loads((workdir / "proof.json").read_text())["instances"]
    changed = json.loads((workdir / name).read_text())["instances"]
    assert original != changed and original[0][1:] == changed[0][1:]
    assert P.verify_artifacts(workdir, name) is False


@pytest.mark.parametrize("spec", [
    ModelSpec("cnn", {"channels": 1, "depth": 1, "size": 4}),
    ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1, "activation": "gelu"}),
], ids=lambda s: s.family)
def test_each_family_proves(spec):
    model, x = build(spec)
    record = P.prove(model, x, settings=P.ProveSettings(threads=2))
    assert record["status"] == "ok", record.get("error")
    assert record["verified"] is True


class Sort(torch.nn.Module):
    def forward(self, x):
        return torch.sort(x, dim=-1).values


class NonZero(torch.nn.Module):
    def forward(self, x):
        return torch.nonzero(x > 0).float()


def test_unsupported_operator_is_named_before_running():
    # torch.sort exports as a TopK whose k is read from the input's shape at run time
    with pytest.raises(P.UnsupportedOpError, match=r"operator Topk \(node /TopK\)"):
        P.check_model(Sort(), torch.randn(1, 8))
    with pytest.raises(P.UnsupportedOpError, match="NonZero"):
        P.check_model(NonZero(), torch.randn(1, 8))
    record = P.prove(Sort(), torch.randn(1, 8))
    assert record["status"] == "unsupported" and "TopK" in record["error"]
    assert "calibrate_s" not in record  # refused before any ezkl pipeline phase ran


def test_supported_building_blocks_pass_the_check():
    model, x = build(ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1}))
    P.check_model(model, x)  # raises if the family's own operators were refused


def test_memory_ceiling_kills_child_and_is_recorded():
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    record = P.prove(model, x, max_mem_bytes=50 * 2**20)  # far below the interpreter itself
    assert record["status"] == "killed"
    assert "max-mem" in record["error"]


def test_parse_ezkl_log_reads_unpadded_milliseconds():
    text = "x VK took 1.240\ny PK took 2.5\nproof took 3.437\nverify took 0.3\nloaded proving key in 121.5ms"
    out = P.parse_ezkl_log(text)
    assert out == {"setup_vk_compute_s": 1.24, "setup_pk_compute_s": 2.005, "prove_compute_s": 3.437,
                   "verify_compute_s": 0.003, "pk_load_s": pytest.approx(0.1215)}


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="calibration_target"):
        P.ProveSettings(calibration_target="fast")
    with pytest.raises(ValueError, match="visibility"):
        P.ProveSettings(input_visibility="hashed")
