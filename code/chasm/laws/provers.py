"""Two proof families on identical models: each prover's laws against model size, and their ratio.

The sweep profile ``families`` proves the same ONNX files (MLPs and CNNs of five sizes, one prover
thread each) with ezkl (halo2, KZG) and with JSTprove (GKR/sum-check), each prover in turn within a
repetition. Here:

- :func:`family_runs` reads those runs (verified proofs only, one machine);
- :func:`fit_prover` fits one quantity of one prover and model family against the parameter count with
  the machinery of :mod:`chasm.laws` (the power law ``a P^b``, whose exponent has a 95% confidence
  interval, and the affine ``c0 + c1 P`` that a large fixed cost favours; the one with the lower
  leave-one-size-out error is used for prediction intervals);
- :func:`ratio_fit` fits the paired ratio JSTprove / ezkl of one quantity (each repetition of a
  configuration gives one pair, measured minutes apart) as a power law of the parameter count, and
  :func:`crossing` finds where it reaches 1 (the 95% interval inverts the law's confidence band);
- :func:`largest_common` gives, for the largest model of a family that both provers proved, each
  prover's median and the ratio with its interval.

Sizes are parameters ``P`` (not rows: JSTprove has no padded-row domain); the cross-validation folds
are ``ceil(log2 P)``. These laws never feed ezkl's own laws (:mod:`chasm.laws.selection` fits the
``full`` and ``quick`` profiles only).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from chasm.core.runs import load_runs
from chasm.laws.candidates import POWER, candidate
from chasm.laws.checks import crossing_logrows
from chasm.laws.choice import compare
from chasm.laws.estimation import FittedLaw, confidence_band, exponent, fit_law, predict
from chasm.laws.rules import MIN_SIZES, InsufficientData
from chasm.laws.selection import config_means

__all__ = ["PROFILE", "PROFILES", "PROVERS", "OUTPUT_TOLERANCE", "SIZES", "FAMILY_QUANTITIES", "family_runs", "observations", "fit_prover", "prover_laws",
           "paired", "ratio_fit", "crossing", "largest_common", "predict_prover"]

#: The sweep profile of the comparison.
PROFILE = "families"

#: Profiles whose runs the laws read: the comparison, and JSTprove alone on larger MLPs (no pairs).
PROFILES = (PROFILE, "jstprove_scaling")

#: The two provers, ezkl first (the denominator of every ratio).
PROVERS = ("ezkl", "jstprove")

#: Size measures the laws are fitted against: parameters, or multiply-accumulates of one forward pass.
SIZES = ("params", "macs")

#: Quantities compared, with units: prove and verify wall time, peak memory of any phase, proof size.
FAMILY_QUANTITIES = {"prove_s": "s", "verify_s": "s", "peak_rss_bytes": "bytes", "proof_bytes": "bytes"}

_LAWS = (POWER, candidate("affine"))


#: A proof whose circuit output differs from the float model's by more than this relative L2 error does
#: not prove the model (it proves another function): such runs are kept out of the laws and the pairs.
#: A judgment, set between the coarsest fixed point measured (ezkl at 2^7: up to 0.45 on these CNNs) and
#: the first wrong outputs (JSTprove's multi-channel CNNs: 0.87 and above, against 4e-5 on its
#: one-channel CNN and about 1e-5 on its MLPs).
OUTPUT_TOLERANCE = 0.5


def family_runs(frame: pd.DataFrame | None = None, hardware_tag: str | None = None, *,
                proving_the_model: bool = True) -> pd.DataFrame:
    """The verified runs of the profiles of :data:`PROFILES` on one machine (``hardware_tag``; default: the
    one with the most such runs), with a ``prover`` column (empty means ezkl) and ``macs``
    (multiply-accumulates of one forward pass). Only models both provers proved form pairs
    (:func:`paired`). With ``proving_the_model`` (the default), runs whose output's relative error
    exceeds :data:`OUTPUT_TOLERANCE` are left out: their proofs certify another function."""
    runs = load_runs(status="ok", profiles=list(PROFILES), frame=frame, provers=None)
    if runs.empty:
        raise InsufficientData(f"no verified runs of the sweep profile {PROFILE!r}: "
                               f"run `python -m chasm sweep --profile {PROFILE}`")
    runs = runs.assign(prover=runs["prover"].fillna("ezkl") if "prover" in runs.columns else "ezkl")
    runs["macs"] = [_macs(f, c) for f, c in zip(runs["family"], runs["config"])]
    tag = hardware_tag or str(runs["hardware_tag"].value_counts().index[0])
    runs = runs[runs["hardware_tag"] == tag]
    if runs.empty:
        raise InsufficientData(f"no verified runs of the profile {PROFILE!r} on hardware {hardware_tag!r}")
    if proving_the_model:
        runs = runs[~(pd.to_numeric(runs["output_rel_err"], errors="coerce") > OUTPUT_TOLERANCE)]
    return runs


def _macs(family: str, config: str) -> float:
    """Multiply-accumulates of one forward pass of a model (the cost model's count)."""
    from chasm.costmodel.families import network_work

    return float(network_work(family, json.loads(config)).macs)


def observations(runs: pd.DataFrame, prover: str, family: str, quantity: str, size: str = "params") -> pd.DataFrame:
    """One row per run of ``prover`` on ``family``: ``config_key``, ``fold`` (``ceil(log2 size)``), ``x`` (the
    ``size``: ``params``, parameters, or ``macs``, multiply-accumulates of one forward pass) and ``y``
    (the natural log of ``quantity``)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    sel = runs[(runs["prover"] == prover) & (runs["family"] == family)]
    value = pd.to_numeric(sel[quantity], errors="coerce")
    x = pd.to_numeric(sel[size], errors="coerce")
    keep = (value > 0) & (x > 0)
    xs = x[keep].to_numpy(dtype=float)
    return pd.DataFrame({"config_key": sel.loc[keep, "config_id"].to_numpy(dtype=str),
                         "fold": np.ceil(np.log2(xs)).astype(int), "x": xs,
                         "y": np.log(value[keep].to_numpy(dtype=float))})


def _means(obs: pd.DataFrame, what: str):
    if obs["fold"].nunique() < MIN_SIZES:
        raise InsufficientData(f"{what}: {obs['fold'].nunique()} distinct sizes; a law needs at least {MIN_SIZES}")
    return config_means(obs)


def fit_prover(runs: pd.DataFrame, prover: str, family: str, quantity: str, size: str = "params") -> dict:
    """Laws of ``quantity`` for ``prover`` on ``family`` against ``size`` (parameters, or ``macs``).

    Returns ``power`` (the fitted power law), ``exponent`` (its ``b`` with a 95% confidence interval),
    ``chosen`` (the law of lower leave-one-size-out error among power and affine, used to predict),
    ``comparison`` (both laws' cross-validation table) and ``n_runs``/``n_sizes``."""
    obs = observations(runs, prover, family, quantity, size)
    cm = _means(obs, f"{prover} {family} {quantity}")
    table, fits = compare(cm, _LAWS)
    scored = table["cv_rmse_log"].notna()
    name = table.loc[table.loc[scored, "cv_rmse_log"].idxmin(), "law"] if scored.any() else "power"
    return {"power": fits["power"], "exponent": exponent(fits["power"]), "chosen": fits.get(name, fits["power"]),
            "chosen_law": name, "comparison": table, "n_runs": len(obs), "n_sizes": int(obs["fold"].nunique())}


def prover_laws(runs: pd.DataFrame) -> pd.DataFrame:
    """Every prover, family and quantity: the power-law exponent (95% interval), the law chosen by
    cross-validation and the runs and sizes behind it; a row with ``note`` where no law could be fitted."""
    rows = []
    for prover in PROVERS:
        for family in sorted(runs["family"].unique()):
            for quantity, unit in FAMILY_QUANTITIES.items():
                row = {"prover": prover, "family": family, "quantity": quantity, "unit": unit}
                try:
                    fit = fit_prover(runs, prover, family, quantity)
                except InsufficientData as exc:
                    rows.append({**row, "note": str(exc)})
                    continue
                e = fit["exponent"]
                rows.append({**row, "exponent": e["point"], "exponent_low": e["low"], "exponent_high": e["high"],
                             "chosen_law": fit["chosen_law"], "n_sizes": fit["n_sizes"], "n_runs": fit["n_runs"],
                             "note": ""})
    return pd.DataFrame(rows)


def paired(runs: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """Each repetition of each configuration proven by both provers: ``family``, ``config_id``,
    ``params``, ``repetition``, the two values and ``ratio`` (JSTprove / ezkl)."""
    cols = ["family", "config_id", "params", "repetition"]
    sides = []
    for prover in PROVERS:
        side = runs[runs["prover"] == prover][cols + [quantity]].rename(columns={quantity: prover})
        sides.append(side.groupby(cols, as_index=False)[prover].median())
    both = sides[0].merge(sides[1], on=cols)
    both = both[(pd.to_numeric(both["ezkl"], errors="coerce") > 0) & (pd.to_numeric(both["jstprove"], errors="coerce") > 0)]
    return both.assign(ratio=both["jstprove"] / both["ezkl"]).sort_values(["family", "params", "repetition"])


def ratio_fit(runs: pd.DataFrame, family: str, quantity: str) -> FittedLaw:
    """Power law in parameters of the paired ratio JSTprove / ezkl of ``quantity`` on ``family``."""
    pairs = paired(runs, quantity)
    pairs = pairs[pairs["family"] == family]
    obs = pd.DataFrame({"config_key": pairs["config_id"].to_numpy(dtype=str),
                        "fold": np.ceil(np.log2(pairs["params"].to_numpy(dtype=float))).astype(int),
                        "x": pairs["params"].to_numpy(dtype=float), "y": np.log(pairs["ratio"].to_numpy(dtype=float))})
    return fit_law(_means(obs, f"{family} {quantity} ratio"), POWER)


def crossing(fit: FittedLaw) -> dict[str, float]:
    """Parameters at which the ratio law reaches 1 (the provers cost the same): ``point``, ``low``,
    ``high`` (parameters; the interval inverts the law's 95% confidence band, infinite where the band
    never leaves 1 on that side, NaN where the band never contains 1)."""
    k = crossing_logrows(fit, 1.0)
    return {key: (2.0**v if math.isfinite(v) else v) for key, v in k.items()}


def largest_common(runs: pd.DataFrame, family: str, quantity: str) -> dict:
    """The largest configuration of ``family`` both provers proved: its parameters, each prover's median
    ``quantity``, and the ratio JSTprove / ezkl: the median of the paired ratios, with the 95% confidence
    interval of the fitted ratio law at that size (``low``/``high``) and the paired ratios themselves."""
    pairs = paired(runs, quantity)
    pairs = pairs[pairs["family"] == family]
    if pairs.empty:
        raise InsufficientData(f"{family}: no configuration proven by both provers")
    top = pairs[pairs["params"] == pairs["params"].max()]
    out = {"family": family, "quantity": quantity, "params": int(top["params"].iloc[0]),
           "config_id": str(top["config_id"].iloc[0]), "ezkl": float(top["ezkl"].median()),
           "jstprove": float(top["jstprove"].median()), "ratio": float(np.exp(np.log(top["ratio"]).mean())),
           "pairs": [float(r) for r in top["ratio"]], "low": math.nan, "high": math.nan}
    try:
        band = confidence_band(ratio_fit(runs, family, quantity), np.array([out["params"]], dtype=float))
        out.update(low=float(band["low"][0]), high=float(band["high"][0]), law_point=float(band["point"][0]))
    except InsufficientData as exc:
        out["note"] = str(exc)
    return out


def predict_prover(runs: pd.DataFrame, prover: str, family: str, params: float) -> dict[str, dict]:
    """For a model of ``family`` with ``params`` parameters: each quantity of :data:`FAMILY_QUANTITIES` by
    ``prover``, from the law cross-validation chose, with its 95% prediction interval (``point``,
    ``low``, ``high``, ``unit``, ``law``, and ``extrapolated`` when ``params`` lies outside the measured
    sizes); a quantity that cannot be fitted has ``note`` instead."""
    out = {}
    for quantity, unit in FAMILY_QUANTITIES.items():
        try:
            fit = fit_prover(runs, prover, family, quantity)
        except InsufficientData as exc:
            out[quantity] = {"note": str(exc), "unit": unit}
            continue
        law = fit["chosen"]
        pred = predict(law, np.array([params], dtype=float))
        out[quantity] = {"point": float(pred["point"][0]), "low": float(pred["low"][0]),
                         "high": float(pred["high"][0]), "unit": unit, "law": fit["chosen_law"],
                         "extrapolated": not (law.x_min <= params <= law.x_max)}
    return out
