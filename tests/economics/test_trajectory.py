"""chasm.economics.trajectory: decline fits and their intervals, the crossing year (closed form against a
numeric root), the Monte Carlo summary, the price table, the comparability rule, the verdicts and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from chasm.core.claims import load_claims
from chasm.economics import trajectory as tr

CACHED = (tr.threshold_years, tr.decline_draws, tr.ratio_draws, tr.proving_decline_source, tr.family_declines,
          tr.inference_decline)


def _fake_ratio(scenario, draws=tr.DRAWS, seed=tr.SEED, overrides=()):
    """Lognormal draws of today's ratio around 10^8 (GPU) or 10^9 (others): no pricing needed."""
    centre = 1e8 if scenario == "gpu" else 1e9
    return np.random.default_rng(seed).lognormal(math.log(centre), 0.6, draws)


@pytest.fixture
def fast(monkeypatch):
    """Today's ratio drawn from :func:`_fake_ratio` instead of the pricing; caches cleared around the test."""
    for f in CACHED:
        f.cache_clear()
    monkeypatch.setattr(tr, "ratio_draws", _fake_ratio)
    yield
    for f in CACHED:
        f.cache_clear()


# ------------------------------------------------------------------ fits


def test_decimal_year():
    assert tr.decimal_year(["2024-01-01"])[0] == 2024.0
    assert tr.decimal_year(["2023-07-02"])[0] == pytest.approx(2023 + 182 / 365)
    assert tr.decimal_year(["2024-12-31"])[0] == pytest.approx(2024 + 365 / 366)
    assert list(tr.decimal_year([2021, 2022])) == [2021.0, 2022.0]


def test_an_exact_trend_is_recovered_exactly():
    years = np.array([2020.0, 2021.0, 2022.5, 2024.0])
    noise = np.array([0.01, -0.02, 0.01, 0.0])  # a little, so the interval is finite
    d = tr.fit_decline(years, 5.0 * 0.7 ** (years - 2020) * np.exp(noise))
    assert d.point == pytest.approx(0.3, abs=0.01)
    assert d.low < d.point < d.high and d.dof == 2 and d.n == 4 and d.groups == 1
    clean = tr.fit_decline(years, 5.0 * 0.7 ** (years - 2020))
    assert clean.point == pytest.approx(0.3) and clean.se == pytest.approx(0, abs=1e-12)


def test_a_rising_cost_is_a_negative_decline():
    years = np.arange(2020, 2026, dtype=float)
    d = tr.fit_decline(years, 2.0 * 1.2 ** (years - 2020) * np.exp(0.01 * np.sin(years)))
    assert d.point == pytest.approx(-0.2, abs=0.01) and d.high < 0


def test_too_few_points_or_no_spread_is_too_thin():
    with pytest.raises(tr.TooThin, match="residual"):
        tr.fit_decline([2020.0, 2021.0], [1.0, 0.5])
    with pytest.raises(tr.TooThin, match="spread"):
        tr.fit_decline([2020.0, 2020.0, 2020.0], [1.0, 0.5, 0.7])
    # grouped: one point per group gives no within-group spread
    with pytest.raises(tr.TooThin):
        tr.fit_decline([2020.0, 2021.0, 2022.0], [1.0, 0.5, 0.2], groups=["a", "b", "c"])
    with pytest.raises(ValueError):
        tr.fit_decline([2020.0, 2021.0, 2022.0], [1.0, 0.0, 0.2])


def test_a_fit_within_groups_ignores_level_differences_between_groups():
    """Two providers with the same 40% decline, one ten times dearer and listed later: pooled, the dearer
    late provider hides the decline; within groups it is recovered."""
    rng = np.random.default_rng(3)
    t = np.concatenate([np.linspace(2020, 2022, 6), np.linspace(2022, 2024, 6)])
    base = np.where(np.arange(12) < 6, 1.0, 10.0)
    cost = base * 0.6 ** (t - 2020) * np.exp(rng.normal(0, 0.02, 12))
    groups = ["cheap"] * 6 + ["dear"] * 6
    within = tr.fit_decline(t, cost, groups)
    assert within.point == pytest.approx(0.4, abs=0.03) and within.groups == 2 and within.dof == 9
    assert tr.fit_decline(t, cost).point < 0.2


