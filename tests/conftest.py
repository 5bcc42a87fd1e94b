"""Shared fixtures.

``built_book`` builds the whole book once per test session, from scratch
(a fresh output folder, so a fresh execution cache), with the same strict
settings as ``make book``, and returns the folder holding the HTML site.
The build starts in the background as soon as the tests are collected (when
any selected test needs it), so its notebooks run beside the other tests on
the second core; its output goes to ``build.log`` in its folder, whose end a
failed build shows.
Set ``CHASM_TOC`` to a table-of-contents file to build a subset of the
chapters instead of ``_toc.yml`` (useful while writing a chapter), or
``CHASM_BUILT_BOOK`` to the html folder of a book already built with
``python -m chasm.site.build`` to test that site instead of building one
(useful while writing the site's tests; CI never sets it).

``tiny_mlp_proof`` is one real ezkl proof of the smallest MLP, made once per
session and shared by the tests that read a proof's record or artefacts
(verification, tampering, the rows model): each of them used to prove the
same circuit again.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from chasm.core import paths
from chasm.site import build as buildbook


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The compendium's root folder."""
    return paths.repo_root()


_BOOK: dict = {}  # the background build: out, log, proc


def pytest_collection_finish(session) -> None:
    """Start the book build once the selected tests are known, if any of them needs ``built_book``."""
    if os.environ.get("CHASM_BUILT_BOOK") or not any("built_book" in getattr(item, "fixturenames", ())
                                                     for item in session.items):
        return
    out = session.config._tmp_path_factory.mktemp("book")
    toc = os.environ.get("CHASM_TOC")
    log = out / "build.log"
    _BOOK.update(out=out, log=log, proc=buildbook.start(out, toc=Path(toc).resolve() if toc else None, log=log))


def pytest_sessionfinish(session, exitstatus) -> None:
    """A run stopped early (``-x``, Ctrl-C) leaves no build running behind it."""
    proc = _BOOK.get("proc")
    if proc is None or proc.poll() is not None:
        return
    import psutil

    with contextlib.suppress(psutil.Error):
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]  # its kernels too
        for p in family:
            with contextlib.suppress(psutil.Error):
                p.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The book built from scratch into a temporary folder (started at collection); its html folder."""
    ready = os.environ.get("CHASM_BUILT_BOOK")
    if ready:
        html = Path(ready).resolve()
        if not (html / "index.html").is_file():
            pytest.fail(f"CHASM_BUILT_BOOK={ready} holds no built site (no index.html)")
        return html
    if "proc" not in _BOOK:  # requested without being collected first (e.g. by a plugin): build now
        out = tmp_path_factory.mktemp("book")
        toc = os.environ.get("CHASM_TOC")
        _BOOK.update(out=out, log=out / "build.log",
                     proc=buildbook.start(out, toc=Path(toc).resolve() if toc else None, log=out / "build.log"))
    return buildbook.finish(_BOOK["proc"], _BOOK["out"], _BOOK["log"])


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


@pytest.fixture(scope="session")
def _tiny_mlp_proof_run(tmp_path_factory):
    from chasm.core.specs import ModelSpec
    from chasm.experiments import prove
    from chasm.experiments.models import build

    workdir = tmp_path_factory.mktemp("mlp-proof")
    model, x = build(ModelSpec("mlp", {"width": 8, "depth": 1}))
    t0 = time.perf_counter()
    record = prove.prove(model, x, settings=prove.ProveSettings(threads=2), workdir=workdir, keep=True)
    return record, workdir, time.perf_counter() - t0


@pytest.fixture(scope="module")
def tiny_mlp_proof(_tiny_mlp_proof_run):
    """One real proof of a tiny MLP (width 8, depth 1; two threads; made once per session), artefacts kept:
    ``(record, workdir)``, the record a copy (one per test module) of the one ``prove`` returned. Tests that write into ``workdir``
    (tampered copies) use names of their own and never change the honest ``proof.json``, ``settings.json``
    or keys."""
    record, workdir, _ = _tiny_mlp_proof_run
    return dict(record), workdir


@pytest.fixture(scope="module")
def tiny_mlp_proof_wall_s(_tiny_mlp_proof_run) -> float:
    """The wall time (s) the test process saw around :func:`tiny_mlp_proof`'s proof."""
    return _tiny_mlp_proof_run[2]
