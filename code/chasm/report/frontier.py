"""Tables, charts and glued phrases of the chapter "A frontier query, priced as it can be proven", built on
:mod:`chasm.laws.frontier`.

Computed from the committed measurements (``data/measurements/proofs.csv``, ``circuit_constants.csv``,
``linking.csv``, ``range_checks.csv``), the synthetic coverage study (``data/simulations/
extrapolation_coverage.csv``), the article's claims (``data/claims.csv``) and the cost model's frontier
workload. Times are core-seconds on the measuring machine (wall seconds times the prover threads); bytes are
bytes. The chapter calls these functions, shows the tables and the chart, and glues each entry of the
``{name: text}`` dictionaries as ``frontier_<name>``.
"""

from __future__ import annotations

import functools
import math

import altair as alt
import numpy as np
import pandas as pd

from chasm.core import data
from chasm.core.claims import load_claims
from chasm.core.constants import CIRCUIT_CONSTANTS, EXTRAPOLATION_COVERAGE
from chasm.core.fmt import interval, interval_text, nbytes, pct, pow2, sci
from chasm.costmodel.prover import prover_constants, prover_work
from chasm.economics.verdicts import ram_verdict, size_exponent, size_table
from chasm.laws import frontier
from chasm.report import charts

__all__ = ["FRONTIER_ARCH", "tradeoffs", "chosen_chunks", "size_facts", "question_facts", "kv_facts",
           "budget_table", "tradeoff_chart", "chunk_facts", "routes", "routes_display", "routes_facts",
           "envelope_table", "keys_table", "keys_facts", "coverage_table", "coverage_facts", "verdict_facts"]

#: The model the chapter follows through every section (the article's "100B-parameter" class).
FRONTIER_ARCH = "llama3-70b"
_ENDS = ("low", "point", "high")


def _col(name: str, end: str) -> str:
    return name if end == "point" else f"{name}_{end}"


def _iv(row, name: str) -> str:
    return interval_text(row[_col(name, "point")], row[_col(name, "low")], row[_col(name, "high")])


# ------------------------------------------------------------------ cached computations


@functools.lru_cache(maxsize=8)
def tradeoffs(arch_id: str = FRONTIER_ARCH) -> pd.DataFrame:
    """:func:`chasm.laws.frontier.query_table` of ``arch_id`` at every chunk size (cached): per-query
    core-seconds and chunk counts, per-chunk bytes, each with ``_low``/``_high``."""
    return frontier.query_table(arch_id, frontier.chunk_laws())


@functools.lru_cache(maxsize=8)
def chosen_chunks(arch_id: str = FRONTIER_ARCH) -> pd.DataFrame:
    """Per memory budget (:func:`chasm.laws.frontier.memory_budgets`): ``budget``, ``budget_bytes``, the chosen
    chunk logrows ``K`` (:func:`chasm.laws.frontier.choose_chunk`) and ``K_max``, the largest chunk whose 95%
    high bound of peak memory (bytes) fits the budget."""
    table = tradeoffs(arch_id)
    rows = []
    for name, budget in frontier.memory_budgets().items():
        c = frontier.choose_chunk(arch_id, budget, table=table)
        fits = c["tradeoff"].loc[c["tradeoff"]["feasible"], "K"]
        rows.append({"budget": name, "budget_bytes": budget, "K": c["K"], "K_max": int(fits.max())})
    return pd.DataFrame(rows)


def _chosen_K(arch_id: str = FRONTIER_ARCH) -> int:
    return int(chosen_chunks(arch_id)["K"].iloc[0])


# ------------------------------------------------------------------ 1. question


def _measured_min_logrows() -> int:
    from chasm.laws.choice import measured_range

    return measured_range(_fitted_runs(), frontier.FAMILY)[0]


@functools.lru_cache(maxsize=1)
def _fitted_runs() -> pd.DataFrame:
    from chasm.core.constants import PROOFS
    from chasm.laws.selection import select_runs

    return select_runs(data.load_table(PROOFS), frontier.chunk_laws().hardware_tag)[0]


