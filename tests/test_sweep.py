"""The sweep: profiles, resumption, memory skips, and data safety."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from chasm import data, paths, sweep
from chasm.models import ModelConfigError, ModelSpec

SCHEMA = paths.measurements_dir() / "proofs.schema.yaml"


@pytest.fixture()
def out(tmp_path):
    target = tmp_path / "proofs.csv"
    shutil.copy(SCHEMA, data.schema_path(target))
    return target


def write_profile(tmp_path, body: str):
    path = tmp_path / "profiles.yaml"
    path.write_text(textwrap.dedent(body))
    return path


TINY = """
profiles:
  tiny:
    repeat: 2
    groups:
      - family: mlp
        configs:
          - {width: 4, depth: 1}
          - {width: 6, depth: 1}
"""


#: The fake circuits have this many rows per parameter (the TINY models land at 2^16 and 2^17 rows).
ROWS_PER_PARAM = 1000


def fake_rows(spec, scale):
    """Stand-in for sweep.estimated_rows, consistent with fake_prove."""
    return ROWS_PER_PARAM * sweep._param_count(spec)


def fake_prove(model, x, *, settings, max_mem_bytes=None, timeout_s=None):
    """A stand-in for chasm.prove.prove that returns a plausible ok record (peak memory
    1000 bytes per parameter)."""
    from chasm.models import parameter_count

    n = parameter_count(model)
    rows = ROWS_PER_PARAM * n
    record = {"status": "ok", "params": n, "input_shape": str(list(x.shape)),
              "calibration_target": settings.calibration_target, "visibility": settings.visibility,
              "logrows": sweep.padded_rows(rows).bit_length() - 1, "num_rows": rows,
              "total_assignments": 2 * rows, "verified": True,
              "prove_threads": settings.threads, "infer_s": 1.0, "infer_reps": 1}
    for i, phase in enumerate(sweep.PHASES):
        record[f"{phase}_s"] = 0.01 * (i + 1)
        record[f"{phase}_peak_rss_bytes"] = 1000 * n
    return record


def test_profiles_file_is_valid_and_has_required_profiles():
    profiles = sweep.load_profiles()
    assert {"quick", "full", "calibration"} <= set(profiles)
    full = sweep.plan(profiles["full"])
    families = {r.spec.family for r in full}
    assert families == {"mlp", "cnn", "transformer"}
    params = [sweep._param_count(r.spec) for r in full]
    assert max(params) / min(params) >= 1000, "full sweep must span three orders of magnitude"
    assert profiles["full"]["repeat"] >= 3
    assert params == sorted(params), "runs go smallest first"


@pytest.mark.parametrize("body, message", [
    ("profiles: [1, 2]", "profiles"),
    ("profiles:\n  p:\n    groups: []", "non-empty 'groups'"),
    ("profiles:\n  p:\n    groups:\n      - family: rnn\n        configs: [{width: 3}]", "unknown model family"),
    ("profiles:\n  p:\n    groups:\n      - family: mlp\n        configs: [{width: 3}]", "lacks"),
    ("profiles:\n  p:\n    repeat: 0\n    groups:\n      - family: mlp\n        configs: [{width: 3, depth: 1}]", "repeat"),
    ("profiles:\n  p:\n    groups:\n      - family: mlp\n        configs: [{width: 3, depth: 1}]\n        scales: [99]", "scale"),
    ("profiles: {p: [", "not valid YAML"),
])
def test_malformed_profile_is_refused_with_a_clear_error(tmp_path, body, message):
    with pytest.raises(sweep.SweepConfigError, match=message):
        sweep.load_profiles(write_profile(tmp_path, body))


def test_cli_refuses_malformed_profile_and_leaves_data_untouched(tmp_path, out, capsys):
    out.write_text("not,a,valid,header\n")
    before = out.read_bytes()
    code = sweep.main(["--profiles-file", str(write_profile(tmp_path, "profiles: 3")), "--out", str(out)])
    assert code == 2 and "profiles" in capsys.readouterr().err
    code = sweep.main(["--profiles-file", str(write_profile(tmp_path, TINY)), "--profile", "tiny",
                       "--out", str(out)])
    assert code == 2 and "does not match its schema" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_sweep_resumes_after_interruption(tmp_path, out, monkeypatch):
    runs = sweep.plan(sweep.load_profiles(write_profile(tmp_path, TINY))["tiny"])
    assert len(runs) == 4
    calls = []

    def interrupted(model, x, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the sweep is killed during its third run
        return fake_prove(model, x, **kw)

    monkeypatch.setattr(sweep, "prove", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=2**34, threads=1, progress=False)
    assert len(data.load_table(out)) == 2  # the finished runs are on disk, the file is valid

    monkeypatch.setattr(sweep, "prove", fake_prove)
    counts = sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=2**34, threads=1,
                             progress=False)
    table = data.load_table(out)
    assert counts == {"skipped_done": 2, "ok": 2}
    assert sorted(table["run_id"]) == sorted(r.run_id for r in runs)
    for column in ("cpu_model", "cpu_count", "ram_bytes", "ezkl_version", "torch_version",
                   "git_commit", "date_utc", "hardware_tag"):
        assert table[column].notna().all(), column


def test_runs_predicted_not_to_fit_are_skipped_and_recorded(tmp_path, out, monkeypatch):
    runs = sweep.plan(sweep.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=1)
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(sweep, "estimated_rows", fake_rows)
    # the first (smaller) model peaks at 1000 bytes per parameter; allow just that
    small = sweep._param_count(runs[0].spec)
    sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=int(1000 * small * 1.3),
                    threads=1, progress=False)
    table = data.load_table(out).set_index("run_id")
    assert table.loc[runs[0].run_id, "status"] == "ok"
    assert table.loc[runs[1].run_id, "status"] == "skipped_memory"
    assert "exceeds --max-mem" in table.loc[runs[1].run_id, "error"]


def test_memory_prediction_follows_padded_rows(tmp_path, out, monkeypatch):
    """Memory follows 2^logrows, not the rows a circuit fills: the second TINY model has 1.75x
    the rows of the first but is padded to twice the length, so it is predicted at twice the
    peak; a ceiling between 1.75x and 2x (times the margin) must skip it."""
    runs = sweep.plan(sweep.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=1)
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(sweep, "estimated_rows", fake_rows)
    small, large = (sweep._param_count(r.spec) for r in runs)
    assert (sweep.padded_rows(fake_rows(runs[0].spec, 7)), sweep.padded_rows(fake_rows(runs[1].spec, 7))) \
        == (2**16, 2**17)
    assert large / small == pytest.approx(1.75)
    ceiling = int(1000 * small * 1.9)  # above 1.75x the first peak, below the padded prediction 2x
    counts = sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=ceiling, threads=1,
                             progress=False, memory_margin=1.0)
    assert counts == {"skipped_done": 0, "ok": 1, "skipped_memory": 1}
    table = data.load_table(out).set_index("run_id")
    assert "predicted peak memory" in table.loc[runs[1].run_id, "error"]


def test_padded_rows_is_ezkls_logrows_rule():
    assert sweep.padded_rows(198_737) == 2**18  # transformer d128 (proofs.csv, logrows 18)
    assert sweep.padded_rows(266_442) == 2**19  # transformer d196 (logrows 19)
    assert sweep.padded_rows(476) == 2**15  # below the range-check table: ezkl's floor 2^15


def test_memory_margin_below_one_is_refused(capsys):
    assert sweep.main(["--profile", "quick", "--memory-margin", "0.5", "--dry-run"]) == 2
    assert "--memory-margin" in capsys.readouterr().err


def test_run_killed_for_memory_stops_larger_runs_of_its_family(tmp_path, out, monkeypatch):
    runs = sweep.plan(sweep.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=2)

    def killed(model, x, **kw):
        rec = fake_prove(model, x, **kw)
        rec.update(status="killed", failed_phase="setup",
                   error="resident memory 9.00 GiB exceeded --max-mem 8.00 GiB")
        return rec

    monkeypatch.setattr(sweep, "prove", killed)
    monkeypatch.setattr(sweep, "estimated_rows", fake_rows)
    counts = sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=2**40, threads=1,
                             progress=False)
    # the first run is killed; its repetition and both larger runs are skipped, not attempted
    assert counts == {"skipped_done": 0, "killed": 1, "skipped_memory": 3}
    table = data.load_table(out)
    assert table.loc[table["status"] == "skipped_memory", "error"].str.contains(runs[0].run_id).all()


def test_retime_inference_rewrites_only_timings(tmp_path, out, monkeypatch):
    runs = sweep.plan(sweep.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=1)
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(sweep, "estimated_rows", fake_rows)
    sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=2**40, threads=1, progress=False)
    before = data.load_table(out)
    tag = before["hardware_tag"].iloc[0]
    assert sweep.retime_inference(out, tag, {"tiny"}, progress=False) == 2
    after = data.load_table(out)
    assert (after["infer_s"] < 0.1).all() and after["infer_date_utc"].notna().all()  # real tiny MLP: << 1 s
    untouched = [c for c in before.columns if c not in ("infer_s", "infer_reps", "torch_threads", "infer_date_utc")]
    assert before[untouched].equals(after[untouched])


def test_estimated_rows_matches_a_real_layout():
    spec = ModelSpec("mlp", {"width": 8, "depth": 1})
    assert sweep.estimated_rows(spec, 7) == 476  # ezkl 23.0.5's layout of this circuit (proofs.csv)


def test_predict_log_log_recovers_power_law():
    xs = [10, 100, 1000]
    ys = [3 * x**1.1 for x in xs]
    assert sweep.predict_log_log(xs, ys, 10_000) == pytest.approx(3 * 10_000**1.1, rel=1e-9)
    assert sweep.predict_log_log([], [], 5) is None
    # a steeper local slope is capped at MAX_SLOPE (noise between nearby sizes)
    steep = [3 * x**2 for x in xs]
    capped = sweep.predict_log_log(xs, steep, 10_000)
    assert capped == pytest.approx(steep[-1] * 10 ** sweep.MAX_SLOPE, rel=0.05)
    # one point: proportional (memory, cautious) or constant (time estimates)
    assert sweep.predict_log_log([10], [5.0], 20) == pytest.approx(10.0)
    assert sweep.predict_log_log([10], [5.0], 20, single_point="constant") == pytest.approx(5.0)


def test_parse_bytes():
    assert sweep.parse_bytes("20G") == 20 * 2**30
    assert sweep.parse_bytes("512MiB") == 512 * 2**20
    with pytest.raises(sweep.SweepConfigError):
        sweep.parse_bytes("lots")


def test_model_spec_validation():
    with pytest.raises(ModelConfigError, match="divisible"):
        ModelSpec("transformer", {"d_model": 10, "heads": 3, "seq": 2, "layers": 1})
    with pytest.raises(ModelConfigError, match="positive integer"):
        ModelSpec("mlp", {"width": 0, "depth": 1})
    a = ModelSpec("mlp", {"width": 8, "depth": 1})
    assert a.config_id == ModelSpec("mlp", {"depth": 1, "width": 8, "outputs": 4}).config_id


def test_quick_profile_runs_for_real(tmp_path, out):
    """The quick profile proves and verifies every circuit it schedules."""
    code = sweep.main(["--profile", "quick", "--out", str(out), "--threads", "2"])
    assert code == 0
    table = data.load_table(out)
    assert (table["status"] == "ok").all(), table[["run_id", "status", "error"]]
    assert table["verified"].all()
    assert set(table["family"]) == {"mlp", "cnn", "transformer"}


def test_inference_timing_records_match_schema(tmp_path):
    from chasm import infer

    out = tmp_path / "inference.csv"
    shutil.copy(data.schema_path(paths.data_dir() / infer.OUT), data.schema_path(out))
    records = infer.measure("cpu", [(16, 2, 4, 1)], repetitions=2, dtype="float32")
    data.append_rows(out, records)
    table = data.load_table(out)
    assert len(table) == 2 and (table["infer_s"] > 0).all() and (table["infer_reps"] >= 10).all()


def test_cuda_request_without_gpu_is_a_clear_error(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert sweep.main(["--profile", "quick", "--device", "cuda", "--dry-run"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err
