"""What the section "The verifier's side, on a chain" of the chapter "Two proof families, one model" shows:
the gas of verifying each family's measured proofs on Ethereum, against a block's gas limit, what a chain
would need for JSTprove's proofs (wrapping into a succinct proof) and what that adds to proving, and a
frontier query's chunk proofs verified on chain. Built on :mod:`chasm.economics.onchain`.

Gas is gas, dollars USD per verification; ranges ``point (low to high)`` of dollars and block shares are the
ranges of the assumptions (gas price, ether price, block gas limit), not statistical intervals. The chapter
glues each entry of :func:`onchain_facts` as ``oc_<name>``.
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd

from chasm.core.fmt import interval_text, nbytes, pct, pow2, sci
from chasm.core.runs import load_runs
from chasm.economics import onchain
from chasm.report import charts

__all__ = ["ARCHS", "PROVER_NAMES", "SERIES", "summary", "onchain_frame", "onchain_table", "wrapping_table",
           "frontier_table", "onchain_facts", "onchain_chart"]

#: The frontier models whose query is priced (their chunk count and size from the pricing).
ARCHS = ("llama3-8b", "llama3-70b", "llama3-405b")
#: The two provers as the chapter names them.
PROVER_NAMES = {"ezkl": "ezkl (halo2, KZG)", "jstprove": "JSTprove (GKR, Ligero)"}
#: The chart's series: ezkl's measured transactions and JSTprove's two calldata bounds.
SERIES = {"ezkl": "ezkl: measured verifier, one transaction",
          "jst_min": "JSTprove: calldata alone, at least 10 gas/byte",
          "jst_nonzero": "JSTprove: calldata alone, 40 gas/byte (no zero byte)"}


@functools.lru_cache(maxsize=1)
def summary() -> dict:
    """:func:`chasm.economics.onchain.summary` of the committed data, with the frontier query of each of
    :data:`ARCHS` (chunks and chunk ``K`` from :func:`chasm.economics.scenarios.prove_distribution`, the
    chunking the pricing uses; no Monte Carlo). Cached."""
    from chasm.economics.scenarios import prove_distribution

    metas = {}
    for arch in ARCHS:
        dist = prove_distribution(arch)
        metas[arch] = {"chunks": dist["chunks"], "K": dist["K"]}
    return onchain.summary(price_metas=metas)


def _s(s: dict | None) -> dict:
    return summary() if s is None else s


def onchain_frame(s: dict | None = None) -> pd.DataFrame:
    """One row per proof and series of :data:`SERIES`: ``prover``, ``series``, ``family``, ``size_label``,
    ``params``, ``bytes`` (ezkl: calldata; JSTprove: the proof file) and ``gas`` (ezkl: the whole
    transaction, measured; JSTprove: calldata alone, a lower bound)."""
    s = _s(s)
    ez, jst = pd.DataFrame(s["ezkl"]), pd.DataFrame(s["jstprove"])
    parts = [pd.DataFrame({"prover": "ezkl", "series": SERIES["ezkl"], "family": ez["family"],
                           "size_label": ez["size_label"], "params": ez["params"], "bytes": ez["calldata_bytes"],
                           "gas": ez["tx_gas"]})]
    for key, column in (("jst_min", "gas_min"), ("jst_nonzero", "gas_nonzero")):
        parts.append(pd.DataFrame({"prover": "jstprove", "series": SERIES[key], "family": jst["family"],
                                   "size_label": jst.get("size_label", jst["config_id"]), "params": jst["params"],
                                   "bytes": jst["proof_bytes"], "gas": jst[column]}))
    return pd.concat(parts, ignore_index=True)


def _share_text(low: float, point: float, high: float) -> str:
    if point >= 1:
        return f"{point:.3g} blocks ({low:.3g} to {high:.3g})"
    return f"{pct(point)} ({pct(low)} to {pct(high)})"


def onchain_table(s: dict | None = None) -> pd.DataFrame:
    """Both families, one row per model: prover, family, model, parameters, the bytes a verifier reads
    (ezkl: calldata of ``verifyProof``; JSTprove: the proof file), gas per verification (ezkl: measured,
    the whole transaction; JSTprove: at least, calldata alone), share of a block's gas limit, transactions
    and US dollars per verification (ranges of the assumptions)."""
    s = _s(s)
    rows = []
    for r in s["ezkl"]:
        rows.append({"prover": PROVER_NAMES["ezkl"], "family": r["family"], "model": r["size_label"],
                     "parameters": r["params"], "bytes read": nbytes(r["calldata_bytes"]),
                     "gas per verification": _int(r["tx_gas"]),
                     "share of a block": _share_text(r["block_share_low"], r["block_share_point"], r["block_share_high"]),
                     "transactions": "1", "USD per verification": interval_text(r["usd_point"], r["usd_low"], r["usd_high"])})
    for r in s["jstprove"]:
        rows.append({"prover": PROVER_NAMES["jstprove"], "family": r["family"], "model": r.get("size_label", r["config_id"]),
                     "parameters": r["params"], "bytes read": nbytes(r["proof_bytes"]),
                     "gas per verification": f"at least {sci(r['gas_min'])} ({sci(r['gas_nonzero'])} with no zero byte)",
                     "share of a block": "at least " + _share_text(r["blocks_low"], r["blocks_point"], r["blocks_high"]),
                     "transactions": f"at least {r['txs_min']}",
                     "USD per verification": "at least " + interval_text(r["usd_point"], r["usd_low"], r["usd_high"])})
    return pd.DataFrame(rows)


def _ezkl_prove_s() -> dict[str, float]:
    runs = load_runs(status="ok", profiles=[onchain.FAMILIES_PROFILE], provers=("ezkl",))
    return runs.groupby("config_id")["prove_s"].median().to_dict() if not runs.empty else {}


def wrapping_table(s: dict | None = None, ezkl_prove_s: dict[str, float] | None = None) -> pd.DataFrame:
    """Per JSTprove proof: the public values its verifier reads at least (parameters, input and output
    elements: :func:`chasm.economics.onchain.public_values`), the rows of one ezkl circuit holding each
    once, and the CPU-seconds its ezkl proof would take at least (95% interval of the time per field
    multiplication only), against JSTprove's own proof of the model and ezkl's direct proof of it
    (``ezkl_prove_s``: {config_id: s}, default the families runs)."""
    s = _s(s)
    direct = _ezkl_prove_s() if ezkl_prove_s is None else ezkl_prove_s
    jst = {r["config_id"]: r for r in s["jstprove"]}
    rows = []
    for w in s["wrapping"]:
        jr, ez = jst[w["config_id"]], direct.get(w["config_id"], np.nan)
        rows.append({"family": w["family"], "model": jr.get("size_label", w["config_id"]), "parameters": w["params"],
                     "proof file": nbytes(w["proof_bytes"]),
                     "public values read at least": _int(w["cells_min"]),
                     "wrapper rows at least": pow2(w["logrows"]),
                     "wrapper proving at least (CPU-s)": interval_text(w["cpu_s_point"], w["cpu_s_low"], w["cpu_s_high"]),
                     "JSTprove's verifier, natively (s)": f"{w['jstprove_verify_s']:.3g}" if w.get("jstprove_verify_s") else "",
                     "× JSTprove's proof": f"{w['vs_jstprove_prove']:.3g}" if w.get("vs_jstprove_prove") else "",
                     "× ezkl's direct proof": f"{w['cpu_s_point'] / ez:.3g}" if np.isfinite(ez) else ""})
    return pd.DataFrame(rows)


def frontier_table(s: dict | None = None) -> pd.DataFrame:
    """Per frontier model: chunk proofs of one query, chunk rows, gas, blocks and US dollars of verifying
    them all on chain with ezkl's verifier (per-chunk gas: the measured circuits' range)."""
    rows = []
    for arch, f in _s(s)["frontier"].items():
        rows.append({"model": arch, "chunk proofs": sci(f["chunks"]), "chunk rows": pow2(f["K"]),
                     "gas": interval_text(f["gas"][1], f["gas"][0], f["gas"][2]),
                     "blocks": interval_text(f["blocks"][1], f["blocks"][0], f["blocks"][2]),
                     "USD": interval_text(f["usd"][1], f["usd"][0], f["usd"][2])})
    return pd.DataFrame(rows)


def _int(x: float) -> str:
    """A whole number of gas or bytes with thousands separators (protocol constants, measured gas)."""
    return f"{x:,.0f}"


def _span(values, fmt=sci) -> str:
    lo, hi = fmt(float(np.min(values))), fmt(float(np.max(values)))
    return lo if lo == hi else f"{lo} to {hi}"


def _coef(fit: dict, name: str) -> str:
    c = fit.get(name)
    return f"{c['point']:+,.0f} gas (95% CI {c['low']:+,.0f} to {c['high']:+,.0f})" if c else "not estimable"


def _dependence_text(dep: dict) -> str:
    """One sentence on how ezkl's verifier gas depends on circuit size (:func:`chasm.economics.onchain.gas_dependence`)."""
    fit = dep["fit"]
    text = (f"over {dep['circuits']} circuits of {_span(np.power(2.0, dep['logrows']), lambda x: pow2(round(np.log2(x))))} "
            f"rows the verifier's execution gas spans {_span(np.array(dep['exec_gas']), _int)} gas (its largest "
            f"{pct(dep['exec_gas_ratio'] - 1)} above its smallest) while the padded rows vary by a factor of "
            f"{dep['rows_ratio']:.3g}")
    if "logrows" in fit:
        text += f"; least squares give {_coef(fit, 'logrows')} per doubling of the rows"
    if "instances" in fit:
        text += f" and {_coef(fit, 'instances')} per public instance"
    lo, hi = dep["instances"]
    if lo == hi:
        text += (f"; every circuit has {lo} public instances, so their effect (each adds 32 bytes of calldata and "
                 "work in the verifier) is not measured here")
    return text


