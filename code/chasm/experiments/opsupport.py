"""Which transformer building blocks ezkl 23.0.5 can prove, probed live.

Each variant is a tiny torch module exercising one building block. :func:`probe`
exports it (legacy exporter, opset 17), lists its ONNX operators, and asks
ezkl to generate settings, calibrate, compile and *mock*-prove it (``ezkl.mock``
checks every constraint of the circuit on the real witness without producing a
proof; a failure there means the circuit cannot prove this computation). No
SRS or keys are needed, so each probe takes about a second.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from chasm.core.constants import DEFAULT_SCALE
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments.ezkl_gateway import PROVEN_ONNX_OPS
from chasm.experiments.modules import RMSNorm

__all__ = ["MASK_VALUE", "Variant", "VARIANTS", "probe", "probe_all"]


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


#: Additive mask value for causal attention. exp(-30) is 1e-13, far below the
#: circuit's resolution at scale 7 (1/128); a float-style -1e4 instead makes
#: calibration search a huge lookup range (over two minutes for a 4-token probe).
MASK_VALUE = -30.0


class _CausalAttention(nn.Module):
    """Single-head attention with a causal mask (masked_fill before softmax)."""

    def __init__(self, d: int):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(x.shape[-1])
        t = x.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        return torch.softmax(scores.masked_fill(mask, MASK_VALUE), dim=-1) @ v


class _Embedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(32, 8)

    def forward(self, x):
        return self.table(x)


@dataclass(frozen=True)
class Variant:
    """A building block to probe: what it is, and how to build it."""

    name: str
    role: str
    build: object  # () -> (module, example input)


def _seeded(fn):
    def make():
        torch.manual_seed(0)
        return fn()
    return make


D, T = 8, 4
VARIANTS = (
    Variant("linear + ReLU", "feed-forward (ReLU)",
            _seeded(lambda: (nn.Sequential(nn.Linear(D, D), nn.ReLU()), torch.randn(1, T, D)))),
    Variant("GELU (erf)", "feed-forward (GELU, exact)",
            _seeded(lambda: (nn.Sequential(nn.Linear(D, D), nn.GELU()), torch.randn(1, T, D)))),
    Variant("GELU (tanh approx.)", "feed-forward (GELU, GPT-2 style)",
            _seeded(lambda: (nn.Sequential(nn.Linear(D, D), nn.GELU(approximate="tanh")), torch.randn(1, T, D)))),
    Variant("SiLU", "feed-forward (Llama's SwiGLU gate)",
            _seeded(lambda: (nn.Sequential(nn.Linear(D, D), nn.SiLU()), torch.randn(1, T, D)))),
    Variant("softmax", "attention weights",
            _seeded(lambda: (_Lambda(lambda x: torch.softmax(x, dim=-1)), torch.randn(1, T, D)))),
    Variant("LayerNorm", "normalisation (GPT style)",
            _seeded(lambda: (nn.LayerNorm(D), torch.randn(1, T, D)))),
    Variant("RMSNorm", "normalisation (Llama style)",
            _seeded(lambda: (RMSNorm(D, eps=1e-6, random_gain=False), torch.randn(1, T, D)))),
    Variant("causal attention", "masked self-attention",
            _seeded(lambda: (_CausalAttention(D), torch.randn(1, T, D)))),
    Variant("nn.MultiheadAttention", "torch's fused attention module",
            _seeded(lambda: (_Lambda(_mha_forward(nn.MultiheadAttention(D, 2, batch_first=True))),
                             torch.randn(1, T, D)))),
    Variant("token embedding", "embedding lookup (Gather)",
            _seeded(lambda: (_Embedding(), torch.tensor([[1, 5, 7, 2]])))),
    Variant("top-k", "sampling (TopK)",
            _seeded(lambda: (_Lambda(lambda x: torch.topk(x, 2).values), torch.randn(1, D)))),
    Variant("argmax", "greedy decoding (ArgMax)",
            _seeded(lambda: (_Lambda(lambda x: torch.argmax(x, dim=-1).float()), torch.randn(1, D)))),
    Variant("sort", "sampling (full sort, top-p)",
            _seeded(lambda: (_Lambda(lambda x: torch.sort(x, dim=-1).values), torch.randn(1, D)))),
    Variant("nonzero", "data-dependent selection (NonZero)",
            _seeded(lambda: (_Lambda(lambda x: torch.nonzero(x > 0).float()), torch.randn(1, D)))),
)


def _mha_forward(mha):
    def fn(x):
        return mha(x, x, x, need_weights=False)[0]
    fn.module = mha
    return fn


def probe(variant: Variant, scale: int = DEFAULT_SCALE) -> dict:
    """Export, compile and mock-prove one variant; return what happened.

    Keys: ``variant``, ``role``, ``onnx_ops`` (comma-separated), ``proven_ops``
    (all its ops are in :data:`chasm.experiments.ezkl_gateway.PROVEN_ONNX_OPS`), ``mock_ok`` (ezkl's
    constraint check passed), ``num_rows`` and ``error`` (the first line of
    ezkl's or torch's error, if any).
    """
    model, x = variant.build()
    if isinstance(model, _Lambda) and hasattr(model.fn, "module"):
        model.add_module("inner", model.fn.module)
    out = {"variant": variant.name, "role": variant.role, "onnx_ops": "", "proven_ops": False,
           "mock_ok": False, "num_rows": None, "error": ""}
    with tempfile.TemporaryDirectory(prefix="chasm-op-") as tmp:
        tmp = Path(tmp)
        try:
            gw.export_onnx(model.eval(), x, tmp / "m.onnx")
            ops = sorted(gw.onnx_ops(tmp / "m.onnx"))
            out["onnx_ops"] = ", ".join(ops)
            out["proven_ops"] = set(ops) <= PROVEN_ONNX_OPS
            gw.write_input(tmp / "in.json", x)
            out.update(_compile_and_mock(tmp, scale))
        except Exception as exc:  # noqa: BLE001  (the error text is the finding)
            out["error"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:160]}"
    return out


def _compile_and_mock(tmp: Path, scale: int) -> dict:
    """ezkl settings, calibration, compile, witness and mock in folder ``tmp``."""
    with gw.quiet(tmp / "ezkl.log"):
        settings = gw.lay_out(tmp / "m.onnx", tmp / "s.json", gw.run_args(scale=scale), data_path=tmp / "in.json",
                              scales=[scale])
        gw.compile_circuit(tmp / "m.onnx", tmp / "m.ezkl", tmp / "s.json")
        gw.gen_witness(tmp / "in.json", tmp / "m.ezkl", tmp / "w.json")
        mock_ok = gw.mock(tmp / "w.json", tmp / "m.ezkl")
    return {"mock_ok": mock_ok, "num_rows": settings["num_rows"]}


def probe_all() -> list[dict]:
    """:func:`probe` every variant in :data:`VARIANTS`."""
    return [probe(v) for v in VARIANTS]
