"""The spectrogram of audio in object storage (a real SeaweedFS server): ranged reads of the
window only, never a copy of the whole file, and the same picture as from the local disk."""

from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from labelhub.recordings.models import Recording
from labelhub.recordings.spectrogram import (
    FFT_SIZE,
    HEADER_BYTES,
    MERGE_GAP_BYTES,
    spectrogram_png,
)
from labelhub.storage import byte_source
from tests.factories import RecordingFactory
from tests.recordings.test_spectrogram import RATE, CountingSource, png_of, write_wav

MINUTES = 20  # 38 MB of WAV: long enough that reading all of it would show
WIDE = {"start": 0.0, "end": MINUTES * 60.0, "width": 1000, "height": 96}
NARROW = {"start": 600.0, "end": 608.0, "width": 800, "height": 128}


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Noise with a tone that rises over the file, so every window draws a different picture."""
    seconds = np.arange(MINUTES * 60 * RATE) / RATE
    rng = np.random.default_rng(15)
    rising = np.sin(2 * np.pi * (200 + 5 * seconds) * seconds)
    samples = 8000 * rising + rng.standard_normal(seconds.size) * 800
    return write_wav(tmp_path_factory.mktemp("long") / "long.wav", samples)


def stored(path: Path) -> Recording:
    return RecordingFactory(
        kind=Recording.Kind.SOURCE,
        normalised_file=ContentFile(path.read_bytes(), name="long.wav"),
        duration_seconds=MINUTES * 60.0,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("window", [WIDE, NARROW], ids=["whole file", "eight seconds"])
def test_a_tile_of_a_long_wav_in_s3_reads_only_its_frames_and_matches_the_local_one(
    s3_storage: str, long_wav: Path, window: dict
) -> None:
    recording = stored(long_wav)

    with byte_source(recording.normalised_file) as source:
        counting = CountingSource(source)
        png = spectrogram_png(counting, **window)

    assert png == png_of(long_wav, **window)
    bound = HEADER_BYTES + window["width"] * (FFT_SIZE * 2 + MERGE_GAP_BYTES)
    assert counting.bytes <= bound
    assert counting.bytes < long_wav.stat().st_size / 30


@pytest.mark.django_db
def test_the_api_draws_audio_in_s3_from_ranged_gets_only(
    s3_storage: str, long_wav: Path, api_for, pm
) -> None:
    recording = stored(long_wav)
    gets: list[tuple[str, int]] = []

    def count_get(http_response, parsed, **_) -> None:
        gets.append((parsed.get("ContentRange", ""), parsed["ContentLength"]))

    # Every GetObject the view sends through the storage's client, as S3 answered it.
    events = default_storage.connection.meta.client.meta.events
    events.register("after-call.s3.GetObject", count_get)
    try:
        query = "&".join(f"{key}={value}" for key, value in NARROW.items())
        response = api_for(pm).get(f"/api/recordings/{recording.pk}/spectrogram/?{query}")
    finally:
        events.unregister("after-call.s3.GetObject", count_get)

    assert response.status_code == 200
    assert response.content == png_of(long_wav, **NARROW)
    assert len(gets) == 2  # the header, then the eight seconds' frames in one span
    assert all(content_range.startswith("bytes ") for content_range, _ in gets)
    assert sum(length for _, length in gets) <= HEADER_BYTES + (8 * RATE + FFT_SIZE) * 2


@pytest.mark.django_db
def test_a_read_past_the_end_of_an_object_is_short_not_an_error(s3_storage: str) -> None:
    name = default_storage.save("probe/short.bin", ContentFile(b"0123456789"))
    field = RecordingFactory.build(normalised_file=name).normalised_file

    with byte_source(field) as source:
        assert source.read_spans([(8, 100), (50, 10), (0, 4)]) == [b"89", b"", b"0123"]
