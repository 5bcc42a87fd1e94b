"""Scaling laws of ezkl proving cost in circuit rows, with calibrated 95% intervals.

What is fitted
--------------
For one model family on one machine (``hardware_tag``), each *configuration*
``c`` (one ``config_id`` at one ``calibration_target``) is a circuit of
``N_c = 2**logrows`` rows (the evaluation domain the prover works on; the laws
can also be fitted against ``num_rows``, the rows the layout uses), measured in
``R_c`` repetitions ``r``. A quantity ``y`` (seconds or bytes, see
:data:`QUANTITIES`) is modelled in log space as a random-effects model::

    log y_cr = log f(N_c; theta) + u_c + e_cr,
    u_c ~ Normal(0, sigma_config^2)   (circuits of equal rows differ in columns, lookups...)
    e_cr ~ Normal(0, sigma_rep^2)     (repetition noise of one machine)

``f`` is one of the :data:`CANDIDATES`: a power law ``a N^b``, ``a N log2 N + b N``,
an affine ``c0 + c1 N``, a first-principles prover form
``c0 + c1 N log2 N + c2 N / log2 N`` (FFT-like plus MSM-like terms), and the cost
model's own form ``c0 + c1 W(N)`` with ``W`` the prover work of
:func:`chasm.costmodel.prover_work` (offered when that module is installed); all
but the power law are sums of nonnegative basis functions with nonnegative
coefficients.

Estimation and intervals (method)
---------------------------------
``theta`` is fitted by least squares of the configuration means
``ybar_c = mean_r log y_cr`` on ``log f(N_c; theta)``; this weights every
configuration once, however many repetitions it has. The residual variance of
the means, ``s2`` (``C - p`` degrees of freedom), estimates
``sigma_config^2 + sigma_rep^2 / R``; the pooled within-configuration variance
``sigma_rep^2`` (``sum(R_c - 1)`` degrees of freedom) estimates the repetition noise.

* Parameter confidence intervals: ``theta_hat +- t(C - p) * se`` with
  ``Cov(theta_hat) = s2 (J'J)^-1`` (``J`` the Jacobian of ``log f`` at the
  means). For the power law this is ordinary least squares on the means and the
  t-interval is exact when repetitions are balanced; for the other forms it is
  the usual linearised (Wald) interval, truncated at 0 for coefficients that are
  constrained nonnegative. Coefficients that the fit puts on their bound 0 are
  held there for predictions (``Cov`` covers only the free coefficients, while
  ``p`` still counts all of them, which keeps ``s2`` and ``t`` conservative).
* 95% prediction interval for one new run of a new configuration of ``N`` rows:
  ``log f(N) +- t(nu) * sqrt(g' Cov g + s2 + sigma_rep^2 (1 - mean(1/R_c)))``,
  i.e. parameter uncertainty, plus between-configuration scatter, plus
  repetition noise (``s2`` already holds ``sigma_rep^2/R``; the last term adds the
  rest). ``nu`` is the Welch-Satterthwaite degrees of freedom of that sum of two
  independent variance estimates. :func:`calibration_study` checks the coverage
  on simulated sweeps.

Model choice is by leave-one-size-out cross-validation (:func:`cross_validate`):
all configurations of one ``logrows`` are left out together, the law is refitted
on the rest and scored on the left-out configuration means (RMSE in natural log
units); every candidate is reported and the lowest CV error is chosen.
"""

from __future__ import annotations

import importlib.util
import json
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import optimize, stats

#: Quantities fitted, with their units. ``peak_rss_bytes`` is derived: the
#: maximum over all phases of ``<phase>_peak_rss_bytes`` of a run.
QUANTITIES: dict[str, str] = {
    "prove_s": "s",
    "setup_s": "s",
    "witness_s": "s",
    "verify_s": "s",
    "prove_peak_rss_bytes": "bytes",
    "setup_peak_rss_bytes": "bytes",
    "peak_rss_bytes": "bytes",
    "pk_bytes": "bytes",
    "proof_bytes": "bytes",
}

