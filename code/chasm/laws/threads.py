"""How the prover scales from 1 to 2 threads on the measuring machine (the ``threads`` sweep profile).

The profile proves the same circuits with 1 and with 2 prover threads, the two counts in turn within
each repetition. For each pair (a configuration and a repetition, both runs verified and neither
slowed by other processes) :func:`thread_pairs` gives the speed-up ``S = t1 / t2`` of a phase's wall
time, the parallel efficiency ``e2 = S / 2`` and the serial share that Amdahl's law reads from it,
``s = 2 / S - 1`` (the share of the one-thread work that did not run in parallel; from
``S(n) = 1 / (s + (1 - s) / n)`` at ``n = 2``). :func:`thread_scaling` summarises the pairs:
``point`` is their median and ``low``/``high`` their smallest and largest value (the range of the
pairs, not a confidence interval: there are only a handful). :func:`amdahl_efficiency` is the model
the many-core scenario of :mod:`chasm.economics.scenarios` extrapolates with.

The profile's 2-thread runs repeat configurations of the main sweep on a machine with the same
hardware tag, on another day. :func:`instance_speed` compares the two: how much slower (or faster) the
same circuit proved on the later machine, a spread of the "same" rented hardware that the fitted laws,
made on one machine, do not see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chasm.core import data
from chasm.core.constants import PROOFS
from chasm.core.runs import contended

__all__ = ["THREADS_PROFILE", "amdahl_efficiency", "thread_pairs", "thread_scaling", "instance_speed"]

#: The sweep profile that measures thread scaling (``data/sweep_profiles.yaml``).
THREADS_PROFILE = "threads"


def amdahl_efficiency(n, serial_share):
    """Parallel efficiency ``S(n) / n = 1 / (1 + s (n - 1))`` of ``n`` threads (ratio) under Amdahl's
    law with serial share ``s`` of the one-thread work (ratio in [0, 1]); arrays broadcast."""
    n = np.asarray(n, dtype=float)
    s = np.asarray(serial_share, dtype=float)
    if np.any(n < 1) or np.any((s < 0) | (s > 1)):
        raise ValueError("amdahl_efficiency needs n >= 1 and 0 <= serial_share <= 1")
    return 1.0 / (1.0 + s * (n - 1.0))


def thread_pairs(frame: pd.DataFrame | None = None, phase: str = "prove", hardware_tag: str | None = None) -> pd.DataFrame:
    """One row per (configuration, repetition) of the threads profile with both a 1-thread and a
    2-thread run: ``t1_s``, ``t2_s`` (wall seconds of ``phase``), ``speedup`` (ratio), ``efficiency``
    (ratio) and ``serial_share`` (ratio), plus ``family``, ``config_id``, ``logrows``, ``repetition``
    and ``hardware_tag``. Runs that are not ``ok``, not verified or contended are left out, and with
    them their pair. ``hardware_tag`` keeps one machine (default: the one with most pairs)."""
    frame = data.load_table(PROOFS) if frame is None else frame
    col = f"{phase}_s"
    runs = frame[(frame["sweep_profile"] == THREADS_PROFILE) & (frame["status"] == "ok")]
    runs = runs[runs["verified"].astype(bool) & ~contended(runs) & runs[col].notna()]
    keys = ["hardware_tag", "family", "config_id", "repetition"]
    wide = runs.pivot_table(index=keys, columns="prove_threads", values=[col, "logrows"], aggfunc="first")
    if wide.empty or 1 not in wide[col].columns or 2 not in wide[col].columns:
        return pd.DataFrame(columns=keys + ["logrows", "t1_s", "t2_s", "speedup", "efficiency", "serial_share"])
    out = pd.DataFrame({"logrows": wide[("logrows", 2)], "t1_s": wide[(col, 1)], "t2_s": wide[(col, 2)]}).dropna()
    out = out.reset_index()
    if hardware_tag is None and not out.empty:
        hardware_tag = out["hardware_tag"].value_counts().index[0]
    out = out[out["hardware_tag"] == hardware_tag].reset_index(drop=True)
    out["speedup"] = out["t1_s"] / out["t2_s"]
    out["efficiency"] = out["speedup"] / 2.0
    out["serial_share"] = 2.0 / out["speedup"] - 1.0
    return out


def thread_scaling(frame: pd.DataFrame | None = None, phase: str = "prove", hardware_tag: str | None = None) -> dict:
    """Summary of :func:`thread_pairs`: for ``speedup``, ``efficiency`` and ``serial_share`` a dict
    ``{point, low, high}`` (median, smallest, largest over the pairs; ratios), and ``pairs``,
    ``configs``, ``hardware_tag``, ``phase``. Raises ``ValueError`` when no pair was measured."""
    pairs = thread_pairs(frame, phase, hardware_tag)
    if pairs.empty:
        raise ValueError(f"no 1- and 2-thread pair of verified, uncontended runs in the {THREADS_PROFILE!r} "
                         f"profile; run `python -m chasm sweep --profile {THREADS_PROFILE}`")
    out = {"pairs": len(pairs), "configs": int(pairs["config_id"].nunique()),
           "hardware_tag": str(pairs["hardware_tag"].iloc[0]), "phase": phase}
    for key in ("speedup", "efficiency", "serial_share"):
        v = pairs[key].to_numpy(dtype=float)
        out[key] = {"point": float(np.median(v)), "low": float(v.min()), "high": float(v.max())}
    return out


def instance_speed(frame: pd.DataFrame | None = None, phase: str = "prove", hardware_tag: str | None = None) -> dict:
    """How the 2-thread runs of the threads profile compare with the main sweep's runs of the same
    configurations on the same hardware tag: per configuration the ratio of median ``phase`` wall times
    (threads profile over main sweep; above 1: the later machine was slower), verified and uncontended
    runs only. Returns ``ratios`` ({config_id: ratio}) and ``low``/``point``/``high`` (smallest, median,
    largest ratio); raises ``ValueError`` when no configuration was run in both."""
    from chasm.laws.selection import FIT_PROFILES

    frame = data.load_table(PROOFS) if frame is None else frame
    col = f"{phase}_s"
    ok = frame[(frame["status"] == "ok") & frame["verified"].astype(bool) & ~contended(frame) & frame[col].notna()]
    if hardware_tag is not None:
        ok = ok[ok["hardware_tag"] == hardware_tag]
    later = ok[(ok["sweep_profile"] == THREADS_PROFILE) & (ok["prove_threads"] == 2)]
    main = ok[ok["sweep_profile"].isin(FIT_PROFILES) & (ok["calibration_target"] == "resources")]
    ratios = {}
    for (tag, config), g in later.groupby(["hardware_tag", "config_id"]):
        ref = main[(main["hardware_tag"] == tag) & (main["config_id"] == config)
                   & (main["prove_threads"] == 2)][col]
        if len(ref):
            ratios[config] = float(g[col].median() / ref.median())
    if not ratios:
        raise ValueError(f"no configuration of the {THREADS_PROFILE!r} profile was also run in the main sweep")
    v = np.array(list(ratios.values()))
    return {"ratios": ratios, "low": float(v.min()), "point": float(np.median(v)), "high": float(v.max())}
