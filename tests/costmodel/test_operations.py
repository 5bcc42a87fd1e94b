"""chasm.costmodel.operations: the work of inference per operation."""

from __future__ import annotations

import sympy as sp

from chasm.costmodel import operations
from chasm.costmodel import symbols


def test_dense_flops_are_two_flops_per_parameter_per_token():
    """A dense layer with bias: FLOPs = 2 * params * tokens - tokens * n exactly (a bias is one
    addition, not a multiply-accumulate); without bias exactly 2 * params * tokens."""
    layer = operations.dense(symbols.m, symbols.k, symbols.n)
    params = symbols.k * symbols.n + symbols.n
    assert sp.simplify(layer.flops - (2 * params * symbols.m - symbols.m * symbols.n)) == 0
    assert sp.limit((layer.flops - 2 * params * symbols.m) / layer.flops, symbols.k, sp.oo) == 0
    no_bias = operations.dense(symbols.m, symbols.k, symbols.n, bias=False)
    assert sp.simplify(no_bias.flops - 2 * (symbols.k * symbols.n) * symbols.m) == 0
