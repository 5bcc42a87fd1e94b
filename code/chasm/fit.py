"""Scaling laws of ezkl proving cost in circuit rows, with calibrated 95% intervals.

Which runs are used
-------------------
:func:`prepare_runs` keeps the runs of the main sweeps only: ``status == 'ok'``,
``sweep_profile`` in :data:`FIT_PROFILES`, ``calibration_target ==``
:data:`CALIBRATION_TARGET`, and input and parameter scales equal to the family's
default (:data:`chasm.prove.FAMILY_SCALES`); the calibration profile is a
separate side experiment. It keeps one machine (``hardware_tag``). Time
quantities (every column ending in ``_s``) of runs whose machine was busy with
other processes, ``other_cpu_frac >`` :data:`CONTENTION_LIMIT`, are set to
missing (those timings were slowed by contention); memory and byte sizes of
those runs are kept. :func:`exclusion_table` counts what was left out and why.

What is fitted
--------------
For one model family on one machine, each *configuration* ``c`` (one
``config_id`` at one ``calibration_target``) is a circuit of ``N_c =
2**logrows`` rows (the evaluation domain the prover works on; the laws can also
be fitted against ``num_rows``, the rows the layout uses, or ``params``, the
model's parameters), measured in ``R_c`` repetitions ``r``. A quantity ``y``
(seconds or bytes, see :data:`QUANTITIES`) is modelled in log space as a
random-effects model::

    log y_cr = log f(N_c; theta) + u_c + e_cr,
    u_c ~ Normal(0, sigma_config^2)   (circuits differ in columns, lookups..., and the
                                       law may not fit every size: lack of fit)
    e_cr ~ Normal(0, sigma_rep^2)     (repetition noise of one machine)

``f`` is one of the :data:`CANDIDATES`: a power law ``a N^b``, ``a N log2 N + b N``,
an affine ``c0 + c1 N``, a first-principles prover form
``c0 + c1 N log2 N + c2 N / log2 N`` (FFT-like plus MSM-like terms), and the cost
model's own form ``c0 + c1 W(N)`` with ``W`` the prover work of
:func:`chasm.costmodel.prover_work` (offered when that module is installed); all
but the power law are sums of nonnegative basis functions with nonnegative
coefficients.

Against ``params`` and ``num_rows`` only configurations above the logrows floor
are used (``at_floor`` in :func:`prepare_runs`): a configuration is at the floor
when its logrows is its family's smallest and its layout uses at most half of
the ``2**logrows`` rows (``num_rows <= 2**(logrows - 1)``), i.e. its domain was
set by ezkl's fixed-size range-check table, not by the network, so its rows and
times do not respond to the parameters.

Estimation and intervals (method)
---------------------------------
``theta`` is fitted by least squares of the configuration means
``ybar_c = mean_r log y_cr`` on ``log f(N_c; theta)``; this weights every
configuration once, however many repetitions it has. The pooled
within-configuration variance ``sigma_rep^2`` (``sum(R_c - 1)`` degrees of
freedom) estimates the repetition noise. The *scatter variance* ``s2``, which
estimates ``sigma_config^2 + sigma_rep^2 / R`` including the law's lack of fit, is
estimated from the residuals of the configuration means, in this order
(:func:`scatter_variance`, ``C`` configurations, ``S`` distinct sizes, ``p``
parameters):

1. the residual variance ``RSS / (C - p)``; but configurations of one size share
   any lack of fit of the law, so when the *lack-of-fit mean square*
   ``sum_s m_s rbar_s^2 / (S - p)`` (``rbar_s`` the mean residual of the ``m_s``
   configurations of size ``s``) is significantly larger than the *pure error*
   (the scatter of configurations around their size's mean residual; F-test at
   level 5%, or whenever that scatter is 0), the lack-of-fit mean square is used,
   with ``S - p`` degrees of freedom. This matters for deterministic quantities
   (key sizes): circuits of one size can be identical, so the residuals within a
   size are 0 and only the sizes carry information.
2. When ``S - p <`` :data:`MIN_LACK_OF_FIT_DF` the residuals show a lack of fit
   poorly or not at all (e.g. four sizes for a two-parameter law), and the
   leave-one-size-out cross-validation error is used if larger: the law is
   refitted without each size and predicts it, and ``s2_cv`` is the mean squared
   error of the left-out configuration means (:func:`leave_one_size_out_mse`),
   with ``min(C - p, S - 1)`` degrees of freedom. It holds the error a law
   makes on a size it has not seen, including curvature that in-sample
   residuals hide; since it also holds the refits' parameter error, which the
   prediction interval adds again, this is conservative.

* Parameter confidence intervals: ``theta_hat +- t(df) * se`` with
  ``Cov(theta_hat) = s2 (J'J)^-1`` (``J`` the Jacobian of ``log f`` at the
  means). For the power law with one configuration per size this is ordinary
  least squares on the means and the t-interval is exact when repetitions are
  balanced; for the other forms it is the usual linearised (Wald) interval,
  truncated at 0 for coefficients that are constrained nonnegative.
  Coefficients that the fit puts on their bound 0 are held there for
  predictions (``Cov`` covers only the free coefficients).
* 95% prediction interval for one new run of a new configuration of ``N`` rows:
  ``log f(N) +- t(nu) * sqrt(g' Cov g + s2 + sigma_rep^2 (1 - mean(1/R_c)))``,
  i.e. parameter uncertainty, plus between-configuration scatter and lack of
  fit, plus repetition noise (``s2`` already holds ``sigma_rep^2/R``; the last
  term adds the rest). ``nu`` is the Welch-Satterthwaite degrees of freedom of
  that sum of two independent variance estimates. :func:`calibration_study`
  checks the coverage on simulated sweeps (:data:`CALIBRATION_SCENARIOS`).

Model choice is by leave-one-size-out cross-validation (:func:`cross_validate`):
all configurations of one size are left out together, the law is refitted
on the rest and scored on the left-out configuration means (RMSE in natural log
units); every candidate is reported and the lowest CV error is chosen.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import optimize, stats

from chasm.measurements import CONTENTION_LIMIT as MEASUREMENTS_CONTENTION_LIMIT
from chasm.models import FAMILIES
from chasm.prove import FAMILY_SCALES, PHASES

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

#: Sweep profiles whose runs are fitted (the calibration profile is a side experiment).
FIT_PROFILES = ("full", "quick")

#: The calibration target of the fitted runs (the sweeps' default).
CALIBRATION_TARGET = "resources"

#: Time quantities (``*_s``) of runs with a larger ``other_cpu_frac`` (share of the
#: machine's CPU used by other processes during the run) are not fitted: they
#: were slowed by contention. Memory and byte sizes of those runs are kept. The
#: limit is the book's one definition of a contended run.
CONTENTION_LIMIT = MEASUREMENTS_CONTENTION_LIMIT

#: A family is fitted only with at least this many distinct sizes (logrows):
#: with fewer, leave-one-size-out cross-validation of a 2-parameter law has no
#: residual degrees of freedom left.
MIN_SIZES = 4

#: The held-out check fits on at least this many sizes (its law is then checked on
#: sizes it has not seen, rather than scored by cross-validation alone).
MIN_TRAIN_SIZES = 3

#: Sizes held out by the held-out check: the largest ones of each family.
HOLDOUT_SIZES = 2

#: Below this many lack-of-fit degrees of freedom (distinct sizes minus
#: parameters), the scatter variance falls back to the leave-one-size-out error
#: when that is larger (a variance estimated on 2 degrees of freedom can be 39
#: times too small at 95% confidence; on 3, 14 times).
MIN_LACK_OF_FIT_DF = 3

#: Sizes the laws can be fitted against: ``rows`` = 2**logrows (the prover's domain),
#: ``num_rows`` (rows the layout uses, as reported by ezkl), ``params`` (model parameters).
SIZE_COLUMNS = ("rows", "num_rows", "params")
SIZE_UNITS = {"rows": "rows", "num_rows": "rows", "params": "parameters"}

LEVEL = 0.95

#: Simulated sweeps per calibration scenario, the seed of the first scenario
#: (scenario ``i`` uses ``CALIBRATION_SEED + i``), and the coverage range the
#: tests require of the 95% intervals.
CALIBRATION_DATASETS = 500
CALIBRATION_SEED = 20260101
CALIBRATION_TOLERANCE = (0.92, 0.98)


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


@functools.lru_cache(maxsize=8)
def _lambdified_prover_work(prover_work: Callable, constants: tuple, k_symbol) -> Callable:
    """``prover_work(k)`` with ``constants`` substituted, as a numpy function of ``k``.

    Cached per (function, constants, symbol), so a changed or replaced cost model
    never reuses a stale expression; :func:`clear_caches` empties the cache.
    """
    import sympy

    expr = prover_work(k_symbol).subs(dict(constants))
    return sympy.lambdify(k_symbol, expr, "numpy")


def clear_caches() -> None:
    """Forget the lambdified cost-model expressions (for tests that replace the cost model)."""
    _lambdified_prover_work.cache_clear()


def _prover_work(n: np.ndarray) -> np.ndarray:
    """The cost model's prover work (BN254 field multiplications) of one proof of ``n`` rows.

    ``chasm.costmodel.prover_work(k)`` with its ``PROVER_CONSTANTS``, evaluated at ``k = log2(n)``.
    """
    import chasm.costmodel as costmodel

    constants = tuple(sorted(costmodel.PROVER_CONSTANTS.items(), key=lambda item: str(item[0])))
    fn = _lambdified_prover_work(costmodel.prover_work, constants, costmodel.kk)
    return np.asarray(fn(_log2(n)), dtype=float)


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


def time_columns(frame: pd.DataFrame) -> list[str]:
    """The time quantities of a run table: every column whose name ends in ``_s`` (seconds)."""
    return [c for c in frame.columns if str(c).endswith("_s")]


def _exclusion_reasons(frame: pd.DataFrame) -> pd.Series:
    """Why each run is not fitted (``''`` if it is), before choosing the machine; first reason wins."""
    reason = pd.Series("", index=frame.index, dtype=object)

    def mark(mask, text: str) -> None:
        reason[(reason == "") & np.asarray(mask, dtype=bool)] = text

    mark(frame["status"] != "ok", "no verified proof (status is not 'ok')")
    mark(frame["logrows"].isna(), "no logrows recorded")
    mark(~frame["sweep_profile"].isin(FIT_PROFILES),
         f"sweep profile not {' or '.join(FIT_PROFILES)} (side experiment)")
    mark(frame["calibration_target"] != CALIBRATION_TARGET, f"calibration target not {CALIBRATION_TARGET!r}")
    default = frame["family"].map(FAMILY_SCALES)
    scales_differ = ~(np.isclose(pd.to_numeric(frame["input_scale"], errors="coerce"), default)
                      & np.isclose(pd.to_numeric(frame["param_scale"], errors="coerce"), default))
    mark(scales_differ, "input or parameter scale is not the family's default")
    return reason


def _choose_machine(frame: pd.DataFrame, reason: pd.Series, hardware_tag: str | None) -> str:
    tags = frame.loc[reason == "", "hardware_tag"].value_counts()
    if tags.empty:
        counts = reason.value_counts()
        why = "; ".join(f"{n} run{'s' if n != 1 else ''}: {r}" for r, n in counts.items())
        raise InsufficientData(f"no usable runs in the table ({why or 'it is empty'})")
    if hardware_tag is None:
        return str(tags.index[0])
    if hardware_tag not in tags.index:
        raise InsufficientData(
            f"no successful runs on hardware {hardware_tag!r}; available: {', '.join(map(str, tags.index))}"
        )
    return hardware_tag


def prepare_runs(frame: pd.DataFrame, hardware_tag: str | None = None) -> tuple[pd.DataFrame, str]:
    """The runs the laws are fitted to, with the columns the fits need; returns ``(runs, hardware_tag)``.

    Keeps ``status == 'ok'`` runs with a ``logrows`` from the sweep profiles
    :data:`FIT_PROFILES`, at calibration target :data:`CALIBRATION_TARGET` and
    at the family's default input and parameter scale; picks ``hardware_tag``
    (by default the tag with the most such runs, since laws of different
    machines must not be mixed). Sets every time column (``*_s``, seconds) to
    missing in runs with ``other_cpu_frac >`` :data:`CONTENTION_LIMIT` (flagged in
    ``timing_contended``); memory and sizes of those runs are kept. Adds ``rows``
    (= 2**logrows, rows), ``peak_rss_bytes`` (max over phases of the per-phase
    peak RSS, bytes), ``config_key`` (the ``run_id`` without its
    ``-r<repetition>`` suffix) and ``at_floor`` (see the module docstring:
    logrows is the family's smallest and ``num_rows <= 2**(logrows - 1)``).
    """
    reason = _exclusion_reasons(frame)
    hardware_tag = _choose_machine(frame, reason, hardware_tag)
    ok = frame[(reason == "") & (frame["hardware_tag"] == hardware_tag)].copy()
    ok["logrows"] = ok["logrows"].astype(int)
    ok["rows"] = np.ldexp(1.0, ok["logrows"].to_numpy())
    peak_cols = [f"{p}_peak_rss_bytes" for p in PHASES if f"{p}_peak_rss_bytes" in ok.columns]
    ok["peak_rss_bytes"] = ok[peak_cols].max(axis=1, skipna=True)
    ok["config_key"] = ok["run_id"].astype(str).str.replace(r"-r\d+$", "", regex=True)
    contended = (pd.to_numeric(ok["other_cpu_frac"], errors="coerce") > CONTENTION_LIMIT).to_numpy()
    ok["timing_contended"] = contended
    for col in time_columns(ok):
        ok[col] = pd.to_numeric(ok[col], errors="coerce").astype(float)
        ok.loc[contended, col] = np.nan
    floor = ok.groupby("family")["logrows"].transform("min")
    used = pd.to_numeric(ok["num_rows"], errors="coerce")
    ok["at_floor"] = ((ok["logrows"] == floor) & (used <= np.ldexp(1.0, ok["logrows"].to_numpy() - 1))).to_numpy()
    return ok.reset_index(drop=True), hardware_tag


def exclusion_table(frame: pd.DataFrame, hardware_tag: str | None = None) -> pd.DataFrame:
    """How many runs of ``frame`` the fits leave out, and why: columns ``reason``, ``runs``, ``left out``.

    One row per reason (only reasons that apply), then the runs whose timings
    are dropped for contention, then the runs used. Consistent with
    :func:`prepare_runs` (same rules, same machine choice).
    """
    reason = _exclusion_reasons(frame)
    hardware_tag = _choose_machine(frame, reason, hardware_tag)
    reason = reason.where((reason != "") | (frame["hardware_tag"] == hardware_tag),
                          "run on another machine than " + hardware_tag)
    rows = [{"reason": r, "runs": int(n), "left out": "the whole run"}
            for r, n in reason[reason != ""].value_counts().items()]
    kept = frame[reason == ""]
    contended = int((pd.to_numeric(kept["other_cpu_frac"], errors="coerce") > CONTENTION_LIMIT).sum())
    if contended:
        rows.append({"reason": f"machine busy with other processes (other_cpu_frac > {CONTENTION_LIMIT:g})",
                     "runs": contended, "left out": "times (*_s) only; memory and sizes used"})
    rows.append({"reason": f"used for the fits (on {hardware_tag})", "runs": int(len(kept)),
                 "left out": "nothing" if not contended else f"times of {contended} of them"})
    return pd.DataFrame(rows, columns=["reason", "runs", "left out"])


def observations(runs: pd.DataFrame, family: str, quantity: str, size: str = "rows") -> pd.DataFrame:
    """One row per usable run: ``config_key``, ``logrows``, ``fold``, ``x`` (size), ``y`` (log of the quantity).

    ``fold`` is the size class used by leave-one-size-out cross-validation:
    ``logrows`` when fitting against ``rows``, else ``ceil(log2(size))``. Runs whose quantity or size is missing or not
    positive are dropped (a log needs a positive value); so are, for sizes other
    than ``rows``, configurations at the logrows floor (``at_floor``, see
    :func:`prepare_runs`), whose rows and times do not respond to their size.
    """
    if quantity not in runs.columns:
        raise KeyError(f"quantity {quantity!r} is not a column of the runs")
    if size not in SIZE_COLUMNS:
        raise ValueError(f"size must be one of {SIZE_COLUMNS}, got {size!r}")
    sel = runs[(runs["family"] == family)]
    if size != "rows" and "at_floor" in sel.columns:
        sel = sel[~sel["at_floor"].astype(bool)]
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


def _estimate(cm: ConfigMeans, cand: Candidate) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Point fit of one law: ``(coef, residuals, unscaled covariance, unscaled covariance ignoring bounds)``.

    Needs only as many distinct sizes as parameters (an exact fit is allowed);
    :func:`fit_law` asks for more.
    """
    if len(np.unique(cm.x)) < cand.n_params:
        raise InsufficientData(f"law {cand.name} needs {cand.n_params} distinct sizes, "
                               f"there are {len(np.unique(cm.x))}")
    return _fit_power(cm) if cand.basis is None else _fit_positive_sum(cm, cand)


def _log_law(cand: Candidate, coef: np.ndarray, x) -> tuple[np.ndarray, np.ndarray]:
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
            coef, *_ = _estimate(cm.subset(~test), cand)
        except InsufficientData:
            return None
        errors.append(cm.ybar[test] - _log_law(cand, coef, cm.x[test])[0])
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


def fit_law(cm: ConfigMeans, cand: Candidate = POWER) -> LawFit:
    """Fit one candidate law to configuration means (see the module docstring for the method)."""
    _require(cm, cand)
    coef, resid, unscaled, unscaled_full = _estimate(cm, cand)
    s2, df_scatter, method = scatter_variance(cm, cand, resid)
    df_rep = cm.df_rep
    sigma_rep2 = cm.within_ss / df_rep if df_rep > 0 else 0.0
    return LawFit(
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


def predict_log(fit: LawFit, x, *, new_run: bool = True, reps=1) -> dict[str, np.ndarray]:
    """Point and 95% interval of ``log y`` at sizes ``x`` (rows).

    ``new_run=True``: prediction interval for one new run of a new configuration
    (parameter uncertainty + configuration scatter and lack of fit + repetition
    noise); with ``reps=R`` (scalar or per ``x``) for the mean log of ``R`` runs
    of one new configuration instead. ``new_run=False``: confidence interval of
    the law itself (the median over configurations). Returns arrays ``point``,
    ``low``, ``high``, ``se`` and ``df``.
    """
    mu, grad = _log_law(fit.candidate, fit.coef, x)
    var_mean = np.einsum("ij,jk,ik->i", grad, fit.cov, grad)
    if not new_run:
        se = np.sqrt(np.maximum(var_mean, 0))
        t = _t(fit.df_scatter)
        return {"point": mu, "low": mu - t * se, "high": mu + t * se, "se": se,
                "df": np.full_like(mu, fit.df_scatter, dtype=float)}
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


def predict(fit: LawFit, x, *, new_run: bool = True) -> dict[str, np.ndarray]:
    """:func:`predict_log` back on the quantity's scale: ``point`` is the median, ``low``/``high`` the 95% bounds."""
    out = predict_log(fit, x, new_run=new_run)
    return {k: np.exp(out[k]) for k in ("point", "low", "high")}


def param_intervals(fit: LawFit) -> pd.DataFrame:
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
    many runs, over the folds whose refit has an interval) and ``folds``.
    A refit with no residual degrees of freedom (as many configurations as
    parameters) still scores its point prediction. NaN if any fold cannot be fitted.
    """
    errors, covered = [], []
    folds = np.unique(cm.fold)
    for size in folds:
        test = cm.fold == size
        train = cm.subset(~test)
        try:
            fit = fit_law(train, cand)
        except InsufficientData:
            try:
                coef, *_ = _estimate(train, cand)
            except InsufficientData:
                return {"cv_rmse_log": math.nan, "cv_coverage": math.nan, "folds": len(folds)}
            errors.append(cm.ybar[test] - _log_law(cand, coef, cm.x[test])[0])
            continue
        pred = predict_log(fit, cm.x[test], reps=cm.reps[test])
        errors.append(cm.ybar[test] - pred["point"])
        covered.append((cm.ybar[test] >= pred["low"]) & (cm.ybar[test] <= pred["high"]))
    err = np.concatenate(errors)
    return {"cv_rmse_log": float(np.sqrt(np.mean(err**2))),
            "cv_coverage": float(np.mean(np.concatenate(covered))) if covered else math.nan,
            "folds": len(folds)}


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


#: The sizes (log2 rows, lowest and highest) on which :func:`crossing_logrows` looks for a crossing.
CROSSING_RANGE = (1, 64)


def crossing_logrows(fit: LawFit, level: float = 1.0, *, band: str = "confidence",
                     grid=np.arange(CROSSING_RANGE[0], CROSSING_RANGE[1] + 1 / 128, 1 / 64)) -> dict[str, float]:
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
                  sigma_config: float = 0.25, sigma_rep: float = 0.05, other_cpu_frac: float = 0.0,
                  sweep_profile: str = "full") -> list[dict]:
    """Synthetic proof-sweep records that satisfy ``data/measurements/proofs.schema.yaml``.

    ``quantities`` maps a column (e.g. ``prove_s``) to ``(a, b)`` of a power law
    ``a N^b`` in the column's unit; each column gets its own configuration
    scatter and repetition noise. The records look like runs of a main sweep
    (``sweep_profile``, calibration target ``resources``, the family's default
    scales, the given ``other_cpu_frac``), so :func:`prepare_runs` keeps them;
    their provenance fields (machine, CPU, commit, date) say ``synthetic`` so
    they can never pass for measurements.
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
                "repetition": r, "sweep_profile": sweep_profile, "other_cpu_frac": float(other_cpu_frac),
                "input_scale": FAMILY_SCALES.get(family, 7), "param_scale": FAMILY_SCALES.get(family, 7),
            }
            for col, v in values.items():
                cell = v[i, r]
                rec[col] = int(round(cell)) if col.endswith("_bytes") else float(cell)
            records.append(rec)
    return records


