"""chasm.experiments.sweep: the command line, the record of a run, the memory rule's sentence and the ETA.

Fast tests of the sweep's wiring, with no proof, no ezkl and no Dask: the prover, the curation functions,
the cluster, the machine's provenance and its memory are replaced by stand-ins that record what they were
given, so each test checks *values* (which option reaches which argument, every field of a record, the
numbers in a sentence), not only that the code runs. Every output file is under ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
import types

import numpy as np
import pandas as pd
import pytest

from chasm.core import constants, data, paths, provenance
from chasm.core.profiles import Run, load_profiles, plan
from chasm.core.specs import ModelSpec, parameter_count
from chasm.experiments import cluster, memory_guard, provers, sweep
from chasm.experiments.inference import DeviceError

SCHEMA = paths.measurements_dir() / "proofs.schema.yaml"
GIB = 2**30

TWO_PROFILES = """
profiles:
  tiny:
    repeat: 2
    groups:
      - family: mlp
        configs:
          - {width: 4, depth: 1}
          - {width: 6, depth: 1}
  other:
    groups:
      - family: cnn
        configs:
          - {channels: 2, depth: 1, size: 6}
"""

#: This machine, as provenance.machine() reports it in these tests.
MACHINE = {"cpu_model": "Fake CPU 9000", "cpu_count": 8, "ram_bytes": 64 * GIB, "os": "Linux 6.1",
           "python_version": "3.12.1", "ezkl_version": "23.0.3", "torch_version": "2.5.1",
           "git_commit": "0123abc", "hardware_tag": "box-1"}
#: The physical memory psutil reports in these tests (so default_max_mem(1) is 850 MiB).
RAM = 1000 * 2**20


@pytest.fixture()
def machine(monkeypatch):
    """provenance.machine() is MACHINE, psutil's total memory RAM, and os.cpu_count() 8."""
    monkeypatch.setattr(provenance, "machine", lambda: dict(MACHINE))
    monkeypatch.setattr(sweep.psutil, "virtual_memory", lambda: types.SimpleNamespace(total=RAM))
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    return MACHINE


@pytest.fixture()
def profile_file(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(textwrap.dedent(TWO_PROFILES))
    return path


@pytest.fixture()
def out(tmp_path):
    """An output table that does not exist yet, its schema beside it."""
    target = tmp_path / "proofs.csv"
    shutil.copy(SCHEMA, data.schema_path(target))
    return target


def tiny_runs(profile_file, name="tiny", repeat=None):
    return plan(load_profiles(profile_file)[name], repeat)


class Spy:
    """A stand-in that records each call's arguments and returns ``result`` (or raises it)."""

    def __init__(self, result=None):
        self.result, self.calls = result, []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result

    @property
    def only(self):
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


@pytest.fixture()
def run_sweep(monkeypatch):
    """sweep.run_sweep replaced by a spy; a call to the cluster instead fails at once."""
    spy = Spy({"skipped_done": 1, "ok": 2})
    monkeypatch.setattr(sweep, "run_sweep", spy)
    monkeypatch.setattr(cluster, "connect", Spy(AssertionError("the local sweep connected to a cluster")))
    return spy


@pytest.fixture()
def clock(monkeypatch):
    """time.time() in sweep reads 100.0, then 142.4, ... (42 s elapsed)."""
    ticks = iter([100.0, 142.4, 200.0, 300.0])
    monkeypatch.setattr(sweep, "time", types.SimpleNamespace(time=lambda: next(ticks)))


# ------------------------------------------------------------------ main: refusals

def refused(capsys, code, message):
    """main returned 2 and printed exactly ``sweep: error: <message>`` on stderr, nothing on stdout."""
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"sweep: error: {message}\n"
    assert captured.out == ""


@pytest.mark.parametrize("extra, message", [
    (["--profile", "nope"], "unknown profile 'nope'; known: tiny, other"),
    (["--repeat", "0"], "--repeat must be at least 1"),
    (["--repeat", "-3"], "--repeat must be at least 1"),
    (["--memory-margin", "0.99"], "--memory-margin must be at least 1, got 0.99"),
    (["--memory-margin", "nan"], "--memory-margin must be at least 1, got nan"),
    (["--workers", "2"], "--workers needs --scheduler local and at least 1 worker"),
    (["--workers", "2", "--scheduler", "tcp://10.0.0.1:8786"], "--workers needs --scheduler local and at least 1 worker"),
    (["--workers", "0", "--scheduler", "local"], "--workers needs --scheduler local and at least 1 worker"),
    (["--retime-inference", "--scheduler", "tcp://10.0.0.1:8786"],
     "--retime-inference and --redo-contended work on this machine's rows: run them without --scheduler ADDRESS"),
    (["--redo-contended", "0.0", "--scheduler", "tcp://10.0.0.1:8786"],
     "--retime-inference and --redo-contended work on this machine's rows: run them without --scheduler ADDRESS"),
    (["--max-mem", "lots"], "cannot read 'lots' as a memory size (e.g. 20G, 512M, 256GiB)"),
])
def test_each_invalid_option_is_refused_by_name_with_exit_2_and_nothing_written(
        tmp_path, profile_file, machine, run_sweep, capsys, extra, message):
    target = tmp_path / "new" / "proofs.csv"
    target.parent.mkdir()
    code = sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(target), *extra])
    refused(capsys, code, message)
    assert list(target.parent.iterdir()) == []  # neither the table nor its schema
    assert run_sweep.calls == []