def question_facts() -> dict[str, str]:
    """The article's numbers the chapter bears on (``ram_gib``: claim ``ram_proving``; ``latency_low`` and
    ``latency_high``: claim ``latency_proving``, seconds), the measuring machine (``hardware``, ``threads``) and
    the query (``arch``, ``ks``: the chunk sizes considered, ``k_min``/``k_max``)."""
    claims = load_claims().set_index("claim_id")
    laws = frontier.chunk_laws()
    return {"ram_gib": f"{claims.loc['ram_proving', 'claimed_low']:.0f}",
            "latency_low": f"{claims.loc['latency_proving', 'claimed_low']:.0f}",
            "latency_high": f"{claims.loc['latency_proving', 'claimed_high']:.0f}",
            "ezkl_version": str(data.load_table(CIRCUIT_CONSTANTS)["ezkl_version"].iloc[0]),
            "hardware": laws.hardware_tag, "data_k_min": str(int(_measured_min_logrows())), "threads": str(laws.threads), "arch": FRONTIER_ARCH,
            "k_min": str(frontier.MIN_CHUNK_LOGROWS), "k_max": str(frontier.MAX_CHUNK_LOGROWS),
            "data_k_max": str(laws.max_logrows), "data_rows_min": pow2(_measured_min_logrows()),
            "data_rows_max": pow2(laws.max_logrows)}


# ------------------------------------------------------------------ 2. constants


# ------------------------------------------------------------------ 3. linking


def kv_facts(arch_id: str = FRONTIER_ARCH) -> dict[str, str]:
    """Glued text of the modelled KV-cache linking of ``arch_id``'s query: ``kv_elements`` (cached elements the
    decoding steps read, summed), ``kv_rows`` (their row-equivalents, :func:`chasm.laws.frontier.kv_link_rows`) and
    ``kv_share`` (of the query's rows, %), ``decode_steps``."""
    from chasm.costmodel.frontier import frontier_workload

    w = frontier_workload(arch_id)
    kv_rows = float(tradeoffs(arch_id)["kv_link_rows"].iloc[0])
    return {"kv_elements": sci(w.kv_elements_per_query), "kv_rows": sci(kv_rows),
            "kv_share": pct(kv_rows / w.rows_per_query, 2), "decode_steps": str(w.generated_tokens - 1),
            "decode_polys": f"{frontier.column_counts()['decode']['point']:.0f}"}


# ------------------------------------------------------------------ 4. range feasibility


# ------------------------------------------------------------------ 5. chunk size under a budget


def budget_table(arch_id: str = FRONTIER_ARCH) -> pd.DataFrame:
    """The trade-off of ``arch_id`` per chunk size: chunk proofs per query, per-query prover core-seconds (both
    routes combined, 95% interval), per-chunk peak memory (point and 95% high bound) and the budgets it fits."""
    t = tradeoffs(arch_id)
    budgets = frontier.memory_budgets()
    chosen = chosen_chunks(arch_id).set_index("budget")["K"]
    fits = [", ".join(name.split(" (")[0] for name, b in budgets.items() if r["peak_bytes_high"] <= b) or "none"
            for _, r in t.iterrows()]
    chosen_at = [", ".join(name.split(" (")[0] for name in budgets if chosen[name] == k) for k in t["K"]]
    return pd.DataFrame({"K": t["K"], "chunk proofs": t["chunks"].map(sci),
                         "prover core-s per query": interval(t["prove_core_s_low"], t["prove_core_s"], t["prove_core_s_high"]),
                         "peak memory per chunk": [f"{nbytes(p)} (≤ {nbytes(h)})" for p, h in zip(t["peak_bytes"], t["peak_bytes_high"])],
                         "fits": fits, "chosen at": chosen_at})


