"""The verifier's side on a chain: what verifying the measured proofs of each proof family costs on
Ethereum, set against a block's gas limit.

Every protocol number is a row ``evm_*`` of ``data/assumptions.csv`` (with its source: the EIPs and
Ethereum's execution specification); :func:`protocol` reads them.

- **A transaction's gas** (:func:`tx_gas`). Since Pectra (EIP-7623) a transaction pays
  ``21000 + max(4 tokens + execution gas, 10 tokens)``, with ``tokens = zero bytes + 4 x non-zero
  bytes`` of its calldata; before it (EIP-2028) ``21000 + 16 x non-zero + 4 x zero + execution gas``.
  Since Fusaka (EIP-7825) one transaction may use at most 2^24 gas.
- **ezkl** (:func:`ezkl_onchain`): the execution gas of ezkl's own Solidity verifier, run in an EVM on
  each measured circuit (``data/measurements/evm_gas.csv``, written by ``python -m chasm evm``), plus
  the transaction's intrinsic and calldata gas computed here from the measured calldata bytes. The
  KZG pairing check it makes (2 pairs: the ``ec_pairing`` of ezkl's verifier template passes 0x180 bytes
  to precompile 0x08, :data:`PAIRING_SOURCE`) costs ``45000 + 2 x 34000`` gas (EIP-1108) of that execution gas.
- **JSTprove** (:func:`jstprove_onchain`) ships no EVM verifier. Its proof file (zstd-compressed
  msgpack) is at least the calldata a verifier needs, and calldata alone costs at least 10 gas per
  byte under EIP-7623's floor (every byte is at least one token), 40 gas per byte if no byte is zero:
  a hard lower bound, with the verifier's own computation not counted.
- **Wrapping** (:func:`wrapping_bound`): what a chain would need for JSTprove is a succinct proof of the
  JSTprove verifier's computation, verified like ezkl's. A rough lower bound of what that adds to
  proving: JSTprove puts every weight and bias of the model, the model's input and its output on the
  circuit's Public input layer and its verifier loads every public value (:data:`PUBLIC_VALUES_SOURCE`),
  so the verifier reads at least ``params + input elements + output elements`` field elements
  (:func:`public_values`, from proofs.csv and the model's configuration); one circuit cell each at the
  least, times the ezkl prover's modelled field multiplications per cell (:mod:`chasm.costmodel.prover`)
  and the measured time per field multiplication (:mod:`chasm.costmodel.timing`). Not a prediction.
- **A frontier query** (:func:`frontier_onchain`): every chunk proof of the query verified with ezkl's
  verifier, at the measured per-proof gas.

Units: gas, bytes, USD, CPU-seconds. Ranges ``(low, point, high)`` of dollars and of block shares are
the assumptions' ranges (block gas limit, gas price, ether price) taken end to end: ranges of the
assumptions, not statistical intervals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from chasm.core import data, paths
from chasm.core.ezkl_rules import DEFAULT_INNER_COLS, RESERVED_BLINDING_ROWS
from chasm.core.runs import load_runs, size_label
from chasm.core.specs import ModelSpec
from chasm.economics.assumptions import load_assumptions

__all__ = ["EVM_GAS", "FAMILIES_PROFILE", "PROTOCOL", "RANGED", "KZG_PAIRING_PAIRS", "PAIRING_SOURCE",
           "PUBLIC_VALUES_SOURCE", "protocol", "tx_gas", "pairing_gas", "usd_range",
           "block_share", "load_evm_gas", "ezkl_onchain", "gas_dependence", "public_values", "jstprove_proofs",
           "jstprove_onchain", "time_scale", "cell_work", "wrapping_bound", "frontier_onchain", "summary"]

#: The table of measured verifier gas, under ``data/`` (written by :mod:`chasm.experiments.evm`).
EVM_GAS = "measurements/evm_gas.csv"
#: The sweep profile that proves the same models with both families.
FAMILIES_PROFILE = "families"

#: Protocol constants used here -> their rows in ``data/assumptions.csv`` (exact: low = point = high).
PROTOCOL = {
    "tx_base_gas": "evm_tx_base_gas",                              # gas per transaction
    "zero_byte_gas": "evm_calldata_zero_byte_gas",                 # gas per zero byte, EIP-2028
    "nonzero_byte_gas": "evm_calldata_nonzero_byte_gas",           # gas per non-zero byte, EIP-2028
    "tokens_per_nonzero_byte": "evm_calldata_tokens_per_nonzero_byte",  # tokens per non-zero byte, EIP-7623
    "standard_gas_per_token": "evm_calldata_standard_gas_per_token",    # gas per token, EIP-7623
    "floor_gas_per_token": "evm_calldata_floor_gas_per_token",     # gas per token, EIP-7623's floor
    "ecadd_gas": "evm_ecadd_gas", "ecmul_gas": "evm_ecmul_gas",    # gas per call, EIP-1108
    "pairing_base_gas": "evm_pairing_base_gas",                    # gas per pairing check, EIP-1108
    "pairing_per_pair_gas": "evm_pairing_per_pair_gas",            # gas per pair, EIP-1108
    "tx_gas_cap": "evm_tx_gas_cap",                                # gas per transaction at most, EIP-7825
}
#: Ranged quantities -> their rows: block gas limit (gas/block), gas price (gwei/gas), ether (USD/ETH).
RANGED = {"block_gas_limit": "evm_block_gas_limit", "gas_price_gwei": "evm_gas_price_gwei",
          "eth_usd": "evm_eth_price_usd"}

#: Pairs in the one pairing check of ezkl's (halo2-solidity-verifier's) KZG verifier.
KZG_PAIRING_PAIRS = 2
#: Where :data:`KZG_PAIRING_PAIRS` is read.
PAIRING_SOURCE = ("zkonduit/ezkl-verifier (commit ff30972bf729d046f0c903ad91703af1a9e33a8f), templates/Halo2Verifier.sol, "
                  "function ec_pairing: staticcall(gas(), 0x08, 0x00, 0x180, 0x00, 0x20), 0x180 = 384 bytes = 2 pairs of "
                  "192 bytes; the same in privacy-scaling-explorations/halo2-solidity-verifier (commit "
                  "cbd17752bbdfefc6e9a903ec98e3a7a827ea7cae)")

#: Where the public values the JSTprove 2.12.1 verifier reads (:func:`public_values`) are read.
PUBLIC_VALUES_SOURCE = (
    "inference-labs-inc/JSTprove tag v2.12.1, rust/jstprove_remainder/src/runner/circuit_builder.rs: build_circuit "
    "adds the input layer \"Public\" (LayerVisibility::Public, lines 207-208), the model input on it (line 226) and "
    "the expected output (line 409); every Gemm's weight and bias shreds are Public (lines 613-631), as are every "
    "Conv's (lines 818-836); rust/jstprove_remainder/src/runner/verify.rs, verify_with_model, sets every Public "
    "shred's values into the circuit it verifies")

Range = tuple[float, float, float]


def protocol(frame: pd.DataFrame | None = None, overrides=None) -> dict:
    """The constants of :data:`PROTOCOL` (their ``point``) and the ``(low, point, high)`` of :data:`RANGED`,
    from ``frame`` (:func:`chasm.economics.assumptions.load_assumptions`, loaded with ``overrides`` when
    not given). Units: those of the rows (gas, gas/byte, tokens/byte, gas/token, gwei/gas, USD/ETH)."""
    frame = load_assumptions(overrides) if frame is None else frame
    out: dict = {key: float(frame.loc[name, "point"]) for key, name in PROTOCOL.items()}
    out.update({key: tuple(float(frame.loc[name, end]) for end in ("low", "point", "high"))
                for key, name in RANGED.items()})
    return out


def _plain(x):
    arr = np.asarray(x)
    return arr.item() if arr.ndim == 0 else arr


def tx_gas(exec_gas, calldata_bytes, zero_bytes, a: Mapping | None = None) -> dict:
    """Gas of one transaction whose call executes ``exec_gas`` and carries ``calldata_bytes`` bytes of
    calldata, ``zero_bytes`` of them zero (scalars or arrays). Returns ``tokens`` (EIP-7623 calldata
    tokens), ``standard_gas`` (``base + standard x tokens + exec``), ``floor_gas`` (``base + floor x
    tokens``), ``gas`` (their maximum: what the transaction pays since Pectra), ``floor_binds``,
    ``calldata_gas`` (``gas - base - exec``: what the calldata adds) and ``eip2028_gas`` (the pre-Pectra
    price, ``base + 16 x non-zero + 4 x zero + exec``). ``a`` is :func:`protocol` (loaded if ``None``)."""
    a = protocol() if a is None else a
    exec_gas, n, z = (np.asarray(v, dtype=float) for v in (exec_gas, calldata_bytes, zero_bytes))
    if np.any(z < 0) or np.any(z > n) or np.any(exec_gas < 0):
        raise ValueError("need 0 <= zero_bytes <= calldata_bytes and exec_gas >= 0")
    nonzero = n - z
    tokens = z + a["tokens_per_nonzero_byte"] * nonzero
    standard = a["tx_base_gas"] + a["standard_gas_per_token"] * tokens + exec_gas
    floor = a["tx_base_gas"] + a["floor_gas_per_token"] * tokens
    gas = np.maximum(standard, floor)
    eip2028 = a["tx_base_gas"] + a["nonzero_byte_gas"] * nonzero + a["zero_byte_gas"] * z + exec_gas
    return {key: _plain(v) for key, v in {
        "tokens": tokens, "standard_gas": standard, "floor_gas": floor, "gas": gas, "floor_binds": floor > standard,
        "calldata_gas": gas - a["tx_base_gas"] - exec_gas, "eip2028_gas": eip2028}.items()}


def pairing_gas(pairs: int = KZG_PAIRING_PAIRS, a: Mapping | None = None) -> float:
    """Gas of one call of the BN254 pairing-check precompile with ``pairs`` pairs (EIP-1108:
    ``45000 + 34000 x pairs``)."""
    a = protocol() if a is None else a
    return a["pairing_base_gas"] + a["pairing_per_pair_gas"] * pairs


def usd_range(gas, a: Mapping | None = None) -> Range:
    """``(low, point, high)`` US dollars of ``gas`` (or of a ``(low, point, high)`` of gas): gas x gas
    price (gwei) x 1e-9 ETH/gwei x ether price (USD), each end with the same end of every range."""
    a = protocol() if a is None else a
    g = gas if isinstance(gas, tuple) else (gas, gas, gas)
    return tuple(float(g[i]) * a["gas_price_gwei"][i] * 1e-9 * a["eth_usd"][i] for i in range(3))


def block_share(gas, a: Mapping | None = None) -> Range:
    """``(low, point, high)`` of ``gas`` (or a ``(low, point, high)`` of gas) as a fraction of one block's
    gas limit: ``low`` at the highest limit, ``high`` at the lowest (a share above 1 is that many blocks)."""
    a = protocol() if a is None else a
    g = gas if isinstance(gas, tuple) else (gas, gas, gas)
    low, point, high = a["block_gas_limit"]
    return (float(g[0]) / high, float(g[1]) / point, float(g[2]) / low)


def load_evm_gas() -> pd.DataFrame:
    """``data/measurements/evm_gas.csv`` (schema-checked); raises :class:`FileNotFoundError` saying how to
    measure it when it is not there."""
    path = paths.data_dir() / EVM_GAS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m chasm evm` (after `make evm-tools`)")
    return data.load_table(path)


def ezkl_onchain(evm: pd.DataFrame | None = None, a: Mapping | None = None) -> pd.DataFrame:
    """One row per measured ezkl circuit (the latest measurement of each configuration; ``size_label`` its
    size parameters): the measured
    ``exec_gas``, calldata and code size, and ``tx_gas`` (EIP-7623; ``tx_gas_eip2028`` before Pectra),
    ``calldata_gas``, ``floor_binds``, ``pairing_gas`` (the KZG check's share of the execution), the share
    of a block's gas limit (``block_share_low/point/high``), ``fits_tx_cap`` (EIP-7825), USD per
    verification (``usd_low/point/high``: ranges of the assumptions), and ``checks_passed`` (honest proof
    accepted, flipped byte and changed output rejected). ``evm`` defaults to :func:`load_evm_gas`."""
    a = protocol() if a is None else a
    evm = load_evm_gas() if evm is None else evm
    evm = evm[evm["prover"] == "ezkl"].sort_values("date_utc").drop_duplicates("config_id", keep="last")
    t = tx_gas(evm["exec_gas"].to_numpy(), evm["calldata_bytes"].to_numpy(), evm["calldata_zero_bytes"].to_numpy(), a)
    out = pd.DataFrame({
        "prover": "ezkl", "family": evm["family"].to_numpy(), "config_id": evm["config_id"].to_numpy(),
        "size_label": [size_label(c) for c in evm["config"]],
        "params": evm["params"].to_numpy(dtype=int), "logrows": evm["logrows"].to_numpy(dtype=int),
        "instances": evm["instances"].to_numpy(dtype=int), "proof_raw_bytes": evm["proof_raw_bytes"].to_numpy(dtype=int),
        "calldata_bytes": evm["calldata_bytes"].to_numpy(dtype=int),
        "calldata_zero_bytes": evm["calldata_zero_bytes"].to_numpy(dtype=int),
        "exec_gas": evm["exec_gas"].to_numpy(dtype=float), "calldata_gas": np.atleast_1d(t["calldata_gas"]),
        "tx_gas": np.atleast_1d(t["gas"]), "tx_gas_eip2028": np.atleast_1d(t["eip2028_gas"]),
        "floor_binds": np.atleast_1d(t["floor_binds"]),
        "deploy_exec_gas": evm["deploy_exec_gas"].to_numpy(dtype=float),
        "runtime_bytes": evm["runtime_bytes"].to_numpy(dtype=int),
        "checks_passed": (evm["honest_accepted"] & evm["flipped_rejected"] & evm["wrong_output_rejected"]).to_numpy(bool),
    })
    out["pairing_gas"] = pairing_gas(KZG_PAIRING_PAIRS, a)
    out["pairing_share"] = out["pairing_gas"] / out["exec_gas"]
    for i, end in enumerate(("low", "point", "high")):
        out[f"block_share_{end}"] = [block_share(g, a)[i] for g in out["tx_gas"]]
        out[f"usd_{end}"] = [usd_range(g, a)[i] for g in out["tx_gas"]]
    out["fits_tx_cap"] = out["tx_gas"] <= a["tx_gas_cap"]
    return out.sort_values(["family", "params"], kind="stable").reset_index(drop=True)


def _ols(y: np.ndarray, columns: dict[str, np.ndarray]) -> dict:
    """Least squares ``y ~ 1 + columns`` with 95% t-intervals of the coefficients (``{}`` when the design
    has no residual degrees of freedom or is singular)."""
    from scipy import stats

    names = ["intercept", *columns]
    x = np.column_stack([np.ones(len(y)), *columns.values()])
    dof = len(y) - x.shape[1]
    if dof < 1 or np.linalg.matrix_rank(x) < x.shape[1]:
        return {}
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    s2 = float(resid @ resid) / dof
    se = np.sqrt(np.diag(s2 * np.linalg.inv(x.T @ x)))
    t = float(stats.t.ppf(0.975, dof))
    return {name: {"point": float(b), "low": float(b - t * e), "high": float(b + t * e)}
            for name, b, e in zip(names, beta, se)} | {"dof": dof}


def gas_dependence(table: pd.DataFrame) -> dict:
    """How the verifier's execution gas depends on circuit size, from :func:`ezkl_onchain`'s ``table``:
    ``exec_gas`` and padded ``rows`` (``2^logrows``) ranges and their max/min ratios, and least squares
    ``exec_gas ~ 1 + instances + logrows`` (gas per public instance, gas per doubling of the rows) with 95%
    t-intervals (``fit``; empty when there are too few distinct circuits)."""
    g = table["exec_gas"].to_numpy(dtype=float)
    rows = np.power(2.0, table["logrows"].to_numpy(dtype=float))
    cols = {}
    if table["instances"].nunique() > 1:
        cols["instances"] = table["instances"].to_numpy(dtype=float)
    if table["logrows"].nunique() > 1:
        cols["logrows"] = table["logrows"].to_numpy(dtype=float)
    return {"exec_gas": (float(g.min()), float(g.max())), "exec_gas_ratio": float(g.max() / g.min()),
            "rows": (float(rows.min()), float(rows.max())), "rows_ratio": float(rows.max() / rows.min()),
            "logrows": (int(table["logrows"].min()), int(table["logrows"].max())),
            "instances": (int(table["instances"].min()), int(table["instances"].max())),
            "fit": _ols(g, cols) if cols else {}, "circuits": int(len(table))}


def public_values(family: str, config: str, input_shape: str, params: int) -> dict:
    """The public values a JSTprove 2.12.1 verifier reads for a model, at least (:data:`PUBLIC_VALUES_SOURCE`):
    ``params`` (every weight and bias), ``input_elements`` (the elements of ``input_shape``, a JSON list,
    batch first), ``output_elements`` (the model's ``outputs``, from its ``config`` JSON with the family's
    defaults, :class:`chasm.core.specs.ModelSpec`) and ``public_values``, their sum. A lower bound: the
    shreds are padded to powers of two, and the lookup tables and other public constants are not counted."""
    inputs = math.prod(int(n) for n in json.loads(input_shape))
    outputs = int(ModelSpec(family, json.loads(config)).config["outputs"])
    return {"params": int(params), "input_elements": inputs, "output_elements": outputs,
            "public_values": int(params) + inputs + outputs}


def jstprove_proofs(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """JSTprove's verified proofs of the ``families`` profile, one row per configuration: ``family``,
    ``config_id``, ``size_label``, ``params``, ``input_elements``, ``output_elements`` and ``public_values``
    (:func:`public_values`), ``proof_bytes`` (the proof file, bytes; the median of the repetitions, which
    are byte-identical), ``prove_s`` and ``verify_s`` (medians, s), ``runs`` and ``hardware_tag``.
    ``frame`` is proofs.csv (default: the committed table)."""
    runs = load_runs(status="ok", profiles=[FAMILIES_PROFILE], frame=frame, provers=("jstprove",))
    if runs.empty:
        raise ValueError(f"no verified JSTprove run of the sweep profile {FAMILIES_PROFILE!r}")
    out = (runs.groupby(["family", "config_id"], as_index=False)
           .agg(size_label=("size_label", "first"), config=("config", "first"), input_shape=("input_shape", "first"),
                params=("params", "first"), proof_bytes=("proof_bytes", "median"), prove_s=("prove_s", "median"),
                verify_s=("verify_s", "median"), runs=("run_id", "size"), hardware_tag=("hardware_tag", "first")))
    counts = pd.DataFrame([public_values(r["family"], r["config"], r["input_shape"], r["params"])
                           for r in out.to_dict("records")], index=out.index)
    out = out.assign(**{c: counts[c] for c in ("input_elements", "output_elements", "public_values")})
    columns = ["family", "config_id", "size_label", "params", "input_elements", "output_elements", "public_values",
               "proof_bytes", "prove_s", "verify_s", "runs", "hardware_tag"]
    return out[columns].sort_values(["family", "params"], kind="stable").reset_index(drop=True)


def jstprove_onchain(proofs: pd.DataFrame | None = None, a: Mapping | None = None) -> pd.DataFrame:
    """A lower bound on verifying each JSTprove proof (:func:`jstprove_proofs`) on chain, from its calldata
    alone (the verifier's computation, state between transactions and decompression not counted):

    - ``gas_min``: ``floor x bytes`` (10 gas/byte: every byte is at least one token, whatever the
      content); ``gas_nonzero``: ``floor x 4 x bytes`` (40 gas/byte, when no byte is zero);
    - ``txs_min``: transactions at the least (each carries at most ``cap - 21000`` gas of calldata),
      ``cap_multiple``: ``gas_min`` over the EIP-7825 cap; ``fits_one_tx``: ``gas_min + 21000 <= cap``;
    - ``blocks_low/point/high``: ``gas_min`` over the block gas limit (high at the lowest limit);
      ``blocks_nonzero_*`` the same for ``gas_nonzero``; ``usd_low/point/high`` of ``gas_min``
      (``usd_nonzero_*`` of ``gas_nonzero``).

    ``size_label``, ``input_elements``, ``output_elements``, ``public_values``, ``prove_s`` and ``verify_s``
    are kept when ``proofs`` has them."""
    a = protocol() if a is None else a
    proofs = jstprove_proofs() if proofs is None else proofs
    floor, per_nonzero = a["floor_gas_per_token"], a["tokens_per_nonzero_byte"]
    optional = ("input_elements", "output_elements", "public_values")
    keep = (["family", "config_id"] + [c for c in ("size_label",) if c in proofs.columns] + ["params"]
            + [c for c in optional if c in proofs.columns] + ["proof_bytes"]
            + [c for c in ("prove_s", "verify_s") if c in proofs.columns])
    out = proofs[keep].copy()
    out.insert(0, "prover", "jstprove")
    out["gas_min"] = floor * out["proof_bytes"]
    out["gas_nonzero"] = floor * per_nonzero * out["proof_bytes"]
    room = a["tx_gas_cap"] - a["tx_base_gas"]
    out["txs_min"] = np.ceil(out["gas_min"] / room).astype(int)
    out["cap_multiple"] = out["gas_min"] / a["tx_gas_cap"]
    out["fits_one_tx"] = out["gas_min"] + a["tx_base_gas"] <= a["tx_gas_cap"]
    for i, end in enumerate(("low", "point", "high")):
        out[f"blocks_{end}"] = [block_share(g, a)[i] for g in out["gas_min"]]
        out[f"blocks_nonzero_{end}"] = [block_share(g, a)[i] for g in out["gas_nonzero"]]
        out[f"usd_{end}"] = [usd_range(g, a)[i] for g in out["gas_min"]]
        out[f"usd_nonzero_{end}"] = [usd_range(g, a)[i] for g in out["gas_nonzero"]]
    return out.reset_index(drop=True)


def time_scale(implied: pd.DataFrame | None = None) -> dict:
    """CPU-nanoseconds per modelled prover field multiplication: the geometric mean over configurations
    of the uncontended ezkl runs (:func:`chasm.costmodel.timing.implied_field_mult_time`), with its 95%
    interval (``low``, ``point``, ``high``, ``n``)."""
    from chasm.costmodel.timing import geometric_mean_interval, implied_field_mult_time

    implied = implied_field_mult_time() if implied is None else implied
    clean = implied[~implied["contended"]]
    if clean.empty:
        raise ValueError("no uncontended ezkl run to time a field multiplication by")
    return geometric_mean_interval(clean["cpu_ns_per_field_mult"], clean["config_id"])


def cell_work(logrows: int, inner_cols: int = DEFAULT_INNER_COLS) -> dict:
    """The ezkl prover's modelled field multiplications per cell (linear coordinate) of a circuit of
    ``2^logrows`` rows and ``inner_cols`` inner columns, for each kind of circuit whose constants were
    read (:data:`chasm.costmodel.prover.CIRCUIT_KINDS`): ``{kind: mults per cell}`` and ``min_kind``."""
    from chasm.costmodel.prover import CIRCUIT_KINDS, prover_constants, prover_work_per_row
    from chasm.costmodel.symbols import kk

    per_row = prover_work_per_row()
    work = {kind: float(per_row.subs(prover_constants(kind)).subs(kk, logrows)) / inner_cols for kind in CIRCUIT_KINDS}
    return {"per_cell": work, "min_kind": min(work, key=work.get)}


def wrapping_bound(jst: pd.DataFrame, scale: Mapping, inner_cols: int = DEFAULT_INNER_COLS) -> pd.DataFrame:
    """A rough lower bound on what wrapping each JSTprove proof of ``jst`` (:func:`jstprove_onchain`, with
    ``public_values``) into an ezkl (halo2-KZG) proof of its verifier adds to proving.

    The wrapper circuit holds at least once every field element the JSTprove verifier reads, and it reads
    at least every public value: ``cells_min = params + input elements + output elements``
    (:func:`public_values`). Left out, so that this is a lower bound: the Ligero openings (about
    ``200 x sqrt(N)`` more elements for a circuit of ``N`` values), the sum-check messages, the padding of
    the public shreds to powers of two and the public tables, and all hashing (each element into the
    transcript, each opened column into a Merkle path) and the verifier's arithmetic. The wrapper has at
    least ``cells_min / inner_cols`` rows (``logrows``: one circuit); its prover does at least
    ``cells_min x`` the fewest modelled field multiplications per cell of any measured kind of circuit at
    that size (:func:`cell_work`), at ``scale`` CPU-ns each (:func:`time_scale`): ``cpu_s_low/point/high``
    (CPU-seconds; the interval is the time scale's only), ``vs_jstprove_prove`` = point over JSTprove's
    own proving time of that model when ``jst`` has ``prove_s``, and ``jstprove_verify_s`` (the JSTprove
    verifier's measured wall time, one thread: the computation the wrapper would have to prove, of which
    this bound counts only the reading of its public values). Not a prediction."""
    rows = []
    for rec in jst.to_dict("records"):
        cells = rec.get("public_values")
        if cells is None or not np.isfinite(cells):
            continue
        logrows = math.ceil(math.log2(math.ceil(cells / inner_cols) + RESERVED_BLINDING_ROWS))
        work = cell_work(logrows, inner_cols)
        mults = cells * work["per_cell"][work["min_kind"]]
        row = {"family": rec["family"], "config_id": rec["config_id"], "params": rec["params"],
               "input_elements": rec.get("input_elements"), "output_elements": rec.get("output_elements"),
               "proof_bytes": rec["proof_bytes"], "cells_min": int(cells),
               "logrows": logrows, "kind": work["min_kind"], "field_mults": mults}
        for end in ("low", "point", "high"):
            row[f"cpu_s_{end}"] = mults * scale[end] * 1e-9
        if rec.get("prove_s"):
            row["vs_jstprove_prove"] = row["cpu_s_point"] / rec["prove_s"]
        if rec.get("verify_s"):
            row["jstprove_verify_s"] = rec["verify_s"]
        rows.append(row)
    return pd.DataFrame(rows)


def frontier_onchain(price_meta: Mapping, ezkl: pd.DataFrame | None = None, a: Mapping | None = None) -> dict:
    """Verifying every chunk proof of a frontier query on chain with ezkl's verifier, one transaction each.
    ``price_meta`` holds the query's ``chunks`` and chunk ``K`` (:func:`chasm.economics.scenarios.prove_distribution`,
    or :func:`chasm.economics.pricing.price`'s ``meta``); the per-chunk
    gas ``(low, point, high)`` is the (min, median, max) ``tx_gas`` of the measured circuits (``ezkl``:
    :func:`ezkl_onchain`, checked ones), extrapolated from their ``2^logrows`` to chunk circuits of ``2^K``
    rows (the verifier's gas barely depends on rows; it does on public instances, which a chunk's
    boundary may have many more of). Returns ``chunks``, ``K``, ``measured_logrows``, ``per_chunk_gas``,
    ``gas``, ``blocks`` (block gas limits), ``usd`` and ``fits_tx_cap`` (each chunk's gas under EIP-7825's
    cap), ranges as ``(low, point, high)``."""
    a = protocol() if a is None else a
    ezkl = ezkl_onchain(a=a) if ezkl is None else ezkl
    ok = ezkl[ezkl["checks_passed"]]
    if ok.empty:
        raise ValueError("no measured ezkl verifier passed its checks")
    per = (float(ok["tx_gas"].min()), float(ok["tx_gas"].median()), float(ok["tx_gas"].max()))
    chunks = float(price_meta["chunks"])
    gas = tuple(chunks * g for g in per)
    return {"chunks": chunks, "K": int(price_meta["K"]),
            "measured_logrows": (int(ok["logrows"].min()), int(ok["logrows"].max())),
            "per_chunk_gas": per, "gas": gas, "blocks": block_share(gas, a), "usd": usd_range(gas, a),
            "fits_tx_cap": per[2] <= a["tx_gas_cap"]}


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.replace({np.nan: None}).to_dict("records")


def summary(evm: pd.DataFrame | None = None, proofs: pd.DataFrame | None = None, a: Mapping | None = None,
            implied: pd.DataFrame | None = None, price_metas: Mapping[str, Mapping] | None = None) -> dict:
    """Everything the chapter shows, as plain dicts and lists: ``protocol`` (:func:`protocol`, with the
    assumption ids and the pairing's source), ``ezkl`` (rows of :func:`ezkl_onchain`), ``ezkl_dependence``
    (:func:`gas_dependence`), ``jstprove`` (rows of :func:`jstprove_onchain`), ``jstprove_fits_any``
    (whether any JSTprove proof fits one transaction), ``time_scale``, ``public_values_source``
    (:data:`PUBLIC_VALUES_SOURCE`), ``wrapping`` (rows of
    :func:`wrapping_bound`) and ``frontier`` (:func:`frontier_onchain` of each ``{arch: price meta}`` of
    ``price_metas``). ``evm`` is evm_gas.csv, ``proofs`` proofs.csv and ``implied``
    :func:`chasm.costmodel.timing.implied_field_mult_time`; each defaults to the committed data."""
    a = protocol() if a is None else a
    ez = ezkl_onchain(evm, a)
    jst = jstprove_onchain(jstprove_proofs(proofs), a)
    scale = time_scale(implied)
    return {
        "protocol": {**a, "assumption_ids": {**PROTOCOL, **RANGED}, "kzg_pairing_pairs": KZG_PAIRING_PAIRS,
                     "pairing_source": PAIRING_SOURCE},
        "ezkl": _records(ez), "ezkl_dependence": gas_dependence(ez[ez["checks_passed"]]),
        "jstprove": _records(jst), "jstprove_fits_any": bool(jst["fits_one_tx"].any()),
        "time_scale": scale, "public_values_source": PUBLIC_VALUES_SOURCE,
        "wrapping": _records(wrapping_bound(jst, scale)),
        "frontier": {arch: frontier_onchain(meta, ez, a) for arch, meta in (price_metas or {}).items()},
    }
