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
