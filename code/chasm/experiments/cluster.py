"""Proving sweeps on a Dask cluster: ``python -m chasm sweep --scheduler ADDRESS|local``.

Without ``--scheduler`` a sweep proves one run at a time on this machine (:func:`chasm.experiments.sweep.run_sweep`).
With it, :func:`run_on_cluster` sends each planned run to a worker of Dask's ``distributed`` scheduler as
a task; ``local`` starts a ``LocalCluster`` on this machine (:func:`connect`). What a worker runs is the
same as the local path: :func:`chasm.experiments.sweep.prove_on_worker` decides the memory skip and
proves in its own child process with the memory ceiling and kill handling of
:func:`chasm.experiments.prove.prove`.

- **One proof per worker.** Each task holds the worker resource ``prover=1`` (:data:`PROVER`), so a worker
  started with ``--resources prover=1`` runs at most one proof at a time, whatever its thread count, and
  timings stay uncontended by the sweep itself.
- **Smallest first per family.** The client keeps no more tasks in flight than there are free provers and
  starts a run only once every smaller run of its family (fewer parameters) has finished
  (:func:`dispatchable`); runs of equal size (repetitions) and different families run side by side. A
  run's memory decision therefore sees the rows of every smaller run of its family, from whichever worker:
  after a run is killed for crossing ``--max-mem``, the family's equal or larger runs that start later on
  machines of the same hardware tag are recorded as ``skipped_memory``.
- **Results come home.** Workers return records; only the client writes, appending each record as it
  arrives (:func:`append_record`, validated and atomic). Every record carries the provenance and the
  hardware tag of the machine that made it. A run is done when its ``run_id`` is in the table under the
  tag of any worker seen (:func:`done_run_ids`), so a resumed sweep skips it whichever worker made it; a
  record whose ``(run_id, hardware_tag)`` is already there is dropped, never appended twice. A killed
  client or scheduler loses only the runs in flight (the rows on disk are whole); a killed worker's run is
  started again on another worker by Dask. An interrupted client (Ctrl-C) stops the proofs it started on
  the workers, as an interrupted local sweep does.

This module and :mod:`chasm.experiments.sweep` share :func:`done_run_ids` and :func:`append_record`.
Dask is imported only when a cluster is used.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

from chasm.core import data, provenance
from chasm.core.profiles import Run
from chasm.core.specs import parameter_count
from chasm.experiments import memory_guard

__all__ = ["PROVER", "LOCAL", "ClusterError", "SchedulerUnreachableError", "SchedulerLostError",
           "done_run_ids", "append_record", "dispatchable", "connect", "describe", "prover_slots",
           "run_on_cluster"]

#: The worker resource a proof holds: workers offer ``prover=1`` to run one proof at a time.
PROVER = "prover"
#: The ``--scheduler`` value that starts a LocalCluster on this machine.
LOCAL = "local"


class ClusterError(RuntimeError):
    """A sweep could not use its Dask cluster."""


class SchedulerUnreachableError(ClusterError):
    """No Dask scheduler answered at the given address within the timeout."""


class SchedulerLostError(ClusterError):
    """The connection to the Dask scheduler was lost mid-sweep and did not come back."""


def done_run_ids(table: pd.DataFrame | None, tags: Iterable[str]) -> set[str]:
    """The ``run_id`` of every run in ``table`` (the proving runs so far, or ``None``) made on a machine
    whose hardware tag is in ``tags``."""
    if table is None or table.empty:
        return set()
    return set(table.loc[table["hardware_tag"].isin(set(tags)), "run_id"])


def append_record(out: Path, record: dict) -> pd.DataFrame:
    """Append one run's record to ``out``: the columns its schema knows, validated, atomically
    (:func:`chasm.core.data.append_rows`). Returns the new full table."""
    known = set(data.read_schema(data.schema_path(out)).names)
    return data.append_rows(out, [{k: v for k, v in record.items() if k in known}])


def dispatchable(pending: list[Run], running: list[Run], slots: int) -> list[Run]:
    """The runs of ``pending`` (in plan order) to start now on ``slots`` free provers, with ``running``
    already started.

    A run may start only when no run of its family with fewer parameters is pending or running, so a
    family's runs start smallest first and each run's memory decision sees the rows of every smaller one;
    runs of equal size and runs of other families may start side by side. With one slot and nothing
    running this is the local sweep's order: the first pending run.
    """
    if slots <= 0:
        return []
    params = {r.spec.config_id: parameter_count(r.spec) for r in [*pending, *running]}
    floor: dict[str, int] = {}
    for r in [*pending, *running]:
        floor[r.spec.family] = min(floor.get(r.spec.family, params[r.spec.config_id]), params[r.spec.config_id])
    return [r for r in pending if params[r.spec.config_id] <= floor[r.spec.family]][:slots]


@contextlib.contextmanager
def connect(address: str, *, workers: int = 1, timeout_s: float = 10.0) -> Iterator:
    """A ``distributed.Client`` connected to the scheduler at ``address``, or, for ``"local"``, to a new
    ``LocalCluster`` of ``workers`` single-threaded worker processes offering ``prover=1`` each (no Dask
    memory limit: the proof's own ceiling applies). Closes what it started on exit.

    Raises :class:`SchedulerUnreachableError`, naming the address, when no scheduler answers within
    ``timeout_s`` seconds.
    """
    from distributed import Client, LocalCluster

    cluster = None
    if address == LOCAL:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               resources={PROVER: 1}, memory_limit=0, dashboard_address=":0",
                               silence_logs=logging.ERROR)
        client = Client(cluster, set_as_default=False)
    else:
        try:
            client = Client(address, timeout=timeout_s, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerUnreachableError(
                f"no Dask scheduler answered at {address} within {timeout_s:g} s ({type(exc).__name__}: {exc})"
            ) from None
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def _workers(client) -> dict[str, dict]:
    """Address -> identity (name, resources, threads) of every worker the scheduler knows."""
    return dict(client.scheduler_info(n_workers=-1).get("workers", {}))


def prover_slots(workers: dict[str, dict]) -> int:
    """How many proofs the workers (address -> identity) can run at once: the sum of their ``prover``
    resources."""
    return int(sum(w.get("resources", {}).get(PROVER, 0) for w in workers.values()))


def describe(client) -> str:
    """One line about the cluster: the scheduler, its workers and provers, the dashboard if it has one."""
    info = client.scheduler_info()
    workers = _workers(client)
    line = f"Dask scheduler {info.get('address', '?')}: {len(workers)} workers, {prover_slots(workers)} provers"
    if "dashboard" in info.get("services", {}):
        with contextlib.suppress(Exception):
            line += f"; dashboard {client.dashboard_link}"
    return line


def _hardware_tag() -> str:
    """Runs on a worker: its machine's hardware tag."""
    return provenance.machine()["hardware_tag"]


def _tags_of(client, addresses: list[str]) -> dict[str, str]:
    """Address -> hardware tag of the given workers (those that answer)."""
    answers = client.run(_hardware_tag, workers=addresses, on_error="return")
    return {a: t for a, t in answers.items() if isinstance(t, str)}


def _stop_provers() -> int:
    """Runs on a worker: kill the proofs it is running (their ``chasm.experiments.prove --child`` process
    groups), as an interrupted local sweep does; returns how many."""
    import os
    import signal

    import psutil

    stopped = 0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if "chasm.experiments.prove" in " ".join(child.cmdline()):
                os.killpg(child.pid, signal.SIGKILL)
                stopped += 1
    return stopped


def _family_rows(table: pd.DataFrame | None, run: Run) -> pd.DataFrame | None:
    return None if table is None else table[table["family"] == run.spec.family]


def _key(run: Run) -> str:
    return f"prove-{run.run_id}"


def _state_line(client, workers: dict[str, dict], done: int, running: int, queued: int) -> str:
    """Runs done, running and queued, and what each worker is doing."""
    try:
        processing = client.processing()
    except Exception:  # a worker leaving mid-call; the next refresh tells
        processing = {}
    states = []
    for address, info in sorted(workers.items(), key=lambda kv: str(kv[1].get("name"))):
        keys = [str(k) for k in processing.get(address, ())]
        if not info.get("resources", {}).get(PROVER):
            state = f"no {PROVER} resource"
        else:
            state = ", ".join(k.removeprefix("prove-") for k in keys) or "idle"
        states.append(f"{info.get('name', address)}: {state}")
    return f"done {done} | running {running} | queued {queued} | " + "; ".join(states or ["no workers yet"])


def run_on_cluster(runs: list[Run], client, *, out: Path, task: Callable[..., dict],
                   task_kwargs: dict | None = None, progress: bool = True, poll_s: float = 0.1,
                   reconnect_s: float = 30.0) -> dict:
    """Run ``runs`` (a plan, smallest first) on the workers of ``client``; append each record to ``out``.

    Each run not yet done (:func:`done_run_ids`, under the hardware tag of any worker seen) becomes a task
    ``task(run, family_rows, **task_kwargs) -> record`` holding ``prover=1``, where ``family_rows`` are the
    table's rows of the run's family (for the memory rule on the worker). Runs start in the order of
    :func:`dispatchable`. A run whose task was cancelled because the scheduler connection dropped is sent
    again once it is back; if it is not back within ``reconnect_s`` seconds, :class:`SchedulerLostError`
    is raised, with every finished row already on disk.

    Returns counts by status, plus ``skipped_done`` (already in ``out``), ``failed`` (the task raised or
    lost its worker too often: no row, a resumed sweep tries again) and ``duplicate_dropped``. The
    messages of failed tasks are under ``"errors"`` when there are any.
    """
    from tqdm import tqdm

    task_kwargs = dict(task_kwargs or {})
    pending, running = list(runs), {}  # running: future -> run
    bar = tqdm(total=len(runs), disable=not progress, unit="run", dynamic_ncols=True)
    book = _Book(out, {r.run_id: i for i, r in enumerate(runs)}, bar)
    tags: dict[str, str] = {}  # worker address -> hardware tag, of every worker seen
    lost_since = None
    address = getattr(getattr(client, "scheduler", None), "address", "?")
    last_state, shown = 0.0, ""
    try:
        while pending or running:
            book.collect(running, pending)
            if client.status != "running":  # the scheduler is gone: Dask cancelled every task in flight
                lost_since = lost_since or time.monotonic()
                if client.status in ("closing", "closed") or time.monotonic() - lost_since > reconnect_s:
                    raise SchedulerLostError(
                        f"lost the Dask scheduler at {address}; every finished run is recorded in {out}, "
                        f"{len(pending) + len(running)} runs are not done: run the same command again to resume")
                bar.set_postfix_str(f"scheduler {address} lost, reconnecting", refresh=True)
                time.sleep(poll_s)
                continue
            lost_since = None
            workers = _workers(client)
            new = [a for a in workers if a not in tags]
            if new:
                tags.update(_tags_of(client, new))
            done = done_run_ids(book.table, set(tags.values()))
            for run in [r for r in pending if r.run_id in done]:
                pending.remove(run)
                book.count("skipped_done")
            for run in dispatchable(pending, list(running.values()), prover_slots(workers) - len(running)):
                future = client.submit(task, run, _family_rows(book.table, run), **task_kwargs, key=_key(run),
                                       resources={PROVER: 1}, pure=False)
                running[future] = run
                pending.remove(run)
            if not any(f.done() for f in running):
                time.sleep(poll_s)
            if progress and time.monotonic() - last_state > 1.0:  # redrawn when it changes
                last_state, state = time.monotonic(), _state_line(client, workers, bar.n, len(running), len(pending))
                if state != shown:
                    bar.set_postfix_str(state, refresh=True)
                    shown = state
    finally:
        bar.close()
        if running:  # interrupted: no proof of this sweep keeps running on the workers
            with contextlib.suppress(Exception):
                client.cancel(list(running))
                if client.status == "running":
                    client.run(_stop_provers, on_error="return")
    if book.errors:
        book.counts["errors"] = book.errors
    return book.counts


class _Book:
    """The client's record keeping: the table so far, counts, failures and the progress bar."""

    def __init__(self, out: Path, order: dict[str, int], bar):
        self.out, self.order, self.bar = Path(out), order, bar
        self.table = memory_guard.load_if_present(out)
        self.counts: dict = {"skipped_done": 0}
        self.errors: list[str] = []

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1
        self.bar.update(1)

    def store(self, record: dict) -> None:
        """Append ``record`` unless a row with its ``(run_id, hardware_tag)`` is already there."""
        t = self.table
        if t is not None and ((t["run_id"] == record["run_id"]) & (t["hardware_tag"] == record["hardware_tag"])).any():
            self.count("duplicate_dropped")
            return
        self.table = append_record(self.out, record)
        self.count(record["status"])

    def collect(self, running: dict, pending: list[Run]) -> None:
        """Take the finished futures out of ``running``: store a record, note a failure, or put a run
        whose task was cancelled or whose result could not be fetched (scheduler lost) back into
        ``pending``."""
        for future in [f for f in running if f.done()]:
            run = running.pop(future)
            if future.status == "finished":
                try:
                    record = future.result(timeout=60)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException:  # cancelled or unreachable: the scheduler went away
                    record = None
                if record is not None:
                    self.store(record)
                    continue
            if future.status in ("cancelled", "finished"):
                pending.append(run)
                pending.sort(key=lambda r: self.order[r.run_id])
                continue
            exc = future.exception()
            self.errors.append(f"{run.run_id}: {type(exc).__name__}: {exc}")
            self.bar.write(f"sweep: {run.run_id} failed on the cluster: {type(exc).__name__}: {exc}")
            self.count("failed")
