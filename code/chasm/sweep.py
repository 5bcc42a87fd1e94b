"""Resumable proving sweeps: ``python -m chasm sweep --profile quick|full|calibration``.

A sweep expands a profile from ``data/sweep_profiles.yaml`` into runs (family,
size, calibration target, scale, repetition), smallest model first, and for
each run calls :func:`chasm.prove.prove` (one child process per proof) and
appends the record, with provenance, to ``data/measurements/proofs.csv``
through :func:`chasm.data.append_rows` (validated, atomic). Because every
finished run is on disk before the next starts and runs are keyed by
``run_id`` and ``hardware_tag``, a killed sweep resumes where it stopped.

Before each run the sweep predicts its peak memory from earlier runs of the
same family on the same machine and records ``status='skipped_memory'``
instead of running what would not fit under ``--max-mem`` (after a safety
factor, ``--memory-margin``); the child is also killed if it crosses that
ceiling. The prediction is a log-log fit of peak memory on the *padded* rows
``2**logrows`` (the proving key and every committed polynomial have that
length, whatever part of it the circuit fills), extrapolated with a slope of at
least 1: a transformer of 266,442 rows is padded to 2^19 and needs twice the
memory of one of 198,737 rows at 2^18, not 1.34 times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import yaml

from chasm import data, paths, provenance
from chasm.infer import DeviceError
from chasm.models import ModelConfigError, ModelSpec, build
from chasm.prove import FAMILY_SCALES, PHASES, ProveSettings, prove

PROFILES_FILE = "sweep_profiles.yaml"
DEFAULT_OUT = "measurements/proofs.csv"
#: Default safety factor on predicted peak memory before comparing with --max-mem
#: (``--memory-margin``).
MEMORY_MARGIN = 1.25
#: Cap on the log-log slope used for predictions: circuit rows grow at most
#: linearly in parameters for these families, so steeper local slopes between
#: nearby sizes are noise (prediction only; nothing is fitted for the book here).
MAX_SLOPE = 1.25


class SweepConfigError(ValueError):
    """A sweep profile file or command-line option is malformed."""


@dataclass(frozen=True)
class Run:
    """One scheduled proof: a model, how to prove it, and its repetition index."""

    spec: ModelSpec
    calibration_target: str
    scale: int
    repetition: int

    @property
    def run_id(self) -> str:
        return f"{self.spec.config_id}-{self.calibration_target[:3]}-s{self.scale}-r{self.repetition}"


def load_profiles(path: Path | None = None) -> dict:
    """Read and check the sweep profile file; raise :class:`SweepConfigError` if malformed."""
    path = path or paths.data_dir() / PROFILES_FILE
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise SweepConfigError(f"sweep profile file {path} is missing") from None
    except yaml.YAMLError as exc:
        raise SweepConfigError(f"sweep profile file {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("profiles"), dict):
        raise SweepConfigError(f"{path}: expected a top-level 'profiles' mapping")
    for name, prof in raw["profiles"].items():
        where = f"{path}: profile {name!r}"
        if not isinstance(prof, dict) or not isinstance(prof.get("groups"), list) or not prof["groups"]:
            raise SweepConfigError(f"{where} needs a non-empty 'groups' list")
        rep = prof.get("repeat", 1)
        if not isinstance(rep, int) or rep < 1:
            raise SweepConfigError(f"{where}: 'repeat' must be a positive integer, got {rep!r}")
        for i, group in enumerate(prof["groups"]):
            gwhere = f"{where} group #{i + 1}"
            if not isinstance(group, dict) or "family" not in group or not isinstance(group.get("configs"), list):
                raise SweepConfigError(f"{gwhere} needs 'family' and a 'configs' list")
            unknown = set(group) - {"family", "configs", "calibration_targets", "scales"}
            if unknown:
                raise SweepConfigError(f"{gwhere} has unknown keys {sorted(unknown)}")
            for config in group["configs"]:
                if not isinstance(config, dict):
                    raise SweepConfigError(f"{gwhere}: each config must be a mapping, got {config!r}")
                try:
                    ModelSpec(group["family"], dict(config))
                except ModelConfigError as exc:
                    raise SweepConfigError(f"{gwhere}: {exc}") from None
            for target in group.get("calibration_targets", ["resources"]):
                if target not in ("resources", "accuracy"):
                    raise SweepConfigError(f"{gwhere}: calibration target {target!r} is not resources/accuracy")
            for scale in group.get("scales", []):
                if not isinstance(scale, int) or not 0 <= scale <= 20:
                    raise SweepConfigError(f"{gwhere}: scale {scale!r} must be an integer in 0..20")
    return raw["profiles"]


def plan(profile: dict, repeat: int | None = None) -> list[Run]:
    """All runs of a profile, smallest model first, repetitions interleaved last."""
    repeat = repeat or profile.get("repeat", 1)
    runs = []
    for group in profile["groups"]:
        for config in group["configs"]:
            spec = ModelSpec(group["family"], dict(config))
            for target in group.get("calibration_targets", ["resources"]):
                for scale in group.get("scales", [FAMILY_SCALES[spec.family]]):
                    for rep in range(repeat):
                        runs.append(Run(spec, target, scale, rep))
    params = {r.spec.config_id: _param_count(r.spec) for r in runs}
    return sorted(runs, key=lambda r: (params[r.spec.config_id], r.spec.family, r.calibration_target,
                                       r.scale, r.repetition))


_PARAMS_CACHE: dict[str, int] = {}


def _param_count(spec: ModelSpec) -> int:
    if spec.config_id not in _PARAMS_CACHE:
        from chasm.models import parameter_count

        _PARAMS_CACHE[spec.config_id] = parameter_count(build(spec)[0])
    return _PARAMS_CACHE[spec.config_id]


def peak_memory_bytes(record: dict) -> float:
    """Largest per-phase peak resident memory of a run (bytes)."""
    values = [record.get(f"{p}_peak_rss_bytes") for p in PHASES]
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return max(values) if values else float("nan")


def predict_log_log(xs: list[float], ys: list[float], x_new: float,
                    single_point: str = "proportional", min_slope: float = 0.0) -> float | None:
    """Predict ``y`` at ``x_new`` from a least-squares line in log-log space.

    With one distinct earlier ``x``, assume ``y`` proportional to ``x``
    (``single_point="proportional"``, the cautious choice for memory) or
    constant (``"constant"``, for time estimates); with none, return ``None``.
    Beyond the largest earlier ``x`` the slope is kept within
    ``[min_slope, MAX_SLOPE]``.
    """
    pts = [(x, y) for x, y in zip(xs, ys) if x > 0 and y > 0 and math.isfinite(y)]
    if not pts:
        return None
    lx, ly = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    if len(set(lx)) < 2:
        scale = x_new / np.exp(lx.mean()) if single_point == "proportional" else 1.0
        return float(np.exp(ly.mean()) * scale)
    slope, intercept = np.polyfit(lx, ly, 1)
    anchor = lx.max()  # extrapolate from the fitted value at the largest size, with a bounded slope
    capped = min(max(slope, min_slope), MAX_SLOPE)
    return float(np.exp(intercept + slope * anchor + capped * (math.log(x_new) - anchor)))


def _done_keys(out: Path, tag: str) -> set[str]:
    if not out.exists():
        return set()
    table = data.load_table(out)
    return set(table.loc[table["hardware_tag"] == tag, "run_id"])


def _history(out: Path, tag: str, family: str) -> tuple[list, list, list, list]:
    """(params, peak bytes, total seconds, padded rows ``2**logrows``) of earlier ok runs of a
    family on this machine."""
    if not out.exists():
        return [], [], [], []
    t = data.load_table(out)
    t = t[(t["hardware_tag"] == tag) & (t["family"] == family) & (t["status"] == "ok")]
    peaks = t[[f"{p}_peak_rss_bytes" for p in PHASES]].max(axis=1)
    secs = t[[f"{p}_s" for p in PHASES]].sum(axis=1)
    return list(t["params"]), list(peaks), list(secs), [2.0 ** k for k in t["logrows"]]


def padded_rows(num_rows: int) -> int:
    """``2**logrows`` ezkl pads a circuit of ``num_rows`` layout rows to (default run
    arguments; the lookup range chosen by calibration is not known before it runs)."""
    from chasm.costmodel import logrows_rule

    return 2 ** logrows_rule(num_rows)


def _memory_failures(out: Path, tag: str, family: str) -> list[tuple[int, str]]:
    """(params, run_id) of this family's runs killed for crossing --max-mem on this machine."""
    if not out.exists():
        return []
    t = data.load_table(out)
    t = t[(t["hardware_tag"] == tag) & (t["family"] == family) & (t["status"] == "killed")
          & t["error"].fillna("").str.contains("max-mem")]
    return list(zip(t["params"], t["run_id"]))


