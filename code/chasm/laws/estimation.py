"""Fitting one candidate law to per-configuration means, with parameter and prediction intervals.

The model (see :mod:`chasm.laws` for the whole method): ``log y_cr = log f(N_c; theta) + u_c + e_cr``
with circuit scatter ``u_c`` and repetition noise ``e_cr``. :func:`fit_law` estimates ``theta`` by least
squares of the configuration means and the scatter variance by :func:`scatter_variance`;
:func:`predict_log` and :func:`predict` give 95% prediction intervals for a new run of a new circuit
(or confidence intervals of the law); :func:`param_intervals` and :func:`exponent` give parameter
intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from chasm.laws.candidates import POWER, Candidate
from chasm.laws.rules import LEVEL, MIN_LACK_OF_FIT_DF, InsufficientData
from chasm.laws.selection import ConfigMeans

__all__ = ["FittedLaw", "point_fit", "log_law", "leave_one_size_out_mse", "scatter_variance", "fit_law",
           "confidence_log", "confidence_band", "predict_log", "predict", "param_intervals", "exponent"]


@dataclass(frozen=True)
class FittedLaw:
    """A fitted law and everything its intervals need.

    ``coef`` are the internal parameters (``(log a, b)`` for the power law,
    the nonnegative coefficients otherwise) with covariance ``cov``, which is
    zero for coefficients fitted to their bound 0 (they are held there);
    ``cov_full`` ignores the bound. ``s2`` is the scatter variance used by the
    intervals (``df_scatter`` degrees of freedom, estimated as
    ``scatter_method`` says: see :func:`scatter_variance`), ``s2_resid`` the plain
    residual variance of the configuration means (``df_model`` = configurations
    - parameters), ``sigma_rep2`` the pooled repetition variance (``df_rep``
    d.o.f.), all in squared natural-log units.
    """

    candidate: Candidate
    coef: np.ndarray
    cov: np.ndarray
    cov_full: np.ndarray
    s2: float
    df_scatter: float
    scatter_method: str
    s2_resid: float
    df_model: int
    sigma_rep2: float
    df_rep: int
    mean_inv_reps: float
    n_configs: int
    n_sizes: int
    n_runs: int
    x_min: float
    x_max: float
    folds: tuple[int, ...]


def _require(cm: ConfigMeans, cand: Candidate) -> None:
    p = cand.n_params
    sizes = len(np.unique(cm.fold))
    distinct_x = len(np.unique(cm.x))
    if cm.n_configs < p + 1 or distinct_x < p:
        raise InsufficientData(
            f"law {cand.name} has {p} parameters and needs at least {p + 1} configurations of at least "
            f"{p} distinct sizes; there are {cm.n_configs} configurations of {sizes} sizes"
        )


def _fit_power(cm: ConfigMeans) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X = np.column_stack([np.ones_like(cm.x), np.log(cm.x)])
    coef, *_ = np.linalg.lstsq(X, cm.ybar, rcond=None)
    unscaled = np.linalg.pinv(X.T @ X)
    return coef, cm.ybar - X @ coef, unscaled, unscaled


def _fit_positive_sum(cm: ConfigMeans, cand: Candidate) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    phi = cand.basis(cm.x)
    scale = phi.max(axis=0)
    scale[scale <= 0] = 1.0
    phin = phi / scale
    target = np.exp(cm.ybar)
    tiny = 1e-300
    # Start: nonnegative least squares on relative errors (a good guess for log errors).
    start, _ = optimize.nnls(phin / target[:, None], np.ones(len(target)))
    if not np.any(start > 0):
        start = np.full(phin.shape[1], target.mean() / phin.shape[1])
    start = np.maximum(start, 1e-9 * max(start.max(), tiny))

    def resid(c):
        return np.log(np.maximum(phin @ c, tiny)) - cm.ybar

    def jac(c):
        return phin / np.maximum(phin @ c, tiny)[:, None]

    best = None
    for x0 in (start, np.full_like(start, target.mean() / len(start))):
        res = optimize.least_squares(resid, x0, jac=jac, bounds=(0.0, np.inf), method="trf",
                                     x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12)
        if best is None or res.cost < best.cost:
            best = res
    c_norm = best.x
    # Coefficients on their bound (0) are held fixed at 0: the covariance used for
    # predictions is that of the active coefficients (inference conditional on
    # the active set); the unconstrained one is kept for the parameter intervals.
    active = c_norm > 1e-10 * c_norm.max()
    J = jac(c_norm)
    cov_active = np.zeros((len(c_norm), len(c_norm)))
    cov_active[np.ix_(active, active)] = np.linalg.pinv(J[:, active].T @ J[:, active])
    cov_full = np.linalg.pinv(J.T @ J)
    outer = np.outer(scale, scale)
    return c_norm / scale, resid(c_norm), cov_active / outer, cov_full / outer


def point_fit(cm: ConfigMeans, cand: Candidate) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Point fit of one law: ``(coef, residuals, unscaled covariance, unscaled covariance ignoring bounds)``.

    Needs only as many distinct sizes as parameters (an exact fit is allowed);
    :func:`fit_law` asks for more.
    """
    if len(np.unique(cm.x)) < cand.n_params:
        raise InsufficientData(f"law {cand.name} needs {cand.n_params} distinct sizes, "
                               f"there are {len(np.unique(cm.x))}")
    return _fit_power(cm) if cand.basis is None else _fit_positive_sum(cm, cand)


