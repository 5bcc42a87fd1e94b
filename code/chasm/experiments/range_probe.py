"""Range checks of miniature Llamas fed realistic activation magnitudes: ``data/measurements/range_checks.csv``.

A miniature Llama (:func:`chasm.experiments.modules.build_llama`, configurations of
:data:`chasm.experiments.layouts.LLAMA_PLAN`) gets an input whose largest activation is ``A``
(:func:`plant`): an *outlier* channel of magnitude ``A`` in the first token of the residual stream (the
shape of the massive activations of Llama models: one or a few fixed channels of the first token),
or the whole input *scaled* so that its largest value is ``A``. ezkl then lays out and calibrates the
circuit at scale 7 with ``decomp_legs`` digits of base ``decomp_base``, compiles it, generates the
witness and runs the mock prover (as :mod:`chasm.experiments.opsupport` does). Each record says
where it stopped, the integer ezkl's decomposition refused (read from ezkl's log), the circuit's
rows, lookup range and logrows, and how far the circuit's outputs are from torch's.

:func:`predicted_peaks` computes, from torch alone, the two integers ezkl decomposes that grow with
``A``: RMSNorm's mean of squares at scale ``2s`` and the largest rescaled value at scale ``s``
(:mod:`chasm.costmodel.ranges` derives why these two); a probe predicts failure when either exceeds
``decomp_base^decomp_legs - 1``. :func:`predicted_threshold` solves that for ``A``, and the plan
brackets the measured threshold around it by bisection.

Command line (resumable: probes already in the table are skipped)::

    python -m chasm.experiments.range_probe [--plan default|quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import math
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from chasm.core import data, paths, provenance
from chasm.core.ezkl_rules import DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments.layouts import LLAMA_PLAN
from chasm.experiments.modules import RMSNorm, build_llama

__all__ = ["RANGE_CHECKS", "SCALE", "MODES", "OUTLIER_TOKEN", "OUTLIER_CHANNEL", "Probe", "plant", "predicted_peaks",
           "predicted_threshold", "probe", "plan", "bisect", "main"]

#: The table this module writes (relative to ``data/``).
RANGE_CHECKS = "measurements/range_checks.csv"
#: Fixed-point scale (bits) of inputs and parameters: ezkl's default, as every measurement here.
SCALE = 7
#: How the input gets its largest activation ``A``: unchanged (``none``), one outlier channel of the
#: first token set to ``A`` (``outlier``), or every value scaled so that the largest is ``A`` (``scaled``).
MODES = ("none", "outlier", "scaled")
#: Token and feature channel that carry the planted outlier.
OUTLIER_TOKEN, OUTLIER_CHANNEL = 0, 3
#: ezkl's log message when a decomposition cannot hold an integer (``DecompositionError::TooLarge``).
_TOO_LARGE = re.compile(r"integer (-?\d+) is too large to be represented by base (\d+) and n (\d+)")
#: The ezkl loggers (pyo3-log names of Rust modules) that report why a forward pass failed.
_LOGGERS = ("ezkl.graph.model", "ezkl.execute")


@dataclass(frozen=True)
class Probe:
    """One probe: a miniature Llama, an input with largest activation ``magnitude`` (real units), and
    ezkl's decomposition run arguments."""

    config: dict
    mode: str
    magnitude: float
    legs: int = DEFAULT_DECOMP_LEGS
    base: int = DEFAULT_DECOMP_BASE
    scale: int = SCALE
    note: str = field(default="", compare=False)

    def probe_id(self, ezkl_version: str) -> str:
        key = json.dumps([self.config, self.mode, round(float(self.magnitude), 6), self.legs, self.base, self.scale,
                          ezkl_version], sort_keys=True)
        return f"range-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def plant(x: torch.Tensor, magnitude: float, mode: str) -> torch.Tensor:
    """A copy of the embeddings ``x`` (``(1, seq, d_model)``) whose largest activation is ``magnitude``
    as ``mode`` says (:data:`MODES`)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    out = x.clone()
    if mode == "outlier":
        out[0, OUTLIER_TOKEN, OUTLIER_CHANNEL] = magnitude
    elif mode == "scaled":
        out = out * (magnitude / out.abs().max())
    return out


def predicted_peaks(model: torch.nn.Module, inputs: tuple, scale: int = SCALE) -> dict[str, int]:
    """The integers ezkl decomposes that grow with the activations, from a torch forward pass:
    ``mean_square_int``, the largest ``round(sum(round(x 2^s)^2) / width)`` over the rows entering
    any RMSNorm (the quotient at scale ``2s``), and ``abs_int``, the largest ``|y| 2^s`` over the
    inputs, every projection's and RMSNorm's output and the model's output (rescaled values at
    scale ``s``)."""
    peaks = {"mean_square_int": 0, "abs_int": 0}
    unit = 2.0**scale

    def largest(tensor):
        peaks["abs_int"] = max(peaks["abs_int"], int(math.ceil(float(tensor.abs().max()) * unit)))

    def norm_hook(module, args, output):
        q = torch.round(args[0].double() * unit)
        mean_square = torch.round((q * q).sum(-1) / q.shape[-1])
        peaks["mean_square_int"] = max(peaks["mean_square_int"], int(mean_square.max()))
        largest(output)

    hooks = []
    for module in model.modules():
        if isinstance(module, RMSNorm):
            hooks.append(module.register_forward_hook(norm_hook))
        elif isinstance(module, torch.nn.Linear):
            hooks.append(module.register_forward_hook(lambda m, a, out: largest(out)))
    try:
        with torch.no_grad():
            out = model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    for tensor in (*inputs, out):
        largest(tensor)
    return peaks


def _fits(peaks: dict[str, int], legs: int, base: int) -> bool:
    return max(peaks.values()) <= base**legs - 1


def predicted_threshold(config: dict, mode: str = "outlier", legs: int = DEFAULT_DECOMP_LEGS,
                        base: int = DEFAULT_DECOMP_BASE, scale: int = SCALE, *, rel_tol: float = 1e-4) -> float:
    """The largest ``A`` for which :func:`predicted_peaks` fit ``legs`` digits of base ``base``
    (bisection on torch forward passes; real units)."""
    model, inputs = build_llama(config)

    def fits(a: float) -> bool:
        return _fits(predicted_peaks(model, (plant(inputs[0], a, mode), *inputs[1:]), scale), legs, base)

    low, high = 1.0, 2.0
    while fits(high):
        low, high = high, high * 2
    while high - low > rel_tol * high:
        mid = (low + high) / 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low


@contextlib.contextmanager
def _ezkl_errors():
    """Collect the error messages of ezkl's graph and calibration loggers (``quiet`` silences only the
    parent ``ezkl`` logger, so handlers on these children still see them)."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = _Collect(level=logging.ERROR)
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield messages
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


