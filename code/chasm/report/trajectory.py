"""Tables, charts and glued phrases of the chapter "How fast is the chasm closing?" (``chapters/trajectory.md``),
built on :mod:`chasm.economics.trajectory`.

Declines are fractions per year, shown as percentages (positive: getting cheaper); years are calendar years
(decimal years rounded to whole ones on the page); ratios are proving over inference dollars for one
Llama-3-70B query. Every entry of the ``{name: text}`` dictionaries is glued as ``trajectory_<name>``.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import sympy as sp
from scipy import stats

from chasm.core.claims import load_claims
from chasm.core.data import load_table
from chasm.core.fmt import sci
from chasm.economics import trajectory as tr
from chasm.economics.assumptions import load_assumptions
from chasm.economics.scenarios import SCENARIOS
from chasm.report import charts

__all__ = ["PREFIX", "HORIZON", "pct_text", "decline_text", "year_text", "method_facts", "offers_table",
           "inference_facts", "price_chart", "proving_table", "family_table", "proving_facts", "proving_chart",
           "equations", "derivation_facts", "threshold_frame", "threshold_table", "threshold_facts",
           "article_years", "required_frame", "required_table", "fan_frame", "fan_chart", "verdicts"]

#: Glue-name prefix of the chapter.
PREFIX = "trajectory_"
#: Years after today the fan chart of the ratio spans.
HORIZON = 50


def pct_text(x: float) -> str:
    """A fraction as a percentage with three significant digits ('42.2%'); '−' for negatives."""
    return f"{sci(100 * x)}%".replace("-", "−")


def decline_text(d: dict) -> str:
    """``point (low to high)`` of a decline dictionary, in percent per year."""
    return f"{pct_text(d['point'])} ({pct_text(d['low'])} to {pct_text(d['high'])})"


def year_text(row: dict) -> str:
    """A crossing year of :func:`chasm.economics.trajectory.threshold_years` as text: ``2071 (2049 to 2130)``,
    ``open`` for a high end that never comes, or 'never in most draws' with the earliest 2.5% year."""
    y = row["year"]
    if y is None:
        low = row["ends"]["low"]
        return "never in most draws" + (f" (2.5%: {low:.0f})" if low is not None else "")
    high = "never" if y["high"] is None else f"{y['high']:.0f}"
    return f"{y['point']:.0f} ({y['low']:.0f} to {high})"


# ------------------------------------------------------------------ method and inference


def method_facts() -> dict[str, str]:
    """Glued phrases of the method: draws, seed, start year, the query's tokens, the claims' ranges."""
    q = load_table("query.csv").iloc[0]
    art = tr.article_declines()
    ratio = load_claims().set_index("claim_id").loc["cost_ratio_table"]
    return {"draws": f"{tr.DRAWS:,}", "seed": str(tr.SEED), "t0": f"{tr.start_year():.2f}",
            "t0_date": str(max(load_assumptions()["retrieved"])), "prompt_tokens": str(int(q["prompt_tokens"])),
            "generated_tokens": str(int(q["generated_tokens"])), "min_years": str(tr.MIN_YEARS),
            "article_inf": f"{100 * art['inference'][0]:.0f}-{100 * art['inference'][1]:.0f}%",
            "article_prove": f"{100 * art['proving'][0]:.0f}-{100 * art['proving'][1]:.0f}%",
            "thresholds": ", ".join(f"{t:,.0f}×" for t in tr.THRESHOLDS), "top": f"{tr.THRESHOLDS[0]:,.0f}×",
            "article_ratio": f"{float(ratio['claimed_low']):,.0f}× to {float(ratio['claimed_high']):,.0f}×"}


def offers_table() -> pd.DataFrame:
    """Every API offer of the fit: date, provider, model ids, input and output price and the query's price."""
    o = tr.api_offers()
    return pd.DataFrame({"date": o["date"], "provider": o["provider"], "listed as": o["item"],
                         "input (USD/M tokens)": [sci(x) for x in o["input"]],
                         "output (USD/M tokens)": [sci(x) for x in o["output"]],
                         "query (USD)": [sci(x) for x in o["query_usd"]]})


