"""chasm.economics.scenarios: hardware scenarios and fleets (parallelism buys time, not dollars)."""

from __future__ import annotations

import numpy as np
import pytest

from chasm.economics import assumptions as A
from chasm.economics import scenarios as S

CORE_S = (2.0e10, 3.0e10, 4.5e10)


@pytest.fixture()
def stub(monkeypatch):
    dist = {"K": 15, "budget_bytes": 2.0**38, "chunks": 1.0e9, "core_s": CORE_S, "verify_core_s": (1.0, 2.0, 3.0),
            "threads": 2, "hardware_tag": "test-machine"}
    monkeypatch.setattr(S, "prove_distribution", lambda arch_id, budget=None: dist)
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
    out = S.prover_costs("measured", 7200.0, points, chunks=4)
    assert out["usd"] == pytest.approx(2 * points["cpu_rent_vcpu_hour"])
    assert out["kwh"] == pytest.approx(7200 * points["cpu_power_per_core"] / 2 * points["pue"] / 3.6e6)
    assert out["latency_s"] == pytest.approx(3600.0)  # 2 vCPUs


def test_scenario_ordering(points):
    c = 1.0e10
    m, srv, gpu = (S.prover_costs(n, c, points, chunks=1e6) for n in ("measured", "cpu-server", "gpu"))
    assert gpu["latency_s"] < m["latency_s"] and srv["latency_s"] < m["latency_s"]
    assert srv["usd"] >= m["usd"]  # the same vCPUs at below-linear efficiency cost more, never less
    per_gpu = points["gpu_prover_speedup"] * points["gpu_prover_baseline_vcpus_per_gpu"]
    assert gpu["machine_s"] == pytest.approx(c / per_gpu)


def test_a_fleet_buys_time_not_dollars(stub):
    t = S.fleet_table("llama3-70b", "measured", (1, 10, 1000, 10**12), draws=4000, seed=2)
    assert np.allclose(t["usd"], t["usd"].iloc[0])
    lat = t["latency_s"].to_numpy()
    assert lat[1] == pytest.approx(lat[0] / 10) and lat[2] == pytest.approx(lat[0] / 1000)
    assert lat[3] == pytest.approx(CORE_S[1] / 1e9 / 2, rel=0.05)  # floor: one chunk proof on one machine
    assert list(t["fleet_usd_per_hour"]) == sorted(t["fleet_usd_per_hour"])
