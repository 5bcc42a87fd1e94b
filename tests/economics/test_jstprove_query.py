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
