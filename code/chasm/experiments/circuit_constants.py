"""The prover's constants of a compiled ezkl circuit, read from the artefacts ezkl writes.

The cost model (:mod:`chasm.costmodel.prover`) needs, per circuit: the polynomials the prover
commits per row, the constraint degree (hence the quotient pieces and the extended domain) and the
multi-scalar multiplications of the opening. This module reads them from four artefacts of one
ezkl pipeline instead of assuming them; each reader says where its numbers come from:

- :func:`read_verifier`: the Solidity verifier ezkl renders from the verifying key
  (``ezkl.create_evm_verifier``; zkonduit/ezkl-verifier ``ConstraintSystemMeta::new(vk.cs())``): the
  proof's commitments phase by phase, its evaluations, the fixed and permutation commitments. From
  them: advice columns per phase, lookup arguments, permutation columns and products, quotient
  pieces (constraint degree minus one). Exact.
- :func:`read_keys`: the proving and verifying keys (halo2 ``ProvingKey::write``,
  ``VerifyingKey::write``, ``SerdeFormat::RawBytes``): ``k``, the extended domain ``2^(k+e)``,
  fixed columns (after selector compression), permutation columns, selectors. Exact; the degree
  is only bounded by ``e`` (``2^(e-1) < degree - 1 <= 2^e``), an independent check of the verifier's.
- :func:`read_log`: ezkl's and halo2's debug log of ``setup``: the domain's degree, the largest
  gate degree and the configured columns (advice, instance, fixed before compression, selectors).
- :func:`read_proof`: the proof transcript's length, checked against the length the counts predict
  (:func:`predicted_proof_bytes`).

:func:`measure` runs the pipeline for one circuit of :mod:`chasm.experiments.layouts` (export,
settings, calibration, compile, SRS, setup, witness, prove, verify, verifier rendering) in a child
process and returns one row of ``data/measurements/circuit_constants.csv``. Command line
(resumable)::

    python -m chasm.experiments.circuit_constants [--plan default|quick] [--no-prove] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from chasm.core import data, paths, provenance
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments.layouts import LLAMA_PLAN, SCALE, Circuit, build

__all__ = ["TABLE", "POINT_BYTES", "SCALAR_BYTES", "VK_VERSION", "OPENING_COMMITMENTS", "MAX_LOGROWS_HERE",
           "read_keys", "read_verifier", "read_log", "read_proof", "predicted_proof_bytes", "predicted_pk_bytes",
           "degree_bounds", "committed_polys_per_row", "constants", "plan", "measure", "main"]

#: The table this module writes (relative to ``data/``).
TABLE = "measurements/circuit_constants.csv"
#: Bytes of a BN254 G1 point: in the keys (``SerdeFormat::RawBytes``, ezkl's ``EZKL_KEY_FORMAT``
#: default "raw-bytes": uncompressed x and y) and in the EVM transcript of a proof (x and y words).
POINT_BYTES = 64
#: Bytes of a BN254 scalar (a polynomial coefficient or evaluation).
SCALAR_BYTES = 32
#: Version byte halo2's ``VerifyingKey::write`` puts first (``const VERSION: u8 = 0x03``).
VK_VERSION = 3
#: Commitments of the SHPLONK (Bdfg21) multi-opening: ``h`` and ``h'`` (halo2
#: ``poly/kzg/multiopen/shplonk/prover.rs``; the verifier reads ``W`` and ``W'``). Each is one MSM.
OPENING_COMMITMENTS = 2
#: The largest circuit this module sets up (log2 rows), to keep each run small.
MAX_LOGROWS_HERE = 17


# ------------------------------------------------------------------ keys


def _u32(buf: bytes, at: int, order: str) -> int:
    return struct.unpack(order + "I", buf[at:at + 4])[0]


def _poly_slice(fh, at: int) -> tuple[int, list[int], int]:
    """A ``write_polynomial_slice`` at ``at``: ``(count, lengths, end offset)``. Count and lengths
    are big-endian u32; every polynomial repeats its length, then ``length`` scalars."""
    fh.seek(at)
    count = _u32(fh.read(4), 0, ">")
    lengths = list(struct.unpack(f">{count}I", fh.read(4 * count))) if count else []
    pos = at + 4 + 4 * count
    for length in lengths:
        fh.seek(pos)
        if _u32(fh.read(4), 0, ">") != length:
            raise ValueError(f"polynomial at byte {pos} does not repeat its length {length}")
        pos += 4 + SCALAR_BYTES * length
    return count, lengths, pos


def read_keys(vk_path: Path, pk_path: Path) -> dict:
    """Counts read from ezkl's ``vk.key`` and ``pk.key`` (halo2 ``VerifyingKey::write``,
    ``ProvingKey::write``; raw-bytes format). The proving key starts with the verifying key; then
    ``l0``, ``l_last``, ``l_active_row`` (extended domain), fixed values, fixed polynomials, fixed
    cosets, permutation values, polynomials and cosets, each polynomial of ``2^k`` or ``2^(k+e)``
    scalars. Returns ``k``, ``extended_factor_log2`` (``e``), ``n_fixed``, ``n_permutation``
    (columns), ``n_selectors`` (uncompressed selector columns, one bit per row each, stored in the
    vk), ``compress_selectors``, ``vk_bytes``, ``pk_bytes`` and ``pk_bytes_predicted``. Raises
    ``ValueError`` when a file does not parse to its end."""
    vk = Path(vk_path).read_bytes()
    if len(vk) < 7 or vk[0] != VK_VERSION:
        raise ValueError(f"{vk_path}: not a halo2 verifying key of version {VK_VERSION}")
    k, compress, n_fixed = vk[1], bool(vk[2]), _u32(vk, 3, "<")
    n = 2 ** k
    pk_bytes = Path(pk_path).stat().st_size
    with open(pk_path, "rb") as fh:
        if fh.read(len(vk)) != vk:
            raise ValueError(f"{pk_path} does not start with the verifying key {vk_path}")
        pos, lagrange = len(vk), []
        for _ in range(3):  # l0, l_last, l_active_row
            fh.seek(pos)
            lagrange.append(_u32(fh.read(4), 0, ">"))
            pos += 4 + SCALAR_BYTES * lagrange[-1]
        slices = []
        for _ in range(6):  # fixed values, polys, cosets; permutation values, polys, cosets
            count, lengths, pos = _poly_slice(fh, pos)
            slices.append((count, set(lengths)))
    if pos != pk_bytes:
        raise ValueError(f"{pk_path}: parsed {pos} of {pk_bytes} bytes")
    ext = lagrange[0]
    e = int(math.log2(ext // n)) if ext % n == 0 else -1
    if e < 0 or 2 ** e * n != ext or len(set(lagrange)) != 1:
        raise ValueError(f"{pk_path}: Lagrange polynomials of {lagrange} scalars for 2^{k} rows")
    for (count, lengths), want_count, want_len in zip(
            slices, [n_fixed] * 3 + [slices[3][0]] * 3, [n, n, ext] * 2):
        if count != want_count or (count and lengths != {want_len}):
            raise ValueError(f"{pk_path}: a slice of {count} polynomials of {lengths} scalars, want "
                             f"{want_count} of {want_len}")
    n_perm = slices[3][0]
    tail = len(vk) - 7 - POINT_BYTES * (n_fixed + n_perm)
    per_selector = (n + 7) // 8
    if tail < 0 or tail % per_selector or (tail and not compress):
        raise ValueError(f"{vk_path}: {tail} bytes after the commitments are not whole selector columns")
    out = {"k": k, "extended_factor_log2": e, "n_fixed": n_fixed, "n_permutation": n_perm,
           "n_selectors": tail // per_selector, "compress_selectors": compress, "vk_bytes": len(vk),
           "pk_bytes": pk_bytes}
    out["pk_bytes_predicted"] = predicted_pk_bytes(k, e, n_fixed, n_perm, out["n_selectors"])
    return out


def predicted_pk_bytes(k: int, e: int, n_fixed: int, n_permutation: int, n_selectors: int) -> int:
    """Bytes of ezkl's ``pk.key`` for these counts (halo2's ``ProvingKey::bytes_length`` for raw
    bytes): the vk (7 header bytes, fixed and permutation commitments, selectors as bits), three
    Lagrange polynomials on the extended domain, and for the fixed and the permutation columns
    their values and coefficients (``2^k`` scalars) and cosets (``2^(k+e)`` scalars)."""
    n, ext = 2 ** k, 2 ** (k + e)
    vk = 7 + POINT_BYTES * (n_fixed + n_permutation) + n_selectors * ((n + 7) // 8)

    def slice_bytes(count: int, length: int) -> int:
        return 4 + 4 * count + count * (4 + SCALAR_BYTES * length)

    return (vk + 3 * (4 + SCALAR_BYTES * ext)
            + sum(2 * slice_bytes(c, n) + slice_bytes(c, ext) for c in (n_fixed, n_permutation)))


def degree_bounds(extended_factor_log2: int) -> tuple[int, int]:
    """The constraint degrees ``d`` a domain extended by ``2^e`` admits: halo2's
    ``EvaluationDomain::new`` takes the least ``e`` with ``2^e >= d - 1``, so
    ``2^(e-1) + 2 <= d <= 2^e + 1`` (``d >= 3``, halo2's least degree, when ``e <= 1``)."""
    e = extended_factor_log2
    return (max(3, 2 ** (e - 1) + 2) if e >= 1 else 3), 2 ** e + 1


# ------------------------------------------------------------------ verifier, log, proof

_HEX = r"(0x[0-9a-fA-F]+)"


def read_verifier(sol: str) -> dict:
    """Counts read from ezkl's rendered Solidity verifier (``Halo2Verifier.sol``, rendered by
    zkonduit/ezkl-verifier from ``ConstraintSystemMeta::new(vk.cs())`` with mv-lookup).

    The verifier reads the proof in blocks of commitments ("Phase" loops): one per user phase
    (advice columns; a second phase appears with the Freivalds challenges), then the lookup
    multiplicities ``m`` (one per lookup argument, if any), then the permutation products, the
    lookup sums ``phi`` and the vanishing argument's random polynomial, then the quotient pieces
    (``degree - 1``); then ``num_evals`` evaluations and two opening commitments. Returns
    ``advice_per_phase``, ``n_advice``, ``n_lookups``, ``n_permutation`` (columns), ``n_fixed``,
    ``n_permutation_products``, ``n_quotient``, ``degree``, ``n_evals``, ``n_queries`` (advice and
    fixed queries), ``proof_bytes`` (the length the verifier accepts)."""
    proof_len = re.search(_HEX + r", proof\.length\)", sol)
    blocks = [int(h, 16) // POINT_BYTES for h in re.findall(
        r"// Phase \d+\s*for\s*\{ let proof_cptr_end := add\(proof_cptr, " + _HEX + r"\) \}", sol)]
    evals = re.search(r"// Read evaluations\s*for\s*\{ let proof_cptr_end := add\(proof_cptr, " + _HEX, sol)
    quotient = [re.search(name + r"\s*=\s*" + _HEX + ";", sol) for name in ("FIRST_QUOTIENT_X_CPTR",
                                                                            "LAST_QUOTIENT_X_CPTR")]
    if not (proof_len and evals and all(quotient)) or len(blocks) < 3:
        raise ValueError("not a rendered halo2 Solidity verifier (proof length, phases or evaluations missing)")
    n_fixed = len(set(re.findall(r"fixed_comms\[(\d+)\]\.x", sol)))
    n_perm = len(set(re.findall(r"permutation_comms\[(\d+)\]\.x", sol)))
    n_quotient = blocks[-1]
    first, last = (int(m.group(1), 16) for m in quotient)
    if (last - first) // POINT_BYTES + 1 != n_quotient:
        raise ValueError("quotient commitments disagree with the quotient pointers")
    degree = n_quotient + 1
    n_products = math.ceil(n_perm / (degree - 2)) if n_perm else 0
    n_lookups = blocks[-2] - n_products - 1
    if n_lookups < 0 or (n_lookups and blocks[-3] != n_lookups):
        raise ValueError(f"commitment blocks {blocks} do not fit {n_products} permutation products")
    user = blocks[:-3] if n_lookups else blocks[:-2]
    n_evals = int(evals.group(1), 16) // SCALAR_BYTES
    n_queries = n_evals - 1 - n_perm - (3 * n_products - 1 if n_products else 0) - 3 * n_lookups
    out = {"advice_per_phase": user, "n_advice": sum(user), "n_lookups": n_lookups, "n_permutation": n_perm,
           "n_fixed": n_fixed, "n_permutation_products": n_products, "n_quotient": n_quotient, "degree": degree,
           "n_evals": n_evals, "n_queries": n_queries, "proof_bytes": int(proof_len.group(1), 16)}
    if predicted_proof_bytes(out) != out["proof_bytes"]:
        raise ValueError(f"the verifier's proof length {out['proof_bytes']} disagrees with its counts")
    return out


