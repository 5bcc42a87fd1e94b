"""The chapter "Two proof families, one model": its tables and charts from the committed runs."""

import math

import pandas as pd
import pytest

from chasm.core.literature import load_literature
from chasm.laws import provers as laws
from chasm.report import provers


@pytest.fixture(scope="module")
def runs():
    return provers.runs()


def test_medians_pair_every_model_whose_proofs_prove_it(runs):
    med = provers.medians(runs)
    pairs = laws.paired(runs, "prove_s")
    both = med.groupby("config_id")["prover"].nunique()
    assert set(pairs["config_id"]) == set(both[both == 2].index) and len(set(pairs["config_id"])) >= 5
    one = med.iloc[0]
    same = runs[(runs["prover"] == one["prover"]) & (runs["config_id"] == one["config_id"])]
    assert one["prove_s"] == same["prove_s"].median() and one["repetitions"] == len(same)


def test_proofs_of_another_function_are_listed_and_kept_out(runs):
    wrong = provers.wrong_outputs()
    assert (wrong["output_rel_err"] > laws.OUTPUT_TOLERANCE).all()
    everything = provers.runs(proving_the_model=False)
    assert len(everything) == len(runs) + len(wrong)
    assert not (runs["output_rel_err"] > laws.OUTPUT_TOLERANCE).any()


def test_the_largest_common_model_is_reported_with_its_paired_ratios(runs):
    table = provers.largest_table(runs)
    for family, g in table.groupby("family"):
        biggest = runs[runs["family"] == family].groupby("config_id")["prover"].nunique()
        biggest = runs[runs["config_id"].isin(biggest[biggest == 2].index) & (runs["family"] == family)]["params"].max()
        assert (g["parameters"] == biggest).all()
    big = laws.largest_common(runs, "mlp", "prove_s")
    pairs = laws.paired(runs, "prove_s")
    top = pairs[(pairs["family"] == "mlp") & (pairs["params"] == big["params"])]
    assert sorted(big["pairs"]) == pytest.approx(sorted(top["jstprove"] / top["ezkl"]))


def test_guarantees_name_a_source_for_every_row():
    table = provers.guarantees_table()
    assert {"ezkl", "JSTprove", "source"} <= set(table.columns) and table["source"].str.len().min() > 10
    assert table.loc[table[""] == "setup", "JSTprove"].iloc[0].startswith("none")


def test_errors_are_those_of_the_runs(runs):
    table = provers.error_table(runs)
    assert len(table) == runs.groupby(["prover", "family"]).ngroups
    jst = table[table["prover"].str.startswith("JSTprove")]
    assert set(jst["scale (bits)"]) == {18}
    worst = provers.medians(runs).query("prover == 'jstprove'")["output_max_abs_err"].max()
    assert f"{worst:.2g}" in set(jst["max abs error, largest"])


def test_literature_points_are_normalised_per_parameter_and_token():
    lit = load_literature()
    pts = provers.literature_points(lit)
    row = pts.iloc[0]
    tokens = row["tokens_proven"] if not math.isnan(row["tokens_proven"]) else 1.0
    assert row["prove_s_per_param_token"] == pytest.approx(row["prove_s"] / tokens / row["params"])
    facts = provers.literature_facts(lit)
    assert int(facts["rows"]) == len(lit) >= 15 and int(facts["families"]) >= 4


def test_charts_have_titles_and_the_data_they_show(runs):
    for chart in (provers.cost_chart(runs), provers.ratio_chart(runs), provers.literature_chart(load_literature(), runs)):
        spec = chart.to_dict()
        assert spec.get("title")
    ratio = provers.ratio_chart(runs).to_dict()
    values = [v for d in ratio["datasets"].values() for v in d if "ratio" in v]
    assert len(values) == len(laws.paired(runs, "prove_s"))
    assert isinstance(provers.laws_table(runs), pd.DataFrame)


def test_every_name_the_chapter_glues_is_computed(runs):
    import re

    from chasm.core import paths
    from chasm.report import onchain

    text = (paths.repo_root() / "chapters" / "provers.md").read_text()
    wanted = set(re.findall(r"\{glue:text\}`([^`]+)`", text))
    facts = {f"pv_{k}": v for k, v in {**provers.facts(runs), **provers.rate_facts(),
                                       **provers.pricing_facts(draws=2_000)}.items()}
    facts.update({f"pv_lit_{k}": v for k, v in provers.literature_facts(load_literature()).items()})
    facts.update({f"oc_{k}": v for k, v in onchain.onchain_facts().items()})
    assert not wanted - set(facts), sorted(wanted - set(facts))
