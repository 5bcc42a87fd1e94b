"""chasm.laws.checks: the held-out check predicts sizes a law has not seen; crossings of a known law."""

from __future__ import annotations

import math
import numpy as np
import pandas as pd
import pytest

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
    assert check["covered"].dtype == bool
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
    assert np.allclose(check["width"], check["high"] / check["low"]) and (check["width"] > 1).all()
    assert check["scatter"].nunique() == 1
