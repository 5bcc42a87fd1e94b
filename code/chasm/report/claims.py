"""Tables and charts of the chapter "The claims under test".

Formatting of claimed ranges (:func:`format_number`, :func:`format_range`), the chapter's claims
table, and its two charts: the claimed ranges per unit, and stated against implied ratios.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from chasm.core.claims import CHART_SUBJECTS, UNIT_LABELS, numeric_claims
from chasm.report import charts

__all__ = ["format_number", "format_range", "claims_table", "chart_frame", "PANEL_WIDTH", "log_domain",
           "log_ticks", "claimed_ranges_chart", "ratio_check_chart", "summary_facts", "testability_table",
           "claims_by_section", "notes_table", "ratio_facts", "ratio_table", "power_facts", "power_table",
           "parity_facts", "parity_table", "contradictions_table", "with_verdicts", "verdict_counts", "settled_table"]


def format_number(value: float) -> str:
    """Compact display of a claimed or derived number (3 significant digits)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "never"
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-3:
        return f"{value:.3g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def format_range(low: float, high: float, bound: str) -> str:
    """A claimed range as text: ``5 to 50+``, ``< 10``, ``1``."""
    if bound == "qualitative":
        return "(in words)"
    text = format_number(low) if low == high else f"{format_number(low)} to {format_number(high)}"
    if bound == "open_above":
        return text + "+"
    if bound == "open_below":
        return f"< {format_number(high)}"
    return text


def claims_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The table shown in the chapter: one row per claim, readable columns.

    ``claimed`` joins the stated range and its unit, with ``~`` in front of a
    figure the article marks as approximate; ``tested by`` joins how the claim
    can be tested and the chapter that tests it; with computed verdicts (:func:`with_verdicts`), ``judged
    against`` and ``why`` show the interval each was judged against and the reason.
    """
    claimed = [
        ("~" if approx else "") + format_range(lo, hi, b) + ("" if unit == "none" else f" {unit}")
        for lo, hi, b, unit, approx in zip(frame["claimed_low"], frame["claimed_high"], frame["bound"],
                                           frame["unit"], frame["approximate"])
    ]
    return pd.DataFrame({
        "claim": frame["claim_id"],
        "section": frame["section"],
        "quote": frame["quote"].str.replace("\n", " / ", regex=False),
        "quantity": frame["quantity"],
        "claimed": claimed,
        "tested by": frame["testable"] + " (" + frame["chapter"] + ")",
        "verdict": frame["verdict"],
        **({"judged against": frame["judged_against"], "why": frame["reason"]} if "judged_against" in frame else {}),
    })


def chart_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric inference, proving and ratio claims with positive values, for log axes."""
    rows = numeric_claims(frame)
    rows = rows[rows["subject"].isin(CHART_SUBJECTS) & (rows["claimed_low"] > 0)]
    out = rows[["claim_id", "quote", "quantity", "unit", "claimed_low", "claimed_high",
                "bound", "subject"]].copy()
    out["quote"] = out["quote"].str.replace("\n", " / ", regex=False)
    out["panel"] = out["unit"].map(UNIT_LABELS)
    out["open_above"] = out["bound"] == "open_above"
    return out.reset_index(drop=True)


#: Width (pixels) of a panel's plotting area; labels and legend come on top of it.
PANEL_WIDTH = 430


def log_domain(low: float, high: float) -> list[float]:
    """Powers of ten enclosing ``[low, high]`` with some room at both ends."""
    return [10.0 ** math.floor(math.log10(low * 0.8)), 10.0 ** math.ceil(math.log10(high * 1.25))]


def log_ticks(domain: list[float]) -> list[float]:
    """Tick values for a log axis: 1-2-5 steps over up to three decades, else powers of ten."""
    first, last = round(math.log10(domain[0])), round(math.log10(domain[1]))
    steps = (1, 2, 5) if last - first <= 3 else (1,)
    return [m * 10.0 ** k for k in range(first, last + 1) for m in steps if m * 10.0 ** k <= domain[1]]


def _log_x(field: str, domain: list[float], title: str) -> alt.X:
    label = ("datum.value >= 1e5 || datum.value < 1e-3 ? format(datum.value, '.0e')"
             " : format(datum.value, '~g')")
    return alt.X(field, title=title, scale=alt.Scale(type="log", domain=domain),
                 axis=alt.Axis(values=log_ticks(domain), labelExpr=label))


