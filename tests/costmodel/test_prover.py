"""chasm.costmodel.prover: constants read from ezkl's circuits, prover work for 2^k rows, chains of
chunk proofs, and the proving-to-inference ratio."""

from __future__ import annotations

import math
import os
import shutil

import pandas as pd
import pytest
import sympy as sp

from chasm.core import data, ezkl_rules, paths
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
    with pytest.raises(KeyError, match="unknown circuit kind 'gpt'; known: mlp, cnn, transformer, llama-prefill, "
                                         "llama-decode"):
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


# ------------------------------------------------------- known answers (issue 16, mutation testing)


def _per_row(k, c, bits=254, gamma=7 + 4):
    """Prover field multiplications per row of ``2**k`` rows with the constants ``c`` of
    :func:`prover.measured_constants`, in plain arithmetic from the module's description (not from its
    sympy expressions): per committed polynomial an MSM of ``N / log2 N`` point additions per scalar bit
    (``gamma`` = 7 multiplications + 4 squarings each), an inverse FFT and a coset FFT on the ``2^e``-times
    extended domain (``N/2 log2 N`` butterflies each) and one multiplication per base and extended point;
    the quotient's inverse FFT on the extended domain and its ``n_q`` MSMs; the ``other_msms`` MSMs.
    Returns (msm, fft, evaluate) per row."""
    n, nq, no, e = c["committed_polys"], c["n_quotient"], c["other_msms"], c["ext"]
    N, Ne = 2.0**k, 2.0**(k + e)
    msm = (n + nq + no) * bits * gamma * N / k
    fft = n * (N / 2 * k + Ne / 2 * (k + e)) + Ne / 2 * (k + e)
    evaluate = n * (Ne + N)
    return msm / N, fft / N, evaluate / N


def test_committed_polys_from_ezkls_source_by_known_answers():
    # advice 3 c, lookups 2 per table per inner column, permutation ceil((advice + 2) / (degree - 2))
    assert prover.committed_polys() == 6 + 12 + 3
    assert prover.committed_polys(2, 2) == 6 + 8 + 3
    assert prover.committed_polys(4, 1, 6) == 12 + 8 + 4
    assert prover.committed_polys(1, 3, 5) == 3 + 6 + 2
    assert prover.committed_polys(inner_cols=3, lookup_tables=0, degree=3) == 9 + 0 + 11
    # the einsum region adds six advice VarTensors per inner column and their permutation columns
    assert prover.circuit_committed_polys(2, 2, False) == 17
    assert prover.circuit_committed_polys(2, 2, True) == 17 + 12 + (7 - 3)
    assert prover.circuit_committed_polys(2, 3, True, 6) == 20 + 12 + (5 - 2)
    assert prover.circuit_committed_polys(1, 1, True, 5) == 7 + 6 + (4 - 2)
    assert prover.circuit_committed_polys(3, 1, False, 4) == prover.committed_polys(3, 1, 4) == 9 + 6 + 6


def test_circuit_kind_of_every_family_and_run_argument():
    for family in ("mlp", "cnn", "transformer"):
        assert prover.circuit_kind(family, "{}") == family
        assert prover.circuit_kind(family, {}, disable_freivalds=True) is None
    assert prover.circuit_kind("llama", '{"seq": 4}') == "llama-prefill"
    assert prover.circuit_kind("llama", {"cache": 3, "seq": 1}) == "llama-decode"
    assert prover.circuit_kind("llama", {"cache": 3}, disable_freivalds=True) is None
    assert prover.circuit_kind("op", {"op": "relu"}) is None
    assert prover.circuit_kind("llama-decode", {}) == "llama-decode"  # a kind's own name is a kind


def test_measured_constants_by_a_count_of_the_table():
    """Each kind's constants recounted from the committed table: the most common number of committed
    polynomials among its circuits at ezkl's defaults (the transformers: four at 47, the GELU one at 51),
    that circuit's degree, quotient pieces and extended domain, and the proof's other MSMs (all of them
    less the committed and the quotient polynomials)."""
    import collections

    table = data.load_table(CIRCUIT_CONSTANTS)
    for kind in prover.CIRCUIT_KINDS:
        rows = [r for r in table.to_dict("records")
                if r["num_inner_cols"] == 2 and r["decomp_legs"] == 2 and not r["disable_freivalds"]
                and prover.circuit_kind(r["family"], r["config"]) == kind]
        (n_c, _), = collections.Counter(r["committed_polys_per_row"] for r in rows).most_common(1)
        row = next(r for r in rows if r["committed_polys_per_row"] == n_c)
        c = prover.measured_constants(kind)
        assert c == {"committed_polys": n_c, "degree": row["degree"], "n_quotient": row["n_quotient"],
                     "ext": row["extended_factor_log2"], "circuits": len(rows),
                     "other_msms": row["proof_msms"] - n_c - row["n_quotient"]}
        assert isinstance(c["committed_polys"], float) and isinstance(c["degree"], int)
    assert prover.measured_constants("transformer")["committed_polys"] == 47
    assert prover.measured_constants() == prover.measured_constants("llama-decode")
    # a fresh copy each call
    c = prover.measured_constants("mlp")
    c["committed_polys"] = -1
    assert prover.measured_constants("mlp")["committed_polys"] == 17


