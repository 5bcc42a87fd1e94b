"""Measured circuit layouts, without proving: ``data/measurements/layouts.csv``.

For each circuit of a plan (a model family of :mod:`chasm.experiments.models`, a single
operation or a miniature Llama of :mod:`chasm.experiments.modules`, a size, and ezkl
run arguments) the torch model is exported to ONNX and ezkl's ``gen_settings`` lays it out
(a dummy layout: milliseconds to seconds); ``calibrate_settings`` with the
``resources`` target then fixes ``logrows``. The settings ezkl reports
(``num_rows``, ``total_assignments``, ``einsum_params.total_einsum_col_size``,
range checks, lookups, ``logrows``) are recorded with provenance. These rows
fit and validate :mod:`chasm.costmodel`.

Command line (resumable: circuits already in the table are skipped)::

    python -m chasm layouts [--plan default|quick] [--no-calibrate] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from chasm.core import data, paths, provenance
from chasm.core.constants import DEFAULT_SCALE, LAYOUTS
from chasm.core.ezkl_rules import DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS, DEFAULT_INNER_COLS
from chasm.core.specs import ModelSpec
from chasm.experiments import ezkl_gateway as gw

__all__ = ["SCALE", "BASE_RUN_ARGS", "Circuit", "plan", "LLAMA_PLAN", "build", "measure", "measure_many", "main"]

#: Fixed-point scale (bits) of inputs and parameters, as in the proving sweep.
SCALE = DEFAULT_SCALE
#: ezkl run arguments of every circuit unless its plan entry says otherwise (ezkl's defaults).
BASE_RUN_ARGS = {**gw.DEFAULT_VISIBILITY, "num_inner_cols": DEFAULT_INNER_COLS, "decomp_base": DEFAULT_DECOMP_BASE,
                 "decomp_legs": DEFAULT_DECOMP_LEGS, "disable_freivalds": False}


@dataclass(frozen=True)
class Circuit:
    """One circuit to lay out: family, size configuration and run arguments (ezkl names)."""

    family: str
    config: dict
    run_args: dict = field(default_factory=dict)

    @property
    def full_run_args(self) -> dict:
        return {**BASE_RUN_ARGS, **self.run_args}

    @property
    def config_json(self) -> str:
        return json.dumps(self.config, sort_keys=True, separators=(",", ":"))

    def circuit_id(self, ezkl_version: str) -> str:
        key = json.dumps([self.family, self.config, self.full_run_args, SCALE, ezkl_version], sort_keys=True)
        return f"{self.family}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _variants(family: str, config: dict, variants: list[dict]) -> list[Circuit]:
    return [Circuit(family, config, v) for v in variants]


def plan(name: str = "default") -> list[Circuit]:
    """The circuits of a measurement plan: ``default`` (the committed table), the small ``quick``, or the
    two checks the cost-model chapter lays out live: ``layernorm-odd`` (layer norms of widths in no
    committed layout) and ``llama-logits`` (the first miniature Llama with the logits of every token and
    of the last one only)."""
    legs3 = {"decomp_legs": 3, "decomp_base": 256}
    if name == "layernorm-odd":
        return [Circuit("op", {"op": "layernorm", "rows": 2, "d": width}) for width in (5, 10, 20, 100)]
    if name == "llama-logits":
        return [Circuit("llama", {**LLAMA_PLAN[0], "logits": which}) for which in ("all", "last")]
    if name == "quick":
        return [Circuit("mlp", {"width": 16, "depth": 1}), Circuit("mlp", {"width": 16, "depth": 1}, legs3),
                Circuit("llama", LLAMA_PLAN[0]), Circuit("llama", LLAMA_PLAN[6]),
                Circuit("op", {"op": "layernorm", "rows": 2, "d": 4}),
                Circuit("op", {"op": "layernorm", "rows": 2, "d": 8}),
                Circuit("op", {"op": "layernorm", "rows": 2, "d": 8}, legs3),
                Circuit("op", {"op": "rmsnorm", "rows": 2, "d": 4}),
                Circuit("op", {"op": "rmsnorm", "rows": 2, "d": 8}),
                Circuit("op", {"op": "rmsnorm", "rows": 2, "d": 8}, legs3),
                Circuit("op", {"op": "softmax", "rows": 2, "d": 4}),
                Circuit("op", {"op": "softmax", "rows": 2, "d": 8}),
                Circuit("op", {"op": "softmax", "rows": 2, "d": 8}, legs3),
                Circuit("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1})]
    if name != "default":
        raise ValueError(f"unknown layout plan {name!r}; known: default, quick, layernorm-odd, llama-logits")
    out: list[Circuit] = []
    for op in ("layernorm", "rmsnorm", "softmax"):
        for rows in (2, 4):
            for width in (4, 8, 16):
                out.append(Circuit("op", {"op": op, "rows": rows, "d": width}))
        for rows, width in ((2, 4), (2, 8), (4, 16)):
            out.append(Circuit("op", {"op": op, "rows": rows, "d": width}, legs3))
    # widths that are not powers of two: LayerNorm's mean is then a product, not a change of scale
    # (chasm.costmodel.mean_alignment_cells)
    for rows, width in ((2, 6), (2, 12), (2, 24), (2, 48), (4, 12), (4, 196)):
        out.append(Circuit("op", {"op": "layernorm", "rows": rows, "d": width}))
    for width in (8, 16, 32, 64, 128):
        for n_layers in (1, 2, 3):
            out.append(Circuit("mlp", {"width": width, "depth": n_layers}))
    for cfg in ({"width": 32, "depth": 2}, {"width": 64, "depth": 1}):
        out += _variants("mlp", cfg, [{"num_inner_cols": 1}, {"num_inner_cols": 3}, {"num_inner_cols": 4}])
    out += _variants("mlp", {"width": 16, "depth": 2}, [legs3])
    out += _variants("mlp", {"width": 64, "depth": 2}, [legs3, {"output_visibility": "private"}])
    for ch in (2, 4):
        for n_layers in (1, 2):
            for side in (4, 8):
                out.append(Circuit("cnn", {"channels": ch, "depth": n_layers, "size": side}))
    out += [Circuit("cnn", {"channels": 8, "depth": 1, "size": 12}), Circuit("cnn", {"channels": 3, "depth": 3, "size": 6})]
    for dm in (8, 16, 32):
        for heads in (1, 2, 4):
            for seq in (1, 4):
                out.append(Circuit("transformer", {"d_model": dm, "heads": heads, "seq": seq, "layers": 1}))
    for heads in (1, 2, 4):
        out.append(Circuit("transformer", {"d_model": 16, "heads": heads, "seq": 8, "layers": 1}))
    out += [Circuit("transformer", {"d_model": 16, "heads": 2, "seq": 4, "layers": 2}),
            Circuit("transformer", {"d_model": 16, "heads": 2, "seq": 4, "layers": 1, "activation": "gelu"}),
            Circuit("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1, "activation": "gelu"}),
            Circuit("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1})]
    for dm, heads in ((12, 2), (24, 2), (24, 3), (36, 2)):
        out.append(Circuit("transformer", {"d_model": dm, "heads": heads, "seq": 4, "layers": 1}))
    out += _variants("transformer", {"d_model": 16, "heads": 2, "seq": 4, "layers": 1}, [{"disable_freivalds": True}])
    out += _variants("transformer", {"d_model": 8, "heads": 1, "seq": 4, "layers": 1}, [{"disable_freivalds": True}])
    out += _variants("transformer", {"d_model": 8, "heads": 2, "seq": 4, "layers": 1}, [legs3])
    out += [Circuit("llama", cfg) for cfg in LLAMA_PLAN]
    return out


def _llama(d_model: int, heads: int, kv_heads: int, ffn: int, vocab: int, seq: int, layers: int,
           cache: int = 0) -> dict:
    cfg = {"d_model": d_model, "heads": heads, "kv_heads": kv_heads, "ffn": ffn, "vocab": vocab, "seq": seq,
           "layers": layers}
    return {**cfg, "cache": cache} if cache else cfg


#: Miniature Llamas (:mod:`chasm.experiments.modules`), all with grouped-query attention as every
#: Llama 3 model: prefills of a few tokens (head widths 4, 8, 16, 32) and single decoding steps
#: against a key/value cache.
LLAMA_PLAN = [
    _llama(16, 2, 1, 32, 8, 4, 1), _llama(16, 4, 2, 48, 16, 4, 1), _llama(32, 4, 1, 64, 16, 8, 1),
    _llama(16, 2, 1, 32, 8, 4, 2), _llama(32, 2, 1, 64, 16, 6, 1), _llama(64, 2, 1, 128, 32, 4, 1),
    _llama(16, 2, 1, 32, 8, 1, 1, cache=3), _llama(32, 4, 1, 64, 16, 1, 1, cache=7),
    _llama(16, 4, 2, 48, 16, 1, 2, cache=5), _llama(32, 4, 2, 64, 16, 1, 1, cache=12),
    _llama(64, 2, 1, 128, 32, 1, 1, cache=15),
]


def build(circuit: Circuit):
    """The torch module and example input(s) of a circuit: families of :mod:`chasm.experiments.models`,
    single operations ``op`` and miniature Llamas ``llama`` of :mod:`chasm.experiments.modules`."""
    from chasm.experiments import models, modules

    if circuit.family == "op":
        return modules.build_op(circuit.config)
    if circuit.family == "llama":
        return modules.build_llama(circuit.config)
    return models.build(ModelSpec(circuit.family, dict(circuit.config)))


def measure(circuit: Circuit, workdir: Path, *, calibrate: bool = True) -> dict:
    """Lay out one circuit with ezkl and return its record (a row of ``layouts.csv``)."""
    model, x = build(circuit)
    inputs = x if isinstance(x, tuple) else (x,)
    onnx_path, settings_path, data_path = workdir / "model.onnx", workdir / "settings.json", workdir / "input.json"
    gw.export_onnx(model, inputs, onnx_path)
    gw.write_input(data_path, inputs)
    args = circuit.full_run_args
    t0 = time.perf_counter()
    gw.lay_out(onnx_path, settings_path, gw.run_args(scale=SCALE, **args))
    settings_s = time.perf_counter() - t0
    logrows = None
    if calibrate:
        gw.calibrate(data_path, onnx_path, settings_path, scales=[SCALE])
    s = json.loads(settings_path.read_text())
    if calibrate:
        logrows = int(s["run_args"]["logrows"])
    machine = provenance.machine()
    return {
        "circuit_id": circuit.circuit_id(machine["ezkl_version"]),
        "family": circuit.family, "config": circuit.config_json,
        **{key: args[key] for key in ("num_inner_cols", "decomp_base", "decomp_legs", "disable_freivalds",
                                      "input_visibility", "output_visibility", "param_visibility")},
        "input_scale": int(s["run_args"]["input_scale"]), "param_scale": int(s["run_args"]["param_scale"]),
        "num_rows": int(s["num_rows"]), "total_assignments": int(s["total_assignments"]),
        "total_einsum_col_size": int(s["einsum_params"]["total_einsum_col_size"]),
        "total_const_size": int(s.get("total_const_size") or 0),
        "required_range_checks": json.dumps(s.get("required_range_checks")),
        "required_lookups": json.dumps(s.get("required_lookups")),
        "logrows": logrows, "calibrated": calibrate, "settings_s": settings_s,
        "ezkl_version": machine["ezkl_version"], "torch_version": machine["torch_version"],
        "git_commit": machine["git_commit"], "hardware_tag": machine["hardware_tag"],
        "cpu_model": machine["cpu_model"], "date_utc": provenance.utc_now(),
    }


def measure_many(circuits: list[Circuit], *, calibrate: bool = True) -> list[dict]:
    """Records of several circuits (each in its own temporary folder)."""
    records = []
    for circuit in circuits:
        with tempfile.TemporaryDirectory(prefix="chasm-layout-") as tmp:
            records.append(measure(circuit, Path(tmp), calibrate=calibrate))
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm layouts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="default", help="measurement plan: default or quick")
    parser.add_argument("--no-calibrate", action="store_true", help="skip calibrate_settings (logrows left empty)")
    parser.add_argument("--out", type=Path, default=None, help="table to append to (default data/measurements/layouts.csv)")
    args = parser.parse_args(argv)
    out = args.out or paths.data_dir() / LAYOUTS
    version = provenance.package_version("ezkl")
    done = set(data.load_table(out)["circuit_id"]) if out.exists() else set()
    todo = [c for c in plan(args.plan) if c.circuit_id(version) not in done]
    print(f"layouts: {len(todo)} circuits to measure, {len(done)} already in {out}")
    t0 = time.time()
    for i, circuit in enumerate(todo, 1):
        record = measure_many([circuit], calibrate=not args.no_calibrate)[0]
        data.append_rows(out, [record])
        print(f"  [{i}/{len(todo)}] {circuit.family} {circuit.config_json} {circuit.run_args or ''}: "
              f"{record['num_rows']} rows, logrows {record['logrows']}")
    print(f"layouts: done in {time.time() - t0:.0f} s")
    return 0
