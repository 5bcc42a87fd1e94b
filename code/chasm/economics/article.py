"""The article against its own arithmetic: consequences of its figures, before any measurement.

Every function takes the claims table (:func:`chasm.core.claims.load_claims`) and uses only numbers the
article states:

- :func:`implied_ratios`: a ratio the article states ("500x - 5000x") against the ratio its own two
  figures imply, by interval arithmetic;
- :func:`implied_power`: energy per query over latency per query, the average power (kW) the article's
  figures imply;
- :func:`years_to_parity`: how many years the stated cost ratio takes to reach 1 at the stated annual
  cost declines (:func:`parity_years`);
- :func:`contradictions`: pairs of claims the table marks as contradicting each other.
"""

from __future__ import annotations

import math

import pandas as pd

from chasm.core.claims import split_ratio

__all__ = ["SECONDS_PER_HOUR", "implied_ratios", "agreement", "implied_power", "parity_years",
           "years_to_parity", "parity_within_claim", "contradictions"]

#: Seconds per hour: converts kWh per query over seconds per query to kW.
SECONDS_PER_HOUR = 3600.0


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
        num_id, den_id = split_ratio(row.ratio_of)
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
            "agreement": agreement(row.claimed_low, row.claimed_high, low, high),
        })
    return pd.DataFrame(rows)


def agreement(stated_low: float, stated_high: float, low: float, high: float) -> str:
    """How a stated range sits against an implied one: ``matches``, ``inside``, ``overlaps``, ``below``
    or ``above`` (no overlap)."""
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
        num_id, _ = split_ratio(row.ratio_of)
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
