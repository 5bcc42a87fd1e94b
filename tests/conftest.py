"""Shared fixtures.

``built_book`` builds the whole book once per test session, from scratch
(a fresh output folder, so a fresh execution cache), with the same strict
settings as ``make book``, and returns the folder holding the HTML site.
Set ``CHASM_TOC`` to a table-of-contents file to build a subset of the
chapters instead of ``_toc.yml`` (useful while writing a chapter), or
``CHASM_BUILT_BOOK`` to the html folder of a book already built with
``python -m chasm.site.build`` to test that site instead of building one
(useful while writing the site's tests; CI never sets it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chasm.core import paths
from chasm.site import build as buildbook


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The compendium's root folder."""
    return paths.repo_root()


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Build the book from scratch into a temporary folder; return its html folder."""
    ready = os.environ.get("CHASM_BUILT_BOOK")
    if ready:
        html = Path(ready).resolve()
        if not (html / "index.html").is_file():
            pytest.fail(f"CHASM_BUILT_BOOK={ready} holds no built site (no index.html)")
        return html
    out = tmp_path_factory.mktemp("book")
    toc = os.environ.get("CHASM_TOC")
    html = buildbook.build(out, toc=Path(toc).resolve() if toc else None)
    return html


@pytest.fixture(scope="session")
def site_pages(built_book) -> list[str]:
    """Paths, relative to the html folder, of every page of the built site."""
    return sorted(
        p.relative_to(built_book).as_posix()
        for p in built_book.rglob("*.html")
        if not ({"_static", "_sources", "_images"} & set(p.relative_to(built_book).parts))
    )


def _synthetic_frame(rng, families=(("mlp", range(12, 20)),), **kw):
    """Synthetic sweep records (:func:`chasm.laws.coverage.simulate_runs`), validated against the real
    proofs schema, as a typed frame."""
    import pandas as pd

    from chasm.core import data
    from chasm.laws import coverage

    schema = data.read_schema(paths.measurements_dir() / "proofs.schema.yaml")
    records = []
    for family, logrows in families:
        records += coverage.simulate_runs(rng, family, logrows=tuple(logrows), **kw)
    rows = data.validate_records(records, schema, "synthetic records")
    return pd.DataFrame(rows, columns=schema.names)


@pytest.fixture
def synthetic_frame():
    """A function ``(rng, families=(("mlp", range(12, 20)),), **simulate_runs arguments) -> frame`` of
    synthetic proving runs that pass the proofs schema."""
    return _synthetic_frame
