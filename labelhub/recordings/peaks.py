"""Waveform peaks: the min and max of every 10 ms of a normalised WAV, computed once.

The workbench draws its waveform from these instead of decoding the audio in the browser, so a
30-minute clip (180,000 pairs, about 1 MB of JSON) opens as fast as a 10-second one and the tab
never holds the decoded samples.
"""

import json
import tempfile
import wave
from pathlib import Path

import numpy as np
from django.db import transaction

from labelhub.recordings.models import Recording
from labelhub.recordings.streaming_decode import PeaksMeter
from labelhub.storage import local_path, store_file

PEAK_MILLISECONDS = 10
PEAKS_VERSION = 1  # the format PeaksMeter.finish writes


def peaks_compute(wav_path: Path) -> dict:
    """Min/max pairs per 10 ms of a 16-bit PCM WAV (first channel), scaled to -127..127.

    Read one second at a time, so a two-hour source's peaks never hold its samples in memory.
    """
    with wave.open(str(wav_path), "rb") as audio:
        if audio.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit PCM, got {audio.getsampwidth() * 8}-bit")
        rate, channels = audio.getframerate(), audio.getnchannels()
        meter = PeaksMeter(rate)
        while block := audio.readframes(max(rate, 1)):
            samples = np.frombuffer(block, dtype="<i2")
            meter.feed(samples[::channels] if channels > 1 else samples)
    return meter.finish()


def peaks_attach(*, recording: Recording, wav_path: Path) -> None:
    """Stores the peaks of this WAV as the recording's peaks file; the caller saves the row.

    Ingest calls it with the WAV it has just written, so the audio is not read back from storage.
    """
    peaks_attach_data(recording=recording, peaks=peaks_compute(wav_path))


def peaks_attach_data(*, recording: Recording, peaks: dict) -> None:
    """Stores peaks already computed (a source's, measured while it streamed in)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peaks.json"
        out.write_text(json.dumps(peaks, separators=(",", ":")))
        recording.peaks_file.name = store_file(
            path=out, name=f"peaks/{recording.campaign_id}/{recording.uid}.json"
        )


def peaks_store(*, recording: Recording) -> Recording:
    """Computes the recording's peaks from its stored normalised WAV and saves them."""
    with local_path(recording.normalised_file) as wav:
        peaks_attach(recording=recording, wav_path=wav)
    if recording.pk:
        Recording.objects.filter(pk=recording.pk).update(peaks_file=recording.peaks_file.name)
    return recording


def peaks_ensure(*, recording: Recording) -> Recording:
    """Stores the peaks of an older recording ingested before peaks existed; idempotent."""
    if recording.peaks_file:
        return recording
    with transaction.atomic():
        locked = Recording.objects.select_for_update(no_key=True).get(pk=recording.pk)
        if not locked.peaks_file:
            peaks_store(recording=locked)
    recording.refresh_from_db(fields=["peaks_file"])
    return recording
