"""The rule every verdict is judged by, and the growth of proving work with model size it often needs.

:func:`judge` compares an interval the compendium computes with the range the article states
(``data/claims.csv``: ``claimed_low``, ``claimed_high``, ``bound``):

- ``interval`` claims: **supported** when our point lies in the stated range, **partly supported**
  when only our 95% interval overlaps it, **contradicted** when they are disjoint;
- ``open_above`` claims ("$5 - $50+"): **contradicted** when our whole interval lies below the
  stated floor, **partly supported** when it lies above ten times the stated top (right direction,
  understated by more than an order of magnitude), else **supported**; ``open_below`` mirrored.

:func:`ram_verdict` judges a stated prover memory; :func:`size_table` and :func:`size_exponent` give the
proving work per query of each Llama-3 model and its exponent in model size (from the frontier laws).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

__all__ = ["UNDERSTATED", "judge", "ram_verdict", "size_table", "size_exponent"]

#: How far above a stated open-ended range ("$50+") our interval must lie before the claim counts as
#: understated (partly supported) rather than supported.
UNDERSTATED = 10.0


def judge(ours: tuple[float, float, float], claimed_low: float, claimed_high: float, bound: str) -> tuple[str, str]:
    """Verdict and a one-line reason for our ``(low, point, high)`` against a stated range (see the module)."""
    lo, pt, hi = ours
    if bound == "open_above":
        if hi < claimed_low:
            return "contradicted", f"all of ours lies below the stated floor {claimed_low:g}"
        if lo > UNDERSTATED * claimed_high:
            return "partly_supported", (f"right direction, but ours is {pt / claimed_high:.3g} times the stated "
                                        f"{claimed_high:g}")
        return "supported", "ours lies in or near the stated open range"
    if bound == "open_below":
        if lo > claimed_high:
            return "contradicted", f"all of ours lies above the stated ceiling {claimed_high:g}"
        if hi < claimed_low / UNDERSTATED:
            return "partly_supported", f"right direction, but ours is {claimed_low / pt:.3g} times below it"
        return "supported", "ours lies in or near the stated open range"
    if claimed_low <= pt <= claimed_high:
        return "supported", "our point lies in the stated range"
    if lo <= claimed_high and hi >= claimed_low:
        return "partly_supported", "our 95% interval overlaps the stated range, our point does not"
    side = "above" if lo > claimed_high else "below"
    far = lo / claimed_high if side == "above" else claimed_low / hi  # from our nearest end
    return "contradicted", f"all of ours lies {side} the stated range, its nearest end {far:.3g} times {side} it"


def ram_verdict(peak_high_bytes: float, claimed_bytes: float) -> str:
    """A claimed prover memory against the 95% high bound of the cheapest chunk's peak memory:
    'supported' when the chunk needs more than half the claim (a server of that class is what it takes),
    'partly supported' from an eighth to a half (a large server, smaller than claimed), 'contradicted'
    below an eighth (an ordinary machine holds it)."""
    share = peak_high_bytes / claimed_bytes
    return "supported" if share > 0.5 else "partly supported" if share > 0.125 else "contradicted"


@functools.lru_cache(maxsize=2)
def size_table(budget_bytes: float | None = None) -> pd.DataFrame:
    """Per Llama-3 model, proven in its own cheapest chunks under ``budget_bytes`` (default: the article's
    prover memory): parameters, inference FLOPs per query, chosen ``K`` and prover core-seconds per query
    (both routes combined; point, 95% low and high)."""
    from chasm.costmodel.frontier import frontier_workload
    from chasm.costmodel.llama import list_architectures
    from chasm.laws import frontier

    laws = frontier.chunk_laws()
    budget = budget_bytes or next(iter(frontier.memory_budgets().values()))
    rows = []
    for arch in list_architectures():
        best = frontier.choose_chunk(arch, budget, laws)
        r, w = best["costs"], frontier_workload(arch)
        rows.append({"arch_id": arch, "params": float(w.params), "flops": float(w.flops_per_query), "K": best["K"],
                     "prove_core_s": float(r["prove_core_s"]), "prove_core_s_low": float(r["prove_core_s_low"]),
                     "prove_core_s_high": float(r["prove_core_s_high"]),
                     "peak_bytes": float(r["peak_bytes"]), "peak_bytes_high": float(r["peak_bytes_high"])})
    return pd.DataFrame(rows)


def size_exponent(table: pd.DataFrame, against: str = "params") -> dict[str, float | str]:
    """Exponent ``b`` of prover core-seconds per query ~ ``against^b`` between the smallest and the largest model
    of ``table``: ``point`` the slope between their points in log-log; ``low``/``high`` the slopes with both at
    their 95% low ends and both at their high ends (both are carried by the same fitted laws, so their errors
    move together; the rows bands, which do not, are about a thousandth), and ``reading``: superlinear when
    ``low`` > 1, sublinear when ``high`` < 1, else not resolved."""
    x = np.log(table[against].to_numpy())
    small, large = table.iloc[int(np.argmin(x))], table.iloc[int(np.argmax(x))]
    span = math.log(large[against] / small[against])
    slopes = [math.log(large[f"prove_core_s{e}"] / small[f"prove_core_s{e}"]) / span for e in ("_low", "", "_high")]
    point, low, high = slopes[1], min(slopes), max(slopes)
    reading = "superlinear" if low > 1 else "sublinear" if high < 1 else "not resolved"
    return {"point": point, "low": low, "high": high, "reading": reading}
