"""From the cost of a proof to the number of provers a market sustains (``python -m chasm market``).

**The market structure model: free entry at a given price, with a minimum unit of capacity** (a
break-even model in the tradition of Bain's minimum efficient scale and Sutton's market size over
set-up cost). Proofs are a homogeneous product; provers are identical; every prover sells at the
market price ``p`` (USD per proof); demand is ``D`` proofs per day. A prover's cost per day of
selling ``q`` proofs a day is

    C(q) = F0 + F * max(1, q / k) + e * q

- ``F`` (USD/day): the **unit**, the smallest fleet able to prove one frontier query within the
  latency target ``T`` (s), held around the clock whether busy or not. Its machines are those of a
  hardware scenario (:mod:`chasm.economics.scenarios`; ``cpu-server`` is the one sized by memory: as
  many chunk proofs at once as fit). A query takes ``s`` machine-seconds and, on a fleet of any size,
  at least one chunk proof's time ``t_c``; the unit proves a query in ``T_eff = max(T, t_c)`` on
  ``m = max(1, s / T_eff)`` machines, and costs ``F = m * r * 86400`` at rent ``r`` (USD per
  machine-second; energy is inside the rent, so ``e = 0`` here);
- ``k`` (proofs/day): what the unit proves a day at utilisation ``u`` (row ``market_utilisation``):
  ``k = 86400 * u * m / s``; past ``k`` a prover adds units at the same average cost, so there are
  constant returns beyond the first unit, and the average cost falls to ``c = F / k + e``;
- ``F0`` (USD/day): fixed costs per prover beyond the unit (staff, engineering, proving keys);
  zero unless set: ezkl's keys can be regenerated for each query instead of being stored
  (:func:`key_facts`);
- ``e`` (USD/proof): cost that scales with proofs beyond the unit (zero for rented machines).

**Minimum efficient scale** (MES): the smallest output at which a prover breaks even at price ``p``,
the root of ``p q = C(q)``: ``q* = (F + F0) / (p - e)`` when that is at most ``k`` (one unit, partly
used), else ``q* = F0 / (p - e - F / k)`` (more units), and no finite root when
``p <= e + F / k`` (:func:`mes`; :func:`mes_expressions` derives both branches with sympy).

**Provers sustained**: with free entry, provers enter while each still sells at least ``q*``; the
market sustains ``N = max(1, floor(D / q*))`` provers of equal size (:func:`provers_sustained`):
``N`` grows without bound as fixed costs vanish (``F``, ``F0`` -> 0: no concentration), and one
prover remains when they are unbounded (``q* >= D``: a natural monopoly, which then has to charge
more than ``p``: at least ``F0 + F`` over ``D``, its average cost at the whole market).

**Price**: cost plus the markup of a market that exists, serving Llama models by API: ``p = (1 + mu)
* c`` with ``mu = max(0, API price / GPU cost - 1)`` per query, draw by draw from the pricing
(:func:`chasm.economics.pricing.price_draws`); ``mu = 0`` is the competitive limit (price at average
cost, where ``q* = k``).

**Concentration**: with ``N`` equal shares, the Herfindahl-Hirschman index is ``HHI = 10000 / N``
(shares in percent) and the Nakamoto coefficient (the fewest provers that together hold more than
half the market) is ``floor(N / 2) + 1`` (:func:`hhi`, :func:`nakamoto`). Equal shares are the least
concentrated way ``N`` provers can share a market: any other split has a larger HHI and a Nakamoto
coefficient no larger, so the model bounds concentration from below.

Every quantity is computed draw by draw from the Monte Carlo of the pricing (proving work, prices,
inference throughput) and the market rows of ``data/assumptions.csv``; a summary is the median and
the 2.5 and 97.5 percentiles (:func:`market_frame`). Latency targets and demand are not drawn: no
source states them, so the model is read over a grid of both.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from fractions import Fraction

import numpy as np
import pandas as pd
import sympy as sp

from chasm.core.claims import load_claims
from chasm.economics import alternatives, pricing, scenarios
from chasm.economics.assumptions import AssumptionError, draw_assumptions, load_assumptions, parse_sets
from chasm.economics.judge import judge

__all__ = ["SECONDS_PER_DAY", "HHI_HIGHLY_CONCENTRATED", "MAJORITY", "HEADLINE_SCENARIO", "DGX_H100_GPUS", "DEMANDS",
           "mes_expressions", "mes", "provers_sustained", "hhi", "nakamoto", "hhi_equal", "nakamoto_equal",
           "article_latency_s", "latency_targets", "unit_of_capacity", "query_draws", "market_draws", "market_frame",
           "node_queries_per_day", "key_facts", "rack_price", "rack_verdict", "entities_verdict",
           "concentration_verdicts", "main"]

SECONDS_PER_DAY = 86400.0
#: The HHI above which the 2023 U.S. Merger Guidelines (DOJ and FTC, Guideline 1) call a market highly
#: concentrated (shares in percent).
HHI_HIGHLY_CONCENTRATED = 1800.0
#: The share the provers counted by the Nakamoto coefficient must together exceed.
MAJORITY = 0.5
#: The scenario whose machines are sized by a chunk proof's memory (the headline of the chapter).
HEADLINE_SCENARIO = "cpu-server"
#: GPUs in one DGX H100 system ("eight 80 GB H100 GPUs", NVIDIA DGX SuperPOD reference architecture
#: RA-11333-001, the source of row ``market_dgx_h100_per_rack``).
DGX_H100_GPUS = 8
#: Demands considered (proofs per day), decades from one proof a day.
DEMANDS = tuple(10.0 ** k for k in range(0, 7))


# ------------------------------------------------------------------ the model, symbolically


@functools.lru_cache(maxsize=1)
def mes_expressions() -> dict[str, sp.Expr]:
    """The minimum efficient scale derived with sympy: ``cost`` (``C(q)`` on each side of ``k``),
    ``one_unit`` and ``more_units`` (the root of ``p q - C(q)`` on each branch), ``hhi`` and
    ``nakamoto`` for ``N`` equal shares. Symbols: ``q, F, F0, p, e, k, N`` (all positive)."""
    q, F, F0, p, e, k, N, i = sp.symbols("q F F0 p e k N i", positive=True)
    below = F0 + F + e * q                     # q <= k: one unit, partly used
    above = F0 + F * q / k + e * q             # q > k: units added at F per k proofs
    one = sp.solve(sp.Eq(p * q, below), q)
    more = sp.solve(sp.Eq(p * q, above), q)
    share = 100 / N
    return {"cost_one_unit": below, "cost_more_units": above, "one_unit": sp.simplify(one[0]),
            "more_units": sp.simplify(more[0]), "hhi": sp.simplify(sp.summation(share ** 2, (i, 1, N))),
            "symbols": (q, F, F0, p, e, k, N)}


def mes(F, F0, p, e, k) -> np.ndarray:
    """Minimum efficient scale (proofs/day): the smallest ``q`` with ``p q >= C(q)`` (module docstring),
    ``inf`` where no output breaks even (``p <= e + F / k``), ``0`` where there is no fixed cost. Inputs in
    USD/day (``F``, ``F0``), USD/proof (``p``, ``e``) and proofs/day (``k``); arrays broadcast."""
    F, F0, p, e, k = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (F, F0, p, e, k)))
    margin = p - e
    with np.errstate(divide="ignore", invalid="ignore"):
        one = np.where(margin > 0, (F + F0) / margin, np.inf)
        unit_margin = margin - np.where(k > 0, F / k, np.inf)
        more = np.where(unit_margin > 0, F0 / unit_margin, np.inf)
    out = np.where(one <= k * (1.0 + 1e-9), np.minimum(one, k), more)  # at p = e + F/k the two branches meet at k
    return np.where((F == 0) & (F0 == 0) & (margin > 0), 0.0, out)


def provers_sustained(demand, scale) -> np.ndarray:
    """Provers of equal size the market sustains: ``max(1, floor(demand / scale))`` (``inf`` where the
    minimum efficient scale is zero); demand and scale in proofs/day."""
    demand, scale = np.broadcast_arrays(np.asarray(demand, dtype=float), np.asarray(scale, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(scale > 0, np.floor(demand / np.where(scale > 0, scale, 1.0)), np.inf)
    return np.maximum(1.0, n)


def hhi(shares) -> float:
    """Herfindahl-Hirschman index of market shares (fractions summing to 1): the sum of the squared
    shares in percent (10000 for one firm)."""
    s = np.asarray(shares, dtype=float)
    return float(np.sum((100.0 * s / s.sum()) ** 2))


def nakamoto(shares, threshold: float = MAJORITY) -> int:
    """Nakamoto coefficient: the fewest firms whose shares together exceed ``threshold`` of the market."""
    s = np.sort(np.asarray(shares, dtype=float))[::-1]
    # "more than": a cumulative share equal to the threshold (up to rounding) is not enough
    return int(np.argmax(np.cumsum(s) / s.sum() > threshold * (1.0 + 1e-12)) + 1)


def hhi_equal(n) -> np.ndarray:
    """HHI of ``n`` equal shares, ``10000 / n`` (0 for unboundedly many)."""
    return 10000.0 / np.asarray(n, dtype=float)


def nakamoto_equal(n, threshold: float = MAJORITY) -> np.ndarray:
    """Nakamoto coefficient of ``n`` equal shares: ``floor(threshold * n) + 1`` (``inf`` for ``inf``)."""
    return np.floor(threshold * np.asarray(n, dtype=float)) + 1.0


# ------------------------------------------------------------------ inputs


def article_latency_s() -> float:
    """The article's upper proving latency ("30 seconds - 10+ minutes", claim ``latency_proving``), s."""
    return float(load_claims().set_index("claim_id").loc["latency_proving", "claimed_high"])