def test_the_boundary_values_of_each_option_are_accepted(profile_file, out, machine, run_sweep, capsys):
    """--repeat 1, --memory-margin 1, --workers 1 with --scheduler local, and --retime-inference or
    --redo-contended with --scheduler local are all valid (listed with --dry-run)."""
    empty_table(out)  # --retime-inference re-times an existing table
    common = ["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out), "--dry-run"]
    for extra in (["--repeat", "1"], ["--memory-margin", "1"], ["--workers", "1", "--scheduler", "local"],
                  ["--retime-inference", "--scheduler", "local"], ["--redo-contended", "0.1", "--scheduler", "local"]):
        assert sweep.main([*common, *extra]) == 0, extra
        assert capsys.readouterr().err == ""


def test_an_output_file_that_does_not_match_its_schema_is_refused_and_left_as_it_was(profile_file, out, machine,
                                                                                    run_sweep, capsys):
    out.write_text("run_id,nonsense\nx,1\n")
    before = out.read_bytes()
    code = sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.startswith("sweep: error: ") and "does not match its schema" in captured.err
    assert out.read_bytes() == before and run_sweep.calls == []


def test_cuda_without_a_gpu_is_refused(profile_file, tmp_path, machine, run_sweep, monkeypatch, capsys):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    target = tmp_path / "proofs.csv"
    code = sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(target),
                       "--device", "cuda"])
    refused(capsys, code, "--device cuda asked for, but torch sees no CUDA GPU on this machine")
    assert not target.exists() and not data.schema_path(target).exists()


def test_cuda_with_a_gpu_times_inference_on_it(profile_file, out, machine, run_sweep, monkeypatch):
    names = Spy("Fake GPU")
    monkeypatch.setattr(sweep, "device_name", names)
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out),
                       "--device", "cuda"]) == 0
    assert names.only == (("cuda",), {})
    assert run_sweep.only[1]["device"] == "cuda"


def test_cuda_is_not_checked_here_for_a_remote_cluster(profile_file, out, machine, run_sweep, monkeypatch):
    """The GPU is the workers' business: with --scheduler ADDRESS this machine's lack of one is no error."""
    monkeypatch.setattr(sweep, "device_name", Spy(DeviceError("no GPU on the client")))
    on_cluster = Spy(0)
    monkeypatch.setattr(sweep, "_on_cluster", on_cluster)
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out),
                       "--device", "cuda", "--scheduler", "tcp://10.0.0.1:8786"]) == 0
    assert on_cluster.only[0][0].device == "cuda"


def test_an_unknown_device_is_an_argparse_error(profile_file, out):
    with pytest.raises(SystemExit) as exc:
        sweep.main(["--profiles-file", str(profile_file), "--out", str(out), "--device", "tpu"])
    assert exc.value.code == 2


def test_the_command_line_names_itself(capsys):
    with pytest.raises(SystemExit) as exc:
        sweep.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: python -m chasm sweep ")
    assert sweep.__doc__.splitlines()[0] in " ".join(text.split())  # argparse wraps the description
    for shown in ("--memory-margin FACTOR", "--redo-contended FRAC", "--scheduler ADDRESS|local",
                  "--connect-timeout SECONDS", "{cpu,cuda}"):
        assert shown in text, shown


# ------------------------------------------------------------------ main: what it does

def test_dry_run_lists_each_run_with_its_parameters_and_writes_nothing(profile_file, tmp_path, machine, run_sweep,
                                                                       capsys):
    target = tmp_path / "new" / "proofs.csv"
    target.parent.mkdir()
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(target),
                       "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    runs = tiny_runs(profile_file)
    assert len(lines) == 4 and len(runs) == 4  # two sizes, the profile's two repetitions
    assert lines == [f"{r.run_id} {r.spec.label()} params={parameter_count(r.spec)}" for r in runs]
    # the smaller MLP: width 4, depth 1, 4 outputs: 4*4+4 + 4*4+4 = 40 parameters
    assert lines[0].startswith(f"{runs[0].run_id} mlp(") and lines[0].endswith(" params=40")
    assert list(target.parent.iterdir()) == [] and run_sweep.calls == []


def test_repeat_and_profile_reach_the_plan(profile_file, out, machine, run_sweep, capsys):
    common = ["--profiles-file", str(profile_file), "--out", str(out), "--dry-run"]
    assert sweep.main([*common, "--profile", "tiny", "--repeat", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 6
    assert sweep.main([*common, "--profile", "other"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [
        r.run_id for r in tiny_runs(profile_file, "other")]


def test_the_default_profile_is_quick(tmp_path, machine, run_sweep, capsys):
    assert sweep.main(["--out", str(tmp_path / "proofs.csv"), "--dry-run"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert ids == [r.run_id for r in plan(load_profiles()["quick"])]


def test_options_reach_the_local_sweep(profile_file, out, machine, run_sweep, clock, capsys):
    code = sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out),
                       "--repeat", "1", "--max-mem", "3G", "--memory-margin", "1.5", "--threads", "3",
                       "--timeout", "90", "--device", "cpu"])
    assert code == 0
    args, kwargs = run_sweep.only
    assert args == (tiny_runs(profile_file, repeat=1),)
    assert kwargs == {"out": out, "profile_name": "tiny", "max_mem_bytes": 3 * GIB, "threads": 3,
                      "timeout_s": 90.0, "device": "cpu", "memory_margin": 1.5}
    assert isinstance(kwargs["timeout_s"], float) and isinstance(kwargs["threads"], int)
    assert capsys.readouterr().out == f"sweep tiny: {{'skipped_done': 1, 'ok': 2}} in 42 s -> {out}\n"


def test_local_sweep_defaults(profile_file, out, machine, run_sweep, clock, capsys):
    """Without options: every CPU, 85% of the physical memory, no timeout, the CPU, the default margin."""
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out)]) == 0
    assert run_sweep.only[1] == {"out": out, "profile_name": "tiny", "max_mem_bytes": int(0.85 * RAM),
                                 "threads": 8, "timeout_s": None, "device": "cpu",
                                 "memory_margin": memory_guard.MEMORY_MARGIN}


