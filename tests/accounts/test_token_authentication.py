"""`Authorization: Token <key>`: one query for the token and its user, DRF's answers otherwise."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from labelhub.accounts.authentication import TokenAuthentication
from labelhub.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATS = "/api/workbench/stats/"


def _request(key: str):
    return APIRequestFactory().get(STATS, HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_and_its_user_are_read_in_one_query(django_assert_num_queries) -> None:
    user = UserFactory(role=User.Role.LABELER)
    token = Token.objects.create(user=user)

    with django_assert_num_queries(1):
        signed_in, auth = TokenAuthentication().authenticate(_request(token.key))

    assert (signed_in.pk, signed_in.username, signed_in.role) == (user.pk, user.username, "labeler")
    assert signed_in.date_joined == user.date_joined and signed_in.is_active
    assert auth.key == token.key and auth.user is signed_in and auth.created == token.created


def test_the_api_answers_a_token_call_as_its_user() -> None:
    user = UserFactory(role=User.Role.LABELER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = client.get(STATS)

    assert response.status_code == 200
    assert response.json()["clips_today"] == 0


def test_an_unknown_token_is_refused() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get(STATS)

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token."


def test_the_token_of_a_deactivated_user_is_refused() -> None:
    user = UserFactory(role=User.Role.LABELER, is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = client.get(STATS)

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "User inactive or deleted."


def test_the_refusal_is_in_korean_when_asked() -> None:
    # The accounts catalogue words it as DRF's own Korean catalogue does, whichever is found first.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get(STATS, HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "토큰이 유효하지 않습니다."


def test_the_api_uses_the_one_query_token_authentication() -> None:
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_AUTHENTICATION_CLASSES[0] is TokenAuthentication