def tradeoff_chart(arch_id: str = FRONTIER_ARCH):
    """Two panels sharing the chunk logrows ``K``: per-query prover core-seconds (both routes, 95% band) and
    per-chunk peak memory (point, 95% band) against the memory budgets (dashed rules), log scales."""
    t = tradeoffs(arch_id)
    frame = pd.DataFrame({"K": t["K"], "prove": t["prove_core_s"], "prove_low": t["prove_core_s_low"],
                          "prove_high": t["prove_core_s_high"], "mem_gib": t["peak_bytes"] / 2**30,
                          "mem_low_gib": t["peak_bytes_low"] / 2**30, "mem_high_gib": t["peak_bytes_high"] / 2**30})
    x = alt.X("K:Q", title="chunk logrows K (chunk of 2^K rows)", scale=alt.Scale(domain=[int(t["K"].min()), int(t["K"].max())]))
    width, height = charts.WIDTH, 170
    base = alt.Chart(frame).encode(x=x)
    cost = (base.mark_area(opacity=0.25, color=charts.PALETTE["proving"]).encode(
                y=alt.Y("prove_low:Q", scale=alt.Scale(type="log"), title="prover core-s per query"), y2="prove_high:Q")
            + base.mark_line(point=True, color=charts.PALETTE["proving"]).encode(
                y="prove:Q", tooltip=["K", alt.Tooltip("prove:Q", format=".3g"), alt.Tooltip("prove_low:Q", format=".3g"),
                                      alt.Tooltip("prove_high:Q", format=".3g")])
            ).properties(width=width, height=height, title="prover core-seconds per query")
    budgets = pd.DataFrame([{"budget": n.split(" (")[0], "gib": b / 2**30} for n, b in frontier.memory_budgets().items()])
    mem = (base.mark_area(opacity=0.25, color=charts.PALETTE["verify"]).encode(
               y=alt.Y("mem_low_gib:Q", scale=alt.Scale(type="log"), title="peak memory per chunk (GiB)"), y2="mem_high_gib:Q")
           + base.mark_line(point=True, color=charts.PALETTE["verify"]).encode(
               y="mem_gib:Q", tooltip=["K", alt.Tooltip("mem_gib:Q", format=".3g"), alt.Tooltip("mem_high_gib:Q", format=".3g")])
           + alt.Chart(budgets).mark_rule(strokeDash=[4, 3], color=charts.PALETTE["neutral"]).encode(y="gib:Q", tooltip=["budget", "gib"])
           + alt.Chart(budgets).mark_text(align="left", dx=4, dy=-6, color=charts.PALETTE["neutral"]).encode(
               y="gib:Q", x=alt.value(0), text="budget:N")
           ).properties(width=width, height=height, title="peak memory per chunk proof")
    return alt.vconcat(cost, mem).properties(title=f"{arch_id}: one query, proven as a chain of chunks")