def test_default_output_is_the_committed_table(tmp_path, profile_file, machine, run_sweep, clock, monkeypatch):
    """Without --out the sweep appends to data/measurements/proofs.csv (here a copy of data/ in tmp_path)."""
    root = tmp_path / "data"
    (root / "measurements").mkdir(parents=True)
    shutil.copy(SCHEMA, root / "measurements" / "proofs.schema.yaml")
    monkeypatch.setattr(paths, "data_dir", lambda: root)
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny"]) == 0
    assert run_sweep.only[1]["out"] == root / "measurements" / "proofs.csv"


def test_a_new_output_file_gets_the_proofs_schema_beside_it(tmp_path, profile_file, machine, run_sweep, clock):
    target = tmp_path / "elsewhere" / "runs.csv"
    target.parent.mkdir()
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(target)]) == 0
    assert data.schema_path(target).read_bytes() == SCHEMA.read_bytes()


def test_an_existing_schema_is_kept(tmp_path, profile_file, machine, run_sweep, clock):
    target = tmp_path / "runs.csv"
    data.schema_path(target).write_text(SCHEMA.read_text() + "# kept\n")
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(target)]) == 0
    assert data.schema_path(target).read_text().endswith("# kept\n")


def empty_table(out):
    """``out`` as a valid table without rows."""
    out.write_text(",".join(c.name for c in data.read_schema(data.schema_path(out)).columns) + "\n")


def test_retime_inference_retimes_this_machines_rows_of_the_profile_and_stops(profile_file, out, machine, run_sweep,
                                                                              monkeypatch, capsys):
    retime = Spy(3)
    monkeypatch.setattr(sweep, "retime_inference", retime)
    empty_table(out)
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out),
                       "--retime-inference"]) == 0
    assert retime.only == ((out, "box-1", {"tiny"}), {})
    assert capsys.readouterr().out == f"sweep: re-timed inference of 3 rows -> {out}\n"
    assert run_sweep.calls == []


@pytest.mark.parametrize("limit", ["0.25", "0"])
def test_redo_contended_drops_this_machines_contended_runs_of_the_profile_then_sweeps(
        profile_file, out, machine, run_sweep, clock, monkeypatch, capsys, limit):
    empty_table(out)
    drop = Spy(2)
    monkeypatch.setattr(sweep, "drop_contended", drop)
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out),
                       "--redo-contended", limit]) == 0
    args, kwargs = drop.only
    assert args == (out, {r.run_id for r in tiny_runs(profile_file)}, "box-1", float(limit)) and kwargs == {}
    assert isinstance(args[3], float)
    assert capsys.readouterr().out.splitlines()[0] == "sweep: 2 contended runs dropped and scheduled again"
    assert len(run_sweep.calls) == 1  # and then the sweep runs


def test_redo_contended_without_a_table_just_sweeps(profile_file, out, machine, run_sweep, clock, monkeypatch,
                                                   capsys):
    drop = Spy(2)
    monkeypatch.setattr(sweep, "drop_contended", drop)
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out),
                       "--redo-contended", "0.25"]) == 0
    assert drop.calls == [] and len(run_sweep.calls) == 1
    assert "contended runs dropped" not in capsys.readouterr().out


def test_without_redo_contended_nothing_is_dropped(profile_file, out, machine, run_sweep, clock, monkeypatch):
    empty_table(out)
    drop = Spy(2)
    monkeypatch.setattr(sweep, "drop_contended", drop)
    assert sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out)]) == 0
    assert drop.calls == []


# ------------------------------------------------------------------ main with --scheduler: _on_cluster

class FakeCluster:
    """cluster.connect, cluster.describe and cluster.run_on_cluster, recording their arguments."""

    def __init__(self, counts=None, error=None):
        self.counts = counts if counts is not None else {"skipped_done": 0, "ok": 4}  # "errors" only if any
        self.error = error
        self.connected, self.ran = [], []

    @contextlib.contextmanager
    def connect(self, address, *, workers=1, timeout_s=10.0):
        self.connected.append({"address": address, "workers": workers, "timeout_s": timeout_s})
        if isinstance(self.error, cluster.SchedulerUnreachableError):
            raise self.error
        yield "the-client"

    def describe(self, client):
        assert client == "the-client"
        return "Dask scheduler tcp://x: 2 workers, 2 provers"

    def run_on_cluster(self, runs, client, **kwargs):
        self.ran.append({"runs": runs, "client": client, **kwargs})
        if self.error is not None:
            raise self.error
        return dict(self.counts)


@pytest.fixture()
def fake_cluster(monkeypatch):
    """The cluster faked; a local sweep instead fails at once."""
    fake = FakeCluster()
    monkeypatch.setattr(sweep, "run_sweep", Spy(AssertionError("the sweep ran here, not on the cluster")))
    monkeypatch.setattr(cluster, "connect", fake.connect)
    monkeypatch.setattr(cluster, "describe", fake.describe)
    monkeypatch.setattr(cluster, "run_on_cluster", fake.run_on_cluster)
    return fake


def cluster_main(profile_file, out, *extra):
    return sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(out), *extra])


