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
from labelhub.recordings.spectrogram import (
    FFT_SIZE,
    HEADER_BYTES,
    MERGE_GAP_BYTES,
    spectrogram_png,
)
from labelhub.storage import LocalByteSource
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


def write_wav(path: Path, samples: np.ndarray, *, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


class CountingSource:
    """A byte source that counts the bytes and spans read through it."""

    def __init__(self, source) -> None:
        self.source, self.bytes, self.spans = source, 0, 0

    def read_spans(self, spans):
        out = self.source.read_spans(spans)
        self.spans += len(spans)
        self.bytes += sum(len(part) for part in out)
        return out


def png_of(path: Path, **window) -> bytes:
    with path.open("rb") as handle:
        return spectrogram_png(LocalByteSource(handle), **window)


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

    tone = decode_png(png_of(wav, start=0, end=2, width=40, height=80))
    quiet = decode_png(png_of(wav, start=2, end=4, width=40, height=80))

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


def test_a_wide_window_reads_a_short_frame_per_column_not_the_whole_span(tmp_path) -> None:
    path = write_wav(tmp_path / "ten_minutes.wav", np.zeros(600 * RATE))
    with path.open("rb") as handle:
        counting = CountingSource(LocalByteSource(handle))
        spectrogram_png(counting, start=0, end=600, width=200, height=32)

    # 409,600 bytes of the file's 19,200,044: the header, then one frame per column.
    assert counting.bytes <= HEADER_BYTES + 200 * FFT_SIZE * 2
    assert counting.spans == 1 + 200


def test_a_narrow_window_is_read_in_one_span(tmp_path) -> None:
    path = write_wav(tmp_path / "minute.wav", np.zeros(60 * RATE))
    with path.open("rb") as handle:
        counting = CountingSource(LocalByteSource(handle))
        spectrogram_png(counting, start=10, end=12, width=500, height=32)

    assert counting.spans == 2  # the header, then the window's frames in one read
    assert counting.bytes <= HEADER_BYTES + (2 * RATE + FFT_SIZE) * 2


def test_the_bytes_read_stay_bounded_at_the_worst_spacing_of_columns(tmp_path) -> None:
    # Columns just close enough to merge: every gap between frames is read too.
    step = (FFT_SIZE * 2 + MERGE_GAP_BYTES) / 2 / RATE
    path = write_wav(tmp_path / "twenty_minutes.wav", np.zeros(1200 * RATE))
    with path.open("rb") as handle:
        counting = CountingSource(LocalByteSource(handle))
        spectrogram_png(counting, start=0, end=1000 * step, width=1000, height=32)

    assert counting.bytes <= HEADER_BYTES + 1000 * (FFT_SIZE * 2 + MERGE_GAP_BYTES)


def test_chunks_before_the_data_and_stereo_are_read_as_the_wave_module_reads_them(
    tmp_path,
) -> None:
    rng = np.random.default_rng(7)
    stereo = (rng.standard_normal((8 * RATE, 2)) * 3000).astype("<i2")
    plain = write_wav(tmp_path / "plain.wav", stereo.reshape(-1), channels=2)
    header, data = plain.read_bytes()[:36], plain.read_bytes()[36:]
    # A LIST chunk longer than the first read, and odd-sized (padded), between fmt and data.
    listing = b"LIST" + struct.pack("<I", 9999) + b"x" * 9999 + b"\0"
    body = header[12:] + listing + data
    padded = tmp_path / "padded.wav"
    padded.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    with wave.open(str(padded), "rb") as check:
        assert check.getnframes() == 8 * RATE  # the wave module agrees it is one valid file

    window = {"start": 1.0, "end": 7.5, "width": 300, "height": 64}
    assert png_of(padded, **window) == png_of(plain, **window)
    left = write_wav(tmp_path / "left.wav", stereo[:, 0])
    assert png_of(plain, **window) == png_of(left, **window)  # the first channel is drawn


def test_a_file_that_is_not_a_wav_is_refused(tmp_path) -> None:
    path = tmp_path / "not.wav"
    path.write_bytes(b"ID3" + bytes(100))

    with pytest.raises(ValueError, match="not a RIFF/WAVE file"):
        png_of(path, start=0, end=1, width=10, height=10)
