"""chasm.economics.onchain: transaction gas by hand under EIP-7623 and EIP-2028, the KZG verifier against
its pairing check, JSTprove's calldata bound, the wrapping bound and a frontier query's gas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chasm.core import paths
from chasm.core.ezkl_rules import RESERVED_BLINDING_ROWS
from chasm.economics import onchain as O
from chasm.economics.assumptions import load_assumptions


@pytest.fixture(scope="module")
def a():
    return O.protocol()


def evm_frame(rows):
    """A minimal evm_gas table: (config_id, family, params, logrows, instances, calldata, zero, exec_gas)."""
    recs = []
    for i, (cid, fam, params, logrows, inst, cd, zero, gas) in enumerate(rows):
        recs.append({"run_id": f"{cid}-evm", "prover": "ezkl", "family": fam, "config_id": cid, "config": "{\"width\": 8}", "params": params,
                     "logrows": logrows, "proof_raw_bytes": cd - 200, "instances": inst, "calldata_bytes": cd,
                     "calldata_zero_bytes": zero, "exec_gas": gas, "deploy_exec_gas": 3_000_000,
                     "runtime_bytes": 14_000, "honest_accepted": True, "flipped_rejected": True,
                     "wrong_output_rejected": True, "date_utc": f"2026-12-01T00:00:0{i}+00:00"})
    return pd.DataFrame(recs)


def test_protocol_reads_the_assumption_rows(a):
    frame = load_assumptions()
    assert a["floor_gas_per_token"] == frame.loc["evm_calldata_floor_gas_per_token", "point"]
    assert a["tx_gas_cap"] == 2 ** 24
    for key in O.RANGED:
        low, point, high = a[key]
        assert low <= point <= high


def test_tx_gas_by_hand_when_execution_dominates(a):
    # 100 bytes, 30 zero: tokens = 30 + 4 x 70 = 310; standard = 21000 + 4 x 310 + 50000 = 72240;
    # floor = 21000 + 10 x 310 = 24100; EIP-2028 = 21000 + 16 x 70 + 4 x 30 + 50000 = 72240
    t = O.tx_gas(50_000, 100, 30, a)
    assert t["tokens"] == 310
    assert t["standard_gas"] == 72_240 and t["floor_gas"] == 24_100
    assert t["gas"] == 72_240 and not t["floor_binds"]
    assert t["eip2028_gas"] == 72_240
    assert t["calldata_gas"] == 1_240


def test_tx_gas_by_hand_when_the_floor_binds(a):
    # 1000 non-zero bytes and no execution: tokens 4000; standard 21000 + 16000; floor 21000 + 40000
    t = O.tx_gas(0, 1000, 0, a)
    assert t["standard_gas"] == 37_000 and t["floor_gas"] == 61_000
    assert t["gas"] == 61_000 and t["floor_binds"]
    assert t["eip2028_gas"] == 37_000  # before Pectra the same calldata cost 16 gas a byte


def test_tx_gas_follows_the_table_not_literals():
    a17 = O.protocol(overrides={"evm_calldata_floor_gas_per_token": 17})
    assert O.tx_gas(0, 1000, 0, a17)["gas"] == 21_000 + 17 * 4000


def test_zero_byte_calldata_costs_exactly_ten_gas_a_byte_under_the_floor(a):
    for n in (1, 1000, 10**7):
        t = O.tx_gas(0, n, n, a)
        assert t["gas"] - a["tx_base_gas"] == pytest.approx(a["floor_gas_per_token"] * n)
        assert t["floor_binds"]


def test_tx_gas_works_on_arrays_and_refuses_impossible_calldata(a):
    t = O.tx_gas(np.array([0, 50_000]), np.array([1000, 100]), np.array([0, 30]), a)
    assert list(t["gas"]) == [61_000, 72_240]
    with pytest.raises(ValueError):
        O.tx_gas(0, 10, 11, a)


def test_pairing_gas_is_eip_1108(a):
    assert O.pairing_gas(2, a) == 45_000 + 2 * 34_000


def test_ranges_are_ordered(a):
    low, point, high = O.usd_range(500_000, a)
    assert low < point < high
    assert point == pytest.approx(500_000 * a["gas_price_gwei"][1] * 1e-9 * a["eth_usd"][1])
    share = O.block_share(30_000_000, a)
    assert share[0] <= share[1] <= share[2] and share[2] == pytest.approx(30e6 / a["block_gas_limit"][0])


def test_measured_kzg_verifier_exceeds_its_pairing_check(a):
    if not (paths.data_dir() / O.EVM_GAS).exists():
        pytest.skip("data/measurements/evm_gas.csv not measured yet (python -m chasm evm)")
    table = O.ezkl_onchain(a=a)
    assert not table.empty
    assert (table["exec_gas"] > O.pairing_gas(O.KZG_PAIRING_PAIRS, a)).all()
    assert (table["tx_gas"] == table["exec_gas"] + table["calldata_gas"] + a["tx_base_gas"]).all()
    assert table["checks_passed"].all()


def test_ezkl_onchain_on_a_known_table(a):
    table = O.ezkl_onchain(evm_frame([("m1", "mlp", 100, 15, 4, 3332, 272, 472_007)]), a)
    row = table.iloc[0]
    tokens = 272 + 4 * (3332 - 272)
    assert row["tx_gas"] == 21_000 + 4 * tokens + 472_007
    assert row["fits_tx_cap"]
    assert row["usd_point"] == pytest.approx(O.usd_range(row["tx_gas"], a)[1])
    assert row["block_share_high"] == pytest.approx(row["tx_gas"] / a["block_gas_limit"][0])


def test_gas_dependence_recovers_a_planted_law(a):
    rows = [(f"c{i}", "mlp", 10 * i, k, inst, 3000 + 32 * inst, 200, 400_000 + 900 * inst + 5_000 * k)
            for i, (k, inst) in enumerate([(15, 4), (15, 8), (16, 4), (17, 16), (16, 32)])]
    dep = O.gas_dependence(O.ezkl_onchain(evm_frame(rows), a))
    assert dep["fit"]["instances"]["point"] == pytest.approx(900)
    assert dep["fit"]["logrows"]["point"] == pytest.approx(5_000)
    assert dep["rows_ratio"] == 4


def jst_frame(sizes):
    """Rows as :func:`O.jstprove_proofs` returns them: an mlp of width 16 (input [1, 16], 4 outputs) with
    100, 200, ... parameters and proof files of ``sizes`` bytes."""
    params = [100 * (i + 1) for i in range(len(sizes))]
    return pd.DataFrame({"family": "mlp", "config_id": [f"m{i}" for i in range(len(sizes))], "params": params,
                         "input_elements": 16, "output_elements": 4, "public_values": [p + 16 + 4 for p in params],
                         "proof_bytes": sizes, "prove_s": 40.0})


def test_jstprove_bound_grows_linearly_with_bytes(a):
    t = O.jstprove_onchain(jst_frame([10_000_000.0, 20_000_000.0]), a)
    assert t["gas_min"].iloc[1] == 2 * t["gas_min"].iloc[0]
    assert (t["gas_min"] / t["proof_bytes"] == a["floor_gas_per_token"]).all()
    assert (t["gas_nonzero"] / t["proof_bytes"] == a["floor_gas_per_token"] * a["tokens_per_nonzero_byte"]).all()
    assert not t["fits_one_tx"].any()
    assert (t["txs_min"] == np.ceil(t["gas_min"] / (a["tx_gas_cap"] - a["tx_base_gas"]))).all()


def test_a_small_enough_proof_would_fit_one_transaction(a):
    limit = (a["tx_gas_cap"] - a["tx_base_gas"]) / a["floor_gas_per_token"]
    t = O.jstprove_onchain(jst_frame([math.floor(limit), math.floor(limit) + 1]), a)
    assert list(t["fits_one_tx"]) == [True, False]


def test_no_measured_jstprove_proof_fits_one_transaction(a):
    try:
        proofs = O.jstprove_proofs()
    except ValueError:
        pytest.skip("no JSTprove run of the families profile committed yet")
    t = O.jstprove_onchain(proofs, a)
    assert not t["fits_one_tx"].any()
    assert (t["txs_min"] > 1).all()


def test_public_values_count_parameters_inputs_and_outputs():
    # mlp depth 2 width 16: 2 x (16 x 16 + 16) + 16 x 4 + 4 = 612 parameters; input [1, 16]; 4 outputs
    assert O.public_values("mlp", '{"depth":2,"outputs":4,"width":16}', "[1, 16]", 612) == {
        "params": 612, "input_elements": 16, "output_elements": 4, "public_values": 632}
    # cnn on an 8 x 8 image of one channel: 64 input elements; outputs left to the family's default (4)
    assert O.public_values("cnn", '{"channels":4,"depth":2,"size":8}', "[1, 1, 8, 8]", 1216)["public_values"] == 1216 + 64 + 4


def test_measured_proofs_carry_their_public_values():
    try:
        proofs = O.jstprove_proofs()
    except ValueError:
        pytest.skip("no JSTprove run of the families profile committed yet")
    assert (proofs["public_values"] == proofs["params"] + proofs["input_elements"] + proofs["output_elements"]).all()
    assert (proofs["output_elements"] == 4).all()
    mlp = proofs[proofs["size_label"] == "depth=2, width=16"]
    if not mlp.empty:
        assert mlp["public_values"].iloc[0] == 612 + 16 + 4


def test_wrapping_bound_scales_with_cells_and_time(a):
    jst = O.jstprove_onchain(jst_frame([17_911_922.0, 27_423_221.0]), a)
    w = O.wrapping_bound(jst, {"low": 1.0, "point": 2.0, "high": 4.0})
    # cells_min = params + input elements + output elements: 100 + 16 + 4 and 200 + 16 + 4
    assert list(w["cells_min"]) == [120, 220]
    assert (w["cells_min"] == w["params"] + w["input_elements"] + w["output_elements"]).all()
    assert (w["cpu_s_point"] == 2 * w["cpu_s_low"]).all() and (w["cpu_s_high"] == 4 * w["cpu_s_low"]).all()
    # rows: ceil(log2(ceil(cells / 2) + reserved rows)), 2 inner columns
    assert list(w["logrows"]) == [math.ceil(math.log2(60 + RESERVED_BLINDING_ROWS)),
                                  math.ceil(math.log2(110 + RESERVED_BLINDING_ROWS))]
    per_cell = O.cell_work(int(w["logrows"].iloc[0]))
    assert w["field_mults"].iloc[0] == pytest.approx(120 * per_cell["per_cell"][per_cell["min_kind"]])
    assert (w["vs_jstprove_prove"] == w["cpu_s_point"] / 40.0).all()


def test_wrapping_bound_skips_proofs_without_public_values(a):
    jst = O.jstprove_onchain(jst_frame([17_911_922.0]).drop(columns=["public_values"]), a)
    assert O.wrapping_bound(jst, {"low": 1.0, "point": 2.0, "high": 4.0}).empty


def test_time_scale_uses_uncontended_runs_only():
    implied = pd.DataFrame({"config_id": ["a", "a", "b", "c"], "cpu_ns_per_field_mult": [10.0, 10.0, 40.0, 1e6],
                            "contended": [False, False, False, True]})
    assert O.time_scale(implied)["point"] == pytest.approx(20.0)


def test_frontier_gas_is_chunks_times_per_chunk_gas(a):
    ez = O.ezkl_onchain(evm_frame([("m1", "mlp", 100, 15, 4, 3000, 200, 400_000),
                                   ("m2", "mlp", 200, 16, 4, 3000, 200, 500_000),
                                   ("m3", "cnn", 300, 17, 8, 3200, 250, 600_000)]), a)
    out = O.frontier_onchain({"chunks": 1234.0, "K": 22}, ez, a)
    per = (ez["tx_gas"].min(), ez["tx_gas"].median(), ez["tx_gas"].max())
    assert out["per_chunk_gas"] == pytest.approx(per)
    assert out["gas"] == pytest.approx(tuple(1234.0 * g for g in per))
    assert out["blocks"][1] == pytest.approx(out["gas"][1] / a["block_gas_limit"][1])
    assert out["usd"] == pytest.approx(O.usd_range(out["gas"], a))
    assert out["measured_logrows"] == (15, 17) and out["fits_tx_cap"] and out["K"] == 22
