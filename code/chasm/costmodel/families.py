"""The circuit families laid out in ``data/measurements/layouts.csv`` as lists of operations.

``mlp``, ``cnn`` and ``transformer`` mirror :mod:`chasm.models` (read it for the
architectures); ``op`` the single-operation circuits and ``llama`` the miniature
Llamas of :mod:`chasm.layout_circuits`. :func:`network_work` totals a family's
operations for a size configuration.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import sympy as sp

from chasm.costmodel.layout import DEFAULT_LAYOUT, Layout, Work, total
from chasm.costmodel.llama import Op, llama_circuit_ops
from chasm.costmodel.operations import (
    conv2d, dense, eltwise_add, gelu, layernorm, matmul, model_input, model_output, relu, rmsnorm, scale,
    softmax,
)


def mlp_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """``chasm.models.MLP``: input of ``width``, ``depth`` x (Linear(width, width), ReLU),
    Linear(width, outputs); batch 1."""
    width, n_layers, outputs = cfg["width"], cfg["depth"], cfg.get("outputs", 4)
    hidden = dense(1, width, width, lo=lo) + relu(width, lo)
    return [("input", model_input(width, lo)), ("hidden", hidden * n_layers),
            ("readout", dense(1, width, outputs, lo=lo)), ("output", model_output(outputs, lo))]


def cnn_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """``chasm.models.CNN``: ``depth`` x (3x3 conv, padding 1, ``channels``; ReLU) on a
    ``size`` x ``size`` single-channel image, then Linear(channels*size^2, outputs)."""
    ch, n_layers, side, outputs = cfg["channels"], int(cfg["depth"]), cfg["size"], cfg.get("outputs", 4)
    ops: list[Op] = [("input", model_input(side**2, lo))]
    c_in = 1
    for i in range(n_layers):
        ops += [(f"conv{i}", conv2d(c_in, ch, 3, side, lo=lo)),
                (f"relu{i}", relu(ch * side**2, lo))]
        c_in = ch
    ops += [("readout", dense(1, ch * side**2, outputs, lo=lo)), ("output", model_output(outputs, lo))]
    return ops


def transformer_block_ops(seq, d_model, heads, ffn_mult=4, activation="relu",
                          lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """One ``chasm.models.Block`` (pre-norm, biased projections, full attention over ``seq``)."""
    dh = sp.sympify(d_model) / heads
    ffn = ffn_mult * sp.sympify(d_model)
    # a symbolic head width is treated as giving a constant that is not a power of two
    scale_value = 1.0 / math.sqrt(float(dh)) if dh.is_number else 0.5 ** 0.5
    act = relu(seq * ffn, lo) if activation == "relu" else gelu(seq * ffn, lo)
    return [
        ("norm1", layernorm(seq, d_model, lo)),
        ("qkv", dense(seq, d_model, d_model, lo=lo) * 3),
        ("scores", matmul(heads, seq, dh, seq, equation="mbk,nbk->bmn", lo=lo)),
        ("scale", scale(heads * seq * seq, scale_value, lo)),
        ("softmax", softmax(heads * seq, seq, lo)),
        ("attend", matmul(heads, seq, seq, dh, equation="bmk,kbn->mbn", lo=lo)),
        ("proj", dense(seq, d_model, d_model, lo=lo)),
        ("residual1", eltwise_add(seq * d_model)),
        ("norm2", layernorm(seq, d_model, lo)),
        ("ff1", dense(seq, d_model, ffn, lo=lo)),
        ("act", act),
        ("ff2", dense(seq, ffn, d_model, lo=lo)),
        ("residual2", eltwise_add(seq * d_model)),
    ]


def transformer_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """``chasm.models.Transformer``: ``layers`` blocks on a (1, seq, d_model) input."""
    seq, dm = cfg["seq"], cfg["d_model"]
    block = transformer_block_ops(seq, dm, cfg["heads"], cfg.get("ffn_mult", 4), cfg.get("activation", "relu"), lo)
    n_layers = cfg["layers"]
    ops: list[Op] = [("input", model_input(seq * dm, lo))]
    ops += [(f"block.{name}", work * n_layers) for name, work in block]
    ops += [("output", model_output(seq * dm, lo))]
    return ops


def op_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """Single-operation circuits (family ``op``): ``{"op": layernorm|rmsnorm|softmax, "rows", "d"}``
    on a (1, rows, d) input."""
    builders = {"layernorm": layernorm, "rmsnorm": rmsnorm, "softmax": softmax}
    name = cfg["op"]
    if name not in builders:
        raise ValueError(f"unknown single operation {name!r}; known: {', '.join(builders)}")
    rows, width = cfg["rows"], cfg["d"]
    return [("input", model_input(rows * width, lo)), (name, builders[name](rows, width, lo)),
            ("output", model_output(rows * width, lo))]


FAMILY_OPS: dict[str, Callable[..., list[Op]]] = {
    "mlp": mlp_ops, "cnn": cnn_ops, "transformer": transformer_ops, "op": op_ops, "llama": llama_circuit_ops,
}
FAMILY_DEFAULTS = {"mlp": {"outputs": 4}, "cnn": {"outputs": 4},
                   "transformer": {"ffn_mult": 4, "activation": "relu"}, "op": {},
                   "llama": {"cache": 0, "logits": "all"}}


def network_work(family: str, config: Mapping, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Total :class:`Work` of one model of a measured family (fitted constants still symbolic)."""
    if family not in FAMILY_OPS:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILY_OPS)}")
    cfg = {**FAMILY_DEFAULTS[family], **dict(config)}
    return total(work for _, work in FAMILY_OPS[family](cfg, lo))

