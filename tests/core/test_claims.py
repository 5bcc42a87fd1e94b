"""chasm.core.claims: the claims table loads, obeys its cross-row rules, and quotes the article verbatim."""

from __future__ import annotations

import shutil
import pandas as pd
import pytest

from chasm.core import claims
from chasm.core import data
from chasm.core import paths


KNOWN_UNITS = {
    "usd_per_query", "usd", "s", "gib", "kwh_per_query", "percent_per_year", "ratio",
    "percent", "count", "years", "operations", "exponent", "none",
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return claims.load_claims()


@pytest.fixture(scope="module")
def article() -> str:
    if not paths.article_path().exists():
        pytest.skip(f"the article's text is not at {paths.article_path()} "
                    "(it lives outside the repository, in ../shared/article/)")
    return claims.read_article()


def _claim(**overrides) -> dict:
    row = dict(claim_id="a", quote="q", section="s", quantity="x", unit="usd_per_query",
               claimed_low=1.0, claimed_high=2.0, bound="interval", approximate=False,
               subject="inference", comparison=None, ratio_of=None, contradicts=None,
               testable="measurable", chapter="proving", verdict="untested", notes=None)
    row.update(overrides)
    return row


def test_table_loads_and_passes_its_rules(frame):
    assert claims.check_claims(frame) == []
    assert len(frame) >= 15
    assert frame["claim_id"].is_unique


def test_units_are_known(frame):
    schema_units = set(data.read_schema(data.schema_path(claims.claims_path())).column("unit").allowed)
    assert schema_units == KNOWN_UNITS
    assert set(frame["unit"]) <= KNOWN_UNITS


def test_numbers_are_ordered_and_encoded(frame):
    numeric = claims.numeric_claims(frame)
    assert (numeric["claimed_low"] <= numeric["claimed_high"]).all()
    assert numeric["claimed_low"].notna().all() and numeric["claimed_high"].notna().all()
    qualitative = frame[frame["bound"] == "qualitative"]
    assert qualitative["claimed_low"].isna().all() and (qualitative["unit"] == "none").all()


def test_the_article_table_is_covered(frame):
    """Both columns of each quantitative row of the article's table are claims."""
    for quantity_unit in ("usd_per_query", "s", "kwh_per_query", "percent_per_year"):
        subjects = set(frame.loc[(frame["unit"] == quantity_unit) & frame["comparison"].notna(), "subject"])
        assert {"inference", "zk_proving"} <= subjects, quantity_unit
    quotes = set(frame["quote"])
    for needle in ("Verification is 500x - 5000x more expensive", "~10-100x\nCost Premium (Today)",
                   "Specialized Prover Server (256GB+ RAM)", "~5s\nProof Gen Time"):
        assert needle in quotes


def test_verdicts_are_allowed_values(frame):
    allowed = set(data.read_schema(data.schema_path(claims.claims_path())).column("verdict").allowed)
    assert set(frame["verdict"]) <= allowed


def test_every_quote_is_verbatim_in_the_article(frame, article):
    assert claims.missing_quotes(frame, article) == []


def test_every_quote_sits_under_its_section(frame, article):
    assert claims.misplaced_quotes(frame, article, claims.section_headings()) == []


def test_quote_checks_can_fail(frame, article):
    bad = frame.copy()
    bad.loc[0, "quote"] = bad.loc[0, "quote"] + " (paraphrased)"
    assert claims.missing_quotes(bad, article) == [bad.loc[0, "claim_id"]]
    moved = frame.copy()
    other = [s for s in claims.section_headings() if s != moved.loc[0, "section"]][0]
    moved.loc[0, "section"] = other
    problems = claims.misplaced_quotes(moved, article, claims.section_headings())
    assert len(problems) == 1 and moved.loc[0, "claim_id"] in problems[0]


def test_check_claims_names_each_broken_rule():
    frame = pd.DataFrame([
        _claim(claim_id="reversed", claimed_low=5.0, claimed_high=1.0),
        _claim(claim_id="words_with_numbers", bound="qualitative", unit="none"),
        _claim(claim_id="number_without_unit", unit="none"),
        _claim(claim_id="bad_ratio", unit="ratio", ratio_of="reversed/nowhere"),
        _claim(claim_id="bad_contradiction", contradicts="ghost"),
    ])
    problems = "\n".join(claims.check_claims(frame))
    assert "reversed: claimed_low 5.0 exceeds claimed_high 1.0" in problems
    assert "words_with_numbers: qualitative claim must leave claimed_low/claimed_high empty" in problems
    assert "number_without_unit: unit 'none' is only for qualitative claims" in problems
    assert "bad_ratio: ratio_of names unknown claims ['nowhere']" in problems
    assert "bad_contradiction: contradicts names unknown claims ['ghost']" in problems


def test_load_claims_rejects_a_broken_copy(tmp_path):
    for name in ("claims.csv", "claims.schema.yaml"):
        shutil.copy(paths.data_dir() / name, tmp_path / name)
    csv = tmp_path / "claims.csv"
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    row = table.index[table["claim_id"] == "latency_inference"][0]
    table.loc[row, ["claimed_low", "claimed_high"]] = ["3", "1"]
    table.to_csv(csv, index=False)
    with pytest.raises(data.DataFileError, match="latency_inference: claimed_low 3.0 exceeds claimed_high 1.0"):
        claims.load_claims(csv)
