from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import Organisation
from labelhub.dispatch import STALE_FACTS_TABLE
from labelhub.recordings.models import Recording
from labelhub.speakers.models import ConsentRecord


class FeedbackReport(models.Model):
    """An utterance a deployed product misrecognised, sent back by the client with consent.

    The audio itself is an ordinary Recording (ingested and drafted like any clip); this row
    keeps what the product heard, the user's correction and the consent the product obtained.
    """

    client = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="feedback_reports"
    )
    recording = models.OneToOneField(
        Recording, on_delete=models.CASCADE, related_name="feedback_report"
    )
    consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="+")
    product = models.CharField(_("product"), max_length=200, blank=True)
    heard_text = models.TextField(_("what the product heard"))
    user_correction = models.TextField(_("the user's correction"), blank=True)
    # The product's own identifier for the consent its user gave (a terms-acceptance id).
    consent_reference = models.CharField(_("consent reference"), max_length=200)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback report")
        verbose_name_plural = _("feedback reports")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(consent_reference=""), name="feedback_consent_reference_set"
            )
        ]

    def __str__(self) -> str:
        return f"feedback {self.pk} ({self.client})"


class StaleClipFact(models.Model):
    """A recording whose facts must be rewritten: marked in the transaction that changed the
    clip (labelhub.dispatch.clip_facts_refresh_on_commit), removed by the drain that rewrites
    them (analytics.facts.stale_facts_drain). No foreign key: a mark outlives a deleted
    recording, whose facts the drain then deletes."""

    recording_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField()

    class Meta:
        db_table = STALE_FACTS_TABLE
        verbose_name = _("stale clip fact")
        verbose_name_plural = _("stale clip facts")

    def __str__(self) -> str:
        return f"stale facts of recording {self.recording_id}"


