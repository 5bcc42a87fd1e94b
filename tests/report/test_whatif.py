"""chasm.report.whatif: the what-if page's formulas are the pricing's, evaluated here the way Vega would."""

from __future__ import annotations

import math
import re

import pytest

from chasm.economics import pricing
from chasm.economics.assumptions import load_assumptions
from chasm.report import whatif


def _vega_eval(expr: str, datum: dict, params: dict) -> float:
    """Evaluate one of the page's Vega expressions in Python: the subset the page uses (arithmetic,
    comparisons, ?:, max, floor, datum.*, parameters), translated to Python syntax."""
    text = expr
    # a ? b : c  ->  (b if a else c), innermost-last: the page's chains are right-nested
    def ternary(s: str) -> str:
        depth, q = 0, None
        for i, ch in enumerate(s):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "?" and depth == 0:
                q = i
                break
        if q is None:
            return s
        depth = 0
        for j in range(q + 1, len(s)):
            ch = s[j]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == ":" and depth == 0:
                return f"(({ternary(s[q + 1:j])}) if ({s[:q]}) else ({ternary(s[j + 1:])}))"
        raise ValueError(s)
    text = ternary(text).replace("&&", " and ").replace("NaN", "float('nan')")
    text = re.sub(r"datum\.(\w+)", r"datum['\1']", text)
    return eval(text, {"max": max, "floor": math.floor, "float": float}, {"datum": datum, **params})  # noqa: S307


@pytest.fixture(scope="module")
def frame():
    return whatif.whatif_frame()


def _page_values(row: dict, params: dict) -> dict:
    datum = dict(row)
    for key, expr in whatif.expressions().items():
        datum[key] = _vega_eval(expr, datum, params)
    return datum


def _defaults() -> dict:
    return {"query_scale": 1.0, **whatif.slider_defaults()}


@pytest.mark.parametrize("scenario", ["measured", "cpu-server", "gpu"])
def test_the_page_computes_what_python_prices_at_the_points(frame, scenario):
    row = frame[(frame["arch"] == "llama3-70b") & (frame["scenario"] == scenario)].iloc[0].to_dict()
    page = _page_values(row, _defaults())
    py = pricing.price("llama3-70b", scenario, draws=2)
    for key, _, _ in whatif.OUTPUTS:
        assert page[key] == pytest.approx(py[key]["central"], rel=1e-9), key


def test_moving_a_slider_moves_the_page_as_python_moves(frame):
    row = frame[(frame["arch"] == "llama3-405b") & (frame["scenario"] == "gpu")].iloc[0].to_dict()
    params = {**_defaults(), "gpu_rent_h100_sxm": 2.5, "gpu_prover_vcpu_equivalents": 500.0, "query_scale": 2.0}
    page = _page_values(row, params)
    py = pricing.price("llama3-405b", "gpu", draws=2, query_scale=2.0,
                       overrides={"gpu_rent_h100_sxm": 2.5, "gpu_prover_vcpu_equivalents": 500.0})
    for key in ("prove_usd", "infer_usd", "ratio_usd", "prove_latency_s", "infer_latency_s"):
        assert page[key] == pytest.approx(py[key]["central"], rel=1e-9), key


def test_every_slider_is_an_assumption_with_its_point_inside_the_slider():
    a = load_assumptions()
    for name, label, lo, hi, step in whatif.SLIDERS:
        assert name in a.index and label and step > 0
        assert lo <= a.loc[name, "low"] and a.loc[name, "high"] <= hi, name


def test_the_chart_binds_every_slider_and_has_a_title(frame):
    spec = whatif.whatif_chart().to_dict()
    names = {p["name"] for p in spec["params"]}
    assert {"arch", "scenario", "query_scale"} | {s[0] for s in whatif.SLIDERS} <= names
    assert spec["title"] and spec["description"]
    assert len(frame) == 9  # three models x three scenarios