def test_a_local_cluster_shares_this_machines_cpus_and_memory_among_its_workers(profile_file, out, machine,
                                                                                  fake_cluster, clock, monkeypatch,
                                                                                  capsys):
    run_sweep = Spy({})
    monkeypatch.setattr(sweep, "run_sweep", run_sweep)
    assert cluster_main(profile_file, out, "--scheduler", "local", "--workers", "3", "--timeout", "60",
                        "--memory-margin", "2", "--repeat", "1") == 0
    assert fake_cluster.connected == [{"address": "local", "workers": 3, "timeout_s": 10.0}]
    (ran,) = fake_cluster.ran
    assert ran == {"runs": tiny_runs(profile_file, repeat=1), "client": "the-client", "out": out,
                   "task": sweep.prove_on_worker, "reconnect_s": 30.0,
                   "task_kwargs": {"profile_name": "tiny", "threads": 2,  # 8 CPUs // 3 workers
                                   "memory_margin": 2.0, "max_mem_bytes": int(0.85 * RAM / 3),
                                   "timeout_s": 60.0, "device": "cpu"}}
    assert run_sweep.calls == []
    assert capsys.readouterr().out == ("sweep: Dask scheduler tcp://x: 2 workers, 2 provers\n"
                                       f"sweep tiny on local: {{'skipped_done': 0, 'ok': 4}} in 42 s -> {out}\n")


def test_a_local_cluster_of_one_worker(profile_file, out, machine, fake_cluster, clock):
    assert cluster_main(profile_file, out, "--scheduler", "local") == 0
    assert fake_cluster.connected == [{"address": "local", "workers": 1, "timeout_s": 10.0}]
    kwargs = fake_cluster.ran[0]["task_kwargs"]
    assert kwargs["threads"] == 8 and kwargs["max_mem_bytes"] == int(0.85 * RAM)


@pytest.mark.parametrize("cpus, workers, threads", [(2, 4, 1), (None, 1, 1), (None, 2, 1), (7, 2, 3)])
def test_each_local_worker_gets_at_least_one_thread(profile_file, out, machine, fake_cluster, clock, monkeypatch,
                                                    cpus, workers, threads):
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert cluster_main(profile_file, out, "--scheduler", "local", "--workers", str(workers)) == 0
    assert fake_cluster.ran[0]["task_kwargs"]["threads"] == threads


def test_a_local_cluster_takes_threads_and_max_mem_as_given(profile_file, out, machine, fake_cluster, clock):
    assert cluster_main(profile_file, out, "--scheduler", "local", "--workers", "2", "--threads", "5",
                        "--max-mem", "512M") == 0
    kwargs = fake_cluster.ran[0]["task_kwargs"]
    assert kwargs["threads"] == 5 and kwargs["max_mem_bytes"] == 512 * 2**20


def test_a_remote_cluster_leaves_threads_and_max_mem_to_each_worker(profile_file, out, machine, fake_cluster, clock,
                                                                    capsys):
    assert cluster_main(profile_file, out, "--scheduler", "tcp://10.0.0.1:8786", "--connect-timeout", "45",
                        "--device", "cuda") == 0
    assert fake_cluster.connected == [{"address": "tcp://10.0.0.1:8786", "workers": 1, "timeout_s": 45.0}]
    (ran,) = fake_cluster.ran
    assert ran["reconnect_s"] == 45.0
    assert ran["task_kwargs"] == {"profile_name": "tiny", "threads": None, "max_mem_bytes": None,
                                  "memory_margin": memory_guard.MEMORY_MARGIN, "timeout_s": None, "device": "cuda"}
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"sweep tiny on tcp://10.0.0.1:8786: {{'skipped_done': 0, 'ok': 4}} in 42 s -> {out}")


def test_a_remote_cluster_takes_threads_and_max_mem_as_given(profile_file, out, machine, fake_cluster, clock):
    assert cluster_main(profile_file, out, "--scheduler", "tcp://10.0.0.1:8786", "--threads", "4",
                        "--max-mem", "2G") == 0
    kwargs = fake_cluster.ran[0]["task_kwargs"]
    assert kwargs["threads"] == 4 and kwargs["max_mem_bytes"] == 2 * GIB


def test_an_unreachable_scheduler_exits_2_with_its_message(profile_file, out, machine, fake_cluster, capsys):
    fake_cluster.error = cluster.SchedulerUnreachableError("no Dask scheduler answered at tcp://h:1")
    assert cluster_main(profile_file, out, "--scheduler", "tcp://h:1") == 2
    assert capsys.readouterr().err == "sweep: error: no Dask scheduler answered at tcp://h:1\n"


def test_a_cluster_lost_mid_sweep_exits_1_with_its_message(profile_file, out, machine, fake_cluster, capsys):
    fake_cluster.error = cluster.SchedulerLostError("the scheduler went away")
    assert cluster_main(profile_file, out, "--scheduler", "tcp://h:1") == 1
    assert capsys.readouterr().err == "sweep: error: the scheduler went away\n"


def test_runs_that_failed_on_the_cluster_are_reported_with_exit_1(profile_file, out, machine, fake_cluster, clock,
                                                                  capsys):
    fake_cluster.counts = {"skipped_done": 1, "ok": 2, "errors": ["mlp-a-r0: boom", "mlp-b-r0: bang"]}
    assert cluster_main(profile_file, out, "--scheduler", "local") == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1] == f"sweep tiny on local: {{'skipped_done': 1, 'ok': 2}} in 42 s -> {out}"
    assert captured.err == ("sweep: 2 runs failed on the cluster and were not recorded (first: mlp-a-r0: boom); "
                            "run the same command again to retry them\n")


# ------------------------------------------------------------------ default_max_mem, _eta_s

def test_default_max_mem_is_85_percent_of_memory_shared_among_provers(monkeypatch):
    monkeypatch.setattr(sweep.psutil, "virtual_memory", lambda: types.SimpleNamespace(total=1000))
    assert sweep.default_max_mem() == 850
    assert sweep.default_max_mem(3) == 283  # int(850 / 3)
    assert type(sweep.default_max_mem(3)) is int


