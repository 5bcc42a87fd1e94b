"""The one place that talks to JSTprove (GKR/sum-check, Remainder's prover): its environment, the
operators it supports, one proof in a child process, and the tamper checks.

JSTprove 2.12.1 is published on PyPI only for CPython 3.12; the project runs on 3.11. So JSTprove lives
in its own virtual environment, ``.venv-jstprove`` (created by the Makefile from
``requirements-jstprove.txt`` with pyenv's 3.12), and every call runs there as a child process
executing :mod:`chasm.experiments.jstprove_child` as a script. The torch side (ONNX export with the same
exporter as ezkl's proofs, the float output, the inference timing) stays here, so both provers prove
byte-identical ONNX files.

- :func:`interpreter` finds that environment, or raises :class:`JstproveUnavailableError` saying how to
  make it;
- :func:`check_supported` refuses an ONNX model with an operator JSTprove does not support
  (:data:`SUPPORTED_ONNX_OPS`, from its README), naming it, before anything expensive;
- :func:`prove` proves one torch model, phase by phase, with the harness of
  :mod:`chasm.experiments.prove` (memory ceiling, time limit, per-phase peaks, CPU accounting);
- :func:`tamper_checks` verifies a flipped-byte proof and a changed input against a kept proof.

JSTprove quantises at a fixed scale (2^18) and has no calibration step: its rows carry
``calibration_target = 'fixed'`` and no ``logrows``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from chasm.core import paths
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments.inference import time_inference
from chasm.experiments.prove import children_cpu_s, die_with_parent, machine_busy_s, watch_child

__all__ = ["SUPPORTED_ONNX_OPS", "PINNED_VERSION", "VISIBILITY", "JstproveUnavailableError", "interpreter",
           "available", "version", "check_supported", "check_model", "prove", "tamper_checks"]

#: What a JSTprove proof makes public (its rows' ``visibility``): the input and output tensors; the weights are
#: fixed in the circuit.
VISIBILITY = "input:public,output:public,param:fixed"
#: ONNX operators JSTprove 2.12.1 supports (its README; ``Relu`` is ONNX's spelling of ReLU).
SUPPORTED_ONNX_OPS = frozenset({
    "Add", "BatchNormalization", "Clip", "Constant", "Conv", "Div", "Flatten", "Gemm", "Max", "MaxPool",
    "Min", "Mul", "Relu", "Reshape", "Squeeze", "Sub", "Unsqueeze",
})

#: The JSTprove release measured (``requirements-jstprove.txt``).
PINNED_VERSION = "2.12.1"

_CHILD = Path(__file__).with_name("jstprove_child.py")


class JstproveUnavailableError(RuntimeError):
    """JSTprove's environment (CPython 3.12 with ``jstprove`` installed) is not on this machine."""


def _default_interpreter() -> Path:
    return paths.repo_root() / ".venv-jstprove" / "bin" / "python"


@functools.lru_cache(maxsize=4)
def _probe(python: str) -> str:
    """JSTprove's version as installed for ``python``; raises :class:`JstproveUnavailableError`."""
    if not Path(python).exists():
        raise JstproveUnavailableError(
            f"JSTprove's environment {python} is missing: JSTprove {PINNED_VERSION} needs CPython 3.12 "
            "(pyenv: `PYENV_VERSION=3.12.1 python3.12`), and `make .venv-jstprove` creates it from "
            "requirements-jstprove.txt; or set CHASM_JSTPROVE_PYTHON to an interpreter that has jstprove")
    code = ("import importlib.metadata as m, jstprove, msgpack, zstandard; "
            "print(m.version('jstprove'))")
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise JstproveUnavailableError(f"{python} cannot import jstprove, msgpack and zstandard: {last}")
    return done.stdout.strip()


