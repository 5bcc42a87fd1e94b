"""Tables and charts of the "Scaling laws" chapter, built on :mod:`chasm.fit`.

Everything here is computed from the committed measurements
(``data/measurements/proofs.csv``) or from simulations with fixed seeds; the
chapter only calls these functions and words the results. Numbers are
formatted with :mod:`chasm.fmt`.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from chasm import charts, data, fit
from chasm.fmt import interval, sci

TABLE = "measurements/proofs.csv"

#: Quantity groups drawn together: (title, quantities, display unit, divisor from the data unit).
GROUPS = (
    ("Phase times", ("prove_s", "setup_s", "witness_s", "verify_s"), "seconds", 1.0),
    ("Peak memory", ("prove_peak_rss_bytes", "setup_peak_rss_bytes", "peak_rss_bytes"), "GiB", 2.0**30),
    ("Artefact sizes", ("pk_bytes", "proof_bytes"), "MiB", 2.0**20),
)

#: Per-phase ratios whose crossing of 1 the chapter looks for.
RATIOS = (("setup_s", "prove_s"), ("witness_s", "prove_s"), ("verify_s", "prove_s"))
PHASE_NAMES = {"setup_s": "setup", "witness_s": "witness", "prove_s": "prove", "verify_s": "verify"}


def load_runs(hardware_tag: str | None = None) -> tuple[pd.DataFrame, str]:
    """The runs the laws are fitted to, from the committed table (see :func:`chasm.fit.prepare_runs`)."""
    return fit.prepare_runs(data.load_table(TABLE), hardware_tag)


def exclusions(hardware_tag: str | None = None) -> pd.DataFrame:
    """What the fits leave out of the committed table, and why (:func:`chasm.fit.exclusion_table`)."""
    return fit.exclusion_table(data.load_table(TABLE), hardware_tag)


def interval_text(point: float, low: float, high: float) -> str:
    """``'point (low to high)'`` of one interval, as :func:`chasm.fmt.interval` writes it."""
    return interval([low], [point], [high])[0]


def visible(table: pd.DataFrame) -> pd.DataFrame:
    """The table without its internal columns (names starting with ``_``), for :func:`chasm.fmt.show`."""
    return table[[c for c in table.columns if not str(c).startswith("_")]]


# --------------------------------------------------------------------------- calibration


def wilson(hits: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``hits / n``."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def scenario_description(scenario: dict) -> str:
    """Words for one of :data:`chasm.fit.CALIBRATION_SCENARIOS`, built from its settings."""
    if "truth" in scenario:
        truth = scenario["truth_formula"]
    else:
        truth = f"{sci(scenario['a'])} N^{sci(scenario['b'])}"
    lr = scenario["logrows"]
    per = scenario["configs_per_size"]
    return (f"true law {truth}; sizes 2^{min(lr)}..2^{max(lr)}, {per} circuit{'s' if per != 1 else ''} per size, "
            f"{scenario['reps']} repetitions; circuit scatter {sci(100 * scenario['sigma_config'])}%, "
            f"repetition noise {sci(100 * scenario['sigma_rep'])}%; new run at 2^{sci(scenario['new_logrows'])}")


def calibration_table(n_datasets: int = fit.CALIBRATION_DATASETS) -> pd.DataFrame:
    """Coverage of the 95% intervals on ``n_datasets`` simulated sweeps per scenario, with Wilson intervals.

    One row per :data:`chasm.fit.CALIBRATION_SCENARIOS` entry, simulated by
    :func:`chasm.fit.calibration_scenario` (the seeds the tests use).
    """
    rows = []
    for i, scenario in enumerate(fit.CALIBRATION_SCENARIOS):
        res = fit.calibration_scenario(i, n_datasets)
        lo, hi = wilson(res["pi_coverage"] * n_datasets, n_datasets)
        row = {"scenario": scenario_description(scenario), "law fitted": scenario["cand"],
               "datasets": n_datasets, "seed": fit.CALIBRATION_SEED + i,
               "prediction-interval coverage": f"{100 * res['pi_coverage']:.1f}% ({100 * lo:.1f} to {100 * hi:.1f})",
               "pi_coverage": res["pi_coverage"], "_doublings": scenario["new_logrows"] - max(scenario["logrows"]),
               "_expect_calibrated": scenario.get("expect_calibrated", True)}
        if math.isfinite(res["exponent_coverage"]):
            lo, hi = wilson(res["exponent_coverage"] * n_datasets, n_datasets)
            row["exponent-interval coverage"] = (f"{100 * res['exponent_coverage']:.1f}% "
                                                 f"({100 * lo:.1f} to {100 * hi:.1f})")
        else:
            row["exponent-interval coverage"] = "(no single exponent)"
        row["exponent_coverage"] = res["exponent_coverage"]
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- what was measured


def _sizes_text(sizes) -> str:
    return ", ".join(map(str, sizes)) or "none"


def data_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per family: circuits, runs, measured logrows (all runs, and runs with uncontended timings), and
    which laws can be fitted (a law needs :data:`chasm.fit.MIN_SIZES` distinct sizes)."""
    rows = []
    for family in fit.FAMILIES:
        part = runs[runs["family"] == family]
        sizes = sorted(set(part["logrows"]))
        timed = sorted(set(part.loc[part["prove_s"].notna(), "logrows"]))
        if len(sizes) < fit.MIN_SIZES:
            laws = f"none: {len(sizes)} size(s), need {fit.MIN_SIZES}"
        elif len(timed) < fit.MIN_SIZES:
            laws = f"memory and sizes only: times known at {len(timed)} size(s), need {fit.MIN_SIZES}"
        else:
            laws = "all quantities"
        rows.append({
            "family": family,
            "circuits": part["config_key"].nunique(),
            "runs": len(part),
            "logrows measured": _sizes_text(sizes),
            "logrows with uncontended times": _sizes_text(timed),
            "parameters": (f"{int(part['params'].min()):,} to {int(part['params'].max()):,}" if len(part) else ""),
            "laws fitted": laws,
        })
    return pd.DataFrame(rows)