def calibration_study(n_datasets: int = CALIBRATION_DATASETS, *, seed: int = CALIBRATION_SEED,
                      cand: Candidate = POWER,
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


def _truth_nlogn(n: np.ndarray) -> np.ndarray:
    return 3e-6 * n * np.log2(n) + 1e-5 * n


def _truth_fft_msm(n: np.ndarray) -> np.ndarray:
    return 0.5 + 2e-6 * n * np.log2(n) + 5e-5 * n / np.log2(n)


def _truth_costmodel(n: np.ndarray) -> np.ndarray:
    return 0.3 + 2e-8 * _prover_work(n)


def _truth_small_growth(n: np.ndarray) -> np.ndarray:
    return 5.0 + 1e-6 * n * np.log2(n)


_SWEEP = {"logrows": tuple(range(10, 18)), "configs_per_size": 1, "reps": 3, "sigma_config": 0.25,
          "sigma_rep": 0.05, "new_logrows": 19.0}

#: Simulated sweeps of the calibration check (:func:`calibration_scenario`). Each
#: names the law fitted (``cand``), the true law (``a``/``b`` of ``a N^b``, or
#: ``truth`` with its ``truth_formula``, in seconds), the simulated sizes
#: (``logrows``), circuits per size, repetitions, the two noise levels (standard
#: deviations of the log) and the size of the fresh run (``new_logrows``).
#: Scenario ``i`` is simulated with seed ``CALIBRATION_SEED + i``, in the tests and
#: in the chapter alike; the tests require coverage within
#: :data:`CALIBRATION_TOLERANCE` of every scenario not marked ``expect_calibrated: False``.
CALIBRATION_SCENARIOS: tuple[dict, ...] = (
    {"cand": "power", "a": 2e-4, "b": 1.1, **_SWEEP},
    {"cand": "power", "a": 2e-4, "b": 1.1, **_SWEEP, "logrows": tuple(range(14, 20)), "configs_per_size": 2,
     "sigma_config": 0.15, "sigma_rep": 0.2, "new_logrows": 21.0},
    {"cand": "nlogn", "truth": _truth_nlogn, "truth_formula": "3e-6 N log2 N + 1e-5 N", **_SWEEP},
    {"cand": "fft_msm", "truth": _truth_fft_msm, "truth_formula": "0.5 + 2e-6 N log2 N + 5e-5 N / log2 N",
     **_SWEEP},
) + ((
    {"cand": "costmodel", "truth": _truth_costmodel, "truth_formula": "0.3 + 2e-8 W(N)", **_SWEEP},
) if _costmodel_available() else ()) + (
    # The growing term is small over the simulated sizes and dominates beyond them: the known
    # weak spot of extrapolation, shown in the chapter but not required to be calibrated.
    {"cand": "fft_msm", "truth": _truth_small_growth, "truth_formula": "5 + 1e-6 N log2 N", **_SWEEP,
     "expect_calibrated": False},
)


def calibration_scenario(index: int, n_datasets: int = CALIBRATION_DATASETS) -> dict[str, float]:
    """:func:`calibration_study` of ``CALIBRATION_SCENARIOS[index]`` with seed ``CALIBRATION_SEED + index``."""
    sc = dict(CALIBRATION_SCENARIOS[index])
    cand = candidate(sc.pop("cand"))
    sc.pop("truth_formula", None)
    sc.pop("expect_calibrated", None)
    truth = sc.pop("truth", None)
    true_exponent = sc["b"] if truth is None else None
    return calibration_study(n_datasets, seed=CALIBRATION_SEED + index, cand=cand, truth=truth,
                             true_exponent=true_exponent, **sc)
