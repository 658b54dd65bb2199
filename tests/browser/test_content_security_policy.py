"""The served CSP blocks inline script in a real browser, and the browser tests notice."""

import pytest

from tests.browser.conftest import csp_violations

pytestmark = pytest.mark.django_db


def test_an_injected_inline_script_is_blocked_and_reported(browser, live_server) -> None:
    # Its own context: the shared one would fail this test's teardown on the violation.
    context = browser.new_context(base_url=live_server.url)
    violations = csp_violations(context)
    page = context.new_page()
    page.goto("/accounts/login/")

    with pytest.raises(Exception):  # noqa: B017 - Playwright raises its own Error type
        page.add_script_tag(content="window.injected = true")
    page.wait_for_timeout(200)
    injected = page.evaluate("() => window.injected === true")
    context.close()

    assert injected is False
    assert violations and "script-src" in violations[0]


def test_the_language_switch_still_submits_without_inline_handlers(page, live_server) -> None:
    page.goto("/accounts/login/")

    with page.expect_navigation():
        page.select_option("#language", "ko")

    assert page.locator("html").get_attribute("lang") == "ko"
