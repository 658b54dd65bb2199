"""Delivery: who may see and download a release, signed links, resumable downloads, revocation."""

import hashlib
import time
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from labelhub.releases.models import DownloadEvent
from tests.factories import CampaignFactory, OrganisationFactory, UserFactory
from tests.releases.helpers import approved_clip, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    campaign = CampaignFactory()
    for index in range(3):
        approved_clip(campaign, f"clip {index}")
    return build(campaign)


@pytest.fixture
def client_user(release) -> User:
    return UserFactory(role=User.Role.CLIENT, organisation=release.client)


def signed_path(api: APIClient, release) -> str:
    response = api.get(f"/api/releases/{release.pk}/download-url/")
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 3600
    url = urlsplit(response.json()["url"])
    return f"{url.path}?{url.query}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_signed_link_serves_ranges_that_resume_into_the_exact_archive(
    api_for, client_user, release
) -> None:
    path = signed_path(api_for(client_user), release)
    anonymous = Client()  # the link is the credential: no session, no token

    first = anonymous.get(path, HTTP_RANGE="bytes=0-99")
    size = release.archive_size_bytes
    assert first.status_code == 206
    assert first["Content-Range"] == f"bytes 0-99/{size}"
    assert first["Accept-Ranges"] == "bytes"
    etag = first["ETag"]
    rest = anonymous.get(path, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=etag)
    assert rest.status_code == 206
    assert rest["Content-Range"] == f"bytes 100-{size - 1}/{size}"

    assembled = body(first) + body(rest)
    assert len(assembled) == size
    assert hashlib.sha256(assembled).hexdigest() == release.archive_sha256
    assert DownloadEvent.objects.filter(release=release, user=client_user).count() == 1


def test_every_whole_download_is_recorded_for_the_pm(api_for, client_user, release) -> None:
    api = api_for(client_user)
    whole = Client().get(signed_path(api, release))
    assert whole.status_code == 200
    assert hashlib.sha256(body(whole)).hexdigest() == release.archive_sha256
    assert api.get(f"/api/releases/{release.pk}/download/").status_code == 200

    log = api_for(UserFactory(role=User.Role.PM)).get(f"/api/releases/{release.pk}/downloads/")

    assert [row["user"] for row in log.json()["results"]] == [client_user.username] * 2
    assert log.json()["results"][0]["organisation"] == release.client.name


def test_a_leaked_link_is_refused_after_expiry_naming_the_expiry(api_for, client_user, release):
    two_hours_ago = time.time() - 7200
    with mock.patch("django.core.signing.time.time", return_value=two_hours_ago):
        path = signed_path(api_for(client_user), release)

    response = Client().get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "link_expired"
    assert "expired" in response.json()["error"]["message"]
    assert DownloadEvent.objects.count() == 0


def test_a_link_is_refused_when_tampered_or_used_for_another_release(
    api_for, client_user, release
) -> None:
    path = signed_path(api_for(client_user), release)
    other_campaign = CampaignFactory(client=release.client)
    approved_clip(other_campaign)
    other = build(other_campaign)

    assert Client().get(path[:-3] + "abc").status_code == 403
    moved = path.replace(f"/releases/{release.pk}/", f"/releases/{other.pk}/")
    assert Client().get(moved).json()["error"]["code"] == "link_invalid"


def test_a_link_stops_working_when_its_user_leaves_the_organisation(
    api_for, client_user, release
) -> None:
    path = signed_path(api_for(client_user), release)
    client_user.organisation = OrganisationFactory()
    client_user.save()

    assert Client().get(path).status_code == 404


def test_revoking_blocks_new_downloads_with_the_reason(api_for, client_user, release) -> None:
    client_api = api_for(client_user)
    earlier_link = signed_path(client_api, release)
    pm_api = api_for(UserFactory(role=User.Role.PM))
    revoke = f"/api/releases/{release.pk}/revoke/"

    assert client_api.post(revoke, {"reason": "mine"}).status_code == 403
    assert pm_api.post(revoke, {"reason": "  "}).status_code == 400
    response = pm_api.post(revoke, {"reason": "mislabelled dialect tags"})
    assert response.status_code == 200
    assert response.json()["revoked_reason"] == "mislabelled dialect tags"

    for refused in (
        Client().get(earlier_link),
        client_api.get(f"/api/releases/{release.pk}/download-url/"),
        client_api.get(f"/api/releases/{release.pk}/download/"),
    ):
        assert refused.status_code == 410
        assert refused.json()["error"]["code"] == "revoked"
        assert "mislabelled dialect tags" in refused.json()["error"]["message"]
    assert pm_api.post(revoke, {"reason": "again"}).status_code == 409
    assert DownloadEvent.objects.count() == 0
    shown = client_api.get(f"/api/releases/{release.pk}/").json()
    assert shown["revoked_reason"] == "mislabelled dialect tags" and shown["revoked_at"]
    release.refresh_from_db()
    assert release.archive.storage.exists(release.archive.name)  # the files stay


