"""Tables, charts and glued phrases of the chapter "Scaling laws", built on :mod:`chasm.laws`.

Computed from the committed measurements (``data/measurements/proofs.csv``), the article's claims
(``data/claims.csv``), the cost model's frontier workload, or simulations with fixed seeds; numbers are
formatted with :mod:`chasm.core.fmt`. The chapter only calls these functions, shows tables and charts, and
glues each entry of the ``{name: text}`` dictionaries that feed its prose as ``scaling_<name>``: plain
strings with ``{glue:text}``, :class:`Inline` phrases (Markdown code spans) with ``{glue:md}``.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from chasm.core import data
from chasm.core.claims import load_claims
from chasm.core.constants import CONTENTION_LIMIT, FAMILIES, PROOFS
from chasm.core.fmt import interval_text, sci
from chasm.costmodel.llama import list_architectures
from chasm.laws import calibration, candidates, checks, choice, estimation, predict, rules, selection
from chasm.report import charts
from chasm.report.tables import Inline, code_spans

__all__ = ["Inline", "GROUPS", "RATIOS", "PHASE_NAMES", "load_runs", "exclusions", "method_constants",
           "candidates_table", "limits", "ram_limits", "wilson", "scenario_description", "calibration_table",
           "calibration_reading", "data_summary", "floor_table", "measured_data", "fitted_families",
           "fitted_laws", "comparison_table", "exponent_rows", "SIZE_LABELS", "exponent_table",
           "size_measure_table", "noise_table", "superlinearity", "READINGS", "exponent_list",
           "verdict_exponents", "curves", "run_points", "fits_chart", "fits_charts", "held_out_runs",
           "held_out_gaps", "held_out_table", "held_out_quantity", "held_out_summary", "held_out_chart",
           "ratio_table", "memory_limits", "binding_limits", "frontier_table"]


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
    """The runs the laws are fitted to, from the committed table (:func:`chasm.laws.selection.select_runs`)."""
    return selection.select_runs(data.load_table(PROOFS), hardware_tag)


def exclusions(hardware_tag: str | None = None) -> pd.DataFrame:
    """What the fits leave out of the committed table, and why (:func:`chasm.laws.selection.exclusion_table`)."""
    return selection.exclusion_table(data.load_table(PROOFS), hardware_tag)


def method_constants() -> dict[str, str]:
    """The method's fixed choices, as the chapter words them: ``n_datasets`` (simulated sweeps per scenario),
    ``seed`` (of the first scenario), ``cov_low``/``cov_high`` (coverage the tests accept, %), ``contention``
    (share of the machine's CPU above which a run loses its times), ``min_sizes``, ``holdout``,
    ``min_train``, ``min_lof_df`` (numbers of sizes, :mod:`chasm.laws.rules`), ``profiles`` and ``target``
    (:class:`Inline`), ``ftest`` (level of the lack-of-fit F-test, %) and ``lof_example``."""
    low_cov, high_cov = calibration.CALIBRATION_TOLERANCE
    p = candidates.POWER.n_params
    return {
        "n_datasets": f"{calibration.CALIBRATION_DATASETS:,}", "seed": str(calibration.CALIBRATION_SEED),
        "cov_low": f"{100 * low_cov:.0f}", "cov_high": f"{100 * high_cov:.0f}",
        "contention": f"{CONTENTION_LIMIT:g}", "min_sizes": str(rules.MIN_SIZES),
        "holdout": str(rules.HOLDOUT_SIZES), "min_train": str(rules.MIN_TRAIN_SIZES),
        "min_lof_df": str(rules.MIN_LACK_OF_FIT_DF), "profiles": Inline(code_spans(selection.FIT_PROFILES)),
        "target": Inline(code_spans([selection.CALIBRATION_TARGET])), "ftest": f"{100 * (1 - rules.LEVEL):.0f}%",
        "lof_example": f"a {p}-parameter law fitted to {p + rules.MIN_LACK_OF_FIT_DF - 1} sizes",
    }


def candidates_table() -> pd.DataFrame:
    """The candidate laws (:data:`chasm.laws.candidates.CANDIDATES`): name, f(N) in rows N, parameters, note."""
    return pd.DataFrame([{"law": c.name, "f(N)": c.formula, "parameters": ", ".join(c.param_names), "note": c.note}
                         for c in candidates.CANDIDATES])


def limits(runs: pd.DataFrame) -> dict[str, float]:
    """The chapter's limits: ``ram_bytes`` (RAM of the machine that measured ``runs``, median of
    ``ram_bytes``), ``claimed_ram_bytes`` (the article's prover server, lower end of claim ``ram_proving``),
    both in bytes, and ``budget_s`` (a time budget per proof, s: the upper end, '10+ minutes', of claim
    ``latency_proving``)."""
    claims = load_claims().set_index("claim_id")
    return {"ram_bytes": float(runs["ram_bytes"].median()),
            "claimed_ram_bytes": float(claims.loc["ram_proving", "claimed_low"]) * 2**30,
            "budget_s": float(claims.loc["latency_proving", "claimed_high"])}


def ram_limits(lim: dict) -> dict[str, float]:
    """The two memory limits of :func:`limits`, in bytes, keyed by the label the memory table shows."""
    return {f"this machine ({lim['ram_bytes'] / 2**30:.0f} GiB)": lim["ram_bytes"],
            f"article's server ({lim['claimed_ram_bytes'] / 2**30:.0f} GiB)": lim["claimed_ram_bytes"]}


# --------------------------------------------------------------------------- calibration


def wilson(hits: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``hits / n``."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _truth_text(scenario: dict) -> str:
    """The true law of a calibration scenario, e.g. '0.0002 N^1.1' or '5 + 1e-6 N log2 N'."""
    return scenario["truth_formula"] if "truth" in scenario else f"{sci(scenario['a'])} N^{sci(scenario['b'])}"


def scenario_description(scenario: dict) -> str:
    """Words for one of :data:`chasm.laws.calibration.CALIBRATION_SCENARIOS`, built from its settings."""
    truth = _truth_text(scenario)
    lr = scenario["logrows"]
    per = scenario["configs_per_size"]
    return (f"true law {truth}; sizes 2^{min(lr)}..2^{max(lr)}, {per} circuit{'s' if per != 1 else ''} per size, "
            f"{scenario['reps']} repetitions; circuit scatter {sci(100 * scenario['sigma_config'])}%, "
            f"repetition noise {sci(100 * scenario['sigma_rep'])}%; new run at 2^{sci(scenario['new_logrows'])}")


def calibration_table(n_datasets: int = calibration.CALIBRATION_DATASETS) -> pd.DataFrame:
    """Coverage of the 95% intervals on ``n_datasets`` simulated sweeps per scenario, with Wilson intervals:
    one row per :data:`chasm.laws.calibration.CALIBRATION_SCENARIOS` entry, simulated by
    :func:`chasm.laws.calibration.calibration_scenario` (the seeds the tests use)."""
    rows = []
    for i, scenario in enumerate(calibration.CALIBRATION_SCENARIOS):
        res = calibration.calibration_scenario(i, n_datasets)
        lo, hi = wilson(res["pi_coverage"] * n_datasets, n_datasets)
        row = {"scenario": scenario_description(scenario), "law fitted": scenario["cand"],
               "datasets": n_datasets, "seed": calibration.CALIBRATION_SEED + i,
               "prediction-interval coverage": f"{100 * res['pi_coverage']:.1f}% ({100 * lo:.1f} to {100 * hi:.1f})",
               "pi_coverage": res["pi_coverage"], "_doublings": scenario["new_logrows"] - max(scenario["logrows"]),
               "_expect_calibrated": scenario.get("expect_calibrated", True), "_truth": _truth_text(scenario)}
        if math.isfinite(res["exponent_coverage"]):
            lo, hi = wilson(res["exponent_coverage"] * n_datasets, n_datasets)
            row["exponent-interval coverage"] = (f"{100 * res['exponent_coverage']:.1f}% "
                                                 f"({100 * lo:.1f} to {100 * hi:.1f})")
        else:
            row["exponent-interval coverage"] = "(no single exponent)"
        row["exponent_coverage"] = res["exponent_coverage"]
        rows.append(row)
    return pd.DataFrame(rows)


def calibration_reading(table: pd.DataFrame) -> dict[str, str]:
    """What :func:`calibration_table` says: ``doublings`` (log2 rows from the largest simulated size to the
    fresh run), ``pi_low``/``pi_high`` (lowest and highest prediction-interval coverage of the scenarios
    expected to be calibrated, %), ``exponent_coverage`` (range of their exponent-interval coverage), and
    ``weak_law`` (:class:`Inline`), ``weak_truth``, ``weak_coverage`` (%) of the one known weak spot."""
    regular, weak = table[table["_expect_calibrated"]], table[~table["_expect_calibrated"]]
    if len(weak) != 1:
        raise ValueError(f"the chapter words exactly one weak calibration scenario, found {len(weak)}")
    weak, exponent, pi = weak.iloc[0], regular["exponent_coverage"].dropna(), 100 * regular["pi_coverage"]
    ends = sorted({round(100 * exponent.min(), 1), round(100 * exponent.max(), 1)})
    return {"doublings": " or ".join(sci(d) for d in sorted(set(table["_doublings"]))),
            "pi_low": f"{pi.min():.1f}", "pi_high": f"{pi.max():.1f}",
            "exponent_coverage": " to ".join(f"{v:.1f}%" for v in ends),
            "weak_law": Inline(code_spans([weak["law fitted"]])), "weak_truth": weak["_truth"],
            "weak_coverage": f"{100 * weak['pi_coverage']:.1f}"}


# --------------------------------------------------------------------------- what was measured


def _sizes_text(sizes) -> str:
    return ", ".join(map(str, sizes)) or "none"


def data_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per family: circuits, runs, measured logrows (all runs, and runs with uncontended timings), and
    which laws can be fitted (a law needs :data:`chasm.laws.rules.MIN_SIZES` distinct sizes)."""
    rows = []
    for family in FAMILIES:
        part = runs[runs["family"] == family]
        sizes = sorted(set(part["logrows"]))
        timed = sorted(set(part.loc[part["prove_s"].notna(), "logrows"]))
        if len(sizes) < rules.MIN_SIZES:
            laws = f"none: {len(sizes)} size(s), need {rules.MIN_SIZES}"
        elif len(timed) < rules.MIN_SIZES:
            laws = f"memory and sizes only: times known at {len(timed)} size(s), need {rules.MIN_SIZES}"
        else:
            laws = "all quantities"
        rows.append({
            "family": family, "circuits": part["config_key"].nunique(), "runs": len(part),
            "logrows measured": _sizes_text(sizes), "logrows with uncontended times": _sizes_text(timed),
            "parameters": (f"{int(part['params'].min()):,} to {int(part['params'].max()):,}" if len(part) else ""),
            "laws fitted": laws})
    return pd.DataFrame(rows)


def floor_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per family: the smallest logrows measured, how many circuits share it, how many of them are at the
    floor (``at_floor``: their layout uses at most half of the rows), and the largest share used there."""
    rows = []
    for family in FAMILIES:
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


def measured_data(runs: pd.DataFrame, hardware: str) -> dict[str, str]:
    """The runs the laws are fitted to, in words: ``n_runs``; the machine's ``hardware`` tag (:class:`Inline`),
    ``cpu`` model, ``cpus`` (logical CPUs) and ``ram_gib``; ``claimed_ram_gib`` and ``budget_s`` (seconds) of
    :func:`limits`; and ``floor``: per family whose smallest circuits sit at the logrows floor
    (:func:`floor_table`), how many share that size, their parameters and how many use at most half of the
    rows (``ValueError`` when no family has one: the chapter's paragraph on the floor would be wrong)."""
    lim, floors = limits(runs), floor_table(runs)
    shared = floors[floors["at_floor"] > 0]
    if shared.empty:
        raise ValueError("no family has a circuit at the logrows floor; the chapter's floor paragraph needs one")
    return {"n_runs": str(len(runs)), "hardware": Inline(f"`{hardware}`"), "cpu": str(runs["cpu_model"].iloc[0]),
            "cpus": str(int(runs["cpu_count"].iloc[0])), "ram_gib": f"{lim['ram_bytes'] / 2**30:.0f}",
            "claimed_ram_gib": f"{lim['claimed_ram_bytes'] / 2**30:.0f}", "budget_s": f"{lim['budget_s']:.0f}",
            "floor": "; ".join(f"{r.circuits} {r.family} circuits with {r.params_min:,} to {r.params_max:,} "
                               f"parameters all have 2^{r.logrows} rows, and {r.at_floor} of them use at most half "
                               "of those rows" for r in shared.itertuples())}


def fitted_families(runs: pd.DataFrame) -> list[str]:
    """Families with at least :data:`chasm.laws.rules.MIN_SIZES` distinct logrows."""
    return [f for f in FAMILIES if runs.loc[runs["family"] == f, "logrows"].nunique() >= rules.MIN_SIZES]


def fitted_laws(runs: pd.DataFrame, size: str = "rows", quantities=tuple(rules.QUANTITIES)) -> dict:
    """``{family: (fits, skipped)}`` of :func:`chasm.laws.choice.fit_family` for each :func:`fitted_families`."""
    return {f: choice.fit_family(runs, f, quantities, size) for f in fitted_families(runs)}


# --------------------------------------------------------------------------- model comparison and exponents


def comparison_table(all_fits: dict) -> pd.DataFrame:
    """Leave-one-size-out error of every law, as a typical factor ``exp(RMSE)``; the chosen law is starred."""
    rows = []
    for family, (fits, _) in all_fits.items():
        for q, qf in fits.items():
            row = {"family": family, "quantity": rules.QUANTITY_LABELS[q]}
            for _, r in qf.comparison.iterrows():
                cell = "n/a" if not math.isfinite(r["cv_rmse_log"]) else f"×{math.exp(r['cv_rmse_log']):.3f}"
                row[r["law"]] = cell + (" *" if r["chosen"] else "")
            chosen = qf.comparison[qf.comparison["chosen"]].iloc[0]
            row["chosen law: left-out sizes inside 95% PI"] = (
                f"{100 * chosen['cv_coverage']:.0f}%" if math.isfinite(chosen["cv_coverage"]) else "n/a")
            rows.append(row)
    return pd.DataFrame(rows)


def exponent_rows(runs: pd.DataFrame, quantities=tuple(rules.QUANTITIES), sizes=("rows",)) -> pd.DataFrame:
    """Power-law exponent of each quantity in each size measure, with its 95% interval and the noise levels.

    ``config_scatter`` is the estimated between-circuit standard deviation of log values including lack of
    fit (``sqrt(max(s2 - sigma_rep^2 mean(1/R), 0))``), ``rep_noise`` the repetition standard deviation, both
    as fractions (natural-log units); ``scatter_method`` says how ``s2`` was estimated. Against ``params``
    and ``num_rows``, circuits at the logrows floor are left out (:func:`chasm.laws.selection.observations`).
    """
    rows = []
    for size in sizes:
        for family in FAMILIES:
            for q in quantities:
                try:
                    cm = selection.config_means(selection.observations(runs, family, q, size))
                    if len(set(cm.fold)) < rules.MIN_SIZES:
                        continue
                    law = estimation.fit_law(cm, candidates.POWER)
                except rules.InsufficientData:
                    continue
                e = estimation.exponent(law)
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
    families = [f for f in FAMILIES if f in set(rows["family"])]
    out = []
    for key in [k for k in labels if k in set(rows[index])]:
        part = rows[rows[index] == key].set_index("family")
        out.append({index: labels[key], **{f: cell(part.loc[f]) if f in part.index else "" for f in families}})
    return pd.DataFrame(out)


def exponent_table(rows: pd.DataFrame, against: str = "rows") -> pd.DataFrame:
    """Power-law exponents with 95% intervals: one row per quantity, one column per family."""
    part = rows[rows["against"] == against]
    table = _pivot(part, "quantity", lambda r: interval_text(r["point"], r["low"], r["high"]), rules.QUANTITY_LABELS)
    return table.rename(columns={"quantity": f"exponent b in {SIZE_LABELS[against]}"})


def size_measure_table(rows: pd.DataFrame, quantity: str = "prove_s") -> pd.DataFrame:
    """Exponent of one quantity against each size measure: one row per measure, one column per family."""
    part = rows[rows["quantity"] == quantity]
    table = _pivot(part, "against", lambda r: interval_text(r["point"], r["low"], r["high"]), SIZE_LABELS)
    return table.rename(columns={"against": f"{rules.QUANTITY_LABELS[quantity]}: exponent against"})


def noise_table(rows: pd.DataFrame, against: str = "rows") -> pd.DataFrame:
    """Circuit scatter / repetition noise (standard deviations of the log, in %) per quantity and family."""
    part = rows[rows["against"] == against]
    table = _pivot(part, "quantity",
                   lambda r: f"{sci(100 * r['config_scatter'])}% / {sci(100 * r['rep_noise'])}%",
                   rules.QUANTITY_LABELS)
    return table.rename(columns={"quantity": "circuit scatter / repetition noise"})


def superlinearity(rows: pd.DataFrame, quantity: str = "prove_s", against: str = "params") -> pd.DataFrame:
    """Whether the exponent's 95% interval lies above 1, below 1, or straddles it (per family)."""
    part = rows[(rows["quantity"] == quantity) & (rows["against"] == against)]
    verdict = np.where(part["low"] > 1, "superlinear", np.where(part["high"] < 1, "sublinear", "not resolved"))
    return pd.DataFrame({"family": part["family"], "exponent": part["point"], "low": part["low"],
                         "high": part["high"], "reading": verdict})


#: How the chapter reads the exponent of prove time against parameters (:func:`superlinearity`).
READINGS = {
    "superlinear": "above 1 (superlinear, as the article says)",
    "sublinear": "below 1 (sublinear, contrary to the article's 'superlinearly')",
    "not resolved": "an interval containing 1 (these data cannot tell superlinear from linear)",
}


def _prove_in_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`exponent_rows` for prove time against padded rows, one per family."""
    return rows[(rows["quantity"] == "prove_s") & (rows["against"] == "rows")]


def exponent_list(rows: pd.DataFrame) -> str:
    """A Markdown list, one item per family: the exponent of prove time in padded rows (95% interval, sizes,
    circuits, runs, how the scatter was estimated) and against parameters with its reading (:data:`READINGS`).
    ``rows``: :func:`exponent_rows` with sizes ``rows`` and ``params`` (both needed, else ``ValueError``)."""
    supers = superlinearity(rows).set_index("family")
    items = []
    for r in _prove_in_rows(rows).itertuples():
        if r.family not in supers.index:
            raise ValueError(f"{r.family}: prove time has an exponent in rows but none against parameters")
        p = supers.loc[r.family]
        items.append(
            f"- **{r.family}**: prove time grows as N^{sci(r.point)} in rows N, 95% interval {sci(r.low)} to "
            f"{sci(r.high)} ({r.sizes} sizes, {r.circuits} circuits, {r.runs} runs; scatter from the "
            f"{r.scatter_method}); against parameters, circuits at the floor left out, its exponent is "
            f"{sci(p['exponent'])} ({sci(p['low'])} to {sci(p['high'])}), {READINGS[p['reading']]}.")
    return "\n".join(items)


def verdict_exponents(rows: pd.DataFrame) -> dict[str, str]:
    """Exponents of prove time per family, as the verdict lists them ('mlp: N^1.02 (0.993 to 1.06); ...'):
    ``rows_exponents`` in padded rows, ``params_exponents`` against parameters (floor left out)."""
    return {"rows_exponents": "; ".join(f"{r.family}: N^{sci(r.point)} ({sci(r.low)} to {sci(r.high)})"
                                        for r in _prove_in_rows(rows).itertuples()),
            "params_exponents": "; ".join(f"{r.family}: {sci(r.exponent)} ({sci(r.low)} to {sci(r.high)})"
                                          for r in superlinearity(rows).itertuples())}


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
            pi = estimation.predict(fits[q].chosen, 2.0**k)
            ci = estimation.predict(fits[q].chosen, 2.0**k, new_run=False)
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


# --------------------------------------------------------------------------- held-out check


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


def held_out_summary(checks: pd.DataFrame) -> dict[str, str]:
    """:func:`held_out_runs` over all quantities: ``heldout_shown`` (quantity charted), ``heldout_covered``
    of ``heldout_runs`` runs inside their 95% prediction interval (``heldout_share``, %), observed / predicted
    (``heldout_median``; ``heldout_worst``, farthest from 1) and the narrowest and widest interval as the
    factor high / low (``heldout_width_low``, ``heldout_width_high``). ``ValueError`` when nothing was checked."""
    if checks.empty:
        raise ValueError("no family has enough distinct sizes for the held-out check")
    covered, log_ratio, widths = int(checks["covered"].sum()), checks["ratio"].apply(math.log), checks["width"]
    return {"heldout_shown": rules.QUANTITY_LABELS[held_out_quantity(checks)],
            "heldout_covered": str(covered), "heldout_runs": str(len(checks)),
            "heldout_share": f"{100 * covered / len(checks):.0f}%",
            "heldout_median": sci(math.exp(float(log_ratio.median())), 4),
            "heldout_worst": sci(float(checks["ratio"].iloc[int(log_ratio.abs().argmax())]), 4),
            "heldout_width_low": sci(float(widths.min()), 4), "heldout_width_high": sci(float(widths.max()), 4)}


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


# --------------------------------------------------------------------------- crossovers


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
            at_max = estimation.predict(law, [law.x_max], new_run=False)
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


# --------------------------------------------------------------------------- frontier models


def frontier_table(runs: pd.DataFrame, family: str = predict.ARCH_FAMILY) -> pd.DataFrame:
    """Per frontier model (:func:`chasm.costmodel.llama.list_architectures`), ``family``'s laws carried to its
    chunk size (:func:`chasm.laws.predict.frontier_chunks`, :func:`~chasm.laws.predict.predictions`): chunk
    proofs per query (cost model's 95% band), chunk rows, prove-time law, and prove time per query in days
    with the fit's 95% prediction interval and with the cost model's uncertainty added."""
    rows, day = [], 86400.0
    for arch in list_architectures():
        w = predict.frontier_chunks(arch)
        result, skipped = predict.predictions(runs, family, w["chunk_logrows"], workload=w)
        if "prove_s" not in result:
            raise ValueError(f"{arch}: prove time not predicted ({skipped['prove_s']})")
        e = result["prove_s"]
        rows.append({
            "model": arch,
            "chunk proofs per query": f"{w['chunks_per_query']:,} ({w['chunks_low']:,} to {w['chunks_high']:,})",
            "chunk rows": f"2^{w['chunk_logrows']}", "prove-time law": e["law"],
            "prove time per query, days: fit's 95% PI": interval_text(e["point"] / day, e["fit_low"] / day,
                                                                       e["fit_high"] / day),
            "with the cost model's uncertainty": interval_text(e["point"] / day, e["low"] / day, e["high"] / day)})
    return pd.DataFrame(rows)
