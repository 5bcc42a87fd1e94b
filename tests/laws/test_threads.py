"""chasm.laws.threads: thread scaling from paired 1- and 2-thread runs, and Amdahl's law."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chasm.laws import threads as T


def _run(config, rep, threads, prove_s, *, status="ok", verified=True, other=0.0, tag="m1", profile="threads"):
    return {"sweep_profile": profile, "status": status, "verified": verified, "other_cpu_frac": other,
            "hardware_tag": tag, "family": "mlp", "config_id": config, "repetition": rep,
            "prove_threads": float(threads), "prove_s": prove_s, "logrows": 15.0}


def test_amdahl_efficiency_known_values():
    assert T.amdahl_efficiency(1, 0.3) == 1.0
    assert T.amdahl_efficiency(2, 0.0) == 1.0
    assert T.amdahl_efficiency(2, 1.0) == 0.5                      # all serial: two threads do one's work
    assert T.amdahl_efficiency(64, 0.01) == pytest.approx((1 / (0.01 + 0.99 / 64)) / 64)  # S(n)/n, Amdahl's form
    assert np.allclose(T.amdahl_efficiency(np.array([1, 4]), np.array([0.5, 0.5])), [1.0, 1 / 2.5])
    with pytest.raises(ValueError):
        T.amdahl_efficiency(0.5, 0.1)
    with pytest.raises(ValueError):
        T.amdahl_efficiency(4, 1.5)


def test_pairs_give_speedup_efficiency_and_serial_share():
    frame = pd.DataFrame([_run("a", 0, 1, 30.0), _run("a", 0, 2, 20.0), _run("a", 1, 1, 32.0), _run("a", 1, 2, 16.0)])
    pairs = T.thread_pairs(frame)
    assert pairs["speedup"].tolist() == [1.5, 2.0]
    assert pairs["efficiency"].tolist() == [0.75, 1.0]
    assert pairs["serial_share"].tolist() == pytest.approx([2 / 1.5 - 1, 0.0])
    # the serial share reproduces the speed-up through Amdahl's law at n = 2
    assert (1 / (pairs["serial_share"] + (1 - pairs["serial_share"]) / 2)).tolist() == pytest.approx([1.5, 2.0])
    s = T.thread_scaling(frame)
    assert s["pairs"] == 2 and s["configs"] == 1 and s["hardware_tag"] == "m1"
    assert s["speedup"] == {"point": 1.75, "low": 1.5, "high": 2.0}


def test_unverified_contended_failed_and_other_profile_runs_break_their_pair():
    rows = [_run("a", 0, 1, 30.0), _run("a", 0, 2, 20.0),
            _run("b", 0, 1, 30.0), _run("b", 0, 2, 10.0, verified=False),
            _run("c", 0, 1, 30.0, other=0.5), _run("c", 0, 2, 10.0),
            _run("d", 0, 1, 30.0, status="error"), _run("d", 0, 2, 10.0),
            _run("e", 0, 1, 30.0, profile="full"), _run("e", 0, 2, 10.0, profile="full")]
    pairs = T.thread_pairs(pd.DataFrame(rows))
    assert pairs["config_id"].tolist() == ["a"]


def test_one_machine_only_and_a_clear_error_without_pairs():
    rows = [_run("a", 0, 1, 30.0), _run("a", 0, 2, 20.0), _run("a", 0, 1, 8.0, tag="m2"), _run("a", 0, 2, 4.0, tag="m2"),
            _run("b", 0, 1, 30.0), _run("b", 0, 2, 15.0)]
    assert set(T.thread_pairs(pd.DataFrame(rows))["hardware_tag"]) == {"m1"}  # the machine with most pairs
    assert T.thread_pairs(pd.DataFrame(rows), hardware_tag="m2")["speedup"].tolist() == [2.0]
    with pytest.raises(ValueError, match="--profile threads"):
        T.thread_scaling(pd.DataFrame([_run("a", 0, 1, 30.0)]))


def test_the_committed_measurement_is_a_plausible_speedup():
    s = T.thread_scaling()
    assert s["pairs"] >= 2 and s["hardware_tag"]
    assert 1.0 < s["speedup"]["low"] <= s["speedup"]["point"] <= 2.0 and s["speedup"]["high"] < 2.5


def test_instance_speed_compares_the_same_configuration_on_two_machines():
    rows = [_run("a", 0, 2, 30.0), _run("a", 1, 2, 34.0), _run("a", 0, 2, 20.0, profile="full"),
            _run("b", 0, 2, 10.0), _run("b", 0, 2, 10.0, profile="quick"), _run("c", 0, 2, 99.0, profile="full")]
    frame = pd.DataFrame(rows).assign(calibration_target="resources")
    s = T.instance_speed(frame)
    assert s["ratios"] == {"a": 1.6, "b": 1.0}  # median of 30 and 34 over 20; c was not repeated
    assert (s["low"], s["point"], s["high"]) == (1.0, 1.3, 1.6)
    with pytest.raises(ValueError, match="main sweep"):
        T.instance_speed(frame[frame["config_id"] == "c"])


def test_the_committed_repeat_ran_on_a_slower_instance_of_the_same_hardware_tag():
    s = T.instance_speed()
    assert len(s["ratios"]) >= 2 and s["low"] <= s["point"] <= s["high"]
    assert s["low"] > 1.2  # a finding the pricing widens its interval with (see chasm.economics.scenarios)
