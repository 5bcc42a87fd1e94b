"""Sphinx extension: re-execute a chapter whenever the files it reads change.

Jupyter Book's cache (jupyter-cache) keys a notebook on its code cells only, so
a chapter whose code is unchanged would keep showing numbers computed from old
``data/`` or old ``code/``. Each chapter therefore declares what it reads, on a
line of its first code cell::

    # chasm-inputs: data/claims.csv data/claims.schema.yaml code/chasm

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


def inputs_digest(relative_paths: list[str], root: Path | None = None) -> str:
    """SHA-256 over the names and contents of the given files and folders."""
    root = root or paths.repo_root()
    h = hashlib.sha256()
    for rel in sorted(relative_paths):
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


def setup(app):
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
