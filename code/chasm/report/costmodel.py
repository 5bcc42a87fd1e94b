"""Tables, charts and glued text of the chapter "What a proof must compute", built on :mod:`chasm.costmodel`.

The chapter's prose lives in its Markdown; this module computes what the prose quotes and the
tables it shows. The ``*_facts`` functions return ``{glue name: text}`` (names prefixed
``costmodel_``), formatted exactly as the page prints them, for the chapter to glue; their
docstrings list the keys and units. Besides those: the rendering helpers for the chapter's equations
(:func:`eq`, :func:`unpad`, :func:`tex`), the tables, the model against circuits ezkl laid out
(committed or just now, :func:`compare_with_layouts`), and the validation chart. The prover's half of
the chapter (constants, time scale, ratio, chunks, frontier workload) is :mod:`chasm.report.costmodel_prover`.
"""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import sympy as sp

from chasm.core import data
from chasm.core.constants import LAYOUTS
from chasm.core.ezkl_rules import (
    BN254_TWO_ADICITY, DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS, DEFAULT_INNER_COLS, MAX_LOGROWS, logrows_rule,
)
from chasm.core.fmt import pct, pow2
from chasm.costmodel.constants import Constants, circuit_size, default_constants, design, estimate_constants
from chasm.costmodel.frontier import layer_rows
from chasm.costmodel.layout import (
    RunArgs, cells_per_mac_limit, decompose_cells, relu_cells, rescale_cells, uses_freivalds,
)
from chasm.costmodel.llama import circuit_architecture
from chasm.costmodel.operations import ESTIMATED, dense, matmul, mean_alignment_cells
from chasm.costmodel.sources import (
    BASE_ADVICE_VARS, EZKL_SOURCE_VERSION_NOTE, EZKL_TAG,
    SOURCES,
)
from chasm.costmodel.symbols import SYMBOL_DOCS, T, d_h, h, k, m, n, r
from chasm.costmodel.validation import (
    BAND_COVERAGE, MEDIAN_ERROR_TARGET, heldout_summary, layouts_validation, leave_out_errors,
    validate_proofs,
)
from chasm.report import charts  # noqa: F401  (the book's theme and renderer)

__all__ = ["glue_names", "eq", "unpad", "tex", "PREFIX", "FLOOR_LOGROWS", "WORST_REL_ERR",
           "MEAN_ALIGNMENT_EXAMPLE_WIDTH", "symbol_table", "cells_per_mac", "layout_facts", "layouts_table",
           "training_layouts", "training_constants", "estimation_facts", "constants_table", "heldout_facts",
           "proven_circuits_table", "proof_facts", "worst_layouts", "compare_with_layouts",
           "residual_facts", "sources_table", "version_facts", "validation_frame", "validation_chart"]

#: Prefix of every glue name of the chapter (glue names are unique across the book).
PREFIX = "costmodel_"
#: The smallest circuit ezkl builds at its default decomposition, in logrows (``logrows_rule`` of one row).
FLOOR_LOGROWS = logrows_rule(1)
#: Relative error of the modelled rows above which a laid-out circuit is listed (:func:`worst_layouts`).
WORST_REL_ERR = 5e-4
#: Layer-norm width at which the chapter shows :func:`~chasm.costmodel.operations.mean_alignment_cells`.
MEAN_ALIGNMENT_EXAMPLE_WIDTH = 12


