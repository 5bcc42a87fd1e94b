"""Model families and their size configurations, without torch.

A :class:`ModelSpec` names a family and its size parameters, checks them, and gives the stable
identifiers the measurements are keyed by (``config_id``, ``config_json``). It imports no torch, so
planning a sweep, reading its results and fitting laws never load it; the torch modules themselves
are built by :func:`chasm.experiments.models.build`.

Families (see :mod:`chasm.experiments.models` for the layers):

- ``mlp``: ``depth`` hidden layers of ``width`` units, output of ``outputs`` features;
- ``cnn``: ``depth`` 3x3 convolutions of ``channels`` channels on a ``size`` x ``size`` image, then a
  dense read-out of ``outputs``;
- ``transformer``: ``layers`` pre-norm blocks of width ``d_model``, ``heads`` heads, ``seq`` tokens,
  feed-forward ``ffn_mult * d_model``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from chasm.core.constants import FAMILIES

__all__ = ["FAMILIES", "REQUIRED_KEYS", "DEFAULTS", "ModelConfigError", "ModelSpec", "parameter_count"]

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


def parameter_count(spec: ModelSpec) -> int:
    """Trainable parameters (weights and biases) of ``spec``'s model, counted from its shapes.

    Equals the torch module's count (``tests/core/test_specs.py`` checks every family).
    """
    c = spec.config
    if spec.family == "mlp":
        w, out = c["width"], c["outputs"]
        return c["depth"] * (w * w + w) + w * out + out
    if spec.family == "cnn":
        ch, out = c["channels"], c["outputs"]
        convs = (9 * ch + ch) + (c["depth"] - 1) * (9 * ch * ch + ch)
        return convs + ch * c["size"] ** 2 * out + out
    d, f = c["d_model"], c["ffn_mult"] * c["d_model"]
    block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)
    return c["layers"] * block