class ClipFact(models.Model):
    """One row per recording with what every analytics figure sums, kept by clip_fact_refresh.

    The dashboard, the CSVs and the datasheets GROUP BY these columns instead of walking the
    revision chain of every clip on each view. Error figures are stored as counts (edits and
    reference length), so a group's rate is an exact sum over its clips, never a mean of means.
    """

    recording = models.OneToOneField(
        Recording, on_delete=models.CASCADE, primary_key=True, related_name="fact"
    )
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    # False for a long-form source (counted through its segments) and a removed segment.
    counted = models.BooleanField(default=True)
    speaker = models.ForeignKey("speakers.Speaker", on_delete=models.CASCADE, related_name="+")
    speaker_code = models.CharField(max_length=64, blank=True)
    age_band = models.CharField(max_length=16, blank=True)
    gender = models.CharField(max_length=16, blank=True)
    region = models.CharField(max_length=64, blank=True)
    dialect = models.CharField(max_length=64, blank=True)
    speech_style = models.CharField(max_length=32, blank=True)
    environment = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=200, blank=True)
    seconds = models.FloatField(default=0.0)
    collected = models.BooleanField(default=False)
    approved = models.BooleanField(default=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    draft_model = models.CharField(max_length=200, blank=True)
    has_draft = models.BooleanField(default=False)
    # Approved with both a draft and a final text: the clips ASR error is measured on.
    measured = models.BooleanField(default=False)
    word_edits = models.PositiveIntegerField(default=0)
    words = models.PositiveIntegerField(default=0)
    char_edits = models.PositiveIntegerField(default=0)
    chars = models.PositiveIntegerField(default=0)
    # The clip's own rates (None without reference units): their spread sizes re-collections.
    clip_wer = models.FloatField(null=True, blank=True)
    clip_cer = models.FloatField(null=True, blank=True)
    # Measured and the final text differs from the draft once normalised.
    edited = models.BooleanField(default=False)
    draft_text = models.TextField(blank=True)
    final_text = models.TextField(blank=True)
    labeled = models.BooleanField(default=False)
    labeler_name = models.CharField(max_length=150, blank=True)
    work_seconds = models.FloatField(default=0.0)
    review_decisions = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    # First labeler edit against the blind second transcription (labeled clips only).
    has_double = models.BooleanField(default=False)
    double_char_edits = models.PositiveIntegerField(default=0)
    double_chars = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("clip fact")
        verbose_name_plural = _("clip facts")
        indexes = [
            # Every figure filters on the campaign and counted clips first.
            models.Index(fields=["campaign", "counted"], name="clipfact_campaign_counted"),
            # The newest fact of a campaign, which tells what is new since (facts_ensure).
            models.Index(fields=["campaign", "recording"], name="clipfact_campaign_recording"),
            models.Index(
                fields=["campaign", "approved_at"],
                name="clipfact_campaign_approved_at",
                condition=models.Q(approved=True),
            ),
        ]

    def __str__(self) -> str:
        return f"facts of recording {self.recording_id}"


def _sum_fields(names: tuple[str, ...]) -> dict[str, models.FloatField]:
    # Floats throughout, like the sums read from ClipFact (sums.summed): Python adds them.
    return {name: models.FloatField(default=0.0) for name in names}


# The sums each rollup stores, named like the keys of sum_columns.ALL_SUMS / COST_SUMS (a test
# checks they stay equal, so a figure added there cannot be forgotten here).
ROLLUP_SUMS = (
    *("collected_clips", "collected_seconds", "approved_clips", "approved_seconds"),
    *("clips", "word_edits", "words", "word_edits_sq", "words_sq", "word_cross"),
    *("char_edits", "chars", "char_edits_sq", "chars_sq", "char_cross"),
    *("wer_n", "wer_sum", "wer_sq", "cer_n", "cer_sum", "cer_sq", "seconds"),
    *("labeled", "labeled_seconds", "work_seconds", "drafted", "edited"),
    *("review_decisions", "returned", "doubles", "double_char_edits", "double_chars"),
)
LABELER_SUMS = ROLLUP_SUMS[-10:]


class FactRollup(models.Model):
    """The sums of one speaker's counted clip facts per combination of the columns figures group
    by: a page view sums thousands of these rows instead of a million ClipFact rows.

    Recomputed whole, per speaker, by clip_fact_refresh in the transaction that rewrites the
    speaker's facts (facts.rollups_refresh), so it always equals a rebuild.
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    speaker = models.ForeignKey("speakers.Speaker", on_delete=models.CASCADE, related_name="+")
    age_band = models.CharField(max_length=16, blank=True)
    gender = models.CharField(max_length=16, blank=True)
    region = models.CharField(max_length=64, blank=True)
    dialect = models.CharField(max_length=64, blank=True)
    speech_style = models.CharField(max_length=32, blank=True)
    environment = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=200, blank=True)
    draft_model = models.CharField(max_length=200, blank=True)
    locals().update(_sum_fields(ROLLUP_SUMS))

    class Meta:
        verbose_name = _("clip fact rollup")
        verbose_name_plural = _("clip fact rollups")
        indexes = [models.Index(fields=["campaign", "speaker"], name="factrollup_campaign_speaker")]

    def __str__(self) -> str:
        return f"rollup of speaker {self.speaker_id}"


class FactDay(models.Model):
    """Approved clips and seconds of one speaker per day (the day the transcript became final,
    in the site's time zone): the by-day chart's rollup."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    speaker = models.ForeignKey("speakers.Speaker", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    clips = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("approved clips per day")
        verbose_name_plural = _("approved clips per day")
        indexes = [models.Index(fields=["campaign", "speaker"], name="factday_campaign_speaker")]

    def __str__(self) -> str:
        return f"speaker {self.speaker_id} on {self.day}"


class FactLabeler(models.Model):
    """The labeling sums of one speaker's labeled clips per labeler: the labeler table's rollup."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    speaker = models.ForeignKey("speakers.Speaker", on_delete=models.CASCADE, related_name="+")
    labeler_name = models.CharField(max_length=150, blank=True)
    locals().update(_sum_fields(LABELER_SUMS))

    class Meta:
        verbose_name = _("labeling sums per labeler")
        verbose_name_plural = _("labeling sums per labeler")
        indexes = [
            models.Index(fields=["campaign", "speaker"], name="factlabeler_campaign_speaker")
        ]

    def __str__(self) -> str:
        return f"speaker {self.speaker_id} by {self.labeler_name}"
