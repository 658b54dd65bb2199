"""Ingest, segment and draft a generated long-form source in real workers; time the workbench.

A seeded multi-voice conversation (tests/longform_audio.make_source: espeak-ng voices, pauses,
noise, an MP4 with H.264 video and AAC audio) is uploaded through recording_collect into a
throwaway database (DATABASE_URL's test database, created and dropped here) and a temporary
MEDIA_ROOT. Two worker processes do the work as they would in production: one on the default
queue (ingest: decode, normalise, peaks), one on the `asr` queue (VAD, Whisper segmentation and
drafts). A 2-hour source is then ingested alone, for the issue's peak-RSS target. Each worker's
peak RSS is read from /proc/<pid>/status (VmHWM) before it stops, so the figures are the
worker's own, Django and Celery included. Then the workbench open time and zoom frame time of a
2-hour source are measured in Chromium (tests/browser/longform_timing.py).

Usage: DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/<a db nobody else uses> \\
           .venv/bin/python benchmarks/longform.py [--minutes 60] [--skip-browser] [--skip-pipeline]
           [--skip-long-ingest]

The Redis database's Celery queues are purged at the start. The last line printed is one JSON
object: source_seconds, ingest_rtf, draft_rtf, peak_rss_mb (the ingest worker's), open_ms_2h,
zoom_frame_ms and more.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POLL_S = 0.2
WORKER_READY_TIMEOUT_S = 90
BROWSER_SEGMENTS = 40  # spoken segments at the start of the 2-hour source; the rest is silence


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the source")
    parser.add_argument("--skip-browser", action="store_true", help="no Chromium timings")
    parser.add_argument("--skip-pipeline", action="store_true", help="only the Chromium timings")
    parser.add_argument(
        "--skip-long-ingest", action="store_true", help="no 2-hour ingest (the RSS target)"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="give up if the draft takes longer (s)"
    )
    return parser.parse_args(argv)


def setup_django(media_root: Path) -> None:
    sys.path.insert(0, str(REPO))
    os.environ["MEDIA_ROOT"] = str(media_root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")
    import django

    django.setup()


def database_url(name: str) -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{name}"


def start_worker(queue: str, *, db_url: str, media_root: Path, log: Path) -> subprocess.Popen:
    from django.conf import settings

    env = os.environ | {
        "DATABASE_URL": db_url,
        "MEDIA_ROOT": str(media_root),
        "ASR_MODEL_CACHE": str(settings.ASR_MODEL_CACHE),
        "DJANGO_SETTINGS_MODULE": "labelhub.settings",
    }
    command = [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", queue]
    options = ["--pool=solo", "--loglevel=INFO", "--without-heartbeat", "--without-gossip"]
    with log.open("w") as out:
        worker = subprocess.Popen(
            [*command, *options, f"--hostname=bench-{queue}@%h"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
    while " ready." not in log.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the {queue} worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    return worker


def memory_mb(pid: int, field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of a running process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise SystemExit(f"/proc/{pid}/status has no {field}")


def upload(source_path: Path):
    from django.core.files import File

    from labelhub.recordings.services import recording_collect
    from tests.longform_setup import longform_campaign

    campaign, (speaker,) = longform_campaign()
    with source_path.open("rb") as handle:
        return recording_collect(
            speaker=speaker,
            uploaded_file=File(handle, name=source_path.name),
            uploaded_by=campaign.created_by,
        )


def follow(recording_id: int, *, started: float, timeout: float) -> dict:
    """Times when ingest and the draft finish, watching the source's row as the page does."""
    from labelhub.recordings.models import Recording

    ready_at = None
    deadline = started + timeout
    while time.perf_counter() < deadline:
        source = Recording.objects.get(pk=recording_id)
        if source.status == Recording.Status.REJECTED:
            raise SystemExit(f"the source was rejected: {source.rejection_reason}")
        if ready_at is None and source.status == Recording.Status.READY:
            ready_at = time.perf_counter()
        if ready_at is not None and source.asr_status in {"done", "failed"}:
            if source.asr_status == "failed":
                raise SystemExit(f"the draft failed: {source.asr_error}")
            return {"ingest_s": ready_at - started, "draft_s": time.perf_counter() - ready_at}
        time.sleep(POLL_S)
    raise SystemExit(f"not finished after {timeout:.0f} s")


