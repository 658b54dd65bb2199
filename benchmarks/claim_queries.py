"""SQL queries and time per next-task and submit call, in-process, through the real API views.

Seeds one campaign with a few open tasks and one labeler (a member of it), then claims and
submits through Django's test client and prints, per call, the query count and milliseconds;
with --profile, the top of a cProfile of one claim and one submit. Last line JSON:
  {"claim_queries", "submit_queries", "claim_ms", "submit_ms"}

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lh_claim \\
        .venv/bin/python benchmarks/claim_queries.py --profile
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client

    from benchmarks.claim_latency import cleanup, seed
    from benchmarks.claim_profile import pair

    tag = uuid.uuid4().hex[:8]
    campaign_id, tokens, _ = seed(args.calls + 2, 1, tag)
    client = Client(HTTP_AUTHORIZATION=f"Token {tokens[0]}", HTTP_HOST="127.0.0.1")
    counts: dict[str, list[int]] = {"claim": [], "submit": []}
    times: dict[str, list[float]] = {"claim": [], "submit": []}
    profile = cProfile.Profile()
    try:
        for index in range(args.calls):
            last = index == args.calls - 1
            if args.profile and last:
                profile.enable()
            queries = pair(client, counts, times)
            if args.profile and last:
                profile.disable()
            if args.show_sql and last:
                for sql in queries:
                    print(sql[:150])
        if args.profile:
            order = os.environ.get("PROFILE_SORT", "cumulative")
            stats = pstats.Stats(profile).sort_stats(order)
            stats.print_stats(25)
            if os.environ.get("PROFILE_CALLEES"):
                stats.print_callees(os.environ["PROFILE_CALLEES"])
    finally:
        cleanup(campaign_id, tag)
    summary = {
        "claim_queries": max(counts["claim"]),
        "submit_queries": max(counts["submit"]),
        "claim_ms": round(statistics.median(times["claim"]), 1),
        "submit_ms": round(statistics.median(times["submit"]), 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
