"""chasm.experiments.soundness: an honest proof verifies; a flipped byte or a changed output does not."""

from __future__ import annotations

import json
import pytest

from chasm.experiments import soundness

@pytest.mark.slow
def test_flipped_proof_byte_fails_verification(tiny_mlp_proof):
    _, workdir = tiny_mlp_proof
    for index in (0, None):
        name = soundness.tamper_proof_byte(workdir, index=index, out=f"flipped_{index}.json")
        assert soundness.verify_artifacts(workdir, name) is False


@pytest.mark.slow
def test_changed_public_output_fails_verification(tiny_mlp_proof):
    _, workdir = tiny_mlp_proof
    name = soundness.tamper_public_output(workdir)
    original = json.loads((workdir / "proof.json").read_text())["instances"]
    changed = json.loads((workdir / name).read_text())["instances"]
    assert original != changed and original[0][1:] == changed[0][1:]
    assert soundness.verify_artifacts(workdir, name) is False


# --- fast: the forgeries and the verifier's answers, on a stated proof file and a stand-in for ezkl -----------


def _proof_dir(tmp_path):
    proof = {"proof": [0, 1, 2, 3, 250, 5, 6], "hex_proof": "0x00010203fa0506",
             "instances": [[(41).to_bytes(32, "little").hex(), "ab" * 32]], "other": "kept"}
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    (tmp_path / "settings.json").write_text(json.dumps({"run_args": {"logrows": 13}}))
    return tmp_path, proof


def test_a_flipped_byte_is_inverted_in_the_transcript_and_its_hex_by_known_answers(tmp_path):
    workdir, proof = _proof_dir(tmp_path)
    assert soundness.tamper_proof_byte(workdir) == "proof_flipped.json"
    middle = json.loads((workdir / "proof_flipped.json").read_text())
    assert middle["proof"] == [0, 1, 2, 252, 250, 5, 6] and middle["hex_proof"] == "0x000102fcfa0506"
    assert middle["instances"] == proof["instances"] and middle["other"] == "kept"
    assert soundness.tamper_proof_byte(workdir, index=4, out="b.json") == "b.json"
    assert json.loads((workdir / "b.json").read_text())["proof"] == [0, 1, 2, 3, 5, 5, 6]
    assert soundness.tamper_proof_byte(workdir, index=0, out="c.json") == "c.json"
    assert json.loads((workdir / "c.json").read_text())["hex_proof"] == "0xff010203fa0506"
    assert json.loads((workdir / "proof.json").read_text()) == proof  # the honest proof is left as it was


def test_a_changed_output_is_one_unit_more_in_the_first_instance_only(tmp_path):
    workdir, proof = _proof_dir(tmp_path)
    assert soundness.tamper_public_output(workdir) == "proof_wrong_output.json"
    forged = json.loads((workdir / "proof_wrong_output.json").read_text())
    assert forged["instances"] == [[(42).to_bytes(32, "little").hex(), "ab" * 32]]
    assert forged["proof"] == proof["proof"] and forged["hex_proof"] == proof["hex_proof"]
    assert soundness.tamper_public_output(workdir, out="x.json") == "x.json"
    assert json.loads((workdir / "proof.json").read_text()) == proof


def test_verification_reads_the_circuits_logrows_and_counts_an_error_as_a_refusal(tmp_path, monkeypatch):
    import contextlib

    workdir, _ = _proof_dir(tmp_path)
    calls, answer = [], {"value": True}
    quiet = []

    @contextlib.contextmanager
    def quiet_cm():
        quiet.append("entered")
        yield

    def verify(proof, settings, vk, srs):
        calls.append((proof, settings, vk, srs))
        if isinstance(answer["value"], Exception):
            raise answer["value"]
        return answer["value"]

    monkeypatch.setattr(soundness.gw, "ensure_srs", lambda logrows: (f"srs-{logrows}", "made"))
    monkeypatch.setattr(soundness.gw, "verify", verify)
    monkeypatch.setattr(soundness.gw, "quiet", quiet_cm)
    assert soundness.verify_artifacts(str(workdir)) is True
    assert calls == [(workdir / "proof.json", workdir / "settings.json", workdir / "vk.key", "srs-13")]
    assert quiet == ["entered"]
    answer["value"] = False
    assert soundness.verify_artifacts(workdir, "other.json") is False and calls[-1][0] == workdir / "other.json"
    answer["value"] = RuntimeError("malformed proof")
    assert soundness.verify_artifacts(workdir) is False
