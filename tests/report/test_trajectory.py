"""chasm.report.trajectory: the chapter's glued phrases, tables and charts (today's ratio drawn from a stand-in
instead of the pricing, so the module runs in seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chasm.economics import trajectory as tr
from chasm.report import trajectory as report
from chasm.report.claims import settled_table

CACHED = (tr.threshold_years, tr.decline_draws, tr.ratio_draws, tr.proving_decline_source, tr.family_declines,
          tr.inference_decline)


def _fake_ratio(scenario, draws=tr.DRAWS, seed=tr.SEED, overrides=()):
    centre = 1e8 if scenario == "gpu" else 1e9
    return np.random.default_rng(seed).lognormal(math.log(centre), 0.6, draws)


@pytest.fixture(autouse=True, scope="module")
def fast():
    for f in CACHED:
        f.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tr, "ratio_draws", _fake_ratio)
        mp.setattr(tr, "DRAWS", 4000)
        yield
    for f in CACHED:
        f.cache_clear()


def test_texts():
    assert report.pct_text(0.4217) == "42.2%" and report.pct_text(-0.154) == "−15.4%"
    assert report.decline_text({"point": 0.4, "low": 0.25, "high": 0.55}) == "40% (25% to 55%)"
    row = {"year": {"point": 2070.4, "low": 2049.6, "high": None}, "ends": {}}
    assert report.year_text(row) == "2070 (2050 to never)"
    assert report.year_text({"year": None, "ends": {"low": 2095.2}}) == "never in most draws (2.5%: 2095)"
    assert report.year_text({"year": None, "ends": {"low": None}}) == "never in most draws"


def test_facts_are_text_and_complete():
    facts = {**report.method_facts(), **report.inference_facts(), **report.proving_facts(),
             **report.derivation_facts(), **report.threshold_facts()}
    assert all(isinstance(v, str) and v for v in facts.values())
    for name in ("pooled", "within", "gpu", "perf", "n_offers", "all_reason", "source_sentence", "check",
                 "gpu_median", "gpu_1000_early", "required_parity", "article_parity_few", "t0"):
        assert name in facts, name
    assert facts["check"] == "confirms"
    assert facts["thresholds"] == "1,000×, 100×, 10×"
    assert float(facts["article_parity_few"]) < float(facts["article_parity_most"])


def test_the_threshold_table_has_every_scenario_and_threshold():
    from chasm.economics.scenarios import SCENARIOS

    t = report.threshold_table()
    assert len(t) == len(SCENARIOS) * (len(tr.THRESHOLDS) + 1)
    assert set(t["falls below"]) == {"1,000×", "100×", "10×", "1×"}
    assert all(cell.endswith("%") for cell in t["draws that never get there"])


def test_the_article_years_use_its_own_numbers():
    a = report.article_years().set_index("falls below")
    assert a.loc["1,000×", "fewest years"] == "0"  # its low ratio, 500, is already below 1,000
    fewest = math.log(500) / math.log(0.9 / 0.5)
    assert float(a.loc["1×", "fewest years"]) == pytest.approx(fewest, rel=0.01)  # shown to 3 digits


def test_the_required_decline_grows_as_the_threshold_falls():
    r = report.required_frame()
    assert list(r["point"]) == sorted(r["point"]) and (r["low"] <= r["high"]).all()
    assert len(report.required_table()) == len(r)


def test_tables_of_the_record():
    assert set(report.family_table()["family"]) >= {"all", "plonkish_kzg"}
    p = report.proving_table()
    assert (p["year"].diff().fillna(0) >= 0).sum() > 0 and "s per parameter-token" in p
    assert len(report.offers_table()) == len(tr.api_offers())


def test_charts_have_titles_and_log_axes():
    for chart in (report.price_chart(), report.proving_chart(), report.fan_chart()):
        spec = chart.to_dict()
        assert spec.get("title") and spec.get("description")
        text = str(spec)
        assert "'type': 'log'" in text
    f = report.fan_frame(horizon=10)
    assert (f["low"] <= f["median"]).all() and (f["median"] <= f["high"]).all() and len(f) == 6


def test_the_equations_are_the_derivation():
    eqs = report.equations()
    assert len(eqs) == 4 and eqs[-1][1].rhs == tr.derivation()["closed"]


def test_the_chapter_settles_its_three_claims():
    t = settled_table("trajectory", report.verdicts())
    assert set(t["claim"]) == {"decline_inference", "decline_proving", "chasm_persists_years"}
