"""chasm.experiments.prove, fast: the proving child's record and the parent's reading of it, with a stand-in
for ezkl (the child's pipeline, run in this process on a scripted gateway) and a stand-in for the child
process (the parent's side: result, error, a silent death, a signal, a time limit, stale files).

The real pipeline is proven end to end by the slow tests of ``test_prove.py``; these tests check, in under
a second each, what those cannot isolate: every field of the record comes from where it should, a failure
names its phase, and the parent never reports a result the child did not write."""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import time as time_module
import types
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from chasm.core import constants
from chasm.core.specs import ModelSpec, parameter_count as spec_parameter_count
from chasm.experiments import prove
from chasm.experiments.models import build, parameter_count

SPEC = ModelSpec("mlp", {"width": 8, "depth": 1})
OUT_SCALE = 7
#: The sizes (bytes) of the files the stand-in gateway writes, all different, so each size field is
#: traced to its own file.
SIZES = {"model.ezkl": 11, "vk.key": 17, "pk.key": 19, "proof.json": 23, "srs": 13}
CIRCUIT = {"num_rows": 3001, "total_assignments": 5003, "total_const_size": 7,
           "required_range_checks": [[-1, 1]], "required_lookups": [{"ReLU": {"scale": 128}}],
           "model_output_scales": [OUT_SCALE],
           "run_args": {"logrows": 12, "num_inner_cols": 2, "input_scale": 6, "param_scale": 5,
                        "decomp_base": 16384, "disable_freivalds": True}}


class Gateway:
    """A scripted ezkl gateway: records its calls, writes files of known sizes, returns known outputs.
    ``fail`` maps a gateway function to the exception it raises; ``verified`` is what ``verify`` says."""

    def __init__(self, tmp: Path, outputs: list[float], *, verified: bool = True, fail: dict | None = None,
                 circuit: dict | None = None):
        self.calls: dict[str, tuple] = {}
        self.tmp, self.outputs, self.verified, self.fail = tmp, outputs, verified, fail or {}
        self.circuit = circuit or CIRCUIT
        self.log_text = None

    def _call(self, name, *args, **kwargs):
        self.calls[name] = (args, kwargs)
        if name in self.fail:
            raise self.fail[name]

    def export_onnx(self, model, x, path):
        self._call("export_onnx", model, x, path)
        Path(path).write_bytes(b"onnx")

    def write_input(self, path, x):
        self._call("write_input", path, x)
        Path(path).write_text("{}")

    def run_args(self, **fields):
        self._call("run_args", **fields)
        return fields

    def lay_out(self, onnx, settings, args):
        self._call("lay_out", onnx, settings, args)
        Path(settings).write_text(json.dumps({"run_args": {"logrows": 1}}))

    def calibrate(self, data, onnx, settings, *, target, scales):
        self._call("calibrate", data, onnx, settings, target=target, scales=scales)
        Path(settings).write_text(json.dumps(self.circuit))

    def compile_circuit(self, onnx, compiled, settings):
        self._call("compile_circuit", onnx, compiled, settings)
        Path(compiled).write_bytes(b"c" * SIZES["model.ezkl"])

    def ensure_srs(self, logrows):
        self._call("ensure_srs", logrows)
        srs = self.tmp / f"kzg{logrows}.srs"
        srs.write_bytes(b"s" * SIZES["srs"])
        return srs, True

    def setup(self, compiled, vk, pk, srs):
        self._call("setup", compiled, vk, pk, srs)
        Path(vk).write_bytes(b"v" * SIZES["vk.key"])
        Path(pk).write_bytes(b"p" * SIZES["pk.key"])

    def gen_witness(self, data, compiled, witness):
        self._call("gen_witness", data, compiled, witness)
        return {"outputs": [[round(v * 2 ** OUT_SCALE) for v in self.outputs]]}

    def prove(self, witness, compiled, pk, proof, srs):
        self._call("prove", witness, compiled, pk, proof, srs)
        logging.getLogger("ezkl").info("proof done in the stand-in")
        for h in logging.getLogger("ezkl").handlers:
            h.flush()
        with open(Path(proof).parent / "ezkl.log", "ab") as fh:  # ezkl's log is not always valid UTF-8
            fh.write(b"\xff\xfe progress bar\n")
        Path(proof).write_bytes(b"q" * SIZES["proof.json"])

    def verify(self, proof, settings, vk, srs):
        self._call("verify", proof, settings, vk, srs)
        return self.verified

    @staticmethod
    def felt_to_float(value, scale):
        return value / 2 ** scale

    def parse_log(self, text):
        self.log_text = text
        return {"prove_compute_s": 0.25, "setup_pk_compute_s": 0.125}


