"""Torch model families parameterised by size, built with a fixed seed.

Three families, each a plain function of its size parameters:

- ``mlp``: ``depth`` hidden layers of ``width`` units with ReLU, input and
  output of ``width`` and ``outputs`` features.
- ``cnn``: ``depth`` 3x3 convolutions of ``channels`` channels with ReLU on a
  ``size`` x ``size`` single-channel image, then a dense read-out.
- ``transformer``: ``layers`` pre-norm transformer blocks of model width
  ``d_model`` with ``heads`` attention heads over ``seq`` tokens: layer norm,
  scaled dot-product attention with softmax, residual, layer norm, feed-forward
  of width ``ffn_mult * d_model`` with ReLU or GELU, residual.

:func:`build` turns a :class:`ModelSpec` into a torch module and an example
input (both deterministic). Weights are random (seeded): proving and inference
cost do not depend on the values of the weights, only on the shapes.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import torch
from torch import nn

FAMILIES = ("mlp", "cnn", "transformer")

#: Size parameters each family requires, with their meaning.
REQUIRED_KEYS = {
    "mlp": {"width": "hidden units per layer", "depth": "number of hidden layers"},
    "cnn": {"channels": "channels per conv layer", "depth": "conv layers", "size": "image side, pixels"},
    "transformer": {
        "d_model": "model width", "heads": "attention heads", "seq": "tokens", "layers": "blocks",
    },
}
#: Optional size parameters and their defaults.
DEFAULTS = {
    "mlp": {"outputs": 4},
    "cnn": {"outputs": 4},
    "transformer": {"ffn_mult": 4, "activation": "relu"},
}
SEED = 0


class ModelConfigError(ValueError):
    """A model family or size configuration is malformed."""


@dataclass(frozen=True)
class ModelSpec:
    """A model family and its size parameters (JSON-serialisable)."""

    family: str
    config: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ModelConfigError(f"unknown model family {self.family!r}; known: {', '.join(FAMILIES)}")
        missing = set(REQUIRED_KEYS[self.family]) - set(self.config)
        if missing:
            raise ModelConfigError(f"{self.family} config lacks {sorted(missing)}")
        allowed = set(REQUIRED_KEYS[self.family]) | set(DEFAULTS[self.family])
        unknown = set(self.config) - allowed
        if unknown:
            raise ModelConfigError(f"{self.family} config has unknown keys {sorted(unknown)}")
        full = {**DEFAULTS[self.family], **self.config}
        for key, value in full.items():
            if key == "activation":
                if value not in ("relu", "gelu"):
                    raise ModelConfigError(f"activation must be 'relu' or 'gelu', got {value!r}")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ModelConfigError(f"{self.family} config {key}={value!r} must be a positive integer")
        if self.family == "transformer" and full["d_model"] % full["heads"]:
            raise ModelConfigError("transformer d_model must be divisible by heads")
        object.__setattr__(self, "config", full)

    @property
    def config_json(self) -> str:
        return json.dumps(self.config, sort_keys=True, separators=(",", ":"))

    @property
    def config_id(self) -> str:
        """Short stable id, e.g. ``mlp-w32-d2-3f9a``: readable prefix plus hash."""
        digest = hashlib.sha256(f"{self.family}:{self.config_json}".encode()).hexdigest()[:6]
        short = "-".join(f"{k[0]}{v}" for k, v in sorted(self.config.items()) if k in REQUIRED_KEYS[self.family])
        return f"{self.family}-{short}-{digest}"

    def label(self) -> str:
        return f"{self.family}({', '.join(f'{k}={v}' for k, v in sorted(self.config.items()))})"


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
