"""The T1562 page in headless Chromium: tabs, highlighted queries, no console errors, and the
hostile fixture page runs no injected script."""
from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tooling.package import load_package

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LABELS = ["KQL", "SPL", "Elastic", "QRadar", "Sumo", "YARA-L", "LogScale"]
REPORT_SCREENSHOT = Path("/work/scratch/reports/site.png")

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed "
                               "(pip install playwright; the browser is Debian's chromium)")
if not CHROMIUM.exists():
    pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture()
def serve():
    servers = []

    def start(root: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(root))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def browser():
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def _open(browser, url: str, base: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    events = {"errors": [], "dialogs": [], "external": []}
    page.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: events["errors"].append(str(e)))

    def on_dialog(dialog):
        events["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def route(r):  # nothing may leave 127.0.0.1
        if r.request.url.startswith(base) or r.request.url.startswith("data:") or r.request.url.startswith("blob:"):
            r.continue_()
        else:
            events["external"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="networkidle")
    return page, events


def test_t1562_page_tabs_and_queries(site, serve, browser, tmp_path):
    base = serve(site)
    page, events = _open(browser, base + "detections/T1562/", base)
    tabs = page.locator(".tabbed-labels > label")
    assert tabs.all_inner_texts() == LABELS
    spl_tab = page.locator(".tabbed-labels > label", has_text="SPL")
    spl_tab.click()
    spl_block = page.locator(".tabbed-block").nth(1)
    assert spl_block.is_visible()
    spl = load_package(ROOT / "detections" / "T1562" / "T1562.yml").data["queries"]["spl"]
    first_line = spl.strip().splitlines()[0].strip()
    assert first_line in spl_block.inner_text()
    assert not page.locator(".tabbed-block").nth(0).is_visible()  # KQL hidden now
    assert spl_block.locator("button[data-md-type=copy], .md-clipboard").count() == 1  # the copy button
    assert spl_block.locator("code span.k").count() > 0  # highlighted keywords
    page.evaluate("document.getElementById('detection-queries').scrollIntoView()")
    page.mouse.wheel(0, -60)
    page.wait_for_timeout(300)
    shot = tmp_path / "t1562.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    try:
        REPORT_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, REPORT_SCREENSHOT)
    except OSError:
        pass
    assert events["errors"] == []
    assert events["external"] == []
    assert events["dialogs"] == []


def test_hostile_package_runs_no_script(xss_site, serve, browser):
    base = serve(xss_site)
    for path in ("detections/T1562/", "detections/", "detections/matrix/"):
        page, events = _open(browser, base + path, base)
        if path == "detections/T1562/":
            for label in LABELS:
                page.locator(".tabbed-labels > label", has_text=label).first.click()
        for y in range(0, 1000, 50):  # move over the page: mouseover handlers would fire
            for x in range(0, 1400, 100):
                page.mouse.move(x, y)
        page.mouse.wheel(0, 3000)
        assert events["dialogs"] == [], path
        assert events["errors"] == [], path
        assert events["external"] == [], path
        assert page.evaluate("document.querySelectorAll('script:not([src])').length") <= 8
