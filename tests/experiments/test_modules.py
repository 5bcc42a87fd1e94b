"""chasm.experiments.modules: single operations and miniature Llamas for the layout measurements."""

from __future__ import annotations

import pytest
import torch

from chasm.experiments import modules

LLAMA = {"d_model": 16, "heads": 4, "kv_heads": 2, "ffn": 32, "vocab": 8, "seq": 3, "layers": 2}


def test_rmsnorm_normalises_the_root_mean_square():
    norm = modules.RMSNorm(8)
    with torch.no_grad():
        norm.weight.fill_(1.0)
        y = norm(3.0 * torch.randn(2, 5, 8))
    assert torch.allclose(y.pow(2).mean(-1), torch.ones(2, 5), atol=1e-3)


@pytest.mark.parametrize("op", sorted(modules.OPS))
def test_single_operations_keep_their_shape(op):
    model, x = modules.build_op({"op": op, "rows": 2, "d": 6})
    assert model(x).shape == (1, 2, 6)
    with pytest.raises(ValueError, match="unknown single operation"):
        modules.build_op({"op": "sort", "rows": 2, "d": 6})


def test_llama_outputs_logits_and_reads_a_cache():
    model, inputs = modules.build_llama(LLAMA)
    assert len(inputs) == 1 and model(*inputs).shape == (1, 3, 8)
    last, _ = modules.build_llama({**LLAMA, "logits": "last"})
    assert last(*inputs).shape == (1, 1, 8)
    cached, cache_inputs = modules.build_llama({**LLAMA, "seq": 1, "cache": 4})
    assert len(cache_inputs) == 1 + 2 * LLAMA["layers"]
    assert cache_inputs[1].shape == (1, LLAMA["kv_heads"], 4, LLAMA["d_model"] // LLAMA["heads"])
    assert cached(*cache_inputs).shape == (1, 1, 8)
    with pytest.raises(ValueError, match="lacks"):
        modules.build_llama({"d_model": 16})