def test_a_fitted_trend_recovers_its_known_rate_about_95_percent_of_the_time():
    """Synthetic dated points (irregular dates, normal noise on the log) with a known 35% yearly decline:
    the t-based 95% interval covers it in about 95% of 1,000 replications."""
    rng = np.random.default_rng(20261201)
    hits, reps = 0, 1000
    for _ in range(reps):
        n = int(rng.integers(5, 30))
        t = np.sort(rng.uniform(2023, 2026.5, n))
        cost = 3.0 * 0.65 ** (t - 2023) * np.exp(rng.normal(0, 0.5, n))
        d = tr.fit_decline(t, cost)
        hits += d.low <= 0.35 <= d.high
    assert 0.93 <= hits / reps <= 0.97


def test_draws_reproduce_the_interval():
    years = np.arange(2018, 2026, dtype=float)
    d = tr.fit_decline(years, 0.8 ** (years - 2018) * np.exp(np.random.default_rng(1).normal(0, 0.2, 8)))
    x = d.draws(200_000, np.random.default_rng(2))
    lo, hi = np.percentile(x, [2.5, 97.5])
    assert lo == pytest.approx(d.low, abs=0.01) and hi == pytest.approx(d.high, abs=0.01)
    assert d.as_dict()["interval"] == "t-based 95%"


# ------------------------------------------------------------------ the crossing year


def test_sympy_confirms_the_closed_forms():
    d = tr.derivation()
    assert d["check"]
    s = tr.SYMBOLS
    value = d["closed"].subs({s["R0"]: 1e6, s["T"]: 10, s["d_i"]: 0.1, s["d_p"]: 0.4, s["t0"]: 2026})
    assert float(value) == pytest.approx(2026 + math.log(1e5) / math.log(0.9 / 0.6))


