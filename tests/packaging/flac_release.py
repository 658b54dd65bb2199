"""Builds a FLAC release with nothing but the runtime install: run by test_clean_install.py with
the Python of a virtual environment that holds ``pip install .`` and no dev extras.

    LABELHUB_DATA_DIR=<empty folder> python tests/packaging/flac_release.py

No pytest, no factory-boy, no PostgreSQL: the embedded SQLite default is migrated, one consented
speaker's clip (a real 16 kHz WAV, written with the standard library) is approved, and a FLAC
release is built in this process. Prints the archive's entry names, one a line.
"""

import io
import math
import os
import struct
import sys
import wave
import zipfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")
os.environ.pop("DATABASE_URL", None)  # the embedded SQLite default under LABELHUB_DATA_DIR
os.environ.pop("REDIS_URL", None)

import django

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from labelhub.accounts.models import Organisation, User  # noqa: E402
from labelhub.campaigns.demographics import AgeBand, Gender  # noqa: E402
from labelhub.campaigns.models import Campaign  # noqa: E402
from labelhub.labeling.models import Task, TranscriptRevision  # noqa: E402
from labelhub.recordings.models import Recording  # noqa: E402
from labelhub.releases.models import Release  # noqa: E402
from labelhub.releases.services import release_build, release_create  # noqa: E402
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker  # noqa: E402


def tone_wav(seconds: float = 1.5, rate: int = 16000) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(frames)
    return out.getvalue()


def main() -> int:
    call_command("migrate", verbosity=0)
    client = Organisation.objects.create(name="Acme", kind=Organisation.Kind.CLIENT)
    pm = User.objects.create_user("pm", password="pass-for-packaging-1", role=User.Role.PM)
    campaign = Campaign.objects.create(
        name="Packaging", client=client, language="en", created_by=pm
    )
    document = ConsentDocument.objects.create(
        campaign=campaign, version=1, language="en", title="Consent", text="I agree."
    )
    speaker = Speaker.objects.create(
        campaign=campaign,
        code="SPK-000001",
        age_band=AgeBand.THIRTIES,
        gender=Gender.FEMALE,
        region="Seoul",
        dialect="standard",
    )
    ConsentRecord.objects.create(
        speaker=speaker,
        document=document,
        method=ConsentRecord.Method.WEB_SIGNATURE,
        signed_at=timezone.now(),
    )
    wav = tone_wav()
    recording = Recording(
        speaker=speaker,
        campaign=campaign,
        raw_sha256="0" * 64,
        raw_size_bytes=len(wav),
        original_filename="take.wav",
        original_suffix=".wav",
        status=Recording.Status.READY,
        duration_seconds=1.5,
    )
    recording.raw_file.save("raw.wav", ContentFile(wav), save=False)
    recording.normalised_file.save("norm.wav", ContentFile(wav), save=False)
    recording.save()
    draft = TranscriptRevision.objects.create(
        recording=recording, number=1, kind=TranscriptRevision.Kind.ASR_DRAFT, text="a tone"
    )
    TranscriptRevision.objects.create(
        recording=recording,
        number=2,
        parent=draft,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text="a tone",
    )
    Task.objects.create(recording=recording, status=Task.Status.APPROVED)
    release = release_create(
        campaign=campaign, client=client, created_by=pm, spec={"audio_format": "flac"}
    )
    release = release_build(release_id=release.pk)
    if release.status != Release.Status.PUBLISHED:
        print(f"release {release.status}: {release.error}", file=sys.stderr)
        return 1
    with release.archive.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        for name in archive.namelist():
            print(name)
            if name.endswith(".flac") and archive.read(name)[:4] != b"fLaC":
                print(f"{name} is not FLAC", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
