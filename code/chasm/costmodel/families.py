"""The circuit families laid out in ``data/measurements/layouts.csv`` as lists of operations.

``mlp``, ``cnn`` and ``transformer`` mirror :mod:`chasm.experiments.models` (read it for the
architectures); ``op`` the single-operation circuits and ``llama`` the miniature
Llamas of :mod:`chasm.experiments.modules`. :func:`network_work` totals a family's
operations for a size configuration.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import sympy as sp

from chasm.costmodel.layout import DEFAULT_RUN_ARGS, RunArgs, Work, total
from chasm.costmodel.llama import Op, llama_circuit_ops
from chasm.costmodel.operations import (
    conv2d, dense, eltwise_add, gelu, layernorm, matmul, model_input, model_output, relu, rmsnorm, scale,
    softmax,
)

__all__ = ["mlp_ops", "cnn_ops", "transformer_block_ops", "transformer_ops", "op_ops", "FAMILY_OPS",
           "FAMILY_DEFAULTS", "network_work"]


def mlp_ops(cfg: Mapping, ra: RunArgs = DEFAULT_RUN_ARGS) -> list[Op]:
    """``chasm.experiments.models.MLP``: input of ``width``, ``depth`` x (Linear(width, width), ReLU),
    Linear(width, outputs); batch 1."""
    width, n_layers, outputs = cfg["width"], cfg["depth"], cfg.get("outputs", 4)
    hidden = dense(1, width, width, ra=ra) + relu(width, ra)
    return [("input", model_input(width, ra)), ("hidden", hidden * n_layers),
            ("readout", dense(1, width, outputs, ra=ra)), ("output", model_output(outputs, ra))]


def cnn_ops(cfg: Mapping, ra: RunArgs = DEFAULT_RUN_ARGS) -> list[Op]:
    """``chasm.experiments.models.CNN``: ``depth`` x (3x3 conv, padding 1, ``channels``; ReLU) on a
    ``size`` x ``size`` single-channel image, then Linear(channels*size^2, outputs)."""
    ch, n_layers, side, outputs = cfg["channels"], int(cfg["depth"]), cfg["size"], cfg.get("outputs", 4)
    ops: list[Op] = [("input", model_input(side**2, ra))]
    c_in = 1
    for i in range(n_layers):
        ops += [(f"conv{i}", conv2d(c_in, ch, 3, side, ra=ra)),
                (f"relu{i}", relu(ch * side**2, ra))]
        c_in = ch
    ops += [("readout", dense(1, ch * side**2, outputs, ra=ra)), ("output", model_output(outputs, ra))]
    return ops


def transformer_block_ops(seq, d_model, heads, ffn_mult=4, activation="relu",
                          ra: RunArgs = DEFAULT_RUN_ARGS) -> list[Op]:
    """One ``chasm.experiments.models.Block`` (pre-norm, biased projections, full attention over ``seq``)."""
    dh = sp.sympify(d_model) / heads
    ffn = ffn_mult * sp.sympify(d_model)
    # a symbolic head width is treated as giving a constant that is not a power of two
    scale_value = 1.0 / math.sqrt(float(dh)) if dh.is_number else 0.5 ** 0.5
    act = relu(seq * ffn, ra) if activation == "relu" else gelu(seq * ffn, ra)
    return [
        ("norm1", layernorm(seq, d_model, ra)),
        ("qkv", dense(seq, d_model, d_model, ra=ra) * 3),
        ("scores", matmul(heads, seq, dh, seq, equation="mbk,nbk->bmn", ra=ra)),
        ("scale", scale(heads * seq * seq, scale_value, ra)),
        ("softmax", softmax(heads * seq, seq, ra)),
        ("attend", matmul(heads, seq, seq, dh, equation="bmk,kbn->mbn", ra=ra)),
        ("proj", dense(seq, d_model, d_model, ra=ra)),
        ("residual1", eltwise_add(seq * d_model)),
        ("norm2", layernorm(seq, d_model, ra)),
        ("ff1", dense(seq, d_model, ffn, ra=ra)),
        ("act", act),
        ("ff2", dense(seq, ffn, d_model, ra=ra)),
        ("residual2", eltwise_add(seq * d_model)),
    ]


def transformer_ops(cfg: Mapping, ra: RunArgs = DEFAULT_RUN_ARGS) -> list[Op]:
    """``chasm.experiments.models.Transformer``: ``layers`` blocks on a (1, seq, d_model) input."""
    seq, dm = cfg["seq"], cfg["d_model"]
    block = transformer_block_ops(seq, dm, cfg["heads"], cfg.get("ffn_mult", 4), cfg.get("activation", "relu"), ra)
    n_layers = cfg["layers"]
    ops: list[Op] = [("input", model_input(seq * dm, ra))]
    ops += [(f"block.{name}", work * n_layers) for name, work in block]
    ops += [("output", model_output(seq * dm, ra))]
    return ops


def op_ops(cfg: Mapping, ra: RunArgs = DEFAULT_RUN_ARGS) -> list[Op]:
    """Single-operation circuits (family ``op``): ``{"op": layernorm|rmsnorm|softmax, "rows", "d"}``
    on a (1, rows, d) input."""
    builders = {"layernorm": layernorm, "rmsnorm": rmsnorm, "softmax": softmax}
    name = cfg["op"]
    if name not in builders:
        raise ValueError(f"unknown single operation {name!r}; known: {', '.join(builders)}")
    rows, width = cfg["rows"], cfg["d"]
    return [("input", model_input(rows * width, ra)), (name, builders[name](rows, width, ra)),
            ("output", model_output(rows * width, ra))]


FAMILY_OPS: dict[str, Callable[..., list[Op]]] = {
    "mlp": mlp_ops, "cnn": cnn_ops, "transformer": transformer_ops, "op": op_ops, "llama": llama_circuit_ops,
}
FAMILY_DEFAULTS = {"mlp": {"outputs": 4}, "cnn": {"outputs": 4},
                   "transformer": {"ffn_mult": 4, "activation": "relu"}, "op": {},
                   "llama": {"cache": 0, "logits": "all"}}


def network_work(family: str, config: Mapping, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Total :class:`Work` of one model of a measured family (fitted constants still symbolic)."""
    if family not in FAMILY_OPS:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILY_OPS)}")
    cfg = {**FAMILY_DEFAULTS[family], **dict(config)}
    return total(work for _, work in FAMILY_OPS[family](cfg, ra))

