"""chasm.report.chasm: the chasm chapter's tables, charts and glued facts, and the front page's headline."""

from __future__ import annotations

import re

import pytest

from chasm.core import paths
from chasm.economics import scenarios
from chasm.report import chasm


@pytest.fixture(autouse=True, scope="module")
def few_draws():
    """Fewer draws than the page, for the whole module (the cached pricing is cleared before and after, so the
    page's values are never reused here and these never leak to other tests)."""
    caches = (chasm.priced, chasm.price_frame, chasm.fleet_frame, chasm.tornado_frame)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(chasm, "DRAWS", 2_000)
        for f in caches:
            f.cache_clear()
        yield
    for f in caches:
        f.cache_clear()


def test_duration_text_picks_a_readable_unit():
    assert chasm.duration_text(19.4) == "19.4 s"
    assert chasm.duration_text(900) == "15 min"
    assert chasm.duration_text(3 * 86400) == "3 days"
    assert chasm.duration_text(625 * 365.25 * 86400) == "625 years"


def test_claim_range_reads_the_article_rows():
    assert chasm.claim_range("cost_query_proving") == "5 to 50+"
    assert chasm.claim_range("cost_ratio_table") == "500 to 5000×"
    assert chasm.claim_range("energy_inference") == "~0.05"
    assert chasm.claim_range("latency_inference") == "1 s to 3 s"
    assert chasm.claim_range(None) == ""


def test_price_frame_has_ordered_intervals_for_every_model_and_scenario():
    pf = chasm.price_frame()
    assert set(pf["arch_id"]) == set(chasm.ARCHS) and set(pf["scenario"]) == set(scenarios.SCENARIOS)
    assert ((pf["low"] <= pf["point"]) & (pf["point"] <= pf["high"])).all()
    usd = pf[(pf["quantity"] == "prove_usd") & (pf["scenario"] == "measured")].set_index("arch_id")["point"]
    assert usd["llama3-8b"] < usd["llama3-70b"] < usd["llama3-405b"]


def test_model_table_has_each_quantity_per_scenario_beside_the_article():
    t = chasm.model_table("llama3-70b")
    assert len(t) == len(chasm.SIDES) * len(scenarios.SCENARIOS)
    assert set(t["article: proving"]) >= {"5 to 50+", "30 s to 600 s+"}
    assert all(" to " in cell for cell in t["proving / inference"])


def test_charts_are_log_scale_and_show_the_article():
    spec = chasm.price_chart().to_dict()
    assert spec["layer"][1]["encoding"]["x"]["scale"]["type"] == "log"
    assert len(spec["layer"][0]["data"]["values"] if "values" in spec["layer"][0].get("data", {}) else
               spec["datasets"][spec["layer"][0]["data"]["name"]]) == 2  # the article's two bands
    fleet = chasm.fleet_chart().to_dict()
    assert len(fleet["hconcat"]) == 2
    assert len(chasm.tornado_chart().to_dict()["vconcat"]) == len(scenarios.SCENARIOS)  # one panel per scenario


def test_fleet_buys_time_not_dollars():
    f = chasm.fleet_frame()
    for _, g in f.groupby("scenario"):
        assert g["usd"].nunique() == 1
        assert g["latency_s"].is_monotonic_decreasing
    facts = chasm.fleet_facts()
    assert facts["fleet_usd_same"] == "the same"


def test_tornado_is_sorted_and_drops_inert_inputs():
    t = chasm.tornado_frame()
    assert (t["swing"] > 0).all()
    for _, g in t.groupby("scenario"):
        assert g["swing"].is_monotonic_decreasing
    facts = chasm.tornado_facts()
    assert facts["measured_top"] == t[t["scenario"] == "measured"].iloc[0]["assumption"]


def test_assumptions_table_shows_a_source_and_confirmation_for_each_row():
    a = chasm.assumptions_table()
    assert a["source"].str.len().gt(0).all() and set(a["confirmed"]) <= {"yes", "no"}
    assert int(chasm.assumptions_facts()["n_assumptions"]) == len(a)


def _glued(text: str, prefix: str) -> set[str]:
    return set(re.findall(r"\{glue:text\}`" + prefix + r"([a-z0-9_]+)`", text))


def test_chapter_and_front_page_glue_only_names_that_are_computed():
    """Every glued name in the chapter and on the front page is produced by the functions they call."""
    computed = {}
    for f in (chasm.method_facts, chasm.server_facts, chasm.results_facts, chasm.fleet_facts, chasm.tornado_facts,
              chasm.assumptions_facts):
        computed.update(f())
    chapter = (paths.repo_root() / "chapters" / "chasm.md").read_text()
    assert _glued(chapter, "chasm_") <= set(computed)
    intro = (paths.repo_root() / "book" / "intro.md").read_text()
    front = {**chasm.headline_facts(), **chasm.verdict_facts()}
    assert _glued(intro, "intro_") and _glued(intro, "intro_") <= set(front)
    assert "{doc}`../chapters/chasm`" in intro


def test_chapter_is_in_the_table_of_contents_after_frontier():
    toc = (paths.repo_root() / "_toc.yml").read_text()
    assert toc.index("chapters/frontier") < toc.index("chapters/chasm")


def test_verdict_counts_add_up_to_the_claims():
    f = chasm.verdict_facts()
    parts = sum(int(f[k]) for k in f if k.startswith("n_") and k != "n_claims")
    assert parts == int(f["n_claims"]) > 30


def test_the_headline_chart_sets_the_article_band_beside_every_scenario():
    spec = chasm.headline_chart().to_dict()
    rows = next(iter(spec["datasets"].values()))
    who = [r["who"] for r in rows]
    assert who[-1] == "article" and len(who) == len(scenarios.SCENARIOS) + 1
    article = rows[-1]
    assert (article["low"], article["high"]) == (500.0, 5000.0)
    assert all(r["low"] <= r["point"] <= r["high"] for r in rows[:-1])


def test_server_facts_show_the_measured_and_sourced_serial_shares():
    f = chasm.server_facts()
    assert f["t_pairs"].isdigit() and int(f["t_pairs"]) >= 2
    assert int(f["at_once"]) >= 1 and float(f["threads_each"]) * int(f["at_once"]) == pytest.approx(192, rel=1e-2)
    table = chasm.thread_table()
    assert len(table) == int(f["t_pairs"]) and {"1 thread (s)", "2 threads (s)", "speed-up"} <= set(table.columns)
