"""403 and 404 are pages in the site's frame for people, the documented JSON shape for the API."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from labelhub.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) >= {"code", "message"}
    return error


def test_a_forbidden_page_is_styled_and_korean(client) -> None:
    client.force_login(UserFactory(role=User.Role.LABELER))

    response = client.get("/work/review/", HTTP_ACCEPT_LANGUAGE="ko")
    page = response.content.decode()

    assert response.status_code == 403
    assert "이 페이지를 열 수 없습니다" in page
    assert 'href="/work/"' in page  # the site's menu: the labeler's own way back
    assert "labelhub/base.css" in page


def test_a_missing_page_is_styled_and_korean(client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in response.content.decode()
    assert "labelhub/base.css" in response.content.decode()


def test_a_missing_campaign_page_is_the_404_page(client) -> None:
    client.force_login(UserFactory(role=User.Role.PM))

    response = client.get("/campaigns/999999/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_unrouted_api_path_answers_the_json_error_shape(client) -> None:
    response = client.get("/api/no-such-endpoint/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 404
    assert _error(response) == {"code": "not_found", "message": "찾을 수 없습니다."}


def test_a_missing_api_object_answers_the_json_error_shape(api_for, pm) -> None:
    response = api_for(pm).get("/api/campaigns/999999/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"
    assert "matches" not in _error(response)["message"]  # not get_object_or_404's English


def test_a_forbidden_api_call_answers_in_korean(api_for, labeler) -> None:
    response = api_for(labeler).get("/api/campaigns/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 403
    assert _error(response)["message"] == "데이터 PM만 할 수 있습니다."


def test_a_service_refusal_answers_in_korean(api_for, labeler) -> None:
    response = api_for(labeler).post("/api/reviews/claim/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 403
    assert "검수자와 PM만" in _error(response)["message"]


def test_a_wrong_method_on_a_plain_api_view_answers_the_json_error_shape(client) -> None:
    response = client.post("/api/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 405
    assert _error(response) == {
        "code": "method_not_allowed",
        "message": "허용되지 않는 메서드입니다.",
    }
    assert response["Allow"] == "GET"


def test_a_wrong_method_on_a_drf_view_keeps_the_shape(api_for, pm) -> None:
    response = api_for(pm).delete("/api/campaigns/")

    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_the_server_error_page_renders_without_a_request_or_database() -> None:
    with translation.override("ko"):
        page = render_to_string("500.html")

    assert "서버에서 문제가 생겼습니다" in page


def test_a_form_without_its_csrf_token_is_refused_on_a_korean_page() -> None:
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/accounts/login/", {"username": "김피엠"}, HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 403
    assert "이 양식을 받아들일 수 없습니다" in response.content.decode()