def claimed_ranges_chart(frame: pd.DataFrame) -> alt.VConcatChart:
    """Log-scale ranges of the numeric claims, one panel per unit.

    A bar runs from claimed_low to claimed_high (a tick marks a single figure);
    a right-pointing triangle marks an upper end the article leaves open
    ("+", "exceeds"). Colours: inference, ZK proving, and their ratio.
    """
    plot = chart_frame(frame)
    color = alt.Color(
        "subject:N",
        title="subject",
        scale=alt.Scale(
            domain=list(CHART_SUBJECTS),
            range=[charts.PALETTE["inference"], charts.PALETTE["proving"], charts.PALETTE["verify"]],
        ),
    )
    tooltip = ["claim_id:N", "quote:N", "quantity:N", "claimed_low:Q", "claimed_high:Q", "bound:N"]
    panels = []
    for unit in [u for u in UNIT_LABELS if u in set(plot["unit"])]:
        part = plot[plot["unit"] == unit]
        domain = log_domain(part["claimed_low"].min(), part["claimed_high"].max())
        x = _log_x("claimed_low:Q", domain, UNIT_LABELS[unit] + " (log scale)")
        base = alt.Chart(part).encode(
            y=alt.Y("claim_id:N", title=None, sort=list(part["claim_id"])),
            color=color,
            tooltip=tooltip,
        )
        bar = base.mark_rule(strokeWidth=7, opacity=0.75).encode(x=x, x2="claimed_high:Q")
        low_tick = base.mark_tick(thickness=2, size=16).encode(x=x)
        high_tick = base.mark_tick(thickness=2, size=16).encode(x=alt.X("claimed_high:Q"))
        arrow = base.transform_filter(alt.datum.open_above).mark_point(
            shape="triangle-right", size=90, filled=True, opacity=1
        ).encode(x=alt.X("claimed_high:Q"))
        panels.append(
            alt.layer(bar, low_tick, high_tick, arrow).properties(
                height=26 * len(part) + 10, width=PANEL_WIDTH
            )
        )
    return (
        alt.vconcat(*panels, spacing=14, title="The article's claimed ranges, one panel per unit")
        .resolve_scale(x="independent", y="independent")
        .configure_legend(orient="top")
    )


def ratio_check_chart(ratios: pd.DataFrame) -> alt.LayerChart:
    """Stated ratios against the ratios implied by the article's own figures (log scale)."""
    long = pd.concat([
        pd.DataFrame({"claim_id": ratios["claim_id"], "reading": "stated",
                      "low": ratios["stated_low"], "high": ratios["stated_high"], "open_above": False}),
        pd.DataFrame({"claim_id": ratios["claim_id"], "reading": "implied",
                      "low": ratios["implied_low"], "high": ratios["implied_high"],
                      "open_above": ratios["implied_open_above"]}),
    ], ignore_index=True)
    domain = log_domain(long["low"].min(), long["high"].max())
    x = _log_x("low:Q", domain, "ratio, ZK proving / inference (log scale)")
    base = alt.Chart(long).encode(
        y=alt.Y("claim_id:N", title=None, sort=list(ratios["claim_id"])),
        yOffset=alt.YOffset("reading:N", sort=["stated", "implied"]),
        color=alt.Color("reading:N", title="ratio",
                        scale=alt.Scale(domain=["stated", "implied"],
                                        range=[charts.PALETTE["neutral"], charts.PALETTE["verify"]])),
        tooltip=["claim_id:N", "reading:N", "low:Q", "high:Q", "open_above:N"],
    )
    bar = base.mark_rule(strokeWidth=7, opacity=0.8).encode(x=x, x2="high:Q")
    ends = base.mark_tick(thickness=2, size=12).encode(x=x) + base.mark_tick(thickness=2, size=12).encode(
        x=alt.X("high:Q"))
    arrow = base.transform_filter(alt.datum.open_above).mark_point(
        shape="triangle-right", size=80, filled=True, opacity=1).encode(x=alt.X("high:Q"))
    return alt.layer(bar, ends, arrow).properties(
        title="Stated ratios and the ratios the article's own figures imply",
        height=60 * len(ratios), width=PANEL_WIDTH,
    ).configure_legend(orient="top")


