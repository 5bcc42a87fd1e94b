"""Fitting the free constants of the layout model to measured circuits, and the circuit sizes they give.

The constants :data:`~chasm.costmodel.operations.ESTIMATED` (per-element and per-row
cells of layer/RMS norm and softmax, the fixed cells of one Freivalds einsum) are
fitted by ordinary least squares to the base and einsum cells ezkl reported for
measured circuits (rows of ``data/measurements/layouts.csv``). Only equations in
which a fitted constant appears are observations of the constants: an equation
whose design row is zero (a circuit without an einsum region, a circuit of
source-derived operations only) says nothing about them and is left out of the
system and of its degrees of freedom.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
import sympy as sp

from chasm.core import data, paths
from chasm.core.constants import LAYOUTS
from chasm.costmodel.families import network_work
from chasm.costmodel.layout import RunArgs
from chasm.costmodel.operations import ESTIMATED
from chasm.core.ezkl_rules import MAX_LOGROWS, MIN_LOGROWS, RESERVED_BLINDING_ROWS, logrows_rule
from chasm.costmodel.symbols import B

__all__ = ["design", "informative_equations", "Constants", "estimate_constants", "default_constants",
           "circuit_size", "circuit_rows", "logrows_symbolic"]


def _run_args_from_row(row: Mapping) -> RunArgs:
    return RunArgs.from_run_args(num_inner_cols=row["num_inner_cols"], decomp_legs=row["decomp_legs"],
                                decomp_base=row["decomp_base"], disable_freivalds=row["disable_freivalds"],
                                output_visibility=row["output_visibility"],
                                param_visibility=row["param_visibility"])


def _linear_parts(expr: sp.Expr) -> tuple[float, dict[str, float]]:
    """Split an expression linear in the fitted symbols into (constant, {name: coefficient})."""
    expr = sp.expand(expr)
    coeffs = {name: float(expr.coeff(sym)) for name, sym in ESTIMATED.items()}
    const = float(expr.subs({sym: 0 for sym in ESTIMATED.values()}))
    return const, coeffs


def design(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Least-squares system for the fitted constants: one equation for base cells and one for
    einsum cells per circuit, every equation kept (see :func:`informative_equations`).
    Returns (X, y - known part, circuit index per equation, names)."""
    names = list(ESTIMATED)
    X, y, idx = [], [], []
    for i, row in enumerate(frame.to_dict("records")):
        work = network_work(row["family"], json.loads(row["config"]), _run_args_from_row(row))
        for expr, observed in ((work.cells, row["total_assignments"]),
                               (work.einsum_cells, row["total_einsum_col_size"])):
            const, coeffs = _linear_parts(expr)
            X.append([coeffs[nm] for nm in names])
            y.append(float(observed) - const)
            idx.append(i)
    return np.array(X, dtype=float).reshape(len(X), len(names)), np.array(y, dtype=float), np.array(idx), names


def informative_equations(X: np.ndarray) -> np.ndarray:
    """Mask of the equations of :func:`design` in which some fitted constant appears (a non-zero
    design row); the others do not observe the constants."""
    return np.abs(X).sum(axis=1) > 0


@dataclass(frozen=True)
class Constants:
    """Fitted constants with their covariance (ordinary least squares)."""

    names: tuple[str, ...]
    values: np.ndarray
    cov: np.ndarray
    dof: int
    residual_se: float
    n_circuits: int
    n_equations: int

    def as_subs(self) -> dict[sp.Symbol, float]:
        return {ESTIMATED[nm]: float(v) for nm, v in zip(self.names, self.values)}

    def table(self) -> pd.DataFrame:
        """Each constant with its 95% confidence interval (t distribution, ``dof`` degrees)."""
        from scipy import stats

        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        q = stats.t.ppf(0.975, self.dof) if self.dof > 0 else float("nan")
        return pd.DataFrame({"constant": self.names, "low": self.values - q * se, "point": self.values,
                             "high": self.values + q * se, "se": se})