def mlp(width, depth=1):
    return ModelSpec("mlp", {"width": width, "depth": depth})


def test_eta_extrapolates_each_family_and_prover_from_its_own_history(monkeypatch):
    """ezkl's MLP: one earlier run of 30 s (constant: 30 s at any size); JSTprove's MLP: 10 s and 20 s at a
    quarter and half of the size (slope 1: 40 s); the CNN has no history, so the median of all earlier
    runs (10, 20, 30: 20 s). Total 30 + 30 + 40 + 20 = 120 s."""
    small, large = mlp(4), mlp(6)
    cnn = ModelSpec("cnn", {"channels": 2, "depth": 1, "size": 6})
    n = parameter_count(large)
    table = object()
    calls = []

    def history(t, tag, family, prover):
        calls.append((t, tag, family, prover))
        assert t is table and tag == "box-1"
        return {("mlp", "ezkl"): ([50], [1.0], [30.0], [1.0]),
                ("mlp", "jstprove"): ([n / 4, n / 2], [1.0, 1.0], [10.0, 20.0], [1.0, 1.0])}.get(
            (family, prover), ([], [], [], []))

    monkeypatch.setattr(memory_guard, "history", history)
    remaining = [Run(small, "resources", 7, 0), Run(large, "resources", 7, 0),
                 Run(large, "resources", 7, 0, None, "jstprove"), Run(cnn, "resources", 7, 0)]
    assert sweep._eta_s(remaining, table, "box-1") == pytest.approx(120.0)
    assert sorted(c[2:] for c in calls) == [("cnn", "ezkl"), ("mlp", "ezkl"), ("mlp", "jstprove")]
    assert sweep._eta_s([], table, "box-1") == 0.0


def test_eta_without_any_history_is_zero(monkeypatch):
    monkeypatch.setattr(memory_guard, "history", lambda *a: ([], [], [], []))
    assert sweep._eta_s([Run(mlp(4), "resources", 7, 0)], None, "box-1") == 0.0


def test_eta_from_a_real_table_of_this_machine_only():
    """From rows: this machine's two ok MLP runs (20 s at n/2 parameters, 10 s at n/4: 40 s at n); another
    machine's row and a killed row are not used."""
    spec = mlp(6)
    n = parameter_count(spec)
    rows = [history_row("a", "box-1", "ok", n / 4, 10.0), history_row("b", "box-1", "ok", n / 2, 20.0),
            history_row("c", "box-2", "ok", n, 1000.0), history_row("d", "box-1", "killed", n, 1000.0)]
    eta = sweep._eta_s([Run(spec, "resources", 7, 0)], pd.DataFrame(rows), "box-1")
    assert eta == pytest.approx(40.0)


def history_row(run_id, tag, status, params, seconds, family="mlp", error=None, prover="ezkl"):
    """A proving-run row with what memory_guard reads: ``seconds`` spread over the phases, 1000 bytes of
    peak memory per parameter."""
    row = {"run_id": run_id, "hardware_tag": tag, "family": family, "status": status, "params": params,
           "error": error, "prover": prover, "logrows": 16}
    for phase in constants.PHASES:
        row[f"{phase}_s"] = seconds / len(constants.PHASES)
        row[f"{phase}_peak_rss_bytes"] = 1000 * params
    return row


# ------------------------------------------------------------------ skip_reason

class FakeGuard:
    """memory_guard's estimates as stated: the ezkl estimate ``peak``, the other prover's ``history``, and
    the memory failures ``failures``; each call's arguments recorded."""

    def __init__(self, monkeypatch, peak=None, history=([], [], [], []), failures=()):
        self.peak, self.history_, self.failures = peak, history, list(failures)
        self.calls = []
        monkeypatch.setattr(memory_guard, "estimate_peak_bytes", self.estimate_peak_bytes)
        monkeypatch.setattr(memory_guard, "history", self.history)
        monkeypatch.setattr(memory_guard, "memory_failures", self.memory_failures)

    def estimate_peak_bytes(self, table, tag, spec, scale):
        self.calls.append(("estimate", table, tag, spec, scale))
        return self.peak

    def history(self, table, tag, family, prover="ezkl"):
        self.calls.append(("history", table, tag, family, prover))
        return self.history_

    def memory_failures(self, table, tag, family, prover="ezkl"):
        self.calls.append(("failures", table, tag, family, prover))
        return self.failures


TABLE = "the-table"


def test_skip_sentence_states_the_estimate_the_margin_and_the_ceiling(monkeypatch):
    guard = FakeGuard(monkeypatch, peak=3 * GIB)
    run = Run(mlp(4), "resources", 9, 0)
    assert sweep.skip_reason(run, TABLE, "box-1", int(3.5 * GIB), 1.25) == (
        "estimated peak memory 3.0 GiB (x1.25 margin) exceeds --max-mem 3.5 GiB")
    assert ("estimate", TABLE, "box-1", run.spec, 9) in guard.calls
    assert ("failures", TABLE, "box-1", "mlp", "ezkl") in guard.calls


