"""chasm.experiments.cluster: sweeps on a Dask cluster.

The orchestration tests run on a LocalCluster of two worker processes with a faked prover (the real
:func:`chasm.experiments.sweep.prove_on_worker`, with ``prove`` and ezkl's layout replaced on the worker),
so kills, resumption, ordering and the one-proof-per-worker rule take seconds; one slow test proves a tiny
circuit for real through ``python -m chasm sweep --scheduler local`` and compares its rows with the local
path's. Every test writes to a temporary table, never to ``data/measurements/``.
"""

from __future__ import annotations

import _thread
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from pathlib import Path

import cloudpickle
import pandas as pd
import pytest
import psutil
from distributed import Client, LocalCluster

from chasm.core import data, paths, profiles, provenance, specs
from chasm.experiments import cluster, memory_guard, sweep

SCHEMA = paths.measurements_dir() / "proofs.schema.yaml"

#: Two families; the MLP in two sizes; two repetitions of everything (6 runs).
TINY = """
profiles:
  tiny:
    repeat: 2
    groups:
      - family: mlp
        configs:
          - {width: 4, depth: 1}
          - {width: 6, depth: 1}
      - family: cnn
        configs:
          - {channels: 2, depth: 1, size: 6}
"""
#: Columns that differ between two sweeps of the same runs even with a faked prover.
WHEN = {"date_utc", "loadavg_1m", "infer_date_utc"}
MAX_MEM = 2**34


def tiny_runs(tmp_path, body=TINY, name="tiny"):
    path = tmp_path / "profiles.yaml"
    path.write_text(textwrap.dedent(body))
    return profiles.plan(profiles.load_profiles(path)[name])


@pytest.fixture()
def out(tmp_path):
    target = tmp_path / "proofs.csv"
    shutil.copy(SCHEMA, data.schema_path(target))
    return target


# ------------------------------------------------------------------ fakes, run on the workers

#: The fakes are compiled from source into a module that is not importable, so Dask sends them to the
#: workers (and to an external scheduler) by value: those processes need neither this test module nor,
#: for ``canned_task`` and ``endless_prover``, torch.
FAKES = '''
import json, os, subprocess, sys, time

from chasm.core import constants, ezkl_rules, specs

ROWS_PER_PARAM = 1000


def fake_rows(spec, scale):
    """Stand-in for memory_guard.layout_rows (no ezkl)."""
    return ROWS_PER_PARAM * specs.parameter_count(spec)


def fake_prove(model, x, *, settings, max_mem_bytes=None, timeout_s=None):
    """Stand-in for chasm.experiments.prove.prove: a plausible ok record, 1000 bytes of peak memory per
    parameter."""
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


def note(log, run, event):
    """Append a run's start or end, with the worker's pid, to the JSON-lines file ``log``."""
    if log:
        with open(log, "a") as fh:
            fh.write(json.dumps({"run_id": run.run_id, "pid": os.getpid(), "event": event, "t": time.time()}))
            fh.write(chr(10))


def fake_task(run, history, *, log=None, delay=0.0, kill_family=None, **kw):
    """The real prove_on_worker with ``prove`` and ezkl's layout faked: the proof takes ``delay`` seconds;
    runs of ``kill_family`` are killed for crossing --max-mem."""
    from chasm.experiments import memory_guard, sweep

    def prover(model, x, **pkw):
        time.sleep(delay)
        record = fake_prove(model, x, **pkw)
        if run.spec.family == kill_family:
            record.update(status="killed", failed_phase="setup",
                          error="resident memory 9.00 GiB exceeded --max-mem 8.00 GiB")
        return record

    memory_guard.layout_rows = fake_rows
    sweep.prove = prover
    note(log, run, "start")
    record = sweep.prove_on_worker(run, history, **kw)
    note(log, run, "end")
    return record


def canned_task(run, history, *, records, delay=0.0, log=None):
    """A task without torch: after ``delay`` seconds, the record prepared for the run."""
    note(log, run, "start")
    time.sleep(delay)
    note(log, run, "end")
    return dict(records[run.run_id])


def endless_prover(run, history, *, pidfile):
    """A proof that never ends: a child process named like the prover's, which the task waits for."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "chasm.experiments.prove"],
                             start_new_session=True)
    with open(pidfile, "w") as fh:
        fh.write(str(child.pid))
    child.wait()
    return {}
'''
fakes = types.ModuleType("chasm_cluster_test_fakes")
exec(compile(FAKES, "<test_cluster fakes>", "exec"), fakes.__dict__)


