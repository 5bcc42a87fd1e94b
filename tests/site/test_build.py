"""chasm.site.build: the whole book builds strictly from scratch, and no page shows a traceback."""

from __future__ import annotations

import re
import pytest

from chasm.core import claims
from chasm.site import build

pytestmark = pytest.mark.slow


def test_book_builds_from_scratch(built_book, site_pages):
    assert (built_book / "index.html").exists()
    for page in ("book/intro.html", "chapters/claims.html", "book/provenance.html", "book/references.html"):
        assert page in site_pages, f"{page} missing from the built site"


def test_no_page_shows_a_traceback(built_book):
    assert build.pages_with_tracebacks(built_book) == []


def test_traceback_check_can_fail(tmp_path):
    (tmp_path / "ok.html").write_text("<p>fine</p>")
    (tmp_path / "bad.html").write_text("<pre>Traceback (most recent call last):\n  ...</pre>")
    assert build.pages_with_tracebacks(tmp_path) == ["bad.html"]


def test_claims_page_shows_every_claim(built_book):

    page = (built_book / "chapters" / "claims.html").read_text()
    missing = [cid for cid in claims.load_claims()["claim_id"] if cid not in page]
    assert missing == []
    assert page.count('class="chasm-chart"') >= 2


def test_provenance_page_lists_pins_and_commit(built_book):
    from chasm.core import provenance

    page = (built_book / "book" / "provenance.html").read_text()
    for pin in provenance.pinned_versions():
        assert f"<td>{pin['package']}</td>" in page
    assert provenance.git_commit().split("+")[0] in page
    assert "chapters/claims" in page  # the execution table names the chapter


def test_references_start_with_the_article(repo_root):
    bib = (repo_root / "book" / "references.bib").read_text()
    first = re.search(r"@\w+\{([^,]+),", bib)
    assert first and first.group(1) == "article"
    assert "Why Blockchain-Based AI Verification Will Centralize Power" in bib


def test_every_table_is_shown_the_books_way(built_book, site_pages):
    """Tables go through chasm.report.tables.show (no pandas index column, the book's style): a page with a
    raw pandas table (class "dataframe") shows a DataFrame a chapter forgot to pass to show()."""
    raw = [rel for rel in site_pages if 'class="dataframe"' in (built_book / rel).read_text()]
    assert raw == [], f"pages with raw pandas tables (index column shown): {raw}"