def latency_targets() -> tuple[float, ...]:
    """Latency targets considered (s): the article's upper proving latency, an hour and a day."""
    return (article_latency_s(), 3600.0, SECONDS_PER_DAY)


def unit_of_capacity(machine_s, chunk_s, latency_s, utilisation, usd_per_machine_s) -> dict[str, np.ndarray]:
    """The smallest fleet that proves one query within ``latency_s`` (module docstring): ``latency_s``
    achieved (``T_eff``, s), ``machines``, ``capacity`` (proofs/day at ``utilisation``), ``fixed_usd_day``
    (``F``) and ``cost_usd`` (average cost per proof at capacity, ``F / k``). Arrays broadcast."""
    s, t_c, T, u, r = (np.asarray(x, dtype=float) for x in (machine_s, chunk_s, latency_s, utilisation,
                                                             usd_per_machine_s))
    t_eff = np.maximum(T, t_c)
    m = np.maximum(1.0, s / t_eff)
    k = SECONDS_PER_DAY * u * m / s
    F = m * r * SECONDS_PER_DAY
    return {"latency_s": t_eff, "machines": m, "capacity": k, "fixed_usd_day": F, "cost_usd": F / k}


@functools.lru_cache(maxsize=16)
def _query_draws(arch_id: str, scenario: str, overrides_key: tuple, draws: int, seed: int) -> dict:
    overrides = dict(overrides_key) or None
    raw = alternatives.priced_draws(arch_id, scenario, overrides=overrides, draws=draws, seed=seed)
    one = scenarios.prover_costs(scenario, raw["prove_core_s"], raw["assumptions"], raw["meta"], fleet=1.0)
    floor = scenarios.prover_costs(scenario, raw["prove_core_s"], raw["assumptions"], raw["meta"], fleet=np.inf)
    v = raw["values"]
    frame = load_assumptions(overrides)
    extra = draw_assumptions(frame, ("market_utilisation",), draws, np.random.default_rng([seed, 1]))
    return {"machine_s": one["machine_s"], "chunk_s": floor["latency_s"], "usd_per_machine_s": one["usd"] / one["machine_s"],
            "markup": np.maximum(0.0, v["infer_api_usd"] / v["infer_usd"] - 1.0),
            "utilisation": np.clip(extra["market_utilisation"], 1e-6, 1.0), "meta": raw["meta"],
            "throughput": raw["assumptions"][pricing.INFER_THROUGHPUT[arch_id]], "values": v}


