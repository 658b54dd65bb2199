"""Signing in speaks Korean: the login page's refusals and the token API's error messages."""

import re

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HANGUL = re.compile(r"[가-힣]")


def test_a_wrong_password_on_the_login_page_is_refused_in_korean(client) -> None:
    UserFactory(username="김피엠")

    response = client.post(
        "/accounts/login/",
        {"username": "김피엠", "password": "틀린 비밀번호"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )

    assert response.status_code == 200
    assert "사용자 이름 또는 비밀번호가 맞지 않습니다" in response.content.decode()


def test_a_wrong_password_on_the_token_api_is_refused_in_korean(client) -> None:
    UserFactory(username="김피엠")

    response = client.post(
        "/api/auth/token/",
        {"username": "김피엠", "password": "틀린 비밀번호"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert HANGUL.search(error["message"]), error["message"]


def test_the_token_api_refuses_a_get_in_the_error_shape_and_korean(client) -> None:
    response = client.get("/api/auth/token/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 405
    error = response.json()["error"]
    assert error["code"] == "method_not_allowed"
    assert HANGUL.search(error["message"]), error["message"]


def test_a_locked_out_account_is_told_in_korean(client, settings) -> None:
    UserFactory(username="김피엠")
    form = {"username": "김피엠", "password": "틀린 비밀번호"}
    for _ in range(settings.LOGIN_LOCKOUT_FAILURES):
        client.post("/accounts/login/", form, HTTP_ACCEPT_LANGUAGE="ko")

    response = client.post("/accounts/login/", form, HTTP_ACCEPT_LANGUAGE="ko")

    assert "로그인" in response.content.decode()
    assert "초 후에 다시 시도해 주세요" in response.content.decode()
