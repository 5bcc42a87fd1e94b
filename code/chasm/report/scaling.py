"""Tables and glued phrases of the chapter "Scaling laws", built on :mod:`chasm.laws`: the method, the
measurements, the laws and their exponents (checks: :mod:`chasm.report.scaling_checks`; charts:
:mod:`chasm.report.scaling_figures`).

Computed from the committed measurements (``data/measurements/proofs.csv``), the article's claims
(``data/claims.csv``), the cost model's frontier workload, or simulations with fixed seeds; numbers are
formatted with :mod:`chasm.core.fmt`. The chapter only calls these functions, shows tables and charts, and
glues each entry of the ``{name: text}`` dictionaries that feed its prose as ``scaling_<name>``: plain
strings with ``{glue:text}``, :class:`Inline` phrases (Markdown code spans) with ``{glue:md}``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from chasm.core import data
from chasm.core.claims import load_claims
from chasm.core.constants import CONTENTION_LIMIT, FAMILIES, PROOFS
from chasm.core.fmt import interval_text, sci
from chasm.laws import coverage, candidates, choice, estimation, rules, selection
from chasm.report.tables import Inline, code_spans

__all__ = ["Inline", "fitted_runs", "exclusions", "method_constants", "candidates_table", "limits",
           "ram_limits", "wilson", "scenario_description", "coverage_table", "coverage_reading",
           "data_summary", "floor_table", "measured_data", "fitted_families", "fitted_laws",
           "comparison_table", "exponent_rows", "SIZE_LABELS", "exponent_table", "size_variable_table",
           "params_sweep", "noise_table", "superlinearity", "READINGS", "exponent_list", "verdict_exponents"]


def fitted_runs(hardware_tag: str | None = None) -> tuple[pd.DataFrame, str]:
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
    low_cov, high_cov = coverage.COVERAGE_TOLERANCE
    p = candidates.POWER.n_params
    return {
        "n_datasets": f"{coverage.COVERAGE_DATASETS:,}", "seed": str(coverage.COVERAGE_SEED),
        "cov_low": f"{100 * low_cov:.0f}", "cov_high": f"{100 * high_cov:.0f}",
        "contention": f"{CONTENTION_LIMIT:.0%}", "min_sizes": str(rules.MIN_SIZES),
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
    """Words for one of :data:`chasm.laws.coverage.COVERAGE_SCENARIOS`, built from its settings."""
    truth = _truth_text(scenario)
    lr = scenario["logrows"]
    per = scenario["configs_per_size"]
    return (f"true law {truth}; sizes 2^{min(lr)}..2^{max(lr)}, {per} circuit{'s' if per != 1 else ''} per size, "
            f"{scenario['reps']} repetitions; circuit scatter {sci(100 * scenario['sigma_config'])}%, "
            f"repetition noise {sci(100 * scenario['sigma_rep'])}%; new run at 2^{sci(scenario['new_logrows'])}")


def coverage_table(n_datasets: int = coverage.COVERAGE_DATASETS) -> pd.DataFrame:
    """Coverage of the 95% intervals on ``n_datasets`` simulated sweeps per scenario, with Wilson intervals:
    one row per :data:`chasm.laws.coverage.COVERAGE_SCENARIOS` entry, simulated by
    :func:`chasm.laws.coverage.coverage_scenario` (the seeds the tests use)."""
    rows = []
    for i, scenario in enumerate(coverage.COVERAGE_SCENARIOS):
        res = coverage.coverage_scenario(i, n_datasets)
        lo, hi = wilson(res["pi_coverage"] * n_datasets, n_datasets)
        row = {"scenario": scenario_description(scenario), "law fitted": scenario["cand"],
               "datasets": n_datasets, "seed": coverage.COVERAGE_SEED + i,
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


def coverage_reading(table: pd.DataFrame) -> dict[str, str]:
    """What :func:`coverage_table` says: ``doublings`` (log2 rows from the largest simulated size to the
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


def fitted_laws(runs: pd.DataFrame, size: str = "padded_rows", quantities=tuple(rules.QUANTITIES)) -> dict:
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


def exponent_rows(runs: pd.DataFrame, quantities=tuple(rules.QUANTITIES), sizes=("padded_rows",)) -> pd.DataFrame:
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


SIZE_LABELS = {"padded_rows": "2^logrows (padded rows)", "num_rows": "num_rows (rows used)",
               "params": "parameters (of the sweep: see below)"}


def params_sweep(runs: pd.DataFrame, quantity: str = "prove_s") -> dict[str, str]:
    """What moves a family's parameter count in the runs fitted against ``params`` (floor left out), per
    family: ``'d_model 16 to 196; layers 1, seq 4, ... fixed'``. The exponent against parameters measures
    growth along these dimensions only, not along depth and context the way frontier models grow."""
    out = {}
    for family in sorted(set(runs["family"])):
        keys = set(selection.observations(runs, family, quantity, "params")["config_key"])
        configs = [json.loads(c) for c in runs.loc[runs["config_key"].isin(keys), "config"].drop_duplicates()]
        if not configs:
            continue
        values = {k: sorted({c.get(k) for c in configs}, key=lambda v: (isinstance(v, str), v))
                  for k in sorted(set().union(*configs))}
        varied = [f"{k} {v[0]} to {v[-1]}" for k, v in values.items() if len(v) > 1]
        fixed = [f"{k} {v[0]}" for k, v in values.items() if len(v) == 1]
        out[family] = ", ".join(varied) + (f"; {', '.join(fixed)} fixed" if fixed else "")
    return out


def _pivot(rows: pd.DataFrame, index: str, cell, labels: dict) -> pd.DataFrame:
    """One row per ``index`` value, one column per family, cells from ``cell(row)``."""
    families = [f for f in FAMILIES if f in set(rows["family"])]
    out = []
    for key in [k for k in labels if k in set(rows[index])]:
        part = rows[rows[index] == key].set_index("family")
        out.append({index: labels[key], **{f: cell(part.loc[f]) if f in part.index else "" for f in families}})
    return pd.DataFrame(out)


def exponent_table(rows: pd.DataFrame, against: str = "padded_rows") -> pd.DataFrame:
    """Power-law exponents with 95% intervals: one row per quantity, one column per family."""
    part = rows[rows["against"] == against]
    table = _pivot(part, "quantity", lambda r: interval_text(r["point"], r["low"], r["high"]), rules.QUANTITY_LABELS)
    return table.rename(columns={"quantity": f"exponent b in {SIZE_LABELS[against]}"})


def size_variable_table(rows: pd.DataFrame, quantity: str = "prove_s") -> pd.DataFrame:
    """Exponent of one quantity against each size measure: one row per measure, one column per family."""
    part = rows[rows["quantity"] == quantity]
    table = _pivot(part, "against", lambda r: interval_text(r["point"], r["low"], r["high"]), SIZE_LABELS)
    return table.rename(columns={"against": f"{rules.QUANTITY_LABELS[quantity]}: exponent against"})


def noise_table(rows: pd.DataFrame, against: str = "padded_rows") -> pd.DataFrame:
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
    "superlinear": "above 1 (superlinear along this sweep)",
    "sublinear": "below 1 (sublinear along this sweep)",
    "not resolved": "an interval containing 1 (these data cannot tell superlinear from linear along this sweep)",
}


