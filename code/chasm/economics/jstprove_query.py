"""A frontier query proven by JSTprove, the second proof family: an estimate for the dense layers alone,
from its marginal cost per multiply-accumulate, where its runs identify one.

JSTprove 2.12.1 cannot prove a Llama model at all: it has no ``MatMul`` between activations, no
``Softmax`` and no normalisation (:data:`chasm.experiments.jstprove_gateway.SUPPORTED_ONNX_OPS`). What can
be priced is the part it can prove, the weight matrices: the query's multiply-accumulates
(:func:`chasm.costmodel.frontier.frontier_workload`, ``macs_per_query``) at JSTprove's *marginal*
prove time per multiply-accumulate, measured on the MLPs of the ``families`` sweep (one thread, so
seconds are vCPU-seconds). The marginal rate is the slope ``c1`` of the affine law ``c0 + c1 M`` of
prove time against multiply-accumulates ``M`` (:mod:`chasm.laws.provers`): a GKR prover's work is
linear in the circuit it proves, so the fixed cost ``c0`` that dominates small models is paid once per
proof and the slope is what scales. The result is not a bound: attention, softmax and normalisation
are left out (they would add cost), while a prover proving the prompt's tokens in one batched matrix
product pays for the matrices' sizes rather than for every multiply-accumulate (it could cost less);
its interval is the 95% confidence interval of the slope only; the verifier's time per multiply-accumulate and memory
per multiply-accumulate come the same way, the memory setting how many chunk proofs the query needs
under a memory budget.
"""

from __future__ import annotations

import math

from chasm.laws.estimation import param_intervals

__all__ = ["FAMILY", "marginal_rates", "prove_distribution"]

#: The model family whose runs give the marginal rates (dense layers: what a transformer mostly is).
FAMILY = "mlp"


def marginal_rates(frame=None, hardware_tag: str | None = None) -> dict:
    """JSTprove's marginal costs per multiply-accumulate on :data:`FAMILY`: for ``prove_s``, ``verify_s``
    (seconds per MAC) and ``peak_rss_bytes`` (bytes per MAC), the affine law's slope ``c1`` and
    intercept ``c0`` as ``{point, low, high}`` (95% confidence intervals, the intercept's units are the
    quantity's), with ``hardware_tag``, ``macs_range`` (smallest and largest measured model) and
    ``runs``. A slope whose interval reaches 0 keeps 0 as its low end (then the query's low bound is 0:
    the data cannot exclude a free marginal cost)."""
    from chasm.laws import provers
    from chasm.laws.candidates import candidate
    from chasm.laws.estimation import fit_law
    from chasm.laws.selection import config_means

    runs = provers.family_runs(frame, hardware_tag)
    out = {"hardware_tag": str(runs["hardware_tag"].iloc[0])}
    for quantity in ("prove_s", "verify_s", "peak_rss_bytes"):
        obs = provers.observations(runs, "jstprove", FAMILY, quantity, size="macs")
        fit = fit_law(config_means(obs), candidate("affine"))
        table = param_intervals(fit).set_index("name")
        out[quantity] = {name: {"point": float(table.loc[name, "point"]), "low": float(table.loc[name, "low"]),
                                "high": float(table.loc[name, "high"])} for name in ("c0", "c1")}
        out["macs_range"] = (float(obs["x"].min()), float(obs["x"].max()))
        out["runs"] = int(len(obs))
    return out


def prove_distribution(arch_id: str, memory_budget_bytes: float | None = None, frame=None) -> dict:
    """What :func:`chasm.economics.scenarios.prove_distribution` gives for ezkl, for JSTprove's estimate of
    the dense layers:
    ``core_s`` and ``verify_core_s`` as ``(low, point, high)`` vCPU-seconds (the query's MACs times the
    marginal rates), ``chunks`` (the query's MACs over the MACs one proof can hold in the memory budget,
    at least 1), ``peak_bytes_high`` (the budget), ``macs`` (the query's), ``K`` (None: no rows),
    ``threads`` (1), ``hardware_tag``, ``rates`` (:func:`marginal_rates`) and ``thread_scaling``
    (``None``: JSTprove's thread scaling was not measured, so only the ``measured`` scenario applies)."""
    from chasm.costmodel.frontier import frontier_workload
    from chasm.laws import frontier

    budget = memory_budget_bytes if memory_budget_bytes is not None else next(iter(frontier.memory_budgets().values()))
    rates = marginal_rates(frame)
    if not (rates["prove_s"]["c1"]["low"] > 0 and rates["verify_s"]["c1"]["low"] > 0):
        raise ValueError("JSTprove's marginal prove or verify time per multiply-accumulate has a 95% interval "
                         "reaching 0 on the measured MLPs: its cost does not grow measurably with model size there, "
                         "so the runs give no marginal cost to price a frontier query with")
    macs = float(frontier_workload(arch_id).macs_per_query)
    mem = rates["peak_rss_bytes"]
    room = budget - max(mem["c0"]["high"], 0.0)
    per_chunk = room / mem["c1"]["high"] if mem["c1"]["high"] > 0 and room > 0 else math.nan
    chunks = max(1.0, math.ceil(macs / per_chunk)) if per_chunk == per_chunk else math.nan

    def scaled(q: str) -> tuple[float, float, float]:
        c1 = rates[q]["c1"]
        return (macs * c1["low"], macs * c1["point"], macs * c1["high"])

    core_s, verify = scaled("prove_s"), scaled("verify_s")
    return {"K": None, "budget_bytes": float(budget), "chunks": float(chunks), "core_s": core_s,
            "fitted_core_s": core_s, "verify_core_s": verify, "peak_bytes_high": float(budget), "macs": macs,
            "threads": 1, "hardware_tag": rates["hardware_tag"], "rates": rates, "thread_scaling": None}
