"""The domain queues tasks by name (labelhub.dispatch): every name it sends is a task the worker
registers, a queued task reaches the broker only on commit, and eager mode runs it in place."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from labelhub.dispatch import app, enqueue_on_commit
from labelhub.speakers.models import ConsentAuditEvent, Speaker
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw

LABELHUB = Path(__file__).resolve().parents[2] / "labelhub"
TASK_NAME = re.compile(r"\"(workers\.tasks\.[a-z_]+\.[a-z_]+)\"")


def names_the_domain_sends() -> set[str]:
    return {
        name
        for path in LABELHUB.rglob("*.py")
        for name in TASK_NAME.findall(path.read_text(encoding="utf-8"))
        if path.name != "settings.py"
    }


def test_every_task_the_domain_sends_is_registered_by_the_worker() -> None:
    # A fresh interpreter: only what workers/celery.py loads counts, not what tests imported.
    script = (
        "from workers.celery import app; app.loader.import_default_modules(); "
        "print(' '.join(sorted(app.tasks)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    registered = set(result.stdout.split())
    sent = names_the_domain_sends()

    assert len(sent) >= 6, sent
    assert sent - registered == set(), result.stderr[-2000:]


@pytest.fixture
def queue():
    app.control.purge()
    yield app.control.purge
    app.control.purge()


@pytest.mark.django_db(transaction=True)
def test_a_task_is_sent_on_commit_and_never_for_a_rollback(queue) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("workers.tasks.withdrawal.speaker_audio_delete", 1)
        raise RuntimeError("rolled back")
    assert queue() == 0

    with transaction.atomic():
        enqueue_on_commit("workers.tasks.withdrawal.speaker_audio_delete", 1)
        assert queue() == 0  # not before the commit
    assert queue() == 1


@pytest.mark.django_db
def test_eager_mode_runs_the_task_in_place(
    consented_speaker: Speaker, monkeypatch, queue, django_capture_on_commit_callbacks
) -> None:
    # send_task ignores task_always_eager: dispatch applies the registered task itself.
    monkeypatch.setitem(app.conf, "task_always_eager", True)

    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(speaker=consented_speaker, method=BY_PM)

    assert queue() == 0
    assert ConsentAuditEvent.objects.filter(
        speaker=consented_speaker, action=ConsentAuditEvent.Action.AUDIO_DELETED
    ).exists()
