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

    frame = load_claims()
    owned = frame[~frame["chapter"].isin(["pending", "none"])]["claim_id"].iloc[:2].tolist()
    computed = pd.DataFrame({"claim_id": owned, "verdict": ["supported", "contradicted"],
                             "judged_against": ["x 1 (0.5 to 2)", "y 3 (2 to 4)"], "reason": ["r1", "r2"]})
    shown = report_claims.with_verdicts(frame, computed).set_index("claim_id")
    assert shown.loc[owned[0], "verdict"] == "supported" and shown.loc[owned[1], "judged_against"] == "y 3 (2 to 4)"
    others = shown.drop(index=owned)
    assert (others["verdict"] == frame.set_index("claim_id").drop(index=owned)["verdict"]).all()
    counts = report_claims.verdict_counts(shown.reset_index()).set_index("verdict")["claims"]
    assert counts.sum() == len(frame)
    # a verdict for a claim no chapter owns is refused
    pending = frame[frame["chapter"].isin(["pending", "none"])]["claim_id"].iloc[0]
    with pytest.raises(ValueError, match="no chapter"):
        report_claims.with_verdicts(frame, computed.assign(claim_id=[pending, owned[1]]))
