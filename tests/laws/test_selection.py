"""chasm.laws.selection: which runs the laws use, contended timings dropped, circuits at the floor left out."""

from __future__ import annotations

import math
import numpy as np
import pandas as pd
import pytest

from chasm.core import constants
from chasm.laws import choice
from chasm.laws import rules
from chasm.laws import selection


def test_prepare_runs_filters_and_derives_columns(synthetic_frame):
    rng = np.random.default_rng(9)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 16)),))
    frame.loc[0, "status"] = "killed"
    frame.loc[1, "verify_peak_rss_bytes"] = 10**12
    other = frame.iloc[:2].copy()
    other["hardware_tag"] = "other-machine"
    runs, tag = selection.select_runs(pd.concat([frame, other], ignore_index=True))
    assert tag == "synthetic" and (runs["hardware_tag"] == "synthetic").all()
    assert (runs["status"] == "ok").all() and len(runs) == len(frame) - 1
    row = runs.set_index("run_id").loc[frame.loc[1, "run_id"]]
    assert row["peak_rss_bytes"] == 10**12
    assert row["padded_rows"] == 2.0 ** row["logrows"]
    assert row["config_key"] == frame.loc[1, "run_id"].rsplit("-r", 1)[0]
    with pytest.raises(rules.InsufficientData, match="no successful runs on hardware 'nope'"):
        selection.select_runs(frame, "nope")


def test_fit_against_num_rows_uses_num_rows_size_classes(synthetic_frame):
    rng = np.random.default_rng(10)
    runs, _ = selection.select_runs(synthetic_frame(rng))
    qf = choice.fit_quantity(runs, "mlp", "prove_s", size="num_rows")
    assert qf.size == "num_rows"
    assert qf.chosen.x_max == runs["num_rows"].max()
    assert set(qf.means.fold) == set(np.ceil(np.log2(runs["num_rows"])).astype(int))


def test_prepare_runs_keeps_main_sweep_runs_at_default_scales_only(synthetic_frame):
    rng = np.random.default_rng(14)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 17)),))
    frame.loc[0, "sweep_profile"] = "calibration"
    frame.loc[1, "calibration_target"] = "accuracy"
    frame.loc[2, "input_scale"] = constants.FAMILY_SCALES["mlp"] + 2
    frame.loc[3, "param_scale"] = constants.FAMILY_SCALES["mlp"] - 1
    frame.loc[4, "sweep_profile"] = "quick"
    runs, _ = selection.select_runs(frame)
    assert set(runs["run_id"]) == set(frame["run_id"]) - set(frame.loc[:3, "run_id"])
    table = selection.exclusion_table(frame).set_index("reason")
    assert table["runs"].sum() == len(frame)
    assert table.loc["sweep profile not full or quick (side experiment)", "runs"] == 1
    assert table.loc["calibration target not 'resources'", "runs"] == 1
    assert table.loc["input or parameter scale is not the family's default", "runs"] == 2
    assert table.loc["used for the fits (on synthetic)", "runs"] == len(runs)


def test_contended_runs_lose_their_times_but_keep_memory_and_sizes(synthetic_frame):
    rng = np.random.default_rng(15)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 18)),))
    frame.loc[0, "other_cpu_frac"] = constants.CONTENTION_LIMIT  # at the limit: kept
    frame.loc[1, "other_cpu_frac"] = constants.CONTENTION_LIMIT + 0.01
    frame.loc[2, "other_cpu_frac"] = 0.8
    runs, _ = selection.select_runs(frame)
    by_id = runs.set_index("run_id")
    assert by_id.loc[frame.loc[0, "run_id"], "prove_s"] == pytest.approx(frame.loc[0, "prove_s"])
    for i in (1, 2):
        row = by_id.loc[frame.loc[i, "run_id"]]
        assert all(math.isnan(row[c]) for c in selection.time_columns(runs))
        assert row["pk_bytes"] == frame.loc[i, "pk_bytes"] and row["prove_peak_rss_bytes"] > 0
    assert len(selection.observations(runs, "mlp", "prove_s")) == len(frame) - 2
    assert len(selection.observations(runs, "mlp", "pk_bytes")) == len(frame)
    table = selection.exclusion_table(frame)
    contended = table[table["reason"].str.contains(f"other_cpu_frac > {constants.CONTENTION_LIMIT:g}", regex=False)]
    assert contended["runs"].tolist() == [2]


