"""chasm.costmodel.ranges: what ezkl's decompositions can hold, the largest Llama activation that fits,
agreement with the measured range probes, the sourced magnitudes, and the rows more digits cost."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sympy as sp

from chasm.core import data, paths
from chasm.core.ezkl_rules import DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS
from chasm.costmodel import ranges
from chasm.costmodel.frontier import frontier_workload
from chasm.costmodel.layout import RunArgs, decompose_cells
from chasm.costmodel.llama import load_architectures
from chasm.costmodel.symbols import B, d, lam

RANGE_CHECKS = paths.data_dir() / "measurements" / "range_checks.csv"


def test_a_decomposition_holds_base_to_the_digits_minus_one():
    assert ranges.decomposition_limit(DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS) == 2**28 - 1
    assert ranges.decomposition_limit() == B**lam - 1
    assert ranges.digits_needed(0) == 1
    assert ranges.digits_needed(2**14 - 1) == 1 and ranges.digits_needed(2**14) == 2
    assert ranges.digits_needed(2**28 - 1) == 2 and ranges.digits_needed(2**28) == 3
    assert ranges.digits_needed(2**28, base=2**16) == 2


def test_the_rms_bound_solves_to_a_closed_form():
    # mean(x^2) 2^(2s) <= B^lambda - 1 with kappa channels at A and the rest at 0:
    # A_max = sqrt(d / kappa) sqrt(B^lambda - 1) / 2^s
    expr = ranges.RANGE_CHECKED["mean_of_squares"][0].subs(ranges.sigma, 0)
    roots = sp.solve(sp.Eq(expr, ranges.decomposition_limit()), ranges.A)
    closed = sp.sqrt(d / ranges.kappa) * sp.sqrt(B**lam - 1) / 2**ranges.s
    assert any(sp.simplify(root - closed) == 0 for root in roots)
    assert all(sp.simplify(root**2 - closed**2) == 0 for root in roots)


@pytest.mark.parametrize("width, expected", [(16, 512), (64, 1024), (4096, 8192), (16384, 16384)])
def test_rmsnorm_binds_at_128_root_width_for_one_outlier_channel(width, expected):
    out = ranges.max_activation(width)
    assert out["binding"] == "mean_of_squares"
    assert out["A_max"] == pytest.approx(expected, rel=1e-6)
    assert out["rescaled_output"] == pytest.approx((2**28 - 1) / 2**7)
    # a dense row (every channel at A) binds at rms 128; three digits multiply the bound by 2^7
    assert ranges.max_activation(width, width)["A_max"] == pytest.approx(128, rel=1e-6)
    assert ranges.max_activation(width, legs=3)["A_max"] == pytest.approx(expected * 2**7, rel=1e-6)


def test_accumulators_stay_far_below_i128():
    # the largest Llama-3 reduction (405B FFN, 53,248) at the largest value two digits represent,
    # with weights up to 16: still below 2^56, against 2^127 (witness) and ~2^253 (field)
    assert ranges.accumulator_bits(53248, 2**21, 16) < 56 < ranges.I128_BITS


def test_rsqrt_is_exact_at_powers_of_two_and_zero_past_twice_the_scale():
    assert ranges.rsqrt_error(128) == 0 and ranges.rsqrt_error(64) == 0
    assert ranges.rsqrt_error(121.6) == pytest.approx(abs(121.6 / 128 - 1))
    assert ranges.rsqrt_error(257) == 1.0 and ranges.rsqrt_error(10_000) == 1.0
    assert ranges.rsqrt_error(257, scale=10) < 0.01


def test_lookup_range_is_ezkls_safe_range():
    assert ranges.lookup_range(-64.5, 3.0) == (math.floor(2 * -64.5 * 128), math.ceil(2 * 3.0 * 128))
    rng = ranges.llama_lookup_range(score_spread=10, mask=64, gate=3)
    assert rng == (-(74 * 256), 3 * 256)
    assert ranges.lookup_table_rows(rng) == 77 * 256
    assert ranges.lookup_columns(2**20, 26) == 1 and ranges.lookup_columns(2**27, 26) == 3


def test_sourced_magnitudes_are_documented():
    mags = ranges.load_activation_magnitudes()
    assert {"llama", "other", "gemma"} <= set(mags["family"])
    assert mags["source"].str.len().min() > 40
    assert not mags.loc[~mags["confirmed"], "note"].isna().any()
    assert (mags.loc[mags["family"] == "llama", "magnitude"] > 100).all()


def test_every_llama3_model_needs_two_digits_for_every_sourced_llama_magnitude():
    table = ranges.feasibility_table()
    assert set(table["arch_id"]) == {"llama3-8b", "llama3-70b", "llama3-405b"}
    llama = table[table["source_id"].isin(ranges.load_activation_magnitudes().query("family == 'llama'")["source_id"])]
    assert (llama["digits"] == 2).all() and (llama["margin_2_digits"] > 2).all()
    assert (table["binding"] == "mean_of_squares").all()
    stress = table[table["source_id"] == "chen2026-abstract-gemma3-27b"]
    assert (stress["digits"] == 3).all()


def test_layer_requirements_list_every_checked_quantity():
    req = ranges.layer_requirements(4096, 2622, 2, length=14336).set_index("quantity")
    assert set(req.index) == set(ranges.RANGE_CHECKED)
    assert not req.loc["accumulator", "decomposed"]
    assert req.loc["mean_of_squares", "integer"] == pytest.approx((2 * 2622**2 + 4094) / 4096 * 2**14)
    assert req.loc["rescaled_output", "integer"] == pytest.approx(2622 * 128)
    assert all(key in ranges.RANGE_SOURCES for key in req["source"])


def test_rows_per_query_reproduces_the_frontier_workload():
    assert ranges.rows_per_query("llama3-8b") == pytest.approx(frontier_workload("llama3-8b").rows_per_query, rel=1e-9)


def test_more_digits_cost_rows_a_wider_base_does_not():
    extra = ranges.extra_rows_for_range("llama3-8b", legs=3)
    assert extra["decompose_cells"] - extra["decompose_cells_default"] == 4
    assert extra["decompose_cells"] == float(decompose_cells(RunArgs(legs=3)))
    assert 0 < extra["extra_frac"] < 0.2
    assert ranges.extra_rows_for_range("llama3-8b", legs=2, base=2**16)["extra_rows"] == 0
    assert ranges.extra_rows_for_range("llama3-8b", legs=2)["extra_rows"] == 0


@pytest.mark.skipif(not RANGE_CHECKS.exists(), reason="no range probes measured yet (python -m chasm.experiments.range_probe)")
def test_the_derivation_predicts_every_measured_probe():
    table = data.load_table(RANGE_CHECKS)
    # torch's predicted integers decide calibration exactly, and a refused integer is a mean of squares:
    # the predicted one (the first RMSNorm) or one no larger (a later RMSNorm failing first)
    assert (table["predicted_fits"] == table["calibrated"]).all()
    refused = table.dropna(subset=["decomposition_error_int"])
    assert len(refused) > 0 and len(refused) == (~table["calibrated"]).sum()
    assert (refused["decomposition_error_int"] > refused["decomposition_limit"]).all()
    assert (refused["decomposition_error_int"] <= refused["predicted_mean_square_int"] * 1.01).all()
    assert (refused["decomposition_error_int"] == refused["predicted_mean_square_int"]).sum() >= 1
    assert (table.loc[table["calibrated"], "mock_ok"] == True).all()  # noqa: E712
    # a token whose rms exceeds 2^(s+1) = 256 is normalised to zero: the logits err by about their size
    zeroed = table[(table["mode"] == "outlier") & table["calibrated"] & (table["magnitude"] / table["d_model"]**0.5 > 300)]
    fine = table[(table["mode"] == "outlier") & table["calibrated"] & (table["magnitude"] / table["d_model"]**0.5 < 130)]
    assert len(zeroed) > 0 and len(fine) > 0
    assert zeroed["output_max_abs_err"].min() > 5 * fine["output_max_abs_err"].max()
    # the measured outlier threshold of two digits lies within 2% of max_activation (the other channels
    # of the random input have root mean square about 1)
    outliers = table[(table["mode"] == "outlier") & (table["decomp_legs"] == 2) & (table["decomp_base"] == 16384)]
    for width, group in outliers.groupby("d_model"):
        passed = group.loc[group["calibrated"], "magnitude"].max()
        failed = group.loc[~group["calibrated"], "magnitude"].min()
        predicted = ranges.max_activation(int(width), rest=1.0)["A_max"]
        assert passed < failed
        assert passed == pytest.approx(predicted, rel=0.02) and failed == pytest.approx(predicted, rel=0.06)


def test_architectures_have_the_widths_the_thresholds_use():
    widths = {a.arch_id: a.d_model for a in load_architectures().values()}
    assert widths == {"llama3-8b": 4096, "llama3-70b": 8192, "llama3-405b": 16384}
    assert isinstance(ranges.feasibility_table(), pd.DataFrame)
