"""Hardware scenarios for proving a frontier query, and latency against fleet size.

The proving work of a query is the frontier distribution of :mod:`chasm.laws.frontier` (core-seconds
on the measuring machine: wall seconds times its prover threads, i.e. vCPU-seconds of a 2-vCPU AMD
EPYC). A scenario turns those vCPU-seconds into machine-seconds of its own hardware, then dollars,
kWh and wall time (:func:`prover_costs`):

- ``measured``: machines like the measuring one (2 vCPUs, as measured), rented per vCPU-hour;
- ``cpu-server``: a 192-vCPU server (the size of the rented ``cpu_rent_vcpu_hour`` instance) whose
  per-vCPU rate is the measured one times ``prover_parallel_efficiency`` (sourced, derived);
- ``gpu``: one GPU doing the work of ``gpu_prover_speedup x gpu_prover_baseline_vcpus_per_gpu``
  measured vCPUs (sourced halo2 GPU provers), rented and powered as an A100 80GB.

Energy is the processor's rated power (CPU package per vCPU; GPU board) times time times PUE; host
memory, disks and network are left out. A fleet of ``F`` machines divides the wall time by ``F`` down
to one chunk proof's time (chunk proofs are independent once the inference trace is known), and
leaves dollars and kWh unchanged: parallelism buys time, not dollars (:func:`fleet_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chasm.economics.assumptions import draw_assumptions, load_assumptions, split_lognormal

__all__ = ["SMT_THREADS_PER_CORE", "SERVER_VCPUS", "Scenario", "SCENARIOS", "scenario",
           "prove_distribution", "prover_costs", "prover_draws", "fleet_table"]

#: Hardware threads (vCPUs) per physical core of the rented and measured x86 CPUs (SMT on); converts
#: ``cpu_power_per_core`` (W per physical core) to W per vCPU.
SMT_THREADS_PER_CORE = 2
#: vCPUs of the many-core server (AWS m7i.48xlarge, 192 vCPU: the ``point`` of ``cpu_rent_vcpu_hour``).
SERVER_VCPUS = 192
_J_PER_KWH = 3.6e6


@dataclass(frozen=True)
class Scenario:
    """A proving hardware scenario: ``machine`` (what one unit of the fleet is), ``rent`` and ``power``
    (assumption names: price per ``rent_unit``-hour, watts per ``rent_unit``), ``rent_units`` per
    machine, and the assumptions the vCPU-seconds are converted with (see :func:`prover_costs`)."""

    name: str
    description: str
    machine: str
    rent: str
    power: str
    rent_units: float
    assumptions: tuple[str, ...]


SCENARIOS: dict[str, Scenario] = {
    "measured": Scenario(
        "measured", "machines like the measuring one (2 vCPUs, AMD EPYC), at the measured speed",
        "2-vCPU machine", "cpu_rent_vcpu_hour", "cpu_power_per_core", 2.0,
        ("cpu_rent_vcpu_hour", "cpu_power_per_core", "pue")),
    "cpu-server": Scenario(
        "cpu-server", f"a {SERVER_VCPUS}-vCPU server at the measured per-vCPU speed times a parallel efficiency",
        f"{SERVER_VCPUS}-vCPU server", "cpu_rent_vcpu_hour", "cpu_power_per_core", float(SERVER_VCPUS),
        ("cpu_rent_vcpu_hour", "cpu_power_per_core", "pue", "prover_parallel_efficiency")),
    "gpu": Scenario(
        "gpu", "one GPU (priced as an A100 80GB) with the end-to-end speed-up of published halo2 GPU provers",
        "1 GPU", "gpu_rent_a100_80gb", "gpu_power_a100", 1.0,
        ("gpu_rent_a100_80gb", "gpu_power_a100", "pue", "gpu_prover_speedup", "gpu_prover_baseline_vcpus_per_gpu")),
}


def scenario(name: str) -> Scenario:
    """The scenario called ``name`` (``KeyError`` listing the known ones otherwise)."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def prove_distribution(arch_id: str, memory_budget_bytes: float | None = None) -> dict:
    """The frontier proving work of ``arch_id``'s query at the chunk size chosen under the memory
    budget (bytes; default: the article's prover server, the first of
    :func:`chasm.laws.frontier.memory_budgets`): ``core_s`` and ``verify_core_s`` as
    ``(low, point, high)`` vCPU-seconds (95%), ``chunks``, ``K``, ``threads``, ``hardware_tag``."""
    from chasm.laws import frontier

    budget = memory_budget_bytes if memory_budget_bytes is not None else next(iter(frontier.memory_budgets().values()))
    laws = frontier.chunk_laws()
    chosen = frontier.choose_chunk(arch_id, budget, laws)
    c = chosen["costs"]
    return {"K": chosen["K"], "budget_bytes": float(budget), "chunks": float(c["chunks"]),
            "core_s": (float(c["prove_core_s_low"]), float(c["prove_core_s"]), float(c["prove_core_s_high"])),
            "verify_core_s": (float(c["verify_core_s_low"]), float(c["verify_core_s"]), float(c["verify_core_s_high"])),
            "threads": int(laws.threads), "hardware_tag": laws.hardware_tag}


