"""Tables, charts and glued text of the chapter "What a proof must compute", built on :mod:`chasm.costmodel`.

The chapter's prose lives in its Markdown; this module computes what the prose quotes and the
tables it shows. The ``*_facts`` functions return ``{glue name: text}`` (names prefixed
``costmodel_``), formatted exactly as the page prints them, for the chapter to glue; their
docstrings list the keys and units. Besides those: the rendering helpers for the chapter's equations
(:func:`eq`, :func:`unpad`, :func:`tex`), the tables, the model against circuits ezkl laid out
(committed or just now, :func:`compare_with_layouts`), and the validation chart.
"""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import sympy as sp

from chasm.core import data
from chasm.core.constants import CONTENTION_LIMIT, LAYOUTS
from chasm.core.ezkl_rules import (
    BN254_TWO_ADICITY, DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS, DEFAULT_INNER_COLS, MAX_LOGROWS, logrows_rule,
)
from chasm.core.fmt import gib, interval, pct, pow2, sci
from chasm.costmodel.constants import Constants, circuit_size, default_constants, design, estimate_constants
from chasm.costmodel.frontier import Z95, layer_rows, leave_out_bound, rows_by_operation
from chasm.costmodel.layout import (
    RunArgs, cells_per_mac_limit, decompose_cells, relu_cells, rescale_cells, uses_freivalds,
)
from chasm.costmodel.llama import circuit_architecture, load_query
from chasm.costmodel.operations import FITTED, dense, matmul, mean_alignment_cells
from chasm.costmodel.prover import (
    ASSUMED_DEGREE, FIELD_ELEMENT_BYTES, PROVER_CONSTANTS, chunk_memory_bytes, chunk_optimum,
    chunk_optimum_interval, chunk_size_table, field_mults_per_cell, mlp_proving_ratio, msm_fft_crossover,
    msm_share,
)
from chasm.costmodel.sources import (
    AGGREGATION_DEFAULT_LOGROWS, AGGREGATION_NOTEBOOK_LOGROWS, AGGREGATION_REMOVED_IN_MAJOR, BASE_ADVICE_VARS,
    EINSUM_ADVICE_VARS, EZKL_SOURCE_VERSION_NOTE, EZKL_TAG, MADD_MULTIPLICATIONS, MADD_SQUARINGS, SOURCES,
)
from chasm.costmodel.symbols import SYMBOL_DOCS, Kc, T, bits, d_h, ext, gamma, h, k, m, n, n_open, n_poly, n_q, r, w
from chasm.costmodel.timing import geometric_mean_interval, implied_time_per_config
from chasm.costmodel.validation import (
    BAND_COVERAGE, MEDIAN_ERROR_TARGET, error_trend_at, heldout_summary, layouts_validation, leave_out_errors,
    validate_proofs,
)
from chasm.report import charts  # noqa: F401  (the book's theme and renderer)

__all__ = [
    "eq", "unpad", "tex", "PREFIX", "FLOOR_LOGROWS", "WORST_REL_ERR", "MEAN_ALIGNMENT_EXAMPLE_WIDTH",
    "symbol_table", "cells_per_mac", "layout_facts", "layouts_table", "training_layouts", "training_constants",
    "fit_facts", "constants_table", "heldout_facts", "proven_circuits_table", "proof_facts", "worst_layouts",
    "compare_with_layouts", "residual_facts", "prover_constants_table", "prover_facts", "timing_facts", "timing_table",
    "mlp_ratio_limit", "ratio_facts", "chunk_table", "chunking_facts", "operation_shares", "query_facts",
    "per_token_table", "per_query_table", "interval_facts", "verdict_facts", "sources_table", "version_facts",
    "validation_frame", "validation_chart",
]

#: Prefix of every glue name of the chapter (glue names are unique across the book).
PREFIX = "costmodel_"
#: The smallest circuit ezkl builds at its default decomposition, in logrows (``logrows_rule`` of one row).
FLOOR_LOGROWS = logrows_rule(1)
#: Relative error of the predicted rows above which a laid-out circuit is listed (:func:`worst_layouts`).
WORST_REL_ERR = 5e-4
#: Layer-norm width at which the chapter shows :func:`~chasm.costmodel.operations.mean_alignment_cells`.
MEAN_ALIGNMENT_EXAMPLE_WIDTH = 12


def _glue_names(facts: dict) -> dict:
    return {PREFIX + name: value for name, value in facts.items()}


# ------------------------------------------------------------------ equations


def eq(lhs: str, expr) -> None:
    """Display ``lhs = expr`` as an equation (``expr`` a sympy expression, rendered by ``sympy.latex``)."""
    from IPython.display import Math, display

    display(Math(f"{lhs} = {sp.latex(expr)}"))


