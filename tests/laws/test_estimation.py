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


def _means(folds, ybar=None, reps=None, ss=None, x=None) -> selection.ConfigMeans:
    """Configuration means built directly (sizes 2^fold unless ``x`` is given)."""
    folds = np.asarray(folds, dtype=int)
    n = len(folds)
    return selection.ConfigMeans(
        x=np.ldexp(1.0, folds) if x is None else np.asarray(x, dtype=float), fold=folds,
        ybar=np.zeros(n) if ybar is None else np.asarray(ybar, dtype=float),
        reps=np.full(n, 2) if reps is None else np.asarray(reps), ss=np.zeros(n) if ss is None else np.asarray(ss, dtype=float),
        keys=tuple(f"c{i}" for i in range(n)))


def _resid(rbar, d):
    """Residuals of two configurations per size: the size's mean residual plus and minus ``d``."""
    return np.array([r + s * d for r in rbar for s in (1, -1)])


RBAR = [0.1, -0.1, 0.1, -0.1, 0.1, -0.1]


@pytest.mark.parametrize("d, expected", [
    # six sizes, two configurations each: lack of fit 2 * 0.06 / (6 - 2) = 0.03 on 4 d.o.f., pure error 2 d^2 on 6
    (0.0, (0.03, 4.0, "lack of fit between sizes")),                     # identical circuits of one size
    (0.01, (0.03, 4.0, "lack of fit between sizes")),                    # F = 150
    (0.1, ((0.12 + 12 * 0.01) / 10, 10.0, "residuals of configuration means")),  # F = 1.5, p = 0.31
    (0.2, ((0.12 + 12 * 0.04) / 10, 10.0, "residuals of configuration means")),  # lack of fit below the residuals
])
def test_scatter_variance_by_known_answers_with_enough_sizes(d, expected):
    cm = _means(np.repeat(np.arange(12, 18), 2))
    s2, df, method = estimation.scatter_variance(cm, candidates.POWER, _resid(RBAR, d))
    assert (s2, df, method) == (pytest.approx(expected[0], rel=1e-12), expected[1], expected[2])


def test_scatter_variance_at_the_fewest_lack_of_fit_and_pure_error_degrees_of_freedom():
    """Five sizes (3 lack-of-fit d.o.f., the fewest that are tested) and one pure-error d.o.f. both suffice."""
    five = _means(np.repeat(np.arange(12, 17), 2))
    assert estimation.scatter_variance(five, candidates.POWER, _resid(RBAR[:5], 0.0)) == (
        pytest.approx(2 * 0.05 / 3, rel=1e-12), 3.0, "lack of fit between sizes")
    # six sizes, seven configurations: the two of the first size identical
    seven = _means([12, 12, 13, 14, 15, 16, 17])
    resid = np.array([0.1, 0.1, -0.1, 0.1, -0.1, 0.1, -0.1])
    assert estimation.scatter_variance(seven, candidates.POWER, resid) == (
        pytest.approx(0.07 / 4, rel=1e-12), 4.0, "lack of fit between sizes")


def test_a_coefficient_at_its_bound_is_held_there_in_the_prediction_covariance():
    """``N^1.5`` fitted by ``c0 + c1 N``: the best nonnegative c0 is 0 (the data curve upwards), so c0 is
    held at 0 (no variance, no covariance) in ``cov``, while ``cov_full`` still gives it a standard error and
    c1's variance is that of the one-parameter fit, s2 / sum((phi_1 / f)^2)."""
    n = 2.0 ** np.arange(12, 20)
    affine = candidates.candidate("affine")
    rng = np.random.default_rng(31)
    law = estimation.fit_law(_means(np.arange(12, 20), ybar=1.5 * np.log(n) + rng.normal(0, 0.01, 8)), affine)
    assert 0.0 <= law.coef[0] < 1e-9 * law.coef[1] * n[0]  # at its bound (to the optimiser's precision)
    assert law.cov[0, 0] == law.cov[0, 1] == law.cov[1, 0] == 0.0 and law.cov_full[0, 0] > 0
    f = law.coef[1] * n
    assert law.cov[1, 1] == pytest.approx(law.s2 / np.sum((n / f) ** 2), rel=1e-6)
    # both coefficients well inside: nothing is held, cov and cov_full agree
    free = estimation.fit_law(_means(np.arange(12, 20), ybar=np.log(5.0 + 1e-3 * n) + rng.normal(0, 0.01, 8)), affine)
    assert (free.coef > 0).all() and np.all(np.diag(free.cov) > 0)
    np.testing.assert_allclose(free.cov, free.cov_full, rtol=1e-9)


