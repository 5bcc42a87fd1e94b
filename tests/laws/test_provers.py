"""Laws of the two-prover comparison (chasm.laws.provers), checked on synthetic runs with known exponents and crossing."""

import math

import numpy as np
import pandas as pd
import pytest

from chasm.core import data
from chasm.core.constants import PROOFS
from chasm.laws import provers as families
from chasm.laws.rules import InsufficientData

PARAMS = [300, 1200, 5000, 20000, 80000, 320000]


def synthetic(seed=0, sd=0.05, params=PARAMS, reps=2, crossing=40000.0):
    """ezkl prove time 2 P^0.5 s, JSTprove 2 P^0.5 (P / crossing)^0.5 s: equal at ``crossing``; memory
    and proof size are power laws too; lognormal noise of ``sd``."""
    rng = np.random.default_rng(seed)
    template = data.load_table(PROOFS).iloc[0].to_dict()
    rows = []
    for p in params:
        for rep in range(reps):
            for prover in families.PROVERS:
                ezkl = 2.0 * p**0.5
                prove = ezkl if prover == "ezkl" else ezkl * (p / crossing) ** 0.5
                noise = lambda: math.exp(rng.normal(0, sd))  # noqa: E731
                rows.append({**template, "run_id": f"m{p}-{prover}-r{rep}", "family": "mlp", "config_id": f"m{p}",
                             "params": p, "repetition": rep, "prover": prover, "sweep_profile": families.PROFILE,
                             "status": "ok", "verified": True, "prove_s": prove * noise(),
                             "verify_s": (0.01 if prover == "ezkl" else 30.0) * p**0.2 * noise(),
                             "proof_bytes": (2e4 if prover == "ezkl" else 2e6) * p**0.1 * noise(),
                             "prove_peak_rss_bytes": 1e8 * p**0.3 * noise()})
    frame = pd.DataFrame(rows)
    for col in [c for c in frame.columns if c.endswith("_peak_rss_bytes") and c != "prove_peak_rss_bytes"]:
        frame[col] = np.nan
    return frame


def test_each_provers_exponent_is_recovered_inside_its_interval():
    runs = families.family_runs(synthetic())
    laws = families.prover_laws(runs).set_index(["prover", "quantity"])
    truth = {("ezkl", "prove_s"): 0.5, ("jstprove", "prove_s"): 1.0, ("ezkl", "verify_s"): 0.2,
             ("jstprove", "proof_bytes"): 0.1, ("ezkl", "peak_rss_bytes"): 0.3}
    for key, b in truth.items():
        row = laws.loc[key]
        assert row["exponent_low"] < b < row["exponent_high"], (key, row.to_dict())
        assert abs(row["exponent"] - b) < 0.05


def test_the_ratio_law_finds_the_known_crossing():
    runs = families.family_runs(synthetic())
    fit = families.ratio_fit(runs, "mlp", "prove_s")
    where = families.crossing(fit)
    assert where["low"] < 40000 < where["high"] and abs(math.log(where["point"] / 40000)) < 0.3
    big = families.largest_common(runs, "mlp", "prove_s")
    assert big["params"] == PARAMS[-1] and len(big["pairs"]) == 2
    assert big["low"] < (PARAMS[-1] / 40000) ** 0.5 < big["high"]
    assert big["ratio"] == pytest.approx(math.exp(np.mean(np.log(big["pairs"]))))


def test_the_interval_of_the_crossing_covers_about_95_percent():
    hits = [families.crossing(families.ratio_fit(families.family_runs(synthetic(seed=s, sd=0.15)), "mlp", "prove_s"))
            for s in range(60)]
    covered = np.mean([h["low"] <= 40000 <= h["high"] for h in hits])
    assert 0.85 <= covered <= 0.99  # 0.92 with these seeds; an interval that always covers would fail


def test_prediction_interval_contains_the_truth_and_flags_extrapolation():
    runs = families.family_runs(synthetic())
    inside = families.predict_prover(runs, "jstprove", "mlp", 10000)
    truth = 2.0 * 10000**0.5 * (10000 / 40000) ** 0.5
    assert inside["prove_s"]["low"] < truth < inside["prove_s"]["high"] and not inside["prove_s"]["extrapolated"]
    assert families.predict_prover(runs, "jstprove", "mlp", 1e7)["prove_s"]["extrapolated"]


def test_too_few_sizes_or_no_runs_are_named():
    with pytest.raises(InsufficientData, match="distinct sizes"):
        families.fit_prover(families.family_runs(synthetic(params=PARAMS[:3])), "ezkl", "mlp", "prove_s")
    empty = synthetic().assign(sweep_profile="full")
    with pytest.raises(InsufficientData, match="sweep profile 'families'"):
        families.family_runs(empty)


def test_a_proof_that_did_not_verify_never_reaches_these_laws():
    frame = synthetic()
    frame.loc[frame["prover"] == "jstprove", "verified"] = False
    runs = families.family_runs(frame)
    assert set(runs["prover"]) == {"ezkl"}
    assert families.paired(runs, "prove_s").empty


def test_predict_cli_answers_for_jstprove_and_refuses_rows(capsys):
    import json

    from chasm.laws import predict

    assert predict.main(["--params", "20000", "--prover", "jstprove", "--family", "mlp", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for q in ("prove_s", "verify_s", "peak_rss_bytes", "proof_bytes"):
        assert out[q]["low"] < out[q]["point"] < out[q]["high"] and not out[q]["extrapolated"]
    assert predict.main(["--rows", "2^16", "--family", "mlp", "--prover", "jstprove"]) == 2
    assert "--params" in capsys.readouterr().err
    assert predict.main(["--params", "2^34", "--prover", "jstprove", "--family", "mlp"]) == 2
    assert "--extrapolate" in capsys.readouterr().err


def test_a_proof_of_another_function_is_kept_out_of_the_laws():
    frame = synthetic()
    frame["output_rel_err"] = 1e-3
    bad = (frame["prover"] == "jstprove") & (frame["params"] == PARAMS[-1])
    frame.loc[bad, "output_rel_err"] = 1.2  # the circuit computed something else
    kept = families.family_runs(frame)
    assert not ((kept["prover"] == "jstprove") & (kept["params"] == PARAMS[-1])).any()
    assert len(families.family_runs(frame, proving_the_model=False)) == len(frame)
    assert families.paired(kept, "prove_s")["params"].max() == PARAMS[-2]