def _price_perf() -> tuple[float, float, float]:
    """Yearly cost decline per FLOP/s implied by the GPU price-performance doubling time of
    ``data/assumptions.csv`` (``gpu_price_perf_doubling_years``): ``1 - 2^(-1/T)`` at its low, point, high."""
    row = load_assumptions().loc["gpu_price_perf_doubling_years"]
    return tuple(1 - 2 ** (-1 / float(row[end])) for end in ("high", "point", "low"))


def _yearly_medians(o: pd.DataFrame) -> dict[str, str]:
    """Median query price (USD) and offer count of the first and the last calendar year of the offers."""
    cal = o["year"].astype(int)
    out = {}
    for name, y in (("first", cal.min()), ("last", cal.max())):
        g = o.loc[cal == y, "query_usd"]
        out.update({f"year_{name}": str(y), f"median_{name}": sci(float(g.median())), f"n_{name}": str(len(g))})
    return out


def inference_facts() -> dict[str, str]:
    """Glued phrases of the inference side: the pooled and within-provider API declines, the offers, GPU-hour
    prices within products, GPU price-performance, and how the pooled decline compares with the article's."""
    o = tr.api_offers()
    pooled, within, gpu = tr.inference_decline(), tr.inference_decline("provider"), tr.gpu_hour_decline()
    gh = tr.load_price_history().query("series == 'gpu_hour'")
    lo, pt, hi = _price_perf()
    art = tr.article_declines()["inference"]
    faster = pooled.low / art[1]
    return {"n_offers": str(len(o)), "n_providers": str(o["provider"].nunique()), "first": o["date"].min(),
            "last": o["date"].max(), "pooled": decline_text(pooled.as_dict()), "pooled_dof": str(pooled.dof),
            "within": decline_text(within.as_dict()), "within_groups": str(within.groups),
            **_yearly_medians(o),
            "cheapest": sci(float(o["query_usd"].min())), "cheapest_date": o.loc[o["query_usd"].idxmin(), "date"],
            "gpu": decline_text(gpu.as_dict()), "gpu_rise": pct_text(-gpu.point),
            "gpu_lead": ("did not get cheaper by the hour" if gpu.high < 0 else "got cheaper by the hour"
                         if gpu.low > 0 else "got neither clearly cheaper nor dearer by the hour"),
            "gpu_n": str(gpu.groups), "gpu_dates": " and ".join(sorted(gh["date"].unique())),
            "gpu_provider": ", ".join(sorted(gh["provider"].unique())).title(),
            "perf": f"{pct_text(pt)} ({pct_text(lo)} to {pct_text(hi)})",
            "vs_article": f"{faster:.2g} times" if faster > 1 else "not above"}


