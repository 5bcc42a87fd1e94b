"""chasm.costmodel.layout: cells of ezkl's primitives, the Freivalds choice, and run arguments."""

from __future__ import annotations

import pytest
import sympy as sp

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


# ------------------------------------------------------- known answers (issue 16, mutation testing)

FOUR_COLS = layout.RunArgs(inner_cols=4)


def test_primitive_costs_by_known_answers_at_other_run_arguments():
    """By hand from the docstrings: decompose = (λ + 1) + 1 + λ + pad_c(λ) + 1 + 1; with four inner columns
    and two legs 3 + 1 + 2 + 4 + 2 = 12; rescale = D + 1 + (1 + D + 1) + (1 + (D + 4 + 2) + (1 + 4)) + 1 =
    12 + 1 + 14 + 24 + 1 = 52; ReLU = D + 1 + 4 + 1 = 18; a public output 2 D + 1 = 25, a private one none."""
    assert layout.decompose_cells(FOUR_COLS) == 12
    assert layout.decompose_cells(layout.RunArgs(inner_cols=1)) == 3 + 1 + 2 + 2 + 2
    assert layout.decompose_cells(layout.RunArgs(legs=5, inner_cols=4)) == 6 + 1 + 5 + 8 + 2
    assert layout.rescale_cells(FOUR_COLS) == 52
    assert layout.relu_cells(FOUR_COLS) == 18
    assert layout.output_cells(FOUR_COLS) == 25
    assert layout.output_cells(layout.RunArgs(output_public=False)) == 0
    assert layout.input_cells() == 10 and layout.input_cells(FOUR_COLS) == 12
    assert layout.equals_zero_cells() == 4 and layout.lookup_cells() == 1
    assert layout.rotate_half_cells() == sp.Rational(5, 2)
    sym = layout.RunArgs.symbolic()
    assert sp.simplify(layout.decompose_cells(sym) - (2 * symbols.lam + 4 + symbols.pad(symbols.lam, symbols.c))) == 0


def test_multiplication_by_a_constant():
    """Free for 1, one cell for 2**-j (j >= 1), a product and a rescaling (1 + 46 cells at the defaults,
    1 + 52 at four columns) otherwise, and after a change of scale that is next added."""
    assert layout.const_mul_cells(1) == 0
    assert layout.const_mul_cells(0.5) == 1 and layout.const_mul_cells(2**-3) == 1
    assert layout.const_mul_cells(0.5, then_added=True) == 47
    for value in (2, 3, 0.3, 0.75, -0.5, 0):
        assert layout.const_mul_cells(value) == 47, value
    assert layout.const_mul_cells(0.3, FOUR_COLS) == 53
    assert layout.const_mul_cells(1, FOUR_COLS, then_added=True) == 0


def test_run_args_from_ezkls_names_and_symbols():
    assert layout.DEFAULT_RUN_ARGS == layout.RunArgs(2, 2, 16384, True, True)
    got = layout.RunArgs.from_run_args(num_inner_cols=4.0, decomp_legs="3", decomp_base=256.0, disable_freivalds=1,
                                       output_visibility="private", input_visibility="public", logrows=17)
    assert got == layout.RunArgs(4, 3, 256, False, False)
    assert type(got.inner_cols) is int and type(got.legs) is int and type(got.base) is int
    assert layout.RunArgs.from_run_args() == layout.DEFAULT_RUN_ARGS
    with pytest.raises(ValueError, match="output_visibility must be 'public' or 'private', not 'hashed'"):
        layout.RunArgs.from_run_args(output_visibility="hashed")
    with pytest.raises(ValueError, match="param_visibility='fixed' only, not 'public'"):
        layout.RunArgs.from_run_args(param_visibility="public")
    assert layout.RunArgs.symbolic() == layout.RunArgs(symbols.c, symbols.lam, symbols.B, True, True)
    assert layout.RunArgs.symbolic(legs=3, freivalds=False) == layout.RunArgs(symbols.c, 3, symbols.B, False, True)


def test_work_arithmetic_field_by_field():
    a = layout.Work(1, 2, 3, 4, 5, 6)
    b = layout.Work(10, 20, 30, 40, 50, symbols.k)
    assert a + b == layout.Work(11, 22, 33, 44, 55, 6 + symbols.k)
    assert 3 * a == a * 3 == layout.Work(3, 6, 9, 12, 15, 18)
    assert layout.total([a, b, a]) == layout.Work(12, 24, 36, 48, 60, 12 + symbols.k)
    assert layout.total([]) == layout.Work()
    assert b.subs({symbols.k: 7}) == layout.Work(10, 20, 30, 40, 50, 7)
    assert b.evaluate({symbols.k: 7}) == {"macs": 10.0, "elementwise": 20.0, "nonlin": 30.0, "rescales": 40.0,
                                          "cells": 50.0, "einsum_cells": 7.0, "flops": 40.0}
    assert a.evaluate() == {"macs": 1.0, "elementwise": 2.0, "nonlin": 3.0, "rescales": 4.0, "cells": 5.0,
                            "einsum_cells": 6.0, "flops": 4.0}
    assert layout.Work().evaluate() == dict.fromkeys(("macs", "elementwise", "nonlin", "rescales", "cells",
                                                      "einsum_cells", "flops"), 0.0)


