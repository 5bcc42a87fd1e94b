"""chasm.report.claims: the claimed-ranges chart and its log axes."""

from __future__ import annotations

import pandas as pd
import pytest

from chasm.core import claims
from chasm.report import claims as report_claims


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return claims.load_claims()


def test_chart_builds_with_one_panel_per_unit(frame):
    spec = report_claims.claimed_ranges_chart(frame).to_dict()
    units = set(report_claims.chart_frame(frame)["unit"])
    assert len(spec["vconcat"]) == len(units)
    for panel in spec["vconcat"]:
        assert panel["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"


def test_log_axis_helpers():
    assert report_claims.log_domain(0.001, 50) == [0.0001, 100.0]
    assert report_claims.log_domain(1, 1) == [0.1, 10.0]
    ticks = report_claims.log_ticks([1.0, 100.0])
    assert ticks[0] == 1 and 5 in ticks and ticks[-1] == 100
    assert report_claims.log_ticks([1e6, 1e13]) == [10.0 ** k for k in range(6, 14)]


def test_computed_verdicts_replace_the_recorded_ones_and_are_counted():
    from chasm.core.claims import load_claims
    from chasm.report.frontier import claim_verdicts

    frame = load_claims()
    shown = report_claims.with_verdicts(frame)
    computed = claim_verdicts().set_index("claim_id")["verdict"]
    by_id = shown.set_index("claim_id")
    for claim, verdict in computed.items():
        assert by_id.loc[claim, "verdict"] == verdict and by_id.loc[claim, "judged_against"]
    others = by_id.drop(index=computed.index)
    assert (others["verdict"] == frame.set_index("claim_id").drop(index=computed.index)["verdict"]).all()
    counts = report_claims.verdict_counts(shown).set_index("verdict")["claims"]
    assert counts.sum() == len(frame)
    # a claim the table gives to another chapter cannot receive the frontier chapter's verdict
    moved = frame.copy()
    moved.loc[moved["claim_id"] == computed.index[0], "chapter"] = "scaling"
    import pytest

    with pytest.raises(ValueError, match="does not own"):
        report_claims.with_verdicts(moved)
