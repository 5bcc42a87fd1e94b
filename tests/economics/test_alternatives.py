"""chasm.economics.alternatives: the sympy costs, break-even values and chasm thresholds against hand
formulas and numeric roots, and the routes priced from the pricing's draws."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

from chasm.economics import alternatives as A

DRAWS = 400
VALUES = {"I": 0.001, "P": 100.0, "V": 0.0005, "o": 0.07}


def _sym(name):
    return next(s for e in A.expressions().values() for s in e.free_symbols if s.name == name)


def test_costs_match_the_hand_formulas():
    c = A.evaluate(VALUES, {"k": 3, "w": 1, "delta": 0.01, "sigma": 0.05})
    I, P, V = VALUES["I"], VALUES["P"], VALUES["V"]
    assert float(c["zk proof"]) == pytest.approx(P + 3 * V)
    assert float(c["re-execution"]) == pytest.approx(3 * I)
    assert float(c["optimistic"]) == pytest.approx(I + 2 * 0.01 * I)
    assert float(c["spot checks"]) == pytest.approx(0.05 * I)
    assert float(c["trusted hardware"]) == pytest.approx(0.07 * I)


@pytest.mark.parametrize("name", [n for n in A.ALTERNATIVES if n != "zk proof"])
def test_break_even_makes_the_route_cost_what_the_zk_route_costs(name):
    e, b = A.expressions(), A.break_even()
    param = _sym(A.ALTERNATIVES[name].parameter)
    assert sp.simplify((e[name] - e["zk proof"]).subs(param, b[name])) == 0


@pytest.mark.parametrize("name", [n for n in A.ALTERNATIVES if n != "zk proof"])
def test_chasm_threshold_is_the_ratio_at_which_the_routes_tie(name):
    e, t = A.expressions(), A.chasm_threshold()
    I, P = _sym("I"), _sym("P")
    assert sp.simplify(e[name] - e["zk proof"].subs(P, t[name] * I)) == 0


def test_break_even_validators_against_a_numeric_root():
    """With a succinct proof (V < I) the zk route beats re-execution above k* = P / (I - V) validators."""
    vals = {"I": 1.0, "P": 40.0, "V": 0.2, "o": 0.1}
    k_star = float(A.break_even()["re-execution"].subs({_sym(k): v for k, v in vals.items() if k in "IPV"}))

    def gap(k):
        c = A.evaluate(vals, {"k": k})
        return float(c["re-execution"] - c["zk proof"])

    assert k_star == pytest.approx(brentq(gap, 1e-6, 1e6), rel=1e-9) == pytest.approx(50.0)


def test_limiting_cases():
    # a proof that is free to make and to check is the cheapest route
    free = A.evaluate({"I": 1.0, "P": 0.0, "V": 0.0, "o": 0.05})
    assert all(float(free["zk proof"]) <= float(c) for c in free.values())
    # when checking the proof costs more than running the query, no validator count ties the routes
    assert float(A.break_even()["re-execution"].subs({_sym("I"): 1.0, _sym("P"): 5.0, _sym("V"): 2.0})) < 0


def test_priced_routes_from_the_pricing_draws():
    d = A.alternatives_draws(scenario="gpu", draws=DRAWS)
    assert set(d) == set(A.ALTERNATIVES)
    assert np.allclose(d["re-execution"]["over_inference"], A.DEFAULTS["k"])
    # ezkl's chain of chunk proofs costs more to check than the query costs to run
    assert (d["zk proof"]["verify_over_inference"] > 1).all()
    assert np.isnan(d["re-execution"]["break_even"]).all()
    f = A.alternatives_frame(scenario_names=("gpu",), draws=DRAWS)
    others = f[f["route"] != "zk proof"]
    assert (others["beats_zk"] == 1.0).all() and (others["break_even_low"].dropna() > 1).all()
    assert (f["cost_low"] <= f["cost"]).all() and (f["cost"] <= f["cost_high"]).all()
    assert f["trust"].str.len().gt(20).all()