def test_cells_per_mac_limit_counts_base_and_einsum_cells():
    """(cells + einsum cells) / MACs as every shape grows together, padding dropped: 3 N^2 + 4 N cells
    for N^2 MACs is 3; with einsum cells of 2 N^2 it is 5; a run argument stays a symbol."""
    N = symbols.n
    assert layout.cells_per_mac_limit(layout.Work(macs=N**2, cells=3 * N**2 + 4 * N)) == 3
    assert layout.cells_per_mac_limit(layout.Work(macs=N**2, cells=3 * N**2, einsum_cells=2 * N**2 + N)) == 5
    padded = layout.Work(macs=symbols.m * symbols.k, cells=symbols.m * symbols.pad(symbols.k, symbols.c))
    assert layout.cells_per_mac_limit(padded) == 1
    assert layout.cells_per_mac_limit(layout.Work(macs=N, cells=symbols.c * N + N)) == symbols.c + 1


def test_is_one_and_the_freivalds_choice_by_cases():
    assert layout.is_one(1) and layout.is_one(sp.Integer(1))
    assert not layout.is_one(2) and not layout.is_one(symbols.c) and not layout.is_one(0)
    # an output axis, a contracted or shared axis, and more than one axis that is not shared
    assert layout.uses_freivalds("mbk,nbk->bmn", dict(b=2, m=3, k=5, n=7))
    assert not layout.uses_freivalds("mk,kn->mn", dict(m=4, k=1, n=8))      # nothing shared once k = 1
    assert not layout.uses_freivalds("mk,kn->mn", dict(m=4, k=8, n=1))      # one axis not shared
    assert not layout.uses_freivalds("k,k->", dict(k=8))                    # no output axis
    assert not layout.uses_freivalds("mk,kn->mn", dict(m=1, k=8, n=1))
    assert layout.uses_freivalds("mk,kn->mn", dict(m=2, k=2, n=2))
    assert layout.uses_freivalds("ij,ij->i", dict(i=3, j=5)) is False    # i and j shared: nothing else


def test_freivalds_reduction_cells_by_hand():
    """``mk,kn->mn``, m = 3, k = 5, n = 7, two columns: the output's random linear combinations over n then m
    (3 pad(7) + pad(3) = 28), then the inputs: over m (pad(3) for each of 5 k: 20), over n (pad(7) x 5:
    40) and the contraction of k by the two inputs (pad(5) = 6): 94. Four columns: 28 + 20 + 40 + 8 = 96.
    Batched ``mbk,nbk->bmn`` (b 2, m 3, k 5, n 7): output 6 pad(7) + 2 pad(3) + pad(2) = 58; the two inputs
    multiplied pairwise (2 x 3 x 5 x 7 = 210 products, unpadded), then combined over b (105 pad(2) = 210),
    m (35 pad(3) = 140), n (5 pad(7) = 40), and k contracted (pad(5) = 6): 58 + 606 = 664.
    Three inputs ``ij,ij,ij->i`` (i 3, j 5): output pad(3) = 4; three-way products 3 x 15 = 45 (a product of
    three counts three cells); combined over i (5 pad(3) = 20); j contracted (pad(5) = 6): 75."""
    assert layout.freivalds_reduction_cells("mk,kn->mn", dict(m=3, k=5, n=7)) == 94
    assert layout.freivalds_reduction_cells("mk,kn->mn", dict(m=3, k=5, n=7), FOUR_COLS) == 96
    assert layout.freivalds_reduction_cells("mbk,nbk->bmn", dict(b=2, m=3, k=5, n=7)) == 664
    assert layout.freivalds_reduction_cells("ij,ij,ij->i", dict(i=3, j=5)) == 75
    # axes of size 1 are dropped first: the same as the product without them
    assert layout.freivalds_reduction_cells("mbk,nbk->bmn", dict(b=1, m=3, k=5, n=7)) == \
        layout.freivalds_reduction_cells("mk,nk->mn", dict(m=3, k=5, n=7))


def test_base_einsum_cells_by_hand():
    """One dot per output element, each padded to whole rows: 4 x 3 outputs of pad(5) = 6 cells; a one-row
    product 3 x 6; the batched product 42 outputs of 6; two contracted axes (3 x 5) pad(15) = 16 for each of
    3 outputs; four columns pad(5, 4) = 8."""
    assert layout.base_einsum_cells("mk,kn->mn", dict(m=4, k=5, n=3)) == 72
    assert layout.base_einsum_cells("mk,kn->mn", dict(m=1, k=5, n=3)) == 18
    assert layout.base_einsum_cells("mbk,nbk->bmn", dict(b=2, m=3, k=5, n=7)) == 252
    assert layout.base_einsum_cells("ijk,jk->i", dict(i=3, j=3, k=5)) == 48
    assert layout.base_einsum_cells("mk,kn->mn", dict(m=4, k=5, n=3), FOUR_COLS) == 96
