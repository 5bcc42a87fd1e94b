"""chasm.experiments.prove: a real proof in a child process, per-phase timings and memory, the memory ceiling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from chasm.core import constants
from chasm.core.specs import ModelSpec
from chasm.experiments import prove
from chasm.experiments import soundness
from chasm.experiments.models import build


@pytest.mark.slow
def test_tiny_mlp_proof_verifies(tiny_mlp_proof, tiny_mlp_proof_wall_s):
    record, workdir = tiny_mlp_proof
    assert record["status"] == "ok", record.get("error")
    assert record["verified"] is True
    assert soundness.verify_artifacts(workdir) is True
    # every phase took time, and all of them together fit in the wall time the test saw
    assert all(record[f"{phase}_s"] > 0 for phase in constants.PHASES)
    assert sum(record[f"{phase}_s"] for phase in constants.PHASES) < tiny_mlp_proof_wall_s
    # each phase's peak is that of a Python process running torch and ezkl (tens of MiB at least),
    # within the machine's memory
    for phase in constants.PHASES:
        assert 32 * 2**20 < record[f"{phase}_peak_rss_bytes"] < psutil.virtual_memory().total, phase
    assert record["num_rows"] <= 2 ** record["logrows"]
    assert record["proof_bytes"] == (workdir / "proof.json").stat().st_size
    assert record["infer_s"] > 0 and record["infer_reps"] >= 30
    # ezkl's own compute time cannot exceed the Python-side wall time of the phase
    assert 0 < record["prove_compute_s"] <= record["prove_s"]
    # the quantised circuit computes the same function as the float model
    assert record["output_rel_err"] < 0.1


@pytest.mark.slow
@pytest.mark.parametrize("spec", [
    ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1, "activation": "gelu"}),
], ids=lambda s: s.family)
def test_each_family_proves(spec):
    """The families the suite proves nowhere else: a transformer (the MLP: ``test_tiny_mlp_proof_verifies``;
    a CNN: ``test_sweep.py::test_quick_profile_runs_for_real``, through the sweep command)."""
    model, x = build(spec)
    record = prove.prove(model, x, settings=prove.ProveSettings(threads=2))
    assert record["status"] == "ok", record.get("error")
    assert record["verified"] is True


@pytest.mark.slow
def test_memory_ceiling_kills_child_and_is_recorded():
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    record = prove.prove(model, x, max_mem_bytes=50 * 2**20)  # far below the interpreter itself
    assert record["status"] == "killed"
    assert "max-mem" in record["error"]


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="calibration_target"):
        prove.ProveSettings(calibration_target="fast")
    with pytest.raises(ValueError, match="visibility"):
        prove.ProveSettings(input_visibility="broadcast")


_PHASES = """
import json, sys
from pathlib import Path
from chasm.experiments import prove
progress = prove._Progress(Path(sys.argv[1]))
with progress.phase("big"):
    block = b"\\x01" * int(sys.argv[2])
    del block
with progress.phase("small"):
    pass
print(json.dumps(progress.record))
"""


def test_each_phase_records_its_own_peak_memory(tmp_path):
    """The peak of a phase is its own (the high-water mark is reset when a phase starts): a phase that
    allocates nothing, after one that touched 128 MiB and freed it, records a peak far below that one's.
    In a fresh interpreter, as the proving child is: the test process itself may have peaked higher
    earlier in the suite, and a freed block may come back from memory it already holds."""
    size = 128 * 2**20
    done = subprocess.run([sys.executable, "-c", _PHASES, str(tmp_path), str(size)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.splitlines()[-1])
    big, small = record["big_peak_rss_bytes"], record["small_peak_rss_bytes"]
    assert big > size and big - small > size // 2
    assert record["big_s"] > 0 and record["small_s"] >= 0


def _child_holding(mib: int, seconds: float) -> subprocess.Popen:
    code = f"import time; block = b'\\x01' * ({mib} * 2**20); time.sleep({seconds})"
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_memory_watchdog_kills_a_child_just_over_the_ceiling():
    """A child holding 1.5 times the ceiling is killed for memory, promptly; one under it is left alone."""
    t0 = time.monotonic()
    reason = prove.watch_child(_child_holding(192, 60), 128 * 2**20, timeout_s=8)
    assert reason is not None and reason.startswith("resident memory") and "--max-mem" in reason
    assert time.monotonic() - t0 < 6
    child = _child_holding(48, 0.5)
    assert prove.watch_child(child, 128 * 2**20, timeout_s=20) is None and child.returncode == 0


def test_a_proof_child_dies_with_the_process_that_started_it(tmp_path):
    """A sweep or a Dask worker killed outright (SIGKILL) takes its proof's child with it: the child is
    started in its own session (so a timeout can kill its whole group) but asks Linux to be killed when its
    parent dies, as chasm.experiments.prove starts it."""
    import signal

    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time\n"
        "from chasm.experiments.prove import die_with_parent\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], start_new_session=True,"
        " preexec_fn=die_with_parent)\n"
        f"open({str(pid_file)!r}, 'w').write(str(c.pid))\n"
        "time.sleep(120)\n")])
    deadline = time.time() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.time() < deadline, "the parent never started its child"
        time.sleep(0.1)
    child = int(pid_file.read_text())
    os.kill(child, 0)  # alive while its parent lives
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        try:  # reap it if it became ours
            os.waitpid(child, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its killed parent")
