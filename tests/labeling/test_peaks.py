"""Waveform peaks: min/max per 10 ms, computed from the normalised WAV."""

import struct
import wave
from pathlib import Path

import pytest

from labelhub.recordings.peaks import peaks_compute
from tests.audio_samples import silence


def write_wav(path: Path, samples: list[int], rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


def test_one_pair_per_ten_milliseconds_including_the_last_partial_window(tmp_path) -> None:
    peaks = peaks_compute(silence(tmp_path / "s.wav", seconds=1.005))

    assert peaks["samples_per_peak"] == 160
    assert len(peaks["data"]) == 2 * 101
    assert set(peaks["data"]) == {0}


def test_each_pair_is_the_window_minimum_and_maximum_scaled_to_127(tmp_path) -> None:
    samples = [0] * 160 + [32767, -32768] + [0] * 158 + [16384] * 160
    peaks = peaks_compute(write_wav(tmp_path / "p.wav", samples))

    assert peaks["data"] == [0, 0, -127, 127, 63, 64]  # a constant window: min == max
    assert peaks["duration"] == pytest.approx(0.03)


def test_a_non_16_bit_file_is_refused(tmp_path) -> None:
    path = tmp_path / "8bit.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 800)

    with pytest.raises(ValueError, match="16-bit"):
        peaks_compute(path)


@pytest.mark.django_db
def test_the_workbench_page_speaks_korean(client, labeler) -> None:
    client.force_login(labeler)

    page = client.get("/work/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "제출하고 다음으로" in page
    assert "재생 / 일시 정지" in page


@pytest.mark.django_db
def test_the_javascript_catalogue_has_the_workbench_messages(client) -> None:
    catalogue = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "\\ub2e4\\uc74c \\ud074\\ub9bd" in catalogue or "다음 클립" in catalogue
