"""chasm.costmodel.layout: cells of ezkl's primitives, the Freivalds choice, and run arguments."""

from __future__ import annotations

import pytest

from chasm.costmodel import families
from chasm.costmodel import layout
from chasm.costmodel import operations
from chasm.costmodel import symbols


def test_primitive_costs_follow_the_source_derivation():
    assert layout.decompose_cells() == 10          # ezkl defaults: 2 legs, 2 inner columns
    assert layout.rescale_cells() == 46
    assert layout.relu_cells() == 16
    assert layout.output_cells() == 21
    legs3 = layout.RunArgs(legs=3, base=256)
    assert layout.decompose_cells(legs3) == 14 and layout.rescale_cells(legs3) == 58


def test_freivalds_strategy_and_batched_products():
    # a matrix-vector product (one token) is laid out with base operations, a matrix product is not
    assert not layout.uses_freivalds("mk,kn->mn", {"m": 1, "k": 8, "n": 8})
    assert layout.uses_freivalds("mk,kn->mn", {"m": 4, "k": 8, "n": 8})
    dims = {"m": 4, "k": 8, "n": 8}
    assert layout.freivalds_reduction_cells("mk,kn->mn", dims) == 4 * 8 + 8 * 8 + 8 + 4 * 8 + 4
    # batched over heads, the planner first multiplies the inputs pairwise: about 2 b*m*n*k cells,
    # twice the multiply-accumulates, where an unbatched product needs far fewer cells than MACs
    size = 1000
    batched = layout.freivalds_reduction_cells("mbk,nbk->bmn", dict.fromkeys("bmkn", size))
    assert float(batched) / size**4 == pytest.approx(2, rel=0.01)
    plain = layout.freivalds_reduction_cells("mk,kn->mn", dict.fromkeys("mkn", size))
    assert float(plain) / size**3 < 0.01


def test_cells_per_mac_limits():
    """One cell per MAC for a one-token product, none (in the limit) for a Freivalds product,
    two for attention's products batched over heads."""
    symbolic = layout.RunArgs.symbolic(inner_cols=1)
    assert layout.cells_per_mac_limit(operations.dense(1, symbols.k, symbols.n, bias=False, ra=layout.RunArgs.symbolic())) == 1
    assert layout.cells_per_mac_limit(operations.dense(symbols.m, symbols.k, symbols.n, bias=False, ra=symbolic)) == 0
    assert layout.cells_per_mac_limit(operations.matmul(symbols.h, symbols.T, symbols.d_h, symbols.T, ra=symbolic)) == 2


def test_layout_rejects_unsupported_run_args():
    with pytest.raises(ValueError, match="param_visibility"):
        layout.RunArgs.from_run_args(param_visibility="private")
    with pytest.raises(ValueError, match="unknown family"):
        families.network_work("rnn", {})
