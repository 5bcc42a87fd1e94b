"""Sphinx extension: re-execute a chapter whenever the files it reads change.

Jupyter Book's cache (jupyter-cache) keys a notebook on its code cells only, so
a chapter whose code is unchanged would keep showing numbers computed from old
``data/`` or old ``code/``. Each chapter therefore declares what it reads, on a
line of its first code cell::

    # chasm-inputs: data/claims.csv data/claims.schema.yaml chasm.report.claims

A token that names a module of the package (``chasm.report.claims``) stands for the source of that
module and of every package module it imports, directly or not (:func:`module_closure`, read from the
import statements), so a chapter declares the modules it calls and an edit re-executes exactly the
chapters whose code it can change. Besides paths and modules, two tokens name inputs that are not files: ``git:HEAD`` (the
commit the build runs from, see :func:`chasm.core.provenance.git_commit`) and
``env:versions`` (Python's version and the installed version of every package
pinned in ``requirements.txt``). The provenance page declares both, so it never
shows a stale commit or stale versions.

When Sphinx reads the chapter, this extension appends the SHA-256 of those
files (folders are walked) to that line, so the code cell, and with it the
cache key, changes whenever an input does. It also tells Sphinx that a chapter
is outdated when the digest of its inputs differs from the one stored at the
last build, so incremental builds re-read (and re-execute) it too.

The same declaration says which data a page is built from, so each page that declares files of ``data/``
ends with a list, "Data behind this page", of links to them (each table's CSV file with its schema), and
the build copies those files, every table of ``data/`` and ``datapackage.json`` (generated afresh from
the schemas, :mod:`chasm.site.datapackage`) into the site under the same paths (``data/...``), so that a
reader can download them, and a Frictionless tool can read the site's package as it is.
"""

from __future__ import annotations

import ast
import hashlib
import html
import re
import shutil
from pathlib import Path

from chasm.core import paths, provenance
from chasm.core.data import schema_path
from chasm.site import datapackage

__all__ = ["MARKER", "MODULE", "module_file", "package_imports", "module_closure", "DYNAMIC_INPUTS", "inputs_digest",
           "declared_inputs", "stamp_source", "OFFLINE_DROPPED_SCRIPTS",
           "OFFLINE_DROPPED_MARKERS", "offline_scripts", "DATA_PREFIX", "DATA_SECTION_ID", "page_data_files",
           "data_section_html", "site_data_files", "copy_data_files", "setup"]

MARKER = re.compile(r"^(?P<lead>[ \t]*#[ \t]*chasm-inputs:)(?P<paths>[^\n|]*)(?:\|[^\n]*)?$", re.M)
IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
IGNORED_SUFFIXES = {".pyc", ".pyo"}


#: A token of ``chasm-inputs`` that names a module of the package, e.g. ``chasm.report.scaling``.
MODULE = re.compile(r"^chasm(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def module_file(root: Path, module: str) -> Path:
    """The source file of ``module`` (``chasm.x.y``) under ``root/code`` (a package's ``__init__.py``)."""
    base = root / "code" / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"chasm-inputs names module {module!r}, which has no source under {root / 'code'}")


