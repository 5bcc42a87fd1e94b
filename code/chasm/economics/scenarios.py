"""Hardware scenarios for proving a frontier query, and latency against fleet size.

The proving work of a query is the frontier distribution of :mod:`chasm.laws.frontier` (core-seconds
on the measuring machine: wall seconds times its prover threads, i.e. vCPU-seconds of a 2-vCPU AMD
EPYC). A scenario turns those vCPU-seconds into machine-seconds of its own hardware, then dollars,
kWh and wall time (:func:`prover_costs`):

- ``measured``: machines like the measuring one (2 vCPUs, as measured), rented per vCPU-hour;
- ``cpu-server``: a 192-vCPU server with ``cpu_server_ram_gib`` of memory. It proves as many chunks at
  once as fit in memory (``P = floor(RAM / chunk peak)``, the peak at its 95% high), each with
  ``n = 192 / P`` threads. Per vCPU it runs at the measured 2-thread rate times
  ``E(n) / E(2)`` (at most 1), where ``E(n) = 1 / (1 + s (n - 1))`` is Amdahl's law with serial share
  ``s`` (:func:`serial_share_range`: the sourced ``prover_serial_share``, widened to cover the serial
  share measured here at 1 against 2 threads, :func:`chasm.laws.threads.thread_scaling`, where the two
  disagree, unless the assumption is overridden). The server's vCPUs are hyperthreads, two per core,
  while the measuring machine's two vCPUs scaled like whole cores: treating them alike makes the
  server's speed an upper estimate;
- ``gpu``: one GPU doing the work of ``gpu_prover_vcpu_equivalents`` measured vCPUs (sourced halo2 GPU
  provers: speed-up times the baseline's vCPUs per GPU, paired per source), rented and powered as an
  A100 80GB.

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

__all__ = ["SMT_THREADS_PER_CORE", "SERVER_VCPUS", "Scenario", "SCENARIOS", "scenario", "server_layout",
           "serial_share_range", "prove_distribution", "prover_costs", "prover_draws", "fleet_table"]

#: Hardware threads (vCPUs) per physical core of the rented and measured x86 CPUs (SMT on); converts
#: ``cpu_power_per_core`` (W per physical core) to W per vCPU.
SMT_THREADS_PER_CORE = 2
#: vCPUs of the many-core server (AWS m7i.48xlarge, 192 vCPU: the ``point`` of ``cpu_rent_vcpu_hour``).
SERVER_VCPUS = 192
_J_PER_KWH = 3.6e6
_GIB = 2.0**30


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
        "cpu-server", f"a {SERVER_VCPUS}-vCPU server proving as many chunks at once as fit in its memory, at the "
        "measured 2-thread speed scaled by Amdahl's law (thread scaling measured here, serial share sourced)",
        f"{SERVER_VCPUS}-vCPU server", "cpu_rent_vcpu_hour", "cpu_power_per_core", float(SERVER_VCPUS),
        ("cpu_rent_vcpu_hour", "cpu_power_per_core", "pue", "prover_serial_share", "cpu_server_ram_gib")),
    "gpu": Scenario(
        "gpu", "one GPU (priced as an A100 80GB) with the end-to-end speed-up of published halo2 GPU provers",
        "1 GPU", "gpu_rent_a100_80gb", "gpu_power_a100", 1.0,
        ("gpu_rent_a100_80gb", "gpu_power_a100", "pue", "gpu_prover_vcpu_equivalents")),
}


def scenario(name: str) -> Scenario:
    """The scenario called ``name`` (``KeyError`` listing the known ones otherwise)."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def server_layout(ram_gib, peak_bytes: float, vcpus: int = SERVER_VCPUS) -> tuple:
    """How a server of ``ram_gib`` GiB proves chunks whose peak memory is ``peak_bytes`` (bytes):
    ``(P, n)``, the chunk proofs at once (``floor(RAM / peak)``, at least 1) and the threads of each
    (``vcpus / P``). Arrays broadcast."""
    at_once = np.maximum(1.0, np.floor(np.asarray(ram_gib, dtype=float) * _GIB / float(peak_bytes)))
    return at_once, vcpus / at_once


def serial_share_range(frame: pd.DataFrame, scaling: dict) -> tuple[pd.DataFrame, dict]:
    """``frame`` with the ``prover_serial_share`` row widened to cover the serial share measured at 2
    threads (``scaling``: :func:`chasm.laws.threads.thread_scaling`), and a note of what was done.

    Where the measured range lies outside the sourced one, the new range runs from the smaller low
    (a positive one: a negative measured share is noise) to the larger high and its point is the
    geometric mean of the two points (two routes to one number that disagree: the interval covers
    both). An overridden row (``--set``) is left alone."""
    frame = frame.copy()
    row = frame.loc["prover_serial_share"]
    src = (float(row["low"]), float(row["point"]), float(row["high"]))
    meas = scaling["serial_share"]
    note = {"sourced": src, "measured": (meas["low"], meas["point"], meas["high"]), "widened": False}
    if bool(row.get("overridden", False)):
        note["used"] = src
        return frame, note
    # a negative measured share (a pair faster than twice as fast on two threads) is noise, not evidence
    # of a smaller serial share than the sources': only a positive measured low can lower the low end
    low = min(src[0], meas["low"]) if meas["low"] > 0 else src[0]
    high = max(src[2], meas["high"])
    point = src[1]
    if meas["point"] > src[2] or meas["point"] < src[0]:
        point = float(np.sqrt(src[1] * max(meas["point"], 1e-9)))
    used = (low, min(max(point, low), high), high)
    frame.loc["prover_serial_share", ["low", "point", "high"]] = list(used)
    note.update(used=used, widened=used != src)
    return frame, note


