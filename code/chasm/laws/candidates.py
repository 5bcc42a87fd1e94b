"""The candidate laws ``f(N)`` of a quantity against circuit size ``N`` (rows), fitted in :mod:`chasm.laws.estimation`.

A power law ``a N^b``, ``a N log2 N + b N``, an affine ``c0 + c1 N``, a first-principles prover form
``c0 + c1 N log2 N + c2 N / log2 N`` (FFT-like plus MSM-like terms), and the cost model's own form
``c0 + c1 W(N)`` with ``W`` the prover work of :func:`chasm.costmodel.prover.prover_work`. All but the
power law are sums of nonnegative basis functions with nonnegative coefficients."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Candidate", "POWER", "CANDIDATES", "RATE_CANDIDATES", "candidate", "prover_work_of_rows", "clear_caches"]


@dataclass(frozen=True)
class Candidate:
    """A candidate law ``f(N)``: a name, its formula, parameter names and basis.

    ``basis`` is ``None`` for the power law ``a N^b`` (fitted in closed form as a
    straight line in log-log space); otherwise ``f(N) = basis(N) @ theta`` with
    every basis column and every coefficient nonnegative.
    """

    name: str
    formula: str
    param_names: tuple[str, ...]
    basis: Callable[[np.ndarray], np.ndarray] | None = None
    note: str = ""

    @property
    def n_params(self) -> int:
        return len(self.param_names)


def _log2(n: np.ndarray) -> np.ndarray:
    return np.log2(np.maximum(np.asarray(n, dtype=float), 2.0))


def _basis_nlogn(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([n * _log2(n), n])


def _basis_affine(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([np.ones_like(n), n])


def _basis_log(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([np.ones_like(n), _log2(n)])


def _basis_prover_work(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([np.ones_like(n), n * _log2(n), n / _log2(n)])


@functools.lru_cache(maxsize=8)
def _lambdified_prover_work(prover_work: Callable, constants: tuple, k_symbol) -> Callable:
    """``prover_work(k)`` with ``constants`` substituted, as a numpy function of ``k``.

    Cached per (function, constants, symbol), so a changed or replaced cost model
    never reuses a stale expression; :func:`clear_caches` empties the cache.
    """
    import sympy

    expr = prover_work(k_symbol).subs(dict(constants))
    return sympy.lambdify(k_symbol, expr, "numpy")


def clear_caches() -> None:
    """Forget the lambdified cost-model expressions (for tests that replace the cost model)."""
    _lambdified_prover_work.cache_clear()


def prover_work_of_rows(n: np.ndarray) -> np.ndarray:
    """The cost model's prover work (BN254 field multiplications) of one proof of ``n`` rows.

    :func:`chasm.costmodel.prover.prover_work` with the constants read for a frontier circuit
    (:func:`chasm.costmodel.prover.prover_constants`), evaluated at ``k = log2(n)``.
    """
    from chasm.costmodel import prover, symbols

    constants = tuple(sorted(prover.prover_constants().items(), key=lambda item: str(item[0])))
    fn = _lambdified_prover_work(prover.prover_work, constants, symbols.kk)
    return np.asarray(fn(_log2(n)), dtype=float)


def _basis_costmodel(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([np.ones_like(n), prover_work_of_rows(n)])


POWER = Candidate("power", "a N^b", ("a", "b"), None, note="straight line in log-log space")
CANDIDATES: tuple[Candidate, ...] = (
    POWER,
    Candidate("nlogn", "a N log2 N + b N", ("a", "b"), _basis_nlogn, note="nonnegative coefficients"),
    Candidate("affine", "c0 + c1 N", ("c0", "c1"), _basis_affine, note="fixed overhead + linear work"),
    Candidate("fft_msm", "c0 + c1 N log2 N + c2 N / log2 N", ("c0", "c1", "c2"), _basis_prover_work,
              note="overhead + FFT-like (N log2 N) + MSM-like (N / log2 N) terms, nonnegative coefficients"),
    Candidate("costmodel", "c0 + c1 W(N)", ("c0", "c1"), _basis_costmodel,
              note="overhead + c1 per field multiplication of the cost model's prover work W(N) "
                   "(chasm.costmodel.prover.prover_work)"),
)


#: Laws for a rate per operation (e.g. nanoseconds per field multiplication) against size: a slow
#: power-law drift, or a logarithmic one (memory hierarchy, deeper FFTs). The laws of totals above would
#: make a per-operation time grow without bound (an affine rate means quadratic total time).
RATE_CANDIDATES: tuple[Candidate, ...] = (
    POWER,
    Candidate("log", "c0 + c1 log2 N", ("c0", "c1"), _basis_log,
              note="rate drifting with the number of doublings, nonnegative coefficients"),
)


def candidate(name: str) -> Candidate:
    for c in CANDIDATES:
        if c.name == name:
            return c
    raise KeyError(f"unknown candidate law {name!r}; known: {', '.join(c.name for c in CANDIDATES)}")