def chunk_facts(arch_id: str = FRONTIER_ARCH) -> dict[str, str]:
    """Glued text of the chunk choice: ``k_<i>``/``kmax_<i>`` (chosen and largest fitting logrows per budget,
    ``i`` = 256 (the article's), ``1t``, ``2t``), ``mem_chosen``/``mem_chosen_high`` (peak memory per chunk at the
    article's budget's choice), ``mem_kmax_high``, ``k_free`` (the cheapest size with no budget) and ``choice``,
    the linking (``boundary_low/point/high``: input elements a chunk links, ``link_per_element``: rows per public
    element, ``link_rows_chosen`` and ``link_share_chosen``: at the chosen size, ``k_unfit_max``/``k_unfit_note``:
    sizes too small to hold their boundary), the per-row trends (``rate_low``/``rate_high``: measured
    core-ns per row at the smallest and largest K, route A; ``ns_low``/``ns_high``: measured ns per field
    multiplication; ``fm_low``/``fm_high``: the cost model's field multiplications per row), and the premium of
    the largest fitting chunk over the chosen one (``kmax_premium``, %)."""
    c = chosen_chunks(arch_id)
    t = tradeoffs(arch_id).set_index("K")
    out = {}
    for key, (_, r) in zip(("256", "1t", "2t"), c.iterrows()):
        out[f"k_{key}"], out[f"kmax_{key}"] = str(r["K"]), str(r["K_max"])
    K, K_max = int(c["K"].iloc[0]), int(c["K_max"].iloc[0])
    out["mem_chosen"], out["mem_chosen_high"] = nbytes(t.loc[K, "peak_bytes"]), nbytes(t.loc[K, "peak_bytes_high"])
    out["mem_kmax_high"] = nbytes(t.loc[K_max, "peak_bytes_high"])
    out["kmax_premium"] = pct(t.loc[K_max, "prove_core_s"] / t.loc[K, "prove_core_s"] - 1, 0)
    out["all_same"] = "yes" if c["K"].nunique() == 1 else "no"
    out["rows_chosen"] = pow2(K)
    free = int(t.index[(t["prove_core_s"] + t["verify_core_s"]).to_numpy().argmin()])
    out["k_free"] = str(free)
    out["choice"] = ("the cheapest of all sizes, so the budget does not bind" if (c["K"] == free).all()
                     else "not the cheapest of all sizes: the budget binds")
    for key, name in zip(("256", "1t", "2t"), c["budget"]):
        out[f"budget_{key}"] = name.split(" (")[0]
    laws = frontier.chunk_laws()
    counts = frontier.column_counts()["decode"]
    ct = frontier.chunk_table(laws, counts, (frontier.MIN_CHUNK_LOGROWS, frontier.MAX_CHUNK_LOGROWS))
    per_row = 1e9 * ct["prove_core_s"] / ct["rows"]
    out["rate_low"], out["rate_high"] = f"{per_row.iloc[0]:,.0f}", f"{per_row.iloc[-1]:,.0f}"
    ns = frontier.law_envelope(laws.ns_per_field_mult, ct["rows"].to_numpy())["point"]
    out["ns_low"], out["ns_high"] = f"{ns[0]:.1f}", f"{ns[-1]:.1f}"
    consts = prover_constants("llama-decode", counts["point"])
    fm = [float(prover_work(int(k)).subs(consts)) / 2.0**int(k) for k in ct["K"]]
    out["fm_low"], out["fm_high"] = f"{fm[0]:,.0f}", f"{fm[-1]:,.0f}"
    out["k_lo"], out["k_hi"] = str(int(ct["K"].iloc[0])), str(int(ct["K"].iloc[-1]))
    b = frontier.boundary_elements(arch_id)
    out["boundary_low"], out["boundary_point"], out["boundary_high"] = (f"{b[e]:,.0f}" for e in ("low", "point", "high"))
    out["link_per_element"] = f"{frontier.public_rows_per_element():.2f}"
    out["link_rows_chosen"] = f"{t.loc[K, 'link_rows']:,.0f}"
    out["link_share_chosen"] = pct(t.loc[K, "link_rows"] / 2.0**K, 1)
    unfit = [int(k) for k in t.index if not math.isfinite(t.loc[k, "chunks"])]
    out["k_unfit_max"] = str(max(unfit)) if unfit else "none"
    out["k_unfit_note"] = (f"chunks of up to 2^{max(unfit)} rows cannot even hold their public boundary"
                           if unfit else "every chunk size holds its public boundary")
    return out


# ------------------------------------------------------------------ 6. routes


@functools.lru_cache(maxsize=4)
def routes(K: int | None = None) -> pd.DataFrame:
    """:func:`chasm.laws.frontier.routes_table` at chunk logrows ``K`` (default: the chunk chosen for the
    frontier model under the article's budget) for every Llama-3 model; core-seconds per query."""
    return frontier.routes_table(_chosen_K() if K is None else K, laws=frontier.chunk_laws())


def routes_display(K: int | None = None) -> pd.DataFrame:
    """:func:`routes` formatted: route A (fitted prove-time laws), route B (cost model × measured time per field
    multiplication), their ratio and the combined 95% interval, per-query prover core-seconds."""
    r = routes(K)
    return pd.DataFrame({"model": r["arch_id"], "K": r["K"], "chunk proofs": r["chunks"].map(sci),
                         "A: fitted laws": interval(r["a_low"], r["a_point"], r["a_high"]),
                         "B: cost model × ns per field mult": interval(r["b_low"], r["b_point"], r["b_high"]),
                         "A / B": r["ratio_a_over_b"].map(lambda v: f"{v:.3f}"),
                         "combined": interval(r["low"], r["point"], r["high"])})