_ROWS_CACHE: dict[tuple[str, int], int] = {}


def estimated_rows(spec: ModelSpec, scale: int) -> int:
    """Circuit rows ezkl lays out for ``spec`` at ``scale`` before calibration (seconds, no proof).

    Used only to predict a run's memory from earlier runs; the recorded rows
    are always those of the calibrated circuit.
    """
    key = (spec.config_id, scale)
    if key not in _ROWS_CACHE:
        import tempfile

        import ezkl

        from chasm.prove import export_onnx, quiet_ezkl

        model, x = build(spec)
        with tempfile.TemporaryDirectory(prefix="chasm-rows-") as tmp:
            export_onnx(model, x, Path(tmp) / "m.onnx")
            run_args = ezkl.PyRunArgs()
            run_args.input_visibility, run_args.output_visibility = "private", "public"
            run_args.param_visibility = "fixed"
            run_args.input_scale = run_args.param_scale = scale
            with quiet_ezkl():
                ezkl.gen_settings(str(Path(tmp) / "m.onnx"), str(Path(tmp) / "s.json"), py_run_args=run_args)
            _ROWS_CACHE[key] = int(json.loads((Path(tmp) / "s.json").read_text())["num_rows"])
    return _ROWS_CACHE[key]


def _eta_s(remaining: list[Run], histories: dict) -> float:
    """Predicted seconds for ``remaining`` runs from each family's earlier runs."""
    all_secs = [s for _, _, secs, _ in histories.values() for s in secs]
    fallback = float(np.median(all_secs)) if all_secs else 0.0
    total = 0.0
    for r in remaining:
        params, _, secs, _ = histories[r.spec.family]
        guess = predict_log_log(params, secs, _param_count(r.spec), single_point="constant")
        total += guess if guess is not None else fallback
    return total


