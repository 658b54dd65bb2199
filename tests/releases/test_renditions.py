"""A version is content; WAV or FLAC, originals or not and the format set are its renditions."""

import hashlib
import io
import zipfile
from urllib.parse import urlsplit

import pytest
from django.test import Client

from labelhub.accounts.models import User
from labelhub.jobs import jobs_reap
from labelhub.releases.models import DownloadEvent, Release, ReleaseRendition
from labelhub.releases.rendition_services import rendition_build, rendition_run
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, build
from tests.releases.test_formats_loaders import tone
from tests.workers.test_jobs import later
from workers.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def release() -> Release:
    campaign = CampaignFactory(name="Acme Smart TV")
    for number, text in enumerate(("turn on the tv", "volume up")):
        approved_clip(campaign, text, normalised_file__data=tone(number))
    return build(campaign)


@pytest.fixture
def queue():
    """This test's Redis queue, emptied before and after: returns how many messages wait."""
    app.control.purge()
    yield app.control.purge
    app.control.purge()


@pytest.fixture
def pm() -> User:
    return UserFactory(role=User.Role.PM)


def ask(api_for, user, release, **body):
    return api_for(user).post(f"/api/releases/{release.pk}/renditions/", body, format="json")


def members(response) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()


def test_a_published_version_has_its_default_rendition(release) -> None:
    rendition = release.renditions.get()

    assert rendition.key == "wav" and rendition.status == ReleaseRendition.Status.PUBLISHED
    assert rendition.archive.name == release.archive.name
    assert rendition.archive_sha256 == release.archive_sha256


def test_a_flac_rendition_is_queued_built_and_takes_no_version_number(release, pm, api_for) -> None:
    response = ask(api_for, pm, release, audio_format="flac")

    assert response.status_code == 202, response.json()
    assert response.json()["key"] == "flac" and response.json()["status"] == "building"
    rendition_run(rendition_id=release.renditions.get(key="flac").pk)  # what the worker does
    detail = api_for(pm).get(f"/api/releases/{release.pk}/").json()
    assert {r["key"]: r["status"] for r in detail["renditions"]} == {
        "wav": "published",
        "flac": "published",
    }
    assert Release.objects.filter(campaign=release.campaign).count() == 1
    assert detail["version"] == 1


def test_a_rendition_downloads_by_its_key_and_the_default_without_one(release, pm) -> None:
    rendition_build(release=release, key="flac+lhotse")
    client = Client()
    client.force_login(pm)

    flac = client.get(f"/api/releases/{release.pk}/download/?rendition=flac+lhotse")
    default = client.get(f"/api/releases/{release.pk}/download/")

    assert flac.status_code == 200 and default.status_code == 200
    flac_names, default_names = members(flac), members(default)
    assert any(name.endswith(".flac") for name in flac_names)
    assert any("/lhotse/" in name for name in flac_names)
    assert not any(name.endswith(".flac") for name in default_names)
    sha = release.renditions.get(key="flac+lhotse").archive_sha256
    assert flac["X-Checksum-SHA256"] == sha != release.archive_sha256


def test_a_signed_link_carries_its_rendition(release, pm) -> None:
    rendition_build(release=release, key="flac")
    client = Client()
    client.force_login(pm)
    url = client.get(f"/api/releases/{release.pk}/download-url/?rendition=flac").json()["url"]

    fetched = Client().get(f"{urlsplit(url).path}?{urlsplit(url).query}")

    assert fetched.status_code == 200
    assert fetched["X-Checksum-SHA256"] == release.renditions.get(key="flac").archive_sha256


def test_asking_for_a_rendition_not_built_is_a_404_naming_how_to_ask(release, pm) -> None:
    client = Client()
    client.force_login(pm)

    response = client.get(f"/api/releases/{release.pk}/download/?rendition=flac")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "rendition_not_built"
    assert "/renditions/" in response.json()["error"]["message"]
    assert not DownloadEvent.objects.exists()


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("wav+nope", "unknown formats"),
        ("wav+parquet+lhotse", "did you mean 'wav+lhotse+parquet'"),
        ("ogg", "wav"),
    ],
)
def test_a_bad_rendition_key_is_a_400_naming_it(release, pm, query, problem) -> None:
    client = Client()
    client.force_login(pm)

    response = client.get(f"/api/releases/{release.pk}/download/", {"rendition": query})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_rendition"
    assert problem in response.json()["error"]["message"]


def test_a_bad_rendition_request_is_refused_and_stores_nothing(release, pm, api_for) -> None:
    response = ask(api_for, pm, release, audio_format="mp3", formats=["tiktok"])

    assert response.status_code == 400
    assert set(response.json()["error"]) >= {"code", "message"}
    assert release.renditions.count() == 1


