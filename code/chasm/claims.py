"""The article's quantitative claims (``data/claims.csv``) and the arithmetic
that checks the article against its own figures.

:func:`load_claims` is how chapters read the table: schema checks through
:func:`chasm.data.load_table`, then the cross-row rules of
:func:`check_claims`. The derived checks use only numbers the article states:

- :func:`implied_ratios`: a ratio the article states ("500x - 5000x") against
  the ratio its own two figures imply, by interval arithmetic;
- :func:`implied_power`: energy per query over latency per query, the average
  power (kilowatts) the article's figures imply;
- :func:`years_to_parity`: how many years the stated cost ratio takes to reach
  1 at the stated annual cost declines.

No result is typed in here: every number comes from ``data/claims.csv``.
"""

from __future__ import annotations

import math
from pathlib import Path

import altair as alt
import pandas as pd

from chasm import charts, data, paths

CLAIMS_FILE = "claims.csv"

#: Seconds per hour: converts kWh per query over seconds per query to kW.
SECONDS_PER_HOUR = 3600.0

#: Labels for the units of ``data/claims.csv`` as chart and table titles.
UNIT_LABELS = {
    "usd_per_query": "US dollars per query",
    "usd": "US dollars",
    "s": "seconds",
    "gib": "GiB of RAM",
    "kwh_per_query": "kWh per query",
    "percent_per_year": "cost decline, % per year",
    "ratio": "ratio (x)",
    "percent": "percent",
    "count": "count",
    "years": "years",
    "operations": "operations",
    "exponent": "exponent",
    "none": "(qualitative)",
}

#: Subjects drawn on the claimed-ranges chart, in legend order.
CHART_SUBJECTS = ("inference", "zk_proving", "ratio")


def claims_path() -> Path:
    """``data/claims.csv``."""
    return paths.data_dir() / CLAIMS_FILE


def section_headings() -> tuple[str, ...]:
    """The article's section headings, as listed in the schema (article order)."""
    schema = data.read_schema(data.schema_path(claims_path()))
    return schema.column("section").allowed or ()


def _split_ratio(ratio_of: str) -> tuple[str, str]:
    numerator, denominator = ratio_of.split("/")
    return numerator, denominator


def check_claims(frame: pd.DataFrame) -> list[str]:
    """Cross-row rules the per-cell schema cannot express; one message per problem.

    - numbers present exactly when ``bound`` is not ``qualitative``, and unit
      ``none`` exactly when it is;
    - ``claimed_low <= claimed_high``; ``open_below`` claims state one number;
    - ``ratio_of`` names two existing claims that share a unit, and the claim
      itself has unit ``ratio``;
    - ``contradicts`` names existing claims.
    """
    problems: list[str] = []
    by_id = frame.set_index("claim_id")
    for row in frame.itertuples(index=False):
        cid = row.claim_id
        has_low, has_high = not pd.isna(row.claimed_low), not pd.isna(row.claimed_high)
        if row.bound == "qualitative":
            if has_low or has_high:
                problems.append(f"{cid}: qualitative claim must leave claimed_low/claimed_high empty")
            if row.unit != "none":
                problems.append(f"{cid}: qualitative claim must have unit 'none', has {row.unit!r}")
        else:
            if not (has_low and has_high):
                problems.append(f"{cid}: bound {row.bound!r} needs both claimed_low and claimed_high")
            elif row.claimed_low > row.claimed_high:
                problems.append(
                    f"{cid}: claimed_low {row.claimed_low} exceeds claimed_high {row.claimed_high}"
                )
            elif row.bound == "open_below" and row.claimed_low != row.claimed_high:
                problems.append(f"{cid}: open_below claims state one number (claimed_low == claimed_high)")
            if row.unit == "none":
                problems.append(f"{cid}: unit 'none' is only for qualitative claims")
        if isinstance(row.ratio_of, str):
            if row.unit != "ratio":
                problems.append(f"{cid}: ratio_of is set but unit is {row.unit!r}, not 'ratio'")
            parts = _split_ratio(row.ratio_of)
            missing = [p for p in parts if p not in by_id.index]
            if missing:
                problems.append(f"{cid}: ratio_of names unknown claims {missing}")
            elif by_id.loc[parts[0], "unit"] != by_id.loc[parts[1], "unit"]:
                problems.append(f"{cid}: ratio_of divides claims with different units")
        if isinstance(row.contradicts, str):
            unknown = [c for c in row.contradicts.split() if c not in by_id.index]
            if unknown:
                problems.append(f"{cid}: contradicts names unknown claims {unknown}")
    return problems


