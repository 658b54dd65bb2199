from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import Organisation
from labelhub.campaigns.models import Campaign
from labelhub.labeling.models import TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.speakers.models import ConsentRecord


def default_split_ratios() -> dict[str, float]:
    return {"train": 0.8, "dev": 0.1, "test": 0.1}


class Release(models.Model):
    """One version of a dataset: its content (items, splits, texts, changelog).

    How the content ships is a rendition (ReleaseRendition): the archives are those rows, the
    one source of truth. ``archive``, ``archive_sha256`` and ``archive_size_bytes`` mirror the
    default rendition (the one the spec's audio_format, include_originals and formats name),
    written in the same transaction, for the API fields and readers that predate renditions.
    """

    class Status(models.TextChoices):
        BUILDING = "building", _("Building")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="releases")
    client = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="releases")
    version = models.PositiveIntegerField()
    # Speaker-disjoint splits by audio seconds; the same seed and items give the same splits.
    split_ratios = models.JSONField(default=default_split_ratios)
    seed = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, while building
    error = models.TextField(blank=True)
    # For the reaper (labelhub.jobs): tries (runs and requeues), and the last sign of life.
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    archive = models.FileField(max_length=255, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    archive_size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # What goes in (see releases.spec.ReleaseSpec): kept as given, so a build can be explained.
    spec = models.JSONField(default=dict, blank=True)
    # The published version this one's changelog is against (None for a first version).
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What a rendition built later needs to write the same release.json and datasheet: the
    # changelog and split report computed at the version's build.
    build_facts = models.JSONField(default=dict, blank=True)
    datasheet_md = models.TextField(blank=True)
    datasheet_html = models.TextField(blank=True)  # a fragment, for the portal's preview
    # A revoked release keeps its files (it stays reproducible) but serves no new download.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A redacted re-issue (v1.1, v1.2...) keeps the content version of the release it replaces:
    # it is the same dataset minus withdrawn speakers, not a new version, so it must not take
    # the next version number (and shift every later changelog). reissue_number tells them apart.
    reissue_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reissues"
    )
    reissue_number = models.PositiveSmallIntegerField(default=0)
    # Superseded is not revoked: a revocation is a PM's decision to stop a release, whereas a
    # superseded release was replaced by the system (consent withdrawn) and points its clients
    # at the replacement. Both stop new downloads; only this one says where to go instead.
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.TextField(blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "version", "reissue_number"], name="release_version_unique"
            )
        ]
        verbose_name = _("release")
        verbose_name_plural = _("releases")

    def __str__(self) -> str:
        return f"{self.campaign} v{self.label}"

    @property
    def label(self) -> str:
        """The version as clients see it: "1", or "1.1" for the first re-issue of v1."""
        return f"{self.version}.{self.reissue_number}" if self.reissue_number else str(self.version)

    @property
    def is_superseded(self) -> bool:
        return self.superseded_at is not None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ReleaseRendition(models.Model):
    """One archive of a version: an audio format, originals or not, a set of layouts.

    ``key`` is the canonical rendition key (releases.renditions). A rendition never takes a
    version number nor changes the changelog; the same version and key give the same bytes.
    """

    Status = Release.Status  # the same life: building, then published or failed

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="renditions")
    key = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # For the reaper (labelhub.jobs), as on Release.
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    archive = models.FileField(max_length=255, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    archive_size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["release", "key"]
        constraints = [
            models.UniqueConstraint(fields=["release", "key"], name="release_rendition_unique")
        ]
        verbose_name = _("release rendition")
        verbose_name_plural = _("release renditions")

    def __str__(self) -> str:
        return f"{self.release} [{self.key}]"


class ReleaseItem(models.Model):
    """What went into a release, so every exported file traces to its speaker, consent and text."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="items")
    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey(TranscriptRevision, on_delete=models.PROTECT, related_name="+")
    consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="+")
    split = models.CharField(max_length=32, blank=True)
    path = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    # A long-form segment's span as it was cut: a boundary dragged after publishing must not
    # change what a later rendition or a re-issue of this version cuts. Null on clips.
    start_seconds = models.FloatField(null=True, blank=True)
    end_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "recording"], name="release_item_unique")
        ]
        verbose_name = _("release item")
        verbose_name_plural = _("release items")

    def __str__(self) -> str:
        return self.path


class ReleaseChange(models.Model):
    """One line of a version's changelog against the previous published version."""

    class Kind(models.TextChoices):
        ADDED = "added", _("Added")
        REMOVED = "removed", _("Removed")
        CHANGED = "changed", _("Transcript changed")
        MOVED = "moved", _("Moved to another split")

    class Reason(models.TextChoices):
        WITHDRAWN_CONSENT = "withdrawn_consent", _("Consent withdrawn")
        EXCLUDED_BY_CURATION = "excluded_by_curation", _("Excluded by curation")
        REJECTED_ON_RE_REVIEW = "rejected_on_re_review", _("Rejected on re-review")
        FILTERED_BY_SPEC = "filtered_by_spec", _("Filtered out by the release spec")

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="changes")
    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    old_text = models.TextField(blank=True)
    new_text = models.TextField(blank=True)
    # Set when the item's split differs from the previous version's (kind "moved", or
    # "changed" when its text changed too): only a re-split moves an item.
    old_split = models.CharField(max_length=32, blank=True)
    new_split = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["release", "kind", "recording"]
        constraints = [
            models.UniqueConstraint(fields=["release", "recording"], name="release_change_unique")
        ]
        verbose_name = _("release change")
        verbose_name_plural = _("release changes")

    def __str__(self) -> str:
        return f"{self.release}: {self.kind} {self.recording_id}"


class SpeakerSplit(models.Model):
    """The split a speaker of a dataset (a release's campaign series) keeps in every version.

    Written when a version publishes, for its speakers seen for the first time; a re-split
    rewrites them all. ``speaker_key`` is speaker_key(code, campaign, pooled=True), so the key
    does not change when a later version pools other campaigns in.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    speaker_key = models.CharField(max_length=100)
    split = models.CharField(max_length=32)
    first_release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "speaker_key"], name="speaker_split_unique")
        ]
        verbose_name = _("speaker split")
        verbose_name_plural = _("speaker splits")

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.speaker_key}: {self.split}"


class DownloadEvent(models.Model):
    """One whole download. A signed link is a bearer credential, so the row names both the
    user the link was made for and whoever actually presented it."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="downloads")
    # The link's owner (for a direct download, the signed-in user).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The session or token user who fetched it; null when the link was used anonymously.
    fetched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    # A keyed hash of the fetcher's IP: tells fetchers apart without keeping the address.
    ip_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("download event")
        verbose_name_plural = _("download events")

    def __str__(self) -> str:
        return f"{self.user} downloaded {self.release} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def anonymous(self) -> bool:
        return self.fetched_by_id is None
