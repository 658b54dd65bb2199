"""Many labelers claiming at once on PostgreSQL: no task is handed out twice, none is lost."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from labelhub.accounts.models import User
from labelhub.labeling.models import Task
from labelhub.labeling.review import review_claim_next, review_decide
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.recordings.models import Recording
from tests.factories import SpeakerFactory, UserFactory

THREADS = 50
TASKS = 500


def make_tasks(count: int) -> None:
    speaker = SpeakerFactory()
    recordings = Recording.objects.bulk_create(
        Recording(
            campaign=speaker.campaign,
            speaker=speaker,
            raw_file=f"raw/{index}.wav",
            raw_sha256="0" * 64,
            raw_size_bytes=1,
            original_filename="x.wav",
            original_suffix=".wav",
            status=Recording.Status.READY,
        )
        for index in range(count)
    )
    Task.objects.bulk_create(Task(recording=recording) for recording in recordings)


@pytest.mark.django_db(transaction=True)
def test_fifty_labelers_drain_five_hundred_tasks_without_a_double_claim() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are what this test is about")
    make_tasks(TASKS)
    labelers = [UserFactory(role=User.Role.LABELER) for _ in range(THREADS)]
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(labeler: User) -> None:
        try:
            start.wait()
            while (task := task_claim_next(labeler=labeler)) is not None:
                with lock:
                    claimed.append(task.pk)
                task_submit(task_id=task.pk, labeler=labeler, text="done", base_revision_id=None)
        except BaseException as error:  # reported by the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(labeler,)) for labeler in labelers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert [pk for pk, n in Counter(claimed).items() if n > 1] == []  # no double claims
    assert len(claimed) == TASKS  # none lost
    assert Task.objects.filter(status=Task.Status.SUBMITTED).count() == TASKS


@pytest.mark.django_db(transaction=True)
def test_twenty_reviewers_drain_two_hundred_submissions_without_a_double_claim() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are what this test is about")
    make_tasks(200)
    author = UserFactory(role=User.Role.LABELER)
    Task.objects.update(status=Task.Status.SUBMITTED, labeler=author)
    reviewers = [UserFactory(role=User.Role.REVIEWER) for _ in range(20)]
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(reviewers))

    def work(reviewer: User) -> None:
        try:
            start.wait()
            while (task := review_claim_next(reviewer=reviewer)) is not None:
                with lock:
                    claimed.append(task.pk)
                review_decide(
                    task_id=task.pk,
                    reviewer=reviewer,
                    decision="approve",
                    text="done",
                    base_revision_id=None,
                )
        except BaseException as error:  # reported by the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(reviewer,)) for reviewer in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert [pk for pk, n in Counter(claimed).items() if n > 1] == []
    assert len(claimed) == 200
    assert Task.objects.filter(status=Task.Status.APPROVED).count() == 200
