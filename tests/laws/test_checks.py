"""chasm.laws.checks: the held-out check predicts sizes a law has not seen; crossings of a known law."""

from __future__ import annotations

import dataclasses
import math
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from chasm.laws import candidates
from chasm.laws import choice
from chasm.laws import coverage
from chasm.laws import checks
from chasm.laws import estimation
from chasm.laws import rules
from chasm.laws import selection


def test_held_out_check_predicts_only_the_two_largest_sizes_from_the_rest(synthetic_frame):
    rng = np.random.default_rng(11)
    runs, _ = selection.select_runs(synthetic_frame(rng))
    check = checks.held_out_check(runs, "mlp", "prove_s")
    assert set(check["logrows"]) == {18, 19}
    assert (check["train_max_logrows"] == 17).all()
    # runs drawn from the law the fit assumes land inside their 95% intervals
    assert check["covered"].tolist() == [True] * len(check)
    # The held-out runs must not influence the prediction: inflate them and predict again.
    bumped = runs.copy()
    bumped.loc[bumped["logrows"] >= 18, "prove_s"] *= 1000
    again = checks.held_out_check(bumped, "mlp", "prove_s")
    assert np.allclose(again["point"], check["point"])
    assert not again["covered"].any()


def test_crossing_of_a_known_law():
    rng = np.random.default_rng(12)
    # ratio = 2^-10 * N^0.5 reaches 1 at N = 2^20
    obs = coverage.simulate_observations(rng, a=2.0**-10, b=0.5, sigma_config=0.01, sigma_rep=0.01)
    law = estimation.fit_law(selection.config_means(obs))
    cross = checks.crossing_logrows(law, 1.0)
    assert cross["low"] <= 20 <= cross["high"]
    assert cross["point"] == pytest.approx(20, abs=0.3)
    # A flat law with scatter: the slope is not distinguishable from 0, so no bounded crossing.
    lr = np.repeat(np.arange(10, 18), 3)
    wiggle = np.repeat([1, -1, -1, 1, 1, -1, -1, 1], 3) * 0.3  # no trend in rows
    flat_obs = pd.DataFrame({"config_key": [f"c{k}" for k in lr], "logrows": lr, "fold": lr,
                             "x": 2.0**lr, "y": math.log(0.5) + wiggle + rng.normal(0, 0.01, len(lr))})
    flat = estimation.fit_law(selection.config_means(flat_obs))
    assert estimation.exponent(flat)["low"] < 0 < estimation.exponent(flat)["high"]
    cross = checks.crossing_logrows(flat, 1.0)
    assert not (math.isfinite(cross["low"]) and math.isfinite(cross["high"]))


def test_held_out_check_needs_three_training_sizes(synthetic_frame):
    rng = np.random.default_rng(13)
    runs, _ = selection.select_runs(synthetic_frame(rng, families=(("cnn", range(12, 17)),)))
    check = checks.held_out_check(runs, "cnn", "prove_s")
    assert set(check["logrows"]) == {15, 16} and (check["train_max_logrows"] == 14).all()
    fewer, _ = selection.select_runs(synthetic_frame(rng, families=(("cnn", range(12, 16)),)))
    with pytest.raises(rules.InsufficientData, match="needs at least 5"):
        checks.held_out_check(fewer, "cnn", "prove_s")


def test_held_out_check_reports_interval_width_and_scatter_method(synthetic_frame):
    rng = np.random.default_rng(18)
    runs, _ = selection.select_runs(synthetic_frame(rng))
    check = checks.held_out_check(runs, "mlp", "pk_bytes")
    # The interval is 2 t(df) standard errors wide in log units, around the point, with t and the
    # standard error of the law chosen on the training sizes alone (refitted here).
    train = runs[~((runs["family"] == "mlp") & runs["logrows"].isin([18, 19]))]
    law = choice.fit_quantity(train, "mlp", "pk_bytes", min_sizes=rules.MIN_TRAIN_SIZES).chosen
    log_pred = estimation.predict_log(law, 2.0 ** check["logrows"].to_numpy())
    half = stats.t.ppf(0.975, log_pred["df"]) * log_pred["se"]
    np.testing.assert_allclose(np.log(check["width"]), 2 * half, rtol=1e-9)
    np.testing.assert_allclose(np.log(check["point"]), log_pred["point"], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(check["low"] * check["high"]), check["point"], rtol=1e-9)
    assert (check["width"] > 1).all() and check["scatter"].unique().tolist() == [law.scatter_method]


def test_held_out_check_tests_both_ends_of_the_interval(synthetic_frame):
    """Held-out runs put just inside or just outside either end of their own 95% interval are covered or
    not accordingly (the prediction does not depend on them, so the interval stays where it was)."""
    rng = np.random.default_rng(11)
    runs, _ = selection.select_runs(synthetic_frame(rng))
    check = checks.held_out_check(runs, "mlp", "prove_s")
    held = (runs["family"] == "mlp") & (runs["logrows"] >= 18)
    assert held.sum() == len(check) >= 4
    cases = [("low", 1.001, True), ("low", 0.999, False), ("high", 0.999, True), ("high", 1.001, False)]
    placed = [cases[i % 4] for i in range(len(check))]
    moved = runs.copy()
    moved.loc[held, "prove_s"] = [check[end].iloc[i] * factor for i, (end, factor, _) in enumerate(placed)]
    again = checks.held_out_check(moved, "mlp", "prove_s")
    np.testing.assert_allclose(again[["low", "point", "high"]], check[["low", "point", "high"]], rtol=1e-12)
    assert again["covered"].tolist() == [covered for _, _, covered in placed]


