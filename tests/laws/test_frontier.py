"""chasm.laws.frontier: a frontier query as a chain of chunk proofs, chunks chosen under a memory budget,
two routes and law envelopes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chasm.costmodel.prover import measured_constants
from chasm.laws import choice, coverage, frontier, selection
from chasm.laws.estimation import predict
from chasm.core import data, paths


def synthetic_choice(seed: int = 3) -> choice.LawChoice:
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