def routes_facts() -> dict[str, str]:
    """Glued text: ``a``/``b``/``combined`` (intervals, core-s per query, frontier model, chosen K), ``ratio``,
    ``ratio_min``/``ratio_max`` over models and both K shown, ``combined_kmax`` (at the largest chunk that fits
    the article's budget), ``core_years`` (combined point in core-years), ``cores_latency`` (cores needed to
    prove one query within the article's upper proving latency, point and interval), ``flops`` (the query's
    inference FLOPs), ``same_cols_k``/``same_cols_kmax``/``same_cols_ktop`` (the ratio for one chunk with the
    measured circuits' own ``measured_polys`` committed polynomials, at the chosen, the largest fitting and the
    largest chunk)."""
    K, K_max = _chosen_K(), int(chosen_chunks()["K_max"].iloc[0])
    r, rm = routes(K).set_index("arch_id").loc[FRONTIER_ARCH], routes(K_max).set_index("arch_id").loc[FRONTIER_ARCH]
    ratios = pd.concat([routes(K)["ratio_a_over_b"], routes(K_max)["ratio_a_over_b"]])
    latency = float(load_claims().set_index("claim_id").loc["latency_proving", "claimed_high"])
    year = 365.25 * 86400
    return {"a": interval_text(r["a_point"], r["a_low"], r["a_high"]),
            "b": interval_text(r["b_point"], r["b_low"], r["b_high"]),
            "combined": interval_text(r["point"], r["low"], r["high"]), "ratio": f"{r['ratio_a_over_b']:.3f}",
            "ratio_min": f"{ratios.min():.3f}", "ratio_max": f"{ratios.max():.3f}",
            "combined_kmax": interval_text(rm["point"], rm["low"], rm["high"]),
            "core_years": interval_text(r["point"] / year, r["low"] / year, r["high"] / year),
            "cores_latency": interval_text(r["point"] / latency, r["low"] / latency, r["high"] / latency),
            "flops": sci(float(tradeoffs()["flops"].iloc[0])),
            **{f"same_cols_{name}": f"{_ratio_at_measured_columns(k):.3f}" for name, k in (("k", K), ("kmax", K_max))},
            "same_cols_ktop": f"{_ratio_at_measured_columns(frontier.MAX_CHUNK_LOGROWS):.3f}",
            "measured_polys": f"{frontier.chunk_laws().committed_polys:.0f}"}


def _ratio_at_measured_columns(K: int) -> float:
    """Route A over route B for one chunk of ``2^K`` rows with the measured circuits' own committed
    polynomials: what is left of the ratio when no scaling to the chunk's columns is involved."""
    laws = frontier.chunk_laws()
    n = {end: laws.committed_polys for end in _ENDS}
    t = frontier.chunk_table(laws, n, (K,), kind=frontier.FAMILY)
    return float(t["prove_core_s"].iloc[0] / t["prove_b_core_s"].iloc[0])


def envelope_table() -> pd.DataFrame:
    """The laws in each envelope (:func:`chasm.laws.frontier.law_envelope`): per quantity, the law
    cross-validation chose and every law it cannot rule out."""
    laws = frontier.chunk_laws()
    rows = []
    for name, choice in (("prove time (route A)", laws.prove), ("ns per field mult (route B)", laws.ns_per_field_mult),
                         ("setup time", laws.setup), ("verify time", laws.verify), ("peak memory", laws.peak),
                         ("proving key", laws.pk)):
        plausible = frontier.law_envelope(choice, np.array([2.0**20]))["laws"]
        rows.append({"quantity": name, "chosen": plausible[0], "also not ruled out": ", ".join(plausible[1:]) or "none"})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ 7. keys


def keys_table(arch_id: str = FRONTIER_ARCH) -> pd.DataFrame:
    """Keys of ``arch_id``'s chunk circuits at the chosen K, low (a decoding step's chunks reused at every step)
    and high (every chunk its own circuit): distinct circuits, key-generation core-seconds, proving-key storage
    (bytes), and key generation in units of one query's proving (core-seconds ratio)."""
    r = tradeoffs(arch_id).set_index("K").loc[_chosen_K(arch_id)]
    rows = []
    for end, what in (("low", "decode circuits shared by all steps"), ("high", "every chunk its own circuit")):
        rows.append({"bound": end, "assumes": what, "distinct circuits": sci(r[f"distinct_circuits_{end}"]),
                     "key generation (core-s)": sci(r[f"keygen_core_s_{end}"]),
                     "proving keys stored (bytes)": sci(r[f"pk_storage_bytes_{end}"]),
                     "queries' proving it equals": f"{r[f'keygen_core_s_{end}'] / r['prove_core_s']:.3g}"})
    return pd.DataFrame(rows)