def unpad(expr):
    """``expr`` without padding to whole rows (ceilings dropped), for legibility."""
    return expr.replace(sp.ceiling, lambda arg: arg)


def tex(expr) -> str:
    r"""``expr`` as inline LaTeX, ``\(...\)`` (for table cells)."""
    return rf"\({sp.latex(expr)}\)"


def symbol_table() -> pd.DataFrame:
    """Every symbol of the cost model (:data:`~chasm.costmodel.symbols.SYMBOL_DOCS`): ``symbol``
    (inline LaTeX) and ``meaning``."""
    return pd.DataFrame([(tex(sp.Symbol(name)), doc) for name, doc in SYMBOL_DOCS.items()],
                        columns=["symbol", "meaning"])


# ------------------------------------------------------------ ezkl's layout


def cells_per_mac(unpadded: RunArgs | None = None) -> dict[str, sp.Expr]:
    """Limits of cells per multiply-accumulate as every size grows
    (:func:`~chasm.costmodel.layout.cells_per_mac_limit`): ``token`` (one token through a dense
    layer, no bias), ``batch`` (``m`` tokens, Freivalds) and ``heads`` (the attention scores
    ``QK^T``, batched over heads). ``unpadded``: the run arguments of the last two (default
    symbolic with ``c = 1``)."""
    unpadded = unpadded or RunArgs.symbolic(inner_cols=1)
    heads = matmul(h, T, d_h, T, equation="mbk,nbk->bmn", ra=unpadded)
    return {"token": cells_per_mac_limit(dense(1, k, n, bias=False)),
            "batch": cells_per_mac_limit(dense(m, k, n, bias=False, ra=unpadded)),
            "heads": cells_per_mac_limit(heads)}


def layout_facts() -> dict[str, str]:
    """Glued text of the section on ezkl's layout (counts of cells, columns and rows as integers):
    ``base_advice_vars`` (column groups of the base gate), ``inner_cols`` (default ``c``),
    ``ezkl_tag`` (the source version read), ``default_legs`` (λ), ``default_base`` (B as a power of
    two), ``decompose_cells``, ``rescale_cells``, ``relu_cells`` (cells at the defaults),
    ``uses_freivalds_token`` (whether a one-token product uses Freivalds), ``per_mac_token``,
    ``per_mac_batch``, ``per_mac_heads`` (limits of cells per MAC, :func:`cells_per_mac`),
    ``floor_rows`` (2^k of the smallest circuit), ``floor_logrows``, ``floor_domain`` (its rows),
    ``two_adicity`` (of BN254's scalar field), ``source_bn254``, ``max_fft_domain`` (2^adicity),
    ``logrows_margin`` (adicity less the cap), ``max_logrows``, ``source_logrows``, ``max_rows``
    (2^cap); each prefixed ``costmodel_``."""
    per_mac = cells_per_mac()
    one_token = uses_freivalds("mk,kn->mn", {"m": 1, "k": 8, "n": 8})
    return _glue_names({
        "base_advice_vars": str(BASE_ADVICE_VARS), "inner_cols": str(DEFAULT_INNER_COLS), "ezkl_tag": EZKL_TAG,
        "default_legs": str(DEFAULT_DECOMP_LEGS), "default_base": pow2(DEFAULT_DECOMP_BASE.bit_length() - 1),
        "decompose_cells": str(int(decompose_cells())), "rescale_cells": str(int(rescale_cells())),
        "relu_cells": str(int(relu_cells())), "uses_freivalds_token": str(one_token),
        "per_mac_token": str(per_mac["token"]), "per_mac_batch": str(per_mac["batch"]),
        "per_mac_heads": str(per_mac["heads"]),
        "floor_rows": pow2(FLOOR_LOGROWS), "floor_logrows": str(FLOOR_LOGROWS),
        "floor_domain": f"{2 ** FLOOR_LOGROWS:,}", "two_adicity": str(BN254_TWO_ADICITY),
        "source_bn254": SOURCES["bn254"], "max_fft_domain": pow2(BN254_TWO_ADICITY),
        "logrows_margin": str(BN254_TWO_ADICITY - MAX_LOGROWS), "max_logrows": str(MAX_LOGROWS),
        "source_logrows": SOURCES["logrows"], "max_rows": pow2(MAX_LOGROWS),
    })


# ------------------------------------------------------ fitted constants


def layouts_table() -> pd.DataFrame:
    """``data/measurements/layouts.csv``: every circuit ezkl laid out (one row each)."""
    return data.load_table(LAYOUTS)


def training_layouts() -> pd.DataFrame:
    """The training circuits of ``layouts.csv`` (the split of
    :func:`~chasm.costmodel.validation.layouts_validation`)."""
    table, result = layouts_table(), layouts_validation()
    return table[(result["split"] == "train").to_numpy()]


