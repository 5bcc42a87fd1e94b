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


def test_each_basis_by_known_answers_with_log2_floored_at_one():
    """At N = 1, 2, 8 and 1024 rows (log2 N taken as at least 1: log2 of 1 would divide by zero)."""
    n = np.array([1.0, 2.0, 8.0, 1024.0])
    by = {c.name: c for c in candidates.CANDIDATES + candidates.RATE_CANDIDATES}
    assert np.array_equal(by["nlogn"].basis(n), [[1, 1], [2, 2], [24, 8], [10240, 1024]])
    assert np.array_equal(by["affine"].basis(n), [[1, 1], [1, 2], [1, 8], [1, 1024]])
    assert np.allclose(by["fft_msm"].basis(n), [[1, 1, 1], [1, 2, 2], [1, 24, 8 / 3], [1, 10240, 102.4]],
                       rtol=1e-15, atol=0)
    assert np.array_equal(by["log"].basis(n), [[1, 1], [1, 1], [1, 3], [1, 10]])
    assert np.array_equal(by["costmodel"].basis(n)[:, 0], [1, 1, 1, 1])
    assert by["costmodel"].basis(n)[0, 1] == by["costmodel"].basis(np.array([2.0]))[0, 1]  # N = 1 read as 2
    assert np.array_equal(by["affine"].basis([3, 5]), [[1, 3], [1, 5]])  # a list of integers is read as floats


def test_the_candidates_their_parameters_and_an_unknown_name():
    assert [c.name for c in candidates.CANDIDATES] == ["power", "nlogn", "affine", "fft_msm", "costmodel"]
    assert [c.name for c in candidates.RATE_CANDIDATES] == ["power", "log"]
    assert [c.n_params for c in candidates.CANDIDATES] == [2, 2, 2, 3, 2]
    assert [c.param_names for c in candidates.RATE_CANDIDATES] == [("a", "b"), ("c0", "c1")]
    assert candidates.POWER.basis is None and candidates.candidate("power") is candidates.POWER
    for c in candidates.CANDIDATES[1:] + candidates.RATE_CANDIDATES[1:]:
        assert c.basis(np.array([4.0, 64.0])).shape == (2, c.n_params), c.name
    assert all(candidates.candidate(c.name) is c for c in candidates.CANDIDATES)
    with pytest.raises(KeyError, match="unknown candidate law 'log2'; known: power, nlogn, affine, fft_msm, costmodel"):
        candidates.candidate("log2")


def test_clearing_the_cache_recomputes_the_same_prover_work():
    n = np.array([2.0**16, 2.0**22])
    before = candidates.prover_work_of_rows(n)
    candidates.clear_caches()
    assert candidates._lambdified_prover_work.cache_info().currsize == 0
    assert np.array_equal(candidates.prover_work_of_rows(n), before)
    assert np.array_equal(candidates.prover_work_of_rows([1.0, 2.0]), candidates.prover_work_of_rows([2.0, 2.0]))
