"""On-chain verification measured in an EVM: the ABI encoding, and a real ezkl verifier that accepts the
honest proof and rejects a flipped byte and a changed output."""

import shutil

import pytest

from chasm.core.specs import ModelSpec
from chasm.experiments import evm


def test_calldata_is_the_abi_encoding_of_verify_proof():
    cd = evm.abi_calldata(b"\x01\x02\x03", [5, 2**255])
    words = [cd[4 + 32 * i: 4 + 32 * (i + 1)] for i in range((len(cd) - 4) // 32)]
    assert cd[:4] == bytes.fromhex("1e8e1e13") and (len(cd) - 4) % 32 == 0
    assert int.from_bytes(words[0], "big") == 0x40  # offset of the bytes argument
    assert int.from_bytes(words[1], "big") == 0x80  # offset of the array: 0x40 + 32 (length) + 32 (data)
    assert int.from_bytes(words[2], "big") == 3 and words[3] == b"\x01\x02\x03" + bytes(29)
    assert int.from_bytes(words[4], "big") == 2 and [int.from_bytes(w, "big") for w in words[5:]] == [5, 2**255]
    assert len(evm.abi_calldata(bytes(64), [])) == 4 + 32 * 6  # two offsets, length, two words, array length


def test_missing_tools_say_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setenv("CHASM_CACHE", str(tmp_path))
    with pytest.raises(evm.EvmToolsError, match="make evm-tools"):
        evm.ensure_tools()


def _tools_ready() -> bool:
    try:
        evm.ensure_tools()
    except evm.EvmToolsError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _tools_ready(), reason="the EVM tools are not installed (make evm-tools)")
def test_ezkl_verifier_accepts_the_proof_and_rejects_tampering_in_an_evm(tiny_mlp_proof, tmp_path):
    # the session's shared proof of this model (tests/conftest.py), copied: the verifier and the tampered
    # proofs are written beside it
    record, proved = tiny_mlp_proof
    shutil.copytree(proved, tmp_path / "proof")
    row = evm.measure_proof(ModelSpec("mlp", {"width": 8, "depth": 1}), record, tmp_path / "proof")
    assert row["honest_accepted"] and row["flipped_rejected"] and row["wrong_output_rejected"]
    # A KZG (BN254) verifier makes one pairing check of two pairs (45,000 + 2 x 34,000 gas, EIP-1108):
    # more than that, and far less than a block.
    assert 113_000 < row["exec_gas"] < 5_000_000
    assert row["calldata_bytes"] == 4 + 32 * 4 + row["proof_raw_bytes"] + 32 * row["instances"]
    assert 0 <= row["calldata_zero_bytes"] < row["calldata_bytes"]
    assert row["runtime_bytes"] <= 24576  # EIP-170: it could be deployed


def test_measure_proves_the_model_with_ezkl_and_names_a_model_it_could_not_prove(monkeypatch, tmp_path):
    calls = []

    def failed(prover, model, x, **kwargs):
        calls.append((prover, tuple(x.shape), kwargs))
        return {"status": "failed", "error": "too many rows"}

    monkeypatch.setattr(evm.provers, "prove", failed)
    spec = ModelSpec("mlp", {"width": 8, "depth": 1})
    with pytest.raises(RuntimeError, match=r"mlp.*too many rows"):
        evm.measure(spec, tmp_path, threads=3)
    assert calls == [("ezkl", (1, 8), {"threads": 3, "keep": True, "workdir": tmp_path})]
