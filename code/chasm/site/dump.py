"""What a built book shows, as data: every glued value, every number in each page's text, and a
digest of every chart's data.

:func:`book_values` reads a built site (``<out>/_build``) and returns, per page, the values
glued into it (``glue``), the numbers in its text in reading order (``numbers``; scripts and
styles left out) and, per chart, its title and a SHA-256 of each dataset it draws (``charts``).
``python -m chasm.site.build --dump-glue FILE`` writes it as JSON, so two builds can be compared:
a refactoring that changes nothing for the reader leaves the dump unchanged, apart from the numbers
of live runs (a proof timed at build time).
"""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["NUMBER", "book_values", "page_numbers", "chart_digests", "glued_values", "compare"]

#: A number as pages print it: optional sign, digits with thousands separators, decimals, an
#: exponent, or Unicode superscript digits (2¹⁵).
NUMBER = re.compile(r"[−-]?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?|[⁰¹²³⁴⁵⁶⁷⁸⁹]+")

_EMBED = re.compile(r'vegaEmbed\("#[^"]+", (\{.*?\}), \{"actions"', re.S)


class _ArticleText(HTMLParser):
    """Collects the text inside ``<article>``, leaving out scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        elif tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if self.depth > 0 and self.skip == 0:
            self.parts.append(data)


def page_numbers(html: str) -> list[str]:
    """The numbers in a page's article text, in reading order (as printed)."""
    parser = _ArticleText()
    parser.feed(html)
    return NUMBER.findall(" ".join(parser.parts))


def chart_digests(html: str) -> list[dict]:
    """Per chart of a page: its title and the SHA-256 (16 hex digits) of each dataset it draws."""
    out = []
    for m in _EMBED.finditer(html):
        spec = json.loads(m.group(1))
        title = spec.get("title")
        if isinstance(title, dict):
            title = title.get("text")
        datasets = spec.get("datasets", {})
        out.append({"title": title, "datasets": sorted(
            hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:16] for v in datasets.values())})
    return out


def glued_values(build_dir: Path) -> dict[str, dict[str, str]]:
    """``{page: {name: text}}`` of every value glued by the executed notebooks of a build."""
    out: dict[str, dict[str, str]] = {}
    root = Path(build_dir) / "jupyter_execute"
    for path in sorted(root.rglob("*.glue.json")):
        page = path.relative_to(root).as_posix().removesuffix(".glue.json")
        glued = json.loads(path.read_text())
        out[page] = {name: "".join(entry.get("data", {}).get("text/plain", "")) for name, entry in sorted(glued.items())}
    return out


def book_values(build_dir: Path) -> dict:
    """Per page of a built book (``build_dir`` = ``<out>/_build``): ``glue``, ``numbers`` and ``charts``."""
    build_dir = Path(build_dir)
    html_dir = build_dir / "html"
    glue = glued_values(build_dir)
    pages = {}
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir)
        if rel.parts[0] in ("_static", "_sources") or rel.name in ("genindex.html", "search.html"):
            continue
        page = rel.as_posix().removesuffix(".html")
        html = path.read_text(errors="replace")
        pages[page] = {"glue": glue.get(page, {}), "numbers": page_numbers(html), "charts": chart_digests(html)}
    return pages


def compare(before: dict, after: dict) -> list[str]:
    """Differences between two dumps, one line each (empty when the reader sees the same values)."""
    lines = []
    for page in sorted(set(before) | set(after)):
        if page not in after or page not in before:
            lines.append(f"{page}: only in the {'first' if page in before else 'second'} dump")
            continue
        b, a = before[page], after[page]
        for name in sorted(set(b["glue"]) & set(a["glue"])):
            if b["glue"][name] != a["glue"][name]:
                lines.append(f"{page}: glue {name}: {b['glue'][name]} -> {a['glue'][name]}")
        if sorted(b["numbers"]) != sorted(a["numbers"]):
            from collections import Counter

            lost, gained = Counter(b["numbers"]) - Counter(a["numbers"]), Counter(a["numbers"]) - Counter(b["numbers"])
            lines.append(f"{page}: numbers only before: {sorted(lost.elements())}; only after: {sorted(gained.elements())}")
        if sorted(map(json.dumps, b["charts"])) != sorted(map(json.dumps, a["charts"])):
            lines.append(f"{page}: chart data differ")
    return lines
