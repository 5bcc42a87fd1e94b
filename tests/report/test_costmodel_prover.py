"""chasm.report.costmodel_prover: the constants read per kind, the time per field multiplication with size,
the chain's trade-off of work per row against memory, and the ratio the verdict quotes."""

from __future__ import annotations

from chasm.report import costmodel_prover
from chasm.report.costmodel import FLOOR_LOGROWS


def test_timing_facts_follow_the_time_per_field_multiplication_with_size():
    import math

    import pandas as pd

    def runs(family, k, ns, config):
        return [{"family": family, "logrows": k, "config_id": config, "cpu_ns_per_field_mult": v, "contended": False}
                for v in ns]

    rising = pd.DataFrame(runs("mlp", 15, [40, 41, 39], "a") + runs("mlp", 15, [42, 40, 41], "b")
                          + runs("mlp", 20, [60, 62, 61], "c") + [{"family": "mlp", "logrows": 20, "config_id": "d",
                                                                   "cpu_ns_per_field_mult": 500.0, "contended": True}])
    facts = costmodel_prover.timing_facts(rising)
    assert facts["costmodel_ns_direction"] == "rises"
    assert facts["costmodel_n_contended"] == "1" and facts["costmodel_n_timed_configs"] == "3"
    assert "at 2^15" in facts["costmodel_ns_trend"] and "61 ns" in facts["costmodel_ns_trend"]
    assert "500" not in facts["costmodel_ns_trend"]  # the contended run is left out
    falling = rising[~rising["contended"]].assign(cpu_ns_per_field_mult=lambda f: 100 - f["cpu_ns_per_field_mult"])
    assert costmodel_prover.timing_facts(falling)["costmodel_ns_direction"] == "does not rise in every family"
    assert not math.isnan(float(facts["costmodel_ns_trend"].split(" ns")[0].split()[-1]))


def test_prover_constants_table_reads_every_kind_and_flags_the_source_estimate():
    from chasm.costmodel import prover

    table = costmodel_prover.prover_constants_table()
    assert list(table.iloc[:, 0]) == list(prover.CIRCUIT_KINDS)
    facts = costmodel_prover.prover_facts()
    assert facts["costmodel_n_committed"] == str(int(prover.measured_constants()["committed_polys"]))
    assert int(facts["costmodel_ext_factor"]) == 2 ** int(facts["costmodel_ext"])


def test_chunk_table_trades_work_per_row_for_memory():
    table = costmodel_prover.chunk_table()
    assert table["K"].iloc[0] == FLOOR_LOGROWS
    assert table["field_mults_per_row"].is_monotonic_decreasing
    assert (table["chunk_memory_GiB"].diff().dropna() > 0).all()
    facts = costmodel_prover.chunking_facts()
    assert facts["costmodel_per_row_floor"] == f"{table['field_mults_per_row'].iloc[0]:,.0f}"


def test_verdict_ratio_spans_both_kinds_and_every_chunk():
    from chasm.costmodel.frontier import frontier_table, work_ratio

    frontier = frontier_table()
    facts = costmodel_prover.verdict_facts(frontier)
    low, high = float(facts["costmodel_ratio_low"]), float(facts["costmodel_ratio_high"])
    for arch in frontier["arch_id"]:
        for K in (15, 20, 25):
            assert low - 0.5 <= work_ratio(arch, K)["point"] <= high + 0.5
            assert work_ratio(arch, K, kind="llama-prefill")["point"] <= high + 0.5
