"""chasm.laws.choice: cross-validation picks the true form, every candidate is reported, too few sizes are refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from chasm.core import constants
from chasm.core import data
from chasm.core import paths
from chasm.laws import coverage
from chasm.laws import candidates
from chasm.laws import choice
from chasm.laws import estimation
from chasm.laws import rules
from chasm.laws import selection


def test_cross_validation_prefers_the_true_form():
    rng = np.random.default_rng(3)
    curved = coverage.simulate_observations(rng, law=lambda n: 20.0 + 1e-4 * n, sigma_config=0.02, sigma_rep=0.01)
    table, _ = choice.compare(selection.config_means(curved))
    chosen = table.loc[table["chosen"], "law"].item()
    assert chosen in {"affine", "fft_msm", "costmodel"}
    scores = table.set_index("law")["cv_rmse_log"]
    assert scores["affine"] < scores["power"]
    straight = coverage.simulate_observations(rng, a=1e-3, b=0.6, sigma_config=0.02, sigma_rep=0.01)
    table, _ = choice.compare(selection.config_means(straight))
    assert table.loc[table["chosen"], "law"].item() == "power"


def test_all_candidates_are_reported_with_their_cv_error():
    rng = np.random.default_rng(4)
    table, fits = choice.compare(selection.config_means(coverage.simulate_observations(rng)))
    assert list(table["law"]) == [c.name for c in candidates.CANDIDATES]
    assert table["cv_rmse_log"].notna().all()
    assert table["chosen"].sum() == 1
    assert set(fits) == {c.name for c in candidates.CANDIDATES}


def test_too_few_sizes_is_refused_with_a_count(synthetic_frame):
    rng = np.random.default_rng(6)
    frame = synthetic_frame(rng, families=(("cnn", range(15, 18)),))
    runs, _ = selection.select_runs(frame)
    with pytest.raises(rules.InsufficientData, match=r"3 distinct sizes .*logrows 15, 16, 17.*at least 4"):
        choice.fit_quantity(runs, "cnn", "prove_s")
    fits, skipped = choice.fit_family(runs, "cnn")
    assert fits == {} and set(skipped) == set(rules.QUANTITIES)


def test_pipeline_on_schema_valid_synthetic_records(synthetic_frame):
    rng = np.random.default_rng(8)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 20)), ("transformer", range(15, 17))))
    runs, tag = selection.select_runs(frame)
    assert tag == "synthetic"
    fits, skipped = choice.fit_family(runs, "mlp")
    assert set(fits) == set(rules.QUANTITIES) and skipped == {}
    prove = fits["prove_s"]
    assert prove.unit == "s" and fits["pk_bytes"].unit == "bytes"
    e = estimation.exponent(prove.power)
    assert e["low"] < 1.1 < e["high"]
    _, skipped = choice.fit_family(runs, "transformer")
    assert "2 distinct sizes" in skipped["prove_s"]


def test_too_few_uncontended_sizes_is_reported_per_quantity_not_a_crash():
    rng = np.random.default_rng(16)
    quiet = coverage.simulate_runs(rng, "cnn", logrows=(12, 13))
    busy = coverage.simulate_runs(rng, "cnn", logrows=(14, 15, 16), other_cpu_frac=0.5)
    for rec in busy:  # distinct circuits from the quiet ones
        rec["run_id"], rec["config_id"] = "busy-" + rec["run_id"], "busy-" + rec["config_id"]
    schema = data.read_schema(paths.measurements_dir() / "proofs.schema.yaml")
    frame = pd.DataFrame(data.validate_records(quiet + busy, schema, "synthetic"), columns=schema.names)
    runs, _ = selection.select_runs(frame)
    fits, skipped = choice.fit_family(runs, "cnn")
    assert set(skipped) == {q for q in rules.QUANTITIES if q.endswith("_s")}
    assert "2 distinct sizes (logrows 12, 13)" in skipped["prove_s"]
    assert {"pk_bytes", "peak_rss_bytes"} <= set(fits)


def _means_on_a_power_law(logrows, offsets) -> selection.ConfigMeans:
    """One configuration per size on ``0.01 N^1.1``, each size's mean moved by its offset (log units);
    two repetitions at +-0.01 around it."""
    rows = [{"config_key": f"c{k}", "logrows": k, "fold": k, "x": 2.0**k,
             "y": np.log(0.01) + 1.1 * k * np.log(2.0) + off + e}
            for k, off in zip(logrows, offsets) for e in (-0.01, 0.01)]
    return selection.config_means(pd.DataFrame(rows))


def _refit_without(cm, i):
    """Independent leave-one-out refit of the power law: numpy's line through the other sizes."""
    keep = np.arange(cm.n_configs) != i
    b, a = np.polyfit(np.log(cm.x[keep]), cm.ybar[keep], 1)
    return cm.ybar[i] - (a + b * np.log(cm.x[i]))


