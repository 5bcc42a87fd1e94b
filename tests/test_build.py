"""The book builds strictly from scratch, and the cache never serves stale numbers."""

from __future__ import annotations

import hashlib
import re
import textwrap
from pathlib import Path

import pytest

from chasm import buildbook, sphinxext


# --- the real book ----------------------------------------------------------

def test_book_builds_from_scratch(built_book, site_pages):
    assert (built_book / "index.html").exists()
    for page in ("book/intro.html", "chapters/claims.html", "book/provenance.html", "book/references.html"):
        assert page in site_pages, f"{page} missing from the built site"


def test_no_page_shows_a_traceback(built_book):
    assert buildbook.pages_with_tracebacks(built_book) == []


def test_traceback_check_can_fail(tmp_path):
    (tmp_path / "ok.html").write_text("<p>fine</p>")
    (tmp_path / "bad.html").write_text("<pre>Traceback (most recent call last):\n  ...</pre>")
    assert buildbook.pages_with_tracebacks(tmp_path) == ["bad.html"]


def test_claims_page_shows_every_claim(built_book):
    from chasm import claims

    page = (built_book / "chapters" / "claims.html").read_text()
    missing = [cid for cid in claims.load_claims()["claim_id"] if cid not in page]
    assert missing == []
    assert page.count('class="chasm-chart"') >= 2


def test_provenance_page_lists_pins_and_commit(built_book):
    from chasm import provenance

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


# --- cache invalidation on a throw-away book --------------------------------

CONFIG = """\
title: tiny
author: tests
only_build_toc_files: true
execute:
  execute_notebooks: cache
  allow_errors: false
  stderr_output: warn
sphinx:
  extra_extensions: [chasm.sphinxext]
"""
TOC = "format: jb-book\nroot: intro\nchapters:\n- file: chapter\n"
CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Chapter

```{{code-cell}} ipython3
# chasm-inputs: value.csv
from pathlib import Path
with open({counter!r}, "a") as log:
    log.write("executed\\n")
print("the value is", Path("value.csv").read_text().strip())
```
"""


@pytest.fixture
def tiny_book(tmp_path, monkeypatch):
    root = tmp_path / "book"
    root.mkdir()
    counter = tmp_path / "executions.log"
    (root / "_config.yml").write_text(CONFIG)
    (root / "_toc.yml").write_text(TOC)
    (root / "intro.md").write_text("# Tiny\n")
    (root / "chapter.md").write_text(CHAPTER.format(counter=str(counter)))
    (root / "value.csv").write_text("41\n")
    monkeypatch.setenv("CHASM_ROOT", str(root))
    return root, tmp_path / "out", counter


def _executions(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_changed_input_reexecutes_and_unchanged_does_not(tiny_book):
    root, out, counter = tiny_book
    page = out / "_build" / "html" / "chapter.html"

    buildbook.build(out, root=root)
    assert "the value is 41" in page.read_text()
    assert _executions(counter) == 1

    (root / "value.csv").write_text("42\n")  # the code cell is unchanged
    buildbook.build(out, root=root)
    text = page.read_text()
    assert "the value is 42" in text and "the value is 41" not in text
    assert _executions(counter) == 2

    buildbook.build(out, root=root)  # nothing changed: served from the cache
    assert "the value is 42" in page.read_text()
    assert _executions(counter) == 2


# --- the input stamp ---------------------------------------------------------

def test_stamp_source_appends_the_digest_of_the_inputs(tmp_path):
    (tmp_path / "a.csv").write_text("1\n")
    text = "x = 1\n# chasm-inputs: a.csv\ny = 2\n"
    stamped, declared, digest = sphinxext.stamp_source(text, tmp_path)
    assert declared == ["a.csv"]
    expected = hashlib.sha256(b"a.csv\0" + b"1\n" + b"\0").hexdigest()
    assert digest == expected
    assert stamped == f"x = 1\n# chasm-inputs: a.csv | sha256={expected[:16]}\ny = 2\n"


def test_stamp_changes_with_content_and_is_idempotent(tmp_path):
    (tmp_path / "a.csv").write_text("1\n")
    text = "# chasm-inputs: a.csv\n"
    first, _, d1 = sphinxext.stamp_source(text, tmp_path)
    assert sphinxext.stamp_source(first, tmp_path)[0] == first  # re-stamping replaces, never stacks
    (tmp_path / "a.csv").write_text("2\n")
    second, _, d2 = sphinxext.stamp_source(text, tmp_path)
    assert d1 != d2 and first != second


def test_stamp_walks_folders_and_ignores_bytecode(tmp_path):
    pkg = tmp_path / "code"
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "m.py").write_text("A = 1\n")
    text = "# chasm-inputs: code\n"
    _, _, d1 = sphinxext.stamp_source(text, tmp_path)
    (pkg / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\x00")
    assert sphinxext.stamp_source(text, tmp_path)[2] == d1
    (pkg / "n.py").write_text("B = 2\n")
    assert sphinxext.stamp_source(text, tmp_path)[2] != d1


def test_stamp_leaves_undeclared_sources_alone(tmp_path):
    text = "# nothing declared here\nprint(1)\n"
    assert sphinxext.stamp_source(text, tmp_path) == (text, [], None)


def test_stamp_refuses_a_missing_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="chasm-inputs names 'gone.csv'"):
        sphinxext.stamp_source("# chasm-inputs: gone.csv\n", tmp_path)


def test_dynamic_inputs_follow_the_commit(tmp_path, monkeypatch):
    monkeypatch.setitem(sphinxext.DYNAMIC_INPUTS, "git:HEAD", lambda root: "aaaa")
    d1 = sphinxext.inputs_digest(["git:HEAD"], tmp_path)
    monkeypatch.setitem(sphinxext.DYNAMIC_INPUTS, "git:HEAD", lambda root: "bbbb")
    assert sphinxext.inputs_digest(["git:HEAD"], tmp_path) != d1


def test_offline_scripts_drop_thebe_and_duplicates():
    class Js(str):
        def __new__(cls, filename, body=""):
            obj = super().__new__(cls, filename)
            obj.filename, obj.attributes = filename, ({"body": body} if body else {})
            return obj

    scripts = [Js("vendor/vega.min.js"), Js("", 'const THEBE_JS_URL = "https://unpkg.com/thebe"'),
               Js("sphinx-thebe.js"), Js("vendor/vega.min.js"), Js("", "var x = 1")]
    kept = sphinxext.offline_scripts(scripts)
    assert [(k.filename, k.attributes.get("body", "")) for k in kept] == [
        ("vendor/vega.min.js", ""), ("", "var x = 1")]
