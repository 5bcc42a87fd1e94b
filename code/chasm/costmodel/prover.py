"""Prover work of a halo2-KZG proof of ``2**k`` rows, chunking of circuits too big for one
proof, and the proving-to-inference work ratio.

Work is counted in BN254 scalar-field multiplications: Pippenger multi-scalar
multiplications, radix-2 FFTs and the evaluation of the constraints on the
extended domain (:func:`prover_work_terms`). A computation of ``R`` rows is
proven as ``R / 2^K`` chunks whose proofs are aggregated (:func:`chunked_work`);
:func:`chunk_optimum` finds the ``K`` that minimises the work per row.
"""

from __future__ import annotations

import functools
import math
from typing import Iterable, Mapping

import pandas as pd
import sympy as sp

from chasm.costmodel.layout import DEFAULT_RUN_ARGS, RunArgs
from chasm.costmodel.operations import dense, relu
from chasm.core.ezkl_rules import BN254_TWO_ADICITY, DEFAULT_INNER_COLS, MAX_LOGROWS, MIN_LOGROWS, RESERVED_BLINDING_ROWS
from chasm.costmodel.sources import (
    AGGREGATION_ROWS_PER_PROOF, BASE_ADVICE_VARS, BN254_SCALAR_BITS, EINSUM_ADVICE_VARS, FIELD_MULS_PER_POINT_ADD,
)
from chasm.costmodel.symbols import A_agg, Kc, Rtot, bits, depth, ext, gamma, kk, n_open, n_poly, n_q, w

__all__ = ["FIELD_ELEMENT_BYTES", "committed_polys", "ASSUMED_DEGREE", "ASSUMED_OPENING_MSMS",
           "PROVER_CONSTANTS", "msm_work", "fft_work", "prover_work_terms", "prover_work",
           "prover_work_per_row", "msm_fft_crossover", "msm_share", "field_mults_per_cell",
           "chunk_memory_bytes", "aggregation_fan_in", "chunked_work", "chunk_optimum",
           "chunk_optimum_interval", "chunk_size_table", "chunks_for_rows", "mlp_proving_ratio",
           "circuit_committed_polys"]

#: Bytes of one BN254 scalar-field element.
FIELD_ELEMENT_BYTES = 32

def committed_polys(inner_cols=DEFAULT_INNER_COLS, lookup_tables: int = 3, degree: int = 5) -> int:
    """Polynomials the prover commits per row of one ezkl circuit block (estimate from the source).

    Advice: three base VarTensors of ``inner_cols`` columns (``SOURCES['columns']``).
    Lookups: one argument per table per inner column (``configure_range_check``), each
    committing a multiplicity and a running-sum polynomial (logUp / mv-lookup, which ezkl
    enables). ``lookup_tables`` = 3: the sign range check ``[-1, 1]``, the digit range
    check ``[0, B - 1]`` and one function table (exp for softmax). Permutation: the
    equality-enabled columns (advice plus one fixed and one instance) in products of
    ``degree - 2`` columns.
    """
    advice = BASE_ADVICE_VARS * inner_cols
    lookups = 2 * lookup_tables * inner_cols
    permutation = math.ceil((advice + 2) / (degree - 2))
    return advice + lookups + permutation


#: Constraint degree assumed for the prover: the largest for which ezkl still accepts
#: ``k = MAX_LOGROWS`` (its extended-domain check ``2^k (degree - 1) <= 2^S``, ``SOURCES['logrows']``).
ASSUMED_DEGREE = 2 ** (BN254_TWO_ADICITY - MAX_LOGROWS) + 1
#: Multi-scalar multiplications of size 2^k in the KZG multi-opening (assumed: three rotation sets).
ASSUMED_OPENING_MSMS = 3
PROVER_CONSTANTS = {
    bits: BN254_SCALAR_BITS,
    gamma: FIELD_MULS_PER_POINT_ADD,
    n_poly: committed_polys(),
    n_q: ASSUMED_DEGREE - 1,
    ext: math.ceil(math.log2(ASSUMED_DEGREE - 1)),
    n_open: ASSUMED_OPENING_MSMS,
}


def msm_work(log_size) -> sp.Expr:
    """Pippenger MSM of ``2**log_size`` points: about ``N / log2(N)`` point additions per scalar bit,
    each ``gamma`` field multiplications."""
    return bits * gamma * 2**log_size / log_size


def fft_work(log_size) -> sp.Expr:
    """Radix-2 FFT of ``N = 2**log_size`` points: ``N/2 * log2(N)`` butterflies, one multiplication each."""
    return 2**log_size / 2 * log_size


