"""chasm.costmodel.frontier: a frontier query's rows, chunks and prover work, with bands that hold together."""

from __future__ import annotations

import pytest

from chasm.costmodel import frontier
from chasm.costmodel import llama
from chasm.costmodel import validation


def test_frontier_workload_is_consistent():
    ids = llama.list_architectures()
    assert ids == ["llama3-8b", "llama3-70b", "llama3-405b"]
    loads = [frontier.frontier_workload(a) for a in ids]
    for fw in loads:
        assert fw.rows_per_query_low < fw.rows_per_query < fw.rows_per_query_high
        assert fw.rows_per_token_low < fw.rows_per_token < fw.rows_per_token_high
        half = fw.rows_band_rel + fw.rows_trend_rel + 1.96 * fw.rows_se_rel  # two-sided 95% normal quantile
        assert fw.rows_per_query_high == pytest.approx(fw.rows_per_query * (1 + half), rel=1e-6)
        assert fw.rows_per_query_low == pytest.approx(fw.rows_per_query * (1 - half) - fw.rows_pruned_max, rel=1e-6)
        assert fw.rows_band_rel >= validation.leave_out_errors()["rows_rel_err"].abs().median()
        assert 0 < fw.prefill_rows_share < 1
        assert fw.kv_elements_per_query > 0
    for key in ("rows_per_query", "flops_per_query", "kv_elements_per_query"):
        assert getattr(loads[0], key) < getattr(loads[1], key) < getattr(loads[2], key)
    with pytest.raises(KeyError, match="llama3-8b"):
        frontier.frontier_workload("gpt-4")


def test_work_ratio_is_chain_work_per_flop_with_the_rows_band():
    from chasm.costmodel import prover

    fw = frontier.frontier_workload("llama3-70b")
    ratio = frontier.work_ratio("llama3-70b", 22)
    per_row = float(prover.chain_work(22, 1).subs(prover.prover_constants("llama-decode")))
    assert ratio["point"] == pytest.approx(per_row * fw.rows_per_query / fw.flops_per_query)
    assert ratio["low"] < ratio["point"] < ratio["high"]
    # more committed polynomials per row (the prompt's circuits) cost more per FLOP
    assert frontier.work_ratio("llama3-70b", 22, kind="llama-prefill")["point"] > ratio["point"]
