from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import Organisation
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
