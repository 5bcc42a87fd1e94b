"""One JSTprove proof, phase by phase, inside JSTprove's own Python (run as a script, not imported).

JSTprove 2.12.1 ships only for CPython 3.12, the project runs on 3.11, so this file is executed by the
interpreter of ``.venv-jstprove`` (:func:`chasm.experiments.jstprove_gateway.interpreter`) as a plain
script: it imports nothing of ``chasm``, only the standard library, ``jstprove``, ``msgpack`` and
``zstandard`` (pinned in ``requirements-jstprove.txt``). The parent
(:func:`chasm.experiments.jstprove_gateway.prove`) prepares a folder with ``model.onnx``,
``input.json`` (the flattened input, floats) and ``job.json``, and reads back ``result.json`` (or
``error.json``, and ``progress.json`` after a kill).

Two modes (``job.json`` ``"mode"``):

- ``prove``: the input as JSTprove's msgpack, then ``compile`` -> ``witness`` -> ``prove`` -> ``verify``,
  each timed (wall seconds, ``<phase>_s``) with its own peak resident memory (``<phase>_peak_rss_bytes``,
  the kernel's ``VmHWM`` reset through ``/proc/self/clear_refs`` at the start of each phase, as in
  :mod:`chasm.experiments.prove`); then the circuit's output, decoded from the witness and divided by
  JSTprove's fixed-point multiplier, so the parent can compare it with the float model.
- ``tamper``: on a folder whose honest proof was kept, verify (1) the proof with one byte flipped (the
  container's checksum catches it), (2) the proof with its first sum-check round message changed by one
  and re-sealed with a correct checksum (the mathematics must catch it), (3) the proof claiming another
  output (re-sealed) and (4) the honest proof against an input whose first element is changed; each must
  be rejected (``verify`` returns False or raises).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

__all__ = ["read_artifact", "main"]

#: JSTprove's artefact header: 3 magic bytes ``JST``, format bytes, the body's length (u64, little
#: endian) and a checksum; the body is one zstandard frame holding msgpack.
_HEADER_BYTES = 20


def read_artifact(path: Path) -> dict:
    """A JSTprove file (circuit, witness or proof) decoded to Python objects (msgpack in zstandard)."""
    import msgpack
    import zstandard

    raw = Path(path).read_bytes()
    if raw[:3] != b"JST":
        raise ValueError(f"{path} is not a JSTprove artefact (no JST header)")
    body = zstandard.ZstdDecompressor().decompressobj().decompress(raw[_HEADER_BYTES:])
    return msgpack.unpackb(body, strict_map_key=False)


def _crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum of a JSTprove artefact's compressed body."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    c = 0xFFFFFFFF
    for byte in data:
        c = table[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _write_artifact(path: Path, header: bytes, obj) -> None:
    """Write ``obj`` as a JSTprove artefact with ``header``'s format bytes, a new length and checksum."""
    import msgpack
    import zstandard

    body = zstandard.ZstdCompressor().compress(msgpack.packb(obj))
    Path(path).write_bytes(header[:8] + len(body).to_bytes(8, "little") + _crc32c(body).to_bytes(4, "little") + body)


def _nudge_first_leaf(value):
    """``value`` with its first integer (or first byte) changed by one: a field element altered."""
    if isinstance(value, bool):
        return not value, True
    if isinstance(value, int):
        return value ^ 1, True
    if isinstance(value, (bytes, bytearray)) and value:
        return bytes([value[0] ^ 1]) + bytes(value[1:]), True
    if isinstance(value, list):
        for i, item in enumerate(value):
            new, done = _nudge_first_leaf(item)
            if done:
                return value[:i] + [new] + value[i + 1:], True
    if isinstance(value, dict):
        for key, item in value.items():
            new, done = _nudge_first_leaf(item)
            if done:
                return {**value, key: new}, True
    return value, False


def _altered_transcript(proof: Path, out: Path) -> str:
    """Write to ``out`` the proof with the first sum-check round message changed by one, re-sealed (new
    length and checksum), so the verifier must reject it on the mathematics, not on the container."""
    label = "Sumcheck round univariate evaluations"
    obj = read_artifact(proof)
    for op in obj["transcript"]["operations"]:
        kind, payload = next(iter(op.items()))
        if payload[0] == label:
            op[kind] = [payload[0], _nudge_first_leaf(payload[1])[0], *payload[2:]]
            break
    else:
        raise ValueError(f"{proof} has no {label!r} in its transcript")
    _write_artifact(out, Path(proof).read_bytes()[:_HEADER_BYTES], obj)
    return label


def _peak_reset() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _write(workdir: Path, name: str, payload: dict) -> None:
    tmp = workdir / f".{name}.tmp"
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, workdir / name)


class _Phases:
    def __init__(self, workdir: Path):
        self.workdir, self.record = workdir, {}

    @contextlib.contextmanager
    def phase(self, name: str):
        _write(self.workdir, "progress.json", {"phase": name, "record": self.record})
        _peak_reset()
        t0 = time.perf_counter()
        yield
        self.record[f"{name}_s"] = time.perf_counter() - t0
        self.record[f"{name}_peak_rss_bytes"] = _peak_rss_bytes()