def task_kwargs(**extra):
    return {"profile_name": "tiny", "threads": 1, "max_mem_bytes": MAX_MEM, **extra}


def canned(runs, monkeypatch, **extra) -> dict:
    """Keyword arguments of ``canned_task``: a faked record of each run, made here."""
    monkeypatch.setattr(sweep, "prove", fakes.fake_prove)
    monkeypatch.setattr(memory_guard, "layout_rows", fakes.fake_rows)
    records = {r.run_id: sweep.execute(r, profile_name="tiny", threads=1, max_mem_bytes=MAX_MEM) for r in runs}
    return {"records": records, **extra}


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def client():
    """Two worker processes with two threads each and one prover each (so only the resource keeps a
    worker to one proof)."""
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, resources={cluster.PROVER: 1},
                      memory_limit=0, dashboard_address=None, silence_logs=logging.CRITICAL) as lc:
        with Client(lc, set_as_default=False) as c:
            yield c


@pytest.fixture()
def two_workers(client):
    client.wait_for_workers(2, timeout=60)  # a worker killed by an earlier test is restarted by its nanny
    return client


# ------------------------------------------------------------------ tests without a cluster

def test_a_family_starts_smallest_first_and_equal_sizes_side_by_side(tmp_path):
    runs = tiny_runs(tmp_path)
    mlp4 = [r for r in runs if r.spec.family == "mlp" and r.spec.config["width"] == 4]
    mlp6 = [r for r in runs if r.spec.family == "mlp" and r.spec.config["width"] == 6]
    cnn = [r for r in runs if r.spec.family == "cnn"]
    assert cluster.dispatchable(runs, [], 10) == [r for r in runs if r not in mlp6]  # not the larger MLP yet
    assert cluster.dispatchable(runs, [], 1) == [runs[0]]  # one slot: the local sweep's order
    assert cluster.dispatchable([mlp4[1], *mlp6], [mlp4[0]], 5) == [mlp4[1]]
    assert cluster.dispatchable(mlp6, [cnn[0]], 5) == mlp6
    assert cluster.dispatchable(runs, [], 0) == []


def test_done_runs_are_keyed_by_run_id_under_any_workers_tag():
    table = pd.DataFrame({"run_id": ["a", "b", "c"], "hardware_tag": ["x", "y", "z"]})
    assert cluster.done_run_ids(table, {"x", "y"}) == {"a", "b"}
    assert cluster.done_run_ids(None, {"x"}) == set()


