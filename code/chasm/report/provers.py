"""What the chapter "Two proof families, one model" shows: both provers' costs on identical models, their
laws and their ratio with intervals, the largest models both proved, and the published record beside them.

Inputs: the ``families`` sweep profile's runs of ``data/measurements/proofs.csv``
(:mod:`chasm.laws.provers`) and ``data/literature.csv`` (:mod:`chasm.core.literature`).
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from chasm.core.fmt import interval_text, nbytes
from chasm.laws import provers as families
from chasm.laws.estimation import confidence_band, predict
from chasm.report import charts

__all__ = ["LABELS", "PROVER_NAMES", "GUARANTEES", "runs", "medians", "laws_table", "ratio_table", "largest_table",
           "facts", "cost_chart", "ratio_chart", "literature_points", "literature_chart", "guarantees_table",
           "error_table", "literature_table", "literature_facts", "jstprove_priceable", "pricing_table", "rate_facts",
           "frontier_table", "wrong_outputs", "pricing_facts"]

#: The quantities compared, as the chapter names them.
LABELS = {"prove_s": "prove time (s)", "verify_s": "verify time (s)", "peak_rss_bytes": "peak memory (bytes)",
          "proof_bytes": "proof size (bytes)"}

PROVER_NAMES = {"ezkl": "ezkl (halo2, KZG)", "jstprove": "JSTprove (GKR, Ligero)"}


def runs(frame: pd.DataFrame | None = None, proving_the_model: bool = True) -> pd.DataFrame:
    """The verified runs of the comparison (:func:`chasm.laws.provers.family_runs`): by default those whose
    proofs certify the model's output (within :data:`chasm.laws.provers.OUTPUT_TOLERANCE`)."""
    return families.family_runs(frame, proving_the_model=proving_the_model)


def medians(r: pd.DataFrame) -> pd.DataFrame:
    """One row per prover and model: medians over repetitions of the compared quantities, the output
    error, repetitions and the median share of the machine used by other processes during the runs."""
    cols = list(families.FAMILY_QUANTITIES) + ["output_max_abs_err", "output_rel_err", "other_cpu_frac", "infer_s"]
    med = (r.groupby(["prover", "family", "config_id", "size_label", "params"], as_index=False)
           .agg(**{c: (c, "median") for c in cols}, repetitions=("run_id", "size")))
    med["prover_name"] = med["prover"].map(PROVER_NAMES)
    return med.sort_values(["family", "params", "prover"]).reset_index(drop=True)


def laws_table(r: pd.DataFrame) -> pd.DataFrame:
    """Each prover's power-law exponent in parameters per family and quantity, with its 95% confidence
    interval, and the law leave-one-size-out cross-validation prefers."""
    t = families.prover_laws(r)
    ok = t[t["note"] == ""].copy()
    ok["exponent (95% CI)"] = [f"{p:.2f} ({lo:.2f} to {hi:.2f})" for p, lo, hi in
                               zip(ok["exponent"], ok["exponent_low"], ok["exponent_high"])]
    ok["quantity"] = ok["quantity"].map(LABELS)
    ok["prover"] = ok["prover"].map(PROVER_NAMES)
    return ok[["prover", "family", "quantity", "exponent (95% CI)", "chosen_law", "n_sizes", "n_runs"]].rename(
        columns={"chosen_law": "law chosen by CV", "n_sizes": "sizes", "n_runs": "runs"})


def _crossing_text(c: dict) -> str:
    if math.isnan(c["point"]):
        return "no crossing in the band" if math.isnan(c["low"]) else "none (ratio never reaches 1)"
    fmt = lambda v: "unbounded" if math.isinf(v) else f"{v:.3g}"  # noqa: E731
    return f"{c['point']:.3g} ({fmt(c['low'])} to {fmt(c['high'])})"


