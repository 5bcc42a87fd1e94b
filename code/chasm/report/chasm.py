"""Tables, charts and glued phrases of the chapter "The chasm at frontier scale" (``chapters/chasm.md``) and
of the front page's headline, built on :mod:`chasm.economics.pricing`.

Every priced number is a Monte Carlo summary of :func:`chasm.economics.pricing.price` (median and 2.5/97.5
percentiles of ``DRAWS`` seeded draws): dollars are USD per query, energy kWh per query (with PUE), latency
wall seconds, ratios proving over inference. The article's figures come from ``data/claims.csv``
(:func:`chasm.core.claims.load_claims`), the assumptions from ``data/assumptions.csv``. The chapter calls
these functions, shows the tables and charts, and glues each entry of the ``{name: text}`` dictionaries as
``chasm_<name>`` (the front page: ``intro_<name>``).
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd

from chasm.core.claims import load_claims
from chasm.core.fmt import interval_text, sci
from chasm.economics import pricing, scenarios
from chasm.economics.assumptions import load_assumptions
from chasm.laws.threads import amdahl_efficiency, thread_pairs
from chasm.report import charts

__all__ = ["ARCHS", "HEADLINE_ARCH", "LABELS", "DRAWS", "SEED", "FLEET_SIZES", "SIDES", "priced", "duration_text",
           "claim_range", "method_facts", "scenario_table", "thread_table", "server_facts", "price_frame", "model_table", "price_chart",
           "results_facts", "fleet_frame", "fleet_display", "fleet_chart", "fleet_facts", "tornado_frame",
           "tornado_chart", "tornado_facts", "assumptions_table", "assumptions_facts", "headline_facts",
           "headline_chart", "verdict_facts"]

#: The models priced, smallest first (the article's table names Llama-3-70B).
ARCHS = ("llama3-8b", "llama3-70b", "llama3-405b")
#: The model of the article's table, and of the front page's headline.
HEADLINE_ARCH = "llama3-70b"
#: Model names as the page writes them.
LABELS = {"llama3-8b": "Llama-3 8B", "llama3-70b": "Llama-3 70B", "llama3-405b": "Llama-3 405B"}
#: Monte Carlo draws and seed of every priced number on the page.
DRAWS = 100_000
SEED = 20261201
#: Fleet sizes (machines proving one query's chunks at once), up to past the chunks of a 70B query.
FLEET_SIZES = tuple(10 ** k for k in range(0, 9))
#: The three compared quantities: (name on the page, proving key, inference key, ratio key, claim ids).
SIDES = (("cost (USD/query)", "prove_usd", "infer_usd", "ratio_usd",
          ("cost_query_proving", "cost_query_inference", "cost_ratio_table")),
         ("energy (kWh/query)", "prove_kwh", "infer_kwh", "ratio_kwh",
          ("energy_proving", "energy_inference", "energy_ratio_table")),
         ("latency", "prove_latency_s", "infer_latency_s", "ratio_latency",
          ("latency_proving", "latency_inference", None)))
_YEAR = 365.25 * 86400


@functools.lru_cache(maxsize=16)
def priced(arch_id: str = HEADLINE_ARCH, scenario: str = "measured") -> dict:
    """:func:`chasm.economics.pricing.price` of one query of ``arch_id`` in ``scenario`` on one machine,
    ``DRAWS`` draws at ``SEED`` (cached)."""
    return pricing.price(arch_id, scenario, draws=DRAWS, seed=SEED)


def duration_text(s: float) -> str:
    """Seconds as text in the largest fitting unit (s, min, h, days, years), three significant digits."""
    for unit, size, limit in (("years", _YEAR, 2 * _YEAR), ("days", 86400, 2 * 86400), ("h", 3600, 2 * 3600),
                              ("min", 60, 120)):
        if s >= limit:
            return f"{sci(s / size)} {unit}"
    return f"{sci(s)} s"


def _q(result: dict, key: str, *, unit: str = "") -> str:
    q = result[key]
    if key.endswith("latency_s"):
        return f"{duration_text(q['point'])} ({duration_text(q['low'])} to {duration_text(q['high'])})"
    return interval_text(q["point"], q["low"], q["high"]) + (f" {unit}" if unit else "")


def claim_range(claim_id: str | None) -> str:
    """The article's stated range of a claim of ``data/claims.csv`` as text (``~`` approximate, ``+`` open
    above), in the claim's unit; empty for ``None``."""
    if claim_id is None:
        return ""
    row = load_claims().set_index("claim_id").loc[claim_id]
    low, high = float(row["claimed_low"]), float(row["claimed_high"])
    fmt = (lambda x: f"{x:g} s") if row["unit"] == "s" else (lambda x: f"{x:g}")
    text = fmt(low) if low == high else f"{fmt(low)} to {fmt(high)}"
    text = ("~" if str(row["approximate"]) == "True" else "") + text + ("+" if row["bound"] == "open_above" else "")
    return text + ("×" if row["unit"] == "ratio" else "")


