"""Feedback and upload endpoints answer 429 with Retry-After once a caller exceeds its rate."""

import pytest
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db


def rate(settings, scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def burst(client: APIClient, path: str, times: int) -> set[int]:
    return {client.post(path, {}, format="multipart").status_code for _ in range(times)}


@pytest.fixture
def pm_api(pm: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(pm)
    return client


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/api/feedback/", "feedback"),
        ("/api/recordings/", "upload"),
        ("/api/campaigns/{campaign}/bulk-uploads/", "upload"),
        ("/api/campaigns/{campaign}/prompts/import/", "upload"),
    ],
)
def test_a_pm_posting_past_the_rate_gets_429_with_retry_after(settings, pm_api, path, scope):
    path = path.format(campaign=CampaignFactory().pk)

    answers = burst(pm_api, path, rate(settings, scope))
    throttled = pm_api.post(path, {}, format="multipart")

    assert 429 not in answers
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert throttled.json()["error"]["code"] == "throttled"


def test_the_recorder_upload_is_throttled_per_ip_for_invite_links(settings) -> None:
    path = "/api/record/not-a-token/recordings/"
    answers = burst(APIClient(REMOTE_ADDR="10.0.5.1"), path, rate(settings, "upload"))

    throttled = APIClient(REMOTE_ADDR="10.0.5.1").post(path, {}, format="multipart")
    other_ip = APIClient(REMOTE_ADDR="10.0.5.2").post(path, {}, format="multipart")

    assert 429 not in answers
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert other_ip.status_code != 429


def test_reads_of_upload_endpoints_are_never_throttled(settings, pm_api) -> None:
    path = f"/api/campaigns/{CampaignFactory().pk}/bulk-uploads/"
    answers = {pm_api.get(path).status_code for _ in range(rate(settings, "upload") + 5)}

    assert answers == {200}


def test_one_users_burst_does_not_throttle_another(settings, pm_api) -> None:
    burst(pm_api, "/api/feedback/", rate(settings, "feedback") + 1)
    other = APIClient()
    other.force_authenticate(UserFactory(role=User.Role.PM))

    assert other.post("/api/feedback/", {}, format="multipart").status_code != 429


@pytest.mark.parametrize("page", ["bulk-uploads/", "prompts/import/"])
def test_upload_pages_share_the_upload_rate_and_answer_a_readable_429(settings, client, pm, page):
    client.force_login(pm)
    path = f"/campaigns/{CampaignFactory().pk}/{page}"
    answers = {client.post(path, {}).status_code for _ in range(rate(settings, "upload"))}

    throttled = client.post(path, {}, HTTP_ACCEPT_LANGUAGE="ko")

    assert 429 not in answers
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert "요청이 너무 많습니다" in throttled.content.decode()