def ratio_table(r: pd.DataFrame) -> pd.DataFrame:
    """Per family and quantity: the paired ratio JSTprove / ezkl as a power law of parameters (its
    exponent with a 95% confidence interval), the ratio at the smallest and largest model, and where the
    law reaches 1 (parameters, 95% interval from the inverted confidence band)."""
    rows = []
    for family in sorted(r["family"].unique()):
        for q in families.FAMILY_QUANTITIES:
            try:
                fit = families.ratio_fit(r, family, q)
            except families.InsufficientData as exc:
                rows.append({"family": family, "quantity": LABELS[q], "note": str(exc)})
                continue
            from chasm.laws.estimation import exponent

            e = exponent(fit)
            ends = confidence_band(fit, np.array([fit.x_min, fit.x_max]))
            rows.append({"family": family, "quantity": LABELS[q],
                         "ratio exponent (95% CI)": f"{e['point']:.2f} ({e['low']:.2f} to {e['high']:.2f})",
                         "ratio, smallest model": f"{ends['point'][0]:.3g} ({ends['low'][0]:.3g} to {ends['high'][0]:.3g})",
                         "ratio, largest model": f"{ends['point'][1]:.3g} ({ends['low'][1]:.3g} to {ends['high'][1]:.3g})",
                         "equal cost at parameters": _crossing_text(families.crossing(fit)), "note": ""})
    return pd.DataFrame(rows)


def largest_table(r: pd.DataFrame) -> pd.DataFrame:
    """The largest MLP and CNN both provers proved: each prover's prove time and peak memory (medians),
    and the ratio JSTprove / ezkl (geometric mean of the paired repetitions; 95% confidence interval of
    the ratio law at that size)."""
    rows = []
    for family in sorted(r["family"].unique()):
        for q in ("prove_s", "verify_s", "peak_rss_bytes"):
            try:
                big = families.largest_common(r, family, q)
            except families.InsufficientData:
                continue
            show = (lambda v: f"{v:.3g} s") if q.endswith("_s") else nbytes  # noqa: E731
            rows.append({"family": family, "parameters": big["params"], "quantity": LABELS[q],
                         "ezkl": show(big["ezkl"]), "JSTprove": show(big["jstprove"]),
                         "ratio JSTprove / ezkl": f"{big['ratio']:.3g}",
                         "95% CI of the ratio law": f"{big['low']:.3g} to {big['high']:.3g}",
                         "paired ratios": ", ".join(f"{p:.3g}" for p in big["pairs"])})
    return pd.DataFrame(rows)


def _reps_text(r: pd.DataFrame) -> str:
    """How many times each model was proven by each prover: the usual count, and the exceptions."""
    counts = r[r["sweep_profile"] == families.PROFILE].groupby(["prover", "size_label", "family"]).size()
    usual = int(counts.mode().iloc[0])
    odd = counts[counts != usual]
    words = {1: "once", 2: "twice", 3: "three times"}
    text = words.get(usual, f"{usual} times")
    if len(odd):
        text += " (" + "; ".join(f"{p}'s {f} {lab} {words.get(int(n), f'{int(n)} times')}"
                                 for (p, lab, f), n in odd.items()) + ")"
    return text


