"""The what-if page: the pricing of :mod:`chasm.economics.pricing` as a Vega-Lite chart whose inputs are
sliders, so a reader re-prices the chasm in the browser, offline (``chapters/whatif.md``).

The build writes one row per model and hardware scenario (:func:`whatif_frame`): the proving work of
the query at its point (measured vCPU-seconds), chunks, the chunk's peak memory, and the inference facts (GPUs, tokens, FLOPs and weight-byte ratios to 70B).
:func:`whatif_chart` binds the main assumptions to sliders (:data:`SLIDERS`, starting where
:func:`slider_defaults` says) and computes, with Vega expressions, what
:func:`chasm.economics.pricing.evaluate` computes at the same values: every input at one value, no
Monte Carlo (the ``central`` of ``python -m chasm price --json``). ``query scale`` multiplies the
query's prompt and reply alike; the proving work is taken as proportional to it (an approximation,
stated on the page: attention's share grows faster than linearly). The page's numbers and Python's
must agree; a browser test sets a slider and compares them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from chasm.economics import pricing, scenarios
from chasm.economics.assumptions import load_assumptions
from chasm.report import charts

__all__ = ["SLIDERS", "OUTPUTS", "whatif_frame", "slider_defaults", "expressions", "whatif_chart", "whatif_facts"]

#: (assumption id, slider label, minimum, maximum, step): the inputs a reader moves.
SLIDERS = (
    ("cpu_rent_vcpu_hour", "CPU rent, USD per vCPU-hour", 0.005, 0.2, 0.001),
    ("gpu_rent_a100_80gb", "GPU prover rent, USD per A100-hour", 0.5, 8.0, 0.01),
    ("gpu_rent_h100_sxm", "inference rent, USD per H100-hour", 0.5, 15.0, 0.01),
    ("electricity_price", "electricity, USD per kWh", 0.01, 0.5, 0.001),
    ("gpu_prover_vcpu_equivalents", "GPU prover speed-up, vCPUs per GPU", 5.0, 2000.0, 1.0),
    ("prover_serial_share", "prover serial share (parallel efficiency)", 0.0, 0.2, 0.0001),
)
#: (output key, label, unit): what the page shows, in order; keys as in :data:`chasm.economics.pricing.UNITS`.
OUTPUTS = (
    ("prove_usd", "proving, USD per query", "USD"),
    ("infer_usd", "inference, USD per query", "USD"),
    ("ratio_usd", "proving / inference, dollars", "x"),
    ("prove_kwh", "proving, kWh per query", "kWh"),
    ("infer_kwh", "inference, kWh per query", "kWh"),
    ("ratio_kwh", "proving / inference, energy", "x"),
    ("prove_power_usd", "electricity of proving, USD per query", "USD"),
    ("prove_latency_s", "proving on one machine, seconds", "s"),
    ("infer_latency_s", "inference at batch 1, seconds", "s"),
)


def whatif_frame() -> pd.DataFrame:
    """One row per model (``arch``) and scenario: the inputs of the page's formulas (see the module)."""
    rows = []
    for arch in pricing.INFER_GPUS:
        facts = pricing.arch_facts(arch)
        for sc in scenarios.SCENARIOS:
            dist = scenarios.prove_distribution(arch)
            rows.append({"arch": arch, "scenario": sc, "core_s": dist["core_s"][1], "chunks": dist["chunks"],
                         "peak_bytes": dist["peak_bytes_high"], "gpus": facts["gpus"],
                         "ref_gpus": facts["ref_gpus"], "prompt": facts["prompt_tokens"],
                         "generated": facts["generated_tokens"], "flops_ratio": facts["flops"] / facts["ref_flops"],
                         "bytes_ratio": (facts["params"] / facts["gpus"]) / (facts["ref_params"] / facts["ref_gpus"]),
                         "tput_id": pricing.INFER_THROUGHPUT[arch]})
    return pd.DataFrame(rows)


def slider_defaults() -> dict[str, float]:
    """Where each slider starts: the assumption's point, except the serial share, which starts at the
    point the pricing uses (:func:`chasm.economics.scenarios.serial_share_range`: the sourced range
    widened to cover the measured one). Moving a slider is ``--set NAME=VALUE``, which uses the value as
    it is."""
    a = load_assumptions()
    out = {name: float(a.loc[name, "point"]) for name, *_ in SLIDERS}
    dist = scenarios.prove_distribution(pricing.REFERENCE_ARCH)
    widened, _ = scenarios.serial_share_range(a, dist["thread_scaling"])
    out["prover_serial_share"] = float(widened.loc["prover_serial_share", "point"])
    return out


