"""chasm.laws.frontier: a frontier query as a chain of chunk proofs, chunks chosen under a memory budget,
two routes and law envelopes."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest

from chasm.costmodel.prover import measured_constants
from chasm.laws import choice, coverage, frontier, selection
from chasm.laws.estimation import predict
from chasm.core import data, paths


@functools.lru_cache(maxsize=2)
def synthetic_choice(seed: int = 3) -> choice.LawChoice:
    """(Cached: the tests only read it.)"""
    return _synthetic_choice(seed)


def _synthetic_choice(seed: int) -> choice.LawChoice:
    rng = np.random.default_rng(seed)
    schema = data.read_schema(paths.measurements_dir() / "proofs.schema.yaml")
    records = coverage.simulate_runs(rng, "transformer", logrows=tuple(range(13, 19)))
    frame = pd.DataFrame(data.validate_records(records, schema, "synthetic"), columns=schema.names)
    runs, _ = selection.select_runs(frame)
    return choice.fit_quantity(runs, "transformer", "prove_s")


def test_law_envelope_holds_the_chosen_law_and_every_plausible_one():
    lc = synthetic_choice()
    x = np.ldexp(1.0, [20, 24])
    env = frontier.law_envelope(lc, x)
    assert env["laws"][0] == lc.chosen.candidate.name
    for law in env["laws"]:
        p = predict(lc.fits[law], x)
        assert np.all(env["low"] <= p["low"] * (1 + 1e-12)) and np.all(env["high"] >= p["high"] * (1 - 1e-12))
    np.testing.assert_allclose(env["point"], predict(lc.chosen, x)["point"])


def test_combine_routes_takes_the_envelope_and_the_geometric_mean():
    c = frontier.combine_routes((2.0, 4.0, 8.0), (1.0, 9.0, 10.0))
    assert c == {"low": 1.0, "point": 6.0, "high": 10.0, "ratio": 4.0 / 9.0}


def test_column_counts_are_the_measured_ones_plus_linking():
    counts = frontier.column_counts()
    for part, kind in (("prefill", "llama-prefill"), ("decode", "llama-decode")):
        n_c = measured_constants(kind)["committed_polys"]
        assert counts[part]["point"] == counts[part]["low"] == n_c + frontier.LINK_COLUMNS
        assert counts[part]["high"] == n_c + frontier.LINK_COLUMNS + frontier.EXTRA_TABLE_POLYS
    assert frontier.kv_link_rows(3600.0, 36.0, public=False) == 100.0
    assert frontier.kv_link_rows(3600.0, 36.0) == 3600.0 * frontier.public_rows_per_element()


def test_links_are_read_from_the_probe_chains_and_cost_rows_only_at_the_public_ends():
    per = frontier.public_rows_per_element()
    assert 1 < per < 41  # dearer than nothing, cheaper than a Poseidon hash per element
    b = frontier.boundary_elements("llama3-70b")
    assert b["low"] == 8192 and b["high"] == 28672 and b["low"] < b["point"] < b["high"]
    links = frontier.link_rows("llama3-70b", 20)
    assert links["low"] == 0 and 0 < links["point"] < links["high"]
    assert links["point"] == pytest.approx(per * (b["point"] + 2.0**21 / b["point"]))


def test_a_chunk_too_small_for_its_boundary_costs_infinitely_much():
    table = frontier.query_table("llama3-70b", logrows=[15, 20])
    first, second = table.iloc[0], table.iloc[1]
    assert first["link_rows"] > 2**15 and np.isinf(first["chunks"]) and np.isinf(first["prove_core_s"])
    assert np.isfinite(second["chunks"]) and second["link_rows"] < 2**20
    assert math.isfinite(first["chunks_low"])  # the low end links at no rows


def test_chunks_stop_at_ezkls_ceiling_for_degree_six():
    assert frontier.CHUNK_LOGROWS[0] == frontier.MIN_CHUNK_LOGROWS == 15
    assert frontier.CHUNK_LOGROWS[-1] == frontier.MAX_CHUNK_LOGROWS == 25
    assert measured_constants("llama-decode")["degree"] == 6


def test_choose_chunk_takes_the_cheapest_that_fits():
    table = pd.DataFrame({"K": [15, 16, 17], "peak_bytes_high": [1e9, 4e9, 9e9],
                          "prove_core_s": [10.0, 8.0, 5.0], "verify_core_s": [1.0, 1.0, 1.0]})
    assert frontier.choose_chunk("x", 5e9, table=table)["K"] == 16
    assert frontier.choose_chunk("x", 1e10, table=table)["K"] == 17
    chosen = frontier.choose_chunk("x", 5e9, table=table)
    assert list(chosen["tradeoff"]["feasible"]) == [True, True, False]
    with pytest.raises(ValueError, match="no chunk"):
        frontier.choose_chunk("x", 1e8, table=table)


def test_memory_budgets_start_with_the_articles_server():
    budgets = frontier.memory_budgets()
    first = next(iter(budgets))
    assert "article" in first and budgets[first] == 256 * 2**30
    assert list(budgets.values())[1:] == [2.0**40, 2.0**41]


@pytest.mark.slow
def test_query_table_is_consistent_for_a_frontier_model():
    laws = frontier.chunk_laws()
    t = frontier.query_table("llama3-8b", laws)
    assert list(t["K"]) == list(frontier.CHUNK_LOGROWS)
    # chunks too small to hold their public boundary cost infinitely much; the rest are compared
    assert np.isinf(t["chunks"]).sum() < len(t)
    t = t[np.isfinite(t["chunks"]) & np.isfinite(t["prove_core_s_high"])]
    assert (t["chunks"] * np.ldexp(1.0, t["K"]) >= t["rows"]).all()
    assert t["peak_bytes"].is_monotonic_increasing and (t["peak_bytes_low"] <= t["peak_bytes_high"]).all()
    for name in ("prove_a_core_s", "prove_b_core_s", "prove_core_s", "verify_core_s"):
        assert (t[f"{name}_low"] <= t[name]).all() and (t[name] <= t[f"{name}_high"]).all(), name
    # two independent routes to one number agree within a factor of 1.25 at every chunk size
    assert t["ratio_a_over_b"].between(0.8, 1.25).all()
    assert (t["distinct_circuits_low"] <= t["distinct_circuits_high"]).all()
    routes = frontier.routes_table(22, ["llama3-8b"], laws)
    row = routes.iloc[0]
    assert row["low"] <= min(row["a_low"], row["b_low"]) and row["high"] >= max(row["a_high"], row["b_high"])
    assert math.isclose(row["point"], math.sqrt(row["a_point"] * row["b_point"]))


@functools.lru_cache(maxsize=1)
def synthetic_chunk_laws() -> frontier.ChunkLaws:
    """Every chunk law the same synthetic transformer prove-time law (fast: no committed proofs)."""
    lc = synthetic_choice()
    return frontier.ChunkLaws(prove=lc, setup=lc, verify=lc, peak=lc, prove_peak=lc, pk=lc, ns_per_field_mult=lc,
                              threads=2, committed_polys=30.0, hardware_tag="synthetic", max_logrows=18)


def test_chunk_intervals_take_each_end_from_the_same_end_of_the_envelope():
    """Per chunk, the low and high ends are the law envelope's low and high ends (never its point) times
    the committed-polynomial bound of the same end, per core for times; route B is the prover work at
    that bound times the envelope of the time per field multiplication."""
    from chasm.costmodel.prover import prover_constants, prover_work

    laws = synthetic_chunk_laws()
    polys = {"low": 30.0, "point": 33.0, "high": 40.0}
    ks = [20, 22]
    table = frontier.chunk_table(laws, polys, ks)
    env = frontier.law_envelope(laws.prove, np.ldexp(1.0, ks))
    assert np.all(env["high"] > 1.2 * env["point"]) and np.all(env["low"] < env["point"] / 1.2)
    for name, factor in (("prove_core_s", 2), ("setup_core_s", 2), ("verify_core_s", 2), ("peak_bytes", 1),
                         ("prove_peak_bytes", 1), ("pk_bytes", 1)):
        for end, col in (("point", name), ("low", f"{name}_low"), ("high", f"{name}_high")):
            np.testing.assert_allclose(table[col], env[end] * factor * polys[end] / 30.0, rtol=1e-12,
                                       err_msg=col)
    for end, col in (("point", "prove_b_core_s"), ("low", "prove_b_core_s_low"), ("high", "prove_b_core_s_high")):
        work = np.array([float(prover_work(k).subs(prover_constants("llama-decode", polys[end]))) for k in ks])
        np.testing.assert_allclose(table[col], work * env[end] / 1e9, rtol=1e-12, err_msg=col)


def test_query_intervals_sum_the_same_end_of_every_chunk():
    """A query's summed cost at each end lies between its chunk count times the cheapest and the dearest
    per-chunk cost of that end over the query's two kinds of chunk; its per-circuit costs are the larger."""
    laws = synthetic_chunk_laws()
    ks = [22]
    q = frontier.query_table("llama3-8b", laws, ks)
    counts = frontier.column_counts()
    parts = [frontier.chunk_table(laws, counts[p], ks, kind=f"llama-{p}") for p in ("prefill", "decode")]
    for end in ("low", "point", "high"):
        sfx = "" if end == "point" else f"_{end}"
        chunks = q[f"chunks{sfx}"].to_numpy()
        for name, col in (("prove_a_core_s", "prove_core_s"), ("prove_b_core_s", "prove_b_core_s"),
                          ("verify_core_s", "verify_core_s")):
            per = np.array([p[col + sfx].to_numpy() for p in parts])
            got = q[name + sfx].to_numpy()
            assert np.all(got >= chunks * per.min(axis=0) * (1 - 1e-12)), (name, end)
            assert np.all(got <= chunks * per.max(axis=0) * (1 + 1e-12)), (name, end)
        for name in ("peak_bytes", "setup_core_s", "pk_bytes"):
            np.testing.assert_allclose(q[name + sfx], np.maximum(*[p[name + sfx].to_numpy() for p in parts]),
                                       rtol=1e-12)


