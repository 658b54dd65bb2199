"""Swagger UI at /api/docs/ in Chromium: it renders the operations of /api/schema/ under the
site's Content-Security-Policy (its files from drf-spectacular-sidecar, its start-up script and
page style separate files), and the context's teardown fails the test on any blocked load."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_the_schema_operations_signed_in(page, login_as, pm) -> None:
    login_as(pm)
    schema_loads: list[int] = []
    page.on(
        "response",
        lambda response: (
            schema_loads.append(response.status) if "/api/schema/" in response.url else None
        ),
    )

    response = page.goto("/api/docs/")
    # Swagger UI names each operation's path in data-path (its text breaks the path with <wbr>).
    page.locator(".opblock-summary-path[data-path='/api/tasks/claim/']").first.wait_for()

    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert schema_loads == [200]
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("LabelHub API")
    assert page.locator(".opblock").count() > 20
    # Both stylesheets applied: Swagger UI's lays an operation out as flex, ours sets the page.
    summary = page.locator(".opblock-summary").first
    assert summary.evaluate("el => getComputedStyle(el).display") == "flex"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(250, 250, 250)"
