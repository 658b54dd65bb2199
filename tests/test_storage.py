"""Object storage (STORAGE_BACKEND=s3) against a real SeaweedFS server: settings, presigned
redirects for audio and archives, Range served by S3 itself, and the storage helpers."""

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from labelhub.accounts.models import User
from labelhub.errors import FileMissing
from labelhub.releases.models import DownloadEvent
from labelhub.settings import s3_storage_options
from labelhub.storage import (
    local_path,
    presigned_url,
    storage_bucket_ensure,
    storage_delete_tree,
    storage_reader,
    storage_upload_file,
    store_file,
)
from tests.factories import CampaignFactory, RecordingFactory, UserFactory
from tests.releases.helpers import approved_clip, build
from tests.s3 import bucket_keys
from tests.test_settings import ROOT, run_with_env

S3_ENV = {
    "STORAGE_BACKEND": "s3",
    "S3_ENDPOINT_URL": "http://127.0.0.1:8333",
    "S3_ACCESS_KEY_ID": "key",
    "S3_SECRET_ACCESS_KEY": "secret",
}
PRINT_STORAGE = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.STORAGES['default']['BACKEND'])"
)


def test_local_folder_is_the_default_storage(tmp_path: Path) -> None:
    result = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path)}, PRINT_STORAGE)
    assert result.stdout.strip() == "django.core.files.storage.FileSystemStorage", result.stderr


def test_s3_backend_is_django_storages_with_private_signed_path_style_options(
    tmp_path: Path,
) -> None:
    result = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path), **S3_ENV}, PRINT_STORAGE)
    assert result.stdout.strip() == "storages.backends.s3.S3Storage", result.stderr
    options = s3_storage_options(S3_ENV)
    assert options["bucket_name"] == "labelhub"
    assert options["region_name"] == "us-east-1"
    assert options["querystring_expire"] == 300
    assert options["default_acl"] is None
    assert options["addressing_style"] == "path"
    assert options["signature_version"] == "s3v4"
    assert options["file_overwrite"] is False


def test_a_missing_s3_variable_stops_start_up_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {k: v for k, v in S3_ENV.items() if k != "S3_SECRET_ACCESS_KEY"}
    result = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path), **env}, PRINT_STORAGE)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith("S3_SECRET_ACCESS_KEY must be set when STORAGE_BACKEND=s3"), last


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"S3_ENDPOINT_URL": ""}, "S3_ENDPOINT_URL"),
        ({"S3_ENDPOINT_URL": "127.0.0.1:8333"}, "S3_ENDPOINT_URL"),
        ({"S3_ACCESS_KEY_ID": ""}, "S3_ACCESS_KEY_ID"),
        ({"S3_BUCKET": ""}, "S3_BUCKET"),
        ({"S3_PRESIGN_SECONDS": "soon"}, "S3_PRESIGN_SECONDS"),
        ({"S3_PRESIGN_SECONDS": "0"}, "S3_PRESIGN_SECONDS"),
        ({"S3_PUBLIC_ENDPOINT_URL": "files.example.org"}, "S3_PUBLIC_ENDPOINT_URL"),
    ],
)
def test_bad_s3_config_is_refused_naming_the_variable(change: dict, named: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=named):
        s3_storage_options({**S3_ENV, **change})


def test_an_unknown_storage_backend_is_refused(tmp_path: Path) -> None:
    env = {"LABELHUB_DATA_DIR": str(tmp_path), "STORAGE_BACKEND": "ftp"}
    result = run_with_env(env, PRINT_STORAGE)
    assert "STORAGE_BACKEND must be local or s3" in result.stderr


@pytest.mark.django_db
def test_recording_audio_redirects_to_a_presigned_url_that_serves_ranges(
    s3_storage: str, s3_server, api_for, pm
) -> None:
    recording = RecordingFactory(normalised_file__data=b"RIFF" + bytes(range(200)))
    assert recording.normalised_file.name in bucket_keys(s3_server, s3_storage)

    response = api_for(pm).get(f"/api/recordings/{recording.pk}/audio/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_server.endpoint_url) and "X-Amz-Signature=" in location
    assert "X-Amz-Expires=300" in location
    ranged = requests.get(location, headers={"Range": "bytes=0-3"}, timeout=10)
    assert ranged.status_code == 206
    assert ranged.content == b"RIFF"
    assert ranged.headers["Content-Type"] == "audio/wav"
    assert ranged.headers["Content-Range"] == "bytes 0-3/204"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [User.Role.CLIENT, User.Role.LABELER])
def test_audio_refused_by_permissions_gives_no_redirect(s3_storage: str, api_for, role) -> None:
    recording = RecordingFactory()
    # The campaign lists its own labeler, so a labeler not listed is off it.
    recording.campaign.labelers.add(UserFactory(role=User.Role.LABELER))
    outsider = UserFactory(role=role)

    response = api_for(outsider).get(f"/api/recordings/{recording.pk}/audio/")

    assert response.status_code in {403, 404}
    assert "Location" not in response
    assert "X-Amz" not in response.content.decode()