# ------------------------------------------------------------------ method


def method_facts() -> dict[str, str]:
    """Glued phrases of the method: draws, seed, the query, the measuring machine, chunks per query."""
    m = priced()["meta"]
    dist = scenarios.prove_distribution(HEADLINE_ARCH)
    speed, fitted = dist["instance_speed"], dist["fitted_core_s"]
    facts = {"draws": f"{DRAWS:,}", "seed": str(SEED), "hardware": m["hardware_tag"],
             "threads": str(m["prover_threads"]), "K": str(m["K"]), "chunks": sci(m["chunks"]),
             "core_s": interval_text(m["prove_core_s_95"][1], m["prove_core_s_95"][0], m["prove_core_s_95"][2]),
             "fitted_core_s": interval_text(fitted[1], fitted[0], fitted[2]),
             "inst_n": str(len(speed["ratios"])), "inst_low": f"{speed['low']:.2f}", "inst_high": f"{speed['high']:.2f}",
             "server_vcpus": str(scenarios.SERVER_VCPUS), "n_models": str(len(ARCHS)),
             "n_scenarios": str(len(scenarios.SCENARIOS))}
    facts.update({f"gpus_{a.replace('llama3-', '')}": str(pricing.INFER_GPUS[a]) for a in ARCHS})
    f = pricing.arch_facts(HEADLINE_ARCH)
    facts.update(prompt_tokens=str(f["prompt_tokens"]), generated_tokens=str(f["generated_tokens"]))
    return facts


def scenario_table() -> pd.DataFrame:
    """One row per hardware scenario: its name, one machine of the fleet, what it assumes, and the
    assumptions (rows of ``data/assumptions.csv``) that turn measured vCPU-seconds into its costs."""
    return pd.DataFrame([{"scenario": s.name, "one machine": s.machine, "what it assumes": s.description,
                          "assumptions": ", ".join(s.assumptions)} for s in scenarios.SCENARIOS.values()])


def thread_table() -> pd.DataFrame:
    """The 1- against 2-thread pairs of the ``threads`` sweep profile on the measuring machine
    (:func:`chasm.laws.threads.thread_pairs`): proving-phase wall seconds, speed-up and serial share."""
    p = thread_pairs(hardware_tag=priced()["meta"]["hardware_tag"])
    return pd.DataFrame({"circuit": p["config_id"].str.rsplit("-", n=1).str[0], "rows": [f"2^{int(k)}" for k in p["logrows"]],
                         "repetition": p["repetition"].astype(int), "1 thread (s)": [sci(x) for x in p["t1_s"]],
                         "2 threads (s)": [sci(x) for x in p["t2_s"]], "speed-up": [f"{x:.2f}" for x in p["speedup"]],
                         "serial share": [sci(x, 2) for x in p["serial_share"]]})