@pytest.mark.parametrize("logrows", [tuple(range(12, 18)), (12, 13, 14)])
def test_cross_validation_scores_each_size_from_the_other_sizes_only(logrows):
    """A size left out must not be fitted: with every size on one law but one moved by 0.3, that size's
    left-out error is exactly 0.3; every fold matches an independent refit without it."""
    offsets = np.zeros(len(logrows))
    offsets[1] = 0.3
    cm = _means_on_a_power_law(logrows, offsets)
    cv = choice.cross_validate(cm, candidates.POWER)
    assert cv["fold_mse"][1] == pytest.approx(0.09, rel=1e-9)
    expected = np.array([_refit_without(cm, i) ** 2 for i in range(cm.n_configs)])
    np.testing.assert_allclose(cv["fold_mse"], expected, rtol=1e-9, atol=1e-18)
    assert cv["cv_rmse_log"] == pytest.approx(np.sqrt(expected.mean()), rel=1e-9)
    assert estimation.leave_one_size_out_mse(cm, candidates.POWER) == pytest.approx(expected.mean(), rel=1e-9)


def _exact_means(sizes, per_size=None) -> selection.ConfigMeans:
    """Configurations exactly on ``0.01 N^1.1`` (two runs at +-0.01 around it); ``per_size`` configurations
    of each size (default one)."""
    per_size = per_size or {}
    rows = [{"config_key": f"c{k}-{j}", "logrows": k, "fold": k, "x": 2.0**k,
             "y": np.log(0.01) + 1.1 * k * np.log(2.0) + e}
            for k in sizes for j in range(per_size.get(k, 1)) for e in (-0.01, 0.01)]
    return selection.config_means(pd.DataFrame(rows))


FFT_MSM = next(c for c in candidates.CANDIDATES if c.name == "fft_msm")


def test_cross_validation_coverage_and_the_folds_it_cannot_fit():
    """On data exactly on the power law every left-out size is predicted exactly and lies inside its
    interval; with three sizes no refit has an interval (coverage undefined, errors still scored); a law
    with as many parameters as the sizes left cannot be refitted at all (NaN)."""
    six = choice.cross_validate(_exact_means(range(12, 18)), candidates.POWER)
    assert six["folds"] == 6 and six["cv_coverage"] == 1.0 and six["cv_rmse_log"] < 1e-9
    moved = _means_on_a_power_law(range(12, 18), [0.0, 0.3, 0.0, 0.0, 0.0, 0.0])  # far outside at +-0.01 noise
    assert choice.cross_validate(moved, candidates.POWER)["cv_coverage"] < 1.0
    three = choice.cross_validate(_exact_means((12, 13, 14)), candidates.POWER)
    assert three["folds"] == 3 and np.isnan(three["cv_coverage"]) and three["cv_rmse_log"] < 1e-9
    assert len(three["fold_mse"]) == 3
    none = choice.cross_validate(_exact_means((12, 13, 14)), FFT_MSM)
    assert none["folds"] == 3 and np.isnan(none["cv_rmse_log"]) and np.isnan(none["cv_coverage"])
    assert len(none["fold_mse"]) == 3 and np.isnan(none["fold_mse"]).all()


