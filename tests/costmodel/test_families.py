"""chasm.costmodel.families: the measured families modelled operation by operation."""

from __future__ import annotations


from chasm.core.specs import ModelSpec
from chasm.costmodel import families


def test_mlp_flops_match_torch_parameter_count():
    """For the measured MLP family, dense FLOPs = 2 * (torch parameter count) - sum of layer widths."""
    from chasm.experiments import models

    cfg = {"width": 24, "depth": 3, "outputs": 4}
    model, _ = models.build(ModelSpec("mlp", cfg))
    ops = families.mlp_ops(cfg)
    dense_flops = sum(float(work.flops) for name, work in ops if name in ("hidden", "readout"))
    biases = cfg["depth"] * cfg["width"] + cfg["outputs"]
    assert dense_flops == 2 * models.parameter_count(model) - biases
