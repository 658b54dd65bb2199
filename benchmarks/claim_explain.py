"""EXPLAIN (ANALYZE, BUFFERS) of the claim's queue query, for one labeler of a small campaign.

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
    from django.db import transaction
    from django.utils import timezone

    from benchmarks.claim_latency import cleanup, seed
    from labelhub.accounts.models import User
    from labelhub.labeling import services
    from labelhub.labeling.models import Task

    tag = uuid.uuid4().hex[:8]
    campaign_id, _, _ = seed(args.tasks, 1, tag)
    try:
        labeler = User.objects.get(username=f"bench-{tag}-0")
        now = timezone.now()
        scope = services.in_campaigns_listed(labeler)
        condition = services._claimable(now, scope) & services._not_reserved_for_another(
            labeler, now
        )
        queue = (
            Task.objects.order_by("-priority", "created_at")
            .select_for_update(skip_locked=True)
            .filter(condition)[:5]
        )
        with transaction.atomic():
            print(queue.explain(analyze=True, buffers=True))
    finally:
        cleanup(campaign_id, tag)


if __name__ == "__main__":
    main()
