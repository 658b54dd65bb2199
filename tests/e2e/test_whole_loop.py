"""The whole loop over HTTP: campaign, consent, upload, ingest and Whisper in a real Celery worker,
labeling, release build, and a download only the client organisation may make."""

import hashlib
import io
import json
import time
import wave
from pathlib import Path

import pytest
import requests

from labelhub.accounts.models import Organisation, User
from labelhub.labeling.models import TranscriptRevision
from tests.audio_samples import convert, speak, wer
from tests.factories import UserFactory
from tests.releases.helpers import Unpacked

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SPOKEN = [
    ("turn on the television in the living room", ".wav"),
    ("please set an alarm for seven in the morning", ".webm"),
]
PASSWORD = "pass-for-tests-1"


class Api:
    def __init__(self, base: str, username: str) -> None:
        self.base = base
        token = requests.post(
            f"{base}/api/auth/token/", data={"username": username, "password": PASSWORD}
        )
        token.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token.json()['token']}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path if path.startswith("/") else path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.base + path, **kwargs)

    def created(self, path: str, **kwargs) -> dict:
        response = self.post(path, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()

    def wait_for(self, path: str, done, timeout: float = 240) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.get(path).json()
            if done(body):
                return body
            time.sleep(0.5)
        pytest.fail(f"{path} did not finish in {timeout}s: {body}")


def test_the_whole_loop_end_to_end(live_server, celery_worker_process, tmp_path: Path) -> None:
    client_org = Organisation.objects.create(name="TV Maker Inc.", kind="client")
    rival_org = Organisation.objects.create(name="Rival Corp.", kind="client")
    UserFactory(username="pm", role=User.Role.PM)
    UserFactory(username="labeler", role=User.Role.LABELER)
    UserFactory(username="reviewer", role=User.Role.REVIEWER)
    UserFactory(username="client", role=User.Role.CLIENT, organisation=client_org)
    UserFactory(username="rival", role=User.Role.CLIENT, organisation=rival_org)
    pm, labeler = Api(live_server.url, "pm"), Api(live_server.url, "labeler")
    reviewer = Api(live_server.url, "reviewer")

    # 1. A PM creates a campaign with a language and a consent document.
    campaign = pm.created(
        "/api/campaigns/",
        json={"name": "TV voice commands", "client": client_org.pk, "language": "en"},
    )
    consent = pm.created(
        f"/api/campaigns/{campaign['id']}/consent-documents/",
        json={"title": "Consent", "text": "I agree that my voice may be used to train ASR."},
    )
    # Collection opens only after a named PM signs the legal review.
    refused = pm.post(f"/api/campaigns/{campaign['id']}/transition/", json={"to": "active"})
    assert refused.status_code == 409, refused.text
    review = pm.session.patch(
        f"{pm.base}/api/campaigns/{campaign['id']}/legal-review/",
        json={
            "consent_text_reviewed": True,
            "retention_period_set": True,
            "purpose_stated": True,
            "third_party_delivery_stated": True,
            "minors_policy": "No speakers under 14.",
        },
    )
    assert review.status_code == 200, review.text
    signed = pm.post(f"/api/campaigns/{campaign['id']}/legal-review/sign-off/")
    assert signed.status_code == 200 and signed.json()["signed_off_by"] == "pm", signed.text
    for status in ("legal_review", "active"):
        moved = pm.post(f"/api/campaigns/{campaign['id']}/transition/", json={"to": status})
        assert moved.status_code == 200, moved.text

    # 2. A speaker with a consent record; recordings uploaded in two formats.
    speaker = pm.created(
        f"/api/campaigns/{campaign['id']}/speakers/",
        json={
            "age_band": "50s",
            "gender": "male",
            "region": "Busan",
            "dialect": "gyeongsang",
            "consent_document": consent["id"],
            "consent_method": "web_signature",
        },
    )
    uploaded = []
    for index, (text, suffix) in enumerate(SPOKEN):
        source = speak(text, tmp_path / f"clip{index}.wav")
        if suffix != ".wav":
            source = convert(source, tmp_path / f"clip{index}{suffix}")
        with source.open("rb") as handle:
            uploaded.append(
                pm.created(
                    "/api/recordings/",
                    data={"speaker": speaker["id"]},
                    files={"file": (source.name, handle)},
                )
            )
        assert uploaded[-1]["raw_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()

    # 3 and 4. The worker decodes, normalises and pre-transcribes each clip.
    for recording in uploaded:
        body = pm.wait_for(
            f"/api/recordings/{recording['id']}/", lambda r: r["asr_status"] in {"done", "failed"}
        )
        assert body["status"] == "ready", body
        assert body["asr_status"] == "done", body
        assert body["sample_rate"] in {22050, 48000}  # espeak-ng WAV; Opus decodes at 48 kHz
        assert 1.0 < body["duration_seconds"] < 6.0

    # 5. A labeler claims each task, gets the draft and the audio, and submits a correction.
    corrected = {}
    for _ in SPOKEN:
        response = labeler.post("/api/tasks/claim/")
        assert response.status_code == 200, response.text
        task = response.json()
        spoken = next(
            t for (t, _s), r in zip(SPOKEN, uploaded, strict=True) if r["id"] == task["recording"]
        )
        draft = task["draft"]
        assert draft["kind"] == "asr_draft" and draft["text"]
        assert wer(spoken, draft["text"]) < 0.5, draft["text"]
        assert draft["segments"] and draft["segments"][0]["end"] > draft["segments"][0]["start"]
        audio = labeler.get(task["audio_url"])
        assert audio.status_code == 200
        with wave.open(io.BytesIO(audio.content)) as clip:
            assert (clip.getframerate(), clip.getnchannels()) == (16000, 1)
        fixed = spoken.capitalize() + "."
        revision = labeler.created(
            f"/api/tasks/{task['id']}/submit/",
            json={"text": fixed, "base_revision": draft["id"]},
        )
        assert revision["number"] == 2
        corrected[task["recording"]] = fixed
    assert labeler.post("/api/tasks/claim/").status_code == 204

    # 5b. A reviewer approves each submission; the last one they edit before approving.
    for index in range(len(SPOKEN)):
        response = reviewer.post("/api/reviews/claim/")
        assert response.status_code == 200, response.text
        task = response.json()
        submitted = task["submitted"]
        assert submitted["kind"] == "labeler_edit" and submitted["author"] is not None
        text = submitted["text"]
        if index == len(SPOKEN) - 1:
            text = text.rstrip(".") + "!"
            corrected[task["recording"]] = text
        decided = reviewer.created(
            f"/api/reviews/{task['id']}/decide/",
            json={"decision": "approve", "text": text, "base_revision": submitted["id"]},
        )
        assert decided["kind"] == "review" and decided["decision"] in {"approved", "edited"}
    assert reviewer.post("/api/reviews/claim/").status_code == 204
    drafts = TranscriptRevision.objects.filter(kind=TranscriptRevision.Kind.ASR_DRAFT)
    assert drafts.count() == len(SPOKEN)  # the drafts stay beside the corrections

    # 6. The PM builds a release; a Celery task writes the archive.
    release = pm.created("/api/releases/", json={"campaign": campaign["id"]})
    release = pm.wait_for(f"/api/releases/{release['id']}/", lambda r: r["status"] != "building")
    assert release["status"] == "published", release
    assert release["item_count"] == len(SPOKEN)

    # 7. The client downloads it; the rival organisation cannot.
    download_path = f"/api/releases/{release['id']}/download/"
    assert Api(live_server.url, "rival").get(download_path).status_code == 404
    archive = Api(live_server.url, "client").get(download_path)
    assert archive.status_code == 200
    assert hashlib.sha256(archive.content).hexdigest() == release["archive_sha256"]
    bundle = Unpacked(archive.content)  # read from inside its one top folder
    rows = [json.loads(line) for line in bundle.read("manifest.jsonl").decode().splitlines()]
    by_id = {r["id"]: r["uid"] for r in uploaded}
    assert {row["recording_id"]: row["text"] for row in rows} == {
        by_id[recording_id]: text for recording_id, text in corrected.items()
    }
    assert {row["speaker_id"] for row in rows} == {speaker["code"]}
    assert all(row["dialect"] == "gyeongsang" and row["age_band"] == "50s" for row in rows)
    sums = bundle.read("SHA256SUMS").decode().splitlines()
    assert sorted(line.split("  ", 1)[1] for line in sums) == sorted(
        name for name in bundle.namelist() if name != "SHA256SUMS"
    )
    for line in sums:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(bundle.read(path)).hexdigest() == digest
