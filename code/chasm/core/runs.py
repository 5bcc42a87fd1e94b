"""The committed proving runs (``data/measurements/proofs.csv``), read with derived columns.

:func:`load_runs` is how the laws, the cost model and the chapters read the table (through
:func:`chasm.core.data.load_table`, so it is schema-checked); :func:`peak_rss_bytes` is the one
definition of a run's peak memory (the largest of its per-phase peaks); :func:`per_config` takes
medians over the repetitions of each configuration (a family, size, calibration target and scale on
one machine).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from chasm.core import data
from chasm.core.constants import CONFIG_KEYS, CONTENTION_LIMIT, PROOFS, phase_columns

__all__ = ["verified_ok", "load_runs", "peak_rss_bytes", "contended", "size_label", "per_config"]


def verified_ok(frame: pd.DataFrame) -> pd.Series:
    """Whether each run produced a proof that verified: ``status == 'ok'`` *and* ``verified`` is True.

    ``status`` alone is not trusted: an ``ok`` row whose ``verified`` is False or missing did not show a
    verified proof, and no law, band or chapter number may rest on it (a missing ``verified`` column
    counts as not verified).
    """
    verified = frame["verified"] if "verified" in frame.columns else pd.Series(False, index=frame.index)
    return (frame["status"] == "ok") & verified.eq(True)


def load_runs(*, status: str | None = "ok", profiles: list[str] | None = None,
              frame: pd.DataFrame | None = None, provers: tuple[str, ...] | None = ("ezkl",)) -> pd.DataFrame:
    """The proving runs, optionally only rows of one ``status``, some sweep profiles and some provers.

    ``provers`` (default ezkl only; ``None``: every prover) keeps the rows of those proof systems (a row
    with no ``prover`` is ezkl's), so the second prover's runs reach only what asks for them.
    ``status='ok'`` (the default) keeps only runs whose proof verified (:func:`verified_ok`).
    ``frame`` is the table itself (default: ``data/measurements/proofs.csv``). Adds derived columns:
    ``padded_rows`` (``2**logrows``, the domain the prover works on, rows), ``total_s`` (sum of all
    phase wall times, s), ``peak_rss_bytes`` (:func:`peak_rss_bytes`, bytes), ``overhead_ratio``
    (``prove_s / infer_s``), ``contended`` (:func:`contended`) and ``size_label`` (the size parameters).
    """
    frame = data.load_table(PROOFS) if frame is None else frame
    if status == "ok":
        frame = frame[verified_ok(frame)]
    elif status is not None:
        frame = frame[frame["status"] == status]
    if profiles is not None:
        frame = frame[frame["sweep_profile"].isin(profiles)]
    if provers is not None:
        prover = frame["prover"].fillna("ezkl") if "prover" in frame.columns else pd.Series("ezkl", index=frame.index)
        frame = frame[prover.isin(provers)]
    frame = frame.copy()
    frame["padded_rows"] = np.power(2.0, frame["logrows"])
    frame["total_s"] = frame[phase_columns("_s")].sum(axis=1, min_count=1)
    frame["peak_rss_bytes"] = peak_rss_bytes(frame)
    frame["overhead_ratio"] = frame["prove_s"] / frame["infer_s"]
    frame["contended"] = contended(frame)
    frame["size_label"] = [size_label(c) for c in frame["config"]]
    return frame


def peak_rss_bytes(runs: pd.DataFrame | Mapping) -> pd.Series | float:
    """A run's peak resident memory: the largest of its per-phase peaks (bytes).

    ``runs`` is a table of runs (returns a Series; phases without a peak are skipped) or one record
    (a mapping; returns NaN when no phase has a peak).
    """
    cols = phase_columns("_peak_rss_bytes")
    if isinstance(runs, pd.DataFrame):
        return runs[[c for c in cols if c in runs.columns]].max(axis=1, skipna=True)
    values = [runs.get(c) for c in cols]
    values = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return max(values) if values else math.nan


def contended(runs: pd.DataFrame, *, missing: bool = False, limit: float = CONTENTION_LIMIT) -> pd.Series:
    """Whether each run's timings were slowed by other work: its ``other_cpu_frac`` (share of the
    machine's CPU used by other processes during the run) exceeds ``limit`` (default
    :data:`~chasm.core.constants.CONTENTION_LIMIT`). A run that did not record it counts as ``missing``
    (not contended by default; :mod:`chasm.experiments.curation` re-runs such runs, to be safe)."""
    frac = pd.to_numeric(runs["other_cpu_frac"], errors="coerce")
    return (frac > limit) | (frac.isna() & missing)


def size_label(config_json: str) -> str:
    """The size parameters of a configuration (its JSON), as ``key=value`` pairs."""
    config = json.loads(config_json)
    return ", ".join(f"{k}={v}" for k, v in sorted(config.items()) if k not in ("outputs", "ffn_mult", "activation"))


def per_config(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Median (and min, max) of ``columns`` over repetitions of each configuration of ``frame``
    (runs as :func:`load_runs` returns them); ``repetitions`` counts the runs."""
    keys = list(CONFIG_KEYS) + ["params", "logrows", "num_rows", "total_assignments", "size_label"]
    grouped = frame.groupby(keys, dropna=False)
    out = grouped[columns].median()
    out["repetitions"] = grouped.size()
    for c in columns:
        out[f"{c}_min"] = grouped[c].min()
        out[f"{c}_max"] = grouped[c].max()
    return out.reset_index()