def floor_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per family: the smallest logrows measured, how many circuits share it, how many of them are at the
    floor (``at_floor``: their layout uses at most half of the rows), and the largest share used there."""
    rows = []
    for family in fit.FAMILIES:
        part = runs[runs["family"] == family]
        if part.empty:
            continue
        k = int(part["logrows"].min())
        floor = part[part["logrows"] == k].drop_duplicates("config_key")
        used = pd.to_numeric(floor["num_rows"], errors="coerce")
        rows.append({"family": family, "logrows": k, "circuits": len(floor),
                     "at_floor": int(floor["at_floor"].sum()),
                     "params_min": int(floor["params"].min()), "params_max": int(floor["params"].max()),
                     "num_rows_max": float(used.max()), "share_used_max": float(used.max() / 2.0**k)})
    return pd.DataFrame(rows)


def fitted_families(runs: pd.DataFrame) -> list[str]:
    """Families with at least :data:`chasm.fit.MIN_SIZES` distinct logrows."""
    return [f for f in fit.FAMILIES if runs.loc[runs["family"] == f, "logrows"].nunique() >= fit.MIN_SIZES]


def fit_all(runs: pd.DataFrame, size: str = "rows", quantities=tuple(fit.QUANTITIES)) -> dict:
    """``{family: (fits, skipped)}`` for every family (see :func:`chasm.fit.fit_family`)."""
    return {f: fit.fit_family(runs, f, quantities, size) for f in fit.FAMILIES}


# --------------------------------------------------------------------------- model comparison and exponents


def comparison_table(all_fits: dict) -> pd.DataFrame:
    """Leave-one-size-out error of every law, as a typical factor ``exp(RMSE)``; the chosen law is starred."""
    rows = []
    for family, (fits, _) in all_fits.items():
        for q, qf in fits.items():
            row = {"family": family, "quantity": fit.QUANTITY_LABELS[q]}
            for _, r in qf.comparison.iterrows():
                cell = "n/a" if not math.isfinite(r["cv_rmse_log"]) else f"×{math.exp(r['cv_rmse_log']):.3f}"
                row[r["law"]] = cell + (" *" if r["chosen"] else "")
            chosen = qf.comparison[qf.comparison["chosen"]].iloc[0]
            row["chosen law: left-out sizes inside 95% PI"] = (
                f"{100 * chosen['cv_coverage']:.0f}%" if math.isfinite(chosen["cv_coverage"]) else "n/a")
            rows.append(row)
    return pd.DataFrame(rows)


def exponent_rows(runs: pd.DataFrame, quantities=tuple(fit.QUANTITIES), sizes=("rows",)) -> pd.DataFrame:
    """Power-law exponent of each quantity in each size measure, with its 95% interval and the noise levels.

    ``config_scatter`` is the estimated between-circuit standard deviation of
    log values including lack of fit (``sqrt(max(s2 - sigma_rep^2 mean(1/R), 0))``),
    ``rep_noise`` the repetition standard deviation, both as fractions
    (natural-log units); ``scatter_method`` says how ``s2`` was estimated. Against
    ``params`` and ``num_rows``, circuits at the logrows floor are left out
    (:func:`chasm.fit.observations`).
    """
    rows = []
    for size in sizes:
        for family in fit.FAMILIES:
            for q in quantities:
                try:
                    cm = fit.config_means(fit.observations(runs, family, q, size))
                    if len(set(cm.fold)) < fit.MIN_SIZES:
                        continue
                    law = fit.fit_law(cm, fit.POWER)
                except fit.InsufficientData:
                    continue
                e = fit.exponent(law)
                scatter = math.sqrt(max(law.s2 - law.sigma_rep2 * law.mean_inv_reps, 0.0))
                rows.append({"family": family, "quantity": q, "against": size, "low": e["low"],
                             "point": e["point"], "high": e["high"], "config_scatter": scatter,
                             "rep_noise": math.sqrt(law.sigma_rep2), "circuits": law.n_configs,
                             "sizes": law.n_sizes, "runs": law.n_runs, "scatter_method": law.scatter_method})
    return pd.DataFrame(rows, columns=["family", "quantity", "against", "low", "point", "high",
                                       "config_scatter", "rep_noise", "circuits", "sizes", "runs",
                                       "scatter_method"])


SIZE_LABELS = {"rows": "2^logrows (padded rows)", "num_rows": "num_rows (rows used)", "params": "parameters"}


def _pivot(rows: pd.DataFrame, index: str, cell, labels: dict) -> pd.DataFrame:
    """One row per ``index`` value, one column per family, cells from ``cell(row)``."""
    families = [f for f in fit.FAMILIES if f in set(rows["family"])]
    out = []
    for key in [k for k in labels if k in set(rows[index])]:
        part = rows[rows[index] == key].set_index("family")
        out.append({index: labels[key], **{f: cell(part.loc[f]) if f in part.index else "" for f in families}})
    return pd.DataFrame(out)


def exponent_table(rows: pd.DataFrame, against: str = "rows") -> pd.DataFrame:
    """Power-law exponents with 95% intervals: one row per quantity, one column per family."""
    part = rows[rows["against"] == against]
    table = _pivot(part, "quantity", lambda r: interval_text(r["point"], r["low"], r["high"]), fit.QUANTITY_LABELS)
    return table.rename(columns={"quantity": f"exponent b in {SIZE_LABELS[against]}"})


def size_measure_table(rows: pd.DataFrame, quantity: str = "prove_s") -> pd.DataFrame:
    """Exponent of one quantity against each size measure: one row per measure, one column per family."""
    part = rows[rows["quantity"] == quantity]
    table = _pivot(part, "against", lambda r: interval_text(r["point"], r["low"], r["high"]), SIZE_LABELS)
    return table.rename(columns={"against": f"{fit.QUANTITY_LABELS[quantity]}: exponent against"})


def noise_table(rows: pd.DataFrame, against: str = "rows") -> pd.DataFrame:
    """Circuit scatter / repetition noise (standard deviations of the log, in %) per quantity and family."""
    part = rows[rows["against"] == against]
    table = _pivot(part, "quantity",
                   lambda r: f"{sci(100 * r['config_scatter'])}% / {sci(100 * r['rep_noise'])}%",
                   fit.QUANTITY_LABELS)
    return table.rename(columns={"quantity": "circuit scatter / repetition noise"})


def superlinearity(rows: pd.DataFrame, quantity: str = "prove_s", against: str = "params") -> pd.DataFrame:
    """Whether the exponent's 95% interval lies above 1, below 1, or straddles it (per family)."""
    part = rows[(rows["quantity"] == quantity) & (rows["against"] == against)]
    verdict = np.where(part["low"] > 1, "superlinear", np.where(part["high"] < 1, "sublinear", "not resolved"))
    return pd.DataFrame({"family": part["family"], "exponent": part["point"], "low": part["low"],
                         "high": part["high"], "reading": verdict})


