"""Verdicts on the article's claims, computed from the committed data and the assumptions
(``python -m chasm verdicts [--json] [--set NAME=VALUE ...]``).

Each verdict compares an interval the compendium computes with the range the article states
(``data/claims.csv``: ``claimed_low``, ``claimed_high``, ``bound``) by one rule,
:func:`chasm.economics.judge.judge` (re-exported here with the other names of that module).

Prices, energy and latency are judged against the envelope of the hardware scenarios
(:data:`chasm.economics.scenarios.SCENARIOS`): a claim about "current ZK provers" holds if some
hardware makes it hold. Memory and growth with model size come from the frontier laws
(:mod:`chasm.laws.frontier`): :func:`ram_verdict` and :func:`size_exponent`. Change an assumption
(``--set``) and a verdict can flip: the verdicts are functions of data and assumptions, not text.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys

import numpy as np
import pandas as pd

from chasm.core.claims import load_claims
from chasm.economics.judge import UNDERSTATED, judge, ram_verdict, size_exponent, size_table

__all__ = ["UNDERSTATED", "judge", "ram_verdict", "size_table", "size_exponent", "frontier_verdicts",
           "CONTEXT", "PRICED", "price_verdicts", "measured_verdicts", "claim_verdicts", "main"]


def _iv(lo: float, pt: float, hi: float) -> str:
    return f"{pt:.3g} ({lo:.3g} to {hi:.3g})"


def frontier_verdicts(arch_id: str = "llama3-70b") -> list[dict]:
    """Verdicts on the prover's memory (``ram_proving``) and on growth with model size
    (``proof_cost_superlinear``), from the frontier laws."""
    claims = load_claims().set_index("claim_id")
    table = size_table()
    row = table.set_index("arch_id").loc[arch_id]
    claimed = float(claims.loc["ram_proving", "claimed_low"]) * 2**30
    ram = ram_verdict(row["peak_bytes_high"], claimed)
    e = size_exponent(table)
    size = {"superlinear": "supported", "sublinear": "contradicted", "not resolved": "not_resolved"}[e["reading"]]
    return [
        {"claim_id": "ram_proving", "verdict": ram.replace(" ", "_"),
         "judged_against": f"peak memory per chunk {row['peak_bytes'] / 2**30:.3g} GiB "
                           f"(<= {row['peak_bytes_high'] / 2**30:.3g} GiB)",
         "reason": f"the cheapest chain of {arch_id} (chunks of 2^{int(row['K'])} rows) needs "
                   f"1/{claimed / row['peak_bytes_high']:.2g} of the claimed memory at its 95% high bound"},
        {"claim_id": "proof_cost_superlinear", "verdict": size,
         "judged_against": f"exponent in parameters {_iv(e['low'], e['point'], e['high'])}",
         "reason": "prover core-seconds per query across "
                   + ", ".join(f"{r.arch_id} (2^{r.K})" for r in table.itertuples()) + f": {e['reading']}"},
    ]


#: Claims judged on the pricing of one Llama-3-70B query: claim id -> quantities of
#: :func:`chasm.economics.pricing.price` whose envelope is judged (``infer_api_usd``: the article's
#: "(Cloud API)"; inference energy from batched serving, ``infer_kwh``, to the node serving the query
#: alone, ``infer_kwh_b1``, and latency from the reply's first token to its last: the article does not
#: say which). An envelope's low and high are the lowest low and highest high over the scenarios and
#: quantities, its point the larger quantity's point (the whole reply; the node alone).
PRICED = {"cost_query_proving": ("prove_usd",), "cost_query_inference": ("infer_api_usd",),
          "cost_ratio_table": ("ratio_usd",), "cost_premium_today": ("ratio_usd",),
          "latency_inference": ("infer_ttft_s", "infer_latency_s"), "latency_proving": ("prove_latency_s",),
          "energy_proving": ("prove_kwh",), "energy_inference": ("infer_kwh", "infer_kwh_b1"),
          "energy_ratio_table": ("ratio_kwh",)}


@functools.lru_cache(maxsize=8)
def _envelopes(overrides_key: tuple, draws: int, seed: int) -> dict[str, tuple[float, float, float]]:
    from chasm.economics.pricing import price
    from chasm.economics.scenarios import SCENARIOS

    overrides = dict(overrides_key) or None
    results = [price("llama3-70b", name, overrides=overrides, draws=draws, seed=seed) for name in SCENARIOS]
    out = {}
    for qs in set(PRICED.values()):
        lows, points, highs = ([r[q][end] for r in results for q in qs] for end in ("low", "point", "high"))
        out[qs] = (min(lows), float(np.exp(np.mean(np.log(points)))), max(highs))
    out["infer_latency_per_token"] = results[0]["infer_latency_s"]["point"]
    for qs in out:
        if isinstance(qs, tuple) and len(qs) > 1:  # an envelope of two quantities: its point is the larger one's
            out[qs] = (out[qs][0], max(r[q]["point"] for r in results for q in qs), out[qs][2])
    return out


#: What the judged number refers to, where the article's wording leaves it open.
CONTEXT = {"latency_inference": "from the first token to the whole reply of the query in data/query.csv, at batch 1: "
                                "the article states no reply length",
           "latency_proving": "on one machine of each scenario (a fleet divides it, at the same cost)",
           "energy_inference": "from batched serving up to the node serving the query alone",
           "cost_premium_today": "the article's own table states 500x - 5000x for the same comparison"}


def price_verdicts(overrides=None, draws: int = 20_000, seed: int = 20261201) -> list[dict]:
    """Verdicts on the per-query cost, energy and latency claims of :data:`PRICED`: our 95% interval is the
    envelope of the hardware scenarios' (point: their geometric mean), judged by :func:`judge`. The
    proving is ezkl's: the article's claims are about zero-knowledge proofs, and the second family
    measured (JSTprove) is not zero-knowledge."""
    key = tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in (overrides or {}).items()))
    env = _envelopes(key, draws, seed)
    claims = load_claims().set_index("claim_id")
    out = []
    for claim, q in PRICED.items():
        c = claims.loc[claim]
        verdict, reason = judge(env[q], float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
        reason = reason.replace("our 95% interval", "the envelope of our 95% intervals")
        if claim in CONTEXT:
            reason += f" ({CONTEXT[claim]})"
        if claim == "latency_inference":
            facts = _reply_tokens(env)
            reason += (f"; at the measured decode rate a reply of {facts[0]:.0f} to {facts[1]:.0f} tokens "
                       f"takes the stated {c['claimed_low']:g} to {c['claimed_high']:g} s")
        if any(x.startswith(("prove", "ratio")) for x in q):
            reason += ("; proving priced for ezkl (halo2, KZG), the zero-knowledge family measured; the second "
                       "family measured, JSTprove (GKR), is not zero-knowledge, and its estimate for the dense "
                       "layers alone is set beside ezkl's in the chapter provers")
        out.append({"claim_id": claim, "verdict": verdict, "judged_against": f"{' to '.join(q)} {_iv(*env[q])}",
                    "reason": reason})
    return out


def _reply_tokens(env: dict) -> tuple[float, float]:
    """Generated tokens whose batch-1 latency is the stated 1 and 3 seconds, at the query's measured mean
    time per token (latency over generated tokens, prefill included)."""
    from chasm.economics.pricing import arch_facts

    per_token = env["infer_latency_per_token"] / arch_facts("llama3-70b")["generated_tokens"]
    claim = load_claims().set_index("claim_id").loc["latency_inference"]
    return float(claim["claimed_low"]) / per_token, float(claim["claimed_high"]) / per_token


def measured_verdicts(overrides=None) -> list[dict]:
    """Verdicts settled by the measured runs and the cost model: the cost of proving the largest MLP
    measured here (``proof_cost_modest_net``: its median prove wall time x prover threads, priced at the
    vCPU rent's low/point/high) and the arithmetic of one token of a 100B-parameter model
    (``ops_100b_inference``: FLOPs per parameter of the three Llama-3 models, times 1e11)."""
    from chasm.core.runs import load_runs
    from chasm.costmodel.frontier import frontier_workload
    from chasm.costmodel.llama import list_architectures
    from chasm.economics.assumptions import load_assumptions

    claims = load_claims().set_index("claim_id")
    a = load_assumptions(overrides).loc["cpu_rent_vcpu_hour"]
    runs = load_runs()
    mlp = runs[(runs["family"] == "mlp") & runs["prove_s"].notna()]
    top = mlp[mlp["params"] == mlp["params"].max()]
    vcpu_h = float((top["prove_s"] * top["prove_threads"]).median()) / 3600
    cost = tuple(vcpu_h * float(a[end]) for end in ("low", "point", "high"))
    c = claims.loc["proof_cost_modest_net"]
    v1, r1 = judge(cost, float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    per_param = [frontier_workload(x).flops_per_token / frontier_workload(x).params for x in list_architectures()]
    ops = (1e11 * min(per_param), 1e11 * float(np.median(per_param)), 1e11 * max(per_param))
    c = claims.loc["ops_100b_inference"]
    v2, r2 = judge(ops, float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    return [{"claim_id": "proof_cost_modest_net", "verdict": v1, "judged_against": f"USD {_iv(*cost)}",
             "reason": f"{r1} (the largest MLP measured, {int(top['params'].iloc[0]):,} parameters, "
                       f"{vcpu_h * 3600:.0f} vCPU-s)"},
            {"claim_id": "ops_100b_inference", "verdict": v2, "judged_against": f"FLOPs per token {_iv(*ops)}",
             "reason": f"{r2} (FLOPs per parameter of the Llama-3 models, scaled to 1e11 parameters)"}]


def claim_verdicts(overrides=None, draws: int = 20_000, seed: int = 20261201) -> pd.DataFrame:
    """Every verdict the compendium computes: ``claim_id``, ``verdict`` (a value ``data/claims.schema.yaml``
    allows), ``judged_against`` and ``reason``; opinions, and facts about the world no data here can check,
    are ``not_testable`` with the reason. The rest stay as ``data/claims.csv`` records them (``untested``)."""
    from chasm.economics.market import concentration_verdicts
    from chasm.economics.measured_claims import measured_claim_verdicts
    from chasm.economics.trajectory import trajectory_verdicts

    rows = (frontier_verdicts() + measured_verdicts(overrides) + measured_claim_verdicts(overrides)
            + price_verdicts(overrides, draws, seed) + concentration_verdicts(overrides, draws, seed)
            + trajectory_verdicts(overrides, draws, seed))
    claims = load_claims()
    for c in claims.itertuples():
        if c.testable == "opinion_only":
            rows.append({"claim_id": c.claim_id, "verdict": "not_testable", "judged_against": "",
                         "reason": "an opinion or forecast: there is nothing to measure"})
        elif c.testable == "external" and c.chapter == "none":
            rows.append({"claim_id": c.claim_id, "verdict": "not_testable", "judged_against": "",
                         "reason": "a fact about the world (market shares, institutions, prices) that only outside "
                                   "data could check, and this book holds none"})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m chasm verdicts [--json] [--set NAME=VALUE ...]``: every claim with its verdict."""
    from chasm.economics.assumptions import AssumptionError, parse_sets

    parser = argparse.ArgumentParser(prog="python -m chasm verdicts", description=main.__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override an assumption (VALUE, or LOW:POINT:HIGH); repeatable")
    parser.add_argument("--draws", type=int, default=20_000)
    args = parser.parse_args(argv)
    try:
        overrides = parse_sets(args.set)
        computed = claim_verdicts(overrides, args.draws).set_index("claim_id")
    except AssumptionError as exc:
        print(f"verdicts: {exc}", file=sys.stderr)
        return 2
    claims = load_claims().set_index("claim_id")
    rows = []
    for claim, c in claims.iterrows():
        if claim in computed.index:
            rows.append({"claim_id": claim, **computed.loc[claim].to_dict()})
        else:
            rows.append({"claim_id": claim, "verdict": c["verdict"], "judged_against": "",
                         "reason": f"not tested yet ({c['testable']}; chapter: {c['chapter']})"})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(f"{r['claim_id']:<28} {r['verdict']:<17} {r['judged_against']}  {r['reason']}")
        counts = pd.Series([r["verdict"] for r in rows]).value_counts()
        print("\n" + ", ".join(f"{v}: {n}" for v, n in counts.items()))
    return 0
