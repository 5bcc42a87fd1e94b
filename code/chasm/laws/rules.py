"""What the laws are fitted to, and the method's fixed choices: quantities with their units, size
measures, minimum numbers of sizes, and the interval level (see :mod:`chasm.laws` for the method)."""

from __future__ import annotations

__all__ = ["QUANTITIES", "QUANTITY_LABELS", "MIN_SIZES", "MIN_TRAIN_SIZES", "HOLDOUT_SIZES", "MIN_LACK_OF_FIT_DF",
           "SIZE_COLUMNS", "SIZE_UNITS", "LEVEL", "InsufficientData"]


#: Quantities fitted, with their units. ``peak_rss_bytes`` is derived: the
#: maximum over all phases of ``<phase>_peak_rss_bytes`` of a run.
QUANTITIES: dict[str, str] = {
    "prove_s": "s",
    "setup_s": "s",
    "witness_s": "s",
    "verify_s": "s",
    "prove_peak_rss_bytes": "bytes",
    "setup_peak_rss_bytes": "bytes",
    "peak_rss_bytes": "bytes",
    "pk_bytes": "bytes",
    "proof_bytes": "bytes",
}

#: Human descriptions of the quantities (used by charts, tables and the CLI).
QUANTITY_LABELS: dict[str, str] = {
    "prove_s": "prove time",
    "setup_s": "setup time (keys)",
    "witness_s": "witness time",
    "verify_s": "verify time",
    "prove_peak_rss_bytes": "peak memory while proving",
    "setup_peak_rss_bytes": "peak memory during setup",
    "peak_rss_bytes": "peak memory, any phase",
    "pk_bytes": "proving-key size",
    "proof_bytes": "proof size",
}

#: A family is fitted only with at least this many distinct sizes (logrows):
#: with fewer, leave-one-size-out cross-validation of a 2-parameter law has no
#: residual degrees of freedom left.
MIN_SIZES = 4

#: The held-out check fits on at least this many sizes (its law is then checked on
#: sizes it has not seen, rather than scored by cross-validation alone).
MIN_TRAIN_SIZES = 3

#: Sizes held out by the held-out check: the largest ones of each family.
HOLDOUT_SIZES = 2

#: Below this many lack-of-fit degrees of freedom (distinct sizes minus
#: parameters), the scatter variance falls back to the leave-one-size-out error
#: when that is larger (a variance estimated on 2 degrees of freedom can be 39
#: times too small at 95% confidence; on 3, 14 times).
MIN_LACK_OF_FIT_DF = 3

#: Sizes the laws can be fitted against: ``padded_rows`` = 2**logrows (the prover's domain),
#: ``num_rows`` (rows the layout uses, as reported by ezkl), ``params`` (model parameters).
SIZE_COLUMNS = ("padded_rows", "num_rows", "params")
SIZE_UNITS = {"padded_rows": "rows", "num_rows": "rows", "params": "parameters"}

LEVEL = 0.95


class InsufficientData(ValueError):
    """Too few configurations or sizes to fit (the message says how many there are)."""