def facts(r: pd.DataFrame) -> dict[str, str]:
    """Values the chapter glues, as text (``per_param_min_<prover>``: the least prove time per parameter
    of any model, seconds)."""
    med = medians(r)
    out = {"runs": str(len(r)), "models": str(r["config_id"].nunique()),
           "hardware": str(r["hardware_tag"].iloc[0]), "cpu": str(r["cpu_model"].iloc[0]),
           "reps": _reps_text(r),
           "other_cpu": f"{float(r['other_cpu_frac'].median()):.2f}",
           "jst_version": str(r.loc[r["prover"] == "jstprove", "prover_version"].iloc[0]),
           "ezkl_version": str(r.loc[r["prover"] == "ezkl", "prover_version"].iloc[0]),
           "dates": f"{str(r['date_utc'].min())[:10]} to {str(r['date_utc'].max())[:10]}"}
    sizes = r[r["sweep_profile"] == families.PROFILE].groupby("family")["config_id"].nunique()
    alone = r[r["sweep_profile"] != families.PROFILE]
    out["alone"] = (", ".join(f"{lab} ({int(p):,} parameters)" for lab, p in
                              alone.groupby("size_label")["params"].first().sort_values().items())
                    or "none")
    out["sizes"] = " and ".join(f"{int(n)} {fam.upper()}s" for fam, n in sizes.items())
    scale = r.groupby("prover")["input_scale"].agg(["min", "max"])
    for prover in families.PROVERS:
        lo, hi = int(scale.loc[prover, "min"]), int(scale.loc[prover, "max"])
        out[f"{prover}_scale"] = f"2^{lo}" if lo == hi else f"2^{lo} to 2^{hi}"
    for q, name in (("prove_s", "prove"), ("verify_s", "verify"), ("proof_bytes", "proof"),
                    ("peak_rss_bytes", "memory")):
        pairs = families.paired(r, q)
        if not pairs.empty:
            out[f"ratio_{name}_min"] = f"{pairs['ratio'].min():.3g}"
            out[f"ratio_{name}_max"] = f"{pairs['ratio'].max():.3g}"
            out[f"ratio_{name}_pairs"] = str(len(pairs))
    try:
        fit = families.ratio_fit(r, "mlp", "prove_s")
        out["crossing_mlp_prove"] = _crossing_text(families.crossing(fit))
        band = confidence_band(fit, np.array([fit.x_min, fit.x_max]))
        out["ratio_band_small"] = f"{band['low'][0]:.3g} to {band['high'][0]:.3g}"
        out["ratio_band_large"] = f"{band['low'][1]:.3g} to {band['high'][1]:.3g}"
    except families.InsufficientData as exc:
        out["crossing_mlp_prove"] = out["ratio_band_small"] = out["ratio_band_large"] = f"not fitted ({exc})"
    for prover in families.PROVERS:
        m = med[med["prover"] == prover]
        out[f"per_param_min_{prover}"] = f"{float((m['prove_s'] / m['params']).min()):.2g}"
        out[f"{prover}_err_max"] = f"{float(m['output_max_abs_err'].max()):.2g}"
        out[f"{prover}_proof_min"] = nbytes(float(m["proof_bytes"].min()))
        out[f"{prover}_proof_max"] = nbytes(float(m["proof_bytes"].max()))
        out[f"{prover}_verify_min"] = f"{float(m['verify_s'].min()):.3g}"
        out[f"{prover}_verify_max"] = f"{float(m['verify_s'].max()):.3g}"
        out[f"{prover}_prove_min"] = f"{float(m['prove_s'].min()):.3g}"
        out[f"{prover}_prove_max"] = f"{float(m['prove_s'].max()):.3g}"
    return out


def cost_chart(r: pd.DataFrame):
    """Both provers' prove time, verify time, peak memory and proof size against parameters, one panel
    per quantity, MLPs solid and CNNs dashed (log-log; medians of the repetitions)."""
    med = medians(r)
    long = med.melt(id_vars=["prover_name", "family", "size_label", "params", "repetitions"],
                    value_vars=list(families.FAMILY_QUANTITIES), var_name="quantity", value_name="value")
    long["quantity"] = long["quantity"].map(LABELS)
    base = alt.Chart(long).encode(
        x=alt.X("params:Q", scale=alt.Scale(type="log"), title="parameters"),
        y=alt.Y("value:Q", scale=alt.Scale(type="log"), title=None),
        color=alt.Color("prover_name:N", title="prover"),
        strokeDash=alt.StrokeDash("family:N", title="family"),
        shape=alt.Shape("family:N", title="family"),
        tooltip=["prover_name", "family", "size_label", "params", "quantity", "value", "repetitions"])
    layered = (base.mark_line(opacity=0.7) + base.mark_point()).properties(width=250, height=170)
    return layered.facet(facet=alt.Facet("quantity:N", title=None), columns=2).properties(
        title="Both proof families on identical models: cost against size").resolve_scale(y="independent")


