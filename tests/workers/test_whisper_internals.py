"""The faster-whisper pieces asr/whisper_internals.py relies on still exist with the parameters
it passes; the batch path's results against per-file decoding are test_batching.py's."""

import inspect

import pytest
from faster_whisper import WhisperModel

from asr import whisper_internals

# Method -> the parameters whisper_internals and batching.BatchDecoder pass it.
RELIED_ON = {
    "generate_with_fallback": ["encoder_output", "prompt", "tokenizer", "options"],
    "_split_segments_by_timestamps": [
        "tokenizer",
        "tokens",
        "time_offset",
        "segment_size",
        "segment_duration",
        "seek",
    ],
    "add_word_timestamps": [
        "segments",
        "tokenizer",
        "encoder_output",
        "num_frames",
        "prepend_punctuations",
        "append_punctuations",
        "last_speech_timestamp",
    ],
    "find_alignment": ["tokenizer", "text_tokens", "encoder_output", "num_frames"],
    "get_prompt": ["tokenizer", "previous_tokens"],
    "encode": ["features"],
}


@pytest.mark.parametrize("name", sorted(RELIED_ON))
def test_the_whisper_model_method_takes_what_the_batch_path_passes(name: str) -> None:
    parameters = list(inspect.signature(getattr(WhisperModel, name)).parameters)

    assert parameters[1 : 1 + len(RELIED_ON[name])] == RELIED_ON[name]
    assert name in (whisper_internals.__doc__ or "")


def test_the_batch_defaults_are_transcribes_own() -> None:
    defaults = inspect.signature(WhisperModel.transcribe).parameters

    assert list(whisper_internals.TEMPERATURES) == list(defaults["temperature"].default)
    assert defaults["best_of"].default == whisper_internals.BEST_OF
    assert len(whisper_internals.TEMPERATURES) > 1 and whisper_internals.BEST_OF > 1


def test_the_first_timestamp_allowed_is_one_second() -> None:
    class Whisper:
        time_precision = 0.02  # what WhisperModel sets

    assert whisper_internals.max_initial_timestamp_index(Whisper()) == 50  # type: ignore[arg-type]