@pytest.fixture()
def child_dir(tmp_path, monkeypatch):
    """A proving child's folder as ``prove`` leaves it (model, input, job), and the ezkl logger restored."""
    model, x = build(SPEC)
    workdir = tmp_path / "run"
    workdir.mkdir()
    torch.save(model, workdir / "model.pt")
    torch.save(x, workdir / "input.pt")
    monkeypatch.setenv("RAYON_NUM_THREADS", "unset")
    logger = logging.getLogger("ezkl")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield workdir, model, x
    for h in logger.handlers[len(handlers):]:
        h.close()
    logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate


def _job(workdir: Path, **settings) -> prove.ProveSettings:
    s = prove.ProveSettings(**settings)
    (workdir / "job.json").write_text(json.dumps({"settings": asdict(s)}))
    return s


def _stand_in(monkeypatch, tmp_path, outputs, **kwargs) -> Gateway:
    gw = Gateway(tmp_path, outputs, **kwargs)
    for name in ("export_onnx", "write_input", "run_args", "lay_out", "calibrate", "compile_circuit", "ensure_srs",
                 "setup", "gen_witness", "prove", "verify", "felt_to_float", "parse_log"):
        monkeypatch.setattr(prove.gw, name, getattr(gw, name))
    def time_inference(model, x, *, threads, device, warmup, min_reps, min_s):
        gw.calls["time_inference"] = ((model, x), {"threads": threads, "device": device, "warmup": warmup,
                                                   "min_reps": min_reps, "min_s": min_s})
        return 0.004, 41, 1

    monkeypatch.setattr(prove, "time_inference", time_inference)
    return gw


def _float_outputs(model, x) -> list[float]:
    with torch.inference_mode():
        return model(x).flatten().double().tolist()


def test_the_childs_record_takes_every_field_from_its_source(child_dir, tmp_path, monkeypatch, caplog):
    workdir, model, x = child_dir
    y = _float_outputs(model, x)
    circuit_y = [v + 0.5 if i == 1 else v for i, v in enumerate(y)]  # one output off by half a unit
    gw = _stand_in(monkeypatch, tmp_path, circuit_y)
    _job(workdir, threads=3, scale=9, input_visibility="hashed", disable_freivalds=True,
             calibration_target="accuracy")
    caplog.set_level(logging.INFO)
    prove._run_child(workdir)
    record = json.loads((workdir / "result.json").read_text())

    assert record["status"] == "ok" and record["verified"] is True
    assert record["failed_phase"] is None and record["error"] is None
    assert os.environ["RAYON_NUM_THREADS"] == "3"
    # the settings reach ezkl
    assert gw.calls["run_args"][1] == {"scale": 9, "input_visibility": "hashed", "output_visibility": "public",
                                       "param_visibility": "fixed", "disable_freivalds": True}
    assert gw.calls["calibrate"][1] == {"target": "accuracy", "scales": [9]}
    assert gw.calls["ensure_srs"][0] == (12,)
    # the circuit, as ezkl's settings file describes it after calibration
    assert {k: record[k] for k in ("logrows", "num_rows", "total_assignments", "total_const_size", "num_inner_cols",
                                   "decomp_base", "input_scale", "param_scale", "disable_freivalds")} == {
        "logrows": 12, "num_rows": 3001, "total_assignments": 5003, "total_const_size": 7, "num_inner_cols": 2,
        "decomp_base": 16384, "input_scale": 6, "param_scale": 5, "disable_freivalds": True}
    assert json.loads(record["required_range_checks"]) == CIRCUIT["required_range_checks"]
    assert json.loads(record["required_lookups"]) == CIRCUIT["required_lookups"]
    # the sizes of the files the pipeline wrote, each its own
    assert (record["compiled_bytes"], record["vk_bytes"], record["pk_bytes"], record["proof_bytes"],
            record["srs_bytes"]) == (11, 17, 19, 23, 13)
    assert record["srs_generated"] is True
    # the inference timing, as measured, and the threads
    assert (record["infer_s"], record["infer_reps"], record["torch_threads"]) == (0.004, 41, 1)
    assert record["prove_threads"] == 3 and record["infer_device"] == "cpu" and record["infer_date_utc"]
    # each step is given the files the step before it wrote, and the model and input as saved
    f = {name: workdir / name for name in ("model.onnx", "input.json", "settings.json", "model.ezkl", "vk.key",
                                          "pk.key", "witness.json", "proof.json")}
    srs = tmp_path / "kzg12.srs"
    args = {name: call[0] for name, call in gw.calls.items()}
    assert args["write_input"][0] == f["input.json"] and torch.equal(args["write_input"][1], x)
    assert args["export_onnx"][2] == f["model.onnx"] and torch.equal(args["export_onnx"][1], x)
    with torch.inference_mode():
        assert torch.equal(args["export_onnx"][0](x), model(x))
    assert args["lay_out"] == (f["model.onnx"], f["settings.json"], gw.calls["run_args"][1])
    assert args["calibrate"] == (f["input.json"], f["model.onnx"], f["settings.json"])
    assert args["compile_circuit"] == (f["model.onnx"], f["model.ezkl"], f["settings.json"])
    assert args["setup"] == (f["model.ezkl"], f["vk.key"], f["pk.key"], srs)
    assert args["gen_witness"] == (f["input.json"], f["model.ezkl"], f["witness.json"])
    assert args["prove"] == (f["witness.json"], f["model.ezkl"], f["pk.key"], f["proof.json"], srs)
    assert args["verify"] == (f["proof.json"], f["settings.json"], f["vk.key"], srs)
    timed_model, timed_x = args["time_inference"]
    assert torch.equal(timed_x, x) and torch.equal(timed_model(x), model(x))
    assert gw.calls["time_inference"][1] == {"threads": 3, "device": "cpu", "warmup": 5, "min_reps": 30,
                                             "min_s": 0.2}
    # ezkl's log went to ezkl.log only (timestamp, logger, level, message), undecodable bytes and all, and
    # was parsed
    lines = (workdir / "ezkl.log").read_bytes().decode(errors="replace").splitlines()
    assert lines[0].endswith(" ezkl INFO proof done in the stand-in") and lines[0][:4].isdigit()
    assert "proof done in the stand-in" in gw.log_text and "\ufffd" in gw.log_text
    assert not [r for r in caplog.records if r.name == "ezkl"]  # not passed on to the child's other handlers
    assert (record["prove_compute_s"], record["setup_pk_compute_s"]) == (0.25, 0.125)
    # every phase timed, with its own peak
    for phase in constants.PHASES:
        assert record[f"{phase}_s"] >= 0 and record[f"{phase}_peak_rss_bytes"] > 2**20, phase
    # the output error, recomputed from the float model and the circuit's outputs (quantised at 2^-7)
    q = [round(v * 2 ** OUT_SCALE) / 2 ** OUT_SCALE for v in circuit_y]
    diffs = [abs(a - b) for a, b in zip(q, y)]
    assert record["output_max_abs_err"] == pytest.approx(max(diffs), rel=1e-12)
    assert max(diffs) > 0.49
    norm = math.sqrt(sum(v * v for v in y))
    assert record["output_rel_err"] == pytest.approx(math.sqrt(sum(d * d for d in diffs)) / norm, rel=1e-12)


