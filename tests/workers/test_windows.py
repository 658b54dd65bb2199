"""Windows sized to their content (ASR_WINDOW_FLOOR_SECONDS): same text and timestamps as the
full 30 s window, on real speech, for one clip a window (the default) and packed windows."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pytest

from asr import AsrError, DecodeOptions, get_engine
from asr.base import PACK_CLIPS, WINDOW_FLOOR_SECONDS
from asr.windows import Clip, Window
from labelhub.text_metrics import normalise
from tests import audio_samples

ENGLISH = DecodeOptions(language="en")
SENTENCES = [
    "Please set an alarm for seven thirty tomorrow morning and remind me to buy milk.",
    "The museum opens at nine and closes early on public holidays.",
    "Call the front desk and ask whether the meeting room is free on Friday.",
]


def fake_clip(index: int, frames: int) -> Clip:
    return Clip(index, Path(f"{index}.wav"), np.ones((80, frames), np.float32), frames / 100, "en")


def test_window_is_sized_to_its_content_and_tail_within_floor_and_30_s():
    window = Window([fake_clip(0, 501)])
    assert window.sized(0) == Window.FRAMES  # off: Whisper's full window
    assert window.sized(1000) == 1000  # 5 s of speech and the tail are under the floor
    assert window.sized(500) == 802  # content + tail, made even for the encoder's stride 2
    window.add(fake_clip(1, 2300))
    assert window.sized(1000) == Window.FRAMES  # never longer than 30 s

    features = Window([fake_clip(0, 700)]).features(1000)
    assert features.shape == (80, 1000)
    assert features[:, :700].min() == 1 and not features[:, 700:].any()


@pytest.fixture(scope="module")
def tiny_engine():
    engine = get_engine(
        engine="faster-whisper", model="tiny.en", language="en", cache_dir=Path(".")
    )
    yield engine
    engine.pack_clips, engine.window_floor_seconds = PACK_CLIPS, WINDOW_FLOOR_SECONDS


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("window-clips")
    return [
        audio_samples.speak(text, folder / f"clip{i}.wav", speed=150 + 10 * i)
        for i, text in enumerate(SENTENCES)
    ]


def transcribe(engine, paths, floor: float, *, pack: bool = False, **kwargs):
    engine.pack_clips, engine.window_floor_seconds = pack, floor
    try:
        results = engine.transcribe_batch(paths, options=ENGLISH, **kwargs)
        return results, engine.last_batch_stats
    finally:
        engine.pack_clips, engine.window_floor_seconds = PACK_CLIPS, WINDOW_FLOOR_SECONDS


def words(transcription):
    return [w for s in transcription.segments for w in s.words]


def assert_close(short, full, sentence: str):
    """A clip of a shorter packed window against the same clip of the full 30 s one. What a
    mapping bug looks like: words moved in time, lost, or taken from a neighbouring clip. Not
    Whisper choosing another word: each window is decoded as a whole before any word is mapped
    to a clip, and a shorter window may be written differently. Measured (tiny.en, these clips):
    the 18.6 s window decoded "for 730 tomorrow morning, and remind me to my milk" where the
    30 s one has "for 7.30 tomorrow morning and remind me to buy milk" (per-file decoding writes
    "my milk" too). WER normalising splits "7.30" in two, so that is 3 of 15 words, 0.2 against
    the full window, and the "and" after the new comma was aligned 0.42 s later (a second clip's
    likewise 0.46 s). So the text is held to its own sentence, as near as the full window's, and
    each word both found to its time there within 0.75 s: under the 1 s gap between clips, the
    least that a word handed to the wrong clip, or shifted by the wrong offset, moves."""
    reference = audio_samples.wer([sentence], [full.text])
    assert audio_samples.wer([sentence], [short.text]) <= reference + 0.15
    a, b = words(short), words(full)
    matcher = difflib.SequenceMatcher(
        a=[normalise(w.text) for w in a], b=[normalise(w.text) for w in b]
    )
    matched = [(a[i + k], b[j + k]) for i, j, n in matcher.get_matching_blocks() for k in range(n)]
    assert len(matched) >= 0.8 * min(len(a), len(b))
    for x, y in matched:
        assert x.start == pytest.approx(y.start, abs=0.75)
        assert x.end == pytest.approx(y.end, abs=0.75)


def assert_same(short, full):
    assert short.text == full.text
    assert len(short.segments) == len(full.segments)
    for a, b in zip(short.segments, full.segments, strict=True):
        assert a.start == pytest.approx(b.start, abs=0.25)
        assert a.end == pytest.approx(b.end, abs=0.25)
        assert [w.text for w in a.words] == [w.text for w in b.words]
        for x, y in zip(a.words, b.words, strict=True):
            assert x.start == pytest.approx(y.start, abs=0.25)
            assert x.end == pytest.approx(y.end, abs=0.25)


@pytest.mark.slow
def test_a_clip_alone_in_a_shorter_window_keeps_its_text_and_timestamps(tiny_engine, clips):
    full, full_stats = transcribe(tiny_engine, clips[1:2], 0.0)
    short, short_stats = transcribe(tiny_engine, clips[1:2], 10.0)

    assert full_stats["mel_frames"] == Window.FRAMES
    assert short_stats["mel_frames"] < Window.FRAMES  # it really was encoded shorter
    assert short_stats["per_file"] == 0 and short_stats["unpacked"] == 0
    assert full[0].text.strip() and full[0].segments
    assert_same(short[0], full[0])
    assert short[0].segments[-1].end <= short[0].duration


@pytest.mark.slow
def test_packed_clips_in_a_shorter_window_map_to_the_right_clip(tiny_engine, clips):
    full, full_stats = transcribe(tiny_engine, clips, 0.0, pack=True, batch_size=4)
    short, short_stats = transcribe(tiny_engine, clips, 10.0, pack=True, batch_size=4)

    assert short_stats["windows"] == full_stats["windows"] < len(clips)  # the clips were packed
    assert short_stats["unpacked"] == 0  # the packed window itself was mapped, not redone
    assert short_stats["mel_frames"] < full_stats["mel_frames"]
    for one, other, sentence in zip(short, full, SENTENCES, strict=True):
        assert_close(one, other, sentence)
        # Each clip's own words, at its own times: a shift into another clip would show here.
        assert audio_samples.wer([sentence], [one.text]) < 0.3
        # (Times are kept to the millisecond, so the last word may end just past the audio.)
        assert all(0 <= w.start <= w.end <= one.duration + 1e-3 for w in words(one))


def test_negative_floor_is_refused(tiny_engine):
    with pytest.raises(AsrError, match="window floor"):
        tiny_engine.window_floor_seconds = -1


def test_get_engine_hands_on_the_floor_and_packing(tiny_engine):
    def engine(**mode):
        return get_engine(
            engine="faster-whisper", model="tiny.en", language="en", cache_dir=Path("."), **mode
        )

    try:
        packed = engine(pack_clips=True, window_floor_seconds=15)
        assert packed is tiny_engine and packed.pack_clips and packed.window_floor_seconds == 15
        # A caller naming no mode gets the defaults: one clip a window, cut to a 10 s floor.
        default = engine()
        assert default is tiny_engine and not default.pack_clips
        assert default.window_floor_seconds == WINDOW_FLOOR_SECONDS == 10
    finally:
        tiny_engine.pack_clips, tiny_engine.window_floor_seconds = PACK_CLIPS, WINDOW_FLOOR_SECONDS


@pytest.mark.django_db
def test_the_draft_path_hands_the_setting_to_its_engine(tiny_engine, settings):
    from labelhub.labeling.draft_common import AsrChoice
    from labelhub.labeling.drafts import engine_for
    from labelhub.labeling.segmentation import long_form_engine
    from tests.factories import CampaignFactory

    settings.ASR_WINDOW_FLOOR_SECONDS = 12
    settings.ASR_PACK_CLIPS = True
    campaign = CampaignFactory(language="en")
    try:
        engine = engine_for(AsrChoice("faster-whisper", "tiny.en"), campaign)
        assert engine is tiny_engine and engine.window_floor_seconds == 12 and engine.pack_clips
        long_form = long_form_engine(AsrChoice("faster-whisper", "tiny.en"), campaign)
        assert long_form is tiny_engine and long_form.pack_clips  # the same shared engine
    finally:
        tiny_engine.pack_clips, tiny_engine.window_floor_seconds = PACK_CLIPS, WINDOW_FLOOR_SECONDS


def test_settings_default_to_one_clip_a_window_with_a_10_s_floor():
    from django.conf import settings

    assert settings.ASR_PACK_CLIPS is PACK_CLIPS is False
    assert settings.ASR_WINDOW_FLOOR_SECONDS == WINDOW_FLOOR_SECONDS