def training_constants() -> Constants:
    """The constants fitted to the training circuits of ``layouts.csv`` alone
    (:func:`training_layouts`), as the held-out checks use them."""
    return estimate_constants(training_layouts())


def fit_facts(constants: Constants) -> dict[str, str]:
    """Glued text of the fit of ``constants`` (:func:`training_constants`): ``legs`` (the
    decompositions laid out, "2 and 3"), ``n_equations`` (equations that enter the fit),
    ``n_design_equations`` (all equations of the training circuits: base and einsum cells of each),
    ``n_train_circuits``, ``coverage`` (of the confidence intervals, %), ``t_quantile`` (the
    quantile of Student's t, %), ``dof`` (residual degrees of freedom), ``n_constants`` and
    ``freivalds_fixed`` (ε_F, cells); each prefixed ``costmodel_``."""
    legs = sorted(set(layouts_table()["decomp_legs"]))
    return _glue_names({
        "legs": " and ".join(str(x) for x in legs), "n_equations": str(constants.n_equations),
        "n_design_equations": str(len(design(training_layouts())[0])), "n_train_circuits": str(constants.n_circuits),
        "coverage": pct(BAND_COVERAGE, 0), "t_quantile": pct((1 + BAND_COVERAGE) / 2, 1),
        "dof": str(constants.dof), "n_constants": str(len(constants.names)),
        "freivalds_fixed": f"{constants.values[constants.names.index('freivalds_fixed')]:.2f}",
    })


def constants_table(constants: Constants) -> pd.DataFrame:
    """The fitted constants (symbols as inline LaTeX) with their 95% confidence intervals and
    standard errors, in cells, rounded to three decimals."""
    table = constants.table()
    table["constant"] = [tex(FITTED[name]) for name in table["constant"]]
    return table.round(3)


# ------------------------------------------------------------- validation


def heldout_facts(result: pd.DataFrame) -> dict[str, str]:
    """Glued text of the held-out check of a :func:`~chasm.costmodel.validation.validate` result:
    ``n_heldout``, ``n_layouts``, ``n_trained`` (circuits), ``heldout_rows_median``,
    ``heldout_rows_max``, ``heldout_assignments_median``, ``heldout_assignments_max`` (absolute
    relative errors, %), ``error_target`` (%), ``n_llama`` (miniature Llamas) and ``llama_rows_max``
    (their largest absolute relative error of rows, %); each prefixed ``costmodel_``."""
    held = heldout_summary(result)
    llama = result[result["family"] == "llama"]
    return _glue_names({
        "n_heldout": str(held["n"]), "n_layouts": str(len(result)),
        "n_trained": str(int((result["split"] == "train").sum())),
        "heldout_rows_median": pct(held["rows_median"], 3), "heldout_rows_max": pct(held["rows_max"]),
        "heldout_assignments_median": pct(held["assignments_median"], 3),
        "heldout_assignments_max": pct(held["assignments_max"]),
        "error_target": pct(MEDIAN_ERROR_TARGET, 0), "n_llama": str(len(llama)),
        "llama_rows_max": pct(llama["rows_rel_err"].abs().max()),
    })


def proven_circuits_table(proofs: pd.DataFrame) -> pd.DataFrame:
    """Each distinct proven circuit of a :func:`~chasm.costmodel.validation.validate_proofs`
    result: reported and predicted rows and logrows, and the relative error of the rows
    (rounded to five decimals)."""
    distinct = proofs.drop_duplicates("circuit_key")
    return distinct[["family", "config", "rows_observed", "rows_predicted", "logrows_observed",
                     "logrows_predicted", "rows_rel_err"]].round(5)


def proof_facts(proofs: pd.DataFrame) -> dict[str, str]:
    """Glued text of the check on the proving runs (a :func:`~chasm.costmodel.validation.validate_proofs`
    result): ``n_proven_circuits`` (distinct), ``n_proving_runs``, ``n_unseen`` (never laid out),
    ``n_larger`` (larger than the largest laid-out circuit), ``proven_rows_max`` and
    ``layout_rows_max`` (rows), ``proven_rows_err_max`` (largest absolute relative error, %) and
    ``same_logrows`` (runs whose predicted logrows is ezkl's); each prefixed ``costmodel_``.
    Raises if there is no completed proving run."""
    if proofs.empty:
        raise ValueError("data/measurements/proofs.csv holds no completed proving run")
    distinct = proofs.drop_duplicates("circuit_key")
    errors = leave_out_errors()
    largest_layout = int(layouts_table()["num_rows"].max())
    return _glue_names({
        "n_proven_circuits": str(len(distinct)), "n_proving_runs": str(len(proofs)),
        "n_unseen": str(int((errors["source"] == "proving run").sum())),
        "n_larger": str(int((distinct["rows_observed"] > largest_layout).sum())),
        "proven_rows_max": f"{int(proofs['rows_observed'].max()):,}", "layout_rows_max": f"{largest_layout:,}",
        "proven_rows_err_max": pct(proofs["rows_rel_err"].abs().max()),
        "same_logrows": str(int((proofs["logrows_observed"] == proofs["logrows_predicted"]).sum())),
    })


