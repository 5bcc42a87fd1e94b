"""Monte Carlo pricing of one query: proving it (ezkl, halo2) against running it, in dollars, kWh and
seconds, with 95% intervals, per hardware scenario (``python -m chasm price``).

**Proving**: the frontier distribution of :func:`chasm.economics.scenarios.prove_distribution` (vCPU-seconds
of the measuring machine, its 95% interval read as a split lognormal) priced on a scenario's hardware
(:func:`chasm.economics.scenarios.prover_costs`), on a fleet of ``fleet`` machines.

**Inference** (route stated once): dollars and kWh are at the batched (saturated) operating point,
``GPUs x generated tokens / node output throughput`` GPU-seconds, priced at the H100 rent and board
power with PUE; the throughput of each model is NVIDIA's published maximum output throughput on H100
SXM nodes in FP8 (TensorRT-LLM: 8B on 1 GPU, 70B on 2, 405B on 8; :data:`INFER_THROUGHPUT`), for
workloads around the query's shape. Latency is at batch 1: ``prompt x prefill time per token +
generated x inter-token latency``, measured for Llama-3-70B (NVIDIA NIM, 2 x H100, FP8, TP2); for 8B and
405B it is scaled from 70B, prefill time with FLOPs per GPU and decode time with weight bytes per GPU
(memory-bound decoding), on :data:`INFER_GPUS` GPUs, for want of published batch-1 rows with their GPU
counts. A commercial API price per query is reported beside it (``infer_api_usd``).

**Verification**: every chunk proof checked once on CPUs like the measuring machine
(``verify_core_s``, the frontier estimate, drawn last), priced at the vCPU rent (``verify_usd``).

Every assumption is drawn independently from its split lognormal
(:func:`chasm.economics.assumptions.split_lognormal`); PUE is one draw shared by proving and inference.
A summary's ``point`` is the median of the draws, ``low``/``high`` the 2.5 and 97.5 percentiles, and
``central`` the value with every input at its point (no draws: what the what-if page computes).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys

import numpy as np
import pandas as pd

from chasm.economics.assumptions import (
    AssumptionError, draw_assumptions, load_assumptions, parse_sets, point_values, split_lognormal,
)
from chasm.economics.scenarios import (
    SCENARIOS, prove_distribution, prover_costs, prover_draws, scenario, serial_share_range, server_layout,
)
from chasm.economics.scenarios import scenario as scenario_named

__all__ = ["PROVERS", "REFERENCE_ARCH", "INFER_GPUS", "INFER_THROUGHPUT", "INFER_ASSUMPTIONS", "API_ASSUMPTIONS", "UNITS", "QUANTITIES",
           "arch_facts", "inference_costs", "evaluate", "price_draws", "summarise", "price", "sensitivity", "main"]

#: The proof systems a query can be priced for: ezkl (measured laws and chains of chunk proofs) and
#: JSTprove (an estimate for the dense layers from its marginal cost per multiply-accumulate).
PROVERS = ("ezkl", "jstprove")

#: The model whose inference was measured (NIM, 2 x H100); the others are scaled from it.
REFERENCE_ARCH = "llama3-70b"
#: GPUs (H100 80GB) serving each model: 70B as measured (TP2, FP8); 8B fits one GPU; 405B in FP8
#: (about 405 GB of weights) needs 8 (one HGX node).
INFER_GPUS = {"llama3-8b": 1, "llama3-70b": 2, "llama3-405b": 8}
#: Node output throughput (output tokens/s per node of :data:`INFER_GPUS` GPUs) of each model.
INFER_THROUGHPUT = {"llama3-8b": "infer_llama31_8b_tput_saturated", "llama3-70b": "infer_llama3_70b_tput_saturated",
                    "llama3-405b": "infer_llama31_405b_tput_saturated"}
#: Assumptions of the inference side shared by every model (besides throughput and API prices).
INFER_ASSUMPTIONS = ("infer_llama3_70b_itl_b1", "infer_llama3_70b_prefill_ms_per_token", "gpu_rent_h100_sxm",
                     "gpu_power_h100", "pue")
#: API prices per million input and output tokens of each model.
API_ASSUMPTIONS = {"llama3-8b": ("api_llama3_8b_input", "api_llama3_8b_output"),
                   "llama3-70b": ("api_llama3_70b_input", "api_llama3_70b_output"),
                   "llama3-405b": ("api_llama3_405b", "api_llama3_405b")}
UNITS = {"prove_usd": "USD/query", "infer_usd": "USD/query", "ratio_usd": "ratio", "prove_kwh": "kWh/query",
         "infer_kwh": "kWh/query", "ratio_kwh": "ratio", "prove_latency_s": "s", "infer_latency_s": "s",
         "ratio_latency": "ratio", "infer_api_usd": "USD/query", "ratio_api_usd": "ratio",
         "infer_usd_b1": "USD/query", "infer_kwh_b1": "kWh/query", "prove_power_usd": "USD/query",
         "infer_power_usd": "USD/query", "infer_ttft_s": "s", "verify_core_s": "vCPU-s (measuring machine)", "verify_usd": "USD/query",
         "ratio_verify_usd": "ratio",
         "prove_core_s": "vCPU-s (measuring machine)"}
#: The quantities every pricing reports, in order (the article's comparison).
QUANTITIES = ("prove_usd", "infer_usd", "ratio_usd", "prove_kwh", "infer_kwh", "ratio_kwh",
              "prove_latency_s", "infer_latency_s")


@functools.lru_cache(maxsize=8)
def arch_facts(arch_id: str) -> dict:
    """FLOPs per query and parameters of ``arch_id`` and of :data:`REFERENCE_ARCH` (cost model), GPUs
    serving it, and the query shape (``data/query.csv``)."""
    from chasm.costmodel.frontier import frontier_workload

    if arch_id not in INFER_GPUS:
        raise KeyError(f"no inference route for {arch_id!r}; known: {', '.join(INFER_GPUS)}")
    w, ref = frontier_workload(arch_id), frontier_workload(REFERENCE_ARCH)
    return {"arch_id": arch_id, "flops": w.flops_per_query, "params": float(w.params), "gpus": INFER_GPUS[arch_id],
            "ref_flops": ref.flops_per_query, "ref_params": float(ref.params), "ref_gpus": INFER_GPUS[REFERENCE_ARCH],
            "prompt_tokens": w.prompt_tokens, "generated_tokens": w.generated_tokens}


def inference_costs(facts: dict, a: dict) -> dict:
    """Inference of one query (see the module docstring): ``usd`` (USD), ``kwh`` (kWh), ``latency_s``
    (batch-1 seconds), ``gpu_s`` (GPU-seconds at the batched point), ``api_usd`` (USD at API prices),
    and ``usd_b1``/``kwh_b1``: the node's rent and energy while it serves this query alone (batch 1).
    ``a`` maps assumption names to values (floats or arrays) in the table's units."""
    flops_ratio = facts["flops"] / facts["ref_flops"]
    gpu_s = facts["gpus"] * facts["generated_tokens"] / a[INFER_THROUGHPUT[facts["arch_id"]]]
    usd = gpu_s / 3600.0 * a["gpu_rent_h100_sxm"]
    kwh = gpu_s * a["gpu_power_h100"] * a["pue"] / 3.6e6
    prefill_s = facts["prompt_tokens"] * a["infer_llama3_70b_prefill_ms_per_token"] / 1e3 * flops_ratio * facts["ref_gpus"] / facts["gpus"]
    bytes_ratio = (facts["params"] / facts["gpus"]) / (facts["ref_params"] / facts["ref_gpus"])
    decode_s = facts["generated_tokens"] * a["infer_llama3_70b_itl_b1"] / 1e3 * bytes_ratio
    api_in, api_out = API_ASSUMPTIONS[facts["arch_id"]]
    api = (facts["prompt_tokens"] * a[api_in] + facts["generated_tokens"] * a[api_out]) / 1e6
    latency = prefill_s + decode_s
    # (prefill_s alone is the time to the reply's first token)
    b1_gpu_s = facts["gpus"] * latency  # the node serving this query alone, for its whole latency
    return {"usd": usd, "kwh": kwh, "latency_s": latency, "ttft_s": prefill_s, "gpu_s": gpu_s, "api_usd": api,
            "usd_b1": b1_gpu_s / 3600.0 * a["gpu_rent_h100_sxm"], "kwh_b1": b1_gpu_s * a["gpu_power_h100"] * a["pue"] / 3.6e6}