def test_without_a_scale_calibration_chooses_it(child_dir, tmp_path, monkeypatch):
    """And a circuit whose settings do not mention Freivalds' check has it (ezkl's default)."""
    workdir, model, x = child_dir
    circuit = {**CIRCUIT, "run_args": {k: v for k, v in CIRCUIT["run_args"].items() if k != "disable_freivalds"}}
    gw = _stand_in(monkeypatch, tmp_path, _float_outputs(model, x), circuit=circuit)
    _job(workdir, scale=None)
    prove._run_child(workdir)
    assert gw.calls["calibrate"][1] == {"target": "resources", "scales": None}
    assert gw.calls["run_args"][1]["scale"] is None
    assert json.loads((workdir / "result.json").read_text())["disable_freivalds"] is False


def test_the_relative_error_of_an_all_zero_output_is_the_absolute_one(child_dir, tmp_path, monkeypatch):
    workdir, _, x = child_dir
    zero = torch.nn.Linear(8, 4)
    torch.nn.init.zeros_(zero.weight)
    torch.nn.init.zeros_(zero.bias)
    torch.save(zero.eval(), workdir / "model.pt")
    _stand_in(monkeypatch, tmp_path, [0.5, 0.0, 0.0, -0.25])
    _job(workdir)
    prove._run_child(workdir)
    record = json.loads((workdir / "result.json").read_text())
    assert record["output_max_abs_err"] == 0.5
    assert record["output_rel_err"] == pytest.approx(math.sqrt(0.5**2 + 0.25**2), rel=1e-12)


def test_a_failure_before_the_first_phase_has_no_phase(child_dir, tmp_path, monkeypatch):
    workdir, model, x = child_dir
    _stand_in(monkeypatch, tmp_path, _float_outputs(model, x))

    def no_timing(*args, **kwargs):
        raise RuntimeError("no clock")

    monkeypatch.setattr(prove, "time_inference", no_timing)
    _job(workdir)
    assert prove.main(["--child", str(workdir)]) == 1
    err = json.loads((workdir / "error.json").read_text())
    assert err["status"] == "error" and err["failed_phase"] is None and err["error"] == "RuntimeError: no clock"


