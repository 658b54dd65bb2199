"""EXPLAIN (ANALYZE, BUFFERS) of the claim's lease statement, for one labeler of a small campaign.

The statement is claim_sql.lease_next's (returned, open and double queues, the lease and the
joined read), run in a transaction that is rolled back, so nothing stays leased.

Run against a database seeded with background tasks (claim_latency.py --seed-tasks N
--keep-seed) to see whether the plan finds the campaign's tasks by index or scans the queue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lh_claim .venv/bin/python \\
        benchmarks/claim_explain.py --tasks 500
"""

import argparse
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    args = parser.parse_args()

    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.claim_latency import cleanup, seed
    from labelhub.accounts.models import User
    from labelhub.labeling import claim_sql

    tag = uuid.uuid4().hex[:8]
    campaign_id, _, _ = seed(args.tasks, 1, tag)
    try:
        labeler = User.objects.get(username=f"bench-{tag}-0")
        now = timezone.now()
        standing = claim_sql.standing(user=labeler, now=now)
        sql, params = claim_sql.lease_statement(
            user=labeler,
            now=now,
            until=now + timedelta(minutes=30),
            reserved_before=now - timedelta(hours=24),
            campaign_ids=standing.campaign_ids,
            queues=("returned", "open", "double"),
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print("\n".join(line for (line,) in cursor.fetchall()))
            transaction.set_rollback(True)
    finally:
        cleanup(campaign_id, tag)


if __name__ == "__main__":
    main()
