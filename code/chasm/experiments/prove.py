"""One zero-knowledge proof of one torch model, timed phase by phase.

:func:`prove` is the single entry point. It takes a torch model and an input
and runs the whole ezkl pipeline in a fresh child process::

    export -> settings -> calibrate -> compile -> srs -> setup -> witness -> prove -> verify

and returns one flat record (a ``dict`` whose keys are the columns of
``data/measurements/proofs.schema.yaml``): the wall time of every phase
(``<phase>_s``, seconds), the peak resident memory of every phase
(``<phase>_peak_rss_bytes``; the kernel's high-water mark ``VmHWM`` is reset at
the start of each phase through ``/proc/self/clear_refs``), circuit size as
reported by ezkl, artefact sizes, the quantisation error of the circuit's
output against the float model, and the median torch inference time of the same
model and batch.

Why a child process: peak memory is then the proof's own, an out-of-memory kill
or a crash inside ezkl's native code is recorded (``status='killed'`` with the
phase it died in) instead of taking the sweep down, and the parent can enforce
a memory ceiling by killing the child.

Python's ``ezkl.prove`` and ``ezkl.verify`` wall times include reading the SRS
and keys from disk. ezkl's own log reports its compute times; they are parsed
into ``setup_vk_compute_s``, ``setup_pk_compute_s``, ``pk_load_s``,
``prove_compute_s`` and ``verify_compute_s`` so compute and I/O can be
separated.

Every ezkl call goes through :mod:`chasm.experiments.ezkl_gateway`: SRS files come only from
``ezkl.gen_srs`` (a locally generated, testing-grade structured reference string, cached per logrows);
they are never downloaded. Forged proofs for soundness checks are :mod:`chasm.experiments.soundness`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from chasm.core.constants import DEFAULT_SCALE
from chasm.core.provenance import utc_now
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments.inference import time_inference

__all__ = ["ProveSettings", "check_model", "prove", "die_with_parent", "watch_child", "children_cpu_s",
           "machine_busy_s", "main"]


@dataclass(frozen=True)
class ProveSettings:
    """How to prove: visibility, precision, calibration and resources.

    ``scale`` fixes ezkl's input and parameter scale (bits); ``None`` lets
    calibration choose. ``threads`` is given to ezkl as ``RAYON_NUM_THREADS``
    and to torch for the inference timing. ``infer_min_reps`` forward passes
    (after ``infer_warmup`` warm-ups, and at least ``infer_min_s`` seconds of
    them) are timed and their median recorded.
    """

    calibration_target: str = "resources"
    scale: int | None = DEFAULT_SCALE
    input_visibility: str = gw.DEFAULT_VISIBILITY["input_visibility"]
    output_visibility: str = gw.DEFAULT_VISIBILITY["output_visibility"]
    param_visibility: str = gw.DEFAULT_VISIBILITY["param_visibility"]
    threads: int = os.cpu_count() or 1
    disable_freivalds: bool = False
    infer_warmup: int = 5
    infer_min_reps: int = 30
    infer_min_s: float = 0.2
    infer_device: str = "cpu"

    def __post_init__(self) -> None:
        if self.calibration_target not in ("resources", "accuracy"):
            raise ValueError(f"calibration_target must be 'resources' or 'accuracy', not {self.calibration_target!r}")
        for name in ("input_visibility", "output_visibility"):
            if getattr(self, name) not in ("private", "public", "hashed", "polycommit"):
                raise ValueError(f"{name} must be 'private', 'public', 'hashed' or 'polycommit'")
        if self.param_visibility not in ("fixed", "private", "public"):
            raise ValueError("param_visibility must be 'fixed', 'private' or 'public'")
        if self.threads < 1:
            raise ValueError("threads must be >= 1")

    @property
    def visibility(self) -> str:
        return (f"input:{self.input_visibility},output:{self.output_visibility},"
                f"param:{self.param_visibility}")


# ---------------------------------------------------------------- peak memory

def _peak_reset() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return psutil.Process().memory_info().rss


def check_model(model, x) -> None:
    """Export ``model`` to a temporary ONNX file and refuse unsupported operators.

    Runs in the calling process, before any child or ezkl call, so an
    unsupported model fails in a second with :class:`UnsupportedOpError`.
    """
    with tempfile.TemporaryDirectory(prefix="chasm-check-") as tmp:
        path = Path(tmp) / "model.onnx"
        gw.export_onnx(model, x, path)
        gw.check_supported(path)


# ---------------------------------------------------------------- child side

class _Progress:
    """Phase bookkeeping in the child: times, peaks, and a progress file."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.record: dict = {}

    def _write(self, name: str, payload: dict) -> None:
        tmp = self.workdir / f".{name}.tmp"
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, self.workdir / name)

    @contextlib.contextmanager
    def phase(self, name: str):
        self._write("progress.json", {"phase": name, "record": self.record})
        _peak_reset()
        t0 = time.perf_counter()
        yield
        self.record[f"{name}_s"] = time.perf_counter() - t0
        self.record[f"{name}_peak_rss_bytes"] = _peak_rss_bytes()

    def finish(self, **fields) -> None:
        self.record.update(fields)
        self._write("result.json", self.record)


