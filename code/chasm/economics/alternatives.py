"""The alternatives to proving the article names, each with its cost per query and its trust assumption,
derived with sympy and priced with the Monte Carlo of :mod:`chasm.economics.pricing`.

Costs are USD per query **beyond running the query once** (the serving itself is paid in every route).
Symbols (:func:`expressions`): ``I`` the inference's cost (batched GPU serving, ``infer_usd``), ``P`` the
proof's (``prove_usd`` of a hardware scenario: ezkl as measured here), ``V`` one check of the proof
(every chunk proof verified once on CPUs, ``verify_usd``), ``o`` the slowdown of inference in a GPU
trusted execution environment (row ``alt_tee_overhead``), and the parameters of each protocol:

- **zk proof**: one prover, ``k`` verifiers: ``C = P + k V``. Trust: the proof system is sound and its
  setup honest (KZG: one honest participant of the powers-of-tau ceremony); the circuit is the model as
  deployed. No prover or verifier needs to be honest;
- **re-execution by k validators**: ``C = k I``. Trust: an honest majority of ``k`` independent validators
  and bitwise-deterministic inference, so that honest results agree;
- **optimistic verification**: ``w`` watchers re-run every result; a result is disputed with probability
  ``delta`` and a dispute costs the two parties' re-executions: ``C = w I + 2 delta I`` (the on-chain
  bisection game and the capital locked in bonds are not priced). Trust: at least one honest watcher that
  re-runs every result and gets its challenge on chain within the window (row ``alt_challenge_window_days``),
  which is also the time to finality;
- **spot checks**: a random share ``sigma`` of results re-run: ``C = sigma I``. Trust: a rational, staked
  prover; a cheat is caught with probability ``sigma``, so cheating does not pay when ``sigma`` times the
  stake exceeds the gain, but any single wrong result passes with probability ``1 - sigma``;
- **trusted hardware**: the query served inside a GPU enclave, its result signed with an attestation:
  ``C = o I``. Trust: the vendor's root of trust and attestation service, and the enclave's resistance to
  side channels and physical attacks.

**Where each beats proofs** (:func:`break_even`): solving ``C_alt = C_zk`` gives the parameter value at
which the two cost the same (``k* = P / (I - V)``, ``delta* = (P + k V - w I) / (2 I)``,
``sigma* = o* = (P + k V) / I``), and the proving-to-inference ratio below which proofs would win
(:func:`chasm_threshold`): ``k (1 - V / I)``, ``w + 2 delta - k V / I``, ``sigma - k V / I`` and
``o - k V / I``. When checking the proof costs more than running the query (``V > I``), no proving cost,
however small, makes the proof the cheaper route to a checked result.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sympy as sp

from chasm.economics import pricing
from chasm.economics.assumptions import draw_assumptions, load_assumptions

__all__ = ["Alternative", "ALTERNATIVES", "DEFAULTS", "expressions", "break_even", "chasm_threshold",
           "evaluate", "priced_draws", "alternatives_draws", "alternatives_frame"]


@dataclass(frozen=True)
class Alternative:
    """A route to a checked result: ``name``, its ``parameter`` (the symbol :func:`break_even` solves for),
    its ``trust`` assumption and what sets its time to a final result (``finality``)."""

    name: str
    parameter: str
    trust: str
    finality: str


ALTERNATIVES: dict[str, Alternative] = {
    "zk proof": Alternative("zk proof", "P", "the proof system is sound and its setup honest (KZG: one honest "
                            "participant of the powers-of-tau ceremony); the circuit is the model as deployed; no "
                            "honest prover or verifier needed", "the proving time on one machine"),
    "re-execution": Alternative("re-execution", "k", "an honest majority of k independent validators; bitwise "
                                "deterministic inference", "one inference"),
    "optimistic": Alternative("optimistic", "delta", "at least one honest watcher re-running every result and "
                              "able to get a challenge on chain within the window; bonds cover the damage",
                              "the challenge window"),
    "spot checks": Alternative("spot checks", "sigma", "a rational, staked prover: a cheat is caught with "
                               "probability sigma; a single wrong result passes with probability 1 - sigma",
                               "one inference (a caught cheat is punished later)"),
    "trusted hardware": Alternative("trusted hardware", "o", "the GPU vendor's root of trust and attestation "
                                    "service; the enclave resists side channels and physical attacks",
                                    "one inference in the enclave"),
}
#: Illustrative protocol parameters (no source states them): validators and verifiers ``k``, watchers
#: ``w``, dispute probability ``delta`` and sampled share ``sigma``. The break-even values show where
#: the conclusions depend on them.
DEFAULTS = {"k": 3.0, "w": 1.0, "delta": 0.01, "sigma": 0.05}


@functools.lru_cache(maxsize=1)
def expressions() -> dict[str, sp.Expr]:
    """Cost per query (USD, beyond serving it once) of each route of :data:`ALTERNATIVES`, as sympy
    expressions in ``I, P, V, o, k, w, delta, sigma`` (all positive)."""
    I, P, V, o, k, w, delta, sigma = sp.symbols("I P V o k w delta sigma", positive=True)
    return {"zk proof": P + k * V, "re-execution": k * I, "optimistic": w * I + 2 * delta * I,
            "spot checks": sigma * I, "trusted hardware": o * I}


def _symbol(name: str) -> sp.Symbol:
    return next(s for e in expressions().values() for s in e.free_symbols if s.name == name)


@functools.lru_cache(maxsize=1)
def break_even() -> dict[str, sp.Expr]:
    """For each alternative, the value of its parameter at which it costs what the zk route costs
    (``solve(C_alt = C_zk)``); above it (``k``, ``delta``, ``sigma``, ``o``) the alternative is dearer."""
    e = expressions()
    out = {}
    for name, alt in ALTERNATIVES.items():
        if name == "zk proof":
            continue
        sol = sp.solve(sp.Eq(e[name], e["zk proof"]), _symbol(alt.parameter))
        out[name] = sp.simplify(sol[0])
    return out


@functools.lru_cache(maxsize=1)
def chasm_threshold() -> dict[str, sp.Expr]:
    """For each alternative, the proving-to-inference cost ratio ``R = P / I`` at which the zk route costs
    the same; proofs are the cheaper route only for ``R`` below it."""
    e = expressions()
    R = sp.Symbol("R", positive=True)
    I, P = _symbol("I"), _symbol("P")
    return {name: sp.simplify(sp.solve(sp.Eq(e[name], e["zk proof"].subs(P, R * I)), R)[0])
            for name in ALTERNATIVES if name != "zk proof"}


def evaluate(values: dict, params: dict | None = None) -> dict[str, np.ndarray]:
    """Every route's cost per query (USD) from ``values`` (``I``, ``P``, ``V``, ``o``: arrays or floats)
    and the protocol parameters (:data:`DEFAULTS` updated by ``params``), by lambdified expressions."""
    p = {**DEFAULTS, **(params or {})}
    env = {**p, **values}
    out = {}
    for name, expr in expressions().items():
        syms = sorted(expr.free_symbols, key=lambda s: s.name)
        f = sp.lambdify(syms, expr, "numpy")
        out[name] = np.asarray(f(*(env[s.name] for s in syms)), dtype=float)
    return out


@functools.lru_cache(maxsize=16)
def _priced(arch_id: str, scenario: str, overrides_key: tuple, draws: int, seed: int) -> dict:
    return pricing.price_draws(arch_id, scenario, overrides=dict(overrides_key) or None, draws=draws, seed=seed)


def priced_draws(arch_id: str = "llama3-70b", scenario: str = "gpu", *, overrides=None, draws: int = 20_000,
                 seed: int = 20261201) -> dict:
    """:func:`chasm.economics.pricing.price_draws` of one query, cached by its arguments: the draws this
    module and :mod:`chasm.economics.market` share (same seed, so the same draws as ``python -m chasm price``)."""
    key = tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in (overrides or {}).items()))
    return _priced(arch_id, scenario, key, draws, seed)


def _draws(arch_id: str, scenario: str, overrides, draws: int, seed: int) -> dict:
    v = priced_draws(arch_id, scenario, overrides=overrides, draws=draws, seed=seed)["values"]
    frame = load_assumptions(overrides)
    extra = draw_assumptions(frame, ("alt_tee_overhead", "alt_challenge_window_days"), draws,
                             np.random.default_rng([seed, 3]))
    return {"I": v["infer_usd"], "P": v["prove_usd"], "V": v["verify_usd"], "o": extra["alt_tee_overhead"],
            "prove_latency_s": v["prove_latency_s"], "infer_latency_s": v["infer_latency_s"],
            "window_s": extra["alt_challenge_window_days"] * 86400.0}


def alternatives_draws(arch_id: str = "llama3-70b", scenario: str = "gpu", *, params: dict | None = None,
                       overrides=None, draws: int = 20_000, seed: int = 20261201) -> dict[str, dict[str, np.ndarray]]:
    """Draw by draw, per route: ``cost`` (USD/query), ``over_inference`` (cost / I), ``over_zk`` (cost / the
    zk route's), ``break_even`` (its parameter at which it ties with the zk route; ``nan`` where none exists),
    ``threshold`` (the ratio P/I below which proofs would win) and ``finality_s`` (s); the zk route also
    ``verify_over_inference`` (V / I: checking the proof against serving the query)."""
    d = _draws(arch_id, scenario, overrides, draws, seed)
    p = {**DEFAULTS, **(params or {})}
    env = {**p, **{s: d[s] for s in ("I", "P", "V", "o")}}
    cost = evaluate({s: d[s] for s in ("I", "P", "V", "o")}, p)
    R = sp.Symbol("R", positive=True)
    finality = {"zk proof": d["prove_latency_s"], "re-execution": d["infer_latency_s"], "optimistic": d["window_s"],
                "spot checks": d["infer_latency_s"], "trusted hardware": d["infer_latency_s"] * (1 + d["o"])}
    out = {}
    for name in ALTERNATIVES:
        row = {"cost": cost[name], "over_inference": cost[name] / d["I"], "over_zk": cost[name] / cost["zk proof"],
               "finality_s": np.asarray(finality[name], dtype=float)}
        if name == "zk proof":
            row["verify_over_inference"] = d["V"] / d["I"]
        else:
            for label, expr in (("break_even", break_even()[name]), ("threshold", chasm_threshold()[name])):
                syms = sorted(expr.free_symbols - {R}, key=lambda s: s.name)
                with np.errstate(divide="ignore", invalid="ignore"):
                    val = np.asarray(sp.lambdify(syms, expr, "numpy")(*(env[s.name] for s in syms)), dtype=float)
                row[label] = np.where(np.isfinite(val) & (val > 0), val, np.nan) if label == "break_even" else val
        out[name] = row
    return out


def _iv(x) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return (np.nan, np.nan, np.nan)
    lo, mid, hi = np.percentile(x, [2.5, 50, 97.5])
    return float(lo), float(mid), float(hi)


def alternatives_frame(arch_id: str = "llama3-70b", scenario_names=("measured", "cpu-server", "gpu"), *,
                       params: dict | None = None, overrides=None, draws: int = 20_000,
                       seed: int = 20261201) -> pd.DataFrame:
    """One row per scenario and route: each quantity of :func:`alternatives_draws` as median with
    ``_low``/``_high`` (2.5 and 97.5 percentiles), ``beats_zk`` (the share of draws in which the route
    costs less than the zk route), ``break_even_exists`` (the share with a positive finite break-even)
    and the route's ``parameter``, ``trust`` and ``finality``."""
    rows = []
    for sc in scenario_names:
        a = alternatives_draws(arch_id, sc, params=params, overrides=overrides, draws=draws, seed=seed)
        zk = a["zk proof"]["cost"]
        for name, alt in ALTERNATIVES.items():
            r = a[name]
            row = {"scenario": sc, "route": name, "parameter": alt.parameter, "trust": alt.trust,
                   "finality": alt.finality, "beats_zk": float(np.mean(r["cost"] < zk)) if name != "zk proof" else np.nan}
            for key in ("cost", "over_inference", "over_zk", "finality_s", "break_even", "threshold",
                        "verify_over_inference"):
                if key in r:
                    lo, mid, hi = _iv(r[key])
                    row.update({key: mid, f"{key}_low": lo, f"{key}_high": hi})
            if "break_even" in r:
                row["break_even_exists"] = float(np.mean(np.isfinite(r["break_even"])))
            rows.append(row)
    return pd.DataFrame(rows)

