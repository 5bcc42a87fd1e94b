"""Prover work of a halo2-KZG proof of ``2**k`` rows, chunking of circuits too big for one
proof, and the proving-to-inference work ratio.

Work is counted in BN254 scalar-field multiplications: Pippenger multi-scalar
multiplications, radix-2 FFTs and the evaluation of the constraints on the
extended domain (:func:`prover_work_terms`). The constants of a circuit (committed polynomials per row,
constraint degree, quotient pieces, extended domain, other MSMs) are read from the circuits ezkl builds
(:func:`measured_constants`, ``data/measurements/circuit_constants.csv``); :func:`committed_polys` is the
earlier estimate from ezkl's source, kept for comparison. A computation of ``R`` rows is proven as a chain of
``R / 2^K`` chunk proofs (:func:`chain_work`; ezkl 23 cannot aggregate them).
"""

from __future__ import annotations

import functools
import json
import math
from typing import Iterable, Mapping

import pandas as pd
import sympy as sp

from chasm.costmodel.layout import DEFAULT_RUN_ARGS, RunArgs
from chasm.costmodel.operations import dense, relu
from chasm.core.ezkl_rules import DEFAULT_INNER_COLS, RESERVED_BLINDING_ROWS
from chasm.costmodel.sources import (
    BASE_ADVICE_VARS, BN254_SCALAR_BITS, EINSUM_ADVICE_VARS, FIELD_MULS_PER_POINT_ADD,
)
from chasm.costmodel.symbols import Kc, Rtot, bits, depth, ext, gamma, kk, n_open, n_poly, n_q, w

__all__ = ["FIELD_ELEMENT_BYTES", "committed_polys", "CIRCUIT_KINDS", "FRONTIER_KIND", "circuit_kind",
           "measured_constants", "prover_constants", "msm_work", "fft_work", "prover_work_terms", "prover_work",
           "prover_work_per_row", "msm_fft_crossover", "msm_share", "field_mults_per_cell",
           "chunk_memory_bytes", "chain_work", "chunk_size_table", "chunks_for_rows", "mlp_proving_ratio",
           "circuit_committed_polys"]

#: Bytes of one BN254 scalar-field element.
FIELD_ELEMENT_BYTES = 32

