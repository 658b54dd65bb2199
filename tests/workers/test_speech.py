"""Speech regions of long sources: Silero VAD window by window, joined, packed into clips."""

from pathlib import Path

import numpy as np
import pytest

from asr import AsrError, speech
from asr.longform import source_draft
from asr.speech import (
    CLIP_SECONDS,
    PACK_GAP,
    REGION_SECONDS,
    clips_for,
    joined,
    read_span,
    speech_regions,
    wav_frames,
)
from tests.workers.longform_audio import long_source, write_wav


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, list]:
    path = tmp_path_factory.mktemp("speech") / "source.wav"
    return path, long_source(path, seconds=90.0, seed=5, noise_dbfs=-55)


def test_every_sentence_lies_in_speech_and_long_pauses_do_not(source):
    path, spoken = source
    regions = speech_regions(path)
    for said in spoken:
        inside = sum(max(0.0, min(said.end, e) - max(said.start, s)) for s, e in regions)
        assert inside >= 0.95 * (said.end - said.start), said
    for before, after in zip(spoken, spoken[1:], strict=False):
        if after.start - before.end >= 1.0:  # the middle of a long pause is silence
            middle = (before.end + after.start) / 2
            assert not any(s < middle < e for s, e in regions), (before, after)
    assert all(e - s <= REGION_SECONDS for s, e in regions)


def test_small_windows_find_the_same_speech_as_one_window(source, monkeypatch):
    path, _ = source
    whole = speech_regions(path, window_seconds=600.0)
    reads = []
    real_read = speech.read_span
    monkeypatch.setattr(
        speech, "read_span", lambda p, s, e: reads.append(e - s) or real_read(p, s, e)
    )
    windowed = speech_regions(path, window_seconds=7.0, overlap_seconds=1.0)
    assert max(reads) <= 8.0 + 1e-9  # never more than one window and its overlap in memory
    assert len(reads) >= 12
    total = sum(e - s for s, e in whole)
    overlap = sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in whole for s2, e2 in windowed)
    assert overlap >= 0.95 * total
    assert all(e - s <= REGION_SECONDS for s, e in windowed)


def test_regions_longer_than_a_clip_are_split_at_their_quietest_point(tmp_path):
    # 40 s of tone with one 30 ms dip at 21 s: joined across windows it must be split there.
    rate = 16000
    t = np.arange(40 * rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    tone[int(21.0 * rate) : int(21.03 * rate)] = 0
    path = write_wav(tmp_path / "tone.wav", tone)
    parts = speech._split_long(path, (0.0, 40.0))
    assert len(parts) == 2 and abs(parts[0][1] - 21.015) < 0.02
    assert parts[0][1] == parts[1][0]


def test_regions_are_joined_and_packed_into_whisper_clips():
    assert joined([(5.0, 7.0), (0.0, 2.0), (1.5, 3.0), (7.0, 8.0)]) == [(0.0, 3.0), (5.0, 8.0)]
    regions = [(0.123, 4.0), (5.0, 12.0), (12.5, 31.0), (40.0, 45.0), (45.5, 60.0)]
    clips = clips_for(regions, duration=61.234)
    assert clips == [(0.12, 12.0), (12.5, 31.0), (40.0, 60.0)]
    for start, end in clips:
        assert end - start <= CLIP_SECONDS
        assert round(start * 100) == start * 100 and round(end * 100) == end * 100
    far = clips_for([(0.0, 2.0), (2.0 + PACK_GAP + 0.1, 6.0)], duration=10.0)
    assert len(far) == 2
    assert clips_for([(50.0, 61.3)], duration=61.234) == [(50.0, 61.23)]


def test_read_span_and_frames_read_only_what_is_asked(source):
    path, _ = source
    frames = wav_frames(path)
    part = read_span(path, 10.0, 10.5)
    assert part.dtype == np.float32 and len(part) == 8000
    assert len(read_span(path, frames / 16000 - 0.25, frames / 16000 + 5)) == 4000
    assert len(read_span(path, 500.0, 501.0)) == 0


def test_audio_that_is_not_a_normalised_wav_is_refused(tmp_path):
    stereo = tmp_path / "stereo.wav"
    import wave

    with wave.open(str(stereo), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 3200)
    with pytest.raises(AsrError, match="16 kHz mono"):
        wav_frames(stereo)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00")
    with pytest.raises(AsrError, match="cannot read"):
        wav_frames(broken)


def test_a_source_without_speech_has_no_segments_and_needs_no_model(tmp_path):
    rng = np.random.default_rng(0)
    hiss = rng.normal(0, 30, 16000 * 30).astype(np.int16)  # -60 dBFS noise, nobody talking
    path = write_wav(tmp_path / "hiss.wav", hiss)
    seen = []
    draft = source_draft(None, path, options=None, bounds=None, progress=seen.append)
    assert draft.segments == () and draft.speech_seconds == 0.0 and draft.duration == 30.0
    assert seen and seen[-1] <= 0.1