def test_an_honest_proof_that_does_not_verify_is_an_error_of_the_verify_phase(child_dir, tmp_path, monkeypatch):
    workdir, model, x = child_dir
    _stand_in(monkeypatch, tmp_path, _float_outputs(model, x), verified=False)
    _job(workdir)
    prove._run_child(workdir)
    record = json.loads((workdir / "result.json").read_text())
    assert record["verified"] is False and record["status"] == "error"
    assert record["failed_phase"] == "verify" and record["error"] == "honest proof did not verify"
    assert record["output_max_abs_err"] < 2 ** -OUT_SCALE  # the outputs themselves were right


@pytest.mark.parametrize("phase, function, exc, status", [
    ("compile", "compile_circuit", prove.gw.UnsupportedOpError("op Gather is not supported"), "unsupported"),
    ("setup", "setup", RuntimeError("out of disk"), "error"),
    ("export", "export_onnx", ValueError("bad graph"), "error"),
])
def test_a_failure_in_the_child_names_its_phase_and_keeps_what_was_measured(child_dir, tmp_path, monkeypatch,
                                                                            phase, function, exc, status):
    workdir, model, x = child_dir
    _stand_in(monkeypatch, tmp_path, _float_outputs(model, x), fail={function: exc})
    _job(workdir)
    assert prove.main(["--child", str(workdir)]) == 1
    assert not (workdir / "result.json").exists()
    err = json.loads((workdir / "error.json").read_text())
    assert err["status"] == status and err["failed_phase"] == phase
    assert err["error"] == f"{type(exc).__name__}: {exc}"
    assert "Traceback" in err["traceback"] and function in err["traceback"]
    assert err["infer_s"] == 0.004  # measured before the failure, kept
    before = constants.PHASES[:constants.PHASES.index(phase)]
    assert all(f"{p}_s" in err for p in before) and f"{phase}_s" not in err


def test_a_child_that_succeeds_exits_zero(child_dir, tmp_path, monkeypatch):
    workdir, model, x = child_dir
    _stand_in(monkeypatch, tmp_path, _float_outputs(model, x))
    _job(workdir)
    assert prove.main(["--child", str(workdir)]) == 0
    assert not (workdir / "error.json").exists() and (workdir / "result.json").exists()


# ---------------------------------------------------------------- the parent, with a stand-in child

STAND_IN = r"""
import json, os, signal, sys, time
from pathlib import Path
mode, workdir = sys.argv[1], Path(sys.argv[2])
seen = {"threads": os.environ.get("RAYON_NUM_THREADS"), "warnings": os.environ.get("PYTHONWARNINGS"),
        "job": json.loads((workdir / "job.json").read_text()), "files": sorted(p.name for p in workdir.iterdir())}
if mode == "result":
    import torch
    model = torch.load(workdir / "model.pt", weights_only=False)
    seen["model"] = type(model).__name__
    seen["output"] = model(torch.load(workdir / "input.pt")).flatten().tolist()
print("to stdout", flush=True)
print("to stderr", file=sys.stderr, flush=True)
def write(name, payload):
    (workdir / name).write_text(json.dumps(payload))
if mode == "result":
    write("result.json", {"status": "ok", "verified": True, "infer_s": float("nan"), "seen": seen, "logrows": 12})
elif mode == "error":
    write("error.json", {"status": "error", "failed_phase": "setup", "error": "RuntimeError: x",
                         "traceback": "Traceback ...", "seen": seen})
elif mode == "exit":
    write("progress.json", {"phase": "setup", "record": {"infer_s": 0.5, "export_s": 0.1}})
    sys.exit(3)
elif mode == "signal":
    write("progress.json", {"phase": "prove", "record": {"setup_s": 2.0}})
    os.kill(os.getpid(), signal.SIGTERM)
elif mode == "sleep":
    write("progress.json", {"phase": "calibrate", "record": {}})
    time.sleep(60)
elif mode == "silent":
    sys.exit(3)
elif mode == "zero":
    sys.exit(0)
elif mode == "vanish":
    import shutil
    shutil.rmtree(workdir)
    sys.exit(3)
"""


@pytest.fixture()
def stand_in_child(monkeypatch):
    """Replace the proving child by :data:`STAND_IN` in the mode ``set_mode`` sets; collect the command lines
    ``prove`` asked for."""
    state = {"mode": "result", "argv": [], "kwargs": []}
    real = subprocess.Popen

    def popen(argv, **kwargs):
        state["argv"].append(argv)
        state["kwargs"].append(kwargs)
        return real([sys.executable, "-c", STAND_IN, state["mode"], argv[-1]], **kwargs)

    def check_model(model, x):
        state.setdefault("checked", []).append((model, x))

    monkeypatch.setattr(prove.subprocess, "Popen", popen)
    monkeypatch.setattr(prove, "check_model", check_model)
    return state


