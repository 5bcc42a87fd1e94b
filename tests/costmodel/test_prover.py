"""chasm.costmodel.prover: prover work for 2^k rows, chunking, and the proving-to-inference ratio."""

from __future__ import annotations

import pytest
import sympy as sp

from chasm.core import ezkl_rules
from chasm.costmodel import prover
from chasm.costmodel import sources
from chasm.costmodel import symbols


def test_chunk_size_table_follows_the_derived_expression():
    table = prover.chunk_size_table(range(20, ezkl_rules.MAX_LOGROWS + 1))
    for rec in table.to_dict("records"):
        expected = prover.chunked_work(rec["K"], 1, sources.AGGREGATION_ROWS_PER_PROOF["point"]).subs(prover.PROVER_CONSTANTS)
        assert rec["field_mults_per_row"] == pytest.approx(float(expected))
        assert rec["chunk_memory_bytes"] == float(prover.chunk_memory_bytes(rec["K"]).subs(prover.PROVER_CONSTANTS))
    assert prover.chunks_for_rows(2**20 - ezkl_rules.RESERVED_BLINDING_ROWS, 20) == 1
    assert prover.chunks_for_rows(2**20, 20) == 2


def test_chunking_optimum_is_a_minimum_over_the_aggregation_range():
    span = prover.chunk_optimum_interval()
    for name, agg in sources.AGGREGATION_ROWS_PER_PROOF.items():
        opt = prover.chunk_optimum(agg)
        assert opt["second_derivative"] > 0
        assert span["K_stationary_low"] <= opt["K_stationary"] <= span["K_stationary_high"]
        assert span["K_best_low"] <= opt["K_best"] <= span["K_best_high"]


def test_chunking_optimum_is_a_true_minimum():
    opt = prover.chunk_optimum()
    assert opt["derivative_at_stationary"] == pytest.approx(0, abs=1e-6 * opt["work_per_row_at_stationary"])
    assert opt["second_derivative"] > 0
    per_row = sp.lambdify(symbols.Kc, prover.chunked_work(symbols.Kc, 1, sources.AGGREGATION_ROWS_PER_PROOF["point"])
                          .subs(prover.PROVER_CONSTANTS), "math")
    ks = opt["K_stationary"]
    assert per_row(ks) < per_row(ks - 0.5) and per_row(ks) < per_row(ks + 0.5)
    feasible = {K: per_row(K) for K in range(ezkl_rules.MIN_LOGROWS, ezkl_rules.MAX_LOGROWS + 1)}
    assert opt["K_best"] == min(feasible, key=feasible.get)
    if ks > ezkl_rules.MAX_LOGROWS:
        assert opt["K_best"] == ezkl_rules.MAX_LOGROWS


def test_prover_work_is_dominated_by_msm_below_the_crossover():
    crossover = float(prover.msm_fft_crossover().subs(prover.PROVER_CONSTANTS))
    assert crossover > ezkl_rules.MAX_LOGROWS
    terms = {name: float(expr.subs(prover.PROVER_CONSTANTS).subs(symbols.kk, 20))
             for name, expr in prover.prover_work_terms().items()}
    assert terms["msm"] > terms["fft"]
    big = {name: float(expr.subs(prover.PROVER_CONSTANTS).subs(symbols.kk, 2 * crossover))
           for name, expr in prover.prover_work_terms().items()}
    assert big["fft"] > big["msm"]


def test_proving_to_inference_ratio_limits():
    capped = prover.mlp_proving_ratio(capped=True).subs(prover.PROVER_CONSTANTS).subs(symbols.Kc, ezkl_rules.MAX_LOGROWS)
    limit = sp.limit(capped, symbols.w, sp.oo)
    assert limit.is_finite and limit > 0
    # one uncapped circuit: the FFT's log factor makes the ratio grow without bound (past the
    # MSM/FFT crossover, far beyond the largest circuit BN254 allows)
    uncapped = prover.mlp_proving_ratio(capped=False).subs(prover.PROVER_CONSTANTS).subs(symbols.depth, 4)
    uncapped = uncapped.replace(sp.ceiling, lambda arg: arg)  # even widths
    assert sp.limit(uncapped, symbols.w, sp.oo) == sp.oo
    assert float(uncapped.subs(symbols.w, 2**60)) > float(uncapped.subs(symbols.w, 2**40))
