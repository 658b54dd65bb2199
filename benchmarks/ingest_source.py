"""Measure the real long-form ingest (upload + streaming decode + peaks) of one source.

Generates a source of --minutes (a 330 Hz tone in noise, 44.1 kHz stereo MP3, 96 kbit/s) unless
--source names a file, uploads it to a throwaway long-form campaign through recording_upload,
runs recording_ingest in this process, and prints wall time, real-time factor and this
process's peak RSS (ffmpeg runs beside it: measure it with /usr/bin/time -v). The last line is
one JSON object.

Needs a migrated database (DATABASE_URL); it works in a temporary MEDIA_ROOT, and the rows it
makes are rolled back. Usage: .venv/bin/python benchmarks/ingest_source.py --minutes 120
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def generate(minutes: float, out: Path) -> Path:
    seconds = str(minutes * 60)
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"sine=f=330:r=44100:d={seconds}"]
    command += ["-f", "lavfi", "-i", f"anoisesrc=r=44100:d={seconds}:a=0.05"]
    command += ["-filter_complex", "amix=inputs=2,pan=stereo|c0=c0|c1=c0"]
    command += ["-c:a", "libmp3lame", "-b:a", "96k", str(out)]
    subprocess.run(command, check=True)
    return out


def peak_rss_mb() -> float:
    # VmHWM of this process. Not ru_maxrss: Linux carries a parent's peak into it across
    # fork + exec, and RUSAGE_CHILDREN would report this process's size for every ffmpeg.
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def measure(source: Path) -> dict:
    import django

    django.setup()
    from django.db import transaction

    # Everything it writes is rolled back, so it can run again on the same database.
    with transaction.atomic():
        figures = _measure(source)
        transaction.set_rollback(True)
    return figures


def _measure(source: Path) -> dict:
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from labelhub.campaigns.models import Campaign
    from labelhub.recordings import services
    from tests.factories import ConsentRecordFactory

    # Ingest only: the draft it would queue next is benchmarks/longform.py's to measure.
    services.transcribe_enqueue = lambda **kwargs: None

    speaker = ConsentRecordFactory(
        speaker__campaign__collection_mode=Campaign.CollectionMode.LONG_FORM,
        speaker__campaign__status=Campaign.Status.ACTIVE,
    ).speaker
    # As Django hands a large upload to a view: a file on disk, read in chunks.
    upload = TemporaryUploadedFile(source.name, "audio/mpeg", source.stat().st_size, None)
    with source.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            upload.write(chunk)
    upload.seek(0)
    started = time.perf_counter()
    recording = services.recording_upload(speaker=speaker, uploaded_file=upload, uploaded_by=None)
    uploaded = time.perf_counter()
    recording = services.recording_ingest(recording_id=recording.pk)
    done = time.perf_counter()
    figures = {
        "status": recording.status,
        "source_seconds": round(recording.duration_seconds or 0, 1),
        "source_mb": round(source.stat().st_size / 1e6, 1),
        "upload_s": round(uploaded - started, 1),
        "ingest_s": round(done - uploaded, 1),
        "ingest_rtf": round((done - uploaded) / (recording.duration_seconds or 1), 4),
        "peaks_json_mb": round(Path(recording.peaks_file.path).stat().st_size / 1e6, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MEDIA_ROOT"] = str(Path(tmp) / "media")
        source = args.source or generate(args.minutes, Path(tmp) / "source.mp3")
        figures = measure(source)
    for key, value in figures.items():
        print(f"{key:>20}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
