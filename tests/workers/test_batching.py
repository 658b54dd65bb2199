"""transcribe_batch(): windows shared across clips, checked against per-file decoding."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from asr import AsrError, DecodeOptions, get_engine
from asr.base import LOW_CONFIDENCE, PACK_CLIPS, WINDOW_FLOOR_SECONDS
from asr.windows import Clip, Window
from tests import audio_samples
from tests.audio_samples import wer

SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the quiet river bank.",
    "Please set an alarm for seven thirty tomorrow morning and remind me to buy milk.",
    "Turn on the living room television and lower the volume a little.",
    "She walked to the station, bought a ticket, and waited for the last train home.",
    "Call the front desk and ask whether the meeting room is free on Friday.",
    "The museum opens at nine and closes early on public holidays.",
]
ENGLISH = DecodeOptions(language="en")


def fake_clip(index: int, frames: int, language: str | None = "en") -> Clip:
    return Clip(
        index, Path(f"{index}.wav"), np.zeros((80, frames), np.float32), frames / 100, language
    )


def concatenate(out: Path, *parts: Path, silence_s: float) -> Path:
    """parts joined by silence_s of digital silence (all espeak-ng WAVs share one format)."""
    frames, params = [], None
    for i, part in enumerate(parts):
        with wave.open(str(part)) as w:
            params = params or w.getparams()
            if i:
                frames.append(b"\x00\x00" * round(silence_s * params.framerate))
            frames.append(w.readframes(w.getnframes()))
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(b"".join(frames))
    return out


def test_packing_fills_windows_but_leaves_gaps_and_a_tail():
    clips = [fake_clip(i, n) for i, n in enumerate([800, 900, 700, 2500, 300, 600])]
    clips.append(fake_clip(6, 500, language="ko"))
    windows = Window.pack(clips)

    assert sorted(c.index for w in windows for c in w.clips) == list(range(7))
    for window in windows:
        assert window.frames <= Window.FRAMES - Window.TAIL or not window.packed
        assert len({c.language for c in window.clips}) == 1
        ends = [o + c.frames for o, c in zip(window.offsets, window.clips, strict=True)]
        assert all(
            nxt - end == Window.GAP for end, nxt in zip(ends, window.offsets[1:], strict=False)
        )
        features = window.features()
        assert features.shape == (80, Window.FRAMES)
    assert len(windows) == 4  # 2500 | 900+800+700 | 600+300 | the Korean clip on its own


def test_words_belong_to_the_clip_they_lie_in():
    window = Window([fake_clip(0, 800)])
    window.add(fake_clip(1, 600))  # clip 1 runs 9.0 s .. 15.0 s
    assert window.owner(7.5, 7.9) == 0
    assert window.owner(8.2, 8.4) == 0  # trailing into the first half of the gap
    assert window.owner(8.6, 8.8) == 1
    assert window.owner(14.8, 15.3) == 1
    assert window.owner(15.6, 16.0) is None  # in the padding: a hallucination


def test_ct2_max_length_allows_exactly_the_budget():
    from asr.whisper_internals import ct2_max_length

    # CTranslate2 decodes min(max_length // 2, max_length - len(prompt) + 1) new tokens.
    for budget, prompt in [(16, 3), (80, 3), (50, 120), (224, 3)]:
        length = ct2_max_length(budget, prompt)
        assert min(length // 2, length - prompt + 1) == budget
    assert ct2_max_length(224, 227) == 448  # Whisper's context caps it


def test_cpu_runs_two_single_threaded_replicas():
    from asr.faster import _workers_and_threads

    assert _workers_and_threads("cpu", 2) == (2, 1)
    assert _workers_and_threads("cpu", 16) == (2, 8)
    assert _workers_and_threads("cpu", 1) == (1, 1)
    assert _workers_and_threads("cuda", 0) == (1, 0)


@pytest.fixture(scope="module")
def tiny_engine():
    return get_engine(engine="faster-whisper", model="tiny.en", language="en", cache_dir=Path("."))


@pytest.fixture(scope="module")
def base_engine(tmp_path_factory):
    # Same folder as test_asr.py's, so the session loads the base model once.
    cache = tmp_path_factory.getbasetemp() / "asr-cache"
    cache.mkdir(exist_ok=True)
    return get_engine(engine="faster-whisper", model="base", language=None, cache_dir=cache)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("batch-clips")
    speeds = [140, 160, 150, 170, 145, 155]
    return [
        audio_samples.speak(text, folder / f"clip{i}.wav", speed=speed)
        for i, (text, speed) in enumerate(zip(SENTENCES, speeds, strict=True))
    ]


@pytest.fixture(scope="module")
def per_file(tiny_engine, clips):
    return [tiny_engine.transcribe(p, options=ENGLISH) for p in clips]


@pytest.fixture
def full_windows(tiny_engine):
    """One clip per full 30 s window (no floor): exactly what per-file decoding sees."""
    tiny_engine.pack_clips, tiny_engine.window_floor_seconds = False, 0.0
    yield tiny_engine
    tiny_engine.pack_clips, tiny_engine.window_floor_seconds = PACK_CLIPS, WINDOW_FLOOR_SECONDS


@pytest.fixture
def packed(tiny_engine):
    """ASR_PACK_CLIPS with full windows: several clips share one 30 s window."""
    tiny_engine.pack_clips, tiny_engine.window_floor_seconds = True, 0.0
    yield tiny_engine
    tiny_engine.pack_clips, tiny_engine.window_floor_seconds = PACK_CLIPS, WINDOW_FLOOR_SECONDS


@pytest.mark.slow
def test_one_clip_per_window_equals_per_file(full_windows, clips, per_file):
    batched = full_windows.transcribe_batch(clips, options=ENGLISH, batch_size=4)

    assert full_windows.last_batch_stats["windows"] == len(clips)
    assert [t.text for t in batched] == [t.text for t in per_file]
    for one, other in zip(batched, per_file, strict=True):
        assert one.duration == pytest.approx(other.duration)
        assert one.confidence == pytest.approx(other.confidence, abs=0.01)
        assert one.segments_as_json() == other.segments_as_json()
        assert one.engine_version == other.engine_version and one.decode_seconds > 0


@pytest.mark.slow
def test_default_batch_is_one_clip_a_window_cut_to_its_content(tiny_engine, clips, per_file):
    assert not tiny_engine.pack_clips and tiny_engine.window_floor_seconds == WINDOW_FLOOR_SECONDS
    batched = tiny_engine.transcribe_batch(clips, options=ENGLISH, batch_size=4)

    stats = tiny_engine.last_batch_stats
    assert stats["windows"] == len(clips) and stats["unpacked"] == stats["per_file"] == 0
    assert stats["mel_frames"] < len(clips) * Window.FRAMES / 2  # 5-7 s clips: 10 s windows
    assert stats["tokens"] >= sum(len(t.text.split()) for t in batched) and not stats["fallbacks"]
    assert (
        wer(SENTENCES, [t.text for t in batched])
        <= wer(SENTENCES, [t.text for t in per_file]) + 0.05
    )
    for result in batched:
        assert all(0 <= s.start < s.end <= result.duration + 1e-3 for s in result.segments)


@pytest.mark.slow
def test_packed_batch_keeps_order_and_per_file_accuracy(packed, clips, per_file):
    batched = packed.transcribe_batch(clips, options=ENGLISH, batch_size=8)

    assert packed.last_batch_stats["windows"] < len(clips)  # clips did share windows
    for result, path in zip(batched, clips, strict=True):
        assert result.duration == pytest.approx(audio_seconds(path), abs=0.01)
        assert result.language == "en" and result.decode_seconds > 0
        for seg in result.segments:
            assert 0 <= seg.start < seg.end <= result.duration
            assert all(seg.start - 0.05 <= w.start <= w.end <= seg.end + 0.05 for w in seg.words)
    assert (
        wer(SENTENCES, [t.text for t in batched])
        <= wer(SENTENCES, [t.text for t in per_file]) + 0.05
    )
    assert max(wer([s], [t.text]) for s, t in zip(SENTENCES, batched, strict=True)) < 0.5


def audio_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


@pytest.mark.slow
def test_clip_longer_than_a_window_is_decoded_per_file(tiny_engine, clips, tmp_path):
    long = concatenate(tmp_path / "long.wav", *clips, silence_s=1.0)
    batched = tiny_engine.transcribe_batch([clips[0], long, clips[1]], options=ENGLISH)

    assert tiny_engine.last_batch_stats["per_file"] == 1
    assert batched[1].duration > 30 and batched[1].segments[-1].end > 30
    assert wer([" ".join(SENTENCES)], [batched[1].text]) < 0.3, batched[1].text
    assert wer([SENTENCES[0], SENTENCES[1]], [batched[0].text, batched[2].text]) < 0.3


@pytest.mark.slow
def test_silent_clip_in_a_batch_is_flagged(tiny_engine, clips, tmp_path):
    quiet = audio_samples.silence(tmp_path / "quiet.wav", seconds=4)
    batched = tiny_engine.transcribe_batch([clips[0], quiet, clips[1]], options=ENGLISH)

    assert {"empty", "no_speech"} & set(batched[1].flags)
    assert batched[1].confidence < LOW_CONFIDENCE
    assert not batched[0].flags and not batched[2].flags


@pytest.mark.slow
def test_initial_prompt_in_a_batch(tiny_engine, clips):
    prompted = DecodeOptions(language="en", initial_prompt="Alarm, television, river bank.")
    batched = tiny_engine.transcribe_batch(clips[:3], options=prompted)
    assert wer(SENTENCES[:3], [t.text for t in batched]) < 0.3


@pytest.mark.slow
def test_token_budget_in_a_batch_is_flagged(tiny_engine, clips, monkeypatch):
    # A 10-token budget stands in for a repetition loop running into max_new_tokens_for().
    monkeypatch.setattr("asr.windows.max_new_tokens_for", lambda seconds: 10)
    monkeypatch.setattr("asr.faster.max_new_tokens_for", lambda seconds: 10)
    (limited,) = tiny_engine.transcribe_batch(clips[2:3], options=ENGLISH)
    assert "token_limit" in limited.flags


@pytest.mark.slow
def test_batch_detects_each_clips_language(base_engine, clips, tmp_path):
    # espeak-ng's Korean sounds like Thai to Whisper base; its Spanish is recognised well.
    spanish = audio_samples.speak(
        "Buenos días, hoy hace muy buen tiempo y vamos a caminar por el parque.",
        tmp_path / "es.wav",
        voice="es",
    )
    batched = base_engine.transcribe_batch([clips[2], spanish], options=DecodeOptions())

    assert [t.language for t in batched] == ["en", "es"]
    assert all(0.5 < t.language_probability <= 1 for t in batched)
    assert base_engine.last_batch_stats["windows"] == 2  # detection needs a window per clip
    assert "parque" in batched[1].text, batched[1].text


@pytest.mark.slow
def test_batch_failures_raise_asr_error(tiny_engine, clips, tmp_path):
    with pytest.raises(AsrError, match="not found"):
        tiny_engine.transcribe_batch([clips[0], tmp_path / "missing.wav"], options=ENGLISH)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"definitely not audio" * 100)
    with pytest.raises(AsrError, match="junk.wav"):
        tiny_engine.transcribe_batch([clips[0], junk], options=ENGLISH)