def server_facts() -> dict[str, str]:
    """Glued phrases of the many-core scenario: the measured 1-to-2-thread speed-up and serial share, the
    sourced serial share, the range used, chunks proven at once and threads each, and the Amdahl
    efficiency at those threads (ratios; memory in GiB)."""
    m = priced(HEADLINE_ARCH, "cpu-server")["meta"]
    ts, ss = m["thread_scaling"], m["serial_share"]
    a = m["assumptions"]
    n = m["threads_per_chunk"]
    eff = [float(amdahl_efficiency(n, s)) for s in ss["used"]]
    rel = [min(1.0, e / float(amdahl_efficiency(2.0, s))) for e, s in zip(eff, ss["used"])]
    e2 = ts["efficiency"]["point"]
    return {"t_pairs": str(ts["pairs"]), "t_configs": str(ts["configs"]),
            "t_speedup": f"{ts['speedup']['point']:.2f} ({ts['speedup']['low']:.2f} to {ts['speedup']['high']:.2f})",
            "t_efficiency": f"{e2:.2f}",
            "t_serial": interval_text(*(ts["serial_share"][k] for k in ("point", "low", "high"))),
            "src_serial": interval_text(ss["sourced"][1], ss["sourced"][0], ss["sourced"][2]),
            "used_serial": interval_text(ss["used"][1], ss["used"][0], ss["used"][2]),
            "serial_widened": "widened to cover both" if ss["widened"] else "left as sourced (the two agree)",
            "server_ram": f"{a['cpu_server_ram_gib']['point']:g}", "chunk_peak_gib": sci(m["chunk_peak_bytes_high"] / 2**30),
            "at_once": f"{m['chunks_at_once']:g}", "threads_each": f"{n:.3g}",
            "eff_n": f"{eff[1]:.2f} ({eff[2]:.2f} to {eff[0]:.2f})",
            "per_vcpu": f"{rel[1]:.2f} ({rel[2]:.2f} to {rel[0]:.2f})"}


# ------------------------------------------------------------------ results per model


@functools.lru_cache(maxsize=1)
def price_frame() -> pd.DataFrame:
    """Long table of every priced quantity: ``arch_id``, ``scenario``, ``quantity`` (a key of
    :data:`chasm.economics.pricing.UNITS`), ``point``, ``low``, ``high`` (95%), ``unit``."""
    rows = []
    for arch in ARCHS:
        for sc in scenarios.SCENARIOS:
            r = priced(arch, sc)
            rows += [{"arch_id": arch, "scenario": sc, "quantity": k, **{e: r[k][e] for e in ("point", "low", "high")},
                      "unit": r[k]["unit"]} for k in pricing.UNITS]
    return pd.DataFrame(rows)


def model_table(arch_id: str = HEADLINE_ARCH) -> pd.DataFrame:
    """Per scenario and compared quantity: proving, inference and proving / inference of one query of
    ``arch_id``, each ``point (low to high)`` (95%), beside the article's stated ranges (for Llama-3-70B)."""
    rows = []
    for name, prove, infer, ratio, claim_ids in SIDES:
        for sc in scenarios.SCENARIOS:
            r = priced(arch_id, sc)
            rows.append({"quantity": name, "scenario": sc, "proving": _q(r, prove), "inference": _q(r, infer),
                         "proving / inference": _q(r, ratio), "article: proving": claim_range(claim_ids[0]),
                         "article: inference": claim_range(claim_ids[1]), "article: ratio": claim_range(claim_ids[2])})
    return pd.DataFrame(rows)


def _article_bands() -> pd.DataFrame:
    rows = []
    for side, cid in (("proving", "cost_query_proving"), ("inference", "cost_query_inference")):
        row = load_claims().set_index("claim_id").loc[cid]
        rows.append({"side": side, "low": float(row["claimed_low"]), "high": float(row["claimed_high"]),
                     "article": f"article, {side}: {claim_range(cid)} USD ({row['quote']})"})
    return pd.DataFrame(rows)


