"""JSTprove's gateway: named errors before anything runs, and a missing environment said plainly.

The real proofs (a verified tiny MLP, three kinds of tampering rejected) are in ``test_provers.py``,
which proves the same model with both provers once for the whole module."""

import sys
from pathlib import Path

import pytest
import torch

from chasm.core.specs import ModelSpec
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments import jstprove_gateway as jg
from chasm.experiments.models import build


def test_an_operator_jstprove_lacks_is_named_before_anything_runs():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Softmax(dim=-1)).eval()
    with pytest.raises(gw.UnsupportedOpError, match=r"JSTprove 2\.12\.1 does not support the ONNX operator\(s\) Softmax"):
        jg.check_model(model, torch.zeros(1, 4))


def test_the_compared_families_are_supported_and_the_transformer_is_not():
    for family, config in (("mlp", {"width": 8, "depth": 2}), ("cnn", {"channels": 2, "depth": 2, "size": 6})):
        jg.check_model(*build(ModelSpec(family, config)))  # raises if an operator is missing
    model, x = build(ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1}))
    with pytest.raises(gw.UnsupportedOpError) as err:
        jg.check_model(model, x)
    named = str(err.value).split("operator(s) ")[1].split(" (")[0].split(", ")
    assert {"MatMul", "Softmax"} <= set(named) and not set(named) & jg.SUPPORTED_ONNX_OPS


def test_a_missing_environment_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CHASM_JSTPROVE_PYTHON", str(tmp_path / "absent" / "python"))
    assert not jg.available()
    with pytest.raises(jg.JstproveUnavailableError, match=r"CPython 3\.12.*make \.venv-jstprove"):
        jg.interpreter()
    with pytest.raises(jg.JstproveUnavailableError):
        jg.prove(*build(ModelSpec("mlp", {"width": 8, "depth": 1})))


def test_an_interpreter_without_jstprove_is_refused_with_the_reason(monkeypatch):
    monkeypatch.setenv("CHASM_JSTPROVE_PYTHON", sys.executable)  # the project's own Python has no jstprove
    with pytest.raises(jg.JstproveUnavailableError, match="cannot import jstprove"):
        jg.interpreter()


def test_the_pinned_version_is_the_one_the_environment_installs():
    pins = (jg.paths.repo_root() / "requirements-jstprove.txt").read_text()
    assert f"jstprove=={jg.PINNED_VERSION}" in pins
    if jg.available():
        assert jg.version() == jg.PINNED_VERSION


# --- the child's protocol, with a stand-in for JSTprove's interpreter (no JSTprove needed) ---------------------

import json  # noqa: E402
import time  # noqa: E402

FAKE = """#!{python}
import ctypes, json, os, signal, sys, time
script, work = sys.argv[1], sys.argv[2]
path = os.path.join(work, "plan.json")
plan = json.load(open(path)) if os.path.exists(path) else {{"write": {{"result.json": '{{"status": "ok"}}'}}}}
death = ctypes.c_int(0)
ctypes.CDLL("libc.so.6").prctl(2, ctypes.byref(death))  # PR_GET_PDEATHSIG
seen = {{"script": script, "threads": os.environ.get("RAYON_NUM_THREADS"),
         "job": json.load(open(os.path.join(work, "job.json"))),
         "stale": [n for n in ("result.json", "error.json", "progress.json") if os.path.exists(os.path.join(work, n))],
         "death_signal": death.value, "own_session": os.getsid(0) == os.getpid(), "pid": os.getpid()}}
json.dump(seen, open(os.path.join(work, "seen.json"), "w"))
print("said on stdout", flush=True)
print("said on stderr", file=sys.stderr, flush=True)
for name, content in plan.get("write", {{}}).items():
    with open(os.path.join(work, name), "w") as fh:
        fh.write(content)
time.sleep(plan.get("sleep", 0))
if plan.get("signal"):
    os.kill(os.getpid(), getattr(signal, plan["signal"]))
sys.exit(plan.get("exit", 0))
"""


@pytest.fixture()
def fake_jstprove(monkeypatch, tmp_path):
    """JSTprove's interpreter replaced by a script that follows ``plan.json`` in the work folder; the inference
    timing by a stated answer."""
    python = tmp_path / "fake-python"
    python.write_text(FAKE.format(python=sys.executable))
    python.chmod(0o755)
    monkeypatch.setenv("CHASM_JSTPROVE_PYTHON", str(python))
    monkeypatch.setattr(jg, "_probe", lambda path: jg.PINNED_VERSION)
    timed = []

    def time_inference(model, x, *, threads, device):
        timed.append((threads, device))
        assert isinstance(model, torch.nn.Module) and isinstance(x, torch.Tensor)  # the model and its input
        return 2.5e-4, 40, 1

    monkeypatch.setattr(jg, "time_inference", time_inference)
    return timed


