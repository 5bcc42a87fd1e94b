"""chasm.core.ezkl_rules: ezkl's logrows rule against the circuits ezkl itself sized."""

from __future__ import annotations

import math

from chasm.core import data
from chasm.core import ezkl_rules


def test_padded_rows_is_ezkls_logrows_rule():
    assert ezkl_rules.padded_rows(198_737) == 2**18  # transformer d128 (proofs.csv, logrows 18)
    assert ezkl_rules.padded_rows(266_442) == 2**19  # transformer d196 (logrows 19)
    assert ezkl_rules.padded_rows(476) == 2**15  # below the range-check table: ezkl's floor 2^15


def test_logrows_rule_matches_calibrated_layouts():
    frame = data.load_table("measurements/layouts.csv")
    calibrated = frame[frame["calibrated"]]
    assert len(calibrated) > 0
    for rec in calibrated.to_dict("records"):
        ein = math.ceil(rec["total_einsum_col_size"] / rec["num_inner_cols"])
        assert ezkl_rules.logrows_rule(rec["num_rows"], ein, decomp_base=rec["decomp_base"]) == rec["logrows"], rec
    # the decomposition table alone forces logrows 15 at ezkl's default base 2**14
    assert ezkl_rules.logrows_rule(10) == 15
