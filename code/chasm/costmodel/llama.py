"""Llama 3: the frontier architectures of ``data/architectures.csv``, the query of
``data/query.csv``, and the work and ezkl cells of a Llama forward pass.

A pass processes ``tokens`` new tokens against a key/value cache; the prefill
of a prompt has ``cache = tokens``, one decoding step ``tokens = 1``. The layout
follows Meta's reference implementation (``SOURCES['llama']``) and is checked
against miniature Llamas laid out by ezkl (family ``llama`` of
``data/measurements/layouts.csv``, :mod:`chasm.experiments.modules`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from chasm.core import data
from chasm.core.constants import ARCHITECTURES, QUERY
from chasm.costmodel.layout import DEFAULT_RUN_ARGS, RunArgs, Work, is_one, total
from chasm.costmodel.operations import (
    dense, eltwise_add, eltwise_mul, kv_repeat, matmul, model_input, model_output, rmsnorm, rope, scale, silu,
    softmax,
)

__all__ = ["Op", "llama_ffn_width", "Architecture", "load_architectures", "list_architectures", "load_query",
           "llama_layer_ops", "llama_pass_ops", "llama_pass", "circuit_architecture", "llama_circuit_ops"]

Op = tuple[str, Work]


def llama_ffn_width(dim: int, ffn_dim_multiplier: float, multiple_of: int) -> int:
    """``FeedForward`` hidden width of the Llama 3 reference implementation (``SOURCES['llama']``)."""
    hidden = int(2 * (4 * dim) / 3)
    hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


@dataclass(frozen=True)
class Architecture:
    """A Llama-3 model as in ``data/architectures.csv``."""

    arch_id: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    ffn_width: int
    vocab_size: int
    context_tokens: int

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def params(self) -> int:
        """Exact parameter count: embeddings, per layer q/k/v/o and three FFN matrices and two
        norm vectors, final norm, untied output matrix."""
        dh = self.head_dim
        per_layer = (self.d_model * self.n_heads * dh + 2 * self.d_model * self.n_kv_heads * dh
                     + self.n_heads * dh * self.d_model + 3 * self.d_model * self.ffn_width + 2 * self.d_model)
        return 2 * self.vocab_size * self.d_model + self.n_layers * per_layer + self.d_model


def load_architectures() -> dict[str, Architecture]:
    """``data/architectures.csv`` as :class:`Architecture` objects keyed by ``arch_id``."""
    frame = data.load_table(ARCHITECTURES)
    out = {}
    for row in frame.to_dict("records"):
        out[row["arch_id"]] = Architecture(row["arch_id"], int(row["n_layers"]), int(row["d_model"]),
                                           int(row["n_heads"]), int(row["n_kv_heads"]), int(row["ffn_width"]),
                                           int(row["vocab_size"]), int(row["context_tokens"]))
    return out


def list_architectures() -> list[str]:
    """Ids of the frontier architectures, e.g. ``['llama3-8b', 'llama3-70b', 'llama3-405b']``."""
    return list(load_architectures())


def load_query() -> dict[str, int]:
    """The query shape used everywhere (``data/query.csv``): prompt and generated tokens."""
    frame = data.load_table(QUERY)
    if len(frame) != 1:
        raise ValueError(f"data/query.csv must hold exactly one query shape, found {len(frame)} rows")
    row = frame.iloc[0]
    return {"prompt_tokens": int(row["prompt_tokens"]), "generated_tokens": int(row["generated_tokens"])}


def llama_layer_ops(arch: Architecture, tokens, cache, ra: RunArgs = DEFAULT_RUN_ARGS) -> list[Op]:
    """One Llama decoder layer processing ``tokens`` new tokens against a key/value cache of
    ``cache`` positions, the new ones included (``cache = tokens`` for the prefill of a prompt,
    ``tokens = 1`` and the current position for one decoding step). Attention over the whole
    cache, masked when several tokens are processed. The ``cache - tokens`` positions computed
    earlier enter the circuit as inputs (keys and values of ``kv_heads`` heads), range-checked
    like any private input."""
    d_, hq, hkv, dh, ff = arch.d_model, arch.n_heads, arch.n_kv_heads, arch.head_dim, arch.ffn_width
    masked = not is_one(tokens)
    ops: list[Op] = []
    cached = sp.simplify(sp.sympify(cache) - tokens)
    if cached != 0:
        ops.append(("kv_cache_input", model_input(2 * cached * hkv * dh, ra)))
    ops += [
        ("attention_norm", rmsnorm(tokens, d_, ra)),
        ("wq", dense(tokens, d_, hq * dh, bias=False, ra=ra)),
        ("wk_wv", dense(tokens, d_, hkv * dh, bias=False, ra=ra) * 2),
        ("rope", rope(sp.sympify(tokens) * (hq + hkv) * dh, ra)),
    ]
    if hq != hkv:
        ops.append(("kv_repeat", kv_repeat(hq, cache, dh)))
    ops += [
        ("scores", matmul(hq, tokens, dh, cache, equation="mbk,nbk->bmn", ra=ra)),
        ("scale", scale(hq * sp.sympify(tokens) * cache, 1 / math.sqrt(dh), ra, then_added=masked)),
    ]
    if masked:
        ops.append(("causal_mask", eltwise_add(hq * sp.sympify(tokens) * cache)))
    ops += [
        ("softmax", softmax(hq * sp.sympify(tokens), cache, ra)),
        ("attend", matmul(hq, tokens, cache, dh, equation="bmk,kbn->mbn", ra=ra)),
        ("wo", dense(tokens, hq * dh, d_, bias=False, ra=ra)),
        ("residual1", eltwise_add(sp.sympify(tokens) * d_)),
        ("ffn_norm", rmsnorm(tokens, d_, ra)),
        ("w1_w3", dense(tokens, d_, ff, bias=False, ra=ra) * 2),
        ("silu", silu(sp.sympify(tokens) * ff, ra)),
        ("gate", eltwise_mul(sp.sympify(tokens) * ff, ra)),
        ("w2", dense(tokens, ff, d_, bias=False, ra=ra)),
        ("residual2", eltwise_add(sp.sympify(tokens) * d_)),
    ]
    return ops


def llama_pass_ops(arch: Architecture, tokens, cache, ra: RunArgs = DEFAULT_RUN_ARGS,
                   logits_tokens=1) -> list[Op]:
    """One forward pass by part: the token embeddings as a private input (range-checked),
    ``n_layers`` decoder layers (:func:`llama_layer_ops`), the final norm and output head for the
    last ``logits_tokens`` tokens (1: the next token only), and the public logits."""
    layer = total(work for _, work in llama_layer_ops(arch, tokens, cache, ra))
    return [
        ("embeddings_input", model_input(sp.sympify(tokens) * arch.d_model, ra)),
        ("layers", layer * arch.n_layers),
        ("final_norm", rmsnorm(logits_tokens, arch.d_model, ra)),
        ("output_head", dense(logits_tokens, arch.d_model, arch.vocab_size, bias=False, ra=ra)),
        ("logits_output", model_output(sp.sympify(logits_tokens) * arch.vocab_size, ra)),
    ]


def llama_pass(arch: Architecture, tokens, cache, ra: RunArgs = DEFAULT_RUN_ARGS, logits_tokens=1) -> Work:
    """Total :class:`~chasm.costmodel.layout.Work` of :func:`llama_pass_ops`."""
    return total(work for _, work in llama_pass_ops(arch, tokens, cache, ra, logits_tokens))


def circuit_architecture(cfg) -> Architecture:
    """The :class:`Architecture` of a miniature Llama circuit configuration (family ``llama``)."""
    return Architecture("circuit", int(cfg["layers"]), int(cfg["d_model"]), int(cfg["heads"]),
                        int(cfg["kv_heads"]), int(cfg["ffn"]), int(cfg["vocab"]), 0)


def llama_circuit_ops(cfg, ra: RunArgs = DEFAULT_RUN_ARGS) -> list[Op]:
    """The miniature Llama circuits of ``layouts.csv`` (family ``llama``, built by
    :func:`chasm.experiments.modules.build_llama`): ``seq`` new tokens after ``cache`` cached positions,
    logits for every new token (``logits = "all"``) or the last (``"last"``; the model keeps the
    last layer's work for the other tokens, which ezkl's graph optimiser partly drops)."""
    arch = circuit_architecture(cfg)
    seq = int(cfg["seq"])
    logits_tokens = 1 if cfg.get("logits", "all") == "last" else seq
    return llama_pass_ops(arch, seq, seq + int(cfg.get("cache", 0)), ra, logits_tokens=logits_tokens)
