"""JSTprove's frontier estimate (dense layers): the marginal cost per multiply-accumulate is recovered from runs with a
known affine law, and the query's bound is that slope times the query's multiply-accumulates."""

import math

import numpy as np
import pandas as pd
import pytest

from chasm.core import data
from chasm.core.constants import PROOFS
from chasm.core.specs import ModelSpec, parameter_count
from chasm.costmodel.families import network_work
from chasm.costmodel.frontier import frontier_workload
from chasm.economics import jstprove_query

WIDTHS = [16, 32, 64, 128, 256, 512]
SLOPE, FIXED = 2e-4, 30.0  # s per MAC, s


def synthetic(seed=0, sd=0.03):
    rng = np.random.default_rng(seed)
    template = data.load_table(PROOFS).iloc[0].to_dict()
    rows = []
    for w in WIDTHS:
        spec = ModelSpec("mlp", {"width": w, "depth": 2})
        macs = float(network_work("mlp", spec.config).macs)
        for rep in range(2):
            for prover in ("ezkl", "jstprove"):
                noise = math.exp(rng.normal(0, sd))
                rows.append({**template, "run_id": f"{spec.config_id}-{prover}-r{rep}", "family": "mlp",
                             "config_id": spec.config_id, "config": spec.config_json, "params": parameter_count(spec),
                             "repetition": rep, "prover": prover, "sweep_profile": "families", "status": "ok",
                             "verified": True, "prove_s": (FIXED + SLOPE * macs) * noise,
                             "verify_s": (60 + 5e-4 * macs) * noise, "prove_peak_rss_bytes": (2.5e8 + 1e3 * macs) * noise})
    frame = pd.DataFrame(rows)
    for col in [c for c in frame.columns if c.endswith("_peak_rss_bytes") and c != "prove_peak_rss_bytes"]:
        frame[col] = np.nan
    return frame


@pytest.fixture(scope="module")
def frame():
    return synthetic()


def test_the_marginal_rate_is_recovered_with_an_interval_around_it(frame):
    rates = jstprove_query.marginal_rates(frame)
    c1 = rates["prove_s"]["c1"]
    assert c1["low"] < SLOPE < c1["high"] and abs(c1["point"] / SLOPE - 1) < 0.1
    assert rates["verify_s"]["c1"]["low"] < 5e-4 < rates["verify_s"]["c1"]["high"]
    assert rates["runs"] == 2 * len(WIDTHS)


def test_the_query_bound_is_the_slope_times_the_querys_macs(frame):
    dist = jstprove_query.prove_distribution("llama3-8b", frame=frame)
    macs = frontier_workload("llama3-8b").macs_per_query
    c1 = dist["rates"]["prove_s"]["c1"]
    assert dist["macs"] == macs
    assert dist["core_s"] == pytest.approx((macs * c1["low"], macs * c1["point"], macs * c1["high"]))
    # chunks: the query's MACs over those one proof holds in the budget (bytes per MAC at the high end)
    mem = dist["rates"]["peak_rss_bytes"]
    per_chunk = (dist["budget_bytes"] - mem["c0"]["high"]) / mem["c1"]["high"]
    assert dist["chunks"] == math.ceil(macs / per_chunk) and dist["chunks"] > 1


def test_a_slope_the_data_cannot_bound_away_from_zero_is_refused(frame):
    frame = frame.copy()
    flat = frame["prover"] == "jstprove"
    frame.loc[flat, "prove_s"] = 40.0 * np.exp(np.random.default_rng(1).normal(0, 0.3, flat.sum()))
    with pytest.raises(ValueError, match="reaching 0"):
        jstprove_query.prove_distribution("llama3-8b", frame=frame)


def test_every_quantity_and_intercept_is_recovered_with_the_measured_range(frame):
    """Prove time 30 s + 2e-4 s/MAC, verify time 60 s + 5e-4 s/MAC, memory 2.5e8 B + 1e3 B/MAC: each true value
    inside its 95% interval, the point near it; the range of sizes and the machine are those of the runs."""
    rates = jstprove_query.marginal_rates(frame)
    truth = {"prove_s": (FIXED, SLOPE), "verify_s": (60.0, 5e-4), "peak_rss_bytes": (2.5e8, 1e3)}
    for quantity, (c0, c1) in truth.items():
        for name, value in (("c0", c0), ("c1", c1)):
            got = rates[quantity][name]
            assert got["low"] < value < got["high"], (quantity, name, got)
            assert got["low"] < got["point"] < got["high"] and abs(got["point"] / value - 1) < 0.2, (quantity, name)
    macs = [float(network_work("mlp", {"width": w, "depth": 2}).macs) for w in WIDTHS]
    assert rates["macs_range"] == (min(macs), max(macs))
    assert rates["hardware_tag"] == str(frame["hardware_tag"].iloc[0])


def test_the_rates_are_those_of_the_machine_asked_for(frame):
    """A second machine, three times slower per MAC, with more runs: the default is the machine with most runs,
    and naming the first one gives its own rate."""
    other = synthetic(seed=1)
    other["hardware_tag"], other["run_id"] = "slow-machine", other["run_id"] + "-slow"
    other["prove_s"] = other["prove_s"] * 3
    both = pd.concat([frame, other, other.assign(run_id=other["run_id"] + "-again", repetition=other["repetition"] + 2)])
    slow = jstprove_query.marginal_rates(both)
    assert slow["hardware_tag"] == "slow-machine" and slow["runs"] == 4 * len(WIDTHS)
    assert slow["prove_s"]["c1"]["low"] < 3 * SLOPE < slow["prove_s"]["c1"]["high"]
    first = jstprove_query.marginal_rates(both, str(frame["hardware_tag"].iloc[0]))
    assert first["prove_s"]["c1"]["low"] < SLOPE < first["prove_s"]["c1"]["high"] and first["runs"] == 2 * len(WIDTHS)


