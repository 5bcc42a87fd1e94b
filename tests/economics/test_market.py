"""chasm.economics.market: the closed forms against numeric solutions, the limiting cases (no fixed cost:
no concentration; unbounded fixed cost: one prover), the unit of capacity, the cancellation of cost in the
number of provers, the verdicts and the command line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

from chasm.economics import market as M

DRAWS = 400


def _profit(q, F, F0, p, e, k):
    return p * q - (F0 + F * max(1.0, q / k) + e * q)


def _numeric_mes(F, F0, p, e, k):
    """The smallest q >= 0 with non-negative profit, by scanning a fine log grid for the first sign change
    and refining it with Brent's method."""
    if _profit(1e-12, F, F0, p, e, k) >= 0:
        return 0.0
    grid = np.geomspace(1e-9, 1e12, 20_001)
    ok = np.array([_profit(q, F, F0, p, e, k) >= 0 for q in grid])
    if not ok.any():
        return math.inf
    i = int(np.argmax(ok))
    return brentq(lambda q: _profit(q, F, F0, p, e, k), grid[i - 1], grid[i], xtol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("F, F0, p, e, k", [
    (100.0, 0.0, 5.0, 0.0, 40.0),      # one unit, partly used: q* = F / p
    (100.0, 50.0, 5.0, 1.0, 100.0),    # one unit with a fixed cost per prover and a marginal cost
    (100.0, 500.0, 5.0, 0.0, 40.0),    # more units: q* = F0 / (p - F/k)
    (100.0, 500.0, 2.0, 0.0, 40.0),    # price below average cost: no scale breaks even
    (1e6, 3e5, 2e5, 10.0, 7.5),        # the chapter's order of magnitude
])
def test_minimum_efficient_scale_closed_form_matches_the_numeric_root(F, F0, p, e, k):
    closed = float(M.mes(F, F0, p, e, k))
    numeric = _numeric_mes(F, F0, p, e, k)
    if math.isinf(numeric):
        assert math.isinf(closed)
    else:
        assert closed == pytest.approx(numeric, rel=1e-7)


def test_sympy_derives_both_branches():
    x = M.mes_expressions()
    q, F, F0, p, e, k, N = x["symbols"]
    assert sp.simplify(x["one_unit"] - (F + F0) / (p - e)) == 0
    assert sp.simplify(x["more_units"] - F0 * k / (k * (p - e) - F)) == 0
    assert sp.simplify(x["hhi"] - 10000 / N) == 0
    vals = {F: 100.0, F0: 500.0, p: 5.0, e: 0.0, k: 40.0}
    assert float(x["more_units"].subs(vals)) == pytest.approx(float(M.mes(100.0, 500.0, 5.0, 0.0, 40.0)))


def test_provers_sustained_is_the_largest_count_that_each_reaches_the_scale():
    rng = np.random.default_rng(1)
    for D, scale in zip(rng.uniform(0.5, 5000, 200), rng.uniform(0.1, 300, 200)):
        brute = max([n for n in range(1, 100_000) if D / n >= scale] or [1])
        assert float(M.provers_sustained(D, scale)) == brute


@pytest.mark.parametrize("n", [1, 2, 3, 6, 10, 57])
def test_equal_shares_closed_forms_match_the_definitions(n):
    shares = np.full(n, 1.0 / n)
    assert M.hhi(shares) == pytest.approx(float(M.hhi_equal(n)))
    assert M.nakamoto(shares) == float(M.nakamoto_equal(n))


def test_unequal_shares_are_more_concentrated_than_equal_ones():
    shares = [0.4, 0.3, 0.2, 0.1]
    assert M.hhi(shares) == pytest.approx(3000.0) and M.hhi(shares) > float(M.hhi_equal(4))
    assert M.nakamoto(shares) == 2 <= float(M.nakamoto_equal(4))
    assert M.hhi([1.0]) == 10000 and M.nakamoto([1.0]) == 1


def test_zero_fixed_cost_gives_no_concentration():
    """As the unit's cost and every other fixed cost vanish, the scale goes to zero and the provers grow
    without bound: the HHI goes to zero and the Nakamoto coefficient without bound."""
    ns = [float(M.provers_sustained(100.0, M.mes(F, 0.0, 5.0, 0.0, 40.0))) for F in (10.0, 1.0, 0.1, 1e-3)]
    assert ns == sorted(ns) and ns[-1] >= 1000 * ns[0]
    n0 = M.provers_sustained(100.0, M.mes(0.0, 0.0, 5.0, 0.0, 40.0))
    assert math.isinf(float(n0)) and float(M.hhi_equal(n0)) == 0.0 and math.isinf(float(M.nakamoto_equal(n0)))


@pytest.mark.parametrize("F0", [1e9, 1e30, math.inf])
def test_unbounded_fixed_cost_gives_one_prover(F0):
    n = M.provers_sustained(1e6, M.mes(100.0, F0, 5.0, 0.0, 40.0))
    assert float(n) == 1.0 and float(M.hhi_equal(n)) == 10000.0 and float(M.nakamoto_equal(n)) == 1.0


def test_unit_of_capacity_by_hand():
    u = M.unit_of_capacity(machine_s=1e6, chunk_s=100.0, latency_s=1000.0, utilisation=0.5, usd_per_machine_s=1e-3)
    assert float(u["machines"]) == 1000 and float(u["latency_s"]) == 1000
    assert float(u["capacity"]) == pytest.approx(86400 * 0.5 / 1000)
    assert float(u["fixed_usd_day"]) == pytest.approx(1000 * 1e-3 * 86400)
    assert float(u["cost_usd"]) == pytest.approx(1e-3 * 1e6 / 0.5)  # rent x machine-seconds / utilisation
    slow = M.unit_of_capacity(1e6, 100.0, 10.0, 0.5, 1e-3)  # a target shorter than one chunk proof
    assert float(slow["latency_s"]) == 100 and float(slow["machines"]) == pytest.approx(1e4)
    tiny = M.unit_of_capacity(50.0, 10.0, 1000.0, 1.0, 1e-3)  # one machine suffices
    assert float(tiny["machines"]) == 1 and float(tiny["capacity"]) == pytest.approx(86400 / 50)


def test_market_draws_grow_with_demand_and_meet_the_definitions():
    lo = M.market_draws(demand=1.0, draws=DRAWS)
    hi = M.market_draws(demand=1e4, draws=DRAWS)
    assert (lo["provers"] == 1).all() and (hi["provers"] >= lo["provers"]).all() and np.median(hi["provers"]) > 10
    assert np.allclose(hi["hhi"], 10000 / hi["provers"])
    assert np.allclose(hi["price"], (1 + hi["markup"]) * hi["cost_usd"]) and (hi["markup"] >= 0).all()
    # no fixed cost beyond the unit: the scale is the unit's capacity over one plus the markup
    assert np.allclose(hi["mes"], hi["capacity"] / (1 + hi["markup"]))


def test_the_rent_cancels_out_of_the_number_of_provers():
    """The unit's rent and the price scale together, so the provers sustained do not depend on the rent."""
    cheap = M.market_draws(demand=1e3, draws=DRAWS, overrides={"cpu_rent_vcpu_hour": 0.01})
    dear = M.market_draws(demand=1e3, draws=DRAWS, overrides={"cpu_rent_vcpu_hour": 1.0})
    assert np.median(dear["fixed_usd_day"]) > 50 * np.median(cheap["fixed_usd_day"])
    assert np.array_equal(cheap["provers"], dear["provers"])


def test_market_frame_has_ordered_intervals():
    f = M.market_frame(scenario_names=("gpu",), latencies=(600.0,), demands=(1.0, 100.0), draws=DRAWS)
    assert len(f) == 2
    for key in ("provers", "hhi", "mes", "fixed_usd_day"):
        assert (f[f"{key}_low"] <= f[key]).all() and (f[key] <= f[f"{key}_high"]).all()


def test_rack_verdict_follows_the_prices():
    assert M.rack_verdict()["verdict"] == "supported"
    cheap = {"market_dgx_h100_price": 1000.0, "market_gb200_nvl72_rack_price": 1000.0}
    assert M.rack_verdict(cheap)["verdict"] == "contradicted"


def test_entities_verdict_names_the_demand_it_turns_on():
    v = M.entities_verdict(draws=DRAWS)
    assert v["verdict"] == "not_resolved" and "proofs a day" in v["reason"] and "no demand" in v["reason"]


def test_command_line_json_and_errors(capsys):
    assert M.main(["--json", "--draws", str(DRAWS), "--scenario", "gpu", "--latency", "600", "--demand", "10"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["grid"]) == 1 and {v["claim_id"] for v in out["verdicts"]} == {"gpu_rack_cost", "viable_entities"}
    assert {r["route"] for r in out["alternatives"]} >= {"zk proof", "re-execution", "trusted hardware"}
    assert M.main(["--set", "no_such_row=1", "--draws", str(DRAWS)]) == 2
    assert "no_such_row" in capsys.readouterr().err
