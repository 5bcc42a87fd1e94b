"""Verdicts on the article's claims, computed from the committed data and the assumptions
(``python -m chasm verdicts [--json] [--set NAME=VALUE ...]``).

Each verdict compares an interval the compendium computes with the range the article states
(``data/claims.csv``: ``claimed_low``, ``claimed_high``, ``bound``) by one rule, :func:`judge`:

- ``interval`` claims: **supported** when our point lies in the stated range, **partly supported**
  when only our 95% interval overlaps it, **contradicted** when they are disjoint;
- ``open_above`` claims ("$5 - $50+"): **contradicted** when our whole interval lies below the
  stated floor, **partly supported** when it lies above ten times the stated top (right direction,
  understated by more than an order of magnitude), else **supported**; ``open_below`` mirrored.

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
import math
import sys

import numpy as np
import pandas as pd

from chasm.core.claims import load_claims

__all__ = ["UNDERSTATED", "judge", "ram_verdict", "size_table", "size_exponent", "frontier_verdicts",
           "CONTEXT", "PRICED", "price_verdicts", "measured_verdicts", "claim_verdicts", "main"]

#: How far above a stated open-ended range ("$50+") our interval must lie before the claim counts as
#: understated (partly supported) rather than supported.
UNDERSTATED = 10.0


def judge(ours: tuple[float, float, float], claimed_low: float, claimed_high: float, bound: str) -> tuple[str, str]:
    """Verdict and a one-line reason for our ``(low, point, high)`` against a stated range (see the module)."""
    lo, pt, hi = ours
    if bound == "open_above":
        if hi < claimed_low:
            return "contradicted", f"all of ours lies below the stated floor {claimed_low:g}"
        if lo > UNDERSTATED * claimed_high:
            return "partly_supported", (f"right direction, but ours is {pt / claimed_high:.3g} times the stated "
                                        f"{claimed_high:g}")
        return "supported", "ours lies in or near the stated open range"
    if bound == "open_below":
        if lo > claimed_high:
            return "contradicted", f"all of ours lies above the stated ceiling {claimed_high:g}"
        if hi < claimed_low / UNDERSTATED:
            return "partly_supported", f"right direction, but ours is {claimed_low / pt:.3g} times below it"
        return "supported", "ours lies in or near the stated open range"
    if claimed_low <= pt <= claimed_high:
        return "supported", "our point lies in the stated range"
    if lo <= claimed_high and hi >= claimed_low:
        return "partly_supported", "our 95% interval overlaps the stated range, our point does not"
    side = "above" if lo > claimed_high else "below"
    far = pt / claimed_high if side == "above" else claimed_low / pt
    return "contradicted", f"ours lies {far:.3g} times {side} the stated range"


def ram_verdict(peak_high_bytes: float, claimed_bytes: float) -> str:
    """A claimed prover memory against the 95% high bound of the cheapest chunk's peak memory:
    'supported' when the chunk needs more than half the claim (a server of that class is what it takes),
    'partly supported' from an eighth to a half (a large server, smaller than claimed), 'contradicted'
    below an eighth (an ordinary machine holds it)."""
    share = peak_high_bytes / claimed_bytes
    return "supported" if share > 0.5 else "partly supported" if share > 0.125 else "contradicted"


@functools.lru_cache(maxsize=2)
def size_table(budget_bytes: float | None = None) -> pd.DataFrame:
    """Per Llama-3 model, proven in its own cheapest chunks under ``budget_bytes`` (default: the article's
    prover memory): parameters, inference FLOPs per query, chosen ``K`` and prover core-seconds per query
    (both routes combined; point, 95% low and high)."""
    from chasm.costmodel.frontier import frontier_workload
    from chasm.costmodel.llama import list_architectures
    from chasm.laws import frontier

    laws = frontier.chunk_laws()
    budget = budget_bytes or next(iter(frontier.memory_budgets().values()))
    rows = []
    for arch in list_architectures():
        best = frontier.choose_chunk(arch, budget, laws)
        r, w = best["costs"], frontier_workload(arch)
        rows.append({"arch_id": arch, "params": float(w.params), "flops": float(w.flops_per_query), "K": best["K"],
                     "prove_core_s": float(r["prove_core_s"]), "prove_core_s_low": float(r["prove_core_s_low"]),
                     "prove_core_s_high": float(r["prove_core_s_high"]),
                     "peak_bytes": float(r["peak_bytes"]), "peak_bytes_high": float(r["peak_bytes_high"])})
    return pd.DataFrame(rows)


def size_exponent(table: pd.DataFrame, against: str = "params") -> dict[str, float | str]:
    """Exponent ``b`` of prover core-seconds per query ~ ``against^b`` between the smallest and the largest model
    of ``table``: ``point`` the slope between their points in log-log; ``low``/``high`` the slopes with both at
    their 95% low ends and both at their high ends (both are carried by the same fitted laws, so their errors
    move together; the rows bands, which do not, are about a thousandth), and ``reading``: superlinear when
    ``low`` > 1, sublinear when ``high`` < 1, else not resolved."""
    x = np.log(table[against].to_numpy())
    small, large = table.iloc[int(np.argmin(x))], table.iloc[int(np.argmax(x))]
    span = math.log(large[against] / small[against])
    slopes = [math.log(large[f"prove_core_s{e}"] / small[f"prove_core_s{e}"]) / span for e in ("_low", "", "_high")]
    point, low, high = slopes[1], min(slopes), max(slopes)
    reading = "superlinear" if low > 1 else "sublinear" if high < 1 else "not resolved"
    return {"point": point, "low": low, "high": high, "reading": reading}


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


#: Claims judged on the pricing of one Llama-3-70B query: claim id -> quantity of
#: :func:`chasm.economics.pricing.price` (``infer_api_usd``: the article's "(Cloud API)").
PRICED = {"cost_query_proving": "prove_usd", "cost_query_inference": "infer_api_usd", "cost_ratio_table": "ratio_usd",
          "cost_premium_today": "ratio_usd", "latency_inference": "infer_latency_s",
          "latency_proving": "prove_latency_s", "energy_proving": "prove_kwh", "energy_inference": "infer_kwh",
          "energy_ratio_table": "ratio_kwh"}


@functools.lru_cache(maxsize=8)
def _envelopes(overrides_key: tuple, draws: int, seed: int) -> dict[str, tuple[float, float, float]]:
    from chasm.economics.pricing import price
    from chasm.economics.scenarios import SCENARIOS

    overrides = dict(overrides_key) or None
    results = [price("llama3-70b", name, overrides=overrides, draws=draws, seed=seed) for name in SCENARIOS]
    out = {}
    for q in set(PRICED.values()):
        lows, points, highs = ([r[q][end] for r in results] for end in ("low", "point", "high"))
        out[q] = (min(lows), float(np.exp(np.mean(np.log(points)))), max(highs))
    return out


#: What the judged number refers to, where the article's wording leaves it open.
CONTEXT = {"latency_inference": "for the whole reply of the query in data/query.csv, at batch 1",
           "latency_proving": "on one machine of each scenario (a fleet divides it, at the same cost)"}


def price_verdicts(overrides=None, draws: int = 20_000, seed: int = 20261201) -> list[dict]:
    """Verdicts on the per-query cost, energy and latency claims of :data:`PRICED`: our 95% interval is the
    envelope of the hardware scenarios' (point: their geometric mean), judged by :func:`judge`."""
    key = tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in (overrides or {}).items()))
    env = _envelopes(key, draws, seed)
    claims = load_claims().set_index("claim_id")
    out = []
    for claim, q in PRICED.items():
        c = claims.loc[claim]
        verdict, reason = judge(env[q], float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
        if claim in CONTEXT:
            reason += f" ({CONTEXT[claim]})"
        if q.startswith("prove") or q.startswith("ratio"):
            reason += "; proving measured for ezkl 23 (halo2, KZG) only, other proof systems not measured"
        out.append({"claim_id": claim, "verdict": verdict, "judged_against": f"{q} {_iv(*env[q])}",
                    "reason": reason})
    return out


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
    rows = frontier_verdicts() + measured_verdicts(overrides) + price_verdicts(overrides, draws, seed)
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