def predicted_proof_bytes(c: dict) -> int:
    """Bytes of the proof transcript for the counts ``c`` (keys of :func:`read_verifier`): one point
    per advice column, lookup multiplicity, permutation product, lookup sum, the random polynomial
    and each quotient piece; one scalar per evaluation; the two opening points."""
    points = (c["n_advice"] + 2 * c["n_lookups"] + c["n_permutation_products"] + 1 + c["n_quotient"]
              + OPENING_COMMITMENTS)
    return POINT_BYTES * points + SCALAR_BYTES * c["n_evals"]


def committed_polys_per_row(c: dict) -> int:
    """Polynomials of ``2^k`` values the prover commits besides the vanishing argument, as the cost
    model's ``n_poly`` counts them: advice columns, two per lookup argument (multiplicity ``m`` and
    running sum ``phi``) and the permutation products."""
    return c["n_advice"] + 2 * c["n_lookups"] + c["n_permutation_products"]


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def read_log(text: str) -> dict:
    """Numbers from the debug log of ``ezkl.setup`` (loggers ``ezkl.graph`` and ``halo2_proofs`` at
    DEBUG): ``domain_degree`` (halo2 ``create_domain``: "Creating domain with degree"),
    ``max_gate_degree`` (``chunk_lookups``), and ezkl's ``CircuitSize`` at configure time:
    ``n_advice``, ``n_instance``, ``n_fixed_configured`` (before selector compression),
    ``n_selectors``, ``n_challenges``. Missing numbers are ``None``; the last occurrence wins."""
    text = _ANSI.sub("", text)

    def last_int(pattern: str):
        found = re.findall(pattern, text)
        return int(found[-1]) if found else None

    out = {"domain_degree": last_int(r"Creating domain with degree (\d+)"),
           "max_gate_degree": last_int(r"max gate degree: (\d+)")}
    sizes = re.findall(r"circuit size:\s*(\{.*?\})", text, flags=re.S)
    size = json.loads(sizes[-1]) if sizes else {}
    for key, name in (("n_advice", "num_advice_columns"), ("n_instance", "num_instances"),
                      ("n_fixed_configured", "num_fixed"), ("n_selectors", "num_selectors"),
                      ("n_challenges", "num_challenges")):
        out[key] = size.get(name)
    return out


