"""Sphinx extension: re-execute a chapter whenever the files it reads change.

Jupyter Book's cache (jupyter-cache) keys a notebook on its code cells only, so
a chapter whose code is unchanged would keep showing numbers computed from old
``data/`` or old ``code/``. Each chapter therefore declares what it reads, on a
line of its first code cell::

    # chasm-inputs: data/claims.csv data/claims.schema.yaml code/chasm

Besides paths, two tokens name inputs that are not files: ``git:HEAD`` (the
commit the build runs from, see :func:`chasm.provenance.git_commit`) and
``env:versions`` (Python's version and the installed version of every package
pinned in ``requirements.txt``). The provenance page declares both, so it never
shows a stale commit or stale versions.

When Sphinx reads the chapter, this extension appends the SHA-256 of those
files (folders are walked) to that line, so the code cell, and with it the
cache key, changes whenever an input does. It also tells Sphinx that a chapter
is outdated when the digest of its inputs differs from the one stored at the
last build, so incremental builds re-read (and re-execute) it too.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from chasm import paths

MARKER = re.compile(r"^(?P<lead>[ \t]*#[ \t]*chasm-inputs:)(?P<paths>[^\n|]*)(?:\|[^\n]*)?$", re.M)
IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
IGNORED_SUFFIXES = {".pyc", ".pyo"}


def _files(root: Path, relative: str) -> list[Path]:
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
    from chasm import provenance

    return provenance.git_commit(root)


def _versions(root: Path) -> str:
    import platform

    from chasm import provenance

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


def _page_context(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = offline_scripts(context["script_files"])


def setup(app):
    app.connect("html-page-context", _page_context)
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
