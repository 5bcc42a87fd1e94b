"""chasm.costmodel.prover: constants read from ezkl's circuits, prover work for 2^k rows, chains of
chunk proofs, and the proving-to-inference ratio."""

from __future__ import annotations

import pytest
import sympy as sp

from chasm.core import data, ezkl_rules
from chasm.core.constants import CIRCUIT_CONSTANTS
from chasm.costmodel import prover
from chasm.costmodel import symbols


def test_measured_constants_are_what_the_circuit_table_holds():
    table = data.load_table(CIRCUIT_CONSTANTS)
    for kind in prover.CIRCUIT_KINDS:
        c = prover.measured_constants(kind)
        rows = table[[prover.circuit_kind(f, cfg, bool(off)) == kind for f, cfg, off
                      in zip(table["family"], table["config"], table["disable_freivalds"])]]
        rows = rows[(rows["num_inner_cols"] == 2) & (rows["decomp_legs"] == 2)]
        assert c["circuits"] == len(rows) > 0
        assert c["committed_polys"] in set(rows["committed_polys_per_row"])
        assert c["n_quotient"] == c["degree"] - 1
        assert c["other_msms"] >= 1
    # attention's softmax proves its max with a shuffle: degree 6, the extended domain 8x
    for kind in ("transformer", "llama-prefill", "llama-decode"):
        assert prover.measured_constants(kind)["degree"] == 6
        assert prover.measured_constants(kind)["ext"] == 3
    with pytest.raises(KeyError, match="llama-decode"):
        prover.measured_constants("gpt")


def test_circuit_kind_names_the_family_and_the_cache():
    assert prover.circuit_kind("mlp", {"width": 8}) == "mlp"
    assert prover.circuit_kind("llama", '{"cache": 4}') == "llama-decode"
    assert prover.circuit_kind("llama", {"cache": 0}) == "llama-prefill"
    assert prover.circuit_kind("transformer", {}, disable_freivalds=True) is None
    assert prover.circuit_kind("resnet", {}) is None


def test_prover_constants_take_a_bound_on_the_committed_polynomials():
    read = prover.prover_constants("llama-decode")
    assert read[symbols.n_poly] == prover.measured_constants("llama-decode")["committed_polys"]
    bound = prover.prover_constants("llama-decode", committed_polys=60)
    assert bound[symbols.n_poly] == 60
    work = {n: float(prover.prover_work(20).subs(c)) for n, c in (("read", read), ("bound", bound))}
    assert work["bound"] > work["read"]


def test_chunk_size_table_follows_the_chain_work():
    table = prover.chunk_size_table(range(15, 26), kind="llama-decode")
    consts = prover.prover_constants("llama-decode")
    for rec in table.to_dict("records"):
        K = rec["K"]
        assert rec["field_mults_per_row"] == pytest.approx(float(prover.prover_work(K).subs(consts)) / 2**K)
        assert rec["chunk_memory_bytes"] == float(prover.chunk_memory_bytes(K).subs(consts))
    # the chain's work is linear in the rows it proves
    assert float(prover.chain_work(20, 3 * 2**20).subs(consts)) == pytest.approx(3 * float(prover.prover_work(20).subs(consts)))
    assert prover.chunks_for_rows(2**20 - ezkl_rules.RESERVED_BLINDING_ROWS, 20) == 1
    assert prover.chunks_for_rows(2**20, 20) == 2


def test_prover_work_is_dominated_by_msm_below_the_crossover():
    consts = prover.prover_constants()
    crossover = float(prover.msm_fft_crossover().subs(consts))
    assert crossover > ezkl_rules.MAX_LOGROWS
    terms = {name: float(expr.subs(consts).subs(symbols.kk, 20)) for name, expr in prover.prover_work_terms().items()}
    assert terms["msm"] > terms["fft"]
    big = {name: float(expr.subs(consts).subs(symbols.kk, 2 * crossover))
           for name, expr in prover.prover_work_terms().items()}
    assert big["fft"] > big["msm"]
    assert 0.5 < prover.msm_share(20) < 1


def test_proving_to_inference_ratio_limits():
    consts = prover.prover_constants("mlp")
    capped = prover.mlp_proving_ratio(capped=True).subs(consts).subs(symbols.Kc, ezkl_rules.MAX_LOGROWS)
    limit = sp.limit(capped, symbols.w, sp.oo)
    assert limit.is_finite and limit > 0
    # one uncapped circuit: the FFT's log factor makes the ratio grow without bound (past the
    # MSM/FFT crossover, far beyond the largest circuit BN254 allows)
    uncapped = prover.mlp_proving_ratio(capped=False).subs(consts).subs(symbols.depth, 4)
    uncapped = uncapped.replace(sp.ceiling, lambda arg: arg)  # even widths
    assert sp.limit(uncapped, symbols.w, sp.oo) == sp.oo
    assert float(uncapped.subs(symbols.w, 2**60)) > float(uncapped.subs(symbols.w, 2**40))


def test_the_source_estimate_misses_the_softmax_circuits():
    """The estimate from ezkl's source matches the plain circuits and undercounts attention's."""
    assert prover.circuit_committed_polys(2, 2, False) == prover.measured_constants("mlp")["committed_polys"]
    assert prover.circuit_committed_polys(2, 3, True, 6) < prover.measured_constants("llama-prefill")["committed_polys"]
