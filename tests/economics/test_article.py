"""chasm.economics.article: the article's ratios, power and years to parity by its own arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction
import pandas as pd
import pytest

from chasm.core import claims
from chasm.economics import article


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return claims.load_claims()


def _claim(**overrides) -> dict:
    row = dict(claim_id="a", quote="q", section="s", quantity="x", unit="usd_per_query",
               claimed_low=1.0, claimed_high=2.0, bound="interval", approximate=False,
               subject="inference", comparison=None, ratio_of=None, contradicts=None,
               testable="measurable", chapter="proving", verdict="untested", notes=None)
    row.update(overrides)
    return row


def test_implied_ratios_by_interval_arithmetic():
    frame = pd.DataFrame([
        _claim(claim_id="num", claimed_low=4.0, claimed_high=9.0, subject="zk_proving", bound="open_above"),
        _claim(claim_id="den", claimed_low=1.0, claimed_high=2.0),
        _claim(claim_id="same", unit="ratio", claimed_low=2.0, claimed_high=9.0, subject="ratio", ratio_of="num/den"),
        _claim(claim_id="low", unit="ratio", claimed_low=0.5, claimed_high=1.0, subject="ratio", ratio_of="num/den"),
        _claim(claim_id="part", unit="ratio", claimed_low=3.0, claimed_high=5.0, subject="ratio", ratio_of="num/den"),
    ])
    out = article.implied_ratios(frame).set_index("claim_id")
    assert out.loc["same", "implied_low"] == 2.0 and out.loc["same", "implied_high"] == 9.0
    assert bool(out.loc["same", "implied_open_above"])
    assert out.loc["same", "agreement"] == "matches"
    assert out.loc["low", "agreement"] == "below"
    assert out.loc["part", "agreement"] == "inside"


def test_implied_ratios_of_the_article_match_exact_arithmetic(frame):
    """Recompute every implied ratio with exact fractions from the CSV's text."""
    raw = pd.read_csv(claims.claims_path(), dtype=str, keep_default_na=False).set_index("claim_id")
    out = article.implied_ratios(frame).set_index("claim_id")
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
    out = article.implied_ratios(frame).set_index("claim_id")
    assert out.loc["cost_premium_today", "agreement"] == "below"


def test_parity_years_formula():
    assert article.parity_years(4.0, 0.0, 50.0) == pytest.approx(2.0)  # halves each year
    assert article.parity_years(1.0, 10.0, 50.0) == 0.0
    assert article.parity_years(100.0, 30.0, 30.0) == math.inf
    ratio, i, p = 500.0, 10.0, 40.0
    t = article.parity_years(ratio, i, p)
    assert ratio * ((1 - p / 100) / (1 - i / 100)) ** t == pytest.approx(1.0)


def test_years_to_parity_brackets(frame):
    out = article.years_to_parity(frame)
    assert len(out) >= 2
    assert (out["fewest_years"] <= out["most_years"]).all()
    assert (out["fewest_years"] > 0).all()


def test_implied_power_units():
    frame = pd.DataFrame([
        _claim(claim_id="e", unit="kwh_per_query", claimed_low=1.0, claimed_high=2.0, comparison="zk_proving vs inference"),
        _claim(claim_id="t", unit="s", claimed_low=1800.0, claimed_high=3600.0, comparison="zk_proving vs inference"),
    ])
    out = article.implied_power(frame).iloc[0]
    assert out["power_kw_low"] == pytest.approx(1.0)  # 1 kWh over one hour
    assert out["power_kw_high"] == pytest.approx(4.0)  # 2 kWh over half an hour


def test_contradictions_are_pairs_of_existing_claims(frame):
    pairs = article.contradictions(frame)
    assert len(pairs) >= 3
    assert set(pairs["claim"]) | set(pairs["contradicts"]) <= set(frame["claim_id"])
    assert (("cost_premium_today", "cost_ratio_table") in
            set(zip(pairs["claim"], pairs["contradicts"])))
