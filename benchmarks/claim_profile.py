"""Where a claim and a submit spend the server's CPU, in-process, through the full request stack.

Creates and migrates DATABASE_URL's database when needed, seeds one campaign of open tasks
and one labeler with a token, then runs --calls claim+submit pairs through Django's test client
(every middleware, DRF, the views and the SQL) twice: once timed, once under cProfile; five
pairs before them count the queries. Prints the top functions by own time and by cumulative
time, the share of time per package (django, rest_framework, psycopg, labelhub, ...), the SQL
of one pair, and the CPU of the PostgreSQL backend that served the timed pass. Last line JSON:
  {"calls", "claim_ms", "submit_ms", "pair_ms", "cpu_ms_per_pair", "db_cpu_ms_per_pair",
   "claim_queries",
   "submit_queries", "profiled_ms_per_pair", "python_calls_per_pair", "package_share"}

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lh_claim \\
        .venv/bin/python benchmarks/claim_profile.py --calls 200
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")

PACKAGES = ("labelhub", "rest_framework", "django", "psycopg", "whitenoise", "drf_spectacular")


def package_of(filename: str) -> str:
    """The top-level package a profiled function lives in ("python" for the standard library)."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    parts = Path(filename).parts
    for name in PACKAGES:
        if name in parts:
            return name
    return "other" if "site-packages" in parts else "python"


def backend_cpu_seconds() -> float:
    """CPU this process's PostgreSQL backend has used (it runs on this machine)."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pair(
    client, counts: dict[str, list[int]], times: dict[str, list[float]], *, capture: bool = True
) -> list[str]:
    """One claim and the submit of what it handed out, timed; with `capture`, its queries are
    counted too and their SQL returned. Capturing costs CPU of its own (the SQL is written out
    with its values), so the timed and profiled passes run without it."""
    from contextlib import nullcontext

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    claim_sql = CaptureQueriesContext(connection) if capture else nullcontext()
    with claim_sql:
        began = time.perf_counter()
        response = client.post("/api/tasks/claim/")
        times["claim"].append((time.perf_counter() - began) * 1000)
    assert response.status_code == 200, response.content
    task = response.json()
    submit_sql = CaptureQueriesContext(connection) if capture else nullcontext()
    with submit_sql:
        began = time.perf_counter()
        response = client.post(
            f"/api/tasks/{task['id']}/submit/",
            {"text": "benchmark transcript", "base_revision": task["base_revision"]},
            content_type="application/json",
        )
        times["submit"].append((time.perf_counter() - began) * 1000)
    assert response.status_code == 201, response.content
    if not capture:
        return []
    counts["claim"].append(len(claim_sql.captured_queries))
    counts["submit"].append(len(submit_sql.captured_queries))
    return [q["sql"] for q in (*claim_sql.captured_queries, *submit_sql.captured_queries)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="claim+submit pairs per pass")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client

    from benchmarks.claim_latency import cleanup, database_ready, seed

    database_ready()
    tag = uuid.uuid4().hex[:8]
    campaign_id, tokens, _ = seed(2 * args.calls + 5, 1, tag)
    client = Client(HTTP_AUTHORIZATION=f"Token {tokens[0]}", HTTP_HOST="127.0.0.1")
    counts: dict[str, list[int]] = {"claim": [], "submit": []}
    times: dict[str, list[float]] = {"claim": [], "submit": []}
    profile = cProfile.Profile()
    try:
        for _ in range(5):  # warm imports, URL caches and the connection; count the queries
            last_sql = pair(client, counts, {"claim": [], "submit": []})
        cpu_began, db_began = time.process_time(), backend_cpu_seconds()
        for _ in range(args.calls):
            pair(client, counts, times, capture=False)
        # This process's CPU, not the wall clock: other work on the machine does not count.
        cpu = (time.process_time() - cpu_began) * 1000 / args.calls
        db_cpu = (backend_cpu_seconds() - db_began) * 1000 / args.calls
        began = time.perf_counter()
        profile.enable()
        for _ in range(args.calls):
            pair(client, counts, {"claim": [], "submit": []}, capture=False)
        profile.disable()
        profiled = (time.perf_counter() - began) * 1000 / args.calls
    finally:
        cleanup(campaign_id, tag)

    stats = pstats.Stats(profile)
    for order in ("tottime", "cumulative"):
        print(f"--- top {args.top} by {order} ---")
        stats.sort_stats(order).print_stats(args.top)
    own: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        own[package_of(filename)] += tottime
    total = sum(own.values()) or 1.0
    share = {
        name: round(seconds / total, 3)
        for name, seconds in sorted(own.items(), key=lambda kv: -kv[1])
    }
    print("own time by package:", ", ".join(f"{name} {value:.1%}" for name, value in share.items()))
    print("SQL of one claim + submit:")
    for sql in last_sql:
        print("  ", " ".join(sql.split())[:160])
    summary = {
        "calls": args.calls,
        "claim_ms": round(statistics.median(times["claim"]), 2),
        "submit_ms": round(statistics.median(times["submit"]), 2),
        "pair_ms": round(
            statistics.median(c + s for c, s in zip(times["claim"], times["submit"], strict=True)),
            2,
        ),
        "cpu_ms_per_pair": round(cpu, 2),
        "db_cpu_ms_per_pair": round(db_cpu, 2),
        "claim_queries": max(counts["claim"]),
        "submit_queries": max(counts["submit"]),
        "profiled_ms_per_pair": round(profiled, 2),
        # Python function calls a pair makes: the same on a busy machine as on an idle one.
        "python_calls_per_pair": round(stats.total_calls / args.calls),  # type: ignore[attr-defined]
        "package_share": share,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