@pytest.mark.django_db
def test_a_release_archive_in_s3_downloads_by_presigned_redirect_with_ranges(
    s3_storage: str, s3_server, api_for
) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, "turn on the tv")
    release = build(campaign)
    archive = release.renditions.get().archive.name
    assert archive and archive in bucket_keys(s3_server, s3_storage)
    client = UserFactory(role=User.Role.CLIENT, organisation=release.client)

    response = api_for(client).get(f"/api/releases/{release.pk}/download/")

    assert response.status_code == 302
    location = response["Location"]
    first = requests.get(location, headers={"Range": "bytes=0-99"}, timeout=10)
    rest = requests.get(location, headers={"Range": "bytes=100-"}, timeout=10)
    assert first.status_code == rest.status_code == 206
    assert first.headers["Content-Type"] == "application/zip"
    assert "attachment" in first.headers["Content-Disposition"]
    whole = first.content + rest.content
    assert hashlib.sha256(whole).hexdigest() == release.archive_sha256
    assert DownloadEvent.objects.filter(release=release, user=client).count() == 1


@pytest.mark.django_db
def test_a_release_download_refused_to_another_client_gives_no_redirect(
    s3_storage: str, api_for
) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = build(campaign)
    stranger = UserFactory(role=User.Role.CLIENT)

    response = api_for(stranger).get(f"/api/releases/{release.pk}/download/")

    assert response.status_code == 404
    assert "Location" not in response


def test_local_path_copies_a_remote_file_to_this_machine(s3_storage: str) -> None:
    name = default_storage.save("probe/clip.wav", ContentFile(b"RIFF-bytes"))
    field = RecordingFactory.build(normalised_file=name).normalised_file

    with local_path(field) as path:
        assert path.read_bytes() == b"RIFF-bytes"
        assert path.suffix == ".wav"
    assert not path.exists()


def test_storage_reader_reads_objects_from_s3_by_presigned_get_from_many_threads(
    s3_storage: str,
) -> None:
    clips = {
        default_storage.save(f"probe/{i}.wav", ContentFile(os.urandom(40_000))): i
        for i in range(12)
    }
    read = storage_reader()

    with ThreadPoolExecutor(8) as pool:
        got = dict(zip(clips, pool.map(read, clips), strict=True))

    for name, data in got.items():
        assert data == default_storage.open(name).read()
    assert len({hashlib.sha256(data).digest() for data in got.values()}) == len(clips)


def test_storage_reader_names_an_object_gone_from_the_bucket(s3_storage: str, caplog) -> None:
    name = default_storage.save("probe/gone.wav", ContentFile(b"RIFF"))
    default_storage.delete(name)

    with pytest.raises(FileMissing):
        storage_reader()(name)
    assert "probe/gone.wav" in caplog.text


def test_storage_delete_tree_empties_a_prefix_in_the_bucket(s3_storage: str, s3_server) -> None:
    for name in ("tree/a.txt", "tree/sub/b.txt", "tree/sub/keep.txt", "other/c.txt"):
        default_storage.save(name, ContentFile(b"x"))

    deleted = storage_delete_tree(folder="tree", keep=frozenset({"tree/sub/keep.txt"}))

    assert deleted == 2
    assert bucket_keys(s3_server, s3_storage) == ["other/c.txt", "tree/sub/keep.txt"]


def test_a_large_file_is_stored_by_multipart_upload_streamed_from_disk(
    s3_storage: str, s3_server, tmp_path: Path
) -> None:
    big = tmp_path / "archive.zip"
    with big.open("wb") as out:
        for _ in range(20):
            out.write(os.urandom(1024 * 1024))

    name = store_file(path=big, name="releases/1/v1/archive.zip")

    head = s3_server.client().head_object(Bucket=s3_storage, Key=name)
    assert head["ContentLength"] == 20 * 1024 * 1024
    assert head["ETag"].strip('"').endswith("-3")  # three 8 MiB parts: a multipart upload


def test_upload_file_stores_a_free_name_as_given(s3_storage: str, s3_server, tmp_path) -> None:
    archive = tmp_path / "archive.zip"
    archive.write_bytes(b"PK-first")

    name = storage_upload_file(path=archive, name="releases/1/v1/archive.zip")

    assert name == "releases/1/v1/archive.zip"
    assert bucket_keys(s3_server, s3_storage) == [name]
    body = s3_server.client().get_object(Bucket=s3_storage, Key=name)["Body"].read()
    assert body == b"PK-first"


def test_upload_file_never_overwrites_a_stored_key_and_names_as_save_does(
    s3_storage: str, s3_server, tmp_path
) -> None:
    taken = default_storage.save("releases/1/v1/archive.zip", ContentFile(b"PK-published"))
    archive = tmp_path / "archive.zip"
    archive.write_bytes(b"PK-second")

    name = storage_upload_file(path=archive, name=taken)
    by_save = default_storage.save(taken, ContentFile(b"PK-third"))

    assert name is not None and name != taken
    client = s3_server.client()
    assert client.get_object(Bucket=s3_storage, Key=taken)["Body"].read() == b"PK-published"
    assert client.get_object(Bucket=s3_storage, Key=name)["Body"].read() == b"PK-second"
    # Django's naming: the stem, an underscore and seven random characters, the same suffix.
    for other in (name, by_save):
        assert other.startswith("releases/1/v1/archive_") and other.endswith(".zip")
        assert len(other) == len(taken) + 8
    assert bucket_keys(s3_server, s3_storage) == sorted([taken, name, by_save])