def test_chunk_laws_are_kept_on_disk_and_refitted_when_the_cache_is_unreadable(tmp_path, monkeypatch):
    """The fits are cached on disk per digest of their inputs: a second kernel reads them instead of
    fitting; a corrupt cache file is ignored and replaced."""
    monkeypatch.setenv("CHASM_CACHE", str(tmp_path))
    frontier._chunk_laws_cached.cache_clear()
    try:
        first = frontier.chunk_laws()
        stored = list((tmp_path / "laws").glob("chunk-laws-*.pickle"))
        assert len(stored) == 1
        frontier._chunk_laws_cached.cache_clear()
        monkeypatch.setattr(frontier, "_fit_chunk_laws", lambda *a: (_ for _ in ()).throw(AssertionError("refit")))
        again = frontier.chunk_laws()  # from disk: no fit
        assert again.threads == first.threads and again.hardware_tag == first.hardware_tag
        assert again.prove.chosen.candidate.name == first.prove.chosen.candidate.name
        stored[0].write_bytes(b"not a pickle")
        frontier._chunk_laws_cached.cache_clear()
        monkeypatch.setattr(frontier, "_fit_chunk_laws", lambda *a: first)
        assert frontier.chunk_laws() is first  # unreadable: recomputed
    finally:
        frontier._chunk_laws_cached.cache_clear()