def read_proof(proof_path: Path) -> dict:
    """``proof_bytes``: bytes of the proof transcript in ezkl's ``proof.json`` (its ``proof``
    field); ``proof_json_bytes``: the file's size (the transcript in two encodings, the instances
    and metadata)."""
    p = json.loads(Path(proof_path).read_text())
    raw = bytes(p["proof"]) if p.get("proof") else bytes.fromhex(p["hex_proof"].removeprefix("0x"))
    return {"proof_bytes": len(raw), "proof_json_bytes": Path(proof_path).stat().st_size}


def constants(workdir: Path) -> dict:
    """Every constant of the circuit whose artefacts are in ``workdir`` (``vk.key``, ``pk.key``,
    ``verifier.sol``, ``setup.log`` and, if proven, ``proof.json``), after checking that the sources
    agree: the fixed and permutation columns of the verifier and of the keys, the verifier's degree
    with the keys' extended domain and the log's domain degree, the log's advice and selector
    columns, the predicted with the real key and proof sizes. Raises ``ValueError`` naming the
    first disagreement."""
    workdir = Path(workdir)
    keys = read_keys(workdir / "vk.key", workdir / "pk.key")
    ver = read_verifier((workdir / "verifier.sol").read_text())
    log = read_log((workdir / "setup.log").read_text(errors="replace"))
    low, high = degree_bounds(keys["extended_factor_log2"])
    checks = {
        "fixed columns (verifier, vk)": (ver["n_fixed"], keys["n_fixed"]),
        "permutation columns (verifier, pk)": (ver["n_permutation"], keys["n_permutation"]),
        "degree (verifier, log)": (ver["degree"], log["domain_degree"]),
        "advice columns (verifier, log)": (ver["n_advice"], log["n_advice"]),
        "selectors (vk, log)": (keys["n_selectors"], log["n_selectors"]),
        "pk bytes (predicted, file)": (keys["pk_bytes_predicted"], keys["pk_bytes"]),
        "degree within the extended domain's bounds": (True, low <= ver["degree"] <= high),
    }
    proof = read_proof(workdir / "proof.json") if (workdir / "proof.json").exists() else {}
    if proof:
        checks["proof bytes (predicted, proof.json)"] = (predicted_proof_bytes(ver), proof["proof_bytes"])
    wrong = [f"{name}: {a} != {b}" for name, (a, b) in checks.items() if a != b]
    if wrong:
        raise ValueError(f"sources disagree in {workdir}: " + "; ".join(wrong))
    n_c = committed_polys_per_row(ver)
    return {
        "n_advice": ver["n_advice"], "n_advice_later_phases": sum(ver["advice_per_phase"][1:]),
        "n_challenges": log["n_challenges"], "n_fixed": keys["n_fixed"], "n_fixed_configured": log["n_fixed_configured"],
        "n_selectors": keys["n_selectors"], "n_instance": log["n_instance"], "n_lookups": ver["n_lookups"],
        "n_permutation": keys["n_permutation"], "n_permutation_products": ver["n_permutation_products"],
        "degree": ver["degree"], "degree_low": low, "degree_high": high, "max_gate_degree": log["max_gate_degree"],
        "n_quotient": ver["n_quotient"], "extended_factor_log2": keys["extended_factor_log2"],
        "n_evals": ver["n_evals"], "n_queries": ver["n_queries"],
        "committed_polys_per_row": n_c, "committed_polys_low": n_c, "committed_polys_high": n_c,
        "opening_msms": OPENING_COMMITMENTS,
        "proof_msms": n_c + 1 + ver["n_quotient"] + OPENING_COMMITMENTS,
        "pk_bytes": keys["pk_bytes"], "pk_bytes_per_row": keys["pk_bytes"] / 2 ** keys["k"],
        "vk_bytes": keys["vk_bytes"], "proof_bytes": proof.get("proof_bytes"),
        "proof_bytes_predicted": predicted_proof_bytes(ver), "proof_json_bytes": proof.get("proof_json_bytes"),
        "sources": "verifier+keys+log" + ("+proof" if proof else ""),
    }


