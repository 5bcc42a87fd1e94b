"""chasm.laws.coverage: the 95% intervals cover about 95% on simulated sweeps from known laws."""

from __future__ import annotations

import json
import math
import numpy as np
import pytest

from chasm.laws import coverage
from chasm.laws import candidates
from chasm.laws import estimation
from chasm.laws import selection


SEED = 20260101


CALIBRATED = [i for i, sc in enumerate(coverage.COVERAGE_SCENARIOS) if sc.get("expect_calibrated", True)]


@pytest.mark.slow
@pytest.mark.parametrize("index", CALIBRATED,
                         ids=[f"{i}-{coverage.COVERAGE_SCENARIOS[i]['cand']}" for i in CALIBRATED])
def test_intervals_are_calibrated_on_500_simulated_sweeps(index):
    """95% prediction intervals (beyond the data) and exponent intervals cover 92-98% of the truth.

    The same scenarios, with the same seeds, are the chapter's calibration table.
    """
    low, high = coverage.COVERAGE_TOLERANCE
    assert coverage.COVERAGE_DATASETS >= 500 and (low, high) == (0.92, 0.98)
    result = coverage.coverage_scenario(index)
    assert result["n_datasets"] == coverage.COVERAGE_DATASETS
    assert low <= result["pi_coverage"] <= high, result
    if coverage.COVERAGE_SCENARIOS[index]["cand"] == "power":
        assert low <= result["exponent_coverage"] <= high, result
    else:
        assert math.isnan(result["exponent_coverage"])


def test_calibration_scenarios_cover_every_law_and_both_noise_designs():
    scenarios = coverage.COVERAGE_SCENARIOS
    assert {sc["cand"] for sc in scenarios} == {c.name for c in candidates.CANDIDATES} - {"affine"}
    assert any(sc["configs_per_size"] > 1 for sc in scenarios if sc["cand"] == "power")
    assert all(sc["new_logrows"] > max(sc["logrows"]) for sc in scenarios)


@pytest.mark.slow
def test_intervals_without_config_scatter_would_fail_calibration():
    """The calibration check has teeth: the law's own confidence band, which lacks the scatter and
    repetition terms, covers a fresh run at an interior size far less often than the prediction interval."""
    rng = np.random.default_rng(SEED)
    full, mean_only, n = 0, 0, 300
    x_new = 2.0**14.5
    for _ in range(n):
        law = estimation.fit_law(selection.config_means(coverage.simulate_observations(rng, sigma_config=0.3, sigma_rep=0.05)))
        fresh = math.log(2e-4 * x_new**1.1) + rng.normal(0, 0.3) + rng.normal(0, 0.05)
        pi, band = estimation.predict_log(law, [x_new]), estimation.confidence_log(law, [x_new])
        full += pi["low"][0] <= fresh <= pi["high"][0]
        mean_only += band["low"][0] <= fresh <= band["high"][0]
    assert full / n > 0.9
    assert mean_only / n < 0.7


# --- the simulators: what they draw is the law and the noise they are given -------------------------------


def test_a_simulated_sweep_has_the_sizes_configurations_and_repetitions_asked_for():
    obs = coverage.simulate_observations(np.random.default_rng(1), logrows=(10, 12, 15), configs_per_size=2, reps=4)
    assert list(obs.columns) == ["config_key", "logrows", "fold", "x", "y"]
    assert len(obs) == 3 * 2 * 4
    assert obs["logrows"].tolist() == [lr for lr in (10, 12, 15) for _ in range(2 * 4)]
    assert (obs["fold"] == obs["logrows"]).all()
    assert (obs["x"] == 2.0 ** obs["logrows"]).all()
    per_key = obs.groupby("config_key")
    assert per_key.ngroups == 6 and (per_key.size() == 4).all() and (per_key["logrows"].nunique() == 1).all()
    assert obs["config_key"].iloc[0] == "synthetic-000/resources"


