"""chasm.experiments.range_probe: planting an activation, predicting ezkl's decomposed integers from torch,
and (slow) ezkl accepting a miniature Llama just below the predicted threshold, refusing it just above
with the predicted integer, and accepting it with a third digit."""

from __future__ import annotations

import pytest
import torch

from chasm.core import data, paths
from chasm.experiments import range_probe as rp
from chasm.experiments.layouts import LLAMA_PLAN
from chasm.experiments.modules import build_llama

SMALL = LLAMA_PLAN[0]


def test_plant_sets_the_largest_activation():
    x = torch.randn(1, 4, 16)
    out = rp.plant(x, 500.0, "outlier")
    assert out[0, rp.OUTLIER_TOKEN, rp.OUTLIER_CHANNEL] == 500.0 and out.abs().max() == 500.0
    assert torch.equal(out[0, 1:], x[0, 1:]) and not torch.equal(out, x)
    assert rp.plant(x, 7.0, "scaled").abs().max().item() == pytest.approx(7.0)
    assert torch.equal(rp.plant(x, 7.0, "none"), x)
    with pytest.raises(ValueError, match="outlier"):
        rp.plant(x, 1.0, "bogus")


def test_predicted_peaks_are_the_mean_square_and_largest_rescaled_integers():
    model, inputs = build_llama(SMALL)
    x = rp.plant(inputs[0], 300.0, "outlier")
    peaks = rp.predicted_peaks(model, (x,))
    q = torch.round(x.double() * 128)
    first_norm = int(torch.round((q * q).sum(-1) / 16).max())
    assert peaks["mean_square_int"] >= first_norm
    assert peaks["mean_square_int"] == pytest.approx(300**2 * 128**2 / 16, rel=0.01)
    assert peaks["abs_int"] >= 300 * 128


def test_the_predicted_threshold_grows_with_width_digits_and_base():
    two = rp.predicted_threshold(SMALL)
    assert two == pytest.approx(512, rel=0.01)  # rms 128: 128 * sqrt(16)
    assert rp.predicted_threshold(SMALL, legs=3) == pytest.approx(two * 128, rel=0.01)
    assert rp.predicted_threshold(SMALL, base=2**16) == pytest.approx(two * 4, rel=0.01)
    assert rp.predicted_threshold(LLAMA_PLAN[5]) == pytest.approx(1024, rel=0.01)


def test_probe_ids_separate_what_changes_the_circuit():
    a = rp.Probe(SMALL, "outlier", 500.0)
    assert a.probe_id("23.0.5") == rp.Probe(SMALL, "outlier", 500.0, note="other").probe_id("23.0.5")
    assert len({a.probe_id("23.0.5"), rp.Probe(SMALL, "outlier", 501.0).probe_id("23.0.5"),
                rp.Probe(SMALL, "outlier", 500.0, legs=3).probe_id("23.0.5"), a.probe_id("23.0.6")}) == 4
    quick = rp.plan("quick")
    assert {p.legs for p in quick} == {2, 3} and len(quick) == 3
    with pytest.raises(ValueError, match="default"):
        rp.plan("bogus")


@pytest.mark.slow
def test_ezkl_refuses_exactly_the_predicted_overflow(tmp_path):
    two = rp.predicted_threshold(SMALL)
    below = rp.probe(rp.Probe(SMALL, "outlier", 0.97 * two))
    above = rp.probe(rp.Probe(SMALL, "outlier", 1.03 * two))
    third = rp.probe(rp.Probe(SMALL, "outlier", 1.03 * two, legs=3))
    assert below["predicted_fits"] and below["calibrated"] and below["mock_ok"] is True
    assert not above["predicted_fits"] and above["failed_stage"] == "calibrate"
    assert above["decomposition_error_int"] == above["predicted_mean_square_int"] > above["decomposition_limit"]
    assert third["mock_ok"] is True and third["num_rows"] > below["num_rows"]
    assert (below["lookup_min"], below["lookup_max"]) == (third["lookup_min"], third["lookup_max"])
    out = tmp_path / "range_checks.csv"
    (tmp_path / "range_checks.schema.yaml").write_text(
        (paths.data_dir() / "measurements" / "range_checks.schema.yaml").read_text())
    data.append_rows(out, [below, above, third])
    assert len(data.load_table(out)) == 3