def _run_ezkl(p: Probe, tmp: Path, rec: dict) -> dict:
    """Calibrate, compile, witness and mock in ``tmp``; fill ``rec`` and return the witness (or {})."""
    onnx, settings_path, data_path = tmp / "model.onnx", tmp / "settings.json", tmp / "input.json"
    args = gw.run_args(scale=p.scale, decomp_legs=p.legs, decomp_base=p.base)
    stage = "calibrate"
    try:
        with gw.quiet(tmp / "ezkl.log"):
            settings = gw.lay_out(onnx, settings_path, args, data_path=data_path, scales=[p.scale])
        rec.update(calibrated=True, num_rows=int(settings["num_rows"]),
                   total_assignments=int(settings["total_assignments"]),
                   logrows=int(settings["run_args"]["logrows"]),
                   lookup_min=int(settings["run_args"]["lookup_range"][0]),
                   lookup_max=int(settings["run_args"]["lookup_range"][1]),
                   required_range_checks=json.dumps(settings.get("required_range_checks")),
                   required_lookups=json.dumps(settings.get("required_lookups")))
        with gw.quiet(tmp / "ezkl.log"):
            stage = "compile"
            gw.compile_circuit(onnx, tmp / "model.ezkl", settings_path)
            stage = "witness"
            gw.gen_witness(data_path, tmp / "model.ezkl", tmp / "witness.json")
            stage = "mock"
            rec["mock_ok"] = gw.mock(tmp / "witness.json", tmp / "model.ezkl")
        if not rec["mock_ok"]:
            rec["failed_stage"] = "mock"
        return json.loads((tmp / "witness.json").read_text())
    except Exception as exc:  # noqa: BLE001  (ezkl raises RuntimeError subclasses; the error is the finding)
        rec.update(failed_stage=stage, error=_first_line(exc), mock_ok=False if stage != "calibrate" else None)
        return {}


