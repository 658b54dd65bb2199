"""Build a release of N generated clips through the real release_build and measure it.

The clips (1 s of a tone, 16 kHz mono WAV, one tone per speaker) and their rows (speakers,
consents, recordings, ASR drafts, labeler edits, approved tasks) go into a throwaway database
(the test database of DATABASE_URL's, created and dropped here) and a temporary MEDIA_ROOT. The
build itself runs in a fresh subprocess, so its peak RSS (VmHWM, else ru_maxrss) is the
build's own plus Django's, not the data generation's. The last line printed is one JSON object
(clips, seconds, mb, mb_per_s, peak_rss_mb, storage and more).

With ``--storage s3`` the clips go to the bucket of a throwaway SeaweedFS (scripts/s3_server.py)
instead, and the build reads them from it and stores the archive there, as in production.
BENCH_PROFILE=<file> writes a cProfile of the build (the subprocess) to that file.
The analytics facts (ClipFact) are written with the data, as the labeling services keep them
in production; ``--stale-facts`` leaves them to the build's own backfill instead.

Usage: DATABASE_URL=postgres://... .venv/bin/python benchmarks/release_build.py --clips 10000
       [--formats all | --formats commonvoice,lhotse,webdataset,parquet] [--storage s3]
(--formats: the extra layouts of the version's default rendition; none: the classic set.)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLE_RATE = 16000
CLIPS_PER_SPEAKER = 20
UPLOAD_THREADS = 8  # clips go to S3 this many at a time
SEED_REPORT_CLIPS = 10000  # a line of progress per this many clips stored
CLIPS_PER_FOLDER = 1000  # clips lie in folders of this many, as ingest spreads them by date
# The throwaway SeaweedFS gets room for the clips and the archive (each about the clips' size)
# with this much to spare, in volumes of this size: its test default holds 3.2 GB in all.
S3_ROOM_FACTOR = 2.5
S3_VOLUME_MB = 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each clip")
    parser.add_argument(
        "--formats", default="", help="extra layouts, comma-separated, or 'all' (default: none)"
    )
    parser.add_argument(
        "--storage", choices=("local", "s3"), default="local", help="where clips and archive lie"
    )
    parser.add_argument(
        "--stale-facts", action="store_true", help="leave the analytics facts to the build"
    )
    parser.add_argument("--build-release", type=int, help=argparse.SUPPRESS)  # the subprocess
    return parser.parse_args(argv)


def extra_formats(value: str) -> list[str]:
    sys.path.insert(0, str(REPO))
    from labelhub.releases.renditions import EXTRA_FORMATS

    return list(EXTRA_FORMATS) if value == "all" else [f for f in value.split(",") if f]


def setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")
    import django

    django.setup()


def tone_wav(frequency: float, seconds: float) -> bytes:
    frames = int(SAMPLE_RATE * seconds)
    samples = (
        int(8000 * math.sin(2 * math.pi * frequency * n / SAMPLE_RATE)) for n in range(frames)
    )
    data = struct.pack(f"<{frames}h", *samples)
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 1,
        SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16, b"data", len(data),
    )  # fmt: skip
    return header + data


def write_clips(names: list[tuple[str, str]], audio_dir: Path, media_root: Path, storage: str):
    """Puts each clip (name, speaker code) where the build reads it: hard links to the
    speaker's tone under MEDIA_ROOT (a file per clip, as in production), or one S3 object each.
    """
    if storage == "local":
        for folder in {(media_root / name).parent for name, _ in names}:
            folder.mkdir()
        for name, code in names:
            os.link(audio_dir / f"{code}.wav", media_root / name)
        return
    import urllib3
    from django.core.files.storage import default_storage

    from labelhub.storage import s3_key, s3_query_signer

    tones = {code: (audio_dir / f"{code}.wav").read_bytes() for code in {c for _, c in names}}
    # One PUT per clip to a URL signed here, sent from a shared urllib3 pool: django-storages'
    # save cost about 90 ms of CPU a clip (a client per thread, a transfer manager's threads)
    # and boto3's put_object several ms, slower as the run went on (29 clips/s at 15,000).
    storage: Any = default_storage
    signer = s3_query_signer(storage)
    http = urllib3.PoolManager(maxsize=UPLOAD_THREADS, retries=urllib3.Retry(total=4))

    def upload(item: tuple[str, str]) -> None:
        key = s3_key(storage, item[0])
        url = signer.object_url(storage.bucket_name, key, expires_seconds=3600, method="PUT")
        response = http.request("PUT", url, body=tones[item[1]], timeout=60)
        if response.status != 200:
            raise SystemExit(f"PUT {key}: HTTP {response.status} {response.data[:200]!r}")

    start = time.perf_counter()
    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        for done, _ in enumerate(pool.map(upload, names), start=1):
            if done % SEED_REPORT_CLIPS == 0:
                rate = done / (time.perf_counter() - start)
                print(f"  {done} clips in the bucket, {rate:.0f} a second", flush=True)


def generate(
    clips: int,
    seconds: float,
    media_root: Path,
    formats: list[str],
    storage: str = "local",
    *,
    stale_facts: bool = False,
) -> int:
    """Rows and files for one campaign of ``clips`` approved clips; returns the release id."""
    from django.utils import timezone

    from labelhub.accounts.models import Organisation, User
    from labelhub.campaigns.demographics import AgeBand, Gender
    from labelhub.campaigns.models import Campaign
    from labelhub.labeling.models import Task, TranscriptRevision
    from labelhub.recordings.models import Recording
    from labelhub.releases.services import release_create
    from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker

    client = Organisation.objects.create(name="Bench client", kind=Organisation.Kind.CLIENT)
    pm = User.objects.create(username="bench-pm", role=User.Role.PM)
    campaign = Campaign.objects.create(name="Bench", client=client, language="ko", created_by=pm)
    document = ConsentDocument.objects.create(
        campaign=campaign, version=1, language="ko", title="Consent", text="I agree."
    )
    bands, genders = list(AgeBand.values), list(Gender.values)[:2]
    count = math.ceil(clips / CLIPS_PER_SPEAKER)
    speakers = Speaker.objects.bulk_create(
        Speaker(
            campaign=campaign,
            code=f"SPK-{index:05d}",
            age_band=bands[index % len(bands)],
            gender=genders[index % 2],
            dialect=["standard", "gyeongsang", "jeolla"][index % 3],
        )
        for index in range(count)
    )
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(speaker=s, document=document, method="web_signature", signed_at=now)
        for s in speakers
    )
    audio_dir = media_root / "bench"
    audio_dir.mkdir(parents=True)
    for index, speaker in enumerate(speakers):
        (audio_dir / f"{speaker.code}.wav").write_bytes(tone_wav(200 + 5 * index, seconds))
    recordings, names = [], []
    for index in range(clips):
        speaker = speakers[index // CLIPS_PER_SPEAKER]
        # One file per clip, as in production (each is read and hashed on its own).
        name = f"bench/{index // CLIPS_PER_FOLDER:04d}/{index:06d}.wav"
        names.append((name, speaker.code))
        recordings.append(
            Recording(
                # A uid from the index, so the same command builds the same archive bytes
                # (archive_sha256 compares two versions of the build code).
                uid=uuid.UUID(int=index + 1),
                campaign=campaign, speaker=speaker, raw_file=name, raw_sha256="0" * 64,
                raw_size_bytes=0, original_filename="take.wav", original_suffix=".wav",
                status=Recording.Status.READY, normalised_file=name, duration_seconds=seconds,
            )
        )  # fmt: skip
    write_clips(names, audio_dir, media_root, storage)
    Recording.objects.bulk_create(recordings, batch_size=2000)
    # Bulk, not labeling.services.revision_append: the benchmark times the build, not the
    # set-up, and its thousands of clips get two revisions each (the draft and the final) with
    # numbers known in advance; one insert and one next-number query a revision would make
    # the set-up the slow part of a run.
    drafts = TranscriptRevision.objects.bulk_create(
        (
            TranscriptRevision(recording=r, number=1, kind="asr_draft", text=f"clip {i} draft")
            for i, r in enumerate(recordings)
        ),
        batch_size=2000,
    )
    TranscriptRevision.objects.bulk_create(
        (
            TranscriptRevision(
                recording=d.recording,
                number=2,
                parent=d,
                kind="labeler_edit",
                text=f"clip {i} final" if i % 4 else f"clip {i} draft",
            )
            for i, d in enumerate(drafts)
        ),
        batch_size=2000,
    )
    Task.objects.bulk_create(
        (Task(recording=r, status=Task.Status.APPROVED) for r in recordings), batch_size=2000
    )
    if not stale_facts:
        # The analytics facts, as the labeling services keep them in production; bulk_create
        # bypassed them, and the build would otherwise pay their one-off backfill
        # (analytics.facts.campaign_facts_ensure), several seconds per 3,000 clips.
        from labelhub.analytics.facts import facts_rebuild

        facts_rebuild(campaign=campaign)
    spec = {"formats": formats}
    return release_create(campaign=campaign, client=client, created_by=pm, spec=spec).pk


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    VmHWM belongs to the process's own address space, which exec replaces; ru_maxrss survives
    fork+exec on Linux, so a child started by a big parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def build_in_this_process(release_id: int) -> dict:
    from labelhub.releases.models import Release
    from labelhub.releases.services import release_build

    before = peak_rss_mb()
    start, cpu_start = time.perf_counter(), time.process_time()
    profile_path = os.environ.get("BENCH_PROFILE")
    if profile_path:
        import cProfile

        with cProfile.Profile() as profiler:
            release = release_build(release_id=release_id)
        profiler.dump_stats(profile_path)
    else:
        release = release_build(release_id=release_id)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if release.status != Release.Status.PUBLISHED:
        raise SystemExit(f"build failed: {release.error}")
    return {
        "clips": release.item_count,
        "wall_s": round(wall, 2),
        # The build's own CPU time: on a shared machine, steadier to compare than the wall's.
        "cpu_s": round(cpu, 2),
        "archive_mb": round(release.archive_size_bytes / 1e6, 1),
        "archive_sha256": release.archive_sha256,
        "rss_before_build_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.build_release is not None:  # the subprocess: build and report
        setup_django()
        from django.db import connections

        connections["default"].settings_dict["NAME"] = os.environ["BENCH_DB_NAME"]
        print(json.dumps(build_in_this_process(args.build_release)))
        return
    media_root = Path(tempfile.mkdtemp(prefix="release-bench-"))
    os.environ["MEDIA_ROOT"] = str(media_root)
    with s3_server(args):
        result = bench(args, media_root)
    result["formats"] = extra_formats(args.formats)
    result["storage"] = args.storage
    result["seconds"] = result["wall_s"]
    result["mb"] = result["archive_mb"]
    result["clips_per_s"] = round(result["clips"] / result["wall_s"], 1)
    result["mb_per_s"] = round(result["archive_mb"] / result["wall_s"], 1)
    print(
        f"{result['clips']} clips in {result['wall_s']} s ({args.storage}): "
        f"{result['clips_per_s']} clips/s, {result['mb_per_s']} MB/s, "
        f"archive {result['archive_mb']} MB, peak RSS {result['peak_rss_mb']} MB "
        f"(after Django start {result['rss_before_build_mb']}), CPU {result['cpu_s']} s"
    )
    print(json.dumps(result))


@contextmanager
def s3_server(args: argparse.Namespace) -> Iterator[None]:
    """With s3: a SeaweedFS for the run, its STORAGE_BACKEND/S3_* in the environment (read by
    the settings, here and in the build's subprocess); with local, nothing."""
    if args.storage != "s3":
        yield
        return
    # Imported here: the local benchmark needs neither the script nor boto3.
    sys.path.insert(0, str(REPO / "scripts"))
    from s3_server import MAX_VOLUMES, SeaweedS3, free_port

    clips_mb = args.clips * (44 + 2 * SAMPLE_RATE * args.seconds) / 2**20
    volumes = max(MAX_VOLUMES, math.ceil(S3_ROOM_FACTOR * clips_mb / S3_VOLUME_MB))
    with (
        tempfile.TemporaryDirectory(prefix="release-bench-s3-") as data_dir,
        SeaweedS3(
            Path(data_dir), free_port(), volume_size_mb=S3_VOLUME_MB, max_volumes=volumes
        ) as server,
    ):
        os.environ.update(server.env())
        yield


def bench(args: argparse.Namespace, media_root: Path) -> dict:
    """Generates the data, builds in a subprocess and returns the subprocess's figures."""
    setup_django()
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(media_root / "bench.sqlite3")
    else:
        # Named after the configured database, so benches against two databases never collide.
        connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench"
    old_name = connection.settings_dict["NAME"]
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        formats = extra_formats(args.formats)
        release_id = generate(
            args.clips, args.seconds, media_root, formats, args.storage,
            stale_facts=args.stale_facts,
        )  # fmt: skip
        print(f"generated {args.clips} clips in {time.perf_counter() - start:.1f} s", flush=True)
        if connection.vendor == "postgresql":
            # Statistics, as autovacuum keeps them in production: right after bulk inserts the
            # planner thinks each table holds a row or so and picks nested loops that make the
            # selection query of 10,000 clips take 20 s instead of 1.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        connection.close()
        child = subprocess.run(
            [sys.executable, __file__, "--build-release", str(release_id)],
            env=os.environ | {"BENCH_DB_NAME": db_name},
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            raise SystemExit(child.stderr[-3000:])
        return json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        subprocess.run(["rm", "-rf", str(media_root)], check=False)


if __name__ == "__main__":
    main()