def _run_child(workdir: Path) -> None:
    """Run the pipeline described by ``workdir/job.json``; write ``result.json``."""
    job = json.loads((workdir / "job.json").read_text())
    settings = ProveSettings(**job["settings"])
    os.environ["RAYON_NUM_THREADS"] = str(settings.threads)
    log_path = workdir / "ezkl.log"
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    ezkl_logger = logging.getLogger("ezkl")
    ezkl_logger.setLevel(logging.INFO)
    ezkl_logger.addHandler(handler)
    ezkl_logger.propagate = False

    import torch

    progress = _Progress(workdir)
    f = {k: workdir / k for k in ("model.onnx", "input.json", "settings.json", "model.ezkl",
                                   "vk.key", "pk.key", "witness.json", "proof.json")}
    model = torch.load(workdir / "model.pt", weights_only=False)
    x = torch.load(workdir / "input.pt", weights_only=False)
    with torch.inference_mode():
        y_float = model(x).detach().flatten().double()

    infer_s, infer_reps, torch_threads = time_inference(model, x, threads=settings.threads,
                                                        device=settings.infer_device,
                                                        warmup=settings.infer_warmup,
                                                        min_reps=settings.infer_min_reps,
                                                        min_s=settings.infer_min_s)

    progress.record.update(infer_s=infer_s, infer_reps=infer_reps, torch_threads=torch_threads,
                           infer_device=settings.infer_device, prove_threads=settings.threads,
                           infer_date_utc=utc_now())

    with progress.phase("export"):
        gw.export_onnx(model.cpu(), x.cpu(), f["model.onnx"])
        gw.write_input(f["input.json"], x.cpu())

    with progress.phase("settings"):
        args = gw.run_args(scale=settings.scale, input_visibility=settings.input_visibility,
                           output_visibility=settings.output_visibility,
                           param_visibility=settings.param_visibility, disable_freivalds=settings.disable_freivalds)
        gw.lay_out(f["model.onnx"], f["settings.json"], args)

    with progress.phase("calibrate"):
        gw.calibrate(f["input.json"], f["model.onnx"], f["settings.json"], target=settings.calibration_target,
                     scales=[settings.scale] if settings.scale is not None else None)

    with progress.phase("compile"):
        gw.compile_circuit(f["model.onnx"], f["model.ezkl"], f["settings.json"])

    circuit = json.loads(f["settings.json"].read_text())
    ra = circuit["run_args"]
    logrows = int(ra["logrows"])
    progress.record.update(
        logrows=logrows, num_rows=circuit["num_rows"], total_assignments=circuit["total_assignments"],
        total_const_size=circuit.get("total_const_size"), num_inner_cols=ra["num_inner_cols"],
        required_range_checks=json.dumps(circuit.get("required_range_checks")),
        required_lookups=json.dumps(circuit.get("required_lookups")),
        disable_freivalds=bool(ra.get("disable_freivalds", False)), decomp_base=ra.get("decomp_base"),
        input_scale=ra["input_scale"], param_scale=ra["param_scale"],
    )

    with progress.phase("srs"):
        srs, generated = gw.ensure_srs(logrows)
    progress.record.update(srs_generated=generated, srs_bytes=srs.stat().st_size)

    with progress.phase("setup"):
        gw.setup(f["model.ezkl"], f["vk.key"], f["pk.key"], srs)

    with progress.phase("witness"):
        witness = gw.gen_witness(f["input.json"], f["model.ezkl"], f["witness.json"])

    with progress.phase("prove"):
        gw.prove(f["witness.json"], f["model.ezkl"], f["pk.key"], f["proof.json"], srs)

    with progress.phase("verify"):
        verified = gw.verify(f["proof.json"], f["settings.json"], f["vk.key"], srs)

    out_scale = circuit["model_output_scales"][0]
    y_circuit = [gw.felt_to_float(v, out_scale) for v in witness["outputs"][0]]
    y_ref = y_float.tolist()
    diffs = [abs(a - b) for a, b in zip(y_circuit, y_ref)]
    norm = math.sqrt(sum(v * v for v in y_ref)) or 1.0
    progress.finish(
        verified=verified,
        status="ok" if verified else "error",
        failed_phase=None if verified else "verify",
        error=None if verified else "honest proof did not verify",
        output_max_abs_err=max(diffs),
        output_rel_err=math.sqrt(sum(d * d for d in diffs)) / norm,
        proof_bytes=f["proof.json"].stat().st_size, pk_bytes=f["pk.key"].stat().st_size,
        vk_bytes=f["vk.key"].stat().st_size, compiled_bytes=f["model.ezkl"].stat().st_size,
        **gw.parse_log(log_path.read_text(errors="replace")),
    )