def endpoints(release) -> list[tuple[str, str]]:
    base = f"/api/releases/{release.pk}"
    return [
        ("get", f"{base}/"),
        ("patch", f"{base}/"),
        ("delete", f"{base}/"),
        ("post", f"{base}/revoke/"),
        ("get", f"{base}/changes/"),
        ("get", f"{base}/withdrawn-items/"),
        ("get", f"{base}/datasheet/"),
        ("get", f"{base}/downloads/"),
        ("get", f"{base}/download-url/"),
        ("post", f"{base}/download-url/"),
        ("get", f"{base}/download/"),
        ("get", f"{base}/archive/?token=x"),
    ]


def page_urls(release) -> list[tuple[str, str]]:
    base = f"/portal/{release.pk}"
    return [
        ("get", f"{base}/"),
        ("get", f"{base}/datasheet/"),
        ("get", f"{base}/download/"),
        ("post", f"{base}/revoke/"),
    ]


@pytest.mark.parametrize("who", ["other_client", "labeler", "anonymous"])
def test_outsiders_get_nothing_from_any_release_endpoint(api_for, release, who) -> None:
    if who == "anonymous":
        api, pages = APIClient(), Client()
    else:
        user = UserFactory(
            role=User.Role.CLIENT if who == "other_client" else User.Role.LABELER,
            organisation=OrganisationFactory() if who == "other_client" else None,
        )
        api, pages = api_for(user), Client()
        pages.force_login(user)

    for method, url in endpoints(release):
        response = getattr(api, method)(url, {"reason": "x"}, format="json")
        # 401 is DRF's answer to no credentials at all (the API takes tokens).
        assert response.status_code in {401, 403, 404}, (method, url, response.status_code)
        assert str(release.archive_sha256) not in response.content.decode(errors="replace")
    listed = api.get("/api/releases/")
    assert listed.status_code in {401, 403} or listed.json() == []
    for method, url in page_urls(release):
        response = getattr(pages, method)(url, {"reason": "x"})
        expected = {302} if who == "anonymous" else {403, 404}
        assert response.status_code in expected, (method, url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")
    assert DownloadEvent.objects.count() == 0
    assert release.__class__.objects.get(pk=release.pk).revoked_at is None


def test_another_clients_view_is_404_and_a_labeler_is_403(api_for, release) -> None:
    other = api_for(UserFactory(role=User.Role.CLIENT, organisation=OrganisationFactory()))
    labeler = api_for(UserFactory(role=User.Role.LABELER))

    assert other.get(f"/api/releases/{release.pk}/").status_code == 404
    assert other.get(f"/api/releases/{release.pk}/download-url/").status_code == 404
    assert labeler.get(f"/api/releases/{release.pk}/").status_code == 403
    assert APIClient().get(f"/api/releases/{release.pk}/").status_code == 401


def test_a_client_rotates_an_api_token_that_sees_only_its_organisation(
    client_user, release
) -> None:
    foreign_campaign = CampaignFactory()
    approved_clip(foreign_campaign)
    foreign = build(foreign_campaign)
    pages = Client()
    pages.force_login(client_user)

    page = pages.post("/portal/token/")
    first_key = Token.objects.get(user=client_user).key
    assert first_key in page.content.decode()
    pages.post("/portal/token/")
    key = Token.objects.get(user=client_user).key
    assert key != first_key

    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert [row["id"] for row in api.get("/api/releases/").json()] == [release.pk]
    assert api.get(f"/api/releases/{foreign.pk}/").status_code == 404
    download = api.get(f"/api/releases/{release.pk}/download/")
    assert hashlib.sha256(body(download)).hexdigest() == release.archive_sha256
    stale = APIClient(HTTP_AUTHORIZATION=f"Token {first_key}")
    assert stale.get("/api/releases/").status_code == 401


def test_a_labeler_cannot_hold_a_release_token() -> None:
    pages = Client()
    pages.force_login(UserFactory(role=User.Role.LABELER))

    assert pages.post("/portal/token/").status_code == 403
    assert Token.objects.count() == 0