@pytest.mark.parametrize("seed", range(5))
def test_closed_form_matches_a_numeric_root(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        R0 = 10 ** rng.uniform(0.5, 10)
        T = 10 ** rng.uniform(0, 4)
        d_i, d_p = rng.uniform(-0.3, 0.9, 2)
        t0 = rng.uniform(2020, 2030)
        closed, numeric = tr.crossing_year(R0, T, d_i, d_p, t0), tr.crossing_year_numeric(R0, T, d_i, d_p, t0)
        if math.isinf(numeric):
            assert math.isinf(closed) or closed - t0 > 1e5
        else:
            assert closed == pytest.approx(numeric, rel=1e-9, abs=1e-7)


def test_a_decline_of_zero_never_closes_the_chasm():
    assert math.isinf(tr.crossing_year(1e9, 1000, 0.0, 0.0))
    assert math.isinf(tr.crossing_year(1e9, 1000, 0.2, 0.0))  # inference cheaper, proving not: it widens
    assert math.isinf(tr.crossing_year(1e9, 1000, 0.3, 0.3))  # equal declines: it stays
    assert math.isinf(tr.crossing_year_numeric(1e9, 1000, 0.0, 0.0))
    assert math.isfinite(tr.crossing_year(1e9, 1000, 0.0, 0.01))  # any proving decline above it closes it
    years = tr.crossing_year(np.full(100, 1e9), 1000.0, np.zeros(100), np.zeros(100), 2026.0)
    s = tr.years_summary(years, 2026.0, 1000.0)
    assert s["year"] is None and s["never_share"] == 1 and "in every draw" in s["reason"]


def test_a_ratio_already_below_the_threshold_crosses_at_once():
    assert tr.crossing_year(500, 1000, 0.5, 0.1, 2026.5) == 2026.5
    assert list(tr.crossing_year(np.array([500.0, 1e6]), 1000.0, 0.1, 0.5, 2026.0)) == pytest.approx(
        [2026.0, 2026.0 + math.log(1e3) / math.log(0.9 / 0.5)])
    with pytest.raises(ValueError):
        tr.crossing_year(1e6, 10, 1.0, 0.5)


def test_the_required_decline_reaches_the_threshold_in_time():
    for R0, T, d_i, years in ((1e9, 1.0, 0.42, 5.0), (1e4, 100.0, 0.1, 3.0), (3e8, 1000.0, -0.1, 20.0)):
        d_p = tr.required_decline(R0, T, d_i, years)
        assert tr.crossing_year(R0, T, d_i, d_p, 0.0) == pytest.approx(years)
    assert tr.required_decline(100.0, 1000.0, 0.3, 5.0) == pytest.approx(0.3)


def test_years_summary_keeps_never_as_never():
    t0 = 2026.0
    finite = t0 + np.linspace(10, 50, 960)
    s = tr.years_summary(np.concatenate([finite, np.full(40, np.inf)]), t0, 100.0)  # 4% never
    assert s["year"]["high"] is None and finite[24] <= s["year"]["low"] <= finite[25]  # an order statistic
    assert s["reason"].startswith("in 4% of draws") and finite[499] - t0 <= s["from_now"]["point"] <= finite[500] - t0
    s = tr.years_summary(finite, t0, 100.0)
    assert s["reason"] is None and s["year"]["high"] == pytest.approx(t0 + 50 - 40 * 0.025, abs=0.2)
    s = tr.years_summary(np.concatenate([finite[:400], np.full(600, np.inf)]), t0, 100.0)
    assert s["year"] is None and "60% of draws" in s["reason"] and "2.5th percentile" in s["reason"]


# ------------------------------------------------------------------ the data


def test_price_history_rows_are_sourced_and_offers_have_both_prices():
    f = tr.load_price_history()
    assert (f["source"].str.len() > 20).all() and (~f["confirmed"]).all()
    assert f["source"].str.contains("commit").all()
    o = tr.api_offers()
    assert len(o) == (f["series"] == "llama_70b_api").sum() / 2
    assert o[["input", "output"]].notna().all().all() and (o["year"].diff().dropna() >= 0).all()
    row = o.iloc[0]
    q = tr.load_table("query.csv").iloc[0]
    expected = (q["prompt_tokens"] * row["input"] + q["generated_tokens"] * row["output"]) / 1e6
    assert row["query_usd"] == pytest.approx(expected)
    gpu = f[f["series"] == "gpu_hour"]
    assert (gpu.groupby("item")["date"].nunique() == 2).all()


def test_the_inference_decline_is_fitted_on_every_offer():
    d = tr.inference_decline()
    assert d.n == len(tr.api_offers()) and d.dof == d.n - 2 and d.low < d.point < d.high
    w = tr.inference_decline("provider")
    assert w.groups == tr.api_offers()["provider"].nunique()
    with pytest.raises(ValueError):
        tr.inference_decline("model")
    assert tr.gpu_hour_decline().groups == tr.load_price_history().query("series == 'gpu_hour'")["item"].nunique()


def _points(years, classes, tokens):
    return pd.DataFrame({"year": years, "hardware_class": classes, "tokens_stated": tokens, "unit": 1.0})


def test_comparable_names_every_reason():
    assert tr.comparable(_points([2023, 2024, 2025], ["gpu"] * 3, [True] * 3)) is None
    assert tr.comparable(_points([2023, 2024, 2025], ["cpu"] * 3, [False] * 3)) is None
    why = tr.comparable(_points([2024, 2025], ["gpu", "not stated"], [False, True]))
    assert "fewer than 3" in why and "not stated in 2025" in why and "stated in 2025 only" in why
    why = tr.comparable(_points([2023, 2024, 2025], ["cpu", "gpu", "gpu"], [True] * 3))
    assert "class changes (2023 cpu, 2024 gpu" in why


def _literature(rows):
    cols = ["row_id", "system", "year", "proof_family", "model", "params", "tokens_proven", "hardware_class",
            "hardware", "prove_s", "scope"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows])


def test_proving_points_keep_the_best_of_each_year_per_family_and_for_the_field():
    lit = _literature([("a", "A", 2023, "gkr_sumcheck", "m", 1e9, 10, "gpu", "h", 100.0, "whole_model"),
                       ("b", "B", 2023, "gkr_sumcheck", "m", 1e9, 10, "gpu", "h", 50.0, "whole_model"),
                       ("c", "C", 2024, "plonkish_kzg", "m", 1e9, 10, "gpu", "h", 10.0, "whole_model"),
                       ("d", "D", 2024, "plonkish_kzg", "m", None, 10, "gpu", "h", 1.0, "whole_model"),
                       ("e", "E", 2025, "plonkish_kzg", "m", 1e9, 10, "gpu", "h", 0.1, "per_layer")])
    p = tr.proving_points(lit)
    assert set(p["family"]) == {"gkr_sumcheck", "plonkish_kzg", "all"}
    assert list(p.loc[p["family"] == "all", "row_id"]) == ["b", "c"]  # no params: d out; per layer: e out
    assert p.loc[p["row_id"] == "b", "unit"].iloc[0] == pytest.approx(50.0 / 10 / 1e9)