def _prove_in_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`exponent_rows` for prove time against padded rows, one per family."""
    return rows[(rows["quantity"] == "prove_s") & (rows["against"] == "padded_rows")]


def exponent_list(rows: pd.DataFrame, sweeps: dict[str, str]) -> str:
    """A Markdown list, one item per family: the exponent of prove time in padded rows (95% interval, sizes,
    circuits, runs, how the scatter was estimated) and against the parameters of its sweep (``sweeps``:
    :func:`params_sweep`) with its reading (:data:`READINGS`). ``rows``: :func:`exponent_rows` with sizes
    ``rows`` and ``params`` (both needed, else ``ValueError``)."""
    supers = superlinearity(rows).set_index("family")
    items = []
    for r in _prove_in_rows(rows).itertuples():
        if r.family not in supers.index:
            raise ValueError(f"{r.family}: prove time has an exponent in rows but none against parameters")
        p = supers.loc[r.family]
        items.append(
            f"- **{r.family}**: prove time grows as N^{sci(r.point)} in rows N, 95% interval {sci(r.low)} to "
            f"{sci(r.high)} ({r.sizes} sizes, {r.circuits} circuits, {r.runs} runs; scatter from the "
            f"{r.scatter_method}); against the parameters of its sweep ({sweeps[r.family]}), circuits at the floor "
            f"left out, its exponent is {sci(p['exponent'])} ({sci(p['low'])} to {sci(p['high'])}), "
            f"{READINGS[p['reading']]}.")
    return "\n".join(items)


def verdict_exponents(rows: pd.DataFrame) -> dict[str, str]:
    """Exponents of prove time per family, as the verdict lists them ('mlp: N^1.02 (0.993 to 1.06); ...'):
    ``rows_exponents`` in padded rows, ``params_exponents`` against parameters (floor left out)."""
    return {"rows_exponents": "; ".join(f"{r.family}: N^{sci(r.point)} ({sci(r.low)} to {sci(r.high)})"
                                        for r in _prove_in_rows(rows).itertuples()),
            "params_exponents": "; ".join(f"{r.family}: {sci(r.exponent)} ({sci(r.low)} to {sci(r.high)})"
                                          for r in superlinearity(rows).itertuples())}


# --------------------------------------------------------------------------- curves and charts


# --------------------------------------------------------------------------- held-out check


# --------------------------------------------------------------------------- crossovers