def query_draws(arch_id: str = "llama3-70b", scenario: str = HEADLINE_SCENARIO, *, overrides=None,
                draws: int = 20_000, seed: int = 20261201) -> dict:
    """One query of ``arch_id`` proven in ``scenario``, draw by draw (cached): the pricing's ``values``
    (:func:`chasm.economics.pricing.price_draws`, same seed, so the same draws as ``price``), machine-seconds
    per query on one machine (``machine_s``), one chunk proof's time (``chunk_s``, s), rent per
    machine-second (``usd_per_machine_s``), the inference market's ``markup`` (API price over GPU cost, less
    one, at least 0), ``utilisation`` (row ``market_utilisation``, drawn from its own stream) and the
    inference node's ``throughput`` (output tokens/s)."""
    return _query_draws(arch_id, scenario, _key(overrides), draws, seed)


def _key(overrides) -> tuple:
    return tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in (overrides or {}).items()))


def market_draws(arch_id: str = "llama3-70b", scenario: str = HEADLINE_SCENARIO, latency_s: float | None = None,
                 demand: float = 1.0, *, fixed_usd_day: float = 0.0, overrides=None, draws: int = 20_000,
                 seed: int = 20261201, competitive: bool = False) -> dict[str, np.ndarray]:
    """The market model draw by draw for one scenario, latency target (s; default the article's) and demand
    (proofs/day): the unit (:func:`unit_of_capacity`), ``price`` (USD/proof), ``mes`` (proofs/day),
    ``provers``, ``hhi``, ``nakamoto`` and ``latency_met`` (1 where the unit meets the target, 0 where one
    chunk proof alone takes longer). ``competitive`` prices at average cost (markup 0)."""
    d = query_draws(arch_id, scenario, overrides=overrides, draws=draws, seed=seed)
    T = article_latency_s() if latency_s is None else float(latency_s)
    unit = unit_of_capacity(d["machine_s"], d["chunk_s"], T, d["utilisation"], d["usd_per_machine_s"])
    markup = 0.0 * d["markup"] if competitive else d["markup"]
    price = (1.0 + markup) * unit["cost_usd"]
    scale = mes(unit["fixed_usd_day"], fixed_usd_day, price, 0.0, unit["capacity"])
    n = provers_sustained(demand, scale)
    return {**unit, "price": price, "markup": markup, "mes": scale, "provers": n, "hhi": hhi_equal(n),
            "nakamoto": nakamoto_equal(n), "latency_met": (d["chunk_s"] <= T).astype(float),
            "utilisation": d["utilisation"]}