def worst_layouts(result: pd.DataFrame, threshold: float = WORST_REL_ERR) -> pd.DataFrame:
    """The laid-out circuits of a :func:`~chasm.costmodel.validation.validate` result whose
    predicted rows are off by more than ``threshold`` (relative), with their run arguments
    (rounded to five decimals)."""
    worst = result.loc[result["rows_rel_err"].abs() > threshold,
                       ["split", "family", "config", "num_inner_cols", "disable_freivalds", "decomp_legs",
                        "rows_observed", "rows_predicted", "rows_rel_err"]]
    return worst.round(5)


def compare_with_layouts(circuits, records: list[dict], constants: Constants | None = None) -> pd.DataFrame:
    """The model against circuits just laid out by ezkl: ``circuits`` (:class:`chasm.experiments.layouts.Circuit`)
    and their ``records`` (:func:`chasm.experiments.layouts.measure_many`). One row per circuit with family,
    config, the run arguments that differ from the defaults, reported and predicted rows and their
    relative error."""
    constants = constants or default_constants()
    rows = []
    for circuit, record in zip(circuits, records):
        pred = circuit_size(circuit.family, circuit.config, constants, **circuit.full_run_args)
        rows.append({"family": circuit.family, "config": circuit.config_json,
                     "run_args": json.dumps(circuit.run_args, sort_keys=True) if circuit.run_args else "",
                     "rows_reported": record["num_rows"], "rows_predicted": pred["num_rows"],
                     "rel_err": pred["num_rows"] / record["num_rows"] - 1})
    return pd.DataFrame(rows)


def _wide_transformer(proofs: pd.DataFrame) -> dict:
    """The size configuration of the widest proven transformer whose width is not a power of two
    (the one where :func:`~chasm.costmodel.operations.mean_alignment_cells` is not zero)."""
    configs = [json.loads(c) for c in proofs.loc[proofs["family"] == "transformer", "config"].unique()]
    wide = [c for c in configs if mean_alignment_cells(1, c["d_model"]) != 0]
    if not wide:
        raise ValueError("no proven transformer has a width that is not a power of two")
    return max(wide, key=lambda c: c["d_model"])


def residual_facts(constants: Constants, proofs: pd.DataFrame, odd: pd.DataFrame, pruning: pd.DataFrame,
                   llama_config: dict) -> dict:
    """Glued text of "Where the model is wrong": ``worst_threshold`` (:data:`WORST_REL_ERR`, %),
    ``mean_cells`` (cells of layer norm's mean, 1 + R), ``alignment_example`` (a Markdown phrase:
    :func:`~chasm.costmodel.operations.mean_alignment_cells` for ``r`` rows at
    :data:`MEAN_ALIGNMENT_EXAMPLE_WIDTH` with ``$...$`` maths, an ``IPython.display.Markdown`` to paste
    with ``{glue:md}`name:myst```), ``wide_d_model``,
    ``wide_cells`` and ``wide_share`` (the widest proven transformer of width not a power of two:
    the cells the alignment removes, and their share of what the power-of-two rule lays out, %),
    ``n_odd`` and ``odd_widths`` (the layer norms of ``odd``, a :func:`compare_with_layouts` frame),
    ``llama_seq`` (tokens of ``llama_config``), ``pruned_rows`` (rows the model over-predicts for
    the miniature Llama of ``pruning`` with the last token's logits) and ``layer_prefill_rows``
    (base rows of one layer's prefill of ``llama_config``); each prefixed ``costmodel_``.
    ``constants``: the training constants (:func:`training_constants`); ``proofs``: a
    :func:`~chasm.costmodel.validation.validate_proofs` result."""
    from IPython.display import Markdown

    width = MEAN_ALIGNMENT_EXAMPLE_WIDTH
    wide = _wide_transformer(proofs)
    term = int(mean_alignment_cells(2 * wide["layers"] * wide["seq"], wide["d_model"]))
    total = circuit_size("transformer", wide, constants)["total_assignments"]
    last = pruning[[json.loads(c).get("logits") == "last" for c in pruning["config"]]].iloc[0]
    one_layer = layer_rows(circuit_architecture(llama_config), llama_config["seq"], llama_config["seq"], constants)
    return _glue_names({
        "worst_threshold": pct(WORST_REL_ERR, 2), "mean_cells": str(1 + rescale_cells()),
        "alignment_example": Markdown(f"${sp.latex(mean_alignment_cells(r, width))}$ cells at $l = {width}$"),
        "wide_d_model": str(wide["d_model"]), "wide_cells": f"{-term:,}",
        "wide_share": pct(-term / (total - term), 1),
        "n_odd": str(len(odd)), "odd_widths": ", ".join(str(json.loads(c)["d"]) for c in odd["config"]),
        "llama_seq": str(llama_config["seq"]),
        "pruned_rows": f"{int(last['rows_predicted'] - last['rows_reported']):,}",
        "layer_prefill_rows": f"{one_layer['base_rows']:,.0f}",
    })


