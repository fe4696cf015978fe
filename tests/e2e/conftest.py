"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
live server. No browser download: the system Chromium is used, or the tests are skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import restore_migration_data

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told it is safe (it is: the loop only waits for the browser). Set only while a
# browser runs: set for the whole session it leaks into subprocesses other tests start
# (`careloop check --deploy` rightly fails on it).
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM = Path(os.environ.get("CARELOOP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHOTS = Path(os.environ.get("CARELOOP_SHOTS", "/tmp/careloop-shots"))  # noqa: S108


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                yield browser
                browser.close()
            finally:
                # Django keeps one connection per contextvars context, and inside
                # sync_playwright() the module's tests and fixtures run in a context of their
                # own: the connection they open is not the one pytest-django closes before
                # dropping the test database, which then fails with "being accessed by other
                # users". Close it before leaving that context.
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def e2e_cast(transactional_db, request):
    """The fixed cast, committed so the live server's thread sees it. A transactional test
    ends by flushing every table, the rows the data migrations made included, so they are
    put back before the cast is built."""
    restore_migration_data()
    return request.getfixturevalue("cast")


class Console:
    """Browser console messages and page errors, to check for CSP violations."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m]


@pytest.fixture
def console() -> Console:
    return Console()


def _open_page(browser, console: Console, **context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda message: console.messages.append(message.text))
    page.on("pageerror", lambda error: console.messages.append(f"pageerror: {error}"))
    return context, page


@pytest.fixture
def phone_page(browser, console) -> Iterator:
    """A Chinese-language phone-sized page, as most residents use."""
    context, page = _open_page(
        browser,
        console,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    context.close()


@pytest.fixture
def desk_page(browser, console) -> Iterator:
    """A Chinese-language desktop page, as on a hospital PC."""
    context, page = _open_page(
        browser, console, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    yield page
    context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
