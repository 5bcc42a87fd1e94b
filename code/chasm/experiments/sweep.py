"""Resumable proving sweeps: ``python -m chasm sweep --profile quick|full|calibration``.

A sweep expands a profile of ``data/sweep_profiles.yaml`` into runs (:func:`chasm.core.profiles.plan`:
family, size, calibration target, scale, repetition; smallest model first) and, for each run not yet in
``data/measurements/proofs.csv`` on this machine, calls :func:`execute`: one proof in its own child
process (:func:`chasm.experiments.prove.prove`), recorded with provenance. Each record is appended
through :func:`chasm.core.data.append_rows` (validated, atomic) before the next run starts; runs are
keyed by ``run_id`` and ``hardware_tag``, so a killed sweep resumes where it stopped.

Before each run the sweep estimates its peak memory (:mod:`chasm.experiments.memory_guard`) and
records ``status='skipped_memory'`` instead of starting what would not fit under ``--max-mem`` (after
the safety factor ``--memory-margin``); the child is also killed if it crosses that ceiling, and after
such a kill the family's equal or larger runs are skipped.

With ``--scheduler ADDRESS|local`` the same runs go to the workers of a Dask cluster instead, one proof
per worker at a time (:mod:`chasm.experiments.cluster`, which calls :func:`prove_on_worker` there); only
this process writes rows. Without it the sweep runs here, one proof at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import psutil

from chasm.core import data, paths, provenance
from chasm.core.constants import PROOFS
from chasm.core.fmt import parse_bytes
from chasm.core.profiles import Run, SweepConfigError, load_profiles, plan
from chasm.core.specs import parameter_count
from chasm.experiments import cluster, memory_guard, provers
from chasm.experiments.cluster import append_record, done_run_ids
from chasm.experiments.curation import drop_contended, retime_inference
from chasm.experiments.inference import DeviceError, device_name
from chasm.experiments.memory_guard import MEMORY_MARGIN
from chasm.experiments.models import build
from chasm.experiments.prove import ProveSettings, prove

__all__ = ["default_max_mem", "skip_reason", "execute", "prove_on_worker", "run_sweep", "main"]


def _done_keys(table, tag: str) -> set[str]:
    return done_run_ids(table, {tag})


def default_max_mem(provers: int = 1) -> int:
    """The default ``--max-mem`` (bytes): 85% of this machine's physical memory, shared among ``provers``
    proofs running on it at once."""
    return int(0.85 * psutil.virtual_memory().total / provers)


def _eta_s(remaining: list[Run], table, tag: str) -> float:
    """Estimated seconds for ``remaining`` runs from each family's earlier runs by the same prover on this
    machine."""
    keys = {(r.spec.family, r.prover) for r in remaining}
    histories = {k: memory_guard.history(table, tag, *k) for k in keys}
    all_secs = [s for _, _, secs, _ in histories.values() for s in secs]
    fallback = float(np.median(all_secs)) if all_secs else 0.0
    total = 0.0
    for r in remaining:
        params, _, secs, _ = histories[(r.spec.family, r.prover)]
        guess = memory_guard.extrapolate_log_log(params, secs, parameter_count(r.spec), single_point="constant")
        total += guess if guess is not None else fallback
    return total


def skip_reason(run: Run, table, tag: str, max_mem_bytes: int, memory_margin: float = MEMORY_MARGIN) -> str | None:
    """Why ``run`` should not start on machine ``tag`` (a sentence), or ``None`` if it should.

    It is skipped when its estimated peak memory times ``memory_margin`` exceeds ``max_mem_bytes``
    (bytes), or when a run of the same family and prover with at most as many parameters was killed for
    crossing ``--max-mem`` on this machine (``table``: the proving runs so far, or ``None``). ezkl's
    estimate scales with the circuit's padded rows; another prover's with the parameter count (slope at
    least 1 beyond its largest earlier run).
    """
    n_params = parameter_count(run.spec)
    failed = [(p, rid) for p, rid in memory_guard.memory_failures(table, tag, run.spec.family, run.prover)
              if p <= n_params]
    if run.prover == "ezkl":
        peak = memory_guard.estimate_peak_bytes(table, tag, run.spec, run.scale)
    else:
        params, peaks, _, _ = memory_guard.history(table, tag, run.spec.family, run.prover)
        peak = memory_guard.extrapolate_log_log(params, peaks, n_params, min_slope=1.0)
    if peak is not None and peak * memory_margin > max_mem_bytes:
        return (f"estimated peak memory {peak / 2**30:.1f} GiB (x{memory_margin:g} margin) "
                f"exceeds --max-mem {max_mem_bytes / 2**30:.1f} GiB")
    if failed:
        return f"run {failed[0][1]} of an equal or smaller {run.spec.family} was killed for exceeding --max-mem"
    return None


def execute(run: Run, *, profile_name: str, threads: int, max_mem_bytes: int, timeout_s: float | None = None,
            device: str = "cpu", skip: str | None = None) -> dict:
    """The record of one run: a proof in a child process, or, with ``skip`` (a reason), a
    ``skipped_memory`` row. Carries the machine's provenance; writes nothing."""
    machine = provenance.machine()
    record = {
        "run_id": run.run_id, "family": run.spec.family, "config_id": run.spec.config_id,
        "config": run.spec.config_json, "repetition": run.repetition,
        "sweep_profile": profile_name, "date_utc": provenance.utc_now(),
        "loadavg_1m": os.getloadavg()[0], **machine,
    }
    model, x = build(run.spec)
    if skip is not None:
        record.update({
            "status": "skipped_memory", "params": parameter_count(run.spec), "input_shape": json.dumps(list(x.shape)),
            "calibration_target": run.calibration_target if run.prover == "ezkl" else "fixed",
            "visibility": provers.visibility(run.prover), "error": skip, "prover": run.prover,
        })
        return record
    if run.prover != "ezkl":  # the second proof family, through the same prover interface
        record.update(provers.prove(run.prover, model, x, threads=run.threads or threads, max_mem_bytes=max_mem_bytes,
                                    timeout_s=timeout_s, infer_device=device))
        return record
    settings = ProveSettings(calibration_target=run.calibration_target, scale=run.scale,
                             threads=run.threads or threads, infer_device=device)
    record.update(prove(model, x, settings=settings, max_mem_bytes=max_mem_bytes, timeout_s=timeout_s))
    return record