def test_compare_says_why_a_law_is_not_fitted_or_not_scored_and_chooses_the_lowest_error():
    cm = _exact_means((12, 13, 14))
    table, fits = choice.compare(cm)
    assert list(table["law"]) == [c.name for c in candidates.CANDIDATES]  # a law that fails stops nothing
    rows = table.set_index("law")
    assert "fft_msm" not in fits and np.isnan(rows.loc["fft_msm", "cv_rmse_log"])
    assert rows.loc["fft_msm", "note"] == ("law fft_msm has 3 parameters and needs at least 4 configurations of "
                                           "at least 3 distinct sizes; there are 3 configurations of 3 sizes")
    assert rows.loc["power", "note"] == "" and rows.loc["power", "params"] == 2
    assert rows.loc["power", "formula"] == candidates.POWER.formula
    assert rows.loc["power", "resid_sd_log"] == pytest.approx(np.sqrt(fits["power"].s2), abs=1e-12)
    assert table["chosen"].sum() == 1 and rows.loc["power", "chosen"]
    assert rows.loc["power", "cv_rmse_log"] == rows["cv_rmse_log"].min()
    # four configurations of three sizes: fft_msm is fitted, but no size can be left out of its refit
    table, fits = choice.compare(_exact_means((12, 13, 14), per_size={14: 2}))
    rows = table.set_index("law")
    assert "fft_msm" in fits and np.isnan(rows.loc["fft_msm", "cv_rmse_log"])
    assert rows.loc["fft_msm", "note"] == "too few sizes to cross-validate"
    # six sizes: the coverage and the errors per left-out size of each law are those of cross_validate
    six = _exact_means(range(12, 18))
    table, _ = choice.compare(six, (candidates.POWER,))
    cv = choice.cross_validate(six, candidates.POWER)
    assert table.loc[0, "cv_coverage"] == 1.0
    np.testing.assert_allclose(table.loc[0, "cv_fold_mse"], cv["fold_mse"], rtol=1e-12, atol=1e-30)
    # nothing can be fitted: every column is still there, empty, and nothing is chosen
    table, fits = choice.compare(_exact_means((12, 13)))
    assert fits == {} and not table["chosen"].any()
    assert list(table.columns) == ["law", "formula", "params", "cv_rmse_log", "cv_coverage", "resid_sd_log",
                                   "note", "chosen"]
    assert table[["cv_rmse_log", "cv_coverage", "resid_sd_log"]].isna().all().all()


def _runs_at(sizes, quantity="prove_s", per_size=None, family="mlp"):
    per_size = per_size or {}
    rows = [{"family": family, "config_key": f"c{k}-{j}", "logrows": k, "padded_rows": 2.0**k,
             "num_rows": 0.7 * 2.0**k, quantity: 0.01 * 2.0 ** (1.1 * k) * np.exp(e)}
            for k in sizes for j in range(per_size.get(k, 1)) for e in (-0.01, 0.01)]
    return pd.DataFrame(rows)


def test_fit_quantity_refuses_too_few_sizes_by_count_and_falls_back_to_the_power_law():
    limit = f"{constants.CONTENTION_LIMIT:g}"
    with pytest.raises(rules.InsufficientData) as raised:
        choice.fit_quantity(_runs_at((12, 13)), "mlp", "prove_s")
    assert str(raised.value) == (f"mlp: prove_s has runs not slowed by other processes (other_cpu_frac <= {limit}) "
                                 "at 2 distinct sizes (logrows 12, 13); a law needs at least 4")
    with pytest.raises(rules.InsufficientData) as raised:
        choice.fit_quantity(_runs_at((12,), "pk_bytes"), "mlp", "pk_bytes", size="num_rows")
    assert str(raised.value) == ("mlp: pk_bytes has successful runs at 1 distinct size (ceil(log2 num_rows) 12); "
                                 "a law needs at least 4")
    with pytest.raises(rules.InsufficientData) as raised:
        choice.fit_quantity(_runs_at((12, 13), family="cnn"), "mlp", "prove_s")
    assert str(raised.value).endswith("at 0 distinct sizes; a law needs at least 4")
    # two sizes allowed: every law is fitted but none can be cross-validated, so the power law is chosen
    fallback = choice.fit_quantity(_runs_at((12, 13), per_size={13: 2}), "mlp", "prove_s", min_sizes=2)
    assert fallback.chosen.candidate.name == "power" and fallback.unit == "s" and fallback.size == "padded_rows"
    power = fallback.comparison.set_index("law").loc["power"]
    assert power["chosen"] and power["note"] == "chosen without cross-validation (too few sizes)"
    assert fallback.comparison["chosen"].sum() == 1
    assert estimation.exponent(fallback.chosen)["point"] == pytest.approx(1.1, abs=1e-6)
    four = choice.fit_quantity(_runs_at(range(12, 16), "made_up"), "mlp", "made_up")
    assert four.unit == "" and four.quantity == "made_up" and four.family == "mlp"
    assert four.power is four.fits["power"]


