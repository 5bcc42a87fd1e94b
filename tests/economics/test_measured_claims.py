"""chasm.economics.measured_claims: growth form, verification against inference, proof time, validator
against training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chasm.economics import measured_claims as M


def _runs(family, params, seconds, **extra):
    return pd.DataFrame({"family": family, "params": params, "prove_s": seconds, **extra})


def test_growth_forms_recover_a_power_law_and_an_exponential():
    n = np.array([1e2, 1e3, 1e4, 1e5, 1e6])
    rng = np.random.default_rng(0)
    k = np.array([15, 16, 17, 18, 19])
    power = _runs("p", n, 0.01 * n**0.8 * np.exp(rng.normal(0, 0.02, n.size)), logrows=k)
    expo = _runs("e", n, np.exp(1e-5 * n + rng.normal(0, 0.02, n.size)), logrows=k)
    # a flat floor at the smallest circuit is left out: these two sizes would bend either fit
    floor = _runs("p", np.array([10.0, 20.0]), np.array([3.0, 3.0]), logrows=np.array([14, 14]))
    forms = M.growth_forms(pd.concat([power, expo, floor]))
    got = forms.set_index("family")
    assert got.loc["p", "better"] == "power" and got.loc["p", "power_exponent"] == pytest.approx(0.8, abs=0.03)
    assert got.loc["p", "sizes"] == 5 and got.loc["e", "sizes"] == 4  # floor left out; e's smallest is its floor
    assert got.loc["e", "better"] == "exponential"
    assert got.loc["p", "power_sd"] < 0.05 and got.loc["e", "exponential_sd"] < 0.05


def test_growth_verdicts_follow_the_fits():
    exponent = {"point": 0.94, "low": 0.93, "high": 0.96}
    power = pd.DataFrame([{"family": "mlp", "sizes": 5, "power_exponent": 0.9, "power_sd": 0.1,
                           "exponential_sd": 0.9, "better": "power"}])
    v = {r["claim_id"]: r["verdict"] for r in M.growth_verdicts(power, exponent)}
    assert v == {"proof_cost_exponential": "contradicted", "proof_cost_polynomial": "partly_supported",
                 "cost_scales_with_complexity": "supported"}
    steep = {r["claim_id"]: r["verdict"] for r in M.growth_verdicts(power, {"point": 1.5, "low": 1.3, "high": 1.7})}
    assert steep["proof_cost_polynomial"] == "supported"
    mixed = pd.concat([power, power.assign(family="cnn", better="exponential")])
    v = {r["claim_id"]: r["verdict"] for r in M.growth_verdicts(mixed, exponent)}
    assert v["proof_cost_exponential"] == "not_resolved" and v["proof_cost_polynomial"] == "not_resolved"
    v = {r["claim_id"]: r["verdict"] for r in M.growth_verdicts(power, {"point": -0.1, "low": -0.2, "high": 0.0})}
    assert v["cost_scales_with_complexity"] == "contradicted"


def test_verification_and_proof_time_are_judged_on_the_measured_spread():
    runs = pd.DataFrame({"config_id": ["a", "a", "b", "c"], "verify_compute_s": [0.02, 0.02, 0.1, 0.5],
                         "infer_s": [2e-5, 2e-5, 5e-5, 1e-4], "prove_s": [3.0, 4.0, 20.0, 100.0],
                         "logrows": [15, 15, 17, 19]})
    out = {r["claim_id"]: r for r in M.verification_verdicts(runs)}
    ver = out["verify_equivalent_compute"]
    assert ver["verdict"] == "contradicted" and ver["judged_against"].endswith("2e+03 (1e+03 to 5e+03)")
    assert out["proof_gen_time"]["verdict"] == "partly_supported"  # 3.5 s to 100 s straddles the stated ~5 s
    assert "2^15" in out["proof_gen_time"]["reason"]
    fast = runs.assign(prove_s=[5.0, 5.0, 5.0, 5.0])
    assert {r["claim_id"]: r["verdict"] for r in M.verification_verdicts(fast)}["proof_gen_time"] == "supported"


def test_validator_against_training_flips_with_the_training_figure():
    base = M.training_verdict()
    assert base["verdict"] == "contradicted"
    point = 4 * M.HOURS_PER_YEAR / 6.4e6  # 4 GPUs: the geometric mean of 2 and 8, all year
    assert f"{point:.3g}" in base["judged_against"]
    # were pretraining as small as a year of a 4-GPU node, a validator would rival it
    rivals = M.training_verdict({"llama3_70b_training_gpu_hours": 4 * M.HOURS_PER_YEAR})
    assert rivals["verdict"] == "supported"


def test_the_committed_runs_settle_the_claims():
    v = {r["claim_id"]: r["verdict"] for r in M.measured_claim_verdicts()}
    assert v["proof_cost_exponential"] == "contradicted"
    assert v["verify_equivalent_compute"] == "contradicted"
    assert set(v) == {"proof_cost_exponential", "proof_cost_polynomial", "cost_scales_with_complexity",
                      "verify_equivalent_compute", "proof_gen_time", "validator_vs_training"}
