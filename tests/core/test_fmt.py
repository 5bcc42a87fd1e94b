"""chasm.core.fmt: numbers as text (superscript powers, units, intervals)."""

from __future__ import annotations

import pytest

import math

from chasm.core import fmt


def test_sci_uses_superscript_powers_above_1e5_and_no_exponent_below():
    assert fmt.sci(250000.0) == "2.50 × 10⁵"
    assert fmt.sci(44716.8) == "44,700"
    assert fmt.sci(1234.5) == "1,230"
    assert fmt.sci(123.45) == "123"
    assert fmt.sci(2500.0) == "2,500"
    assert fmt.sci(0.00123) == "0.00123"
    assert "e" not in fmt.sci(99999.9)


def test_sci_names_non_finite_values():
    assert fmt.sci(math.inf) == "∞" and fmt.sci(-math.inf) == "−∞" and fmt.sci(math.nan) == "n/a"


def test_seconds_and_powers():
    assert fmt.seconds(129.0) == "129 s" and fmt.seconds(0.0123) == "12.3 ms" and fmt.seconds(1.5e-5) == "15 µs"
    assert fmt.pow2(20) == "2²⁰"
    assert fmt.interval([1.0], [2.0], [3.0]) == ["2 (1 to 3)"]


def test_nbytes_picks_the_largest_unit_that_keeps_the_value_at_least_one():
    assert fmt.nbytes(17_800) == "17.4 KiB" and fmt.nbytes(132 * 2**20) == "132 MiB"
    assert fmt.nbytes(1.06 * 2**40) == "1.06 TiB" and fmt.nbytes(512) == "512 B"


def test_parse_bytes_reads_binary_units_and_names_bad_text():
    assert fmt.parse_bytes("20G") == 20 * 2**30 and fmt.parse_bytes("512MiB") == 512 * 2**20
    assert fmt.parse_bytes("256GiB") == 256 * 2**30 and fmt.parse_bytes("1TiB") == 2**40
    assert fmt.parse_bytes("1024") == 1024
    with pytest.raises(ValueError, match="'lots'"):
        fmt.parse_bytes("lots")