def ratio_chart(r: pd.DataFrame, quantity: str = "prove_s"):
    """The paired ratio JSTprove / ezkl of ``quantity`` against parameters per family: each pair, the
    fitted power law and its 95% confidence band, and the line of equal cost."""
    pairs = families.paired(r, quantity)
    bands = []
    for family in sorted(pairs["family"].unique()):
        try:
            fit = families.ratio_fit(r, family, quantity)
        except families.InsufficientData:
            continue
        x = np.geomspace(fit.x_min, fit.x_max, 40)
        b = confidence_band(fit, x)
        bands.append(pd.DataFrame({"family": family, "params": x, "law": b["point"], "low": b["low"],
                                   "high": b["high"]}))
    band = pd.concat(bands) if bands else pd.DataFrame(columns=["family", "params", "law", "low", "high"])
    x = alt.X("params:Q", scale=alt.Scale(type="log"), title="parameters")
    y_title = f"JSTprove / ezkl, {LABELS[quantity].split(' (')[0]}"
    area = alt.Chart(band).mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("low:Q", scale=alt.Scale(type="log"), title=y_title), y2="high:Q",
        color=alt.Color("family:N", title="family"))
    line = alt.Chart(band).mark_line().encode(x=x, y="law:Q", color="family:N")
    points = alt.Chart(pairs).mark_point().encode(
        x=x, y="ratio:Q", color="family:N", tooltip=["family", "params", "repetition", "ezkl", "jstprove", "ratio"])
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color="#444").encode(y="y:Q")
    return (area + line + points + one).properties(
        title=f"The ratio of the two provers' {LABELS[quantity].split(' (')[0]}, with its 95% band",
        width=charts.WIDTH, height=charts.HEIGHT)


def literature_points(lit: pd.DataFrame) -> pd.DataFrame:
    """Published rows with a prove time and a parameter count, per parameter and per proven token
    (``prove_s_per_param_token``, seconds), with the fairness marks the chapter discusses."""
    from chasm.core.literature import normalised

    t = normalised(lit)
    t = t[t["prove_s"].notna() & t["params"].notna() & (t["params"] > 0)].copy()
    t["tokens"] = np.where(t["tokens_proven"].notna(), "per token (tokens stated)",
                           "per proof (tokens not stated)")
    return t


def literature_chart(lit: pd.DataFrame, r: pd.DataFrame):
    """Prove time per parameter (and per proven token where the source states the tokens; per proof where
    it does not) against parameters: the published record by proof family, beside our two provers' MLP
    laws over the sizes measured (95% prediction band; not extrapolated)."""
    pts = literature_points(lit)
    pts["source_kind"] = "published: " + pts["proof_family"]
    ours = []
    for prover in families.PROVERS:
        try:
            fit = families.fit_prover(r, prover, "mlp", "prove_s")["chosen"]
        except families.InsufficientData:
            continue
        x = np.geomspace(fit.x_min, fit.x_max, 30)
        p = predict(fit, x)
        ours.append(pd.DataFrame({"params": x, "per_param": p["point"] / x, "low": p["low"] / x,
                                  "high": p["high"] / x, "prover": f"ours: {PROVER_NAMES[prover]}"}))
    law = pd.concat(ours)
    x = alt.X("params:Q", scale=alt.Scale(type="log"), title="parameters of the model proven")
    y = alt.Y("per_param:Q", scale=alt.Scale(type="log"), title="prove time per parameter (per token) (s)")
    band = alt.Chart(law).mark_area(opacity=0.15).encode(x=x, y=alt.Y("low:Q", scale=alt.Scale(type="log")),
                                                          y2="high:Q", color=alt.Color("prover:N", title="source"))
    line = alt.Chart(law).mark_line().encode(x=x, y=y, color="prover:N")
    dots = alt.Chart(pts.assign(per_param=pts["prove_s_per_param_token"])).mark_point(filled=True, size=60).encode(
        x=x, y=y, color=alt.Color("source_kind:N", title="source"), shape=alt.Shape("tokens:N", title="normalised"),
        tooltip=["system", "year", "model", "params", "tokens_proven", "hardware", "prove_s", "zero_knowledge",
                 "source"])
    return (band + line + dots).properties(
        title="The published record against our two provers' laws (per parameter and per token)",
        width=charts.WIDTH, height=charts.HEIGHT + 60)