def test_without_noise_a_simulated_sweep_is_the_law_itself():
    lr = np.arange(10, 18)
    obs = coverage.simulate_observations(np.random.default_rng(2), logrows=tuple(lr), a=3e-3, b=0.7,
                                         sigma_config=0.0, sigma_rep=0.0)
    x = obs["x"].to_numpy()
    assert np.allclose(obs["y"], np.log(3e-3) + 0.7 * np.log(x), rtol=0, atol=1e-12)
    law = lambda n: 5.0 + n / 100  # noqa: E731  (a law given as a function replaces a N^b)
    obs = coverage.simulate_observations(np.random.default_rng(2), law=law, sigma_config=0.0, sigma_rep=0.0)
    assert np.allclose(obs["y"], np.log(5.0 + obs["x"] / 100), rtol=0, atol=1e-12)


def test_simulated_noise_has_the_two_standard_deviations_asked_for():
    """Scatter between configurations and between repetitions, by their sample standard deviations."""
    obs = coverage.simulate_observations(np.random.default_rng(3), logrows=(12,), configs_per_size=3000, reps=4,
                                         a=1.0, b=1.0, sigma_config=0.3, sigma_rep=0.1)
    resid = obs["y"] - np.log(obs["x"])
    within = resid - resid.groupby(obs["config_key"]).transform("mean")
    sd_rep = math.sqrt((within**2).sum() / (len(obs) - 3000))
    sd_config = resid.groupby(obs["config_key"]).mean().std(ddof=1)
    assert abs(sd_rep - 0.1) < 0.005
    assert abs(sd_config - math.sqrt(0.3**2 + 0.1**2 / 4)) < 0.015
    assert abs(resid.mean()) < 0.02  # noise centred on the law
    # the two noise terms are the ones named: no scatter between repetitions when sigma_rep is 0
    quiet = coverage.simulate_observations(np.random.default_rng(3), configs_per_size=2, sigma_rep=0.0)
    assert (quiet.groupby("config_key")["y"].nunique() == 1).all()
    assert quiet.groupby("config_key")["y"].first().nunique() == len(quiet) // 3


