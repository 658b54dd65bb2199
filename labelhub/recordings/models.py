import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    Prompt,
    RecordingEnvironment,
    SpeechStyle,
)
from labelhub.speakers.models import Speaker


class Recording(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        READY = "ready", _("Ready")
        REJECTED = "rejected", _("Rejected")
        # The speaker withdrew consent: the audio files are deleted, the row stays for the audit
        # trail and for releases that already hold it (ReleaseItem protects it).
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # A segment merged into its neighbour or deleted by a labeler: the row stays for the
        # audit trail (its revisions), but it is no longer labeled or released.
        REMOVED = "removed", _("Removed")

    class Kind(models.TextChoices):
        CLIP = "clip", _("Clip")  # a short utterance: its own audio, its own task
        SOURCE = "source", _("Long-form source")  # kept whole; never labeled itself
        SEGMENT = "segment", _("Segment of a source")  # a time span of a source, with a task

    class AsrStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CLIP)
    # On segments: the long-form source they are cut from, and where. A segment has no audio
    # file of its own; the workbench plays the source and a release cuts the span from the
    # source's normalised WAV. Its speaker is the person talking in the span.
    source = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="segments"
    )
    start_seconds = models.FloatField(null=True, blank=True)
    end_seconds = models.FloatField(null=True, blank=True)
    # Bumped by every change of a segment's span or speaker: a save that names an older
    # version is refused (409), so two tabs never overwrite each other's boundaries.
    segment_version = models.PositiveIntegerField(default=0)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="recordings")
    speaker = models.ForeignKey(Speaker, on_delete=models.PROTECT, related_name="recordings")
    prompt = models.ForeignKey(
        Prompt, on_delete=models.SET_NULL, null=True, blank=True, related_name="recordings"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    environment = models.ForeignKey(
        RecordingEnvironment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recordings",
    )
    channel = models.ForeignKey(
        CollectionChannel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recordings",
    )
    speech_style = models.CharField(
        max_length=16, choices=SpeechStyle.choices, default=SpeechStyle.READ
    )
    # The recording device as reported (browser user agent family, microphone model).
    device = models.CharField(max_length=200, blank=True)

    # The raw upload, byte for byte as received. Never rewritten; derived audio is rebuilt from it.
    # It is stored under the recording's uid: the original name may carry a person's name.
    raw_file = models.FileField(max_length=255)
    raw_sha256 = models.CharField(max_length=64)
    raw_size_bytes = models.PositiveBigIntegerField()
    original_filename = models.CharField(max_length=255)
    original_suffix = models.CharField(max_length=16)
    format_name = models.CharField(max_length=64, blank=True)
    codec = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    rejection_code = models.CharField(max_length=32, blank=True)
    rejection_reason = models.TextField(blank=True)
    normalised_file = models.FileField(max_length=255, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    peak_dbfs = models.FloatField(null=True, blank=True)
    rms_dbfs = models.FloatField(null=True, blank=True)
    clipping_ratio = models.FloatField(null=True, blank=True)
    # Soft quality problems found at ingest ("quiet", "clipped", "low_sample_rate", ...): the
    # clip is kept but flagged for review. Hard problems reject it instead.
    quality_flags = models.JSONField(default=list, blank=True)
    # Waveform peaks computed once at ingest, so the workbench draws long files instantly.
    peaks_file = models.FileField(max_length=255, blank=True)

    asr_status = models.CharField(
        max_length=16, choices=AsrStatus.choices, default=AsrStatus.PENDING
    )
    asr_error = models.TextField(blank=True)
    asr_claimed_at = models.DateTimeField(null=True, blank=True)
    # Percent done of a long-running draft (a long-form source's segmentation), for progress.
    asr_progress = models.PositiveSmallIntegerField(default=0)
    # For the reaper (labelhub.jobs): tries (runs and requeues) and the last sign of life of
    # ingest and of the ASR draft.
    ingest_attempts = models.PositiveSmallIntegerField(default=0)
    ingest_heartbeat_at = models.DateTimeField(null=True, blank=True)
    asr_attempts = models.PositiveSmallIntegerField(default=0)
    asr_heartbeat_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    ingested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["campaign", "asr_status"]),
            models.Index(fields=["raw_sha256"]),
            models.Index(fields=["source", "start_seconds"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="segment")
                | (
                    models.Q(source__isnull=False)
                    & models.Q(start_seconds__gte=0)
                    & models.Q(end_seconds__gt=models.F("start_seconds"))
                ),
                name="recording_segment_has_span",
            ),
        ]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")

    def __str__(self) -> str:
        return f"{self.uid} ({self.get_status_display()})"


class BulkUpload(models.Model):
    """One studio ZIP upload and its row-by-row report; large ones are processed by a worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")
        # The worker died or raised: rows stored before that stay, the archive is deleted.
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="bulk_uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The archive waits here for the worker and is deleted once processed.
    archive = models.FileField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # For the reaper (labelhub.jobs): tries (runs and requeues), and the last sign of life.
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulk upload")
        verbose_name_plural = _("bulk uploads")

    def __str__(self) -> str:
        return f"bulk upload {self.pk} ({self.get_status_display()})"


class Exclusion(models.Model):
    """A curation decision: this clip, or every clip of this speaker, stays out of releases.

    Exclusions are never deleted; lifting one sets lifted_at, so the history stays readable.
    """

    class Reason(models.TextChoices):
        BAD_AUDIO = "bad_audio", _("Bad audio")
        MISREAD = "misread", _("Misread prompt")
        DUPLICATE_SPEAKER = "duplicate_speaker", _("Duplicate speaker")
        OTHER = "other", _("Other")

    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, null=True, blank=True, related_name="exclusions"
    )
    speaker = models.ForeignKey(
        Speaker, on_delete=models.CASCADE, null=True, blank=True, related_name="exclusions"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Born in releases, moved down here so analytics (which writes exclusions) and releases
        # (which honours them) both import it one way; the table keeps its name.
        db_table = "releases_exclusion"
        ordering = ["-created_at"]
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(recording__isnull=False) & models.Q(speaker__isnull=True))
                | (models.Q(recording__isnull=True) & models.Q(speaker__isnull=False)),
                name="exclusion_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recording or self.speaker}: {self.get_reason_display()}"
