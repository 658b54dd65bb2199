"""Next-task and submit latency under many labelers at once, over HTTP, on PostgreSQL.

Seeds N open tasks, then runs L simulated labelers (threads, each a requests session with its own
API token) doing claim -> submit until the queue is empty. Prints p50/p95 of both calls and, as
its last line, one JSON object:
  {"next_p50_ms", "next_p95_ms", "submit_p50_ms", "submit_p95_ms", "double_claims", "lost", ...}

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/labelhub_bench \\
        .venv/bin/python benchmarks/claim_latency.py --start --tasks 500 --labelers 50

--start creates the database when it is missing, migrates it and runs gunicorn on it (with
gunicorn.conf.py) for the duration of the run; without it, --url points at a server already
running against the same DATABASE_URL (the script seeds and counts through the ORM). The
labelers are members of the seeded campaign; the campaign, its tasks and users are deleted
afterwards. --seed-tasks N adds N background tasks over 200 other campaigns first (see
claim_seed.py); --keep-seed leaves them for the next run, which then seeds only what is missing.
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
        (
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
        ),
        batch_size=5000,
    )
    seeded = Task.objects.bulk_create(
        (Task(recording=recording) for recording in recordings), batch_size=5000
    )
    tokens = []
    for index in range(labelers):
        user = User.objects.create(username=f"bench-{tag}-{index}", role=User.Role.LABELER)
        campaign.labelers.add(user)
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


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far, from /proc (Linux)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(server: subprocess.Popen | None) -> list[int]:
    """gunicorn's master and workers, and the PostgreSQL backends serving this database."""
    from django.db import connection

    pids = []
    if server is not None:
        pids.append(server.pid)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids += [row[0] for row in cursor.fetchall()]
    return pids


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


def database_create_if_missing() -> None:
    """CREATE DATABASE for DATABASE_URL's name, connecting to the server's "postgres" db."""
    from django.db import connection

    settings = connection.settings_dict
    import psycopg
    from psycopg import sql

    params = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["NAME"])))
            print(f"created database {settings['NAME']}", flush=True)


def start_server(port: int, config: list[str]) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60")}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "labelhub.wsgi",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *config,
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


def background_seed(tasks: int) -> None:
    from benchmarks.claim_seed import background_count, cleanup_background, seed_background

    have = background_count()
    if have >= tasks:
        print(f"background: {have:,} tasks already seeded (--keep-seed)", flush=True)
        return
    if have:
        cleanup_background()  # a different size asked for: start again rather than mix
    print(f"seeding {tasks:,} background tasks over 200 campaigns", flush=True)
    seed_background(tasks)


def database_ready() -> None:
    """DATABASE_URL's database, created when missing and migrated."""
    database_create_if_missing()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server")
    parser.add_argument("--start", action="store_true", help="migrate and start gunicorn here")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers with --start (default gunicorn.conf.py's)"
    )
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker with --start")
    parser.add_argument("--worker-class", help="gunicorn worker class with --start")
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--labelers", type=int, default=50)
    parser.add_argument(
        "--think-ms", type=int, default=0, help="pause between claim and submit (default none)"
    )
    parser.add_argument("--seed-tasks", type=int, default=0, help="background tasks to add")
    parser.add_argument(
        "--keep-seed", action="store_true", help="leave the background tasks for the next run"
    )
    args = parser.parse_args()
    summary = run(args)
    print(f"{summary['next_requests']} next-task calls in {summary['wall_seconds']} s, "
          f"{summary['requests_per_s']} requests/s")  # fmt: skip
    print(f"next-task p50 {summary['next_p50_ms']} ms, p95 {summary['next_p95_ms']} ms")
    print(f"submit    p50 {summary['submit_p50_ms']} ms, p95 {summary['submit_p95_ms']} ms")
    print(f"load generator CPU {summary['client_cpu_share']:.0%} of the machine's")
    print(f"server (gunicorn + PostgreSQL) CPU {summary['server_cpu_ms_per_request']} ms a request")
    print(json.dumps(summary))


def server_flags(args: argparse.Namespace) -> list[str]:
    flags = []
    for name in ("workers", "threads", "worker_class"):
        value = getattr(args, name)
        if value is not None:
            flags += [f"--{name.replace('_', '-')}", str(value)]
    return flags


def run(args: argparse.Namespace) -> dict:
    """Seeds, runs the labelers and returns the summary (benchmarks/scale.py calls this)."""

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("point DATABASE_URL at PostgreSQL: SKIP LOCKED is what this measures")
    if args.start:
        database_ready()
    if args.seed_tasks:
        background_seed(args.seed_tasks)
    server = start_server(args.port, server_flags(args)) if args.start else None
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
        pids = server_pids(server)
        began, cpu_began, server_began = time.perf_counter(), time.process_time(), cpu_seconds(pids)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        # The labelers run on the same cores as the server: what they take is not the server's.
        client_cpu = time.process_time() - cpu_began
        # What the server side spent per request, whatever else the machine was doing: the
        # figure that says how many requests/s two idle cores would serve.
        server_cpu = cpu_seconds(pids) - server_began

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
        if args.seed_tasks and not args.keep_seed:
            from benchmarks.claim_seed import cleanup_background

            cleanup_background()
        if server:
            server.terminate()
            server.wait(timeout=10)

    requests_made = len(claims) + len(submits)
    return {
        "tasks": args.tasks + args.seed_tasks,
        "open_tasks": args.tasks,
        "background_tasks": args.seed_tasks,
        "labelers": args.labelers,
        "think_ms": args.think_ms,
        "server": "gunicorn " + (" ".join(server_flags(args)) or "gunicorn.conf.py")
        if server
        else base,
        "wall_seconds": round(wall, 2),
        "next_requests": len(claims),
        "requests_per_s": round(requests_made / wall, 1),
        "next_p50_ms": round(percentile(claims, 0.5), 1),
        "next_p95_ms": round(percentile(claims, 0.95), 1),
        "next_mean_ms": round(statistics.fmean(claims), 1) if claims else None,
        "submit_p50_ms": round(percentile(submits, 0.5), 1),
        "submit_p95_ms": round(percentile(submits, 0.95), 1),
        "double_claims": sum(1 for count in holders.values() if count > 1),
        "lost": len(seeded - done),
        "errors": len(errors),
        "error_samples": errors[:5],
        "client_cpu_seconds": round(client_cpu, 1),
        "client_cpu_share": round(client_cpu / (wall * (os.cpu_count() or 1)), 3),
        "server_cpu_seconds": round(server_cpu, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, requests_made), 1),
    }


if __name__ == "__main__":
    main()
