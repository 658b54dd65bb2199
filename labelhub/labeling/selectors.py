"""Reads for the workbench, review, triage and the PM: history, stats, agreement."""

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.selectors import campaigns_open_to
from labelhub.labeling import claim_sql
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.text_metrics import edit_counts, pooled_cer


def revisions_of(*, recording: Recording) -> QuerySet[TranscriptRevision]:
    """Every step of a clip's transcript, oldest first, second transcriptions included."""
    return recording.revisions.select_related("author").order_by("number")


@dataclass(frozen=True)
class TaskText:
    """The text a workbench task opens with: the revision to edit, and the ASR draft beside it."""

    editing: TranscriptRevision | None
    asr_draft: TranscriptRevision | None


def task_text(*, task: Task, double: bool) -> TaskText:
    """Which revision the labeler edits (and submits on top of) and the clip's ASR draft.

    The head of the chain for a labeler, the submitted text for a reviewer. A second
    transcriber (`double`) starts from the ASR draft, never from the first labeler's text: the
    two transcriptions must be independent for their agreement to mean anything. One query
    (claim_sql.transcript_chain).
    """
    chain = claim_sql.transcript_chain(recording_id=task.recording_id)
    if double:
        return TaskText(editing=chain.asr_draft, asr_draft=chain.asr_draft)
    return TaskText(editing=chain.head, asr_draft=chain.asr_draft)


def tasks_open_to(*, user: User) -> QuerySet[Task]:
    """Tasks the user may act on: those of campaigns_open_to(user), and any they were handed
    (a lease outlives a change of the campaign's list, as task_claim_next promises). Others
    are not there for them at all: 404, not a conflict that tells the task exists."""
    if not (user.is_authenticated and user.is_labeling_staff):
        return Task.objects.none()
    open_to = campaigns_open_to(user=user).values("pk")
    return Task.objects.filter(
        Q(recording__campaign_id__in=open_to) | Q(assignee=user) | Q(double_assignee=user)
    )


def tasks_in_triage(*, campaign_id: int | None = None) -> QuerySet[Task]:
    # A segment merged away or deleted is no longer anyone's to triage.
    tasks = (
        Task.objects.filter(status=Task.Status.SKIPPED)
        .exclude(recording__status=Recording.Status.REMOVED)
        .select_related("recording__campaign", "labeler", "skipped_by")
    )
    if campaign_id:
        tasks = tasks.filter(recording__campaign_id=campaign_id)
    return tasks.order_by("updated_at")


def _start_of_today() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def labeler_stats_today(*, user: User) -> dict[str, Any]:
    """Clips and audio minutes the user transcribed today, and their median seconds per clip."""
    revisions = TranscriptRevision.objects.filter(
        author=user,
        kind__in=[TranscriptRevision.Kind.LABELER_EDIT, TranscriptRevision.Kind.DOUBLE],
        created_at__gte=_start_of_today(),
    )
    clips = revisions.values("recording_id").distinct().count()
    seconds = Recording.objects.filter(pk__in=revisions.values("recording_id")).aggregate(
        total=Sum("duration_seconds")
    )["total"]
    work = [s for s in revisions.values_list("work_seconds", flat=True) if s is not None]
    return {
        "clips_today": clips,
        "audio_minutes_today": round((seconds or 0) / 60, 2),
        "median_seconds_per_clip": round(statistics.median(work), 1) if work else None,
    }


def double_agreement(*, campaign: Campaign) -> dict[str, Any]:
    """CER between the first labeler's transcript and the independent second one: per clip,
    and over all pairs (character edits / characters), normalised as labelhub.text_metrics does, so
    `cer` is the figure the analytics labeling-cost table shows."""
    kind = TranscriptRevision.Kind
    # Only the clips with a second transcript: the others have no pair, and reading every
    # labeler edit of the campaign held a model instance per clip (100,000 in a big release).
    doubled = TranscriptRevision.objects.filter(
        kind=kind.DOUBLE, recording__campaign=campaign
    ).values("recording_id")
    revisions = (
        TranscriptRevision.objects.filter(
            kind__in=[kind.LABELER_EDIT, kind.DOUBLE], recording_id__in=doubled
        )
        .select_related("author")
        .order_by("recording_id", "number")
    )
    firsts: dict[int, TranscriptRevision] = {}
    items, counts = [], []
    for revision in revisions:  # in number order, so a clip's first labeler edit comes first
        if revision.kind == kind.LABELER_EDIT:
            firsts.setdefault(revision.recording_id, revision)
            continue
        first = firsts.get(revision.recording_id)
        if first is None:
            continue
        pair = edit_counts(reference=first.text, hypothesis=revision.text)
        counts.append(pair)
        items.append(
            {
                "recording": revision.recording_id,
                "first_text": first.text,
                "first_author": first.author.username if first.author else None,
                "second_text": revision.text,
                "second_author": revision.author.username if revision.author else None,
                "cer": _rounded(pooled_cer([pair])),
            }
        )
    return {
        "campaign": campaign.pk,
        "pairs": len(items),
        "cer": _rounded(pooled_cer(counts)),
        "items": items,
    }


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)
