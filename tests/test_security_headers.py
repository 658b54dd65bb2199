"""A strict Content-Security-Policy on every response, and templates that need nothing looser."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory
from tests.security.endpoints import all_endpoints

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(
    [*ROOT.glob("labelhub/**/templates/**/*.html"), *ROOT.glob("frontend/**/*.html")]
)
# The datasheet document is a file inside release archives, opened from disk, never served.
STANDALONE = {"releases/datasheet_document.html"}
REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives_of(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


# The workbench and review pages run wavesurfer.js, whose shadow DOM carries one <style>
# element; they allow it by a nonce made for each response, never by 'unsafe-inline'.
STYLE_NONCE = re.compile(r"'self' 'nonce-[A-Za-z0-9_-]{16,}'")


def assert_strict(response) -> None:
    directives = directives_of(response.headers.get("Content-Security-Policy", ""))
    for name, value in REQUIRED.items():
        if name == "style-src" and STYLE_NONCE.fullmatch(directives.get(name, "")):
            continue
        assert directives.get(name) == value, (response.request["PATH_INFO"], name)
    assert "unsafe-inline" not in str(directives) and "unsafe-eval" not in str(directives)


def test_every_served_route_sends_the_strict_policy_to_a_signed_in_pm(client) -> None:
    client.force_login(UserFactory())
    for endpoint in all_endpoints():
        response = client.get(endpoint.url(**dict.fromkeys(endpoint.kwargs, 1)))
        assert_strict(response)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/", "/record/not-a-token/"])
def test_anonymous_pages_and_refusals_send_the_policy_too(client, path: str) -> None:
    assert_strict(client.get(path))


def test_the_admin_runs_under_the_same_policy_and_still_works(client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/admin/accounts/user/")

    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.parametrize("path", ["/work/", "/work/review/"])
def test_the_player_pages_allow_one_style_nonce_made_for_each_response(client, path) -> None:
    client.force_login(UserFactory(role="reviewer"))

    first, second = client.get(path), client.get(path)

    nonces = [
        directives_of(r.headers["Content-Security-Policy"])["style-src"] for r in (first, second)
    ]
    assert all(STYLE_NONCE.fullmatch(nonce) for nonce in nonces)
    assert nonces[0] != nonces[1]
    assert nonces[0].split("'nonce-")[1].rstrip("'") in first.content.decode()  # given to the page
    assert_strict(first)


def test_media_and_blob_urls_are_allowed_for_playback_only() -> None:
    directives = directives_of(settings.CONTENT_SECURITY_POLICY)

    assert directives["media-src"] == "'self' blob:"
    assert "blob:" not in directives["script-src"] and "data:" not in str(directives)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_holds_inline_script_handlers_or_styles(template: Path) -> None:
    if any(str(template).endswith(name) for name in STANDALONE):
        return
    html = template.read_text(encoding="utf-8")

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "on*= handler"
    assert not re.search(r"<style|\sstyle\s*=", html), "inline style"
    assert "javascript:" not in html
