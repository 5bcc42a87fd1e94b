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


# --- known answers for each source of verdicts, with its slow inputs replaced by stated stand-ins -------------

import json  # noqa: E402
import types  # noqa: E402

import pytest  # noqa: E402

from chasm.core.claims import load_claims  # noqa: E402

GIB = 2.0**30


def _size_table(small_high: float, large: tuple[float, float, float]) -> pd.DataFrame:
    """Two models ten times apart in parameters: the small one proves in (1, 1, small_high) core-seconds,
    the large one in ``large`` (low, point, high); the large one's chunk peaks at 32 GiB (64 GiB at 95%)."""
    return pd.DataFrame([
        {"arch_id": "llama3-8b", "params": 1e9, "flops": 2e12, "K": 15, "prove_core_s": 1.0, "prove_core_s_low": 1.0,
         "prove_core_s_high": small_high, "peak_bytes": 8 * GIB, "peak_bytes_high": 16 * GIB},
        {"arch_id": "llama3-70b", "params": 1e10, "flops": 2e13, "K": 16, "prove_core_s": large[1],
         "prove_core_s_low": large[0], "prove_core_s_high": large[2], "peak_bytes": 32 * GIB,
         "peak_bytes_high": 64 * GIB},
    ])


def test_frontier_verdicts_by_known_answers(monkeypatch):
    """The claimed 256 GiB against a chunk peaking at 64 GiB at its high bound (a quarter: between an eighth
    and a half, partly supported), and growth with size from slopes of 1.5, 0.5 and 0.5 to 1.5 in log-log."""
    assert float(load_claims().set_index("claim_id").loc["ram_proving", "claimed_low"]) == 256
    monkeypatch.setattr(verdicts, "size_table", lambda: _size_table(1.0, (10**1.5, 10**1.5, 10**1.5)))
    ram, size = verdicts.frontier_verdicts()
    assert ram == {"claim_id": "ram_proving", "verdict": "partly_supported",
                   "judged_against": "peak memory per chunk 32 GiB (<= 64 GiB)",
                   "reason": "the cheapest chain of llama3-70b (chunks of 2^16 rows) needs 1/4 of the claimed "
                             "memory at its 95% high bound"}
    assert size["claim_id"] == "proof_cost_superlinear" and size["verdict"] == "supported"
    assert size["judged_against"] == "exponent in parameters 1.5 (1.5 to 1.5)"
    assert size["reason"] == ("prover core-seconds per query across llama3-8b (2^15), llama3-70b (2^16): "
                              "superlinear")
    # the other model's chunk, and the other two readings of the exponent
    assert verdicts.frontier_verdicts("llama3-8b")[0]["reason"].startswith(
        "the cheapest chain of llama3-8b (chunks of 2^15 rows) needs 1/16 of")
    assert verdicts.frontier_verdicts("llama3-8b")[0]["verdict"] == "contradicted"  # a sixteenth: below an eighth
    monkeypatch.setattr(verdicts, "size_table", lambda: _size_table(1.0, (10**0.5, 10**0.5, 10**0.5)))
    assert verdicts.frontier_verdicts()[1]["verdict"] == "contradicted"
    monkeypatch.setattr(verdicts, "size_table", lambda: _size_table(1.0, (10**0.5, 10.0, 10**1.5)))
    low_high = verdicts.frontier_verdicts()[1]
    assert low_high["verdict"] == "not_resolved" and low_high["reason"].endswith(": not resolved")
    assert low_high["judged_against"] == "exponent in parameters 1 (0.5 to 1.5)"


class _Spy:
    """The real judging rule, recording what it was asked."""

    def __init__(self):
        from chasm.economics.judge import judge

        self.judge, self.calls = judge, []

    def __call__(self, ours, low, high, bound):
        self.calls.append((tuple(ours), low, high, bound))
        return self.judge(ours, low, high, bound)


@pytest.fixture()
def spy(monkeypatch):
    s = _Spy()
    monkeypatch.setattr(verdicts, "judge", s)
    return s