def keys_facts(arch_id: str = FRONTIER_ARCH) -> dict[str, str]:
    """Glued text: ``keygen_q_low``/``keygen_q_high`` (key generation over one query's proving, points),
    ``pk_low``/``pk_high`` (storage), ``regen_frac`` (regenerating every chunk's keys at each query instead of
    storing them, over the query's proving, %), ``pk_chunk`` (one chunk's proving key, 95% interval, and
    ``pk_chunk_text``), ``pk_ram_low``/``pk_ram_high`` (the key store over the article's prover memory)."""
    r = tradeoffs(arch_id).set_index("K").loc[_chosen_K(arch_id)]
    ram = float(load_claims().set_index("claim_id").loc["ram_proving", "claimed_low"]) * 2**30
    regen = r["chunks"] * r["setup_core_s"] / r["prove_core_s"]
    return {"keygen_q_low": f"{r['keygen_core_s_low'] / r['prove_core_s']:.3g}",
            "keygen_q_high": f"{r['keygen_core_s_high'] / r['prove_core_s']:.3g}",
            "pk_low": sci(r["pk_storage_bytes_low"]), "pk_high": sci(r["pk_storage_bytes_high"]),
            "regen_frac": pct(regen, 0), "pk_chunk": interval_text(r["pk_bytes"], r["pk_bytes_low"], r["pk_bytes_high"]),
            "pk_chunk_text": nbytes(r["pk_bytes"]),
            "pk_ram_low": sci(r["pk_storage_bytes_low"] / ram), "pk_ram_high": sci(r["pk_storage_bytes_high"] / ram)}


# ------------------------------------------------------------------ 8. coverage


def coverage_table() -> pd.DataFrame:
    """The synthetic extrapolation study (``data/simulations/extrapolation_coverage.csv``): per scenario and
    distance, coverage of a fresh run by the chosen law's 95% interval and by the envelope (%, with the 95%
    Wilson interval of a binomial share over the sweeps), and their median widths (high / low)."""
    from chasm.report.scaling import wilson

    t = data.load_table(EXTRAPOLATION_COVERAGE)
    n = dict(zip(t.index, t["datasets"]))

    def cov(p, i):
        lo, hi = wilson(p * n[i], int(n[i]))
        return f"{100 * p:.1f}% ({100 * lo:.1f} to {100 * hi:.1f})"

    return pd.DataFrame({"true law": t["true_law"], "a candidate": t["in_candidates"].map({True: "yes", False: "no"}),
                         "doublings": t["doublings"], "sweeps": t["datasets"],
                         "chosen law": [cov(p, i) for i, p in zip(t.index, t["chosen_coverage"])],
                         "envelope": [cov(p, i) for i, p in zip(t.index, t["envelope_coverage"])],
                         "width chosen": t["median_width_chosen"].map(lambda v: f"{v:.2f}×"),
                         "width envelope": t["median_width_envelope"].map(lambda v: f"{v:.2f}×")})


