"""Scaling-law fits: calibration of the intervals on simulated sweeps, model choice, data handling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chasm import data, fit, paths

SEED = 20260101


def synthetic_frame(rng, families=(("mlp", range(12, 20)),), **kw) -> pd.DataFrame:
    """Synthetic sweep records, validated against the real proofs schema, as a typed frame."""
    schema = data.read_schema(paths.measurements_dir() / "proofs.schema.yaml")
    records = []
    for family, logrows in families:
        records += fit.simulate_runs(rng, family, logrows=tuple(logrows), **kw)
    rows = data.validate_records(records, schema, "synthetic records")
    return pd.DataFrame(rows, columns=schema.names)


# --------------------------------------------------------------------------- calibration (the core claim)


def test_power_law_intervals_are_calibrated_on_500_simulated_sweeps():
    """95% prediction intervals (2 doublings beyond the data) and exponent intervals cover 92-98%."""
    result = fit.calibration_study(500, seed=SEED, logrows=tuple(range(10, 18)), reps=3,
                                   sigma_config=0.25, sigma_rep=0.05, new_logrows=19.0)
    assert result["n_datasets"] == 500
    assert 0.92 <= result["pi_coverage"] <= 0.98, result
    assert 0.92 <= result["exponent_coverage"] <= 0.98, result


def test_power_law_calibrated_with_two_configs_per_size_and_noisy_repetitions():
    """Several circuits per size and large repetition noise: both noise sources must be in the interval."""
    result = fit.calibration_study(500, seed=SEED + 1, logrows=tuple(range(14, 20)), configs_per_size=2,
                                   reps=3, sigma_config=0.15, sigma_rep=0.2, new_logrows=21.0)
    assert 0.92 <= result["pi_coverage"] <= 0.98, result
    assert 0.92 <= result["exponent_coverage"] <= 0.98, result


@pytest.mark.parametrize(
    "name, truth",
    [
        ("nlogn", lambda n: 3e-6 * n * np.log2(n) + 1e-5 * n),
        ("fft_msm", lambda n: 0.5 + 2e-6 * n * np.log2(n) + 5e-5 * n / np.log2(n)),
    ],
)
def test_nonlinear_law_prediction_intervals_are_calibrated(name, truth):
    """The linearised intervals of the nonnegative-sum forms cover a new run 92-98% when the form is right."""
    result = fit.calibration_study(500, seed=SEED + 2, cand=fit.candidate(name), truth=truth,
                                   true_exponent=None, new_logrows=19.0)
    assert 0.92 <= result["pi_coverage"] <= 0.98, result
    assert math.isnan(result["exponent_coverage"])


def test_cost_model_form_is_the_cost_models_prover_work():
    costmodel = pytest.importorskip("chasm.costmodel")
    import sympy

    cand = fit.candidate("costmodel")
    work = costmodel.prover_work(costmodel.kk).subs(costmodel.PROVER_CONSTANTS)
    for k in (12, 20, 26):
        expected = float(work.subs(costmodel.kk, k))
        assert cand.basis(np.array([2.0**k]))[0, 1] == pytest.approx(expected, rel=1e-12)
        assert cand.basis(np.array([2.0**k]))[0, 0] == 1.0
    assert isinstance(work, sympy.Expr)


def test_cost_model_law_prediction_intervals_are_calibrated():
    pytest.importorskip("chasm.costmodel")
    truth = lambda n: 0.3 + 2e-8 * fit._prover_work(n)  # noqa: E731  (seconds; 2e-8 s per field mult)
    result = fit.calibration_study(500, seed=SEED + 3, cand=fit.candidate("costmodel"), truth=truth,
                                   true_exponent=None, new_logrows=19.0)
    assert 0.92 <= result["pi_coverage"] <= 0.98, result


def test_intervals_without_config_scatter_would_fail_calibration():
    """The calibration check has teeth: the law's own confidence band, which lacks the scatter and
    repetition terms, covers a fresh run at an interior size far less often than the prediction interval."""
    rng = np.random.default_rng(SEED)
    full, mean_only, n = 0, 0, 300
    x_new = 2.0**14.5
    for _ in range(n):
        law = fit.fit_law(fit.config_means(fit.simulate_observations(rng, sigma_config=0.3, sigma_rep=0.05)))
        fresh = math.log(2e-4 * x_new**1.1) + rng.normal(0, 0.3) + rng.normal(0, 0.05)
        pi, band = fit.predict_log(law, [x_new]), fit.predict_log(law, [x_new], new_run=False)
        full += pi["low"][0] <= fresh <= pi["high"][0]
        mean_only += band["low"][0] <= fresh <= band["high"][0]
    assert full / n > 0.9
    assert mean_only / n < 0.7


# --------------------------------------------------------------------------- fitting behaviour


def test_power_law_recovers_a_known_exponent():
    rng = np.random.default_rng(1)
    obs = fit.simulate_observations(rng, a=3e-4, b=1.25, sigma_config=0.02, sigma_rep=0.01)
    law = fit.fit_law(fit.config_means(obs), fit.POWER)
    e = fit.exponent(law)
    assert e["low"] < 1.25 < e["high"]
    assert abs(e["point"] - 1.25) < 0.02
    a = fit.param_intervals(law).set_index("name").loc["a"]
    assert a["low"] < 3e-4 < a["high"]


def test_prediction_interval_holds_both_noise_sources():
    """Mean-of-many-runs < single new run; confidence band of the law < prediction band."""
    rng = np.random.default_rng(2)
    law = fit.fit_law(fit.config_means(fit.simulate_observations(rng, sigma_rep=0.3, sigma_config=0.1)))
    x = [2.0**16]
    single = fit.predict_log(law, x)
    many = fit.predict_log(law, x, reps=100)
    band = fit.predict_log(law, x, new_run=False)
    width = lambda p: p["high"][0] - p["low"][0]  # noqa: E731
    assert width(band) < width(many) < width(single)
    assert single["point"][0] == pytest.approx(band["point"][0])


def test_cross_validation_prefers_the_true_form():
    rng = np.random.default_rng(3)
    curved = fit.simulate_observations(rng, law=lambda n: 20.0 + 1e-4 * n, sigma_config=0.02, sigma_rep=0.01)
    table, _ = fit.compare(fit.config_means(curved))
    chosen = table.loc[table["chosen"], "law"].item()
    assert chosen in {"affine", "fft_msm", "costmodel"}
    scores = table.set_index("law")["cv_rmse_log"]
    assert scores["affine"] < scores["power"]
    straight = fit.simulate_observations(rng, a=1e-3, b=0.6, sigma_config=0.02, sigma_rep=0.01)
    table, _ = fit.compare(fit.config_means(straight))
    assert table.loc[table["chosen"], "law"].item() == "power"


def test_all_candidates_are_reported_with_their_cv_error():
    rng = np.random.default_rng(4)
    table, fits = fit.compare(fit.config_means(fit.simulate_observations(rng)))
    assert list(table["law"]) == [c.name for c in fit.CANDIDATES]
    assert table["cv_rmse_log"].notna().all()
    assert table["chosen"].sum() == 1
    assert set(fits) == {c.name for c in fit.CANDIDATES}


def test_nonnegative_coefficients_stay_nonnegative():
    rng = np.random.default_rng(5)
    obs = fit.simulate_observations(rng, law=lambda n: 1e-5 * n * np.log2(n), sigma_config=0.3)
    law = fit.fit_law(fit.config_means(obs), fit.candidate("fft_msm"))
    params = fit.param_intervals(law)
    assert (params["point"] >= 0).all() and (params["low"] >= 0).all()
    assert (params["high"] >= params["point"]).all()


def test_too_few_sizes_is_refused_with_a_count():
    rng = np.random.default_rng(6)
    frame = synthetic_frame(rng, families=(("cnn", range(15, 18)),))
    runs, _ = fit.prepare_runs(frame)
    with pytest.raises(fit.InsufficientData, match=r"3 distinct sizes .*logrows 15, 16, 17.*at least 4"):
        fit.fit_quantity(runs, "cnn", "prove_s")
    fits, skipped = fit.fit_family(runs, "cnn")
    assert fits == {} and set(skipped) == set(fit.QUANTITIES)


def test_a_law_with_too_many_parameters_for_the_configs_is_refused():
    cm = fit.config_means(fit.simulate_observations(np.random.default_rng(7), logrows=(10, 11, 12)))
    with pytest.raises(fit.InsufficientData, match="needs at least 4 configurations"):
        fit.fit_law(cm, fit.candidate("fft_msm"))


# --------------------------------------------------------------------------- from measurement records


def test_pipeline_on_schema_valid_synthetic_records():
    rng = np.random.default_rng(8)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 20)), ("transformer", range(15, 17))))
    runs, tag = fit.prepare_runs(frame)
    assert tag == "synthetic"
    fits, skipped = fit.fit_family(runs, "mlp")
    assert set(fits) == set(fit.QUANTITIES) and skipped == {}
    prove = fits["prove_s"]
    assert prove.unit == "s" and fits["pk_bytes"].unit == "bytes"
    e = fit.exponent(prove.power)
    assert e["low"] < 1.1 < e["high"]
    _, skipped = fit.fit_family(runs, "transformer")
    assert "2 distinct sizes" in skipped["prove_s"]


def test_prepare_runs_filters_and_derives_columns():
    rng = np.random.default_rng(9)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 16)),))
    frame.loc[0, "status"] = "killed"
    frame.loc[1, "verify_peak_rss_bytes"] = 10**12
    other = frame.iloc[:2].copy()
    other["hardware_tag"] = "other-machine"
    runs, tag = fit.prepare_runs(pd.concat([frame, other], ignore_index=True))
    assert tag == "synthetic" and (runs["hardware_tag"] == "synthetic").all()
    assert (runs["status"] == "ok").all() and len(runs) == len(frame) - 1
    row = runs.set_index("run_id").loc[frame.loc[1, "run_id"]]
    assert row["peak_rss_bytes"] == 10**12
    assert row["rows"] == 2.0 ** row["logrows"]
    assert row["config_key"] == frame.loc[1, "run_id"].rsplit("-r", 1)[0]
    with pytest.raises(fit.InsufficientData, match="no successful runs on hardware 'nope'"):
        fit.prepare_runs(frame, "nope")


def test_fit_against_num_rows_uses_num_rows_size_classes():
    rng = np.random.default_rng(10)
    runs, _ = fit.prepare_runs(synthetic_frame(rng))
    qf = fit.fit_quantity(runs, "mlp", "prove_s", size="num_rows")
    assert qf.size == "num_rows"
    assert qf.chosen.x_max == runs["num_rows"].max()
    assert set(qf.means.fold) == set(np.ceil(np.log2(runs["num_rows"])).astype(int))


def test_held_out_check_predicts_only_the_two_largest_sizes_from_the_rest():
    rng = np.random.default_rng(11)
    runs, _ = fit.prepare_runs(synthetic_frame(rng))
    check = fit.held_out_check(runs, "mlp", "prove_s")
    assert set(check["logrows"]) == {18, 19}
    assert (check["train_max_logrows"] == 17).all()
    assert check["covered"].dtype == bool
    # The held-out runs must not influence the prediction: inflate them and predict again.
    bumped = runs.copy()
    bumped.loc[bumped["logrows"] >= 18, "prove_s"] *= 1000
    again = fit.held_out_check(bumped, "mlp", "prove_s")
    assert np.allclose(again["point"], check["point"])
    assert not again["covered"].any()


def test_crossing_of_a_known_law():
    rng = np.random.default_rng(12)
    # ratio = 2^-10 * N^0.5 reaches 1 at N = 2^20
    obs = fit.simulate_observations(rng, a=2.0**-10, b=0.5, sigma_config=0.01, sigma_rep=0.01)
    law = fit.fit_law(fit.config_means(obs))
    cross = fit.crossing_logrows(law, 1.0)
    assert cross["low"] <= 20 <= cross["high"]
    assert cross["point"] == pytest.approx(20, abs=0.3)
    # A flat law with scatter: the slope is not distinguishable from 0, so no bounded crossing.
    lr = np.repeat(np.arange(10, 18), 3)
    wiggle = np.repeat([1, -1, -1, 1, 1, -1, -1, 1], 3) * 0.3  # no trend in rows
    flat_obs = pd.DataFrame({"config_key": [f"c{k}" for k in lr], "logrows": lr, "fold": lr,
                             "x": 2.0**lr, "y": math.log(0.5) + wiggle + rng.normal(0, 0.01, len(lr))})
    flat = fit.fit_law(fit.config_means(flat_obs))
    assert fit.exponent(flat)["low"] < 0 < fit.exponent(flat)["high"]
    cross = fit.crossing_logrows(flat, 1.0)
    assert not (math.isfinite(cross["low"]) and math.isfinite(cross["high"]))


def test_held_out_check_needs_three_training_sizes():
    rng = np.random.default_rng(13)
    runs, _ = fit.prepare_runs(synthetic_frame(rng, families=(("cnn", range(12, 17)),)))
    check = fit.held_out_check(runs, "cnn", "prove_s")
    assert set(check["logrows"]) == {15, 16} and (check["train_max_logrows"] == 14).all()
    fewer, _ = fit.prepare_runs(synthetic_frame(rng, families=(("cnn", range(12, 16)),)))
    with pytest.raises(fit.InsufficientData, match="needs at least 5"):
        fit.held_out_check(fewer, "cnn", "prove_s")