def test_the_laws_cache_key_changes_with_the_data(tmp_path):
    proofs = paths.data_dir() / "measurements" / "proofs.csv"
    copy = tmp_path / "proofs.csv"
    copy.write_bytes(proofs.read_bytes())
    key = frontier._laws_digest(str(copy), None)
    assert key == frontier._laws_digest(str(copy), None)
    copy.write_bytes(proofs.read_bytes() + b"\n")
    assert frontier._laws_digest(str(copy), None) != key
    assert frontier._laws_digest(str(proofs), "other-machine") != frontier._laws_digest(str(proofs), None)


def test_choose_chunk_at_the_budget_and_by_prover_plus_verifier_time():
    """A chunk whose high peak equals the budget fits; the cheapest is by prover plus verifier time; the
    refusal names the budget in GiB."""
    table = pd.DataFrame({"K": [15, 16, 17], "peak_bytes_high": [1e9, 4e9, 9e9],
                          "prove_core_s": [10.0, 6.0, 7.0], "verify_core_s": [0.0, 5.0, 1.0]})
    chosen = frontier.choose_chunk("x", 9e9, table=table)
    assert chosen["K"] == 17 and chosen["budget_bytes"] == 9e9
    assert chosen["costs"]["K"] == 17 and list(chosen["tradeoff"]["feasible"]) == [True, True, True]
    assert frontier.choose_chunk("x", 4e9, table=table)["K"] == 15  # 10 + 0 beats 6 + 5
    with pytest.raises(ValueError, match="fits 1 GiB"):
        frontier.choose_chunk("x", 2.0**30 * 0.9, table=table)


