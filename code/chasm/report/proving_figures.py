"""Charts of the chapter "Proving small networks": phase times and peak memory against circuit size, the
verifier's cost, the proof's error, proving against inference, and forward passes without proofs. One altair theme
(:mod:`chasm.report.charts`); inputs are the frames :mod:`chasm.report.proving` builds."""

from __future__ import annotations

import altair as alt
import pandas as pd

from chasm.report import charts
from chasm.report.proving import MAIN_PHASES, MEMORY_PHASES

__all__ = ["phase_time_chart", "phase_memory_chart", "verifier_chart", "error_chart", "overhead_chart",
           "inference_chart"]


def phase_time_chart(long: pd.DataFrame):
    """Wall time of each of :data:`~chasm.report.proving.MAIN_PHASES` against circuit rows used, one panel per family (log-log,
    seconds). ``long`` is :func:`~chasm.report.proving.phases_long`."""
    return charts.loglog_lines(
        long[long["phase"].isin(MAIN_PHASES)], x="num_rows", y="seconds", color="phase",
        x_title="circuit rows used (ezkl num_rows)", y_title="wall time, median of repetitions (s)",
        title="Wall time of each phase against circuit size", facet="family",
        tooltip=["family", "size_label", "params", "logrows", "num_rows", "phase", "seconds", "repetitions"])


def phase_memory_chart(long: pd.DataFrame):
    """Peak resident memory of each of :data:`~chasm.report.proving.MEMORY_PHASES` against circuit rows used, one panel per
    family (log-log, GiB). ``long`` is :func:`~chasm.report.proving.phases_long`."""
    return charts.loglog_lines(
        long[long["phase"].isin(MEMORY_PHASES)], x="num_rows", y="peak_gib",
        color="phase", x_title="circuit rows used (ezkl num_rows)",
        y_title="peak resident memory (GiB)", title="Peak memory of each phase against circuit size",
        facet="family",
        tooltip=["family", "size_label", "params", "logrows", "num_rows", "phase", "peak_gib"])


def verifier_chart(verifier: pd.DataFrame):
    """Proof size, verification time and proving-key size against circuit rows used, side by side
    (log-log). ``verifier`` is :func:`~chasm.report.proving.verifier_frame`."""
    def panel(y, y_title, title):
        return charts.loglog_lines(
            verifier, x="num_rows", y=y, color="family", x_title="circuit rows used", y_title=y_title,
            title=title, width=260, height=220, tooltip=["family", "size_label", "logrows", y])

    return alt.hconcat(panel("proof_kib", "proof size (KiB)", "Proof size"),
                       panel("verify_ms", "verification wall time (ms)", "Verification time"),
                       panel("pk_mib", "proving key (MiB)", "Proving key size")).properties(
        title="What the verifier sees, and the key the prover needs, against circuit size")


def error_chart(med: pd.DataFrame):
    """Relative L2 error of the circuit's output against the float model, against parameters (log-log;
    configurations with zero error cannot be drawn and are left out). ``med`` is :func:`~chasm.report.proving.config_medians`."""
    return charts.loglog_lines(
        med[med["output_rel_err"] > 0], x="params", y="output_rel_err", color="family", x_title="parameters",
        y_title="relative L2 error of circuit output",
        title="Error of the fixed-point circuit against the float model",
        tooltip=["family", "size_label", "logrows", "output_rel_err"])


def overhead_chart(med: pd.DataFrame):
    """Proof wall time over inference wall time against parameters (log-log). ``med`` is
    :func:`~chasm.report.proving.config_medians`."""
    return charts.loglog_lines(
        med, x="params", y="overhead_ratio", color="family", x_title="parameters",
        y_title="proof wall time / inference wall time",
        title="How many times longer proving takes than the inference it proves",
        tooltip=["family", "size_label", "params", "logrows", "prove_s", "infer_s", "overhead_ratio"])


def inference_chart(inference: pd.DataFrame):
    """Forward-pass wall time of a whole sequence against parameters, one line per device (log-log,
    seconds). ``inference`` is :func:`~chasm.report.proving.inference_timings`."""
    return charts.loglog_lines(
        inference, x="params", y="infer_s", color="device", x_title="parameters",
        y_title="forward pass (s, whole sequence)", title="Transformer forward passes without proofs",
        tooltip=["device_name", "size_label", "params", "tokens", "infer_s", "flops_per_s", "repetitions"])
