"""The article's quantitative claims (``data/claims.csv``): loading, cross-row rules, quotes.

:func:`load_claims` is how every module and chapter reads the table: schema checks through
:func:`chasm.core.data.load_table`, then the cross-row rules of :func:`check_claims`.
:func:`missing_quotes` and :func:`misplaced_quotes` check the quotes against the article's text.
The arithmetic that checks the article against its own figures is :mod:`chasm.economics.article`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chasm.core import data, paths
from chasm.core.constants import CLAIMS

__all__ = ["UNIT_LABELS", "CHART_SUBJECTS", "claims_path", "section_headings", "split_ratio", "check_claims",
           "load_claims", "read_article", "missing_quotes", "misplaced_quotes", "numeric_claims"]

#: Labels for the units of ``data/claims.csv`` as chart and table titles.
UNIT_LABELS = {
    "usd_per_query": "US dollars per query",
    "usd": "US dollars",
    "s": "seconds",
    "gib": "GiB of RAM",
    "kwh_per_query": "kWh per query",
    "percent_per_year": "cost decline, % per year",
    "ratio": "ratio (x)",
    "percent": "percent",
    "count": "count",
    "years": "years",
    "operations": "operations",
    "exponent": "exponent",
    "none": "(qualitative)",
}

#: Subjects drawn on the claimed-ranges chart, in legend order.
CHART_SUBJECTS = ("inference", "zk_proving", "ratio")


def claims_path() -> Path:
    """``data/claims.csv``."""
    return paths.data_dir() / CLAIMS


def section_headings() -> tuple[str, ...]:
    """The article's section headings, as listed in the schema (article order)."""
    schema = data.read_schema(data.schema_path(claims_path()))
    return schema.column("section").allowed or ()


def split_ratio(ratio_of: str) -> tuple[str, str]:
    """The two claim ids of a ``ratio_of`` cell (``numerator/denominator``)."""
    numerator, denominator = ratio_of.split("/")
    return numerator, denominator


def check_claims(frame: pd.DataFrame) -> list[str]:
    """Cross-row rules the per-cell schema cannot express; one message per problem.

    - numbers present exactly when ``bound`` is not ``qualitative``, and unit
      ``none`` exactly when it is;
    - ``claimed_low <= claimed_high``; ``open_below`` claims state one number;
    - ``ratio_of`` names two existing claims that share a unit, and the claim
      itself has unit ``ratio``;
    - ``contradicts`` names existing claims.
    """
    problems: list[str] = []
    by_id = frame.set_index("claim_id")
    for row in frame.itertuples(index=False):
        cid = row.claim_id
        has_low, has_high = not pd.isna(row.claimed_low), not pd.isna(row.claimed_high)
        if row.bound == "qualitative":
            if has_low or has_high:
                problems.append(f"{cid}: qualitative claim must leave claimed_low/claimed_high empty")
            if row.unit != "none":
                problems.append(f"{cid}: qualitative claim must have unit 'none', has {row.unit!r}")
        else:
            if not (has_low and has_high):
                problems.append(f"{cid}: bound {row.bound!r} needs both claimed_low and claimed_high")
            elif row.claimed_low > row.claimed_high:
                problems.append(
                    f"{cid}: claimed_low {row.claimed_low} exceeds claimed_high {row.claimed_high}"
                )
            elif row.bound == "open_below" and row.claimed_low != row.claimed_high:
                problems.append(f"{cid}: open_below claims state one number (claimed_low == claimed_high)")
            if row.unit == "none":
                problems.append(f"{cid}: unit 'none' is only for qualitative claims")
        if isinstance(row.ratio_of, str):
            if row.unit != "ratio":
                problems.append(f"{cid}: ratio_of is set but unit is {row.unit!r}, not 'ratio'")
            parts = split_ratio(row.ratio_of)
            missing = [p for p in parts if p not in by_id.index]
            if missing:
                problems.append(f"{cid}: ratio_of names unknown claims {missing}")
            elif by_id.loc[parts[0], "unit"] != by_id.loc[parts[1], "unit"]:
                problems.append(f"{cid}: ratio_of divides claims with different units")
        if isinstance(row.contradicts, str):
            unknown = [c for c in row.contradicts.split() if c not in by_id.index]
            if unknown:
                problems.append(f"{cid}: contradicts names unknown claims {unknown}")
    return problems


def load_claims(path: str | Path | None = None) -> pd.DataFrame:
    """``data/claims.csv``, schema-checked and cross-checked.

    Raises :class:`chasm.core.data.DataFileError` listing every broken rule.
    """
    path = Path(path) if path is not None else claims_path()
    frame = data.load_table(path)
    problems = check_claims(frame)
    if problems:
        raise data.DataFileError(f"{path}: " + "; ".join(problems))
    return frame


def read_article(path: str | Path | None = None) -> str:
    """The article's text, exactly as stored (raises ``FileNotFoundError``)."""
    return Path(path or paths.article_path()).read_text(encoding="utf-8")


def missing_quotes(frame: pd.DataFrame, article: str) -> list[str]:
    """claim_ids whose quote is not a verbatim substring of ``article``."""
    return [row.claim_id for row in frame.itertuples(index=False) if row.quote not in article]


def misplaced_quotes(frame: pd.DataFrame, article: str, headings: tuple[str, ...]) -> list[str]:
    """claim_ids whose quote does not fall under its ``section`` heading.

    A heading is a whole line of the article; a section runs from its heading
    to the next heading in ``headings``. Each message names the problem.
    """
    starts = {}
    lines = f"\n{article}\n"  # the first and the last line of the article are lines too
    for heading in headings:
        pos = lines.find(f"\n{heading}\n")  # where the heading's line starts, in ``article``
        starts[heading] = pos if pos >= 0 else None
    problems = [f"heading {h!r} is not a line of the article" for h, s in starts.items() if s is None]
    found = sorted((s, h) for h, s in starts.items() if s is not None)
    for row in frame.itertuples(index=False):
        pos = article.find(row.quote)
        if pos < 0 or starts.get(row.section) is None:
            continue
        under = [h for s, h in found if s <= pos]
        if not under or under[-1] != row.section:
            actual = under[-1] if under else "(before the first heading)"
            problems.append(f"{row.claim_id}: quote sits under {actual!r}, not {row.section!r}")
    return problems


def numeric_claims(frame: pd.DataFrame) -> pd.DataFrame:
    """Claims that state numbers (every bound but ``qualitative``)."""
    return frame[frame["bound"] != "qualitative"].copy()
