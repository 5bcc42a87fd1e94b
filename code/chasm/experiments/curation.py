"""Edits of committed measurements: re-timing inference and dropping contended runs so they run again.

Both rewrite ``data/measurements/proofs.csv`` (or another proving-runs table) atomically after
validating the whole table against its schema, so a failure leaves the file as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

from chasm.core import data, provenance
from chasm.core.runs import contended
from chasm.core.specs import ModelSpec
from chasm.experiments.inference import time_inference
from chasm.experiments.models import build

__all__ = ["retime_inference", "drop_contended"]


def retime_inference(out: Path, tag: str, profiles: set[str] | None = None, progress: bool = True) -> int:
    """Re-measure ``infer_s`` of machine ``tag``'s ok rows with :func:`chasm.experiments.inference.time_inference`.

    For rows measured before inference was timed at the faster of 1 and ``prove_threads`` threads, or
    on a busy machine. Each row is re-timed on its own (repetitions stay independent);
    ``infer_date_utc`` records when. The file is rewritten atomically at the end. Returns the rows
    updated.
    """
    from tqdm import tqdm

    table = data.load_table(out)
    mask = (table["hardware_tag"] == tag) & (table["status"] == "ok")
    if profiles:
        mask &= table["sweep_profile"].isin(profiles)
    for i in tqdm(table.index[mask], disable=not progress, unit="row"):
        row = table.loc[i]
        model, x = build(ModelSpec(row["family"], json.loads(row["config"])))
        median_s, reps, threads = time_inference(model, x, threads=int(row["prove_threads"]))
        table.loc[i, ["infer_s", "infer_reps", "torch_threads", "infer_date_utc"]] = [
            median_s, reps, threads, provenance.utc_now()]
    schema = data.read_schema(data.schema_path(out))
    data.validate_records(table.to_dict("records"), schema, str(out))
    data.write_table_atomic(out, table)
    return int(mask.sum())


def drop_contended(out: Path, run_ids: set[str], tag: str, limit: float) -> int:
    """Remove ok rows of ``run_ids`` on machine ``tag`` that were contended above ``limit`` (a share of the
    machine's CPU; rows that did not record ``other_cpu_frac`` count as contended).

    The file is rewritten atomically; returns how many rows were removed.
    """
    table = data.load_table(out)
    mask = (table["run_id"].isin(run_ids) & (table["hardware_tag"] == tag) & (table["status"] == "ok")
            & contended(table, missing=True, limit=limit))
    if mask.any():
        data.write_table_atomic(out, table[~mask])
    return int(mask.sum())