def test_scatter_variance_by_known_answers_with_one_configuration_per_size_or_few_sizes():
    # one configuration per size: no pure error to test the lack of fit against
    cm = _means(np.arange(12, 18))
    resid = np.array(RBAR)
    assert estimation.scatter_variance(cm, candidates.POWER, resid) == (
        pytest.approx(0.06 / 4, rel=1e-12), 4.0, "residuals of configuration means")
    # four sizes (2 lack-of-fit d.o.f., fewer than 3): the leave-one-size-out error when larger; d.o.f.
    # min(configurations - 2, sizes - 1); the means lie on a line except the second, moved by 0.3
    folds = np.array([12, 13, 14, 15, 15])
    lx = folds * math.log(2.0)
    ybar = 1.1 * lx + np.array([0.0, 0.3, 0.0, 0.0, 0.0])
    cm = _means(folds, ybar=ybar)
    loo = []
    for k in np.unique(folds):
        keep = folds != k
        b, a = np.polyfit(lx[keep], ybar[keep], 1)
        loo += list(ybar[~keep] - (a + b * lx[~keep]))
    cv = float(np.mean(np.square(loo)))
    small = np.full(5, 0.01)
    assert estimation.scatter_variance(cm, candidates.POWER, small) == (
        pytest.approx(cv, rel=1e-9), 3.0, "leave-one-size-out errors")
    large = np.full(5, 1.0)
    assert estimation.scatter_variance(cm, candidates.POWER, large) == (
        pytest.approx(5.0 / 3.0, rel=1e-12), 3.0, "residuals of configuration means (few sizes)")
    three = _means([12, 13, 14, 14], ybar=[0.0, 0.1, 0.0, 0.0])
    assert estimation.scatter_variance(three, candidates.POWER, np.full(4, 0.3))[1] == 2.0  # min(2, 3 - 1)
    assert estimation.scatter_variance(_means([12, 13, 14]), candidates.POWER, np.full(3, 0.1))[1] == 1.0
    # a law that cannot be refitted without a size: residuals, and the method says why
    fft = candidates.candidate("fft_msm")
    assert estimation.scatter_variance(_means([12, 13, 14, 14]), fft, np.full(4, 0.1)) == (
        pytest.approx(0.04, rel=1e-12), 1.0, "residuals of configuration means (lack of fit not checkable)")