def _vcpu_rate(sc: Scenario, a: dict) -> np.ndarray | float:
    """Measured vCPU-seconds one machine of ``sc`` does per wall second."""
    if sc.name == "gpu":
        return a["gpu_prover_speedup"] * a["gpu_prover_baseline_vcpus_per_gpu"] * sc.rent_units
    if sc.name == "cpu-server":
        return sc.rent_units * a["prover_parallel_efficiency"]
    return sc.rent_units


def prover_costs(name: str, core_s, a: dict, chunks: float = 1.0, fleet: float = 1.0) -> dict:
    """Proving one query in scenario ``name``: ``core_s`` measured vCPU-seconds, ``a`` the assumption
    values (arrays or floats, in the table's units), ``fleet`` machines working at once.

    Returns ``usd`` (USD), ``kwh`` (kWh, with PUE), ``machine_s`` (machine-seconds), ``latency_s``
    (wall seconds on the fleet: ``machine_s / fleet``, at least one chunk proof's time on one machine,
    a chunk of a 2-vCPU-equivalent prover where the machine is bigger)."""
    sc = scenario(name)
    core_s = np.asarray(core_s, dtype=float)
    rate = _vcpu_rate(sc, a)
    machine_s = core_s / rate
    unit_hours = machine_s * sc.rent_units / 3600.0
    watts = a[sc.power] / (SMT_THREADS_PER_CORE if sc.power == "cpu_power_per_core" else 1.0)
    usd = unit_hours * a[sc.rent]
    kwh = unit_hours * 3600.0 * watts * a["pue"] / _J_PER_KWH
    per_chunk = core_s / chunks
    chunk_s = per_chunk / (rate if sc.name == "gpu" else rate * 2.0 / sc.rent_units)
    latency = np.maximum(machine_s / fleet, chunk_s)
    return {"usd": usd, "kwh": kwh, "machine_s": machine_s, "latency_s": latency}


def prover_draws(arch_id: str, name: str, frame: pd.DataFrame, draws: int, rng: np.random.Generator,
                 memory_budget_bytes: float | None = None) -> dict:
    """Draws of one query's proving in scenario ``name``: ``core_s`` (measured vCPU-seconds from the split
    lognormal of :func:`prove_distribution`'s 95% interval, drawn first) and ``assumptions`` (the
    scenario's, from ``frame`` by :func:`chasm.economics.assumptions.draw_assumptions`), plus ``meta``
    (:func:`prove_distribution`). The order of the draws is fixed, so a generator seeded alike gives
    the same values wherever this is called."""
    dist = prove_distribution(arch_id, memory_budget_bytes)
    core_s = split_lognormal(*dist["core_s"], rng.standard_normal(draws))
    return {"core_s": core_s, "assumptions": draw_assumptions(frame, scenario(name).assumptions, draws, rng),
            "meta": dist}


def fleet_table(arch_id: str = "llama3-70b", scenario_name: str = "measured",
                fleet_sizes=(1, 10, 100, 1_000, 10_000, 100_000, 1_000_000), *, overrides=None,
                draws: int = 20_000, seed: int = 20261201, memory_budget_bytes: float | None = None) -> pd.DataFrame:
    """Wall time (s) and cost (USD) of proving one query of ``arch_id`` against fleet size in a scenario.

    One row per fleet size: ``latency_s`` and ``usd`` (median) with ``_low``/``_high`` (95%), the fleet's
    hourly rent ``fleet_usd_per_hour`` (point) and ``machines``. Every row uses the same draws (the
    prover draws of :func:`chasm.economics.pricing.price_draws` at the same seed): the dollars are the
    same at every fleet size, only the time falls, down to one chunk proof's time."""
    frame = load_assumptions(overrides)
    raw = prover_draws(arch_id, scenario_name, frame, draws, np.random.default_rng(seed), memory_budget_bytes)
    sc = scenario(scenario_name)
    rows = []
    for f in fleet_sizes:
        costs = prover_costs(scenario_name, raw["core_s"], raw["assumptions"], raw["meta"]["chunks"], fleet=f)
        row = {"scenario": scenario_name, "machine": sc.machine, "machines": int(f),
               "fleet_usd_per_hour": float(f * sc.rent_units * frame.loc[sc.rent, "point"])}
        for key, arr in (("latency_s", costs["latency_s"]), ("usd", costs["usd"])):
            lo, mid, hi = np.percentile(arr, [2.5, 50, 97.5])
            row.update({key: mid, f"{key}_low": lo, f"{key}_high": hi})
        rows.append(row)
    return pd.DataFrame(rows)
