"""After a withdrawal's worker run, the old archive's bytes are reachable through no URL, for
the client or the PM, by any route or link issued before; its re-issue downloads and verifies."""

import hashlib

import pytest
from django.test import Client

from labelhub.accounts.models import User
from labelhub.erasure import speaker_audio_delete
from labelhub.releases.delivery import download_url_make
from labelhub.releases.models import Release
from labelhub.releases.services import release_build
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import Unpacked, approved_clip, build
from tests.security.endpoints import all_endpoints

pytestmark = pytest.mark.django_db
# The routes that hand out a release's files (or what quotes them): each answers 410.
SERVING = {
    "release-download",
    "release-signed-download",
    "release-download-url",
    "release-datasheet",
    "portal-download",
    "portal-datasheet",
}


@pytest.fixture
def delivered(media_root, django_capture_on_commit_callbacks):
    """v1 of two speakers, a client and a PM each holding a signed link, then a withdrawal."""
    campaign = CampaignFactory()
    approved_clip(campaign, "stays")
    leaving = approved_clip(campaign, "leaves")
    v1 = build(campaign)
    with v1.archive.open("rb") as handle:
        v1_bytes = handle.read()
    client_user = UserFactory(role=User.Role.CLIENT, organisation=campaign.client)
    pm = UserFactory(role=User.Role.PM)
    links = {user: download_url_make(release=v1, user_id=user.pk)[0] for user in (client_user, pm)}
    with django_capture_on_commit_callbacks(execute=False):
        consent_withdraw(speaker=leaving.speaker, method=BY_PM)
    with django_capture_on_commit_callbacks(execute=False):
        speaker_audio_delete(speaker_id=leaving.speaker_id)  # the worker's run
    v1.refresh_from_db()
    return v1, v1_bytes, links, leaving


def signed_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_signed_link_issued_before_the_withdrawal_answers_410_naming_the_reason(
    delivered,
) -> None:
    v1, v1_bytes, links, _ = delivered

    for link in links.values():
        response = Client().get(link)

        assert response.status_code == 410
        error = response.json()["error"]
        assert error["code"] == "superseded" and error["reason"] == "consent_withdrawn"
        assert "consent withdrawn" in error["message"] and "v1.1" in error["message"]
        assert error["replacement"]["id"] == v1.superseded_by_id
        assert v1_bytes not in response.content


@pytest.mark.parametrize("who", ["client", "pm"])
def test_every_route_that_serves_the_old_release_answers_410_or_holds_none_of_its_bytes(
    delivered, who
) -> None:
    v1, v1_bytes, links, _ = delivered
    user = next(u for u in links if (u.role == User.Role.PM) == (who == "pm"))
    browser = signed_in(user)
    served = set()

    for endpoint in all_endpoints():
        if "release_id" not in endpoint.kwargs:
            continue
        url = endpoint.url(release_id=v1.pk)
        if endpoint.name == "release-signed-download":
            url = links[user]
        response = browser.get(url, HTTP_ACCEPT="application/json")

        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert v1_bytes[:4096] not in body, endpoint.route
        if endpoint.name in SERVING:
            assert response.status_code == 410, (endpoint.route, response.status_code)
            served.add(endpoint.name)
    assert served == SERVING


def test_the_portal_download_page_says_why_and_links_the_reissue(delivered) -> None:
    v1, _, links, _ = delivered
    client_user = next(u for u in links if u.role == User.Role.CLIENT)
    reissue = release_build(release_id=v1.superseded_by_id)

    response = signed_in(client_user).get(f"/portal/{v1.pk}/download/")

    assert response.status_code == 410
    page = response.content.decode()
    assert "consent withdrawn" in page and f'href="/portal/{reissue.pk}/"' in page


def test_the_reissue_downloads_without_the_speaker_and_its_checksums_verify(
    delivered, api_for
) -> None:
    v1, _, links, leaving = delivered
    client_user = next(u for u in links if u.role == User.Role.CLIENT)
    reissue = release_build(release_id=v1.superseded_by_id)
    assert reissue.status == Release.Status.PUBLISHED, reissue.error

    response = api_for(client_user).get(f"/api/releases/{reissue.pk}/download/")

    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == reissue.archive_sha256
    bundle = Unpacked(data)
    for line in bundle.read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(bundle.read(name)).hexdigest() == digest, name
    mentions = {
        name
        for name in bundle.namelist()
        if str(leaving.uid).encode() in bundle.read(name) or str(leaving.uid) in name
    }
    # Only the changelog names the removed item (by id, with its reason), as it should.
    assert mentions <= {"release.json", "DATASHEET.md", "DATASHEET.html"}
    assert not any(leaving.speaker.code.encode() in bundle.read(n) for n in bundle.namelist())


def test_the_portal_shows_the_removal_list_and_v1_1_to_the_client(delivered) -> None:
    v1, _, links, leaving = delivered
    client_user = next(u for u in links if u.role == User.Role.CLIENT)
    reissue = release_build(release_id=v1.superseded_by_id)
    browser = signed_in(client_user)

    detail = browser.get(f"/portal/{v1.pk}/").content.decode()
    index = browser.get("/portal/").content.decode()

    assert f'href="/portal/{reissue.pk}/"' in detail and "v1.1" in detail
    assert f"kaldi/{v1.items.get(recording=leaving).split}/wav.scp#" in detail
    assert f"/api/releases/{v1.pk}/withdrawn-items/" in detail
    assert 'class="button download"' not in detail
    assert "v1.1" in index
