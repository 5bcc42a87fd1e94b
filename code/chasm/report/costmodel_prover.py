"""The prover's half of the chapter "What a proof must compute": the constants read from ezkl's circuits,
the measured time per modelled field multiplication, the proving-to-inference ratio, chains of chunk proofs and a
frontier query's workload. Glued names are prefixed ``costmodel_`` like the rest of the chapter's."""

from __future__ import annotations


import pandas as pd
import sympy as sp

from chasm.core.constants import CONTENTION_LIMIT
from chasm.core.ezkl_rules import (
    DEFAULT_INNER_COLS, max_logrows_for_degree,
)
from chasm.core.fmt import gib, interval, pct, pow2, sci
from chasm.costmodel.frontier import Z95, leave_out_bound, rows_by_operation, work_ratio
from chasm.costmodel.llama import load_query
from chasm.costmodel.prover import (
    CIRCUIT_KINDS, FIELD_ELEMENT_BYTES, FRONTIER_KIND, chunk_memory_bytes, chunk_size_table, circuit_committed_polys,
    measured_constants, mlp_proving_ratio, msm_fft_crossover, msm_share, prover_constants, prover_work_per_row,
)
from chasm.costmodel.sources import (
    AGGREGATION_REMOVED_IN_MAJOR, BASE_ADVICE_VARS, EINSUM_ADVICE_VARS, MADD_MULTIPLICATIONS, MADD_SQUARINGS, SOURCES,
)
from chasm.costmodel.symbols import Kc, bits, ext, gamma, kk, n_open, n_poly, n_q, w
from chasm.costmodel.timing import geometric_mean_interval, implied_time_per_config
from chasm.costmodel.validation import (
    BAND_COVERAGE, error_trend_at, leave_out_errors,
)
from chasm.report.costmodel import FLOOR_LOGROWS, glue_names, unpad

__all__ = ["prover_constants_table", "prover_facts", "timing_facts", "timing_table", "mlp_ratio_limit",
           "ratio_facts", "chunk_table", "chunking_facts", "operation_shares", "query_facts",
           "per_token_table", "per_query_table", "interval_facts", "verdict_facts"]


def prover_constants_table() -> pd.DataFrame:
    """The prover constants read from the circuits ezkl builds, per kind of circuit
    (:func:`~chasm.costmodel.prover.measured_constants`), beside the earlier estimate from ezkl's source
    (:func:`~chasm.costmodel.prover.circuit_committed_polys` at degree 5)."""
    estimate = {"mlp": circuit_committed_polys(2, 2, False), "cnn": circuit_committed_polys(2, 2, False),
                "transformer": circuit_committed_polys(2, 4, True), "llama-prefill": circuit_committed_polys(2, 5, True),
                "llama-decode": circuit_committed_polys(2, 5, False)}
    rows = []
    for kind in CIRCUIT_KINDS:
        c = measured_constants(kind)
        rows.append({"circuits": kind, "read from": c["circuits"], "committed polys per row": int(c["committed_polys"]),
                     "estimate from the source": estimate[kind], "constraint degree": c["degree"],
                     "quotient pieces": c["n_quotient"], "extended domain": f"{2 ** c['ext']}x",
                     "other MSMs": c["other_msms"], "largest chunk": pow2(max_logrows_for_degree(c["degree"]))})
    return pd.DataFrame(rows)


def prover_facts(kind: str = FRONTIER_KIND) -> dict[str, str]:
    """Glued text of the prover's constants for circuits of ``kind`` and of where MSMs and FFTs cross:
    ``bits`` (b, of a BN254 scalar), ``gamma`` (γ, field multiplications per point addition),
    ``madd_mults``, ``madd_squarings``, ``n_committed`` (n_c), ``degree`` (constraint degree),
    ``n_quotient`` (n_q), ``ext`` (e), ``n_open`` (MSMs besides the commitments and quotient pieces),
    ``largest_chunk`` (logrows ezkl accepts at that degree), ``k_cross`` (the k where FFT overtakes MSM
    work), ``msm_share_floor`` and ``msm_share_max`` (the MSMs' share of the work, %, at
    :data:`FLOOR_LOGROWS` and at the largest chunk); each prefixed ``costmodel_``."""
    consts, read = prover_constants(kind), measured_constants(kind)
    top = max_logrows_for_degree(read["degree"])
    k_cross = float(msm_fft_crossover().subs(consts))
    return glue_names({
        "bits": str(consts[bits]), "gamma": str(consts[gamma]),
        "madd_mults": str(MADD_MULTIPLICATIONS), "madd_squarings": str(MADD_SQUARINGS),
        "n_committed": str(int(consts[n_poly])), "degree": str(read["degree"]),
        "n_quotient": str(consts[n_q]), "ext": str(consts[ext]), "ext_factor": str(2 ** consts[ext]),
        "n_open": str(consts[n_open]), "largest_chunk": str(top), "largest_chunk_rows": pow2(top),
        "k_cross": f"{k_cross:.1f}", "msm_share_floor": pct(msm_share(FLOOR_LOGROWS), 0),
        "msm_share_max": pct(msm_share(top), 0),
    })


