"""Scaling-law fits: calibration of the intervals on simulated sweeps, model choice, data handling."""

from __future__ import annotations

import dataclasses
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


@pytest.fixture(autouse=True)
def fresh_costmodel_cache():
    """No test sees a lambdified cost model cached by another (the cache is keyed, this makes sure)."""
    fit.clear_caches()
    yield
    fit.clear_caches()


CALIBRATED = [i for i, sc in enumerate(fit.CALIBRATION_SCENARIOS) if sc.get("expect_calibrated", True)]


@pytest.mark.parametrize("index", CALIBRATED,
                         ids=[f"{i}-{fit.CALIBRATION_SCENARIOS[i]['cand']}" for i in CALIBRATED])
def test_intervals_are_calibrated_on_500_simulated_sweeps(index):
    """95% prediction intervals (beyond the data) and exponent intervals cover 92-98% of the truth.

    The same scenarios, with the same seeds, are the chapter's calibration table.
    """
    low, high = fit.CALIBRATION_TOLERANCE
    assert fit.CALIBRATION_DATASETS >= 500 and (low, high) == (0.92, 0.98)
    result = fit.calibration_scenario(index)
    assert result["n_datasets"] == fit.CALIBRATION_DATASETS
    assert low <= result["pi_coverage"] <= high, result
    if fit.CALIBRATION_SCENARIOS[index]["cand"] == "power":
        assert low <= result["exponent_coverage"] <= high, result
    else:
        assert math.isnan(result["exponent_coverage"])


def test_calibration_scenarios_cover_every_law_and_both_noise_designs():
    scenarios = fit.CALIBRATION_SCENARIOS
    assert {sc["cand"] for sc in scenarios} == {c.name for c in fit.CANDIDATES} - {"affine"}
    assert any(sc["configs_per_size"] > 1 for sc in scenarios if sc["cand"] == "power")
    assert all(sc["new_logrows"] > max(sc["logrows"]) for sc in scenarios)


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


def test_cost_model_cache_follows_the_cost_model(monkeypatch):
    """The lambdified prover work is keyed by the cost model's function and constants: no stale reuse."""
    costmodel = pytest.importorskip("chasm.costmodel")
    n = np.array([2.0**20])
    before = fit._prover_work(n)[0]
    doubled = {key: (2 * value if str(key) == str(costmodel.gamma) else value)
               for key, value in costmodel.PROVER_CONSTANTS.items()}
    monkeypatch.setattr(costmodel, "PROVER_CONSTANTS", doubled)
    assert fit._prover_work(n)[0] > before
    monkeypatch.undo()
    assert fit._prover_work(n)[0] == before


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


def test_held_out_gaps_name_the_family_that_lacks_sizes():
    from chasm import scaling

    rng = np.random.default_rng(16)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 17)), ("transformer", range(12, 16))))
    runs, _ = fit.prepare_runs(frame)
    checks = scaling.held_out_runs(runs, quantities=("prove_s",))
    assert set(checks["family"]) == {"mlp"}
    gaps = scaling.held_out_gaps(runs, checks, quantities=("prove_s",))
    assert any(g.startswith("transformer") and "(4 distinct sizes)" in g for g in gaps)
    assert not any(g.startswith("mlp") for g in gaps)


# --------------------------------------------------------------------------- which runs are fitted


def test_prepare_runs_keeps_main_sweep_runs_at_default_scales_only():
    rng = np.random.default_rng(14)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 17)),))
    frame.loc[0, "sweep_profile"] = "calibration"
    frame.loc[1, "calibration_target"] = "accuracy"
    frame.loc[2, "input_scale"] = fit.FAMILY_SCALES["mlp"] + 2
    frame.loc[3, "param_scale"] = fit.FAMILY_SCALES["mlp"] - 1
    frame.loc[4, "sweep_profile"] = "quick"
    runs, _ = fit.prepare_runs(frame)
    assert set(runs["run_id"]) == set(frame["run_id"]) - set(frame.loc[:3, "run_id"])
    table = fit.exclusion_table(frame).set_index("reason")
    assert table["runs"].sum() == len(frame)
    assert table.loc["sweep profile not full or quick (side experiment)", "runs"] == 1
    assert table.loc["calibration target not 'resources'", "runs"] == 1
    assert table.loc["input or parameter scale is not the family's default", "runs"] == 2
    assert table.loc["used for the fits (on synthetic)", "runs"] == len(runs)


def test_contended_runs_lose_their_times_but_keep_memory_and_sizes():
    rng = np.random.default_rng(15)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 18)),))
    frame.loc[0, "other_cpu_frac"] = fit.CONTENTION_LIMIT  # at the limit: kept
    frame.loc[1, "other_cpu_frac"] = fit.CONTENTION_LIMIT + 0.01
    frame.loc[2, "other_cpu_frac"] = 0.8
    runs, _ = fit.prepare_runs(frame)
    by_id = runs.set_index("run_id")
    assert by_id.loc[frame.loc[0, "run_id"], "prove_s"] == pytest.approx(frame.loc[0, "prove_s"])
    for i in (1, 2):
        row = by_id.loc[frame.loc[i, "run_id"]]
        assert all(math.isnan(row[c]) for c in fit.time_columns(runs))
        assert row["pk_bytes"] == frame.loc[i, "pk_bytes"] and row["prove_peak_rss_bytes"] > 0
    assert len(fit.observations(runs, "mlp", "prove_s")) == len(frame) - 2
    assert len(fit.observations(runs, "mlp", "pk_bytes")) == len(frame)
    table = fit.exclusion_table(frame)
    contended = table[table["reason"].str.contains(f"other_cpu_frac > {fit.CONTENTION_LIMIT:g}", regex=False)]
    assert contended["runs"].tolist() == [2]


