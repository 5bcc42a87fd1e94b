"""chasm.report.scaling_checks: the held-out check and the limits, on synthetic sweeps."""

from __future__ import annotations

import numpy as np
import pytest

from chasm.laws import selection
from chasm.report import scaling_checks


def test_held_out_gaps_name_the_family_that_lacks_sizes(synthetic_frame):
    rng = np.random.default_rng(16)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 17)), ("transformer", range(12, 16))))
    runs, _ = selection.select_runs(frame)
    checks = scaling_checks.held_out_runs(runs, quantities=("prove_s",))
    assert set(checks["family"]) == {"mlp"}
    gaps = scaling_checks.held_out_gaps(runs, checks, quantities=("prove_s",))
    assert any(g.startswith("transformer") and "(4 distinct sizes)" in g for g in gaps)
    assert not any(g.startswith("mlp") for g in gaps)


def test_held_out_summary_refuses_a_family_without_held_out_sizes(synthetic_frame):
    rng = np.random.default_rng(17)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 17)), ("transformer", range(12, 16))))
    runs, _ = selection.select_runs(frame)
    checks = scaling_checks.held_out_runs(runs, quantities=("prove_s",))
    with pytest.raises(ValueError, match="transformer"):
        scaling_checks.held_out_summary(checks, runs)


def test_held_out_table_and_summary_count_what_the_intervals_covered(synthetic_frame):
    rng = np.random.default_rng(18)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 18)), ("cnn", range(12, 18)),
                                           ("transformer", range(12, 18))))
    runs, _ = selection.select_runs(frame)
    checks = scaling_checks.held_out_runs(runs)
    summary = scaling_checks.held_out_summary(checks, runs)
    assert int(summary["heldout_runs"]) == len(checks) > 0
    assert int(summary["heldout_covered"]) == int(checks["covered"].sum())
    assert float(checks["width"].min()) <= float(checks["width"].max())
    assert summary["heldout_share"] == f"{100 * checks['covered'].mean():.0f}%"
    assert len(scaling_checks.held_out_table(checks)) == len(checks.groupby(["family", "quantity"]))
