from datetime import date

from django.utils import timezone

from labelhub.campaigns.models import Campaign
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker
from labelhub.validation import prefix_clash, speaker_code_problem


def consent_active_for(*, speaker: Speaker) -> ConsentRecord | None:
    """The speaker's newest consent that has not been withdrawn, if any."""
    return (
        ConsentRecord.objects.filter(speaker=speaker, withdrawn_at__isnull=True)
        .select_related("document")
        .order_by("-signed_at")
        .first()
    )


def speaker_youngest_age(*, speaker: Speaker, today: date | None = None) -> int | None:
    """The youngest the speaker can be: minors rules must not guess in the speaker's favour.

    A birth year alone leaves the birthday unknown, so it counts as not yet reached; an age band
    alone counts as its lower bound.
    """
    if speaker.birth_year:
        return (today or timezone.localdate()).year - speaker.birth_year - 1
    if speaker.age_band:
        return int(speaker.age_band.rstrip("s+"))
    return None


def speaker_is_minor(*, speaker: Speaker) -> bool:
    age = speaker_youngest_age(speaker=speaker)
    return age is None or age < speaker.campaign.age_of_consent


def guardian_consent_active_for(*, speaker: Speaker) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(
            speaker=speaker, signer=ConsentRecord.Signer.GUARDIAN, withdrawn_at__isnull=True
        )
        .order_by("-signed_at")
        .first()
    )


def consent_document_for(*, campaign: Campaign, language: str) -> ConsentDocument | None:
    """The campaign's newest consent text in the reader's language, else its newest text."""
    documents = ConsentDocument.objects.filter(campaign=campaign).order_by("-version")
    primary = language.split("-")[0].lower()
    for document in documents:
        if document.language.split("-")[0].lower() == primary:
            return document
    return documents.first()


def recordings_done_by(*, speaker: Speaker) -> int:
    # Rejected takes do not count: the speaker is asked for that prompt again.
    return speaker.recordings.exclude(status="rejected").count()


def speaker_codes_unusable(*, campaign_ids: list[int]) -> list[str]:
    """Codes of current speakers that no release could write (made before codes were checked)."""
    codes = {
        campaign_id: sorted(
            Speaker.objects.filter(campaign_id=campaign_id, withdrawn_at__isnull=True).values_list(
                "code", flat=True
            )
        )
        for campaign_id in campaign_ids
    }
    return sorted(
        code
        for same_campaign in codes.values()
        for code in same_campaign
        if speaker_code_problem(code) or prefix_clash(code, same_campaign)
    )
