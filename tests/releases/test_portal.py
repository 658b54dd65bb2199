"""The delivery portal pages (/portal/) for clients and PMs."""

import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.releases.models import DownloadEvent, Release
from labelhub.releases.services import download_record, release_create
from labelhub.speakers.models import Speaker
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, build

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def release() -> Release:
    campaign = CampaignFactory(name="TV commands")
    approved_clip(campaign, "volume up")
    approved_clip(campaign, "volume down")
    return build(campaign)


def test_a_client_sees_only_its_organisations_published_releases(release) -> None:
    foreign_campaign = CampaignFactory(name="Someone else's")
    approved_clip(foreign_campaign)
    build(foreign_campaign)
    building = release_create(
        campaign=release.campaign, client=release.client, created_by=UserFactory()
    )
    client = signed_in(UserFactory(role=User.Role.CLIENT, organisation=release.client))

    page = client.get("/portal/").content.decode()

    assert f'data-release="{release.pk}"' in page
    assert f'data-release="{building.pk}"' not in page
    assert "Someone else" not in page


def test_the_release_page_shows_size_checksum_and_a_download_that_works(release) -> None:
    user = UserFactory(role=User.Role.CLIENT, organisation=release.client)
    client = signed_in(user)

    page = client.get(f"/portal/{release.pk}/").content.decode()
    assert release.archive_sha256 in page
    assert str(release.archive_size_bytes) in page
    assert "Download log" not in page

    redirect = client.get(f"/portal/{release.pk}/download/")
    assert redirect.status_code == 302
    assert redirect["Location"].startswith(f"/api/releases/{release.pk}/archive/?token=")
    archive = Client().get(redirect["Location"])
    assert hashlib.sha256(b"".join(archive.streaming_content)).hexdigest() == (
        release.archive_sha256
    )
    assert DownloadEvent.objects.filter(user=user).count() == 1


def test_the_pm_sees_the_download_log_and_revokes_with_a_reason(release) -> None:
    client_user = UserFactory(role=User.Role.CLIENT, organisation=release.client, username="kim")
    event = download_record(
        release=release, user=client_user, fetched_by=client_user, ip_address="10.0.0.7"
    )
    pm = signed_in(UserFactory(role=User.Role.PM))

    page = pm.get(f"/portal/{release.pk}/").content.decode()
    assert "kim" in page and event.ip_sha256[:12] in page and "10.0.0.7" not in page

    pm.post(f"/portal/{release.pk}/revoke/", {"reason": "wrong consent version"})
    release.refresh_from_db()
    assert release.revoked_reason == "wrong consent version"
    client_page = signed_in(client_user).get(f"/portal/{release.pk}/").content.decode()
    assert "wrong consent version" in client_page
    assert f"/portal/{release.pk}/download/" not in client_page


def test_a_release_with_a_withdrawn_speaker_is_flagged_to_the_client(release) -> None:
    item = release.items.select_related("recording").first()
    Speaker.objects.filter(pk=item.recording.speaker_id).update(withdrawn_at=timezone.now())
    client = signed_in(UserFactory(role=User.Role.CLIENT, organisation=release.client))

    assert 'class="error flagged"' in client.get("/portal/").content.decode()
    detail = client.get(f"/portal/{release.pk}/").content.decode()
    assert item.path in detail


def test_the_pm_defines_a_release_on_the_page(release) -> None:
    pm = signed_in(UserFactory(role=User.Role.PM))
    form = {"campaign": release.campaign_id, "genders": ["female"]}
    form |= {"dialects": ["general_american", "british"]}
    form |= {"approved_only": "on", "train": 0.8, "dev": 0.1, "test": 0.1, "seed": 3}

    response = pm.post("/portal/manage/new/", form)

    created = Release.objects.exclude(pk=release.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/portal/{created.pk}/"
    assert created.spec["genders"] == ["female"]
    assert created.spec["dialects"] == ["general_american", "british"]
    assert created.seed == 3 and created.version == 2
    building = pm.get(f"/portal/{created.pk}/").content.decode()
    assert 'http-equiv="refresh"' in building and "<progress" in building


def test_a_bad_spec_on_the_page_is_shown_and_nothing_is_stored(release) -> None:
    pm = signed_in(UserFactory(role=User.Role.PM))
    form = {"campaign": release.campaign_id, "train": 0.5, "dev": 0.1, "test": 0.1, "seed": 0}

    response = pm.post("/portal/manage/new/", form)

    assert response.status_code == 200
    assert "sum to 1" in response.content.decode()
    assert Release.objects.count() == 1


def test_clients_cannot_open_the_release_form(release) -> None:
    client = signed_in(UserFactory(role=User.Role.CLIENT, organisation=release.client))

    assert client.get("/portal/manage/new/").status_code == 403


def test_the_portal_speaks_korean_when_asked(release) -> None:
    client = signed_in(UserFactory(role=User.Role.CLIENT, organisation=release.client))

    page = client.get(f"/portal/{release.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "아카이브 다운로드" in page and "데이터시트 미리 보기" in page


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_token_help_shows_the_key_placeholder(release, language) -> None:
    client = signed_in(UserFactory(role=User.Role.CLIENT, organisation=release.client))

    page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert "<code>Authorization: Token &lt;key&gt;</code>" in page
    assert "Token <key>" not in page
