"""``python -m chasm predict`` (chasm.laws.predict): predictions with units and intervals, refusals that say why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import numpy as np
import pytest

from chasm.core import data
from chasm.core import paths
from chasm.laws import calibration
from chasm.laws import candidates
from chasm.laws import choice
from chasm.laws import estimation
from chasm.laws import predict
from chasm.laws import rules
from chasm.laws import selection


#: A stand-in frontier workload: 80 chunk proofs of 2^24 rows (95% band 78 to 83), and the query's
#: prover work with aggregation worth 88 chunk proofs (band 86 to 95).
CHUNKS = {"chunk_logrows": 24, "chunks_per_query": 80, "chunks_per_query_low": 78, "chunks_per_query_high": 83}


EQUIVALENTS = {"": 88.0, "_low": 86.0, "_high": 95.0}


@pytest.fixture()
def synthetic_root(tmp_path, monkeypatch):
    """A repository root whose proofs.csv has mlp at logrows 12..19, transformer at 13..18 and cnn at
    15..17 (too few sizes)."""
    real = paths.measurements_dir()
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(real / "proofs.schema.yaml", target / "proofs.schema.yaml")
    rng = np.random.default_rng(42)
    records = calibration.simulate_runs(rng, "mlp", logrows=tuple(range(12, 20)))
    records += calibration.simulate_runs(rng, "transformer", logrows=tuple(range(13, 19)))
    records += calibration.simulate_runs(rng, "cnn", logrows=(15, 16, 17))
    data.append_rows(target / "proofs.csv", records)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture()
def costmodel_stub(monkeypatch):
    """The real cost model with ``frontier_workload`` replaced (its other functions are used as they are)."""
    costmodel = pytest.importorskip("chasm.costmodel")
    chunk_work = float(candidates.prover_work_of_rows(np.array([2.0 ** CHUNKS["chunk_logrows"]]))[0])

    def frontier_workload(arch_id):
        if arch_id != "llama3-70b":
            raise KeyError(arch_id)
        return {**CHUNKS, "rows_per_query": CHUNKS["chunks_per_query"] * 2 ** CHUNKS["chunk_logrows"],
                **{f"prover_work_per_query{e}": n * chunk_work for e, n in EQUIVALENTS.items()}}

    monkeypatch.setattr(costmodel, "frontier_workload", frontier_workload)
    return costmodel


def run(capsys, *argv):
    status = predict.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_in_range_prints_every_quantity_with_units(synthetic_root, capsys):
    status, out, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    assert status == 0, err
    for q in rules.QUANTITIES:
        assert rules.QUANTITY_LABELS[q] in out
    assert " s [" in out or " s, " in out
    assert "iB" in out
    assert "95% prediction interval" in out
    assert "2^16 = 65,536 rows" in out


def test_json_has_point_low_high_unit_per_quantity(synthetic_root, capsys):
    status, out, _ = run(capsys, "--rows", "65536", "--family", "mlp", "--json")
    assert status == 0
    result = json.loads(out)
    assert set(result) == set(rules.QUANTITIES)
    for q, e in result.items():
        assert e["unit"] == rules.QUANTITIES[q]
        assert 0 < e["low"] < e["point"] < e["high"]
        assert e["rows"] == 2**16
        assert "extrapolated_doublings" not in e


def test_json_matches_the_fit(synthetic_root, capsys):
    status, out, _ = run(capsys, "--rows", "2^17", "--family", "mlp", "--json")
    runs, _ = selection.select_runs(data.load_table("measurements/proofs.csv"))
    qf = choice.fit_quantity(runs, "mlp", "prove_s")
    expected = estimation.predict(qf.chosen, [2.0**17])
    got = json.loads(out)["prove_s"]
    assert got["point"] == pytest.approx(expected["point"][0])
    assert (got["low"], got["high"]) == pytest.approx((expected["low"][0], expected["high"][0]))
    assert got["law"] == qf.chosen.candidate.name


def test_rows_are_rounded_up_to_the_padded_domain(synthetic_root, capsys):
    status, out, _ = run(capsys, "--rows", "100000", "--family", "mlp", "--json")
    assert status == 0
    assert json.loads(out)["prove_s"]["rows"] == 2**17


def test_outside_range_is_refused_and_says_how_far(synthetic_root, capsys):
    status, out, err = run(capsys, "--rows", "2^27", "--family", "mlp")
    assert status == 2 and out == ""
    assert "2^27 rows is 8 doublings above the largest measured mlp circuit 2^19" in err
    assert "--extrapolate" in err
    status, _, err = run(capsys, "--rows", "2^10", "--family", "mlp")
    assert status == 2
    assert "2 doublings below the smallest measured mlp circuit 2^12" in err


def test_extrapolate_predicts_and_flags_it(synthetic_root, capsys):
    status, out, err = run(capsys, "--rows", "2^27", "--family", "mlp", "--extrapolate", "--json")
    assert status == 0
    assert "extrapolating: 2^27 rows is 8 doublings above" in err
    result = json.loads(out)
    assert all(e["extrapolated_doublings"] == 8 for e in result.values())
    inside = json.loads(run(capsys, "--rows", "2^19", "--family", "mlp", "--json")[1])
    assert result["prove_s"]["point"] > inside["prove_s"]["point"]
    # Extrapolating further widens the interval (in log terms).
    width = lambda e: np.log(e["high"] / e["low"])  # noqa: E731
    assert width(result["prove_s"]) > width(inside["prove_s"])


def test_family_with_too_few_sizes_is_explained(synthetic_root, capsys):
    status, _, err = run(capsys, "--rows", "2^16", "--family", "cnn")
    assert status == 1
    assert "3 distinct sizes (logrows 15, 16, 17)" in err and "at least 4" in err


def test_usage_errors(synthetic_root, capsys):
    assert run(capsys, "--rows", "2^16")[0] == 2
    status, _, err = run(capsys, "--rows", "lots", "--family", "mlp")
    assert status == 2 and "positive integer or 2^k" in err
    with pytest.raises(SystemExit):
        predict.main(["--rows", "2^16", "--family", "gpt"])


def test_missing_table_is_a_clear_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "data" / "measurements").mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", tmp_path / "data" / "measurements")
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    status, _, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    assert status == 1 and "proofs.csv is missing" in err


def test_arch_requires_extrapolate(synthetic_root, costmodel_stub, capsys):
    status, out, err = run(capsys, "--arch", "llama3-70b")
    assert status == 2 and out == ""
    assert "80 chunk proofs of 2^24 rows" in err and "always an extrapolation" in err
    assert "6 doublings above the largest measured transformer circuit 2^18" in err


def test_arch_scales_and_widens_per_query_quantities(synthetic_root, costmodel_stub, capsys):
    status, out, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--json")
    assert status == 0, err
    per_query = json.loads(out)
    status, out, _ = run(capsys, "--rows", "2^24", "--family", "transformer", "--extrapolate", "--json")
    per_chunk = json.loads(out)
    n, n_low, n_high = CHUNKS["chunks_per_query"], CHUNKS["chunks_per_query_low"], CHUNKS["chunks_per_query_high"]
    assert "proof_bytes" not in per_query  # not carried to a frontier chunk (public I/O, not rows)
    for q in ("witness_s", "verify_s"):
        got, chunk = per_query[q], per_chunk[q]
        assert got["point"] == pytest.approx(n * chunk["point"])
        assert got["low"] == pytest.approx(n_low * chunk["low"])
        assert got["high"] == pytest.approx(n_high * chunk["high"])
        assert (got["fit_low"], got["fit_high"]) == pytest.approx((n * chunk["low"], n * chunk["high"]))
        assert got["scope"] == predict.PER_QUERY
    prove, chunk = per_query["prove_s"], per_chunk["prove_s"]
    assert prove["point"] == pytest.approx(EQUIVALENTS[""] * chunk["point"], rel=1e-9)
    assert prove["low"] == pytest.approx(EQUIVALENTS["_low"] * chunk["low"], rel=1e-9)
    assert prove["high"] == pytest.approx(EQUIVALENTS["_high"] * chunk["high"], rel=1e-9)
    assert prove["scope"] == predict.PER_QUERY_PROVE
    for q in ("prove_s", "witness_s", "verify_s"):
        e = per_query[q]
        assert e["low"] < e["fit_low"] < e["point"] < e["fit_high"] < e["high"]
    for q in ("prove_peak_rss_bytes", "peak_rss_bytes", "setup_s", "pk_bytes"):
        assert per_query[q]["point"] == pytest.approx(per_chunk[q]["point"])
        assert per_query[q]["high"] == pytest.approx(per_chunk[q]["high"])
    status, out, _ = run(capsys, "--arch", "llama3-70b", "--extrapolate")
    assert status == 0 and "x80 per query" in out and predict.PER_QUERY in out
    assert "95% band 78 to 83" in out


def test_arch_without_the_cost_models_band_is_refused(synthetic_root, costmodel_stub, monkeypatch, capsys):
    monkeypatch.setattr(costmodel_stub, "frontier_workload",
                        lambda arch_id: {"chunk_logrows": 24, "chunks_per_query": 80, "rows_per_query": 1})
    status, out, err = run(capsys, "--arch", "llama3-70b", "--extrapolate")
    assert status == 1 and out == ""
    assert "uncertainty band" in err and "chunks_per_query_low" in err


def test_contended_timings_are_not_predicted_but_memory_is(tmp_path, monkeypatch, capsys):
    """Runs slowed by other processes lose their times only: too few timed sizes is reported, not a crash."""
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", target)
    rng = np.random.default_rng(5)
    records = calibration.simulate_runs(rng, "mlp", logrows=(12, 13, 14))
    busy = calibration.simulate_runs(rng, "mlp", logrows=(15, 16, 17), other_cpu_frac=0.6)
    for rec in busy:  # distinct circuits from the quiet ones
        rec["run_id"], rec["config_id"] = "busy-" + rec["run_id"], "busy-" + rec["config_id"]
    records += busy
    data.append_rows(target / "proofs.csv", records)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    status, out, err = run(capsys, "--rows", "2^14", "--family", "mlp", "--json")
    assert status == 0, err
    result = json.loads(out)
    assert "pk_bytes" in result and "prove_peak_rss_bytes" in result
    assert "prove_s" not in result
    status, out, _ = run(capsys, "--rows", "2^14", "--family", "mlp")
    assert "prove time" in out and "not predicted" in out and "3 distinct sizes" in out


def test_unknown_arch_and_wrong_family(synthetic_root, costmodel_stub, capsys):
    status, _, err = run(capsys, "--arch", "llama9-1t", "--extrapolate")
    assert status == 2 and "unknown architecture" in err
    status, _, err = run(capsys, "--arch", "llama3-70b", "--family", "mlp", "--extrapolate")
    assert status == 2 and "transformer" in err


def test_command_line_entry_point(synthetic_root):
    proc = subprocess.run([sys.executable, "-m", "chasm", "predict", "--rows", "2^30", "--family", "mlp"],
                          capture_output=True, text=True, env={**os.environ})
    assert proc.returncode == 2
    assert "11 doublings above the largest measured mlp circuit 2^19" in proc.stderr
