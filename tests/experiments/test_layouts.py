"""chasm.experiments.layouts: ezkl's layout of a circuit, recorded with provenance as a row of layouts.csv."""

from __future__ import annotations

import pytest

from chasm.core import data, paths
from chasm.experiments import layouts


def test_circuit_ids_are_stable_and_follow_the_run_arguments():
    a = layouts.Circuit("mlp", {"width": 8, "depth": 1})
    assert a.circuit_id("23.0.5") == layouts.Circuit("mlp", {"depth": 1, "width": 8}).circuit_id("23.0.5")
    assert a.circuit_id("23.0.5") != layouts.Circuit("mlp", {"width": 8, "depth": 1},
                                                     {"decomp_legs": 3}).circuit_id("23.0.5")
    assert a.circuit_id("23.0.5") != a.circuit_id("24.0.0")
    assert a.full_run_args["decomp_base"] == 16384 and a.full_run_args["param_visibility"] == "fixed"


def test_plans_are_known_and_unknown_ones_are_refused():
    assert len(layouts.plan("quick")) < len(layouts.plan("default"))
    with pytest.raises(ValueError, match="unknown layout plan"):
        layouts.plan("huge")


@pytest.mark.slow
def test_a_measured_layout_is_a_valid_row(tmp_path):
    circuit = layouts.Circuit("mlp", {"width": 8, "depth": 1})
    (record,) = layouts.measure_many([circuit], calibrate=False)
    schema = data.read_schema(paths.measurements_dir() / "layouts.schema.yaml")
    (row,) = data.validate_records([record], schema, "measured layout")
    assert row["num_rows"] == 476 and row["logrows"] is None  # ezkl 23.0.5, as in proofs.csv
    assert row["total_assignments"] >= row["num_rows"] and row["total_einsum_col_size"] == 0
