"""Timing torch inference: the forward pass a proof proves, and ``python -m chasm infer``.

:func:`time_inference` times the forward pass of the model a proof proves (at the faster of 1 and N
threads); :func:`median_forward_s` is the timing loop both use.

Inference timings without proofs: ``python -m chasm infer --device cpu|cuda``.

The proving sweep can only reach small circuits; the inference side of the
comparison can be measured much further. This command times torch forward
passes of the transformer family at increasing width, depth and sequence
length (random weights: a forward pass costs the same whatever the weights)
on a CPU or an NVIDIA GPU, and appends one row per configuration and
repetition to ``data/measurements/inference.csv`` with provenance and the
device's name. Timing: warm-up passes, then at least ``min_reps`` timed passes
and ``min_s`` seconds, the median recorded; on CUDA every pass is bracketed by
``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from chasm.core import data, paths, provenance
from chasm.core.constants import INFERENCE
from chasm.core.specs import ModelSpec
from chasm.experiments.models import build, parameter_count

__all__ = ["SIZES", "DeviceError", "device_name", "median_forward_s", "time_inference", "time_forward",
           "measure", "main"]

#: Transformer sizes timed by default: (d_model, heads, seq, layers).
SIZES = {
    "cpu": [(64, 4, 64, 2), (128, 4, 128, 2), (256, 8, 128, 4), (512, 8, 256, 4), (1024, 16, 256, 4)],
    "cuda": [(256, 8, 128, 4), (512, 8, 256, 4), (1024, 16, 512, 8), (2048, 16, 1024, 8),
             (4096, 32, 1024, 8), (8192, 64, 1024, 4)],
}


class DeviceError(RuntimeError):
    """The requested device is not available on this machine."""


def device_name(device: str) -> str:
    """Human-readable name of the device (GPU model, or the CPU's model)."""
    import torch

    if device == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError("--device cuda asked for, but torch sees no CUDA GPU on this machine")
        return torch.cuda.get_device_name(0)
    return provenance.cpu_model()


def median_forward_s(model, x, *, device: str = "cpu", warmup: int = 3, min_reps: int = 10,
                     min_s: float = 0.5) -> tuple[float, int]:
    """Median seconds of one forward pass of ``model(x)``: ``(median_s, reps)``.

    ``warmup`` untimed passes, then at least ``min_reps`` timed passes and
    ``min_s`` seconds of them; on CUDA each pass is bracketed by a synchronize.
    ``model`` and ``x`` must already be on ``device``.
    """
    import torch

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    times: list[float] = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        sync()
        start = time.perf_counter()
        while len(times) < min_reps or time.perf_counter() - start < min_s:
            t0 = time.perf_counter()
            model(x)
            sync()
            times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def time_inference(model, x, *, threads: int, device: str = "cpu", warmup: int = 5, min_reps: int = 30,
                   min_s: float = 0.2) -> tuple[float, int, int]:
    """Median seconds of one forward pass, at the faster of 1 and ``threads`` torch threads.

    Returns ``(median_s, reps, threads)``. Small models run fastest on one thread; with two threads on
    a busy two-core machine a pass can wait a whole scheduler tick (multiples of ~16 ms were seen),
    which would flatter the prover. Timing both and keeping the faster credits inference with its best
    configuration on the same hardware.
    """
    import torch

    model, x = model.to(device), x.to(device)
    best = None
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        median_s, reps = median_forward_s(model, x, device=device, warmup=warmup, min_reps=min_reps, min_s=min_s)
        if best is None or median_s < best[0]:
            best = (median_s, reps, n)
    torch.set_num_threads(threads)
    return best


def time_forward(spec: ModelSpec, device: str, *, batch: int = 1, dtype: str = "float32",
                 warmup: int = 3, min_reps: int = 10, min_s: float = 0.5) -> tuple[float, int]:
    """Median seconds of one forward pass of ``spec`` on ``device``: ``(median_s, reps)``."""
    import torch

    model, x = build(spec, batch=batch)
    torch_dtype = getattr(torch, dtype)
    model = model.to(device=device, dtype=torch_dtype)
    x = x.to(device=device, dtype=torch_dtype)
    return median_forward_s(model, x, device=device, warmup=warmup, min_reps=min_reps, min_s=min_s)


def measure(device: str, sizes, repetitions: int, dtype: str) -> list[dict]:
    """Time every size ``repetitions`` times; one record per (size, repetition)."""
    import torch

    name = device_name(device)
    machine = provenance.machine()
    records = []
    for d_model, heads, seq, layers in sizes:
        spec = ModelSpec("transformer", {"d_model": d_model, "heads": heads, "seq": seq, "layers": layers})
        params = parameter_count(build(spec)[0])
        for rep in range(repetitions):
            median_s, reps = time_forward(spec, device, dtype=dtype)
            records.append({
                "config_id": spec.config_id, "family": spec.family, "config": spec.config_json,
                "params": params, "tokens": seq, "device": device, "device_name": name, "dtype": dtype,
                "infer_s": median_s, "infer_reps": reps, "torch_threads": torch.get_num_threads(),
                "repetition": rep, "date_utc": provenance.utc_now(), **machine,
            })
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm infer", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help=f"output CSV (default data/{INFERENCE})")
    args = parser.parse_args(argv)
    out = args.out or paths.data_dir() / INFERENCE
    try:
        records = measure(args.device, SIZES[args.device], args.repeat, args.dtype)
    except DeviceError as exc:
        print(f"infer: error: {exc}", file=sys.stderr)
        return 2
    if not data.schema_path(out).exists():
        import shutil

        shutil.copy(data.schema_path(paths.data_dir() / INFERENCE), data.schema_path(out))
    data.append_rows(out, records)
    print(f"infer: {len(records)} timings on {records[0]['device_name']} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