# ------------------------------------------------------------ prover work


def prover_constants_table() -> pd.DataFrame:
    """The prover's constants (:data:`~chasm.costmodel.prover.PROVER_CONSTANTS`): ``constant``
    (inline LaTeX) and ``value``."""
    return pd.DataFrame([(tex(symbol), value) for symbol, value in PROVER_CONSTANTS.items()],
                        columns=["constant", "value"])


def prover_facts() -> dict[str, str]:
    """Glued text of the prover's constants and of where MSMs and FFTs cross: ``bits`` (b, of a
    BN254 scalar), ``gamma`` (γ, field multiplications per point addition), ``madd_mults``,
    ``madd_squarings``, ``n_committed`` (n_c), ``degree`` (constraint degree), ``n_quotient``
    (n_q), ``ext`` (e), ``n_open`` (opening MSMs), ``k_cross`` (the k where FFT overtakes MSM
    work), ``msm_share_floor`` and ``msm_share_max`` (the MSMs' share of the work, %, at
    :data:`FLOOR_LOGROWS` and at ezkl's cap ``MAX_LOGROWS``); each prefixed ``costmodel_``."""
    k_cross = float(msm_fft_crossover().subs(PROVER_CONSTANTS))
    return _glue_names({
        "bits": str(PROVER_CONSTANTS[bits]), "gamma": str(PROVER_CONSTANTS[gamma]),
        "madd_mults": str(MADD_MULTIPLICATIONS), "madd_squarings": str(MADD_SQUARINGS),
        "n_committed": str(PROVER_CONSTANTS[n_poly]), "degree": str(ASSUMED_DEGREE),
        "n_quotient": str(PROVER_CONSTANTS[n_q]), "ext": str(PROVER_CONSTANTS[ext]),
        "n_open": str(PROVER_CONSTANTS[n_open]), "k_cross": f"{k_cross:.1f}",
        "msm_share_floor": pct(msm_share(FLOOR_LOGROWS), 0), "msm_share_max": pct(msm_share(MAX_LOGROWS), 0),
    })


def timing_facts(implied: pd.DataFrame) -> dict[str, str]:
    """Glued text of the time scale of ``implied`` (:func:`~chasm.costmodel.timing.implied_field_mult_time`):
    ``n_contended`` (runs left out), ``contention_limit`` (%), ``ns_per_mult``, ``ns_per_mult_low``
    and ``ns_per_mult_high`` (geometric mean over configurations of CPU-nanoseconds per modelled
    field multiplication and its 95% interval) and ``n_timed_configs``; each prefixed
    ``costmodel_``. Raises if no completed, uncontended run is committed."""
    clean = implied[~implied["contended"]] if not implied.empty else implied
    if clean.empty:
        raise ValueError("data/measurements/proofs.csv holds no completed, uncontended proving run")
    gm = geometric_mean_interval(clean["cpu_ns_per_field_mult"], clean["config_id"])
    return _glue_names({
        "n_contended": str(int(implied["contended"].sum())), "contention_limit": pct(CONTENTION_LIMIT, 0),
        "ns_per_mult": f"{gm['point']:.0f}", "ns_per_mult_low": f"{gm['low']:.0f}",
        "ns_per_mult_high": f"{gm['high']:.0f}", "n_timed_configs": str(gm["n"]),
    })


def timing_table(implied: pd.DataFrame) -> pd.DataFrame:
    """Per configuration of ``implied``: runs, contended runs and the median CPU-nanoseconds per
    modelled field multiplication (:func:`~chasm.costmodel.timing.implied_time_per_config`), rounded
    to one decimal."""
    return implied_time_per_config(implied).round(1)


# ----------------------------------------------- proving against inference


def mlp_ratio_limit(capped: bool = True) -> sp.Expr:
    """The limit, as the width ``w`` grows, of an MLP's prover field multiplications per inference
    FLOP (:func:`~chasm.costmodel.prover.mlp_proving_ratio`, padding dropped, prover constants
    substituted): a function of the chunk logrows ``K`` when ``capped``, else of nothing (one
    circuit: infinite)."""
    ratio = unpad(mlp_proving_ratio(capped=capped).subs(PROVER_CONSTANTS))
    return sp.limit(ratio, w, sp.oo)


