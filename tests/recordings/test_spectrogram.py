"""The spectrogram API: a PNG of one window of the normalised audio, for the campaign's staff."""

import struct
import wave
import zlib
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile

from labelhub.accounts.models import User
from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_new
from labelhub.recordings.spectrogram import spectrogram_png
from tests.factories import CampaignFactory, RecordingFactory, UserFactory

pytestmark = pytest.mark.django_db
RATE = 16000


def tone_then_silence(path: Path) -> Path:
    """2 s of a 1 kHz tone at half scale, then 2 s of digital silence (16 kHz mono)."""
    t = np.arange(2 * RATE) / RATE
    tone = (0.5 * 32767 * np.sin(2 * np.pi * 1000 * t)).astype("<i2")
    samples = np.concatenate([tone, np.zeros(2 * RATE, dtype="<i2")])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of an 8-bit RGB PNG as written by spectrogram.png_rgb (checks its chunks)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8)
    rows = rows.reshape(height, 1 + width * 3)
    assert not rows[:, 0].any()  # filter type 0 on every row
    return rows[:, 1:].reshape(height, width, 3)


@pytest.fixture
def recording(tmp_path) -> Recording:
    wav = tone_then_silence(tmp_path / "tone.wav").read_bytes()
    return RecordingFactory(
        kind=Recording.Kind.SOURCE,
        normalised_file=ContentFile(wav, name="norm.wav"),
        duration_seconds=4.0,
    )


def test_the_tone_lights_the_row_of_its_frequency_and_silence_stays_dark(tmp_path) -> None:
    wav = tone_then_silence(tmp_path / "tone.wav")

    tone = decode_png(spectrogram_png(wav, start=0, end=2, width=40, height=80))
    quiet = decode_png(spectrogram_png(wav, start=2, end=4, width=40, height=80))

    brightness = tone.astype(int).sum(axis=2).mean(axis=1)  # per row, top = 8 kHz
    brightest_hz = (80 - 0.5 - brightness.argmax()) * 8000 / 80
    assert brightest_hz == pytest.approx(1000, abs=100)
    assert quiet.max() <= 4  # the ramp's black


def test_the_api_answers_a_png_of_the_asked_size(api_for, pm, recording) -> None:
    response = api_for(pm).get(
        f"/api/recordings/{recording.pk}/spectrogram/?start=0.5&end=3&width=300&height=64"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert decode_png(response.content).shape == (64, 300, 3)
    assert "private" in response["Cache-Control"]


def test_a_segment_draws_its_sources_audio_over_its_span_by_default(api_for, pm, recording):
    segment = segment_new(source=recording, start_seconds=0.0, end_seconds=2.0)

    by_segment = api_for(pm).get(f"/api/recordings/{segment.pk}/spectrogram/?width=50")
    by_source = api_for(pm).get(
        f"/api/recordings/{recording.pk}/spectrogram/?start=0&end=2&width=50"
    )

    assert by_segment.status_code == 200
    assert by_segment.content == by_source.content


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("start=abc", "start"),
        ("start=nan", "start"),
        ("start=-1", "start"),
        ("start=4.5&end=5", "start"),
        ("start=2&end=1", "end"),
        ("width=0", "width"),
        ("width=99999", "width"),
        ("width=12.5", "width"),
        ("height=-3", "height"),
        ("height=%C2%B2", "height"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api_for, pm, recording, query, parameter) -> None:
    response = api_for(pm).get(f"/api/recordings/{recording.pk}/spectrogram/?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter" and error["parameter"] == parameter


def test_a_recording_not_yet_normalised_is_a_409(api_for, pm) -> None:
    waiting = RecordingFactory(status=Recording.Status.RECEIVED, normalised_file="")

    response = api_for(pm).get(f"/api/recordings/{waiting.pk}/spectrogram/")

    assert response.status_code == 409


def test_a_labeler_off_the_campaign_cannot_see_it(api_for, recording) -> None:
    outsider = UserFactory(role=User.Role.LABELER)
    other = CampaignFactory()
    other.labelers.add(outsider)
    recording.campaign.labelers.add(UserFactory(role=User.Role.LABELER))

    refused = api_for(outsider).get(f"/api/recordings/{recording.pk}/spectrogram/")
    member = recording.campaign.labelers.first()
    allowed = api_for(member).get(f"/api/recordings/{recording.pk}/spectrogram/")

    assert refused.status_code == 404
    assert allowed.status_code == 200


def test_a_wide_window_reads_a_short_frame_per_column_not_the_whole_span(
    tmp_path, monkeypatch
) -> None:
    path = tmp_path / "ten_minutes.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.zeros(600 * RATE, dtype="<i2").tobytes())
    frames_read = []
    readframes = wave.Wave_read.readframes

    def counting(self, n):
        frames_read.append(n)
        return readframes(self, n)

    monkeypatch.setattr(wave.Wave_read, "readframes", counting)

    spectrogram_png(path, start=0, end=600, width=200, height=32)

    assert sum(frames_read) <= 200 * 512  # 102,400 of the file's 9,600,000 samples
