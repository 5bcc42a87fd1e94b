"""A time scale for the prover-work model: measured proving time per modelled field multiplication.

For every completed proving run the model's prover work at the run's ``logrows``
(:func:`~chasm.costmodel.prover.prover_work` with the run's committed polynomials) is set
against the measured proving CPU time (:func:`implied_field_mult_time`), and summarised by a
geometric mean with a 95% interval (:func:`geometric_mean_interval`).
"""

from __future__ import annotations

import json
import math
from typing import Iterable

import numpy as np
import pandas as pd

from chasm.core.constants import CONTENTION_LIMIT
from chasm.costmodel.constants import Constants
from chasm.costmodel.prover import PROVER_CONSTANTS, circuit_committed_polys, prover_work
from chasm.costmodel.symbols import n_poly
from chasm.costmodel.validation import proving_runs_with_predictions

__all__ = ["implied_field_mult_time", "implied_time_per_config", "geometric_mean_interval"]


def implied_field_mult_time(constants: Constants | None = None) -> pd.DataFrame:
    """For every ``ok`` proving run: the model's prover work at the run's ``logrows`` and the
    measured proving time, and their ratio (CPU-nanoseconds per field multiplication: proving
    seconds times the prover's threads, over the work). ``contended``: other processes used more
    than :data:`chasm.core.constants.CONTENTION_LIMIT` of the machine during the run, so its time is
    inflated. Empty if there are no runs."""
    runs = proving_runs_with_predictions(constants)
    if runs.empty:
        return pd.DataFrame()
    rows = []
    for rec in runs.to_dict("records"):
        tables = (len(json.loads(rec["required_range_checks"] or "[]"))
                  + len(json.loads(rec["required_lookups"] or "[]")))
        n_c = circuit_committed_polys(int(rec["num_inner_cols"]), tables, rec["pred_einsum_cells"] > 0)
        work = float(prover_work(int(rec["logrows"])).subs({**PROVER_CONSTANTS, n_poly: n_c}))
        seconds = rec["prove_compute_s"] if pd.notna(rec.get("prove_compute_s")) else rec["prove_s"]
        threads = rec["prove_threads"] if pd.notna(rec.get("prove_threads")) else rec["cpu_count"]
        rows.append({"run_id": rec["run_id"], "family": rec["family"], "config_id": rec["config_id"],
                     "logrows": int(rec["logrows"]), "committed_polys": n_c, "field_mults": work,
                     "prove_s": float(seconds), "threads": int(threads),
                     "cpu_ns_per_field_mult": 1e9 * float(seconds) * int(threads) / work,
                     "contended": bool(pd.notna(rec.get("other_cpu_frac"))
                                       and float(rec["other_cpu_frac"]) > CONTENTION_LIMIT)})
    return pd.DataFrame(rows)


def implied_time_per_config(implied: pd.DataFrame) -> pd.DataFrame:
    """Per configuration of :func:`implied_field_mult_time`: runs, contended runs and the median
    CPU-nanoseconds per modelled field multiplication."""
    return (implied.groupby(["family", "config_id", "logrows", "committed_polys"])
            .agg(runs=("run_id", "size"), contended_runs=("contended", "sum"),
                 median_cpu_ns_per_field_mult=("cpu_ns_per_field_mult", "median"))
            .reset_index())


def geometric_mean_interval(values: Iterable[float], groups: Iterable[str] | None = None) -> dict[str, float]:
    """Geometric mean with a 95% t-interval on the log scale; with ``groups``, each group (e.g.
    one configuration's repetitions) is first averaged in logs so that it counts once."""
    from scipy import stats

    logs = pd.Series(np.log(np.asarray(list(values), dtype=float)))
    if groups is not None:
        logs = logs.groupby(pd.Series(list(groups))).mean()
    n_ = len(logs)
    mean = float(logs.mean())
    if n_ < 2:
        return {"low": float("nan"), "point": math.exp(mean), "high": float("nan"), "n": n_}
    half = float(stats.t.ppf(0.975, n_ - 1) * logs.std(ddof=1) / math.sqrt(n_))
    return {"low": math.exp(mean - half), "point": math.exp(mean), "high": math.exp(mean + half), "n": n_}
