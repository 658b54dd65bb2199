"""Collection rules: an active campaign, new audio, a bounded length, quality flags at ingest."""

import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_collect, recording_ingest
from tests.audio_samples import speak
from tests.conftest import stored_files
from tests.factories import ConsentRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def speaker():
    return ConsentRecordFactory(speaker__campaign__status=Campaign.Status.ACTIVE).speaker


def tone(path: Path, expression: str, *, seconds: float, rate: int = 16000) -> Path:
    """A synthetic WAV from an ffmpeg aevalsrc expression (amplitude 1.0 is full scale)."""
    source = f"aevalsrc={expression}:s={rate}:d={seconds}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source,
         "-c:a", "pcm_s16le", str(path)],
        check=True,
    )  # fmt: skip
    return path


def two_hour_mp3(path: Path) -> Path:
    """A real two-hour MP3 in a second: ten seconds of 8 kb/s frames, repeated 720 times."""
    ten = path.with_name("ten.mp3")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "sine=frequency=300:sample_rate=8000", "-t", "10", "-c:a", "libmp3lame",
         "-b:a", "8k", "-write_xing", "0", "-id3v2_version", "0", str(ten)],
        check=True,
    )  # fmt: skip
    path.write_bytes(ten.read_bytes() * 720)
    return path


def post(client, speaker, path: Path):
    return client.post(
        "/api/recordings/",
        {"speaker": speaker.pk, "file": SimpleUploadedFile(path.name, path.read_bytes())},
        format="multipart",
    )


def collected(speaker, path: Path) -> Recording:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    recording = recording_collect(speaker=speaker, uploaded_file=upload, uploaded_by=None)
    return recording_ingest(recording_id=recording.pk)


def test_the_same_audio_twice_is_refused_with_409_naming_the_first(
    api_for, pm, speaker, tmp_path: Path, media_root: Path
) -> None:
    clip = speak("turn on the television", tmp_path / "a.wav")
    first = post(api_for(pm), speaker, clip).json()
    other_speaker = ConsentRecordFactory(speaker__campaign=speaker.campaign).speaker

    again = post(api_for(pm), other_speaker, clip)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_audio"
    assert f"recording {first['id']}" in again.json()["error"]["message"]
    assert Recording.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_a_two_hour_file_is_refused_before_decoding_and_nothing_is_stored(
    api_for, pm, speaker, tmp_path: Path, media_root: Path
) -> None:
    long_file = two_hour_mp3(tmp_path / "lecture.mp3")

    response = post(api_for(pm), speaker, long_file)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_long"
    assert "7309 s" in error["message"] and "15 s" in error["message"]
    assert not Recording.objects.exists()
    assert stored_files(media_root) == []


def test_a_text_file_renamed_wav_is_refused_and_nothing_is_stored(
    api_for, pm, speaker, tmp_path: Path, media_root: Path
) -> None:
    fake = tmp_path / "take.wav"
    fake.write_text("name,phone\nKim,010-0000-0000\n" * 50)

    response = post(api_for(pm), speaker, fake)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_audio"
    assert "looks like text" in response.json()["error"]["message"]
    assert stored_files(media_root) == []


@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.CLOSED])
def test_no_collection_unless_the_campaign_is_active(
    api_for, pm, speaker, tmp_path: Path, media_root: Path, status
) -> None:
    Campaign.objects.filter(pk=speaker.campaign_id).update(status=status)

    response = post(api_for(pm), speaker, speak("hello there", tmp_path / "a.wav"))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_not_collecting"
    assert stored_files(media_root) == []


def test_a_quiet_clip_is_kept_with_a_quiet_flag(speaker, tmp_path: Path) -> None:
    recording = collected(speaker, tone(tmp_path / "q.wav", "0.005*sin(2*PI*440*t)", seconds=2))

    assert recording.status == Recording.Status.READY
    assert recording.quality_flags == ["quiet"]
    assert recording.rms_dbfs == pytest.approx(-49, abs=1)


def test_a_briefly_clipped_clip_is_kept_with_its_clipping_ratio(speaker, tmp_path: Path) -> None:
    # 20 ms at full scale in 2 s: 1% of the samples clipped.
    burst = "if(lt(t\\,0.02)\\,1\\,0.3*sin(2*PI*440*t))"
    recording = collected(speaker, tone(tmp_path / "c.wav", burst, seconds=2))

    assert recording.status == Recording.Status.READY
    assert "clipped" in recording.quality_flags
    assert recording.clipping_ratio == pytest.approx(0.01, abs=0.002)


@pytest.mark.parametrize(
    ("expression", "seconds", "rate", "code"),
    [
        ("0.3*sin(2*PI*440*t)", 0.5, 16000, "too_short"),
        ("0.3*sin(2*PI*440*t)", 2, 8000, "low_sample_rate"),
        ("0.0004*sin(2*PI*440*t)", 2, 16000, "silent"),
        ("clip(3*sin(2*PI*440*t)\\,-1\\,1)", 2, 16000, "clipped"),
    ],
)
def test_hard_failures_are_rejected_with_a_stored_reason_and_their_figures(
    speaker, tmp_path: Path, expression, seconds, rate, code
) -> None:
    recording = collected(speaker, tone(tmp_path / "t.wav", expression, seconds=seconds, rate=rate))

    assert recording.status == Recording.Status.REJECTED
    assert recording.rejection_code == code
    assert recording.rejection_reason
    assert recording.duration_seconds == pytest.approx(seconds, abs=0.05)
    assert not recording.normalised_file


def test_a_withdrawal_landing_mid_upload_refuses_it_and_leaves_no_file(
    speaker, tmp_path: Path, media_root: Path, monkeypatch
) -> None:
    from labelhub.errors import Conflict
    from labelhub.recordings import services
    from labelhub.speakers.models import Speaker

    real_store = services.store_file

    def withdraw_then_store(**kwargs):
        Speaker.objects.filter(pk=speaker.pk).update(withdrawn_at="2026-01-01T00:00:00Z")
        return real_store(**kwargs)

    monkeypatch.setattr(services, "store_file", withdraw_then_store)
    clip = speak("open the door", tmp_path / "a.wav")

    with pytest.raises(Conflict) as refused:
        recording_collect(
            speaker=speaker,
            uploaded_file=SimpleUploadedFile("a.wav", clip.read_bytes()),
            uploaded_by=None,
        )

    assert refused.value.code == "consent_withdrawn"
    assert not Recording.objects.exists()
    assert stored_files(media_root) == []