def price_chart() -> alt.LayerChart:
    """The query's API price per offer against its date (log axis), the pooled fit and its 95% band of the
    mean line (t-based), and the article's 10-20% a year drawn from the fit's start for comparison."""
    o = tr.api_offers()
    d = tr.inference_decline()
    t = np.linspace(o["year"].min(), o["year"].max(), 40)
    y = np.log(o["query_usd"].to_numpy())
    tm = o["year"].mean()
    a = y.mean()  # the pooled fit's intercept at the mean year (least squares passes through the means)
    X = o["year"].to_numpy() - tm
    s2 = float(((y - a - d.slope * X) ** 2).sum()) / d.dof
    q = stats.t.ppf(0.975, d.dof)
    half = q * np.sqrt(s2 * (1 / len(y) + (t - tm) ** 2 / (X ** 2).sum()))
    fit = pd.DataFrame({"year": t, "fit": np.exp(a + d.slope * (t - tm)), "lo": np.exp(a + d.slope * (t - tm) - half),
                        "hi": np.exp(a + d.slope * (t - tm) + half)})
    art = tr.article_declines()["inference"]
    start = float(fit["fit"].iloc[0])
    lines = pd.concat([pd.DataFrame({"year": t, "usd": start * (1 - r) ** (t - t[0]),
                                     "line": f"article: {100 * r:.0f}% a year"}) for r in art])
    x = alt.X("year:Q", title="date (year)", scale=alt.Scale(zero=False), axis=alt.Axis(format="d"))
    ylog = alt.Scale(type="log")
    band = alt.Chart(fit).mark_area(opacity=0.2, color=charts.PALETTE["inference"]).encode(
        x=x, y=alt.Y("lo:Q", scale=ylog, title="USD per query (log scale)"), y2="hi:Q")
    line = alt.Chart(fit).mark_line(color=charts.PALETTE["inference"]).encode(x=x, y=alt.Y("fit:Q", scale=ylog))
    ref = alt.Chart(lines).mark_line(strokeDash=[4, 3], color=charts.PALETTE["neutral"]).encode(
        x=x, y=alt.Y("usd:Q", scale=ylog), detail="line:N", tooltip=["line:N"])
    pts = alt.Chart(o).mark_point(color=charts.PALETTE["inference"]).encode(
        x=x, y=alt.Y("query_usd:Q", scale=ylog),
        tooltip=["date", "provider", "item", alt.Tooltip("query_usd:Q", format=".3g", title="USD per query")])
    return (band + line + ref + pts).properties(
        width=charts.WIDTH, height=charts.HEIGHT, title="The API price of one Llama 70B query, by date listed",
        description=("Points: the price of the query at each offer of a Llama 70B chat model, on a log axis "
                     "against the date it was first listed; line and band: the fitted yearly decline and its 95% "
                     "band; dashed: the article's 10% and 20% a year from the fit's start."))


# ------------------------------------------------------------------ proving


def proving_table() -> pd.DataFrame:
    """The best published result of each year per proof family and of the field (``all``), per
    parameter-token, with the row, model, hardware and whether the tokens proven are stated."""
    p = tr.proving_points()
    return pd.DataFrame({"family": p["family"], "year": p["year"].astype(int), "row": p["row_id"],
                         "system": p["system"], "model": p["model"],
                         "s per parameter-token": [sci(x) for x in p["unit"]],
                         "tokens stated": ["yes" if x else "no (counted as 1)" for x in p["tokens_stated"]],
                         "hardware class": p["hardware_class"], "hardware": p["hardware"]})


def family_table() -> pd.DataFrame:
    """Per family: years, whether a decline can be fitted (and why not), and the least-squares decline of
    its best-per-year points with its 95% interval where two or more years allow one (never used when not
    comparable)."""
    f = tr.family_declines()
    fitted = [("—" if np.isnan(r.point) else
               f"{pct_text(r.point)} ({pct_text(r.low)} to {pct_text(r.high)}), {r.dof} dof") for r in f.itertuples()]
    return pd.DataFrame({"family": f["family"], "years": f["years"],
                         "fitted?": ["yes" if not r else "no" for r in f["reason"]],
                         "why not": f["reason"], "least squares anyway, %/year (95%)": fitted})


def proving_facts() -> dict[str, str]:
    """Glued phrases of the proving side: rows of the record, rows usable per parameter-token, rows stating
    tokens, families, and the source of the proving decline the crossing years use."""
    from chasm.core.literature import load_literature, normalised

    lit = normalised(load_literature())
    usable = lit[(lit["scope"] == "whole_model") & lit["prove_s_per_param_token"].notna()]
    both = usable[usable["tokens_proven"].notna()]
    src = tr.proving_decline_source()
    fams = tr.family_declines()
    ok = fams[fams["reason"] == ""]
    allrow = fams.set_index("family").loc["all"]
    return {"n_rows": str(len(lit)), "n_usable": str(len(usable)), "n_tokens": str(len(both)),
            "tokens_years": ", ".join(str(int(y)) for y in sorted(both["year"].unique())) or "none",
            "years": f"{int(lit['year'].min())} to {int(lit['year'].max())}",
            "n_families": str(len(fams) - 1), "n_fitted": str(len(ok)),
            "all_reason": allrow["reason"] or "none",
            "all_forced": ("—" if np.isnan(allrow["point"]) else
                           f"{pct_text(allrow['point'])} ({pct_text(allrow['low'])} to {pct_text(allrow['high'])})"),
            "source": ("the field's fitted decline" if src["kind"] == "fitted" else
                       f"the article's own {100 * src['low']:.0f}-{100 * src['high']:.0f}% a year"),
            "all_status": ("and so does the field as a whole" if allrow["reason"] == "" else
                           f"and the field as a whole does not ({allrow['reason']})"),
            "source_sentence": ("So the crossing years below use the field's fitted decline." if src["kind"] == "fitted"
                                else "So the crossing years below use the article's own "
                                     f"{100 * src['low']:.0f}-{100 * src['high']:.0f}% a year, every value of "
                                     "the range equally likely: they show what follows if proving gets cheaper as "
                                     "fast as the article says."),
            "source_reason": src["reason"]}


