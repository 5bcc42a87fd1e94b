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


# --- each step by known answers ---------------------------------------------------------------------------------


def test_family_runs_reads_both_profiles_of_one_machine_the_one_with_most_runs_by_default():
    import json

    from chasm.costmodel.families import network_work

    frame = synthetic()
    tag = str(frame["hardware_tag"].iloc[0])
    scaling = synthetic(params=PARAMS[:2]).assign(sweep_profile="jstprove_scaling", prover="jstprove")
    scaling["run_id"] = scaling["run_id"] + "-scaling"
    other = synthetic(params=PARAMS[:3]).assign(hardware_tag="other-machine")
    other["run_id"] = other["run_id"] + "-other"
    ezkl_only = synthetic(params=PARAMS[:1]).assign(sweep_profile="full")
    failed = synthetic(params=PARAMS[:1]).assign(status="killed", verified=False)
    failed["run_id"] = failed["run_id"] + "-killed"
    ezkl_only["run_id"] = ezkl_only["run_id"] + "-full"
    everything = pd.concat([frame, scaling, other, ezkl_only, failed], ignore_index=True)
    runs = families.family_runs(everything)
    assert set(runs["hardware_tag"]) == {tag} and len(runs) == len(frame) + len(scaling)
    assert set(runs["sweep_profile"]) == {"families", "jstprove_scaling"}
    assert len(families.family_runs(everything, "other-machine")) == len(other)
    with pytest.raises(InsufficientData, match="no verified runs of the profile 'families' on hardware 'nowhere'"):
        families.family_runs(everything, "nowhere")
    config = str(frame["config"].iloc[0])
    assert (runs["macs"] == float(network_work("mlp", json.loads(config)).macs)).all()
    # no prover column, or an empty one: ezkl
    assert set(families.family_runs(frame.drop(columns="prover"))["prover"]) == {"ezkl"}
    assert set(families.family_runs(frame.assign(prover=None))["prover"]) == {"ezkl"}