def load_claims(path: str | Path | None = None) -> pd.DataFrame:
    """``data/claims.csv``, schema-checked and cross-checked.

    Raises :class:`chasm.data.DataFileError` listing every broken rule.
    """
    path = Path(path) if path is not None else claims_path()
    frame = data.load_table(path)
    problems = check_claims(frame)
    if problems:
        raise data.DataFileError(f"{path}: " + "; ".join(problems))
    return frame


def read_article(path: str | Path | None = None) -> str:
    """The article's text, exactly as stored (raises ``FileNotFoundError``)."""
    return Path(path or paths.article_path()).read_text(encoding="utf-8")


def missing_quotes(frame: pd.DataFrame, article: str) -> list[str]:
    """claim_ids whose quote is not a verbatim substring of ``article``."""
    return [row.claim_id for row in frame.itertuples(index=False) if row.quote not in article]


def misplaced_quotes(frame: pd.DataFrame, article: str, headings: tuple[str, ...]) -> list[str]:
    """claim_ids whose quote does not fall under its ``section`` heading.

    A heading is a whole line of the article; a section runs from its heading
    to the next heading in ``headings``. Each message names the problem.
    """
    starts = {}
    for heading in headings:
        pos = article.find(f"\n{heading}\n")
        starts[heading] = pos + 1 if pos >= 0 else None
    problems = [f"heading {h!r} is not a line of the article" for h, s in starts.items() if s is None]
    found = sorted((s, h) for h, s in starts.items() if s is not None)
    for row in frame.itertuples(index=False):
        pos = article.find(row.quote)
        if pos < 0 or starts.get(row.section) is None:
            continue
        under = [h for s, h in found if s <= pos]
        if not under or under[-1] != row.section:
            actual = under[-1] if under else "(before the first heading)"
            problems.append(f"{row.claim_id}: quote sits under {actual!r}, not {row.section!r}")
    return problems


def numeric_claims(frame: pd.DataFrame) -> pd.DataFrame:
    """Claims that state numbers (every bound but ``qualitative``)."""
    return frame[frame["bound"] != "qualitative"].copy()


