"""openai-whisper engine on weights converted from the packaged CTranslate2 models."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from asr.base import AsrError, DecodeOptions, max_new_tokens_for
from asr.convert import (
    _bytes_to_unicode,
    _dequantized,
    ct2_to_openai_checkpoint,
    openai_checkpoint_for,
    read_ct2_model,
)
from asr.models import resolve_model
from tests.audio_samples import speak, wer

SENTENCE = "please turn on the living room lights"


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("openai-cache")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module")
def sentence_wav(clips) -> Path:
    return speak(SENTENCE, clips / "sentence.wav")


@pytest.fixture(scope="module")
def tiny_checkpoint(cache) -> Path:
    return openai_checkpoint_for("tiny.en", cache_dir=cache)


@pytest.fixture(scope="module")
def tiny_engine(cache, tiny_checkpoint):
    from asr.openai import OpenAIWhisperEngine

    model_dir = resolve_model("tiny.en", cache_dir=cache)
    return OpenAIWhisperEngine(model="tiny.en", model_dir=model_dir, cache_dir=cache)


# --- model.bin parsing, no model needed ------------------------------------------------------


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<H", len(data) + 1) + data + b"\0"


def _variable(name: str, array: np.ndarray, dtype_id: int) -> bytes:
    shape = struct.pack("<B", array.ndim) + b"".join(struct.pack("<I", d) for d in array.shape)
    raw = array.tobytes()
    return _string(name) + shape + struct.pack("<BI", dtype_id, len(raw)) + raw


def test_reads_ct2_binary_layout_with_aliases_and_bfloat16(tmp_path):
    weight = np.arange(6, dtype=np.float16).reshape(2, 3)
    bf16 = (np.array([1.5, -2.0], dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)
    body = _variable("a/weight", weight, 4) + _variable("b/gamma", bf16, 5)
    aliases = struct.pack("<I", 1) + _string("c/weight") + _string("a/weight")
    header = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<II", 3, 2)
    (tmp_path / "model.bin").write_bytes(header + body + aliases)

    model = read_ct2_model(tmp_path / "model.bin")

    assert model.revision == 3
    assert model.variables["a/weight"].dtype == np.float16
    np.testing.assert_array_equal(model.variables["a/weight"], weight)
    np.testing.assert_array_equal(model.variables["b/gamma"], [1.5, -2.0])
    assert model.variables["c/weight"] is model.variables["a/weight"]


def test_int8_weights_are_divided_by_their_row_scale():
    weight = np.array([[127, -64], [10, 20]], dtype=np.int8)
    scale = np.array([127.0, 10.0], dtype=np.float32)

    result = _dequantized({"l/weight": weight, "l/weight_scale": scale, "l/bias": np.ones(2)})

    assert set(result) == {"l/weight", "l/bias"}
    np.testing.assert_allclose(result["l/weight"], [[1.0, -64 / 127], [1.0, 2.0]])


def test_missing_model_dir_raises_naming_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(AsrError, match=re.escape(str(missing))):
        ct2_to_openai_checkpoint(missing, tmp_path / "out.pt")
    assert not (tmp_path / "out.pt").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x06\x00\x00\x00\x0c\x00Whisper", "truncated"),
        (struct.pack("<I", 2) + _string("WhisperSpec"), "binary version 2"),
        (struct.pack("<I", 6) + _string("TransformerSpec"), "not a Whisper model"),
    ],
)
def test_bad_model_bin_raises_asr_error(tmp_path, content, message):
    (tmp_path / "model.bin").write_bytes(content)
    with pytest.raises(AsrError, match=message):
        ct2_to_openai_checkpoint(tmp_path, tmp_path / "out.pt")


# --- converted tiny.en ------------------------------------------------------------------------


@pytest.mark.slow
def test_tiny_checkpoint_loads_in_openai_whisper(tiny_checkpoint):
    import whisper

    model = whisper.load_model(str(tiny_checkpoint), device="cpu")

    assert model.dims.n_vocab == 51864
    assert model.dims.n_audio_layer == 4
    assert model.dims.n_text_state == 384
    assert not model.is_multilingual


@pytest.mark.slow
def test_checkpoint_is_converted_once(cache, tiny_checkpoint):
    before = tiny_checkpoint.stat().st_mtime_ns

    again = openai_checkpoint_for("tiny.en", cache_dir=cache)

    assert again == tiny_checkpoint
    assert again.stat().st_mtime_ns == before
    assert tiny_checkpoint.name.startswith("openai-tiny.en-")
    assert not list(cache.glob(".*.tmp"))  # no temp file left from the atomic write


@pytest.mark.parametrize("name", ["tiny.en", "base"])
def test_ct2_vocabulary_ids_match_openai_tokenizer(cache, name):
    from whisper.tokenizer import get_tokenizer

    # vocabulary.txt is what CTranslate2 decodes with: line N is token id N, spelt in
    # GPT-2's byte-to-character alphabet.
    model_dir = resolve_model(name, cache_dir=cache)
    vocab = (model_dir / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    byte_of = {char: byte for byte, char in _bytes_to_unicode().items()}
    openai = get_tokenizer(multilingual=name == "base")
    for text in [" Hello world!", " turn on the living room lights", " 안녕하세요, 12:30 déjà"]:
        ids = openai.encode(text)
        spelt = b"".join(bytes(byte_of[c] for c in vocab[i]) for i in ids)
        assert spelt.decode("utf-8") == text
    assert vocab[openai.sot] == "<|startoftranscript|>"
    assert vocab[openai.no_timestamps] == "<|notimestamps|>"


def test_tiny_en_tokenizer_json_encodes_like_openai(cache):
    from tokenizers import Tokenizer
    from whisper.tokenizer import get_tokenizer

    model_dir = resolve_model("tiny.en", cache_dir=cache)
    ct2 = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    openai = get_tokenizer(multilingual=False)
    for text in [" Hello world!", " turn on the living room lights", " 12:30 déjà"]:
        assert ct2.encode(text, add_special_tokens=False).ids == openai.encode(text)


@pytest.mark.slow
def test_tiny_engine_transcribes_speech(tiny_engine, sentence_wav):
    result = tiny_engine.transcribe(sentence_wav)

    assert wer(SENTENCE, result.text) < 0.5, result.text
    assert result.engine == "openai-whisper"
    assert result.model == "tiny.en"
    assert result.language == "en"
    assert result.engine_version.startswith("openai-whisper ")
    assert result.decode_seconds > 0
    assert 0 < result.confidence <= 1
    assert result.flags == ()
    words = [w for s in result.segments for w in s.words]
    assert len(words) >= 5
    assert all(0 <= w.start <= w.end <= result.duration + 0.5 for w in words)
    assert all(s.compression_ratio > 0 for s in result.segments)


@pytest.mark.slow
def test_openai_and_faster_whisper_agree(cache, tiny_engine, sentence_wav):
    from faster_whisper import WhisperModel

    faster = WhisperModel(
        str(resolve_model("tiny.en", cache_dir=cache)), device="cpu", compute_type="int8"
    )
    segments, _ = faster.transcribe(
        str(sentence_wav), language="en", beam_size=5, condition_on_previous_text=False
    )
    faster_text = "".join(s.text for s in segments)

    openai_text = tiny_engine.transcribe(sentence_wav, options=DecodeOptions()).text

    assert wer(faster_text, openai_text) <= 0.2, (faster_text, openai_text)


@pytest.mark.slow
def test_decoding_is_bounded_by_audio_length(tiny_engine, clips, monkeypatch):
    from whisper.model import Whisper

    calls = []
    real_decode = Whisper.decode

    def spy(model, mel, options):
        result = real_decode(model, mel, options)
        calls.append((options.sample_len, len(result.tokens)))
        return result

    monkeypatch.setattr(Whisper, "decode", spy)
    clip = speak("yes", clips / "one-second.wav")

    result = tiny_engine.transcribe(clip, options=DecodeOptions(word_timestamps=False))

    assert result.duration < 1.5
    budget = max_new_tokens_for(result.duration)
    assert calls and all(limit == budget for limit, _ in calls)
    assert all(used <= budget for _, used in calls)
    assert "token_limit" not in result.flags


@pytest.mark.slow
def test_running_out_of_tokens_is_flagged(tiny_engine, sentence_wav, monkeypatch):
    monkeypatch.setattr("asr.openai.max_new_tokens_for", lambda duration: 3)

    result = tiny_engine.transcribe(sentence_wav, options=DecodeOptions(word_timestamps=False))

    assert "token_limit" in result.flags


def test_missing_audio_raises_asr_error(tmp_path):
    from asr.openai import OpenAIWhisperEngine

    engine = OpenAIWhisperEngine.__new__(OpenAIWhisperEngine)  # no model needed to fail early
    with pytest.raises(AsrError, match="audio file not found"):
        engine.transcribe(tmp_path / "missing.wav")


# --- converted base (multilingual) ----------------------------------------------------------


@pytest.mark.slow
def test_base_converts_and_transcribes_english(cache, sentence_wav):
    from asr.openai import OpenAIWhisperEngine

    engine = OpenAIWhisperEngine(
        model="base", model_dir=resolve_model("base", cache_dir=cache), cache_dir=cache
    )
    dims = engine._whisper.dims
    assert (dims.n_vocab, dims.n_audio_layer, dims.n_text_state) == (51865, 6, 512)

    result = engine.transcribe(sentence_wav, options=DecodeOptions(word_timestamps=False))

    assert wer(SENTENCE, result.text) < 0.6, result.text
    assert result.language == "en"  # detected, not forced
    assert 0 < result.language_probability <= 1


@pytest.mark.slow
def test_a_checkpoint_path_loads_in_the_openai_engine_and_is_refused_by_faster_whisper(
    cache, tiny_checkpoint, sentence_wav, tmp_path
):
    from asr import get_engine

    checkpoint = tmp_path / "my-whisper.pt"
    checkpoint.write_bytes(tiny_checkpoint.read_bytes())

    engine = get_engine(
        engine="openai-whisper", model=str(checkpoint), language="en", cache_dir=cache
    )
    result = engine.transcribe(sentence_wav)

    assert wer(SENTENCE, result.text) < 0.5, result.text
    with pytest.raises(AsrError, match="CTranslate2 model directory"):
        get_engine(engine="faster-whisper", model=str(checkpoint), language="en", cache_dir=cache)


def test_an_unknown_model_names_every_accepted_form(cache):
    with pytest.raises(AsrError) as refused:
        resolve_model("/nowhere/model.pt", cache_dir=cache)

    assert "checkpoint (.pt)" in str(refused.value)
    assert "tiny.en" in str(refused.value)