def test_memory_budgets_are_named():
    assert list(frontier.memory_budgets()) == ["256 GiB (the article's prover server)", "1 TiB", "2 TiB"]


def test_routes_table_puts_each_models_two_routes_side_by_side(monkeypatch):
    """One row per model at the chunk size asked for: route A, route B, their ratio and the combined interval
    are the query table's own columns; without arguments every frontier model, with the committed laws."""
    from chasm.costmodel.llama import list_architectures

    laws = synthetic_chunk_laws()
    routes = frontier.routes_table(22, ["llama3-70b", "llama3-8b"], laws)
    assert list(routes["arch_id"]) == ["llama3-70b", "llama3-8b"] and (routes["K"] == 22).all()
    assert list(routes.columns) == ["arch_id", "K", "a_low", "a_point", "a_high", "b_low", "b_point", "b_high",
                                    "ratio_a_over_b", "low", "point", "high", "chunks"]
    for _, row in routes.iterrows():
        q = frontier.query_table(row["arch_id"], laws, [22]).iloc[0]
        for end, sfx in (("low", "_low"), ("point", ""), ("high", "_high")):
            assert row[f"a_{end}"] == q[f"prove_a_core_s{sfx}"] and row[f"b_{end}"] == q[f"prove_b_core_s{sfx}"]
            assert row[end] == q[f"prove_core_s{sfx}"]
        assert row["ratio_a_over_b"] == q["ratio_a_over_b"] and row["chunks"] == q["chunks"]
        assert row["a_low"] < row["a_point"] < row["a_high"] and row["b_low"] < row["b_point"] < row["b_high"]
    assert routes.loc[0, "a_point"] > 5 * routes.loc[1, "a_point"]  # 70B costs more than 8B
    used, asked = [], []
    row = frontier.query_table("llama3-8b", laws, [22])
    monkeypatch.setattr(frontier, "chunk_laws", lambda *a: used.append(a) or laws)
    monkeypatch.setattr(frontier, "query_table", lambda arch, given, ks: asked.append((arch, given, ks)) or row)
    every = frontier.routes_table(22)
    assert used == [()] and list(every["arch_id"]) == list(list_architectures())
    assert asked == [(arch, laws, [22]) for arch in list_architectures()]
    assert (every["point"] == routes.loc[1, "point"]).all()


