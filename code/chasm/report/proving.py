"""Tables and quoted values of the chapter "Proving small networks" (its charts:
:mod:`chasm.report.proving_figures`).

Everything here reads ``data/measurements/`` through :mod:`chasm.core` (the proving runs, the
inference-only timings, the harness overhead) or takes a record the chapter has just measured (the
live proof of :func:`chasm.experiments.prove.prove`, the operator probes of
:func:`chasm.experiments.opsupport.probe_all`), and returns tables, plain values, or the text
the chapter glues into its prose (``*_facts`` functions: ``{name: text}``, formatted with
:mod:`chasm.core.fmt`). Nothing is measured here, and nothing here imports torch or a prover.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from chasm.core import data, paths, profiles
from chasm.core.constants import CONTENTION_LIMIT, INFERENCE, OVERHEAD, PHASES, PROOFS, phase_columns
from chasm.core.fmt import gib, nbytes, pow2, seconds
from chasm.core.runs import load_runs, per_config, size_label

__all__ = ["phases_long", "SweepSummary", "summarise", "machines", "phase_shares", "srs_costs",
           "calibration_runs", "harness_overhead", "inference_timings", "unrun", "not_ok", "live_phases",
           "live_facts", "ops_table", "ops_facts", "CONFIG_COLUMNS", "MAIN_PHASES", "MEMORY_PHASES",
           "config_medians", "sweep_facts", "phase_facts", "largest_per_family", "memory_facts",
           "verifier_frame", "verifier_facts", "overhead_facts", "inference_facts", "harness_table",
           "harness_facts", "srs_table", "srs_facts", "calibration_medians", "calibration_table",
           "calibration_effects", "calibration_facts", "reading_facts"]


def phases_long(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (configuration, phase): median seconds and median peak bytes."""
    cols = phase_columns("_s") + phase_columns("_peak_rss_bytes")
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
    med = per_config(frame, ["prove_s", "setup_s", "peak_rss_bytes", "overhead_ratio"])
    top = med.sort_values(["logrows", "num_rows"]).iloc[-1]
    peak = med.sort_values("peak_rss_bytes").iloc[-1]
    keys = ("family", "size_label", "params", "logrows", "num_rows", "prove_s", "setup_s",
            "peak_rss_bytes", "repetitions")
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
    cal = load_runs(profiles=["calibration"])
    if cal.empty:
        return cal
    both = load_runs(profiles=["calibration", "full"])
    return both[both["config_id"].isin(cal["config_id"].unique())]


