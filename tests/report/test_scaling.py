"""chasm.report.scaling: the scaling chapter's tables on synthetic sweeps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chasm.core import data
from chasm.core import paths
from chasm.laws import calibration
from chasm.laws import selection


def synthetic_frame(rng, families=(("mlp", range(12, 20)),), **kw) -> pd.DataFrame:
    """Synthetic sweep records, validated against the real proofs schema, as a typed frame."""
    schema = data.read_schema(paths.measurements_dir() / "proofs.schema.yaml")
    records = []
    for family, logrows in families:
        records += calibration.simulate_runs(rng, family, logrows=tuple(logrows), **kw)
    rows = data.validate_records(records, schema, "synthetic records")
    return pd.DataFrame(rows, columns=schema.names)


def test_held_out_gaps_name_the_family_that_lacks_sizes():
    from chasm.report import scaling

    rng = np.random.default_rng(16)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 17)), ("transformer", range(12, 16))))
    runs, _ = selection.select_runs(frame)
    checks = scaling.held_out_runs(runs, quantities=("prove_s",))
    assert set(checks["family"]) == {"mlp"}
    gaps = scaling.held_out_gaps(runs, checks, quantities=("prove_s",))
    assert any(g.startswith("transformer") and "(4 distinct sizes)" in g for g in gaps)
    assert not any(g.startswith("mlp") for g in gaps)
