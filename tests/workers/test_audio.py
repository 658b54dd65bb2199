"""read_audio(): ingest's 16 kHz WAVs read directly, with the samples PyAV would give."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper import decode_audio

from asr import audio
from asr.audio import read_audio
from tests.audio_samples import NORMALISED_WAV, convert, speak


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    return speak("turn on the television", tmp_path_factory.mktemp("audio") / "tv.wav")


def test_an_ingest_wav_is_read_directly_with_the_decoders_samples(spoken, tmp_path, monkeypatch):
    wav = convert(spoken, tmp_path / "normalised.wav", codec_args=NORMALISED_WAV)
    expected = decode_audio(str(wav), sampling_rate=16000)
    # Fails if the fast path is not taken, since the decoder would be reached.
    monkeypatch.setattr("faster_whisper.decode_audio", _refuse)

    samples = read_audio(wav)

    assert samples.dtype == np.float32
    np.testing.assert_array_equal(samples, expected)


@pytest.mark.parametrize(
    ("name", "codec_args"),
    [
        ("native.wav", None),  # espeak-ng's 22.05 kHz: needs resampling
        ("stereo.wav", ["-ar", "16000", "-ac", "2", "-c:a", "pcm_s16le"]),
        ("float.wav", ["-ar", "16000", "-ac", "1", "-c:a", "pcm_f32le"]),
        ("clip.mp3", None),
    ],
)
def test_anything_else_goes_through_the_decoder(spoken, tmp_path, name, codec_args):
    path = spoken
    if name != "native.wav":
        path = convert(spoken, tmp_path / name, codec_args=codec_args)
    assert audio._pcm16_mono_16k(path) is None

    samples = read_audio(path)

    np.testing.assert_array_equal(samples, decode_audio(str(path), sampling_rate=16000))
    assert abs(len(samples) / 16000 - len(read_audio(spoken)) / 16000) < 0.1


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the PyAV decoder was used for an ingest WAV")
