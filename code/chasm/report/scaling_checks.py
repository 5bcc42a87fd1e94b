"""Checks of the scaling laws for the chapter "Scaling laws": the held-out check (the largest sizes left out of
the fit and predicted), the phase-time ratios and where the laws cross a machine's memory or the article's time
budget. Built on :mod:`chasm.laws`; the chapter glues what they return with the prefix ``scaling_``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from chasm.core.constants import FAMILIES
from chasm.core.fmt import interval_text, sci
from chasm.laws import checks, estimation, rules, selection

__all__ = ["held_out_runs", "held_out_gaps", "held_out_table", "held_out_quantity", "held_out_summary",
           "RATIOS", "PHASE_NAMES", "ratio_table", "memory_limits", "binding_limits"]


def held_out_runs(runs: pd.DataFrame, quantities=tuple(rules.QUANTITIES),
                  n_holdout: int = rules.HOLDOUT_SIZES) -> pd.DataFrame:
    """Every held-out run of every family and quantity that has enough sizes
    (see :func:`chasm.laws.checks.held_out_check`)."""
    parts = []
    for family in FAMILIES:
        for q in quantities:
            try:
                parts.append(checks.held_out_check(runs, family, q, n_holdout))
            except rules.InsufficientData:
                continue
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def held_out_gaps(runs: pd.DataFrame, checks: pd.DataFrame, quantities=tuple(rules.QUANTITIES)) -> list[str]:
    """One phrase per family with quantities :func:`held_out_runs` could not check, saying how many
    distinct sizes each has (the check needs ``MIN_TRAIN_SIZES + HOLDOUT_SIZES``)."""
    done = set(zip(checks["family"], checks["quantity"])) if len(checks) else set()
    phrases = []
    for family in FAMILIES:
        missing = [q for q in quantities if (family, q) not in done]
        if not missing:
            continue
        counts = {q: len(set(selection.observations(runs, family, q)["logrows"])) for q in missing}
        which = ("every quantity" if len(missing) == len(quantities)
                 else ", ".join(rules.QUANTITY_LABELS[q] for q in missing))
        phrases.append(f"{family}: {which} ({' or '.join(str(n) for n in sorted(set(counts.values())))} "
                       "distinct sizes)")
    return phrases


def held_out_table(checks: pd.DataFrame) -> pd.DataFrame:
    """Per family and quantity: trained up to which size, the law, the error, the interval's width
    (high / low of the 95% prediction interval, as a factor) and the coverage."""
    rows = []
    for (family, q), part in checks.groupby(["family", "quantity"], sort=False):
        log_ratio = np.log(part["ratio"])
        worst = part["ratio"].iloc[int(np.argmax(np.abs(log_ratio)))]
        rows.append({
            "family": family, "quantity": rules.QUANTITY_LABELS[q], "law": part["law"].iloc[0],
            "fitted on logrows ≤": int(part["train_max_logrows"].iloc[0]),
            "predicted logrows": ", ".join(map(str, sorted(set(part["logrows"])))),
            "median observed / predicted": sci(math.exp(float(np.median(log_ratio))), 4),
            "worst observed / predicted": sci(worst, 4),
            "95% PI width, high / low": " to ".join(sci(w, 4) for w in sorted({part["width"].min(),
                                                                             part["width"].max()})),
            "runs inside 95% PI": f"{int(part['covered'].sum())} of {len(part)}",
            "scatter estimated from": part["scatter"].iloc[0]})
    return pd.DataFrame(rows)


def held_out_quantity(checks: pd.DataFrame, preferred=("prove_s", "peak_rss_bytes", "pk_bytes")) -> str | None:
    """The first quantity of ``preferred`` that has a held-out check (for the chart), else None."""
    have = set(checks["quantity"]) if len(checks) else set()
    return next((q for q in preferred if q in have), None)


def held_out_summary(checks: pd.DataFrame, runs: pd.DataFrame | None = None) -> dict[str, str]:
    """:func:`held_out_runs` over all quantities: ``heldout_shown`` (quantity charted), ``heldout_covered``
    of ``heldout_runs`` runs inside their 95% prediction interval (``heldout_share``, %), observed / predicted
    (``heldout_median``; ``heldout_worst``, farthest from 1) and the narrowest and widest interval as the
    factor high / low (``heldout_width_low``, ``heldout_width_high``). ``ValueError`` when nothing was checked,
    or, given the ``runs``, when a family or quantity could not be checked (:func:`held_out_gaps`): the
    chapter's prose says every family was checked."""
    if checks.empty:
        raise ValueError("no family has enough distinct sizes for the held-out check")
    gaps = held_out_gaps(runs, checks) if runs is not None else []
    if gaps:
        raise ValueError(f"not checked for lack of sizes: {'; '.join(gaps)}")
    covered, log_ratio, widths = int(checks["covered"].sum()), checks["ratio"].apply(math.log), checks["width"]
    return {"heldout_shown": rules.QUANTITY_LABELS[held_out_quantity(checks)],
            "heldout_covered": str(covered), "heldout_runs": str(len(checks)),
            "heldout_share": f"{100 * covered / len(checks):.0f}%",
            "heldout_median": sci(math.exp(float(log_ratio.median())), 4),
            "heldout_worst": sci(float(checks["ratio"].iloc[int(log_ratio.abs().argmax())]), 4),
            "heldout_width_low": sci(float(widths.min()), 4), "heldout_width_high": sci(float(widths.max()), 4)}