def evaluate(arch_id: str, scenario_name: str, core_s, a: dict, meta: dict, fleet: float = 1,
             query_scale: float = 1.0) -> dict:
    """Every priced quantity of one query (arrays or floats, units in :data:`UNITS`) from proving work
    ``core_s`` (measured vCPU-seconds), assumption values ``a`` and the proving ``meta``
    (:func:`chasm.economics.scenarios.prove_distribution`). ``query_scale`` multiplies the query's prompt
    and reply tokens, and the proving work in proportion (an approximation: see :func:`price`)."""
    core_s = np.asarray(core_s, dtype=float) * query_scale
    prove = prover_costs(scenario_name, core_s, a, {**meta, "chunks": meta["chunks"] * query_scale}, fleet)
    facts = dict(arch_facts(arch_id))
    facts.update(prompt_tokens=facts["prompt_tokens"] * query_scale,
                 generated_tokens=facts["generated_tokens"] * query_scale)
    infer = inference_costs(facts, a)
    return {"prove_usd": prove["usd"], "infer_usd": infer["usd"], "ratio_usd": prove["usd"] / infer["usd"],
            "prove_kwh": prove["kwh"], "infer_kwh": infer["kwh"], "ratio_kwh": prove["kwh"] / infer["kwh"],
            "prove_latency_s": prove["latency_s"], "infer_latency_s": infer["latency_s"],
            "infer_ttft_s": np.broadcast_to(infer["ttft_s"], np.shape(infer["latency_s"])).astype(float),
            "ratio_latency": prove["latency_s"] / infer["latency_s"], "infer_api_usd": infer["api_usd"],
            "ratio_api_usd": prove["usd"] / infer["api_usd"], "infer_usd_b1": infer["usd_b1"],
            "infer_kwh_b1": infer["kwh_b1"], "prove_power_usd": prove["kwh"] * a["electricity_price"],
            "infer_power_usd": infer["kwh"] * a["electricity_price"], "prove_core_s": core_s}


