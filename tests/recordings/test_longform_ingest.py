"""Long-form ingest: audio files and video containers become sources, decoded as a stream.

Every bad source (10 hours, no sound, cut in the middle, silent) gets a clear reason and leaves
nothing derived; short-clip campaigns keep their own rules.
"""

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from labelhub.recordings.peaks import peaks_compute
from labelhub.recordings.segments import segment_new
from labelhub.recordings.services import recording_ingest
from tests.audio_samples import silence
from tests.conftest import stored_files
from tests.recordings import longform_audio as media

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def source_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.speech_source(tmp_path_factory.mktemp("longform"))


@pytest.fixture
def campaign(consented_speaker) -> Campaign:
    campaign = consented_speaker.campaign
    campaign.status = Campaign.Status.ACTIVE
    campaign.collection_mode = Campaign.CollectionMode.LONG_FORM
    campaign.save()
    return campaign


def upload(client, speaker, path: Path):
    return client.post(
        "/api/recordings/",
        {"speaker": speaker.pk, "file": SimpleUploadedFile(path.name, path.read_bytes())},
        format="multipart",
    )


def ingest(response) -> Recording:
    assert response.status_code == 201, response.json()
    return recording_ingest(recording_id=response.json()["id"])


def normalised_samples(recording: Recording) -> bytes:
    with wave.open(recording.normalised_file.path) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (16000, 1, 2)
        return audio.readframes(audio.getnframes())


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("broadcast.mp3", lambda src, out: media.encode(src, out, "-c:a", "libmp3lame")),
        ("meeting.mp4", lambda src, out: media.with_video(src, out, "-c:a", "aac")),
        ("show.mkv", lambda src, out: media.with_video(src, out, "-c:a", "libopus")),
    ],
)
def test_a_source_streams_in_sample_for_sample_as_ffmpeg_decodes_it(
    api_for, pm, consented_speaker, campaign, source_wav, tmp_path, name, make
) -> None:
    path = make(source_wav, tmp_path / name)

    response = upload(api_for(pm), consented_speaker, path)
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "source"
    recording = recording_ingest(recording_id=response.json()["id"])

    assert recording.status == Recording.Status.READY, recording.rejection_reason
    assert recording.kind == Recording.Kind.SOURCE
    assert Path(recording.raw_file.path).read_bytes() == path.read_bytes()
    assert normalised_samples(recording) == media.straight_decode(path)
    assert recording.duration_seconds == pytest.approx(21, abs=0.5)
    # The original stream's figures (Opus always runs at 48 kHz), not the normalised copy's.
    assert recording.channels == 2
    assert recording.sample_rate == (48000 if name.endswith(".mkv") else 44100)


def test_a_video_with_two_audio_streams_gives_its_first(
    api_for, pm, consented_speaker, campaign, source_wav, tmp_path
) -> None:
    path = media.with_video(source_wav, tmp_path / "two.mkv", "-c:a", "flac", second_audio=True)

    recording = recording_ingest(
        recording_id=upload(api_for(pm), consented_speaker, path).json()["id"]
    )

    samples = np.frombuffer(normalised_samples(recording), dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples))
    frequencies = np.fft.rfftfreq(len(samples), 1 / 16000)
    tone = spectrum[np.abs(frequencies - 1000) < 5].max()
    # The second stream's steady 1 kHz tone would tower over everything (40 times the speech).
    assert tone < 0.5 * spectrum.max()
    assert normalised_samples(recording) == media.straight_decode(path)


