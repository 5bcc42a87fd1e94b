"""chasm.costmodel.timing: measured CPU time per modelled field multiplication."""

from __future__ import annotations

import pytest

from chasm.core import data
from chasm.costmodel import timing


def test_implied_time_flags_contended_runs():
    from chasm.core.constants import CONTENTION_LIMIT

    implied = timing.implied_field_mult_time()
    if implied.empty:
        pytest.skip("no ok runs in data/measurements/proofs.csv yet")
    proofs = data.load_table("measurements/proofs.csv").set_index("run_id")
    busy = proofs.loc[implied["run_id"], "other_cpu_frac"].fillna(0).to_numpy() > CONTENTION_LIMIT
    assert (implied["contended"].to_numpy() == busy).all()
    assert (implied["cpu_ns_per_field_mult"] > 0).all()
