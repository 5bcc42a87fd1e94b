"""chasm.report.concentration: the chapter's tables, charts and glued facts, with few draws."""

from __future__ import annotations

import re

import pytest

from chasm.core import paths
from chasm.report import concentration as C


@pytest.fixture(autouse=True, scope="module")
def few_draws():
    """Fewer draws than the page for the whole module (caches cleared before and after, so the page's values
    are never reused here and these never leak to other tests)."""
    caches = (C.grid, C.competitive_grid, C.alternatives_grid, C.verdicts)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(C, "DRAWS", 500)
        for f in caches:
            f.cache_clear()
        yield
    for f in caches:
        f.cache_clear()


def _chapter() -> str:
    return (paths.repo_root() / "chapters" / "concentration.md").read_text()


def test_chapter_glues_only_names_that_are_computed():
    computed = {}
    for f in (C.method_facts, C.unit_facts, C.provers_facts, C.alternatives_facts, C.verdict_facts):
        facts = f()
        assert not set(facts) & set(computed), f"{f.__name__} glues a name another function glues"
        computed.update(facts)
    glued = set(re.findall(r"\{glue:text\}`concentration_([a-z0-9_]+)`", _chapter()))
    assert glued and glued <= set(computed), sorted(glued - set(computed))


def test_chapter_declares_its_inputs_and_is_in_the_table_of_contents():
    line = next(x for x in _chapter().splitlines() if x.startswith("# chasm-inputs:"))
    for item in ("data/assumptions.csv", "data/claims.csv", "chasm.report.concentration"):
        assert item in line.split()
    toc = (paths.repo_root() / "_toc.yml").read_text()
    assert toc.index("chapters/chasm") < toc.index("chapters/concentration")


def test_tables_have_rows_and_charts_have_titles():
    assert len(C.unit_table()) == 9 and len(C.provers_table()) == 3 * 7
    assert len(C.alternatives_table()) == 5 and len(C.formula_table()) == 5
    assert set(C.assumptions_table()["assumption"]) >= {"market_utilisation", "alt_tee_overhead"}
    assert set(C.related_table()["claim"]) == set(C.RELATED)
    for chart in (C.provers_chart(), C.alternatives_chart()):
        spec = chart.to_dict()
        assert spec["title"] and spec.get("description")


def test_settled_table_covers_the_claims_the_chapter_owns():
    from chasm.report.claims import settled_table

    t = settled_table("concentration", list(C.verdicts()))
    assert set(t["claim"]) == {"gpu_rack_cost", "viable_entities"}
    assert t["reason"].str.len().gt(40).all()


def test_the_cheapest_scenario_is_the_one_priced_against_the_alternatives():
    a = C.alternatives_grid()
    z = a[a["route"] == "zk proof"].set_index("scenario")["cost"]
    assert C.cheapest_scenario() == z.idxmin() and C.alternatives_facts()["scenario"] == z.idxmin()