def probe(p: Probe) -> dict:
    """Lay out, calibrate, compile, witness and mock-prove one probe; return its record (a row of
    ``range_checks.csv``)."""
    model, inputs = build_llama(p.config)
    inputs = (plant(inputs[0], p.magnitude, p.mode), *inputs[1:])
    peaks = predicted_peaks(model, inputs, p.scale)
    with torch.no_grad():
        reference = model(*inputs).flatten()
    machine = provenance.machine()
    rec = {"probe_id": p.probe_id(machine["ezkl_version"]), "family": "llama",
           "config": json.dumps(p.config, sort_keys=True, separators=(",", ":")), "d_model": int(p.config["d_model"]),
           "mode": p.mode, "magnitude": float(p.magnitude), "outlier_token": OUTLIER_TOKEN,
           "outlier_channel": OUTLIER_CHANNEL, "scale": p.scale, "decomp_base": p.base, "decomp_legs": p.legs,
           "decomposition_limit": p.base**p.legs - 1, "predicted_mean_square_int": peaks["mean_square_int"],
           "predicted_abs_int": peaks["abs_int"], "predicted_fits": _fits(peaks, p.legs, p.base),
           "input_max_abs": float(inputs[0].abs().max()), "calibrated": False, "failed_stage": "none",
           "mock_ok": None, "output_max_abs": float(reference.abs().max()), "note": p.note}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chasm-range-") as tmp, _ezkl_errors() as errors:
        tmp = Path(tmp)
        gw.export_onnx(model, inputs, tmp / "model.onnx")
        (tmp / "input.json").write_text(json.dumps({"input_data": [t.flatten().tolist() for t in inputs]}))
        witness = _run_ezkl(p, tmp, rec)
    rec["elapsed_s"] = time.perf_counter() - t0
    refused = [m for m in (_TOO_LARGE.search(e) for e in errors) if m]
    if refused:
        rec["decomposition_error_int"] = max(abs(int(m.group(1))) for m in refused)
    if witness:
        got = torch.tensor([float(v) for v in witness["pretty_elements"]["rescaled_outputs"][0]])
        rec["output_max_abs_err"] = float((got - reference).abs().max())
        rec["witness_min_lookup_input"] = int(witness["min_lookup_inputs"])
        rec["witness_max_lookup_input"] = int(witness["max_lookup_inputs"])
    keep = ("cpu_model", "cpu_count", "ram_bytes", "os", "python_version", "ezkl_version", "torch_version",
            "git_commit", "hardware_tag")
    return {**rec, **{key: machine[key] for key in keep}, "date_utc": provenance.utc_now()}


def _probes(config: dict, legs: int, base: int, magnitudes, note: str, mode: str = "outlier") -> list[Probe]:
    return [Probe(config, mode if a else "none", float(a), legs, base, note=note) for a in magnitudes]


