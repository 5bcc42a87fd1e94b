"""chasm.experiments.ezkl_gateway: unsupported operators are named before anything runs; ezkl's log is read."""

from __future__ import annotations

import pytest
import torch

from chasm.core.specs import ModelSpec
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments import prove
from chasm.experiments.models import build


class Sort(torch.nn.Module):
    def forward(self, x):
        return torch.sort(x, dim=-1).values


class NonZero(torch.nn.Module):
    def forward(self, x):
        return torch.nonzero(x > 0).float()


@pytest.mark.slow
def test_unsupported_operator_is_named_before_running():
    # torch.sort exports as a TopK whose k is read from the input's shape at run time
    with pytest.raises(gw.UnsupportedOpError, match=r"operator Topk \(node /TopK\)"):
        prove.check_model(Sort(), torch.randn(1, 8))
    with pytest.raises(gw.UnsupportedOpError, match="NonZero"):
        prove.check_model(NonZero(), torch.randn(1, 8))
    record = prove.prove(Sort(), torch.randn(1, 8))
    assert record["status"] == "unsupported" and "TopK" in record["error"]
    assert "calibrate_s" not in record  # refused before any ezkl pipeline phase ran


@pytest.mark.slow
def test_supported_building_blocks_pass_the_check():
    model, x = build(ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1}))
    prove.check_model(model, x)  # raises if the family's own operators were refused


def test_parse_ezkl_log_reads_unpadded_milliseconds():
    text = "x VK took 1.240\ny PK took 2.5\nproof took 3.437\nverify took 0.3\nloaded proving key in 121.5ms"
    out = gw.parse_log(text)
    assert out == {"setup_vk_compute_s": 1.24, "setup_pk_compute_s": 2.005, "prove_compute_s": 3.437,
                   "verify_compute_s": 0.003, "pk_load_s": pytest.approx(0.1215)}