def run_sweep(runs: list[Run], *, out: Path, profile_name: str, max_mem_bytes: int,
              threads: int, timeout_s: float | None = None, progress: bool = True,
              device: str = "cpu", memory_margin: float = MEMORY_MARGIN) -> dict:
    """Execute ``runs`` not yet in ``out``; return counts by status.

    A run whose predicted peak memory times ``memory_margin`` exceeds
    ``max_mem_bytes`` (bytes) is recorded as skipped, not attempted."""
    machine = provenance.machine()
    tag = machine["hardware_tag"]
    done = _done_keys(out, tag)
    todo = [r for r in runs if r.run_id not in done]
    counts = {"skipped_done": len(runs) - len(todo)}
    from tqdm import tqdm

    bar = tqdm(total=len(todo), disable=not progress, unit="run", dynamic_ncols=True)
    try:
        for i, run in enumerate(todo):
            histories = {f: _history(out, tag, f) for f in {r.spec.family for r in todo[i:]}}
            _, peaks, _, rows = histories[run.spec.family]
            n_params = _param_count(run.spec)
            # memory follows the padded rows 2^logrows; extrapolate from the largest earlier
            # circuit with a slope of at least 1
            predicted_peak = (predict_log_log(rows, peaks, padded_rows(estimated_rows(run.spec, run.scale)),
                                              min_slope=1.0)
                              if rows else None)
            failed = [(p, rid) for p, rid in _memory_failures(out, tag, run.spec.family) if p <= n_params]
            bar.set_postfix_str(f"{run.run_id} | ETA {_eta_s(todo[i:], histories) / 60:.0f} min")
            record = {
                "run_id": run.run_id, "family": run.spec.family, "config_id": run.spec.config_id,
                "config": run.spec.config_json, "repetition": run.repetition,
                "sweep_profile": profile_name, "date_utc": provenance.utc_now(),
                "loadavg_1m": os.getloadavg()[0], **machine,
            }
            too_big = predicted_peak is not None and predicted_peak * memory_margin > max_mem_bytes
            if too_big or failed:
                model, x = build(run.spec)
                reason = (f"predicted peak memory {predicted_peak / 2**30:.1f} GiB (x{memory_margin:g} margin) "
                          f"exceeds --max-mem {max_mem_bytes / 2**30:.1f} GiB" if too_big else
                          f"run {failed[0][1]} of an equal or smaller {run.spec.family} was killed "
                          "for exceeding --max-mem")
                record.update({
                    "status": "skipped_memory", "params": n_params, "input_shape": json.dumps(list(x.shape)),
                    "calibration_target": run.calibration_target,
                    "visibility": ProveSettings().visibility, "error": reason,
                })
            else:
                model, x = build(run.spec)
                settings = ProveSettings(calibration_target=run.calibration_target, scale=run.scale,
                                         threads=threads, infer_device=device)
                record.update(prove(model, x, settings=settings, max_mem_bytes=max_mem_bytes,
                                    timeout_s=timeout_s))
            known = set(data.read_schema(data.schema_path(out)).names)
            data.append_rows(out, [{k: v for k, v in record.items() if k in known}])
            counts[record["status"]] = counts.get(record["status"], 0) + 1
            bar.update(1)
    finally:
        bar.close()
    return counts


