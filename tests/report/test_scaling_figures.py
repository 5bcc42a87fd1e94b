"""chasm.report.scaling_figures: the charts draw every fitted family and the held-out check."""

from __future__ import annotations

import numpy as np

from chasm.laws import selection
from chasm.report import scaling, scaling_figures


def test_fits_charts_draw_one_chart_per_group_with_laws(synthetic_frame):
    rng = np.random.default_rng(21)
    runs, _ = selection.select_runs(synthetic_frame(rng, families=(("mlp", range(12, 18)),)))
    laws = scaling.fitted_laws(runs)
    charts = scaling_figures.fits_charts(runs, laws)
    fitted = {q for fits, _ in laws.values() for q in fits}
    expected = [g for g in scaling_figures.GROUPS if fitted & set(g[1])]
    assert len(charts) == len(expected) > 0
    spec = charts[0].to_dict()
    assert "Phase times" in str(spec.get("title", spec))
    points = scaling_figures.run_points(runs, ["mlp"], ("prove_s",))
    assert len(points) == runs["prove_s"].notna().sum()


def test_held_out_chart_puts_the_runs_on_the_scale_of_the_law(synthetic_frame):
    rng = np.random.default_rng(22)
    runs, _ = selection.select_runs(synthetic_frame(rng, families=(("mlp", range(12, 18)),)))
    spec = scaling_figures.held_out_chart(runs).to_dict()
    assert "without the" in str(spec)
