"""chasm.report.frontier: the frontier chapter's tables, chart and glued facts, on the committed data."""

from __future__ import annotations

import re

import altair as alt
import pytest

from chasm.core import paths
from chasm.laws import frontier as laws_frontier
from chasm.report import frontier, frontier_pipeline


def test_chosen_chunk_fits_its_budget_at_the_high_bound():
    chosen = frontier.chosen_chunks()
    table = frontier.tradeoffs().set_index("K")
    budgets = laws_frontier.memory_budgets()
    assert list(chosen["budget"]) == list(budgets)
    for _, row in chosen.iterrows():
        assert table.loc[row["K"], "peak_bytes_high"] <= row["budget_bytes"]
        assert table.loc[row["K_max"], "peak_bytes_high"] <= row["budget_bytes"]
        if row["K_max"] < laws_frontier.MAX_CHUNK_LOGROWS:
            assert table.loc[row["K_max"] + 1, "peak_bytes_high"] > row["budget_bytes"]
        assert row["K"] <= row["K_max"]


def test_routes_cover_three_models_with_ordered_intervals():
    r = frontier.routes()
    assert len(r) == 3 and set(r["arch_id"]) == {"llama3-8b", "llama3-70b", "llama3-405b"}
    for p in ("a_", "b_", ""):
        assert (r[f"{p}low"] <= r[f"{p}point"]).all() and (r[f"{p}point"] <= r[f"{p}high"]).all()
    assert (r["low"] <= r[["a_low", "b_low"]].min(axis=1)).all()
    assert (r["high"] >= r[["a_high", "b_high"]].max(axis=1)).all()
    # bigger models cost more per query
    assert r.sort_values("point")["arch_id"].tolist() == ["llama3-8b", "llama3-70b", "llama3-405b"]
    shown = frontier.routes_display()
    assert list(shown["model"]) == list(r["arch_id"])


def test_tradeoff_chart_builds_with_both_panels():
    chart = frontier.tradeoff_chart()
    assert isinstance(chart, alt.VConcatChart)
    spec = chart.to_dict()
    assert len(spec["vconcat"]) == 2


def test_keys_and_coverage_tables():
    k = frontier.keys_table()
    assert list(k["bound"]) == ["low", "high"]
    cov = frontier.coverage_table()
    assert set(cov["doublings"]) == {5, 6, 7}


GLUE = re.compile(r"\{glue:(?:text|md)\}`(frontier_[a-z0-9_]+)`")


def test_every_name_the_chapter_glues_exists():
    text = (paths.repo_root() / "chapters" / "frontier.md").read_text()
    wanted = set(GLUE.findall(text))
    facts = {}
    for fn in (frontier.question_facts, frontier_pipeline.linking_facts, frontier.kv_facts, frontier_pipeline.range_facts,
               frontier.chunk_facts, frontier.routes_facts, frontier.keys_facts, frontier.coverage_facts,
               frontier.verdict_facts, frontier.size_facts):
        facts.update({f"frontier_{k}": v for k, v in fn().items()})
    from chasm.report import provers

    facts.update({f"frontier_jst_{k}": v for k, v in provers.rate_facts().items()})  # the second family
    missing = wanted - set(facts)
    assert not missing, f"glued by the chapter but computed by no function: {sorted(missing)}"
    assert all(isinstance(v, str) and v for v in facts.values())


def test_ram_verdict_follows_its_rule():
    from chasm.economics.verdicts import ram_verdict

    v = frontier.verdict_facts()
    t = frontier.tradeoffs().set_index("K").loc[int(v["k"])]
    assert v["ram_verdict"] == ram_verdict(float(t["peak_bytes_high"]), 256 * 2.0**30)


def test_the_chapters_verdicts_are_the_computed_ones():
    from chasm.economics.verdicts import frontier_verdicts

    v, z = frontier.verdict_facts(), frontier.size_facts()
    computed = {r["claim_id"]: r["verdict"] for r in frontier_verdicts()}
    assert computed["ram_proving"] == v["ram_verdict"].replace(" ", "_")
    assert computed["proof_cost_superlinear"] == z["size_verdict"].replace(" ", "_")


@pytest.mark.parametrize("name", frontier.__all__)
def test_public_names_exist(name):
    assert hasattr(frontier, name)