def retime_inference(out: Path, tag: str, profiles: set[str] | None = None, progress: bool = True) -> int:
    """Re-measure ``infer_s`` of this machine's ok rows with :func:`chasm.prove.time_inference`.

    For rows measured before inference was timed at the faster of 1 and
    ``prove_threads`` threads, or on a busy machine. Each row is re-timed on
    its own (repetitions stay independent); ``infer_date_utc`` records when.
    The file is rewritten atomically at the end. Returns the rows updated.
    """
    from tqdm import tqdm

    from chasm.prove import time_inference

    table = data.load_table(out)
    mask = (table["hardware_tag"] == tag) & (table["status"] == "ok")
    if profiles:
        mask &= table["sweep_profile"].isin(profiles)
    for i in tqdm(table.index[mask], disable=not progress, unit="row"):
        row = table.loc[i]
        model, x = build(ModelSpec(row["family"], json.loads(row["config"])))
        settings = ProveSettings(threads=int(row["prove_threads"]))
        median_s, reps, threads = time_inference(model, x, settings)
        table.loc[i, ["infer_s", "infer_reps", "torch_threads", "infer_date_utc"]] = [
            median_s, reps, threads, provenance.utc_now()]
    schema = data.read_schema(data.schema_path(out))
    data.validate_records(table.to_dict("records"), schema, str(out))
    data.write_table_atomic(out, table)
    return int(mask.sum())


def drop_contended(out: Path, run_ids: set[str], tag: str, limit: float) -> int:
    """Remove ok rows of ``run_ids`` on machine ``tag`` with ``other_cpu_frac > limit``.

    The file is rewritten atomically; returns how many rows were removed.
    """
    table = data.load_table(out)
    mask = (table["run_id"].isin(run_ids) & (table["hardware_tag"] == tag) & (table["status"] == "ok")
            & (table["other_cpu_frac"].fillna(1.0) > limit))
    if mask.any():
        data.write_table_atomic(out, table[~mask])
    return int(mask.sum())