def log_law(cand: Candidate, coef: np.ndarray, x) -> tuple[np.ndarray, np.ndarray]:
    """``log f(x)`` and its gradient in the internal parameters."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    if cand.basis is None:
        grad = np.column_stack([np.ones_like(x), np.log(x)])
        return grad @ coef, grad
    phi = cand.basis(x)
    f = np.maximum(phi @ coef, 1e-300)
    return np.log(f), phi / f[:, None]


def leave_one_size_out_mse(cm: ConfigMeans, cand: Candidate) -> float | None:
    """Mean squared error of configuration means predicted with their size left out (log units squared).

    For each size, the law is refitted without that size's configurations and
    predicts their means; the result is the mean of the squared errors over all
    configurations (the square of :func:`cross_validate`'s ``cv_rmse_log``). It
    holds the scatter, the refits' parameter error and the lack of fit the
    law shows when it has to reach a size it has not seen. ``None`` if some
    refit is impossible (fewer sizes than parameters).
    """
    errors = []
    for size in np.unique(cm.fold):
        test = cm.fold == size
        try:
            coef, *_ = point_fit(cm.subset(~test), cand)
        except InsufficientData:
            return None
        errors.append(cm.ybar[test] - log_law(cand, coef, cm.x[test])[0])
    return float(np.mean(np.concatenate(errors) ** 2))


def scatter_variance(cm: ConfigMeans, cand: Candidate, resid: np.ndarray) -> tuple[float, float, str]:
    """The scatter variance of configuration means, its degrees of freedom, and how it was estimated.

    See the module docstring: the residual variance, or the lack-of-fit mean
    square between sizes if it is significantly larger than the scatter between
    configurations of one size (F-test at level ``1 - LEVEL``; always when those
    are identical); with fewer than :data:`MIN_LACK_OF_FIT_DF`
    lack-of-fit degrees of freedom, the leave-one-size-out estimate
    (:func:`leave_one_size_out_mse`) if larger.
    """
    p = cand.n_params
    df_resid = cm.n_configs - p
    s2_resid = float(resid @ resid / df_resid)
    sizes, which = np.unique(cm.fold, return_inverse=True)
    df_lof = len(sizes) - p
    if df_lof >= MIN_LACK_OF_FIT_DF:
        m = np.bincount(which).astype(float)
        rbar = np.bincount(which, weights=resid) / m
        ms_lof = float(m @ rbar**2 / df_lof)
        df_pe = cm.n_configs - len(sizes)
        if df_pe > 0 and ms_lof > s2_resid:
            # F-test of the lack of fit against the pure error (configurations of one size).
            ms_pe = float(((resid - rbar[which]) ** 2).sum() / df_pe)
            if ms_pe <= 0 or stats.f.sf(ms_lof / ms_pe, df_lof, df_pe) < 1 - LEVEL:
                return ms_lof, float(df_lof), "lack of fit between sizes"
        return s2_resid, float(df_resid), "residuals of configuration means"
    df_few = float(max(min(df_resid, len(sizes) - 1), 1))
    cv = leave_one_size_out_mse(cm, cand)
    if cv is not None and cv > s2_resid:
        return cv, df_few, "leave-one-size-out errors"
    return s2_resid, df_few, ("residuals of configuration means (few sizes)" if cv is not None
                              else "residuals of configuration means (lack of fit not checkable)")


def fit_law(cm: ConfigMeans, cand: Candidate = POWER) -> FittedLaw:
    """Fit one candidate law to configuration means (see the module docstring for the method)."""
    _require(cm, cand)
    coef, resid, unscaled, unscaled_full = point_fit(cm, cand)
    s2, df_scatter, method = scatter_variance(cm, cand, resid)
    df_rep = cm.df_rep
    sigma_rep2 = cm.within_ss / df_rep if df_rep > 0 else 0.0
    return FittedLaw(
        candidate=cand,
        coef=coef,
        cov=s2 * unscaled,
        cov_full=s2 * unscaled_full,
        s2=s2,
        df_scatter=df_scatter,
        scatter_method=method,
        s2_resid=float(resid @ resid / (cm.n_configs - cand.n_params)),
        df_model=cm.n_configs - cand.n_params,
        sigma_rep2=float(sigma_rep2),
        df_rep=df_rep,
        mean_inv_reps=float(np.mean(1.0 / cm.reps)),
        n_configs=cm.n_configs,
        n_sizes=len(np.unique(cm.fold)),
        n_runs=int(cm.reps.sum()),
        x_min=float(cm.x.min()),
        x_max=float(cm.x.max()),
        folds=tuple(int(v) for v in np.unique(cm.fold)),
    )


def _t(df: float) -> float:
    return float(stats.t.ppf(0.5 + LEVEL / 2, df)) if df > 0 else math.inf


def confidence_log(fit: FittedLaw, x) -> dict[str, np.ndarray]:
    """The law itself (the median over configurations) at sizes ``x`` (padded rows), with its 95%
    confidence band, in log units: arrays ``point``, ``low``, ``high``, ``se`` and ``df``."""
    mu, grad = log_law(fit.candidate, fit.coef, x)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grad, fit.cov, grad), 0))
    t = _t(fit.df_scatter)
    return {"point": mu, "low": mu - t * se, "high": mu + t * se, "se": se,
            "df": np.full_like(mu, fit.df_scatter, dtype=float)}


def confidence_band(fit: FittedLaw, x) -> dict[str, np.ndarray]:
    """:func:`confidence_log` on the quantity's scale: the law's median and its 95% confidence band."""
    out = confidence_log(fit, x)
    return {k: np.exp(out[k]) for k in ("point", "low", "high")}


def predict_log(fit: FittedLaw, x, *, reps=1) -> dict[str, np.ndarray]:
    """Point and 95% prediction interval of ``log y`` at sizes ``x`` (padded rows): for one new run of a
    new configuration (parameter uncertainty + configuration scatter and lack of fit + repetition noise);
    with ``reps=R`` (scalar or per ``x``) for the mean log of ``R`` runs of one new configuration instead.
    Returns arrays ``point``, ``low``, ``high``, ``se`` and ``df``.
    """
    mu, grad = log_law(fit.candidate, fit.coef, x)
    var_mean = np.einsum("ij,jk,ik->i", grad, fit.cov, grad)
    lev = var_mean / fit.s2 if fit.s2 > 0 else np.zeros_like(var_mean)
    a = fit.s2 * (1.0 + lev)
    b = fit.sigma_rep2 * (1.0 / np.asarray(reps, dtype=float) - fit.mean_inv_reps)
    # (b < 0 only for a mean of more runs than the average configuration has;
    # the floor keeps the implied configuration scatter nonnegative.)
    var = np.maximum(a + b, var_mean + fit.sigma_rep2 / np.asarray(reps, dtype=float))
    # Welch-Satterthwaite degrees of freedom of a*s2-part + b*sigma_rep2-part; for a
    # difference (b < 0) it is unreliable, and the s2 part's own d.o.f. are used.
    b_pos = np.maximum(b, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = a**2 / fit.df_scatter + (b_pos**2 / fit.df_rep if fit.df_rep > 0 else 0.0)
        df = np.where((denom > 0) & (b >= 0), (a + b_pos) ** 2 / np.where(denom > 0, denom, 1.0),
                      fit.df_scatter)
    t = stats.t.ppf(0.5 + LEVEL / 2, df)
    se = np.sqrt(var)
    return {"point": mu, "low": mu - t * se, "high": mu + t * se, "se": se, "df": df}


def predict(fit: FittedLaw, x) -> dict[str, np.ndarray]:
    """:func:`predict_log` back on the quantity's scale: ``point`` is the median, ``low``/``high`` the 95%
    prediction bounds."""
    out = predict_log(fit, x)
    return {k: np.exp(out[k]) for k in ("point", "low", "high")}


def param_intervals(fit: FittedLaw) -> pd.DataFrame:
    """95% confidence intervals of the law's parameters (columns name, point, low, high, se).

    Power law: ``b`` (the exponent) gets ``b_hat +- t(df) se``; ``a`` gets
    ``exp(log a_hat +- t se)``. Other forms: linearised ``c +- t se`` with the
    standard error ignoring the bound (so a coefficient fitted to 0 still gets
    an upper limit), truncated at 0. ``df`` is the scatter variance's
    (``fit.df_scatter``).
    """
    t = _t(fit.df_scatter)
    se = np.sqrt(np.maximum(np.diag(fit.cov_full), 0))
    rows = []
    if fit.candidate.basis is None:
        (loga, b), (se_a, se_b) = fit.coef, se
        rows.append({"name": "a", "point": math.exp(loga), "low": math.exp(loga - t * se_a),
                     "high": math.exp(loga + t * se_a), "se": float(se_a)})
        rows.append({"name": "b", "point": float(b), "low": float(b - t * se_b), "high": float(b + t * se_b),
                     "se": float(se_b)})
    else:
        for name, c, s in zip(fit.candidate.param_names, fit.coef, se):
            rows.append({"name": name, "point": float(c), "low": float(max(c - t * s, 0.0)),
                         "high": float(c + t * s), "se": float(s)})
    return pd.DataFrame(rows)


def exponent(fit: FittedLaw) -> dict[str, float]:
    """The power law's exponent ``b`` with its 95% confidence interval (low/point/high)."""
    if fit.candidate.basis is not None:
        raise ValueError("only the power law has a single exponent")
    row = param_intervals(fit).set_index("name").loc["b"]
    return {"low": float(row["low"]), "point": float(row["point"]), "high": float(row["high"])}
