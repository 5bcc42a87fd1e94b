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


# --- the summary, the metadata, sensitivity's table and the command line, by known answers ----------------------


def test_price_summarises_the_draws_of_price_draws_with_the_same_arguments(stub, monkeypatch):
    """Each quantity of ``price`` is the median and 2.5/97.5 percentiles of ``price_draws``'s draws for the same
    arguments (a fleet, a query scale, a budget, a seed), and its central value; the budget reaches the frontier."""
    budgets = []
    monkeypatch.setattr(scenarios, "prove_distribution", lambda arch_id, budget=None: budgets.append(budget) or dict(stub))
    kwargs = dict(draws=700, seed=11, fleet=4, query_scale=1.5, memory_budget_bytes=2.0**39)
    r = pricing.price("llama3-70b", "gpu", **kwargs)
    raw = pricing.price_draws("llama3-70b", "gpu", **kwargs)
    assert budgets == [2.0**39, 2.0**39]
    for key, arr in raw["values"].items():
        low, point, high = np.percentile(arr, [2.5, 50, 97.5])
        assert (r[key]["low"], r[key]["point"], r[key]["high"]) == (low, point, high), key
        assert r[key]["central"] == float(raw["central"][key]) and r[key]["unit"] == pricing.UNITS[key]
    assert pricing.summarise([1.0, 2.0, 3.0, 4.0, 5.0], "s") == {"point": 3.0, "low": 1.1, "high": 4.9, "unit": "s"}


def test_price_meta_names_everything_the_result_depends_on(stub):
    r = pricing.price("llama3-70b", "gpu", draws=300, seed=2, fleet=3, query_scale=2.0, overrides={"pue": 1.25})
    m = r["meta"]
    sc = scenarios.SCENARIOS["gpu"]
    expected = {"arch_id": "llama3-70b", "scenario": "gpu", "prover": "ezkl", "description": sc.description,
                "machine": sc.machine, "fleet": 3, "query_scale": 2.0, "K": 15, "chunks": 1.0e9,
                "memory_budget_bytes": 2.0**38, "draws": 300, "seed": 2, "hardware_tag": "test-machine",
                "prover_threads": 2, "prove_core_s_95": list(CORE_S), "infer_gpus": 2,
                "thread_scaling": stub["thread_scaling"], "chunk_peak_bytes_high": 100 * 2.0**30}
    assert {k: m[k] for k in expected} == expected and set(m) == set(expected) | {"assumptions"}
    frame = A.load_assumptions({"pue": 1.25})
    assert set(m["assumptions"]) == set(pricing._names("llama3-70b", "gpu"))
    for name, row in m["assumptions"].items():
        assert row == {"low": float(frame.loc[name, "low"]), "point": float(frame.loc[name, "point"]),
                       "high": float(frame.loc[name, "high"]), "unit": frame.loc[name, "unit"],
                       "overridden": name == "pue"}, name
    assert "onchain" in r and r["onchain"]["chunks"] == 1.0e9


def test_price_defaults(stub):
    r = pricing.price(draws=200)
    m = r["meta"]
    assert (m["arch_id"], m["scenario"], m["prover"], m["fleet"], m["query_scale"], m["seed"]) == (
        "llama3-70b", "measured", "ezkl", 1, 1.0, 20261201)
    assert r["prove_usd"]["point"] == pricing.price("llama3-70b", "measured", draws=200, seed=20261201,
                                                    fleet=1)["prove_usd"]["point"]


def test_the_cpu_server_reports_its_layout_and_widens_the_serial_share(stub):
    r = pricing.price("llama3-70b", "cpu-server", draws=300, seed=1)
    m = r["meta"]
    frame = A.load_assumptions()
    ram = float(frame.loc["cpu_server_ram_gib", "point"])
    at_once = max(1.0, math.floor(ram * 2**30 / (100 * 2**30)))  # chunks of 100 GiB at their 95% high
    assert m["chunks_at_once"] == at_once and m["threads_per_chunk"] == scenarios.SERVER_VCPUS / at_once
    widened, _ = scenarios.serial_share_range(frame, stub["thread_scaling"])
    assert m["assumptions"]["prover_serial_share"]["low"] == float(widened.loc["prover_serial_share", "low"])
    s = pricing.sensitivity("llama3-70b", "cpu-server", "prove_usd").set_index("assumption")
    assert s.loc["prover_serial_share", "low"] == float(widened.loc["prover_serial_share", "low"])
    assert s.loc["prover_serial_share", "high"] == float(widened.loc["prover_serial_share", "high"])