@pytest.mark.parametrize("bad", ["../outside.zip", "releases/../../outside.zip", "/abs.zip"])
def test_upload_file_refuses_a_name_outside_the_storage(
    s3_storage: str, s3_server, tmp_path, bad: str
) -> None:
    archive = tmp_path / "archive.zip"
    archive.write_bytes(b"PK")

    with pytest.raises(SuspiciousFileOperation):
        storage_upload_file(path=archive, name=bad)
    assert bucket_keys(s3_server, s3_storage) == []


def test_presigned_urls_are_signed_for_the_public_endpoint_when_set(
    s3_storage: str, s3_server, settings
) -> None:
    # localhost reaches the same server by another host name, as a browser's address would.
    settings.S3_PUBLIC_ENDPOINT_URL = f"http://localhost:{s3_server.port}"
    name = default_storage.save("probe/clip.wav", ContentFile(b"RIFF-public"))

    url = presigned_url(name=name, content_type="audio/wav", filename="clip.wav")

    assert url is not None and url.startswith(f"http://localhost:{s3_server.port}/{s3_storage}/")
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.content == b"RIFF-public"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="clip.wav"'


def test_presigned_url_is_none_on_the_local_folder() -> None:
    assert presigned_url(name="normalised/1/x.wav", content_type="audio/wav") is None


def test_bucket_ensure_creates_a_missing_bucket_and_is_safe_to_rerun(
    s3_storage: str, s3_server
) -> None:
    s3_server.client().delete_bucket(Bucket=s3_storage)

    assert storage_bucket_ensure() is True
    assert storage_bucket_ensure() is True
    s3_server.client().head_bucket(Bucket=s3_storage)


def test_docker_compose_runs_seaweedfs_and_points_web_and_workers_at_it() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["seaweedfs"]["image"].startswith("chrislusf/seaweedfs")
    store = json.loads((ROOT / "docker" / "seaweedfs-s3.json").read_text())
    (keys,) = store["identities"][0]["credentials"]
    for name in ("web", "worker", "beat"):
        environment = compose["services"][name]["environment"]
        assert environment["STORAGE_BACKEND"] == "s3"
        assert environment["S3_ENDPOINT_URL"] == "http://seaweedfs:8333"
        assert environment["S3_ACCESS_KEY_ID"] == keys["accessKey"]
        assert environment["S3_SECRET_ACCESS_KEY"] == keys["secretKey"]
    assert "storage_bucket_ensure" in compose["services"]["web"]["command"]


def test_with_s3_the_pages_may_play_audio_from_the_public_store_only(tmp_path: Path) -> None:
    public = {"S3_PUBLIC_ENDPOINT_URL": "https://files.example.org"}
    code = (
        "import django; django.setup(); "
        "from labelhub.csp import content_security_policy; print(content_security_policy())"
    )
    result = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path), **S3_ENV, **public}, code)
    directives = dict(part.split(" ", 1) for part in result.stdout.strip().split("; "))
    assert directives["media-src"] == "'self' blob: https://files.example.org", result.stderr
    assert directives["connect-src"] == "'self'"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/work/", "/campaigns/", "/api/docs/"])
def test_every_page_may_play_audio_from_the_store_it_is_pointed_at(
    s3_storage: str, s3_server, client, path: str
) -> None:
    # The storage is switched at run time (as the fixture does): the policy follows it.
    client.force_login(UserFactory(role=User.Role.PM))

    response = client.get(path)

    assert response.status_code == 200
    directives = dict(
        part.split(" ", 1) for part in response.headers["Content-Security-Policy"].split("; ")
    )
    assert directives["media-src"] == f"'self' blob: {s3_server.endpoint_url}"
    assert directives["connect-src"] == "'self'"


def test_bucket_ensure_gives_the_bucket_a_cors_rule_for_audio_and_keeps_an_operators(
    s3_storage: str, s3_server
) -> None:
    client = s3_server.client()
    client.delete_bucket_cors(Bucket=s3_storage)
    storage_bucket_ensure()
    (rule,) = client.get_bucket_cors(Bucket=s3_storage)["CORSRules"]
    assert rule["AllowedOrigins"] == ["*"] and "Range" in rule["AllowedHeaders"]
    assert "Content-Range" in rule["ExposeHeaders"]

    own = {"AllowedOrigins": ["https://labels.example"], "AllowedMethods": ["GET"]}
    client.put_bucket_cors(Bucket=s3_storage, CORSConfiguration={"CORSRules": [own]})
    storage_bucket_ensure()
    (kept,) = client.get_bucket_cors(Bucket=s3_storage)["CORSRules"]
    assert kept["AllowedOrigins"] == ["https://labels.example"]
