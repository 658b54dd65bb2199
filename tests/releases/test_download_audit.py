"""The download log names who fetched an archive, not only whom the signed link was made for."""

from urllib.parse import urlsplit

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from rest_framework.authtoken.models import Token

from labelhub.accounts.models import User
from labelhub.releases.models import DownloadEvent
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, build

pytestmark = pytest.mark.django_db

LEAKER_IP = "203.0.113.77"


@pytest.fixture
def release():
    campaign = CampaignFactory()
    approved_clip(campaign, "clip one")
    return build(campaign)


@pytest.fixture
def owner(release) -> User:
    return UserFactory(role=User.Role.CLIENT, organisation=release.client, username="link-owner")


def signed_path(user: User, release) -> str:
    api = Client()
    api.force_login(user)
    url = urlsplit(api.get(f"/api/releases/{release.pk}/download-url/").json()["url"])
    return f"{url.path}?{url.query}"


def fetch(path: str, **extra) -> None:
    response = Client().get(path, REMOTE_ADDR=LEAKER_IP, **extra)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def the_log(release) -> list[dict]:
    pm = Client()
    pm.force_login(UserFactory(role=User.Role.PM))
    return pm.get(f"/api/releases/{release.pk}/downloads/").json()["results"]


def test_a_link_fetched_without_a_session_is_logged_as_anonymous_with_a_hashed_ip(
    owner, release
) -> None:
    fetch(signed_path(owner, release))

    event = DownloadEvent.objects.get()
    assert event.user == owner and event.fetched_by is None
    assert len(event.ip_sha256) == 64
    assert LEAKER_IP not in str(model_to_dict(event).values())
    [row] = the_log(release)
    assert row["user"] == "link-owner" and row["fetched_by"] is None
    assert row["anonymous"] is True and row["ip_sha256"] == event.ip_sha256
    assert LEAKER_IP not in str(row)


def test_a_link_fetched_by_another_signed_in_user_names_that_user(owner, release) -> None:
    colleague = UserFactory(role=User.Role.CLIENT, organisation=release.client)
    browser = Client()
    browser.force_login(colleague)

    response = browser.get(signed_path(owner, release), REMOTE_ADDR=LEAKER_IP)
    b"".join(response.streaming_content)

    event = DownloadEvent.objects.get()
    assert (event.user, event.fetched_by) == (owner, colleague)
    assert the_log(release)[0]["fetched_by"] == colleague.username


def test_a_link_fetched_with_an_api_token_names_the_tokens_user(owner, release) -> None:
    script_user = UserFactory(role=User.Role.CLIENT, organisation=release.client)
    token = Token.objects.create(user=script_user)

    fetch(signed_path(owner, release), HTTP_AUTHORIZATION=f"Token {token.key}")

    assert DownloadEvent.objects.get().fetched_by == script_user


def test_a_stale_token_on_a_signed_link_still_downloads_as_anonymous(owner, release) -> None:
    fetch(signed_path(owner, release), HTTP_AUTHORIZATION="Token not-a-real-token")

    assert DownloadEvent.objects.get().fetched_by is None


def test_the_same_ip_hashes_alike_and_another_ip_differently(owner, release) -> None:
    path = signed_path(owner, release)
    fetch(path)
    fetch(path)
    Client().get(path, REMOTE_ADDR="198.51.100.1")

    hashes = list(DownloadEvent.objects.order_by("pk").values_list("ip_sha256", flat=True))
    assert hashes[0] == hashes[1] != hashes[2]


def test_a_direct_download_is_fetched_by_the_signed_in_user(owner, release) -> None:
    browser = Client()
    browser.force_login(owner)

    b"".join(browser.get(f"/api/releases/{release.pk}/download/").streaming_content)

    event = DownloadEvent.objects.get()
    assert event.user == event.fetched_by == owner


def test_the_portal_log_shows_the_owner_and_an_anonymous_fetcher(owner, release) -> None:
    fetch(signed_path(owner, release))
    pm = Client()
    pm.force_login(UserFactory(role=User.Role.PM))

    page = pm.get(f"/portal/{release.pk}/").content.decode()

    assert "link-owner" in page and "anonymous" in page.lower()
    assert DownloadEvent.objects.get().ip_sha256[:12] in page
    assert LEAKER_IP not in page
