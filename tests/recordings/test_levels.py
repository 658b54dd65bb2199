"""Level figures are finite numbers: a nearly silent clip stores the documented floor, stored
-inf from before is fixed by a migration, and the API writes any non-finite float as null."""

import importlib
import struct
import wave
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.recordings.audio import LEVEL_FLOOR_DBFS, level_dbfs
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_ingest, recording_upload
from labelhub.renderers import finite_or_null
from tests.factories import RecordingFactory

pytestmark = pytest.mark.django_db


def near_silence(path: Path) -> Path:
    """One sample of 1 in a second of zeros: a peak of -90 dBFS, an RMS that rounds to zero."""
    samples = [0] * 8000 + [1] + [0] * 7999
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


@pytest.mark.parametrize("value", [float("-inf"), float("nan"), float("inf"), -400.0])
def test_a_level_that_is_not_a_finite_figure_above_the_floor_becomes_the_floor(value) -> None:
    assert level_dbfs(value) == LEVEL_FLOOR_DBFS


def test_a_nearly_silent_clip_is_rejected_with_finite_levels(consented_speaker, tmp_path) -> None:
    wav = near_silence(tmp_path / "quiet.wav")
    recording = recording_upload(
        speaker=consented_speaker,
        uploaded_file=SimpleUploadedFile(wav.name, wav.read_bytes()),
        uploaded_by=None,
    )

    recording = recording_ingest(recording_id=recording.pk)

    assert recording.status == Recording.Status.REJECTED and recording.rejection_code == "silent"
    assert recording.rms_dbfs == LEVEL_FLOOR_DBFS
    assert recording.peak_dbfs == pytest.approx(-90.3, abs=0.1)


def test_a_stored_minus_infinity_reads_as_null_not_a_500(api_for, pm) -> None:
    recording = RecordingFactory(status=Recording.Status.REJECTED, rms_dbfs=float("-inf"))

    response = api_for(pm).get(f"/api/recordings/{recording.pk}/")

    assert response.status_code == 200
    assert response.json()["rms_dbfs"] is None


def test_the_migration_sets_stored_non_finite_levels_to_the_floor() -> None:
    bad = RecordingFactory(rms_dbfs=float("-inf"), peak_dbfs=float("nan"), clipping_ratio=0.5)
    good = RecordingFactory(rms_dbfs=-23.5, peak_dbfs=-1.0)
    migration = importlib.import_module("labelhub.recordings.migrations.0007_finite_levels")

    migration.clamp_levels(apps, None)

    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.rms_dbfs, bad.peak_dbfs, bad.clipping_ratio) == (-120.0, -120.0, 0.5)
    assert (good.rms_dbfs, good.peak_dbfs) == (-23.5, -1.0)


def test_non_finite_floats_anywhere_in_a_response_become_null() -> None:
    data = {"a": [1.5, float("nan"), {"b": float("-inf")}], "c": (float("inf"),), "d": "x"}

    assert finite_or_null(data) == {"a": [1.5, None, {"b": None}], "c": [None], "d": "x"}