#: What each prover guarantees, with where it was read. JSTprove's rows rest on its source at tag v2.12.1
#: (commit eae2d6c2, ``rust/jstprove_remainder/src/runner/``), on Remainder_CE (upstream commit c7ffef1f; the
#: fork revision 06a5f406 the wheel pins could not be fetched) and on the transcript of our own proofs,
#: decoded (``jstprove_child.read_artifact``); ezkl's on its settings and halo2's documentation.
GUARANTEES = [
    {"": "arithmetisation", "ezkl": "PLONKish (halo2): gates, copy constraints, lookups",
     "JSTprove": "layered circuit proven by GKR and sum-check; LogUp lookups for range checks",
     "source": "ezkl and halo2 documentation; JSTprove circuit_builder.rs (v2.12.1) and the transcript of our "
               "proofs (sum-check rounds, fractional sum-check layers)"},
    {"": "commitment", "ezkl": "KZG on BN254 (pairings)",
     "JSTprove": "Ligero (rate 1/4, 200 column openings, Poseidon Merkle trees) for intermediate values only; "
                 "every other value is sent in clear",
     "source": "ezkl settings; Remainder_CE ligero/src/ligero_structs.rs (N_COL_OPENS = 200) and builder.rs; "
               "transcript entries 'Ligero commit', 'Column elements', 'Merkle path'"},
    {"": "setup", "ezkl": "a structured reference string (here ezkl.gen_srs: testing-grade, local)",
     "JSTprove": "none (transparent: hashing only)",
     "source": "ezkl's SRS files (ezkl.gen_srs); Ligero needs no setup (its commitment is Merkle hashing)"},
    {"": "input", "ezkl": "private (a witness; the verifier never sees it)",
     "JSTprove": "public: the verifier reads it and checks the proof carries it", "source":
         "our visibility settings; JSTprove runner/verify.rs (loads model and input) and its rejection of a "
         "changed input"},
    {"": "weights", "ezkl": "fixed in the circuit (committed in the verifying key), not in the proof",
     "JSTprove": "public: written in clear into every proof, and the verifier needs the whole model",
     "source": "JSTprove circuit_builder.rs lines 207-208 and 613-631 (weights and biases on the Public layer); "
               "runner/verify.rs"},
    {"": "hides the witness (zero knowledge)", "ezkl": "yes: halo2 blinds the witness columns",
     "JSTprove": "no: Remainder's plain GKR prover \"provides no zero-knowledge guarantees\"; Ligero's openings "
                 "reveal combinations and columns of the intermediate values",
     "source": "halo2 book; Remainder_CE prover/src/provable_circuit.rs doc comment (c7ffef1f); JSTprove README "
               "(experimental, unaudited)"},
    {"": "on-chain verifier", "ezkl": "a Solidity contract ezkl renders (run in an EVM below)",
     "JSTprove": "none", "source": "ezkl create_evm_verifier; JSTprove's API (compile, witness, prove, verify)"},
]


def guarantees_table() -> pd.DataFrame:
    """What each prover's proofs guarantee here, with the source of each row."""
    return pd.DataFrame(GUARANTEES)


def wrong_outputs() -> pd.DataFrame:
    """The verified proofs whose output differs from the float model's by more than
    :data:`chasm.laws.provers.OUTPUT_TOLERANCE` (relative L2 error): prover, model, repetition, error."""
    allr = families.family_runs(proving_the_model=False)
    bad = allr[pd.to_numeric(allr["output_rel_err"], errors="coerce") > families.OUTPUT_TOLERANCE]
    return bad[["prover", "family", "size_label", "params", "repetition", "output_rel_err", "output_max_abs_err"]
               ].sort_values(["prover", "family", "params", "repetition"]).reset_index(drop=True)


