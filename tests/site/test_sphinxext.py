"""chasm.site.sphinxext: declared inputs are digested, and a changed input re-executes its chapter."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from chasm.core import paths
from chasm.site import build, sphinxext

CONFIG = """\
title: tiny
author: tests
only_build_toc_files: true
execute:
  execute_notebooks: cache
  allow_errors: false
  stderr_output: warn
sphinx:
  extra_extensions: [chasm.site.sphinxext]
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


@pytest.mark.slow
def test_changed_input_reexecutes_and_unchanged_does_not(tiny_book):
    root, out, counter = tiny_book
    page = out / "_build" / "html" / "chapter.html"

    build.build(out, root=root)
    assert "the value is 41" in page.read_text()
    assert _executions(counter) == 1

    (root / "value.csv").write_text("42\n")  # the code cell is unchanged
    build.build(out, root=root)
    text = page.read_text()
    assert "the value is 42" in text and "the value is 41" not in text
    assert _executions(counter) == 2

    build.build(out, root=root)  # nothing changed: served from the cache
    assert "the value is 42" in page.read_text()
    assert _executions(counter) == 2


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


CHAPTERS = sorted((paths.repo_root() / "chapters").glob("*.md")) + [paths.repo_root() / "book" / n for n in ("intro.md", "provenance.md")]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.M | re.S)


def code_cells(text: str) -> str:
    """The Python of a MyST notebook's code cells (cell options dropped)."""
    return "\n".join("\n".join(line for line in cell.splitlines() if not line.startswith(":"))
                     for cell in CELL.findall(text))


def tables_read(root: Path, files: list[Path]) -> set[str]:
    """Tables of data/ (paths relative to the repository) that the given modules name: the table
    constants of chasm.core.constants they import, and string literals ending in .csv."""
    from chasm.core import constants

    names = {n: getattr(constants, n) for n in dir(constants) if n.isupper()
             and isinstance(getattr(constants, n), str) and getattr(constants, n).endswith((".csv", ".yaml"))}
    found = set()
    for path in files:
        if path.name == "constants.py" and path.parent.name == "core":
            continue  # defines the names; the modules that import them read the tables
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "chasm.core.constants":
                found |= {names[a.name] for a in node.names if a.name in names}
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".csv") \
                    and "/" not in node.value.strip("/").split("measurements/")[-1]:
                if (root / "data" / node.value).exists():
                    found.add(node.value)
    return {f"data/{t}" for t in found}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_declares_what_it_imports_and_reads(chapter):
    """Each chasm module a chapter's code imports is declared or in the closure of a declared module;
    the tables its modules read are declared with their schemas, and no other table is; nothing declared
    does not exist."""
    root = paths.repo_root()
    text = chapter.read_text()
    declared = sphinxext.declared_inputs(text)
    assert declared and "code/chasm" not in declared, "declare data files and modules, not the whole package"
    covered = {f for token in declared if sphinxext.MODULE.match(token) for f in sphinxext.module_closure(root, token)}
    for module in sphinxext.package_imports(root, source=code_cells(text)):
        assert sphinxext.module_file(root, module) in covered, f"{chapter.name} imports {module} undeclared"
    for token in declared:
        if not (sphinxext.MODULE.match(token) or token in sphinxext.DYNAMIC_INPUTS):
            assert (root / token).exists(), token
    declared_tables = {t for t in declared if t.startswith("data/") and t.endswith(".csv")}
    read = tables_read(root, sorted(covered))
    undeclared = read - set(declared)
    assert undeclared == set(), f"modules the chapter runs read undeclared data: {sorted(undeclared)}"
    unread = declared_tables - read
    assert unread == set(), f"{chapter.name} declares data no module it runs reads: {sorted(unread)}"
    for table in declared_tables:
        assert table.removesuffix(".csv") + ".schema.yaml" in declared, f"{table} without its schema"


def test_the_declaration_check_sees_an_aliased_module_import():
    source = "from chasm.report import scaling as sc\nimport chasm.core.fmt\n"
    assert sphinxext.package_imports(paths.repo_root(), source=source) == {"chasm.report.scaling", "chasm.core.fmt"}


def test_module_closure_follows_imports_inside_functions():
    root = paths.repo_root()
    closure = {p.relative_to(root / "code").as_posix() for p in sphinxext.module_closure(root, "chasm.laws.predict")}
    assert "chasm/laws/predict.py" in closure and "chasm/core/data.py" in closure
    assert "chasm/costmodel/frontier.py" in closure  # imported inside frontier_chunks
    assert not any(p.startswith("chasm/experiments/") for p in closure)
    with pytest.raises(FileNotFoundError, match="no source"):
        sphinxext.module_closure(root, "chasm.nowhere")


# --- downloads: "Data behind this page" -------------------------------------------------------------

HREF = re.compile(r'href="([^"]+)"')


def data_links(page: Path) -> list[str]:
    """The links of a built page's "Data behind this page" list, as written (relative to the page)."""
    text = page.read_text()
    start = text.find(f'id="{sphinxext.DATA_SECTION_ID}"')
    if start < 0:
        return []
    return HREF.findall(text[start:text.index("</section>", start)])


