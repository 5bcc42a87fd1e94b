"""chasm.economics.scenarios: hardware scenarios and fleets (parallelism buys time, not dollars)."""

from __future__ import annotations

import numpy as np
import pytest

from chasm.economics import assumptions as A
from chasm.economics import scenarios as S

CORE_S = (2.0e10, 3.0e10, 4.5e10)
#: A measured 2-thread scaling: 1.8x from 1 to 2 threads (efficiency 0.9, serial share 2/1.8 - 1).
SCALING = {"pairs": 4, "configs": 2, "hardware_tag": "test-machine", "phase": "prove",
           "speedup": {"point": 1.8, "low": 1.7, "high": 1.9}, "efficiency": {"point": 0.9, "low": 0.85, "high": 0.95},
           "serial_share": {"point": 2 / 1.8 - 1, "low": 2 / 1.9 - 1, "high": 2 / 1.7 - 1}}
GIB = 2.0**30


def meta(chunks=1.0e6, peak_gib=100.0):
    return {"chunks": chunks, "peak_bytes_high": peak_gib * GIB, "thread_scaling": SCALING}


@pytest.fixture()
def stub(monkeypatch):
    dist = {"K": 15, "budget_bytes": 2.0**38, "chunks": 1.0e9, "core_s": CORE_S, "verify_core_s": (1.0, 2.0, 3.0),
            "peak_bytes_high": 100.0 * GIB, "threads": 2, "hardware_tag": "test-machine", "thread_scaling": SCALING}
    monkeypatch.setattr(S, "prove_distribution", lambda arch_id, budget=None: dict(dist))
    return dist


@pytest.fixture(scope="module")
def points():
    frame = A.load_assumptions()
    return {name: float(frame.loc[name, "point"]) for name in frame.index}


def test_every_scenario_names_assumptions_that_exist(points):
    for sc in S.SCENARIOS.values():
        assert {sc.rent, sc.power, "pue"} <= set(sc.assumptions) <= set(points)
    with pytest.raises(KeyError, match="known"):
        S.scenario("tpu")


def test_measured_prices_vcpu_seconds_at_the_vcpu_rent(points):
    out = S.prover_costs("measured", 7200.0, points, meta(chunks=4))
    assert out["usd"] == pytest.approx(2 * points["cpu_rent_vcpu_hour"])
    assert out["kwh"] == pytest.approx(7200 * points["cpu_power_per_core"] / 2 * points["pue"] / 3.6e6)
    assert out["latency_s"] == pytest.approx(3600.0)  # 2 vCPUs


def test_scenario_ordering(points):
    c = 1.0e10
    m, srv, gpu = (S.prover_costs(n, c, points, meta()) for n in ("measured", "cpu-server", "gpu"))
    assert gpu["latency_s"] < m["latency_s"] and srv["latency_s"] < m["latency_s"]
    assert gpu["machine_s"] == pytest.approx(c / points["gpu_prover_vcpu_equivalents"])


def test_the_server_runs_as_many_chunks_as_fit_each_with_its_share_of_threads():
    at_once, n = S.server_layout(768, 100 * GIB)
    assert (at_once, n) == (7, 192 / 7)
    assert S.server_layout(768, 800 * GIB) == (1, 192)  # a chunk larger than the RAM still gets one slot
    assert S.server_layout(np.array([256, 1024]), 128 * GIB)[0].tolist() == [2, 8]


def test_server_speed_is_amdahl_at_its_threads_over_the_measured_2_thread_efficiency():
    a = {"cpu_rent_vcpu_hour": 0.05, "cpu_power_per_core": 4.0, "pue": 1.5, "cpu_server_ram_gib": 768.0}
    core_s = 1.0e6
    serial = 0.01
    out = S.prover_costs("cpu-server", core_s, {**a, "prover_serial_share": serial}, meta(chunks=10.0))
    n = 192 / 7
    per_vcpu = (1 / (1 + serial * (n - 1))) / (1 / (1 + serial))  # Amdahl at n threads over Amdahl at the 2 measured
    assert out["machine_s"] == pytest.approx(core_s / (192 * per_vcpu))
    assert out["usd"] == pytest.approx(out["machine_s"] * 192 / 3600 * 0.05)
    assert out["latency_s"] == pytest.approx(out["machine_s"])  # 10 chunks, 7 at once: the machine's time binds
    # consistency with the measurement: 96 chunks at once (8 GiB each) gives 2 threads per chunk, the
    # measured count, so the server runs at exactly the measured per-vCPU rate whatever the serial share
    for share in (0.0, 0.01, 0.3):
        same = S.prover_costs("cpu-server", core_s, {**a, "prover_serial_share": share}, meta(chunks=1e4, peak_gib=8.0))
        assert same["machine_s"] == pytest.approx(core_s / 192)
    # more threads never make a vCPU faster than at two (a capped ratio): 768 GiB over one 700 GiB chunk
    alone = S.prover_costs("cpu-server", core_s, {**a, "prover_serial_share": 0.0}, meta(chunks=10.0, peak_gib=700.0))
    assert alone["machine_s"] == pytest.approx(core_s / 192)
    # more serial work, slower and dearer
    worse = S.prover_costs("cpu-server", core_s, {**a, "prover_serial_share": 0.1}, meta(chunks=10.0))
    assert worse["usd"] > out["usd"] and worse["machine_s"] > out["machine_s"]


def test_serial_share_range_covers_sources_and_measurement_unless_overridden(points):
    frame = A.load_assumptions()
    src = tuple(frame.loc["prover_serial_share", ["low", "point", "high"]])
    widened, note = S.serial_share_range(frame, SCALING)
    low, point, high = widened.loc["prover_serial_share", ["low", "point", "high"]]
    assert low == pytest.approx(min(src[0], SCALING["serial_share"]["low"]))
    assert high == pytest.approx(max(src[2], SCALING["serial_share"]["high"]))
    assert point == pytest.approx(np.sqrt(src[1] * SCALING["serial_share"]["point"]))  # measured point is outside
    assert note["widened"] and tuple(frame.loc["prover_serial_share", ["low", "point", "high"]]) == src
    agreeing = {**SCALING, "serial_share": {"point": src[1], "low": src[0], "high": src[2]}}
    same, note = S.serial_share_range(frame, agreeing)
    assert not note["widened"] and tuple(same.loc["prover_serial_share", ["low", "point", "high"]]) == src
    fixed = A.load_assumptions({"prover_serial_share": 0.002})
    kept, note = S.serial_share_range(fixed, SCALING)
    assert tuple(kept.loc["prover_serial_share", ["low", "point", "high"]]) == (0.002, 0.002, 0.002)


def test_a_fleet_buys_time_not_dollars(stub):
    t = S.fleet_table("llama3-70b", "measured", (1, 10, 1000, 10**12), draws=4000, seed=2)
    assert np.allclose(t["usd"], t["usd"].iloc[0])
    lat = t["latency_s"].to_numpy()
    assert lat[1] == pytest.approx(lat[0] / 10) and lat[2] == pytest.approx(lat[0] / 1000)
    assert lat[3] == pytest.approx(CORE_S[1] / 1e9 / 2, rel=0.05)  # floor: one chunk proof on one machine
    assert list(t["fleet_usd_per_hour"]) == sorted(t["fleet_usd_per_hour"])
