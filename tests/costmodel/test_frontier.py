"""chasm.costmodel.frontier: a frontier query's rows, chunks and prover work, with bands that hold together."""

from __future__ import annotations

import math
import pytest

from chasm.core import ezkl_rules
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
        assert fw.chunks_per_query_low <= fw.chunks_per_query <= fw.chunks_per_query_high
        assert fw.chunks_per_query == math.ceil(fw.rows_per_query / (2**fw.chunk_logrows - ezkl_rules.RESERVED_BLINDING_ROWS))
        assert fw.chunk_logrows <= ezkl_rules.MAX_LOGROWS
        assert fw.prover_work_per_query_low <= fw.prover_work_per_query <= fw.prover_work_per_query_high
    assert loads[0].rows_per_query < loads[1].rows_per_query < loads[2].rows_per_query
    with pytest.raises(KeyError, match="llama3-8b"):
        frontier.frontier_workload("gpt-4")
