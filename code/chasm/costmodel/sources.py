"""Where the cost model's facts come from, and the constants read from those sources.

Every number the model uses that is not a shape or a fitted constant is
defined here with the source it was read from (:data:`SOURCES`). ezkl's layout
was read at :data:`EZKL_TAG`; the measurements ran ezkl from PyPI (its version
is recorded in each row of ``data/measurements/layouts.csv``), see
:data:`EZKL_SOURCE_VERSION_NOTE`.
"""

from __future__ import annotations

__all__ = ["EZKL_TAG", "EZKL_COMMIT", "EZKL_SOURCE_VERSION_NOTE", "SOURCES", "BN254_SCALAR_BITS",
           "MADD_MULTIPLICATIONS", "MADD_SQUARINGS", "FIELD_MULS_PER_POINT_ADD",
           "AGGREGATION_REMOVED_IN_MAJOR", "BASE_ADVICE_VARS", "EINSUM_ADVICE_VARS"]

EZKL_TAG = "v23.0.4"
EZKL_COMMIT = "3f494f67587b37c97b15cba9ce76019d96e3ef43"
#: What is known about the source version against the version that ran.
EZKL_SOURCE_VERSION_NOTE = (
    f"ezkl's source was read at tag {EZKL_TAG} (commit {EZKL_COMMIT[:8]}); the layouts and proofs were "
    "measured with the ezkl 23.0.5 wheel from PyPI. The stored snapshot of zkonduit/ezkl available for "
    f"this book ends at {EZKL_TAG} and has no v23.0.5 tag, so that the cited files are unchanged in "
    "23.0.5 is not confirmed; the exact agreement of the source-derived counts with the 23.0.5 layouts "
    "(the validation above) is evidence that the layout code read is the code that ran, not proof."
)


def _ezkl(path: str, what: str) -> str:
    return f"zkonduit/ezkl@{EZKL_TAG} ({EZKL_COMMIT[:8]}) {path}: {what}"


#: Where each modelled fact was read. Keys are used in the chapter's citations.
SOURCES = {
    "run_args": _ezkl("src/lib.rs", "RunArgs::default: num_inner_cols 2, decomp_base 16384, decomp_legs 2, "
                                    "disable_freivalds false"),
    "logrows": _ezkl("src/graph/mod.rs", "calc_min_logrows, table_size_logrows, extended_k_is_small_enough, "
                                         "MIN_LOGROWS = 6, MAX_PUBLIC_SRS = bn256::Fr::S - 2, "
                                         "RESERVED_BLINDING_ROWS = ASSUMED_BLINDING_FACTORS (5) + "
                                         "RESERVED_BLINDING_ROWS_PAD (3, src/circuit/table.rs)"),
    "columns": _ezkl("src/graph/vars.rs + src/tensor/var.rs", "ModelVars::new: three advice VarTensors of "
                                                             "num_inner_cols columns, duplicated into blocks "
                                                             "when 2^k rows do not suffice"),
    "layouts": _ezkl("src/circuit/ops/layouts.rs", "dot, pairwise, decompose, recompose, range_check, div, "
                                                   "greater, equals_zero, leaky_relu, conv, output, "
                                                   "nonlinearity, slice, neg, concat"),
    "einsum": _ezkl("src/circuit/ops/chip/einsum/{analysis,reduction_planner,mod}.rs",
                    "Freivalds strategy choice, input reductions, reduction_length"),
    "dummy_layout": _ezkl("src/graph/model.rs", "dummy_layout: num_rows = region.row(), total_assignments = "
                                                "region.linear_coord(), total_einsum_col_size"),
    "aggregation": "zkonduit/ezkl@e70e13a9^ (the commit before 'refactor!: rm ios,js,aggregation (#1013)', "
                   "which tag v23.0.0 contains and v22.3.0 does not) "
                   "src/commands.rs DEFAULT_AGGREGATED_LOGROWS = 23 and "
                   "examples/notebooks/simple_demo_aggregated_proofs.ipynb (aggregates one proof at logrows 21)",
    "bn254": "privacy-scaling-explorations/halo2curves@0287a7d7 src/bn256/fr.rs: NUM_BITS = 254, S = 28",
    "madd": "Explicit-Formulas Database, hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-0.html: "
            "mixed addition (Z2 = 1) madd-2007-bl costs 7M + 4S",
    "llama": "meta-llama/llama-models models/llama3_1/api/sku_list.py (model_args) and "
             "models/llama3/reference_impl/model.py (FeedForward hidden width, Attention, RMSNorm)",
}

# ------------------------------------------------------ documented constants

#: Bits of a BN254 scalar (the MSM scalar length). Source: ``SOURCES['bn254']``.
BN254_SCALAR_BITS = 254
# The 2-adicity of BN254 (``SOURCES['bn254']``), ezkl's logrows bounds and blinding rows
# (``SOURCES['logrows']``) and its default run arguments (``SOURCES['run_args']``) are defined in
# chasm.core.ezkl_rules, beside the logrows rule that uses them.
#: Field multiplications per mixed Jacobian point addition (7M + 4S, squarings counted as
#: multiplications). ``SOURCES['madd']``.
MADD_MULTIPLICATIONS = 7
MADD_SQUARINGS = 4
FIELD_MULS_PER_POINT_ADD = MADD_MULTIPLICATIONS + MADD_SQUARINGS
#: The ezkl major version that removed the aggregation circuit (``SOURCES['aggregation']``).
AGGREGATION_REMOVED_IN_MAJOR = 23
#: ezkl's base gate uses three advice VarTensors (two inputs, one output). ``SOURCES['columns']``.
BASE_ADVICE_VARS = 3
#: The einsum (Freivalds) chip uses six advice VarTensors. ``SOURCES['einsum']``
#: (``Einsums::configure_universal``: four inputs, two outputs).
EINSUM_ADVICE_VARS = 6