def test_unreachable_scheduler_is_a_clear_error_naming_it(out, capsys):
    address = "tcp://127.0.0.1:9"
    t0 = time.monotonic()
    code = sweep.main(["--profile", "quick", "--scheduler", address, "--connect-timeout", "2", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"no Dask scheduler answered at {address} within 2 s" in err
    assert time.monotonic() - t0 < 30
    assert not out.exists()


def test_cluster_options_are_checked(capsys):
    assert sweep.main(["--profile", "quick", "--workers", "2", "--dry-run"]) == 2
    assert "--workers needs --scheduler local" in capsys.readouterr().err
    assert sweep.main(["--profile", "quick", "--scheduler", "tcp://127.0.0.1:9", "--retime-inference"]) == 2
    assert "without --scheduler ADDRESS" in capsys.readouterr().err


# ------------------------------------------------------------------ orchestration on a LocalCluster

def test_rows_equal_those_of_the_local_path(tmp_path, out, two_workers, monkeypatch):
    runs = tiny_runs(tmp_path)
    local = tmp_path / "local.csv"
    shutil.copy(SCHEMA, data.schema_path(local))
    monkeypatch.setattr(sweep, "prove", fakes.fake_prove)
    monkeypatch.setattr(memory_guard, "layout_rows", fakes.fake_rows)
    sweep.run_sweep(runs, out=local, profile_name="tiny", max_mem_bytes=MAX_MEM, threads=1, progress=False)
    counts = cluster.run_on_cluster(runs, two_workers, out=out, task=fakes.fake_task, task_kwargs=task_kwargs(),
                                    progress=False)
    assert counts == {"skipped_done": 0, "ok": len(runs)}
    a, b = (data.load_table(p).sort_values("run_id").reset_index(drop=True) for p in (local, out))
    assert set(b["hardware_tag"]) == {provenance.machine()["hardware_tag"]}
    pd.testing.assert_frame_equal(a.drop(columns=list(WHEN)), b.drop(columns=list(WHEN)))


def test_one_proof_per_worker_smallest_first_and_resume_skips_done(tmp_path, out, two_workers):
    runs, log = tiny_runs(tmp_path), tmp_path / "log.jsonl"
    cluster.run_on_cluster(runs, two_workers, out=out, task=fakes.fake_task,
                           task_kwargs=task_kwargs(log=str(log), delay=0.3), progress=False)
    events = read_log(log)
    spans = {e["run_id"]: [e["t"], None, e["pid"]] for e in events if e["event"] == "start"}
    for e in events:
        if e["event"] == "end":
            spans[e["run_id"]][1] = e["t"]
    assert set(spans) == {r.run_id for r in runs}
    for pid in {s[2] for s in spans.values()}:  # a worker (process) never proves two runs at once
        mine = sorted(s[:2] for s in spans.values() if s[2] == pid)
        assert all(end <= nxt_start for (_, end), (nxt_start, _) in zip(mine, mine[1:]))
    assert len({s[2] for s in spans.values()}) == 2  # both workers proved
    by_id = {r.run_id: r for r in runs}
    for rid, (start, _, _) in spans.items():  # a run starts after every smaller run of its family ended
        r = by_id[rid]
        smaller = [o for o in runs if o.spec.family == r.spec.family
                   and specs.parameter_count(o.spec) < specs.parameter_count(r.spec)]
        assert all(spans[o.run_id][1] <= start for o in smaller), rid
    again = cluster.run_on_cluster(runs, two_workers, out=out, task=fakes.fake_task, task_kwargs=task_kwargs(),
                                   progress=False)
    assert again == {"skipped_done": len(runs)}


def test_memory_kill_stops_the_familys_larger_runs_across_workers(tmp_path, out, two_workers):
    runs = tiny_runs(tmp_path)
    counts = cluster.run_on_cluster(runs, two_workers, out=out, task=fakes.fake_task,
                                    task_kwargs=task_kwargs(kill_family="mlp"), progress=False)
    # the small MLP is killed (its second repetition too when both ran side by side, else it is skipped);
    # the larger MLP never starts; the CNN is unaffected
    assert counts["ok"] == 2 and counts["killed"] >= 1 and counts["killed"] + counts["skipped_memory"] == 4
    table = data.load_table(out).set_index("run_id")
    small = [r.run_id for r in runs if r.spec.family == "mlp" and r.spec.config["width"] == 4]
    large = [r.run_id for r in runs if r.spec.family == "mlp" and r.spec.config["width"] == 6]
    assert table.loc[small[0], "status"] == "killed"
    for rid in large:
        assert table.loc[rid, "status"] == "skipped_memory"
        assert any(s in table.loc[rid, "error"] for s in small)


def test_interrupting_the_client_stops_the_proofs_on_the_workers(tmp_path, out, two_workers):
    """Ctrl-C in the client kills the proof running on a worker, as it does in a local sweep."""
    pidfile = tmp_path / "pid"
    started = threading.Event()

    def interrupt_once_proving():
        # the interrupt comes once the proof runs, or after 120 s in any case (the client then stops its
        # endless proof instead of waiting it out, and the test says the worker never started it)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if pidfile.exists() and pidfile.read_text():
                started.set()
                time.sleep(0.3)
                break
            time.sleep(0.05)
        _thread.interrupt_main()

    # Ctrl-C as a terminal delivers it, also when the suite itself runs in the background (`cmd &` starts a
    # process with SIGINT ignored, and then `interrupt_main` does nothing)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=interrupt_once_proving, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            cluster.run_on_cluster(tiny_runs(tmp_path)[:1], two_workers, out=out, task=fakes.endless_prover,
                                   task_kwargs={"pidfile": str(pidfile)}, progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert started.is_set(), "no worker started the proof within 120 s"
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.NoSuchProcess):
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                time.sleep(0.1)
                continue
        break
    else:
        raise AssertionError("the proof kept running after the client was interrupted")
    assert not out.exists()


# ------------------------------------------------------------------ kills: nothing lost, nothing twice

def _sweep_in_thread(fn):
    result = {}

    def target():
        try:
            result["counts"] = fn()
        except BaseException as exc:  # handed to the test
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, result


def _wait_for_rows(path: Path, n: int, timeout_s: float = 60.0) -> pd.DataFrame:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            table = data.load_table(path)  # always whole: rows are written atomically
            if len(table) >= n:
                return table
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {n} rows in {timeout_s} s")


def _assert_complete_once(out: Path, runs, before: pd.DataFrame) -> None:
    table = data.load_table(out)
    assert sorted(table["run_id"]) == sorted(r.run_id for r in runs)  # every run, none twice
    kept = table.set_index("run_id").loc[before["run_id"], "date_utc"]
    assert list(kept) == list(before["date_utc"])  # the rows finished before the kill are untouched


CLIENT = """
import pickle, sys
from pathlib import Path
from chasm.experiments import cluster
address, job, out = sys.argv[1:]
task, runs, kwargs = pickle.loads(Path(job).read_bytes())
with cluster.connect(address) as client:
    cluster.run_on_cluster(runs, client, out=Path(out), task=task, task_kwargs=kwargs, progress=False)
"""


def test_killing_the_client_then_resuming(tmp_path, out, two_workers, monkeypatch):
    """A client process is killed outright mid-sweep; the table stays whole, and a resumed sweep finishes
    it without repeating a finished run."""
    runs = tiny_runs(tmp_path)
    kwargs = canned(runs, monkeypatch, delay=0.3)
    job = tmp_path / "job.pkl"
    job.write_bytes(cloudpickle.dumps((fakes.canned_task, runs, kwargs)))
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, two_workers.scheduler.address, str(job), str(out)],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_rows(out, 2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    before = data.load_table(out)
    assert 2 <= len(before) < len(runs) and before["run_id"].is_unique
    counts = cluster.run_on_cluster(runs, two_workers, out=out, task=fakes.canned_task, task_kwargs=kwargs,
                                    progress=False)
    assert counts == {"skipped_done": len(before), "ok": len(runs) - len(before)}
    _assert_complete_once(out, runs, before)


def test_killing_the_scheduler_is_a_clear_error_and_a_resume_finishes(tmp_path, out, two_workers, monkeypatch):
    runs = tiny_runs(tmp_path)
    kwargs = canned(runs, monkeypatch, delay=0.3)
    dask = Path(sys.executable).with_name("dask")
    info = tmp_path / "scheduler.json"
    quiet = {"start_new_session": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], **quiet)]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        procs.append(subprocess.Popen([str(dask), "worker", address, "--nthreads", "1", "--resources",
                                       f"{cluster.PROVER}=1", "--no-dashboard"], **quiet))
        with cluster.connect(address, timeout_s=5) as remote:
            remote.wait_for_workers(1, timeout=60)
            thread, result = _sweep_in_thread(lambda: cluster.run_on_cluster(
                runs, remote, out=out, task=fakes.canned_task, task_kwargs=kwargs, progress=False, reconnect_s=2))
            before = _wait_for_rows(out, 1)
            os.kill(procs[0].pid, signal.SIGKILL)
            thread.join(60)
        assert isinstance(result.get("error"), cluster.SchedulerLostError), result
        assert address in str(result["error"]) and "run the same command again" in str(result["error"])
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    before = data.load_table(out)
    assert before["run_id"].is_unique
    cluster.run_on_cluster(runs, two_workers, out=out, task=fakes.canned_task, task_kwargs=kwargs, progress=False)
    _assert_complete_once(out, runs, before)


