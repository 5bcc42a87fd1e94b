"""Soundness, shown: verify a proof left by :func:`chasm.experiments.prove.prove` and forge wrong ones.

A proof is only worth its cost if a wrong one fails. :func:`tamper_proof_byte` inverts one byte of the
proof transcript; :func:`tamper_public_output` keeps the honest transcript but claims another public
output (one unit of the fixed-point grid). :func:`verify_artifacts` must accept the honest proof and
refuse both forgeries.
"""

from __future__ import annotations

import json
from pathlib import Path

from chasm.experiments import ezkl_gateway as gw

__all__ = ["verify_artifacts", "tamper_proof_byte", "tamper_public_output"]


def verify_artifacts(workdir: Path, proof_file: str = "proof.json") -> bool:
    """Verify a proof in ``workdir`` (as left by ``prove(..., keep=True)``).

    Returns ``False`` both when ezkl answers False and when it rejects the
    proof with an error (a malformed or tampered proof may do either).
    """
    workdir = Path(workdir)
    settings = json.loads((workdir / "settings.json").read_text())
    srs, _ = gw.ensure_srs(int(settings["run_args"]["logrows"]))
    try:
        with gw.quiet():
            return gw.verify(workdir / proof_file, workdir / "settings.json", workdir / "vk.key", srs)
    except Exception:  # noqa: BLE001  (ezkl raises RuntimeError/ValueError subclasses)
        return False


def tamper_proof_byte(workdir: Path, index: int | None = None, out: str = "proof_flipped.json") -> str:
    """Write a copy of the proof with one byte of the proof transcript inverted.

    ``index`` defaults to the middle of the transcript. Returns the file name.
    """
    workdir = Path(workdir)
    proof = json.loads((workdir / "proof.json").read_text())
    raw = bytearray(proof["proof"])
    i = len(raw) // 2 if index is None else index
    raw[i] ^= 0xFF
    proof["proof"] = list(raw)
    proof["hex_proof"] = "0x" + raw.hex()
    (workdir / out).write_text(json.dumps(proof))
    return out


def tamper_public_output(workdir: Path, out: str = "proof_wrong_output.json") -> str:
    """Write a copy of the proof whose first public output is changed by one unit.

    The proof transcript is untouched: only the claimed public output differs,
    which is what a dishonest prover claiming another answer would submit.
    """
    workdir = Path(workdir)
    proof = json.loads((workdir / "proof.json").read_text())
    felt = proof["instances"][0][0]  # little-endian hex field element
    value = int.from_bytes(bytes.fromhex(felt), "little") + 1
    proof["instances"][0][0] = value.to_bytes(32, "little").hex()
    (workdir / out).write_text(json.dumps(proof))
    return out