def test_page_data_files_pairs_each_table_with_its_schema(tmp_path):
    (tmp_path / "data" / "m").mkdir(parents=True)
    for name in ("data/a.csv", "data/a.schema.yaml", "data/m/b.csv", "data/m/b.schema.yaml", "data/p.yaml", "x.csv"):
        (tmp_path / name).write_text("1\n")
    declared = ["data/a.schema.yaml", "data/a.csv", "data/m/b.csv", "data/p.yaml", "x.csv", "chasm.core.fmt",
                "git:HEAD", "data/a.csv"]
    assert sphinxext.page_data_files(declared, tmp_path) == [
        ("data/a.csv", "data/a.schema.yaml"), ("data/m/b.csv", "data/m/b.schema.yaml"), ("data/p.yaml", None)]
    assert sphinxext.page_data_files(["requirements.txt", "git:HEAD"], tmp_path) == []


def test_data_section_links_every_file_relative_to_the_page():
    files = [("data/a.csv", "data/a.schema.yaml"), ("data/p.yaml", None)]
    section = sphinxext.data_section_html(files, lambda rel: "../" + rel, "datapackage.json")
    assert HREF.findall(section) == ["../datapackage.json", "../data/a.csv", "../data/a.schema.yaml", "../data/p.yaml"]
    assert "Data behind this page" in section and section.count("download>") == 4
    assert sphinxext.data_section_html([], str) == ""


TINY_SCHEMA = """\
name: t
description: A tiny table.
primary_key: [k]
columns:
- {name: k, type: str, unit: '-', description: Key}
- {name: v, type: int, unit: s, description: Value}
"""


def test_a_built_page_links_its_data_and_the_site_carries_it(tmp_path, monkeypatch):
    """A tiny Sphinx project with the extension: the page that declares data lists a download link to each
    declared file, every link resolves to a file of the built site, and the page that declares nothing
    has no list."""
    from sphinx.cmd.build import build_main

    src, out = tmp_path / "src", tmp_path / "out"
    (src / "data").mkdir(parents=True)
    (src / "chapters").mkdir()
    (src / "conf.py").write_text('extensions = ["chasm.site.sphinxext"]\nproject = "tiny"\n')
    (src / "index.rst").write_text("Tiny\n====\n\n.. toctree::\n\n   chapters/page\n")
    (src / "chapters" / "page.rst").write_text(
        "Page\n====\n\n..\n   # chasm-inputs: data/t.csv data/t.schema.yaml data/profiles.yaml\n\nText.\n")
    (src / "data" / "t.csv").write_text("k,v\na,1\n")
    (src / "data" / "t.schema.yaml").write_text(TINY_SCHEMA)
    (src / "data" / "unused.csv").write_text("k,v\nb,2\n")
    (src / "data" / "unused.schema.yaml").write_text(TINY_SCHEMA)
    (src / "data" / "profiles.yaml").write_text("quick: []\n")
    monkeypatch.setenv("CHASM_ROOT", str(src))
    assert build_main(["-W", "--keep-going", "-q", "-b", "html", str(src), str(out)]) == 0

    page = out / "chapters" / "page.html"
    links = data_links(page)
    assert links == ["../datapackage.json", "../data/t.csv", "../data/t.schema.yaml", "../data/profiles.yaml"]
    for link in links:
        assert (page.parent / link).resolve().is_file(), link
    assert data_links(out / "index.html") == []
    # the site's package names every table of data/, and the site carries them all
    package = json.loads((out / "datapackage.json").read_text())
    assert [r["path"] for r in package["resources"]] == ["data/t.csv", "data/unused.csv"]
    assert (out / "data" / "unused.csv").is_file() and (out / "data" / "unused.schema.yaml").is_file()


def test_every_table_of_data_is_offered_by_a_page_of_the_book():
    """Each table of data/ is declared, hence offered for download, by at least one page of _toc.yml."""
    root = paths.repo_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    docs = [toc["root"]] + [c["file"] for part in toc.get("parts", [toc]) for c in part.get("chapters", [])]
    declared = {t for doc in docs for t in sphinxext.declared_inputs((root / f"{doc}.md").read_text())}
    tables = {p.relative_to(root).as_posix() for p in (root / "data").rglob("*.csv")}
    assert tables - declared == set()


@pytest.mark.slow
def test_built_pages_link_their_declared_data(built_book, site_pages):
    """In the built book, every page that declares files of data/ links each of them, and each link
    resolves to a file of the site; the site carries datapackage.json."""
    root = paths.repo_root()
    assert (built_book / "datapackage.json").is_file()
    checked = 0
    for rel in site_pages:
        source = root / rel.replace(".html", ".md")
        if not source.is_file():
            continue
        files = sphinxext.page_data_files(sphinxext.declared_inputs(source.read_text()), root)
        page = built_book / rel
        links = data_links(page)
        for path, schema in files:
            for f in filter(None, (path, schema)):
                assert any(link.endswith(f) for link in links), f"{rel} does not link {f}"
        for link in links:
            assert (page.parent / link).resolve().is_file(), f"{rel} links {link}, missing from the site"
        checked += bool(files)
    assert checked >= 6