def interpreter() -> Path:
    """The Python of JSTprove's environment (``CHASM_JSTPROVE_PYTHON``, else ``.venv-jstprove``), checked
    to import ``jstprove``; raises :class:`JstproveUnavailableError` with how to create it."""
    python = Path(os.environ.get("CHASM_JSTPROVE_PYTHON") or _default_interpreter())
    _probe(str(python))
    return python


def available() -> bool:
    """Whether :func:`interpreter` finds a working JSTprove environment."""
    try:
        interpreter()
    except JstproveUnavailableError:
        return False
    return True


def version() -> str:
    """The installed JSTprove version (raises :class:`JstproveUnavailableError` when absent)."""
    return _probe(str(interpreter()))


def check_supported(onnx_path: Path) -> None:
    """Raise :class:`~chasm.experiments.ezkl_gateway.UnsupportedOpError` naming every operator of the
    ONNX model that JSTprove does not support (milliseconds; nothing is compiled)."""
    bad = sorted(gw.onnx_ops(onnx_path) - SUPPORTED_ONNX_OPS)
    if bad:
        raise gw.UnsupportedOpError(
            f"JSTprove {PINNED_VERSION} does not support the ONNX operator(s) {', '.join(bad)} "
            f"(it supports {', '.join(sorted(SUPPORTED_ONNX_OPS))})")


def check_model(model, x) -> None:
    """Export ``model`` at input ``x`` to a temporary ONNX file and :func:`check_supported` it."""
    with tempfile.TemporaryDirectory(prefix="chasm-check-") as tmp:
        path = Path(tmp) / "model.onnx"
        gw.export_onnx(model, x, path)
        check_supported(path)


def _run_child(workdir: Path, *, threads: int, max_mem_bytes: int | None,
               timeout_s: float | None) -> tuple[dict, float, float]:
    """Run the child on ``workdir``; return (its record, its CPU seconds, other processes' CPU share)."""
    python = interpreter()
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads), "PYTHONWARNINGS": "ignore"}
    for stale in ("result.json", "error.json", "progress.json"):
        (workdir / stale).unlink(missing_ok=True)
    cpu0, busy0, wall0 = children_cpu_s(), machine_busy_s(), time.monotonic()
    with open(workdir / "child.log", "wb") as log:
        child = subprocess.Popen([str(python), str(_CHILD), str(workdir)], stdout=log, stderr=subprocess.STDOUT,
                                 env=env, start_new_session=True, preexec_fn=die_with_parent)
        try:
            killed = watch_child(child, max_mem_bytes, timeout_s)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise
    cpu = children_cpu_s() - cpu0
    capacity = (time.monotonic() - wall0) * (os.cpu_count() or 1)
    other = min(1.0, max(0.0, (machine_busy_s() - busy0 - cpu) / capacity))
    if (workdir / "result.json").exists():
        return json.loads((workdir / "result.json").read_text()), cpu, other
    if (workdir / "error.json").exists():
        record = json.loads((workdir / "error.json").read_text())
        record.pop("traceback", None)
        return record, cpu, other
    state = {}
    with contextlib.suppress(Exception):
        state = json.loads((workdir / "progress.json").read_text())
    code = child.returncode
    why = killed or (f"killed by signal {signal.Signals(-code).name}" if code and code < 0
                     else f"exited with status {code} without a result")
    return {"status": "killed", "failed_phase": state.get("phase"), "error": why, **state.get("record", {})}, cpu, other


