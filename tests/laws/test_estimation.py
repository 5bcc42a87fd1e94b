"""chasm.laws.estimation: fits recover known exponents; prediction intervals carry both noise sources."""

from __future__ import annotations

import dataclasses
import math
import numpy as np
import pandas as pd
import pytest
from scipy import stats

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
    assert (params["point"] >= 0).all()
    # As documented: c +- t(df) se, se from the Jacobian of log f ignoring the bound (recomputed here),
    # the low end truncated at 0 -- and the truncation is exercised, not the only reason low >= 0.
    cm = selection.config_means(obs)
    phi = law.candidate.basis(cm.x)
    jac = phi / (phi @ law.coef)[:, None]
    scale = np.abs(jac).max(axis=0)  # columns of very different sizes: invert the scaled system
    se = np.sqrt(np.diag(law.s2 * np.linalg.inv((jac / scale).T @ (jac / scale)))) / scale
    t = stats.t.ppf(0.975, law.df_scatter)
    np.testing.assert_allclose(params["high"], law.coef + t * se, rtol=1e-6)
    np.testing.assert_allclose(params["low"], np.maximum(law.coef - t * se, 0.0), rtol=1e-6, atol=1e-300)
    assert ((law.coef - t * se) < 0).any()
    truth = dict(zip(law.candidate.param_names, (0.0, 1e-5, 0.0)))  # c0 + c1 N log2 N + c2 N / log2 N
    for name, row in params.set_index("name").iterrows():
        assert row["low"] <= truth[name] <= row["high"], name


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


@pytest.mark.parametrize("logrows, df", [((14, 15, 16, 17, 18, 19), 4), ((15, 16, 17), 2)])
def test_parameter_intervals_use_the_scatter_degrees_of_freedom(logrows, df):
    """Lack of fit (6 sizes: 6 - 2 d.o.f.) and few sizes (3 sizes: 3 - 1 d.o.f.): the exponent's and the
    prefactor's 95% intervals are t(df) standard errors of ordinary least squares, recomputed here; the
    residual d.o.f. of the configurations (more) would give too narrow an interval."""
    cm = deterministic_means(logrows, memory_like)
    law = estimation.fit_law(cm, candidates.POWER)
    assert law.df_scatter == df < law.df_model
    lx = np.log(cm.x)
    sxx = float(np.sum((lx - lx.mean()) ** 2))
    se_b = math.sqrt(law.s2 / sxx)
    se_loga = math.sqrt(law.s2 * (1 / cm.n_configs + lx.mean() ** 2 / sxx))
    t = stats.t.ppf(0.975, df)
    e = estimation.exponent(law)
    assert e["high"] - e["point"] == pytest.approx(t * se_b, rel=1e-9)
    assert e["point"] - e["low"] == pytest.approx(t * se_b, rel=1e-9)
    a = estimation.param_intervals(law).set_index("name").loc["a"]
    assert math.log(a["high"] / a["point"]) == pytest.approx(t * se_loga, rel=1e-9)
    assert math.log(a["point"] / a["low"]) == pytest.approx(t * se_loga, rel=1e-9)
    if law.scatter_method == "lack of fit between sizes":  # the mean square between sizes, recomputed
        b, loga = np.polyfit(lx, cm.ybar, 1)
        resid = cm.ybar - (loga + b * lx)
        sizes = np.unique(cm.fold)
        ms_lof = sum((cm.fold == s).sum() * resid[cm.fold == s].mean() ** 2 for s in sizes) / (len(sizes) - 2)
        assert law.s2 == pytest.approx(ms_lof, rel=1e-9)