def glue_names(facts: dict) -> dict:
    """``facts`` with every name prefixed :data:`PREFIX` (the chapter's glue names)."""
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
    return glue_names({
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


def estimation_facts(constants: Constants) -> dict[str, str]:
    """Glued text of the estimate of ``constants`` (:func:`training_constants`): ``legs`` (the
    decompositions laid out, "2 and 3"), ``n_equations`` (equations that enter the estimate),
    ``n_design_equations`` (all equations of the training circuits: base and einsum cells of each),
    ``n_train_circuits``, ``coverage`` (of the confidence intervals, %), ``t_quantile`` (the
    quantile of Student's t, %), ``dof`` (residual degrees of freedom), ``n_constants`` and
    ``freivalds_fixed`` (ε_F, cells); each prefixed ``costmodel_``."""
    legs = sorted(set(layouts_table()["decomp_legs"]))
    return glue_names({
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
    table["constant"] = [tex(ESTIMATED[name]) for name in table["constant"]]
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
    return glue_names({
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
    result: reported and modelled rows and logrows, and the relative error of the rows
    (rounded to five decimals)."""
    distinct = proofs.drop_duplicates("circuit_key")
    return distinct[["family", "config", "rows_observed", "rows_modelled", "logrows_observed",
                     "logrows_modelled", "rows_rel_err"]].round(5)


def proof_facts(proofs: pd.DataFrame) -> dict[str, str]:
    """Glued text of the check on the proving runs (a :func:`~chasm.costmodel.validation.validate_proofs`
    result): ``n_proven_circuits`` (distinct), ``n_proving_runs``, ``n_unseen`` (never laid out),
    ``n_larger`` (larger than the largest laid-out circuit), ``proven_rows_max`` and
    ``layout_rows_max`` (rows), ``proven_rows_err_max`` (largest absolute relative error, %) and
    ``same_logrows`` (runs whose modelled logrows is ezkl's); each prefixed ``costmodel_``.
    Raises if there is no completed proving run."""
    if proofs.empty:
        raise ValueError("data/measurements/proofs.csv holds no completed proving run")
    distinct = proofs.drop_duplicates("circuit_key")
    errors = leave_out_errors()
    largest_layout = int(layouts_table()["num_rows"].max())
    return glue_names({
        "n_proven_circuits": str(len(distinct)), "n_proving_runs": str(len(proofs)),
        "n_unseen": str(int((errors["source"] == "proving run").sum())),
        "n_larger": str(int((distinct["rows_observed"] > largest_layout).sum())),
        "proven_rows_max": f"{int(proofs['rows_observed'].max()):,}", "layout_rows_max": f"{largest_layout:,}",
        "proven_rows_err_max": pct(proofs["rows_rel_err"].abs().max()),
        "same_logrows": str(int((proofs["logrows_observed"] == proofs["logrows_modelled"]).sum())),
    })


def worst_layouts(result: pd.DataFrame, threshold: float = WORST_REL_ERR) -> pd.DataFrame:
    """The laid-out circuits of a :func:`~chasm.costmodel.validation.validate` result whose
    modelled rows are off by more than ``threshold`` (relative), with their run arguments
    (rounded to five decimals)."""
    worst = result.loc[result["rows_rel_err"].abs() > threshold,
                       ["split", "family", "config", "num_inner_cols", "disable_freivalds", "decomp_legs",
                        "rows_observed", "rows_modelled", "rows_rel_err"]]
    return worst.round(5)


def compare_with_layouts(circuits, records: list[dict], constants: Constants | None = None) -> pd.DataFrame:
    """The model against circuits just laid out by ezkl: ``circuits`` (:class:`chasm.experiments.layouts.Circuit`)
    and their ``records`` (:func:`chasm.experiments.layouts.measure_many`). One row per circuit with family,
    config, the run arguments that differ from the defaults, reported and modelled rows and their
    relative error."""
    constants = constants or default_constants()
    rows = []
    for circuit, record in zip(circuits, records):
        pred = circuit_size(circuit.family, circuit.config, constants, **circuit.full_run_args)
        rows.append({"family": circuit.family, "config": circuit.config_json,
                     "run_args": json.dumps(circuit.run_args, sort_keys=True) if circuit.run_args else "",
                     "rows_reported": record["num_rows"], "rows_modelled": pred["num_rows"],
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
    ``llama_seq`` (tokens of ``llama_config``), ``pruned_rows`` (rows the model over-counts for
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
    return glue_names({
        "worst_threshold": pct(WORST_REL_ERR, 2), "mean_cells": str(1 + rescale_cells()),
        "alignment_example": Markdown(f"${sp.latex(mean_alignment_cells(r, width))}$ cells at $l = {width}$"),
        "wide_d_model": str(wide["d_model"]), "wide_cells": f"{-term:,}",
        "wide_share": pct(-term / (total - term), 1),
        "n_odd": str(len(odd)), "odd_widths": ", ".join(str(json.loads(c)["d"]) for c in odd["config"]),
        "llama_seq": str(llama_config["seq"]),
        "pruned_rows": f"{int(last['rows_modelled'] - last['rows_reported']):,}",
        "layer_prefill_rows": f"{one_layer['base_rows']:,.0f}",
    })


# ------------------------------------------------------------ prover work


# ----------------------------------------------- proving against inference


# ---------------------------------------------------------------- chunking


# ---------------------------------------------------------- frontier models


# ----------------------------------------------------------------- sources


def sources_table() -> pd.DataFrame:
    """The facts of the layout model and where they were read (:data:`~chasm.costmodel.sources.SOURCES`)."""
    return pd.DataFrame(sorted(SOURCES.items()), columns=["fact", "source"])


def version_facts() -> dict[str, str]:
    """Glued text of the version caveat: ``version_note`` (the source read against the wheel run)
    and ``layout_versions`` (ezkl versions recorded in ``layouts.csv``); each prefixed ``costmodel_``."""
    versions = sorted(set(layouts_table()["ezkl_version"].astype(str)))
    return glue_names({"version_note": EZKL_SOURCE_VERSION_NOTE, "layout_versions": ", ".join(versions)})


# ------------------------------------------------------------------- chart


def validation_frame() -> pd.DataFrame:
    """Every circuit in ``data/measurements/``: the layouts (split train/test) and each distinct
    proven circuit, with reported and modelled rows and assignments."""
    cols = ["family", "config", "rows_observed", "rows_modelled", "assignments_observed",
            "assignments_modelled", "rows_rel_err", "assignments_rel_err"]
    result = layouts_validation()
    parts = [result.assign(source=np.where(result["split"] == "train", "layout (training)", "layout (held out)"))]
    proofs = validate_proofs()
    if not proofs.empty:
        parts.append(proofs.drop_duplicates("circuit_key").assign(source="proving run"))
    return pd.concat([p[["source", *cols]] for p in parts], ignore_index=True)


def validation_chart(frame: pd.DataFrame):
    """Two rows of panels for a :func:`validation_frame`: modelled against reported rows and
    assignments (log-log, the diagonal dashed), and the relative error of each against the
    reported rows."""
    quantities = {"rows": "rows (num_rows)", "assignments": "assignments (total_assignments)"}
    long = pd.concat([pd.DataFrame({
        "quantity": label, "source": frame["source"], "family": frame["family"], "config": frame["config"],
        "rows_observed": frame["rows_observed"], "reported": frame[f"{key}_observed"],
        "modelled": frame[f"{key}_modelled"], "error_pct": 100 * frame[f"{key}_rel_err"],
    }) for key, label in quantities.items()], ignore_index=True)
    log = alt.Scale(type="log")
    tooltip = ["quantity", "source", "family", "config", "reported", "modelled", "error_pct"]
    base = alt.Chart(long)
    diagonal = base.mark_line(color="#888888", strokeDash=[4, 4]).encode(
        x=alt.X("reported:Q", scale=log), y=alt.Y("reported:Q", scale=log))
    points = base.mark_point().encode(
        x=alt.X("reported:Q", scale=log, title="reported by ezkl"),
        y=alt.Y("modelled:Q", scale=log, title="modelled by the cost model"),
        color=alt.Color("family:N", title="family"), shape=alt.Shape("source:N", title="circuit"),
        tooltip=tooltip)
    scatter = alt.layer(diagonal, points).properties(width=260, height=260).facet(
        column=alt.Column("quantity:N", title=None), title="Modelled against reported")
    residuals = base.mark_point().encode(
        x=alt.X("rows_observed:Q", scale=log, title="rows reported by ezkl (num_rows)"),
        y=alt.Y("error_pct:Q", title="modelled / reported - 1 (%)"),
        color=alt.Color("family:N", title="family"), shape=alt.Shape("source:N", title="circuit"),
        tooltip=tooltip).properties(width=260, height=200).facet(
        column=alt.Column("quantity:N", title=None), title="Relative error against circuit size")
    return alt.vconcat(scatter, residuals).properties(title="The cost model against the circuits ezkl builds")
