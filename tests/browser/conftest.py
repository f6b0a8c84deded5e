"""Browser tests: a live Guanxi server driven by Debian's Chromium through Playwright.

Every test in this directory is marked ``browser`` and skipped where ``/usr/bin/chromium`` is not
installed. Fixtures: ``browser`` (one Chromium per session), ``desktop_page`` (1280x800) and
``phone_page`` (390x844, touch), both opened on the live server; ``login(page, username,
password)`` signs in through the login form, ``js_errors(page)`` lists uncaught script errors and
``screenshot(page, name)`` takes a picture for the user guide (each of these three is a fixture
that gives the function). Pictures go to ``docs/images/<name>.png`` when ``GUANXI_SCREENSHOTS=1``
(``GUANXI_SCREENSHOTS=1 pytest tests/browser``), otherwise to a temporary directory, so that an
ordinary test run leaves the documentation alone.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside one
# unless told that it is safe (it is: the loop only drives the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
TIMEOUT_MS = 15_000
HERE = Path(__file__).resolve().parent

_errors: dict[int, list[str]] = {}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed")
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists():
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (never downloaded: Debian's own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser: Any, live_server: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _errors[id(page)] = errors
    try:
        yield page
    finally:
        _errors.pop(id(page), None)
        context.close()


@pytest.fixture
def desktop_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A 1280x800 desktop browser tab on the live server (relative URLs work in ``goto``)."""
    yield from _page(browser, live_server, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A 390x844 phone (touch, mobile viewport) on the live server."""
    yield from _page(
        browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )


def _js_errors(page: Any) -> list[str]:
    """The uncaught script errors the page has raised so far."""
    return list(_errors.get(id(page), []))


def _login(page: Any, username: str, password: str) -> None:
    """Sign in through the login form and wait until the first page after it has loaded."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")
    if "/accounts/login/" in page.url:
        raise AssertionError(f"sign-in as {username!r} failed: still on {page.url}")


def _screenshot_dir() -> Path:
    if os.environ.get("GUANXI_SCREENSHOTS", "").lower() in {"1", "true", "yes"}:
        return GUIDE_IMAGES
    return Path(tempfile.gettempdir()) / "guanxi-screenshots"


def _screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot as ``<name>.png`` (in ``docs/images`` with ``GUANXI_SCREENSHOTS=1``)."""
    folder = _screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


@pytest.fixture
def login() -> Any:
    """``login(page, username, password)``."""
    return _login


@pytest.fixture
def js_errors() -> Any:
    """``js_errors(page)``: uncaught script errors of the page."""
    return _js_errors


@pytest.fixture
def screenshot() -> Any:
    """``screenshot(page, name, full_page=False)``: a picture for the user guide."""
    return _screenshot
