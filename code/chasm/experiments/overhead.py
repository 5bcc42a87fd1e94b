"""What the measuring harness itself costs: ``python -m chasm overhead``.

:func:`chasm.experiments.prove.prove` wraps ezkl in a child process, resets and reads
memory high-water marks around every phase, checks the model's operators
first and times the torch inference too. This module runs the same circuit
through :func:`bare_pipeline` (the ezkl calls alone, in this process, nothing
else) and through :func:`chasm.experiments.prove.prove`, alternating the two so slow drifts
in the machine's load hit both alike, and records each run's total wall time
in ``data/measurements/overhead.csv``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from chasm.core import data, paths, provenance
from chasm.core.constants import OVERHEAD
from chasm.core.specs import ModelSpec
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments.models import build
from chasm.experiments.prove import ProveSettings, prove

__all__ = ["DEFAULT_SPECS", "bare_pipeline", "measure", "main"]
#: Circuits compared by default: one at ezkl's logrows floor, one larger.
DEFAULT_SPECS = (ModelSpec("mlp", {"width": 32, "depth": 2}), ModelSpec("mlp", {"width": 256, "depth": 2}))


def bare_pipeline(model, x, settings: ProveSettings, workdir: Path) -> float:
    """Run export to verify with plain ezkl calls in this process; return wall seconds.

    The SRS must already be cached (as it is for a harness run of the same
    circuit), so neither arm pays for generating it.
    """
    workdir = Path(workdir)
    f = {k: str(workdir / k) for k in ("m.onnx", "in.json", "s.json", "m.ezkl", "vk", "pk", "w.json", "p.json")}
    t0 = time.perf_counter()
    with gw.quiet(workdir / "ezkl.log"):
        gw.export_onnx(model, x, Path(f["m.onnx"]))
        gw.write_input(Path(f["in.json"]), x)
        args = gw.run_args(scale=settings.scale, input_visibility=settings.input_visibility,
                           output_visibility=settings.output_visibility, param_visibility=settings.param_visibility)
        circuit = gw.lay_out(Path(f["m.onnx"]), Path(f["s.json"]), args, data_path=Path(f["in.json"]),
                             target=settings.calibration_target, scales=[settings.scale])
        gw.compile_circuit(f["m.onnx"], f["m.ezkl"], f["s.json"])
        srs, _ = gw.ensure_srs(circuit["run_args"]["logrows"])
        gw.setup(f["m.ezkl"], f["vk"], f["pk"], srs)
        gw.gen_witness(f["in.json"], f["m.ezkl"], f["w.json"])
        gw.prove(f["w.json"], f["m.ezkl"], f["pk"], f["p.json"], srs)
        if not gw.verify(f["p.json"], f["s.json"], f["vk"], srs):
            raise RuntimeError("bare pipeline: proof did not verify")
    return time.perf_counter() - t0


def measure(spec: ModelSpec, repetitions: int, threads: int) -> list[dict]:
    """Alternate harness and bare runs of ``spec``; one record per run."""
    import os

    os.environ["RAYON_NUM_THREADS"] = str(threads)
    model, x = build(spec)
    settings = ProveSettings(threads=threads)
    warm = prove(model, x, settings=settings)  # caches the SRS for this circuit; not recorded
    if warm["status"] != "ok":
        raise RuntimeError(f"harness run failed: {warm.get('error')}")
    machine = provenance.machine()
    records = []
    for rep in range(repetitions):
        for arm in ("harness", "bare"):
            start = provenance.utc_now()
            if arm == "harness":
                t0 = time.perf_counter()
                rec = prove(model, x, settings=settings)
                wall = time.perf_counter() - t0
                if rec["status"] != "ok":
                    raise RuntimeError(f"harness run failed: {rec.get('error')}")
            else:
                with tempfile.TemporaryDirectory(prefix="chasm-bare-") as tmp:
                    wall = bare_pipeline(model, x, settings, Path(tmp))
            records.append({
                "config_id": spec.config_id, "family": spec.family, "config": spec.config_json,
                "logrows": warm["logrows"], "arm": arm, "wall_s": wall, "repetition": rep,
                "threads": threads, "date_utc": start, **machine,
            })
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each arm per circuit")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help=f"output CSV (default data/{OVERHEAD})")
    args = parser.parse_args(argv)
    out = args.out or paths.data_dir() / OVERHEAD
    for spec in DEFAULT_SPECS:
        rows = measure(spec, args.repeat, args.threads)
        data.append_rows(out, rows)
        print(f"{spec.label()}: {len(rows)} runs -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
