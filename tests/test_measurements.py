"""Summaries of proving measurements, on a synthetic table with known answers."""

from __future__ import annotations

import shutil

import pytest

from chasm import data, measurements as M, paths
from chasm.prove import PHASES

MACHINE = {"cpu_model": "test cpu", "cpu_count": 2, "ram_bytes": 2**34, "os": "Linux", "python_version": "3.11",
           "ezkl_version": "23.0.5", "torch_version": "2.13.0", "git_commit": "abc", "hardware_tag": "t",
           "sweep_profile": "full", "date_utc": "2026-01-01T00:00:00+00:00"}


def record(config_id, family, logrows, rep, prove_s, infer_s, peak, status="ok"):
    rec = {"run_id": f"{config_id}-r{rep}", "family": family, "config_id": config_id,
           "config": '{"width": 8, "depth": 1}', "params": 2**logrows // 100, "input_shape": "[1, 8]",
           "calibration_target": "resources", "input_scale": 7, "visibility": "v", "status": status,
           "repetition": rep, "other_cpu_frac": 0.2 * rep, **MACHINE}
    if status == "ok":
        rec.update(logrows=logrows, num_rows=2**logrows // 2, total_assignments=2**logrows,
                   prove_s=prove_s, infer_s=infer_s)
        for i, p in enumerate(PHASES):
            rec.setdefault(f"{p}_s", 0.1)
            rec[f"{p}_peak_rss_bytes"] = peak if p == "prove" else peak // 2
    else:
        rec["error"] = "predicted peak memory too large"
    return rec


@pytest.fixture()
def synthetic_root(tmp_path, monkeypatch):
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", target)
    rows = [record("a", "mlp", 15, r, p, 1e-4, 2**30) for r, p in enumerate([10.0, 12.0, 11.0])]
    rows += [record("b", "mlp", 17, r, p, 2e-4, 4 * 2**30) for r, p in enumerate([40.0, 44.0, 50.0])]
    rows += [record("c", "mlp", 20, 0, 0, 0, 0, status="skipped_memory")]
    data.append_rows(target / "proofs.csv", rows)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    return tmp_path


def test_per_config_takes_medians_over_repetitions(synthetic_root):
    runs = M.load_proofs()
    assert len(runs) == 6  # the skipped run is not ok
    med = M.per_config(runs, ["prove_s"]).set_index("config_id")
    assert med.loc["a", "prove_s"] == 11.0 and med.loc["b", "prove_s"] == 44.0
    assert med.loc["a", "repetitions"] == 3
    assert med.loc["b", "prove_s_min"] == 40.0 and med.loc["b", "prove_s_max"] == 50.0


def test_summary_finds_largest_circuit_and_overhead_range(synthetic_root):
    s = M.summarise(M.load_proofs())
    assert s.logrows_max == 17 and s.configs == 2 and s.runs == 6
    assert s.largest["logrows"] == 17 and s.largest["prove_s"] == 44.0
    assert s.largest["max_peak_rss_bytes"] == 4 * 2**30
    assert s.overhead_ratio_min == pytest.approx(11.0 / 1e-4)
    assert s.overhead_ratio_max == pytest.approx(44.0 / 2e-4)
    assert s.contended_runs == 4  # other_cpu_frac 0.2 and 0.4 exceed the 0.10 limit


def test_failed_runs_are_listed(synthetic_root):
    bad = M.not_ok()
    assert list(bad["status"]) == ["skipped_memory"]


def test_phases_long_has_every_phase(synthetic_root):
    long = M.phases_long(M.load_proofs())
    assert set(long["phase"]) == set(PHASES) and len(long) == 2 * len(PHASES)