def test_skip_margin_multiplies_the_estimate(monkeypatch):
    """3 GiB x 1.25 = 3.75 GiB: refused under 3.7 GiB, accepted under exactly 3.75 GiB; the default margin
    is MEMORY_MARGIN (1.25); margin 2 refuses under 5.9 GiB."""
    FakeGuard(monkeypatch, peak=3 * GIB)
    run = Run(mlp(4), "resources", 9, 0)
    assert sweep.skip_reason(run, TABLE, "box-1", int(3.75 * GIB), 1.25) is None
    assert sweep.skip_reason(run, TABLE, "box-1", int(3.7 * GIB), 1.25) == (
        "estimated peak memory 3.0 GiB (x1.25 margin) exceeds --max-mem 3.7 GiB")
    assert sweep.skip_reason(run, TABLE, "box-1", int(3.7 * GIB)) == (
        "estimated peak memory 3.0 GiB (x1.25 margin) exceeds --max-mem 3.7 GiB")
    assert sweep.skip_reason(run, TABLE, "box-1", int(3.75 * GIB)) is None
    assert sweep.skip_reason(run, TABLE, "box-1", int(5.9 * GIB), 2.0) == (
        "estimated peak memory 3.0 GiB (x2 margin) exceeds --max-mem 5.9 GiB")
    assert sweep.skip_reason(run, TABLE, "box-1", 6 * GIB, 2.0) is None


def test_no_estimate_and_no_failure_runs(monkeypatch):
    FakeGuard(monkeypatch, peak=None)
    assert sweep.skip_reason(Run(mlp(4), "resources", 9, 0), TABLE, "box-1", 1) is None


def test_a_memory_failure_of_an_equal_or_smaller_run_skips_but_not_of_a_larger_one(monkeypatch):
    run = Run(mlp(4), "resources", 9, 0)
    n = parameter_count(run.spec)
    guard = FakeGuard(monkeypatch, peak=None, failures=[(n + 1, "larger"), (n, "equal"), (n - 1, "smaller")])
    assert sweep.skip_reason(run, TABLE, "box-1", 2**40) == (
        "run equal of an equal or smaller mlp was killed for exceeding --max-mem")
    guard.failures = [(n + 1, "larger"), (n - 1, "smaller"), (n, "equal")]
    assert sweep.skip_reason(run, TABLE, "box-1", 2**40) == (
        "run smaller of an equal or smaller mlp was killed for exceeding --max-mem")
    guard.failures = [(n + 1, "larger")]
    assert sweep.skip_reason(run, TABLE, "box-1", 2**40) is None


def test_the_memory_estimate_comes_before_a_failure(monkeypatch):
    run = Run(mlp(4), "resources", 9, 0)
    FakeGuard(monkeypatch, peak=2 * GIB, failures=[(1, "tiny")])
    assert sweep.skip_reason(run, TABLE, "box-1", GIB, 1.0).startswith("estimated peak memory 2.0 GiB (x1 margin)")
    assert sweep.skip_reason(run, TABLE, "box-1", 4 * GIB, 1.0) == (
        "run tiny of an equal or smaller mlp was killed for exceeding --max-mem")


def test_the_second_prover_extrapolates_its_own_history_with_slope_at_least_one(monkeypatch):
    """JSTprove's earlier MLP runs peaked at 1 GiB at a quarter and at half the size (slope 0): with the
    slope raised to 1 the run is estimated at 2 GiB (not 1 GiB, not 4 GiB)."""
    run = Run(mlp(6), "resources", 9, 0, None, "jstprove")
    n = parameter_count(run.spec)
    guard = FakeGuard(monkeypatch, peak=100 * GIB, history=([n / 4, n / 2], [GIB, GIB], [1.0, 1.0], [1.0, 1.0]))
    assert sweep.skip_reason(run, TABLE, "box-1", GIB, 1.0) == (
        "estimated peak memory 2.0 GiB (x1 margin) exceeds --max-mem 1.0 GiB")
    assert sweep.skip_reason(run, TABLE, "box-1", int(2.01 * GIB), 1.0) is None
    assert ("history", TABLE, "box-1", "mlp", "jstprove") in guard.calls
    assert ("failures", TABLE, "box-1", "mlp", "jstprove") in guard.calls
    assert not [c for c in guard.calls if c[0] == "estimate"]


# ------------------------------------------------------------------ execute

@pytest.fixture()
def recorded(monkeypatch, machine):
    """execute's inputs fixed: the time, the load, the model (a stand-in of input shape 1x7); the provers
    replaced by spies returning a canned record."""
    monkeypatch.setattr(provenance, "utc_now", lambda: "2026-01-02T03:04:05+00:00")
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 2.5, 3.5))
    built = Spy(("the-model", np.zeros((1, 7))))
    monkeypatch.setattr(sweep, "build", built)
    ezkl = Spy({"status": "ok", "prove_s": 2.0})
    other = Spy({"status": "ok", "prove_s": 3.0, "prover": "jstprove"})
    monkeypatch.setattr(sweep, "prove", ezkl)
    monkeypatch.setattr(provers, "prove", other)
    return types.SimpleNamespace(build=built, ezkl=ezkl, other=other)


def common_fields(run, profile="tiny"):
    return {"run_id": run.run_id, "family": "mlp", "config_id": run.spec.config_id, "config": run.spec.config_json,
            "repetition": run.repetition, "sweep_profile": profile, "date_utc": "2026-01-02T03:04:05+00:00",
            "loadavg_1m": 1.5, **MACHINE}


def test_an_ezkl_record_is_the_runs_identity_the_machine_and_the_proof(recorded):
    run = Run(mlp(4), "accuracy", 9, 2)
    record = sweep.execute(run, profile_name="tiny", threads=6, max_mem_bytes=5 * GIB, timeout_s=120.0,
                           device="cuda")
    assert record == {**common_fields(run), "status": "ok", "prove_s": 2.0}
    assert recorded.build.only == ((run.spec,), {})
    (model, x), kwargs = recorded.ezkl.only
    assert model == "the-model" and x.shape == (1, 7)
    assert kwargs["max_mem_bytes"] == 5 * GIB and kwargs["timeout_s"] == 120.0
    settings = kwargs["settings"]
    assert (settings.calibration_target, settings.scale, settings.threads, settings.infer_device) == (
        "accuracy", 9, 6, "cuda")
    assert recorded.other.calls == []


