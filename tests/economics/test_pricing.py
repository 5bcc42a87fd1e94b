"""chasm.economics.pricing: the Monte Carlo against closed forms, seeding, ratios, sensitivity and the CLI.

Fast tests replace the frontier distribution and the cost model's FLOPs (both slow to compute) with
stated stand-ins; one slow test prices the real committed data.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from chasm.economics import assumptions as A
from chasm.economics import pricing, scenarios

CORE_S = (2.0e10, 3.0e10, 4.5e10)  # log-symmetric: 3/2 = 4.5/3
FACTS = {"arch_id": "llama3-70b", "flops": 2.9e14, "params": 7.0e10, "gpus": 2, "ref_flops": 2.9e14,
         "ref_params": 7.0e10, "ref_gpus": 2, "prompt_tokens": 1024, "generated_tokens": 1024}


@pytest.fixture()
def stub(monkeypatch):
    scaling = {"pairs": 2, "configs": 1, "hardware_tag": "test-machine", "phase": "prove",
               "speedup": {"point": 1.8, "low": 1.8, "high": 1.8}, "efficiency": {"point": 0.9, "low": 0.9, "high": 0.9},
               "serial_share": {"point": 0.001, "low": 0.001, "high": 0.001}}
    dist = {"K": 15, "budget_bytes": 2.0**38, "chunks": 1.0e9, "core_s": CORE_S, "verify_core_s": (1.0, 2.0, 3.0),
            "peak_bytes_high": 100 * 2.0**30, "threads": 2, "hardware_tag": "test-machine", "thread_scaling": scaling}
    monkeypatch.setattr(scenarios, "prove_distribution", lambda arch_id, budget=None: dict(dist))
    monkeypatch.setattr(pricing, "prove_distribution", lambda arch_id, budget=None: dict(dist))
    monkeypatch.setattr(pricing, "arch_facts", lambda arch_id: dict(FACTS, arch_id=arch_id))
    return dist


def _constants_except(keep: str) -> dict:
    frame = A.load_assumptions()
    return {name: float(frame.loc[name, "point"]) for name in frame.index if name != keep}


def test_monte_carlo_reproduces_the_product_of_two_lognormals(stub):
    """prove_usd = core_s x rent / 3600 with both lognormal: its median and 95% interval are analytic."""
    sets = _constants_except("cpu_rent_vcpu_hour")
    sets["cpu_rent_vcpu_hour"] = (0.04, 0.06, 0.09)  # log-symmetric: 0.06/0.04 = 0.09/0.06
    r = pricing.price("llama3-70b", "measured", overrides=sets, draws=200_000, seed=7)
    s1, s2 = math.log(1.5) / A.Z975, math.log(1.5) / A.Z975
    median = CORE_S[1] * 0.06 / 3600
    half = A.Z975 * math.hypot(s1, s2)
    assert r["prove_usd"]["point"] == pytest.approx(median, rel=0.01)
    assert r["prove_usd"]["low"] == pytest.approx(median * math.exp(-half), rel=0.01)
    assert r["prove_usd"]["high"] == pytest.approx(median * math.exp(half), rel=0.01)
    assert r["infer_usd"]["low"] == r["infer_usd"]["high"]  # every inference assumption is a constant here


def test_seeded_draws_repeat_and_other_seeds_differ(stub):
    a = pricing.price_draws(draws=1000, seed=3)["values"]["ratio_usd"]
    b = pricing.price_draws(draws=1000, seed=3)["values"]["ratio_usd"]
    c = pricing.price_draws(draws=1000, seed=4)["values"]["ratio_usd"]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_ratios_are_the_parts_divided_draw_by_draw(stub):
    v = pricing.price_draws("llama3-70b", "gpu", draws=5000, seed=1)["values"]
    for ratio, num, den in (("ratio_usd", "prove_usd", "infer_usd"), ("ratio_kwh", "prove_kwh", "infer_kwh"),
                            ("ratio_latency", "prove_latency_s", "infer_latency_s")):
        assert np.allclose(v[ratio], v[num] / v[den])
    r = pricing.price("llama3-70b", "gpu", draws=5000, seed=1)
    assert r["ratio_usd"]["low"] <= r["prove_usd"]["point"] / r["infer_usd"]["point"] <= r["ratio_usd"]["high"]


def test_price_reports_every_quantity_with_units_and_metadata(stub):
    r = pricing.price(draws=2000, seed=5, overrides={"pue": 1.3})
    for key in pricing.QUANTITIES:
        assert set(r[key]) == {"point", "low", "high", "unit", "central"}
        assert r[key]["low"] <= r[key]["point"] <= r[key]["high"]
    # central: every input at its point, no draws (the what-if page's value)
    by_hand = CORE_S[1] * A.load_assumptions().loc["cpu_rent_vcpu_hour", "point"] / 3600
    assert r["prove_usd"]["central"] == pytest.approx(by_hand)
    assert r["meta"]["query_scale"] == 1.0
    doubled = pricing.price(draws=2000, seed=5, query_scale=2.0)
    assert doubled["prove_usd"]["central"] == pytest.approx(2 * by_hand)
    assert doubled["infer_usd"]["central"] == pytest.approx(2 * r["infer_usd"]["central"])
    with pytest.raises(A.AssumptionError, match="query scale"):
        pricing.price(draws=10, query_scale=0.0)
    m = r["meta"]
    assert (m["K"], m["draws"], m["seed"], m["scenario"], m["hardware_tag"]) == (15, 2000, 5, "measured", "test-machine")
    assert m["assumptions"]["pue"]["overridden"] and m["assumptions"]["pue"]["point"] == 1.3


def test_inference_by_hand_for_the_measured_70b():
    a = {"infer_llama3_70b_tput_saturated": 1000.0, "infer_llama31_405b_tput_saturated": 250.0,
         "infer_llama3_70b_itl_b1": 20.0,
         "infer_llama3_70b_prefill_ms_per_token": 0.1, "gpu_rent_h100_sxm": 3.6, "gpu_power_h100": 500.0,
         "pue": 2.0, "api_llama3_70b_input": 1.0, "api_llama3_70b_output": 2.0, "api_llama3_405b": 3.0}
    out = pricing.inference_costs(FACTS, a)
    gpu_s = 2 * 1024 / 1000.0
    assert out["usd"] == pytest.approx(gpu_s * 3.6 / 3600)
    assert out["kwh"] == pytest.approx(gpu_s * 500 * 2 / 3.6e6)
    assert out["latency_s"] == pytest.approx(1024 * 0.1e-3 + 1024 * 20e-3)
    assert out["api_usd"] == pytest.approx((1024 * 1 + 1024 * 2) / 1e6)
    big = pricing.inference_costs(dict(FACTS, arch_id="llama3-405b", flops=2 * 2.9e14, params=4 * 7e10, gpus=8), a)
    assert big["gpu_s"] == pytest.approx(8 * 1024 / 250.0)  # its own node's throughput, 8 GPUs
    assert out["kwh_b1"] == pytest.approx(2 * out["latency_s"] * 500 * 2 / 3.6e6)  # the node serving it alone
    assert big["latency_s"] == pytest.approx(1024 * 0.1e-3 * 2 * 2 / 8 + 1024 * 20e-3 * (4 * 7e10 / 8) / (7e10 / 2))


def test_sensitivity_is_sorted_by_swing_and_moves_only_what_it_should(stub):
    s = pricing.sensitivity("llama3-70b", "measured", "ratio_usd")
    assert list(s["swing"]) == sorted(s["swing"], reverse=True)
    assert "prove_core_s" in set(s["assumption"])
    by = s.set_index("assumption")
    assert by.loc["pue", "swing"] == 0.0  # PUE cancels out of dollars
    assert by.loc["gpu_rent_h100_sxm", "at_low"] > by.loc["gpu_rent_h100_sxm", "at_high"]  # dearer inference, smaller ratio
    assert s["base"].nunique() == 1
    kwh = pricing.sensitivity("llama3-70b", "measured", "ratio_kwh").set_index("assumption")
    assert kwh.loc["pue", "swing"] == pytest.approx(0.0, abs=1e-6 * kwh["base"].iloc[0])


def test_cli_prints_json_and_names_a_bad_set(stub, capsys):
    assert pricing.main(["--json", "--draws", "500", "--set", "pue=1.2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"prove_usd", "infer_usd", "ratio_usd", "prove_kwh", "infer_kwh", "ratio_kwh", "prove_latency_s",
            "infer_latency_s"} <= set(out)
    assert pricing.main(["--set", "not_a_price=3"]) == 2
    err = capsys.readouterr().err
    assert "not_a_price" in err and "known names" in err and "cpu_rent_vcpu_hour" in err
    assert pricing.main(["--set", "gpu_rent_h100_sxm=-1"]) == 2
    assert "negative" in capsys.readouterr().err
    assert pricing.main(["--set", "pue=2:1:3"]) == 2
    assert "low 2 > point 1" in capsys.readouterr().err


@pytest.mark.slow
def test_the_committed_frontier_prices_with_gpu_faster_than_measured():
    fast = {name: pricing.price("llama3-70b", name, draws=20_000) for name in scenarios.SCENARIOS}
    assert fast["gpu"]["prove_latency_s"]["point"] < fast["measured"]["prove_latency_s"]["point"]
    assert fast["measured"]["ratio_usd"]["low"] > 1
    assert fast["measured"]["meta"]["hardware_tag"]


def test_jstprove_is_priced_in_the_measured_scenario_only(monkeypatch):
    from chasm.economics import jstprove_query
    from chasm.economics.assumptions import AssumptionError

    with pytest.raises(AssumptionError, match="measured scenario"):
        pricing.price("llama3-8b", "gpu", prover="jstprove", draws=200)
    dist = {"K": None, "budget_bytes": 2.0**38, "chunks": 1000.0, "core_s": (1e9, 2e9, 5e9),
            "fitted_core_s": (1e9, 2e9, 5e9), "verify_core_s": (1e8, 2e8, 4e8), "peak_bytes_high": 2.0**38,
            "macs": 1e13, "threads": 1, "hardware_tag": "cpu2-24gib", "rates": {}, "thread_scaling": None}
    monkeypatch.setattr(jstprove_query, "prove_distribution", lambda arch, budget=None: dist)
    got = pricing.price("llama3-8b", "measured", prover="jstprove", draws=20_000)
    assert got["prove_core_s"]["point"] == pytest.approx(2e9, rel=0.03)
    assert got["prove_core_s"]["low"] == pytest.approx(1e9, rel=0.05)
    assert got["prove_core_s"]["high"] == pytest.approx(5e9, rel=0.05)
    assert got["meta"]["prover"] == "jstprove" and got["meta"]["K"] is None and "onchain" not in got
    # dollars: vCPU-seconds at the vCPU rent (measured scenario), draw by draw
    rent = A.load_assumptions().loc["cpu_rent_vcpu_hour"]
    assert got["prove_usd"]["point"] == pytest.approx(2e9 / 3600 * rent["point"], rel=0.1)
    # the inference side is drawn alike for both provers at one seed
    ezkl = pricing.price("llama3-8b", "measured", draws=20_000)
    assert got["infer_usd"]["point"] == pytest.approx(ezkl["infer_usd"]["point"])
    assert "onchain" in ezkl and ezkl["onchain"]["chunks"] == ezkl["meta"]["chunks"]