# --------------------------------------------------------------------------- the chapter's tables and glued values


def _fmt_columns(table: pd.DataFrame, columns) -> pd.DataFrame:
    """``table`` with ``columns`` formatted by :func:`format_number` and booleans as yes/no."""
    out = table.assign(**{c: table[c].map(format_number) for c in columns})
    for c in out.columns:
        if out[c].dtype == bool:
            out[c] = out[c].map({True: "yes", False: "no"})
    return out


def summary_facts(frame: pd.DataFrame) -> dict[str, int]:
    """Counts the chapter opens with: ``n_claims``, ``n_numeric``, ``n_qualitative``, ``n_sections``."""
    numeric = numeric_claims(frame)
    return {"n_claims": len(frame), "n_numeric": len(numeric), "n_qualitative": len(frame) - len(numeric),
            "n_sections": int(frame["section"].nunique())}


def testability_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Claims per chapter that tests them (rows) and per way of testing them (columns)."""
    return (frame.pivot_table(index="chapter", columns="testable", values="claim_id", aggfunc="count", fill_value=0)
            .reset_index().rename_axis(columns=None))


def claims_by_section(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``(section heading, its claims table)`` in the article's order, sections without claims left out."""
    from chasm.core.claims import section_headings

    table = claims_table(frame)
    parts = [(s, table[table["section"] == s].drop(columns=["section"])) for s in section_headings()]
    return [(s, part) for s, part in parts if len(part)]


def notes_table(frame: pd.DataFrame) -> pd.DataFrame:
    """How each figure was read: the claims with notes."""
    return frame.loc[frame["notes"].notna(), ["claim_id", "notes"]].rename(columns={"claim_id": "claim"})


def ratio_facts(ratios: pd.DataFrame) -> dict[str, str]:
    """Glued text of the stated against implied ratios (:func:`chasm.economics.article.implied_ratios`):
    the cost ratio's implied and stated ends and agreement, the energy ratio's implied ends and
    agreement, and the premium's agreement and gap (lowest implied over highest stated)."""
    by = ratios.set_index("claim_id")
    cost, energy, premium = by.loc["cost_ratio_table"], by.loc["energy_ratio_table"], by.loc["cost_premium_today"]
    return {
        "cost_implied_low": format_number(cost["implied_low"]), "cost_implied_high": format_number(cost["implied_high"]),
        "cost_stated_low": format_number(cost["stated_low"]), "cost_stated_high": format_number(cost["stated_high"]),
        "cost_low_over_low": format_number(cost["low_over_low"]),
        "cost_high_over_high": format_number(cost["high_over_high"]), "cost_agreement": cost["agreement"],
        "energy_implied_low": format_number(energy["implied_low"]),
        "energy_implied_high": format_number(energy["implied_high"]), "energy_agreement": energy["agreement"],
        "premium_agreement": premium["agreement"],
        "premium_gap": format_number(premium["implied_low"] / premium["stated_high"]),
    }


def ratio_table(ratios: pd.DataFrame) -> pd.DataFrame:
    """:func:`chasm.economics.article.implied_ratios` formatted for the page."""
    return _fmt_columns(ratios, ["stated_low", "stated_high", "implied_low", "implied_high", "low_over_low",
                                 "high_over_high"])


def power_facts(power: pd.DataFrame) -> dict[str, str]:
    """Glued text of the implied power (kW, :func:`chasm.economics.article.implied_power`): each
    subject's ends, and the smallest and largest end over both subjects (``kw_min``, ``kw_max``)."""
    by = power.set_index("subject")
    ends = [by.loc[s, f"power_kw_{e}"] for s in ("inference", "zk_proving") for e in ("low", "high")]
    return {"inf_kw_low": format_number(by.loc["inference", "power_kw_low"]),
            "inf_kw_high": format_number(by.loc["inference", "power_kw_high"]),
            "zk_kw_low": format_number(by.loc["zk_proving", "power_kw_low"]),
            "zk_kw_high": format_number(by.loc["zk_proving", "power_kw_high"]),
            "kw_min": format_number(min(ends)), "kw_max": format_number(max(ends))}


def power_table(power: pd.DataFrame) -> pd.DataFrame:
    """:func:`chasm.economics.article.implied_power` formatted for the page."""
    return _fmt_columns(power, [c for c in power.columns if c.endswith(("_low", "_high"))])