def test_killing_a_worker_mid_sweep_loses_and_duplicates_nothing(tmp_path, out, two_workers, monkeypatch):
    runs, log = tiny_runs(tmp_path), tmp_path / "log.jsonl"
    kwargs = canned(runs, monkeypatch, delay=1.0, log=str(log))
    thread, result = _sweep_in_thread(lambda: cluster.run_on_cluster(
        runs, two_workers, out=out, task=fakes.canned_task, task_kwargs=kwargs, progress=False))
    before = _wait_for_rows(out, 1)
    deadline, victim = time.monotonic() + 30, None
    while victim is None and time.monotonic() < deadline:  # a worker that has just started a run
        events = read_log(log)
        ended = {e["run_id"] for e in events if e["event"] == "end"}
        fresh = [e for e in events if e["event"] == "start" and e["run_id"] not in ended
                 and time.time() - e["t"] < 0.5]
        victim = fresh[0]["pid"] if fresh else time.sleep(0.02)
    assert victim is not None, "no worker started a run"
    os.kill(victim, signal.SIGKILL)
    thread.join(120)
    assert not thread.is_alive() and "error" not in result, result
    assert result["counts"]["ok"] == len(runs) - result["counts"]["skipped_done"]
    _assert_complete_once(out, runs, before)
    starts = [e["run_id"] for e in read_log(log) if e["event"] == "start"]
    assert len(starts) > len(set(starts))  # the killed worker's run was started again on the other