def _rates(prove_low=1e-6, verify_low=1e-7, mem_c0_high=1e9, mem_c1_high=100.0):
    iv = lambda low, point, high: {"low": low, "point": point, "high": high}  # noqa: E731
    return {"hardware_tag": "test-machine",
            "prove_s": {"c0": iv(1.0, 2.0, 3.0), "c1": iv(prove_low, 2e-6, 4e-6)},
            "verify_s": {"c0": iv(1.0, 2.0, 3.0), "c1": iv(verify_low, 2e-7, 3e-7)},
            "peak_rss_bytes": {"c0": iv(0.0, 5e8, mem_c0_high), "c1": iv(10.0, 50.0, mem_c1_high)}}


@pytest.fixture()
def stated(monkeypatch):
    """A query of 3.5 million MACs and stated rates (see :func:`_rates`)."""
    from chasm.costmodel import frontier

    rates = {"now": _rates()}
    monkeypatch.setattr(frontier, "frontier_workload", lambda arch: type("W", (), {"macs_per_query": 3.5e6})())
    monkeypatch.setattr(jstprove_query, "marginal_rates", lambda frame=None: rates["now"])
    return rates


def test_the_query_by_known_answers(stated):
    """3.5e6 MACs at 1, 2, 4 us per MAC: 3.5, 7, 14 s to prove; at 0.1, 0.2, 0.3 us: 0.35, 0.7, 1.05 s to
    verify; a budget of 1e9 B (fixed) + 100 B/MAC x 1e6 MACs holds 1e6 MACs per proof: 4 proofs."""
    dist = jstprove_query.prove_distribution("any", memory_budget_bytes=1e9 + 1e8)
    assert dist["core_s"] == pytest.approx((3.5, 7.0, 14.0), rel=1e-12)
    assert dist["fitted_core_s"] == dist["core_s"]
    assert dist["verify_core_s"] == pytest.approx((0.35, 0.7, 1.05), rel=1e-12)
    assert dist["chunks"] == 4.0 and dist["budget_bytes"] == dist["peak_bytes_high"] == 1.1e9
    assert (dist["K"], dist["threads"], dist["thread_scaling"], dist["macs"]) == (None, 1, None, 3.5e6)
    assert dist["hardware_tag"] == "test-machine" and dist["rates"] is stated["now"]
    # a budget holding exactly a third of the query is 3 proofs; one holding the whole query is 1
    assert jstprove_query.prove_distribution("any", memory_budget_bytes=1e9 + 1e8 * (3.5 / 3.0))["chunks"] == 3.0
    assert jstprove_query.prove_distribution("any", memory_budget_bytes=1e12)["chunks"] == 1.0
    # the default budget: the article's prover server, 256 GiB (fixed cost 1e9 B, then 100 B per MAC)
    default = jstprove_query.prove_distribution("any")
    assert default["budget_bytes"] == 256 * 2.0**30 and default["chunks"] == 1.0


def test_a_budget_without_room_or_a_memory_law_without_a_slope_gives_no_chunk_count(stated):
    assert math.isnan(jstprove_query.prove_distribution("any", memory_budget_bytes=1e9)["chunks"])  # fixed cost fills it
    assert math.isnan(jstprove_query.prove_distribution("any", memory_budget_bytes=0.5e9)["chunks"])
    stated["now"] = _rates(mem_c1_high=0.0)
    assert math.isnan(jstprove_query.prove_distribution("any", memory_budget_bytes=2e9)["chunks"])
    stated["now"] = _rates(mem_c0_high=-1e9)  # a negative fixed cost takes no room: 1e8 B holds 1e6 MACs
    assert jstprove_query.prove_distribution("any", memory_budget_bytes=1e8)["chunks"] == 4.0
    # the whole query in exactly one proof (3.5e8 B at 100 B/MAC): 1, not 2
    assert jstprove_query.prove_distribution("any", memory_budget_bytes=3.5e8)["chunks"] == 1.0
    # under a byte per MAC, and half a byte of room: tiny proofs, but a count
    stated["now"] = _rates(mem_c1_high=0.5)
    assert jstprove_query.prove_distribution("any", memory_budget_bytes=1e9 + 5e5)["chunks"] == 4.0
    stated["now"] = _rates()
    assert jstprove_query.prove_distribution("any", memory_budget_bytes=1e9 + 0.5)["chunks"] >= 7e8


@pytest.mark.parametrize("which", ["prove", "verify"])
def test_a_zero_low_end_of_either_rate_is_refused(stated, which):
    stated["now"] = _rates(**{f"{which}_low": 0.0})
    with pytest.raises(ValueError, match="marginal prove or verify time per multiply-accumulate has a 95% "
                                         "interval reaching 0"):
        jstprove_query.prove_distribution("any")
    stated["now"] = _rates(**{f"{which}_low": 1e-12})
    assert jstprove_query.prove_distribution("any")["core_s"][0] > 0