def estimate_constants(frame: pd.DataFrame) -> Constants:
    """Constants :data:`ESTIMATED` to measured layouts (rows of ``layouts.csv``) by least squares.

    Only the equations of :func:`informative_equations` enter the system; the degrees of
    freedom are their number less the number of constants. Constants that no circuit in
    ``frame`` exercises cannot be fitted: a :class:`ValueError` names them.
    """
    X, y, _, names = design(frame)
    keep = informative_equations(X)
    X, y = X[keep], y[keep]
    used = np.abs(X).sum(axis=0) > 0
    missing = [nm for nm, u in zip(names, used) if not u]
    if missing:
        raise ValueError(f"no circuit exercises the constants {missing}; add circuits that use them")
    rank = np.linalg.matrix_rank(X)
    if rank < len(names):
        raise ValueError(f"the circuits identify only {rank} of the {len(names)} constants "
                         f"{names}: vary rows, widths and decomp_legs")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = len(y) - rank
    s2 = float(resid @ resid / dof) if dof else float("nan")
    cov = s2 * np.linalg.inv(X.T @ X) if dof else np.full((len(names), len(names)), np.nan)
    return Constants(tuple(names), beta, cov, dof, math.sqrt(s2) if dof else float("nan"), len(frame), len(y))


@functools.lru_cache(maxsize=1)
def _default_constants_cached(path: str, mtime: float) -> Constants:
    frame = data.load_table(path)
    return estimate_constants(frame)


def default_constants() -> Constants:
    """Constants fitted to all of ``data/measurements/layouts.csv`` (cached per file version)."""
    path = paths.data_dir() / LAYOUTS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m chasm layouts` to measure layouts")
    return _default_constants_cached(str(path), path.stat().st_mtime)


def circuit_size(family: str, config: Mapping, constants: Constants | None = None, **run_args) -> dict[str, float]:
    """Predicted ezkl layout of one model: ``total_assignments``, ``einsum_cells``, ``num_rows``
    (``ceil(cells / c)``), ``einsum_rows`` and ``logrows`` (ezkl's rule, :func:`logrows_rule`)."""
    ra = RunArgs.from_run_args(**run_args)
    constants = constants or default_constants()
    work = network_work(family, config, ra).subs(constants.as_subs())
    cells, einsum = float(work.cells), float(work.einsum_cells)
    rows = math.ceil(round(cells) / ra.inner_cols)
    einsum_rows = math.ceil(round(einsum) / ra.inner_cols) if einsum > 0 else 0
    return {"total_assignments": cells, "einsum_cells": einsum, "num_rows": float(rows),
            "einsum_rows": float(einsum_rows),
            "logrows": float(logrows_rule(rows, einsum_rows, decomp_base=ra.base)),
            "macs": float(work.macs), "flops": float(work.flops)}


def circuit_rows(family: str, config: dict, **run_args) -> float:
    """Rows (ezkl ``num_rows``) the model counts for a measured family and size ``config``
    (the JSON ``config`` of ``proofs.csv``); ``run_args`` as in ezkl (``num_inner_cols``,
    ``decomp_base``, ``decomp_legs``, ``disable_freivalds``, ``output_visibility``)."""
    return circuit_size(family, config, **run_args)["num_rows"]


def logrows_symbolic() -> sp.Expr:
    """The same rule as a sympy expression of the rows and the decomposition base."""
    rows_sym, ein_sym = sp.symbols("R_main R_einsum", positive=True)
    need = sp.Max(sp.ceiling(sp.log(rows_sym + RESERVED_BLINDING_ROWS, 2)),
                  sp.ceiling(sp.log(B + RESERVED_BLINDING_ROWS, 2)),
                  sp.ceiling(sp.log(ein_sym, 2)))
    return sp.Min(sp.Max(need, MIN_LOGROWS), MAX_LOGROWS)

