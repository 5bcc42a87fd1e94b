"""chasm.report.scaling: the scaling chapter's tables on synthetic sweeps."""

from __future__ import annotations

import pandas as pd

from chasm.report import scaling


def test_params_sweep_names_what_varies_and_what_is_fixed():
    import json

    import pandas as pd

    configs = [{"d_model": d, "layers": 1, "seq": 4} for d in (16, 64, 196)]
    runs = pd.DataFrame([{"family": "transformer", "config": json.dumps(c), "config_key": f"t{i}", "logrows": 15 + i,
                          "padded_rows": 2.0 ** (15 + i), "params": 1000.0 * 4**i, "prove_s": 1.0 + i,
                          "at_floor": False} for i, c in enumerate(configs)])
    text = scaling.params_sweep(runs)["transformer"]
    assert text.startswith("d_model 16 to 196")  # numeric order, not text order
    assert "layers 1" in text and "seq 4" in text and text.endswith("fixed")
    at_floor = runs.assign(at_floor=[True, False, False])
    assert scaling.params_sweep(at_floor)["transformer"].startswith("d_model 64 to 196")


def test_superlinearity_reads_the_interval_not_the_point():
    rows = pd.DataFrame({"family": ["a", "b", "c"], "quantity": "prove_s", "against": "params",
                         "point": [1.2, 0.8, 1.05], "low": [1.1, 0.7, 0.95], "high": [1.3, 0.9, 1.15]})
    reading = scaling.superlinearity(rows).set_index("family")["reading"]
    assert reading.to_dict() == {"a": "superlinear", "b": "sublinear", "c": "not resolved"}


def test_exponent_list_needs_both_size_measures():
    rows = pd.DataFrame({"family": ["mlp"], "quantity": ["prove_s"], "against": ["padded_rows"], "point": [1.0],
                         "low": [0.9], "high": [1.1], "sizes": [5], "circuits": [9], "runs": [27],
                         "scatter_method": ["residuals"]})
    import pytest

    with pytest.raises(ValueError, match="none against parameters"):
        scaling.exponent_list(rows, {"mlp": "width 8 to 768"})
    both = pd.concat([rows, rows.assign(against="params", point=0.6, low=0.5, high=0.7)])
    text = scaling.exponent_list(both, {"mlp": "width 8 to 768"})
    assert "width 8 to 768" in text and "below 1" in text