def error_table(r: pd.DataFrame) -> pd.DataFrame:
    """Each prover's output error against the float model, per model family: the median and largest of
    the per-model medians of the largest absolute error and of the relative L2 error, and the fixed-point
    scale (bits)."""
    med = medians(r)
    scale = r.groupby("prover")["input_scale"].median()
    rows = []
    for (prover, family), g in med.groupby(["prover", "family"]):
        rows.append({"prover": PROVER_NAMES[prover], "family": family, "scale (bits)": int(scale[prover]),
                     "max abs error, median": f"{g['output_max_abs_err'].median():.2g}",
                     "max abs error, largest": f"{g['output_max_abs_err'].max():.2g}",
                     "relative L2 error, median": f"{g['output_rel_err'].median():.2g}",
                     "relative L2 error, largest": f"{g['output_rel_err'].max():.2g}"})
    return pd.DataFrame(rows)


def literature_table(lit: pd.DataFrame) -> pd.DataFrame:
    """The published record in brief: system, year, family, model, parameters, tokens per proof, hardware,
    prove and verify time, proof size, zero knowledge, and whether the figure was read in its primary
    source."""
    cols = ["system", "year", "proof_family", "model", "params", "tokens_proven", "hardware", "prove_s", "verify_s",
            "proof_bytes", "zero_knowledge", "scope", "confirmed"]
    t = lit[cols].copy()
    t["params"] = [f"{v:.3g}" if v == v else "" for v in t["params"]]
    t["tokens_proven"] = [f"{int(v)}" if v == v else "" for v in t["tokens_proven"]]
    t["proof_bytes"] = [nbytes(v) if v == v else "" for v in t["proof_bytes"]]
    return t.sort_values(["proof_family", "year", "system"]).reset_index(drop=True)


def literature_facts(lit: pd.DataFrame) -> dict[str, str]:
    """Counts the chapter glues: rows, confirmed rows, proof families, rows whose measured path is stated
    to be zero-knowledge, rows with parameters and prove time (the chart's points)."""
    pts = literature_points(lit)
    gkr = pts[pts["proof_family"] == "gkr_sumcheck"]["prove_s_per_param_token"]
    return {"gkr_per_param_min": f"{gkr.min():.2g}", "gkr_per_param_max": f"{gkr.max():.2g}",
            "rows": str(len(lit)), "confirmed": str(int(lit["confirmed"].astype(bool).sum())),
            "families": str(lit["proof_family"].nunique()),
            "zk_yes": str(int((lit["zero_knowledge"] == "yes").sum())),
            "zk_unknown": str(int((lit["zero_knowledge"] == "unknown").sum())),
            "points": str(len(pts)), "with_tokens": str(int(pts["tokens_proven"].notna().sum()))}


def _price(prover: str, arch: str, draws: int) -> dict:
    from chasm.economics.pricing import price

    return price(arch, "measured", draws=draws, prover=prover)


def jstprove_priceable() -> str | None:
    """``None`` when JSTprove's runs identify a positive marginal cost per multiply-accumulate (so a
    frontier query can be priced for it), else the reason they do not."""
    from chasm.economics import jstprove_query
    from chasm.laws.rules import InsufficientData

    try:
        rates = jstprove_query.marginal_rates()
    except InsufficientData as exc:
        return str(exc)
    if not (rates["prove_s"]["c1"]["low"] > 0 and rates["verify_s"]["c1"]["low"] > 0):
        return ("the 95% interval of its marginal prove or verify time per multiply-accumulate reaches 0: "
                "over the models measured its cost does not grow measurably with their size")
    return None


def pricing_table(archs=("llama3-8b", "llama3-70b", "llama3-405b"), draws: int = 20_000) -> pd.DataFrame:
    """One query of each Llama-3 model priced in the measured scenario: ezkl's proving dollars and their
    ratio to inference's, and JSTprove's estimate for the dense layers alone (the query's
    multiply-accumulates at its marginal cost) where its runs identify that cost (:func:`jstprove_priceable`;
    otherwise a row saying why not). Medians with 95% intervals (Monte Carlo, ``draws``)."""
    why = jstprove_priceable()
    rows = []
    for arch in archs:
        for prover in families.PROVERS:
            name = PROVER_NAMES[prover] + (" (dense layers only)" if prover == "jstprove" else "")
            if prover == "jstprove" and why is not None:
                rows.append({"model": arch, "prover": name, "proving vCPU-s": f"not priced: {why}"})
                continue
            p = _price(prover, arch, draws)
            rows.append({"model": arch, "prover": name,
                         "proving vCPU-s": interval_text(p["prove_core_s"]["point"], p["prove_core_s"]["low"],
                                                         p["prove_core_s"]["high"]),
                         "proving USD": interval_text(p["prove_usd"]["point"], p["prove_usd"]["low"], p["prove_usd"]["high"]),
                         "ratio to inference USD": interval_text(p["ratio_usd"]["point"], p["ratio_usd"]["low"],
                                                                 p["ratio_usd"]["high"]),
                         "chunk proofs": f"{p['meta']['chunks']:.3g}"})
    return pd.DataFrame(rows).fillna("")


