"""Chromium, driven by Playwright, against pytest-django's live server.

Debian's chromium is used as is (a Playwright browser download cannot happen here). Media capture
uses Chromium's fake device, so the recorder page records a real (synthetic) audio stream.
"""

import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from labelhub.accounts.models import User

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread from here on; tests still
    # use the database synchronously between browser steps, which Django would otherwise refuse.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: object, live_server: object) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    # Without clipboard permission a headless copy can wait on a prompt nobody answers.
    context.grant_permissions(["microphone", "clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    violations = csp_violations(context)
    yield context
    context.close()
    live_server_requests_drain()
    # Chromium logs every blocked script, style or media load to the console: a page that
    # needs more than the Content-Security-Policy allows fails its test here.
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


# Request threads already reported stuck, by ident.
STUCK_REPORTED: set[int] = set()


def live_server_requests_drain(*, timeout_s: float = 15.0) -> None:
    """Waits for the live server's request threads to finish.

    A page can have a request in flight when its test ends (the review page claims the next
    task right after an approval). Its thread then runs on after the browser is gone, inside a
    transaction, while pytest-django's teardown truncates every table: PostgreSQL found the
    two waiting on each other's table locks and failed the teardown (a CI run's only error).
    Closing the context closes the browser's keep-alive connections, so idle threads end too.
    """
    # Django's server runs each connection in a daemon thread, which socketserver does not
    # track, so they are found by the method they run.
    threads = [
        t
        for t in threading.enumerate()
        if t.name.endswith("(process_request_thread)") and t.ident not in STUCK_REPORTED
    ]
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    running = [thread for thread in threads if thread.is_alive()]
    # Where each one is stuck (a CI run once kept one for the rest of the run, unexplained).
    frames = sys._current_frames()
    stacks = "\n".join(
        f"{thread.name}:\n" + "".join(traceback.format_stack(frames[thread.ident]))
        for thread in running
        if thread.ident in frames
    )
    names = [thread.name for thread in running]
    # Reported once, at the test that left it: the tests after it are not its cause.
    STUCK_REPORTED.update(thread.ident for thread in running if thread.ident is not None)
    assert not running, f"live-server requests still running after {timeout_s} s: {names}\n{stacks}"


def csp_violations(context: object) -> list[str]:
    """Console messages of every page in the context that report a CSP violation."""
    found: list[str] = []

    def on_console(message: object) -> None:
        if "Content Security Policy" in message.text:
            found.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", on_console)
    return found


@pytest.fixture
def page(context: object) -> object:
    return context.new_page()


@pytest.fixture
def login_as(context: object, live_server: object):
    """Signs the browser context in as the user, through a real session cookie."""

    def login(user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return login