# ------------------------------------------------------------------ one real proof, end to end

TINIEST = """
profiles:
  tiniest:
    repeat: 1
    groups:
      - family: mlp
        configs:
          - {width: 4, depth: 1}
"""
#: Measurements (time, memory, load, proof size, which varies with the proof's randomness) and whether
#: the SRS had to be generated first.
MEASURED = ("_s", "_peak_rss_bytes")
VARYING = WHEN | {"other_cpu_frac", "infer_reps", "srs_generated", "proof_bytes"}


@pytest.mark.slow
def test_a_real_proof_on_a_local_cluster_matches_the_local_path(tmp_path, capsys):
    """``python -m chasm sweep --scheduler local --workers 2`` proves for real; its row passes the schema and
    equals the local path's apart from measurements. The two sweeps run side by side to save time."""
    (tmp_path / "profiles.yaml").write_text(textwrap.dedent(TINIEST))
    common = ["--profiles-file", str(tmp_path / "profiles.yaml"), "--profile", "tiniest", "--threads", "1"]
    a, b = tmp_path / "local.csv", tmp_path / "cluster.csv"
    thread, local = _sweep_in_thread(lambda: sweep.main([*common, "--out", str(a)]))
    assert sweep.main([*common, "--out", str(b), "--scheduler", "local", "--workers", "2"]) == 0
    thread.join(600)
    assert local.get("counts") == 0, local
    assert "2 workers, 2 provers" in capsys.readouterr().out
    ta, tb = (data.load_table(p).sort_values("run_id").reset_index(drop=True) for p in (a, b))
    assert len(tb) == 1 and (tb["status"] == "ok").all() and tb["verified"].all()
    keep = [c for c in ta.columns if c not in VARYING and not c.endswith(MEASURED)]
    pd.testing.assert_frame_equal(_unordered(ta[keep]), _unordered(tb[keep]))


def _unordered(frame: pd.DataFrame) -> pd.DataFrame:
    """The JSON lists of ranges and lookups ezkl reports, in one order (ezkl's varies between runs)."""
    frame = frame.copy()
    for column in ("required_range_checks", "required_lookups"):
        frame[column] = [json.dumps(sorted(json.loads(v), key=json.dumps)) if isinstance(v, str) else v
                         for v in frame[column]]
    return frame
