"""chasm.economics.verdicts: every claim's verdict, and a verdict that flips when an assumption changes
(the judging rule itself is tested in test_judge.py)."""

from __future__ import annotations

import pandas as pd

from chasm.economics import verdicts


def test_an_assumption_flips_a_verdict():
    """The article's '$0.001 - $0.01 (Cloud API)': our API price per query, then the same at 100 times the
    API prices."""
    def inference_verdict(overrides):
        rows = pd.DataFrame(verdicts.price_verdicts(overrides, draws=2_000)).set_index("claim_id")
        return rows.loc["cost_query_inference", "verdict"]

    base = inference_verdict(None)
    from chasm.economics.assumptions import load_assumptions

    a = load_assumptions()
    dear = {name: float(a.loc[name, "point"]) * 100 for name in ("api_llama3_70b_input", "api_llama3_70b_output")}
    flipped = inference_verdict(dear)
    assert base in ("supported", "partly_supported") and flipped == "contradicted"


def test_every_computed_verdict_is_an_allowed_value_for_an_existing_claim():
    from chasm.core import data, paths
    from chasm.core.claims import load_claims

    schema = data.read_schema(data.schema_path(paths.data_dir() / "claims.csv"))
    allowed = next(c for c in schema.columns if c.name == "verdict").allowed
    computed = verdicts.claim_verdicts(draws=2_000)
    assert set(computed["verdict"]) <= set(allowed)
    assert set(computed["claim_id"]) <= set(load_claims()["claim_id"])
    judged = computed[computed["verdict"] != "not_testable"]
    assert judged["judged_against"].str.len().gt(0).all() and computed["reason"].str.len().gt(0).all()
    # opinions are never judged
    opinions = set(load_claims().query("testable == 'opinion_only'")["claim_id"])
    assert set(computed[computed["claim_id"].isin(opinions)]["verdict"]) == {"not_testable"}