def test_an_ezkl_run_with_pinned_threads_and_the_defaults(recorded):
    run = Run(mlp(4), "resources", 7, 0, threads=3)
    sweep.execute(run, profile_name="full", threads=6, max_mem_bytes=GIB)
    kwargs = recorded.ezkl.only[1]
    assert kwargs["settings"].threads == 3 and kwargs["settings"].infer_device == "cpu"
    assert kwargs["timeout_s"] is None


def test_a_second_prover_record_goes_through_the_prover_interface(recorded):
    run = Run(mlp(4), "resources", 7, 1, None, "jstprove")
    record = sweep.execute(run, profile_name="tiny", threads=6, max_mem_bytes=5 * GIB, timeout_s=120.0,
                           device="cuda")
    assert record == {**common_fields(run), "status": "ok", "prove_s": 3.0, "prover": "jstprove"}
    (prover, model, x), kwargs = recorded.other.only
    assert (prover, model, x.shape) == ("jstprove", "the-model", (1, 7))
    assert kwargs == {"threads": 6, "max_mem_bytes": 5 * GIB, "timeout_s": 120.0, "infer_device": "cuda"}
    assert recorded.ezkl.calls == []
    pinned = Run(mlp(4), "resources", 7, 1, 2, "jstprove")
    sweep.execute(pinned, profile_name="tiny", threads=6, max_mem_bytes=GIB)
    assert recorded.other.calls[-1][1] == {"threads": 2, "max_mem_bytes": GIB, "timeout_s": None,
                                           "infer_device": "cpu"}


@pytest.mark.parametrize("prover, target, visibility", [
    (None, "accuracy", "input:private,output:public,param:fixed"),
    ("jstprove", "fixed", "input:public,output:public,param:fixed"),
])
def test_a_skipped_record_says_why_and_proves_nothing(recorded, prover, target, visibility):
    run = Run(mlp(4), "accuracy", 9, 1, None, prover)
    record = sweep.execute(run, profile_name="tiny", threads=6, max_mem_bytes=GIB, skip="too big")
    assert record == {**common_fields(run), "status": "skipped_memory", "params": 40, "input_shape": "[1, 7]",
                      "calibration_target": target, "visibility": visibility,
                      "error": "too big", "prover": prover or "ezkl"}
    assert recorded.ezkl.calls == [] and recorded.other.calls == []


def test_a_skipped_record_is_a_valid_row(recorded, out):
    """What execute records for a skipped run passes the proofs schema as appended by the sweep."""
    run = Run(mlp(4), "resources", 7, 0)
    record = sweep.execute(run, profile_name="tiny", threads=1, max_mem_bytes=GIB, skip="too big")
    sweep.append_record(out, record)
    row = data.load_table(out).iloc[0]
    assert (row["run_id"], row["status"], row["error"], row["params"]) == (run.run_id, "skipped_memory", "too big", 40)


# ------------------------------------------------------------------ prove_on_worker

def test_prove_on_worker_defaults_to_every_cpu_and_this_machines_memory(machine, monkeypatch):
    skip, execute = Spy("a reason"), Spy({"status": "skipped_memory"})
    monkeypatch.setattr(sweep, "skip_reason", skip)
    monkeypatch.setattr(sweep, "execute", execute)
    run = Run(mlp(4), "resources", 7, 0)
    assert sweep.prove_on_worker(run, TABLE, profile_name="tiny", threads=None, max_mem_bytes=None) == {
        "status": "skipped_memory"}
    assert skip.only == ((run, TABLE, "box-1", int(0.85 * RAM), memory_guard.MEMORY_MARGIN), {})
    assert execute.only == ((run,), {"profile_name": "tiny", "threads": 8, "max_mem_bytes": int(0.85 * RAM),
                                     "timeout_s": None, "device": "cpu", "skip": "a reason"})


def test_prove_on_worker_passes_what_it_is_given(machine, monkeypatch):
    skip, execute = Spy(None), Spy({"status": "ok"})
    monkeypatch.setattr(sweep, "skip_reason", skip)
    monkeypatch.setattr(sweep, "execute", execute)
    run = Run(mlp(4), "resources", 7, 0)
    sweep.prove_on_worker(run, TABLE, profile_name="full", threads=3, max_mem_bytes=GIB, memory_margin=1.5,
                          timeout_s=30.0, device="cuda")
    assert skip.only == ((run, TABLE, "box-1", GIB, 1.5), {})
    assert execute.only == ((run,), {"profile_name": "full", "threads": 3, "max_mem_bytes": GIB,
                                     "timeout_s": 30.0, "device": "cuda", "skip": None})
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    sweep.prove_on_worker(run, TABLE, profile_name="full", threads=None, max_mem_bytes=GIB)
    assert execute.calls[-1][1]["threads"] == 1


def test_prove_on_worker_reads_the_history_under_this_machines_tag(recorded):
    """The client sends every machine's rows of the family: a run killed for memory on *this* machine
    (box-1) skips the equal run; the same kill on another machine does not."""
    run = Run(mlp(4), "resources", 7, 1)
    n = parameter_count(run.spec)
    error = "resident memory 9.00 GiB exceeded --max-mem 8.00 GiB"
    here = pd.DataFrame([history_row("mlp-r0", "box-1", "killed", n, 5.0, error=error)])
    record = sweep.prove_on_worker(run, here, profile_name="tiny", threads=2, max_mem_bytes=GIB)
    assert record["status"] == "skipped_memory"
    assert record["error"] == "run mlp-r0 of an equal or smaller mlp was killed for exceeding --max-mem"
    assert recorded.ezkl.calls == []
    elsewhere = pd.DataFrame([history_row("mlp-r0", "box-2", "killed", n, 5.0, error=error)])
    assert sweep.prove_on_worker(run, elsewhere, profile_name="tiny", threads=2, max_mem_bytes=GIB)["status"] == "ok"
    assert recorded.ezkl.only[1]["settings"].threads == 2


