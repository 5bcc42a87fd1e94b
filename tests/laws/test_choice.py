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
