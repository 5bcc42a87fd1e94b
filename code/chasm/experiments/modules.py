"""Torch modules of the circuits :mod:`chasm.experiments.layouts` lays out that are not model families.

Two kinds, each a plain function of a size configuration:

- ``op``: one composite operation (layer norm, RMS norm, softmax) on a
  ``(1, rows, d)`` input, to fit the cost model's per-element and per-row
  constants (``{"op", "rows", "d"}``).
- ``llama``: a Llama-3 decoder in miniature, to validate the cost model's
  Llama layout (:func:`chasm.costmodel.llama.llama_pass`) on the operations the
  measured families do not have: RMSNorm, grouped-query attention (keys and
  values repeated over ``heads / kv_heads`` query heads, as ``repeat_kv`` in
  Meta's reference implementation), rotary position embeddings, the causal mask,
  the SwiGLU feed-forward, bias-free projections, an output head over a
  vocabulary, and decoding against a key/value cache. Configuration:
  ``d_model``, ``heads``, ``kv_heads``, ``ffn`` (feed-forward width), ``vocab``,
  ``layers``, ``seq`` (tokens processed) and optionally ``cache`` (positions
  already in the key/value cache; then the cache is an input of the circuit and
  ``seq`` new tokens are decoded against it) and ``logits`` (``"all"``, the
  default: logits for every processed token, as the reference implementation
  computes them; ``"last"``: for the last token only, as when generating).

The rotary embedding is written with ``rotate_half`` (as in Hugging Face's
Llama) because ONNX has no complex numbers; it computes the same rotation as
the reference implementation's complex product. Weights are random (seeded):
layouts depend only on shapes.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["SEED", "MASK_VALUE", "ROPE_THETA", "RMSNorm", "Softmax", "OPS", "build_op", "LlamaLayer", "TinyLlama",
           "LLAMA_KEYS", "build_llama"]

#: Seed of the weights and inputs.
SEED = 0
#: Additive causal-mask value for future positions (fixed point: a large negative number that
#: keeps the calibrated range small; the layout does not depend on it).
MASK_VALUE = -64.0
#: Rotary base of Llama 3 (``rope_theta`` in the reference ``ModelArgs``).
ROPE_THETA = 500000.0


class RMSNorm(nn.Module):
    """Llama's RMSNorm written with primitive ops (as its reference implementation).

    ``eps`` is added to the mean square; the gain is ``1 + 0.1 * randn`` (drawn from torch's global
    generator, so a seeded caller gets the same weights) or, with ``random_gain=False``, ones.
    """

    def __init__(self, width: int, *, eps: float = 1e-5, random_gain: bool = True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1 + 0.1 * torch.randn(width) if random_gain else torch.ones(width))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)


OPS = {"layernorm": nn.LayerNorm, "rmsnorm": RMSNorm, "softmax": lambda width: Softmax()}


def build_op(cfg: dict) -> tuple[nn.Module, torch.Tensor]:
    """Single operation ``cfg['op']`` on a ``(1, rows, d)`` input."""
    if cfg["op"] not in OPS:
        raise ValueError(f"unknown single operation {cfg['op']!r}; known: {', '.join(OPS)}")
    torch.manual_seed(SEED)
    x = torch.randn(1, cfg["rows"], cfg["d"], generator=torch.Generator().manual_seed(SEED + 1))
    return OPS[cfg["op"]](cfg["d"]).eval(), x


def _rope_tables(positions: torch.Tensor, head_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    inv = ROPE_THETA ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = positions[:, None].float() * inv[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


class LlamaLayer(nn.Module):
    """One Llama decoder layer over ``seq`` new tokens at positions ``cache .. cache + seq - 1``."""

    def __init__(self, d_model: int, heads: int, kv_heads: int, ffn: int, seq: int, cache: int):
        super().__init__()
        if d_model % heads or heads % kv_heads:
            raise ValueError(f"heads ({heads}) must divide d_model ({d_model}) and be a multiple of "
                             f"kv_heads ({kv_heads})")
        self.heads, self.kv_heads, self.head_dim, self.cache = heads, kv_heads, d_model // heads, cache
        self.attention_norm, self.ffn_norm = RMSNorm(d_model), RMSNorm(d_model)
        self.wq = nn.Linear(d_model, heads * self.head_dim, bias=False)
        self.wk = nn.Linear(d_model, kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(d_model, kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(heads * self.head_dim, d_model, bias=False)
        self.w1 = nn.Linear(d_model, ffn, bias=False)
        self.w2 = nn.Linear(ffn, d_model, bias=False)
        self.w3 = nn.Linear(d_model, ffn, bias=False)
        cos, sin = _rope_tables(torch.arange(cache, cache + seq), self.head_dim)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        if seq > 1:
            mask = torch.triu(torch.full((seq, cache + seq), MASK_VALUE), diagonal=cache + 1)
            self.register_buffer("mask", mask)
        else:
            self.mask = None

    def rope(self, x):
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * self.cos + rotated * self.sin

    def forward(self, x, cache_k=None, cache_v=None):
        b, t, _ = x.shape
        h = self.attention_norm(x)
        q = self.wq(h).reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.wk(h).reshape(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(h).reshape(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = self.rope(q), self.rope(k)
        if cache_k is not None:
            k, v = torch.cat([cache_k, k], dim=2), torch.cat([cache_v, v], dim=2)
        repeat = self.heads // self.kv_heads
        k, v = k.repeat_interleave(repeat, dim=1), v.repeat_interleave(repeat, dim=1)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        if self.mask is not None:
            scores = scores + self.mask
        attended = torch.matmul(torch.softmax(scores, dim=-1), v)
        x = x + self.wo(attended.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))
        g = self.ffn_norm(x)
        return x + self.w2(nn.functional.silu(self.w1(g)) * self.w3(g))


class TinyLlama(nn.Module):
    """``layers`` Llama decoder layers, final RMSNorm and output head (logits for every new token,
    or for the last one);
    inputs: token embeddings ``(1, seq, d_model)`` and, when decoding, each layer's cached keys
    and values ``(1, kv_heads, cache, head_dim)``."""

    def __init__(self, cfg: dict):
        super().__init__()
        cache = int(cfg.get("cache", 0))
        self.layers = nn.ModuleList(
            LlamaLayer(cfg["d_model"], cfg["heads"], cfg["kv_heads"], cfg["ffn"], cfg["seq"], cache)
            for _ in range(cfg["layers"]))
        self.norm = RMSNorm(cfg["d_model"])
        self.output = nn.Linear(cfg["d_model"], cfg["vocab"], bias=False)
        if cfg.get("logits", "all") not in ("all", "last"):
            raise ValueError(f"llama circuit logits must be 'all' or 'last', not {cfg['logits']!r}")
        self.last_only = cfg.get("logits", "all") == "last"

    def forward(self, x, *caches):
        for i, layer in enumerate(self.layers):
            x = layer(x, *caches[2 * i:2 * i + 2]) if caches else layer(x)
        if self.last_only:
            x = x[:, -1:, :]
        return self.output(self.norm(x))


LLAMA_KEYS = ("d_model", "heads", "kv_heads", "ffn", "vocab", "seq", "layers")


def build_llama(cfg: dict) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The miniature Llama of ``cfg`` and its inputs (embeddings, then per layer cached k and v)."""
    missing = [key for key in LLAMA_KEYS if key not in cfg]
    if missing:
        raise ValueError(f"llama circuit config lacks {missing}")
    torch.manual_seed(SEED)
    model = TinyLlama(cfg).eval()
    generator = torch.Generator().manual_seed(SEED + 1)
    inputs = [torch.randn(1, cfg["seq"], cfg["d_model"], generator=generator)]
    cache = int(cfg.get("cache", 0))
    if cache:
        head_dim = cfg["d_model"] // cfg["heads"]
        inputs += [torch.randn(1, cfg["kv_heads"], cache, head_dim, generator=generator)
                   for _ in range(2 * cfg["layers"])]
    return model, tuple(inputs)
