"""chasm.laws.estimation: fits recover known exponents; prediction intervals carry both noise sources."""

from __future__ import annotations

import dataclasses
import math
import numpy as np
import pandas as pd
import pytest

from chasm.laws import coverage
from chasm.laws import candidates
from chasm.laws import estimation
from chasm.laws import rules
from chasm.laws import selection


def deterministic_means(logrows, law, copies_at_smallest: int = 4) -> selection.ConfigMeans:
    """Configuration means of a quantity that repeats exactly: identical circuits at the smallest size."""
    lr = [logrows[0]] * copies_at_smallest + list(logrows[1:])
    rows = [{"config_key": f"c{i}", "logrows": k, "fold": k, "x": 2.0**k, "y": math.log(law(2.0**k))}
            for i, k in enumerate(lr) for _ in range(3)]
    return selection.config_means(pd.DataFrame(rows))


def memory_like(n):
    """Bytes: a fixed overhead plus a slightly superlinear term (no candidate law is exact)."""
    return 3e8 + 4000.0 * n**1.05


def test_power_law_recovers_a_known_exponent():
    rng = np.random.default_rng(1)
    obs = coverage.simulate_observations(rng, a=3e-4, b=1.25, sigma_config=0.02, sigma_rep=0.01)
    law = estimation.fit_law(selection.config_means(obs), candidates.POWER)
    e = estimation.exponent(law)
    assert e["low"] < 1.25 < e["high"]
    assert abs(e["point"] - 1.25) < 0.02
    a = estimation.param_intervals(law).set_index("name").loc["a"]
    assert a["low"] < 3e-4 < a["high"]


def test_prediction_interval_holds_both_noise_sources():
    """Mean-of-many-runs < single new run; confidence band of the law < prediction band."""
    rng = np.random.default_rng(2)
    law = estimation.fit_law(selection.config_means(coverage.simulate_observations(rng, sigma_rep=0.3, sigma_config=0.1)))
    x = [2.0**16]
    single = estimation.predict_log(law, x)
    many = estimation.predict_log(law, x, reps=100)
    band = estimation.confidence_log(law, x)
    width = lambda p: p["high"][0] - p["low"][0]  # noqa: E731
    assert width(band) < width(many) < width(single)
    assert single["point"][0] == pytest.approx(band["point"][0])


def test_nonnegative_coefficients_stay_nonnegative():
    rng = np.random.default_rng(5)
    obs = coverage.simulate_observations(rng, law=lambda n: 1e-5 * n * np.log2(n), sigma_config=0.3)
    law = estimation.fit_law(selection.config_means(obs), candidates.candidate("fft_msm"))
    params = estimation.param_intervals(law)
    assert (params["point"] >= 0).all() and (params["low"] >= 0).all()
    assert (params["high"] >= params["point"]).all()


def test_a_law_with_too_many_parameters_for_the_configs_is_refused():
    cm = selection.config_means(coverage.simulate_observations(np.random.default_rng(7), logrows=(10, 11, 12)))
    with pytest.raises(rules.InsufficientData, match="needs at least 4 configurations"):
        estimation.fit_law(cm, candidates.candidate("fft_msm"))


def test_deterministic_quantity_gets_a_leave_one_size_out_interval_that_covers():
    """Three sizes, repetitions identical: in-sample residuals hide the curvature; the interval must not."""
    cm = deterministic_means((15, 16, 17), memory_like)
    affine = candidates.candidate("affine")
    law = estimation.fit_law(cm, affine)
    assert cm.within_ss == 0 and law.sigma_rep2 == 0
    assert law.scatter_method == "leave-one-size-out errors"
    assert law.s2 == pytest.approx(estimation.leave_one_size_out_mse(cm, affine)) and law.s2 > 3 * law.s2_resid
    x = 2.0 ** np.array([18, 19])
    pred = estimation.predict(law, x)
    truth = memory_like(x)
    assert np.all((pred["low"] <= truth) & (truth <= pred["high"]))
    assert np.all(pred["high"] / pred["low"] < 1.5)  # covered without an absurd width
    # The in-sample residual variance alone would have missed: the fallback has teeth.
    naive = dataclasses.replace(law, s2=law.s2_resid, cov=law.cov * law.s2_resid / law.s2)
    narrow = estimation.predict(naive, x)
    assert not np.all((narrow["low"] <= truth) & (truth <= narrow["high"]))


def test_lack_of_fit_between_sizes_is_used_when_circuits_of_one_size_are_identical():
    cm = deterministic_means((14, 15, 16, 17, 18, 19), memory_like)
    law = estimation.fit_law(cm, candidates.POWER)
    assert law.scatter_method == "lack of fit between sizes"
    assert law.df_scatter == 6 - 2 and law.df_model == 9 - 2
    assert law.s2 > law.s2_resid