def test_chunk_laws_are_keyed_by_the_proofs_file_its_version_and_the_machine(monkeypatch):
    asked = []
    monkeypatch.setattr(frontier, "_chunk_laws_cached", lambda *key: asked.append(key) or "laws")
    assert frontier.chunk_laws("box-16") == "laws" and frontier.chunk_laws() == "laws"
    proofs = paths.data_dir() / frontier.PROOFS
    assert asked == [(str(proofs), proofs.stat().st_mtime, "box-16"), (str(proofs), proofs.stat().st_mtime, None)]


def test_the_laws_cache_key_follows_the_cost_model_tables_and_the_code_of_three_stages(tmp_path, monkeypatch):
    """A changed circuit_constants.csv or layouts.csv, or a changed source file of core, laws or costmodel,
    is a new key; a file of another stage is not part of it."""
    root = tmp_path / "repo"
    tables = root / "data" / "measurements"
    tables.mkdir(parents=True)
    for name in ("proofs.csv", "circuit_constants.csv", "layouts.csv"):
        (tables / name).write_text(name)
    package = tmp_path / "chasm"
    for stage in ("core", "laws", "costmodel", "report"):
        (package / stage).mkdir(parents=True)
        (package / stage / "a.py").write_text(stage)
    monkeypatch.setenv("CHASM_ROOT", str(root))
    monkeypatch.setattr(frontier, "__file__", str(package / "laws" / "frontier.py"))
    key = lambda: frontier._laws_digest(str(tables / "proofs.csv"), None)  # noqa: E731
    first = key()
    assert key() == first
    (package / "report" / "a.py").write_text("changed")
    assert key() == first
    assert len(first) == 32 and int(first, 16) >= 0
    seen = {first}
    for changed in [tables / "circuit_constants.csv", tables / "layouts.csv"] + [package / s / "a.py" for s in
                                                                                 ("core", "laws", "costmodel")]:
        changed.write_text("changed")
        assert key() not in seen, changed
        seen.add(key())
    (tables / "layouts.csv").unlink()  # a table not yet measured is part of the key too
    assert key() not in seen and key() == key()


def test_choose_chunk_without_a_table_reads_the_query_table_of_the_model_and_laws_given(monkeypatch):
    table = pd.DataFrame({"K": [15, 16], "peak_bytes_high": [1e9, 4e9], "prove_core_s": [10.0, 6.0],
                          "verify_core_s": [1.0, 1.0]})
    asked = []
    monkeypatch.setattr(frontier, "query_table", lambda arch, laws: asked.append((arch, laws)) or table)
    chosen = frontier.choose_chunk("llama3-8b", 5e9, "the laws")
    assert asked == [("llama3-8b", "the laws")] and chosen["K"] == 16
    assert "feasible" not in table  # the caller's table is not modified