def prove_distribution(arch_id: str, memory_budget_bytes: float | None = None) -> dict:
    """The frontier proving work of ``arch_id``'s query at the chunk size chosen under the memory
    budget (bytes; default: the article's prover server, the first of
    :func:`chasm.laws.frontier.memory_budgets`): ``core_s`` and ``verify_core_s`` as
    ``(low, point, high)`` vCPU-seconds (95%), ``core_s`` widened from the laws' interval
    (``fitted_core_s``) to cover the speed spread of machines with the measuring machine's hardware tag
    (``instance_speed``: :func:`chasm.laws.threads.instance_speed`), ``chunks``, ``K``, ``peak_bytes_high`` (one chunk
    proof's peak memory at its 95% high, bytes), ``threads``, ``hardware_tag`` and ``thread_scaling``
    (:func:`chasm.laws.threads.thread_scaling` on the measuring machine)."""
    from chasm.laws import frontier
    from chasm.laws.threads import instance_speed, thread_scaling

    budget = memory_budget_bytes if memory_budget_bytes is not None else next(iter(frontier.memory_budgets().values()))
    laws = frontier.chunk_laws()
    chosen = frontier.choose_chunk(arch_id, budget, laws)
    c = chosen["costs"]
    speed = instance_speed(hardware_tag=laws.hardware_tag)
    fitted = (float(c["prove_core_s_low"]), float(c["prove_core_s"]), float(c["prove_core_s_high"]))
    return {"K": chosen["K"], "budget_bytes": float(budget), "chunks": float(c["chunks"]),
            "core_s": (fitted[0] * min(1.0, speed["low"]), fitted[1], fitted[2] * max(1.0, speed["high"])),
            "fitted_core_s": fitted, "instance_speed": speed,
            "verify_core_s": (float(c["verify_core_s_low"]), float(c["verify_core_s"]), float(c["verify_core_s_high"])),
            "peak_bytes_high": float(c["peak_bytes_high"]),
            "threads": int(laws.threads), "hardware_tag": laws.hardware_tag,
            "thread_scaling": thread_scaling(hardware_tag=laws.hardware_tag)}


def _rates(sc: Scenario, a: dict, meta: dict) -> tuple:
    """``(machine, chunk)``: measured vCPU-seconds one machine of ``sc`` does per wall second, and
    those one chunk proof gets per wall second (the whole machine for the 2-vCPU and GPU scenarios; its
    share of the server's threads for ``cpu-server``)."""
    if sc.name == "gpu":
        rate = a["gpu_prover_vcpu_equivalents"] * sc.rent_units
        return rate, rate
    if sc.name == "cpu-server":
        from chasm.laws.threads import amdahl_efficiency

        at_once, n = server_layout(a["cpu_server_ram_gib"], meta["peak_bytes_high"], int(sc.rent_units))
        serial = np.clip(a["prover_serial_share"], 0.0, 1.0)  # a share: the lognormal's far tail is cut at 1
        # relative to the measured 2-thread rate, on the same law: E(n) / E(2), never above 1
        per_vcpu = np.minimum(1.0, amdahl_efficiency(n, serial) / amdahl_efficiency(2.0, serial))
        return sc.rent_units * per_vcpu, n * per_vcpu
    return sc.rent_units, sc.rent_units


def prover_costs(name: str, core_s, a: dict, meta: dict, fleet: float = 1.0) -> dict:
    """Proving one query in scenario ``name``: ``core_s`` measured vCPU-seconds, ``a`` the assumption
    values (arrays or floats, in the table's units), ``meta`` (:func:`prove_distribution`: chunks,
    chunk peak memory, thread scaling), ``fleet`` machines working at once.

    Returns ``usd`` (USD), ``kwh`` (kWh, with PUE), ``machine_s`` (machine-seconds), ``latency_s``
    (wall seconds on the fleet: ``machine_s / fleet``, at least one chunk proof's time)."""
    sc = scenario(name)
    core_s = np.asarray(core_s, dtype=float)
    rate, chunk_rate = _rates(sc, a, meta)
    machine_s = core_s / rate
    unit_hours = machine_s * sc.rent_units / 3600.0
    watts = a[sc.power] / (SMT_THREADS_PER_CORE if sc.power == "cpu_power_per_core" else 1.0)
    usd = unit_hours * a[sc.rent]
    kwh = unit_hours * 3600.0 * watts * a["pue"] / _J_PER_KWH
    chunk_s = core_s / meta["chunks"] / chunk_rate
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
    if "prover_serial_share" in scenario(name).assumptions:
        frame, dist["serial_share"] = serial_share_range(frame, dist["thread_scaling"])
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
        costs = prover_costs(scenario_name, raw["core_s"], raw["assumptions"], raw["meta"], fleet=f)
        row = {"scenario": scenario_name, "machine": sc.machine, "machines": int(f),
               "fleet_usd_per_hour": float(f * sc.rent_units * frame.loc[sc.rent, "point"])}
        for key, arr in (("latency_s", costs["latency_s"]), ("usd", costs["usd"])):
            lo, mid, hi = np.percentile(arr, [2.5, 50, 97.5])
            row.update({key: mid, f"{key}_low": lo, f"{key}_high": hi})
        rows.append(row)
    return pd.DataFrame(rows)