def _write_input(values: list[float], path: Path) -> None:
    import msgpack

    path.write_bytes(msgpack.packb({"input": [float(v) for v in values]}))


def _verify(circuit, proof: Path, data: Path) -> tuple[bool, str | None]:
    """``circuit.verify`` as (accepted, error text): an exception counts as a rejection, and so does a
    panic of JSTprove's Rust code (pyo3's ``PanicException`` derives from ``BaseException``)."""
    try:
        return bool(circuit.verify(str(proof), str(data))), None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001  (a rejected proof raises, or panics)
        return False, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}"


def _prove(workdir: Path) -> None:
    from jstprove import Circuit

    phases = _Phases(workdir)
    f = {k: workdir / k for k in ("model.onnx", "input.msgpack", "model.circuit", "witness.bin", "proof.bin")}
    _write_input(json.loads((workdir / "input.json").read_text()), f["input.msgpack"])
    with phases.phase("compile"):
        circuit = Circuit.compile(str(f["model.onnx"]), str(f["model.circuit"]))
    with phases.phase("witness"):
        circuit.generate_witness(str(f["input.msgpack"]), str(f["witness.bin"]))
    with phases.phase("prove"):
        circuit.prove(str(f["witness.bin"]), str(f["proof.bin"]))
    with phases.phase("verify"):
        verified, why = _verify(circuit, f["proof.bin"], f["input.msgpack"])
    compiled = read_artifact(f["model.circuit"])
    alpha = float(compiled["scale_config"]["alpha"])
    outputs = read_artifact(f["witness.bin"])["shreds"]["expected_output"]
    _write(workdir, "result.json", {
        **phases.record,
        "verified": verified, "status": "ok" if verified else "error",
        "failed_phase": None if verified else "verify",
        "error": None if verified else f"honest proof did not verify ({why or 'verify returned False'})",
        "outputs": [v / alpha for v in outputs], "scale_bits": int(alpha).bit_length() - 1,
        "proof_bytes": f["proof.bin"].stat().st_size, "compiled_bytes": f["model.circuit"].stat().st_size,
    })


def _other_output(proof: Path, out: Path) -> None:
    """Write to ``out`` the proof claiming another output (its first ``expected_output`` plus one quantum),
    re-sealed: the verifier takes the output from the proof, so it must not accept it."""
    obj = read_artifact(proof)
    obj["expected_output"] = [obj["expected_output"][0] + 1, *obj["expected_output"][1:]]
    _write_artifact(out, Path(proof).read_bytes()[:_HEADER_BYTES], obj)


def _tamper(workdir: Path) -> None:
    from jstprove import Circuit

    circuit = Circuit.compile(str(workdir / "model.onnx"), str(workdir / "tamper.circuit"))
    flipped = workdir / "proof-flipped.bin"
    shutil.copy(workdir / "proof.bin", flipped)
    raw = bytearray(flipped.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    flipped.write_bytes(bytes(raw))
    flip_ok, flip_why = _verify(circuit, flipped, workdir / "input.msgpack")
    altered = workdir / "proof-altered.bin"
    _altered_transcript(workdir / "proof.bin", altered)
    alter_ok, alter_why = _verify(circuit, altered, workdir / "input.msgpack")
    claimed = workdir / "proof-other-output.bin"
    _other_output(workdir / "proof.bin", claimed)
    output_ok, output_why = _verify(circuit, claimed, workdir / "input.msgpack")
    values = json.loads((workdir / "input.json").read_text())
    values[0] += 1.0
    changed = workdir / "input-changed.msgpack"
    _write_input(values, changed)
    input_ok, input_why = _verify(circuit, workdir / "proof.bin", changed)
    _write(workdir, "result.json", {"flipped_byte_accepted": flip_ok, "flipped_byte_error": flip_why,
                                    "altered_transcript_accepted": alter_ok, "altered_transcript_error": alter_why,
                                    "other_output_accepted": output_ok, "other_output_error": output_why,
                                    "changed_input_accepted": input_ok, "changed_input_error": input_why})


def main(argv: list[str] | None = None) -> int:
    """``python jstprove_child.py WORKDIR``: run the job of ``WORKDIR/job.json``."""
    args = sys.argv[1:] if argv is None else argv
    workdir = Path(args[0])
    try:
        job = json.loads((workdir / "job.json").read_text())
        (_tamper if job.get("mode") == "tamper" else _prove)(workdir)
        return 0
    except BaseException as exc:  # recorded, never silent: the parent reads error.json
        state = {}
        with contextlib.suppress(Exception):
            state = json.loads((workdir / "progress.json").read_text())
        _write(workdir, "error.json", {"status": "error", "failed_phase": state.get("phase"),
                                       "error": f"{type(exc).__name__}: {exc}",
                                       "traceback": traceback.format_exc(), **state.get("record", {})})
        return 1


if __name__ == "__main__":
    sys.exit(main())
