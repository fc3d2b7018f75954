"""Browser fixtures for the end-to-end tests: Debian's Chromium driven by Playwright for Python,
against devhost running the real app with the offline providers (the `app_host` session fixture).

Set E2E_BASE_URL to run the same tests against a devhost you started yourself.
Every test collects console messages and page errors and fails on any console error; the few
expected "Failed to load resource" lines (a 4xx/5xx the test provoked on purpose) are declared by
the test with `console.allow(url_part, status)`.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field

import pytest

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.skip("Chromium is not installed (scripts/bootstrap.sh --browser installs it)")
    return path


@pytest.fixture(scope="session")
def base_url(request) -> str:
    override = os.environ.get("E2E_BASE_URL")
    if override:
        return override.rstrip("/")
    return request.getfixturevalue("app_host").base_url


# Package scope: Playwright's sync API keeps an event loop running in this thread while it is open,
# which would break asyncio.run() in tests collected after the e2e package.
@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


FAILED_RESOURCE = "Failed to load resource"


@dataclass
class ConsoleLog:
    """Console messages and page errors of one page, and the errors a test expects."""

    messages: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    allowed: list = field(default_factory=list)  # (url substring, status or net::ERR text)

    def allow(self, url_part: str, status: int | str) -> None:
        self.allowed.append((url_part, str(status)))

    def on_console(self, message) -> None:
        location = message.location or {}
        entry = f"[{message.type}] {message.text} ({location.get('url', '')})"
        self.messages.append(entry)
        if message.type != "error":
            return
        if message.text.startswith(FAILED_RESOURCE):
            url = location.get("url", "")
            if any(part in url and want in message.text for part, want in self.allowed):
                return
        self.errors.append(entry)

    def on_page_error(self, error) -> None:
        self.errors.append(f"[pageerror] {error}")


@pytest.fixture
def console():
    return ConsoleLog()


def _new_page(browser, base_url, console, viewport):
    context = browser.new_context(
        base_url=base_url, viewport=viewport, locale="ko-KR", accept_downloads=True, reduced_motion="reduce",
        device_scale_factor=1, is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    # No allowance for /api/speech-token: the offline stack has no speech service, GET /api/catalog says
    # so (speechService: false) and the page must not ask for a token (a 503 would fail the test).
    return context, page


@pytest.fixture
def page(browser, base_url, console, request, artifacts_dir):
    context, page = _new_page(browser, base_url, console, DESKTOP)
    yield page
    _finish(request, page, context, console, artifacts_dir)


@pytest.fixture
def phone_page(browser, base_url, console, request, artifacts_dir):
    context, page = _new_page(browser, base_url, console, PHONE)
    yield page
    _finish(request, page, context, console, artifacts_dir)


def _finish(request, page, context, console, artifacts_dir):
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shots = artifacts_dir / "e2e"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        if not page.is_closed():
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    finally:
        (shots / f"{name}.console.txt").write_text("\n".join(console.messages), encoding="utf-8")
        context.close()
    assert not console.errors, "console errors:\n" + "\n".join(console.errors)