def price_chart() -> alt.LayerChart:
    """Dollars per query, proving against inference, per model and scenario: medians with 95% interval
    bars on a log axis, over the article's stated ranges (grey bands)."""
    pf = price_frame()
    pf = pf[pf["quantity"].isin(["prove_usd", "infer_usd"])].copy()
    pf["side"] = pf["quantity"].map({"prove_usd": "proving", "infer_usd": "inference"})
    pf["model, scenario"] = pf["arch_id"].map(LABELS) + " · " + pf["scenario"]
    order = list(dict.fromkeys(pf["model, scenario"]))
    y = alt.Y("model, scenario:N", sort=order, title=None)
    x = alt.X("point:Q", scale=alt.Scale(type="log"), title="USD per query (log scale)")
    color = alt.Color("side:N", title=None, scale=alt.Scale(domain=["proving", "inference"],
                      range=[charts.PALETTE["proving"], charts.PALETTE["inference"]]))
    tip = ["model, scenario", "side", alt.Tooltip("point:Q", format=".3g"), alt.Tooltip("low:Q", format=".3g"),
           alt.Tooltip("high:Q", format=".3g")]
    bands = alt.Chart(_article_bands()).mark_rect(color="#bbbbbb", opacity=0.35).encode(
        x="low:Q", x2="high:Q", tooltip=["article:N"])
    base = alt.Chart(pf).encode(y=y, color=color, tooltip=tip)
    bars = base.mark_rule(strokeWidth=3).encode(x=alt.X("low:Q", scale=alt.Scale(type="log"),
                                                        title="USD per query (log scale)"), x2="high:Q")
    points = base.mark_point(size=70).encode(x=x)
    return (bands + bars + points).properties(
        width=charts.WIDTH - 160, height=24 * len(order),
        title="One query: proving (ezkl) against inference, USD, 95% intervals")


def results_facts() -> dict[str, str]:
    """Glued phrases of the results: for each scenario, Llama-3-70B's proving and inference cost, energy,
    latency and ratios; the smallest low end of the dollar ratio over every model and scenario."""
    facts = {}
    for sc in scenarios.SCENARIOS:
        r, p = priced(HEADLINE_ARCH, sc), sc.replace("-", "_")
        for key in ("prove_usd", "infer_usd", "ratio_usd", "prove_kwh", "infer_kwh", "ratio_kwh",
                    "prove_latency_s", "infer_latency_s", "ratio_latency", "infer_api_usd", "ratio_api_usd",
                    "verify_usd", "ratio_verify_usd"):
            facts[f"{p}_{key}"] = _q(r, key)
    low = _ends("ratio_usd", "low")
    facts["ratio_usd_min_low"] = sci(low.min())
    facts["ratio_usd_min_where"] = "{} in scenario {}".format(LABELS[low.idxmin()[0]], low.idxmin()[1])
    over = low.min() / float(_claim("cost_ratio_table")["claimed_high"])
    facts["ratio_usd_min_over_article"] = sci(over)
    facts["ratio_vs_article"] = ("lies above the top of" if over > 1 else "reaches into or below")
    facts["reading"] = ("not too wide but too narrow" if over > 1 else "not shown to be too narrow")
    facts["ratio_kwh_min_low"] = sci(_ends("ratio_kwh", "low").min())
    facts["latency_min_low"] = duration_text(_ends("prove_latency_s", "low").min())
    prove_low = _ends("prove_usd", "low").min()
    facts["prove_usd_min_low"] = sci(prove_low)
    facts["prove_usd_min_over_article"] = sci(prove_low / float(_claim("cost_query_proving")["claimed_high"]))
    for key, cid in (("usd", "cost_ratio_table"), ("kwh", "energy_ratio_table"), ("prove_usd", "cost_query_proving"),
                     ("infer_usd", "cost_query_inference"), ("prove_latency", "latency_proving"),
                     ("infer_latency", "latency_inference"), ("prove_kwh", "energy_proving"),
                     ("infer_kwh", "energy_inference")):
        facts[f"article_{key}"] = claim_range(cid)
    return facts


def _ends(quantity: str, end: str) -> pd.Series:
    pf = price_frame()
    return pf[pf["quantity"] == quantity].set_index(["arch_id", "scenario"])[end]


def _claim(claim_id: str) -> pd.Series:
    return load_claims().set_index("claim_id").loc[claim_id]


# ------------------------------------------------------------------ fleets


@functools.lru_cache(maxsize=1)
def fleet_frame(arch_id: str = HEADLINE_ARCH) -> pd.DataFrame:
    """:func:`chasm.economics.scenarios.fleet_table` of ``arch_id`` for every scenario over
    :data:`FLEET_SIZES` (seconds, USD per query, USD per hour of the fleet), concatenated."""
    return pd.concat([scenarios.fleet_table(arch_id, sc, FLEET_SIZES, draws=DRAWS, seed=SEED) for sc in scenarios.SCENARIOS],
                     ignore_index=True)