def test_fit_law_records_its_counts_and_variances():
    """A power law through five configurations of four sizes with 1-3 runs each: every count, the residual
    and repetition variances and the covariance, recomputed here by ordinary least squares."""
    folds = np.array([12, 13, 14, 15, 15])
    lx = folds * math.log(2.0)
    ybar = np.array([0.1, 1.0, 1.6, 2.5, 2.3])
    reps, ss = np.array([1, 2, 3, 2, 2]), np.array([0.0, 0.02, 0.05, 0.01, 0.02])
    cm = _means(folds, ybar=ybar, reps=reps, ss=ss)
    law = estimation.fit_law(cm, candidates.POWER)
    X = np.column_stack([np.ones(5), lx])
    coef = np.linalg.solve(X.T @ X, X.T @ ybar)
    resid = ybar - X @ coef
    np.testing.assert_allclose(law.coef, coef, rtol=1e-10)
    assert law.s2_resid == pytest.approx(resid @ resid / 3, rel=1e-10) and law.df_model == 3
    assert law.sigma_rep2 == pytest.approx(0.10 / (10 - 5), rel=1e-12) and law.df_rep == 5
    assert law.mean_inv_reps == pytest.approx(np.mean([1, 1 / 2, 1 / 3, 1 / 2, 1 / 2]), rel=1e-12)
    assert (law.n_configs, law.n_sizes, law.n_runs) == (5, 4, 10)
    assert (law.x_min, law.x_max, law.folds) == (2.0**12, 2.0**15, (12, 13, 14, 15))
    np.testing.assert_allclose(law.cov, law.s2 * np.linalg.inv(X.T @ X), rtol=1e-9)
    np.testing.assert_allclose(law.cov_full, law.cov, rtol=1e-12)
    assert law.candidate is candidates.POWER
    # no repetitions at all: no repetition variance
    single = estimation.fit_law(_means(folds, ybar=ybar, reps=np.ones(5, dtype=int)), candidates.POWER)
    assert single.sigma_rep2 == 0.0 and single.df_rep == 0 and single.n_runs == 5
    one = estimation.fit_law(_means(folds, ybar=ybar, reps=[2, 1, 1, 1, 1], ss=[0.02, 0, 0, 0, 0]), candidates.POWER)
    assert one.df_rep == 1 and one.sigma_rep2 == pytest.approx(0.02, rel=1e-12)


def test_a_law_needs_one_configuration_more_than_its_parameters_and_as_many_sizes():
    ok = estimation.fit_law(_means([12, 13, 13], ybar=[0.0, 1.0, 1.2]), candidates.POWER)
    assert ok.n_configs == 3 and ok.df_model == 1
    with pytest.raises(rules.InsufficientData) as raised:
        estimation.fit_law(_means([12, 13], ybar=[0.0, 1.0]), candidates.POWER)
    assert str(raised.value) == ("law power has 2 parameters and needs at least 3 configurations of at least "
                                 "2 distinct sizes; there are 2 configurations of 2 sizes")
    with pytest.raises(rules.InsufficientData, match="there are 3 configurations of 1 sizes"):
        estimation.fit_law(_means([12, 12, 12]), candidates.POWER)
    with pytest.raises(rules.InsufficientData, match="law power needs 2 distinct sizes, there are 1"):
        estimation.point_fit(_means([12, 12, 12]), candidates.POWER)
    coef, resid, *_ = estimation.point_fit(_means([12, 13], ybar=[0.0, 1.0]), candidates.POWER)  # exact fit
    np.testing.assert_allclose(resid, 0.0, atol=1e-12)


def test_a_positive_sum_law_is_recovered_exactly_from_exact_data():
    """``5 + 1e-3 N`` (affine) and ``2e-4 N log2 N + 0.05 N`` (nlogn) at eight sizes, no noise: the
    coefficients come back to 1e-9, and the law's log and its gradient are those of the formula."""
    n = 2.0 ** np.arange(12, 20)
    for name, truth, f in (("affine", (5.0, 1e-3), lambda c: c[0] + c[1] * n),
                           ("nlogn", (2e-4, 0.05), lambda c: c[0] * n * np.log2(n) + c[1] * n)):
        cand = candidates.candidate(name)
        cm = _means(np.arange(12, 20), ybar=np.log(f(truth)))
        law = estimation.fit_law(cm, cand)
        np.testing.assert_allclose(law.coef, truth, rtol=1e-9)
        mu, grad = estimation.log_law(cand, law.coef, n)
        np.testing.assert_allclose(mu, np.log(f(truth)), rtol=1e-12)
        np.testing.assert_allclose(grad, cand.basis(n) / f(truth)[:, None], rtol=1e-9)
    tiny = np.array([1e-6, 1e-9])  # a law whose values are far below 1
    mu, _ = estimation.log_law(candidates.candidate("affine"), tiny, n)
    np.testing.assert_allclose(mu, np.log(1e-6 + 1e-9 * n), rtol=1e-12)
    mu, grad = estimation.log_law(candidates.POWER, np.array([math.log(3.0), 1.5]), [4.0])
    assert mu[0] == pytest.approx(math.log(3.0 * 4.0**1.5), rel=1e-12)
    np.testing.assert_allclose(grad, [[1.0, math.log(4.0)]])