def test_sensitivity_rows_by_known_answers(stub, monkeypatch):
    asked = []
    monkeypatch.setattr(pricing, "prove_distribution", lambda arch_id, budget=None: asked.append((arch_id, budget))
                        or dict(stub))
    s = pricing.sensitivity(overrides={"pue": 1.5}, memory_budget_bytes=2.0**40)
    assert asked == [("llama3-70b", 2.0**40)]
    assert list(s.columns) == ["assumption", "unit", "low", "point", "high", "at_low", "at_high", "base", "swing",
                               "quantity"]
    assert list(s.index) == list(range(len(s))) and (s["quantity"] == "ratio_usd").all()
    by = s.set_index("assumption")
    core = by.loc["prove_core_s"]
    assert (core["unit"], core["low"], core["point"], core["high"]) == ("vCPU-s (measuring machine)", *CORE_S)
    # prove_usd is proportional to the proving work: at its low and high, the base times 2/3 and times 3/2
    usd = pricing.sensitivity(quantity="prove_usd").set_index("assumption")
    assert usd.loc["prove_core_s", "at_low"] == pytest.approx(usd["base"].iloc[0] * 2 / 3, rel=1e-12)
    assert usd.loc["prove_core_s", "at_high"] == pytest.approx(usd["base"].iloc[0] * 1.5, rel=1e-12)
    frame = A.load_assumptions({"pue": 1.5})
    for name in pricing._names("llama3-70b", "measured"):
        row = by.loc[name]
        assert (row["unit"], row["low"], row["point"], row["high"]) == (
            frame.loc[name, "unit"], float(frame.loc[name, "low"]), float(frame.loc[name, "point"]),
            float(frame.loc[name, "high"])), name
    assert by.loc["pue", "point"] == 1.5
    # inputs that do not move the ratio keep the order they are listed in (prove_core_s first, then _names)
    still = list(s.loc[s["swing"] == 0, "assumption"])
    listed = ["prove_core_s", *pricing._names("llama3-70b", "measured")]
    assert len(still) >= 2 and still == [n for n in listed if n in still]


