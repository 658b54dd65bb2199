from collections import Counter
from datetime import date
from typing import Any

from django.db.models import Count, F, FloatField, Max, Q
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from labelhub.campaigns.models import Campaign, Prompt
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


def _primary(language: str) -> str:
    return language.split("-")[0].lower()


def consent_documents_latest(*, campaign: Campaign) -> list[ConsentDocument]:
    """The texts of the campaign's newest consent version, one per language."""
    latest = ConsentDocument.objects.filter(campaign=campaign).aggregate(v=Max("version"))["v"]
    if latest is None:
        return []
    return list(
        ConsentDocument.objects.filter(campaign=campaign, version=latest).order_by("language")
    )


def consent_document_for(*, campaign: Campaign, language: str) -> ConsentDocument | None:
    """The newest version's text in the reader's language, else in the campaign's language.

    Only the newest version is offered: an older text in the reader's language would ask them
    to agree to terms the campaign has since replaced.
    """
    documents = consent_documents_latest(campaign=campaign)
    for wanted in (language, campaign.language):
        for document in documents:
            if wanted and _primary(document.language) == _primary(wanted):
                return document
    return documents[0] if documents else None


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


def consent_versions(*, campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's consent texts by version, newest first: each with its translations and
    how many consents were signed on it (a signed text can no longer change)."""
    documents = (
        ConsentDocument.objects.filter(campaign=campaign)
        .annotate(signed=Count("records"))
        .order_by("-version", "language")
    )
    versions: dict[int, list[ConsentDocument]] = {}
    signed: Counter[int] = Counter()
    for document in documents:
        versions.setdefault(document.version, []).append(document)
        signed[document.version] += document.signed
    return [
        {"version": version, "documents": texts, "signed": signed[version]}
        for version, texts in versions.items()
    ]


def prompt_next_for(*, speaker: Speaker) -> Prompt | None:
    """The prompt this speaker should record next, or None when they have recorded them all.

    Prompts the speaker already has a recording of (other than a rejected one) are skipped. Of
    the rest, the least covered comes first: non-rejected recordings of withdrawn speakers do not
    count, and coverage is relative to the prompt's recordings_needed. Ties go to the lowest id,
    so every speaker walks the script in its order. Prompts already fully covered come last but
    are still handed out: the quota cells, not the prompts, decide when collection stops.
    """
    # Statuses by value, as recordings_done_by counts them: speakers sit below recordings.
    kept = ~Q(recordings__status="rejected") & Q(recordings__speaker__withdrawn_at__isnull=True)
    recorded_by_speaker = speaker.recordings.exclude(status="rejected")
    return (
        Prompt.objects.filter(campaign_id=speaker.campaign_id)
        .exclude(pk__in=recorded_by_speaker.filter(prompt__isnull=False).values("prompt_id"))
        .annotate(
            kept_recordings=Count("recordings", filter=kept),
            coverage=Cast(F("kept_recordings"), FloatField())
            / Cast(Greatest(F("recordings_needed"), 1), FloatField()),
        )
        .order_by("coverage", "id")
        .first()
    )
