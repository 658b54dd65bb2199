import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.campaigns.demographics import AgeBand, Gender
from labelhub.campaigns.models import Campaign, CollectionChannel
from labelhub.errors import Conflict
from labelhub.validation import validate_speaker_code


class ConsentDocumentSigned(Conflict):
    code = "consent_document_signed"


class ConsentDocument(models.Model):
    """One version of a campaign's consent text in one language. Immutable once signed.

    A translation shares its original's version number: (campaign, version, language) is unique.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="consent_documents"
    )
    version = models.PositiveIntegerField()
    language = models.CharField(_("language"), max_length=16)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("full text"))
    text_sha256 = models.CharField(max_length=64, editable=False)
    allows_training = models.BooleanField(_("use for model training"), default=True)
    allows_third_party_delivery = models.BooleanField(
        _("delivery to third-party clients"), default=True
    )
    allows_commercial_use = models.BooleanField(_("commercial use"), default=True)
    retention_days = models.PositiveIntegerField(_("retention (days)"), default=365 * 3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "version", "language"], name="consent_version_language_unique"
            )
        ]
        verbose_name = _("consent document")
        verbose_name_plural = _("consent documents")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A signed text is evidence of what a speaker agreed to: changes make a new version.
        if self.pk and ConsentRecord.objects.filter(document_id=self.pk).exists():
            refusal = _(
                "This consent text has been signed and cannot be changed: write a new version."
            )
            raise ConsentDocumentSigned(str(refusal))
        self.text_sha256 = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        super().save(*args, **kwargs)


class Speaker(models.Model):
    """A pseudonymous speaker. Names and contact details never live beside audio metadata."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="speakers")
    code = models.CharField(
        _("pseudonymous code"), max_length=32, validators=[validate_speaker_code]
    )
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    region = models.CharField(_("region"), max_length=64, blank=True)
    dialect = models.CharField(_("dialect"), max_length=64, blank=True)
    native_language = models.CharField(_("native language"), max_length=16, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    channel = models.ForeignKey(
        CollectionChannel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="speakers",
        verbose_name=_("collection channel"),
    )
    # Set when the speaker's consent is withdrawn: their audio is deleted, this row stays.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The audio deletion that follows a withdrawal, for the reaper (labelhub.jobs): tries,
    # the last sign of life, and why the last run failed (empty once the audio is gone).
    audio_deletion_attempts = models.PositiveSmallIntegerField(default=0)
    audio_deletion_heartbeat_at = models.DateTimeField(null=True, blank=True)
    audio_deletion_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="speaker_code_unique")
        ]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self) -> str:
        return self.code


class ConsentRecord(models.Model):
    class Method(models.TextChoices):
        WEB_SIGNATURE = "web_signature", _("Web signature")
        PAPER = "paper", _("Signed paper, uploaded")

    class Signer(models.TextChoices):
        SPEAKER = "speaker", _("The speaker")
        GUARDIAN = "guardian", _("A legal guardian")

    speaker = models.ForeignKey(Speaker, on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="records")
    method = models.CharField(max_length=16, choices=Method.choices)
    signer = models.CharField(max_length=16, choices=Signer.choices, default=Signer.SPEAKER)
    # A scan of the signed paper form, when method is paper.
    evidence_file = models.FileField(max_length=255, blank=True)
    signed_at = models.DateTimeField()
    # A hash of IP and user agent: evidence of the signing without keeping either.
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_method = models.CharField(max_length=32, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.speaker} / {self.document}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class SpeakerInvite(models.Model):
    """A link a PM hands to one person so they can consent and record without an account.

    The link carries a signed token naming this row; the row says whether it was used and by
    which speaker, so a PM can see who joined and revoke what was not.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="invites")
    # Optional: the code the speaker will get (a studio's own numbering); random otherwise.
    speaker_code = models.CharField(
        _("speaker code"), max_length=32, blank=True, validators=[validate_speaker_code]
    )
    channel = models.ForeignKey(
        CollectionChannel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invites",
        verbose_name=_("collection channel"),
    )
    prompt_count = models.PositiveIntegerField(_("prompts to record"), default=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set when the invitee signs the consent; from then on the link records as this speaker.
    used_at = models.DateTimeField(null=True, blank=True)
    speaker = models.OneToOneField(
        Speaker, on_delete=models.PROTECT, null=True, blank=True, related_name="invite"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("speaker invite")
        verbose_name_plural = _("speaker invites")

    def __str__(self) -> str:
        return f"invite {self.pk} ({self.campaign})"


class ConsentAuditEvent(models.Model):
    """What happened to a speaker's consent and audio. Never holds audio, names or contacts."""

    class Action(models.TextChoices):
        WITHDRAWN = "withdrawn", _("Consent withdrawn")
        AUDIO_DELETED = "audio_deleted", _("Audio deleted from storage")
        DATA_ERASED = "data_erased", _("Personal data erased")

    speaker = models.ForeignKey(Speaker, on_delete=models.PROTECT, related_name="audit_events")
    action = models.CharField(max_length=16, choices=Action.choices)
    # "speaker_link" (the speaker's own withdrawal link) or "pm" (a PM, named in actor).
    method = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Counts only: consent records withdrawn, recordings purged, files deleted, rows erased.
    counts = models.JSONField(default=dict, blank=True)
    # The versions of the consent documents the speaker had signed, on erasure.
    consent_versions = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("consent audit event")
        verbose_name_plural = _("consent audit events")

    def __str__(self) -> str:
        return f"{self.speaker} {self.action} {self.at:%Y-%m-%d}"
