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


def test_open_ends_of_an_implied_ratio_follow_numerator_and_denominator():
    """A ratio is open above when its numerator is open above or its denominator open below (a smaller
    denominator makes it larger); a denominator open above does not open it above."""
    def implied(num_bound, den_bound):
        frame = pd.DataFrame([
            _claim(claim_id="num", claimed_low=4.0, claimed_high=9.0, subject="zk_proving", bound=num_bound),
            _claim(claim_id="den", claimed_low=1.0, claimed_high=2.0, bound=den_bound),
            _claim(claim_id="r", unit="ratio", claimed_low=2.0, claimed_high=9.0, subject="ratio", ratio_of="num/den"),
        ])
        return bool(article.implied_ratios(frame).iloc[0]["implied_open_above"])

    assert implied("interval", "open_below") is True
    assert implied("open_above", "interval") is True
    assert implied("interval", "interval") is False
    assert implied("interval", "open_above") is False
    assert implied("open_below", "interval") is False


def test_years_to_parity_take_the_favourable_and_the_unfavourable_corners():
    """Known answers: a ratio of 4 to 16, inference costs falling 0-20% a year, proving costs 50-60%. Fewest
    years: ratio 4 narrowing by 1 / 0.4 a year; most: ratio 16 narrowing by 0.8 / 0.5."""
    frame = pd.DataFrame([
        _claim(claim_id="zk_cost", claimed_low=4.0, claimed_high=16.0, subject="zk_proving"),
        _claim(claim_id="inf_cost", claimed_low=1.0, claimed_high=1.0),
        _claim(claim_id="ratio", unit="ratio", claimed_low=4.0, claimed_high=16.0, subject="ratio",
               ratio_of="zk_cost/inf_cost"),
        _claim(claim_id="inf_decline", unit="percent_per_year", claimed_low=0.0, claimed_high=20.0,
               comparison="zk_proving vs inference"),
        _claim(claim_id="zk_decline", unit="percent_per_year", claimed_low=50.0, claimed_high=60.0,
               subject="zk_proving", comparison="zk_proving vs inference"),
    ])
    out = article.years_to_parity(frame)
    assert len(out) == 1  # the stated ratio and the implied one are the same reading
    row = out.iloc[0]
    assert row["fewest_years"] == pytest.approx(math.log(4.0) / math.log(1 / 0.4), rel=1e-12)
    assert row["most_years"] == pytest.approx(math.log(16.0) / math.log(0.8 / 0.5), rel=1e-12)
    assert not row["most_open_above"]


def test_implied_ratio_rows_carry_every_column_by_known_answers():
    frame = pd.DataFrame([
        _claim(claim_id="num", claimed_low=4.0, claimed_high=9.0, subject="zk_proving"),
        _claim(claim_id="den", claimed_low=2.0, claimed_high=4.0),
        _claim(claim_id="r", unit="ratio", claimed_low=3.0, claimed_high=5.0, subject="ratio", ratio_of="num/den"),
    ])
    row = article.implied_ratios(frame).iloc[0].to_dict()
    assert row == {"claim_id": "r", "numerator": "num", "denominator": "den", "stated_low": 3.0, "stated_high": 5.0,
                   "implied_low": 1.0, "implied_high": 4.5, "implied_open_above": False, "low_over_low": 2.0,
                   "high_over_high": 2.25, "agreement": "overlaps"}


@pytest.mark.parametrize("stated, implied, expected", [
    ((2.0, 9.0), (2.0, 9.0), "matches"),
    ((2.0, 5.0), (2.0, 9.0), "inside"),      # one end matching is not a match
    ((1.0, 9.0), (2.0, 9.0), "overlaps"),
    ((3.0, 5.0), (2.0, 5.0), "inside"),      # the ends themselves are inside
    ((2.0, 4.0), (2.0, 5.0), "inside"),
    ((1.5, 4.0), (2.0, 5.0), "overlaps"),
    ((3.0, 6.0), (2.0, 5.0), "overlaps"),
    ((1.0, 2.0), (2.0, 5.0), "overlaps"),    # touching is overlapping
    ((5.0, 6.0), (2.0, 5.0), "overlaps"),
    ((0.5, 1.0), (2.0, 5.0), "below"),
    ((6.0, 7.0), (2.0, 5.0), "above"),
])
def test_agreement_at_and_around_the_ends(stated, implied, expected):
    assert article.agreement(*stated, *implied) == expected


