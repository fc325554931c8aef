"""The built quick book, opened page by page in headless Chromium as a reader would, offline.

Serves ``_build/quick/_build/html`` on 127.0.0.1 and checks every page: MathJax (served from the build,
no CDN) has typeset every formula and no raw TeX is left, the browser console has no errors, every local
link and image resolves, the navigation toggle opens the sidebar and a solution dropdown opens.
Screenshots of every page at desktop (1280 px) and phone (390 px) width are written to
``_build/quick/screenshots/`` for a person to look at.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); skipped with a reason
when they are missing. Run it alone with ``.venv/bin/python -m pytest tests/test_site.py``.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import time
from urllib.parse import unquote, urljoin, urlparse

import pytest
from conftest import BOOK_HTML, BOOK_OUT, toc_files

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = BOOK_OUT / "screenshots"
RAW_TEX = re.compile(r"\\(frac|mathrm|mid|sum|log|le|ge|beta|mathbb|text|left|right)\b|\$\$")

pytestmark = [
    pytest.mark.book,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver (apt-get install "
                       "chromium chromium-driver; .ci/run does it)"),
]


@pytest.fixture(scope="module")
def site(quick_book):
    assert quick_book.returncode == 0, "the quick book did not build"
    handler = functools.partial(QuietHandler, directory=str(BOOK_HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def pages() -> list[str]:
    return [f"{name}.html" for name in toc_files()]


def _wait_for_mathjax(driver) -> None:
    driver.set_script_timeout(60)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (!window.MathJax || !MathJax.startup) { done('no MathJax'); return; }"
        "MathJax.startup.promise.then(() => done('ok')).catch(e => done('error ' + e));"
    )


def _visible_text_outside_code(driver) -> str:
    return driver.execute_script(
        "const clone = document.querySelector('main').cloneNode(true);"
        "clone.querySelectorAll('pre, code, mjx-container, script, .MathJax').forEach(e => e.remove());"
        "return clone.innerText;"
    )


@pytest.mark.parametrize("page", pages())
def test_page_renders_offline(site, browser, page):
    browser.set_window_size(1280, 900)
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(urljoin(site, page))
    state = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (!window.MathJax || !MathJax.startup) { done('no MathJax'); return; }"
        "MathJax.startup.promise.then(() => done('ok')).catch(e => done('error ' + e));"
    ) if browser.execute_script("return document.querySelector('.math') !== null") else "no math"
    assert state in ("ok", "no math"), f"{page}: MathJax did not run ({state})"
    leftover = RAW_TEX.findall(_visible_text_outside_code(browser))
    assert not leftover, f"{page}: raw TeX visible after MathJax ran: {leftover[:5]}"
    if state == "ok":
        assert browser.execute_script("return document.querySelectorAll('mjx-container').length") > 0
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors: {errors}"
    wide = browser.execute_script(
        "return [...document.querySelectorAll('main mjx-container[display=\"true\"], main div.cell_output pre')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 2).map(e => e.textContent.slice(0, 60));"
    )
    assert not wide, f"{page}: display equations or printed outputs wider than the column: {wide}"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = page.replace("/", "_").removesuffix(".html")
    browser.save_screenshot(str(SCREENSHOTS / f"{stem}-desktop.png"))
    browser.set_window_size(390, 844)
    browser.save_screenshot(str(SCREENSHOTS / f"{stem}-phone.png"))
    browser.set_window_size(1280, 900)


@pytest.mark.parametrize("page", pages())
def test_local_links_and_images_resolve(site, browser, page):
    html_file = BOOK_HTML / page
    text = html_file.read_text()
    missing = []
    for url in re.findall(r'(?:href|src)="([^"]+)"', text):
        parsed = urlparse(url)
        if parsed.scheme or url.startswith(("#", "mailto:", "//")):
            continue
        target = (html_file.parent / unquote(parsed.path)).resolve()
        if parsed.path and not target.exists():
            missing.append(url)
    assert not missing, f"{page}: local links/images that do not resolve: {missing}"
    remote = re.findall(r'<script[^>]+src="(https?://[^"]+)"', text)
    assert not remote, f"{page}: scripts loaded from the network: {remote}"


def _eventually(predicate, timeout=3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.parametrize(("width", "starts_open"), [(1280, True), (390, False)])
def test_navigation_toggle_opens_the_sidebar(site, browser, width, starts_open):
    """☰ hides the navigation on a desktop, where it starts open, and opens it on a phone, where it starts closed."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, 900)
    browser.get(urljoin(site, pages()[1]))
    sidebar = browser.find_element(By.CSS_SELECTOR, ".bd-sidebar-primary")
    assert _eventually(lambda: sidebar.is_displayed() == starts_open), f"sidebar at {width} px"
    browser.find_element(By.CSS_SELECTOR, "button.primary-toggle").click()
    assert _eventually(lambda: sidebar.is_displayed() != starts_open), (
        f"at {width} px the navigation toggle did not {'close' if starts_open else 'open'} the sidebar")
    browser.set_window_size(1280, 900)


def test_a_solution_dropdown_opens(site, browser):
    from selenium.webdriver.common.by import By

    for page in pages():
        browser.get(urljoin(site, page))
        solutions = browser.find_elements(By.CSS_SELECTOR, "div.solution.dropdown")
        if not solutions:
            continue
        body = solutions[0].find_element(By.CSS_SELECTOR, "section, p:not(.admonition-title)")
        assert _eventually(lambda b=body: not b.is_displayed()), f"{page}: a solution is shown before it is opened"
        title = solutions[0].find_element(By.CSS_SELECTOR, ".admonition-title")
        browser.execute_script("arguments[0].click();", title)  # what a reader's click on the title does
        assert _eventually(body.is_displayed), f"{page}: the solution dropdown did not open"
        return
    pytest.fail("no page has a solution dropdown")