def test_peaks_and_levels_are_measured_while_streaming(
    api_for, pm, consented_speaker, campaign, source_wav
) -> None:
    recording = recording_ingest(
        recording_id=upload(api_for(pm), consented_speaker, source_wav).json()["id"]
    )

    peaks = json.loads(Path(recording.peaks_file.path).read_text())
    assert peaks == peaks_compute(Path(recording.normalised_file.path))
    assert peaks["seconds_per_peak"] == 0.01
    assert len(peaks["data"]) == 2 * -(-round(recording.duration_seconds * 16000) // 160)
    samples = np.frombuffer(normalised_samples(recording), dtype="<i2").astype(float)
    rms = 20 * np.log10(np.sqrt(np.mean(samples**2)) / 32768)
    peak = 20 * np.log10(np.abs(samples).max() / 32768)
    assert recording.rms_dbfs == pytest.approx(rms, abs=0.01)
    assert recording.peak_dbfs == pytest.approx(peak, abs=0.01)
    assert recording.clipping_ratio == 0
    assert recording.quality_flags == []


def test_a_ten_hour_file_is_refused_at_upload_from_its_header_with_nothing_stored(
    api_for, pm, consented_speaker, campaign, tmp_path, media_root
) -> None:
    path = media.header_says_ten_hours(tmp_path / "ten_hours.mkv")
    assert path.stat().st_size < 100_000  # nothing was decoded to refuse it

    response = upload(api_for(pm), consented_speaker, path)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_long"
    assert "36002 s" in response.json()["error"]["message"]
    assert not Recording.objects.exists() and stored_files(media_root) == []


def test_the_campaigns_longest_source_is_the_limit(
    api_for, pm, consented_speaker, campaign, source_wav, media_root
) -> None:
    campaign.max_source_seconds = 10
    campaign.save()

    response = upload(api_for(pm), consented_speaker, source_wav)

    assert response.json()["error"]["code"] == "too_long"
    assert stored_files(media_root) == []


def test_a_video_without_sound_is_refused_with_no_audio_stream(
    api_for, pm, consented_speaker, campaign, tmp_path, media_root
) -> None:
    path = media.video_without_audio(tmp_path / "silent_film.mp4")

    response = upload(api_for(pm), consented_speaker, path)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_audio_stream"
    assert "video" in response.json()["error"]["message"]
    assert not Recording.objects.exists() and stored_files(media_root) == []


@pytest.mark.parametrize("name", ["cut.mp4", "cut.wav"])
def test_a_source_cut_short_with_its_index_or_size_missing_is_refused_at_upload(
    api_for, pm, consented_speaker, campaign, source_wav, tmp_path, media_root, name
) -> None:
    # An MP4 keeps its index (moov) at the end; a WAV's header promises more than is there.
    if name.endswith(".wav"):
        whole = source_wav
    else:
        whole = media.with_video(source_wav, tmp_path / "whole.mp4", "-c:a", "aac")
    path = media.cut_in_half(whole, tmp_path / name)

    response = upload(api_for(pm), consented_speaker, path)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "truncated"
    assert not Recording.objects.exists() and stored_files(media_root) == []


@pytest.mark.parametrize(
    ("name", "audio_args"),
    [
        ("cut.mkv", ["-c:a", "libopus"]),
        ("cut.mp3", ["-c:a", "libmp3lame"]),
        ("cut_faststart.mp4", ["-c:a", "aac", "-movflags", "+faststart"]),
    ],
)
def test_a_source_cut_in_the_middle_is_rejected_at_ingest_leaving_nothing_derived(
    api_for, pm, consented_speaker, campaign, source_wav, tmp_path, media_root, name, audio_args
) -> None:
    whole = tmp_path / f"whole_{name}"
    if name.endswith(".mp3"):
        media.encode(source_wav, whole, *audio_args)
    else:
        media.with_video(source_wav, whole, *audio_args)
    path = media.cut_in_half(whole, tmp_path / name)
    response = upload(api_for(pm), consented_speaker, path)
    assert response.status_code == 201, response.json()  # the header looks whole

    recording = recording_ingest(recording_id=response.json()["id"])

    recording.refresh_from_db()
    assert recording.status == Recording.Status.REJECTED
    assert recording.rejection_code == "truncated"
    assert "truncated" in recording.rejection_reason
    assert not recording.normalised_file and not recording.peaks_file
    assert not recording.segments.exists()
    # The raw upload is evidence and stays; nothing derived from it does.
    assert stored_files(media_root) == [Path(recording.raw_file.path)]


def test_a_silent_source_is_rejected_leaving_nothing_derived(
    api_for, pm, consented_speaker, campaign, tmp_path, media_root
) -> None:
    path = silence(tmp_path / "silence.wav", seconds=30, sample_rate=44100)
    response = upload(api_for(pm), consented_speaker, path)

    recording = recording_ingest(recording_id=response.json()["id"])

    assert recording.status == Recording.Status.REJECTED
    assert recording.rejection_code == "silent"
    assert stored_files(media_root) == [Path(recording.raw_file.path)]


def test_a_long_pause_in_a_source_is_not_silence(
    api_for, pm, consented_speaker, campaign, source_wav, tmp_path
) -> None:
    # Twenty seconds of speech in ten minutes is far under -60 dBFS on average, yet not silent.
    path = tmp_path / "mostly_pause.flac"
    media.ffmpeg("-i", str(source_wav), "-af", "apad=pad_dur=580", "-c:a", "flac", str(path))

    recording = recording_ingest(
        recording_id=upload(api_for(pm), consented_speaker, path).json()["id"]
    )

    assert recording.status == Recording.Status.READY, recording.rejection_reason


def test_the_worker_goes_on_ingesting_after_rejecting_bad_sources(
    api_for, pm, consented_speaker, campaign, source_wav, tmp_path
) -> None:
    api = api_for(pm)
    whole = media.encode(source_wav, tmp_path / "whole.mp3", "-c:a", "libmp3lame")
    bad = [
        upload(api, consented_speaker, media.cut_in_half(whole, tmp_path / "cut.mp3")),
        upload(api, consented_speaker, silence(tmp_path / "quiet.wav", seconds=5)),
    ]
    good = upload(api, consented_speaker, source_wav)

    results = [recording_ingest(recording_id=r.json()["id"]) for r in [*bad, good]]

    assert [r.status for r in results] == ["rejected", "rejected", "ready"]


def test_a_short_clip_campaign_keeps_its_own_types_and_limits(
    api_for, pm, consented_speaker, source_wav, tmp_path, media_root
) -> None:
    consented_speaker.campaign.status = Campaign.Status.ACTIVE
    consented_speaker.campaign.save()
    api = api_for(pm)
    video = media.with_video(source_wav, tmp_path / "meeting.mp4", "-c:a", "aac")

    refused_type = upload(api, consented_speaker, video).json()["error"]
    refused_length = upload(api, consented_speaker, source_wav).json()["error"]

    assert refused_type["code"] == "unsupported_type"
    assert refused_length["code"] == "too_long"  # 21 s against the clip maximum of 15 s
    assert stored_files(media_root) == []


def test_a_source_may_be_larger_than_a_clip_upload_but_not_than_its_own_limit(
    api_for, pm, consented_speaker, campaign, source_wav, settings
) -> None:
    size = source_wav.stat().st_size
    settings.MAX_UPLOAD_BYTES = size // 2
    settings.MAX_SOURCE_UPLOAD_BYTES = size * 2
    api = api_for(pm)
    assert upload(api, consented_speaker, source_wav).status_code == 201

    campaign.collection_mode = Campaign.CollectionMode.UTTERANCES
    campaign.save()
    clip = upload(api, consented_speaker, source_wav)  # let through, refused by the service
    assert clip.status_code == 400 and clip.json()["error"]["code"] == "too_large"

    settings.MAX_SOURCE_UPLOAD_BYTES = size // 2
    refused = upload(api, consented_speaker, source_wav)  # refused before the body is read
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "too_large"


def test_the_recording_api_shows_a_segments_source_and_span(
    api_for, pm, consented_speaker, campaign, source_wav
) -> None:
    source = ingest(upload(api_for(pm), consented_speaker, source_wav))
    segment = segment_new(source=source, start_seconds=1.25, end_seconds=4.5)
    Recording.objects.filter(pk=source.pk).update(asr_progress=40)

    body = api_for(pm).get(f"/api/recordings/{segment.pk}/").json()
    whole = api_for(pm).get(f"/api/recordings/{source.pk}/").json()

    assert (body["kind"], body["source"]) == ("segment", source.pk)
    assert (body["start_seconds"], body["end_seconds"]) == (1.25, 4.5)
    assert (whole["kind"], whole["source"], whole["asr_progress"]) == ("source", None, 40)
