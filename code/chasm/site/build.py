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

__all__ = ["TRACEBACK_MARKERS", "pages_with_tracebacks", "build", "main"]

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


def build(out: Path, *, root: Path | None = None, all_pages: bool = False,
          toc: Path | None = None) -> Path:
    """Build the book into ``out/_build/html``; raise ``RuntimeError`` on failure.

    ``toc`` replaces ``_toc.yml`` (to build a subset of the chapters).
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
    proc = subprocess.run(cmd, cwd=root)
    html = Path(out) / "_build" / "html"
    if proc.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed with exit status {proc.returncode}")
    if not (html / "index.html").exists():
        raise RuntimeError(f"jupyter-book reported success but wrote no {html / 'index.html'}")
    bad = pages_with_tracebacks(html)
    if bad:
        raise RuntimeError(f"rendered tracebacks in: {', '.join(bad)}")
    return html


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
