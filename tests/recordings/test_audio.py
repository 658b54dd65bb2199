"""Tests for labelhub.recordings.audio against real ffmpeg/ffprobe/espeak-ng output.

Pure-Python module, so it runs without Django: pytest -p no:django tests/recordings/test_audio.py
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
import subprocess
import wave
from array import array
from pathlib import Path

import pytest

from labelhub.recordings.audio import (
    AudioRejected,
    normalise,
    sha256_file,
    validate_upload,
)
from tests.audio_samples import FORMATS, convert, silence, speak

TOLERANCE_S = 0.1
EXPECTED_CODECS = {
    ".wav": "pcm_s16le",
    ".mp3": "mp3",
    ".m4a": "aac",
    ".aac": "aac",
    ".ogg": "opus",
    ".opus": "opus",
    ".webm": "opus",
    ".flac": "flac",
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("samples")


@pytest.fixture(scope="module")
def source(samples: Path) -> Path:
    # 48 kHz keeps codec frames short, so encoder priming/padding stays well inside the tolerance.
    raw = speak("The quick brown fox jumps over the lazy dog.", samples / "raw.wav")
    return convert(raw, samples / "source.wav", codec_args=["-ar", "48000", "-c:a", "pcm_s16le"])


@pytest.fixture(scope="module")
def source_seconds(source: Path) -> float:
    return _wav_seconds(source)


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def _rejection(path: Path, filename: str | None = None) -> AudioRejected:
    with pytest.raises(AudioRejected) as caught:
        validate_upload(path, filename=filename or path.name)
    return caught.value


def _sine_pcm(seconds: float = 0.5, rate: int = 16000) -> bytes:
    samples = (
        int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate))
    )
    return array("h", samples).tobytes()


def _riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"WAVE" + b"".join(
        cid + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)
        for cid, data in chunks
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


PCM_FMT = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
PCM_GUID = bytes.fromhex("0100000000001000800000aa00389b71")
EXTENSIBLE_FMT = struct.pack("<HHIIHHHHI", 0xFFFE, 1, 16000, 32000, 2, 16, 22, 16, 0x4) + PCM_GUID


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_each_accepted_format_validates_and_normalises(
    suffix: str, source: Path, source_seconds: float, tmp_path: Path
) -> None:
    upload = convert(source, tmp_path / f"upload{suffix}")

    probe = validate_upload(upload, filename=f"My Recording{suffix.upper()}")

    assert probe.codec == EXPECTED_CODECS[suffix]
    assert (probe.sample_rate, probe.channels) == (48000, 1)
    assert probe.duration == pytest.approx(source_seconds, abs=TOLERANCE_S)

    out = tmp_path / "out" / "normalised.wav"
    result = normalise(upload, out_path=out)

    assert (result.sample_rate, result.channels) == (48000, 1)
    assert result.duration == pytest.approx(source_seconds, abs=TOLERANCE_S)
    assert result.normalised_path == out
    assert -30 < result.rms_dbfs < result.peak_dbfs < 0
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.getnframes() / 16000 == pytest.approx(source_seconds, abs=TOLERANCE_S)
    assert list(out.parent.iterdir()) == [out], "temporary file left behind"


def test_stereo_44k_reports_original_layout_and_normalises_to_mono_16k(
    source: Path, tmp_path: Path
) -> None:
    stereo = convert(
        source,
        tmp_path / "stereo.wav",
        codec_args=["-ac", "2", "-ar", "44100", "-c:a", "pcm_s16le"],
    )

    probe = validate_upload(stereo, filename="stereo.wav")
    result = normalise(stereo, out_path=tmp_path / "mono.wav")

    assert (probe.channels, probe.sample_rate) == (2, 44100)
    assert (result.channels, result.sample_rate) == (2, 44100)
    with wave.open(str(result.normalised_path)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 16000)


def test_browser_style_webm_without_header_duration_gets_duration_from_packets(
    source: Path, source_seconds: float, tmp_path: Path
) -> None:
    # Writing to a pipe stops ffmpeg from seeking back to fill in the duration, like MediaRecorder.
    upload = tmp_path / "browser.webm"
    with upload.open("wb") as fh:
        command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(source)]
        subprocess.run([*command, *FORMATS[".webm"], "-f", "webm", "pipe:1"], stdout=fh, check=True)
    header = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", upload],
        capture_output=True,
        text=True,
        check=True,
    )
    assert header.stdout.strip() == "N/A", "precondition: the header must lack a duration"

    probe = validate_upload(upload, filename="browser.webm")

    assert probe.duration == pytest.approx(source_seconds, abs=TOLERANCE_S)


def test_streaming_wav_with_unknown_sizes_is_accepted(source: Path, tmp_path: Path) -> None:
    upload = tmp_path / "streamed.wav"
    with upload.open("wb") as fh:
        command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(source)]
        subprocess.run([*command, "-f", "wav", "pipe:1"], stdout=fh, check=True)
    assert upload.read_bytes()[4:8] == b"\xff\xff\xff\xff", "precondition: streaming sizes"

    assert validate_upload(upload, filename="streamed.wav").duration > 1


def test_text_file_named_wav_is_not_audio(tmp_path: Path) -> None:
    upload = tmp_path / "notes.wav"
    upload.write_text("Meeting notes: remember to record the second take.\n" * 20)

    rejected = _rejection(upload)

    assert rejected.code == "not_audio"
    assert "looks like text" in rejected.reason


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    upload = tmp_path / "empty.m4a"
    upload.touch()

    assert _rejection(upload).code == "empty"


def test_truncated_wav_is_rejected(source: Path, tmp_path: Path) -> None:
    upload = tmp_path / "cut.wav"
    upload.write_bytes(source.read_bytes()[:1000])

    rejected = _rejection(upload)

    assert rejected.code == "truncated"
    assert "promises" in rejected.reason


def test_wav_cut_inside_its_header_is_truncated(source: Path, tmp_path: Path) -> None:
    upload = tmp_path / "cut.wav"
    upload.write_bytes(source.read_bytes()[:30])

    assert _rejection(upload).code == "truncated"


def test_wav_chunk_walk_handles_odd_padding_list_and_extensible(tmp_path: Path) -> None:
    pcm = _sine_pcm()
    list_chunk = b"INFOISFT" + struct.pack("<I", 4) + b"test"
    chunks = [(b"fmt ", EXTENSIBLE_FMT), (b"junk", b"odd"), (b"LIST", list_chunk)]
    whole, cut = tmp_path / "whole.wav", tmp_path / "cut.wav"
    whole.write_bytes(_riff(*chunks, (b"data", pcm)))
    cut.write_bytes(whole.read_bytes()[: -len(pcm) // 2])

    assert validate_upload(whole, filename="whole.wav").duration == pytest.approx(0.5)
    assert _rejection(cut).code == "truncated"


def test_plain_pcm_wav_built_by_hand_is_accepted(tmp_path: Path) -> None:
    upload = tmp_path / "plain.wav"
    upload.write_bytes(_riff((b"fmt ", PCM_FMT), (b"data", _sine_pcm())))

    assert validate_upload(upload, filename="plain.wav").sample_rate == 16000


def test_rf64_uses_the_ds64_size(source: Path, tmp_path: Path) -> None:
    whole = convert(
        source, tmp_path / "whole.wav", codec_args=["-c:a", "pcm_s16le", "-rf64", "always"]
    )
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:5000])
    assert whole.read_bytes()[:4] == b"RF64", "precondition: ffmpeg wrote RF64"

    assert validate_upload(whole, filename="whole.wav").duration > 1
    assert _rejection(cut).code == "truncated"


def test_unsupported_suffix_is_rejected_by_name(source: Path) -> None:
    rejected = _rejection(source, filename="speech.txt")

    assert rejected.code == "unsupported_type"
    assert "'.txt'" in rejected.reason
    assert ".wav" in rejected.reason


def test_digital_silence_is_rejected_by_normalise(tmp_path: Path) -> None:
    upload = silence(tmp_path / "quiet.wav", seconds=1.0)
    validate_upload(upload, filename="quiet.wav")

    with pytest.raises(AudioRejected) as caught:
        normalise(upload, out_path=tmp_path / "out.wav")

    assert caught.value.code == "silent"
    assert not (tmp_path / "out.wav").exists()


def test_clip_below_minimum_length_is_too_short(source: Path, tmp_path: Path) -> None:
    clip = convert(source, tmp_path / "blip.wav", codec_args=["-t", "0.05", "-c:a", "pcm_s16le"])

    with pytest.raises(AudioRejected) as caught:
        normalise(clip, out_path=tmp_path / "out.wav")

    assert caught.value.code == "too_short"


def test_random_bytes_named_mp3_are_refused(tmp_path: Path) -> None:
    upload = tmp_path / "noise.mp3"
    upload.write_bytes(random.Random(1234).randbytes(64 * 1024))

    try:
        validate_upload(upload, filename="noise.mp3")
    except AudioRejected as exc:
        assert exc.code == "not_audio"
        return
    with pytest.raises(AudioRejected) as caught:
        normalise(upload, out_path=tmp_path / "out.wav")
    assert caught.value.code == "undecodable"


def test_decode_failure_reports_ffmpeg_message(tmp_path: Path) -> None:
    upload = tmp_path / "notes.ogg"
    upload.write_text("definitely not an ogg stream\n")

    with pytest.raises(AudioRejected) as caught:
        normalise(upload, out_path=tmp_path / "out.wav")

    assert caught.value.code == "undecodable"
    # Read as a plain file (not through pydub's cache:pipe:), ffmpeg reports "End of file".
    assert "ffmpeg: End of file" in caught.value.reason
    assert str(tmp_path) not in caught.value.reason


def test_sha256_file_matches_hashlib_across_chunks(tmp_path: Path) -> None:
    blob = random.Random(99).randbytes(2 * 1024 * 1024 + 123)
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)

    assert sha256_file(path) == hashlib.sha256(blob).hexdigest()


@pytest.mark.parametrize("suffix", [".wav", ".m4a"])
def test_normalise_leaves_source_byte_identical(source: Path, tmp_path: Path, suffix: str) -> None:
    upload = convert(source, tmp_path / f"upload{suffix}")
    before = sha256_file(upload)

    normalise(upload, out_path=tmp_path / "out.wav")

    assert sha256_file(upload) == before
