"""chasm.experiments.sweep: resumption after a kill, memory skips, and data that are never corrupted."""

from __future__ import annotations

import shutil
import textwrap
import pytest

from chasm.core import constants
from chasm.core import data
from chasm.core import ezkl_rules
from chasm.core import paths
from chasm.core import profiles
from chasm.core import provenance
from chasm.core import specs
from chasm.experiments import memory_guard
from chasm.experiments import sweep


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
    """Stand-in for memory_guard.layout_rows, consistent with fake_prove."""
    return ROWS_PER_PARAM * specs.parameter_count(spec)


def fake_prove(model, x, *, settings, max_mem_bytes=None, timeout_s=None):
    """A stand-in for chasm.experiments.prove.prove that returns a plausible ok record (peak memory
    1000 bytes per parameter)."""
    from chasm.experiments.models import parameter_count

    n = parameter_count(model)
    rows = ROWS_PER_PARAM * n
    record = {"status": "ok", "params": n, "input_shape": str(list(x.shape)),
              "calibration_target": settings.calibration_target, "visibility": settings.visibility,
              "logrows": ezkl_rules.padded_rows(rows).bit_length() - 1, "num_rows": rows,
              "total_assignments": 2 * rows, "verified": True,
              "prove_threads": settings.threads, "infer_s": 1.0, "infer_reps": 1}
    for i, phase in enumerate(constants.PHASES):
        record[f"{phase}_s"] = 0.01 * (i + 1)
        record[f"{phase}_peak_rss_bytes"] = 1000 * n
    return record


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
    runs = profiles.plan(profiles.load_profiles(write_profile(tmp_path, TINY))["tiny"])
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
    runs = profiles.plan(profiles.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=1)
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(memory_guard, "layout_rows", fake_rows)
    # the first (smaller) model peaks at 1000 bytes per parameter; allow just that
    small = specs.parameter_count(runs[0].spec)
    sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=int(1000 * small * 1.3),
                    threads=1, progress=False)
    table = data.load_table(out).set_index("run_id")
    assert table.loc[runs[0].run_id, "status"] == "ok"
    assert table.loc[runs[1].run_id, "status"] == "skipped_memory"
    assert "exceeds --max-mem" in table.loc[runs[1].run_id, "error"]


def test_memory_margin_below_one_is_refused(capsys):
    assert sweep.main(["--profile", "quick", "--memory-margin", "0.5", "--dry-run"]) == 2
    assert "--memory-margin" in capsys.readouterr().err


def test_run_killed_for_memory_stops_larger_runs_of_its_family(tmp_path, out, monkeypatch):
    runs = profiles.plan(profiles.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=2)

    def killed(model, x, **kw):
        rec = fake_prove(model, x, **kw)
        rec.update(status="killed", failed_phase="setup",
                   error="resident memory 9.00 GiB exceeded --max-mem 8.00 GiB")
        return rec

    monkeypatch.setattr(sweep, "prove", killed)
    monkeypatch.setattr(memory_guard, "layout_rows", fake_rows)
    counts = sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=2**40, threads=1,
                             progress=False)
    # the first run is killed; its repetition and both larger runs are skipped, not attempted
    assert counts == {"skipped_done": 0, "killed": 1, "skipped_memory": 3}
    table = data.load_table(out)
    assert table.loc[table["status"] == "skipped_memory", "error"].str.contains(runs[0].run_id).all()