def proving_chart() -> alt.Chart:
    """Best published proving time per parameter-token per year and family (log axis), shape by hardware
    class, filled where the tokens proven are stated."""
    p = tr.proving_points().query("family != 'all'").copy()
    p["tokens"] = np.where(p["tokens_stated"], "stated", "not stated (1)")
    return alt.Chart(p).mark_point(size=110).encode(
        x=alt.X("year:O", title="year published"),
        y=alt.Y("unit:Q", scale=alt.Scale(type="log"), title="prove seconds per parameter-token (log scale)"),
        color=alt.Color("family:N", title="proof family"), shape=alt.Shape("hardware_class:N", title="hardware"),
        fill=alt.Fill("tokens:N", title="tokens proven", scale=alt.Scale(range=["white", "#444444"])),
        tooltip=["family", "year", "row_id", "system", "model", "hardware",
                 alt.Tooltip("unit:Q", format=".3g", title="s per parameter-token")]).properties(
        width=charts.WIDTH - 160, height=charts.HEIGHT,
        title="The best published proving time of each year, per proof family",
        description=("Points on a log axis: the fastest whole-model proof of each year in each proof family, in "
                     "prove seconds per parameter-token, shaped by hardware class and filled where the paper "
                     "states how many tokens were proven."))


# ------------------------------------------------------------------ derivation and crossing years


def equations() -> list[tuple[str, sp.Expr]]:
    """The derivation's steps as ``(label, sympy equation)`` pairs, for display."""
    d = tr.derivation()
    s = tr.SYMBOLS
    return [("the ratio after t years", sp.Eq(sp.Function("R")(s["t"]), d["ratio"])),
            ("it reaches the threshold T", d["equation"]),
            ("logarithms of both sides", d["logs"]),
            ("solved for t", sp.Eq(sp.Symbol("t^*"), d["closed"]))]


def derivation_facts() -> dict[str, str]:
    """Glued phrases: whether sympy confirms the closed form, and a worked example with the pooled inference
    decline and the middle of the article's proving decline."""
    d = tr.derivation()
    di = tr.inference_decline().point
    art = tr.article_declines()["proving"]
    dp = sum(art) / 2
    per_decade = math.log(10) / math.log((1 - di) / (1 - dp)) if dp > di else math.inf
    return {"check": "confirms" if d["check"] else "does not confirm",
            "example_di": pct_text(di), "example_dp": pct_text(dp),
            "example_narrowing": f"{(1 - di) / (1 - dp):.3g}",
            "example_direction": "narrows" if dp > di else "widens",
            "example_clause": ("so it never falls by a factor of ten" if not math.isfinite(per_decade)
                               else f"by a factor of ten every {per_decade:.3g} years")}