def test_circuits_at_the_logrows_floor_are_left_out_of_fits_against_parameters(synthetic_frame):
    rng = np.random.default_rng(17)
    frame = synthetic_frame(rng, families=(("mlp", range(14, 19)),))
    smallest = frame["logrows"] == 14
    frame.loc[smallest, "num_rows"] = 2**12  # uses a quarter of its 2^14 rows: the table set its size
    floor_like = frame[smallest].copy()  # a second, smaller network on the same floor
    floor_like["run_id"] = floor_like["run_id"].str.replace("syn-mlp-000", "syn-mlp-tiny")
    floor_like["params"] = 10
    frame = pd.concat([frame, floor_like], ignore_index=True)
    frame.loc[frame["logrows"] == 15, "num_rows"] = 2**14 - 1  # at most half, but not the family's minimum
    runs, _ = selection.select_runs(frame)
    assert set(runs.loc[runs["at_floor"], "logrows"]) == {14}
    assert runs.loc[runs["at_floor"], "config_key"].nunique() == 2
    by_params = selection.observations(runs, "mlp", "prove_s", size="params")
    assert 14 not in set(by_params["logrows"]) and 15 in set(by_params["logrows"])
    assert set(selection.observations(runs, "mlp", "prove_s", size="num_rows")["logrows"]) == set(range(15, 19))
    assert 14 in set(selection.observations(runs, "mlp", "prove_s")["logrows"])


def test_an_ok_run_whose_proof_did_not_verify_feeds_no_law(synthetic_frame):
    """``status == 'ok'`` is not trusted alone: a run whose ``verified`` is False (or missing) is left out of
    the fits, the exclusion table says why, and the law is fitted on that many runs fewer."""
    rng = np.random.default_rng(19)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 18)),))
    before = choice.fit_quantity(selection.select_runs(frame)[0], "mlp", "prove_s").chosen.n_runs
    assert before == len(frame)
    frame["verified"] = frame["verified"].astype(object)
    frame.loc[0, "verified"] = False
    frame.loc[4, "verified"] = None
    runs, _ = selection.select_runs(frame)
    assert set(frame.loc[[0, 4], "run_id"]).isdisjoint(runs["run_id"]) and len(runs) == len(frame) - 2
    assert choice.fit_quantity(runs, "mlp", "prove_s").chosen.n_runs == before - 2
    table = selection.exclusion_table(frame).set_index("reason")
    assert table.loc["proof did not verify (status 'ok' but verified is not True)", "runs"] == 2
    assert table.loc["used for the fits (on synthetic)", "runs"] == len(frame) - 2