# ------------------------------------------------------------------ pipeline

def _child(workdir: Path) -> None:
    """Run the pipeline of ``workdir/job.json`` (in a child process); write ``result.json``."""
    job = json.loads((workdir / "job.json").read_text())
    handler = logging.FileHandler(workdir / "setup.log")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    for name, level in (("ezkl", logging.INFO), ("ezkl.graph", logging.DEBUG), ("ezkl.graph.model", logging.INFO),
                        ("halo2_proofs", logging.DEBUG)):
        logging.getLogger(name).setLevel(level)
    for name in ("ezkl", "halo2_proofs"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).propagate = False

    circuit = Circuit(job["family"], job["config"], job["run_args"])
    model, x = build(circuit)
    inputs = x if isinstance(x, tuple) else (x,)
    f = {name: workdir / name for name in ("model.onnx", "input.json", "settings.json", "model.ezkl", "vk.key",
                                           "pk.key", "witness.json", "proof.json", "verifier.sol")}
    gw.export_onnx(model, inputs, f["model.onnx"])
    f["input.json"].write_text(json.dumps({"input_data": [t.flatten().tolist() for t in inputs]}))
    settings = gw.lay_out(f["model.onnx"], f["settings.json"], gw.run_args(scale=SCALE, **circuit.full_run_args),
                          data_path=f["input.json"], scales=[SCALE])
    logrows = int(settings["run_args"]["logrows"])
    if logrows > job["max_logrows"]:
        raise RuntimeError(f"circuit needs 2^{logrows} rows, above the limit 2^{job['max_logrows']}")
    gw.compile_circuit(f["model.onnx"], f["model.ezkl"], f["settings.json"])
    srs, _ = gw.ensure_srs(logrows)
    gw.setup(f["model.ezkl"], f["vk.key"], f["pk.key"], srs)
    verified = None
    if job["prove"]:
        gw.gen_witness(f["input.json"], f["model.ezkl"], f["witness.json"])
        gw.prove(f["witness.json"], f["model.ezkl"], f["pk.key"], f["proof.json"], srs)
        verified = gw.verify(f["proof.json"], f["settings.json"], f["vk.key"], srs)
    gw.render_verifier(f["vk.key"], f["settings.json"], srs, f["verifier.sol"])
    (workdir / "result.json").write_text(json.dumps({"settings": settings, "verified": verified}))


