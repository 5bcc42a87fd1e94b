"""chasm.experiments.opsupport: a building block ezkl can prove satisfies its constraints; a data-dependent
shape is refused with ezkl's reason."""

from __future__ import annotations

import pytest

from chasm.experiments import opsupport


def variant(name):
    return next(v for v in opsupport.VARIANTS if v.name == name)


@pytest.mark.slow
def test_a_supported_block_passes_the_mock_prover():
    out = opsupport.probe(variant("linear + ReLU"))
    assert out["mock_ok"] is True and out["num_rows"] > 0 and out["error"] == ""
    assert "Gemm" in out["onnx_ops"] or "MatMul" in out["onnx_ops"]


@pytest.mark.slow
def test_a_data_dependent_shape_is_refused_with_the_reason():
    out = opsupport.probe(variant("nonzero"))
    assert out["mock_ok"] is False and "NonZero" in out["onnx_ops"] and out["error"]
