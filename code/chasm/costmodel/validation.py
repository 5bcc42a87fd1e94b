"""The layout model against what ezkl reported: held-out layouts, proving runs, and the error
band put on extrapolated rows.

Circuits of ``data/measurements/layouts.csv`` are split deterministically into
training and held-out sets (:func:`split_of`); the constants are fitted on the
training set and every circuit is modelled (:func:`validate`). The proving runs
of ``data/measurements/proofs.csv`` are modelled with the constants fitted to all
layouts (:func:`validate_proofs`). :func:`leave_out_errors` pools the relative
errors of every circuit the constants were not estimated on, :func:`conformal_quantile` turns them
into a 95% prediction bound (split-conformal) and :func:`error_trend_at` extrapolates
their drift with circuit size.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from typing import Iterable

import numpy as np
import pandas as pd

from chasm.core import data, paths
from chasm.core.constants import LAYOUTS, PROOFS
from chasm.core.ezkl_rules import DEFAULT_DECOMP_LEGS
from chasm.core.runs import verified_ok
from chasm.costmodel.families import FAMILY_DEFAULTS
from chasm.costmodel.constants import Constants, default_constants, estimate_constants, circuit_size

__all__ = ["ALWAYS_TRAIN", "ALWAYS_HELD_OUT", "BAND_COVERAGE", "MEDIAN_ERROR_TARGET", "split_of", "validate",
           "layouts_validation", "heldout_summary", "error_table", "proving_runs_with_model",
           "validate_proofs", "circuit_key", "leave_out_errors", "conformal_quantile", "error_trend_at"]

#: Families whose circuits are always in the training set (single operations: they identify the
#: fitted constants) and always held out (miniature Llamas: they test the frontier layout).
ALWAYS_TRAIN = ("op",)
ALWAYS_HELD_OUT = ("llama",)
#: Coverage of the prediction bounds and intervals of the cost model.
BAND_COVERAGE = 0.95
#: Target for the median absolute relative error on held-out circuits (issue 4 of the project).
MEDIAN_ERROR_TARGET = 0.10


def _layouts_table() -> pd.DataFrame:
    path = paths.data_dir() / LAYOUTS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m chasm layouts` to measure layouts")
    return data.load_table(path)


def split_of(family: str, circuit_id: str) -> str:
    """``train`` or ``test`` for one circuit: families in :data:`ALWAYS_TRAIN` and
    :data:`ALWAYS_HELD_OUT` by family, the others by the parity of a hash of the circuit id."""
    if family in ALWAYS_TRAIN:
        return "train"
    if family in ALWAYS_HELD_OUT:
        return "test"
    digest = int(hashlib.sha256(circuit_id.encode()).hexdigest(), 16)
    return "train" if digest % 2 == 0 else "test"


def validate(frame: pd.DataFrame, constants: Constants | None = None) -> pd.DataFrame:
    """Constants on the training circuits of ``frame`` (``layouts.csv`` rows), model every circuit.

    Returns one row per circuit: family, config, split, observed and modelled
    ``num_rows``, ``total_assignments`` and einsum cells, and relative errors
    (modelled / observed - 1).
    """
    splits = [split_of(fam, cid) for fam, cid in zip(frame["family"], frame["circuit_id"])]
    constants = constants or estimate_constants(frame[[s == "train" for s in splits]])
    rows = []
    for split, rec in zip(splits, frame.to_dict("records")):
        pred = circuit_size(rec["family"], json.loads(rec["config"]), constants,
                              num_inner_cols=rec["num_inner_cols"], decomp_legs=rec["decomp_legs"],
                              decomp_base=rec["decomp_base"], disable_freivalds=rec["disable_freivalds"],
                              output_visibility=rec["output_visibility"], param_visibility=rec["param_visibility"])
        rows.append({
            "circuit_id": rec["circuit_id"], "family": rec["family"], "config": rec["config"], "split": split,
            "num_inner_cols": rec["num_inner_cols"], "disable_freivalds": rec["disable_freivalds"],
            "decomp_legs": rec["decomp_legs"],
            "rows_observed": rec["num_rows"], "rows_modelled": pred["num_rows"],
            "assignments_observed": rec["total_assignments"], "assignments_modelled": pred["total_assignments"],
            "einsum_observed": rec["total_einsum_col_size"], "einsum_modelled": pred["einsum_cells"],
        })
    out = pd.DataFrame(rows)
    out["rows_rel_err"] = out["rows_modelled"] / out["rows_observed"] - 1
    out["assignments_rel_err"] = out["assignments_modelled"] / out["assignments_observed"] - 1
    return out


@functools.lru_cache(maxsize=1)
def _validation_cached(path: str, mtime: float) -> pd.DataFrame:
    return validate(_layouts_table())


def layouts_validation() -> pd.DataFrame:
    """:func:`validate` on ``data/measurements/layouts.csv`` (cached per file version)."""
    path = paths.data_dir() / LAYOUTS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m chasm layouts` to measure layouts")
    return _validation_cached(str(path), path.stat().st_mtime)


def heldout_summary(result: pd.DataFrame) -> dict[str, float]:
    """Median and largest absolute relative error of rows and of assignments over the held-out
    circuits of a :func:`validate` result, and their number."""
    test = result[result["split"] == "test"]
    if not len(test):
        raise ValueError("no held-out circuits in the validation result")
    rows, assign = test["rows_rel_err"].abs(), test["assignments_rel_err"].abs()
    return {"n": len(test), "rows_median": float(rows.median()), "rows_max": float(rows.max()),
            "assignments_median": float(assign.median()), "assignments_max": float(assign.max())}


def error_table(result: pd.DataFrame) -> pd.DataFrame:
    """Per split (train/test) and family of a :func:`validate` result: the number of circuits and
    the median and largest absolute relative error of rows and of assignments, in percent."""
    return (result.assign(abs_rows_err_pct=100 * result["rows_rel_err"].abs(),
                          abs_assign_err_pct=100 * result["assignments_rel_err"].abs())
            .groupby(["split", "family"])
            .agg(circuits=("circuit_id", "size"),
                 median_abs_rows_err_pct=("abs_rows_err_pct", "median"),
                 max_abs_rows_err_pct=("abs_rows_err_pct", "max"),
                 median_abs_assignments_err_pct=("abs_assign_err_pct", "median"),
                 max_abs_assignments_err_pct=("abs_assign_err_pct", "max"))
            .reset_index())


# ----------------------------------------------------------- proving runs


def _visibility(spec: str, part: str) -> str:
    """``'private'`` from ``'input:private,output:public,param:fixed'`` for ``part='input'``."""
    fields = dict(item.split(":", 1) for item in spec.split(","))
    if part not in fields:
        raise ValueError(f"visibility {spec!r} names no {part!r}")
    return fields[part]


def _measurement_versions() -> tuple[float, float]:
    """Modification times of ``layouts.csv`` and ``proofs.csv`` (0 if missing), to key caches."""
    return tuple(p.stat().st_mtime if p.exists() else 0.0
                 for p in (paths.data_dir() / LAYOUTS, paths.data_dir() / PROOFS))


@functools.lru_cache(maxsize=2)
def _proving_runs_cached(versions: tuple[float, float]) -> pd.DataFrame:
    return _proving_runs(default_constants())


def proving_runs_with_model(constants: Constants | None = None) -> pd.DataFrame:
    """Every ``status == 'ok'`` ezkl run whose proof verified (:func:`chasm.core.runs.verified_ok`) of
    ``data/measurements/proofs.csv`` (the second prover's runs have no ezkl layout) with the layout the model
    counts for its circuit (columns ``model_<key>`` of :func:`circuit_size`; constants fitted
    to all layouts unless ``constants`` is given); empty if there are none. The one loader of proving
    runs for this package (cached per file version when ``constants`` is not given)."""
    if constants is None:
        return _proving_runs_cached(_measurement_versions()).copy()
    return _proving_runs(constants)


def _proving_runs(constants: Constants) -> pd.DataFrame:
    path = paths.data_dir() / PROOFS
    if not path.exists():
        return pd.DataFrame()
    frame = data.load_table(path)
    ezkl = frame["prover"].fillna("ezkl").eq("ezkl") if "prover" in frame.columns else True
    frame = frame[verified_ok(frame) & ezkl].copy()  # the model counts ezkl's circuits only
    if frame.empty:
        return frame
    preds = []
    for rec in frame.to_dict("records"):
        pred = circuit_size(rec["family"], json.loads(rec["config"]), constants,
                              num_inner_cols=rec["num_inner_cols"], decomp_base=rec["decomp_base"],
                              disable_freivalds=bool(rec["disable_freivalds"]),
                              output_visibility=_visibility(rec["visibility"], "output"),
                              param_visibility=_visibility(rec["visibility"], "param"))
        preds.append({f"model_{key}": value for key, value in pred.items()})
    return pd.concat([frame.reset_index(drop=True), pd.DataFrame(preds)], axis=1)


def validate_proofs(constants: Constants | None = None) -> pd.DataFrame:
    """Modelled against reported ``num_rows``, ``total_assignments`` and ``logrows`` for every
    ``status == 'ok'`` run in ``data/measurements/proofs.csv`` (empty if there are none)."""
    runs = proving_runs_with_model(constants)
    if runs.empty:
        return pd.DataFrame()
    out = pd.DataFrame({
        "run_id": runs["run_id"], "family": runs["family"], "config": runs["config"],
        "circuit_key": [circuit_key(f, c, n, b, fr, _visibility(v, "output"))
                        for f, c, n, b, fr, v in zip(runs["family"], runs["config"], runs["num_inner_cols"],
                                                     runs["decomp_base"], runs["disable_freivalds"],
                                                     runs["visibility"])],
        "rows_observed": runs["num_rows"], "rows_modelled": runs["model_num_rows"],
        "assignments_observed": runs["total_assignments"], "assignments_modelled": runs["model_total_assignments"],
        "logrows_observed": runs["logrows"], "logrows_modelled": runs["model_logrows"],
    })
    out["rows_rel_err"] = out["rows_modelled"] / out["rows_observed"] - 1
    out["assignments_rel_err"] = out["assignments_modelled"] / out["assignments_observed"] - 1
    return out


# ------------------------------------------------------ leave-out errors


def circuit_key(family: str, config: str, num_inner_cols, decomp_base, disable_freivalds,
                output_visibility: str, decomp_legs=None) -> str:
    """One string per distinct circuit layout (family, size with the family's defaults filled in,
    and the run arguments that change the layout), to recognise the same circuit in
    ``layouts.csv`` and ``proofs.csv``."""
    cfg = {**FAMILY_DEFAULTS.get(family, {}), **json.loads(config)}
    legs = DEFAULT_DECOMP_LEGS if decomp_legs is None or pd.isna(decomp_legs) else decomp_legs
    return json.dumps([family, cfg, int(num_inner_cols), int(decomp_base), int(legs), bool(disable_freivalds),
                       output_visibility], sort_keys=True)


def leave_out_errors() -> pd.DataFrame:
    """Relative errors of rows and assignments of every circuit the constants were not estimated on: the held-out
    layouts (modelled with the constants fitted to the training layouts) and each distinct
    proven circuit that is not also in ``layouts.csv`` (modelled with the constants fitted to
    all layouts). Columns: ``source`` (``held-out layout`` or ``proving run``), ``family``,
    ``config``, ``rows_observed``, ``rows_rel_err``, ``assignments_rel_err``."""
    return _leave_out_cached(_measurement_versions()).copy()


@functools.lru_cache(maxsize=2)
def _leave_out_cached(versions: tuple[float, float]) -> pd.DataFrame:
    return _leave_out_errors()


def _leave_out_errors() -> pd.DataFrame:
    table = _layouts_table()
    result = layouts_validation()
    test = result[result["split"] == "test"].assign(source="held-out layout")
    cols = ["source", "family", "config", "rows_observed", "rows_rel_err", "assignments_rel_err"]
    parts = [test[cols]]
    proofs = validate_proofs()
    if not proofs.empty:
        laid_out = {circuit_key(r["family"], r["config"], r["num_inner_cols"], r["decomp_base"],
                                r["disable_freivalds"], r["output_visibility"], r["decomp_legs"])
                    for r in table.to_dict("records")}
        unseen = proofs[~proofs["circuit_key"].isin(laid_out)].drop_duplicates("circuit_key")
        parts.append(unseen.assign(source="proving run")[cols])
    return pd.concat(parts, ignore_index=True)


def conformal_quantile(abs_errors: Iterable[float], coverage: float = BAND_COVERAGE) -> dict[str, float]:
    """Split-conformal bound: the ``ceil(coverage (n + 1))``-th smallest of ``n`` absolute errors,
    which a further error exchangeable with them exceeds with probability at most
    ``1 - coverage``. With too few errors (``ceil(coverage (n + 1)) > n``) the largest is
    returned and ``attained`` is False. Returns ``bound``, ``n``, ``rank``, ``attained``."""
    values = np.sort(np.abs(np.asarray(list(abs_errors), dtype=float)))
    n_ = len(values)
    if n_ == 0:
        raise ValueError("no leave-out errors to bound")
    rank = math.ceil(coverage * (n_ + 1))
    attained = rank <= n_
    return {"bound": float(values[min(rank, n_) - 1]), "n": n_, "rank": rank, "attained": attained}


def error_trend_at(rows: float, errors: pd.DataFrame | None = None) -> dict[str, float]:
    """Drift of the relative row error with circuit size, extrapolated to ``rows`` rows: ordinary
    least squares of the signed relative errors of :func:`leave_out_errors` on ``log10`` of the
    reported rows, and the 95% confidence interval (t, ``n - 2`` degrees) of the fitted mean
    error at ``log10(rows)``. Returns ``low``, ``point``, ``high``, ``slope_per_decade``,
    ``slope_se``, ``n``, ``log10_rows_max`` (the largest measured circuit)."""
    from scipy import stats

    errors = leave_out_errors() if errors is None else errors
    x = np.log10(errors["rows_observed"].to_numpy(dtype=float))
    y = errors["rows_rel_err"].to_numpy(dtype=float)
    n_ = len(x)
    if n_ < 3:
        raise ValueError(f"need at least three leave-out circuits for the error trend, have {n_}")
    line = stats.linregress(x, y)
    resid = y - line.intercept - line.slope * x
    s = math.sqrt(float(resid @ resid) / (n_ - 2))
    x0 = math.log10(rows)
    se = s * math.sqrt(1 / n_ + (x0 - x.mean()) ** 2 / float(((x - x.mean()) ** 2).sum()))
    point = line.intercept + line.slope * x0
    q = float(stats.t.ppf(0.975, n_ - 2))
    return {"low": point - q * se, "point": point, "high": point + q * se, "slope_per_decade": line.slope,
            "slope_se": line.stderr, "n": n_, "log10_rows_max": float(x.max())}
