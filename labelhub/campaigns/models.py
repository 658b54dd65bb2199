from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import Organisation
from labelhub.validation import validate_identifier

# Nothing is granted beyond the contract unless the PM says otherwise.
DEFAULT_DATASET_LICENSE = "All rights reserved; delivered under contract to the client"


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
        verbose_name=_("client"),
    )

    class CollectionMode(models.TextChoices):
        UTTERANCES = "utterances", _("Short utterances, one clip each")
        LONG_FORM = "long_form", _("Long-form media, cut into segments")

    class Convention(models.TextChoices):
        PLAIN = "plain", _("Plain text")
        KSPON = "kspon", _("KsponSpeech (ETRI) conventions")

    # The transcript normalisation policy: how every delivered transcript writes case, the
    # final punctuation mark and numbers, so a dataset never mixes "Play" and "play".
    class Casing(models.TextChoices):
        ANY = "any", _("Any")
        LOWER = "lower", _("All lowercase")
        SENTENCE = "sentence", _("Sentence case (capital first letter)")

    class FinalPunctuation(models.TextChoices):
        ANY = "any", _("Any")
        REQUIRED = "required", _("Required (. ? or !)")
        NONE = "none", _("None")

    class Numbers(models.TextChoices):
        ANY = "any", _("Any")
        WORDS = "words", _("As words (eleven)")
        DIGITS = "digits", _("As digits (11)")

    # A BCP 47 tag: "ko", "ko-KR", "en-US". The ASR model and text rules follow it.
    language = models.CharField(_("language"), max_length=16)
    locale = models.CharField(_("locale"), max_length=16, blank=True)
    description = models.TextField(_("target product"), blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    min_seconds = models.FloatField(_("shortest utterance (s)"), default=1.0)
    max_seconds = models.FloatField(_("longest utterance (s)"), default=15.0)
    target_seconds = models.FloatField(_("target utterance length (s)"), default=10.0)
    # What the campaign collects. Long-form sources (broadcasts, meetings, long sessions) are
    # kept whole and cut into segments, each of which is labeled like a clip.
    collection_mode = models.CharField(
        _("what is collected"),
        max_length=16,
        choices=CollectionMode.choices,
        default=CollectionMode.UTTERANCES,
    )
    max_source_seconds = models.FloatField(_("longest source (s)"), default=4 * 3600.0)
    segment_min_seconds = models.FloatField(_("shortest segment (s)"), default=2.0)
    segment_max_seconds = models.FloatField(_("longest segment (s)"), default=15.0)
    segment_target_seconds = models.FloatField(_("target segment length (s)"), default=10.0)
    target_hours = models.FloatField(_("target total hours"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    convention = models.CharField(
        _("transcription convention"),
        max_length=16,
        choices=Convention.choices,
        default=Convention.PLAIN,
    )
    transcript_casing = models.CharField(
        _("transcript casing"), max_length=16, choices=Casing.choices, default=Casing.ANY
    )
    transcript_final_punctuation = models.CharField(
        _("final punctuation"),
        max_length=16,
        choices=FinalPunctuation.choices,
        default=FinalPunctuation.ANY,
    )
    transcript_numbers = models.CharField(
        _("numbers in transcripts"), max_length=16, choices=Numbers.choices, default=Numbers.ANY
    )
    # What the client may do with the delivered data; every release's datasheet states both.
    dataset_license = models.CharField(
        _("dataset licence"),
        max_length=200,
        default=DEFAULT_DATASET_LICENSE,
        help_text=_("Stated in every release's datasheet, e.g. CC BY 4.0."),
    )
    terms_of_use = models.TextField(_("terms of use"), blank=True)
    # A re-collection campaign points at the campaign whose gaps it fills.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent campaign"),
    )
    # Under this age a speaker's consent needs a guardian's consent record too (PIPA: 14).
    age_of_consent = models.PositiveSmallIntegerField(_("age of consent"), default=14)
    # Dialect and region lists for quota cells and the speaker form; empty: the language's default.
    dialect_choices = models.JSONField(_("dialects"), default=list, blank=True)
    region_choices = models.JSONField(_("regions"), default=list, blank=True)
    # Share of submitted tasks a reviewer checks, and of clips transcribed twice for agreement.
    review_share = models.FloatField(_("share reviewed"), default=1.0)
    double_transcription_share = models.FloatField(_("share transcribed twice"), default=0.0)
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
    # Who may claim this campaign's tasks and reviews. Nobody listed keeps the old behaviour
    # (the whole labeling staff), so campaigns made before membership existed still get worked.
    labelers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="labeling_campaigns",
        verbose_name=_("labelers"),
        help_text=_(
            "Labelers and reviewers who work on this campaign. Empty: everyone on the labeling "
            "staff."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_seconds__gte=0)
                & models.Q(max_seconds__gt=models.F("min_seconds")),
                name="campaign_utterance_bounds_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(segment_min_seconds__gt=0)
                & models.Q(segment_target_seconds__gte=models.F("segment_min_seconds"))
                & models.Q(segment_max_seconds__gte=models.F("segment_target_seconds"))
                & models.Q(max_source_seconds__gt=0),
                name="campaign_segment_bounds_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(asr_beam_size__gte=1) & models.Q(asr_beam_size__lte=10),
                name="campaign_asr_beam_size_range",
            ),
            models.CheckConstraint(
                condition=models.Q(review_share__gte=0) & models.Q(review_share__lte=1),
                name="campaign_review_share_range",
            ),
            models.CheckConstraint(
                condition=models.Q(double_transcription_share__gte=0)
                & models.Q(double_transcription_share__lte=1),
                name="campaign_double_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_long_form(self) -> bool:
        return self.collection_mode == self.CollectionMode.LONG_FORM


class SpeechStyle(models.TextChoices):
    READ = "read", _("Read speech")
    SPONTANEOUS = "spontaneous", _("Spontaneous speech")
    COMMAND = "command", _("Voice command")


class Prompt(models.Model):
    """A script sentence that speakers read aloud."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="prompts")
    # The id the PM's own script uses (a CSV column); empty when prompts came as plain lines.
    external_id = models.CharField(
        _("script id"), max_length=64, blank=True, validators=[validate_identifier]
    )
    text = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=100, blank=True)
    speech_style = models.CharField(
        _("speech style"), max_length=16, choices=SpeechStyle.choices, default=SpeechStyle.READ
    )
    recordings_needed = models.PositiveIntegerField(_("recordings needed"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")

    def __str__(self) -> str:
        return self.text[:60]


class QuotaCell(models.Model):
    """One demographic target: a blank dimension means "any"."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="quota_cells")
    age_band = models.CharField(_("age band"), max_length=8, blank=True)
    gender = models.CharField(_("gender"), max_length=8, blank=True)
    region = models.CharField(_("region"), max_length=64, blank=True)
    dialect = models.CharField(_("dialect"), max_length=64, blank=True)
    speech_style = models.CharField(
        _("speech style"), max_length=16, choices=SpeechStyle.choices, blank=True
    )
    target_clips = models.PositiveIntegerField(_("target clips"), default=0)
    target_minutes = models.FloatField(_("target minutes"), default=0)
    target_speakers = models.PositiveIntegerField(_("target speakers"), default=0)
    max_minutes_per_speaker = models.FloatField(
        _("most minutes per speaker"), null=True, blank=True
    )

    class Meta:
        ordering = ["campaign", "age_band", "gender", "region", "dialect", "speech_style"]
        verbose_name = _("quota cell")
        verbose_name_plural = _("quota cells")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "age_band", "gender", "region", "dialect", "speech_style"],
                name="quota_cell_unique",
            )
        ]

    def __str__(self) -> str:
        parts = [self.age_band, self.gender, self.region, self.dialect, self.speech_style]
        return " / ".join(part for part in parts if part) or str(_("any speaker"))


