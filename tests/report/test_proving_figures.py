"""chasm.report.proving_figures: every chart of the proving chapter builds from the committed runs and
draws what its frame holds."""

from __future__ import annotations

from chasm.core.runs import load_runs
from chasm.laws.selection import FIT_PROFILES
from chasm.report import proving, proving_figures


def test_every_chart_builds_from_the_committed_runs():
    runs = load_runs(profiles=list(FIT_PROFILES))
    long, med = proving.phases_long(runs), proving.config_medians(runs)
    charts = {
        "phase_time": proving_figures.phase_time_chart(long),
        "phase_memory": proving_figures.phase_memory_chart(long),
        "verifier": proving_figures.verifier_chart(proving.verifier_frame(med)),
        "error": proving_figures.error_chart(med),
        "overhead": proving_figures.overhead_chart(med),
        "inference": proving_figures.inference_chart(proving.inference_timings()),
    }
    for name, chart in charts.items():
        spec = chart.to_dict()
        assert any(len(rows) > 0 for rows in spec["datasets"].values()), name
    # the phase-time chart draws only the main phases
    drawn = {row["phase"] for row in charts["phase_time"].to_dict()["datasets"].popitem()[1]}
    assert drawn <= set(proving.MAIN_PHASES)
