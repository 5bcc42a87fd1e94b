"""chasm.experiments.models: each family builds deterministically with the shapes its spec names."""

from __future__ import annotations

import pytest
import torch

from chasm.core.specs import ModelSpec
from chasm.experiments import models

SPECS = [ModelSpec("mlp", {"width": 8, "depth": 2}), ModelSpec("cnn", {"channels": 2, "depth": 2, "size": 5}),
         ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 3, "layers": 2, "activation": "gelu"})]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.family)
def test_build_is_deterministic_and_runs(spec):
    (m1, x1), (m2, x2) = models.build(spec), models.build(spec)
    assert torch.equal(x1, x2)
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    with torch.inference_mode():
        y = m1(x1)
    if spec.family == "transformer":
        assert y.shape == x1.shape
    else:
        assert y.shape == (1, spec.config["outputs"])
    assert not m1.training


def test_batch_changes_only_the_first_dimension():
    _, x = models.build(SPECS[1], batch=3)
    assert x.shape == (3, 1, 5, 5)
