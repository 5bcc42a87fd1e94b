"""Verdicts on the claims the measured runs and the cost model settle without pricing a frontier query.

- **Growth form** (``proof_cost_exponential``, ``proof_cost_polynomial``, ``cost_scales_with_complexity``):
  per model family of the main sweep, the median proving time of each size above the family's
  smallest circuit (sizes at the smallest ``logrows`` all prove in the same fixed time: the floor of
  a padded table, which neither form describes) is fitted as a power of the parameter count
  (``log t = a + b log N``) and as an exponential in it (``log t = a + c N``), by least squares on the logs; :func:`growth_forms` reports each form's residual standard deviation
  (natural-log units). A claim of exponential growth is contradicted when the power law fits every
  family better; polynomial growth is supported when it does and the frontier size exponent
  (:func:`chasm.economics.judge.size_exponent`) exceeds one; partly supported when that exponent is
  positive but not above one (polynomial only in the trivial sense of near-linear growth).
- **Verification against inference** (``verify_equivalent_compute``): the measured compute to verify a
  proof (``verify_compute_s``, key loading left out) over the time to run the network, per
  configuration (same machine, CPU).
- **Proof time** (``proof_gen_time``): the measured proving times of the main sweep.
- **Validator against training** (``validator_vs_training``): GPU-hours of a year of one node re-running
  Llama-3-70B queries over the GPU-hours Meta reports for pretraining it (``llama3_70b_training_gpu_hours``).

Every verdict is judged by :func:`chasm.economics.verdicts.judge` where the claim has a range, and carries
the interval it was judged against and a one-line reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chasm.core.claims import load_claims

__all__ = ["HOURS_PER_YEAR", "VALIDATOR_GPUS", "growth_forms", "growth_verdicts", "verification_verdicts",
           "training_verdict", "measured_claim_verdicts"]

#: Hours in a (Julian) year: a validator node runs all year.
HOURS_PER_YEAR = 365.25 * 24
#: H100 GPUs of one node serving Llama-3-70B: 2 in FP8 (the measured NIM route of the pricing) up to 8
#: (one HGX node, as for 16-bit weights with room for the key/value cache).
VALIDATOR_GPUS = (2, 8)


def _main_runs() -> pd.DataFrame:
    from chasm.laws.selection import select_runs

    runs, _ = select_runs(_proofs(), None)
    return runs


def _proofs() -> pd.DataFrame:
    from chasm.core import data
    from chasm.core.constants import PROOFS

    return data.load_table(PROOFS)


def growth_forms(runs: pd.DataFrame | None = None, column: str = "prove_s") -> pd.DataFrame:
    """Per family: ``sizes`` (configurations above the smallest ``logrows``), ``power_exponent`` (``b``),
    ``power_sd`` and ``exponential_sd`` (residual standard deviations of ``log t``, n - 2 degrees of
    freedom) of the two fits of ``column`` (seconds) against ``params``, and ``better`` (the form with
    the smaller SD). Families with fewer than 3 such sizes are left out."""
    runs = _main_runs() if runs is None else runs
    rows = []
    for family, g in runs.dropna(subset=[column]).groupby("family"):
        g = g[g["logrows"] > g["logrows"].min()]
        med = g.groupby("params")[column].median()
        if len(med) < 3:
            continue
        n, y = med.index.to_numpy(dtype=float), np.log(med.to_numpy(dtype=float))
        sds = {}
        for form, x in (("power", np.log(n)), ("exponential", n)):
            coef = np.polyfit(x, y, 1)
            resid = y - np.polyval(coef, x)
            sds[form] = (float(np.sqrt(resid @ resid / (len(y) - 2))), float(coef[0]))
        rows.append({"family": family, "sizes": len(med), "power_exponent": sds["power"][1],
                     "power_sd": sds["power"][0], "exponential_sd": sds["exponential"][0],
                     "better": "power" if sds["power"][0] < sds["exponential"][0] else "exponential"})
    return pd.DataFrame(rows)


def growth_verdicts(forms: pd.DataFrame | None = None, exponent: dict | None = None) -> list[dict]:
    """Verdicts on exponential growth, polynomial growth and growth with model complexity, from
    :func:`growth_forms` and the frontier size exponent (``exponent``: ``{point, low, high}``)."""
    from chasm.economics.judge import size_exponent, size_table

    forms = growth_forms() if forms is None else forms
    e = size_exponent(size_table()) if exponent is None else exponent
    fits = "; ".join(f"{r.family}: power SD {r.power_sd:.2f}, exponential SD {r.exponential_sd:.2f}"
                     for r in forms.itertuples())
    power_everywhere = bool(len(forms)) and bool((forms["better"] == "power").all())
    exp_text = f"size exponent {e['point']:.3g} ({e['low']:.3g} to {e['high']:.3g}) in parameters"
    grows = e["low"] > 0 and np.isfinite(e["high"])
    return [
        {"claim_id": "proof_cost_exponential", "verdict": "contradicted" if power_everywhere else "not_resolved",
         "judged_against": f"residuals of log prove time, {fits}",
         "reason": ("a power of the parameter count fits the measured prove times of every family better than an "
                    f"exponential in it; at frontier scale the {exp_text}") if power_everywhere else
                   "an exponential fits at least one family as well as a power law"},
        {"claim_id": "proof_cost_polynomial",
         "verdict": ("supported" if power_everywhere and e["low"] > 1 else "partly_supported" if power_everywhere and grows
                     else "not_resolved"),
         "judged_against": f"{exp_text}; measured per-family exponents "
                           + ", ".join(f"{r.family} {r.power_exponent:.2f}" for r in forms.itertuples()),
         "reason": ("proving cost grows as a power of model size, so polynomially in form"
                    + ("" if e["low"] > 1 else f", but of degree about {e['point']:.2g} at frontier scale: near-linear, "
                       "not the steep growth the wording implies"))},
        {"claim_id": "cost_scales_with_complexity", "verdict": "supported" if grows else "contradicted",
         "judged_against": exp_text,
         "reason": "prover work per query rises with the model's size at a positive exponent"},
    ]


def verification_verdicts(runs: pd.DataFrame | None = None) -> list[dict]:
    """Verdicts on verification against inference (``verify_equivalent_compute``) and on the stated proof
    time (``proof_gen_time``), from the main sweep's runs: per configuration the medians of
    ``verify_compute_s / infer_s`` (ratio: ezkl's own verification compute, without reading the keys and
    parameters from disk) and of ``prove_s`` (seconds); judged on (smallest, median, largest)."""
    from chasm.economics.judge import judge

    runs = _main_runs() if runs is None else runs
    runs = runs.dropna(subset=["verify_compute_s", "infer_s", "prove_s"])
    per = runs.groupby("config_id").agg(verify=("verify_compute_s", "median"), infer=("infer_s", "median"),
                                        prove=("prove_s", "median"), logrows=("logrows", "median"))
    ratio = per["verify"] / per["infer"]
    claims = load_claims().set_index("claim_id")
    out = []
    c = claims.loc["verify_equivalent_compute"]
    ours = (float(ratio.min()), float(ratio.median()), float(ratio.max()))
    v, r = judge(ours, float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    r = r.replace("our 95% interval", "the measured range")  # min to max over networks, not a 95% interval
    out.append({"claim_id": "verify_equivalent_compute", "verdict": v,
                "judged_against": f"verify compute / inference time {ours[1]:.3g} ({ours[0]:.3g} to {ours[2]:.3g})",
                "reason": f"{r}: an ezkl proof is checked without re-running the network, but checking it took "
                          f"longer than running it for all {len(per)} networks measured (same CPU)"})
    c = claims.loc["proof_gen_time"]
    p = per["prove"]
    ours = (float(p.min()), float(p.median()), float(p.max()))
    v, r = judge(ours, float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    r = r.replace("our 95% interval", "the measured range")
    small = per.loc[p.idxmin()]
    out.append({"claim_id": "proof_gen_time", "verdict": v,
                "judged_against": f"prove time (s) {ours[1]:.3g} ({ours[0]:.3g} to {ours[2]:.3g}) over {len(per)} networks",
                "reason": f"{r}: the smallest circuits here (2^{int(small['logrows'])} rows) prove in about "
                          f"{small['prove']:.2g} s on 2 vCPUs; larger networks take up to {ours[2]:.3g} s"})
    return out


def training_verdict(overrides=None) -> dict:
    """Verdict on ``validator_vs_training``: a year of one node of :data:`VALIDATOR_GPUS` H100s re-running
    Llama-3-70B queries, in GPU-hours, over the GPU-hours of its pretraining (ratio; the point at the
    geometric mean of the GPU counts, the ends at the training figure's high and low ends)."""
    from chasm.economics.assumptions import load_assumptions
    from chasm.economics.judge import judge

    row = load_assumptions(overrides).loc["llama3_70b_training_gpu_hours"]
    lo_g, hi_g = VALIDATOR_GPUS
    ours = (lo_g * HOURS_PER_YEAR / float(row["high"]), float(np.sqrt(lo_g * hi_g)) * HOURS_PER_YEAR / float(row["point"]),
            hi_g * HOURS_PER_YEAR / float(row["low"]))
    c = load_claims().set_index("claim_id").loc["validator_vs_training"]
    v, r = judge(ours, float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    return {"claim_id": "validator_vs_training", "verdict": v,
            "judged_against": f"validator GPU-hours per year / pretraining GPU-hours {ours[1]:.3g} ({ours[0]:.3g} to {ours[2]:.3g})",
            "reason": f"{r}: a node of {lo_g} to {hi_g} H100s serving the model all year uses that share of the "
                      f"{float(row['point']):.3g} H100-hours Meta reports for pretraining Llama 3 70B"}


def measured_claim_verdicts(overrides=None) -> list[dict]:
    """All verdicts of this module (see its docstring)."""
    return growth_verdicts() + verification_verdicts() + [training_verdict(overrides)]
