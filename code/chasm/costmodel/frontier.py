"""The cost model applied to the Llama 3 models of ``data/architectures.csv`` answering the query
of ``data/query.csv``: multiply-accumulates, FLOPs and rows per token and per query, with 95% intervals
(:func:`frontier_workload`; method in :func:`rows_interval`), and the key/value-cache elements each
decoding step reads (what linking the steps must commit). How the rows are cut into chunk proofs, and
what proving them costs, is :mod:`chasm.laws.frontier`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
import sympy as sp

from chasm.costmodel.constants import Constants, default_constants
from chasm.costmodel.layout import DEFAULT_RUN_ARGS, RunArgs, Work, total
from chasm.costmodel.llama import (
    Architecture, llama_layer_ops, llama_pass, list_architectures, load_architectures, load_query,
)
from chasm.costmodel.operations import ESTIMATED
from chasm.costmodel.prover import chain_work, prover_constants
from chasm.costmodel.sources import BASE_ADVICE_VARS, EINSUM_ADVICE_VARS
from chasm.costmodel.symbols import t
from chasm.costmodel.validation import BAND_COVERAGE, conformal_quantile, error_trend_at, leave_out_errors

__all__ = ["Z95", "row_equivalents", "FrontierWorkload", "layer_rows", "rows_interval", "leave_out_bound",
           "frontier_workload", "frontier_table", "work_ratio", "rows_by_operation"]

#: Two-sided 95% normal quantile (for the fitted constants' standard error).
Z95 = NormalDist().inv_cdf((1 + BAND_COVERAGE) / 2)


def row_equivalents(work: Work, ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """Rows of the base region the work fills, counting einsum cells twice (the einsum region has
    six advice VarTensors against the base region's three)."""
    return (work.cells + sp.Rational(EINSUM_ADVICE_VARS, BASE_ADVICE_VARS) * work.einsum_cells) / ra.inner_cols


def _sum_over_positions(expr: sp.Expr, first: int, last: int) -> float:
    """Sum of ``expr(t)`` over cache positions ``t = first .. last`` (numerically)."""
    if last < first:
        return 0.0
    expr = sp.sympify(expr)
    if t not in expr.free_symbols:
        return float(expr) * (last - first + 1)
    fn = sp.lambdify(t, expr, "numpy")
    return float(np.sum(fn(np.arange(first, last + 1, dtype=float))))


@dataclass(frozen=True)
class FrontierWorkload:
    """Work to prove one Llama-3 model's inference with ezkl's layout (floats).

    ``macs/flops/rows_per_token``: one decoding step at the query's mean cache length.
    ``*_per_query``: prefill of the prompt plus ``generated - 1`` decoding steps.
    Rows are base-region row equivalents (:func:`row_equivalents`) at ezkl's
    default layout; ``rows_per_*_low/high`` the 95% interval of :func:`rows_interval`
    (``rows_band_rel``: leave-out prediction bound, ``rows_trend_rel``: extrapolated drift of the
    error with size, ``rows_se_rel``: standard error from the fitted constants,
    ``rows_pruned_max``: rows ezkl may drop from the last layer's prefill).
    ``kv_elements_per_query``: key/value-cache elements the decoding steps read, summed over the steps
    (each step proven on its own takes the whole cache as input).
    """

    arch_id: str
    params: int
    prompt_tokens: int
    generated_tokens: int
    macs_per_token: float
    flops_per_token: float
    rows_per_token: float
    rows_per_token_low: float
    rows_per_token_high: float
    macs_per_query: float
    flops_per_query: float
    rows_per_query: float
    rows_per_query_low: float
    rows_per_query_high: float
    kv_elements_per_query: float
    prefill_rows_share: float
    rows_band_rel: float
    rows_trend_rel: float
    rows_se_rel: float
    rows_pruned_max: float


def layer_rows(arch: Architecture, tokens, cache, constants: Constants | None = None,
               ra: RunArgs = DEFAULT_RUN_ARGS) -> dict[str, float]:
    """Rows of one decoder layer (:func:`~chasm.costmodel.llama.llama_layer_ops`): ``base_rows``
    (base-region cells over the inner columns, as ezkl's ``num_rows``) and ``row_equivalents``
    (:func:`row_equivalents`)."""
    layer = total(work for _, work in llama_layer_ops(arch, tokens, cache, ra)).subs((constants or default_constants()).as_subs())
    return {"base_rows": float(layer.cells) / ra.inner_cols, "row_equivalents": float(row_equivalents(layer, ra))}


def _rows_se(arch: Architecture, query: dict, constants: Constants, ra: RunArgs) -> float:
    """Standard error of a query's rows from the covariance of the fitted constants (delta method:
    the gradient of prefill plus every decoding step in the constants, at the fitted values)."""
    P, Gn = query["prompt_tokens"], query["generated_tokens"]
    values = constants.as_subs()
    prefill = row_equivalents(llama_pass(arch, P, P, ra), ra)
    step = row_equivalents(llama_pass(arch, 1, t, ra), ra)
    grad = []
    for name in constants.names:
        sym = ESTIMATED[name]
        d_prefill = float(sp.diff(prefill, sym).subs(values))
        d_step = sp.diff(step, sym).subs(values)
        grad.append(d_prefill + _sum_over_positions(d_step, P + 1, P + Gn - 1))
    grad = np.array(grad)
    return float(math.sqrt(max(grad @ np.nan_to_num(constants.cov) @ grad, 0.0)))


def rows_interval(rows: float, band_rel: float, trend_rel: float, se_rel: float,
                  pruned_max: float) -> tuple[float, float]:
    """95% interval of a frontier row count (the method, stated once and used everywhere):
    ``rows (1 - h) - pruned`` to ``rows (1 + h)`` with ``h = band + trend + Z95 se``, where

    - ``band``: the split-conformal 95% bound of the leave-out relative errors (:func:`leave_out_bound`):
      how far one circuit's prediction strays;
    - ``trend``: the larger end, in absolute value, of the 95% confidence interval of the error
      trend with size extrapolated to the frontier's rows (:func:`~chasm.costmodel.validation.error_trend_at`):
      a drift with size the measured range cannot rule out;
    - ``se``: the relative standard error of the rows from the fitted constants (delta method);
    - ``pruned``: the rows of one layer's prefill, which ezkl's graph optimiser may drop when
      only the next token's logits are output (one-sided).
    """
    half = band_rel + trend_rel + Z95 * se_rel
    return rows * (1 - half) - pruned_max, rows * (1 + half)


def leave_out_bound() -> dict[str, float]:
    """:func:`~chasm.costmodel.validation.conformal_quantile` of the absolute relative row errors of
    every circuit the constants were not estimated on (:func:`~chasm.costmodel.validation.leave_out_errors`)."""
    return conformal_quantile(leave_out_errors()["rows_rel_err"].abs(), BAND_COVERAGE)


def frontier_workload(arch_id: str, *, constants: Constants | None = None) -> FrontierWorkload:
    """Per-token and per-query work of Llama-3 ``arch_id`` (see :func:`list_architectures`) on the
    query of ``data/query.csv``, at ezkl's default layout, with the intervals of :func:`rows_interval`."""
    archs = load_architectures()
    if arch_id not in archs:
        raise KeyError(f"unknown architecture {arch_id!r}; known: {', '.join(archs)}")
    arch, query, ra = archs[arch_id], load_query(), DEFAULT_RUN_ARGS
    constants = constants or default_constants()
    subs = constants.as_subs()
    P, Gn = query["prompt_tokens"], query["generated_tokens"]
    prefill = llama_pass(arch, P, P, ra)
    step = llama_pass(arch, 1, t, ra)
    tok = step.subs({t: P + Gn / 2, **subs})
    rows_prefill = float(row_equivalents(prefill, ra).subs(subs))
    rows_query = rows_prefill + _sum_over_positions(row_equivalents(step, ra).subs(subs), P + 1, P + Gn - 1)
    macs_query = float(prefill.macs) + _sum_over_positions(step.macs, P + 1, P + Gn - 1)
    flops_query = float(prefill.flops) + _sum_over_positions(step.flops, P + 1, P + Gn - 1)
    pruned = layer_rows(arch, P, P, constants, ra)["row_equivalents"]

    band = leave_out_bound()["bound"]
    trend = error_trend_at(rows_query)
    trend_rel = max(abs(trend["low"]), abs(trend["high"]))
    se_rel = _rows_se(arch, query, constants, ra) / rows_query
    rows_low, rows_high = rows_interval(rows_query, band, trend_rel, se_rel, pruned)
    rows_token = float(row_equivalents(tok, ra))
    token_low, token_high = rows_interval(rows_token, band, trend_rel, se_rel, pruned / (P + Gn - 1))

    kv_width = arch.n_kv_heads * (arch.d_model // arch.n_heads)
    kv_elements = sum(2 * arch.n_layers * c * kv_width for c in range(P + 1, P + Gn))
    return FrontierWorkload(
        arch_id=arch_id, params=arch.params, prompt_tokens=P, generated_tokens=Gn,
        macs_per_token=float(tok.macs), flops_per_token=float(tok.flops),
        rows_per_token=rows_token, rows_per_token_low=token_low, rows_per_token_high=token_high,
        macs_per_query=macs_query, flops_per_query=flops_query,
        rows_per_query=rows_query, rows_per_query_low=rows_low, rows_per_query_high=rows_high,
        kv_elements_per_query=float(kv_elements), prefill_rows_share=rows_prefill / rows_query,
        rows_band_rel=band, rows_trend_rel=trend_rel, rows_se_rel=se_rel, rows_pruned_max=pruned,
    )


def frontier_table(**kw) -> pd.DataFrame:
    """:func:`frontier_workload` of every architecture, one row each."""
    return pd.DataFrame([vars(frontier_workload(a, **kw)) for a in list_architectures()])


def work_ratio(arch_id: str, chunk_logrows: int, kind: str = "llama-decode") -> dict[str, float]:
    """Prover field multiplications per inference FLOP of ``arch_id``'s query proven as a chain of chunks
    of ``2^chunk_logrows`` rows (:func:`chasm.costmodel.prover.chain_work` with the measured constants of
    ``kind``), low/point/high from the 95% interval of the rows."""
    w = frontier_workload(arch_id)
    per_row = float(chain_work(chunk_logrows, 1).subs(prover_constants(kind)))
    return {end: per_row * getattr(w, "rows_per_query" + ("" if end == "point" else f"_{end}")) / w.flops_per_query
            for end in ("low", "point", "high")}



def rows_by_operation(arch_id: str, constants: Constants | None = None) -> pd.DataFrame:
    """Where a Llama-3 model's rows go: for the prefill of the query's prompt and for one decoding
    step at the query's mean cache length, the rows of each operation of one decoder layer
    (:func:`~chasm.costmodel.llama.llama_layer_ops`) and its share of that layer's rows (%)."""
    archs = load_architectures()
    if arch_id not in archs:
        raise KeyError(f"unknown architecture {arch_id!r}; known: {', '.join(archs)}")
    arch, query = archs[arch_id], load_query()
    subs = (constants or default_constants()).as_subs()
    P, Gn = query["prompt_tokens"], query["generated_tokens"]
    parts = {"prefill": (P, P), "decoding step": (1, P + Gn // 2)}
    frames = []
    for part, (tokens, cache) in parts.items():
        rows = {name: float(row_equivalents(work, DEFAULT_RUN_ARGS).subs(subs))
                for name, work in llama_layer_ops(arch, tokens, cache)}
        layer = sum(rows.values())
        frames.append(pd.DataFrame({"part": part, "operation": list(rows), "rows": list(rows.values()),
                                    "share_pct": [100 * r / layer for r in rows.values()]}))
    return pd.concat(frames, ignore_index=True)