def plan(name: str = "default") -> list[Probe]:
    """The grid of a plan: for the smallest miniature Llama (``d_model`` 16) and, in ``default``, one of
    width 64, outlier magnitudes around the predicted threshold of two digits (0.95 and 1.05 times
    it), the Llama-2 massive activation (2,622) and the same with three digits; ``default`` adds a
    coarse grid, scaled inputs and base 2^16. The bisection of the measured threshold is
    :func:`bisect` (run by :func:`main` for the ``bisect`` configurations)."""
    if name not in ("default", "quick"):
        raise ValueError(f"unknown plan {name!r}; known: default, quick")
    configs = [LLAMA_PLAN[0]] if name == "quick" else [LLAMA_PLAN[0], LLAMA_PLAN[5]]
    out: list[Probe] = []
    for cfg in configs:
        two = predicted_threshold(cfg)
        three = predicted_threshold(cfg, legs=3)
        grid = [0.95 * two, 1.05 * two] if name == "quick" else [0, 64, 256, 0.95 * two, 1.05 * two, 2622]
        out += _probes(cfg, 2, DEFAULT_DECOMP_BASE, grid, "grid around the predicted 2-digit threshold")
        out += _probes(cfg, 3, DEFAULT_DECOMP_BASE, [1.05 * two] if name == "quick" else
                       [1.05 * two, 2622, 0.95 * three, 1.05 * three], "3 digits")
    if name == "default":
        cfg = LLAMA_PLAN[0]
        scaled = predicted_threshold(cfg, "scaled")
        out += _probes(cfg, 2, DEFAULT_DECOMP_BASE, [0.95 * scaled, 1.05 * scaled], "scaled inputs", mode="scaled")
        wide = predicted_threshold(cfg, base=2**16)
        out += _probes(cfg, 2, 2**16, [0.95 * wide, 1.05 * wide], "base 2^16, 2 digits")
    return out


def bisect(config: dict, legs: int, base: int, low: float, high: float, steps: int, out: Path) -> tuple[float, float]:
    """Bisect the measured threshold between a passing ``low`` and a failing ``high`` magnitude in
    ``steps`` probes (each appended to ``out``; a probe already there is read, not re-run); returns
    the final bracket."""
    version = provenance.package_version("ezkl")
    for _ in range(steps):
        mid = (low + high) / 2
        p = Probe(config, "outlier", mid, legs, base, note="bisection of the measured threshold")
        table = data.load_table(out).set_index("probe_id") if out.exists() else None
        if table is not None and p.probe_id(version) in table.index:
            row = table.loc[p.probe_id(version)]
            passed = bool(row["calibrated"]) and row["mock_ok"] in (True, 1)
        else:
            rec = probe(p)
            data.append_rows(out, [rec])
            passed = bool(rec["calibrated"] and rec["mock_ok"])
        low, high = (mid, high) if passed else (low, mid)
    return low, high


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm.experiments.range_probe",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="default", help="default or quick")
    parser.add_argument("--bisect-steps", type=int, default=6, help="probes bisecting each measured threshold")
    parser.add_argument("--out", type=Path, default=None, help="table to append to (default data/measurements/range_checks.csv)")
    args = parser.parse_args(argv)
    out = args.out or paths.data_dir() / RANGE_CHECKS
    version = provenance.package_version("ezkl")
    done = set(data.load_table(out)["probe_id"]) if out.exists() else set()
    todo = [p for p in plan(args.plan) if p.probe_id(version) not in done]
    print(f"range probes: {len(todo)} to run, {len(done)} already in {out}")
    for i, p in enumerate(todo, 1):
        rec = probe(p)
        data.append_rows(out, [rec])
        print(f"  [{i}/{len(todo)}] d={rec['d_model']} {p.mode} A={p.magnitude:.1f} legs={p.legs} base={p.base}: "
              f"{'ok' if rec['mock_ok'] else 'failed at ' + rec['failed_stage']} "
              f"(predicted {'fit' if rec['predicted_fits'] else 'overflow'})")
    if args.plan == "default" and args.bisect_steps:
        for cfg in (LLAMA_PLAN[0], LLAMA_PLAN[5]):
            two = predicted_threshold(cfg)
            low, high = bisect(cfg, 2, DEFAULT_DECOMP_BASE, 0.95 * two, 1.05 * two, args.bisect_steps, out)
            print(f"  d={cfg['d_model']}: 2 digits pass at A={low:.2f}, fail at A={high:.2f} (predicted {two:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
