"""chasm.laws.candidates: the cost model's law is the cost model's prover work, never a stale copy of it."""

from __future__ import annotations

import numpy as np
import pytest

from chasm.costmodel import prover, symbols
from chasm.laws import candidates


def test_cost_model_form_is_the_cost_models_prover_work():
    import sympy

    cand = candidates.candidate("costmodel")
    work = prover.prover_work(symbols.kk).subs(prover.prover_constants())
    for k in (12, 20, 26):
        expected = float(work.subs(symbols.kk, k))
        assert cand.basis(np.array([2.0**k]))[0, 1] == pytest.approx(expected, rel=1e-12)
        assert cand.basis(np.array([2.0**k]))[0, 0] == 1.0
    assert isinstance(work, sympy.Expr)


def test_cost_model_cache_follows_the_cost_model(monkeypatch):
    """The lambdified prover work is keyed by the cost model's function and constants: no stale reuse."""
    n = np.array([2.0**20])
    before = candidates.prover_work_of_rows(n)[0]
    read = prover.prover_constants
    doubled = lambda *a, **kw: {key: (2 * value if str(key) == str(symbols.gamma) else value)  # noqa: E731
                                for key, value in read(*a, **kw).items()}
    monkeypatch.setattr(prover, "prover_constants", doubled)
    assert candidates.prover_work_of_rows(n)[0] > before
    monkeypatch.undo()
    assert candidates.prover_work_of_rows(n)[0] == before
