"""chasm.report.costmodel: the validation chart's data cover every measured circuit."""

from __future__ import annotations


from chasm.core import data
from chasm.costmodel import validation
from chasm.report import costmodel as report_costmodel


def test_validation_frame_covers_every_measured_circuit():
    frame = report_costmodel.validation_frame()
    layouts_table = data.load_table("measurements/layouts.csv")
    proofs = validation.validate_proofs()
    distinct_proofs = 0 if proofs.empty else proofs["circuit_key"].nunique()
    assert len(frame) == len(layouts_table) + distinct_proofs
    assert frame[["rows_modelled", "assignments_modelled"]].notna().all().all()
    chart = report_costmodel.validation_chart(frame).to_dict()
    assert len(chart["vconcat"]) == 2