def fleet_display(arch_id: str = HEADLINE_ARCH) -> pd.DataFrame:
    """:func:`fleet_frame` as shown: machines, wall time and USD per query (95%), and the fleet's rent."""
    f = fleet_frame(arch_id)
    return pd.DataFrame({
        "scenario": f["scenario"], "machines": [sci(m) for m in f["machines"]],
        "wall time per query": [f"{duration_text(p)} ({duration_text(lo)} to {duration_text(hi)})"
                                for p, lo, hi in zip(f["latency_s"], f["latency_s_low"], f["latency_s_high"])],
        "USD per query": [interval_text(p, lo, hi) for p, lo, hi in zip(f["usd"], f["usd_low"], f["usd_high"])],
        "fleet rent (USD/hour)": [sci(x) for x in f["fleet_usd_per_hour"]]})


def fleet_chart(arch_id: str = HEADLINE_ARCH) -> alt.HConcatChart:
    """Wall time (left) and dollars (right) of proving one query against fleet size, per scenario: medians
    and 95% bands on log axes; the article's proving latency range is the grey band."""
    f = fleet_frame(arch_id).copy()
    x = alt.X("machines:Q", scale=alt.Scale(type="log"), title="machines in the fleet")
    color = alt.Color("scenario:N", title="scenario")
    base = alt.Chart(f).encode(x=x, color=color)

    def panel(key: str, title: str):
        y = alt.Y(f"{key}:Q", scale=alt.Scale(type="log"), title=title)
        band = base.mark_area(opacity=0.2).encode(y=alt.Y(f"{key}_low:Q", scale=alt.Scale(type="log"), title=title),
                                                  y2=f"{key}_high:Q")
        line = base.mark_line(point=True).encode(y=y, tooltip=["scenario", "machines", alt.Tooltip(f"{key}:Q", format=".3g")])
        return band + line

    claim = _claim("latency_proving")
    art = alt.Chart(pd.DataFrame([{"low": float(claim["claimed_low"]), "high": float(claim["claimed_high"]),
                                   "article": f"article: {claim_range('latency_proving')}"}])).mark_rect(
        color="#bbbbbb", opacity=0.4).encode(y="low:Q", y2="high:Q", tooltip=["article:N"])
    left = (art + panel("latency_s", "wall seconds per query")).properties(width=220, height=240, title="Time")
    right = panel("usd", "USD per query").properties(width=220, height=240, title="Dollars")
    return alt.hconcat(left, right).properties(title=f"{arch_id}: parallelism buys time, not dollars")


def fleet_facts(arch_id: str = HEADLINE_ARCH) -> dict[str, str]:
    """Glued phrases of the fleet section: wall time on one machine; per scenario the floor (one chunk
    proof, the largest fleet's wall time) and the smallest listed fleet whose median wall time is within
    the article's upper proving latency, with its rent (USD/hour), or that none is."""
    f = fleet_frame(arch_id)
    limit = float(_claim("latency_proving")["claimed_high"])
    m = f[f["scenario"] == "measured"]
    facts = {"fleet_one": duration_text(m["latency_s"].iloc[0]), "fleet_top": sci(m["machines"].max()),
             "fleet_usd": interval_text(m["usd"].iloc[0], m["usd_low"].iloc[0], m["usd_high"].iloc[0]),
             "fleet_usd_same": "the same" if all(np.allclose(g["usd"], g["usd"].iloc[0]) for _, g in f.groupby("scenario"))
             else "not the same", "fleet_limit": claim_range("latency_proving"),
             "fleet_chunks": sci(priced(arch_id, "measured")["meta"]["chunks"])}
    for sc, g in f.groupby("scenario", sort=False):
        p, top = sc.replace("-", "_"), g.iloc[-1]
        facts[f"fleet_{p}_floor"] = (f"{duration_text(top['latency_s'])} ({duration_text(top['latency_s_low'])} to "
                                     f"{duration_text(top['latency_s_high'])})")
        ok = g[g["latency_s"] <= limit]
        facts[f"fleet_{p}_reach"] = (f"{sci(ok['machines'].iloc[0])} machines, renting for "
                                     f"{sci(ok['fleet_usd_per_hour'].iloc[0])} USD an hour" if len(ok)
                                     else "no fleet of any size")
    return facts


