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
from chasm.laws import coverage
from chasm.laws import choice
from chasm.laws import estimation
from chasm.laws import predict
from chasm.laws import rules
from chasm.laws import selection


def copy_prover_constants(target):
    """The cost model's law (a candidate) reads the prover constants of the real circuits."""
    for name in ("circuit_constants.csv", "circuit_constants.schema.yaml"):
        shutil.copy(paths.measurements_dir() / name, target / name)


@pytest.fixture()
def synthetic_root(tmp_path, monkeypatch):
    """A repository root whose proofs.csv has mlp at logrows 12..19, transformer at 13..18 and cnn at
    15..17 (too few sizes)."""
    real = paths.measurements_dir()
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(real / "proofs.schema.yaml", target / "proofs.schema.yaml")
    copy_prover_constants(target)
    rng = np.random.default_rng(42)
    records = coverage.simulate_runs(rng, "mlp", logrows=tuple(range(12, 20)))
    records += coverage.simulate_runs(rng, "transformer", logrows=tuple(range(13, 19)))
    records += coverage.simulate_runs(rng, "cnn", logrows=(15, 16, 17))
    data.append_rows(target / "proofs.csv", records)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    return tmp_path


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
        assert e["padded_rows"] == 2**16
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


def test_a_proof_that_did_not_verify_reaches_no_prediction(synthetic_root, capsys):
    """An ``ok`` row marked ``verified=False`` is not fitted: predict fits on one run fewer."""
    path = synthetic_root / "data" / "measurements" / "proofs.csv"
    frame = data.load_table(path)
    n = int((frame["family"] == "mlp").sum())  # every one an ok run whose proof verified
    assert (frame["status"] == "ok").all() and frame["verified"].eq(True).all()
    frame["verified"] = frame["verified"].astype(object)
    frame.loc[frame.index[frame["family"] == "mlp"][0], "verified"] = False
    data.write_table_atomic(path, frame)
    status, out, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    assert status == 0 and f"fitted on {n - 1} successful mlp runs" in out, err


def test_rows_are_rounded_up_to_the_padded_domain(synthetic_root, capsys):
    status, out, _ = run(capsys, "--rows", "100000", "--family", "mlp", "--json")
    assert status == 0
    assert json.loads(out)["prove_s"]["padded_rows"] == 2**17


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


def test_contended_timings_are_not_predicted_but_memory_is(tmp_path, monkeypatch, capsys):
    """Runs slowed by other processes lose their times only: too few timed sizes is reported, not a crash."""
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", target)
    copy_prover_constants(target)
    rng = np.random.default_rng(5)
    records = coverage.simulate_runs(rng, "mlp", logrows=(12, 13, 14))
    busy = coverage.simulate_runs(rng, "mlp", logrows=(15, 16, 17), other_cpu_frac=0.6)
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


def test_command_line_entry_point(synthetic_root):
    proc = subprocess.run([sys.executable, "-m", "chasm", "predict", "--rows", "2^30", "--family", "mlp"],
                          capture_output=True, text=True, env={**os.environ})
    assert proc.returncode == 2
    assert "11 doublings above the largest measured mlp circuit 2^19" in proc.stderr


def test_arch_requires_extrapolate_and_a_known_model(capsys):
    status, _, err = run(capsys, "--arch", "llama3-70b")
    assert status == 2 and "--extrapolate" in err
    status, _, err = run(capsys, "--arch", "llama9-1t", "--extrapolate")
    assert status == 2 and "unknown architecture" in err and "llama3-70b" in err
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--family", "mlp")
    assert status == 2 and "--family" in err
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "plenty")
    assert status == 2 and "memory size" in err


@pytest.mark.slow
def test_arch_reports_a_chunk_whose_memory_interval_fits_the_budget(capsys):
    """The issue's acceptance check: the chosen chunk's per-chunk peak memory (95% high bound) fits."""
    status, out, _ = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "256GiB", "--json")
    assert status == 0
    q = json.loads(out)
    assert q["memory_budget_bytes"] == 256 * 2**30
    for key in ("peak_rss_bytes", "prove_peak_rss_bytes", "prove_core_s", "prove_a_core_s", "prove_b_core_s"):
        e = q[key]
        assert 0 < e["low"] <= e["point"] <= e["high"], key
    assert q["peak_rss_bytes"]["high"] <= q["memory_budget_bytes"]
    assert q["prove_core_s"]["low"] <= min(q["prove_a_core_s"]["low"], q["prove_b_core_s"]["low"])
    assert q["chunks"]["point"] * 2 ** q["chunk_logrows"] > 4e13  # the query's rows fit in its chunks
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "512MiB")
    assert status == 2 and "no chunk" in err
