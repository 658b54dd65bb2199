"""The demo's long-form campaign: a talk-show recording made with espeak-ng (two voices, pauses
and a quiet noise bed), in an MP4 container, uploaded as a source for the worker to segment."""

import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.services import (
    campaign_create,
    campaign_transition,
    channel_create,
    legal_review_sign_off,
    legal_review_update,
)
from labelhub.recordings.services import recording_collect
from labelhub.speakers.models import ConsentDocument, ConsentRecord
from labelhub.speakers.services import (
    consent_document_create,
    consent_document_translate,
    speaker_create_with_consent,
)

DEMO_DIR = settings.BASE_DIR / "fixtures" / "demo"
NAME = "TV talk show, long-form (demo)"
VOICES = {"host": "en-us", "guest": "en-gb+f3"}
SPEAKERS = [
    {"code": "SHOW-HOST", "age_band": "50s", "gender": "male", "dialect": "gyeongsang"},
    {"code": "SHOW-GUEST", "age_band": "30s", "gender": "female", "dialect": "jeolla"},
]
PAUSE_SECONDS = (0.6, 1.4)  # between lines of one speaker, and between turns


def longform_demo_load(*, pm: User, client: Organisation, legal_review: dict) -> Campaign | None:
    """Creates the campaign and uploads its source once; None when it is already loaded."""
    if Campaign.objects.filter(name=NAME).exists():
        return None
    campaign = campaign_create(
        created_by=pm,
        client=client,
        name=NAME,
        language="en",
        description="Conversational speech from a licensed talk show, cut into segments.",
        collection_mode=Campaign.CollectionMode.LONG_FORM,
    )
    document = _consent_document(campaign)
    speakers = [
        speaker_create_with_consent(
            campaign=campaign,
            document=document,
            method=ConsentRecord.Method.WEB_SIGNATURE,
            demographics={k: v for k, v in entry.items() if k != "code"},
            recorded_by=pm,
            code=entry["code"],
        )[0]
        for entry in SPEAKERS
    ]
    channel = channel_create(
        campaign=campaign,
        kind="licensed_media",
        name="Talk show archive",
        source_url="https://example.org/talk-show",
        licence="CC BY 4.0",
    )
    _activate(campaign, pm=pm, legal_review=legal_review)
    with tempfile.TemporaryDirectory() as tmp:
        video = talk_show_video(Path(tmp))
        upload = SimpleUploadedFile(video.name, video.read_bytes())
        recording_collect(
            speaker=speakers[0], uploaded_file=upload, uploaded_by=pm, channel=channel
        )
    campaign.refresh_from_db()
    return campaign


def _consent_document(campaign: Campaign) -> ConsentDocument:
    """The campaign's consent document in English, with its Korean translation."""
    document = consent_document_create(
        campaign=campaign,
        title="Licensed media and participant consent",
        text=(DEMO_DIR / "consent_en.txt").read_text(),
    )
    consent_document_translate(
        document=document,
        language="ko",
        title="라이선스 영상 이용 및 참여자 동의서",
        text=(DEMO_DIR / "consent_ko.txt").read_text(),
    )
    return document


def _activate(campaign: Campaign, *, pm: User, legal_review: dict) -> None:
    """Through legal review, signed off, to active: the campaign then takes uploads."""
    campaign_transition(campaign=campaign, to=Campaign.Status.LEGAL_REVIEW, by=pm)
    legal_review_update(campaign=campaign, **legal_review)
    legal_review_sign_off(campaign=campaign, by=pm)
    campaign_transition(campaign=campaign, to=Campaign.Status.ACTIVE, by=pm)


def talk_show_video(folder: Path) -> Path:
    """About a minute of two speakers taking turns, as an MP4 with a still video track."""
    lines = [
        line.split("|", 1) for line in (DEMO_DIR / "talk_show_en.txt").read_text().splitlines()
    ]
    parts = []
    for index, (who, text) in enumerate(lines):
        speech = folder / f"line-{index:02d}.wav"
        _run(["espeak-ng", "-v", VOICES[who], "-s", "155", "-w", str(speech), text])
        pause = folder / f"pause-{index:02d}.wav"
        seconds = PAUSE_SECONDS[index + 1 < len(lines) and lines[index + 1][0] != who]
        _run(["sox", "-n", "-r", "22050", "-c", "1", str(pause), "trim", "0", str(seconds)])
        parts += [str(speech), str(pause)]
    speech_track = folder / "speech.wav"
    _run(["sox", *parts, str(speech_track)])
    video = folder / "talk-show.mp4"
    _run([
        "ffmpeg", "-nostdin", "-v", "error", "-y",
        "-i", str(speech_track),
        "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.01:sample_rate=22050",
        "-f", "lavfi", "-i", "color=c=0x203040:s=320x180:r=2",
        "-filter_complex", "[0:a][1:a]amix=inputs=2:duration=first:normalize=0[a]",
        "-map", "2:v", "-map", "[a]", "-shortest",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "64k", str(video),
    ])  # fmt: skip
    return video


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)
