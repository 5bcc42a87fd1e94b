"""data/claims.csv: schema, values, verbatim quotes, and the derived checks."""

from __future__ import annotations

import math
import shutil
from fractions import Fraction

import pandas as pd
import pytest

from chasm import claims, data, paths

KNOWN_UNITS = {
    "usd_per_query", "usd", "s", "gib", "kwh_per_query", "percent_per_year", "ratio",
    "percent", "count", "years", "operations", "exponent", "none",
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return claims.load_claims()


@pytest.fixture(scope="module")
def article() -> str:
    if not paths.article_path().exists():
        pytest.skip(f"the article's text is not at {paths.article_path()} "
                    "(it lives outside the repository, in ../shared/article/)")
    return claims.read_article()


def test_table_loads_and_passes_its_rules(frame):
    assert claims.check_claims(frame) == []
    assert len(frame) >= 15
    assert frame["claim_id"].is_unique


def test_units_are_known(frame):
    schema_units = set(data.read_schema(data.schema_path(claims.claims_path())).column("unit").allowed)
    assert schema_units == KNOWN_UNITS
    assert set(frame["unit"]) <= KNOWN_UNITS


def test_numbers_are_ordered_and_encoded(frame):
    numeric = claims.numeric_claims(frame)
    assert (numeric["claimed_low"] <= numeric["claimed_high"]).all()
    assert numeric["claimed_low"].notna().all() and numeric["claimed_high"].notna().all()
    qualitative = frame[frame["bound"] == "qualitative"]
    assert qualitative["claimed_low"].isna().all() and (qualitative["unit"] == "none").all()


def test_the_article_table_is_covered(frame):
    """Both columns of each quantitative row of the article's table are claims."""
    for quantity_unit in ("usd_per_query", "s", "kwh_per_query", "percent_per_year"):
        subjects = set(frame.loc[(frame["unit"] == quantity_unit) & frame["comparison"].notna(), "subject"])
        assert {"inference", "zk_proving"} <= subjects, quantity_unit
    quotes = set(frame["quote"])
    for needle in ("Verification is 500x - 5000x more expensive", "~10-100x\nCost Premium (Today)",
                   "Specialized Prover Server (256GB+ RAM)", "~5s\nProof Gen Time"):
        assert needle in quotes


def test_verdicts_are_allowed_values(frame):
    allowed = set(data.read_schema(data.schema_path(claims.claims_path())).column("verdict").allowed)
    assert set(frame["verdict"]) <= allowed


def test_every_quote_is_verbatim_in_the_article(frame, article):
    assert claims.missing_quotes(frame, article) == []


def test_every_quote_sits_under_its_section(frame, article):
    assert claims.misplaced_quotes(frame, article, claims.section_headings()) == []


def test_quote_checks_can_fail(frame, article):
    bad = frame.copy()
    bad.loc[0, "quote"] = bad.loc[0, "quote"] + " (paraphrased)"
    assert claims.missing_quotes(bad, article) == [bad.loc[0, "claim_id"]]
    moved = frame.copy()
    other = [s for s in claims.section_headings() if s != moved.loc[0, "section"]][0]
    moved.loc[0, "section"] = other
    problems = claims.misplaced_quotes(moved, article, claims.section_headings())
    assert len(problems) == 1 and moved.loc[0, "claim_id"] in problems[0]


def _claim(**overrides) -> dict:
    row = dict(claim_id="a", quote="q", section="s", quantity="x", unit="usd_per_query",
               claimed_low=1.0, claimed_high=2.0, bound="interval", approximate=False,
               subject="inference", comparison=None, ratio_of=None, contradicts=None,
               testable="measurable", chapter="proving", verdict="untested", notes=None)
    row.update(overrides)
    return row


def test_check_claims_names_each_broken_rule():
    frame = pd.DataFrame([
        _claim(claim_id="reversed", claimed_low=5.0, claimed_high=1.0),
        _claim(claim_id="words_with_numbers", bound="qualitative", unit="none"),
        _claim(claim_id="number_without_unit", unit="none"),
        _claim(claim_id="bad_ratio", unit="ratio", ratio_of="reversed/nowhere"),
        _claim(claim_id="bad_contradiction", contradicts="ghost"),
    ])
    problems = "\n".join(claims.check_claims(frame))
    assert "reversed: claimed_low 5.0 exceeds claimed_high 1.0" in problems
    assert "words_with_numbers: qualitative claim must leave claimed_low/claimed_high empty" in problems
    assert "number_without_unit: unit 'none' is only for qualitative claims" in problems
    assert "bad_ratio: ratio_of names unknown claims ['nowhere']" in problems
    assert "bad_contradiction: contradicts names unknown claims ['ghost']" in problems


def test_load_claims_rejects_a_broken_copy(tmp_path):
    for name in ("claims.csv", "claims.schema.yaml"):
        shutil.copy(paths.data_dir() / name, tmp_path / name)
    csv = tmp_path / "claims.csv"
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    row = table.index[table["claim_id"] == "latency_inference"][0]
    table.loc[row, ["claimed_low", "claimed_high"]] = ["3", "1"]
    table.to_csv(csv, index=False)
    with pytest.raises(data.DataFileError, match="latency_inference: claimed_low 3.0 exceeds claimed_high 1.0"):
        claims.load_claims(csv)


def test_implied_ratios_by_interval_arithmetic():
    frame = pd.DataFrame([
        _claim(claim_id="num", claimed_low=4.0, claimed_high=9.0, subject="zk_proving", bound="open_above"),
        _claim(claim_id="den", claimed_low=1.0, claimed_high=2.0),
        _claim(claim_id="same", unit="ratio", claimed_low=2.0, claimed_high=9.0, subject="ratio", ratio_of="num/den"),
        _claim(claim_id="low", unit="ratio", claimed_low=0.5, claimed_high=1.0, subject="ratio", ratio_of="num/den"),
        _claim(claim_id="part", unit="ratio", claimed_low=3.0, claimed_high=5.0, subject="ratio", ratio_of="num/den"),
    ])
    out = claims.implied_ratios(frame).set_index("claim_id")
    assert out.loc["same", "implied_low"] == 2.0 and out.loc["same", "implied_high"] == 9.0
    assert bool(out.loc["same", "implied_open_above"])
    assert out.loc["same", "agreement"] == "matches"
    assert out.loc["low", "agreement"] == "below"
    assert out.loc["part", "agreement"] == "inside"


def test_implied_ratios_of_the_article_match_exact_arithmetic(frame):
    """Recompute every implied ratio with exact fractions from the CSV's text."""
    raw = pd.read_csv(claims.claims_path(), dtype=str, keep_default_na=False).set_index("claim_id")
    out = claims.implied_ratios(frame).set_index("claim_id")
    assert set(out.index) == set(raw.index[raw["ratio_of"] != ""])
    for cid, row in out.iterrows():
        num, den = raw.loc[cid, "ratio_of"].split("/")
        low = Fraction(raw.loc[num, "claimed_low"]) / Fraction(raw.loc[den, "claimed_high"])
        high = Fraction(raw.loc[num, "claimed_high"]) / Fraction(raw.loc[den, "claimed_low"])
        assert math.isclose(row["implied_low"], float(low), rel_tol=1e-12)
        assert math.isclose(row["implied_high"], float(high), rel_tol=1e-12)
        stated = (float(raw.loc[cid, "claimed_low"]), float(raw.loc[cid, "claimed_high"]))
        overlap = stated[1] >= float(low) and stated[0] <= float(high)
        assert (row["agreement"] in {"below", "above"}) == (not overlap)


def test_the_article_contradicts_its_own_cost_premium(frame):
    """The ~10-100x premium cannot be read off the table's own cost figures."""
    out = claims.implied_ratios(frame).set_index("claim_id")
    assert out.loc["cost_premium_today", "agreement"] == "below"


def test_parity_years_formula():
    assert claims.parity_years(4.0, 0.0, 50.0) == pytest.approx(2.0)  # halves each year
    assert claims.parity_years(1.0, 10.0, 50.0) == 0.0
    assert claims.parity_years(100.0, 30.0, 30.0) == math.inf
    ratio, i, p = 500.0, 10.0, 40.0
    t = claims.parity_years(ratio, i, p)
    assert ratio * ((1 - p / 100) / (1 - i / 100)) ** t == pytest.approx(1.0)


def test_years_to_parity_brackets(frame):
    out = claims.years_to_parity(frame)
    assert len(out) >= 2
    assert (out["fewest_years"] <= out["most_years"]).all()
    assert (out["fewest_years"] > 0).all()


def test_implied_power_units():
    frame = pd.DataFrame([
        _claim(claim_id="e", unit="kwh_per_query", claimed_low=1.0, claimed_high=2.0, comparison="zk_proving vs inference"),
        _claim(claim_id="t", unit="s", claimed_low=1800.0, claimed_high=3600.0, comparison="zk_proving vs inference"),
    ])
    out = claims.implied_power(frame).iloc[0]
    assert out["power_kw_low"] == pytest.approx(1.0)  # 1 kWh over one hour
    assert out["power_kw_high"] == pytest.approx(4.0)  # 2 kWh over half an hour


def test_contradictions_are_pairs_of_existing_claims(frame):
    pairs = claims.contradictions(frame)
    assert len(pairs) >= 3
    assert set(pairs["claim"]) | set(pairs["contradicts"]) <= set(frame["claim_id"])
    assert (("cost_premium_today", "cost_ratio_table") in
            set(zip(pairs["claim"], pairs["contradicts"])))


def test_chart_builds_with_one_panel_per_unit(frame):
    spec = claims.claimed_ranges_chart(frame).to_dict()
    units = set(claims.chart_frame(frame)["unit"])
    assert len(spec["vconcat"]) == len(units)
    for panel in spec["vconcat"]:
        assert panel["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"


def test_log_axis_helpers():
    assert claims.log_domain(0.001, 50) == [0.0001, 100.0]
    assert claims.log_domain(1, 1) == [0.1, 10.0]
    ticks = claims.log_ticks([1.0, 100.0])
    assert ticks[0] == 1 and 5 in ticks and ticks[-1] == 100
    assert claims.log_ticks([1e6, 1e13]) == [10.0 ** k for k in range(6, 14)]