def test_measured_constants_follow_the_table_they_read(tmp_path, monkeypatch):
    """The constants are those of the table at ``data/``, read again when it changes: another table with the
    same modification time as the committed one, the same table rewritten, a table without a kind, and one
    whose circuits of a kind disagree."""
    real = paths.measurements_dir() / "circuit_constants.csv"
    assert prover.measured_constants("mlp")["committed_polys"] == 17  # the committed table, read and cached
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(real.with_name("circuit_constants.schema.yaml"), target)
    table = pd.read_csv(real, dtype=str, keep_default_na=False)
    mlp = table["family"] == "mlp"

    def write(frame, committed, mtime_ns):
        frame = frame.copy()
        frame.loc[frame["family"] == "mlp", "committed_polys_per_row"] = str(committed)
        frame.loc[frame["family"] == "mlp", "proof_msms"] = str(committed + 4 + 3)
        frame.to_csv(target / "circuit_constants.csv", index=False)
        os.utime(target / "circuit_constants.csv", ns=(mtime_ns, mtime_ns))

    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    write(table, 19, real.stat().st_mtime_ns)
    assert prover.measured_constants("mlp") == {**prover.measured_constants("cnn"), "committed_polys": 19.0,
                                                "circuits": 3}
    write(table, 21, real.stat().st_mtime_ns + 10**9)
    assert prover.measured_constants("mlp")["committed_polys"] == 21
    write(table[~table["config"].str.contains("cache")], 21, real.stat().st_mtime_ns + 2 * 10**9)
    with pytest.raises(ValueError, match="has no circuit of kind 'llama-decode': run `python -m "
                                         "chasm.experiments.circuit_constants`"):
        prover.measured_constants("llama-decode")
    assert prover.measured_constants("llama-prefill")["committed_polys"] == 51
    disagree = table.copy()
    disagree.loc[mlp & (disagree["config"] == '{"depth":1,"width":8}'), "degree"] = "6"
    write(disagree, 17, real.stat().st_mtime_ns + 3 * 10**9)
    with pytest.raises(ValueError, match="circuits of kind 'mlp' disagree on .*degree"):
        prover.measured_constants("mlp")


def test_prover_constants_by_known_answers():
    for kind in prover.CIRCUIT_KINDS:
        c = prover.measured_constants(kind)
        expected = {symbols.bits: 254, symbols.gamma: 11, symbols.n_poly: c["committed_polys"],
                    symbols.n_q: c["n_quotient"], symbols.ext: c["ext"], symbols.n_open: c["other_msms"]}
        assert prover.prover_constants(kind) == expected
        assert prover.prover_constants(kind, committed_polys=99) == {**expected, symbols.n_poly: 99}
    assert prover.prover_constants() == prover.prover_constants("llama-decode")


def test_prover_work_terms_by_known_answers():
    assert sp.simplify(prover.msm_work(8) - 32 * symbols.bits * symbols.gamma) == 0
    assert prover.fft_work(3) == 12 and prover.fft_work(10) == 5120
    # n_c = 2, n_q = 3, n_o = 5, e = 1, b = 7, gamma = 11, k = 4 (16 rows, 32 extended):
    small = {symbols.n_poly: 2, symbols.n_q: 3, symbols.n_open: 5, symbols.ext: 1, symbols.bits: 7,
             symbols.gamma: 11}
    terms = {name: float(expr.subs(small)) for name, expr in prover.prover_work_terms(4).items()}
    assert terms == {"msm": (2 + 3 + 5) * 7 * 11 * 16 / 4,
                     "fft": 2 * (8 * 4 + 16 * 5) + 16 * 5,
                     "evaluate": 2 * (32 + 16)}
    assert float(prover.prover_work(4).subs(small)) == 3080 + 304 + 96
    assert sp.simplify(prover.prover_work(symbols.kk) - sum(prover.prover_work_terms(symbols.kk).values())) == 0
    for kind in ("mlp", "llama-decode"):
        consts, c = prover.prover_constants(kind), prover.measured_constants(kind)
        for k in (12, 20, 25):
            expected = _per_row(k, c)
            got = {n: float(e.subs(consts).subs(symbols.kk, k)) / 2**k for n, e in prover.prover_work_terms().items()}
            assert [got["msm"], got["fft"], got["evaluate"]] == pytest.approx(expected, rel=1e-12)
            assert float(prover.prover_work_per_row().subs(consts).subs(symbols.kk, k)) == pytest.approx(sum(expected), rel=1e-12)