def test_crossing_point_and_interval_by_known_answers():
    """For a power law the crossing solves ``log a + b k log 2 = log level`` (recomputed from the fitted
    coefficients); the interval's ends are the first and last grid sizes whose band holds the level, and
    the prediction band's interval contains the confidence band's."""
    rng = np.random.default_rng(12)
    obs = coverage.simulate_observations(rng, a=2.0**-10, b=0.5, sigma_config=0.05, sigma_rep=0.01)
    law = estimation.fit_law(selection.config_means(obs))
    loga, b = law.coef
    assert checks.crossing_logrows(law) == checks.crossing_logrows(law, 1.0)
    for level in (2.0, 0.5):
        k = (math.log(level) - loga) / (b * math.log(2))
        conf = checks.crossing_logrows(law, level)
        pred = checks.crossing_logrows(law, level, band="prediction")
        assert conf["point"] == pytest.approx(k, abs=1e-9) and pred["point"] == pytest.approx(k, abs=1e-9)
        assert pred["low"] < conf["low"] < k < conf["high"] < pred["high"]
        for ends, band in ((conf, estimation.confidence_log), (pred, estimation.predict_log)):
            def holds(kk):
                out = band(law, [2.0**kk])
                return bool(out["low"][0] <= math.log(level) <= out["high"][0])
            assert holds(ends["low"]) and not holds(ends["low"] - 1 / 64)
            assert holds(ends["high"]) and not holds(ends["high"] + 1 / 64)
    band = estimation.confidence_log(law, [2.0**20])
    assert band["df"].tolist() == [law.df_scatter]


def test_held_out_check_rows_name_what_they_check(synthetic_frame):
    rng = np.random.default_rng(11)
    runs, _ = selection.select_runs(synthetic_frame(rng))
    check = checks.held_out_check(runs, "mlp", "prove_s")
    held = runs[(runs["family"] == "mlp") & (runs["logrows"] >= 18)]
    assert (check["family"] == "mlp").all() and (check["quantity"] == "prove_s").all()
    assert check["config_key"].tolist() == held["config_key"].tolist()
    np.testing.assert_allclose(check["observed"], held["prove_s"], rtol=1e-12)
    np.testing.assert_allclose(check["ratio"], check["observed"] / check["point"], rtol=1e-12)
    train = runs[~((runs["family"] == "mlp") & runs["logrows"].isin([18, 19]))]
    law = choice.fit_quantity(train, "mlp", "prove_s", min_sizes=rules.MIN_TRAIN_SIZES).chosen
    assert (check["law"] == law.candidate.name).all()


def test_ratio_law_of_two_power_laws_has_the_difference_of_their_exponents(synthetic_frame):
    """prove_s ~ 2e-4 N^1.1 over setup_s ~ 1e-4 N^1.05 (the simulated sweep's laws): the per-run ratio's
    power law has exponent 0.05 within its 95% interval, fitted on this family's runs only."""
    rng = np.random.default_rng(21)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 20)), ("cnn", range(12, 20))), sigma_config=0.02,
                            sigma_rep=0.01)
    runs, _ = selection.select_runs(frame)
    runs.loc[runs["family"] == "cnn", "prove_s"] *= np.ldexp(1.0, runs.loc[runs["family"] == "cnn", "logrows"])
    law = checks.ratio_law(runs, "mlp", "prove_s", "setup_s")
    e = estimation.exponent(law)
    assert e["low"] < 0.05 < e["high"] and abs(e["point"] - 0.05) < 0.02
    assert law.n_runs == int((runs["family"] == "mlp").sum())
    assert math.exp(law.coef[0]) == pytest.approx(2.0, rel=0.2)
    with pytest.raises(rules.InsufficientData, match="fewer than 4 sizes"):
        checks.ratio_law(runs[runs["logrows"] <= 14], "mlp", "prove_s", "setup_s")
    assert checks.ratio_law(runs[runs["logrows"] <= 15], "mlp", "prove_s", "setup_s").n_sizes == 4  # 4 is enough


def test_crossing_of_a_curved_law_and_the_edge_cases():
    """An affine law (curved in log-log) crosses where ``c0 + c1 2^k = level``; a level the law never reaches
    on the grid has no point and no interval; a band that holds the level at the grid's ends is open there."""
    rng = np.random.default_rng(5)
    obs = coverage.simulate_observations(rng, law=lambda n: 20.0 + 1e-4 * n, sigma_config=0.02, sigma_rep=0.01)
    law = estimation.fit_law(selection.config_means(obs), candidates.candidate("affine"))
    c0, c1 = law.coef
    cross = checks.crossing_logrows(law, 100.0)
    assert cross["point"] == pytest.approx(math.log2((100.0 - c0) / c1), abs=1e-3)
    assert cross["low"] < cross["point"] < cross["high"]
    never = checks.crossing_logrows(law, 1e300)
    assert set(never) == {"low", "point", "high"} and all(math.isnan(v) for v in never.values())
    wide = dataclasses.replace(law, cov=law.cov * 1e12)  # a band so wide it holds the level everywhere
    edges = checks.crossing_logrows(wide, 100.0)
    assert edges["low"] == -math.inf and edges["high"] == math.inf
    assert edges["point"] == pytest.approx(cross["point"])
