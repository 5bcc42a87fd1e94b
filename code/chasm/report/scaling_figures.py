"""Charts of the chapter "Scaling laws": each family's runs with its fitted laws and their 95% bands, and the
held-out check drawn on the scale of the law. One altair theme (:mod:`chasm.report.charts`)."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from chasm.core.constants import FAMILIES
from chasm.laws import choice, estimation, rules, selection
from chasm.report import charts

__all__ = ["curves", "run_points", "fits_chart", "fits_charts", "held_out_chart", "GROUPS"]

#: Quantity groups drawn together: (title, quantities, display unit, divisor from the data unit).
GROUPS = (
    ("Phase times", ("prove_s", "setup_s", "witness_s", "verify_s"), "seconds", 1.0),
    ("Peak memory", ("prove_peak_rss_bytes", "setup_peak_rss_bytes", "peak_rss_bytes"), "GiB", 2.0**30),
    ("Artefact sizes", ("pk_bytes", "proof_bytes"), "MiB", 2.0**20),
)


def _grid(fits: dict, q: str) -> np.ndarray:
    law = fits[q].chosen
    return np.linspace(math.log2(law.x_min), math.log2(law.x_max), 60)


def curves(all_fits: dict, quantities, divisor: float = 1.0) -> pd.DataFrame:
    """Chosen law, 95% confidence band and 95% prediction band over each family's measured range."""
    parts = []
    for family, (fits, _) in all_fits.items():
        for q in quantities:
            if q not in fits:
                continue
            k = _grid(fits, q)
            pi = estimation.predict(fits[q].chosen, 2.0**k)
            ci = estimation.confidence_band(fits[q].chosen, 2.0**k)
            parts.append(pd.DataFrame({
                "family": family, "quantity": rules.QUANTITY_LABELS[q], "law": fits[q].chosen.candidate.name,
                "logrows": k, "point": pi["point"] / divisor, "low": pi["low"] / divisor,
                "high": pi["high"] / divisor, "ci_low": ci["low"] / divisor, "ci_high": ci["high"] / divisor,
            }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def run_points(runs: pd.DataFrame, families, quantities, divisor: float = 1.0) -> pd.DataFrame:
    """One row per run and quantity (positive values only), for scatter layers."""
    parts = []
    for q in quantities:
        part = runs[runs["family"].isin(families) & (pd.to_numeric(runs[q], errors="coerce") > 0)]
        parts.append(pd.DataFrame({"family": part["family"], "quantity": rules.QUANTITY_LABELS[q],
                                   "logrows": part["logrows"], "value": part[q].astype(float) / divisor,
                                   "circuit": part["config_key"]}))
    return pd.concat(parts, ignore_index=True)


def _facet_width(n: int) -> int:
    """Width (pixels) of one family panel so that ``n`` panels fit the page."""
    return {1: 420, 2: 250}.get(n, 165)


def fits_chart(runs: pd.DataFrame, all_fits: dict, title: str, quantities, unit: str, divisor: float):
    """Log-log chart per family: runs, chosen law, and its 95% prediction band (lighter: confidence band)."""
    families = [f for f, (fits, _) in all_fits.items() if any(q in fits for q in quantities)]
    curve = curves({f: all_fits[f] for f in families}, quantities, divisor)
    points = run_points(runs, families, quantities, divisor)
    curve["layer"], points["layer"] = "law", "run"
    frame = pd.concat([curve, points], ignore_index=True)
    x = alt.X("logrows:Q", title="circuit rows, log2", scale=alt.Scale(zero=False), axis=alt.Axis(tickMinStep=1))
    y_title = f"{unit} (log scale)"
    color = alt.Color("quantity:N", title=None, sort=[rules.QUANTITY_LABELS[q] for q in quantities])
    base = alt.Chart().encode(x=x, color=color)
    band = base.transform_filter(alt.datum.layer == "law").mark_area(opacity=0.15).encode(
        y=alt.Y("low:Q", scale=alt.Scale(type="log"), title=y_title), y2="high:Q")
    conf = base.transform_filter(alt.datum.layer == "law").mark_area(opacity=0.25).encode(
        y=alt.Y("ci_low:Q"), y2="ci_high:Q")
    line = base.transform_filter(alt.datum.layer == "law").mark_line().encode(
        y=alt.Y("point:Q"), tooltip=["family:N", "quantity:N", "law:N", "logrows:Q", "point:Q", "low:Q", "high:Q"])
    dots = base.transform_filter(alt.datum.layer == "run").mark_point(size=30, opacity=0.8).encode(
        y=alt.Y("value:Q"), tooltip=["family:N", "quantity:N", "circuit:N", "logrows:Q", "value:Q"])
    return (
        alt.layer(band, conf, line, dots, data=frame)
        .properties(width=_facet_width(len(families)), height=240)
        .facet(column=alt.Column("family:N", title=None, sort=list(FAMILIES)))
        .resolve_scale(x="independent")
        .properties(title=f"{title}: runs, fitted law, 95% prediction band")
        .configure_legend(orient="bottom", labelLimit=400, columns=2)
    )


def fits_charts(runs: pd.DataFrame, laws: dict) -> list:
    """One :func:`fits_chart` per group of :data:`GROUPS` with a law in some family of :func:`fitted_laws`."""
    return [fits_chart(runs, laws, title, quantities, unit, divisor)
            for title, quantities, unit, divisor in GROUPS
            if any(q in fits for fits, _ in laws.values() for q in quantities)]


def held_out_chart(runs: pd.DataFrame, quantity: str = "prove_s", n_holdout: int = rules.HOLDOUT_SIZES):
    """Per family: runs divided by the law fitted without the ``n_holdout`` largest sizes, with the law's
    95% prediction band on the same scale (1 = the law's median), over all measured sizes."""
    parts, points = [], []
    for family in FAMILIES:
        obs = selection.observations(runs, family, quantity)
        sizes = sorted(set(obs["logrows"]))
        if len(sizes) < rules.MIN_TRAIN_SIZES + n_holdout:
            continue
        held = set(sizes[-n_holdout:])
        train = runs[~((runs["family"] == family) & runs["logrows"].isin(held))]
        try:
            law = choice.fit_quantity(train, family, quantity, min_sizes=rules.MIN_TRAIN_SIZES).chosen
        except rules.InsufficientData:
            continue
        k = np.linspace(min(sizes), max(sizes), 60)
        pi = estimation.predict(law, 2.0**k)
        parts.append(pd.DataFrame({"family": family, "logrows": k, "low": pi["low"] / pi["point"],
                                   "high": pi["high"] / pi["point"], "layer": "law",
                                   "law": law.candidate.name}))
        observed = np.exp(obs["y"].to_numpy())
        at = estimation.predict(law, obs["x"].to_numpy())["point"]
        role = np.where(obs["logrows"].isin(held), "held out", "fitted on")
        points.append(pd.DataFrame({"family": family, "logrows": obs["logrows"], "ratio": observed / at,
                                    "role": role, "layer": "run", "circuit": obs["config_key"]}))
    if not parts:
        return None
    frame = pd.concat(parts + points, ignore_index=True)
    x = alt.X("logrows:Q", title="circuit rows, log2", scale=alt.Scale(zero=False), axis=alt.Axis(tickMinStep=1))
    y_title = f"{rules.QUANTITY_LABELS[quantity]}: observed / law (log)"
    base = alt.Chart().encode(x=x)
    band = base.transform_filter(alt.datum.layer == "law").mark_area(
        opacity=0.2, color=charts.PALETTE["proving"]).encode(
        y=alt.Y("low:Q", scale=alt.Scale(type="log", zero=False), title=y_title), y2="high:Q",
        tooltip=["family:N", "law:N", "logrows:Q", "low:Q", "high:Q"])
    dots = base.transform_filter(alt.datum.layer == "run").mark_point(size=40, filled=True).encode(
        y="ratio:Q",
        color=alt.Color("role:N", title=None, scale=alt.Scale(domain=["fitted on", "held out"],
                                                              range=[charts.PALETTE["neutral"], "#e7298a"])),
        tooltip=["family:N", "circuit:N", "logrows:Q", "ratio:Q", "role:N"])
    n = frame["family"].nunique()
    return (
        alt.layer(band, dots, data=frame)
        .properties(width=_facet_width(n), height=240)
        .facet(column=alt.Column("family:N", title=None, sort=list(FAMILIES)))
        .resolve_scale(x="independent", y="independent")
        .properties(title=f"Held-out check of {rules.QUANTITY_LABELS[quantity]}: runs divided by the law fitted "
                          f"without the {n_holdout} largest sizes, and its 95% prediction band")
        .configure_legend(orient="bottom", labelLimit=400)
    )