def _fake_choice(fold_mse: dict, unscored=()):
    """A LawChoice whose laws have the given errors per left-out size (the first is the chosen one)."""
    from types import SimpleNamespace

    laws = list(fold_mse) + list(unscored)
    fits = {law: SimpleNamespace(candidate=SimpleNamespace(name=law)) for law in laws}
    table = pd.DataFrame({"law": laws,
                          "cv_rmse_log": [np.sqrt(np.nanmean(v)) for v in fold_mse.values()] + [np.nan] * len(unscored),
                          "cv_fold_mse": [np.asarray(v, dtype=float) for v in fold_mse.values()] + [None] * len(unscored)})
    return choice.LawChoice("mlp", "prove_s", "s", "padded_rows", table, fits, fits[laws[0]], None)


def test_plausible_laws_rule_out_only_laws_worse_by_more_than_chance():
    """One-sided paired t-test of the per-size errors against the chosen law's, at 5%: p-values computed
    here with scipy from the differences (about 0.2 kept, 0.01-0.05 and below 0.01 ruled out); equal errors
    kept, a constant positive difference ruled out, laws the test cannot judge kept after the judged ones."""
    from scipy import stats as st

    base = np.array([1.0, 1.0, 1.0, 1.0])
    diffs = {"p20": np.array([0.5, -0.3, 0.6, 0.1]), "p03": np.array([0.4, 1.0, 0.2, 0.9]),
             "p001": np.array([5.0, 5.1, 4.9, 5.05])}
    p = {k: st.ttest_1samp(d, 0.0, alternative="greater").pvalue for k, d in diffs.items()}
    assert 0.1 < p["p20"] < 0.3 and 0.01 < p["p03"] < 0.05 and p["p001"] < 0.01
    fold_mse = {"best": base, "same": base, "p20": base + diffs["p20"], "p03": base + diffs["p03"],
                "p001": base + diffs["p001"], "constant": base + 0.5, "nan": [1.0, np.nan, 1.0, 1.0]}
    kept = choice.plausible_laws(_fake_choice(fold_mse, unscored=("unscored",)))
    scored = sorted(["same", "p20", "nan"], key=lambda law: np.sqrt(np.nanmean(fold_mse[law])))
    assert kept == ["best", *scored, "unscored"]
    # at level 0.99 (a 1% test) the law at p = 0.01-0.05 is no longer ruled out, the one below 0.01 still is
    strict = choice.plausible_laws(_fake_choice(fold_mse), level=0.99)
    assert "p03" in strict and "p001" not in strict and "constant" not in strict
    # one size only: nothing can be judged, every law stays in
    assert choice.plausible_laws(_fake_choice({"best": [1.0], "worse": [5.0]})) == ["best", "worse"]


def test_measured_range_is_the_smallest_and_largest_logrows_of_the_family():
    runs = pd.DataFrame({"family": ["mlp", "mlp", "mlp", "cnn"], "logrows": [16, 14, 17, 12]})
    assert choice.measured_range(runs, "mlp") == (14, 17)
    assert choice.measured_range(runs, "transformer") is None


def test_fit_quantity_and_fit_family_pass_their_arguments_on():
    runs = _runs_at(range(12, 16))
    by_rows = choice.fit_quantity(runs, "mlp", "prove_s", size="num_rows", candidates=(candidates.POWER,))
    assert by_rows.size == "num_rows" and by_rows.chosen.x_max == pytest.approx(0.7 * 2.0**15)
    assert list(by_rows.comparison["law"]) == ["power"] and set(by_rows.fits) == {"power"}
    affine = candidates.candidate("affine")
    with pytest.raises(rules.InsufficientData) as raised:  # nothing cross-validated and no power law to fall back on
        choice.fit_quantity(_runs_at((12, 13), per_size={13: 2}), "mlp", "prove_s", candidates=(affine,), min_sizes=2)
    assert str(raised.value) == "mlp: no candidate law of prove_s could be fitted"
    runs["pk_bytes"] = np.nan
    fits, skipped = choice.fit_family(runs, "mlp", quantities=("prove_s", "pk_bytes"), size="num_rows")
    assert set(fits) == {"prove_s"} and (fits["prove_s"].family, fits["prove_s"].quantity) == ("mlp", "prove_s")
    assert fits["prove_s"].size == "num_rows"
    assert skipped == {"pk_bytes": "mlp: pk_bytes has successful runs at 0 distinct sizes; a law needs at least 4"}