def _hand_law(**kw) -> estimation.FittedLaw:
    """The power law log y = log x (coef (0, 1)) with hand-picked variances."""
    base = dict(candidate=candidates.POWER, coef=np.array([0.0, 1.0]), cov=np.diag([0.01, 0.0]),
                cov_full=np.diag([0.01, 0.0]), s2=0.04, df_scatter=5.0, scatter_method="hand", s2_resid=0.04,
                df_model=5, sigma_rep2=0.02, df_rep=10, mean_inv_reps=0.5, n_configs=7, n_sizes=7, n_runs=14,
                x_min=1.0, x_max=100.0, folds=tuple(range(7)))
    base.update(kw)
    return estimation.FittedLaw(**base)


def test_prediction_interval_by_known_answers():
    """``var = s2 (1 + var_mean / s2) + sigma_rep2 (1/R - mean(1/R_c))``, at least ``var_mean + sigma_rep2 / R``;
    Welch-Satterthwaite d.o.f. when the repetition part adds, else the scatter's (hand numbers)."""
    x = np.array([1.0, math.e])
    one = estimation.predict_log(_hand_law(), x)
    var = 0.05 + 0.01  # s2 + var_mean = 0.04 + 0.01, plus sigma_rep2 (1 - 0.5) = 0.01
    df = var**2 / (0.05**2 / 5 + 0.01**2 / 10)
    t = stats.t.ppf(0.975, df)
    np.testing.assert_allclose(one["point"], [0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(one["se"], math.sqrt(var), rtol=1e-12)
    np.testing.assert_allclose(one["df"], df, rtol=1e-12)
    np.testing.assert_allclose(one["low"], [-t * math.sqrt(var), 1.0 - t * math.sqrt(var)], rtol=1e-12)
    np.testing.assert_allclose(one["high"], [t * math.sqrt(var), 1.0 + t * math.sqrt(var)], rtol=1e-12)
    four = estimation.predict_log(_hand_law(), x, reps=4)  # a mean of four runs: the repetition part subtracts
    np.testing.assert_allclose(four["se"], math.sqrt(0.05 + 0.02 * (0.25 - 0.5)), rtol=1e-12)
    np.testing.assert_allclose(four["df"], 5.0)
    # reps per size; both at the floor: 0.05 + 0.2 (1/100 - 0.5) < 0.01 + 0.2/100 and 0.05 + 0.1 < 0.01 + 0.2
    floor = estimation.predict_log(_hand_law(sigma_rep2=0.2), x, reps=[100, 1])
    np.testing.assert_allclose(floor["se"], [math.sqrt(0.01 + 0.2 / 100), math.sqrt(0.01 + 0.2)], rtol=1e-12)
    df1 = (0.05 + 0.1) ** 2 / (0.05**2 / 5 + 0.1**2 / 10)
    np.testing.assert_allclose(floor["df"], [5.0, df1], rtol=1e-12)
    no_rep = estimation.predict_log(_hand_law(df_rep=0), x)
    np.testing.assert_allclose(no_rep["df"], (0.05 + 0.01) ** 2 / (0.05**2 / 5), rtol=1e-12)
    no_scatter = estimation.predict_log(_hand_law(s2=0.0, cov=np.zeros((2, 2))), x)
    np.testing.assert_allclose(no_scatter["se"], math.sqrt(0.02), rtol=1e-12)  # the floor: sigma_rep2 / 1
    np.testing.assert_allclose(no_scatter["df"], 10.0, rtol=1e-12)
    one_rep = estimation.predict_log(_hand_law(df_rep=1), x)
    np.testing.assert_allclose(one_rep["df"], 0.06**2 / (0.05**2 / 5 + 0.01**2 / 1), rtol=1e-12)
    exact = estimation.predict_log(_hand_law(s2=0.0, cov=np.zeros((2, 2)), sigma_rep2=0.0), x)  # no variance at all
    np.testing.assert_allclose(exact["df"], 5.0)
    np.testing.assert_allclose(exact["low"], exact["point"])
    np.testing.assert_allclose(exact["high"], exact["point"])
    back = estimation.predict(_hand_law(), x)
    for k in ("point", "low", "high"):
        np.testing.assert_allclose(back[k], np.exp(one[k]), rtol=1e-12)


def test_confidence_band_by_known_answers():
    cov = np.array([[0.01, 0.002], [0.002, 0.0004]])
    law = _hand_law(cov=cov)
    band = estimation.confidence_log(law, [math.exp(2.0)])
    se = math.sqrt(0.01 + 2 * 2 * 0.002 + 4 * 0.0004)
    t = stats.t.ppf(0.975, 5.0)
    assert band["se"][0] == pytest.approx(se, rel=1e-12) and band["point"][0] == pytest.approx(2.0, rel=1e-12)
    assert (band["low"][0], band["high"][0]) == (pytest.approx(2.0 - t * se, rel=1e-12),
                                                 pytest.approx(2.0 + t * se, rel=1e-12))
    assert band["df"].tolist() == [5.0] and band["df"].dtype == float
    scale = estimation.confidence_band(law, [math.exp(2.0)])
    assert set(scale) == {"point", "low", "high"}
    assert (scale["point"][0], scale["low"][0], scale["high"][0]) == (
        pytest.approx(math.exp(2.0)), pytest.approx(math.exp(2.0 - t * se)), pytest.approx(math.exp(2.0 + t * se)))
    one_df = estimation.confidence_log(_hand_law(cov=cov, df_scatter=1.0), [math.exp(2.0)])
    assert one_df["high"][0] == pytest.approx(2.0 + 12.706204736174707 * se, rel=1e-9)  # t(1 d.o.f.)
    unbounded = estimation.confidence_log(_hand_law(cov=cov, df_scatter=0.0), [math.exp(2.0)])
    assert unbounded["low"][0] == -math.inf and unbounded["high"][0] == math.inf


def test_parameter_intervals_by_known_answers():
    """Power law: ``b +- t se_b`` and ``exp(log a +- t se_a)`` with the standard errors of ``cov_full``;
    positive-sum laws: ``c +- t se`` cut at 0."""
    law = _hand_law(coef=np.array([math.log(3.0), 1.2]), cov_full=np.diag([0.04, 0.0025]), cov=np.zeros((2, 2)))
    t = stats.t.ppf(0.975, 5.0)
    rows = estimation.param_intervals(law).set_index("name")
    assert list(rows.index) == ["a", "b"] and list(rows.columns) == ["point", "low", "high", "se"]
    np.testing.assert_allclose(rows.loc["a"], [3.0, 3.0 * math.exp(-0.2 * t), 3.0 * math.exp(0.2 * t), 0.2],
                               rtol=1e-12)
    np.testing.assert_allclose(rows.loc["b"], [1.2, 1.2 - 0.05 * t, 1.2 + 0.05 * t, 0.05], rtol=1e-12)
    assert estimation.exponent(law) == pytest.approx({"low": 1.2 - 0.05 * t, "point": 1.2, "high": 1.2 + 0.05 * t})
    affine = candidates.candidate("affine")
    positive = _hand_law(candidate=affine, coef=np.array([0.1, 2.0]), cov_full=np.diag([0.01, 0.25]))
    rows = estimation.param_intervals(positive).set_index("name")
    assert list(rows.index) == list(affine.param_names)
    np.testing.assert_allclose(rows.iloc[0], [0.1, 0.0, 0.1 + 0.1 * t, 0.1], rtol=1e-12)
    np.testing.assert_allclose(rows.iloc[1], [2.0, 2.0 - 0.5 * t, 2.0 + 0.5 * t, 0.5], rtol=1e-12)
    assert list(rows.columns) == ["point", "low", "high", "se"]
    with pytest.raises(ValueError, match="^only the power law has a single exponent$"):
        estimation.exponent(positive)
