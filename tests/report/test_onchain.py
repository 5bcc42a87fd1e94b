"""chasm.report.onchain: the table, glued phrases and chart of "The verifier's side, on a chain", on a
summary built from known inputs (synthetic verifier gas, three JSTprove proofs, a fixed time scale and
frontier chunk counts)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from chasm.core import data
from chasm.core.constants import PROOFS
from chasm.economics import onchain as O
from chasm.report import charts
from chasm.report import onchain as R

def evm_frame():
    rows = [("m1", "mlp", 612, 15, 4, 3332, 272, 472_007), ("c1", "cnn", 280, 15, 4, 3332, 270, 472_100),
            ("c4", "cnn", 1216, 16, 8, 3460, 300, 480_000)]
    return pd.DataFrame([{"run_id": f"{cid}-evm", "prover": "ezkl", "family": fam, "config_id": cid,
                          "config": json.dumps({"width": 16, "depth": 2}), "params": p, "logrows": k,
                          "proof_raw_bytes": cd - 300, "instances": inst, "calldata_bytes": cd,
                          "calldata_zero_bytes": z, "exec_gas": gas, "deploy_exec_gas": 2_700_000,
                          "runtime_bytes": 13_406, "honest_accepted": True, "flipped_rejected": True,
                          "wrong_output_rejected": True, "date_utc": "2026-12-01T00:00:00+00:00"}
                         for cid, fam, p, k, inst, cd, z, gas in rows])


def proofs_frame():
    """Three JSTprove runs of the families profile: an mlp (input [1, 16]) and two cnns (input [1, 1, 8, 8])."""
    template = data.load_table(PROOFS).iloc[0]
    recs = []
    for cid, fam, params, shape, size in [("m1", "mlp", 612, "[1, 16]", 17_911_922), ("c4", "cnn", 1216, "[1, 1, 8, 8]", 27_423_221),
                                          ("c8", "cnn", 2716, "[1, 1, 8, 8]", 40_280_480)]:
        rec = template.copy()
        config = {"width": 16, "depth": 2} if fam == "mlp" else {"channels": int(cid[1:]), "depth": 2, "size": 8}
        rec.update({"run_id": f"{cid}-jstprove-r0", "family": fam, "config_id": cid, "params": params,
                    "config": json.dumps(config), "input_shape": shape, "status": "ok", "verified": True,
                    "proof_bytes": float(size), "prove_s": 40.0, "verify_s": 80.0, "sweep_profile": "families",
                    "prover": "jstprove", "hardware_tag": "test-machine"})
        recs.append(rec)
    return pd.DataFrame(recs)


@pytest.fixture(scope="module")
def s():
    implied = pd.DataFrame({"config_id": ["a", "b"], "cpu_ns_per_field_mult": [40.0, 60.0], "contended": [False, False]})
    metas = {"llama3-70b": {"chunks": 2.0e7, "K": 21}, "llama3-8b": {"chunks": 5.0e6, "K": 20}}
    return O.summary(evm=evm_frame(), proofs=proofs_frame(), implied=implied, price_metas=metas)


def test_table_has_both_families_and_every_model(s):
    t = R.onchain_table(s)
    assert list(t["prover"].value_counts().sort_index()) == [3, 3]
    assert set(t.columns) >= {"prover", "model", "parameters", "bytes read", "gas per verification",
                              "share of a block", "transactions", "USD per verification"}
    jst = t[t["prover"] == R.PROVER_NAMES["jstprove"]]
    assert jst["gas per verification"].str.startswith("at least").all()
    assert (t.loc[t["prover"] == R.PROVER_NAMES["ezkl"], "transactions"] == "1").all()


def test_frame_holds_ezkl_measured_and_both_jstprove_bounds(s):
    f = R.onchain_frame(s)
    assert set(f["series"]) == set(R.SERIES.values())
    jst_min = f[f["series"] == R.SERIES["jst_min"]].set_index("size_label")
    jst_nz = f[f["series"] == R.SERIES["jst_nonzero"]].set_index("size_label")
    assert (jst_nz["gas"] == 4 * jst_min["gas"]).all()
    assert (jst_min["gas"] == 10 * jst_min["bytes"]).all()


def test_facts_state_the_bounds_and_the_frontier(s):
    facts = R.onchain_facts(s, ezkl_prove_s={"m1": 12.0, "c4": 12.0, "c8": 12.0})
    assert facts["jst_fits"] == "none" and facts["ezkl_fits_cap"] == "every" and facts["ezkl_checks"] == "every"
    assert facts["floor_gas_per_token"] == "10" and facts["floor_nonzero_gas"] == "40"
    assert facts["pairing_gas"] == "113,000"
    assert facts["tx_max_bytes"] == "1.6 MiB" and facts["tx_max_bytes_nonzero"] == "409 KiB"
    assert facts["ezkl_circuits"] == "3" and facts["jst_proofs"] == "3"
    assert facts["ezkl_gas_dependence"].startswith("over 3 circuits of 2¹⁵ to 2¹⁶ rows")
    assert facts["time_ns"].startswith("49")  # geometric mean of 40 and 60 ns
    for key in ("frontier_70b_gas", "frontier_70b_blocks", "frontier_70b_usd", "frontier_8b_chunks", "wrap_vs_jst",
                "wrap_vs_ezkl", "wrap_cpu_s"):
        assert facts[key]
    assert facts["wrap_cells"] == "632 to 2,784"  # 612 + 16 + 4 and 2716 + 64 + 4
    assert not any(key.startswith(("jst_element", "jst_file", "jst_merkle", "jst_column")) for key in facts)
    assert all(isinstance(v, str) and v for v in facts.values())


def test_wrapping_table_counts_the_public_values(s):
    w = R.wrapping_table(s, ezkl_prove_s={"m1": 12.0})
    assert len(w) == 3
    # params + input elements + output elements: 612 + 16 + 4, 1216 + 64 + 4, 2716 + 64 + 4
    assert sorted(w["public values read at least"]) == sorted(["632", "1,284", "2,784"])
    assert (w["× ezkl's direct proof"] != "").sum() == 1


def test_frontier_table_one_row_per_model(s):
    f = R.frontier_table(s)
    assert set(f["model"]) == {"llama3-70b", "llama3-8b"}


def test_chart_is_log_log_with_the_limits_and_renders(s):
    spec = R.onchain_chart(s).to_dict()
    assert charts.title_text(spec)
    layers = spec["layer"]
    encodings = [layer.get("encoding", {}) for layer in layers]
    assert any(e.get("x", {}).get("scale", {}).get("type") == "log" and e.get("y", {}).get("scale", {}).get("type") == "log"
               for e in encodings)
    limit_values = {row["gas"] for name, rows in spec["datasets"].items() for row in rows if "limit" in row}
    a = s["protocol"]
    assert {a["block_gas_limit"][1], a["block_gas_limit"][0], a["tx_gas_cap"]} <= limit_values
    assert "chasm-chart" in charts.render_html(spec)
