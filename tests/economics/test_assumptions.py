"""chasm.economics.assumptions: the priced assumptions table, overrides and split-lognormal draws."""

from __future__ import annotations

import numpy as np
import pytest

from chasm.economics import assumptions as A


@pytest.fixture(scope="module")
def frame():
    return A.load_assumptions()


def test_every_assumption_has_a_source_a_unit_and_an_ordered_range(frame):
    assert frame.index.is_unique and len(frame) >= 30
    for name, row in frame.iterrows():
        assert row["unit"].strip() and row["source"].strip() and row["basis"].strip(), name
        assert 0 <= row["low"] <= row["point"] <= row["high"], name


def test_the_prover_hardware_assumptions_are_present(frame):
    for name in ("prover_serial_share", "cpu_server_ram_gib", "gpu_prover_vcpu_equivalents"):
        assert name in frame.index
    # Amdahl serial share from a 64-core witness share f: s = f / (f + 64 (1 - f)), f = 3.21% and 22.33%
    assert frame.loc["prover_serial_share", "low"] == pytest.approx(0.0321 / (0.0321 + 64 * 0.9679), rel=1e-3)
    assert frame.loc["prover_serial_share", "high"] == pytest.approx(0.2233 / (0.2233 + 64 * 0.7767), rel=1e-3)
    # paired per source: 3.35x over 8 vCPU/GPU (ChainSafe) .. 7.2x over 32 vCPU/GPU (Snarkify proof 1)
    assert frame.loc["gpu_prover_vcpu_equivalents", ["low", "high"]].tolist() == pytest.approx([3.35 * 8, 7.2 * 32])


def test_a_value_collapses_the_range_and_a_triple_sets_it(frame):
    out = A.load_assumptions(A.parse_sets(["pue=1.2", "electricity_price=0.05:0.08:0.3"]))
    assert tuple(out.loc["pue", ["low", "point", "high"]]) == (1.2, 1.2, 1.2)
    assert tuple(out.loc["electricity_price", ["low", "point", "high"]]) == (0.05, 0.08, 0.3)
    assert out.loc["pue", "overridden"] and not out.loc["gpu_power_h100", "overridden"]
    assert not frame["overridden"].any()


@pytest.mark.parametrize("item, words", [
    ("pue", "expected NAME=VALUE"),
    ("pue=abc", "not a number"),
    ("gpu_rent_h100_sxm=-2", "negative"),
    ("pue=2:1.5:1.6", "low 2 > point 1.5"),
    ("pue=1:1.7:1.6", "point 1.7 > high 1.6"),
    ("pue=1:2", "three values"),
])
def test_bad_sets_get_named_errors(item, words):
    with pytest.raises(A.AssumptionError, match=words):
        A.parse_sets([item])


def test_an_unknown_name_lists_the_known_names():
    with pytest.raises(A.AssumptionError) as err:
        A.load_assumptions({"no_such_price": 1.0})
    assert "no_such_price" in str(err.value) and "gpu_rent_h100_sxm" in str(err.value) and "pue" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_split_lognormal_puts_the_median_at_point_and_95pct_at_the_ends():
    z = np.array([-A.Z975, 0.0, A.Z975, 1.0])
    x = A.split_lognormal(2.0, 5.0, 20.0, z)
    assert np.allclose(x[:3], [2.0, 5.0, 20.0])
    assert x[3] == pytest.approx(5.0 * (20.0 / 5.0) ** (1 / A.Z975))
    assert np.all(A.split_lognormal(3.0, 3.0, 3.0, z) == 3.0)
    with pytest.raises(A.AssumptionError):
        A.split_lognormal(0.0, 1.0, 2.0, z)


def test_draws_follow_the_seed_and_hit_the_interval(frame):
    d1 = A.draw_assumptions(frame, ["pue", "gpu_rent_h100_sxm"], 50_000, np.random.default_rng(1))
    d2 = A.draw_assumptions(frame, ["pue", "gpu_rent_h100_sxm"], 50_000, np.random.default_rng(1))
    assert all(np.array_equal(d1[k], d2[k]) for k in d1)
    lo, mid, hi = np.percentile(d1["gpu_rent_h100_sxm"], [2.5, 50, 97.5])
    row = frame.loc["gpu_rent_h100_sxm"]
    assert mid == pytest.approx(row["point"], rel=0.02)
    assert lo == pytest.approx(row["low"], rel=0.03) and hi == pytest.approx(row["high"], rel=0.05)
    with pytest.raises(A.AssumptionError, match="known names"):
        A.draw_assumptions(frame, ["nope"], 10, np.random.default_rng(0))