def test_the_parent_merges_the_childs_result_with_what_it_knows(stand_in_child, tmp_path):
    model, x = build(SPEC)
    s = prove.ProveSettings(threads=3, input_visibility="hashed", calibration_target="accuracy")
    record = prove.prove(model, x, settings=s, workdir=tmp_path / "w", keep=True)
    assert stand_in_child["argv"] == [[sys.executable, "-m", "chasm.experiments.prove", "--child",
                                       str(tmp_path / "w")]]
    kwargs = stand_in_child["kwargs"][0]
    assert kwargs["start_new_session"] is True and kwargs["preexec_fn"] is prove.die_with_parent
    assert record["status"] == "ok" and record["verified"] is True and record["logrows"] == 12
    assert record["infer_s"] is None  # NaN is not a value a CSV or JSON reader agrees on
    # what only the parent knows
    assert record["params"] == parameter_count(model) == spec_parameter_count(SPEC)
    assert json.loads(record["input_shape"]) == list(x.shape)
    assert record["calibration_target"] == "accuracy" and record["visibility"] == s.visibility
    assert record["prove_threads"] == 3 and record["prover"] == "ezkl"
    assert record["prover_version"] == prove.gw.installed_version()
    assert record["run_cpu_s"] > 0 and 0 <= record["other_cpu_frac"] <= 1
    # what the child was given
    seen = record["seen"]
    assert seen["threads"] == "3" and seen["warnings"] == "ignore" and seen["job"] == {"settings": asdict(s)}
    assert {"model.pt", "input.pt", "job.json"} <= set(seen["files"])
    with torch.inference_mode():
        assert seen["model"] == type(model).__name__ and seen["output"] == model(x).flatten().tolist()
    assert torch.equal(torch.load(tmp_path / "w" / "input.pt", weights_only=False), x)
    # the model was checked for unsupported operators first, and the child's output went to child.log
    (checked_model, checked_x), = stand_in_child["checked"]
    assert checked_model is model and checked_x is x
    assert (tmp_path / "w" / "child.log").read_text().splitlines() == ["to stdout", "to stderr"]


def test_the_parent_reads_the_childs_error_without_its_traceback(stand_in_child, tmp_path):
    stand_in_child["mode"] = "error"
    model, x = build(SPEC)
    record = prove.prove(model, x, workdir=tmp_path / "w")
    assert record["status"] == "error" and record["failed_phase"] == "setup" and record["error"] == "RuntimeError: x"
    assert "traceback" not in record


@pytest.mark.parametrize("mode, phase, error, kept", [
    ("exit", "setup", "exited with status 3 without a result", {"infer_s": 0.5, "export_s": 0.1}),
    ("signal", "prove", "killed by signal SIGTERM", {"setup_s": 2.0}),
])
def test_a_child_that_dies_without_a_result_is_killed_in_its_phase(stand_in_child, tmp_path, mode, phase, error,
                                                                    kept):
    stand_in_child["mode"] = mode
    model, x = build(SPEC)
    record = prove.prove(model, x, workdir=tmp_path / "w")
    assert record["status"] == "killed" and record["failed_phase"] == phase and record["error"] == error
    assert {k: record[k] for k in kept} == kept


def test_a_time_limit_kills_the_child_and_says_so(stand_in_child, tmp_path):
    stand_in_child["mode"] = "sleep"  # writes its progress at once, then sleeps a minute
    model, x = build(SPEC)
    record = prove.prove(model, x, workdir=tmp_path / "w", timeout_s=5)
    assert record["status"] == "killed" and record["failed_phase"] == "calibrate"
    assert record["error"] == "exceeded the time limit of 5 s"


def test_stale_files_of_an_earlier_run_are_never_read_as_this_runs(stand_in_child, tmp_path):
    workdir = tmp_path / "w"
    workdir.mkdir()
    for name in ("result.json", "error.json"):
        (workdir / name).write_text(json.dumps({"status": "ok", "verified": True}))
    (workdir / "progress.json").write_text(json.dumps({"phase": "verify", "record": {"old": 1}}))
    stand_in_child["mode"] = "exit"
    model, x = build(SPEC)
    record = prove.prove(model, x, workdir=workdir)
    assert record["status"] == "killed" and record["failed_phase"] == "setup" and "old" not in record


def test_a_folder_of_its_own_is_removed_unless_kept(stand_in_child, monkeypatch, tmp_path):
    monkeypatch.setattr(prove.tempfile, "tempdir", str(tmp_path))
    stand_in_child["mode"] = "silent"
    model, x = build(SPEC)
    prove.prove(model, x)
    workdir = Path(stand_in_child["argv"][-1][-1])
    assert workdir.name.startswith("chasm-prove-") and not workdir.exists()
    prove.prove(model, x, keep=True)
    workdir = Path(stand_in_child["argv"][-1][-1])
    assert workdir.name.startswith("chasm-prove-") and (workdir / "child.log").exists()
    assert workdir.parent == tmp_path