def threshold_frame() -> pd.DataFrame:
    """Per hardware scenario and threshold (and parity): today's ratio, the crossing year's dictionary, the
    share of draws that never cross, and the year as text."""
    rows = []
    for sc in SCENARIOS:
        r0 = tr.ratio_draws(sc)
        lo, pt, hi = np.percentile(r0, [2.5, 50, 97.5])
        for row in tr.threshold_years(sc):
            rows.append({"scenario": sc, "ratio today": f"{sci(pt)} ({sci(lo)} to {sci(hi)})",
                         "threshold": row["threshold"], "year": year_text(row), "never": row["never_share"],
                         "_row": row})
    return pd.DataFrame(rows)


def threshold_table() -> pd.DataFrame:
    """:func:`threshold_frame` as shown."""
    f = threshold_frame()
    return pd.DataFrame({"scenario": f["scenario"], "ratio today (95%)": f["ratio today"],
                         "falls below": [f"{t:,.0f}×" for t in f["threshold"]],
                         "in the year (95%)": f["year"],
                         "draws that never get there": [f"{x:.0%}" for x in f["never"]]})


def article_years() -> pd.DataFrame:
    """Years from now to each threshold with the article's own numbers (its ratio of 500 to 5,000 and its
    declines), at the corners: fewest years (lowest ratio, slowest inference and fastest proving decline)
    and most (the other corners), by the same closed form."""
    c = load_claims().set_index("claim_id").loc["cost_ratio_table"]
    r_lo, r_hi = float(c["claimed_low"]), float(c["claimed_high"])
    (i_lo, i_hi), (p_lo, p_hi) = tr.article_declines()["inference"], tr.article_declines()["proving"]
    rows = []
    for T in tr.THRESHOLDS + (tr.PARITY,):
        few = tr.crossing_year(r_lo, T, i_lo, p_hi)
        most = tr.crossing_year(r_hi, T, i_hi, p_lo)
        rows.append({"falls below": f"{T:,.0f}×", "fewest years": f"{few:.3g}", "most years": f"{most:.3g}"})
    return pd.DataFrame(rows)


def threshold_facts() -> dict[str, str]:
    """Glued phrases: per scenario today's ratio, the parity and the 1,000× lines as text and the share of
    draws never reaching parity; the proving decline parity and 1,000× would need within the article's
    horizon (GPU scenario); and the article's own fewest and most years to parity."""
    f = threshold_frame()
    out = {}
    for sc, g in f.groupby("scenario", sort=False):
        p = sc.replace("-", "_")
        by = g.set_index("threshold")
        out[f"{p}_ratio"] = by["ratio today"].iloc[0]
        out[f"{p}_1000"] = by.loc[tr.THRESHOLDS[0], "year"]
        out[f"{p}_parity"] = by.loc[tr.PARITY, "year"]
        out[f"{p}_never"] = f"{by.loc[tr.PARITY, 'never']:.0%}"
        for T, name in ((tr.THRESHOLDS[0], "1000"), (tr.PARITY, "parity")):
            low = by.loc[T, "_row"]["ends"]["low"]
            out[f"{p}_{name}_early"] = "never" if low is None else f"{low:.0f}"
        points = [r["year"] for r in g["_row"]]
        out[f"{p}_median"] = ("so the median year is “never” for every threshold" if all(y is None for y in points)
                              else "the median year to parity is " + year_text(by.loc[tr.PARITY, "_row"]))
    req = required_frame().set_index("threshold")
    out["required_years"] = f"{req['years'].iloc[0]:g}"
    for T, name in ((tr.PARITY, "parity"), (tr.THRESHOLDS[0], "1000")):
        r = req.loc[T]
        out[f"required_{name}"] = f"{pct_text(r['point'])} ({pct_text(r['low'])} to {pct_text(r['high'])})"
    art = article_years().set_index("falls below")
    out["article_parity_few"] = art.iloc[-1]["fewest years"]
    out["article_parity_most"] = art.iloc[-1]["most years"]
    return out