def prover_work_terms(k_=kk) -> dict[str, sp.Expr]:
    """Prover work of one halo2-KZG proof of ``2**k`` rows, by term (field multiplications).

    Per committed polynomial: one MSM (commitment), an inverse FFT to coefficients, a coset FFT
    on the ``2^e``-times extended domain and one multiplication per extended point to evaluate
    the constraints; the quotient: an inverse FFT on the extended domain and ``n_q`` MSMs;
    the opening: one evaluation per polynomial and ``n_o`` MSMs.
    """
    return {
        "msm": (n_poly + n_q + n_open) * msm_work(k_),
        "fft": n_poly * (fft_work(k_) + fft_work(k_ + ext)) + fft_work(k_ + ext),
        "evaluate": n_poly * (2**(k_ + ext) + 2**k_),
    }


def prover_work(k_=kk) -> sp.Expr:
    """Total prover work (field multiplications) for ``2**k`` rows (sum of :func:`prover_work_terms`)."""
    return sum(prover_work_terms(k_).values())


@functools.lru_cache(maxsize=None)
def prover_work_per_row() -> sp.Expr:
    """Prover field multiplications per row, ``prover_work / 2**k``, simplified, in ``k``."""
    return sp.collect(sp.expand(sp.powsimp(sp.expand(prover_work(kk) / 2**kk))), [kk, 1 / kk])


@functools.lru_cache(maxsize=None)
def msm_fft_crossover() -> sp.Expr:
    """The ``k`` at which the FFT terms per row overtake the MSM terms (closed form)."""
    terms = prover_work_terms(kk)
    msm = sp.expand(sp.powsimp(sp.expand(terms["msm"] / 2**kk)))
    fft = sp.expand(sp.powsimp(sp.expand(terms["fft"] / 2**kk)))
    fft_slope = sp.diff(fft, kk)
    sol = sp.solve(sp.Eq(msm, fft_slope * kk), kk)
    return [s_ for s_ in sol if s_.is_positive is not False][0]


def msm_share(k_: int) -> float:
    """Share of the multi-scalar multiplications in the prover work at ``2**k_`` rows."""
    terms = {name: float(expr.subs(PROVER_CONSTANTS).subs(kk, k_)) for name, expr in prover_work_terms(kk).items()}
    return terms["msm"] / sum(terms.values())


def field_mults_per_cell(k_: int, inner_cols: int = DEFAULT_INNER_COLS) -> float:
    """Prover field multiplications per linear coordinate (cell) at ``2**k_`` rows of
    ``inner_cols`` inner columns."""
    return float(prover_work_per_row().subs(PROVER_CONSTANTS).subs(kk, k_)) / inner_cols


def chunk_memory_bytes(k_=kk) -> sp.Expr:
    """Field elements one chunk's prover holds at once, in bytes (32 per element): every committed
    polynomial on the base and on the extended domain (a lower bound; keys and the SRS add more)."""
    return FIELD_ELEMENT_BYTES * n_poly * (1 + 2**ext) * 2**k_


# --------------------------------------------------------------- chunking


def aggregation_fan_in(agg_rows=A_agg, k_max=MAX_LOGROWS) -> sp.Expr:
    """Proofs one aggregation circuit of ``2**k_max`` rows can verify."""
    return sp.floor(2**k_max / agg_rows)


def chunked_work(K_=Kc, rows=Rtot, agg_rows=A_agg, k_max=MAX_LOGROWS, continuous: bool = True) -> sp.Expr:
    """Prover work (field mults) to prove ``R`` rows as chunks of ``2**K`` rows plus aggregation.

    ``R / 2^K`` chunk proofs, each :func:`prover_work` ``(K)``; every proof is verified
    inside an aggregation circuit at ``A`` rows per proof, proven at ``k_max`` rows per
    aggregation proof, and aggregation proofs are aggregated again in a tree of fan-in
    ``F = 2^k_max / A`` (geometric series: ``F / (F - 1)`` verifications per chunk).
    ``continuous`` treats the chunk count as ``R / 2^K`` (for calculus); otherwise it is
    ``ceil(R / (2^K - blinding rows))``.
    """
    per_agg_row = prover_work(k_max) / sp.Integer(2) ** k_max
    fan_in = sp.Integer(2) ** k_max / agg_rows
    tree = fan_in / (fan_in - 1)
    chunks = rows / 2**K_ if continuous else sp.ceiling(rows / (2**K_ - RESERVED_BLINDING_ROWS))
    return chunks * (prover_work(K_) + agg_rows * tree * per_agg_row)