# ------------------------------------------------------------------ sensitivity


@functools.lru_cache(maxsize=4)
def tornado_frame(arch_id: str = HEADLINE_ARCH,
                  scenario_names: tuple[str, ...] = ("measured", "cpu-server", "gpu")) -> pd.DataFrame:
    """:func:`chasm.economics.pricing.sensitivity` of the dollar ratio for each scenario, with a
    ``scenario`` column; inputs that do not move the ratio (swing 0) are dropped."""
    frames = [pricing.sensitivity(arch_id, sc, "ratio_usd").assign(scenario=sc) for sc in scenario_names]
    out = pd.concat(frames, ignore_index=True)
    return out[out["swing"] > 0].reset_index(drop=True)


def tornado_chart(arch_id: str = HEADLINE_ARCH) -> alt.VConcatChart:
    """Tornado chart: the dollar ratio with one input at its low (or high) end and every other at its point,
    one bar per input from the base ratio, largest swing on top, per scenario; log axis."""
    t = tornado_frame(arch_id)
    long = pd.concat([t.assign(end="input at its low end", value=t["at_low"]),
                      t.assign(end="input at its high end", value=t["at_high"])], ignore_index=True)
    panels = []
    for sc in dict.fromkeys(t["scenario"]):
        d = long[long["scenario"] == sc]
        order = list(t.loc[t["scenario"] == sc, "assumption"])
        x = alt.X("base:Q", scale=alt.Scale(type="log"), title="USD ratio, proving / inference (log scale)")
        bars = alt.Chart(d).mark_bar(height=14).encode(
            y=alt.Y("assumption:N", sort=order, title=None), x=x, x2="value:Q",
            color=alt.Color("end:N", title=None, scale=alt.Scale(range=[charts.PALETTE["verify"],
                                                                        charts.PALETTE["proving"]])),
            tooltip=["assumption", "end", alt.Tooltip("low:Q", format=".4g"), alt.Tooltip("high:Q", format=".4g"),
                     alt.Tooltip("value:Q", format=".3g", title="ratio")])
        rule = alt.Chart(d).mark_rule(color=charts.PALETTE["neutral"]).encode(x="base:Q")
        panels.append((bars + rule).properties(width=charts.WIDTH - 220, height=22 * len(order),
                                               title=f"scenario {sc}"))
    return alt.vconcat(*panels).properties(title=f"{arch_id}: what moves the dollar ratio")


def tornado_facts(arch_id: str = HEADLINE_ARCH) -> dict[str, str]:
    """Glued phrases: per scenario, the input with the largest swing and the ratio at its two ends."""
    facts = {}
    t = tornado_frame(arch_id)
    for sc in dict.fromkeys(t["scenario"]):
        top = t[t["scenario"] == sc].iloc[0]
        lo, hi = sorted((top["at_low"], top["at_high"]))
        p = sc.replace("-", "_")
        facts.update({f"{p}_top": top["assumption"], f"{p}_top_from": sci(lo), f"{p}_top_to": sci(hi),
                      f"{p}_base": sci(top["base"]), f"{p}_second": t[t["scenario"] == sc].iloc[1]["assumption"]})
    ends = t[["at_low", "at_high"]]
    facts["max_factor"] = sci(float((ends.max(axis=1) / ends.min(axis=1)).max()))
    facts["min_end"] = sci(float(ends.min().min()))
    return facts


# ------------------------------------------------------------------ assumptions


def _used() -> list[str]:
    used: dict[str, None] = {}
    for arch in ARCHS:
        for sc in scenarios.SCENARIOS:
            used.update(dict.fromkeys(priced(arch, sc)["meta"]["assumptions"]))
    return list(used)


def assumptions_table() -> pd.DataFrame:
    """Every assumption the page's pricing uses: id, what it is, low/point/high in its unit, the source
    and its date, and whether the figure was read in the cited source itself (``confirmed``)."""
    f = load_assumptions().loc[_used()].reset_index()
    return pd.DataFrame({"assumption": f["assumption_id"], "quantity": f["quantity"],
                         "low": [sci(x, 4) for x in f["low"]], "point": [sci(x, 4) for x in f["point"]],
                         "high": [sci(x, 4) for x in f["high"]], "unit": f["unit"], "source": f["source"],
                         "source date": f["source_date"], "confirmed": ["yes" if c else "no" for c in f["confirmed"]]})