def parse_bytes(text: str) -> int:
    """``'20G'``, ``'512M'``, ``'1.5GiB'`` or a plain number of bytes."""
    units = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    try:
        if t and t[-1] in units:
            return int(float(t[:-1]) * units[t[-1]])
        return int(float(t))
    except ValueError:
        raise SweepConfigError(f"cannot read {text!r} as a memory size (e.g. 20G, 512M)") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", help="profile name in data/sweep_profiles.yaml")
    parser.add_argument("--profiles-file", type=Path, default=None, help="alternative profile file")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per configuration")
    parser.add_argument("--max-mem", default=None,
                        help="memory ceiling, e.g. 20G (default: 85%% of physical memory)")
    parser.add_argument("--memory-margin", type=float, default=MEMORY_MARGIN, metavar="FACTOR",
                        help="skip a run whose predicted peak memory times FACTOR exceeds --max-mem "
                             f"(default {MEMORY_MARGIN}; the prediction is proportional to 2^logrows, "
                             "from the family's earlier runs on this machine)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="prover and torch threads")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="device for the torch inference timing (proofs always run on the CPU)")
    parser.add_argument("--timeout", type=float, default=None, help="per-run wall-time limit, seconds")
    parser.add_argument("--out", type=Path, default=None, help=f"output CSV (default data/{DEFAULT_OUT})")
    parser.add_argument("--redo-contended", type=float, default=None, metavar="FRAC",
                        help="first drop this machine's ok runs of the profile whose other_cpu_frac "
                             "exceeded FRAC (timings slowed by other processes), so they run again")
    parser.add_argument("--retime-inference", action="store_true",
                        help="only re-measure infer_s of this machine's ok rows of the profile, then stop")
    parser.add_argument("--dry-run", action="store_true", help="list the runs, do nothing")
    args = parser.parse_args(argv)
    try:
        profiles = load_profiles(args.profiles_file)
        if args.profile not in profiles:
            raise SweepConfigError(f"unknown profile {args.profile!r}; known: {', '.join(profiles)}")
        if args.repeat is not None and args.repeat < 1:
            raise SweepConfigError("--repeat must be at least 1")
        if not args.memory_margin >= 1.0:
            raise SweepConfigError(f"--memory-margin must be at least 1, got {args.memory_margin}")
        max_mem = (parse_bytes(args.max_mem) if args.max_mem
                   else int(0.85 * psutil.virtual_memory().total))
        out = args.out or paths.data_dir() / DEFAULT_OUT
        if out.exists():
            data.load_table(out)  # refuse to append to a file that does not match its schema
        runs = plan(profiles[args.profile], args.repeat)
        if args.device == "cuda":
            from chasm.infer import device_name

            device_name("cuda")  # raises DeviceError when there is no GPU
    except (SweepConfigError, data.DataFileError, DeviceError) as exc:
        print(f"sweep: error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        for r in runs:
            print(r.run_id, r.spec.label(), f"params={_param_count(r.spec)}")
        return 0
    if not data.schema_path(out).exists():
        import shutil

        shutil.copy(data.schema_path(paths.data_dir() / DEFAULT_OUT), data.schema_path(out))
    if args.retime_inference:
        n = retime_inference(out, provenance.machine()["hardware_tag"], {args.profile})
        print(f"sweep: re-timed inference of {n} rows -> {out}")
        return 0
    if args.redo_contended is not None and out.exists():
        dropped = drop_contended(out, {r.run_id for r in runs}, provenance.machine()["hardware_tag"],
                                 args.redo_contended)
        print(f"sweep: {dropped} contended runs dropped and scheduled again")
    t0 = time.time()
    counts = run_sweep(runs, out=out, profile_name=args.profile, max_mem_bytes=max_mem,
                       threads=args.threads, timeout_s=args.timeout, device=args.device,
                       memory_margin=args.memory_margin)
    print(f"sweep {args.profile}: {counts} in {time.time() - t0:.0f} s -> {out}")
    return 0