def timing_facts(implied: pd.DataFrame) -> dict[str, str]:
    """Glued text of the time scale of ``implied`` (:func:`~chasm.costmodel.timing.implied_field_mult_time`),
    uncontended runs only: ``n_contended`` (runs left out), ``contention_limit`` (%), ``n_timed_configs``;
    ``ns_trend`` (per family, the geometric mean over configurations of CPU-nanoseconds per modelled field
    multiplication at its smallest and at its largest logrows, each with its 95% interval: over
    configurations, or over repetitions where one configuration has that size) and
    ``ns_direction`` ('rises' when it is higher at the largest size in every family, else 'does not
    rise in every family'); each prefixed ``costmodel_``. Raises if no completed, uncontended run is
    committed."""
    clean = implied[~implied["contended"]] if not implied.empty else implied
    if clean.empty:
        raise ValueError("data/measurements/proofs.csv holds no completed, uncontended proving run")
    parts, rises = [], []
    for family, runs in clean.groupby("family"):
        ends = []
        for logrows in (runs["logrows"].min(), runs["logrows"].max()):
            at = runs[runs["logrows"] == logrows]
            # one configuration at a size: the interval is over its repetitions
            groups = at["config_id"] if at["config_id"].nunique() > 1 else None
            gm = geometric_mean_interval(at["cpu_ns_per_field_mult"], groups)
            ends.append((int(logrows), gm))
        (k0, g0), (k1, g1) = ends
        rises.append(g1["point"] > g0["point"])
        parts.append(f"{family} {g0['point']:.0f} ns ({g0['low']:.0f} to {g0['high']:.0f}) at 2^{k0} rows, "
                     f"{g1['point']:.0f} ns ({g1['low']:.0f} to {g1['high']:.0f}) at 2^{k1}")
    return glue_names({
        "n_contended": str(int(implied["contended"].sum())), "contention_limit": pct(CONTENTION_LIMIT, 0),
        "n_timed_configs": str(clean["config_id"].nunique()), "ns_trend": "; ".join(parts),
        "ns_direction": "rises" if all(rises) else "does not rise in every family",
    })


def timing_table(implied: pd.DataFrame) -> pd.DataFrame:
    """Per configuration of ``implied``: runs, contended runs and the median CPU-nanoseconds per
    modelled field multiplication (:func:`~chasm.costmodel.timing.implied_time_per_config`), rounded
    to one decimal."""
    return implied_time_per_config(implied).round(1)


def mlp_ratio_limit(capped: bool = True) -> sp.Expr:
    """The limit, as the width ``w`` grows, of an MLP's prover field multiplications per inference
    FLOP (:func:`~chasm.costmodel.prover.mlp_proving_ratio`, padding dropped, the constants read for MLP
    circuits substituted): a function of the chunk logrows ``K`` when ``capped``, else of nothing (one
    circuit: infinite)."""
    ratio = unpad(mlp_proving_ratio(capped=capped).subs(prover_constants("mlp")))
    return sp.limit(ratio, w, sp.oo)


def ratio_facts() -> dict[str, str]:
    """Glued text of the MLP's proving-to-inference ratio: ``mlp_max_logrows`` (the largest MLP chunk,
    logrows), ``mlp_max_rows``, ``ratio_limit_max`` (field multiplications per FLOP in the limit at that
    size), ``mlp_committed`` (the MLP circuits' committed polynomials per row) and
    ``mults_per_cell_max`` (field multiplications per cell at that size); each prefixed ``costmodel_``."""
    read = measured_constants("mlp")
    top = max_logrows_for_degree(read["degree"])
    per_cell = float(prover_work_per_row().subs(prover_constants("mlp")).subs(kk, top)) / DEFAULT_INNER_COLS
    return glue_names({
        "mlp_max_logrows": str(top), "mlp_max_rows": pow2(top), "mlp_committed": str(int(read["committed_polys"])),
        "ratio_limit_max": f"{float(mlp_ratio_limit().subs(Kc, top)):.0f}", "mults_per_cell_max": f"{per_cell:.0f}",
    })


def chunk_table() -> pd.DataFrame:
    """For each chunk size ``K`` a Llama decoding circuit allows (:data:`FLOOR_LOGROWS` to its largest):
    prover field multiplications per proven row of a chain (one decimal) and the least memory of one
    chunk's prover (GiB, one decimal) (:func:`~chasm.costmodel.prover.chunk_size_table`)."""
    top = max_logrows_for_degree(measured_constants(FRONTIER_KIND)["degree"])
    table = chunk_size_table(range(FLOOR_LOGROWS, top + 1))
    return pd.DataFrame({"K": table["K"], "field_mults_per_row": table["field_mults_per_row"].round(1),
                         "chunk_memory_GiB": (table["chunk_memory_bytes"] / 2**30).round(1)})