def ratio_facts() -> dict[str, str]:
    """Glued text of the MLP's proving-to-inference ratio: ``ratio_limit_max`` (field multiplications
    per FLOP in the limit at ``K = MAX_LOGROWS``) and ``mults_per_cell_max`` (field multiplications
    per cell at that size); each prefixed ``costmodel_``."""
    return _glue_names({
        "ratio_limit_max": f"{float(mlp_ratio_limit().subs(Kc, MAX_LOGROWS)):.0f}",
        "mults_per_cell_max": f"{field_mults_per_cell(MAX_LOGROWS):.0f}",
    })


# ---------------------------------------------------------------- chunking


def chunk_table() -> pd.DataFrame:
    """For each feasible chunk size ``K`` (:data:`FLOOR_LOGROWS` to ``MAX_LOGROWS``): prover field
    multiplications per proven row (one decimal) and the least memory of one chunk's prover (GiB,
    one decimal), aggregation at its point cost (:func:`~chasm.costmodel.prover.chunk_size_table`)."""
    table = chunk_size_table(range(FLOOR_LOGROWS, MAX_LOGROWS + 1))
    return pd.DataFrame({"K": table["K"], "field_mults_per_row": table["field_mults_per_row"].round(1),
                         "chunk_memory_GiB": (table["chunk_memory_bytes"] / 2**30).round(1)})


def chunking_facts() -> dict[str, str]:
    """Glued text of the chunking section: ``aggregation_removed`` (ezkl's major version without
    aggregation), ``agg_notebook_rows``, ``agg_default_rows``, ``agg_low_rows`` (aggregation
    circuits as powers of two), ``source_aggregation``, ``second_derivative`` (of the work per row
    at its stationary point), ``k_stationary``, ``k_stationary_low``, ``k_stationary_high``,
    ``k_best``, ``k_best_low``, ``k_best_high`` (chunk logrows over the sourced range of the
    aggregation cost), ``chunk_memory_max`` (GiB at ``MAX_LOGROWS``) and ``field_bytes``; each
    prefixed ``costmodel_``."""
    opt, span = chunk_optimum(), chunk_optimum_interval()
    return _glue_names({
        "aggregation_removed": str(AGGREGATION_REMOVED_IN_MAJOR),
        "agg_notebook_rows": pow2(AGGREGATION_NOTEBOOK_LOGROWS), "agg_default_rows": pow2(AGGREGATION_DEFAULT_LOGROWS),
        "agg_low_rows": pow2(AGGREGATION_NOTEBOOK_LOGROWS - 1), "source_aggregation": SOURCES["aggregation"],
        "second_derivative": f"{opt['second_derivative']:.2f}",
        "k_stationary": f"{span['K_stationary_point']:.2f}", "k_stationary_low": f"{span['K_stationary_low']:.2f}",
        "k_stationary_high": f"{span['K_stationary_high']:.2f}", "k_best": f"{span['K_best_point']:.0f}",
        "k_best_low": f"{span['K_best_low']:.0f}", "k_best_high": f"{span['K_best_high']:.0f}",
        "chunk_memory_max": gib(float(chunk_memory_bytes(MAX_LOGROWS).subs(PROVER_CONSTANTS))),
        "field_bytes": str(FIELD_ELEMENT_BYTES),
    })


# ---------------------------------------------------------- frontier models


def operation_shares(arch_id: str = "llama3-8b") -> tuple[pd.DataFrame, dict[str, str]]:
    """Where one decoder layer's rows go for Llama-3 ``arch_id``
    (:func:`~chasm.costmodel.frontier.rows_by_operation`): a table of each operation's share (%,
    two decimals) of the prefill and of one decoding step, and the glued text ``step_kv_cache``,
    ``step_kv_repeat`` (decoding step) and ``prefill_scores`` (prefill), each a share in %,
    prefixed ``costmodel_``."""
    by_op = rows_by_operation(arch_id)
    table = (by_op.pivot(index="operation", columns="part", values="share_pct")
             .reindex(list(dict.fromkeys(by_op["operation"]))).fillna(0).round(2).reset_index())
    step = by_op[by_op["part"] == "decoding step"].set_index("operation")["share_pct"]
    prefill = by_op[by_op["part"] == "prefill"].set_index("operation")["share_pct"]
    return table, _glue_names({"step_kv_cache": f"{step['kv_cache_input']:.1f}%",
                               "step_kv_repeat": f"{step['kv_repeat']:.1f}%",
                               "prefill_scores": f"{prefill['scores']:.1f}%"})


