"""Small builders shared by the labeling tests."""

from labelhub.accounts.models import User
from labelhub.labeling.services import task_claim_next, task_submit
from tests.factories import CampaignFactory, RevisionFactory, TaskFactory, UserFactory


def campaign(**fields):
    return CampaignFactory(**fields)


def task_with_draft(*, campaign=None, text: str = "turn on the tv", **task_fields):
    draft = RevisionFactory(
        text=text,
        **({"recording__speaker__campaign": campaign} if campaign is not None else {}),
        segments=[
            {
                "start": 0.0,
                "end": 1.2,
                "text": text,
                "words": [{"start": 0.0, "end": 0.4, "text": "turn", "probability": 0.42}],
            }
        ],
    )
    return TaskFactory(recording=draft.recording, **task_fields), draft


def labeler_user(**fields) -> User:
    return UserFactory(role=User.Role.LABELER, **fields)


def reviewer_user(**fields) -> User:
    return UserFactory(role=User.Role.REVIEWER, **fields)


def submitted_task(*, labeler: User, text: str = "turn on the TV", **kwargs):
    """A task the labeler claimed and submitted; returns (task, labeler's revision)."""
    task, draft = task_with_draft(**kwargs)
    claimed = task_claim_next(labeler=labeler)
    assert claimed.pk == task.pk
    revision = task_submit(task_id=task.pk, labeler=labeler, text=text, base_revision_id=draft.pk)
    task.refresh_from_db()
    return task, revision