def _identity():
    """A 2 x 2 identity layer at x = (3, 4): its float output is (3, 4), of norm 5."""
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
        model.bias.zero_()
    return model, torch.tensor([[3.0, 4.0]])


def _plan(work, **plan):
    work.mkdir(parents=True, exist_ok=True)
    (work / "plan.json").write_text(json.dumps(plan))
    return work


def test_a_proof_record_joins_the_childs_phases_with_the_output_error_against_the_float_model(fake_jstprove, tmp_path):
    """The circuit answers (3.3, 3.6) where the float model answers (3, 4): errors 0.3 and 0.4, the largest 0.4,
    relative L2 error |(0.3, 0.4)| / |(3, 4)| = 0.5 / 5; a NaN the child reports is left out, its scale is both
    scales, stale results of an earlier run are removed before the child starts."""
    result = {"status": "ok", "prove_s": 1.5, "verify_s": float("nan"), "proof_bytes": 1234,
              "outputs": [3.3, 3.6], "scale_bits": 18}
    work = _plan(tmp_path / "w", write={"result.json": json.dumps(result)})
    for stale in ("result.json", "error.json", "progress.json"):
        (work / stale).write_text("{}")
    t0 = time.perf_counter()
    record = jg.prove(*_identity(), threads=3, workdir=work)
    elapsed = time.perf_counter() - t0
    seen = json.loads((work / "seen.json").read_text())
    # the child runs in its own session and dies with its parent (SIGKILL, 9)
    assert seen.pop("pid") > 0
    assert seen == {"script": str(jg._CHILD), "threads": "3", "job": {"mode": "prove"}, "stale": [],
                    "death_signal": 9, "own_session": True}
    assert (work / "child.log").read_text().splitlines() == ["said on stdout", "said on stderr"]
    assert 0 < record["export_s"] < elapsed
    assert json.loads((work / "input.json").read_text()) == [3.0, 4.0]
    assert jg.gw.onnx_ops(work / "model.onnx") == {"Gemm"}  # the exported model is left for the child
    assert fake_jstprove == [(3, "cpu")]
    assert record["output_max_abs_err"] == pytest.approx(0.4, rel=1e-6)
    assert record["output_rel_err"] == pytest.approx(0.1, rel=1e-6)
    assert "outputs" not in record and "scale_bits" not in record and "verify_s" not in record
    expected = {"status": "ok", "prove_s": 1.5, "proof_bytes": 1234, "input_scale": 18, "param_scale": 18,
                "params": 6, "input_shape": "[1, 2]", "calibration_target": "fixed",
                "visibility": "input:public,output:public,param:fixed", "prove_threads": 3, "prover": "jstprove",
                "prover_version": "2.12.1", "infer_s": 2.5e-4, "infer_reps": 40, "torch_threads": 1,
                "infer_device": "cpu"}
    assert {k: record[k] for k in expected} == expected
    assert record["export_s"] > 0 and record["run_cpu_s"] >= 0 and 0 <= record["other_cpu_frac"] <= 1
    assert record["infer_date_utc"].endswith("Z") or "+" in record["infer_date_utc"]


def test_a_circuit_with_a_zero_output_and_no_scale(fake_jstprove, tmp_path):
    """A float output of zero norm: the relative error is the absolute one (divided by 1); no scale reported,
    no scale columns."""
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    work = _plan(tmp_path / "w", write={"result.json": json.dumps({"status": "ok", "outputs": [0.3, -0.4]})})
    record = jg.prove(model, torch.tensor([[3.0, 4.0]]), workdir=work)
    assert record["output_rel_err"] == pytest.approx(0.5) and record["output_max_abs_err"] == pytest.approx(0.4)
    assert "input_scale" not in record and "param_scale" not in record
    assert json.loads((work / "seen.json").read_text())["threads"] == "1"  # one thread by default
    work = _plan(tmp_path / "v", write={"result.json": json.dumps({"status": "ok"})})
    record = jg.prove(model, torch.tensor([[3.0, 4.0]]), workdir=work)
    assert "output_rel_err" not in record and "output_max_abs_err" not in record