def chunk_optimum(agg_rows: float = AGGREGATION_ROWS_PER_PROOF["point"],
                  constants: Mapping | None = None) -> dict[str, float]:
    """Where :func:`chunked_work` per proven row is smallest in ``K``.

    With the chunk count taken as ``R / 2^K`` the work is ``R`` times a function of
    ``K`` alone, so the optimum does not depend on the size of the computation.
    Returns the stationary point ``K_stationary`` of that function (its first
    derivative there, ``derivative_at_stationary``, is zero to solver precision; a
    positive ``second_derivative`` makes it a minimum) and the best feasible integer
    ``K_best`` in ``[MIN_LOGROWS, MAX_LOGROWS]`` with its work per row.
    """
    import mpmath

    consts = dict(PROVER_CONSTANTS if constants is None else constants)
    expr = chunked_work(Kc, 1, sp.Integer(int(agg_rows))).subs(consts)
    d1 = sp.diff(expr, Kc)
    d2 = sp.diff(d1, Kc)
    stationary = float(mpmath.findroot(sp.lambdify(Kc, d1, "mpmath"), 30))
    f = sp.lambdify(Kc, expr, "math")
    feasible = {K: f(K) for K in range(MIN_LOGROWS, MAX_LOGROWS + 1)}
    best = min(feasible, key=feasible.get)
    return {"K_stationary": stationary, "second_derivative": float(d2.subs(Kc, stationary)),
            "derivative_at_stationary": float(d1.subs(Kc, stationary)),
            "K_best": float(best), "work_per_row_best": feasible[best],
            "work_per_row_at_stationary": float(f(stationary))}


def chunk_optimum_interval() -> dict[str, float]:
    """:func:`chunk_optimum` over the sourced range of the aggregation cost ``A``
    (:data:`AGGREGATION_ROWS_PER_PROOF` low, point, high): the stationary ``K`` and the best
    feasible ``K`` at each, as ``K_stationary_low/point/high`` (low and high the smaller and
    larger of the three) and ``K_best_low/point/high``. The prover constants are held fixed."""
    runs = {name: chunk_optimum(agg) for name, agg in AGGREGATION_ROWS_PER_PROOF.items()}
    out: dict[str, float] = {}
    for key in ("K_stationary", "K_best"):
        values = [run[key] for run in runs.values()]
        out.update({f"{key}_low": min(values), f"{key}_point": runs["point"][key], f"{key}_high": max(values)})
    return out


def chunk_size_table(chunk_logrows: Iterable[int], agg_rows: float = AGGREGATION_ROWS_PER_PROOF["point"]
                     ) -> pd.DataFrame:
    """For each chunk size ``K``: prover field multiplications per proven row
    (:func:`chunked_work` with ``R = 1``, aggregation at ``agg_rows`` rows per proof) and the
    memory one chunk's prover needs at least (:func:`chunk_memory_bytes`, bytes)."""
    per_row = sp.lambdify(Kc, chunked_work(Kc, 1, sp.Integer(int(agg_rows))).subs(PROVER_CONSTANTS), "math")
    memory = sp.lambdify(kk, chunk_memory_bytes(kk).subs(PROVER_CONSTANTS), "math")
    ks = [int(K) for K in chunk_logrows]
    return pd.DataFrame({"K": ks, "field_mults_per_row": [per_row(K) for K in ks],
                         "chunk_memory_bytes": [float(memory(K)) for K in ks]})


def chunks_for_rows(rows: float, chunk_logrows: int) -> int:
    """Chunks of ``2**chunk_logrows`` rows (less the reserved blinding rows) that hold ``rows`` rows."""
    return math.ceil(rows / (2**chunk_logrows - RESERVED_BLINDING_ROWS))


# ------------------------------------------------ inference-to-proof ratio


def mlp_proving_ratio(ra: RunArgs = DEFAULT_RUN_ARGS, capped: bool = True) -> sp.Expr:
    """Prover field multiplications per inference FLOP of an MLP of width ``w`` and depth ``L``
    (batch 1, dense layers dominate: the readout and input/output are dropped).

    ``capped``: the circuit is proved in chunks of ``2^K`` rows (per-row work fixed, ``K``
    a symbol); otherwise as one circuit of ``2^k`` rows with ``k = log2(rows)``.
    """
    hidden = dense(1, w, w, ra=ra) + relu(w, ra)
    rows = depth * hidden.cells / ra.inner_cols
    flops = depth * hidden.flops
    per_row = prover_work_per_row().subs(kk, Kc if capped else sp.log(rows, 2))
    return per_row * rows / flops


def circuit_committed_polys(inner_cols: int, lookup_tables: int, einsum: bool,
                            degree: int = ASSUMED_DEGREE) -> int:
    """:func:`committed_polys` of one measured circuit: its number of range-check and lookup
    tables, plus the einsum region's six advice VarTensors when the Freivalds argument is used."""
    base = committed_polys(inner_cols, lookup_tables, degree)
    if not einsum:
        return base
    extra_advice = EINSUM_ADVICE_VARS * inner_cols
    perm_before = math.ceil((BASE_ADVICE_VARS * inner_cols + 2) / (degree - 2))
    perm_after = math.ceil((BASE_ADVICE_VARS * inner_cols + extra_advice + 2) / (degree - 2))
    return base + extra_advice + perm_after - perm_before

