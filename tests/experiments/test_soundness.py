"""chasm.experiments.soundness: an honest proof verifies; a flipped byte or a changed output does not."""

from __future__ import annotations

import json
import pytest

from chasm.experiments import soundness

pytestmark = pytest.mark.slow


def test_flipped_proof_byte_fails_verification(tiny_mlp_proof):
    _, workdir = tiny_mlp_proof
    for index in (0, None):
        name = soundness.tamper_proof_byte(workdir, index=index, out=f"flipped_{index}.json")
        assert soundness.verify_artifacts(workdir, name) is False


def test_changed_public_output_fails_verification(tiny_mlp_proof):
    _, workdir = tiny_mlp_proof
    name = soundness.tamper_public_output(workdir)
    original = json.loads((workdir / "proof.json").read_text())["instances"]
    changed = json.loads((workdir / name).read_text())["instances"]
    assert original != changed and original[0][1:] == changed[0][1:]
    assert soundness.verify_artifacts(workdir, name) is False