def segment_figures(recording_id: int) -> dict:
    from labelhub.recordings.models import Recording

    spans = Recording.objects.filter(
        source_id=recording_id, kind=Recording.Kind.SEGMENT, status=Recording.Status.READY
    ).values_list("start_seconds", "end_seconds")
    lengths = sorted(end - start for start, end in spans)
    if not lengths:
        raise SystemExit("the source was drafted but has no segments")
    return {
        "segments": len(lengths),
        "segment_min_s": round(lengths[0], 2),
        "segment_median_s": round(lengths[len(lengths) // 2], 2),
        "segment_max_s": round(lengths[-1], 2),
    }


def measure_pipeline(args: argparse.Namespace, media_root: Path, logs: Path) -> dict:
    from django.db import connection

    from tests.longform_audio import make_source
    from workers.celery import app

    began = time.perf_counter()
    generated = make_source(logs / "source.mp4", minutes=args.minutes)
    print(f"source: {generated.seconds:.0f} s ({time.perf_counter() - began:.0f} s to make)")
    app.control.purge()  # left-over messages would name rows of another database
    db_url = database_url(connection.settings_dict["NAME"])
    ingest = start_worker("celery", db_url=db_url, media_root=media_root, log=logs / "ingest.log")
    asr = start_worker("asr", db_url=db_url, media_root=media_root, log=logs / "asr.log")
    try:
        idle_mb = memory_mb(ingest.pid, "VmRSS")
        started = time.perf_counter()
        recording = upload(generated.path)
        upload_s = time.perf_counter() - started
        times = follow(recording.pk, started=started, timeout=args.timeout)
        result = {
            "source_seconds": round(generated.seconds, 1),
            "upload_s": round(upload_s, 2),
            **{key: round(value, 1) for key, value in times.items()},
            "peak_rss_mb": memory_mb(ingest.pid, "VmHWM"),
            "ingest_worker_idle_rss_mb": idle_mb,
            "draft_peak_rss_mb": memory_mb(asr.pid, "VmHWM"),
            **segment_figures(recording.pk),
        }
    finally:
        for worker in (ingest, asr):
            worker.terminate()
            worker.wait(timeout=60)
    result["wall_s"] = round(result["ingest_s"] + result["draft_s"], 1)
    result["ingest_rtf"] = round(result["ingest_s"] / generated.seconds, 4)
    result["draft_rtf"] = round(result["draft_s"] / generated.seconds, 4)
    result["segments_per_source_minute"] = round(result["segments"] / (generated.seconds / 60), 1)
    result["segments_per_minute"] = round(result["segments"] / (result["draft_s"] / 60), 1)
    return result


def measure_long_ingest(hours: float, media_root: Path, logs: Path) -> dict:
    """Ingest alone (no ASR worker) of a `hours`-long source: the issue's 300 MB RSS target."""
    from django.db import connection

    from labelhub.recordings.models import Recording
    from tests.longform_audio import make_source
    from workers.celery import app

    began = time.perf_counter()
    generated = make_source(logs / "long.mp4", minutes=hours * 60)
    print(f"long source: {generated.seconds:.0f} s ({time.perf_counter() - began:.0f} s to make)")
    app.control.purge()
    db_url = database_url(connection.settings_dict["NAME"])
    log = logs / "long-ingest.log"
    ingest = start_worker("celery", db_url=db_url, media_root=media_root, log=log)
    try:
        started = time.perf_counter()
        recording = upload(generated.path)
        while Recording.objects.get(pk=recording.pk).status == Recording.Status.RECEIVED:
            if time.perf_counter() - started > 1800:
                raise SystemExit("the long ingest did not finish in 30 minutes")
            time.sleep(POLL_S)
        source = Recording.objects.get(pk=recording.pk)
        if source.status != Recording.Status.READY:
            raise SystemExit(f"the long source was rejected: {source.rejection_reason}")
        wall = time.perf_counter() - started
        peak = memory_mb(ingest.pid, "VmHWM")
    finally:
        ingest.terminate()
        ingest.wait(timeout=60)
        app.control.purge()  # its draft was queued for an ASR worker that never ran
    key = f"{hours:g}h"
    print(f"ingest of {generated.seconds:.0f} s: {wall:.1f} s, peak RSS {peak} MB")
    return {f"ingest_{key}_s": round(wall, 1), f"ingest_{key}_peak_rss_mb": peak}


def measure_browser(hours: float = 2.0) -> dict:
    """Workbench open time and zoom frame time for a `hours`-long source, in Chromium.

    The source is the segment tests' (tests/labeling/segment_helpers.py: a real 16 kHz WAV with
    spoken spans and peaks), served by Django's threaded live server in this process, as the
    browser tests do. The page is opened twice: the second time (warm server, warm browser) is
    the figure; the first is printed beside it.
    """
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import sync_playwright
    from pytest_django.live_server_helper import LiveServer

    from labelhub.accounts.models import User
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.longform_timing import measure_workbench
    from tests.factories import UserFactory
    from tests.labeling.segment_helpers import make_source_with_segments
    from tests.longform_setup import longform_campaign

    campaign, _speakers = longform_campaign()
    spans = [(5.0 + 10 * i, 13.0 + 10 * i) for i in range(BROWSER_SEGMENTS)]
    make_source_with_segments(campaign=campaign, spans=spans, duration=hours * 3600)
    labeler = UserFactory(role=User.Role.LABELER)
    session = Client()
    session.force_login(labeler)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop lives in this thread
    server = LiveServer("localhost")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(locale="en-US")
            cookie_row = {"name": settings.SESSION_COOKIE_NAME, "value": cookie}
            context.add_cookies([cookie_row | {"url": server.url}])
            page = context.new_page()
            cold = measure_workbench(page, server.url)
            warm = measure_workbench(page, server.url)
            browser.close()
    finally:
        server.stop()
    if abs(warm["duration_seconds"] - hours * 3600) > 1:  # the page opened another source
        raise SystemExit(f"the workbench opened a {warm['duration_seconds']} s source")
    print(
        f"workbench, {warm['duration_seconds']:.0f} s source: open {warm['open_ms']} ms warm "
        f"({cold['open_ms']} ms cold), zoom frame worst {warm['zoom_frame_ms']} ms, median "
        f"{warm['zoom_frame_median_ms']} ms over {warm['zoom_frames']} frames "
        f"({warm['zoom_widest_view_seconds']} s to {warm['zoom_narrowest_view_seconds']} s view)"
    )
    return {
        "open_ms_2h": warm["open_ms"],
        "open_ms_2h_cold": cold["open_ms"],
        "zoom_frame_ms": warm["zoom_frame_ms"],
        "zoom_frame_median_ms": warm["zoom_frame_median_ms"],
        "workbench_source_seconds": warm["duration_seconds"],
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    media_root = Path(tempfile.mkdtemp(prefix="longform-bench-"))
    setup_django(media_root)
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("point DATABASE_URL at PostgreSQL: the workers share the database")
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_longbench"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        result = {"open_ms_2h": None, "zoom_frame_ms": None}
        # The browser first: its labeler must claim the 2-hour source's segments, not the open
        # segments the pipeline leaves behind.
        if not args.skip_browser:
            result |= measure_browser()
        if not args.skip_pipeline:
            result |= measure_pipeline(args, media_root, media_root)
        if not args.skip_pipeline and not args.skip_long_ingest:
            result |= measure_long_ingest(2.0, media_root, media_root)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        subprocess.run(["rm", "-rf", str(media_root)], check=False)
    if not args.skip_pipeline:
        print_pipeline(result)
    print(json.dumps(result))


def print_pipeline(result: dict) -> None:
    print(
        f"{result['source_seconds']:.0f} s source in {result['wall_s']} s: "
        f"ingest {result['ingest_s']} s "
        f"(RTF {result['ingest_rtf']}), segmentation and draft {result['draft_s']} s "
        f"(RTF {result['draft_rtf']}), {result['segments']} segments "
        f"({result['segments_per_minute']} per minute of work, "
        f"{result['segments_per_source_minute']} per minute of audio; "
        f"{result['segment_min_s']}-{result['segment_max_s']} s)"
    )
    print(
        f"peak RSS: ingest worker {result['peak_rss_mb']} MB "
        f"(idle {result['ingest_worker_idle_rss_mb']} MB), ASR worker "
        f"{result['draft_peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()
