"""Tables, charts and glued phrases of the chapter "From cost to concentration" (``chapters/concentration.md``),
built on :mod:`chasm.economics.market` (how many provers a market sustains; HHI and Nakamoto coefficient)
and :mod:`chasm.economics.alternatives` (the other routes to a checked result, priced).

Every number is a Monte Carlo summary of ``DRAWS`` seeded draws (median and 2.5/97.5 percentiles): dollars
are USD, capacities and demands proofs per day, latencies seconds. The chapter glues each entry of the
``{name: text}`` dictionaries as ``concentration_<name>``.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import altair as alt
import numpy as np
import pandas as pd

from chasm.core.claims import load_claims
from chasm.core.fmt import interval_text, sci
from chasm.economics import alternatives, market, pricing, scenarios
from chasm.economics.assumptions import load_assumptions
from chasm.report import charts
from chasm.report.chasm import duration_text

__all__ = ["ARCH", "DRAWS", "SEED", "LATENCY_LABELS", "RELATED", "duration_label", "grid", "competitive_grid",
           "alternatives_grid", "verdicts", "cheapest_scenario", "method_facts", "unit_table", "unit_facts", "provers_table",
           "provers_chart", "provers_facts", "alternatives_table", "alternatives_chart", "alternatives_facts",
           "formula_table", "assumptions_table", "related_table", "verdict_facts"]

#: The model of the article's table.
ARCH = "llama3-70b"
#: Monte Carlo draws and seed of every number on the page.
DRAWS = 20_000
SEED = 20261201
#: Latency targets as the page names them.
LATENCY_LABELS = {3600.0: "1 h", 86400.0: "1 day"}
#: Claims the chapter bears on but leaves as they are: claim id -> why.
RELATED = {
    "verify_equivalent_compute": "judged in the chapter on proving, from the measured runs (verification of one "
                                 "ezkl proof against running the network)",
    "validator_vs_training": "judged in the cost-model chapter (a year of a validator node against the GPU-hours "
                             "of pretraining)",
    "dominant_protocols": "a forecast of protocol adoption; the model here counts provers of one proof system, not "
                          "protocols, and says nothing about which would win",
    "top5_compute_share": "a fact about io.net's testnets that only their allocation data could check; the article "
                          "names no source and this book holds none",
}


def duration_label(s: float) -> str:
    """A latency target as the page names it (the article's figure in minutes)."""
    return LATENCY_LABELS.get(float(s), f"{s / 60:g} min")


@functools.lru_cache(maxsize=1)
def grid() -> pd.DataFrame:
    """:func:`chasm.economics.market.market_frame` of every scenario, latency target and demand."""
    return market.market_frame(ARCH, draws=DRAWS, seed=SEED)


@functools.lru_cache(maxsize=1)
def competitive_grid() -> pd.DataFrame:
    """The same, priced at average cost (markup 0, the competitive limit), headline scenario only."""
    return market.market_frame(ARCH, (market.HEADLINE_SCENARIO,), draws=DRAWS, seed=SEED, competitive=True)


@functools.lru_cache(maxsize=1)
def alternatives_grid() -> pd.DataFrame:
    """:func:`chasm.economics.alternatives.alternatives_frame` of every scenario at the default parameters."""
    return alternatives.alternatives_frame(ARCH, tuple(scenarios.SCENARIOS), draws=DRAWS, seed=SEED)


@functools.lru_cache(maxsize=1)
def verdicts() -> tuple[dict, ...]:
    """:func:`chasm.economics.market.concentration_verdicts` at the page's draws."""
    return tuple(market.concentration_verdicts(draws=DRAWS, seed=SEED))


def _iv(row, key: str) -> str:
    return interval_text(row[key], row[f"{key}_low"], row[f"{key}_high"])


def _row(scenario: str, latency: float, demand: float, frame: pd.DataFrame | None = None) -> pd.Series:
    f = grid() if frame is None else frame
    hit = f[(f["scenario"] == scenario) & np.isclose(f["latency_target_s"], latency) & np.isclose(f["demand"], demand)]
    return hit.iloc[0]


# ------------------------------------------------------------------ method


def method_facts() -> dict[str, str]:
    """Glued phrases of the method: draws, seed, latency targets, demands, the server, the utilisation row,
    the markup, the HHI threshold."""
    a = load_assumptions().loc["market_utilisation"]
    g = grid()
    lat = market.latency_targets()
    head = g[g["scenario"] == market.HEADLINE_SCENARIO].iloc[0]
    return {"draws": f"{DRAWS:,}", "seed": str(SEED), "article_latency": duration_label(lat[0]),
            "latencies": ", ".join(duration_label(t) for t in lat), "demand_low": sci(min(market.DEMANDS)),
            "demand_high": sci(max(market.DEMANDS)), "server_vcpus": str(scenarios.SERVER_VCPUS),
            "util": interval_text(float(a["point"]), float(a["low"]), float(a["high"])),
            "markup": _iv(head, "markup"), "hhi_threshold": sci(market.HHI_HIGHLY_CONCENTRATED),
            "n_scenarios": str(len(scenarios.SCENARIOS)), "n_related": str(len(RELATED))}


# ------------------------------------------------------------------ the unit


def unit_table() -> pd.DataFrame:
    """Per scenario and latency target: the unit that proves one query in time (its machines, rent per day,
    proofs a day), the average cost per proof, and the share of draws in which one chunk proof is fast
    enough to meet the target (demand does not enter)."""
    g = grid()
    g = g[np.isclose(g["demand"], min(market.DEMANDS))]
    return pd.DataFrame({
        "scenario": g["scenario"], "latency target": [duration_label(t) for t in g["latency_target_s"]],
        "target met": [f"{100 * x:.1f}%" for x in g["latency_met"]],
        "machines in the unit": [_iv(r, "machines") for _, r in g.iterrows()],
        "unit's rent (USD/day)": [_iv(r, "fixed_usd_day") for _, r in g.iterrows()],
        "proofs/day (capacity)": [_iv(r, "capacity") for _, r in g.iterrows()],
        "USD per proof at capacity": [_iv(r, "cost_usd") for _, r in g.iterrows()]})


def unit_facts() -> dict[str, str]:
    """Glued phrases of the unit: for the headline scenario at each latency target, machines, rent per day and
    per year, capacity; the share of draws meeting the article's latency per scenario; ezkl's keys."""
    facts = {}
    lat = market.latency_targets()
    for i, T in enumerate(lat):
        r = _row(market.HEADLINE_SCENARIO, T, min(market.DEMANDS))
        p = ("t600", "t3600", "t86400")[i]
        facts.update({f"{p}_machines": _iv(r, "machines"), f"{p}_usd_day": _iv(r, "fixed_usd_day"),
                      f"{p}_usd_year": sci(r["fixed_usd_day"] * 365.25), f"{p}_capacity": _iv(r, "capacity"),
                      f"{p}_mes": _iv(r, "mes"), f"{p}_cost": _iv(r, "cost_usd")})
    for sc in scenarios.SCENARIOS:
        r = _row(sc, lat[0], min(market.DEMANDS))
        facts[f"met_{sc.replace('-', '_')}"] = f"{100 * r['latency_met']:.1f}%"
    k = market.key_facts(ARCH)
    facts.update(keygen_low=f"{100 * k['keygen_share_low']:.1f}%", keygen_high=f"{100 * k['keygen_share_high']:.0f}%",
                 keys_pb_low=sci(k["key_bytes_low"] / 1e15), keys_pb_high=sci(k["key_bytes_high"] / 1e15))
    return facts


# ------------------------------------------------------------------ provers sustained


def provers_table(scenario: str = market.HEADLINE_SCENARIO) -> pd.DataFrame:
    """For one scenario, per latency target and demand: minimum efficient scale, provers sustained, HHI and
    Nakamoto coefficient (medians, 95% intervals)."""
    g = grid()
    g = g[g["scenario"] == scenario]
    return pd.DataFrame({
        "latency target": [duration_label(t) for t in g["latency_target_s"]],
        "demand (proofs/day)": [sci(d) for d in g["demand"]],
        "minimum efficient scale (proofs/day)": [_iv(r, "mes") for _, r in g.iterrows()],
        "provers sustained": [_iv(r, "provers") for _, r in g.iterrows()],
        "HHI": [_iv(r, "hhi") for _, r in g.iterrows()],
        "Nakamoto coefficient": [_iv(r, "nakamoto") for _, r in g.iterrows()]})


def provers_chart(scenario: str = market.HEADLINE_SCENARIO) -> alt.HConcatChart:
    """Provers sustained (left) and HHI (right) against demand, one line per latency target, 95% bands,
    log axes; the HHI above which the Merger Guidelines call a market highly concentrated is a rule."""
    g = grid()
    g = g[g["scenario"] == scenario].copy()
    g["latency target"] = [duration_label(t) for t in g["latency_target_s"]]
    x = alt.X("demand:Q", scale=alt.Scale(type="log"), title="demand (proofs per day)")
    color = alt.Color("latency target:N", title="latency target", sort=[duration_label(t) for t in market.latency_targets()])
    base = alt.Chart(g).encode(x=x, color=color)

    def panel(key: str, title: str):
        scale = alt.Scale(type="log")
        band = base.mark_area(opacity=0.2).encode(y=alt.Y(f"{key}_low:Q", scale=scale, title=title), y2=f"{key}_high:Q")
        line = base.mark_line(point=True).encode(y=alt.Y(f"{key}:Q", scale=scale, title=title),
                                                 tooltip=["latency target", "demand", alt.Tooltip(f"{key}:Q", format=".3g"),
                                                          alt.Tooltip(f"{key}_low:Q", format=".3g"),
                                                          alt.Tooltip(f"{key}_high:Q", format=".3g")])
        return band + line

    rule = alt.Chart(pd.DataFrame([{"hhi": market.HHI_HIGHLY_CONCENTRATED,
                                    "label": "highly concentrated above (Merger Guidelines)"}])).mark_rule(
        color=charts.PALETTE["neutral"], strokeDash=[4, 3]).encode(y="hhi:Q", tooltip=["label:N"])
    left = panel("provers", "provers the market sustains").properties(width=230, height=250, title="Provers")
    right = (panel("hhi", "HHI (equal shares)") + rule).properties(width=230, height=250, title="Concentration")
    return alt.hconcat(left, right).properties(
        title=f"{scenario}: provers and concentration against demand",
        description=("Two log-log panels against demand in proofs per day, one line per latency target with its 95% "
                     "band: the number of provers the market sustains, and the HHI of equal shares with the Merger "
                     "Guidelines' threshold of a highly concentrated market as a dashed rule."))


def _threshold(scale_key: str, n: float, scenario: str, latency: float, frame=None) -> str:
    r = _row(scenario, latency, min(market.DEMANDS), frame)
    return interval_text(n * r[scale_key], n * r[f"{scale_key}_low"], n * r[f"{scale_key}_high"])


def provers_facts() -> dict[str, str]:
    """Glued phrases: the demand (proofs/day) at which the headline scenario sustains the article's viable
    entities (10, read from the claim ``viable_entities``) and 6 (below
    that, equal shares have an HHI above the Guidelines' threshold) at each latency target; the range of
    provers, HHI and Nakamoto over the grid; the same in the competitive limit; a node's queries a day."""
    g = grid()
    lat = market.latency_targets()
    ten = int(float(load_claims().set_index("claim_id").loc["viable_entities", "claimed_high"]))  # "<10"
    six = int(np.floor(10000.0 / market.HHI_HIGHLY_CONCENTRATED)) + 1
    facts = {"six": str(six)}
    for i, T in enumerate(lat):
        p = ("t600", "t3600", "t86400")[i]
        facts[f"{p}_ten"] = _threshold("mes", ten, market.HEADLINE_SCENARIO, T)
        facts[f"{p}_six"] = _threshold("mes", six, market.HEADLINE_SCENARIO, T)
    comp = competitive_grid()
    facts["comp_ten"] = _threshold("mes", ten, market.HEADLINE_SCENARIO, lat[0], comp)
    facts["comp_mes"] = _iv(_row(market.HEADLINE_SCENARIO, lat[0], min(market.DEMANDS), comp), "mes")
    h = g[g["scenario"] == market.HEADLINE_SCENARIO]
    facts.update(n_low=sci(h["provers_low"].min()), n_high=sci(h["provers_high"].max()),
                 hhi_low=sci(h["hhi_low"].min()), hhi_high=sci(h["hhi_high"].max()),
                 nak_low=sci(h["nakamoto_low"].min()), nak_high=sci(h["nakamoto_high"].max()))
    top = _row(market.HEADLINE_SCENARIO, lat[0], max(market.DEMANDS))
    facts.update(top_demand=sci(max(market.DEMANDS)), top_n=_iv(top, "provers"), top_hhi=_iv(top, "hhi"),
                 top_nak=_iv(top, "nakamoto"))
    node = market.node_queries_per_day(ARCH, draws=DRAWS, seed=SEED)
    facts["node"] = interval_text(node[1], node[0], node[2])
    at_node = market.market_draws(ARCH, market.HEADLINE_SCENARIO, None, node[1], draws=DRAWS, seed=SEED)["provers"]
    facts["node_n"] = interval_text(*(float(x) for x in np.percentile(at_node, [50, 2.5, 97.5])))
    facts["entities_n"] = f"{float(load_claims().set_index('claim_id').loc['viable_entities', 'claimed_high']):g}"
    return facts


# ------------------------------------------------------------------ alternatives


def formula_table() -> pd.DataFrame:
    """Each route's cost per query (beyond serving it once), the parameter value at which it costs what the zk
    route costs, and the proving-to-inference ratio below which proofs would win, as sympy writes them."""
    e, b, t = alternatives.expressions(), alternatives.break_even(), alternatives.chasm_threshold()
    return pd.DataFrame([{"route": n, "cost per query": str(e[n]),
                          "break-even": f"{a.parameter} = {b[n]}" if n in b else "",
                          "proofs cheaper when P/I <": str(t[n]) if n in t else "", "trust": a.trust}
                         for n, a in alternatives.ALTERNATIVES.items()])


def alternatives_table(scenario: str | None = None) -> pd.DataFrame:
    """The routes priced for one scenario's proofs: USD per query, its multiple of the inference's cost and of
    the zk route's, the break-even parameter, the share of draws in which the route beats the zk route, and
    what sets its time to a final result (default scenario: :func:`cheapest_scenario`)."""
    scenario = scenario or cheapest_scenario()
    a = alternatives_grid()
    a = a[a["scenario"] == scenario]

    def be(r) -> str:
        if r["route"] == "zk proof":
            return ""
        if r.get("break_even_exists", 0) == 0:
            return "none: checking the proof costs more than re-running"
        return f"{r['parameter']} = {_iv(r, 'break_even')}"

    return pd.DataFrame({
        "route": a["route"], "USD per query": [_iv(r, "cost") for _, r in a.iterrows()],
        "× inference": [_iv(r, "over_inference") for _, r in a.iterrows()],
        "× zk route": [_iv(r, "over_zk") for _, r in a.iterrows()],
        "ties with the zk route at": [be(r) for _, r in a.iterrows()],
        "cheaper than zk (share of draws)": ["" if r["route"] == "zk proof" else f"{100 * r['beats_zk']:.1f}%"
                                             for _, r in a.iterrows()],
        "final after": [f"{alternatives.ALTERNATIVES[r['route']].finality}: {duration_text(r['finality_s'])}"
                        for _, r in a.iterrows()]})


def alternatives_chart() -> alt.Chart:
    """USD per query of every route for every scenario's proofs (medians and 95% intervals, log axis)."""
    a = alternatives_grid().copy()
    a["route · scenario"] = a["route"] + " · " + a["scenario"]
    x = alt.X("cost:Q", scale=alt.Scale(type="log"), title="USD per query beyond serving it once (log scale)")
    y = alt.Y("route · scenario:N", sort=list(a["route · scenario"]), title=None)
    base = alt.Chart(a).encode(y=y, color=alt.Color("route:N", title="route", sort=list(alternatives.ALTERNATIVES)),
                               tooltip=["route", "scenario", alt.Tooltip("cost:Q", format=".3g"),
                                        alt.Tooltip("cost_low:Q", format=".3g"), alt.Tooltip("cost_high:Q", format=".3g")])
    bars = base.mark_rule(strokeWidth=6, opacity=0.7).encode(x=alt.X("cost_low:Q", scale=alt.Scale(type="log"),
                                                                      title=x.to_dict()["title"]), x2="cost_high:Q")
    points = base.mark_point(size=70, color="black").encode(x=x)
    return (bars + points).properties(
        width=charts.WIDTH - 200, height=18 * len(a),
        title=f"{ARCH}: what a checked result costs, by route",
        description=("Horizontal bars on a log axis: the 95% interval and median of the dollars per query each route "
                     "adds to serving the query once, for the proofs of each hardware scenario."))


def cheapest_scenario() -> str:
    """The scenario whose zk route has the lowest median cost per query."""
    a = alternatives_grid()
    z = a[a["route"] == "zk proof"]
    return str(z.loc[z["cost"].idxmin(), "scenario"])


def alternatives_facts(scenario: str | None = None) -> dict[str, str]:
    """Glued phrases: per route, USD per query and its multiple of the inference's (``scenario``'s proofs,
    default :func:`cheapest_scenario`); the cost of checking the chunk proofs over running the query; the
    break-even dispute probability, sampled share and slowdown; the default parameters; the times to a final
    result of the optimistic and zk routes; GPUs serving the query against a DGX H100's."""
    scenario = scenario or cheapest_scenario()
    a = alternatives_grid()
    s = a[a["scenario"] == scenario].set_index("route")
    facts = {f"{n.replace(' ', '_').replace('-', '_')}_{k}": _iv(s.loc[n], k)
             for n in alternatives.ALTERNATIVES for k in ("cost", "over_inference")}
    facts["verify_over_inference"] = _iv(s.loc["zk proof"], "verify_over_inference")
    facts["delta_star"] = _iv(s.loc["optimistic"], "break_even")
    facts["sigma_star"] = _iv(s.loc["spot checks"], "break_even")
    facts["o_star"] = _iv(s.loc["trusted hardware"], "break_even")
    facts["beats_min"] = f"{100 * a.loc[a['route'] != 'zk proof', 'beats_zk'].min():.1f}%"
    w = s.loc["optimistic"]
    facts["window"] = f"{duration_text(w['finality_s'])} ({duration_text(w['finality_s_low'])} to {duration_text(w['finality_s_high'])})"
    facts["zk_final"] = duration_text(s.loc["zk proof", "finality_s"])
    facts.update({f"default_{k}": f"{v:g}" for k, v in alternatives.DEFAULTS.items()})
    facts["reexec_threshold"] = _iv(s.loc["re-execution"], "threshold")
    facts["scenario"] = scenario
    facts["zk_ratio"] = _iv(s.loc["zk proof"], "over_inference")
    gpus = pricing.INFER_GPUS[ARCH]
    facts.update(infer_gpus=str(gpus), dgx_share=str(Fraction(gpus, market.DGX_H100_GPUS)))
    facts["zk_cost_low_any"] = sci(a.loc[a["route"] == "zk proof", "cost_low"].min())
    return facts


# ------------------------------------------------------------------ assumptions and claims


def assumptions_table() -> pd.DataFrame:
    """The rows of ``data/assumptions.csv`` this chapter adds (ids ``market_*`` and ``alt_*``): range, unit,
    source and whether the figure was read in the cited source itself."""
    f = load_assumptions()
    f = f[f.index.str.startswith(("market_", "alt_"))].reset_index()
    return pd.DataFrame({"assumption": f["assumption_id"], "quantity": f["quantity"],
                         "low": [sci(x, 4) for x in f["low"]], "point": [sci(x, 4) for x in f["point"]],
                         "high": [sci(x, 4) for x in f["high"]], "unit": f["unit"], "source": f["source"],
                         "confirmed": ["yes" if c else "no" for c in f["confirmed"]]})


def related_table() -> pd.DataFrame:
    """Claims the chapter bears on and leaves as they are, with the reason (:data:`RELATED`)."""
    claims = load_claims().set_index("claim_id")
    return pd.DataFrame([{"claim": c, "quote": claims.loc[c, "quote"].replace("\n", " / "), "why not judged here": why}
                         for c, why in RELATED.items()])


def verdict_facts() -> dict[str, str]:
    """Glued verdicts of the chapter's claims (``<claim>_verdict``, in words) and the rack prices."""
    facts = {f"{v['claim_id']}_verdict": v["verdict"].replace("_", " ") for v in verdicts()}
    c = load_claims().set_index("claim_id")
    facts.update(article_rack=f"${float(c.loc['gpu_rack_cost', 'claimed_low']):,.0f}+",
                 article_entities=f"<{float(c.loc['viable_entities', 'claimed_high']):g}")
    r = market.rack_price()
    per_rack = load_assumptions().loc["market_dgx_h100_per_rack"]
    facts.update(rack_systems_low=f"{per_rack['low']:g}", rack_systems_high=f"{per_rack['high']:g}")
    facts.update(rack_h100=interval_text(r["h100"][1], r["h100"][0], r["h100"][2]),
                 rack_nvl72=interval_text(r["nvl72"][1], r["nvl72"][0], r["nvl72"][2]))
    return facts