#: Human descriptions of the quantities (used by charts, tables and the CLI).
QUANTITY_LABELS: dict[str, str] = {
    "prove_s": "prove time",
    "setup_s": "setup time (keys)",
    "witness_s": "witness time",
    "verify_s": "verify time",
    "prove_peak_rss_bytes": "peak memory while proving",
    "setup_peak_rss_bytes": "peak memory during setup",
    "peak_rss_bytes": "peak memory, any phase",
    "pk_bytes": "proving-key size",
    "proof_bytes": "proof size",
}

PHASES = ("export", "settings", "calibrate", "compile", "srs", "setup", "witness", "prove", "verify")
FAMILIES = ("mlp", "cnn", "transformer")

#: A family is fitted only with at least this many distinct sizes (logrows):
#: with fewer, leave-one-size-out cross-validation of a 2-parameter law has no
#: residual degrees of freedom left.
MIN_SIZES = 4

#: The held-out check fits on at least this many sizes (its law is then checked on
#: sizes it has not seen, rather than scored by cross-validation alone).
MIN_TRAIN_SIZES = 3

#: Sizes the laws can be fitted against: ``rows`` = 2**logrows (the prover's domain),
#: ``num_rows`` (rows the layout uses, as reported by ezkl), ``params`` (model parameters).
SIZE_COLUMNS = ("rows", "num_rows", "params")
SIZE_UNITS = {"rows": "rows", "num_rows": "rows", "params": "parameters"}

LEVEL = 0.95


class InsufficientData(ValueError):
    """Too few configurations or sizes to fit (the message says how many there are)."""


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """A candidate law ``f(N)``: a name, its formula, parameter names and basis.

    ``basis`` is ``None`` for the power law ``a N^b`` (fitted in closed form as a
    straight line in log-log space); otherwise ``f(N) = basis(N) @ theta`` with
    every basis column and every coefficient nonnegative.
    """

    name: str
    formula: str
    param_names: tuple[str, ...]
    basis: Callable[[np.ndarray], np.ndarray] | None = None
    note: str = ""

    @property
    def n_params(self) -> int:
        return len(self.param_names)


def _log2(n: np.ndarray) -> np.ndarray:
    return np.log2(np.maximum(np.asarray(n, dtype=float), 2.0))