def test_the_chunk_laws_fit_each_quantity_of_the_transformer_runs_with_its_field_mult_time(monkeypatch):
    """_with_field_mult_time maps each run's implied time per field multiplication and committed columns by its
    run id (NaN where the run's time was dropped for contention); _fit_chunk_laws fits each quantity of the
    transformer family on those runs (the time per field multiplication with the rate candidates) and takes
    the threads, columns and largest size of the family's runs only. Stated runs and stand-in fits."""
    import chasm.costmodel.timing as timing

    runs = pd.DataFrame({"run_id": ["t1", "t2", "t3", "m1"], "family": ["transformer"] * 3 + ["mlp"],
                         "prove_s": [10.0, np.nan, 30.0, 5.0], "prove_threads": [2, 4, 4, 16],
                         "logrows": [15, 16, 17, 20]})
    implied = pd.DataFrame({"run_id": ["m1", "t3", "t2", "t1"], "committed_polys": [99.0, 40.0, 36.0, 30.0],
                            "cpu_ns_per_field_mult": [9.0, 3.0, 2.0, 1.0]})
    asked_time = []
    monkeypatch.setattr(timing, "implied_field_mult_time", lambda time: asked_time.append(time) or implied)
    out = frontier._with_field_mult_time(runs)
    assert asked_time == ["wall"] and "ns_per_field_mult" not in runs  # a copy
    assert list(out["committed_polys"]) == [30.0, 36.0, 40.0, 99.0]
    np.testing.assert_array_equal(out["ns_per_field_mult"], [1.0, np.nan, 3.0, 9.0])

    fitted = []
    monkeypatch.setattr(frontier, "select_runs", lambda frame, tag: (runs, "box-16") if frame == "the table" else None)
    monkeypatch.setattr(frontier.data, "load_table", lambda path: "the table")
    monkeypatch.setattr(frontier, "fit_quantity", lambda r, fam, q, **kw: fitted.append((list(r.columns), fam, q, kw))
                        or f"law of {q}")
    laws = frontier._fit_chunk_laws("proofs.csv", None)
    assert [(fam, q) for _, fam, q, _ in fitted] == [("transformer", q) for q in (
        "prove_s", "setup_s", "verify_compute_s", "peak_rss_bytes", "prove_peak_rss_bytes", "pk_bytes",
        "ns_per_field_mult")]
    assert all("ns_per_field_mult" in cols for cols, _, _, _ in fitted)
    assert [kw for *_, kw in fitted] == [{}] * 6 + [{"candidates": frontier.RATE_CANDIDATES}]
    assert (laws.prove, laws.setup, laws.verify, laws.peak, laws.prove_peak, laws.pk, laws.ns_per_field_mult) == (
        "law of prove_s", "law of setup_s", "law of verify_compute_s", "law of peak_rss_bytes",
        "law of prove_peak_rss_bytes", "law of pk_bytes", "law of ns_per_field_mult")
    assert (laws.threads, laws.committed_polys, laws.hardware_tag, laws.max_logrows) == (4, 36.0, "box-16", 17)
    assert isinstance(laws.threads, int) and isinstance(laws.max_logrows, int)


def test_a_chunk_holds_its_rows_less_the_blinding_rows_and_its_links():
    useful = 2**10 - frontier.RESERVED_BLINDING_ROWS
    assert frontier._chunks(3 * useful, 10) == 3.0  # no link by default: exactly three full chunks
    assert frontier._chunks(3 * useful + 1, 10) == 4.0
    assert frontier._chunks(3 * (useful - 5), 10, 5.0) == 3.0 and frontier._chunks(3 * useful, 10, 5.0) == 4.0
    assert frontier._chunks(1.0, 10, useful) == math.inf and frontier._chunks(1.0, 10, useful - 1) == 1.0


