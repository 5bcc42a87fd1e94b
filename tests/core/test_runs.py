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
    everything = runs.load_runs(status=None)
    assert len(everything) == len(data.load_table(constants.PROOFS)) >= len(table)


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