def test_a_folder_given_is_kept_even_without_keep_and_made_with_its_parents(stand_in_child, tmp_path):
    stand_in_child["mode"] = "silent"
    model, x = build(SPEC)
    prove.prove(model, x, workdir=tmp_path / "new" / "given")
    assert (tmp_path / "new" / "given" / "child.log").exists()


def test_a_folder_that_vanished_under_the_child_is_a_record_not_a_crash(stand_in_child):
    stand_in_child["mode"] = "vanish"
    model, x = build(SPEC)
    record = prove.prove(model, x)
    assert record["status"] == "killed" and record["error"] == "exited with status 3 without a result"


@pytest.mark.parametrize("mode, error", [("silent", "exited with status 3 without a result"),
                                         ("zero", "exited with status 0 without a result")])
def test_a_child_that_wrote_nothing_has_no_phase_even_after_a_stale_progress_file(stand_in_child, tmp_path,
                                                                                 mode, error):
    workdir = tmp_path / "w"
    workdir.mkdir()
    (workdir / "progress.json").write_text(json.dumps({"phase": "verify", "record": {"old": 1}}))
    stand_in_child["mode"] = mode
    model, x = build(SPEC)
    record = prove.prove(model, x, workdir=workdir)
    assert record["status"] == "killed" and record["failed_phase"] is None and record["error"] == error
    assert "old" not in record


def test_a_memory_ceiling_reaches_the_watchdog(stand_in_child):
    stand_in_child["mode"] = "sleep"
    model, x = build(SPEC)
    record = prove.prove(model, x, max_mem_bytes=2**20)  # one MiB: any Python process is over it
    assert record["status"] == "killed" and "--max-mem 0.00 GiB" in record["error"]


def test_an_interrupted_proof_kills_its_child_removes_its_folder_and_raises(stand_in_child, monkeypatch, tmp_path):
    monkeypatch.setattr(prove.tempfile, "tempdir", str(tmp_path))
    stand_in_child["mode"] = "sleep"
    started = {}

    def interrupted(child, max_mem_bytes, timeout_s):
        started["child"] = child
        while not (Path(stand_in_child["argv"][-1][-1]) / "progress.json").exists():
            assert child.poll() is None
        raise KeyboardInterrupt

    monkeypatch.setattr(prove, "watch_child", interrupted)
    model, x = build(SPEC)
    with pytest.raises(KeyboardInterrupt):
        prove.prove(model, x)
    assert started["child"].returncode == -9  # killed (SIGKILL) and reaped, not left sleeping
    assert list(tmp_path.iterdir()) == []  # and its folder removed


def test_cpu_accounting_of_a_run_by_known_answers(stand_in_child, monkeypatch):
    """``run_cpu_s`` is the children's CPU seconds during the run; ``other_cpu_frac`` the machine's other busy
    CPU seconds over the run's capacity (wall seconds times CPUs), clipped to [0, 1]."""
    class Clock:
        def __init__(self):
            self.ticks = iter([1000.0])

        def monotonic(self):
            return next(self.ticks, 1010.0)  # 10 s of wall time from the start of the run

        sleep = staticmethod(time_module.sleep)
        perf_counter = staticmethod(time_module.perf_counter)

    monkeypatch.setattr(prove.os, "cpu_count", lambda: 4)
    stand_in_child["mode"] = "silent"
    model, x = build(SPEC)
    for busy_end, other in ((115.0, 0.3), (200.0, 1.0), (101.0, 0.0)):
        monkeypatch.setattr(prove, "time", Clock())
        children = iter([10.0, 13.0])
        busy = iter([100.0, busy_end])
        monkeypatch.setattr(prove, "children_cpu_s", lambda: next(children))
        monkeypatch.setattr(prove, "machine_busy_s", lambda: next(busy))
        record = prove.prove(model, x)
        assert record["run_cpu_s"] == 3.0
        assert record["other_cpu_frac"] == pytest.approx(other, abs=1e-12), busy_end


def test_machine_busy_seconds_leave_out_idle_and_waiting_for_io(monkeypatch):
    from collections import namedtuple

    with_iowait = namedtuple("scputimes", "user nice system idle iowait irq")
    monkeypatch.setattr(prove.psutil, "cpu_times", lambda: with_iowait(1.0, 2.0, 4.0, 100.0, 8.0, 16.0))
    assert prove.machine_busy_s() == 23.0
    without = namedtuple("scputimes", "user system idle")  # no iowait field (not Linux)
    monkeypatch.setattr(prove.psutil, "cpu_times", lambda: without(1.0, 4.0, 100.0))
    assert prove.machine_busy_s() == 5.0


