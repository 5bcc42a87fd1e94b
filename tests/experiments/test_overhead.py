"""chasm.experiments.overhead: the bare ezkl pipeline proves and verifies the same circuit as the harness."""

from __future__ import annotations

import pytest

from chasm.core.specs import ModelSpec
from chasm.experiments import overhead
from chasm.experiments.models import build
from chasm.experiments.prove import ProveSettings


@pytest.mark.slow
def test_bare_pipeline_verifies_and_takes_positive_time(tmp_path):
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    seconds = overhead.bare_pipeline(model, x, ProveSettings(threads=2), tmp_path)
    assert seconds > 0
    assert (tmp_path / "p.json").stat().st_size > 0  # the proof it verified


def test_default_circuits_are_two_mlps_of_different_size():
    a, b = overhead.DEFAULT_SPECS
    assert a.family == b.family == "mlp" and a.config["width"] < b.config["width"]