def test_query_table_by_known_answers_with_stated_parts(monkeypatch):
    """A query of stated rows, prefill share, cache and decoding steps, over chunk circuits of stated costs:
    every column of the query table worked out by hand from the documented rules."""
    R = frontier.RESERVED_BLINDING_ROWS
    # links fill half a chunk at the point; the prefill's rows at the point fill exactly 3 chunks
    links = {"low": 0.0, "point": 2.0**19, "high": 2.0**19 + 1000}
    point_rows = 4 * 3 * (2**20 - R - 2**19)
    work = {"rows": {"low": 4e6, "point": point_rows, "high": 9e6}, "flops": 1.5e15, "prefill_share": 0.25,
            "kv_elements": 3.6e6, "decode_steps": 9}
    counts = {"prefill": {"low": 30.0, "point": 30.0, "high": 40.0}, "decode": {"low": 33.0, "point": 36.0, "high": 46.0}}
    # per chunk proof, per part and end: prefill chunks cost 1x, decoding chunks 3x; ends 0.5x, 1x, 2x
    base = {"prove_core_s": 10.0, "prove_b_core_s": 12.0, "verify_core_s": 0.5, "peak_bytes": 4e9,
            "prove_peak_bytes": 3e9, "setup_core_s": 20.0, "pk_bytes": 2e9}
    part_factor, end_factor = {"llama-prefill": 1.0, "llama-decode": 3.0}, {"low": 0.5, "point": 1.0, "high": 2.0}
    made = []

    def chunk_table(laws, polys, ks, kind):
        made.append((laws, polys, list(ks), kind))
        return pd.DataFrame({frontier._col(c, e): [v * part_factor[kind] * end_factor[e]] * len(ks)
                             for c, v in base.items() for e in frontier.ENDS})

    monkeypatch.setattr(frontier, "_workload", lambda arch: work)
    monkeypatch.setattr(frontier, "column_counts", lambda: counts)
    monkeypatch.setattr(frontier, "link_rows", lambda arch, K: links)
    monkeypatch.setattr(frontier, "chunk_table", chunk_table)
    monkeypatch.setattr(frontier, "public_rows_per_element", lambda: 2.5)
    q = frontier.query_table("llama3-8b", "the laws", [20]).iloc[0]
    assert made == [("the laws", counts["prefill"], [20], "llama-prefill"),
                    ("the laws", counts["decode"], [20], "llama-decode")]
    kv = {"low": 3.6e6 / 36.0, "point": 3.6e6 * 2.5}  # the cache committed at the decoding chunks' point columns
    kv["high"] = kv["point"]
    assert (q["kv_link_rows"], q["kv_link_rows_low"]) == (kv["point"], kv["low"])
    assert q["K"] == 20 and q["flops"] == 1.5e15 and q["rows"] == point_rows
    for end in frontier.ENDS:
        useful = 2**20 - R - links[end]
        pre = math.ceil(0.25 * work["rows"][end] / useful)
        dec = math.ceil((0.75 * work["rows"][end] + kv[end]) / useful)
        f = end_factor[end]
        assert q[frontier._col("chunks", end)] == pre + dec, end
        for name, col in (("prove_a_core_s", "prove_core_s"), ("prove_b_core_s", "prove_b_core_s"),
                          ("verify_core_s", "verify_core_s")):
            assert q[frontier._col(name, end)] == pytest.approx((pre + 3 * dec) * base[col] * f, rel=1e-12), (name, end)
        for name in ("peak_bytes", "prove_peak_bytes", "setup_core_s", "pk_bytes"):
            assert q[frontier._col(name, end)] == pytest.approx(3 * base[name] * f, rel=1e-12), (name, end)
        assert q[frontier._col("link_rows", end)] == links[end]
    a = [q[frontier._col("prove_a_core_s", e)] for e in frontier.ENDS]
    b = [q[frontier._col("prove_b_core_s", e)] for e in frontier.ENDS]
    assert q["prove_core_s_low"] == min(a[0], b[0]) and q["prove_core_s_high"] == max(a[2], b[2])
    assert q["prove_core_s"] == pytest.approx(math.sqrt(a[1] * b[1])) and q["ratio_a_over_b"] == pytest.approx(a[1] / b[1])
    useful = 2**20 - R - links["point"]
    assert q["chunks"] == 3 + math.ceil((0.75 * point_rows + kv["point"]) / useful)  # not a 4th prefill chunk
    low = 3 + math.ceil((0.75 * point_rows + kv["point"]) / 9 / useful)
    high = 3 + math.ceil((0.75 * point_rows + kv["point"]) / useful)
    assert (q["distinct_circuits_low"], q["distinct_circuits_high"]) == (low, high)
    for end, n in (("low", low), ("high", high)):
        assert q[f"keygen_core_s_{end}"] == pytest.approx(n * 3 * base["setup_core_s"] * end_factor[end])
        assert q[f"pk_storage_bytes_{end}"] == pytest.approx(n * 3 * base["pk_bytes"] * end_factor[end])


