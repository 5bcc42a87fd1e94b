"""Reading a circuit's prover constants from ezkl's artefacts (chasm.experiments.circuit_constants).

Fast tests parse synthetic artefacts written in the formats the readers document; the slow test
runs ezkl on a tiny circuit and checks the counts against independent sources (the proof's real
size, the proving key's real size, the setup log) and that a tampered verifier is caught.
"""

from __future__ import annotations

import json
import re
import shutil
import struct

import pytest

from chasm.core import data
from chasm.experiments import circuit_constants as cc
from chasm.experiments.layouts import Circuit

# ------------------------------------------------------------------ synthetic artefacts


def _poly(length: int) -> bytes:
    return struct.pack(">I", length) + b"\x01" * (cc.SCALAR_BYTES * length)


def _slice(count: int, length: int) -> bytes:
    return (struct.pack(">I", count) + struct.pack(f">{count}I", *[length] * count)
            + b"".join(_poly(length) for _ in range(count)))


def _keys(tmp_path, k=4, e=2, n_fixed=3, n_perm=5, n_sel=2):
    n, ext = 2 ** k, 2 ** (k + e)
    vk = (bytes([cc.VK_VERSION, k, 1]) + struct.pack("<I", n_fixed) + b"\x02" * (cc.POINT_BYTES * (n_fixed + n_perm))
          + b"\x03" * (n_sel * ((n + 7) // 8)))
    pk = (vk + _poly(ext) * 3 + _slice(n_fixed, n) + _slice(n_fixed, n) + _slice(n_fixed, ext)
          + _slice(n_perm, n) + _slice(n_perm, n) + _slice(n_perm, ext))
    (tmp_path / "vk.key").write_bytes(vk)
    (tmp_path / "pk.key").write_bytes(pk)
    return tmp_path / "vk.key", tmp_path / "pk.key"


def _sol(blocks, n_evals, n_fixed, n_perm, proof_len=None):
    """The lines of a rendered verifier that :func:`read_verifier` reads (as the template writes them)."""
    points = sum(blocks) + cc.OPENING_COMMITMENTS
    proof_len = proof_len or cc.POINT_BYTES * points + cc.SCALAR_BYTES * n_evals
    first = 0x04e4
    lines = [f"uint256 internal constant FIRST_QUOTIENT_X_CPTR = {hex(first)};",
             f"uint256 internal constant  LAST_QUOTIENT_X_CPTR = {hex(first + 64 * (blocks[-1] - 1))};",
             f"success := and(success, eq({hex(proof_len)}, proof.length))"]
    for i, b in enumerate(blocks, 1):
        lines += [f"// Phase {i}", "for", f"    {{ let proof_cptr_end := add(proof_cptr, {hex(64 * b)}) }}"]
    lines += ["// Read evaluations", "for", f"    {{ let proof_cptr_end := add(proof_cptr, {hex(32 * n_evals)}) }}"]
    lines += [f"mstore(0x1, 0x2) // fixed_comms[{i}].x" for i in range(n_fixed)]
    lines += [f"mstore(0x1, 0x2) // permutation_comms[{i}].x" for i in range(n_perm)]
    return "\n".join(lines) + "\n}"


def test_keys_are_parsed_to_their_end(tmp_path):
    vk, pk = _keys(tmp_path)
    got = cc.read_keys(vk, pk)
    assert got == {"k": 4, "extended_factor_log2": 2, "n_fixed": 3, "n_permutation": 5, "n_selectors": 2,
                   "compress_selectors": True, "vk_bytes": vk.stat().st_size, "pk_bytes": pk.stat().st_size,
                   "pk_bytes_predicted": pk.stat().st_size}


def test_a_truncated_or_foreign_key_is_refused(tmp_path):
    vk, pk = _keys(tmp_path)
    pk.write_bytes(pk.read_bytes()[:-32])
    with pytest.raises(ValueError):
        cc.read_keys(vk, pk)
    _keys(tmp_path)
    vk.write_bytes(bytes([cc.VK_VERSION, 4, 1]) + struct.pack("<I", 4) + vk.read_bytes()[7:])
    with pytest.raises(ValueError, match="does not start"):
        cc.read_keys(vk, pk)


def test_predicted_pk_bytes_grows_by_the_documented_bytes_per_row():
    # per row: 32 bytes x ((fixed + permutation) x (2 + 2^e) + 3 x 2^e) + selectors / 8
    one, two = cc.predicted_pk_bytes(10, 2, 12, 8, 16), cc.predicted_pk_bytes(11, 2, 12, 8, 16)
    assert two - one == 2 ** 10 * (32 * (20 * 6 + 12) + 16 / 8)


def test_degree_bounds_follow_the_extended_domain():
    assert cc.degree_bounds(1) == (3, 3)
    assert cc.degree_bounds(2) == (4, 5)
    assert cc.degree_bounds(3) == (6, 9)


def test_verifier_counts_with_lookups():
    # the tiny MLP: 6 advice, 4 lookups, 8 permutation columns at degree 5 (3 products), 4 quotient pieces
    got = cc.read_verifier(_sol([6, 4, 3 + 4 + 1, 4], 48, 12, 8))
    assert got == {"advice_per_phase": [6], "n_advice": 6, "n_lookups": 4, "n_permutation": 8, "n_fixed": 12,
                   "n_permutation_products": 3, "n_quotient": 4, "degree": 5, "n_evals": 48, "n_queries": 19,
                   "proof_bytes": 3072}
    assert cc.predicted_proof_bytes(got) == 3072
    assert cc.committed_polys_per_row(got) == 6 + 2 * 4 + 3


def test_verifier_counts_with_two_phases_and_no_lookup():
    got = cc.read_verifier(_sol([6, 12, 2 + 0 + 1, 8], 60, 10, 9))
    assert got["advice_per_phase"] == [6, 12] and got["n_lookups"] == 0
    assert got["degree"] == 9 and got["n_permutation_products"] == 2


def test_a_verifier_whose_proof_length_disagrees_is_refused():
    with pytest.raises(ValueError, match="proof length"):
        cc.read_verifier(_sol([6, 4, 8, 4], 48, 12, 8, proof_len=3104))
    with pytest.raises(ValueError):
        cc.read_verifier("contract Empty {}")


def test_setup_log_numbers():
    text = ("ezkl.graph DEBUG degree: 4, log2_ceil of degrees: 2.0\n"
            "ezkl.graph DEBUG circuit size: \n {\n  \"logrows\": 15,\n  \"num_advice_columns\": 6,\n"
            "  \"num_challenges\": 0,\n  \"num_fixed\": 3,\n  \"num_instances\": 1,\n  \"num_selectors\": 16\n}\n"
            "halo2_proofs.plonk.circuit DEBUG max gate degree: 4\n"
            "halo2_proofs.plonk.keygen DEBUG Creating domain with degree 5\n")
    assert cc.read_log(text) == {"domain_degree": 5, "max_gate_degree": 4, "n_advice": 6, "n_instance": 1,
                                 "n_fixed_configured": 3, "n_selectors": 16, "n_challenges": 0}
    assert cc.read_log("")["domain_degree"] is None


def test_proof_bytes_are_the_transcript_not_the_json(tmp_path):
    path = tmp_path / "proof.json"
    path.write_text(json.dumps({"proof": list(range(96)), "hex_proof": "0x" + "00" * 96, "instances": [[]]}))
    assert cc.read_proof(path) == {"proof_bytes": 96, "proof_json_bytes": path.stat().st_size}


def test_plans():
    assert [c.family for c in cc.plan("quick")] == ["mlp"]
    default = cc.plan("default")
    assert {c.family for c in default} == {"mlp", "cnn", "transformer", "llama"}
    assert {c.run_args.get("disable_freivalds", False) for c in default if c.family == "transformer"} == {False, True}
    with pytest.raises(ValueError):
        cc.plan("nope")


def test_the_committed_table_matches_its_schema_and_its_own_identities():
    path = data.paths.data_dir() / cc.TABLE
    if not path.exists():
        pytest.skip("no circuit_constants.csv committed yet")
    t = data.load_table(path)
    assert (t["committed_polys_per_row"] == t["n_advice"] + 2 * t["n_lookups"] + t["n_permutation_products"]).all()
    assert (t["n_quotient"] == t["degree"] - 1).all()
    assert ((t["degree_low"] <= t["degree"]) & (t["degree"] <= t["degree_high"])).all()
    proven = t["proof_bytes"].notna()
    assert (t.loc[proven, "proof_bytes"] == t.loc[proven, "proof_bytes_predicted"]).all()


# ------------------------------------------------------------------ ezkl


@pytest.mark.slow
def test_a_tiny_circuit_read_from_ezkl_agrees_with_its_proof_and_keys(tmp_path):
    circuit = Circuit("mlp", {"width": 4, "depth": 1}, {"num_inner_cols": 1})
    row = cc.measure(circuit, tmp_path / "run", prove=True)
    assert row["verified"] is True
    # independent sources: the proof ezkl wrote, the key files' sizes (both checked inside constants)
    assert row["proof_bytes"] == row["proof_bytes_predicted"]
    assert row["sources"] == "verifier+keys+log+proof"
    # ezkl's base gate: three advice VarTensors of num_inner_cols columns; one instance column (public output)
    assert row["n_advice"] == 3 * circuit.full_run_args["num_inner_cols"]
    assert row["n_instance"] == 1
    assert row["degree_low"] <= row["degree"] <= row["degree_high"]
    assert row["pk_bytes"] == cc.predicted_pk_bytes(row["logrows"], row["extended_factor_log2"], row["n_fixed"],
                                                   row["n_permutation"], row["n_selectors"])
    # a verifier with one fixed commitment fewer than the keys is caught
    tampered = tmp_path / "tampered"
    shutil.copytree(tmp_path / "run", tampered)
    sol = (tampered / "verifier.sol").read_text()
    last = max(int(i) for i in re.findall(r"fixed_comms\[(\d+)\]\.x", sol))
    (tampered / "verifier.sol").write_text(sol.replace(f"fixed_comms[{last}].x", "dropped"))
    with pytest.raises(ValueError, match="fixed columns"):
        cc.constants(tampered)
