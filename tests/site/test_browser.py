"""The built site in a real browser, with no network.

Serves the site built by the ``built_book`` fixture on 127.0.0.1, opens every
page in headless Chromium (Debian's ``chromium``; ``make test`` installs it
when missing) with every request to anything but the loopback address
aborted, and checks each page for console errors, failed requests, charts
that did not draw and charts wider than their column, at a desktop width
(1,280 px) and a phone width (390 px). Saves a screenshot of every page at
both widths under ``test-output/screenshots/`` (whole pages for the front, what-if and proving pages,
the first screen of the others). On the what-if page it moves
a slider and compares the number shown with Python's pricing."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import urllib.parse
from pathlib import Path
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, sync_playwright

pytestmark = pytest.mark.slow



CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


CHART_TIMEOUT_MS = 60_000
#: How long a page may take to load and fall quiet: generous, since CI's two cores may still be busy; a page that
#: never loads still fails (this is a readiness wait, not a timing assertion).
PAGE_TIMEOUT_MS = 60_000


CLAIMS_PAGE = "chapters/claims.html"
WHATIF_PAGE = "chapters/whatif.html"
#: Viewport widths every page is checked at: a laptop and a phone (CSS pixels).
WIDTHS = (1280, 390)
#: A chart may overhang its column by this many CSS pixels (sub-pixel rounding), no more.
OVERHANG_PX = 1.0
#: Pages screenshotted whole (the others: their first screen, which is quicker): the front page, the what-if
#: page and the page with the most faceted charts.
FULL_PAGE_SHOTS = ("index.html", "book/intro.html", WHATIF_PAGE, "chapters/proving.html")


def chromium_path() -> str:
    """Debian's chromium; fail clearly when it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Debian's chromium is not installed: run `make browser` (part of `make test`)")
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site_url(built_book):
    """Serve the built site on a free loopback port for the module's tests."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def is_loopback(url: str) -> bool:
    parsed = urllib.parse.urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOOPBACK_HOSTS


_WIDE_CHARTS = (
    "(over) => { const col = document.querySelector('main') || document.body;"
    " const right = col.getBoundingClientRect().right;"
    " return [...document.querySelectorAll('.chasm-chart')].map(d => {"
    "  const box = d.getBoundingClientRect(); const g = d.querySelector('svg, canvas');"
    "  const w = g ? g.getBoundingClientRect().width : 0;"
    "  return {id: d.id, chart: w, box: box.width, scroll: d.scrollWidth - d.clientWidth,"
    "          past: box.right - right}; })"
    " .filter(c => c.chart > c.box + over || c.scroll > over || c.past > over); }"
)


def visit(browser, url: str, screenshots: dict[int, Path] | None = None,
          widths: tuple[int, ...] = (1280,)) -> dict[str, list[str]]:
    """Open ``url`` offline at the first of ``widths`` (CSS px), then resize to each of the others;
    return the problems seen, by kind. ``screenshots`` maps a width to the file its screenshot goes to."""
    problems: dict[str, list[str]] = {"console": [], "failed": [], "blocked": [], "charts": [], "width": []}
    context = browser.new_context(viewport={"width": widths[0], "height": 900})

    def route(r):
        if is_loopback(r.request.url):
            r.continue_()
        else:
            problems["blocked"].append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.on("console", lambda m: m.type == "error" and problems["console"].append(m.text))
    page.on("pageerror", lambda e: problems["console"].append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: problems["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems["failed"].append(f"{r.url} (HTTP {r.status})"))
    try:
        page.goto(url, wait_until="load")
        try:
            page.wait_for_load_state("networkidle")
        except PlaywrightTimeoutError:
            # a page that never falls quiet on a busy machine is reported, not failed: what matters is
            # checked next (charts drawn) and by the listeners (console errors, failed or blocked requests)
            print(f"{url}: network not idle after {PAGE_TIMEOUT_MS / 1000:.0f} s", flush=True)
        charts = page.locator(".chasm-chart").count()
        if charts:
            try:
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.chasm-chart')]"
                    ".every(d => d.querySelector('svg, canvas'))",
                    timeout=CHART_TIMEOUT_MS,
                )
            except Exception:  # noqa: BLE001 - reported below, per chart
                pass
            empty = page.evaluate(
                "() => [...document.querySelectorAll('.chasm-chart')]"
                ".filter(d => !d.querySelector('svg, canvas')).map(d => d.id)"
            )
            problems["charts"] += [f"chart #{i} holds no svg or canvas" for i in empty]
        for i, width in enumerate(widths):
            if i:
                page.set_viewport_size({"width": width, "height": 900})
                page.wait_for_timeout(200)  # layout after the resize
            if charts:
                wide = page.evaluate(_WIDE_CHARTS, OVERHANG_PX)
                problems["width"] += [f"at {width} px chart #{c['id']} is {c['chart']:.0f} px in a {c['box']:.0f} px "
                                      f"column (overflow {c['scroll']:.0f} px, past the column {c['past']:.0f} px)"
                                      for c in wide]
            if screenshots and width in screenshots:
                screenshots[width].parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshots[width]), full_page=any(url.endswith(p) for p in FULL_PAGE_SHOTS))
    finally:
        context.close()
    return {k: v for k, v in problems.items() if v}


def test_is_loopback():
    assert is_loopback("http://127.0.0.1:8000/x.js")
    assert is_loopback("data:image/png;base64,AAAA")
    assert not is_loopback("https://cdn.jsdelivr.net/npm/vega@6")
    assert not is_loopback("http://example.org/")


def test_every_page_renders_offline_and_its_charts_fit_at_both_widths(browser, site_url, site_pages, repo_root,
                                                                       capsys):
    assert CLAIMS_PAGE in site_pages and WHATIF_PAGE in site_pages, f"chapters missing: {site_pages}"
    shots = repo_root / "test-output" / "screenshots"
    failures = {}
    for rel in site_pages:
        name = rel.replace("/", "_").removesuffix(".html")
        seen = visit(browser, site_url + rel, {w: shots / f"{name}-{w}.png" for w in WIDTHS}, WIDTHS)
        if seen:
            failures[rel] = seen
    with capsys.disabled():
        print(f"\nscreenshots of every page at {' and '.join(map(str, WIDTHS))} px: {shots}")
    assert not failures, "pages with problems:\n" + "\n".join(f"{p}: {v}" for p, v in failures.items())
    assert len(list(shots.glob("*.png"))) >= len(site_pages) * len(WIDTHS)


def test_claims_page_draws_its_charts(browser, site_url):
    """The claims chapter has charts, and each one drew real marks."""
    context = browser.new_context()
    context.route("**/*", lambda r: r.continue_() if is_loopback(r.request.url) else r.abort())
    page = context.new_page()
    try:
        page.goto(site_url + CLAIMS_PAGE, wait_until="load")
        page.wait_for_function(
            "() => { const c = [...document.querySelectorAll('.chasm-chart')];"
            " return c.length > 0 && c.every(d => d.querySelector('svg')); }",
            timeout=CHART_TIMEOUT_MS,
        )
        marks = page.evaluate(
            "() => [...document.querySelectorAll('.chasm-chart svg')]"
            ".map(s => s.querySelectorAll('.mark-rule path, .mark-rule line').length)"
        )
    finally:
        context.close()
    assert len(marks) >= 2, "expected the claimed-ranges and ratio-check charts"
    assert all(m > 0 for m in marks), f"a chart drew no range bars: {marks}"


def _shown(page, label: str) -> float:
    """The number the what-if chart shows on its line ``label: <number> <unit>``."""
    text = page.evaluate(
        "(label) => [...document.querySelectorAll('.chasm-chart svg text')].map(t => t.textContent)"
        ".find(t => t.startsWith(label + ': '))", label)
    assert text, f"no line {label!r} on the what-if page"
    return float(text[len(label) + 2:].split(" ")[0])


def test_the_what_if_slider_agrees_with_python(browser, site_url):
    """Move the inference GPU rent and the GPU prover's speed on the what-if page; the dollar ratio shown
    must equal ``python -m chasm price --set ...``'s central value (all inputs at one value) to the four
    significant digits the page prints (tolerance 1e-3, relative)."""
    from chasm.economics import pricing

    settings = {"gpu_rent_h100_sxm": 2.5, "gpu_prover_vcpu_equivalents": 500.0}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda r: r.continue_() if is_loopback(r.request.url) else r.abort())
    page = context.new_page()
    try:
        page.goto(site_url + WHATIF_PAGE, wait_until="load")
        page.wait_for_function("() => document.querySelector('.chasm-chart svg text') !== null",
                               timeout=CHART_TIMEOUT_MS)
        page.select_option("select[name='scenario']", "gpu")
        for name, value in settings.items():
            page.evaluate(
                "([name, value]) => { const el = document.querySelector(`input[name='${name}']`);"
                " el.value = value; el.dispatchEvent(new Event('input', {bubbles: true})); }", [name, value])
        page.wait_for_timeout(500)
        shown = _shown(page, "proving / inference, dollars")
        shown_usd = _shown(page, "proving, USD per query")
    finally:
        context.close()
    expected = pricing.price("llama3-70b", "gpu", overrides=settings, draws=2)
    assert shown == pytest.approx(expected["ratio_usd"]["central"], rel=1e-3)
    assert shown_usd == pytest.approx(expected["prove_usd"]["central"], rel=1e-3)