def parity_facts(frame: pd.DataFrame, parity: pd.DataFrame) -> dict[str, str]:
    """Glued text of the years to parity (:func:`chasm.economics.article.years_to_parity`): for the table's
    stated ratio and for the stated premium, the fewest and most years, and which readings reach parity
    within the years the article names (:func:`chasm.economics.article.parity_within_claim`)."""
    from chasm.economics.article import parity_within_claim

    by = parity.set_index("ratio_reading")
    table, premium = by.loc["stated by cost_ratio_table"], by.loc["stated by cost_premium_today"]
    within = parity_within_claim(frame, parity)
    return {"table_low": format_number(table["fewest_years"]), "table_high": format_number(table["most_years"]),
            "premium_low": format_number(premium["fewest_years"]),
            "premium_high": format_number(premium["most_years"]),
            "within": "; ".join(f"the ratio {r}" for r in within) if within else "none of them"}


def parity_table(parity: pd.DataFrame) -> pd.DataFrame:
    """:func:`chasm.economics.article.years_to_parity` formatted for the page."""
    return _fmt_columns(parity, ["ratio_low", "ratio_high", "fewest_years", "most_years"])


def contradictions_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """:func:`chasm.economics.article.contradictions` with line breaks in quotes shown as ``/``."""
    return pairs.assign(quote=pairs["quote"].str.replace("\n", " / ", regex=False),
                        other_quote=pairs["other_quote"].str.replace("\n", " / ", regex=False))


def with_verdicts(frame: pd.DataFrame, computed: pd.DataFrame | None = None) -> pd.DataFrame:
    """``frame`` (:func:`chasm.core.claims.load_claims`) with the verdicts the package computes
    (``computed``, default :func:`chasm.economics.verdicts.claim_verdicts`) laid over the recorded ``verdict``
    column, and ``judged_against`` and ``reason`` columns (empty where nothing was computed). Raises if a
    verdict other than ``not_testable`` is computed for a claim whose ``chapter`` tests nothing (``pending``,
    ``none``)."""
    if computed is None:
        from chasm.economics.verdicts import claim_verdicts

        computed = claim_verdicts()
    computed = computed.set_index("claim_id")
    out = frame.copy()
    owner = out.set_index("claim_id")["chapter"]
    tested = computed[computed["verdict"] != "not_testable"].index
    wrong = [c for c in tested if owner.get(c) in (None, "pending", "none")]
    if wrong:
        raise ValueError(f"verdicts computed for claims no chapter of the table owns: {wrong}")
    for col, default in (("verdict", None), ("judged_against", ""), ("reason", "")):
        recorded = out[col] if col in out else pd.Series([default] * len(out), index=out.index)
        out[col] = [computed.loc[c, col] if c in computed.index else r for c, r in zip(out["claim_id"], recorded)]
    return out


def verdict_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Claims per verdict of ``data/claims.csv``."""
    return frame["verdict"].value_counts().rename_axis("verdict").reset_index(name="claims")


def settled_table(chapter: str, computed: list[dict]) -> pd.DataFrame:
    """The claims a chapter settles: those of ``data/claims.csv`` whose ``chapter`` is ``chapter``, with
    the verdicts of ``computed`` (dicts as the functions of :mod:`chasm.economics.verdicts` and
    :mod:`chasm.economics.measured_claims` return them): quote, verdict, what it was judged against and
    why. Raises if a computed verdict is for a claim the chapter does not own, or an owned claim has none."""
    from chasm.core.claims import load_claims

    owned = load_claims().set_index("claim_id")
    owned = owned[owned["chapter"] == chapter]
    got = {r["claim_id"]: r for r in computed}
    stray = sorted(set(got) - set(owned.index))
    missing = sorted(set(owned.index) - set(got))
    if stray or missing:
        raise ValueError(f"chapter {chapter!r}: verdicts for claims it does not own {stray}, none for {missing}")
    return pd.DataFrame([{"claim": c, "quote": owned.loc[c, "quote"].replace("\n", " / "),
                          "verdict": got[c]["verdict"].replace("_", " "),
                          "judged against": got[c]["judged_against"], "reason": got[c]["reason"]}
                         for c in owned.index])