def _child_entry(workdir: Path) -> int:
    progress = _Progress(workdir)
    try:
        _run_child(workdir)
        return 0
    except BaseException as exc:  # recorded, never silent: the parent reads error.json
        state = {}
        with contextlib.suppress(Exception):
            state = json.loads((workdir / "progress.json").read_text())
        payload = {
            "status": "unsupported" if isinstance(exc, gw.UnsupportedOpError) else "error",
            "failed_phase": state.get("phase"),
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            **state.get("record", {}),
        }
        progress._write("error.json", payload)
        return 1


# ---------------------------------------------------------------- parent side

def _json_safe(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def prove(model, x, *, settings: ProveSettings | None = None, workdir: Path | None = None,
          max_mem_bytes: int | None = None, timeout_s: float | None = None,
          keep: bool = False) -> dict:
    """Prove ``model(x)`` with ezkl in a child process and return its record.

    ``model`` is a torch module, ``x`` its input batch. ``max_mem_bytes`` kills
    the child when its resident memory exceeds it (recorded as
    ``status='killed'``); ``timeout_s`` likewise for wall time. Artefacts are
    written to ``workdir`` (a temporary folder, removed unless ``keep``).

    The record always has ``status`` (``ok``, ``error``, ``killed``,
    ``unsupported``), and on failure ``failed_phase`` and ``error``; it never
    raises for a failure inside the pipeline.
    """
    from chasm.experiments.models import parameter_count

    settings = settings or ProveSettings()
    base = {
        "params": parameter_count(model),
        "input_shape": json.dumps(list(x.shape)),
        "calibration_target": settings.calibration_target,
        "visibility": settings.visibility,
        "prove_threads": settings.threads,
        "prover": "ezkl",
        "prover_version": gw.installed_version(),
    }
    try:
        check_model(model, x)
    except gw.UnsupportedOpError as exc:
        return {**base, "status": "unsupported", "failed_phase": "export", "error": str(exc)}
    own_dir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="chasm-prove-"))
    try:
        record = _run_in_child(workdir, model, x, settings, max_mem_bytes, timeout_s, base)
        return {**base, **record}
    finally:  # a folder of its own is removed on every way out, an interrupted proof's too
        if own_dir and not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _run_in_child(workdir: Path, model, x, settings: ProveSettings, max_mem_bytes: int | None,
                  timeout_s: float | None, base: dict) -> dict:
    """The parent's side of :func:`prove` in ``workdir``: start the child, watch it, read what it left.
    Adds ``run_cpu_s`` and ``other_cpu_frac`` to ``base``; returns the child's record (NaN as ``None``)."""
    import torch

    workdir.mkdir(parents=True, exist_ok=True)
    for stale in ("result.json", "error.json", "progress.json"):
        (workdir / stale).unlink(missing_ok=True)
    torch.save(model, workdir / "model.pt")
    torch.save(x, workdir / "input.pt")
    (workdir / "job.json").write_text(json.dumps({"settings": asdict(settings)}))

    env = {**os.environ, "RAYON_NUM_THREADS": str(settings.threads), "PYTHONWARNINGS": "ignore"}
    usage_before, busy_before, wall_before = children_cpu_s(), machine_busy_s(), time.monotonic()
    with open(workdir / "child.log", "wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "chasm.experiments.prove", "--child", str(workdir)],
                                 stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                 preexec_fn=die_with_parent)
        try:
            killed_reason = watch_child(child, max_mem_bytes, timeout_s)
        except BaseException:  # interrupted sweep: never leave an orphaned prover behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise

    run_cpu_s = children_cpu_s() - usage_before
    capacity = (time.monotonic() - wall_before) * (os.cpu_count() or 1)
    base["run_cpu_s"] = run_cpu_s
    base["other_cpu_frac"] = min(1.0, max(0.0, (machine_busy_s() - busy_before - run_cpu_s) / capacity))
    if (workdir / "result.json").exists():
        record = json.loads((workdir / "result.json").read_text())
    elif (workdir / "error.json").exists():
        record = json.loads((workdir / "error.json").read_text())
        record.pop("traceback", None)
    else:
        state = {}
        with contextlib.suppress(Exception):
            state = json.loads((workdir / "progress.json").read_text())
        code = child.returncode
        why = killed_reason or (f"killed by signal {signal.Signals(-code).name}" if code and code < 0
                                else f"exited with status {code} without a result")
        record = {"status": "killed", "failed_phase": state.get("phase"), "error": why,
                  **state.get("record", {})}
    return {k: _json_safe(v) for k, v in record.items()}


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's waited-for children."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores, all processes)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def die_with_parent() -> None:
    """In the proof's child, before it runs: ask Linux to kill it when the process that started it dies
    (``PR_SET_PDEATHSIG``), so that a sweep or a Dask worker killed outright leaves no orphaned prover
    running in its own session. Elsewhere (no ``prctl``) nothing is done."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def watch_child(child: subprocess.Popen, max_mem_bytes: int | None, timeout_s: float | None) -> str | None:
    """Wait for ``child``; kill its process group past the memory or time limit."""
    proc = psutil.Process(child.pid)
    start = time.monotonic()
    while child.poll() is None:
        reason = None
        if max_mem_bytes is not None:
            with contextlib.suppress(psutil.Error):
                rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
                if rss > max_mem_bytes:
                    reason = f"resident memory {rss / 2**30:.2f} GiB exceeded --max-mem {max_mem_bytes / 2**30:.2f} GiB"
        if timeout_s is not None and time.monotonic() - start > timeout_s:
            reason = f"exceeded the time limit of {timeout_s:.0f} s"
        if reason:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return reason
        time.sleep(0.1)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="internal: run one proof in this process")
    parser.add_argument("--child", required=True, type=Path)
    args = parser.parse_args(argv)
    return _child_entry(args.child)


if __name__ == "__main__":
    sys.exit(main())