#: Per-phase ratios whose crossing of 1 the chapter looks for.
RATIOS = (("setup_s", "prove_s"), ("witness_s", "prove_s"), ("verify_s", "prove_s"))


PHASE_NAMES = {"setup_s": "setup", "witness_s": "witness", "prove_s": "prove", "verify_s": "verify"}


def ratio_table(runs: pd.DataFrame, ratios=RATIOS) -> pd.DataFrame:
    """Per family and phase pair: the ratio's power law, its value at the largest size, and where it crosses 1."""
    rows = []
    for family in FAMILIES:
        for num, den in ratios:
            try:
                law = checks.ratio_law(runs, family, num, den)
            except rules.InsufficientData:
                continue
            e = estimation.exponent(law)
            at_max = estimation.confidence_band(law, [law.x_max])
            cross = checks.crossing_logrows(law, 1.0)
            if e["low"] <= 0 <= e["high"]:
                crossing = "no trend: the exponent's interval contains 0"
            elif not math.isfinite(cross["point"]):
                crossing = f"never (on 2^{checks.CROSSING_RANGE[0]} to 2^{checks.CROSSING_RANGE[1]})"
            else:
                crossing = interval_text(cross["point"], cross["low"], cross["high"])
            rows.append({
                "family": family, "ratio": f"{PHASE_NAMES[num]} / {PHASE_NAMES[den]}",
                "at largest size": f"2^{int(round(math.log2(law.x_max)))}: "
                + interval_text(at_max["point"][0], at_max["low"][0], at_max["high"][0]),
                "exponent of the ratio": interval_text(e["point"], e["low"], e["high"]),
                "ratio reaches 1 at logrows": crossing,
                "_cross": cross, "_exponent": e, "_max_logrows": math.log2(law.x_max)})
    return pd.DataFrame(rows)


def memory_limits(runs: pd.DataFrame, all_fits: dict, limits_bytes: dict) -> pd.DataFrame:
    """Where peak memory (any phase) reaches each limit, and how long a proof takes there.

    For each family and each limit, ``logrows`` solves ``median peak = limit``; the interval is the set of
    sizes whose 95% prediction interval for a new circuit contains the limit (so its low end is where an
    unlucky circuit already needs that much). ``prove_s`` is the predicted prove time at the point size,
    with its 95% prediction interval.
    """
    rows = []
    for family, (fits, _) in all_fits.items():
        if "peak_rss_bytes" not in fits:
            continue
        law = fits["peak_rss_bytes"].chosen
        for label, limit in limits_bytes.items():
            cross = checks.crossing_logrows(law, limit, band="prediction")
            row = {"family": family, "memory limit": label, "law": law.candidate.name,
                   "reached at logrows": interval_text(cross["point"], cross["low"], cross["high"]),
                   "doublings beyond data": sci(cross["point"] - math.log2(law.x_max), 2),
                   "_cross": cross}
            if "prove_s" in fits and math.isfinite(cross["point"]):
                p = estimation.predict(fits["prove_s"].chosen, [2.0**cross["point"]])
                row["prove time there, s"] = interval_text(p["point"][0], p["low"][0], p["high"][0])
                row["_prove"] = (p["point"][0], p["low"][0], p["high"][0])
            else:
                row["prove time there, s"] = "n/a"
                row["_prove"] = None
            rows.append(row)
    return pd.DataFrame(rows)


def binding_limits(all_fits: dict, memory_bytes: float, time_budget_s: float) -> pd.DataFrame:
    """Per family: the size where peak memory reaches ``memory_bytes`` and where prove time reaches
    ``time_budget_s``, each with the interval over which the 95% prediction band contains the limit,
    and which is reached first (``memory``, ``time``, or ``not resolved`` when the intervals overlap)."""
    rows = []
    for family, (fits, _) in all_fits.items():
        if "peak_rss_bytes" not in fits or "prove_s" not in fits:
            continue
        mem = checks.crossing_logrows(fits["peak_rss_bytes"].chosen, memory_bytes, band="prediction")
        tim = checks.crossing_logrows(fits["prove_s"].chosen, time_budget_s, band="prediction")
        first = "memory" if mem["high"] < tim["low"] else "time" if tim["high"] < mem["low"] else "not resolved"
        rows.append({"family": family,
                     "memory limit reached at logrows": interval_text(mem["point"], mem["low"], mem["high"]),
                     "time budget reached at logrows": interval_text(tim["point"], tim["low"], tim["high"]),
                     "binding first": first, "_memory": mem, "_time": tim})
    return pd.DataFrame(rows)
