"""chasm.costmodel.validation: held-out errors, the conformal bound and the error trend."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from chasm.core import data
from chasm.costmodel import validation


def test_held_out_error_is_small():
    result = validation.layouts_validation()
    summary = validation.heldout_summary(result)
    assert summary["n"] >= 10
    assert summary["rows_median"] < 0.10 and summary["assignments_median"] < 0.10
    llama = result[result["family"] == "llama"]
    assert len(llama) > 0 and (llama["split"] == "test").all()  # never used to fit
    assert llama["rows_rel_err"].abs().median() < 0.10


def test_conformal_quantile_rank():
    errors = np.arange(1, 20) / 100  # 19 errors: rank ceil(0.95 * 20) = 19, the largest
    bound = validation.conformal_quantile(errors)
    assert bound["rank"] == 19 and bound["attained"] and bound["bound"] == pytest.approx(0.19)
    few = validation.conformal_quantile(errors[:10])  # rank 11 > 10: not attainable, largest returned
    assert not few["attained"] and few["bound"] == pytest.approx(0.10)
    with pytest.raises(ValueError, match="no leave-out errors"):
        validation.conformal_quantile([])


def test_error_trend_recovers_a_linear_drift():
    rows = np.logspace(3, 6, 12)
    errors = pd.DataFrame({"rows_observed": rows, "rows_rel_err": 0.001 * np.log10(rows) - 0.002
                           + 1e-6 * np.sin(np.arange(12))})
    trend = validation.error_trend_at(1e12, errors)
    assert trend["slope_per_decade"] == pytest.approx(0.001, rel=1e-2)
    assert trend["low"] <= trend["point"] <= trend["high"]
    assert trend["point"] == pytest.approx(0.010, rel=1e-2)


def test_leave_out_errors_skip_circuits_already_laid_out():
    errors = validation.leave_out_errors()
    assert set(errors["source"]) <= {"held-out layout", "proving run"}
    proofs = validation.validate_proofs()
    if proofs.empty:
        pytest.skip("no ok runs in data/measurements/proofs.csv yet")
    table = data.load_table("measurements/layouts.csv")
    laid_out = {validation.circuit_key(r["family"], r["config"], r["num_inner_cols"], r["decomp_base"],
                               r["disable_freivalds"], r["output_visibility"], r["decomp_legs"])
                for r in table.to_dict("records")}
    fresh = proofs[~proofs["circuit_key"].isin(laid_out)]["circuit_key"].nunique()
    assert (errors["source"] == "proving run").sum() == fresh


def test_predicted_rows_match_proving_runs():
    proofs = validation.validate_proofs()
    if proofs.empty:
        pytest.skip("no ok runs in data/measurements/proofs.csv yet")
    assert proofs["rows_rel_err"].abs().max() < 0.02
    assert (proofs["logrows_modelled"] == proofs["logrows_observed"]).all()


def test_error_table_reports_absolute_percent_errors_per_split_and_family():
    result = pd.DataFrame({
        "split": ["train", "test", "test", "test"], "family": ["mlp", "mlp", "mlp", "cnn"],
        "circuit_id": ["a", "b", "c", "d"],
        "rows_rel_err": [0.0, -0.02, 0.01, 0.005], "assignments_rel_err": [0.0, 0.001, -0.003, 0.0],
    })
    table = validation.error_table(result).set_index(["split", "family"])
    assert table.loc[("test", "mlp"), "circuits"] == 2
    assert table.loc[("test", "mlp"), "max_abs_rows_err_pct"] == pytest.approx(2.0)
    assert table.loc[("test", "mlp"), "median_abs_rows_err_pct"] == pytest.approx(1.5)
    assert table.loc[("test", "mlp"), "max_abs_assignments_err_pct"] == pytest.approx(0.3)
    assert validation.heldout_summary(result)["rows_max"] == pytest.approx(0.02)


def test_miniature_llamas_are_modelled_closely_and_one_more_layer_within_5e_4():
    """The miniature Llamas of ``layouts.csv`` never fit a constant. Their assignments and rows are
    modelled within 1.5e-3 (the largest error is 1.35e-3, an underestimate shared by every circuit), and
    the cost of one more decoder layer (two circuits that differ only in ``layers``), where that shared
    error cancels, within 5e-4 (it is 2.6e-4): a per-element cell count off by 40% either way (rotate_half's
    2.5 cells as 1.5 or 3.5) moves it to 1.6e-3 or 1.1e-3."""
    result = validation.layouts_validation()
    llama = result[result["family"] == "llama"]
    assert len(llama) >= 10 and (llama["split"] == "test").all()
    assert llama["assignments_rel_err"].abs().max() < 1.5e-3
    assert llama["rows_rel_err"].abs().max() < 1.5e-3
    configs = [json.loads(c) for c in llama["config"]]
    pairs = [(i, j) for i, a in enumerate(configs) for j, b in enumerate(configs)
             if b.get("layers") == a.get("layers", 1) + 1 and {**b, "layers": a["layers"]} == a]
    assert pairs, "no two miniature Llamas differ only in their number of layers"
    for i, j in pairs:
        one, two = llama.iloc[i], llama.iloc[j]
        for what in ("assignments", "rows"):
            observed = two[f"{what}_observed"] - one[f"{what}_observed"]
            modelled = two[f"{what}_modelled"] - one[f"{what}_modelled"]
            assert abs(modelled / observed - 1) < 5e-4, (what, configs[i])
