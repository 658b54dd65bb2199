"""A segment's draft from its source's decoding: relative word times and the clip guards."""

from types import SimpleNamespace

import pytest

from asr import DecodeOptions, get_engine
from asr.cuts import Bounds, PlannedSegment, TimedWord
from asr.longform import UNTRANSCRIBED, _Decoded, _draft, source_draft
from tests.workers.longform_audio import long_source

ENGINE = SimpleNamespace(name="faster-whisper", model="tiny.en", version="test")


def decoded(words: list[tuple[float, float, str, float]], **fields) -> _Decoded:
    return _Decoded(
        avg_logprob=fields.get("avg_logprob", -0.2),
        no_speech_prob=fields.get("no_speech_prob", 0.01),
        limit_hit=fields.get("limit_hit", False),
        words=[TimedWord(*w) for w in words],
    )


def planned(start: float, end: float, words: tuple[int, ...], wordless: float = 0.0):
    return PlannedSegment(start, end, words, wordless, start, end)


def test_words_are_relative_to_the_segment_and_split_by_the_clip_they_came_from():
    clips = [
        decoded([(10.0, 10.4, " hello", 0.9), (10.5, 11.0, " there", 0.8)]),
        decoded([(31.0, 31.5, " general", 0.95)]),
    ]
    words = [
        TimedWord(*(10.0, 10.4, " hello", 0.9), ref=0),
        TimedWord(*(10.5, 11.0, " there", 0.8), ref=0),
        TimedWord(*(31.0, 31.5, " general", 0.95), ref=1),
    ]
    segment = planned(9.75, 31.75, (1, 2))

    result = _draft(segment, words, clips, ENGINE, "en", 1.0, 2.0)

    assert result.text == "there general"
    assert [s.text for s in result.segments] == [" there", " general"]
    first = result.segments[0]
    assert (first.start, first.end) == pytest.approx((0.75, 1.25))
    assert first.words[0].start == pytest.approx(0.75)
    assert result.segments[1].words[0].end == pytest.approx(21.75)
    # Less sure of "there" (0.8) than of its clip's words on average: a lower log-prob.
    assert first.avg_logprob < -0.2
    assert result.duration == 22.0 and result.decode_seconds == 2.0
    assert result.flags == () and 0.7 < result.confidence < 1.0
    assert result.segments_as_json()[0]["words"][0] == {
        "start": 0.75,
        "end": 1.25,
        "text": " there",
        "probability": 0.8,
    }


def test_the_guards_of_a_clip_reach_its_segments():
    looping = decoded([(1.0, 1.2, " la", 0.5)] * 6, limit_hit=True)
    words = [TimedWord(1.0 + k * 0.3, 1.2 + k * 0.3, " la", 0.5, ref=0) for k in range(6)]
    result = _draft(planned(0.5, 3.5, tuple(range(6))), words, [looping], ENGINE, "en", 1.0, 0)
    assert {"token_limit", "repetition"} <= set(result.flags) and result.low_confidence

    silent = decoded([(1.0, 1.5, " you", 0.3)], avg_logprob=-1.5, no_speech_prob=0.9)
    words = [TimedWord(1.0, 1.5, " you", 0.3, ref=0)]
    result = _draft(planned(0.5, 3.0, (0,)), words, [silent], ENGINE, "en", 1.0, 0)
    assert "no_speech" in result.flags


def test_speech_without_words_gives_an_empty_flagged_draft():
    result = _draft(planned(4.0, 9.0, (), wordless=4.5), [], [], ENGINE, "en", 1.0, 0)
    assert result.text == "" and result.segments == ()
    assert result.flags == ("empty", UNTRANSCRIBED) and result.low_confidence
    assert result.confidence == 0.0


@pytest.mark.slow
def test_a_multilingual_model_detects_the_language_once_for_the_source(tmp_path):
    spoken = long_source(tmp_path / "source.wav", seconds=40.0, seed=8)
    engine = get_engine(engine="faster-whisper", model="base", language=None, cache_dir=tmp_path)

    draft = source_draft(
        engine, tmp_path / "source.wav", options=DecodeOptions(language=None), bounds=Bounds()
    )

    assert draft.language == "en" and draft.language_probability > 0.5
    assert {s.transcription.language for s in draft.segments} == {"en"}
    assert all(2.0 <= s.end - s.start <= 15.0 for s in draft.segments)
    assert "morning" in " ".join(s.transcription.text for s in draft.segments).lower()
    assert spoken[0].text.split()[-1] in " ".join(s.transcription.text for s in draft.segments)
