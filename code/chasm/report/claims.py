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
           "log_ticks", "claimed_ranges_chart", "ratio_check_chart"]


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
    can be tested and the chapter that tests it.
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
