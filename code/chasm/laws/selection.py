"""Which proving runs the laws are fitted to, and the observations they are fitted on.

:func:`select_runs` keeps the runs of the main sweeps only: ``status == 'ok'`` with ``verified`` True
(:func:`chasm.core.runs.verified_ok`: a proof that did not verify never feeds a law), ``sweep_profile`` in
:data:`FIT_PROFILES`, ``calibration_target ==`` :data:`CALIBRATION_TARGET`, and input and parameter
scales equal to the family's default (:data:`chasm.core.constants.FAMILY_SCALES`); the calibration
profile is a separate side experiment. It keeps one machine (``hardware_tag``). Time quantities (every
column ending in ``_s``) of runs whose machine was busy with other processes, ``other_cpu_frac >``
:data:`chasm.core.constants.CONTENTION_LIMIT`, are set to missing (those timings were slowed by
contention); memory and byte sizes of those runs are kept. :func:`exclusion_table` counts what was
left out and why. :func:`observations` and :func:`config_means` turn the runs of one family and
quantity into log observations and per-configuration means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chasm.core.constants import CONTENTION_LIMIT, FAMILY_SCALES
from chasm.core.runs import contended, peak_rss_bytes, verified_ok
from chasm.laws.rules import SIZE_COLUMNS, InsufficientData

__all__ = ["FIT_PROFILES", "CALIBRATION_TARGET", "time_columns", "exclusion_reasons", "choose_machine", "select_runs",
           "exclusion_table", "observations", "ConfigMeans", "config_means"]


#: Sweep profiles whose runs are fitted (the calibration profile is a side experiment).
FIT_PROFILES = ("full", "quick")

#: The calibration target of the fitted runs (the sweeps' default).
CALIBRATION_TARGET = "resources"


def time_columns(frame: pd.DataFrame) -> list[str]:
    """The time quantities of a run table: every column whose name ends in ``_s`` (seconds)."""
    return [c for c in frame.columns if str(c).endswith("_s")]


def exclusion_reasons(frame: pd.DataFrame) -> pd.Series:
    """Why each run is not fitted (``''`` if it is), before choosing the machine; first reason wins."""
    reason = pd.Series("", index=frame.index, dtype=object)

    def mark(mask, text: str) -> None:
        reason[(reason == "") & np.asarray(mask, dtype=bool)] = text

    mark(frame["status"] != "ok", "no verified proof (status is not 'ok')")
    mark(~verified_ok(frame), "proof did not verify (status 'ok' but verified is not True)")
    prover = frame["prover"].fillna("ezkl") if "prover" in frame.columns else pd.Series("ezkl", index=frame.index)
    mark(prover != "ezkl", "proven by another prover than ezkl (the two-family comparison)")
    mark(frame["logrows"].isna(), "no logrows recorded")
    mark(~frame["sweep_profile"].isin(FIT_PROFILES),
         f"sweep profile not {' or '.join(FIT_PROFILES)} (side experiment)")
    mark(frame["calibration_target"] != CALIBRATION_TARGET, f"calibration target not {CALIBRATION_TARGET!r}")
    default = frame["family"].map(FAMILY_SCALES)
    scales_differ = ~(np.isclose(pd.to_numeric(frame["input_scale"], errors="coerce"), default)
                      & np.isclose(pd.to_numeric(frame["param_scale"], errors="coerce"), default))
    mark(scales_differ, "input or parameter scale is not the family's default")
    return reason


def choose_machine(frame: pd.DataFrame, reason: pd.Series, hardware_tag: str | None) -> str:
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


def select_runs(frame: pd.DataFrame, hardware_tag: str | None = None) -> tuple[pd.DataFrame, str]:
    """The runs the laws are fitted to, with the columns the fits need; returns ``(runs, hardware_tag)``.

    Keeps ``status == 'ok'`` runs whose proof verified (``verified`` True) with a ``logrows`` from the sweep profiles
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
    reason = exclusion_reasons(frame)
    hardware_tag = choose_machine(frame, reason, hardware_tag)
    ok = frame[(reason == "") & (frame["hardware_tag"] == hardware_tag)].copy()
    ok["logrows"] = ok["logrows"].astype(int)
    ok["padded_rows"] = np.ldexp(1.0, ok["logrows"].to_numpy())
    ok["peak_rss_bytes"] = peak_rss_bytes(ok)
    ok["config_key"] = ok["run_id"].astype(str).str.replace(r"-r\d+$", "", regex=True)
    slowed = contended(ok).to_numpy()
    ok["timing_contended"] = slowed
    for col in time_columns(ok):
        ok[col] = pd.to_numeric(ok[col], errors="coerce").astype(float)
        ok.loc[slowed, col] = np.nan
    floor = ok.groupby("family")["logrows"].transform("min")
    used = pd.to_numeric(ok["num_rows"], errors="coerce")
    ok["at_floor"] = ((ok["logrows"] == floor) & (used <= np.ldexp(1.0, ok["logrows"].to_numpy() - 1))).to_numpy()
    return ok.reset_index(drop=True), hardware_tag


def exclusion_table(frame: pd.DataFrame, hardware_tag: str | None = None) -> pd.DataFrame:
    """How many runs of ``frame`` the fits leave out, and why: columns ``reason``, ``runs``, ``left out``.

    One row per reason (only reasons that apply), then the runs whose timings
    are dropped for contention, then the runs used. Consistent with
    :func:`select_runs` (same rules, same machine choice).
    """
    reason = exclusion_reasons(frame)
    hardware_tag = choose_machine(frame, reason, hardware_tag)
    reason = reason.where((reason != "") | (frame["hardware_tag"] == hardware_tag),
                          "run on another machine than " + hardware_tag)
    rows = [{"reason": r, "runs": int(n), "left out": "the whole run"}
            for r, n in reason[reason != ""].value_counts().items()]
    kept = frame[reason == ""]
    n_contended = int(contended(kept).sum())
    if n_contended:
        rows.append({"reason": f"machine busy with other processes (other_cpu_frac > {CONTENTION_LIMIT:g})",
                     "runs": n_contended, "left out": "times (*_s) only; memory and sizes used"})
    rows.append({"reason": f"used for the fits (on {hardware_tag})", "runs": int(len(kept)),
                 "left out": "nothing" if not n_contended else f"times of {n_contended} of them"})
    return pd.DataFrame(rows, columns=["reason", "runs", "left out"])


def observations(runs: pd.DataFrame, family: str, quantity: str, size: str = "padded_rows") -> pd.DataFrame:
    """One row per usable run: ``config_key``, ``logrows``, ``fold``, ``x`` (size), ``y`` (log of the quantity).

    ``fold`` is the size class used by leave-one-size-out cross-validation:
    ``logrows`` when fitting against ``rows``, else ``ceil(log2(size))``. Runs whose quantity or size is missing or not
    positive are dropped (a log needs a positive value); so are, for sizes other
    than ``rows``, configurations at the logrows floor (``at_floor``, see
    :func:`select_runs`), whose rows and times do not respond to their size.
    """
    if quantity not in runs.columns:
        raise KeyError(f"quantity {quantity!r} is not a column of the runs")
    if size not in SIZE_COLUMNS:
        raise ValueError(f"size must be one of {SIZE_COLUMNS}, got {size!r}")
    sel = runs[(runs["family"] == family)]
    if size != "padded_rows" and "at_floor" in sel.columns:
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
            "fold": logrows if size == "padded_rows" else np.ceil(np.log2(xs)).astype(int),
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