def _names(arch_id: str, scenario_name: str) -> tuple[str, ...]:
    used = list(scenario(scenario_name).assumptions)
    for name in (INFER_THROUGHPUT[arch_id],) + INFER_ASSUMPTIONS + API_ASSUMPTIONS[arch_id] + ("electricity_price",
                                                                                                "cpu_rent_vcpu_hour"):
        if name not in used:
            used.append(name)
    return tuple(used)


def _verification(verify_core_s, a: dict, values: dict) -> dict:
    """Verifying every chunk proof of the query once on CPUs like the measuring machine, rented per vCPU:
    ``verify_core_s`` (vCPU-s), ``verify_usd`` and its ratio to the inference's dollars."""
    usd = np.asarray(verify_core_s, dtype=float) * a["cpu_rent_vcpu_hour"] / 3600.0
    return {"verify_core_s": np.asarray(verify_core_s, dtype=float), "verify_usd": usd,
            "ratio_verify_usd": usd / values["infer_usd"]}


def price_draws(arch_id: str = "llama3-70b", scenario: str = "measured", *, overrides=None, draws: int = 100_000,
                seed: int = 20261201, memory_budget_bytes: float | None = None, fleet: int = 1,
                query_scale: float = 1.0, prover: str = "ezkl") -> dict:
    """The raw Monte Carlo: ``values`` (one array of ``draws`` per quantity of :func:`evaluate`),
    ``prove_core_s``, ``assumptions`` (the drawn assumption arrays by name), ``meta``
    (:func:`chasm.economics.scenarios.prove_distribution`) and ``frame`` (the assumptions table used).
    Draw order: proving work, the scenario's assumptions, then the inference ones (seeded by ``seed``).
    ``prover``: ``ezkl`` (its laws and chains of chunk proofs) or ``jstprove`` (an estimate for the dense layers,
    :mod:`chasm.economics.jstprove_query`; measured scenario only)."""
    if draws < 2:
        raise ValueError("draws must be at least 2")
    if prover not in PROVERS:
        raise AssumptionError(f"unknown prover {prover!r}; known: {', '.join(PROVERS)}")
    frame = load_assumptions(overrides)
    rng = np.random.default_rng(seed)
    if prover == "jstprove":
        if scenario != "measured":
            raise AssumptionError("JSTprove was measured on this machine's CPUs with one thread only: "
                                  "its queries are priced in the measured scenario (--scenario measured)")
        from chasm.economics import jstprove_query

        dist = jstprove_query.prove_distribution(arch_id, memory_budget_bytes)
        prover = {"core_s": split_lognormal(*dist["core_s"], rng.standard_normal(draws)),
                  "assumptions": draw_assumptions(frame, scenario_named(scenario).assumptions, draws, rng), "meta": dist}
    else:
        prover = prover_draws(arch_id, scenario, frame, draws, rng, memory_budget_bytes)
    rest = [n for n in _names(arch_id, scenario) if n not in prover["assumptions"]]
    a = {**prover["assumptions"], **draw_assumptions(frame, rest, draws, rng)}
    if query_scale <= 0:
        raise AssumptionError(f"query scale must be positive, got {query_scale!r}")
    values = evaluate(arch_id, scenario, prover["core_s"], a, prover["meta"], fleet, query_scale)
    verify_core_s = split_lognormal(*prover["meta"]["verify_core_s"], rng.standard_normal(draws)) * query_scale
    values.update(_verification(verify_core_s, a, values))
    if "prover_serial_share" in prover["assumptions"]:
        frame, _ = serial_share_range(frame, prover["meta"]["thread_scaling"])
    points = point_values(frame, a)
    central = evaluate(arch_id, scenario, prover["meta"]["core_s"][1], points, prover["meta"], fleet, query_scale)
    central.update(_verification(prover["meta"]["verify_core_s"][1] * query_scale, points, central))
    return {"values": values, "central": central, "prove_core_s": prover["core_s"], "assumptions": a,
            "meta": prover["meta"], "frame": frame}