def expressions() -> dict[str, str]:
    """Vega expressions of every quantity, in terms of the row's fields (``datum.*``), the sliders'
    parameters (named as the assumptions) and constants read from the assumptions table at build time
    (those the page does not expose). The order matters: later ones use earlier ones. Conditionals
    (``a ? b : c``) only ever stand at the top of an expression."""
    a = load_assumptions()
    p = {n: float(a.loc[n, "point"]) for n in a.index}
    tputs = {arch: p[tid] for arch, tid in pricing.INFER_THROUGHPUT.items()}
    tput = " : ".join(f"datum.arch == '{k}' ? {v!r}" for k, v in tputs.items()) + " : NaN"
    gib = 2.0**30
    vcpus = float(scenarios.SERVER_VCPUS)
    smt = float(scenarios.SMT_THREADS_PER_CORE)
    return {
        "core": "datum.core_s * query_scale",
        "at_once": f"max(1, floor({p['cpu_server_ram_gib']!r} * {gib!r} / datum.peak_bytes))",
        "per_vcpu": (f"min(1, (1 + prover_serial_share) / (1 + prover_serial_share * ({vcpus!r} / datum.at_once - 1)))"),
        "rate": (f"datum.scenario == 'gpu' ? gpu_prover_vcpu_equivalents : datum.scenario == 'cpu-server' ? "
                 f"{vcpus!r} * datum.per_vcpu : 2"),
        "chunk_rate": (f"datum.scenario == 'gpu' ? gpu_prover_vcpu_equivalents : datum.scenario == 'cpu-server' ? "
                       f"{vcpus!r} / datum.at_once * datum.per_vcpu : 2"),
        "units": f"datum.scenario == 'gpu' ? 1 : datum.scenario == 'cpu-server' ? {vcpus!r} : 2",
        "machine_s": "datum.core / datum.rate",
        "unit_hours": "datum.machine_s * datum.units / 3600",
        "watts": (f"datum.scenario == 'gpu' ? {p['gpu_power_a100']!r} : {p['cpu_power_per_core']!r} / {smt!r}"),
        "prove_usd": ("datum.scenario == 'gpu' ? datum.unit_hours * gpu_rent_a100_80gb : "
                      "datum.unit_hours * cpu_rent_vcpu_hour"),
        "prove_kwh": f"datum.unit_hours * datum.watts * {p['pue']!r} / 1000",
        "prove_power_usd": "datum.prove_kwh * electricity_price",
        "prove_latency_s": "max(datum.machine_s, datum.core / (datum.chunks * query_scale) / datum.chunk_rate)",
        "tput": tput,
        "gpu_s": "datum.gpus * datum.generated * query_scale / datum.tput",
        "infer_usd": "datum.gpu_s / 3600 * gpu_rent_h100_sxm",
        "infer_kwh": f"datum.gpu_s * {p['gpu_power_h100']!r} * {p['pue']!r} / 3.6e6",
        "infer_latency_s": (f"datum.prompt * query_scale * {p['infer_llama3_70b_prefill_ms_per_token']!r} / 1000 * "
                            f"datum.flops_ratio * datum.ref_gpus / datum.gpus + datum.generated * query_scale * "
                            f"{p['infer_llama3_70b_itl_b1']!r} / 1000 * datum.bytes_ratio"),
        "ratio_usd": "datum.prove_usd / datum.infer_usd",
        "ratio_kwh": "datum.prove_kwh / datum.infer_kwh",
    }


def whatif_chart() -> alt.Chart:
    """The what-if chart: selects for model and scenario, sliders for :data:`SLIDERS` and the query
    scale, and one line of text per output of :data:`OUTPUTS` (4 significant digits)."""
    start = slider_defaults()
    facts = pricing.arch_facts(pricing.REFERENCE_ARCH)
    query = f"{facts['prompt_tokens']} + {facts['generated_tokens']}"
    params = [alt.param(name="arch", value="llama3-70b",
                        bind=alt.binding_select(options=list(pricing.INFER_GPUS), name="model ")),
              alt.param(name="scenario", value="measured",
                        bind=alt.binding_select(options=list(scenarios.SCENARIOS), name="proving hardware ")),
              alt.param(name="query_scale", value=1.0,
                        bind=alt.binding_range(min=0.125, max=8.0, step=0.125, name=f"query size (x {query} tokens) "))]
    for name, label, lo, hi, step in SLIDERS:
        params.append(alt.param(name=name, value=start[name],
                                bind=alt.binding_range(min=lo, max=hi, step=step, name=f"{label} ")))
    chart = alt.Chart(whatif_frame()).transform_filter("datum.arch == arch && datum.scenario == scenario")
    for key, expr in expressions().items():
        chart = chart.transform_calculate(**{key: expr})
    labels = {k: (label, unit) for k, label, unit in OUTPUTS}
    chart = chart.transform_fold([k for k, _, _ in OUTPUTS], as_=["output", "value"]).transform_calculate(
        label=" : ".join(f"datum.output == '{k}' ? '{v[0]}'" for k, v in labels.items()) + " : ''",
        unit=" : ".join(f"datum.output == '{k}' ? '{v[1]}'" for k, v in labels.items()) + " : ''",
        order=" : ".join(f"datum.output == '{k}' ? {i}" for i, (k, _, _) in enumerate(OUTPUTS)) + " : 99",
        shown="datum.label + ': ' + format(datum.value, '.4~g') + ' ' + datum.unit")
    return chart.mark_text(align="left", baseline="middle", fontSize=14).encode(
        x=alt.value(0), y=alt.Y("order:O", axis=None), text="shown:N",
        tooltip=[alt.Tooltip("output:N"), alt.Tooltip("value:Q", format=".6g")],
    ).add_params(*params).properties(
        width=charts.WIDTH - 160, height=24 * len(OUTPUTS), title="One query, re-priced with your assumptions",
        description="Text lines giving proving and inference cost, energy and latency of one query, recomputed "
                    "from the sliders above them.")


def whatif_facts() -> dict[str, str]:
    """Glued phrases: the slider defaults' sources (assumption ids) and the Python command the page agrees with."""
    return {"n_sliders": str(len(SLIDERS) + 3), "server_vcpus": str(scenarios.SERVER_VCPUS),
            "default_ratio": f"{pricing.price('llama3-70b', 'measured', draws=2)['ratio_usd']['central']:.4g}"}
