"""chasm.economics.judge: the judging rule on hand-made claims, the memory and size rules."""

from __future__ import annotations

import pandas as pd
import pytest

from chasm.economics import judge as verdicts


@pytest.mark.parametrize("ours, low, high, bound, expected", [
    ((2.0, 3.0, 4.0), 1.0, 5.0, "interval", "supported"),
    ((0.5, 0.8, 1.5), 1.0, 5.0, "interval", "partly_supported"),
    ((10.0, 20.0, 30.0), 1.0, 5.0, "interval", "contradicted"),
    ((0.01, 0.02, 0.03), 1.0, 5.0, "interval", "contradicted"),
    ((60.0, 80.0, 100.0), 5.0, 50.0, "open_above", "supported"),
    ((600.0, 800.0, 1000.0), 5.0, 50.0, "open_above", "partly_supported"),
    ((1.0, 2.0, 4.0), 5.0, 50.0, "open_above", "contradicted"),
    ((0.5, 0.8, 0.9), 1.0, 1.0, "open_below", "supported"),
    ((2.0, 3.0, 4.0), 1.0, 1.0, "open_below", "contradicted"),
])
def test_judge_on_hand_made_claims(ours, low, high, bound, expected):
    verdict, reason = verdicts.judge(ours, low, high, bound)
    assert verdict == expected and reason


def test_ram_and_size_rules():
    gib = 2.0**30
    assert verdicts.ram_verdict(200 * gib, 256 * gib) == "supported"
    assert verdicts.ram_verdict(100 * gib, 256 * gib) == "partly supported"
    assert verdicts.ram_verdict(16 * gib, 256 * gib) == "contradicted"
    table = pd.DataFrame({"params": [1e9, 1e10, 1e11], "prove_core_s": [1e3, 1e5, 1e7]})
    table["prove_core_s_low"], table["prove_core_s_high"] = table["prove_core_s"] * 0.9, table["prove_core_s"] * 1.1
    e = verdicts.size_exponent(table)
    assert e["point"] == pytest.approx(2.0) and e["low"] <= e["point"] <= e["high"] and e["reading"] == "superlinear"
    flat = table.assign(prove_core_s_low=table["prove_core_s"] / [1, 1, 1000], prove_core_s_high=table["prove_core_s"] * [1, 1, 1000])
    assert verdicts.size_exponent(flat)["reading"] == "not resolved"


@pytest.mark.parametrize("ours, low, high, bound, expected, reason", [
    # interval: the point decides; the ends of the stated range belong to it
    ((0.5, 1.0, 1.5), 1.0, 5.0, "interval", "supported", "our point lies in the stated range"),
    ((4.5, 5.0, 5.5), 1.0, 5.0, "interval", "supported", "our point lies in the stated range"),
    ((5.0, 6.0, 7.0), 1.0, 5.0, "interval", "partly_supported",
     "our 95% interval overlaps the stated range, our point does not"),
    ((0.2, 0.5, 1.0), 1.0, 5.0, "interval", "partly_supported",
     "our 95% interval overlaps the stated range, our point does not"),
    ((10.0, 20.0, 30.0), 1.0, 5.0, "interval", "contradicted",
     "all of ours lies above the stated range, its nearest end 2 times above it"),
    ((0.01, 0.02, 0.04), 1.0, 5.0, "interval", "contradicted",
     "all of ours lies below the stated range, its nearest end 25 times below it"),
    # open above: below the floor contradicts; more than ten times the top is understated
    ((1.0, 3.0, 5.0), 5.0, 50.0, "open_above", "supported", "ours lies in or near the stated open range"),
    ((1.0, 2.0, 4.99), 5.0, 50.0, "open_above", "contradicted", "all of ours lies below the stated floor 5"),
    ((500.0, 800.0, 1000.0), 5.0, 50.0, "open_above", "supported", "ours lies in or near the stated open range"),
    ((501.0, 800.0, 1000.0), 5.0, 50.0, "open_above", "partly_supported",
     "right direction, but ours is 16 times the stated 50"),
    # open below, mirrored
    ((0.5, 0.8, 1.0), 1.0, 1.0, "open_below", "supported", "ours lies in or near the stated open range"),
    ((1.0, 1.5, 2.0), 1.0, 1.0, "open_below", "supported", "ours lies in or near the stated open range"),
    ((1.01, 1.5, 2.0), 1.0, 1.0, "open_below", "contradicted", "all of ours lies above the stated ceiling 1"),
    ((0.01, 0.02, 0.1), 1.0, 1.0, "open_below", "supported", "ours lies in or near the stated open range"),
    ((0.01, 0.02, 0.05), 1.0, 1.0, "open_below", "partly_supported", "right direction, but ours is 50 times below it"),
])
def test_judge_at_the_edges_with_its_reasons(ours, low, high, bound, expected, reason):
    assert verdicts.judge(ours, low, high, bound) == (expected, reason)


def test_ram_verdict_at_a_half_and_an_eighth_of_the_claim():
    gib = 2.0**30
    assert verdicts.ram_verdict(128.001 * gib, 256 * gib) == "supported"
    assert verdicts.ram_verdict(128 * gib, 256 * gib) == "partly supported"
    assert verdicts.ram_verdict(32.001 * gib, 256 * gib) == "partly supported"
    assert verdicts.ram_verdict(32 * gib, 256 * gib) == "contradicted"


def test_size_exponent_by_known_answers():
    """Point slope 2 between the smallest and the largest model whatever the row order; the low and high
    slopes join the low ends and the high ends (1.5 and 2.5 here); against another column; the readings."""
    table = pd.DataFrame({"params": [1e10, 1e11, 1e9], "flops": [1e12, 1e14, 1e11],
                          "prove_core_s": [1e5, 1e7, 1e3]})
    table["prove_core_s_low"] = table["prove_core_s"] * [1.0, 0.1, 1.0]
    table["prove_core_s_high"] = table["prove_core_s"] * [1.0, 10.0, 1.0]
    e = verdicts.size_exponent(table)
    assert (e["point"], e["low"], e["high"]) == pytest.approx((2.0, 1.5, 2.5), rel=1e-12)
    assert e["reading"] == "superlinear"
    by_flops = verdicts.size_exponent(table, against="flops")
    assert (by_flops["point"], by_flops["low"], by_flops["high"]) == pytest.approx((4 / 3, 1.0, 5 / 3), rel=1e-12)
    assert by_flops["reading"] == "not resolved"  # low exactly 1: not above it
    swapped = table.assign(prove_core_s_low=table["prove_core_s_high"], prove_core_s_high=table["prove_core_s_low"])
    assert verdicts.size_exponent(swapped)["low"] == pytest.approx(1.5, rel=1e-12)
    root = pd.DataFrame({"params": [100.0, 10000.0, 1.0], "prove_core_s": [10.0, 100.0, 1.0]})
    root["prove_core_s_low"], root["prove_core_s_high"] = root["prove_core_s"], root["prove_core_s"] * [1, 10, 1]
    r = verdicts.size_exponent(root)
    assert (r["point"], r["high"]) == pytest.approx((0.5, 0.75), rel=1e-12) and r["reading"] == "sublinear"
    high_one = root.assign(prove_core_s_high=root["prove_core_s"] * [1, 100, 1])
    assert verdicts.size_exponent(high_one)["high"] == 1.0
    assert verdicts.size_exponent(high_one)["reading"] == "not resolved"  # high exactly 1: not below it
