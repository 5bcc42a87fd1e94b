"""chasm.report.proving: the proving chapter's summaries on synthetic measurements."""

from __future__ import annotations

import shutil
import pytest

from chasm.core import constants, data
from chasm.core import paths
from chasm.core import runs
from chasm.report import proving as report_proving


#: The repository's own schemas, resolved before a test points CHASM_ROOT elsewhere.
SCHEMAS = paths.measurements_dir()


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
                   prove_s=prove_s, infer_s=infer_s, verified=True)
        for i, p in enumerate(constants.PHASES):
            rec.setdefault(f"{p}_s", 0.1)
            rec[f"{p}_peak_rss_bytes"] = peak if p == "prove" else peak // 2
    else:
        rec["error"] = "estimated peak memory too large"
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


def test_summary_finds_largest_circuit_and_overhead_range(synthetic_root):
    s = report_proving.summarise(runs.load_runs())
    assert s.logrows_max == 17 and s.configs == 2 and s.runs == 6
    assert s.largest["logrows"] == 17 and s.largest["prove_s"] == 44.0
    assert s.largest["peak_rss_bytes"] == 4 * 2**30
    assert s.overhead_ratio_min == pytest.approx(11.0 / 1e-4)
    assert s.overhead_ratio_max == pytest.approx(44.0 / 2e-4)
    assert s.contended_runs == 4  # other_cpu_frac 0.2 and 0.4 exceed the 0.10 limit


def test_failed_runs_are_listed(synthetic_root):
    bad = report_proving.not_ok()
    assert list(bad["status"]) == ["skipped_memory"]


def test_phases_long_has_every_phase(synthetic_root):
    long = report_proving.phases_long(runs.load_runs())
    assert set(long["phase"]) == set(constants.PHASES) and len(long) == 2 * len(constants.PHASES)


def test_inference_timings_take_medians_and_compute_the_rate(synthetic_root):
    target = synthetic_root / "data" / "measurements"
    shutil.copy(SCHEMAS / "inference.schema.yaml", target)
    config = '{"d_model": 8, "heads": 2, "layers": 1, "seq": 4}'
    rows = [{"config_id": "t8", "family": "transformer", "config": config, "params": 1000, "tokens": 4,
             "device": "cpu", "device_name": "test cpu", "dtype": "float32", "infer_s": s, "infer_reps": 50,
             "torch_threads": 2, "repetition": r, **{k: v for k, v in MACHINE.items() if k != "sweep_profile"}}
            for r, s in enumerate([2e-3, 1e-3, 4e-3])]
    data.append_rows(target / "inference.csv", rows)
    t = report_proving.inference_timings()
    assert len(t) == 1 and t.loc[0, "repetitions"] == 3
    assert t.loc[0, "infer_s"] == pytest.approx(2e-3)
    assert t.loc[0, "flops_per_s"] == pytest.approx(2 * 1000 * 4 / 2e-3)
    assert t.loc[0, "s_per_token"] == pytest.approx(5e-4)


def test_harness_overhead_is_the_difference_of_medians(synthetic_root):
    target = synthetic_root / "data" / "measurements"
    shutil.copy(SCHEMAS / "overhead.schema.yaml", target)
    machine = {k: v for k, v in MACHINE.items() if k != "sweep_profile"}
    rows = [{"config_id": "a", "family": "mlp", "config": '{"width": 8}', "logrows": 15, "arm": arm,
             "wall_s": w, "repetition": r, "threads": 2, **machine}
            for r, (h, b) in enumerate([(9.0, 6.0), (10.0, 7.0), (30.0, 6.5)])
            for arm, w in (("harness", h), ("bare", b))]
    data.append_rows(target / "overhead.csv", rows)
    h = report_proving.harness_overhead()
    assert h.loc[0, "harness_s"] == 10.0 and h.loc[0, "bare_s"] == 6.5 and h.loc[0, "pairs"] == 3
    assert h.loc[0, "extra_s"] == pytest.approx(3.5) and h.loc[0, "extra_pct"] == pytest.approx(100 * 3.5 / 6.5)