def required_frame(scenario: str = "gpu") -> pd.DataFrame:
    """Per threshold: the yearly proving decline that would bring today's ratio (``scenario``) below it
    within the article's horizon (the high end of ``chasm_persists_years``, years), at the drawn inference
    decline: median and 95% interval over the draws (:func:`chasm.economics.trajectory.required_decline`)."""
    years = float(load_claims().set_index("claim_id").loc["chasm_persists_years", "claimed_high"])
    r0 = tr.ratio_draws(scenario)
    d_i, _ = tr.decline_draws()
    rows = []
    for T in tr.THRESHOLDS + (tr.PARITY,):
        lo, pt, hi = np.percentile(tr.required_decline(r0, T, d_i, years), [2.5, 50, 97.5])
        rows.append({"threshold": T, "years": years, "point": pt, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def required_table(scenario: str = "gpu") -> pd.DataFrame:
    """:func:`required_frame` as shown, beside the article's stated proving decline."""
    f = required_frame(scenario)
    art = tr.article_declines()["proving"]
    return pd.DataFrame({"falls below": [f"{t:,.0f}×" for t in f["threshold"]],
                         "within (years)": [f"{y:g}" for y in f["years"]],
                         "proving must get cheaper by, per year (95%)": [
                             f"{pct_text(p)} ({pct_text(lo)} to {pct_text(hi)})"
                             for p, lo, hi in zip(f["point"], f["low"], f["high"])],
                         "the article's": f"{100 * art[0]:.0f}-{100 * art[1]:.0f}%"})


def fan_frame(scenario: str = "gpu", horizon: int = HORIZON) -> pd.DataFrame:
    """Quantiles of the ratio over the next ``horizon`` years (``scenario``): per year, the 2.5th, 50th and
    97.5th percentiles of ``R0 ((1 - d_p)/(1 - d_i))^(t - t0)`` over the Monte Carlo draws."""
    r0 = tr.ratio_draws(scenario)
    d_i, d_p = tr.decline_draws()  # the same draws as the crossing years
    log_step = np.log((1 - d_p) / (1 - d_i))
    t0 = tr.start_year()
    rows = []
    for k in range(0, horizon + 1, 2):
        q = np.exp(np.percentile(np.log(r0) + k * log_step, [2.5, 50, 97.5]))
        rows.append({"year": t0 + k, "low": q[0], "median": q[1], "high": q[2]})
    return pd.DataFrame(rows)


def fan_chart(scenario: str = "gpu") -> alt.LayerChart:
    """The ratio's median and 95% band over the years (log axis) with the thresholds as rules."""
    f = fan_frame(scenario)
    x = alt.X("year:Q", title="year", scale=alt.Scale(zero=False), axis=alt.Axis(format="d"))
    ylog = alt.Scale(type="log")
    band = alt.Chart(f).mark_area(opacity=0.25, color=charts.PALETTE["proving"]).encode(
        x=x, y=alt.Y("low:Q", scale=ylog, title="proving / inference, USD per query (log scale)"), y2="high:Q")
    med = alt.Chart(f).mark_line(color=charts.PALETTE["proving"]).encode(
        x=x, y=alt.Y("median:Q", scale=ylog), tooltip=[alt.Tooltip("year:Q", format=".0f"),
                                                       alt.Tooltip("median:Q", format=".3g")])
    th = pd.DataFrame({"threshold": list(tr.THRESHOLDS) + [tr.PARITY],
                       "label": [f"{t:,.0f}×" for t in tr.THRESHOLDS] + ["parity"]})
    rules = alt.Chart(th).mark_rule(strokeDash=[4, 3], color=charts.PALETTE["neutral"]).encode(
        y=alt.Y("threshold:Q", scale=ylog), tooltip=["label:N"])
    return (band + med + rules).properties(
        width=charts.WIDTH, height=charts.HEIGHT,
        title=f"Where the ratio goes: proving scenario {scenario}, median and 95% band",
        description=("Median and 95% band of the proving-to-inference dollar ratio of one Llama-3-70B query over "
                     "the coming years on a log axis, from today's priced ratio and the drawn yearly declines; "
                     "dashed rules at 1,000x, 100x, 10x and parity."))


def verdicts() -> list[dict]:
    """The chapter's verdicts (:func:`chasm.economics.trajectory.trajectory_verdicts`)."""
    return tr.trajectory_verdicts()
