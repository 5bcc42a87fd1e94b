"""ezkl's rule for a circuit's size, and the constants it rests on (read from ezkl's and halo2curves' source).

A circuit of ``num_rows`` layout rows is proven on a domain of ``2**logrows`` rows; :func:`logrows_rule`
is ezkl's ``calc_min_logrows`` without its column-count checks. The sources of each constant are listed
in :data:`chasm.costmodel.sources.SOURCES` (keys ``logrows``, ``run_args``, ``bn254``). The sweep uses
the rule to estimate a run's memory before it starts; the cost model uses it for every circuit.
"""

from __future__ import annotations

import math

__all__ = ["BN254_TWO_ADICITY", "MAX_LOGROWS", "MIN_LOGROWS", "ASSUMED_BLINDING_FACTORS",
           "RESERVED_BLINDING_ROWS_PAD", "RESERVED_BLINDING_ROWS", "DEFAULT_INNER_COLS", "DEFAULT_DECOMP_BASE",
           "DEFAULT_DECOMP_LEGS", "logrows_rule", "max_logrows_for_degree", "padded_rows"]

#: 2-adicity of the BN254 scalar field: the largest FFT domain is 2**28 (halo2curves ``Fr::S``).
BN254_TWO_ADICITY = 28
#: Largest logrows ezkl accepts (``MAX_PUBLIC_SRS = Fr::S - 2``).
MAX_LOGROWS = BN254_TWO_ADICITY - 2
#: Smallest logrows ezkl uses.
MIN_LOGROWS = 6
#: Rows reserved for blinding (``ASSUMED_BLINDING_FACTORS + RESERVED_BLINDING_ROWS_PAD``).
ASSUMED_BLINDING_FACTORS = 5
RESERVED_BLINDING_ROWS_PAD = 3
RESERVED_BLINDING_ROWS = ASSUMED_BLINDING_FACTORS + RESERVED_BLINDING_ROWS_PAD
#: ezkl's default run arguments (``RunArgs::default``).
DEFAULT_INNER_COLS = 2
DEFAULT_DECOMP_BASE = 16384
DEFAULT_DECOMP_LEGS = 2


def logrows_rule(num_rows: float, einsum_rows: float = 0.0, *, decomp_base: int = DEFAULT_DECOMP_BASE,
                 lookup_range: float = 0.0, max_logrows: int = MAX_LOGROWS) -> int:
    """ezkl's ``calc_min_logrows`` without the column-count checks: the largest of the rows the
    layout needs (plus blinding rows), the range-check table (``decomp_base - 1`` values plus
    blinding rows and one), a lookup table's calibrated range, and the einsum region's rows;
    clamped to ``[MIN_LOGROWS, max_logrows]``. Returns log2 of the padded rows."""
    def bits(x: float) -> int:
        return math.ceil(math.log2(x)) if x > 1 else 0

    need = max(bits(num_rows + RESERVED_BLINDING_ROWS),
               bits(max(decomp_base - 1, lookup_range) + RESERVED_BLINDING_ROWS + 1),
               bits(einsum_rows))
    return int(min(max(need, MIN_LOGROWS), max_logrows))


def max_logrows_for_degree(degree: int) -> int:
    """The largest logrows ezkl accepts for a circuit of constraint ``degree``: the quotient's extended
    domain ``2^k (degree - 1)`` must fit the field's FFT domain ``2^S`` (``extended_k_is_small_enough``),
    and ``k`` never exceeds :data:`MAX_LOGROWS`. Degree 5 gives 26, degree 6 gives 25."""
    return min(MAX_LOGROWS, BN254_TWO_ADICITY - math.ceil(math.log2(degree - 1)))


def padded_rows(num_rows: float, **kw) -> int:
    """``2**logrows_rule(num_rows, ...)``: the rows a circuit of ``num_rows`` layout rows is proven on."""
    return 2 ** logrows_rule(num_rows, **kw)
