"""Build the book strictly: ``python -m chasm.site.build --out DIR [--toc FILE] [--dump-glue FILE]``.

Runs Jupyter Book 1.x with ``-W --keep-going`` so that any Sphinx warning or
notebook error fails the build (the notebooks run with ``allow_errors: false``
and ``stderr_output: warn``, so even stray stderr output is an error), then
checks every rendered page for a traceback. Exit status 0 means a clean site
in ``DIR/_build/html``. ``--dump-glue FILE`` then writes what the pages show
(:func:`chasm.site.dump.book_values`: glued values, the numbers of each page's
text, digests of chart data) as JSON, to compare two builds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from chasm.core import paths

__all__ = ["TRACEBACK_MARKERS", "pages_with_tracebacks", "start", "finish", "build", "main"]

#: Markers that only appear in a page when a notebook error was rendered.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'class="output traceback', "ansi-red-fg")


def pages_with_tracebacks(html_dir: Path) -> list[str]:
    """Relative paths of built pages that contain a rendered traceback."""
    bad = []
    for page in sorted(Path(html_dir).rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        text = page.read_text(errors="replace")
        if any(m in text for m in TRACEBACK_MARKERS):
            bad.append(page.relative_to(html_dir).as_posix())
    return bad


def start(out: Path, *, root: Path | None = None, all_pages: bool = False, toc: Path | None = None,
          log: Path | None = None) -> subprocess.Popen:
    """Start the strict Jupyter Book build of ``root`` into ``out`` and return at once (the running
    process); :func:`finish` waits for it and checks the site. ``log``: a file for the build's output
    (default: this process's terminal). ``toc`` replaces ``_toc.yml`` (to build a subset of the chapters).
    """
    root = root or paths.repo_root()
    cmd = [
        # jupyter_book.cli.main has no __main__ guard, so `-m` would do nothing.
        sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build", str(root),
        "--path-output", str(out), "--warningiserror", "--keep-going", "--builder", "html",
    ]
    if toc is not None:
        cmd += ["--toc", str(toc)]
    if all_pages:
        cmd.append("--all")
    if log is None:
        return subprocess.Popen(cmd, cwd=root)
    with open(log, "wb") as sink:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, cwd=root, stdout=sink, stderr=subprocess.STDOUT)


def _log_tail(log: Path | None, lines: int = 80) -> str:
    if log is None or not Path(log).exists():
        return ""
    text = Path(log).read_text(errors="replace").splitlines()
    return "\nlast lines of the build's output (" + str(log) + "):\n" + "\n".join(text[-lines:])


def finish(proc: subprocess.Popen, out: Path, log: Path | None = None) -> Path:
    """Wait for a build started by :func:`start`; return ``out/_build/html``, or raise ``RuntimeError``
    (with the end of ``log``, where the warnings are) if the build failed, wrote no site, or rendered a
    traceback on any page."""
    returncode = proc.wait()
    html = Path(out) / "_build" / "html"
    if returncode != 0:
        raise RuntimeError(f"jupyter-book build failed with exit status {returncode}" + _log_tail(log))
    if not (html / "index.html").exists():
        raise RuntimeError(f"jupyter-book reported success but wrote no {html / 'index.html'}" + _log_tail(log))
    bad = pages_with_tracebacks(html)
    if bad:
        raise RuntimeError(f"rendered tracebacks in: {', '.join(bad)}")
    return html


def build(out: Path, *, root: Path | None = None, all_pages: bool = False,
          toc: Path | None = None, log: Path | None = None) -> Path:
    """Build the book into ``out/_build/html`` and wait for it (:func:`start`, then :func:`finish`);
    raise ``RuntimeError`` on failure."""
    return finish(start(out, root=root, all_pages=all_pages, toc=toc, log=log), out, log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="book", help="output folder (site goes to OUT/_build/html)")
    parser.add_argument("--all", action="store_true", help="re-read every page")
    parser.add_argument("--toc", help="table of contents to use instead of _toc.yml")
    parser.add_argument("--dump-glue", metavar="FILE",
                        help="after the build, write every glued value, each page's numbers and chart-data digests "
                             "as JSON to FILE")
    args = parser.parse_args(argv)
    try:
        html = build(Path(args.out).resolve(), all_pages=args.all,
                     toc=Path(args.toc).resolve() if args.toc else None)
    except RuntimeError as exc:
        print(f"book build FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"book built: {html / 'index.html'}")
    if args.dump_glue:
        import json

        from chasm.site.dump import book_values

        Path(args.dump_glue).write_text(json.dumps(book_values(html.parent), indent=1, ensure_ascii=False))
        print(f"values of every page: {args.dump_glue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