def summarise(x, unit: str) -> dict:
    """``{point, low, high, unit}``: median and 2.5/97.5 percentiles of the draws ``x``."""
    low, point, high = np.percentile(np.asarray(x, dtype=float), [2.5, 50, 97.5])
    return {"point": float(point), "low": float(low), "high": float(high), "unit": unit}


def price(arch_id: str = "llama3-70b", scenario: str = "measured", *, overrides=None, draws: int = 100_000,
          seed: int = 20261201, memory_budget_bytes: float | None = None, fleet: int = 1,
          query_scale: float = 1.0, prover: str = "ezkl") -> dict:
    """Priced query: each of :data:`QUANTITIES` (and ``ratio_latency``, ``infer_api_usd``,
    ``ratio_api_usd``, ``prove_core_s``) as ``{point, low, high, unit}`` (:func:`summarise`), plus
    ``meta``: arch, scenario and its description, machine, fleet, chunk ``K``, chunks, memory budget,
    draws, seed, measuring hardware tag and threads, and ``assumptions`` (each used row's low, point,
    high, unit and whether it was overridden); for ezkl, ``onchain``: verifying every chunk proof of the
    query on Ethereum (:func:`chasm.economics.onchain.frontier_onchain`: gas, blocks, USD ranges)."""
    raw = price_draws(arch_id, scenario, overrides=overrides, draws=draws, seed=seed,
                      memory_budget_bytes=memory_budget_bytes, fleet=fleet, query_scale=query_scale, prover=prover)
    out = {key: {**summarise(arr, UNITS[key]), "central": float(raw["central"][key])}
           for key, arr in raw["values"].items()}
    sc, m, frame = SCENARIOS[scenario], raw["meta"], raw["frame"]
    used = {name: {"low": float(frame.loc[name, "low"]), "point": float(frame.loc[name, "point"]),
                   "high": float(frame.loc[name, "high"]), "unit": frame.loc[name, "unit"],
                   "overridden": bool(frame.loc[name, "overridden"])} for name in raw["assumptions"]}
    out["meta"] = {"arch_id": arch_id, "scenario": scenario, "prover": prover, "description": sc.description, "machine": sc.machine,
                   "fleet": fleet, "query_scale": query_scale, "K": m["K"], "chunks": m["chunks"], "memory_budget_bytes": m["budget_bytes"],
                   "draws": draws, "seed": seed, "hardware_tag": m["hardware_tag"], "prover_threads": m["threads"],
                   "prove_core_s_95": list(m["core_s"]), "infer_gpus": INFER_GPUS[arch_id], "assumptions": used,
                   "thread_scaling": m["thread_scaling"], "chunk_peak_bytes_high": m["peak_bytes_high"]}
    if prover == "ezkl":  # every chunk proof verified on Ethereum with ezkl's measured verifier
        from chasm.economics.onchain import frontier_onchain

        out["onchain"] = {k: (list(map(float, v)) if isinstance(v, (tuple, list)) else
                              (float(v) if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)
                               else v))
                          for k, v in frontier_onchain(out["meta"]).items()}
    if "serial_share" in m:
        at_once, n = server_layout(frame.loc["cpu_server_ram_gib", "point"], m["peak_bytes_high"], int(sc.rent_units))
        out["meta"].update(serial_share=m["serial_share"], chunks_at_once=float(at_once), threads_per_chunk=float(n))
    return out


