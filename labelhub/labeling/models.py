from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.recordings.models import Recording


class TranscriptRevision(models.Model):
    """One link in a recording's transcript chain. Revisions are only ever added, never edited."""

    class Kind(models.TextChoices):
        ASR_DRAFT = "asr_draft", _("ASR draft")
        LABELER_EDIT = "labeler_edit", _("Labeler edit")
        REVIEW = "review", _("Review")
        # An independent second transcription of a sampled clip, kept out of the main chain's
        # release text; its CER against the labeler's text is the agreement figure.
        DOUBLE = "double", _("Second transcription")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        EDITED = "edited", _("Edited and approved")
        RETURNED = "returned", _("Returned to the labeler")

    class Source(models.TextChoices):
        ASR = "asr", _("ASR worker")
        WORKBENCH = "workbench", _("Workbench")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, blank=True)
    # On review revisions: what the reviewer decided, and the comment sent with a return.
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    comment = models.TextField(blank=True)
    # Seconds the person spent on this step (page open to submit): the labeling cost figure.
    work_seconds = models.FloatField(null=True, blank=True)
    segments = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=16, blank=True)
    engine = models.CharField(max_length=64, blank=True)
    model_name = models.CharField(max_length=128, blank=True)
    # What the ASR said about its own draft; empty on human revisions.
    engine_version = models.CharField(max_length=128, blank=True)
    language_probability = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    low_confidence = models.BooleanField(default=False)
    flags = models.JSONField(default=list, blank=True)
    decode_seconds = models.FloatField(null=True, blank=True)
    # Draft against the prompt the speaker read: a cheap sign of a misread or a bad clip.
    prompt_wer = models.FloatField(null=True, blank=True)
    prompt_cer = models.FloatField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recording", "number"]
        constraints = [
            models.UniqueConstraint(fields=["recording", "number"], name="revision_number_unique")
        ]
        verbose_name = _("transcript revision")
        verbose_name_plural = _("transcript revisions")

    def __str__(self) -> str:
        return f"{self.recording_id} r{self.number} ({self.kind})"


class TaskQuerySet(models.QuerySet["Task"]):
    def bulk_create(  # type: ignore[override]  # the stubs' signature, narrowed to Task
        self, objs: Iterable["Task"], *args: Any, **kwargs: Any
    ) -> list["Task"]:
        # bulk_create skips save(): fill the recording's campaign here too.
        tasks = list(objs)
        for task in tasks:
            task.campaign_from_recording()
        # The stubs leave QuerySet's model type unbound in a subclass: say it.
        return cast(list[Task], super().bulk_create(cast(Any, tasks), *args, **kwargs))


class Task(models.Model):
    """A recording waiting for a person. Held by at most one labeler, under a lease that expires."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")  # waiting for a labeler, returned ones included
        SUBMITTED = "submitted", _("Submitted")  # waiting for a reviewer
        APPROVED = "approved", _("Approved")
        SKIPPED = "skipped", _("Skipped (PM triage)")

    class SkipReason(models.TextChoices):
        UNINTELLIGIBLE = "unintelligible", _("Unintelligible")
        WRONG_LANGUAGE = "wrong_language", _("Wrong language")
        NOISE = "noise", _("Noise only")
        NOT_A_PROMPT = "not_a_prompt", _("Not the prompt")

    class DoubleStatus(models.TextChoices):
        PENDING = "pending", _("Waiting for a second transcription")
        DONE = "done", _("Transcribed twice")

    recording = models.OneToOneField(Recording, on_delete=models.CASCADE, related_name="task")
    # The recording's campaign, copied (a recording never changes campaign): the queue is read
    # per campaign in priority order, and only an index on the task's own row serves that; over
    # the recording, PostgreSQL walks the whole queue (15 s at 1M tasks) to find a small
    # campaign's tasks. Set by save() and bulk_create from the recording.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        db_index=False,  # the queue indexes below lead with it
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.IntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The labeler who last submitted: a returned task goes back to them first.
    labeler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    needs_review = models.BooleanField(default=True)
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)
    # Who sent the clip to triage: a skip writes no revision and clears the assignee, and
    # `labeler` only names whoever last submitted, so nothing else remembers the skipper.
    skipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    skip_note = models.TextField(blank=True)
    return_comment = models.TextField(blank=True)
    times_returned = models.PositiveIntegerField(default=0)
    # Double transcription of a sampled clip: a second labeler (never the first) transcribes it
    # independently under their own lease, once the first labeler has submitted.
    double_status = models.CharField(max_length=16, choices=DoubleStatus.choices, blank=True)
    double_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    double_lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "created_at"]
        indexes = [
            models.Index(fields=["status", "-priority", "created_at"]),
            # The claim's two queues, per campaign in the order they are handed out: open
            # tasks, and clips waiting for a second transcription.
            models.Index(
                fields=["campaign", "-priority", "created_at"],
                condition=models.Q(status="open"),
                name="task_open_queue",
            ),
            models.Index(
                fields=["campaign", "-priority", "created_at"],
                condition=models.Q(double_status="pending"),
                name="task_double_queue",
            ),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return f"task {self.pk} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.campaign_from_recording()
        super().save(*args, **kwargs)

    def campaign_from_recording(self) -> None:
        if self.campaign_id is None:
            self.campaign_id = self.recording.campaign_id


# Revisions written by people; a release ships the newest of these, never a bare ASR draft.
HUMAN_KINDS = (TranscriptRevision.Kind.LABELER_EDIT, TranscriptRevision.Kind.REVIEW)


class SegmentEdit(models.Model):
    """One change of a long-form segment's span or speaker: who moved what, from where to where.

    The audit trail of boundary work (a removed segment keeps its row and its edits). It also
    tells where a segment started when its ASR draft was written: draft words are stored
    relative to that start, and the first edit's `from_start` is it once the start has moved.
    """

    class Action(models.TextChoices):
        CHANGE = "change", _("Boundary or speaker changed")
        SPLIT = "split", _("Split")
        MERGE = "merge", _("Merged with the next")
        ADD = "add", _("Added")
        DELETE = "delete", _("Deleted")

    segment = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="segment_edits")
    action = models.CharField(max_length=8, choices=Action.choices)
    # The segment made (split's right half) or absorbed (merge's next) by this edit.
    other = models.ForeignKey(
        Recording, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    from_start = models.FloatField(null=True, blank=True)
    from_end = models.FloatField(null=True, blank=True)
    to_start = models.FloatField(null=True, blank=True)
    to_end = models.FloatField(null=True, blank=True)
    from_speaker_id = models.IntegerField(null=True, blank=True)
    to_speaker_id = models.IntegerField(null=True, blank=True)
    version = models.PositiveIntegerField()  # the segment's version after this edit
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["segment", "id"]
        verbose_name = _("segment edit")
        verbose_name_plural = _("segment edits")

    def __str__(self) -> str:
        return f"{self.segment_id} {self.action} v{self.version}"
