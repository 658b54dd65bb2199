"""Oversized requests are refused from Content-Length, before a byte of the body is read."""

import io
import json

import pytest
from django.core.handlers.wsgi import WSGIHandler

from labelhub.middleware import request_limit
from tests.security.endpoints import all_endpoints

pytestmark = pytest.mark.django_db

DECLARED = 300 * 1024 * 1024
# The recording upload API also takes long-form sources (MAX_SOURCE_UPLOAD_BYTES, 4 GiB).
SOURCE_DECLARED = 5 * 1024 * 1024 * 1024


def declared_for(path: str) -> int:
    return SOURCE_DECLARED if path == "/api/recordings/" else DECLARED


class UnreadableBody(io.RawIOBase):
    """A WSGI input that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body was read")


def post_declaring(path: str, length: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ = {
        **headers,
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": UnreadableBody(),
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
        "CONTENT_LENGTH": length,
    }
    answer: dict = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.update(status=status, headers=dict(headers))

    body = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], answer["headers"], body


@pytest.mark.parametrize(
    "path",
    [
        "/api/recordings/",
        "/api/campaigns/1/bulk-uploads/",
        "/api/record/some-token/recordings/",
        "/api/feedback/",
        "/api/auth/token/",
    ],
)
def test_a_300_mb_upload_to_the_api_is_refused_unread_with_the_error_shape(path: str) -> None:
    status, _headers, body = post_declaring(path, str(declared_for(path)))

    assert status.startswith("413")
    assert json.loads(body)["error"]["code"] == "too_large"


def test_every_served_route_refuses_a_300_mb_body_unread() -> None:
    for endpoint in all_endpoints():
        path = endpoint.url(**dict.fromkeys(endpoint.kwargs, 1))
        status, _headers, _body = post_declaring(path, str(declared_for(path)))
        assert status.startswith("413"), endpoint


def test_a_page_refuses_a_300_mb_body_with_a_readable_message() -> None:
    status, headers, body = post_declaring("/campaigns/1/bulk-uploads/", str(DECLARED))

    assert status.startswith("413") and headers["Content-Type"].startswith("text/plain")
    assert b"limit" in body


def test_the_refusal_speaks_the_callers_language() -> None:
    _status, _headers, body = post_declaring(
        "/campaigns/1/bulk-uploads/", str(DECLARED), HTTP_ACCEPT_LANGUAGE="ko"
    )

    assert "한도" in body.decode()


def test_a_content_length_that_is_not_a_byte_count_is_a_400() -> None:
    status, _headers, body = post_declaring("/api/recordings/", "-5")

    assert status.startswith("400")
    assert json.loads(body)["error"]["code"] == "bad_content_length"


def test_a_json_body_over_the_small_limit_is_refused_while_an_upload_of_that_size_is_not(
    settings, api_for, pm
) -> None:
    settings.MAX_REQUEST_BYTES = 1000
    api = api_for(pm)
    big = "x" * 2000

    refused = api.post("/api/campaigns/", {"name": big}, format="json")
    passed = api.post("/api/recordings/", {"file": io.BytesIO(big.encode())}, format="multipart")

    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "too_large"
    assert passed.status_code == 400  # reached the view, which names the missing fields


def test_the_recording_upload_api_lets_a_long_form_source_through_but_not_other_uploads(
    settings,
) -> None:
    settings.MAX_SOURCE_UPLOAD_BYTES = 3 * 1024**3

    assert request_limit("/api/recordings/") > 3 * 1024**3
    assert request_limit("/api/campaigns/1/bulk-uploads/") < 3 * 1024**3
    status, _headers, _body = post_declaring("/api/recordings/", str(3 * 1024**3 + 10**6))
    assert status.startswith("413")


def test_a_body_within_every_limit_is_let_through_without_resolving_its_path(monkeypatch) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from labelhub import middleware

    def refuse(path: str) -> int:
        raise AssertionError(f"resolved {path}")

    monkeypatch.setattr(middleware, "request_limit", refuse)
    request = RequestFactory().post("/api/tasks/claim/", b"{}", content_type="application/json")
    request.META["CONTENT_LENGTH"] = str(middleware.smallest_limit())

    response = middleware.RequestSizeLimitMiddleware(lambda r: HttpResponse("ok"))(request)

    assert response.content == b"ok"