def test_config_means_by_known_answers():
    """Three configurations, in no order, with 1, 2 and 3 runs: keys sorted, means, repetition counts, the
    within-configuration sum of squares and its degrees of freedom, and the size class of each."""
    obs = pd.DataFrame([
        ("b", 13, 26, 8192.0, 1.0), ("a", 12, 24, 4096.0, 2.0), ("c", 14, 28, 16384.0, 0.0),
        ("b", 13, 26, 8192.0, 3.0), ("c", 14, 28, 16384.0, 1.0), ("c", 14, 28, 16384.0, 5.0),
    ], columns=["config_key", "logrows", "fold", "x", "y"])
    cm = selection.config_means(obs)
    assert cm.keys == ("a", "b", "c") and cm.n_configs == 3
    np.testing.assert_array_equal(cm.fold, [24, 26, 28])  # the fold column, not logrows
    np.testing.assert_allclose(cm.x, [4096.0, 8192.0, 16384.0])
    np.testing.assert_allclose(cm.ybar, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(cm.reps, [1, 2, 3])
    np.testing.assert_allclose(cm.ss, [0.0, 2.0, 14.0])
    assert cm.df_rep == 3 and cm.within_ss == pytest.approx(16.0)
    sub = cm.subset(np.array([True, False, True]))
    assert sub.keys == ("a", "c") and sub.n_configs == 2 and sub.df_rep == 2
    np.testing.assert_allclose(sub.ss, [0.0, 14.0])
    np.testing.assert_array_equal(sub.fold, [24, 28])
    np.testing.assert_allclose(sub.x, [4096.0, 16384.0])
    np.testing.assert_allclose(sub.ybar, [2.0, 2.0])
    np.testing.assert_array_equal(sub.reps, [1, 3])
    # without a fold column the size class is logrows
    np.testing.assert_array_equal(selection.config_means(obs.drop(columns="fold")).fold, [12, 13, 14])
    moved = obs.copy()
    moved.loc[3, "fold"] = 27  # the second run of b is of another size
    with pytest.raises(ValueError, match="^a configuration has runs of different sizes; config_key must identify one circuit$"):
        selection.config_means(moved)
    with pytest.raises(rules.InsufficientData, match="^no usable runs$"):
        selection.config_means(obs.iloc[:0])


def test_observations_by_known_answers():
    """Runs of the family with a positive quantity and size; the log of the quantity; the fold is logrows
    against padded rows, else ceil(log2 size); circuits at the floor only against padded rows."""
    runs = pd.DataFrame([
        # config_key, family, logrows, padded_rows, params, at_floor, prove_s
        ("m1", "mlp", 15, 2.0**15, 1000, True, 2.0),
        ("m2", "mlp", 16, 2.0**16, 1024, False, 4.0),
        ("m3", "mlp", 17, 2.0**17, 1025, False, 8.0),
        ("m4", "mlp", 17, 2.0**17, 3000, False, 0.0),      # no positive value
        ("m5", "mlp", 17, 2.0**17, 3000, False, -1.0),
        ("m6", "mlp", 17, 2.0**17, 3000, False, None),
        ("m7", "mlp", 18, 2.0**18, 0, False, 16.0),        # no positive size against params
        ("m8", "mlp", 18, 2.0**18, 1, False, 0.5),         # small but positive: kept
        ("c1", "cnn", 15, 2.0**15, 1000, False, 3.0),
    ], columns=["config_key", "family", "logrows", "padded_rows", "params", "at_floor", "prove_s"])
    rows = selection.observations(runs, "mlp", "prove_s")
    assert list(rows.columns) == ["config_key", "logrows", "fold", "x", "y"]
    assert list(rows["config_key"]) == ["m1", "m2", "m3", "m7", "m8"]
    assert list(rows["fold"]) == list(rows["logrows"]) == [15, 16, 17, 18, 18]
    np.testing.assert_allclose(rows["x"], [2.0**15, 2.0**16, 2.0**17, 2.0**18, 2.0**18])
    np.testing.assert_allclose(rows["y"], np.log([2.0, 4.0, 8.0, 16.0, 0.5]))
    by_params = selection.observations(runs, "mlp", "prove_s", size="params")
    assert list(by_params["config_key"]) == ["m2", "m3", "m8"]
    assert list(by_params["fold"]) == [10, 11, 0] and list(by_params["logrows"]) == [16, 17, 18]
    np.testing.assert_allclose(by_params["x"], [1024.0, 1025.0, 1.0])
    with pytest.raises(KeyError, match="quantity 'nope' is not a column of the runs"):
        selection.observations(runs, "mlp", "nope")
    with pytest.raises(ValueError, match="size must be one of"):
        selection.observations(runs, "mlp", "prove_s", size="logrows")


def test_the_first_reason_wins_and_the_machine_with_most_usable_runs_is_chosen():
    frame = pd.DataFrame({
        "status": ["killed", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"],
        "verified": [False, False, True, True, True, True, True, True, True],
        "logrows": [None, 15, None, 15, 15, 15, 15, 15, 15],
        "sweep_profile": ["calibration", "full", "full", "calibration", "quick", "full", "full", "full", "full"],
        "calibration_target": ["accuracy"] * 5 + ["resources"] * 4,
        "family": ["mlp"] * 9,
        "input_scale": [7] * 9, "param_scale": [7] * 9,
        "hardware_tag": ["a", "a", "a", "a", "a", "b", "b", "a", "a"],
    })
    scale = constants.FAMILY_SCALES["mlp"]
    frame[["input_scale", "param_scale"]] = scale
    frame.loc[7, "param_scale"] = scale + 1
    reasons = selection.exclusion_reasons(frame)
    assert list(reasons) == [
        "no verified proof (status is not 'ok')",
        "proof did not verify (status 'ok' but verified is not True)",
        "no logrows recorded",
        "sweep profile not full or quick (side experiment)",
        "calibration target not 'resources'",
        "", "", "input or parameter scale is not the family's default", ""]
    assert selection.choose_machine(frame, reasons, None) == "b"  # two usable runs against one
    assert selection.choose_machine(frame, reasons, "a") == "a"
    with pytest.raises(rules.InsufficientData, match="no successful runs on hardware 'c'; available: b, a$"):
        selection.choose_machine(frame, reasons, "c")
    with pytest.raises(rules.InsufficientData, match=r"^no usable runs in the table \(1 run: no logrows recorded\)$"):
        selection.choose_machine(frame.iloc[[2]], reasons.iloc[[2]], None)
    with pytest.raises(rules.InsufficientData, match=r"\(2 runs: no logrows recorded\)"):
        selection.choose_machine(frame.iloc[[2, 2]], reasons.iloc[[2, 2]], None)
    with pytest.raises(rules.InsufficientData,
                       match=r"\(2 runs: no verified proof \(status is not 'ok'\); 1 run: no logrows recorded\)$"):
        selection.choose_machine(frame.iloc[[0, 2, 0]], reasons.iloc[[0, 2, 0]], None)
    # a run by another prover (a comparison, not a law of ezkl's); a missing prover is ezkl
    provers = frame.assign(prover=["ezkl", None, None, None, None, "jstprove", None, None, None])
    assert list(selection.exclusion_reasons(provers)) == list(reasons[:5]) + [
        "proven by another prover than ezkl (the two-family comparison)"] + list(reasons[6:])
    with pytest.raises(rules.InsufficientData, match=r"\(it is empty\)"):
        selection.choose_machine(frame.iloc[:0], reasons.iloc[:0], None)


def test_exclusion_table_counts_runs_of_other_machines_and_contended_timings(synthetic_frame):
    rng = np.random.default_rng(21)
    frame = synthetic_frame(rng, families=(("mlp", range(12, 16)),))
    frame.loc[[0, 1], "hardware_tag"] = "laptop"
    frame.loc[[2, 3, 4], "other_cpu_frac"] = 0.9
    frame.loc[5, "status"] = "killed"
    table = selection.exclusion_table(frame)
    assert table.to_dict("records") == [
        {"reason": "run on another machine than synthetic", "runs": 2, "left out": "the whole run"},
        {"reason": "no verified proof (status is not 'ok')", "runs": 1, "left out": "the whole run"},
        {"reason": f"machine busy with other processes (other_cpu_frac > {constants.CONTENTION_LIMIT:g})",
         "runs": 3, "left out": "times (*_s) only; memory and sizes used"},
        {"reason": "used for the fits (on synthetic)", "runs": len(frame) - 3, "left out": "times of 3 of them"},
    ]
    quiet = selection.exclusion_table(frame.iloc[6:]).to_dict("records")
    assert quiet == [{"reason": "used for the fits (on synthetic)", "runs": len(frame) - 6, "left out": "nothing"}]
    runs, tag = selection.select_runs(frame)
    assert tag == "synthetic" and len(runs) == len(frame) - 3
    assert runs["timing_contended"].sum() == 3 and runs["timing_contended"].dtype == bool
    laptop = selection.exclusion_table(frame, "laptop").set_index("reason")["runs"]
    assert laptop["used for the fits (on laptop)"] == 2
    assert laptop["run on another machine than laptop"] == len(frame) - 3
    derived = ["padded_rows", "peak_rss_bytes", "config_key", "timing_contended", "at_floor"]
    assert list(runs.columns) == list(frame.columns) + [c for c in derived if c not in frame.columns]
    # a run without logrows makes the column float; the fitted runs' logrows are integers again
    frame.loc[5, "logrows"] = None
    runs, _ = selection.select_runs(frame)
    assert runs["logrows"].dtype.kind == "i"
    np.testing.assert_array_equal(runs["padded_rows"], 2.0 ** runs["logrows"].to_numpy())


def test_a_circuit_at_the_floor_fills_at_most_half_of_its_rows(synthetic_frame):
    """``at_floor``: the family's smallest logrows and ``num_rows <= 2**(logrows - 1)``: exactly half is at the
    floor, 0.4 of it too, one row more than half is not; circuits above the smallest logrows never are."""
    rng = np.random.default_rng(23)
    frame = synthetic_frame(rng, families=(("mlp", range(14, 18)),), reps=1)
    frame.loc[0, "num_rows"] = 2**13          # logrows 14, exactly half
    frame.loc[1, "num_rows"] = 2**12          # logrows 15, a quarter: not the smallest logrows
    duplicate = frame.iloc[[0, 0]].assign(run_id=["x-r0", "y-r0"], num_rows=[int(0.4 * 2**14), 2**13 + 1])
    runs, _ = selection.select_runs(pd.concat([frame, duplicate], ignore_index=True))
    at_floor = runs.set_index("run_id")["at_floor"]
    assert at_floor[frame.loc[0, "run_id"]] and at_floor["x-r0"]
    assert not at_floor["y-r0"] and not at_floor[frame.loc[1, "run_id"]]
    assert at_floor.sum() == 2