def _busy_s() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _children_cpu_s() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(circuit: Circuit, workdir: Path, *, prove: bool = True, max_logrows: int = MAX_LOGROWS_HERE,
            timeout_s: float | None = None) -> dict:
    """Run ezkl's pipeline for ``circuit`` in a child process (artefacts in ``workdir``) and return
    its row of :data:`TABLE`: run arguments, circuit size, :func:`constants`, provenance. ``prove``
    also proves and verifies (the proof size checks the counts). Raises ``RuntimeError`` if the
    child fails and ``ValueError`` if the sources disagree."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "result.json").unlink(missing_ok=True)
    (workdir / "job.json").write_text(json.dumps({"family": circuit.family, "config": circuit.config,
                                                  "run_args": circuit.run_args, "prove": prove,
                                                  "max_logrows": max_logrows}))
    busy0, cpu0, wall0 = _busy_s(), _children_cpu_s(), time.monotonic()
    with open(workdir / "child.log", "wb") as log:
        proc = subprocess.run([sys.executable, "-m", "chasm.experiments.circuit_constants", "--child", str(workdir)],
                              stdout=log, stderr=subprocess.STDOUT, timeout=timeout_s,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    run_cpu, capacity = _children_cpu_s() - cpu0, (time.monotonic() - wall0) * (os.cpu_count() or 1)
    # result.json is the child's last act, so with it every artefact was written; a native crash of the
    # child (seen twice in 25 circuits, cause unknown) after it cannot matter: constants() checks them
    if not (workdir / "result.json").exists():
        lines = (workdir / "child.log").read_text(errors="replace").strip().splitlines()
        why = [line for line in lines if line.startswith(("Fatal Python error", "RuntimeError", "ValueError"))]
        raise RuntimeError(f"circuit {circuit.family} {circuit.config_json} failed (exit {proc.returncode}): "
                           + " | ".join((why or lines)[-2:]))
    result = json.loads((workdir / "result.json").read_text())
    s, args, machine = result["settings"], circuit.full_run_args, provenance.machine()
    return {
        "circuit_id": circuit.circuit_id(machine["ezkl_version"]), "family": circuit.family,
        "config": circuit.config_json,
        **{key: args[key] for key in ("num_inner_cols", "decomp_base", "decomp_legs", "disable_freivalds",
                                      "input_visibility", "output_visibility", "param_visibility")},
        "scale": SCALE, "logrows": int(s["run_args"]["logrows"]), "num_rows": int(s["num_rows"]),
        "total_einsum_col_size": int(s["einsum_params"]["total_einsum_col_size"]),
        "range_check_tables": len(s.get("required_range_checks") or []),
        "lookup_tables": len(s.get("required_lookups") or []),
        **constants(workdir), "verified": result["verified"],
        "other_cpu_frac": min(1.0, max(0.0, (_busy_s() - busy0 - run_cpu) / capacity)),
        **{key: machine[key] for key in ("cpu_model", "cpu_count", "ram_bytes", "ezkl_version", "torch_version",
                                         "git_commit", "hardware_tag")},
        "date_utc": provenance.utc_now(),
    }


def plan(name: str = "default") -> list[Circuit]:
    """The circuits to read: each measured family at two sizes, Freivalds on and off, one to three
    inner columns, three-leg decomposition, a GELU transformer, and the miniature Llamas of
    :data:`~chasm.experiments.layouts.LLAMA_PLAN` that fit in ``2^17`` rows (``quick``: one MLP)."""
    if name == "quick":
        return [Circuit("mlp", {"width": 8, "depth": 1})]
    if name != "default":
        raise ValueError(f"unknown plan {name!r}; known: default, quick")
    tf = {"heads": 2, "layers": 1}
    out = [Circuit("mlp", {"width": 8, "depth": 1}), Circuit("mlp", {"width": 256, "depth": 2}),
           Circuit("cnn", {"channels": 2, "depth": 1, "size": 6}), Circuit("cnn", {"channels": 8, "depth": 2, "size": 8}),
           Circuit("transformer", {"d_model": 8, "seq": 2, **tf}), Circuit("transformer", {"d_model": 32, "seq": 4, **tf})]
    out += [Circuit("mlp", {"width": 32, "depth": 2}, {"num_inner_cols": c}) for c in (1, 2, 3)]
    out += [Circuit("mlp", {"width": 16, "depth": 2}, {"decomp_legs": 3, "decomp_base": 256})]
    for cfg in ({"d_model": 8, "heads": 1, "seq": 4, "layers": 1}, {"d_model": 16, "seq": 4, **tf}):
        out += [Circuit("transformer", cfg, {"disable_freivalds": off}) for off in (False, True)]
    out += [Circuit("transformer", {"d_model": 8, "seq": 2, "activation": "gelu", **tf})]
    out += [Circuit("llama", LLAMA_PLAN[i]) for i in (0, 1, 3, 4, 6, 7, 8, 9, 10)]
    out += [Circuit("llama", LLAMA_PLAN[0], {"disable_freivalds": True})]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm.experiments.circuit_constants",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plan", default="default", help="default or quick")
    parser.add_argument("--no-prove", action="store_true", help="set up only (no proof-size check)")
    parser.add_argument("--out", type=Path, default=None, help=f"table to append to (default data/{TABLE})")
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    out = args.out or paths.data_dir() / TABLE
    version = provenance.package_version("ezkl")
    done = set(data.load_table(out)["circuit_id"]) if out.exists() else set()
    todo = [c for c in plan(args.plan) if c.circuit_id(version) not in done]
    print(f"circuit constants: {len(todo)} circuits to read, {len(done)} already in {out}", flush=True)
    for attempt in (1, 2):  # a second pass retries what failed
        failed = []
        for i, circuit in enumerate(todo, 1):
            with tempfile.TemporaryDirectory(prefix="chasm-constants-") as tmp:
                try:
                    row = measure(circuit, Path(tmp), prove=not args.no_prove)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                    print(f"  [{i}/{len(todo)}] {circuit.family} {circuit.config_json}: {exc}", flush=True)
                    failed.append(circuit)
                    continue
            data.append_rows(out, [row])
            print(f"  [{i}/{len(todo)}] {circuit.family} {circuit.config_json} {circuit.run_args or ''}: "
                  f"k={row['logrows']} advice {row['n_advice']}, lookups {row['n_lookups']}, degree {row['degree']}, "
                  f"n_c {row['committed_polys_per_row']}", flush=True)
        todo = failed
        if not todo:
            break
        print(f"circuit constants: pass {attempt} left {len(todo)} circuits", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
