"""What verifying an ezkl proof costs on Ethereum, measured in an EVM (``python -m chasm evm``).

For each ezkl model of a sweep profile (default ``families``, the models both proof families proved),
one proof is made and kept (ezkl, one thread), ezkl renders its Solidity verifier, and the verifier runs
in an in-memory Ethereum Virtual Machine (``tools/evm``: solc-js 0.8.30 compiles it, ethereumjs 10.1.3
executes it under the Prague rules of mainnet since May 2025; installed by ``make evm-tools`` into the
project's cache, no network at run time). Three calls per verifier: the honest proof must return true;
the proof with one byte flipped and the proof claiming another public output must not. The execution gas
(the EVM's own count, without the transaction's intrinsic 21,000 gas and its calldata gas, which
:mod:`chasm.economics.onchain` adds from the calldata bytes recorded here) is appended atomically to
``data/measurements/evm_gas.csv``, one row per model; a model already there (same ezkl version, same
machine tag) is skipped, so an interrupted run resumes.

JSTprove ships no on-chain verifier: what a chain would need for its proofs is derived in
:mod:`chasm.economics.onchain` from the proof sizes of ``proofs.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from chasm.core import data, paths, provenance
from chasm.core.profiles import load_profiles, plan
from chasm.core.specs import parameter_count
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments import provers, soundness
from chasm.experiments.models import build

__all__ = ["EVM_GAS", "SELECTOR", "EvmToolsError", "abi_calldata", "proof_calldata", "tools_dir", "ensure_tools",
           "run_verifier", "measure", "measure_proof", "main"]

#: The table of measured verifier gas, under ``data/``.
EVM_GAS = "measurements/evm_gas.csv"

#: The function selector of ezkl's ``verifyProof(bytes,uint256[])``: the first 4 bytes of its keccak256
#: (a wrong selector makes the verifier revert, which the tests would see).
SELECTOR = bytes.fromhex("1e8e1e13")


class EvmToolsError(RuntimeError):
    """node or the pinned EVM tools (``make evm-tools``) are missing."""


def abi_calldata(proof: bytes, instances: list[int]) -> bytes:
    """The calldata of ``verifyProof(proof, instances)``: selector, two offsets, then the ABI encoding of
    the ``bytes`` (length, data padded to 32 bytes) and of the ``uint256[]`` (length, words)."""
    pad = (-len(proof)) % 32
    head = (64).to_bytes(32, "big") + (64 + 32 + len(proof) + pad).to_bytes(32, "big")
    body = len(proof).to_bytes(32, "big") + proof + bytes(pad)
    body += len(instances).to_bytes(32, "big") + b"".join(int(v).to_bytes(32, "big") for v in instances)
    return SELECTOR + head + body


def proof_calldata(proof_json: Path) -> tuple[bytes, bytes, int]:
    """``(calldata, raw proof bytes, instances)`` of an ezkl proof file (its ``hex_proof``, and its public
    instances: little-endian hex field elements)."""
    proof = json.loads(Path(proof_json).read_text())
    raw = bytes.fromhex(proof["hex_proof"].removeprefix("0x"))
    instances = [int.from_bytes(bytes.fromhex(h), "little") for col in proof["instances"] for h in col]
    return abi_calldata(raw, instances), raw, len(instances)


def tools_dir() -> Path:
    """Where ``make evm-tools`` installs ``tools/evm``'s pinned node packages (the project's cache)."""
    return paths.cache_dir() / "evm"


def ensure_tools() -> Path:
    """The installed tools' folder with the current ``gas.mjs`` copied in; raises :class:`EvmToolsError`
    saying how to install them."""
    if shutil.which("node") is None:
        raise EvmToolsError("node is not installed: the EVM measurement runs solc-js and ethereumjs on Node.js")
    where = tools_dir()
    pins = json.loads((paths.repo_root() / "tools" / "evm" / "package.json").read_text())["dependencies"]
    for name, version in pins.items():
        manifest = where / "node_modules" / name / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text()).get("version") != version:
            raise EvmToolsError(f"{name}@{version} is not installed in {where}: run `make evm-tools`")
    shutil.copy(paths.repo_root() / "tools" / "evm" / "gas.mjs", where / "gas.mjs")
    return where


def run_verifier(sol: Path, calldatas: list[bytes], *, timeout_s: float = 600) -> dict:
    """Compile the Solidity verifier ``sol``, deploy it and call it with each of ``calldatas``: the JSON of
    ``tools/evm/gas.mjs`` (``calls``: ``exec_gas``, ``returned``, ``error`` per calldata)."""
    where = ensure_tools()
    with tempfile.TemporaryDirectory(prefix="chasm-evm-") as tmp:
        files = []
        for i, cd in enumerate(calldatas):
            files.append(Path(tmp) / f"call{i}.hex")
            files[-1].write_text("0x" + cd.hex())
        done = subprocess.run(["node", str(where / "gas.mjs"), str(sol), *map(str, files)], cwd=where,
                              capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"the EVM run failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _accepted(call: dict) -> bool:
    return call["error"] is None and int(call["returned"] or "0x0", 16) == 1


def measure(spec, workdir: Path, *, threads: int = 1) -> dict:
    """One row of ``evm_gas.csv`` for model ``spec``: prove with ezkl (kept in ``workdir``), then
    :func:`measure_proof`."""
    model, x = build(spec)
    record = provers.prove("ezkl", model, x, threads=threads, keep=True, workdir=workdir)
    return measure_proof(spec, record, workdir)


def measure_proof(spec, record: dict, workdir: Path) -> dict:
    """One row of ``evm_gas.csv`` for model ``spec`` from its ezkl proof ``record`` (an ``ok`` prove record whose
    artefacts are kept in ``workdir``): render the verifier, run the honest proof, a flipped byte and a changed
    output through it. Writes the verifier and the two tampered proofs into ``workdir``."""
    if record["status"] != "ok":
        raise RuntimeError(f"{spec.label()}: ezkl did not prove it ({record.get('error')})")
    workdir = Path(workdir)
    srs = gw.srs_path(int(record["logrows"]))
    sol = gw.render_verifier(workdir / "vk.key", workdir / "settings.json", srs, workdir / "Verifier.sol")
    honest, raw, n_inst = proof_calldata(workdir / "proof.json")
    flipped = proof_calldata(workdir / soundness.tamper_proof_byte(workdir))[0]
    wrong = proof_calldata(workdir / soundness.tamper_public_output(workdir))[0]
    out = run_verifier(sol, [honest, flipped, wrong])
    calls = out["calls"]
    return {
        "run_id": f"{spec.config_id}-evm", "prover": "ezkl", "family": spec.family, "config_id": spec.config_id,
        "config": spec.config_json, "params": parameter_count(spec), "logrows": int(record["logrows"]),
        "proof_raw_bytes": len(raw), "instances": n_inst, "calldata_bytes": len(honest),
        "calldata_zero_bytes": honest.count(0), "exec_gas": calls[0]["exec_gas"],
        "deploy_exec_gas": out["deploy_exec_gas"], "runtime_bytes": out["runtime_bytes"],
        "honest_accepted": _accepted(calls[0]), "flipped_rejected": not _accepted(calls[1]),
        "wrong_output_rejected": not _accepted(calls[2]), "solc_version": out["solc_version"],
        "evm_package": out["evm_package"], "hardfork": out["hardfork"],
        "ezkl_version": gw.installed_version(), "git_commit": provenance.git_commit(),
        "hardware_tag": provenance.machine()["hardware_tag"], "date_utc": provenance.utc_now(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm evm", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="families", help="sweep profile whose ezkl models to measure")
    parser.add_argument("--max-params", type=int, default=None, help="skip models with more parameters")
    parser.add_argument("--threads", type=int, default=1, help="ezkl prover threads (default 1)")
    parser.add_argument("--out", type=Path, default=None, help=f"output CSV (default data/{EVM_GAS})")
    args = parser.parse_args(argv)
    out = args.out or paths.data_dir() / EVM_GAS
    try:
        ensure_tools()
        specs = {r.spec.config_id: r.spec for r in plan(load_profiles()[args.profile]) if r.prover == "ezkl"}
        done = set(data.load_table(out)["run_id"]) if out.exists() else set()
    except (EvmToolsError, KeyError, data.DataFileError) as exc:
        print(f"evm: error: {exc}", file=sys.stderr)
        return 2
    if not data.schema_path(out).exists():
        shutil.copy(data.schema_path(paths.data_dir() / EVM_GAS), data.schema_path(out))
    for spec in specs.values():
        if f"{spec.config_id}-evm" in done or (args.max_params and parameter_count(spec) > args.max_params):
            continue
        with tempfile.TemporaryDirectory(prefix="chasm-evm-proof-") as tmp:
            row = measure(spec, Path(tmp), threads=args.threads)
        data.append_rows(out, [row])
        print(f"evm: {spec.label()}: {row['exec_gas']:,} gas, calldata {row['calldata_bytes']:,} bytes", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