def chunking_facts() -> dict[str, str]:
    """Glued text of the chunking section: ``aggregation_removed`` (ezkl's major version without
    aggregation), ``source_aggregation``, ``per_row_floor`` and ``per_row_top`` (modelled field
    multiplications per row at the smallest and the largest chunk), ``per_row_drop`` (how much less per
    row the largest chunk costs, %), ``chunk_memory_top`` (the least memory at the largest chunk) and
    ``field_bytes``; each prefixed ``costmodel_``."""
    table = chunk_table()
    lo, hi = table.iloc[0], table.iloc[-1]
    top = int(hi["K"])
    consts = prover_constants(FRONTIER_KIND)
    return glue_names({
        "aggregation_removed": str(AGGREGATION_REMOVED_IN_MAJOR), "source_aggregation": SOURCES["aggregation"],
        "per_row_floor": f"{lo['field_mults_per_row']:,.0f}", "per_row_top": f"{hi['field_mults_per_row']:,.0f}",
        "per_row_drop": pct(1 - hi["field_mults_per_row"] / lo["field_mults_per_row"], 0),
        "chunk_memory_top": gib(float(chunk_memory_bytes(top).subs(consts))), "field_bytes": str(FIELD_ELEMENT_BYTES),
    })


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
    return table, glue_names({"step_kv_cache": f"{step['kv_cache_input']:.1f}%",
                               "step_kv_repeat": f"{step['kv_repeat']:.1f}%",
                               "prefill_scores": f"{prefill['scores']:.1f}%"})


def query_facts() -> dict[str, str]:
    """Glued text of the query (``data/query.csv``) and of row equivalents: ``prompt_tokens``,
    ``generated_tokens``, ``processed_tokens`` (prompt plus generated less one), ``einsum_weight``
    (how many base rows one einsum cell counts as), ``einsum_advice_vars``; each prefixed
    ``costmodel_``."""
    query = load_query()
    return glue_names({
        "prompt_tokens": f"{query['prompt_tokens']:,}", "generated_tokens": f"{query['generated_tokens']:,}",
        "processed_tokens": f"{query['prompt_tokens'] + query['generated_tokens'] - 1:,}",
        "einsum_weight": str(EINSUM_ADVICE_VARS // BASE_ADVICE_VARS), "einsum_advice_vars": str(EINSUM_ADVICE_VARS),
    })


def per_token_table(frontier: pd.DataFrame) -> pd.DataFrame:
    """Per token of each model of a :func:`~chasm.costmodel.frontier.frontier_table`: parameters,
    MACs, FLOPs and rows, as text (95% intervals)."""
    return pd.DataFrame({
        "model": frontier["arch_id"],
        "parameters": frontier["params"].map(sci),
        "MACs per token": frontier["macs_per_token"].map(sci),
        "FLOPs per token": frontier["flops_per_token"].map(sci),
        "rows per token": interval(frontier["rows_per_token_low"], frontier["rows_per_token"],
                                   frontier["rows_per_token_high"]),
    })


def per_query_table(frontier: pd.DataFrame) -> pd.DataFrame:
    """Per query of each model of a :func:`~chasm.costmodel.frontier.frontier_table`: FLOPs, rows, the
    prefill's share of the rows, cached key/value elements the decoding steps read, and prover field
    multiplications per FLOP for a chain of the largest chunks (low end: the model's work per row falls
    with the chunk) to the smallest, as text."""
    top = max_logrows_for_degree(measured_constants(FRONTIER_KIND)["degree"])
    ratios = [(work_ratio(a, top), work_ratio(a, FLOOR_LOGROWS)) for a in frontier["arch_id"]]
    return pd.DataFrame({
        "model": frontier["arch_id"],
        "FLOPs per query": frontier["flops_per_query"].map(sci),
        "rows per query": interval(frontier["rows_per_query_low"], frontier["rows_per_query"],
                                   frontier["rows_per_query_high"]),
        "prefill share of rows": (100 * frontier["prefill_rows_share"]).round(1).astype(str) + "%",
        "cached elements read": frontier["kv_elements_per_query"].map(sci),
        f"field mults per FLOP, chunks of {pow2(top)} to {pow2(FLOOR_LOGROWS)} rows":
            [f"{big['low']:.0f} to {small['high']:.0f}" for big, small in ratios],
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
    return glue_names({
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
    """Glued text of the verdict, for a :func:`~chasm.costmodel.frontier.frontier_table`: ``ratio_low``
    and ``ratio_high`` (field multiplications per inference FLOP across the models: the largest chunk's
    low end with a decoding step's constants, to the smallest chunk's high end with the prompt's, which
    commit more polynomials per row), ``rows_70b`` (rows per query of Llama 3 70B) and
    ``rows_405b``; each prefixed ``costmodel_``."""
    top = max_logrows_for_degree(measured_constants(FRONTIER_KIND)["degree"])
    lows = [work_ratio(a, top)["low"] for a in frontier["arch_id"]]
    highs = [work_ratio(a, FLOOR_LOGROWS, kind="llama-prefill")["high"] for a in frontier["arch_id"]]
    big = frontier.set_index("arch_id")
    return glue_names({"ratio_low": f"{min(lows):.0f}", "ratio_high": f"{max(highs):.0f}",
                        "rows_70b": sci(big.loc["llama3-70b", "rows_per_query"]),
                        "rows_405b": sci(big.loc["llama3-405b", "rows_per_query"])})