def test_the_output_tolerance_keeps_an_error_of_exactly_a_half_and_an_unknown_one():
    frame = synthetic()
    frame["output_rel_err"] = [0.5, 0.5000001, float("nan"), 0.1] * (len(frame) // 4)
    kept = families.family_runs(frame)
    assert sorted(set(kept["output_rel_err"].fillna(-1))) == [-1, 0.1, 0.5]
    assert len(kept) == 3 * len(frame) // 4


def test_observations_by_known_answers():
    runs = families.family_runs(synthetic()).assign(macs=lambda r: 3.0 * r["params"])
    runs.loc[runs.index[0], "prove_s"] = 0.0  # not positive: left out
    obs = families.observations(runs, "ezkl", "mlp", "prove_s")
    ezkl = runs[runs["prover"] == "ezkl"].iloc[1:]
    assert list(obs.columns) == ["config_key", "fold", "x", "y"]
    assert list(obs["config_key"]) == list(ezkl["config_id"])
    assert np.array_equal(obs["x"], ezkl["params"].astype(float))
    assert np.allclose(obs["y"], np.log(ezkl["prove_s"]), rtol=0, atol=1e-15)
    assert list(obs["fold"]) == [math.ceil(math.log2(p)) for p in ezkl["params"]]  # 300 -> 9, 1200 -> 11, ...
    by_macs = families.observations(runs, "ezkl", "mlp", "prove_s", size="macs")
    assert np.array_equal(by_macs["x"], 3.0 * ezkl["params"].astype(float))
    with pytest.raises(ValueError, match=r"size must be one of \('params', 'macs'\), got 'rows'"):
        families.observations(runs, "ezkl", "mlp", "prove_s", size="rows")
    assert families.observations(runs, "jstprove", "cnn", "prove_s").empty


def test_fit_prover_says_how_many_runs_and_sizes_and_names_too_few():
    runs = families.family_runs(synthetic())
    fit = families.fit_prover(runs, "ezkl", "mlp", "verify_s")
    assert (fit["n_runs"], fit["n_sizes"]) == (2 * len(PARAMS), len(PARAMS))
    table = fit["comparison"].set_index("law")
    assert fit["chosen_law"] == table["cv_rmse_log"].idxmin() and fit["chosen"] is not None
    assert fit["exponent"]["low"] < 0.2 < fit["exponent"]["high"]
    few = families.family_runs(synthetic(params=PARAMS[:3]))
    from chasm.laws.rules import MIN_SIZES

    with pytest.raises(InsufficientData, match=f"ezkl mlp prove_s: 3 distinct sizes; a law needs at least {MIN_SIZES}"):
        families.fit_prover(few, "ezkl", "mlp", "prove_s")
    laws = families.prover_laws(few)
    assert list(laws[["prover", "quantity", "unit"]].itertuples(index=False, name=None)) == [
        (p, q, u) for p in families.PROVERS for q, u in families.FAMILY_QUANTITIES.items()]
    assert laws["note"].str.endswith(f"3 distinct sizes; a law needs at least {MIN_SIZES}").all()
    at_least = families.fit_prover(families.family_runs(synthetic(params=PARAMS[:MIN_SIZES])), "ezkl", "mlp", "prove_s")
    assert at_least["n_sizes"] == MIN_SIZES  # exactly the fewest sizes a law needs


def test_prover_laws_tabulates_each_fit_and_notes_each_failure(monkeypatch):
    def fit_prover(runs, prover, family, quantity):
        if quantity == "proof_bytes":
            raise InsufficientData(f"{prover} {family}: too few")
        return {"exponent": {"point": 0.5, "low": 0.4, "high": 0.6}, "chosen_law": "affine", "n_sizes": 5,
                "n_runs": 10}

    monkeypatch.setattr(families, "fit_prover", fit_prover)
    table = families.prover_laws(pd.DataFrame({"family": ["mlp", "cnn", "mlp"]}))
    assert list(table[["prover", "family", "quantity"]].itertuples(index=False, name=None)) == [
        (p, f, q) for p in families.PROVERS for f in ("cnn", "mlp") for q in families.FAMILY_QUANTITIES]
    fitted = table[table["quantity"] != "proof_bytes"]
    assert (fitted["note"] == "").all() and (fitted["chosen_law"] == "affine").all()
    assert (fitted[["exponent", "exponent_low", "exponent_high", "n_sizes", "n_runs"]].to_numpy()
            == [0.5, 0.4, 0.6, 5, 10]).all()
    failed = table[table["quantity"] == "proof_bytes"]
    assert list(failed["note"]) == ["ezkl cnn: too few", "ezkl mlp: too few", "jstprove cnn: too few",
                                    "jstprove mlp: too few"]
    assert failed["exponent"].isna().all() and (table["unit"] == table["quantity"].map(families.FAMILY_QUANTITIES)).all()


def test_pairs_are_medians_per_repetition_of_positive_values_in_order():
    frame = synthetic(params=PARAMS[:4])
    frame = frame.sample(frac=1.0, random_state=1)  # any order in, sorted out
    runs = families.family_runs(frame)
    pairs = families.paired(runs, "prove_s")
    assert list(pairs.columns) == ["family", "config_id", "params", "repetition", "ezkl", "jstprove", "ratio"]
    assert list(pairs["params"]) == sorted(PARAMS[:4] * 2) and list(pairs["repetition"]) == [0, 1] * 4
    assert np.allclose(pairs["ratio"], pairs["jstprove"] / pairs["ezkl"])
    one = runs[(runs["params"] == PARAMS[0]) & (runs["repetition"] == 0)].set_index("prover")["prove_s"]
    assert (pairs.iloc[0]["ezkl"], pairs.iloc[0]["jstprove"]) == (one["ezkl"], one["jstprove"])
    # a second JSTprove run of one repetition: the pair takes their median; a run of zero time makes no pair
    extra = runs[(runs["params"] == PARAMS[0]) & (runs["repetition"] == 0) & (runs["prover"] == "jstprove")]
    extra = extra.assign(run_id="again", prove_s=3 * one["jstprove"])
    zero = runs.index[(runs["params"] == PARAMS[1]) & (runs["repetition"] == 1) & (runs["prover"] == "ezkl")]
    more = pd.concat([runs, extra])
    more.loc[zero, "prove_s"] = 0.0
    pairs = families.paired(more, "prove_s")
    assert pairs.iloc[0]["jstprove"] == pytest.approx(2 * one["jstprove"])  # median of x and 3x
    assert len(pairs) == 7 and not ((pairs["params"] == PARAMS[1]) & (pairs["repetition"] == 1)).any()
    # a JSTprove value of zero makes no pair either; one below 1 (ezkl's verify times are all below 1 s) does
    assert len(families.paired(runs, "verify_s")) == 8 and (families.paired(runs, "verify_s")["ezkl"] < 1).all()
    j = runs.index[(runs["prover"] == "jstprove") & (runs["repetition"] == 0)]
    less = runs.copy()
    less.loc[j[0], "prove_s"], less.loc[j[1], "prove_s"] = 0.0, 0.5
    pairs = families.paired(less, "prove_s")
    assert len(pairs) == 7 and (pairs["jstprove"] == 0.5).sum() == 1


def test_the_ratio_law_of_one_family_and_its_crossing_in_parameters():
    cnn = synthetic(seed=1, crossing=1e9).assign(family="cnn", config='{"channels": 2, "depth": 2, "size": 6}')
    runs = families.family_runs(pd.concat([synthetic(), cnn]))
    mlp, cnn = families.ratio_fit(runs, "mlp", "prove_s"), families.ratio_fit(runs, "cnn", "prove_s")
    assert mlp.n_runs == cnn.n_runs == 2 * len(PARAMS) and mlp.n_sizes == len(PARAMS)
    assert (mlp.x_min, mlp.x_max) == (PARAMS[0], PARAMS[-1])
    for fit, at in ((mlp, 40000.0), (cnn, 1e9)):  # ratio (P / at)^0.5: exponent 0.5, 1 at P = at
        where = families.crossing(fit)
        assert where["low"] < at < where["high"] and abs(math.log(where["point"] / at)) < 0.3


def test_a_crossing_the_band_never_reaches_stays_infinite_or_undefined(monkeypatch):
    monkeypatch.setattr(families, "crossing_logrows", lambda fit, level: {"point": 10.0, "low": float("-inf"),
                                                                          "high": float("nan")})
    got = families.crossing(None)
    assert got["point"] == 1024.0 and got["low"] == float("-inf") and math.isnan(got["high"])


def test_largest_common_by_known_answers_and_without_a_law():
    runs = families.family_runs(synthetic())
    big = families.largest_common(runs, "mlp", "prove_s")
    top = runs[runs["params"] == PARAMS[-1]]
    e, j = (top[top["prover"] == p].sort_values("repetition")["prove_s"] for p in ("ezkl", "jstprove"))
    assert (big["family"], big["quantity"], big["params"], big["config_id"]) == ("mlp", "prove_s", PARAMS[-1],
                                                                                 f"m{PARAMS[-1]}")
    assert big["ezkl"] == pytest.approx(e.median()) and big["jstprove"] == pytest.approx(j.median())
    assert big["pairs"] == pytest.approx(list(j.to_numpy() / e.to_numpy()))
    assert big["ratio"] == pytest.approx(math.sqrt(big["pairs"][0] * big["pairs"][1]))
    assert big["low"] < big["law_point"] < big["high"] and "note" not in big
    with pytest.raises(InsufficientData, match="cnn: no configuration proven by both provers"):
        families.largest_common(runs, "cnn", "prove_s")
    few = families.largest_common(families.family_runs(synthetic(params=PARAMS[:2])), "mlp", "prove_s")
    assert math.isnan(few["low"]) and math.isnan(few["high"])
    assert few["note"].startswith("mlp prove_s ratio: 2 distinct sizes")
    assert few["params"] == PARAMS[1]


def test_predict_prover_flags_only_sizes_outside_the_measured_range_and_notes_what_cannot_be_fitted():
    runs = families.family_runs(synthetic())
    for params, outside in ((PARAMS[0], False), (PARAMS[-1], False)):  # both ends belong to the measured range
        got = families.predict_prover(runs, "ezkl", "mlp", params)
        assert set(got) == set(families.FAMILY_QUANTITIES)
        for q, unit in families.FAMILY_QUANTITIES.items():
            assert got[q]["extrapolated"] is outside and got[q]["unit"] == unit
            assert got[q]["low"] < got[q]["point"] < got[q]["high"]
            assert got[q]["law"] in ("power", "affine")
    truth = 2e4 * PARAMS[-1]**0.1  # ezkl's proof bytes at the largest size
    assert got["proof_bytes"]["low"] < truth < got["proof_bytes"]["high"]
    assert abs(math.log(got["proof_bytes"]["point"] / truth)) < 0.05
    few = families.predict_prover(families.family_runs(synthetic(params=PARAMS[:3])), "ezkl", "mlp", 1000)
    assert few["prove_s"]["unit"] == "s" and "distinct sizes" in few["prove_s"]["note"] and "point" not in few["prove_s"]
    assert set(few) == set(families.FAMILY_QUANTITIES) and all("note" in v for v in few.values())  # every one


def test_observations_keep_only_positive_numeric_sizes_and_values():
    """A model of one parameter is a size (fold 0); none, or a value of zero or not a number, is not."""
    e = math.e
    runs = pd.DataFrame({
        "prover": ["ezkl"] * 6 + ["jstprove", "ezkl"],
        "family": ["mlp"] * 7 + ["cnn"],
        "config_id": ["one", "none", "zero", "text", "nine", "bad", "j", "c"],
        "params": [1, 0, 8, 8, 9, "n/a", 9, 9],
        "prove_s": [e, 5.0, 0.0, "n/a", e**2, 3.0, 1.0, 1.0],
    })
    obs = families.observations(runs, "ezkl", "mlp", "prove_s")
    assert list(obs["config_key"]) == ["one", "nine"] and list(obs["x"]) == [1.0, 9.0]
    assert list(obs["fold"]) == [0, 4] and obs["y"].tolist() == pytest.approx([1.0, 2.0], abs=1e-15)


def test_fit_prover_against_macs_and_its_choice_between_the_two_laws(monkeypatch):
    runs = families.family_runs(synthetic()).assign(macs=lambda r: 3.0 * r["params"])
    by_macs = families.fit_prover(runs, "ezkl", "mlp", "prove_s", size="macs")
    assert (by_macs["power"].x_min, by_macs["power"].x_max) == (3.0 * PARAMS[0], 3.0 * PARAMS[-1])
    assert by_macs["power"].candidate.name == "power" and set(by_macs["comparison"]["law"]) == {"power", "affine"}
    def compare(cm, laws, errors):  # both laws fitted, their cross-validation errors stated
        from chasm.laws.estimation import fit_law

        return (pd.DataFrame({"law": [law.name for law in laws], "cv_rmse_log": errors}),
                {law.name: fit_law(cm, law) for law in laws})

    monkeypatch.setattr(families, "compare", lambda cm, laws: compare(cm, laws, [0.2, 0.1]))
    fit = families.fit_prover(runs, "ezkl", "mlp", "prove_s")
    assert fit["chosen_law"] == "affine" and fit["chosen"].candidate.name == "affine"
    monkeypatch.setattr(families, "compare", lambda cm, laws: compare(cm, laws, [float("nan")] * 2))
    fit = families.fit_prover(runs, "ezkl", "mlp", "prove_s")  # no law scored: the power law
    assert fit["chosen_law"] == "power" and fit["chosen"] is fit["power"]