def test_plausible_laws_recomputes_the_errors_when_the_table_has_none():
    """Errors per left-out size stored in the comparison or recomputed by cross-validation: the same laws."""
    rng = np.random.default_rng(30)
    runs = _runs_at(range(12, 18))
    runs["prove_s"] *= np.exp(rng.normal(0.0, 0.05, len(runs)))
    fitted = choice.fit_quantity(runs, "mlp", "prove_s")
    assert fitted.means.n_configs == 6 and fitted.means.keys == tuple(f"c{k}-0" for k in range(12, 18))
    stored = choice.plausible_laws(fitted)
    bare = dataclasses.replace(fitted, comparison=fitted.comparison.drop(columns="cv_fold_mse"))
    assert choice.plausible_laws(bare) == stored
    assert len(stored) < len(fitted.fits)  # some law is ruled out, so the errors were used


def test_plausible_laws_at_the_edges_of_the_test():
    """Two sizes are enough to judge; a p-value just above 5% keeps a law, one just below rules it out (the
    p-values from scipy's paired t-test here: one-sided, n - 1 d.o.f., sample standard deviation)."""
    from scipy import stats as st

    base = np.array([1.0, 1.0, 1.0, 1.0])
    near = {"p06": np.array([0.30, 0.05, 0.45, 0.05]), "p04": np.array([0.30, 0.09, 0.45, 0.09])}
    p = {k: st.ttest_1samp(d, 0.0, alternative="greater").pvalue for k, d in near.items()}
    assert 0.05 < p["p06"] < 0.07 and 0.03 < p["p04"] < 0.05, p
    kept = choice.plausible_laws(_fake_choice({"best": base, "p06": base + near["p06"], "p04": base + near["p04"]}))
    assert kept == ["best", "p06"]
    two = _fake_choice({"best": [1.0, 1.0], "worse": [2.0, 2.1]})  # t = 21 on 1 d.o.f.: p = 0.015
    assert st.ttest_1samp([1.0, 1.1], 0.0, alternative="greater").pvalue < 0.05
    assert choice.plausible_laws(two) == ["best"]


def _four_noisy_runs_per_size(offset_at_14: float) -> selection.ConfigMeans:
    """Six sizes on ``0.01 N^1.1`` with small offsets, four runs each with a large run-to-run scatter (sd 0.2),
    so the interval of a mean of four runs is much narrower than that of one run; size 14 moved by the offset."""
    k = np.arange(12, 18)
    ybar = np.log(0.01) + 1.1 * k * np.log(2.0) + np.array([0.01, -0.01, 0.0, 0.01, -0.01, 0.0])
    ybar[2] += offset_at_14
    return selection.ConfigMeans(2.0**k, k.astype(float), ybar, np.full(6, 4), np.full(6, 3 * 0.2**2),
                                 tuple(f"c{i}" for i in k))


def test_cross_validation_coverage_is_that_of_the_mean_of_the_runs_of_each_left_out_size():
    """A left-out size's mean of four runs is judged against the interval for a mean of four runs: placed
    between that interval's top and the (wider) one-run interval's top, it is not covered (5 of 6 sizes),
    while just inside it is (6 of 6)."""
    cm = _four_noisy_runs_per_size(0.0)
    refit = estimation.fit_law(cm.subset(cm.fold != 14), candidates.POWER)
    one = estimation.predict_log(refit, cm.x[2:3], reps=1)["high"][0] - cm.ybar[2]
    four = estimation.predict_log(refit, cm.x[2:3], reps=4)["high"][0] - cm.ybar[2]
    assert one - four > 0.08  # the two tops are well apart
    assert choice.cross_validate(_four_noisy_runs_per_size((one + four) / 2), candidates.POWER)["cv_coverage"] == \
        pytest.approx(5 / 6)
    assert choice.cross_validate(_four_noisy_runs_per_size(four - 0.01), candidates.POWER)["cv_coverage"] == 1.0


def test_a_law_without_a_cross_validation_coverage_is_still_judged_by_its_errors():
    """Only a missing CV error leaves a law unjudged: one whose coverage is undefined (no refit had an
    interval, e.g. fft_msm at four sizes) but whose errors are clearly worse is ruled out, not kept."""
    fake = _fake_choice({"best": [1.0, 1.0, 1.0, 1.0], "worse": [6.0, 6.1, 5.9, 6.05]})
    fake.comparison["cv_coverage"] = [1.0, np.nan]
    assert choice.plausible_laws(fake) == ["best"]