def test_a_failure_inside_the_child_is_a_record_that_says_where_and_why(fake_jstprove, tmp_path):
    error = {"status": "error", "failed_phase": "witness", "error": "bad input", "traceback": "Traceback ..."}
    work = _plan(tmp_path / "a", write={"error.json": json.dumps(error)}, exit=1)
    record = jg.prove(*_identity(), workdir=work)
    assert (record["status"], record["failed_phase"], record["error"]) == ("error", "witness", "bad input")
    assert "traceback" not in record
    # no result and no error: the last phase the child reported, and how it ended
    progress = json.dumps({"phase": "prove", "record": {"compile_s": 2.0, "witness_s": 0.5}})
    work = _plan(tmp_path / "b", write={"progress.json": progress}, exit=3)
    record = jg.prove(*_identity(), workdir=work)
    assert (record["status"], record["failed_phase"], record["error"]) == (
        "killed", "prove", "exited with status 3 without a result")
    assert (record["compile_s"], record["witness_s"]) == (2.0, 0.5)
    work = _plan(tmp_path / "c", signal="SIGKILL")
    record = jg.prove(*_identity(), workdir=work)
    assert (record["status"], record["failed_phase"], record["error"]) == ("killed", None, "killed by signal SIGKILL")
    work = _plan(tmp_path / "d", write={"progress.json": "not json"})
    record = jg.prove(*_identity(), workdir=work)
    assert (record["status"], record["failed_phase"], record["error"]) == (
        "killed", None, "exited with status 0 without a result")


def test_the_memory_ceiling_and_the_time_limit_reach_the_watchdog(fake_jstprove, tmp_path):
    """A child that would sleep 5 s: killed at once over a ceiling of one byte, and past a limit of 0.2 s."""
    work = _plan(tmp_path / "m", sleep=5)
    record = jg.prove(*_identity(), workdir=work, max_mem_bytes=1)
    assert record["status"] == "killed" and "exceeded --max-mem" in record["error"]
    work = _plan(tmp_path / "t", sleep=5)
    record = jg.prove(*_identity(), workdir=work, timeout_s=0.2)
    assert record["status"] == "killed" and record["error"] == "exceeded the time limit of 0 s"


def test_an_unsupported_model_is_a_record_and_its_own_work_folder_is_removed_unless_kept(fake_jstprove, monkeypatch,
                                                                                        tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Softmax(dim=-1)).eval()
    record = jg.prove(model, torch.zeros(1, 4), threads=2)
    assert record["status"] == "unsupported" and record["failed_phase"] == "export"
    assert record["error"].startswith("JSTprove 2.12.1 does not support the ONNX operator(s) Softmax")
    assert (record["prover"], record["prove_threads"], record["params"]) == ("jstprove", 2, 20)
    assert fake_jstprove == []  # nothing was timed or run
    made = []
    real = jg.tempfile.mkdtemp

    def mkdtemp(suffix=None, prefix=None, dir=None):
        made.append(Path(real(suffix, prefix, str(tmp_path))))
        (made[-1] / "plan.json").write_text(json.dumps({"write": {"result.json": json.dumps({"status": "ok"})}}))
        return str(made[-1])

    monkeypatch.setattr(jg.tempfile, "mkdtemp", mkdtemp)
    assert jg.prove(*_identity())["status"] == "ok"
    own = [p for p in made if p.name.startswith("chasm-jstprove-")]
    assert len(own) == 1 and not own[0].exists()
    assert jg.prove(*_identity(), keep=True)["status"] == "ok"
    own = [p for p in made if p.name.startswith("chasm-jstprove-")]
    assert len(own) == 2 and (own[1] / "model.onnx").exists()
    given = _plan(tmp_path / "given", write={"result.json": json.dumps({"status": "ok"})})
    jg.prove(*_identity(), workdir=given)
    assert (given / "model.onnx").exists()  # a folder the caller gave is never removed
    deep = tmp_path / "not" / "yet" / "there"
    assert jg.prove(*_identity(), workdir=deep)["status"] == "ok" and (deep / "model.onnx").exists()