def assumptions_facts() -> dict[str, str]:
    """Glued counts: assumptions used, and how many of them were not read in the cited source itself."""
    f = load_assumptions().loc[_used()]
    return {"n_assumptions": str(len(f)), "n_unconfirmed": str(int((~f["confirmed"].astype(bool)).sum()))}


# ------------------------------------------------------------------ front page


def headline_facts() -> dict[str, str]:
    """The front page's headline for Llama-3-70B: proving and inference dollars and their ratio on machines
    like the measuring one, the range of the ratio's 95% ends over every scenario, the article's range."""
    m = priced(HEADLINE_ARCH, "measured")
    ratios = [priced(HEADLINE_ARCH, sc)["ratio_usd"] for sc in scenarios.SCENARIOS]
    return {"prove_usd": _q(m, "prove_usd"), "infer_usd": _q(m, "infer_usd"), "ratio_usd": _q(m, "ratio_usd"),
            "ratio_low": sci(min(r["low"] for r in ratios)), "ratio_high": sci(max(r["high"] for r in ratios)),
            "latency": _q(m, "prove_latency_s"), "article_ratio": claim_range("cost_ratio_table"),
            "article_prove": claim_range("cost_query_proving"), "n_scenarios": str(len(scenarios.SCENARIOS)),
            "draws": f"{DRAWS:,}"}


def headline_chart() -> alt.LayerChart:
    """The front page's chart: the article's stated proving-to-inference dollar ratio (grey band) against
    ours for Llama-3-70B per hardware scenario (median and 95% interval), log axis."""
    claim = _claim("cost_ratio_table")
    rows = [{"who": f"ours, {sc}", "low": priced(HEADLINE_ARCH, sc)["ratio_usd"]["low"],
             "point": priced(HEADLINE_ARCH, sc)["ratio_usd"]["point"],
             "high": priced(HEADLINE_ARCH, sc)["ratio_usd"]["high"]} for sc in scenarios.SCENARIOS]
    rows.append({"who": "article", "low": float(claim["claimed_low"]), "point": np.nan,
                 "high": float(claim["claimed_high"])})
    frame = pd.DataFrame(rows)
    order = list(frame["who"])
    x = alt.X("low:Q", scale=alt.Scale(type="log"), title="proving / inference, USD per query (log scale)")
    y = alt.Y("who:N", sort=order, title=None)
    color = alt.Color("side:N", title=None, scale=alt.Scale(domain=["article", "ours"],
                      range=[charts.PALETTE["neutral"], charts.PALETTE["proving"]]))
    base = alt.Chart(frame).transform_calculate(side="datum.who == 'article' ? 'article' : 'ours'").encode(
        y=y, color=color, tooltip=["who", alt.Tooltip("low:Q", format=".3g"), alt.Tooltip("point:Q", format=".3g"),
                                   alt.Tooltip("high:Q", format=".3g")])
    bars = base.mark_rule(strokeWidth=8, opacity=0.8).encode(x=x, x2="high:Q")
    points = base.mark_point(size=90, color="black").encode(x=alt.X("point:Q", scale=alt.Scale(type="log")))
    return (bars + points).properties(
        width=charts.WIDTH - 160, height=40 * len(order),
        title="Llama-3-70B: how much more proving costs than inference",
        description=("Horizontal bars on a log axis: the article's stated range of the proving-to-inference dollar "
                     "ratio, and this book's 95% interval with its median for each hardware scenario."))


def verdict_facts() -> dict[str, str]:
    """Glued counts of the computed verdicts over every claim of ``data/claims.csv`` (and the total)."""
    from chasm.report.claims import verdict_counts, with_verdicts

    counts = verdict_counts(with_verdicts(load_claims())).set_index("verdict")["claims"]
    names = ("supported", "partly_supported", "contradicted", "not_resolved", "not_testable", "untested")
    out = {f"n_{n}": str(int(counts.get(n, 0))) for n in names}
    out["n_claims"] = str(int(counts.sum()))
    return out