def coverage_facts() -> dict[str, str]:
    """Glued text of the coverage study: ``d_low``/``d_high`` (doublings), ``sweeps``, the envelope's and the
    chosen law's coverage over the scenarios whose form is a candidate and not the weak spot
    (``env_low``/``env_high``, ``chosen_low``/``chosen_high``), the weak spot's (``weak_env_*``,
    ``weak_chosen_*``, ``weak_truth``), the wrong-form scenario's (``wrong_env_low``, ``wrong_chosen_low``,
    ``wrong_truth``), ``width_env_high``, where the chosen chunk lies relative to the data (``chosen_where``) and
    how far beyond it the largest chunk that fits the article's budget lies (``kmax_doublings``)."""
    t = data.load_table(EXTRAPOLATION_COVERAGE)
    weak = t["scenario"].str.contains("dominates")
    wrong = ~t["in_candidates"].astype(bool)
    reg, wk, wr = t[~weak & ~wrong], t[weak], t[wrong]

    def p(x):
        return f"{100 * x:.1f}%"

    laws = frontier.chunk_laws()
    return {"d_low": str(t["doublings"].min()), "d_high": str(t["doublings"].max()), "sweeps": str(int(t["datasets"].min())),
            "env_low": p(reg["envelope_coverage"].min()), "env_high": p(reg["envelope_coverage"].max()),
            "chosen_low": p(reg["chosen_coverage"].min()), "chosen_high": p(reg["chosen_coverage"].max()),
            "weak_env_low": p(wk["envelope_coverage"].min()), "weak_env_high": p(wk["envelope_coverage"].max()),
            "weak_chosen_low": p(wk["chosen_coverage"].min()), "weak_chosen_high": p(wk["chosen_coverage"].max()),
            "weak_truth": str(wk["true_law"].iloc[0]), "wrong_truth": str(wr["true_law"].iloc[0]),
            "wrong_env_low": p(wr["envelope_coverage"].min()), "wrong_chosen_low": p(wr["chosen_coverage"].min()),
            "width_env_high": f"{t['median_width_envelope'].max():.2f}",
            "chosen_where": (f"inside the measured sizes (logrows {_chosen_K()} against {_measured_min_logrows()} to "
                             f"{laws.max_logrows}), so its per-chunk predictions are interpolations"
                             if _measured_min_logrows() <= _chosen_K() <= laws.max_logrows
                             else f"{_chosen_K() - laws.max_logrows} doublings beyond the largest measured size "
                                  f"(logrows {laws.max_logrows}), nearer than the distances the study checks"
                             if _chosen_K() > laws.max_logrows else "below the measured sizes"),
            "kmax_doublings": str(int(chosen_chunks()["K_max"].iloc[0]) - laws.max_logrows)}


# ------------------------------------------------------------------ 9. verdict


def size_facts() -> dict[str, str]:
    """Glued text of growth with model size: ``size_params`` and ``size_flops`` (exponent against parameters and
    against inference FLOPs per query, with the bounds of :func:`size_exponent`), ``size_reading`` (against
    parameters), ``size_verdict`` (on 'scales superlinearly': supported / contradicted / not resolved) and
    ``size_models`` (the models and their chunk logrows)."""
    t = size_table()
    e, f = size_exponent(t, "params"), size_exponent(t, "flops")  # chasm.economics.verdicts
    verdict = {"superlinear": "supported", "sublinear": "contradicted", "not resolved": "not resolved"}[e["reading"]]
    return {"size_params": interval_text(e["point"], e["low"], e["high"]),
            "size_flops": interval_text(f["point"], f["low"], f["high"]), "size_reading": e["reading"],
            "size_verdict": verdict,
            "size_models": ", ".join(f"{r.arch_id} (2^{r.K})" for r in t.itertuples())}


def verdict_facts(arch_id: str = FRONTIER_ARCH) -> dict[str, str]:
    """Glued text of the verdict: ``ram_ratio`` (the article's RAM over the chosen chunk's 95% high bound of peak
    memory), ``ram_verdict`` (:func:`ram_verdict`), ``verify`` (core-seconds to verify every chunk proof of one query,
    95% interval), ``chunks`` and ``k`` (the chosen chunk size), ``chunk_wall`` (wall time of one chunk proof on the
    measuring machine, point)."""
    r = tradeoffs(arch_id).set_index("K").loc[_chosen_K(arch_id)]
    claims = load_claims().set_index("claim_id")
    ram = float(claims.loc["ram_proving", "claimed_low"]) * 2**30
    chunk_s = float(r["prove_core_s"] / r["chunks"]) / frontier.chunk_laws().threads
    return {"ram_verdict": ram_verdict(float(r["peak_bytes_high"]), ram),
            "chunk_wall": f"{chunk_s / 60:.3g} minutes" if chunk_s >= 60 else f"{chunk_s:.3g} s",
            "ram_ratio": f"{ram / r['peak_bytes_high']:.1f}", "verify": _iv(r, "verify_core_s"),
            "chunks": sci(r["chunks"]), "k": str(_chosen_K(arch_id))}
