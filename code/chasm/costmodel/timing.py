"""A time scale for the prover-work model: measured proving time per modelled field multiplication.

For every completed proving run the model's prover work at the run's ``logrows``
(:func:`~chasm.costmodel.prover.prover_work` with the run's committed polynomials) is set
against the measured proving CPU time (:func:`implied_field_mult_time`), and summarised by a
geometric mean with a 95% interval (:func:`geometric_mean_interval`).
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd

from chasm.core.runs import contended
from chasm.costmodel.constants import Constants
from chasm.costmodel.prover import circuit_kind, prover_constants, prover_work
from chasm.costmodel.symbols import n_poly
from chasm.costmodel.validation import proving_runs_with_model

__all__ = ["implied_field_mult_time", "implied_time_per_config", "geometric_mean_interval"]


def implied_field_mult_time(constants: Constants | None = None, *, time: str = "compute") -> pd.DataFrame:
    """For every ``ok`` proving run: the model's prover work at the run's ``logrows`` (with the prover
    constants read for the run's kind of circuit, :func:`~chasm.costmodel.prover.measured_constants`)
    and the measured proving time, and their ratio (CPU-nanoseconds per field multiplication: proving
    seconds times the prover's threads, over the work). ``time="compute"`` takes ezkl's own compute time
    of the proof (``prove_compute_s``), ``"wall"`` the whole ``prove`` phase (``prove_s``, with reading
    the keys). ``contended``: other processes used more
    than :data:`chasm.core.constants.CONTENTION_LIMIT` of the machine (:func:`chasm.core.runs.contended`) during the run, so its time is
    inflated. Empty if there are no runs."""
    runs = proving_runs_with_model(constants)
    if runs.empty:
        return pd.DataFrame()
    rows = []
    for rec in runs.to_dict("records"):
        kind = circuit_kind(rec["family"], rec["config"], bool(rec["disable_freivalds"]))
        if kind is None:
            raise ValueError(f"run {rec['run_id']} was proven at run arguments whose prover constants were not read")
        consts = prover_constants(kind)
        n_c = consts[n_poly]
        work = float(prover_work(int(rec["logrows"])).subs(consts))
        use_compute = time == "compute" and pd.notna(rec.get("prove_compute_s"))
        seconds = rec["prove_compute_s"] if use_compute else rec["prove_s"]
        threads = rec["prove_threads"] if pd.notna(rec.get("prove_threads")) else rec["cpu_count"]
        rows.append({"run_id": rec["run_id"], "family": rec["family"], "config_id": rec["config_id"],
                     "logrows": int(rec["logrows"]), "committed_polys": n_c, "field_mults": work,
                     "prove_s": float(seconds), "threads": int(threads),
                     "cpu_ns_per_field_mult": 1e9 * float(seconds) * int(threads) / work,
                     "other_cpu_frac": rec.get("other_cpu_frac")})
    out = pd.DataFrame(rows)
    out["contended"] = contended(out)
    return out.drop(columns=["other_cpu_frac"])


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
