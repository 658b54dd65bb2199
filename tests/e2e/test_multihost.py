"""The loop on three "hosts" that share only PostgreSQL, Redis and S3 (a real SeaweedFS).

A gunicorn web process, a Celery worker on the default queue and one on the asr queue each get
their own empty MEDIA_ROOT and STORAGE_BACKEND=s3. A recording goes from an HTTP upload through
ingest and a Whisper draft, labeling, review, a release build and the client's download (by a
presigned redirect) to consent withdrawal; afterwards no MEDIA_ROOT holds a file, which proves
nothing passed through a shared disk, and the speaker's objects are gone from the bucket.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings

from labelhub.accounts.models import Organisation, User
from labelhub.recordings.models import Recording
from labelhub.releases.models import ReleaseRendition
from scripts.s3_server import SeaweedS3, free_port
from tests.audio_samples import speak
from tests.e2e.conftest import ROOT, StartWorker, _test_database_url
from tests.e2e.test_whole_loop import Api
from tests.factories import UserFactory
from tests.releases.helpers import Unpacked
from tests.s3 import bucket_keys

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SPOKEN = "turn on the television in the living room"


def _host_env(s3_server: SeaweedS3, bucket: str, root: Path) -> dict[str, str]:
    """One host's environment: its own data folder, the shared database, broker and bucket."""
    (root / "media").mkdir(parents=True)
    return {
        **s3_server.env(),
        "S3_BUCKET": bucket,
        "MEDIA_ROOT": str(root / "media"),
        "LABELHUB_DATA_DIR": str(root),
        "SECRET_KEY": "multihost-test-secret-shared-by-every-host",
    }