def test_law_envelope_is_the_lowest_and_highest_bound_at_each_size():
    lc = synthetic_choice()
    x = np.ldexp(1.0, [14, 20, 24])
    env = frontier.law_envelope(lc, x)
    assert env["laws"] == tuple(choice.plausible_laws(lc)) and len(env["laws"]) >= 2  # more than one law
    preds = [predict(lc.fits[law], x) for law in choice.plausible_laws(lc)]
    np.testing.assert_array_equal(env["low"], np.min([p["low"] for p in preds], axis=0))
    np.testing.assert_array_equal(env["high"], np.max([p["high"] for p in preds], axis=0))
    assert env["low"].shape == env["high"].shape == (3,) and np.all(np.diff(env["low"]) > 0)


def test_combine_routes_by_known_answers_at_the_edges():
    c = frontier.combine_routes((1.0, 2.0, 3.0), (5.0, 8.0, 9.0))
    assert c == {"low": 1.0, "point": 4.0, "high": 9.0, "ratio": 0.25}  # route B's low above route A's point
    open_high = frontier.combine_routes((1.0, 2.0, math.inf), (1.0, 4.0, math.inf))
    assert open_high["ratio"] == 0.5 and open_high["high"] == math.inf  # finite points have a ratio
    for a, b in (((1.0, math.inf, math.inf), (1.0, 4.0, 5.0)), ((1.0, 2.0, 3.0), (1.0, math.inf, math.inf))):
        assert math.isnan(frontier.combine_routes(a, b)["ratio"])


def test_chunk_table_names_its_sizes_laws_and_distance_beyond_the_data():
    laws = synthetic_chunk_laws()
    polys = {"low": 30.0, "point": 30.0, "high": 30.0}
    t = frontier.chunk_table(laws, polys, [17, 20])
    assert list(t["K"]) == [17, 20] and list(t["rows"]) == [2.0**17, 2.0**20]
    assert list(t["doublings_beyond_data"]) == [17 - 18, 20 - 18]
    names = ", ".join(frontier.law_envelope(laws.prove, np.ldexp(1.0, [17, 20]))["laws"])
    assert "," in names
    for col in ("laws_prove_core_s", "laws_setup_core_s", "laws_peak_bytes", "laws_pk_bytes", "laws_prove_b_core_s"):
        assert (t[col] == names).all(), col


def test_public_rows_per_element_is_the_median_over_public_probe_chunks_that_proved(monkeypatch):
    t = pd.DataFrame({"experiment": ["probe", "probe", "probe", "probe", "chain", "probe"],
                      "mode": ["public", "public", "public", "private", "public", "public"],
                      "status": ["ok", "ok", "ok", "ok", "ok", "failed"],
                      "public_num_rows": [1100.0, 1300.0, 2000.0, 9e9, 9e9, 9e9],
                      "private_num_rows": [1000.0, 1000.0, 1000.0, 1.0, 1.0, 1.0],
                      "public_instances": [10.0, 100.0, 50.0, 1.0, 1.0, 1.0]})
    monkeypatch.setattr(frontier.data, "load_table", lambda name: t)
    assert frontier.public_rows_per_element() == 10.0  # median of 10, 3 and 20
    monkeypatch.setattr(frontier.data, "load_table", lambda name: t.iloc[3:])
    with pytest.raises(ValueError, match="has no public 'probe' chunk: run `python -m chasm linking --plan probe`"):
        frontier.public_rows_per_element()


def test_the_chunk_laws_are_fitted_on_the_machine_asked_for(monkeypatch):
    asked = []

    def select_runs(frame, hardware_tag):
        asked.append(hardware_tag)
        raise RuntimeError("stop here")

    monkeypatch.setattr(frontier, "select_runs", select_runs)
    with pytest.raises(RuntimeError, match="stop here"):
        frontier._fit_chunk_laws(str(paths.data_dir() / frontier.PROOFS), "box-16")
    assert asked == ["box-16"]
