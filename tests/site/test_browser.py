"""The built site in a real browser, with no network.

Serves the site built by the ``built_book`` fixture on 127.0.0.1, opens every
page in headless Chromium (Debian's ``chromium``; ``make test`` installs it
when missing) with every request to anything but the loopback address
aborted, and checks each page for console errors, failed requests and charts
that did not draw. Saves a screenshot of the claims chapter under
``test-output/``."""

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


def visit(browser, url: str, screenshot: Path | None = None) -> dict[str, list[str]]:
    """Open ``url`` offline; return the problems seen, by kind."""
    problems: dict[str, list[str]] = {"console": [], "failed": [], "blocked": [], "charts": []}
    context = browser.new_context(viewport={"width": 1280, "height": 900})

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
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return {k: v for k, v in problems.items() if v}


def test_is_loopback():
    assert is_loopback("http://127.0.0.1:8000/x.js")
    assert is_loopback("data:image/png;base64,AAAA")
    assert not is_loopback("https://cdn.jsdelivr.net/npm/vega@6")
    assert not is_loopback("http://example.org/")


def test_every_page_renders_offline(browser, site_url, site_pages, repo_root, capsys):
    assert CLAIMS_PAGE in site_pages, f"the claims chapter was not built: {site_pages}"
    shot = repo_root / "test-output" / "claims.png"
    failures = {}
    for rel in site_pages:
        seen = visit(browser, site_url + rel, screenshot=shot if rel == CLAIMS_PAGE else None)
        if seen:
            failures[rel] = seen
    with capsys.disabled():
        print(f"\nclaims page screenshot: {shot}")
    assert not failures, "pages with problems:\n" + "\n".join(f"{p}: {v}" for p, v in failures.items())
    assert shot.exists() and shot.stat().st_size > 0


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