def test_tamper_checks_run_the_child_on_the_kept_proof_and_refuse_a_folder_without_one(fake_jstprove, tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no proof.bin: prove with keep=True first"):
        jg.tamper_checks(tmp_path)
    verdicts = {"flipped_byte_accepted": False, "altered_transcript_accepted": False,
                "other_output_accepted": False, "changed_input_accepted": False}
    work = _plan(tmp_path / "w", write={"result.json": json.dumps(verdicts)})
    (work / "proof.bin").write_bytes(b"proof")
    assert jg.tamper_checks(work) == verdicts
    assert json.loads((work / "seen.json").read_text())["job"] == {"mode": "tamper"}
    assert json.loads((work / "seen.json").read_text())["threads"] == "1"
    _plan(work, write={"error.json": json.dumps({"status": "error", "error": "proof unreadable"})})
    with pytest.raises(RuntimeError, match="did not finish: proof unreadable"):
        jg.tamper_checks(work)
    _plan(work, sleep=5)
    with pytest.raises(RuntimeError, match="did not finish: exceeded the time limit of 0 s"):
        jg.tamper_checks(work, timeout_s=0.2)


def test_the_default_environment_is_the_projects_venv_jstprove(monkeypatch):
    probed = []
    monkeypatch.delenv("CHASM_JSTPROVE_PYTHON", raising=False)
    monkeypatch.setattr(jg, "_probe", lambda path: probed.append(path) or "9.9")
    assert jg.interpreter() == jg.paths.repo_root() / ".venv-jstprove" / "bin" / "python"
    assert jg.version() == "9.9" and jg.available()
    assert set(probed) == {str(jg.paths.repo_root() / ".venv-jstprove" / "bin" / "python")}
    monkeypatch.setenv("CHASM_JSTPROVE_PYTHON", "/somewhere/python")
    assert jg.interpreter() == Path("/somewhere/python")


def test_check_supported_lists_every_missing_operator_sorted(monkeypatch, tmp_path):
    monkeypatch.setattr(jg.gw, "onnx_ops", lambda path: {"Gemm", "Softmax", "MatMul", "Relu"})
    with pytest.raises(gw.UnsupportedOpError) as err:
        jg.check_supported(tmp_path / "m.onnx")
    assert str(err.value) == ("JSTprove 2.12.1 does not support the ONNX operator(s) MatMul, Softmax (it supports "
                              + ", ".join(sorted(jg.SUPPORTED_ONNX_OPS)) + ")")
    assert ", ".join(sorted(jg.SUPPORTED_ONNX_OPS)).startswith("Add, BatchNormalization, Clip")
    monkeypatch.setattr(jg.gw, "onnx_ops", lambda path: {"Gemm", "Relu"})
    assert jg.check_supported(tmp_path / "m.onnx") is None


def test_the_cpu_accounting_of_a_run_by_known_answers(fake_jstprove, monkeypatch, tmp_path):
    """The machine's counters stated: 4 s of wall time on 2 CPUs is 8 CPU-seconds of capacity; the child used
    2.5 CPU-s and the machine 6.5, so other processes used 4 of the 8: a share of 0.5. The share is clipped to
    1 at most, and a machine whose CPU count is unknown counts as one CPU."""
    import os
    import types

    def run(children, busy, cpus):
        calls = {"children": iter(children), "busy": iter(busy), "wall": iter([1000.0, 1004.0])}
        monkeypatch.setattr(jg, "children_cpu_s", lambda: next(calls["children"]))
        monkeypatch.setattr(jg, "machine_busy_s", lambda: next(calls["busy"]))
        monkeypatch.setattr(jg, "time", types.SimpleNamespace(monotonic=lambda: next(calls["wall"]),
                                                              perf_counter=time.perf_counter))
        monkeypatch.setattr(os, "cpu_count", lambda: cpus)
        work = _plan(tmp_path / f"w{len(list(tmp_path.iterdir()))}", write={"result.json": json.dumps({"status": "ok"})})
        record = jg.prove(*_identity(), workdir=work)
        return record["run_cpu_s"], record["other_cpu_frac"]

    assert run([10.0, 12.5], [100.0, 106.5], 2) == (2.5, 0.5)
    assert run([10.0, 12.5], [100.0, 106.5], None) == (2.5, 1.0)  # 4 CPU-s by others in 4 s on one CPU
    assert run([10.0, 12.5], [100.0, 130.0], 2) == (2.5, 1.0)  # more than the capacity: all of it


def test_an_interrupted_watch_kills_the_child_and_passes_the_interruption_on(fake_jstprove, monkeypatch, tmp_path):
    import os

    def interrupted(child, max_mem_bytes, timeout_s):
        while not (work / "seen.json").exists():  # the child has started
            time.sleep(0.01)
        raise KeyboardInterrupt

    work = _plan(tmp_path / "w", sleep=5)
    monkeypatch.setattr(jg, "watch_child", interrupted)
    with pytest.raises(KeyboardInterrupt):
        jg.prove(*_identity(), workdir=work)
    pid = json.loads((work / "seen.json").read_text())["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped
    # a child that is gone already: the interruption, not the failed kill, reaches the caller

    def after_exit(child, max_mem_bytes, timeout_s):
        child.wait()
        raise KeyboardInterrupt

    work = _plan(tmp_path / "v")
    monkeypatch.setattr(jg, "watch_child", after_exit)
    with pytest.raises(KeyboardInterrupt):
        jg.prove(*_identity(), workdir=work)


def test_checking_a_model_leaves_nothing_behind(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    jg.check_model(*build(ModelSpec("mlp", {"width": 8, "depth": 1})))
    assert list(tmp_path.iterdir()) == []
