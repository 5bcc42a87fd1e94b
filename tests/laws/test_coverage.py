"""chasm.laws.coverage: the 95% intervals cover about 95% on simulated sweeps from known laws."""

from __future__ import annotations

import math
import numpy as np
import pytest

from chasm.laws import coverage
from chasm.laws import candidates
from chasm.laws import estimation
from chasm.laws import selection


SEED = 20260101


CALIBRATED = [i for i, sc in enumerate(coverage.COVERAGE_SCENARIOS) if sc.get("expect_calibrated", True)]


@pytest.mark.slow
@pytest.mark.parametrize("index", CALIBRATED,
                         ids=[f"{i}-{coverage.COVERAGE_SCENARIOS[i]['cand']}" for i in CALIBRATED])
def test_intervals_are_calibrated_on_500_simulated_sweeps(index):
    """95% prediction intervals (beyond the data) and exponent intervals cover 92-98% of the truth.

    The same scenarios, with the same seeds, are the chapter's calibration table.
    """
    low, high = coverage.COVERAGE_TOLERANCE
    assert coverage.COVERAGE_DATASETS >= 500 and (low, high) == (0.92, 0.98)
    result = coverage.coverage_scenario(index)
    assert result["n_datasets"] == coverage.COVERAGE_DATASETS
    assert low <= result["pi_coverage"] <= high, result
    if coverage.COVERAGE_SCENARIOS[index]["cand"] == "power":
        assert low <= result["exponent_coverage"] <= high, result
    else:
        assert math.isnan(result["exponent_coverage"])


def test_calibration_scenarios_cover_every_law_and_both_noise_designs():
    scenarios = coverage.COVERAGE_SCENARIOS
    assert {sc["cand"] for sc in scenarios} == {c.name for c in candidates.CANDIDATES} - {"affine"}
    assert any(sc["configs_per_size"] > 1 for sc in scenarios if sc["cand"] == "power")
    assert all(sc["new_logrows"] > max(sc["logrows"]) for sc in scenarios)


@pytest.mark.slow
def test_intervals_without_config_scatter_would_fail_calibration():
    """The calibration check has teeth: the law's own confidence band, which lacks the scatter and
    repetition terms, covers a fresh run at an interior size far less often than the prediction interval."""
    rng = np.random.default_rng(SEED)
    full, mean_only, n = 0, 0, 300
    x_new = 2.0**14.5
    for _ in range(n):
        law = estimation.fit_law(selection.config_means(coverage.simulate_observations(rng, sigma_config=0.3, sigma_rep=0.05)))
        fresh = math.log(2e-4 * x_new**1.1) + rng.normal(0, 0.3) + rng.normal(0, 0.05)
        pi, band = estimation.predict_log(law, [x_new]), estimation.confidence_log(law, [x_new])
        full += pi["low"][0] <= fresh <= pi["high"][0]
        mean_only += band["low"][0] <= fresh <= band["high"][0]
    assert full / n > 0.9
    assert mean_only / n < 0.7
