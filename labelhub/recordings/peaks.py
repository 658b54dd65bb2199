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
from labelhub.storage import local_path, store_file

PEAK_MILLISECONDS = 10
PEAKS_VERSION = 1


def peaks_compute(wav_path: Path) -> dict:
    """Min/max pairs per 10 ms of a 16-bit PCM WAV (first channel), scaled to -127..127."""
    with wave.open(str(wav_path), "rb") as audio:
        if audio.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit PCM, got {audio.getsampwidth() * 8}-bit")
        rate, channels = audio.getframerate(), audio.getnchannels()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")
    samples = samples[::channels] if channels > 1 else samples
    per_peak = max(rate * PEAK_MILLISECONDS // 1000, 1)
    count = -(-len(samples) // per_peak)  # ceiling: the last, partial window counts too
    padded = np.zeros(count * per_peak, dtype=np.int16)
    padded[: len(samples)] = samples
    windows = padded.reshape(count, per_peak) if count else padded.reshape(0, per_peak)
    lows = np.floor(windows.min(axis=1) / 32768 * 127).astype(int)
    highs = np.ceil(windows.max(axis=1) / 32767 * 127).astype(int)
    return {
        "version": PEAKS_VERSION,
        "sample_rate": rate,
        "samples_per_peak": per_peak,
        "seconds_per_peak": PEAK_MILLISECONDS / 1000,
        "duration": round(len(samples) / rate, 3) if rate else 0,
        "scale": 127,
        # Flat [min0, max0, min1, max1, ...]: half the size of nested pairs in JSON.
        "data": np.column_stack([lows, highs]).ravel().tolist(),
    }


def peaks_attach(*, recording: Recording, wav_path: Path) -> None:
    """Stores the peaks of this WAV as the recording's peaks file; the caller saves the row.

    Ingest calls it with the WAV it has just written, so the audio is not read back from storage.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peaks.json"
        out.write_text(json.dumps(peaks_compute(wav_path), separators=(",", ":")))
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
        locked = Recording.objects.select_for_update().get(pk=recording.pk)
        if not locked.peaks_file:
            peaks_store(recording=locked)
    recording.refresh_from_db(fields=["peaks_file"])
    return recording