def onchain_facts(s: dict | None = None, ezkl_prove_s: dict[str, float] | None = None) -> dict[str, str]:
    """Glued phrases (``oc_<name>`` in the chapter): the protocol's numbers; ezkl's measured gas, dollars,
    block share and how gas depends on the circuit; JSTprove's calldata bounds, transactions, blocks and
    dollars; the wrapping bound; a frontier query (``frontier_<arch>_*``)."""
    s = _s(s)
    a, ez, jst, wrap = s["protocol"], pd.DataFrame(s["ezkl"]), pd.DataFrame(s["jstprove"]), pd.DataFrame(s["wrapping"])
    dep, fit = s["ezkl_dependence"], s["ezkl_dependence"]["fit"]
    direct = _ezkl_prove_s() if ezkl_prove_s is None else ezkl_prove_s
    wrap_direct = [r["cpu_s_point"] / direct[r["config_id"]] for r in s["wrapping"] if r["config_id"] in direct]
    out = {
        "tx_base_gas": sci(a["tx_base_gas"]), "floor_gas_per_token": sci(a["floor_gas_per_token"]),
        "standard_gas_per_token": sci(a["standard_gas_per_token"]), "tokens_per_nonzero": sci(a["tokens_per_nonzero_byte"]),
        "floor_nonzero_gas": sci(a["floor_gas_per_token"] * a["tokens_per_nonzero_byte"]),
        "tx_gas_cap": _int(a["tx_gas_cap"]),
        "block_gas_limit": _int(a["block_gas_limit"][1]), "block_gas_limit_low": _int(a["block_gas_limit"][0]),
        "gas_price": interval_text(*(a["gas_price_gwei"][i] for i in (1, 0, 2))) + " gwei",
        "eth_usd": interval_text(*(a["eth_usd"][i] for i in (1, 0, 2))),
        "tx_max_bytes": nbytes((a["tx_gas_cap"] - a["tx_base_gas"]) / a["floor_gas_per_token"]),
        "tx_max_bytes_nonzero": nbytes((a["tx_gas_cap"] - a["tx_base_gas"])
                                       / (a["floor_gas_per_token"] * a["tokens_per_nonzero_byte"])),
        "pairing_gas": _int(onchain.pairing_gas(a["kzg_pairing_pairs"], a)), "pairing_pairs": str(a["kzg_pairing_pairs"]),
        "ezkl_circuits": str(len(ez)), "ezkl_exec_gas": _span(ez["exec_gas"], _int), "ezkl_tx_gas": _span(ez["tx_gas"], _int),
        "ezkl_calldata": _span(ez["calldata_bytes"], nbytes), "ezkl_pairing_share": _span(ez["pairing_share"], pct),
        "ezkl_calldata_share": _span(ez["calldata_gas"] / ez["tx_gas"], pct),
        "ezkl_deploy_gas": _span(ez["deploy_exec_gas"], _int), "ezkl_runtime": _span(ez["runtime_bytes"], nbytes),
        "ezkl_block_share": f"{_span(ez['block_share_point'], pct)} (up to {pct(ez['block_share_high'].max())} "
                            "at the lowest block gas limit)",
        "ezkl_usd": f"{_span(ez['usd_point'])} (from {sci(ez['usd_low'].min())} to {sci(ez['usd_high'].max())})",
        "ezkl_fits_cap": "every" if ez["fits_tx_cap"].all() else "not every",
        "ezkl_checks": "every" if ez["checks_passed"].all() else "not every",
        "ezkl_gas_spread": pct(dep["exec_gas_ratio"] - 1), "ezkl_rows_ratio": f"{dep['rows_ratio']:.3g}",
        "ezkl_logrows": _span(np.array(dep["logrows"]), pow2),
        "ezkl_gas_per_instance": _coef(fit, "instances"), "ezkl_gas_per_doubling": _coef(fit, "logrows"),
        "ezkl_gas_dependence": _dependence_text(dep),
        "jst_proofs": str(len(jst)), "jst_bytes": _span(jst["proof_bytes"], nbytes),
        "jst_gas_min": _span(jst["gas_min"]), "jst_gas_nonzero": _span(jst["gas_nonzero"]),
        "jst_txs": _span(jst["txs_min"]), "jst_cap_multiple": _span(jst["cap_multiple"], lambda x: f"{x:.3g}"),
        "jst_blocks": f"{_span(jst['blocks_point'], lambda x: f'{x:.3g}')} (up to {jst['blocks_high'].max():.3g} at the "
                      "lowest block gas limit)",
        "jst_blocks_nonzero": _span(jst["blocks_nonzero_point"], lambda x: f"{x:.3g}"),
        "jst_usd": f"{_span(jst['usd_point'])} (from {sci(jst['usd_low'].min())} to {sci(jst['usd_high'].max())})",
        "jst_usd_nonzero": _span(jst["usd_nonzero_point"]),
        "jst_fits": "none" if not s["jstprove_fits_any"] else "some",
        "time_ns": interval_text(s["time_scale"]["point"], s["time_scale"]["low"], s["time_scale"]["high"]),
    }
    if not wrap.empty:
        out.update({"wrap_cells": _span(wrap["cells_min"], _int), "wrap_logrows": _span(wrap["logrows"], pow2),
                    "wrap_cpu_s": _span(wrap["cpu_s_point"]), "wrap_kind": wrap["kind"].iloc[0],
                    "wrap_vs_jst": _span(wrap["vs_jstprove_prove"].dropna(), lambda x: f"{x:.3g}")})
        if "jstprove_verify_s" in wrap:
            out["jst_verify_s"] = _span(wrap["jstprove_verify_s"].dropna(), lambda x: f"{x:.3g}")
        if wrap_direct:
            out["wrap_vs_ezkl"] = _span(np.array(wrap_direct), lambda x: f"{x:.3g}")
    for arch, f in s["frontier"].items():
        key = arch.replace("llama3-", "").replace("-", "_")
        out.update({f"frontier_{key}_chunks": sci(f["chunks"]), f"frontier_{key}_K": pow2(f["K"]),
                    f"frontier_{key}_gas": interval_text(f["gas"][1], f["gas"][0], f["gas"][2]),
                    f"frontier_{key}_blocks": interval_text(f["blocks"][1], f["blocks"][0], f["blocks"][2]),
                    f"frontier_{key}_usd": interval_text(f["usd"][1], f["usd"][0], f["usd"][2]),
                    f"frontier_{key}_measured_rows": f"{pow2(f['measured_logrows'][0])} to {pow2(f['measured_logrows'][1])}"})
    return out


