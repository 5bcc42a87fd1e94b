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