def test_measured_verdicts_price_the_largest_mlp_and_scale_flops_per_parameter(monkeypatch, spy):
    """The largest MLP with a prove time (1,000 parameters; a larger MLP without one and a larger CNN are not
    it): median of prove_s x threads = 7200 vCPU-s = 2 vCPU-hours, at the overridden rent 1, 2, 4 USD/vCPU-h:
    2, 4, 8 USD; FLOPs per parameter 2, 3 and 4 (median 3) times 1e11."""
    from chasm.core import runs as runs_module
    from chasm.costmodel import frontier, llama

    runs = pd.DataFrame({
        "family": ["mlp", "mlp", "mlp", "mlp", "mlp", "cnn"],
        "params": [1000, 1000, 1000, 10, 10**7, 10**6],
        "prove_s": [1800.0, 3600.0, 5400.0, 100.0, float("nan"), 1e6],
        "prove_threads": [2, 2, 2, 1, 2, 1],
    })
    monkeypatch.setattr(runs_module, "load_runs", lambda: runs)
    per_param = {"m1": 2.0, "m2": 4.0, "m3": 3.0}
    monkeypatch.setattr(llama, "list_architectures", lambda: list(per_param))
    monkeypatch.setattr(frontier, "frontier_workload",
                        lambda arch: types.SimpleNamespace(flops_per_token=per_param[arch] * 1e9, params=1e9))
    cost, ops = verdicts.measured_verdicts({"cpu_rent_vcpu_hour": (1.0, 2.0, 4.0)})
    claims = load_claims().set_index("claim_id")
    (got_cost, *stated_cost), (got_ops, *stated_ops) = spy.calls
    assert got_cost == pytest.approx((2.0, 4.0, 8.0), rel=1e-12)
    assert got_ops == (2e11, 3e11, 4e11)  # exactly: 1e11 times 2, 3 and 4
    for stated, claim in ((stated_cost, "proof_cost_modest_net"), (stated_ops, "ops_100b_inference")):
        c = claims.loc[claim]
        assert stated == [float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"])]
    assert cost["claim_id"] == "proof_cost_modest_net" and cost["verdict"] == "supported"  # open above $1
    assert cost["judged_against"] == "USD 4 (2 to 8)"
    assert cost["reason"].endswith("(the largest MLP measured, 1,000 parameters, 7200 vCPU-s)")
    assert ops["claim_id"] == "ops_100b_inference" and ops["verdict"] == "supported"
    assert ops["judged_against"] == "FLOPs per token 3e+11 (2e+11 to 4e+11)"
    assert ops["reason"].endswith("(FLOPs per parameter of the Llama-3 models, scaled to 1e11 parameters)")
    # the rent as committed when nothing is overridden
    verdicts.measured_verdicts()
    from chasm.economics.assumptions import load_assumptions

    rent = load_assumptions().loc["cpu_rent_vcpu_hour"]
    assert spy.calls[-2][0] == pytest.approx(tuple(2.0 * float(rent[e]) for e in ("low", "point", "high")), rel=1e-12)


def _envelopes(values: dict) -> dict:
    env = {qs: values.get(qs, (1.0, 2.0, 4.0)) for qs in set(verdicts.PRICED.values())}
    env["infer_latency_per_token"] = 20.0  # the whole reply's batch-1 latency, s
    return env


def test_price_verdicts_judge_each_envelope_against_its_claim_with_its_context(monkeypatch, spy):
    from chasm.economics import pricing

    env = _envelopes({("infer_api_usd",): (0.002, 0.005, 0.02), ("infer_ttft_s", "infer_latency_s"): (0.5, 5.0, 8.0),
                      ("prove_usd",): (1.0, 3.0, 9.0)})
    calls = []

    def envelopes(key, draws, seed):
        calls.append((key, draws, seed))
        return env

    monkeypatch.setattr(verdicts, "_envelopes", envelopes)
    monkeypatch.setattr(pricing, "arch_facts", lambda arch: {"generated_tokens": 1000})
    rows = {r["claim_id"]: r for r in verdicts.price_verdicts({"pue": 1.5, "b": [1, 2, 3]}, draws=300, seed=9)}
    assert calls == [((("b", (1, 2, 3)), ("pue", 1.5)), 300, 9)]  # overrides sorted, lists as tuples
    verdicts.price_verdicts()
    assert calls[-1] == ((), 20_000, 20261201)
    assert set(rows) == set(verdicts.PRICED)
    claims = load_claims().set_index("claim_id")
    for (ours, *stated), claim in zip(spy.calls, verdicts.PRICED):
        c = claims.loc[claim]
        assert ours == env[verdicts.PRICED[claim]]
        assert stated == [float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"])]
    api = rows["cost_query_inference"]  # $0.001 - $0.01: the point 0.005 lies in it
    assert api == {"claim_id": "cost_query_inference", "verdict": "supported",
                   "judged_against": "infer_api_usd 0.005 (0.002 to 0.02)", "reason": "our point lies in the stated range"}
    latency = rows["latency_inference"]  # 1 - 3 s: the point 5 s lies above, the envelope overlaps
    assert latency["verdict"] == "partly_supported"
    assert latency["judged_against"] == "infer_ttft_s to infer_latency_s 5 (0.5 to 8)"
    # 20 s for 1000 tokens: 0.02 s per token, so 1 to 3 s are 50 to 150 tokens
    assert latency["reason"] == ("the envelope of our 95% intervals overlaps the stated range, our point does not ("
                                 + verdicts.CONTEXT["latency_inference"] + "); at the measured decode rate a reply of "
                                 "50 to 150 tokens takes the stated 1 to 3 s")
    assert rows["cost_premium_today"]["reason"].count("(" + verdicts.CONTEXT["cost_premium_today"] + ")") == 1
    for claim, qs in verdicts.PRICED.items():
        ezkl = rows[claim]["reason"].endswith("estimate for the dense layers alone is set beside ezkl's in the chapter "
                                              "provers")
        assert ezkl == any(q.startswith(("prove", "ratio")) for q in qs), claim
        assert ("; proving priced for ezkl (halo2, KZG), the zero-knowledge family measured; the second family "
                "measured, JSTprove (GKR), is not zero-knowledge" in rows[claim]["reason"]) == ezkl
        said = [text for text in verdicts.CONTEXT.values() if "(" + text + ")" in rows[claim]["reason"]]
        assert said == ([verdicts.CONTEXT[claim]] if claim in verdicts.CONTEXT else []), claim


def test_claim_verdicts_pass_their_arguments_on_and_add_the_untestable_claims(monkeypatch):
    from chasm.economics import market, measured_claims, trajectory

    calls = {}

    def source(name, *, draws=False):
        def fn(*args, **kwargs):
            calls[name] = args + tuple(kwargs.values())
            return [{"claim_id": name, "verdict": "supported", "judged_against": "x", "reason": "y"}]
        return fn

    monkeypatch.setattr(verdicts, "frontier_verdicts", source("frontier"))
    monkeypatch.setattr(verdicts, "measured_verdicts", source("measured"))
    monkeypatch.setattr(verdicts, "price_verdicts", source("price"))
    monkeypatch.setattr(measured_claims, "measured_claim_verdicts", source("measured_claims"))
    monkeypatch.setattr(market, "concentration_verdicts", source("concentration"))
    monkeypatch.setattr(trajectory, "trajectory_verdicts", source("trajectory"))
    out = verdicts.claim_verdicts({"pue": 1.2}, draws=77, seed=5)
    assert calls == {"frontier": (), "measured": ({"pue": 1.2},), "measured_claims": ({"pue": 1.2},),
                     "price": ({"pue": 1.2}, 77, 5), "concentration": ({"pue": 1.2}, 77, 5),
                     "trajectory": ({"pue": 1.2}, 77, 5)}
    assert list(out.columns) == ["claim_id", "verdict", "judged_against", "reason"]
    assert list(out["claim_id"][:6]) == ["frontier", "measured", "measured_claims", "price", "concentration",
                                         "trajectory"]
    verdicts.claim_verdicts()
    assert calls["price"] == (None, 20_000, 20261201) and calls["measured"] == (None,)
    claims = load_claims()
    opinions = claims[claims["testable"] == "opinion_only"]
    world = claims[(claims["testable"] == "external") & (claims["chapter"] == "none")]
    rest = out.iloc[6:].set_index("claim_id")
    assert list(rest.index) == [c for c in claims["claim_id"] if c in set(opinions["claim_id"]) | set(world["claim_id"])]
    assert len(opinions) and len(world) and (rest["verdict"] == "not_testable").all() and (rest["judged_against"] == "").all()
    assert set(rest.loc[list(opinions["claim_id"]), "reason"]) == {"an opinion or forecast: there is nothing to measure"}
    assert set(rest.loc[list(world["claim_id"]), "reason"]) == {
        "a fact about the world (market shares, institutions, prices) that only outside data could check, and this "
        "book holds none"}
    # an external claim that a chapter checks, and a measurable one, are left to their sources
    others = claims[~claims["claim_id"].isin(rest.index)]
    assert ((others["testable"] == "external") & (others["chapter"] != "none")).any()


def test_the_command_line_lists_every_claim_with_its_verdict_or_why_it_is_untested(monkeypatch, capsys):
    claims = load_claims()
    first, second = claims["claim_id"].iloc[0], claims["claim_id"].iloc[1]
    asked = []

    def claim_verdicts(overrides, draws):
        asked.append((overrides, draws))
        return pd.DataFrame([{"claim_id": first, "verdict": "contradicted", "judged_against": "USD 3 (2 to 4)",
                              "reason": "all of ours lies above"}])

    monkeypatch.setattr(verdicts, "claim_verdicts", claim_verdicts)
    assert verdicts.main(["--json", "--draws", "50", "--set", "pue=1.5", "--set", "gpu_power_h100=1:2:3"]) == 0
    assert asked == [({"pue": 1.5, "gpu_power_h100": (1.0, 2.0, 3.0)}, 50)]
    rows = json.loads(capsys.readouterr().out)
    assert [r["claim_id"] for r in rows] == list(claims["claim_id"])
    assert rows[0] == {"claim_id": first, "verdict": "contradicted", "judged_against": "USD 3 (2 to 4)",
                       "reason": "all of ours lies above"}
    c = claims.set_index("claim_id").loc[second]
    assert rows[1] == {"claim_id": second, "verdict": c["verdict"], "judged_against": "",
                       "reason": f"not tested yet ({c['testable']}; chapter: {c['chapter']})"}
    assert verdicts.main([]) == 0 and asked[-1] == ({}, 20_000)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{first:<28} {'contradicted':<17} USD 3 (2 to 4)  all of ours lies above"
    counts = pd.Series([r["verdict"] for r in rows]).value_counts()
    assert lines[-2:] == ["", ", ".join(f"{v}: {n}" for v, n in counts.items())]
    assert len(lines) == len(claims) + 2
    assert verdicts.main(["--set", "pue=-1"]) == 2
    assert capsys.readouterr().err.startswith("verdicts: ")


def test_the_command_line_names_itself(capsys):
    with pytest.raises(SystemExit) as exit_:
        verdicts.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m chasm verdicts [-h] [--json]")
    assert "every claim with its verdict." in " ".join(out.split())  # the description, however wrapped
