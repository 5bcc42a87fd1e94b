"""chasm.laws.choice: cross-validation picks the true form, every candidate is reported, too few sizes are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
