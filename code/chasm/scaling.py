"""Tables and charts of the "Scaling laws" chapter, built on :mod:`chasm.fit`.

Everything here is computed from the committed measurements
(``data/measurements/proofs.csv``) or from simulations with a fixed seed; the
chapter only calls these functions and words the results.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from chasm import charts, data, fit

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

#: Memory levels (GiB) at which the peak-memory law is inverted, besides the measuring machine's RAM.
GIB = 2.0**30


def load_runs(hardware_tag: str | None = None) -> tuple[pd.DataFrame, str]:
    """Successful runs of one machine from the committed table (see :func:`chasm.fit.prepare_runs`)."""
    return fit.prepare_runs(data.load_table(TABLE), hardware_tag)


def fmt(value: float, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (``inf`` and NaN spelled out)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{digits}g}"


def fmt_interval(point: float, low: float, high: float, digits: int = 3) -> str:
    """``point [low, high]``."""
    return f"{fmt(point, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


# --------------------------------------------------------------------------- calibration


def wilson(hits: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``hits / n``."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


#: Simulated sweeps of the calibration check: (description, calibration_study keyword arguments).
CALIBRATION_SCENARIOS = (
    ("power law a N^1.1, sizes 2^10..2^17, 1 circuit per size, 3 repetitions, scatter 25%, noise 5%; "
     "new run at 2^19",
     {"logrows": tuple(range(10, 18)), "sigma_config": 0.25, "sigma_rep": 0.05, "new_logrows": 19.0}),
    ("power law a N^1.1, sizes 2^14..2^19, 2 circuits per size, 3 repetitions, scatter 15%, noise 20%; "
     "new run at 2^21",
     {"logrows": tuple(range(14, 20)), "configs_per_size": 2, "sigma_config": 0.15, "sigma_rep": 0.2,
      "new_logrows": 21.0}),
    ("a N log2 N + b N fitted with its own form, sizes 2^10..2^17; new run at 2^19",
     {"cand": "nlogn", "truth": lambda n: 3e-6 * n * np.log2(n) + 1e-5 * n, "new_logrows": 19.0}),
    ("c0 + c1 N log2 N + c2 N / log2 N fitted with its own form, sizes 2^10..2^17; new run at 2^19",
     {"cand": "fft_msm", "truth": lambda n: 0.5 + 2e-6 * n * np.log2(n) + 5e-5 * n / np.log2(n),
      "new_logrows": 19.0}),
) + ((
    ("c0 + c1 W(N), the cost model's prover work, fitted with its own form, sizes 2^10..2^17; "
     "new run at 2^19",
     {"cand": "costmodel", "truth": lambda n: 0.3 + 2e-8 * fit._prover_work(n), "new_logrows": 19.0}),
) if any(c.name == "costmodel" for c in fit.CANDIDATES) else ()) + (
    ("hard case: 5 s + 1e-6 N log2 N (the growing term is small over the measured sizes) fitted with "
     "c0 + c1 N log2 N + c2 N / log2 N; new run at 2^19",
     {"cand": "fft_msm", "truth": lambda n: 5.0 + 1e-6 * n * np.log2(n), "new_logrows": 19.0}),
)


def calibration_table(n_datasets: int = 500, seed: int = 20260101) -> pd.DataFrame:
    """Coverage of the 95% intervals on ``n_datasets`` simulated sweeps per scenario, with Wilson intervals."""
    rows = []
    for i, (description, kwargs) in enumerate(CALIBRATION_SCENARIOS):
        kwargs = dict(kwargs)
        cand = fit.candidate(kwargs.pop("cand", "power"))
        if cand.basis is not None:
            kwargs["true_exponent"] = None
        res = fit.calibration_study(n_datasets, seed=seed + i, cand=cand, **kwargs)
        lo, hi = wilson(res["pi_coverage"] * n_datasets, n_datasets)
        row = {"scenario": description, "law fitted": cand.name, "datasets": n_datasets,
               "prediction-interval coverage": f"{100 * res['pi_coverage']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]",
               "pi_coverage": res["pi_coverage"]}
        if math.isfinite(res["exponent_coverage"]):
            lo, hi = wilson(res["exponent_coverage"] * n_datasets, n_datasets)
            row["exponent-interval coverage"] = f"{100 * res['exponent_coverage']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"
        else:
            row["exponent-interval coverage"] = "(no single exponent)"
        row["exponent_coverage"] = res["exponent_coverage"]
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- what was measured


def data_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per family: configurations, successful runs, measured logrows, and whether a law can be fitted."""
    rows = []
    for family in fit.FAMILIES:
        part = runs[runs["family"] == family]
        sizes = sorted(set(part["logrows"]))
        rows.append({
            "family": family,
            "circuits": part["config_key"].nunique(),
            "runs": len(part),
            "logrows measured": ", ".join(map(str, sizes)) or "none",
            "parameters": (f"{int(part['params'].min()):,} to {int(part['params'].max()):,}" if len(part) else ""),
            "laws fitted": "yes" if len(sizes) >= fit.MIN_SIZES else f"no: {len(sizes)} size(s), need {fit.MIN_SIZES}",
        })
    return pd.DataFrame(rows)


