"""chasm.costmodel.timing: measured CPU time per modelled field multiplication."""

from __future__ import annotations

import pytest

from chasm.core import data
from chasm.costmodel import timing


def test_implied_time_flags_contended_runs():
    from chasm.core.constants import CONTENTION_LIMIT

    implied = timing.implied_field_mult_time()
    if implied.empty:
        pytest.skip("no ok runs in data/measurements/proofs.csv yet")
    proofs = data.load_table("measurements/proofs.csv").set_index("run_id")
    busy = proofs.loc[implied["run_id"], "other_cpu_frac"].fillna(0).to_numpy() > CONTENTION_LIMIT
    assert (implied["contended"].to_numpy() == busy).all()
    assert (implied["cpu_ns_per_field_mult"] > 0).all()


def test_geometric_mean_interval_by_known_answers():
    """Logs 0 and 2: mean 1, standard deviation sqrt(2), so the half-width is t(0.975, 1) = 12.7062047 times
    sqrt(2) / sqrt(2); grouped, a group's runs count once at their mean log."""
    import math

    t1 = 12.706204736174707
    got = timing.geometric_mean_interval([1.0, math.e**2])
    assert got["n"] == 2 and got["point"] == pytest.approx(math.e, rel=1e-12)
    assert got["low"] == pytest.approx(math.exp(1 - t1), rel=1e-9)
    assert got["high"] == pytest.approx(math.exp(1 + t1), rel=1e-9)
    grouped = timing.geometric_mean_interval([math.e, math.e, math.e**4], groups=["a", "a", "b"])
    assert grouped["n"] == 2 and grouped["point"] == pytest.approx(math.e**2.5, rel=1e-12)
    assert grouped["high"] == pytest.approx(math.exp(2.5 + t1 * 1.5), rel=1e-9)  # sd 1.5 sqrt(2), over sqrt(2)
    one = timing.geometric_mean_interval(iter([4.0]))
    assert one["n"] == 1 and one["point"] == pytest.approx(4.0) and math.isnan(one["low"]) and math.isnan(one["high"])
    assert timing.geometric_mean_interval([2, 8])["point"] == pytest.approx(4.0)  # integers read as numbers


def _runs():
    """Two runs of one committed ezkl configuration: 2 s of compute (3 s wall) on 2 threads, uncontended, and
    one with no compute time and no thread count, 5 s wall on a 4-CPU machine, contended; and one of
    another configuration."""
    import numpy as np

    proofs = data.load_table("measurements/proofs.csv")
    ok = proofs[(proofs["status"] == "ok") & (proofs["family"] == "mlp")]
    base = ok.iloc[0].to_dict()
    other = ok[ok["config_id"] != base["config_id"]].iloc[0].to_dict()
    import pandas as pd

    return pd.DataFrame([
        {**base, "run_id": "a", "logrows": 17, "disable_freivalds": False, "prove_compute_s": 2.0, "prove_s": 3.0,
         "prove_threads": 2, "cpu_count": 8, "other_cpu_frac": 0.0},
        {**base, "run_id": "b", "logrows": 17, "disable_freivalds": False, "prove_compute_s": np.nan, "prove_s": 5.0,
         "prove_threads": np.nan, "cpu_count": 4, "other_cpu_frac": 0.9},
        {**other, "run_id": "c", "logrows": 18, "disable_freivalds": False, "prove_compute_s": 1.0, "prove_s": 1.5,
         "prove_threads": 1, "cpu_count": 2, "other_cpu_frac": np.nan},
    ])


def test_implied_time_takes_the_compute_or_wall_time_and_the_threads_of_each_run(monkeypatch):
    import pandas as pd

    runs = _runs()
    asked = []
    monkeypatch.setattr(timing, "proving_runs_with_model", lambda constants=None: asked.append(constants) or runs)
    got = timing.implied_field_mult_time("given").set_index("run_id")
    assert asked == ["given"]
    assert list(got["prove_s"]) == [2.0, 5.0, 1.0] and list(got["threads"]) == [2, 4, 1]
    assert list(got["contended"]) == [False, True, False] and "other_cpu_frac" not in got.columns
    assert list(got["logrows"]) == [17, 17, 18] and got.loc["a", "config_id"] == runs.loc[0, "config_id"]
    # CPU-nanoseconds per field multiplication: seconds x threads over the work, the same work at one size
    assert got.loc["a", "field_mults"] == got.loc["b", "field_mults"] < got.loc["c", "field_mults"]
    assert got.loc["a", "cpu_ns_per_field_mult"] == pytest.approx(1e9 * 2.0 * 2 / got.loc["a", "field_mults"], rel=1e-12)
    assert got.loc["b", "cpu_ns_per_field_mult"] == pytest.approx(5 * got.loc["a", "cpu_ns_per_field_mult"], rel=1e-12)
    wall = timing.implied_field_mult_time(time="wall").set_index("run_id")
    assert list(wall["prove_s"]) == [3.0, 5.0, 1.5]
    from chasm.costmodel.prover import prover_constants
    from chasm.costmodel.symbols import n_poly

    assert got.loc["a", "committed_polys"] == prover_constants("mlp")[n_poly]
    per = timing.implied_time_per_config(got.reset_index())
    assert list(per.columns) == ["family", "config_id", "logrows", "committed_polys", "runs", "contended_runs",
                                 "median_cpu_ns_per_field_mult"]
    first = per[per["logrows"] == 17].iloc[0]
    assert (first["runs"], first["contended_runs"]) == (2, 1)
    assert first["median_cpu_ns_per_field_mult"] == pytest.approx(got.loc[["a", "b"], "cpu_ns_per_field_mult"].mean())
    monkeypatch.setattr(timing, "proving_runs_with_model", lambda constants=None: pd.DataFrame())
    assert timing.implied_field_mult_time().empty


def test_a_run_at_other_run_arguments_is_refused_by_name(monkeypatch):
    runs = _runs()
    runs.loc[1, "disable_freivalds"] = True
    monkeypatch.setattr(timing, "proving_runs_with_model", lambda constants=None: runs)
    with pytest.raises(ValueError, match="^run b was proven at run arguments whose prover constants were not read$"):
        timing.implied_field_mult_time()