# ------------------------------------------------------------------ run_sweep

def test_run_sweep_passes_its_defaults_and_each_runs_table_on(profile_file, out, tmp_path, machine, monkeypatch):
    """Without device, timeout or margin: the CPU, no limit, MEMORY_MARGIN; the memory rule of each run reads
    the table as it stands before that run (none, then the first run's row), under this machine's tag."""
    runs = tiny_runs(profile_file, repeat=1)
    skip = Spy("too big")
    monkeypatch.setattr(sweep, "skip_reason", skip)
    monkeypatch.setattr(sweep, "prove", Spy(AssertionError("a skipped run was proved")))
    real, seen = sweep.execute, []

    def execute(run, **kwargs):
        seen.append(kwargs)
        return real(run, **kwargs)

    monkeypatch.setattr(sweep, "execute", execute)
    counts = sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=GIB, threads=2, progress=False)
    assert counts == {"skipped_done": 0, "skipped_memory": 2}
    assert seen == [{"profile_name": "tiny", "threads": 2, "max_mem_bytes": GIB, "timeout_s": None,
                     "device": "cpu", "skip": "too big"}] * 2
    (first, second) = skip.calls
    assert first[0][0] == runs[0] and first[0][1] is None and first[0][2:] == ("box-1", GIB, memory_guard.MEMORY_MARGIN)
    assert second[0][0] == runs[1] and list(second[0][1]["run_id"]) == [runs[0].run_id]
    assert second[0][2:] == ("box-1", GIB, memory_guard.MEMORY_MARGIN)
    # and what it is given
    other = tmp_path / "other.csv"
    shutil.copy(SCHEMA, data.schema_path(other))
    sweep.run_sweep(runs[:1], out=other, profile_name="full", max_mem_bytes=2 * GIB, threads=3, timeout_s=45.0,
                    progress=False, device="cuda", memory_margin=2.0)
    assert seen[-1] == {"profile_name": "full", "threads": 3, "max_mem_bytes": 2 * GIB, "timeout_s": 45.0,
                        "device": "cuda", "skip": "too big"}
    assert skip.calls[-1][0][2:] == ("box-1", 2 * GIB, 2.0)


class FakeBar:
    """A stand-in for tqdm.tqdm that records how the sweep drives its progress bar."""

    made: list = []

    def __init__(self, **kwargs):
        self.kwargs, self.postfix, self.n, self.closed = kwargs, [], 0, False
        FakeBar.made.append(self)

    def set_postfix_str(self, text):
        self.postfix.append(text)

    def update(self, k):
        self.n += k

    def close(self):
        self.closed = True


def test_run_sweep_shows_each_run_and_the_remaining_time_on_its_progress_bar(profile_file, out, machine, monkeypatch):
    import tqdm

    FakeBar.made = []
    monkeypatch.setattr(tqdm, "tqdm", FakeBar)
    monkeypatch.setattr(sweep, "skip_reason", Spy("too big"))
    monkeypatch.setattr(sweep, "prove", Spy(AssertionError("a skipped run was proved")))
    etas = iter([3600.0, 100.0])
    eta_calls = []

    def eta(remaining, table, tag):
        eta_calls.append((list(remaining), None if table is None else list(table["run_id"]), tag))
        return next(etas)

    monkeypatch.setattr(sweep, "_eta_s", eta)
    runs = tiny_runs(profile_file, repeat=1)
    sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=GIB, threads=1)  # progress shown by default
    (bar,) = FakeBar.made
    assert bar.kwargs == {"total": 2, "disable": False, "unit": "run", "dynamic_ncols": True}
    assert bar.postfix == [f"{runs[0].run_id} | ETA 60 min", f"{runs[1].run_id} | ETA 2 min"]  # 3600 s, 100 s
    assert bar.n == 2 and bar.closed
    assert eta_calls == [(runs, None, "box-1"), ([runs[1]], [runs[0].run_id], "box-1")]
    # everything done: an empty bar, hidden without progress
    assert sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=GIB, threads=1,
                           progress=False) == {"skipped_done": 2}
    assert FakeBar.made[-1].kwargs == {"total": 0, "disable": True, "unit": "run", "dynamic_ncols": True}


def test_run_sweep_closes_its_progress_bar_when_interrupted(profile_file, out, machine, monkeypatch):
    import tqdm

    FakeBar.made = []
    monkeypatch.setattr(tqdm, "tqdm", FakeBar)
    monkeypatch.setattr(sweep, "execute", Spy(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(tiny_runs(profile_file), out=out, profile_name="tiny", max_mem_bytes=GIB, threads=1,
                        progress=False)
    assert FakeBar.made[0].closed and FakeBar.made[0].n == 0


def test_retime_inference_without_a_table_is_a_clear_error(profile_file, tmp_path, machine, run_sweep, capsys):
    target = tmp_path / "new" / "proofs.csv"
    target.parent.mkdir()
    code = sweep.main(["--profiles-file", str(profile_file), "--profile", "tiny", "--out", str(target),
                       "--retime-inference"])
    refused(capsys, code, f"data file {target} is missing: --retime-inference re-times the rows of an existing table")
    assert list(target.parent.iterdir()) == []