def test_msm_share_and_work_per_cell_by_known_answers():
    c = prover.measured_constants("llama-decode")
    for k in (14, 20):
        msm, fft, evaluate = _per_row(k, c)
        assert prover.msm_share(k) == pytest.approx(msm / (msm + fft + evaluate), rel=1e-12)
        assert prover.field_mults_per_cell(k) == pytest.approx((msm + fft + evaluate) / 2, rel=1e-12)
        assert prover.field_mults_per_cell(k, inner_cols=4) == pytest.approx((msm + fft + evaluate) / 4, rel=1e-12)


def test_chunk_memory_and_table_by_known_answers():
    c = prover.measured_constants("mlp")
    assert float(prover.chunk_memory_bytes(20).subs(prover.prover_constants("llama-decode"))) == 32 * 36 * (1 + 8) * 2**20
    assert prover.FIELD_ELEMENT_BYTES == 32
    table = prover.chunk_size_table([16, 20.0], kind="mlp")
    assert list(table.columns) == ["K", "field_mults_per_row", "chunk_memory_bytes"]
    assert table["K"].tolist() == [16, 20] and table["K"].dtype.kind == "i"
    assert table["field_mults_per_row"].tolist() == pytest.approx([sum(_per_row(16, c)), sum(_per_row(20, c))], rel=1e-12)
    assert table["chunk_memory_bytes"].tolist() == [32 * 17 * (1 + 4) * 2**16, 32 * 17 * (1 + 4) * 2**20]
    assert prover.chunk_size_table([20])["chunk_memory_bytes"].tolist() == [32 * 36 * 9 * 2**20]  # llama-decode
    # a chain of R / 2^K chunks
    assert float(prover.chain_work(10, 5 * 2**10).subs(prover.prover_constants("mlp"))) == pytest.approx(
        5 * sum(_per_row(10, c)) * 2**10, rel=1e-12)
    assert prover.chunks_for_rows(1, 10) == 1
    assert prover.chunks_for_rows(2 * (2**10 - 8), 10) == 2
    assert prover.chunks_for_rows(2 * (2**10 - 8) + 1, 10) == 3


def test_proving_to_inference_ratio_by_known_answers():
    """An MLP layer of width 2 at ezkl's defaults: the dense product as one dot per output (2 x pad(2) = 4
    cells), bias and rescaling (2 x 47), ReLU (2 x 16): 130 cells, 65 rows of two columns, against 2 x 4
    multiply-accumulates and 2 bias additions = 10 FLOPs. Width 4: 4 x 47 + 4 x 4 + 4 x 16 = 268 cells, 36
    FLOPs. At four inner columns (decomposition 12 cells, rescaling 52, ReLU 18): 2 x 53 + 2 x 4 + 2 x 18 =
    150 cells, 37.5 rows."""
    from chasm.costmodel.layout import RunArgs

    consts, c = prover.prover_constants("mlp"), prover.measured_constants("mlp")
    capped = prover.mlp_proving_ratio().subs(consts).subs(symbols.Kc, 20)
    assert float(capped.subs({symbols.w: 2, symbols.depth: 3})) == pytest.approx(sum(_per_row(20, c)) * 65 / 10, rel=1e-12)
    assert float(capped.subs({symbols.w: 4, symbols.depth: 1})) == pytest.approx(sum(_per_row(20, c)) * 134 / 36, rel=1e-12)
    wide = prover.mlp_proving_ratio(RunArgs(inner_cols=4)).subs(consts).subs(symbols.Kc, 20)
    assert float(wide.subs({symbols.w: 2, symbols.depth: 3})) == pytest.approx(sum(_per_row(20, c)) * 37.5 / 10, rel=1e-12)
    # one circuit of 2^k rows, k = log2(rows): 4 layers of 65 rows
    uncapped = prover.mlp_proving_ratio(capped=False).subs(consts)
    assert float(uncapped.subs({symbols.w: 2, symbols.depth: 4})) == pytest.approx(
        sum(_per_row(math.log2(260), c)) * 260 / 40, rel=1e-12)
