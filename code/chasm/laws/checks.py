"""Checks and crossings of fitted laws: the held-out check on sizes a law has not seen, ratios of phase
times and where a law crosses a level (with the interval of sizes whose band contains it)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from chasm.laws.candidates import POWER
from chasm.laws.choice import fit_quantity
from chasm.laws.estimation import FittedLaw, confidence_log, fit_law, predict, predict_log
from chasm.laws.rules import HOLDOUT_SIZES, MIN_SIZES, MIN_TRAIN_SIZES, InsufficientData
from chasm.laws.selection import config_means, observations

__all__ = ["held_out_check", "ratio_law", "CROSSING_RANGE", "crossing_logrows"]


def held_out_check(runs: pd.DataFrame, family: str, quantity: str,
                   n_holdout: int = HOLDOUT_SIZES) -> pd.DataFrame:
    """Fit on all but the ``n_holdout`` largest sizes of a family and predict those.

    The law is chosen by cross-validation on the training sizes only (at least
    :data:`MIN_TRAIN_SIZES` of them). One row
    per held-out run: ``logrows``, ``config_key``, ``observed``, ``point``,
    ``low``, ``high`` (95% prediction interval), ``ratio`` (observed / point),
    ``width`` (high / low: how wide the interval is, as a factor), ``covered``,
    the chosen ``law`` and how its scatter variance was estimated (``scatter``).
    """
    obs = observations(runs, family, quantity)
    sizes = sorted(set(obs["logrows"]))
    if len(sizes) < MIN_TRAIN_SIZES + n_holdout:
        raise InsufficientData(
            f"{family}: {quantity} has {len(sizes)} distinct sizes; a held-out check of the "
            f"{n_holdout} largest needs at least {MIN_TRAIN_SIZES + n_holdout}"
        )
    held = set(sizes[-n_holdout:])
    train = runs[~((runs["family"] == family) & runs["logrows"].isin(held))]
    qf = fit_quantity(train, family, quantity, min_sizes=MIN_TRAIN_SIZES)
    test = obs[obs["logrows"].isin(held)]
    pred = predict(qf.chosen, test["x"].to_numpy())
    observed = np.exp(test["y"].to_numpy())
    return pd.DataFrame({
        "family": family, "quantity": quantity, "law": qf.chosen.candidate.name,
        "train_max_logrows": max(set(sizes) - held),
        "logrows": test["logrows"].to_numpy(), "config_key": test["config_key"].to_numpy(),
        "observed": observed, "point": pred["point"], "low": pred["low"], "high": pred["high"],
        "ratio": observed / pred["point"], "width": pred["high"] / pred["low"],
        "covered": (observed >= pred["low"]) & (observed <= pred["high"]),
        "scatter": qf.chosen.scatter_method,
    })


def ratio_law(runs: pd.DataFrame, family: str, numerator: str, denominator: str) -> FittedLaw:
    """Power law of the per-run ratio ``numerator / denominator`` against rows (same random-effects model)."""
    sel = runs[runs["family"] == family].copy()
    ratio = pd.to_numeric(sel[numerator], errors="coerce") / pd.to_numeric(sel[denominator], errors="coerce")
    sel["_ratio"] = ratio
    obs = observations(sel, family, "_ratio")
    if len(set(obs["logrows"])) < MIN_SIZES:
        raise InsufficientData(f"{family}: {numerator}/{denominator} is known at fewer than {MIN_SIZES} sizes")
    return fit_law(config_means(obs), POWER)


#: The sizes (log2 rows, lowest and highest) on which :func:`crossing_logrows` looks for a crossing.
CROSSING_RANGE = (1, 64)


def crossing_logrows(fit: FittedLaw, level: float = 1.0, *, band: str = "confidence",
                     grid=np.arange(CROSSING_RANGE[0], CROSSING_RANGE[1] + 1 / 128, 1 / 64)) -> dict[str, float]:
    """Where the law ``f(2**k)`` reaches ``level``: ``k`` (log2 rows) with a 95% interval.

    ``point`` solves ``point(k) = level``. With ``band='confidence'`` the
    interval is the set of ``k`` whose 95% confidence band of the law contains
    ``level`` (inverting the band, as in Fieller's method); with
    ``band='prediction'`` it uses the prediction band of a single new run.
    Bounds that fall outside ``grid`` are returned as ``-inf``/``inf``; if the
    law never reaches ``level`` on the grid, ``point`` is NaN.
    """
    pred = predict_log(fit, 2.0**grid) if band == "prediction" else confidence_log(fit, 2.0**grid)
    target = math.log(level)
    sign = np.sign(pred["point"] - target)
    change = np.nonzero(np.diff(sign) != 0)[0]
    if len(change):
        i = change[0]
        p0, p1 = pred["point"][i] - target, pred["point"][i + 1] - target
        point = float(grid[i] + (grid[i + 1] - grid[i]) * p0 / (p0 - p1))
    else:
        point = math.nan
    inside = (pred["low"] <= target) & (pred["high"] >= target)
    if not inside.any():
        return {"low": math.nan, "point": point, "high": math.nan}
    idx = np.nonzero(inside)[0]
    low = -math.inf if idx[0] == 0 else float(grid[idx[0]])
    high = math.inf if idx[-1] == len(grid) - 1 else float(grid[idx[-1]])
    return {"low": low, "point": point, "high": high}