def test_simulated_runs_pass_the_schema_carry_the_law_and_say_they_are_synthetic(synthetic_frame):
    quantities = {"prove_s": (2e-4, 1.1), "pk_bytes": (3e3, 1.0)}
    recs = coverage.simulate_runs(np.random.default_rng(4), "cnn", quantities=quantities, logrows=(12, 14),
                                  configs_per_size=2, reps=3, sigma_config=0.0, sigma_rep=0.0,
                                  other_cpu_frac=0.25, sweep_profile="quick")
    assert len(recs) == 2 * 2 * 3
    assert len({r["run_id"] for r in recs}) == len(recs) and len({r["config_id"] for r in recs}) == 4
    for r in recs:
        n = 2.0 ** r["logrows"]
        assert r["prove_s"] == pytest.approx(2e-4 * n**1.1, rel=1e-12)
        assert r["pk_bytes"] == round(3e3 * n) and isinstance(r["pk_bytes"], int)
        assert r["num_rows"] == int(0.7 * n) and r["params"] == int(n // 4)
        assert (r["family"], r["status"], r["verified"], r["calibration_target"]) == ("cnn", "ok", True, "resources")
        assert (r["sweep_profile"], r["other_cpu_frac"]) == ("quick", 0.25)
        assert r["input_scale"] == r["param_scale"] == coverage.FAMILY_SCALES["cnn"]
        assert {r[k] for k in ("cpu_model", "git_commit", "hardware_tag", "ezkl_version")} == {"synthetic"}
        assert r["run_id"] == f"{r['config_id']}-res-s7-r{r['repetition']}"
        assert "prove_peak_rss_bytes" not in r  # only the quantities asked for
    assert sorted(r["repetition"] for r in recs) == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert [r["logrows"] for r in recs] == [12] * 6 + [14] * 6
    # the default quantities, through the real schema, and kept by the run filter as main-sweep runs
    frame = synthetic_frame(np.random.default_rng(4), families=(("mlp", range(12, 16)),))
    assert len(frame) == 4 * 3
    runs, _ = selection.select_runs(frame)
    assert len(runs) == len(frame)
    for col in ("prove_s", "setup_s", "witness_s", "verify_s", "prove_peak_rss_bytes", "setup_peak_rss_bytes",
                "pk_bytes", "proof_bytes"):
        assert frame[col].notna().all() and (frame[col] > 0).all(), col


def test_simulated_runs_scatter_each_quantity_on_its_own():
    recs = coverage.simulate_runs(np.random.default_rng(5), quantities={"prove_s": (1.0, 1.0), "setup_s": (1.0, 1.0)},
                                  logrows=(12,), configs_per_size=2000, reps=2, sigma_config=0.3, sigma_rep=0.1)
    frame = __import__("pandas").DataFrame(recs)
    n = 2.0**12
    prove, setup = np.log(frame["prove_s"] / n), np.log(frame["setup_s"] / n)
    assert abs(np.corrcoef(prove, setup)[0, 1]) < 0.1  # independent draws per column
    within = prove - prove.groupby(frame["config_id"]).transform("mean")
    assert abs(math.sqrt((within**2).sum() / (len(frame) - 2000)) - 0.1) < 0.01
    assert abs(prove.groupby(frame["config_id"]).mean().std() - math.sqrt(0.3**2 + 0.1**2 / 2)) < 0.02


# --- the coverage study on few datasets: what it counts ----------------------------------------------------


def _binomial_se(p, n):
    return math.sqrt(p * (1 - p) / n)


def test_coverage_study_counts_hits_of_both_intervals_for_a_power_law():
    res = coverage.coverage_study(120, seed=7)
    assert set(res) == {"n_datasets", "pi_coverage", "pi_coverage_se", "exponent_coverage", "exponent_coverage_se"}
    assert res["n_datasets"] == 120
    for key in ("pi_coverage", "exponent_coverage"):
        assert 0.88 <= res[key] < 1.0, res  # some misses: a 95% interval that never missed would be too wide
        assert res[key + "_se"] == pytest.approx(_binomial_se(res[key], 120))
    assert coverage.coverage_study(120, seed=7) == res  # the seed fixes it


def test_exponent_hits_are_counted_against_the_true_exponent():
    """Data from N^1.3 checked against 1.1 miss nearly always; with no b given, the truth's exponent is the true one."""
    wrong = coverage.coverage_study(60, seed=8, true_exponent=1.1, b=1.3, sigma_config=0.05)
    assert wrong["exponent_coverage"] < 0.1 and wrong["pi_coverage"] >= 0.85
    right = coverage.coverage_study(60, seed=8, true_exponent=1.5)
    assert right["exponent_coverage"] >= 0.88


def test_the_fresh_run_carries_the_configuration_scatter_given():
    """With large scatter between circuits, a fresh circuit's run falls outside the interval about 5% of the
    time, not almost never (as it would if the fresh run had less scatter than the data)."""
    res = coverage.coverage_study(200, seed=9, sigma_config=0.8, sigma_rep=0.02)
    assert 0.9 <= res["pi_coverage"] <= 0.985, res
    shifted = coverage.coverage_study(60, seed=9, sigma_config=0.05, sigma_rep=0.01,
                                      truth=lambda n: 2e-4 * n**1.1 * 1.5, true_exponent=1.1)
    assert shifted["pi_coverage"] >= 0.88  # the fresh run comes from the same truth as the data


def test_coverage_is_checked_at_the_size_asked_for():
    """A power law fitted to an N log N truth: fine inside the data, wrong far beyond it."""
    truth = lambda n: 1e-5 * n * np.log2(n)  # noqa: E731
    near = coverage.coverage_study(40, seed=10, truth=truth, true_exponent=None, new_logrows=13.0,
                                   sigma_config=0.02, sigma_rep=0.01)
    far = coverage.coverage_study(40, seed=10, truth=truth, true_exponent=None, new_logrows=40.0,
                                  sigma_config=0.02, sigma_rep=0.01)
    assert near["pi_coverage"] >= 0.85 and far["pi_coverage"] <= 0.3, (near, far)
    assert math.isnan(near["exponent_coverage"]) and math.isnan(near["exponent_coverage_se"])


def test_a_law_without_an_exponent_reports_no_exponent_coverage():
    res = coverage.coverage_study(15, seed=11, cand=candidates.candidate("nlogn"), true_exponent=1.1)
    assert math.isnan(res["exponent_coverage"]) and math.isnan(res["exponent_coverage_se"])


# --- the chapter's scenarios ---------------------------------------------------------------------------------


def test_scenario_truths_are_their_formulas():
    """Each scenario's ``truth`` is the formula it prints, at two sizes."""
    formulas = {
        "3e-6 N log2 N + 1e-5 N": lambda n: 3e-6 * n * math.log2(n) + 1e-5 * n,
        "0.5 + 2e-6 N log2 N + 5e-5 N / log2 N": lambda n: 0.5 + 2e-6 * n * math.log2(n) + 5e-5 * n / math.log2(n),
        "0.3 + 2e-8 W(N)": lambda n: 0.3 + 2e-8 * float(candidates.prover_work_of_rows(np.array([n]))[0]),
        "5 + 1e-6 N log2 N": lambda n: 5.0 + 1e-6 * n * math.log2(n),
    }
    seen = set()
    for sc in coverage.COVERAGE_SCENARIOS:
        if "truth" not in sc:
            continue
        seen.add(sc["truth_formula"])
        for n in (2.0**10, 2.0**19):
            assert float(sc["truth"](np.array([n]))[0]) == pytest.approx(formulas[sc["truth_formula"]](n), rel=1e-12)
    assert seen == set(formulas)


#: A scenario whose sizes, noise, law and fresh-run size all differ from coverage_study's defaults (so a setting
#: not passed on shows); its candidate is the default power law (scenarios 2 to 5 name others).
OWN_SCENARIO = {"cand": "power", "a": 3e-3, "b": 1.5, "logrows": (11, 12, 13, 14, 15, 16), "configs_per_size": 2,
                "reps": 2, "sigma_config": 0.4, "sigma_rep": 0.1, "new_logrows": 18.0}


@pytest.mark.parametrize("index", [0, 1, 5, 6])
def test_a_scenario_is_the_study_with_its_own_settings_and_seed(index, monkeypatch):
    monkeypatch.setattr(coverage, "COVERAGE_SCENARIOS", coverage.COVERAGE_SCENARIOS + (OWN_SCENARIO,))
    sc = dict(coverage.COVERAGE_SCENARIOS[index])
    kwargs = {k: sc[k] for k in ("logrows", "configs_per_size", "reps", "sigma_config", "sigma_rep", "new_logrows")}
    if "truth" in sc:
        kwargs.update(truth=sc["truth"], true_exponent=None)
    else:
        kwargs.update(a=sc["a"], b=sc["b"], true_exponent=sc["b"])
    n = 12 if "truth" in sc else 60
    expected = coverage.coverage_study(n, seed=coverage.COVERAGE_SEED + index,
                                       cand=candidates.candidate(sc["cand"]), **kwargs)
    assert coverage.coverage_scenario(index, n) == pytest.approx(expected, nan_ok=True)
    if index == 6:
        assert expected["exponent_coverage"] >= 0.85  # checked against its own b, 1.5
    asked = []  # the seed is COVERAGE_SEED + index, whatever the draws it gives
    monkeypatch.setattr(coverage, "coverage_study", lambda *a, **kw: asked.append((a, kw)))
    coverage.coverage_scenario(index, n)
    assert asked[0][1]["seed"] == coverage.COVERAGE_SEED + index and asked[0][0] == (n,)


def test_the_defaults_are_the_documented_sweep_and_laws():
    """Other tests (choice, predict, frontier) rely on these defaults: 8 sizes 2^10..2^17, one circuit per size,
    3 repetitions, scatter 0.25 and 0.05, a prove time of 2e-4 N^1.1 s, ..."""
    def same(seed, **explicit):
        return coverage.simulate_observations(np.random.default_rng(seed)).equals(
            coverage.simulate_observations(np.random.default_rng(seed), **explicit))
    assert same(1, logrows=tuple(range(10, 18)), configs_per_size=1, reps=3, a=2e-4, b=1.1, sigma_config=0.25,
                sigma_rep=0.05)
    documented = {"prove_s": (2e-4, 1.1), "setup_s": (1e-4, 1.05), "witness_s": (1e-5, 1.0), "verify_s": (1e-2, 0.1),
                  "prove_peak_rss_bytes": (4e3, 1.0), "setup_peak_rss_bytes": (3e3, 1.0), "pk_bytes": (2e3, 1.0),
                  "proof_bytes": (3e4, 0.05)}
    default = coverage.simulate_runs(np.random.default_rng(2))
    explicit = coverage.simulate_runs(np.random.default_rng(2), "mlp", quantities=documented,
                                      logrows=tuple(range(10, 18)), configs_per_size=1, reps=3, sigma_config=0.25,
                                      sigma_rep=0.05, other_cpu_frac=0.0, sweep_profile="full")
    assert default == explicit
    first = dict(default[0])
    for col in documented:
        first.pop(col)
    assert first == {
        "run_id": "syn-mlp-000-res-s7-r0", "family": "mlp", "config_id": "syn-mlp-000", "config": '{"synthetic": 0}',
        "params": 256, "input_shape": "[1, 4]", "calibration_target": "resources",
        "visibility": "input:private,output:public,param:fixed", "status": "ok", "verified": True, "logrows": 10,
        "num_rows": 716, "cpu_model": "synthetic", "cpu_count": 1, "ram_bytes": 24 * 2**30, "os": "synthetic",
        "python_version": "synthetic", "ezkl_version": "synthetic", "torch_version": "synthetic",
        "git_commit": "synthetic", "hardware_tag": "synthetic", "date_utc": "1970-01-01T00:00:00+00:00",
        "repetition": 0, "sweep_profile": "full", "other_cpu_frac": 0.0,
        "input_scale": coverage.FAMILY_SCALES["mlp"], "param_scale": coverage.FAMILY_SCALES["mlp"]}
    assert [json.loads(r["config"]) for r in default[::3]] == [{"synthetic": i} for i in range(8)]
    other = coverage.simulate_runs(np.random.default_rng(2), "another-family", logrows=(12,), reps=1)[0]
    assert "another-family" not in coverage.FAMILY_SCALES and other["input_scale"] == other["param_scale"] == 7
    # coverage_study's defaults: the first scenario's sweep, its law's exponent 1.1 and a fresh run at 2^19 rows
    res = coverage.coverage_study(40, seed=12, b=1.1)
    assert res["exponent_coverage"] >= 0.85
    assert res == coverage.coverage_study(40, seed=12, true_exponent=1.1, new_logrows=19.0, a=2e-4, b=1.1,
                                          logrows=tuple(range(10, 18)), configs_per_size=1, reps=3,
                                          sigma_config=0.25, sigma_rep=0.05)
    truth = lambda n: 1e-5 * n * np.log2(n)  # noqa: E731  (misfitted by a power law: coverage depends on the size)
    kw = dict(truth=truth, true_exponent=None, sigma_config=0.02, sigma_rep=0.01)
    assert coverage.coverage_study(40, seed=13, **kw) == coverage.coverage_study(40, seed=13, new_logrows=19.0, **kw)
    assert coverage.coverage_study(40, seed=13, **kw) != coverage.coverage_study(40, seed=13, new_logrows=20.0, **kw)


def test_without_a_true_exponent_the_data_follow_the_default_law_and_the_candidate_given_is_fitted():
    nlogn = candidates.candidate("nlogn")
    # N log N fitted to 2e-4 N^1.1, 5 doublings beyond the data: 70% coverage; to N^2.1 it would be none
    kw = dict(cand=nlogn, true_exponent=None, new_logrows=22.0, sigma_config=0.05, sigma_rep=0.01)
    none = coverage.coverage_study(30, seed=14, **kw)
    assert none == coverage.coverage_study(30, seed=14, a=2e-4, b=1.1, **kw) and none["pi_coverage"] >= 0.4
    assert coverage.coverage_study(30, seed=14, b=2.1, **kw)["pi_coverage"] < 0.1
    assert math.isnan(coverage.coverage_study(20, seed=14, true_exponent=None)["exponent_coverage"])
    truth = lambda n: 1e-5 * n * np.log2(n)  # noqa: E731
    kw = dict(truth=truth, true_exponent=None, new_logrows=40.0, sigma_config=0.02, sigma_rep=0.01)
    assert coverage.coverage_study(30, seed=10, cand=nlogn, **kw)["pi_coverage"] >= 0.85  # the right law, fitted
    assert coverage.coverage_study(30, seed=10, **kw)["pi_coverage"] <= 0.3  # the power law, 23 doublings out


def test_simulated_runs_carry_their_familys_scales(monkeypatch):
    monkeypatch.setitem(coverage.FAMILY_SCALES, "cnn", 9)
    rec = coverage.simulate_runs(np.random.default_rng(6), "cnn", logrows=(12,), reps=1)[0]
    assert rec["input_scale"] == rec["param_scale"] == 9