def test_too_few_uncontended_sizes_is_reported_per_quantity_not_a_crash():
    rng = np.random.default_rng(16)
    quiet = fit.simulate_runs(rng, "cnn", logrows=(12, 13))
    busy = fit.simulate_runs(rng, "cnn", logrows=(14, 15, 16), other_cpu_frac=0.5)
    for rec in busy:  # distinct circuits from the quiet ones
        rec["run_id"], rec["config_id"] = "busy-" + rec["run_id"], "busy-" + rec["config_id"]
    schema = data.read_schema(paths.measurements_dir() / "proofs.schema.yaml")
    frame = pd.DataFrame(data.validate_records(quiet + busy, schema, "synthetic"), columns=schema.names)
    runs, _ = fit.prepare_runs(frame)
    fits, skipped = fit.fit_family(runs, "cnn")
    assert set(skipped) == {q for q in fit.QUANTITIES if q.endswith("_s")}
    assert "2 distinct sizes (logrows 12, 13)" in skipped["prove_s"]
    assert {"pk_bytes", "peak_rss_bytes"} <= set(fits)


def test_circuits_at_the_logrows_floor_are_left_out_of_fits_against_parameters():
    rng = np.random.default_rng(17)
    frame = synthetic_frame(rng, families=(("mlp", range(14, 19)),))
    smallest = frame["logrows"] == 14
    frame.loc[smallest, "num_rows"] = 2**12  # uses a quarter of its 2^14 rows: the table set its size
    floor_like = frame[smallest].copy()  # a second, smaller network on the same floor
    floor_like["run_id"] = floor_like["run_id"].str.replace("syn-mlp-000", "syn-mlp-tiny")
    floor_like["params"] = 10
    frame = pd.concat([frame, floor_like], ignore_index=True)
    frame.loc[frame["logrows"] == 15, "num_rows"] = 2**14 - 1  # at most half, but not the family's minimum
    runs, _ = fit.prepare_runs(frame)
    assert set(runs.loc[runs["at_floor"], "logrows"]) == {14}
    assert runs.loc[runs["at_floor"], "config_key"].nunique() == 2
    by_params = fit.observations(runs, "mlp", "prove_s", size="params")
    assert 14 not in set(by_params["logrows"]) and 15 in set(by_params["logrows"])
    assert set(fit.observations(runs, "mlp", "prove_s", size="num_rows")["logrows"]) == set(range(15, 19))
    assert 14 in set(fit.observations(runs, "mlp", "prove_s")["logrows"])


# --------------------------------------------------------------------------- deterministic quantities


def deterministic_means(logrows, law, copies_at_smallest: int = 4) -> fit.ConfigMeans:
    """Configuration means of a quantity that repeats exactly: identical circuits at the smallest size."""
    lr = [logrows[0]] * copies_at_smallest + list(logrows[1:])
    rows = [{"config_key": f"c{i}", "logrows": k, "fold": k, "x": 2.0**k, "y": math.log(law(2.0**k))}
            for i, k in enumerate(lr) for _ in range(3)]
    return fit.config_means(pd.DataFrame(rows))


def memory_like(n):
    """Bytes: a fixed overhead plus a slightly superlinear term (no candidate law is exact)."""
    return 3e8 + 4000.0 * n**1.05


def test_deterministic_quantity_gets_a_leave_one_size_out_interval_that_covers():
    """Three sizes, repetitions identical: in-sample residuals hide the curvature; the interval must not."""
    cm = deterministic_means((15, 16, 17), memory_like)
    affine = fit.candidate("affine")
    law = fit.fit_law(cm, affine)
    assert cm.within_ss == 0 and law.sigma_rep2 == 0
    assert law.scatter_method == "leave-one-size-out errors"
    assert law.s2 == pytest.approx(fit.leave_one_size_out_mse(cm, affine)) and law.s2 > 3 * law.s2_resid
    x = 2.0 ** np.array([18, 19])
    pred = fit.predict(law, x)
    truth = memory_like(x)
    assert np.all((pred["low"] <= truth) & (truth <= pred["high"]))
    assert np.all(pred["high"] / pred["low"] < 1.5)  # covered without an absurd width
    # The in-sample residual variance alone would have missed: the fallback has teeth.
    naive = dataclasses.replace(law, s2=law.s2_resid, cov=law.cov * law.s2_resid / law.s2)
    narrow = fit.predict(naive, x)
    assert not np.all((narrow["low"] <= truth) & (truth <= narrow["high"]))


def test_lack_of_fit_between_sizes_is_used_when_circuits_of_one_size_are_identical():
    cm = deterministic_means((14, 15, 16, 17, 18, 19), memory_like)
    law = fit.fit_law(cm, fit.POWER)
    assert law.scatter_method == "lack of fit between sizes"
    assert law.df_scatter == 6 - 2 and law.df_model == 9 - 2
    assert law.s2 > law.s2_resid


def test_held_out_check_reports_interval_width_and_scatter_method():
    rng = np.random.default_rng(18)
    runs, _ = fit.prepare_runs(synthetic_frame(rng))
    check = fit.held_out_check(runs, "mlp", "pk_bytes")
    assert np.allclose(check["width"], check["high"] / check["low"]) and (check["width"] > 1).all()
    assert check["scatter"].nunique() == 1