class RecordingEnvironment(models.Model):
    class Kind(models.TextChoices):
        SOUNDPROOF = "soundproof", _("Soundproof room")
        STUDIO = "studio", _("Studio")
        HOME = "home", _("Home")
        OFFICE = "office", _("Office")
        CAR = "car", _("Car")
        OUTDOOR = "outdoor", _("Outdoor")

    class NoiseLevel(models.TextChoices):
        QUIET = "quiet", _("Quiet (under 30 dBA)")
        MODERATE = "moderate", _("Moderate (30-50 dBA)")
        NOISY = "noisy", _("Noisy (over 50 dBA)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="environments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    noise_level = models.CharField(
        _("noise level"), max_length=16, choices=NoiseLevel.choices, blank=True
    )
    microphone = models.CharField(_("microphone / device"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["campaign", "name"]
        verbose_name = _("recording environment")
        verbose_name_plural = _("recording environments")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="environment_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CollectionChannel(models.Model):
    class Kind(models.TextChoices):
        VOICE_ACTOR = "voice_actor", _("Voice actor")
        PUBLIC = "public", _("Public crowd")
        INTERNAL = "internal", _("Internal staff")
        LICENSED_MEDIA = "licensed_media", _("Licensed media")
        PRODUCT_FEEDBACK = "product_feedback", _("Product feedback")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    source_url = models.URLField(_("source URL"), blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)

    class Meta:
        ordering = ["campaign", "name"]
        verbose_name = _("collection channel")
        verbose_name_plural = _("collection channels")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="channel_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Licensed audio can only be delivered onward when its source and terms are on record.
        if self.kind == self.Kind.LICENSED_MEDIA:
            errors = {}
            if not self.source_url:
                errors["source_url"] = _("Licensed media needs the source URL.")
            if not self.licence.strip():
                errors["licence"] = _("Licensed media needs the licence.")
            if errors:
                raise ValidationError(errors)


class LegalReview(models.Model):
    """The checklist a named PM signs before a campaign may collect a single clip."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="legal_review")
    consent_text_reviewed = models.BooleanField(_("consent text reviewed"), default=False)
    retention_period_set = models.BooleanField(_("retention period set"), default=False)
    purpose_stated = models.BooleanField(_("purpose of use stated"), default=False)
    third_party_delivery_stated = models.BooleanField(
        _("delivery to third parties stated"), default=False
    )
    minors_policy = models.TextField(_("minors policy"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("legal review")
        verbose_name_plural = _("legal reviews")

    def __str__(self) -> str:
        return f"{self.campaign} legal review"
