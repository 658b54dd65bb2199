"""Labelers claiming runs of one source at once on PostgreSQL: no segment held twice, each run
consecutive, none lost."""

import threading

import pytest
from django.db import connection, connections

from labelhub.labeling.models import Task
from labelhub.labeling.services import task_claim_next
from tests.labeling.helpers import labeler_user
from tests.labeling.segment_helpers import add_segment, make_source

THREADS = 8
SEGMENTS = 60


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_lease_disjoint_consecutive_runs(settings) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are what this test is about")
    settings.LONGFORM_CLAIM_SEGMENTS = 5
    source = make_source(duration=SEGMENTS + 1.0)
    segments = [add_segment(source, i + 0.1, i + 0.9) for i in range(SEGMENTS)]
    order = {segment.pk: index for index, segment in enumerate(segments)}
    labelers = [labeler_user() for _ in range(THREADS)]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(labeler) -> None:
        try:
            start.wait()
            task_claim_next(labeler=labeler)
        except BaseException as error:  # reported by the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(labeler,)) for labeler in labelers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    held = list(Task.objects.filter(assignee__isnull=False).values_list("recording_id", "assignee"))
    assert len(held) == len({recording for recording, _ in held})  # nobody shares a segment
    for labeler in labelers:
        mine = sorted(order[r] for r, who in held if who == labeler.pk)
        assert mine, f"{labeler} got nothing although {SEGMENTS} segments were open"
        assert mine == list(range(mine[0], mine[0] + len(mine))), mine  # one consecutive run
        assert len(mine) <= 5