def package_imports(root: Path, path: Path | None = None, *, source: str | None = None) -> set[str]:
    """Modules of the package that a source file ``path`` (or the text ``source``) imports, at any depth
    (module level or inside functions): ``import chasm.x``, ``from chasm.x import y`` (the module
    ``chasm.x.y`` when ``y`` is one, else ``chasm.x``). Only names with a source file under
    ``root/code`` are returned."""
    found: set[str] = set()

    def exists(name: str) -> bool:
        try:
            module_file(root, name)
        except FileNotFoundError:
            return False
        return True

    for node in ast.walk(ast.parse(path.read_text() if source is None else source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "chasm" and exists(a.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "chasm":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if exists(sub) else node.module)
    return {name for name in found if exists(name)}


def module_closure(root: Path, module: str) -> list[Path]:
    """Source files of ``module``, of every package module it imports, directly or not, and of the
    packages that contain them (their ``__init__.py`` runs on import)."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in seen:
                continue
            try:
                path = module_file(root, prefix)
            except FileNotFoundError:
                if prefix == name and name == module:
                    raise
                continue  # ``from chasm.x import name`` where name is not a module
            seen[prefix] = path
            todo.extend(package_imports(root, path))
    return sorted(set(seen.values()))


def _files(root: Path, relative: str) -> list[Path]:
    if MODULE.match(relative):
        return module_closure(root, relative)
    target = root / relative
    if not target.exists():
        raise FileNotFoundError(f"chasm-inputs names {relative!r}, which does not exist under {root}")
    if target.is_file():
        return [target]
    return sorted(
        p
        for p in target.rglob("*")
        if p.is_file() and not (IGNORED_PARTS & set(p.parts)) and p.suffix not in IGNORED_SUFFIXES
    )


def _git_head(root: Path) -> str:
    return provenance.git_commit(root)


def _versions(root: Path) -> str:
    import platform

    pins = provenance.pinned_versions(root / "requirements.txt")
    return platform.python_version() + "".join(f"|{p['package']}={p['installed']}" for p in pins)


#: Inputs that are not files: token -> function(root) returning their current value.
DYNAMIC_INPUTS = {"git:HEAD": _git_head, "env:versions": _versions}


def inputs_digest(relative_paths: list[str], root: Path | None = None) -> str:
    """SHA-256 over the names and contents of the given files and folders
    (and the current values of the tokens in :data:`DYNAMIC_INPUTS`)."""
    root = root or paths.repo_root()
    h = hashlib.sha256()
    for rel in sorted(relative_paths):
        if rel in DYNAMIC_INPUTS:
            h.update(f"{rel}\0{DYNAMIC_INPUTS[rel](root)}\0".encode())
            continue
        for f in _files(root, rel):
            h.update(f.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(f.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def declared_inputs(text: str) -> list[str]:
    """The paths named on ``chasm-inputs`` lines of a chapter's source."""
    out: list[str] = []
    for m in MARKER.finditer(text):
        out.extend(m.group("paths").split())
    return out


def stamp_source(text: str, root: Path | None = None) -> tuple[str, list[str], str | None]:
    """Return ``text`` with each ``chasm-inputs`` line carrying its digest."""
    declared = declared_inputs(text)
    if not declared:
        return text, [], None
    digest = inputs_digest(declared, root)

    def repl(m: re.Match) -> str:
        return f"{m.group('lead')}{m.group('paths').rstrip()} | sha256={digest[:16]}"

    return MARKER.sub(repl, text), declared, digest


def _source_read(app, docname, source):
    text, declared, digest = stamp_source(source[0])
    if digest is None:
        return
    source[0] = text
    store = app.env.__dict__.setdefault("chasm_inputs", {})
    store[docname] = (declared, digest)


def _outdated(app, env, added, changed, removed):
    store = env.__dict__.get("chasm_inputs", {})
    stale = []
    for docname, (declared, digest) in list(store.items()):
        if docname in removed or docname in changed:
            continue
        try:
            current = inputs_digest(declared)
        except FileNotFoundError:
            current = None
        if current != digest:
            stale.append(docname)
    return stale


def _purge(app, env, docname):
    env.__dict__.get("chasm_inputs", {}).pop(docname, None)


def _merge(app, env, docnames, other):
    store = env.__dict__.setdefault("chasm_inputs", {})
    for d in docnames:
        if d in other.__dict__.get("chasm_inputs", {}):
            store[d] = other.chasm_inputs[d]


#: Scripts that cannot work offline and are never used here: sphinx-thebe (which
#: Jupyter Book always loads) would fetch thebe from unpkg.com, and its inline
#: configuration is emitted twice on some pages ("THEBE_JS_URL has already been
#: declared" in the browser console).
OFFLINE_DROPPED_SCRIPTS = ("sphinx-thebe.js",)
OFFLINE_DROPPED_MARKERS = ("THEBE_JS_URL",)


def offline_scripts(scripts: list) -> list:
    """``scripts`` without duplicates and without the network-only thebe loader."""
    kept, seen = [], set()
    for js in scripts:
        filename = getattr(js, "filename", None) or ""
        body = (getattr(js, "attributes", None) or {}).get("body", "")
        if filename.endswith(OFFLINE_DROPPED_SCRIPTS) or any(m in body for m in OFFLINE_DROPPED_MARKERS):
            continue
        key = (filename or str(js), body)
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    return kept


#: Declared inputs under this folder are offered for download on the page that declares them.
DATA_PREFIX = "data/"
#: The ``id`` of the list of downloads appended to a page's body.
DATA_SECTION_ID = "data-behind-this-page"


def page_data_files(declared: list[str], root: Path | None = None) -> list[tuple[str, str | None]]:
    """What a page that declares ``declared`` offers for download, in the order declared: ``(file, the
    schema beside it or None)`` for each declared file of ``data/``; a table's schema goes with its CSV
    file rather than on a line of its own."""
    root = root or paths.repo_root()
    files = [t for t in dict.fromkeys(declared) if t.startswith(DATA_PREFIX) and (root / t).is_file()]

    def schema_of(rel: str) -> str | None:
        schema = schema_path(root / rel)
        return schema.relative_to(root).as_posix() if rel.endswith(".csv") and schema.is_file() else None

    paired = {schema_of(f) for f in files} - {None}
    return [(f, schema_of(f)) for f in files if f not in paired]


def data_section_html(files: list[tuple[str, str | None]], href, package: str | None = None) -> str:
    """The "Data behind this page" list, as HTML: a download link to each file (and to its schema);
    ``href`` maps a path relative to the site's root to a link relative to the page; ``package``, when
    given, is the path of ``datapackage.json``, linked too. Empty when there are no files."""
    if not files:
        return ""

    def link(rel: str, label: str) -> str:
        return f'<a class="reference download" href="{html.escape(href(rel))}" download>{label}</a>'

    items = [f"<li>{link(f, f'<code>{html.escape(f)}</code>')}"
             + (f" ({link(schema, 'schema')})" if schema is not None else "") + "</li>" for f, schema in files]
    text = ("The data this page is computed from, to download: each table as a CSV file, with the schema that "
            "gives each column's type, unit and meaning.")
    if package is not None:
        text += f" {link(package, f'<code>{html.escape(package)}</code>')} describes every table for Frictionless Data tools."
    return (f'<section class="chasm-data" id="{DATA_SECTION_ID}">\n<p class="rubric">Data behind this page</p>\n'
            f'<p>{text}</p>\n<ul class="simple">\n' + "\n".join(items) + "\n</ul>\n</section>\n")


def _has_tables(root: Path) -> bool:
    return (root / "data").is_dir() and any((root / "data").rglob("*.csv"))


def site_data_files(declared_by_page: dict[str, list[str]], root: Path | None = None) -> list[str]:
    """Files the site must carry, relative to ``root``: every file of ``data/`` a page declares, with the
    schema of each declared table, every table of ``data/`` with its schema (the package names them all)
    and, when ``data/`` has tables, ``datapackage.json``."""
    root = root or paths.repo_root()
    wanted: set[str] = set()
    for declared in declared_by_page.values():
        for path, schema in page_data_files(declared, root):
            wanted.add(path)
            if schema is not None:
                wanted.add(schema)
    tables = datapackage.table_files(root) if _has_tables(root) else []
    for table in tables:
        wanted |= {table, schema_path(root / table).relative_to(root).as_posix()}
    if tables:
        wanted.add(datapackage.PACKAGE_FILE)
    return sorted(wanted)


def copy_data_files(outdir: Path, declared_by_page: dict[str, list[str]], root: Path | None = None) -> list[str]:
    """Copy :func:`site_data_files` into the built site ``outdir`` under the same relative paths
    (``datapackage.json`` is written afresh from the schemas); return the paths written."""
    root = root or paths.repo_root()
    files = site_data_files(declared_by_page, root)
    for rel in files:
        target = Path(outdir) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel == datapackage.PACKAGE_FILE:
            datapackage.write(target, root)
        else:
            shutil.copyfile(root / rel, target)
    return files


def _declared_by_page(env) -> dict[str, list[str]]:
    return {doc: declared for doc, (declared, _) in env.__dict__.get("chasm_inputs", {}).items()}


def _page_context(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = offline_scripts(context["script_files"])
    declared = _declared_by_page(app.env).get(pagename)
    if declared and "body" in context and "pathto" in context:
        files = page_data_files(declared)
        package = datapackage.PACKAGE_FILE if files and _has_tables(paths.repo_root()) else None
        context["body"] += data_section_html(files, lambda rel: context["pathto"](rel, 1), package)


def _build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        copy_data_files(Path(app.outdir), _declared_by_page(app.env))


def setup(app):
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _build_finished)
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