def implied_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Each stated ratio against the range its own two figures imply.

    For a claim with ``ratio_of = a/b`` the implied ratio runs from
    ``a.low / b.high`` to ``a.high / b.low`` (interval arithmetic: the
    extremes over the corners of the two stated ranges). The implied upper
    end is open when ``a`` is open above or ``b`` open below;
    ``low_over_low`` and ``high_over_high`` divide matching ends. ``agreement``:
    ``matches`` (same range), ``inside`` (stated range inside the implied
    one), ``overlaps``, ``below`` or ``above`` (no overlap at all).
    """
    by_id = frame.set_index("claim_id")
    rows = []
    for row in frame[frame["ratio_of"].notna()].itertuples(index=False):
        num_id, den_id = _split_ratio(row.ratio_of)
        num, den = by_id.loc[num_id], by_id.loc[den_id]
        low = num["claimed_low"] / den["claimed_high"]
        high = num["claimed_high"] / den["claimed_low"]
        open_above = num["bound"] == "open_above" or den["bound"] == "open_below"
        rows.append({
            "claim_id": row.claim_id,
            "numerator": num_id,
            "denominator": den_id,
            "stated_low": row.claimed_low,
            "stated_high": row.claimed_high,
            "implied_low": low,
            "implied_high": high,
            "implied_open_above": bool(open_above),
            "low_over_low": num["claimed_low"] / den["claimed_low"],
            "high_over_high": num["claimed_high"] / den["claimed_high"],
            "agreement": _agreement(row.claimed_low, row.claimed_high, low, high),
        })
    return pd.DataFrame(rows)


def _agreement(stated_low: float, stated_high: float, low: float, high: float) -> str:
    if math.isclose(stated_low, low, rel_tol=1e-9) and math.isclose(stated_high, high, rel_tol=1e-9):
        return "matches"
    if stated_high < low:
        return "below"
    if stated_low > high:
        return "above"
    if stated_low >= low * (1 - 1e-9) and stated_high <= high * (1 + 1e-9):
        return "inside"
    return "overlaps"


def _paired(frame: pd.DataFrame, unit: str) -> dict[str, pd.Series]:
    """The inference and zk_proving claims of one unit that the table pairs."""
    rows = frame[(frame["unit"] == unit) & frame["comparison"].notna()]
    return {r["subject"]: r for _, r in rows.iterrows() if r["subject"] in ("inference", "zk_proving")}


def implied_power(frame: pd.DataFrame) -> pd.DataFrame:
    """Average power (kW) implied by energy per query over latency per query.

    ``power_kw = energy_kwh * 3600 / latency_s``; low uses the lowest energy
    over the longest latency, high the highest energy over the shortest. When
    the latency is open above, the low end is open below (a longer run means
    lower power), flagged in ``low_open_below``.
    """
    energy, latency = _paired(frame, "kwh_per_query"), _paired(frame, "s")
    rows = []
    for subject in ("inference", "zk_proving"):
        if subject not in energy or subject not in latency:
            continue
        e, t = energy[subject], latency[subject]
        rows.append({
            "subject": subject,
            "energy_claim": e["claim_id"],
            "latency_claim": t["claim_id"],
            "energy_kwh_low": e["claimed_low"],
            "energy_kwh_high": e["claimed_high"],
            "latency_s_low": t["claimed_low"],
            "latency_s_high": t["claimed_high"],
            "power_kw_low": e["claimed_low"] * SECONDS_PER_HOUR / t["claimed_high"],
            "power_kw_high": e["claimed_high"] * SECONDS_PER_HOUR / t["claimed_low"],
            "low_open_below": bool(t["bound"] == "open_above"),
        })
    return pd.DataFrame(rows)


def parity_years(ratio: float, inference_decline_pct: float, proving_decline_pct: float) -> float:
    """Years until a cost ratio falls to 1 at constant annual declines.

    The ratio after ``t`` years is ``ratio * ((1 - p) / (1 - i)) ** t`` with
    ``p``, ``i`` the proving and inference declines as fractions per year, so
    parity comes at ``t = ln(ratio) / ln((1 - i) / (1 - p))``. Returns 0 for a
    ratio at or below 1, and ``inf`` when the gap does not narrow.
    """
    if ratio <= 1:
        return 0.0
    narrowing = (1 - inference_decline_pct / 100) / (1 - proving_decline_pct / 100)
    if narrowing <= 1:
        return math.inf
    return math.log(ratio) / math.log(narrowing)


def years_to_parity(frame: pd.DataFrame) -> pd.DataFrame:
    """Years to cost parity for each cost-ratio reading, from the stated declines.

    The readings are each stated cost ratio (claims with ``ratio_of`` over
    ``usd_per_query`` figures) and the ratio its figures imply. The fewest
    years take the lowest ratio with the fastest narrowing (slowest inference
    decline, fastest proving decline); the most take the highest ratio with
    the slowest narrowing. ``most_open_above`` flags a ratio open above.
    """
    decline = _paired(frame, "percent_per_year")
    if set(decline) != {"inference", "zk_proving"}:
        return pd.DataFrame()
    inf_row, zk_row = decline["inference"], decline["zk_proving"]
    by_id = frame.set_index("claim_id")
    implied = implied_ratios(frame).set_index("claim_id") if frame["ratio_of"].notna().any() else None
    readings = []
    for row in frame[frame["ratio_of"].notna()].itertuples(index=False):
        num_id, _ = _split_ratio(row.ratio_of)
        if by_id.loc[num_id, "unit"] != "usd_per_query":
            continue
        readings.append((f"stated by {row.claim_id}", row.claimed_low, row.claimed_high, False))
        imp = implied.loc[row.claim_id]
        readings.append((f"implied by {row.ratio_of}", imp["implied_low"], imp["implied_high"],
                         bool(imp["implied_open_above"])))
    rows = []
    seen = set()
    for label, low, high, open_above in readings:
        if (low, high, open_above) in seen:
            continue  # two stated ratios share one implied reading
        seen.add((low, high, open_above))
        rows.append({
            "ratio_reading": label,
            "ratio_low": low,
            "ratio_high": high,
            "fewest_years": parity_years(low, inf_row["claimed_low"], zk_row["claimed_high"]),
            "most_years": parity_years(high, inf_row["claimed_high"], zk_row["claimed_low"]),
            "most_open_above": open_above,
        })
    return pd.DataFrame(rows)


def parity_within_claim(frame: pd.DataFrame, parity: pd.DataFrame) -> list[str]:
    """Ratio readings whose fewest years to parity fall within the claimed years.

    The claimed years are the ``years`` claim about the trajectory ("3-5+
    years"); a reading is within it when its most favourable corner reaches
    parity by the claim's stated upper number.
    """
    years = frame[(frame["unit"] == "years") & (frame["subject"] == "trajectory")]
    if years.empty or parity.empty:
        return []
    limit = years["claimed_high"].iloc[0]
    return parity.loc[parity["fewest_years"] <= limit, "ratio_reading"].tolist()


def contradictions(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairs of claims the table marks as contradicting (``contradicts``).

    A claim naming itself is inconsistent in itself; its pair has the same
    id on both sides.
    """
    by_id = frame.set_index("claim_id")
    rows = []
    for row in frame[frame["contradicts"].notna()].itertuples(index=False):
        for other in row.contradicts.split():
            rows.append({
                "claim": row.claim_id,
                "quote": row.quote,
                "contradicts": other,
                "other_quote": by_id.loc[other, "quote"],
                "notes": row.notes,
            })
    return pd.DataFrame(rows)


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