def test_childrens_cpu_seconds_are_their_user_plus_system_seconds():
    """A waited-for child that spends time in the kernel (reading /dev/urandom) and in Python: the parent's
    count grows by what the child counts for itself, user and system together."""
    code = ("import os\nfd = os.open('/dev/urandom', os.O_RDONLY)\n"
            "for _ in range(300): os.read(fd, 1 << 20)\n"
            "x = sum(i * i for i in range(2_000_000))\n"
            "t = os.times(); print(t.user, t.system)")
    before = prove.children_cpu_s()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after = prove.children_cpu_s()
    user, system = map(float, done.stdout.split())
    assert system > 0.05 and user > 0.05
    assert after - before == pytest.approx(user + system, abs=0.05)


def test_peak_memory_is_this_processs_high_water_mark_and_a_reset_lowers_it():
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError as exc:
        pytest.skip(f"this kernel does not let a process reset its peak memory ({exc})")

    def status(field):
        line = next(v for v in Path("/proc/self/status").read_text().splitlines() if v.startswith(field + ":"))
        return int(line.split()[1]) * 1024

    block = bytearray(96 * 2**20)  # touched, then handed back to the system
    block[::4096] = b"\x01" * len(block[::4096])
    del block
    assert prove._peak_rss_bytes() == status("VmHWM") and status("VmHWM") - status("VmRSS") > 64 * 2**20
    prove._peak_reset()
    assert status("VmHWM") - status("VmRSS") < 16 * 2**20


def test_check_model_refuses_an_unsupported_operator_by_name_and_leaves_nothing_behind(monkeypatch, tmp_path):
    monkeypatch.setattr(prove.tempfile, "tempdir", str(tmp_path))
    model, x = build(SPEC)
    assert prove.check_model(model, x) is None
    class NonZero(torch.nn.Module):
        def forward(self, x):
            return torch.nonzero(x > 0).float()

    with pytest.raises(prove.gw.UnsupportedOpError, match="NonZero"):
        prove.check_model(NonZero(), torch.randn(1, 8))
    assert list(tmp_path.iterdir()) == []


def test_an_unsupported_model_is_refused_before_any_child(stand_in_child, monkeypatch):
    def refuse(model, x):
        raise prove.gw.UnsupportedOpError("Softmax is not supported")

    monkeypatch.setattr(prove, "check_model", refuse)
    model, x = build(SPEC)
    record = prove.prove(model, x, settings=prove.ProveSettings(threads=2))
    assert record["status"] == "unsupported" and record["failed_phase"] == "export"
    assert record["error"] == "Softmax is not supported" and record["prove_threads"] == 2
    assert stand_in_child["argv"] == []


def test_json_safe_turns_only_nan_into_none():
    assert prove._json_safe(float("nan")) is None
    assert prove._json_safe(0.0) == 0.0 and prove._json_safe(math.inf) == math.inf and prove._json_safe("x") == "x"


def test_every_documented_setting_is_accepted_and_each_bad_one_refused_by_name():
    ok = prove.ProveSettings(input_visibility="polycommit", output_visibility="polycommit", param_visibility="private",
                             threads=1)
    assert ok.visibility == "input:polycommit,output:polycommit,param:private"
    assert prove.ProveSettings(param_visibility="public").visibility.endswith("param:public")
    with pytest.raises(ValueError, match=r"^param_visibility must be 'fixed', 'private' or 'public'$"):
        prove.ProveSettings(param_visibility="hashed")
    with pytest.raises(ValueError, match=r"^threads must be >= 1$"):
        prove.ProveSettings(threads=0)


def test_the_child_entry_needs_its_folder():
    with pytest.raises(SystemExit) as exit_:
        prove.main([])
    assert exit_.value.code == 2


def test_a_peak_reset_where_linux_refuses_it_is_not_an_error(monkeypatch):
    class Refused:
        def __init__(self, *args):
            pass

        def write_text(self, text):
            raise PermissionError("clear_refs")

    monkeypatch.setattr(prove, "Path", Refused)
    assert prove._peak_reset() is None


_HOLD = "import time; block = b'\\x01' * (192 * 2**20); time.sleep(60)"
_SPAWN = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', sys.argv[1]]); time.sleep(60)"


def test_the_watchdog_counts_the_memory_of_every_descendant_and_says_how_much():
    """The prover's memory may sit in a descendant: a child holding little, whose child holds little, whose
    child holds 192 MiB, is killed at a 128 MiB ceiling, and the reason gives both sizes in GiB."""
    middle = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {_SPAWN!r}, {_HOLD!r}]); " \
             "time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", middle], start_new_session=True)
    reason = prove.watch_child(child, 128 * 2**20, timeout_s=20)
    assert reason is not None and reason.startswith("resident memory"), reason
    held = float(reason.split()[2])
    assert 128 / 1024 < held < 1.0 and reason.endswith("exceeded --max-mem 0.12 GiB")