def _summary(x) -> tuple[float, float, float]:
    """2.5th, 50th and 97.5th percentiles; ``inf`` where they fall among infinite draws."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        q = np.percentile(x, [2.5, 50, 97.5])
    q = np.where(np.isnan(q), np.inf, q)
    return float(q[0]), float(q[1]), float(q[2])


def market_frame(arch_id: str = "llama3-70b", scenario_names=None, latencies=None, demands=DEMANDS, *,
                 fixed_usd_day: float = 0.0, overrides=None, draws: int = 20_000, seed: int = 20261201,
                 competitive: bool = False) -> pd.DataFrame:
    """One row per scenario, latency target (s) and demand (proofs/day): each quantity of
    :func:`market_draws` as median with ``_low``/``_high`` (2.5 and 97.5 percentiles), and
    ``latency_met`` (the share of draws whose unit meets the target)."""
    rows = []
    for sc in scenario_names or tuple(scenarios.SCENARIOS):
        for T in latencies or latency_targets():
            for D in demands:
                r = market_draws(arch_id, sc, T, D, fixed_usd_day=fixed_usd_day, overrides=overrides, draws=draws,
                                 seed=seed, competitive=competitive)
                row = {"scenario": sc, "latency_target_s": float(T), "demand": float(D),
                       "latency_met": float(np.mean(r["latency_met"]))}
                for key in ("latency_s", "machines", "capacity", "fixed_usd_day", "cost_usd", "price", "markup",
                            "mes", "provers", "hhi", "nakamoto"):
                    lo, mid, hi = _summary(r[key])
                    row.update({key: mid, f"{key}_low": lo, f"{key}_high": hi})
                rows.append(row)
    return pd.DataFrame(rows)


def node_queries_per_day(arch_id: str = "llama3-70b", *, overrides=None, draws: int = 20_000,
                         seed: int = 20261201) -> tuple[float, float, float]:
    """Queries of ``data/query.csv`` one inference node serves a day at its saturated throughput
    (:data:`chasm.economics.pricing.INFER_THROUGHPUT`, output tokens/s per node, over the query's
    generated tokens), 95% interval ``(low, median, high)``: the demand that proving every query of one
    node would make."""
    d = query_draws(arch_id, HEADLINE_SCENARIO, overrides=overrides, draws=draws, seed=seed)
    return _summary(d["throughput"] * SECONDS_PER_DAY / pricing.arch_facts(arch_id)["generated_tokens"])


def key_facts(arch_id: str = "llama3-70b") -> dict[str, float]:
    """ezkl's proving keys for the frontier query (:mod:`chasm.laws.frontier` at the chosen chunk): the
    core-seconds to generate every distinct chunk circuit's key (low and high: decoding circuits shared
    across steps, or every chunk its own) over the core-seconds to prove the query (points), and the
    bytes to store them: regenerating the keys per query costs that share more, storing them that many
    bytes per prover."""
    from chasm.laws import frontier

    budget = next(iter(frontier.memory_budgets().values()))
    c = frontier.choose_chunk(arch_id, budget)["costs"]
    prove = float(c["prove_core_s"])
    return {"keygen_share_low": float(c["keygen_core_s_low"]) / prove,
            "keygen_share_high": float(c["keygen_core_s_high"]) / prove,
            "key_bytes_low": float(c["pk_storage_bytes_low"]), "key_bytes_high": float(c["pk_storage_bytes_high"])}


# ------------------------------------------------------------------ verdicts


def rack_price(overrides=None, draws: int = 20_000, seed: int = 20261201) -> dict[str, tuple[float, float, float]]:
    """Price of one GPU rack (USD, 95% intervals): ``h100`` = DGX H100 systems per rack times a system's
    price (independent split-lognormal draws of ``market_dgx_h100_per_rack`` and ``market_dgx_h100_price``),
    ``nvl72`` = a GB200 NVL72 rack (its row's range), and ``envelope``: the lowest low, the geometric mean
    of the two medians and the highest high."""
    frame = load_assumptions(overrides)
    names = ("market_dgx_h100_per_rack", "market_dgx_h100_price", "market_gb200_nvl72_rack_price")
    a = draw_assumptions(frame, names, draws, np.random.default_rng([seed, 2]))
    h100 = _summary(a["market_dgx_h100_per_rack"] * a["market_dgx_h100_price"])
    nvl = _summary(a["market_gb200_nvl72_rack_price"])
    env = (min(h100[0], nvl[0]), float(np.sqrt(h100[1] * nvl[1])), max(h100[2], nvl[2]))
    return {"h100": h100, "nvl72": nvl, "envelope": env}


def rack_verdict(overrides=None) -> dict:
    """``gpu_rack_cost`` ("$1M+ GPU Rack Cost") judged by :func:`chasm.economics.judge.judge` against the
    envelope of :func:`rack_price`."""
    c = load_claims().set_index("claim_id").loc["gpu_rack_cost"]
    r = rack_price(overrides)
    verdict, reason = judge(r["envelope"], float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    lo, pt, hi = r["envelope"]
    per_rack = load_assumptions(overrides).loc["market_dgx_h100_per_rack"]
    gpus = pricing.INFER_GPUS["llama3-70b"]
    return {"claim_id": "gpu_rack_cost", "verdict": verdict,
            "judged_against": f"USD per rack {pt:.3g} ({lo:.3g} to {hi:.3g})",
            "reason": (f"{reason} (a rack of {per_rack['low']:g} to {per_rack['high']:g} DGX H100 systems: "
                       f"{_iv(r['h100'])} USD; a GB200 NVL72 rack: {_iv(r['nvl72'])} USD; re-running a Llama-3-70B "
                       f"query needs {gpus} H100 GPUs, {Fraction(gpus, DGX_H100_GPUS)} of one DGX H100)")}


def _iv(t: tuple[float, float, float]) -> str:
    return f"{t[1]:.3g} ({t[0]:.3g} to {t[2]:.3g})"


def entities_verdict(arch_id: str = "llama3-70b", overrides=None, draws: int = 20_000, seed: int = 20261201) -> dict:
    """``viable_entities`` ("<10 Viable Entities") against the provers the model sustains (memory-sized
    server, the article's proving latency), over demands from one proof a day to every query one inference
    node serves a day (:func:`node_queries_per_day`, its median): the 2.5th percentile of ``N`` at the
    first, its median and 97.5th percentile at the second. Where that interval straddles the claimed 10 the verdict is ``not_resolved`` and the
    reason states the demand at which the market sustains 10 provers; otherwise :func:`judge`."""
    c = load_claims().set_index("claim_id").loc["viable_entities"]
    claimed = float(c["claimed_high"])
    node = node_queries_per_day(arch_id, overrides=overrides, draws=draws, seed=seed)
    low = market_draws(arch_id, HEADLINE_SCENARIO, None, 1.0, overrides=overrides, draws=draws, seed=seed)
    high = market_draws(arch_id, HEADLINE_SCENARIO, None, node[1], overrides=overrides, draws=draws, seed=seed)
    ours = (float(np.percentile(low["provers"], 2.5)), float(np.median(high["provers"])),
            float(np.percentile(high["provers"], 97.5)))
    ten = _summary(claimed * low["mes"])
    against = (f"provers sustained, {ours[0]:.3g} (one proof a day) to {ours[2]:.3g} (every query of one inference "
               f"node, {node[1]:.3g} a day)")
    where = (f"the market sustains {claimed:g} provers from a demand of {_iv(ten)} proofs a day "
             f"({100 * ten[1] / node[1]:.2g}% of one inference node's queries), at the article's proving latency on "
             f"memory-sized servers; the article states no demand, and this book has no data on it")
    if ours[0] < claimed <= ours[2]:
        return {"claim_id": "viable_entities", "verdict": "not_resolved", "judged_against": against,
                "reason": f"fewer than {claimed:g} below, more above: {where}"}
    verdict, reason = judge(ours, claimed, claimed, str(c["bound"]))
    return {"claim_id": "viable_entities", "verdict": verdict, "judged_against": against, "reason": f"{reason}; {where}"}


def concentration_verdicts(overrides=None, draws: int = 20_000, seed: int = 20261201) -> list[dict]:
    """The verdicts of the chapter "From cost to concentration": :func:`rack_verdict` and
    :func:`entities_verdict`."""
    return [rack_verdict(overrides), entities_verdict(overrides=overrides, draws=draws, seed=seed)]


# ------------------------------------------------------------------ command line


def _text(frame: pd.DataFrame) -> str:
    lines = [f"{'scenario':<11} {'target':>8} {'demand':>8}  {'met':>4}  {'fleet (machines)':>18}  "
             f"{'unit USD/day':>12}  {'MES /day':>9}  {'provers (95%)':>22}  {'HHI (95%)':>20}  Nakamoto"]
    for r in frame.itertuples():
        lines.append(f"{r.scenario:<11} {r.latency_target_s:>8.4g} {r.demand:>8.3g}  {r.latency_met:>4.2f}  "
                     f"{r.machines:>18.4g}  {r.fixed_usd_day:>12.4g}  {r.mes:>9.3g}  "
                     f"{r.provers:>7.4g} [{r.provers_low:.4g}, {r.provers_high:.4g}]  "
                     f"{r.hhi:>6.4g} [{r.hhi_low:.4g}, {r.hhi_high:.4g}]  "
                     f"{r.nakamoto:.4g} [{r.nakamoto_low:.4g}, {r.nakamoto_high:.4g}]")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m chasm market``: provers sustained, HHI and Nakamoto coefficient over latency targets
    and demands, with 95% intervals; the alternatives to proofs priced; the verdicts the model settles."""
    parser = argparse.ArgumentParser(prog="python -m chasm market", description=main.__doc__.splitlines()[0])
    parser.add_argument("--arch", default="llama3-70b", choices=sorted(pricing.INFER_GPUS))
    parser.add_argument("--scenario", action="append", choices=list(scenarios.SCENARIOS),
                        help="hardware scenario (repeatable; default: all)")
    parser.add_argument("--latency", action="append", type=float, metavar="SECONDS",
                        help="latency target (repeatable; default: the article's 600 s, 1 h, 1 day)")
    parser.add_argument("--demand", action="append", type=float, metavar="PROOFS_PER_DAY",
                        help="demand (repeatable; default: 1 to 1e6 by decades)")
    parser.add_argument("--fixed-usd-day", type=float, default=0.0, help="fixed cost per prover beyond its unit")
    parser.add_argument("--competitive", action="store_true", help="price at average cost (no markup)")
    for name, value in alternatives.DEFAULTS.items():
        parser.add_argument(f"--{name}", type=float, default=value, help=f"alternatives: {name} (default {value:g})")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override an assumption: NAME=VALUE or NAME=LOW:POINT:HIGH")
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    try:
        overrides = parse_sets(args.set)
        frame = market_frame(args.arch, tuple(args.scenario or scenarios.SCENARIOS),
                             tuple(args.latency or latency_targets()), tuple(args.demand or DEMANDS),
                             fixed_usd_day=args.fixed_usd_day, overrides=overrides, draws=args.draws, seed=args.seed,
                             competitive=args.competitive)
        alts = alternatives.alternatives_frame(args.arch, tuple(args.scenario or scenarios.SCENARIOS),
                                               params={n: getattr(args, n) for n in alternatives.DEFAULTS},
                                               overrides=overrides, draws=args.draws, seed=args.seed)
        verdicts = concentration_verdicts(overrides, args.draws, args.seed)
    except AssumptionError as err:
        print(f"market: {err}", file=sys.stderr)
        return 2
    if args.json:
        out = {"grid": json.loads(frame.to_json(orient="records")),
               "alternatives": json.loads(alts.to_json(orient="records")), "verdicts": verdicts}
        print(json.dumps(out, indent=2))
    else:
        print(_text(frame))
        cols = ["scenario", "route", "cost", "cost_low", "cost_high", "over_inference", "break_even", "beats_zk"]
        print("\nUSD per query beyond serving it once (95%), and the route's parameter at which it costs what the "
              "zk route costs:\n" + alts[cols].to_string(index=False, float_format=lambda x: f"{x:.3g}"))
        print()
        for v in verdicts:
            print(f"{v['claim_id']:<16} {v['verdict']:<17} {v['judged_against']}\n{'':<17}{v['reason']}")
    return 0
