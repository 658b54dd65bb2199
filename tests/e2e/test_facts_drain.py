"""A real Celery worker drains the stale-fact marks that a burst of submits left."""

import time

import pytest

from labelhub.analytics.models import ClipFact, StaleClipFact
from labelhub.labeling.services import task_claim_next, task_submit
from tests.e2e.conftest import StartWorker
from tests.factories import CampaignFactory
from tests.labeling.helpers import labeler_user, task_with_draft

pytestmark = pytest.mark.e2e


def test_a_worker_writes_the_facts_of_a_burst_of_submits(start_worker: StartWorker) -> None:
    campaign = CampaignFactory(language="en", review_share=0.0)
    labeler = labeler_user()
    tasks = [task_with_draft(campaign=campaign, text=f"clip {n}") for n in range(8)]
    start_worker(ASR_ENGINE="none")

    for task, draft in tasks:  # each commits: a mark, and one drain queued for the burst
        task_claim_next(labeler=labeler)
        task_submit(task_id=task.pk, labeler=labeler, text="edited", base_revision_id=draft.pk)

    recordings = [task.recording_id for task, _draft in tasks]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        labeled = ClipFact.objects.filter(recording_id__in=recordings, labeled=True).count()
        if labeled == len(recordings) and not StaleClipFact.objects.exists():
            return
        time.sleep(0.2)
    pytest.fail(f"{labeled} of {len(recordings)} facts written; marks left: "
                f"{StaleClipFact.objects.count()}")  # fmt: skip
