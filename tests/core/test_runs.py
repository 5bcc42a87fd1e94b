"""chasm.core.runs: the committed proving runs with derived columns, peak memory, per-configuration medians."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from chasm.core import constants, data, runs


def test_peak_rss_bytes_is_the_largest_phase_peak():
    record = {f"{p}_peak_rss_bytes": 100.0 * (i + 1) for i, p in enumerate(constants.PHASES)}
    assert runs.peak_rss_bytes(record) == 100.0 * len(constants.PHASES)
    assert math.isnan(runs.peak_rss_bytes({"prove_peak_rss_bytes": None}))
    frame = pd.DataFrame([record, {**record, "setup_peak_rss_bytes": 1e9}])
    assert list(runs.peak_rss_bytes(frame)) == [100.0 * len(constants.PHASES), 1e9]


def test_load_runs_derives_columns_from_the_committed_table():
    table = runs.load_runs()
    assert (table["status"] == "ok").all() and len(table) > 0
    assert np.allclose(table["padded_rows"], 2.0 ** table["logrows"])
    assert (table["peak_rss_bytes"] >= table["prove_peak_rss_bytes"]).all()
    assert np.allclose(table["overhead_ratio"], table["prove_s"] / table["infer_s"])
    assert (table["contended"] == (table["other_cpu_frac"].fillna(0) > constants.CONTENTION_LIMIT)).all()
    frame = pd.DataFrame({"other_cpu_frac": [0.05, 0.5, None]})
    assert list(runs.contended(frame)) == [False, True, False]
    assert list(runs.contended(frame, missing=True)) == [False, True, True]
    everything = runs.load_runs(status=None, provers=None)
    assert len(everything) == len(data.load_table(constants.PROOFS)) >= len(table)
    assert (runs.load_runs(status=None)["prover"].fillna("ezkl") == "ezkl").all()


def test_load_runs_keeps_the_second_prover_apart_unless_asked():
    base = runs.load_runs(status=None, provers=None).iloc[:2].copy()
    base["prover"] = ["ezkl", "jstprove"]
    base.loc[base.index[1], "run_id"] = "other"
    assert list(runs.load_runs(status=None, frame=base)["prover"]) == ["ezkl"]
    assert list(runs.load_runs(status=None, frame=base, provers=("jstprove",))["prover"]) == ["jstprove"]
    unlabelled = base.drop(columns="prover")
    assert len(runs.load_runs(status=None, frame=unlabelled)) == 2  # rows without a prover are ezkl's


def test_size_label_leaves_out_defaults():
    assert runs.size_label('{"depth": 2, "outputs": 4, "width": 64}') == "depth=2, width=64"


def test_per_config_takes_medians_over_repetitions():
    table = runs.load_runs(profiles=["full"])
    med = runs.per_config(table, ["prove_s"])
    one = med.iloc[0]
    same = table[(table["config_id"] == one["config_id"]) & (table["hardware_tag"] == one["hardware_tag"])
                 & (table["calibration_target"] == one["calibration_target"])]
    assert one["repetitions"] == len(same)
    assert one["prove_s"] == same["prove_s"].median()
    assert one["prove_s_min"] == same["prove_s"].min() and one["prove_s_max"] == same["prove_s"].max()


def test_only_runs_whose_proof_verified_count_as_ok():
    """``load_runs`` (status 'ok', the default) drops an ``ok`` row whose proof did not verify."""
    table = data.load_table(constants.PROOFS)
    ok = table.index[table["status"] == "ok"]
    frame = table.copy()
    frame["verified"] = frame["verified"].astype(object)
    frame.loc[ok[0], "verified"] = False
    frame.loc[ok[1], "verified"] = None
    kept = runs.load_runs(frame=frame, provers=None)
    assert len(kept) == len(ok) - 2
    assert not set(frame.loc[ok[:2], "run_id"]) & set(kept["run_id"])
    mask = runs.verified_ok(frame)
    assert mask.sum() == len(ok) - 2 and not mask[table["status"] != "ok"].any()
    unrecorded = frame.drop(columns="verified").iloc[5:]  # no record of verification: not verified
    assert runs.verified_ok(unrecorded).index.equals(unrecorded.index) and not runs.verified_ok(unrecorded).any()


def test_load_runs_of_another_status_and_its_derived_columns():
    """``status=`` other than 'ok' keeps exactly those rows; ``total_s`` is the sum of the phase times
    (missing when no phase has one); ``size_label`` is each configuration's label."""
    table = data.load_table(constants.PROOFS)
    skipped = runs.load_runs(status="skipped_memory")
    assert len(skipped) == (table["status"] == "skipped_memory").sum() > 0
    assert (skipped["status"] == "skipped_memory").all()
    assert skipped["total_s"].isna().all()  # never started: no phase time
    ok = runs.load_runs()
    np.testing.assert_allclose(ok["total_s"], sum(ok[f"{p}_s"] for p in constants.PHASES))
    assert list(ok["size_label"]) == [runs.size_label(c) for c in ok["config"]]
    one_phase = table[table["status"] == "ok"].head(1).copy()
    for p in constants.PHASES[1:]:
        one_phase[f"{p}_s"] = np.nan
    assert runs.load_runs(frame=one_phase)["total_s"].tolist() == one_phase[f"{constants.PHASES[0]}_s"].tolist()


def test_contention_reads_unrecorded_fractions_as_missing():
    frame = pd.DataFrame({"other_cpu_frac": ["0.5", "", "n/a", "0.01"]})
    assert list(runs.contended(frame)) == [True, False, False, False]
    assert list(runs.contended(frame, missing=True)) == [True, True, True, False]


def test_size_label_leaves_out_the_family_fixed_parameters():
    assert runs.size_label('{"activation": "relu", "d_model": 16, "ffn_mult": 4, "heads": 2}') == "d_model=16, heads=2"


def test_per_config_keeps_configurations_with_a_missing_key():
    """A configuration whose input scale was not recorded is still a configuration (not dropped)."""
    table = runs.load_runs(profiles=["full"])
    first = table["config_id"] == table["config_id"].iloc[0]
    table.loc[first, "input_scale"] = np.nan
    med = runs.per_config(table, ["prove_s"])
    assert med["repetitions"].sum() == len(table)
    assert med.loc[med["input_scale"].isna(), "repetitions"].item() == first.sum()