@pytest.fixture
def web_host(start_worker: StartWorker, s3_server, s3_storage: str, tmp_path: Path) -> Iterator:
    """A gunicorn process on the test database with its own MEDIA_ROOT; yields (url, root)."""
    root, port = tmp_path / "web", free_port()
    env = {
        **os.environ,
        **_host_env(s3_server, s3_storage, root),
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "labelhub.settings",
    }
    command = [sys.executable, "-m", "gunicorn", "labelhub.wsgi:application"]
    options = ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
    with (tmp_path / "web.log").open("w") as log:
        web = subprocess.Popen(
            [*command, *options, "--timeout", "300", "--no-control-socket"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(web, f"http://127.0.0.1:{port}", tmp_path / "web.log")
        yield f"http://127.0.0.1:{port}", root
    finally:
        web.terminate()
        web.wait(timeout=30)
        print(f"--- web.log\n{(tmp_path / 'web.log').read_text()[-3000:]}")  # shown on failure


def _wait_until_serving(web: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{log.read_text()}")
        try:
            requests.get(f"{url}/api/auth/token/", timeout=30)
            return
        except requests.RequestException:  # not listening yet, or still loading Django
            time.sleep(0.3)
    pytest.fail(f"gunicorn not serving after 60s:\n{log.read_text()}")


def _open_campaign(pm: Api, client_org: Organisation) -> tuple[dict, dict]:
    """An active campaign (legal review signed off) and its consent document."""
    campaign = pm.created(
        "/api/campaigns/", json={"name": "Multi-host", "client": client_org.pk, "language": "en"}
    )
    consent = pm.created(
        f"/api/campaigns/{campaign['id']}/consent-documents/",
        json={"title": "Consent", "text": "I agree that my voice may be used to train ASR."},
    )
    answers = {
        "consent_text_reviewed": True,
        "retention_period_set": True,
        "purpose_stated": True,
        "third_party_delivery_stated": True,
        "minors_policy": "No speakers under 14.",
    }
    legal = f"{pm.base}/api/campaigns/{campaign['id']}/legal-review/"
    assert pm.session.patch(legal, json=answers).status_code == 200
    assert pm.post(f"/api/campaigns/{campaign['id']}/legal-review/sign-off/").status_code == 200
    for status in ("legal_review", "active"):
        moved = pm.post(f"/api/campaigns/{campaign['id']}/transition/", json={"to": status})
        assert moved.status_code == 200, moved.text
    return campaign, consent


def _upload(pm: Api, campaign: dict, consent: dict, tmp_path: Path) -> tuple[dict, dict]:
    speaker = pm.created(
        f"/api/campaigns/{campaign['id']}/speakers/",
        json={
            "age_band": "30s",
            "gender": "female",
            "region": "Seoul",
            "consent_document": consent["id"],
            "consent_method": "web_signature",
        },
    )
    source = speak(SPOKEN, tmp_path / "clip.wav")
    with source.open("rb") as handle:
        recording = pm.created(
            "/api/recordings/", data={"speaker": speaker["id"]}, files={"file": handle}
        )
    return speaker, recording


def _label_and_approve(labeler: Api, reviewer: Api) -> None:
    task = labeler.post("/api/tasks/claim/").json()
    assert task["draft"]["kind"] == "asr_draft" and task["draft"]["text"]
    audio = labeler.get(task["audio_url"], allow_redirects=False)
    assert audio.status_code == 302  # the web host hands out S3's address, not the bytes
    played = requests.get(audio.headers["Location"], headers={"Range": "bytes=0-"}, timeout=10)
    assert played.status_code == 206
    with wave.open(io.BytesIO(played.content)) as clip:
        assert (clip.getframerate(), clip.getnchannels()) == (16000, 1)
    labeler.created(
        f"/api/tasks/{task['id']}/submit/",
        json={"text": SPOKEN.capitalize() + ".", "base_revision": task["draft"]["id"]},
    )
    review = reviewer.post("/api/reviews/claim/").json()
    submitted = review["submitted"]
    reviewer.created(
        f"/api/reviews/{review['id']}/decide/",
        json={"decision": "approve", "text": submitted["text"], "base_revision": submitted["id"]},
    )


def _download(client: Api, release: dict) -> Unpacked:
    answer = client.get(f"/api/releases/{release['id']}/download/", allow_redirects=False)
    assert answer.status_code == 302, answer.text
    archive = requests.get(answer.headers["Location"], timeout=30)
    assert archive.status_code == 200
    assert archive.headers["Content-Type"] == "application/zip"
    assert hashlib.sha256(archive.content).hexdigest() == release["archive_sha256"]
    return Unpacked(archive.content)


def _stored_files(root: Path) -> list[Path]:
    return [path for path in (root / "media").rglob("*") if path.is_file()]


def test_web_and_two_workers_share_only_the_database_broker_and_s3(
    web_host, start_worker: StartWorker, s3_server, s3_storage: str, tmp_path: Path
) -> None:
    url, web_root = web_host
    roots = [web_root, tmp_path / "worker-default", tmp_path / "worker-asr"]
    start_worker("celery", **_host_env(s3_server, s3_storage, roots[1]))
    start_worker("asr", **_host_env(s3_server, s3_storage, roots[2]))
    client_org = Organisation.objects.create(name="TV Maker Inc.", kind="client")
    for username, role in [("pm", "pm"), ("labeler", "labeler"), ("reviewer", "reviewer")]:
        UserFactory(username=username, role=role)
    UserFactory(username="client", role=User.Role.CLIENT, organisation=client_org)
    pm = Api(url, "pm")
    campaign, consent = _open_campaign(pm, client_org)

    speaker, recording = _upload(pm, campaign, consent, tmp_path)
    done = pm.wait_for(
        f"/api/recordings/{recording['id']}/", lambda r: r["asr_status"] in {"done", "failed"}
    )
    assert (done["status"], done["asr_status"]) == ("ready", "done"), done
    _label_and_approve(Api(url, "labeler"), Api(url, "reviewer"))
    release = pm.created("/api/releases/", json={"campaign": campaign["id"]})
    release = pm.wait_for(f"/api/releases/{release['id']}/", lambda r: r["status"] != "building")
    assert release["status"] == "published", release
    bundle = _download(Api(url, "client"), release)
    rows = [json.loads(line) for line in bundle.read("manifest.jsonl").decode().splitlines()]
    assert [(row["recording_id"], row["text"]) for row in rows] == [
        (recording["uid"], SPOKEN.capitalize() + ".")
    ]

    stored = Recording.objects.get(pk=recording["id"])
    audio_keys = {f.name for f in (stored.raw_file, stored.normalised_file, stored.peaks_file)}
    # The release archive holds the speaker's audio too: withdrawal deletes it with the rest.
    audio_keys |= {r.archive.name for r in ReleaseRendition.objects.filter(release=release["id"])}
    assert audio_keys <= set(bucket_keys(s3_server, s3_storage))
    withdrawn = pm.post(f"/api/speakers/{speaker['id']}/withdraw/")
    assert withdrawn.status_code == 202, withdrawn.text
    _wait_until_gone(s3_server, s3_storage, audio_keys)
    # The archive that held the speaker stops being served (no new presigned URL is made).
    client = Api(url, "client")
    gone = pm.wait_for(f"/api/releases/{release['id']}/", lambda r: r["superseded_at"])
    refused = client.get(f"/api/releases/{gone['id']}/download/", allow_redirects=False)
    assert refused.status_code == 410 and "Location" not in refused.headers, refused.text
    assert all(_stored_files(root) == [] for root in roots), [_stored_files(r) for r in roots]


def _wait_until_gone(s3_server: SeaweedS3, bucket: str, keys: set[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not keys & set(bucket_keys(s3_server, bucket)):
            return
        time.sleep(0.5)
    pytest.fail(f"the withdrawn speaker's objects stayed in the bucket: {keys}")
