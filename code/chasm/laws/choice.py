"""Choosing a law: every candidate fitted, scored by leave-one-size-out cross-validation, the best kept.

:func:`cross_validate` leaves all configurations of one size out together, refits and scores the
left-out means (RMSE in natural-log units); :func:`compare` does it for every candidate;
:func:`fit_quantity` chooses the lowest cross-validation error for one quantity of one family, and
:func:`fit_family` does it for every quantity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from chasm.core.constants import CONTENTION_LIMIT
from chasm.laws.candidates import CANDIDATES, Candidate
from chasm.laws.estimation import FittedLaw, fit_law, log_law, point_fit, predict_log
from chasm.laws.rules import LEVEL, MIN_SIZES, QUANTITIES, InsufficientData
from chasm.laws.selection import ConfigMeans, config_means, observations

__all__ = ["cross_validate", "LawChoice", "compare", "fit_quantity", "fit_family", "plausible_laws", "measured_range"]


def cross_validate(cm: ConfigMeans, cand: Candidate) -> dict[str, float]:
    """Leave-one-size-out cross-validation of one candidate.

    For each size class (``fold``, e.g. ``logrows``) the law is refitted without
    any configuration of that size and predicts them. Returns ``cv_rmse_log`` (root mean square
    error of the left-out configuration means, natural-log units; ``exp`` of it
    is a typical multiplicative error), ``cv_coverage`` (share of left-out
    configuration means inside their 95% prediction interval for a mean of that
    many runs, over the folds whose refit has an interval) and ``folds``.
    A refit with no residual degrees of freedom (as many configurations as
    parameters) still scores its point prediction. ``fold_mse``: the mean squared error of each
    left-out size (array, one per fold, in fold order). NaN if any fold cannot be fitted.
    """
    errors, covered, fold_mse = [], [], []
    folds = np.unique(cm.fold)
    for size in folds:
        test = cm.fold == size
        train = cm.subset(~test)
        try:
            fit = fit_law(train, cand)
        except InsufficientData:
            try:
                coef, *_ = point_fit(train, cand)
            except InsufficientData:
                return {"cv_rmse_log": math.nan, "cv_coverage": math.nan, "folds": len(folds),
                        "fold_mse": np.full(len(folds), math.nan)}
            errors.append(cm.ybar[test] - log_law(cand, coef, cm.x[test])[0])
            fold_mse.append(float(np.mean(errors[-1] ** 2)))
            continue
        pred = predict_log(fit, cm.x[test], reps=cm.reps[test])
        errors.append(cm.ybar[test] - pred["point"])
        fold_mse.append(float(np.mean(errors[-1] ** 2)))
        covered.append((cm.ybar[test] >= pred["low"]) & (cm.ybar[test] <= pred["high"]))
    err = np.concatenate(errors)
    return {"cv_rmse_log": float(np.sqrt(np.mean(err**2))),
            "cv_coverage": float(np.mean(np.concatenate(covered))) if covered else math.nan,
            "folds": len(folds), "fold_mse": np.array(fold_mse)}


@dataclass(frozen=True)
class LawChoice:
    """All candidate fits of one quantity of one family, and the chosen one."""

    family: str
    quantity: str
    unit: str
    size: str
    comparison: pd.DataFrame
    fits: dict
    chosen: FittedLaw
    means: ConfigMeans

    @property
    def power(self) -> FittedLaw | None:
        return self.fits.get("power")


def compare(cm: ConfigMeans, candidates=CANDIDATES) -> tuple[pd.DataFrame, dict]:
    """Fit every candidate; one row per candidate with its CV error (``cv_rmse_log``, and per left-out size
    ``cv_fold_mse``), the coverage of its CV intervals and its in-sample scatter."""
    rows, fits = [], {}
    for cand in candidates:
        row = {"law": cand.name, "formula": cand.formula, "params": cand.n_params}
        try:
            fit = fit_law(cm, cand)
        except InsufficientData as exc:
            rows.append({**row, "cv_rmse_log": math.nan, "cv_coverage": math.nan,
                         "resid_sd_log": math.nan, "note": str(exc)})
            continue
        fits[cand.name] = fit
        cv = cross_validate(cm, cand)
        rows.append({**row, "cv_rmse_log": cv["cv_rmse_log"], "cv_coverage": cv["cv_coverage"],
                     "cv_fold_mse": cv["fold_mse"], "resid_sd_log": math.sqrt(fit.s2),
                     "note": "" if math.isfinite(cv["cv_rmse_log"]) else "too few sizes to cross-validate"})
    table = pd.DataFrame(rows)
    table["chosen"] = False
    scored = table["cv_rmse_log"].notna()
    if scored.any():
        table.loc[table.loc[scored, "cv_rmse_log"].idxmin(), "chosen"] = True
    return table, fits


def fit_quantity(runs: pd.DataFrame, family: str, quantity: str, size: str = "padded_rows",
                 candidates=CANDIDATES, min_sizes: int = MIN_SIZES) -> LawChoice:
    """Fit all candidate laws of ``quantity`` against ``size`` for one family and choose by CV.

    Raises :class:`InsufficientData` if the family has fewer than ``min_sizes``
    distinct sizes with usable runs. If no candidate can be cross-validated
    (possible only with ``min_sizes`` below :data:`MIN_SIZES`), the power law is
    chosen and the comparison table says so.
    """
    obs = observations(runs, family, quantity, size)
    sizes = sorted(set(obs["fold"]))
    if len(sizes) < min_sizes:
        what = "logrows" if size == "padded_rows" else f"ceil(log2 {size})"
        raise InsufficientData(
            f"{family}: {quantity} has "
            + (f"runs not slowed by other processes (other_cpu_frac <= {CONTENTION_LIMIT:g})"
               if quantity.endswith("_s") else "successful runs")
            + f" at {len(sizes)} distinct size"
            + ("s" if len(sizes) != 1 else "")
            + (f" ({what} {', '.join(map(str, sizes))})" if sizes else "")
            + f"; a law needs at least {min_sizes}"
        )
    cm = config_means(obs)
    table, fits = compare(cm, candidates)
    if not table["chosen"].any():
        # Too few sizes to cross-validate any law: use the simplest, the power law, and say so.
        if "power" not in fits:
            raise InsufficientData(f"{family}: no candidate law of {quantity} could be fitted")
        power_row = table["law"] == "power"
        table.loc[power_row, "chosen"] = True
        table.loc[power_row, "note"] = "chosen without cross-validation (too few sizes)"
    chosen = fits[table.loc[table["chosen"], "law"].iloc[0]]
    return LawChoice(family, quantity, QUANTITIES.get(quantity, ""), size, table, fits, chosen, cm)


def fit_family(runs: pd.DataFrame, family: str, quantities=tuple(QUANTITIES), size: str = "padded_rows"
               ) -> tuple[dict[str, LawChoice], dict[str, str]]:
    """Fit every quantity of one family. Returns ``(fits, skipped)``, ``skipped`` mapping quantity to reason."""
    fits, skipped = {}, {}
    for q in quantities:
        try:
            fits[q] = fit_quantity(runs, family, q, size)
        except InsufficientData as exc:
            skipped[q] = str(exc)
    return fits, skipped


def plausible_laws(choice: LawChoice, level: float = LEVEL) -> list[str]:
    """The candidate laws cross-validation cannot rule out, best first.

    A law is ruled out when its leave-one-size-out error is larger than the chosen law's by more than
    chance: a one-sided paired t-test, at level ``1 - level``, of the differences of their mean
    squared errors over the left-out sizes (``fold_mse`` of :func:`cross_validate`; one pair per size,
    since the circuits of one size share its lack of fit). Near-ties (CV errors within noise of each
    other) therefore all stay in, and extrapolations can be bounded by their envelope. A fitted law the
    test cannot judge (no cross-validation score, fewer than two paired sizes, non-finite errors) is
    not ruled out either: it stays in, after the judged ones.
    """
    best = choice.chosen.candidate.name
    scored = choice.comparison.dropna(subset=["cv_rmse_log"]).sort_values("cv_rmse_log")
    stored = scored.set_index("law")["cv_fold_mse"] if "cv_fold_mse" in scored else {}
    errors = {law: (stored[law] if law in stored else cross_validate(choice.means, choice.fits[law].candidate)["fold_mse"])
              for law in scored["law"] if law in choice.fits}
    keep = [best]
    for law in scored["law"]:
        if law == best or law not in errors:
            continue
        d = errors[law] - errors[best]
        if len(d) < 2 or not np.all(np.isfinite(d)):
            keep.append(law)
            continue
        sd = float(np.std(d, ddof=1))
        if sd == 0:
            ruled_out = float(np.mean(d)) > 0
        else:
            t_stat = float(np.mean(d)) / (sd / math.sqrt(len(d)))
            ruled_out = stats.t.sf(t_stat, len(d) - 1) < 1 - level
        if not ruled_out:
            keep.append(law)
    keep += [law for law in choice.fits if law not in keep and law not in set(scored["law"])]
    return keep


def measured_range(runs: pd.DataFrame, family: str) -> tuple[int, int] | None:
    """Smallest and largest logrows with successful runs of ``family`` (None if none)."""
    lr = runs.loc[runs["family"] == family, "logrows"]
    return (int(lr.min()), int(lr.max())) if len(lr) else None