def sensitivity(arch_id: str = "llama3-70b", scenario: str = "measured", quantity: str = "ratio_usd", *,
                overrides=None, memory_budget_bytes: float | None = None) -> pd.DataFrame:
    """One row per input of ``quantity`` (every assumption the pricing uses, and ``prove_core_s``, the
    frontier law's 95% interval): ``quantity`` with that input at its ``low`` (``at_low``) and at its
    ``high`` (``at_high``), every other input at its point (``base``: all at point), and ``swing`` =
    ``|at_high - at_low|``; sorted by swing, largest first (the order of a tornado chart). Evaluated at
    points, not drawn: with independent inputs the point of a product is its median for lognormals."""
    frame = load_assumptions(overrides)
    dist = prove_distribution(arch_id, memory_budget_bytes)
    names = _names(arch_id, scenario)
    if "prover_serial_share" in names:
        frame, _ = serial_share_range(frame, dist["thread_scaling"])
    base_a = point_values(frame, names)
    low_c, point_c, high_c = dist["core_s"]

    def value(a: dict, core_s: float) -> float:
        return float(evaluate(arch_id, scenario, core_s, a, dist)[quantity])

    base = value(base_a, point_c)
    rows = [{"assumption": "prove_core_s", "unit": UNITS["prove_core_s"], "low": low_c, "point": point_c,
             "high": high_c, "at_low": value(base_a, low_c), "at_high": value(base_a, high_c)}]
    for name in names:
        row = frame.loc[name]
        rows.append({"assumption": name, "unit": row["unit"], "low": float(row["low"]), "point": float(row["point"]),
                     "high": float(row["high"]), "at_low": value({**base_a, name: float(row["low"])}, point_c),
                     "at_high": value({**base_a, name: float(row["high"])}, point_c)})
    out = pd.DataFrame(rows)
    out["base"] = base
    out["swing"] = (out["at_high"] - out["at_low"]).abs()
    out["quantity"] = quantity
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def _text(result: dict) -> str:
    m = result["meta"]
    lines = [f"{m['arch_id']}, scenario {m['scenario']} ({m['description']}); fleet {m['fleet']} x {m['machine']}",
             f"chunks of 2^{m['K']} rows: {m['chunks']:.4g} per query; {m['draws']} draws, seed {m['seed']}; "
             f"measured on {m['hardware_tag']} ({m['prover_threads']} prover threads)", ""]
    for key in QUANTITIES + ("ratio_latency", "infer_api_usd", "ratio_api_usd"):
        q = result[key]
        lines.append(f"  {key:<16} {q['point']:>11.4g}   95% [{q['low']:.4g}, {q['high']:.4g}]  {q['unit']}")
    changed = [n for n, r in m["assumptions"].items() if r["overridden"]]
    if changed:
        lines.append("\noverridden: " + ", ".join(f"{n}={m['assumptions'][n]['point']:g}" for n in changed))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m chasm price``: price one query; ``--json`` prints :func:`price`'s dictionary."""
    parser = argparse.ArgumentParser(prog="python -m chasm price", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="llama3-70b", choices=sorted(INFER_GPUS))
    parser.add_argument("--scenario", default="measured", choices=list(SCENARIOS),
                        help="the proving hardware scenario (the prover as measured here, scaled to that hardware)")
    parser.add_argument("--prover", default="ezkl", choices=PROVERS,
                        help="the proof system: ezkl (measured laws, chains of chunk proofs) or jstprove (the dense "
                             "layers only: the query's multiply-accumulates at its measured marginal cost, where "
                             "its runs identify one; --scenario measured only)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override an assumption: NAME=VALUE (constant) or NAME=LOW:POINT:HIGH (range)")
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--fleet", type=int, default=1, help="machines proving the query's chunks at once")
    parser.add_argument("--query-scale", type=float, default=1.0,
                        help="multiply the query's prompt and reply tokens (and, in proportion, the proving work)")
    args = parser.parse_args(argv)
    try:
        result = price(args.arch, args.scenario, overrides=parse_sets(args.set), draws=args.draws,
                       seed=args.seed, fleet=args.fleet, query_scale=args.query_scale, prover=args.prover)
    except (AssumptionError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else _text(result))
    return 0
