"""chasm.report.frontier_pipeline: the constants read from ezkl's circuits, the measured linking of chains and
the range feasibility, as the frontier chapter shows them."""

from __future__ import annotations

from chasm.laws import frontier as laws_frontier
from chasm.report import frontier_pipeline


def test_linking_table_has_every_mode_and_catches_the_tamper():
    t = frontier_pipeline.linking_table().set_index("boundary")
    assert list(t.index) == list(frontier_pipeline.MODES)
    assert (t["tampered boundary caught"] == "yes").all()
    assert t.loc["public", "rows added per chain"] == "+0 to +0"
    s = frontier_pipeline.linking_summary()
    assert (s.loc[s["mode"] == "polycommit", "d_pk_frac"] > 0).all()


def test_range_tables_agree_with_the_derivation():
    t = frontier_pipeline.range_table()
    assert len(t) == 3 and (t["digits needed"] >= 2).all()
    probe = frontier_pipeline.range_probe_table()
    for _, row in probe.iterrows():
        assert float(row["largest that calibrated"]) <= float(row["derived bound"]) <= float(row["smallest that failed"])


def test_constants_and_columns_come_from_the_circuits():
    c = frontier_pipeline.constants_table()
    assert {"llama-prefill", "llama-decode"} <= set(c["kind of circuit"])
    cols = frontier_pipeline.columns_table().set_index("part of the query")
    assert (cols["linking columns"] == laws_frontier.LINK_COLUMNS).all()