def prove_on_worker(run: Run, history, *, profile_name: str, threads: int | None, max_mem_bytes: int | None,
                    memory_margin: float = MEMORY_MARGIN, timeout_s: float | None = None, device: str = "cpu") -> dict:
    """On a Dask worker (:func:`chasm.experiments.cluster.run_on_cluster`): the record of ``run`` made on
    this machine. The memory rule (:func:`skip_reason`) reads ``history``, the client's rows of the run's
    family from every machine, under this machine's hardware tag; then :func:`execute` proves in a child
    process. ``threads`` and ``max_mem_bytes`` ``None``: every CPU and :func:`default_max_mem` of this
    machine."""
    max_mem = max_mem_bytes or default_max_mem()
    skip = skip_reason(run, history, provenance.machine()["hardware_tag"], max_mem, memory_margin)
    return execute(run, profile_name=profile_name, threads=threads or os.cpu_count() or 1, max_mem_bytes=max_mem,
                   timeout_s=timeout_s, device=device, skip=skip)


def run_sweep(runs: list[Run], *, out: Path, profile_name: str, max_mem_bytes: int,
              threads: int, timeout_s: float | None = None, progress: bool = True,
              device: str = "cpu", memory_margin: float = MEMORY_MARGIN) -> dict:
    """Execute the ``runs`` not yet in ``out`` on this machine, one at a time; return counts by status.

    A run :func:`skip_reason` refuses is recorded as ``skipped_memory``, not attempted."""
    tag = provenance.machine()["hardware_tag"]
    done = _done_keys(memory_guard.load_if_present(out), tag)
    todo = [r for r in runs if r.run_id not in done]
    counts = {"skipped_done": len(runs) - len(todo)}
    from tqdm import tqdm

    bar = tqdm(total=len(todo), disable=not progress, unit="run", dynamic_ncols=True)
    try:
        for i, run in enumerate(todo):
            table = memory_guard.load_if_present(out)
            bar.set_postfix_str(f"{run.run_id} | ETA {_eta_s(todo[i:], table, tag) / 60:.0f} min")
            skip = skip_reason(run, table, tag, max_mem_bytes, memory_margin)
            record = execute(run, profile_name=profile_name, threads=threads, max_mem_bytes=max_mem_bytes,
                             timeout_s=timeout_s, device=device, skip=skip)
            append_record(out, record)
            counts[record["status"]] = counts.get(record["status"], 0) + 1
            bar.update(1)
    finally:
        bar.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chasm sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", help="profile name in data/sweep_profiles.yaml")
    parser.add_argument("--profiles-file", type=Path, default=None, help="alternative profile file")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per configuration")
    parser.add_argument("--max-mem", default=None,
                        help="memory ceiling, e.g. 20G (default: 85%% of physical memory)")
    parser.add_argument("--memory-margin", type=float, default=MEMORY_MARGIN, metavar="FACTOR",
                        help="skip a run whose estimated peak memory times FACTOR exceeds --max-mem "
                             f"(default {MEMORY_MARGIN}; the prediction is proportional to 2^logrows, "
                             "from the family's earlier runs on this machine)")
    parser.add_argument("--threads", type=int, default=None,
                        help="prover and torch threads (default: every CPU of the machine that proves; "
                             "with --scheduler local, this machine's CPUs shared among the workers)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="device for the torch inference timing (proofs always run on the CPU)")
    parser.add_argument("--timeout", type=float, default=None, help="per-run wall-time limit, seconds")
    parser.add_argument("--out", type=Path, default=None, help=f"output CSV (default data/{PROOFS})")
    parser.add_argument("--redo-contended", type=float, default=None, metavar="FRAC",
                        help="first drop this machine's ok runs of the profile whose other_cpu_frac "
                             "exceeded FRAC (timings slowed by other processes), so they run again")
    parser.add_argument("--retime-inference", action="store_true",
                        help="only re-measure infer_s of this machine's ok rows of the profile, then stop")
    parser.add_argument("--dry-run", action="store_true", help="list the runs, do nothing")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                        help="send each run to a worker of the Dask scheduler at ADDRESS (e.g. tcp://host:8786; "
                             f"workers need the resource {cluster.PROVER}=1), or of a LocalCluster started here "
                             "('local'). Default: no cluster, one proof at a time on this machine")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes of the LocalCluster of --scheduler local (default 1; more "
                             "workers prove side by side, so their timings compete for this machine)")
    parser.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="how long to wait for the scheduler at --scheduler ADDRESS (default 10)")
    args = parser.parse_args(argv)
    remote = args.scheduler not in (None, cluster.LOCAL)
    try:
        profiles = load_profiles(args.profiles_file)
        if args.profile not in profiles:
            raise SweepConfigError(f"unknown profile {args.profile!r}; known: {', '.join(profiles)}")
        if args.repeat is not None and args.repeat < 1:
            raise SweepConfigError("--repeat must be at least 1")
        if not args.memory_margin >= 1.0:
            raise SweepConfigError(f"--memory-margin must be at least 1, got {args.memory_margin}")
        if args.workers is not None and (args.scheduler != cluster.LOCAL or args.workers < 1):
            raise SweepConfigError("--workers needs --scheduler local and at least 1 worker")
        if remote and (args.retime_inference or args.redo_contended is not None):
            raise SweepConfigError("--retime-inference and --redo-contended work on this machine's rows: "
                                   "run them without --scheduler ADDRESS")
        try:
            max_mem = parse_bytes(args.max_mem) if args.max_mem else default_max_mem(args.workers or 1)
        except ValueError as exc:
            raise SweepConfigError(str(exc)) from None
        out = args.out or paths.data_dir() / PROOFS
        if out.exists():
            data.load_table(out)  # refuse to append to a file that does not match its schema
        elif args.retime_inference:
            raise SweepConfigError(f"data file {out} is missing: --retime-inference re-times the rows of an "
                                   "existing table")
        runs = plan(profiles[args.profile], args.repeat)
        if args.device == "cuda" and not remote:
            device_name("cuda")  # raises DeviceError when there is no GPU
    except (SweepConfigError, data.DataFileError, DeviceError) as exc:
        print(f"sweep: error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        for r in runs:
            print(r.run_id, r.spec.label(), f"params={parameter_count(r.spec)}")
        return 0
    if not data.schema_path(out).exists():
        import shutil

        shutil.copy(data.schema_path(paths.data_dir() / PROOFS), data.schema_path(out))
    if args.retime_inference:
        n = retime_inference(out, provenance.machine()["hardware_tag"], {args.profile})
        print(f"sweep: re-timed inference of {n} rows -> {out}")
        return 0
    if args.redo_contended is not None and out.exists():
        dropped = drop_contended(out, {r.run_id for r in runs}, provenance.machine()["hardware_tag"],
                                 args.redo_contended)
        print(f"sweep: {dropped} contended runs dropped and scheduled again")
    if args.scheduler is not None:
        return _on_cluster(args, runs, out, max_mem)
    t0 = time.time()
    counts = run_sweep(runs, out=out, profile_name=args.profile, max_mem_bytes=max_mem,
                       threads=args.threads or os.cpu_count(), timeout_s=args.timeout, device=args.device,
                       memory_margin=args.memory_margin)
    print(f"sweep {args.profile}: {counts} in {time.time() - t0:.0f} s -> {out}")
    return 0


def _on_cluster(args, runs: list[Run], out: Path, max_mem: int) -> int:
    """The end of :func:`main` with ``--scheduler``: the runs go to Dask workers. On a remote cluster,
    ``--threads`` and ``--max-mem`` left out are each worker machine's own defaults."""
    local = args.scheduler == cluster.LOCAL
    workers = args.workers or 1
    threads = args.threads or (max(1, (os.cpu_count() or 1) // workers) if local else None)
    kwargs = {"profile_name": args.profile, "threads": threads, "memory_margin": args.memory_margin,
              "max_mem_bytes": max_mem if local or args.max_mem else None, "timeout_s": args.timeout,
              "device": args.device}
    t0 = time.time()
    try:
        with cluster.connect(args.scheduler, workers=workers, timeout_s=args.connect_timeout) as client:
            print(f"sweep: {cluster.describe(client)}", flush=True)
            counts = cluster.run_on_cluster(runs, client, out=out, task=prove_on_worker, task_kwargs=kwargs,
                                            reconnect_s=max(args.connect_timeout, 30.0))
    except cluster.ClusterError as exc:
        print(f"sweep: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, cluster.SchedulerUnreachableError) else 1
    errors = counts.pop("errors", [])
    print(f"sweep {args.profile} on {args.scheduler}: {counts} in {time.time() - t0:.0f} s -> {out}")
    if errors:
        print(f"sweep: {len(errors)} runs failed on the cluster and were not recorded (first: {errors[0]}); "
              "run the same command again to retry them", file=sys.stderr)
        return 1
    return 0