def rate_facts() -> dict[str, str]:
    """JSTprove's marginal rates per multiply-accumulate (``rate_*``, slope) and fixed costs (``fixed_*``,
    intercept) of prove time, verify time (s) and peak memory (bytes), with 95% intervals, the measured
    range of multiply-accumulates, and ``priced`` (whether a frontier query can be priced for it, and why
    not), as text."""
    from chasm.economics import jstprove_query

    rates = jstprove_query.marginal_rates()
    out = {}
    for q in ("prove_s", "verify_s", "peak_rss_bytes"):
        c1 = rates[q]["c1"]
        out[f"rate_{q}"] = interval_text(c1["point"], c1["low"], c1["high"])
        c0 = rates[q]["c0"]
        out[f"fixed_{q}"] = interval_text(c0["point"], c0["low"], c0["high"])
    out["macs_low"], out["macs_high"] = (f"{v:,.0f}" for v in rates["macs_range"])
    why = jstprove_priceable()
    out["priced"] = "priced" if why is None else f"not priced: {why}"
    return out


def pricing_facts(draws: int = 20_000) -> dict[str, str]:
    """The Llama-3-70B query's proving dollars and their ratio to inference's, for ezkl and (where its
    runs identify a marginal cost) JSTprove's dense layers, as text (``<prover>_70b_<quantity>``)."""
    from chasm.core.claims import load_claims

    claim = load_claims().set_index("claim_id").loc["cost_ratio_table"]
    out = {"article_ratio": f"{float(claim['claimed_low']):,.0f} to {float(claim['claimed_high']):,.0f}"}
    for prover in families.PROVERS:
        if prover == "jstprove" and jstprove_priceable() is not None:
            out["jstprove_70b_prove_usd"] = out["jstprove_70b_ratio_usd"] = "not priced"
            continue
        p = _price(prover, "llama3-70b", draws)
        for key in ("prove_usd", "ratio_usd"):
            out[f"{prover}_70b_{key}"] = interval_text(p[key]["point"], p[key]["low"], p[key]["high"])
    return out


def frontier_table(archs=("llama3-8b", "llama3-70b", "llama3-405b")) -> pd.DataFrame:
    """Proving work of one query of each Llama-3 model, in vCPU-seconds of the measuring machine (95%
    intervals): ezkl's chain of chunk proofs (:func:`chasm.economics.scenarios.prove_distribution`, every
    plausible law, widened for the machines' speed spread), and JSTprove's estimate for the dense layers
    alone (the query's multiply-accumulates at its marginal prove time, :mod:`chasm.economics.jstprove_query`)
    where its runs identify that cost, else why not."""
    from chasm.costmodel.frontier import frontier_workload
    from chasm.economics import jstprove_query, scenarios

    why = jstprove_priceable()
    rows = []
    for arch in archs:
        ez = scenarios.prove_distribution(arch)["core_s"]
        row = {"model": arch, "multiply-accumulates per query": f"{frontier_workload(arch).macs_per_query:.3g}",
               "ezkl vCPU-s": interval_text(ez[1], ez[0], ez[2])}
        if why is None:
            js = jstprove_query.prove_distribution(arch)["core_s"]
            row["JSTprove vCPU-s (dense layers only)"] = interval_text(js[1], js[0], js[2])
        else:
            row["JSTprove vCPU-s (dense layers only)"] = "not identified"
        rows.append(row)
    return pd.DataFrame(rows)