def harness_overhead() -> pd.DataFrame:
    """Median wall time of harness and bare runs per circuit, and the difference.

    Reads ``data/measurements/overhead.csv`` (a missing file raises
    :class:`chasm.core.data.DataFileError`). Seconds of wall time; columns:
    ``family``, ``logrows``, ``config``, ``harness_s``, ``bare_s``, ``extra_s``,
    ``extra_pct`` and ``pairs`` (repetitions per arm).
    """
    runs = data.load_table(paths.data_dir() / OVERHEAD)
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
    infer``; a missing file raises :class:`chasm.core.data.DataFileError`). One row per ``hardware_tag``, device and
    configuration: ``params``, ``tokens``, ``infer_s`` (median over repetitions
    of each repetition's median pass, seconds), ``s_per_token``,
    ``flops_per_s`` (2 x parameters x tokens over ``infer_s``: the dense
    products' arithmetic rate, attention's own products not counted) and
    ``repetitions``.
    """
    runs = data.load_table(paths.data_dir() / INFERENCE)
    keys = ["hardware_tag", "device", "device_name", "config_id", "config", "params", "tokens"]
    med = runs.groupby(keys, as_index=False).agg(infer_s=("infer_s", "median"),
                                                 repetitions=("repetition", "size"))
    med["s_per_token"] = med["infer_s"] / med["tokens"]
    med["flops_per_s"] = 2 * med["params"] * med["tokens"] / med["infer_s"]
    med["size_label"] = [size_label(c) for c in med["config"]]
    return med.sort_values(["device", "params"]).reset_index(drop=True)


def unrun(profile: str = "full") -> pd.DataFrame:
    """Configurations a sweep profile schedules that have no row at all yet (any machine)."""
    runs = profiles.plan(profiles.load_profiles()[profile], repeat=1)
    seen = set(data.load_table(PROOFS)["config_id"])
    rows = [{"family": r.spec.family, "config": r.spec.label(), "config_id": r.spec.config_id}
            for r in runs if r.spec.config_id not in seen]
    return pd.DataFrame(rows, columns=["family", "config", "config_id"])


def not_ok(frame_all: pd.DataFrame | None = None) -> pd.DataFrame:
    """Runs that did not produce a verified proof, with why."""
    frame_all = data.load_table(PROOFS) if frame_all is None else frame_all
    bad = frame_all[frame_all["status"] != "ok"]
    return bad[["run_id", "family", "params", "status", "failed_phase", "error", "hardware_tag"]]


# ---------------------------------------------------------------- the live proof and the operator probes

def live_phases(record: dict) -> pd.DataFrame:
    """The live proof's phases as one table: a column per phase (in :data:`~chasm.core.constants.PHASES`
    order), rows ``wall time`` (seconds, as :func:`chasm.core.fmt.seconds` writes them) and ``peak
    memory`` (GiB). ``record`` is what :func:`chasm.experiments.prove.prove` returns."""
    phases = pd.DataFrame({
        "phase": PHASES,
        "wall time": [seconds(record[f"{p}_s"]) for p in PHASES],
        "peak memory": [gib(record[f"{p}_peak_rss_bytes"]) for p in PHASES],
    })
    return phases.set_index("phase").T


def live_facts(record: dict) -> dict[str, str]:
    """What the chapter quotes of the live proof (``record`` from :func:`chasm.experiments.prove.prove`), as text.

    Keys: ``num_rows`` (rows used), ``logrows`` (the padded size as a power of two), ``capacity``
    (``2**logrows`` rows), ``params``, ``prove`` and ``prove_compute`` (Python-side wall time and ezkl's
    own compute time of the proof), ``infer`` (median forward pass), ``infer_reps`` (passes timed),
    ``ratio`` (proof over forward pass, a pure number), ``proof_size`` and ``pk_size`` (bytes in binary
    units), ``verify`` (wall time), ``max_abs_err`` (largest absolute error of the circuit's output
    against the float model, in output units), ``rel_err`` (relative L2 error, %) and ``scale`` (the
    fixed-point multiplier, a power of two).
    """
    return {
        "num_rows": f"{record['num_rows']:,}",
        "logrows": pow2(record["logrows"]),
        "capacity": f"{2 ** record['logrows']:,}",
        "params": f"{record['params']:,}",
        "prove": seconds(record["prove_s"]),
        "prove_compute": seconds(record["prove_compute_s"]),
        "infer": seconds(record["infer_s"]),
        "infer_reps": str(record["infer_reps"]),
        "ratio": f"{record['prove_s'] / record['infer_s']:,.0f}",
        "proof_size": nbytes(record["proof_bytes"]),
        "pk_size": nbytes(record["pk_bytes"]),
        "verify": seconds(record["verify_s"]),
        "max_abs_err": f"{record['output_max_abs_err']:.2g}",
        "rel_err": f"{record['output_rel_err']:.2%}",
        "scale": pow2(record["input_scale"]),
    }


def ops_table(probes: list[dict]) -> pd.DataFrame:
    """The operator probes (:func:`chasm.experiments.opsupport.probe_all`) as the chapter shows them:
    indexed by variant, with role, ONNX operators, ``result`` (constraints satisfied or refused),
    ``rows`` (circuit rows used; missing where refused) and the error."""
    ops = pd.DataFrame(probes)
    ops["result"] = ops["mock_ok"].map({True: "constraints satisfied", False: "refused"})
    ops["num_rows"] = ops["num_rows"].astype("Int64")
    return (ops[["variant", "role", "onnx_ops", "result", "num_rows", "error"]]
            .rename(columns={"onnx_ops": "ONNX operators", "num_rows": "rows"}).set_index("variant"))


def ops_facts(probes: list[dict]) -> dict[str, str]:
    """Counts of the operator probes, as text: ``proven`` (building blocks whose constraints are
    satisfied), ``probed`` (all of them) and ``refused`` (the refused ones' names, or ``none``)."""
    refused = [p["variant"] for p in probes if not p["mock_ok"]]
    return {
        "proven": str(sum(bool(p["mock_ok"]) for p in probes)),
        "probed": str(len(probes)),
        "refused": ", ".join(refused) if refused else "none",
    }


# ---------------------------------------------------------------- the sweep

#: Columns of :func:`config_medians` (medians over the repetitions of each configuration).
CONFIG_COLUMNS = ["prove_s", "setup_s", "witness_s", "verify_s", "infer_s", "peak_rss_bytes",
                  "prove_peak_rss_bytes", "proof_bytes", "pk_bytes", "overhead_ratio", "prove_compute_s",
                  "output_rel_err"]
#: Phases drawn in the chart of wall times (the others take milliseconds).
MAIN_PHASES = ["calibrate", "setup", "witness", "prove", "verify"]
#: Phases drawn in the chart of peak memory.
MEMORY_PHASES = ["setup", "prove", "verify", "witness"]


def config_medians(runs: pd.DataFrame) -> pd.DataFrame:
    """:func:`chasm.core.runs.per_config` of :data:`CONFIG_COLUMNS`: one row per configuration, seconds,
    bytes and ratios as in ``proofs.csv``."""
    return per_config(runs, CONFIG_COLUMNS)


def sweep_facts(runs: pd.DataFrame, summary: SweepSummary) -> dict[str, str]:
    """What the chapter quotes of the sweep, as text: ``runs`` (verified proofs), ``configs``,
    ``families`` (comma-separated), ``params_min`` and ``params_max`` (parameters), ``params_factor``
    (their ratio), ``logrows_max`` (largest circuit, a power of two), ``contended`` (runs above the
    contention limit) and ``contention_limit`` (%). ``summary`` is :func:`summarise` of ``runs``."""
    return {
        "runs": str(summary.runs),
        "configs": str(summary.configs),
        "families": ", ".join(summary.families),
        "params_min": f"{summary.params_min:,}",
        "params_max": f"{summary.params_max:,}",
        "params_factor": f"{summary.params_max / summary.params_min:,.0f}",
        "logrows_max": pow2(summary.logrows_max),
        "contended": str(summary.contended_runs),
        "contention_limit": f"{CONTENTION_LIMIT:.0%}",
    }


def phase_facts(runs: pd.DataFrame) -> dict[str, str]:
    """Where the time of a run goes, as text: ``heavy`` (median share of prove and setup in a run's
    total time, %), ``light`` (median of witness plus verify over prove, %), ``decomp_base`` (entries of
    ezkl's range-check table, the most common value) and ``floor`` (the smallest circuit, rows as a
    power of two)."""
    shares = phase_shares(runs)
    return {
        "heavy": f"{shares['heavy']:.0%}",
        "light": f"{shares['light']:.1%}",
        "decomp_base": f"{int(runs['decomp_base'].mode().iloc[0]):,}",
        "floor": pow2(int(runs["logrows"].min())),
    }


def largest_per_family(med: pd.DataFrame) -> str:
    """A Markdown list, one line per family: its largest circuit (most rows used) with size, parameters,
    padded rows and the median setup, proof, verification and inference times. ``med`` is
    :func:`config_medians`."""
    big = med.sort_values("num_rows").groupby("family").tail(1)
    return "\n".join(
        f"- **{r.family}** ({r.size_label}, {r.params:,} parameters): {pow2(r.logrows)} rows, "
        f"setup {seconds(r.setup_s)}, proof {seconds(r.prove_s)}, verification {seconds(r.verify_s)}, "
        f"inference {seconds(r.infer_s)}."
        for r in big.itertuples()
    )


def _model_facts(prefix: str, config: dict) -> dict[str, str]:
    return {
        f"{prefix}_family": str(config["family"]),
        f"{prefix}_config": f"{config['size_label']}, {config['params']:,} parameters",
        f"{prefix}_num_rows": f"{int(config['num_rows']):,}",
        f"{prefix}_logrows": pow2(config["logrows"]),
        f"{prefix}_peak": gib(config["peak_rss_bytes"]),
    }


def memory_facts(runs: pd.DataFrame, summary: SweepSummary, failures: pd.DataFrame) -> dict[str, str]:
    """Peak memory as the chapter quotes it, as text: ``baseline`` (median peak of the export phase,
    before any circuit exists, GiB); for the circuit with most rows (``largest_*``) and the proof with
    the highest peak (``hungriest_*``): ``family``, ``config`` (size and parameters), ``num_rows``,
    ``logrows`` (a power of two) and ``peak`` (GiB); for the largest also ``prove`` and ``setup``
    (median seconds) and ``repetitions``; and ``failed`` (runs without a proof, ``failures`` =
    :func:`not_ok`)."""
    largest = summary.largest
    return {
        "baseline": gib(runs["export_peak_rss_bytes"].median()),
        **_model_facts("largest", largest),
        "largest_prove": seconds(largest["prove_s"]),
        "largest_setup": seconds(largest["setup_s"]),
        "largest_repetitions": str(largest["repetitions"]),
        **_model_facts("hungriest", summary.hungriest),
        "failed": str(len(failures)),
    }


def verifier_frame(med: pd.DataFrame) -> pd.DataFrame:
    """:func:`config_medians` with what the verifier sees in readable units: ``proof_kib`` (proof, KiB),
    ``verify_ms`` (verification wall time, ms) and ``pk_mib`` (proving key, MiB)."""
    return med.assign(proof_kib=med["proof_bytes"] / 1024, verify_ms=med["verify_s"] * 1e3,
                      pk_mib=med["pk_bytes"] / 2**20)


def verifier_facts(verifier: pd.DataFrame) -> dict[str, str]:
    """Ranges over configurations, as text: ``proof_min``/``proof_max`` (KiB), ``verify_min``/``verify_max``
    (ms) and ``pk_min``/``pk_max`` (MiB). ``verifier`` is :func:`verifier_frame`."""
    return {
        "proof_min": f"{verifier['proof_kib'].min():.0f}", "proof_max": f"{verifier['proof_kib'].max():.0f}",
        "verify_min": f"{verifier['verify_ms'].min():.0f}", "verify_max": f"{verifier['verify_ms'].max():.0f}",
        "pk_min": f"{verifier['pk_mib'].min():,.0f}", "pk_max": f"{verifier['pk_mib'].max():,.0f}",
    }


def overhead_facts(runs: pd.DataFrame, summary: SweepSummary) -> dict[str, str]:
    """Proving against inference, as text: ``ratio_min``, ``ratio_median`` and ``ratio_max`` (proof over
    forward-pass wall time, medians per configuration, pure numbers), ``compute_share`` and
    ``pk_load_share`` (median shares of ezkl's own compute time and of its loading of the proving key in
    the Python-side proving wall time, %, from ezkl's log) and ``rest_share`` (median share of what is
    left: reading the SRS, writing the proof, Python; %)."""
    return {
        "ratio_min": f"{summary.overhead_ratio_min:,.0f}",
        "ratio_median": f"{summary.overhead_ratio_median:,.0f}",
        "ratio_max": f"{summary.overhead_ratio_max:,.0f}",
        "compute_share": f"{(runs['prove_compute_s'] / runs['prove_s']).median():.0%}",
        "pk_load_share": f"{(runs['pk_load_s'] / runs['prove_s']).median():.1%}",
        "rest_share": f"{((runs['prove_s'] - runs['prove_compute_s'] - runs['pk_load_s']) / runs['prove_s']).median():.1%}",
    }


def inference_facts(inference: pd.DataFrame) -> dict[str, str]:
    """The largest model timed without a proof, as text: ``device_name``, ``device``, ``config`` (size),
    ``params``, ``tokens`` (sequence length), ``infer`` (forward pass of the sequence), ``per_token``
    (that over the tokens) and ``gflops`` (arithmetic rate of its dense products, GFLOP/s).
    ``inference`` is :func:`inference_timings`."""
    top = inference.loc[inference["params"].idxmax()]
    return {
        "device_name": str(top["device_name"]),
        "device": str(top["device"]),
        "config": str(top["size_label"]),
        "params": f"{top['params']:,}",
        "tokens": f"{top['tokens']:,}",
        "infer": seconds(top["infer_s"]),
        "per_token": seconds(top["s_per_token"]),
        "gflops": f"{top['flops_per_s'] / 1e9:,.0f}",
    }


def harness_table(harness: pd.DataFrame) -> pd.DataFrame:
    """The harness against bare ezkl calls, one row per circuit, times as text. ``harness`` is
    :func:`harness_overhead`."""
    return pd.DataFrame({
        "circuit": [f"{f} at {pow2(k)} rows" for f, k in zip(harness["family"], harness["logrows"])],
        "bare ezkl calls": harness["bare_s"].map(seconds),
        "through chasm.experiments.prove": harness["harness_s"].map(seconds),
        "extra": [f"{seconds(e)} ({p:.0f}%)" for e, p in zip(harness["extra_s"], harness["extra_pct"])],
        "runs per arm": harness["pairs"],
    })


def harness_facts(harness: pd.DataFrame) -> dict[str, str]:
    """The harness's extra cost, as text: ``extra_min`` and ``extra_max`` (seconds per proof) and
    ``pct_max`` and ``pct_min`` (that as a share of the bare pipeline, %, of the smallest and the
    largest circuit). ``harness`` is :func:`harness_overhead`."""
    return {
        "extra_min": seconds(harness["extra_s"].min()),
        "extra_max": seconds(harness["extra_s"].max()),
        "pct_max": f"{harness['extra_pct'].max():.0f}",
        "pct_min": f"{harness['extra_pct'].min():.0f}",
    }


def srs_table(srs: pd.DataFrame) -> pd.DataFrame:
    """The SRS costs as the chapter shows them, one row per circuit size, times as text (blank where no
    run measured them). ``srs`` is :func:`srs_costs`."""
    return pd.DataFrame({
        "circuit rows": [pow2(k) for k in srs["logrows"]],
        "SRS generated": srs["srs generated (s)"].map(seconds, na_action="ignore"),
        "SRS reused from cache": srs["srs reused (s)"].map(seconds, na_action="ignore"),
        "setup (key generation)": srs["setup (s)"].map(seconds, na_action="ignore"),
        "generate / setup": srs["generate / setup"].map("{:.2g}".format, na_action="ignore"),
    })


def srs_facts(srs: pd.DataFrame) -> dict[str, str]:
    """The SRS against key generation, as text: ``ratio_min`` and ``ratio_max`` (generation time over
    setup time at the same size, where a run generated the SRS) and ``reused`` (median seconds to reuse
    a cached SRS). Raises ``ValueError`` when no committed run generated an SRS. ``srs`` is
    :func:`srs_costs`."""
    ratio = srs["generate / setup"].dropna()
    if ratio.empty:
        raise ValueError("no committed run generated its SRS")
    return {"ratio_min": f"{ratio.min():.2g}", "ratio_max": f"{ratio.max():.2g}",
            "reused": seconds(srs["srs reused (s)"].median())}


def calibration_medians(cal: pd.DataFrame) -> pd.DataFrame:
    """Medians per configuration of the calibration runs (:func:`calibration_runs`): prove and setup
    seconds and the relative output error, sorted by family, calibration target and scale."""
    return (per_config(cal, ["prove_s", "setup_s", "output_rel_err"])
            .sort_values(["family", "calibration_target", "input_scale"]).reset_index(drop=True))


def calibration_table(cal_med: pd.DataFrame) -> pd.DataFrame:
    """The calibration side experiment as the chapter shows it, values as text. ``cal_med`` is
    :func:`calibration_medians`."""
    return pd.DataFrame({
        "model": cal_med["family"] + " (" + cal_med["size_label"] + ")",
        "calibration target": cal_med["calibration_target"],
        "scale": [pow2(k) for k in cal_med["input_scale"]],
        "rows used": cal_med["num_rows"].map("{:,.0f}".format),
        "circuit": [pow2(k) for k in cal_med["logrows"]],
        "prove": cal_med["prove_s"].map(seconds),
        "relative output error": cal_med["output_rel_err"].map("{:.2%}".format),
        "runs": cal_med["repetitions"],
    })


def calibration_effects(cal_med: pd.DataFrame) -> pd.DataFrame:
    """Per family (the index) of the calibration side experiment: ``scale_low`` and ``scale_high``
    (log2 of the fixed-point multiplier), ``err_low`` and ``err_high`` (relative output error at those
    scales, a fraction), ``same_circuit`` (every run has the same rows used and padded size),
    ``target_matters`` (at some scale, the calibration target changed the rows or the error), and
    ``logrows_min``/``logrows_max``. ``cal_med`` is :func:`calibration_medians`."""
    rows = {}
    for family, g in cal_med.groupby("family"):
        lo, hi = g.loc[g["input_scale"].idxmin()], g.loc[g["input_scale"].idxmax()]
        rows[family] = {
            "scale_low": int(lo["input_scale"]), "scale_high": int(hi["input_scale"]),
            "err_low": float(lo["output_rel_err"]), "err_high": float(hi["output_rel_err"]),
            "same_circuit": g["num_rows"].nunique() == 1 and g["logrows"].nunique() == 1,
            "target_matters": bool(g.groupby("input_scale")[["num_rows", "output_rel_err"]].nunique()
                                   .gt(1).any().any()),
            "logrows_min": int(g["logrows"].min()), "logrows_max": int(g["logrows"].max()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def calibration_facts(effects: pd.DataFrame) -> dict[str, str]:
    """:func:`calibration_effects` as text, keys ``<family>_scale_low``, ``<family>_scale_high`` (powers
    of two), ``<family>_err_low`` and ``<family>_err_high`` (%)."""
    out = {}
    for family, r in effects.iterrows():
        out.update({f"{family}_scale_low": pow2(r["scale_low"]), f"{family}_scale_high": pow2(r["scale_high"]),
                    f"{family}_err_low": f"{r['err_low']:.2%}", f"{family}_err_high": f"{r['err_high']:.2%}"})
    return out


def reading_facts(runs: pd.DataFrame, med: pd.DataFrame) -> dict[str, str]:
    """The chapter's closing numbers, as text: ``cpu_count`` (cores of the machine), ``prove_min`` and
    ``prove_max`` (median proof wall time per configuration) and ``infer_min`` and ``infer_max``
    (median forward pass per configuration). ``med`` is :func:`config_medians` of ``runs``."""
    return {
        "cpu_count": str(runs["cpu_count"].iloc[0]),
        "prove_min": seconds(med["prove_s"].min()), "prove_max": seconds(med["prove_s"].max()),
        "infer_min": seconds(med["infer_s"].min()), "infer_max": seconds(med["infer_s"].max()),
    }