class _FakeChild:
    """A child that is still running for ``polls`` polls, then exits 0."""

    def __init__(self, polls: int):
        self.pid, self.polls, self.returncode = 424242, polls, None

    def poll(self):
        self.polls -= 1
        if self.polls < 0:
            self.returncode = 0
        return self.returncode

    def wait(self):
        self.returncode = -9 if self.returncode is None else self.returncode
        return self.returncode


class _FakeTree:
    """``psutil.Process`` of a child whose resident memory (bytes) reads ``rss`` one poll after another; a
    reading of ``None`` is a process that exited between being listed and being read."""

    def __init__(self, readings):
        self.readings = iter(readings)

    def __call__(self, pid):
        return self

    def memory_info(self):
        value = next(self.readings)
        if value is None:
            raise prove.psutil.NoSuchProcess(424242)
        return types.SimpleNamespace(rss=value)

    def children(self, recursive):
        assert recursive is True
        return []


@pytest.fixture()
def watched(monkeypatch):
    """``watch_child``'s clock, sleeps and kills, recorded: ``monotonic`` reads ``ticks``."""
    state = {"sleeps": [], "kills": [], "ticks": iter([])}
    monkeypatch.setattr(prove, "time", types.SimpleNamespace(
        monotonic=lambda: next(state["ticks"], 0.0), sleep=lambda s: state["sleeps"].append(s)))

    def killpg(pid, sig):
        state["kills"].append((pid, sig))
        raise ProcessLookupError(pid)  # the group is gone already: not an error

    monkeypatch.setattr(prove.os, "killpg", killpg)
    return state


def test_the_watchdog_kills_only_strictly_over_the_ceiling_and_checks_ten_times_a_second(watched, monkeypatch):
    monkeypatch.setattr(prove.psutil, "Process", _FakeTree([100, None, 128, 129]))
    child = _FakeChild(polls=10)
    reason = prove.watch_child(child, 128, timeout_s=None)
    assert reason == "resident memory 0.00 GiB exceeded --max-mem 0.00 GiB"
    assert watched["kills"] == [(424242, prove.signal.SIGKILL)] and child.returncode == -9
    assert watched["sleeps"] == [0.1, 0.1, 0.1]  # at the ceiling (128) it waited; one byte over, it killed


def test_the_watchdog_kills_only_strictly_after_the_time_limit(watched, monkeypatch):
    monkeypatch.setattr(prove.psutil, "Process", _FakeTree([]))
    watched["ticks"] = iter([0.0, 5.0, 10.0, 10.5])  # start, then one reading per poll
    child = _FakeChild(polls=10)
    assert prove.watch_child(child, None, timeout_s=10) == "exceeded the time limit of 10 s"
    assert watched["sleeps"] == [0.1, 0.1] and len(watched["kills"]) == 1


def test_a_child_that_exits_in_time_is_left_alone(watched, monkeypatch):
    monkeypatch.setattr(prove.psutil, "Process", _FakeTree([1, 1]))
    watched["ticks"] = iter([0.0, 1.0, 2.0])
    child = _FakeChild(polls=2)
    assert prove.watch_child(child, 10, timeout_s=60) is None
    assert watched["kills"] == [] and child.returncode == 0


def test_the_prover_interface_passes_every_setting_to_ezkls_prove(monkeypatch, tmp_path):
    """``provers.prove("ezkl", ...)`` (the sweep's and the EVM measurement's way in) is ezkl's ``prove`` with
    the settings it was given; the proofs that test the pipeline call ``prove`` itself."""
    from chasm.experiments import provers

    calls = []
    monkeypatch.setattr(provers.ezkl_prove, "prove", lambda model, x, **kwargs: calls.append(kwargs) or {"ok": 1})
    model, x = build(SPEC)
    assert provers.prove("ezkl", model, x, threads=3, max_mem_bytes=7, timeout_s=9.0, infer_device="cuda",
                         calibration_target="accuracy", scale=11, keep=True, workdir=tmp_path) == {"ok": 1}
    assert provers.prove("ezkl", model, x) == {"ok": 1}
    given, default = calls
    assert given["settings"] == prove.ProveSettings(calibration_target="accuracy", threads=3, infer_device="cuda",
                                                    scale=11)
    assert {k: given[k] for k in ("max_mem_bytes", "timeout_s", "keep", "workdir")} == {
        "max_mem_bytes": 7, "timeout_s": 9.0, "keep": True, "workdir": tmp_path}
    assert default["settings"] == prove.ProveSettings(threads=1)
    assert {k: default[k] for k in ("max_mem_bytes", "timeout_s", "keep", "workdir")} == {
        "max_mem_bytes": None, "timeout_s": None, "keep": False, "workdir": None}
