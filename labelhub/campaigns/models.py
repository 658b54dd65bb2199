from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import Organisation


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LEGAL_REVIEW = "legal_review", _("Legal review")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    client = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="campaigns",
        limit_choices_to={"kind": Organisation.Kind.CLIENT},
    )
    # A BCP 47 tag: "ko", "ko-KR", "en-US". The ASR model and text rules follow it.
    language = models.CharField(_("language"), max_length=16)
    description = models.TextField(_("target product"), blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    min_seconds = models.FloatField(_("shortest utterance (s)"), default=1.0)
    max_seconds = models.FloatField(_("longest utterance (s)"), default=15.0)
    # How Whisper drafts this campaign's clips.
    asr_detect_language = models.BooleanField(
        _("detect the spoken language"),
        default=False,
        help_text=_("Off: every clip is decoded as the campaign's language."),
    )
    asr_initial_prompt = models.TextField(
        _("ASR vocabulary"),
        blank=True,
        help_text=_("Words and names Whisper should expect. Empty: taken from the prompts."),
    )
    asr_beam_size = models.PositiveSmallIntegerField(_("ASR beam size"), default=5)
    asr_vad_filter = models.BooleanField(_("skip silence before decoding (VAD)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_seconds__gte=0)
                & models.Q(max_seconds__gt=models.F("min_seconds")),
                name="campaign_utterance_bounds_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(asr_beam_size__gte=1) & models.Q(asr_beam_size__lte=10),
                name="campaign_asr_beam_size_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Prompt(models.Model):
    """A script sentence that speakers read aloud."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="prompts")
    text = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("prompt")

    def __str__(self) -> str:
        return self.text[:60]
