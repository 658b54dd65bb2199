"""Next-task and submit latency under many labelers at once, over HTTP, on PostgreSQL.

Seeds N open tasks, then runs L simulated labelers (threads, each a requests session with its own
API token) doing claim -> submit until the queue is empty. Prints p50/p95 of both calls and, as
its last line, one JSON object:
  {"next_p50_ms", "next_p95_ms", "submit_p50_ms", "submit_p95_ms", "double_claims", "lost", ...}

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/labelhub_bench \\
        .venv/bin/python benchmarks/claim_latency.py --start --tasks 500 --labelers 50

--start migrates the database and runs gunicorn on it for the duration of the run; without it,
--url points at a server already running against the same DATABASE_URL (the script seeds and
counts through the ORM). The seeded campaign, tasks and users are deleted afterwards.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def seed(tasks: int, labelers: int, tag: str) -> tuple[int, list[str], set[int]]:
    from rest_framework.authtoken.models import Token

    from labelhub.accounts.models import Organisation, User
    from labelhub.campaigns.models import Campaign
    from labelhub.labeling.models import Task
    from labelhub.recordings.models import Recording
    from labelhub.speakers.models import Speaker

    client = Organisation.objects.create(name=f"bench-{tag}", kind=Organisation.Kind.CLIENT)
    pm = User.objects.create(username=f"bench-{tag}-pm", role=User.Role.PM)
    campaign = Campaign.objects.create(
        name=f"bench-{tag}", client=client, language="en", created_by=pm
    )
    speaker = Speaker.objects.create(campaign=campaign, code=f"BENCH-{tag}")
    recordings = Recording.objects.bulk_create(
        Recording(
            campaign=campaign,
            speaker=speaker,
            raw_file=f"raw/bench/{tag}-{index}.wav",
            raw_sha256="0" * 64,
            raw_size_bytes=1,
            original_filename="bench.wav",
            original_suffix=".wav",
            status=Recording.Status.READY,
            duration_seconds=5.0,
        )
        for index in range(tasks)
    )
    seeded = Task.objects.bulk_create(Task(recording=recording) for recording in recordings)
    tokens = []
    for index in range(labelers):
        user = User.objects.create(username=f"bench-{tag}-{index}", role=User.Role.LABELER)
        tokens.append(Token.objects.create(user=user).key)
    return campaign.pk, tokens, {task.pk for task in seeded}


def cleanup(campaign_id: int, tag: str) -> None:
    from labelhub.accounts.models import Organisation, User
    from labelhub.campaigns.models import Campaign
    from labelhub.labeling.models import Task, TranscriptRevision
    from labelhub.recordings.models import Recording
    from labelhub.speakers.models import Speaker

    TranscriptRevision.objects.filter(recording__campaign_id=campaign_id).delete()
    Task.objects.filter(recording__campaign_id=campaign_id).delete()
    Recording.objects.filter(campaign_id=campaign_id).delete()
    Speaker.objects.filter(campaign_id=campaign_id).delete()
    Campaign.objects.filter(pk=campaign_id).delete()
    User.objects.filter(username__startswith=f"bench-{tag}-").delete()
    Organisation.objects.filter(name=f"bench-{tag}").delete()


def labeler(base: str, token: str, results: dict, start: threading.Barrier, think: float) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    claims, submits, claimed, errors = [], [], [], []
    start.wait()
    time.sleep(think * random.random())  # people do not all sit down at the same instant
    while True:
        began = time.perf_counter()
        response = session.post(f"{base}/api/tasks/claim/", timeout=30)
        claims.append((time.perf_counter() - began) * 1000)
        if response.status_code == 204:
            break
        if response.status_code != 200:
            errors.append(f"claim {response.status_code}")
            break
        task = response.json()
        claimed.append(task["id"])
        # A person listening and typing, some faster than others; 0 asks as fast as it can.
        time.sleep(think * random.uniform(0.5, 1.5))
        began = time.perf_counter()
        response = session.post(
            f"{base}/api/tasks/{task['id']}/submit/",
            json={"text": "benchmark transcript", "base_revision": task["base_revision"]},
            timeout=30,
        )
        submits.append((time.perf_counter() - began) * 1000)
        if response.status_code != 201:
            errors.append(f"submit {response.status_code}: {response.text[:200]}")
            break
    results[token] = {"claims": claims, "submits": submits, "claimed": claimed, "errors": errors}


def start_server(port: int, workers: int) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True
    )
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60")}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "labelhub.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "8",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(60):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not answer /healthz within a minute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server")
    parser.add_argument("--start", action="store_true", help="migrate and start gunicorn here")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers with --start")
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--labelers", type=int, default=50)
    parser.add_argument(
        "--think-ms", type=int, default=0, help="pause between claim and submit (default none)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("point DATABASE_URL at PostgreSQL: SKIP LOCKED is what this measures")
    server = start_server(args.port, args.workers) if args.start else None
    base = f"http://127.0.0.1:{args.port}" if server else args.url.rstrip("/")
    tag = uuid.uuid4().hex[:8]
    print(f"seeding {args.tasks} tasks and {args.labelers} labelers; server {base}", flush=True)
    campaign_id = None
    try:
        campaign_id, tokens, seeded = seed(args.tasks, args.labelers, tag)
        for token in tokens[:3]:  # warm each server process's imports and connections
            requests.get(
                f"{base}/api/workbench/stats/", headers={"Authorization": f"Token {token}"}
            )
        results: dict = {}
        barrier = threading.Barrier(len(tokens))
        threads = [
            threading.Thread(
                target=labeler, args=(base, token, results, barrier, args.think_ms / 1000)
            )
            for token in tokens
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began

        from labelhub.labeling.models import Task

        claims = [ms for r in results.values() for ms in r["claims"]]
        submits = [ms for r in results.values() for ms in r["submits"]]
        holders = Counter(pk for r in results.values() for pk in set(r["claimed"]))
        done = set(
            Task.objects.filter(pk__in=seeded)
            .exclude(status=Task.Status.OPEN)
            .values_list("pk", flat=True)
        )
        errors = [e for r in results.values() for e in r["errors"]]
    finally:
        if campaign_id is not None:
            cleanup(campaign_id, tag)
        if server:
            server.terminate()
            server.wait(timeout=10)

    summary = {
        "tasks": args.tasks,
        "labelers": args.labelers,
        "think_ms": args.think_ms,
        "server": f"gunicorn {args.workers} workers x 8 threads" if server else base,
        "wall_seconds": round(wall, 2),
        "next_requests": len(claims),
        "next_p50_ms": round(percentile(claims, 0.5), 1),
        "next_p95_ms": round(percentile(claims, 0.95), 1),
        "next_mean_ms": round(statistics.fmean(claims), 1) if claims else None,
        "submit_p50_ms": round(percentile(submits, 0.5), 1),
        "submit_p95_ms": round(percentile(submits, 0.95), 1),
        "double_claims": sum(1 for count in holders.values() if count > 1),
        "lost": len(seeded - done),
        "errors": len(errors),
    }
    print(f"{summary['next_requests']} next-task calls, {len(submits)} submits in {wall:.1f} s")
    print(f"next-task p50 {summary['next_p50_ms']} ms, p95 {summary['next_p95_ms']} ms")
    print(f"submit    p50 {summary['submit_p50_ms']} ms, p95 {summary['submit_p95_ms']} ms")
    for error in errors[:5]:
        print("error:", error)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
