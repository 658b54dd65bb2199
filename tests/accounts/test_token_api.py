"""POST /api/auth/token/: throttled per IP, and locked out after repeated failures."""

import time

import pytest
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"
TOKEN = "/api/auth/token/"


@pytest.fixture
def user() -> User:
    return UserFactory(username="alice")


def sign_in(username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def assert_refused_with_retry_after(response, code: str) -> int:
    assert response.status_code == 429
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert int(response["Retry-After"]) > 0
    return int(response["Retry-After"])


def test_the_right_password_gets_a_token(user) -> None:
    response = sign_in("alice", PASSWORD)

    assert response.status_code == 200 and response.json()["token"]


def test_a_burst_of_sign_ins_from_one_ip_is_throttled_with_retry_after(settings, user) -> None:
    settings.LOGIN_LOCKOUT_FAILURES = settings.LOGIN_LOCKOUT_IP_FAILURES = 1000
    answers = [sign_in(f"nobody{n}", "wrong").status_code for n in range(10)]

    throttled = sign_in("alice", PASSWORD)

    assert set(answers) == {400}
    assert_refused_with_retry_after(throttled, "throttled")
    assert sign_in("alice", PASSWORD, ip="10.0.0.2").status_code == 200


def test_an_account_is_locked_after_repeated_failures_even_from_other_ips(user) -> None:
    for n in range(5):
        assert sign_in("alice", "wrong", ip=f"10.0.1.{n}").status_code == 400

    locked = sign_in("alice", PASSWORD, ip="10.0.2.1")

    assert_refused_with_retry_after(locked, "locked")
    UserFactory(username="bob")
    assert sign_in("bob", PASSWORD, ip="10.0.2.1").status_code == 200


def test_an_ip_is_locked_after_failures_across_accounts(settings, user) -> None:
    settings.LOGIN_LOCKOUT_IP_FAILURES = 3
    for name in ("carol", "dave", "erin"):
        assert sign_in(name, "wrong", ip="10.0.3.1").status_code == 400

    assert_refused_with_retry_after(sign_in("alice", PASSWORD, ip="10.0.3.1"), "locked")
    assert sign_in("alice", PASSWORD, ip="10.0.3.2").status_code == 200


def test_a_forged_forwarded_for_header_does_not_dodge_the_ip_lockout(settings, user) -> None:
    settings.LOGIN_LOCKOUT_IP_FAILURES = 2
    for n in range(2):
        sign_in(f"nobody{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    forged = sign_in("alice", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert forged.status_code == 429


def test_the_lockout_lifts_after_its_back_off_which_doubles_on_each_new_failure(
    settings, user
) -> None:
    settings.LOGIN_LOCKOUT_FAILURES = 2
    settings.LOGIN_LOCKOUT_SECONDS = 1
    for n in range(2):
        sign_in("alice", "wrong", ip=f"10.0.4.{n}")
    first = assert_refused_with_retry_after(sign_in("alice", PASSWORD), "locked")

    time.sleep(1.1)
    sign_in("alice", "wrong", ip="10.0.4.9")  # the third failure: locked for 2 s
    second = assert_refused_with_retry_after(sign_in("alice", PASSWORD), "locked")
    time.sleep(2.1)

    assert (first, second) == (1, 2)
    assert sign_in("alice", PASSWORD).status_code == 200