def test_the_command_line_prints_a_readable_summary(stub, capsys):
    assert pricing.main(["--draws", "400", "--seed", "3", "--set", "pue=1.2", "--fleet", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    sc = scenarios.SCENARIOS["measured"]
    assert out[0] == f"llama3-70b, scenario measured ({sc.description}); fleet 2 x {sc.machine}"
    assert out[1] == "chunks of 2^15 rows: 1e+09 per query; 400 draws, seed 3; measured on test-machine (2 prover threads)"
    assert out[2] == ""
    r = pricing.price(draws=400, seed=3, overrides={"pue": 1.2}, fleet=2)
    keys = pricing.QUANTITIES + ("ratio_latency", "infer_api_usd", "ratio_api_usd")
    for line, key in zip(out[3:], keys):
        q = r[key]
        assert line == f"  {key:<16} {q['point']:>11.4g}   95% [{q['low']:.4g}, {q['high']:.4g}]  {q['unit']}"
    assert out[3 + len(keys):] == ["", "overridden: pue=1.2"]
    assert pricing.main(["--draws", "400"]) == 0
    assert "overridden" not in capsys.readouterr().out


def test_the_command_line_refuses_unknown_choices_and_describes_itself(stub, capsys):
    for args in (["--arch", "llama3-1b"], ["--scenario", "tpu"], ["--prover", "plonky"]):
        with pytest.raises(SystemExit) as exit_:
            pricing.main(args)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("usage: python -m chasm price") and "invalid choice" in err
    with pytest.raises(SystemExit):
        pricing.main(["--help"])
    assert "Monte Carlo pricing of one query: proving it (ezkl, halo2) against running it" in capsys.readouterr().out
    assert pricing.main(["--draws", "1"]) == 2
    assert "draws must be at least 2" in capsys.readouterr().err
    assert pricing.main(["--json", "--draws", "300", "--arch", "llama3-8b", "--query-scale", "2"]) == 0
    meta = json.loads(capsys.readouterr().out)["meta"]
    assert (meta["arch_id"], meta["query_scale"], meta["draws"], meta["seed"], meta["fleet"], meta["scenario"],
            meta["prover"]) == ("llama3-8b", 2.0, 300, 20261201, 1, "measured", "ezkl")
    assert pricing.main(["--json"]) == 0
    meta = json.loads(capsys.readouterr().out)["meta"]
    assert (meta["arch_id"], meta["draws"], meta["query_scale"]) == ("llama3-70b", 100_000, 1.0)
    assert pricing.main(["--json", "--draws", "300", "--scenario", "gpu", "--fleet", "5"]) == 0
    meta = json.loads(capsys.readouterr().out)["meta"]
    assert (meta["scenario"], meta["fleet"]) == ("gpu", 5)
    assert pricing.main(["--draws", "300", "--scenario", "gpu", "--prover", "jstprove"]) == 2
    assert "priced in the measured scenario" in capsys.readouterr().err


def test_inference_of_a_model_on_one_gpu_by_hand():
    """An 8B-like model on 1 GPU (the reference on 2): a tenth of the reference's FLOPs, 8e9 / 1 against 7e10 / 2
    weight bytes per GPU; every quantity worked from the module docstring's route, to 1e-12."""
    facts = {"arch_id": "llama3-8b", "flops": 1e13, "params": 8e9, "gpus": 1, "ref_flops": 1e14, "ref_params": 7e10,
             "ref_gpus": 2, "prompt_tokens": 500, "generated_tokens": 250}
    a = {"infer_llama31_8b_tput_saturated": 5000.0, "infer_llama3_70b_itl_b1": 20.0,
         "infer_llama3_70b_prefill_ms_per_token": 0.2, "gpu_rent_h100_sxm": 3.6, "gpu_power_h100": 700.0, "pue": 1.5,
         "api_llama3_8b_input": 0.5, "api_llama3_8b_output": 2.0}
    out = pricing.inference_costs(facts, a)
    gpu_s = 250 / 5000  # 1 GPU x 250 tokens / 5000 tokens per second
    prefill = 500 * 0.2e-3 * 0.1 * 2  # tokens x s per token x FLOPs ratio x (2 reference GPUs / 1)
    decode = 250 * 20e-3 * (8e9 / 3.5e10)  # tokens x inter-token latency x weight bytes per GPU ratio
    latency = prefill + decode
    expected = {"gpu_s": gpu_s, "usd": gpu_s / 3600 * 3.6, "kwh": gpu_s * 700 * 1.5 / 3.6e6, "ttft_s": prefill,
                "latency_s": latency, "api_usd": (500 * 0.5 + 250 * 2.0) / 1e6, "usd_b1": latency / 3600 * 3.6,
                "kwh_b1": latency * 700 * 1.5 / 3.6e6}
    assert set(out) == set(expected)
    for key, value in expected.items():
        assert out[key] == pytest.approx(value, rel=1e-12), key


def _points():
    frame = A.load_assumptions()
    return {name: float(frame.loc[name, "point"]) for name in frame.index}


def test_evaluate_scales_the_query_and_divides_the_work_among_the_fleet(stub):
    a = _points()
    one = pricing.evaluate("llama3-70b", "measured", 3.0e10, a, dict(stub))
    assert one == pricing.evaluate("llama3-70b", "measured", 3.0e10, a, dict(stub), fleet=1, query_scale=1.0)
    twice = pricing.evaluate("llama3-70b", "measured", 3.0e10, a, dict(stub), query_scale=2.0)
    for key in ("prove_usd", "prove_kwh", "prove_core_s", "infer_usd", "infer_kwh", "infer_latency_s", "infer_ttft_s",
                "infer_api_usd", "infer_usd_b1", "prove_latency_s"):
        assert twice[key] == pytest.approx(2 * one[key], rel=1e-12), key
    fleet = pricing.evaluate("llama3-70b", "measured", 3.0e10, a, dict(stub), fleet=4)
    assert fleet["prove_latency_s"] == pytest.approx(one["prove_latency_s"] / 4, rel=1e-12)
    assert fleet["prove_usd"] == one["prove_usd"]
    # a query of one chunk on a large fleet waits for that chunk's proof; twice the query is two such chunks
    single = dict(stub, chunks=1.0)
    chunk = pricing.evaluate("llama3-70b", "measured", 3.0e10, a, single, fleet=1e6)
    assert pricing.evaluate("llama3-70b", "measured", 3.0e10, a, single, fleet=1e6, query_scale=2.0)[
        "prove_latency_s"] == pytest.approx(chunk["prove_latency_s"], rel=1e-12)
    assert chunk["prove_latency_s"] == pytest.approx(one["prove_latency_s"], rel=1e-12)  # 1 machine: the whole query
    # the ratios and the power bills, by their definitions
    assert one["infer_ttft_s"] == pytest.approx(1024 * a["infer_llama3_70b_prefill_ms_per_token"] / 1e3, rel=1e-12)
    assert one["ratio_api_usd"] == pytest.approx(one["prove_usd"] / one["infer_api_usd"], rel=1e-12)
    assert one["prove_power_usd"] == pytest.approx(one["prove_kwh"] * a["electricity_price"], rel=1e-12)
    assert one["infer_power_usd"] == pytest.approx(one["infer_kwh"] * a["electricity_price"], rel=1e-12)


def test_verification_is_priced_at_the_vcpu_rent_and_scales_with_the_query(stub):
    raw = pricing.price_draws(draws=4000, seed=8, query_scale=3.0)
    v, a = raw["values"], raw["assumptions"]
    assert all(np.shape(x) == (4000,) for x in v.values())
    assert np.allclose(v["verify_usd"], v["verify_core_s"] * a["cpu_rent_vcpu_hour"] / 3600, rtol=1e-12, atol=0)
    assert np.allclose(v["ratio_verify_usd"], v["verify_usd"] / v["infer_usd"], rtol=1e-12, atol=0)
    low, mid, high = np.percentile(v["verify_core_s"], [2.5, 50, 97.5])  # (1, 2, 3) vCPU-s, times 3
    assert low == pytest.approx(3.0, rel=0.1) and mid == pytest.approx(6.0, rel=0.05) and high == pytest.approx(9.0, rel=0.1)
    rent = A.load_assumptions().loc["cpu_rent_vcpu_hour", "point"]
    assert raw["central"]["verify_core_s"] == 6.0
    assert raw["central"]["verify_usd"] == pytest.approx(6.0 * rent / 3600, rel=1e-12)
    assert np.median(raw["prove_core_s"]) == pytest.approx(CORE_S[1], rel=0.02)
    fleet = pricing.price_draws(draws=300, seed=8, fleet=4)["values"]["prove_latency_s"]
    assert np.allclose(fleet * 4, pricing.price_draws(draws=300, seed=8)["values"]["prove_latency_s"], rtol=1e-12)


def test_price_draws_refuses_too_few_draws_and_unknown_provers_by_name(stub, monkeypatch):
    assert len(pricing.price_draws(draws=2)["values"]["prove_usd"]) == 2
    with pytest.raises(ValueError, match="^draws must be at least 2$"):
        pricing.price_draws(draws=1)
    with pytest.raises(A.AssumptionError, match="^unknown prover 'plonky'; known: ezkl, jstprove$"):
        pricing.price_draws(draws=10, prover="plonky")
    with pytest.raises(A.AssumptionError, match=r"^JSTprove was measured on this machine's CPUs with one thread only: "
                                                r"its queries are priced in the measured scenario \(--scenario measured\)$"):
        pricing.price_draws(draws=10, scenario="gpu", prover="jstprove")
    from chasm.economics import jstprove_query

    asked = []
    dist = {"K": None, "budget_bytes": 2.0**38, "chunks": 1000.0, "core_s": (1e9, 2e9, 5e9), "verify_core_s": (1.0, 2.0, 3.0),
            "peak_bytes_high": 2.0**38, "threads": 1, "hardware_tag": "t", "thread_scaling": None}
    monkeypatch.setattr(jstprove_query, "prove_distribution", lambda arch, budget=None: asked.append((arch, budget)) or dist)
    pricing.price_draws("llama3-8b", draws=10, prover="jstprove", memory_budget_bytes=2.0**40)
    assert asked == [("llama3-8b", 2.0**40)]


def test_the_cpu_server_widens_a_serial_share_the_measurement_contradicts(stub):
    stub["thread_scaling"] = dict(stub["thread_scaling"], serial_share={"point": 0.5, "low": 0.4, "high": 0.6})
    frame = A.load_assumptions()
    widened, note = scenarios.serial_share_range(frame, stub["thread_scaling"])
    assert note["widened"]
    r = pricing.price("llama3-70b", "cpu-server", draws=300, seed=1)
    row = r["meta"]["assumptions"]["prover_serial_share"]
    assert (row["low"], row["point"], row["high"]) == tuple(float(widened.loc["prover_serial_share", e])
                                                          for e in ("low", "point", "high"))
    assert r["meta"]["serial_share"]["used"] == note["used"]
    s = pricing.sensitivity("llama3-70b", "cpu-server", "prove_usd").set_index("assumption")
    assert (s.loc["prover_serial_share", "point"], s.loc["prover_serial_share", "high"]) == (row["point"], row["high"])
    assert "prover_serial_share" not in set(pricing.sensitivity("llama3-70b", "measured")["assumption"])


def test_the_onchain_summary_is_plain_numbers(stub):
    onchain = pricing.price(draws=200)["onchain"]
    assert type(onchain["K"]) is float and onchain["K"] == 15.0  # an int, as a float
    assert type(onchain["fits_tx_cap"]) is bool  # a bool stays one
    assert type(onchain["measured_logrows"]) is list and all(type(x) is float for x in onchain["measured_logrows"])
    assert type(onchain["chunks"]) is float
    json.dumps(onchain)


def test_price_draws_defaults_and_the_query_scale_of_every_draw(stub):
    raw = pricing.price_draws()
    assert np.shape(raw["values"]["prove_usd"]) == (100_000,)
    same = pricing.price_draws("llama3-70b", "measured", draws=100_000, seed=20261201, fleet=1, query_scale=1.0)
    assert np.array_equal(raw["values"]["prove_usd"], same["values"]["prove_usd"])
    assert np.array_equal(raw["values"]["infer_usd"], same["values"]["infer_usd"])
    assert pricing.price()["meta"]["draws"] == 100_000
    one = pricing.price_draws(draws=500, seed=4)["values"]
    three = pricing.price_draws(draws=500, seed=4, query_scale=3.0)["values"]
    for key in ("prove_usd", "infer_usd", "infer_latency_s", "infer_api_usd", "prove_core_s"):
        assert np.allclose(three[key], 3 * one[key], rtol=1e-12, atol=0), key


def test_the_summary_lists_every_overridden_assumption_and_the_help_only_the_first_paragraph(stub, capsys):
    assert pricing.main(["--draws", "300", "--set", "pue=1.2", "--set", "gpu_power_h100=650"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last in ("overridden: pue=1.2, gpu_power_h100=650", "overridden: gpu_power_h100=650, pue=1.2")
    with pytest.raises(SystemExit):
        pricing.main(["--help"])
    assert "**Proving**" not in capsys.readouterr().out