def floor_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per family: the smallest logrows measured, how many circuits share it, and how much of it they use."""
    rows = []
    for family in fit.FAMILIES:
        part = runs[runs["family"] == family]
        if part.empty:
            continue
        k = int(part["logrows"].min())
        floor = part[part["logrows"] == k].drop_duplicates("config_key")
        used = pd.to_numeric(floor["num_rows"], errors="coerce")
        rows.append({"family": family, "logrows": k, "circuits": len(floor),
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
    log values (``sqrt(max(s2 - sigma_rep^2 mean(1/R), 0))``), ``rep_noise``
    the repetition standard deviation, both as fractions (natural-log units).
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
                             "runs": law.n_runs})
    return pd.DataFrame(rows, columns=["family", "quantity", "against", "low", "point", "high",
                                       "config_scatter", "rep_noise", "circuits", "runs"])


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
    table = _pivot(part, "quantity", lambda r: fmt_interval(r["point"], r["low"], r["high"]), fit.QUANTITY_LABELS)
    return table.rename(columns={"quantity": f"exponent b in {SIZE_LABELS[against]}"})


def size_measure_table(rows: pd.DataFrame, quantity: str = "prove_s") -> pd.DataFrame:
    """Exponent of one quantity against each size measure: one row per measure, one column per family."""
    part = rows[rows["quantity"] == quantity]
    table = _pivot(part, "against", lambda r: fmt_interval(r["point"], r["low"], r["high"]), SIZE_LABELS)
    return table.rename(columns={"against": f"{fit.QUANTITY_LABELS[quantity]}: exponent against"})


def noise_table(rows: pd.DataFrame, against: str = "rows") -> pd.DataFrame:
    """Circuit scatter / repetition noise (standard deviations of the log, in %) per quantity and family."""
    part = rows[rows["against"] == against]
    table = _pivot(part, "quantity",
                   lambda r: f"{100 * r['config_scatter']:.0f}% / {100 * r['rep_noise']:.0f}%",
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


def held_out_runs(runs: pd.DataFrame, quantities=tuple(fit.QUANTITIES), n_holdout: int = 2) -> pd.DataFrame:
    """Every held-out run of every family and quantity that has enough sizes (see :func:`chasm.fit.held_out_check`)."""
    parts = []
    for family in fit.FAMILIES:
        for q in quantities:
            try:
                parts.append(fit.held_out_check(runs, family, q, n_holdout))
            except fit.InsufficientData:
                continue
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def held_out_table(checks: pd.DataFrame) -> pd.DataFrame:
    """Per family and quantity: trained up to which size, the law, the error, and the coverage."""
    rows = []
    for (family, q), part in checks.groupby(["family", "quantity"], sort=False):
        log_ratio = np.log(part["ratio"])
        worst = part["ratio"].iloc[int(np.argmax(np.abs(log_ratio)))]
        rows.append({
            "family": family, "quantity": fit.QUANTITY_LABELS[q], "law": part["law"].iloc[0],
            "fitted on logrows ≤": int(part["train_max_logrows"].iloc[0]),
            "predicted logrows": ", ".join(map(str, sorted(set(part["logrows"])))),
            "median observed / predicted": f"{math.exp(float(np.median(log_ratio))):.2f}",
            "worst observed / predicted": f"{worst:.2f}",
            "runs inside 95% PI": f"{int(part['covered'].sum())} of {len(part)}",
        })
    return pd.DataFrame(rows)


def held_out_chart(runs: pd.DataFrame, quantity: str = "prove_s", n_holdout: int = 2):
    """Per family: the law fitted without the largest sizes, carried to them, against what was measured."""
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
        parts.append(pd.DataFrame({"family": family, "logrows": k, "point": pi["point"], "low": pi["low"],
                                   "high": pi["high"], "layer": "law"}))
        observed = np.exp(obs["y"].to_numpy())
        role = np.where(obs["logrows"].isin(held), "held out", "fitted on")
        points.append(pd.DataFrame({"family": family, "logrows": obs["logrows"], "value": observed,
                                    "role": role, "layer": "run"}))
    if not parts:
        return None
    frame = pd.concat(parts + points, ignore_index=True)
    x = alt.X("logrows:Q", title="circuit rows, log2", scale=alt.Scale(zero=False), axis=alt.Axis(tickMinStep=1))
    y_title = f"{fit.QUANTITY_LABELS[quantity]}, {fit.QUANTITIES[quantity]} (log)"
    base = alt.Chart().encode(x=x)
    band = base.transform_filter(alt.datum.layer == "law").mark_area(
        opacity=0.2, color=charts.PALETTE["proving"]).encode(
        y=alt.Y("low:Q", scale=alt.Scale(type="log"), title=y_title), y2="high:Q")
    line = base.transform_filter(alt.datum.layer == "law").mark_line(color=charts.PALETTE["proving"]).encode(
        y="point:Q")
    dots = base.transform_filter(alt.datum.layer == "run").mark_point(size=40, filled=True).encode(
        y="value:Q",
        color=alt.Color("role:N", title=None, scale=alt.Scale(domain=["fitted on", "held out"],
                                                              range=[charts.PALETTE["neutral"], "#e7298a"])),
        tooltip=["family:N", "logrows:Q", "value:Q", "role:N"])
    n = frame["family"].nunique()
    return (
        alt.layer(band, line, dots, data=frame)
        .properties(width=_facet_width(n), height=240)
        .facet(column=alt.Column("family:N", title=None, sort=list(fit.FAMILIES)))
        .resolve_scale(x="independent")
        .properties(title="Held-out check: law fitted without the two largest sizes, 95% prediction band")
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
                crossing = "never (on 2^1 to 2^64)"
            else:
                crossing = fmt_interval(cross["point"], cross["low"], cross["high"])
            rows.append({
                "family": family, "ratio": f"{PHASE_NAMES[num]} / {PHASE_NAMES[den]}",
                "at largest size": f"2^{int(round(math.log2(law.x_max)))}: "
                + fmt_interval(at_max["point"][0], at_max["low"][0], at_max["high"][0]),
                "exponent of the ratio": fmt_interval(e["point"], e["low"], e["high"]),
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
                   "reached at logrows": fmt_interval(cross["point"], cross["low"], cross["high"]),
                   "doublings beyond data": fmt(cross["point"] - math.log2(law.x_max), 2),
                   "_cross": cross}
            if "prove_s" in fits and math.isfinite(cross["point"]):
                p = fit.predict(fits["prove_s"].chosen, [2.0**cross["point"]])
                row["prove time there, s"] = fmt_interval(p["point"][0], p["low"][0], p["high"][0])
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
                     "memory limit reached at logrows": fmt_interval(mem["point"], mem["low"], mem["high"]),
                     "time budget reached at logrows": fmt_interval(tim["point"], tim["low"], tim["high"]),
                     "binding first": first, "_memory": mem, "_time": tim})
    return pd.DataFrame(rows)


def show(table: pd.DataFrame):
    """HTML of a table in the book's style (columns starting with ``_`` are internal and dropped)."""
    from IPython.display import HTML

    visible = table[[c for c in table.columns if not str(c).startswith("_")]]
    return HTML(visible.to_html(index=False, classes="chasm-table", na_rep="", escape=True))