def test_unreadable_memory_size_is_a_clear_error(capsys):
    assert sweep.main(["--profile", "quick", "--max-mem", "lots", "--dry-run"]) == 2
    assert "cannot read 'lots' as a memory size" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_profile_runs_for_real(tmp_path, out):
    """The sweep command proves and verifies, for real, every circuit the quick profile schedules of its
    MLPs and CNN. (Its transformer is left out here to keep ``make test`` short: the same transformer
    with another activation is proven by ``test_prove.py::test_each_family_proves``, and transformer chains by
    ``python -m chasm linking``; the profile's plan, transformer included, by ``test_quick_profile_plans_three_families``.)"""
    import yaml

    quick = yaml.safe_load((paths.data_dir() / "sweep_profiles.yaml").read_text())["profiles"]["quick"]
    quick["groups"] = [g for g in quick["groups"] if g["family"] != "transformer"]
    profile = tmp_path / "profiles.yaml"
    profile.write_text(yaml.safe_dump({"profiles": {"quick": quick}}))
    code = sweep.main(["--profile", "quick", "--profiles-file", str(profile), "--out", str(out), "--threads", "2"])
    assert code == 0
    table = data.load_table(out)
    assert (table["status"] == "ok").all(), table[["run_id", "status", "error"]]
    assert table["verified"].all()
    assert set(table["family"]) == {"mlp", "cnn"} and len(table) == 3


def test_quick_profile_plans_three_families():
    """The quick profile (what the README suggests trying first) plans one run of each of its four small
    circuits, all three families, smallest first within a family."""
    runs = profiles.plan(profiles.load_profiles()["quick"])
    assert [r.spec.family for r in runs].count("mlp") == 2 and {r.spec.family for r in runs} == {"mlp", "cnn", "transformer"}
    assert len(runs) == 4 and {r.repetition for r in runs} == {0}
    mlp = [specs.parameter_count(r.spec) for r in runs if r.spec.family == "mlp"]
    assert mlp == sorted(mlp)


def test_resuming_on_another_machine_runs_every_run_again(tmp_path, out, monkeypatch):
    """What is done is decided per machine (``hardware_tag``): a second machine runs the whole profile."""
    runs = profiles.plan(profiles.load_profiles(write_profile(tmp_path, TINY))["tiny"])
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(memory_guard, "layout_rows", fake_rows)
    machine = provenance.machine()
    counts = {}
    for tag in ("machine-a", "machine-b", "machine-b"):
        monkeypatch.setattr(provenance, "machine", lambda tag=tag: {**machine, "hardware_tag": tag})
        counts.setdefault(tag, []).append(sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=2**40,
                                                          threads=1, progress=False))
    assert counts["machine-a"] == [{"skipped_done": 0, "ok": 4}]
    assert counts["machine-b"] == [{"skipped_done": 0, "ok": 4}, {"skipped_done": 4}]
    table = data.load_table(out)
    assert len(table) == 8
    assert table.groupby("hardware_tag")["run_id"].apply(sorted).to_dict() == {
        t: sorted(r.run_id for r in runs) for t in ("machine-a", "machine-b")}


def test_memory_margin_on_the_command_line_decides_what_is_skipped(tmp_path, monkeypatch):
    """The larger TINY model is estimated at twice the smaller one's peak (2^17 against 2^16 padded rows);
    under a ceiling of 2.2 times that peak it runs with --memory-margin 1.0 and is skipped with 1.25."""
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(memory_guard, "layout_rows", fake_rows)
    profile = write_profile(tmp_path, TINY)
    runs = profiles.plan(profiles.load_profiles(profile)["tiny"], repeat=1)
    ceiling = int(2.2 * 1000 * specs.parameter_count(runs[0].spec))
    status = {}
    for margin in ("1.0", "1.25"):
        target = tmp_path / f"proofs-{margin}.csv"
        shutil.copy(SCHEMA, data.schema_path(target))
        code = sweep.main(["--profiles-file", str(profile), "--profile", "tiny", "--repeat", "1", "--out", str(target),
                           "--max-mem", str(ceiling), "--memory-margin", margin, "--threads", "1"])
        assert code == 0
        status[margin] = data.load_table(target).set_index("run_id")["status"].to_dict()
    assert status["1.0"] == {runs[0].run_id: "ok", runs[1].run_id: "ok"}
    assert status["1.25"] == {runs[0].run_id: "ok", runs[1].run_id: "skipped_memory"}