# --------------------------------------------------------------------------- curves and charts


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
            pi = fit.predict(fits[q].chosen, 2.0**k)
            ci = fit.predict(fits[q].chosen, 2.0**k, new_run=False)
            parts.append(pd.DataFrame({
                "family": family, "quantity": fit.QUANTITY_LABELS[q], "law": fits[q].chosen.candidate.name,
                "logrows": k, "point": pi["point"] / divisor, "low": pi["low"] / divisor,
                "high": pi["high"] / divisor, "ci_low": ci["low"] / divisor, "ci_high": ci["high"] / divisor,
            }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def run_points(runs: pd.DataFrame, families, quantities, divisor: float = 1.0) -> pd.DataFrame:
    """One row per run and quantity (positive values only), for scatter layers."""
    parts = []
    for q in quantities:
        part = runs[runs["family"].isin(families) & (pd.to_numeric(runs[q], errors="coerce") > 0)]
        parts.append(pd.DataFrame({"family": part["family"], "quantity": fit.QUANTITY_LABELS[q],
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
    color = alt.Color("quantity:N", title=None, sort=[fit.QUANTITY_LABELS[q] for q in quantities])
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
        .facet(column=alt.Column("family:N", title=None, sort=list(fit.FAMILIES)))
        .resolve_scale(x="independent")
        .properties(title=f"{title}: runs, fitted law, 95% prediction band")
        .configure_legend(orient="bottom", labelLimit=400, columns=2)
    )


# --------------------------------------------------------------------------- held-out check


def held_out_runs(runs: pd.DataFrame, quantities=tuple(fit.QUANTITIES),
                  n_holdout: int = fit.HOLDOUT_SIZES) -> pd.DataFrame:
    """Every held-out run of every family and quantity that has enough sizes (see :func:`chasm.fit.held_out_check`)."""
    parts = []
    for family in fit.FAMILIES:
        for q in quantities:
            try:
                parts.append(fit.held_out_check(runs, family, q, n_holdout))
            except fit.InsufficientData:
                continue
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def held_out_gaps(runs: pd.DataFrame, checks: pd.DataFrame, quantities=tuple(fit.QUANTITIES)) -> list[str]:
    """One phrase per family with quantities :func:`held_out_runs` could not check, saying how many
    distinct sizes each has (the check needs ``MIN_TRAIN_SIZES + HOLDOUT_SIZES``)."""
    done = set(zip(checks["family"], checks["quantity"])) if len(checks) else set()
    phrases = []
    for family in fit.FAMILIES:
        missing = [q for q in quantities if (family, q) not in done]
        if not missing:
            continue
        counts = {q: len(set(fit.observations(runs, family, q)["logrows"])) for q in missing}
        which = ("every quantity" if len(missing) == len(quantities)
                 else ", ".join(fit.QUANTITY_LABELS[q] for q in missing))
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
            "family": family, "quantity": fit.QUANTITY_LABELS[q], "law": part["law"].iloc[0],
            "fitted on logrows ≤": int(part["train_max_logrows"].iloc[0]),
            "predicted logrows": ", ".join(map(str, sorted(set(part["logrows"])))),
            "median observed / predicted": sci(math.exp(float(np.median(log_ratio))), 4),
            "worst observed / predicted": sci(worst, 4),
            "95% PI width, high / low": " to ".join(sci(w, 4) for w in sorted({part["width"].min(),
                                                                             part["width"].max()})),
            "runs inside 95% PI": f"{int(part['covered'].sum())} of {len(part)}",
            "scatter estimated from": part["scatter"].iloc[0],
        })
    return pd.DataFrame(rows)


def held_out_quantity(checks: pd.DataFrame, preferred=("prove_s", "peak_rss_bytes", "pk_bytes")) -> str | None:
    """The first quantity of ``preferred`` that has a held-out check (for the chart), else None."""
    have = set(checks["quantity"]) if len(checks) else set()
    return next((q for q in preferred if q in have), None)


def held_out_chart(runs: pd.DataFrame, quantity: str = "prove_s", n_holdout: int = fit.HOLDOUT_SIZES):
    """Per family: runs divided by the law fitted without the ``n_holdout`` largest sizes, with the law's
    95% prediction band on the same scale (1 = the law's median), over all measured sizes."""
    parts, points = [], []
    for family in fit.FAMILIES:
        obs = fit.observations(runs, family, quantity)
        sizes = sorted(set(obs["logrows"]))
        if len(sizes) < fit.MIN_TRAIN_SIZES + n_holdout:
            continue
        held = set(sizes[-n_holdout:])
        train = runs[~((runs["family"] == family) & runs["logrows"].isin(held))]
        try:
            law = fit.fit_quantity(train, family, quantity, min_sizes=fit.MIN_TRAIN_SIZES).chosen
        except fit.InsufficientData:
            continue
        k = np.linspace(min(sizes), max(sizes), 60)
        pi = fit.predict(law, 2.0**k)
        parts.append(pd.DataFrame({"family": family, "logrows": k, "low": pi["low"] / pi["point"],
                                   "high": pi["high"] / pi["point"], "layer": "law",
                                   "law": law.candidate.name}))
        observed = np.exp(obs["y"].to_numpy())
        at = fit.predict(law, obs["x"].to_numpy())["point"]
        role = np.where(obs["logrows"].isin(held), "held out", "fitted on")
        points.append(pd.DataFrame({"family": family, "logrows": obs["logrows"], "ratio": observed / at,
                                    "role": role, "layer": "run", "circuit": obs["config_key"]}))
    if not parts:
        return None
    frame = pd.concat(parts + points, ignore_index=True)
    x = alt.X("logrows:Q", title="circuit rows, log2", scale=alt.Scale(zero=False), axis=alt.Axis(tickMinStep=1))
    y_title = f"{fit.QUANTITY_LABELS[quantity]}: observed / law (log)"
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
        .facet(column=alt.Column("family:N", title=None, sort=list(fit.FAMILIES)))
        .resolve_scale(x="independent", y="independent")
        .properties(title=f"Held-out check of {fit.QUANTITY_LABELS[quantity]}: runs divided by the law fitted "
                          f"without the {n_holdout} largest sizes, and its 95% prediction band")
        .configure_legend(orient="bottom", labelLimit=400)
    )


# --------------------------------------------------------------------------- crossovers


def ratio_table(runs: pd.DataFrame, ratios=RATIOS) -> pd.DataFrame:
    """Per family and phase pair: the ratio's power law, its value at the largest size, and where it crosses 1."""
    rows = []
    for family in fit.FAMILIES:
        for num, den in ratios:
            try:
                law = fit.ratio_law(runs, family, num, den)
            except fit.InsufficientData:
                continue
            e = fit.exponent(law)
            at_max = fit.predict(law, [law.x_max], new_run=False)
            cross = fit.crossing_logrows(law, 1.0)
            if e["low"] <= 0 <= e["high"]:
                crossing = "no trend: the exponent's interval contains 0"
            elif not math.isfinite(cross["point"]):
                crossing = f"never (on 2^{fit.CROSSING_RANGE[0]} to 2^{fit.CROSSING_RANGE[1]})"
            else:
                crossing = interval_text(cross["point"], cross["low"], cross["high"])
            rows.append({
                "family": family, "ratio": f"{PHASE_NAMES[num]} / {PHASE_NAMES[den]}",
                "at largest size": f"2^{int(round(math.log2(law.x_max)))}: "
                + interval_text(at_max["point"][0], at_max["low"][0], at_max["high"][0]),
                "exponent of the ratio": interval_text(e["point"], e["low"], e["high"]),
                "ratio reaches 1 at logrows": crossing,
                "_cross": cross, "_exponent": e, "_max_logrows": math.log2(law.x_max),
            })
    return pd.DataFrame(rows)


def memory_limits(runs: pd.DataFrame, all_fits: dict, limits_bytes: dict) -> pd.DataFrame:
    """Where peak memory (any phase) reaches each limit, and how long a proof takes there.

    For each family and each limit, ``logrows`` solves ``median peak = limit``;
    the interval is the set of sizes whose 95% prediction interval for a new
    circuit contains the limit (so its low end is where an unlucky circuit
    already needs that much). ``prove_s`` is the predicted prove time at the
    point size, with its 95% prediction interval.
    """
    rows = []
    for family, (fits, _) in all_fits.items():
        if "peak_rss_bytes" not in fits:
            continue
        law = fits["peak_rss_bytes"].chosen
        for label, limit in limits_bytes.items():
            cross = fit.crossing_logrows(law, limit, band="prediction")
            row = {"family": family, "memory limit": label, "law": law.candidate.name,
                   "reached at logrows": interval_text(cross["point"], cross["low"], cross["high"]),
                   "doublings beyond data": sci(cross["point"] - math.log2(law.x_max), 2),
                   "_cross": cross}
            if "prove_s" in fits and math.isfinite(cross["point"]):
                p = fit.predict(fits["prove_s"].chosen, [2.0**cross["point"]])
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
        mem = fit.crossing_logrows(fits["peak_rss_bytes"].chosen, memory_bytes, band="prediction")
        tim = fit.crossing_logrows(fits["prove_s"].chosen, time_budget_s, band="prediction")
        if mem["high"] < tim["low"]:
            first = "memory"
        elif tim["high"] < mem["low"]:
            first = "time"
        else:
            first = "not resolved"
        rows.append({"family": family,
                     "memory limit reached at logrows": interval_text(mem["point"], mem["low"], mem["high"]),
                     "time budget reached at logrows": interval_text(tim["point"], tim["low"], tim["high"]),
                     "binding first": first, "_memory": mem, "_time": tim})
    return pd.DataFrame(rows)
