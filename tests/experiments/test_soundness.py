"""chasm.experiments.soundness: an honest proof verifies; a flipped byte or a changed output does not."""

from __future__ import annotations

import json
import pytest

from chasm.core.specs import ModelSpec
from chasm.experiments import prove
from chasm.experiments import soundness
from chasm.experiments.models import build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mlp_proof(tmp_path_factory):
    """One real proof of a tiny MLP, artefacts kept for the tamper tests."""
    workdir = tmp_path_factory.mktemp("mlp-proof")
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    record = prove.prove(model, x, settings=prove.ProveSettings(threads=2), workdir=workdir, keep=True)
    return record, workdir


def test_flipped_proof_byte_fails_verification(mlp_proof):
    _, workdir = mlp_proof
    for index in (0, None):
        name = soundness.tamper_proof_byte(workdir, index=index, out=f"flipped_{index}.json")
        assert soundness.verify_artifacts(workdir, name) is False


def test_changed_public_output_fails_verification(mlp_proof):
    _, workdir = mlp_proof
    name = soundness.tamper_public_output(workdir)
    original = json.loads((workdir / "proof.json").read_text())["instances"]
    changed = json.loads((workdir / name).read_text())["instances"]
    assert original != changed and original[0][1:] == changed[0][1:]
    assert soundness.verify_artifacts(workdir, name) is False
