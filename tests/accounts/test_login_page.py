"""/accounts/login/: the same throttle and lockout as the token endpoint, with a readable page."""

import pytest
from django.test import Client

from labelhub.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"


@pytest.fixture
def user() -> User:
    return UserFactory(username="alice")


def sign_in(username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return Client().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def test_the_right_password_signs_in(user) -> None:
    assert sign_in("alice", PASSWORD).status_code == 302


def test_a_locked_account_is_refused_with_the_right_password_and_told_when_to_retry(user):
    for n in range(5):
        assert sign_in("alice", "wrong", ip=f"10.0.1.{n}").status_code == 200

    locked = sign_in("alice", PASSWORD)

    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in locked.client.session


def test_failures_on_the_page_lock_the_api_too(user) -> None:
    for n in range(5):
        sign_in("alice", "wrong", ip=f"10.0.1.{n}")

    api = Client().post("/api/auth/token/", {"username": "alice", "password": PASSWORD})

    assert api.status_code == 429 and api.json()["error"]["code"] == "locked"


def test_a_burst_of_attempts_from_one_ip_is_throttled_in_korean_too(settings, user) -> None:
    settings.LOGIN_LOCKOUT_FAILURES = settings.LOGIN_LOCKOUT_IP_FAILURES = 1000
    for n in range(10):
        sign_in(f"nobody{n}", "wrong")

    throttled = sign_in("alice", PASSWORD, HTTP_ACCEPT_LANGUAGE="ko")

    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert "너무 많" in throttled.content.decode()


def test_the_admin_login_shares_the_lockout(user) -> None:
    user.is_staff = True
    user.save()
    for n in range(5):
        Client().post(
            "/admin/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR=f"10.0.6.{n}"
        )

    locked = Client().post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert locked.status_code == 200 and "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in locked.client.session