def test_the_proving_decline_falls_back_to_the_article_when_the_record_is_thin(monkeypatch):
    tr.proving_decline_source.cache_clear()
    thin = pd.DataFrame({"family": ["all"], "reason": ["2 year(s) of results, fewer than 3"]})
    monkeypatch.setattr(tr, "family_declines", lambda: thin)
    src = tr.proving_decline_source()
    assert src["kind"] == "article" and (src["low"], src["high"]) == tr.article_declines()["proving"]
    assert "too thin" in src["reason"]
    x = tr.proving_decline_draws(10_000, np.random.default_rng(0))
    assert src["low"] <= x.min() and x.max() <= src["high"]
    tr.proving_decline_source.cache_clear()
    good = pd.DataFrame({"family": ["all"], "reason": [""]})
    pts = pd.DataFrame({"family": "all", "year": [2022, 2023, 2024, 2025],
                        "unit": [1e-6, 6e-7, 3.5e-7, 2.2e-7]})
    monkeypatch.setattr(tr, "family_declines", lambda: good)
    monkeypatch.setattr(tr, "proving_points", lambda frame=None: pts)
    src = tr.proving_decline_source()
    assert src["kind"] == "fitted" and src["fit"].point == pytest.approx(0.4, abs=0.05)
    tr.proving_decline_source.cache_clear()


def test_the_article_declines_are_read_from_the_claims():
    c = load_claims().set_index("claim_id")
    art = tr.article_declines()
    assert art["inference"] == (c.loc["decline_inference", "claimed_low"] / 100,
                                c.loc["decline_inference", "claimed_high"] / 100)
    assert art["proving"][0] < art["proving"][1]


# ------------------------------------------------------------------ Monte Carlo, verdicts, command line


def test_threshold_years_report_a_year_or_null_with_a_reason(fast):
    rows = tr.threshold_years("gpu", draws=4000)
    assert [r["threshold"] for r in rows] == list(tr.THRESHOLDS) + [tr.PARITY]
    for r in rows:
        assert (r["year"] is None) == (r["from_now"] is None)
        if r["year"] is None:
            assert r["reason"]
        else:
            assert r["year"]["low"] <= r["year"]["point"]
    lows = [r["ends"]["low"] for r in rows if r["ends"]["low"] is not None]
    assert lows == sorted(lows)  # a lower threshold is reached later


def test_verdicts_cover_the_three_claims(fast):
    allowed = {"supported", "partly_supported", "contradicted", "not_resolved", "not_testable"}
    v = {r["claim_id"]: r for r in tr.trajectory_verdicts(draws=4000)}
    assert set(v) == {"decline_inference", "decline_proving", "chasm_persists_years"}
    assert all(r["verdict"] in allowed for r in v.values())
    owned = load_claims().set_index("claim_id").loc[list(v), "chapter"]
    assert (owned == "trajectory").all()
    if tr.proving_decline_source()["kind"] == "article":
        assert v["decline_proving"]["verdict"] == "not_testable" and "too thin" in v["decline_proving"]["reason"]
    assert "years to parity" in v["chasm_persists_years"]["judged_against"]


def test_cli_prints_each_threshold_as_json(fast, capsys):
    assert tr.main(["--json", "--draws", "3000"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {r["threshold"] for r in out["thresholds"]} == set(tr.THRESHOLDS) | {tr.PARITY}
    for r in out["thresholds"]:
        assert r["year"] is None and r["reason"] or {"point", "low", "high"} <= set(r["year"])
    assert out["inference_decline"]["interval"] == "t-based 95%" and out["proving_decline"]["reason"]
    assert tr.main(["--draws", "3000", "--scenario", "measured"]) == 0
    assert "below   1000x" in capsys.readouterr().out