def test_implied_power_per_subject_with_every_column():
    """Only subjects with both an energy and a latency claim get a row; a latency open above makes the low
    end of the power open below."""
    pair = "zk_proving vs inference"
    frame = pd.DataFrame([
        _claim(claim_id="e_inf", unit="kwh_per_query", claimed_low=1.0, claimed_high=1.0, comparison=pair),
        _claim(claim_id="e_zk", unit="kwh_per_query", claimed_low=2.0, claimed_high=4.0, subject="zk_proving",
               comparison=pair),
        _claim(claim_id="t_zk", unit="s", claimed_low=1800.0, claimed_high=3600.0, subject="zk_proving",
               comparison=pair, bound="open_above"),
    ])
    out = article.implied_power(frame)
    assert out.to_dict("records") == [{
        "subject": "zk_proving", "energy_claim": "e_zk", "latency_claim": "t_zk", "energy_kwh_low": 2.0,
        "energy_kwh_high": 4.0, "latency_s_low": 1800.0, "latency_s_high": 3600.0, "power_kw_low": 2.0,
        "power_kw_high": 8.0, "low_open_below": True}]


def test_parity_at_and_near_a_ratio_of_one():
    assert article.parity_years(1.0, 30.0, 30.0) == 0.0  # already at parity, even if the gap never narrows
    assert article.parity_years(1.5, 0.0, 50.0) == pytest.approx(math.log(1.5) / math.log(2.0))


def test_years_to_parity_rows_and_readings():
    """One row per distinct reading (stated and implied), with its range and open end; no ratio claims: no rows."""
    pair = "zk_proving vs inference"
    declines = [
        _claim(claim_id="inf_decline", unit="percent_per_year", claimed_low=0.0, claimed_high=20.0, comparison=pair),
        _claim(claim_id="zk_decline", unit="percent_per_year", claimed_low=50.0, claimed_high=60.0,
               subject="zk_proving", comparison=pair),
    ]
    assert article.years_to_parity(pd.DataFrame(declines)).empty
    frame = pd.DataFrame(declines + [
        _claim(claim_id="kwh", unit="kwh_per_query", claimed_low=1.0, claimed_high=2.0),
        _claim(claim_id="kwh_ratio", unit="ratio", claimed_low=1.0, claimed_high=2.0, subject="ratio",
               ratio_of="kwh/kwh"),  # not a cost ratio: no reading
        _claim(claim_id="zk_cost", claimed_low=4.0, claimed_high=16.0, subject="zk_proving", bound="open_above"),
        _claim(claim_id="inf_cost", claimed_low=1.0, claimed_high=2.0),
        _claim(claim_id="ratio", unit="ratio", claimed_low=10.0, claimed_high=100.0, subject="ratio",
               ratio_of="zk_cost/inf_cost"),
        _claim(claim_id="ratio_again", unit="ratio", claimed_low=10.0, claimed_high=100.0, subject="ratio",
               ratio_of="zk_cost/inf_cost"),  # the same two readings again: no new rows
        _claim(claim_id="ratio_low", unit="ratio", claimed_low=5.0, claimed_high=50.0, subject="ratio",
               ratio_of="zk_cost/inf_cost"),
    ])
    out = article.years_to_parity(frame)
    assert out[["ratio_reading", "ratio_low", "ratio_high", "most_open_above"]].to_dict("records") == [
        {"ratio_reading": "stated by ratio", "ratio_low": 10.0, "ratio_high": 100.0, "most_open_above": False},
        {"ratio_reading": "implied by zk_cost/inf_cost", "ratio_low": 2.0, "ratio_high": 16.0, "most_open_above": True},
        {"ratio_reading": "stated by ratio_low", "ratio_low": 5.0, "ratio_high": 50.0, "most_open_above": False},
    ]


def test_contradiction_rows_carry_both_quotes():
    frame = pd.DataFrame([_claim(claim_id="a", quote="qa", contradicts="b", notes="n"),
                          _claim(claim_id="b", quote="qb")])
    assert article.contradictions(frame).to_dict("records") == [
        {"claim": "a", "quote": "qa", "contradicts": "b", "other_quote": "qb", "notes": "n"}]


def test_parity_within_the_claimed_years():
    """A reading is within the article's years when its fewest years reach parity by the claim's upper number
    (inclusive); with no years claim or no readings, none is."""
    frame = pd.DataFrame([_claim(claim_id="y", unit="years", subject="trajectory", claimed_low=3.0, claimed_high=5.0),
                          _claim(claim_id="other_years", unit="years", claimed_low=0.0, claimed_high=100.0)])
    parity = pd.DataFrame({"ratio_reading": ["fast", "at the limit", "slow"], "fewest_years": [1.0, 5.0, 5.5]})
    assert article.parity_within_claim(frame, parity) == ["fast", "at the limit"]
    assert article.parity_within_claim(frame.iloc[1:], parity) == []
    assert article.parity_within_claim(frame, parity.iloc[:0]) == []
