"""Torch modules of the model families, built from a :class:`chasm.core.specs.ModelSpec` with a fixed seed.

:func:`build` turns a spec into a torch module (eval mode) and a deterministic example input. Weights
are random (seeded): proving and inference cost depend on the shapes, not on the weights' values.

- ``mlp``: ``depth`` hidden layers of ``width`` units with ReLU, then ``outputs`` features.
- ``cnn``: ``depth`` 3x3 convolutions (padding 1) of ``channels`` channels with ReLU on a one-channel
  ``size`` x ``size`` image, then a dense read-out.
- ``transformer``: ``layers`` pre-norm blocks: layer norm, scaled dot-product attention with softmax,
  residual, layer norm, feed-forward of width ``ffn_mult * d_model`` with ReLU or GELU, residual.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from chasm.core.specs import ModelSpec

__all__ = ["SEED", "MLP", "CNN", "Block", "Transformer", "build", "parameter_count"]

#: Seed of the weights (``torch.manual_seed``); the example input uses ``SEED + 1``.
SEED = 0


class MLP(nn.Module):
    def __init__(self, width: int, depth: int, outputs: int):
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Linear(width, width), nn.ReLU()]
        layers.append(nn.Linear(width, outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    def __init__(self, channels: int, depth: int, size: int, outputs: int):
        super().__init__()
        convs: list[nn.Module] = []
        c_in = 1
        for _ in range(depth):
            convs += [nn.Conv2d(c_in, channels, kernel_size=3, padding=1), nn.ReLU()]
            c_in = channels
        self.features = nn.Sequential(*convs)
        self.readout = nn.Linear(channels * size * size, outputs)

    def forward(self, x):
        return self.readout(torch.flatten(self.features(x), 1))


class Block(nn.Module):
    """Pre-norm transformer block written with primitive ops (exports cleanly)."""

    def __init__(self, d_model: int, heads: int, ffn_mult: int, activation: str):
        super().__init__()
        self.heads = heads
        self.d_head = d_model // heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff1 = nn.Linear(d_model, ffn_mult * d_model)
        self.act = nn.ReLU() if activation == "relu" else nn.GELU()
        self.ff2 = nn.Linear(ffn_mult * d_model, d_model)

    def forward(self, x):  # x: (batch, seq, d_model)
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=-1)
        q = q.reshape(b, t, self.heads, self.d_head).transpose(1, 2)
        k = k.reshape(b, t, self.heads, self.d_head).transpose(1, 2)
        v = v.reshape(b, t, self.heads, self.d_head).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.d_head))
        attn = torch.matmul(torch.softmax(scores, dim=-1), v)
        x = x + self.proj(attn.transpose(1, 2).reshape(b, t, d))
        return x + self.ff2(self.act(self.ff1(self.norm2(x))))


class Transformer(nn.Module):
    def __init__(self, d_model: int, heads: int, seq: int, layers: int, ffn_mult: int, activation: str):
        super().__init__()
        self.blocks = nn.Sequential(*[Block(d_model, heads, ffn_mult, activation) for _ in range(layers)])

    def forward(self, x):
        return self.blocks(x)


def build(spec: ModelSpec, batch: int = 1) -> tuple[nn.Module, torch.Tensor]:
    """The torch module for ``spec`` (eval mode) and a deterministic example input."""
    c = spec.config
    torch.manual_seed(SEED)
    if spec.family == "mlp":
        model: nn.Module = MLP(c["width"], c["depth"], c["outputs"])
        shape = (batch, c["width"])
    elif spec.family == "cnn":
        model = CNN(c["channels"], c["depth"], c["size"], c["outputs"])
        shape = (batch, 1, c["size"], c["size"])
    else:
        model = Transformer(c["d_model"], c["heads"], c["seq"], c["layers"], c["ffn_mult"], c["activation"])
        shape = (batch, c["seq"], c["d_model"])
    generator = torch.Generator().manual_seed(SEED + 1)
    x = torch.randn(*shape, generator=generator)
    return model.eval(), x


def parameter_count(model: nn.Module) -> int:
    """Number of trainable parameters (weights and biases)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
