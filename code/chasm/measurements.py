"""Read and summarise the committed proving measurements.

Everything here works on ``data/measurements/proofs.csv`` through
:func:`chasm.data.load_table`, so chapters never parse the file themselves.
Summaries are medians over repetitions of one configuration (a family, size,
calibration target and scale on one machine), with the number of repetitions
and the spread kept beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chasm import data, paths
from chasm.prove import PHASES

PROOFS = "measurements/proofs.csv"
#: Columns identifying one configuration (repetitions share them).
CONFIG_KEYS = ["hardware_tag", "family", "config_id", "calibration_target", "input_scale"]
#: Runs whose machine was busier than this with other processes are flagged.
CONTENTION_LIMIT = 0.10


def load_proofs(*, status: str | None = "ok", profiles: list[str] | None = None) -> pd.DataFrame:
    """The proofs table, optionally only rows of one ``status`` and some sweep profiles.

    Adds derived columns: ``rows_capacity`` (2**logrows, the circuit size the
    prover works on), ``total_s`` (sum of all phase wall times),
    ``max_peak_rss_bytes`` (largest per-phase peak), ``overhead_ratio``
    (``prove_s / infer_s``), ``contended`` (``other_cpu_frac`` above
    :data:`CONTENTION_LIMIT`) and ``size_label`` (the config's size parameters).
    """
    frame = data.load_table(PROOFS)
    if status is not None:
        frame = frame[frame["status"] == status]
    if profiles is not None:
        frame = frame[frame["sweep_profile"].isin(profiles)]
    frame = frame.copy()
    frame["rows_capacity"] = np.power(2.0, frame["logrows"])
    frame["total_s"] = frame[[f"{p}_s" for p in PHASES]].sum(axis=1, min_count=1)
    frame["max_peak_rss_bytes"] = frame[[f"{p}_peak_rss_bytes" for p in PHASES]].max(axis=1)
    frame["overhead_ratio"] = frame["prove_s"] / frame["infer_s"]
    frame["contended"] = frame["other_cpu_frac"].fillna(0) > CONTENTION_LIMIT
    frame["size_label"] = [_size_label(c) for c in frame["config"]]
    return frame


def _size_label(config_json: str) -> str:
    config = json.loads(config_json)
    return ", ".join(f"{k}={v}" for k, v in sorted(config.items()) if k not in ("outputs", "ffn_mult", "activation"))


def per_config(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Median (and min, max) of ``columns`` over repetitions of each configuration."""
    keys = CONFIG_KEYS + ["params", "logrows", "num_rows", "total_assignments", "size_label"]
    grouped = frame.groupby(keys, dropna=False)
    out = grouped[columns].median()
    out["repetitions"] = grouped.size()
    for c in columns:
        out[f"{c}_min"] = grouped[c].min()
        out[f"{c}_max"] = grouped[c].max()
    return out.reset_index()


def phases_long(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (configuration, phase): median seconds and median peak bytes."""
    cols = [f"{p}_s" for p in PHASES] + [f"{p}_peak_rss_bytes" for p in PHASES]
    med = per_config(frame, cols)
    rows = []
    for _, r in med.iterrows():
        for p in PHASES:
            rows.append({"family": r["family"], "size_label": r["size_label"], "params": r["params"],
                         "logrows": r["logrows"], "num_rows": r["num_rows"], "phase": p,
                         "seconds": r[f"{p}_s"], "peak_gib": r[f"{p}_peak_rss_bytes"] / 2**30,
                         "repetitions": r["repetitions"]})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SweepSummary:
    """Headline facts of a set of ok runs (numbers the chapter's prose quotes)."""

    runs: int
    configs: int
    families: tuple[str, ...]
    params_min: int
    params_max: int
    logrows_max: int
    largest: dict
    hungriest: dict
    overhead_ratio_min: float
    overhead_ratio_median: float
    overhead_ratio_max: float
    contended_runs: int
    machines: tuple[str, ...]


def summarise(frame: pd.DataFrame) -> SweepSummary:
    """Headline facts of ok runs: sizes covered, the largest circuit (most rows), the one with the
    highest peak memory (``hungriest``; medians over repetitions), overhead ratios."""
    med = per_config(frame, ["prove_s", "setup_s", "max_peak_rss_bytes", "overhead_ratio"])
    top = med.sort_values(["logrows", "num_rows"]).iloc[-1]
    peak = med.sort_values("max_peak_rss_bytes").iloc[-1]
    keys = ("family", "size_label", "params", "logrows", "num_rows", "prove_s", "setup_s",
            "max_peak_rss_bytes", "repetitions")
    return SweepSummary(
        runs=len(frame),
        configs=len(med),
        families=tuple(sorted(frame["family"].unique())),
        params_min=int(frame["params"].min()),
        params_max=int(frame["params"].max()),
        logrows_max=int(frame["logrows"].max()),
        largest={k: top[k] for k in keys},
        hungriest={k: peak[k] for k in keys},
        overhead_ratio_min=float(med["overhead_ratio"].min()),
        overhead_ratio_median=float(med["overhead_ratio"].median()),
        overhead_ratio_max=float(med["overhead_ratio"].max()),
        contended_runs=int(frame["contended"].sum()),
        machines=tuple(sorted(frame["hardware_tag"].unique())),
    )


def machines(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per machine and software stack: how many runs, when, from which commits."""
    cols = ["hardware_tag", "cpu_model", "cpu_count", "ram_bytes", "ezkl_version", "torch_version", "prove_threads"]
    out = frame.groupby(cols).agg(
        runs=("run_id", "size"), first=("date_utc", "min"), last=("date_utc", "max"),
        commits=("git_commit", lambda c: ", ".join(sorted({v[:10] + ("+dirty" if v.endswith("+dirty") else "")
                                                           for v in c})))).reset_index()
    out["ram"] = (out.pop("ram_bytes") / 2**30).map("{:.0f} GiB".format)
    return out


def phase_shares(frame: pd.DataFrame) -> dict:
    """Median shares of run time: ``heavy`` = (prove + setup) / total, ``light`` = (witness + verify) / prove."""
    return {
        "heavy": float(((frame["prove_s"] + frame["setup_s"]) / frame["total_s"]).median()),
        "light": float(((frame["witness_s"] + frame["verify_s"]) / frame["prove_s"]).median()),
    }


def srs_costs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per logrows: median seconds to generate the SRS, to reuse it, and of setup (key generation)."""
    gen = frame[frame["srs_generated"] == True].groupby("logrows")["srs_s"].median()  # noqa: E712
    reuse = frame[frame["srs_generated"] == False].groupby("logrows")["srs_s"].median()  # noqa: E712
    setup = frame.groupby("logrows")["setup_s"].median()
    out = pd.DataFrame({"srs generated (s)": gen, "srs reused (s)": reuse, "setup (s)": setup})
    out["generate / setup"] = out["srs generated (s)"] / out["setup (s)"]
    return out.reset_index()


def calibration_runs() -> pd.DataFrame:
    """Runs of the configurations in the calibration profile (from that and the full profile)."""
    cal = load_proofs(profiles=["calibration"])
    if cal.empty:
        return cal
    both = load_proofs(profiles=["calibration", "full"])
    return both[both["config_id"].isin(cal["config_id"].unique())]


def harness_overhead() -> pd.DataFrame:
    """Median wall time of harness and bare runs per circuit, and the difference.

    Reads ``data/measurements/overhead.csv`` (empty frame if absent). Columns:
    ``family``, ``logrows``, ``config``, ``harness_s``, ``bare_s``, ``extra_s``,
    ``extra_pct`` and ``pairs`` (repetitions per arm).
    """
    path = paths.data_dir() / "measurements" / "overhead.csv"
    if not path.exists():
        return pd.DataFrame()
    runs = data.load_table(path)
    keys = ["hardware_tag", "family", "config", "logrows"]
    med = runs.pivot_table(index=keys, columns="arm", values="wall_s", aggfunc="median").reset_index()
    pairs = runs.groupby(keys + ["arm"]).size().unstack("arm").min(axis=1).rename("pairs").reset_index()
    med = med.merge(pairs, on=keys).rename(columns={"harness": "harness_s", "bare": "bare_s"})
    med["extra_s"] = med["harness_s"] - med["bare_s"]
    med["extra_pct"] = 100 * med["extra_s"] / med["bare_s"]
    return med.sort_values("logrows").reset_index(drop=True)


def inference_timings() -> pd.DataFrame:
    """Median forward-pass seconds per configuration and device from ``inference.csv``.

    Reads ``data/measurements/inference.csv`` (written by ``python -m chasm
    infer``; empty frame if absent). One row per ``hardware_tag``, device and
    configuration: ``params``, ``tokens``, ``infer_s`` (median over repetitions
    of each repetition's median pass, seconds), ``s_per_token``,
    ``flops_per_s`` (2 x parameters x tokens over ``infer_s``: the dense
    products' arithmetic rate, attention's own products not counted) and
    ``repetitions``.
    """
    path = paths.data_dir() / "measurements" / "inference.csv"
    if not path.exists():
        return pd.DataFrame()
    runs = data.load_table(path)
    keys = ["hardware_tag", "device", "device_name", "config_id", "config", "params", "tokens"]
    med = runs.groupby(keys, as_index=False).agg(infer_s=("infer_s", "median"),
                                                 repetitions=("repetition", "size"))
    med["s_per_token"] = med["infer_s"] / med["tokens"]
    med["flops_per_s"] = 2 * med["params"] * med["tokens"] / med["infer_s"]
    med["size_label"] = [_size_label(c) for c in med["config"]]
    return med.sort_values(["device", "params"]).reset_index(drop=True)


def unrun(profile: str = "full") -> pd.DataFrame:
    """Configurations a sweep profile schedules that have no row at all yet (any machine)."""
    from chasm import sweep

    runs = sweep.plan(sweep.load_profiles()[profile], repeat=1)
    seen = set(data.load_table(PROOFS)["config_id"])
    rows = [{"family": r.spec.family, "config": r.spec.label(), "config_id": r.spec.config_id}
            for r in runs if r.spec.config_id not in seen]
    return pd.DataFrame(rows, columns=["family", "config", "config_id"])


def not_ok(frame_all: pd.DataFrame | None = None) -> pd.DataFrame:
    """Runs that did not produce a verified proof, with why."""
    frame_all = data.load_table(PROOFS) if frame_all is None else frame_all
    bad = frame_all[frame_all["status"] != "ok"]
    return bad[["run_id", "family", "params", "status", "failed_phase", "error", "hardware_tag"]]