def query_facts() -> dict[str, str]:
    """Glued text of the query (``data/query.csv``) and of row equivalents: ``prompt_tokens``,
    ``generated_tokens``, ``processed_tokens`` (prompt plus generated less one), ``einsum_weight``
    (how many base rows one einsum cell counts as), ``einsum_advice_vars``; each prefixed
    ``costmodel_``."""
    query = load_query()
    return _glue_names({
        "prompt_tokens": f"{query['prompt_tokens']:,}", "generated_tokens": f"{query['generated_tokens']:,}",
        "processed_tokens": f"{query['prompt_tokens'] + query['generated_tokens'] - 1:,}",
        "einsum_weight": str(EINSUM_ADVICE_VARS // BASE_ADVICE_VARS), "einsum_advice_vars": str(EINSUM_ADVICE_VARS),
    })


def per_token_table(frontier: pd.DataFrame) -> pd.DataFrame:
    """Per token of each model of a :func:`~chasm.costmodel.frontier.frontier_table`: parameters,
    MACs, FLOPs, rows and prover field multiplications, as text (95% intervals)."""
    return pd.DataFrame({
        "model": frontier["arch_id"],
        "parameters": frontier["params"].map(sci),
        "MACs per token": frontier["macs_per_token"].map(sci),
        "FLOPs per token": frontier["flops_per_token"].map(sci),
        "rows per token": interval(frontier["rows_per_token_low"], frontier["rows_per_token"],
                                   frontier["rows_per_token_high"]),
        "prover field mults per token": interval(frontier["prover_work_per_token_low"],
                                                 frontier["prover_work_per_token"],
                                                 frontier["prover_work_per_token_high"]),
    })


def per_query_table(frontier: pd.DataFrame) -> pd.DataFrame:
    """Per query of each model of a :func:`~chasm.costmodel.frontier.frontier_table`: FLOPs, rows,
    chunk logrows, chunks, prover field multiplications, field multiplications per FLOP and the
    prefill's share of the rows, as text (95% intervals)."""
    return pd.DataFrame({
        "model": frontier["arch_id"],
        "FLOPs per query": frontier["flops_per_query"].map(sci),
        "rows per query": interval(frontier["rows_per_query_low"], frontier["rows_per_query"],
                                   frontier["rows_per_query_high"]),
        "chunk logrows": frontier["chunk_logrows"],
        "chunks per query": interval(frontier["chunks_per_query_low"], frontier["chunks_per_query"],
                                     frontier["chunks_per_query_high"]),
        "prover field mults per query": interval(frontier["prover_work_per_query_low"],
                                                 frontier["prover_work_per_query"],
                                                 frontier["prover_work_per_query_high"]),
        "field mults per FLOP": [f"{p:.0f} ({lo:.0f} to {hi:.0f})" for lo, p, hi in
                                 zip(frontier["work_ratio_low"], frontier["work_ratio"], frontier["work_ratio_high"])],
        "prefill share of rows": (100 * frontier["prefill_rows_share"]).round(1).astype(str) + "%",
    })


def interval_facts(frontier: pd.DataFrame) -> dict[str, str]:
    """Glued text of how the frontier intervals are built, for a
    :func:`~chasm.costmodel.frontier.frontier_table`: ``band`` (q, %), ``band_rank`` and
    ``band_n`` (its order statistic among the leave-out errors), ``miss_probability`` (%),
    ``trend_min`` and ``trend_max`` (d across the models, %), ``n_models``, ``trend_slope`` and
    ``trend_slope_se`` (percentage points per decade of rows), ``largest_measured`` (rows of the
    largest measured circuit), ``se_max`` (s, %), ``z`` (its normal quantile), ``pruned_min`` and
    ``pruned_max`` (p as a share of the query's rows, %); each prefixed ``costmodel_``."""
    bound = leave_out_bound()
    trend = error_trend_at(float(frontier["rows_per_query"].max()), leave_out_errors())
    pruned = frontier["rows_pruned_max"] / frontier["rows_per_query"]
    return _glue_names({
        "band": pct(bound["bound"], 3), "band_rank": str(bound["rank"]), "band_n": str(bound["n"]),
        "miss_probability": pct(1 - BAND_COVERAGE, 0),
        "trend_min": pct(frontier["rows_trend_rel"].min(), 3), "trend_max": pct(frontier["rows_trend_rel"].max(), 3),
        "n_models": str(len(frontier)),
        "trend_slope": f"{100 * trend['slope_per_decade']:+.4f}", "trend_slope_se": f"{100 * trend['slope_se']:.4f}",
        "largest_measured": sci(10 ** trend["log10_rows_max"]),
        "se_max": pct(frontier["rows_se_rel"].max(), 4), "z": f"{Z95:.2f}",
        "pruned_min": pct(pruned.min(), 2), "pruned_max": pct(pruned.max(), 2),
    })


def verdict_facts(frontier: pd.DataFrame) -> dict[str, str]:
    """Glued text of the verdict, for a :func:`~chasm.costmodel.frontier.frontier_table`:
    ``ratio_min``, ``ratio_max`` (field multiplications per inference FLOP across the models),
    ``ratio_low``, ``ratio_high`` (the ends of their 95% intervals), ``chunks_70b``,
    ``chunks_70b_low``, ``chunks_70b_high`` (proofs per query of Llama 3 70B), ``chunk_rows_70b``
    (rows of each, a power of two), ``chunks_405b`` and ``chunk_memory_70b`` (GiB); each prefixed
    ``costmodel_``."""
    big = frontier.set_index("arch_id")
    return _glue_names({
        "ratio_min": f"{frontier['work_ratio'].min():.0f}", "ratio_max": f"{frontier['work_ratio'].max():.0f}",
        "ratio_low": f"{frontier['work_ratio_low'].min():.0f}",
        "ratio_high": f"{frontier['work_ratio_high'].max():.0f}",
        "chunks_70b": sci(big.loc["llama3-70b", "chunks_per_query"]),
        "chunks_70b_low": sci(big.loc["llama3-70b", "chunks_per_query_low"]),
        "chunks_70b_high": sci(big.loc["llama3-70b", "chunks_per_query_high"]),
        "chunk_rows_70b": pow2(int(big.loc["llama3-70b", "chunk_logrows"])),
        "chunks_405b": sci(big.loc["llama3-405b", "chunks_per_query"]),
        "chunk_memory_70b": gib(big.loc["llama3-70b", "chunk_memory_bytes"]),
    })


# ----------------------------------------------------------------- sources


def sources_table() -> pd.DataFrame:
    """The facts of the layout model and where they were read (:data:`~chasm.costmodel.sources.SOURCES`)."""
    return pd.DataFrame(sorted(SOURCES.items()), columns=["fact", "source"])


def version_facts() -> dict[str, str]:
    """Glued text of the version caveat: ``version_note`` (the source read against the wheel run)
    and ``layout_versions`` (ezkl versions recorded in ``layouts.csv``); each prefixed ``costmodel_``."""
    versions = sorted(set(layouts_table()["ezkl_version"].astype(str)))
    return _glue_names({"version_note": EZKL_SOURCE_VERSION_NOTE, "layout_versions": ", ".join(versions)})


# ------------------------------------------------------------------- chart


def validation_frame() -> pd.DataFrame:
    """Every circuit in ``data/measurements/``: the layouts (split train/test) and each distinct
    proven circuit, with reported and predicted rows and assignments."""
    cols = ["family", "config", "rows_observed", "rows_predicted", "assignments_observed",
            "assignments_predicted", "rows_rel_err", "assignments_rel_err"]
    result = layouts_validation()
    parts = [result.assign(source=np.where(result["split"] == "train", "layout (training)", "layout (held out)"))]
    proofs = validate_proofs()
    if not proofs.empty:
        parts.append(proofs.drop_duplicates("circuit_key").assign(source="proving run"))
    return pd.concat([p[["source", *cols]] for p in parts], ignore_index=True)


def validation_chart(frame: pd.DataFrame):
    """Two rows of panels for a :func:`validation_frame`: predicted against reported rows and
    assignments (log-log, the diagonal dashed), and the relative error of each against the
    reported rows."""
    quantities = {"rows": "rows (num_rows)", "assignments": "assignments (total_assignments)"}
    long = pd.concat([pd.DataFrame({
        "quantity": label, "source": frame["source"], "family": frame["family"], "config": frame["config"],
        "rows_observed": frame["rows_observed"], "reported": frame[f"{key}_observed"],
        "predicted": frame[f"{key}_predicted"], "error_pct": 100 * frame[f"{key}_rel_err"],
    }) for key, label in quantities.items()], ignore_index=True)
    log = alt.Scale(type="log")
    tooltip = ["quantity", "source", "family", "config", "reported", "predicted", "error_pct"]
    base = alt.Chart(long)
    diagonal = base.mark_line(color="#888888", strokeDash=[4, 4]).encode(
        x=alt.X("reported:Q", scale=log), y=alt.Y("reported:Q", scale=log))
    points = base.mark_point().encode(
        x=alt.X("reported:Q", scale=log, title="reported by ezkl"),
        y=alt.Y("predicted:Q", scale=log, title="predicted by the cost model"),
        color=alt.Color("family:N", title="family"), shape=alt.Shape("source:N", title="circuit"),
        tooltip=tooltip)
    scatter = alt.layer(diagonal, points).properties(width=260, height=260).facet(
        column=alt.Column("quantity:N", title=None), title="Predicted against reported")
    residuals = base.mark_point().encode(
        x=alt.X("rows_observed:Q", scale=log, title="rows reported by ezkl (num_rows)"),
        y=alt.Y("error_pct:Q", title="predicted / reported - 1 (%)"),
        color=alt.Color("family:N", title="family"), shape=alt.Shape("source:N", title="circuit"),
        tooltip=tooltip).properties(width=260, height=200).facet(
        column=alt.Column("quantity:N", title=None), title="Relative error against circuit size")
    return alt.vconcat(scatter, residuals)
