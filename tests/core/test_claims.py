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


def test_check_claims_names_the_remaining_rules_and_accepts_good_rows():
    """Each rule of the docstring by a row that breaks it alone, beside rows that keep it; the messages are
    the whole list, in row order (a row that keeps every rule adds nothing)."""
    nan = float("nan")
    frame = pd.DataFrame([
        _claim(claim_id="usd_a"),
        _claim(claim_id="usd_b", claimed_low=3.0, claimed_high=3.0),
        _claim(claim_id="seconds", unit="s"),
        _claim(claim_id="one_number_in_words", bound="qualitative", unit="none", claimed_low=1.0, claimed_high=nan),
        _claim(claim_id="words_in_dollars", bound="qualitative", unit="usd", claimed_low=nan, claimed_high=nan),
        _claim(claim_id="words_only", bound="qualitative", unit="none", claimed_low=nan, claimed_high=nan),
        _claim(claim_id="half_interval", claimed_low=1.0, claimed_high=nan),
        _claim(claim_id="no_numbers", bound="open_above", claimed_low=nan, claimed_high=nan),
        _claim(claim_id="open_below_range", bound="open_below", claimed_low=1.0, claimed_high=2.0),
        _claim(claim_id="open_below_one", bound="open_below", claimed_low=2.0, claimed_high=2.0),
        _claim(claim_id="open_above_range", bound="open_above", claimed_low=1.0, claimed_high=2.0),
        _claim(claim_id="ratio_in_dollars", ratio_of="usd_a/usd_b"),
        _claim(claim_id="dollars_per_second", unit="ratio", ratio_of="usd_a/seconds"),
        _claim(claim_id="good_ratio", unit="ratio", ratio_of="usd_a/usd_b", contradicts="usd_a seconds"),
    ])
    assert claims.check_claims(frame) == [
        "one_number_in_words: qualitative claim must leave claimed_low/claimed_high empty",
        "words_in_dollars: qualitative claim must have unit 'none', has 'usd'",
        "half_interval: bound 'interval' needs both claimed_low and claimed_high",
        "no_numbers: bound 'open_above' needs both claimed_low and claimed_high",
        "open_below_range: open_below claims state one number (claimed_low == claimed_high)",
        "ratio_in_dollars: ratio_of is set but unit is 'usd_per_query', not 'ratio'",
        "dollars_per_second: ratio_of divides claims with different units",
    ]


def test_load_claims_lists_every_broken_rule(tmp_path):
    for name in ("claims.csv", "claims.schema.yaml"):
        shutil.copy(paths.data_dir() / name, tmp_path / name)
    csv = tmp_path / "claims.csv"
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    for claim_id in ("latency_inference", "latency_proving"):
        table.loc[table["claim_id"] == claim_id, ["claimed_low", "claimed_high"]] = ["3", "1"]
    table.to_csv(csv, index=False)
    with pytest.raises(data.DataFileError) as raised:
        claims.load_claims(csv)
    first, second = (f"{c}: claimed_low 3.0 exceeds claimed_high 1.0" for c in table["claim_id"]
                     if c in ("latency_inference", "latency_proving"))
    assert str(raised.value) == f"{csv}: {first}; {second}"


def test_the_article_is_read_as_utf8_whatever_the_locale(tmp_path):
    """``read_article`` returns the text exactly as stored, also in a process whose locale is plain ASCII."""
    import os
    import subprocess
    import sys

    text = "Verification costs \u2248 500\u00d7 \u2013 5000\u00d7 more\n"
    path = tmp_path / "article.txt"
    path.write_bytes(text.encode("utf-8"))
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    code = "import sys; from chasm.core import claims; sys.stdout.buffer.write(claims.read_article(sys.argv[1]).encode())"
    read = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, check=True).stdout
    assert read.decode("utf-8") == text == claims.read_article(path)


def _quotes(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(claim_id=c, quote=q, section=s) for c, q, s in rows])


#: A made-up article: its first line is a heading, its last line too; "Costs" also appears inside a sentence.
ARTICLE = "Intro\nalpha beta\nend of intro\nCosts\nCosts rise. gamma\nRisks\ndelta alpha\nEnd"
HEADINGS = ("Intro", "Costs", "Risks", "End")


def test_misplaced_quotes_by_known_answers():
    """A section runs from the first character of its heading's line to the character before the next
    heading's line; the article's first and last lines are lines; a quote found under its section is not
    misplaced even when it recurs under another; a quote that is not in the article is missing_quotes'
    business, not this check's."""
    frame = _quotes(
        ("first_line", "Intro\nalpha", "Intro"),           # starts on its heading's first character
        ("repeated", "alpha", "Intro"),                    # also under Risks, further on
        ("not_in_article", "omega", "Costs"),
        ("last_of_intro", "intro", "Intro"),               # ends on the character before Costs' line
        ("first_of_costs", "Costs\nCosts", "Costs"),
        ("in_a_sentence", "rise", "Costs"),
        ("wrong_section", "delta", "Costs"),
        ("after_it", "gamma", "Costs"),
        ("last_line", "End", "End"),
    )
    assert claims.misplaced_quotes(frame, ARTICLE, HEADINGS) == [
        "wrong_section: quote sits under 'Risks', not 'Costs'"]
    shifted = _quotes(("last_of_intro", "intro", "Costs"), ("first_of_costs", "Costs\nCosts", "Intro"))
    assert claims.misplaced_quotes(shifted, ARTICLE, HEADINGS) == [
        "last_of_intro: quote sits under 'Intro', not 'Costs'",
        "first_of_costs: quote sits under 'Costs', not 'Intro'"]


def test_misplaced_quotes_before_the_first_heading_and_a_heading_that_is_no_line():
    article = "preamble\n" + ARTICLE
    frame = _quotes(("preamble", "preamble", "Intro"), ("risky", "delta", "Risks"), ("costly", "gamma", "Costs"))
    assert claims.misplaced_quotes(frame, article, HEADINGS) == [
        "preamble: quote sits under '(before the first heading)', not 'Intro'"]
    # "Costs rise." is not a line: without its heading line the section is unknown, reported once, and the
    # quotes of that section are not judged (gamma now sits under Intro)
    no_costs = article.replace("\nCosts\n", "\n")
    assert claims.misplaced_quotes(frame, no_costs, HEADINGS) == [
        "heading 'Costs' is not a line of the article",
        "preamble: quote sits under '(before the first heading)', not 'Intro'"]


def test_each_heading_is_a_line_of_the_article_once(article):
    """Where a heading starts is then unambiguous (first or last occurrence alike)."""
    for heading in claims.section_headings():
        assert f"\n{article}\n".count(f"\n{heading}\n") == 1, heading