def _basis_nlogn(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([n * _log2(n), n])


def _basis_affine(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([np.ones_like(n), n])


def _basis_prover_work(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([np.ones_like(n), n * _log2(n), n / _log2(n)])


_PROVER_WORK = None


def _prover_work(n: np.ndarray) -> np.ndarray:
    """The cost model's prover work (BN254 field multiplications) of one proof of ``n`` rows.

    ``chasm.costmodel.prover_work(k)`` with its ``PROVER_CONSTANTS``, evaluated at ``k = log2(n)``.
    """
    global _PROVER_WORK
    if _PROVER_WORK is None:
        import sympy

        from chasm import costmodel

        expr = costmodel.prover_work(costmodel.kk).subs(costmodel.PROVER_CONSTANTS)
        _PROVER_WORK = sympy.lambdify(costmodel.kk, expr, "numpy")
    return np.asarray(_PROVER_WORK(_log2(n)), dtype=float)


def _basis_costmodel(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.column_stack([np.ones_like(n), _prover_work(n)])


def _costmodel_available() -> bool:
    return importlib.util.find_spec("chasm.costmodel") is not None


POWER = Candidate("power", "a N^b", ("a", "b"), None, note="straight line in log-log space")
CANDIDATES: tuple[Candidate, ...] = (
    POWER,
    Candidate("nlogn", "a N log2 N + b N", ("a", "b"), _basis_nlogn, note="nonnegative coefficients"),
    Candidate("affine", "c0 + c1 N", ("c0", "c1"), _basis_affine, note="fixed overhead + linear work"),
    Candidate("fft_msm", "c0 + c1 N log2 N + c2 N / log2 N", ("c0", "c1", "c2"), _basis_prover_work,
              note="overhead + FFT-like (N log2 N) + MSM-like (N / log2 N) terms, nonnegative coefficients"),
) + ((
    Candidate("costmodel", "c0 + c1 W(N)", ("c0", "c1"), _basis_costmodel,
              note="overhead + c1 per field multiplication of the cost model's prover work W(N) "
                   "(chasm.costmodel.prover_work)"),
) if _costmodel_available() else ())


def candidate(name: str) -> Candidate:
    for c in CANDIDATES:
        if c.name == name:
            return c
    raise KeyError(f"unknown candidate law {name!r}; known: {', '.join(c.name for c in CANDIDATES)}")


# --------------------------------------------------------------------------- data preparation


def prepare_runs(frame: pd.DataFrame, hardware_tag: str | None = None) -> tuple[pd.DataFrame, str]:
    """Successful runs of one machine, with the columns the fits need.

    Keeps ``status == 'ok'`` rows with a ``logrows``; picks ``hardware_tag`` (by
    default the tag with the most successful runs, since laws of different
    machines must not be mixed) and adds ``rows`` (= 2**logrows, rows),
    ``peak_rss_bytes`` (max over phases of the per-phase peak RSS, bytes) and
    ``config_key`` (the ``run_id`` without its ``-r<repetition>`` suffix: model
    configuration, calibration target and scale). Returns the runs and the tag.
    """
    ok = frame[(frame["status"] == "ok") & frame["logrows"].notna()].copy()
    if ok.empty:
        raise InsufficientData("no successful runs (status == 'ok' with a logrows) in the table")
    tags = ok["hardware_tag"].value_counts()
    if hardware_tag is None:
        hardware_tag = str(tags.index[0])
    elif hardware_tag not in tags.index:
        raise InsufficientData(
            f"no successful runs on hardware {hardware_tag!r}; available: {', '.join(map(str, tags.index))}"
        )
    ok = ok[ok["hardware_tag"] == hardware_tag].copy()
    ok["logrows"] = ok["logrows"].astype(int)
    ok["rows"] = np.ldexp(1.0, ok["logrows"].to_numpy())
    peak_cols = [f"{p}_peak_rss_bytes" for p in PHASES if f"{p}_peak_rss_bytes" in ok.columns]
    ok["peak_rss_bytes"] = ok[peak_cols].max(axis=1, skipna=True)
    ok["config_key"] = ok["run_id"].astype(str).str.replace(r"-r\d+$", "", regex=True)
    return ok.reset_index(drop=True), hardware_tag


def observations(runs: pd.DataFrame, family: str, quantity: str, size: str = "rows") -> pd.DataFrame:
    """One row per usable run: ``config_key``, ``logrows``, ``fold``, ``x`` (size, rows), ``y`` (log of the quantity).

    ``fold`` is the size class used by leave-one-size-out cross-validation:
    ``logrows`` when fitting against ``rows``, else ``ceil(log2(size))``. Runs whose quantity or size is missing or not
    positive are dropped (a log needs a positive value).
    """
    if quantity not in runs.columns:
        raise KeyError(f"quantity {quantity!r} is not a column of the runs")
    if size not in SIZE_COLUMNS:
        raise ValueError(f"size must be one of {SIZE_COLUMNS}, got {size!r}")
    sel = runs[(runs["family"] == family)]
    value = pd.to_numeric(sel[quantity], errors="coerce")
    x = pd.to_numeric(sel[size], errors="coerce")
    keep = (value > 0) & (x > 0)
    xs = x[keep].to_numpy(dtype=float)
    logrows = sel.loc[keep, "logrows"].to_numpy(dtype=int)
    return pd.DataFrame(
        {
            "config_key": sel.loc[keep, "config_key"].to_numpy(),
            "logrows": logrows,
            "fold": logrows if size == "rows" else np.ceil(np.log2(xs)).astype(int),
            "x": xs,
            "y": np.log(value[keep].to_numpy(dtype=float)),
        }
    )


@dataclass(frozen=True)
class ConfigMeans:
    """Per-configuration summary of log observations (arrays of equal length C)."""

    x: np.ndarray          # size of the configuration (rows)
    fold: np.ndarray       # its size class (the cross-validation fold), e.g. logrows
    ybar: np.ndarray       # mean log value over repetitions
    reps: np.ndarray       # number of repetitions R_c
    ss: np.ndarray         # sum_r (y_cr - ybar_c)^2 per configuration
    keys: tuple = ()

    @property
    def n_configs(self) -> int:
        return len(self.ybar)

    @property
    def df_rep(self) -> int:
        return int(self.reps.sum() - len(self.reps))

    @property
    def within_ss(self) -> float:
        return float(self.ss.sum())

    def subset(self, mask: np.ndarray) -> "ConfigMeans":
        """The configurations selected by a boolean mask."""
        mask = np.asarray(mask, dtype=bool)
        return ConfigMeans(self.x[mask], self.fold[mask], self.ybar[mask], self.reps[mask], self.ss[mask],
                           tuple(k for k, m in zip(self.keys, mask) if m))


def config_means(obs: pd.DataFrame) -> ConfigMeans:
    """Collapse run-level log observations to configuration means (configurations sorted by key)."""
    if obs.empty:
        raise InsufficientData("no usable runs")
    fold_col = "fold" if "fold" in obs.columns else "logrows"
    keys, idx = np.unique(obs["config_key"].to_numpy(dtype=str), return_inverse=True)
    fold = obs[fold_col].to_numpy(dtype=int)
    x = obs["x"].to_numpy(dtype=float)
    y = obs["y"].to_numpy(dtype=float)
    reps = np.bincount(idx, minlength=len(keys))
    ybar = np.bincount(idx, weights=y, minlength=len(keys)) / reps
    ss = np.bincount(idx, weights=(y - ybar[idx]) ** 2, minlength=len(keys))
    first = np.zeros(len(keys), dtype=int)
    first[idx[::-1]] = np.arange(len(idx))[::-1]
    if np.any(fold != fold[first][idx]):
        raise ValueError("a configuration has runs of different sizes; config_key must identify one circuit")
    return ConfigMeans(
        x=np.bincount(idx, weights=x, minlength=len(keys)) / reps,
        fold=fold[first],
        ybar=ybar,
        reps=reps,
        ss=ss,
        keys=tuple(keys),
    )


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class LawFit:
    """A fitted law and everything its intervals need.

    ``coef`` are the internal parameters (``(log a, b)`` for the power law,
    the nonnegative coefficients otherwise) with covariance ``cov``, which is
    zero for coefficients fitted to their bound 0 (they are held there);
    ``cov_full`` ignores the bound. ``s2`` is the residual variance of
    configuration means (``df_model`` = configurations - parameters d.o.f.),
    ``sigma_rep2`` the pooled repetition variance (``df_rep`` d.o.f.), both in
    squared natural-log units.
    """

    candidate: Candidate
    coef: np.ndarray
    cov: np.ndarray
    cov_full: np.ndarray
    s2: float
    df_model: int
    sigma_rep2: float
    df_rep: int
    mean_inv_reps: float
    n_configs: int
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


def _fit_power(cm: ConfigMeans) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.column_stack([np.ones_like(cm.x), np.log(cm.x)])
    coef, *_ = np.linalg.lstsq(X, cm.ybar, rcond=None)
    unscaled = np.linalg.pinv(X.T @ X)
    return coef, cm.ybar - X @ coef, unscaled, unscaled


def _fit_positive_sum(cm: ConfigMeans, cand: Candidate) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def fit_law(cm: ConfigMeans, cand: Candidate = POWER) -> LawFit:
    """Fit one candidate law to configuration means (see the module docstring for the method)."""
    _require(cm, cand)
    if cand.basis is None:
        coef, resid, unscaled, unscaled_full = _fit_power(cm)
    else:
        coef, resid, unscaled, unscaled_full = _fit_positive_sum(cm, cand)
    df_model = cm.n_configs - cand.n_params
    s2 = float(resid @ resid / df_model)
    df_rep = cm.df_rep
    sigma_rep2 = cm.within_ss / df_rep if df_rep > 0 else 0.0
    return LawFit(
        candidate=cand,
        coef=coef,
        cov=s2 * unscaled,
        cov_full=s2 * unscaled_full,
        s2=s2,
        df_model=df_model,
        sigma_rep2=float(sigma_rep2),
        df_rep=df_rep,
        mean_inv_reps=float(np.mean(1.0 / cm.reps)),
        n_configs=cm.n_configs,
        n_runs=int(cm.reps.sum()),
        x_min=float(cm.x.min()),
        x_max=float(cm.x.max()),
        folds=tuple(int(v) for v in np.unique(cm.fold)),
    )


def _log_mean_and_grad(fit: LawFit, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.atleast_1d(np.asarray(x, dtype=float))
    if fit.candidate.basis is None:
        grad = np.column_stack([np.ones_like(x), np.log(x)])
        return grad @ fit.coef, grad
    phi = fit.candidate.basis(x)
    f = np.maximum(phi @ fit.coef, 1e-300)
    return np.log(f), phi / f[:, None]


def _t(df: float) -> float:
    return float(stats.t.ppf(0.5 + LEVEL / 2, df)) if df > 0 else math.inf


def predict_log(fit: LawFit, x, *, new_run: bool = True, reps=1) -> dict[str, np.ndarray]:
    """Point and 95% interval of ``log y`` at sizes ``x`` (rows).

    ``new_run=True``: prediction interval for one new run of a new configuration
    (parameter uncertainty + configuration scatter + repetition noise); with
    ``reps=R`` (scalar or per ``x``) for the mean log of ``R`` runs of one new
    configuration instead. ``new_run=False``: confidence interval of the law
    itself (the median over configurations). Returns arrays ``point``, ``low``,
    ``high``, ``se`` and ``df``.
    """
    mu, grad = _log_mean_and_grad(fit, x)
    var_mean = np.einsum("ij,jk,ik->i", grad, fit.cov, grad)
    if not new_run:
        se = np.sqrt(np.maximum(var_mean, 0))
        t = _t(fit.df_model)
        return {"point": mu, "low": mu - t * se, "high": mu + t * se, "se": se,
                "df": np.full_like(mu, fit.df_model, dtype=float)}
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
        denom = a**2 / fit.df_model + (b_pos**2 / fit.df_rep if fit.df_rep > 0 else 0.0)
        df = np.where((denom > 0) & (b >= 0), (a + b_pos) ** 2 / np.where(denom > 0, denom, 1.0),
                      fit.df_model)
    t = stats.t.ppf(0.5 + LEVEL / 2, df)
    se = np.sqrt(var)
    return {"point": mu, "low": mu - t * se, "high": mu + t * se, "se": se, "df": df}


def predict(fit: LawFit, x, *, new_run: bool = True) -> dict[str, np.ndarray]:
    """:func:`predict_log` back on the quantity's scale: ``point`` is the median, ``low``/``high`` the 95% bounds."""
    out = predict_log(fit, x, new_run=new_run)
    return {k: np.exp(out[k]) for k in ("point", "low", "high")}


def param_intervals(fit: LawFit) -> pd.DataFrame:
    """95% confidence intervals of the law's parameters (columns name, point, low, high, se).

    Power law: ``b`` (the exponent) gets ``b_hat +- t(C-p) se``; ``a`` gets
    ``exp(log a_hat +- t se)``. Other forms: linearised ``c +- t se`` with the
    standard error ignoring the bound (so a coefficient fitted to 0 still gets
    an upper limit), truncated at 0.
    """
    t = _t(fit.df_model)
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


def exponent(fit: LawFit) -> dict[str, float]:
    """The power law's exponent ``b`` with its 95% confidence interval (low/point/high)."""
    if fit.candidate.basis is not None:
        raise ValueError("only the power law has a single exponent")
    row = param_intervals(fit).set_index("name").loc["b"]
    return {"low": float(row["low"]), "point": float(row["point"]), "high": float(row["high"])}


# --------------------------------------------------------------------------- model comparison


def cross_validate(cm: ConfigMeans, cand: Candidate) -> dict[str, float]:
    """Leave-one-size-out cross-validation of one candidate.

    For each size class (``fold``, e.g. ``logrows``) the law is refitted without
    any configuration of that size and predicts them. Returns ``cv_rmse_log`` (root mean square
    error of the left-out configuration means, natural-log units; ``exp`` of it
    is a typical multiplicative error), ``cv_coverage`` (share of left-out
    configuration means inside their 95% prediction interval for a mean of that
    many runs) and ``folds``.
    NaN if any fold cannot be fitted.
    """
    errors, covered = [], []
    folds = np.unique(cm.fold)
    for size in folds:
        test = cm.fold == size
        try:
            fit = fit_law(cm.subset(~test), cand)
        except InsufficientData:
            return {"cv_rmse_log": math.nan, "cv_coverage": math.nan, "folds": len(folds)}
        pred = predict_log(fit, cm.x[test], reps=cm.reps[test])
        errors.append(cm.ybar[test] - pred["point"])
        covered.append((cm.ybar[test] >= pred["low"]) & (cm.ybar[test] <= pred["high"]))
    err = np.concatenate(errors)
    return {"cv_rmse_log": float(np.sqrt(np.mean(err**2))),
            "cv_coverage": float(np.mean(np.concatenate(covered))), "folds": len(folds)}


@dataclass(frozen=True)
class QuantityFit:
    """All candidate fits of one quantity of one family, and the chosen one."""

    family: str
    quantity: str
    unit: str
    size: str
    comparison: pd.DataFrame
    fits: dict
    chosen: LawFit
    means: ConfigMeans

    @property
    def power(self) -> LawFit | None:
        return self.fits.get("power")


def compare(cm: ConfigMeans, candidates=CANDIDATES) -> tuple[pd.DataFrame, dict]:
    """Fit every candidate; one row per candidate with its CV error and in-sample scatter."""
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
                     "resid_sd_log": math.sqrt(fit.s2),
                     "note": "" if math.isfinite(cv["cv_rmse_log"]) else "too few sizes to cross-validate"})
    table = pd.DataFrame(rows)
    table["chosen"] = False
    scored = table["cv_rmse_log"].notna()
    if scored.any():
        table.loc[table.loc[scored, "cv_rmse_log"].idxmin(), "chosen"] = True
    return table, fits


def fit_quantity(runs: pd.DataFrame, family: str, quantity: str, size: str = "rows",
                 candidates=CANDIDATES, min_sizes: int = MIN_SIZES) -> QuantityFit:
    """Fit all candidate laws of ``quantity`` against ``size`` for one family and choose by CV.

    Raises :class:`InsufficientData` if the family has fewer than ``min_sizes``
    distinct sizes with usable runs. If no candidate can be cross-validated
    (possible only with ``min_sizes`` below :data:`MIN_SIZES`), the power law is
    chosen and the comparison table says so.
    """
    obs = observations(runs, family, quantity, size)
    sizes = sorted(set(obs["fold"]))
    if len(sizes) < min_sizes:
        what = "logrows" if size == "rows" else f"ceil(log2 {size})"
        raise InsufficientData(
            f"{family}: {quantity} has successful runs at {len(sizes)} distinct size"
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
    return QuantityFit(family, quantity, QUANTITIES.get(quantity, ""), size, table, fits, chosen, cm)


def fit_family(runs: pd.DataFrame, family: str, quantities=tuple(QUANTITIES), size: str = "rows"
               ) -> tuple[dict[str, QuantityFit], dict[str, str]]:
    """Fit every quantity of one family. Returns ``(fits, skipped)``, ``skipped`` mapping quantity to reason."""
    fits, skipped = {}, {}
    for q in quantities:
        try:
            fits[q] = fit_quantity(runs, family, q, size)
        except InsufficientData as exc:
            skipped[q] = str(exc)
    return fits, skipped


def measured_range(runs: pd.DataFrame, family: str) -> tuple[int, int] | None:
    """Smallest and largest logrows with successful runs of ``family`` (None if none)."""
    lr = runs.loc[runs["family"] == family, "logrows"]
    return (int(lr.min()), int(lr.max())) if len(lr) else None


# --------------------------------------------------------------------------- held-out check


def held_out_check(runs: pd.DataFrame, family: str, quantity: str, n_holdout: int = 2) -> pd.DataFrame:
    """Fit on all but the ``n_holdout`` largest sizes of a family and predict those.

    The law is chosen by cross-validation on the training sizes only (at least
    :data:`MIN_TRAIN_SIZES` of them). One row
    per held-out run: ``logrows``, ``config_key``, ``observed``, ``point``,
    ``low``, ``high`` (95% prediction interval), ``ratio`` (observed / point),
    ``covered`` and the chosen ``law``.
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
        "ratio": observed / pred["point"],
        "covered": (observed >= pred["low"]) & (observed <= pred["high"]),
    })


# --------------------------------------------------------------------------- crossovers


def ratio_law(runs: pd.DataFrame, family: str, numerator: str, denominator: str) -> LawFit:
    """Power law of the per-run ratio ``numerator / denominator`` against rows (same random-effects model)."""
    sel = runs[runs["family"] == family].copy()
    ratio = pd.to_numeric(sel[numerator], errors="coerce") / pd.to_numeric(sel[denominator], errors="coerce")
    sel["_ratio"] = ratio
    obs = observations(sel, family, "_ratio")
    if len(set(obs["logrows"])) < MIN_SIZES:
        raise InsufficientData(f"{family}: {numerator}/{denominator} is known at fewer than {MIN_SIZES} sizes")
    return fit_law(config_means(obs), POWER)


def crossing_logrows(fit: LawFit, level: float = 1.0, *, band: str = "confidence",
                     grid=np.arange(1.0, 64.0, 1 / 64)) -> dict[str, float]:
    """Where the law ``f(2**k)`` reaches ``level``: ``k`` (log2 rows) with a 95% interval.

    ``point`` solves ``point(k) = level``. With ``band='confidence'`` the
    interval is the set of ``k`` whose 95% confidence band of the law contains
    ``level`` (inverting the band, as in Fieller's method); with
    ``band='prediction'`` it uses the prediction band of a single new run.
    Bounds that fall outside ``grid`` are returned as ``-inf``/``inf``; if the
    law never reaches ``level`` on the grid, ``point`` is NaN.
    """
    pred = predict_log(fit, 2.0**grid, new_run=(band == "prediction"))
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


# --------------------------------------------------------------------------- synthetic data and calibration


def simulate_observations(rng: np.random.Generator, *, logrows=tuple(range(10, 18)), configs_per_size: int = 1,
                          reps: int = 3, a: float = 2e-4, b: float = 1.1, sigma_config: float = 0.25,
                          sigma_rep: float = 0.05, law: Callable[[np.ndarray], np.ndarray] | None = None
                          ) -> pd.DataFrame:
    """A synthetic sweep from a known law, as run-level log observations.

    ``law(N)`` (default ``a N^b``) gives the median of a new configuration at
    ``N`` rows; each configuration gets a multiplicative scatter
    ``exp(u), u ~ N(0, sigma_config^2)`` and each repetition
    ``exp(e), e ~ N(0, sigma_rep^2)``. Columns ``config_key``, ``logrows``, ``x``, ``y`` as :func:`observations`.
    """
    law = law or (lambda n: a * n**b)
    lr = np.repeat(np.asarray(logrows, dtype=int), configs_per_size)
    n = np.ldexp(1.0, lr)
    u = rng.normal(0.0, sigma_config, len(lr))
    mu = np.log(law(n)) + u
    y = np.repeat(mu, reps) + rng.normal(0.0, sigma_rep, len(lr) * reps)
    keys = np.repeat([f"synthetic-{i:03d}/resources" for i in range(len(lr))], reps)
    lr_runs = np.repeat(lr, reps)
    return pd.DataFrame({"config_key": keys, "logrows": lr_runs, "fold": lr_runs, "x": np.repeat(n, reps), "y": y})


def simulate_runs(rng: np.random.Generator, family: str = "mlp", *, quantities: dict | None = None,
                  logrows=tuple(range(10, 18)), configs_per_size: int = 1, reps: int = 3,
                  sigma_config: float = 0.25, sigma_rep: float = 0.05) -> list[dict]:
    """Synthetic proof-sweep records that satisfy ``data/measurements/proofs.schema.yaml``.

    ``quantities`` maps a column (e.g. ``prove_s``) to ``(a, b)`` of a power law
    ``a N^b`` in the column's unit; each column gets its own configuration
    scatter and repetition noise. Provenance fields say ``synthetic`` so these
    records can never pass for measurements.
    """
    quantities = quantities or {"prove_s": (2e-4, 1.1), "setup_s": (1e-4, 1.05), "witness_s": (1e-5, 1.0),
                                "verify_s": (1e-2, 0.1), "prove_peak_rss_bytes": (4e3, 1.0),
                                "setup_peak_rss_bytes": (3e3, 1.0), "pk_bytes": (2e3, 1.0),
                                "proof_bytes": (3e4, 0.05)}
    lr = np.repeat(np.asarray(logrows, dtype=int), configs_per_size)
    n = np.ldexp(1.0, lr)
    values = {}
    for col, (a, b) in quantities.items():
        u = rng.normal(0.0, sigma_config, len(lr))
        values[col] = np.exp(np.log(a * n**b)[:, None] + u[:, None] + rng.normal(0.0, sigma_rep, (len(lr), reps)))
    records = []
    for i, k in enumerate(lr):
        config_id = f"syn-{family}-{i:03d}"
        for r in range(reps):
            rec = {
                "run_id": f"{config_id}-res-s7-r{r}", "family": family, "config_id": config_id,
                "config": json.dumps({"synthetic": int(i)}), "params": int(n[i] // 4),
                "input_shape": "[1, 4]", "calibration_target": "resources",
                "visibility": "input:private,output:public,param:fixed", "status": "ok",
                "logrows": int(k), "num_rows": int(0.7 * n[i]),
                "cpu_model": "synthetic", "cpu_count": 1, "ram_bytes": 24 * 2**30, "os": "synthetic",
                "python_version": "synthetic", "ezkl_version": "synthetic", "torch_version": "synthetic",
                "git_commit": "synthetic", "hardware_tag": "synthetic", "date_utc": "1970-01-01T00:00:00+00:00",
                "repetition": r, "sweep_profile": "synthetic",
            }
            for col, v in values.items():
                cell = v[i, r]
                rec[col] = int(round(cell)) if col.endswith("_bytes") else float(cell)
            records.append(rec)
    return records


def calibration_study(n_datasets: int = 500, *, seed: int = 20260101, cand: Candidate = POWER,
                      truth: Callable[[np.ndarray], np.ndarray] | None = None, true_exponent: float | None = 1.1,
                      new_logrows: float = 19.0, **sim) -> dict[str, float]:
    """Coverage of the 95% intervals on ``n_datasets`` synthetic sweeps from a known law.

    Each dataset is simulated by :func:`simulate_observations` (``sim`` passes
    sizes, repetitions and noise levels), fitted with ``cand`` by
    :func:`fit_law`, and checked: does the 95% prediction interval at
    ``2**new_logrows`` rows contain a fresh run of a fresh configuration; does
    the exponent's 95% confidence interval contain ``true_exponent`` (power law
    only)? Returns ``pi_coverage``, ``exponent_coverage`` (NaN if not
    applicable), their binomial standard errors and ``n_datasets``.
    """
    rng = np.random.default_rng(seed)
    sigma_config = sim.get("sigma_config", 0.25)
    sigma_rep = sim.get("sigma_rep", 0.05)
    if truth is None:
        a, b = sim.pop("a", 2e-4), sim.pop("b", true_exponent if true_exponent is not None else 1.1)
        truth = lambda n, a=a, b=b: a * n**b  # noqa: E731
    n_new = 2.0**new_logrows
    pi_hits, b_hits = 0, 0
    for _ in range(n_datasets):
        obs = simulate_observations(rng, law=truth, **sim)
        fit = fit_law(config_means(obs), cand)
        pred = predict_log(fit, [n_new])
        fresh = math.log(truth(np.array([n_new]))[0]) + rng.normal(0, sigma_config) + rng.normal(0, sigma_rep)
        pi_hits += bool(pred["low"][0] <= fresh <= pred["high"][0])
        if cand.basis is None and true_exponent is not None:
            e = exponent(fit)
            b_hits += bool(e["low"] <= true_exponent <= e["high"])
    pi = pi_hits / n_datasets
    bc = b_hits / n_datasets if (cand.basis is None and true_exponent is not None) else math.nan
    return {"n_datasets": n_datasets, "pi_coverage": pi, "pi_coverage_se": math.sqrt(pi * (1 - pi) / n_datasets),
            "exponent_coverage": bc,
            "exponent_coverage_se": math.sqrt(bc * (1 - bc) / n_datasets) if math.isfinite(bc) else math.nan}