def test_asking_twice_builds_once(release, pm, api_for) -> None:
    ask(api_for, pm, release, audio_format="flac")
    again = ask(api_for, pm, release, audio_format="flac")

    assert again.status_code == 202
    assert release.renditions.filter(key="flac").count() == 1


def test_the_releases_client_may_ask_for_a_rendition_and_another_client_may_not(
    release, api_for
) -> None:
    own = UserFactory(role=User.Role.CLIENT, organisation=release.client)
    other = UserFactory(role=User.Role.CLIENT)

    assert ask(api_for, own, release, formats=["parquet"]).status_code == 202
    assert ask(api_for, other, release, formats=["parquet"]).status_code == 404


def test_a_revoked_version_gets_no_new_rendition(release, pm, api_for) -> None:
    api_for(pm).post(f"/api/releases/{release.pk}/revoke/", {"reason": "bad"}, format="json")

    response = ask(api_for, pm, release, audio_format="flac")

    assert response.status_code == 410
    assert release.renditions.count() == 1


def test_a_rendition_whose_build_fails_keeps_the_reason(release) -> None:
    item = release.items.first()
    item.recording.normalised_file.storage.delete(item.recording.normalised_file.name)

    rendition = rendition_build(release=release, key="flac")

    assert rendition.status == ReleaseRendition.Status.FAILED and rendition.error
    assert not rendition.archive


def test_the_reaper_requeues_a_rendition_whose_message_was_lost(
    release,
    pm,
    api_for,
    queue,
    settings,
) -> None:
    ask(api_for, pm, release, audio_format="flac")

    report = jobs_reap(now=later(settings.RELEASE_BUILD_TIME_LIMIT_SECONDS))

    assert report["requeued"] == {"rendition_build": 1}
    assert queue() == 1


def test_a_head_request_is_not_logged_as_a_download(release, pm) -> None:
    client = Client()
    client.force_login(pm)

    head = client.head(f"/api/releases/{release.pk}/download/")
    assert head.status_code == 200 and not DownloadEvent.objects.exists()
    client.get(f"/api/releases/{release.pk}/download/")
    assert DownloadEvent.objects.count() == 1


def test_a_kaldi_prefix_in_the_spec_makes_wav_scp_paths_absolute() -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, normalised_file__data=tone(0))

    release = build(campaign, spec={"kaldi_audio_prefix": "/data/acme/"})

    with release.archive.open("rb") as handle:
        bundle = zipfile.ZipFile(io.BytesIO(handle.read()))
    scp = next(name for name in bundle.namelist() if name.endswith("wav.scp"))
    path = bundle.read(scp).decode().split()[1]
    assert path.startswith("/data/acme/") and path.count("//") == 0
    assert hashlib.sha256(path.encode()).hexdigest()


@pytest.mark.parametrize("prefix", ["data/acme", "/data/my corpus"])
def test_a_kaldi_prefix_that_is_not_an_absolute_path_is_refused(api_for, prefix) -> None:
    campaign = CampaignFactory()

    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/",
        {"campaign": campaign.pk, "spec": {"kaldi_audio_prefix": prefix}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_spec"
    assert "kaldi_audio_prefix" in response.json()["error"]["message"]
    assert not Release.objects.exists()


def test_a_client_asks_for_a_rendition_in_the_portal_and_downloads_it_there(release) -> None:
    client = Client()
    client.force_login(UserFactory(role=User.Role.CLIENT, organisation=release.client))

    asked = client.post(
        f"/portal/{release.pk}/renditions/", {"audio_format": "flac", "formats": ["lhotse"]}
    )
    rendition_run(rendition_id=release.renditions.get(key="flac+lhotse").pk)
    page = client.get(f"/portal/{release.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    link = client.get(f"/portal/{release.pk}/download/?rendition=flac%2Blhotse")

    assert asked.status_code == 302
    assert 'data-key="flac+lhotse"' in page and "렌디션" in page
    fetched = Client().get(link["Location"])
    assert fetched["X-Checksum-SHA256"] == release.renditions.get(key="flac+lhotse").archive_sha256


def test_a_bad_rendition_asked_in_the_portal_is_named_on_the_page(release, pm) -> None:
    client = Client()
    client.force_login(pm)

    response = client.post(
        f"/portal/{release.pk}/renditions/", {"audio_format": "ogg"}, follow=True
    )

    assert "audio_format must be one of" in response.content.decode()
    assert release.renditions.count() == 1