def prove(model, x, *, threads: int = 1, max_mem_bytes: int | None = None, timeout_s: float | None = None,
          workdir: Path | None = None, keep: bool = False, infer_device: str = "cpu") -> dict:
    """Prove ``model(x)`` with JSTprove in a child process and return its record.

    The record has the columns of ``data/measurements/proofs.schema.yaml`` that apply: ``export_s``
    (ONNX export and input, here), ``compile_s``, ``witness_s``, ``prove_s``, ``verify_s`` (wall
    seconds) and their ``*_peak_rss_bytes`` (bytes, per phase), ``proof_bytes`` and ``compiled_bytes``
    (bytes), ``output_max_abs_err`` and ``output_rel_err`` (circuit output against the float model),
    ``infer_s`` (median torch forward pass, s), ``status`` (``ok``, ``error``, ``killed``,
    ``unsupported``) and on failure ``failed_phase`` and ``error``; it never raises for a failure inside
    the pipeline (but raises :class:`JstproveUnavailableError` when JSTprove is not installed).
    ``threads`` is JSTprove's ``RAYON_NUM_THREADS`` and torch's thread count for the inference timing.
    """
    import torch

    from chasm.experiments.models import parameter_count

    jst_version = version()
    base = {"params": parameter_count(model), "input_shape": json.dumps(list(x.shape)),
            "calibration_target": "fixed", "visibility": VISIBILITY,
            "prove_threads": threads, "prover": "jstprove", "prover_version": jst_version}
    try:
        check_model(model, x)
    except gw.UnsupportedOpError as exc:
        return {**base, "status": "unsupported", "failed_phase": "export", "error": str(exc)}
    own = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="chasm-jstprove-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        model = model.eval()
        with torch.inference_mode():
            y_float = model(x).detach().flatten().double().tolist()
        infer_s, infer_reps, torch_threads = time_inference(model, x, threads=threads, device=infer_device)
        from chasm.core.provenance import utc_now

        base.update(infer_s=infer_s, infer_reps=infer_reps, torch_threads=torch_threads,
                    infer_device=infer_device, infer_date_utc=utc_now())
        t0 = time.perf_counter()
        gw.export_onnx(model.cpu(), x.cpu(), workdir / "model.onnx")
        (workdir / "input.json").write_text(json.dumps(x.flatten().double().tolist()))
        base["export_s"] = time.perf_counter() - t0
        (workdir / "job.json").write_text(json.dumps({"mode": "prove"}))
        record, cpu, other = _run_child(workdir, threads=threads, max_mem_bytes=max_mem_bytes, timeout_s=timeout_s)
        base.update(run_cpu_s=cpu, other_cpu_frac=other)
        outputs = record.pop("outputs", None)
        scale = record.pop("scale_bits", None)
        if scale is not None:
            base.update(input_scale=scale, param_scale=scale)
        if outputs is not None:
            diffs = [abs(a - b) for a, b in zip(outputs, y_float)]
            norm = math.sqrt(sum(v * v for v in y_float)) or 1.0
            base.update(output_max_abs_err=max(diffs), output_rel_err=math.sqrt(sum(d * d for d in diffs)) / norm)
        return {**base, **{k: v for k, v in record.items() if not (isinstance(v, float) and math.isnan(v))}}
    finally:
        if own and not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def tamper_checks(workdir: Path, *, timeout_s: float | None = None) -> dict:
    """Verify, against the honest proof kept in ``workdir`` (:func:`prove` with ``keep=True``), (1) that
    proof with one byte flipped, (2) that proof with its first sum-check round message altered and
    re-sealed with a valid checksum, and (3) the honest proof with the first input element changed by 1.0.

    Also (4) that proof claiming another output. Returns ``flipped_byte_accepted``,
    ``altered_transcript_accepted``, ``other_output_accepted`` and ``changed_input_accepted`` (each must be
    False for a sound verifier) and the errors JSTprove raised, if any."""
    workdir = Path(workdir)
    if not (workdir / "proof.bin").exists():
        raise FileNotFoundError(f"{workdir} holds no proof.bin: prove with keep=True first")
    (workdir / "job.json").write_text(json.dumps({"mode": "tamper"}))
    record, _, _ = _run_child(workdir, threads=1, max_mem_bytes=None, timeout_s=timeout_s)
    if "flipped_byte_accepted" not in record:
        raise RuntimeError(f"JSTprove's tamper checks did not finish: {record.get('error')}")
    return record