def onchain_chart(s: dict | None = None):
    """Gas per verified proof against model parameters, both families (log-log): ezkl's measured
    transactions and JSTprove's calldata lower bounds, with the block gas limit (its range) and EIP-7825's
    per-transaction cap as rule lines."""
    s = _s(s)
    frame, a = onchain_frame(s), s["protocol"]
    limits = pd.DataFrame({"gas": [a["block_gas_limit"][1], a["block_gas_limit"][0], a["tx_gas_cap"]],
                           "limit": [f"block gas limit {_int(a['block_gas_limit'][1])}",
                                     f"block gas limit {_int(a['block_gas_limit'][0])} (low end of 2025-2026)",
                                     f"per-transaction cap {_int(a['tx_gas_cap'])} (EIP-7825)"]}).drop_duplicates("gas")
    x = alt.X("params:Q", scale=alt.Scale(type="log"), title="model parameters")
    y = alt.Y("gas:Q", scale=alt.Scale(type="log"), title="gas per verified proof")
    base = alt.Chart(frame).encode(
        x=x, y=y, color=alt.Color("series:N", title=None, sort=list(SERIES.values())),
        shape=alt.Shape("family:N", title="family"),
        tooltip=["prover", "family", "size_label", "params", alt.Tooltip("bytes:Q", format=",.0f"),
                 alt.Tooltip("gas:Q", format=",.0f"), "series"])
    lines = base.mark_line(opacity=0.5).encode(detail="family:N")
    points = base.mark_point()
    rules = alt.Chart(limits).mark_rule(strokeDash=[6, 4], color=charts.PALETTE["neutral"]).encode(y="gas:Q")
    labels = alt.Chart(limits).mark_text(align="left", dx=4, dy=-6, fontSize=11, color=charts.PALETTE["neutral"]).encode(
        y="gas:Q", x=alt.value(0), text="limit:N")
    return alt.layer(rules, labels, lines, points).properties(
        title="Gas to verify one proof on Ethereum: ezkl measured, JSTprove's calldata alone",
        width=charts.WIDTH, height=charts.HEIGHT).configure_legend(orient="bottom", columns=1)
