"""chasm.laws.rules: the quantities fitted, their units and labels, and the method's thresholds."""

from __future__ import annotations

from chasm.laws import rules


def test_every_quantity_has_a_unit_that_matches_its_name_and_a_label():
    assert set(rules.QUANTITIES) == set(rules.QUANTITY_LABELS)
    for name, unit in rules.QUANTITIES.items():
        assert unit == ("s" if name.endswith("_s") else "bytes"), name


def test_thresholds_leave_room_for_a_held_out_check():
    assert rules.MIN_TRAIN_SIZES + rules.HOLDOUT_SIZES > rules.MIN_SIZES > rules.MIN_TRAIN_SIZES >= 3
    assert 0 < rules.LEVEL < 1 and set(rules.SIZE_UNITS) == set(rules.SIZE_COLUMNS)
    assert issubclass(rules.InsufficientData, ValueError)
