"""chasm.costmodel.symbols: every shape symbol is documented; padding to whole rows."""

from __future__ import annotations

import sympy as sp

from chasm.costmodel import symbols


def test_every_shape_symbol_has_a_meaning():
    documented = set(symbols.SYMBOL_DOCS)
    assert {str(s) for s in symbols.SHAPE_SYMBOLS} <= documented
    assert all(text for text in symbols.SYMBOL_DOCS.values())


def test_pad_rounds_up_to_whole_rows():
    assert symbols.pad(5, 2) == 6 and symbols.pad(6, 2) == 6 and symbols.pad(1, 3) == 3
    expr = symbols.pad(symbols.k, symbols.c)
    assert expr.subs({symbols.k: 7, symbols.c: 4}) == 8
    assert isinstance(expr, sp.Expr)