def committed_polys(inner_cols=DEFAULT_INNER_COLS, lookup_tables: int = 3, degree: int = 5) -> int:
    """Polynomials the prover commits per row of one ezkl circuit block: the estimate from ezkl's source,
    kept beside the constants read from ezkl's circuits (:func:`measured_constants`), which it misses for
    every circuit with a softmax (its max is proven with a shuffle argument).

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


#: The kinds of circuit whose prover constants are read from ``data/measurements/circuit_constants.csv``:
#: the measured families at ezkl's default run arguments, and the miniature Llamas' prompt (prefill,
#: batched products through the Freivalds einsum region) and decoding steps (one token against a cache).
CIRCUIT_KINDS = ("mlp", "cnn", "transformer", "llama-prefill", "llama-decode")
#: The kind that stands for a frontier query's work: decoding steps are almost all of its rows.
FRONTIER_KIND = "llama-decode"


def circuit_kind(family: str, config: Mapping | str, disable_freivalds: bool = False) -> str | None:
    """The :data:`CIRCUIT_KINDS` entry of a circuit of ``family`` and ``config`` at default run arguments
    (``None`` for other run arguments: Freivalds off, which changes the constants)."""
    config = json.loads(config) if isinstance(config, str) else dict(config)
    if disable_freivalds:
        return None
    if family == "llama":
        return "llama-decode" if config.get("cache") else "llama-prefill"
    return family if family in CIRCUIT_KINDS else None


def _constants_table() -> pd.DataFrame:
    from chasm.core import data
    from chasm.core.constants import CIRCUIT_CONSTANTS

    return data.load_table(CIRCUIT_CONSTANTS)


@functools.lru_cache(maxsize=4)
def _read_constants(path: str, mtime: float) -> dict[str, dict[str, float]]:
    table = _constants_table()
    default = ((table["num_inner_cols"] == DEFAULT_INNER_COLS) & (table["decomp_legs"] == 2)
               & ~table["disable_freivalds"].astype(bool))
    table = table[default].copy()
    table["kind"] = [circuit_kind(f, c) for f, c in zip(table["family"], table["config"])]
    out = {}
    for kind, part in table.groupby("kind"):
        values = {col: sorted(set(part[col])) for col in ("committed_polys_per_row", "degree", "n_quotient",
                                                         "extended_factor_log2", "proof_msms")}
        ambiguous = {col: v for col, v in values.items() if len(v) != 1}
        if ambiguous and kind != "transformer":
            raise ValueError(f"circuits of kind {kind!r} disagree on {ambiguous} in circuit_constants.csv")
        n_c = int(part["committed_polys_per_row"].mode().iloc[0])
        row = part[part["committed_polys_per_row"] == n_c].iloc[0]
        out[kind] = {"committed_polys": float(n_c), "degree": int(row["degree"]), "n_quotient": int(row["n_quotient"]),
                     "ext": int(row["extended_factor_log2"]),
                     "other_msms": int(row["proof_msms"]) - n_c - int(row["n_quotient"]),
                     "circuits": int(len(part))}
    return out


def measured_constants(kind: str = FRONTIER_KIND) -> dict[str, float]:
    """The prover constants ezkl's circuits of ``kind`` have, read (not assumed) from
    ``data/measurements/circuit_constants.csv``: ``committed_polys`` per row (advice, lookup and
    permutation polynomials), constraint ``degree``, ``n_quotient`` pieces (degree - 1), ``ext``
    (log2 of the extended domain's factor), ``other_msms`` (the random polynomial of the vanishing
    argument and the opening MSMs) and ``circuits`` (how many circuits were read)."""
    from chasm.core import paths
    from chasm.core.constants import CIRCUIT_CONSTANTS

    if kind not in CIRCUIT_KINDS:
        raise KeyError(f"unknown circuit kind {kind!r}; known: {', '.join(CIRCUIT_KINDS)}")
    path = paths.data_dir() / CIRCUIT_CONSTANTS
    found = _read_constants(str(path), path.stat().st_mtime)
    if kind not in found:
        raise ValueError(f"{path} has no circuit of kind {kind!r}: run `python -m chasm.experiments.circuit_constants`")
    return dict(found[kind])


def prover_constants(kind: str = FRONTIER_KIND, committed_polys: float | None = None) -> dict[sp.Symbol, float]:
    """Substitutions for :func:`prover_work` of a circuit of ``kind``: the measured constants
    (:func:`measured_constants`), with ``committed_polys`` replaced when given (e.g. a bound)."""
    c = measured_constants(kind)
    return {bits: BN254_SCALAR_BITS, gamma: FIELD_MULS_PER_POINT_ADD,
            n_poly: c["committed_polys"] if committed_polys is None else committed_polys,
            n_q: c["n_quotient"], ext: c["ext"], n_open: c["other_msms"]}


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
    terms = {name: float(expr.subs(prover_constants()).subs(kk, k_)) for name, expr in prover_work_terms(kk).items()}
    return terms["msm"] / sum(terms.values())


def field_mults_per_cell(k_: int, inner_cols: int = DEFAULT_INNER_COLS) -> float:
    """Prover field multiplications per linear coordinate (cell) at ``2**k_`` rows of
    ``inner_cols`` inner columns."""
    return float(prover_work_per_row().subs(prover_constants()).subs(kk, k_)) / inner_cols


def chunk_memory_bytes(k_=kk) -> sp.Expr:
    """Field elements one chunk's prover holds at once, in bytes (32 per element): every committed
    polynomial on the base and on the extended domain (a lower bound; keys and the SRS add more)."""
    return FIELD_ELEMENT_BYTES * n_poly * (1 + 2**ext) * 2**k_


# --------------------------------------------------------------- chunking


def chain_work(K_=Kc, rows=Rtot) -> sp.Expr:
    """Prover work (field mults) to prove ``R`` rows as a chain of ``R / 2^K`` chunk proofs of ``2^K``
    rows each, with no aggregation (ezkl 23 has none; ``SOURCES['aggregation']``): the chunks are linked
    by committed boundaries, whose cost the frontier estimate adds from measurement."""
    return rows / 2**K_ * prover_work(K_)


def chunk_size_table(chunk_logrows: Iterable[int], kind: str = FRONTIER_KIND) -> pd.DataFrame:
    """For each chunk size ``K``: prover field multiplications per proven row of a chain
    (:func:`chain_work` with ``R = 1``) and the memory one chunk's prover needs at least
    (:func:`chunk_memory_bytes`, bytes), with the constants of circuits of ``kind``."""
    consts = prover_constants(kind)
    per_row = sp.lambdify(Kc, chain_work(Kc, 1).subs(consts), "math")
    memory = sp.lambdify(kk, chunk_memory_bytes(kk).subs(consts), "math")
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


def circuit_committed_polys(inner_cols: int, lookup_tables: int, einsum: bool, degree: int = 5) -> int:
    """:func:`committed_polys` of one measured circuit: its number of range-check and lookup
    tables, plus the einsum region's six advice VarTensors when the Freivalds argument is used."""
    base = committed_polys(inner_cols, lookup_tables, degree)
    if not einsum:
        return base
    extra_advice = EINSUM_ADVICE_VARS * inner_cols
    perm_before = math.ceil((BASE_ADVICE_VARS * inner_cols + 2) / (degree - 2))
    perm_after = math.ceil((BASE_ADVICE_VARS * inner_cols + extra_advice + 2) / (degree - 2))
    return base + extra_advice + perm_after - perm_before

